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
  const parts = new Map<string, { rowStart: number; data: ArrayLike<unknown> }[]>();
  const total = rawNames.length * Math.max(1, metadata.row_groups.length);
  let done = 0;
  try {
    await parquetRead({
      file: buffer,
      compressors,
      parsers: msParsers,
      onChunk(chunk) {
        let list = parts.get(chunk.columnName);
        if (!list) parts.set(chunk.columnName, (list = []));
        list.push({ rowStart: chunk.rowStart, data: chunk.columnData });
        done++;
        onProgress?.(Math.min(1, done / total));
      },
    });
  } catch (e) {
    throw new DataError(fileName, `could not read the Parquet data (${(e as Error).message})`);
  }
  const where = (r: number) => `row ${r + 1}`;
  const columns: Column[] = rawNames.map((raw, i) => {
    const list = (parts.get(raw) ?? []).sort((a, b) => a.rowStart - b.rowStart);
    let values: ArrayLike<unknown>;
    if (list.length === 1) values = list[0].data;
    else {
      const all = new Array(rowCount);
      for (const p of list) for (let j = 0; j < p.data.length; j++) all[p.rowStart + j] = p.data[j];
      values = all;
    }
    if (values.length !== rowCount) throw new DataError(fileName, `column holds ${values.length} values, the file says ${rowCount} rows`, { column: names[i] });
    const col = columnFromValues(values, fileName, names[i], where);
    if (timeCols.has(raw) && col.type === 'number') return { type: 'time', values: col.values };
    return col;
  });
  return { fileName, format: 'parquet', rowCount, names, columns, hasHeader: true, where };
}
