// Appending a file's rows to a stored dataset: the rows after the dataset's end are added; rows
// the dataset already has are dropped when identical and refused when they differ (naming the
// file, line, column and both values). Rows never move: an append only adds at the end, so the
// segments of runs trained on an earlier revision keep their rows. Pure: the store loads the
// dataset's last rows and writes the plan in one transaction.

import { columnStats } from './dataset';
import { DataError, quoteCell } from './errors';
import { isoTime } from './time';
import type { Column, ColumnStats, Dataset, DatasetMeta, Issue } from './types';

/** The key that says two rows are the same row, by kind: a candle by its time, an opportunity by its hour and pair. */
export function rowKeyColumns(meta: DatasetMeta): string[] | null {
  switch (meta.kind) {
    case 'candles':
    case 'series':
      return ['time'];
    case 'funding':
      return ['time', 'symbol', 'long_exchange', 'short_exchange'];
    case 'trades':
      // a trade id where the dataset has one; otherwise the whole row is the key
      return meta.columns.includes('trade_id') ? ['trade_id'] : null;
    default:
      return null;
  }
}

/** What an append will do, for the store to write and the report to say. */
export interface AppendPlan {
  /** The rows to add, in the dataset's stored column order (text as codes of the extended dictionaries). */
  columns: Column[];
  added: number;
  /** Rows of the file the dataset already had, identical, and left out. */
  dropped: number;
  /** The dataset's metadata after the append (rows, time range, statistics, dictionaries, revision, history). */
  meta: DatasetMeta;
  issues: Issue[];
}

/** The existing rows an append compares the file with: rows [start, meta.rows) of every column. */
export interface DatasetTail {
  start: number;
  columns: Column[];
}

/** First index whose value is ≥ x in a sorted array. */
export function lowerBound(values: Float64Array, x: number): number {
  let lo = 0, hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function cellText(col: Column, i: number): string {
  if (col.type === 'text') return col.dictionary[col.codes[i]] ?? '';
  if (col.type === 'time') return isoTime(col.values[i]);
  if (col.type === 'matrix') return `[${Array.from(col.values.subarray(i * col.width, i * col.width + Math.min(col.width, 4))).join(', ')}${col.width > 4 ? ', …' : ''}]`;
  return String(col.values[i]);
}

function sameCell(a: Column, i: number, b: Column, j: number): boolean {
  if (a.type === 'text' && b.type === 'text') return a.dictionary[a.codes[i]] === b.dictionary[b.codes[j]];
  if (a.type === 'matrix' && b.type === 'matrix') {
    for (let k = 0; k < a.width; k++) if (a.values[i * a.width + k] !== b.values[j * b.width + k]) return false;
    return true;
  }
  if (a.type === 'text' || b.type === 'text' || a.type === 'matrix' || b.type === 'matrix') return false;
  const x = a.values[i], y = b.values[j];
  return x === y || (x !== x && y !== y);
}

/** The file's columns in the dataset's stored order; a missing, extra or differently typed column is refused. */
function alignColumns(meta: DatasetMeta, incoming: Dataset, fileName: string): Column[] {
  const inNames = incoming.meta.columns;
  const extra = inNames.filter((n) => !meta.columns.includes(n));
  const missing = meta.columns.filter((n) => !inNames.includes(n));
  if (missing.length || extra.length) {
    const parts = [];
    if (missing.length) parts.push(`it lacks ${missing.map((n) => `"${n}"`).join(', ')}`);
    if (extra.length) parts.push(`it has ${extra.map((n) => `"${n}"`).join(', ')} that the dataset does not`);
    throw new DataError(fileName, `the file's columns differ from dataset "${meta.name}"'s: ${parts.join('; ')}. An append takes the same columns as the dataset (${meta.columns.join(', ')}).`);
  }
  return meta.columns.map((name, c) => {
    const col = incoming.columns[inNames.indexOf(name)];
    const want = meta.columnTypes[c];
    const compatible = col.type === want || (want === 'number' && col.type === 'time') || (want === 'time' && col.type === 'number');
    if (!compatible) throw new DataError(fileName, `holds ${col.type === 'text' ? 'text' : col.type === 'matrix' ? 'rows of numbers' : 'numbers'}, but the dataset's column holds ${want === 'text' ? 'text' : 'numbers'}`, { column: name });
    if (col.type === 'matrix' && want === 'matrix' && col.width !== (meta.widths?.[name] ?? col.width)) {
      throw new DataError(fileName, `rows of ${col.width} values, but the dataset's hold ${meta.widths?.[name]}`, { column: name });
    }
    return col;
  });
}

function keyOf(cols: Column[], keyIdx: number[], i: number): string {
  let k = '';
  for (const c of keyIdx) k += cellText(cols[c], i) + '\u0000';
  return k;
}

function take(col: Column, rows: Int32Array, dictionary: string[] | undefined): Column {
  const n = rows.length;
  if (col.type === 'text') {
    // codes into the dataset's dictionary, extended with values it has not seen
    const dict = dictionary!;
    const index = new Map(dict.map((v, i) => [v, i]));
    const codes = new Int32Array(n);
    for (let r = 0; r < n; r++) {
      const text = col.dictionary[col.codes[rows[r]]];
      let code = index.get(text);
      if (code === undefined) { code = dict.length; dict.push(text); index.set(text, code); }
      codes[r] = code;
    }
    return { type: 'text', codes, dictionary: dict };
  }
  if (col.type === 'matrix') {
    const values = new Float32Array(n * col.width);
    for (let r = 0; r < n; r++) values.set(col.values.subarray(rows[r] * col.width, rows[r] * col.width + col.width), r * col.width);
    return { type: 'matrix', values, width: col.width };
  }
  const values = new Float64Array(n);
  for (let r = 0; r < n; r++) values[r] = col.values[rows[r]];
  return { type: col.type, values } as Column;
}

/** Statistics of old and new rows together, from each part's own. */
export function mergeStats(a: ColumnStats, aRows: number, b: ColumnStats, bRows: number): ColumnStats {
  if (a.type === 'text') return { ...a, distinct: b.distinct };
  const aFinite = aRows - a.nanCount, bFinite = bRows - b.nanCount;
  const finite = aFinite + bFinite;
  const pick = (x: number, y: number, f: (p: number, q: number) => number) => (Number.isNaN(x) ? y : Number.isNaN(y) ? x : f(x, y));
  return {
    ...a,
    min: pick(a.min, b.min, Math.min),
    max: pick(a.max, b.max, Math.max),
    mean: finite ? ((aFinite ? a.mean * aFinite : 0) + (bFinite ? b.mean * bFinite : 0)) / finite : NaN,
    nanCount: a.nanCount + b.nanCount,
  };
}

/**
 * The plan of appending `incoming` (the file, read with the dataset's own mapping) to a dataset
 * whose rows from `tail.start` on are given. Throws a DataError naming the file, line and column
 * when the file disagrees with a row the dataset has, or would put a row before the dataset's end.
 */
export function planAppend(meta: DatasetMeta, incoming: Dataset, tail: DatasetTail, fileName: string, now = new Date()): AppendPlan {
  if (incoming.meta.kind !== meta.kind) {
    throw new DataError(fileName, `the file reads as ${incoming.meta.kind}, but dataset "${meta.name}" holds ${meta.kind}`);
  }
  const cols = alignColumns(meta, incoming, fileName);
  const where = incoming.rowWhere ?? ((i: number) => `row ${i + 1}`);
  const n = incoming.meta.rows;
  const keep: number[] = [];
  let dropped = 0;
  const keyNames = rowKeyColumns(meta);

  if (meta.kind === 'offline' || n === 0) {
    for (let i = 0; i < n; i++) keep.push(i);
  } else {
    const time = (cols[0] as { values: Float64Array }).values;
    const lastTime = meta.timeEnd ?? -Infinity;
    const keyIdx = keyNames ? keyNames.map((k) => meta.columns.indexOf(k)) : meta.columns.map((_, c) => c);
    const tailRows = meta.rows - tail.start;
    const uniqueTime = meta.kind === 'candles' || meta.kind === 'series';
    // the dataset's row the file's row i repeats: by time through both sorted columns where times
    // are unique (candles), else by key
    let matchOf: (i: number) => number | undefined;
    if (uniqueTime) {
      const tailTime = (tail.columns[0] as { values: Float64Array }).values;
      let j = 0;
      matchOf = (i) => {
        while (j < tailRows && tailTime[j] < time[i]) j++;
        return j < tailRows && tailTime[j] === time[i] ? j : undefined;
      };
    } else {
      const existing = new Map<string, number>();
      for (let j = 0; j < tailRows; j++) existing.set(keyOf(tail.columns, keyIdx, j), j);
      matchOf = (i) => existing.get(keyOf(cols, keyIdx, i));
    }
    const seen = new Set<string>();
    for (let i = 0; i < n; i++) {
      const j = matchOf(i);
      if (j !== undefined) {
        for (let c = 0; c < cols.length; c++) {
          if (sameCell(cols[c], i, tail.columns[c], j)) continue;
          const what = meta.kind === 'trades' && keyNames ? `trade ${cellText(cols[keyIdx[0]], i)}` : `the row at ${isoTime(time[i])}`;
          throw new DataError(fileName, `the dataset already has ${what} with ${meta.columns[c]} ${quoteCell(cellText(tail.columns[c], j))}; the file says ${quoteCell(cellText(cols[c], i))}. Nothing was appended: correct the file or the dataset, then append again.`, { where: where(i), column: meta.columns[c], text: cellText(cols[c], i) });
        }
        dropped++;
        continue;
      }
      const t = time[i];
      if (t < lastTime || (uniqueTime && t === lastTime)) {
        throw new DataError(fileName, `a row at ${isoTime(t)}, before the dataset's last time ${isoTime(lastTime)}, that the dataset does not have. An append only adds rows after the dataset's end (rows never move, so runs keep their segments); import the file as a new dataset to insert earlier rows.`, { where: where(i), column: meta.columns[0], text: isoTime(t) });
      }
      if (keyNames && meta.kind === 'trades') {
        const key = keyOf(cols, keyIdx, i);
        if (seen.has(key)) throw new DataError(fileName, `trade ${cellText(cols[keyIdx[0]], i)} appears twice in the file`, { where: where(i), column: 'trade_id' });
        seen.add(key);
      }
      keep.push(i);
    }
  }

  const rows = Int32Array.from(keep);
  const dictionaries: Record<string, string[]> = {};
  for (const [name, dict] of Object.entries(meta.dictionaries ?? {})) dictionaries[name] = [...dict];
  const columns = cols.map((col, c) => {
    const name = meta.columns[c];
    if (col.type === 'text') dictionaries[name] ??= [];
    return take(col, rows, dictionaries[name]);
  });
  const added = rows.length;
  const issues: Issue[] = [];
  if (dropped) issues.push({ level: 'repaired', message: `${dropped.toLocaleString('en-US')} row${dropped === 1 ? '' : 's'} the dataset already had, identical, left out` });
  if (added === 0) issues.push({ level: 'info', message: 'nothing new: every row of the file is already in the dataset' });

  let timeEnd = meta.timeEnd;
  if (added && meta.kind !== 'offline') {
    const t = (columns[0] as { values: Float64Array }).values;
    timeEnd = t[t.length - 1];
    if (meta.intervalMs && meta.timeEnd !== null && (meta.kind === 'candles' || meta.kind === 'series')) {
      const seam = t[0] - meta.timeEnd;
      if (seam > meta.intervalMs * 1.5) issues.push({ level: 'warning', message: `a gap of about ${Math.round(seam / meta.intervalMs) - 1} bar(s) between the dataset's last time ${isoTime(meta.timeEnd)} and the file's first new row ${isoTime(t[0])}` });
    }
  }
  const revision = (meta.revision ?? 1) + 1;
  const history = [...(meta.history ?? [{ revision: 1, at: meta.createdAt, how: 'import' as const, rows: meta.rows, added: meta.rows, dropped: 0, fileName: meta.source.fileName, sha256: meta.source.sha256 }])];
  const totalRows = meta.rows + added;
  history.push({ revision, at: now.toISOString(), how: 'append', rows: totalRows, added, dropped, fileName, sha256: incoming.meta.source.sha256 });
  const stats = added
    ? meta.stats.map((s, c) => {
      const merged = mergeStats(s, meta.rows, columnStats(s.name, columns[c]), added);
      return s.type === 'text' ? { ...merged, distinct: dictionaries[s.name]?.length ?? merged.distinct } : merged;
    })
    : meta.stats;
  const next: DatasetMeta = { ...meta, rows: totalRows, timeEnd, stats, dictionaries, revision, history };
  return { columns, added, dropped, meta: next, issues };
}
