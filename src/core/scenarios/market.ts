// The base market every scenario is drawn over: its per-bar volatility and drift, volatility
// clustering, jumps, volume, and where prices and times start. Scenarios change this market
// (more drift, less volatility, a gap...) bar by bar; calibration estimates it from real candles.

/** Milliseconds in the 365-day, 24-hour year that annualized figures use (markets that never close). */
export const YEAR_MS = 365 * 86_400_000;

export interface GarchParams {
  /** Weight of the last bar's squared shock in the next bar's variance (0 turns clustering off). */
  alpha: number;
  /** Weight of the last bar's variance (alpha + beta < 1: the persistence; 0.98 halves a shock's effect in about 35 bars). */
  beta: number;
}

export interface JumpParams {
  /** Expected jumps per bar (Poisson). */
  rate: number;
  /** Mean and standard deviation of one jump's log size. */
  mean: number;
  std: number;
}

export interface VolumeParams {
  /** Mean volume of a bar at the profile's average hour. */
  base: number;
  /** 24 multipliers of volume by UTC hour of day (mean 1); ignored for bars of a day or longer. */
  profile: number[];
  /** Standard deviation of a bar's log-normal volume noise. */
  noise: number;
  /** 0..1: how much a bar's volume follows the size of its move (1: in proportion to |return|). */
  returnSensitivity: number;
}

export interface MarketParams {
  intervalMs: number;
  /** Per-bar standard deviation σ of log returns (GARCH's unconditional one; GBM's when clustering is off). */
  volatility: number;
  /** Per-bar drift μ of the price (E[P(t+1) / P(t)] = e^μ before a scenario's own drift). */
  drift: number;
  garch: GarchParams;
  jumps: JumpParams;
  volume: VolumeParams;
  startPrice: number;
  /** Epoch ms (UTC) of the first bar. */
  startTime: number;
}

/** A crypto-like default: 60 % a year, no drift, clustering of persistence 0.98, a jump every ~500 bars. */
export const DEFAULT_ANNUAL_VOLATILITY = 0.6;
export const DEFAULT_START_TIME = Date.UTC(2024, 0, 1);

/** Busier in the European and American afternoon (peak 15:00 UTC), quietest before dawn in Europe: a 24-hour market's day. */
export function defaultVolumeProfile(): number[] {
  return Array.from({ length: 24 }, (_, h) => 1 + 0.45 * Math.cos((2 * Math.PI * (h - 15)) / 24));
}

export function defaultMarket(intervalMs: number): MarketParams {
  const volatility = DEFAULT_ANNUAL_VOLATILITY * Math.sqrt(intervalMs / YEAR_MS);
  return {
    intervalMs,
    volatility,
    drift: 0,
    garch: { alpha: 0.06, beta: 0.92 },
    jumps: { rate: 1 / 500, mean: 0, std: 4 * volatility },
    volume: { base: 1000, profile: defaultVolumeProfile(), noise: 0.35, returnSensitivity: 0.5 },
    startPrice: 100,
    startTime: DEFAULT_START_TIME,
  };
}

/**
 * The same market seen at another bar length: volatility by the square root of the ratio, drift,
 * jump rate and volume in proportion, and the clustering's persistence so a shock fades over the
 * same time (an approximation: GARCH is not closed under changing the bar length).
 */
export function rescaleMarket(m: MarketParams, intervalMs: number): MarketParams {
  const k = intervalMs / m.intervalMs;
  if (k === 1) return structuredClone(m);
  const persistence = m.garch.alpha + m.garch.beta;
  const newPersistence = persistence > 0 ? Math.pow(persistence, k) : 0;
  const alpha = persistence > 0 ? m.garch.alpha * (newPersistence / persistence) : 0;
  return {
    ...structuredClone(m),
    intervalMs,
    volatility: m.volatility * Math.sqrt(k),
    drift: m.drift * k,
    garch: { alpha, beta: Math.max(0, newPersistence - alpha) },
    jumps: { ...m.jumps, rate: Math.min(0.5, m.jumps.rate * k) },
    volume: { ...m.volume, profile: [...m.volume.profile], base: m.volume.base * k },
  };
}

const INTERVAL_UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** "5m", "1h", "1d", "30s", "1w" in milliseconds, or NaN. */
export function parseInterval(label: string): number {
  const m = /^\s*(\d+)\s*([smhdw])\s*$/.exec(label);
  if (!m || Number(m[1]) <= 0) return NaN;
  return Number(m[1]) * INTERVAL_UNITS[m[2]];
}

/** Annualized figures of a per-bar market, for reports: volatility and drift a year, jumps a year. */
export function annualized(m: MarketParams): { volatility: number; drift: number; jumpsPerYear: number } {
  const barsPerYear = YEAR_MS / m.intervalMs;
  return { volatility: m.volatility * Math.sqrt(barsPerYear), drift: m.drift * barsPerYear, jumpsPerYear: m.jumps.rate * barsPerYear };
}

/** Every parameter of the market as plain named numbers, for a dataset's record and the CLI's report. */
export function marketParameters(m: MarketParams): Record<string, unknown> {
  const a = annualized(m);
  const r = (x: number) => +x.toPrecision(6);
  return {
    interval_ms: m.intervalMs,
    volatility_per_bar: r(m.volatility),
    volatility_annualized: r(a.volatility),
    drift_per_bar: r(m.drift),
    drift_annualized: r(a.drift),
    garch_alpha: r(m.garch.alpha),
    garch_beta: r(m.garch.beta),
    jump_rate_per_bar: r(m.jumps.rate),
    jumps_per_year: r(a.jumpsPerYear),
    jump_mean: r(m.jumps.mean),
    jump_std: r(m.jumps.std),
    volume_base: r(m.volume.base),
    volume_noise: r(m.volume.noise),
    volume_return_sensitivity: r(m.volume.returnSensitivity),
    volume_profile: m.volume.profile.map(r),
    start_price: +m.startPrice.toPrecision(10),
    start_time: new Date(m.startTime).toISOString(),
  };
}
