// A behavior-cloning PolicyNet as the starting policy of another algorithm (seed 002's
// fine-tuning with PPO): its ReLU hidden layers as they are, the action head's three logit columns
// as the output layer (the strength column is dropped), and its input normalizer. Pure arrays.
import type { MlpPolicy } from '../spec';
import { NUM_ACTIONS, type BcCheckpoint } from './types';

/** The PolicyNet of a checkpoint as an MLP policy (the best weights, where a stopped run kept them apart). */
export function ppoPolicyFromBc(c: BcCheckpoint, description = `a behavior-cloning PolicyNet (best epoch ${c.bestEpoch})`): MlpPolicy {
  const weights = c.bestWeights ?? c.weights;
  const hidden = weights.slice(0, 2 * c.num_layers);
  const [kernel, bias] = weights.slice(2 * c.num_layers);
  const H = c.hidden_dim, heads = NUM_ACTIONS + 1;
  const logits = new Float32Array(H * NUM_ACTIONS);
  for (let r = 0; r < H; r++) for (let a = 0; a < NUM_ACTIONS; a++) logits[r * NUM_ACTIONS + a] = kernel.values[r * heads + a];
  return {
    layers: [...hidden, { name: `${kernel.name}:actions`, shape: [H, NUM_ACTIONS], values: logits }, { name: `${bias.name}:actions`, shape: [NUM_ACTIONS], values: bias.values.slice(0, NUM_ACTIONS) }],
    activation: 'relu',
    normalizer: c.normalizer,
    description,
  };
}
