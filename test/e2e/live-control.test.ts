// Live control in the page, as TensorFlow Playground has it: a PPO run paused, stepped one update
// at a time, its learning rate changed mid-run; the change is in the run (its page, its exported
// config.json and training metrics, its report).
import { readFileSync } from 'node:fs';
import { unzipSync, strFromU8 } from 'fflate';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { useSiteInChromium } from './chromium';

const env = useSiteInChromium();

const trained = async (page: Page) => Number(await page.getAttribute('[data-testid=train-progress]', 'data-trained'));
const waitPausedAt = (page: Page, n: number) =>
  page.waitForSelector(`[data-testid=train-progress][data-status="paused"][data-trained="${n}"]`, { timeout: 120_000 });

describe('Live control', () => {
  it('steps one update while paused; a mid-run learning-rate change is recorded and appears in the exported config', async () => {
    const context = await env.browser.newContext({ acceptDownloads: true });
    const page = await context.newPage();
    page.on('pageerror', (e) => { throw e; });
    await page.goto(env.site.url);
    await page.waitForSelector('tr[data-name="ETH_BTC-5m"][data-rows="5760"]');
    await page.click('nav a[href="#/train"]');
    await page.waitForSelector('[data-testid=train-start]');
    // 10 updates of 8 × 256 steps, the learning rate annealed (PPO's default)
    await page.fill('input[data-field="total_timesteps"]', '20480');
    await page.selectOption('[data-testid=train-backend]', 'wasm');
    await page.click('[data-testid=train-start]');
    await page.waitForSelector('[data-testid=train-pause]:not([disabled])', { timeout: 120_000 });
    await page.click('[data-testid=train-pause]');
    await page.waitForSelector('[data-testid=train-progress][data-status="paused"]', { timeout: 120_000 });
    const n = await trained(page);
    expect(n).toBeLessThan(8);

    // one step: exactly one update, then paused again
    await page.click('[data-testid=train-step]');
    await waitPausedAt(page, n + 1);
    await page.waitForTimeout(500);
    expect(await trained(page)).toBe(n + 1);
    expect(await page.getAttribute('[data-testid=train-progress]', 'data-status')).toBe('paused');

    // the learning rate changed while paused: it takes effect from the next update
    expect(await page.inputValue('[data-testid=control-learning_rate]')).toBe('0.0003');
    await page.fill('[data-testid=control-learning_rate]', '0.001');
    await page.click('[data-testid=control-learning_rate-apply]');
    await page.waitForSelector('[data-testid=control-learning_rate-pending]');
    await page.click('[data-testid=train-step]');
    await waitPausedAt(page, n + 2);
    expect(await page.textContent('[data-testid=control-changes]')).toContain(`learning_rate 0.0003 → 0.001 at update ${n + 2}`);
    await page.click('[data-testid=train-resume]');
    await page.waitForSelector('[data-testid=train-progress][data-status="completed"]', { timeout: 240_000 });
    // the live charts mark it: a line at the step its update started from, on each chart
    await page.waitForSelector('.control-marker');
    const marks = await page.$$eval('.control-marker', (ms) => ms.map((m) => [m.getAttribute('data-x'), m.getAttribute('title')]));
    expect(marks.length).toBeGreaterThanOrEqual(4);
    expect(marks[0]).toEqual([String((n + 1) * 2048), `learning_rate 0.0003 → 0.001 (from update ${n + 2})`]);

    // the run's page lists the change
    await page.click('[data-testid=train-run-link]');
    await page.waitForSelector('[data-testid=run-detail][data-status="completed"]');
    const row = await page.$$eval('[data-testid=run-controls] tbody tr', (rs) => rs.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent!.trim())));
    expect(row).toEqual([[expect.stringContaining(`update ${n + 2}`), 'learning_rate', '0.0003', '0.001']]);
    // and its charts mark it at the same step
    await page.waitForSelector('.charts-grid .control-marker');
    expect(await page.$$eval('.charts-grid .control-marker', (ms) => ms.map((m) => m.getAttribute('data-x')))).toContain(String((n + 1) * 2048));

    // the exported run folder: config.json records it; the metrics show the rate it trained with
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=run-detail] [data-testid=export-zip]')]);
    const files = unzipSync(new Uint8Array(readFileSync((await download.path())!)));
    const name = (suffix: string) => Object.keys(files).find((f) => f.endsWith(suffix))!;
    const config = JSON.parse(strFromU8(files[name('/config.json')]));
    expect(config.controls).toEqual([{ update: n + 2, name: 'learning_rate', from: 0.0003, to: 0.001 }]);
    const metrics = strFromU8(files[name('/train_metrics.jsonl')]).trim().split('\n').map((l) => JSON.parse(l));
    const lr = (u: number) => metrics.find((m) => m.update === u)['train/learning_rate'];
    const frac = (u: number) => 1 - (u - 1) / 10;
    expect(lr(n + 1)).toBeCloseTo(0.0003 * frac(n + 1), 9);
    expect(lr(n + 2)).toBeCloseTo(0.001 * frac(n + 2), 9);
    expect(lr(10)).toBeCloseTo(0.001 * frac(10), 9);

    // and the report
    const [report] = await Promise.all([page.waitForEvent('download'), page.click('button:text("Report (.md)")')]);
    const md = readFileSync((await report.path())!, 'utf8');
    expect(md).toContain('## Settings changed while it trained');
    expect(md).toMatch(new RegExp(`\\| ${n + 2} \\| learning\\\\?_rate \\| 0\\.0003 \\| 0\\.001 \\|`));
    await context.close();
  }, 400_000);
});
