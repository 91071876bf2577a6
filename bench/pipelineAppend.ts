// The pipeline benchmark's append: 100,000 new 5-minute candles appended to a stored 1,000,000-row
// dataset through the built site's Append (file input → data worker: read, compare with the rows
// the dataset has, write the new ones in one transaction → dataset listed at 1,100,000 rows), in
// headless Chromium. Reports the median of RUNS (each in a fresh context) and the longest
// main-thread task seen while appending.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { candlesCsv, candlesParquet, randomWalkCandles, type Candles } from './generate';

const BASE = 1_000_000;
const MORE = 100_000;
const RUNS = 3;

function slice(c: Candles, from: number, to: number): Candles {
  const s = (a: Float64Array) => a.subarray(from, to);
  return { time: s(c.time), open: s(c.open), high: s(c.high), low: s(c.low), close: s(c.close), volume: s(c.volume) };
}

/** The base dataset (Parquet) and the rows that follow it (CSV, as a bot's export would be), cached in .bench/. */
export function appendFiles(): { base: string; more: string } {
  const dir = resolve(import.meta.dirname, '../.bench');
  mkdirSync(dir, { recursive: true });
  const base = resolve(dir, `append_base_${BASE}.parquet`);
  const more = resolve(dir, `append_more_${MORE}.csv`);
  if (!existsSync(base) || !existsSync(more)) {
    const all = randomWalkCandles(BASE + MORE, 777);
    writeFileSync(base, candlesParquet(slice(all, 0, BASE)));
    writeFileSync(more, candlesCsv(slice(all, BASE, BASE + MORE)));
  }
  return { base, more };
}

async function appendOnce(browser: Browser, url: string, files: { base: string; more: string }) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.addInitScript((listedRows: number) => {
    localStorage.setItem('rl-trading-lab:sample-offered', 'bench');
    const w = window as unknown as { __start: number; __listed: number; __longTasks: number[] };
    w.__longTasks = [];
    w.__start = -1; // armed just before the append
    // the append's own change event starts the clock (the page fires others as it draws the grown dataset)
    document.addEventListener('change', () => { if (w.__start === 0) w.__start = performance.now(); }, true);
    // the moment the grown dataset is listed, seen as the page changes (not when a poll notices it)
    new MutationObserver(() => {
      if (w.__start > 0 && !w.__listed && document.querySelector(`tr[data-rows="${listedRows}"]`)) w.__listed = performance.now();
    }).observe(document, { subtree: true, childList: true, attributes: true });
    new PerformanceObserver((list) => { for (const e of list.getEntries()) w.__longTasks.push(e.duration); }).observe({ type: 'longtask', buffered: true });
  }, BASE + MORE);
  await page.goto(url);
  await page.setInputFiles('[data-testid=file-input]', files.base);
  await page.waitForSelector(`tr[data-rows="${BASE}"]`, { timeout: 120_000 });
  await page.waitForSelector('[data-testid=price-chart] canvas');
  await page.waitForTimeout(500);
  await page.evaluate(() => { const w = window as unknown as { __longTasks: number[]; __start: number }; w.__longTasks = []; w.__start = 0; });
  await page.setInputFiles('[data-testid=append-input]', files.more);
  await page.waitForSelector(`tr[data-rows="${BASE + MORE}"]`, { timeout: 120_000 });
  const seconds = await page.evaluate(() => { const w = window as unknown as { __start: number; __listed: number }; return (w.__listed - w.__start) / 1000; });
  const workerSeconds = Number((await page.textContent('[data-testid=append-result]'))?.match(/in ([\d.]+) s/)?.[1] ?? NaN);
  const phases: Record<string, number> = JSON.parse((await page.getAttribute('[data-testid=append-result]', 'data-phase-seconds')) ?? '{}');
  // the dataset's view is drawn again after the append: its tasks count too
  await page.waitForSelector('[data-testid=price-chart] canvas');
  await page.waitForTimeout(300);
  const longestTaskMs = await page.evaluate(() => Math.max(0, ...(window as unknown as { __longTasks: number[] }).__longTasks));
  await context.close();
  return { seconds, workerSeconds, longestTaskMs, phases };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** append_100k_to_1m_ms (listed), the worker's own time, and the longest main-thread task. */
export async function appendBench(browser: Browser, url: string): Promise<{ append_100k_to_1m_ms: number; append_worker_ms: number; append_longest_main_task_ms: number }> {
  const files = appendFiles();
  const runs = [];
  for (let r = 0; r < RUNS; r++) {
    const res = await appendOnce(browser, url, files);
    console.log(`append run ${r + 1}: ${(res.seconds * 1000).toFixed(0)} ms until listed (worker ${(res.workerSeconds * 1000).toFixed(0)} ms: ${Object.entries(res.phases).map(([k, v]) => `${k} ${(v * 1000).toFixed(0)}`).join(', ')}), longest main-thread task ${res.longestTaskMs.toFixed(0)} ms`);
    runs.push(res);
  }
  return {
    append_100k_to_1m_ms: Math.round(median(runs.map((r) => r.seconds)) * 1000),
    append_worker_ms: Math.round(median(runs.map((r) => r.workerSeconds)) * 1000),
    append_longest_main_task_ms: Math.round(Math.max(...runs.map((r) => r.longestTaskMs))),
  };
}
