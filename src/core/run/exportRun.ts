// A training run as the files of seed 000's run folder, and that folder as a zip:
//
//   run_YYYYMMDD_HHMMSS/
//     config.json                              the RunConfig, seed 000's keys first
//     metrics.json                             { episodes, evaluations, checkpoints }
//     detailed_episodes.jsonl                  one episode's detail object a line
//     train_metrics.jsonl                      one PPO update a line (Stable-Baselines3 names)
//     checkpoints/model_step_N/                model.json + weights.bin (TensorFlow.js) + trainer_state.json
//     checkpoints/best_model/, final_model/    the same for the best and the final checkpoint
//     tensorboard/events.out.tfevents.<s>.<host>
//
// A behavior-cloning run (algorithm "BC") has the same folder with its own contents:
//
//     config.json                              the BcRunConfig (without its evaluation)
//     metrics.json                             { episodes: [], evaluations: [], checkpoints }
//     train_metrics.jsonl                      one epoch a line, with the member's seed
//     evaluation.json                          classifier report, ensemble, backtest, speed
//     checkpoints/best_model/, final_model/    model.json + weights.bin + trainer_state.json;
//                                              an ensemble has checkpoints/seed_S/best_model/ ... per member
//     tensorboard/events.out.tfevents.<s>.<host>
//
// Pure: no DOM, no IndexedDB, no TensorFlow.js. The model files come from a callback.
//
// Non-finite numbers: JSON has no NaN or Infinity, so JSON.stringify writes them as null;
// pandas reads null as NaN. (A NaN therefore comes back from an import as null, and -0 as 0.)
import { zipSync, type Zippable } from 'fflate';
import type { StoredCheckpoint, StoredEpisode, StoredEpoch, StoredEvaluation, StoredUpdate } from '../../store/db';
import type { EvaluationRecord, UpdateMetrics } from '../../algos/ppo';
import type { BcEpochMetrics } from '../../algos/bc';
import { checkpointPath, type BcRunConfig, type CheckpointSummary, type EpisodeSummary, type PpoRunConfig, type RunConfig } from './record';
import { eventFileName, tensorboardEventFile, type TensorboardScalar } from './tensorboard';

export interface RunRecords {
  config: RunConfig;
  episodes: StoredEpisode[];
  evaluations: StoredEvaluation[];
  updates: StoredUpdate[];
  checkpoints: StoredCheckpoint[];
  /** A behavior-cloning run's epochs (none for PPO). */
  epochs: StoredEpoch[];
}

export interface ModelFiles {
  modelJson: string;
  weightsBin: Uint8Array;
}

/** config.json's keys in seed 000's order; the lab's other keys follow. */
export const SEED_CONFIG_KEYS = [
  'run_id',
  'created_at',
  'completed_at',
  'status',
  'algorithm',
  'total_timesteps',
  'learning_rate',
  'batch_size',
  'n_steps',
  'gamma',
  'eval_freq',
  'max_steps',
  'data_file',
  'final_metrics',
] as const;

const CHECKPOINT_KIND_ORDER: Record<string, number> = { periodic: 0, best: 1, final: 2 };

/**
 * Folder of a checkpoint inside the run folder: 'step_N' → checkpoints/model_step_N,
 * 'best' → checkpoints/best_model, 'seed_S_best' → checkpoints/seed_S/best_model.
 */
export function checkpointDir(name: string): string {
  const periodic = /^step_(\d+)$/.exec(name);
  if (periodic) return checkpointPath(Number(periodic[1]));
  if (name === 'best' || name === 'final') return `checkpoints/${name}_model`;
  const member = /^seed_(-?\d+)_(best|final)$/.exec(name);
  if (member) return `checkpoints/seed_${member[1]}/${member[2]}_model`;
  throw new Error(`checkpoint name "${name}" is none of step_N, best, final, seed_S_best, seed_S_final`);
}

/** The inverse of checkpointDir: 'checkpoints/model_step_N' → 'step_N'; null when unknown. */
export function checkpointNameOfDir(dir: string): string | null {
  const periodic = /^checkpoints\/model_step_(\d+)$/.exec(dir);
  if (periodic) return `step_${periodic[1]}`;
  const plain = /^checkpoints\/(best|final)_model$/.exec(dir);
  if (plain) return plain[1];
  const member = /^checkpoints\/seed_(-?\d+)\/(best|final)_model$/.exec(dir);
  if (member) return `seed_${member[1]}_${member[2]}`;
  return null;
}

function withoutRunId<T extends { runId: string }>(record: T): Omit<T, 'runId'> {
  const copy: Partial<T> = { ...record };
  delete copy.runId;
  return copy as Omit<T, 'runId'>;
}

/** config.json's object: seed 000's keys first; a behavior-cloning run's evaluation goes to evaluation.json instead. */
function orderedConfig(config: RunConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const source = config as unknown as Record<string, unknown>;
  for (const key of SEED_CONFIG_KEYS) if (key in source) out[key] = source[key];
  for (const [key, value] of Object.entries(source)) if (!(key in out) && !(config.algorithm === 'BC' && key === 'evaluation')) out[key] = value;
  return out;
}

/** Base64 of a Float32Array's little-endian bytes. */
export function float32ToBase64(values: Float32Array): string {
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/**
 * trainer_state.json: the checkpoint with each tensor's values as base64 float32 (exact, and a
 * quarter of the size and time of decimal text: a [128, 128] run's weights and Adam moments are
 * ~130,000 numbers per checkpoint).
 */
export function trainerStateJson(checkpoint: unknown): string {
  return JSON.stringify(checkpoint, (_key, v: unknown) => (v instanceof Float32Array ? float32ToBase64(v) : v));
}

function jsonl(rows: unknown[]): string {
  return rows.map((row) => JSON.stringify(row) + '\n').join('');
}

const byEpisode = (a: StoredEpisode, b: StoredEpisode) => a.episode - b.episode;
const byStep = (a: { step: number }, b: { step: number }) => a.step - b.step;
const byUpdate = (a: StoredUpdate, b: StoredUpdate) => a.update - b.update;
const byCheckpoint = (a: StoredCheckpoint, b: StoredCheckpoint) =>
  a.step - b.step || (CHECKPOINT_KIND_ORDER[a.kind] ?? 9) - (CHECKPOINT_KIND_ORDER[b.kind] ?? 9);

/** detailed_episodes.jsonl: one detail object a line, by episode, each line ending in '\n'. */
export function detailedEpisodesJsonl(episodes: StoredEpisode[]): string {
  return [...episodes].sort(byEpisode).map((e) => e.detailJson + '\n').join('');
}

/**
 * Seconds since the epoch of an ISO time. Python's isoformat() (seed 000) has no zone and up to six
 * fraction digits: it is local time, as Date reads such strings. NaN when unreadable.
 */
export function isoToSeconds(iso: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$/.exec(iso.trim());
  if (!m) return Date.parse(iso) / 1000;
  const [, y, mo, d, h, mi, s, fraction, zone] = m;
  const fractionSeconds = fraction ? Number(`0.${fraction}`) : 0;
  if (!zone) return new Date(+y, +mo - 1, +d, +h, +mi, +s).getTime() / 1000 + fractionSeconds;
  const utcSeconds = Date.UTC(+y, +mo - 1, +d, +h, +mi, +s) / 1000 + fractionSeconds;
  if (zone === 'Z') return utcSeconds;
  const sign = zone[0] === '-' ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  return utcSeconds - sign * (Number(digits.slice(0, 2)) * 3600 + Number(digits.slice(2)) * 60);
}

const NOT_SCALARS = new Set(['update', 'step', 'timestamp', 'runId']);

/** Seconds since the epoch of a record's ISO timestamp, or of the run's start when it has none. */
function wallTimeOf(config: RunConfig): (iso: unknown) => number {
  const fallbackTime = isoToSeconds(config.created_at);
  return (iso: unknown) => {
    const seconds = typeof iso === 'string' ? isoToSeconds(iso) : NaN;
    return Number.isFinite(seconds) ? seconds : Number.isFinite(fallbackTime) ? fallbackTime : 0;
  };
}

/** The scalars TensorBoard shows: every update's metrics, evaluations, and episode rewards, by step. */
export function runScalars(records: Pick<RunRecords, 'config' | 'episodes' | 'evaluations' | 'updates'>): TensorboardScalar[] {
  const wallTime = wallTimeOf(records.config);
  const scalars: TensorboardScalar[] = [];
  for (const u of [...records.updates].sort(byUpdate)) {
    for (const [tag, value] of Object.entries(u)) {
      if (NOT_SCALARS.has(tag) || typeof value !== 'number') continue; // null (e.g. no episode yet) is no point
      scalars.push({ tag, step: u.step, value, wallTime: wallTime(u.timestamp) });
    }
  }
  for (const e of [...records.evaluations].sort(byStep)) {
    scalars.push({ tag: 'eval/mean_reward', step: e.step, value: e.mean_reward, wallTime: wallTime(e.timestamp) });
    scalars.push({ tag: 'eval/std_reward', step: e.step, value: e.std_reward, wallTime: wallTime(e.timestamp) });
  }
  for (const e of [...records.episodes].sort(byEpisode)) {
    scalars.push({ tag: 'rollout/episode_reward', step: e.summary.timestep, value: e.summary.reward, wallTime: wallTime(e.summary.timestamp) });
  }
  // One global step order (stable: within a step, updates, evaluations, episodes), since older
  // TensorBoard readers drop points whose step goes back.
  return scalars.sort(byStep);
}

const BC_SCALARS: [keyof BcEpochMetrics, string][] = [
  ['train_loss', 'train/loss'], ['val_loss', 'val/loss'], ['train_acc', 'train/accuracy'], ['val_acc', 'val/accuracy'],
  ['train_ce', 'train/ce'], ['train_mse', 'train/mse'], ['val_ce', 'val/ce'], ['val_mse', 'val/mse'],
  ['learning_rate', 'train/learning_rate'], ['samples_per_s', 'time/samples_per_s'],
];

/** A behavior-cloning run's scalars by epoch; an ensemble's members each under seed_S/. */
export function bcScalars(config: BcRunConfig, epochs: StoredEpoch[]): TensorboardScalar[] {
  const wallTime = wallTimeOf(config);
  const ensemble = config.seeds.length > 1;
  const scalars: TensorboardScalar[] = [];
  for (const e of [...epochs].sort(byIndex)) {
    for (const [key, tag] of BC_SCALARS) {
      const value = e[key];
      if (typeof value === 'number') scalars.push({ tag: ensemble ? `seed_${e.seed}/${tag}` : tag, step: e.epoch, value, wallTime: wallTime(e.timestamp) });
    }
  }
  return scalars.sort(byStep);
}

const byIndex = (a: StoredEpoch, b: StoredEpoch) => a.index - b.index;

/** train_metrics.jsonl's line for an epoch: the member's seed, then the epoch's figures. */
export function epochLine(e: StoredEpoch): Record<string, unknown> {
  const row: Record<string, unknown> = { seed: e.seed };
  for (const [key, value] of Object.entries(e)) if (key !== 'runId' && key !== 'index' && key !== 'seed') row[key] = value;
  return row;
}

/** Every file of the run folder, each path under `${config.run_id}/`. */
export async function runFiles(input: RunRecords, modelFiles: (c: StoredCheckpoint) => Promise<ModelFiles>): Promise<Record<string, Uint8Array>> {
  const root = `${input.config.run_id}/`;
  const encoder = new TextEncoder();
  const files: Record<string, Uint8Array> = {};
  const put = (path: string, content: string | Uint8Array) => {
    files[root + path] = typeof content === 'string' ? encoder.encode(content) : content;
  };
  const checkpoints = [...input.checkpoints].sort(byCheckpoint);
  for (const c of checkpoints) {
    const dir = checkpointDir(c.name);
    const model = await modelFiles(c);
    put(`${dir}/model.json`, model.modelJson);
    put(`${dir}/weights.bin`, model.weightsBin);
    // The whole trainer state, weights and Adam moments included, so a resumed or re-imported run is exact.
    put(`${dir}/trainer_state.json`, trainerStateJson(c.checkpoint));
  }
  const checkpointList: CheckpointSummary[] = checkpoints.map((c) => ({ step: c.step, path: checkpointDir(c.name), timestamp: c.timestamp, kind: c.kind }));
  const config = input.config;
  put('config.json', JSON.stringify(orderedConfig(config), null, 2));
  let scalars: TensorboardScalar[];
  if (config.algorithm === 'BC') {
    // the same keys as a PPO run's: a BC run has no episodes or environment evaluations
    put('metrics.json', JSON.stringify({ episodes: [], evaluations: [], checkpoints: checkpointList }));
    put('train_metrics.jsonl', jsonl([...input.epochs].sort(byIndex).map(epochLine)));
    if (config.evaluation) put('evaluation.json', JSON.stringify(config.evaluation, null, 2));
    scalars = bcScalars(config, input.epochs);
  } else {
    scalars = ppoFiles(put, { ...input, config }, checkpointList);
  }
  const startTime = isoToSeconds(config.created_at);
  const fileTime = Number.isFinite(startTime) ? startTime : scalars.length ? scalars[0].wallTime : 0;
  put(`tensorboard/${eventFileName(fileTime)}`, tensorboardEventFile(scalars, { startWallTime: fileTime }));
  return files;
}

/** A PPO run's metrics.json, detailed_episodes.jsonl and train_metrics.jsonl; returns its TensorBoard scalars. */
function ppoFiles(put: (path: string, content: string) => void, input: RunRecords & { config: PpoRunConfig }, checkpointList: CheckpointSummary[]): TensorboardScalar[] {
  const episodes = [...input.episodes].sort(byEpisode);
  const evaluations = [...input.evaluations].sort(byStep);
  const updates = [...input.updates].sort(byUpdate);
  const metrics: { episodes: EpisodeSummary[]; evaluations: EvaluationRecord[]; checkpoints: CheckpointSummary[] } = {
    episodes: episodes.map((e) => e.summary),
    evaluations: evaluations.map((e) => withoutRunId(e)),
    checkpoints: checkpointList,
  };
  put('metrics.json', JSON.stringify(metrics)); // compact: a 10,000-episode run's metrics.json is a third smaller
  put('detailed_episodes.jsonl', detailedEpisodesJsonl(episodes));
  put('train_metrics.jsonl', jsonl(updates.map((u): UpdateMetrics => withoutRunId(u))));
  return runScalars({ config: input.config, episodes, evaluations, updates });
}

/**
 * The run folder as a zip. weights.bin barely compresses, so it is stored; the rest is deflated at
 * level 1: for a 10,000-episode run it is about twice as fast as level 6 for a zip ~10% larger.
 */
function zipEntries(files: Record<string, Uint8Array>): Zippable {
  const entries: Zippable = {};
  for (const [path, bytes] of Object.entries(files)) {
    entries[path] = [bytes, { level: path.endsWith('.bin') ? 0 : 1 }];
  }
  return entries;
}

export function zipRun(files: Record<string, Uint8Array>): Uint8Array {
  return zipSync(zipEntries(files));
}
