// Exports that could be read are read, and said how; files that would import wrong are refused or
// reported: UTF-16, MetaTrader's date and time columns, decimal commas, thousands separators,
// Excel serial dates, prices that are text, times without a zone. Inputs are written here.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importBytes } from '../../src/core/data/importer';
import type { Dataset } from '../../src/core/data/types';

const enc = (text: string) => new TextEncoder().encode(text);

function utf16(text: string, order: 'LE' | 'BE'): Uint8Array {
  const out = new Uint8Array(2 + text.length * 2);
  out.set(order === 'LE' ? [0xff, 0xfe] : [0xfe, 0xff]);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    out[2 + 2 * i + (order === 'LE' ? 0 : 1)] = c & 0xff;
    out[2 + 2 * i + (order === 'LE' ? 1 : 0)] = c >> 8;
  }
  return out;
}

async function dataset(bytes: Uint8Array, name: string, timeZone?: string): Promise<Dataset> {
  const outcome = await importBytes(bytes, name, { timeZone });
  if (outcome.status !== 'ready') throw new Error(`${name} asked for a mapping: ${outcome.preview.reason}`);
  return outcome.dataset;
}
const column = (d: Dataset, name: string) => Array.from((d.columns[d.meta.columns.indexOf(name)] as { values: Float64Array }).values);
const times = (d: Dataset) => column(d, 'time').map((t) => new Date(t).toISOString());
const messages = (d: Dataset) => d.meta.issues.map((i) => i.message).join('\n');

const CANDLES = 'time,open,high,low,close,volume\n2024-01-02T00:00:00Z,1.1,1.2,1.0,1.15,100\n2024-01-02T01:00:00Z,1.15,1.3,1.1,1.25,200\n';

describe('UTF-16 text', () => {
  for (const order of ['LE', 'BE'] as const) {
    it(`${order} with its byte-order mark reads as UTF-8 would, and says so`, async () => {
      const d = await dataset(utf16(CANDLES.replace(/,/g, '\t'), order), `unicode-${order}.txt`);
      expect(d.meta.kind).toBe('candles');
      expect(column(d, 'close')).toEqual([1.15, 1.25]);
      expect(times(d)).toEqual(['2024-01-02T00:00:00.000Z', '2024-01-02T01:00:00.000Z']);
      expect(messages(d)).toContain(`UTF-16 ${order} text`);
    });
  }
});

describe('a date column and a time column', () => {
  it('MetaTrader 5 (tab-separated, <DATE> <TIME> header) joins them into one time', async () => {
    const mt5 = '<DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>\n2024.01.02\t00:00:00\t1.10427\t1.10440\t1.10393\t1.10401\t1012\t0\t2\n2024.01.02\t01:00:00\t1.10401\t1.10452\t1.10375\t1.10446\t845\t0\t2\n';
    const d = await dataset(enc(mt5), 'EURUSD_H1.csv');
    expect(d.meta.kind).toBe('candles');
    expect(times(d)).toEqual(['2024-01-02T00:00:00.000Z', '2024-01-02T01:00:00.000Z']);
    expect(column(d, 'open')).toEqual([1.10427, 1.10401]);
    expect(column(d, 'volume')).toEqual([1012, 845]);
    expect(messages(d)).toContain('date column "<DATE>" and time column "<TIME>" joined into one time');
    expect(messages(d)).toContain('carry no zone: read as UTC');
  });

  it('MetaTrader 4 (no header, 2024.01.02,13:45) reads as positional candles', async () => {
    const mt4 = '2024.01.02,13:45,1.10427,1.10440,1.10393,1.10401,1012\n2024.01.02,13:50,1.10401,1.10452,1.10375,1.10446,845\n';
    const d = await dataset(enc(mt4), 'EURUSD5.csv');
    expect(d.meta.kind).toBe('candles');
    expect(times(d)).toEqual(['2024-01-02T13:45:00.000Z', '2024-01-02T13:50:00.000Z']);
    expect(column(d, 'close')).toEqual([1.10401, 1.10446]);
  });
});

describe('separators', () => {
  it('a European export (; and decimal commas, whole-number volumes) imports as candles with numeric prices', async () => {
    const eu = 'Datum;Eröffnung;Hoch;Tief;Schluss;Volumen\n02.01.2024 00:00;1,1043;1,1044;1,1039;1,1040;1012\n02.01.2024 01:00;1,1040;1,1045;1,1038;1,1045;845\n'
      .replace('Datum', 'Date').replace('Eröffnung', 'Open').replace('Hoch', 'High').replace('Tief', 'Low').replace('Schluss', 'Close').replace('Volumen', 'Volume');
    const d = await dataset(enc(eu), 'eu.csv');
    expect(d.meta.kind).toBe('candles');
    expect(d.meta.columnTypes.slice(0, 6)).toEqual(['time', 'number', 'number', 'number', 'number', 'number']);
    expect(column(d, 'open')).toEqual([1.1043, 1.104]);
    expect(column(d, 'volume')).toEqual([1012, 845]);
    expect(messages(d)).toContain('decimal commas');
  });

  it('decimal commas in the volume column too, with points grouping thousands', async () => {
    const eu = 'Date;Open;High;Low;Close;Volume\n2024-01-02 00:00;16.537,5;16.600,25;16.500,0;16.590,75;1.234,5\n2024-01-02 01:00;16.590,75;16.700,0;16.580,5;16.650,0;987,25\n';
    const d = await dataset(enc(eu), 'eu2.csv');
    expect(column(d, 'open')).toEqual([16537.5, 16590.75]);
    expect(column(d, 'volume')).toEqual([1234.5, 987.25]);
  });

  it('quoted numbers with thousands separators ("16,537.50") in a comma-delimited file', async () => {
    const us = 'Date,Open,High,Low,Close,Volume\n2024-01-02,"16,537.50","16,600.25","16,500.00","16,590.75","1,234,567"\n2024-01-03,"16,590.75","16,700.00","16,580.50","16,650.00","987,654"\n';
    const d = await dataset(enc(us), 'us.csv');
    expect(d.meta.kind).toBe('candles');
    expect(column(d, 'open')).toEqual([16537.5, 16590.75]);
    expect(column(d, 'volume')).toEqual([1234567, 987654]);
    expect(messages(d)).toContain('thousands separators');
  });
});

describe('nothing silently wrong', () => {
  it('Excel serial dates are read as dates, not as seconds after 1970', async () => {
    const xl = 'Date,Open,High,Low,Close\n44927.04167,1.1,1.2,1.0,1.15\n44927.08333,1.15,1.3,1.1,1.25\n';
    const d = await dataset(enc(xl), 'excel.csv');
    expect(times(d)).toEqual(['2023-01-01T01:00:00.000Z', '2023-01-01T02:00:00.000Z']);
    expect(messages(d)).toContain('Excel serial dates');
  });

  it('JSON nested deeper than rows of data is refused with its line, not a stack overflow', async () => {
    await expect(importBytes(enc(`[[1, ${'['.repeat(100_000)}${']'.repeat(100_000)}]]`), 'deep.json')).rejects.toThrow(/^deep\.json, line 1: nested more than 64 levels deep/);
    await expect(importBytes(enc(`{"time": 1, "x": 2}\n{"time": 2, "x": ${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}}\n`), 'deep.jsonl')).rejects.toThrow(/^deep\.jsonl, line 2: nested more than 64 levels deep/);
  });

  it('epoch seconds stay epoch seconds', async () => {
    const d = await dataset(enc('time,open,high,low,close\n1704153600,1.1,1.2,1.0,1.15\n1704157200,1.15,1.3,1.1,1.25\n'), 'epoch.csv');
    expect(times(d)[0]).toBe('2024-01-02T00:00:00.000Z');
  });

  it('a file that looks like candles but whose prices are text is refused at the first unreadable cell', async () => {
    const bad = 'time,open,high,low,close,volume\n2024-01-02T00:00:00Z,1.10 USD,1.20 USD,1.00 USD,1.15 USD,100\n2024-01-02T01:00:00Z,1.15 USD,1.30 USD,1.10 USD,1.25 USD,200\n';
    await expect(importBytes(enc(bad), 'usd.csv')).rejects.toThrow(/^usd\.csv, line 2, column "open": cannot read "1\.10 USD" as a number; the file looks like candles/);
  });

  it('times without a zone are reported with the zone they were read in, and another zone can be chosen', async () => {
    const local = 'time,open,high,low,close\n2024-01-02 03:00:00,1.1,1.2,1.0,1.15\n2024-01-02 04:00:00,1.15,1.3,1.1,1.25\n';
    const asUtc = await dataset(enc(local), 'local.csv');
    expect(asUtc.meta.timeZone).toBe('UTC');
    expect(messages(asUtc)).toContain('times in "time" carry no zone: read as UTC');
    expect(times(asUtc)[0]).toBe('2024-01-02T03:00:00.000Z');

    const istanbul = await dataset(enc(local), 'local.csv', 'Europe/Istanbul');
    expect(istanbul.meta.timeZone).toBe('Europe/Istanbul');
    expect(times(istanbul)[0]).toBe('2024-01-02T00:00:00.000Z');
    const offset = await dataset(enc(local), 'local.csv', '+03:00');
    expect(times(offset)).toEqual(times(istanbul));
    expect(messages(offset)).toContain('read as +03:00, as chosen');

    await expect(importBytes(enc(local), 'local.csv', { timeZone: 'Mars/Olympus' })).rejects.toThrow(/local\.csv: "Mars\/Olympus" is not a time zone/);
    // times that carry their zone are left as they are, and the dataset says there was nothing to place
    const zoned = await dataset(enc(CANDLES), 'zoned.csv', '+03:00');
    expect(zoned.meta.timeZone).toBeNull();
    expect(times(zoned)[0]).toBe('2024-01-02T00:00:00.000Z');
  });

  const FUNDING = resolve(__dirname, '../../../shared/data/funding');
  it.skipIf(!existsSync(FUNDING))('the shared Binance funding file read as UTC+03:00 settles at 00:00, 08:00 and 16:00 UTC, as Gate read as UTC does', async () => {
    const binance = await dataset(new Uint8Array(readFileSync(`${FUNDING}/BTC-USDT_binance_2023_funding.csv`)), 'binance.csv', '+03:00');
    const gate = await dataset(new Uint8Array(readFileSync(`${FUNDING}/BTC-USDT_gate_2023_funding.csv`)), 'gate.csv');
    const hours = (d: Dataset) => new Set(column(d, 'time').map((t) => new Date(Math.round(t / 60_000) * 60_000).toISOString().slice(11, 16)));
    expect([...hours(binance)].sort()).toEqual(['00:00', '08:00', '16:00']);
    expect([...hours(gate)].sort()).toEqual(['00:00', '08:00', '16:00']);
    expect(binance.meta.timeZone).toBe('+03:00');
    expect(gate.meta.timeZone).toBe('UTC');
  });
});
