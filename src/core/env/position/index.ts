// The position environment (seed 002) as the registry knows it: HOLD / BUY / SELL on candles with
// the 34-feature state; its settings, how it is built, its episode charts and trade markers.
import { STATE_SIZE } from '../../features/layout';
import type { SettingValues } from '../../settings';
import { CANDLE_ENV_SETTINGS, loadCandleData, type CandleData } from '../candles';
import type { EnvSpec } from '../spec';
import { POSITION_ACTIONS, PositionEnv } from './env';

export const POSITION: EnvSpec<CandleData> = {
  id: 'position',
  title: 'position: HOLD / BUY / SELL (seed 002)',
  summary: 'hold, go long or go short (or flat) on candles with fees and optional leverage; reward = change in equity after costs, % of the starting balance',
  datasetKinds: ['candles'],
  settings: [
    { key: 'leverage', type: 'number', default: 1, min: 0, minExclusive: true, max: 100, main: true, help: 'position size of BUY / SELL as a multiple of equity' },
    CANDLE_ENV_SETTINGS[0],
    { key: 'allow_short', type: 'boolean', default: true, help: 'SELL goes short; off, SELL goes flat' },
    ...CANDLE_ENV_SETTINGS.slice(1),
  ],
  actionNames: POSITION_ACTIONS,
  obsSize: STATE_SIZE,
  load: loadCandleData,
  create: (data, o) => new PositionEnv({
    features: data.features, candles: data.candles, segment: o.segment, numEnvs: o.copies, seed: o.seed, randomStart: o.randomStart,
    maxSteps: o.maxSteps, fee: o.settings.fee as number, leverage: o.settings.leverage as number, allowShort: o.settings.allow_short as boolean,
    startingBalance: o.settings.starting_balance as number,
  }),
  price: (data, row) => data.candles.close[row],
  episodeCharts: [
    {
      title: 'Action distribution (50-episode mean, %)',
      lines: [['hold', '#5a6b7d'], ['buy', '#2b8a4b'], ['sell', '#c43c3c']].map(([a, color]) => ({
        label: `${a} %`, color, series: { kind: 'share', path: `action_counts.${a}`, of: ['action_counts.hold', 'action_counts.buy', 'action_counts.sell'] },
      })),
    },
    { title: 'Win rate (50 episodes)', lines: [{ label: 'win rate (50)', color: '#2f7de1', series: { kind: 'mean', path: 'win_rate' } }] },
    {
      title: 'Return and max drawdown (50-episode mean, %)',
      lines: [
        { label: 'return %', color: '#2b8a4b', series: { kind: 'mean', path: 'portfolio.return_pct' } },
        { label: 'max drawdown %', color: '#c43c3c', series: { kind: 'mean', path: 'portfolio.max_drawdown', scale: 100 } },
      ],
    },
  ],
  // a marker where the agent changes its position
  tradeMarker: (action, _obs, _offset, settings: SettingValues) => (action === 1 ? 'long' : action === 2 ? (settings.allow_short ? 'short' : 'flat') : null),
  markChangesOnly: true,
};

export { PositionEnv, POSITION_ACTIONS };
export type { PositionEnvOptions, PositionEpisode } from './env';
export { backtestPolicy, type ActionChooser, type BacktestResult } from './backtest';
