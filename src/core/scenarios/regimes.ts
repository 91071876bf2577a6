// Which scenario runs when: segments of bars, each one scenario. Scenarios either take turns in the
// order given, each segment its recipe's length, or switch as a Markov chain: from each scenario
// the next is drawn from a row of a transition matrix (by default any other, equally likely), and
// a visit lasts the recipe's minimum plus a geometric number of bars, its mean the recipe's length.
import type { Rng } from '../rng';

export interface SegmentPlan {
  /** First bar, length and scenario (an index into the chosen list) of each segment. */
  starts: Int32Array;
  lengths: Int32Array;
  scenario: Int32Array;
}

export interface RegimeLengths { meanBars: number; minBars: number }

/** The default chain: never stay, move to each other scenario alike (one scenario: stay). */
export function uniformTransitions(k: number): number[][] {
  return Array.from({ length: k }, (_, i) => Array.from({ length: k }, (_, j) => (k === 1 ? 1 : i === j ? 0 : 1 / (k - 1))));
}

function drawRow(rng: Rng, row: readonly number[]): number {
  const total = row.reduce((a, b) => a + b, 0);
  let u = rng.next() * total;
  for (let j = 0; j < row.length; j++) {
    u -= row[j];
    if (u < 0) return j;
  }
  return row.length - 1;
}

/** Geometric length: min + a count of failures with mean (mean − min). */
function visitLength(rng: Rng, r: RegimeLengths): number {
  const extra = Math.max(0, r.meanBars - r.minBars);
  if (extra === 0) return r.minBars;
  const p = 1 / (extra + 1);
  let u = rng.next();
  while (u === 0) u = rng.next();
  return r.minBars + Math.floor(Math.log(u) / Math.log(1 - p));
}

export function planSegments(bars: number, lengths: readonly RegimeLengths[], options: { mix: boolean; rng: Rng; transitions?: number[][] }): SegmentPlan {
  const k = lengths.length;
  const transitions = options.transitions ?? uniformTransitions(k);
  if (transitions.length !== k || transitions.some((row) => row.length !== k || row.some((p) => !(p >= 0)) || !(row.reduce((a, b) => a + b, 0) > 0))) {
    throw new Error(`the transition matrix must be ${k} × ${k} of non-negative numbers, each row summing above 0`);
  }
  const starts: number[] = [], lens: number[] = [], which: number[] = [];
  let at = 0, current = options.mix ? options.rng.int(k) : 0;
  while (at < bars) {
    const length = Math.min(bars - at, options.mix ? visitLength(options.rng, lengths[current]) : lengths[current].meanBars);
    starts.push(at); lens.push(length); which.push(current);
    at += length;
    current = options.mix ? drawRow(options.rng, transitions[current]) : (current + 1) % k;
  }
  return { starts: Int32Array.from(starts), lengths: Int32Array.from(lens), scenario: Int32Array.from(which) };
}
