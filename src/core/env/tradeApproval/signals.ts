// A rule-based signal ensemble (seed 000's proposer): at a bar it proposes one candidate trade from
// the bar's market features alone — momentum, RSI, MACD signal and a Bollinger squeeze vote; the
// votes' balance gives the side and confidence, confidence sets leverage and horizon, and recent
// volatility (the spread of the bar's 20 return slots) sets the take-profit and stop distances.
// Pure and deterministic: the same feature row always gives the same proposal (no random tie-break:
// a tied vote follows the latest return, then goes long).

import type { MarketFeatures } from '../../features/layout';
import { SLOT, STATE_SIZE } from '../../features/layout';
import { rowReturnVolatility } from '../../features/market';

export interface TradeSignal {
  /** +1 long, −1 short. */
  side: 1 | -1;
  /** 0..1: how strongly the votes agree. */
  confidence: number;
  /** 1..10 (integer), higher with confidence. */
  leverage: number;
  /** Take-profit distance as a fraction of the entry price. */
  takeProfit: number;
  /** Stop-loss distance as a fraction of the entry price. */
  stopLoss: number;
  /** Bars the trade may stay open. */
  horizon: number;
}

/** Layout of a proposal written by proposeTradeInto: six numbers in this order. */
export const SIGNAL_SIDE = 0;
export const SIGNAL_CONFIDENCE = 1;
export const SIGNAL_LEVERAGE = 2;
export const SIGNAL_TAKE_PROFIT = 3;
export const SIGNAL_STOP_LOSS = 4;
export const SIGNAL_HORIZON = 5;
export const SIGNAL_FIELDS = 6;

export const SIGNAL_RULES = {
  /** RSI (0..1) below this votes long, above 1 − this votes short. */
  rsiOversold: 0.3,
  rsiOverbought: 0.7,
  /** A Bollinger width below this many times the per-bar volatility is a squeeze (≈ 7.5 for a random walk). */
  squeezeWidthPerVol: 4,
  /** Stop distance = this × volatility × sqrt(horizon), within [minStop, maxStop]. */
  stopVolMult: 1.5,
  minStop: 0.002,
  maxStop: 0.25,
  /** Take-profit = stop × (rewardRisk + confidence). */
  rewardRisk: 1.2,
  minHorizon: 12,
  maxHorizon: 48,
  maxLeverage: 10,
  /** Volatility floor when the return slots are flat. */
  minVol: 1e-4,
} as const;

const VOTES = 4;

/**
 * Writes the proposal for feature row `row` of `values` (row-major [rows, 34]) into out[offset..offset+6):
 * side, confidence, leverage, take-profit, stop-loss, horizon. Allocates nothing.
 */
export function proposeTradeInto(values: Float32Array, row: number, out: Float64Array, offset: number): void {
  const base = row * STATE_SIZE;
  let vol = rowReturnVolatility(values, row);
  if (!(vol > SIGNAL_RULES.minVol)) vol = SIGNAL_RULES.minVol;

  // momentum: the last five returns, scaled by what noise alone would give
  let momentum = 0;
  for (let k = 15; k < 20; k++) momentum += values[base + SLOT.returns + k];
  const momDir = momentum > 0 ? 1 : momentum < 0 ? -1 : 0;
  const momStrength = Math.min(1, Math.abs(momentum) / (vol * Math.sqrt(5)));
  let score = momDir * momStrength;

  // RSI: oversold long, overbought short
  const rsi = values[base + SLOT.rsi];
  if (rsi < SIGNAL_RULES.rsiOversold) score += 1;
  else if (rsi > SIGNAL_RULES.rsiOverbought) score -= 1;

  // MACD signal line's sign
  const macd = values[base + SLOT.macdSignal];
  if (macd > 0) score += 1;
  else if (macd < 0) score -= 1;

  // Bollinger squeeze: narrow bands break out the way momentum points
  const width = values[base + SLOT.bollingerWidth];
  if (width < SIGNAL_RULES.squeezeWidthPerVol * vol) score += momDir;

  let side: number;
  if (score > 0) side = 1;
  else if (score < 0) side = -1;
  else side = values[base + SLOT.returns + 19] < 0 ? -1 : 1;
  let confidence = Math.abs(score) / VOTES;
  if (!(confidence <= 1)) confidence = confidence > 1 ? 1 : 0; // NaN features give no confidence

  const leverage = 1 + Math.round((SIGNAL_RULES.maxLeverage - 1) * confidence);
  const horizon = SIGNAL_RULES.minHorizon + Math.round((SIGNAL_RULES.maxHorizon - SIGNAL_RULES.minHorizon) * confidence);
  let stop = SIGNAL_RULES.stopVolMult * vol * Math.sqrt(horizon);
  if (stop < SIGNAL_RULES.minStop) stop = SIGNAL_RULES.minStop;
  else if (stop > SIGNAL_RULES.maxStop) stop = SIGNAL_RULES.maxStop;
  else if (!(stop >= 0)) stop = SIGNAL_RULES.minStop;
  const takeProfit = stop * (SIGNAL_RULES.rewardRisk + confidence);

  out[offset + SIGNAL_SIDE] = side;
  out[offset + SIGNAL_CONFIDENCE] = confidence;
  out[offset + SIGNAL_LEVERAGE] = leverage;
  out[offset + SIGNAL_TAKE_PROFIT] = takeProfit;
  out[offset + SIGNAL_STOP_LOSS] = stop;
  out[offset + SIGNAL_HORIZON] = horizon;
}

/** The proposal at a bar, as an object (allocates; use proposeTradeInto in loops). */
export function proposeTrade(features: MarketFeatures, row: number): TradeSignal {
  if (!Number.isInteger(row) || row < 0 || row >= features.rows) throw new Error(`row ${row} is outside 0..${features.rows - 1}`);
  const out = new Float64Array(SIGNAL_FIELDS);
  proposeTradeInto(features.values, row, out, 0);
  return {
    side: out[SIGNAL_SIDE] < 0 ? -1 : 1,
    confidence: out[SIGNAL_CONFIDENCE],
    leverage: out[SIGNAL_LEVERAGE],
    takeProfit: out[SIGNAL_TAKE_PROFIT],
    stopLoss: out[SIGNAL_STOP_LOSS],
    horizon: out[SIGNAL_HORIZON],
  };
}

export interface TradeOutcome {
  /** Profit per unit of notional after entry and exit fees (liquidation: −1/leverage − entry fee). */
  returnOnNotional: number;
  liquidated: boolean;
  /** How the trade closed. */
  exit: 'take_profit' | 'stop' | 'liquidation' | 'horizon';
  /** Bars after entry at which it closed (1..horizon). */
  bars: number;
  exitPrice: number;
}

export const EXIT_TAKE_PROFIT = 0;
export const EXIT_STOP = 1;
export const EXIT_LIQUIDATION = 2;
export const EXIT_HORIZON = 3;
const EXIT_NAMES = ['take_profit', 'stop', 'liquidation', 'horizon'] as const;

/**
 * Plays a trade entered at close[row] out on the following bars row+1 .. min(row+horizon, lastRow):
 * per bar, liquidation (adverse move ≥ 1/leverage − maintenance, when that comes before the stop),
 * then the stop, then the take-profit — both in one bar counts as the stop. Stops and targets fill at
 * their price, or at the bar's open when it gaps through. Without either, exit at the last bar's
 * close. Writes [returnOnNotional, exitKind, bars, exitPrice] into out[offset..offset+4).
 * Reads no bar after lastRow.
 */
export function playTradeInto(
  high: Float64Array, low: Float64Array, open: Float64Array, close: Float64Array,
  row: number, lastRow: number,
  side: number, leverage: number, takeProfit: number, stopLoss: number, horizon: number,
  fee: number, maintenanceMargin: number,
  out: Float64Array, offset: number,
): void {
  const entry = close[row];
  const liqDist = 1 / leverage - maintenanceMargin;
  const liqFirst = liqDist < stopLoss;
  const long = side > 0;
  const stopPx = long ? entry * (1 - stopLoss) : entry * (1 + stopLoss);
  const tpPx = long ? entry * (1 + takeProfit) : entry * (1 - takeProfit);
  const liqPx = long ? entry * (1 - liqDist) : entry * (1 + liqDist);
  let last = row + Math.max(1, Math.round(horizon));
  if (last > lastRow) last = lastRow;
  let kind = EXIT_HORIZON;
  let exit = close[last];
  let b = row + 1;
  for (; b <= last; b++) {
    const hi = high[b], lo = low[b], op = open[b];
    if (long) {
      if (liqFirst && lo <= liqPx) { kind = EXIT_LIQUIDATION; exit = liqPx; break; }
      if (lo <= stopPx) { kind = EXIT_STOP; exit = op < stopPx ? op : stopPx; break; }
      if (hi >= tpPx) { kind = EXIT_TAKE_PROFIT; exit = op > tpPx ? op : tpPx; break; }
    } else {
      if (liqFirst && hi >= liqPx) { kind = EXIT_LIQUIDATION; exit = liqPx; break; }
      if (hi >= stopPx) { kind = EXIT_STOP; exit = op > stopPx ? op : stopPx; break; }
      if (lo <= tpPx) { kind = EXIT_TAKE_PROFIT; exit = op < tpPx ? op : tpPx; break; }
    }
  }
  if (b > last) b = last;
  const move = long ? exit / entry - 1 : 1 - exit / entry;
  // a gap through the stop beyond the liquidation distance liquidates all the same
  if (kind !== EXIT_LIQUIDATION && move <= -liqDist) kind = EXIT_LIQUIDATION;
  let ret: number;
  if (kind === EXIT_LIQUIDATION) {
    ret = -1 / leverage - fee;
  } else {
    ret = move - fee * (1 + exit / entry);
  }
  out[offset] = ret;
  out[offset + 1] = kind;
  out[offset + 2] = b - row;
  out[offset + 3] = exit;
}

/** playTradeInto as an object (allocates). */
export function playTrade(
  candles: { high: Float64Array; low: Float64Array; open: Float64Array; close: Float64Array },
  row: number, lastRow: number, signal: TradeSignal, fee: number, maintenanceMargin: number,
): TradeOutcome {
  const out = new Float64Array(4);
  playTradeInto(candles.high, candles.low, candles.open, candles.close, row, lastRow, signal.side, signal.leverage,
    signal.takeProfit, signal.stopLoss, signal.horizon, fee, maintenanceMargin, out, 0);
  const exit = EXIT_NAMES[out[1]];
  return { returnOnNotional: out[0], liquidated: exit === 'liquidation', exit, bars: out[2], exitPrice: out[3] };
}
