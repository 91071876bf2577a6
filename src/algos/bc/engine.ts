// Where behavior cloning's arithmetic runs, behind one interface: TensorFlow.js's ops on the run's
// backend (this file; WebGPU, WebGL, CPU), or on the WASM backend the lab's own kernel
// (kernelEngine.ts). The trainer gathers each minibatch into host arrays and hands it over; an
// engine takes the step (dropout masks drawn from the run's Rng in the same order either way),
// keeps its figures until the epoch's one read-back, and holds the weights, the best weights and
// Adam's state. test/unit/learner-parity.test.ts holds both to the same figures.
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../core/rng';
import type { ObservationNormalizer } from '../../core/normalizer';
import type { StoredTensor } from '../../core/run/contracts';
import { assignVariables, readVariables } from '../mlp';
import { Adam, type AdamState } from '../adam';
import { PolicyNet } from './policyNet';
import type { BcHyperparameters } from './hyperparameters';
import { NUM_ACTIONS, type BatchPrediction, type BcPrediction } from './types';

/** One minibatch as the trainer gathers it; ceWeight and mseWeight are 0 on padded rows and sum to 1 over the batch. */
export interface BcBatch {
  x: Float32Array;
  oneHot: Float32Array;
  /** The teacher's action per row (−1 on padded rows). */
  actions: Int32Array;
  strength: Float32Array;
  /** Each row's share of the batch's CE term (class weight / Σ class weights; 1 / rows without weighting). */
  ceWeight: Float32Array;
  /** 1 / rows on real rows: the batch mean of the MSE and of the accuracy. */
  mseWeight: Float32Array;
}

/** Predictions of the network an engine holds (dropout off). */
export interface BcPredictor {
  normalizer: ObservationNormalizer | null;
  predict(state: Float32Array): Promise<BcPrediction>;
  predictBatch(states: Float32Array): Promise<BatchPrediction & { probs: Float32Array }>;
  predictNormalized(x: Float32Array): Promise<Int32Array>;
}

export interface BcEngine {
  readonly net: BcPredictor;
  learningRate: number;
  /** One gradient step on the batch; its [CE term, MSE, accuracy] kept for epochFigures. */
  step(batch: BcBatch, rng: Rng): void;
  /** Keeps a validation batch (copied): evaluated at every epochFigures. */
  addValidationBatch(batch: BcBatch): void;
  /** This epoch's figures, read back once: each step's [CE, MSE, accuracy], then each validation batch's. */
  epochFigures(): Promise<Float32Array>;
  keepBest(): void;
  useBest(): void;
  weights(): Promise<StoredTensor[]>;
  bestWeights(): Promise<StoredTensor[]>;
  assign(weights: StoredTensor[], best: StoredTensor[]): void;
  optimizerState(): Promise<AdamState>;
  setOptimizerState(state: AdamState): void;
  dispose(): void;
}

interface TensorBatch {
  x: tf.Tensor2D;
  oneHot: tf.Tensor2D;
  strength: tf.Tensor1D;
  ceWeight: tf.Tensor1D;
  mseWeight: tf.Tensor1D;
}

/** The step in TensorFlow.js's ops: matmul gradients with explicit transposes on WASM (mlp.ts), the hand-written Adam, constant scalars made once. */
export class TfBcEngine implements BcEngine {
  readonly net: PolicyNet;
  private readonly vars: tf.Variable[];
  private readonly bestVars: tf.Variable[];
  private readonly optimizer: Adam;
  /** Scalars used every step, made once: creating a scalar per op costs more than the op on WASM. */
  private readonly k: Record<'one' | 'alpha' | 'beta' | 'gamma' | 'focalFloor' | 'weightDecay' | 'maxGradNorm' | 'normEps', tf.Scalar>;
  private readonly masks: Float32Array[];
  private readonly valBatches: TensorBatch[] = [];
  private steps: tf.Tensor1D[] = [];

  /** The initial weights are the Rng's next draws (PolicyNet's order). */
  constructor(private readonly hp: BcHyperparameters, width: number, rng: Rng) {
    this.net = new PolicyNet(width, hp.hidden_dim, hp.num_layers, rng);
    this.vars = this.net.vars;
    this.bestVars = this.vars.map((v) => tf.variable(v, false));
    // PyTorch's Adam / AdamW eps (1e-8); AdamW decays inside the optimizer, Adam's L2 goes into the gradient
    this.optimizer = new Adam(this.vars, hp.learning_rate, 0.9, 0.999, 1e-8, hp.optimizer === 'adamw' ? hp.weight_decay : 0);
    this.k = {
      one: tf.scalar(1), alpha: tf.scalar(hp.alpha), beta: tf.scalar(hp.beta), gamma: tf.scalar(hp.focal_gamma), focalFloor: tf.scalar(1e-12),
      weightDecay: tf.scalar(hp.weight_decay), maxGradNorm: tf.scalar(hp.max_grad_norm ?? 1), normEps: tf.scalar(1e-6),
    };
    this.masks = Array.from({ length: hp.dropout > 0 ? hp.num_layers : 0 }, () => new Float32Array(hp.batch_size * hp.hidden_dim));
  }

  get learningRate(): number {
    return this.optimizer.learningRate;
  }
  set learningRate(lr: number) {
    this.optimizer.learningRate = lr;
  }

  /** The batch as tensors (the caller disposes them). The CPU backend keeps the array it is given: a batch that outlives the trainer's buffers is copied. */
  private upload(b: BcBatch, copy: boolean): TensorBatch {
    const M = this.hp.batch_size;
    const own = (a: Float32Array) => (copy ? a.slice() : a);
    return {
      x: tf.tensor2d(own(b.x), [M, b.x.length / M]),
      oneHot: tf.tensor2d(own(b.oneHot), [M, NUM_ACTIONS]),
      strength: tf.tensor1d(own(b.strength)),
      ceWeight: tf.tensor1d(own(b.ceWeight)),
      mseWeight: tf.tensor1d(own(b.mseWeight)),
    };
  }

  /**
   * The loss α·CE + β·MSE of a batch, and its figures stacked as [CE term, MSE, accuracy].
   * The CE term is the class-weighted mean for 'weighted', the focal loss (1 − p_t)^γ·CE for
   * 'focal', plain CE otherwise (oversampling changes the batches, not the loss).
   */
  private loss(out: tf.Tensor2D, b: TensorBatch): { total: tf.Scalar; stats: tf.Tensor1D } {
    const M = this.hp.batch_size;
    const k = this.k;
    const logits = tf.slice(out, [0, 0], [M, NUM_ACTIONS]);
    const strengthLogit = tf.reshape(tf.slice(out, [0, NUM_ACTIONS], [M, 1]), [M]);
    const logp = tf.logSoftmax(logits);
    // log-probability of the teacher's action: a one-hot mask, not gather (WASM has no UnsortedSegmentSum)
    const targetLogp = tf.sum(tf.mul(logp, b.oneHot), 1);
    let perSample = tf.neg(targetLogp);
    if (this.hp.imbalance === 'focal') {
      // (1 − p_t)^γ, its base kept off 0 so that γ < 1 cannot make an infinite gradient at p_t = 1
      const pt = tf.exp(targetLogp);
      perSample = tf.mul(tf.pow(tf.maximum(tf.sub(k.one, pt), k.focalFloor), k.gamma), perSample);
    }
    const ce = tf.sum(tf.mul(perSample, b.ceWeight));
    const strength = tf.sigmoid(strengthLogit);
    const mse = tf.sum(tf.mul(tf.square(tf.sub(strength, b.strength)), b.mseWeight));
    const total = tf.add(tf.mul(ce, k.alpha), tf.mul(mse, k.beta)) as tf.Scalar;
    // a hit: the teacher's action has the largest log-probability
    const hit = tf.cast(tf.greaterEqual(targetLogp, tf.max(logp, 1)), 'float32');
    const accuracy = tf.sum(tf.mul(hit, b.mseWeight));
    return { total, stats: tf.stack([ce, mse, accuracy]) as tf.Tensor1D };
  }

  /** Fresh dropout masks: each unit kept with probability 1 − p and scaled by 1 / (1 − p) (inverted dropout). */
  private fillDropoutMasks(rng: Rng): void {
    const p = this.hp.dropout, keepScale = 1 / (1 - p);
    for (const mask of this.masks) {
      for (let i = 0; i < mask.length; i++) mask[i] = rng.next() < p ? 0 : keepScale;
    }
  }

  step(b: BcBatch, rng: Rng): void {
    const M = this.hp.batch_size, H = this.hp.hidden_dim;
    const k = this.k;
    this.fillDropoutMasks(rng);
    const batch = this.upload(b, false);
    const masks = this.masks.map((m) => tf.tensor2d(m, [M, H]));
    let stats: tf.Tensor1D | null = null;
    const { value, grads } = tf.variableGrads(() => {
      const { total, stats: s } = this.loss(this.net.forward(batch.x, masks.length ? masks : null), batch);
      stats = tf.keep(s);
      return total;
    }, this.vars);
    tf.tidy(() => {
      let list = this.vars.map((v) => grads[v.name]);
      // Adam's weight decay is L2: the gradient of (wd / 2)·‖w‖² added to every gradient
      if (this.hp.optimizer === 'adam' && this.hp.weight_decay > 0) list = list.map((g, i) => tf.add(g, tf.mul(this.vars[i], k.weightDecay)));
      let scale = k.one;
      if (this.hp.max_grad_norm !== null) {
        // global-norm clipping folded into Adam: every gradient scaled by min(1, max_norm / ‖g‖)
        const norm = tf.sqrt(tf.addN(list.map((g) => tf.sum(tf.square(g)))));
        scale = tf.minimum(k.one, tf.div(k.maxGradNorm, tf.add(norm, k.normEps)));
      }
      this.optimizer.apply(list, scale);
    });
    this.net.changed();
    tf.dispose([value, batch.x, batch.oneHot, batch.strength, batch.ceWeight, batch.mseWeight, ...masks]);
    tf.dispose(Object.values(grads));
    this.steps.push(stats!);
  }

  addValidationBatch(b: BcBatch): void {
    this.valBatches.push(this.upload(b, true));
  }

  async epochFigures(): Promise<Float32Array> {
    const valStats = this.valBatches.map((b) => tf.tidy(() => this.loss(this.net.forward(b.x, null), b).stats));
    const stacked = tf.stack([...this.steps, ...valStats]);
    const values = (await stacked.data()) as Float32Array;
    tf.dispose([stacked, ...this.steps, ...valStats]);
    this.steps = [];
    return values;
  }

  /** The best weights are copied on the device, no read-back. */
  keepBest(): void {
    tf.tidy(() => this.vars.forEach((v, i) => this.bestVars[i].assign(v)));
  }

  useBest(): void {
    tf.tidy(() => this.bestVars.forEach((b, i) => this.vars[i].assign(b)));
    this.net.changed();
  }

  weights(): Promise<StoredTensor[]> {
    return readVariables(this.vars);
  }

  bestWeights(): Promise<StoredTensor[]> {
    return readVariables(this.bestVars);
  }

  assign(weights: StoredTensor[], best: StoredTensor[]): void {
    assignVariables(this.vars, weights);
    assignVariables(this.bestVars, best);
    this.net.changed();
  }

  optimizerState(): Promise<AdamState> {
    return this.optimizer.getState();
  }

  setOptimizerState(state: AdamState): void {
    this.optimizer.setState(state);
  }

  dispose(): void {
    this.net.dispose();
    tf.dispose(this.bestVars);
    this.optimizer.dispose();
    tf.dispose(Object.values(this.k));
    for (const b of this.valBatches) tf.dispose([b.x, b.oneHot, b.strength, b.ceWeight, b.mseWeight]);
    tf.dispose(this.steps);
  }
}
