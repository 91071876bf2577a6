// Funding-rate arbitrage (seed 001): up to five hedged positions, each long on the venue whose
// funding costs less and short on the one that pays more, chosen hourly among the ten best
// opportunities, with the trading configuration (leverage, utilization, positions, liquidation
// buffer, stop-loss) sampled per episode and given in the observation. N copies over typed
// arrays; nothing is allocated per step (an episode's record is built when it is drained).
//
// Money, leg by leg. Opening pays the fee and the slippage on each leg's notional; margin per leg
// is notional / leverage. Each hour every leg is marked at its venue's price, and a leg whose
// venue settles in that hour pays (long) or receives (short) rate × notional (a negative rate the
// other way round); no settlement at or before the entry is paid. A leg at or past its own
// liquidation price, entry × (1 ∓ (1 − maintenance margin) / leverage), is liquidated: its margin
// is lost and the other leg closed at market. The distance to it is signed, so a leg past it
// reads negative, never safe. Reward = change in equity / starting balance × 100.
import { Rng } from '../../rng';
import type { Segment, VecEnv } from '../types';
import { EnvBookkeeping, type TypedArray } from '../records';
import type { FundingData } from './data';
import { E, EpisodeLog, TRADE_FIELDS, type FundingEpisode, type TradingConfig } from './episodes';
import { CHUNK_ROWS, CHUNK_TOP, CHUNK_WORDS, hourTablesOf, M, MARK_FIELDS, T, TOP_FIELDS } from './hours';
import { FUNDING_NUM_ACTIONS, FUNDING_OBS, FUNDING_OBS_SIZE, FUNDING_ACTIONS, FUNDING_SIZES, FUNDING_SLOTS, FUNDING_TOP } from './layout';

export { FUNDING_ACTIONS, FUNDING_NUM_ACTIONS, FUNDING_OBS, FUNDING_OBS_SIZE, FUNDING_PORTFOLIO, FUNDING_SIZES, FUNDING_SLOTS, FUNDING_TOP } from './layout';
export type { FundingEpisode, FundingTrade, TradingConfig } from './episodes';
export { hourTablesOf } from './hours';

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

const HOUR = 3_600_000;
/** Slot fields in sNum. */
const S = {
  notional: 0, lev: 1, margin: 2, unitsL: 3, unitsS: 4, entryL: 5, entryS: 6, markL: 7, markS: 8, liqL: 9, liqS: 10,
  nextL: 11, nextS: 12, intL: 13, intS: 14, rateL: 15, rateS: 16, entryRateL: 17, entryRateS: 18, fundL: 19, fundS: 20,
  entryApr: 21, aprNow: 22, costs: 23,
} as const;
const SN = 24;
const MAX_TRADES = 64; // closed positions an episode's record keeps, per copy
const TF = TRADE_FIELDS;

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
  /** The config of every episode unless configMode is 'sample': the fixed one, or a preset with the fixed buffer and stop-loss. */
  private readonly modeConfig: TradingConfig;
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
  private readonly tradeCount: Int32Array;
  /** Per hour, its ten best opportunities as observed (10 × 20), but for the copy's own columns. */
  private readonly hourBlocks: readonly Float32Array[];
  /** Per hour, how many of the ten best there are and their symbols and pair keys, and their rows (hours.ts). */
  private readonly hourInts: Int32Array;
  private readonly hourRows: Float64Array;
  /** Where each (pair, hour) is in `marks`, and the figures a held position reads there (hours.ts). */
  private readonly pairAt: Int32Array;
  private readonly marks: Float64Array;
  /** Finished episodes not yet drained, as numbers. */
  private readonly log: EpisodeLog;
  // Derived from the state above, never saved: what measure() gave when the observation was last
  // written (nothing changes a copy between its observation and its next step), and which free
  // slots' observation columns are zero already. setState() works them out again.
  private readonly usedNow: Float64Array;
  private readonly unrealNow: Float64Array;
  private readonly slotZeroed: Uint8Array;

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
    this.modeConfig = this.configMode === 'fixed' || this.configMode === 'sample' ? this.fixed : { ...this.fixed, ...FUNDING_PRESETS[this.configMode] };
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
    this.usedNow = new Float64Array(n);
    this.unrealNow = new Float64Array(n);
    this.slotZeroed = new Uint8Array(n * FUNDING_SLOTS);
    const tables = hourTablesOf(o.data);
    this.hourBlocks = tables.blocks;
    this.hourInts = tables.hourInts;
    this.hourRows = tables.hourRows;
    this.pairAt = tables.pairAt;
    this.marks = tables.marks;
    this.log = new EpisodeLog(o.data, this.startingBalance);
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
    const c = this.cfg, o = i * 5;
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
      const p = this.modeConfig;
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
    const cash = this.cash, tmp = this.tmp, counts = this.counts, filled = this.filled;
    let total = this.totalSteps;
    for (let i = 0; i < n; i++) {
      const h = this.row[i];
      const a = actions[i] | 0;
      const eq0 = cash[i] + this.unrealNow[i]; // what measure() gives now: see usedNow
      const cb = i * 6;
      if (a >= 1 && a <= FUNDING_TOP * 3) {
        counts[cb + 4]++;
        if (this.masks[i * FUNDING_NUM_ACTIONS + a]) this.open(i, h, (a - 1) / 3 | 0, FUNDING_SIZES[(a - 1) % 3], eq0, this.usedNow[i]);
      } else if (a > FUNDING_TOP * 3 && a < FUNDING_NUM_ACTIONS) {
        counts[cb + 5]++;
        const j = a - 1 - FUNDING_TOP * 3;
        if (filled[i * FUNDING_SLOTS + j]) this.closeSlot(i, j, h, 0);
      } else counts[cb + 3]++;

      const h1 = h + 1;
      this.advance(i, h1); // and measures: tmp as measure() would give it
      const s = this.steps[i] + 1;
      this.steps[i] = s;
      let eq = cash[i] + tmp[1];
      const done = s >= this.maxSteps || h1 >= lastRow || eq <= 0;
      if (done) {
        for (let j = 0; j < FUNDING_SLOTS; j++) if (filled[i * FUNDING_SLOTS + j]) this.closeSlot(i, j, h1, 3);
        tmp[0] = 0; tmp[1] = 0; // measure() of no open slots
        eq = cash[i] + tmp[1];
      }
      const change = eq - eq0;
      this.rewards[i] = change * scale;
      this.pnl[i] = change / this.startingBalance;
      this.epReward[i] += change * scale;
      if (eq > this.peak[i]) this.peak[i] = eq;
      else if (this.peak[i] > 0) { const dd = 1 - eq / this.peak[i]; if (dd > this.maxDd[i]) this.maxDd[i] = dd; }
      this.money[i * 8 + 7] += eq > 0 ? tmp[0] / eq : 0;
      this.row[i] = h1;
      total++;
      if (done) {
        this.dones[i] = 1;
        this.finishEpisode(i, total, eq);
        this.startEpisode(i); // holds nothing: tmp is still measure()'s
      } else this.dones[i] = 0;
      this.writeObsAt(i); // tmp holds the slots as measured just now
    }
    this.totalSteps = total;
  }

  /**
   * Opens the hour's opportunity `rank` (0 best) at size fraction f into copy i's first free slot;
   * `used` is the margin its slots hold.
   */
  private open(i: number, h: number, rank: number, f: number, equity: number, used: number): void {
    let j = 0;
    while (j < FUNDING_SLOTS && this.filled[i * FUNDING_SLOTS + j]) j++;
    if (j === FUNDING_SLOTS) return;
    this.fit(i, f, equity, used);
    const notional = this.tmp[2];
    if (notional <= 0) return;
    const lev = this.cfg[i * 5];
    const k = i * FUNDING_SLOTS + j, b = k * SN, s = this.sNum;
    const row = this.hourRows, x = h * (CHUNK_WORDS / 2) + CHUNK_ROWS + rank * TOP_FIELDS; // the row's columns side by side in the hour's chunk
    const pL = row[x + T.longPrice], pS = row[x + T.shortPrice];
    this.filled[k] = 1;
    this.sInt[k * 4] = row[x + T.sym]; this.sInt[k * 4 + 1] = row[x + T.longVenue]; this.sInt[k * 4 + 2] = row[x + T.shortVenue]; this.sInt[k * 4 + 3] = h;
    s[b + S.notional] = notional; s[b + S.lev] = lev; s[b + S.margin] = (2 * notional) / lev;
    s[b + S.unitsL] = notional / pL; s[b + S.unitsS] = notional / pS;
    s[b + S.entryL] = pL; s[b + S.entryS] = pS; s[b + S.markL] = pL; s[b + S.markS] = pS;
    s[b + S.liqL] = pL * (1 - (1 - this.mm) / lev); s[b + S.liqS] = pS * (1 + (1 - this.mm) / lev);
    s[b + S.nextL] = row[x + T.longNext]; s[b + S.nextS] = row[x + T.shortNext];
    s[b + S.intL] = row[x + T.longInterval]; s[b + S.intS] = row[x + T.shortInterval];
    s[b + S.rateL] = row[x + T.longRate]; s[b + S.rateS] = row[x + T.shortRate];
    s[b + S.entryRateL] = row[x + T.longRate]; s[b + S.entryRateS] = row[x + T.shortRate];
    s[b + S.fundL] = 0; s[b + S.fundS] = 0;
    s[b + S.entryApr] = row[x + T.apr]; s[b + S.aprNow] = row[x + T.apr];
    const fees = 2 * notional * this.fee, slip = 2 * notional * this.slippage;
    s[b + S.costs] = fees + slip;
    this.cash[i] -= fees + slip;
    this.money[i * 8 + 2] += fees; this.money[i * 8 + 3] += slip;
    this.counts[i * 6 + 1]++;
  }

  /**
   * Marks copy i's legs at hour h1, pays the settlements that fell in the hour, liquidates and
   * stops; then tmp holds what measure() gives (summed here, slot by slot in its order).
   */
  private advance(i: number, h1: number): void {
    const d = this.d, s = this.sNum, t1 = d.time[h1], nv = this.venueCount, hours = d.rows, pairAt = this.pairAt, marks = this.marks;
    let m = 0, u = 0;
    for (let j = 0; j < FUNDING_SLOTS; j++) {
      const k = i * FUNDING_SLOTS + j;
      if (!this.filled[k]) continue;
      const b = k * SN, vL = this.sInt[k * 4 + 1], vS = this.sInt[k * 4 + 2];
      const key = (this.sInt[k * 4] * nv + (vL < vS ? vL : vS)) * nv + (vL < vS ? vS : vL); // pairKey()
      // the pair's row at h1 as packed for this lookup (one place in memory, next to the hour before)
      const e = pairAt[key * hours + h1], x = e * MARK_FIELDS;
      const sameSide = e >= 0 && marks[x + M.longVenue] === vL;
      if (e >= 0) {
        s[b + S.markL] = sameSide ? marks[x + M.longPrice] : marks[x + M.shortPrice];
        s[b + S.markS] = sameSide ? marks[x + M.shortPrice] : marks[x + M.longPrice];
        s[b + S.rateL] = sameSide ? marks[x + M.longRate] : marks[x + M.shortRate];
        s[b + S.rateS] = sameSide ? marks[x + M.shortRate] : marks[x + M.longRate];
        s[b + S.aprNow] = sameSide ? marks[x + M.apr] : -marks[x + M.apr];
      }
      // a settlement in (previous hour, this hour]: longs pay rate × notional, shorts receive it
      if (s[b + S.nextL] <= t1) {
        const paid = -s[b + S.rateL] * s[b + S.unitsL] * s[b + S.markL];
        s[b + S.fundL] += paid; this.cash[i] += paid; this.money[i * 8] += paid;
        s[b + S.nextL] = e >= 0 ? (sameSide ? marks[x + M.longNext] : marks[x + M.shortNext]) : s[b + S.nextL] + s[b + S.intL] * HOUR;
      }
      if (s[b + S.nextS] <= t1) {
        const got = s[b + S.rateS] * s[b + S.unitsS] * s[b + S.markS];
        s[b + S.fundS] += got; this.cash[i] += got; this.money[i * 8 + 1] += got;
        s[b + S.nextS] = e >= 0 ? (sameSide ? marks[x + M.shortNext] : marks[x + M.longNext]) : s[b + S.nextS] + s[b + S.intS] * HOUR;
      }
      if (s[b + S.markL] <= s[b + S.liqL] || s[b + S.markS] >= s[b + S.liqS]) this.liquidate(i, j, h1, s[b + S.markL] <= s[b + S.liqL]);
      else {
        const pricePnl = s[b + S.unitsL] * (s[b + S.markL] - s[b + S.entryL]) + s[b + S.unitsS] * (s[b + S.entryS] - s[b + S.markS]);
        if (pricePnl + s[b + S.fundL] + s[b + S.fundS] <= -this.cfg[i * 5 + 4] * s[b + S.margin]) this.closeSlot(i, j, h1, 1);
        else { m += s[b + S.margin]; u += pricePnl; }
      }
    }
    this.tmp[0] = m;
    this.tmp[1] = u;
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
    this.measure(i);
    this.writeObsAt(i);
  }

  /**
   * writeObs() with measure()'s results for copy i already in tmp (passed as numbers, they would be
   * boxed). Kept as usedNow / unrealNow for the copy's next step.
   */
  private writeObsAt(i: number): void {
    const o = i * FUNDING_OBS_SIZE, obs = this.obs, s = this.sNum, c = this.cfg, co = i * 5;
    const used = this.tmp[0], unreal = this.tmp[1];
    this.usedNow[i] = used;
    this.unrealNow[i] = unreal;
    const h = this.row[i];
    const lev = c[co], util = c[co + 1], maxPos = c[co + 2], buffer = c[co + 3];
    const eq = this.cash[i] + unreal, sb = this.startingBalance, m = i * 8;
    const mk = i * FUNDING_NUM_ACTIONS, masks = this.masks, filled = this.filled, sInt = this.sInt, nv = this.venueCount;
    // the slots, and their close actions; `open` counts the filled ones, whose symbols and pair
    // keys go to heldSym / heldKey
    let open = 0;
    for (let j = 0; j < FUNDING_SLOTS; j++) {
      const k = i * FUNDING_SLOTS + j, b = k * SN, q = o + FUNDING_OBS.slots + j * FUNDING_OBS.slotWidth;
      if (!filled[k]) {
        masks[mk + 1 + FUNDING_TOP * 3 + j] = 0;
        if (!this.slotZeroed[k]) {
          for (let z = q; z < q + FUNDING_OBS.slotWidth; z++) obs[z] = 0;
          this.slotZeroed[k] = 1;
        }
        continue;
      }
      masks[mk + 1 + FUNDING_TOP * 3 + j] = 1;
      this.slotZeroed[k] = 0;
      const sym = sInt[k * 4], lv = sInt[k * 4 + 1], sv = sInt[k * 4 + 2];
      this.heldSym[open] = sym;
      this.heldKey[open++] = (sym * nv + (lv < sv ? lv : sv)) * nv + (lv < sv ? sv : lv);
      const mL = s[b + S.markL], mS = s[b + S.markS];
      const distL = (mL - s[b + S.liqL]) / mL, distS = (s[b + S.liqS] - mS) / mS;
      obs[q] = 1;
      obs[q + 1] = s[b + S.entryApr] / 100;
      obs[q + 2] = s[b + S.aprNow] / 100;
      obs[q + 3] = eq > 0 ? s[b + S.notional] / eq : 0;
      obs[q + 4] = s[b + S.lev] / 10;
      obs[q + 5] = (h - sInt[k * 4 + 3]) / 24;
      obs[q + 6] = (s[b + S.fundL] / s[b + S.notional]) * 100;
      obs[q + 7] = (s[b + S.fundS] / s[b + S.notional]) * 100;
      obs[q + 8] = distL;
      obs[q + 9] = distS;
      obs[q + 10] = (s[b + S.unitsL] * (mL - s[b + S.entryL]) + s[b + S.unitsS] * (s[b + S.entryS] - mS)) / s[b + S.margin];
      obs[q + 11] = Math.min(distL, distS) < buffer ? 1 : 0;
    }
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
    // the ten best opportunities of the hour, and their open actions
    masks[mk] = 1;
    const ht = this.hourInts, hb = h * CHUNK_WORDS + CHUNK_TOP, count = ht[hb];
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
    // what depends on the hour alone comes from the precomputed block; the copy's own columns after it
    const ow = FUNDING_OBS.opportunityWidth, base = o + FUNDING_OBS.opportunities;
    // one set() from a view made once per hour: a third of the time of an element loop, no allocation
    obs.set(this.hourBlocks[h], base);
    const sizeShare = eq > 0 ? big / eq : 0, marginShare = free > 0 ? (2 * big) / lev / free : 1;
    const heldSym = this.heldSym, heldKey = this.heldKey;
    for (let r = 0; r < count; r++) {
      const q = base + r * ow;
      const sym = ht[hb + 1 + 2 * r];
      let symHeld = 0, pairHeld = 0;
      if (open > 0) {
        const key = ht[hb + 2 + 2 * r];
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
      const allowed = slotFree && !symHeld;
      masks[mk + 1 + r * 3] = allowed ? fits0 : 0;
      masks[mk + 2 + r * 3] = allowed ? fits1 : 0;
      masks[mk + 3 + r * 3] = allowed ? fits2 : 0;
    }
    for (let a = mk + 1 + count * 3; a < mk + 1 + FUNDING_TOP * 3; a++) masks[a] = 0;
  }

  /** Keeps copy i's finished episode as numbers; drainEpisodes() makes its record. */
  private finishEpisode(i: number, timestep: number, equity: number): void {
    const tc = this.tradeCount[i];
    const at = this.log.reserve(tc), b = this.log.values;
    this.episodeCount++;
    b[at + E.episode] = this.episodeCount;
    b[at + E.reward] = this.epReward[i];
    b[at + E.length] = this.steps[i];
    b[at + E.timestep] = timestep;
    b[at + E.wallMs] = Date.now();
    b[at + E.startRow] = this.startRow[i];
    b[at + E.endRow] = this.row[i];
    b[at + E.equity] = equity;
    for (let k = 0; k < 8; k++) b[at + E.money + k] = this.money[i * 8 + k];
    for (let k = 0; k < 6; k++) b[at + E.counts + k] = this.counts[i * 6 + k];
    b[at + E.maxDd] = this.maxDd[i];
    for (let k = 0; k < 5; k++) b[at + E.config + k] = this.cfg[i * 5 + k];
    b[at + E.trades] = tc;
    const tr = this.trades, from = i * MAX_TRADES * TF, to = at + E.size;
    for (let k = 0; k < tc * TF; k++) b[to + k] = tr[from + k];
  }

  override drainEpisodes(): FundingEpisode[] {
    if (!this.log.empty) this.log.drainInto(this.pending);
    return super.drainEpisodes();
  }

  override getState(): unknown {
    if (!this.log.empty) this.log.drainInto(this.pending);
    return super.getState();
  }

  override setState(state: unknown): void {
    super.setState(state);
    this.log.clear(); // the state's own pending episodes replaced them
    this.slotZeroed.fill(0);
    for (let i = 0; i < this.numEnvs; i++) {
      this.measure(i);
      this.usedNow[i] = this.tmp[0];
      this.unrealNow[i] = this.tmp[1];
    }
  }
}
