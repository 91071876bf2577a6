// PPO's TensorFlow.js half: trains a run on its environment (the on-policy training shared with
// GRPO, with PPO's trainer), writes its checkpoints' model files, and plays its policy.
import type { CheckpointEnvelope } from '../../core/run/contracts';
import { actingPolicyOf, trainOnEnvironment, type OnPolicyAlgorithm } from '../onPolicy/trainRun';
import type { AlgorithmRuntime } from '../spec';
import { PPO_ID, type PpoRunConfig } from './config';
import { ppoEnvelope } from './format';
import { policyModelFiles } from '../onPolicy/policyModel';
import { PpoTrainer, type PpoCheckpoint } from './trainer';

export { latestCheckpoint } from '../onPolicy/trainRun';

const PPO_ON_POLICY: OnPolicyAlgorithm<PpoRunConfig> = {
  createTrainer: (o) => PpoTrainer.create({ hp: o.config, env: o.env, makeEvalEnv: o.makeEvalEnv, sink: o.sink, resume: o.resume, initialPolicy: o.initialPolicy, evaluator: o.evaluator }),
  envelope: (c, config) => ppoEnvelope(c, config),
  minibatchSteps: (config) => config.batch_size,
};

export const PPO_RUNTIME: AlgorithmRuntime<PpoRunConfig> = {
  train: (ctx) => trainOnEnvironment(ctx, PPO_ON_POLICY),
  modelFiles: (c: CheckpointEnvelope, config) => {
    const p = c.payload as PpoCheckpoint;
    return policyModelFiles(p, { actionNames: c.actionNames, env: config.env, step: c.step, activation: c.activation, algorithm: PPO_ID });
  },
  actingPolicy: (c: CheckpointEnvelope) => actingPolicyOf(c.payload as PpoCheckpoint, c.activation),
};
