// PPO (Stable-Baselines3's and CleanRL's) as the registry knows it: its hyperparameters and seed
// 001's presets, what it trains on, its run list columns, facts, health charts and warnings, its
// report and run-folder format. Its TensorFlow.js half (runtime.ts) loads only where it trains.
import type { AlgorithmSpec } from '../spec';
import { newPpoConfig, PPO_ID, type PpoRunConfig } from './config';
import { PPO_FORMAT, ppoReport } from './format';
import { onPolicyLifecycle, onPolicyPresentation } from '../onPolicy/present';
import { PPO_CHARTS, ppoHealth, ppoWarnings } from './health';
import { PPO_HYPERPARAMETERS, PPO_PRESETS } from './hyperparameters';
import { onPolicyOnnx } from '../onPolicy/onnxPolicy';

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
  ...onPolicyLifecycle<PpoRunConfig>('PPO'),
  newConfig: newPpoConfig,
  ...onPolicyPresentation<PpoRunConfig>(PPO_ID, 'PPO', [{ title: 'train/approx_kl', key: 'train/approx_kl' }]),
  charts: PPO_CHARTS,
  warnings: ppoWarnings,
  health: ppoHealth,
  report: ppoReport,
  format: PPO_FORMAT,
  onnxPolicy: onPolicyOnnx,
  runtime: async () => (await import('./runtime')).PPO_RUNTIME,
};

export { plannedSteps } from './config';
