// Live control of the on-policy learners: setControl changes the learning rate, the entropy
// coefficient or the clip range from the next update on, on TensorFlow.js's path (CPU backend) and
// on the lab's kernel (WASM backend) alike, and a change shows in that update's figures.
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import '../../src/algos/backends-node';
import { trySetBackend } from '../../src/algos/backend';
import { trainsOnKernel } from '../../src/algos/kernels/engine';
import { GrpoLearner } from '../../src/algos/grpo/learner';
import { DEFAULT_GRPO, type GrpoHyperparameters } from '../../src/algos/grpo/hyperparameters';
import { MASKED_LOGIT, RolloutBuffer } from '../../src/algos/onPolicy/buffer';
import { PpoLearner } from '../../src/algos/ppo/learner';
import { DEFAULT_PPO, type PpoHyperparameters } from '../../src/algos/ppo/hyperparameters';
import { Rng } from '../../src/core/rng';

const D = 6, A = 3;

/** A buffer whose behaviour log-probabilities are far from the policy's, so ratios clip. */
function buffer(T: number, N: number): RolloutBuffer {
  const rng = new Rng(5);
  const b = new RolloutBuffer(T, N, D, A);
  for (let i = 0; i < b.obs.length; i++) b.obs[i] = rng.normal();
  for (let k = 0; k < T * N; k++) {
    b.maskOffsets[k * A + 2] = rng.next() < 0.3 ? MASKED_LOGIT : 0;
    b.actions[k] = rng.int(2);
    b.logp[k] = Math.log(0.2 + 0.6 * rng.next());
    b.values[k] = rng.normal() * 0.3;
    b.rewards[k] = rng.normal();
  }
  b.computeGae(() => 0, new Uint8Array(N), 0.99, 0.95);
  return b;
}

const PPO_HP: PpoHyperparameters = { ...DEFAULT_PPO, n_envs: 4, n_steps: 16, batch_size: 16, n_epochs: 2, net_arch: [16, 16], target_kl: null, learning_rate: 1e-3 };
const GRPO_HP: GrpoHyperparameters = { ...DEFAULT_GRPO, n_envs: 8, n_steps: 8, num_windows: 2, group_size: 4, max_steps: 8, net_arch: [16], num_iterations: 2, num_minibatches: 2, learning_rate: 1e-3 };

async function ppoUpdate(change?: (l: PpoLearner) => void) {
  const learner = new PpoLearner(PPO_HP, D, A, new Rng(1));
  try {
    await learner.learn(buffer(16, 4), new Rng(2), 1);
    change?.(learner);
    const lrBefore = learner.learningRate;
    const metrics = await learner.learn(buffer(16, 4), new Rng(3), 2);
    return { metrics, lrBefore, learner: { lr: learner.learningRate, base: learner.baseLearningRate }, weights: (await learner.weights()).flatMap((t) => Array.from(t.values)) };
  } finally {
    learner.dispose();
  }
}

async function grpoUpdate(change?: (l: GrpoLearner) => void) {
  const learner = new GrpoLearner(GRPO_HP, D, A, new Rng(1));
  try {
    const b = buffer(8, 8);
    const rng = new Rng(4);
    const adv = Array.from({ length: 8 }, () => rng.normal() * 2);
    for (let k = 0; k < b.size; k++) b.advantages[k] = adv[k % 8];
    learner.batch.alive.fill(1);
    await learner.learn(b, new Rng(2), 1);
    change?.(learner);
    const metrics = await learner.learn(b, new Rng(3), 2);
    return { metrics, learner: { lr: learner.learningRate, base: learner.baseLearningRate }, weights: (await learner.weights()).flatMap((t) => Array.from(t.values)) };
  } finally {
    learner.dispose();
  }
}

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`setControl on the ${backend === 'cpu' ? 'TensorFlow.js path (CPU backend)' : "lab's kernel (WASM backend)"}`, () => {
    it('PPO: each change moves the next update, and only from then on', async () => {
      expect(await trySetBackend(backend)).toBeNull();
      expect(trainsOnKernel()).toBe(backend === 'wasm');
      const tensors = tf.memory().numTensors;
      const plain = await ppoUpdate();
      expect((await ppoUpdate()).metrics).toEqual(plain.metrics);

      const ent = await ppoUpdate((l) => l.setControl('ent_coef', 0.5));
      // the entropy bonus enters the total loss of the first minibatch already, its policy-gradient term not
      expect(ent.metrics['train/loss']).not.toBeCloseTo(plain.metrics['train/loss'], 3);
      expect(ent.metrics['train/loss'] - plain.metrics['train/loss']).toBeLessThan(0);

      const clip = await ppoUpdate((l) => l.setControl('clip_range', 0.02));
      expect(clip.metrics['train/clip_range']).toBe(0.02);
      expect(clip.metrics['train/clip_fraction']).toBeGreaterThan(plain.metrics['train/clip_fraction']);

      const lr = await ppoUpdate((l) => {
        l.learningRate = 5e-4; // as anneal_lr leaves it halfway through a run
        l.setControl('learning_rate', 4e-3);
      });
      expect(lr.lrBefore).toBe(5e-4); // not yet: from the next update
      expect(lr.metrics['train/learning_rate']).toBeCloseTo(2e-3, 12); // the anneal's fraction kept
      expect(lr.learner.base).toBe(4e-3);
      expect(lr.weights).not.toEqual(plain.weights);
      expect(tf.memory().numTensors).toBe(tensors);
    });

    it('GRPO: clip range and learning rate move the next update; it has no entropy bonus to change', async () => {
      expect(await trySetBackend(backend)).toBeNull();
      const tensors = tf.memory().numTensors;
      const plain = await grpoUpdate();
      const clip = await grpoUpdate((l) => l.setControl('clip_range', 0.01));
      expect(clip.metrics['clip_ratio/region_mean']).toBeGreaterThan(plain.metrics['clip_ratio/region_mean']);
      expect(clip.metrics.loss).not.toBeCloseTo(plain.metrics.loss, 4);
      const lr = await grpoUpdate((l) => l.setControl('learning_rate', 1e-2));
      expect(lr.metrics.learning_rate).toBeCloseTo(1e-2, 12);
      expect(lr.learner.base).toBe(1e-2);
      expect(lr.weights).not.toEqual(plain.weights);
      expect(tf.memory().numTensors).toBe(tensors);
    });
  });
}

describe('restoreControls (on resume)', () => {
  it('sets the recorded values at once and leaves the current learning rate to the checkpoint', async () => {
    expect(await trySetBackend('cpu')).toBeNull();
    const changed = await ppoUpdate((l) => {
      l.setControl('ent_coef', 0.3);
      l.setControl('learning_rate', 2e-3);
    });
    const restored = await ppoUpdate((l) => {
      l.restoreControls({ ent_coef: 0.3, learning_rate: 2e-3 });
      expect(l.learningRate).toBe(1e-3);
      expect(l.baseLearningRate).toBe(2e-3);
      l.learningRate = 2e-3; // as the runner sets the checkpoint's rate
    });
    expect(restored.metrics).toEqual(changed.metrics);
    expect(restored.weights).toEqual(changed.weights);
  });
});

describe('setControl refuses what a learner cannot take', () => {
  it('names the setting and the value', () => {
    const ppo = new PpoLearner(PPO_HP, D, A, new Rng(1));
    const grpo = new GrpoLearner(GRPO_HP, D, A, new Rng(1));
    try {
      expect(() => ppo.setControl('learning_rate', 0)).toThrow('learning_rate must be above 0, got 0');
      expect(() => ppo.setControl('clip_range', Number.NaN)).toThrow('clip_range must be a finite number');
      expect(() => ppo.setControl('ent_coef', -0.1)).toThrow('ent_coef must be at least 0, got -0.1');
      expect(() => ppo.setControl('ent_coef', 0)).not.toThrow();
      expect(() => grpo.setControl('ent_coef', 0.01)).toThrow('GRPO has no ent_coef to change (it takes learning_rate, clip_range)');
      expect(grpo.controlNames).toEqual(['learning_rate', 'clip_range']);
    } finally {
      ppo.dispose();
      grpo.dispose();
    }
  });
});

afterAll(async () => {
  await tf.setBackend('cpu');
});
