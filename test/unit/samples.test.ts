// Every file in ../shared/data imports with the right kind and row count.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importBytes } from '../../src/core/data/importer';

const DATA = resolve(__dirname, '../../../shared/data');
const read = (f: string) => new Uint8Array(readFileSync(resolve(DATA, f)));

const cases: [string, string, number][] = [
  ['STOCKS_GOOGL.csv', 'candles', 2335],
  ['FOREX_EURUSD_1H_ASK.csv', 'candles', 6225],
  ['ETH_BTC-5m.parquet', 'candles', 5760],
  ['XRP_USDT-5m-futures.parquet', 'candles', 1999],
  ['XRP_USDT-8h-funding_rate.csv', 'series', 91],
  ['UNITTEST_BTC-1m.json', 'candles', 13681],
  ['XRP_ETH-trades.parquet', 'trades', 12477],
];

// ../shared/data sits beside the repository on the lab's machines and in its CI.
describe.skipIf(!existsSync(DATA))('shared sample data', () => {
  for (const [file, kind, rows] of cases) {
    it(`${file} imports as ${kind} with ${rows} rows`, async () => {
      const out = await importBytes(read(file), file);
      expect(out.status).toBe('ready');
      if (out.status !== 'ready') return;
      const { meta } = out.dataset;
      expect(meta.kind).toBe(kind);
      expect(meta.rows).toBe(rows);
      expect(meta.source.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(meta.timeStart).toBeLessThan(meta.timeEnd!);
    });
  }

  it('refuses the compressed feather file with a clear message', async () => {
    await expect(importBytes(read('ETH_BTC-5m.feather'), 'ETH_BTC-5m.feather')).rejects.toThrow(/ETH_BTC-5m\.feather: Arrow \/ Feather files are not supported yet/);
  });
});
