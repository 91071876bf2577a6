// A training run as the files of seed 000's run folder, and that folder as a zip:
//
//   run_YYYYMMDD_HHMMSS/
//     config.json                              the run's config, seed 000's keys first
//     metrics.json                             { episodes, evaluations, checkpoints }
//     detailed_episodes.jsonl                  one episode's detail object a line (runs on an environment)
//     trajectories.jsonl                       one episode's steps a line (bar, action, reward, net P&L), where recorded
//     train_metrics.jsonl                      one update a line (Stable-Baselines3's names; a behavior-
//                                              cloning epoch a line, with its member's seed)
//     <the algorithm's own files>              e.g. evaluation.json of a behavior-cloning run
//     checkpoints/model_step_N/                model.json + weights.bin (TensorFlow.js) + model.onnx (raw
//                                              observations in, action probabilities out) + trainer_state.json
//     checkpoints/best_model/, final_model/    the same for the best and the final checkpoint; an
//                                              ensemble has checkpoints/seed_S/best_model/ ... per member
//     tensorboard/events.out.tfevents.<s>.<host>
//
// What differs between algorithms comes from their RunFormat (format.ts), handed over by the caller.
// Pure: no DOM, no IndexedDB, no TensorFlow.js. The model files come from a callback.
//
// Non-finite numbers: JSON has no NaN or Infinity, so JSON.stringify writes them as null;
// pandas reads null as NaN. (A NaN therefore comes back from an import as null, and -0 as 0.)
import { zipSync, type Zippable } from 'fflate';
import type { EpisodeSummary, EvaluationRecord, RunRecords, StoredCheckpoint, StoredEpisode, StoredRun, StoredUpdate } from './contracts';
import { TRAJECTORIES_FILE, trajectoriesJsonl } from './trajectories';
import type { RunFormat } from './format';
import { checkpointDir } from './record';
import { eventFileName, tensorboardEventFile, type TensorboardScalar } from './tensorboard';

export type { RunRecords };

/** metrics.json's checkpoint row. */
export interface CheckpointSummary {
  step: number;
  path: string;
  timestamp: string;
  kind?: string;
}

export interface ModelFiles {
  modelJson: string;
  weightsBin: Uint8Array;
  /** model.onnx, written beside them where given (the lab's exports always give it: algos/onnxExport.ts). */
  onnx?: Uint8Array;
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

function withoutRunId<T extends { runId: string }>(record: T): Omit<T, 'runId'> {
  const copy: Partial<T> = { ...record };
  delete copy.runId;
  return copy as Omit<T, 'runId'>;
}

/** config.json's text: seed 000's keys first; keys the algorithm writes to files of their own left out. */
export function configJson(config: StoredRun, format: Pick<RunFormat, 'configOmit'>): string {
  return JSON.stringify(orderedConfig(config, format.configOmit), null, 2);
}

function orderedConfig(config: StoredRun, omit: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const source = config as Record<string, unknown>;
  for (const key of SEED_CONFIG_KEYS) if (key in source) out[key] = source[key];
  for (const [key, value] of Object.entries(source)) if (!(key in out) && !omit.includes(key)) out[key] = value;
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

/** Seconds since the epoch of a record's ISO timestamp, or of the run's start when it has none. */
function wallTimeOf(config: StoredRun): (iso: unknown) => number {
  const fallbackTime = isoToSeconds(config.created_at);
  return (iso: unknown) => {
    const seconds = typeof iso === 'string' ? isoToSeconds(iso) : NaN;
    return Number.isFinite(seconds) ? seconds : Number.isFinite(fallbackTime) ? fallbackTime : 0;
  };
}

const byUpdate = (a: StoredUpdate, b: StoredUpdate) => a.update - b.update;

/**
 * The scalars TensorBoard shows, by step: every update's metrics (under the tags the algorithm
 * gives them), evaluations, and episode rewards.
 */
export function runScalars(records: Pick<RunRecords, 'config' | 'episodes' | 'evaluations' | 'updates'>, format: Pick<RunFormat, 'scalarTag'>): TensorboardScalar[] {
  const wallTime = wallTimeOf(records.config);
  const scalars: TensorboardScalar[] = [];
  for (const u of [...records.updates].sort(byUpdate)) {
    for (const [key, value] of Object.entries(u.metrics)) {
      if (typeof value !== 'number') continue; // null (e.g. no episode yet) is no point
      const tag = format.scalarTag(key, u, records.config);
      if (tag !== null) scalars.push({ tag, step: u.step, value, wallTime: wallTime(u.timestamp) });
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

/** Every file of the run folder, each path under `${config.run_id}/`. */
export async function runFiles(input: RunRecords, format: RunFormat, modelFiles: (c: StoredCheckpoint) => Promise<ModelFiles>): Promise<Record<string, Uint8Array>> {
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
    if (model.onnx) put(`${dir}/model.onnx`, model.onnx);
    // The whole trainer state, weights and Adam moments included, so a resumed or re-imported run is exact.
    put(`${dir}/trainer_state.json`, trainerStateJson(c.checkpoint.payload));
  }
  const checkpointList: CheckpointSummary[] = checkpoints.map((c) => ({ step: c.step, path: checkpointDir(c.name), timestamp: c.timestamp, kind: c.kind }));
  const { config } = input;
  put('config.json', configJson(config, format));
  for (const [name, content] of Object.entries(format.extraFiles(config))) put(name, content);
  const episodes = format.hasEpisodes ? [...input.episodes].sort(byEpisode) : [];
  const evaluations = [...input.evaluations].sort(byStep);
  const updates = [...input.updates].sort(byUpdate);
  const metrics: { episodes: EpisodeSummary[]; evaluations: EvaluationRecord[]; checkpoints: CheckpointSummary[] } = {
    episodes: episodes.map((e) => e.summary),
    evaluations: evaluations.map((e) => withoutRunId(e)),
    checkpoints: checkpointList,
  };
  put('metrics.json', JSON.stringify(metrics)); // compact: a 10,000-episode run's metrics.json is a third smaller
  if (format.hasEpisodes) put('detailed_episodes.jsonl', detailedEpisodesJsonl(episodes));
  // seed 004's trajectories, where the run recorded them
  const trajectories = format.hasEpisodes ? trajectoriesJsonl(episodes) : '';
  if (trajectories) put(TRAJECTORIES_FILE, trajectories);
  put('train_metrics.jsonl', jsonl(updates.map((u) => format.updateLine(u))));
  const scalars = runScalars({ config, episodes, evaluations, updates }, format);
  const startTime = isoToSeconds(config.created_at);
  const fileTime = Number.isFinite(startTime) ? startTime : scalars.length ? scalars[0].wallTime : 0;
  put(`tensorboard/${eventFileName(fileTime)}`, tensorboardEventFile(scalars, { startWallTime: fileTime }));
  return files;
}

/**
 * The run folder as a zip. weights.bin and model.onnx (float weights, mostly) barely compress, so
 * they are stored; the rest is deflated at level 1: for a 10,000-episode run it is about twice as
 * fast as level 6 for a zip ~10% larger.
 */
function zipEntries(files: Record<string, Uint8Array>): Zippable {
  const entries: Zippable = {};
  for (const [path, bytes] of Object.entries(files)) {
    entries[path] = [bytes, { level: path.endsWith('.bin') || path.endsWith('.onnx') ? 0 : 1 }];
  }
  return entries;
}

export function zipRun(files: Record<string, Uint8Array>): Uint8Array {
  return zipSync(zipEntries(files));
}
