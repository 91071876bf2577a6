// When a model is retrained, and whether the retrained model (the challenger) replaces the champion:
// seed 003's auto-trainer retrains once 100 new samples exist and deploys what it trained; here a
// retrain also waits for drift where the rule asks for it, and the challenger is promoted only when
// it beats the champion on the same held-out windows, by the rule's metric. Pure: the figures come
// from the walks (core/eval) and the drift tests (core/registry/drift).
import type { EvaluationRecord } from '../run/contracts';

/** What a retrain is judged by: a figure of the walk on the decision segment (higher is better). */
export type RetrainMetric = 'net_pnl' | 'net_pnl_low' | 'sharpe';

export const RETRAIN_METRIC_LABELS: Record<RetrainMetric, string> = {
  net_pnl: 'mean net P&L per window after fees',
  net_pnl_low: 'lower end of the 95 % interval of net P&L per window',
  sharpe: 'Sharpe ratio of the walk',
};

/** The drift the rule looks at, as measured between the champion's training rows and the newest rows. */
export interface DriftFigure {
  test: 'psi' | 'ks';
  /** The largest over the observation features (PSI), or the smallest p-value (KS). */
  value: number;
  threshold: number;
  /** The feature where it is largest (PSI) or most significant (KS). */
  feature: string;
  drifted: boolean;
}

export interface RetrainDue {
  due: boolean;
  newRows: number;
  /** Why it is due or not, in words, for the decision record. */
  reason: string;
}

/**
 * Due when at least `minNewRows` rows arrived since the champion trained (it read `championRows`
 * rows; the dataset now has `datasetRows`), and, where the rule watches drift, when the newest rows
 * drifted from the training rows. Without drift watching, the new rows alone decide.
 */
export function retrainDue(minNewRows: number, championRows: number, datasetRows: number, drift: DriftFigure | null): RetrainDue {
  const newRows = Math.max(0, datasetRows - championRows);
  const rows = `${newRows.toLocaleString('en-US')} new row${newRows === 1 ? '' : 's'} since the champion trained (the rule asks for ${minNewRows.toLocaleString('en-US')})`;
  if (newRows < minNewRows) return { due: false, newRows, reason: rows };
  if (!drift) return { due: true, newRows, reason: rows };
  const what = drift.test === 'psi'
    ? `population stability index ${drift.value.toFixed(3)} on ${drift.feature} (drift above ${drift.threshold.toPrecision(3)})`
    : `Kolmogorov–Smirnov p-value ${drift.value.toPrecision(3)} on ${drift.feature} (drift below ${drift.threshold.toPrecision(3)})`;
  return { due: drift.drifted, newRows, reason: `${rows}; ${what}: ${drift.drifted ? 'drifted' : 'no drift'}` };
}

/** A walk's figure under a metric, or null when the walk does not have it. */
export function metricOf(metric: RetrainMetric, e: EvaluationRecord): number | null {
  switch (metric) {
    case 'net_pnl': return e.net_pnl_pct?.mean ?? null;
    case 'net_pnl_low': return e.net_pnl_pct?.low ?? null;
    case 'sharpe': return e.sharpe ?? null;
  }
}

export interface Promotion {
  promote: boolean;
  champion: number | null;
  challenger: number | null;
  reason: string;
}

/** The challenger is promoted only when its figure is strictly better than the champion's on the same windows. */
export function promotionDecision(metric: RetrainMetric, champion: EvaluationRecord, challenger: EvaluationRecord): Promotion {
  const a = metricOf(metric, champion), b = metricOf(metric, challenger);
  const label = RETRAIN_METRIC_LABELS[metric];
  const fmt = (x: number | null) => (x === null ? 'n/a' : metric === 'sharpe' ? x.toFixed(3) : `${x.toFixed(3)} %`);
  if (b === null || !Number.isFinite(b)) return { promote: false, champion: a, challenger: b, reason: `the challenger has no ${label}; the champion stays` };
  if (a === null || !Number.isFinite(a)) return { promote: true, champion: a, challenger: b, reason: `the champion has no ${label} on these windows; the challenger (${fmt(b)}) is promoted` };
  const promote = b > a;
  return {
    promote,
    champion: a,
    challenger: b,
    reason: promote
      ? `the challenger beats the champion on ${label}: ${fmt(b)} against ${fmt(a)}, on the same ${challenger.num_episodes} windows`
      : `the challenger does not beat the champion on ${label}: ${fmt(b)} against ${fmt(a)}, on the same ${challenger.num_episodes} windows; it stays a challenger`,
  };
}
