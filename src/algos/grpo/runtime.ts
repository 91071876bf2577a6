// GRPO's TensorFlow.js half: trains a run on its environment (the on-policy training shared with
// PPO, with GRPO's trainer), writes its checkpoints' model files, and plays its policy.
import type { CheckpointEnvelope } from '../../core/run/contracts';
import { onPolicyEnvelope } from '../onPolicy/format';
import { policyModelFiles } from '../onPolicy/policyModel';
import { actingPolicyOf, trainOnEnvironment, type OnPolicyAlgorithm } from '../onPolicy/trainRun';
import type { AlgorithmRuntime } from '../spec';
import { GRPO_ID, type GrpoRunConfig } from './config';
import { GrpoTrainer, type GrpoCheckpoint } from './trainer';

const GRPO_ON_POLICY: OnPolicyAlgorithm<GrpoRunConfig> = {
  createTrainer: (o) => GrpoTrainer.create({ hp: o.config, env: o.env, makeEvalEnv: o.makeEvalEnv, sink: o.sink, resume: o.resume, initialPolicy: o.initialPolicy, evaluator: o.evaluator, segment: o.segment, data: o.data }),
  envelope: (c, config) => onPolicyEnvelope(GRPO_ID, c, config),
  minibatchSteps: (config) => (config.n_envs / config.num_minibatches) * config.n_steps,
};

export const GRPO_RUNTIME: AlgorithmRuntime<GrpoRunConfig> = {
  train: (ctx) => trainOnEnvironment(ctx, GRPO_ON_POLICY),
  modelFiles: (c: CheckpointEnvelope, config) => policyModelFiles(c.payload as GrpoCheckpoint, { actionNames: c.actionNames, env: config.env, step: c.step, activation: c.activation, algorithm: GRPO_ID }),
  // the policy's tensors come first in a GRPO checkpoint (the KL reference's, when kept, after them)
  actingPolicy: (c: CheckpointEnvelope) => actingPolicyOf(c.payload as GrpoCheckpoint, c.activation),
};
