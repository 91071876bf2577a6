// A behavior-cloning run's config.json: the header every run has, then seed 002's
// hyperparameters, the seeds of the ensemble and where the samples came from; its final metrics
// and what it found (evaluation.json); and how a new one is made from a request.
import type { EvaluationRecord, RunHeader, StoredRun } from '../../core/run/contracts';
import { datasetLineage } from '../../core/run/record';
import type { BacktestResult } from '../../core/env/position/backtest';
import type { ClassifierReport } from '../../core/offline/metrics';
import { checkSettings } from '../../core/settings';
import type { NewRunContext, TrainRequest } from '../spec';
import { BC_HYPERPARAMETERS, DEFAULT_BC, validateBc, validateBcSeeds, type BcHyperparameters } from './hyperparameters';

export const BC_ID = 'BC';

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
  /**
   * From candles: the policy and the teacher ensemble walked over the test segment, net of costs,
   * each with buy-and-hold, holding and a random policy beside it. Runs stored before the test
   * segment existed have one long episode over their held-out rows instead (BacktestResult).
   */
  backtest: { segment: 'test'; policy: EvaluationRecord; teacher: EvaluationRecord } | { policy: BacktestResult; teacher: BacktestResult } | null;
  samples_per_s: number;
  predict_ms: { p50: number; p99: number };
}

export interface BcRunConfig extends BcHyperparameters, RunHeader {
  algorithm: 'BC';
  final_metrics: BcFinalMetrics;
  /** One PolicyNet per seed; several make an ensemble that votes. */
  seeds: number[];
  /** Where the samples came from: an offline dataset, or the teacher ensemble on candles. */
  source_kind: 'offline' | 'teacher';
  /** A stored teacher dataset's candles, where its samples came from (the fine-tune's data). */
  candles_dataset_id?: string;
  samples: number;
  state_width: number;
  /** Epochs trained so far over all members, and at most (max_epochs × seeds). */
  progress_epochs: number;
  /** Filled when training ends; exported as evaluation.json, not in config.json. */
  evaluation: BcEvaluation | null;
}

export function isBcRun(run: StoredRun | RunHeader): run is BcRunConfig & StoredRun {
  return run.algorithm === BC_ID;
}

export function newBcConfig(header: RunHeader, req: TrainRequest, { datasetKind }: NewRunContext): BcRunConfig {
  const values = req.hyperparameters;
  const seeds = Array.isArray(values.seeds) && values.seeds.length ? (values.seeds as number[]) : [1];
  const hp: BcHyperparameters = { ...DEFAULT_BC };
  for (const [key, value] of Object.entries(values)) if (key in DEFAULT_BC && value !== undefined) (hp as unknown as Record<string, unknown>)[key] = value;
  hp.seed = seeds[0];
  const problems = [...checkSettings(BC_HYPERPARAMETERS.filter((s) => s.key !== 'seeds'), hp), ...validateBc(hp), ...validateBcSeeds(seeds)];
  if (problems.length) throw new Error(`Check the settings: ${[...new Set(problems)].join('; ')}.`);
  return {
    run_id: header.run_id,
    created_at: header.created_at,
    completed_at: null,
    status: 'running',
    algorithm: 'BC',
    ...hp,
    data_file: header.data_file,
    final_metrics: { best_epoch: null, best_val_loss: null, val_acc: null, macro_f1: null, epochs_done: 0 },
    name: header.name, // as PPO runs: unique, and the list says it is behavior cloning
    tags: header.tags,
    dataset_id: header.dataset_id,
    dataset_name: header.dataset_name,
    ...datasetLineage(header),
    seeds,
    source_kind: datasetKind === 'offline' ? 'offline' : 'teacher',
    samples: 0,
    state_width: 0,
    backend: header.backend,
    backend_requested: header.backend_requested,
    backend_trials: header.backend_trials,
    error: null,
    progress_epochs: 0,
    updated_at: header.updated_at,
    evaluation: null,
  };
}
