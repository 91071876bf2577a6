// The training engine's set-up, shared by the browser worker and the command line: features,
// time-split segments, the training environment and evaluation environments, hyperparameters.
import { createEnv } from '../core/env';
import { splitByTime, type Segment, type VecEnv } from '../core/env/types';
import type { CandleColumns, MarketFeatures } from '../core/features/layout';
import { DEFAULT_ENV, DEFAULT_PPO, PRESETS, validatePpo, type EnvSettings, type PpoHyperparameters, type PresetName } from '../core/run/config';

export interface Environments {
  env: VecEnv;
  makeEvalEnv: (copies: number, seed: number) => VecEnv;
  segments: { train: Segment; eval: Segment };
}

/** Defaults, then the preset, then the person's own values. Throws with every problem named. */
export function resolveSettings(preset: PresetName | null, ppo: Partial<PpoHyperparameters>, env: Partial<EnvSettings>): { hp: PpoHyperparameters; env: EnvSettings } {
  const p = preset ? PRESETS[preset] : null;
  const hp: PpoHyperparameters = { ...DEFAULT_PPO, ...(p?.ppo ?? {}), ...ppo };
  const envSettings: EnvSettings = { ...DEFAULT_ENV, ...(p?.env ?? {}), ...env };
  const problems = validatePpo(hp);
  if (!(envSettings.eval_fraction > 0 && envSettings.eval_fraction < 0.9)) problems.push('eval_fraction must be between 0 and 0.9');
  if (!(envSettings.leverage > 0)) problems.push('leverage must be positive');
  if (!(envSettings.fee >= 0)) problems.push('fee must not be negative');
  if (problems.length) throw new Error(`Cannot train with these settings: ${problems.join('; ')}.`);
  return { hp, env: envSettings };
}

export function buildEnvironments(candles: CandleColumns, features: MarketFeatures, settings: EnvSettings, hp: PpoHyperparameters): Environments {
  const segments = splitByTime(features.rows, features.firstValidRow, settings.eval_fraction);
  const trainRows = segments.train.end - segments.train.start;
  const evalRows = segments.eval.end - segments.eval.start;
  if (trainRows < hp.max_steps + 2 || evalRows < 3) {
    throw new Error(`The dataset is too short to train on: ${features.rows} rows, of which ${features.firstValidRow} warm up the indicators, leave ${trainRows} for training and ${evalRows} for evaluation; an episode needs ${hp.max_steps + 2}. Use a longer dataset or a smaller max_steps.`);
  }
  const common = (segment: Segment, numEnvs: number, seed: number, randomStart: boolean) => ({
    features,
    candles,
    segment,
    numEnvs,
    seed,
    maxSteps: hp.max_steps,
    fee: settings.fee,
    startingBalance: settings.starting_balance,
    randomStart,
  });
  const make = (segment: Segment, numEnvs: number, seed: number, randomStart: boolean): VecEnv =>
    settings.env === 'position'
      ? createEnv('position', { ...common(segment, numEnvs, seed, randomStart), leverage: settings.leverage, allowShort: settings.allow_short, maxSteps: Math.min(hp.max_steps, segment.end - segment.start - 1) })
      : createEnv('trade-approval', { ...common(segment, numEnvs, seed, randomStart), maxSteps: Math.min(hp.max_steps, segment.end - segment.start - 1) });
  return {
    env: make(segments.train, hp.n_envs, hp.seed + 1, true),
    // evaluation: the held-out, later segment; a fixed seed, so every evaluation plays the same episodes
    makeEvalEnv: (copies, seed) => make(segments.eval, copies, seed, true),
    segments,
  };
}
