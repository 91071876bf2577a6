// Seed 001's signs that PPO is unwell, read off the per-update metrics, and the charts that show
// them with their good and warning bands.
import type { MetricChart } from '../../core/run/charts';
import type { UpdateRecord } from '../../core/run/contracts';

export const HEALTH_THRESHOLDS = {
  entropyLow: 0.5, // below: the policy has collapsed; raise ent_coef
  entropyGood: 1.5,
  klGood: 0.05,
  klHigh: 0.1, // above: updates too large; lower learning_rate
  valueLossGrowth: 10, // the latest value loss over the early runs' median
} as const;

/** Warnings for the latest update, in plain words. */
export function healthWarnings(entropy: number[], approxKl: number[], valueLoss: number[]): string[] {
  const out: string[] = [];
  const last = (xs: number[]) => xs[xs.length - 1];
  if ([last(entropy), last(approxKl), last(valueLoss)].some((v) => v !== undefined && !Number.isFinite(v))) {
    out.push('A metric is NaN or infinite: training has diverged.');
    return out;
  }
  if (entropy.length && last(entropy) < HEALTH_THRESHOLDS.entropyLow) out.push(`Entropy ${last(entropy).toFixed(2)} < ${HEALTH_THRESHOLDS.entropyLow}: the agent has stopped exploring; increase ent_coef.`);
  if (approxKl.length && last(approxKl) > HEALTH_THRESHOLDS.klHigh) out.push(`KL ${last(approxKl).toFixed(3)} > ${HEALTH_THRESHOLDS.klHigh}: updates are too large; lower learning_rate.`);
  if (valueLoss.length >= 5) {
    const early = valueLoss.slice(0, Math.min(10, valueLoss.length - 1)).slice().sort((a, b) => a - b);
    const median = early[early.length >> 1];
    if (median > 0 && last(valueLoss) > HEALTH_THRESHOLDS.valueLossGrowth * median) out.push(`Value loss ${last(valueLoss).toPrecision(3)} is over ${HEALTH_THRESHOLDS.valueLossGrowth}× its early level: it is exploding; lower learning_rate or vf_coef.`);
  }
  return out;
}

/** healthWarnings of a run's update records. */
export function ppoWarnings(updates: readonly UpdateRecord[]): string[] {
  const series = (key: string, sign = 1) => updates.map((u) => sign * (u.metrics[key] ?? NaN));
  return healthWarnings(series('train/entropy_loss', -1), series('train/approx_kl'), series('train/value_loss'));
}

const T = HEALTH_THRESHOLDS;

export const PPO_CHARTS: readonly MetricChart[] = [
  {
    title: `Entropy (warning below ${T.entropyLow})`,
    // the good band starts where 3 actions allow (ln 3 = 1.10 at most)
    bands: [{ from: 0, to: T.entropyLow, color: 'rgba(196,60,60,0.10)' }, { from: Math.min(T.entropyGood, 0.75 * Math.log(3)), to: 100, color: 'rgba(43,138,75,0.08)' }],
    lines: [{ key: 'train/entropy_loss', negate: true, label: 'entropy', color: '#7b4fd6' }],
  },
  {
    title: `Approx. KL (good below ${T.klGood}, warning above ${T.klHigh}) and clip fraction`,
    bands: [{ from: 0, to: T.klGood, color: 'rgba(43,138,75,0.08)' }, { from: T.klHigh, to: 100, color: 'rgba(196,60,60,0.10)' }],
    lines: [{ key: 'train/approx_kl', label: 'approx_kl', color: '#c47a00' }, { key: 'train/clip_fraction', label: 'clip_fraction', color: '#5a6b7d' }],
  },
  { title: 'Value loss', lines: [{ key: 'train/value_loss', label: 'value_loss', color: '#c43c3c' }] },
  { title: 'Explained variance', lines: [{ key: 'train/explained_variance', label: 'explained_variance', color: '#2f7de1' }] },
  { title: 'Steps per second', lines: [{ key: 'time/fps', label: 'fps', color: '#5a6b7d' }] },
];
