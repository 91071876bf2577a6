// Finished funding-arbitrage episodes, kept as numbers until they are drained: an episode's end
// copies its figures and its trades into one growing Float64Array, and drainEpisodes() builds the
// records (objects, ISO times, the trades table) from it. A record built at once lived in the
// pending list until the drain and, with its trades, was a fifth of a step's time and most of the
// garbage collector's; built at the drain it dies young.
import { pythonIsoTime } from '../../clock';
import { isoTime, type EpisodeHeader } from '../records';
import type { FundingData } from './data';

export interface TradingConfig {
  max_leverage: number;
  target_utilization: number;
  max_positions: number;
  liquidation_buffer: number;
  stop_loss: number;
}

export interface FundingTrade {
  entry_time: string | null;
  exit_time: string | null;
  symbol: string;
  long_exchange: string;
  short_exchange: string;
  size: number;
  leverage: number;
  margin: number;
  entry_long_price: number;
  entry_short_price: number;
  exit_long_price: number;
  exit_short_price: number;
  long_funding_rate: number;
  short_funding_rate: number;
  funding_long: number;
  funding_short: number;
  fees: number;
  realized_pnl: number;
  hours_held: number;
  exit_reason: 'agent' | 'stop_loss' | 'liquidation' | 'episode_end';
}

export interface FundingEpisode extends EpisodeHeader {
  return_pct: number;
  net_pnl: number;
  funding_earned: { long: number; short: number; total: number };
  fees: number;
  slippage: number;
  price_pnl: number;
  liquidation_loss: number;
  liquidations: number;
  positions_opened: number;
  positions_closed: number;
  mean_hours_held: number;
  max_drawdown: number;
  mean_utilization: number;
  config: TradingConfig;
  reward_breakdown: { funding: number; fees: number; slippage: number; price: number; liquidation: number };
  action_counts: { hold: number; open: number; close: number };
  portfolio: { starting_balance: number; ending_balance: number; return_pct: number; max_drawdown: number };
  trades: FundingTrade[];
}

/** Fields of a kept trade (the env's per-copy trade table and an episode's entry here alike). */
export const TRADE_FIELDS = 20;
export const REASONS = ['agent', 'stop_loss', 'liquidation', 'episode_end'] as const;

/** Where an episode's figures sit in its entry; its trades follow them. */
export const E = {
  episode: 0, reward: 1, length: 2, timestep: 3, wallMs: 4, startRow: 5, endRow: 6, equity: 7,
  /** 8 values: funding long, funding short, fees, slippage, price, liquidation, hours held, utilization sum. */
  money: 8,
  /** 6 values: liquidations, opened, closed, hold, open, close. */
  counts: 16,
  maxDd: 22,
  /** 5 values, TradingConfig's order. */
  config: 23,
  trades: 28,
  size: 29,
} as const;

export class EpisodeLog {
  private buf = new Float64Array(4096);
  private used = 0;
  private readonly hourIso: (string | null | undefined)[];
  private stampMs = NaN;
  private stamp = '';

  constructor(private readonly d: FundingData, private readonly startingBalance: number) {
    this.hourIso = new Array(d.rows).fill(undefined);
  }

  get empty(): boolean {
    return this.used === 0;
  }

  /** Room for an episode of `trades` trades; returns where its entry starts (E's offsets from there). */
  reserve(trades: number): number {
    const at = this.used, need = at + E.size + trades * TRADE_FIELDS;
    if (need > this.buf.length) {
      const grown = new Float64Array(Math.max(need, 2 * this.buf.length));
      grown.set(this.buf.subarray(0, at));
      this.buf = grown;
    }
    this.used = need;
    return at;
  }

  /** The array reserve()'s offset points into (it changes when the log grows). */
  get values(): Float64Array {
    return this.buf;
  }

  clear(): void {
    this.used = 0;
  }

  /** The episodes kept so far as records, oldest first; the log is emptied. */
  drainInto(out: FundingEpisode[]): void {
    const b = this.buf;
    for (let at = 0; at < this.used; at += E.size + b[at + E.trades] * TRADE_FIELDS) out.push(this.record(at));
    this.used = 0;
  }

  private iso(h: number): string | null {
    let t = this.hourIso[h];
    if (t === undefined) t = this.hourIso[h] = isoTime(this.d.time[h]);
    return t;
  }

  /** The wall-clock time of the episode's end, as seed 000's records write it (local, microseconds). */
  private timestamp(ms: number): string {
    if (ms !== this.stampMs) {
      this.stampMs = ms;
      this.stamp = pythonIsoTime(new Date(ms));
    }
    return this.stamp;
  }

  // Indices read from the log are written `| 0`: a double used as an index is several times slower.
  // The records are built with classes rather than object literals: a literal's allocation site
  // that sees a drained batch alive at a scavenge is marked to allocate in the old generation for
  // good (V8's pretenuring), after which every record cost about 15 µs instead of 1–2 µs (its
  // numbers written into old objects, the garbage left to full collections). An instance has no
  // allocation site; as JSON, structured clone or a spread it is the same plain record, same
  // fields in the same order.
  private record(at: number): FundingEpisode {
    const b = this.buf, d = this.d;
    const count = b[at + E.trades] | 0;
    const trades: FundingTrade[] = new Array(count);
    for (let k = 0; k < count; k++) {
      const t = at + E.size + k * TRADE_FIELDS;
      trades[k] = new TradeRecord(b, t, this.iso(b[t] | 0), this.iso(b[t + 1] | 0), d.symbols[b[t + 2] | 0], d.venues[b[t + 3] | 0], d.venues[b[t + 4] | 0]);
    }
    return new EpisodeRecord(b, at, this.startingBalance, this.timestamp(b[at + E.wallMs]), this.iso(b[at + E.startRow] | 0), this.iso(b[at + E.endRow] | 0), trades);
  }
}

// The record's fields are the interface's (declaration merging), set in its order in the constructor:
// one list of field names, and the same key order in every record.
interface TradeRecord extends FundingTrade {}
class TradeRecord {
  /** The trade at b[t..t + TRADE_FIELDS), its times and names already looked up. */
  constructor(b: Float64Array, t: number, entry: string | null, exit: string | null, symbol: string, long: string, short: string) {
    this.entry_time = entry; this.exit_time = exit; this.symbol = symbol; this.long_exchange = long; this.short_exchange = short;
    this.size = b[t + 5]; this.leverage = b[t + 6]; this.margin = b[t + 7];
    this.entry_long_price = b[t + 8]; this.entry_short_price = b[t + 9]; this.exit_long_price = b[t + 10]; this.exit_short_price = b[t + 11];
    this.long_funding_rate = b[t + 12]; this.short_funding_rate = b[t + 13]; this.funding_long = b[t + 14]; this.funding_short = b[t + 15];
    this.fees = b[t + 16]; this.realized_pnl = b[t + 17]; this.hours_held = b[t + 18]; this.exit_reason = REASONS[b[t + 19] | 0];
  }
}

class FundingEarned {
  constructor(public long: number, public short: number, public total: number) {}
}

class Config implements TradingConfig {
  constructor(public max_leverage: number, public target_utilization: number, public max_positions: number, public liquidation_buffer: number, public stop_loss: number) {}
}

class RewardBreakdown {
  constructor(public funding: number, public fees: number, public slippage: number, public price: number, public liquidation: number) {}
}

class ActionCounts {
  constructor(public hold: number, public open: number, public close: number) {}
}

class Portfolio {
  constructor(public starting_balance: number, public ending_balance: number, public return_pct: number, public max_drawdown: number) {}
}

// as TradeRecord: the interface's fields, set in its order
interface EpisodeRecord extends FundingEpisode {}
class EpisodeRecord {
  /** The episode whose entry starts at b[at] (E's offsets), `sb` the starting balance. */
  constructor(b: Float64Array, at: number, sb: number, timestamp: string, start: string | null, end: string | null, trades: FundingTrade[]) {
    const m = at + E.money, c = at + E.counts, g = at + E.config;
    const eq = b[at + E.equity], ret = (eq / sb - 1) * 100;
    const closed = b[c + 2], steps = b[at + E.length], maxDd = b[at + E.maxDd];
    const pct = (x: number) => (x / sb) * 100;
    this.episode = b[at + E.episode];
    this.reward = b[at + E.reward];
    this.length = steps;
    this.timestep = b[at + E.timestep];
    this.timestamp = timestamp;
    this.start_time = start;
    this.end_time = end;
    this.return_pct = ret;
    this.net_pnl = eq - sb;
    this.funding_earned = new FundingEarned(b[m], b[m + 1], b[m] + b[m + 1]);
    this.fees = b[m + 2];
    this.slippage = b[m + 3];
    this.price_pnl = b[m + 4];
    this.liquidation_loss = b[m + 5];
    this.liquidations = b[c];
    this.positions_opened = b[c + 1];
    this.positions_closed = closed;
    this.mean_hours_held = closed ? b[m + 6] / closed : 0;
    this.max_drawdown = maxDd;
    this.mean_utilization = steps ? b[m + 7] / steps : 0;
    this.config = new Config(b[g], b[g + 1], b[g + 2], b[g + 3], b[g + 4]);
    this.reward_breakdown = new RewardBreakdown(pct(b[m] + b[m + 1]), -pct(b[m + 2]), -pct(b[m + 3]), pct(b[m + 4]), -pct(b[m + 5]));
    this.action_counts = new ActionCounts(b[c + 3], b[c + 4], b[c + 5]);
    this.portfolio = new Portfolio(sb, eq, ret, maxDd);
    this.trades = trades;
  }
}
