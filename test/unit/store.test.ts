import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { openLabDb } from '../../src/store/db';
import { deleteDataset, getDatasetMeta, listDatasets, loadColumn, loadRows, purgeDeleted, renameDataset, restoreDataset, saveDataset } from '../../src/store/datasets';
import type { Dataset } from '../../src/core/data/types';
import { importReady } from './helpers';

let dbCount = 0;
const freshDb = () => openLabDb(`test-${++dbCount}-${Math.random()}`);

async function candles(rows: number, chunkRows: number): Promise<Dataset> {
  const lines = ['time,open,high,low,close,volume,side_note'];
  for (let i = 0; i < rows; i++) lines.push(`${Date.UTC(2024, 0, 1) + i * 60_000},${10 + i},${12 + i},${9 + i},${11 + i},${i},${i % 2 ? 'odd' : 'even'}`);
  const ds = await importReady(lines.join('\n'), 'c.csv');
  ds.meta.chunkRows = chunkRows;
  return ds;
}

describe('dataset store', () => {
  it('saves a dataset in chunks and reads columns back across chunk boundaries', async () => {
    const db = await freshDb();
    const ds = await candles(25, 8);
    await saveDataset(db, ds);
    const [meta] = await listDatasets(db);
    expect(meta.rows).toBe(25);
    expect(await db.count('chunks')).toBe(7 * 4);
    const close = await loadColumn(db, meta, 'close');
    expect(close.type === 'number' && Array.from(close.values)).toEqual(Array.from({ length: 25 }, (_, i) => 11 + i));
    const part = await loadColumn(db, meta, 'open', 6, 18);
    expect(part.type === 'number' && Array.from(part.values)).toEqual(Array.from({ length: 12 }, (_, i) => 16 + i));
    const rows = await loadRows(db, meta, 23, 25);
    const note = rows[meta.columns.indexOf('side_note')];
    expect(note.type === 'text' && Array.from(note.codes, (c) => note.dictionary[c])).toEqual(['odd', 'even']);
  });

  it('survives reopening the database (a reload)', async () => {
    const name = `reload-${Math.random()}`;
    const db = await openLabDb(name);
    await saveDataset(db, await candles(10, 4));
    db.close();
    const again = await openLabDb(name);
    expect((await listDatasets(again)).map((d) => d.rows)).toEqual([10]);
  });

  it('stores nothing when a write fails part-way (all or nothing)', async () => {
    const db = await freshDb();
    const ds = await candles(20, 4);
    // a column that cannot be cloned makes one put throw after others were queued
    (ds.columns[3] as unknown as { values: unknown }).values = { slice: () => () => 0 };
    await expect(saveDataset(db, ds)).rejects.toThrow();
    expect(await db.count('chunks')).toBe(0);
    expect(await db.count('datasets')).toBe(0);
  });

  it('says plainly when the storage quota is used up, and stores nothing', async () => {
    const db = await freshDb();
    const ds = await candles(20, 4);
    const put = IDBObjectStore.prototype.put;
    let calls = 0;
    IDBObjectStore.prototype.put = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
      if (++calls === 3) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      return put.apply(this, args);
    };
    try {
      await expect(saveDataset(db, ds)).rejects.toThrow(/^Not enough storage space in this browser to keep the dataset/);
    } finally {
      IDBObjectStore.prototype.put = put;
    }
    expect(await db.count('chunks')).toBe(0);
    expect(await db.count('datasets')).toBe(0);
  });

  it('renames, deletes undoably, restores and purges', async () => {
    const db = await freshDb();
    const a = await candles(5, 4);
    await saveDataset(db, a);
    await renameDataset(db, a.meta.id, '  BTC 1m  ');
    expect((await getDatasetMeta(db, a.meta.id))?.name).toBe('BTC 1m');
    await expect(renameDataset(db, a.meta.id, '   ')).rejects.toThrow('A dataset needs a name.');

    await deleteDataset(db, a.meta.id);
    expect(await listDatasets(db)).toEqual([]);
    await restoreDataset(db, a.meta.id);
    expect((await listDatasets(db)).length).toBe(1);

    await deleteDataset(db, a.meta.id);
    expect(await purgeDeleted(db, 60_000)).toBe(0); // still inside the undo window
    expect(await purgeDeleted(db, 0)).toBe(1);
    expect(await db.count('datasets')).toBe(0);
    expect(await db.count('chunks')).toBe(0);
  });

  it('keeps offline datasets: a states matrix and the action and strength vectors', async () => {
    const { writeNpz } = await import('../../src/core/data/npz');
    const bytes = writeNpz({
      states: { values: Array.from({ length: 30 }, (_, i) => i), shape: [10, 3], dtype: '<f4' },
      actions: { values: [0, 1, 2, 0, 1, 2, 0, 1, 2, 0], shape: [10], dtype: '<i8' },
      strengths: { values: Array.from({ length: 10 }, (_, i) => i / 10), shape: [10], dtype: '<f8' },
    });
    const ds = await importReady(bytes, 'o.npz');
    ds.meta.chunkRows = 4;
    const db = await freshDb();
    await saveDataset(db, ds);
    const states = await loadColumn(db, ds.meta, 'states', 3, 5);
    expect(states.type === 'matrix' && Array.from(states.values)).toEqual([9, 10, 11, 12, 13, 14]);
  });
});
