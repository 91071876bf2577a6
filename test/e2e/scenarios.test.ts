// The scenario generator in the page (seed 003): a small regime-switching set calibrated on the
// sample, with its teacher dataset, both listed and marked synthetic; behavior cloning trains on the
// teacher's labels of it and the run is marked synthetic too.
import { describe, expect, it } from 'vitest';
import { useSiteInChromium } from './chromium';

const env = useSiteInChromium();

describe('the scenario generator', () => {
  it('generates a mixed scenario set with its teacher dataset, lists both as synthetic, and trains on them', async () => {
    const context = await env.browser.newContext();
    const page = await context.newPage();
    page.on('pageerror', (e) => { throw e; });
    await page.goto(env.site.url);
    await page.waitForSelector('tr[data-name="ETH_BTC-5m"]');

    await page.click('[data-testid=scenario-generator] summary');
    await page.click('[data-testid=scenario-generator] button:text("none")');
    for (const s of ['uptrend', 'range', 'news_shock', 'flash_crash']) await page.check(`[data-testid=scenario-${s}]`);
    await page.check('[data-testid=scenario-mix]');
    await page.fill('[data-testid=scenario-bars]', '3000');
    await page.fill('[data-testid=scenario-seed]', '3');
    await page.selectOption('[data-testid=scenario-calibrate]', { label: await page.$eval('[data-testid=scenario-calibrate] option:nth-child(2)', (o) => o.textContent!) });
    await page.fill('[data-testid=scenario-name]', 'e2e scenarios');
    await page.check('[data-testid=scenario-teacher]');
    await page.click('[data-testid=generate-scenarios]');

    const result = await page.waitForSelector('[data-testid=scenarios-result]', { timeout: 30_000 });
    expect((await result.textContent())!.replace(/\s+/g, ' ')).toMatch(/Generated “e2e scenarios”: 3,000 bars of 5m in [\d.]+ s \(uptrend [\d,]+, range [\d,]+, news_shock [\d,]+, flash_crash [\d,]+\), and its teacher dataset “e2e scenarios \(teacher\)” \([\d,]+ samples\)/);
    for (const name of ['e2e scenarios', 'e2e scenarios (teacher)']) {
      const badge = await page.waitForSelector(`tr[data-name="${name}"] [data-testid=synthetic-badge]`);
      expect(await badge.getAttribute('title')).toBe('generated, not market data: uptrend, range, news_shock, flash_crash · seed 3 · calibrated on ETH_BTC-5m');
    }
    expect(await page.$('tr[data-name="ETH_BTC-5m"] [data-testid=synthetic-badge]')).toBeNull();
    // the new candles are selected: their detail has the scenario column and the mark
    expect(await page.getAttribute('tr[data-name="e2e scenarios"] button', 'aria-pressed')).toBe('true');
    await page.waitForSelector('[data-testid=detail-synthetic]');
    expect(await page.textContent('[data-testid=detail-rows]')).toBe('3,000');

    // behavior cloning on the teacher's labels of the scenarios
    await page.click('nav a[href="#/train"]');
    await page.selectOption('[data-testid=train-algorithm]', 'BC');
    await page.waitForSelector('[data-testid=train-form][data-algorithm="BC"]');
    const teacher = await page.$eval('[data-testid=train-dataset]', (s) => Array.from((s as HTMLSelectElement).options).find((o) => o.textContent!.startsWith('e2e scenarios (teacher)'))!.value);
    await page.selectOption('[data-testid=train-dataset]', teacher);
    await page.click('summary:text("PolicyNet and training")');
    await page.fill('input[data-field="max_epochs"]', '2');
    await page.selectOption('[data-testid=train-backend]', 'wasm');
    await page.click('[data-testid=train-start]');
    await page.waitForSelector('[data-testid=train-progress][data-status="completed"]', { timeout: 60_000 });
    await page.click('a[href="#/runs"]');
    await page.waitForSelector('[data-testid=run-list] .badge.synthetic');
    await context.close();
  });
});
