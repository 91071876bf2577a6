// Funding-arbitrage benchmark (seed 001's shapes) on the bundled 2023 opportunities sample:
// the environment alone with 64 copies and random masked actions, and PPO end to end with
// [512, 512] policy and value networks (about 0.83M parameters), 8 copies × 256 steps, 4 epochs,
// minibatch 256, 24-step episodes: in Node on WebAssembly, and in headless Chromium on WebGPU,
// WebGL and WebAssembly through the lab's own Train view and training worker (the plain CPU
// backends run this network at tens of steps a second and are left out). BENCH_NODE_ONLY=1 leaves
// Chromium out; BENCH_ENV_ONLY=1 measures the environment alone; BENCH_BACKENDS=wasm,webgl picks
// the browser's backends.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '../src/algos/backends-node';
import { NODE_BACKENDS } from '../src/algos/backends-node';
import { DEFAULT_PPO } from '../src/algos/ppo/hyperparameters';
import { importBytes } from '../src/core/data/importer';
import { buildEnvironments } from '../src/core/env/build';
import { datasetSource } from '../src/core/env/candles';
import { loadFundingData, type FundingData } from '../src/core/env/fundingArbitrage/data';
import { FUNDING_ARBITRAGE } from '../src/core/env/fundingArbitrage';
import { Rng } from '../src/core/rng';
import { randomAllowedActions } from '../src/core/env/randomActions';
import { defaultsOf } from '../src/core/settings';
import { perBackendInChromium, storedRunRate } from './chromium';
import { ppoStepsPerSecond } from './ppo';

const SAMPLE = resolve(import.meta.dirname, '../public/samples/FUNDING_opportunities_2023.parquet');
const N_ENVS = 64;
const ENV_RUNS = 5;
const UPDATES = 4; // the first one warms up and is not counted
const BUDGET_MS = 150_000; // per Chromium backend
const SETTINGS = { n_envs: 8, n_steps: 256, n_epochs: 4, batch_size: 256, net_arch: [512, 512], target_kl: null, total_timesteps: 8 * 256 * UPDATES, eval_freq: 1e9, save_freq: 1e9, seed: 1 };

async function sample(): Promise<FundingData> {
  const imported = await importBytes(new Uint8Array(readFileSync(SAMPLE)), 'FUNDING_opportunities_2023.parquet');
  if (imported.status !== 'ready') throw new Error('sample did not import');
  return loadFundingData(datasetSource(imported.dataset));
}

/**
 * Env-steps per second of 64 copies choosing uniformly among their allowed actions, episode
 * records drained every 256 steps (a rollout's length): the median of ENV_RUNS one-second runs
 * after a warm-up, and each run's figure.
 */
function envAlone(data: FundingData): { median: number; runs: number[] } {
  const env = FUNDING_ARBITRAGE.create(data, { settings: defaultsOf(FUNDING_ARBITRAGE.settings), segment: { start: 1, end: data.rows }, copies: N_ENVS, seed: 1, randomStart: true, maxSteps: 24 });
  const rng = new Rng(3);
  const actions = new Int32Array(N_ENVS);
  const A = env.numActions;
  const until = (seconds: number) => {
    const t0 = performance.now();
    let calls = 0;
    for (;;) {
      for (let b = 0; b < 256; b++) env.step(randomAllowedActions(env.masks, N_ENVS, A, rng, actions));
      calls += 256;
      env.drainEpisodes();
      const elapsed = (performance.now() - t0) / 1000;
      if (elapsed >= seconds) return (N_ENVS * calls) / elapsed;
    }
  };
  until(0.5);
  const runs = Array.from({ length: ENV_RUNS }, () => Math.round(until(1)));
  return { median: [...runs].sort((a, b) => a - b)[ENV_RUNS >> 1], runs };
}

async function nodeRun(data: FundingData, backend: 'wasm' | 'cpu'): Promise<number> {
  const hp = { ...DEFAULT_PPO, ...SETTINGS };
  const envs = buildEnvironments(FUNDING_ARBITRAGE, data, defaultsOf(FUNDING_ARBITRAGE.settings), { copies: hp.n_envs, seed: hp.seed, maxSteps: hp.max_steps });
  return ppoStepsPerSecond(envs, hp, backend);
}

async function chromiumRuns(): Promise<{ backend: string; env_steps_per_s: number | null; error?: string }[]> {
  return perBackendInChromium(async (page, siteUrl, backend) => {
    await page.goto(siteUrl);
    await page.waitForSelector('tr[data-name="ETH_BTC-5m"][data-rows="5760"]');
    await page.click('details.samples summary');
    await page.click('details.samples li:has-text("Funding-arbitrage opportunities") button');
    await page.waitForSelector('tr[data-name="FUNDING_opportunities_2023"]', { timeout: 60_000 });
    const q = new URLSearchParams({ algo: 'PPO', env: 'funding-arbitrage', backend, ...Object.fromEntries(Object.entries(SETTINGS).filter(([k]) => k !== 'target_kl').map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : String(v)])) });
    await page.goto(`${siteUrl}#/train?${q}`);
    await page.waitForSelector('[data-testid=train-start]:not([disabled])');
    await page.click('summary:text("PPO hyperparameters")');
    await page.uncheck('label:has-text("target_kl") input[type=checkbox]');
    await page.click('[data-testid=train-start]');
    // a backend too slow to finish in the budget is measured on the updates it made (or bounded)
    const started = performance.now();
    const finished = await page.waitForSelector('[data-testid=train-progress][data-status="completed"], [data-testid=train-progress][data-status="failed"]', { timeout: BUDGET_MS }).then(() => true, () => false);
    if (finished) return storedRunRate(page, backend);
    await page.click('[data-testid=train-pause]').catch(() => {});
    await page.waitForTimeout(3000); // the last update's records are written
    const partial = await storedRunRate(page, backend);
    if (partial.env_steps_per_s !== null) return { ...partial, error: `stopped after ${BUDGET_MS / 1000} s, measured on the updates it had made` };
    const done = Number(await page.getAttribute('[data-testid=train-progress]', 'data-step'));
    return { backend, env_steps_per_s: null, error: `fewer than two updates in ${BUDGET_MS / 1000} s: under ${Math.ceil((2 * 2048) / ((performance.now() - started) / 1000))} env-steps/s (${done} steps done)` };
  }, (['webgpu', 'webgl', 'wasm'] as const).filter((b) => !process.env.BENCH_BACKENDS || process.env.BENCH_BACKENDS.split(',').includes(b)));
}

export async function run() {
  const data = await sample();
  const env = envAlone(data);
  const envSteps = env.median;
  console.log(`environment alone, ${N_ENVS} copies, random masked actions: ${envSteps} steps/s (runs: ${env.runs.join(', ')})`);
  const settings = { n_envs: 8, n_steps: 256, n_epochs: 4, batch_size: 256, net_arch: [512, 512], episode_hours: 24, env_copies: N_ENVS };
  if (process.env.BENCH_ENV_ONLY) return { bench: 'funding', env_steps_per_s: envSteps, env_runs: env.runs, settings: { episode_hours: 24, env_copies: N_ENVS } };
  const ppo: { where: 'node' | 'chromium'; backend: string; env_steps_per_s: number | null; error?: string }[] = [];
  // the plain-JavaScript CPU backend is left out: [512, 512] runs at tens of steps a second on it
  for (const backend of (NODE_BACKENDS as ('wasm' | 'cpu')[]).filter((b) => b !== 'cpu')) {
    const sps = await nodeRun(data, backend);
    console.log(`node ${backend}: ${Math.round(sps)} env-steps/s`);
    ppo.push({ where: 'node', backend, env_steps_per_s: Math.round(sps) });
  }
  tf.disposeVariables();
  if (!process.env.BENCH_NODE_ONLY) for (const r of await chromiumRuns()) ppo.push({ where: 'chromium', ...r });
  return { bench: 'funding', env_steps_per_s: envSteps, env_runs: env.runs, settings, ppo };
}
