// Seed 001's signs that PPO is unwell, read off the per-update metrics.

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
