// npm run train -- --data <file> --env <trade-approval|position> --algo ppo --timesteps <N> --seed <S> --out <dir>
// The lab's training engine in Node (WASM or CPU backend), writing seed 000's run folder:
// config.json, metrics.json, detailed_episodes.jsonl, train_metrics.jsonl, checkpoints/model_step_N/.
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import '../algos/backends-node';
import { NODE_BACKENDS } from '../algos/backends-node';
import { selectBackend } from '../algos/backend';
import { policyModelFiles } from '../algos/export';
import { PpoTrainer, type EvaluationRecord, type PpoCheckpoint, type RunSink, type UpdateMetrics } from '../algos/ppo';
import { importBytes } from '../core/data/importer';
import { candleColumnsOfDataset, computeMarketFeatures } from '../core/features/market';
import { isEnvName } from '../core/env';
import type { BackendChoice, PresetName } from '../core/run/config';
import { checkpointPath, finalMetrics, makeRunId, pythonIsoTime, type CheckpointSummary, type EpisodeSummary, type PpoRunConfig, type RunStatus } from '../core/run/record';
import { buildEnvironments, resolveSettings, type Environments } from '../services/engine';
import { trainerStateJson } from '../core/run/exportRun';

const USAGE = `usage: npm run train -- --data <file> --env <trade-approval|position> --algo ppo --timesteps <N> --seed <S> --out <dir>
  optional: --preset conservative|moderate|aggressive  --backend auto|wasm|cpu  --n-envs N  --n-steps N  --batch-size N
            --learning-rate X  --eval-freq N  --save-freq N  --max-steps N  --leverage X  --quiet
       npm run train -- --algo bc --data <offline.npz | candles> --seed <S> --out <dir>
  optional: --seeds S1,S2,...  (an ensemble: one PolicyNet per seed, majority vote)  --epochs N  --batch-size N  --learning-rate X  --hidden-dim N  --num-layers N  --dropout X  --patience N
            --imbalance none|weighted|oversample|focal  --backend auto|wasm|cpu  --quiet`;

function fail(message: string): never {
  console.error(`error: ${message}\n${USAGE}`);
  process.exit(2);
}

const { values: args } = parseArgs({
  options: {
    data: { type: 'string' }, env: { type: 'string', default: 'position' }, algo: { type: 'string', default: 'ppo' },
    timesteps: { type: 'string' }, seed: { type: 'string', default: '1' }, out: { type: 'string', default: 'runs' },
    preset: { type: 'string' }, backend: { type: 'string', default: 'auto' }, 'n-envs': { type: 'string' }, 'n-steps': { type: 'string' },
    'batch-size': { type: 'string' }, 'learning-rate': { type: 'string' }, 'eval-freq': { type: 'string' }, 'save-freq': { type: 'string' },
    'max-steps': { type: 'string' }, leverage: { type: 'string' }, quiet: { type: 'boolean', default: false }, help: { type: 'boolean', default: false },
    // behavior cloning
    epochs: { type: 'string' }, seeds: { type: 'string' }, 'hidden-dim': { type: 'string' }, 'num-layers': { type: 'string' }, dropout: { type: 'string' }, patience: { type: 'string' }, imbalance: { type: 'string' },
  },
});
if (args.help) { console.log(USAGE); process.exit(0); }
if (!args.data) fail('--data is required');
if (!isEnvName(args.env!)) fail(`--env must be trade-approval or position, not "${args.env}"`);
if (args.algo !== 'ppo' && args.algo !== 'bc') fail(`--algo ${args.algo} is not available from the command line yet; use ppo or bc`);
if (args.preset && !['conservative', 'moderate', 'aggressive'].includes(args.preset)) fail(`unknown preset "${args.preset}"`);
if (!['auto', 'wasm', 'cpu'].includes(args.backend!)) fail(`--backend must be auto, wasm or cpu in Node, not "${args.backend}"`);
const num = (v: string | undefined, name: string) => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) fail(`--${name} must be a number, not "${v}"`);
  return n;
};
const dataPath = resolve(args.data!);
if (!existsSync(dataPath)) fail(`no such file: ${dataPath}`);

if (args.algo === 'bc') {
  const { runBehaviorCloningCli } = await import('./trainBc');
  const hp = Object.fromEntries(Object.entries({
    max_epochs: num(args.epochs, 'epochs'), batch_size: num(args['batch-size'], 'batch-size'), learning_rate: num(args['learning-rate'], 'learning-rate'),
    hidden_dim: num(args['hidden-dim'], 'hidden-dim'), num_layers: num(args['num-layers'], 'num-layers'), dropout: num(args.dropout, 'dropout'),
    patience: num(args.patience, 'patience'), imbalance: args.imbalance,
  }).filter(([, v]) => v !== undefined));
  const seeds = args.seeds ? args.seeds.split(',').map((s) => num(s.trim(), 'seeds')!) : [num(args.seed, 'seed') ?? 1];
  process.exit(await runBehaviorCloningCli({ data: dataPath, out: args.out!, seeds, backend: args.backend as BackendChoice, hp, quiet: args.quiet! }));
}

const ppoOverrides = Object.fromEntries(Object.entries({
  total_timesteps: num(args.timesteps, 'timesteps'), seed: num(args.seed, 'seed'), n_envs: num(args['n-envs'], 'n-envs'),
  n_steps: num(args['n-steps'], 'n-steps'), batch_size: num(args['batch-size'], 'batch-size'), learning_rate: num(args['learning-rate'], 'learning-rate'),
  eval_freq: num(args['eval-freq'], 'eval-freq'), save_freq: num(args['save-freq'], 'save-freq'), max_steps: num(args['max-steps'], 'max-steps'),
}).filter(([, v]) => v !== undefined));
const envOverrides = Object.fromEntries(Object.entries({ env: args.env, leverage: num(args.leverage, 'leverage') }).filter(([, v]) => v !== undefined));

let settings;
try {
  settings = resolveSettings((args.preset as PresetName) ?? null, ppoOverrides, envOverrides);
} catch (e) {
  fail((e as Error).message);
}
const { hp, env: envSettings } = settings;

// data → candles → features
const imported = await importBytes(new Uint8Array(readFileSync(dataPath)), basename(dataPath), { acceptGuess: true }).catch((e: Error) => fail(e.message));
if (imported.status !== 'ready') fail(`could not tell which column is which in ${basename(dataPath)}: ${imported.preview.reason}`);
const dataset = imported.dataset;
if (dataset.meta.kind !== 'candles') fail(`${basename(dataPath)} holds ${dataset.meta.kind} data; training needs candles`);
const candles = candleColumnsOfDataset(dataset);
const features = computeMarketFeatures(candles);
const envs: Environments = (() => {
  try {
    return buildEnvironments(candles, features, envSettings, hp);
  } catch (e) {
    return fail((e as Error).message);
  }
})();
const selection = await selectBackend(args.backend as BackendChoice, { obsSize: envs.env.obsSize, numActions: envs.env.numActions, hidden: hp.net_arch, batch: hp.batch_size }, NODE_BACKENDS);

// the run folder
const now = new Date();
const outDir = resolve(args.out!);
const runId = makeRunId(now, (id) => existsSync(join(outDir, id)));
const runDir = join(outDir, runId);
mkdirSync(join(runDir, 'checkpoints'), { recursive: true });
const config: PpoRunConfig = {
  run_id: runId, created_at: pythonIsoTime(now), completed_at: null, status: 'running', algorithm: 'PPO', ...hp,
  data_file: basename(dataPath), final_metrics: { mean_reward: null, final_100_mean: null, total_episodes: 0 },
  name: runId, tags: [], dataset_id: dataset.meta.source.sha256, dataset_name: dataset.meta.name, env: envSettings.env, env_settings: envSettings,
  preset: (args.preset as PresetName) ?? null, backend: selection.backend, backend_requested: args.backend!, backend_trials: selection.trials,
  error: null, progress_timesteps: 0, updated_at: pythonIsoTime(now),
};

const episodes: EpisodeSummary[] = [];
const detailed: string[] = [];
const evaluations: EvaluationRecord[] = [];
const checkpoints: CheckpointSummary[] = [];
const updates: string[] = [];
let bestEval = null as number | null;

function writeRecords(status?: RunStatus, error?: string) {
  if (status) { config.status = status; config.completed_at = pythonIsoTime(); }
  if (error) config.error = error;
  config.updated_at = pythonIsoTime();
  config.final_metrics = finalMetrics(episodes.map((e) => e.reward), bestEval, config.progress_timesteps);
  writeFileSync(join(runDir, 'config.json'), JSON.stringify(config, null, 2));
  writeFileSync(join(runDir, 'metrics.json'), JSON.stringify({ episodes, evaluations, checkpoints }, null, 2));
  writeFileSync(join(runDir, 'detailed_episodes.jsonl'), detailed.length ? detailed.join('\n') + '\n' : '');
  writeFileSync(join(runDir, 'train_metrics.jsonl'), updates.length ? updates.join('\n') + '\n' : '');
}

async function writeCheckpoint(c: PpoCheckpoint) {
  const dir = c.kind === 'periodic' ? checkpointPath(c.step) : `checkpoints/${c.kind}_model`;
  mkdirSync(join(runDir, dir), { recursive: true });
  const files = await policyModelFiles(c, { actionNames: envs.env.actionNames, env: envSettings.env, step: c.step });
  writeFileSync(join(runDir, dir, 'model.json'), files.modelJson);
  writeFileSync(join(runDir, dir, 'weights.bin'), files.weightsBin);
  writeFileSync(join(runDir, dir, 'trainer_state.json'), trainerStateJson(c));
  // one best_model and one final_model folder: an earlier entry for the same folder is superseded
  const superseded = checkpoints.findIndex((k) => k.path === dir);
  if (superseded >= 0) checkpoints.splice(superseded, 1);
  checkpoints.push({ step: c.step, path: dir, timestamp: c.timestamp, kind: c.kind });
}

const sink: RunSink = {
  episodes(records) {
    for (const r of records as Record<string, unknown>[]) {
      episodes.push({ episode: r.episode as number, reward: r.reward as number, length: r.length as number, timestep: r.timestep as number, timestamp: r.timestamp as string });
      detailed.push(JSON.stringify(r));
    }
  },
  update(m: UpdateMetrics) {
    updates.push(JSON.stringify(m));
    config.progress_timesteps = m.step;
  },
  evaluation(e) {
    evaluations.push(e);
    if (bestEval === null || e.mean_reward > bestEval) bestEval = e.mean_reward;
    if (!args.quiet) console.log(`  eval @ ${e.step}: ${e.mean_reward.toFixed(3)} ± ${e.std_reward.toFixed(3)} over ${e.num_episodes} episodes`);
  },
  async checkpoint(c) {
    await writeCheckpoint(c);
    writeRecords();
  },
};

console.log(`${runId}: PPO on ${envSettings.env} over ${basename(dataPath)} (${features.rows} rows; train rows ${envs.segments.train.start}–${envs.segments.train.end}, eval ${envs.segments.eval.start}–${envs.segments.eval.end}), backend ${selection.backend}, ${hp.total_timesteps} steps → ${runDir}`);
const trainer = await PpoTrainer.create({ hp, env: envs.env, makeEvalEnv: envs.makeEvalEnv, sink });
let lastLog = 0;
try {
  await trainer.train({
    progress: (p) => {
      if (args.quiet || performance.now() - lastLog < 2000) return;
      lastLog = performance.now();
      const rew = episodes.length ? (episodes.slice(-100).reduce((a, e) => a + e.reward, 0) / Math.min(100, episodes.length)).toFixed(3) : '—';
      console.log(`  step ${p.step}/${p.total} (${((100 * p.step) / p.total).toFixed(0)}%), ${Math.round(p.fps)} steps/s, ep_rew_mean ${rew}, ~${Math.round(p.secondsLeft ?? 0)} s left`);
    },
  });
  writeRecords('completed');
  console.log(`done: ${episodes.length} episodes, final_100_mean ${config.final_metrics.final_100_mean?.toFixed(4)}, best eval ${bestEval?.toFixed(4)}; wrote ${runDir}`);
} catch (e) {
  writeRecords('failed', (e as Error).message);
  console.error(`failed: ${(e as Error).message}`);
  process.exitCode = 1;
} finally {
  trainer.dispose();
}
