// The runs table and compare read at a glance: a PPO run trained in the page shows its test net
// P&L, buy-and-hold difference, Sharpe and drawdown in the list; the metric columns fit a 1280 px
// window without scrolling sideways and no action covers a value; the sort direction shows (and
// is announced); a run with health warnings is flagged with their texts; and compare of three runs
// lists the settings that differ as dotted name / value rows and the money figures side by side;
// a chart saved as an image keeps its legend.
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { useSiteInChromium } from './chromium';

const env = useSiteInChromium();

/** Copies of a stored run under new ids, with some settings changed (written straight into the lab's IndexedDB). */
const cloneRun = (page: Page, from: string, copies: { id: string; name: string; patch: Record<string, unknown>; envPatch?: Record<string, unknown> }[]) =>
  page.evaluate(({ from, copies }) => new Promise<void>((ok, fail) => {
    const req = indexedDB.open('rl-trading-lab');
    req.onsuccess = () => {
      const tx = req.result.transaction('runs', 'readwrite');
      const store = tx.objectStore('runs');
      const get = store.get(from);
      get.onsuccess = () => {
        copies.forEach((c, i) => {
          const run = structuredClone(get.result);
          Object.assign(run, { run_id: c.id, name: c.name, created_at: new Date(Date.parse(run.created_at) + (i + 1) * 60_000).toISOString() }, c.patch);
          if (c.envPatch) run.env_settings = { ...run.env_settings, ...c.envPatch };
          store.put(run);
        });
      };
      tx.oncomplete = () => ok();
      tx.onerror = () => fail(tx.error);
    };
  }), { from, copies });

const cells = (page: Page, runId: string, column: string) => page.textContent(`tr[data-run="${runId}"] td[data-column="${column}"]`).then((t) => t!.trim());

describe('Runs table and compare', () => {
  it('shows a PPO run\'s money columns, fits 1280 px, shows the sort, flags warnings, compares three runs', async () => {
    const context = await env.browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(env.site.url);
    await page.waitForSelector('tr[data-name="ETH_BTC-5m"]'); // the sample a first visit loads
    await page.goto(`${env.site.url}#/train?algo=PPO&env=position&total_timesteps=4096&eval_freq=2048&backend=wasm`);
    await page.waitForSelector('[data-testid=train-start]');
    await page.click('[data-testid=train-start]');
    await page.waitForSelector('[data-testid=train-progress][data-status="completed"]', { timeout: 240_000 });

    await page.click('nav a[href="#/runs"]');
    const row = await page.waitForSelector('[data-testid=run-list] tbody tr[data-status="completed"]');
    const runId = (await row.getAttribute('data-run'))!;
    const stored = await page.evaluate((id) => new Promise<{ final_metrics: Record<string, number | null> }>((ok) => {
      const req = indexedDB.open('rl-trading-lab');
      req.onsuccess = () => { const g = req.result.transaction('runs').objectStore('runs').get(id); g.onsuccess = () => ok(g.result); };
    }), runId);
    const m = stored.final_metrics;
    expect(m.test_net_pnl_pct).toEqual(expect.any(Number));
    // the list reads the run's test net P&L through PPO's own column (it showed "—" when GRPO's reader answered for it)
    expect(await cells(page, runId, 'test_net_pnl')).toBe(m.test_net_pnl_pct!.toFixed(3));
    expect(await cells(page, runId, 'vs_buy_and_hold')).toBe(m.test_buy_and_hold_pct == null ? '—' : (m.test_net_pnl_pct! - m.test_buy_and_hold_pct).toFixed(3));
    expect(await cells(page, runId, 'test_sharpe')).toBe(m.test_sharpe == null ? '—' : m.test_sharpe.toFixed(3));
    expect(await cells(page, runId, 'test_max_drawdown')).toMatch(/^\d+\.\d %$/);
    expect(await cells(page, runId, 'steps')).toBe('4,096 / 4,096');

    // two more runs of other settings, one with two health warnings
    const b = `${runId}_b`, c = `${runId}_c`;
    await cloneRun(page, runId, [
      { id: b, name: 'lower learning rate', patch: { learning_rate: 0.0001, warnings: [{ update: 3, key: 'kl_high', text: 'approx KL above 0.05' }, { update: 5, key: 'learns_nothing', text: 'the run learns nothing' }] }, envPatch: { fee_pct: 0.2 } },
      { id: c, name: 'wider net', patch: { net_arch: [256, 256] } },
    ]);
    await page.reload();
    await page.waitForSelector(`[data-testid=run-list] tr[data-run="${c}"]`);

    // every column in view at 1280 px: the table does not scroll sideways, and no cell lies past the panel's edge
    const fit = await page.$eval('[data-testid=run-list-scroll]', (el) => {
      const box = el.getBoundingClientRect();
      const cellsPast = [...el.querySelectorAll('th, td')].filter((x) => x.getBoundingClientRect().right > box.right + 0.5).length;
      return { scrollWidth: el.scrollWidth, clientWidth: el.clientWidth, cellsPast, stickyCells: [...el.querySelectorAll('td, th')].filter((x) => getComputedStyle(x).position === 'sticky').length };
    });
    expect(fit.scrollWidth).toBeLessThanOrEqual(fit.clientWidth);
    expect(fit.cellsPast).toBe(0);
    expect(fit.stickyCells).toBe(0); // nothing floats over the values
    const headers = await page.$$eval('[data-testid=run-list] thead th', (th) => th.map((x) => x.textContent!.replace(/[▲▼]/g, '').trim()));
    for (const h of ['Test net P&L %', 'vs B&H', 'Sharpe', 'Max DD', 'Val net P&L %', 'Steps', 'lr', 'Created (UTC)']) expect(headers).toContain(h);
    expect(await cells(page, b, 'learning_rate')).toBe('0.0001');
    expect(await page.textContent(`tr[data-run="${runId}"] td.created`)).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d$/);

    // sort direction shown and announced; the keyboard sorts too
    expect(await page.getAttribute('th:has([data-sort=created_at])', 'aria-sort')).toBe('descending');
    expect(await page.textContent('[data-sort=created_at]')).toContain('▼');
    await page.focus('[data-sort=learning_rate]');
    await page.keyboard.press('Enter');
    expect(await page.getAttribute('th:has([data-sort=learning_rate])', 'aria-sort')).toBe('descending');
    expect(await page.getAttribute('th:has([data-sort=created_at])', 'aria-sort')).toBe('none');
    await page.keyboard.press('Enter');
    expect(await page.getAttribute('th:has([data-sort=learning_rate])', 'aria-sort')).toBe('ascending');
    expect(await page.textContent('[data-sort=learning_rate]')).toContain('▲');
    expect(await page.$eval('[data-testid=run-list] tbody tr', (t) => t.getAttribute('data-run'))).toBe(b);

    // the warnings flag: a count, the texts in its title, a link to the run's page
    const flag = await page.waitForSelector(`tr[data-run="${b}"] [data-testid=run-warnings]`);
    expect((await flag.textContent())!.trim()).toBe('⚠ 2');
    expect(await flag.getAttribute('title')).toBe('update 3: approx KL above 0.05\nupdate 5: the run learns nothing');
    expect(await flag.getAttribute('href')).toBe(`#/runs/${b}`);
    expect(await page.$(`tr[data-run="${c}"] [data-testid=run-warnings]`)).toBeNull();

    // compare the three: the differing settings one per row, nested ones by dotted name; the money figures side by side
    for (const id of [runId, b, c]) await page.check(`tr[data-run="${id}"] input[type=checkbox]`);
    await page.click('[data-testid=compare]');
    await page.waitForSelector('[data-testid=config-diff]');
    const rows = await page.$$eval('[data-testid=config-diff] tbody tr', (trs) => trs.map((t) => [...t.children].map((x) => x.textContent!.trim())));
    const byName = Object.fromEntries(rows.map((r) => [r[0], r.slice(1)]));
    expect(byName.learning_rate).toEqual(['0.0003', '0.0001', '0.0003']);
    expect(byName['env_settings.fee_pct']?.[1]).toBe('0.2');
    expect(byName.net_arch).toEqual(['[128, 128]', '[128, 128]', '[256, 256]']);
    expect(rows.every((r) => r.length === 4)).toBe(true);
    expect(Object.keys(byName)).not.toContain('env_settings'); // flattened, not one JSON string
    expect(Object.keys(byName)).not.toContain('warnings');
    const money = await page.$$eval('[data-testid=compare-money] tbody tr', (trs) => trs.map((t) => [...t.children].map((x) => x.textContent!.trim())));
    const figures = Object.fromEntries(money.map((r) => [r[0], r.slice(1)]));
    expect(figures['Test net P&L % per window']).toHaveLength(3);
    expect(figures['Test net P&L % per window'][0]).toMatch(new RegExp(`^${m.test_net_pnl_pct!.toFixed(2).replace('.', '\\.')} % \\(95 % -?\\d+\\.\\d\\d to -?\\d+\\.\\d\\d\\)$`));
    for (const name of ['Sharpe (test)', 'Max drawdown (test)', 'Validation net P&L % per window']) expect(Object.keys(figures)).toContain(name);

    // a chart saved as an image (the markdown report's) carries its legend above the plot
    await page.goto(`${env.site.url}#/runs/${runId}`);
    await page.waitForSelector('[data-testid=chart-eval-pnl] canvas');
    const image = await page.$eval('[data-testid=chart-eval-pnl] canvas', async (c) => {
      const img = new Image();
      img.src = (c as HTMLCanvasElement).toDataURL('image/png');
      await img.decode();
      return { canvas: (c as HTMLCanvasElement).height, png: img.height };
    });
    expect(image.png).toBeGreaterThan(image.canvas);
    await context.close();
  });
});
