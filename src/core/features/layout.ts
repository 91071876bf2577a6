// The 34-feature state of seed 002, slot by slot. Market slots come from the candles
// (computeMarketFeatures); portfolio slots are written by the environment at each step.

export const STATE_SIZE = 34;

export const FEATURE_NAMES = [
  ...Array.from({ length: 20 }, (_, i) => `return_t-${19 - i}`), // 0..19: log returns, oldest first, the last is the latest bar's
  'rsi', // 20: RSI(14), Wilder, scaled to 0..1
  'macd_signal', // 21: MACD(12, 26) signal line (EMA 9) divided by close
  'bollinger_width', // 22: (upper - lower) / middle of Bollinger(20, 2)
  'volume_ratio', // 23: volume / mean volume of the last 20 bars
  'position', // 24: -1..1 (portfolio)
  'leverage', // 25: leverage in use (portfolio)
  'cash_fraction', // 26: cash / equity (portfolio)
  'time_since_trade', // 27: tanh(bars since the last trade / 20) (portfolio)
  'regime_low_vol', // 28: volatility-regime one-hot
  'regime_normal_vol', // 29
  'regime_high_vol', // 30
  'data_health', // 31: data-health index 0..1
  'news_sentiment', // 32: -1..1, 0 without such a column
  'macro_sentiment', // 33: -1..1, 0 without such a column
] as const;

export const SLOT = {
  returns: 0,
  rsi: 20,
  macdSignal: 21,
  bollingerWidth: 22,
  volumeRatio: 23,
  position: 24,
  leverage: 25,
  cashFraction: 26,
  timeSinceTrade: 27,
  regime: 28,
  dataHealth: 31,
  newsSentiment: 32,
  macroSentiment: 33,
} as const;

/** The candle columns features are computed from (epoch-ms times, prices, volume). */
export interface CandleColumns {
  time: Float64Array;
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  volume: Float64Array | null;
  newsSentiment?: Float64Array | null;
  macroSentiment?: Float64Array | null;
}

/** Market features of every bar: rows × STATE_SIZE, portfolio slots left at 0. */
export interface MarketFeatures {
  rows: number;
  /** Row-major [rows, STATE_SIZE]. */
  values: Float32Array;
  /** First row whose indicators are all warmed up; environments start no earlier. */
  firstValidRow: number;
}
