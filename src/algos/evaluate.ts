// The one evaluation of a policy on an environment, for training's evaluations and for "Play the
// policy" alike: every copy plays one episode from reset, greedily (the policy's argmax among the
// actions the mask allows), until each has finished; the rewards and each copy's episode record.
import type { VecEnv } from '../core/env/types';
import { playOneEpisodeEach } from '../core/eval/walk';

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
  env.reset();
  env.drainEpisodes();
  const totals = new Float64Array(env.numEnvs);
  const records: unknown[] = new Array(env.numEnvs).fill(null);
  await playOneEpisodeEach(env, async (actions, playing) => {
    await policy.act(env.obs, env.masks, env.numEnvs, actions);
    beforeStep?.(actions, playing);
  }, (i, _action, record) => {
    totals[i] += env.rewards[i];
    if (record !== undefined) records[i] = record;
  });
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

export { meanStd } from '../core/eval/stats';
