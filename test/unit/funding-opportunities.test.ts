// Funding histories in the shapes traders export them, and opportunities built from them: long the
// venue that pays less per hour, short the one that pays more, every figure known at its hour.
import { existsSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importBytes } from '../../src/core/data/importer';
import type { Dataset } from '../../src/core/data/types';
import { historiesOf, opportunitiesDataset } from '../../src/core/funding/build';
import { canonicalSymbol, settlementInterval, symbolOfName, venueOfName } from '../../src/core/funding/history';
import { buildOpportunities, tableCsv, type PriceCandles } from '../../src/core/funding/opportunities';

const enc = (s: string) => new TextEncoder().encode(s);
const H = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);

async function dataset(text: string, name: string, timeZone?: string): Promise<Dataset> {
  const outcome = await importBytes(enc(text), name, { acceptGuess: true, timeZone });
  if (outcome.status !== 'ready') throw new Error(outcome.preview.reason);
  return outcome.dataset;
}

describe('names', () => {
  it('canonical symbols, venues and symbols in file names', () => {
    expect(['BTC/USDT:USDT', 'BTCUSDT', 'btc_usdt', 'BTC-USDT-SWAP', 'ETH-USDT'].map(canonicalSymbol)).toEqual(['BTC-USDT', 'BTC-USDT', 'BTC-USDT', 'BTC-USDT', 'ETH-USDT']);
    expect(venueOfName('BTC-USDT_binance_2023_funding.csv')).toBe('binance');
    expect(venueOfName('gateio-funding.csv')).toBe('gate');
    expect(venueOfName('rates.csv')).toBeNull();
    expect(symbolOfName('BTC-USDT_binance_2023_funding.csv')).toBe('BTC-USDT');
    expect(symbolOfName('BTCUSDT-fundingRate-2023-01.csv')).toBe('BTC-USDT');
  });

  it('settlement intervals from the spacing, snapped to venues\u2019 schedules', () => {
    const every = (hours: number, n = 10) => Float64Array.from({ length: n }, (_, i) => T0 + i * hours * H);
    expect([1, 4, 8].map((h) => settlementInterval(every(h)))).toEqual([1, 4, 8]);
    // a missing settlement or a millisecond late changes nothing
    const gappy = every(8); gappy[4] += 8 * H; gappy[2] += 8;
    expect(settlementInterval(gappy)).toBe(8);
  });
});

describe('funding histories in the shapes traders export', () => {
  it('ccxt fetchFundingRateHistory JSON', async () => {
    const rows = [0, 8, 16].map((h, i) => ({ info: {}, symbol: 'BTC/USDT:USDT', fundingRate: [0.0001, 0.0002, 0.0003][i], timestamp: T0 + h * H, datetime: new Date(T0 + h * H).toISOString() }));
    const d = await dataset(JSON.stringify(rows.map(({ info: _info, ...r }) => r)), 'okx-btc.json');
    const [h] = historiesOf([{ dataset: d }]);
    expect(h).toMatchObject({ venue: 'okx', symbol: 'BTC-USDT', intervalHours: 8, intervalFrom: 'spacing' });
    expect(Array.from(h.times)).toEqual([T0, T0 + 8 * H, T0 + 16 * H]);
    expect(Array.from(h.rates)).toEqual([0.0001, 0.0002, 0.0003]);
  });

  it("Binance's archive CSV, its interval from the file, its venue named by the person", async () => {
    const csv = 'calc_time,funding_interval_hours,last_funding_rate\n' + [0, 4, 8].map((h, i) => `${T0 + h * H + 1},4,${0.0001 + i * 0.00001}`).join('\n') + '\n';
    const d = await dataset(csv, 'BTCUSDT-fundingRate-2024-01.csv');
    expect(() => historiesOf([{ dataset: d }])).toThrow(/which venue is this/);
    const [h] = historiesOf([{ dataset: d, venue: 'binance' }]);
    expect(h).toMatchObject({ venue: 'binance', symbol: 'BTC-USDT', intervalHours: 4, intervalFrom: 'file' });
    expect(h.times[0]).toBe(T0); // 1 ms late, rounded to the minute
  });

  it("Bybit's CSV", async () => {
    const csv = 'symbol,fundingRate,fundingRateTimestamp\n' + [0, 8, 16].map((h) => `BTCUSDT,-0.00002,${T0 + h * H}`).join('\n') + '\n';
    const [h] = historiesOf([{ dataset: await dataset(csv, 'bybit_funding.csv') }]);
    expect(h).toMatchObject({ venue: 'bybit', symbol: 'BTC-USDT', intervalHours: 8 });
  });

  it('the shared files\u2019 Symbol,Date,Funding Rate, in the zone the person says', async () => {
    const csv = 'Symbol,Date,Funding Rate\nETH-USDT,2024-01-01 03:00:00.000,0.0001\nETH-USDT,2024-01-01 11:00:00.001,0.0002\n';
    const [h] = historiesOf([{ dataset: await dataset(csv, 'ETH-USDT_binance_2024_funding.csv', '+03:00') }]);
    expect(Array.from(h.times)).toEqual([T0, T0 + 8 * H]);
  });
});

describe('opportunities', () => {
  const history = (venue: string, hours: number, times: number[], rates: number[]) => ({
    venue, symbol: 'BTC-USDT', times: Float64Array.from(times, (t) => T0 + t * H), rates: Float64Array.from(rates), intervalHours: hours, intervalFrom: 'spacing' as const, source: venue,
  });
  const candles = (n: number): PriceCandles => ({
    time: Float64Array.from({ length: n }, (_, i) => T0 + i * H),
    open: Float64Array.from({ length: n }, (_, i) => 100 + i),
    close: Float64Array.from({ length: n }, (_, i) => 101 + i),
    volume: Float64Array.from({ length: n }, () => 2),
    source: 'btc-1h',
  });

  it('hand-computed: the cheaper venue per hour is long, APR the annualised net, all known at the hour', () => {
    // A settles every 8 h at 0.0008 (0.0001 an hour); B every hour, 0.0003 then 0.00005 from 02:00
    const a = history('a', 8, [0], [0.0008]);
    const b = history('b', 1, [0, 1, 2, 3], [0.0003, 0.0003, 0.00005, 0.00005]);
    const { table } = buildOpportunities([a, b], new Map([['BTC-USDT', candles(4)]]));
    const col = (name: string) => table.columns[table.names.indexOf(name)];
    const text = (name: string) => { const c = col(name); return c.type === 'text' ? Array.from(c.codes, (k) => c.dictionary[k]) : []; };
    const nums = (name: string) => Array.from((col(name) as { values: Float64Array }).values);
    expect(table.rowCount).toBe(4);
    expect(nums('entry_time')).toEqual([0, 1, 2, 3].map((h) => T0 + h * H));
    // 00:00 and 01:00: A costs 0.0001 an hour, B 0.0003: long A, short B; from 02:00 B is the cheaper
    expect(text('long_exchange')).toEqual(['a', 'a', 'b', 'b']);
    expect(text('short_exchange')).toEqual(['b', 'b', 'a', 'a']);
    expect(nums('long_funding_rate')).toEqual([0.0008, 0.0008, 0.00005, 0.00005]);
    expect(nums('fund_apr')[0]).toBeCloseTo((0.0003 - 0.0001) * 8760 * 100, 10);
    expect(nums('fund_apr')[2]).toBeCloseTo((0.0001 - 0.00005) * 8760 * 100, 10);
    expect(nums('entry_long_price')).toEqual([100, 101, 102, 103]);
    expect(nums('entry_short_price')).toEqual(nums('entry_long_price'));
    // the bars before each hour: none, then 1, 2, 3 bars of 2 × close
    expect(nums('volume_24h')).toEqual([NaN, 2 * 101, 2 * 101 + 2 * 102, 2 * 101 + 2 * 102 + 2 * 103]);
    expect(nums('long_next_funding_time')[0]).toBe(T0 + 8 * H);
    expect(nums('short_next_funding_time')[0]).toBe(T0 + H);
  });

  it('an observation at an hour depends on settlements at or before it only', () => {
    const a = history('a', 8, [0], [0.0008]);
    const b = history('b', 1, [0, 1, 2, 3], [0.0003, 0.0003, 0.00005, 0.00005]);
    const prices = new Map([['BTC-USDT', candles(4)]]);
    const full = tableCsv(buildOpportunities([a, b], prices).table).split('\n');
    // change B's settlement at 03:00: the rows of 00:00..02:00 are the same
    const changed = { ...b, rates: Float64Array.from([0.0003, 0.0003, 0.00005, 0.9]) };
    const shifted = tableCsv(buildOpportunities([a, changed], prices).table).split('\n');
    expect(shifted.slice(0, 4)).toEqual(full.slice(0, 4));
    expect(shifted[4]).not.toEqual(full[4]);
  });

  it('a venue whose last settlement is over two intervals old is left out of the hour', () => {
    const a = history('a', 1, [0], [0.0001]);
    const b = history('b', 1, [0, 1, 2, 3, 4], [0.0002, 0.0002, 0.0002, 0.0002, 0.0002]);
    const { table } = buildOpportunities([a, b], new Map([['BTC-USDT', candles(5)]]));
    expect(table.rowCount).toBe(3); // 00:00, 01:00, 02:00; at 03:00 A's rate is three hours old
  });

  it('needs candles for each symbol and two venues', () => {
    expect(() => buildOpportunities([history('a', 8, [0], [0.0001]), history('b', 8, [0], [0.0002])], new Map())).toThrow(/no price candles for BTC-USDT; give them \(--prices BTC-USDT=/);
    expect(() => buildOpportunities([history('a', 8, [0], [0.0001])], new Map([['BTC-USDT', candles(2)]]))).toThrow(/no opportunities/);
  });

  const DATA = resolve(__dirname, '../../../shared/data');
  it.skipIf(!existsSync(DATA))('from the shared 2023 files: a dataset of kind funding opportunities, each venue at its own schedule, and its CSV imports back as one', async () => {
    const read = async (file: string, zone?: string) => dataset(readFileSync(`${DATA}/${file}`, 'utf8'), file.split('/').pop()!, zone);
    const funding = [
      { dataset: await read('funding/BTC-USDT_binance_2023_funding.csv', '+03:00') },
      { dataset: await read('funding/BTC-USDT_gate_2023_funding.csv') },
      { dataset: await read('funding/BTC-USDT_dydx_2023_funding.csv') },
    ];
    const { dataset: built, table } = await opportunitiesDataset(funding, new Map([['BTC-USDT', await read('BTC_USDT-1h-2023-futures.csv')]]), 'btc-opportunities');
    expect(built.meta.kind).toBe('funding');
    expect(built.meta.rows).toBe(8760 * 3);
    const notes = built.meta.issues.map((i) => i.message).join('\n');
    expect(notes).toContain('binance BTC-USDT: settles every 8 h');
    expect(notes).toContain('dydx BTC-USDT: settles every 1 h');
    expect(notes).toContain('zero basis');
    const back = await dataset(tableCsv(table), 'btc-opportunities.csv');
    expect(back.meta.kind).toBe('funding');
    expect(back.meta.rows).toBe(built.meta.rows);
  });
});
