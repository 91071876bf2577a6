// Volume of a bar: the market's base volume × the intraday profile at the bar's UTC hour × the
// scenario's volume multiplier × a part that follows the bar's move (busy bars move more) ×
// log-normal noise of mean 1.
import type { VolumeParams } from './market';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** E|Z| for a standard normal Z: a bar of ordinary size moves √(2/π) σ. */
const MEAN_ABS_NORMAL = Math.sqrt(2 / Math.PI);

/** The profile's multiplier at a time; 1 for bars of a day or longer, which have no time of day. */
export function profileAt(p: VolumeParams, time: number, intervalMs: number): number {
  if (intervalMs >= DAY_MS || p.profile.length !== 24) return 1;
  const hour = Math.floor((((time % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS);
  return p.profile[hour];
}

/**
 * One bar's volume. `moveInSigmas` is |log return| / σ (σ the market's per-bar volatility),
 * `multiplier` the scenario's, `z` a standard normal draw.
 */
export function barVolume(p: VolumeParams, profile: number, multiplier: number, moveInSigmas: number, z: number): number {
  const follow = 1 - p.returnSensitivity + p.returnSensitivity * (moveInSigmas / MEAN_ABS_NORMAL);
  const noise = Math.exp(p.noise * z - 0.5 * p.noise * p.noise);
  return p.base * profile * multiplier * follow * noise;
}

/** A 24-hour profile normalized to mean 1 (an empty or flat one stays flat). */
export function normalizeProfile(profile: readonly number[]): number[] {
  const finite = profile.map((x) => (Number.isFinite(x) && x > 0 ? x : NaN));
  const present = finite.filter((x) => x === x);
  if (present.length === 0) return Array(24).fill(1);
  const mean = present.reduce((a, b) => a + b, 0) / present.length;
  return finite.map((x) => (x === x ? x / mean : 1));
}
