import { describe, expect, it } from 'vitest';
import { field, ratio, rollingMean, rollingRate, smooth, wallSeconds } from '../../src/core/run/series';

describe('chart series', () => {
  it('rolling mean over a window, skipping nulls', () => {
    expect(rollingMean([1, 2, 3, 4], 2)).toEqual([1, 1.5, 2.5, 3.5]);
    expect(rollingMean([1, null, 3], 3)).toEqual([1, 1, 2]);
  });
  it('rolling rate sums numerators and denominators over the window', () => {
    expect(rollingRate([1, 0, 2], [2, 0, 2], 2)).toEqual([0.5, 0.5, 1]);
    expect(rollingRate([0], [0], 5)).toEqual([null]);
  });
  it('ratio is null where the denominator is 0', () => {
    expect(ratio([1, 2], [2, 0])).toEqual([0.5, null]);
  });
  it('smoothing is debiased and leaves weight 0 untouched', () => {
    expect(smooth([1, 1, 1], 0.9)).toEqual([1, 1, 1].map(() => expect.closeTo(1, 10)));
    const v = [0, 10];
    expect(smooth(v, 0)).toBe(v);
    expect(smooth([0, 10], 0.5)[1]).toBeCloseTo((0.5 * 0 * 0.5 + 0.5 * 10) / 0.75, 10);
  });
  it('reads nested fields by dotted path', () => {
    expect(field([{ a: { b: 2 } }, { a: {} }, { a: { b: 'x' } }], 'a.b')).toEqual([2, null, null]);
  });
  it('wall seconds from the first timestamp', () => {
    expect(wallSeconds(['2025-01-16T14:30:22.000000', '2025-01-16T14:30:25.500000'])).toEqual([0, 3.5]);
  });
});
