// Parquet through hyparquet (every codec hyparquet-compressors reads). Timestamps come back as
// epoch milliseconds, never Date objects: a million Dates would cost time and memory for nothing.

import { parquetMetadata, parquetRead, parquetSchema } from 'hyparquet';
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

export async function parseParquet(buffer: ArrayBuffer, fileName: string, onProgress?: (f: number) => void): Promise<Table> {
  let metadata;
  try {
    metadata = parquetMetadata(buffer, { parsers: msParsers });
  } catch (e) {
    throw new DataError(fileName, `not a readable Parquet file (${(e as Error).message})`);
  }
  const rowCount = Number(metadata.num_rows);
  const schema = parquetSchema(metadata);
  const top = schema.children;
  const rawNames = top.map((c) => c.element.name);
  const names = uniqueNames(rawNames);
  const timeCols = new Set(top.filter((c) => c.children.length === 0 && isTimeElement(c.element as never)).map((c) => c.element.name));
  // Numeric, timestamp and boolean chunks go straight into one Float64Array per column;
  // only text columns keep their values as JS arrays until they are dictionary-encoded.
  const numeric = new Map<string, Float64Array>();
  const other = new Map<string, unknown[]>();
  const toOther = (name: string) => {
    const values = numeric.get(name);
    const raw: unknown[] = values ? Array.from(values) : new Array(rowCount);
    numeric.delete(name);
    other.set(name, raw);
    return raw;
  };
  const total = rawNames.length * Math.max(1, metadata.row_groups.length);
  let done = 0;
  try {
    await parquetRead({
      file: buffer,
      compressors,
      parsers: msParsers,
      onChunk({ columnName, columnData, rowStart }) {
        const n = columnData.length;
        let target = numeric.get(columnName);
        let raw = other.get(columnName);
        if (!target && !raw) {
          let first: unknown = null;
          for (let i = 0; i < n && (first === null || first === undefined); i++) first = columnData[i];
          const t = typeof first;
          if (ArrayBuffer.isView(columnData) || t === 'number' || t === 'bigint' || t === 'boolean' || first instanceof Date || first === null || first === undefined) {
            numeric.set(columnName, (target = new Float64Array(rowCount).fill(NaN)));
          } else other.set(columnName, (raw = new Array(rowCount)));
        }
        if (target && ArrayBuffer.isView(columnData) && !(columnData instanceof BigInt64Array) && !(columnData instanceof BigUint64Array)) {
          target.set(columnData as unknown as ArrayLike<number>, rowStart);
        } else if (target) {
          for (let i = 0; i < n; i++) {
            const v = columnData[i];
            if (v === null || v === undefined) continue;
            const t = typeof v;
            if (t === 'number') target[rowStart + i] = v as number;
            else if (t === 'bigint' || t === 'boolean') target[rowStart + i] = Number(v);
            else if (v instanceof Date) target[rowStart + i] = v.getTime();
            else {
              // text in a column that began with numbers: keep everything as values
              raw = toOther(columnName);
              target = undefined;
              for (let j = i; j < n; j++) raw[rowStart + j] = columnData[j];
              break;
            }
          }
        } else {
          for (let i = 0; i < n; i++) raw![rowStart + i] = columnData[i];
        }
        done++;
        onProgress?.(Math.min(1, done / total));
      },
    });
  } catch (e) {
    throw new DataError(fileName, `could not read the Parquet data (${(e as Error).message})`);
  }
  const where = (r: number) => `row ${r + 1}`;
  const columns: Column[] = rawNames.map((raw, i) => {
    const values = numeric.get(raw);
    if (values) return { type: timeCols.has(raw) ? 'time' : 'number', values };
    const col = columnFromValues(other.get(raw) ?? new Array(rowCount), fileName, names[i], where);
    if (timeCols.has(raw) && col.type === 'number') return { type: 'time', values: col.values };
    return col;
  });
  return { fileName, format: 'parquet', rowCount, names, columns, hasHeader: true, where };
}
