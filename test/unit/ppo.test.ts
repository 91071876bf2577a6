import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { PpoTrainer, type PpoCheckpoint } from '../../src/algos/ppo/trainer';
import { DEFAULT_PPO, type PpoHyperparameters } from '../../src/algos/ppo/hyperparameters';
import { MemorySink } from './memorySink';
import { SignalEnv } from './toyEnv';

beforeAll(async () => {
  await tf.setBackend('cpu');
});


const hp = (over: Partial<PpoHyperparameters> = {}): PpoHyperparameters => ({
  ...DEFAULT_PPO,
  n_envs: 4,
  n_steps: 64,
  batch_size: 64,
  n_epochs: 4,
  net_arch: [32, 32],
  learning_rate: 3e-3,
  total_timesteps: 4096,
  eval_freq: 1024,
  n_eval_episodes: 4,
  save_freq: 2048,
  seed: 7,
  target_kl: null,
  ...over,
});

async function run(h: PpoHyperparameters, forbidden: number[] = [], resume?: PpoCheckpoint) {
  const sink = new MemorySink();
  const env = new SignalEnv(h.n_envs, h.seed + 1, 16, forbidden);
  const trainer = await PpoTrainer.create({ hp: h, env, makeEvalEnv: (n, seed) => new SignalEnv(n, seed, 16, forbidden), sink, resume });
  const outcome = await trainer.train();
  return { sink, trainer, outcome };
}

describe('PPO', () => {
  it('learns a signal a random policy cannot use, within a bounded budget', async () => {
    const h = hp({ total_timesteps: 4096 });
    const env = new SignalEnv(h.n_envs, 8);
    const sink = new MemorySink();
    const trainer = await PpoTrainer.create({ hp: h, env, makeEvalEnv: (n, seed) => new SignalEnv(n, seed), sink });
    // the untrained policy's greedy choice ignores the signal: about 16 / 3 per episode
    const before = (await trainer.evaluate()).mean_reward;
    await trainer.train();
    const last = sink.evaluations[sink.evaluations.length - 1].mean_reward;
    expect(before).toBeLessThan(11);
    expect(last).toBeGreaterThan(14);
    expect(sink.updates.every((u) => Number.isFinite(u.metrics['train/value_loss']!) && Number.isFinite(u.metrics['train/approx_kl']!))).toBe(true);
    expect(sink.updates[0].metrics).toHaveProperty(['train/explained_variance']);
    expect(sink.updates.at(-1)!.metrics['train/learning_rate']!).toBeLessThan(sink.updates[0].metrics['train/learning_rate']!);
    trainer.dispose();
  });

  it('keeps the number of tensors flat across updates', async () => {
    const { sink, trainer } = await run(hp({ total_timesteps: 256 * 8, eval_freq: 100_000, save_freq: 100_000 }));
    const counts = sink.tensorsAfterUpdate;
    expect(counts.length).toBe(8);
    expect(new Set(counts.slice(1)).size).toBe(1);
    trainer.dispose();
  });

  it('never takes a masked action', async () => {
    const { sink, trainer } = await run(hp({ total_timesteps: 2048, ent_coef: 0.1 }), [2]);
    expect(sink.episodes_.length).toBeGreaterThan(0);
    // action 2 is never the signal and never allowed: a policy that obeys the mask scores on a/b only
    const { action, probs } = await trainer.predict(new Float32Array([0, 0, 1, 0]), new Uint8Array([1, 1, 0]));
    expect(action).not.toBe(2);
    expect(probs[2]).toBe(0);
    trainer.dispose();
  });

  it('resumed from a checkpoint, continues exactly as the uninterrupted run', async () => {
    const h = hp({ total_timesteps: 4096, save_freq: 2048, eval_freq: 1024 });
    const whole = await run(h);
    const mid = whole.sink.checkpoints.find((c) => c.kind === 'periodic' && c.step === 2048);
    expect(mid).toBeDefined();
    // round-trip through JSON, as a stored checkpoint would be
    const stored = JSON.parse(JSON.stringify(mid, (_k, v) => (v instanceof Float32Array ? Array.from(v) : v)));
    stored.weights = stored.weights.map((w: { values: number[] }) => ({ ...w, values: Float32Array.from(w.values) }));
    for (const k of ['m', 'v']) stored.optimizer[k] = stored.optimizer[k].map((w: { values: number[] }) => ({ ...w, values: Float32Array.from(w.values) }));
    const resumed = await run(h, [], stored as PpoCheckpoint);
    const finalA = whole.sink.checkpoints.at(-1)!;
    const finalB = resumed.sink.checkpoints.at(-1)!;
    expect(finalB.step).toBe(finalA.step);
    for (let i = 0; i < finalA.weights.length; i++) expect(Array.from(finalB.weights[i].values)).toEqual(Array.from(finalA.weights[i].values));
    const tail = (s: typeof whole.sink) => s.updates.filter((u) => u.step > 2048).map((u) => [u.metrics['train/value_loss'], u.metrics['train/approx_kl'], u.metrics['rollout/ep_rew_mean']]);
    expect(tail(resumed.sink)).toEqual(tail(whole.sink));
    expect(resumed.sink.evaluations.map((e) => e.mean_reward)).toEqual(whole.sink.evaluations.filter((e) => e.step > 2048).map((e) => e.mean_reward));
    whole.trainer.dispose();
    resumed.trainer.dispose();
  });

  it('stops a diverging run with a clear error', async () => {
    const sink = new MemorySink();
    const env = new SignalEnv(4, 3);
    const trainer = await PpoTrainer.create({ hp: hp({ total_timesteps: 1024 }), env, makeEvalEnv: (n, s) => new SignalEnv(n, s), sink });
    // a NaN reward poisons the returns and so the value loss
    const step = env.step.bind(env);
    env.step = (a) => { step(a); env.rewards[0] = NaN; };
    await expect(trainer.train()).rejects.toThrow(/^training diverged at update 1: the (policy|value) loss is not a finite number \(NaN or Infinity\); the run stopped and its last good checkpoint is kept$/);
    trainer.dispose();
  });
});
