// PPO on the real environments: it learns a planted edge, and a run on the real ETH/BTC sample
// completes with finite metrics. TensorFlow.js CPU backend, small networks to keep it quick.
import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PpoTrainer, type RunSink } from '../../src/algos/ppo/trainer';
import type { EvaluationRecord, UpdateRecord as UpdateMetrics } from '../../src/core/run/contracts';
import { importBytes } from '../../src/core/data/importer';
import { candleColumnsOfDataset, computeMarketFeatures } from '../../src/core/features/market';
import type { CandleColumns } from '../../src/core/features/layout';
import { Rng } from '../../src/core/rng';
import { buildEnvironments, resolveSettings } from './helpers';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Candles whose next return follows the last one (momentum): a policy that reads the latest return can profit. */
function momentumCandles(rows: number, seed: number): CandleColumns {
  const rng = new Rng(seed);
  const time = new Float64Array(rows), open = new Float64Array(rows), high = new Float64Array(rows), low = new Float64Array(rows), close = new Float64Array(rows), volume = new Float64Array(rows);
  let price = 100, r = 0;
  for (let i = 0; i < rows; i++) {
    r = 0.6 * r + 0.006 * rng.normal();
    open[i] = price;
    price *= Math.exp(r);
    close[i] = price;
    high[i] = Math.max(open[i], close[i]) * 1.001;
    low[i] = Math.min(open[i], close[i]) * 0.999;
    time[i] = Date.UTC(2024, 0, 1) + i * 300_000;
    volume[i] = 100;
  }
  return { time, open, high, low, close, volume };
}

function collector() {
  const updates: UpdateMetrics[] = [];
  const evaluations: EvaluationRecord[] = [];
  const sink: RunSink = { episodes() {}, update: (m) => { updates.push(m); }, evaluation: (e) => { evaluations.push(e); }, checkpoint() {} };
  return { sink, updates, evaluations };
}

const SMALL = { n_envs: 8, n_steps: 128, batch_size: 256, n_epochs: 4, net_arch: [32, 32], max_steps: 128, n_eval_episodes: 8, target_kl: null, seed: 11 };

/** Mean episode reward of uniformly random actions on the evaluation segment. */
function randomPolicyReward(makeEvalEnv: (n: number, seed: number) => import('../../src/core/env/types').VecEnv, episodes: number): number {
  const env = makeEvalEnv(episodes, 12345);
  env.reset();
  const rng = new Rng(99);
  const actions = new Int32Array(episodes);
  const totals = new Float64Array(episodes);
  const done = new Uint8Array(episodes);
  for (let guard = 0; done.some((d) => !d) && guard < 100_000; guard++) {
    for (let i = 0; i < episodes; i++) actions[i] = rng.int(env.numActions);
    env.step(actions);
    for (let i = 0; i < episodes; i++) if (!done[i]) { totals[i] += env.rewards[i]; if (env.dones[i]) done[i] = 1; }
  }
  return totals.reduce((a, b) => a + b, 0) / episodes;
}

describe('PPO on trading environments', () => {
  it('learns a planted momentum edge on the position environment, far above a random policy', async () => {
    const candles = momentumCandles(6000, 5);
    const { hp, env } = resolveSettings(null, { ...SMALL, total_timesteps: 24_576, eval_freq: 8192, learning_rate: 1e-3 }, { env: 'position', fee: 0.0002, leverage: 1 });
    const envs = buildEnvironments(candles, computeMarketFeatures(candles), env, hp);
    const random = randomPolicyReward(envs.makeEvalEnv, 8);
    const { sink, evaluations, updates } = collector();
    const trainer = await PpoTrainer.create({ hp, env: envs.env, makeEvalEnv: envs.makeEvalEnv, sink });
    const untrained = (await trainer.evaluate()).mean_reward;
    await trainer.train();
    trainer.dispose();
    const last = evaluations[evaluations.length - 1].mean_reward;
    console.log(`planted edge: random policy ${random.toFixed(2)}, untrained ${untrained.toFixed(2)}, evaluations ${evaluations.map((e) => e.mean_reward.toFixed(2)).join(' → ')}`);
    expect(updates.every((u) => Number.isFinite(u.metrics['train/loss']))).toBe(true);
    expect(last).toBeGreaterThan(random + 20);
    expect(last).toBeGreaterThan(untrained + 20);
  }, 120_000);

  it('resumed mid-run on the trade-approval environment, ends exactly where the uninterrupted run ends', async () => {
    const candles = momentumCandles(3000, 9);
    const features = computeMarketFeatures(candles);
    const { hp, env } = resolveSettings(null, { ...SMALL, n_steps: 64, total_timesteps: 4096, save_freq: 2048, eval_freq: 1024 }, { env: 'trade-approval' });
    const runOnce = async (resume?: import('../../src/algos/ppo/trainer').PpoCheckpoint) => {
      const envs = buildEnvironments(candles, features, env, hp);
      const checkpoints: import('../../src/algos/ppo/trainer').PpoCheckpoint[] = [];
      const episodes: unknown[] = [];
      const sink: RunSink = { episodes: (r) => { episodes.push(...r); }, update() {}, evaluation() {}, checkpoint: (c) => { checkpoints.push(c); } };
      const trainer = await PpoTrainer.create({ hp, env: envs.env, makeEvalEnv: envs.makeEvalEnv, sink, resume });
      await trainer.train();
      trainer.dispose();
      return { checkpoints, episodes };
    };
    const whole = await runOnce();
    const mid = whole.checkpoints.find((c) => c.kind === 'periodic')!;
    expect(mid.step).toBe(2048);
    const resumed = await runOnce(structuredClone(mid));
    const a = whole.checkpoints.at(-1)!, b = resumed.checkpoints.at(-1)!;
    expect(b.step).toBe(a.step);
    a.weights.forEach((w, i) => expect(Array.from(b.weights[i].values)).toEqual(Array.from(w.values)));
    // the episodes after the checkpoint are the same episodes, record for record (wall-clock timestamps aside)
    const strip = (e: unknown) => ({ ...(e as Record<string, unknown>), timestamp: undefined });
    const after = (list: unknown[]) => list.filter((e) => (e as { timestep: number }).timestep > 2048).map(strip);
    expect(after(whole.episodes).length).toBeGreaterThan(0);
    expect(after(resumed.episodes)).toEqual(after(whole.episodes));
  }, 120_000);

  const SAMPLE = resolve(__dirname, '../../public/samples/ETH_BTC-5m.parquet');
  it.skipIf(!existsSync(SAMPLE))('completes a run on the real ETH/BTC sample with finite metrics, on both environments', async () => {
    const imported = await importBytes(new Uint8Array(readFileSync(SAMPLE)), 'ETH_BTC-5m.parquet');
    if (imported.status !== 'ready') throw new Error('sample did not import');
    const ds = imported.dataset;
    const candles = candleColumnsOfDataset(ds);
    const features = computeMarketFeatures(candles);
    for (const name of ['position', 'trade-approval'] as const) {
      const { hp, env } = resolveSettings('moderate', { ...SMALL, total_timesteps: 4096, eval_freq: 2048 }, { env: name });
      const envs = buildEnvironments(candles, features, env, hp);
      const { sink, evaluations, updates } = collector();
      const trainer = await PpoTrainer.create({ hp, env: envs.env, makeEvalEnv: envs.makeEvalEnv, sink });
      expect(await trainer.train()).toBe('completed');
      trainer.dispose();
      expect(updates.length).toBe(4);
      for (const u of updates) {
        for (const key of ['train/approx_kl', 'train/clip_fraction', 'train/entropy_loss', 'train/value_loss', 'train/policy_gradient_loss', 'train/learning_rate', 'time/fps'] as const) {
          expect(Number.isFinite(u.metrics[key]), `${name} ${key}`).toBe(true);
        }
      }
      expect(evaluations.length).toBe(2);
      expect(evaluations.every((e) => Number.isFinite(e.mean_reward) && Number.isFinite(e.std_reward))).toBe(true);
    }
  }, 120_000);
});
