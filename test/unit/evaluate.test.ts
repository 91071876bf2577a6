// One evaluation for training and for "Play the policy": greedy among the actions the mask allows,
// one episode per copy, each copy's reward and record.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { playEpisodes } from '../../src/algos/evaluate';
import { mlpActingPolicy } from '../../src/algos/mlpPolicy';
import { SignalEnv } from './toyEnv';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('playing a policy', () => {
  it('never chooses an action the mask forbids, even the one its logits prefer', async () => {
    // one linear layer whose logits always favour action 2: [4 → 3], bias (0, 0, 10)
    const kernel = { name: 'k', shape: [4, 3], values: new Float32Array(12) };
    const bias = { name: 'b', shape: [3], values: Float32Array.from([0, 0, 10]) };
    const policy = mlpActingPolicy([kernel, bias], 'tanh', null);
    const chosen = new Set<number>();
    const env = new SignalEnv(6, 3, 16, [2]);
    const played = await playEpisodes(policy, env, (actions, playing) => { for (let i = 0; i < 6; i++) if (playing[i]) chosen.add(actions[i]); });
    expect(chosen.has(2)).toBe(false);
    expect(played.rewards).toHaveLength(6);
    expect(played.records.every((r) => r !== null && (r as { length: number }).length === 16)).toBe(true);
    // without the mask the same policy plays action 2 throughout
    const free = new Set<number>();
    await playEpisodes(policy, new SignalEnv(2, 3), (actions) => { free.add(actions[0]); free.add(actions[1]); });
    expect([...free]).toEqual([2]);
    policy.dispose();
  });
});
