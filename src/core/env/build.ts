// Training and evaluation environments of a run, for any registered environment: the rows split
// by time into a training segment and a later held-out one, the training copies, and a maker of
// evaluation copies on the held-out rows. Shared by the worker, the command line and inference.
import { defaultsOf, type SettingValues } from '../settings';
import type { EnvData, EnvSpec } from './spec';
import { splitByTime, type Segment, type VecEnv } from './types';

export interface Environments {
  spec: EnvSpec;
  env: VecEnv;
  /** Copies on the held-out segment; a fixed seed plays the same episodes every time. */
  makeEvalEnv: (copies: number, seed: number) => VecEnv;
  segments: { train: Segment; eval: Segment };
}

/** The environment's settings: its defaults under the run's values (keys it does not have are ignored). */
export function envSettingsOf(spec: EnvSpec, values: Record<string, unknown>): SettingValues {
  const out = defaultsOf(spec.settings);
  for (const s of spec.settings) if (values[s.key] !== undefined) out[s.key] = values[s.key] as SettingValues[string];
  return out;
}

export function buildEnvironments(spec: EnvSpec, data: EnvData, values: Record<string, unknown>, run: { copies: number; seed: number; maxSteps: number }): Environments {
  const settings = envSettingsOf(spec, values);
  const segments = splitByTime(data.rows, data.firstValidRow, settings.eval_fraction as number);
  const trainRows = segments.train.end - segments.train.start;
  const evalRows = segments.eval.end - segments.eval.start;
  if (trainRows < run.maxSteps + 2 || evalRows < 3) {
    throw new Error(`The dataset is too short to train on: ${data.rows} rows, of which ${data.firstValidRow} warm up the indicators, leave ${trainRows} for training and ${evalRows} for evaluation; an episode needs ${run.maxSteps + 2}. Use a longer dataset or a smaller max_steps.`);
  }
  const make = (segment: Segment, copies: number, seed: number): VecEnv =>
    spec.create(data, { settings, segment, copies, seed, randomStart: true, maxSteps: Math.min(run.maxSteps, segment.end - segment.start - 1) });
  return {
    spec,
    env: make(segments.train, run.copies, run.seed + 1),
    makeEvalEnv: (copies, seed) => make(segments.eval, copies, seed),
    segments,
  };
}
