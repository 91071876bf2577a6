// Parquet through hyparquet (every codec hyparquet-compressors reads). Timestamps come back as
// epoch milliseconds, never Date objects: a million Dates would cost time and memory for nothing.

import { parquetMetadata, parquetRead, parquetSchema, type ColumnData, type FileMetaData } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { DataError } from './errors';
import { uniqueNames } from './columns';
import { columnFromValues } from './values';
import type { Column, Table } from './types';

const msParsers = {
  timestampFromMilliseconds: (v: bigint) => Number(v),
  timestampFromMicroseconds: (v: bigint) => Number(v / 1000n) + Number(v % 1000n) / 1000,
  timestampFromNanoseconds: (v: bigint) => Number(v / 1_000_000n) + Number(v % 1_000_000n) / 1e6,
  dateFromDays: (v: number) => v * 86_400_000,
};

function isTimeElement(el: { type?: string; converted_type?: string; logical_type?: { type: string } }): boolean {
  const lt = el.logical_type?.type;
  const ct = el.converted_type;
  return lt === 'TIMESTAMP' || lt === 'DATE' || ct === 'TIMESTAMP_MILLIS' || ct === 'TIMESTAMP_MICROS' || ct === 'DATE' || el.type === 'INT96';
}

/** Every column's values: numbers (and times, booleans) as Float64Array, the rest as JS values. */
interface DecodedColumns {
  numeric: Record<string, Float64Array>;
  other: Record<string, unknown[]>;
}

/**
 * Decodes every row of a Parquet file, one row group at a time: hyparquet's byte slices and
 * intermediate arrays then live for one group, not the whole file, which keeps the peak low.
 */
async function decodeParquet(buffer: ArrayBuffer, metadata: FileMetaData, onChunk?: () => void): Promise<DecodedColumns> {
  const n = Number(metadata.num_rows);
  const numeric: Record<string, Float64Array> = {};
  const other: Record<string, unknown[]> = {};
  const onColumnChunk = ({ columnName, columnData, rowStart }: ColumnData) => {
    const len = Math.min(columnData.length, n - rowStart);
    let target: Float64Array | undefined = numeric[columnName];
    let raw: unknown[] | undefined = other[columnName];
    if (!target && !raw) {
      let first: unknown = null;
      for (let i = 0; i < len && (first === null || first === undefined); i++) first = columnData[i];
      const t = typeof first;
      if (ArrayBuffer.isView(columnData) || t === 'number' || t === 'bigint' || t === 'boolean' || first instanceof Date || first === null || first === undefined) {
        numeric[columnName] = target = new Float64Array(n).fill(NaN);
      } else other[columnName] = raw = new Array(n);
    }
    if (target && ArrayBuffer.isView(columnData) && !(columnData instanceof BigInt64Array) && !(columnData instanceof BigUint64Array)) {
      target.set((columnData as unknown as Float64Array).subarray(0, len), rowStart);
    } else if (target) {
      for (let i = 0; i < len; i++) {
        const v = columnData[i];
        if (v === null || v === undefined) continue;
        const t = typeof v;
        if (t === 'number') target[rowStart + i] = v as number;
        else if (t === 'bigint' || t === 'boolean') target[rowStart + i] = Number(v);
        else if (v instanceof Date) target[rowStart + i] = v.getTime();
        else {
          // text in a column that began with numbers: keep everything as values
          other[columnName] = raw = Array.from(target);
          delete numeric[columnName];
          for (let j = i; j < len; j++) raw[rowStart + j] = columnData[j];
          break;
        }
      }
    } else {
      for (let i = 0; i < len; i++) raw![rowStart + i] = columnData[i];
    }
    onChunk?.();
  };
  let groupStart = 0;
  for (const group of metadata.row_groups) {
    const groupEnd = groupStart + Number(group.num_rows);
    await parquetRead({ file: buffer, metadata, compressors, parsers: msParsers, rowStart: groupStart, rowEnd: groupEnd, onChunk: onColumnChunk });
    groupStart = groupEnd;
  }
  return { numeric, other };
}

export async function parseParquet(buffer: ArrayBuffer, fileName: string, onProgress?: (f: number) => void): Promise<Table> {
  let metadata;
  try {
    metadata = parquetMetadata(buffer, { parsers: msParsers });
  } catch (e) {
    throw new DataError(fileName, `not a readable Parquet file (${(e as Error).message})`);
  }
  const rowCount = Number(metadata.num_rows);
  const top = parquetSchema(metadata).children;
  const rawNames = top.map((c) => c.element.name);
  const names = uniqueNames(rawNames);
  const timeCols = new Set(top.filter((c) => c.children.length === 0 && isTimeElement(c.element as never)).map((c) => c.element.name));

  const total = rawNames.length * Math.max(1, metadata.row_groups.length);
  let done = 0;
  let decoded: DecodedColumns;
  try {
    decoded = await decodeParquet(buffer, metadata, () => onProgress?.(Math.min(1, ++done / total)));
  } catch (e) {
    throw new DataError(fileName, `could not read the Parquet data (${(e as Error).message})`);
  }
  const where = (r: number) => `row ${r + 1}`;
  const columns: Column[] = rawNames.map((raw, i) => {
    const values = decoded.numeric[raw];
    if (values) return { type: timeCols.has(raw) ? 'time' : 'number', values };
    const col = columnFromValues(decoded.other[raw] ?? new Array(rowCount), fileName, names[i], where);
    if (timeCols.has(raw) && col.type === 'number') return { type: 'time', values: col.values };
    return col;
  });
  return { fileName, format: 'parquet', rowCount, names, columns, hasHeader: true, where };
}
