// A checkpoint's policy as ONNX (model.onnx): raw observations in, action probabilities out (and
// strength for behavior cloning), for run folders and the model registry alike. The algorithm says
// what its policy's weights are (AlgorithmSpec.onnxPolicy), core/onnx/policy.ts writes the model;
// this names what goes in and out. Pure: no TensorFlow.js, no DOM.
import { findEnv } from '../core/env/registry';
import type { EnvSpec } from '../core/env/spec';
import { FEATURE_NAMES, STATE_SIZE } from '../core/features/layout';
import { policyOnnx, type OnnxModelInterface } from '../core/onnx/policy';
import type { CheckpointEnvelope, StoredRun } from '../core/run/contracts';
import { algorithmSpec } from './registry';

export type { OnnxModelInterface };

export interface OnnxExport {
  /** model.onnx's bytes. */
  bytes: Uint8Array;
  /** Its inputs (observation slots by name, in order) and outputs, for a model card. */
  interface: OnnxModelInterface;
}

/**
 * The observation slots' names, where known: the environment's own, else seed 002's 34-value state
 * (features/layout.ts) for a policy of that width: the position environment's observation, and
 * behavior cloning's states (the teacher's, or an offline dataset of seed 002's layout). Null
 * otherwise (the card then says obs_0, obs_1, ...).
 */
export function observationNames(env: EnvSpec | undefined, obsSize: number): readonly string[] | null {
  const own = env?.observationNames;
  if (own && own.length === obsSize) return own;
  return obsSize === STATE_SIZE ? FEATURE_NAMES : null;
}

/**
 * model.onnx of a checkpoint of a run, and its interface. Throws where the checkpoint's weights do
 * not fit its shape, or are not finite.
 */
export function exportOnnx(config: StoredRun, checkpoint: CheckpointEnvelope): OnnxExport {
  const spec = algorithmSpec(checkpoint.algorithm);
  const envId = typeof config.env === 'string' ? config.env : null;
  const env = envId === null ? undefined : findEnv(envId);
  const policy = spec.onnxPolicy(checkpoint, config);
  return policyOnnx(policy, {
    name: `${spec.id.toLowerCase()}_policy`,
    obsSize: checkpoint.obsSize,
    actionNames: checkpoint.actionNames,
    observationNames: observationNames(env, checkpoint.obsSize),
    metadata: {
      algorithm: spec.id,
      ...(envId === null ? {} : { env: envId }),
      run_id: config.run_id,
      checkpoint_kind: checkpoint.kind,
      step: String(checkpoint.step),
    },
  });
}
