// Datasets that grow, end to end: append a file on a dataset's view, a refusal naming file, line
// and column that stores nothing, trades completed by an outcomes file, and a followed file read
// again as a bot appends to it (a file of the page's own private file system stands in for the one
// the file picker would give).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { useSiteInChromium } from './chromium';

const env = useSiteInChromium();
let context: BrowserContext;
let page: Page;

beforeEach(async () => {
  context = await env.browser.newContext();
  page = await context.newPage();
  page.on('pageerror', (e) => { throw e; });
});
afterEach(async () => {
  await context?.close();
});

const T0 = Date.UTC(2024, 0, 1);
function candles(from: number, to: number, close = (i: number) => 100 + i): string {
  const lines = ['time,open,high,low,close,volume'];
  for (let i = from; i < to; i++) lines.push(`${new Date(T0 + i * 3_600_000).toISOString()},${100 + i},${102 + i},${99 + i},${close(i)},${10 + i}`);
  return lines.join('\n') + '\n';
}
const csv = (name: string, text: string) => ({ name, mimeType: 'text/csv', buffer: Buffer.from(text) });

async function importFile(name: string, text: string, rows: number): Promise<void> {
  await page.goto(env.site.url);
  await page.waitForSelector('tr[data-name="ETH_BTC-5m"][data-rows="5760"]');
  await page.setInputFiles('[data-testid=file-input]', csv(`${name}.csv`, text));
  await page.waitForSelector(`tr[data-name="${name}"][data-rows="${rows}"]`);
  await page.click(`tr[data-name="${name}"]`);
  await page.waitForSelector('[data-testid=dataset-growth]');
}

describe('a dataset that grows', () => {
  it('appends a file, says what it left out, counts its revision up; a disagreeing file is refused and stores nothing', async () => {
    await importFile('hourly', candles(0, 48), 48);
    await page.setInputFiles('[data-testid=append-input]', csv('hourly-more.csv', candles(40, 60)));
    await page.waitForSelector('tr[data-name="hourly"][data-rows="60"]');
    expect(await page.textContent('[data-testid=append-result]')).toMatch(/12 rows added, 8 already there, left out in [\d.]+ s · now 60 rows, revision 2/);
    expect(await page.textContent('[data-testid=detail-rows]')).toBe('60');
    const history = await page.$$eval('[data-testid=dataset-history] tbody tr', (trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent!.trim())));
    expect(history.map((r) => [r[0], r[2], r[3], r[4], r[5], r[6]])).toEqual([
      ['2', 'appended', 'hourly-more.csv', '12', '8', '60'],
      ['1', 'imported', 'hourly.csv', '48', '0', '48'],
    ]);
    expect(await page.textContent('[data-testid=preview]')).toContain('2024-01-03 11:00');

    await page.setInputFiles('[data-testid=append-input]', csv('hourly-bad.csv', candles(58, 62, (i) => (i === 59 ? 1 : 100 + i))));
    const error = await page.waitForSelector('[data-testid=append-error]');
    expect(await error.textContent()).toMatch(/hourly-bad\.csv, line 3, column "close": the dataset already has the row at 2024-01-03T11:00:00\.000Z with close "159"; the file says "1"/);
    expect(await page.getAttribute('tr[data-name="hourly"]', 'data-rows')).toBe('60');
    expect(await page.textContent('[data-testid=detail-revision]')).toContain('2');
  });

  it('keeps trades open until an outcomes file completes them', async () => {
    const trades = ['trade_id,timestamp,symbol,side,price,amount', 'A1,2024-01-01T00:00:00Z,BTCUSDT,buy,42000,0.1', 'A2,2024-01-01T01:00:00Z,BTCUSDT,sell,42100,0.2', 'A3,2024-01-01T02:00:00Z,ETHUSDT,buy,2300,1'].join('\n');
    await importFile('live_trades', trades, 3);
    expect(await page.textContent('[data-testid=trades-summary]')).toMatch(/3 trades: 3 open, 0 completed/);
    await page.setInputFiles('[data-testid=append-input]', csv('completed_trades.csv', 'trade_id,exit_time,exit_price,pnl,win\nA1,2024-01-01T00:30:00Z,42210,21,1\nA3,2024-01-01T03:00:00Z,2290,-10,0\n'));
    await page.waitForFunction(() => /1 open, 2 completed/.test(document.querySelector('[data-testid=trades-summary]')?.textContent ?? ''));
    expect(await page.textContent('[data-testid=trades-summary]')).toMatch(/win rate 50\.0 % \(95 % 9\.5–90\.5 %\) · P&L 11 over the completed ones/);
    const status = await page.$$eval('[data-testid=trades-table] tbody tr', (trs) => trs.map((tr) => `${tr.children[0].textContent}:${tr.children[6].textContent}`));
    expect(status).toEqual(['A3:completed', 'A2:open', 'A1:completed']);
  });

  it('follows a file a bot appends to, adding what is new each time it is read', async () => {
    await importFile('followed', candles(0, 24), 24);
    // the file picker gives a file of the page's own file system, which the "bot" then appends to
    await page.evaluate(async (text) => {
      const root = await navigator.storage.getDirectory();
      const handle = await root.getFileHandle('bot.csv', { create: true });
      const w = await handle.createWritable();
      await w.write(text);
      await w.close();
      (window as unknown as { showOpenFilePicker: () => Promise<FileSystemFileHandle[]> }).showOpenFilePicker = async () => [handle];
    }, candles(0, 30));
    await page.click('[data-testid=follow-button]');
    await page.waitForSelector('tr[data-name="followed"][data-rows="30"]');
    expect(await page.textContent('[data-testid=follow-status]')).toContain('Following bot.csv');
    expect(await page.textContent('[data-testid=follow-events]')).toMatch(/6 rows added, 24 already there/);
    await page.evaluate(async (more) => {
      const root = await navigator.storage.getDirectory();
      const handle = await root.getFileHandle('bot.csv');
      const file = await handle.getFile();
      const w = await handle.createWritable({ keepExistingData: true });
      await w.write({ type: 'write', position: file.size, data: more });
      await w.close();
    }, candles(30, 33).split('\n').slice(1).join('\n'));
    await page.click('text=Read now');
    await page.waitForSelector('tr[data-name="followed"][data-rows="33"]');
    // read again with nothing new: nothing changes
    await page.click('text=Read now');
    await page.waitForFunction(() => !document.querySelector('[data-testid=follow-status]')?.textContent?.includes('reading'));
    expect(await page.getAttribute('tr[data-name="followed"]', 'data-rows')).toBe('33');
    expect(await page.textContent('[data-testid=detail-revision]')).toContain('3');
    await page.click('[data-testid=follow-stop]');
    await page.waitForSelector('[data-testid=follow-button]');
  });
});
