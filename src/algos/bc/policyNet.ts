// The PolicyNet (seed 002): ReLU hidden layers (each with inverted dropout in training), then the
// action head's 3 logits and the strength head's logit as one [hidden_dim, 4] layer; orthogonal
// initial weights from the run's Rng (gain √2 for the hidden layers, 0.01 for the heads, so
// training starts from uniform action probabilities and strength 0.5). Its predictions, on the
// backend or (one state, for latency) in plain JavaScript on host copies of its weights.
import * as tf from '@tensorflow/tfjs';
import type { ObservationNormalizer } from '../../core/normalizer';
import type { Rng } from '../../core/rng';
import { createMlp, disposeMlp, matMul, readVariables, variablesOf, type Mlp } from '../mlp';
import { argmax3, hostForward, type HostNetwork } from './hostNet';
import { NUM_ACTIONS, type BatchPrediction, type BcPrediction } from './types';

export class PolicyNet {
  readonly hidden: Mlp;
  readonly head: Mlp;
  readonly vars: tf.Variable[];
  /** Standardizes raw states as in training (the trainer sets it from the training split). */
  normalizer: ObservationNormalizer | null = null;
  /** Host copies of the weights for predict(); null whenever the weights have changed since. */
  private host: HostNetwork | null = null;
  private readonly one: Float32Array;

  /** The initial weights are the Rng's next draws: hidden layers first, then the heads. */
  constructor(readonly width: number, hiddenDim: number, numLayers: number, rng: Rng) {
    this.hidden = freeingTemporaries(() => createMlp('bc_hidden', [width, ...Array<number>(numLayers).fill(hiddenDim)], Math.SQRT2, rng));
    this.head = freeingTemporaries(() => createMlp('bc_head', [hiddenDim, NUM_ACTIONS + 1], 0.01, rng));
    this.vars = variablesOf(this.hidden, this.head);
    this.one = new Float32Array(width);
  }

  /** The weights changed (a step, a restore): host copies are read again when next needed. */
  changed(): void {
    this.host = null;
  }

  /**
   * PolicyNet forward pass: ReLU hidden layers (each followed by inverted dropout when masks are
   * given), then the heads as one [hidden_dim, 4] layer: columns 0..2 the action logits, column 3
   * the strength logit (sigmoid applied by the caller).
   */
  forward(x: tf.Tensor2D, masks: tf.Tensor2D[] | null): tf.Tensor2D {
    let h = x;
    this.hidden.layers.forEach((layer, i) => {
      h = tf.relu(tf.add(matMul(h, layer.kernel), layer.bias) as tf.Tensor2D);
      if (masks) h = tf.mul(h, masks[i]);
    });
    const out = this.head.layers[0];
    return tf.add(matMul(h, out.kernel), out.bias) as tf.Tensor2D;
  }

  /**
   * Greedy action, strength and probabilities of one raw state (normalized here as in training).
   * For latency it runs the same network in plain JavaScript on host copies of the weights (read
   * back once after they change): a 34 → 128 → 128 → 4 pass is ~21k multiply-adds, far less than
   * the bookkeeping and garbage of a dozen TensorFlow.js ops.
   */
  async predict(state: Float32Array): Promise<BcPrediction> {
    const D = this.width;
    if (state.length < D) throw new Error(`a state has ${D} values, got ${state.length}`);
    const host = this.host ?? (this.host = await this.readHostWeights());
    if (this.normalizer) this.normalizer.normalize(state, this.one, 1);
    else this.one.set(state.subarray(0, D));
    const z = hostForward(host, this.one);
    // softmax of the three logits, sigmoid of the strength logit
    const top = Math.max(z[0], z[1], z[2]);
    const e0 = Math.exp(z[0] - top), e1 = Math.exp(z[1] - top), e2 = Math.exp(z[2] - top), sum = e0 + e1 + e2;
    const probs = [e0 / sum, e1 / sum, e2 / sum];
    return { action: argmax3(z, 0), strength: 1 / (1 + Math.exp(-z[3])), probs };
  }

  /** Host copies of every layer (hidden ..., head) and buffers for their outputs. */
  private async readHostWeights(): Promise<HostNetwork> {
    const stored = await readVariables(this.vars);
    const layers = [];
    for (let i = 0; i < stored.length; i += 2) layers.push({ kernel: stored[i].values, bias: stored[i + 1].values });
    return { layers, activations: layers.map((l) => new Float64Array(l.bias.length)) };
  }

  /** Greedy actions, strengths and probabilities (row-major [n, 3]) of raw states (row-major [n, width]). */
  async predictBatch(states: Float32Array): Promise<BatchPrediction & { probs: Float32Array }> {
    const D = this.width;
    const n = Math.floor(states.length / D);
    if (n === 0) return { actions: new Int32Array(0), strengths: new Float32Array(0), probs: new Float32Array(0) };
    const x = new Float32Array(n * D);
    if (this.normalizer) this.normalizer.normalize(states, x, n);
    else x.set(states.subarray(0, n * D));
    const CHUNK = 4096;
    const parts: tf.Tensor2D[] = [];
    for (let start = 0; start < n; start += CHUNK) {
      const rows = Math.min(CHUNK, n - start);
      parts.push(tf.tidy(() => this.outputs(tf.tensor2d(x.subarray(start * D, (start + rows) * D), [rows, D]))));
    }
    const joined = parts.length === 1 ? parts[0] : tf.concat(parts);
    const v = (await joined.data()) as Float32Array;
    tf.dispose(parts.length === 1 ? parts : [...parts, joined]);
    const actions = new Int32Array(n), strengths = new Float32Array(n), probs = new Float32Array(n * NUM_ACTIONS);
    for (let i = 0; i < n; i++) {
      actions[i] = argmax3(v, i * 4);
      strengths[i] = v[i * 4 + 3];
      probs.set(v.subarray(i * 4, i * 4 + 3), i * NUM_ACTIONS);
    }
    return { actions, strengths, probs };
  }

  /** [probabilities of HOLD, BUY, SELL, strength] per row, dropout off. */
  outputs(x: tf.Tensor2D): tf.Tensor2D {
    const rows = x.shape[0];
    const out = this.forward(x, null);
    return tf.concat([tf.softmax(tf.slice(out, [0, 0], [rows, NUM_ACTIONS])), tf.sigmoid(tf.slice(out, [0, NUM_ACTIONS], [rows, 1]))], 1);
  }

  async predictNormalized(x: Float32Array): Promise<Int32Array> {
    const D = this.width, n = x.length / D;
    if (n === 0) return new Int32Array(0);
    const out = tf.tidy(() => tf.argMax(this.forward(tf.tensor2d(x, [n, D]), null).slice([0, 0], [n, NUM_ACTIONS]), 1));
    const v = await out.data();
    out.dispose();
    return Int32Array.from(v);
  }

  dispose(): void {
    disposeMlp(this.hidden);
    disposeMlp(this.head);
  }
}

/** Runs fn in a tidy scope: the tensors it made are freed unless a variable holds them (tidy never frees variables). */
function freeingTemporaries<T>(fn: () => T): T {
  let out: T | undefined;
  tf.tidy(() => { out = fn(); });
  return out as T;
}
