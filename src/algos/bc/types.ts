// Behavior cloning's shapes: the offline data, an epoch's figures, the checkpoint (everything to
// run the policy or continue training exactly), predictions, and the trainer's sink and controls.
import type { AdamState } from '../adam';
import type { NormalizerState } from '../../core/normalizer';
import type { StoredTensor } from '../../core/run/contracts';

export const NUM_ACTIONS = 3;

export { DEFAULT_BC, validateBc, type BcHyperparameters, type BcImbalance, type BcOptimizer, type BcValSplit } from './hyperparameters';

/** An offline dataset: states [N, width] row-major, actions [N] (0 HOLD, 1 BUY, 2 SELL), strengths [N] in 0..1. */
export interface BcData {
  states: Float32Array;
  actions: ArrayLike<number>;
  strengths: ArrayLike<number>;
  width: number;
}

/** One epoch's figures (validation ones null when val_fraction is 0). */
export interface BcEpochMetrics {
  epoch: number;
  train_loss: number;
  val_loss: number | null;
  /** Accuracy on the training batches as trained (dropout on). */
  train_acc: number;
  val_acc: number | null;
  train_ce: number;
  train_mse: number;
  val_ce: number | null;
  val_mse: number | null;
  learning_rate: number;
  /** Training samples of this epoch per second of the epoch's wall time (validation included). */
  samples_per_s: number;
  best_epoch: number;
  best_val_loss: number | null;
  timestamp: string;
}

export type BcStatus = 'training' | 'completed' | 'stopped' | 'early_stopped';

/** Everything needed to run the policy, or to continue training exactly. */
export interface BcCheckpoint {
  kind: 'best' | 'final';
  /** Epochs completed. */
  epoch: number;
  status: BcStatus;
  width: number;
  hidden_dim: number;
  num_layers: number;
  /** Hidden layers' kernels and biases, then the head's ([hidden_dim, 4]: 3 action logits, 1 strength logit). */
  weights: StoredTensor[];
  optimizer: AdamState;
  learningRate: number;
  normalizer: NormalizerState | null;
  rng: number[];
  bestEpoch: number;
  bestValLoss: number | null;
  epochsWithoutImprovement: number;
  /** The best weights when they differ from `weights` (a run stopped by request); else null. */
  bestWeights: StoredTensor[] | null;
  history: BcEpochMetrics[];
  elapsedSeconds: number;
  timestamp: string;
}

/** Where a run's results go: the worker writes them to IndexedDB, the CLI to files, tests to memory. */
export interface BcSink {
  epoch(metrics: BcEpochMetrics): void | Promise<void>;
  checkpoint(checkpoint: BcCheckpoint): void | Promise<void>;
}

export interface BcProgress {
  epoch: number;
  total: number;
  samplesPerSecond: number;
  secondsLeft: number | null;
  valLoss: number | null;
}

export interface BcTrainControl {
  /** Resolves when training may go on (pause waits here between epochs). */
  waitIfPaused?(): Promise<void>;
  stopRequested?(): boolean;
  progress?(p: BcProgress): void;
}

export interface BcPrediction {
  action: number;
  strength: number;
  /** Probabilities of HOLD, BUY, SELL. */
  probs: number[];
}

export interface BatchPrediction {
  actions: Int32Array;
  strengths: Float32Array;
}

export class BcDivergedError extends Error {
  constructor(epoch: number, what: string) {
    super(`behavior cloning diverged at epoch ${epoch}: ${what} is not a finite number (NaN or Infinity); lower learning_rate, or set max_grad_norm. The run stopped; its last good checkpoint is kept`);
    this.name = 'BcDivergedError';
  }
}


