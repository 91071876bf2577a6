// JSON arrays of candle rows ([ts, o, h, l, c, v], the exchange-API shape), JSON arrays of
// objects, and JSONL (one object or array per line).

import { DataError } from './errors';
import { uniqueNames } from './columns';
import { columnFromValues } from './values';
import { jsonTooDeepAt, lineOfOffset, MAX_JSON_DEPTH } from '../jsonDepth';
import type { FileFormat, Table } from './types';

function tableFromRecords(records: unknown[], fileName: string, format: FileFormat, where: (row: number) => string): Table {
  if (records.length === 0) throw new DataError(fileName, 'no rows found');
  const firstIsArray = Array.isArray(records[0]);
  if (firstIsArray) {
    const width = (records[0] as unknown[]).length;
    const cols: unknown[][] = Array.from({ length: width }, () => new Array(records.length));
    for (let r = 0; r < records.length; r++) {
      const rec = records[r];
      if (!Array.isArray(rec)) throw new DataError(fileName, 'expected an array like the rows before it', { where: where(r) });
      if (rec.length !== width) throw new DataError(fileName, `this row has ${rec.length} values, the first row has ${width}`, { where: where(r) });
      for (let c = 0; c < width; c++) cols[c][r] = rec[c];
    }
    const names = cols.map((_, i) => `col${i + 1}`);
    const columns = cols.map((values, i) => columnFromValues(values, fileName, names[i], where));
    return { fileName, format, rowCount: records.length, names, columns, hasHeader: false, where };
  }
  const keys: string[] = [];
  const seen = new Set<string>();
  for (let r = 0; r < records.length; r++) {
    const rec = records[r];
    if (rec === null || typeof rec !== 'object' || Array.isArray(rec)) {
      throw new DataError(fileName, 'expected an object like the rows before it', { where: where(r) });
    }
    if (r < 1000) for (const k of Object.keys(rec)) if (!seen.has(k)) { seen.add(k); keys.push(k); }
  }
  const names = uniqueNames(keys);
  const columns = keys.map((k, i) => {
    const values = new Array(records.length);
    for (let r = 0; r < records.length; r++) values[r] = (records[r] as Record<string, unknown>)[k];
    return columnFromValues(values, fileName, names[i], where);
  });
  return { fileName, format, rowCount: records.length, names, columns, hasHeader: true, where };
}

const tooDeep = (fileName: string, line: number) =>
  new DataError(fileName, `nested more than ${MAX_JSON_DEPTH} levels deep; rows of data are not`, { where: `line ${line}` });

export function parseJson(text: string, fileName: string): Table {
  const deep = jsonTooDeepAt(text);
  if (deep !== null) throw tooDeep(fileName, lineOfOffset(text, deep));
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message;
    const at = /position (\d+)/.exec(msg);
    const where = at ? `line ${text.slice(0, Number(at[1])).split('\n').length}` : undefined;
    throw new DataError(fileName, `broken JSON (${msg})`, { where });
  }
  // {"data": [...]} and similar wrappers hold the rows in their one array
  if (data && typeof data === 'object' && !Array.isArray(data)) {
    const arrays = Object.values(data).filter(Array.isArray);
    // a lone object is a one-row table
    data = arrays.length === 1 ? arrays[0] : [data];
  }
  if (!Array.isArray(data)) throw new DataError(fileName, 'expected a JSON array of rows ([[ts, open, high, low, close, volume], ...] or [{...}, ...])');
  return tableFromRecords(data, fileName, 'json', (r) => `row ${r + 1}`);
}

export function parseJsonl(text: string, fileName: string): Table {
  const records: unknown[] = [];
  const lines: number[] = [];
  let lineNo = 0;
  for (const line of text.split('\n')) {
    lineNo++;
    const t = line.trim();
    if (t === '') continue;
    if (jsonTooDeepAt(t) !== null) throw tooDeep(fileName, lineNo);
    try {
      records.push(JSON.parse(t));
    } catch (e) {
      throw new DataError(fileName, `broken JSON (${(e as Error).message})`, { where: `line ${lineNo}` });
    }
    lines.push(lineNo);
  }
  return tableFromRecords(records, fileName, 'jsonl', (r) => `line ${lines[r]}`);
}
