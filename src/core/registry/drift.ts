// Whether the rows that arrived since a model trained look like the rows it trained on, feature by
// feature of its observations: the population stability index (PSI) over the reference sample's
// deciles, and the two-sample Kolmogorov–Smirnov test. Pure: samples in, figures out; the samples
// (observations at chosen rows) come from the environment.
//
// PSI = Σ (cᵢ − rᵢ) · ln(cᵢ / rᵢ) over bins, rᵢ and cᵢ the reference's and the current sample's
// shares of bin i. The bins are cut at the reference's deciles (numpy's linear quantiles, repeated
// edges merged, so a feature with few values gets fewer bins), each bin (edgeᵢ₋₁, edgeᵢ]; a share of
// 0 counts as `epsilon` so an empty bin gives a large but finite term. Common reading: under 0.1
// stable, 0.1–0.25 some shift, over 0.25 a large shift.
//
// KS: D = sup |F_ref(x) − F_cur(x)| of the two empirical distributions, and its asymptotic p-value
// Q_KS(√(n·m/(n+m)) · D) from Kolmogorov's limiting distribution (scipy's kstwobign.sf, Numerical
// Recipes' probks). scipy.stats.ks_2samp's 'asymp' mode now uses the finite-sample distribution at
// n = round(n·m/(n+m)) instead: the two agree to a few hundredths near p = 0.05 and differ more in the
// far tail (3.9e-8 here against 2.9e-8), where either says the same thing: drifted.
import type { DriftFigure } from '../retrain/decide';

export const PSI_EPSILON = 1e-4;

const finite = (xs: ArrayLike<number>): number[] => {
  const out: number[] = [];
  for (let i = 0; i < xs.length; i++) if (Number.isFinite(xs[i])) out.push(xs[i]);
  return out;
};

/** The q-quantile of sorted values, linear between order statistics (numpy's default). */
function sortedQuantile(sorted: readonly number[], q: number): number {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos), hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** The reference sample's deciles (10 % … 90 %), repeated values merged: the inner edges of PSI's bins. */
export function decileEdges(reference: ArrayLike<number>): number[] {
  const sorted = finite(reference).sort((a, b) => a - b);
  if (!sorted.length) return [];
  const edges: number[] = [];
  for (let k = 1; k <= 9; k++) {
    const e = sortedQuantile(sorted, k / 10);
    if (!edges.length || e > edges[edges.length - 1]) edges.push(e);
  }
  return edges;
}

/** Shares of values in each bin (edgeᵢ₋₁, edgeᵢ], with (−∞, edge₀] first and (edgeₖ, ∞) last. */
export function binShares(values: readonly number[], edges: readonly number[]): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (const v of values) {
    // first edge ≥ v (numpy.searchsorted, side='left')
    let lo = 0, hi = edges.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (edges[mid] < v) lo = mid + 1;
      else hi = mid;
    }
    counts[lo]++;
  }
  return counts.map((c) => (values.length ? c / values.length : 0));
}

/** The population stability index of `current` against `reference` (non-finite values left out); NaN when either is empty. */
export function populationStabilityIndex(reference: ArrayLike<number>, current: ArrayLike<number>, epsilon = PSI_EPSILON): number {
  const ref = finite(reference), cur = finite(current);
  if (!ref.length || !cur.length) return NaN;
  const edges = decileEdges(ref);
  const r = binShares(ref, edges), c = binShares(cur, edges);
  let psi = 0;
  for (let i = 0; i < r.length; i++) {
    const a = Math.max(r[i], epsilon), b = Math.max(c[i], epsilon);
    psi += (b - a) * Math.log(b / a);
  }
  return psi;
}

/** Two-sample Kolmogorov–Smirnov statistic D (non-finite values left out); NaN when either is empty. */
export function ksStatistic(reference: ArrayLike<number>, current: ArrayLike<number>): number {
  const a = finite(reference).sort((x, y) => x - y), b = finite(current).sort((x, y) => x - y);
  if (!a.length || !b.length) return NaN;
  let i = 0, j = 0, d = 0;
  while (i < a.length && j < b.length) {
    // step past every copy of the smaller value in both samples, then compare the two CDFs there
    const x = Math.min(a[i], b[j]);
    while (i < a.length && a[i] === x) i++;
    while (j < b.length && b[j] === x) j++;
    d = Math.max(d, Math.abs(i / a.length - j / b.length));
  }
  return d;
}

/** Kolmogorov's survival function Q(λ) = 2 Σ (−1)^(k−1) e^(−2k²λ²): P(√n·D > λ) in the limit. */
export function kolmogorovSurvival(lambda: number): number {
  if (!(lambda > 0)) return 1;
  if (lambda < 1.18) {
    // the series above converges slowly for small λ; its Jacobi-theta twin converges fast there:
    // 1 − Q(λ) = (√(2π) / λ) Σ e^(−(2k−1)²π² / (8λ²))
    const t = (Math.PI * Math.PI) / (8 * lambda * lambda);
    let sum = 0;
    for (let k = 1; k <= 20; k++) sum += Math.exp(-((2 * k - 1) ** 2) * t);
    return Math.min(1, Math.max(0, 1 - (Math.sqrt(2 * Math.PI) / lambda) * sum));
  }
  let sum = 0;
  for (let k = 1; k <= 100; k++) {
    const term = Math.exp(-2 * k * k * lambda * lambda);
    sum += k % 2 ? term : -term;
    if (term < 1e-17) break;
  }
  return Math.min(1, Math.max(0, 2 * sum));
}

export interface KsResult {
  statistic: number;
  pValue: number;
  n: number;
  m: number;
}

/** The two-sample KS test, statistic and asymptotic p-value. */
export function ksTest(reference: ArrayLike<number>, current: ArrayLike<number>): KsResult {
  const n = finite(reference).length, m = finite(current).length;
  const statistic = ksStatistic(reference, current);
  if (!Number.isFinite(statistic)) return { statistic, pValue: NaN, n, m };
  const en = (n * m) / (n + m);
  return { statistic, pValue: kolmogorovSurvival(Math.sqrt(en) * statistic), n, m };
}

/** Column `k` of row-major rows of `width` values. */
export function featureColumn(rows: Float32Array | Float64Array, width: number, k: number): Float64Array {
  const n = Math.floor(rows.length / width);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = rows[i * width + k];
  return out;
}

export interface FeatureDrift {
  index: number;
  name: string;
  psi: number;
  ks: number;
  ksPValue: number;
}

export interface DriftReport {
  features: FeatureDrift[];
  /** Largest and mean PSI over the features that have one (constant-and-equal features give 0). */
  maxPsi: number;
  meanPsi: number;
  maxPsiFeature: string;
  /** Largest KS statistic, and the smallest p-value and its feature. */
  maxKs: number;
  minKsPValue: number;
  minKsFeature: string;
  referenceRows: number;
  currentRows: number;
}

/**
 * Both statistics for every feature of row-major observation samples [rows, width]: the reference
 * (rows the model trained on) against the current sample (rows since).
 */
export function observationDrift(reference: Float32Array | Float64Array, current: Float32Array | Float64Array, width: number, names: readonly string[] = [], epsilon = PSI_EPSILON): DriftReport {
  const features: FeatureDrift[] = [];
  for (let k = 0; k < width; k++) {
    const r = featureColumn(reference, width, k), c = featureColumn(current, width, k);
    const ks = ksTest(r, c);
    features.push({ index: k, name: names[k] ?? `obs_${k}`, psi: populationStabilityIndex(r, c, epsilon), ks: ks.statistic, ksPValue: ks.pValue });
  }
  const withPsi = features.filter((f) => Number.isFinite(f.psi));
  const withKs = features.filter((f) => Number.isFinite(f.ksPValue));
  const maxPsi = withPsi.reduce<FeatureDrift | null>((best, f) => (!best || f.psi > best.psi ? f : best), null);
  const minP = withKs.reduce<FeatureDrift | null>((best, f) => (!best || f.ksPValue < best.ksPValue || (f.ksPValue === best.ksPValue && f.ks > best.ks) ? f : best), null);
  return {
    features,
    maxPsi: maxPsi?.psi ?? NaN,
    meanPsi: withPsi.length ? withPsi.reduce((a, f) => a + f.psi, 0) / withPsi.length : NaN,
    maxPsiFeature: maxPsi?.name ?? '',
    maxKs: withKs.reduce((a, f) => Math.max(a, f.ks), 0),
    minKsPValue: minP?.ksPValue ?? NaN,
    minKsFeature: minP?.name ?? '',
    referenceRows: Math.floor(reference.length / Math.max(1, width)),
    currentRows: Math.floor(current.length / Math.max(1, width)),
  };
}

/** The report as the retrain rule reads it: PSI's largest feature above its threshold, or KS's smallest p-value below alpha. */
export function driftFigure(report: DriftReport, test: 'psi' | 'ks', threshold: number): DriftFigure {
  if (test === 'psi') return { test, value: report.maxPsi, threshold, feature: report.maxPsiFeature, drifted: report.maxPsi > threshold };
  return { test, value: report.minKsPValue, threshold, feature: report.minKsFeature, drifted: report.minKsPValue < threshold };
}
