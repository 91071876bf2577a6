// How many bars a market has in a year, read off its own timestamps: a round-the-clock market's
// 5-minute bars are 105,192 a year, a stock's daily bars about 252, an FX market's hourly ones about
// 6,280 (no weekends). Sharpe ratios are annualized by the square root of it.
export const MS_PER_YEAR = 365.25 * 86_400_000;

/**
 * Bars per calendar year over rows [start, end): (bars − 1) / (the span in years). Weekends,
 * holidays and session hours the data skips are left out by the data itself. 0 when unknown.
 */
export function barsPerYear(time: Float64Array, start = 0, end = time.length): number {
  const first = time[start], last = time[end - 1];
  const span = last - first;
  if (end - start < 2 || !Number.isFinite(span) || span <= 0) return 0;
  return (end - start - 1) / (span / MS_PER_YEAR);
}

/** sqrt(bars per year): the factor that annualizes a per-bar Sharpe ratio; 1 when unknown. */
export function annualizationFactor(perYear: number): number {
  return perYear > 0 ? Math.sqrt(perYear) : 1;
}

/** Bars per year as a run's settings say (`bars_per_year`), or read off the timestamps when they say 0. */
export function perYearOf(settings: Record<string, unknown>, time: Float64Array): number {
  const set = Number(settings.bars_per_year ?? 0);
  return set > 0 ? set : barsPerYear(time);
}
