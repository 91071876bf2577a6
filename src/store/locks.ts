// Which runs are training right now, in any tab: a training worker holds a Web Lock named after
// its run for as long as it trains, and the browser frees it when the tab or worker dies.
export const runLockName = (runId: string) => `rl-trading-lab:run:${runId}`;

export async function liveRunIds(): Promise<Set<string>> {
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  if (!locks) return new Set();
  const state = await locks.query();
  const prefix = runLockName('');
  return new Set([...(state.held ?? []), ...(state.pending ?? [])].map((l) => l.name ?? '').filter((n) => n.startsWith(prefix)).map((n) => n.slice(prefix.length)));
}
