// The samples behavior cloning learns from: checks, the training / validation split, class
// weights, and how per-batch figures combine into an epoch's.
import type { Rng } from '../../core/rng';
import type { BcValSplit } from './hyperparameters';
import { NUM_ACTIONS, type BcData } from './types';

/** Class weights total / (3 · count) (seed 002's weighted loss); a class with no samples gets 0. */
export function classWeights(counts: readonly number[]): number[] {
  const total = counts.reduce((a, b) => a + b, 0);
  return counts.map((c) => (c > 0 ? total / (NUM_ACTIONS * c) : 0));
}

/** Per-batch loss figures read back at the end of an epoch: [CE term, strength MSE, accuracy], each a mean over the batch's real rows. */
export const STATS = 3;

/** Checks an offline dataset and returns its sample count. */
export function checkData(data: BcData): number {
  const { states, actions, strengths, width } = data;
  if (!Number.isInteger(width) || width <= 0) throw new Error(`width must be a positive whole number (got ${width})`);
  const n = actions.length;
  if (n === 0) throw new Error('the dataset has no samples');
  if (states.length !== n * width) throw new Error(`states has ${states.length} values; ${n} samples × width ${width} = ${n * width} expected`);
  if (strengths.length !== n) throw new Error(`strengths has ${strengths.length} values, actions has ${n}`);
  for (let i = 0; i < n; i++) {
    const a = actions[i];
    if (!(a === 0 || a === 1 || a === 2)) throw new Error(`action ${a} of sample ${i} is not 0 (HOLD), 1 (BUY) or 2 (SELL)`);
    const s = strengths[i];
    if (!(s >= 0 && s <= 1)) throw new Error(`strength ${s} of sample ${i} is outside 0..1`);
  }
  for (let i = 0; i < states.length; i++) {
    if (!Number.isFinite(states[i])) throw new Error(`state value ${states[i]} of sample ${Math.floor(i / width)} (feature ${i % width}) is not finite`);
  }
  return n;
}

/** Training and validation sample indices: the last val_fraction (chronological), or a seeded random subset. */
export function splitSamples(n: number, valFraction: number, how: BcValSplit, rng: Rng): { train: Int32Array; val: Int32Array } {
  const nVal = valFraction > 0 ? Math.min(n - 1, Math.max(1, Math.floor(n * valFraction))) : 0;
  const indices = Int32Array.from({ length: n }, (_, i) => i);
  if (how === 'random') {
    for (let i = n - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      const t = indices[i]; indices[i] = indices[j]; indices[j] = t;
    }
  }
  return { train: indices.slice(0, n - nVal), val: indices.slice(n - nVal) };
}

/** An epoch's CE term, MSE and accuracy from per-batch figures, each batch weighed by its share. */
export function combine(values: Float32Array, offset: number, batches: { rows: number; ceDenominator: number }[]): { ce: number; mse: number; accuracy: number } {
  let ce = 0, ceDen = 0, mse = 0, acc = 0, rows = 0;
  batches.forEach((b, i) => {
    const base = (offset + i) * STATS;
    ce += values[base] * b.ceDenominator;
    ceDen += b.ceDenominator;
    mse += values[base + 1] * b.rows;
    acc += values[base + 2] * b.rows;
    rows += b.rows;
  });
  return { ce: ce / ceDen, mse: mse / rows, accuracy: acc / rows };
}

