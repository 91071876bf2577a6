// The shapes every layer shares: the header of a run's config, the records a run writes (updates
// with open metric keys, evaluations, episodes) and the self-describing checkpoint envelope. The
// store keeps these, the algorithms write them, the run browser and the exports read them. Pure
// types: no algorithm, environment or storage is named here.
import type { NormalizerState } from '../normalizer';

export type RunStatus = 'running' | 'completed' | 'interrupted' | 'failed' | 'stopped';
export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';
export type BackendChoice = 'auto' | BackendName;

/** One backend tried for a run: whether it started and, where measured, how fast it trained. */
export interface BackendTrial {
  backend: BackendName;
  ok: boolean;
  error?: string;
  /** Measured training samples per second of the probe, where measured. */
  samplesPerSecond?: number;
  /** The figure comes from an earlier measurement on this machine, not from this run. */
  cached?: boolean;
}

/**
 * The fields every run's config.json has (seed 000's keys among them), whatever trained it.
 * An algorithm's own config adds its hyperparameters and settings to these.
 */
export interface RunHeader {
  run_id: string;
  created_at: string;
  completed_at: string | null;
  status: RunStatus;
  /** The id of the algorithm in the registry ("PPO", "BC", ...). */
  algorithm: string;
  data_file: string;
  /** The algorithm's summary figures (seed 000's final_metrics for PPO). */
  final_metrics: object;
  name: string;
  tags: string[];
  dataset_id: string;
  dataset_name: string;
  /**
   * The dataset's revision and row count when the run started. A run reads only those rows, resumed
   * or not, so an append to its dataset never moves its segments. Absent on runs stored before
   * datasets had revisions (they read the whole dataset).
   */
  dataset_revision?: number;
  dataset_rows?: number;
  /** Rows [start, end) of the run's training, validation and test segments in its dataset, where it has them. */
  data_segments?: DataSegments;
  /** Set when the run's dataset was generated (scenarios), not read from a market. */
  dataset_synthetic?: boolean;
  backend: BackendName;
  backend_requested: string;
  backend_trials: BackendTrial[];
  error: string | null;
  updated_at: string;
  /** Set while a deletion can still be undone; the run is hidden, then removed for good. */
  deleted_at?: string;
  /** Health warnings raised while it trained, each with the update where it first fired. */
  warnings?: RunWarning[];
  /** Settings changed while it trained (live control), each with the update it took effect from. */
  controls?: ControlChange[];
  /** Its place in a sweep or a group of seeds of the same settings. */
  sweep?: SweepMembership;
}

export interface RunWarning {
  update: number;
  /** What kind of failure (e.g. "kl_high", "learns_nothing"), so repeats of one kind are kept once. */
  key: string;
  text: string;
}

export type ControlName = 'learning_rate' | 'ent_coef' | 'clip_range';

export interface ControlChange {
  update: number;
  name: ControlName;
  from: number;
  to: number;
}

export interface SweepMembership {
  id: string;
  name: string;
  /** The grid point's settings (hyperparameter name → value) this run trained with. */
  point: Record<string, unknown>;
  seed_index: number;
  /** How many runs the whole sweep has. */
  size: number;
}

/**
 * Where a run's segments lie: rows [start, end) of its environment's data (a candle environment's
 * bars, funding arbitrage's hours; a behavior-cloning run's samples) and the first and last time of
 * each (ISO, UTC), so a person, a model card or a later revision of the dataset can find them.
 */
export interface DataSegments {
  unit: string;
  train: [number, number];
  validation: [number, number] | null;
  test: [number, number] | null;
  times?: { train: [string, string]; validation: [string, string] | null; test: [string, string] | null };
}

/** A run's config as stored: the header and whatever its algorithm adds. */
export type StoredRun = RunHeader & { [key: string]: unknown };

/**
 * One update of a learner (a PPO or GRPO update, a behavior-cloning epoch): its number in the run,
 * its position on the run's x-axis (timesteps, or the epoch), and its figures under the names
 * Stable-Baselines3 / TRL log them. A metric that was not measured (SB3's ep_rew_mean before the
 * first episode) is null, so the exported line keeps the key.
 */
export interface UpdateRecord {
  update: number;
  step: number;
  timestamp: string;
  /** The ensemble member (its seed) this update belongs to, for algorithms that train several. */
  member?: number;
  metrics: Record<string, number | null>;
}

/** A mean with its 95 % interval (null bounds with fewer than two values). */
export interface IntervalFigure {
  mean: number;
  low: number | null;
  high: number | null;
  n: number;
}

/**
 * Seed 000's evaluation record (its first seven fields), and what the lab adds: which held-out
 * segment it walked (windows covering it) and which checkpoint, reward and net P&L per window with
 * 95 % intervals, the walk's Sharpe, drawdown and trades, the baselines on the same windows, and a
 * verdict. Records of older runs have the first seven only.
 */
export interface EvaluationRecord {
  step: number;
  mean_reward: number;
  std_reward: number;
  min_reward: number;
  max_reward: number;
  num_episodes: number;
  timestamp: string;
  segment?: 'validation' | 'test';
  /** The checkpoint evaluated, for the final evaluations on the test segment ('best', 'final'). */
  checkpoint?: string;
  reward_interval?: IntervalFigure;
  /** Net P&L after fees and slippage, % of the starting balance, per window. */
  net_pnl_pct?: IntervalFigure;
  /** The windows back to back, compounded. */
  total_net_pnl_pct?: number;
  sharpe?: number;
  max_drawdown?: number;
  win_rate?: number | null;
  trades?: number;
  windows?: { start_time: string | null; end_time: string | null; reward: number; net_pnl_pct: number; trades: number }[];
  baselines?: {
    buy_and_hold: { net_pnl_pct: IntervalFigure; total_net_pnl_pct: number } | null;
    fixed: Record<string, { label: string; reward: IntervalFigure; net_pnl_pct: IntervalFigure; total_net_pnl_pct: number }>;
    random: { frequency: number; seeds: number; net_pnl_pct: { p5: number; p50: number; p95: number }; reward: { p5: number; p50: number; p95: number } } | null;
  };
  verdict?: string;
  /**
   * The same policy on the same windows under each of the environment's named configs (seed 001's
   * presets for funding arbitrage), beside the run's own settings above.
   */
  by_config?: Record<string, { label: string; mean_reward: number; net_pnl_pct: IntervalFigure; hold_net_pnl_pct: number | null }>;
}

/** metrics.json's light episode row. */
export interface EpisodeSummary {
  episode: number;
  reward: number;
  length: number;
  timestep: number;
  timestamp: string;
}

export type CheckpointKind = 'periodic' | 'best' | 'final';

/** A tensor's values as the checkpoints keep them. */
export interface StoredTensor {
  name: string;
  shape: number[];
  values: Float32Array;
}

/**
 * A checkpoint that says what it is without its run: which algorithm made it, what it takes in and
 * chooses among, how its hidden layers act and how its inputs are normalized; `payload` is the
 * algorithm's own state (weights, optimizer, random state...), exported as trainer_state.json.
 */
export interface CheckpointEnvelope<Payload = unknown> {
  algorithm: string;
  kind: CheckpointKind;
  /** Timesteps, or epochs for algorithms that count in epochs. */
  step: number;
  obsSize: number;
  numActions: number;
  actionNames: string[];
  activation: 'tanh' | 'relu';
  normalizer: NormalizerState | null;
  payload: Payload;
}

// ---- the records as the store keeps them, each with its run's id ----

/** One finished episode: the light row of metrics.json and the detailed record of detailed_episodes.jsonl. */
export interface StoredEpisode {
  runId: string;
  episode: number;
  summary: EpisodeSummary;
  /**
   * The detailed record (seed 000's detailed_episodes.jsonl line), kept as JSON text: a run's
   * thousands of episodes then read back and export as strings, with no object graph to rebuild.
   */
  detailJson: string;
  /** The episode's steps (seed 004's trajectory), where the run recorded them: exported as trajectories.jsonl. */
  trajectory?: EpisodeTrajectory;
}

/** One episode's steps, compactly: the bar each action was taken at is start_row + its index. */
export interface EpisodeTrajectory {
  start_row: number;
  actions: Int16Array;
  rewards: Float32Array;
  /** Each step's net P&L after every cost, a fraction of the starting balance. */
  pnl: Float32Array;
  /**
   * Seed 004's filing, for an episode whose record cannot carry it (seed 000's trade-approval
   * records keep their schema field for field): the window, the agent, the net P&L in %.
   */
  window_id?: string | null;
  agent?: string | null;
  net_pnl_pct?: number | null;
}

export interface StoredEvaluation extends EvaluationRecord {
  runId: string;
}

export interface StoredUpdate extends UpdateRecord {
  runId: string;
}

export interface StoredCheckpoint {
  runId: string;
  /** 'step_N', 'best', 'final', or 'seed_S_best' / 'seed_S_final' for a member of an ensemble. */
  name: string;
  step: number;
  kind: CheckpointKind;
  timestamp: string;
  checkpoint: CheckpointEnvelope;
}

/** Every record of a run. */
export interface RunRecords<Config extends RunHeader = StoredRun> {
  config: Config;
  episodes: StoredEpisode[];
  evaluations: StoredEvaluation[];
  updates: StoredUpdate[];
  checkpoints: StoredCheckpoint[];
}

/** A batch of a run's records, written in one transaction. */
export interface RunBatch {
  config?: RunHeader;
  episodes?: StoredEpisode[];
  evaluations?: StoredEvaluation[];
  updates?: StoredUpdate[];
  checkpoints?: StoredCheckpoint[];
}
