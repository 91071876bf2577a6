// Import benchmark: a 1,000,000-row 5-minute OHLCV CSV (ISO timestamps) and the same rows as
// Parquet, each imported through the real worker path of the built site in headless Chromium:
// file input → worker parse / validate → IndexedDB commit → dataset listed on the page.
// Each import runs in a fresh browser context (a new worker, an empty store), RUNS times;
// seconds are the median, heap and main-thread task the worst seen.
import { execSync } from 'node:child_process';
import { statSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { heapSampler } from '../test/support/heap';
import { benchFiles } from './generate';
import { launchChromium, serveDist } from '../test/support/site';

const ROWS = 1_000_000;
const RUNS = 3;

async function importOnce(browser: Browser, url: string, path: string) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.addInitScript(() => {
    localStorage.setItem('rl-trading-lab:sample-offered', 'bench'); // no sample import in the way
    const w = window as unknown as { __importStart: number; __longTasks: number[] };
    w.__longTasks = [];
    document.addEventListener('change', () => { w.__importStart = performance.now(); }, true);
    new PerformanceObserver((list) => { for (const e of list.getEntries()) w.__longTasks.push(e.duration); }).observe({ type: 'longtask', buffered: true });
  });
  await page.goto(url);
  await page.waitForSelector('[data-testid=file-input]', { state: 'attached' });
  await page.waitForTimeout(300);
  const heap = await heapSampler(page);
  await page.evaluate(() => { (window as unknown as { __longTasks: number[] }).__longTasks = []; });
  await page.setInputFiles('[data-testid=file-input]', path);
  await page.waitForSelector(`tr[data-rows="${ROWS}"]`, { timeout: 120_000 });
  const timing = await page.evaluate(() => {
    const w = window as unknown as { __importStart: number; __longTasks: number[] };
    return { seconds: (performance.now() - w.__importStart) / 1000, longestTaskMs: Math.max(0, ...w.__longTasks) };
  });
  // the chart and preview of the new dataset load after it is listed: include their tasks
  await page.waitForSelector('[data-testid=price-chart] canvas');
  await page.waitForTimeout(300);
  const longestTaskMs = await page.evaluate(() => Math.max(0, ...(window as unknown as { __longTasks: number[] }).__longTasks));
  const phases: Record<string, number> = JSON.parse((await page.getAttribute('[data-testid=import-report]', 'data-phase-seconds')) ?? '{}');
  await heap.stop();
  await context.close();
  return { seconds: timing.seconds, longestTaskMs, peakHeap: heap.peak, workers: heap.workers, phases };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x: number, d = 3) => +x.toFixed(d);

export async function run() {
  console.log('building the site…');
  execSync('npx vite build', { stdio: 'ignore' });
  console.log(`generating ${ROWS.toLocaleString()} rows (cached in .bench/)…`);
  const files = benchFiles(ROWS);
  const sizes = { csv: statSync(files.csv).size, parquet: statSync(files.parquet).size };
  const site = await serveDist();
  const browser = await launchChromium(['--enable-precise-memory-info']);
  const results: Record<'csv' | 'parquet', Awaited<ReturnType<typeof importOnce>>[]> = { csv: [], parquet: [] };
  for (let r = 0; r < RUNS; r++) {
    for (const format of ['csv', 'parquet'] as const) {
      const res = await importOnce(browser, site.url, files[format]);
      results[format].push(res);
      const phases = Object.entries(res.phases).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ');
      console.log(`${format} run ${r + 1}: ${res.seconds.toFixed(2)} s (worker: ${phases}), peak heap ${(res.peakHeap / 1e6).toFixed(0)} MB over page + ${res.workers} worker(s), longest main-thread task ${res.longestTaskMs.toFixed(0)} ms`);
    }
  }
  await browser.close();
  await site.close();
  const csvSeconds = median(results.csv.map((r) => r.seconds));
  const parquetSeconds = median(results.parquet.map((r) => r.seconds));
  const peak = (f: 'csv' | 'parquet') => Math.max(...results[f].map((r) => r.peakHeap)) / 1e6;
  return {
    bench: 'import',
    rows: ROWS,
    runs: RUNS,
    csv_mb: round(sizes.csv / 1e6, 1),
    parquet_mb: round(sizes.parquet / 1e6, 1),
    csv_seconds: round(csvSeconds),
    csv_rows_per_s: Math.round(ROWS / csvSeconds),
    parquet_seconds: round(parquetSeconds),
    parquet_rows_per_s: Math.round(ROWS / parquetSeconds),
    peak_heap_mb: round(Math.max(peak('csv'), peak('parquet')), 1),
    csv_peak_heap_mb: round(peak('csv'), 1),
    parquet_peak_heap_mb: round(peak('parquet'), 1),
    peak_heap_vs_csv_size: round(Math.max(peak('csv'), peak('parquet')) / (sizes.csv / 1e6), 2),
    longest_main_task_ms: Math.round(Math.max(...[...results.csv, ...results.parquet].map((r) => r.longestTaskMs))),
  };
}
