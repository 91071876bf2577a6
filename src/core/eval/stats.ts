// The statistics results are reported with: a mean with its 95 % interval (Student's t over the
// windows of a walk), and percentiles.

import type { IntervalFigure } from '../run/contracts';

/** A mean with its 95 % interval (null with fewer than two values: no spread to judge), as records store it. */
export type Interval = IntervalFigure;

/** Mean and (population) standard deviation. */
export function meanStd(xs: readonly number[]): { mean: number; std: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  return { mean, std: Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, xs.length)) };
}

// two-sided 95 % quantiles of Student's t for 1..30 degrees of freedom; 1.96 beyond
const T95 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

export function t95(degreesOfFreedom: number): number {
  return degreesOfFreedom >= 1 && degreesOfFreedom <= 30 ? T95[degreesOfFreedom - 1] : degreesOfFreedom > 30 ? 1.96 : NaN;
}

/** The mean of values and its 95 % interval (sample standard deviation, t quantile). */
export function meanInterval(values: readonly number[]): Interval {
  const n = values.length;
  if (n === 0) return { mean: NaN, low: null, high: null, n };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, low: null, high: null, n };
  const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  const half = t95(n - 1) * (sd / Math.sqrt(n));
  return { mean, low: mean - half, high: mean + half, n };
}

/** The q-quantile (0..1) of values, linear between order statistics (numpy's default). */
export function quantile(values: readonly number[], q: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos), hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** "1.23 (0.45 to 2.01)", or "1.23 (one window: no interval)". */
export function intervalText(i: Interval, digits = 2, unit = ''): string {
  const f = (v: number) => `${v.toFixed(digits)}${unit}`;
  return i.low === null || i.high === null ? `${f(i.mean)} (${i.n === 1 ? 'one window: no interval' : 'no interval'})` : `${f(i.mean)} (95 % ${f(i.low)} to ${f(i.high)})`;
}

/** "1.23 [0.45, 2.01] %" for a table's narrow cell (its header says 95 %), or "1.23 %" without an interval. */
export function intervalCell(i: Interval, digits = 2, unit = ''): string {
  const f = (v: number) => v.toFixed(digits);
  return i.low === null || i.high === null ? `${f(i.mean)}${unit}` : `${f(i.mean)} [${f(i.low)}, ${f(i.high)}]${unit}`;
}

/** The 95 % Wilson score interval of a proportion (k of n): honest at small n and near 0 or 1, unlike ± 1.96·√(p(1−p)/n). */
export function wilsonInterval(k: number, n: number): { low: number; high: number } {
  if (n <= 0) return { low: 0, high: 1 };
  const z = 1.959963984540054, p = k / n, z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}
