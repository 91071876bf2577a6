import { describe, expect, it } from 'vitest';
import { decimateMinMax, decimateWithWindow } from '../../src/core/chart/decimate';

const series = (n: number) => {
  const x = new Float64Array(n), y = new Float64Array(n);
  for (let i = 0; i < n; i++) { x[i] = i * 1000; y[i] = Math.sin(i / 37) + (i === 4321 ? 50 : 0); }
  return { x, y };
};

describe('chart decimation', () => {
  it('keeps each bucket’s extremes, spikes included, in time order', () => {
    const { x, y } = series(100_000);
    const d = decimateMinMax(x, y, 0, x.length, 500);
    expect(d.x.length).toBeLessThanOrEqual(1000);
    expect(Math.max(...d.y)).toBe(Math.max(...y));
    expect(Math.min(...d.y)).toBe(Math.min(...y));
    for (let i = 1; i < d.x.length; i++) expect(d.x[i]).toBeGreaterThan(d.x[i - 1]);
  });

  it('shows a zoomed window in full detail and the rest coarsely', () => {
    const { x, y } = series(100_000);
    const d = decimateWithWindow(x, y, x[50_000], x[50_600], 500);
    const inside = Array.from(d.x).filter((t) => t >= x[50_000] && t <= x[50_600]);
    expect(inside.length).toBe(601);
    expect(d.x[0]).toBeLessThan(x[1000]);
    expect(d.x[d.x.length - 1]).toBeGreaterThan(x[90_000]);
    expect(d.x.length).toBeLessThan(2000);
  });

  it('returns short series untouched', () => {
    const { x, y } = series(300);
    expect(decimateWithWindow(x, y, 0, 1e9, 500).x).toBe(x);
  });
});
