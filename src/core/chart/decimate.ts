// Min/max decimation for line charts: a million points drawn as a few thousand without losing
// the spikes. Each bucket keeps its lowest and highest point, in time order.

export interface Series {
  x: Float64Array;
  y: Float64Array;
}

/** Index of the first x >= value in a sorted array. */
export function lowerBound(x: ArrayLike<number>, value: number): number {
  let lo = 0, hi = x.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (x[mid] < value) lo = mid + 1; else hi = mid;
  }
  return lo;
}

/** Decimates points [start, end) into at most 2 * buckets points. */
export function decimateMinMax(x: ArrayLike<number>, y: ArrayLike<number>, start: number, end: number, buckets: number): Series {
  const n = end - start;
  if (n <= buckets * 2) {
    const xs = new Float64Array(n), ys = new Float64Array(n);
    for (let i = 0; i < n; i++) { xs[i] = x[start + i]; ys[i] = y[start + i]; }
    return { x: xs, y: ys };
  }
  const xs = new Float64Array(buckets * 2), ys = new Float64Array(buckets * 2);
  let k = 0;
  const size = n / buckets;
  for (let b = 0; b < buckets; b++) {
    const from = start + Math.floor(b * size);
    const to = Math.min(end, start + Math.floor((b + 1) * size));
    if (to <= from) continue;
    let iMin = from, iMax = from;
    for (let i = from + 1; i < to; i++) {
      const v = y[i];
      if (v < y[iMin]) iMin = i;
      if (v > y[iMax]) iMax = i;
    }
    const [a, c] = iMin <= iMax ? [iMin, iMax] : [iMax, iMin];
    xs[k] = x[a]; ys[k] = y[a]; k++;
    if (c !== a) { xs[k] = x[c]; ys[k] = y[c]; k++; }
  }
  return { x: xs.slice(0, k), y: ys.slice(0, k) };
}

/**
 * The whole series coarsely, with the visible window [xMin, xMax] in detail: zooming in shows
 * every point once there are few enough, and zooming out again still has the whole range.
 */
export function decimateWithWindow(x: Float64Array, y: Float64Array, xMin: number, xMax: number, buckets: number): Series {
  const n = x.length;
  if (n <= buckets * 2) return { x, y };
  const a = Math.max(0, lowerBound(x, xMin) - 1);
  const b = Math.min(n, lowerBound(x, xMax) + 1);
  if (a === 0 && b === n) return decimateMinMax(x, y, 0, n, buckets);
  const before = a > 0 ? decimateMinMax(x, y, 0, a, Math.max(1, Math.round((buckets * a) / n))) : null;
  const inside = decimateMinMax(x, y, a, b, buckets);
  const after = b < n ? decimateMinMax(x, y, b, n, Math.max(1, Math.round((buckets * (n - b)) / n))) : null;
  const parts = [before, inside, after].filter((p): p is Series => p !== null);
  const len = parts.reduce((s, p) => s + p.x.length, 0);
  const xs = new Float64Array(len), ys = new Float64Array(len);
  let off = 0;
  for (const p of parts) { xs.set(p.x, off); ys.set(p.y, off); off += p.x.length; }
  return { x: xs, y: ys };
}
