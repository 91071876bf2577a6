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

    // fine-tune with PPO from the PolicyNet, then the same PPO from scratch, and compare them
    await page.fill('label:has-text("total_timesteps") input', '4096');
    await page.click('[data-testid=bc-finetune]');
    await page.waitForSelector('[data-testid=train-progress][data-status="completed"]', { timeout: 120_000 });
    await page.selectOption('[data-testid=train-algorithm]', 'BC');
    await page.waitForSelector('[data-testid=bc-result]'); // the result is still there
    await page.fill('label:has-text("total_timesteps") input', '4096');
    await page.click('[data-testid=bc-scratch]');
    await page.waitForFunction(() => document.querySelector('[data-testid=train-progress]')?.textContent?.includes('completed') && document.querySelector('[data-testid=train-progress]')?.getAttribute('data-step') === '4096', null, { timeout: 120_000 });
    await page.click('nav a[href="#/runs"]');
    await page.waitForSelector('[data-testid=run-list] tbody tr >> nth=1');
    for (const id of await page.$$eval('[data-testid=run-list] tbody tr', (r) => r.map((x) => x.getAttribute('data-run')!))) await page.check(`tr[data-run="${id}"] input[type=checkbox]`);
    await page.click('[data-testid=compare]');
    const diff = await page.waitForSelector('[data-testid=config-diff]');
    expect(await diff.textContent()).toContain('behavior cloning PolicyNet (seed 1');
    await context.close();
  });
});
