// The benchmarks' Chromium side: build the site, serve it, and run one measurement per
// TensorFlow.js backend, each in a fresh browser context (a new worker, an empty store).
import { execSync } from 'node:child_process';
import type { Page } from 'playwright-core';
import { launchChromium, serveDist } from '../test/support/site';

export const BROWSER_BACKENDS = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;

export async function perBackendInChromium<T>(measure: (page: Page, siteUrl: string, backend: (typeof BROWSER_BACKENDS)[number]) => Promise<T>, backends: readonly (typeof BROWSER_BACKENDS)[number][] = BROWSER_BACKENDS): Promise<T[]> {
  execSync('npx vite build', { stdio: 'ignore' });
  const site = await serveDist();
  const browser = await launchChromium();
  const results: T[] = [];
  try {
    for (const backend of backends) {
      const context = await browser.newContext();
      try {
        const result = await measure(await context.newPage(), site.url, backend);
        console.log(`chromium ${backend}: ${JSON.stringify(result)}`);
        results.push(result);
      } finally {
        await context.close();
      }
    }
  } finally {
    await browser.close();
    await site.close();
  }
  return results;
}

/** Env-steps per second of the one run stored in the page, between its first and last update (null if it ran on another backend). */
export async function storedRunRate(page: Page, backend: string): Promise<{ backend: string; env_steps_per_s: number | null; error?: string }> {
  const updates = await page.evaluate(() => new Promise<{ step: number; t: number; backend: string }[]>((ok) => {
    const req = indexedDB.open('rl-trading-lab');
    req.onsuccess = () => {
      const tx = req.result.transaction(['updates', 'runs']);
      const u = tx.objectStore('updates').getAll();
      const r = tx.objectStore('runs').getAll();
      tx.oncomplete = () => ok((u.result as { step: number; metrics: Record<string, number> }[]).map((x) => ({ step: x.step, t: x.metrics['time/time_elapsed'], backend: (r.result[0] as { backend: string }).backend })));
    };
  }));
  const first = updates[0], last = updates[updates.length - 1];
  if (!last || last.backend !== backend) return { backend, env_steps_per_s: null, error: `ran on ${last?.backend ?? 'nothing'}` };
  return { backend, env_steps_per_s: Math.round((last.step - first.step) / (last.t - first.t)) };
}
