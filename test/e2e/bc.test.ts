// Behavior cloning in the page: a two-seed PolicyNet ensemble on the teacher's labels of the sample,
// stored as a run (run browser, run page, zip export and import), fine-tuned with PPO; and a run
// paused, resumed, stopped and continued to completion from the run list.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { useSiteInChromium } from './chromium';

const env = useSiteInChromium();

/** Starts a single-seed run of 30 epochs of a wide net in small batches: slow enough to pause, stop or close part-way. */
async function startSlowBcRun(page: Page) {
  await page.goto(env.site.url);
  await page.waitForSelector('tr[data-name="ETH_BTC-5m"]');
  await page.click('nav a[href="#/train"]');
  await page.selectOption('[data-testid=train-algorithm]', 'BC');
  await page.click('summary:text("PolicyNet and training")');
  await page.fill('input[data-field="max_epochs"]', '30');
  await page.fill('input[data-field="batch_size"]', '32');
  // wide layers: on the WebAssembly kernel the default net runs 30 epochs of the sample in about a second
  await page.fill('input[data-field="hidden_dim"]', '512');
  await page.fill('input[data-field="patience"]', '50');
  await page.selectOption('[data-testid=train-backend]', 'wasm');
  await page.click('[data-testid=train-start]');
}

describe('Behavior cloning', () => {
  it('trains an ensemble on teacher-labelled candles and reports validation, members and a backtest', async () => {
    const context = await env.browser.newContext({ acceptDownloads: true });
    const page = await context.newPage();
    page.on('pageerror', (e) => { throw e; });
    await page.goto(env.site.url);
    await page.waitForSelector('tr[data-name="ETH_BTC-5m"]');
    await page.click('nav a[href="#/train"]');
    await page.selectOption('[data-testid=train-algorithm]', 'BC');
    await page.waitForSelector('[data-testid=train-form][data-algorithm="BC"]');
    await page.fill('input[data-field="seeds"]', '1, 2');
    await page.click('summary:text("PolicyNet and training")');
    await page.fill('input[data-field="max_epochs"]', '3');
    await page.selectOption('[data-testid=train-backend]', 'wasm');
    await page.click('[data-testid=train-start]');
    await page.waitForSelector('[data-testid=run-result]', { timeout: 120_000 });
    expect(await page.getAttribute('[data-testid=train-progress]', 'data-status')).toBe('completed');
    const accuracy = Number((await page.textContent('[data-testid=bc-accuracy]'))!.replace(' %', ''));
    expect(accuracy).toBeGreaterThan(40);
    expect(await page.$$eval('[data-testid=bc-confusion] tbody tr', (r) => r.length)).toBe(3);
    expect(await page.textContent('[data-testid=run-result]')).toContain('majority vote');
    // walked over the test segment beside the baselines, net of costs, with the verdict
    const backtest = await page.$$eval('[data-testid=bc-backtest] tbody tr', (r) => r.map((x) => x.querySelector('td')!.textContent));
    expect(backtest.slice(0, 4)).toEqual(['policy', 'teacher ensemble', 'buy and hold', 'hold (never trades)']);
    expect(backtest[4]).toMatch(/^random, as often \(\d+\.\d % of steps; 50 seeds, 5–95 %\)$/);
    expect(await page.textContent('[data-testid=run-result]')).toMatch(/test segment, \d+ windows covering it, net of fees and slippage/);
    expect(await page.textContent('[data-testid=bc-verdict]')).toMatch(/^(The policy (is|loses|does|has)|Beats buy-and-hold)/);

    // the training is a run: its page has the curves per member and the same report; it exports as a zip
    const bcRunId = (await page.textContent('[data-testid=train-run-link]'))!.replace('run ', '').trim();
    await page.click('[data-testid=train-run-link]');
    await page.waitForSelector('[data-testid=run-detail][data-status="completed"]');
    await page.waitForSelector('[data-testid=run-result]');
    expect(await page.$$eval('[data-testid=bc-chart-loss] .u-legend .u-label', (th) => th.map((x) => x.textContent!.trim()).filter(Boolean))).toEqual(expect.arrayContaining(['train (seed 1)', 'validation (seed 2)']));
    expect(await page.textContent('[data-testid=run-detail]')).toContain('6 epochs of at most 6');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=run-detail] [data-testid=export-zip]')]);
    const zipPath = join(mkdtempSync(join(tmpdir(), 'rl-bc-e2e-')), download.suggestedFilename());
    await download.saveAs(zipPath);
    const names = Object.keys(unzipSync(new Uint8Array(readFileSync(zipPath)))).map((n) => n.slice(bcRunId.length + 1));
    expect(names).toEqual(expect.arrayContaining(['config.json', 'train_metrics.jsonl', 'evaluation.json', 'checkpoints/seed_2/best_model/model.json', 'checkpoints/seed_1/final_model/weights.bin']));
    await page.click('a[href="#/runs"]');
    await page.waitForSelector(`tr[data-run="${bcRunId}"] [data-testid=run-env]:text("behavior cloning")`);

    // the zip imports into a fresh profile as the same run
    const other = await env.browser.newContext();
    const fresh = await other.newPage();
    await fresh.goto(`${env.site.url}#/runs`);
    await fresh.setInputFiles('[data-testid=run-import]', zipPath);
    await fresh.waitForSelector(`tr[data-run="${bcRunId}"][data-status="completed"]`);
    await fresh.click(`tr[data-run="${bcRunId}"] a`);
    await fresh.waitForSelector('[data-testid=run-detail][data-status="completed"]');
    await fresh.waitForSelector('[data-testid=bc-confusion]');
    await other.close();
    await page.click('nav a[href="#/train"]');
    await page.selectOption('[data-testid=train-algorithm]', 'BC');

    // fine-tune with PPO from the PolicyNet, then the same PPO from scratch, and compare them
    await page.fill('label:has-text("total_timesteps") input', '4096');
    await page.click('[data-testid=finetune]');
    // the Train form shows what the fine-tune will run before it starts: PPO, the PolicyNet's networks (locked), its learning rate and steps
    await page.waitForSelector('[data-testid=train-init-from]');
    expect(await page.inputValue('[data-testid=train-algorithm]')).toBe('PPO');
    expect(await page.inputValue('input[data-field="total_timesteps"]')).toBe('4096');
    expect(await page.inputValue('input[data-field="learning_rate"]')).toBe('0.0001');
    expect(await page.inputValue('select[data-field="activation"]')).toBe('relu');
    expect(await page.isDisabled('select[data-field="activation"]')).toBe(true);
    expect(await page.isDisabled('input[data-field="net_arch"]')).toBe(true);
    await page.click('[data-testid=train-start]');
    await page.waitForSelector('[data-testid=train-progress][data-status="completed"]', { timeout: 120_000 });
    await page.selectOption('[data-testid=train-algorithm]', 'BC');
    await page.waitForSelector('[data-testid=run-result]'); // the result is still there
    await page.fill('label:has-text("total_timesteps") input', '4096');
    await page.click('[data-testid=finetune-scratch]');
    await page.waitForSelector('[data-testid=train-init-from]', { state: 'detached' });
    expect(await page.inputValue('select[data-field="activation"]')).toBe('relu');
    await page.click('[data-testid=train-start]');
    await page.waitForFunction(() => document.querySelector('[data-testid=train-progress]')?.textContent?.includes('completed') && document.querySelector('[data-testid=train-progress]')?.getAttribute('data-step') === '4096', null, { timeout: 120_000 });
    await page.click('nav a[href="#/runs"]');
    await page.waitForSelector('[data-testid=run-list] tbody tr >> nth=1');
    for (const id of await page.$$eval('[data-testid=run-list] tbody tr', (r) => r.map((x) => x.getAttribute('data-run')!))) if (id !== bcRunId) await page.check(`tr[data-run="${id}"] input[type=checkbox]`);
    await page.click('[data-testid=compare]');
    const diff = await page.waitForSelector('[data-testid=config-diff]');
    expect(await diff.textContent()).toContain(`behavior-cloning run ${bcRunId} (seed 1, best epoch`);
    await context.close();
  });

  it('pauses, resumes and stops a run, which then continues from the run list to completion', async () => {
    const context = await env.browser.newContext();
    const page = await context.newPage();
    page.on('pageerror', (e) => { throw e; });
    await startSlowBcRun(page);
    await page.waitForSelector('[data-testid=train-pause]:not([disabled])', { timeout: 120_000 });
    await page.click('[data-testid=train-pause]');
    await page.waitForSelector('[data-testid=train-progress][data-status="paused"]', { timeout: 60_000 });
    const runId = (await page.textContent('[data-testid=train-run-link]'))!.replace('run ', '').trim();
    await page.click('[data-testid=train-resume]');
    await page.waitForSelector('[data-testid=train-progress][data-status="running"]');
    await page.click('[data-testid=train-stop]');
    await page.waitForSelector('[data-testid=train-progress][data-status="stopped"]', { timeout: 60_000 });
    expect(await page.textContent('[data-testid=run-result]')).toContain('Accuracy'); // a stopped run still reports
    await page.click('nav a[href="#/runs"]');
    const row = await page.waitForSelector(`tr[data-run="${runId}"][data-status="stopped"]`);
    const done = Number(/(\d+) \/ 30 epochs/.exec(await row.evaluate((r) => r.textContent!))![1]);
    expect(done).toBeGreaterThan(0);
    expect(done).toBeLessThan(30);
    await page.click(`tr[data-run="${runId}"] [data-testid=resume]`);
    await page.waitForSelector('[data-testid=train-progress][data-status="completed"]', { timeout: 120_000 });
    await page.click('nav a[href="#/runs"]');
    await page.waitForSelector(`tr[data-run="${runId}"][data-status="completed"]`);
    expect(await page.$$(`[data-testid=run-list] tbody tr`)).toHaveLength(1); // continued, not a new run
    expect(await page.textContent(`tr[data-run="${runId}"]`)).toContain('30 / 30 epochs');
    await context.close();
  });

  it('shows a run whose tab closed as interrupted, and continues it from its checkpoints to the end', async () => {
    const context = await env.browser.newContext();
    let page = await context.newPage();
    await startSlowBcRun(page);
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=train-progress]')?.getAttribute('data-trained')) >= 3, null, { timeout: 120_000 });
    await page.close(); // the tab closes mid-run: its worker dies with it

    page = await context.newPage();
    await page.goto(`${env.site.url}#/runs`);
    const row = await page.waitForSelector('[data-testid=run-list] tbody tr[data-status="interrupted"]');
    const runId = (await row.getAttribute('data-run'))!;
    await page.click(`tr[data-run="${runId}"] [data-testid=resume]`);
    await page.waitForSelector('[data-testid=train-progress][data-status="completed"]', { timeout: 120_000 });
    // the live curves start with the epochs from before the tab closed: one point per epoch in all
    expect(await page.getAttribute('[data-testid=train-progress]', 'data-points')).toBe('30');
    expect(Number(await page.getAttribute('[data-testid=train-progress]', 'data-trained'))).toBeLessThan(30);
    await page.click('nav a[href="#/runs"]');
    await page.waitForSelector(`tr[data-run="${runId}"][data-status="completed"]`);
    expect(await page.textContent(`tr[data-run="${runId}"]`)).toContain('30 / 30 epochs');
    await page.click(`tr[data-run="${runId}"] a`);
    await page.waitForSelector('[data-testid=run-detail][data-status="completed"]');
    expect(await page.textContent('[data-testid=run-detail]')).toContain('30 epochs of at most 30');

    // deleting asks first, and can be undone for a few seconds
    await page.click('a[href="#/runs"]');
    await page.click(`tr[data-run="${runId}"] button:text("Delete…")`);
    await page.click('dialog button:text("Delete")');
    await page.waitForSelector(`tr[data-run="${runId}"]`, { state: 'detached' });
    await page.click('[data-testid=run-undo] button:text("Undo")');
    await page.waitForSelector(`tr[data-run="${runId}"][data-status="completed"]`);
    await context.close();
  });
});
