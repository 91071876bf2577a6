// PPO (Stable-Baselines3's and CleanRL's) as the registry knows it: its hyperparameters and seed
// 001's presets, what it trains on, its run list columns, facts, health charts and warnings, its
// report and run-folder format. Its TensorFlow.js half (runtime.ts) loads only where it trains.
import { findEnv } from '../../core/env/registry';
import type { StoredCheckpoint } from '../../core/run/contracts';
import type { AlgorithmSpec, MlpPolicy } from '../spec';
import { newPpoConfig, plannedSteps, PPO_ID, type PpoRunConfig } from './config';
import { PPO_FORMAT, ppoReport } from './format';
import { onPolicyPresentation } from '../onPolicy/present';
import { PPO_CHARTS, ppoWarnings } from './health';
import { PPO_HYPERPARAMETERS, PPO_PRESETS } from './hyperparameters';
import type { PpoCheckpoint } from './trainer';

export const PPO: AlgorithmSpec<PpoRunConfig> = {
  id: PPO_ID,
  title: 'PPO',
  menuLabel: 'PPO (reinforcement learning on an environment)',
  subject: (c) => c.env,
  describe: (c) => `PPO on \`${c.env}\``,
  hyperparameters: PPO_HYPERPARAMETERS,
  advancedTitle: 'PPO hyperparameters',
  presets: PPO_PRESETS,
  defaultPreset: 'moderate',
  formStart: { total_timesteps: 50_000 },
  trainsOn: { environments: true },
  fineTunes: { hyperparameters: { learning_rate: 1e-4 }, sameNetworks: (shape) => ({ activation: shape.activation, net_arch: shape.hidden }) },
  startingPolicy(config, checkpoints: readonly StoredCheckpoint[]): MlpPolicy | null {
    const c = checkpoints.find((x) => x.name === 'final') ?? checkpoints.find((x) => x.name === 'best');
    if (!c) return null;
    const p = c.checkpoint.payload as PpoCheckpoint;
    return { layers: p.weights.slice(0, 2 * (p.netArch.length + 1)), activation: c.checkpoint.activation, normalizer: p.normalizer, description: `PPO run ${config.run_id} (${c.name} model, step ${c.step})` };
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
  newConfig: newPpoConfig,
  ...onPolicyPresentation<PpoRunConfig>(PPO_ID, 'PPO', [{ title: 'train/approx_kl', key: 'train/approx_kl' }]),
  charts: PPO_CHARTS,
  warnings: ppoWarnings,
  report: ppoReport,
  format: PPO_FORMAT,
  runtime: async () => (await import('./runtime')).PPO_RUNTIME,
};

export { plannedSteps };
