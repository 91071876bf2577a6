// An on-policy run's policy (PPO's, GRPO's) as a LayersModel: Dense layers with the run's
// activation (tanh, or ReLU for a run fine-tuned from a behavior-cloning PolicyNet), the last one
// linear (the action logits).
import * as tf from '@tensorflow/tfjs';
import { saveToFiles, type ModelFiles } from '../modelFiles';
import type { OnPolicyCheckpoint } from './runner';

export interface PolicyMetadata {
  actionNames: readonly string[];
  env: string;
  step: number;
  /** The hidden layers' activation (the run's `activation`); tanh when not given. */
  activation?: 'tanh' | 'relu';
  /** The algorithm that trained it, in the model's name and metadata. */
  algorithm: string;
}

export async function policyModelFiles(c: OnPolicyCheckpoint, meta: PolicyMetadata): Promise<ModelFiles> {
  const algo = meta.algorithm.toLowerCase();
  const sizes = [c.obsSize, ...c.netArch, c.numActions];
  // named, so the file does not depend on how many models this process made before
  const model = tf.sequential({ name: `${algo}_policy` });
  for (let i = 0; i < sizes.length - 1; i++) {
    model.add(tf.layers.dense({ units: sizes[i + 1], activation: i < sizes.length - 2 ? meta.activation ?? 'tanh' : 'linear', inputShape: i === 0 ? [sizes[0]] : undefined, name: `policy_dense_${i}` }));
  }
  // the first 2 × layers stored tensors are the policy's kernels and biases, in order
  const policyTensors = c.weights.slice(0, 2 * (sizes.length - 1));
  const values = policyTensors.map((w) => tf.tensor(w.values, w.shape));
  model.setWeights(values);
  tf.dispose(values);
  model.setUserDefinedMetadata({
    kind: `rl-trading-lab/${algo}-policy`,
    env: meta.env,
    step: meta.step,
    action_names: [...meta.actionNames],
    output: 'logits (apply softmax for probabilities; masked actions get no probability)',
    observation_normalizer: c.normalizer,
  });
  return saveToFiles(model);
}

