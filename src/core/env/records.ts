// Helpers shared by the environments: segment checks, episode start rows, ISO times, per-episode
// Sharpe ratios, and the plain-JSON form of per-copy typed arrays for getState/setState.

import type { Rng } from '../rng';
import type { CandleColumns, MarketFeatures } from '../features/layout';
import { STATE_SIZE } from '../features/layout';
import type { Segment } from './types';

/**
 * What both environments keep besides their per-copy arrays (the random state, the walk cursor,
 * counters, finished episodes not yet drained) and the JSON form of all of it, for checkpoints.
 */
export abstract class EnvBookkeeping<Episode> {
  abstract readonly name: string;
  abstract readonly numEnvs: number;
  protected abstract readonly rng: Rng;
  /** Bumped when the state's layout or meaning changes: an older state is refused, not misread. */
  protected readonly stateVersion: number = 1;
  protected cursor = 0; // next start row when randomStart is false
  protected episodeCount = 0;
  protected totalSteps = 0;
  protected pending: Episode[] = [];

  /** Every per-copy typed array, by name: what getState() saves and setState() restores. */
  protected abstract stateArrays(): Record<string, TypedArray>;
  abstract readonly rewards: Float32Array;
  abstract readonly pnl: Float32Array;
  abstract readonly dones: Uint8Array;
  abstract readonly segment: Segment;
  abstract readonly randomStart: boolean;
  abstract readonly maxSteps: number;
  /** Puts copy i at the start of a new episode at `row` (the next start when not given). */
  protected abstract startEpisode(i: number, row?: number): void;
  protected abstract writeObs(i: number): void;

  /** A new episode in every copy; with randomStart false, the walk starts over at the segment's start. */
  reset(): void {
    this.cursor = this.segment.start;
    for (let i = 0; i < this.numEnvs; i++) {
      this.startEpisode(i);
      this.writeObs(i);
    }
    this.rewards.fill(0);
    this.pnl.fill(0);
    this.dones.fill(0);
  }

  startAt(i: number, row: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.numEnvs) throw new Error(`copy ${i} is not one of this environment's ${this.numEnvs}`);
    const { start, end } = this.segment;
    if (!Number.isInteger(row) || row < start || row > end - 2) throw new Error(`row ${row} is outside the rows [${start}, ${end - 1}) where an episode of this segment can start`);
    this.startEpisode(i, row);
    this.writeObs(i);
    this.rewards[i] = 0;
    this.pnl[i] = 0;
    this.dones[i] = 0;
  }

  /** First row of a new episode: random with room for maxSteps, or the next window of the segment. */
  protected nextStart(): number {
    const { start, end } = this.segment;
    if (this.randomStart) {
      const room = end - start - this.maxSteps; // starts start..end-1-maxSteps keep maxSteps steps inside
      return room > 0 ? start + this.rng.int(room) : start;
    }
    if (this.cursor >= end - 1) this.cursor = start;
    const s = this.cursor;
    this.cursor = s + this.maxSteps;
    return s;
  }

  drainEpisodes(): Episode[] {
    const out = this.pending;
    this.pending = [];
    return out;
  }

  getState(): unknown {
    return {
      kind: this.name,
      version: this.stateVersion,
      numEnvs: this.numEnvs,
      rng: this.rng.getState(),
      cursor: this.cursor,
      episodeCount: this.episodeCount,
      totalSteps: this.totalSteps,
      arrays: arraysToJson(this.stateArrays()),
      pending: cloneJson(this.pending),
    };
  }

  setState(state: unknown): void {
    const s = checkState(state, this.name, this.numEnvs);
    if ((s.version ?? 1) !== this.stateVersion) throw new Error(`bad environment state: made by version ${String(s.version ?? 1)} of ${this.name}, this is version ${this.stateVersion}; a run saved by it cannot be continued (its records stay)`);
    arraysFromJson(this.stateArrays(), s.arrays);
    this.rng.setState(s.rng as number[]);
    this.cursor = Number(s.cursor);
    this.episodeCount = Number(s.episodeCount);
    this.totalSteps = Number(s.totalSteps);
    this.pending = cloneJson(s.pending as Episode[]);
  }
}

/**
 * The rows an environment may use: the segment, moved no earlier than the features' first valid row.
 * Throws when the inputs disagree in size or fewer than two rows remain (one step needs a next bar).
 */
export function usableSegment(features: MarketFeatures, candles: CandleColumns, segment: Segment): Segment {
  if (features.values.length !== features.rows * STATE_SIZE) {
    throw new Error(`features.values has ${features.values.length} values, expected rows × ${STATE_SIZE} = ${features.rows * STATE_SIZE}`);
  }
  const n = features.rows;
  for (const key of ['time', 'open', 'high', 'low', 'close'] as const) {
    if (candles[key].length < n) throw new Error(`candles.${key} has ${candles[key].length} rows, features have ${n}`);
  }
  if (!Number.isInteger(segment.start) || !Number.isInteger(segment.end) || segment.start < 0 || segment.end > n) {
    throw new Error(`segment [${segment.start}, ${segment.end}) is outside rows [0, ${n})`);
  }
  const start = Math.max(segment.start, features.firstValidRow | 0);
  const end = segment.end;
  if (end - start < 2) throw new Error(`segment [${segment.start}, ${segment.end}) leaves ${Math.max(0, end - start)} usable rows; at least 2 are needed`);
  return { start, end };
}

/** ISO 8601 of an epoch-ms time; null when it is not a valid time. */
export function isoTime(ms: number): string | null {
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) return null;
  return new Date(ms).toISOString();
}

/** Per-step Sharpe ratio (mean / population std × factor), 0 when std is 0 or there are no steps. */
export function sharpeOf(sum: number, sumSq: number, n: number, factor: number): number {
  if (n <= 0) return 0;
  const mean = sum / n;
  const variance = sumSq / n - mean * mean;
  if (!(variance > 1e-24)) return 0;
  return (mean / Math.sqrt(variance)) * factor;
}

/** What the position and funding-arbitrage episode records start with. */
export interface EpisodeHeader {
  episode: number;
  reward: number;
  length: number;
  timestep: number;
  timestamp: string;
  start_time: string | null;
  end_time: string | null;
}

export type TypedArray = Float64Array | Float32Array | Int32Array | Uint8Array | Int8Array | Uint32Array;

/** Typed arrays as plain number lists (JSON round-trips doubles exactly). */
export function arraysToJson(arrays: Record<string, TypedArray>): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const [k, a] of Object.entries(arrays)) out[k] = Array.from(a);
  return out;
}

/** Writes plain number lists back into the typed arrays, checking names and lengths. */
export function arraysFromJson(arrays: Record<string, TypedArray>, json: unknown): void {
  if (!json || typeof json !== 'object') throw new Error('bad environment state: arrays missing');
  const src = json as Record<string, unknown>;
  for (const [k, a] of Object.entries(arrays)) {
    const v = src[k];
    if (!Array.isArray(v) || v.length !== a.length) throw new Error(`bad environment state: array ${k} missing or of the wrong length`);
  }
  for (const [k, a] of Object.entries(arrays)) a.set(src[k] as number[]);
}

/** Checks the common envelope of an environment state and returns it typed loosely. */
export function checkState(state: unknown, kind: string, numEnvs: number): Record<string, unknown> {
  if (!state || typeof state !== 'object') throw new Error('bad environment state: not an object');
  const s = state as Record<string, unknown>;
  if (s.kind !== kind) throw new Error(`bad environment state: made by ${String(s.kind)}, not ${kind}`);
  if (s.numEnvs !== numEnvs) throw new Error(`bad environment state: ${String(s.numEnvs)} copies, this environment has ${numEnvs}`);
  if (!Array.isArray(s.rng) || s.rng.length !== 4) throw new Error('bad environment state: random state missing');
  if (!Array.isArray(s.pending)) throw new Error('bad environment state: pending episodes missing');
  return s;
}

/** Deep copy of plain JSON data. */
export function cloneJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
