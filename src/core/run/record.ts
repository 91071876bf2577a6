// Naming in a run's record: run ids (seed 000's run_YYYYMMDD_HHMMSS) and checkpoint folders.
// The shapes themselves are in contracts.ts.
import type { RunHeader } from './contracts';
export { pythonIsoTime } from '../clock';

/** run_YYYYMMDD_HHMMSS in local time; `taken` ids get a _2, _3... suffix. */
export function makeRunId(date: Date, taken: (id: string) => boolean = () => false): string {
  const base = runIdBase(date);
  let id = base;
  for (let k = 2; taken(id); k++) id = `${base}_${k}`;
  return id;
}

/** run_YYYYMMDD_HHMMSS of a time, before any suffix. */
export function runIdBase(date: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `run_${date.getFullYear()}${p(date.getMonth() + 1)}${p(date.getDate())}_${p(date.getHours())}${p(date.getMinutes())}${p(date.getSeconds())}`;
}

export function checkpointPath(step: number): string {
  return `checkpoints/model_step_${step}`;
}

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

/** The header's account of its dataset beyond its id and name (revision, rows, synthetic), for a new run's config. */
export function datasetLineage(header: RunHeader): Pick<RunHeader, 'dataset_revision' | 'dataset_rows' | 'dataset_synthetic'> {
  const out: Pick<RunHeader, 'dataset_revision' | 'dataset_rows' | 'dataset_synthetic'> = {};
  if (header.dataset_revision !== undefined) out.dataset_revision = header.dataset_revision;
  if (header.dataset_rows !== undefined) out.dataset_rows = header.dataset_rows;
  if (header.dataset_synthetic) out.dataset_synthetic = true;
  return out;
}
