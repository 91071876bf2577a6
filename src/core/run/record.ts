// A training run's record in seed 000's layout: config.json, metrics.json (episodes,
// evaluations, checkpoints), detailed_episodes.jsonl, train_metrics.jsonl. Pure data, no storage.
import type { BackendName, EnvSettings, PpoHyperparameters, PresetName } from './config';
import type { BackendTrial } from '../../algos/backend';
import type { BcHyperparameters } from '../offline/bcConfig';
import type { BacktestResult, ClassifierReport } from '../offline/metrics';

export type RunStatus = 'running' | 'completed' | 'interrupted' | 'failed' | 'stopped';

export interface FinalMetrics {
  mean_reward: number | null;
  final_100_mean: number | null;
  total_episodes: number;
  best_eval_mean_reward?: number | null;
  total_timesteps_done?: number;
}

/** A PPO run's config.json: seed 000's fields first, then everything else a run needs to be understood and resumed. */
export interface PpoRunConfig extends PpoHyperparameters {
  run_id: string;
  created_at: string;
  completed_at: string | null;
  status: RunStatus;
  algorithm: 'PPO';
  data_file: string;
  final_metrics: FinalMetrics;
  // beyond seed 000
  name: string;
  tags: string[];
  dataset_id: string;
  dataset_name: string;
  env: EnvSettings['env'];
  env_settings: EnvSettings;
  preset: PresetName | null;
  backend: BackendName;
  backend_requested: string;
  backend_trials: BackendTrial[];
  error: string | null;
  /** Where the policy's initial weights came from (a behavior-cloning run's PolicyNet), or null for a fresh start. */
  init_from?: string | null;
  /** The behavior-cloning run whose PolicyNet this run started from. */
  init_from_run?: string | null;
  /** Progress while running, so a list can show it without reading the metrics. */
  progress_timesteps: number;
  updated_at: string;
  /** Set while a deletion can still be undone; the run is hidden, then removed for good. */
  deleted_at?: string;
}

/** final_metrics of a behavior-cloning run: its first member's best epoch and the validation figures. */
export interface BcFinalMetrics {
  best_epoch: number | null;
  best_val_loss: number | null;
  /** The (ensemble's) accuracy on the evaluation samples, once training ended. */
  val_acc: number | null;
  macro_f1: number | null;
  epochs_done: number;
}

/** What a behavior-cloning run found, as evaluation.json holds it. */
export interface BcEvaluation {
  source: { kind: 'offline' | 'teacher'; samples: number; actionCounts: number[] };
  members: { seed: number; outcome: 'completed' | 'stopped' | 'early_stopped'; best_epoch: number; val_acc: number | null; eval_acc: number }[];
  ensemble_accuracy: number;
  /** The classifier report of the (ensemble's) predictions on the evaluation samples. */
  report: ClassifierReport;
  overfitting_signs: string[];
  /** From candles: the policy, the teacher ensemble and buy-and-hold on the held-out segment. */
  backtest: { policy: BacktestResult; teacher: BacktestResult } | null;
  samples_per_s: number;
  predict_ms: { p50: number; p99: number };
}

/** A behavior-cloning run's config.json: the same header as a PPO run's, then seed 002's hyperparameters. */
export interface BcRunConfig extends BcHyperparameters {
  run_id: string;
  created_at: string;
  completed_at: string | null;
  status: RunStatus;
  algorithm: 'BC';
  data_file: string;
  final_metrics: BcFinalMetrics;
  name: string;
  tags: string[];
  dataset_id: string;
  dataset_name: string;
  /** One PolicyNet per seed; several make an ensemble that votes. */
  seeds: number[];
  /** Where the samples came from: an offline dataset, or the teacher ensemble on candles. */
  source_kind: 'offline' | 'teacher';
  samples: number;
  state_width: number;
  backend: BackendName;
  backend_requested: string;
  backend_trials: BackendTrial[];
  error: string | null;
  /** Epochs trained so far over all members, and at most (max_epochs × seeds). */
  progress_epochs: number;
  updated_at: string;
  /** Filled when training ends; exported as evaluation.json, not in config.json. */
  evaluation: BcEvaluation | null;
  /** Set while a deletion can still be undone; the run is hidden, then removed for good. */
  deleted_at?: string;
}

export type RunConfig = PpoRunConfig | BcRunConfig;

/** metrics.json's light episode row. */
export interface EpisodeSummary {
  episode: number;
  reward: number;
  length: number;
  timestep: number;
  timestamp: string;
}

export interface CheckpointSummary {
  step: number;
  path: string;
  timestamp: string;
  kind?: string;
}

export { pythonIsoTime } from '../clock';

/** run_YYYYMMDD_HHMMSS in local time; `taken` ids get a _2, _3... suffix. */
export function makeRunId(date: Date, taken: (id: string) => boolean = () => false): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const base = `run_${date.getFullYear()}${p(date.getMonth() + 1)}${p(date.getDate())}_${p(date.getHours())}${p(date.getMinutes())}${p(date.getSeconds())}`;
  let id = base;
  for (let k = 2; taken(id); k++) id = `${base}_${k}`;
  return id;
}

export function checkpointPath(step: number): string {
  return `checkpoints/model_step_${step}`;
}

/** final_metrics from the episode rewards and the best evaluation. */
export function finalMetrics(rewards: number[], bestEval: number | null, timesteps: number): FinalMetrics {
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
  return {
    mean_reward: mean(rewards),
    final_100_mean: mean(rewards.slice(-100)),
    total_episodes: rewards.length,
    best_eval_mean_reward: bestEval,
    total_timesteps_done: timesteps,
  };
}
