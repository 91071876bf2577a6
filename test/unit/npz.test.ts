import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importBytes } from '../../src/core/data/importer';
import { readNpz, writeNpz } from '../../src/core/data/npz';
import { importReady } from './helpers';

// Fixtures written by NumPy 2.4 (np.savez / np.savez_compressed); offline_reference.json holds their values.
const FIX = resolve(__dirname, '../fixtures');
const fixture = (f: string) => new Uint8Array(readFileSync(resolve(FIX, f)));
const reference = JSON.parse(readFileSync(resolve(FIX, 'offline_reference.json'), 'utf8'));

describe('NumPy .npz offline datasets', () => {
  it('reads float32 states and int64 actions written by np.savez', async () => {
    const ds = await importReady(fixture('offline_f32_i64.npz'), 'offline.npz');
    expect(ds.meta.kind).toBe('offline');
    expect(ds.meta.rows).toBe(reference.N);
    expect(ds.meta.widths).toEqual({ states: reference.D });
    const [states, actions, strengths] = ds.columns;
    if (states.type !== 'matrix' || actions.type !== 'number' || strengths.type !== 'number') throw new Error('types');
    expect(Array.from(states.values.subarray(0, reference.D))).toEqual(reference.states_first_row.map(Math.fround));
    expect(Array.from(actions.values.subarray(0, 10))).toEqual(reference.actions_head);
    expect(Array.from(strengths.values.subarray(0, 10))).toEqual(reference.strengths_head);
  });

  it('reads big-endian dtypes from np.savez_compressed', async () => {
    const ds = await importReady(fixture('offline_compressed_be.npz'), 'be.npz');
    const [states, actions] = ds.columns;
    if (states.type !== 'matrix' || actions.type !== 'number') throw new Error('types');
    let sum = 0;
    for (const v of states.values) sum += v;
    expect(sum).toBeCloseTo(reference.states_sum, 3);
    expect(Array.from(actions.values.subarray(0, 10))).toEqual(reference.actions_head);
  });

  it('writes .npz that reads back the same', () => {
    const bytes = writeNpz({
      states: { values: [1, 2, 3, 4, 5, 6], shape: [2, 3], dtype: '<f4' },
      actions: { values: [0, 2], shape: [2], dtype: '<i8' },
      strengths: { values: [0.25, 1], shape: [2], dtype: '<f8' },
    });
    const arrays = readNpz(bytes, 'w.npz');
    expect(arrays.states.shape).toEqual([2, 3]);
    expect(Array.from(arrays.states.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(arrays.actions.data)).toEqual([0, 2]);
    expect(Array.from(arrays.strengths.data)).toEqual([0.25, 1]);
  });

  it('refuses a length mismatch', () =>
    expect(importBytes(fixture('offline_bad_length.npz'), 'len.npz')).rejects.toThrow(/^len\.npz, column "actions": actions has 40 rows but states has 50$/));
  it('refuses a wrong shape', () =>
    expect(importBytes(fixture('offline_bad_shape.npz'), 'shape.npz')).rejects.toThrow(/^shape\.npz, column "states": states must be 2-D \[N, D\], got shape \(50, 34, 1\)$/));
  it('refuses a missing array', () =>
    expect(importBytes(writeNpz({ states: { values: [1, 2], shape: [1, 2], dtype: '<f4' } }), 'miss.npz')).rejects.toThrow(/^miss\.npz: missing array "actions"/));
  it('refuses an action outside 0..2, naming the row', () => {
    const bytes = writeNpz({
      states: { values: [1, 2, 3, 4], shape: [2, 2], dtype: '<f4' },
      actions: { values: [1, 3], shape: [2], dtype: '<i4' },
      strengths: { values: [0.5, 0.5], shape: [2], dtype: '<f8' },
    });
    return expect(importBytes(bytes, 'act.npz')).rejects.toThrow(/^act\.npz, row 2, column "actions": action 3 is not 0 \(HOLD\), 1 \(BUY\) or 2 \(SELL\)$/);
  });
  it('refuses a strength outside 0..1', () => {
    const bytes = writeNpz({
      states: { values: [1, 2], shape: [1, 2], dtype: '<f4' },
      actions: { values: [1], shape: [1], dtype: '<i4' },
      strengths: { values: [1.5], shape: [1], dtype: '<f8' },
    });
    return expect(importBytes(bytes, 'str.npz')).rejects.toThrow(/^str\.npz, row 1, column "strengths": strength 1\.5 is outside 0\.\.1$/);
  });
  it('refuses a broken zip', () => expect(importBytes(fixture('offline_f32_i64.npz').slice(0, 300), 'cut.npz')).rejects.toThrow(/^cut\.npz: cannot read it as an \.npz \(zip\) file: it is not a zip file/));
});
