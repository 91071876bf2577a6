// Calibration: the base market's parameters estimated from real candles, so scenarios drawn over it
// move like that market. Jumps are told from ordinary moves by a local scale (returns beyond 4
// times an exponentially weighted volatility of the returns before them); volatility and drift come
// from the rest, GARCH(1,1) by quasi-maximum likelihood where there are enough bars, volume's base,
// hourly profile, noise and link to moves from the volumes.
import { fitGarch11 } from './garch';
import { defaultMarket, DEFAULT_START_TIME, type MarketParams } from './market';
import { normalizeProfile } from './volume';

export interface CalibrationCandles {
  time: Float64Array;
  close: Float64Array;
  volume: Float64Array | null;
}

export interface Calibration {
  market: MarketParams;
  /** What was estimated and how sure it is, for the report. */
  estimates: { bars: number; returns: number; jumps: number; driftStdError: number; garchGainPer1000: number | null };
  notes: string[];
}

export const MIN_CALIBRATION_BARS = 200;
/** A return beyond this many local standard deviations is a jump. */
const JUMP_THRESHOLD = 4;
/** Weight of the past in the local variance (a half-life of about 23 bars). */
const LOCAL_DECAY = 0.97;
const MIN_GARCH_RETURNS = 1000;
/** Fit GARCH on at most this many of the latest returns (enough to pin it, quick on a million bars). */
const GARCH_RETURNS = 100_000;
/** Log-likelihood per 1,000 returns that clustering must add to be kept. */
const MIN_GARCH_GAIN = 2;

function medianOf(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length ? s[s.length >> 1] : NaN;
}

function medianSpacing(time: Float64Array): number {
  const step = Math.max(1, Math.floor(time.length / 20_000));
  const d: number[] = [];
  for (let i = step; i < time.length; i += step) if (time[i] > time[i - 1]) d.push(time[i] - time[i - 1]);
  return medianOf(d);
}

export function calibrate(candles: CalibrationCandles, name = 'the candles'): Calibration {
  const { time, close } = candles;
  const n = close.length;
  if (n < MIN_CALIBRATION_BARS) throw new Error(`${name}: ${n} bars are too few to calibrate on (at least ${MIN_CALIBRATION_BARS})`);
  const intervalMs = medianSpacing(time);
  if (!(intervalMs > 0)) throw new Error(`${name}: the bars' times do not advance, so their interval is unknown`);
  const notes: string[] = [];
  const market = defaultMarket(intervalMs);

  // log returns of consecutive bars; across a gap in time (a weekend, missing data) there is none
  const returns = new Float64Array(n - 1);
  let gaps = 0;
  for (let t = 1; t < n; t++) {
    const r = Math.log(close[t] / close[t - 1]);
    const spaced = time[t] - time[t - 1] <= 1.5 * intervalMs;
    if (!spaced) gaps++;
    returns[t - 1] = spaced && Number.isFinite(r) ? r : NaN;
  }
  if (gaps) notes.push(`${gaps.toLocaleString('en-US')} gaps in time: the moves across them are left out`);
  const finite: number[] = [];
  for (const r of returns) if (r === r) finite.push(r);
  if (finite.length < MIN_CALIBRATION_BARS) throw new Error(`${name}: ${finite.length} usable returns are too few to calibrate on (at least ${MIN_CALIBRATION_BARS})`);
  const center = medianOf(finite);
  const robustScale = 1.4826 * medianOf(finite.map((r) => Math.abs(r - center)));

  // jumps: beyond JUMP_THRESHOLD local standard deviations; the rest make the diffusion
  const diffusive = new Float64Array(returns.length).fill(NaN);
  const jumpSizes: number[] = [];
  let local = robustScale > 0 ? robustScale * robustScale : 1e-8;
  let sum = 0, sumSq = 0, count = 0, allSum = 0;
  for (let t = 0; t < returns.length; t++) {
    const r = returns[t];
    if (r !== r) continue;
    allSum += r;
    const d = r - center;
    if (Math.abs(d) > JUMP_THRESHOLD * Math.sqrt(local)) { jumpSizes.push(r); continue; }
    local = LOCAL_DECAY * local + (1 - LOCAL_DECAY) * d * d;
    diffusive[t] = r;
    sum += r; sumSq += r * r; count++;
  }
  const mean = sum / count;
  const variance = Math.max(1e-16, sumSq / count - mean * mean);
  market.volatility = Math.sqrt(variance);

  const usable = finite.length;
  market.jumps.rate = jumpSizes.length / usable;
  if (jumpSizes.length >= 5) {
    const jm = jumpSizes.reduce((a, b) => a + b, 0) / jumpSizes.length;
    market.jumps.mean = jm;
    market.jumps.std = Math.sqrt(jumpSizes.reduce((a, b) => a + (b - jm) * (b - jm), 0) / (jumpSizes.length - 1));
  } else {
    market.jumps.mean = 0;
    market.jumps.std = JUMP_THRESHOLD * market.volatility;
    notes.push(`${jumpSizes.length} jumps found: too few to size them, taken as N(0, (${JUMP_THRESHOLD} σ)²)`);
  }
  const compensator = market.jumps.rate * (Math.exp(market.jumps.mean + 0.5 * market.jumps.std ** 2) - 1);
  market.drift = allSum / usable - market.jumps.rate * market.jumps.mean + compensator + 0.5 * variance;
  const driftStdError = Math.sqrt(variance / usable);
  if (Math.abs(market.drift) < 2 * driftStdError) notes.push(`the drift (${market.drift.toExponential(2)} a bar) is within two standard errors (${driftStdError.toExponential(2)}) of zero: the market's own trend is not told from noise`);

  // clustering: GARCH(1,1) on the latest diffusive returns, demeaned, where there are enough
  let garchGain: number | null = null;
  if (count >= MIN_GARCH_RETURNS) {
    const from = Math.max(0, diffusive.length - GARCH_RETURNS);
    const demeaned = diffusive.slice(from);
    for (let t = 0; t < demeaned.length; t++) demeaned[t] -= mean;
    const fit = fitGarch11(demeaned, variance);
    garchGain = fit.gainPer1000;
    if (fit.gainPer1000 >= MIN_GARCH_GAIN && fit.alpha > 0) market.garch = { alpha: fit.alpha, beta: fit.beta };
    else {
      market.garch = { alpha: 0, beta: 0 };
      notes.push('no volatility clustering worth modelling: GARCH is off (plain GBM)');
    }
  } else notes.push(`${count} ordinary returns are too few to fit GARCH (at least ${MIN_GARCH_RETURNS}): its defaults (α ${market.garch.alpha}, β ${market.garch.beta}) are kept`);

  calibrateVolume(candles, returns, market, notes);
  market.startPrice = close[n - 1];
  market.startTime = DEFAULT_START_TIME;
  return { market, estimates: { bars: n, returns: usable, jumps: jumpSizes.length, driftStdError, garchGainPer1000: garchGain }, notes };
}

/** Volume's base (mean), hourly profile, link to the size of moves (least squares) and log-normal noise. */
function calibrateVolume(candles: CalibrationCandles, returns: Float64Array, market: MarketParams, notes: string[]): void {
  const v = candles.volume;
  const present: number[] = [];
  if (v) for (let i = 0; i < v.length; i++) if (v[i] > 0 && Number.isFinite(v[i])) present.push(i);
  if (!v || present.length < MIN_CALIBRATION_BARS) {
    notes.push('too few volumes: the default volume model is kept');
    return;
  }
  let total = 0;
  for (const i of present) total += v[i];
  market.volume.base = total / present.length;
  const hourly = market.intervalMs < 86_400_000;
  if (hourly) {
    const sums = new Float64Array(24), counts = new Float64Array(24);
    for (const i of present) {
      const hour = new Date(candles.time[i]).getUTCHours();
      sums[hour] += v[i];
      counts[hour]++;
    }
    market.volume.profile = normalizeProfile(Array.from(sums, (s, h) => (counts[h] ? s / counts[h] : NaN)));
  } else market.volume.profile = Array(24).fill(1);
  // y = volume / (base × profile) against x = |return| / (σ √(2/π)): slope = sensitivity
  const scale = market.volatility * Math.sqrt(2 / Math.PI);
  const xs: number[] = [], ys: number[] = [];
  for (const i of present) {
    const r = i > 0 ? returns[i - 1] : NaN;
    if (r !== r) continue;
    const profile = hourly ? market.volume.profile[new Date(candles.time[i]).getUTCHours()] : 1;
    xs.push(Math.abs(r) / scale);
    ys.push(v[i] / (market.volume.base * profile));
  }
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length, my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let cov = 0, vx = 0;
  for (let k = 0; k < xs.length; k++) { cov += (xs[k] - mx) * (ys[k] - my); vx += (xs[k] - mx) ** 2; }
  const c = Math.min(1, Math.max(0, vx > 0 ? cov / vx : 0));
  market.volume.returnSensitivity = c;
  let ls = 0, ls2 = 0, m = 0;
  for (let k = 0; k < xs.length; k++) {
    const follow = 1 - c + c * xs[k];
    if (!(follow > 0)) continue;
    const l = Math.log(ys[k] / follow);
    ls += l; ls2 += l * l; m++;
  }
  market.volume.noise = m > 1 ? Math.min(2, Math.sqrt(Math.max(0, ls2 / m - (ls / m) ** 2))) : market.volume.noise;
}
