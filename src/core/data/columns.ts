// Column names, roles and kinds: which column is the time, the close, the side...
// Names are matched case-insensitively against the aliases people and exchanges use.

import type { Column, ColumnMapping, DatasetKind, TextColumn } from './types';
import { parseTimeText, slashDatesAreDayFirst } from './time';

const MISSING_TOKENS = new Set(['', 'nan', 'na', 'n/a', 'null', 'none', 'nil', '#n/a', '-', '?']);

/** An empty cell or a spelling of "no value". */
export function isMissingToken(text: string): boolean {
  return MISSING_TOKENS.has(text.trim().toLowerCase());
}

/**
 * How a file writes its numbers: plainly (1234.5), with decimal commas as European spreadsheets
 * do (1.234,5 or 1234,5), or with thousands separators (1,234.5), told from the file itself.
 */
export type NumberFormat = 'plain' | 'decimal-comma' | 'thousands-comma';

export const NUMBER_FORMAT_NOTES: Record<Exclude<NumberFormat, 'plain'>, string> = {
  'decimal-comma': 'numbers are written with decimal commas (1.234,5): read as such, a comma being the decimal point and a point the thousands separator',
  'thousands-comma': 'numbers are written with thousands separators (16,537.50): read as such, the commas dropped',
};

const THOUSANDS_COMMA = /^[-+]?\d{1,3}(,\d{3})+(\.\d+)?$/;
const DECIMAL_COMMA = /^[-+]?(\d{1,3}(\.\d{3})+|\d+),\d+$/;
const POINT_GROUPS = /^[-+]?\d{1,3}(\.\d{3})+(,\d*)?$/;

/**
 * The number format of a file's sampled cells. Thousands separators show as 1,234.5 (or as a
 * quoted 1,234 in a comma-delimited file, where the comma cannot be a field's); decimal commas
 * as 1234,5 in a file delimited by something else.
 */
export function sniffNumberFormat(cells: readonly string[], delimiter: string): NumberFormat {
  let decimalComma = 0;
  for (const raw of cells) {
    const c = raw.trim();
    if (c.length > 40 || !c.includes(',')) continue;
    if (THOUSANDS_COMMA.test(c) && (c.includes('.') || delimiter === ',')) return 'thousands-comma';
    if (delimiter !== ',' && DECIMAL_COMMA.test(c)) decimalComma++;
  }
  return decimalComma > 0 ? 'decimal-comma' : 'plain';
}

/** The text of a number in the given format rewritten plainly (1.234,5 → 1234.5). */
export function plainNumberText(text: string, format: NumberFormat): string {
  if (format === 'plain') return text;
  const t = text.trim();
  if (format === 'thousands-comma') return THOUSANDS_COMMA.test(t) ? t.replace(/,/g, '') : t;
  return (POINT_GROUPS.test(t) ? t.replace(/\./g, '') : t).replace(',', '.');
}

/** A number written as text, or NaN. Accepts exponents and inf / infinity; rejects hex and trailing junk. */
export function parseNumberText(text: string, format: NumberFormat = 'plain'): number {
  const t = plainNumberText(text, format).trim();
  if (t === '') return NaN;
  const lower = t.toLowerCase();
  if (lower === 'inf' || lower === '+inf' || lower === 'infinity' || lower === '+infinity') return Infinity;
  if (lower === '-inf' || lower === '-infinity') return -Infinity;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(t)) return NaN;
  return Number(t);
}

export type CellType = 'number' | 'time' | 'text';

/**
 * A column's type from a sample of its cells. A column that is mostly numbers (or dates) is
 * one, so that a stray bad cell is refused by name rather than turning the column into text.
 */
export function inferCellType(values: string[], name = '', format: NumberFormat = 'plain'): { type: CellType; dayFirst: boolean } {
  let numbers = 0, times = 0, present = 0;
  const dayFirst = slashDatesAreDayFirst(values);
  for (const v of values) {
    if (isMissingToken(v)) continue;
    present++;
    if (!Number.isNaN(parseNumberText(v, format))) numbers++;
    else if (!Number.isNaN(parseTimeText(v, dayFirst))) times++;
  }
  if (present === 0) return { type: 'number', dayFirst };
  // A column named like a price or a time is one if any of its cells is.
  const role = roleOfName(name);
  const mostly = (k: number) => k >= present * 0.8;
  const timeRole = role !== undefined && TIME_ROLES.has(role);
  if (timeRole ? times === 0 && mostly(numbers) : mostly(numbers) || (role !== undefined && numbers > 0 && !TEXT_ROLES.has(role) && !ANY_TYPE_ROLES.has(role))) return { type: 'number', dayFirst };
  if (times > 0 && (mostly(times + numbers) || timeRole)) return { type: 'time', dayFirst };
  return { type: 'text', dayFirst };
}

export function encodeText(values: string[]): TextColumn {
  const index = new Map<string, number>();
  const dictionary: string[] = [];
  const codes = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    let code = index.get(v);
    if (code === undefined) { code = dictionary.length; dictionary.push(v); index.set(v, code); }
    codes[i] = code;
  }
  return { type: 'text', codes, dictionary };
}

/** Makes names non-empty and distinct: "", "close", "close" → "col1", "close", "close_2". */
export function uniqueNames(names: string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((raw, i) => {
    let name = raw.trim() || `col${i + 1}`;
    const count = seen.get(name.toLowerCase()) ?? 0;
    seen.set(name.toLowerCase(), count + 1);
    if (count > 0) name = `${name}_${count + 1}`;
    return name;
  });
}

/** "Adj Close", "adj-close", "ADJ_CLOSE" → "adj_close". */
export function normalizeName(name: string): string {
  return name.trim().toLowerCase().replace(/[\s\-./]+/g, '_').replace(/[^a-z0-9_]/g, '').replace(/^_+|_+$/g, '');
}

/** Aliases per role, normalized. The first matching column wins, in the order listed here. */
export const ROLE_ALIASES: Record<string, string[]> = {
  time: ['timestamp', 'time', 'date', 'datetime', 'date_time', 'open_time', 'opentime', 'ts', 'timestamp_ms', 'gmt_time', 'local_time', 'time_utc', 'date_utc', 'unix', 'unix_time', 'epoch', 'candle_begin_time', 'start', 't', 'entry_time', 'calc_time', 'fundingratetimestamp', 'funding_time', 'fundingtime'],
  open: ['open', 'o', 'open_price', 'opening_price', 'first'],
  high: ['high', 'h', 'high_price', 'max'],
  low: ['low', 'l', 'low_price', 'min'],
  close: ['close', 'c', 'close_price', 'closing_price', 'last', 'adj_close', 'adjusted_close', 'price_close'],
  volume: ['volume', 'vol', 'v', 'base_volume', 'volume_base', 'volume_from', 'qty', 'quantity', 'tick_volume', 'tickvol', 'volume_btc', 'volume_usd', 'quote_volume'],
  // trades
  price: ['price', 'px', 'trade_price'],
  amount: ['amount', 'size', 'qty', 'quantity', 'volume', 'vol'],
  side: ['side', 'direction', 'taker_side', 'buy_sell'],
  // funding opportunities (seed 001)
  symbol: ['symbol', 'pair', 'ticker', 'coin'],
  long_exchange: ['long_exchange'],
  short_exchange: ['short_exchange'],
  entry_long_price: ['entry_long_price'],
  entry_short_price: ['entry_short_price'],
  long_funding_rate: ['long_funding_rate'],
  short_funding_rate: ['short_funding_rate'],
  fund_apr: ['fund_apr', 'funding_apr', 'apr'],
  volume_24h: ['volume_24h', '24h_volume'],
  // trades and their outcomes (seed 003's trade collector)
  trade_id: ['trade_id', 'tradeid', 'id', 'trade', 'signal_id', 'order_id'],
  exit_time: ['exit_time', 'exittime', 'close_time', 'closed_at', 'exit_timestamp', 'exit_date'],
  exit_price: ['exit_price', 'exitprice', 'exit_px'],
  pnl: ['pnl', 'profit', 'realized_pnl', 'realised_pnl', 'profit_abs', 'pnl_usd'],
  win: ['win', 'is_win', 'iswin', 'won'],
  holding_minutes: ['holding_minutes', 'holding_time', 'holdingtime', 'hold_minutes', 'duration_minutes', 'holding_time_minutes'],
};

const TEXT_ROLES = new Set(['symbol', 'side', 'long_exchange', 'short_exchange']);
/** Roles whose column may hold numbers or text (a trade id: 1042 or "T-1042"). */
export const ANY_TYPE_ROLES = new Set(['trade_id']);
/** Roles that hold times (epoch numbers or dates). */
export const TIME_ROLES = new Set(['time', 'exit_time']);
/** A trade's outcome, filled when it closes: a trades dataset with trade ids always has these columns. */
export const TRADE_OUTCOME_ROLES = ['exit_time', 'exit_price', 'pnl', 'win', 'holding_minutes'] as const;

/** The role a column name is an alias of, if any. */
export function roleOfName(name: string): string | undefined {
  const n = normalizeName(name);
  if (!n) return undefined;
  for (const [role, aliases] of Object.entries(ROLE_ALIASES)) if (aliases.includes(n)) return role;
  return undefined;
}

export const REQUIRED_ROLES: Record<Exclude<DatasetKind, 'offline'>, string[]> = {
  candles: ['time', 'open', 'high', 'low', 'close'],
  trades: ['time', 'side', 'price', 'amount'],
  funding: ['time', 'symbol', 'long_exchange', 'short_exchange', 'entry_long_price', 'entry_short_price', 'long_funding_rate', 'short_funding_rate'],
  series: ['time'],
};
export const OPTIONAL_ROLES: Record<Exclude<DatasetKind, 'offline'>, string[]> = {
  candles: ['volume'],
  trades: ['trade_id', 'symbol', ...TRADE_OUTCOME_ROLES],
  funding: ['fund_apr', 'volume_24h'],
  series: [],
};

const allZero = (col: Column) => col.type === 'number' && col.values.every((v) => v === 0);

function findRole(role: string, normalized: string[], taken: Set<number>, columns: Column[]): number {
  let zeros = -1;
  for (const alias of ROLE_ALIASES[role]) {
    const idx = normalized.findIndex((n, i) => n === alias && !taken.has(i));
    if (idx < 0) continue;
    const t = columns[idx].type;
    if (!(TIME_ROLES.has(role) ? t === 'time' || t === 'number' : ANY_TYPE_ROLES.has(role) ? t !== 'matrix' : TEXT_ROLES.has(role) ? t === 'text' : t === 'number')) continue;
    // a volume of zeros (MetaTrader's <VOL> for forex) gives way to one with values (its <TICKVOL>)
    if (role === 'volume' && allZero(columns[idx])) { if (zeros < 0) zeros = idx; continue; }
    return idx;
  }
  return zeros;
}

function mapRoles(roles: string[], names: string[], columns: Column[]): Record<string, string> {
  const normalized = names.map(normalizeName);
  const taken = new Set<number>();
  const out: Record<string, string> = {};
  for (const role of roles) {
    const idx = findRole(role, normalized, taken, columns);
    if (idx >= 0) { out[role] = names[idx]; taken.add(idx); }
  }
  return out;
}

/**
 * [time, open, high, low, close, volume?] rows, checked rather than assumed: the first column is
 * a date or an epoch time, and on every row low <= open, close <= high with positive prices.
 */
function looksLikePositionalCandles(columns: Column[]): boolean {
  const t = columns[0];
  if (t.type !== 'time' && t.type !== 'number') return false;
  const [o, h, l, c] = columns.slice(1, 5).map((col) => (col.type === 'number' ? col.values : null));
  if (!o || !h || !l || !c) return false;
  const times = t.values as Float64Array;
  for (let i = 0; i < o.length; i++) {
    if (t.type === 'number' && !(times[i] > 1e8)) return false;
    if (!(l[i] > 0 && l[i] <= o[i] && l[i] <= c[i] && h[i] >= o[i] && h[i] >= c[i])) return false;
  }
  return true;
}

export interface Detection {
  mapping: ColumnMapping;
  /** True when the mapping is a guess the person should confirm (no header, missing roles). */
  unsure: boolean;
  reason?: string;
}

/** Which kind of dataset a table of named columns is, and which column plays which role. */
export function detectKind(names: string[], columns: Column[], hasHeader: boolean): Detection {
  if (!hasHeader) {
    // The exchange-API shape: [time, open, high, low, close, volume, ...] by position.
    const positional = ['time', 'open', 'high', 'low', 'close', 'volume'];
    const roles: Record<string, string> = {};
    const fits = columns.length >= 5 && columns.slice(0, 5).every((c) => c.type === 'number' || c.type === 'time');
    if (fits) positional.forEach((role, i) => { if (i < columns.length && columns[i].type !== 'text') roles[role] = names[i]; });
    if (fits && looksLikePositionalCandles(columns)) return { mapping: { kind: 'candles', roles }, unsure: false };
    return { mapping: { kind: 'candles', roles }, unsure: true, reason: 'the file has no header row, so the columns were guessed by position' };
  }
  const kinds: Exclude<DatasetKind, 'offline'>[] = ['funding', 'candles', 'trades'];
  const partial: { kind: DatasetKind; roles: Record<string, string>; missing: string[] }[] = [];
  for (const kind of kinds) {
    const roles = mapRoles([...REQUIRED_ROLES[kind], ...OPTIONAL_ROLES[kind]], names, columns);
    const missing = REQUIRED_ROLES[kind].filter((r) => !(r in roles));
    if (missing.length === 0) return { mapping: { kind, roles }, unsure: false };
    partial.push({ kind, roles, missing });
  }
  const time = mapRoles(['time'], names, columns);
  // Most of a kind's columns present but not all: ask rather than guess.
  for (const p of partial) {
    const needed = REQUIRED_ROLES[p.kind as Exclude<DatasetKind, 'offline'>].filter((r) => r !== 'time');
    const found = needed.filter((r) => r in p.roles).length;
    if (found >= (p.kind === 'candles' ? 1 : Math.ceil(needed.length / 2))) {
      return { mapping: { kind: p.kind, roles: p.roles }, unsure: true, reason: `no column found for ${p.missing.join(', ')}` };
    }
  }
  if ('time' in time && columns.some((c, i) => c.type === 'number' && names[i] !== time.time)) {
    return { mapping: { kind: 'series', roles: time }, unsure: false };
  }
  return {
    mapping: { kind: 'candles', roles: partial.find((p) => p.kind === 'candles')?.roles ?? {} },
    unsure: true,
    reason: 'time' in time ? 'no numeric columns found besides the time' : 'no time column found (looked for date, time, timestamp, open_time...)',
  };
}
