// Merton's jump diffusion: on top of the Brownian part, a Poisson number of jumps per bar (rate λ),
// each of normal log size N(mean, std²). The compensator λ·(e^(mean + std²/2) − 1) is taken off the
// drift so that jumps add risk, not expected return.
import type { Rng } from '../rng';
import type { JumpParams } from './market';

/** The drift that jumps of these parameters add on average, which the generator subtracts. */
export function jumpCompensator(p: JumpParams, rateMultiplier = 1): number {
  return p.rate * rateMultiplier * (Math.exp(p.mean + 0.5 * p.std * p.std) - 1);
}

/** The log size of this bar's jumps (0 almost always): a Poisson count drawn by inversion, each jump normal. */
export function drawJumps(rng: Rng, p: JumpParams, rateMultiplier = 1): number {
  const rate = p.rate * rateMultiplier;
  if (!(rate > 0)) return 0;
  const u = rng.next();
  let term = Math.exp(-rate), cumulative = term, count = 0;
  while (u > cumulative && count < 20) {
    count++;
    term *= rate / count;
    cumulative += term;
  }
  let size = 0;
  for (let k = 0; k < count; k++) size += p.mean + p.std * rng.normal();
  return size;
}
