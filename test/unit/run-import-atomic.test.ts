// A run import is all or nothing: a failure after part of its records stores none of them, in
// words that name the zip; records an older import left behind are removed at start-up and never
// merge into a later import of the same run.
import 'fake-indexeddb/auto';
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunRecords } from '../../src/core/run/contracts';
import { importRunArchive, readRunZip } from '../../src/services/runArchive';
import { openLabDb, type LabDb } from '../../src/store/db';
import { removeLeftoverChunks } from '../../src/store/datasets';
import { removeLeftoverRunRecords, runRecords, storeImportedRun } from '../../src/store/runs';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const RUN = 'run_20250102_030405';
const zipBytes = () => new Uint8Array(readFileSync(resolve(__dirname, `../fixtures/runs/${RUN}.zip`)));
const STORES = ['runs', 'episodes', 'evaluations', 'updates', 'checkpoints'] as const;
let dbCount = 0;
const freshDb = () => openLabDb(`atomic-${++dbCount}`);

async function counts(db: LabDb): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const s of STORES) out[s] = (await db.getAllKeys(s)).length;
  return out;
}
const nothing = { runs: 0, episodes: 0, evaluations: 0, updates: 0, checkpoints: 0 };

/** The zip's records, checkpoints in the store's order (by name), for comparing with what an import stored. */
const expected = (): RunRecords => {
  const records = readRunZip(zipBytes(), 'run.zip');
  return { ...records, checkpoints: [...records.checkpoints].sort((a, b) => a.name.localeCompare(b.name)) };
};

const realPut = IDBObjectStore.prototype.put;
afterEach(() => {
  IDBObjectStore.prototype.put = realPut;
});

/** Every put after the first `n` fails at once, as a full disk would. */
function failPutsAfter(n: number) {
  let calls = 0;
  IDBObjectStore.prototype.put = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
    if (++calls > n) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    return realPut.apply(this, args);
  };
}

describe('run import, all or nothing', () => {
  it('a failure after part of the records stores nothing; a good import after it is exact', async () => {
    const db = await freshDb();
    failPutsAfter(12); // the ten episodes, both evaluations, then the updates fail
    await expect(importRunArchive(db, zipBytes(), 'run.zip')).rejects.toThrow(
      /^Cannot import "run\.zip": nothing was stored: train_metrics\.jsonl, update 1: there is not enough storage space in this browser/,
    );
    expect(await counts(db)).toEqual(nothing);

    IDBObjectStore.prototype.put = realPut;
    expect(await importRunArchive(db, zipBytes(), 'run.zip')).toBe(RUN);
    expect(await counts(db)).toEqual({ runs: 1, episodes: 10, evaluations: 2, updates: 4, checkpoints: 3 });
    expect(await runRecords(db, RUN)).toEqual(expected());
  });

  it('a record the browser cannot clone, thrown at once mid-way, rolls back what was queued before it', async () => {
    const db = await freshDb();
    const records = expected();
    // the second checkpoint holds a function: put throws DataCloneError after the episodes,
    // evaluations, updates and first checkpoint were queued
    (records.checkpoints[1] as unknown as { checkpoint: { payload: unknown } }).checkpoint.payload = { weights: () => 0 };
    await expect(storeImportedRun(db, records)).rejects.toThrow(/^checkpoints\/final_model\/: a record is not plain data the browser can store/);
    expect(await counts(db)).toEqual(nothing);
  });

  it('leftovers of an older, interrupted import are removed at start-up and never merge into a later import', async () => {
    const db = await freshDb();
    const good = expected();
    // what the old bug left: episodes and a checkpoint with no run record, numbered beyond the run's own
    await db.put('episodes', { ...good.episodes[0], episode: 99 });
    await db.put('checkpoints', { ...good.checkpoints[0], name: 'step_999999' });
    await db.put('episodes', { ...good.episodes[0], runId: 'run_20000101_000000', episode: 1 });
    expect((await removeLeftoverRunRecords(db)).sort()).toEqual(['run_20000101_000000', RUN]);
    expect(await counts(db)).toEqual(nothing);
    expect(await removeLeftoverRunRecords(db)).toEqual([]);
  });

  it('an import clears leftovers under its run id even before the start-up sweep', async () => {
    const db = await freshDb();
    const good = expected();
    await db.put('episodes', { ...good.episodes[0], episode: 99 });
    await importRunArchive(db, zipBytes(), 'run.zip');
    expect(await runRecords(db, RUN)).toEqual(good);
  });

  it('refuses a run already stored, in words, and leaves it as it was', async () => {
    const db = await freshDb();
    await importRunArchive(db, zipBytes(), 'run.zip');
    await expect(importRunArchive(db, zipBytes(), 'again.zip')).rejects.toThrow(/^Cannot import "again\.zip": nothing was stored: run run_20250102_030405 is already in this browser/);
    expect(await runRecords(db, RUN)).toEqual(expected());
  });

  it('dataset chunks without their dataset are removed at start-up too, and a dataset keeps its own', async () => {
    const db = await freshDb();
    await db.put('datasets', { id: 'kept' } as never);
    await db.put('chunks', { datasetId: 'kept', column: 'close', index: 0, values: new Float64Array(2) });
    await db.put('chunks', { datasetId: 'gone', column: 'close', index: 0, values: new Float64Array(2) });
    await db.put('chunks', { datasetId: 'gone', column: 'open', index: 1, values: new Float64Array(2) });
    expect(await removeLeftoverChunks(db)).toEqual(['gone']);
    expect((await db.getAllKeys('chunks')).map((k) => k[0])).toEqual(['kept']);
  });
});
