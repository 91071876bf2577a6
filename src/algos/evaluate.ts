// The one evaluation of a policy on an environment, for training's evaluations and for "Play the
// policy" alike: every copy plays one episode from reset, greedily (the policy's argmax among the
// actions the mask allows), until each has finished; the rewards and each copy's episode record.
import type { VecEnv } from '../core/env/types';

/** A policy that picks one action per copy from the environment's raw observations and masks. */
export interface GreedyPolicy {
  act(obs: Float32Array, masks: Uint8Array, n: number, out: Int32Array): Promise<void>;
}

export interface PlayedEpisodes {
  /** Each copy's total reward over its first episode. */
  rewards: number[];
  /** Each copy's first episode record (the environment's detailed record). */
  records: unknown[];
}

/**
 * Plays one episode per copy. `beforeStep` sees the actions chosen at each step, before they are
 * taken, with the copies still playing (inference marks trades there).
 */
export async function playEpisodes(policy: GreedyPolicy, env: VecEnv, beforeStep?: (actions: Int32Array, playing: Uint8Array) => void): Promise<PlayedEpisodes> {
  const n = env.numEnvs;
  env.reset();
  env.drainEpisodes();
  const actions = new Int32Array(n);
  const totals = new Float64Array(n);
  const playing = new Uint8Array(n).fill(1);
  const records: unknown[] = new Array(n).fill(null);
  let remaining = n;
  for (let guard = 0; remaining > 0 && guard < 1_000_000; guard++) {
    await policy.act(env.obs, env.masks, n, actions);
    beforeStep?.(actions, playing);
    env.step(actions);
    const finished = env.drainEpisodes();
    let k = 0;
    for (let i = 0; i < n; i++) {
      const done = env.dones[i] === 1;
      const record = done ? finished[k++] : undefined;
      if (!playing[i]) continue;
      totals[i] += env.rewards[i];
      if (done) {
        playing[i] = 0;
        records[i] = record ?? null;
        remaining--;
      }
    }
  }
  return { rewards: Array.from(totals), records };
}

/** The index of the largest allowed value in row i of [n, A] scores (the first on ties); 0 when none is allowed. */
export function maskedArgmax(scores: ArrayLike<number>, masks: Uint8Array, i: number, A: number, stride = A): number {
  let best = -1;
  for (let a = 0; a < A; a++) {
    if (!masks[i * A + a]) continue;
    if (best < 0 || scores[i * stride + a] > scores[i * stride + best]) best = a;
  }
  return best < 0 ? 0 : best;
}

/** Mean and (population) standard deviation. */
export function meanStd(xs: readonly number[]): { mean: number; std: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  return { mean, std: Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, xs.length)) };
}
