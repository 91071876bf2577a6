// The learners' numbers on fixed batches, against figures the TensorFlow.js learners (CPU
// backend) gave before the lab's own WebAssembly kernel existed (test/fixtures/learner_golden.json,
// written by this file with WRITE_LEARNER_GOLDEN=1 on that code): PPO's and GRPO's update metrics,
// their weights, Adam moments and action log-probabilities after one update, and behavior
// cloning's epoch figures and weights. Every path must give them within float tolerance: the
// TensorFlow.js learners on the CPU backend, the kernel the WASM backend trains on, and
// TensorFlow.js's ops on the WASM backend (preferKernelTraining('tfjs')).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import '../../src/algos/backends-node';
import { trySetBackend } from '../../src/algos/backend';
import { preferKernelTraining, trainsOnKernel } from '../../src/algos/kernels/engine';
import { BcTrainer, type BcEpochMetrics } from '../../src/algos/bc/trainer';
import type { BcHyperparameters } from '../../src/algos/bc/hyperparameters';
import { GrpoLearner } from '../../src/algos/grpo/learner';
import { DEFAULT_GRPO, type GrpoHyperparameters } from '../../src/algos/grpo/hyperparameters';
import { MASKED_LOGIT, RolloutBuffer } from '../../src/algos/onPolicy/buffer';
import { PpoLearner } from '../../src/algos/ppo/learner';
import { DEFAULT_PPO, type PpoHyperparameters } from '../../src/algos/ppo/hyperparameters';
import { Rng } from '../../src/core/rng';

const GOLDEN = resolve(import.meta.dirname, '../fixtures/learner_golden.json');
const WRITE = process.env.WRITE_LEARNER_GOLDEN === '1';

interface Outcome {
  metrics: Record<string, number>;
  /** Every stored weight tensor, flattened in order. */
  weights: number[];
  /** Adam's step and the sums of |m| and of v (the moments' scale, compared loosely). */
  adam: { step: number; mAbs: number; v: number };
  /** act() on fixed observations after the update: rows of log-probabilities and value. */
  act: number[];
}

const D = 10, A = 3;

/** A rollout buffer from the Rng alone (not from the learner): behaviour log-probabilities of random logits, so ratios clip. */
function fixedBuffer(T: number, N: number, seed: number): RolloutBuffer {
  const rng = new Rng(seed);
  const b = new RolloutBuffer(T, N, D, A);
  for (let i = 0; i < b.obs.length; i++) b.obs[i] = rng.normal() * 1.5;
  for (let k = 0; k < T * N; k++) {
    const allowed = [1, rng.next() < 0.8 ? 1 : 0, rng.next() < 0.8 ? 1 : 0];
    const logits = allowed.map((ok) => (ok ? rng.normal() : -Infinity));
    const top = Math.max(...logits);
    const lse = top + Math.log(logits.reduce((s, l) => s + Math.exp(l - top), 0));
    let a = 0;
    do a = rng.int(A); while (!allowed[a]);
    for (let j = 0; j < A; j++) b.maskOffsets[k * A + j] = allowed[j] ? 0 : MASKED_LOGIT;
    b.actions[k] = a;
    b.logp[k] = logits[a] - lse;
    b.values[k] = rng.normal() * 0.5;
    b.rewards[k] = rng.normal() * 0.1;
    b.starts[k] = rng.next() < 0.05 ? 1 : 0;
  }
  b.computeGae((i) => 0.1 * i, new Uint8Array(N), 0.99, 0.95);
  return b;
}

function fixedObs(n: number, seed: number): { obs: Float32Array; masks: Uint8Array } {
  const rng = new Rng(seed);
  const obs = Float32Array.from({ length: n * D }, () => rng.normal());
  const masks = Uint8Array.from({ length: n * A }, (_, i) => (i % A === 0 || rng.next() < 0.7 ? 1 : 0));
  return { obs, masks };
}

function adamSummary(s: { step: number; m: { values: Float32Array }[]; v: { values: Float32Array }[] }) {
  let mAbs = 0, v = 0;
  for (const t of s.m) for (const x of t.values) mAbs += Math.abs(x);
  for (const t of s.v) for (const x of t.values) v += x;
  return { step: s.step, mAbs, v };
}

const PPO_CASES: Record<string, Partial<PpoHyperparameters>> = {
  'tanh, no value clipping': { net_arch: [24, 20], activation: 'tanh', clip_range_vf: null, ent_coef: 0.01, learning_rate: 3e-3 },
  'relu, value clipping, 3 epochs, raw advantages': { net_arch: [20, 9], activation: 'relu', clip_range_vf: 0.2, n_epochs: 3, normalize_advantage: false, ent_coef: 0.05, learning_rate: 1e-3, max_grad_norm: 0.1 },
};

async function ppoOutcome(settings: Partial<PpoHyperparameters>): Promise<Outcome> {
  const hp: PpoHyperparameters = { ...DEFAULT_PPO, n_envs: 4, n_steps: 32, batch_size: 32, n_epochs: 2, target_kl: null, ...settings };
  const learner = new PpoLearner(hp, D, A, new Rng(11));
  try {
    const buffer = fixedBuffer(hp.n_steps, hp.n_envs, 21);
    const metrics = await learner.learn(buffer, new Rng(31), 3);
    const { obs, masks } = fixedObs(7, 41);
    const act = Array.from(await learner.act(obs, masks, 7));
    return { metrics, weights: (await learner.weights()).flatMap((t) => Array.from(t.values)), adam: adamSummary(await learner.optimizerState()), act };
  } finally {
    learner.dispose();
  }
}

const GRPO_CASES: Record<string, Partial<GrpoHyperparameters>> = {
  'dapo with the KL term': { net_arch: [16, 12], loss_type: 'dapo', beta: 0.04, epsilon_high: 0.28, num_iterations: 2, num_minibatches: 2, learning_rate: 3e-3 },
  'grpo, relu, no KL': { net_arch: [12], activation: 'relu', loss_type: 'grpo', beta: 0, num_iterations: 1, num_minibatches: 4, learning_rate: 1e-3 },
};

async function grpoOutcome(settings: Partial<GrpoHyperparameters>): Promise<Outcome> {
  const hp: GrpoHyperparameters = { ...DEFAULT_GRPO, n_envs: 8, n_steps: 12, num_windows: 2, group_size: 4, max_steps: 12, ...settings };
  const learner = new GrpoLearner(hp, D, A, new Rng(12));
  try {
    const buffer = fixedBuffer(hp.n_steps, hp.n_envs, 22);
    // advantages per trajectory, alive steps shortening some trajectories, one left out
    const rng = new Rng(23);
    const adv = Array.from({ length: hp.n_envs }, () => rng.normal());
    for (let t = 0; t < hp.n_steps; t++) {
      for (let i = 0; i < hp.n_envs; i++) {
        buffer.advantages[t * hp.n_envs + i] = adv[i];
        learner.batch.alive[t * hp.n_envs + i] = t < hp.n_steps - (i % 3) * 2 ? 1 : 0;
      }
    }
    learner.batch.included.fill(1);
    learner.batch.included[5] = 0;
    const metrics = await learner.learn(buffer, new Rng(32), 1);
    const { obs, masks } = fixedObs(5, 42);
    const act = Array.from(await learner.act(obs, masks, 5));
    return { metrics, weights: (await learner.weights()).flatMap((t) => Array.from(t.values)), adam: adamSummary(await learner.optimizerState()), act };
  } finally {
    learner.dispose();
  }
}

const BC_CASES: Record<string, Partial<BcHyperparameters>> = {
  'adam, dropout, no clipping': { hidden_dim: 24, num_layers: 2, dropout: 0.1, batch_size: 40, learning_rate: 3e-3 },
  'weighted, adamw, clipping, one layer': { hidden_dim: 20, num_layers: 1, dropout: 0, batch_size: 32, imbalance: 'weighted', optimizer: 'adamw', weight_decay: 0.01, max_grad_norm: 0.5 },
  'focal, adam with L2, three layers': { hidden_dim: 12, num_layers: 3, dropout: 0.2, batch_size: 50, imbalance: 'focal', focal_gamma: 1.5, weight_decay: 0.001, alpha: 0.7, beta: 2 },
};

async function bcOutcome(settings: Partial<BcHyperparameters>): Promise<Outcome> {
  const n = 430, width = 13;
  const rng = new Rng(24);
  const states = Float32Array.from({ length: n * width }, () => rng.normal() * 2 + 1);
  const actions = Int32Array.from({ length: n }, (_, i) => (states[i * width] + 0.5 * states[i * width + 3] > 1.6 ? 1 : states[i * width + 1] < -0.5 ? 2 : 0));
  const strengths = Float32Array.from({ length: n }, () => rng.next());
  const epochs: BcEpochMetrics[] = [];
  const trainer = await BcTrainer.create({
    hp: { max_epochs: 2, patience: 10, seed: 5, ...settings },
    data: { states, actions, strengths, width },
    sink: { epoch: (m) => { epochs.push(m); }, checkpoint() {} },
  });
  try {
    await trainer.train();
    const metrics: Record<string, number> = {};
    for (const m of epochs) {
      for (const k of ['train_loss', 'val_loss', 'train_acc', 'val_acc', 'train_ce', 'train_mse', 'val_ce', 'val_mse'] as const) metrics[`${k}@${m.epoch}`] = m[k] as number;
    }
    const c = await trainer.checkpoint('final', 'completed');
    const predicted = await trainer.predictBatch(states.subarray(0, 6 * width));
    return { metrics, weights: c.weights.flatMap((t) => Array.from(t.values)), adam: adamSummary(c.optimizer), act: Array.from(predicted.probs) };
  } finally {
    trainer.dispose();
  }
}

type Golden = Record<string, Outcome>;
const golden: Golden = !WRITE && existsSync(GOLDEN) ? JSON.parse(readFileSync(GOLDEN, 'utf8')) : {};
const written: Golden = {};

/** Within float tolerance: relative for the large, absolute for the small. */
function expectClose(got: number, want: number, what: string, rel = 2e-4, abs = 2e-5) {
  if (!(Math.abs(got - want) <= Math.max(abs, rel * Math.abs(want)))) throw new Error(`${what}: got ${got}, want ${want}`);
}

function compare(got: Outcome, want: Outcome, discrete: Set<string> = new Set()) {
  expect(Object.keys(got.metrics).sort()).toEqual(Object.keys(want.metrics).sort());
  for (const [k, v] of Object.entries(want.metrics)) {
    // fractions of a batch (clip fractions, accuracies) may move by a sample where a ratio or a tie sits at the edge
    if (discrete.has(k.replace(/@\d+$/, ''))) expectClose(got.metrics[k], v, k, 0, 0.02);
    else expectClose(got.metrics[k], v, k, 1e-3, 1e-5);
  }
  expect(got.weights.length).toBe(want.weights.length);
  let worst = 0;
  for (let i = 0; i < want.weights.length; i++) worst = Math.max(worst, Math.abs(got.weights[i] - want.weights[i]));
  if (process.env.PARITY_VERBOSE) console.log(`weights differ by up to ${worst}`);
  if (worst > 2e-5) throw new Error(`weights differ by up to ${worst}`);
  expect(got.adam.step).toBe(want.adam.step);
  expectClose(got.adam.mAbs, want.adam.mAbs, 'Σ|m|', 1e-3);
  expectClose(got.adam.v, want.adam.v, 'Σv', 1e-3, 1e-9);
  expect(got.act.length).toBe(want.act.length);
  // a masked action's log-probability is about −1e9 either way
  got.act.forEach((x, i) => (want.act[i] < -1e6 ? expect(x).toBeLessThan(-1e6) : expectClose(x, want.act[i], `act[${i}]`, 1e-4, 2e-5)));
}

const PATHS: { name: string; backend: 'cpu' | 'wasm'; kernel: boolean }[] = WRITE ? [{ name: 'TensorFlow.js, CPU backend', backend: 'cpu', kernel: false }] : [
  { name: 'TensorFlow.js, CPU backend', backend: 'cpu', kernel: false },
  { name: 'the kernel, WASM backend', backend: 'wasm', kernel: true },
  { name: 'TensorFlow.js, WASM backend', backend: 'wasm', kernel: false },
];

for (const path of PATHS) {
  describe(`learners on fixed batches match the reference figures: ${path.name}`, () => {
    const use = async () => {
      const error = await trySetBackend(path.backend);
      if (error) throw new Error(error);
      preferKernelTraining(path.kernel ? 'auto' : 'tfjs');
      expect(trainsOnKernel()).toBe(path.kernel);
    };
    const check = (key: string, got: Outcome, discrete?: Set<string>) => {
      if (WRITE) { written[key] = got; return; }
      if (!golden[key]) throw new Error(`no reference figures for ${key}: run with WRITE_LEARNER_GOLDEN=1 on the reference code`);
      compare(got, golden[key], discrete);
    };
    for (const [name, settings] of Object.entries(PPO_CASES)) {
      it(`PPO, ${name}`, async () => {
        await use();
        check(`ppo/${name}`, await ppoOutcome(settings), new Set(['train/clip_fraction']));
      });
    }
    for (const [name, settings] of Object.entries(GRPO_CASES)) {
      it(`GRPO, ${name}`, async () => {
        await use();
        check(`grpo/${name}`, await grpoOutcome(settings), new Set(['clip_ratio/low_mean', 'clip_ratio/high_mean', 'clip_ratio/region_mean']));
      });
    }
    for (const [name, settings] of Object.entries(BC_CASES)) {
      it(`behavior cloning, ${name}`, async () => {
        await use();
        check(`bc/${name}`, await bcOutcome(settings), new Set(['train_acc', 'val_acc']));
      });
    }
  });
}

afterAll(async () => {
  preferKernelTraining('auto');
  if (WRITE) writeFileSync(GOLDEN, `${JSON.stringify(written)}\n`);
  await tf.setBackend('cpu');
});
