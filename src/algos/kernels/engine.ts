// Where a learner's arithmetic runs. On the WASM backend the learners train on the lab's own
// WebAssembly kernel (kernels/mlps.ts): the whole step in a few calls, about 3× the samples per
// second of TensorFlow.js's WASM ops on the behavior-cloning and PPO networks here (README,
// Benchmarks). On the other backends (WebGPU, WebGL, CPU) they keep TensorFlow.js's ops; the
// CPU backend's pure-JavaScript kernels remain the reference the kernel is tested against.
// Rollouts act on host copies of the policy through the kernel on every backend: a GPU backend
// would otherwise wait for a read-back at every step.
import * as tf from '@tensorflow/tfjs';
import { kernelSupported } from './mlps';

let trainingPreference: 'auto' | 'tfjs' = 'auto';

/**
 * 'tfjs' keeps TensorFlow.js's ops on the WASM backend too (for measuring one against the other;
 * learners made afterwards take it). The browser benchmark sets the same through the global
 * LAB_TRAINING_ENGINE = 'tfjs' in the training worker, which it cannot reach otherwise.
 */
export function preferKernelTraining(preference: 'auto' | 'tfjs'): void {
  trainingPreference = preference;
}

/** Whether a learner made now trains on the kernel. */
export function trainsOnKernel(): boolean {
  const forced = (globalThis as { LAB_TRAINING_ENGINE?: unknown }).LAB_TRAINING_ENGINE === 'tfjs';
  return kernelSupported && trainingPreference === 'auto' && !forced && tf.getBackend() === 'wasm';
}

/**
 * Whether rollouts act on host copies through the kernel (wherever WebAssembly SIMD runs). The
 * browser benchmark's LAB_ROLLOUT_ACTING = 'backend' acts on the backend instead, as before host
 * copies, to measure what they change on a GPU backend.
 */
export function actsOnKernel(): boolean {
  return kernelSupported && (globalThis as { LAB_ROLLOUT_ACTING?: unknown }).LAB_ROLLOUT_ACTING !== 'backend';
}
