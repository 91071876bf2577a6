// From a parsed table and a column mapping to a validated, repaired dataset with statistics.
// Refuses what cannot be used (naming file, row, column); reports and repairs the rest.

import { DataError, quoteCell } from './errors';
import { ANY_TYPE_ROLES, OPTIONAL_ROLES, REQUIRED_ROLES, TRADE_OUTCOME_ROLES } from './columns';
import { EPOCH_UNIT_TO_MS, epochUnitOf, intervalLabel, isoTime } from './time';
import type { Column, ColumnMapping, ColumnStats, Dataset, DatasetMeta, FileFormat, Issue, Table } from './types';

export const CHUNK_ROWS = 1 << 18;

export interface SourceInfo {
  fileName: string;
  format: FileFormat;
  size: number;
  sha256: string;
}

/** A column's min, max, mean and count of missing values (distinct values for text). */
export function columnStats(name: string, col: Column): ColumnStats {
  if (col.type === 'text') {
    return { name, type: col.type, min: NaN, max: NaN, mean: NaN, nanCount: 0, distinct: col.dictionary.length };
  }
  const v = col.values;
  let min = Infinity, max = -Infinity, sum = 0, finite = 0, nan = 0;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (x === x && x !== Infinity && x !== -Infinity) {
      if (x < min) min = x;
      if (x > max) max = x;
      sum += x;
      finite++;
    } else nan++;
  }
  return { name, type: col.type, min: finite ? min : NaN, max: finite ? max : NaN, mean: finite ? sum / finite : NaN, nanCount: nan };
}

function permute(col: Column, order: Int32Array): Column {
  if (col.type === 'text') {
    const codes = new Int32Array(order.length);
    for (let i = 0; i < order.length; i++) codes[i] = col.codes[order[i]];
    return { ...col, codes };
  }
  if (col.type === 'matrix') {
    const w = col.width;
    const values = new Float32Array(order.length * w);
    for (let i = 0; i < order.length; i++) values.set(col.values.subarray(order[i] * w, order[i] * w + w), i * w);
    return { ...col, values };
  }
  const values = new Float64Array(order.length);
  for (let i = 0; i < order.length; i++) values[i] = col.values[order[i]];
  return { ...col, values };
}

/** The values of a numeric or time column (roles are checked to be such before this is called). */
function numbers(col: Column): Float64Array {
  if (col.type !== 'number' && col.type !== 'time') throw new Error(`expected a numeric column, got ${col.type}`);
  return col.values;
}

function cellEquals(a: Column, i: number, j: number): boolean {
  if (a.type === 'text') return a.codes[i] === a.codes[j];
  if (a.type === 'matrix') {
    for (let k = 0; k < a.width; k++) if (a.values[i * a.width + k] !== a.values[j * a.width + k]) return false;
    return true;
  }
  const x = a.values[i], y = a.values[j];
  return x === y || (x !== x && y !== y);
}

/** Median of the positive spacings of a sorted time column (sampled for long columns). */
function medianSpacing(t: Float64Array): number {
  const n = t.length;
  if (n < 2) return NaN;
  const step = Math.max(1, Math.floor((n - 1) / 20_000));
  const diffs: number[] = [];
  for (let i = 1; i < n; i += step) {
    const d = t[i] - t[i - 1];
    if (d > 0) diffs.push(d);
  }
  if (diffs.length === 0) return NaN;
  diffs.sort((a, b) => a - b);
  return diffs[diffs.length >> 1];
}

function plural(n: number, word: string): string {
  return `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;
}

function durationText(ms: number): string {
  return intervalLabel(Math.round(ms / 1000) * 1000) || `${ms} ms`;
}

/** Days from Excel's day 0 (1899-12-30, as Excel's 1900 leap-year bug puts it) to 1970-01-01. */
const EXCEL_EPOCH_DAYS = 25_569;

/**
 * A numeric time column of spreadsheet serial days: every value between 1940 and 2100 read as days
 * since 1899-12-30 (14,611..73,051), a range that as epoch seconds would all fall on 1970-01-01.
 */
function isExcelSerialDays(values: Float64Array): boolean {
  let any = false;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < 14_611 || v > 73_051) return false;
    any = true;
  }
  return any;
}

/**
 * A trades dataset with trade ids keeps each trade's outcome beside it (seed 003's collector):
 * the outcome columns the file lacks are added empty, in role order after the roles it has, and
 * rows of outcomes arriving later fill them.
 */
function addTradeOutcomeColumns(storedNames: string[], columns: Column[], roles: Record<string, string>, rows: number): void {
  for (const role of TRADE_OUTCOME_ROLES) {
    if (roles[role]) continue;
    const at = storedNames.findIndex((n, i) => i > 0 && !(n in roles));
    const insert = at < 0 ? storedNames.length : at;
    storedNames.splice(insert, 0, role);
    columns.splice(insert, 0, role === 'exit_time' ? { type: 'time', values: new Float64Array(rows).fill(NaN) } : { type: 'number', values: new Float64Array(rows).fill(NaN) });
    roles[role] = role;
  }
}

/** Exit times as epoch milliseconds when the file wrote them as epoch numbers (in whatever unit). */
function exitTimesInMs(col: Column): Column {
  if (col.type !== 'number') return col;
  let first = NaN;
  for (let i = 0; i < col.values.length && first !== first; i++) if (Number.isFinite(col.values[i])) first = col.values[i];
  if (first !== first) return { type: 'time', values: col.values };
  const scale = EPOCH_UNIT_TO_MS[epochUnitOf(first)];
  const ms = new Float64Array(col.values.length);
  for (let i = 0; i < ms.length; i++) ms[i] = col.values[i] * scale;
  return { type: 'time', values: ms };
}

export function buildDataset(table: Table, mapping: ColumnMapping, source: SourceInfo): Dataset {
  const { fileName } = table;
  const issues: Issue[] = (table.notes ?? []).map((message) => ({ level: 'info', message }));
  const kind = mapping.kind;
  const where = table.where;
  const indexOf = (name: string) => table.names.indexOf(name);

  if (kind === 'offline') {
    const columns = table.columns;
    const actions = columns[1];
    if (actions?.type === 'number') {
      // seed 002 prints the action distribution of every offline dataset
      const counts = [0, 0, 0];
      for (const a of actions.values) counts[a]++;
      const n = actions.values.length;
      issues.push({ level: 'info', message: `actions: ${['HOLD', 'BUY', 'SELL'].map((name, i) => `${name} ${counts[i].toLocaleString('en-US')} (${((100 * counts[i]) / n).toFixed(1)}%)`).join(', ')}` });
    }
    return {
      meta: makeMeta(table, mapping, source, columns, table.names, issues, null, table.columns[0].type === 'matrix' ? { states: table.columns[0].width } : undefined),
      columns,
    };
  }

  const required = REQUIRED_ROLES[kind];
  const optional = OPTIONAL_ROLES[kind];
  const missing = required.filter((r) => !mapping.roles[r] || indexOf(mapping.roles[r]) < 0);
  if (missing.length) {
    throw new DataError(fileName, `missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} for ${kind} (found: ${table.names.join(', ')})`);
  }
  // an optional role the mapping names but this file lacks (an append of a file without volumes) is left out
  const present = (role: string) => !!mapping.roles[role] && indexOf(mapping.roles[role]) >= 0;
  for (const role of [...required, ...optional]) {
    const name = mapping.roles[role];
    if (!present(role)) continue;
    const col = table.columns[indexOf(name)];
    if (ANY_TYPE_ROLES.has(role)) continue;
    const textRole = role === 'symbol' || role === 'side' || role.endsWith('_exchange');
    if (textRole !== (col.type === 'text')) {
      throw new DataError(fileName, `column chosen as ${role} holds ${col.type === 'text' ? 'text' : 'numbers'}, ${textRole ? 'text' : 'numbers'} expected`, { column: name });
    }
  }

  // Stored order: roles first (in role order), then every other column as an extra feature.
  const roleNames = [...required, ...optional].filter(present);
  const usedSource = new Set(roleNames.map((r) => mapping.roles[r]));
  const storedNames: string[] = [];
  const sourceIndex: number[] = [];
  const roles: Record<string, string> = {};
  for (const role of roleNames) {
    storedNames.push(role);
    sourceIndex.push(indexOf(mapping.roles[role]));
    roles[role] = role;
  }
  table.names.forEach((name, i) => {
    if (usedSource.has(name)) return;
    let stored = name;
    while (storedNames.includes(stored)) stored = `${stored}_x`;
    storedNames.push(stored);
    sourceIndex.push(i);
  });
  let columns: Column[] = sourceIndex.map((i) => table.columns[i]);
  const sourceName = (storedIdx: number) => table.names[sourceIndex[storedIdx]];

  // Time: epoch numbers become milliseconds; every row needs one.
  const timeCol = columns[0];
  if (timeCol.type !== 'time' && timeCol.type !== 'number') throw new DataError(fileName, 'the time column holds text that is not a date', { column: sourceName(0) });
  let time = timeCol.values as Float64Array;
  const n = table.rowCount;
  if (timeCol.type === 'number' && isExcelSerialDays(time)) {
    // 44927.04167 is 2023-01-01 01:00 in a spreadsheet, not 12 hours after the 1970 epoch
    const ms = new Float64Array(n);
    for (let i = 0; i < n; i++) ms[i] = Math.round((time[i] - EXCEL_EPOCH_DAYS) * 86_400) * 1000;
    issues.push({ level: 'info', message: `time column "${sourceName(0)}" holds Excel serial dates (days since 1899-12-30): read as such, e.g. ${time[0]} is ${isoTime(ms[0]).replace('.000Z', 'Z')}, in the zone the spreadsheet was in (taken as UTC)` });
    time = ms;
  } else if (timeCol.type === 'number') {
    let firstFinite = NaN;
    for (let i = 0; i < n && firstFinite !== firstFinite; i++) if (Number.isFinite(time[i])) firstFinite = time[i];
    const unit = epochUnitOf(firstFinite);
    const scale = EPOCH_UNIT_TO_MS[unit];
    const ms = new Float64Array(n);
    for (let i = 0; i < n; i++) ms[i] = time[i] * scale;
    time = ms;
    issues.push({ level: 'info', message: `time column "${sourceName(0)}" read as epoch ${unit === 'us' ? 'microseconds' : unit === 'ns' ? 'nanoseconds' : unit === 'ms' ? 'milliseconds' : 'seconds'}` });
  }
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(time[i])) throw new DataError(fileName, 'the time is missing', { where: where(i), column: sourceName(0) });
  }
  columns[0] = { type: 'time', values: time };
  const exitTime = storedNames.indexOf('exit_time');
  if (exitTime > 0) columns[exitTime] = exitTimesInMs(columns[exitTime]);

  // Order: sort by time if needed (stable), remembering each row's source row for messages.
  let order: Int32Array | null = null;
  let outOfOrder = 0;
  for (let i = 1; i < n; i++) if (time[i] < time[i - 1]) outOfOrder++;
  if (outOfOrder > 0) {
    const idx = new Int32Array(n);
    for (let i = 0; i < n; i++) idx[i] = i;
    const t = time;
    idx.sort((a, b) => t[a] - t[b] || a - b);
    order = idx;
    columns = columns.map((c) => permute(c, idx));
    time = numbers(columns[0]);
    issues.push({ level: 'repaired', message: `${plural(outOfOrder, 'row')} out of time order: sorted by time` });
  }
  const srcRow = (i: number) => (order ? order[i] : i);

  // Duplicate times: exact copies are dropped; conflicting rows are refused (which one is right?).
  // Trades and funding opportunities legitimately share timestamps.
  if (kind === 'candles' || kind === 'series') {
    let keep: Uint8Array | null = null;
    let dropped = 0;
    for (let i = 1; i < n; i++) {
      if (time[i] !== time[i - 1]) continue;
      const same = columns.every((c) => cellEquals(c, i, i - 1));
      if (!same) {
        const a = srcRow(i - 1), b = srcRow(i);
        throw new DataError(fileName, `two different rows for the same time ${isoTime(time[i])}: ${where(Math.min(a, b))} and ${where(Math.max(a, b))}; remove one and import again`, { where: where(Math.max(a, b)), column: sourceName(0) });
      }
      keep ??= new Uint8Array(n).fill(1);
      keep[i] = 0;
      dropped++;
    }
    if (keep) {
      const idx = new Int32Array(n - dropped);
      for (let i = 0, j = 0; i < n; i++) if (keep[i]) idx[j++] = i;
      columns = columns.map((c) => permute(c, idx));
      const prevOrder = order;
      order = prevOrder ? idx.map((i) => prevOrder[i]) : idx;
      time = numbers(columns[0]);
      issues.push({ level: 'repaired', message: `${plural(dropped, 'exact duplicate row')} dropped` });
    }
  }
  const rows = time.length;

  // Value checks by kind.
  const num = (role: string) => {
    const i = storedNames.indexOf(role);
    return i >= 0 ? numbers(columns[i]) : null;
  };
  const refuseAt = (i: number, role: string, problem: string, value: number) => {
    const storedIdx = storedNames.indexOf(role);
    throw new DataError(fileName, problem, { where: where(srcRow(i)), column: sourceName(storedIdx), text: String(value) });
  };
  const positive = kind === 'candles' ? ['open', 'high', 'low', 'close'] : kind === 'trades' ? ['price'] : kind === 'funding' ? ['entry_long_price', 'entry_short_price'] : [];
  for (const role of positive) {
    const v = num(role)!;
    for (let i = 0; i < rows; i++) {
      const x = v[i];
      if (!Number.isFinite(x)) refuseAt(i, role, x !== x ? 'the price is missing (NaN or empty)' : `the price is ${x}`, x);
      if (x <= 0) refuseAt(i, role, `the price ${quoteCell(String(x))} is not positive`, x);
    }
  }
  if (kind === 'candles') {
    const o = num('open')!, h = num('high')!, l = num('low')!, c = num('close')!;
    let inconsistent = 0, firstInconsistent = -1;
    for (let i = 0; i < rows; i++) {
      if (h[i] < l[i]) refuseAt(i, 'high', `high ${h[i]} is below low ${l[i]}`, h[i]);
      if (h[i] < Math.max(o[i], c[i]) || l[i] > Math.min(o[i], c[i])) { inconsistent++; if (firstInconsistent < 0) firstInconsistent = i; }
    }
    if (inconsistent) issues.push({ level: 'warning', message: `${plural(inconsistent, 'candle')} with open or close outside high..low (first at ${where(srcRow(firstInconsistent))})` });
    const vol = num('volume');
    if (vol) {
      let missingVol = 0;
      for (let i = 0; i < rows; i++) {
        if (vol[i] < 0) refuseAt(i, 'volume', `volume ${vol[i]} is negative`, vol[i]);
        if (!Number.isFinite(vol[i])) missingVol++;
      }
      if (missingVol) issues.push({ level: 'warning', message: `${plural(missingVol, 'row')} without a volume (NaN, Inf or empty)` });
    } else issues.push({ level: 'warning', message: 'no volume column: volume features will be neutral' });
  }
  if (kind === 'funding') {
    // one venue's prices for both legs (as opportunities built from one set of candles are): say so,
    // since the environment then earns or pays no price difference between the venues
    const long = num('entry_long_price')!, short = num('entry_short_price')!;
    let same = 0;
    for (let i = 0; i < rows; i++) if (long[i] === short[i]) same++;
    if (same === rows) issues.push({ level: 'info', message: 'every opportunity has zero basis: its legs\' entry prices are equal (one venue\'s prices served both legs), so no price difference between the venues is earned or paid' });
    else if (same > 0) issues.push({ level: 'info', message: `${same.toLocaleString('en-US')} of ${rows.toLocaleString('en-US')} opportunities have zero basis (equal entry prices on both legs)` });
  }
  if (kind === 'trades') {
    const amount = num('amount')!;
    for (let i = 0; i < rows; i++) if (!(amount[i] >= 0)) refuseAt(i, 'amount', `amount ${amount[i]} is not a non-negative number`, amount[i]);
  }
  // Other numeric columns: NaN / Inf are kept and counted.
  for (let k = 1; k < columns.length; k++) {
    const col = columns[k];
    if (col.type !== 'number' || positive.includes(storedNames[k]) || storedNames[k] === 'volume') continue;
    let bad = 0, first = -1;
    for (let i = 0; i < rows; i++) if (!Number.isFinite(col.values[i])) { bad++; if (first < 0) first = i; }
    if (bad) issues.push({ level: 'warning', message: `column "${sourceName(k)}": ${plural(bad, 'missing or infinite value')} (first at ${where(srcRow(first))})` });
  }

  // Spacing and gaps.
  let intervalMs: number | null = null;
  if (kind === 'candles' || kind === 'series') {
    const m = medianSpacing(time);
    if (Number.isFinite(m)) {
      intervalMs = m;
      let gaps = 0, largest = 0, largestAt = 0, missingBars = 0;
      for (let i = 1; i < rows; i++) {
        const d = time[i] - time[i - 1];
        if (d > m * 1.5) {
          gaps++;
          missingBars += Math.round(d / m) - 1;
          if (d > largest) { largest = d; largestAt = i; }
        }
      }
      if (gaps) {
        issues.push({
          level: 'warning',
          message: `${plural(gaps, 'gap')} in time (about ${plural(missingBars, 'missing bar')}); the largest is ${durationText(largest)} before ${isoTime(time[largestAt])}${m >= 86_400_000 ? ' (weekends and holidays are normal for daily stock data)' : ''}`,
        });
      }
    }
  }
  if (kind === 'trades' && roles.trade_id) addTradeOutcomeColumns(storedNames, columns, roles, rows);
  const finalOrder = order;
  const meta = makeMeta({ ...table, rowCount: rows }, mapping, source, columns, storedNames, issues, intervalMs, undefined, roles);
  meta.history![0].dropped = n - rows;
  return { meta, columns, rowWhere: (i) => where(finalOrder ? finalOrder[i] : i) };
}

function makeMeta(
  table: Table,
  mapping: ColumnMapping,
  source: SourceInfo,
  columns: Column[],
  names: string[],
  issues: Issue[],
  intervalMs: number | null,
  widths?: Record<string, number>,
  roles: Record<string, string> = {},
): DatasetMeta {
  const time = mapping.kind === 'offline' ? null : numbers(columns[0]);
  const dictionaries: Record<string, string[]> = {};
  columns.forEach((c, i) => { if (c.type === 'text') dictionaries[names[i]] = c.dictionary; });
  const createdAt = new Date().toISOString();
  return {
    id: crypto.randomUUID(),
    name: table.fileName.replace(/\.[^.]+$/, ''),
    kind: mapping.kind,
    rows: table.rowCount,
    columns: names,
    columnTypes: columns.map((c) => c.type),
    roles,
    timeStart: time && time.length ? time[0] : null,
    timeEnd: time && time.length ? time[time.length - 1] : null,
    intervalMs,
    interval: intervalMs ? intervalLabel(intervalMs) : null,
    source,
    stats: columns.map((c, i) => columnStats(names[i], c)),
    issues,
    chunkRows: CHUNK_ROWS,
    createdAt,
    widths,
    dictionaries,
    deletedAt: null,
    mapping: { kind: mapping.kind, roles: { ...mapping.roles } },
    revision: 1,
    history: [{ revision: 1, at: createdAt, how: 'import', rows: table.rowCount, added: table.rowCount, dropped: 0, fileName: source.fileName, sha256: source.sha256 }],
  };
}
