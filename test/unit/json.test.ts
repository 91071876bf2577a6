import { describe, expect, it } from 'vitest';
import { importBytes } from '../../src/core/data/importer';
import { bytesOf, column, importReady } from './helpers';

const t0 = Date.UTC(2024, 0, 1);
const apiRows = [[t0, 10, 12, 9, 11, 100], [t0 + 60_000, 11, 13, 10, 12, 110]];

describe('JSON and JSONL', () => {
  it('reads exchange-API candle arrays [ts, o, h, l, c, v]', async () => {
    const ds = await importReady(JSON.stringify(apiRows), 'api.json');
    expect(ds.meta.kind).toBe('candles');
    expect(column(ds, 'time')).toEqual([t0, t0 + 60_000]);
    expect(column(ds, 'close')).toEqual([11, 12]);
  });

  it('reads arrays of objects, and rows wrapped in an object', async () => {
    const objects = apiRows.map(([t, o, h, l, c, v]) => ({ time: new Date(t).toISOString(), open: o, high: h, low: l, close: c, volume: v }));
    expect((await importReady(JSON.stringify(objects), 'o.json')).meta.rows).toBe(2);
    expect((await importReady(JSON.stringify({ data: objects }), 'w.json')).meta.rows).toBe(2);
  });

  it('reads JSONL of objects and of arrays, skipping blank lines', async () => {
    const objects = apiRows.map(([t, o, h, l, c, v]) => JSON.stringify({ timestamp: t, open: o, high: h, low: l, close: c, volume: v }));
    const ds = await importReady(objects.join('\n\n') + '\n', 'c.jsonl');
    expect(column(ds, 'open')).toEqual([10, 11]);
    const arrays = await importReady(apiRows.map((r) => JSON.stringify(r)).join('\n'), 'a.ndjson');
    expect(arrays.meta.rows).toBe(2);
  });

  it('treats null as a missing value', async () => {
    const ds = await importReady(JSON.stringify([[t0, 10, 12, 9, 11, null], [t0 + 60_000, 11, 13, 10, 12, 110]]), 'n.json');
    expect(ds.meta.stats.find((s) => s.name === 'volume')?.nanCount).toBe(1);
  });
});

describe('malformed JSON is refused with file and row', () => {
  const refuse = (text: string, name: string, pattern: RegExp) => expect(importBytes(bytesOf(text), name)).rejects.toThrow(pattern);
  it('broken JSON', () => refuse('[[1,2,3],\n[4,5', 'b.json', /^b\.json, line 2: broken JSON/));
  it('a broken JSONL line', () => refuse('{"a":1}\n{"a":\n', 'b.jsonl', /^b\.jsonl, line 2: broken JSON/));
  it('ragged arrays', () => refuse(JSON.stringify([apiRows[0], [t0, 1, 2]]), 'r.json', /^r\.json, row 2: this row has 3 values, the first row has 6$/));
  it('mixed rows', () => refuse(JSON.stringify([apiRows[0], { a: 1 }]), 'm.json', /^m\.json, row 2: expected an array like the rows before it$/));
  it('nested values', () => refuse(JSON.stringify([{ time: t0, close: { v: 1 } }]), 'n.json', /^n\.json, row 1, column "close": a nested value/));
  it('a bad number in a price field', () =>
    refuse(JSON.stringify([{ time: t0, open: '1', high: '2', low: '0.5', close: 'oops' }, { time: t0 + 1, open: '1', high: '2', low: '0.5', close: '1' }]), 's.json', /^s\.json, row 1, column "close": cannot read "oops" as a number$/));
  it('not an array', () => refuse('"hello"', 'x.json', /^x\.json: expected a JSON array of rows/));
  it('a lone object without a time asks which column is the time', async () => {
    const out = await importBytes(bytesOf('{"a": 1, "b": 2}\n'), 'x.json');
    expect(out.status === 'needs-mapping' && out.preview.reason).toMatch(/no time column found/);
  });
  it('an empty array', () => refuse('[]', 'e.json', /^e\.json: no rows found$/));
});
