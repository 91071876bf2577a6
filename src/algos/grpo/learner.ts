// GRPO's learner in TensorFlow.js (TRL's GRPOTrainer loss, for a policy MLP over market windows):
// no value network. Each step carries its trajectory's group-relative advantage; the loss is the
// clipped surrogate with an asymmetric upper clip (epsilon_high, DAPO's), aggregated by loss_type
// through per-step weights, plus beta × the k3 KL to a frozen reference policy (the policy training
// started from). num_iterations passes over the batch, num_minibatches gradient steps each, in
// trajectories shuffled by the run's Rng; minibatch shapes fixed. Masked logits get no probability.
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../core/rng';
import type { StoredTensor } from '../../core/run/contracts';
import { assignVariables, createMlp, disposeMlp, forward, readVariables, variablesOf, type Mlp } from '../mlp';
import { Adam, type AdamState } from '../adam';
import { MASKED_LOGIT, type RolloutBuffer } from '../onPolicy/buffer';
import { NonFiniteLossError, type OnPolicyLearner } from '../onPolicy/runner';
import { stepWeights } from './scorers';
import type { GrpoHyperparameters } from './hyperparameters';

export interface ObjectiveConstants {
  one: tf.Scalar;
  /** 1 − epsilon and 1 + epsilon_high. */
  low: tf.Scalar;
  high: tf.Scalar;
  beta: tf.Scalar;
  zero: tf.Scalar;
}

export function objectiveConstants(epsilon: number, epsilonHigh: number, beta: number): ObjectiveConstants {
  return { one: tf.scalar(1), low: tf.scalar(1 - epsilon), high: tf.scalar(1 + epsilonHigh), beta: tf.scalar(beta), zero: tf.scalar(0) };
}

/**
 * The loss of one batch of steps and its statistics: `weights` aggregate the per-step loss by
 * loss_type (scorers.ts' stepWeights); `aliveShare` is 1 / (alive steps) on each alive step, for
 * the means the metrics report. refLogp null: no KL term (beta 0) and kl reported as 0.
 */
export function grpoObjective(newLogp: tf.Tensor1D, oldLogp: tf.Tensor1D, refLogp: tf.Tensor1D | null, advantages: tf.Tensor1D, weights: tf.Tensor1D, aliveShare: tf.Tensor1D, k: ObjectiveConstants) {
  const ratio = tf.exp(tf.sub(newLogp, oldLogp));
  const clipped = tf.minimum(tf.maximum(ratio, k.low), k.high);
  let perStep = tf.neg(tf.minimum(tf.mul(ratio, advantages), tf.mul(clipped, advantages)));
  let kl: tf.Scalar = k.zero;
  if (refLogp) {
    // k3: exp(ref − logp) − (ref − logp) − 1, never negative
    const d = tf.sub(refLogp, newLogp);
    const perStepKl = tf.sub(tf.sub(tf.exp(d), d), k.one);
    perStep = tf.add(perStep, tf.mul(k.beta, perStepKl));
    kl = tf.sum(tf.mul(perStepKl, aliveShare));
  }
  const loss = tf.sum(tf.mul(perStep, weights)) as tf.Scalar;
  const isLow = tf.cast(tf.logicalAnd(tf.less(ratio, k.low), tf.less(advantages, k.zero)), 'float32');
  const isHigh = tf.cast(tf.logicalAnd(tf.greater(ratio, k.high), tf.greater(advantages, k.zero)), 'float32');
  return {
    loss,
    kl,
    clipLow: tf.sum(tf.mul(isLow, aliveShare)) as tf.Scalar,
    clipHigh: tf.sum(tf.mul(isHigh, aliveShare)) as tf.Scalar,
    clipRegion: tf.sum(tf.mul(tf.maximum(isLow, isHigh), aliveShare)) as tf.Scalar,
  };
}

/** What the trainer tells the learner about the batch it collected, beside the rollout buffer. */
export interface GrpoBatch {
  /** [T·N] time-major: 1 for the steps a trajectory took inside its window. */
  alive: Float32Array;
  /** [N]: 1 for a trajectory in the loss, 0 for one left out (seed 004's dropout). */
  included: Uint8Array;
}

const STAT_NAMES = ['the loss', 'the entropy', 'the KL', 'the low clip ratio', 'the high clip ratio', 'the clip region ratio'];

export class GrpoLearner implements OnPolicyLearner {
  readonly policy: Mlp;
  /** The frozen reference of the KL term (with beta > 0): the policy as training started. */
  readonly reference: Mlp | null;
  readonly netArch: number[];
  readonly batch: GrpoBatch;
  /** The rollout's own figures (reward, reward_std, frac_reward_zero_std, …), reported with the update's. */
  rolloutMetrics: Record<string, number> = {};
  private readonly vars: tf.Variable[];
  private readonly optimizer: Adam;
  private readonly k: ObjectiveConstants & { maxGradNorm: tf.Scalar };
  private readonly T: number;
  private readonly N: number;
  /** Trajectories per minibatch. */
  private readonly M: number;
  private readonly order: Int32Array;
  private readonly maskFloat: Float32Array;
  private readonly mb: { obs: Float32Array; oneHot: Float32Array; mask: Float32Array; logp: Float32Array; adv: Float32Array; weights: Float32Array; share: Float32Array; alive: Float32Array; included: Uint8Array };

  constructor(private readonly hp: GrpoHyperparameters, readonly obsSize: number, readonly numActions: number, rng: Rng) {
    const D = obsSize, A = numActions;
    const activation = hp.activation ?? 'tanh';
    this.netArch = hp.net_arch.slice();
    this.policy = createMlp('grpo_policy', [D, ...hp.net_arch, A], 0.01, rng, activation);
    this.reference = hp.beta > 0 ? createMlp('grpo_reference', [D, ...hp.net_arch, A], 0.01, rng, activation) : null;
    if (this.reference) this.copyPolicyToReference();
    this.vars = variablesOf(this.policy);
    // TRL's AdamW defaults, without weight decay
    this.optimizer = new Adam(this.vars, hp.learning_rate, 0.9, 0.999, 1e-8);
    this.k = { ...objectiveConstants(hp.epsilon, hp.epsilon_high, hp.beta), maxGradNorm: tf.scalar(hp.max_grad_norm) };
    this.T = hp.n_steps;
    this.N = hp.n_envs;
    this.M = this.N / hp.num_minibatches;
    const S = this.M * this.T;
    this.order = new Int32Array(this.N);
    this.maskFloat = new Float32Array(this.N * A);
    this.mb = {
      obs: new Float32Array(S * D), oneHot: new Float32Array(S * A), mask: new Float32Array(S * A), logp: new Float32Array(S), adv: new Float32Array(S),
      weights: new Float32Array(S), share: new Float32Array(S), alive: new Float32Array(S), included: new Uint8Array(this.M),
    };
    this.batch = { alive: new Float32Array(this.T * this.N), included: new Uint8Array(this.N).fill(1) };
  }

  get learningRate(): number {
    return this.optimizer.learningRate;
  }
  set learningRate(lr: number) {
    this.optimizer.learningRate = lr;
  }

  private copyPolicyToReference(): void {
    if (!this.reference) return;
    const from = variablesOf(this.policy), to = variablesOf(this.reference);
    to.forEach((v, i) => v.assign(from[i]));
  }

  /** Starts from a trained policy's weights (hidden layers, then the logits), which also become the KL reference. */
  startFrom(weights: StoredTensor[]): void {
    assignVariables(variablesOf(this.policy), weights);
    this.copyPolicyToReference();
  }

  async act(obs: Float32Array, masks: Uint8Array, n: number): Promise<Float32Array> {
    const A = this.numActions, D = this.obsSize;
    const maskFloat = n * A === this.maskFloat.length ? this.maskFloat : new Float32Array(n * A);
    for (let i = 0; i < n * A; i++) maskFloat[i] = masks[i] ? 0 : MASKED_LOGIT;
    // rows of [log-probabilities, 0]: the runner's layout, with no value to give
    const out = tf.tidy(() => {
      const logp = tf.logSoftmax(tf.add(forward(this.policy, tf.tensor2d(obs.subarray(0, n * D), [n, D])), tf.tensor2d(maskFloat, [n, A])));
      return tf.concat([logp, tf.zeros([n, 1])], 1);
    });
    const data = (await out.data()) as Float32Array;
    out.dispose();
    return data;
  }

  /** Trajectories order[start..start+M) of the buffer, trajectory-major, with their loss weights. */
  private gather(b: RolloutBuffer, start: number): void {
    const { T, N, M, mb } = this;
    const D = this.obsSize, A = this.numActions;
    mb.oneHot.fill(0);
    for (let j = 0; j < M; j++) {
      const copy = this.order[start + j];
      mb.included[j] = this.batch.included[copy];
      for (let t = 0; t < T; t++) {
        const k = t * N + copy, s = j * T + t;
        mb.obs.set(b.obs.subarray(k * D, k * D + D), s * D);
        mb.mask.set(b.maskOffsets.subarray(k * A, k * A + A), s * A);
        mb.oneHot[s * A + b.actions[k]] = 1;
        mb.logp[s] = b.logp[k];
        mb.adv[s] = b.advantages[k];
        mb.alive[s] = this.batch.alive[k];
      }
    }
    stepWeights(this.hp.loss_type, mb.alive, mb.included, M, T, mb.weights);
    let alive = 0;
    for (let s = 0; s < M * T; s++) alive += mb.included[(s / T) | 0] ? mb.alive[s] : 0;
    for (let s = 0; s < M * T; s++) mb.share[s] = alive > 0 && mb.included[(s / T) | 0] ? mb.alive[s] / alive : 0;
  }

  /** One gradient step on the gathered minibatch; returns [loss, entropy, kl, clip low, clip high, clip region] (kept). */
  private trainMinibatch(): tf.Tensor1D {
    const S = this.M * this.T, D = this.obsSize, A = this.numActions, mb = this.mb, k = this.k;
    let stats: tf.Tensor1D | null = null;
    const x = tf.tensor2d(mb.obs, [S, D]);
    const oneHot = tf.tensor2d(mb.oneHot, [S, A]);
    const mask = tf.tensor2d(mb.mask, [S, A]);
    const oldLogp = tf.tensor1d(mb.logp);
    const adv = tf.tensor1d(mb.adv);
    const weights = tf.tensor1d(mb.weights);
    const share = tf.tensor1d(mb.share);
    const refLogp = this.reference ? tf.tidy(() => tf.sum(tf.mul(tf.logSoftmax(tf.add(forward(this.reference!, x), mask)), oneHot), 1)) as tf.Tensor1D : null;
    const { value, grads } = tf.variableGrads(() => {
      const logpAll = tf.logSoftmax(tf.add(forward(this.policy, x), mask));
      // log-probability of the taken action: a one-hot mask, not gather (WASM has no UnsortedSegmentSum)
      const newLogp = tf.sum(tf.mul(logpAll, oneHot), 1) as tf.Tensor1D;
      const o = grpoObjective(newLogp, oldLogp, refLogp, adv, weights, share, k);
      const entropy = tf.sum(tf.mul(tf.neg(tf.sum(tf.mul(tf.exp(logpAll), logpAll), 1)), share));
      stats = tf.keep(tf.stack([o.loss, entropy, o.kl, o.clipLow, o.clipHigh, o.clipRegion]) as tf.Tensor1D);
      return o.loss;
    }, this.vars);
    this.optimizer.applyClipped(grads, k.maxGradNorm);
    tf.dispose([value, x, oneHot, mask, oldLogp, adv, weights, share, ...(refLogp ? [refLogp] : [])]);
    tf.dispose(Object.values(grads));
    return stats!;
  }

  async learn(b: RolloutBuffer, rng: Rng, update: number): Promise<Record<string, number>> {
    const { N, M } = this;
    for (let i = 0; i < N; i++) this.order[i] = i;
    const sums = new Float64Array(6);
    let count = 0;
    for (let pass = 0; pass < this.hp.num_iterations; pass++) {
      for (let i = N - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        const t = this.order[i]; this.order[i] = this.order[j]; this.order[j] = t;
      }
      const passStats: tf.Tensor1D[] = [];
      for (let start = 0; start + M <= N; start += M) {
        this.gather(b, start);
        passStats.push(this.trainMinibatch());
      }
      // one read-back per pass
      const stacked = tf.stack(passStats);
      const values = (await stacked.data()) as Float32Array;
      tf.dispose([stacked, ...passStats]);
      for (let m = 0; m < passStats.length; m++, count++) for (let s = 0; s < 6; s++) sums[s] += values[m * 6 + s];
      for (let s = 0; s < 6; s++) if (!Number.isFinite(sums[s])) throw new NonFiniteLossError(update, STAT_NAMES[s]);
    }
    const mean = (s: number) => sums[s] / count;
    return {
      ...this.rolloutMetrics,
      loss: mean(0),
      entropy: mean(1),
      kl: mean(2),
      'clip_ratio/low_mean': mean(3),
      'clip_ratio/high_mean': mean(4),
      'clip_ratio/region_mean': mean(5),
      learning_rate: this.learningRate,
    };
  }

  /** The policy's tensors, then the reference's (when there is one): a checkpoint continues both exactly. */
  weights(): Promise<StoredTensor[]> {
    return readVariables(this.reference ? [...this.vars, ...variablesOf(this.reference)] : this.vars);
  }

  optimizerState(): Promise<AdamState> {
    return this.optimizer.getState();
  }

  restore(weights: StoredTensor[], optimizer: AdamState): void {
    const n = this.vars.length;
    assignVariables(this.vars, weights.slice(0, n));
    if (this.reference) assignVariables(variablesOf(this.reference), weights.length > n ? weights.slice(n) : weights.slice(0, n));
    this.optimizer.setState(optimizer);
  }

  dispose(): void {
    disposeMlp(this.policy);
    if (this.reference) disposeMlp(this.reference);
    this.optimizer.dispose();
    tf.dispose(Object.values(this.k));
  }
}
