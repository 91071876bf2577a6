// One policy for the page and its workers: served as GitHub Pages serves it (no policy headers),
// the page and both workers are refused fetch, import(), WebSocket and importScripts to another
// origin. A second server stands for that origin and counts every connection made to it; the
// same probes from a page of its own, under no policy, reach it, so a count of zero means refused.
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Page, Worker } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useSiteInChromium } from './chromium';

const env = useSiteInChromium();
let other: Server;
let otherUrl = '';
const hits: string[] = [];

beforeAll(async () => {
  other = createServer((req, res) => {
    hits.push(req.url ?? '');
    if (req.url === '/plain.html') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><title>another origin</title>');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/javascript', 'access-control-allow-origin': '*' });
    res.end('export const leaked = true; self.leaked = true;');
  });
  other.on('upgrade', (req, socket) => { hits.push(`upgrade ${req.url}`); socket.destroy(); });
  await new Promise<void>((ok) => other.listen(0, '127.0.0.1', ok));
  const address = other.address();
  // "localhost" is another origin than the lab's 127.0.0.1 even on the same machine
  otherUrl = `http://localhost:${typeof address === 'object' && address ? address.port : 0}`;
});
afterAll(async () => {
  other.closeAllConnections();
  await new Promise<void>((ok) => other.close(() => ok()));
});

/**
 * Tries each way out to `target`, in a page or a worker. Kept as source text: the test runner
 * would rewrite an import() written in this file into its own loader.
 */
const PROBE = `async (target) => {
  const out = {};
  const settle = (p) => Promise.race([p, new Promise((_, fail) => setTimeout(() => fail(new Error('timed out')), 3000))]);
  try { await settle(fetch(target + '/fetch')); out.fetch = 'allowed'; } catch (e) { out.fetch = 'refused (' + e.message + ')'; }
  try { await settle(import(target + '/module.js')); out.import = 'allowed'; } catch (e) { out.import = 'refused (' + e.message + ')'; }
  out.websocket = await new Promise((ok) => {
    try {
      const ws = new WebSocket(target.replace('http', 'ws') + '/socket');
      ws.onopen = () => ok('allowed');
      ws.onerror = () => ok('refused (error event)');
      setTimeout(() => ok('refused (no connection)'), 3000);
    } catch (e) {
      ok('refused (' + e.message + ')');
    }
  });
  if (typeof importScripts === 'function') {
    try { importScripts(target + '/classic.js'); out.importScripts = 'allowed'; } catch (e) { out.importScripts = 'refused (' + e.message + ')'; }
  }
  return out;
}`;
const probeIn = (where: Page | Worker): Promise<Record<string, string>> => (where as Page).evaluate<Record<string, string>>(`(${PROBE})(${JSON.stringify(otherUrl)})`);

async function workerNamed(page: Page, name: string): Promise<Worker> {
  for (let i = 0; i < 100; i++) {
    for (const w of page.workers()) if ((await w.evaluate(() => (self as unknown as { name: string }).name).catch(() => '')) === name) return w;
    await page.waitForTimeout(100);
  }
  throw new Error(`no ${name} worker started`);
}

describe('no connection beyond the site from any context', () => {
  it('the probes do reach the other origin from a page under no policy', async () => {
    const page = await env.browser.newPage();
    await page.goto(`${otherUrl}/plain.html`);
    hits.length = 0;
    const result = await probeIn(page);
    expect(result.fetch).toBe('allowed');
    expect(result.import).toBe('allowed');
    expect(hits.some((h) => h.startsWith('upgrade'))).toBe(true);
    await page.close();
  });

  it('the page, the data worker and the training worker are each refused', async () => {
    const page = await env.browser.newPage();
    const violations: string[] = [];
    page.on('console', (m) => { if (/Content Security Policy/.test(m.text())) violations.push(m.text()); });
    await page.goto(`${env.site.url}#/runs`);
    // the data worker starts with the Data view; importing a run starts the training worker
    await page.waitForSelector('[data-testid=run-import]', { state: 'attached' });
    await page.setInputFiles('[data-testid=run-import]', resolve(import.meta.dirname, '../fixtures/runs/run_20250102_030405.zip'));
    await page.waitForSelector('[data-testid=run-list] tbody tr[data-run="run_20250102_030405"]');
    await page.click('nav a[href="#/data"]');
    const contexts: [string, () => Promise<Record<string, string>>][] = [
      ['page', () => probeIn(page)],
      ['data worker', async () => probeIn(await workerNamed(page, 'data'))],
      ['training worker', async () => probeIn(await workerNamed(page, 'train'))],
    ];
    hits.length = 0;
    for (const [where, run] of contexts) {
      const result = await run();
      expect(Object.keys(result).sort(), where).toEqual(where === 'page' ? ['fetch', 'import', 'websocket'] : ['fetch', 'import', 'importScripts', 'websocket']);
      for (const [way, outcome] of Object.entries(result)) expect(outcome, `${way} from the ${where}`).toMatch(/^refused/);
    }
    expect(hits).toEqual([]);
    expect(violations.length).toBeGreaterThan(0);
    await page.close();
  });

  it('the built page carries the policy the workers inherit', () => {
    const html = readFileSync(resolve(import.meta.dirname, '../../dist/index.html'), 'utf8');
    expect(html).toMatch(/<meta http-equiv="Content-Security-Policy" content="default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:; connect-src 'self'/);
  });
});
