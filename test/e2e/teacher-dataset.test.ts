// A teacher dataset made on the Data view keeps its link to its candles: behavior cloning on it
// gets the backtest on their held-out rows and the fine-tune buttons, as behavior cloning on the
// candles directly does, and the fine-tune plays on those candles.
import { describe, expect, it } from 'vitest';
import { useSiteInChromium } from './chromium';

const env = useSiteInChromium();

describe('Teacher datasets', () => {
  it('labels the training part, links to its candles, and trains behavior cloning with a backtest and fine-tuning', async () => {
    const context = await env.browser.newContext();
    const page = await context.newPage();
    page.on('pageerror', (e) => { throw e; });
    await page.goto(env.site.url);
    await page.waitForSelector('tr[data-name="ETH_BTC-5m"]');
    await page.click('[data-testid=teacher-dataset]');
    const teacherRow = await page.waitForSelector('tr[data-name="ETH_BTC-5m (teacher)"]');
    const teacherId = await teacherRow.getAttribute('data-id');
    const candlesId = await page.getAttribute('tr[data-name="ETH_BTC-5m"]', 'data-id');
    expect(await page.textContent('[data-testid=detail-labelled-from]')).toContain('its training part');
    // the link shows the candles
    await page.click('[data-testid=labelled-from-link]');
    await page.waitForSelector('[data-testid=dataset-detail] h2:text-is("ETH_BTC-5m")');

    await page.click('nav a[href="#/train"]');
    await page.selectOption('[data-testid=train-algorithm]', 'BC');
    await page.waitForSelector('[data-testid=train-form][data-algorithm="BC"]');
    await page.selectOption('[data-testid=train-dataset]', teacherId!);
    await page.click('summary:text("PolicyNet and training")');
    await page.fill('input[data-field="max_epochs"]', '2');
    await page.selectOption('[data-testid=train-backend]', 'wasm');
    await page.click('[data-testid=train-start]');
    await page.waitForSelector('[data-testid=run-result]', { timeout: 120_000 });
    expect(await page.getAttribute('[data-testid=train-progress]', 'data-status')).toBe('completed');
    // the backtest on the candles' held-out rows, beside the teacher and buy-and-hold
    const backtest = await page.$$eval('[data-testid=bc-backtest] tbody tr', (r) => r.map((x) => x.querySelector('td')!.textContent));
    expect(backtest.slice(0, 3)).toEqual(['policy', 'teacher ensemble', 'buy and hold']);

    // its page offers fine-tuning, which fills the Train form with the candles, not the labels
    await page.click('[data-testid=train-run-link]');
    await page.waitForSelector('[data-testid=run-detail][data-status="completed"]');
    await page.click('[data-testid=finetune][data-algorithm="PPO"]');
    await page.waitForSelector('[data-testid=train-init-from]');
    expect(await page.$eval('[data-testid=train-dataset]', (s) => (s as HTMLSelectElement).value)).toBe(candlesId);
    await context.close();
  });
});
