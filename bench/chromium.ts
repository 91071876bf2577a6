// The benchmarks' Chromium side: build the site, serve it, and run one measurement per
// TensorFlow.js backend, each in a fresh browser context (a new worker, an empty store).
import { execSync } from 'node:child_process';
import type { Page } from 'playwright-core';
import { launchChromium, serveDist } from '../test/support/site';

export const BROWSER_BACKENDS = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;

export async function perBackendInChromium<T>(measure: (page: Page, siteUrl: string, backend: (typeof BROWSER_BACKENDS)[number]) => Promise<T>): Promise<T[]> {
  execSync('npx vite build', { stdio: 'ignore' });
  const site = await serveDist();
  const browser = await launchChromium();
  const results: T[] = [];
  try {
    for (const backend of BROWSER_BACKENDS) {
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
