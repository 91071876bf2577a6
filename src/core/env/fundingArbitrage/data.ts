// What the funding-arbitrage environment steps over: an opportunities dataset (seed 001's shape)
// as hours, each with its opportunities best first, and a lookup from (hour, symbol, pair of
// venues) to the row that prices that pair then, so a held position is marked and paid funding
// hour by hour whichever venue is the cheaper one at the time.
import type { Column } from '../../data/types';
import type { DatasetSource, EnvData } from '../spec';

export interface FundingData extends EnvData {
  symbols: string[];
  venues: string[];
  /** Opportunity rows of hour h are [hourStart[h], hourStart[h + 1]), best fund_apr first. */
  hourStart: Int32Array;
  sym: Int32Array;
  longVenue: Int32Array;
  shortVenue: Int32Array;
  longPrice: Float64Array;
  shortPrice: Float64Array;
  /** Last settled rate per leg, a fraction of notional per settlement. */
  longRate: Float64Array;
  shortRate: Float64Array;
  longInterval: Float64Array;
  shortInterval: Float64Array;
  /** Next settlement per leg, epoch ms (the last one plus whole intervals when the file has none). */
  longNext: Float64Array;
  shortNext: Float64Array;
  apr: Float64Array;
  volume: Float64Array;
  /**
   * [pairKeys × hours]: the row of (symbol, lower venue index, higher venue index) at the hour, or
   * −1. Pair-major, so a held position's lookups walk memory hour after hour.
   */
  pairRow: Int32Array;
  pairKeys: number;
}

const HOUR = 3_600_000;

/** The key of a symbol's pair of venues, whichever is long. */
export function pairKey(data: Pick<FundingData, 'venues'>, sym: number, a: number, b: number): number {
  const v = data.venues.length;
  return (sym * v + Math.min(a, b)) * v + Math.max(a, b);
}

function textCodes(col: Column | null, what: string): { codes: Int32Array; dictionary: string[] } {
  if (!col || col.type !== 'text') throw new Error(`the opportunities have no ${what} column`);
  return { codes: col.codes, dictionary: col.dictionary };
}

function numbers(col: Column | null, what: string, fallback?: Float64Array): Float64Array {
  if (col && (col.type === 'number' || col.type === 'time')) return col.values;
  if (fallback) return fallback;
  throw new Error(`the opportunities have no ${what} column`);
}

/** Venue codes of two text columns in one shared dictionary. */
function venueCodes(long: { codes: Int32Array; dictionary: string[] }, short: { codes: Int32Array; dictionary: string[] }) {
  const venues = [...new Set([...long.dictionary, ...short.dictionary])].sort();
  const index = new Map(venues.map((v, i) => [v, i]));
  const map = (c: { codes: Int32Array; dictionary: string[] }) => {
    const byCode = c.dictionary.map((v) => index.get(v)!);
    return Int32Array.from(c.codes, (k) => byCode[k]);
  };
  return { venues, long: map(long), short: map(short) };
}

export async function loadFundingData(source: DatasetSource): Promise<FundingData> {
  const { meta } = source;
  if (meta.kind !== 'funding') throw new Error(`"${meta.name}" is ${meta.kind} data; the funding-arbitrage environment needs funding opportunities (entry_time, symbol, long / short exchange, entry prices, funding rates).`);
  const col = (name: string) => (meta.columns.includes(name) ? source.column(name) : Promise.resolve(null));
  const time = numbers(await col('time'), 'time');
  const n = time.length;
  const symbolCol = textCodes(await col('symbol'), 'symbol');
  const { venues, long, short } = venueCodes(textCodes(await col('long_exchange'), 'long_exchange'), textCodes(await col('short_exchange'), 'short_exchange'));
  const longRate = numbers(await col('long_funding_rate'), 'long_funding_rate');
  const shortRate = numbers(await col('short_funding_rate'), 'short_funding_rate');
  // files without the per-leg schedule (seed 001's own) settle every 8 hours, as most venues do
  const eight = new Float64Array(n).fill(8);
  const longInterval = numbers(await col('long_funding_interval_hours'), '', eight);
  const shortInterval = numbers(await col('short_funding_interval_hours'), '', eight);
  const nextOf = (interval: Float64Array) => Float64Array.from(time, (t, i) => (Math.floor(t / (interval[i] * HOUR)) + 1) * interval[i] * HOUR);
  const longNext = numbers(await col('long_next_funding_time'), '', nextOf(longInterval));
  const shortNext = numbers(await col('short_next_funding_time'), '', nextOf(shortInterval));
  const aprCol = await col('fund_apr');
  // fund_apr as the file has it, else the annualised net funding per hour of the pair (in %)
  const apr = numbers(aprCol, '', Float64Array.from(longRate, (lr, i) => (shortRate[i] / shortInterval[i] - lr / longInterval[i]) * 8760 * 100));
  const volume = numbers(await col('volume_24h'), '', new Float64Array(n).fill(NaN));
  const data = {
    symbols: symbolCol.dictionary, venues, sym: symbolCol.codes, longVenue: long, shortVenue: short,
    longPrice: numbers(await col('entry_long_price'), 'entry_long_price'), shortPrice: numbers(await col('entry_short_price'), 'entry_short_price'),
    longRate, shortRate, longInterval, shortInterval, longNext, shortNext, apr, volume,
  };
  return fundingData(time, data);
}

/** Orders the rows by hour and fund_apr (best first) and builds the hour index and the pair lookup. */
export function fundingData(rowTime: Float64Array, cols: Omit<FundingData, 'rows' | 'firstValidRow' | 'time' | 'hourStart' | 'pairRow' | 'pairKeys'>): FundingData {
  const n = rowTime.length;
  const order = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => rowTime[a] - rowTime[b] || cols.apr[b] - cols.apr[a] || a - b);
  const pick = <T extends Float64Array | Int32Array>(v: T): T => {
    const out = new (v.constructor as new (k: number) => T)(n);
    for (let i = 0; i < n; i++) out[i] = v[order[i]];
    return out;
  };
  const sorted = {
    symbols: cols.symbols, venues: cols.venues,
    sym: pick(cols.sym), longVenue: pick(cols.longVenue), shortVenue: pick(cols.shortVenue), longPrice: pick(cols.longPrice), shortPrice: pick(cols.shortPrice),
    longRate: pick(cols.longRate), shortRate: pick(cols.shortRate), longInterval: pick(cols.longInterval), shortInterval: pick(cols.shortInterval),
    longNext: pick(cols.longNext), shortNext: pick(cols.shortNext), apr: pick(cols.apr), volume: pick(cols.volume),
  };
  const times: number[] = [];
  const starts: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = rowTime[order[i]];
    if (times.length === 0 || t !== times[times.length - 1]) { times.push(t); starts.push(i); }
  }
  starts.push(n);
  const hours = times.length;
  const pairKeys = cols.symbols.length * cols.venues.length * cols.venues.length;
  const pairRow = new Int32Array(hours * pairKeys).fill(-1);
  for (let h = 0; h < hours; h++) {
    for (let r = starts[h]; r < starts[h + 1]; r++) pairRow[pairKey(cols, sorted.sym[r], sorted.longVenue[r], sorted.shortVenue[r]) * hours + h] = r;
  }
  return { ...sorted, rows: hours, firstValidRow: 1, time: Float64Array.from(times), hourStart: Int32Array.from(starts), pairRow, pairKeys };
}
