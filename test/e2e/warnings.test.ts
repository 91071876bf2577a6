// Health warnings that stay: the newcomer's default PPO run on the sample learns nothing, and its
// run page lists that warning with the update where it first fired (as the Train view did while
// it ran); a run stored before warnings were kept gets them by replaying its stored updates.
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { useSiteInChromium } from './chromium';

const env = useSiteInChromium();

const listed = (page: Page) => page.$$eval('[data-testid=run-warnings] li', (ls) => ls.map((l) => ({ key: l.getAttribute('data-key'), update: Number(l.getAttribute('data-update')), text: l.textContent! })));

/** Removes the kept warnings from a stored run, as a run stored before they were kept has none. */
const forgetWarnings = (page: Page, runId: string) => page.evaluate((id) => new Promise<void>((ok, fail) => {
  const req = indexedDB.open('rl-trading-lab');
  req.onerror = () => fail(req.error);
  req.onsuccess = () => {
    const db = req.result;
    const tx = db.transaction('runs', 'readwrite');
    const store = tx.objectStore('runs');
    const get = store.get(id);
    get.onsuccess = () => { const run = get.result; delete run.warnings; store.put(run); };
    tx.oncomplete = () => { db.close(); ok(); };
    tx.onerror = () => fail(tx.error);
  };
}), runId);

describe('Health warnings', () => {
  it('a run page lists the warnings its run raised, each with its update, kept or replayed', async () => {
    const context = await env.browser.newContext();
    const page = await context.newPage();
    page.on('pageerror', (e) => { throw e; });
    await page.goto(env.site.url);
    await page.waitForSelector('tr[data-name="ETH_BTC-5m"][data-rows="5760"]');
    await page.click('nav a[href="#/train"]');
    await page.waitForSelector('[data-testid=train-start]');
    // the default run, shortened to 15 updates: long enough to be judged (from update 10)
    await page.fill('input[data-field="total_timesteps"]', '30720');
    await page.selectOption('[data-testid=train-backend]', 'wasm');
    await page.click('[data-testid=train-start]');
    await page.waitForSelector('[data-testid=train-progress][data-status="completed"]', { timeout: 300_000 });
    // the Train view showed it while it ran, and keeps it
    const live = await page.$$eval('[data-testid=train-warnings] li', (ls) => ls.map((l) => l.getAttribute('data-key')));
    expect(live).toContain('learns_nothing');

    await page.click('[data-testid=train-run-link]');
    await page.waitForSelector('[data-testid=run-detail][data-status="completed"]');
    await page.waitForSelector('[data-testid=run-warnings] li');
    const kept = await listed(page);
    const nothing = kept.find((w) => w.key === 'learns_nothing')!;
    expect(nothing.update).toBe(10);
    expect(nothing.text).toMatch(/^update 10 · step 20,480 ⚠ The run is learning nothing: approx\. KL .* explained variance .* (action mix stays as uniform|random policy's band|buy-and-hold's)/);
    expect(await page.$('[data-testid=run-warnings-replayed]')).toBeNull();

    // the same run as if stored before warnings were kept: replayed from its updates, the same list
    const runId = page.url().split('/').pop()!;
    await forgetWarnings(page, runId);
    await page.reload();
    await page.waitForSelector('[data-testid=run-warnings-replayed]');
    expect((await listed(page)).map((w) => [w.key, w.update])).toEqual(kept.map((w) => [w.key, w.update]));
    await context.close();
  }, 400_000);
});
