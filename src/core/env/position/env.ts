// Position trading (seed 002): HOLD / BUY / SELL on candles, the 34-feature state as observation.
// N copies stepped together over typed arrays; the only allocation is an episode's record.
//
// A step at bar t (its close known): the action sets the target position (BUY +leverage, SELL
// −leverage or flat without shorts, HOLD keeps it). It fills at the next bar's open by default
// (execution.ts): the old position is held from close[t] to open[t+1], the trade pays
// (fee + slippage) × |Δposition| × equity there, and the new position is held to close[t+1]; with
// fill 'close' the trade happens at close[t]. A position still open when the episode ends is closed
// at the last close, paying the same costs. Positions are multiples of equity, kept as such each bar.
// Reward = (equity after − equity before) / starting balance × 100: net P&L after every cost.

import { pythonIsoTime } from '../../clock';
import { annualizationFactor, barsPerYear } from '../calendar';
import { buyAndHoldPct, type Execution } from '../execution';
import type { CandleColumns, MarketFeatures } from '../../features/layout';
import { SLOT, STATE_SIZE } from '../../features/layout';
import { Rng } from '../../rng';
import type { Segment, VecEnv } from '../types';
import {
  EnvBookkeeping,
  isoTime,
  sharpeOf,
  usableSegment,
  type EpisodeHeader,
  type TypedArray,
} from '../records';

export interface PositionEnvOptions {
  features: MarketFeatures;
  candles: CandleColumns;
  segment: Segment;
  numEnvs: number;
  seed: number;
  /** Steps per episode at most (default 256). */
  maxSteps?: number;
  /** Fee per unit of notional traded, on every fill (default 0.001). */
  fee?: number;
  /** Slippage against the trader on every fill, as a fraction of the price (default 0.0002: 2 bps). */
  slippage?: number;
  /** Where a decision fills: the next bar's open (default) or the decision bar's close. */
  fill?: Execution['fill'];
  /** Bars per year for the Sharpe ratio (default: from the timestamps). */
  barsPerYear?: number;
  /** Position size of BUY / SELL as a multiple of equity (default 1). */
  leverage?: number;
  /** SELL goes short (default true); otherwise SELL goes flat. */
  allowShort?: boolean;
  startingBalance?: number;
  /** Episodes start at random rows of the segment (default true); false walks the segment from its start. */
  randomStart?: boolean;
}

export interface PositionEpisode extends EpisodeHeader {
  return_pct: number;
  buy_and_hold_return_pct: number;
  sharpe: number;
  max_drawdown: number;
  win_rate: number;
  trades: number;
  turnover: number;
  action_counts: { hold: number; buy: number; sell: number };
  portfolio: { starting_balance: number; ending_balance: number; return_pct: number; max_drawdown: number };
}

export const POSITION_ACTIONS = ['hold', 'buy', 'sell'] as const;

/** tanh(k / 20) for k = 0..TANH_TABLE-1; beyond that it is 1 in float32. */
const TANH_TABLE = 512;

export class PositionEnv extends EnvBookkeeping<PositionEpisode> implements VecEnv<PositionEpisode> {
  readonly name = 'position';
  readonly numEnvs: number;
  readonly obsSize = STATE_SIZE;
  readonly numActions = 3;
  readonly actionNames: readonly string[] = POSITION_ACTIONS;
  readonly obs: Float32Array;
  readonly rewards: Float32Array;
  readonly pnl: Float32Array;
  readonly dones: Uint8Array;
  readonly masks: Uint8Array;

  readonly segment: Segment;
  readonly maxSteps: number;
  readonly fee: number;
  readonly execution: Execution;
  readonly leverage: number;
  readonly allowShort: boolean;
  readonly startingBalance: number;
  readonly randomStart: boolean;

  private readonly values: Float32Array;
  private readonly open: Float64Array;
  private readonly close: Float64Array;
  private readonly time: Float64Array;
  private readonly sharpeFactor: number;
  private readonly tanhTable: Float32Array;
  protected readonly rng: Rng;

  // per-copy state
  private readonly row: Int32Array; // current bar
  private readonly startRow: Int32Array;
  private readonly steps: Int32Array;
  private readonly sinceTrade: Int32Array; // bars since the last trade (since the episode start before one)
  private readonly position: Float64Array; // −leverage..leverage, multiple of equity
  private readonly equity: Float64Array;
  private readonly peak: Float64Array;
  private readonly maxDd: Float64Array;
  private readonly entryEquity: Float64Array; // equity when the open trade was opened
  private readonly epReward: Float64Array;
  private readonly sumRet: Float64Array;
  private readonly sumRet2: Float64Array;
  private readonly turnover: Float64Array;
  private readonly trades: Int32Array;
  private readonly wins: Int32Array;
  private readonly nHold: Int32Array;
  private readonly nBuy: Int32Array;
  private readonly nSell: Int32Array;


  constructor(opts: PositionEnvOptions) {
    super();
    const n = opts.numEnvs;
    if (!Number.isInteger(n) || n < 1) throw new Error('numEnvs must be a positive integer');
    this.numEnvs = n;
    this.segment = usableSegment(opts.features, opts.candles, opts.segment);
    this.maxSteps = opts.maxSteps ?? 256;
    if (!Number.isInteger(this.maxSteps) || this.maxSteps < 1) throw new Error('maxSteps must be a positive integer');
    this.fee = opts.fee ?? 0.001;
    this.leverage = opts.leverage ?? 1;
    if (!(this.leverage > 0)) throw new Error('leverage must be positive');
    if (!(this.fee >= 0)) throw new Error('fee must be non-negative');
    this.execution = { fee: this.fee, slippage: opts.slippage ?? 0.0002, fill: opts.fill ?? 'next_open' };
    if (!(this.execution.slippage >= 0)) throw new Error('slippage must be non-negative');
    this.allowShort = opts.allowShort ?? true;
    this.startingBalance = opts.startingBalance ?? 10_000;
    if (!(this.startingBalance > 0)) throw new Error('startingBalance must be positive');
    this.randomStart = opts.randomStart ?? true;
    this.rng = new Rng(opts.seed);

    this.values = opts.features.values;
    this.open = opts.candles.open;
    this.close = opts.candles.close;
    this.time = opts.candles.time;
    this.sharpeFactor = annualizationFactor(opts.barsPerYear ?? barsPerYear(this.time));
    this.tanhTable = new Float32Array(TANH_TABLE);
    for (let k = 0; k < TANH_TABLE; k++) this.tanhTable[k] = Math.tanh(k / 20);

    this.obs = new Float32Array(n * STATE_SIZE);
    this.rewards = new Float32Array(n);
    this.pnl = new Float32Array(n);
    this.dones = new Uint8Array(n);
    this.masks = new Uint8Array(n * 3).fill(1);
    this.row = new Int32Array(n);
    this.startRow = new Int32Array(n);
    this.steps = new Int32Array(n);
    this.sinceTrade = new Int32Array(n);
    this.position = new Float64Array(n);
    this.equity = new Float64Array(n);
    this.peak = new Float64Array(n);
    this.maxDd = new Float64Array(n);
    this.entryEquity = new Float64Array(n);
    this.epReward = new Float64Array(n);
    this.sumRet = new Float64Array(n);
    this.sumRet2 = new Float64Array(n);
    this.turnover = new Float64Array(n);
    this.trades = new Int32Array(n);
    this.wins = new Int32Array(n);
    this.nHold = new Int32Array(n);
    this.nBuy = new Int32Array(n);
    this.nSell = new Int32Array(n);
    this.reset();
  }

  step(actions: ArrayLike<number>): void {
    const n = this.numEnvs;
    if (actions.length < n) throw new Error(`step needs ${n} actions, got ${actions.length}`);
    const obs = this.obs, vals = this.values, open = this.open, close = this.close, rewards = this.rewards, pnl = this.pnl, dones = this.dones;
    const row = this.row, steps = this.steps, sinceTrade = this.sinceTrade, position = this.position;
    const equity = this.equity, peak = this.peak, maxDd = this.maxDd, entryEquity = this.entryEquity;
    const epReward = this.epReward, sumRet = this.sumRet, sumRet2 = this.sumRet2, turnover = this.turnover;
    const trades = this.trades, wins = this.wins, nHold = this.nHold, nBuy = this.nBuy, nSell = this.nSell;
    const tanhTable = this.tanhTable;
    const lev = this.leverage, invLev = 1 / lev, shortTarget = this.allowShort ? -lev : 0;
    // every fill pays the fee and the slippage on its notional
    const cost = this.execution.fee + this.execution.slippage, atNextOpen = this.execution.fill === 'next_open';
    const invSb = 1 / this.startingBalance, scale = 100 * invSb, maxSteps = this.maxSteps, lastRow = this.segment.end - 1;
    const sPos = SLOT.position, sLev = SLOT.leverage, sCash = SLOT.cashFraction, sTime = SLOT.timeSinceTrade;
    let total = this.totalSteps;

    for (let i = 0; i < n; i++) {
      const t = row[i];
      const a = actions[i];
      const p = position[i];
      let q = p;
      if (a === 1) { q = lev; nBuy[i]++; }
      else if (a === 2) { q = shortTarget; nSell[i]++; }
      else nHold[i]++;

      const eq0 = equity[i];
      let eq = eq0;
      // the old position is held until the fill: to the next open, or not at all (a fill at this close)
      if (atNextOpen && p !== 0) eq += eq * p * (open[t + 1] / close[t] - 1);
      let since = sinceTrade[i];
      if (q !== p) {
        const ap = p < 0 ? -p : p;
        const d = q > p ? q - p : p - q;
        if (ap !== 0) {
          // the open trade closes (fully: positions are −lev, 0 or +lev); its pnl includes both fills' costs
          const closed = eq - cost * ap * eq;
          if (closed - entryEquity[i] > 0) wins[i]++;
          trades[i]++;
          if (q !== 0) entryEquity[i] = closed;
        } else {
          entryEquity[i] = eq;
        }
        eq -= cost * d * eq;
        turnover[i] += d;
        position[i] = q;
        since = 0;
      }
      eq += eq * q * (close[t + 1] / (atNextOpen ? open[t + 1] : close[t]) - 1);
      if (eq < 0) eq = 0;
      const t1 = t + 1;
      const s = steps[i] + 1;
      const done = s >= maxSteps || t1 >= lastRow || eq <= 0;
      if (done && q !== 0 && eq > 0) {
        // a position still open at the end is closed at the last close, paying the same costs
        const aq = q < 0 ? -q : q;
        eq -= cost * aq * eq;
        if (eq - entryEquity[i] > 0) wins[i]++;
        trades[i]++;
        turnover[i] += aq;
        position[i] = 0;
      }
      const change = eq - eq0;
      rewards[i] = change * scale;
      pnl[i] = change * invSb;
      epReward[i] += change * scale;
      const r = eq0 > 0 ? eq / eq0 - 1 : 0;
      sumRet[i] += r;
      sumRet2[i] += r * r;
      equity[i] = eq;
      if (eq > peak[i]) peak[i] = eq;
      else {
        const dd = 1 - eq / peak[i];
        if (dd > maxDd[i]) maxDd[i] = dd;
      }
      row[i] = t1;
      steps[i] = s;
      since++;
      sinceTrade[i] = since;
      total++;

      if (done) {
        dones[i] = 1;
        this.finishEpisode(i, total);
        this.startEpisode(i);
        this.writeObs(i);
        continue;
      }
      dones[i] = 0;
      const o = i * STATE_SIZE;
      const src = t1 * STATE_SIZE;
      for (let k = 0; k < STATE_SIZE; k++) obs[o + k] = vals[src + k];
      const aq = q < 0 ? -q : q;
      obs[o + sPos] = q * invLev;
      obs[o + sLev] = aq;
      obs[o + sCash] = aq >= 1 ? 0 : 1 - aq;
      obs[o + sTime] = since < TANH_TABLE ? tanhTable[since] : 1;
    }
    this.totalSteps = total;
  }

  /** Current bar of copy i (for inference views and tests). */
  currentRow(i: number): number {
    return this.row[i];
  }

  protected stateArrays(): Record<string, TypedArray> {
    return {
      obs: this.obs, rewards: this.rewards, dones: this.dones, masks: this.masks,
      row: this.row, startRow: this.startRow, steps: this.steps, sinceTrade: this.sinceTrade,
      position: this.position, equity: this.equity, peak: this.peak, maxDd: this.maxDd,
      entryEquity: this.entryEquity, epReward: this.epReward, sumRet: this.sumRet, sumRet2: this.sumRet2,
      turnover: this.turnover, trades: this.trades, wins: this.wins,
      nHold: this.nHold, nBuy: this.nBuy, nSell: this.nSell,
    };
  }

  protected startEpisode(i: number, row = this.nextStart()): void {
    const s = row;
    this.row[i] = s;
    this.startRow[i] = s;
    this.steps[i] = 0;
    this.sinceTrade[i] = 0;
    this.position[i] = 0;
    this.equity[i] = this.startingBalance;
    this.peak[i] = this.startingBalance;
    this.maxDd[i] = 0;
    this.entryEquity[i] = this.startingBalance;
    this.epReward[i] = 0;
    this.sumRet[i] = 0;
    this.sumRet2[i] = 0;
    this.turnover[i] = 0;
    this.trades[i] = 0;
    this.wins[i] = 0;
    this.nHold[i] = 0;
    this.nBuy[i] = 0;
    this.nSell[i] = 0;
  }

  protected writeObs(i: number): void {
    const o = i * STATE_SIZE;
    const src = this.row[i] * STATE_SIZE;
    for (let k = 0; k < STATE_SIZE; k++) this.obs[o + k] = this.values[src + k];
    const q = this.position[i];
    const aq = Math.abs(q);
    const since = this.sinceTrade[i];
    this.obs[o + SLOT.position] = q / this.leverage;
    this.obs[o + SLOT.leverage] = aq;
    this.obs[o + SLOT.cashFraction] = aq >= 1 ? 0 : 1 - aq;
    this.obs[o + SLOT.timeSinceTrade] = since < TANH_TABLE ? this.tanhTable[since] : 1;
  }

  private finishEpisode(i: number, timestep: number): void {
    // the step that ended the episode closed any open position
    const trades = this.trades[i];
    const wins = this.wins[i];
    const sb = this.startingBalance;
    const eq = this.equity[i];
    const ret = (eq / sb - 1) * 100;
    const s = this.startRow[i], e = this.row[i];
    const length = this.steps[i];
    this.episodeCount++;
    this.pending.push({
      episode: this.episodeCount,
      reward: this.epReward[i],
      length,
      timestep,
      timestamp: pythonIsoTime(),
      start_time: isoTime(this.time[s]),
      end_time: isoTime(this.time[e]),
      return_pct: ret,
      // the same execution: bought at the fill of a decision on the first bar, sold at the last close
      buy_and_hold_return_pct: buyAndHoldPct({ open: this.open, close: this.close }, s, e + 1, this.execution),
      sharpe: sharpeOf(this.sumRet[i], this.sumRet2[i], length, this.sharpeFactor),
      max_drawdown: this.maxDd[i],
      win_rate: trades > 0 ? wins / trades : 0,
      trades,
      turnover: this.turnover[i],
      action_counts: { hold: this.nHold[i], buy: this.nBuy[i], sell: this.nSell[i] },
      portfolio: { starting_balance: sb, ending_balance: eq, return_pct: ret, max_drawdown: this.maxDd[i] },
    });
  }
}
