// Where a run's live-control changes go on its charts: each change at the step its update started
// from (the previous update's step; 0 before the first), with what changed. Pure.
import type { ControlChange, UpdateRecord } from './contracts';

export interface ChartMarker {
  x: number;
  label: string;
}

export function controlMarkers(controls: readonly ControlChange[] | undefined, updates: readonly UpdateRecord[]): ChartMarker[] {
  if (!controls?.length) return [];
  const stepOf = new Map(updates.map((u) => [u.update, u.step]));
  const byX = new Map<number, { update: number; parts: string[] }>();
  for (const c of controls) {
    const x = c.update <= 1 ? 0 : stepOf.get(c.update - 1);
    if (x === undefined) continue;
    const at = byX.get(x) ?? { update: c.update, parts: [] };
    at.parts.push(`${c.name} ${c.from} → ${c.to}`);
    byX.set(x, at);
  }
  return [...byX].map(([x, m]) => ({ x, label: `${m.parts.join(', ')} (from update ${m.update})` }));
}
