// npm run train -- --data <file> --algo <id> [--env <id>] [settings…] --out <dir>
// The lab's training service in Node (WASM or CPU backend), for every registered algorithm and
// environment, writing the run folder the lab exports (seed 000's layout). Its flags and --help
// come from the algorithms' and environments' own tables.
import { readFileSync, existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import '../algos/backends-node';
import { NODE_BACKENDS } from '../algos/backends-node';
import { ALGORITHMS, findAlgorithm } from '../algos/registry';
import type { TrainRequest } from '../algos/spec';
import { importBytes } from '../core/data/importer';
import { datasetSource } from '../core/env/candles';
import { DEFAULT_ENV_ID, ENVIRONMENTS, findEnv } from '../core/env/registry';
import { intervalText } from '../core/eval/stats';
import type { BackendChoice, RunRecords } from '../core/run/contracts';
import { cliFlag, defaultsOf, parseSetting, settingHelp, type SettingSpec, type SettingValues } from '../core/settings';
import { readRunSource } from './runSource';
import { TrainingService } from '../services/training';
import { folderRepository } from './folderRepository';

const COMMON = `usage: npm run train -- --data <file> --algo <${ALGORITHMS.map((a) => a.id.toLowerCase()).join('|')}> [--env <${ENVIRONMENTS.map((e) => e.id).join('|')}>] [settings] --out <dir>
  --data <file>                  candles (CSV, Parquet, JSON), or an offline .npz for behavior cloning
  --tz <zone>                    the zone of the file's times written without one: UTC (default), +03:00, Europe/Istanbul
  --algo <id>                    ${ALGORITHMS.map((a) => `${a.id.toLowerCase()}: ${a.menuLabel}`).join('; ')}
  --env <id>                     the environment, for algorithms that train on one (default ${DEFAULT_ENV_ID})
  --preset <name>                a risk preset, where the algorithm has them
  --backend auto|wasm|cpu        TensorFlow.js backend (auto measures and keeps the fastest)
  --name <text>                  the run's name (default: its id)
  --out <dir>                    where the run folder goes (default runs)
  --init-from <run folder|zip>   start from that run's policy (behavior cloning, PPO, GRPO); the networks take its shape
  --quiet                        print only the start and the result
seed 001's flags, for an environment whose episodes have their own length (funding-arbitrage):
  --data-path <file>             as --data
  --num-episodes <N>             train N episodes (total_timesteps = N × the episode's steps)
  --eval-every <N> / --save-every <N>   evaluate / checkpoint every N episodes
  --sample-random-config         a trading config sampled per episode (config_mode sample); giving
                                 --max-leverage, --target-utilization or --max-positions alone fixes it`;

function usage(): string {
  const sections = [COMMON];
  for (const a of ALGORITHMS) sections.push(`\n${a.title} (--algo ${a.id.toLowerCase()})${a.presets ? `; presets: ${Object.keys(a.presets).join(', ')}` : ''}:\n${a.hyperparameters.map(settingHelp).join('\n')}`);
  for (const e of ENVIRONMENTS) sections.push(`\nenvironment ${e.id}: ${e.summary}\n${e.settings.map(settingHelp).join('\n')}`);
  return sections.join('\n');
}

function fail(message: string): never {
  console.error(`error: ${message}\n(npm run train -- --help lists every option)`);
  process.exit(2);
}

/** Every setting's flag (and its aliases) → the tables that have it. */
const flagOwners = new Map<string, { spec: SettingSpec; owner: string; table: 'hyperparameters' | 'env' }[]>();
const own = (spec: SettingSpec, owner: string, table: 'hyperparameters' | 'env') => {
  for (const name of [cliFlag(spec.key), ...(spec.cliAliases ?? [])]) flagOwners.set(name, [...(flagOwners.get(name) ?? []), { spec, owner, table }]);
};
for (const a of ALGORITHMS) for (const s of a.hyperparameters) own(s, a.id, 'hyperparameters');
for (const e of ENVIRONMENTS) for (const s of e.settings) own(s, e.id, 'env');

const { values: args } = (() => {
  try {
    return parseArgs({
      options: {
        data: { type: 'string' }, 'data-path': { type: 'string' }, tz: { type: 'string' },
        'num-episodes': { type: 'string' }, 'eval-every': { type: 'string' }, 'save-every': { type: 'string' }, 'sample-random-config': { type: 'boolean', default: false },
        algo: { type: 'string', default: 'ppo' }, env: { type: 'string' }, preset: { type: 'string' }, backend: { type: 'string', default: 'auto' },
        name: { type: 'string' }, out: { type: 'string', default: 'runs' }, 'init-from': { type: 'string' }, quiet: { type: 'boolean', default: false }, help: { type: 'boolean', default: false },
        ...Object.fromEntries([...flagOwners.keys()].map((flag) => [flag, { type: 'string' as const }])),
      },
    });
  } catch (e) {
    return fail((e as Error).message);
  }
})();
if (args.help) { console.log(usage()); process.exit(0); }
const algorithm = findAlgorithm(String(args.algo)) ?? fail(`--algo must be ${ALGORITHMS.map((a) => a.id.toLowerCase()).join(' or ')}, not "${args.algo}"`);
const envId = (args.env as string | undefined) ?? DEFAULT_ENV_ID;
const env = findEnv(envId) ?? fail(`--env must be ${ENVIRONMENTS.map((e) => e.id).join(' or ')}, not "${envId}"`);
if (args.env !== undefined && !algorithm.trainsOn.environments) fail(`${algorithm.title} trains on no environment; leave --env out`);
if (args.preset !== undefined && !algorithm.presets?.[String(args.preset)]) fail(`--preset must be ${Object.keys(algorithm.presets ?? {}).join(' or ') || 'left out'} for ${algorithm.title}, not "${args.preset}"`);
if (!['auto', ...NODE_BACKENDS].includes(String(args.backend))) fail(`--backend must be auto, ${NODE_BACKENDS.join(' or ')} in Node, not "${args.backend}"`);
if (args.data === undefined && args['data-path'] !== undefined) args.data = args['data-path'];
if (!args.data) fail('--data is required');

// the settings given, each read through its own table
const hyperparameters: SettingValues = {};
const envSettings: SettingValues = {};
for (const [flag, owners] of flagOwners) {
  const text = (args as Record<string, unknown>)[flag];
  if (typeof text !== 'string') continue;
  const mine = owners.find((o) => (o.table === 'hyperparameters' ? o.owner === algorithm.id : algorithm.trainsOn.environments && o.owner === env.id));
  if (!mine) fail(`--${flag} is a setting of ${[...new Set(owners.map((o) => o.owner))].join(', ')}, not of ${algorithm.title}${algorithm.trainsOn.environments ? ` on ${env.id}` : ''}`);
  const parsed = parseSetting(mine.spec, text);
  if ('error' in parsed) fail(parsed.error);
  (mine.table === 'hyperparameters' ? hyperparameters : envSettings)[mine.spec.key] = parsed.value;
}

// seed 001's commands count in episodes and switch the config between sampled and fixed
const episodeSteps = algorithm.trainsOn.environments && env.episodeSteps ? env.episodeSteps({ ...defaultsOf(env.settings), ...envSettings }) : null;
for (const [flag, key] of [['num-episodes', 'total_timesteps'], ['eval-every', 'eval_freq'], ['save-every', 'save_freq']] as const) {
  const text = (args as Record<string, unknown>)[flag];
  if (typeof text !== 'string') continue;
  if (!episodeSteps) fail(`--${flag} counts episodes of an environment that sets their length (${ENVIRONMENTS.filter((e) => e.episodeSteps).map((e) => e.id).join(', ')}); use the step counts`);
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) fail(`--${flag} must be a whole number of episodes, not "${text}"`);
  if (!algorithm.hyperparameters.some((h) => h.key === key)) fail(`--${flag} needs ${key}, which ${algorithm.title} has not`);
  hyperparameters[key] = n * episodeSteps!;
}
if (env.settings.some((s) => s.key === 'config_mode') && envSettings.config_mode === undefined) {
  if (args['sample-random-config']) envSettings.config_mode = 'sample';
  else if (['max_leverage', 'target_utilization', 'max_positions'].some((k) => envSettings[k] !== undefined)) envSettings.config_mode = 'fixed';
} else if (args['sample-random-config'] && !env.settings.some((s) => s.key === 'config_mode')) fail(`--sample-random-config is for an environment with trading configs (funding-arbitrage), not ${env.id}`);

/** A run's records from its folder or its zip, the reason named when it is not one. */
function readRunSourceOrFail(path: string): RunRecords {
  if (!existsSync(path)) fail(`--init-from: no such run folder or zip: ${path}`);
  try {
    return readRunSource(path);
  } catch (e) {
    return fail(`--init-from ${path}: ${(e as Error).message}`);
  }
}

const dataPath = resolve(args.data as string);
if (!existsSync(dataPath)) fail(`no such file: ${dataPath}`);
const imported = await importBytes(new Uint8Array(readFileSync(dataPath)), basename(dataPath), { acceptGuess: true, timeZone: args.tz as string | undefined }).catch((e: Error) => fail(e.message));
if (imported.status !== 'ready') fail(`could not tell which column is which in ${basename(dataPath)}: ${imported.preview.reason}`);
const dataset = imported.dataset;
// how the file was read (its zone, its number format, repairs) is said, as the import report does
if (!args.quiet) for (const issue of dataset.meta.issues) console.log(`data: ${issue.level}: ${issue.message}`);
// the file is the dataset: named by its content
const datasetId = dataset.meta.source.sha256;
dataset.meta.id = datasetId;
const outDir = resolve(args.out as string);
const folder = folderRepository(outDir, new Map([[datasetId, datasetSource(dataset)]]));
// --init-from: the policy of another run (its folder or zip, as the lab exports it) to start from
const source = args['init-from'] ? readRunSourceOrFail(resolve(args['init-from'] as string)) : null;
if (source && !algorithm.fineTunes) fail(`${algorithm.title} cannot start from another run's policy`);
const repository: typeof folder = source
  ? { ...folder, getRun: async (id) => (id === source.config.run_id ? source.config : folder.getRun(id)), checkpoints: async (id) => (id === source.config.run_id ? source.checkpoints : folder.checkpoints(id)) }
  : folder;
const service = new TrainingService({ repository, backends: NODE_BACKENDS, flushMs: 2000 });

const request: TrainRequest = {
  algorithm: algorithm.id, datasetId, env: algorithm.trainsOn.environments ? env.id : undefined, preset: (args.preset as string | undefined) ?? null,
  hyperparameters, envSettings, backend: args.backend as BackendChoice, name: args.name as string | undefined,
  ...(source ? { initFromRun: source.config.run_id } : {}),
};
let lastLog = 0;
let announced = false;
const started = await service.start(request, (p) => {
  if (!announced && p.backend) {
    announced = true;
    console.log(`${p.runId}: ${algorithm.title}${request.env ? ` on ${request.env}` : ''} over ${basename(dataPath)} (${dataset.meta.rows} rows), backend ${p.backend}, ${p.total} ${p.unit} → ${join(outDir, p.runId)}`);
  }
  if (args.quiet) return;
  for (const e of p.evaluations ?? []) {
    const money = e.net_pnl_pct ? `net P&L ${intervalText(e.net_pnl_pct, 2, ' %')} per window (${e.baselines?.buy_and_hold ? `buy and hold ${e.baselines.buy_and_hold.net_pnl_pct.mean.toFixed(2)} %` : 'no buy-and-hold in this market'}), ` : '';
    console.log(`  eval @ ${e.step}${e.segment ? ` (${e.segment})` : ''}: ${money}reward ${e.mean_reward.toFixed(3)} ± ${e.std_reward.toFixed(3)} over ${e.num_episodes} ${e.windows ? 'windows' : 'episodes'}`);
    for (const [key, c] of Object.entries(e.by_config ?? {})) console.log(`    ${key}: net P&L ${intervalText(c.net_pnl_pct, 2, ' %')} per window, reward ${c.mean_reward.toFixed(3)}`);
  }
  if (p.status === 'running' && performance.now() - lastLog > 2000) {
    lastLog = performance.now();
    console.log(`  ${p.detail ? `${p.detail}: ` : ''}${p.done}/${p.total} ${p.unit} (${((100 * p.done) / Math.max(1, p.total)).toFixed(0)}%), ${Math.round(p.rate)} ${p.unit === 'epochs' ? 'samples' : 'steps'}/s, ~${Math.round(p.secondsLeft ?? 0)} s left`);
  }
}).catch((e: Error) => fail(e.message));
const status = await started.done;
const run = repository.records()!.config;
if (status === 'failed') {
  console.error(`failed: ${run.error}`);
  process.exitCode = 1;
} else {
  for (const line of algorithm.summary(run)) console.log(line);
  // the health warnings the run kept, each where it first fired (as its page lists them)
  for (const w of run.warnings ?? []) console.log(`warning (update ${w.update}): ${w.text}`);
  console.log(`wrote ${join(outDir, run.run_id)}`);
}
