// Trade approval (seed 000, the Guardian): at each bar the signal ensemble proposes a trade and the
// agent answers reject, approve_warning (half size) or approve (full size: positionFraction of the
// balance as margin, times the candidate's leverage). The trade is played out on the following
// candles (stop / take-profit / liquidation / horizon, fees both ways), its pnl settles at once and
// the episode moves to the next bar. N copies over typed arrays; the only allocation is a record.
//
// Proposals and their outcomes depend on the bar alone, so they are computed once per segment row
// when the environment is built; a step is then table look-ups and bookkeeping.

import { pythonIsoTime } from '../../clock';
import type { CandleColumns, MarketFeatures } from '../../features/layout';
import { SLOT, STATE_SIZE } from '../../features/layout';
import { Rng } from '../../rng';
import type { Segment, VecEnv } from '../types';
import { EnvBookkeeping, usableSegment, type TypedArray } from '../records';
import {
  EXIT_LIQUIDATION,
  SIGNAL_CONFIDENCE,
  SIGNAL_FIELDS,
  SIGNAL_HORIZON,
  SIGNAL_LEVERAGE,
  SIGNAL_SIDE,
  SIGNAL_STOP_LOSS,
  SIGNAL_TAKE_PROFIT,
  playTradeInto,
  proposeTradeInto,
} from './signals';

export interface TradeApprovalRewardWeights {
  /** pnl_rewards = pnl × this, pnl in % of the balance. */
  pnl: number;
  /** A good rejection earns this × |the loss the full-size trade would have made, %|. */
  goodRejection: number;
  /** A missed opportunity costs this × the gain the full-size trade would have made, %. */
  missedOpportunity: number;
  /** Bonus per step while the health score is at least healthThreshold. */
  healthBonus: number;
  healthThreshold: number;
  /** Charged per liquidation (as a positive number; it is booked negative). */
  liquidationPenalty: number;
}

export const DEFAULT_TRADE_APPROVAL_WEIGHTS: Readonly<TradeApprovalRewardWeights> = {
  pnl: 1,
  goodRejection: 0.5,
  missedOpportunity: 0.5,
  healthBonus: 0.01,
  healthThreshold: 90,
  liquidationPenalty: 1,
};

export interface TradeApprovalEnvOptions {
  features: MarketFeatures;
  candles: CandleColumns;
  segment: Segment;
  numEnvs: number;
  seed: number;
  /** Proposals per episode at most (default 100). */
  maxSteps?: number;
  /** Fee per unit of notional, charged on entry and on exit (default 0.0006). */
  fee?: number;
  startingBalance?: number;
  /** Episodes start at random rows of the segment (default true); false walks the segment from its start. */
  randomStart?: boolean;
  /** Margin of a full-size (approve) trade as a fraction of the balance (default 0.1). */
  positionFraction?: number;
  /** Maintenance margin: liquidation comes at an adverse move of 1/leverage − this (default 0.005). */
  maintenanceMargin?: number;
  /** Drawdown from the balance's peak at which the health score reaches 0 (default 0.2). */
  healthDrawdown?: number;
  rewardWeights?: Partial<TradeApprovalRewardWeights>;
}

export interface TradeApprovalEpisode {
  episode: number;
  reward: number;
  length: number;
  timestep: number;
  timestamp: string;
  action_counts: { reject: number; approve_warning: number; approve: number };
  action_percentages: { reject: number; approve_warning: number; approve: number };
  trade_outcomes: {
    total_trades: number;
    approved_trades: number;
    rejected_trades: number;
    profitable_approved: number;
    losing_approved: number;
    liquidations: number;
    good_rejections: number;
    missed_opportunities: number;
  };
  portfolio: {
    starting_balance: number;
    ending_balance: number;
    return_pct: number;
    max_drawdown: number;
    min_health_score: number;
    final_health_score: number;
  };
  reward_breakdown: {
    pnl_rewards: number;
    rejection_rewards: number;
    health_bonuses: number;
    liquidation_penalties: number;
  };
}

export const TRADE_APPROVAL_ACTIONS = ['reject', 'approve_warning', 'approve'] as const;

/** Candidate features appended to the 34-feature state. */
export const CANDIDATE_FEATURES = [
  'candidate_side',
  'candidate_confidence',
  'candidate_leverage_div10',
  'candidate_take_profit',
  'candidate_stop_loss',
  'candidate_horizon_div100',
  'balance_change',
  'health_div100',
] as const;
export const TRADE_APPROVAL_OBS_SIZE = STATE_SIZE + CANDIDATE_FEATURES.length;

const TANH_TABLE = 512;

export class TradeApprovalEnv extends EnvBookkeeping<TradeApprovalEpisode> implements VecEnv<TradeApprovalEpisode> {
  readonly name = 'trade-approval';
  readonly numEnvs: number;
  readonly obsSize = TRADE_APPROVAL_OBS_SIZE;
  readonly numActions = 3;
  readonly actionNames: readonly string[] = TRADE_APPROVAL_ACTIONS;
  readonly obs: Float32Array;
  readonly rewards: Float32Array;
  readonly dones: Uint8Array;
  readonly masks: Uint8Array;

  readonly segment: Segment;
  readonly maxSteps: number;
  readonly fee: number;
  readonly startingBalance: number;
  readonly randomStart: boolean;
  readonly positionFraction: number;
  readonly maintenanceMargin: number;
  readonly healthDrawdown: number;
  readonly weights: Readonly<TradeApprovalRewardWeights>;

  private readonly values: Float32Array;
  private readonly tanhTable: Float32Array;
  protected readonly rng: Rng;

  // per segment row (index row − segment.start): the proposal and what a full-size approval yields
  private readonly signal: Float64Array; // [SIGNAL_FIELDS] per row
  private readonly fullPnlPct: Float64Array; // pnl of a full-size approval, % of the balance
  private readonly liquidates: Uint8Array;

  // per-copy state
  private readonly row: Int32Array;
  private readonly steps: Int32Array;
  private readonly sinceApproval: Int32Array;
  private readonly balance: Float64Array;
  private readonly peak: Float64Array;
  private readonly maxDd: Float64Array;
  private readonly health: Float64Array;
  private readonly minHealth: Float64Array;
  private readonly epReward: Float64Array;
  private readonly pnlRewards: Float64Array;
  private readonly rejectionRewards: Float64Array;
  private readonly healthBonuses: Float64Array;
  private readonly liquidationPenalties: Float64Array;
  private readonly nReject: Int32Array;
  private readonly nWarning: Int32Array;
  private readonly nApprove: Int32Array;
  private readonly profitable: Int32Array;
  private readonly losing: Int32Array;
  private readonly liquidations: Int32Array;
  private readonly goodRejections: Int32Array;
  private readonly missed: Int32Array;


  constructor(opts: TradeApprovalEnvOptions) {
    super();
    const n = opts.numEnvs;
    if (!Number.isInteger(n) || n < 1) throw new Error('numEnvs must be a positive integer');
    this.numEnvs = n;
    this.segment = usableSegment(opts.features, opts.candles, opts.segment);
    this.maxSteps = opts.maxSteps ?? 100;
    if (!Number.isInteger(this.maxSteps) || this.maxSteps < 1) throw new Error('maxSteps must be a positive integer');
    this.fee = opts.fee ?? 0.0006;
    if (!(this.fee >= 0)) throw new Error('fee must be non-negative');
    this.startingBalance = opts.startingBalance ?? 10_000;
    if (!(this.startingBalance > 0)) throw new Error('startingBalance must be positive');
    this.randomStart = opts.randomStart ?? true;
    this.positionFraction = opts.positionFraction ?? 0.1;
    if (!(this.positionFraction > 0 && this.positionFraction <= 1)) throw new Error('positionFraction must be in (0, 1]');
    this.maintenanceMargin = opts.maintenanceMargin ?? 0.005;
    this.healthDrawdown = opts.healthDrawdown ?? 0.2;
    if (!(this.healthDrawdown > 0)) throw new Error('healthDrawdown must be positive');
    this.weights = { ...DEFAULT_TRADE_APPROVAL_WEIGHTS, ...opts.rewardWeights };
    this.rng = new Rng(opts.seed);
    this.values = opts.features.values;
    this.tanhTable = new Float32Array(TANH_TABLE);
    for (let k = 0; k < TANH_TABLE; k++) this.tanhTable[k] = Math.tanh(k / 20);

    // proposals and outcomes for every row that has a following bar inside the segment
    const { start, end } = this.segment;
    const rows = end - start;
    this.signal = new Float64Array(rows * SIGNAL_FIELDS);
    this.fullPnlPct = new Float64Array(rows);
    this.liquidates = new Uint8Array(rows);
    const c = opts.candles;
    const outcome = new Float64Array(4);
    for (let t = start; t < end - 1; t++) {
      const j = t - start;
      const o = j * SIGNAL_FIELDS;
      proposeTradeInto(this.values, t, this.signal, o);
      const sig = this.signal;
      const lev = sig[o + SIGNAL_LEVERAGE];
      playTradeInto(c.high, c.low, c.open, c.close, t, end - 1, sig[o + SIGNAL_SIDE], lev,
        sig[o + SIGNAL_TAKE_PROFIT], sig[o + SIGNAL_STOP_LOSS], sig[o + SIGNAL_HORIZON],
        this.fee, this.maintenanceMargin, outcome, 0);
      this.fullPnlPct[j] = this.positionFraction * lev * outcome[0] * 100;
      this.liquidates[j] = outcome[1] === EXIT_LIQUIDATION ? 1 : 0;
    }

    this.obs = new Float32Array(n * TRADE_APPROVAL_OBS_SIZE);
    this.rewards = new Float32Array(n);
    this.dones = new Uint8Array(n);
    this.masks = new Uint8Array(n * 3).fill(1);
    this.row = new Int32Array(n);
    this.steps = new Int32Array(n);
    this.sinceApproval = new Int32Array(n);
    this.balance = new Float64Array(n);
    this.peak = new Float64Array(n);
    this.maxDd = new Float64Array(n);
    this.health = new Float64Array(n);
    this.minHealth = new Float64Array(n);
    this.epReward = new Float64Array(n);
    this.pnlRewards = new Float64Array(n);
    this.rejectionRewards = new Float64Array(n);
    this.healthBonuses = new Float64Array(n);
    this.liquidationPenalties = new Float64Array(n);
    this.nReject = new Int32Array(n);
    this.nWarning = new Int32Array(n);
    this.nApprove = new Int32Array(n);
    this.profitable = new Int32Array(n);
    this.losing = new Int32Array(n);
    this.liquidations = new Int32Array(n);
    this.goodRejections = new Int32Array(n);
    this.missed = new Int32Array(n);
    this.reset();
  }

  step(actions: ArrayLike<number>): void {
    const n = this.numEnvs;
    if (actions.length < n) throw new Error(`step needs ${n} actions, got ${actions.length}`);
    const obs = this.obs, vals = this.values, rewards = this.rewards, dones = this.dones;
    const signal = this.signal, fullPnlPct = this.fullPnlPct, liquidates = this.liquidates;
    const row = this.row, steps = this.steps, sinceApproval = this.sinceApproval;
    const balance = this.balance, peak = this.peak, maxDd = this.maxDd, health = this.health, minHealth = this.minHealth;
    const epReward = this.epReward, pnlRewards = this.pnlRewards, rejectionRewards = this.rejectionRewards;
    const healthBonuses = this.healthBonuses, liquidationPenalties = this.liquidationPenalties;
    const nReject = this.nReject, nWarning = this.nWarning, nApprove = this.nApprove;
    const profitable = this.profitable, losing = this.losing, liquidations = this.liquidations;
    const goodRejections = this.goodRejections, missed = this.missed;
    const tanhTable = this.tanhTable;
    const w = this.weights;
    const wPnl = w.pnl, wGood = w.goodRejection, wMissed = w.missedOpportunity;
    const healthBonus = w.healthBonus, healthThreshold = w.healthThreshold, liqPenalty = w.liquidationPenalty;
    const invHealthDd = 1 / this.healthDrawdown;
    const segStart = this.segment.start, lastRow = this.segment.end - 1, maxSteps = this.maxSteps;
    const obsSize = TRADE_APPROVAL_OBS_SIZE, invSb = 1 / this.startingBalance;
    const sLev = SLOT.leverage, sPos = SLOT.position, sCash = SLOT.cashFraction, sTime = SLOT.timeSinceTrade;
    let total = this.totalSteps;

    for (let i = 0; i < n; i++) {
      const t = row[i];
      const j = t - segStart;
      const a = actions[i];
      const full = fullPnlPct[j];
      let reward = 0;
      let since = sinceApproval[i];
      let bal = balance[i];
      if (a === 1 || a === 2) {
        let pct: number;
        if (a === 2) { pct = full; nApprove[i]++; }
        else { pct = 0.5 * full; nWarning[i]++; }
        bal += bal * pct * 0.01;
        if (bal < 0) bal = 0;
        const rp = wPnl * pct;
        pnlRewards[i] += rp;
        reward += rp;
        if (liquidates[j] === 1) {
          liquidations[i]++;
          liquidationPenalties[i] -= liqPenalty;
          reward -= liqPenalty;
        } else if (pct > 0) profitable[i]++;
        else losing[i]++;
        since = 0;
      } else {
        nReject[i]++;
        let rr: number;
        if (full > 0) { missed[i]++; rr = -wMissed * full; }
        else { goodRejections[i]++; rr = -wGood * full; }
        rejectionRewards[i] += rr;
        reward += rr;
      }
      balance[i] = bal;
      if (bal > peak[i]) peak[i] = bal;
      const dd = 1 - bal / peak[i];
      if (dd > maxDd[i]) maxDd[i] = dd;
      let h = 100 * (1 - dd * invHealthDd);
      if (h < 0) h = 0;
      else if (h > 100) h = 100;
      health[i] = h;
      if (h < minHealth[i]) minHealth[i] = h;
      if (h >= healthThreshold) {
        healthBonuses[i] += healthBonus;
        reward += healthBonus;
      }
      rewards[i] = reward;
      epReward[i] += reward;
      const t1 = t + 1;
      row[i] = t1;
      const s = steps[i] + 1;
      steps[i] = s;
      since++;
      sinceApproval[i] = since;
      total++;

      if (s >= maxSteps || t1 >= lastRow || bal <= 0) {
        dones[i] = 1;
        this.finishEpisode(i, total);
        this.startEpisode(i);
        this.writeObs(i);
        continue;
      }
      dones[i] = 0;
      const o = i * obsSize;
      const src = t1 * STATE_SIZE;
      for (let k = 0; k < STATE_SIZE; k++) obs[o + k] = vals[src + k];
      const g = (j + 1) * SIGNAL_FIELDS;
      const lev = signal[g + SIGNAL_LEVERAGE];
      obs[o + sPos] = 0;
      obs[o + sLev] = lev;
      obs[o + sCash] = 1;
      obs[o + sTime] = since < TANH_TABLE ? tanhTable[since] : 1;
      obs[o + 34] = signal[g + SIGNAL_SIDE];
      obs[o + 35] = signal[g + SIGNAL_CONFIDENCE];
      obs[o + 36] = lev * 0.1;
      obs[o + 37] = signal[g + SIGNAL_TAKE_PROFIT];
      obs[o + 38] = signal[g + SIGNAL_STOP_LOSS];
      obs[o + 39] = signal[g + SIGNAL_HORIZON] * 0.01;
      obs[o + 40] = bal * invSb - 1;
      obs[o + 41] = h * 0.01;
    }
    this.totalSteps = total;
  }

  /** The proposal the copy faces now (allocates; for inspection and tests). */
  candidate(i: number): { side: number; confidence: number; leverage: number; takeProfit: number; stopLoss: number; horizon: number; fullPnlPct: number; liquidates: boolean } {
    const j = this.row[i] - this.segment.start;
    const g = j * SIGNAL_FIELDS;
    return {
      side: this.signal[g + SIGNAL_SIDE],
      confidence: this.signal[g + SIGNAL_CONFIDENCE],
      leverage: this.signal[g + SIGNAL_LEVERAGE],
      takeProfit: this.signal[g + SIGNAL_TAKE_PROFIT],
      stopLoss: this.signal[g + SIGNAL_STOP_LOSS],
      horizon: this.signal[g + SIGNAL_HORIZON],
      fullPnlPct: this.fullPnlPct[j],
      liquidates: this.liquidates[j] === 1,
    };
  }

  /** Current row of copy i (for inspection and tests). */
  currentRow(i: number): number {
    return this.row[i];
  }

  protected stateArrays(): Record<string, TypedArray> {
    return {
      obs: this.obs, rewards: this.rewards, dones: this.dones, masks: this.masks,
      row: this.row, steps: this.steps, sinceApproval: this.sinceApproval,
      balance: this.balance, peak: this.peak, maxDd: this.maxDd, health: this.health, minHealth: this.minHealth,
      epReward: this.epReward, pnlRewards: this.pnlRewards, rejectionRewards: this.rejectionRewards,
      healthBonuses: this.healthBonuses, liquidationPenalties: this.liquidationPenalties,
      nReject: this.nReject, nWarning: this.nWarning, nApprove: this.nApprove,
      profitable: this.profitable, losing: this.losing, liquidations: this.liquidations,
      goodRejections: this.goodRejections, missed: this.missed,
    };
  }

  protected startEpisode(i: number, row = this.nextStart()): void {
    const sb = this.startingBalance;
    this.row[i] = row;
    this.steps[i] = 0;
    this.sinceApproval[i] = 0;
    this.balance[i] = sb;
    this.peak[i] = sb;
    this.maxDd[i] = 0;
    this.health[i] = 100;
    this.minHealth[i] = 100;
    this.epReward[i] = 0;
    this.pnlRewards[i] = 0;
    this.rejectionRewards[i] = 0;
    this.healthBonuses[i] = 0;
    this.liquidationPenalties[i] = 0;
    this.nReject[i] = 0;
    this.nWarning[i] = 0;
    this.nApprove[i] = 0;
    this.profitable[i] = 0;
    this.losing[i] = 0;
    this.liquidations[i] = 0;
    this.goodRejections[i] = 0;
    this.missed[i] = 0;
  }

  protected writeObs(i: number): void {
    const o = i * TRADE_APPROVAL_OBS_SIZE;
    const t = this.row[i];
    const src = t * STATE_SIZE;
    for (let k = 0; k < STATE_SIZE; k++) this.obs[o + k] = this.values[src + k];
    const g = (t - this.segment.start) * SIGNAL_FIELDS;
    const sig = this.signal;
    const since = this.sinceApproval[i];
    this.obs[o + SLOT.position] = 0;
    this.obs[o + SLOT.leverage] = sig[g + SIGNAL_LEVERAGE];
    this.obs[o + SLOT.cashFraction] = 1;
    this.obs[o + SLOT.timeSinceTrade] = since < TANH_TABLE ? this.tanhTable[since] : 1;
    this.obs[o + 34] = sig[g + SIGNAL_SIDE];
    this.obs[o + 35] = sig[g + SIGNAL_CONFIDENCE];
    this.obs[o + 36] = sig[g + SIGNAL_LEVERAGE] * 0.1;
    this.obs[o + 37] = sig[g + SIGNAL_TAKE_PROFIT];
    this.obs[o + 38] = sig[g + SIGNAL_STOP_LOSS];
    this.obs[o + 39] = sig[g + SIGNAL_HORIZON] * 0.01;
    this.obs[o + 40] = this.balance[i] / this.startingBalance - 1;
    this.obs[o + 41] = this.health[i] * 0.01;
  }

  private finishEpisode(i: number, timestep: number): void {
    const length = this.steps[i];
    const reject = this.nReject[i], warning = this.nWarning[i], approve = this.nApprove[i];
    const pct = (k: number) => (length > 0 ? (k / length) * 100 : 0);
    const sb = this.startingBalance;
    const bal = this.balance[i];
    this.episodeCount++;
    this.pending.push({
      episode: this.episodeCount,
      reward: this.epReward[i],
      length,
      timestep,
      timestamp: pythonIsoTime(),
      action_counts: { reject, approve_warning: warning, approve },
      action_percentages: { reject: pct(reject), approve_warning: pct(warning), approve: pct(approve) },
      trade_outcomes: {
        total_trades: length,
        approved_trades: warning + approve,
        rejected_trades: reject,
        profitable_approved: this.profitable[i],
        losing_approved: this.losing[i],
        liquidations: this.liquidations[i],
        good_rejections: this.goodRejections[i],
        missed_opportunities: this.missed[i],
      },
      portfolio: {
        starting_balance: sb,
        ending_balance: bal,
        return_pct: (bal / sb - 1) * 100,
        max_drawdown: this.maxDd[i],
        min_health_score: this.minHealth[i],
        final_health_score: this.health[i],
      },
      reward_breakdown: {
        pnl_rewards: this.pnlRewards[i],
        rejection_rewards: this.rejectionRewards[i],
        health_bonuses: this.healthBonuses[i],
        liquidation_penalties: this.liquidationPenalties[i],
      },
    });
  }
}
