// A checkpoint's policy as a TensorFlow.js LayersModel (model.json + weights.bin), loadable with
// tf.loadLayersModel. PPO: Dense layers with the run's activation (tanh, or ReLU for a run
// fine-tuned from behavior cloning), the last one linear (logits). Behavior cloning's PolicyNet:
// Dense ReLU layers, then two outputs, the action probabilities (softmax) and the strength
// (sigmoid). The observation normalizer and the action names travel in model.json's
// userDefinedMetadata, since the models expect normalized observations:
// obs_norm = clip((obs - mean) / sqrt(var + 1e-8), -clip, clip).
import * as tf from '@tensorflow/tfjs';
import type { PpoCheckpoint } from './ppo';
import type { BcCheckpoint } from './bc';
import type { RunConfig } from '../core/run/record';

export interface ModelFiles {
  modelJson: string;
  weightsBin: Uint8Array;
}

export interface PolicyMetadata {
  actionNames: readonly string[];
  env: string;
  step: number;
  /** The hidden layers' activation (the run's `activation`); tanh when not given. */
  activation?: 'tanh' | 'relu';
}

const ACTION_NAMES: Record<string, readonly string[]> = {
  position: ['hold', 'buy', 'sell'],
  'trade-approval': ['reject', 'approve_warning', 'approve'],
};

/** The model files of a stored checkpoint of either kind of run. */
export function checkpointModelFiles(config: RunConfig, c: PpoCheckpoint | BcCheckpoint, step: number): Promise<ModelFiles> {
  if (config.algorithm === 'BC') return bcModelFiles(c as BcCheckpoint);
  return policyModelFiles(c as PpoCheckpoint, { actionNames: ACTION_NAMES[config.env] ?? [], env: config.env, step, activation: config.activation });
}

export async function policyModelFiles(c: PpoCheckpoint, meta: PolicyMetadata): Promise<ModelFiles> {
  const sizes = [c.obsSize, ...c.netArch, c.numActions];
  const model = tf.sequential();
  for (let i = 0; i < sizes.length - 1; i++) {
    model.add(tf.layers.dense({ units: sizes[i + 1], activation: i < sizes.length - 2 ? meta.activation ?? 'tanh' : 'linear', inputShape: i === 0 ? [sizes[0]] : undefined, name: `policy_dense_${i}` }));
  }
  // the first 2 × layers stored tensors are the policy's kernels and biases, in order
  const policyTensors = c.weights.slice(0, 2 * (sizes.length - 1));
  const values = policyTensors.map((w) => tf.tensor(w.values, w.shape));
  model.setWeights(values);
  tf.dispose(values);
  model.setUserDefinedMetadata({
    kind: 'rl-trading-lab/ppo-policy',
    env: meta.env,
    step: meta.step,
    action_names: [...meta.actionNames],
    output: 'logits (apply softmax for probabilities; masked actions get no probability)',
    observation_normalizer: c.normalizer,
  });
  return saveToFiles(model);
}

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

/** model.json + weights.bin of a model (saved through a handler: downloads:// needs a document), then disposes it. */
async function saveToFiles(model: tf.LayersModel): Promise<ModelFiles> {
  let files: ModelFiles | null = null;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weightsManifest = [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }];
      const json = {
        format: 'layers-model',
        generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
        convertedBy: null,
        modelTopology: artifacts.modelTopology,
        weightsManifest,
        userDefinedMetadata: artifacts.userDefinedMetadata,
      };
      const data = artifacts.weightData as ArrayBuffer;
      files = { modelJson: JSON.stringify(json), weightsBin: new Uint8Array(data) };
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  model.dispose();
  return files!;
}
