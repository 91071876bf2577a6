// Behavior cloning's PolicyNet as a LayersModel with two outputs.
import * as tf from '@tensorflow/tfjs';
import { saveToFiles, type ModelFiles } from '../modelFiles';
import type { BcCheckpoint } from './trainer';

/**
 * A behavior-cloning PolicyNet: inputs → Dense ReLU × num_layers → [action_probs (softmax over
 * HOLD, BUY, SELL), strength (sigmoid)]. The trainer's head is one [hidden_dim, 4] layer (three
 * action logits, one strength logit); here it is split into the two outputs it stands for.
 * A checkpoint of a run stopped by request carries the best weights beside the last: the model
 * gets the best, as the trainer uses them.
 */
export async function bcModelFiles(c: BcCheckpoint): Promise<ModelFiles> {
  const weights = c.bestWeights ?? c.weights;
  const H = c.hidden_dim, heads = 4;
  const input = tf.input({ shape: [c.width], name: 'state' });
  let x: tf.SymbolicTensor = input;
  for (let i = 0; i < c.num_layers; i++) x = tf.layers.dense({ units: H, activation: 'relu', name: `policynet_dense_${i}` }).apply(x) as tf.SymbolicTensor;
  const actions = tf.layers.dense({ units: 3, activation: 'softmax', name: 'action_probs' }).apply(x) as tf.SymbolicTensor;
  const strength = tf.layers.dense({ units: 1, activation: 'sigmoid', name: 'strength' }).apply(x) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: [actions, strength], name: 'policynet' });
  const [kernel, bias] = weights.slice(2 * c.num_layers);
  const actionKernel = new Float32Array(H * 3), strengthKernel = new Float32Array(H);
  for (let r = 0; r < H; r++) {
    for (let a = 0; a < 3; a++) actionKernel[r * 3 + a] = kernel.values[r * heads + a];
    strengthKernel[r] = kernel.values[r * heads + 3];
  }
  const values = [
    ...weights.slice(0, 2 * c.num_layers).map((w) => tf.tensor(w.values, w.shape)),
    tf.tensor2d(actionKernel, [H, 3]), tf.tensor1d(bias.values.slice(0, 3)),
    tf.tensor2d(strengthKernel, [H, 1]), tf.tensor1d(bias.values.slice(3, 4)),
  ];
  model.setWeights(values);
  tf.dispose(values);
  model.setUserDefinedMetadata({
    kind: 'rl-trading-lab/bc-policynet',
    epoch: c.epoch,
    best_epoch: c.bestEpoch,
    action_names: ['hold', 'buy', 'sell'],
    output: 'two outputs: action_probs [HOLD, BUY, SELL] and strength (0..1)',
    observation_normalizer: c.normalizer,
  });
  return saveToFiles(model);
}

