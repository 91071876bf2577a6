// The lab's WebAssembly MLP kernel: its pieces against plain JavaScript (products with every tail
// of rows and columns, tanh, dropout's random stream, transposes, Adam), then the learners on it
// (the WASM backend): they learn, resume exactly, keep no tensors, obey masks, and their
// checkpoints continue on TensorFlow.js's path and back.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../../src/algos/backends-node';
import { trySetBackend } from '../../src/algos/backend';
import { adamStepConstants } from '../../src/algos/adam';
import { BcTrainer, type BcCheckpoint, type BcEpochMetrics } from '../../src/algos/bc/trainer';
import { DEFAULT_GRPO, type GrpoHyperparameters } from '../../src/algos/grpo/hyperparameters';
import { GrpoTrainer, type GrpoCheckpoint } from '../../src/algos/grpo/trainer';
import { gemmKey, mlpModuleBytes, type Epilogue, type GemmSpec } from '../../src/algos/kernels/mlpModule';
import { KernelMlps } from '../../src/algos/kernels/mlps';
import { preferKernelTraining, trainsOnKernel } from '../../src/algos/kernels/engine';
import { DEFAULT_PPO, type PpoHyperparameters } from '../../src/algos/ppo/hyperparameters';
import { PpoTrainer, type PpoCheckpoint } from '../../src/algos/ppo/trainer';
import { Rng } from '../../src/core/rng';
import { gaussianData } from './helpers';
import { MemorySink } from './memorySink';
import { SignalEnv } from './toyEnv';

beforeAll(async () => {
  expect(await trySetBackend('wasm')).toBeNull();
});
afterAll(async () => {
  await tf.setBackend('cpu');
});

type Kernel = Record<string, (...args: (number | bigint)[]) => number>;

function instantiate(specs: GemmSpec[]): { k: Kernel; f: Float32Array; u32: Uint32Array } {
  const memory = new WebAssembly.Memory({ initial: 32 });
  const k = new WebAssembly.Instance(new WebAssembly.Module(mlpModuleBytes(specs)), { env: { memory } }).exports as unknown as Kernel;
  return { k, f: new Float32Array(memory.buffer), u32: new Uint32Array(memory.buffer) };
}

describe('the kernel against plain JavaScript', () => {
  const rng = new Rng(99);
  const fill = (f: Float32Array, at: number, n: number, scale = 1) => { for (let i = 0; i < n; i++) f[at + i] = rng.normal() * scale; };

  for (const [rows, depth, cols] of [[1, 1, 4], [7, 13, 12], [9, 34, 20], [4, 5, 8], [13, 3, 28]]) {
    for (const epilogue of ['store', 'bias', 'biasRelu', 'biasTanh', 'biasReluMask', 'dRelu', 'dTanh', 'dReluMask'] as Epilogue[]) {
      it(`C = A·B (${rows} × ${depth} · ${depth} × ${cols}), ${epilogue}; A read by rows and by columns`, () => {
        const byRows: GemmSpec = { cols, aRow: depth + 3, aDepth: 1, ldb: cols + 4, ldc: cols + 8, epilogue };
        const byCols: GemmSpec = { ...byRows, aRow: 1, aDepth: rows + 2 };
        const { k, f } = instantiate([byRows, byCols]);
        const A = 64, B = 4096, C = 8192, E1 = 12288, E2 = 16384; // float indices
        for (const spec of [byRows, byCols]) {
          fill(f, A, 2048); fill(f, B, 2048, 0.5); fill(f, E1, 2048); f.fill(-7, C, C + 2048);
          for (let i = 0; i < 2048; i++) f[E2 + i] = rng.next() < 0.3 ? 0 : 1.25;
          k[gemmKey(spec)](A * 4, B * 4, C * 4, rows, depth, E1 * 4, E2 * 4);
          for (let i = 0; i < rows; i++) {
            for (let j = 0; j < cols; j++) {
              let x = 0;
              for (let p = 0; p < depth; p++) x += f[A + i * spec.aRow + p * spec.aDepth] * f[B + p * spec.ldb + j];
              const at = i * spec.ldc + j, h = f[E1 + at], mask = f[E2 + at], bias = f[E1 + j];
              const want = {
                store: x, bias: x + bias, biasRelu: Math.max(0, x + bias), biasTanh: Math.tanh(x + bias), biasReluMask: Math.max(0, x + bias) * mask,
                dRelu: h > 0 ? x : 0, dTanh: x * (1 - h * h), dReluMask: h > 0 ? x * mask : 0,
              }[epilogue];
              expect(Math.abs(f[C + at] - want)).toBeLessThan(2e-6 * (1 + Math.abs(want)) * Math.sqrt(depth));
            }
            // nothing written past the row's columns
            for (let j = cols; j < spec.ldc; j++) expect(f[C + i * spec.ldc + j]).toBe(-7);
          }
        }
      });
    }
  }

  it('tanh within 2e-7 of Math.tanh from −20 to 20, odd, and exactly 0 at 0', () => {
    const spec: GemmSpec = { cols: 4, aRow: 1, aDepth: 1, ldb: 4, ldc: 4, epilogue: 'biasTanh' };
    const { k, f } = instantiate([spec]);
    let worst = 0;
    for (let x = -20; x <= 20; x += 0.01) {
      f.fill(0, 0, 64); // A·B = 0: the output is tanh(bias)
      f[32] = x; f[33] = -x; f[34] = 0; f[35] = x / 1000;
      k[gemmKey(spec)](0, 64, 128, 1, 1, 128, 0);
      worst = Math.max(worst, Math.abs(f[32] - Math.tanh(Math.fround(x))), Math.abs(f[33] + f[32]), Math.abs(f[35] - Math.tanh(Math.fround(x / 1000))));
      expect(f[34]).toBe(0);
    }
    expect(worst).toBeLessThan(2e-7);
  });

  it('dropout masks are the Rng\u2019s own draws, and the Rng continues after them', () => {
    const { k, f, u32 } = instantiate([]);
    for (const p of [0.1, 0.5, 0.013]) {
      const a = new Rng(4242), b = new Rng(4242);
      u32.set(a.getState(), 0);
      const keep = new Int32Array(Float32Array.of(1 / (1 - p)).buffer)[0];
      k.dropout(0, 64, 5, 7, 9, BigInt(Math.ceil(p * 4294967296)), keep);
      a.setState(Array.from(u32.subarray(0, 4)));
      for (let r = 0; r < 5; r++) for (let c = 0; c < 7; c++) expect(f[16 + r * 9 + c]).toBe(Math.fround(b.next() < p ? 0 : 1 / (1 - p)));
      expect(a.next()).toBe(b.next());
    }
  });

  it('transposes 4 × 4 blocks and the last rows', () => {
    const { k, f } = instantiate([]);
    for (const [rows, cols] of [[8, 12], [7, 4], [3, 8], [13, 16]]) {
      fill(f, 0, 1024);
      f.fill(0, 2048, 4096);
      k.transpose(0, 2048 * 4, rows, cols, cols + 4, rows + 5);
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) expect(f[2048 + c * (rows + 5) + r]).toBe(f[r * (cols + 4) + c]);
    }
  });

  it('Adam matches its float32 formula and the squared norm its sum', () => {
    const { k, f } = instantiate([]);
    const n = 40;
    for (const at of [0, 64, 128, 192]) fill(f, at, n, 0.1);
    for (let i = 0; i < n; i++) f[192 + i] = Math.abs(f[192 + i]);
    const before = f.slice(0, 256);
    const c = adamStepConstants(3, 0.7, 1e-3, 0.9, 0.999, 1e-8, 0.01);
    k.adam(0, 64 * 4, 128 * 4, 192 * 4, n, ...c);
    const fr = Math.fround;
    for (let i = 0; i < n; i++) {
      const g = before[64 + i];
      const m = fr(fr(before[128 + i] * c[0]) + fr(g * c[2]));
      const v = fr(fr(before[192 + i] * c[1]) + fr(fr(g * g) * c[3]));
      expect(f[128 + i]).toBe(m);
      expect(f[192 + i]).toBe(v);
      expect(f[i]).toBe(fr(fr(before[i] * c[7]) + fr(fr(m / fr(fr(fr(Math.sqrt(v)) * c[5]) + c[6])) * c[4])));
    }
    let squares = 0;
    for (let i = 0; i < n; i++) squares += f[64 + i] ** 2;
    expect(k.sumsq(64 * 4, n)).toBeCloseTo(squares, 5);
  });

  it('a kernel network grows its activations for larger batches and keeps its weights', () => {
    const mlps = new KernelMlps([{ sizes: [5, 6, 3], activation: 'tanh' }], 1, 2);
    const names = ['k0', 'b0', 'k1', 'b1'];
    const w = mlps.readWeights(0, names);
    w.forEach((t) => t.values.forEach((_, i) => { t.values[i] = Math.sin(i + t.values.length); }));
    mlps.writeWeights(0, w);
    const x = Float32Array.from({ length: 5 * 300 }, (_, i) => Math.cos(i));
    mlps.heap.set(x, mlps.inputIndex(300));
    mlps.forward(0, 300);
    const out = mlps.heap.slice(mlps.outputIndex(0), mlps.outputIndex(0) + 300 * 4);
    const again = mlps.readWeights(0, names);
    again.forEach((t, i) => expect(Array.from(t.values)).toEqual(Array.from(w[i].values)));
    const row = 299, h = Array.from({ length: 6 }, (_, j) => Math.tanh(w[1].values[j] + x.slice(row * 5, row * 5 + 5).reduce((s, xi, i) => s + xi * w[0].values[i * 6 + j], 0)));
    for (let a = 0; a < 3; a++) expect(out[row * 4 + a]).toBeCloseTo(w[3].values[a] + h.reduce((s, hj, j) => s + hj * w[2].values[j * 3 + a], 0), 5);
    expect(out[row * 4 + 3]).toBe(0); // the padded column
  });
});

const roundTrip = <T>(c: T): T => {
  const stored = JSON.parse(JSON.stringify(c, (_k, v) => (v instanceof Float32Array ? Array.from(v) : v)));
  const typed = (list: { values: number[] }[]) => list.map((w) => ({ ...w, values: Float32Array.from(w.values) }));
  stored.weights = typed(stored.weights);
  if (stored.bestWeights) stored.bestWeights = typed(stored.bestWeights);
  for (const k of ['m', 'v']) stored.optimizer[k] = typed(stored.optimizer[k]);
  return stored as T;
};
const sameWeights = (a: { values: Float32Array }[], b: { values: Float32Array }[]) => a.length === b.length && a.every((w, i) => w.values.every((x, j) => x === b[i].values[j]));

describe('PPO on the kernel', () => {
  const hp = (over: Partial<PpoHyperparameters> = {}): PpoHyperparameters => ({
    ...DEFAULT_PPO, n_envs: 4, n_steps: 64, batch_size: 64, n_epochs: 4, net_arch: [32, 32], learning_rate: 3e-3, total_timesteps: 4096,
    eval_freq: 1024, n_eval_episodes: 4, save_freq: 2048, seed: 7, target_kl: null, ...over,
  });
  async function run(h: PpoHyperparameters, forbidden: number[] = [], resume?: PpoCheckpoint) {
    const sink = new MemorySink();
    const env = new SignalEnv(h.n_envs, h.seed + 1, 16, forbidden);
    const trainer = await PpoTrainer.create({ hp: h, env, makeEvalEnv: (n, seed) => new SignalEnv(n, seed, 16, forbidden), sink, resume });
    await trainer.train();
    return { sink, trainer };
  }

  it('trains on the kernel on the WASM backend, learns the signal and keeps no tensors', async () => {
    expect(trainsOnKernel()).toBe(true);
    const before = tf.memory().numTensors;
    const { sink, trainer } = await run(hp());
    expect(sink.evaluations.at(-1)!.mean_reward).toBeGreaterThan(14);
    expect(new Set(sink.tensorsAfterUpdate).size).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
    trainer.dispose();
  });

  it('never takes a masked action', async () => {
    const { sink, trainer } = await run(hp({ total_timesteps: 2048, ent_coef: 0.1 }), [2]);
    expect(sink.episodes_.length).toBeGreaterThan(0);
    const { action, probs } = await trainer.predict(new Float32Array([0, 0, 1, 0]), new Uint8Array([1, 1, 0]));
    expect(action).not.toBe(2);
    expect(probs[2]).toBe(0);
    trainer.dispose();
  });

  it('resumed from a checkpoint, continues exactly as the uninterrupted run; its checkpoints continue on TensorFlow.js and back', async () => {
    const h = hp({ clip_range_vf: 0.2 });
    const whole = await run(h);
    const mid = roundTrip(whole.sink.checkpoints.find((c) => c.kind === 'periodic' && c.step === 2048)!);
    const resumed = await run(h, [], mid);
    const [a, b] = [whole.sink.checkpoints.at(-1)!, resumed.sink.checkpoints.at(-1)!];
    expect(sameWeights(a.weights, b.weights)).toBe(true);
    const tail = (s: MemorySink) => s.updates.filter((u) => u.step > 2048).map((u) => [u.metrics['train/value_loss'], u.metrics['train/approx_kl'], u.metrics['rollout/ep_rew_mean']]);
    expect(tail(resumed.sink)).toEqual(tail(whole.sink));
    // the same checkpoint on TensorFlow.js's ops (the CPU backend): same tensors, same continuation within float tolerance
    preferKernelTraining('tfjs');
    try {
      const onTf = await run(h, [], mid);
      const c = onTf.sink.checkpoints.at(-1)!;
      expect(c.weights.map((w) => `${w.shape}`)).toEqual(a.weights.map((w) => `${w.shape}`));
      expect(c.optimizer.m.map((w) => `${w.shape}`)).toEqual(a.optimizer.m.map((w) => `${w.shape}`));
      expect(onTf.sink.updates[0].metrics['train/value_loss']).toBeCloseTo(resumed.sink.updates[0].metrics['train/value_loss']!, 4);
      // and a TensorFlow.js checkpoint back on the kernel
      const back = await run({ ...h, total_timesteps: 4096 + 256 }, [], roundTrip(c));
      expect(back.sink.updates.length).toBe(1);
      expect(Number.isFinite(back.sink.updates[0].metrics['train/loss'])).toBe(true);
      onTf.trainer.dispose();
      back.trainer.dispose();
    } finally {
      preferKernelTraining('auto');
    }
    whole.trainer.dispose();
    resumed.trainer.dispose();
  });
});

describe('GRPO on the kernel', () => {
  const hp = (over: Partial<GrpoHyperparameters> = {}): GrpoHyperparameters => {
    const h = { ...DEFAULT_GRPO, num_windows: 4, group_size: 8, max_steps: 16, net_arch: [32, 32], learning_rate: 3e-3, total_timesteps: 8192, eval_freq: 2048, n_eval_episodes: 4, save_freq: 4096, seed: 7, scorer: 'reward' as const, ...over };
    return { ...h, n_envs: h.num_windows * h.group_size, n_steps: h.max_steps };
  };
  async function run(h: GrpoHyperparameters, resume?: GrpoCheckpoint) {
    const sink = new MemorySink();
    const env = new SignalEnv(h.n_envs, h.seed + 1, h.n_steps);
    const trainer = await GrpoTrainer.create({ hp: h, env, makeEvalEnv: (n, seed) => new SignalEnv(n, seed, 16), sink, resume, segment: { start: 0, end: 1000 }, data: { rows: 1000, firstValidRow: 0, time: new Float64Array(1000) } });
    await trainer.train();
    return { sink, trainer };
  }

  it('learns from group-relative scores and resumes exactly, its KL reference included', async () => {
    const h = hp({ beta: 0.02 });
    const whole = await run(h);
    expect(whole.sink.evaluations.at(-1)!.mean_reward).toBeGreaterThan(14);
    expect(new Set(whole.sink.tensorsAfterUpdate).size).toBe(1);
    const resumed = await run(h, roundTrip(whole.sink.checkpoints.find((c) => c.kind === 'periodic' && c.step === 4096)!));
    expect(sameWeights(whole.sink.checkpoints.at(-1)!.weights, resumed.sink.checkpoints.at(-1)!.weights)).toBe(true);
    const tail = (s: MemorySink) => s.updates.filter((u) => u.step > 4096).map((u) => [u.metrics.loss, u.metrics.kl]);
    expect(tail(resumed.sink)).toEqual(tail(whole.sink));
    whole.trainer.dispose();
    resumed.trainer.dispose();
  });
});

describe('behavior cloning on the kernel', () => {
  const HP = { hidden_dim: 32, num_layers: 2, batch_size: 64, max_epochs: 5, patience: 10, seed: 5, dropout: 0.1, learning_rate: 5e-3 };
  const data = () => gaussianData(700, 9, [0.5, 0.3, 0.2], [0, 1.5, -1.5], 3);
  class Sink {
    epochs: BcEpochMetrics[] = [];
    checkpoints: BcCheckpoint[] = [];
    tensors: number[] = [];
    epoch(m: BcEpochMetrics) { this.epochs.push(m); this.tensors.push(tf.memory().numTensors); }
    checkpoint(c: BcCheckpoint) { this.checkpoints.push(c); }
  }

  it('learns, keeps no tensors, and one-state predict agrees with predictBatch', async () => {
    const sink = new Sink();
    const t = await BcTrainer.create({ hp: HP, data: data(), sink });
    await t.train();
    // above the majority class (HOLD, about half), as the TensorFlow.js path learns it
    expect(sink.epochs.at(-1)!.val_acc!).toBeGreaterThan(0.6);
    expect(new Set(sink.tensors).size).toBe(1);
    const states = data().states.subarray(0, 9 * 20);
    const batch = await t.predictBatch(states);
    for (let i = 0; i < 20; i++) {
      const one = await t.predict(states.subarray(i * 9, i * 9 + 9));
      expect(one.action).toBe(batch.actions[i]);
      expect(one.strength).toBeCloseTo(batch.strengths[i], 5);
    }
    t.dispose();
  });

  it('continues exactly from a checkpoint taken when stopped, with dropout drawing from the run\u2019s Rng', async () => {
    const strip = (m: BcEpochMetrics) => ({ ...m, timestamp: 0, samples_per_s: 0 });
    const whole = new Sink();
    const a = await BcTrainer.create({ hp: HP, data: data(), sink: whole });
    await a.train();
    a.dispose();
    const first = new Sink();
    const b = await BcTrainer.create({ hp: HP, data: data(), sink: first });
    expect(await b.train({ stopRequested: () => b.epoch >= 2 })).toBe('stopped');
    b.dispose();
    const rest = new Sink();
    const c = await BcTrainer.create({ hp: HP, data: data(), sink: rest, resume: roundTrip(first.checkpoints.at(-1)!) });
    await c.train();
    c.dispose();
    expect(rest.epochs.map(strip)).toEqual(whole.epochs.slice(2).map(strip));
    expect(sameWeights(rest.checkpoints.at(-1)!.weights, whole.checkpoints.at(-1)!.weights)).toBe(true);
  });
});
