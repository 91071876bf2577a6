// A checkpoint's policy as a TensorFlow.js LayersModel (model.json + weights.bin), loadable with
// tf.loadLayersModel: Dense layers with tanh, the last one linear (logits). The observation
// normalizer and the action names travel in model.json's userDefinedMetadata, since the model
// expects normalized observations: obs_norm = clip((obs - mean) / sqrt(var + 1e-8), -clip, clip).
import * as tf from '@tensorflow/tfjs';
import type { PpoCheckpoint } from './ppo';

export interface ModelFiles {
  modelJson: string;
  weightsBin: Uint8Array;
}

export interface PolicyMetadata {
  actionNames: readonly string[];
  env: string;
  step: number;
}

export async function policyModelFiles(c: PpoCheckpoint, meta: PolicyMetadata): Promise<ModelFiles> {
  const sizes = [c.obsSize, ...c.netArch, c.numActions];
  const model = tf.sequential();
  for (let i = 0; i < sizes.length - 1; i++) {
    model.add(tf.layers.dense({ units: sizes[i + 1], activation: i < sizes.length - 2 ? 'tanh' : 'linear', inputShape: i === 0 ? [sizes[0]] : undefined, name: `policy_dense_${i}` }));
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
