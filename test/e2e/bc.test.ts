// Behavior cloning in the page: a two-seed PolicyNet ensemble on the teacher's labels of the sample.
import { describe, expect, it } from 'vitest';
import { useSiteInChromium } from './chromium';

const env = useSiteInChromium();

describe('Behavior cloning', () => {
  it('trains an ensemble on teacher-labelled candles and reports validation, members and a backtest', async () => {
    const context = await env.browser.newContext();
    const page = await context.newPage();
    page.on('pageerror', (e) => { throw e; });
    await page.goto(env.site.url);
    await page.waitForSelector('tr[data-name="ETH_BTC-5m"]');
    await page.click('nav a[href="#/train"]');
    await page.selectOption('[data-testid=train-algorithm]', 'BC');
    await page.waitForSelector('[data-testid=bc-form]');
    await page.fill('[data-testid=bc-seeds]', '1, 2');
    await page.click('summary:text("PolicyNet and training")');
    await page.fill('input[data-field="max_epochs"]', '3');
    await page.selectOption('[data-testid=bc-form] select >> nth=1', 'wasm');
    await page.click('[data-testid=bc-start]');
    await page.waitForSelector('[data-testid=bc-result]', { timeout: 120_000 });
    expect(await page.getAttribute('[data-testid=bc-status]', 'data-status')).toBe('completed');
    const accuracy = Number((await page.textContent('[data-testid=bc-accuracy]'))!.replace(' %', ''));
    expect(accuracy).toBeGreaterThan(40);
    expect(await page.$$eval('[data-testid=bc-confusion] tbody tr', (r) => r.length)).toBe(3);
    expect(await page.textContent('[data-testid=bc-result]')).toContain('majority vote');
    expect(await page.$$eval('[data-testid=bc-backtest] tbody tr', (r) => r.map((x) => x.querySelector('td')!.textContent))).toEqual(['policy', 'teacher ensemble', 'buy and hold']);
    await context.close();
  });
});
