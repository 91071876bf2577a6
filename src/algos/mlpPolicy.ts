// A policy of plain MLP weights (hidden layers, then the action logits) acting greedily on raw
// observations: normalized as in training, argmax among the allowed actions. "Play the policy"
// and any checkpoint whose policy is such an MLP use it. It acts on host copies of the weights
// through the lab's kernel where WebAssembly SIMD runs (no backend call, so no GPU read-back per
// step), else through TensorFlow.js.
import * as tf from '@tensorflow/tfjs';
import { ObservationNormalizer, type NormalizerState } from '../core/normalizer';
import { Rng } from '../core/rng';
import type { StoredTensor } from '../core/run/contracts';
import { maskedArgmax } from './evaluate';
import { actsOnKernel } from './kernels/engine';
import { KernelMlps } from './kernels/mlps';
import { assignVariables, createMlp, disposeMlp, forward, variablesOf } from './mlp';
import type { ActingPolicy } from './spec';

export function mlpActingPolicy(layers: StoredTensor[], activation: 'tanh' | 'relu', normalizerState: NormalizerState | null): ActingPolicy {
  const sizes = [layers[0].shape[0], ...layers.filter((_, i) => i % 2 === 1).map((b) => b.shape[0])];
  const D = sizes[0], A = sizes[sizes.length - 1];
  const normalizer = normalizerState ? new ObservationNormalizer(D) : null;
  if (normalizer && normalizerState) normalizer.setState(normalizerState);
  let x = new Float32Array(0);
  const normalized = (obs: Float32Array, n: number) => {
    if (x.length !== n * D) x = new Float32Array(n * D);
    if (normalizer) normalizer.normalize(obs, x, n); else x.set(obs.subarray(0, n * D));
    return x;
  };
  if (actsOnKernel()) {
    const mlps = new KernelMlps([{ sizes, activation }], 0, 16);
    mlps.writeWeights(0, layers);
    return {
      async act(obs, masks, n, out) {
        const input = mlps.inputIndex(n);
        mlps.heap.set(normalized(obs, n), input);
        mlps.forward(0, n);
        const at = mlps.outputIndex(0), stride = mlps.outputStride(0);
        const logits = mlps.heap.subarray(at, at + n * stride);
        for (let i = 0; i < n; i++) out[i] = maskedArgmax(logits, masks, i, A, stride);
      },
      dispose: () => {},
    };
  }
  const policy = createMlp('acting', sizes, 0.01, new Rng(1), activation);
  assignVariables(variablesOf(policy), layers);
  return {
    async act(obs, masks, n, out) {
      const logits = tf.tidy(() => forward(policy, tf.tensor2d(normalized(obs, n), [n, D])));
      const values = (await logits.data()) as Float32Array;
      logits.dispose();
      for (let i = 0; i < n; i++) out[i] = maskedArgmax(values, masks, i, A);
    },
    dispose: () => disposeMlp(policy),
  };
}
