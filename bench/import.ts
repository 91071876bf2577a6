// Import benchmark: a 1,000,000-row 5-minute OHLCV CSV (ISO timestamps) and the same rows as
// Parquet, each imported through the real worker path of the built site in headless Chromium:
// file input → worker parse / validate → IndexedDB commit → dataset listed on the page.
import { execSync } from 'node:child_process';
import { statSync } from 'node:fs';
import type { CDPSession, Page } from 'playwright-core';
import { benchFiles } from './generate';
import { launchChromium, serveDist } from '../test/support/site';

const ROWS = 1_000_000;

/** Samples the page's and the data worker's JS heap (V8 heap plus ArrayBuffer backing stores). */
async function heapSampler(page: Page) {
  const session: CDPSession = await page.context().newCDPSession(page);
  await session.send('Performance.enable');
  const workers = new Set<string>();
  let nextId = 1;
  const pending = new Map<number, (v: { usedSize: number; backingStorageSize?: number }) => void>();
  session.on('Target.attachedToTarget', (e) => { if (e.targetInfo.type === 'worker') workers.add(e.sessionId); });
  session.on('Target.detachedFromTarget', (e) => { if (e.sessionId) workers.delete(e.sessionId); });
  session.on('Target.receivedMessageFromTarget', (e) => {
    const msg = JSON.parse(e.message);
    pending.get(msg.id)?.(msg.result ?? { usedSize: 0 });
    pending.delete(msg.id);
  });
  await session.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: false });
  const workerHeap = async (sessionId: string) => {
    const id = nextId++;
    const result = new Promise<{ usedSize: number; backingStorageSize?: number }>((ok) => pending.set(id, ok));
    await session.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method: 'Runtime.getHeapUsage' }) });
    return Promise.race([result, new Promise<{ usedSize: number }>((ok) => setTimeout(() => ok({ usedSize: 0 }), 500))]);
  };
  let peak = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const metrics = await session.send('Performance.getMetrics');
      let total = metrics.metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? 0;
      for (const w of workers) {
        const h = await workerHeap(w);
        total += h.usedSize + (h.backingStorageSize ?? 0);
      }
      peak = Math.max(peak, total);
      await new Promise((r) => setTimeout(r, 25));
    }
  })();
  return {
    reset() { peak = 0; },
    get peak() { return peak; },
    async stop() { running = false; await loop; },
  };
}

async function importTimed(page: Page, path: string, name: string): Promise<{ seconds: number; longestTaskMs: number; phases: Record<string, number> }> {
  await page.evaluate(() => { (window as unknown as { __longTasks: number[] }).__longTasks = []; });
  await page.setInputFiles('[data-testid=file-input]', path);
  await page.waitForSelector(`tr[data-name="${name}"][data-rows="${ROWS}"]`, { timeout: 120_000 });
  const timing = await page.evaluate(() => {
    const w = window as unknown as { __importStart: number; __longTasks: number[] };
    return { seconds: (performance.now() - w.__importStart) / 1000, longestTaskMs: Math.max(0, ...w.__longTasks) };
  });
  const phases = JSON.parse((await page.getAttribute('[data-testid=import-report]', 'data-phase-seconds')) ?? '{}');
  return { ...timing, phases };
}

export async function run() {
  console.log('building the site…');
  execSync('npx vite build', { stdio: 'ignore' });
  console.log(`generating ${ROWS.toLocaleString()} rows (cached in .bench/)…`);
  const files = benchFiles(ROWS);
  const csvBytes = statSync(files.csv).size;
  const site = await serveDist();
  const browser = await launchChromium(['--enable-precise-memory-info']);
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.addInitScript(() => {
    localStorage.setItem('rl-trading-lab:sample-offered', 'bench');
    const w = window as unknown as { __importStart: number; __longTasks: number[] };
    w.__longTasks = [];
    document.addEventListener('change', () => { w.__importStart = performance.now(); }, true);
    new PerformanceObserver((list) => { for (const e of list.getEntries()) w.__longTasks.push(e.duration); }).observe({ type: 'longtask', buffered: true });
  });
  await page.goto(site.url);
  await page.waitForSelector('[data-testid=file-input]', { state: 'attached' });
  const heap = await heapSampler(page);

  console.log(`importing CSV (${(csvBytes / 1e6).toFixed(1)} MB)…`);
  const csv = await importTimed(page, files.csv, `candles-${ROWS}`);
  const csvPeak = heap.peak;
  console.log(`  phases (worker): ${JSON.stringify(csv.phases)}`);
  console.log(`  ${csv.seconds.toFixed(2)} s, longest main-thread task ${csv.longestTaskMs.toFixed(0)} ms, peak heap ${(csvPeak / 1e6).toFixed(0)} MB`);

  // The CSV dataset is deleted so the Parquet one (same name) is the only row to wait for.
  await page.click('text=Delete…');
  await page.click('dialog.confirm button.danger');
  await page.waitForSelector(`tr[data-name="candles-${ROWS}"]`, { state: 'detached' });
  heap.reset();
  const parquetBytes = statSync(files.parquet).size;
  console.log(`importing Parquet (${(parquetBytes / 1e6).toFixed(1)} MB)…`);
  const parquet = await importTimed(page, files.parquet, `candles-${ROWS}`);
  const parquetPeak = heap.peak;
  console.log(`  phases (worker): ${JSON.stringify(parquet.phases)}`);
  console.log(`  ${parquet.seconds.toFixed(2)} s, longest main-thread task ${parquet.longestTaskMs.toFixed(0)} ms, peak heap ${(parquetPeak / 1e6).toFixed(0)} MB`);

  await heap.stop();
  await browser.close();
  await site.close();
  const peakHeapMb = Math.max(csvPeak, parquetPeak) / 1e6;
  return {
    bench: 'import',
    rows: ROWS,
    csv_mb: +(csvBytes / 1e6).toFixed(1),
    parquet_mb: +(parquetBytes / 1e6).toFixed(1),
    csv_seconds: +csv.seconds.toFixed(3),
    csv_rows_per_s: Math.round(ROWS / csv.seconds),
    parquet_seconds: +parquet.seconds.toFixed(3),
    parquet_rows_per_s: Math.round(ROWS / parquet.seconds),
    peak_heap_mb: +peakHeapMb.toFixed(1),
    peak_heap_vs_csv_size: +(peakHeapMb / (csvBytes / 1e6)).toFixed(2),
    longest_main_task_ms: Math.round(Math.max(csv.longestTaskMs, parquet.longestTaskMs)),
  };
}
