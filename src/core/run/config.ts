// Hyperparameters under seed 000's config.json names, plus PPO's own; presets from seed 001.

export type AlgorithmName = 'PPO';
export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';
export type BackendChoice = 'auto' | BackendName;

export interface PpoHyperparameters {
  total_timesteps: number;
  learning_rate: number;
  /** Anneal the learning rate linearly to 0 over the run. */
  anneal_lr: boolean;
  /** Minibatch size (SB3's batch_size). */
  batch_size: number;
  /** Steps per environment copy per rollout. */
  n_steps: number;
  n_envs: number;
  n_epochs: number;
  gamma: number;
  gae_lambda: number;
  clip_range: number;
  /** Value-function clipping range; null disables it (SB3's clip_range_vf). */
  clip_range_vf: number | null;
  ent_coef: number;
  vf_coef: number;
  max_grad_norm: number;
  /** Stop an update's epochs early when the approximate KL exceeds this; null disables it. */
  target_kl: number | null;
  normalize_advantage: boolean;
  normalize_observations: boolean;
  /** Hidden layer sizes of the policy and value networks. */
  net_arch: number[];
  /** Activation of the hidden layers (tanh as SB3 and CleanRL; relu to continue a behavior-cloning PolicyNet). */
  activation: 'tanh' | 'relu';
  eval_freq: number;
  n_eval_episodes: number;
  save_freq: number;
  /** Steps per episode. */
  max_steps: number;
  seed: number;
}

export interface EnvSettings {
  env: 'trade-approval' | 'position';
  leverage: number;
  fee: number;
  allow_short: boolean;
  starting_balance: number;
  /** Fraction of the rows, at the end, held out for evaluation. */
  eval_fraction: number;
}

export type PresetName = 'conservative' | 'moderate' | 'aggressive';

export const DEFAULT_PPO: PpoHyperparameters = {
  total_timesteps: 100_000,
  learning_rate: 3e-4,
  anneal_lr: true,
  batch_size: 256,
  n_steps: 256,
  n_envs: 8,
  n_epochs: 4,
  gamma: 0.99,
  gae_lambda: 0.95,
  clip_range: 0.2,
  clip_range_vf: null,
  ent_coef: 0.01,
  vf_coef: 0.5,
  max_grad_norm: 0.5,
  target_kl: 0.05,
  normalize_advantage: true,
  normalize_observations: true,
  net_arch: [128, 128],
  activation: 'tanh',
  eval_freq: 10_000,
  n_eval_episodes: 5,
  save_freq: 50_000,
  max_steps: 256,
  seed: 1,
};

export const DEFAULT_ENV: EnvSettings = {
  env: 'position',
  leverage: 1,
  fee: 0.001,
  allow_short: true,
  starting_balance: 10_000,
  eval_fraction: 0.2,
};

/** Seed 001's risk presets: leverage for the environment, step sizes for PPO. */
export const PRESETS: Record<PresetName, { description: string; ppo: Partial<PpoHyperparameters>; env: Partial<EnvSettings> }> = {
  conservative: {
    description: '1× leverage, small careful updates',
    ppo: { learning_rate: 1e-4, clip_range: 0.1, ent_coef: 0.005, target_kl: 0.02 },
    env: { leverage: 1 },
  },
  moderate: {
    description: '3× leverage, standard PPO settings',
    ppo: { learning_rate: 3e-4, clip_range: 0.2, ent_coef: 0.01, target_kl: 0.05 },
    env: { leverage: 3 },
  },
  aggressive: {
    description: '5× leverage, larger updates and more exploration',
    ppo: { learning_rate: 1e-3, clip_range: 0.3, ent_coef: 0.02, target_kl: 0.1 },
    env: { leverage: 5 },
  },
};

/** Checks hyperparameters and says plainly what is wrong. */
export function validatePpo(h: PpoHyperparameters): string[] {
  const problems: string[] = [];
  const positiveInt = (k: keyof PpoHyperparameters) => {
    const v = h[k] as number;
    if (!Number.isInteger(v) || v <= 0) problems.push(`${k} must be a positive whole number (got ${v})`);
  };
  (['total_timesteps', 'batch_size', 'n_steps', 'n_envs', 'n_epochs', 'eval_freq', 'n_eval_episodes', 'save_freq', 'max_steps'] as const).forEach(positiveInt);
  if (!(h.learning_rate > 0)) problems.push('learning_rate must be positive');
  if (!(h.gamma > 0 && h.gamma <= 1)) problems.push('gamma must be in (0, 1]');
  if (!(h.gae_lambda >= 0 && h.gae_lambda <= 1)) problems.push('gae_lambda must be in [0, 1]');
  if (!(h.clip_range > 0)) problems.push('clip_range must be positive');
  if (h.clip_range_vf !== null && !(h.clip_range_vf > 0)) problems.push('clip_range_vf must be positive or null');
  if (!(h.max_grad_norm > 0)) problems.push('max_grad_norm must be positive');
  if (h.target_kl !== null && !(h.target_kl > 0)) problems.push('target_kl must be positive or null');
  if (!Number.isInteger(h.seed) || h.seed === 0) problems.push('seed must be a non-zero whole number (0 would mean unseeded)');
  if (!h.net_arch.length || h.net_arch.some((n) => !Number.isInteger(n) || n <= 0)) problems.push('net_arch must list positive layer sizes');
  if (h.activation !== 'tanh' && h.activation !== 'relu') problems.push(`activation must be tanh or relu (got ${h.activation})`);
  const rollout = h.n_steps * h.n_envs;
  if (Number.isInteger(rollout) && h.batch_size > rollout) problems.push(`batch_size (${h.batch_size}) must not exceed n_steps × n_envs (${rollout})`);
  else if (Number.isInteger(rollout) && rollout % h.batch_size !== 0) problems.push(`n_steps × n_envs (${rollout}) must be a multiple of batch_size (${h.batch_size}) so every minibatch has the same shape`);
  return problems;
}
