// The data pipeline benchmark (seed 003). Each measurement is a function returning named figures;
// run() merges them into one JSON object, so another (an append, opening the model registry) is one
// more function and one more line in run().
//
// - scenarios in Node: 1,000,000 bars of every scenario, regime-switching, generated in memory
//   (median of RUNS; goal under 1 s);
// - scenarios in Chromium: the same 1,000,000 bars generated and stored through the built site's
//   Data view and data worker (Generate → worker generates, validates, stores in one transaction →
//   dataset listed), each run in a fresh browser context (goal: listed under 3 s);
// - an append of 100,000 rows to a stored 1,000,000-row dataset through the Data view (goal: listed
//   under 1 s, no main-thread task over 100 ms; bench/pipelineAppend.ts);
// - opening a model of 100 versions in the Models view (goal: under 0.5 s; bench/registryOpen.ts).
import { execSync } from 'node:child_process';
import type { Browser } from 'playwright-core';
import { SCENARIO_NAMES } from '../src/core/scenarios/catalogue';
import { generateScenarios } from '../src/core/scenarios/generate';
import { defaultMarket } from '../src/core/scenarios/market';
import { launchChromium, serveDist } from '../test/support/site';
import { appendBench } from './pipelineAppend';
import { registryOpenBench } from './registryOpen';

const BARS = 1_000_000;
const RUNS = 3;
const NODE_RUNS = 5;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** scenario_rows_per_s and scenario_generate_ms: generation alone, in Node. */
export async function scenarioGenerateBench(): Promise<{ scenario_rows_per_s: number; scenario_generate_ms: number }> {
  const market = defaultMarket(300_000);
  const times: number[] = [];
  for (let r = 0; r < NODE_RUNS; r++) {
    const started = performance.now();
    const g = generateScenarios({ scenarios: [...SCENARIO_NAMES], mix: true, bars: BARS, seed: r + 1, market });
    times.push(performance.now() - started);
    if (g.close.length !== BARS) throw new Error('wrong number of bars');
    console.log(`node run ${r + 1}: ${times[r].toFixed(0)} ms`);
  }
  const ms = median(times);
  return { scenario_rows_per_s: Math.round(BARS / (ms / 1000)), scenario_generate_ms: Math.round(ms) };
}

async function storeOnce(browser: Browser, url: string) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.addInitScript((rows: number) => {
    localStorage.setItem('rl-trading-lab:sample-offered', 'bench'); // no sample import in the way
    const w = window as unknown as { __start: number; __listed: number; __longTasks: number[] };
    w.__longTasks = [];
    document.addEventListener('click', (e) => { if ((e.target as Element).closest?.('[data-testid=generate-scenarios]')) w.__start = performance.now(); }, true);
    // the moment the dataset is listed, seen as the page changes
    new MutationObserver(() => {
      if (w.__start && !w.__listed && document.querySelector(`tr[data-rows="${rows}"]`)) w.__listed = performance.now();
    }).observe(document, { subtree: true, childList: true, attributes: true });
    new PerformanceObserver((list) => { for (const e of list.getEntries()) w.__longTasks.push(e.duration); }).observe({ type: 'longtask', buffered: true });
  }, BARS);
  await page.goto(url);
  await page.click('[data-testid=scenario-generator] summary');
  await page.check('[data-testid=scenario-mix]');
  await page.fill('[data-testid=scenario-bars]', String(BARS));
  await page.fill('[data-testid=scenario-name]', 'bench scenarios');
  await page.waitForTimeout(300);
  await page.evaluate(() => { (window as unknown as { __longTasks: number[] }).__longTasks = []; });
  await page.click('[data-testid=generate-scenarios]');
  await page.waitForSelector(`tr[data-rows="${BARS}"]`, { timeout: 120_000 });
  await page.waitForSelector('[data-testid=scenarios-result]');
  const ms = await page.evaluate(() => { const w = window as unknown as { __start: number; __listed: number }; return w.__listed - w.__start; });
  const phases: Record<string, number> = JSON.parse((await page.getAttribute('[data-testid=scenarios-result]', 'data-phase-seconds')) ?? '{}');
  // the new dataset's view is drawn after it is listed: its tasks count too
  await page.waitForSelector('[data-testid=price-chart] canvas');
  await page.waitForTimeout(300);
  const longestTaskMs = await page.evaluate(() => Math.max(0, ...(window as unknown as { __longTasks: number[] }).__longTasks));
  await context.close();
  return { ms, phases, longestTaskMs };
}

/** scenario_store_ms: generated and stored through the page and the data worker, until listed; with the worker's phases. */
export async function scenarioStoreBench(browser: Browser, url: string) {
  const runs: Awaited<ReturnType<typeof storeOnce>>[] = [];
  for (let r = 0; r < RUNS; r++) {
    const res = await storeOnce(browser, url);
    console.log(`chromium run ${r + 1}: ${res.ms.toFixed(0)} ms until listed (worker: ${Object.entries(res.phases).map(([k, v]) => `${k} ${(v * 1000).toFixed(0)}`).join(', ')}), longest main-thread task ${res.longestTaskMs.toFixed(0)} ms`);
    runs.push(res);
  }
  const phase = (name: string) => Math.round(median(runs.map((r) => (r.phases[name] ?? 0) * 1000)));
  return {
    scenario_store_ms: Math.round(median(runs.map((r) => r.ms))),
    scenario_worker_generate_ms: phase('generating'),
    scenario_worker_validate_ms: phase('validating'),
    scenario_worker_save_ms: phase('saving'),
    scenario_longest_main_task_ms: Math.round(Math.max(...runs.map((r) => r.longestTaskMs))),
  };
}

export async function run() {
  const generate = await scenarioGenerateBench();
  console.log('building the site…');
  execSync('npx vite build', { stdio: 'ignore' });
  const site = await serveDist();
  const browser = await launchChromium();
  try {
    const store = await scenarioStoreBench(browser, site.url);
    const append = await appendBench(browser, site.url);
    const { registry_open_100_ms, ...registry } = await registryOpenBench(browser, site.url);
    return { bench: 'pipeline', ...generate, ...store, ...append, registry_open_ms: registry_open_100_ms, ...registry, bars: BARS, runs: RUNS };
  } finally {
    await browser.close();
    await site.close();
  }
}
