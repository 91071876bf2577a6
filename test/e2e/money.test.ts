// The money view end to end: a run trained in the page shows, live on Train and on its page, its
// net P&L after fees beside buy-and-hold and the baselines, its equity curves (the test segment's,
// each validation evaluation's with the earlier ones behind it), one window's trades on the price
// chart (trade-approval's markers saying approved / approved with warning / rejected) and in a
// blotter, fees and turnover, the reward's unit; "Play the policy" shows the same; a run stored
// before the money view says so.
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { useSiteInChromium } from './chromium';

const env = useSiteInChromium();

async function trainOne(page: Page, envId: string) {
  await page.goto(`${env.site.url}#/train?algo=PPO&env=${envId}&total_timesteps=8192&eval_freq=2048&backend=wasm`);
  await page.waitForSelector('[data-testid=train-start]');
  await page.click('[data-testid=train-start]');
  // live on Train: the money view appears with the first evaluation
  const live = await page.waitForSelector('[data-testid=money-view] [data-testid=money-net-pnl]', { timeout: 240_000 });
  expect(await live.textContent()).toMatch(/Net P&L after fees [+-]\d+\.\d{2} %/);
  await page.waitForSelector('[data-testid=train-progress][data-status="completed"]', { timeout: 240_000 });
}

async function openLatestRun(page: Page) {
  await page.click('nav a[href="#/runs"]');
  await page.waitForSelector('[data-testid=run-list] tbody tr[data-status="completed"]');
  const runId = await page.$$eval('[data-testid=run-list] tbody tr', (trs) => trs.map((t) => t.getAttribute('data-run')!).sort().at(-1)!);
  await page.goto(`${env.site.url}#/runs/${runId}`);
  await page.waitForSelector('[data-testid=run-detail][data-loaded="true"]');
  await page.waitForSelector('[data-testid=money-view] [data-testid=money-equity] canvas');
  return runId;
}

const text = async (page: Page, selector: string) => ((await page.textContent(selector)) ?? '').replace(/\s+/g, ' ');

/** The window with the most trades (its option reads "… · N trades"). */
async function busiestWindow(page: Page) {
  const options = await page.$$eval('[data-testid=money-window] option', (o) => o.map((x) => x.textContent!));
  const counts = options.map((o) => Number(/(\d+) trades$/.exec(o)?.[1] ?? 0));
  const best = counts.indexOf(Math.max(...counts));
  await page.selectOption('[data-testid=money-window]', String(best));
  return counts[best];
}

describe('the money view', () => {
  it('a trained position run shows net P&L after fees beside buy-and-hold, its equity curves, trades with their P&L, fees and turnover', async () => {
    const page = await (await env.browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    page.on('pageerror', (e) => { throw e; });
    await page.goto(env.site.url);
    await page.waitForSelector('tr[data-name="ETH_BTC-5m"][data-rows="5760"]');
    await trainOne(page, 'position');
    const runId = await openLatestRun(page);

    // the test segment first: net P&L after fees beside buy-and-hold and the hold baseline, in the same unit
    expect(await text(page, '[data-testid=money-net-pnl]')).toMatch(/^Net P&L after fees [+-]\d+\.\d{2} %$/);
    expect(await text(page, '[data-testid=money-buy-hold]')).toMatch(/^buy and hold [+-]\d+\.\d{2} %$/);
    const headline = await text(page, '[data-testid=money-headline]');
    expect(headline).toMatch(/hold \(never trades\) [+-]\d+\.\d{2} %/);
    expect(headline).toMatch(/random as often/);
    expect(await text(page, '[data-testid=money-view] h2')).toContain('reward in % return');
    expect(await text(page, '[data-testid=money-fees]')).toMatch(/^\d+\.\d{2} % of the starting balance$/);
    expect(await text(page, '[data-testid=money-turnover]')).toMatch(/^\d+\.\d{2} × the starting balance$/);
    const choices = await page.$$eval('[data-testid=money-choice] option', (o) => o.map((x) => x.textContent!));
    expect(choices[0]).toMatch(/^test segment · (final|best) model/);
    expect(choices.filter((c) => /^validation · evaluation at step/.test(c)).length).toBeGreaterThanOrEqual(3);
    // the equity chart's legend: the policy, buy-and-hold, the baseline
    const legend = await page.$$eval('[data-testid=money-equity] .u-legend .u-label', (l) => l.map((x) => x.textContent));
    expect(legend).toEqual(expect.arrayContaining(['policy, net of costs', 'buy and hold', 'hold (never trades)']));

    // one window's trades: on the price chart, and in the blotter with entry, exit, side, size, fees and P&L
    expect(await busiestWindow(page)).toBeGreaterThan(0);
    {
      await page.waitForSelector('[data-testid=money-price-chart] canvas');
      expect(await text(page, '[data-testid=money-marker-legend]')).toContain('▲ long, ▼ short');
      const rows = await page.$$eval('[data-testid=money-blotter] tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent!.trim())));
      expect(rows.length).toBeGreaterThan(0);
      for (const r of rows) {
        expect(r[0]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d$/); // entry, 24-hour UTC
        expect(r[1]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d$/);
        expect(r[2]).toMatch(/^(long|short)$/);
        expect(r[6]).toMatch(/^\d[\d,]*\.\d\d$/); // fees
        expect(r[7]).toMatch(/^[+-]?\d[\d,]*\.\d\d$/); // net P&L
      }
      expect(await text(page, '[data-testid=money-window-totals]')).toMatch(/fees and slippage \d+\.\d{3} % of the starting balance · net P&L after them [+-]?\d+\.\d{3} %/);
    }

    // the latest validation evaluation, the earlier ones drawn fainter behind it
    const latest = choices.find((c) => /\(latest\)$/.test(c))!;
    await page.selectOption('[data-testid=money-choice]', { label: latest });
    await page.waitForSelector('[data-testid=money-equity] canvas');
    const validationLegend = await page.$$eval('[data-testid=money-equity] .u-legend .u-label', (l) => l.map((x) => x.textContent!));
    expect(validationLegend.filter((l) => /^evaluation at step/.test(l)).length).toBeGreaterThanOrEqual(2);

    // Play the policy shows the same money view for the played walk
    await page.click('[data-testid=inference] button[type=submit]');
    await page.waitForSelector('[data-testid=inference-money] [data-testid=money-equity] canvas', { timeout: 60_000 });
    expect(await text(page, '[data-testid=inference-money] [data-testid=money-net-pnl]')).toMatch(/^Net P&L after fees [+-]\d+\.\d{2} %$/);
    expect(await text(page, '[data-testid=inference-money] [data-testid=money-buy-hold]')).toMatch(/^buy and hold [+-]\d+\.\d{2} %$/);
    await page.waitForSelector('[data-testid=inference] [data-testid=price-chart] canvas');
    expect(await page.$('[data-testid=money-divergence]')).toBeNull();

    // the same run as if its reward had risen over its evaluations while its net P&L fell: the view says so
    await page.evaluate((id) => new Promise<void>((ok, fail) => {
      const req = indexedDB.open('rl-trading-lab');
      req.onerror = () => fail(req.error);
      req.onsuccess = () => {
        const tx = req.result.transaction('evaluations', 'readwrite');
        const store = tx.objectStore('evaluations');
        const all = store.getAll(IDBKeyRange.bound([id, -Infinity], [id, Infinity]));
        all.onsuccess = () => {
          (all.result as { step: number; mean_reward: number; net_pnl_pct: { mean: number } | null }[]).sort((a, b) => a.step - b.step).forEach((e, i) => {
            e.mean_reward = i;
            if (e.net_pnl_pct) e.net_pnl_pct.mean = -i;
            store.put(e);
          });
        };
        tx.oncomplete = () => ok();
        tx.onerror = () => fail(tx.error);
      };
    }), runId);
    await page.reload();
    await page.waitForSelector('[data-testid=run-detail][data-loaded="true"]');
    expect(await text(page, '[data-testid=money-divergence]')).toMatch(/Reward rose while net P&L fell over \d+ evaluations/);
    await page.context().close();
  });

  it('trade-approval marks approved, approved with warning and rejected; a run stored before the money view says it was not recorded', async () => {
    const page = await (await env.browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    page.on('pageerror', (e) => { throw e; });
    await page.goto(env.site.url);
    await page.waitForSelector('tr[data-name="ETH_BTC-5m"][data-rows="5760"]');
    await trainOne(page, 'trade-approval');
    const runId = await openLatestRun(page);
    expect(await text(page, '[data-testid=money-view] h2')).toContain('reward in shaped score');
    expect(await text(page, '[data-testid=money-headline]')).toMatch(/always reject [+-]\d+\.\d{2} % · always approve [+-]\d+\.\d{2} %/);
    await busiestWindow(page);
    await page.waitForSelector('[data-testid=money-price-chart] canvas');
    const legend = await text(page, '[data-testid=money-marker-legend]');
    expect(legend).toMatch(/■ approved, ■ approved with warning, × rejected \(\d+ of \d+ proposals\)/);
    expect(legend).not.toMatch(/long, ▼ short/);
    // its blotter: each approved trade complete, entry to exit, with its fees, net P&L and how it left; they add up to the window
    {
      const rows = await page.$$eval('[data-testid=money-blotter] tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent!.trim())));
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.map((r) => r[0])).toEqual(rows.map((r) => r[0]).sort()); // in the order entered
      for (const r of rows) {
        expect(r[0]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d$/);
        expect(r[1]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d$/);
        expect(r[2]).toMatch(/^(long|short) · approved( with warning)?$/);
        expect(r[3]).toMatch(/^\d[\d,]*\.\d\d$/); // size
        expect(r[4]).toMatch(/^\d[\d,]*\.\d{2,6}$/); // entry price
        expect(r[5]).toMatch(/^\d[\d,]*\.\d{2,6}$/); // exit price
        expect(r[6]).toMatch(/^\d[\d,]*\.\d\d$/); // fees + slippage
        expect(r[7]).toMatch(/^[+-]?\d[\d,]*\.\d\d$/); // net P&L
        expect(r[8]).toMatch(/^[+-]?\d+\.\d{3}$/); // net P&L %
        expect(r[9]).toMatch(/^(take-profit|stop|liquidation|horizon|window end)$/);
      }
      const totals = await text(page, '[data-testid=money-window-totals]');
      const windowPct = Number(/net P&L after them ([+-]?\d+\.\d{3}) %/.exec(totals)![1]);
      const tradesPct = Number(/the trades' net P&L [+-]?[\d,.]+ \(([+-]?\d+\.\d{3}) %\)/.exec(totals)![1]);
      expect(Math.abs(tradesPct - windowPct)).toBeLessThanOrEqual(0.0011);
    }

    // as a run stored before: its records without the money view
    await page.evaluate((id) => new Promise<void>((ok, fail) => {
      const req = indexedDB.open('rl-trading-lab');
      req.onsuccess = () => {
        const tx = req.result.transaction(['runs', 'evaluations'], 'readwrite');
        const runs = tx.objectStore('runs'), evaluations = tx.objectStore('evaluations');
        runs.get(id).onsuccess = (e) => {
          const run = (e.target as IDBRequest).result;
          for (const r of Object.values(run.test_evaluations ?? {})) delete (r as { money?: unknown }).money;
          runs.put(run);
        };
        evaluations.openCursor().onsuccess = (e) => {
          const cursor = (e.target as IDBRequest<IDBCursorWithValue | null>).result;
          if (!cursor) return;
          if (cursor.value.runId === id) { const v = { ...cursor.value }; delete v.money; cursor.update(v); }
          cursor.continue();
        };
        tx.oncomplete = () => ok();
        tx.onerror = () => fail(tx.error);
      };
    }), runId);
    await page.reload();
    await page.waitForSelector('[data-testid=run-detail][data-loaded="true"]');
    expect(await text(page, '[data-testid=money-not-recorded]')).toContain('not recorded for this run');
    // its figures stay: net P&L after fees and buy-and-hold from the evaluation record
    expect(await text(page, '[data-testid=money-net-pnl]')).toMatch(/^Net P&L after fees [+-]\d+\.\d{2} %$/);
    expect(await text(page, '[data-testid=money-buy-hold]')).toMatch(/^buy and hold [+-]\d+\.\d{2} %$/);
    await page.context().close();
  });
});
