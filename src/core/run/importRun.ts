// A run folder zip (seed 000's layout, as exportRun writes it) read back into the records the lab
// stores. Strict: anything unexpected is refused with a message naming the zip, the entry and,
// for JSON, the line, and nothing is returned, so an import is all or nothing.
//
// What differs between algorithms (their config, update lines, checkpoint state, extra files)
// comes from their RunFormat, by the config's algorithm id. Pure: no DOM, no IndexedDB, no
// TensorFlow.js.
import { listZip, unzipWithin, type ZipEntry, type ZipLimits } from '../archive/zip';
import { parseTrajectoryLine, TRAJECTORIES_FILE } from './trajectories';
import type { CheckpointKind, EpisodeSummary, EvaluationRecord, RunRecords, StoredCheckpoint, StoredEpisode, StoredEvaluation, StoredRun, StoredUpdate } from './contracts';
import type { RunFormat } from './format';
import { checkpointNameOfDir } from './record';
import { jsonTooDeepAt, lineOfOffset, MAX_JSON_DEPTH } from '../jsonDepth';
import { onnxModelProblem } from '../onnx/check';

/**
 * Bounds on what a run zip may unpack to. A run's largest files are its checkpoints (a few MB for
 * the networks trained here), so these leave room for long runs while a tab survives a bomb.
 */
export const RUN_ZIP_LIMITS: ZipLimits = { maxEntryBytes: 256 * 1024 ** 2, maxTotalBytes: 512 * 1024 ** 2, maxEntries: 20_000 };

export interface ImportOptions {
  limits?: Partial<ZipLimits>;
}

const RUN_FOLDER = /^run_\w+$/;
const COMMON_FILES = ['config.json', 'metrics.json', 'detailed_episodes.jsonl', 'train_metrics.jsonl', TRAJECTORIES_FILE];
// seed_S/ folders hold a behavior-cloning ensemble's members
const CHECKPOINT_FILE = /^checkpoints\/(model_step_\d+|best_model|final_model|seed_-?\d+\/(?:best|final)_model)\/(model\.json|weights\.bin|model\.onnx|trainer_state\.json)$/;
// TensorBoard event files, directly in tensorboard/ or one folder down (SB3 writes tensorboard/PPO_1/).
const TENSORBOARD_FILE = /^tensorboard\/(?:[\w.-]+\/)?[^/]*tfevents[^/]*$/;
const KNOWN_FOLDER = /^(?:checkpoints|tensorboard|checkpoints\/(?:model_step_\d+|best_model|final_model|seed_-?\d+|seed_-?\d+\/(?:best|final)_model)|tensorboard\/[\w.-]+)$/;

class RunImportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunImportError';
  }
}

type JsonObject = Record<string, unknown>;

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Offset of the first syntax error in JSON text that JSON.parse refused, or null. JSON.parse's
 * message gives no position in every engine (V8 often omits it), so this small scanner finds it.
 */
export function jsonErrorOffset(text: string): number | null {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const literal = (word: string) => {
    if (text.startsWith(word, i)) i += word.length;
    else throw i;
  };
  const string = () => {
    i++; // opening quote
    while (i < text.length && text[i] !== '"') {
      if (text.charCodeAt(i) < 0x20) throw i;
      if (text[i] === '\\') {
        i++;
        if (text[i] === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) throw i;
          i += 4;
        } else if (!'"\\/bfnrt'.includes(text[i] ?? 'x')) throw i;
      }
      i++;
    }
    if (i >= text.length) throw i;
    i++;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      i++;
      ws();
      if (text[i] === close) return void i++;
      for (;;) {
        if (c === '{') {
          ws();
          if (text[i] !== '"') throw i;
          string();
          ws();
          if (text[i] !== ':') throw i;
          i++;
        }
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === close) return void i++;
        else throw i;
      }
    }
    if (c === '"') return string();
    if (c === 't') return literal('true');
    if (c === 'f') return literal('false');
    if (c === 'n') return literal('null');
    const number = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!number) throw i;
    i += number[0].length;
  };
  try {
    value();
    ws();
    return i < text.length ? i : null;
  } catch (offset) {
    return typeof offset === 'number' ? offset : null; // e.g. nesting too deep for the stack
  }
}

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1 };

/** A checkpoint folder's model.json and weights.bin agree: the declared weights fill the file exactly, all finite. */
function checkModelFiles(dir: string, modelJson: unknown, weights: Uint8Array | undefined, fail: (message: string) => never): void {
  const manifest = isObject(modelJson) ? modelJson.weightsManifest : undefined;
  if (!Array.isArray(manifest)) fail(`${dir}/model.json: no weightsManifest`);
  if (!weights) fail(`${dir}/weights.bin is missing beside its model.json`);
  let expected = 0;
  const floats: [number, number, string][] = [];
  for (const group of manifest as unknown[]) {
    const specs = isObject(group) ? group.weights : undefined;
    if (!Array.isArray(specs)) fail(`${dir}/model.json: a weightsManifest group has no weights list`);
    for (const spec of specs as unknown[]) {
      const ok = isObject(spec) && typeof spec.name === 'string' && Array.isArray(spec.shape) && spec.shape.every((d) => Number.isInteger(d) && d >= 0) && typeof spec.dtype === 'string' && spec.dtype in DTYPE_BYTES;
      if (!ok) fail(`${dir}/model.json: a weight without a name, a shape of whole numbers and a dtype of ${Object.keys(DTYPE_BYTES).join(', ')}`);
      const w = spec as { name: string; shape: number[]; dtype: string };
      const bytes = w.shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[w.dtype];
      if (w.dtype === 'float32') floats.push([expected, bytes, w.name]);
      expected += bytes;
    }
  }
  if (weights!.length !== expected) {
    fail(`${dir}/weights.bin holds ${weights!.length.toLocaleString('en-US')} bytes, but its model.json declares ${expected.toLocaleString('en-US')}; the checkpoint is damaged`);
  }
  const view = new DataView(weights!.buffer, weights!.byteOffset, weights!.byteLength);
  for (const [offset, bytes, name] of floats) {
    for (let p = offset; p < offset + bytes; p += 4) {
      if (!Number.isFinite(view.getFloat32(p, true))) fail(`${dir}/weights.bin: weight "${name}" holds NaN or infinite values; a checkpoint with broken weights cannot be played or resumed`);
    }
  }
}

/** Reads a run zip; `formats` holds each registered algorithm's format by id. */
export function importRunZip(bytes: Uint8Array, fileName: string, formats: Readonly<Record<string, RunFormat>>, opts: ImportOptions = {}): RunRecords {
  const fail = (message: string): never => {
    throw new RunImportError(`Cannot import "${fileName}": ${message}`);
  };
  const limits: ZipLimits = { ...RUN_ZIP_LIMITS, ...opts.limits };
  const topLevelFiles = new Set([...COMMON_FILES, ...Object.values(formats).flatMap((f) => f.extraFileNames)]);

  // 1. The directory: every entry's kind, path and size, before inflating.
  let entries: ZipEntry[] = [];
  try {
    entries = listZip(bytes);
  } catch (e) {
    fail((e as Error).message);
  }
  if (entries.length === 0) fail('the zip is empty');
  const folders = new Set<string>();
  const wanted = new Map<string, string>();
  for (const entry of entries) {
    const name = entry.name;
    if (name.startsWith('__MACOSX/')) continue; // resource forks macOS's Finder adds to zips it makes
    if (name.includes('\\')) fail(`entry "${name}" has a backslash in its path`);
    if (name.includes('\0')) fail(`entry "${name}" has a NUL character in its path`);
    if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) fail(`entry "${name}" has an absolute path`);
    const parts = name.split('/');
    if (parts.some((p) => p === '..' || p === '.')) fail(`entry "${name}" has "." or ".." in its path`);
    if (parts.length < 2) fail(`entry "${name}" is not inside a run folder (run_YYYYMMDD_HHMMSS/)`);
    const folder = parts[0];
    if (!RUN_FOLDER.test(folder)) fail(`entry "${name}" is not inside a run folder: "${folder}" does not look like run_YYYYMMDD_HHMMSS`);
    folders.add(folder);
    if (folders.size > 1) fail(`the zip holds more than one top-level folder (${[...folders].join(', ')}); a run zip holds one run folder`);

    const relative = parts.slice(1).join('/');
    if (entry.kind === 'folder') {
      const folderPath = relative.replace(/\/$/, '');
      if (folderPath !== '' && !KNOWN_FOLDER.test(folderPath)) fail(`entry "${name}" is a folder a run does not have`);
      continue;
    }
    if (entry.kind === 'file' && !topLevelFiles.has(relative) && !CHECKPOINT_FILE.test(relative) && !TENSORBOARD_FILE.test(relative)) {
      fail(`entry "${name}" is not a file of a run folder (${[...topLevelFiles].join(', ')}, checkpoints/<model_step_N|best_model|final_model|seed_S/best_model|seed_S/final_model>/<model.json|weights.bin|model.onnx|trainer_state.json>, tensorboard/<events file>)`);
    }
    if (wanted.has(name)) fail(`entry "${name}" appears twice`);
    wanted.set(name, relative);
  }
  const folder = [...folders][0];
  if (folder === undefined) fail('the zip holds no run folder');

  // 2. Inflate within the bounds: sizes checked from the directory first, each entry stopped as
  // soon as it yields more than it declared.
  const files = new Map<string, Uint8Array>();
  try {
    for (const [name, data] of unzipWithin(bytes, limits, (e) => wanted.has(e.name))) files.set(wanted.get(name)!, data);
  } catch (e) {
    fail((e as Error).message);
  }

  // 3. Parse.
  const decoder = new TextDecoder('utf-8');
  const text = (relative: string): string | null => {
    const data = files.get(relative);
    return data ? decoder.decode(data).replace(/^\uFEFF/, '') : null;
  };
  const entryName = (relative: string) => `${folder}/${relative}`;
  const parseJson = (relative: string, source: string): unknown => {
    const deep = jsonTooDeepAt(source);
    if (deep !== null) fail(`${entryName(relative)}: line ${lineOfOffset(source, deep)}: nested more than ${MAX_JSON_DEPTH} levels deep; no file of a run is, so it is refused`);
    try {
      return JSON.parse(source);
    } catch (e) {
      const offset = jsonErrorOffset(source);
      const where = offset === null ? '' : `line ${lineOfOffset(source, offset)}: `;
      return fail(`${entryName(relative)}: ${where}not valid JSON (${(e as Error).message})`);
    }
  };
  const parseJsonl = (relative: string): { line: number; row: JsonObject }[] => {
    const source = text(relative);
    if (source === null) return [];
    const rows: { line: number; row: JsonObject }[] = [];
    source.split('\n').forEach((raw, i) => {
      const lineText = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (lineText.trim() === '') return;
      let row: unknown;
      if (jsonTooDeepAt(lineText) !== null) fail(`${entryName(relative)}: line ${i + 1}: nested more than ${MAX_JSON_DEPTH} levels deep; no file of a run is, so it is refused`);
      try {
        row = JSON.parse(lineText);
      } catch (e) {
        fail(`${entryName(relative)}: line ${i + 1}: not valid JSON (${(e as Error).message})`);
      }
      if (!isObject(row)) fail(`${entryName(relative)}: line ${i + 1}: not a JSON object`);
      rows.push({ line: i + 1, row: row as JsonObject });
    });
    return rows;
  };

  // config.json
  const configText = text('config.json');
  if (configText === null) fail(`${entryName('config.json')} is missing`);
  const config = parseJson('config.json', configText!);
  if (!isObject(config)) return fail(`${entryName('config.json')}: not a JSON object`);
  for (const key of ['run_id', 'status', 'algorithm']) {
    if (typeof config[key] !== 'string' || config[key] === '') fail(`${entryName('config.json')}: "${key}" is missing`);
  }
  if (config.run_id !== folder) fail(`${entryName('config.json')}: run_id "${String(config.run_id)}" differs from the folder name "${folder}"`);
  const format = formats[config.algorithm as string];
  if (!format) fail(`${entryName('config.json')}: algorithm "${String(config.algorithm)}" is not one this lab trains (${Object.keys(formats).join(', ')})`);
  const runId = folder;
  delete config.deleted_at; // an imported run is not one being deleted
  const readJson = (relative: string): unknown | null => {
    const source = text(relative);
    return source === null ? null : parseJson(relative, source);
  };
  format.readConfig(config, readJson, (relative, message) => fail(`${entryName(relative)}: ${message}`));
  for (const extra of Object.values(formats).flatMap((f) => f.extraFileNames)) {
    if (!format.extraFileNames.includes(extra) && text(extra) !== null) fail(`${entryName(extra)}: a ${String(config.algorithm)} run has no ${extra}`);
  }
  const run = config as StoredRun;

  // metrics.json (optional: a run that has only just started may lack it)
  const metricsText = text('metrics.json');
  let metrics: JsonObject = {};
  if (metricsText !== null) {
    const parsed = parseJson('metrics.json', metricsText);
    if (!isObject(parsed)) return fail(`${entryName('metrics.json')}: not a JSON object`);
    metrics = parsed;
  }
  /** metrics.json's list under `key`, each item an object with a number under `numberKey`. */
  const metricsList = (key: 'episodes' | 'evaluations' | 'checkpoints', numberKey: 'episode' | 'step'): JsonObject[] => {
    const list = metrics[key] ?? [];
    if (!Array.isArray(list)) return fail(`${entryName('metrics.json')}: "${key}" is not a list`);
    list.forEach((item, i) => {
      if (!isObject(item) || typeof item[numberKey] !== 'number') fail(`${entryName('metrics.json')}: ${key}[${i}] has no ${numberKey} number`);
    });
    return list as JsonObject[];
  };

  // Episodes: detail lines paired with metrics.json's summaries by episode number. A later record
  // of the same episode wins, as it would in the store.
  const summaries = new Map<number, EpisodeSummary>();
  for (const s of metricsList('episodes', 'episode')) summaries.set(s.episode as number, s as unknown as EpisodeSummary);
  const episodesByNumber = new Map<number, StoredEpisode>();
  for (const { line, row } of parseJsonl('detailed_episodes.jsonl')) {
    if (typeof row.episode !== 'number') fail(`${entryName('detailed_episodes.jsonl')}: line ${line}: no episode number`);
    const episode = row.episode as number;
    const summary: EpisodeSummary = summaries.get(episode) ?? {
      episode,
      reward: row.reward as number,
      length: row.length as number,
      timestep: row.timestep as number,
      timestamp: row.timestamp as string,
    };
    episodesByNumber.set(episode, { runId, episode, summary, detailJson: JSON.stringify(row) });
  }
  // Trajectories, where the folder has them, go to their episodes
  for (const { line, row } of parseJsonl(TRAJECTORIES_FILE)) {
    const parsed = parseTrajectoryLine(row);
    if (typeof parsed === 'string') { fail(`${entryName(TRAJECTORIES_FILE)}: line ${line}: ${parsed}`); continue; }
    const target = episodesByNumber.get(parsed.episode);
    if (!target) { fail(`${entryName(TRAJECTORIES_FILE)}: line ${line}: episode ${parsed.episode} is not in detailed_episodes.jsonl`); continue; }
    // the filing lives in the record where the record has it (the line repeats it), in the trajectory where it has not
    if ((JSON.parse(target.detailJson) as { window_id?: unknown }).window_id !== undefined) {
      delete parsed.trajectory.window_id;
      delete parsed.trajectory.agent;
      delete parsed.trajectory.net_pnl_pct;
    }
    target.trajectory = parsed.trajectory;
  }
  // A summary without a detail line keeps what it has as its detail.
  for (const [episode, summary] of summaries) {
    if (!episodesByNumber.has(episode)) episodesByNumber.set(episode, { runId, episode, summary, detailJson: JSON.stringify(summary) });
  }
  const episodes = [...episodesByNumber.values()].sort((a, b) => a.episode - b.episode);

  const evaluations: StoredEvaluation[] = metricsList('evaluations', 'step')
    .map((e) => ({ runId, ...(e as unknown as EvaluationRecord) }))
    .sort((a, b) => a.step - b.step);

  // train_metrics.jsonl: one update a line, as the algorithm writes it
  const updates: StoredUpdate[] = parseJsonl('train_metrics.jsonl')
    .map(({ line, row }) => ({ runId, ...format.parseUpdateLine(row, run, (what) => fail(`${entryName('train_metrics.jsonl')}: line ${line}: ${what}`)) }))
    .sort((a, b) => a.update - b.update);

  // Model files: each weights.bin the exact length its model.json declares, every weight finite.
  for (const relative of files.keys()) {
    const match = /^(checkpoints\/.+)\/(model\.json|weights\.bin)$/.exec(relative);
    if (!match) continue;
    const dir = match[1];
    if (match[2] === 'weights.bin' && !files.has(`${dir}/model.json`)) fail(`${entryName(dir)}/weights.bin has no model.json beside it`);
    if (match[2] === 'model.json') checkModelFiles(entryName(dir), parseJson(relative, text(relative)!), files.get(`${dir}/weights.bin`), fail);
  }
  // model.onnx: checked to be an ONNX model, then left: an export writes it again from the checkpoint
  for (const [relative, bytes] of files) {
    if (!relative.endsWith('/model.onnx')) continue;
    const problem = onnxModelProblem(bytes);
    if (problem !== null) fail(`${entryName(relative)}: ${problem}`);
  }

  // Checkpoints: one per folder holding trainer_state.json. (A folder with only model files can
  // run a policy but not be stored as a checkpoint, which needs the trainer's state.)
  const listed = new Map<string, JsonObject>();
  for (const c of metricsList('checkpoints', 'step')) if (typeof c.path === 'string') listed.set(c.path, c);
  const checkpoints: StoredCheckpoint[] = [];
  for (const relative of files.keys()) {
    const match = /^(checkpoints\/.+)\/trainer_state\.json$/.exec(relative);
    if (!match) continue;
    const dir = match[1];
    const name = checkpointNameOfDir(dir)!;
    // the folders must be the run's own (PPO's model_step_N / best / final; an ensemble's seed_S/...)
    const misfit = format.checkpointMisfit(name, run);
    if (misfit !== null) fail(`${entryName(dir)}/ is not a checkpoint folder of this ${misfit}`);
    const state = parseJson(relative, text(relative)!);
    if (!isObject(state)) fail(`${entryName(relative)}: not a JSON object`);
    if (typeof (state as JsonObject).kind !== 'string') fail(`${entryName(relative)}: no kind`);
    const payload = format.parsePayload(state as JsonObject, (what) => fail(`${entryName(relative)}: ${what}`));
    const summary = listed.get(dir);
    const ownKind = (state as JsonObject).kind as CheckpointKind;
    const kind = summary && ['periodic', 'best', 'final'].includes(summary.kind as string) ? (summary.kind as CheckpointKind) : ownKind;
    const envelope = format.envelope(payload, run, kind);
    checkpoints.push({
      runId,
      name,
      step: typeof summary?.step === 'number' ? summary.step : envelope.step,
      kind,
      timestamp: typeof summary?.timestamp === 'string' ? summary.timestamp : String((state as JsonObject).timestamp ?? ''),
      checkpoint: envelope,
    });
  }
  const kindOrder: Record<string, number> = { periodic: 0, best: 1, final: 2 };
  checkpoints.sort((a, b) => a.step - b.step || (kindOrder[a.kind] ?? 9) - (kindOrder[b.kind] ?? 9));

  return { config: run, episodes, evaluations, updates, checkpoints };
}
