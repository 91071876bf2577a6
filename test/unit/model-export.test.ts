// A checkpoint's policy, exported as model.json + weights.bin, loads with tf.loadLayersModel and
// gives the trainer's own action probabilities.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { policyModelFiles } from '../../src/algos/onPolicy/policyModel';
import { PpoTrainer, type PpoCheckpoint, type RunSink } from '../../src/algos/ppo/trainer';
import { DEFAULT_PPO } from '../../src/algos/ppo/hyperparameters';
import { SignalEnv } from './toyEnv';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('model export', () => {
  it.each(['tanh', 'relu'] as const)('loads with tf.loadLayersModel and matches the trained policy (%s layers)', async (activation) => {
    const checkpoints: PpoCheckpoint[] = [];
    const sink: RunSink = { episodes() {}, update() {}, evaluation() {}, checkpoint: (c) => { checkpoints.push(c); } };
    const hp = { ...DEFAULT_PPO, n_envs: 2, n_steps: 64, batch_size: 64, net_arch: [16, 16], total_timesteps: 256, eval_freq: 1e9, save_freq: 1e9, seed: 3, activation };
    const trainer = await PpoTrainer.create({ hp, env: new SignalEnv(2, 4), makeEvalEnv: (n, s) => new SignalEnv(n, s), sink });
    await trainer.train();
    const final = checkpoints.at(-1)!;
    const files = await policyModelFiles(final, { actionNames: ['a', 'b', 'c'], env: 'signal', step: final.step, activation, algorithm: 'PPO' });
    const json = JSON.parse(files.modelJson);
    expect(json.format).toBe('layers-model');
    expect(json.modelTopology.config.layers[0].config.activation).toBe(activation);
    expect(json.weightsManifest[0].paths).toEqual(['weights.bin']);
    expect(json.userDefinedMetadata.observation_normalizer.mean).toHaveLength(4);
    const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: files.weightsBin.slice().buffer as ArrayBuffer }));
    // normalize as the metadata says, then softmax the logits
    const raw = new Float32Array([0, 1, 0, 0.3]);
    const { mean, var: variance, clip } = json.userDefinedMetadata.observation_normalizer;
    const x = Array.from(raw, (v, i) => Math.max(-clip, Math.min(clip, (v - mean[i]) / Math.sqrt(variance[i] + 1e-8))));
    const probs = tf.tidy(() => tf.softmax(model.predict(tf.tensor2d([x])) as tf.Tensor2D).dataSync());
    const expected = await trainer.predict(raw);
    Array.from(probs).forEach((p, i) => expect(p).toBeCloseTo(expected.probs[i], 5));
    model.dispose();
    trainer.dispose();
  });
});
