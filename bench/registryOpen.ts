// Opening a model of 100 versions in the Models view (seed 003's registry; goal: under 0.5 s in
// headless Chromium). The versions are a PPO run's (test/fixtures/runs/), numbered and aliased by
// the registry's own rules, each with a checkpoint of CHECKPOINT_BYTES of weights (a [256, 256]
// PPO checkpoint with its Adam moments is about 1.8 MB), written into the page's IndexedDB; then the
// model's page is opened from the Models list RUNS times and timed from the click until its 100
// rows are in the page. Listing reads the versions' records only, never their checkpoints.
//
// registryOpenBench(browser, url) returns the figures; `npx tsx bench/registryOpen.ts` runs it alone.
import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { versionDraftFromRun } from '../src/core/registry/lineage';
import { registerChange } from '../src/core/registry/rules';
import type { ModelRecord, ModelState, ModelVersion } from '../src/core/registry/types';
import { readRunZip } from '../src/services/runArchive';
import { launchChromium, serveDist } from '../test/support/site';

const VERSIONS = 100;
const RUNS = 5;
const CHECKPOINT_BYTES = 1_000_000;
const MODEL = 'bench-sizer';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The model record and its versions as the registry would hold them after VERSIONS registrations. */
function registryRecords(): { model: ModelRecord; versions: ModelVersion[]; run: unknown } {
  const runId = 'run_20250102_030405';
  const records = readRunZip(new Uint8Array(readFileSync(resolve(import.meta.dirname, `../test/fixtures/runs/${runId}.zip`))), `${runId}.zip`);
  const best = records.checkpoints.find((c) => c.name === 'best')!;
  let state: ModelState = { model: null, versions: [] };
  for (let n = 1; n <= VERSIONS; n++) {
    const draft = versionDraftFromRun(records.config, best, records.evaluations, { tags: ['bench'], notes: `version ${n}` });
    const { change } = registerChange(state, MODEL, draft, { run: records.config, checkpoint: best }, new Date(Date.UTC(2025, 0, 1) + n * 60_000).toISOString());
    state = { model: change.model, versions: [...state.versions, ...(change.versions ?? [])] };
  }
  return { model: state.model!, versions: state.versions, run: records.config };
}

/** Writes the model, its versions and a checkpoint of `bytes` weights per version into the page's database. */
async function seed(page: import('playwright-core').Page, data: ReturnType<typeof registryRecords>) {
  await page.evaluate(async ({ model, versions, run, bytes }) => {
    const db = await new Promise<IDBDatabase>((ok, fail) => {
      const req = indexedDB.open('rl-trading-lab');
      req.onsuccess = () => ok(req.result);
      req.onerror = () => fail(req.error);
    });
    for (let i = 0; i < versions.length; i += 10) {
      const tx = db.transaction(['models', 'modelVersions', 'modelCheckpoints'], 'readwrite');
      tx.objectStore('models').put(model);
      for (const v of versions.slice(i, i + 10)) {
        tx.objectStore('modelVersions').put(v);
        const values = new Float32Array(bytes / 4);
        for (let k = 0; k < values.length; k++) values[k] = Math.sin(k + v.version);
        tx.objectStore('modelCheckpoints').put({ model: v.model, version: v.version, run, checkpoint: { runId: (run as { run_id: string }).run_id, name: 'best', step: 256, kind: 'best', timestamp: '', checkpoint: { payload: { weights: [{ name: 'w', shape: [values.length], values }] } } } });
      }
      await new Promise((ok, fail) => { tx.oncomplete = ok; tx.onerror = () => fail(tx.error); });
    }
    db.close();
  }, { ...data, bytes: CHECKPOINT_BYTES });
}

/** registry_open_100_ms: from the click on the model in the Models list until its 100 versions are in the page (median of RUNS). */
export async function registryOpenBench(browser: Browser, url: string): Promise<{ registry_open_100_ms: number; registry_read_100_ms: number; registry_versions: number; registry_checkpoint_mb: number }> {
  const data = registryRecords();
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.addInitScript((count: number) => {
      localStorage.setItem('rl-trading-lab:sample-offered', 'bench'); // no sample import in the way
      const w = window as unknown as { __start: number; __shown: number };
      document.addEventListener('click', (e) => { if ((e.target as Element).closest?.('[data-testid=model-list] a')) { w.__start = performance.now(); w.__shown = 0; } }, true);
      new MutationObserver(() => {
        if (w.__start && !w.__shown && document.querySelectorAll(`[data-testid=model-detail][data-count="${count}"] tr[data-version]`).length === count) w.__shown = performance.now();
      }).observe(document, { subtree: true, childList: true, attributes: true });
    }, VERSIONS);
    await page.goto(`${url}#/models`);
    await page.waitForSelector('[data-testid=models][data-loaded="true"]');
    await seed(page, data);
    const opens: number[] = [], reads: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      // from another section, as a person comes to it
      await page.goto(`${url}#/runs`);
      await page.click('nav a[href="#/models"]');
      await page.waitForSelector(`tr[data-model="${MODEL}"]`);
      await page.click(`tr[data-model="${MODEL}"] a`);
      await page.waitForSelector(`[data-testid=model-detail][data-count="${VERSIONS}"][data-load-ms]`);
      const ms = await page.evaluate(() => { const w = window as unknown as { __start: number; __shown: number }; return w.__shown - w.__start; });
      const read = Number(await page.getAttribute('[data-testid=model-detail]', 'data-load-ms'));
      console.log(`chromium open ${r + 1}: ${ms.toFixed(0)} ms until ${VERSIONS} versions shown (store read ${read.toFixed(0)} ms)`);
      opens.push(ms);
      reads.push(read);
    }
    return { registry_open_100_ms: Math.round(median(opens)), registry_read_100_ms: Math.round(median(reads)), registry_versions: VERSIONS, registry_checkpoint_mb: CHECKPOINT_BYTES / 1e6 };
  } finally {
    await context.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  execSync('npx vite build', { stdio: 'ignore' });
  const site = await serveDist();
  const browser = await launchChromium();
  try {
    console.log(JSON.stringify({ bench: 'registry', ...(await registryOpenBench(browser, site.url)) }));
  } finally {
    await browser.close();
    await site.close();
  }
}
