// PPO's hyperparameters under seed 000's config.json names and Stable-Baselines3's, their table
// (the Train form, the command line, the page's address), seed 001's presets and the checks
// that span several of them. Plain data: the page reads it without loading TensorFlow.js.
import type { SettingSpec } from '../../core/settings';
import type { Preset } from '../spec';

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
  /** What chooses the best checkpoint on the validation segment: mean net P&L (default) or mean reward. */
  select_best_by: 'net_pnl' | 'reward';
}

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
  select_best_by: 'net_pnl',
};

const d = DEFAULT_PPO;
const positive = { min: 0, minExclusive: true } as const;
const count = { min: 1 } as const;

/** The table, in the Train form's order. */
export const PPO_HYPERPARAMETERS: readonly SettingSpec[] = [
  { key: 'total_timesteps', type: 'integer', default: d.total_timesteps, ...count, main: true, cliAliases: ['timesteps'], help: 'environment steps to train for (PPO runs whole rollouts: rounded up to a multiple of n_steps × n_envs)' },
  { key: 'learning_rate', type: 'number', default: d.learning_rate, ...positive, help: 'Adam step size (annealed linearly to 0 with anneal_lr)' },
  { key: 'n_envs', type: 'integer', default: d.n_envs, ...count, help: 'environment copies stepped together' },
  { key: 'n_steps', type: 'integer', default: d.n_steps, ...count, help: 'steps per copy per rollout' },
  { key: 'batch_size', type: 'integer', default: d.batch_size, ...count, help: 'minibatch size; must divide n_steps × n_envs' },
  { key: 'n_epochs', type: 'integer', default: d.n_epochs, ...count, help: 'passes over each rollout' },
  { key: 'gamma', type: 'number', default: d.gamma, min: 0, minExclusive: true, max: 1, help: 'discount' },
  { key: 'gae_lambda', type: 'number', default: d.gae_lambda, min: 0, max: 1, help: 'GAE λ' },
  { key: 'clip_range', type: 'number', default: d.clip_range, ...positive, help: 'PPO ratio clip' },
  { key: 'ent_coef', type: 'number', default: d.ent_coef, min: 0, help: 'entropy bonus' },
  { key: 'vf_coef', type: 'number', default: d.vf_coef, min: 0, help: 'value loss weight' },
  { key: 'max_grad_norm', type: 'number', default: d.max_grad_norm, ...positive, help: 'global gradient-norm clip' },
  { key: 'max_steps', type: 'integer', default: d.max_steps, ...count, help: 'steps per episode' },
  { key: 'eval_freq', type: 'integer', default: d.eval_freq, ...count, help: 'evaluate every N steps (a walk over the validation segment in windows of max_steps)' },
  { key: 'n_eval_episodes', type: 'integer', default: d.n_eval_episodes, ...count, help: 'episodes per evaluation where there is no segment to walk (the walk covers the whole segment)' },
  { key: 'save_freq', type: 'integer', default: d.save_freq, ...count, help: 'checkpoint every N steps' },
  { key: 'seed', type: 'integer', default: d.seed, nonZero: true, help: 'non-zero; same seed, same run' },
  { key: 'select_best_by', type: 'choice', default: d.select_best_by, choices: [{ value: 'net_pnl', label: 'net P&L on the validation segment' }, { value: 'reward', label: 'reward on the validation segment' }], help: 'what chooses the best checkpoint (always on the validation segment, never the test)' },
  { key: 'net_arch', type: 'integers', default: d.net_arch, ...count, help: 'hidden layer sizes of the policy and value networks' },
  { key: 'activation', type: 'choice', default: d.activation, choices: [{ value: 'tanh', label: 'tanh (SB3, CleanRL)' }, { value: 'relu', label: 'ReLU (a behavior-cloning PolicyNet)' }], help: 'activation of the hidden layers' },
  { key: 'target_kl', type: 'number', default: d.target_kl, ...positive, nullable: true, help: "stop an update's epochs when KL passes 1.5 × target_kl" },
  { key: 'clip_range_vf', type: 'number', default: d.clip_range_vf, ...positive, nullable: true, help: 'value-function clipping range' },
  { key: 'anneal_lr', type: 'boolean', default: d.anneal_lr, help: 'anneal the learning rate linearly to 0 over the run' },
  { key: 'normalize_advantage', type: 'boolean', default: d.normalize_advantage, help: 'normalize advantages per minibatch' },
  { key: 'normalize_observations', type: 'boolean', default: d.normalize_observations, help: 'normalize observations with running statistics (saved with the model)' },
];

/** Seed 001's risk presets: step sizes for PPO, and leverage for an environment that has it (the form's label says which apply). */
export const PPO_PRESETS: Readonly<Record<string, Preset>> = {
  conservative: {
    description: 'small careful updates',
    hyperparameters: { learning_rate: 1e-4, clip_range: 0.1, ent_coef: 0.005, target_kl: 0.02 },
    envSettings: { leverage: 1 },
  },
  moderate: {
    description: 'standard PPO settings',
    hyperparameters: { learning_rate: 3e-4, clip_range: 0.2, ent_coef: 0.01, target_kl: 0.05 },
    envSettings: { leverage: 3 },
  },
  aggressive: {
    description: 'larger updates and more exploration',
    hyperparameters: { learning_rate: 1e-3, clip_range: 0.3, ent_coef: 0.02, target_kl: 0.1 },
    envSettings: { leverage: 5 },
  },
  // A GPU does the matrix work of wide networks and large minibatches at little more cost than of
  // small ones, and rollouts act on host copies of the policy (no read-back per step): sizes that
  // keep it busy. On the CPU (WASM) the default sizes train faster.
  gpu: {
    description: 'for a GPU backend (WebGPU): 64 copies × 256 steps, minibatch 4,096, [512, 512] networks, moderate steps',
    hyperparameters: { n_envs: 64, n_steps: 256, batch_size: 4096, net_arch: [512, 512], learning_rate: 3e-4, clip_range: 0.2, ent_coef: 0.01, target_kl: 0.05 },
    envSettings: { leverage: 3 },
  },
};

/** The checks one setting alone cannot make, in plain words. */
export function validatePpo(h: PpoHyperparameters): string[] {
  const problems: string[] = [];
  const rollout = h.n_steps * h.n_envs;
  if (Number.isInteger(rollout) && h.batch_size > rollout) problems.push(`batch_size (${h.batch_size}) must not exceed n_steps × n_envs (${rollout})`);
  else if (Number.isInteger(rollout) && rollout % h.batch_size !== 0) problems.push(`n_steps × n_envs (${rollout}) must be a multiple of batch_size (${h.batch_size}) so every minibatch has the same shape`);
  return problems;
}
