import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { openLabDb } from '../../src/store/db';
import { getDatasetMeta, loadColumn, saveDataset } from '../../src/store/datasets';
import { appendFile } from '../../src/services/dataAppend';
import { columnStats } from '../../src/core/data/dataset';
import type { Column, DatasetMeta } from '../../src/core/data/types';
import { importReady } from './helpers';

const T0 = Date.UTC(2024, 0, 1);
const MIN = 60_000;

function candleCsv(from: number, to: number, close = (i: number) => 11 + i, note: (i: number) => string = (i) => (i % 2 ? "odd" : "even")): string {
  const lines = ['time,open,high,low,close,volume,note'];
  for (let i = from; i < to; i++) lines.push(`${new Date(T0 + i * MIN).toISOString()},${10 + i},${20 + i},${9 + i},${close(i)},${i},${note(i)}`);
  return lines.join('\n');
}

const file = (text: string, name: string) => Object.assign(new Blob([text]), { name });

/** Stores a dataset with small chunks, so appends cross chunk boundaries. */
async function stored(text: string, name: string, chunkRows = 8): Promise<DatasetMeta> {
  const ds = await importReady(text, name);
  ds.meta.chunkRows = chunkRows;
  await saveDataset(await openLabDb(), ds);
  return ds.meta;
}

const numbers = (c: Column) => Array.from((c as { values: Float64Array }).values);
const texts = (c: Column) => (c.type === 'text' ? Array.from(c.codes, (k) => c.dictionary[k]) : []);

async function refused(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected the append to be refused');
}

describe('appending to a candle dataset', () => {
  it('adds the rows after its end, drops the identical ones it has, and counts its revision up', async () => {
    const meta = await stored(candleCsv(0, 21), 'btc.csv');
    // the file repeats rows 15..20 as they are, then brings 21..37 (a new note value among them)
    const result = await appendFile(meta.id, file(candleCsv(15, 38, undefined, (i) => (i === 30 ? 'new' : i % 2 ? 'odd' : 'even')), 'btc-more.csv'));
    expect(result).toMatchObject({ added: 17, dropped: 6, unchanged: false });
    const after = (await getDatasetMeta(await openLabDb(), meta.id))!;
    expect(after.rows).toBe(38);
    expect(after.revision).toBe(2);
    expect(after.timeEnd).toBe(T0 + 37 * MIN);
    expect(after.history!.map((h) => [h.revision, h.how, h.rows, h.added, h.dropped, h.fileName])).toEqual([
      [1, 'import', 21, 21, 0, 'btc.csv'],
      [2, 'append', 38, 17, 6, 'btc-more.csv'],
    ]);
    const db = await openLabDb();
    const close = await loadColumn(db, after, 'close');
    expect(numbers(close)).toEqual(Array.from({ length: 38 }, (_, i) => 11 + i));
    expect(numbers(await loadColumn(db, after, 'time'))).toEqual(Array.from({ length: 38 }, (_, i) => T0 + i * MIN));
    const note = await loadColumn(db, after, 'note');
    expect(texts(note)[30]).toBe('new');
    expect(texts(note)[31]).toBe('odd');
    // statistics as if the dataset had been imported whole
    const whole = columnStats('close', close);
    const s = after.stats.find((x) => x.name === 'close')!;
    expect([s.min, s.max, s.nanCount]).toEqual([whole.min, whole.max, 0]);
    expect(s.mean).toBeCloseTo(whole.mean, 10);
  });

  it('refuses a file that disagrees with a row it has, naming file, line, column and both values, and changes nothing', async () => {
    const meta = await stored(candleCsv(0, 12), 'eth.csv');
    const message = await refused(appendFile(meta.id, file(candleCsv(10, 14, (i) => (i === 11 ? 99.5 : 11 + i)), 'eth-bad.csv')));
    expect(message).toMatch(/^eth-bad\.csv, line 3, column "close": the dataset already has the row at 2024-01-01T00:11:00\.000Z with close "22"; the file says "99\.5"/);
    const after = (await getDatasetMeta(await openLabDb(), meta.id))!;
    expect([after.rows, after.revision]).toEqual([12, 1]);
    expect(numbers(await loadColumn(await openLabDb(), after, 'close'))).toHaveLength(12);
  });

  it('refuses rows before its end that it does not have: rows never move', async () => {
    const lines = candleCsv(0, 10).split('\n');
    const meta = await stored([lines[0], ...lines.slice(1).filter((_, i) => i !== 4)].join('\n'), 'gap.csv');
    const message = await refused(appendFile(meta.id, file(candleCsv(4, 12), 'fill.csv')));
    expect(message).toMatch(/^fill\.csv, line 2, column "time": a row at 2024-01-01T00:04:00\.000Z, before the dataset's last time .* that the dataset does not have/);
  });

  it('refuses a file with other columns', async () => {
    const meta = await stored(candleCsv(0, 10), 'cols.csv');
    const text = candleCsv(10, 12).replace('volume,note', 'volume,note,extra').split('\n').map((l, i) => (i === 0 ? l : `${l},1`)).join('\n');
    expect(await refused(appendFile(meta.id, file(text, 'cols2.csv')))).toMatch(/cols2\.csv: the file's columns differ from dataset "cols"'s: it has "extra" that the dataset does not/);
  });

  it('appending the same file again changes nothing, not even the revision', async () => {
    const meta = await stored(candleCsv(0, 10), 'same.csv');
    await appendFile(meta.id, file(candleCsv(8, 16), 'more.csv'));
    const again = await appendFile(meta.id, file(candleCsv(8, 16), 'more.csv'));
    expect(again).toMatchObject({ added: 0, dropped: 8, unchanged: true });
    expect((await getDatasetMeta(await openLabDb(), meta.id))!.revision).toBe(2);
  });
});

describe('trades and their outcomes', () => {
  const trades = (from: number, to: number) => ['trade_id,timestamp,symbol,side,price,amount,rsi',
    ...Array.from({ length: to - from }, (_, k) => { const i = from + k; return `T${i},${new Date(T0 + i * 5 * MIN).toISOString()},BTCUSDT,${i % 2 ? 'sell' : 'buy'},${100 + i},${1 + i / 10},${50 + i}`; })].join('\n');

  it('a trades file with ids keeps outcome columns, completed by an outcomes file that arrives later', async () => {
    const meta = await stored(trades(0, 6), 'live_trades.csv');
    expect(meta.columns).toEqual(['time', 'side', 'price', 'amount', 'trade_id', 'symbol', 'exit_time', 'exit_price', 'pnl', 'win', 'holding_minutes', 'rsi']);
    const db = await openLabDb();
    expect(numbers(await loadColumn(db, meta, 'pnl')).every(Number.isNaN)).toBe(true);
    // new trades appended by id; T4 and T5 repeated
    expect(await appendFile(meta.id, file(trades(4, 9), 'live_trades.csv'))).toMatchObject({ added: 3, dropped: 2 });
    const outcomes = 'trade_id,exit_time,exit_price,pnl\nT1,2024-01-01T00:20:00Z,104,3.2\nT7,2024-01-01T01:00:00Z,95,-12.5\n';
    const done = await appendFile(meta.id, file(outcomes, 'completed_trades.csv'));
    expect(done).toMatchObject({ completed: 2, added: 0, unchanged: false });
    const after = (await getDatasetMeta(db, meta.id))!;
    expect(after.revision).toBe(3);
    expect(after.history!.at(-1)).toMatchObject({ how: 'outcomes', completed: 2, fileName: 'completed_trades.csv' });
    expect(numbers(await loadColumn(db, after, 'pnl')).map((v) => (Number.isNaN(v) ? null : v))).toEqual([null, 3.2, null, null, null, null, null, -12.5, null]);
    expect(numbers(await loadColumn(db, after, 'win'))[7]).toBe(0);
    expect(numbers(await loadColumn(db, after, 'holding_minutes'))[1]).toBe(15); // entered 00:05, exited 00:20
    // the same outcomes again: nothing new
    expect(await appendFile(meta.id, file(outcomes, 'completed_trades.csv'))).toMatchObject({ unchanged: true, dropped: 2 });
    // a different outcome for a recorded trade, or one for a trade it lacks, is refused in words
    expect(await refused(appendFile(meta.id, file('trade_id,exit_price\nT1,105\n', 'c2.csv')))).toMatch(/^c2\.csv, line 2, column "exit_price": trade "T1" already has exit_price 104; the file says 105/);
    expect(await refused(appendFile(meta.id, file('trade_id,pnl\nT99,1\n', 'c3.csv')))).toMatch(/^c3\.csv, line 2, column "trade_id": an outcome for trade "T99", which dataset "live_trades" does not have/);
    expect((await getDatasetMeta(db, meta.id))!.revision).toBe(3);
  });
});

describe('funding opportunities', () => {
  it('are keyed by hour and pair: a new pair at the last hour is added, a repeated one dropped', async () => {
    const head = 'entry_time,symbol,long_exchange,short_exchange,entry_long_price,entry_short_price,long_funding_rate,short_funding_rate,fund_apr';
    const row = (h: number, ex: string) => `${new Date(T0 + h * 3_600_000).toISOString()},BTC,${ex},gate,100,100,0.0001,0.0002,8.76`;
    const meta = await stored([head, row(0, 'binance'), row(1, 'binance')].join('\n'), 'opps.csv');
    const r = await appendFile(meta.id, file([head, row(1, 'binance'), row(1, 'kucoin'), row(2, 'binance')].join('\n'), 'opps2.csv'));
    expect(r).toMatchObject({ added: 2, dropped: 1 });
  });
});

describe('a win rate\'s interval', () => {
  it('is the Wilson score interval', async () => {
    const { wilsonInterval } = await import('../../src/core/eval/stats');
    const w = wilsonInterval(7, 10);
    expect(w.low).toBeCloseTo(0.396778, 5);
    expect(w.high).toBeCloseTo(0.892209, 5);
    expect(wilsonInterval(0, 5)).toEqual({ low: 0, high: expect.closeTo(0.434482, 5) });
  });
});
