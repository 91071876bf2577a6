// The model registry's records (seed 003's "deploys new models with backup and versioning"): a
// model is a name with numbered versions; each version is a checkpoint of a run with what it was
// trained and evaluated on and how it did; aliases (latest, champion, any other) each name one
// version at a time. The records a listing reads are kept apart from the checkpoints (weights), so
// opening a model with a hundred versions reads a few kB per version. Pure types: no storage.
import type { CheckpointKind, DataSegments, IntervalFigure, StoredCheckpoint, StoredRun } from '../run/contracts';
import type { DriftFigure, RetrainMetric } from '../retrain/decide';

/** The registry names the newest live version `latest` itself; `champion` is the one in use (what is deployed). */
export const LATEST = 'latest';
export const CHAMPION = 'champion';

/** One move of an alias (from a version, to a version; null where it named none), with why. */
export interface AliasMove {
  alias: string;
  from: number | null;
  to: number | null;
  at: string;
  reason: string;
}

/** When a model is retrained and how a retrained model is judged; the retrain work reads it. */
export interface RetrainRule {
  enabled: boolean;
  /** New rows since the champion trained before a retrain is due (seed 003's 100 samples). */
  minNewRows: number;
  /** Whether the newest rows must also have drifted from the training rows, and by which test. */
  drift: 'off' | 'psi' | 'ks';
  /** Drift when the largest feature PSI is above this. */
  psiThreshold: number;
  /** Drift when the smallest feature KS p-value is below this. */
  ksAlpha: number;
  /** What the challenger must beat the champion on, on the same windows. */
  metric: RetrainMetric;
  /** How often a watcher checks (seed 003's auto-trainer: every 2 hours). */
  checkEveryMinutes: number;
}

export const DEFAULT_RETRAIN_RULE: RetrainRule = {
  enabled: false, minNewRows: 100, drift: 'off', psiThreshold: 0.25, ksAlpha: 0.05, metric: 'net_pnl', checkEveryMinutes: 120,
};

export interface ModelRecord {
  name: string;
  created_at: string;
  updated_at: string;
  description: string;
  /** Alias → version. Each alias names one version; a version may hold several. */
  aliases: Record<string, number>;
  /** The number the next version gets: numbers are never given twice, not even after a deletion. */
  next_version: number;
  /** The champions before the current one, most recent last: what a rollback goes back to. */
  previous_champions: number[];
  /** Alias moves, oldest first (the last ALIAS_LOG_LIMIT). */
  alias_log: AliasMove[];
  retrain_rule: RetrainRule;
  /** The id the next retrain decision gets. */
  next_decision: number;
}

export const ALIAS_LOG_LIMIT = 500;

/** The run and checkpoint a version was made from. */
export interface VersionSource {
  run_id: string;
  run_name: string;
  algorithm: string;
  /** The environment it trained on, null for algorithms that train on none. */
  env: string | null;
  /** The run's checkpoint: best, final, seed_S_best... */
  checkpoint: string;
  kind: CheckpointKind;
  step: number;
  checkpoint_time: string;
}

/** The data a version trained and was evaluated on; null where its run did not record it (older runs). */
export interface VersionDataset {
  id: string;
  name: string;
  file: string;
  revision: number | null;
  rows: number | null;
  segments: DataSegments | null;
  synthetic: boolean;
}

/** The figures of one walk of a segment, as the registry keeps them (the walk's windows are left in the run). */
export interface SegmentFigures {
  segment: 'validation' | 'test' | null;
  step: number;
  windows: number;
  /** Net P&L after fees and slippage, % per window, with its 95 % interval. */
  net_pnl_pct: IntervalFigure | null;
  total_net_pnl_pct: number | null;
  /** Buy-and-hold on the same windows, same costs, % per window (null where the market has none). */
  buy_and_hold_pct: number | null;
  /** The environment's constructed policies (hold, never trading; always reject…), % per window. */
  baselines: { key: string; label: string; net_pnl_pct: number }[];
  random_band_pct: { p5: number; p95: number } | null;
  mean_reward: number;
  std_reward: number;
  sharpe: number | null;
  max_drawdown: number | null;
  win_rate: number | null;
  trades: number | null;
  verdict: string | null;
}

export interface VersionMetrics {
  /** The validation walk the checkpoint was chosen at (best), or the last one before it (final). */
  validation: SegmentFigures | null;
  /** The final walk of the test segment, played once when the run ended. */
  test: SegmentFigures | null;
  /** The run's final_metrics, its plain figures. */
  summary: Record<string, number | string | null>;
}

/** What a policy takes and gives, without its weights: enough for the listing and the model card's outline. */
export interface VersionIo {
  obs_size: number;
  action_names: string[];
  activation: 'tanh' | 'relu';
  normalized: boolean;
}

export interface ModelVersion {
  model: string;
  version: number;
  created_at: string;
  source: VersionSource;
  dataset: VersionDataset;
  metrics: VersionMetrics;
  io: VersionIo;
  tags: string[];
  notes: string;
  /** A version imported from a zip: where it came from. */
  imported_from?: { model: string; version: number; file: string };
  /** Set while a deletion can be undone: the version is hidden, then removed for good. */
  deleted_at?: string;
  /** The aliases it held when deleted, given back on undo where still free. */
  deleted_aliases?: string[];
}

/** A version as registered, before the registry numbers it. */
export type VersionDraft = Omit<ModelVersion, 'model' | 'version' | 'created_at' | 'deleted_at' | 'deleted_aliases'>;

/** A version's checkpoint and its run's config (what playing it, its model files and its ONNX need), kept apart from the listing. */
export interface VersionCheckpoint {
  run: StoredRun;
  checkpoint: StoredCheckpoint;
}

/** Where two versions were walked side by side. */
export interface ComparisonSegment {
  run_id: string;
  dataset_id: string;
  dataset_name: string;
  dataset_revision: number | null;
  which: 'validation' | 'test';
  /** Rows [start, end) of the environment's data, and their first and last time, where known. */
  rows: [number, number] | null;
  times: [string, string] | null;
  windows: number;
}

export type RetrainTrigger = 'append' | 'interval' | 'manual' | 'cli';

/** One look at whether to retrain and whether the retrained model replaces the champion. */
export interface RetrainDecision {
  id: number;
  model: string;
  at: string;
  trigger: RetrainTrigger;
  newRows: number;
  drift: DriftFigure | null;
  champion: number | null;
  /** The version trained for this decision, null when none was (skipped). */
  challenger: number | null;
  /** The segment both were walked on and their figures there. */
  segment: ComparisonSegment | null;
  figures: { champion: SegmentFigures | null; challenger: SegmentFigures | null };
  decision: 'promoted' | 'kept-challenger' | 'skipped';
  reason: string;
}

export type DecisionDraft = Omit<RetrainDecision, 'id' | 'model'>;

// ---- storage: the same interface in IndexedDB (the page) and in a folder (the command line) ----

/** A model's record and every one of its versions (deleted ones too), as a change reads them. */
export interface ModelState {
  model: ModelRecord | null;
  versions: ModelVersion[];
}

/** What one registry operation writes, all or nothing. */
export interface ModelChange {
  model: ModelRecord;
  /** Versions written (new or changed). */
  versions?: ModelVersion[];
  /** The checkpoint of a new version. */
  checkpoint?: { version: number; value: VersionCheckpoint };
  /** Versions removed for good, with their checkpoints. */
  purge?: number[];
  decision?: RetrainDecision;
}

export interface RegistryRepository {
  listModels(): Promise<ModelRecord[]>;
  getModel(name: string): Promise<ModelRecord | null>;
  /** Every version of a model, deleted ones too, by number; no checkpoint is read. */
  listVersions(name: string): Promise<ModelVersion[]>;
  versionCheckpoint(name: string, version: number): Promise<VersionCheckpoint | null>;
  /** Retrain decisions, oldest first. */
  listDecisions(name: string): Promise<RetrainDecision[]>;
  /**
   * Reads the model's state, lets `decide` work out the change (synchronously: nothing else writes
   * between the read and the write), and writes it all or nothing; returns what `decide` returned.
   */
  transact<T>(name: string, decide: (state: ModelState) => { change: ModelChange | null; result: T }): Promise<T>;
}
