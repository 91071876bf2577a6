// How trades fill, the same in every environment, in buy-and-hold and in every baseline: a decision
// made on bar t (its close known) fills at the next bar's open by default, or at bar t's close; the
// price moves against the trader by the slippage (half the spread, in basis points), which costs
// that fraction of the notional; every fill pays the fee on its notional, the close of a position
// still open when an episode ends included.
import type { CandleColumns } from '../features/layout';
import type { SettingSpec, SettingValues } from '../settings';

export type FillAt = 'next_open' | 'close';

export interface Execution {
  fill: FillAt;
  /** Fee per unit of notional traded. */
  fee: number;
  /** Price slippage against the trader, as a fraction (bps / 10,000). */
  slippage: number;
}

export const EXECUTION_SETTINGS: readonly SettingSpec[] = [
  { key: 'fee', type: 'number', default: 0.001, min: 0, max: 0.1, main: true, help: 'fee per unit of notional traded, on every fill' },
  { key: 'slippage_bps', type: 'number', default: 2, min: 0, max: 500, help: 'price slippage against the trader on every fill, in basis points (half the spread)' },
  {
    key: 'fill', type: 'choice', default: 'next_open', help: 'where a decision made on a bar fills',
    choices: [{ value: 'next_open', label: "the next bar's open (what can be traded)" }, { value: 'close', label: "the decision bar's close (seen before deciding)" }],
  },
];

/** The execution rules of an environment's settings (their defaults where a key is missing). */
export function executionOf(settings: SettingValues | Record<string, unknown>): Execution {
  return {
    fill: (settings.fill ?? 'next_open') as FillAt,
    fee: Number(settings.fee ?? 0.001),
    slippage: Number(settings.slippage_bps ?? 2) / 10_000,
  };
}

/** The raw price (before slippage) a decision on bar t fills at. */
export function rawFillPrice(c: Pick<CandleColumns, 'open' | 'close'>, x: Execution, t: number): number {
  return x.fill === 'next_open' ? c.open[t + 1] : c.close[t];
}

/**
 * Buy-and-hold of one unit of equity over rows [start, end): decided on bar `start`, bought at the
 * fill, sold at bar end − 1's close, each fill paying fee + slippage on its notional (as the position
 * environment charges them: always buying is buy-and-hold to the cent). Its return in %.
 */
export function buyAndHoldPct(c: Pick<CandleColumns, 'open' | 'close'>, start: number, end: number, x: Execution): number {
  const last = end - 1;
  const buyRow = x.fill === 'next_open' ? start + 1 : start;
  if (buyRow > last) return 0;
  const cost = x.fee + x.slippage;
  // equity after the entry's costs, then the price move, then the exit's costs on what is sold
  return ((1 - cost) * (c.close[last] / rawFillPrice(c, x, start)) * (1 - cost) - 1) * 100;
}
