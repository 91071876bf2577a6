// The trade-approval environment (seed 000's Guardian) as the registry knows it: reject / approve
// with a warning / approve the signal ensemble's proposals on candles; its settings, how it is
// built, its episode charts and trade markers.
import { CANDLE_ENV_SETTINGS, candleBuyAndHold, candleEnvOptions, loadCandleData, type CandleData } from '../candles';
import type { EnvSpec } from '../spec';
import { FEATURE_NAMES } from '../../features/layout';
import { closedTradesOf } from './closed';
import { CANDIDATE_FEATURES, TRADE_APPROVAL_ACTIONS, TRADE_APPROVAL_OBS_SIZE, TradeApprovalEnv, type TradeApprovalEpisode } from './env';

/** Observation slot of the candidate's side (+1 long, −1 short). */
const CANDIDATE_SIDE_SLOT = 34;

export const TRADE_APPROVAL: EnvSpec<CandleData> = {
  id: 'trade-approval',
  title: 'Guardian trade approval: reject / approve with a warning / approve each proposed trade',
  summary: "the agent rejects, approves with a warning (half size) or approves the signal ensemble's proposed trades, played out on the following candles; the Guardian agent's shaped reward (a score, not a return)",
  datasetKinds: ['candles'],
  rewardUnit: 'shaped score',
  settings: CANDLE_ENV_SETTINGS,
  actionNames: TRADE_APPROVAL_ACTIONS,
  obsSize: TRADE_APPROVAL_OBS_SIZE,
  observationNames: [...FEATURE_NAMES, ...CANDIDATE_FEATURES],
  load: loadCandleData,
  create: (data, o) => new TradeApprovalEnv({
    features: data.features, candles: data.candles, segment: o.segment, numEnvs: o.copies, seed: o.seed, randomStart: o.randomStart,
    maxSteps: o.maxSteps, startingBalance: o.settings.starting_balance as number, ...candleEnvOptions(data, o.settings),
    // the closed-trades lists where a walk reads them (evaluations, backtests, a played policy), not in training
    keepTrades: !o.randomStart,
  }),
  price: (data, row) => data.candles.close[row],
  episodeCharts: [
    {
      title: 'Action distribution (50-episode mean, %)',
      lines: [['reject', '#c43c3c'], ['approve_warning', '#c47a00'], ['approve', '#2b8a4b']].map(([a, color]) => ({
        label: `${a} %`, color, series: { kind: 'mean', path: `action_percentages.${a}` },
      })),
    },
    {
      title: 'Win rate and good-rejection rate (50 episodes)',
      lines: [
        { label: 'win rate (50)', color: '#2f7de1', series: { kind: 'rate', numerator: 'trade_outcomes.profitable_approved', denominator: 'trade_outcomes.approved_trades' } },
        { label: 'good-rejection rate (50)', color: '#7b4fd6', series: { kind: 'rate', numerator: 'trade_outcomes.good_rejections', denominator: 'trade_outcomes.rejected_trades' } },
      ],
    },
    {
      title: 'Return and max drawdown (50-episode mean, %)',
      lines: [
        { label: 'return %', color: '#2b8a4b', series: { kind: 'mean', path: 'portfolio.return_pct' } },
        { label: 'max drawdown %', color: '#c43c3c', series: { kind: 'mean', path: 'portfolio.max_drawdown', scale: 100 } },
      ],
    },
  ],
  // a marker at every approval, on the side of the proposed trade
  tradeMarker: (action, obs, offset) => (action > 0 ? (obs[offset + CANDIDATE_SIDE_SLOT] > 0 ? 'long' : 'short') : null),
  markChangesOnly: false,
  idleAction: 0,
  baselinePolicies: [
    { key: 'always_reject', label: 'always reject', action: 0 },
    { key: 'always_approve', label: 'always approve', action: 2 },
  ],
  // approvals (full and with a warning) as often as the policy gave them
  randomLike(windows) {
    let full = 0, warning = 0, steps = 0;
    for (const actions of windows) for (const a of actions) { if (a === 2) full++; else if (a === 1) warning++; steps++; }
    const pFull = steps ? full / steps : 0, pWarning = steps ? warning / steps : 0;
    return { frequency: pFull + pWarning, next: (u) => { const v = u(); return v < pFull ? 2 : v < pFull + pWarning ? 1 : 0; } };
  },
  // each approved trade as it closed, its money after every cost (carried beside the record: closed.ts)
  tradeTable: {
    columns: [
      { key: 'entry_time', label: 'entry' }, { key: 'exit_time', label: 'exit' }, { key: 'side', label: 'side' }, { key: 'decision', label: 'decision' },
      { key: 'size', label: 'notional', digits: 2 }, { key: 'leverage', label: 'leverage', digits: 2 }, { key: 'margin', label: 'margin', digits: 2 },
      { key: 'entry_price', label: 'entry price', digits: 4 }, { key: 'exit_price', label: 'exit price', digits: 4 },
      { key: 'fees', label: 'fees + slippage', digits: 2 }, { key: 'net_pnl', label: 'net P&L', digits: 2 }, { key: 'net_pnl_pct', label: 'net P&L %', digits: 3 },
      { key: 'bars_held', label: 'bars', digits: 0 }, { key: 'exit_reason', label: 'exit reason' },
    ],
    rows: (record) => closedTradesOf(record) as unknown as Record<string, unknown>[],
  },
  episodeTrades: (r) => {
    const o = (r as TradeApprovalEpisode).trade_outcomes;
    return { trades: o.profitable_approved + o.losing_approved + o.liquidations, wins: o.profitable_approved };
  },
  buyAndHold: candleBuyAndHold,
};

export { TradeApprovalEnv, TRADE_APPROVAL_ACTIONS, TRADE_APPROVAL_OBS_SIZE };
export type { TradeApprovalEnvOptions, TradeApprovalEpisode } from './env';
export { closedTradesOf, type TradeApprovalTrade } from './closed';
