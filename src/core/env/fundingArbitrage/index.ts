// The funding-arbitrage environment (seed 001) as the registry knows it: hedged positions across
// venues chosen hourly among the ten best opportunities, masked, config-aware; its settings,
// how it is built, its episode charts.
import type { SettingSpec } from '../../settings';
import { SEGMENT_SETTINGS } from '../build';
import type { EnvSpec } from '../spec';
import { loadFundingData, type FundingData } from './data';
import { FUNDING_ACTIONS, FUNDING_NUM_ACTIONS, FUNDING_OBS_SIZE, FUNDING_PORTFOLIO, FUNDING_PRESETS, FundingArbitrageEnv, type ConfigMode, type FundingEpisode } from './env';
import { FUNDING_OBS_NAMES } from './layout';

const SETTINGS: readonly SettingSpec[] = [
  { key: 'config_mode', type: 'choice', choices: [
    { value: 'sample', label: 'sampled per episode: leverage 1–10×, utilization 30–80 %, 1–5 positions' },
    { value: 'conservative', label: 'conservative: 1×, 40 %, 2 positions' },
    { value: 'moderate', label: 'moderate: 3×, 60 %, 3 positions' },
    { value: 'aggressive', label: 'aggressive: 5×, 75 %, 5 positions' },
    { value: 'fixed', label: 'fixed: the values below' },
  ], default: 'sample', main: true, help: 'the trading config of each episode: sampled (config-aware training, as --sample-random-config does), one of the three presets, or the fixed values below' },
  { key: 'max_leverage', onlyWhen: { key: 'config_mode', equals: 'fixed' }, type: 'number', default: 3, min: 1, max: 10, help: 'leverage of each leg with config_mode fixed (--max-leverage)' },
  { key: 'target_utilization', onlyWhen: { key: 'config_mode', equals: 'fixed' }, type: 'number', default: 0.6, min: 0.05, max: 1, help: 'share of the free margin the positions may use, with config_mode fixed (--target-utilization)' },
  { key: 'max_positions', onlyWhen: { key: 'config_mode', equals: 'fixed' }, type: 'integer', default: 3, min: 1, max: 5, help: 'most positions held at once, with config_mode fixed (--max-positions)' },
  { key: 'liquidation_buffer', type: 'number', default: 0.15, min: 0, max: 0.9, help: 'a leg closer than this (a fraction of its price) to its liquidation price is flagged in the observation' },
  { key: 'stop_loss', type: 'number', default: 0.05, min: 0, minExclusive: true, max: 1, help: 'a position whose price P&L plus funding falls below −this × its margin is closed' },
  { key: 'episode_hours', type: 'integer', default: 24, min: 2, max: 24 * 90, help: 'hours per episode (one day by default)' },
  { key: 'fee_pct', type: 'number', default: 0.05, min: 0, max: 5, help: 'taker fee per leg per side, % of notional' },
  { key: 'slippage_pct', type: 'number', default: 0.02, min: 0, max: 5, help: 'slippage per leg per side, % of notional' },
  { key: 'maintenance_margin', type: 'number', default: 0.005, min: 0, max: 0.5, help: 'maintenance margin rate: a leg is liquidated at entry × (1 ∓ (1 − this) / leverage)' },
  { key: 'starting_balance', type: 'number', default: 10_000, min: 0, minExclusive: true, help: 'balance at the start of each episode' },
  ...SEGMENT_SETTINGS,
];

export const FUNDING_ARBITRAGE: EnvSpec<FundingData> = {
  id: 'funding-arbitrage',
  title: 'Funding-rate arbitrage: hedged positions across venues',
  summary: 'each hour open one of the ten best funding opportunities (long the venue that pays less, short the one that pays more) at 10, 20 or 30 % of the maximum size, or close a position; funding paid at each venue\'s settlements, fees, slippage and liquidation per leg; reward = change in equity after every cost, % of the starting balance',
  datasetKinds: ['funding'],
  rewardUnit: '% return',
  settings: SETTINGS,
  actionNames: FUNDING_ACTIONS,
  obsSize: FUNDING_OBS_SIZE,
  observationNames: FUNDING_OBS_NAMES,
  load: loadFundingData,
  create: (data, o) => new FundingArbitrageEnv({
    data, segment: o.segment, numEnvs: o.copies, seed: o.seed, randomStart: o.randomStart, maxSteps: o.maxSteps,
    startingBalance: o.settings.starting_balance as number,
    configMode: o.settings.config_mode as ConfigMode,
    config: {
      max_leverage: o.settings.max_leverage as number, target_utilization: o.settings.target_utilization as number, max_positions: o.settings.max_positions as number,
      liquidation_buffer: o.settings.liquidation_buffer as number, stop_loss: o.settings.stop_loss as number,
    },
    fee: (o.settings.fee_pct as number) / 100,
    slippage: (o.settings.slippage_pct as number) / 100,
    maintenanceMargin: o.settings.maintenance_margin as number,
  }),
  episodeSteps: (settings) => settings.episode_hours as number,
  evaluationConfigs: (['conservative', 'moderate', 'aggressive'] as const).map((key) => ({ key, label: `${key} (${FUNDING_PRESETS[key].max_leverage}×, ${FUNDING_PRESETS[key].target_utilization * 100} %, ${FUNDING_PRESETS[key].max_positions} positions)`, settings: { config_mode: key } })),
  readinessCheck: "A training readiness report, made honest: the data's symbols, venues, range and columns; the observation and action sizes and the masks over 10,000 random steps; the network's size; a short PPO training (8,192 env-steps) with the form's environment settings and network; then the trained policy beside a random masked policy and holding on the validation windows, with a verdict that says when they cannot be told apart",
  playSettings: ['config_mode', 'max_leverage', 'target_utilization', 'max_positions', 'liquidation_buffer', 'stop_loss'],
  portfolio: {
    columns: FUNDING_PORTFOLIO,
    read: (env, i, out) => (env as FundingArbitrageEnv).portfolioOf(i, out),
    // every position is closed when an episode ends: the slots are empty, the money is in the record
    readEnd(record, out) {
      const r = record as FundingEpisode;
      out.fill(0);
      out[0] = r.portfolio.ending_balance;
      out[1] = r.funding_earned.total;
      out[2] = r.fees + r.slippage;
    },
  },
  tradeTable: {
    columns: [
      { key: 'entry_time', label: 'entry' }, { key: 'exit_time', label: 'exit' }, { key: 'symbol', label: 'symbol' },
      { key: 'long_exchange', label: 'long' }, { key: 'short_exchange', label: 'short' },
      { key: 'size', label: 'notional per leg', digits: 2 }, { key: 'leverage', label: 'leverage', digits: 2 }, { key: 'margin', label: 'margin', digits: 2 },
      { key: 'entry_long_price', label: 'entry long', digits: 2 }, { key: 'entry_short_price', label: 'entry short', digits: 2 },
      { key: 'exit_long_price', label: 'exit long', digits: 2 }, { key: 'exit_short_price', label: 'exit short', digits: 2 },
      { key: 'long_funding_rate', label: 'long rate', digits: 6 }, { key: 'short_funding_rate', label: 'short rate', digits: 6 },
      { key: 'funding_long', label: 'funding long', digits: 2 }, { key: 'funding_short', label: 'funding short', digits: 2 },
      { key: 'fees', label: 'fees + slippage', digits: 2 }, { key: 'realized_pnl', label: 'realised P&L', digits: 2 },
      { key: 'hours_held', label: 'hours', digits: 0 }, { key: 'exit_reason', label: 'exit reason' },
    ],
    rows: (record) => ((record as FundingEpisode).trades ?? []) as unknown as Record<string, unknown>[],
  },
  price: (data, row) => data.longPrice[data.hourStart[row]] ?? NaN,
  episodeCharts: [
    {
      title: 'Where the money came from (50-episode mean, % of the starting balance)',
      lines: [
        { label: 'funding %', color: '#2b8a4b', series: { kind: 'mean', path: 'reward_breakdown.funding' } },
        { label: 'fees %', color: '#c47a00', series: { kind: 'mean', path: 'reward_breakdown.fees' } },
        { label: 'slippage %', color: '#7b4fd6', series: { kind: 'mean', path: 'reward_breakdown.slippage' } },
        { label: 'liquidation %', color: '#c43c3c', series: { kind: 'mean', path: 'reward_breakdown.liquidation' } },
      ],
    },
    {
      title: 'Positions and liquidations (50-episode mean)',
      lines: [
        { label: 'opened', color: '#2f7de1', series: { kind: 'mean', path: 'positions_opened' } },
        { label: 'liquidations', color: '#c43c3c', series: { kind: 'mean', path: 'liquidations' } },
        { label: 'mean hours held', color: '#5a6b7d', series: { kind: 'mean', path: 'mean_hours_held' } },
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
  tradeMarker: () => null,
  markChangesOnly: false,
  idleAction: 0,
  baselinePolicies: [{ key: 'hold', label: 'hold (never trades)', action: 0 }],
  // opens and closes as often as the policy made them, spread evenly over the actions of each kind
  randomLike(windows) {
    let opens = 0, closes = 0, steps = 0;
    for (const actions of windows) for (const a of actions) { if (a >= 1 && a <= 30) opens++; else if (a > 30) closes++; steps++; }
    const pOpen = steps ? opens / steps : 0, pClose = steps ? closes / steps : 0;
    return {
      frequency: pOpen + pClose,
      next: (u) => {
        const v = u();
        return v < pOpen ? 1 + Math.min(29, Math.floor(u() * 30)) : v < pOpen + pClose ? 31 + Math.min(4, Math.floor(u() * 5)) : 0;
      },
    };
  },
  episodeTrades: (r) => {
    const trades = (r as FundingEpisode).trades ?? [];
    return { trades: trades.length, wins: trades.filter((t) => t.realized_pnl > 0).length };
  },
  buyAndHold: () => null,
};

export { FundingArbitrageEnv, FUNDING_ACTIONS, FUNDING_NUM_ACTIONS, FUNDING_OBS_SIZE };
export type { FundingEpisode, FundingTrade, TradingConfig } from './env';
