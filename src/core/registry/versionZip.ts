// One registered version as a folder of files (a zip from the page, v<N>/ in a registry folder):
//
//   <model>_v<N>/
//     model.json, weights.bin     TensorFlow.js LayersModel (normalized observations in, logits out)
//     model.onnx                  ONNX (raw observations in, action probabilities out), where exported
//     model_card.json             the card for programs: the version's record, inputs slot by slot, outputs
//     model_card.md               the card for people
//     run/config.json             the run's config as its run folder has it, and that algorithm's own
//     run/<its extra files>       files (test_evaluation.json…): what playing the policy needs
//     run/trainer_state.json      the checkpoint's whole state, as a run folder's checkpoint has it
//
// Read back strictly, as run zips are (core/run/importRun.ts): from the zip's directory first
// (paths, kinds, sizes), then each file, refusing with the zip, the entry and (for JSON) the line
// named, and returning nothing on a refusal. Pure: no DOM, no IndexedDB, no TensorFlow.js.
import { zipSync, type Zippable } from 'fflate';
import { listZip, unzipWithin, type ZipEntry, type ZipLimits } from '../archive/zip';
import type { CheckpointKind, StoredCheckpoint, StoredRun } from '../run/contracts';
import type { RunFormat } from '../run/format';
import { onnxModelProblem } from '../onnx/check';
import { CARD_FORMAT, type ModelCardJson } from './card';
import { parseJsonText, versionProblem } from './registryJson';
import type { VersionCheckpoint, VersionDraft } from './types';

/** A version's files are a model or two, a card and a run config: far below a run zip's bounds. */
export const VERSION_ZIP_LIMITS: ZipLimits = { maxEntryBytes: 128 * 1024 ** 2, maxTotalBytes: 256 * 1024 ** 2, maxEntries: 64 };

export const VERSION_FILES = ['model.json', 'weights.bin', 'model.onnx', 'model_card.json', 'model_card.md', 'run/config.json', 'run/trainer_state.json'] as const;

export function versionFolderName(model: string, version: number): string {
  return `${model}_v${version}`;
}

export interface VersionFileParts {
  modelJson: string;
  weightsBin: Uint8Array;
  onnx: Uint8Array | null;
  card: ModelCardJson;
  cardMarkdown: string;
  /** The run's config.json text and its algorithm's extra files, by name. */
  runConfigJson: string;
  runExtras: Record<string, string>;
  trainerStateJson: string;
}

/** The folder's files by relative path. */
export function versionFiles(p: VersionFileParts): Record<string, Uint8Array> {
  const enc = new TextEncoder();
  const files: Record<string, Uint8Array> = {
    'model.json': enc.encode(p.modelJson),
    'weights.bin': p.weightsBin,
    'model_card.json': enc.encode(JSON.stringify(p.card, null, 2) + '\n'),
    'model_card.md': enc.encode(p.cardMarkdown),
    'run/config.json': enc.encode(p.runConfigJson),
    'run/trainer_state.json': enc.encode(p.trainerStateJson),
  };
  if (p.onnx) files['model.onnx'] = p.onnx;
  for (const [name, text] of Object.entries(p.runExtras)) files[`run/${name}`] = enc.encode(text);
  return files;
}

/** The folder as a zip under `<folder>/`; the binary files stored, the rest deflated. */
export function zipVersion(files: Record<string, Uint8Array>, folder: string): Uint8Array {
  const entries: Zippable = {};
  for (const [path, bytes] of Object.entries(files)) entries[`${folder}/${path}`] = [bytes, { level: /\.(bin|onnx)$/.test(path) ? 0 : 6 }];
  return zipSync(entries);
}

export interface ImportedVersion {
  draft: VersionDraft;
  /** The model and version it was in the registry that exported it. */
  origin: { model: string; version: number };
  checkpoint: VersionCheckpoint;
  files: Map<string, Uint8Array>;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const SAFE_FOLDER = /^[A-Za-z0-9][A-Za-z0-9._-]{0,80}$/;
const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1 };

/** model.json's weights fill weights.bin exactly and every float32 weight is finite; else the problem. */
export function modelFilesProblem(modelJson: unknown, weights: Uint8Array): string | null {
  const manifest = isObject(modelJson) ? modelJson.weightsManifest : undefined;
  if (!Array.isArray(manifest)) return 'model.json: no weightsManifest';
  let expected = 0;
  const floats: [number, number, string][] = [];
  for (const group of manifest) {
    const specs = isObject(group) ? group.weights : undefined;
    if (!Array.isArray(specs)) return 'model.json: a weightsManifest group has no weights list';
    for (const w of specs) {
      if (!isObject(w) || typeof w.name !== 'string' || !Array.isArray(w.shape) || !w.shape.every((d) => Number.isInteger(d) && d >= 0) || typeof w.dtype !== 'string' || !(w.dtype in DTYPE_BYTES)) {
        return `model.json: a weight without a name, a shape of whole numbers and a dtype of ${Object.keys(DTYPE_BYTES).join(', ')}`;
      }
      const bytes = (w.shape as number[]).reduce((a, b) => a * b, 1) * DTYPE_BYTES[w.dtype];
      if (w.dtype === 'float32') floats.push([expected, bytes, w.name]);
      expected += bytes;
    }
  }
  if (weights.length !== expected) return `weights.bin holds ${weights.length.toLocaleString('en-US')} bytes, but model.json declares ${expected.toLocaleString('en-US')}; the model is damaged`;
  const view = new DataView(weights.buffer, weights.byteOffset, weights.byteLength);
  for (const [offset, bytes, name] of floats) {
    for (let p = offset; p < offset + bytes; p += 4) if (!Number.isFinite(view.getFloat32(p, true))) return `weights.bin: weight "${name}" holds NaN or infinite values`;
  }
  return null;
}

/** Reads a version zip (or a version folder's files, `folder` given), checked whole; throws naming the zip and the entry. */
export function readVersionZip(bytes: Uint8Array, fileName: string, formats: Readonly<Record<string, RunFormat>>, limits: ZipLimits = VERSION_ZIP_LIMITS): ImportedVersion {
  const fail = (message: string): never => { throw new Error(`Cannot import "${fileName}": ${message}`); };
  let entries: ZipEntry[] = [];
  try { entries = listZip(bytes); } catch (e) { fail((e as Error).message); }
  const runExtras = new Set(Object.values(formats).flatMap((f) => f.extraFileNames));
  const folders = new Set<string>();
  const wanted = new Map<string, string>();
  for (const entry of entries) {
    const name = entry.name;
    if (name.startsWith('__MACOSX/')) continue;
    if (name.includes('\\')) fail(`entry "${name}" has a backslash in its path`);
    if (name.includes('\0')) fail(`entry "${name}" has a NUL character in its path`);
    if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) fail(`entry "${name}" has an absolute path`);
    const parts = name.split('/');
    if (parts.some((p) => p === '..' || p === '.')) fail(`entry "${name}" has "." or ".." in its path`);
    if (parts.length < 2 || !SAFE_FOLDER.test(parts[0])) fail(`entry "${name}" is not inside a version folder (<model>_v<N>/)`);
    folders.add(parts[0]);
    if (folders.size > 1) fail(`the zip holds more than one top-level folder (${[...folders].join(', ')}); a version zip holds one version`);
    const relative = parts.slice(1).join('/');
    if (entry.kind === 'folder') {
      if (!['', 'run'].includes(relative.replace(/\/$/, ''))) fail(`entry "${name}" is a folder a version does not have`);
      continue;
    }
    const known = (VERSION_FILES as readonly string[]).includes(relative) || (relative.startsWith('run/') && runExtras.has(relative.slice(4)));
    if (entry.kind === 'file' && !known) fail(`entry "${name}" is not a file of a version (${VERSION_FILES.join(', ')}, run/<the run's own files>)`);
    wanted.set(name, relative);
  }
  if (!folders.size) fail('the zip is empty');
  const folder = [...folders][0];
  const files = new Map<string, Uint8Array>();
  try {
    for (const [name, data] of unzipWithin(bytes, limits, (e) => wanted.has(e.name))) files.set(wanted.get(name)!, data);
  } catch (e) {
    fail((e as Error).message);
  }
  return readVersionFiles(files, folder, formats, fail);
}

/** A version folder's files (relative paths), checked whole; `fail` is told what is wrong, naming `folder`'s entry. */
export function readVersionFiles(files: Map<string, Uint8Array>, folder: string, formats: Readonly<Record<string, RunFormat>>, fail: (message: string) => never): ImportedVersion {
  const entry = (relative: string) => `${folder}/${relative}`;
  const decoder = new TextDecoder('utf-8');
  const text = (relative: string) => { const d = files.get(relative); return d ? decoder.decode(d) : null; };
  const json = (relative: string): unknown => {
    const t = text(relative);
    if (t === null) return fail(`${entry(relative)} is missing`);
    try { return parseJsonText(t, entry(relative)); } catch (e) { return fail((e as Error).message); }
  };

  // the card: the version's record
  const card = json('model_card.json');
  if (!isObject(card) || card.card_format !== CARD_FORMAT) fail(`${entry('model_card.json')}: not a model card ("card_format" is not "${CARD_FORMAT}")`);
  const problem = versionProblem(card, entry('model_card.json'));
  if (problem) fail(problem);
  const c = card as unknown as ModelCardJson;

  // the models
  const weights = files.get('weights.bin');
  if (!weights) fail(`${entry('weights.bin')} is missing beside its model.json`);
  const modelProblem = modelFilesProblem(json('model.json'), weights!);
  if (modelProblem) fail(`${folder}/${modelProblem}`);
  const onnx = files.get('model.onnx');
  const onnxProblem = onnx ? onnxModelProblem(onnx) : null;
  if (onnxProblem) fail(`${entry('model.onnx')}: ${onnxProblem}`);

  // the run's config and the checkpoint's state, read by the run's algorithm as a run import reads them
  const config = json('run/config.json');
  if (!isObject(config)) return fail(`${entry('run/config.json')}: not a JSON object`);
  for (const key of ['run_id', 'algorithm']) if (typeof config[key] !== 'string' || config[key] === '') fail(`${entry('run/config.json')}: "${key}" is missing`);
  const format = formats[config.algorithm as string];
  if (!format) fail(`${entry('run/config.json')}: algorithm "${String(config.algorithm)}" is not one this lab knows (${Object.keys(formats).join(', ')})`);
  if (config.algorithm !== c.source.algorithm) fail(`${entry('run/config.json')}: algorithm "${String(config.algorithm)}" differs from the card's "${c.source.algorithm}"`);
  delete config.deleted_at;
  format.readConfig(config, (relative) => (text(`run/${relative}`) === null ? null : json(`run/${relative}`)), (relative, message) => fail(`${entry(`run/${relative}`)}: ${message}`));
  const run = config as StoredRun;
  const state = json('run/trainer_state.json');
  if (!isObject(state)) return fail(`${entry('run/trainer_state.json')}: not a JSON object`);
  const payload = format.parsePayload(state, (what) => fail(`${entry('run/trainer_state.json')}: ${what}`));
  const kind: CheckpointKind = ['periodic', 'best', 'final'].includes(c.source.kind) ? c.source.kind : 'final';
  const envelope = format.envelope(payload, run, kind);
  if (envelope.obsSize !== c.io.obs_size || envelope.numActions !== c.io.action_names.length) {
    fail(`${entry('run/trainer_state.json')}: the checkpoint takes ${envelope.obsSize} observations and chooses among ${envelope.numActions} actions; the card says ${c.io.obs_size} and ${c.io.action_names.length}`);
  }
  const checkpoint: StoredCheckpoint = { runId: run.run_id, name: c.source.checkpoint, step: c.source.step, kind, timestamp: c.source.checkpoint_time ?? '', checkpoint: envelope };
  const draft: VersionDraft = { source: c.source, dataset: c.dataset, metrics: c.metrics, io: c.io, tags: [...c.tags], notes: c.notes };
  return { draft, origin: { model: c.model, version: c.version }, checkpoint: { run, checkpoint }, files };
}
