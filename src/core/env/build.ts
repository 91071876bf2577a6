// Training, validation and test environments of a run, for any registered environment: the rows
// split by time into three segments (train, validation for model selection, test for the final
// evaluation only), the training copies, and makers of copies on the held-out segments: random
// episodes, or a walk that covers a segment with back-to-back windows.
import { defaultsOf, type SettingSpec, type SettingValues } from '../settings';
import type { EnvData, EnvSpec } from './spec';
import { splitSegments, type Segment, type Segments, type VecEnv } from './types';
import type { DataSegments } from '../run/contracts';
import { intervalLabel } from '../data/time';

/** Every environment's segment settings: the shares of the rows, at the end, held out. */
export const SEGMENT_SETTINGS: readonly SettingSpec[] = [
  { key: 'validation_fraction', type: 'number', default: 0.15, min: 0, max: 0.45, maxExclusive: true, help: 'share of the rows, after the training ones, that chooses the model (best checkpoint, early stopping, comparing settings)' },
  { key: 'test_fraction', type: 'number', default: 0.15, min: 0, max: 0.45, minExclusive: true, maxExclusive: true, help: 'share of the rows, at the end, kept for the final evaluation and "Play the policy" only' },
  { key: 'window_hours', type: 'number', default: 1, min: 0, minExclusive: true, max: 24 * 366, help: 'length of the market windows episodes are filed under (an episode\'s window_id: the start of the window it began in)' },
  { key: 'window_bars', type: 'integer', default: null, min: 1, nullable: true, help: 'windows of this many bars instead of window_hours, for data whose interval does not divide an hour' },
];

export interface Environments {
  spec: EnvSpec;
  /** The training copies: random episodes on the training segment. */
  env: VecEnv;
  /** Random episodes on the segment evaluations choose the model on (a fixed seed plays the same ones every time). */
  makeEvalEnv: (copies: number, seed: number) => VecEnv;
  segments: Segments;
  /** The segment that chooses the model: validation, or for a run stored before it existed, its one held-out segment. */
  selection: Segment;
  /** A run stored before the validation segment existed: its model was chosen on its held-out (test) rows. */
  legacy: boolean;
  settings: SettingValues;
  /** Copies with episodes of `maxSteps` on a held-out segment, started where a walk puts them. */
  makeWalkEnv: (segment: Segment, copies: number, maxSteps: number) => VecEnv;
  /** Steps per episode: the environment's own length where it has one (a funding-arbitrage day), else the run's. */
  episodeSteps: number;
}

/** The environment's settings: its defaults under the run's values (keys it does not have are ignored). */
export function envSettingsOf(spec: EnvSpec, values: Record<string, unknown>): SettingValues {
  const out = defaultsOf(spec.settings);
  for (const s of spec.settings) if (values[s.key] !== undefined) out[s.key] = values[s.key] as SettingValues[string];
  return out;
}

/**
 * A run stored before the three segments and the execution settings existed: its settings have
 * `eval_fraction` and no `test_fraction`. Its one held-out segment is its test segment (its model
 * was chosen on it, which its pages say) and its trades filled at the decision bar's close.
 */
export function storedBeforeSegments(values: Record<string, unknown>): boolean {
  return values.test_fraction === undefined && typeof values.eval_fraction === 'number';
}

/** The run's segments; a stored run's training rows and held-out segment stay as they were. */
export function segmentsOf(data: EnvData, values: Record<string, unknown>): { segments: Segments; legacy: boolean } {
  if (storedBeforeSegments(values)) {
    return { segments: splitSegments(data.rows, data.firstValidRow, 0, values.eval_fraction as number), legacy: true };
  }
  const validation = Number(values.validation_fraction ?? 0.15), test = Number(values.test_fraction ?? 0.15);
  return { segments: splitSegments(data.rows, data.firstValidRow, validation, test), legacy: false };
}

export function buildEnvironments(spec: EnvSpec, data: EnvData, values: Record<string, unknown>, run: { copies: number; seed: number; maxSteps: number }): Environments {
  const { segments, legacy } = segmentsOf(data, values);
  // a run stored before the execution settings keeps its rules: the fill at the close, no slippage
  const legacyFill = spec.settings.some((s) => s.key === 'fill') && values.fill === undefined;
  const settings = { ...envSettingsOf(spec, values), ...(legacyFill ? { fill: 'close', slippage_bps: 0 } : {}) } as SettingValues;
  const maxSteps = spec.episodeSteps?.(settings) ?? run.maxSteps;
  const selection = segments.validation ?? segments.test;
  const rowsOf = (s: Segment) => s.end - s.start;
  if (rowsOf(segments.train) < maxSteps + 2 || rowsOf(selection) < 3 || rowsOf(segments.test) < 3) {
    throw new Error(`The dataset is too short to train on: ${data.rows} rows, of which ${data.firstValidRow} warm up the indicators, leave ${rowsOf(segments.train)} for training, ${segments.validation ? rowsOf(segments.validation) : 0} for validation and ${rowsOf(segments.test)} for the test; an episode needs ${maxSteps + 2} training rows and each held-out segment 3. Use a longer dataset or a shorter episode.`);
  }
  const make = (segment: Segment, copies: number, seed: number, randomStart: boolean, maxSteps: number): VecEnv =>
    spec.create(data, { settings, segment, copies, seed, randomStart, maxSteps: Math.min(maxSteps, segment.end - segment.start - 1) });
  return {
    spec,
    env: make(segments.train, run.copies, run.seed + 1, true, maxSteps),
    makeEvalEnv: (copies, seed) => make(selection, copies, seed, true, maxSteps),
    segments,
    selection,
    legacy,
    settings,
    makeWalkEnv: (segment, copies, steps) => make(segment, copies, 1, false, steps),
    episodeSteps: maxSteps,
  };
}

/** A run's segments as its config records them: rows (steps of the data's interval) and their first and last times. */
export function describeSegments(segments: Segments, time: Float64Array): DataSegments {
  const spacing = time.length > 1 ? time[1] - time[0] : NaN;
  const unit = Number.isFinite(spacing) && spacing > 0 ? `${intervalLabel(spacing)} steps` : 'steps';
  const rows = (s: Segment | null): [number, number] | null => (s ? [s.start, s.end] : null);
  const iso = (ms: number) => (Number.isFinite(ms) ? new Date(ms).toISOString() : '');
  const times = (s: Segment | null): [string, string] | null => (s ? [iso(time[s.start]), iso(time[Math.max(s.start, s.end - 1)])] : null);
  return {
    unit,
    train: rows(segments.train)!,
    validation: rows(segments.validation),
    test: rows(segments.test),
    times: { train: times(segments.train)!, validation: times(segments.validation), test: times(segments.test) },
  };
}
