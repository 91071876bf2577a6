// Behavior-cloning benchmark (Node): training samples per second of the default PolicyNet
// (34 → 128 → 128 → 3 + 1, ReLU, dropout 0.1, Adam, batch 256) over 50,000 synthetic samples, and
// the latency of a single-state predict, on each Node backend. The first epoch warms up (WASM
// tiering) and is not counted; the samples per second are the next epochs' own figures (their
// validation pass included). predict runs one state in plain JavaScript on host copies of the
// weights; graph_predict_* time one state through predictBatch beside it (the TensorFlow.js graph,
// or on WASM the lab's kernel). WASM is measured twice in Node: on the lab's kernel, as the trainer
// runs there, and on TensorFlow.js's ops, for comparison. Each result carries its settings, what
// the arithmetic ran on (engine) and, in Chromium, whether the page was cross-origin isolated and
// TensorFlow.js's WASM threads could run (BENCH_ISOLATED=1 serves COOP / COEP headers;
// BENCH_NODE_ONLY=1 skips Chromium; BENCH_BACKENDS=wasm measures only those; BENCH_ROUNDS=n runs
// each variant n times, alternating, and `medians` gives each variant's median; LAB_DIST=<folder>
// builds the site there instead of dist/). Goal: PyTorch's
// samples/s on this machine (about 230,000 on one thread, as measured for the learner-speed
// issue) and a p99 predict latency under 2 ms.
import * as tf from '@tensorflow/tfjs';
import '../src/algos/backends-node';
import { NODE_BACKENDS } from '../src/algos/backends-node';
import { trySetBackend } from '../src/algos/backend';
import { preferKernelTraining, trainsOnKernel } from '../src/algos/kernels/engine';
import { BcTrainer, type BcEpochMetrics } from '../src/algos/bc/trainer';
import { BC } from '../src/algos/bc';
import { STATE_SIZE } from '../src/core/features/layout';
import { Rng } from '../src/core/rng';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeNpz } from '../src/core/data/npz';
import { benchBackends, browserVariants, medians, ROUNDS, variantsInChromium, nodeVariants } from './chromium';

const SAMPLES = 50_000;
const TIMED_EPOCHS = 3;
const PREDICTIONS = 500;
const SETTINGS = { samples: SAMPLES, timed_epochs: TIMED_EPOCHS, hidden_dim: 128, num_layers: 2, dropout: 0.1, optimizer: 'adam', batch_size: 256, val_fraction: 0.1 };

/** States with a learnable rule behind the actions, so the run is a real one (losses fall). */
function syntheticData(n: number): { states: Float32Array; actions: Int32Array; strengths: Float32Array } {
  const rng = new Rng(2024);
  const states = new Float32Array(n * STATE_SIZE);
  const actions = new Int32Array(n);
  const strengths = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < STATE_SIZE; k++) states[i * STATE_SIZE + k] = rng.normal();
    const score = states[i * STATE_SIZE + 19] + 0.5 * states[i * STATE_SIZE + 20];
    actions[i] = score > 0.5 ? 1 : score < -0.5 ? 2 : 0;
    strengths[i] = 1 / (1 + Math.exp(-Math.abs(score)));
  }
  return { states, actions, strengths };
}

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

async function nodeRun(backend: 'wasm' | 'cpu', data: ReturnType<typeof syntheticData>) {
  const error = await trySetBackend(backend);
  if (error) throw new Error(`${backend}: ${error}`);
  const engine = trainsOnKernel() ? 'kernel' : 'tfjs';
  const epochs: BcEpochMetrics[] = [];
  const trainer = await BcTrainer.create({
    hp: { max_epochs: 1 + TIMED_EPOCHS, patience: 100, seed: 1 },
    data: { ...data, width: STATE_SIZE },
    sink: { epoch: (m) => { epochs.push(m); }, checkpoint() {} },
  });
  await trainer.train();
  const timed = epochs.slice(1);
  const samplesPerSecond = timed.reduce((a, m) => a + m.samples_per_s, 0) / timed.length;

  const state = data.states.subarray(0, STATE_SIZE);
  for (let i = 0; i < 50; i++) await trainer.predict(state); // warm-up
  const latencies: number[] = [];
  for (let i = 0; i < PREDICTIONS; i++) {
    const s = data.states.subarray(i * STATE_SIZE, (i + 1) * STATE_SIZE);
    const t0 = performance.now();
    await trainer.predict(s);
    latencies.push(performance.now() - t0);
  }
  latencies.sort((a, b) => a - b);
  // for comparison: one state through the TensorFlow.js graph (predictBatch), which predict avoids
  const graphLatencies: number[] = [];
  for (let i = 0; i < 50; i++) await trainer.predictBatch(state);
  for (let i = 0; i < PREDICTIONS; i++) {
    const s = data.states.subarray(i * STATE_SIZE, (i + 1) * STATE_SIZE);
    const t0 = performance.now();
    await trainer.predictBatch(s);
    graphLatencies.push(performance.now() - t0);
  }
  graphLatencies.sort((a, b) => a - b);
  trainer.dispose();
  return {
    where: 'node' as const,
    backend,
    engine,
    samples_per_s: Math.round(samplesPerSecond),
    predict_p50_ms: Number(percentile(latencies, 0.5).toFixed(3)),
    predict_p99_ms: Number(percentile(latencies, 0.99).toFixed(3)),
    graph_predict_p50_ms: Number(percentile(graphLatencies, 0.5).toFixed(3)),
    graph_predict_p99_ms: Number(percentile(graphLatencies, 0.99).toFixed(3)),
    final_val_acc: Number((timed[timed.length - 1].val_acc ?? 0).toFixed(3)),
    settings: SETTINGS,
  };
}

/**
 * In headless Chromium, per backend, through the lab's own path: the same samples as an .npz
 * imported under Data, then Train → Behavior cloning with the backend forced; the page reports
 * the mean samples/s of the epochs after the first and the one-state predict latency.
 */
async function chromiumRuns(data: ReturnType<typeof syntheticData>) {
  const dir = mkdtempSync(join(tmpdir(), 'rl-lab-bc-'));
  const npz = join(dir, 'bench_offline.npz');
  writeFileSync(npz, writeNpz({
    states: { values: data.states, shape: [data.actions.length, STATE_SIZE], dtype: '<f4' },
    actions: { values: data.actions, shape: [data.actions.length], dtype: '<i8' },
    strengths: { values: data.strengths, shape: [data.actions.length], dtype: '<f4' },
  }, false));
  // behavior cloning has no rollouts: only the WASM pair (kernel, TensorFlow.js) differs
  return variantsInChromium(browserVariants().filter((v) => v.acting === 'host'), async (page, siteUrl, { backend }) => {
    await page.addInitScript(() => localStorage.setItem('rl-trading-lab:sample-offered', 'bench'));
    await page.goto(siteUrl);
    await page.setInputFiles('[data-testid=file-input]', npz);
    await page.waitForSelector(`tr[data-name="bench_offline"][data-rows="${data.actions.length}"]`, { timeout: 120_000 });
    await page.click('nav a[href="#/train"]');
    await page.selectOption('[data-testid=train-algorithm]', BC.id);
    await page.waitForSelector(`[data-testid=train-form][data-algorithm="${BC.id}"]`);
    await page.click('summary:text("PolicyNet and training")');
    // fewer epochs on the slow backends: the figure is a per-epoch rate either way
    await page.fill('input[data-field="max_epochs"]', backend === 'wasm' ? String(1 + TIMED_EPOCHS) : '2');
    await page.selectOption('[data-testid=train-backend]', backend);
    await page.click('[data-testid=train-start]');
    const progress = await page.waitForSelector('[data-testid=train-progress][data-status="completed"], [data-testid=train-progress][data-status="failed"], [data-testid=train-error]', { timeout: 600_000 });
    if ((await progress.getAttribute('data-status')) !== 'completed') {
      return { where: 'chromium' as const, samples_per_s: null, error: await page.textContent('[data-testid=train-error]').catch(() => 'failed'), settings: SETTINGS };
    }
    // the run's evaluation as stored: training speed and one-state latency
    const run = await page.evaluate(() => new Promise<{ backend: string; evaluation: { samples_per_s: number; predict_ms: { p50: number; p99: number } } }>((ok) => {
      const req = indexedDB.open('rl-trading-lab');
      req.onsuccess = () => { const g = req.result.transaction('runs').objectStore('runs').getAll(); g.onsuccess = () => ok(g.result[0]); };
    }));
    return {
      where: 'chromium' as const,
      ...(run.backend === backend ? {} : { error: `ran on ${run.backend}` }),
      samples_per_s: Math.round(run.evaluation.samples_per_s),
      predict_p50_ms: Number(run.evaluation.predict_ms.p50.toFixed(3)),
      predict_p99_ms: Number(run.evaluation.predict_ms.p99.toFixed(3)),
      settings: SETTINGS,
    };
  }, { isolated: process.env.BENCH_ISOLATED === '1' });
}

export async function run() {
  const data = syntheticData(SAMPLES);
  const results: Record<string, unknown>[] = [];
  const nodeBackends = benchBackends(NODE_BACKENDS as ('wasm' | 'cpu')[]);
  // alternating over BENCH_ROUNDS rounds
  const runs = nodeVariants(nodeBackends);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [backend, preference] of runs) {
      preferKernelTraining(preference);
      const r = await nodeRun(backend, data);
      console.log(`node ${backend} (${r.engine}): ${r.samples_per_s} samples/s, predict p50 ${r.predict_p50_ms} ms, p99 ${r.predict_p99_ms} ms`);
      results.push({ ...r, round });
    }
  }
  preferKernelTraining('auto');
  tf.disposeVariables();
  if (!process.env.BENCH_NODE_ONLY) results.push(...(await chromiumRuns(data)));
  return { bench: 'bc', settings: SETTINGS, medians: medians(results, 'samples_per_s'), results };
}
