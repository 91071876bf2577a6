// Behavior cloning's step on the lab's WebAssembly kernel (kernels/mlps.ts), for the WASM
// backend: the PolicyNet as one MLP (ReLU hidden layers with dropout, the 3 + 1 heads as its last
// layer), the loss α·CE + β·MSE and its gradient with respect to the heads written out here (the
// derivatives autodiff takes through engine.ts's loss), then the backward pass and Adam in a few
// calls. The best weights are a second copy in the kernel's memory.
import type { Rng } from '../../core/rng';
import type { ObservationNormalizer } from '../../core/normalizer';
import type { StoredTensor } from '../../core/run/contracts';
import { HostAdam, clipScale, type AdamState } from '../adam';
import { initialWeights, mlpVariableNames } from '../mlp';
import { KernelMlps } from '../kernels/mlps';
import type { BcBatch, BcEngine, BcPredictor } from './engine';
import type { BcHyperparameters } from './hyperparameters';
import { argmax3 } from './hostNet';
import { NUM_ACTIONS, type BatchPrediction, type BcPrediction } from './types';

const TRAINED = 0, BEST = 1;

/** PolicyNet's predictions on the kernel (dropout off). */
class KernelPolicyNet implements BcPredictor {
  normalizer: ObservationNormalizer | null = null;
  constructor(private readonly mlps: KernelMlps, private readonly width: number) {}

  /** [logits, strength logit] rows of normalized states, through the trained network. */
  private outputs(x: Float32Array, n: number): { heap: Float32Array; at: number; stride: number } {
    const CHUNK = 4096;
    if (n > CHUNK) throw new Error('outputs are read a chunk at a time');
    const input = this.mlps.inputIndex(n);
    const heap = this.mlps.heap;
    heap.set(x.subarray(0, n * this.width), input);
    this.mlps.forward(TRAINED, n);
    return { heap, at: this.mlps.outputIndex(TRAINED), stride: this.mlps.outputStride(TRAINED) };
  }

  private normalized(states: Float32Array, n: number): Float32Array {
    const x = new Float32Array(n * this.width);
    if (this.normalizer) this.normalizer.normalize(states, x, n);
    else x.set(states.subarray(0, n * this.width));
    return x;
  }

  async predict(state: Float32Array): Promise<BcPrediction> {
    if (state.length < this.width) throw new Error(`a state has ${this.width} values, got ${state.length}`);
    const { heap, at } = this.outputs(this.normalized(state, 1), 1);
    const z = [heap[at], heap[at + 1], heap[at + 2], heap[at + 3]];
    const top = Math.max(z[0], z[1], z[2]);
    const e = [Math.exp(z[0] - top), Math.exp(z[1] - top), Math.exp(z[2] - top)];
    const sum = e[0] + e[1] + e[2];
    return { action: argmax3(z, 0), strength: 1 / (1 + Math.exp(-z[3])), probs: e.map((x) => x / sum) };
  }

  async predictBatch(states: Float32Array): Promise<BatchPrediction & { probs: Float32Array }> {
    const n = Math.floor(states.length / this.width);
    const x = this.normalized(states, n);
    const actions = new Int32Array(n), strengths = new Float32Array(n), probs = new Float32Array(n * NUM_ACTIONS);
    for (let start = 0; start < n; start += 4096) {
      const rows = Math.min(4096, n - start);
      const { heap, at, stride } = this.outputs(x.subarray(start * this.width), rows);
      for (let i = 0; i < rows; i++) {
        const o = at + i * stride;
        const top = Math.max(heap[o], heap[o + 1], heap[o + 2]);
        const e0 = Math.exp(heap[o] - top), e1 = Math.exp(heap[o + 1] - top), e2 = Math.exp(heap[o + 2] - top), sum = e0 + e1 + e2;
        const r = start + i;
        probs[r * 3] = e0 / sum; probs[r * 3 + 1] = e1 / sum; probs[r * 3 + 2] = e2 / sum;
        actions[r] = argmax3(probs, r * 3);
        strengths[r] = 1 / (1 + Math.exp(-heap[o + 3]));
      }
    }
    return { actions, strengths, probs };
  }

  async predictNormalized(x: Float32Array): Promise<Int32Array> {
    const n = x.length / this.width;
    const out = new Int32Array(n);
    for (let start = 0; start < n; start += 4096) {
      const rows = Math.min(4096, n - start);
      const { heap, at, stride } = this.outputs(x.subarray(start * this.width), rows);
      for (let i = 0; i < rows; i++) out[start + i] = argmax3(heap, at + i * stride);
    }
    return out;
  }
}

export class KernelBcEngine implements BcEngine {
  readonly net: KernelPolicyNet;
  private readonly mlps: KernelMlps;
  private readonly names: string[];
  private readonly optimizer: HostAdam;
  private readonly valBatches: BcBatch[] = [];
  private figures: number[] = [];
  private readonly logp = new Float64Array(3);

  /** The initial weights are the Rng's next draws, in PolicyNet's order (hidden layers, then the heads). */
  constructor(private readonly hp: BcHyperparameters, private readonly width: number, rng: Rng) {
    const H = hp.hidden_dim, L = hp.num_layers;
    const sizes = [width, ...Array<number>(L).fill(H), NUM_ACTIONS + 1];
    this.mlps = new KernelMlps([{ sizes, activation: 'relu', dropout: hp.dropout > 0 }, { sizes, activation: 'relu' }], 1, hp.batch_size);
    this.names = [...mlpVariableNames('bc_hidden', L), ...mlpVariableNames('bc_head', 1)];
    const hidden = initialWeights(this.names.slice(0, 2 * L), [width, ...Array<number>(L).fill(H)], Math.SQRT2, rng);
    const head = initialWeights(this.names.slice(2 * L), [H, NUM_ACTIONS + 1], 0.01, rng);
    this.mlps.writeWeights(TRAINED, [...hidden, ...head]);
    this.mlps.copyWeights(TRAINED, BEST);
    // PyTorch's Adam / AdamW eps (1e-8); AdamW decays inside the optimizer, Adam's L2 goes into the gradient
    this.optimizer = new HostAdam(this.mlps, [{ net: TRAINED, names: this.names }], hp.learning_rate, 0.9, 0.999, 1e-8, hp.optimizer === 'adamw' ? hp.weight_decay : 0);
    this.net = new KernelPolicyNet(this.mlps, width);
  }

  get learningRate(): number {
    return this.optimizer.learningRate;
  }
  set learningRate(lr: number) {
    this.optimizer.learningRate = lr;
  }

  /**
   * The batch's [CE term, MSE, accuracy] from the network's outputs; with `grad`, d loss / d output
   * written into the output's gradient rows (padded rows and columns 0).
   */
  private lossOf(b: BcBatch, grad: boolean): void {
    const M = this.hp.batch_size, { alpha, beta, focal_gamma: gamma } = this.hp;
    const focal = this.hp.imbalance === 'focal';
    const heap = this.mlps.heap, at = this.mlps.outputIndex(TRAINED), stride = this.mlps.outputStride(TRAINED), gAt = this.mlps.outputGradIndex(TRAINED);
    const logp = this.logp;
    let ce = 0, mse = 0, accuracy = 0;
    for (let j = 0; j < M; j++) {
      const o = at + j * stride, a = b.actions[j];
      const top = Math.max(heap[o], heap[o + 1], heap[o + 2]);
      const lse = top + Math.log(Math.exp(heap[o] - top) + Math.exp(heap[o + 1] - top) + Math.exp(heap[o + 2] - top));
      for (let c = 0; c < 3; c++) logp[c] = heap[o + c] - lse;
      // a padded row has no action: its CE and MSE weights are 0 and so are its gradients
      const target = a >= 0 ? logp[a] : 0;
      let perSample = -target, dTarget = -1;
      if (focal) {
        // (1 − p_t)^γ·CE with its base kept off 0, and its derivative as autodiff takes it
        const pt = Math.exp(target), q = Math.max(1 - pt, 1e-12), f = q ** gamma;
        perSample = f * -target;
        dTarget = -f + (1 - pt >= 1e-12 ? target * gamma * q ** (gamma - 1) * pt : 0);
      }
      ce += perSample * b.ceWeight[j];
      const strength = 1 / (1 + Math.exp(-heap[o + 3]));
      mse += (strength - b.strength[j]) ** 2 * b.mseWeight[j];
      if (a >= 0 && target >= Math.max(logp[0], logp[1], logp[2])) accuracy += b.mseWeight[j];
      if (!grad) continue;
      const g = o - at + gAt;
      const dt = alpha * b.ceWeight[j] * dTarget;
      for (let c = 0; c < 3; c++) heap[g + c] = (c === a ? dt : 0) - Math.exp(logp[c]) * (a >= 0 ? dt : 0);
      heap[g + 3] = beta * b.mseWeight[j] * 2 * (strength - b.strength[j]) * strength * (1 - strength);
      for (let c = 4; c < stride; c++) heap[g + c] = 0;
    }
    this.figures.push(ce, mse, accuracy);
  }

  step(b: BcBatch, rng: Rng): void {
    const M = this.hp.batch_size;
    if (this.hp.dropout > 0) this.mlps.dropout(TRAINED, M, this.hp.dropout, rng);
    const input = this.mlps.inputIndex(M);
    this.mlps.heap.set(b.x, input);
    this.mlps.forward(TRAINED, M, true);
    this.lossOf(b, true);
    this.mlps.backward(TRAINED, M);
    // Adam's weight decay is L2: wd·w added to every gradient; AdamW decays inside the optimizer
    if (this.hp.optimizer === 'adam' && this.hp.weight_decay > 0) this.mlps.addL2(Math.fround(this.hp.weight_decay));
    this.optimizer.apply(this.hp.max_grad_norm !== null ? clipScale(this.mlps.gradSquares(), this.hp.max_grad_norm) : 1);
  }

  addValidationBatch(b: BcBatch): void {
    this.valBatches.push({ x: b.x.slice(), oneHot: b.oneHot.slice(), actions: b.actions.slice(), strength: b.strength.slice(), ceWeight: b.ceWeight.slice(), mseWeight: b.mseWeight.slice() });
  }

  async epochFigures(): Promise<Float32Array> {
    for (const b of this.valBatches) {
      this.mlps.heap.set(b.x, this.mlps.inputIndex(this.hp.batch_size));
      this.mlps.forward(TRAINED, this.hp.batch_size);
      this.lossOf(b, false);
    }
    const out = Float32Array.from(this.figures);
    this.figures = [];
    return out;
  }

  keepBest(): void {
    this.mlps.copyWeights(TRAINED, BEST);
  }

  useBest(): void {
    this.mlps.copyWeights(BEST, TRAINED);
  }

  async weights(): Promise<StoredTensor[]> {
    return this.mlps.readWeights(TRAINED, this.names);
  }

  async bestWeights(): Promise<StoredTensor[]> {
    return this.mlps.readWeights(BEST, this.names);
  }

  assign(weights: StoredTensor[], best: StoredTensor[]): void {
    this.mlps.writeWeights(TRAINED, weights);
    this.mlps.writeWeights(BEST, best);
  }

  async optimizerState(): Promise<AdamState> {
    return this.optimizer.getState();
  }

  setOptimizerState(state: AdamState): void {
    this.optimizer.setState(state);
  }

  dispose(): void {}
}
