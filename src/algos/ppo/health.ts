// Seed 001's signs that PPO is unwell, read off the per-update metrics, and the charts that show
// them with their good and warning bands.
import type { MetricChart } from '../../core/run/charts';
import type { EvaluationRecord, UpdateRecord } from '../../core/run/contracts';
import type { HealthInput, HealthWarning } from '../../core/run/warnings';

export const HEALTH_THRESHOLDS = {
  entropyLow: 0.5, // below: the policy has collapsed; raise ent_coef
  entropyGood: 1.5,
  klGood: 0.05,
  klHigh: 0.1, // at or above: updates too large; lower learning_rate
  valueLossGrowth: 10, // the latest value loss over the early runs' median
  // a run that learns nothing (the default sample run's figures: approx_kl 0.0000–0.0025, explained
  // variance −0.12 to +0.05 over 25 updates, its greedy policy buy-and-hold at every evaluation)
  klTiny: 0.003, // below (median of the last `window` updates): the policy barely moves
  evNearZero: 0.2, // |explained variance| below (median of the last `window`): the critic predicts nothing
  uniformShare: 0.9, // entropy at or above this share of the first update's: the action mix stays as it began (uniform)
  uniformFloor: 0.65, // ... where the first update's was near uniform (a fresh policy's is ln A ≥ ln 2 = 0.69)
  flatPnl: 0.01, // an evaluation within this many percentage points of a fixed baseline is that baseline
  window: 5,
  judgeFrom: 10, // the update from which "learns nothing" is judged (the first ones have hardly started)
  startCollapse: 0.5, // a run started from a trained policy: low entropy warns only below this share of its first update's
} as const;

const H = HEALTH_THRESHOLDS;

/** Whether a value lies in a chart band (half-open, [from, to)), as warnings and bands both read it. */
export function inBand(v: number, band: { from: number; to: number }): boolean {
  return v >= band.from && v < band.to;
}

export const ENTROPY_LOW_BAND = { from: 0, to: H.entropyLow };
// the good band starts where 3 actions allow (ln 3 = 1.10 at most)
export const ENTROPY_GOOD_BAND = { from: Math.min(H.entropyGood, 0.75 * Math.log(3)), to: 100 };
export const KL_TINY_BAND = { from: 0, to: H.klTiny };
export const KL_GOOD_BAND = { from: H.klTiny, to: H.klGood };
export const KL_HIGH_BAND = { from: H.klHigh, to: 100 };
export const EV_ZERO_BAND = { from: -H.evNearZero, to: H.evNearZero };

/** A value shown beside the threshold it crossed, never rounded across it (0.4996 is "0.499", not "0.50"). */
const below = (v: number, digits = 3) => (Math.floor(v * 10 ** digits) / 10 ** digits).toFixed(digits);

const median = (xs: number[]) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return s.length ? s[s.length >> 1] : NaN;
};

/** Warnings for the latest update, in plain words (texts only; see ppoHealth for their keys). */
export function healthWarnings(entropy: number[], approxKl: number[], valueLoss: number[]): string[] {
  return seriesHealth({ entropy, approxKl, valueLoss, explainedVariance: [] }, [], false).map((w) => w.text);
}

interface Series { entropy: number[]; approxKl: number[]; valueLoss: number[]; explainedVariance: number[] }

function seriesHealth(s: Series, evaluations: readonly EvaluationRecord[], startedFromPolicy: boolean): HealthWarning[] {
  const { entropy, approxKl, valueLoss, explainedVariance } = s;
  const out: HealthWarning[] = [];
  const last = (xs: number[]) => xs[xs.length - 1];
  if ([last(entropy), last(approxKl), last(valueLoss)].some((v) => v !== undefined && !Number.isFinite(v))) {
    return [{ key: 'diverged', text: 'A metric is NaN or infinite: training has diverged.' }];
  }
  const e = last(entropy);
  if (entropy.length && inBand(e, ENTROPY_LOW_BAND)) {
    // a policy started from behavior cloning is confident from its first update: judged against where it began
    if (!startedFromPolicy) out.push({ key: 'entropy_low', text: `Entropy ${below(e)} < ${H.entropyLow}: the agent has stopped exploring; increase ent_coef.` });
    else if (e < H.startCollapse * entropy[0]) out.push({ key: 'entropy_low', text: `Entropy ${below(e)} fell below ${H.startCollapse}× the ${entropy[0].toFixed(2)} the starting policy had: the agent has stopped exploring; increase ent_coef.` });
  }
  if (approxKl.length && inBand(last(approxKl), KL_HIGH_BAND)) out.push({ key: 'kl_high', text: `KL ${last(approxKl).toFixed(3)} ≥ ${H.klHigh}: updates are too large; lower learning_rate.` });
  if (valueLoss.length >= 5) {
    const early = valueLoss.slice(0, Math.min(10, valueLoss.length - 1)).slice().sort((a, b) => a - b);
    const m = early[early.length >> 1];
    if (m > 0 && last(valueLoss) > H.valueLossGrowth * m) out.push({ key: 'value_loss_exploding', text: `Value loss ${last(valueLoss).toPrecision(3)} is over ${H.valueLossGrowth}× its early level: it is exploding; lower learning_rate or vf_coef.` });
  }
  const nothing = learnsNothing(s, evaluations, startedFromPolicy);
  if (nothing) out.push({ key: 'learns_nothing', text: nothing });
  return out;
}

/** What the latest evaluation says of a policy that learned nothing, or null. */
function flatEvaluation(evaluations: readonly EvaluationRecord[]): string | null {
  const e = evaluations.at(-1);
  if (!e) return null;
  const m = e.net_pnl_pct?.mean;
  const b = e.baselines;
  if (m !== undefined && b) {
    const r = b.random?.net_pnl_pct;
    if (r && m >= r.p5 && m <= r.p95) return `its evaluation (${m.toFixed(2)} % per window) lies inside the random policy's band (${r.p5.toFixed(2)} to ${r.p95.toFixed(2)} %)`;
    const fixed = [...(b.buy_and_hold ? [{ label: 'buy-and-hold', v: b.buy_and_hold.net_pnl_pct.mean }] : []), ...Object.values(b.fixed).map((f) => ({ label: f.label, v: f.net_pnl_pct.mean }))];
    const same = fixed.find((f) => Math.abs(f.v - m) < H.flatPnl);
    if (same) return `its evaluation (${m.toFixed(2)} % per window) is ${same.label}'s`;
    return null;
  }
  // runs without net P&L: the same reward at the last three evaluations
  const tail = evaluations.slice(-3).map((x) => x.mean_reward);
  return tail.length === 3 && tail.every((v) => Math.abs(v - tail[0]) < 1e-9) ? `its last three evaluations scored the same (${tail[0].toFixed(3)})` : null;
}

function learnsNothing(s: Series, evaluations: readonly EvaluationRecord[], startedFromPolicy: boolean): string | null {
  const n = s.approxKl.length;
  if (n < H.judgeFrom) return null;
  const kl = median(s.approxKl.slice(-H.window));
  const ev = median(s.explainedVariance.slice(-H.window));
  if (!(inBand(kl, KL_TINY_BAND) && inBand(ev, EV_ZERO_BAND))) return null;
  const e = s.entropy.at(-1)!, e0 = s.entropy[0];
  const uniform = !startedFromPolicy && e0 >= H.uniformFloor && e >= H.uniformShare * e0 ? `its action mix stays as uniform as it began (entropy ${e.toFixed(2)} of ${e0.toFixed(2)})` : null;
  const flat = flatEvaluation(evaluations);
  if (!uniform && !flat) return null;
  return `The run is learning nothing: approx. KL ${kl.toExponential(1)} (< ${H.klTiny}) and explained variance ${ev.toFixed(2)} (within ±${H.evNearZero}) over the last ${H.window} updates, and ${[uniform, flat].filter(Boolean).join('; ')}. Try a larger learning_rate or ent_coef, a reward that pays for the decisions (fees, shaping), or more steps.`;
}

/** PPO's health check of a run so far: each warning under its key. */
export function ppoHealth(input: HealthInput): HealthWarning[] {
  const { updates } = input;
  const series = (key: string, sign = 1) => updates.map((u) => sign * (u.metrics[key] ?? NaN));
  return seriesHealth(
    { entropy: series('train/entropy_loss', -1), approxKl: series('train/approx_kl'), valueLoss: series('train/value_loss'), explainedVariance: series('train/explained_variance') },
    input.evaluations ?? [], input.startedFromPolicy ?? false,
  );
}

/** ppoHealth's texts of a run's update records. */
export function ppoWarnings(updates: readonly UpdateRecord[]): string[] {
  return ppoHealth({ updates }).map((w) => w.text);
}

const T = HEALTH_THRESHOLDS;

export const PPO_CHARTS: readonly MetricChart[] = [
  {
    title: `Entropy (warning below ${T.entropyLow})`,
    bands: [{ ...ENTROPY_LOW_BAND, color: 'rgba(196,60,60,0.10)' }, { ...ENTROPY_GOOD_BAND, color: 'rgba(43,138,75,0.08)' }],
    lines: [{ key: 'train/entropy_loss', negate: true, label: 'entropy', color: '#7b4fd6' }],
  },
  {
    title: `Approx. KL (good ${T.klTiny}–${T.klGood}, warning at ${T.klHigh} and above; below ${T.klTiny} the policy barely moves) and clip fraction`,
    bands: [{ ...KL_TINY_BAND, color: 'rgba(196,122,0,0.12)' }, { ...KL_GOOD_BAND, color: 'rgba(43,138,75,0.08)' }, { ...KL_HIGH_BAND, color: 'rgba(196,60,60,0.10)' }],
    lines: [{ key: 'train/approx_kl', label: 'approx_kl', color: '#c47a00' }, { key: 'train/clip_fraction', label: 'clip_fraction', color: '#5a6b7d' }],
  },
  { title: 'Value loss', lines: [{ key: 'train/value_loss', label: 'value_loss', color: '#c43c3c' }] },
  { title: `Explained variance (near zero, within ±${T.evNearZero}: the critic predicts nothing)`, bands: [{ ...EV_ZERO_BAND, color: 'rgba(196,122,0,0.12)' }], lines: [{ key: 'train/explained_variance', label: 'explained_variance', color: '#2f7de1' }] },
  { title: 'Steps per second', lines: [{ key: 'time/fps', label: 'fps', color: '#5a6b7d' }] },
];
