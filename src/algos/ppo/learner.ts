// PPO's learner, every detail visible in CleanRL's order: orthogonal init, Adam (eps 1e-5),
// shuffled minibatches of fixed shape, per-minibatch advantage normalization, the clipped
// surrogate, optional value clipping, entropy bonus, global-norm gradient clipping (Adam's
// applyClipped), target-KL early stop and action masking. The rollout, the advantages and the
// schedule are the on-policy runner's (onPolicy/runner.ts).
//
// Two ways to compute the same step: TensorFlow.js's ops on the run's backend (WebGPU, WebGL,
// CPU), or on the WASM backend the lab's own kernel (kernels/mlps.ts) with the loss's gradient
// written out here (trainMinibatchOnKernel: the derivatives autodiff takes through
// trainMinibatch's graph). test/unit/learner-parity.test.ts holds both to the same figures.
// Rollouts act on host copies of the networks either way (onPolicy/hostActor.ts). setControl
// changes the learning rate, entropy coefficient or clip range from the next update on
// (onPolicy/controls.ts).
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../core/rng';
import type { StoredTensor } from '../../core/run/contracts';
import { assignVariables, createMlp, disposeMlp, forward, initialWeights, mlpVariableNames, readVariables, variablesOf, type Mlp } from '../mlp';
import { Adam, HostAdam, type AdamState } from '../adam';
import { actsOnKernel, trainsOnKernel } from '../kernels/engine';
import { KernelMlps } from '../kernels/mlps';
import { MASKED_LOGIT, type RolloutBuffer } from '../onPolicy/buffer';
import { LiveControls, type ControlName } from '../onPolicy/controls';
import { clipPasses, maskedLogSoftmax, rowEntropy, writeLogitGrads } from '../onPolicy/hostLoss';
import { actRows, HostActor } from '../onPolicy/hostActor';
import { NonFiniteLossError, type OnPolicyLearner } from '../onPolicy/runner';
import type { PpoHyperparameters } from './hyperparameters';

/** The networks on TensorFlow.js: variables, the optimizer, and the loss's constant scalars. */
interface TfNets {
  policy: Mlp;
  value: Mlp;
  vars: tf.Variable[];
  optimizer: Adam;
  /** Scalars the loss uses every step, made once: creating a scalar per op costs more than the op on WASM. */
  k: Record<'one' | 'clipLow' | 'clipHigh' | 'clip' | 'entCoef' | 'vfCoef' | 'unbias' | 'advEps' | 'maxGradNorm' | 'clipVf' | 'negClipVf', tf.Scalar>;
  /** Host copies the rollouts act on (null where WebAssembly SIMD does not run: act on the backend). */
  actor: HostActor | null;
}

/** The networks on the kernel: policy (net 0) and value (net 1) trained together. */
interface KernelNets {
  mlps: KernelMlps;
  optimizer: HostAdam;
  names: { policy: string[]; value: string[] };
  /** Per-minibatch scratch: log-probabilities, d loss / d taken log-probability, one row's logit gradients. */
  logp: Float64Array;
  dTaken: Float64Array;
  g: Float64Array;
}

const STAT_NAMES = ['the policy loss', 'the value loss', 'the entropy', 'the approximate KL', 'the clip fraction', 'the loss'];

export class PpoLearner implements OnPolicyLearner {
  readonly netArch: number[];
  /** The entropy coefficient and clip range as changed by setControl; the loss reads these, not hp. */
  private readonly current: { ent_coef: number; clip_range: number };
  private readonly controls: LiveControls;
  /** Exactly one of the two is set: where this learner's arithmetic runs. */
  private readonly tfNets: TfNets | null;
  private readonly kernel: KernelNets | null;
  private readonly maskFloat: Float32Array;
  private readonly mbActions: Int32Array;
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
    const M = hp.batch_size;
    const sizes = { policy: [D, ...hp.net_arch, A], value: [D, ...hp.net_arch, 1] };
    this.current = { ent_coef: hp.ent_coef, clip_range: hp.clip_range };
    this.controls = new LiveControls('PPO', ['learning_rate', 'ent_coef', 'clip_range'], hp.learning_rate, { get: () => this.learningRate, set: (v) => (this.learningRate = v) });
    if (trainsOnKernel()) {
      const mlps = new KernelMlps([{ sizes: sizes.policy, activation }, { sizes: sizes.value, activation }], 2, M);
      const names = { policy: mlpVariableNames('policy', sizes.policy.length - 1), value: mlpVariableNames('value', sizes.value.length - 1) };
      mlps.writeWeights(0, initialWeights(names.policy, sizes.policy, 0.01, rng));
      mlps.writeWeights(1, initialWeights(names.value, sizes.value, 1, rng));
      const optimizer = new HostAdam(mlps, [{ net: 0, names: names.policy }, { net: 1, names: names.value }], hp.learning_rate, 0.9, 0.999, 1e-5);
      this.kernel = { mlps, optimizer, names, logp: new Float64Array(M * A), dTaken: new Float64Array(M), g: new Float64Array(A) };
      this.tfNets = null;
    } else {
      const policy = createMlp('policy', sizes.policy, 0.01, rng, activation);
      const value = createMlp('value', sizes.value, 1, rng, activation);
      const vars = variablesOf(policy, value);
      this.tfNets = {
        policy, value, vars,
        optimizer: new Adam(vars, hp.learning_rate, 0.9, 0.999, 1e-5),
        k: {
          one: tf.scalar(1), ...controlScalars(hp.clip_range, hp.ent_coef), vfCoef: tf.scalar(hp.vf_coef), unbias: tf.scalar(M / Math.max(1, M - 1)), advEps: tf.scalar(1e-8),
          maxGradNorm: tf.scalar(hp.max_grad_norm), clipVf: tf.scalar(hp.clip_range_vf ?? 1), negClipVf: tf.scalar(-(hp.clip_range_vf ?? 1)),
        },
        actor: actsOnKernel() ? new HostActor(sizes, activation) : null,
      };
      this.kernel = null;
    }
    this.mbActions = new Int32Array(M);
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
    return (this.kernel?.optimizer ?? this.tfNets!.optimizer).learningRate;
  }
  set learningRate(lr: number) {
    (this.kernel?.optimizer ?? this.tfNets!.optimizer).learningRate = lr;
  }

  /** What setControl takes. */
  get controlNames(): readonly ControlName[] {
    return this.controls.names;
  }

  /** The learning rate anneal_lr multiplies: the hyperparameter's, or the last one setControl made effective. */
  get baseLearningRate(): number {
    return this.controls.baseLearningRate;
  }

  /** Changes learning_rate, ent_coef or clip_range from the next update on (checked now; see onPolicy/controls.ts). */
  setControl(name: ControlName, value: number): void {
    this.controls.set(name, value);
  }

  /** On resume: the values in effect when the checkpoint was taken, at once (see LiveControls.restore). */
  restoreControls(values: Partial<Record<ControlName, number>>): void {
    this.applyChanges(this.controls.restore(values));
  }

  private applyControls(): void {
    this.applyChanges(this.controls.take());
  }

  private applyChanges(changes: [ControlName, number][]): void {
    if (changes.length === 0) return;
    for (const [name, value] of changes) if (name !== 'learning_rate') this.current[name] = value;
    const k = this.tfNets?.k;
    if (k) {
      tf.dispose([k.clipLow, k.clipHigh, k.clip, k.entCoef]);
      Object.assign(k, controlScalars(this.current.clip_range, this.current.ent_coef));
    }
  }

  /** Starts from a trained policy's weights (hidden layers, then the logits); the value network stays fresh. */
  startFrom(weights: StoredTensor[]): void {
    if (this.kernel) this.kernel.mlps.writeWeights(0, weights);
    else {
      assignVariables(variablesOf(this.tfNets!.policy), weights);
      this.tfNets!.actor?.invalidate();
    }
  }

  /** Policy logits plus the mask's offsets (0 allowed, -1e9 disallowed), so disallowed actions get no probability. */
  private maskedLogits(x: tf.Tensor2D, maskOffset: tf.Tensor2D): tf.Tensor2D {
    return tf.add(forward(this.tfNets!.policy, x), maskOffset) as tf.Tensor2D;
  }

  async act(obs: Float32Array, masks: Uint8Array, n: number): Promise<Float32Array> {
    if (this.kernel) return actRows(this.kernel.mlps, 0, 1, obs, masks, n, new Float32Array(n * (this.numActions + 1)));
    const nets = this.tfNets!;
    if (nets.actor) {
      return nets.actor.act(obs, masks, n, async () => {
        const w = await readVariables(nets.vars);
        const P = variablesOf(nets.policy).length;
        return { policy: w.slice(0, P), value: w.slice(P) };
      });
    }
    const A = this.numActions, D = this.obsSize;
    const maskFloat = n * A === this.maskFloat.length ? this.maskFloat : new Float32Array(n * A);
    for (let i = 0; i < n * A; i++) maskFloat[i] = masks[i] ? 0 : MASKED_LOGIT;
    const out = tf.tidy(() => {
      const x = tf.tensor2d(obs.subarray(0, n * D), [n, D]);
      const m = tf.tensor2d(maskFloat, [n, A]);
      const logp = tf.logSoftmax(this.maskedLogits(x, m));
      return tf.concat([logp, forward(nets.value, x)], 1);
    });
    const data = (await out.data()) as Float32Array;
    out.dispose();
    return data;
  }

  /** One gradient step on the gathered minibatch; returns [pg_loss, value_loss, entropy, approx_kl, clip_fraction, loss] (kept). */
  private trainMinibatch(): tf.Tensor1D {
    const M = this.hp.batch_size, D = this.obsSize, A = this.numActions;
    const { clip_range_vf: clipVf, normalize_advantage } = this.hp;
    const nets = this.tfNets!;
    const k = nets.k;
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
      const newValue = tf.reshape(forward(nets.value, x), [M]);
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
    }, nets.vars);
    nets.optimizer.applyClipped(grads, k.maxGradNorm);
    tf.dispose([loss, x, oneHot, mask, oldLogp, advRaw, ret, oldVal]);
    tf.dispose(Object.values(grads));
    return stats!;
  }

  /**
   * trainMinibatch on the kernel: forward passes, the loss and its gradient with respect to the
   * logits and the value (as autodiff takes it through trainMinibatch's graph), backward passes,
   * clipped Adam. Returns the same six figures.
   */
  private trainMinibatchOnKernel(): number[] {
    const M = this.hp.batch_size, A = this.numActions;
    const { clip_range_vf: clipVf, normalize_advantage, vf_coef: vfCoef } = this.hp;
    const { clip_range: clip, ent_coef: entCoef } = this.current;
    const { mlps, optimizer, logp, dTaken, g } = this.kernel!;
    mlps.forward(0, M, true);
    mlps.forward(1, M, true);
    const heap = mlps.heap;
    const policy = { heap, at: mlps.outputIndex(0), stride: mlps.outputStride(0), gradAt: mlps.outputGradIndex(0) };
    maskedLogSoftmax(policy, this.mbMask, M, A, logp);
    let mean = 0, variance = 0;
    if (normalize_advantage) {
      for (let j = 0; j < M; j++) mean += this.mbAdv[j];
      mean /= M;
      for (let j = 0; j < M; j++) variance += (this.mbAdv[j] - mean) ** 2;
      variance /= M;
    }
    // unbiased std, as torch's .std() in CleanRL
    const std = Math.sqrt(variance * (M / Math.max(1, M - 1)));
    const vAt = mlps.outputIndex(1), vStride = mlps.outputStride(1), vGrad = mlps.outputGradIndex(1);
    let pgSum = 0, valueSum = 0, entropySum = 0, klSum = 0, clipped = 0;
    for (let j = 0; j < M; j++) {
      const adv = normalize_advantage ? (this.mbAdv[j] - mean) / (std + 1e-8) : this.mbAdv[j];
      const logRatio = logp[j * A + this.mbActions[j]] - this.mbLogp[j];
      const ratio = Math.exp(logRatio);
      const pg1 = -adv * ratio, pg2 = -adv * Math.min(Math.max(ratio, 1 - clip), 1 + clip);
      pgSum += Math.max(pg1, pg2);
      // maximum's gradient goes to its first argument on a tie
      dTaken[j] = (ratio * (pg1 >= pg2 ? -adv : -adv * clipPasses(ratio, 1 - clip, 1 + clip))) / M;
      entropySum += rowEntropy(logp, j, A);
      klSum += ratio - 1 - logRatio;
      if (Math.abs(ratio - 1) > clip) clipped++;
      const v = heap[vAt + j * vStride], ret = this.mbRet[j], old = this.mbVal[j];
      let dv: number;
      if (clipVf !== null) {
        const unclipped = (v - ret) ** 2;
        const clippedValue = old + Math.min(Math.max(v - old, -clipVf), clipVf);
        const clippedLoss = (clippedValue - ret) ** 2;
        valueSum += Math.max(unclipped, clippedLoss);
        dv = unclipped >= clippedLoss ? 2 * (v - ret) : 2 * (clippedValue - ret) * clipPasses(v - old, -clipVf, clipVf);
      } else {
        valueSum += (v - ret) ** 2;
        dv = 2 * (v - ret);
      }
      heap[vGrad + j * vStride] = (vfCoef * dv) / M;
      for (let c = 1; c < vStride; c++) heap[vGrad + j * vStride + c] = 0;
    }
    writeLogitGrads(policy, logp, this.mbActions, dTaken, -entCoef / M, M, A, g);
    mlps.backward(0, M);
    mlps.backward(1, M);
    optimizer.applyClipped(this.hp.max_grad_norm);
    const pgLoss = pgSum / M, valueLoss = valueSum / M, entropy = entropySum / M;
    return [pgLoss, valueLoss, entropy, klSum / M, clipped / M, pgLoss - entCoef * entropy + vfCoef * valueLoss];
  }

  private gatherMinibatch(b: RolloutBuffer, start: number): void {
    const M = this.hp.batch_size, D = this.obsSize, A = this.numActions;
    // on the kernel the observations go straight into its input rows
    const obsAt = this.kernel ? this.kernel.mlps.inputIndex(M) : 0;
    const obs = this.kernel ? this.kernel.mlps.heap : this.mbObs;
    this.mbOneHot.fill(0);
    for (let j = 0; j < M; j++) {
      const k = this.order[start + j];
      // element loops: a subarray per row costs more (allocation) than the copy
      for (let c = 0, from = k * D, to = obsAt + j * D; c < D; c++) obs[to + c] = b.obs[from + c];
      for (let c = 0; c < A; c++) this.mbMask[j * A + c] = b.maskOffsets[k * A + c];
      this.mbOneHot[j * A + b.actions[k]] = 1;
      this.mbActions[j] = b.actions[k];
      this.mbLogp[j] = b.logp[k];
      this.mbAdv[j] = b.advantages[k];
      this.mbRet[j] = b.returns[k];
      this.mbVal[j] = b.values[k];
    }
  }

  async learn(b: RolloutBuffer, rng: Rng, update: number): Promise<Record<string, number>> {
    this.applyControls();
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
      const kernelStats: number[] = [];
      for (let start = 0; start + M <= B; start += M) {
        this.gatherMinibatch(b, start);
        if (this.kernel) kernelStats.push(...this.trainMinibatchOnKernel());
        else epochStats.push(this.trainMinibatch());
      }
      // one read-back per epoch
      let values: ArrayLike<number> = kernelStats;
      if (!this.kernel) {
        const stacked = tf.stack(epochStats);
        values = (await stacked.data()) as Float32Array;
        tf.dispose([stacked, ...epochStats]);
      }
      epochs++;
      let maxKl = 0;
      // minibatches counted, not read off the read-back's length (WebGPU's may be padded)
      const minibatches = this.kernel ? kernelStats.length / 6 : epochStats.length;
      for (let m = 0; m < minibatches; m++) {
        for (let s = 0; s < 6; s++) sums[s] += values[m * 6 + s];
        maxKl = Math.max(maxKl, values[m * 6 + 3]);
        count++;
      }
      for (let s = 0; s < 6; s++) if (!Number.isFinite(sums[s])) throw new NonFiniteLossError(update, STAT_NAMES[s]);
      // SB3's rule: stop this update's epochs once KL passes 1.5 × target_kl
      if (this.hp.target_kl !== null && maxKl > 1.5 * this.hp.target_kl) break;
    }
    this.tfNets?.actor?.invalidate();
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
      'train/clip_range': this.current.clip_range,
      'train/n_updates': update * this.hp.n_epochs,
      'train/epochs': epochs,
    };
  }

  async weights(): Promise<StoredTensor[]> {
    if (!this.kernel) return readVariables(this.tfNets!.vars);
    const { mlps, names } = this.kernel;
    return [...mlps.readWeights(0, names.policy), ...mlps.readWeights(1, names.value)];
  }

  async optimizerState(): Promise<AdamState> {
    return (this.kernel?.optimizer ?? this.tfNets!.optimizer).getState();
  }

  restore(weights: StoredTensor[], optimizer: AdamState): void {
    if (this.kernel) {
      const { mlps, names } = this.kernel;
      if (weights.length !== names.policy.length + names.value.length) throw new Error(`checkpoint holds ${weights.length} tensors, the network has ${names.policy.length + names.value.length}`);
      mlps.writeWeights(0, weights.slice(0, names.policy.length));
      mlps.writeWeights(1, weights.slice(names.policy.length));
      this.kernel.optimizer.setState(optimizer);
      return;
    }
    const nets = this.tfNets!;
    assignVariables(nets.vars, weights);
    nets.optimizer.setState(optimizer);
    nets.actor?.invalidate();
  }

  dispose(): void {
    if (!this.tfNets) return;
    disposeMlp(this.tfNets.policy);
    disposeMlp(this.tfNets.value);
    this.tfNets.optimizer.dispose();
    tf.dispose(Object.values(this.tfNets.k));
  }
}

/** The loss's scalars that setControl changes (clip range, entropy coefficient), made once per value. */
function controlScalars(clipRange: number, entCoef: number): Pick<TfNets['k'], 'clipLow' | 'clipHigh' | 'clip' | 'entCoef'> {
  return { clipLow: tf.scalar(1 - clipRange), clipHigh: tf.scalar(1 + clipRange), clip: tf.scalar(clipRange), entCoef: tf.scalar(entCoef) };
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
