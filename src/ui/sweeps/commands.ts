// The command lines the lab offers to copy: a run's `npm run train …` (from its stored config, read
// through its algorithm's and environment's tables) and a sweep's `npm run sweep …` with its file.
import { findAlgorithm } from '../../algos/registry';
import { findEnv } from '../../core/env/registry';
import type { StoredRun } from '../../core/run/contracts';
import { trainCommand, sweepCommand } from '../../core/sweep/command';
import type { SweepDefinition } from '../../core/sweep/grid';

/** Backends the command line has (the browser's WebGPU and WebGL are not there: auto then). */
const COMMAND_LINE_BACKENDS = ['wasm', 'cpu'];

/** The line that trains the run again, or null for a run whose algorithm this lab no longer has. */
export function runCommand(run: StoredRun): string | null {
  const algorithm = findAlgorithm(run.algorithm);
  if (!algorithm) return null;
  const envId = typeof run.env === 'string' ? run.env : null;
  const env = algorithm.trainsOn.environments && envId ? findEnv(envId) : undefined;
  const envSettings = (run.env_settings ?? {}) as Record<string, unknown>;
  return trainCommand({
    algo: algorithm.id, env: env?.id ?? null, preset: typeof run.preset === 'string' ? run.preset : null, dataFile: run.data_file, name: run.name,
    hyperparameters: run, envSettings, backend: COMMAND_LINE_BACKENDS.includes(run.backend_requested) ? run.backend_requested : null,
    initFromRun: typeof run.init_from_run === 'string' ? run.init_from_run : null,
  }, { hyperparameters: algorithm.hyperparameters, env: env?.settings ?? [] });
}

/** The sweep's file (its data the dataset's file name, which the command line reads) and its command. */
export function sweepFileAndCommand(def: SweepDefinition, dataFile: string): { fileName: string; json: string; command: string } {
  const fileName = `${def.name.replace(/[^\w.-]+/g, '-').replace(/^-|-$/g, '') || 'sweep'}.json`;
  const json = JSON.stringify({ ...def, data: dataFile }, null, 2);
  return { fileName, json, command: sweepCommand(fileName, 'runs') };
}
