// Adam as PyTorch writes it (bias-corrected step size, eps added to the corrected root), with the
// global-norm clipping scale folded into the moment updates, and optional decoupled weight decay
// (AdamW). Hand-written rather than tf.train.adam: its per-step scalar constants cost more than
// the arithmetic on the WASM backend, and its running β^t products drift from recomputed powers,
// which broke exact resumption.
import * as tf from '@tensorflow/tfjs';
import type { StoredTensor } from './mlp';
import type { KernelMlps } from './kernels/mlps';

export interface AdamState {
  step: number;
  m: StoredTensor[];
  v: StoredTensor[];
}

/**
 * The float32 constants of step t with clipping factor `scale`, as Adam.apply makes them as
 * tensors: [β1, β2, g1, g2, −step size, root correction, ε, decay]. The kernel (HostAdam) takes
 * the same, so both paths round alike.
 */
export function adamStepConstants(t: number, scale: number, learningRate: number, beta1: number, beta2: number, eps: number, weightDecay: number): number[] {
  const f = Math.fround;
  const stepSize = learningRate / (1 - beta1 ** t);
  const rootCorrection = 1 / Math.sqrt(1 - beta2 ** t);
  const s = f(scale);
  return [f(beta1), f(beta2), f(s * f(1 - beta1)), f(f(s * s) * f(1 - beta2)), f(-stepSize), f(rootCorrection), f(eps), weightDecay > 0 ? f(1 - learningRate * weightDecay) : 1];
}

/** min(1, maxNorm / (‖g‖ + 1e-6)) from Σg², in float32 as the tensor version computes it. */
export function clipScale(sumOfSquares: number, maxNorm: number): number {
  const f = Math.fround;
  return f(Math.min(1, f(f(maxNorm) / f(f(Math.sqrt(f(sumOfSquares))) + f(1e-6)))));
}

/**
 * The same Adam over a kernel's trained parameters (kernels/mlps.ts): one call for every
 * parameter. Its state reads and writes as Adam's (moments per variable, in order).
 */
export class HostAdam {
  learningRate: number;
  private step = 0;

  /** `nets`: the kernel's trained networks, with their variables' names (kernel, bias per layer). */
  constructor(private readonly mlps: KernelMlps, private readonly nets: { net: number; names: string[] }[], learningRate: number, private readonly beta1 = 0.9, private readonly beta2 = 0.999, private readonly eps = 1e-5, readonly weightDecay = 0) {
    this.learningRate = learningRate;
  }

  /** One step on the kernel's gradients, scaled by `scale` (the clipping factor) as they enter the moments. */
  apply(scale = 1): void {
    this.step += 1;
    const [b1, b2, g1, g2, negStep, rc, eps, decay] = adamStepConstants(this.step, scale, this.learningRate, this.beta1, this.beta2, this.eps, this.weightDecay);
    this.mlps.adam(b1, b2, g1, g2, negStep, rc, eps, decay);
  }

  /** One step with global-norm clipping (torch's clip_grad_norm_ folded into the moments). */
  applyClipped(maxNorm: number): void {
    this.apply(clipScale(this.mlps.gradSquares(), maxNorm));
  }

  getState(): AdamState {
    const parts = this.nets.map(({ net, names }) => this.mlps.readMoments(net, names));
    return { step: this.step, m: parts.flatMap((p) => p.m), v: parts.flatMap((p) => p.v) };
  }

  setState(s: AdamState): void {
    const total = this.nets.reduce((a, n) => a + n.names.length, 0);
    if (s.m.length !== total || s.v.length !== total) throw new Error(`optimizer state holds ${s.m.length} moments, the network has ${total} variables`);
    let at = 0;
    for (const { net, names } of this.nets) {
      this.mlps.writeMoments(net, s.m.slice(at, at + names.length), s.v.slice(at, at + names.length));
      at += names.length;
    }
    this.step = s.step;
  }
}

export class Adam {
  learningRate: number;
  private step = 0;
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];
  private readonly consts: { b1: tf.Scalar; b2: tf.Scalar; eps: tf.Scalar };

  /**
   * weightDecay > 0 makes it AdamW (decoupled, as PyTorch's AdamW: w ← w − lr·wd·w before the Adam
   * step); 0, the default, leaves plain Adam exactly as it was.
   */
  constructor(private readonly vars: tf.Variable[], learningRate: number, private readonly beta1 = 0.9, private readonly beta2 = 0.999, eps = 1e-5, readonly weightDecay = 0) {
    this.learningRate = learningRate;
    // tidy: the zero tensors the variables start from are not kept
    this.m = tf.tidy(() => vars.map((w) => tf.variable(tf.zerosLike(w), false)));
    this.v = tf.tidy(() => vars.map((w) => tf.variable(tf.zerosLike(w), false)));
    this.consts = { b1: tf.scalar(beta1), b2: tf.scalar(beta2), eps: tf.scalar(eps) };
  }

  /** One step: g is scaled by `scale` (the clipping factor, a scalar tensor) before it enters the moments. */
  apply(grads: tf.Tensor[], scale: tf.Scalar): void {
    this.step += 1;
    const t = this.step;
    const stepSize = this.learningRate / (1 - this.beta1 ** t);
    const rootCorrection = 1 / Math.sqrt(1 - this.beta2 ** t);
    tf.tidy(() => {
      const { b1, b2, eps } = this.consts;
      const g1 = tf.mul(scale, 1 - this.beta1);
      const g2 = tf.mul(tf.square(scale), 1 - this.beta2);
      const negStep = tf.scalar(-stepSize);
      const rc = tf.scalar(rootCorrection);
      const decay = this.weightDecay > 0 ? tf.scalar(1 - this.learningRate * this.weightDecay) : null;
      this.vars.forEach((w, i) => {
        const g = grads[i];
        const m = tf.add(tf.mul(this.m[i], b1), tf.mul(g, g1));
        const v = tf.add(tf.mul(this.v[i], b2), tf.mul(tf.square(g), g2));
        this.m[i].assign(m);
        this.v[i].assign(v);
        const decayed = decay ? tf.mul(w, decay) : w;
        w.assign(tf.add(decayed, tf.mul(tf.div(m, tf.add(tf.mul(tf.sqrt(v), rc), eps)), negStep)));
      });
    });
  }

  /**
   * One step with global-norm clipping, as torch's clip_grad_norm_: every gradient (by its
   * variable's name) scaled by min(1, maxNorm / (‖g‖ + 1e-6)), the scale folded into the moments.
   */
  applyClipped(grads: tf.NamedTensorMap, maxNorm: tf.Scalar): void {
    this.clipConsts ??= { one: tf.scalar(1), eps: tf.scalar(1e-6) };
    const { one, eps } = this.clipConsts;
    tf.tidy(() => {
      const list = this.vars.map((v) => grads[v.name]);
      const norm = tf.sqrt(tf.addN(list.map((g) => tf.sum(tf.square(g)))));
      this.apply(list, tf.minimum(one, tf.div(maxNorm, tf.add(norm, eps))) as tf.Scalar);
    });
  }

  private clipConsts: { one: tf.Scalar; eps: tf.Scalar } | null = null;

  async getState(): Promise<AdamState> {
    const read = (vs: tf.Variable[]) => Promise.all(vs.map(async (x) => ({ name: x.name, shape: x.shape.slice(), values: (await x.data()) as Float32Array })));
    return { step: this.step, m: await read(this.m), v: await read(this.v) };
  }

  setState(s: AdamState): void {
    if (s.m.length !== this.m.length || s.v.length !== this.v.length) throw new Error(`optimizer state holds ${s.m.length} moments, the network has ${this.m.length} variables`);
    this.step = s.step;
    tf.tidy(() => {
      s.m.forEach((x, i) => this.m[i].assign(tf.tensor(x.values, x.shape)));
      s.v.forEach((x, i) => this.v[i].assign(tf.tensor(x.values, x.shape)));
    });
  }

  dispose(): void {
    tf.dispose([...this.m, ...this.v, this.consts.b1, this.consts.b2, this.consts.eps, ...(this.clipConsts ? [this.clipConsts.one, this.clipConsts.eps] : [])]);
  }
}
