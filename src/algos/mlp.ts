// Multi-layer perceptrons as plain TensorFlow.js variables (no Layers API): the training loop
// controls every variable, its order (Adam keeps moments by position) and its initial values.
import * as tf from '@tensorflow/tfjs';
import { orthogonal } from './init';
import type { Rng } from '../core/rng';
import type { StoredTensor } from '../core/run/contracts';

export interface Dense {
  kernel: tf.Variable;
  bias: tf.Variable;
}

export type Activation = 'tanh' | 'relu';

export interface Mlp {
  name: string;
  layers: Dense[];
  /** Of the hidden layers; the last layer is linear. */
  activation: Activation;
}

// TensorFlow.js variable names are global: each network gets its own prefix, so two runs (or a
// run and an inference) can live in one worker.
let instances = 0;

/**
 * The variables' names a createMlp of these layers would get (kernel, bias per layer), for a
 * network kept outside TensorFlow.js (kernels/mlps.ts), so checkpoints name tensors alike.
 */
export function mlpVariableNames(name: string, layers: number): string[] {
  const prefix = `${name}_${++instances}`;
  return Array.from({ length: layers }, (_, i) => [`${prefix}/dense_${i}/kernel`, `${prefix}/dense_${i}/bias`]).flat();
}

/** Initial weights as createMlp draws them from `rng` (orthogonal kernels, zero biases), as stored tensors. */
export function initialWeights(names: string[], sizes: number[], outGain: number, rng: Rng): StoredTensor[] {
  const out: StoredTensor[] = [];
  for (let i = 0; i < sizes.length - 1; i++) {
    const gain = i === sizes.length - 2 ? outGain : Math.SQRT2;
    out.push({ name: names[2 * i], shape: [sizes[i], sizes[i + 1]], values: orthogonal(sizes[i], sizes[i + 1], gain, rng) });
    out.push({ name: names[2 * i + 1], shape: [sizes[i + 1]], values: new Float32Array(sizes[i + 1]) });
  }
  return out;
}

/** tanh hidden layers with orthogonal(√2) kernels, an output layer with orthogonal(outGain), zero biases. */
export function createMlp(name: string, sizes: number[], outGain: number, rng: Rng, activation: Activation = 'tanh'): Mlp {
  const layers: Dense[] = [];
  const prefix = `${name}_${++instances}`;
  for (let i = 0; i < sizes.length - 1; i++) {
    const last = i === sizes.length - 2;
    const [inSize, outSize] = [sizes[i], sizes[i + 1]];
    const gain = last ? outGain : Math.SQRT2;
    // tidy: the initial tensors the variables are made from are not kept
    layers.push(tf.tidy(() => ({
      kernel: tf.variable(tf.tensor2d(orthogonal(inSize, outSize, gain, rng), [inSize, outSize]), true, `${prefix}/dense_${i}/kernel`),
      bias: tf.variable(tf.zeros([outSize]), true, `${prefix}/dense_${i}/bias`),
    })));
  }
  return { name, layers, activation };
}

/**
 * x · w whose gradients use explicit transposes. TensorFlow.js's WASM BatchMatMul is about 10×
 * slower with its transposeA / transposeB flags (which the built-in gradient uses) than a
 * transpose followed by a plain matmul (measured: 4.7 ms against 0.6 ms for 256×128×128).
 */
const matMulExplicitTransposeGrad = tf.customGrad(((x: tf.Tensor, w: tf.Tensor, save: tf.GradSaveFunc) => {
  save([x, w]);
  return {
    value: tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, ws] = saved as tf.Tensor2D[];
      return [tf.matMul(dy as tf.Tensor2D, tf.transpose(ws)), tf.matMul(tf.transpose(xs), dy as tf.Tensor2D)];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor2D, w: tf.Tensor2D) => tf.Tensor2D;

/** x · w, with explicit-transpose gradients on WASM (see above). */
export function matMul(x: tf.Tensor2D, w: tf.Tensor): tf.Tensor2D {
  const w2 = w as tf.Tensor2D;
  return tf.getBackend() === 'wasm' ? matMulExplicitTransposeGrad(x, w2) : tf.matMul(x, w2);
}

/**
 * tanh(x) = 2σ(2x) − 1 with gradient (1 − y²): TensorFlow.js's WASM Tanh kernel is about 10×
 * slower than its Sigmoid (measured: 725 µs against 48 µs on 256 × 128).
 */
let tanhConstants: { one: tf.Scalar; two: tf.Scalar } | null = null;
const tanhViaSigmoid = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
  tanhConstants ??= { one: tf.keep(tf.scalar(1)), two: tf.keep(tf.scalar(2)) };
  const { one, two } = tanhConstants;
  const y = tf.sub(tf.mul(tf.sigmoid(tf.add(x, x)), two), one);
  save([y]);
  return { value: y, gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, tf.sub(one, tf.square(saved[0]))) };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor2D) => tf.Tensor2D;

function tanh(x: tf.Tensor2D): tf.Tensor2D {
  return tf.getBackend() === 'wasm' ? tanhViaSigmoid(x) : tf.tanh(x);
}

export function forward(mlp: Mlp, x: tf.Tensor2D): tf.Tensor2D {
  let h = x;
  mlp.layers.forEach((layer, i) => {
    const z = tf.add(matMul(h, layer.kernel), layer.bias) as tf.Tensor2D;
    h = i < mlp.layers.length - 1 ? (mlp.activation === 'relu' ? tf.relu(z) : tanh(z)) : z;
  });
  return h;
}

export function variablesOf(...mlps: Mlp[]): tf.Variable[] {
  return mlps.flatMap((m) => m.layers.flatMap((l) => [l.kernel, l.bias]));
}

export function disposeMlp(mlp: Mlp): void {
  for (const l of mlp.layers) { l.kernel.dispose(); l.bias.dispose(); }
}

export type { StoredTensor };

/**
 * The variables' values in one read-back, through a copy. On WebGPU reading the variables
 * themselves (data() on each) and training on afterwards made the next update's loss infinite
 * (headless Chromium, SwiftShader: host-copy rollouts read the policy once per update); and one
 * transfer costs less than many.
 */
export async function readVariables(vars: tf.Variable[]): Promise<StoredTensor[]> {
  if (vars.length === 0) return [];
  const flat = tf.tidy(() => tf.concat(vars.map((v) => tf.reshape(v, [-1]))));
  const all = (await flat.data()) as Float32Array;
  flat.dispose();
  let at = 0;
  return vars.map((v) => {
    const values = all.slice(at, at + v.size);
    at += v.size;
    return { name: v.name, shape: v.shape.slice(), values };
  });
}

export function assignVariables(vars: tf.Variable[], stored: StoredTensor[]): void {
  if (stored.length !== vars.length) throw new Error(`checkpoint holds ${stored.length} tensors, the network has ${vars.length}`);
  vars.forEach((v, i) => {
    const s = stored[i];
    if (s.shape.join('x') !== v.shape.join('x')) throw new Error(`checkpoint tensor ${s.name} has shape ${s.shape}, the network's ${v.name} has ${v.shape}`);
    tf.tidy(() => v.assign(tf.tensor(s.values, s.shape)));
  });
}
