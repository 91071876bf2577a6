// Funding-arbitrage data in the built site: venues' funding histories (their zones set at import)
// and candles become an opportunities dataset on the Data view; the bundled sample loads in one click.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { useSiteInChromium } from './chromium';

const env = useSiteInChromium();
const DATA = resolve(import.meta.dirname, '../../../shared/data');
let context: BrowserContext;
let page: Page;

beforeEach(async () => {
  context = await env.browser.newContext({ acceptDownloads: true });
  page = await context.newPage();
  page.on('pageerror', (e) => { throw e; });
  await page.goto(env.site.url);
  await page.waitForSelector('tr[data-name="ETH_BTC-5m"][data-rows="5760"]');
});
afterEach(async () => {
  await context?.close();
});

async function importWithZone(path: string, zone: string, name: string, rows: number) {
  await page.fill('[data-testid=import-time-zone]', zone);
  await page.setInputFiles('[data-testid=file-input]', path);
  await page.waitForSelector(`tr[data-name="${name}"][data-rows="${rows}"]`);
}

describe('funding-arbitrage data', () => {
  it.skipIf(!existsSync(DATA))('builds opportunities from three venues\u2019 histories and BTC candles, each venue at its own schedule', async () => {
    await importWithZone(`${DATA}/funding/BTC-USDT_binance_2023_funding.csv`, '+03:00', 'BTC-USDT_binance_2023_funding', 1095);
    await importWithZone(`${DATA}/funding/BTC-USDT_gate_2023_funding.csv`, 'UTC', 'BTC-USDT_gate_2023_funding', 1095);
    await importWithZone(`${DATA}/funding/BTC-USDT_dydx_2023_funding.csv`, 'UTC', 'BTC-USDT_dydx_2023_funding', 8760);
    await importWithZone(`${DATA}/BTC_USDT-1h-2023-futures.csv`, 'UTC', 'BTC_USDT-1h-2023-futures', 8760);

    await page.click('[data-testid=opportunities-builder] summary');
    const row = (name: string) => page.textContent(`[data-testid=opportunities-builder] tr[data-dataset="${name}"]`);
    await page.waitForFunction(() => !document.querySelector('[data-testid=opportunities-builder]')!.textContent!.includes('reading…'));
    expect((await row('BTC-USDT_binance_2023_funding'))!.replace(/\s+/g, ' ')).toMatch(/\(read as \+03:00\) ?binance ?BTC-USDT ?every 8 h ?1,095 ?2023-01-01 – 2023-12-31/);
    expect((await row('BTC-USDT_dydx_2023_funding'))!.replace(/\s+/g, ' ')).toMatch(/dydx ?BTC-USDT ?every 1 h ?8,760/);
    // the candles named like the symbol are offered for its prices
    expect(await page.$eval('[data-testid="prices-BTC-USDT"]', (s) => (s as HTMLSelectElement).selectedOptions[0].textContent)).toMatch(/^BTC_USDT-1h-2023-futures/);
    await page.fill('[data-testid=opportunities-builder] input[size="24"]', 'btc-opportunities');
    await page.click('[data-testid=build-opportunities]');
    await page.waitForSelector('tr[data-name="btc-opportunities"][data-rows="26280"]', { timeout: 60_000 });
    const report = (await page.textContent('[data-testid=import-report]'))!.replace(/\s+/g, ' ');
    expect(report).toContain('26,280 rows as funding opportunities');
    expect(report).toContain('binance BTC-USDT: settles every 8 h');
    expect(report).toContain('zero basis');
  });

  it('loads the bundled opportunities sample in one click', async () => {
    await page.click('details.samples summary');
    await page.click('details.samples li:has-text("Funding-arbitrage opportunities") button');
    await page.waitForSelector('tr[data-name="FUNDING_opportunities_2023"][data-rows="367872"]', { timeout: 60_000 });
    expect(await page.textContent('tr[data-name="FUNDING_opportunities_2023"]')).toContain('funding');
  });

  it('trains PPO on the sample with masks and a config sampled per episode, and its run page has the money figures and the verdict beside never trading', async () => {
    await page.click('details.samples summary');
    await page.click('details.samples li:has-text("Funding-arbitrage opportunities") button');
    await page.waitForSelector('tr[data-name="FUNDING_opportunities_2023"][data-rows="367872"]', { timeout: 60_000 });
    await page.goto(`${env.site.url}#/train?algo=PPO&env=funding-arbitrage&backend=wasm&total_timesteps=4096&eval_freq=2048&env.config_mode=sample`);
    await page.waitForSelector('[data-testid=train-start]:not([disabled])');
    expect(await page.$eval('[data-testid=train-dataset]', (s) => (s as HTMLSelectElement).selectedOptions[0].textContent)).toMatch(/^FUNDING_opportunities_2023/);
    // the environment's own episode length replaces PPO's max_steps in the form
    expect(await page.$('input[data-field="max_steps"]')).toBeNull();
    expect(await page.textContent('[data-testid=own-episodes]')).toContain('episode_hours');
    await page.click('[data-testid=train-start]');
    await page.waitForSelector('[data-testid=train-progress][data-status="completed"]', { timeout: 180_000 });
    await page.click('[data-testid=train-run-link]');
    await page.waitForSelector('[data-testid=run-detail][data-loaded="true"]');
    const text = (await page.textContent('[data-testid=run-detail]'))!.replace(/\s+/g, ' ');
    expect(text).toContain('funding-arbitrage on FUNDING_opportunities_2023');
    // no buy-and-hold in this market: the verdict sets the policy beside never trading, never claims to beat a buy-and-hold
    expect(text).toMatch(/(The policy .{0,400}hold \(never trades\)|Beats hold \(never trades\))/);
    expect(text).not.toMatch(/Beats buy-and-hold/);
    // the environment's own episode charts: where the money came from, positions and liquidations
    await page.waitForSelector('text=Where the money came from');
    await page.waitForSelector('text=Positions and liquidations');
    // and each of seed 001's presets evaluated on the same validation windows
    const byConfig = (await page.textContent('[data-testid=evaluations-by-config]'))!.replace(/\s+/g, ' ');
    expect(byConfig).toMatch(/conservative \(1×, 40 %, 2 positions\).*moderate \(3×, 60 %, 3 positions\).*aggressive \(5×, 75 %, 5 positions\)/);
    expect(byConfig).toMatch(/-?\d+\.\d{2} \[-?\d+\.\d{2}, -?\d+\.\d{2}\]/);
    // and once on the test segment at the end, for the best and the final model
    const testByConfig = (await page.textContent('[data-testid=test-by-config]'))!.replace(/\s+/g, ' ');
    expect(testByConfig).toMatch(/best model \(step [\d,]+\) ?-?\d+\.\d{2} \[.*final model \(step 4,096\)/);
    // and charted, one line per preset beside never trading
    await page.waitForSelector('[data-testid=chart-eval-by-config] canvas');
    expect((await page.textContent('[data-testid=chart-eval-by-config]'))!.replace(/\s+/g, ' ')).toMatch(/conservative \(1×, 40 %, 2 positions\).*moderate.*aggressive.*hold \(never trades\)/);

    // Play the policy under a config of the person's choice: a fixed 2×, 50 %, 2 positions
    const play = '[data-testid=inference]';
    expect(await page.$(`${play} [data-field=max_leverage]`)).toBeNull(); // the fixed values show once config_mode is fixed
    await page.selectOption(`${play} [data-field=config_mode]`, 'fixed');
    await page.fill(`${play} [data-field=max_leverage]`, '2');
    await page.fill(`${play} [data-field=target_utilization]`, '0.5');
    await page.fill(`${play} [data-field=max_positions]`, '2');
    await page.click(`${play} button[type=submit]`);
    await page.waitForSelector('[data-testid=inference-result]', { timeout: 120_000 });
    expect((await page.textContent('[data-testid=played-settings]'))!.replace(/\s+/g, ' ')).toContain('config_mode fixed, max_leverage 2, target_utilization 0.5, max_positions 2');
    // the portfolio over time, one window at a time: equity, funding against costs, each slot
    await page.waitForSelector('[data-testid=played-portfolio] canvas');
    expect(await page.$$eval('[data-testid=played-portfolio] .u-legend', (l) => l.map((x) => x.textContent!.replace(/\s+/g, ' ')).join(' | '))).toMatch(/equity.*funding earned.*fees and slippage.*slot 1.*slot 5/);
    const options = await page.$$eval('[data-testid=played-window] option', (o) => o.map((x) => x.textContent!));
    expect(options.length).toBeGreaterThan(5);
    expect(options[0]).toMatch(/^20\d\d-\d\d-\d\d \d\d:\d\d · [+-]\d+\.\d{3} % · \d+ trades$/);
    // the trades table of a window that traded, at the leverage played
    // (a policy this short may close no position: then there is nothing to download)
    const traded = options.findIndex((o) => !o.endsWith(' 0 trades'));
    if (traded < 0) expect(await page.isDisabled('[data-testid=download-trades]')).toBe(true);
    else {
      await page.selectOption('[data-testid=played-window]', String(traded));
      const rows = await page.$$eval('[data-testid=played-trades] tbody tr', (r) => r.map((x) => Array.from(x.querySelectorAll('td'), (td) => td.textContent!.trim())));
      expect(rows.length).toBeGreaterThan(0);
      const head = await page.$$eval('[data-testid=played-trades] th', (h) => h.map((x) => x.textContent!.trim()));
      expect(rows[0][head.indexOf('leverage')]).toBe('2.00');
      expect(rows[0][head.indexOf('symbol')]).toMatch(/^(BTC|ETH)-USDT$/);
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-trades]')]);
      const csv = await new Promise<string>((done) => { void download.createReadStream().then((s) => { let t = ''; s.on('data', (c) => (t += c)); s.on('end', () => done(t)); }); });
      expect(csv.split('\n')[0]).toBe('window_start,entry_time,exit_time,symbol,long_exchange,short_exchange,size,leverage,margin,entry_long_price,entry_short_price,exit_long_price,exit_short_price,long_funding_rate,short_funding_rate,funding_long,funding_short,fees,realized_pnl,hours_held,exit_reason');
    }
  });

  it('checks readiness before a long training on the Train form’s dataset and network: progress, the report with its verdict, the markdown', async () => {
    await page.click('details.samples summary');
    await page.click('details.samples li:has-text("Funding-arbitrage opportunities") button');
    await page.waitForSelector('tr[data-name="FUNDING_opportunities_2023"][data-rows="367872"]', { timeout: 60_000 });
    await page.goto(`${env.site.url}#/train?algo=PPO&env=funding-arbitrage&backend=wasm&net_arch=32,32`);
    await page.waitForSelector('[data-testid=train-start]:not([disabled])');
    await page.click('[data-testid=readiness] summary');
    expect(await page.textContent('[data-testid=readiness]')).toContain('with networks [32, 32]');
    await page.click('[data-testid=readiness-start]');
    await page.waitForSelector('[data-testid=readiness-progress]');
    await page.waitForSelector('[data-testid=readiness-report]', { timeout: 180_000 });
    expect(await page.getAttribute('[data-testid=readiness-report]', 'data-ready')).toBe('true');
    const text = (await page.textContent('[data-testid=readiness-report]'))!.replace(/\s+/g, ' ');
    expect(text).toContain('FUNDING_opportunities_2023 (367,872 opportunities)');
    expect(text).toMatch(/masks ?valid at all 10,000 random masked steps/);
    expect(text).toMatch(/Policy and value MLPs \[32, 32\]: [\d,]+ parameters/);
    expect(await page.$$eval('[data-testid=readiness-inference] tbody tr', (r) => r.map((x) => x.querySelector('td')!.textContent))).toEqual(['trained policy (greedy)', 'random masked policy', 'hold only']);
    expect(await page.textContent('[data-testid=readiness-verdict]')).toBe('The data, the environment and the network are ready to train on.');
    expect(text).toMatch(/The short training's policy (beats|cannot be told apart|is worse)/);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=readiness-download]')]);
    expect(download.suggestedFilename()).toBe('readiness_FUNDING_opportunities_2023.md');
    const md = await new Promise<string>((done) => { void download.createReadStream().then((s) => { let t = ''; s.on('data', (c) => (t += c)); s.on('end', () => done(t)); }); });
    expect(md).toMatch(/^# Training status report: funding-arbitrage\n/);
    expect(md).toContain('## Verdict\n\n**The data, the environment and the network are ready to train on.**');
  });
});
