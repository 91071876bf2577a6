// PPO's learner in TensorFlow.js, every detail visible in CleanRL's order: orthogonal init, Adam
// (eps 1e-5), shuffled minibatches of fixed shape, per-minibatch advantage normalization, the
// clipped surrogate, optional value clipping, entropy bonus, global-norm gradient clipping (Adam's
// applyClipped), target-KL early stop and action masking. The rollout, the advantages and the schedule
// are the on-policy runner's (onPolicy/runner.ts).
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../core/rng';
import type { StoredTensor } from '../../core/run/contracts';
import { assignVariables, createMlp, disposeMlp, forward, readVariables, variablesOf, type Mlp } from '../mlp';
import { Adam, type AdamState } from '../adam';
import { MASKED_LOGIT, type RolloutBuffer } from '../onPolicy/buffer';
import { NonFiniteLossError, type OnPolicyLearner } from '../onPolicy/runner';
import type { PpoHyperparameters } from './hyperparameters';

const STAT_NAMES = ['the policy loss', 'the value loss', 'the entropy', 'the approximate KL', 'the clip fraction', 'the loss'];

export class PpoLearner implements OnPolicyLearner {
  readonly policy: Mlp;
  readonly value: Mlp;
  readonly netArch: number[];
  private readonly vars: tf.Variable[];
  private readonly optimizer: Adam;
  /** Scalars the loss uses every step, made once: creating a scalar per op costs more than the op on WASM. */
  private readonly k: Record<'one' | 'clipLow' | 'clipHigh' | 'clip' | 'entCoef' | 'vfCoef' | 'unbias' | 'advEps' | 'maxGradNorm' | 'clipVf' | 'negClipVf', tf.Scalar>;
  private readonly maskFloat: Float32Array;
  private readonly order: Int32Array;
  private readonly mbObs: Float32Array;
  private readonly mbOneHot: Float32Array;
  private readonly mbMask: Float32Array;
  private readonly mbLogp: Float32Array;
  private readonly mbAdv: Float32Array;
  private readonly mbRet: Float32Array;
  private readonly mbVal: Float32Array;

  /** The networks' initial weights are drawn from `rng`, policy first. */
  constructor(private readonly hp: PpoHyperparameters, readonly obsSize: number, readonly numActions: number, rng: Rng) {
    const D = obsSize, A = numActions;
    const activation = hp.activation ?? 'tanh';
    this.netArch = hp.net_arch.slice();
    this.policy = createMlp('policy', [D, ...hp.net_arch, A], 0.01, rng, activation);
    this.value = createMlp('value', [D, ...hp.net_arch, 1], 1, rng, activation);
    this.vars = variablesOf(this.policy, this.value);
    this.optimizer = new Adam(this.vars, hp.learning_rate, 0.9, 0.999, 1e-5);
    const M = hp.batch_size;
    this.k = {
      one: tf.scalar(1), clipLow: tf.scalar(1 - hp.clip_range), clipHigh: tf.scalar(1 + hp.clip_range), clip: tf.scalar(hp.clip_range),
      entCoef: tf.scalar(hp.ent_coef), vfCoef: tf.scalar(hp.vf_coef), unbias: tf.scalar(M / Math.max(1, M - 1)), advEps: tf.scalar(1e-8),
      maxGradNorm: tf.scalar(hp.max_grad_norm), clipVf: tf.scalar(hp.clip_range_vf ?? 1), negClipVf: tf.scalar(-(hp.clip_range_vf ?? 1)),
    };
    this.maskFloat = new Float32Array(hp.n_envs * A);
    this.order = new Int32Array(hp.n_steps * hp.n_envs);
    this.mbObs = new Float32Array(M * D);
    this.mbOneHot = new Float32Array(M * A);
    this.mbMask = new Float32Array(M * A);
    this.mbLogp = new Float32Array(M);
    this.mbAdv = new Float32Array(M);
    this.mbRet = new Float32Array(M);
    this.mbVal = new Float32Array(M);
  }

  get learningRate(): number {
    return this.optimizer.learningRate;
  }
  set learningRate(lr: number) {
    this.optimizer.learningRate = lr;
  }

  /** Starts from a trained policy's weights (hidden layers, then the logits); the value network stays fresh. */
  startFrom(weights: StoredTensor[]): void {
    assignVariables(variablesOf(this.policy), weights);
  }

  /** Policy logits plus the mask's offsets (0 allowed, -1e9 disallowed), so disallowed actions get no probability. */
  private maskedLogits(x: tf.Tensor2D, maskOffset: tf.Tensor2D): tf.Tensor2D {
    return tf.add(forward(this.policy, x), maskOffset) as tf.Tensor2D;
  }

  async act(obs: Float32Array, masks: Uint8Array, n: number): Promise<Float32Array> {
    const A = this.numActions, D = this.obsSize;
    const maskFloat = n * A === this.maskFloat.length ? this.maskFloat : new Float32Array(n * A);
    for (let i = 0; i < n * A; i++) maskFloat[i] = masks[i] ? 0 : MASKED_LOGIT;
    const out = tf.tidy(() => {
      const x = tf.tensor2d(obs.subarray(0, n * D), [n, D]);
      const m = tf.tensor2d(maskFloat, [n, A]);
      const logp = tf.logSoftmax(this.maskedLogits(x, m));
      return tf.concat([logp, forward(this.value, x)], 1);
    });
    const data = (await out.data()) as Float32Array;
    out.dispose();
    return data;
  }

  /** One gradient step on the gathered minibatch; returns [pg_loss, value_loss, entropy, approx_kl, clip_fraction, loss] (kept). */
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
    this.optimizer.applyClipped(grads, k.maxGradNorm);
    tf.dispose([loss, x, oneHot, mask, oldLogp, advRaw, ret, oldVal]);
    tf.dispose(Object.values(grads));
    return stats!;
  }

  private gatherMinibatch(b: RolloutBuffer, start: number): void {
    const M = this.hp.batch_size, D = this.obsSize, A = this.numActions;
    this.mbOneHot.fill(0);
    for (let j = 0; j < M; j++) {
      const k = this.order[start + j];
      this.mbObs.set(b.obs.subarray(k * D, k * D + D), j * D);
      this.mbMask.set(b.maskOffsets.subarray(k * A, k * A + A), j * A);
      this.mbOneHot[j * A + b.actions[k]] = 1;
      this.mbLogp[j] = b.logp[k];
      this.mbAdv[j] = b.advantages[k];
      this.mbRet[j] = b.returns[k];
      this.mbVal[j] = b.values[k];
    }
  }

  async learn(b: RolloutBuffer, rng: Rng, update: number): Promise<Record<string, number>> {
    const B = b.size, M = this.hp.batch_size;
    for (let i = 0; i < B; i++) this.order[i] = i;
    const sums = new Float64Array(6);
    let count = 0, epochs = 0;
    for (let epoch = 0; epoch < this.hp.n_epochs; epoch++) {
      // Fisher-Yates with the run's Rng
      for (let i = B - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        const t = this.order[i]; this.order[i] = this.order[j]; this.order[j] = t;
      }
      const epochStats: tf.Tensor1D[] = [];
      for (let start = 0; start + M <= B; start += M) {
        this.gatherMinibatch(b, start);
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
      for (let s = 0; s < 6; s++) if (!Number.isFinite(sums[s])) throw new NonFiniteLossError(update, STAT_NAMES[s]);
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
      'train/explained_variance': explainedVariance(b.values, b.returns),
      'train/learning_rate': this.learningRate,
      'train/clip_range': this.hp.clip_range,
      'train/n_updates': update * this.hp.n_epochs,
      'train/epochs': epochs,
    };
  }

  weights(): Promise<StoredTensor[]> {
    return readVariables(this.vars);
  }

  optimizerState(): Promise<AdamState> {
    return this.optimizer.getState();
  }

  restore(weights: StoredTensor[], optimizer: AdamState): void {
    assignVariables(this.vars, weights);
    this.optimizer.setState(optimizer);
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
