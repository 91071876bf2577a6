// Shapes shared by every parser, the validator and the store. No DOM, no TensorFlow.js.

export type DatasetKind = 'candles' | 'funding' | 'offline' | 'trades' | 'series';

export const DATASET_KIND_LABELS: Record<DatasetKind, string> = {
  candles: 'Candles (OHLCV)',
  funding: 'Funding opportunities',
  offline: 'Offline dataset (state, action, strength)',
  trades: 'Trades',
  series: 'Time series',
};

/** A numeric column is a Float64Array (times are epoch milliseconds, UTC); text is dictionary-encoded. */
export interface NumericColumn {
  type: 'number';
  values: Float64Array;
}
export interface TimeColumn {
  type: 'time';
  values: Float64Array;
  /** The file wrote these times without a zone: they were read as wall-clock times, as if UTC. */
  zoneless?: boolean;
}
export interface TextColumn {
  type: 'text';
  codes: Int32Array;
  dictionary: string[];
}
/** A matrix column holds rows of `width` values (an offline dataset's states). */
export interface MatrixColumn {
  type: 'matrix';
  values: Float32Array;
  width: number;
}
export type Column = NumericColumn | TimeColumn | TextColumn | MatrixColumn;

/** What a parser produces: named columns of equal length, before roles are assigned. */
export interface Table {
  fileName: string;
  format: FileFormat;
  rowCount: number;
  names: string[];
  columns: Column[];
  /** Did the file name its columns (a CSV header, object keys), or were names invented (col1, col2...)? */
  hasHeader: boolean;
  /** Maps a data row index to the position a person would look for in the file ("line 17", "row 3"). */
  where(row: number): string;
  /** How the file was read where that was not the plain default (its encoding, its number format), for the report. */
  notes?: string[];
}

export type FileFormat = 'csv' | 'parquet' | 'json' | 'jsonl' | 'npz' | 'feather';

export interface ColumnStats {
  name: string;
  type: Column['type'];
  min: number;
  max: number;
  mean: number;
  nanCount: number;
  /** Distinct values of a text column. */
  distinct?: number;
}

export interface Issue {
  level: 'warning' | 'repaired' | 'info';
  message: string;
}

export interface DatasetMeta {
  id: string;
  name: string;
  kind: DatasetKind;
  rows: number;
  /** Column names in stored order. For candles the roles come first: time, open, high, low, close, volume. */
  columns: string[];
  columnTypes: Column['type'][];
  /** Role → stored column name (time, open, high, low, close, volume, price, side...). */
  roles: Record<string, string>;
  timeStart: number | null;
  timeEnd: number | null;
  /** Median spacing of the time column in milliseconds, and its label ("5m", "1h", "1d"). */
  intervalMs: number | null;
  interval: string | null;
  source: { fileName: string; format: FileFormat; size: number; sha256: string };
  stats: ColumnStats[];
  issues: Issue[];
  chunkRows: number;
  createdAt: string;
  /** Matrix columns' widths (offline states). */
  widths?: Record<string, number>;
  /** Text columns' dictionaries, stored with the metadata since they are small. */
  dictionaries?: Record<string, string[]>;
  /**
   * The zone the file's zone-less times were read in ('UTC' unless the person chose another), or
   * null when the file's times carry their zone (or it has none).
   */
  timeZone?: string | null;
  /** Set when deleted: the dataset stays restorable until it is purged. */
  deletedAt?: string | null;
  /** The column mapping the import used (source column names by role), reused by appends. Absent on older datasets. */
  mapping?: ColumnMapping;
  /** Counts up by one with every append (1 for a fresh import; absent on datasets stored before revisions existed, read as 1). */
  revision?: number;
  /** What made each revision, oldest first (the import, then each append). */
  history?: DatasetRevision[];
  /** Set on a dataset the lab generated rather than read from a market: it is marked synthetic wherever it appears. */
  synthetic?: SyntheticInfo | null;
  /**
   * Set on an offline dataset the teacher ensemble labelled from a stored candle dataset: which
   * one, at which revision and rows, and the rows it labelled (the training segment only; the
   * held-out rows stay unlabelled), so behavior cloning on it is backtested on those candles.
   */
  labelledFrom?: TeacherLink | null;
}

export interface TeacherLink {
  datasetId: string;
  name: string;
  revision: number;
  /** The candle dataset's row count when labelled: the rows the backtest reads. */
  rows: number;
  /** Candle rows [start, end) whose bars were labelled. */
  labelledRows: [number, number];
}

/** One revision of a dataset: how it came to be and how many rows it then held. */
export interface DatasetRevision {
  revision: number;
  at: string;
  /** An import, an append of rows, a file of trade outcomes completing trades, or generated data. */
  how: 'import' | 'append' | 'outcomes' | 'generate';
  /** Rows the dataset held after this revision. */
  rows: number;
  /** Rows this revision added, and rows of its file dropped as exact copies of rows already there. */
  added: number;
  dropped: number;
  /** Trades whose outcome this revision recorded (an outcomes file). */
  completed?: number;
  fileName: string;
  sha256?: string;
}

/** How a synthetic dataset was generated, enough to make it again. */
export interface SyntheticInfo {
  generator: string;
  /** The scenario names it mixes ("uptrend", "range", ...). */
  scenarios: string[];
  seed: number;
  bars: number;
  interval: string;
  /** The stored candle dataset its parameters were estimated from, when calibrated. */
  calibratedFrom?: string | null;
  /** Every parameter the generator used, by name. */
  parameters?: Record<string, unknown>;
}

/** A validated dataset ready to store: metadata plus its columns in `meta.columns` order. */
export interface Dataset {
  meta: DatasetMeta;
  columns: Column[];
  /** Where a stored row came from in its file ("line 17"), after sorting and dropped duplicates; not stored. */
  rowWhere?: (row: number) => string;
}

/** Role assignment chosen by detection or by the person in the column-mapping step. */
export interface ColumnMapping {
  kind: DatasetKind;
  /** role → source column name; roles not present are absent. */
  roles: Record<string, string>;
}
