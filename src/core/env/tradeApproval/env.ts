// Trade approval (seed 000, the Guardian): at each bar the signal ensemble proposes a trade and the
// agent answers reject, approve_warning (half size) or approve (full size: positionFraction of the
// equity as margin, times the candidate's leverage). Nothing is known before it happens:
//
// - an approved trade fills at the next bar's open (or the decision bar's close, as execution.ts
//   says), paying fee and slippage; it is marked to market at every close and leaves at its stop,
//   take-profit, liquidation (the margin is lost) or horizon, paying the exit's costs; when the
//   episode ends, what is still open is closed at the last close; each one closed goes to its
//   episode's closed-trades list, which the record carries beside it (closed.ts);
// - the margin of open trades is reserved: a trade is approvable only while the equity not already
//   pledged covers its margin, and the mask says so (reject is always allowed);
// - a rejection opens a shadow of the proposal, played out the same way without touching the
//   equity; when the shadow leaves, the rejection is credited what taking it would have cost
//   (a good rejection) or charged what it would have made (a missed opportunity), net of the same
//   fees, in % of the starting balance, times its weight.
//
// Reward parts (seed 000's), each in % of the starting balance, per step:
//   pnl_rewards            the change in equity (marked to market, after every cost), × weights.pnl,
//                          but for the trades liquidated in the step, whose change goes to
//   liquidation_penalties  the liquidated trades' loss, × weights.liquidationPenalty;
//   rejection_rewards      the credits and charges of the shadows that left in the step;
//   health_bonuses         weights.healthBonus for a step with capital at risk (a trade open) and
//                          the health score (mark-to-market drawdown) at least healthThreshold.
// With the default weights (1, 1), pnl + liquidation parts sum to the net P&L, and a policy's
// reward exceeds always-reject's by about (1 + rejection weight) × its net P&L plus its health
// bonuses: doing nothing cannot out-earn a profitable policy.
import { pythonIsoTime } from '../../clock';
import { annualizationFactor, barsPerYear } from '../calendar';
import type { Execution } from '../execution';
import type { CandleColumns, MarketFeatures } from '../../features/layout';
import { SLOT, STATE_SIZE } from '../../features/layout';
import { Rng } from '../../rng';
import type { Segment, VecEnv } from '../types';
import { EnvBookkeeping, usableSegment, type TypedArray } from '../records';
import { EXIT_HORIZON, EXIT_LIQUIDATION, SIGNAL_CONFIDENCE, SIGNAL_FIELDS, SIGNAL_HORIZON, SIGNAL_LEVERAGE, SIGNAL_RULES, SIGNAL_SIDE, SIGNAL_STOP_LOSS, SIGNAL_TAKE_PROFIT, proposeTradeInto } from './signals';
import { ClosedTradeLog, EXIT_AT_MARK, attachTrades, type TradeContext } from './closed';
import { DRAFT_ENTRY, DRAFT_ENTRY_FEE, DRAFT_ENTRY_ROW, DRAFT_LAST_ROW, DRAFT_LEVERAGE, DRAFT_MARGIN, DRAFT_NOTIONAL, DRAFT_SIDE, DRAFT_STOP_LOSS, DRAFT_TAKE_PROFIT, EXIT_NONE, TradeSlots } from './trades';

export interface TradeApprovalRewardWeights {
  /** pnl_rewards = the step's change in equity (% of the starting balance) × this. */
  pnl: number;
  /** A rejected trade that would have lost earns this × the loss it saved, %. */
  goodRejection: number;
  /** A rejected trade that would have gained costs this × the gain it missed, %. */
  missedOpportunity: number;
  /** Bonus per step with a trade open while the health score is at least healthThreshold. */
  healthBonus: number;
  healthThreshold: number;
  /** liquidation_penalties = the liquidated trades' loss (%) × this. */
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
  /** Fee per unit of notional, on every fill (default 0.0006). */
  fee?: number;
  /** Slippage against the trader on every fill, as a fraction of the price (default 0.0002). */
  slippage?: number;
  /** Where a decision fills: the next bar's open (default) or the decision bar's close. */
  fill?: Execution['fill'];
  startingBalance?: number;
  /** Episodes start at random rows of the segment (default true); false walks the segment from its start. */
  randomStart?: boolean;
  /** Margin of a full-size (approve) trade as a fraction of the equity (default 0.1). */
  positionFraction?: number;
  /** Maintenance margin: liquidation comes at an adverse move of 1/leverage − this (default 0.005). */
  maintenanceMargin?: number;
  /** Drawdown from the equity's peak at which the health score reaches 0 (default 0.2). */
  healthDrawdown?: number;
  rewardWeights?: Partial<TradeApprovalRewardWeights>;
  /** Bars per year (not used by the records here; kept for the environments' common options). */
  barsPerYear?: number;
  /**
   * Keep each episode's closed-trades list (default true). Walks read it; training leaves it off, as
   * nothing reads its records' lists and writing them costs a few % of a step.
   */
  keepTrades?: boolean;
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

function clip(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
/** A shadow lives at most the longest horizon: one slot per bar of it, and one to spare. */
const SHADOW_SLOTS = SIGNAL_RULES.maxHorizon + 2;

export class TradeApprovalEnv extends EnvBookkeeping<TradeApprovalEpisode> implements VecEnv<TradeApprovalEpisode> {
  readonly name = 'trade-approval';
  protected readonly stateVersion = 2;
  readonly numEnvs: number;
  readonly obsSize = TRADE_APPROVAL_OBS_SIZE;
  readonly numActions = 3;
  readonly actionNames: readonly string[] = TRADE_APPROVAL_ACTIONS;
  readonly obs: Float32Array;
  readonly rewards: Float32Array;
  readonly pnl: Float32Array;
  readonly dones: Uint8Array;
  readonly masks: Uint8Array;

  readonly segment: Segment;
  readonly maxSteps: number;
  readonly fee: number;
  readonly execution: Execution;
  readonly startingBalance: number;
  readonly randomStart: boolean;
  readonly positionFraction: number;
  readonly maintenanceMargin: number;
  readonly healthDrawdown: number;
  readonly weights: Readonly<TradeApprovalRewardWeights>;
  readonly sharpeFactor: number;

  private readonly values: Float32Array;
  private readonly candles: CandleColumns;
  private readonly tanhTable: Float32Array;
  /** An exit's market price and, for the closed-trades list, its net P&L. */
  private readonly exitPx = new Float64Array(2);
  protected readonly rng: Rng;

  /** The proposal of each segment row (index row − segment.start), from that row's features alone. */
  private readonly signal: Float64Array;

  private readonly real: TradeSlots;
  private readonly shadow: TradeSlots;
  /** The approved trades closed in each copy's episode, for its record's list (closed.ts). */
  private readonly closed: ClosedTradeLog | null;
  private readonly tradeContext: TradeContext;

  // per-copy state
  private readonly row: Int32Array;
  private readonly steps: Int32Array;
  private readonly sinceApproval: Int32Array;
  /** Starting balance plus realised profits and losses, less every cost paid. */
  private readonly cash: Float64Array;
  /** cash + the open trades' marks: what the copy is worth at the last close. */
  private readonly equity: Float64Array;
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
    this.execution = { fee: this.fee, slippage: opts.slippage ?? 0.0002, fill: opts.fill ?? 'next_open' };
    if (!(this.execution.slippage >= 0)) throw new Error('slippage must be non-negative');
    this.startingBalance = opts.startingBalance ?? 10_000;
    if (!(this.startingBalance > 0)) throw new Error('startingBalance must be positive');
    this.randomStart = opts.randomStart ?? true;
    this.positionFraction = opts.positionFraction ?? 0.1;
    if (!(this.positionFraction > 0 && this.positionFraction <= 1)) throw new Error('positionFraction must be in (0, 1]');
    this.maintenanceMargin = opts.maintenanceMargin ?? 0.005;
    this.healthDrawdown = opts.healthDrawdown ?? 0.2;
    if (!(this.healthDrawdown > 0)) throw new Error('healthDrawdown must be positive');
    this.weights = { ...DEFAULT_TRADE_APPROVAL_WEIGHTS, ...opts.rewardWeights };
    this.sharpeFactor = annualizationFactor(opts.barsPerYear ?? barsPerYear(opts.candles.time));
    this.rng = new Rng(opts.seed);
    this.values = opts.features.values;
    this.candles = opts.candles;
    this.tanhTable = new Float32Array(TANH_TABLE);
    for (let k = 0; k < TANH_TABLE; k++) this.tanhTable[k] = Math.tanh(k / 20);

    const { start, end } = this.segment;
    this.signal = new Float64Array((end - start) * SIGNAL_FIELDS);
    for (let t = start; t < end; t++) proposeTradeInto(this.values, t, this.signal, (t - start) * SIGNAL_FIELDS);

    // at most one trade per bar of the longest horizon; half-size (warning) trades pledge half the margin
    this.real = new TradeSlots(n, Math.min(SHADOW_SLOTS, Math.ceil(2 / this.positionFraction)), this.maintenanceMargin);
    this.shadow = new TradeSlots(n, SHADOW_SLOTS, this.maintenanceMargin);
    this.closed = opts.keepTrades === false ? null : new ClosedTradeLog(n);
    this.tradeContext = { time: opts.candles.time, fee: this.fee, slippage: this.execution.slippage, startingBalance: this.startingBalance };
    this.obs = new Float32Array(n * TRADE_APPROVAL_OBS_SIZE);
    this.rewards = new Float32Array(n);
    this.pnl = new Float32Array(n);
    this.dones = new Uint8Array(n);
    this.masks = new Uint8Array(n * 3).fill(1);
    this.row = new Int32Array(n);
    this.steps = new Int32Array(n);
    this.sinceApproval = new Int32Array(n);
    this.cash = new Float64Array(n);
    this.equity = new Float64Array(n);
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
    const candles = this.candles, { open, close } = candles;
    const x = this.execution, cost = x.fee, atNextOpen = x.fill === 'next_open';
    // each fill's price moves against the trader by the slippage (written out here: a double
    // returned from a call the compiler does not inline is boxed, an allocation per step)
    const up = 1 + x.slippage, down = 1 - x.slippage;
    const real = this.real, shadow = this.shadow, px = this.exitPx;
    const w = this.weights, sb = this.startingBalance, pct = 100 / sb, invHealthDd = 1 / this.healthDrawdown;
    const segStart = this.segment.start, lastRow = this.segment.end - 1, maxSteps = this.maxSteps, pf = this.positionFraction;
    const row = this.row, maintenance = this.maintenanceMargin, closed = this.closed;
    let total = this.totalSteps;

    for (let i = 0; i < n; i++) {
      const t = row[i];
      const a = actions[i];
      const g = (t - segStart) * SIGNAL_FIELDS;
      const side = this.signal[g + SIGNAL_SIDE], lev = this.signal[g + SIGNAL_LEVERAGE];
      const tp = this.signal[g + SIGNAL_TAKE_PROFIT], sl = this.signal[g + SIGNAL_STOP_LOSS];
      const last = Math.min(t + Math.max(1, Math.round(this.signal[g + SIGNAL_HORIZON])), lastRow);
      const eq0 = this.equity[i];
      let atRisk = false; // capital at risk during the step: a trade already open
      for (let k = 0; k < real.slots; k++) if (real.active[i * real.slots + k]) { atRisk = true; break; }
      // the decision: the approved part opens a trade, the rejected part a shadow of it
      const entry = atNextOpen ? open[t + 1] : close[t];
      let approved = 0; // the size approved: 0, 0.5 or 1
      if ((a === 1 || a === 2) && this.masks[i * 3 + a] === 1) {
        approved = a === 2 ? 1 : 0.5;
        const margin = approved * pf * eq0, notional = margin * lev;
        const d = real.draft;
        d[DRAFT_SIDE] = side; d[DRAFT_LEVERAGE] = lev; d[DRAFT_ENTRY] = entry * (side > 0 ? up : down);
        d[DRAFT_TAKE_PROFIT] = tp; d[DRAFT_STOP_LOSS] = sl; d[DRAFT_LAST_ROW] = last;
        d[DRAFT_NOTIONAL] = notional; d[DRAFT_MARGIN] = margin; d[DRAFT_ENTRY_FEE] = cost * notional;
        d[DRAFT_ENTRY_ROW] = atNextOpen ? t + 1 : t;
        real.open(real.free(i), approved === 1);
        this.cash[i] -= cost * notional;
        if (a === 2) this.nApprove[i]++; else this.nWarning[i]++;
        this.sinceApproval[i] = 0;
      } else {
        this.nReject[i]++;
      }
      if (approved < 1) {
        // the counterfactual, sized from the starting balance so it does not depend on the policy's luck
        const size = 1 - approved, margin = size * pf * sb, notional = margin * lev;
        const j = shadow.free(i);
        if (j >= 0) {
          const d = shadow.draft;
          d[DRAFT_SIDE] = side; d[DRAFT_LEVERAGE] = lev; d[DRAFT_ENTRY] = entry * (side > 0 ? up : down);
          d[DRAFT_TAKE_PROFIT] = tp; d[DRAFT_STOP_LOSS] = sl; d[DRAFT_LAST_ROW] = last;
          d[DRAFT_NOTIONAL] = notional; d[DRAFT_MARGIN] = margin; d[DRAFT_ENTRY_FEE] = cost * notional;
          shadow.open(j, approved === 0);
        }
      }

      // bar t + 1: exits, then marks at its close
      const b = t + 1;
      const c = close[b];
      const s = this.steps[i] + 1;
      const ending = s >= maxSteps || b >= lastRow;
      let liquidated = 0; // the change in equity of the trades liquidated in this step
      let marks = 0;
      for (let k = 0; k < real.slots; k++) {
        const j = i * real.slots + k;
        if (!real.active[j]) continue;
        let kind = real.exitIn(j, candles, b, ending, px); // what is open when the episode ends is closed
        if (kind === EXIT_NONE) {
          real.mark[j] = real.notional[j] * real.side[j] * (c / real.entry[j] - 1);
          if (real.mark[j] < -real.margin[j]) real.mark[j] = -real.margin[j];
          marks += real.mark[j];
          continue;
        }
        const before = real.mark[j];
        // a gap through the stop beyond the liquidation distance liquidates all the same
        if (real.side[j] * (px[0] / real.entry[j] - 1) <= -(1 / real.leverage[j] - maintenance)) kind = EXIT_LIQUIDATION;
        let realised: number;
        if (kind === EXIT_LIQUIDATION) realised = -real.margin[j]; // the margin is lost (the entry fee was paid)
        else {
          const fill = px[0] * (real.side[j] > 0 ? down : up); // a sale to close a long
          realised = real.notional[j] * real.side[j] * (fill / real.entry[j] - 1) - cost * real.notional[j] * (fill / real.entry[j]);
        }
        this.cash[i] += realised;
        if (closed) { px[1] = realised - real.entryFee[j]; closed.keep(i, real, j, b, kind, px); }
        real.active[j] = 0;
        if (kind === EXIT_LIQUIDATION) {
          this.liquidations[i]++;
          liquidated += realised - before;
        } else if (realised - real.entryFee[j] > 0) this.profitable[i]++;
        else this.losing[i]++;
      }
      let rejection = 0;
      for (let k = 0; k < shadow.slots; k++) {
        const j = i * shadow.slots + k;
        if (!shadow.active[j]) continue;
        let kind = shadow.exitIn(j, candles, b, ending, px);
        if (kind === EXIT_NONE) continue;
        if (shadow.side[j] * (px[0] / shadow.entry[j] - 1) <= -(1 / shadow.leverage[j] - maintenance)) kind = EXIT_LIQUIDATION;
        let net: number;
        if (kind === EXIT_LIQUIDATION) net = -shadow.margin[j] - shadow.entryFee[j];
        else {
          const fill = px[0] * (shadow.side[j] > 0 ? down : up);
          net = shadow.notional[j] * shadow.side[j] * (fill / shadow.entry[j] - 1) - cost * shadow.notional[j] * (fill / shadow.entry[j]) - shadow.entryFee[j];
        }
        shadow.active[j] = 0;
        const netPct = net * pct;
        // taking it would have made netPct: rejecting it saved a loss, or missed a gain
        if (netPct > 0) { rejection -= w.missedOpportunity * netPct; if (shadow.whole[j]) this.missed[i]++; }
        else { rejection -= w.goodRejection * netPct; if (shadow.whole[j]) this.goodRejections[i]++; }
      }

      const eq = this.cash[i] + marks;
      const change = eq - eq0;
      this.equity[i] = eq;
      if (eq > this.peak[i]) this.peak[i] = eq;
      const dd = this.peak[i] > 0 ? 1 - eq / this.peak[i] : 1;
      if (dd > this.maxDd[i]) this.maxDd[i] = dd;
      let hs = 100 * (1 - dd * invHealthDd);
      if (hs < 0) hs = 0; else if (hs > 100) hs = 100;
      this.health[i] = hs;
      if (hs < this.minHealth[i]) this.minHealth[i] = hs;

      const pnlPart = w.pnl * (change - liquidated) * pct;
      const liqPart = w.liquidationPenalty * liquidated * pct;
      const healthPart = (atRisk || approved > 0) && hs >= w.healthThreshold ? w.healthBonus : 0;
      const reward = pnlPart + liqPart + rejection + healthPart;
      this.pnlRewards[i] += pnlPart;
      this.liquidationPenalties[i] += liqPart;
      this.rejectionRewards[i] += rejection;
      this.healthBonuses[i] += healthPart;
      this.rewards[i] = reward;
      this.pnl[i] = change / sb;
      this.epReward[i] += reward;
      this.row[i] = b;
      this.steps[i] = s;
      this.sinceApproval[i]++;
      total++;

      if (ending || eq <= 0) {
        this.dones[i] = 1;
        if (!ending && closed) this.keepOpenAtMark(closed, i, b);
        this.finishEpisode(i, total);
        this.startEpisode(i);
        this.writeObs(i);
        continue;
      }
      this.dones[i] = 0;
      this.writeObs(i);
    }
    this.totalSteps = total;
  }

  /** The proposal the copy faces now (allocates; for inspection and tests). */
  candidate(i: number): { side: number; confidence: number; leverage: number; takeProfit: number; stopLoss: number; horizon: number } {
    const g = (this.row[i] - this.segment.start) * SIGNAL_FIELDS;
    return {
      side: this.signal[g + SIGNAL_SIDE],
      confidence: this.signal[g + SIGNAL_CONFIDENCE],
      leverage: this.signal[g + SIGNAL_LEVERAGE],
      takeProfit: this.signal[g + SIGNAL_TAKE_PROFIT],
      stopLoss: this.signal[g + SIGNAL_STOP_LOSS],
      horizon: this.signal[g + SIGNAL_HORIZON],
    };
  }

  /** Current row of copy i (for inspection and tests). */
  currentRow(i: number): number {
    return this.row[i];
  }

  /** Copy i's open trades, when its episode ends with them open (the equity ran out), into its closed-trades list at their marks. */
  private keepOpenAtMark(closed: ClosedTradeLog, i: number, b: number): void {
    const real = this.real, px = this.exitPx;
    for (let k = 0; k < real.slots; k++) {
      const j = i * real.slots + k;
      if (!real.active[j]) continue;
      px[0] = this.candles.close[b];
      px[1] = real.mark[j] - real.entryFee[j];
      closed.keep(i, real, j, b, EXIT_AT_MARK, px);
    }
  }

  /** Money pledged as margin by copy i's open trades. */
  private pledged(i: number): number {
    let m = 0;
    const base = i * this.real.slots;
    for (let k = 0; k < this.real.slots; k++) if (this.real.active[base + k]) m += this.real.margin[base + k];
    return m;
  }

  protected stateArrays(): Record<string, TypedArray> {
    return {
      obs: this.obs, rewards: this.rewards, dones: this.dones, masks: this.masks,
      row: this.row, steps: this.steps, sinceApproval: this.sinceApproval,
      cash: this.cash, equity: this.equity, peak: this.peak, maxDd: this.maxDd, health: this.health, minHealth: this.minHealth,
      epReward: this.epReward, pnlRewards: this.pnlRewards, rejectionRewards: this.rejectionRewards,
      healthBonuses: this.healthBonuses, liquidationPenalties: this.liquidationPenalties,
      nReject: this.nReject, nWarning: this.nWarning, nApprove: this.nApprove,
      profitable: this.profitable, losing: this.losing, liquidations: this.liquidations,
      goodRejections: this.goodRejections, missed: this.missed,
      ...this.real.arrays('real'), ...this.shadow.arrays('shadow'),
    };
  }

  protected startEpisode(i: number, row = this.nextStart()): void {
    const sb = this.startingBalance;
    this.row[i] = row;
    this.steps[i] = 0;
    this.sinceApproval[i] = 0;
    this.cash[i] = sb;
    this.equity[i] = sb;
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
    this.real.clear(i);
    this.shadow.clear(i);
    this.closed?.clear(i);
  }

  /**
   * The closed-trades lists and the open trades' entry bars are not part of the state (only the
   * records' lists read them, and a walk starts afresh): after a restore the lists start empty and
   * the open trades' entries read as not known.
   */
  override setState(state: unknown): void {
    super.setState(state);
    for (let i = 0; i < this.numEnvs; i++) this.closed?.clear(i);
    this.real.entryRow.fill(-1);
  }

  /** The observation and mask of copy i at its bar: the state, its exposure, the proposal. */
  protected writeObs(i: number): void {
    const o = i * TRADE_APPROVAL_OBS_SIZE;
    const t = this.row[i];
    const src = t * STATE_SIZE;
    for (let k = 0; k < STATE_SIZE; k++) this.obs[o + k] = this.values[src + k];
    const g = (t - this.segment.start) * SIGNAL_FIELDS;
    const sig = this.signal;
    const eq = this.equity[i];
    // exposure of the open trades at this close, as multiples of the equity
    let net = 0, gross = 0;
    const base = i * this.real.slots, close = this.candles.close[t];
    for (let k = 0; k < this.real.slots; k++) {
      const j = base + k;
      if (!this.real.active[j]) continue;
      const value = this.real.notional[j] * (close / this.real.entry[j]);
      net += this.real.side[j] * value;
      gross += value;
    }
    const free = eq - this.pledged(i);
    const since = this.sinceApproval[i];
    this.obs[o + SLOT.position] = eq > 0 ? clip(net / eq / SIGNAL_RULES.maxLeverage, -1, 1) : 0;
    this.obs[o + SLOT.leverage] = eq > 0 ? clip(gross / eq / SIGNAL_RULES.maxLeverage, 0, 1) : 0;
    this.obs[o + SLOT.cashFraction] = eq > 0 ? clip(free / eq, 0, 1) : 0;
    this.obs[o + SLOT.timeSinceTrade] = since < TANH_TABLE ? this.tanhTable[since] : 1;
    this.obs[o + 34] = sig[g + SIGNAL_SIDE];
    this.obs[o + 35] = sig[g + SIGNAL_CONFIDENCE];
    this.obs[o + 36] = sig[g + SIGNAL_LEVERAGE] * 0.1;
    this.obs[o + 37] = sig[g + SIGNAL_TAKE_PROFIT];
    this.obs[o + 38] = sig[g + SIGNAL_STOP_LOSS];
    this.obs[o + 39] = sig[g + SIGNAL_HORIZON] * 0.01;
    this.obs[o + 40] = eq / this.startingBalance - 1;
    this.obs[o + 41] = this.health[i] * 0.01;
    // approvable while the equity not already pledged covers the margin, and a slot is free
    const fullMargin = this.positionFraction * eq;
    const slot = this.real.free(i) >= 0;
    this.masks[i * 3] = 1;
    this.masks[i * 3 + 1] = slot && free >= 0.5 * fullMargin && eq > 0 ? 1 : 0;
    this.masks[i * 3 + 2] = slot && free >= fullMargin && eq > 0 ? 1 : 0;
  }

  private finishEpisode(i: number, timestep: number): void {
    const length = this.steps[i];
    const reject = this.nReject[i], warning = this.nWarning[i], approve = this.nApprove[i];
    const share = (k: number) => (length > 0 ? (k / length) * 100 : 0);
    const sb = this.startingBalance;
    const bal = this.equity[i];
    this.episodeCount++;
    const record: TradeApprovalEpisode = {
      episode: this.episodeCount,
      reward: this.epReward[i],
      length,
      timestep,
      timestamp: pythonIsoTime(),
      action_counts: { reject, approve_warning: warning, approve },
      action_percentages: { reject: share(reject), approve_warning: share(warning), approve: share(approve) },
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
    };
    if (this.closed) attachTrades(record, this.closed.take(i), this.tradeContext);
    this.pending.push(record);
  }
}
