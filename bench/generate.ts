// Synthetic benchmark data: a 5-minute OHLCV random walk as CSV (ISO timestamps) and Parquet.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';

/** xorshift32: deterministic, non-zero seed. */
function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
}

export interface Candles { time: Float64Array; open: Float64Array; high: Float64Array; low: Float64Array; close: Float64Array; volume: Float64Array }

export function randomWalkCandles(rows: number, seed = 12345, intervalMs = 300_000, start = Date.UTC(2020, 0, 1)): Candles {
  const r = rng(seed);
  const c: Candles = { time: new Float64Array(rows), open: new Float64Array(rows), high: new Float64Array(rows), low: new Float64Array(rows), close: new Float64Array(rows), volume: new Float64Array(rows) };
  let price = 10000;
  for (let i = 0; i < rows; i++) {
    const open = price;
    const close = Math.max(1, open * (1 + (r() - 0.5) * 0.004));
    const high = Math.max(open, close) * (1 + r() * 0.002);
    const low = Math.min(open, close) * (1 - r() * 0.002);
    c.time[i] = start + i * intervalMs;
    c.open[i] = +open.toFixed(6); c.high[i] = +high.toFixed(6); c.low[i] = +low.toFixed(6); c.close[i] = +close.toFixed(6);
    c.volume[i] = +(r() * 5000).toFixed(4);
    price = close;
  }
  return c;
}

export function candlesCsv(c: Candles): Buffer {
  const lines: string[] = ['timestamp,open,high,low,close,volume'];
  for (let i = 0; i < c.time.length; i++) {
    lines.push(`${new Date(c.time[i]).toISOString().replace('.000Z', 'Z')},${c.open[i]},${c.high[i]},${c.low[i]},${c.close[i]},${c.volume[i]}`);
  }
  return Buffer.from(lines.join('\n') + '\n');
}

export function candlesParquet(c: Candles): Buffer {
  const ab = parquetWriteBuffer({
    columnData: [
      { name: 'timestamp', data: Array.from(c.time, (t) => new Date(t)), type: 'TIMESTAMP' },
      { name: 'open', data: c.open, type: 'DOUBLE' },
      { name: 'high', data: c.high, type: 'DOUBLE' },
      { name: 'low', data: c.low, type: 'DOUBLE' },
      { name: 'close', data: c.close, type: 'DOUBLE' },
      { name: 'volume', data: c.volume, type: 'DOUBLE' },
    ],
  });
  return Buffer.from(ab);
}

/** Writes (once) the benchmark files into .bench/ and returns their paths. */
export function benchFiles(rows: number): { csv: string; parquet: string } {
  const dir = resolve(import.meta.dirname, '../.bench');
  mkdirSync(dir, { recursive: true });
  const csv = resolve(dir, `candles-${rows}.csv`);
  const parquet = resolve(dir, `candles-${rows}.parquet`);
  if (!existsSync(csv) || !existsSync(parquet)) {
    const c = randomWalkCandles(rows);
    writeFileSync(csv, candlesCsv(c));
    writeFileSync(parquet, candlesParquet(c));
  }
  return { csv, parquet };
}
