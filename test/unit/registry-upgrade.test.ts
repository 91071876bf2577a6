// Schema version 5 adds the model registry's stores and loses nothing: a version 4 database holding
// a dataset (metadata and chunks) and a run (config, episodes, evaluations, updates, checkpoints)
// opens at version 5 with every record as it was, readable through the store's own functions, and
// the new stores empty and usable.
import 'fake-indexeddb/auto';
import { openDB } from 'idb';
import { describe, expect, it } from 'vitest';
import { DB_VERSION, openLabDb } from '../../src/store/db';
import { getDatasetMeta, loadColumn } from '../../src/store/datasets';
import { runRecords } from '../../src/store/runs';
import { idbRegistry } from '../../src/store/registry';
import { ModelRegistry } from '../../src/core/registry/registry';
import { registerRunCheckpoint } from '../../src/services/registry';
import type { DatasetMeta } from '../../src/core/data/types';
import { fixtureRun, richRun } from './registryFixture';

/** Typed arrays as plain lists, so records compare by value whatever realm made them. */
const plain = (v: unknown): unknown => (ArrayBuffer.isView(v) ? Array.from(v as Float32Array) : Array.isArray(v) ? v.map(plain) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)])) : v);

const STORES = ['datasets', 'chunks', 'runs', 'episodes', 'evaluations', 'updates', 'checkpoints'] as const;

describe('schema version 5', () => {
  it('upgrades a version 4 database without losing or changing a record', async () => {
    expect(DB_VERSION).toBe(5);
    const name = `v4-${Math.random()}`;
    const records = richRun();
    const meta = {
      id: 'ds-eth-btc', name: 'ETH_BTC-5m', kind: 'candles', rows: 3, columns: ['time', 'close'], columnTypes: ['time', 'number'], chunkRows: 262_144, revision: 2,
      source: { fileName: 'eth.csv', size: 10, sha256: 'ab' }, createdAt: '2025-01-01T00:00:00.000Z',
    } as unknown as DatasetMeta;
    // version 4's schema, as main had it, and a record in each of its stores
    const v4 = await openDB(name, 4, {
      upgrade(db) {
        db.createObjectStore('datasets', { keyPath: 'id' });
        db.createObjectStore('chunks', { keyPath: ['datasetId', 'column', 'index'] }).createIndex('byDataset', 'datasetId');
        db.createObjectStore('runs', { keyPath: 'run_id' });
        db.createObjectStore('episodes', { keyPath: ['runId', 'episode'] });
        db.createObjectStore('evaluations', { keyPath: ['runId', 'step'] });
        db.createObjectStore('updates', { keyPath: ['runId', 'update'] });
        db.createObjectStore('checkpoints', { keyPath: ['runId', 'name'] });
      },
    });
    await v4.put('datasets', meta);
    await v4.put('chunks', { datasetId: meta.id, column: 'close', index: 0, values: new Float64Array([1.5, 2.5, 3.5]) });
    await v4.put('chunks', { datasetId: meta.id, column: 'time', index: 0, values: new Float64Array([0, 300_000, 600_000]) });
    await v4.put('runs', records.config);
    for (const e of records.episodes) await v4.put('episodes', e);
    for (const e of records.evaluations) await v4.put('evaluations', e);
    for (const u of records.updates) await v4.put('updates', u);
    for (const c of records.checkpoints) await v4.put('checkpoints', c);
    const before: Record<string, unknown> = {};
    for (const s of STORES) before[s] = plain(await v4.getAll(s));
    v4.close();

    const db = await openLabDb(name);
    expect(db.version).toBe(5);
    expect([...db.objectStoreNames].sort()).toEqual([...STORES, 'modelCheckpoints', 'modelVersions', 'models', 'retrainDecisions'].sort());
    for (const s of STORES) expect(plain(await db.getAll(s)), s).toEqual(before[s]);
    // and through the store's own readers
    const run = await runRecords(db, records.config.run_id);
    expect({ episodes: run.episodes.length, evaluations: run.evaluations.length, updates: run.updates.length, checkpoints: run.checkpoints.length })
      .toEqual({ episodes: records.episodes.length, evaluations: records.evaluations.length, updates: records.updates.length, checkpoints: records.checkpoints.length });
    expect(run.config).toEqual(records.config);
    expect((await getDatasetMeta(db, meta.id))?.revision).toBe(2);
    expect(Array.from((await loadColumn(db, meta, 'close') as { values: Float64Array }).values)).toEqual([1.5, 2.5, 3.5]);
    for (const s of ['models', 'modelVersions', 'modelCheckpoints', 'retrainDecisions'] as const) expect(await db.count(s)).toBe(0);

    // the new stores work on the upgraded database
    const registry = new ModelRegistry(idbRegistry(db));
    await registerRunCheckpoint(registry, { config: run.config, checkpoints: run.checkpoints, evaluations: run.evaluations }, { model: 'upgraded', checkpoint: 'best' });
    expect((await registry.getModel('upgraded'))?.aliases).toEqual({ latest: 1, champion: 1 });
    db.close();

    // and opening it again changes nothing
    const again = await openLabDb(name);
    expect(await again.count('modelVersions')).toBe(1);
    for (const s of STORES) expect(plain(await again.getAll(s)), s).toEqual(before[s]);
    again.close();
  });

  it('a fresh database has every store, a version 3 one upgrades through 4 to 5', async () => {
    const fresh = await openLabDb(`fresh-${Math.random()}`);
    expect(fresh.objectStoreNames.contains('modelVersions')).toBe(true);
    fresh.close();
    // version 3 (test/unit/fixtures.test.ts checks its records byte for byte); here: it reaches 5 with its run
    const name = `v3-${Math.random()}`;
    const run = fixtureRun();
    const v3 = await openDB(name, 3, {
      upgrade(db) {
        db.createObjectStore('datasets', { keyPath: 'id' });
        db.createObjectStore('chunks', { keyPath: ['datasetId', 'column', 'index'] }).createIndex('byDataset', 'datasetId');
        db.createObjectStore('runs', { keyPath: 'run_id' });
        for (const [store, key] of [['episodes', 'episode'], ['evaluations', 'step'], ['updates', 'update']]) db.createObjectStore(store, { keyPath: ['runId', key] });
        db.createObjectStore('checkpoints', { keyPath: ['runId', 'name'] });
        db.createObjectStore('epochs', { keyPath: ['runId', 'index'] });
      },
    });
    await v3.put('runs', run.config);
    v3.close();
    const db = await openLabDb(name);
    expect(db.version).toBe(5);
    expect((await runRecords(db, run.config.run_id)).config.run_id).toBe(run.config.run_id);
    expect(db.objectStoreNames.contains('models')).toBe(true);
    db.close();
  });
});
