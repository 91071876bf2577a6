// npm run sweep -- --grid <file.json> --out <dir> [--index I --count K] [--backend auto|wasm|cpu] [--quiet]
// A sweep (src/core/sweep/grid.ts: base settings, a grid of values, seeds) trained one run after
// another in Node, each run written as `npm run train` writes it and carrying its sweep
// membership; --index/--count train the I-th of K slices, so an array job (a Kubernetes indexed
// Job, a CI matrix, a Slurm array) runs one sweep over many machines and the folders of all the
// slices import into the lab as one sweep. A run already completed in --out is not trained again,
// so a slice that was stopped part way is run again with the same command.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import '../algos/backends-node';
import { NODE_BACKENDS } from '../algos/backends-node';
import { findAlgorithm } from '../algos/registry';
import type { TrainRequest } from '../algos/spec';
import { importBytes } from '../core/data/importer';
import { datasetSource } from '../core/env/candles';
import { DEFAULT_ENV_ID, findEnv } from '../core/env/registry';
import type { BackendChoice, StoredRun } from '../core/run/contracts';
import { expandSweep, parseSweepDefinition, pointKey, pointText, runSettings, sliceOf, sweepIdOf, type SweepRunPlan } from '../core/sweep/grid';
import { TrainingService } from '../services/training';
import { folderRepository } from './folderRepository';

const USAGE = `usage: npm run sweep -- --grid <file.json> --out <dir> [--index I --count K] [--backend auto|wasm|cpu] [--quiet]
  --grid <file.json>   the sweep: {"name", "data" (the candles' file), "algo", "env", "preset", "settings": {name: value},
                       "grid": {name: [values]}, "seeds": [..] or "n_seeds": N}; names as in config.json or as train's flags
  --out <dir>          where the run folders go (default runs)
  --index I --count K  train only the I-th of K slices (every K-th run from the I-th); JOB_COMPLETION_INDEX in a Kubernetes indexed Job
  --backend            TensorFlow.js backend (default auto)`;

function fail(message: string): never {
  console.error(`error: ${message}\n(npm run sweep -- --help shows the usage)`);
  process.exit(2);
}

const { values: args } = (() => {
  try {
    return parseArgs({ options: { grid: { type: 'string' }, out: { type: 'string', default: 'runs' }, index: { type: 'string' }, count: { type: 'string' }, backend: { type: 'string', default: 'auto' }, quiet: { type: 'boolean', default: false }, help: { type: 'boolean', default: false } } });
  } catch (e) {
    return fail((e as Error).message);
  }
})();
if (args.help) { console.log(USAGE); process.exit(0); }
if (!args.grid) fail('--grid is required');
if ((args.index === undefined) !== (args.count === undefined)) fail('--index and --count go together');
if (!['auto', ...NODE_BACKENDS].includes(String(args.backend))) fail(`--backend must be auto, ${NODE_BACKENDS.join(' or ')} in Node, not "${args.backend}"`);
const gridPath = resolve(args.grid);
if (!existsSync(gridPath)) fail(`no such file: ${gridPath}`);

let plan: { def: ReturnType<typeof parseSweepDefinition>; runs: SweepRunPlan[]; all: number };
try {
  const def = parseSweepDefinition(readFileSync(gridPath, 'utf8'), basename(gridPath));
  const all = expandSweep(def);
  plan = { def, all: all.length, runs: args.count === undefined ? all : sliceOf(all, Number(args.index), Number(args.count)) };
} catch (e) {
  fail((e as Error).message);
}
const { def } = plan;
const algorithm = findAlgorithm(def.algo) ?? fail(`${basename(gridPath)}: "algo" ${def.algo} is not an algorithm the lab trains`);
const env = findEnv(def.env ?? DEFAULT_ENV_ID) ?? fail(`${basename(gridPath)}: "env" ${def.env} is not an environment the lab has`);
if (def.env !== undefined && !algorithm.trainsOn.environments) fail(`${basename(gridPath)}: ${algorithm.title} trains on no environment; leave "env" out`);
if (def.preset && !algorithm.presets?.[def.preset]) fail(`${basename(gridPath)}: "preset" must be ${Object.keys(algorithm.presets ?? {}).join(' or ') || 'left out'} for ${algorithm.title}, not "${def.preset}"`);
const tables = { hyperparameters: algorithm.hyperparameters, env: algorithm.trainsOn.environments ? env.settings : [] };
// every run's settings are checked before the first one trains
const settings = plan.runs.map((run) => {
  try {
    return runSettings(def, run, tables, basename(gridPath));
  } catch (e) {
    return fail((e as Error).message);
  }
});
const sweepId = sweepIdOf(def);

const dataPath = resolve(def.data);
if (!existsSync(dataPath)) fail(`${basename(gridPath)}: "data": no such file: ${dataPath}`);
const imported = await importBytes(new Uint8Array(readFileSync(dataPath)), basename(dataPath), { acceptGuess: true }).catch((e: Error) => fail(e.message));
if (imported.status !== 'ready') fail(`could not tell which column is which in ${basename(dataPath)}: ${imported.preview.reason}`);
const dataset = imported.dataset;
const datasetId = (dataset.meta.id = dataset.meta.source.sha256);
const outDir = resolve(args.out);

/** The runs of this sweep already completed in --out (by point and seed): not trained again. */
function completedHere(): Set<string> {
  const done = new Set<string>();
  if (!existsSync(outDir)) return done;
  for (const name of readdirSync(outDir)) {
    const path = join(outDir, name, 'config.json');
    if (!existsSync(path)) continue;
    try {
      const config = JSON.parse(readFileSync(path, 'utf8')) as StoredRun;
      if (config.sweep?.id === sweepId && config.status === 'completed') done.add(`${pointKey(config.sweep.point)}#${config.sweep.seed_index}`);
    } catch { /* not a run folder of ours */ }
  }
  return done;
}

const done = completedHere();
const slice = args.count === undefined ? '' : ` (slice ${args.index} of ${args.count})`;
console.log(`${sweepId} "${def.name}": ${plan.runs.length} of ${plan.all} runs${slice}, ${algorithm.title}${algorithm.trainsOn.environments ? ` on ${env.id}` : ''} over ${basename(dataPath)} → ${outDir}`);
let failed = 0;
for (const [i, run] of plan.runs.entries()) {
  const label = `[${i + 1}/${plan.runs.length}] ${pointText(run.point)}, seed ${run.seed}`;
  if (done.has(`${pointKey(run.point)}#${run.seed_index}`)) { console.log(`${label}: already completed in ${outDir}`); continue; }
  const folder = folderRepository(outDir, new Map([[datasetId, datasetSource(dataset)]]));
  // run ids are times to the second: the run's place in the sweep becomes its suffix, so slices
  // started in the same second on different machines never write the same folder
  const suffixFree = (id: string) => {
    const k = /_\d{6}_(\d+)$/.exec(id);
    return !!k && (Number(k[1]) - 2 - run.index) % plan.all === 0;
  };
  const repository = { ...folder, runIdTaken: async (id: string) => existsSync(join(outDir, id)) || !suffixFree(id) };
  const service = new TrainingService({ repository, backends: NODE_BACKENDS, flushMs: 2000 });
  const request: TrainRequest = {
    algorithm: algorithm.id, datasetId, env: algorithm.trainsOn.environments ? env.id : undefined, preset: def.preset ?? null,
    ...settings[i], backend: args.backend as BackendChoice, name: `${def.name} · ${pointText(run.point)} · seed ${run.seed}`,
    sweep: { id: sweepId, name: def.name, point: run.point, seed_index: run.seed_index, size: plan.all },
  };
  try {
    const started = await service.start(request, () => {});
    const status = await started.done;
    const config = folder.records()!.config;
    if (status === 'failed') {
      failed++;
      console.error(`${label}: failed: ${config.error}`);
    } else {
      console.log(`${label}: ${status} → ${join(outDir, config.run_id)}`);
      if (!args.quiet) for (const line of algorithm.summary(config)) console.log(`  ${line}`);
    }
  } catch (e) {
    failed++;
    console.error(`${label}: could not start: ${(e as Error).message}`);
  }
}
if (failed) {
  console.error(`${failed} of ${plan.runs.length} runs failed`);
  process.exitCode = 1;
}
