// What an algorithm module declares about itself, once, for everything else to read: the Train
// form, the command line's flags and --help and the page's address (its hyperparameters), the run
// browser (its list columns, facts, charts, warnings and report), the exports and imports (its
// RunFormat), and training (its runtime, loaded only where it trains, since it brings
// TensorFlow.js). Registered in registry.ts.
import type { DatasetKind } from '../core/data/types';
import type { DatasetSource } from '../core/env/spec';
import type { MetricChart } from '../core/run/charts';
import type {
  BackendChoice, BackendName, BackendTrial, CheckpointEnvelope, ControlName, EvaluationRecord, RunHeader, RunRecords, StoredCheckpoint, StoredEpisode, StoredRun, StoredTensor, StoredUpdate, UpdateRecord,
} from '../core/run/contracts';
import type { RunFormat } from '../core/run/format';
import type { HealthCheck } from '../core/run/warnings';
import type { ReportSection } from '../core/run/report';
import type { SettingSpec, SettingValues } from '../core/settings';
import type { NormalizerState } from '../core/normalizer';
import type { OnnxPolicy } from '../core/onnx/policy';

/** What a person asks to train: the Train form's state, or the command line's flags. */
export interface TrainRequest {
  algorithm: string;
  datasetId: string;
  /** The environment, for algorithms that train on one. */
  env?: string;
  preset?: string | null;
  hyperparameters: SettingValues;
  envSettings?: SettingValues;
  backend: BackendChoice;
  name?: string;
  /** Start the policy from this run's trained policy (fine-tuning). */
  initFromRun?: string;
  /**
   * That run's policy, where the caller has it (a registered version whose run may be gone): used
   * instead of reading the run. Not for the page's requests: a policy does not cross to the worker.
   */
  startingPolicy?: MlpPolicy;
  /** Its place in a sweep or a group of seeds, kept in the run's config. */
  sweep?: import('../core/run/contracts').SweepMembership;
}

/** A policy as plain weights: hidden layers then the action-logit layer (kernel, bias each), as PPO's actor starts from. */
export interface MlpPolicy {
  layers: StoredTensor[];
  activation: 'tanh' | 'relu';
  normalizer: NormalizerState | null;
  /** What it is, for the run's init_from ("behavior-cloning run run_… (seed 1, best epoch 7)"). */
  description: string;
}

/** What a policy takes and gives, as far as its run's config says (the fine-tune panel matches environments to it). */
export interface PolicyShape {
  obsSize: number;
  actionNames: readonly string[];
  hidden: number[];
  activation: 'tanh' | 'relu';
}

/** What a new run's config can depend on besides the request. */
export interface NewRunContext {
  /** A policy to start from (fine-tuning another run's). */
  start: MlpPolicy | null;
  /** The kind of the run's dataset, when it is stored. */
  datasetKind: DatasetKind | null;
}

export interface Preset {
  description: string;
  hyperparameters: SettingValues;
  envSettings: SettingValues;
}

export interface RunColumn {
  key: string;
  label: string;
  title?: string;
  value(config: StoredRun): number | null;
  format: 'fixed3' | 'percent' | 'integer';
}

/** A run column's value as the run list and compare show it. */
export function columnText(c: RunColumn, config: StoredRun): string {
  const v = c.value(config);
  if (v === null || !Number.isFinite(v)) return '—';
  return c.format === 'percent' ? `${(100 * v).toFixed(1)} %` : c.format === 'integer' ? String(v) : v.toFixed(3);
}

export interface Progress {
  /** Units done (steps, epochs) and planned. */
  done: number;
  total: number;
  /** Units per second (steps/s, samples/s). */
  rate: number;
  secondsLeft: number | null;
  /** What is training now ("seed 2 (2 of 3)"). */
  detail?: string;
}

/** Where a run's records go; the training service batches them into the store or a run folder. */
export interface RunSink {
  /** Finished episodes' detailed records (seed 000's detailed_episodes.jsonl objects). */
  episodes(details: readonly Record<string, unknown>[]): void;
  update(u: UpdateRecord): Promise<void>;
  evaluation(e: EvaluationRecord): void;
  checkpoint(name: string, c: CheckpointEnvelope, timestamp: string): Promise<void>;
  /** Writes the config (and whatever is buffered) now. */
  save(): Promise<void>;
}

export interface BackendProbe {
  obsSize: number;
  numActions: number;
  hidden: number[];
  batch: number;
}

export interface TrainControl {
  /** Resolves when training may go on (pause waits here); `onPause` runs when it does wait. */
  waitIfPaused(onPause?: () => void | Promise<void>): Promise<void>;
  stopRequested(): boolean;
  /** Settings a person changed while it trains (live control), waiting for the next update; none left after. */
  takeControls?(): [ControlName, number][];
  /** The run's settings that may change while it trains, with their values (said once training starts). */
  controlsReady?(values: Partial<Record<ControlName, number>>): void;
}

/** Everything a runtime needs to train one run; the training service makes it. */
export interface TrainContext<Config extends RunHeader = StoredRun> {
  /** The run's config: the runtime updates its progress and final metrics, the service saves it. */
  config: Config;
  /** A continued run's stored records (null for a new run). */
  previous: {
    checkpoints: StoredCheckpoint[];
    episodes(): Promise<StoredEpisode[]>;
    evaluations(): Promise<EvaluationRecord[]>;
    updates(): Promise<StoredUpdate[]>;
    /** Removes updates numbered from..to (inclusive), which the continued run writes again. */
    dropUpdates(from: number, to: number): Promise<void>;
  } | null;
  /** A policy to start from, when the run fine-tunes another run's. */
  startingPolicy: MlpPolicy | null;
  dataset(id: string): Promise<DatasetSource>;
  /** Chooses and starts the backend (reusing this machine's earlier measurements for the same probe); records it in the config. */
  selectBackend(probe: BackendProbe): Promise<BackendName>;
  sink: RunSink;
  control: TrainControl;
  progress(p: Progress): void;
  /** A start-up message ("Loading the dataset…"). */
  status(message: string): void;
  /** Earlier updates of a continued run, so live charts start where it was. */
  replay(updates: readonly UpdateRecord[]): void;
}

export interface ModelFiles {
  modelJson: string;
  weightsBin: Uint8Array;
}

/** A checkpoint's greedy policy, ready to act (inference, evaluation). */
export interface ActingPolicy {
  /** Greedy action per row of raw observations [n, obsSize], among the allowed ones. */
  act(obs: Float32Array, masks: Uint8Array, n: number, out: Int32Array): Promise<void>;
  dispose(): void;
}

/** The TensorFlow.js half of an algorithm: loaded in the training worker and the command line only. */
export interface AlgorithmRuntime<Config extends RunHeader = StoredRun> {
  train(ctx: TrainContext<Config>): Promise<'completed' | 'stopped'>;
  /** model.json + weights.bin of a checkpoint (a TensorFlow.js LayersModel). */
  modelFiles(c: CheckpointEnvelope, config: Config): Promise<ModelFiles>;
  /** The checkpoint's policy, to play on an environment; null when this algorithm's policies cannot act there. */
  actingPolicy(c: CheckpointEnvelope, config: Config): ActingPolicy | null;
}

export interface AlgorithmSpec<Config extends RunHeader = StoredRun> {
  /** The id runs keep in config.json's "algorithm" ("PPO"). */
  id: string;
  title: string;
  /** What the Train view's algorithm menu says of it. */
  menuLabel: string;
  /** What it is in the run list's Env column when it does not train on an environment ("behavior cloning"). */
  subject(config: Config): string;
  /** "PPO on `position`", for the report. */
  describe(config: Config): string;
  hyperparameters: readonly SettingSpec[];
  /** The Train form's heading of the settings not shown up front. */
  advancedTitle: string;
  presets?: Readonly<Record<string, Preset>>;
  defaultPreset?: string;
  /** Values a new Train form starts from where they differ from the defaults (a quicker first run). */
  formStart?: SettingValues;
  /** What the Train form says beside a dataset of a kind, where it means something particular here. */
  datasetNotes?: Partial<Record<DatasetKind, string>>;
  /** It trains on an environment (its datasets are the environment's), or on datasets of these kinds. */
  trainsOn: { environments: true } | { environments: false; datasetKinds: readonly DatasetKind[] };
  /**
   * Accepts a starting policy (fine-tuning): the hyperparameters it fine-tunes with, and those
   * that give its networks a policy's shape (for the same networks trained from scratch).
   */
  fineTunes?: { hyperparameters: SettingValues; sameNetworks(shape: PolicyShape): SettingValues };
  /** The policy a finished run of this algorithm gives, for another algorithm to start from. */
  startingPolicy?(config: Config, checkpoints: readonly StoredCheckpoint[]): MlpPolicy | null;
  policyShape?(config: Config): PolicyShape | null;
  /** The unit progress counts in. */
  unit: 'steps' | 'epochs';
  /** The total asked for, in that unit (the run list's "n / N"). */
  plannedTotal(config: Config): number;
  /** What the progress bar counts to, where it differs from what was asked (PPO runs whole rollouts). */
  progressTotal?(config: Config): number;
  progressDone(config: Config): number;
  /** Whether a stopped or interrupted run has something left to train. */
  resumable(config: Config): boolean;
  /** The config of a new run from a request; throws naming every problem. */
  newConfig(header: RunHeader, request: TrainRequest, context: NewRunContext): Config;
  /** The run list's metric columns. */
  columns: readonly RunColumn[];
  /** Compare: the figures set side by side, and the metrics drawn over each other (first member of an ensemble). */
  compare: { columns: readonly RunColumn[]; charts: readonly { title: string; key: string; fallbackKey?: string; xLabel?: string }[] };
  /** The run page's facts beside status. */
  facts(config: Config, counts: { episodes: number; updates: number }): { label: string; value: string }[];
  /** Charts over the update records (live in Train, and on the run page). */
  charts: readonly MetricChart[];
  /** Seed 001's health warnings from the updates so far. */
  warnings(updates: readonly UpdateRecord[]): string[];
  /**
   * The health check behind them, each warning under a key (with the evaluations so far, and
   * whether the run started from a trained policy): what the run keeps as StoredRun.warnings.
   */
  health?: HealthCheck;
  /** What the command line says when the run ends. */
  summary(config: Config): string[];
  /** What the run found, as report sections (the run page, the markdown report). */
  report(records: Pick<RunRecords, 'config' | 'evaluations' | 'updates'>): ReportSection[];
  format: RunFormat;
  /** A checkpoint's policy as plain weights, for its ONNX model (onnxExport.ts). Pure: no TensorFlow.js. */
  onnxPolicy(c: CheckpointEnvelope, config: Config): OnnxPolicy;
  runtime(): Promise<AlgorithmRuntime<Config>>;
}

export type { BackendTrial };
