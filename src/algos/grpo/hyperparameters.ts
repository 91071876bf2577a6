// GRPO's hyperparameters under TRL's GRPOConfig names where it has them (epsilon, epsilon_high,
// beta, loss_type, scale_rewards, num_iterations, num_generations as group_size), their table (the
// Train form, the command line, the page's address) and the checks that span several. Plain data:
// the page reads it without loading TensorFlow.js.
import type { SettingSpec } from '../../core/settings';
import { SCORERS, type LossType, type ScaleRewards } from './scorers';

export interface GrpoHyperparameters {
  total_timesteps: number;
  learning_rate: number;
  anneal_lr: boolean;
  /** Market windows per iteration (W), each a start row in the training segment. */
  num_windows: number;
  /** Rollouts of the current policy from each window's start (G; TRL's num_generations). */
  group_size: number;
  /** Steps per trajectory: a window's length (an environment with its own episode length sets it). */
  max_steps: number;
  /** Passes over each batch, with importance ratios against the policy that sampled it. */
  num_iterations: number;
  /** Gradient steps per pass, each on an equal share of the batch's trajectories. */
  num_minibatches: number;
  epsilon: number;
  epsilon_high: number;
  beta: number;
  loss_type: LossType;
  scale_rewards: ScaleRewards;
  scorer: string;
  /** λ of the pnl_drawdown scorer. */
  drawdown_penalty: number;
  /** Redraw the windows of groups whose scores are all equal (DAPO's dynamic sampling), up to three times. */
  dynamic_sampling: boolean;
  /** Seed 004's dropout: above this many trajectories an iteration leaves a random subset out (never more than 30 %); null: none. */
  max_trajectories: number | null;
  max_grad_norm: number;
  normalize_observations: boolean;
  net_arch: number[];
  activation: 'tanh' | 'relu';
  eval_freq: number;
  n_eval_episodes: number;
  save_freq: number;
  seed: number;
  select_best_by: 'net_pnl' | 'reward';
  // derived when a run is made, kept in its config for the code that steps its environment
  /** Copies stepped together: num_windows × group_size. */
  n_envs: number;
  /** Steps per copy per iteration: the trajectory length. */
  n_steps: number;
}

export const DEFAULT_GRPO: GrpoHyperparameters = {
  total_timesteps: 100_000,
  // measured on the position environment over the ETH/BTC sample, 49,152 steps: at 3e-4 the policy
  // stayed near uniform (last-100 episode reward −1.7), at 1e-3 it learned to trade less (−0.08)
  learning_rate: 1e-3,
  anneal_lr: false,
  num_windows: 8,
  group_size: 8,
  max_steps: 24,
  num_iterations: 1,
  num_minibatches: 4,
  epsilon: 0.2,
  epsilon_high: 0.2,
  beta: 0,
  loss_type: 'grpo',
  scale_rewards: 'group',
  scorer: 'net_pnl',
  drawdown_penalty: 1,
  dynamic_sampling: false,
  max_trajectories: null,
  max_grad_norm: 1,
  normalize_observations: true,
  net_arch: [128, 128],
  activation: 'tanh',
  eval_freq: 10_000,
  n_eval_episodes: 5,
  save_freq: 50_000,
  seed: 1,
  select_best_by: 'net_pnl',
  n_envs: 64,
  n_steps: 24,
};

const d = DEFAULT_GRPO;
const positive = { min: 0, minExclusive: true } as const;
const count = { min: 1 } as const;

export const GRPO_HYPERPARAMETERS: readonly SettingSpec[] = [
  { key: 'total_timesteps', type: 'integer', default: d.total_timesteps, ...count, main: true, cliAliases: ['timesteps'], help: 'environment steps to train for (whole iterations: rounded up to a multiple of num_windows × group_size × the trajectory length)' },
  { key: 'scorer', type: 'choice', default: d.scorer, main: true, choices: SCORERS.map((s) => ({ value: s.key, label: s.label })), help: 'what scores each trajectory of a group' },
  { key: 'learning_rate', type: 'number', default: d.learning_rate, ...positive, help: 'Adam step size' },
  { key: 'anneal_lr', type: 'boolean', default: d.anneal_lr, help: 'anneal the learning rate linearly to 0 over the run' },
  { key: 'num_windows', type: 'integer', default: d.num_windows, ...count, help: 'market windows per iteration (W): start rows drawn from the training segment' },
  { key: 'group_size', type: 'integer', default: d.group_size, min: 2, help: 'rollouts of the policy from each window (G, TRL\'s num_generations): a group that faced the same market' },
  { key: 'max_steps', type: 'integer', default: d.max_steps, ...count, help: 'steps per trajectory: the window\'s length' },
  { key: 'num_iterations', type: 'integer', default: d.num_iterations, ...count, help: 'passes over each batch (importance ratios against the sampling policy)' },
  { key: 'num_minibatches', type: 'integer', default: d.num_minibatches, ...count, help: 'gradient steps per pass; must divide num_windows × group_size' },
  { key: 'epsilon', type: 'number', default: d.epsilon, ...positive, help: 'lower clip of the ratio (1 − epsilon)' },
  { key: 'epsilon_high', type: 'number', default: d.epsilon_high, ...positive, help: 'upper clip of the ratio (1 + epsilon_high); DAPO uses 0.28' },
  { key: 'beta', type: 'number', default: d.beta, min: 0, help: 'weight of the KL (k3) to the reference policy, the one training started from; 0: none' },
  { key: 'loss_type', type: 'choice', default: d.loss_type, choices: [
    { value: 'grpo', label: 'grpo: each trajectory\'s mean over its steps, then the mean' },
    { value: 'dr_grpo', label: 'dr_grpo: sum over steps / (trajectories × max length)' },
    { value: 'dapo', label: 'dapo: sum over all steps / all steps' },
  ], help: 'how the per-step losses are aggregated' },
  { key: 'scale_rewards', type: 'choice', default: d.scale_rewards, choices: [
    { value: 'group', label: 'group: divide by the group\'s std' },
    { value: 'batch', label: 'batch: divide by the batch\'s std' },
    { value: 'none', label: 'none (Dr. GRPO): no division' },
  ], help: 'how the advantages (score − group mean) are scaled' },
  { key: 'drawdown_penalty', type: 'number', default: d.drawdown_penalty, min: 0, help: 'λ of the pnl_drawdown scorer' },
  { key: 'dynamic_sampling', type: 'boolean', default: d.dynamic_sampling, help: 'redraw windows whose group scored all alike (no gradient), up to three times (DAPO)' },
  { key: 'max_trajectories', type: 'integer', default: d.max_trajectories, ...count, nullable: true, help: 'above this many trajectories an iteration leaves a random subset out, never more than 30 % (trajectory dropout)' },
  { key: 'max_grad_norm', type: 'number', default: d.max_grad_norm, ...positive, help: 'global gradient-norm clip' },
  { key: 'normalize_observations', type: 'boolean', default: d.normalize_observations, help: 'normalize observations with running statistics (saved with the model)' },
  { key: 'net_arch', type: 'integers', default: d.net_arch, ...count, help: 'hidden layer sizes of the policy network (there is no value network)' },
  { key: 'activation', type: 'choice', default: d.activation, choices: [{ value: 'tanh', label: 'tanh' }, { value: 'relu', label: 'ReLU (a behavior-cloning PolicyNet)' }], help: 'activation of the hidden layers' },
  { key: 'eval_freq', type: 'integer', default: d.eval_freq, ...count, help: 'evaluate every N steps (a walk over the validation segment)' },
  { key: 'n_eval_episodes', type: 'integer', default: d.n_eval_episodes, ...count, help: 'episodes per evaluation where there is no segment to walk' },
  { key: 'save_freq', type: 'integer', default: d.save_freq, ...count, help: 'checkpoint every N steps' },
  { key: 'seed', type: 'integer', default: d.seed, nonZero: true, help: 'non-zero; same seed, same run' },
  { key: 'select_best_by', type: 'choice', default: d.select_best_by, choices: [{ value: 'net_pnl', label: 'net P&L on the validation segment' }, { value: 'reward', label: 'reward on the validation segment' }], help: 'what chooses the best checkpoint (always on the validation segment, never the test)' },
];

/** The checks one setting alone cannot make, in plain words. */
export function validateGrpo(h: GrpoHyperparameters): string[] {
  const problems: string[] = [];
  const trajectories = h.num_windows * h.group_size;
  if (Number.isInteger(trajectories) && trajectories % h.num_minibatches !== 0) problems.push(`num_minibatches (${h.num_minibatches}) must divide num_windows × group_size (${trajectories}) so every minibatch has the same shape`);
  return problems;
}
