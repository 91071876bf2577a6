// What an environment module declares about itself, once, for everything else to read: the
// Train form (its settings), training and inference (how it is built), the run browser (which
// episode fields its charts show, how its trades are marked on a price chart), the command line
// (its flags and --help) and the benchmarks. Registered in registry.ts.
import type { Column, DatasetKind, DatasetMeta } from '../data/types';
import type { SettingSpec, SettingValues } from '../settings';
import type { Segment, VecEnv } from './types';

/** A dataset as an environment reads it: its metadata and its columns, from the store or a parsed file. */
export interface DatasetSource {
  meta: DatasetMeta;
  /** The column under this name, or null when the dataset has none. */
  column(name: string): Promise<Column | null>;
}

/**
 * A dataset as it was at `rows` rows: a run reads the rows its dataset had when it started, so an
 * append since never moves its segments (rows are only ever added at the end).
 */
export function datasetAtRows(source: DatasetSource, rows: number): DatasetSource {
  if (rows >= source.meta.rows) return source;
  const meta = { ...source.meta, rows };
  return {
    meta,
    column: async (name) => {
      const col = await source.column(name);
      if (!col) return null;
      if (col.type === 'text') return { ...col, codes: col.codes.subarray(0, rows) };
      if (col.type === 'matrix') return { ...col, values: col.values.subarray(0, rows * col.width) };
      return { ...col, values: col.values.subarray(0, rows) } as typeof col;
    },
  };
}

/** What every environment's data tells the training set-up: its rows, the first usable one, and their times. */
export interface EnvData {
  rows: number;
  /** First row whose features are warmed up; segments start no earlier. */
  firstValidRow: number;
  /** Epoch-ms time of each row. */
  time: Float64Array;
}

export interface EnvCreateOptions {
  /** The environment's own settings (its table), resolved. */
  settings: SettingValues;
  segment: Segment;
  copies: number;
  seed: number;
  /** Episodes start at random rows of the segment; false walks the segment from its start. */
  randomStart: boolean;
  /** Steps per episode at most. */
  maxSteps: number;
}

/** A series over episode records, by dotted path into seed 000's detailed record. */
export type EpisodeSeries =
  /** The rolling mean of a field, times `scale`. */
  | { kind: 'mean'; path: string; scale?: number }
  /** A count's share (%) of the sum of several counts, rolling mean. */
  | { kind: 'share'; path: string; of: readonly string[] }
  /** Rolling sum of one count over the rolling sum of another. */
  | { kind: 'rate'; numerator: string; denominator: string };

export interface EpisodeChart {
  title: string;
  lines: readonly { label: string; color: string; series: EpisodeSeries }[];
}

export type TradeMarkerKind = 'long' | 'short' | 'flat';

export interface EnvSpec<Data extends EnvData = EnvData> {
  /** The id runs, links and the command line use ("position"). */
  id: string;
  title: string;
  summary: string;
  /** Kinds of dataset it steps over. */
  datasetKinds: readonly DatasetKind[];
  /** What its reward is counted in, written beside every reward figure ("% return", "shaped score"). */
  rewardUnit: string;
  settings: readonly SettingSpec[];
  actionNames: readonly string[];
  obsSize: number;
  /** Each observation slot's name, in order (model cards and ONNX metadata list the inputs by them). */
  observationNames?: readonly string[];
  /** Reads what the environment steps over from a dataset (features computed here). */
  load(source: DatasetSource): Promise<Data>;
  create(data: Data, opts: EnvCreateOptions): VecEnv;
  /** The bar's price, for trade markers. */
  price(data: Data, row: number): number;
  /** The episode charts of the run browser, beside the algorithm's own. */
  episodeCharts: readonly EpisodeChart[];
  /**
   * How a copy's action at its current bar is marked on a price chart (null: no marker); `obs` is
   * the copy's raw observation at `offset`.
   */
  tradeMarker(action: number, obs: Float32Array, offset: number, settings: SettingValues): TradeMarkerKind | null;
  /** Mark only where the marker changes (a position held), rather than at every action (a trade approved). */
  markChangesOnly: boolean;
  /** The action that trades nothing (hold, reject); a baseline's action the mask forbids falls back to it. */
  idleAction: number;
  /** Constructed policies a result is set beside, each one action at every step (hold; always approve, always reject). */
  baselinePolicies: readonly { key: string; label: string; action: number }[];
  /**
   * A random policy that trades as often as a policy did over a walk (its actions per window): its
   * next action, given the last one it took in the window (−1 at a window's start).
   */
  randomLike(windows: readonly (readonly number[])[]): { frequency: number; next: (u: () => number, last: number) => number };
  /** The trades an episode record closed, and how many made money. */
  episodeTrades(record: unknown): { trades: number; wins: number };
  /**
   * Named settings a policy is also evaluated under, each reported on its own (seed 001's presets:
   * a config-aware policy is judged at conservative, moderate and aggressive).
   */
  evaluationConfigs?: readonly { key: string; label: string; settings: Readonly<Record<string, unknown>> }[];
  /** What the environment's readiness check (services/readiness.ts) looks at, offered before a long training; none without. */
  readinessCheck?: string;
  /**
   * Settings a person may change when playing a trained policy (seed 001's inference on a config
   * of their choice); the rest stay as the run trained them.
   */
  playSettings?: readonly string[];
  /**
   * What a played episode's portfolio holds at each step: `read` writes copy i's values (one per
   * column) before the step's action; `readEnd` the values an episode's record ends on.
   */
  portfolio?: {
    columns: readonly { key: string; label: string }[];
    read(env: VecEnv, i: number, out: Float64Array): void;
    readEnd(record: unknown, out: Float64Array): void;
  };
  /** The rows of an episode record's trades table (a bot's trades export), with its columns in order. */
  tradeTable?: { columns: readonly { key: string; label: string; digits?: number }[]; rows(record: unknown): readonly Record<string, unknown>[] };
  /** Steps per episode set by the environment's own settings (a funding-arbitrage episode is a day), overriding the run's max_steps. */
  episodeSteps?(settings: SettingValues): number;
  /** Buy-and-hold over rows [start, end) with the environment's execution rules, in % (null where the market has no such thing). */
  buyAndHold(data: Data, start: number, end: number, settings: SettingValues): number | null;
}
