// Seeds and sweeps end to end: a two-value × two-seed grid defined on the Sweeps page trains as a
// queue, goes on after a reload, and its leaderboard lists its four runs; a run's page offers the
// command line that trains it again; the Train view's button trains N seeds of its settings; and the
// run folders two slices of `npm run sweep` write import through the Runs view as one sweep.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { useSiteInChromium } from './chromium';

const env = useSiteInChromium();
const TINY = { total_timesteps: 512, n_envs: 2, n_steps: 128, batch_size: 128, n_epochs: 1, max_steps: 64, eval_freq: 256 };
const completedOnBoard = (page: Page) => page.$eval('[data-testid=leaderboard]', (b) => Number(b.getAttribute('data-completed'))).catch(() => 0);

describe('Sweeps', () => {
  it('a two-value × two-seed sweep completes through a reload and its leaderboard lists four runs', async () => {
    const page = await env.browser.newPage();
    await page.goto(env.site.url);
    await page.waitForSelector('tr[data-name="ETH_BTC-5m"]');
    await page.keyboard.press('Alt+5');
    await page.waitForSelector('[data-testid=sweep-new]');
    const doc = JSON.parse(await page.inputValue('[data-testid=sweep-json]'));
    await page.fill('[data-testid=sweep-json]', JSON.stringify({ ...doc, name: 'lr two ways', settings: TINY, grid: { learning_rate: [0.0003, 0.001] }, n_seeds: 2 }, null, 2));
    await expect.poll(() => page.textContent('[data-testid=sweep-plan]')).toBe('2 points × 2 seeds = 4 runs, one at a time');
    await page.selectOption('[data-testid=sweep-backend]', 'wasm');
    await page.click('[data-testid=sweep-start]');
    await page.waitForSelector('[data-testid=sweep-detail][data-running="true"]');
    const url = page.url();
    expect(url).toMatch(/#\/sweeps\/sweep_/);

    // the first run completes; the page is reloaded while the queue goes on
    await expect.poll(() => completedOnBoard(page), { timeout: 120_000, interval: 500 }).toBeGreaterThanOrEqual(1);
    expect(await completedOnBoard(page)).toBeLessThan(4);
    await page.reload();
    await page.waitForSelector('[data-testid=sweep-detail]');
    await expect.poll(() => completedOnBoard(page), { timeout: 120_000, interval: 2000 }).toBe(4).catch(async (e) => {
      // what the page says, to tell a stuck queue from a slow one
      throw new Error(`${(e as Error).message}; the page says: ${(await page.textContent('[data-testid=sweep-detail]'))?.replace(/\s+/g, ' ').slice(0, 600)}`);
    });
    await page.waitForSelector('[data-testid=sweep-detail][data-running="false"]');

    // four runs listed, all completed (a run the reload cut short and that was trained again is named apart)
    expect(await page.$$eval('[data-testid=leaderboard-runs] tbody tr', (trs) => trs.length)).toBe(4);
    const runs = await page.$$eval('[data-testid=leaderboard-runs] tbody tr[data-status=completed]', (trs) => trs.map((t) => t.getAttribute('data-run')));
    expect(runs).toHaveLength(4);
    expect(new Set(runs).size).toBe(4);
    const points = await page.$$eval('[data-testid=leaderboard-points] tbody tr', (trs) => trs.map((t) => [...t.querySelectorAll('td')].map((td) => td.textContent!.trim())));
    expect(points.map((p) => [p[1], p[2]]).sort()).toEqual([['learning_rate 0.0003', '2 / 2'], ['learning_rate 0.001', '2 / 2']]);
    // net P&L as mean ± spread over the two seeds, ranked best first
    const means = points.map((p) => Number(p[3].split(' ')[0]));
    expect(points[0][3]).toMatch(/^-?\d+\.\d\d % ± \d+\.\d\d$/);
    expect(means[0]).toBeGreaterThanOrEqual(means[1]);
    expect(await page.$$eval('[data-testid=leaderboard-charts] figure', (f) => f.length)).toBe(2);

    // a run's page gives the command line that trains it again
    await page.click(`[data-testid=leaderboard-runs] tr[data-run="${runs[0]}"] a`);
    await page.waitForSelector('[data-testid=run-detail][data-loaded="true"]');
    await page.click('[data-testid=copy-command] summary');
    const line = await page.textContent('[data-testid=copy-command-text]');
    expect(line).toMatch(/^npm run train -- --data ETH_BTC-5m\.parquet --algo ppo --env \S+ .*--total-timesteps 512 .*--learning-rate 0\.00(03|1) .*--seed [12] .*--backend wasm --name '[^']+'$/);
    await page.close();
  }, 600_000);

  it("the Train view's button trains N seeds of its settings as one group", async () => {
    const page = await env.browser.newPage();
    await page.goto(env.site.url);
    await page.waitForSelector('tr[data-name="ETH_BTC-5m"]');
    await page.click('nav a[href="#/train"]');
    await page.waitForSelector('[data-testid=train-start]:not([disabled])');
    await page.fill('input[data-field="total_timesteps"]', '512');
    await page.selectOption('[data-testid=train-backend]', 'wasm');
    await page.fill('[data-testid=seeds-count]', '2');
    await page.click('[data-testid=seeds-start]');
    await page.waitForSelector('[data-testid=sweep-detail]');
    await expect.poll(() => completedOnBoard(page), { timeout: 300_000, interval: 2000 }).toBe(2);
    const seeds = await page.$$eval('[data-testid=leaderboard-runs] tbody tr[data-status=completed] td:nth-child(4)', (tds) => tds.map((t) => t.textContent!.trim()).sort());
    expect(seeds).toEqual(['1', '2']);
    await page.close();
  }, 600_000);

  it('the run folders of `npm run sweep --index 0 --count 2` and `--index 1 --count 2` import as one sweep of four runs', async () => {
    const root = resolve(__dirname, '../..');
    const work = mkdtempSync(join(tmpdir(), 'rl-sweep-e2e-'));
    const grid = join(work, 'grid.json');
    writeFileSync(grid, JSON.stringify({ name: 'two slices', data: join(root, 'public/samples/ETH_BTC-5m.parquet'), algo: 'ppo', settings: TINY, grid: { learning_rate: [0.0003, 0.001] }, seeds: [1, 2] }));
    const zips: string[] = [];
    for (const index of [0, 1]) {
      const out = join(work, `slice-${index}`);
      execFileSync(process.execPath, [join(root, 'node_modules/tsx/dist/cli.mjs'), join(root, 'src/cli/sweep.ts'), '--grid', grid, '--out', out, '--index', String(index), '--count', '2', '--backend', 'cpu', '--quiet'], { cwd: root, stdio: 'ignore' });
      const names = readdirSync(out);
      expect(names).toHaveLength(2);
      // each run folder zipped as the lab exports it
      for (const name of names) {
        const files: Record<string, Uint8Array> = {};
        const walk = (dir: string, prefix: string) => {
          for (const entry of readdirSync(dir)) {
            const path = join(dir, entry);
            if (statSync(path).isDirectory()) walk(path, `${prefix}${entry}/`);
            else files[`${prefix}${entry}`] = new Uint8Array(readFileSync(path));
          }
        };
        walk(join(out, name), `${name}/`);
        const zip = join(work, `${name}.zip`);
        writeFileSync(zip, zipSync(files, { level: 0 }));
        zips.push(zip);
      }
    }
    const page = await env.browser.newPage();
    await page.goto(`${env.site.url}#/runs`);
    for (const [i, zip] of zips.entries()) {
      await page.waitForSelector('[data-testid=run-import]', { state: 'attached' });
      await page.setInputFiles('[data-testid=run-import]', zip);
      await expect.poll(() => page.$$eval('[data-testid=run-list] tbody tr', (t) => t.length), { timeout: 30_000 }).toBe(i + 1);
    }
    await page.keyboard.press('Alt+5');
    await page.waitForSelector('[data-testid=sweep-list]');
    const row = await page.$$eval('[data-testid=sweep-list] tbody tr', (trs) => trs.map((t) => [...t.querySelectorAll('td')].map((td) => td.textContent!.trim())));
    expect(row).toEqual([['two slices', '4 of 4', 'imported runs', '—']]);
    await page.click('[data-testid=sweep-list] a');
    await expect.poll(() => completedOnBoard(page), { timeout: 30_000 }).toBe(4);
    expect(await page.$$eval('[data-testid=leaderboard-points] tbody tr', (trs) => trs.map((t) => t.querySelectorAll('td')[2].textContent!.trim()))).toEqual(['2 / 2', '2 / 2']);
    await page.close();
  }, 300_000);
});
