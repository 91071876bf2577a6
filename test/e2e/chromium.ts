// One built site and one Chromium per end-to-end test file, started before its tests and closed after.
import { afterAll, beforeAll } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchChromium, serveDist, type Site } from '../support/site';

export function useSiteInChromium(): { readonly site: Site; readonly browser: Browser } {
  let site: Site | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    site = await serveDist();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await site?.close();
  });
  return {
    get site() { return site!; },
    get browser() { return browser!; },
  };
}
