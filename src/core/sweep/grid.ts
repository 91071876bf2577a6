// A sweep as one JSON document, the same in the lab and on the command line: base settings as
// `npm run train` takes them, a grid of values for a few of them, and the seeds each grid point is
// trained with. Expanded in one fixed order (points in the grid's key order, seeds within a point)
// so that the I-th of K slices is the same runs on every machine.
import { checkSetting, type SettingSpec, type SettingValue, type SettingValues } from '../settings';

export interface SweepDefinition {
  /** Every run of the sweep carries it; left out, it is made from the rest of the document. */
  id?: string;
  name: string;
  /** The candles: a file path on the command line, a dataset id in the lab. */
  data: string;
  /** The algorithm (as --algo takes it), the environment and the preset (as --env, --preset). */
  algo: string;
  env?: string;
  preset?: string | null;
  /** Settings every run shares, by their names in config.json (learning_rate) or their flags (learning-rate). */
  settings?: Record<string, SettingValue>;
  /** Setting name → the values to try. */
  grid: Record<string, SettingValue[]>;
  /** The seeds each point trains with; or n_seeds: the seeds 1 … n. */
  seeds?: number[];
  n_seeds?: number;
}

/** One run of a sweep: its place in the expanded order, its grid point and its seed. */
export interface SweepRunPlan {
  /** Place in the whole sweep (points × seeds), 0-based. */
  index: number;
  pointIndex: number;
  point: Record<string, SettingValue>;
  seed: number;
  seed_index: number;
}

const SEED_KEY = 'seed';
const settingKey = (name: string) => name.replace(/-/g, '_');

/** The seeds of a sweep, in order. */
export function seedsOf(def: SweepDefinition): number[] {
  return def.seeds ?? Array.from({ length: def.n_seeds ?? 1 }, (_, i) => i + 1);
}

/** Every grid point, the first key varying slowest. */
export function gridPoints(grid: SweepDefinition['grid']): Record<string, SettingValue>[] {
  let points: Record<string, SettingValue>[] = [{}];
  for (const [name, values] of Object.entries(grid)) points = points.flatMap((p) => values.map((v) => ({ ...p, [settingKey(name)]: v })));
  return points;
}

/** The whole sweep as runs: each point with each seed. */
export function expandSweep(def: SweepDefinition): SweepRunPlan[] {
  const seeds = seedsOf(def);
  return gridPoints(def.grid).flatMap((point, pointIndex) => seeds.map((seed, seed_index) => ({ index: pointIndex * seeds.length + seed_index, pointIndex, point, seed, seed_index })));
}

/**
 * The I-th of K slices: every K-th run from the I-th (so each slice gets a share of every point's
 * seeds rather than whole points, and the slices together are the sweep once).
 */
export function sliceOf<T extends { index: number }>(runs: readonly T[], index: number, count: number): T[] {
  if (!Number.isInteger(count) || count < 1) throw new Error(`--count must be a whole number from 1, not ${count}`);
  if (!Number.isInteger(index) || index < 0 || index >= count) throw new Error(`--index must be a whole number from 0 to ${count - 1}, not ${index}`);
  return runs.filter((r) => r.index % count === index);
}

/** A short hash of text (FNV-1a, 32 bits), as 8 hex digits: the same sweep file, the same id on every machine. */
export function shortHash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

/** The sweep's id: its own, or one made from its content (key order kept, so one file gives one id). */
export function sweepIdOf(def: SweepDefinition): string {
  if (def.id) return def.id;
  const { id: _id, ...rest } = def;
  return `sweep_${shortHash(JSON.stringify(rest))}`;
}

/** A grid point in words: "learning_rate 0.001, clip_range 0.2". */
export function pointText(point: Record<string, unknown>): string {
  const entries = Object.entries(point);
  return entries.length ? entries.map(([k, v]) => `${k} ${Array.isArray(v) ? v.join(',') : String(v)}`).join(', ') : 'base settings';
}

/** A point's key, the same for the same values whatever the key order. */
export function pointKey(point: Record<string, unknown>): string {
  return JSON.stringify(Object.keys(point).sort().map((k) => [k, point[k]]));
}

/** "line 3, column 7" of a character offset in text. */
function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `line ${before.length}, column ${before.at(-1)!.length + 1}`;
}

/** A sweep document read from JSON text; throws naming the file, and the line and column or the field, of what is wrong. */
export function parseSweepDefinition(text: string, fileName: string): SweepDefinition {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    const message = (e as Error).message;
    const at = /position (\d+)/.exec(message);
    throw new Error(`${fileName}: not JSON${at ? ` at ${lineColumn(text, Number(at[1]))}` : ''}: ${message}`);
  }
  const fail = (field: string, why: string): never => { throw new Error(`${fileName}: "${field}" ${why}`); };
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new Error(`${fileName}: a sweep is a JSON object with name, data, algo, grid and seeds or n_seeds`);
  const o = raw as Record<string, unknown>;
  const known = new Set(['id', 'name', 'data', 'algo', 'env', 'preset', 'settings', 'grid', 'seeds', 'n_seeds']);
  for (const k of Object.keys(o)) if (!known.has(k)) fail(k, `is not a field of a sweep (${[...known].join(', ')})`);
  for (const k of ['name', 'data', 'algo'] as const) if (typeof o[k] !== 'string' || !(o[k] as string).trim()) fail(k, 'must be a non-empty text');
  for (const k of ['id', 'env'] as const) if (o[k] !== undefined && typeof o[k] !== 'string') fail(k, 'must be a text');
  if (o.preset !== undefined && o.preset !== null && typeof o.preset !== 'string') fail('preset', 'must be a text or null');
  if (o.settings !== undefined && (!o.settings || typeof o.settings !== 'object' || Array.isArray(o.settings))) fail('settings', 'must be an object of setting name → value');
  if (!o.grid || typeof o.grid !== 'object' || Array.isArray(o.grid)) fail('grid', 'must be an object of setting name → [values]');
  for (const [k, v] of Object.entries(o.grid as object)) if (!Array.isArray(v) || v.length === 0) fail(`grid.${k}`, 'must be a non-empty list of values');
  if (o.seeds !== undefined && o.n_seeds !== undefined) fail('seeds', 'and "n_seeds" are two ways to say one thing; give one');
  if (o.seeds !== undefined && (!Array.isArray(o.seeds) || o.seeds.length === 0 || o.seeds.some((s) => !Number.isInteger(s) || s === 0))) fail('seeds', 'must be a non-empty list of non-zero whole numbers');
  if (o.seeds !== undefined && new Set(o.seeds as number[]).size !== (o.seeds as number[]).length) fail('seeds', 'must not repeat a seed');
  if (o.n_seeds !== undefined && (!Number.isInteger(o.n_seeds) || (o.n_seeds as number) < 1)) fail('n_seeds', 'must be a whole number from 1');
  if ('seed' in (o.grid as object) || (o.settings && SEED_KEY in (o.settings as object))) fail('seed', 'is set by "seeds" or "n_seeds", not in settings or grid');
  return o as unknown as SweepDefinition;
}

/**
 * The settings of one run of a sweep, each name found in the algorithm's or the environment's
 * table and its value checked there: base settings, the point's values, the seed. Throws naming
 * the setting and what is wrong.
 */
export function runSettings(def: SweepDefinition, run: SweepRunPlan, tables: { hyperparameters: readonly SettingSpec[]; env: readonly SettingSpec[] }, context = 'sweep'): { hyperparameters: SettingValues; envSettings: SettingValues } {
  const hyperparameters: SettingValues = {};
  const envSettings: SettingValues = {};
  const put = (name: string, value: SettingValue, where: string) => {
    const key = settingKey(name);
    const hp = tables.hyperparameters.find((s) => s.key === key);
    const spec = hp ?? tables.env.find((s) => s.key === key);
    if (!spec) throw new Error(`${context}: ${where} "${name}" is not a setting of ${def.algo}${def.env ? ` on ${def.env}` : ''}`);
    const problem = checkSetting(spec, value);
    if (problem) throw new Error(`${context}: ${where}: ${problem}`);
    (hp ? hyperparameters : envSettings)[key] = value;
  };
  for (const [name, value] of Object.entries(def.settings ?? {})) put(name, value, 'settings');
  for (const [name, value] of Object.entries(run.point)) put(name, value, 'grid');
  if (!tables.hyperparameters.some((s) => s.key === SEED_KEY)) throw new Error(`${context}: ${def.algo} has no seed setting to sweep over`);
  put(SEED_KEY, run.seed, 'seeds');
  return { hyperparameters, envSettings };
}
