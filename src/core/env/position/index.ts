// The position environment (seed 002) as the registry knows it: HOLD / BUY / SELL on candles with
// the 34-feature state; its settings, how it is built, its episode charts and trade markers.
import { FEATURE_NAMES, STATE_SIZE } from '../../features/layout';
import type { SettingValues } from '../../settings';
import { CANDLE_ENV_SETTINGS, candleBuyAndHold, candleEnvOptions, loadCandleData, type CandleData } from '../candles';
import type { EnvSpec } from '../spec';
import { POSITION_ACTIONS, PositionEnv } from './env';

export const POSITION: EnvSpec<CandleData> = {
  id: 'position',
  title: 'Position trading: HOLD / BUY / SELL on candles',
  summary: 'hold, go long or go short (or flat) on candles with fees and optional leverage; reward = change in equity after costs, % of the starting balance',
  datasetKinds: ['candles'],
  rewardUnit: '% return',
  settings: [
    { key: 'leverage', type: 'number', default: 1, min: 0, minExclusive: true, max: 100, main: true, help: 'position size of BUY / SELL as a multiple of equity' },
    { key: 'allow_short', type: 'boolean', default: true, help: 'SELL goes short; off, SELL goes flat' },
    ...CANDLE_ENV_SETTINGS,
  ],
  actionNames: POSITION_ACTIONS,
  obsSize: STATE_SIZE,
  observationNames: FEATURE_NAMES,
  load: loadCandleData,
  create: (data, o) => new PositionEnv({
    features: data.features, candles: data.candles, segment: o.segment, numEnvs: o.copies, seed: o.seed, randomStart: o.randomStart,
    maxSteps: o.maxSteps, leverage: o.settings.leverage as number, allowShort: o.settings.allow_short as boolean,
    startingBalance: o.settings.starting_balance as number, ...candleEnvOptions(data, o.settings),
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
  idleAction: 0,
  baselinePolicies: [{ key: 'hold', label: 'hold (never trades)', action: 0 }],
  // as often as the policy changed its position; a change goes to the other side (from flat, either)
  randomLike(windows) {
    let changes = 0, steps = 0;
    for (const actions of windows) {
      let target = 0;
      for (const a of actions) {
        if (a !== 0 && a !== target) { changes++; target = a; }
        steps++;
      }
    }
    const frequency = steps ? changes / steps : 0;
    return { frequency, next: (u, last) => (u() >= frequency ? 0 : last === 1 ? 2 : last === 2 ? 1 : u() < 0.5 ? 1 : 2) };
  },
  episodeTrades: (r) => {
    const e = r as { trades: number; win_rate: number };
    return { trades: e.trades, wins: Math.round(e.win_rate * e.trades) };
  },
  buyAndHold: candleBuyAndHold,
};

export { PositionEnv, POSITION_ACTIONS };
export type { PositionEnvOptions, PositionEpisode } from './env';
export { backtestPolicy, type ActionChooser, type BacktestResult } from './backtest';
