// GRPO over market windows (seed 004; TRL's GRPOTrainer for a trading policy) as the registry
// knows it: groups of rollouts from the same window, scored and compared within their group, no
// critic. Its hyperparameters, what it trains on, its list columns, facts, charts and warnings,
// its report and run-folder format (the on-policy ones). Its TensorFlow.js half loads only where it trains.
import { onPolicyFormat, onPolicyReport } from '../onPolicy/format';
import { onPolicyLifecycle, onPolicyPresentation } from '../onPolicy/present';
import type { AlgorithmSpec } from '../spec';
import { GRPO_ID, newGrpoConfig, type GrpoRunConfig } from './config';
import { GRPO_CHARTS, grpoHealth, grpoWarnings } from './health';
import { GRPO_HYPERPARAMETERS } from './hyperparameters';
import { onPolicyOnnx } from '../onPolicy/onnxPolicy';

export const GRPO: AlgorithmSpec<GrpoRunConfig> = {
  id: GRPO_ID,
  title: 'GRPO',
  menuLabel: 'GRPO (groups of rollouts on the same market window, no critic)',
  subject: (c) => c.env,
  describe: (c) => `GRPO on \`${c.env}\` (${c.num_windows} windows × ${c.group_size} rollouts, scored by ${c.scorer})`,
  hyperparameters: GRPO_HYPERPARAMETERS,
  advancedTitle: 'GRPO hyperparameters',
  formStart: { total_timesteps: 50_000 },
  trainsOn: { environments: true },
  fineTunes: { hyperparameters: { learning_rate: 1e-4 }, sameNetworks: (shape) => ({ activation: shape.activation, net_arch: shape.hidden }) },
  ...onPolicyLifecycle<GrpoRunConfig>('GRPO'),
  newConfig: newGrpoConfig,
  ...onPolicyPresentation<GrpoRunConfig>(GRPO_ID, 'GRPO', [{ title: 'reward (the scorer\'s)', key: 'reward' }, { title: 'frac_reward_zero_std', key: 'frac_reward_zero_std' }]),
  charts: GRPO_CHARTS,
  warnings: grpoWarnings,
  health: grpoHealth,
  report: onPolicyReport,
  format: onPolicyFormat(GRPO_ID, 'GRPO run'),
  onnxPolicy: onPolicyOnnx,
  runtime: async () => (await import('./runtime')).GRPO_RUNTIME,
};
