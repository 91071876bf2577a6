// A trained policy as a TensorFlow.js LayersModel (model.json + weights.bin), loadable with
// tf.loadLayersModel: each algorithm builds its model (onPolicy/policyModel.ts, bc/modelFiles.ts), this
// writes it. The observation normalizer and the action names travel in model.json's
// userDefinedMetadata, since the models expect normalized observations:
// obs_norm = clip((obs - mean) / sqrt(var + 1e-8), -clip, clip).
import * as tf from '@tensorflow/tfjs';
import type { ModelFiles } from './spec';

export type { ModelFiles };

/** model.json + weights.bin of a model (saved through a handler: downloads:// needs a document), then disposes it. */
export async function saveToFiles(model: tf.LayersModel): Promise<ModelFiles> {
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
