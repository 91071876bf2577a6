// Samples the JS heap of a page and its workers through the DevTools protocol: what the import
// benchmark reports as peak heap, and what the archive-bound tests hold a refused bomb to.
import type { CDPSession, Page } from 'playwright-core';

interface HeapUsage { usedSize: number; backingStorageSize?: number }

/** Samples the page's and its workers' JS heap: V8 heap plus ArrayBuffer backing stores. */
export async function heapSampler(page: Page) {
  const session: CDPSession = await page.context().newCDPSession(page);
  await session.send('Performance.enable');
  const workers = new Set<string>();
  let nextId = 1;
  const pending = new Map<number, (v: HeapUsage) => void>();
  session.on('Target.attachedToTarget', (e) => { if (e.targetInfo.type === 'worker') workers.add(e.sessionId); });
  session.on('Target.detachedFromTarget', (e) => { if (e.sessionId) workers.delete(e.sessionId); });
  session.on('Target.receivedMessageFromTarget', (e) => {
    const msg = JSON.parse(e.message);
    pending.get(msg.id)?.(msg.result ?? { usedSize: 0 });
    pending.delete(msg.id);
  });
  await session.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: false });
  const workerHeap = async (sessionId: string): Promise<HeapUsage> => {
    const id = nextId++;
    const result = new Promise<HeapUsage>((ok) => pending.set(id, ok));
    await session.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method: 'Runtime.getHeapUsage' }) });
    return Promise.race([result, new Promise<HeapUsage>((ok) => setTimeout(() => ok({ usedSize: 0 }), 500))]);
  };
  let peak = 0;
  let sampledWorkers = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        const metrics = await session.send('Performance.getMetrics');
        let total = metrics.metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? 0;
        for (const w of workers) {
          const h = await workerHeap(w);
          total += h.usedSize + (h.backingStorageSize ?? 0);
        }
        sampledWorkers = Math.max(sampledWorkers, workers.size);
        peak = Math.max(peak, total);
      } catch {
        // the page is closing
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    get peak() { return peak; },
    get workers() { return sampledWorkers; },
    async stop() { running = false; await loop; },
  };
}

