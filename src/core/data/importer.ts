// One import, from bytes to a validated dataset: format detection, parsing, kind detection,
// validation. Used by the import worker, the command line and the tests alike.

import { DataError } from './errors';
import { parseCsv } from './csv';
import { parseJson, parseJsonl } from './json';
import { parseParquet } from './parquet';
import { parseOfflineNpz } from './npz';
import { detectKind } from './columns';
import { buildDataset } from './dataset';
import { cellText } from './format';
import { joinDateAndTime, placeZonelessTimes, refuseTextPrices } from './reading';
import type { ColumnMapping, Dataset, FileFormat, Table } from './types';

export type ImportPhase = 'reading' | 'hashing' | 'parsing' | 'validating' | 'saving';
export type ProgressFn = (phase: ImportPhase, fraction: number) => void;

export interface MappingPreview {
  fileName: string;
  names: string[];
  types: string[];
  rows: string[][];
  guess: ColumnMapping;
  reason: string;
}

export type ImportOutcome = { status: 'needs-mapping'; preview: MappingPreview } | { status: 'ready'; dataset: Dataset };

export function detectFormat(bytes: Uint8Array, fileName: string): FileFormat {
  const b = bytes;
  if (b.length >= 4 && b[0] === 0x50 && b[1] === 0x41 && b[2] === 0x52 && b[3] === 0x31) return 'parquet'; // PAR1
  if (b.length >= 4 && b[0] === 0x50 && b[1] === 0x4b && b[2] === 0x03 && b[3] === 0x04) return 'npz'; // PK zip
  if (b.length >= 6 && String.fromCharCode(...b.subarray(0, 6)) === 'ARROW1') return 'feather';
  const ext = fileName.toLowerCase().split('.').pop() ?? '';
  if (ext === 'jsonl' || ext === 'ndjson') return 'jsonl';
  let i = b.length >= 3 && b[0] === 0xef ? 3 : 0;
  while (i < b.length && (b[i] === 32 || b[i] === 9 || b[i] === 10 || b[i] === 13)) i++;
  if (b[i] === 0x5b) return 'json'; // [
  if (b[i] === 0x7b) {
    // {"a":1}\n{"a":2} is JSONL; one object spanning the file is JSON
    const head = new TextDecoder().decode(b.subarray(i, Math.min(b.length, i + 65536)));
    const lines = head.split('\n').filter((l) => l.trim() !== '');
    if (lines.length < 2) return 'json';
    try { JSON.parse(lines[0]); return 'jsonl'; } catch { return 'json'; }
  }
  return ext === 'json' ? 'json' : 'csv';
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (x) => x.toString(16).padStart(2, '0')).join('');
}

export async function parseTable(bytes: Uint8Array, fileName: string, onProgress?: (f: number) => void): Promise<Table> {
  const format = detectFormat(bytes, fileName);
  switch (format) {
    case 'parquet': {
      const buffer = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? (bytes.buffer as ArrayBuffer) : bytes.slice().buffer;
      return parseParquet(buffer, fileName, onProgress);
    }
    case 'npz': return parseOfflineNpz(bytes, fileName);
    case 'feather':
      throw new DataError(fileName, 'Arrow / Feather files are not supported yet (no maintained browser reader handles their compressed record batches); save the data as Parquet or CSV, e.g. pandas: pd.read_feather(f).to_parquet("data.parquet")');
    case 'json': return parseJson(new TextDecoder().decode(bytes), fileName);
    case 'jsonl': return parseJsonl(new TextDecoder().decode(bytes), fileName);
    default: return parseCsv(bytes, fileName, onProgress);
  }
}

export function mappingPreview(table: Table, guess: ColumnMapping, reason: string): MappingPreview {
  const rows: string[][] = [];
  for (let r = 0; r < Math.min(5, table.rowCount); r++) rows.push(table.columns.map((c) => cellText(c, r)));
  return { fileName: table.fileName, names: table.names, types: table.columns.map((c) => c.type), rows, guess, reason };
}

/**
 * Parses and validates a file. Without a mapping, detection decides the kind and roles; when it
 * is unsure the outcome asks for a mapping (the UI's column-mapping step) instead of guessing.
 */
export async function importBytes(
  bytes: Uint8Array,
  fileName: string,
  options: {
    mapping?: ColumnMapping | null;
    acceptGuess?: boolean;
    onProgress?: ProgressFn;
    /** The zone of the file's zone-less times: UTC (the default), an offset such as +03:00, or an IANA name. */
    timeZone?: string;
  } = {},
): Promise<ImportOutcome> {
  const progress = options.onProgress ?? (() => {});
  if (bytes.length === 0) throw new DataError(fileName, 'the file is empty');
  progress('hashing', 0);
  const hashing = sha256Hex(bytes);
  progress('parsing', 0);
  const parsed = joinDateAndTime(await parseTable(bytes, fileName, (f) => progress('parsing', f)));
  const timeZone = options.timeZone ?? 'UTC';
  const { table, zoneless } = placeZonelessTimes(parsed, timeZone);
  let mapping = options.mapping ?? null;
  if (!mapping) {
    if (table.format === 'npz') mapping = { kind: 'offline', roles: {} };
    else {
      refuseTextPrices(table);
      const detection = detectKind(table.names, table.columns, table.hasHeader);
      if (detection.unsure && !options.acceptGuess) {
        return { status: 'needs-mapping', preview: mappingPreview(table, detection.mapping, detection.reason ?? 'the columns could not be matched with certainty') };
      }
      mapping = detection.mapping;
    }
  }
  progress('validating', 0);
  const sha256 = await hashing;
  const dataset = buildDataset(table, mapping, { fileName, format: table.format, size: bytes.length, sha256 });
  dataset.meta.timeZone = zoneless ? timeZone.trim() || 'UTC' : null;
  progress('validating', 1);
  return { status: 'ready', dataset };
}
