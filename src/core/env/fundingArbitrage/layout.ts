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
