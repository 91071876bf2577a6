// "auto" backend choice measures each backend's training step as the learners would run it there:
// on WASM the lab's kernel (or TensorFlow.js's ops when those are preferred), elsewhere
// TensorFlow.js's ops; no measurement leaves tensors behind.
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import '../../src/algos/backends-node';
import { probeTrainingSpeed, selectBackend, trySetBackend } from '../../src/algos/backend';
import { preferKernelTraining, trainsOnKernel } from '../../src/algos/kernels/engine';

describe('the backend probe', () => {
  it('measures the kernel on WASM, TensorFlow.js there when preferred and on the CPU backend, keeping no tensors', async () => {
    for (const [backend, preference, kernel] of [['wasm', 'auto', true], ['wasm', 'tfjs', false], ['cpu', 'auto', false]] as const) {
      expect(await trySetBackend(backend)).toBeNull();
      preferKernelTraining(preference);
      expect(trainsOnKernel()).toBe(kernel);
      // a backend's first steps keep a few tensors of its own (TensorFlow.js's caches): measured after them
      await probeTrainingSpeed(10, 3, [16, 16], 32, 5);
      const tensors = tf.memory().numTensors;
      expect(await probeTrainingSpeed(10, 3, [16, 16], 32, 20)).toBeGreaterThan(0);
      expect(tf.memory().numTensors, `${backend}, ${preference}`).toBe(tensors);
    }
    preferKernelTraining('auto');
  });

  it('"auto" measures every backend that starts and keeps the fastest', async () => {
    const { backend, trials } = await selectBackend('auto', { obsSize: 10, numActions: 3, hidden: [16], batch: 32 }, ['wasm', 'cpu']);
    expect(trials.map((t) => t.backend)).toEqual(['wasm', 'cpu']);
    const fastest = trials.reduce((a, b) => (b.samplesPerSecond! > a.samplesPerSecond! ? b : a));
    expect(backend).toBe(fastest.backend);
    expect(tf.getBackend()).toBe(backend);
  });
});

afterAll(async () => {
  await tf.setBackend('cpu');
});
