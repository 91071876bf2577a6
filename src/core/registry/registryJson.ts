// A model's registry.json on the command line (<dir>/<model>/registry.json): the model record
// (aliases, previous champions, alias moves, retrain rule) and its versions' records, everything but
// the checkpoints (those are in each version's folder, v<N>/). Read strictly: a file a person
// edited wrongly is refused naming the file, the line (for broken JSON) and the field.
import { jsonErrorOffset } from '../run/importRun';
import { jsonTooDeepAt, lineOfOffset, MAX_JSON_DEPTH } from '../jsonDepth';
import { DEFAULT_RETRAIN_RULE, type ModelRecord, type ModelVersion, type RetrainDecision } from './types';

export const REGISTRY_FORMAT = 'rl-trading-lab/model-registry';
export const REGISTRY_FORMAT_VERSION = 1;

export interface RegistryFile {
  format: typeof REGISTRY_FORMAT;
  format_version: number;
  model: ModelRecord;
  versions: ModelVersion[];
}

export function registryJson(model: ModelRecord, versions: readonly ModelVersion[]): string {
  const file: RegistryFile = { format: REGISTRY_FORMAT, format_version: REGISTRY_FORMAT_VERSION, model, versions: [...versions].sort((a, b) => a.version - b.version) };
  return JSON.stringify(file, null, 2) + '\n';
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 1;

/** JSON text parsed, or a refusal naming the file and the line. */
export function parseJsonText(text: string, file: string): unknown {
  const source = text.replace(/^\uFEFF/, '');
  const deep = jsonTooDeepAt(source);
  if (deep !== null) throw new Error(`${file}: line ${lineOfOffset(source, deep)}: nested more than ${MAX_JSON_DEPTH} levels deep; refused`);
  try {
    return JSON.parse(source);
  } catch (e) {
    const offset = jsonErrorOffset(source);
    throw new Error(`${file}: ${offset === null ? '' : `line ${lineOfOffset(source, offset)}: `}not valid JSON (${(e as Error).message})`);
  }
}

/** A version record's shape, checked; `where` names it in messages. */
export function versionProblem(v: unknown, where: string): string | null {
  if (!isObject(v)) return `${where} is not an object`;
  if (typeof v.model !== 'string') return `${where}.model is not a string`;
  if (!isCount(v.version)) return `${where}.version is not a whole number of at least 1`;
  if (typeof v.created_at !== 'string') return `${where}.created_at is not a time`;
  const s = v.source;
  if (!isObject(s) || typeof s.run_id !== 'string' || typeof s.algorithm !== 'string' || typeof s.checkpoint !== 'string' || typeof s.step !== 'number') return `${where}.source needs run_id, algorithm, checkpoint and step`;
  const d = v.dataset;
  if (!isObject(d) || typeof d.id !== 'string' || !(d.revision === null || Number.isInteger(d.revision)) || !(d.rows === null || Number.isInteger(d.rows))) return `${where}.dataset needs an id, and a revision and rows (whole numbers, or null)`;
  if (!isObject(v.metrics) || !('validation' in v.metrics) || !('test' in v.metrics)) return `${where}.metrics needs validation and test (figures, or null)`;
  const io = v.io;
  if (!isObject(io) || !isCount(io.obs_size) || !Array.isArray(io.action_names) || !io.action_names.every((a) => typeof a === 'string')) return `${where}.io needs obs_size and action_names`;
  if (!Array.isArray(v.tags) || !v.tags.every((t) => typeof t === 'string')) return `${where}.tags is not a list of strings`;
  if (typeof v.notes !== 'string') return `${where}.notes is not a string`;
  return null;
}

/** registry.json read back; throws naming `file` and the field that is wrong. */
export function parseRegistryJson(text: string, file: string, expectedName?: string): { model: ModelRecord; versions: ModelVersion[] } {
  const root = parseJsonText(text, file);
  const fail = (what: string): never => { throw new Error(`${file}: ${what}`); };
  if (!isObject(root)) return fail('not a JSON object');
  if (root.format !== REGISTRY_FORMAT) fail(`"format" is not "${REGISTRY_FORMAT}"`);
  if (typeof root.format_version !== 'number' || root.format_version > REGISTRY_FORMAT_VERSION) fail(`"format_version" ${String(root.format_version)} is not one this lab reads (up to ${REGISTRY_FORMAT_VERSION})`);
  const m = root.model;
  if (!isObject(m)) return fail('"model" is not an object');
  if (typeof m.name !== 'string') fail('"model.name" is not a string');
  if (expectedName !== undefined && m.name !== expectedName) fail(`"model.name" is "${String(m.name)}" but the folder is "${expectedName}"`);
  if (!isObject(m.aliases) || !Object.values(m.aliases).every(isCount)) fail('"model.aliases" is not a map of alias to version number');
  if (!isCount(m.next_version)) fail('"model.next_version" is not a whole number of at least 1');
  if (!Array.isArray(m.previous_champions) || !m.previous_champions.every(isCount)) fail('"model.previous_champions" is not a list of version numbers');
  if (!Array.isArray(root.versions)) return fail('"versions" is not a list');
  const seen = new Set<number>();
  (root.versions as unknown[]).forEach((v, i) => {
    const problem = versionProblem(v, `"versions"[${i}]`);
    if (problem) fail(problem);
    const version = v as ModelVersion;
    if (version.model !== m.name) fail(`"versions"[${i}].model is "${version.model}", not "${String(m.name)}"`);
    if (seen.has(version.version)) fail(`version ${version.version} appears twice`);
    if (version.version >= (m.next_version as number)) fail(`version ${version.version} is not below "model.next_version" (${String(m.next_version)})`);
    seen.add(version.version);
  });
  for (const [alias, n] of Object.entries(m.aliases as Record<string, number>)) {
    const target = (root.versions as ModelVersion[]).find((v) => v.version === n);
    if (!target) fail(`alias "${alias}" names version ${n}, which is not in "versions"`);
    if (target!.deleted_at) fail(`alias "${alias}" names version ${n}, which is deleted`);
  }
  const defaults: Partial<ModelRecord> = { description: '', alias_log: [], next_decision: 1, created_at: '', updated_at: '' };
  const model: ModelRecord = {
    ...defaults,
    ...(m as unknown as ModelRecord),
    retrain_rule: { ...DEFAULT_RETRAIN_RULE, ...(isObject(m.retrain_rule) ? (m.retrain_rule as object) : {}) },
  };
  return { model, versions: root.versions as ModelVersion[] };
}

/** decisions.jsonl: one retrain decision a line. */
export function decisionLine(d: RetrainDecision): string {
  return JSON.stringify(d) + '\n';
}

export function parseDecisionsJsonl(text: string, file: string): RetrainDecision[] {
  const out: RetrainDecision[] = [];
  text.split('\n').forEach((raw, i) => {
    if (!raw.trim()) return;
    let row: unknown;
    if (jsonTooDeepAt(raw) !== null) throw new Error(`${file}: line ${i + 1}: nested more than ${MAX_JSON_DEPTH} levels deep; refused`);
    try {
      row = JSON.parse(raw);
    } catch (e) {
      throw new Error(`${file}: line ${i + 1}: not valid JSON (${(e as Error).message})`);
    }
    if (!isObject(row) || !Number.isInteger(row.id) || typeof row.at !== 'string' || typeof row.decision !== 'string') throw new Error(`${file}: line ${i + 1}: not a retrain decision (id, at, decision)`);
    out.push(row as unknown as RetrainDecision);
  });
  return out;
}
