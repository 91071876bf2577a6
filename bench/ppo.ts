// PPO benchmark: end-to-end environment steps per second (rollouts and updates) with 8 envs ×
// 256 steps, 4 epochs, minibatch 256, [128, 128] networks, the registry's default environment
// (position) on the ETH/BTC 5-minute sample. In Node for each Node backend, and in headless
// Chromium for each backend there, through the lab's own Train view and training worker.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '../src/algos/backends-node';
import { NODE_BACKENDS } from '../src/algos/backends-node';
import { trySetBackend } from '../src/algos/backend';
import { PpoTrainer, type RunSink } from '../src/algos/ppo/trainer';
import { DEFAULT_PPO, type PpoHyperparameters } from '../src/algos/ppo/hyperparameters';
import { importBytes } from '../src/core/data/importer';
import { candleColumnsOfDataset, computeMarketFeatures } from '../src/core/features/market';
import { buildEnvironments, type Environments } from '../src/core/env/build';
import { candleData } from '../src/core/env/candles';
import { DEFAULT_ENV_ID, envSpec } from '../src/core/env/registry';
import { defaultsOf } from '../src/core/settings';
import { perBackendInChromium, storedRunRate } from './chromium';

const SAMPLE = resolve(import.meta.dirname, '../public/samples/ETH_BTC-5m.parquet');
const UPDATES = 5; // the first one warms up (wasm tiering, shader compilation) and is not counted
const SETTINGS = { n_envs: 8, n_steps: 256, n_epochs: 4, batch_size: 256, net_arch: [128, 128], target_kl: null, total_timesteps: 8 * 256 * UPDATES, eval_freq: 1e9, save_freq: 1e9, seed: 1 };

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

async function chromiumRuns(): Promise<{ backend: string; env_steps_per_s: number | null; error?: string }[]> {
  return perBackendInChromium(async (page, siteUrl, backend) => {
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
    return storedRunRate(page, backend);
  });
}

export async function run() {
  const results: { where: 'node' | 'chromium'; backend: string; env_steps_per_s: number | null; error?: string }[] = [];
  for (const backend of NODE_BACKENDS as ('wasm' | 'cpu')[]) {
    const sps = await nodeRun(backend);
    console.log(`node ${backend}: ${Math.round(sps)} env-steps/s`);
    results.push({ where: 'node', backend, env_steps_per_s: Math.round(sps) });
  }
  tf.disposeVariables();
  for (const r of await chromiumRuns()) results.push({ where: 'chromium', ...r });
  return { bench: 'ppo', settings: { n_envs: 8, n_steps: 256, n_epochs: 4, batch_size: 256, net_arch: [128, 128], env: DEFAULT_ENV_ID }, results };
}
