// GRPO's scorers and its group-relative advantages. A scorer is one function from a group of
// trajectories that faced the same market window (with that window's data as ground truth) to one
// score each, or null for a trajectory it cannot score; a group-relative judge (as seed 004's
// RULER is) fits the same interface. Pure TypeScript: no TensorFlow.js.
import type { EnvData } from '../../core/env/spec';

/** One trajectory of a group: its steps in the window, each step's reward and net P&L, its episode record. */
export interface Trajectory {
  /** Steps taken (fewer than the window's when the episode ended early). */
  length: number;
  rewards: ArrayLike<number>;
  /** Net P&L of each step after every cost, a fraction of the starting balance (sums to the net return). */
  pnl: ArrayLike<number>;
  /** The finished episode's record, when it finished inside the window. */
  record: unknown;
}

/** The market window a group faced: its first row and length in the environment's data. */
export interface ScoringWindow {
  data: EnvData;
  startRow: number;
  steps: number;
}

export interface Scorer {
  key: string;
  label: string;
  score(group: readonly Trajectory[], window: ScoringWindow, settings: { drawdown_penalty: number }): (number | null)[];
}

function netPct(t: Trajectory): number {
  let s = 0;
  for (let k = 0; k < t.length; k++) s += t.pnl[k];
  return s * 100;
}

/** Per-step returns on what the trajectory held before each step, and the deepest fall of its equity. */
function path(t: Trajectory): { returns: number[]; maxDrawdown: number } {
  const returns: number[] = [];
  let equity = 1, peak = 1, maxDrawdown = 0;
  for (let k = 0; k < t.length; k++) {
    returns.push(equity > 0 ? t.pnl[k] / equity : 0);
    equity += t.pnl[k];
    if (equity > peak) peak = equity;
    else if (peak > 0 && 1 - equity / peak > maxDrawdown) maxDrawdown = 1 - equity / peak;
  }
  return { returns, maxDrawdown };
}

export const SCORERS: readonly Scorer[] = [
  { key: 'net_pnl', label: 'net P&L after fees and slippage, %', score: (group) => group.map(netPct) },
  {
    key: 'sharpe',
    label: 'Sharpe ratio of the trajectory (per-step mean / std × √steps); a trajectory whose returns never vary cannot be scored',
    score: (group) => group.map((t) => {
      const { returns } = path(t);
      if (returns.length < 2) return null;
      const mean = returns.reduce((a, b) => a + b, 0) / returns.length;
      const std = Math.sqrt(returns.reduce((a, b) => a + (b - mean) ** 2, 0) / returns.length);
      return std > 1e-12 ? (mean / std) * Math.sqrt(returns.length) : null;
    }),
  },
  { key: 'pnl_drawdown', label: 'net P&L % minus drawdown_penalty × max drawdown %', score: (group, _w, s) => group.map((t) => netPct(t) - s.drawdown_penalty * path(t).maxDrawdown * 100) },
  {
    key: 'reward',
    label: "the environment's reward summed over the trajectory",
    score: (group) => group.map((t) => { let s = 0; for (let k = 0; k < t.length; k++) s += t.rewards[k]; return s; }),
  },
];

export function scorerOf(key: string): Scorer {
  const s = SCORERS.find((x) => x.key === key);
  if (!s) throw new Error(`unknown scorer "${key}" (${SCORERS.map((x) => x.key).join(', ')})`);
  return s;
}

export type ScaleRewards = 'group' | 'batch' | 'none';

export interface GroupAdvantages {
  /** One per trajectory, group after group; 0 for a trajectory without a score. */
  advantages: Float64Array;
  /** Groups whose scores are all equal (no gradient), and groups in all. */
  zeroStdGroups: number;
  /** Per group, 1 where its scores are all equal. */
  zeroStd: Uint8Array;
  groups: number;
  unscored: number;
  /** Mean score of the scored trajectories, and the mean of the groups' standard deviations. */
  meanScore: number;
  meanGroupStd: number;
}

const sampleStd = (xs: number[], mean: number) => (xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)) : 0);

/**
 * Advantage of trajectory i in its group: (score_i − group mean) / (std + 1e-4), the std being the
 * group's (`group`, TRL's default), the whole batch's (`batch`), or none (`none`, Dr. GRPO).
 * Standard deviations are unbiased, as torch's; unscored trajectories are left out of the statistics.
 */
export function groupAdvantages(scores: readonly (number | null)[], groupSize: number, scale: ScaleRewards): GroupAdvantages {
  const n = scores.length, groups = Math.floor(n / groupSize);
  const advantages = new Float64Array(n);
  const scored = scores.flatMap((s) => (s === null || !Number.isFinite(s) ? [] : [s]));
  const batchStd = sampleStd(scored, scored.reduce((a, b) => a + b, 0) / Math.max(1, scored.length));
  let zeroStdGroups = 0, stdSum = 0;
  const zeroStd = new Uint8Array(groups);
  for (let g = 0; g < groups; g++) {
    const members: number[] = [];
    for (let i = g * groupSize; i < (g + 1) * groupSize; i++) if (scores[i] !== null && Number.isFinite(scores[i])) members.push(i);
    const values = members.map((i) => scores[i] as number);
    const mean = values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
    const std = sampleStd(values, mean);
    stdSum += std;
    if (Math.abs(std) <= 1e-8) { zeroStdGroups++; zeroStd[g] = 1; }
    const divisor = scale === 'group' ? std + 1e-4 : scale === 'batch' ? batchStd + 1e-4 : 1;
    for (const i of members) advantages[i] = ((scores[i] as number) - mean) / divisor;
  }
  return {
    advantages, zeroStdGroups, zeroStd, groups, unscored: n - scored.length,
    meanScore: scored.length ? scored.reduce((a, b) => a + b, 0) / scored.length : NaN,
    meanGroupStd: groups ? stdSum / groups : NaN,
  };
}

export type LossType = 'grpo' | 'dr_grpo' | 'dapo';

/**
 * Each step's weight in the loss, so that Σ weight × per-step loss is the loss_type's aggregate
 * over these trajectories: `grpo` each trajectory's mean over its steps then their mean, `dr_grpo`
 * the sum over (trajectories × max length), `dapo` the sum over all steps. `alive[k·L + t]` is 1
 * for the steps trajectory k took; a trajectory with `included[k]` 0 (left out) gets no weight.
 */
export function stepWeights(lossType: LossType, alive: ArrayLike<number>, included: ArrayLike<number>, trajectories: number, steps: number, out: Float32Array): void {
  let kept = 0, aliveSteps = 0;
  for (let k = 0; k < trajectories; k++) {
    if (!included[k]) continue;
    kept++;
    for (let t = 0; t < steps; t++) aliveSteps += alive[k * steps + t];
  }
  for (let k = 0; k < trajectories; k++) {
    let length = 0;
    for (let t = 0; t < steps; t++) length += alive[k * steps + t];
    for (let t = 0; t < steps; t++) {
      const a = included[k] ? alive[k * steps + t] : 0;
      out[k * steps + t] = !a ? 0 : lossType === 'grpo' ? 1 / (length * kept) : lossType === 'dr_grpo' ? 1 / (kept * steps) : 1 / aliveSteps;
    }
  }
}
