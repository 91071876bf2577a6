import { describe, expect, it } from 'vitest';
import { importBytes } from '../../src/core/data/importer';
import { bytesOf, column, importReady } from './helpers';

const candles = (rows: string[], header = 'Date,Open,High,Low,Close,Volume') => [header, ...rows].join('\n') + '\n';
const day = (d: number) => `2024-01-${String(d).padStart(2, '0')}`;
const row = (d: number, close = 11) => `${day(d)},10,${Math.max(12, close)},9,${close},100`;

describe('kind and column detection', () => {
  it('matches column aliases case-insensitively and keeps extra columns', async () => {
    const ds = await importReady('Open_Time,OPEN,high,Low,Adj Close,Close,VOL,sentiment\n2024-01-01,10,12,9,11.5,11,100,0.3\n2024-01-02,10,12,9,11.5,11,100,-0.2\n');
    expect(ds.meta.kind).toBe('candles');
    expect(ds.meta.columns).toEqual(['time', 'open', 'high', 'low', 'close', 'volume', 'Adj Close', 'sentiment']);
    expect(column(ds, 'close')).toEqual([11, 11]);
    expect(column(ds, 'sentiment')).toEqual([0.3, -0.2]);
  });

  it('uses adjusted close when it is the only close', async () => {
    const ds = await importReady('date,open,high,low,adj close\n2024-01-01,10,12,9,11\n2024-01-02,10,12,9,11\n');
    expect(column(ds, 'close')).toEqual([11, 11]);
  });

  it('detects funding opportunities (seed 001)', async () => {
    const text = 'entry_time,symbol,long_exchange,short_exchange,entry_long_price,entry_short_price,long_funding_rate,short_funding_rate,fund_apr,volume_24h\n' +
      '2024-01-01T00:00:00Z,BTC,binance,bybit,42000,42010,0.0001,0.0003,21.9,1000000\n2024-01-01T00:00:00Z,ETH,okx,bybit,2200,2201,-0.0001,0.0002,10.9,500000\n';
    const ds = await importReady(text, 'opps.csv');
    expect(ds.meta.kind).toBe('funding');
    expect(ds.meta.rows).toBe(2);
  });

  it('reads a time-and-values file as a time series', async () => {
    const ds = await importReady('date,funding_rate\n2021-11-18T00:00:00Z,0.0001\n2021-11-18T08:00:00Z,0.0002\n');
    expect(ds.meta.kind).toBe('series');
    expect(ds.meta.interval).toBe('8h');
  });

  it('reads epoch seconds, milliseconds, microseconds and nanoseconds', async () => {
    const base = Date.UTC(2024, 0, 1);
    for (const scale of [1e-3, 1, 1e3, 1e6]) {
      const t = (i: number) => String(BigInt(base + i * 60_000) * BigInt(scale * 1000) / 1000n);
      const ds = await importReady(`timestamp,open,high,low,close,volume\n${t(0)},1,2,0.5,1.5,10\n${t(1)},1,2,0.5,1.5,10\n`);
      expect(column(ds, 'time')).toEqual([base, base + 60_000]);
      expect(ds.meta.interval).toBe('1m');
    }
  });

  it('asks for a mapping when some candle columns are missing', async () => {
    const out = await importBytes(bytesOf('date,close,last_price\n2024-01-01,1,2\n2024-01-02,1,2\n'), 'partial.csv');
    expect(out.status).toBe('needs-mapping');
    if (out.status === 'needs-mapping') expect(out.preview.reason).toMatch(/open, high, low/);
  });

  it('asks for a mapping when a trades file lacks a column', async () => {
    const out = await importBytes(bytesOf('timestamp,side,price\n1700000000000,buy,1\n'), 'trades.csv');
    expect(out.status).toBe('needs-mapping');
    if (out.status === 'needs-mapping') {
      expect(out.preview.guess.kind).toBe('trades');
      expect(out.preview.reason).toBe('no column found for amount');
    }
  });

  it('imports with a mapping the person chose', async () => {
    const ds = await importReady('when,a,b,c,d\n2024-01-01,10,12,9,11\n2024-01-02,10,12,9,11\n', 'm.csv', {
      kind: 'candles',
      roles: { time: 'when', open: 'a', high: 'b', low: 'c', close: 'd' },
    });
    expect(ds.meta.columns).toEqual(['time', 'open', 'high', 'low', 'close']);
    expect(ds.meta.issues.map((i) => i.message)).toContain('no volume column: volume features will be neutral');
  });
});

describe('validation refuses unusable data, naming file, row and column', () => {
  const refuse = (text: string, pattern: RegExp) => expect(importBytes(bytesOf(text), 'v.csv')).rejects.toThrow(pattern);

  it('high below low', () => refuse(candles([row(1), '2024-01-02,10,8,9,9,100']), /^v\.csv, line 3, column "High": high 8 is below low 9$/));
  it('a non-positive price', () => refuse(candles([row(1), '2024-01-02,0,12,9,11,100']), /^v\.csv, line 3, column "Open": the price "0" is not positive$/));
  it('a missing price', () => refuse(candles([row(1), '2024-01-02,10,12,9,,100']), /^v\.csv, line 3, column "Close": the price is missing/));
  it('an infinite price', () => refuse(candles([row(1), '2024-01-02,10,12,9,inf,100']), /^v\.csv, line 3, column "Close": the price is Infinity/));
  it('a negative volume', () => refuse(candles([row(1), '2024-01-02,10,12,9,11,-5']), /^v\.csv, line 3, column "Volume": volume -5 is negative/));
  it('a missing time', () => refuse(candles([row(1), ',10,12,9,11,100']), /^v\.csv, line 3, column "Date": the time is missing$/));
  it('two different candles at one time', () =>
    refuse(candles([row(1), row(2), row(2, 15)]), /^v\.csv, line 4, column "Date": two different rows for the same time 2024-01-02T00:00:00\.000Z: line 3 and line 4/));
  it('text where a time should be, in a mapping', () =>
    expect(importBytes(bytesOf('a,b,c,d,e\nx,1,2,0.5,1\n'), 'v.csv', { mapping: { kind: 'candles', roles: { time: 'a', open: 'b', high: 'c', low: 'd', close: 'e' } } })).rejects.toThrow(/column "a": column chosen as time holds text/));
  it('a mapping naming a column that is not there', () =>
    expect(importBytes(bytesOf(candles([row(1)])), 'v.csv', { mapping: { kind: 'candles', roles: { time: 'Date', open: 'Open', high: 'High', low: 'Low', close: 'Nope' } } })).rejects.toThrow(/^v\.csv: missing column close for candles \(found: Date, Open, High, Low, Close, Volume\)$/));
});

describe('repairs and reports', () => {
  it('sorts rows that are out of time order and says so', async () => {
    const ds = await importReady(candles([row(3, 13), row(1, 11), row(2, 12)]));
    expect(column(ds, 'close')).toEqual([11, 12, 13]);
    expect(ds.meta.issues).toContainEqual({ level: 'repaired', message: '1 row out of time order: sorted by time' });
  });

  it('drops exact duplicate rows and says so', async () => {
    const ds = await importReady(candles([row(1), row(2), row(2), row(3)]));
    expect(ds.meta.rows).toBe(3);
    expect(ds.meta.issues).toContainEqual({ level: 'repaired', message: '1 exact duplicate row dropped' });
  });

  it('reports gaps, missing volumes and inconsistent candles without refusing', async () => {
    const ds = await importReady(candles([row(1), row(2), row(3), row(6), '2024-01-07,10,12,9,11,', '2024-01-08,10,10.5,9,11,5']));
    const messages = ds.meta.issues.map((i) => i.message).join('\n');
    expect(messages).toMatch(/1 gap in time \(about 2 missing bars\); the largest is 3d before 2024-01-06/);
    expect(messages).toMatch(/1 row without a volume/);
    expect(messages).toMatch(/1 candle with open or close outside high\.\.low \(first at line 7\)/);
  });

  it('computes per-column statistics', async () => {
    const ds = await importReady(candles([row(1, 11), row(2, 13), '2024-01-03,10,12,9,12,']));
    const close = ds.meta.stats.find((s) => s.name === 'close')!;
    expect([close.min, close.max, close.mean, close.nanCount]).toEqual([11, 13, 12, 0]);
    const volume = ds.meta.stats.find((s) => s.name === 'volume')!;
    expect(volume.nanCount).toBe(1);
    expect(ds.meta.timeStart).toBe(Date.UTC(2024, 0, 1));
    expect(ds.meta.timeEnd).toBe(Date.UTC(2024, 0, 3));
  });
});
