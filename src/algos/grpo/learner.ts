// GRPO's learner in TensorFlow.js (TRL's GRPOTrainer loss, for a policy MLP over market windows):
// no value network. Each step carries its trajectory's group-relative advantage; the loss is the
// clipped surrogate with an asymmetric upper clip (epsilon_high, DAPO's), aggregated by loss_type
// through per-step weights, plus beta × the k3 KL to a frozen reference policy (the policy training
// started from). num_iterations passes over the batch, num_minibatches gradient steps each, in
// trajectories shuffled by the run's Rng; minibatch shapes fixed. Masked logits get no probability.
//
// As PPO's learner: TensorFlow.js's ops on the run's backend, or on the WASM backend the lab's own
// kernel with the objective's gradient written out (trainMinibatchOnKernel); rollouts act on host
// copies of the policy either way. setControl changes the learning rate or the clip range from the
// next update on (onPolicy/controls.ts).
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
import { grpoObjective, objectiveConstants, type ObjectiveConstants } from './objective';
import { stepWeights } from './scorers';
import type { GrpoHyperparameters } from './hyperparameters';

export { grpoObjective, objectiveConstants, type ObjectiveConstants } from './objective';

/** What the trainer tells the learner about the batch it collected, beside the rollout buffer. */
export interface GrpoBatch {
  /** [T·N] time-major: 1 for the steps a trajectory took inside its window. */
  alive: Float32Array;
  /** [N]: 1 for a trajectory in the loss, 0 for one left out (seed 004's dropout). */
  included: Uint8Array;
}

const STAT_NAMES = ['the loss', 'the entropy', 'the KL', 'the low clip ratio', 'the high clip ratio', 'the clip region ratio'];

/** The policy (and its frozen reference) on TensorFlow.js. */
interface TfNets {
  policy: Mlp;
  /** The frozen reference of the KL term (with beta > 0): the policy as training started. */
  reference: Mlp | null;
  vars: tf.Variable[];
  optimizer: Adam;
  k: ObjectiveConstants & { maxGradNorm: tf.Scalar };
  actor: HostActor | null;
}

/** The policy (net 0, trained) and its reference (net 1, with beta > 0) on the kernel. */
interface KernelNets {
  mlps: KernelMlps;
  optimizer: HostAdam;
  names: { policy: string[]; reference: string[] | null };
  logp: Float64Array;
  refLogp: Float64Array;
  dTaken: Float64Array;
  g: Float64Array;
}

export class GrpoLearner implements OnPolicyLearner {
  readonly netArch: number[];
  /** The two clip widths in use, as changed by setControl; the loss reads these, not hp. */
  private readonly current: { epsilon: number; epsilon_high: number };
  /** GRPO's loss has no entropy bonus: learning rate and clip range only. */
  private readonly controls: LiveControls;
  readonly batch: GrpoBatch;
  /** The rollout's own figures (reward, reward_std, frac_reward_zero_std, …), reported with the update's. */
  rolloutMetrics: Record<string, number> = {};
  private readonly tfNets: TfNets | null;
  private readonly kernel: KernelNets | null;
  private readonly mbActions: Int32Array;
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
    this.T = hp.n_steps;
    this.N = hp.n_envs;
    this.M = this.N / hp.num_minibatches;
    const S = this.M * this.T;
    const sizes = [D, ...hp.net_arch, A];
    this.current = { epsilon: hp.epsilon, epsilon_high: hp.epsilon_high };
    this.controls = new LiveControls('GRPO', ['learning_rate', 'clip_range'], hp.learning_rate, { get: () => this.learningRate, set: (v) => (this.learningRate = v) });
    if (trainsOnKernel()) {
      const withReference = hp.beta > 0;
      const mlps = new KernelMlps([{ sizes, activation }, ...(withReference ? [{ sizes, activation }] : [])], 1, S);
      const names = { policy: mlpVariableNames('grpo_policy', sizes.length - 1), reference: withReference ? mlpVariableNames('grpo_reference', sizes.length - 1) : null };
      mlps.writeWeights(0, initialWeights(names.policy, sizes, 0.01, rng));
      // the reference's own draws, as createMlp makes them, before the policy's weights overwrite it
      if (withReference) initialWeights(names.reference!, sizes, 0.01, rng);
      // TRL's AdamW defaults, without weight decay
      const optimizer = new HostAdam(mlps, [{ net: 0, names: names.policy }], hp.learning_rate, 0.9, 0.999, 1e-8);
      this.kernel = { mlps, optimizer, names, logp: new Float64Array(S * A), refLogp: new Float64Array(S * A), dTaken: new Float64Array(S), g: new Float64Array(A) };
      this.tfNets = null;
      this.copyPolicyToReference();
    } else {
      const policy = createMlp('grpo_policy', sizes, 0.01, rng, activation);
      const reference = hp.beta > 0 ? createMlp('grpo_reference', sizes, 0.01, rng, activation) : null;
      const vars = variablesOf(policy);
      this.tfNets = {
        policy, reference, vars,
        // TRL's AdamW defaults, without weight decay
        optimizer: new Adam(vars, hp.learning_rate, 0.9, 0.999, 1e-8),
        k: { ...objectiveConstants(hp.epsilon, hp.epsilon_high, hp.beta), maxGradNorm: tf.scalar(hp.max_grad_norm) },
        actor: actsOnKernel() ? new HostActor({ policy: sizes, value: null }, activation) : null,
      };
      this.kernel = null;
      this.copyPolicyToReference();
    }
    this.mbActions = new Int32Array(S);
    this.order = new Int32Array(this.N);
    this.maskFloat = new Float32Array(this.N * A);
    this.mb = {
      obs: new Float32Array(S * D), oneHot: new Float32Array(S * A), mask: new Float32Array(S * A), logp: new Float32Array(S), adv: new Float32Array(S),
      weights: new Float32Array(S), share: new Float32Array(S), alive: new Float32Array(S), included: new Uint8Array(this.M),
    };
    this.batch = { alive: new Float32Array(this.T * this.N), included: new Uint8Array(this.N).fill(1) };
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

  /**
   * Changes learning_rate or clip_range from the next update on (checked now; see
   * onPolicy/controls.ts). clip_range is epsilon, the lower clip; epsilon_high keeps its distance
   * above it (none by default, DAPO's 0.08).
   */
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
    for (const [, value] of changes) {
      // clip_range, the only other setting GRPO takes
      const high = value + this.current.epsilon_high - this.current.epsilon;
      this.current.epsilon_high = high > 0 ? high : value;
      this.current.epsilon = value;
    }
    const k = this.tfNets?.k;
    if (k) {
      tf.dispose([k.low, k.high]);
      k.low = tf.scalar(1 - this.current.epsilon);
      k.high = tf.scalar(1 + this.current.epsilon_high);
    }
  }

  private copyPolicyToReference(): void {
    if (this.kernel) {
      if (this.kernel.names.reference) this.kernel.mlps.copyWeights(0, 1);
      return;
    }
    const { policy, reference } = this.tfNets!;
    if (!reference) return;
    const from = variablesOf(policy), to = variablesOf(reference);
    to.forEach((v, i) => v.assign(from[i]));
  }

  /** Starts from a trained policy's weights (hidden layers, then the logits), which also become the KL reference. */
  startFrom(weights: StoredTensor[]): void {
    if (this.kernel) this.kernel.mlps.writeWeights(0, weights);
    else {
      assignVariables(variablesOf(this.tfNets!.policy), weights);
      this.tfNets!.actor?.invalidate();
    }
    this.copyPolicyToReference();
  }

  async act(obs: Float32Array, masks: Uint8Array, n: number): Promise<Float32Array> {
    if (this.kernel) return actRows(this.kernel.mlps, 0, null, obs, masks, n, new Float32Array(n * (this.numActions + 1)));
    const nets = this.tfNets!;
    if (nets.actor) return nets.actor.act(obs, masks, n, async () => ({ policy: await readVariables(nets.vars), value: null }));
    const A = this.numActions, D = this.obsSize;
    const maskFloat = n * A === this.maskFloat.length ? this.maskFloat : new Float32Array(n * A);
    for (let i = 0; i < n * A; i++) maskFloat[i] = masks[i] ? 0 : MASKED_LOGIT;
    // rows of [log-probabilities, 0]: the runner's layout, with no value to give
    const out = tf.tidy(() => {
      const logp = tf.logSoftmax(tf.add(forward(nets.policy, tf.tensor2d(obs.subarray(0, n * D), [n, D])), tf.tensor2d(maskFloat, [n, A])));
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
    // on the kernel the observations go straight into its input rows
    const obsAt = this.kernel ? this.kernel.mlps.inputIndex(M * T) : 0;
    const obs = this.kernel ? this.kernel.mlps.heap : mb.obs;
    mb.oneHot.fill(0);
    for (let j = 0; j < M; j++) {
      const copy = this.order[start + j];
      mb.included[j] = this.batch.included[copy];
      for (let t = 0; t < T; t++) {
        const k = t * N + copy, s = j * T + t;
        // element loops: a subarray per row costs more (allocation) than the copy
        for (let c = 0, from = k * D, to = obsAt + s * D; c < D; c++) obs[to + c] = b.obs[from + c];
        for (let c = 0; c < A; c++) mb.mask[s * A + c] = b.maskOffsets[k * A + c];
        mb.oneHot[s * A + b.actions[k]] = 1;
        this.mbActions[s] = b.actions[k];
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
    const S = this.M * this.T, D = this.obsSize, A = this.numActions, mb = this.mb, nets = this.tfNets!, k = nets.k;
    let stats: tf.Tensor1D | null = null;
    const x = tf.tensor2d(mb.obs, [S, D]);
    const oneHot = tf.tensor2d(mb.oneHot, [S, A]);
    const mask = tf.tensor2d(mb.mask, [S, A]);
    const oldLogp = tf.tensor1d(mb.logp);
    const adv = tf.tensor1d(mb.adv);
    const weights = tf.tensor1d(mb.weights);
    const share = tf.tensor1d(mb.share);
    const refLogp = nets.reference ? tf.tidy(() => tf.sum(tf.mul(tf.logSoftmax(tf.add(forward(nets.reference!, x), mask)), oneHot), 1)) as tf.Tensor1D : null;
    const { value, grads } = tf.variableGrads(() => {
      const logpAll = tf.logSoftmax(tf.add(forward(nets.policy, x), mask));
      // log-probability of the taken action: a one-hot mask, not gather (WASM has no UnsortedSegmentSum)
      const newLogp = tf.sum(tf.mul(logpAll, oneHot), 1) as tf.Tensor1D;
      const o = grpoObjective(newLogp, oldLogp, refLogp, adv, weights, share, k);
      const entropy = tf.sum(tf.mul(tf.neg(tf.sum(tf.mul(tf.exp(logpAll), logpAll), 1)), share));
      stats = tf.keep(tf.stack([o.loss, entropy, o.kl, o.clipLow, o.clipHigh, o.clipRegion]) as tf.Tensor1D);
      return o.loss;
    }, nets.vars);
    nets.optimizer.applyClipped(grads, k.maxGradNorm);
    tf.dispose([value, x, oneHot, mask, oldLogp, adv, weights, share, ...(refLogp ? [refLogp] : [])]);
    tf.dispose(Object.values(grads));
    return stats!;
  }

  /** trainMinibatch on the kernel: grpoObjective's figures and its gradient (as autodiff takes it), then clipped Adam. */
  private trainMinibatchOnKernel(): number[] {
    const S = this.M * this.T, A = this.numActions, mb = this.mb, hp = this.hp;
    const { mlps, optimizer, logp, refLogp, dTaken, g } = this.kernel!;
    const withReference = this.kernel!.names.reference !== null;
    mlps.forward(0, S, true);
    const heap = mlps.heap;
    const policy = { heap, at: mlps.outputIndex(0), stride: mlps.outputStride(0), gradAt: mlps.outputGradIndex(0) };
    maskedLogSoftmax(policy, mb.mask, S, A, logp);
    if (withReference) {
      mlps.forward(1, S);
      maskedLogSoftmax({ heap, at: mlps.outputIndex(1), stride: mlps.outputStride(1), gradAt: 0 }, mb.mask, S, A, refLogp);
    }
    // the objective's constants are float32 scalars in the tensor version
    const low = Math.fround(1 - this.current.epsilon), high = Math.fround(1 + this.current.epsilon_high), beta = Math.fround(hp.beta);
    let loss = 0, entropy = 0, kl = 0, clipLow = 0, clipHigh = 0, region = 0;
    for (let s = 0; s < S; s++) {
      const a = this.mbActions[s], adv = mb.adv[s], share = mb.share[s], w = mb.weights[s];
      const newLogp = logp[s * A + a];
      const ratio = Math.exp(newLogp - mb.logp[s]);
      const ra = ratio * adv, ca = Math.min(Math.max(ratio, low), high) * adv;
      let perStep = -Math.min(ra, ca);
      // minimum's gradient goes to its first argument on a tie
      let dNew = -ratio * (ra <= ca ? adv : adv * clipPasses(ratio, low, high));
      if (withReference) {
        const d = refLogp[s * A + a] - newLogp;
        const perStepKl = Math.exp(d) - d - 1;
        perStep += beta * perStepKl;
        dNew += beta * (1 - Math.exp(d));
        kl += perStepKl * share;
      }
      loss += perStep * w;
      dTaken[s] = w * dNew;
      entropy += rowEntropy(logp, s, A) * share;
      const isLow = ratio < low && adv < 0 ? 1 : 0, isHigh = ratio > high && adv > 0 ? 1 : 0;
      clipLow += isLow * share;
      clipHigh += isHigh * share;
      region += Math.max(isLow, isHigh) * share;
    }
    writeLogitGrads(policy, logp, this.mbActions, dTaken, 0, S, A, g);
    mlps.backward(0, S);
    optimizer.applyClipped(hp.max_grad_norm);
    return [loss, entropy, kl, clipLow, clipHigh, region];
  }

  async learn(b: RolloutBuffer, rng: Rng, update: number): Promise<Record<string, number>> {
    this.applyControls();
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
      const kernelStats: number[] = [];
      for (let start = 0; start + M <= N; start += M) {
        this.gather(b, start);
        if (this.kernel) kernelStats.push(...this.trainMinibatchOnKernel());
        else passStats.push(this.trainMinibatch());
      }
      // one read-back per pass
      let values: ArrayLike<number> = kernelStats;
      if (!this.kernel) {
        const stacked = tf.stack(passStats);
        values = (await stacked.data()) as Float32Array;
        tf.dispose([stacked, ...passStats]);
      }
      // minibatches counted, not read off the read-back's length (WebGPU's may be padded)
      const minibatches = this.kernel ? kernelStats.length / 6 : passStats.length;
      for (let m = 0; m < minibatches; m++, count++) for (let s = 0; s < 6; s++) sums[s] += values[m * 6 + s];
      for (let s = 0; s < 6; s++) if (!Number.isFinite(sums[s])) throw new NonFiniteLossError(update, STAT_NAMES[s]);
    }
    this.tfNets?.actor?.invalidate();
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
  async weights(): Promise<StoredTensor[]> {
    if (this.kernel) {
      const { mlps, names } = this.kernel;
      return [...mlps.readWeights(0, names.policy), ...(names.reference ? mlps.readWeights(1, names.reference) : [])];
    }
    const { vars, reference } = this.tfNets!;
    return readVariables(reference ? [...vars, ...variablesOf(reference)] : vars);
  }

  async optimizerState(): Promise<AdamState> {
    return (this.kernel?.optimizer ?? this.tfNets!.optimizer).getState();
  }

  restore(weights: StoredTensor[], optimizer: AdamState): void {
    if (this.kernel) {
      const { mlps, names } = this.kernel;
      const n = names.policy.length;
      mlps.writeWeights(0, weights.slice(0, n));
      if (names.reference) mlps.writeWeights(1, weights.length > n ? weights.slice(n) : weights.slice(0, n));
      this.kernel.optimizer.setState(optimizer);
      return;
    }
    const { vars, reference, optimizer: adam, actor } = this.tfNets!;
    const n = vars.length;
    assignVariables(vars, weights.slice(0, n));
    if (reference) assignVariables(variablesOf(reference), weights.length > n ? weights.slice(n) : weights.slice(0, n));
    adam.setState(optimizer);
    actor?.invalidate();
  }

  dispose(): void {
    if (!this.tfNets) return;
    disposeMlp(this.tfNets.policy);
    if (this.tfNets.reference) disposeMlp(this.tfNets.reference);
    this.tfNets.optimizer.dispose();
    tf.dispose(Object.values(this.tfNets.k));
  }
}
