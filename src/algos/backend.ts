// Choosing TensorFlow.js's backend: WebGPU → WebGL → WASM → CPU, each start-up failure caught.
// "auto" measures a training step of the run's own network on every backend that starts and
// keeps the fastest: a software WebGPU (SwiftShader) can be 25× slower than WASM, so the order
// alone would choose badly. The choice and every measurement go into the run's config. On WASM
// the step measured is the lab's own kernel's (kernels/engine.ts), which the learners train on there.
import * as tf from '@tensorflow/tfjs';
import type { BackendChoice, BackendName, BackendTrial } from '../core/run/contracts';
import { Rng } from '../core/rng';
import { Adam, HostAdam } from './adam';
import { trainsOnKernel } from './kernels/engine';
import { KernelMlps } from './kernels/mlps';
import { createMlp, disposeMlp, forward, variablesOf } from './mlp';

export const BACKEND_ORDER: BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

export type { BackendTrial };

export interface BackendSelection {
  backend: BackendName;
  trials: BackendTrial[];
}

/** Tries to make `name` the active backend; says why not when it cannot. */
export async function trySetBackend(name: BackendName): Promise<string | null> {
  if (!tf.findBackendFactory(name)) return 'not available in this build';
  try {
    const ok = await tf.setBackend(name);
    if (!ok) return 'failed to start';
    await tf.ready();
    return null;
  } catch (e) {
    return (e as Error).message || String(e);
  }
}

/** Steps of `stepOnce` for about budgetMs (at least 2, after 2 to warm up: shader compilation, wasm tiering), as samples per second. */
async function timeSteps(stepOnce: () => Promise<void> | void, batch: number, budgetMs: number): Promise<number> {
  await stepOnce();
  await stepOnce();
  const t0 = performance.now();
  let steps = 0;
  while (steps < 2 || performance.now() - t0 < budgetMs) {
    await stepOnce();
    steps++;
  }
  return (steps * batch) / ((performance.now() - t0) / 1000);
}

/** The probe's step on the kernel: forward, a loss gradient of the same size, backward and Adam, both networks. */
function probeKernelSpeed(obsSize: number, numActions: number, hidden: number[], batch: number, budgetMs: number): Promise<number> {
  const mlps = new KernelMlps([{ sizes: [obsSize, ...hidden, numActions], activation: 'tanh' }, { sizes: [obsSize, ...hidden, 1], activation: 'tanh' }], 2, batch);
  const rng = new Rng(12345);
  const input = mlps.inputIndex(batch);
  for (let i = 0; i < batch * obsSize; i++) mlps.heap[input + i] = rng.normal();
  const optimizer = new HostAdam(mlps, [], 1e-4);
  return timeSteps(() => {
    for (const net of [0, 1]) {
      mlps.forward(net, batch, true);
      const heap = mlps.heap, out = mlps.outputIndex(net), grad = mlps.outputGradIndex(net), n = batch * mlps.outputStride(net);
      for (let i = 0; i < n; i++) heap[grad + i] = 1e-3 * heap[out + i];
    }
    mlps.backward(0, batch);
    mlps.backward(1, batch);
    optimizer.applyClipped(0.5);
  }, batch, budgetMs);
}

/** Samples per second of forward + backward + Adam on a [obs → ...hidden → actions] MLP and its value twin, as the learners train on this backend. */
export async function probeTrainingSpeed(obsSize: number, numActions: number, hidden: number[], batch: number, budgetMs = 400): Promise<number> {
  if (trainsOnKernel()) return probeKernelSpeed(obsSize, numActions, hidden, batch, budgetMs);
  const rng = new Rng(12345);
  const policy = createMlp('probe_policy', [obsSize, ...hidden, numActions], 0.01, rng);
  const value = createMlp('probe_value', [obsSize, ...hidden, 1], 1, rng);
  const vars = variablesOf(policy, value);
  // the learners' own Adam with clipping (adam.ts), as they step
  const optimizer = new Adam(vars, 1e-4, 0.9, 0.999, 1e-5);
  const maxNorm = tf.scalar(0.5);
  const x = tf.randomNormal([batch, obsSize], 0, 1, 'float32', 1) as tf.Tensor2D;
  const target = tf.randomNormal([batch], 0, 1, 'float32', 2);
  const stepOnce = async () => {
    const { value: loss, grads } = tf.variableGrads(() => {
      const logits = forward(policy, x);
      const v = tf.reshape(forward(value, x), [batch]);
      return tf.add(tf.mean(tf.logSoftmax(logits)), tf.mean(tf.square(tf.sub(v, target)))) as tf.Scalar;
    }, vars);
    optimizer.applyClipped(grads, maxNorm);
    tf.dispose(Object.values(grads));
    await loss.data();
    loss.dispose();
  };
  try {
    // measured for about budgetMs, so a slow backend costs little time
    return await timeSteps(stepOnce, batch, budgetMs);
  } finally {
    disposeMlp(policy);
    disposeMlp(value);
    optimizer.dispose();
    tf.dispose([x, target, maxNorm]);
  }
}

/**
 * Picks the backend for a run. An explicit choice is honoured when it starts (else the next in
 * order is used, and the trial says why); "auto" measures every backend that starts.
 */
export async function selectBackend(
  choice: BackendChoice,
  probe: { obsSize: number; numActions: number; hidden: number[]; batch: number },
  available: BackendName[] = BACKEND_ORDER,
  earlier: BackendTrial[] = [],
): Promise<BackendSelection> {
  const trials: BackendTrial[] = [];
  // Measuring costs seconds (WebGPU compiles its shaders): reuse this machine's earlier figures
  // when every backend was measured, and start the fastest one that still starts.
  const measured = new Map(earlier.filter((t) => t.ok && t.samplesPerSecond).map((t) => [t.backend, t.samplesPerSecond!]));
  if (choice === 'auto' && available.every((b) => measured.has(b) || earlier.some((t) => t.backend === b && !t.ok))) {
    const ranked = [...measured.entries()].sort((a, b) => b[1] - a[1]);
    for (const [name, speed] of ranked) {
      const error = await trySetBackend(name);
      trials.push(error ? { backend: name, ok: false, error } : { backend: name, ok: true, samplesPerSecond: speed, cached: true });
      if (!error) return { backend: name, trials };
    }
  }
  if (choice !== 'auto') {
    const order = [choice, ...available.filter((b) => b !== choice)];
    for (const name of order) {
      const error = await trySetBackend(name);
      trials.push(error ? { backend: name, ok: false, error } : { backend: name, ok: true });
      if (!error) return { backend: name, trials };
    }
    throw new Error(`no TensorFlow.js backend could start: ${trials.map((t) => `${t.backend}: ${t.error}`).join('; ')}`);
  }
  let best: BackendTrial | null = null;
  for (const name of available) {
    const error = await trySetBackend(name);
    if (error) { trials.push({ backend: name, ok: false, error }); continue; }
    try {
      const samplesPerSecond = await probeTrainingSpeed(probe.obsSize, probe.numActions, probe.hidden, probe.batch);
      const trial = { backend: name, ok: true, samplesPerSecond: Math.round(samplesPerSecond) };
      trials.push(trial);
      if (!best || samplesPerSecond > best.samplesPerSecond!) best = trial;
    } catch (e) {
      trials.push({ backend: name, ok: false, error: (e as Error).message });
    }
  }
  if (!best) throw new Error(`no TensorFlow.js backend could start: ${trials.map((t) => `${t.backend}: ${t.error}`).join('; ')}`);
  await trySetBackend(best.backend);
  return { backend: best.backend, trials };
}
