// Funding-arbitrage opportunities (seed 001's shape) from venues' funding histories and price
// candles: for each hour, symbol and pair of venues, long the venue whose funding costs less per
// hour, short the one that pays more. Everything in a row is known at its hour: each venue's
// rate is the last one it settled at or before the hour, volumes are of the bars before it.
import { encodeText } from '../data/columns';
import { csvCell } from '../data/csvWrite';
import { intervalLabel, isoTime } from '../data/time';
import type { Column, ColumnMapping, Table } from '../data/types';
import { FundingError, type FundingHistory } from './history';

const HOUR = 3_600_000;
const HOURS_PER_YEAR = 24 * 365;

/** One symbol's candles: times (epoch ms, bar open), open, close and volume (base units). */
export interface PriceCandles {
  time: Float64Array;
  open: Float64Array;
  close: Float64Array;
  volume: Float64Array | null;
  /** Where they came from, for the report. */
  source: string;
}

/** The opportunities columns, in seed 001's order, then the per-leg extras the environment uses. */
export const OPPORTUNITY_COLUMNS = [
  'entry_time', 'symbol', 'long_exchange', 'short_exchange', 'entry_long_price', 'entry_short_price',
  'long_funding_rate', 'short_funding_rate', 'fund_apr', 'volume_24h',
  'long_funding_interval_hours', 'short_funding_interval_hours', 'long_next_funding_time', 'short_next_funding_time',
] as const;

/** The column mapping of a built table: every role under its own name. */
export const OPPORTUNITY_MAPPING: ColumnMapping = {
  kind: 'funding',
  roles: {
    time: 'entry_time', symbol: 'symbol', long_exchange: 'long_exchange', short_exchange: 'short_exchange',
    entry_long_price: 'entry_long_price', entry_short_price: 'entry_short_price',
    long_funding_rate: 'long_funding_rate', short_funding_rate: 'short_funding_rate', fund_apr: 'fund_apr', volume_24h: 'volume_24h',
  },
};

export interface BuiltOpportunities {
  table: Table;
  /** What the report says: each venue's schedule, the basis, the hours covered. */
  notes: string[];
}

/** Index of the last value ≤ t in a sorted array, or -1. */
function lastAtOrBefore(values: Float64Array, t: number, from: number): number {
  let i = from;
  while (i + 1 < values.length && values[i + 1] <= t) i++;
  return values[i] <= t ? i : -1;
}

/**
 * Builds the opportunities of every symbol that at least two venues' histories cover and that
 * `prices` has candles for. A venue is left out of an hour when its last settlement is more than
 * two intervals old (a gap in its export), so a stale rate never stands for a current one.
 */
export function buildOpportunities(histories: readonly FundingHistory[], prices: ReadonlyMap<string, PriceCandles>, name = 'opportunities'): BuiltOpportunities {
  const bySymbol = new Map<string, FundingHistory[]>();
  for (const h of histories) {
    const list = bySymbol.get(h.symbol) ?? [];
    if (list.some((o) => o.venue === h.venue)) throw new FundingError(`two funding histories for ${h.venue} ${h.symbol} (${list.find((o) => o.venue === h.venue)!.source} and ${h.source}); give each venue once`);
    list.push(h);
    bySymbol.set(h.symbol, list);
  }
  const notes: string[] = [];
  const cols = {
    time: [] as number[], symbol: [] as string[], long: [] as string[], short: [] as string[], price: [] as number[],
    longRate: [] as number[], shortRate: [] as number[], apr: [] as number[], volume: [] as number[],
    longInterval: [] as number[], shortInterval: [] as number[], longNext: [] as number[], shortNext: [] as number[],
  };
  for (const [symbol, venues] of [...bySymbol].sort(([a], [b]) => a.localeCompare(b))) {
    if (venues.length < 2) {
      notes.push(`${symbol}: only ${venues[0].venue} has a funding history, and an opportunity needs two venues; left out`);
      continue;
    }
    const candles = prices.get(symbol);
    if (!candles) throw new FundingError(`no price candles for ${symbol}; give them (--prices ${symbol}=<candles file>)`);
    venues.sort((a, b) => a.venue.localeCompare(b.venue));
    for (const v of venues) {
      notes.push(`${v.venue} ${symbol}: settles every ${v.intervalHours} h (${v.intervalFrom === 'file' ? 'as its file says' : `from the spacing of its ${v.times.length.toLocaleString('en-US')} settlements`}), ${isoTime(v.times[0]).slice(0, 16)} to ${isoTime(v.times[v.times.length - 1]).slice(0, 16)} UTC`);
    }
    // quote volume of the bars before each hour: prefix sums over the candles
    const quote = new Float64Array(candles.time.length + 1);
    for (let i = 0; i < candles.time.length; i++) quote[i + 1] = quote[i] + (candles.volume ? (Number.isFinite(candles.volume[i]) ? candles.volume[i] : 0) * candles.close[i] : 0);
    const pointers = venues.map(() => 0);
    let windowStart = 0;
    const before = cols.time.length;
    for (let k = 0; k < candles.time.length; k++) {
      const t = candles.time[k];
      if (t % HOUR !== 0) continue;
      while (candles.time[windowStart] < t - 24 * HOUR) windowStart++;
      const live: { v: FundingHistory; rate: number; perHour: number; next: number }[] = [];
      venues.forEach((v, j) => {
        const i = lastAtOrBefore(v.times, t, pointers[j]);
        if (i < 0) return;
        pointers[j] = i;
        const settled = v.times[i];
        if (t - settled > 2 * v.intervalHours * HOUR) return; // a gap in this venue's export
        const next = settled + (Math.floor((t - settled) / (v.intervalHours * HOUR)) + 1) * v.intervalHours * HOUR;
        live.push({ v, rate: v.rates[i], perHour: v.rates[i] / v.intervalHours, next });
      });
      for (let a = 0; a < live.length; a++) {
        for (let b = a + 1; b < live.length; b++) {
          const [lo, hi] = live[a].perHour <= live[b].perHour ? [live[a], live[b]] : [live[b], live[a]];
          cols.time.push(t); cols.symbol.push(symbol); cols.long.push(lo.v.venue); cols.short.push(hi.v.venue);
          cols.price.push(candles.open[k]);
          cols.longRate.push(lo.rate); cols.shortRate.push(hi.rate);
          cols.apr.push((hi.perHour - lo.perHour) * HOURS_PER_YEAR * 100);
          cols.volume.push(k > 0 ? quote[k] - quote[windowStart] : NaN);
          cols.longInterval.push(lo.v.intervalHours); cols.shortInterval.push(hi.v.intervalHours);
          cols.longNext.push(lo.next); cols.shortNext.push(hi.next);
        }
      }
    }
    const rows = cols.time.length - before;
    notes.push(`${symbol}: ${rows.toLocaleString('en-US')} opportunities over ${venues.length} venues; both legs priced from one set of candles (${candles.source}, every ${intervalLabel(candles.time[1] - candles.time[0])})`);
  }
  const n = cols.time.length;
  if (n === 0) throw new FundingError('no opportunities: no symbol has funding histories from two venues over hours its candles cover');
  // time order, then by symbol and the best funding first, as an opportunities export lists them
  const order = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => cols.time[a] - cols.time[b] || cols.symbol[a].localeCompare(cols.symbol[b]) || cols.apr[b] - cols.apr[a]);
  const num = (values: number[]): Column => ({ type: 'number', values: Float64Array.from(order, (i) => values[i]) });
  const time = (values: number[]): Column => ({ type: 'time', values: Float64Array.from(order, (i) => values[i]) });
  const text = (values: string[]): Column => encodeText(Array.from(order, (i) => values[i]));
  const columns: Column[] = [
    time(cols.time), text(cols.symbol), text(cols.long), text(cols.short), num(cols.price), num(cols.price),
    num(cols.longRate), num(cols.shortRate), num(cols.apr), num(cols.volume),
    num(cols.longInterval), num(cols.shortInterval), time(cols.longNext), time(cols.shortNext),
  ];
  return {
    table: { fileName: name, format: 'csv', rowCount: n, names: [...OPPORTUNITY_COLUMNS], columns, hasHeader: true, where: (r) => `opportunity ${r + 1}`, notes },
    notes,
  };
}

/** A table as CSV text: times in ISO 8601 UTC, numbers in full, text quoted where it must be. */
export function tableCsv(table: Table): string {
  const cell = (c: Column, r: number): string => {
    if (c.type === 'time') return isoTime(c.values[r]);
    if (c.type === 'number') return Number.isFinite(c.values[r]) ? String(c.values[r]) : '';
    if (c.type === 'text') return csvCell(c.dictionary[c.codes[r]]);
    throw new Error('a matrix column has no CSV form');
  };
  const lines = [table.names.join(',')];
  for (let r = 0; r < table.rowCount; r++) lines.push(table.columns.map((c) => cell(c, r)).join(','));
  return lines.join('\n') + '\n';
}
