// The run browser end to end: a run trained in the page is listed, opened, exported as a zip,
// imported into a fresh browser profile identical, refused when the zip is unsafe, and compared.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync, zipSync, strToU8 } from 'fflate';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { useSiteInChromium } from './chromium';

const env = useSiteInChromium();
const dir = mkdtempSync(join(tmpdir(), 'rl-lab-runs-'));


/** Every record of every run, as stored, without wall-clock-independent differences. */
const dump = (page: Page) =>
  page.evaluate(() => new Promise<Record<string, unknown[]>>((ok) => {
    const req = indexedDB.open('rl-trading-lab');
    req.onsuccess = () => {
      const stores = ['runs', 'episodes', 'evaluations', 'updates', 'checkpoints'];
      const tx = req.result.transaction(stores);
      const out: Record<string, IDBRequest> = {};
      for (const s of stores) out[s] = tx.objectStore(s).getAll();
      tx.oncomplete = () => {
        const plain = (v: unknown): unknown => (ArrayBuffer.isView(v) ? Array.from(v as Float32Array) : Array.isArray(v) ? v.map(plain) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)])) : v);
        ok(Object.fromEntries(Object.entries(out).map(([k, r]) => [k, plain(r.result) as unknown[]])));
      };
    };
  }));

async function trainOne(page: Page, timesteps: string, lr?: string) {
  await page.click('nav a[href="#/train"]');
  await page.waitForSelector('[data-testid=train-start]');
  await page.fill('input[data-field="total_timesteps"]', timesteps);
  await page.selectOption('[data-testid=train-backend]', 'wasm');
  if (lr) {
    if (!(await page.isVisible('input[data-field="learning_rate"]'))) await page.click('summary:text("PPO hyperparameters")');
    await page.fill('input[data-field="learning_rate"]', lr);
  }
  await page.click('[data-testid=train-start]');
  await page.waitForSelector('[data-testid=train-progress][data-status="completed"]', { timeout: 120_000 });
}

describe('Runs section', () => {
  let exported = '';
  let original: Record<string, unknown[]> = {};

  it('lists a trained run, opens its charts, and exports it as a zip in seed 000 layout', async () => {
    const context = await env.browser.newContext({ acceptDownloads: true });
    const page = await context.newPage();
    await page.goto(env.site.url);
    await page.waitForSelector('tr[data-name="ETH_BTC-5m"]');
    await trainOne(page, '4096');
    await trainOne(page, '2048', '0.001');
    await page.click('nav a[href="#/runs"]');
    await page.waitForSelector('[data-testid=run-list] tbody tr[data-status="completed"] >> nth=1');
    const rows = await page.$$eval('[data-testid=run-list] tbody tr', (trs) => trs.map((t) => t.getAttribute('data-run')!));
    expect(rows).toHaveLength(2);

    // open the first run's charts
    await page.click(`tr[data-run="${rows[1]}"] a`);
    await page.waitForSelector('[data-testid=run-detail][data-loaded="true"]');
    await page.waitForSelector('[data-testid=run-chart-reward] canvas');
    // ten charts of training and health, and the validation walks' net P&L beside buy-and-hold and the random band
    expect(await page.$$eval('.charts-grid figure', (f) => f.length)).toBe(11);

    // export as zip
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('button:text("Export zip")')]);
    exported = join(dir, download.suggestedFilename());
    await download.saveAs(exported);
    const files = Object.keys(unzipSync(new Uint8Array(readFileSync(exported))));
    const runId = rows[1];
    expect(download.suggestedFilename()).toBe(`${runId}.zip`);
    for (const f of ['config.json', 'metrics.json', 'detailed_episodes.jsonl', 'train_metrics.jsonl', 'checkpoints/final_model/model.json', 'checkpoints/final_model/weights.bin']) expect(files).toContain(`${runId}/${f}`);
    expect(files.some((f) => f.startsWith(`${runId}/tensorboard/events.out.tfevents.`))).toBe(true);
    // every checkpoint folder has its ONNX model beside the LayersModel (the import below takes the zip as it is)
    expect(files.filter((f) => f.endsWith('/model.onnx')).map((f) => f.replace(/model\.onnx$/, ''))).toEqual(files.filter((f) => f.endsWith('/model.json')).map((f) => f.replace(/model\.json$/, '')));
    original = await dump(page);

    // the markdown report: config table, final metrics, charts as images
    const [report] = await Promise.all([page.waitForEvent('download'), page.click('button:text("Report (.md)")')]);
    const md = readFileSync(await report.path(), 'utf8');
    expect(report.suggestedFilename()).toBe(`${runId}_report.md`);
    expect(md).toContain('## Final metrics');
    expect(md).toContain('| learning_rate | 0.0003 |');
    expect((md.match(/!\[[^\]]*\]\(data:image\/png;base64,/g) ?? []).length).toBe(11);
    expect(md).toMatch(/net P&L per window \\\[95 %\\\] \| whole walk/);

    // play the best model on the sample's held-out segment
    await page.click('[data-testid=inference] button[type=submit]');
    const result = await page.waitForSelector('[data-testid=inference-result]', { timeout: 60_000 });
    expect((await result.textContent())!.replace(/\s+/g, ' ')).toMatch(/-?\d+\.\d{2} %.* net P&L per window after fees and slippage .*buy and hold -?\d+\.\d{2} %.* -?\d+\.\d{3} ± \d+\.\d{3} reward over \d+ windows of the test segment .* prediction latency p50 \d+\.\d+ ms, p99 \d+\.\d+ ms on wasm/s);
    const table = await page.$$eval('[data-testid=inference-table] tbody tr', (r) => r.map((x) => x.querySelector('td')!.textContent));
    expect(table.slice(0, 2)).toEqual(['best model', 'buy and hold']);
    expect(table.some((t) => /^(always reject|hold \(never trades\))$/.test(t!))).toBe(true); // the environment's constructed policies
    expect(table.at(-1)).toMatch(/^random, as often/);
    expect(await page.textContent('[data-testid=inference-verdict]')).toMatch(/^(The policy (is|loses|does|has)|Beats buy-and-hold)/);
    await page.waitForSelector('[data-testid=inference] [data-testid=price-chart] canvas');

    // compare both runs: curves and the settings that differ
    await page.click('a:text("← Runs")');
    for (const id of rows) await page.check(`tr[data-run="${id}"] input[type=checkbox]`);
    await page.click('[data-testid=compare]');
    await page.waitForSelector('[data-testid=config-diff]');
    const diff = await page.textContent('[data-testid=config-diff]');
    expect(diff).toContain('learning_rate');
    expect(diff).toContain('total_timesteps');
    await context.close();
  });

  it('imports the zip into a fresh browser profile with every record identical', async () => {
    const context = await env.browser.newContext();
    const page = await context.newPage();
    await page.goto(`${env.site.url}#/runs`);
    await page.waitForSelector('[data-testid=run-import]', { state: 'attached' });
    await page.setInputFiles('[data-testid=run-import]', exported);
    await page.waitForSelector('[data-testid=run-list] tbody tr');
    const imported = await dump(page);
    const runId = (await page.$eval('[data-testid=run-list] tbody tr', (t) => t.getAttribute('data-run')))!;
    const only = (records: Record<string, unknown[]>) => Object.fromEntries(Object.entries(records).map(([k, list]) => [k, list.filter((r) => ((r as { runId?: string; run_id?: string }).runId ?? (r as { run_id?: string }).run_id) === runId)]));
    expect(only(imported)).toEqual(only(original));
    await context.close();
  });

  it('shows a run whose tab closed as interrupted, and resumes it from its last checkpoint to the end', async () => {
    const context = await env.browser.newContext();
    let page = await context.newPage();
    await page.goto(env.site.url);
    await page.waitForSelector('tr[data-name="ETH_BTC-5m"]');
    await page.click('nav a[href="#/train"]');
    await page.fill('input[data-field="total_timesteps"]', '24576');
    await page.selectOption('[data-testid=train-backend]', 'wasm');
    await page.click('summary:text("PPO hyperparameters")');
    await page.fill('input[data-field="eval_freq"]', '4096');
    await page.click('[data-testid=train-start]');
    // past the first evaluation, whose best checkpoint is written at once
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=train-progress]')?.getAttribute('data-step')) >= 8192, null, { timeout: 120_000 });
    await page.close(); // the tab closes mid-run: its worker dies with it

    page = await context.newPage();
    await page.goto(`${env.site.url}#/runs`);
    const row = await page.waitForSelector('[data-testid=run-list] tbody tr[data-status="interrupted"]');
    const runId = (await row.getAttribute('data-run'))!;
    await page.click(`tr[data-run="${runId}"] [data-testid=resume]`);
    await page.waitForSelector('[data-testid=train-progress][data-status="completed"]', { timeout: 120_000 });
    const records = await dump(page);
    const run = records.runs.find((r) => (r as { run_id: string }).run_id === runId) as { status: string; progress_timesteps: number; final_metrics: { total_episodes: number } };
    expect(run.status).toBe('completed');
    expect(run.progress_timesteps).toBe(24576);
    // episodes numbered on from the checkpoint, none twice
    const numbers = records.episodes.filter((e) => (e as { runId: string }).runId === runId).map((e) => (e as { episode: number }).episode);
    expect(new Set(numbers).size).toBe(numbers.length);
    expect(run.final_metrics.total_episodes).toBeGreaterThan(0);
    await context.close();
  });

  it('refuses unsafe or broken zips with a clear message and stores nothing', async () => {
    const context = await env.browser.newContext();
    const page = await context.newPage();
    await page.goto(`${env.site.url}#/runs`);
    await page.waitForSelector('[data-testid=run-import]', { state: 'attached' });
    const cases: [string, Uint8Array, RegExp][] = [
      ['evil.zip', zipSync({ 'run_20250101_000000/../../evil.txt': strToU8('x'), 'run_20250101_000000/config.json': strToU8('{}') }), /evil\.zip/],
      ['broken.zip', zipSync({ 'run_20250101_000000/config.json': strToU8('{"run_id": "run_20250101_000000", "status": ') }), /broken\.zip.*config\.json/],
      ['notzip.zip', strToU8('just text'), /notzip\.zip/],
    ];
    for (const [name, bytes, message] of cases) {
      const path = join(dir, name);
      writeFileSync(path, bytes);
      await page.setInputFiles('[data-testid=run-import]', path);
      const error = await page.waitForSelector('[data-testid=runs-error]');
      expect(await error.textContent()).toMatch(message);
    }
    const stored = await dump(page);
    expect(Object.values(stored).every((list) => list.length === 0)).toBe(true);
    await context.close();
  });
});
