// The benchmarks' Chromium side: build the site, serve it, and run one measurement per
// TensorFlow.js backend (and per A / B variant: kernel or TensorFlow.js on WASM, host-copy or
// backend rollouts on WebGPU), each in a fresh browser context (a new worker, an empty store).
import { execSync } from 'node:child_process';
import type { BrowserContext, Page } from 'playwright-core';
import { DIST, launchChromium, serveDist } from '../test/support/site';

export const BROWSER_BACKENDS = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;

/**
 * The backends a benchmark measures: all of them, or those named in BENCH_BACKENDS (a
 * comma-separated list, e.g. wasm,webgpu), in Node and in Chromium alike.
 */
export function benchBackends<B extends string>(all: readonly B[]): B[] {
  const only = process.env.BENCH_BACKENDS?.split(',').map((b) => b.trim());
  return all.filter((b) => !only || only.includes(b));
}

export interface ChromiumOptions {
  /**
   * Serve the site cross-origin isolated (COOP / COEP headers, as a host that sends them does; on
   * GitHub Pages that takes a service worker): SharedArrayBuffer, and so TensorFlow.js's WASM threads.
   */
  isolated?: boolean;
}

/** How one measurement runs: the backend, what the training arithmetic runs on, what rollouts act on. */
export type Variant = {
  backend: (typeof BROWSER_BACKENDS)[number];
  /** 'kernel': the lab's WebAssembly kernel (WASM backend only); 'tfjs': TensorFlow.js's ops. */
  engine: 'kernel' | 'tfjs';
  /** 'host': host copies of the weights (kernels/engine.ts); 'backend': a backend call per rollout step, as before them. */
  acting: 'host' | 'backend';
};

/**
 * The A / B pairs a benchmark measures per backend: on WASM the kernel against TensorFlow.js's ops,
 * on WebGPU host-copy rollouts against acting on the backend; the others as they run.
 */
export function browserVariants(backends: readonly Variant['backend'][] = BROWSER_BACKENDS): Variant[] {
  return benchBackends(backends).flatMap((backend): Variant[] => {
    if (backend === 'wasm') return [{ backend, engine: 'kernel', acting: 'host' }, { backend, engine: 'tfjs', acting: 'host' }];
    if (backend === 'webgpu') return [{ backend, engine: 'tfjs', acting: 'host' }, { backend, engine: 'tfjs', acting: 'backend' }];
    return [{ backend, engine: 'tfjs', acting: 'host' }];
  });
}

/** BENCH_ROUNDS (default 1): how many times each variant runs, alternating, for medians on a noisy machine. */
export const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 1) || 1);

/**
 * Every response with the headers that make a page cross-origin isolated (when asked), and the
 * training worker's script with the globals that pick the variant (kernels/engine.ts reads them).
 */
async function prepare(context: BrowserContext, variant: Variant, options: ChromiumOptions): Promise<void> {
  const globals: string[] = [];
  if (variant.backend === 'wasm' && variant.engine === 'tfjs') globals.push("globalThis.LAB_TRAINING_ENGINE = 'tfjs';");
  if (variant.acting === 'backend') globals.push("globalThis.LAB_ROLLOUT_ACTING = 'backend';");
  if (!options.isolated && globals.length === 0) return;
  await context.route('**/*', async (route) => {
    const response = await route.fetch();
    const headers = { ...response.headers() };
    if (options.isolated) Object.assign(headers, { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' });
    if (globals.length && /\/train\.worker-[^/]*\.js$/.test(new URL(route.request().url()).pathname)) {
      delete headers['content-length'];
      await route.fulfill({ response, headers, body: `${globals.join('\n')}\n${await response.text()}` });
    } else await route.fulfill({ response, headers });
  });
}

/**
 * Whether the page was cross-origin isolated, and so whether TensorFlow.js's WASM backend could
 * run threaded (backends-browser.ts turns threads off otherwise). The lab's own kernel runs on one
 * thread either way.
 */
export async function isolationOf(page: Page): Promise<{ cross_origin_isolated: boolean; wasm_threads: boolean }> {
  return page.evaluate(() => ({ cross_origin_isolated: globalThis.crossOriginIsolated === true, wasm_threads: globalThis.crossOriginIsolated === true && typeof SharedArrayBuffer === 'function' }));
}

/**
 * Builds the site into DIST (LAB_DIST, when set: the shared dist/ may be another session's),
 * serves it, and runs `measure` for every variant, ROUNDS times alternating, each in a fresh
 * browser context (a new worker, an empty store). Results carry the variant, the round and the
 * page's isolation.
 */
export async function variantsInChromium<T extends object>(variants: Variant[], measure: (page: Page, siteUrl: string, variant: Variant) => Promise<T>, options: ChromiumOptions = {}): Promise<(T & Variant & { round: number; cross_origin_isolated: boolean; wasm_threads: boolean })[]> {
  execSync(`npx vite build --outDir ${JSON.stringify(DIST)} --emptyOutDir`, { stdio: 'ignore' });
  const site = await serveDist();
  const browser = await launchChromium();
  const results: (T & Variant & { round: number; cross_origin_isolated: boolean; wasm_threads: boolean })[] = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const variant of variants) {
        const context = await browser.newContext();
        await prepare(context, variant, options);
        try {
          const page = await context.newPage();
          const measured = await measure(page, site.url, variant);
          const result = { ...variant, ...measured, round, ...(await isolationOf(page)) };
          console.log(`chromium ${JSON.stringify(result)}`);
          results.push(result);
        } finally {
          await context.close();
        }
      }
    }
  } finally {
    await browser.close();
    await site.close();
  }
  return results;
}

/** The older per-backend form (each backend as it runs by default, once). */
export async function perBackendInChromium<T extends object>(measure: (page: Page, siteUrl: string, backend: (typeof BROWSER_BACKENDS)[number]) => Promise<T>, backends: readonly (typeof BROWSER_BACKENDS)[number][] = BROWSER_BACKENDS, options: ChromiumOptions = {}): Promise<T[]> {
  const variants = benchBackends(backends).map((backend): Variant => ({ backend, engine: backend === 'wasm' ? 'kernel' : 'tfjs', acting: 'host' }));
  return variantsInChromium(variants, (page, url, v) => measure(page, url, v.backend), options);
}

/** The median of each variant's `key` over its rounds: the A / B figures to quote. */
/**
 * The Node runs of a learner benchmark, in the order one round makes them: WASM twice (the lab's
 * kernel, then TensorFlow.js's ops), the other backends once.
 */
export function nodeVariants(backends: readonly ('wasm' | 'cpu')[]): ['wasm' | 'cpu', 'auto' | 'tfjs'][] {
  return backends.flatMap((b): ['wasm' | 'cpu', 'auto' | 'tfjs'][] => (b === 'wasm' ? [[b, 'auto'], [b, 'tfjs']] : [[b, 'auto']]));
}

export function medians(results: Record<string, unknown>[], key: string): Record<string, unknown>[] {
  const groups = new Map<string, number[]>();
  for (const r of results) {
    const name = [r.where, r.backend, r.engine, r.acting].filter((x) => x !== undefined).join(' ');
    if (!groups.has(name)) groups.set(name, []);
    if (typeof r[key] === 'number') groups.get(name)!.push(r[key]);
  }
  return [...groups.entries()].map(([variant, vs]) => {
    const s = vs.sort((a, b) => a - b), mid = Math.floor(s.length / 2);
    return { variant, runs: s.length, [`median_${key}`]: s.length === 0 ? null : s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2 };
  });
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
