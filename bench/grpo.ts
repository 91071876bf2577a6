// GRPO benchmark: end-to-end environment steps per second of GRPO (G = 8 rollouts on each of
// W = 8 windows of 24 steps per iteration, num_iterations 1, 4 minibatches, a [128, 128] policy) and
// of PPO with the same network (8 envs × 256 steps, 4 epochs, minibatch 256), on the position
// environment over the ETH/BTC 5-minute sample, one after the other on each backend: in Node, and
// in headless Chromium through the lab's own Train view and training worker.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '../src/algos/backends-node';
import { NODE_BACKENDS } from '../src/algos/backends-node';
import { trySetBackend } from '../src/algos/backend';
import { DEFAULT_GRPO } from '../src/algos/grpo/hyperparameters';
import { GrpoTrainer } from '../src/algos/grpo/trainer';
import type { RunSink } from '../src/algos/ppo/trainer';
import { DEFAULT_PPO } from '../src/algos/ppo/hyperparameters';
import { importBytes } from '../src/core/data/importer';
import { buildEnvironments } from '../src/core/env/build';
import { candleData } from '../src/core/env/candles';
import { DEFAULT_ENV_ID, envSpec } from '../src/core/env/registry';
import type { EnvData } from '../src/core/env/spec';
import { candleColumnsOfDataset, computeMarketFeatures } from '../src/core/features/market';
import { defaultsOf } from '../src/core/settings';
import { perBackendInChromium, storedRunRate } from './chromium';
import { ppoStepsPerSecond } from './ppo';

const SAMPLE = resolve(import.meta.dirname, '../public/samples/ETH_BTC-5m.parquet');
const ITERATIONS = 6; // the first one warms up and is not counted
const GRPO = { num_windows: 8, group_size: 8, max_steps: 24, num_iterations: 1, num_minibatches: 4, net_arch: [128, 128], total_timesteps: 64 * 24 * ITERATIONS, eval_freq: 1e9, save_freq: 1e9, seed: 1 };
const PPO = { n_envs: 8, n_steps: 256, n_epochs: 4, batch_size: 256, net_arch: [128, 128], target_kl: null, total_timesteps: 8 * 256 * ITERATIONS, eval_freq: 1e9, save_freq: 1e9, seed: 1 };
const BUDGET_MS = 150_000; // per Chromium backend and algorithm

async function data(): Promise<EnvData> {
  const imported = await importBytes(new Uint8Array(readFileSync(SAMPLE)), 'ETH_BTC-5m.parquet');
  if (imported.status !== 'ready') throw new Error('sample did not import');
  const candles = candleColumnsOfDataset(imported.dataset);
  return candleData(candles, computeMarketFeatures(candles));
}

async function grpoNode(d: EnvData, backend: 'wasm' | 'cpu'): Promise<number> {
  const error = await trySetBackend(backend);
  if (error) throw new Error(`${backend}: ${error}`);
  const hp = { ...DEFAULT_GRPO, ...GRPO, n_envs: 64, n_steps: 24 };
  const spec = envSpec(DEFAULT_ENV_ID);
  const envs = buildEnvironments(spec, d, defaultsOf(spec.settings), { copies: hp.n_envs, seed: hp.seed, maxSteps: hp.max_steps });
  const stamps: { step: number; t: number }[] = [];
  const sink: RunSink = { episodes() {}, evaluation() {}, checkpoint() {}, update(m) { stamps.push({ step: m.step, t: performance.now() }); } };
  const trainer = await GrpoTrainer.create({ hp, env: envs.env, makeEvalEnv: envs.makeEvalEnv, sink, segment: envs.segments.train, data: d });
  await trainer.train();
  trainer.dispose();
  const first = stamps[0], last = stamps[stamps.length - 1];
  return (last.step - first.step) / ((last.t - first.t) / 1000);
}

async function ppoNode(d: EnvData, backend: 'wasm' | 'cpu'): Promise<number> {
  const hp = { ...DEFAULT_PPO, ...PPO };
  const spec = envSpec(DEFAULT_ENV_ID);
  const envs = buildEnvironments(spec, d, defaultsOf(spec.settings), { copies: hp.n_envs, seed: hp.seed, maxSteps: hp.max_steps });
  return ppoStepsPerSecond(envs, hp, backend);
}

const query = (algo: string, backend: string, settings: Record<string, unknown>) =>
  new URLSearchParams({ algo, env: DEFAULT_ENV_ID, backend, ...Object.fromEntries(Object.entries(settings).filter(([k]) => k !== 'target_kl').map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : String(v)])) });

async function chromiumRuns() {
  return perBackendInChromium(async (page, siteUrl, backend) => {
    const rates: Record<string, { env_steps_per_s: number | null; error?: string }> = {};
    for (const [algo, settings] of [['GRPO', GRPO], ['PPO', PPO]] as const) {
      await page.goto(siteUrl);
      await page.waitForSelector('tr[data-name="ETH_BTC-5m"][data-rows="5760"]');
      // one run in the store at a time: the rate is read from the only one there
      await page.evaluate(() => new Promise<void>((ok) => { const r = indexedDB.open('rl-trading-lab'); r.onsuccess = () => { const tx = r.result.transaction(['updates', 'runs'], 'readwrite'); tx.objectStore('updates').clear(); tx.objectStore('runs').clear(); tx.oncomplete = () => ok(); }; }));
      await page.goto(`${siteUrl}#/train?${query(algo, backend, settings)}`);
      await page.waitForSelector('[data-testid=train-start]:not([disabled])');
      if (algo === 'PPO') {
        await page.click('summary:text("PPO hyperparameters")');
        await page.uncheck('label:has-text("target_kl") input[type=checkbox]');
      }
      await page.click('[data-testid=train-start]');
      const finished = await page.waitForSelector('[data-testid=train-progress][data-status="completed"], [data-testid=train-progress][data-status="failed"]', { timeout: BUDGET_MS }).then(() => true, () => false);
      if (!finished) {
        await page.click('[data-testid=train-stop]').catch(() => {});
        await page.waitForTimeout(3000);
      }
      const r = await storedRunRate(page, backend);
      rates[algo] = finished ? r : { ...r, error: `stopped after ${BUDGET_MS / 1000} s${r.env_steps_per_s === null ? '' : ', measured on the updates it had made'}` };
    }
    return { backend, env_steps_per_s: rates.GRPO.env_steps_per_s, ppo_env_steps_per_s: rates.PPO.env_steps_per_s, ...(rates.GRPO.error || rates.PPO.error ? { error: [rates.GRPO.error && `GRPO: ${rates.GRPO.error}`, rates.PPO.error && `PPO: ${rates.PPO.error}`].filter(Boolean).join('; ') } : {}) };
  }, ['webgpu', 'webgl', 'wasm']);
}

export async function run() {
  const d = await data();
  const results: { where: 'node' | 'chromium'; backend: string; env_steps_per_s: number | null; ppo_env_steps_per_s: number | null; error?: string }[] = [];
  for (const backend of NODE_BACKENDS as ('wasm' | 'cpu')[]) {
    // alternated, GRPO first, twice each; the median of two is their mean
    const g: number[] = [], p: number[] = [];
    for (let k = 0; k < 2; k++) { g.push(await grpoNode(d, backend)); p.push(await ppoNode(d, backend)); }
    const mean = (xs: number[]) => Math.round(xs.reduce((a, b) => a + b, 0) / xs.length);
    console.log(`node ${backend}: GRPO ${g.map(Math.round).join(', ')}; PPO ${p.map(Math.round).join(', ')} env-steps/s`);
    results.push({ where: 'node', backend, env_steps_per_s: mean(g), ppo_env_steps_per_s: mean(p) });
  }
  tf.disposeVariables();
  if (!process.env.BENCH_NODE_ONLY) for (const r of await chromiumRuns()) results.push({ where: 'chromium', ...r });
  return { bench: 'grpo', settings: { grpo: { ...GRPO, total_timesteps: undefined }, ppo: { ...PPO, total_timesteps: undefined }, env: DEFAULT_ENV_ID }, results };
}
