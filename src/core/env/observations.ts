// Observations of an environment at chosen rows, as a policy would see them at the start of an
// episode there (a fresh portfolio): what a drift test compares between the rows a model trained
// on and the rows that arrived since. Pure: no TensorFlow.js.
import type { SettingValues } from '../settings';
import type { EnvData, EnvSpec } from './spec';
import type { Segment } from './types';

/** Up to `count` rows of [start, end), evenly spaced (all of them when there are fewer). */
export function spacedRows(segment: Segment, count: number): Int32Array {
  const n = Math.max(0, segment.end - segment.start);
  const k = Math.min(n, count);
  const out = new Int32Array(k);
  for (let i = 0; i < k; i++) out[i] = segment.start + Math.floor((i * n) / k);
  return out;
}

/** Observations at `rows`, row-major [rows.length, obsSize] (a row where no episode can start, the last, reads as the one before). */
export function observationsAt<D extends EnvData>(spec: EnvSpec<D>, data: D, settings: SettingValues, rows: Int32Array): Float32Array {
  const env = spec.create(data, { settings, segment: { start: data.firstValidRow, end: data.rows }, copies: 1, seed: 1, randomStart: false, maxSteps: 2 });
  const out = new Float32Array(rows.length * env.obsSize);
  for (let k = 0; k < rows.length; k++) {
    env.startAt(0, Math.max(data.firstValidRow, Math.min(rows[k], data.rows - 2)));
    out.set(env.obs.subarray(0, env.obsSize), k * env.obsSize);
  }
  return out;
}
