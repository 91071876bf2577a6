// Chart series derived from a run's records: rolling means, rates, action shares, smoothing.
// Pure functions over arrays, so the run browser stays a thin view.
import type { EpisodeSeries } from '../env/spec';
import type { EvaluationRecord } from './contracts';

/** Mean of the last `window` values at each point (fewer at the start); nulls are skipped. */
export function rollingMean(values: (number | null)[], window: number): (number | null)[] {
  const out: (number | null)[] = new Array(values.length);
  let sum = 0, count = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== null && Number.isFinite(v)) { sum += v; count++; }
    const drop = i - window;
    if (drop >= 0) {
      const d = values[drop];
      if (d !== null && Number.isFinite(d)) { sum -= d; count--; }
    }
    out[i] = count ? sum / count : null;
  }
  return out;
}

/** Exponential smoothing with weight in [0, 1) (0: none), as TensorBoard's slider does, debiased at the start. */
export function smooth(values: (number | null)[], weight: number): (number | null)[] {
  if (!(weight > 0)) return values;
  let last = 0, debias = 0;
  return values.map((v) => {
    if (v === null || !Number.isFinite(v)) return null;
    last = last * weight + (1 - weight) * v;
    debias = debias * weight + (1 - weight);
    return last / debias;
  });
}

/** Ratio of two counts, or null where the denominator is 0. */
export function ratio(numerators: number[], denominators: number[]): (number | null)[] {
  return numerators.map((n, i) => (denominators[i] > 0 ? n / denominators[i] : null));
}

/** Rolling rate over a window: sum of numerators / sum of denominators (null where the denominators sum to 0). */
export function rollingRate(numerators: number[], denominators: number[], window: number): (number | null)[] {
  const out: (number | null)[] = new Array(numerators.length);
  let n = 0, d = 0;
  for (let i = 0; i < numerators.length; i++) {
    n += numerators[i];
    d += denominators[i];
    if (i >= window) { n -= numerators[i - window]; d -= denominators[i - window]; }
    out[i] = d > 0 ? n / d : null;
  }
  return out;
}

/** A nested numeric field of each record, by dotted path ("portfolio.return_pct"), null where absent. */
export function field(records: Record<string, unknown>[], path: string): (number | null)[] {
  const keys = path.split('.');
  return records.map((r) => {
    let v: unknown = r;
    for (const k of keys) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
    return typeof v === 'number' && Number.isFinite(v) ? v : null;
  });
}

/** Seconds since the first timestamp, for an x-axis by wall time (seed-000 style local ISO strings or ISO with zone). */
export function wallSeconds(timestamps: string[]): number[] {
  const ms = timestamps.map((t) => Date.parse(t));
  const t0 = ms.find((x) => Number.isFinite(x)) ?? 0;
  return ms.map((x) => (Number.isFinite(x) ? (x - t0) / 1000 : NaN));
}

/** An environment's episode series (its spec's EpisodeSeries) over detailed episode records, with a rolling window. */
export function episodeSeries(details: Record<string, unknown>[], series: EpisodeSeries, window: number): (number | null)[] {
  const num = (path: string) => field(details, path).map((v) => v ?? 0);
  switch (series.kind) {
    case 'mean': {
      const scale = series.scale ?? 1;
      return rollingMean(field(details, series.path).map((v) => (v === null ? null : v * scale)), window);
    }
    case 'share': {
      const parts = series.of.map(num);
      const total = details.map((_, i) => parts.reduce((sum, p) => sum + p[i], 0));
      const own = num(series.path);
      return rollingMean(own.map((c, i) => (total[i] ? (100 * c) / total[i] : null)), window);
    }
    case 'rate':
      return rollingRate(num(series.numerator), num(series.denominator), window);
  }
}

/**
 * An evaluation chart's series: reward with its 95 % interval (± std for records without one), and
 * net P&L per window with its interval, buy-and-hold and the random band, where recorded.
 */
export function evaluationSeries(evaluations: readonly EvaluationRecord[]) {
  const lo = (e: EvaluationRecord) => e.reward_interval?.low ?? e.mean_reward - e.std_reward;
  const hi = (e: EvaluationRecord) => e.reward_interval?.high ?? e.mean_reward + e.std_reward;
  return {
    x: evaluations.map((e) => e.step),
    reward: evaluations.map((e) => e.mean_reward), rewardLo: evaluations.map(lo), rewardHi: evaluations.map(hi),
    pnl: evaluations.map((e) => e.net_pnl_pct?.mean ?? null), pnlLo: evaluations.map((e) => e.net_pnl_pct?.low ?? null), pnlHi: evaluations.map((e) => e.net_pnl_pct?.high ?? null),
    buyHold: evaluations.map((e) => e.baselines?.buy_and_hold?.net_pnl_pct.mean ?? null),
    randomLo: evaluations.map((e) => e.baselines?.random?.net_pnl_pct.p5 ?? null), randomHi: evaluations.map((e) => e.baselines?.random?.net_pnl_pct.p95 ?? null),
  };
}
