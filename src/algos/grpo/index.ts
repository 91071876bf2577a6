// GRPO over market windows (seed 004; TRL's GRPOTrainer for a trading policy) as the registry
// knows it: groups of rollouts from the same window, scored and compared within their group, no
// critic. Its hyperparameters, what it trains on, its list columns, facts, charts and warnings,
// its report and run-folder format (the on-policy ones). Its TensorFlow.js half loads only where it trains.
import { findEnv } from '../../core/env/registry';
import type { StoredCheckpoint } from '../../core/run/contracts';
import { onPolicyFormat, onPolicyReport } from '../onPolicy/format';
import { onPolicyPresentation } from '../onPolicy/present';
import { plannedSteps } from '../onPolicy/trainRun';
import type { AlgorithmSpec, MlpPolicy } from '../spec';
import { GRPO_ID, newGrpoConfig, type GrpoRunConfig } from './config';
import { GRPO_CHARTS, grpoWarnings } from './health';
import { GRPO_HYPERPARAMETERS } from './hyperparameters';
import type { GrpoCheckpoint } from './trainer';

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
  startingPolicy(config, checkpoints: readonly StoredCheckpoint[]): MlpPolicy | null {
    const c = checkpoints.find((x) => x.name === 'final') ?? checkpoints.find((x) => x.name === 'best');
    if (!c) return null;
    const p = c.checkpoint.payload as GrpoCheckpoint;
    return { layers: p.weights.slice(0, 2 * (p.netArch.length + 1)), activation: c.checkpoint.activation, normalizer: p.normalizer, description: `GRPO run ${config.run_id} (${c.name} model, step ${c.step})` };
  },
  policyShape: (c) => {
    const env = findEnv(c.env);
    return env ? { obsSize: env.obsSize, actionNames: env.actionNames, hidden: c.net_arch, activation: c.activation ?? 'tanh' } : null;
  },
  unit: 'steps',
  plannedTotal: (c) => c.total_timesteps,
  progressTotal: plannedSteps,
  progressDone: (c) => c.progress_timesteps,
  resumable: (c) => c.progress_timesteps < c.total_timesteps,
  newConfig: newGrpoConfig,
  ...onPolicyPresentation<GrpoRunConfig>(GRPO_ID, 'GRPO', [{ title: 'reward (the scorer\'s)', key: 'reward' }, { title: 'frac_reward_zero_std', key: 'frac_reward_zero_std' }]),
  charts: GRPO_CHARTS,
  warnings: grpoWarnings,
  report: onPolicyReport,
  format: onPolicyFormat(GRPO_ID, 'GRPO run'),
  runtime: async () => (await import('./runtime')).GRPO_RUNTIME,
};
