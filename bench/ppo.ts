// PPO benchmark: end-to-end environment steps per second (rollouts and updates) with 8 envs ×
// 256 steps, 4 epochs, minibatch 256, [128, 128] networks, the registry's default environment
// (position) on the ETH/BTC 5-minute sample. In Node for each Node backend (WASM twice: on the
// lab's kernel, as the learners train there, and on TensorFlow.js's ops, for comparison), and in
// headless Chromium for each backend there, through the lab's own Train view and training worker.
// In Chromium WebGPU runs twice too: rollouts on host copies of the weights, and acting on the
// backend at every step (as before host copies). Each result carries its settings, what the
// arithmetic ran on (engine), what rollouts acted on (acting) and, in Chromium, whether the page
// was cross-origin isolated and TensorFlow.js's WASM threads could run. BENCH_ROUNDS=n runs every
// variant n times, alternating, and `medians` gives each variant's median; BENCH_ISOLATED=1 serves
// the site with COOP / COEP headers; BENCH_NODE_ONLY=1 skips Chromium; BENCH_BACKENDS=wasm,webgpu
// measures only those; LAB_DIST=<folder> builds the site there instead of dist/.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '../src/algos/backends-node';
import { NODE_BACKENDS } from '../src/algos/backends-node';
import { trySetBackend } from '../src/algos/backend';
import { preferKernelTraining, trainsOnKernel } from '../src/algos/kernels/engine';
import { PpoTrainer, type RunSink } from '../src/algos/ppo/trainer';
import { DEFAULT_PPO, type PpoHyperparameters } from '../src/algos/ppo/hyperparameters';
import { importBytes } from '../src/core/data/importer';
import { candleColumnsOfDataset, computeMarketFeatures } from '../src/core/features/market';
import { buildEnvironments, type Environments } from '../src/core/env/build';
import { candleData } from '../src/core/env/candles';
import { DEFAULT_ENV_ID, envSpec } from '../src/core/env/registry';
import { defaultsOf } from '../src/core/settings';
import { benchBackends, browserVariants, medians, ROUNDS, storedRunRate, variantsInChromium, nodeVariants } from './chromium';

const SAMPLE = resolve(import.meta.dirname, '../public/samples/ETH_BTC-5m.parquet');
const UPDATES = 5; // the first one warms up (wasm tiering, shader compilation) and is not counted
const SETTINGS = { n_envs: 8, n_steps: 256, n_epochs: 4, batch_size: 256, net_arch: [128, 128], target_kl: null, total_timesteps: 8 * 256 * UPDATES, eval_freq: 1e9, save_freq: 1e9, seed: 1 };
const REPORTED = { n_envs: SETTINGS.n_envs, n_steps: SETTINGS.n_steps, n_epochs: SETTINGS.n_epochs, batch_size: SETTINGS.batch_size, net_arch: SETTINGS.net_arch, env: DEFAULT_ENV_ID };

async function nodeRun(backend: 'wasm' | 'cpu'): Promise<number> {
  const imported = await importBytes(new Uint8Array(readFileSync(SAMPLE)), 'ETH_BTC-5m.parquet');
  if (imported.status !== 'ready') throw new Error('sample did not import');
  const ds = imported.dataset;
  const candles = candleColumnsOfDataset(ds);
  const hp = { ...DEFAULT_PPO, ...SETTINGS };
  const spec = envSpec(DEFAULT_ENV_ID);
  const envs = buildEnvironments(spec, candleData(candles, computeMarketFeatures(candles)), defaultsOf(spec.settings), { copies: hp.n_envs, seed: hp.seed, maxSteps: hp.max_steps });
  return ppoStepsPerSecond(envs, hp, backend);
}

/** PPO's env-steps per second between its first and its last update, on `backend` in Node. */
export async function ppoStepsPerSecond(envs: Environments, hp: PpoHyperparameters, backend: 'wasm' | 'cpu'): Promise<number> {
  const error = await trySetBackend(backend);
  if (error) throw new Error(`${backend}: ${error}`);
  const stamps: { step: number; t: number }[] = [];
  const sink: RunSink = { episodes() {}, evaluation() {}, checkpoint() {}, update(m) { stamps.push({ step: m.step, t: performance.now() }); } };
  const trainer = await PpoTrainer.create({ hp, env: envs.env, makeEvalEnv: envs.makeEvalEnv, sink });
  await trainer.train();
  trainer.dispose();
  const first = stamps[0], last = stamps[stamps.length - 1];
  return (last.step - first.step) / ((last.t - first.t) / 1000);
}

async function chromiumRuns() {
  return variantsInChromium(browserVariants(), async (page, siteUrl, { backend }) => {
    await page.goto(siteUrl);
    await page.waitForSelector('tr[data-name="ETH_BTC-5m"][data-rows="5760"]');
    await page.click('nav a[href="#/train"]');
    await page.waitForSelector('[data-testid=train-start]');
    await page.fill('input[data-field="total_timesteps"]', String(SETTINGS.total_timesteps));
    await page.selectOption('[data-testid=train-backend]', backend);
    await page.click('summary:text("PPO hyperparameters")');
    for (const k of ['n_envs', 'n_steps', 'n_epochs', 'batch_size', 'eval_freq', 'save_freq', 'seed'] as const) await page.fill(`input[data-field="${k}"]`, String(SETTINGS[k]));
    await page.uncheck('label:has-text("target_kl") input[type=checkbox]');
    await page.click('[data-testid=train-start]');
    await page.waitForSelector('[data-testid=train-progress][data-status="completed"], [data-testid=train-progress][data-status="failed"]', { timeout: 300_000 });
    return { where: 'chromium', ...(await storedRunRate(page, backend)), settings: REPORTED };
  }, { isolated: process.env.BENCH_ISOLATED === '1' });
}

export async function run() {
  const results: Record<string, unknown>[] = [];
  const nodeBackends = benchBackends(NODE_BACKENDS as ('wasm' | 'cpu')[]);
  // alternating over BENCH_ROUNDS rounds
  const runs = nodeVariants(nodeBackends);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [backend, preference] of runs) {
      preferKernelTraining(preference);
      await trySetBackend(backend);
      const engine = trainsOnKernel() ? 'kernel' : 'tfjs';
      const sps = await nodeRun(backend);
      console.log(`node ${backend} (${engine}): ${Math.round(sps)} env-steps/s`);
      results.push({ where: 'node', backend, engine, acting: 'host', round, env_steps_per_s: Math.round(sps), settings: REPORTED });
    }
  }
  preferKernelTraining('auto');
  tf.disposeVariables();
  if (!process.env.BENCH_NODE_ONLY) results.push(...(await chromiumRuns()));
  return { bench: 'ppo', settings: REPORTED, medians: medians(results, 'env_steps_per_s'), results };
}
