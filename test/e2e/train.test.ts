// Training end to end: the built site, the training worker, PPO on the bundled sample, the run in IndexedDB.
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { useSiteInChromium } from './chromium';

const env = useSiteInChromium();


interface RunRow { n_envs: number; n_steps: number; run_id: string; status: string; backend: string; backend_trials: { backend: string; ok: boolean; samplesPerSecond?: number; cached?: boolean }[]; final_metrics: { total_episodes: number; mean_reward: number | null }; total_timesteps: number }

const runs = (page: Page) =>
  page.evaluate(() => new Promise<{ runs: RunRow[]; counts: Record<string, number> }>((ok, fail) => {
    const req = indexedDB.open('rl-trading-lab');
    req.onerror = () => fail(req.error);
    req.onsuccess = () => {
      const db = req.result;
      const stores = ['runs', 'episodes', 'evaluations', 'updates', 'checkpoints'];
      const tx = db.transaction(stores);
      const all = tx.objectStore('runs').getAll();
      const counts: Record<string, IDBRequest<number>> = {};
      for (const s of stores) counts[s] = tx.objectStore(s).count();
      tx.oncomplete = () => {
        ok({ runs: all.result as RunRow[], counts: Object.fromEntries(Object.entries(counts).map(([k, r]) => [k, r.result])) });
        db.close();
      };
    };
  }));

async function openTrain(page: Page) {
  page.on('pageerror', (e) => { throw e; });
  await page.goto(env.site.url);
  await page.waitForSelector('tr[data-name="ETH_BTC-5m"][data-rows="5760"]');
  await page.click('nav a[href="#/train"]');
  await page.waitForSelector('[data-testid=train-start]');
}

async function train(page: Page, settings: Record<string, string>, backend: string) {
  await page.fill('input[data-field="total_timesteps"]', settings.total_timesteps);
  await page.selectOption('[data-testid=train-backend]', backend);
  if (Object.keys(settings).length > 1) {
    await page.click('summary:text("PPO hyperparameters")');
    for (const [k, v] of Object.entries(settings)) if (k !== 'total_timesteps') await page.fill(`input[data-field="${k}"]`, v);
  }
  await page.click('[data-testid=train-start]');
  await page.waitForSelector('[data-testid=train-progress][data-status="completed"], [data-testid=train-progress][data-status="failed"]', { timeout: 240_000 });
  const error = await page.$('[data-testid=train-error]');
  expect(error ? await error.textContent() : null).toBeNull();
}

describe('Train section', () => {
  it('trains PPO on the sample in a worker, measures the backends once, and records the run', async () => {
    const context = await env.browser.newContext();
    const page = await context.newPage();
    await openTrain(page);
    await train(page, { total_timesteps: '4096' }, 'auto');
    let state = await runs(page);
    expect(state.runs).toHaveLength(1);
    const [first] = state.runs;
    expect(first.status).toBe('completed');
    expect(first.run_id).toMatch(/^run_\d{8}_\d{6}$/);
    // every backend was tried, and the fastest measured one chosen
    const measured = first.backend_trials.filter((t) => t.samplesPerSecond);
    expect(first.backend_trials.map((t) => t.backend).sort()).toEqual(['cpu', 'wasm', 'webgl', 'webgpu']);
    expect(first.backend).toBe(measured.sort((a, b) => b.samplesPerSecond! - a.samplesPerSecond!)[0].backend);
    expect(first.final_metrics.total_episodes).toBeGreaterThan(0);
    expect(state.counts.updates).toBe(2);
    expect(state.counts.evaluations).toBeGreaterThan(0);
    expect(state.counts.checkpoints).toBeGreaterThanOrEqual(2); // best and final
    // the charts drew
    expect(await page.$$eval('[data-testid=chart-reward] canvas', (c) => c.length)).toBe(1);

    // a second run reuses the measurements instead of measuring again
    await train(page, { total_timesteps: '2048' }, 'auto');
    state = await runs(page);
    const second = state.runs.find((r) => r.run_id !== first.run_id)!;
    expect(second.status).toBe('completed');
    expect(second.backend_trials[0].cached).toBe(true);
    expect(second.backend).toBe(first.backend);
    await context.close();
  });

  it('trains on the real WebGPU backend (SwiftShader here) when asked', async () => {
    const context = await env.browser.newContext();
    const page = await context.newPage();
    await openTrain(page);
    await train(page, { total_timesteps: '512', n_envs: '2', n_steps: '64', batch_size: '64', n_epochs: '2', eval_freq: '512', n_eval_episodes: '2' }, 'webgpu');
    const { runs: [run] } = await runs(page);
    expect(run.backend).toBe('webgpu');
    expect([run.n_envs, run.n_steps]).toEqual([2, 64]);
    expect(run.status).toBe('completed');
    expect(await page.textContent('[data-testid=train-progress]')).toContain('completed on webgpu');
    await context.close();
  });

  it('pauses, resumes, then stops a run on request and keeps it, with a final checkpoint, as stopped', async () => {
    const context = await env.browser.newContext();
    const page = await context.newPage();
    await openTrain(page);
    await page.fill('input[data-field="total_timesteps"]', '2000000');
    await page.selectOption('[data-testid=train-backend]', 'wasm');
    await page.click('[data-testid=train-start]');
    const stepNow = () => page.evaluate(() => Number(document.querySelector('[data-testid=train-progress]')?.getAttribute('data-step')));
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=train-progress]')?.getAttribute('data-step')) >= 4096, null, { timeout: 120_000 });
    await page.click('button:text("Pause")');
    await page.waitForSelector('[data-testid=train-progress][data-status="paused"]', { timeout: 60_000 });
    const pausedAt = await stepNow();
    await page.waitForTimeout(1500);
    expect(await stepNow()).toBe(pausedAt);
    await page.click('button:text("Resume")');
    await page.waitForFunction((s) => Number(document.querySelector('[data-testid=train-progress]')?.getAttribute('data-step')) > s, pausedAt, { timeout: 60_000 });
    await page.click('[data-testid=train-stop]');
    await page.waitForSelector('[data-testid=train-progress][data-status="stopped"]', { timeout: 60_000 });
    const state = await runs(page);
    expect(state.runs[0].status).toBe('stopped');
    expect(state.counts.checkpoints).toBeGreaterThanOrEqual(1);
    await context.close();
  });

  it('fills the form from a link, restores the previous settings on Back, and reports a bad value in a link', async () => {
    const context = await env.browser.newContext();
    const page = await context.newPage();
    await openTrain(page);
    const link = 'algo=PPO&env=trade-approval&preset=aggressive&n_envs=4&learning_rate=0.002&net_arch=64,64&target_kl=off&env.fee=0.0005&backend=wasm';
    await page.goto(`${env.site.url}#/train?${link}`);
    await page.waitForFunction(() => (document.querySelector('[data-testid=train-env]') as HTMLSelectElement | null)?.value === 'trade-approval');
    const value = (selector: string) => page.$eval(selector, (e) => (e as HTMLInputElement).value);
    expect(await value('[data-testid=train-algorithm]')).toBe('PPO');
    expect(await value('[data-testid=train-preset]')).toBe('aggressive');
    expect(await value('[data-testid=train-backend]')).toBe('wasm');
    expect(await value('input[data-field="n_envs"]')).toBe('4');
    expect(await value('input[data-field="learning_rate"]')).toBe('0.002');
    expect(await value('input[data-field="net_arch"]')).toBe('64, 64');
    expect(await value('input[data-field="fee"]')).toBe('0.0005');
    expect(await page.isChecked('label:has-text("target_kl") input[type=checkbox]')).toBe(false);
    expect(await page.$('input[data-field="leverage"]')).toBeNull(); // trade-approval has no leverage
    // every change is in the address; Back brings the previous settings
    await page.selectOption('[data-testid=train-algorithm]', 'BC');
    await page.waitForSelector('[data-testid=train-form][data-algorithm="BC"]');
    expect(page.url()).toContain('algo=BC');
    await page.goBack();
    await page.waitForSelector('[data-testid=train-form][data-algorithm="PPO"]');
    expect(await value('input[data-field="n_envs"]')).toBe('4');
    expect(await value('[data-testid=train-env]')).toBe('trade-approval');
    // a bad value is said, and its default used
    await page.goto(`${env.site.url}#/train?algo=PPO&learning_rate=fast&n_envs=-3`);
    const problems = await page.waitForSelector('[data-testid=train-link-problems]');
    expect(await problems.textContent()).toContain('learning_rate: "fast" is not a number');
    expect(await problems.textContent()).toContain('n_envs: "-3"');
    expect(await value('input[data-field="learning_rate"]')).toBe('0.0003');
    expect(await value('input[data-field="n_envs"]')).toBe('8');
    await context.close();
  });
});
