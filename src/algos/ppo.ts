// Proximal Policy Optimization in TensorFlow.js, in the order CleanRL's ppo.py does it, every
// detail visible: orthogonal init, Adam (eps 1e-5), linear learning-rate annealing, GAE,
// shuffled minibatches of fixed shape, per-minibatch advantage normalization, clipped surrogate,
// optional value clipping, entropy bonus, hand-written global-norm gradient clipping, target-KL
// early stop, action masking, and observation normalization saved with the model.
//
// The environment is plain TypeScript (VecEnv); actions are sampled here from the policy's
// log-probabilities with the run's own seeded Rng, so a checkpoint holds every random state and a
// resumed run continues exactly as an uninterrupted one would.
import * as tf from '@tensorflow/tfjs';
import type { PpoHyperparameters } from '../core/run/config';
import type { VecEnv } from '../core/env/types';
import { Rng } from '../core/rng';
import { pythonIsoTime } from '../core/clock';
import { ObservationNormalizer, type NormalizerState } from '../core/normalizer';
import { assignVariables, createMlp, disposeMlp, forward, readVariables, variablesOf, type Mlp, type StoredTensor } from './mlp';
import { Adam, type AdamState } from './adam';

/** Metrics of one update, under Stable-Baselines3's names. */
export interface UpdateMetrics {
  update: number;
  step: number;
  timestamp: string;
  'train/approx_kl': number;
  'train/clip_fraction': number;
  'train/entropy_loss': number;
  'train/value_loss': number;
  'train/policy_gradient_loss': number;
  'train/loss': number;
  'train/explained_variance': number;
  'train/learning_rate': number;
  'train/clip_range': number;
  'train/n_updates': number;
  'train/epochs': number;
  'rollout/ep_rew_mean': number | null;
  'rollout/ep_len_mean': number | null;
  'time/fps': number;
  'time/total_timesteps': number;
  'time/iterations': number;
  'time/time_elapsed': number;
}

/** Seed 000's evaluation record. */
export interface EvaluationRecord {
  step: number;
  mean_reward: number;
  std_reward: number;
  min_reward: number;
  max_reward: number;
  num_episodes: number;
  timestamp: string;
}

export type CheckpointKind = 'periodic' | 'best' | 'final';

/** Everything needed to continue a run exactly, or to run its policy. */
export interface PpoCheckpoint {
  step: number;
  update: number;
  kind: CheckpointKind;
  obsSize: number;
  numActions: number;
  netArch: number[];
  weights: StoredTensor[];
  optimizer: AdamState;
  learningRate: number;
  normalizer: NormalizerState | null;
  rng: number[];
  env: unknown;
  nextDone: number[];
  recentRewards: number[];
  recentLengths: number[];
  bestMeanReward: number | null;
  lastEvalStep: number;
  lastSaveStep: number;
  elapsedSeconds: number;
  timestamp: string;
}

/** Where a run's results go: the worker writes them to IndexedDB, the CLI to files, tests to memory. */
export interface RunSink {
  episodes(records: unknown[]): void | Promise<void>;
  update(metrics: UpdateMetrics): void | Promise<void>;
  evaluation(record: EvaluationRecord): void | Promise<void>;
  checkpoint(checkpoint: PpoCheckpoint): void | Promise<void>;
}

export interface TrainControl {
  /** Resolves when training may go on (pause waits here between updates). */
  waitIfPaused?(): Promise<void>;
  stopRequested?(): boolean;
  progress?(p: { step: number; total: number; update: number; fps: number; secondsLeft: number | null }): void;
}

/** A policy network's weights (kernels and biases, layer by layer, the last giving the action logits) and its input normalizer. */
export interface InitialPolicy {
  weights: StoredTensor[];
  normalizer: NormalizerState | null;
}

export class NonFiniteLossError extends Error {
  constructor(update: number, what: string) {
    super(`training diverged at update ${update}: ${what} is not a finite number (NaN or Infinity); the run stopped and its last good checkpoint is kept`);
    this.name = 'NonFiniteLossError';
  }
}

const MASKED_LOGIT = -1e9;

export class PpoTrainer {
  readonly hp: PpoHyperparameters;
  readonly env: VecEnv;
  private readonly makeEvalEnv: (copies: number, seed: number) => VecEnv;
  private readonly sink: RunSink;
  readonly policy: Mlp;
  readonly value: Mlp;
  private readonly vars: tf.Variable[];
  private readonly optimizer: Adam;
  /** Scalars the loss uses every step, made once: creating a scalar per op costs more than the op on WASM. */
  private readonly k: Record<'one' | 'clipLow' | 'clipHigh' | 'clip' | 'entCoef' | 'vfCoef' | 'unbias' | 'advEps' | 'maxGradNorm' | 'normEps' | 'clipVf' | 'negClipVf', tf.Scalar>;
  readonly normalizer: ObservationNormalizer | null;
  private readonly rng: Rng;
  private readonly obsSize: number;
  private readonly numActions: number;

  // progress, all part of a checkpoint
  step = 0;
  update = 0;
  private nextDone: Uint8Array;
  private recentRewards: number[] = [];
  private recentLengths: number[] = [];
  bestMeanReward: number | null = null;
  private lastEvalStep = 0;
  private lastSaveStep = 0;
  /** Training seconds before the current train() call (from a checkpoint when resumed). */
  private elapsedBefore = 0;
  private trainStartedAt: number | null = null;

  // rollout and minibatch buffers, allocated once
  private readonly T: number;
  private readonly N: number;
  private readonly bObs: Float32Array;
  private readonly bMask: Float32Array;
  private readonly bAct: Int32Array;
  private readonly bLogp: Float32Array;
  private readonly bRew: Float32Array;
  private readonly bDone: Float32Array;
  private readonly bVal: Float32Array;
  private readonly bAdv: Float32Array;
  private readonly bRet: Float32Array;
  private readonly obsNorm: Float32Array;
  private readonly maskFloat: Float32Array;
  private readonly actions: Int32Array;
  private readonly order: Int32Array;
  private readonly mbObs: Float32Array;
  private readonly mbOneHot: Float32Array;
  private readonly mbMask: Float32Array;
  private readonly mbLogp: Float32Array;
  private readonly mbAdv: Float32Array;
  private readonly mbRet: Float32Array;
  private readonly mbVal: Float32Array;

  /** A trainer with fresh networks, or continuing from a checkpoint exactly where it was taken. */
  static async create(opts: { hp: PpoHyperparameters; env: VecEnv; makeEvalEnv: (copies: number, seed: number) => VecEnv; sink: RunSink; resume?: PpoCheckpoint; initialPolicy?: InitialPolicy }): Promise<PpoTrainer> {
    const trainer = new PpoTrainer(opts);
    if (opts.resume) await trainer.restore(opts.resume);
    else {
      if (opts.initialPolicy) trainer.startFrom(opts.initialPolicy);
      opts.env.reset();
    }
    return trainer;
  }

  /** Starts from a trained policy (a behavior-cloning PolicyNet's weights and input normalizer); the value network stays fresh. */
  private startFrom(p: InitialPolicy): void {
    assignVariables(variablesOf(this.policy), p.weights);
    if (this.normalizer && p.normalizer) this.normalizer.setState(p.normalizer);
  }

  private constructor(opts: { hp: PpoHyperparameters; env: VecEnv; makeEvalEnv: (copies: number, seed: number) => VecEnv; sink: RunSink }) {
    const { hp, env } = opts;
    this.hp = hp;
    this.env = env;
    this.makeEvalEnv = opts.makeEvalEnv;
    this.sink = opts.sink;
    this.obsSize = env.obsSize;
    this.numActions = env.numActions;
    if (env.numEnvs !== hp.n_envs) throw new Error(`the environment has ${env.numEnvs} copies, n_envs is ${hp.n_envs}`);
    this.rng = new Rng(hp.seed);
    const D = this.obsSize, A = this.numActions;
    const activation = hp.activation ?? 'tanh';
    this.policy = createMlp('policy', [D, ...hp.net_arch, A], 0.01, this.rng, activation);
    this.value = createMlp('value', [D, ...hp.net_arch, 1], 1, this.rng, activation);
    this.vars = variablesOf(this.policy, this.value);
    this.optimizer = new Adam(this.vars, hp.learning_rate, 0.9, 0.999, 1e-5);
    const M0 = hp.batch_size;
    this.k = {
      one: tf.scalar(1), clipLow: tf.scalar(1 - hp.clip_range), clipHigh: tf.scalar(1 + hp.clip_range), clip: tf.scalar(hp.clip_range),
      entCoef: tf.scalar(hp.ent_coef), vfCoef: tf.scalar(hp.vf_coef), unbias: tf.scalar(M0 / Math.max(1, M0 - 1)), advEps: tf.scalar(1e-8),
      maxGradNorm: tf.scalar(hp.max_grad_norm), normEps: tf.scalar(1e-6), clipVf: tf.scalar(hp.clip_range_vf ?? 1), negClipVf: tf.scalar(-(hp.clip_range_vf ?? 1)),
    };
    this.normalizer = hp.normalize_observations ? new ObservationNormalizer(D) : null;

    const T = (this.T = hp.n_steps), N = (this.N = hp.n_envs), B = T * N, M = hp.batch_size;
    this.bObs = new Float32Array(B * D);
    this.bMask = new Float32Array(B * A);
    this.bAct = new Int32Array(B);
    this.bLogp = new Float32Array(B);
    this.bRew = new Float32Array(B);
    this.bDone = new Float32Array(B);
    this.bVal = new Float32Array(B);
    this.bAdv = new Float32Array(B);
    this.bRet = new Float32Array(B);
    this.obsNorm = new Float32Array(N * D);
    this.maskFloat = new Float32Array(N * A);
    this.actions = new Int32Array(N);
    this.order = new Int32Array(B);
    this.mbObs = new Float32Array(M * D);
    this.mbOneHot = new Float32Array(M * A);
    this.mbMask = new Float32Array(M * A);
    this.mbLogp = new Float32Array(M);
    this.mbAdv = new Float32Array(M);
    this.mbRet = new Float32Array(M);
    this.mbVal = new Float32Array(M);
    this.nextDone = new Uint8Array(N);
  }

  get numUpdates(): number {
    return Math.ceil(this.hp.total_timesteps / (this.T * this.N));
  }

  /** Policy logits plus the mask's offsets (0 allowed, -1e9 disallowed), so disallowed actions get no probability. */
  private maskedLogits(x: tf.Tensor2D, maskOffset: tf.Tensor2D): tf.Tensor2D {
    return tf.add(forward(this.policy, x), maskOffset) as tf.Tensor2D;
  }

  /** Normalized observations of the environment's current state, into obsNorm (and the statistics when training). */
  private observe(updateStats: boolean, env: VecEnv = this.env, out = this.obsNorm): void {
    const n = env.numEnvs;
    if (this.normalizer) {
      if (updateStats) this.normalizer.update(env.obs, n);
      this.normalizer.normalize(env.obs, out, n);
    } else out.set(env.obs.subarray(0, n * this.obsSize));
  }

  /** One forward pass for all copies: log-probabilities [N, A] and values [N], read back once. */
  private async act(obs: Float32Array, masks: Uint8Array, n: number): Promise<Float32Array> {
    const A = this.numActions, D = this.obsSize;
    const maskFloat = n === this.N ? this.maskFloat : new Float32Array(n * A);
    for (let i = 0; i < n * A; i++) maskFloat[i] = masks[i] ? 0 : MASKED_LOGIT;
    const out = tf.tidy(() => {
      const x = tf.tensor2d(obs, [n, D]);
      const m = tf.tensor2d(maskFloat, [n, A]);
      const logp = tf.logSoftmax(this.maskedLogits(x, m));
      return tf.concat([logp, forward(this.value, x)], 1);
    });
    const data = (await out.data()) as Float32Array;
    out.dispose();
    return data;
  }

  /** Samples one action per copy from its log-probabilities (a row of width A + 1: logp..., value). */
  private sample(row: Float32Array, offset: number): number {
    const A = this.numActions;
    let u = this.rng.next();
    let last = 0;
    for (let a = 0; a < A; a++) {
      const p = Math.exp(row[offset + a]);
      if (p > 0) last = a;
      u -= p;
      if (u < 0) return a;
    }
    return last; // rounding: the last allowed action
  }

  private async collectRollout(): Promise<void> {
    const { T, N } = this;
    const D = this.obsSize, A = this.numActions, W = A + 1;
    const env = this.env;
    for (let t = 0; t < T; t++) {
      this.observe(true);
      const base = t * N;
      this.bObs.set(this.obsNorm, base * D);
      for (let i = 0; i < N * A; i++) this.bMask[base * A + i] = env.masks[i] ? 0 : MASKED_LOGIT;
      for (let i = 0; i < N; i++) this.bDone[base + i] = this.nextDone[i];
      const out = await this.act(this.obsNorm, env.masks, N);
      for (let i = 0; i < N; i++) {
        const a = this.sample(out, i * W);
        this.actions[i] = a;
        this.bAct[base + i] = a;
        this.bLogp[base + i] = out[i * W + a];
        this.bVal[base + i] = out[i * W + A];
      }
      env.step(this.actions);
      for (let i = 0; i < N; i++) {
        this.bRew[base + i] = env.rewards[i];
        this.nextDone[i] = env.dones[i];
      }
      this.step += N;
    }
    // bootstrap from the value of the observation after the rollout (statistics not updated here:
    // this observation is folded in when the next rollout starts from it)
    this.observe(false);
    const last = await this.act(this.obsNorm, env.masks, N);
    this.computeAdvantages(last, W, A);
    const records = env.drainEpisodes() as { reward: number; length: number }[];
    for (const r of records) {
      this.recentRewards.push(r.reward);
      this.recentLengths.push(r.length);
    }
    if (this.recentRewards.length > 100) this.recentRewards.splice(0, this.recentRewards.length - 100);
    if (this.recentLengths.length > 100) this.recentLengths.splice(0, this.recentLengths.length - 100);
    if (records.length) await this.sink.episodes(records);
  }

  /** Generalized advantage estimation, backwards over the rollout. */
  private computeAdvantages(last: Float32Array, W: number, A: number): void {
    const { T, N } = this;
    const { gamma, gae_lambda: lambda } = this.hp;
    for (let i = 0; i < N; i++) {
      let lastGae = 0;
      for (let t = T - 1; t >= 0; t--) {
        const k = t * N + i;
        const nextNonTerminal = t === T - 1 ? 1 - this.nextDone[i] : 1 - this.bDone[k + N];
        const nextValue = t === T - 1 ? last[i * W + A] : this.bVal[k + N];
        const delta = this.bRew[k] + gamma * nextValue * nextNonTerminal - this.bVal[k];
        lastGae = delta + gamma * lambda * nextNonTerminal * lastGae;
        this.bAdv[k] = lastGae;
        this.bRet[k] = lastGae + this.bVal[k];
      }
    }
  }

  /** One gradient step on a minibatch; returns [pg_loss, value_loss, entropy, approx_kl, clip_fraction, loss] (kept). */
  private trainMinibatch(): tf.Tensor1D {
    const M = this.hp.batch_size, D = this.obsSize, A = this.numActions;
    const { clip_range_vf: clipVf, normalize_advantage } = this.hp;
    const k = this.k;
    let stats: tf.Tensor1D | null = null;
    const x = tf.tensor2d(this.mbObs, [M, D]);
    const oneHot = tf.tensor2d(this.mbOneHot, [M, A]);
    const mask = tf.tensor2d(this.mbMask, [M, A]);
    const oldLogp = tf.tensor1d(this.mbLogp);
    const advRaw = tf.tensor1d(this.mbAdv);
    const ret = tf.tensor1d(this.mbRet);
    const oldVal = tf.tensor1d(this.mbVal);
    const { value: loss, grads } = tf.variableGrads(() => {
      const logpAll = tf.logSoftmax(this.maskedLogits(x, mask));
      // log-probability of the taken action: a one-hot mask, not gather (wasm has no UnsortedSegmentSum)
      const newLogp = tf.sum(tf.mul(logpAll, oneHot), 1);
      const entropy = tf.neg(tf.sum(tf.mul(tf.exp(logpAll), logpAll), 1));
      const logRatio = tf.sub(newLogp, oldLogp);
      const ratio = tf.exp(logRatio);
      let adv: tf.Tensor1D = advRaw;
      if (normalize_advantage) {
        const { mean, variance } = tf.moments(advRaw);
        // unbiased std, as torch's .std() in CleanRL
        const std = tf.sqrt(tf.mul(variance, k.unbias));
        adv = tf.div(tf.sub(advRaw, mean), tf.add(std, k.advEps));
      }
      const pg1 = tf.mul(tf.neg(adv), ratio);
      const pg2 = tf.mul(tf.neg(adv), tf.minimum(tf.maximum(ratio, k.clipLow), k.clipHigh));
      const pgLoss = tf.mean(tf.maximum(pg1, pg2));
      const newValue = tf.reshape(forward(this.value, x), [M]);
      let valueLoss: tf.Scalar;
      if (clipVf !== null) {
        const unclipped = tf.square(tf.sub(newValue, ret));
        const clippedValue = tf.add(oldVal, tf.minimum(tf.maximum(tf.sub(newValue, oldVal), k.negClipVf), k.clipVf));
        const clipped = tf.square(tf.sub(clippedValue, ret));
        valueLoss = tf.mean(tf.maximum(unclipped, clipped));
      } else valueLoss = tf.mean(tf.square(tf.sub(newValue, ret)));
      const entropyMean = tf.mean(entropy);
      const total = tf.add(tf.sub(pgLoss, tf.mul(entropyMean, k.entCoef)), tf.mul(valueLoss, k.vfCoef)) as tf.Scalar;
      // http://joschu.net/blog/kl-approx.html: (ratio - 1) - log ratio
      const approxKl = tf.mean(tf.sub(tf.sub(ratio, k.one), logRatio));
      const clipFraction = tf.mean(tf.cast(tf.greater(tf.abs(tf.sub(ratio, k.one)), k.clip), 'float32'));
      stats = tf.keep(tf.stack([pgLoss, valueLoss, entropyMean, approxKl, clipFraction, total]) as tf.Tensor1D);
      return total;
    }, this.vars);
    tf.tidy(() => {
      // global-norm clipping by hand: every gradient scaled by min(1, max_norm / ||g||), inside Adam
      const list = this.vars.map((v) => grads[v.name]);
      const norm = tf.sqrt(tf.addN(list.map((g) => tf.sum(tf.square(g)))));
      const scale = tf.minimum(k.one, tf.div(k.maxGradNorm, tf.add(norm, k.normEps))) as tf.Scalar;
      this.optimizer.apply(list, scale);
    });
    tf.dispose([loss, x, oneHot, mask, oldLogp, advRaw, ret, oldVal]);
    tf.dispose(Object.values(grads));
    return stats!;
  }

  private gatherMinibatch(start: number): void {
    const M = this.hp.batch_size, D = this.obsSize, A = this.numActions;
    this.mbOneHot.fill(0);
    for (let j = 0; j < M; j++) {
      const k = this.order[start + j];
      this.mbObs.set(this.bObs.subarray(k * D, k * D + D), j * D);
      this.mbMask.set(this.bMask.subarray(k * A, k * A + A), j * A);
      this.mbOneHot[j * A + this.bAct[k]] = 1;
      this.mbLogp[j] = this.bLogp[k];
      this.mbAdv[j] = this.bAdv[k];
      this.mbRet[j] = this.bRet[k];
      this.mbVal[j] = this.bVal[k];
    }
  }

  private async learn(): Promise<Omit<UpdateMetrics, 'update' | 'step' | 'timestamp' | 'rollout/ep_rew_mean' | 'rollout/ep_len_mean' | 'time/fps' | 'time/total_timesteps' | 'time/iterations' | 'time/time_elapsed'>> {
    const B = this.T * this.N, M = this.hp.batch_size;
    for (let i = 0; i < B; i++) this.order[i] = i;
    const sums = new Float64Array(6);
    let count = 0, epochs = 0;
    for (let epoch = 0; epoch < this.hp.n_epochs; epoch++) {
      // Fisher-Yates with the run's Rng
      for (let i = B - 1; i > 0; i--) {
        const j = this.rng.int(i + 1);
        const t = this.order[i]; this.order[i] = this.order[j]; this.order[j] = t;
      }
      const epochStats: tf.Tensor1D[] = [];
      for (let start = 0; start + M <= B; start += M) {
        this.gatherMinibatch(start);
        epochStats.push(this.trainMinibatch());
      }
      // one read-back per epoch
      const stacked = tf.stack(epochStats);
      const values = (await stacked.data()) as Float32Array;
      tf.dispose([stacked, ...epochStats]);
      epochs++;
      let maxKl = 0;
      for (let m = 0; m < epochStats.length; m++) {
        for (let s = 0; s < 6; s++) sums[s] += values[m * 6 + s];
        maxKl = Math.max(maxKl, values[m * 6 + 3]);
        count++;
      }
      for (let s = 0; s < 6; s++) {
        if (!Number.isFinite(sums[s])) throw new NonFiniteLossError(this.update, ['the policy loss', 'the value loss', 'the entropy', 'the approximate KL', 'the clip fraction', 'the loss'][s]);
      }
      // SB3's rule: stop this update's epochs once KL passes 1.5 × target_kl
      if (this.hp.target_kl !== null && maxKl > 1.5 * this.hp.target_kl) break;
    }
    const mean = (s: number) => sums[s] / count;
    return {
      'train/policy_gradient_loss': mean(0),
      'train/value_loss': mean(1),
      'train/entropy_loss': -mean(2),
      'train/approx_kl': mean(3),
      'train/clip_fraction': mean(4),
      'train/loss': mean(5),
      'train/explained_variance': explainedVariance(this.bVal, this.bRet),
      'train/learning_rate': this.learningRate,
      'train/clip_range': this.hp.clip_range,
      'train/n_updates': this.update * this.hp.n_epochs,
      'train/epochs': epochs,
    };
  }

  /** Mean, std, min and max reward of n deterministic (argmax) episodes on the evaluation environment. */
  async evaluate(): Promise<EvaluationRecord> {
    const n = this.hp.n_eval_episodes;
    const env = this.makeEvalEnv(n, this.hp.seed + 1000);
    env.reset();
    const obs = new Float32Array(n * this.obsSize);
    const totals = new Float64Array(n);
    const finished = new Uint8Array(n);
    const actions = new Int32Array(n);
    const A = this.numActions, W = A + 1;
    let remaining = n;
    for (let guard = 0; remaining > 0 && guard < 1_000_000; guard++) {
      this.observe(false, env, obs);
      const out = await this.act(obs, env.masks, n);
      for (let i = 0; i < n; i++) {
        let best = 0;
        for (let a = 1; a < A; a++) if (out[i * W + a] > out[i * W + best]) best = a;
        actions[i] = best;
      }
      env.step(actions);
      for (let i = 0; i < n; i++) {
        if (finished[i]) continue;
        totals[i] += env.rewards[i];
        if (env.dones[i]) { finished[i] = 1; remaining--; }
      }
    }
    const rewards = Array.from(totals);
    const mean = rewards.reduce((a, b) => a + b, 0) / n;
    const std = Math.sqrt(rewards.reduce((a, b) => a + (b - mean) ** 2, 0) / n);
    return { step: this.step, mean_reward: mean, std_reward: std, min_reward: Math.min(...rewards), max_reward: Math.max(...rewards), num_episodes: n, timestamp: pythonIsoTime() };
  }

  private get learningRate(): number {
    return this.optimizer.learningRate;
  }
  private set learningRate(lr: number) {
    this.optimizer.learningRate = lr;
  }

  async checkpoint(kind: CheckpointKind): Promise<PpoCheckpoint> {
    const optimizer = await this.optimizer.getState();
    return {
      step: this.step,
      update: this.update,
      kind,
      obsSize: this.obsSize,
      numActions: this.numActions,
      netArch: this.hp.net_arch.slice(),
      weights: await readVariables(this.vars),
      optimizer,
      learningRate: this.learningRate,
      normalizer: this.normalizer?.getState() ?? null,
      rng: this.rng.getState(),
      env: this.env.getState(),
      nextDone: Array.from(this.nextDone),
      recentRewards: this.recentRewards.slice(),
      recentLengths: this.recentLengths.slice(),
      bestMeanReward: this.bestMeanReward,
      lastEvalStep: this.lastEvalStep,
      lastSaveStep: this.lastSaveStep,
      elapsedSeconds: this.elapsedSeconds(),
      timestamp: pythonIsoTime(),
    };
  }

  private async restore(c: PpoCheckpoint): Promise<void> {
    if (c.obsSize !== this.obsSize || c.numActions !== this.numActions) throw new Error(`the checkpoint is for ${c.obsSize} observations and ${c.numActions} actions, this environment has ${this.obsSize} and ${this.numActions}`);
    assignVariables(this.vars, c.weights);
    this.optimizer.setState(c.optimizer);
    this.learningRate = c.learningRate;
    if (this.normalizer && c.normalizer) this.normalizer.setState(c.normalizer);
    this.rng.setState(c.rng);
    this.env.setState(c.env);
    this.nextDone.set(c.nextDone);
    this.step = c.step;
    this.update = c.update;
    this.recentRewards = c.recentRewards.slice();
    this.recentLengths = c.recentLengths.slice();
    this.bestMeanReward = c.bestMeanReward;
    this.lastEvalStep = c.lastEvalStep;
    this.lastSaveStep = c.lastSaveStep;
    this.elapsedBefore = c.elapsedSeconds;
  }

  private elapsedSeconds(): number {
    return this.elapsedBefore + (this.trainStartedAt === null ? 0 : (performance.now() - this.trainStartedAt) / 1000);
  }

  /** Trains until total_timesteps (or a stop); evaluates, checkpoints and reports along the way. */
  async train(control: TrainControl = {}): Promise<'completed' | 'stopped'> {
    const hp = this.hp;
    const startedAt = performance.now();
    const startStep = this.step;
    this.trainStartedAt = startedAt;
    const elapsed = () => this.elapsedSeconds();
    const finish = () => { this.elapsedBefore = this.elapsedSeconds(); this.trainStartedAt = null; };
    while (this.step < hp.total_timesteps) {
      await control.waitIfPaused?.();
      if (control.stopRequested?.()) {
        await this.sink.checkpoint(await this.checkpoint('final'));
        finish();
        return 'stopped';
      }
      this.update += 1;
      if (hp.anneal_lr) this.learningRate = hp.learning_rate * (1 - (this.update - 1) / this.numUpdates);
      await this.collectRollout();
      const learned = await this.learn();
      const seconds = elapsed();
      const fps = (this.step - startStep) / Math.max(1e-9, (performance.now() - startedAt) / 1000);
      const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
      await this.sink.update({
        update: this.update,
        step: this.step,
        timestamp: pythonIsoTime(),
        ...learned,
        'rollout/ep_rew_mean': mean(this.recentRewards),
        'rollout/ep_len_mean': mean(this.recentLengths),
        'time/fps': fps,
        'time/total_timesteps': this.step,
        'time/iterations': this.update,
        'time/time_elapsed': seconds,
      });
      if (this.step - this.lastEvalStep >= hp.eval_freq || this.step >= hp.total_timesteps) {
        this.lastEvalStep = this.step;
        const record = await this.evaluate();
        await this.sink.evaluation(record);
        if (this.bestMeanReward === null || record.mean_reward > this.bestMeanReward) {
          this.bestMeanReward = record.mean_reward;
          await this.sink.checkpoint(await this.checkpoint('best'));
        }
      }
      if (this.step - this.lastSaveStep >= hp.save_freq && this.step < hp.total_timesteps) {
        this.lastSaveStep = this.step;
        await this.sink.checkpoint(await this.checkpoint('periodic'));
      }
      control.progress?.({
        step: this.step,
        total: hp.total_timesteps,
        update: this.update,
        fps,
        secondsLeft: fps > 0 ? (hp.total_timesteps - this.step) / fps : null,
      });
      // let other tasks (pause / stop messages, the page) run between updates
      await new Promise((r) => setTimeout(r, 0));
    }
    await this.sink.checkpoint(await this.checkpoint('final'));
    finish();
    return 'completed';
  }

  /** Greedy (argmax) action of one raw observation, for inference. */
  async predict(rawObs: Float32Array, mask?: Uint8Array): Promise<{ action: number; probs: number[] }> {
    const obs = new Float32Array(this.obsSize);
    if (this.normalizer) this.normalizer.normalize(rawObs, obs, 1); else obs.set(rawObs);
    const out = await this.act(obs, mask ?? new Uint8Array(this.numActions).fill(1), 1);
    const probs = Array.from(out.subarray(0, this.numActions), Math.exp);
    return { action: probs.indexOf(Math.max(...probs)), probs };
  }

  dispose(): void {
    disposeMlp(this.policy);
    disposeMlp(this.value);
    this.optimizer.dispose();
    tf.dispose(Object.values(this.k));
  }
}

export function explainedVariance(predicted: Float32Array, actual: Float32Array): number {
  const n = actual.length;
  let ma = 0, md = 0;
  for (let i = 0; i < n; i++) { ma += actual[i]; md += actual[i] - predicted[i]; }
  ma /= n; md /= n;
  let va = 0, vd = 0;
  for (let i = 0; i < n; i++) { va += (actual[i] - ma) ** 2; vd += (actual[i] - predicted[i] - md) ** 2; }
  return va === 0 ? NaN : 1 - vd / va;
}
