// Multi-layer perceptrons as plain TensorFlow.js variables (no Layers API): the training loop
// controls every variable, its order (Adam keeps moments by position) and its initial values.
import * as tf from '@tensorflow/tfjs';
import { orthogonal } from './init';
import type { Rng } from '../core/rng';

export interface Dense {
  kernel: tf.Variable;
  bias: tf.Variable;
}

export interface Mlp {
  name: string;
  layers: Dense[];
}

// TensorFlow.js variable names are global: each network gets its own prefix, so two runs (or a
// run and an inference) can live in one worker.
let instances = 0;

/** tanh hidden layers with orthogonal(√2) kernels, an output layer with orthogonal(outGain), zero biases. */
export function createMlp(name: string, sizes: number[], outGain: number, rng: Rng): Mlp {
  const layers: Dense[] = [];
  const prefix = `${name}_${++instances}`;
  for (let i = 0; i < sizes.length - 1; i++) {
    const last = i === sizes.length - 2;
    const [inSize, outSize] = [sizes[i], sizes[i + 1]];
    const gain = last ? outGain : Math.SQRT2;
    layers.push({
      kernel: tf.variable(tf.tensor2d(orthogonal(inSize, outSize, gain, rng), [inSize, outSize]), true, `${prefix}/dense_${i}/kernel`),
      bias: tf.variable(tf.zeros([outSize]), true, `${prefix}/dense_${i}/bias`),
    });
  }
  return { name, layers };
}

export function forward(mlp: Mlp, x: tf.Tensor2D): tf.Tensor2D {
  let h = x;
  mlp.layers.forEach((layer, i) => {
    const z = tf.add(tf.matMul(h, layer.kernel), layer.bias) as tf.Tensor2D;
    h = i < mlp.layers.length - 1 ? tf.tanh(z) : z;
  });
  return h;
}

export function variablesOf(...mlps: Mlp[]): tf.Variable[] {
  return mlps.flatMap((m) => m.layers.flatMap((l) => [l.kernel, l.bias]));
}

export function disposeMlp(mlp: Mlp): void {
  for (const l of mlp.layers) { l.kernel.dispose(); l.bias.dispose(); }
}

export interface StoredTensor {
  name: string;
  shape: number[];
  values: Float32Array;
}

export async function readVariables(vars: tf.Variable[]): Promise<StoredTensor[]> {
  return Promise.all(vars.map(async (v) => ({ name: v.name, shape: v.shape.slice(), values: (await v.data()) as Float32Array })));
}

export function assignVariables(vars: tf.Variable[], stored: StoredTensor[]): void {
  if (stored.length !== vars.length) throw new Error(`checkpoint holds ${stored.length} tensors, the network has ${vars.length}`);
  vars.forEach((v, i) => {
    const s = stored[i];
    if (s.shape.join('x') !== v.shape.join('x')) throw new Error(`checkpoint tensor ${s.name} has shape ${s.shape}, the network's ${v.name} has ${v.shape}`);
    tf.tidy(() => v.assign(tf.tensor(s.values, s.shape)));
  });
}
