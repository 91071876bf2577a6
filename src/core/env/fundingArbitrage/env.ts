// Funding-rate arbitrage (seed 001): up to five hedged positions, each long on the venue whose
// funding costs less and short on the one that pays more, chosen hourly among the ten best
// opportunities, with the trading configuration (leverage, utilization, positions, liquidation
// buffer, stop-loss) sampled per episode and given in the observation. N copies over typed
// arrays; the only allocation is an episode's record.
//
// Money, leg by leg. Opening pays the fee and the slippage on each leg's notional; margin per leg
// is notional / leverage. Each hour every leg is marked at its venue's price, and a leg whose
// venue settles in that hour pays (long) or receives (short) rate × notional (a negative rate the
// other way round); no settlement at or before the entry is paid. A leg at or past its own
// liquidation price, entry × (1 ∓ (1 − maintenance margin) / leverage), is liquidated: its margin
// is lost and the other leg closed at market. The distance to it is signed, so a leg past it
// reads negative, never safe. Reward = change in equity / starting balance × 100.
import { pythonIsoTime } from '../../clock';
import { Rng } from '../../rng';
import type { Segment, VecEnv } from '../types';
import { EnvBookkeeping, isoTime, type EpisodeHeader, type TypedArray } from '../records';
import { pairKey, type FundingData } from './data';

export const FUNDING_SLOTS = 5;
export const FUNDING_TOP = 10;
export const FUNDING_SIZES = [0.1, 0.2, 0.3] as const;
/** config 5 + portfolio 10 + 5 slots × 12 + 10 opportunities × 20. */
export const FUNDING_OBS_SIZE = 5 + 10 + FUNDING_SLOTS * 12 + FUNDING_TOP * 20;
export const FUNDING_NUM_ACTIONS = 1 + FUNDING_TOP * FUNDING_SIZES.length + FUNDING_SLOTS;
export const FUNDING_ACTIONS: readonly string[] = [
  'hold',
  ...Array.from({ length: FUNDING_TOP * FUNDING_SIZES.length }, (_, k) => `open_${Math.floor(k / 3) + 1}_${FUNDING_SIZES[k % 3] * 100}pct`),
  ...Array.from({ length: FUNDING_SLOTS }, (_, j) => `close_${j + 1}`),
];
/** Where each part of the observation starts. */
export const FUNDING_OBS = { config: 0, portfolio: 5, slots: 15, slotWidth: 12, opportunities: 75, opportunityWidth: 20 } as const;

export interface TradingConfig {
  max_leverage: number;
  target_utilization: number;
  max_positions: number;
  liquidation_buffer: number;
  stop_loss: number;
}

/** Seed 001's presets, as its training commands give them. */
export const FUNDING_PRESETS: Record<'conservative' | 'moderate' | 'aggressive', Pick<TradingConfig, 'max_leverage' | 'target_utilization' | 'max_positions'>> = {
  conservative: { max_leverage: 1, target_utilization: 0.4, max_positions: 2 },
  moderate: { max_leverage: 3, target_utilization: 0.6, max_positions: 3 },
  aggressive: { max_leverage: 5, target_utilization: 0.75, max_positions: 5 },
};

export type ConfigMode = 'sample' | 'fixed' | keyof typeof FUNDING_PRESETS;

export interface FundingEnvOptions {
  data: FundingData;
  segment: Segment;
  numEnvs: number;
  seed: number;
  maxSteps: number;
  randomStart?: boolean;
  startingBalance?: number;
  /** 'sample' draws a config per episode (config-aware training); a preset or 'fixed' uses one. */
  configMode?: ConfigMode;
  /** The fixed config, and the buffer and stop-loss of the presets. */
  config?: Partial<TradingConfig>;
  /** Fee per leg per side as a fraction of notional (taker, default 0.0005). */
  fee?: number;
  /** Slippage per leg per side as a fraction of notional (default 0.0002). */
  slippage?: number;
  maintenanceMargin?: number;
  /** Smallest notional per leg worth opening (default 10). */
  minNotional?: number;
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

/** The columns of portfolioOf(). */
export const FUNDING_PORTFOLIO: readonly { key: string; label: string }[] = [
  { key: 'equity', label: 'equity' },
  { key: 'funding', label: 'funding earned' },
  { key: 'costs', label: 'fees and slippage paid' },
  { key: 'margin', label: 'margin used' },
  { key: 'open', label: 'open positions' },
  ...Array.from({ length: FUNDING_SLOTS }, (_, j) => ({ key: `slot${j + 1}_notional`, label: `slot ${j + 1} notional per leg` })),
  ...Array.from({ length: FUNDING_SLOTS }, (_, j) => ({ key: `slot${j + 1}_funding`, label: `slot ${j + 1} funding earned` })),
];

const HOUR = 3_600_000;
/** Slot fields in sNum. */
const S = {
  notional: 0, lev: 1, margin: 2, unitsL: 3, unitsS: 4, entryL: 5, entryS: 6, markL: 7, markS: 8, liqL: 9, liqS: 10,
  nextL: 11, nextS: 12, intL: 13, intS: 14, rateL: 15, rateS: 16, entryRateL: 17, entryRateS: 18, fundL: 19, fundS: 20,
  entryApr: 21, aprNow: 22, costs: 23,
} as const;
const SN = 24;
const MAX_TRADES = 64; // closed positions an episode's record keeps, per copy
const TF = 20; // fields of a kept trade
const REASONS = ['agent', 'stop_loss', 'liquidation', 'episode_end'] as const;

export class FundingArbitrageEnv extends EnvBookkeeping<FundingEpisode> implements VecEnv<FundingEpisode> {
  readonly name = 'funding-arbitrage';
  readonly numEnvs: number;
  readonly obsSize = FUNDING_OBS_SIZE;
  readonly numActions = FUNDING_NUM_ACTIONS;
  readonly actionNames = FUNDING_ACTIONS;
  readonly obs: Float32Array;
  readonly rewards: Float32Array;
  readonly pnl: Float32Array;
  readonly dones: Uint8Array;
  readonly masks: Uint8Array;
  readonly segment: Segment;
  readonly maxSteps: number;
  readonly randomStart: boolean;
  readonly startingBalance: number;
  readonly configMode: ConfigMode;
  readonly fixed: TradingConfig;
  readonly fee: number;
  readonly slippage: number;
  readonly mm: number;
  readonly minNotional: number;
  protected readonly rng: Rng;
  private readonly configRng = new Rng(1);
  private readonly d: FundingData;
  private readonly venueCount: number;

  // per copy
  private readonly row: Int32Array;
  private readonly startRow: Int32Array;
  private readonly steps: Int32Array;
  private readonly cfg: Float64Array; // [n × 5] the episode's config
  private readonly cash: Float64Array;
  private readonly peak: Float64Array;
  private readonly maxDd: Float64Array;
  private readonly epReward: Float64Array;
  private readonly money: Float64Array; // [n × 8] funding long, funding short, fees, slippage, price, liquidation, hours held, utilization sum
  private readonly counts: Int32Array; // [n × 6] liquidations, opened, closed, hold, open, close
  // per slot [n × 5]
  private readonly filled: Uint8Array;
  private readonly sInt: Int32Array; // [n × 5 × 4] symbol, long venue, short venue, entry row
  private readonly sNum: Float64Array; // [n × 5 × SN]
  private readonly trades: Float64Array; // [n × MAX_TRADES × TF]
  /** Per hour, its ten best opportunities as observed (10 × 20), but for the copy's own slots. */
  private readonly hourBlocks: readonly Float32Array[];
  private readonly tradeCount: Int32Array;
  /** ISO time of each hour, written when first needed: an episode record names up to 2 × 64 + 2. */
  private readonly hourIso: (string | null | undefined)[];

  constructor(o: FundingEnvOptions) {
    super();
    this.d = o.data;
    this.venueCount = o.data.venues.length;
    this.numEnvs = o.numEnvs;
    this.segment = o.segment;
    this.maxSteps = o.maxSteps;
    this.randomStart = o.randomStart ?? true;
    this.startingBalance = o.startingBalance ?? 10_000;
    this.configMode = o.configMode ?? 'sample';
    this.fixed = { max_leverage: 3, target_utilization: 0.6, max_positions: 3, liquidation_buffer: 0.15, stop_loss: 0.05, ...o.config };
    this.fee = o.fee ?? 0.0005;
    this.slippage = o.slippage ?? 0.0002;
    this.mm = o.maintenanceMargin ?? 0.005;
    this.minNotional = o.minNotional ?? 10;
    if (o.segment.end - o.segment.start < 2) throw new Error('the segment needs at least two hours');
    this.rng = new Rng(o.seed);
    const n = o.numEnvs;
    this.obs = new Float32Array(n * FUNDING_OBS_SIZE);
    this.rewards = new Float32Array(n);
    this.pnl = new Float32Array(n);
    this.dones = new Uint8Array(n);
    this.masks = new Uint8Array(n * FUNDING_NUM_ACTIONS);
    this.row = new Int32Array(n);
    this.startRow = new Int32Array(n);
    this.steps = new Int32Array(n);
    this.cfg = new Float64Array(n * 5);
    this.cash = new Float64Array(n);
    this.peak = new Float64Array(n);
    this.maxDd = new Float64Array(n);
    this.epReward = new Float64Array(n);
    this.money = new Float64Array(n * 8);
    this.counts = new Int32Array(n * 6);
    this.filled = new Uint8Array(n * FUNDING_SLOTS);
    this.sInt = new Int32Array(n * FUNDING_SLOTS * 4);
    this.sNum = new Float64Array(n * FUNDING_SLOTS * SN);
    this.trades = new Float64Array(n * MAX_TRADES * TF);
    this.tradeCount = new Int32Array(n);
    this.hourBlocks = hourBlocksOf(o.data);
    this.hourIso = new Array(o.data.rows).fill(undefined);
    this.reset();
  }

  currentRow(i: number): number {
    return this.row[i];
  }

  /** The episode's trading config of copy i. */
  configOf(i: number): TradingConfig {
    const c = this.cfg, o = i * 5;
    return { max_leverage: c[o], target_utilization: c[o + 1], max_positions: c[o + 2], liquidation_buffer: c[o + 3], stop_loss: c[o + 4] };
  }

  /**
   * Copy i's portfolio now, in FUNDING_PORTFOLIO's order: equity, funding earned, fees and slippage
   * paid, margin used, open positions, then per slot its notional per leg and funding earned (0 when free).
   */
  portfolioOf(i: number, out: Float64Array): void {
    this.measure(i);
    const m = i * 8, s = this.sNum;
    out[0] = this.cash[i] + this.tmp[1];
    out[1] = this.money[m] + this.money[m + 1];
    out[2] = this.money[m + 2] + this.money[m + 3];
    out[3] = this.tmp[0];
    let open = 0;
    for (let j = 0; j < FUNDING_SLOTS; j++) {
      const k = i * FUNDING_SLOTS + j, b = k * SN, filled = this.filled[k];
      open += filled;
      out[5 + j] = filled ? s[b + S.notional] : 0;
      out[5 + FUNDING_SLOTS + j] = filled ? s[b + S.fundL] + s[b + S.fundS] : 0;
    }
    out[4] = open;
  }

  protected stateArrays(): Record<string, TypedArray> {
    return {
      obs: this.obs, rewards: this.rewards, pnl: this.pnl, dones: this.dones, masks: this.masks, row: this.row, startRow: this.startRow, steps: this.steps,
      cfg: this.cfg, cash: this.cash, peak: this.peak, maxDd: this.maxDd, epReward: this.epReward, money: this.money, counts: this.counts,
      filled: this.filled, sInt: this.sInt, sNum: this.sNum, trades: this.trades, tradeCount: this.tradeCount,
    };
  }

  protected startEpisode(i: number, row = this.nextStart()): void {
    this.row[i] = row;
    this.startRow[i] = row;
    this.steps[i] = 0;
    const c = this.cfg, o = i * 5, f = this.fixed;
    if (this.configMode === 'sample') {
      // seed 001's ranges: leverage 1–10×, utilization 30–80 %, 1–5 positions. The draw is a
      // function of the episode's first hour, so copies started at one window face one market
      // under one config (as GRPO's groups need), whatever the seed or the copy
      const draw = this.configRng;
      draw.reseed(row + 1);
      c[o] = 1 + 9 * draw.next();
      c[o + 1] = 0.3 + 0.5 * draw.next();
      c[o + 2] = 1 + draw.int(FUNDING_SLOTS);
      c[o + 3] = 0.05 + 0.25 * draw.next();
      c[o + 4] = 0.02 + 0.18 * draw.next();
    } else {
      const p = this.configMode === 'fixed' ? f : { ...f, ...FUNDING_PRESETS[this.configMode] };
      c[o] = p.max_leverage; c[o + 1] = p.target_utilization; c[o + 2] = p.max_positions; c[o + 3] = p.liquidation_buffer; c[o + 4] = p.stop_loss;
    }
    this.cash[i] = this.startingBalance;
    this.peak[i] = this.startingBalance;
    this.maxDd[i] = 0;
    this.epReward[i] = 0;
    this.money.fill(0, i * 8, i * 8 + 8);
    this.counts.fill(0, i * 6, i * 6 + 6);
    this.filled.fill(0, i * FUNDING_SLOTS, (i + 1) * FUNDING_SLOTS);
    this.tradeCount[i] = 0;
  }

  // Helpers write their results here rather than return them: a double returned from a call the
  // compiler does not inline is boxed, an allocation per step.
  private readonly tmp = new Float64Array(3);
  private readonly heldSym = new Int32Array(FUNDING_SLOTS);
  private readonly heldKey = new Int32Array(FUNDING_SLOTS);

  /** tmp[0] = margin held by copy i's open legs, tmp[1] = their price P&L at the marks. */
  private measure(i: number): void {
    let m = 0, u = 0;
    const s = this.sNum;
    for (let j = 0; j < FUNDING_SLOTS; j++) {
      if (!this.filled[i * FUNDING_SLOTS + j]) continue;
      const b = (i * FUNDING_SLOTS + j) * SN;
      m += s[b + S.margin];
      u += s[b + S.unitsL] * (s[b + S.markL] - s[b + S.entryL]) + s[b + S.unitsS] * (s[b + S.entryS] - s[b + S.markS]);
    }
    this.tmp[0] = m;
    this.tmp[1] = u;
  }

  private equity(i: number): number {
    this.measure(i);
    return this.cash[i] + this.tmp[1];
  }

  /** tmp[2] = notional per leg of an open at size fraction `f` now, or 0 when it would not fit. */
  private fit(i: number, f: number, equity: number, used: number): void {
    const c = this.cfg, o = i * 5;
    const free = equity - used;
    const notional = free > 0 ? (f * free * c[o] * c[o + 1]) / c[o + 2] : 0;
    const margin = (2 * notional) / c[o];
    const cost = 2 * notional * (this.fee + this.slippage);
    this.tmp[2] = notional >= this.minNotional && margin + cost <= free ? notional : 0;
  }

  step(actions: ArrayLike<number>): void {
    const n = this.numEnvs;
    if (actions.length < n) throw new Error(`step needs ${n} actions, got ${actions.length}`);
    const d = this.d, lastRow = this.segment.end - 1, scale = 100 / this.startingBalance;
    let total = this.totalSteps;
    for (let i = 0; i < n; i++) {
      const h = this.row[i];
      const a = actions[i] | 0;
      this.measure(i);
      const eq0 = this.cash[i] + this.tmp[1];
      const cb = i * 6;
      if (a >= 1 && a <= FUNDING_TOP * 3) {
        this.counts[cb + 4]++;
        if (this.masks[i * FUNDING_NUM_ACTIONS + a]) this.open(i, h, d.hourStart[h] + ((a - 1) / 3 | 0), FUNDING_SIZES[(a - 1) % 3], eq0);
      } else if (a > FUNDING_TOP * 3 && a < FUNDING_NUM_ACTIONS) {
        this.counts[cb + 5]++;
        const j = a - 1 - FUNDING_TOP * 3;
        if (this.filled[i * FUNDING_SLOTS + j]) this.closeSlot(i, j, h, 0);
      } else this.counts[cb + 3]++;

      const h1 = h + 1;
      this.advance(i, h1);
      const s = this.steps[i] + 1;
      this.steps[i] = s;
      this.measure(i);
      let eq = this.cash[i] + this.tmp[1];
      const done = s >= this.maxSteps || h1 >= lastRow || eq <= 0;
      if (done) {
        for (let j = 0; j < FUNDING_SLOTS; j++) if (this.filled[i * FUNDING_SLOTS + j]) this.closeSlot(i, j, h1, 3);
        this.measure(i);
        eq = this.cash[i] + this.tmp[1];
      }
      const change = eq - eq0;
      this.rewards[i] = change * scale;
      this.pnl[i] = change / this.startingBalance;
      this.epReward[i] += change * scale;
      if (eq > this.peak[i]) this.peak[i] = eq;
      else if (this.peak[i] > 0) { const dd = 1 - eq / this.peak[i]; if (dd > this.maxDd[i]) this.maxDd[i] = dd; }
      this.money[i * 8 + 7] += eq > 0 ? this.tmp[0] / eq : 0;
      this.row[i] = h1;
      total++;
      if (done) {
        this.dones[i] = 1;
        this.finishEpisode(i, total);
        this.startEpisode(i);
      } else this.dones[i] = 0;
      this.writeObs(i);
    }
    this.totalSteps = total;
  }

  /** Opens opportunity row r at size fraction f into copy i's first free slot. */
  private open(i: number, h: number, r: number, f: number, equity: number): void {
    const d = this.d;
    let j = 0;
    while (j < FUNDING_SLOTS && this.filled[i * FUNDING_SLOTS + j]) j++;
    if (j === FUNDING_SLOTS) return;
    this.measure(i);
    this.fit(i, f, equity, this.tmp[0]);
    const notional = this.tmp[2];
    if (notional <= 0) return;
    const lev = this.cfg[i * 5];
    const k = i * FUNDING_SLOTS + j, b = k * SN, s = this.sNum;
    const pL = d.longPrice[r], pS = d.shortPrice[r];
    this.filled[k] = 1;
    this.sInt[k * 4] = d.sym[r]; this.sInt[k * 4 + 1] = d.longVenue[r]; this.sInt[k * 4 + 2] = d.shortVenue[r]; this.sInt[k * 4 + 3] = h;
    s[b + S.notional] = notional; s[b + S.lev] = lev; s[b + S.margin] = (2 * notional) / lev;
    s[b + S.unitsL] = notional / pL; s[b + S.unitsS] = notional / pS;
    s[b + S.entryL] = pL; s[b + S.entryS] = pS; s[b + S.markL] = pL; s[b + S.markS] = pS;
    s[b + S.liqL] = pL * (1 - (1 - this.mm) / lev); s[b + S.liqS] = pS * (1 + (1 - this.mm) / lev);
    s[b + S.nextL] = d.longNext[r]; s[b + S.nextS] = d.shortNext[r];
    s[b + S.intL] = d.longInterval[r]; s[b + S.intS] = d.shortInterval[r];
    s[b + S.rateL] = d.longRate[r]; s[b + S.rateS] = d.shortRate[r];
    s[b + S.entryRateL] = d.longRate[r]; s[b + S.entryRateS] = d.shortRate[r];
    s[b + S.fundL] = 0; s[b + S.fundS] = 0;
    s[b + S.entryApr] = d.apr[r]; s[b + S.aprNow] = d.apr[r];
    const fees = 2 * notional * this.fee, slip = 2 * notional * this.slippage;
    s[b + S.costs] = fees + slip;
    this.cash[i] -= fees + slip;
    this.money[i * 8 + 2] += fees; this.money[i * 8 + 3] += slip;
    this.counts[i * 6 + 1]++;
  }

  /** Marks copy i's legs at hour h1, pays the settlements that fell in the hour, liquidates and stops. */
  private advance(i: number, h1: number): void {
    const d = this.d, s = this.sNum, t1 = d.time[h1];
    for (let j = 0; j < FUNDING_SLOTS; j++) {
      const k = i * FUNDING_SLOTS + j;
      if (!this.filled[k]) continue;
      const b = k * SN, vL = this.sInt[k * 4 + 1], vS = this.sInt[k * 4 + 2];
      const rp = d.pairRow[h1 * d.pairKeys + pairKey(d, this.sInt[k * 4], vL, vS)];
      if (rp >= 0) {
        const sameSide = d.longVenue[rp] === vL;
        s[b + S.markL] = sameSide ? d.longPrice[rp] : d.shortPrice[rp];
        s[b + S.markS] = sameSide ? d.shortPrice[rp] : d.longPrice[rp];
        s[b + S.rateL] = sameSide ? d.longRate[rp] : d.shortRate[rp];
        s[b + S.rateS] = sameSide ? d.shortRate[rp] : d.longRate[rp];
        s[b + S.aprNow] = sameSide ? d.apr[rp] : -d.apr[rp];
      }
      // a settlement in (previous hour, this hour]: longs pay rate × notional, shorts receive it
      if (s[b + S.nextL] <= t1) {
        const paid = -s[b + S.rateL] * s[b + S.unitsL] * s[b + S.markL];
        s[b + S.fundL] += paid; this.cash[i] += paid; this.money[i * 8] += paid;
        s[b + S.nextL] = rp >= 0 ? (d.longVenue[rp] === vL ? d.longNext[rp] : d.shortNext[rp]) : s[b + S.nextL] + s[b + S.intL] * HOUR;
      }
      if (s[b + S.nextS] <= t1) {
        const got = s[b + S.rateS] * s[b + S.unitsS] * s[b + S.markS];
        s[b + S.fundS] += got; this.cash[i] += got; this.money[i * 8 + 1] += got;
        s[b + S.nextS] = rp >= 0 ? (d.longVenue[rp] === vL ? d.shortNext[rp] : d.longNext[rp]) : s[b + S.nextS] + s[b + S.intS] * HOUR;
      }
      if (s[b + S.markL] <= s[b + S.liqL] || s[b + S.markS] >= s[b + S.liqS]) this.liquidate(i, j, h1, s[b + S.markL] <= s[b + S.liqL]);
      else {
        const pricePnl = s[b + S.unitsL] * (s[b + S.markL] - s[b + S.entryL]) + s[b + S.unitsS] * (s[b + S.entryS] - s[b + S.markS]);
        if (pricePnl + s[b + S.fundL] + s[b + S.fundS] <= -this.cfg[i * 5 + 4] * s[b + S.margin]) this.closeSlot(i, j, h1, 1);
      }
    }
  }

  /** Closes slot j of copy i at its marks, paying the exit costs; `reason` indexes REASONS. */
  private closeSlot(i: number, j: number, h: number, reason: number): void {
    const k = i * FUNDING_SLOTS + j, b = k * SN, s = this.sNum;
    const pricePnl = s[b + S.unitsL] * (s[b + S.markL] - s[b + S.entryL]) + s[b + S.unitsS] * (s[b + S.entryS] - s[b + S.markS]);
    const exitNotional = s[b + S.unitsL] * s[b + S.markL] + s[b + S.unitsS] * s[b + S.markS];
    const fees = exitNotional * this.fee, slip = exitNotional * this.slippage;
    this.cash[i] += pricePnl - fees - slip;
    this.money[i * 8 + 2] += fees; this.money[i * 8 + 3] += slip; this.money[i * 8 + 4] += pricePnl;
    this.keepTrade(i, k, h, pricePnl, fees + slip, reason);
  }

  /** One leg at or past its liquidation price: its margin is lost, the other leg closes at market. */
  private liquidate(i: number, j: number, h: number, longLeg: boolean): void {
    const k = i * FUNDING_SLOTS + j, b = k * SN, s = this.sNum;
    const legMargin = s[b + S.margin] / 2;
    const other = longLeg ? s[b + S.unitsS] * (s[b + S.entryS] - s[b + S.markS]) : s[b + S.unitsL] * (s[b + S.markL] - s[b + S.entryL]);
    const otherNotional = longLeg ? s[b + S.unitsS] * s[b + S.markS] : s[b + S.unitsL] * s[b + S.markL];
    const fees = otherNotional * this.fee, slip = otherNotional * this.slippage;
    this.cash[i] += other - legMargin - fees - slip;
    this.money[i * 8 + 2] += fees; this.money[i * 8 + 3] += slip; this.money[i * 8 + 4] += other; this.money[i * 8 + 5] += legMargin;
    this.counts[i * 6]++;
    this.keepTrade(i, k, h, other - legMargin, fees + slip, 2);
  }

  private keepTrade(i: number, k: number, h: number, pnl: number, exitCosts: number, reason: number): void {
    const s = this.sNum, b = k * SN;
    this.filled[k] = 0;
    this.counts[i * 6 + 2]++;
    const held = h - this.sInt[k * 4 + 3];
    this.money[i * 8 + 6] += held;
    const c = this.tradeCount[i];
    if (c >= MAX_TRADES) return;
    this.tradeCount[i] = c + 1;
    const t = (i * MAX_TRADES + c) * TF, tr = this.trades;
    tr[t] = this.sInt[k * 4 + 3]; tr[t + 1] = h; tr[t + 2] = this.sInt[k * 4]; tr[t + 3] = this.sInt[k * 4 + 1]; tr[t + 4] = this.sInt[k * 4 + 2];
    tr[t + 5] = s[b + S.notional]; tr[t + 6] = s[b + S.lev]; tr[t + 7] = s[b + S.margin];
    tr[t + 8] = s[b + S.entryL]; tr[t + 9] = s[b + S.entryS]; tr[t + 10] = s[b + S.markL]; tr[t + 11] = s[b + S.markS];
    tr[t + 12] = s[b + S.entryRateL]; tr[t + 13] = s[b + S.entryRateS]; tr[t + 14] = s[b + S.fundL]; tr[t + 15] = s[b + S.fundS];
    tr[t + 16] = s[b + S.costs] + exitCosts;
    tr[t + 17] = pnl + s[b + S.fundL] + s[b + S.fundS] - s[b + S.costs] - exitCosts;
    tr[t + 18] = held; tr[t + 19] = reason;
  }

  /** Observation and mask of copy i at its hour; every value from this hour or before. */
  protected writeObs(i: number): void {
    const d = this.d, o = i * FUNDING_OBS_SIZE, obs = this.obs, s = this.sNum, c = this.cfg, co = i * 5;
    const h = this.row[i];
    const lev = c[co], util = c[co + 1], maxPos = c[co + 2], buffer = c[co + 3];
    this.measure(i);
    const used = this.tmp[0], unreal = this.tmp[1], eq = this.cash[i] + unreal, sb = this.startingBalance, m = i * 8;
    let open = 0;
    for (let j = 0; j < FUNDING_SLOTS; j++) open += this.filled[i * FUNDING_SLOTS + j];
    obs[o] = lev / 10; obs[o + 1] = util; obs[o + 2] = maxPos / FUNDING_SLOTS; obs[o + 3] = buffer; obs[o + 4] = c[co + 4];
    const p = o + FUNDING_OBS.portfolio;
    obs[p] = eq / sb - 1;
    obs[p + 1] = eq > 0 ? used / eq : 1;
    obs[p + 2] = eq > 0 ? used / (eq * util) : 1;
    obs[p + 3] = open / FUNDING_SLOTS;
    obs[p + 4] = eq > 0 ? unreal / eq : 0;
    obs[p + 5] = ((this.money[m] + this.money[m + 1]) / sb) * 100;
    obs[p + 6] = ((this.money[m + 2] + this.money[m + 3]) / sb) * 100;
    obs[p + 7] = this.steps[i] / this.maxSteps;
    obs[p + 8] = eq > 0 ? (eq - used) / eq : 0;
    obs[p + 9] = ((this.money[m + 4] - this.money[m + 5]) / sb) * 100;
    let held = 0; // filled slots seen so far; their symbols and pair keys go to heldSym / heldKey
    for (let j = 0; j < FUNDING_SLOTS; j++) {
      const k = i * FUNDING_SLOTS + j, b = k * SN, q = o + FUNDING_OBS.slots + j * FUNDING_OBS.slotWidth;
      if (!this.filled[k]) { obs.fill(0, q, q + FUNDING_OBS.slotWidth); continue; }
      const sym = this.sInt[k * 4], lv = this.sInt[k * 4 + 1], sv = this.sInt[k * 4 + 2];
      this.heldSym[held] = sym;
      this.heldKey[held++] = (sym * this.venueCount + (lv < sv ? lv : sv)) * this.venueCount + (lv < sv ? sv : lv);
      const mL = s[b + S.markL], mS = s[b + S.markS];
      const distL = (mL - s[b + S.liqL]) / mL, distS = (s[b + S.liqS] - mS) / mS;
      obs[q] = 1;
      obs[q + 1] = s[b + S.entryApr] / 100;
      obs[q + 2] = s[b + S.aprNow] / 100;
      obs[q + 3] = eq > 0 ? s[b + S.notional] / eq : 0;
      obs[q + 4] = s[b + S.lev] / 10;
      obs[q + 5] = (h - this.sInt[k * 4 + 3]) / 24;
      obs[q + 6] = (s[b + S.fundL] / s[b + S.notional]) * 100;
      obs[q + 7] = (s[b + S.fundS] / s[b + S.notional]) * 100;
      obs[q + 8] = distL;
      obs[q + 9] = distS;
      obs[q + 10] = (s[b + S.unitsL] * (mL - s[b + S.entryL]) + s[b + S.unitsS] * (s[b + S.entryS] - mS)) / s[b + S.margin];
      obs[q + 11] = Math.min(distL, distS) < buffer ? 1 : 0;
    }
    // the ten best opportunities of the hour, and the mask
    const mk = i * FUNDING_NUM_ACTIONS, masks = this.masks;
    masks.fill(0, mk, mk + FUNDING_NUM_ACTIONS);
    masks[mk] = 1;
    const first = d.hourStart[h], count = Math.min(FUNDING_TOP, d.hourStart[h + 1] - first);
    const slotFree = open < maxPos;
    // the sizes an open may take now, the same for every opportunity of the hour (fit(), inlined:
    // its three calls were a quarter of this method's time)
    const free = eq - used;
    const unit = free > 0 ? (free * lev * util) / maxPos : 0, perNotional = 2 / lev + 2 * (this.fee + this.slippage);
    const n0 = FUNDING_SIZES[0] * unit, n1 = FUNDING_SIZES[1] * unit, big0 = FUNDING_SIZES[2] * unit;
    const fits0 = n0 >= this.minNotional && n0 * perNotional <= free ? 1 : 0;
    const fits1 = n1 >= this.minNotional && n1 * perNotional <= free ? 1 : 0;
    const fits2 = big0 >= this.minNotional && big0 * perNotional <= free ? 1 : 0;
    const big = fits2 ? big0 : 0;
    // what depends on the hour alone comes from the precomputed block; the copy's own slots after it
    const ow = FUNDING_OBS.opportunityWidth, base = o + FUNDING_OBS.opportunities;
    // one set() from a view made once per hour: a third of the time of an element loop, no allocation
    obs.set(this.hourBlocks[h], base);
    const sizeShare = eq > 0 ? big / eq : 0, marginShare = free > 0 ? (2 * big) / lev / free : 1;
    const nv = this.venueCount, heldSym = this.heldSym, heldKey = this.heldKey;
    for (let r = 0; r < count; r++) {
      const q = base + r * ow;
      const x = first + r, sym = d.sym[x];
      let symHeld = 0, pairHeld = 0;
      if (open > 0) {
        const lv = d.longVenue[x], sv = d.shortVenue[x];
        const key = (sym * nv + (lv < sv ? lv : sv)) * nv + (lv < sv ? sv : lv);
        for (let j = 0; j < open; j++) {
          if (heldSym[j] !== sym) continue;
          symHeld = 1;
          if (heldKey[j] === key) pairHeld = 1;
        }
      }
      obs[q + 10] = symHeld;
      obs[q + 17] = sizeShare;
      obs[q + 18] = marginShare;
      obs[q + 19] = pairHeld;
      if (slotFree && !symHeld) {
        masks[mk + 1 + r * 3] = fits0;
        masks[mk + 2 + r * 3] = fits1;
        masks[mk + 3 + r * 3] = fits2;
      }
    }
    for (let j = 0; j < FUNDING_SLOTS; j++) if (this.filled[i * FUNDING_SLOTS + j]) masks[mk + 1 + FUNDING_TOP * 3 + j] = 1;
  }

  private iso(h: number): string | null {
    let t = this.hourIso[h];
    if (t === undefined) t = this.hourIso[h] = isoTime(this.d.time[h]);
    return t;
  }

  private finishEpisode(i: number, timestep: number): void {
    const d = this.d, sb = this.startingBalance, m = i * 8, c = i * 6;
    const eq = this.equity(i);
    const ret = (eq / sb - 1) * 100;
    const trades: FundingTrade[] = [];
    for (let k = 0; k < this.tradeCount[i]; k++) {
      const t = (i * MAX_TRADES + k) * TF, tr = this.trades;
      trades.push({
        entry_time: this.iso(tr[t]), exit_time: this.iso(tr[t + 1]),
        symbol: d.symbols[tr[t + 2]], long_exchange: d.venues[tr[t + 3]], short_exchange: d.venues[tr[t + 4]],
        size: tr[t + 5], leverage: tr[t + 6], margin: tr[t + 7],
        entry_long_price: tr[t + 8], entry_short_price: tr[t + 9], exit_long_price: tr[t + 10], exit_short_price: tr[t + 11],
        long_funding_rate: tr[t + 12], short_funding_rate: tr[t + 13], funding_long: tr[t + 14], funding_short: tr[t + 15],
        fees: tr[t + 16], realized_pnl: tr[t + 17], hours_held: tr[t + 18], exit_reason: REASONS[tr[t + 19]],
      });
    }
    const pct = (x: number) => (x / sb) * 100;
    const closed = this.counts[c + 2];
    this.episodeCount++;
    this.pending.push({
      episode: this.episodeCount,
      reward: this.epReward[i],
      length: this.steps[i],
      timestep,
      timestamp: pythonIsoTime(),
      start_time: this.iso(this.startRow[i]),
      end_time: this.iso(this.row[i]),
      return_pct: ret,
      net_pnl: eq - sb,
      funding_earned: { long: this.money[m], short: this.money[m + 1], total: this.money[m] + this.money[m + 1] },
      fees: this.money[m + 2],
      slippage: this.money[m + 3],
      price_pnl: this.money[m + 4],
      liquidation_loss: this.money[m + 5],
      liquidations: this.counts[c],
      positions_opened: this.counts[c + 1],
      positions_closed: closed,
      mean_hours_held: closed ? this.money[m + 6] / closed : 0,
      max_drawdown: this.maxDd[i],
      mean_utilization: this.steps[i] ? this.money[m + 7] / this.steps[i] : 0,
      config: this.configOf(i),
      reward_breakdown: { funding: pct(this.money[m] + this.money[m + 1]), fees: -pct(this.money[m + 2]), slippage: -pct(this.money[m + 3]), price: pct(this.money[m + 4]), liquidation: -pct(this.money[m + 5]) },
      action_counts: { hold: this.counts[c + 3], open: this.counts[c + 4], close: this.counts[c + 5] },
      portfolio: { starting_balance: sb, ending_balance: eq, return_pct: ret, max_drawdown: this.maxDd[i] },
      trades,
    });
  }
}

const blocks = new WeakMap<FundingData, Float32Array[]>();

/**
 * The ten best opportunities of every hour as the observation shows them, computed once per
 * dataset: each from its own row and the hour before (the APR change), so nothing after the hour.
 * The copy's own slots (symbol held, size and margin an open takes, pair held) are left 0.
 */
export function hourBlocksOf(d: FundingData): Float32Array[] {
  const cached = blocks.get(d);
  if (cached) return cached;
  const ow = FUNDING_OBS.opportunityWidth;
  const out = new Float32Array(d.rows * FUNDING_TOP * ow);
  const vMax = Math.max(1, d.venues.length - 1), symMax = Math.max(1, d.symbols.length - 1);
  for (let h = 0; h < d.rows; h++) {
    const t = d.time[h], first = d.hourStart[h], count = Math.min(FUNDING_TOP, d.hourStart[h + 1] - first);
    for (let r = 0; r < count; r++) {
      const q = (h * FUNDING_TOP + r) * ow;
      const x = first + r, sym = d.sym[x], lv = d.longVenue[x], sv = d.shortVenue[x];
      const prev = h > 0 ? d.pairRow[(h - 1) * d.pairKeys + pairKey(d, sym, lv, sv)] : -1;
      const prevApr = prev < 0 ? d.apr[x] : d.longVenue[prev] === lv ? d.apr[prev] : -d.apr[prev];
      const vol = d.volume[x];
      out[q] = 1;
      out[q + 1] = d.apr[x] / 100;
      out[q + 2] = d.longRate[x] * 1000;
      out[q + 3] = d.shortRate[x] * 1000;
      out[q + 4] = d.longInterval[x] / 8;
      out[q + 5] = d.shortInterval[x] / 8;
      out[q + 6] = (d.longNext[x] - t) / (8 * HOUR);
      out[q + 7] = (d.shortNext[x] - t) / (8 * HOUR);
      out[q + 8] = vol > 0 ? Math.log1p(vol) / 25 : 0;
      out[q + 9] = ((d.shortPrice[x] - d.longPrice[x]) / d.longPrice[x]) * 1000;
      out[q + 11] = sym / symMax;
      out[q + 12] = lv / vMax;
      out[q + 13] = sv / vMax;
      out[q + 14] = (d.apr[x] - prevApr) / 100;
      out[q + 15] = r / FUNDING_TOP;
      out[q + 16] = (d.shortRate[x] / d.shortInterval[x] - d.longRate[x] / d.longInterval[x]) * 1e4;
    }
  }
  const width = FUNDING_TOP * ow;
  const views = Array.from({ length: d.rows }, (_, h) => out.subarray(h * width, (h + 1) * width));
  blocks.set(d, views);
  return views;
}
