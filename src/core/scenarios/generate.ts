// The scenario generator: plans segments (regimes.ts), then walks every bar once over typed arrays,
// the bar's log return made of GBM's drift and noise (gbm.ts) with GARCH's variance (garch.ts),
// Merton's jumps (jumps.ts) and the running scenario's phase (catalogue.ts); its high and low from
// the Brownian bridge between open and close, its volume from volume.ts. Seeded through the lab's
// Rng: the same request gives the same bars. No allocation per bar.
import { Rng } from '../rng';
import { BASE_RECIPE, SCENARIOS, type Phase, type ScenarioName, type ScenarioRecipe } from './catalogue';
import { bridgeMax, bridgeMin, gbmLogReturn, NormalDraws } from './gbm';
import { garchOmega, isStationary } from './garch';
import { drawJumps, jumpCompensator } from './jumps';
import type { MarketParams } from './market';
import { planSegments } from './regimes';
import { barVolume, profileAt } from './volume';

export const MAX_BARS = 5_000_000;
/** Prices are written with 8 significant digits, as an exchange's ticks would round them. */
const SIGNIFICANT_DIGITS = 8;
/** Log distance from the start price beyond which numbers would overflow (e^690 ≈ 1e300). */
const MAX_LOG_MOVE = 690;

export interface ScenarioRequest {
  scenarios: ScenarioName[];
  /** Switch between the scenarios as a Markov chain (regime switching) instead of taking turns. */
  mix: boolean;
  bars: number;
  seed: number;
  market: MarketParams;
  /** Transition matrix of the mix over `scenarios` (default: to any other alike). */
  transitions?: number[][];
}

export interface ScenarioSegment {
  start: number;
  length: number;
  scenario: string;
  /** +1 or −1: which way an either-way scenario went (+1 for fixed ones). */
  direction: 1 | -1;
  /** Bars where a phase with a name begins (the gap, the news, the crash...). */
  events: { name: string; bar: number }[];
}

export interface GeneratedScenarios {
  time: Float64Array;
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  volume: Float64Array;
  /** Each bar's scenario, an index into `labels`. */
  label: Int32Array;
  labels: string[];
  counts: Record<string, number>;
  segments: ScenarioSegment[];
  market: MarketParams;
}

type Recipe = Pick<ScenarioRecipe, 'meanBars' | 'minBars' | 'direction' | 'phases'> & { name: string };

export function checkMarket(m: MarketParams): void {
  const bad = (what: string) => { throw new Error(`market parameter ${what}`); };
  if (!(m.intervalMs > 0)) bad(`interval must be positive, not ${m.intervalMs}`);
  if (!(m.volatility > 0 && m.volatility < 1)) bad(`volatility (per bar) must be in (0, 1), not ${m.volatility}`);
  if (!Number.isFinite(m.drift) || Math.abs(m.drift) > 0.1) bad(`drift (per bar) must be within ±0.1, not ${m.drift}`);
  if (!isStationary(m.garch)) bad(`garch alpha ${m.garch.alpha} and beta ${m.garch.beta} must be non-negative with alpha + beta < 1`);
  if (!(m.jumps.rate >= 0 && m.jumps.rate <= 1) || !(m.jumps.std >= 0) || !Number.isFinite(m.jumps.mean)) bad(`jumps need a rate in 0..1 per bar and a non-negative size spread (rate ${m.jumps.rate}, std ${m.jumps.std})`);
  if (!(m.volume.base >= 0) || m.volume.profile.length !== 24 || m.volume.profile.some((x) => !(x >= 0)) || !(m.volume.noise >= 0) || !(m.volume.returnSensitivity >= 0 && m.volume.returnSensitivity <= 1)) bad('volume needs a non-negative base, 24 non-negative hourly multipliers, a non-negative noise and a sensitivity in 0..1');
  if (!(m.startPrice > 0) || !Number.isFinite(m.startPrice)) bad(`start price must be positive, not ${m.startPrice}`);
  if (!Number.isFinite(m.startTime)) bad('start time must be a time');
}

/** Bars of each phase of a segment of `length` bars: fixed-length phases first served, shares split the rest. */
function phaseLengths(phases: readonly Phase[], length: number, out: Int32Array): void {
  let fixed = 0, shares = 0;
  for (const p of phases) { if (p.bars) fixed += p.bars; else shares += p.share ?? 0; }
  const flexible = Math.max(0, length - fixed);
  let left = length, sharesLeft = shares, flexLeft = flexible;
  for (let j = 0; j < phases.length; j++) {
    const p = phases[j];
    let n: number;
    if (p.bars) n = p.bars;
    else {
      const share = p.share ?? 0;
      n = sharesLeft > 0 ? Math.round((flexLeft * share) / sharesLeft) : 0;
      sharesLeft -= share;
      flexLeft -= n;
    }
    n = Math.min(n, left);
    out[j] = n;
    left -= n;
  }
  if (left > 0) out[phases.length - 1] += left;
}

/** Rounding to a grid is monotone, so low ≤ open, close ≤ high survives it. */
function roundTo(x: number, scale: number): number {
  return Math.floor(x * scale + 0.5) / scale;
}

interface Columns { time: Float64Array; open: Float64Array; high: Float64Array; low: Float64Array; close: Float64Array; volume: Float64Array; label: Int32Array }

/** What one phase of one segment adds to the market, resolved to numbers before its bars are walked. */
interface PhaseRun {
  label: number;
  /** Per-bar drift: the market's, less the jump compensator, plus the phase's drift and its move's share. */
  drift: number;
  revert: number;
  level: number;
  volPeak: number;
  volumePeak: number;
  decay: number;
  jumpRate: number;
  /** Log gap of the phase's first bar's open (0: none). */
  openGap: number;
}

/** The walk's running state between phases: log of the last close, GARCH variance, the rounding scale and the price band it holds for. */
const LOG_CLOSE = 0, VARIANCE = 1, SCALE = 2, SCALE_LOW = 3, SCALE_HIGH = 4;

function setScale(st: Float64Array, price: number): void {
  const digits = SIGNIFICANT_DIGITS - 1 - Math.floor(Math.log10(price));
  st[SCALE] = Math.pow(10, digits);
  st[SCALE_LOW] = Math.pow(10, SIGNIFICANT_DIGITS - 1 - digits);
  st[SCALE_HIGH] = st[SCALE_LOW] * 10;
}

function walkPhase(c: Columns, st: Float64Array, rng: Rng, normals: NormalDraws, m: MarketParams, p: PhaseRun, from: number, n: number, logStart: number, volumeScale: number, name: string): void {
  const sigma = m.volatility;
  const omega = garchOmega(sigma * sigma, m.garch);
  const alpha = m.garch.alpha, beta = m.garch.beta;
  const invDecay = p.decay > 0 ? 1 / p.decay : 0;
  const { drift, revert, level, volPeak, volumePeak, jumpRate, label } = p;
  const { open, high, low, close, time, volume } = c;
  const { jumps, startTime, intervalMs } = m;
  // locals, not the state array, while the phase runs: kept in registers
  let logClose = st[LOG_CLOSE], h = st[VARIANCE], scale = st[SCALE], scaleLow = st[SCALE_LOW], scaleHigh = st[SCALE_HIGH];
  for (let k = 0, i = from; k < n; k++, i++) {
    const fade = invDecay > 0 ? Math.exp(-k * invDecay) : 1;
    const volMul = 1 + (volPeak - 1) * fade;
    const logOpen = k === 0 ? logClose + p.openGap : logClose;
    const barVariance = volMul * volMul * h;
    const z = normals.next();
    const r = gbmLogReturn(drift - revert * (logOpen - level), barVariance, z) + drawJumps(rng, jumps, jumpRate);
    const logHigh = logOpen + bridgeMax(r, barVariance, 1 - rng.next());
    const logLow = logOpen + bridgeMin(r, barVariance, 1 - rng.next());
    logClose = logOpen + r;
    if (!(Math.abs(logClose - logStart) < MAX_LOG_MOVE)) {
      throw new Error(`the price left the range numbers can hold at bar ${i + 1} (${name}): a trend this long compounds without end; use fewer bars or mix it with its opposite`);
    }
    // GARCH is fed the market's own shock, so a scenario's burst does not feed on itself
    const shock = Math.sqrt(h) * z;
    h = omega + alpha * shock * shock + beta * h;

    const o = Math.exp(logOpen);
    if (!(o >= scaleLow && o < scaleHigh)) {
      setScale(st, o);
      scale = st[SCALE]; scaleLow = st[SCALE_LOW]; scaleHigh = st[SCALE_HIGH];
    }
    open[i] = roundTo(o, scale);
    high[i] = roundTo(Math.exp(logHigh), scale);
    const lowPrice = roundTo(Math.exp(logLow), scale);
    low[i] = lowPrice > 0 ? lowPrice : 1 / scale; // a low of less than half a tick stays one tick
    close[i] = roundTo(Math.exp(logClose), scale);
    const t = startTime + i * intervalMs;
    time[i] = t;
    const volumeMul = 1 + (volumePeak - 1) * fade;
    volume[i] = Math.round(barVolume(m.volume, profileAt(m.volume, t, intervalMs), volumeMul, Math.abs(r) / sigma, normals.next()) * volumeScale) / volumeScale;
    c.label[i] = label;
  }
  st[LOG_CLOSE] = logClose;
  st[VARIANCE] = h;
}

function walk(recipes: readonly Recipe[], request: Omit<ScenarioRequest, 'scenarios'>): GeneratedScenarios {
  const { bars, market: m } = request;
  if (!Number.isInteger(bars) || bars < 1 || bars > MAX_BARS) throw new Error(`bars must be a whole number from 1 to ${MAX_BARS.toLocaleString('en-US')}, not ${bars}`);
  if (!Number.isInteger(request.seed) || request.seed === 0) throw new Error(`the seed must be a non-zero whole number, not ${request.seed}`);
  checkMarket(m);
  const rng = new Rng(request.seed);
  const normals = new NormalDraws(rng);
  const plan = planSegments(bars, recipes, { mix: request.mix, rng, transitions: request.transitions });

  const c: Columns = {
    time: new Float64Array(bars), open: new Float64Array(bars), high: new Float64Array(bars), low: new Float64Array(bars),
    close: new Float64Array(bars), volume: new Float64Array(bars), label: new Int32Array(bars),
  };
  const counts = new Float64Array(recipes.length);
  const segments: ScenarioSegment[] = [];
  const sigma = m.volatility;
  const logStart = Math.log(m.startPrice);
  const volumeScale = Math.pow(10, Math.min(8, Math.max(0, 4 - Math.floor(Math.log10(Math.max(m.volume.base, 1e-8))))));
  const lengths = new Int32Array(Math.max(...recipes.map((r) => r.phases.length)));
  const st = new Float64Array(5);
  st[LOG_CLOSE] = logStart;
  st[VARIANCE] = sigma * sigma;

  for (let s = 0; s < plan.starts.length; s++) {
    const recipe = recipes[plan.scenario[s]];
    const segStart = plan.starts[s], segLength = plan.lengths[s];
    counts[plan.scenario[s]] += segLength;
    // an either-way scenario leans back toward the start price, so long mixes stay in a sane range
    let direction: 1 | -1 = 1;
    if (recipe.direction === 'either') {
      const away = (st[LOG_CLOSE] - logStart) / (3 * sigma * Math.sqrt(recipe.meanBars));
      direction = rng.next() < 1 / (1 + Math.exp(away)) ? 1 : -1;
    }
    const segment: ScenarioSegment = { start: segStart, length: segLength, scenario: recipe.name, direction, events: [] };
    segments.push(segment);
    phaseLengths(recipe.phases, segLength, lengths);
    let i = segStart;
    for (let j = 0; j < recipe.phases.length; j++) {
      const phase = recipe.phases[j];
      const n = lengths[j];
      if (n === 0) continue;
      if (phase.event) segment.events.push({ name: phase.event, bar: i });
      const jumpRate = phase.jumps ?? 1;
      let move = 0;
      if (phase.move) move = Math.sign(phase.move) * Math.min(Math.abs(phase.move) * sigma, phase.moveCap ?? Infinity) * direction;
      const run: PhaseRun = {
        label: plan.scenario[s],
        drift: m.drift - jumpCompensator(m.jumps, jumpRate) + (phase.drift ?? 0) * sigma * direction + move / n,
        revert: phase.revert ?? 0,
        level: st[LOG_CLOSE],
        volPeak: phase.vol ?? 1,
        volumePeak: phase.volume ?? 1,
        decay: phase.decay ?? 0,
        jumpRate,
        openGap: phase.openJump ? phase.openJump * sigma * direction * (0.75 + 0.5 * rng.next()) : 0,
      };
      walkPhase(c, st, rng, normals, m, run, i, n, logStart, volumeScale, recipe.name);
      i += n;
    }
  }
  const labels = recipes.map((r) => r.name);
  return {
    ...c, labels, segments, market: m,
    counts: Object.fromEntries(labels.map((name, k) => [name, counts[k]])),
  };
}

/** Bars of the chosen scenarios, taking turns or switching at random (mix). */
export function generateScenarios(request: ScenarioRequest): GeneratedScenarios {
  if (request.scenarios.length === 0) throw new Error('choose at least one scenario');
  return walk(request.scenarios.map((name) => SCENARIOS[name]), request);
}

/** The base market alone, labelled "base": what calibration is checked against. */
export function simulateBaseMarket(market: MarketParams, bars: number, seed: number): GeneratedScenarios {
  return walk([BASE_RECIPE], { market, bars, seed, mix: false });
}
