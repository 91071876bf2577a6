// Runs exported by the lab before the registry redesign (test/fixtures/runs/, made by main at
// schema version 3) still import record for record: imported, or loaded into a version 3 browser
// database and upgraded, they export again as exactly the files they came in (and, since the ONNX
// export, a model.onnx beside each model.json).
import 'fake-indexeddb/auto';
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { unzipSync } from 'fflate';
import { openDB } from 'idb';
import { beforeAll, describe, expect, it } from 'vitest';
import { onnxModelProblem } from '../../src/core/onnx/check';
import { float32FromBase64 } from '../../src/core/run/format';
import { openLabDb } from '../../src/store/db';
import { runRecords } from '../../src/store/runs';
import { readRunZip, runFolderFiles } from '../../src/services/runArchive';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const DIR = resolve(__dirname, '../fixtures/runs');
const FIXTURES = [
  { runId: 'run_20250102_030405', algorithm: 'PPO', counts: { episodes: 10, evaluations: 2, updates: 4, checkpoints: 3 } },
  { runId: 'run_20250102_040506', algorithm: 'BC', counts: { episodes: 0, evaluations: 0, updates: 6, checkpoints: 4 } },
];

/** A model.json without the name TensorFlow.js numbers its Sequential models with per process. */
const modelJson = (bytes: Uint8Array) => {
  const json = JSON.parse(new TextDecoder().decode(bytes));
  if (json.modelTopology?.class_name === 'Sequential') delete json.modelTopology.config.name;
  return json;
};

/**
 * The export holds the zip's files, each as it was, and one thing these zips predate: a model.onnx
 * beside every model.json (an ONNX model, written from the checkpoint's weights).
 */
function expectSameFiles(exported: Record<string, Uint8Array>, expected: Record<string, Uint8Array>) {
  const onnx = Object.keys(exported).filter((path) => path.endsWith('/model.onnx'));
  expect(onnx.sort()).toEqual(Object.keys(expected).filter((path) => path.endsWith('/model.json')).map((path) => path.replace(/model\.json$/, 'model.onnx')).sort());
  for (const path of onnx) expect(onnxModelProblem(exported[path]), path).toBeNull();
  const actual = Object.fromEntries(Object.entries(exported).filter(([path]) => !path.endsWith('/model.onnx')));
  expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
  for (const [path, bytes] of Object.entries(expected)) {
    if (path.endsWith('/model.json')) expect(modelJson(actual[path]), path).toEqual(modelJson(bytes));
    else expect(Buffer.from(actual[path]).equals(Buffer.from(bytes)), path).toBe(true);
  }
}

/** The v3 records file: tensors' values were written as base64 float32. */
function v3Records(runId: string): Record<string, unknown[] | Record<string, unknown>> {
  const revive = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(revive);
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.values === 'string' && Array.isArray(o.shape)) return { ...o, values: float32FromBase64(o.values) };
      return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, revive(x)]));
    }
    return v;
  };
  return revive(JSON.parse(readFileSync(`${DIR}/${runId}.v3-records.json`, 'utf8'))) as never;
}

describe('runs exported before the registry redesign', () => {
  for (const f of FIXTURES) {
    const zip = new Uint8Array(readFileSync(`${DIR}/${f.runId}.zip`));

    it(`${f.algorithm} (${f.runId}): import, then export, gives back the same files`, async () => {
      const records = readRunZip(zip, `${f.runId}.zip`);
      expect(records.config.algorithm).toBe(f.algorithm);
      expect({ episodes: records.episodes.length, evaluations: records.evaluations.length, updates: records.updates.length, checkpoints: records.checkpoints.length }).toEqual(f.counts);
      expectSameFiles(await runFolderFiles(records), unzipSync(zip));
    }, 60_000);

    it(`${f.algorithm} (${f.runId}): a version 3 database holding it upgrades to version 4 without losing a record`, async () => {
      const name = `v3-${f.runId}-${Math.random()}`;
      const old = v3Records(f.runId);
      // the schema of version 3, as main had it, and the records it stored
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
      await v3.put('runs', old.config);
      for (const store of ['episodes', 'evaluations', 'updates', 'checkpoints', 'epochs']) for (const row of old[store] as unknown[]) await v3.put(store, row);
      v3.close();

      const db = await openLabDb(name);
      expect(db.objectStoreNames.contains('epochs' as never)).toBe(false);
      const records = await runRecords(db, f.runId);
      expect({ episodes: records.episodes.length, evaluations: records.evaluations.length, updates: records.updates.length, checkpoints: records.checkpoints.length }).toEqual(f.counts);
      for (const c of records.checkpoints) expect(c.checkpoint.algorithm).toBe(f.algorithm);
      expectSameFiles(await runFolderFiles(records), unzipSync(zip));
      db.close();
    }, 60_000);
  }
});
