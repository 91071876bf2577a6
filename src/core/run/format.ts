// How an algorithm's records are written to seed 000's run folder and read back from it. The
// folder, the generic files and the checks are exportRun.ts's and importRun.ts's; each algorithm
// module supplies this for what is its own (its update lines, its checkpoints' state, its extra
// files), and the registry hands it over by the run's algorithm id.
import type { CheckpointEnvelope, CheckpointKind, StoredRun, UpdateRecord } from './contracts';

export type Fail = (message: string) => never;

export interface RunFormat {
  /** detailed_episodes.jsonl is part of the folder (algorithms that train on an environment). */
  hasEpisodes: boolean;
  /** Config keys written to files of their own rather than to config.json. */
  configOmit: readonly string[];
  /** Files of the folder beyond the common ones, by name, with their text (evaluation.json). */
  extraFiles(config: StoredRun): Record<string, string>;
  /** Names of top-level files this algorithm's folders may hold beyond the common ones. */
  extraFileNames: readonly string[];
  /** Checks an imported config.json (fail names what is wrong) and reads the extra files into it. */
  readConfig(config: Record<string, unknown>, readJson: (relative: string) => unknown | null, fail: (relative: string, message: string) => never): void;
  /** train_metrics.jsonl's line for an update. */
  updateLine(update: UpdateRecord): Record<string, unknown>;
  /** An update from a train_metrics.jsonl line; `fail` is told what is wrong with the line. */
  parseUpdateLine(row: Record<string, unknown>, config: StoredRun, fail: Fail): UpdateRecord;
  /** The TensorBoard tag of one of an update's metrics, or null to leave it out. */
  scalarTag(key: string, update: UpdateRecord, config: StoredRun): string | null;
  /**
   * Null when a checkpoint of this name (step_N, best, final, seed_S_best...) belongs to the run;
   * else what the run is, for the message ("PPO run", "behavior-cloning run (seeds 1, 2)").
   */
  checkpointMisfit(name: string, config: StoredRun): string | null;
  /** trainer_state.json's object back to the algorithm's state (tensor values as Float32Arrays). */
  parsePayload(state: Record<string, unknown>, fail: Fail): unknown;
  /** The self-describing envelope around an algorithm's state. */
  envelope(payload: unknown, config: StoredRun, kind: CheckpointKind): CheckpointEnvelope;
}

/** The plain update line, {update, step, timestamp, ...metrics}: what PPO (and GRPO) write. */
export function flatUpdateLine(u: UpdateRecord): Record<string, unknown> {
  return { update: u.update, step: u.step, timestamp: u.timestamp, ...u.metrics };
}

/** The inverse of flatUpdateLine: every key but update, step and timestamp is a metric. */
export function parseFlatUpdateLine(row: Record<string, unknown>, fail: Fail): UpdateRecord {
  if (typeof row.update !== 'number' || typeof row.step !== 'number') fail('no update or step number');
  const metrics: Record<string, number | null> = {};
  for (const [key, value] of Object.entries(row)) {
    if (key === 'update' || key === 'step' || key === 'timestamp') continue;
    if (value !== null && typeof value !== 'number') fail(`"${key}" is not a number`);
    metrics[key] = value as number | null;
  }
  return { update: row.update as number, step: row.step as number, timestamp: typeof row.timestamp === 'string' ? row.timestamp : '', metrics };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Float32Array from base64 of its little-endian bytes. */
export function float32FromBase64(text: string): Float32Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return new Float32Array(bytes.buffer, 0, bytes.length >> 2);
}

/** A list of stored tensors from trainer_state.json (values as base64 float32, or number lists with null for NaN). */
export function parseTensorList(list: unknown, what: string, fail: Fail) {
  if (!Array.isArray(list)) return fail(`${what} is not a list`);
  return list.map((t, i) => {
    if (!isObject(t) || !(Array.isArray(t.values) || typeof t.values === 'string')) return fail(`${what}[${i}] has no values`);
    let values: Float32Array;
    if (typeof t.values === 'string') {
      try {
        values = float32FromBase64(t.values);
      } catch {
        return fail(`${what}[${i}] holds values that are not base64`);
      }
    } else {
      // null stands for a NaN or Infinity that JSON could not hold
      values = Float32Array.from(t.values as (number | null)[], (v) => (v === null ? NaN : v));
    }
    // a checkpoint with NaN or infinite weights plays as noise and cannot be resumed: refused
    for (let k = 0; k < values.length; k++) {
      if (!Number.isFinite(values[k])) return fail(`${what}[${i}]${typeof t.name === 'string' ? ` ("${t.name}")` : ''} holds NaN or infinite values; a checkpoint with broken weights cannot be played or resumed`);
    }
    return { ...t, values } as { name: string; shape: number[]; values: Float32Array };
  });
}

/** The weights and Adam state every learner here keeps, read back from trainer_state.json. */
export function parseWeightsAndOptimizer(state: Record<string, unknown>, fail: Fail) {
  const optimizer = state.optimizer;
  if (!isObject(optimizer)) return fail('no optimizer state');
  return {
    weights: parseTensorList(state.weights, 'weights', fail),
    optimizer: { ...optimizer, m: parseTensorList(optimizer.m, 'optimizer.m', fail), v: parseTensorList(optimizer.v, 'optimizer.v', fail) },
  };
}
