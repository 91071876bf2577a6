// What behavior cloning learns from, the same in the worker and on the command line: an offline
// dataset's (state, action, strength) samples as they are, or the teacher ensemble's labels of a
// candle dataset's training segment, with a backtest on the test segment (the position
// environment's walk, net of costs, beside buy-and-hold, holding and a random policy) for the
// policy and the teacher. Pure: no TensorFlow.js, no storage.
import { buildEnvironments } from '../env/build';
import { candleData } from '../env/candles';
import { POSITION } from '../env/position';
import type { ActionChooser } from '../env/position/backtest';
import { segmentEvaluator } from '../eval/evaluate';
import { STATE_SIZE, type CandleColumns, type MarketFeatures } from '../features/layout';
import type { EvaluationRecord } from '../run/contracts';
import { defaultsOf } from '../settings';
import { generateOfflineDataset, teacherPolicy } from './teacher';

/** The walks of the test segment: the policy's and the teacher's, each with the baselines beside it. */
export type BcBacktest = (policy: ActionChooser) => Promise<{ segment: 'test'; policy: EvaluationRecord; teacher: EvaluationRecord }>;

/** Where the samples came from, with their action counts (HOLD, BUY, SELL). */
export interface SampleSource {
  kind: 'offline' | 'teacher';
  samples: number;
  actionCounts: number[];
}

export interface BcSamples {
  data: { states: Float32Array; actions: Int32Array; strengths: Float32Array; width: number };
  source: SampleSource;
  /** Only for samples from candles: there is a held-out segment to play on. */
  backtest: BcBacktest | null;
}

export function offlineSamples(states: Float32Array, width: number, actions: ArrayLike<number>, strengths: ArrayLike<number>): BcSamples {
  const data = { states, width, actions: Int32Array.from(actions), strengths: Float32Array.from(strengths) };
  const counts = [0, 0, 0];
  for (const a of data.actions) counts[a]++;
  return { data, source: { kind: 'offline', samples: data.actions.length, actionCounts: counts }, backtest: null };
}

/** Episodes of the backtest's walk: as PPO's default. */
const WINDOW = 256;

/** The position environment's default segments over these candles (as the Train path uses them). */
function teacherEnvironments(candles: CandleColumns, features: MarketFeatures) {
  const market = candleData(candles, features);
  const envs = buildEnvironments(POSITION, market, defaultsOf(POSITION.settings), { copies: 1, seed: 1, maxSteps: Math.min(WINDOW, Math.max(1, market.rows - market.firstValidRow - 3)) });
  return { market, envs };
}

/**
 * The candle rows the teacher labels for behavior cloning: the training segment of the position
 * environment's default split. The validation rows stay unused, the test rows unseen until the
 * backtest, whether the labels are made on the Train path or stored as a teacher dataset first.
 */
export function teacherTrainingRows(candles: CandleColumns, features: MarketFeatures): [number, number] {
  const { train } = teacherEnvironments(candles, features).envs.segments;
  return [train.start, train.end];
}

/** The backtest on the test segment: a policy and the teacher walked over the same windows. */
export function teacherBacktest(candles: CandleColumns, features: MarketFeatures): BcBacktest {
  const { market, envs } = teacherEnvironments(candles, features);
  const test = segmentEvaluator(envs, market, 'test', WINDOW);
  const D = STATE_SIZE;
  const play = (choose: ActionChooser) => test.evaluate(async (obs, _masks, n, out, env) => {
    for (let i = 0; i < n; i++) out[i] = await choose(obs.subarray(i * D, (i + 1) * D), env.currentRow(i));
  }, 0);
  return async (policy) => ({ segment: 'test', policy: await play(policy), teacher: await play(teacherPolicy(features)) });
}

export function teacherSamples(candles: CandleColumns, features: MarketFeatures): BcSamples {
  const [start, end] = teacherTrainingRows(candles, features);
  const offline = generateOfflineDataset(features, candles, { start, end });
  return {
    data: { states: offline.states, actions: offline.actions, strengths: offline.strengths, width: STATE_SIZE },
    source: { kind: 'teacher', samples: offline.actions.length, actionCounts: offline.actionCounts },
    backtest: teacherBacktest(candles, features),
  };
}

/**
 * A stored teacher dataset's samples as they are, with the backtest on the candles it was
 * labelled from: the same as behavior cloning on those candles directly.
 */
export function linkedTeacherSamples(stored: BcSamples, candles: CandleColumns, features: MarketFeatures): BcSamples {
  return { data: stored.data, source: { ...stored.source, kind: 'teacher' }, backtest: teacherBacktest(candles, features) };
}
