// Retraining in the built site: a PPO run on 3,000 hourly candles registered as a model, its retrain
// rule turned on in the Models view, then 300 rows appended on the Data view: the watcher retrains
// in the training worker and the decision (both models on the same windows) is listed with the model.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useSiteInChromium } from './chromium';

const env = useSiteInChromium();
const FOREX = readFileSync(resolve(import.meta.dirname, '../../public/samples/FOREX_EURUSD_1H_ASK.csv'), 'utf8').trimEnd().split('\n');
const csv = (name: string, rows: number) => ({ name, mimeType: 'text/csv', buffer: Buffer.from(FOREX.slice(0, rows + 1).join('\n') + '\n') });

describe('Retraining', () => {
  it('retrains a watched model when rows are appended to its dataset and records the decision', async () => {
    const context = await env.browser.newContext();
    const page = await context.newPage();
    page.on('pageerror', (e) => { throw e; });
    await page.goto(env.site.url);
    await page.waitForSelector('tr[data-name="ETH_BTC-5m"][data-rows="5760"]');
    await page.setInputFiles('[data-testid=file-input]', csv('eurusd.csv', 3000));
    const row = await page.waitForSelector('tr[data-name="eurusd"][data-rows="3000"]');
    const datasetId = await row.getAttribute('data-id');

    // a tiny PPO run on it, registered as the model's first version (its champion)
    await page.goto(`${env.site.url}#/train?algo=PPO&env=position&backend=wasm&total_timesteps=2048&eval_freq=1024&max_steps=48${datasetId ? `&data=${datasetId}` : ''}`);
    await page.waitForSelector('[data-testid=train-start]:not([disabled])');
    if (!datasetId) await page.selectOption('[data-testid=train-dataset]', { label: 'eurusd' });
    await page.click('[data-testid=train-start]');
    await page.waitForSelector('[data-testid=train-progress][data-status="completed"]', { timeout: 120_000 });
    const runId = (await page.textContent('[data-testid=train-run-link]'))!.replace('run ', '').trim();
    await page.goto(`${env.site.url}#/runs/${runId}`);
    await page.waitForSelector('[data-testid=run-detail][data-loaded="true"]');
    await page.click('[data-testid=register-model]');
    await page.fill('[data-testid=register-name]', 'eurusd-sizer');
    await page.selectOption('[data-testid=register-checkpoint]', 'best');
    await page.click('[data-testid=register-submit]');
    await page.waitForSelector('[data-testid=registered]');

    // the rule: retrain after 200 new rows, watched while the tab is open
    await page.goto(`${env.site.url}#/models/eurusd-sizer`);
    await page.waitForSelector('[data-testid=retrain-panel]');
    await page.check('[data-testid=retrain-enabled]');
    await page.fill('[data-testid=retrain-min-rows]', '200');
    await page.click('[data-testid=retrain-save]');
    await page.waitForSelector('[data-testid=retrain-save][disabled]');
    await page.click('[data-testid=retrain-check]');
    expect(await (await page.waitForSelector('[data-testid=retrain-check-result]')).textContent()).toMatch(/Not due: 0 new rows since the champion trained \(the rule asks for 200\)/);

    // 300 rows arrive on the Data view: the watcher retrains
    await page.goto(`${env.site.url}#/data`);
    await page.click('tr[data-name="eurusd"]');
    await page.setInputFiles('[data-testid=append-input]', csv('eurusd-more.csv', 3300));
    await page.waitForSelector('tr[data-name="eurusd"][data-rows="3300"]');
    await page.goto(`${env.site.url}#/models/eurusd-sizer`);
    const decision = await page.waitForSelector('[data-testid=retrain-decisions] tbody tr', { timeout: 120_000 });
    const cells = await decision.$$eval('td', (tds) => tds.map((td) => td.textContent!.trim()));
    expect(cells[1]).toBe('append');
    expect(cells[2]).toBe('300');
    expect([cells[4], cells[5]]).toEqual(['v1', 'v2']);
    expect(cells[6]).toMatch(/^-?\d+\.\d\d \[/);
    expect(cells[7]).toMatch(/^-?\d+\.\d\d \[/);
    expect(['promoted', 'kept-challenger']).toContain(cells[8]);
    expect(cells[9]).toMatch(/^retrained: 300 new rows since the champion trained \(the rule asks for 200\)\. The challenger (beats|does not beat) the champion on mean net P&L per window after fees/);
    await page.waitForSelector('[data-testid=model-detail][data-count="2"]');
    expect(await page.getAttribute('[data-testid=model-versions] tr[data-version="2"]', 'data-aliases')).toBe(cells[8] === 'promoted' ? 'latest champion' : 'latest');
    await context.close();
  });
});
