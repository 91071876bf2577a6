// Evaluation as a walk over a held-out segment: back-to-back windows that cover it, one copy of the
// environment per window, each playing one episode from the window's first bar, greedily. What a
// walk reports: reward and net P&L per window, their means with 95 % intervals, the compounded net
// P&L of the whole walk, and the Sharpe ratio (annualized by the market's own calendar), drawdown,
// win rate and trades over the whole walk, not per short episode. Pure: the policy is a callback.
import { isoTime, sharpeOf } from '../env/records';
import type { Environments } from '../env/build';
import type { Segment, VecEnv } from '../env/types';
import { annualizationFactor, perYearOf } from '../env/calendar';
import type { EnvData } from '../env/spec';
import { meanInterval, type Interval } from './stats';

/** Chooses one action per copy from raw observations and masks (into `out`); `env` says where each copy is. */
export type ActionPolicy = (obs: Float32Array, masks: Uint8Array, n: number, out: Int32Array, env: VecEnv) => Promise<void> | void;

export interface Windows {
  segment: Segment;
  /** Each window's first row; every window is `length` steps but the last, which ends with the segment. */
  starts: number[];
  length: number;
}

/**
 * Windows of about `episode` steps covering [start, end): as many as fit, equal in length (the
 * remainder shared out rather than dropped), so every bar of the segment is played once.
 */
export function walkWindows(segment: Segment, episode: number): Windows {
  const steps = segment.end - segment.start - 1; // the last row has no next bar to step to
  const count = Math.max(1, Math.round(steps / Math.max(1, episode)));
  const length = Math.max(1, Math.ceil(steps / count));
  const starts: number[] = [];
  for (let s = segment.start; s <= segment.end - 2; s += length) starts.push(s);
  return { segment, starts, length };
}

export interface WindowResult {
  start_row: number;
  end_row: number;
  start_time: string | null;
  end_time: string | null;
  reward: number;
  net_pnl_pct: number;
  steps: number;
  trades: number;
}

export interface WalkResult {
  windows: WindowResult[];
  reward: Interval;
  net_pnl_pct: Interval;
  /** The windows one after another, each starting with what the last ended with. */
  total_net_pnl_pct: number;
  sharpe: number;
  max_drawdown: number;
  /** Winning trades among the trades closed; null without a trade. */
  win_rate: number | null;
  trades: number;
  steps: number;
  /** Each window's actions, for a random policy that trades as often. */
  actions: number[][];
  /** Each window's finished episode record (null where none came back). */
  records: unknown[];
  /** Each window's net P&L of each step, a fraction of the starting balance (the money view's equity curve and blotter). */
  pnl: number[][];
  /** Each window's bar of each step's decision. */
  rows: number[][];
}

export interface WalkInput {
  env: VecEnv;
  windows: Windows;
  time: Float64Array;
  /** Bars per year for the Sharpe ratio. */
  perYear: number;
  episodeTrades: (record: unknown) => { trades: number; wins: number };
}

/**
 * Steps every copy until each has finished one episode (from wherever it stands): `choose` writes
 * the actions (it sees which copies still play); `visit(i, action, record)` follows each step of a
 * copy still playing, with the finished episode's record on its last step (undefined before it).
 */
export async function playOneEpisodeEach(
  env: VecEnv,
  choose: (actions: Int32Array, playing: Uint8Array) => Promise<void> | void,
  visit: (i: number, action: number, record: unknown) => void,
): Promise<void> {
  const n = env.numEnvs;
  const actions = new Int32Array(n);
  const playing = new Uint8Array(n).fill(1);
  let remaining = n;
  for (let guard = 0; remaining > 0 && guard < 10_000_000; guard++) {
    await choose(actions, playing);
    env.step(actions);
    const finished = env.drainEpisodes();
    let k = 0;
    for (let i = 0; i < n; i++) {
      const done = env.dones[i] === 1;
      const record = done ? finished[k++] ?? null : undefined;
      if (!playing[i]) continue;
      visit(i, actions[i], record);
      if (done) {
        playing[i] = 0;
        remaining--;
      }
    }
  }
}

/** Plays the policy over the windows; `beforeStep` sees the actions chosen at each step with the copies still playing. */
export async function walk(input: WalkInput, policy: ActionPolicy, beforeStep?: (actions: Int32Array, playing: Uint8Array, env: VecEnv) => void): Promise<WalkResult> {
  const { env, windows } = input;
  const n = windows.starts.length;
  if (env.numEnvs !== n) throw new Error(`the walk has ${n} windows, the environment ${env.numEnvs} copies`);
  env.reset();
  for (let i = 0; i < n; i++) env.startAt(i, windows.starts[i]);
  env.drainEpisodes();
  const reward = new Float64Array(n), pnl = new Float64Array(n), steps = new Int32Array(n);
  const returns: number[][] = Array.from({ length: n }, () => []);
  const taken: number[][] = Array.from({ length: n }, () => []);
  const stepPnl: number[][] = Array.from({ length: n }, () => []);
  const rows: number[][] = Array.from({ length: n }, () => []);
  const records: unknown[] = new Array(n).fill(null);
  await playOneEpisodeEach(env, async (actions, playing) => {
    await policy(env.obs, env.masks, n, actions, env);
    beforeStep?.(actions, playing, env);
    for (let i = 0; i < n; i++) if (playing[i]) rows[i].push(env.currentRow(i));
  }, (i, action, record) => {
    reward[i] += env.rewards[i];
    // the step's return on what the window held before it
    const before = 1 + pnl[i];
    pnl[i] += env.pnl[i];
    returns[i].push(before > 0 ? env.pnl[i] / before : 0);
    taken[i].push(action);
    stepPnl[i].push(env.pnl[i]);
    steps[i]++;
    if (record !== undefined) records[i] = record;
  });
  let trades = 0, wins = 0;
  const results: WindowResult[] = windows.starts.map((start, i) => {
    const t = records[i] ? input.episodeTrades(records[i]) : { trades: 0, wins: 0 };
    trades += t.trades;
    wins += t.wins;
    const end = start + steps[i];
    return { start_row: start, end_row: end, start_time: isoTime(input.time[start]), end_time: isoTime(input.time[end]), reward: reward[i], net_pnl_pct: pnl[i] * 100, steps: steps[i], trades: t.trades };
  });
  // the whole walk as one equity curve: windows back to back, compounded
  let equity = 1, peak = 1, maxDd = 0, sum = 0, sumSq = 0, count = 0;
  for (const r of returns) {
    for (const x of r) {
      equity *= 1 + x;
      if (equity > peak) peak = equity;
      else if (1 - equity / peak > maxDd) maxDd = 1 - equity / peak;
      sum += x;
      sumSq += x * x;
      count++;
    }
  }
  return {
    windows: results,
    reward: meanInterval(Array.from(reward)),
    net_pnl_pct: meanInterval(results.map((w) => w.net_pnl_pct)),
    total_net_pnl_pct: (equity - 1) * 100,
    sharpe: sharpeOf(sum, sumSq, count, annualizationFactor(input.perYear)),
    max_drawdown: maxDd,
    win_rate: trades > 0 ? wins / trades : null,
    trades,
    steps: count,
    actions: taken,
    records,
    pnl: stepPnl,
    rows,
  };
}

/**
 * A walk over a held-out segment of a run's environments, ready to play any policy. Its copies are
 * made once and reused by every play (a walk resets them), one play at a time.
 */
export function walkOf(envs: Environments, data: EnvData, segment: Segment, episode: number): { windows: Windows; play: (policy: ActionPolicy, beforeStep?: (actions: Int32Array, playing: Uint8Array, env: VecEnv) => void) => Promise<WalkResult> } {
  const windows = walkWindows(segment, episode);
  const perYear = perYearOf(envs.settings, data.time);
  let env: VecEnv | null = null;
  let last: Promise<unknown> = Promise.resolve();
  return {
    windows,
    play: (policy, beforeStep) => {
      const run = () => walk({ env: (env ??= envs.makeWalkEnv(segment, windows.starts.length, windows.length)), windows, time: data.time, perYear, episodeTrades: envs.spec.episodeTrades }, policy, beforeStep);
      const next = last.then(run, run);
      last = next.catch(() => undefined);
      return next;
    },
  };
}
