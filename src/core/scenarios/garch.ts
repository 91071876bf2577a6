// Volatility clustering, GARCH(1,1): a bar's variance is h(t) = ω + α·ε(t−1)² + β·h(t−1), where
// ε is the last bar's shock. With ω = σ²·(1 − α − β) ("variance targeting") the long-run variance
// stays σ², so clustering changes when the market is volatile, not how volatile it is on average.
// α = β = 0 is plain GBM. Fitting: Gaussian quasi-maximum likelihood over α and β with ω targeted.
import type { GarchParams } from './market';

/** ω that keeps the long-run variance at `variance`. */
export function garchOmega(variance: number, p: GarchParams): number {
  return variance * Math.max(0, 1 - p.alpha - p.beta);
}

/** Are these parameters a stationary GARCH(1,1)? */
export function isStationary(p: GarchParams): boolean {
  return p.alpha >= 0 && p.beta >= 0 && p.alpha + p.beta < 1;
}

/**
 * Negative Gaussian log-likelihood (up to constants) of demeaned returns under GARCH(1,1) with the
 * given long-run variance. NaN entries are missing bars (jumps taken out): their variance carries
 * on as its expectation, ω + (α + β)·h.
 */
export function garchNegLogLikelihood(returns: Float64Array, variance: number, p: GarchParams): number {
  const omega = garchOmega(variance, p);
  let h = variance, nll = 0;
  for (let t = 0; t < returns.length; t++) {
    const e = returns[t];
    if (e !== e) { h = omega + (p.alpha + p.beta) * h; continue; }
    const e2 = e * e;
    nll += Math.log(h) + e2 / h;
    h = omega + p.alpha * e2 + p.beta * h;
  }
  return 0.5 * nll;
}

export interface GarchFit extends GarchParams {
  /** Log-likelihood gained over constant variance, per 1,000 returns: how much clustering there is. */
  gainPer1000: number;
}

const PERSISTENCE_GRID = [0, 0.5, 0.7, 0.8, 0.85, 0.9, 0.93, 0.95, 0.96, 0.97, 0.98, 0.985, 0.99, 0.995];

/**
 * α and β by a coarse grid over persistence (α + β) and α, then a finer one around the best.
 * `returns` are demeaned, NaN for bars to skip; `variance` is their long-run variance.
 */
export function fitGarch11(returns: Float64Array, variance: number): GarchFit {
  const flat = garchNegLogLikelihood(returns, variance, { alpha: 0, beta: 0 });
  let best = { alpha: 0, beta: 0, nll: flat };
  const tryAt = (alpha: number, persistence: number) => {
    if (alpha < 0 || alpha > persistence || persistence >= 0.999) return;
    const p = { alpha, beta: persistence - alpha };
    const nll = garchNegLogLikelihood(returns, variance, p);
    if (nll < best.nll) best = { ...p, nll };
  };
  for (const persistence of PERSISTENCE_GRID) {
    for (let alpha = 0.02; alpha <= 0.3 + 1e-9; alpha += 0.02) tryAt(alpha, persistence);
  }
  // refine: α in steps of 0.005 and persistence in steps of a fifth of the distance to 1
  for (let round = 0; round < 2; round++) {
    const center = { alpha: best.alpha, persistence: best.alpha + best.beta };
    const gap = Math.max(0.002, (1 - center.persistence) / (round === 0 ? 3 : 6));
    const aStep = round === 0 ? 0.005 : 0.002;
    for (let i = -4; i <= 4; i++) for (let j = -3; j <= 3; j++) tryAt(center.alpha + i * aStep, center.persistence + (j * gap) / 3);
  }
  let n = 0;
  for (let t = 0; t < returns.length; t++) if (returns[t] === returns[t]) n++;
  return { alpha: best.alpha, beta: best.beta, gainPer1000: n > 0 ? ((flat - best.nll) / n) * 1000 : 0 };
}
