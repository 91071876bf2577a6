// The teacher of behavior cloning (seed 002): an ensemble of three rule-based analysts whose
// confidence-weighted vote turns each bar's market features into (action, strength), and the
// offline dataset generator that walks a segment of candles with it.
//
// - technical analyst: RSI extremes and the MACD signal line's sign; the Bollinger width (relative
//   to recent volatility) scales how sure it is.
// - regime / risk analyst: votes HOLD, firmly, in the high-volatility regime or on poor data;
//   otherwise it follows the 20-bar trend, more readily in calm markets.
// - momentum analyst: the last five returns against what noise alone would give.
//
// Pure and deterministic: the same feature row always gives the same vote (ties go to HOLD, then
// BUY). The analysts read market slots only, so the teacher's decision never depends on its own
// position; the dataset's portfolio slots are nevertheless filled by following the teacher's
// actions exactly as PositionEnv would, so BC trains on states the environment will show it.
// Plain TypeScript over typed arrays: no TensorFlow.js, no DOM.

import type { CandleColumns, MarketFeatures } from '../features/layout';
import { SLOT, STATE_SIZE } from '../features/layout';
import { rowReturnVolatility } from '../features/market';
import { usableSegment } from '../env/records';
import { writeNpz } from '../data/npz';

export const HOLD = 0;
export const BUY = 1;
export const SELL = 2;
export type Action = typeof HOLD | typeof BUY | typeof SELL;
export const ACTION_NAMES = ['HOLD', 'BUY', 'SELL'] as const;

export interface AnalystVote {
  action: Action;
  /** 0..1: how sure the analyst is. */
  confidence: number;
}

export interface TeacherDecision {
  action: Action;
  /** 0..1: the winning action's share of all the confidence cast. */
  strength: number;
  votes: { technical: AnalystVote; risk: AnalystVote; momentum: AnalystVote };
}

/** How much each analyst's confidence counts in the vote (seed 002's analyst_weights). */
export interface AnalystWeights {
  technical: number;
  risk: number;
  momentum: number;
}

export const DEFAULT_ANALYST_WEIGHTS: AnalystWeights = { technical: 1, risk: 1, momentum: 1 };

export const TEACHER_RULES = {
  /** RSI (0..1) below this votes BUY, above rsiOverbought votes SELL. */
  rsiOversold: 0.3,
  rsiOverbought: 0.7,
  /** Bollinger width per unit of per-bar volatility: below squeeze the bands are tight (≈ 7.5 for a random walk). */
  squeezeWidthPerVol: 5,
  /** ... above wide they are stretched and a move is likely spent. */
  wideWidthPerVol: 12,
  /**
   * Confidence of an analyst that sees nothing and votes HOLD: waiting is the default, a trade must
   * outvote it (about 45-50% HOLD on the bundled samples).
   */
  neutralConfidence: 0.7,
  /**
   * Data-health index below this makes the risk analyst veto. Daily stock bars score 0.8 (weekend
   * gaps count as unhealthy), so the bar sits below that.
   */
  minDataHealth: 0.7,
  /** Risk analyst's confidence when it follows the trend: low-volatility and normal regimes. */
  trendConfidenceLowVol: 0.6,
  trendConfidenceNormal: 0.3,
  /** Momentum z-score (last five returns over noise) below which the momentum analyst sees no move. */
  momentumThreshold: 0.75,
  /** Volatility floor when the return slots are flat. */
  minVol: 1e-6,
} as const;

/** The row's recent per-bar volatility, floored so that thresholds scaled by it stay meaningful. */
function returnVolatility(values: Float32Array, base: number): number {
  const vol = rowReturnVolatility(values, base / STATE_SIZE);
  return vol > TEACHER_RULES.minVol ? vol : TEACHER_RULES.minVol;
}

const neutral = (): AnalystVote => ({ action: HOLD, confidence: TEACHER_RULES.neutralConfidence });
const clamp01 = (x: number): number => (x > 1 ? 1 : x > 0 ? x : 0); // NaN → 0

/** Technical analyst on row `row` of `values` (row-major [rows, 34]): RSI, MACD signal, Bollinger width. */
export function technicalAnalyst(values: Float32Array, row: number): AnalystVote {
  const base = row * STATE_SIZE;
  const rsi = values[base + SLOT.rsi];
  const macd = values[base + SLOT.macdSignal];
  let score = 0;
  if (rsi < TEACHER_RULES.rsiOversold) score += 1;
  else if (rsi > TEACHER_RULES.rsiOverbought) score -= 1;
  if (macd > 0) score += 1;
  else if (macd < 0) score -= 1;
  if (score === 0) return neutral();
  // tight bands: a move is starting, trust the signal; stretched bands: it is probably spent
  const widthPerVol = values[base + SLOT.bollingerWidth] / returnVolatility(values, base);
  const bandFactor = widthPerVol < TEACHER_RULES.squeezeWidthPerVol ? 1 : widthPerVol > TEACHER_RULES.wideWidthPerVol ? 0.5 : 0.75;
  return { action: score > 0 ? BUY : SELL, confidence: clamp01((Math.abs(score) / 2) * bandFactor) };
}

/** Regime / risk analyst: HOLD (confidence 1) in high volatility or on poor data, else the 20-bar trend. */
export function riskAnalyst(values: Float32Array, row: number): AnalystVote {
  const base = row * STATE_SIZE;
  if (!(values[base + SLOT.dataHealth] >= TEACHER_RULES.minDataHealth)) return { action: HOLD, confidence: 1 };
  if (values[base + SLOT.regime + 2] > 0.5) return { action: HOLD, confidence: 1 };
  let trend = 0;
  for (let k = 0; k < 20; k++) trend += values[base + SLOT.returns + k];
  if (trend === 0 || !Number.isFinite(trend)) return neutral();
  const lowVol = values[base + SLOT.regime] > 0.5; // an undefined regime (all slots 0) counts as normal
  return { action: trend > 0 ? BUY : SELL, confidence: lowVol ? TEACHER_RULES.trendConfidenceLowVol : TEACHER_RULES.trendConfidenceNormal };
}

/** Momentum analyst: the sum of the last five returns as a z-score against the row's volatility. */
export function momentumAnalyst(values: Float32Array, row: number): AnalystVote {
  const base = row * STATE_SIZE;
  let momentum = 0;
  for (let k = 15; k < 20; k++) momentum += values[base + SLOT.returns + k];
  const z = momentum / (returnVolatility(values, base) * Math.sqrt(5));
  if (!(Math.abs(z) >= TEACHER_RULES.momentumThreshold)) return neutral();
  return { action: z > 0 ? BUY : SELL, confidence: clamp01(Math.abs(z) / 2) };
}

/**
 * The ensemble's decision at a row: each analyst's confidence × its weight is added to its action's
 * tally; the largest tally wins (ties: HOLD, then BUY) and strength = winner's tally / all tallies.
 */
export function teacherDecision(values: Float32Array, row: number, weights: AnalystWeights = DEFAULT_ANALYST_WEIGHTS): TeacherDecision {
  const votes = { technical: technicalAnalyst(values, row), risk: riskAnalyst(values, row), momentum: momentumAnalyst(values, row) };
  const tally = [0, 0, 0];
  tally[votes.technical.action] += weights.technical * votes.technical.confidence;
  tally[votes.risk.action] += weights.risk * votes.risk.confidence;
  tally[votes.momentum.action] += weights.momentum * votes.momentum.confidence;
  let action: Action = HOLD;
  if (tally[BUY] > tally[action]) action = BUY;
  if (tally[SELL] > tally[action]) action = SELL;
  const total = tally[HOLD] + tally[BUY] + tally[SELL];
  return { action, strength: total > 0 ? tally[action] / total : 0, votes };
}

export interface OfflineDataset {
  /** Row-major [N, 34]: market slots of the bar, portfolio slots from following the teacher. */
  states: Float32Array;
  actions: Int32Array;
  strengths: Float32Array;
  /** Source row (bar) of each sample. */
  rows: Int32Array;
  /** Samples per action: [hold, buy, sell]. */
  actionCounts: [number, number, number];
}

export interface OfflineDatasetOptions {
  /** First row (default features.firstValidRow; never earlier than it). */
  start?: number;
  /** End row, exclusive (default features.rows). The last row gives no sample: an action there has no next bar. */
  end?: number;
  /** Position size of BUY / SELL as a multiple of equity, as PositionEnv's leverage (default 1). */
  maxLeverage?: number;
  /** SELL goes short (default true, as PositionEnv); otherwise SELL goes flat. */
  allowShort?: boolean;
  weights?: AnalystWeights;
}

/**
 * Walks rows start .. end-2 with the teacher, one sample per row. Each state is the row's market
 * features with the portfolio slots PositionEnv would show after following the teacher's earlier
 * actions from a flat start: position (−1..1, position / leverage), leverage in use, cash fraction
 * and tanh(bars since the last trade / 20) — BUY takes the position to +maxLeverage, SELL to
 * −maxLeverage (or flat), HOLD keeps it; a trade happens only when the position changes.
 * Deterministic.
 */
export function generateOfflineDataset(features: MarketFeatures, candles: CandleColumns, opts: OfflineDatasetOptions = {}): OfflineDataset {
  const segment = usableSegment(features, candles, { start: opts.start ?? features.firstValidRow, end: opts.end ?? features.rows });
  const leverage = opts.maxLeverage ?? 1;
  if (!(leverage > 0)) throw new Error('maxLeverage must be positive');
  const shortTarget = (opts.allowShort ?? true) ? -leverage : 0;
  const weights = opts.weights ?? DEFAULT_ANALYST_WEIGHTS;
  const n = segment.end - 1 - segment.start;
  const states = new Float32Array(n * STATE_SIZE);
  const actions = new Int32Array(n);
  const strengths = new Float32Array(n);
  const rows = new Int32Array(n);
  const actionCounts: [number, number, number] = [0, 0, 0];
  const values = features.values;

  let position = 0; // −leverage..leverage, multiple of equity
  let sinceTrade = 0; // bars since the last trade (since the start before one)
  for (let i = 0; i < n; i++) {
    const row = segment.start + i;
    const o = i * STATE_SIZE;
    states.set(values.subarray(row * STATE_SIZE, row * STATE_SIZE + STATE_SIZE), o);
    const size = Math.abs(position);
    states[o + SLOT.position] = position / leverage;
    states[o + SLOT.leverage] = size;
    states[o + SLOT.cashFraction] = size >= 1 ? 0 : 1 - size;
    states[o + SLOT.timeSinceTrade] = Math.tanh(sinceTrade / 20);

    const decision = teacherDecision(values, row, weights);
    actions[i] = decision.action;
    strengths[i] = decision.strength;
    rows[i] = row;
    actionCounts[decision.action]++;

    const target = decision.action === BUY ? leverage : decision.action === SELL ? shortTarget : position;
    if (target !== position) {
      position = target;
      sinceTrade = 0;
    }
    sinceTrade++;
  }
  return { states, actions, strengths, rows, actionCounts };
}

/** An offline dataset as .npz bytes in seed 002's layout (states float32 [N, 34], actions int64, strengths float32), plus its source rows. */
export function offlineDatasetNpz(dataset: OfflineDataset): Uint8Array {
  const n = dataset.actions.length;
  return writeNpz({
    states: { values: dataset.states, shape: [n, dataset.states.length / Math.max(1, n)], dtype: '<f4' },
    actions: { values: dataset.actions, shape: [n], dtype: '<i8' },
    strengths: { values: dataset.strengths, shape: [n], dtype: '<f4' },
    rows: { values: dataset.rows, shape: [n], dtype: '<i4' },
  });
}

/** The teacher as a policy for backtestPolicy: its action at the bar being played (the state's portfolio slots are ignored). */
export function teacherPolicy(features: MarketFeatures, weights: AnalystWeights = DEFAULT_ANALYST_WEIGHTS): (state: Float32Array, row: number) => number {
  return (_state, row) => teacherDecision(features.values, row, weights).action;
}
