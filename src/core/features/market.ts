// Market slots of seed 002's 34-feature state, computed for every bar in a few linear passes
// over the candle columns. Portfolio slots (24..27) are left at 0 for the environments to fill.
// Plain TypeScript over typed arrays: no DOM, no TensorFlow.js, no allocation per bar.

import type { Dataset } from '../data/types';
import type { CandleColumns, MarketFeatures } from './layout';
import { SLOT, STATE_SIZE } from './layout';

export const RETURN_LAGS = 20;
export const RSI_PERIOD = 14;
export const MACD_FAST = 12;
export const MACD_SLOW = 26;
export const MACD_SIGNAL = 9;
export const BOLLINGER_WINDOW = 20;
export const VOLUME_WINDOW = 20;
export const VOLATILITY_WINDOW = 20;
export const REGIME_WINDOW = 100;
export const HEALTH_WINDOW = 20;
export const REGIME_LOW = 0.75;
export const REGIME_HIGH = 1.25;
export const VOLUME_RATIO_MAX = 10;
/** A bar's time step counts as a gap when it exceeds this multiple of the median of the recent steps. */
export const GAP_FACTOR = 1.5;
/** The recent steps a bar's step is judged against: its own and the previous ones, this many at most. */
export const HEALTH_STEPS = 100;

/**
 * The first row at which every market slot is defined: the regime needs REGIME_WINDOW values of
 * vol20, and vol20 needs VOLATILITY_WINDOW returns, the first of which is at row 1 → row 119.
 * (Returns need row 20, RSI row 14, Bollinger and volume ratio row 19; the EMAs are defined from row 0.)
 */
export const MARKET_WARMUP_ROWS = Math.max(
  RETURN_LAGS, // slot 0 at row t is the return of bar t-19, which needs bar t-20
  RSI_PERIOD,
  BOLLINGER_WINDOW - 1,
  VOLUME_WINDOW - 1,
  VOLATILITY_WINDOW + REGIME_WINDOW - 1,
);

/**
 * A fixed-size window over a stream of numbers with O(1) mean and population variance (a sliding
 * Welford update, which stays accurate where sum-of-squares cancels, e.g. EUR/USD closes near 1.1).
 * The moments are recomputed exactly from the ring every RESYNC pushes so rounding cannot drift.
 */
class RollingMoments {
  private static readonly RESYNC = 1024;
  private readonly ring: Float64Array;
  private head = 0;
  private count = 0;
  private sinceExact = 0;
  mean = 0;
  private m2 = 0;

  constructor(readonly size: number) {
    this.ring = new Float64Array(size);
  }

  get full(): boolean {
    return this.count === this.size;
  }

  push(x: number): void {
    const ring = this.ring;
    if (this.count < this.size) {
      ring[(this.head + this.count) % this.size] = x;
      this.count++;
      const delta = x - this.mean;
      this.mean += delta / this.count;
      this.m2 += delta * (x - this.mean);
    } else {
      const old = ring[this.head];
      ring[this.head] = x;
      this.head = (this.head + 1) % this.size;
      const oldMean = this.mean;
      this.mean = oldMean + (x - old) / this.size;
      this.m2 += (x - old) * (x - this.mean + old - oldMean);
    }
    if (++this.sinceExact >= RollingMoments.RESYNC) this.resync();
  }

  /** Population variance (ddof = 0) of the values in the window. */
  variance(): number {
    return this.count > 0 && this.m2 > 0 ? this.m2 / this.count : 0;
  }

  private resync(): void {
    let sum = 0;
    for (let i = 0; i < this.count; i++) sum += this.ring[i];
    const mean = sum / this.count;
    let m2 = 0;
    for (let i = 0; i < this.count; i++) m2 += (this.ring[i] - mean) * (this.ring[i] - mean);
    this.mean = mean;
    this.m2 = m2;
    this.sinceExact = 0;
  }
}

/**
 * A fixed-size rolling sum of non-negative values. It counts the non-zero values in the window so
 * an all-zero window sums to exactly 0 (no rounding residue left by large values that slid out),
 * and re-adds the ring every RESYNC pushes so rounding cannot drift.
 */
class RollingSum {
  private static readonly RESYNC = 1024;
  private readonly ring: Float64Array;
  private sinceExact = 0;
  private head = 0;
  private count = 0;
  private nonZero = 0;
  sum = 0;

  constructor(readonly size: number) {
    this.ring = new Float64Array(size);
  }

  get full(): boolean {
    return this.count === this.size;
  }

  push(x: number): void {
    if (this.count < this.size) {
      this.ring[(this.head + this.count) % this.size] = x;
      this.count++;
    } else {
      const old = this.ring[this.head];
      this.ring[this.head] = x;
      this.head = (this.head + 1) % this.size;
      this.sum -= old;
      if (old !== 0) this.nonZero--;
    }
    this.sum += x;
    if (x !== 0) this.nonZero++;
    if (this.nonZero === 0) this.sum = 0;
    else if (++this.sinceExact >= RollingSum.RESYNC) {
      let sum = 0;
      for (let i = 0; i < this.count; i++) sum += this.ring[i];
      this.sum = sum;
      this.sinceExact = 0;
    }
  }
}

const clip = (x: number, lo: number, hi: number): number => (x < lo ? lo : x > hi ? hi : x);

/** A sentiment value for the state: NaN → 0, everything else clipped to [-1, 1]. */
const sentiment = (x: number): number => (x !== x ? 0 : clip(x, -1, 1));

/** k-th smallest of a (reordered in place), average O(n) quickselect. */
function selectKth(a: Float64Array, k: number, lo = 0, hi = a.length - 1): number {
  while (lo < hi) {
    const pivot = a[(lo + hi) >>> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}

/** Median of the finite positive time steps (numpy's median: mean of the two middles); NaN when none. */
export function medianTimeStep(time: Float64Array): number {
  const steps = new Float64Array(Math.max(0, time.length - 1));
  let n = 0;
  for (let t = 1; t < time.length; t++) {
    const step = time[t] - time[t - 1];
    if (Number.isFinite(step) && step > 0) steps[n++] = step;
  }
  if (n === 0) return NaN;
  const a = steps.subarray(0, n);
  const upper = selectKth(a, n >> 1);
  if (n % 2 === 1) return upper;
  // after selecting index n/2, a[0 .. n/2 - 1] hold the smaller half: its maximum is the lower middle
  let lower = -Infinity;
  for (let i = 0; i < n >> 1; i++) if (a[i] > lower) lower = a[i];
  return (lower + upper) / 2;
}

/**
 * The median of the finite positive time steps of bars max(1, t − HEALTH_STEPS + 1) .. t, for
 * every bar t (NaN when there is none): bar t's gap is judged by past and present steps only, so a
 * later bar cannot change an earlier bar's health. A sorted window, updated per bar.
 */
function recentMedianSteps(time: Float64Array): Float64Array {
  const rows = time.length;
  const out = new Float64Array(rows).fill(NaN);
  const ring = new Float64Array(HEALTH_STEPS).fill(NaN); // the window's steps, NaN for unusable ones
  const sorted = new Float64Array(HEALTH_STEPS); // its usable steps in order
  let count = 0;
  const position = (x: number) => {
    let lo = 0, hi = count;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  for (let t = 1; t < rows; t++) {
    const slot = (t - 1) % HEALTH_STEPS;
    const leaving = ring[slot];
    if (leaving === leaving) { // not NaN: remove it from the sorted window
      const at = position(leaving);
      sorted.copyWithin(at, at + 1, count);
      count--;
    }
    const step = time[t] - time[t - 1];
    const usable = Number.isFinite(step) && step > 0;
    ring[slot] = usable ? step : NaN;
    if (usable) {
      const at = position(step);
      sorted.copyWithin(at + 1, at, count);
      sorted[at] = step;
      count++;
    }
    if (count > 0) out[t] = count % 2 ? sorted[count >> 1] : (sorted[count / 2 - 1] + sorted[count / 2]) / 2;
  }
  return out;
}

/**
 * Whether each bar is healthy: finite positive open/high/low/close, low <= min(open, close),
 * high >= max(open, close), volume finite and >= 0 (when there is a volume column), and a time step
 * from the previous bar that is finite, positive and at most GAP_FACTOR × the median of the recent
 * steps (recentMedianSteps; duplicate or out-of-order times count as unhealthy; the first bar has no
 * step to check).
 */
function healthFlags(c: CandleColumns): Uint8Array {
  const { time, open, high, low, close, volume } = c;
  const rows = close.length;
  const flags = new Uint8Array(rows);
  const median = recentMedianSteps(time);
  for (let t = 0; t < rows; t++) {
    const o = open[t];
    const h = high[t];
    const l = low[t];
    const cl = close[t];
    // `!(x > 0)` is true for NaN too; the last test catches ±Infinity
    let ok = o > 0 && h > 0 && l > 0 && cl > 0 && Number.isFinite(o + h + l + cl);
    ok = ok && l <= Math.min(o, cl) && h >= Math.max(o, cl);
    if (ok && volume) ok = Number.isFinite(volume[t]) && volume[t] >= 0;
    if (ok && t > 0) {
      const step = time[t] - time[t - 1];
      ok = step > 0 && step <= GAP_FACTOR * median[t]; // NaN fails both
    }
    flags[t] = ok ? 1 : 0;
  }
  return flags;
}

/**
 * Closes the indicators run on: a non-finite or non-positive close is replaced by the last good
 * one (leading bad closes by the first good one; all bad → 1), so one bad bar gives a 0 return
 * instead of NaN spreading through every EMA after it. The data-health slot reports such bars.
 */
function cleanCloses(close: Float64Array): Float64Array {
  const rows = close.length;
  const out = new Float64Array(rows);
  let last = 1;
  for (let t = 0; t < rows; t++) {
    const x = close[t];
    if (x > 0 && x < Infinity) {
      last = x;
      break;
    }
  }
  for (let t = 0; t < rows; t++) {
    const x = close[t];
    if (x > 0 && x < Infinity) last = x;
    out[t] = last;
  }
  return out;
}

/**
 * Computes the market slots of every bar (row-major rows × STATE_SIZE, Float32Array):
 * - 0..19 `return_t-k`: ln(close[t-k] / close[t-k-1]) for k = 19..0 (slot 19 is bar t's own
 *   return), clipped to [-1, 1]; 0 while t-k < 1.
 * - 20 RSI(14), Wilder: the first average gain / loss is the simple mean of the first 14 close
 *   changes (defined at row 14), then avg = (avg·13 + x) / 14; RSI/100 = avgGain / (avgGain + avgLoss),
 *   1 when avgLoss = 0 < avgGain, 0.5 when both are 0.
 * - 21 MACD signal / close: macd = EMA12(close) − EMA26(close), signal = EMA9(macd); EMAs with
 *   alpha = 2 / (span + 1) seeded with the first value (pandas ewm(span, adjust=False)); row 0 on.
 * - 22 Bollinger width: 4 · std20 / SMA20 of the close (population std, ddof 0); row 19 on.
 * - 23 volume ratio: volume[t] / mean(volume[t-19..t]), clipped to [0, 10]; 1 when the mean is 0;
 *   row 19 on. Without a volume column it is 1 at every row. Non-finite or negative volume counts as 0.
 * - 28..30 volatility regime one-hot [low, normal, high]: vol20[t] = population std of the
 *   returns of bars t-19..t (row 20 on); ratio = vol20[t] / mean(vol20[t-99..t]) (row 119 on; 1
 *   when the mean is 0); low below 0.75, high above 1.25, else normal.
 * - 31 data health: the fraction of healthy bars (see healthFlags) among bars t-19..t (fewer at
 *   the start of the series: bars 0..t); a bar's gap is judged against the median of its own and
 *   the previous 99 steps, so nothing after bar t changes it.
 * - 32, 33 news / macro sentiment columns clipped to [-1, 1], NaN → 0; 0 without a column.
 * Slots that are not yet defined at a row hold 0; nothing in the output is NaN or infinite.
 * `firstValidRow` is MARKET_WARMUP_ROWS (119), or `rows` when the series is shorter.
 */
export function computeMarketFeatures(candles: CandleColumns): MarketFeatures {
  const rows = candles.close.length;
  for (const name of ['time', 'open', 'high', 'low', 'close'] as const) {
    if (candles[name].length !== rows) throw new Error(`candle column "${name}" has ${candles[name].length} rows, close has ${rows}`);
  }
  const { volume } = candles;
  const news = candles.newsSentiment ?? null;
  const macro = candles.macroSentiment ?? null;
  for (const [name, col] of [['volume', volume], ['news sentiment', news], ['macro sentiment', macro]] as const) {
    if (col && col.length !== rows) throw new Error(`candle column "${name}" has ${col.length} rows, close has ${rows}`);
  }

  const values = new Float32Array(rows * STATE_SIZE);
  const firstValidRow = Math.min(MARKET_WARMUP_ROWS, rows);
  if (rows === 0) return { rows, values, firstValidRow };

  const price = cleanCloses(candles.close);
  const logReturn = new Float64Array(rows); // logReturn[0] stays 0: bar 0 has no previous close
  for (let t = 1; t < rows; t++) logReturn[t] = Math.log(price[t] / price[t - 1]);
  const health = healthFlags(candles);

  // RSI state: sums of the first RSI_PERIOD changes, then Wilder averages
  let gainSum = 0;
  let lossSum = 0;
  let avgGain = 0;
  let avgLoss = 0;
  // MACD state (EMAs seeded with the first close; the MACD line starts at 0)
  const fastAlpha = 2 / (MACD_FAST + 1);
  const slowAlpha = 2 / (MACD_SLOW + 1);
  const signalAlpha = 2 / (MACD_SIGNAL + 1);
  let emaFast = price[0];
  let emaSlow = price[0];
  let signal = 0;

  const bollinger = new RollingMoments(BOLLINGER_WINDOW);
  const volumeSum = new RollingSum(VOLUME_WINDOW);
  const returnMoments = new RollingMoments(VOLATILITY_WINDOW);
  const volSum = new RollingSum(REGIME_WINDOW);
  let healthyInWindow = 0;

  for (let t = 0; t < rows; t++) {
    const base = t * STATE_SIZE;

    // 0..19: the last 20 returns, oldest first
    for (let j = 0; j < RETURN_LAGS; j++) {
      const bar = t - (RETURN_LAGS - 1 - j);
      values[base + SLOT.returns + j] = bar >= 1 ? clip(logReturn[bar], -1, 1) : 0;
    }

    // 20: RSI
    if (t >= 1) {
      const change = price[t] - price[t - 1];
      const gain = change > 0 ? change : 0;
      const loss = change < 0 ? -change : 0;
      if (t <= RSI_PERIOD) {
        gainSum += gain;
        lossSum += loss;
        if (t === RSI_PERIOD) {
          avgGain = gainSum / RSI_PERIOD;
          avgLoss = lossSum / RSI_PERIOD;
        }
      } else {
        avgGain = (avgGain * (RSI_PERIOD - 1) + gain) / RSI_PERIOD;
        avgLoss = (avgLoss * (RSI_PERIOD - 1) + loss) / RSI_PERIOD;
      }
      if (t >= RSI_PERIOD) {
        const moves = avgGain + avgLoss;
        values[base + SLOT.rsi] = moves > 0 ? avgGain / moves : 0.5;
      }
    }

    // 21: MACD signal line relative to the price
    if (t > 0) {
      emaFast += fastAlpha * (price[t] - emaFast);
      emaSlow += slowAlpha * (price[t] - emaSlow);
      signal += signalAlpha * (emaFast - emaSlow - signal);
    }
    values[base + SLOT.macdSignal] = signal / price[t];

    // 22: Bollinger width
    bollinger.push(price[t]);
    if (bollinger.full) values[base + SLOT.bollingerWidth] = (4 * Math.sqrt(bollinger.variance())) / bollinger.mean;

    // 23: volume ratio
    if (volume) {
      const v = volume[t] >= 0 && volume[t] < Infinity ? volume[t] : 0;
      volumeSum.push(v);
      if (volumeSum.full) {
        const mean = volumeSum.sum / VOLUME_WINDOW;
        values[base + SLOT.volumeRatio] = mean > 0 ? clip(v / mean, 0, VOLUME_RATIO_MAX) : 1;
      }
    } else {
      values[base + SLOT.volumeRatio] = 1;
    }

    // 28..30: volatility regime
    if (t >= 1) {
      returnMoments.push(logReturn[t]);
      if (returnMoments.full) {
        const vol = Math.sqrt(returnMoments.variance());
        volSum.push(vol);
        if (volSum.full) {
          const mean = volSum.sum / REGIME_WINDOW;
          const ratio = mean > 0 ? vol / mean : 1;
          const regime = ratio < REGIME_LOW ? 0 : ratio > REGIME_HIGH ? 2 : 1;
          values[base + SLOT.regime + regime] = 1;
        }
      }
    }

    // 31: data health over the last HEALTH_WINDOW bars (or all bars so far)
    healthyInWindow += health[t];
    if (t >= HEALTH_WINDOW) healthyInWindow -= health[t - HEALTH_WINDOW];
    values[base + SLOT.dataHealth] = healthyInWindow / Math.min(t + 1, HEALTH_WINDOW);

    // 32, 33: sentiment
    if (news) values[base + SLOT.newsSentiment] = sentiment(news[t]);
    if (macro) values[base + SLOT.macroSentiment] = sentiment(macro[t]);
  }

  return { rows, values, firstValidRow };
}

/**
 * Picks the candle columns through a getter (e.g. by a dataset's column names). time, open, high,
 * low and close are required; volume and the sentiment columns ('sentiment' or 'news_sentiment',
 * 'macro_sentiment') are optional.
 */
export function candleColumnsFrom(get: (name: string) => Float64Array | null): CandleColumns {
  const required = (name: string): Float64Array => {
    const col = get(name);
    if (!col) throw new Error(`The candles have no "${name}" column, which the market features need.`);
    return col;
  };
  return {
    time: required('time'),
    open: required('open'),
    high: required('high'),
    low: required('low'),
    close: required('close'),
    volume: get('volume'),
    newsSentiment: get('sentiment') ?? get('news_sentiment'),
    macroSentiment: get('macro_sentiment'),
  };
}

const CACHE_SIZE = 4;
const cache = new Map<string, { close: Float64Array; features: MarketFeatures }>();

/**
 * computeMarketFeatures, remembering the last CACHE_SIZE results by key (e.g. a dataset id) so a
 * run that rebuilds its environments does not recompute them. A cached result is reused only for
 * the same close column (same array, or same length and end values) as it was computed from.
 */
export function marketFeaturesCached(key: string, candles: CandleColumns): MarketFeatures {
  const hit = cache.get(key);
  const close = candles.close;
  if (hit && sameSeries(hit.close, close)) {
    cache.delete(key); // re-insert: Map order is the recency order
    cache.set(key, hit);
    return hit.features;
  }
  const features = computeMarketFeatures(candles);
  cache.delete(key);
  cache.set(key, { close, features });
  while (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  return features;
}

function sameSeries(a: Float64Array, b: Float64Array): boolean {
  if (a === b) return true;
  const n = a.length;
  return n === b.length && (n === 0 || (Object.is(a[0], b[0]) && Object.is(a[n - 1], b[n - 1]) && Object.is(a[n >> 1], b[n >> 1])));
}

/** Empties the marketFeaturesCached cache (tests, or when memory is short). */
export function clearMarketFeatureCache(): void {
  cache.clear();
}

/** The candle columns of a parsed dataset (the command line and tests read files without the store). */
export function candleColumnsOfDataset(dataset: Dataset): CandleColumns {
  return candleColumnsFrom((name) => {
    const col = dataset.columns[dataset.meta.columns.indexOf(name)];
    return col && (col.type === 'number' || col.type === 'time') ? col.values : null;
  });
}

/** Population standard deviation of a state row's 20 return slots: the recent per-bar volatility. */
export function rowReturnVolatility(values: Float32Array, row: number): number {
  const base = row * STATE_SIZE + SLOT.returns;
  let sum = 0, sumSq = 0;
  for (let k = 0; k < RETURN_LAGS; k++) {
    const r = values[base + k];
    sum += r;
    sumSq += r * r;
  }
  const mean = sum / RETURN_LAGS;
  return Math.sqrt(Math.max(0, sumSq / RETURN_LAGS - mean * mean));
}
