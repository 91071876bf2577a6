// A venue's funding-rate history, read from the exports traders have: the shared files'
// `Symbol,Date,Funding Rate`, ccxt's fetchFundingRateHistory (`symbol, fundingRate, timestamp,
// datetime`), Binance's archive (`calc_time, funding_interval_hours, last_funding_rate`) and
// Bybit's (`symbol, fundingRate, fundingRateTimestamp`), each imported first as a time series.
// Pure: no DOM, no IndexedDB.
import { normalizeName } from '../data/columns';
import type { Column } from '../data/types';

export interface FundingHistory {
  venue: string;
  /** Canonical BASE-QUOTE, e.g. BTC-USDT. */
  symbol: string;
  /** Settlement times, epoch ms UTC, rounded to the minute, ascending. */
  times: Float64Array;
  /** The rate settled at each time, a fraction of notional per settlement (positive: longs pay shorts). */
  rates: Float64Array;
  /** Hours between settlements: the file's own figure, or the median spacing. */
  intervalHours: number;
  /** Where the interval came from, for the report. */
  intervalFrom: 'file' | 'spacing';
  /** The dataset or file it came from. */
  source: string;
}

/** A table of named columns: a stored dataset's, or a parsed file's. */
export interface NamedColumns {
  /** The dataset's name or file name: venue and symbol are read from it when no column gives them. */
  name: string;
  names: readonly string[];
  columns: readonly Column[];
}

export class FundingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FundingError';
  }
}

/** Venues the lab recognises in file names and columns, longest names first so "gateio" is not "gate". */
export const KNOWN_VENUES = ['binance', 'bybit', 'okx', 'dydx', 'gateio', 'gate', 'htx', 'huobi', 'kucoin', 'mexc', 'bitget', 'bitmex', 'deribit', 'kraken', 'hyperliquid', 'coinbase', 'bingx', 'phemex'];
const QUOTES = ['USDT', 'USDC', 'BUSD', 'FDUSD', 'USD'];

/** BTC/USDT:USDT, BTCUSDT, btc_usdt, BTC-USDT-SWAP → BTC-USDT. */
export function canonicalSymbol(raw: string): string {
  let s = raw.trim().toUpperCase().replace(/:.*$/, '').replace(/-SWAP$|-PERP$|PERP$/, '');
  const parts = s.split(/[-/_ ]+/).filter(Boolean);
  if (parts.length >= 2) return `${parts[0]}-${parts[1]}`;
  s = parts[0] ?? s;
  for (const q of QUOTES) if (s.length > q.length && s.endsWith(q)) return `${s.slice(0, -q.length)}-${q}`;
  return s;
}

/** The venue a name mentions (BTC-USDT_binance_2023_funding.csv → binance), or null. */
export function venueOfName(name: string): string | null {
  const tokens = name.toLowerCase().split(/[^a-z0-9]+/);
  for (const venue of KNOWN_VENUES) if (tokens.includes(venue)) return venue === 'gateio' ? 'gate' : venue === 'huobi' ? 'htx' : venue;
  return null;
}

/** The symbol a name mentions (BTC-USDT_binance..., BTCUSDT-fundingRate-2023-01.csv), or null. */
export function symbolOfName(name: string): string | null {
  const base = name.replace(/\.[^.]+$/, '');
  const pair = /([A-Za-z0-9]{2,12})[-_/](USDT|USDC|BUSD|FDUSD|USD)(?![A-Za-z])/i.exec(base);
  if (pair) return `${pair[1].toUpperCase()}-${pair[2].toUpperCase()}`;
  const joined = /(?:^|[^A-Za-z0-9])([A-Za-z0-9]{2,12}?)(USDT|USDC|BUSD|FDUSD)(?![A-Za-z])/i.exec(base);
  return joined ? `${joined[1].toUpperCase()}-${joined[2].toUpperCase()}` : null;
}

const RATE_NAMES = ['funding_rate', 'fundingrate', 'last_funding_rate', 'lastfundingrate', 'rate', 'funding'];
const INTERVAL_NAMES = ['funding_interval_hours', 'fundingintervalhours', 'interval_hours'];

const MINUTE = 60_000;
const HOUR = 3_600_000;

/** Hours between settlements from their median spacing, snapped to the schedules venues use. */
export function settlementInterval(times: Float64Array): number {
  const gaps: number[] = [];
  for (let i = 1; i < times.length; i++) if (times[i] > times[i - 1]) gaps.push(times[i] - times[i - 1]);
  if (gaps.length === 0) return 8;
  gaps.sort((a, b) => a - b);
  const median = gaps[gaps.length >> 1] / HOUR;
  const schedules = [1, 2, 4, 8];
  return schedules.reduce((best, h) => (Math.abs(h - median) < Math.abs(best - median) ? h : best), 8);
}

/**
 * One venue's history per symbol in a time-series dataset of funding rates. `venue` overrides what
 * the name or a venue column says; several symbols in one file give one history each.
 */
export function fundingHistories(table: NamedColumns, venue?: string): FundingHistory[] {
  const normalized = table.names.map(normalizeName);
  const find = (candidates: string[]) => normalized.findIndex((n) => candidates.includes(n));
  const timeIdx = table.columns.findIndex((c, i) => c.type === 'time' && (normalized[i] === 'time' || i === 0));
  const rateIdx = find(RATE_NAMES);
  if (timeIdx < 0) throw new FundingError(`${table.name}: no time column; a funding history needs the settlement times`);
  if (rateIdx < 0 || table.columns[rateIdx].type !== 'number') {
    throw new FundingError(`${table.name}: no funding-rate column (looked for ${RATE_NAMES.join(', ')}; found ${table.names.join(', ')})`);
  }
  const venueIdx = find(['exchange', 'venue']);
  const symbolIdx = find(['symbol', 'pair', 'instrument', 'instid', 'market']);
  const intervalIdx = find(INTERVAL_NAMES);
  const numbers = (idx: number) => (table.columns[idx] as { values: Float64Array }).values;
  const times = numbers(timeIdx);
  const rates = numbers(rateIdx);
  const textAt = (idx: number, r: number): string | null => {
    const col = table.columns[idx];
    return col?.type === 'text' ? col.dictionary[col.codes[r]] : null;
  };
  const groups = new Map<string, { venue: string; symbol: string; rows: number[] }>();
  const fileVenue = venue ?? venueOfName(table.name);
  const fileSymbol = symbolOfName(table.name);
  for (let r = 0; r < times.length; r++) {
    if (!Number.isFinite(times[r]) || !Number.isFinite(rates[r])) continue;
    const v = venue ?? (venueIdx >= 0 ? venueOfName(textAt(venueIdx, r) ?? '') ?? textAt(venueIdx, r)?.toLowerCase() : null) ?? fileVenue;
    const rawSymbol = symbolIdx >= 0 ? textAt(symbolIdx, r) : null;
    const s = rawSymbol ? canonicalSymbol(rawSymbol) : fileSymbol;
    if (!v) throw new FundingError(`${table.name}: which venue is this? Its name names none of ${KNOWN_VENUES.join(', ')}, and it has no exchange column; name the venue`);
    if (!s) throw new FundingError(`${table.name}: which symbol is this? It has no symbol column and its name names none (e.g. BTC-USDT)`);
    const key = `${v}|${s}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { venue: v, symbol: s, rows: [] }));
    g.rows.push(r);
  }
  if (groups.size === 0) throw new FundingError(`${table.name}: no settlement with both a time and a rate`);
  return [...groups.values()].map((g) => {
    g.rows.sort((a, b) => times[a] - times[b]);
    const t = Float64Array.from(g.rows, (r) => Math.round(times[r] / MINUTE) * MINUTE);
    const fileInterval = intervalIdx >= 0 && table.columns[intervalIdx].type === 'number' ? numbers(intervalIdx)[g.rows[g.rows.length - 1]] : NaN;
    const fromFile = Number.isFinite(fileInterval) && fileInterval > 0;
    return {
      venue: g.venue,
      symbol: g.symbol,
      times: t,
      rates: Float64Array.from(g.rows, (r) => rates[r]),
      intervalHours: fromFile ? fileInterval : settlementInterval(t),
      intervalFrom: fromFile ? 'file' : 'spacing',
      source: table.name,
    };
  });
}
