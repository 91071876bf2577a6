// GRPO: advantages and loss against values computed independently with numpy
// (test/fixtures/grpo_reference.py) for every loss_type and scale_rewards; then the trainer:
// it learns, keeps tensors flat, honours masks, resumes exactly, and reports TRL's metrics.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_GRPO, type GrpoHyperparameters } from '../../src/algos/grpo/hyperparameters';
import { grpoObjective, objectiveConstants } from '../../src/algos/grpo/learner';
import { groupAdvantages, stepWeights, type LossType, type ScaleRewards } from '../../src/algos/grpo/scorers';
import { GrpoTrainer, type GrpoCheckpoint } from '../../src/algos/grpo/trainer';
import { MemorySink } from './memorySink';
import { SignalEnv } from './toyEnv';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

interface Reference {
  group_size: number; groups: number; steps: number; scores: (number | null)[]; lengths: number[];
  logp_old: number[][]; logp_new: number[][]; logp_ref: number[][]; epsilon: number; epsilon_high: number; beta: number;
  advantages: Record<ScaleRewards, number[]>; zero_std_groups: Record<ScaleRewards, number>;
  loss: Record<string, { loss: number; clip_low: number; clip_high: number; clip_region: number; kl: number }>;
}
const REF = JSON.parse(readFileSync(resolve(import.meta.dirname, '../fixtures/grpo_reference.json'), 'utf8')) as Reference;

describe('GRPO advantages and loss against numpy', () => {
  const N = REF.group_size * REF.groups, L = REF.steps;
  const flat = (m: number[][]) => Float32Array.from(m.flat());
  const alive = Float32Array.from({ length: N * L }, (_, s) => ((s % L) < REF.lengths[Math.floor(s / L)] ? 1 : 0));
  const aliveCount = alive.reduce((a, b) => a + b, 0);
  const share = alive.map((a) => a / aliveCount);

  for (const scale of ['group', 'batch', 'none'] as const) {
    it(`advantages with scale_rewards ${scale}: group-relative, unscored trajectories 0, equal groups counted`, () => {
      const a = groupAdvantages(REF.scores, REF.group_size, scale);
      Array.from(a.advantages).forEach((v, i) => expect(v).toBeCloseTo(REF.advantages[scale][i], 6));
      expect(a.zeroStdGroups).toBe(REF.zero_std_groups[scale]);
      expect(a.unscored).toBe(1);
    });
    for (const lossType of ['grpo', 'dr_grpo', 'dapo'] as LossType[]) {
      for (const withBeta of [false, true]) {
        it(`loss ${lossType}, ${scale}, ${withBeta ? 'with' : 'without'} the KL term`, () => {
          const want = REF.loss[`${scale}/${lossType}/${withBeta ? 'beta' : 'nobeta'}`];
          const adv = groupAdvantages(REF.scores, REF.group_size, scale).advantages;
          const weights = new Float32Array(N * L);
          stepWeights(lossType, alive, new Uint8Array(N).fill(1), N, L, weights);
          const k = objectiveConstants(REF.epsilon, REF.epsilon_high, withBeta ? REF.beta : 0);
          const got = tf.tidy(() => {
            const o = grpoObjective(tf.tensor1d(flat(REF.logp_new)), tf.tensor1d(flat(REF.logp_old)), withBeta ? tf.tensor1d(flat(REF.logp_ref)) : null,
              tf.tensor1d(Float32Array.from({ length: N * L }, (_, s) => adv[Math.floor(s / L)])), tf.tensor1d(weights), tf.tensor1d(share), k);
            return [o.loss, o.kl, o.clipLow, o.clipHigh, o.clipRegion].map((t) => t.dataSync()[0]);
          });
          tf.dispose(Object.values(k));
          expect(got[0]).toBeCloseTo(want.loss, 5);
          if (withBeta) expect(got[1]).toBeCloseTo(want.kl, 5);
          expect(got[2]).toBeCloseTo(want.clip_low, 6);
          expect(got[3]).toBeCloseTo(want.clip_high, 6);
          expect(got[4]).toBeCloseTo(want.clip_region, 6);
        });
      }
    }
  }
});


const hp = (over: Partial<GrpoHyperparameters> = {}): GrpoHyperparameters => {
  const h = { ...DEFAULT_GRPO, num_windows: 4, group_size: 8, max_steps: 16, net_arch: [32, 32], learning_rate: 3e-3, total_timesteps: 8192, eval_freq: 2048, n_eval_episodes: 4, save_freq: 4096, seed: 7, scorer: 'reward', ...over };
  return { ...h, n_envs: h.num_windows * h.group_size, n_steps: h.max_steps };
};
const DATA = { rows: 1000, firstValidRow: 0, time: new Float64Array(1000) };

async function run(h: GrpoHyperparameters, forbidden: number[] = [], resume?: GrpoCheckpoint) {
  const sink = new MemorySink();
  const env = new SignalEnv(h.n_envs, h.seed + 1, h.n_steps, forbidden);
  const trainer = await GrpoTrainer.create({ hp: h, env, makeEvalEnv: (n, seed) => new SignalEnv(n, seed, 16, forbidden), sink, resume, segment: { start: 0, end: 1000 }, data: DATA });
  const outcome = await trainer.train();
  return { sink, trainer, outcome };
}

describe('GRPO trainer', () => {
  it('learns a signal from group-relative scores alone, no critic, and reports TRL\u2019s metrics', async () => {
    const h = hp({ total_timesteps: 8192, eval_freq: 4096 });
    const sink = new MemorySink();
    const trainer = await GrpoTrainer.create({ hp: h, env: new SignalEnv(h.n_envs, 8, h.n_steps), makeEvalEnv: (n, seed) => new SignalEnv(n, seed), sink, segment: { start: 0, end: 1000 }, data: DATA });
    // the untrained policy's greedy choice ignores the signal: about 16 / 3 per episode
    const before = (await trainer.evaluate()).mean_reward;
    await trainer.train();
    expect(before).toBeLessThan(11);
    expect(sink.evaluations.at(-1)!.mean_reward).toBeGreaterThan(14);
    const m = sink.updates.at(-1)!.metrics;
    for (const key of ['reward', 'reward_std', 'frac_reward_zero_std', 'kl', 'entropy', 'clip_ratio/low_mean', 'clip_ratio/high_mean', 'clip_ratio/region_mean', 'loss', 'learning_rate', 'net_pnl_pct']) expect(Number.isFinite(m[key]), key).toBe(true);
    // one trajectory per copy per iteration: W × G episodes of the window's length
    expect(sink.episodes_.length).toBe(32 * sink.updates.length);
    trainer.dispose();
  });

  it('keeps the number of tensors flat across updates, a KL reference included', async () => {
    const { sink, trainer } = await run(hp({ total_timesteps: 512 * 6, eval_freq: 100_000, save_freq: 100_000, beta: 0.04 }));
    expect(sink.tensorsAfterUpdate.length).toBe(6);
    expect(new Set(sink.tensorsAfterUpdate.slice(1)).size).toBe(1);
    expect(sink.updates.at(-1)!.metrics.kl).toBeGreaterThan(0);
    trainer.dispose();
  });

  it('never takes a masked action', async () => {
    const { trainer } = await run(hp({ total_timesteps: 2048 }), [2]);
    const { action, probs } = await trainer.predict(new Float32Array([0, 0, 1, 0]), new Uint8Array([1, 1, 0]));
    expect(action).not.toBe(2);
    expect(probs[2]).toBe(0);
    trainer.dispose();
  });

  it('leaves out at most 30 % of the trajectories above max_trajectories, and counts groups that scored alike', async () => {
    // every trajectory of a 1-step window on a 3-way signal scores 0 or 1: many groups score alike
    const { sink, trainer } = await run(hp({ total_timesteps: 512, max_steps: 1, num_windows: 8, group_size: 4, num_minibatches: 2, max_trajectories: 10, eval_freq: 100_000 }));
    const m = sink.updates[0].metrics;
    expect(m.dropout_fraction).toBeCloseTo(Math.floor(0.3 * 32) / 32, 9);
    expect(m.frac_reward_zero_std).toBeGreaterThan(0);
    trainer.dispose();
    const dyn = await run(hp({ total_timesteps: 512, max_steps: 1, num_windows: 8, group_size: 4, num_minibatches: 2, dynamic_sampling: true, eval_freq: 100_000 }));
    const d = dyn.sink.updates[0].metrics;
    // redrawn groups replace those that scored alike: fewer of them remain, at the cost of more passes
    expect(d.sampling_passes).toBeGreaterThan(1);
    expect(d.frac_reward_zero_std).toBeLessThan(m.frac_reward_zero_std!);
    // a redrawn group's steps are the ones its scores came from: the advantages follow from the buffer's rewards
    const b = (dyn.trainer as unknown as { buffer: { rewards: Float32Array; advantages: Float32Array } }).buffer;
    const again = groupAdvantages(Array.from(b.rewards), 4, 'group').advantages;
    Array.from(again).forEach((v, i) => expect(b.advantages[i]).toBeCloseTo(v, 5));
    dyn.trainer.dispose();
  });

  it('resumed from a checkpoint, continues exactly as the uninterrupted run', async () => {
    const h = hp({ total_timesteps: 4096, save_freq: 2048, eval_freq: 1024, beta: 0.02 });
    const whole = await run(h);
    const mid = whole.sink.checkpoints.find((c) => c.kind === 'periodic' && c.step === 2048);
    expect(mid).toBeDefined();
    const stored = JSON.parse(JSON.stringify(mid, (_k, v) => (v instanceof Float32Array ? Array.from(v) : v)));
    stored.weights = stored.weights.map((w: { values: number[] }) => ({ ...w, values: Float32Array.from(w.values) }));
    for (const k of ['m', 'v']) stored.optimizer[k] = stored.optimizer[k].map((w: { values: number[] }) => ({ ...w, values: Float32Array.from(w.values) }));
    const resumed = await run(h, [], stored as GrpoCheckpoint);
    const finalA = whole.sink.checkpoints.at(-1)!, finalB = resumed.sink.checkpoints.at(-1)!;
    expect(finalB.step).toBe(finalA.step);
    for (let i = 0; i < finalA.weights.length; i++) expect(Array.from(finalB.weights[i].values)).toEqual(Array.from(finalA.weights[i].values));
    const tail = (s: MemorySink) => s.updates.filter((u) => u.step > 2048).map((u) => [u.metrics.loss, u.metrics.kl, u.metrics.reward]);
    expect(tail(resumed.sink)).toEqual(tail(whole.sink));
    whole.trainer.dispose();
    resumed.trainer.dispose();
  });
});
