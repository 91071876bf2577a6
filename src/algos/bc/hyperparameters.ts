// Behavior cloning's hyperparameters under seed 002's names, and their table (the Train form, the
// command line, the page's address): plain data, so the page can show and check them without
// loading TensorFlow.js.
import type { SettingSpec } from '../../core/settings';

export type BcOptimizer = 'adam' | 'adamw';
export type BcImbalance = 'none' | 'weighted' | 'oversample' | 'focal';
export type BcValSplit = 'chronological' | 'random';

/** Hyperparameters under seed 002's names. */
export interface BcHyperparameters {
  batch_size: number;
  /** Epochs at most (early stopping may end sooner); the seed's --epochs / max_epochs. */
  max_epochs: number;
  learning_rate: number;
  hidden_dim: number;
  num_layers: number;
  /** Dropout rate after each hidden layer, in training only. */
  dropout: number;
  /** Weight of the action cross-entropy. */
  alpha: number;
  /** Weight of the strength MSE. */
  beta: number;
  /** AdamW: decoupled decay (w ← w − lr·wd·w); Adam: L2, wd·w added to the gradient (PyTorch's Adam weight_decay). */
  weight_decay: number;
  optimizer: BcOptimizer;
  imbalance: BcImbalance;
  /** γ of the focal loss (imbalance 'focal'). */
  focal_gamma: number;
  /** Fraction of the samples held out for validation; 0 trains on all (no early stopping). */
  val_fraction: number;
  /** 'chronological': the last val_fraction of the samples; 'random': a seeded random subset. */
  val_split: BcValSplit;
  /** Epochs without a lower validation loss before training stops. */
  patience: number;
  /** Global gradient-norm clipping; null leaves gradients as they are. */
  max_grad_norm: number | null;
  /** Standardize inputs with the training split's mean and variance (saved with the model). */
  normalize_inputs: boolean;
  seed: number;
}

export const DEFAULT_BC: BcHyperparameters = {
  batch_size: 256,
  max_epochs: 20,
  learning_rate: 1e-3,
  hidden_dim: 128,
  num_layers: 2,
  dropout: 0.1,
  alpha: 1,
  beta: 1,
  weight_decay: 0,
  optimizer: 'adam',
  imbalance: 'none',
  focal_gamma: 2,
  val_fraction: 0.1,
  val_split: 'chronological',
  patience: 5,
  max_grad_norm: null,
  normalize_inputs: true,
  seed: 1,
};

/** Checks hyperparameters and says plainly what is wrong. */
export function validateBc(h: BcHyperparameters): string[] {
  const problems: string[] = [];
  for (const k of ['batch_size', 'max_epochs', 'hidden_dim', 'num_layers', 'patience'] as const) {
    if (!Number.isInteger(h[k]) || h[k] <= 0) problems.push(`${k} must be a positive whole number (got ${h[k]})`);
  }
  if (!(h.learning_rate > 0)) problems.push('learning_rate must be positive');
  if (!(h.dropout >= 0 && h.dropout < 1)) problems.push('dropout must be in [0, 1)');
  if (!(h.alpha >= 0) || !(h.beta >= 0) || h.alpha + h.beta === 0) problems.push('alpha and beta must be non-negative and not both 0');
  if (!(h.weight_decay >= 0)) problems.push('weight_decay must be non-negative');
  if (h.optimizer !== 'adam' && h.optimizer !== 'adamw') problems.push(`optimizer must be 'adam' or 'adamw' (got ${h.optimizer})`);
  if (!['none', 'weighted', 'oversample', 'focal'].includes(h.imbalance)) problems.push(`imbalance must be 'none', 'weighted', 'oversample' or 'focal' (got ${h.imbalance})`);
  if (!(h.focal_gamma >= 0)) problems.push('focal_gamma must be non-negative');
  if (!(h.val_fraction >= 0 && h.val_fraction < 1)) problems.push('val_fraction must be in [0, 1)');
  if (h.val_split !== 'chronological' && h.val_split !== 'random') problems.push(`val_split must be 'chronological' or 'random' (got ${h.val_split})`);
  if (h.max_grad_norm !== null && !(h.max_grad_norm > 0)) problems.push('max_grad_norm must be positive or null');
  if (!Number.isInteger(h.seed) || h.seed === 0) problems.push('seed must be a non-zero whole number (0 would mean unseeded)');
  return problems;
}

/** An ensemble's seeds: non-zero whole numbers (zero means unseeded), each once. */
export function validateBcSeeds(seeds: readonly unknown[]): string[] {
  const problems: string[] = [];
  if (seeds.length === 0) problems.push('at least one seed is needed');
  const bad = seeds.filter((s) => !Number.isInteger(s) || s === 0);
  if (bad.length) problems.push(`seeds must be non-zero whole numbers (not ${bad.join(', ')})`);
  if (new Set(seeds).size !== seeds.length) problems.push(`seeds must differ (got ${seeds.join(', ')})`);
  return problems;
}

const d = DEFAULT_BC;

/** The table, in the Train form's order; `seeds` (one PolicyNet per seed) is the run's, not the trainer's. */
export const BC_HYPERPARAMETERS: readonly SettingSpec[] = [
  { key: 'seeds', type: 'integers', default: [1], nonZero: true, main: true, cliAliases: ['seed'], help: 'one PolicyNet per seed; several train an ensemble that votes' },
  { key: 'max_epochs', type: 'integer', default: d.max_epochs, min: 1, cliAliases: ['epochs'], help: 'epochs at most (early stopping may end sooner)' },
  { key: 'batch_size', type: 'integer', default: d.batch_size, min: 1, help: 'minibatch size' },
  { key: 'learning_rate', type: 'number', default: d.learning_rate, min: 0, minExclusive: true, help: 'Adam step size' },
  { key: 'hidden_dim', type: 'integer', default: d.hidden_dim, min: 1, help: 'units per hidden layer' },
  { key: 'num_layers', type: 'integer', default: d.num_layers, min: 1, help: 'hidden layers' },
  { key: 'dropout', type: 'number', default: d.dropout, min: 0, max: 1, maxExclusive: true, help: 'dropout after each hidden layer, in training' },
  { key: 'alpha', type: 'number', default: d.alpha, min: 0, help: 'weight of the action cross-entropy (CE)' },
  { key: 'beta', type: 'number', default: d.beta, min: 0, help: 'weight of the strength MSE' },
  { key: 'optimizer', type: 'choice', default: d.optimizer, choices: [{ value: 'adam', label: 'Adam' }, { value: 'adamw', label: 'AdamW' }], help: 'Adam (L2 weight decay) or AdamW (decoupled)' },
  { key: 'weight_decay', type: 'number', default: d.weight_decay, min: 0, help: 'weight decay' },
  { key: 'imbalance', type: 'choice', default: d.imbalance, choices: [{ value: 'none', label: 'none' }, { value: 'weighted', label: 'weighted loss' }, { value: 'oversample', label: 'oversampling' }, { value: 'focal', label: 'focal loss' }], help: 'how class imbalance is handled' },
  { key: 'focal_gamma', type: 'number', default: d.focal_gamma, min: 0, help: 'γ of the focal loss' },
  { key: 'val_fraction', type: 'number', default: d.val_fraction, min: 0, max: 1, maxExclusive: true, help: 'share of the samples held out for validation (0: none, no early stopping)' },
  { key: 'val_split', type: 'choice', default: d.val_split, choices: [{ value: 'chronological', label: 'chronological (last samples)' }, { value: 'random', label: 'random' }], help: 'which samples validate' },
  { key: 'patience', type: 'integer', default: d.patience, min: 1, help: 'epochs without a lower validation loss before training stops' },
  { key: 'max_grad_norm', type: 'number', default: d.max_grad_norm, min: 0, minExclusive: true, nullable: true, help: 'global gradient-norm clip' },
  { key: 'normalize_inputs', type: 'boolean', default: d.normalize_inputs, help: "standardize inputs with the training split's statistics (saved with the model)" },
];
