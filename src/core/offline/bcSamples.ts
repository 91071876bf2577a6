// What behavior cloning learns from, the same in the worker and on the command line: an offline
// dataset's (state, action, strength) samples as they are, or the teacher ensemble's labels of a
// candle dataset's training segment, with a backtest on the held-out later segment beside the
// teacher. Pure: no TensorFlow.js, no storage.
import { splitByTime } from '../env/types';
import { STATE_SIZE, type CandleColumns, type MarketFeatures } from '../features/layout';
import { backtestPolicy, type ActionChooser, type BacktestResult } from '../env/position/backtest';
import { generateOfflineDataset, teacherPolicy } from './teacher';

export type BcBacktest = (policy: ActionChooser) => Promise<{ policy: BacktestResult; teacher: BacktestResult }>;

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

export function teacherSamples(candles: CandleColumns, features: MarketFeatures): BcSamples {
  const segments = splitByTime(features.rows, features.firstValidRow, 0.2);
  // the teacher labels the training segment only: the later one stays unseen, for the backtest
  const offline = generateOfflineDataset(features, candles, { start: segments.train.start, end: segments.train.end });
  return {
    data: { states: offline.states, actions: offline.actions, strengths: offline.strengths, width: STATE_SIZE },
    source: { kind: 'teacher', samples: offline.actions.length, actionCounts: offline.actionCounts },
    backtest: async (policy) => ({
      policy: await backtestPolicy(features, candles, segments.eval, policy),
      teacher: await backtestPolicy(features, candles, segments.eval, teacherPolicy(features)),
    }),
  };
}
