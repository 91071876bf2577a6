// Imports in the built site: exports that can be read are read and the report says how; archive
// bombs are refused in words with the page's memory held within bounds, and nothing is stored.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeNpy } from '../../src/core/data/npz';
import { craftZip, deflated, zerosDeflate, zerosSize } from '../unit/zipCraft';
import { heapSampler } from '../support/heap';
import { useSiteInChromium } from './chromium';

const env = useSiteInChromium();
let context: BrowserContext;
let page: Page;
const MB = 1024 ** 2;

beforeEach(async () => {
  context = await env.browser.newContext();
  page = await context.newPage();
  page.on('pageerror', (e) => { throw e; });
});
afterEach(async () => {
  await context?.close();
});

/** Every key of every store: what an import left behind, if anything. */
const storedKeys = (p: Page) =>
  p.evaluate(() => new Promise<Record<string, number>>((ok, fail) => {
    const req = indexedDB.open('rl-trading-lab');
    req.onerror = () => fail(req.error);
    req.onsuccess = () => {
      const db = req.result;
      const names = [...db.objectStoreNames];
      const tx = db.transaction(names);
      const counts: Record<string, number> = {};
      for (const n of names) { const r = tx.objectStore(n).count(); r.onsuccess = () => { counts[n] = r.result; }; }
      tx.oncomplete = () => { ok(counts); db.close(); };
    };
  }));

async function openData(): Promise<void> {
  await page.goto(env.site.url);
  await page.waitForSelector('tr[data-name="ETH_BTC-5m"][data-rows="5760"]');
}

const file = (name: string, data: Uint8Array | string) => ({ name, mimeType: 'application/octet-stream', buffer: Buffer.from(data) });

describe('imports that read what can be read', () => {
  it('a MetaTrader 5 export: date and time joined, the zone-less times reported as read in UTC', async () => {
    await openData();
    const mt5 = '<DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>\n2024.01.02\t00:00:00\t1.10427\t1.10440\t1.10393\t1.10401\t1012\t0\t2\n2024.01.02\t01:00:00\t1.10401\t1.10452\t1.10375\t1.10446\t845\t0\t2\n';
    await page.setInputFiles('[data-testid=file-input]', file('EURUSD_H1.csv', mt5));
    await page.waitForSelector('tr[data-name="EURUSD_H1"][data-rows="2"]');
    const report = (await page.textContent('[data-testid=import-report]'))!.replace(/\s+/g, ' ');
    expect(report).toContain('2 rows as candles');
    expect(report).toContain('date column "<DATE>" and time column "<TIME>" joined into one time');
    expect(report).toContain('times in "<DATE>" carry no zone: read as UTC');
  });

  it('zone-less times read in the zone the person sets, which the report states and the next visit keeps', async () => {
    await openData();
    await page.fill('[data-testid=import-time-zone]', '+03:00');
    const local = 'time,open,high,low,close\n2024-01-02 03:00:00,1.1,1.2,1.0,1.15\n2024-01-02 04:00:00,1.15,1.3,1.1,1.25\n';
    await page.setInputFiles('[data-testid=file-input]', file('local.csv', local));
    await page.waitForSelector('tr[data-name="local"][data-rows="2"]');
    expect((await page.textContent('[data-testid=import-report]'))!.replace(/\s+/g, ' ')).toContain('times in "time" carry no zone: read as +03:00, as chosen');
    expect(await page.textContent('[data-testid=preview]')).toContain('2024-01-02 00:00');
    await page.reload();
    expect(await page.inputValue('[data-testid=import-time-zone]')).toBe('+03:00');
  });

  it('the column-mapping step sets the zone of the file\'s zone-less times too', async () => {
    await openData();
    const text = 'when,a,b,c,d\n2024-01-01 03:00,10,12,9,11\n2024-01-01 04:00,11,13,10,12\n';
    await page.setInputFiles('[data-testid=file-input]', file('unnamed.csv', text));
    await page.waitForSelector('dialog.mapping[open]');
    for (const [role, col] of [['time', 'when'], ['open', 'a'], ['high', 'b'], ['low', 'c'], ['close', 'd']]) await page.selectOption(`select[data-role="${role}"]`, col);
    await page.fill('[data-testid=mapping-time-zone]', 'Europe/Istanbul');
    await page.click('dialog.mapping button[type=submit]');
    await page.waitForSelector('tr[data-name="unnamed"][data-rows="2"]');
    expect((await page.textContent('[data-testid=import-report]'))!.replace(/\s+/g, ' ')).toContain('read as Europe/Istanbul, as chosen');
    expect(await page.textContent('[data-testid=preview]')).toContain('2024-01-01 00:00');
  });

  it('Excel\'s "Unicode text" (UTF-16 LE, tabs) with serial dates imports with its times, and prices that are text are refused', async () => {
    await openData();
    const text = 'Date\tOpen\tHigh\tLow\tClose\n44927.04167\t1.1\t1.2\t1.0\t1.15\n44927.08333\t1.15\t1.3\t1.1\t1.25\n';
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    await page.setInputFiles('[data-testid=file-input]', { name: 'excel.txt', mimeType: 'text/plain', buffer: utf16 });
    await page.waitForSelector('tr[data-name="excel"][data-rows="2"]');
    const report = (await page.textContent('[data-testid=import-report]'))!.replace(/\s+/g, ' ');
    expect(report).toContain('UTF-16 LE text');
    expect(report).toContain('Excel serial dates');
    expect(await page.textContent('[data-testid=preview]')).toContain('2023-01-01 01:00');
    const before = await storedKeys(page);
    await page.setInputFiles('[data-testid=file-input]', file('usd.csv', 'time,open,high,low,close\n2024-01-02T00:00:00Z,1.10 USD,1.20 USD,1.00 USD,1.15 USD\n'));
    expect(await (await page.waitForSelector('[data-testid=import-error]')).textContent()).toContain('usd.csv, line 2, column "open": cannot read "1.10 USD" as a number');
    expect(await storedKeys(page)).toEqual(before);
  });

  it('a European spreadsheet export (; and decimal commas) imports as candles and says how it read the numbers', async () => {
    await openData();
    const eu = 'Date;Open;High;Low;Close;Volume\n02.01.2024;1,1043;1,1044;1,1039;1,1040;1012\n03.01.2024;1,1040;1,1045;1,1038;1,1045;845\n';
    await page.setInputFiles('[data-testid=file-input]', file('eu.csv', eu));
    await page.waitForSelector('tr[data-name="eu"][data-rows="2"]');
    const report = (await page.textContent('[data-testid=import-report]'))!.replace(/\s+/g, ' ');
    expect(report).toContain('2 rows as candles');
    expect(report).toContain('decimal commas');
    expect(await page.textContent('[data-testid=preview]')).toContain('1.1043');
  });
});

describe('archives within bounds, in the page', () => {
  const npzArrays = () => [
    { name: 'actions.npy', data: writeNpy([0, 1, 2, 0], [4], '<i4') },
    { name: 'strengths.npy', data: writeNpy([1, 1, 1, 1], [4], '<f4') },
  ];

  for (const bomb of [
    { label: 'a 9 MB .npz that would inflate to 1.5 GB', size: zerosSize(1.5e9), declared: zerosSize(1.5e9), message: /bomb\.npz: cannot read it as an \.npz \(zip\) file: entry "states\.npy" would unpack to 1,430\.5 MB, more than the 1,024 MB allowed for one entry/ },
    { label: 'an .npz whose directory lies (300 MB of zeros declared as 4 kB)', size: zerosSize(300 * MB), declared: 4096, message: /bomb\.npz: .*"states\.npy" inflates to more than the 4,096 bytes its directory declares/ },
  ]) {
    it(`refuses ${bomb.label}, in words, within a few hundred MB, storing nothing`, async () => {
      await openData();
      const before = await storedKeys(page);
      const zip = craftZip([...npzArrays(), { name: 'states.npy', data: zerosDeflate(bomb.size), method: 8, declaredSize: bomb.declared }]);
      const heap = await heapSampler(page);
      await page.waitForTimeout(300);
      const baseline = heap.peak;
      await page.setInputFiles('[data-testid=file-input]', file('bomb.npz', zip));
      const error = await page.waitForSelector('[data-testid=import-error]', { timeout: 60_000 });
      await page.waitForTimeout(300);
      await heap.stop();
      expect(await error.textContent()).toMatch(bomb.message);
      // the input file itself is held by the page and the worker: allow for it beside the bound
      expect((heap.peak - baseline) / MB).toBeLessThan(300);
      expect(await storedKeys(page)).toEqual(before);
    });
  }

  it('refuses a 3 MB run zip with a 1.9 GB entry and stores nothing of it', async () => {
    await page.goto(`${env.site.url}#/runs`);
    await page.waitForSelector('[data-testid=run-import]', { state: 'attached' });
    const RUN = 'run_20250102_030405';
    const { unzipSync } = await import('fflate');
    const files = unzipSync(new Uint8Array(readFileSync(resolve(import.meta.dirname, `../fixtures/runs/${RUN}.zip`))));
    const entries = Object.entries(files).filter(([n]) => !n.endsWith('detailed_episodes.jsonl')).map(([name, data]) => deflated(name, data));
    entries.push({ name: `${RUN}/detailed_episodes.jsonl`, data: zerosDeflate(zerosSize(1.9e9)), method: 8, declaredSize: zerosSize(1.9e9) });
    const before = await storedKeys(page);
    await page.setInputFiles('[data-testid=run-import]', file('bomb.zip', craftZip(entries)));
    const error = await page.waitForSelector('[data-testid=runs-error]', { timeout: 60_000 });
    expect(await error.textContent()).toMatch(/Cannot import "bomb\.zip": entry "run_20250102_030405\/detailed_episodes\.jsonl" would unpack to 1,812 MB, more than the 256 MB allowed for one entry/);
    expect(await storedKeys(page)).toEqual(before);
  });
});
