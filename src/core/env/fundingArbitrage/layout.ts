// The funding-arbitrage environment's observation and action layout (seed 001's sizes: 275
// values, 36 actions), read by the environment, its hour tables and whoever shows its parts.

export const FUNDING_SLOTS = 5;
export const FUNDING_TOP = 10;
export const FUNDING_SIZES = [0.1, 0.2, 0.3] as const;
/** config 5 + portfolio 10 + 5 slots × 12 + 10 opportunities × 20. */
export const FUNDING_OBS_SIZE = 5 + 10 + FUNDING_SLOTS * 12 + FUNDING_TOP * 20;
export const FUNDING_NUM_ACTIONS = 1 + FUNDING_TOP * FUNDING_SIZES.length + FUNDING_SLOTS;
export const FUNDING_ACTIONS: readonly string[] = [
  'hold',
  ...Array.from({ length: FUNDING_TOP * FUNDING_SIZES.length }, (_, k) => `open_${Math.floor(k / 3) + 1}_${FUNDING_SIZES[k % 3] * 100}pct`),
  ...Array.from({ length: FUNDING_SLOTS }, (_, j) => `close_${j + 1}`),
];
/** Where each part of the observation starts. */
export const FUNDING_OBS = { config: 0, portfolio: 5, slots: 15, slotWidth: 12, opportunities: 75, opportunityWidth: 20 } as const;

/** The columns of FundingArbitrageEnv.portfolioOf(). */
export const FUNDING_PORTFOLIO: readonly { key: string; label: string }[] = [
  { key: 'equity', label: 'equity' },
  { key: 'funding', label: 'funding earned' },
  { key: 'costs', label: 'fees and slippage paid' },
  { key: 'margin', label: 'margin used' },
  { key: 'open', label: 'open positions' },
  ...Array.from({ length: FUNDING_SLOTS }, (_, j) => ({ key: `slot${j + 1}_notional`, label: `slot ${j + 1} notional per leg` })),
  ...Array.from({ length: FUNDING_SLOTS }, (_, j) => ({ key: `slot${j + 1}_funding`, label: `slot ${j + 1} funding earned` })),
];

/** Each of the 275 observation slots by name, in order (env.ts and hours.ts write them). */
export const FUNDING_OBS_NAMES: readonly string[] = [
  'config_max_leverage_div10', 'config_target_utilization', 'config_max_positions_share', 'config_liquidation_buffer', 'config_stop_loss',
  'equity_return', 'margin_used_share', 'utilization_of_target', 'open_positions_share', 'unrealised_pnl_share',
  'funding_earned_pct', 'costs_paid_pct', 'episode_progress', 'free_margin_share', 'realised_pnl_pct',
  ...Array.from({ length: FUNDING_SLOTS }, (_, j) => [
    'filled', 'entry_apr_div100', 'apr_now_div100', 'notional_share', 'leverage_div10', 'days_held',
    'long_funding_pct', 'short_funding_pct', 'long_liquidation_distance', 'short_liquidation_distance', 'price_pnl_over_margin', 'within_buffer',
  ].map((n) => `slot${j + 1}_${n}`)).flat(),
  ...Array.from({ length: FUNDING_TOP }, (_, r) => [
    'present', 'apr_div100', 'long_rate_x1000', 'short_rate_x1000', 'long_interval_div8', 'short_interval_div8',
    'long_next_settlement_div8h', 'short_next_settlement_div8h', 'log_volume_div25', 'basis_x1000', 'symbol_held',
    'symbol_index', 'long_venue_index', 'short_venue_index', 'apr_change_div100', 'rank_share', 'hourly_rate_spread_x1e4',
    'open_size_share', 'open_margin_share', 'pair_held',
  ].map((n) => `opp${r + 1}_${n}`)).flat(),
];
