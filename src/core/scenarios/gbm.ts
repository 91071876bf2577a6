// Geometric Brownian motion, one bar at a time: dP/P = μ dt + σ dW, so a bar's log return is
// (μ − σ²/2) + σ·Z with Z standard normal (μ, σ per bar). And where the price went inside the bar:
// the highest and lowest points of the Brownian path between the bar's open and close.
import type { Rng } from '../rng';

/** A bar's log return under GBM with per-bar drift `drift` (μ) and variance `variance` (σ²), given a standard normal draw. */
export function gbmLogReturn(drift: number, variance: number, z: number): number {
  return drift - 0.5 * variance + Math.sqrt(variance) * z;
}

/**
 * The maximum of a Brownian bridge from 0 to `b` (log close − log open) with variance `variance`
 * over the bar, drawn exactly by inverting P(max ≥ m) = exp(−2m(m − b) / variance), m ≥ max(0, b),
 * with `u` uniform in (0, 1]. Always ≥ max(0, b): a bar's high is never below its open or close.
 */
export function bridgeMax(b: number, variance: number, u: number): number {
  return 0.5 * (b + Math.sqrt(b * b - 2 * variance * Math.log(u)));
}

/** The minimum of the same bridge (≤ min(0, b)), from its own uniform draw. */
export function bridgeMin(b: number, variance: number, u: number): number {
  return 0.5 * (b - Math.sqrt(b * b - 2 * variance * Math.log(u)));
}

/**
 * Standard normal draws from the lab's Rng, two at a time (Marsaglia's polar method: no
 * trigonometry), the second kept for the next call. Same seed, same sequence.
 */
export class NormalDraws {
  private spare = 0;
  private hasSpare = false;
  constructor(private readonly rng: Rng) {}

  next(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    let u = 0, v = 0, s = 0;
    do {
      u = 2 * this.rng.next() - 1;
      v = 2 * this.rng.next() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    this.spare = v * f;
    this.hasSpare = true;
    return u * f;
  }
}
