import { describe, expect, it } from 'vitest';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { importBytes } from '../../src/core/data/importer';
import { column, importReady, textColumn } from './helpers';

const t0 = Date.UTC(2024, 0, 1);
const times = [t0, t0 + 300_000, t0 + 600_000];

function candleParquet(extra: { name: string; data: unknown[]; type: string }[] = [], codec?: string) {
  return new Uint8Array(
    parquetWriteBuffer({
      codec: codec as never,
      columnData: [
        { name: 'date', data: times.map((t) => new Date(t)), type: 'TIMESTAMP' },
        { name: 'open', data: [10, 11, 12], type: 'DOUBLE' },
        { name: 'high', data: [12, 13, 14], type: 'DOUBLE' },
        { name: 'low', data: [9, 10, 11], type: 'DOUBLE' },
        { name: 'close', data: [11, 12, 13], type: 'DOUBLE' },
        { name: 'volume', data: [100, 110, 120], type: 'DOUBLE' },
        ...extra,
      ] as never,
    }),
  );
}

describe('Parquet', () => {
  it('reads candles with a timestamp column', async () => {
    const ds = await importReady(candleParquet(), 'c.parquet');
    expect(ds.meta.kind).toBe('candles');
    expect(ds.meta.source.format).toBe('parquet');
    expect(column(ds, 'time')).toEqual(times);
    expect(ds.meta.interval).toBe('5m');
  });

  it('reads uncompressed files and keeps string and integer columns', async () => {
    const ds = await importReady(candleParquet([{ name: 'note', data: ['a', 'b', 'a'], type: 'STRING' }, { name: 'n', data: [1, 2, 3], type: 'INT32' }], 'UNCOMPRESSED'), 'u.parquet');
    expect(textColumn(ds, 'note')).toEqual(['a', 'b', 'a']);
    expect(column(ds, 'n')).toEqual([1, 2, 3]);
  });

  it('reads epoch-millisecond integers as time (the trades layout)', async () => {
    const bytes = new Uint8Array(parquetWriteBuffer({
      columnData: [
        { name: 'timestamp', data: [BigInt(t0), BigInt(t0 + 5)], type: 'INT64' },
        { name: 'side', data: ['buy', 'sell'], type: 'STRING' },
        { name: 'price', data: [1.5, 1.6], type: 'DOUBLE' },
        { name: 'amount', data: [2, 3], type: 'DOUBLE' },
      ] as never,
    }));
    const ds = await importReady(bytes, 't.parquet');
    expect(ds.meta.kind).toBe('trades');
    expect(column(ds, 'time')).toEqual([t0, t0 + 5]);
  });

  it('refuses a truncated file with its name', async () => {
    const bytes = candleParquet();
    await expect(importBytes(bytes.slice(0, bytes.length - 20), 'cut.parquet')).rejects.toThrow(/^cut\.parquet: not a readable Parquet file/);
  });

  it('refuses a file whose body is corrupt', async () => {
    const bytes = candleParquet();
    const broken = bytes.slice();
    for (let i = 8; i < 200; i++) broken[i] = 0xff;
    await expect(importBytes(broken, 'bad.parquet')).rejects.toThrow(/^bad\.parquet: /);
  });

  it('refuses a price that is not positive, naming the row', async () => {
    const bytes = new Uint8Array(parquetWriteBuffer({
      columnData: [
        { name: 'date', data: times.map((t) => new Date(t)), type: 'TIMESTAMP' },
        { name: 'open', data: [10, -1, 12], type: 'DOUBLE' },
        { name: 'high', data: [12, 13, 14], type: 'DOUBLE' },
        { name: 'low', data: [9, 10, 11], type: 'DOUBLE' },
        { name: 'close', data: [11, 12, 13], type: 'DOUBLE' },
      ] as never,
    }));
    await expect(importBytes(bytes, 'neg.parquet')).rejects.toThrow(/^neg\.parquet, row 2, column "open": the price "-1" is not positive$/);
  });
});
