// The approved trades each copy closed in its episode, and the list a finished episode's record
// carries: written as numbers when a trade leaves (no object per trade in the step), copied out once
// per episode, and made into rows only when something reads them (an evaluation's blotter, a played
// policy's trades table). The list travels beside the record, in a WeakMap keyed by it, so the
// record itself keeps seed 000's detailed_episodes.jsonl schema key for key; a copy of the record
// (JSON, a worker's message, the store) carries no list.
import { isoTime } from '../records';
import { EXIT_HORIZON, EXIT_LIQUIDATION, EXIT_STOP, EXIT_TAKE_PROFIT } from './signals';
import type { TradeSlots } from './trades';

/** A trade closed at the episode's end, at the last close, before its own horizon. */
const EXIT_EPISODE_END = 4;
/** A trade still open when its episode ended because the equity ran out: counted at its mark, no exit costs. */
export const EXIT_AT_MARK = 5;

/**
 * Fields of a closed trade in the log (as few as the rows need: each one written costs the step
 * time). F_CODE packs the exit kind, the side and the decision: kind × 4 + (long ? 2 : 0) + (whole ? 1 : 0).
 */
const F_ENTRY_ROW = 0, F_EXIT_ROW = 1, F_CODE = 2, F_LEVERAGE = 3, F_NOTIONAL = 4;
/** Entry price after slippage; exit price before it. */
const F_ENTRY_FILL = 5, F_EXIT_PRICE = 6;
/** The trade's net P&L, in money, as the equity counted it. */
const F_NET = 7;
const FIELDS = 8;

/** One approved trade of an episode, closed: its money in the account's currency. */
export interface TradeApprovalTrade {
  /** The bar of the entry's fill and the bar it left in (ISO 8601, UTC); entry null where not known (a restored episode). */
  entry_time: string | null;
  exit_time: string | null;
  side: 'long' | 'short';
  /** The decision that opened it: approve (full size) or approve_warning (half). */
  decision: 'approve' | 'approve_warning';
  /** Notional at entry. */
  size: number;
  leverage: number;
  margin: number;
  /** Market prices at the fills, before slippage (what the fees and slippage column then takes off). */
  entry_price: number;
  exit_price: number;
  /** Fees on both fills plus slippage against the trader on both. */
  fees: number;
  /** After every cost; net_pnl_pct in % of the starting balance. A liquidation loses the margin and the entry's fee. */
  net_pnl: number;
  net_pnl_pct: number;
  bars_held: number;
  exit_reason: 'take_profit' | 'stop' | 'liquidation' | 'horizon' | 'episode_end';
}

const EXIT_WORDS: Record<number, TradeApprovalTrade['exit_reason']> = {
  [EXIT_TAKE_PROFIT]: 'take_profit', [EXIT_STOP]: 'stop', [EXIT_LIQUIDATION]: 'liquidation', [EXIT_HORIZON]: 'horizon', [EXIT_EPISODE_END]: 'episode_end', [EXIT_AT_MARK]: 'episode_end',
};

/** What turns an episode's numbers into rows: the environment's times and costs. */
export interface TradeContext {
  time: Float64Array;
  fee: number;
  slippage: number;
  startingBalance: number;
}

/**
 * Per copy, the trades closed so far in its episode: one buffer, `capacity` trades per copy (grown,
 * rarely, when a copy needs more).
 */
export class ClosedTradeLog {
  values: Float64Array;
  capacity: number;
  readonly counts: Int32Array;

  constructor(readonly copies: number, capacity = 32) {
    this.capacity = capacity;
    this.values = new Float64Array(copies * capacity * FIELDS);
    this.counts = new Int32Array(copies);
  }

  /**
   * Keeps the trade in slot j of `slots`, copy i, leaving in bar `exitRow` by `kind` at the market
   * price px[0] with net P&L px[1] (money); passed in an array, as doubles passed one by one to a
   * call would be boxed.
   */
  keep(i: number, slots: TradeSlots, j: number, exitRow: number, kind: number, px: Float64Array): void {
    const c = this.counts[i];
    if (c >= this.capacity) this.grow();
    const b = this.values, at = (i * this.capacity + c) * FIELDS;
    // a horizon exit before the trade's last bar is the episode's end closing it
    const exit = kind === EXIT_HORIZON && exitRow < slots.lastRow[j] ? EXIT_EPISODE_END : kind;
    b[at + F_ENTRY_ROW] = slots.entryRow[j];
    b[at + F_EXIT_ROW] = exitRow;
    b[at + F_CODE] = exit * 4 + (slots.side[j] > 0 ? 2 : 0) + slots.whole[j];
    b[at + F_LEVERAGE] = slots.leverage[j];
    b[at + F_NOTIONAL] = slots.notional[j];
    b[at + F_ENTRY_FILL] = slots.entry[j];
    b[at + F_EXIT_PRICE] = px[0];
    b[at + F_NET] = px[1];
    this.counts[i] = c + 1;
  }

  private grow(): void {
    const old = this.values, cap = this.capacity, next = cap * 2;
    this.values = new Float64Array(this.copies * next * FIELDS);
    for (let i = 0; i < this.copies; i++) this.values.set(old.subarray(i * cap * FIELDS, (i * cap + this.counts[i]) * FIELDS), i * next * FIELDS);
    this.capacity = next;
  }

  /** Copy i's trades so far, copied out (an episode's list). */
  take(i: number): Float64Array {
    const from = i * this.capacity * FIELDS;
    return this.values.slice(from, from + this.counts[i] * FIELDS);
  }

  clear(i: number): void {
    this.counts[i] = 0;
  }
}

interface EpisodeTrades { values: Float64Array; context: TradeContext }

const EPISODE_TRADES = new WeakMap<object, EpisodeTrades>();

/** Sets `record`'s list of closed trades (the numbers `take` gave). */
export function attachTrades(record: object, values: Float64Array, context: TradeContext): void {
  EPISODE_TRADES.set(record, { values, context });
}

/** The closed trades of a finished episode's record, in the order they closed; none for a record that is a copy. */
export function closedTradesOf(record: unknown): TradeApprovalTrade[] {
  const kept = record && typeof record === 'object' ? EPISODE_TRADES.get(record) : undefined;
  if (!kept) return [];
  const { values: v, context: x } = kept;
  const out: TradeApprovalTrade[] = [];
  for (let at = 0; at < v.length; at += FIELDS) {
    const code = v[at + F_CODE], kind = Math.floor(code / 4), side = code & 2 ? 1 : -1, whole = code & 1;
    const notional = v[at + F_NOTIONAL], leverage = v[at + F_LEVERAGE], entryFill = v[at + F_ENTRY_FILL];
    const exitPrice = v[at + F_EXIT_PRICE], net = v[at + F_NET];
    const entryRow = v[at + F_ENTRY_ROW], exitRow = v[at + F_EXIT_ROW];
    const units = notional / entryFill;
    const entryPrice = entryFill / (side > 0 ? 1 + x.slippage : 1 - x.slippage);
    // the entry's fee and slippage always; the exit's but where the margin was lost or the trade was closed at its mark
    let fees = x.fee * notional + x.slippage * units * entryPrice;
    if (kind !== EXIT_LIQUIDATION && kind !== EXIT_AT_MARK) {
      const exitFill = exitPrice * (side > 0 ? 1 - x.slippage : 1 + x.slippage);
      fees += x.fee * units * exitFill + x.slippage * units * exitPrice;
    }
    out.push({
      entry_time: entryRow >= 0 ? isoTime(x.time[entryRow]) : null,
      exit_time: isoTime(x.time[exitRow]),
      side: side > 0 ? 'long' : 'short',
      decision: whole ? 'approve' : 'approve_warning',
      size: notional,
      leverage,
      margin: notional / leverage,
      entry_price: entryPrice,
      exit_price: exitPrice,
      fees,
      net_pnl: net,
      net_pnl_pct: (net / x.startingBalance) * 100,
      bars_held: entryRow >= 0 ? exitRow - entryRow : NaN,
      exit_reason: EXIT_WORDS[kind] ?? 'horizon',
    });
  }
  return out;
}
