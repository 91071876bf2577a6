// Behavior-cloning runs are runs like PPO's: stored in IndexedDB, exported as a run folder zip
// (config.json, train_metrics.jsonl by epoch, evaluation.json, model.json + weights.bin +
// trainer_state.json per member, TensorBoard scalars), imported back record for record, and an
// ensemble interrupted part-way continues to the weights an uninterrupted one reaches.
import 'fake-indexeddb/auto';
import * as tf from '@tensorflow/tfjs';
import { openDB } from 'idb';
import { unzipSync, zipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { trainEnsemble } from '../../src/algos/bc/ensemble';
import type { BcCheckpoint, BcHyperparameters } from '../../src/algos/bc/trainer';
import { bcModelFiles } from '../../src/algos/bc/modelFiles';
import { DEFAULT_BC } from '../../src/algos/bc/hyperparameters';
import type { BcRunConfig } from '../../src/algos/bc/config';
import { zipRun } from '../../src/core/run/exportRun';
import type { RunRecords, StoredCheckpoint, StoredUpdate } from '../../src/core/run/contracts';
import { bcCheckpointRecord, bcUpdateRecord, latestBcCheckpoints } from '../../src/algos/bc/records';
import { readRunZip as importRunZip, runFolderFiles } from '../../src/services/runArchive';
import { readTensorboardEvents } from '../../src/core/run/tensorboard';
import { pythonIsoTime } from '../../src/core/run/record';
import { openLabDb } from '../../src/store/db';
import { appendRunRecords, getRun, listRuns, markInterrupted, purgeDeletedRuns, restoreRun, runRecords, trashRun } from '../../src/store/runs';
import { gaussianData } from './helpers';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const RUN_ID = 'run_20260301_101500';
const DATA = gaussianData(600, 6, [0.5, 0.3, 0.2], [0, 2, -2], 11);
const HP: BcHyperparameters = { ...DEFAULT_BC, hidden_dim: 16, num_layers: 2, batch_size: 64, max_epochs: 3, seed: 1 };

function bcConfig(seeds: number[]): BcRunConfig {
  const now = pythonIsoTime(new Date(2026, 2, 1, 10, 15, 0));
  return {
    run_id: RUN_ID, created_at: now, completed_at: null, status: 'running', algorithm: 'BC', ...HP, seed: seeds[0], data_file: 'synthetic.npz',
    final_metrics: { best_epoch: null, best_val_loss: null, val_acc: null, macro_f1: null, epochs_done: 0 },
    name: 'bc test', tags: ['t'], dataset_id: 'ds', dataset_name: 'synthetic', seeds, source_kind: 'offline', samples: 600, state_width: 6,
    backend: 'cpu', backend_requested: 'cpu', backend_trials: [], error: null, progress_epochs: 0, updated_at: now, evaluation: null,
  };
}

/** Trains an ensemble the way the worker does, collecting what it would store. */
async function trainedRun(seeds: number[], opts: { stopAfter?: number; resume?: (seed: number) => BcCheckpoint | undefined } = {}) {
  const config = bcConfig(seeds);
  const epochs: StoredUpdate[] = [];
  const checkpoints = new Map<string, StoredCheckpoint>();
  let epochsSeen = 0;
  const result = await trainEnsemble(seeds, {
    hp: config,
    data: DATA,
    resume: opts.resume,
    control: { stopRequested: () => opts.stopAfter !== undefined && epochsSeen >= opts.stopAfter },
    sink: (seed) => ({
      epoch(m) {
        epochsSeen++;
        epochs.push(bcUpdateRecord(config, seed, m));
      },
      checkpoint(c) {
        const record = bcCheckpointRecord(config, seed, c);
        checkpoints.set(record.name, record);
      },
    }),
  });
  config.status = 'completed';
  config.evaluation = {
    source: { kind: 'offline', samples: 600, actionCounts: [300, 180, 120] },
    members: result.reports,
    ensemble_accuracy: result.ensemble.eval_acc,
    report: result.ensemble.report,
    overfitting_signs: [],
    backtest: null,
    samples_per_s: 1234,
    predict_ms: { p50: 0.1, p99: 0.2 },
  };
  config.final_metrics = { best_epoch: result.members[0].bestEpoch, best_val_loss: result.members[0].bestValLoss, val_acc: result.ensemble.eval_acc, macro_f1: result.ensemble.report.macroF1, epochs_done: epochs.length };
  config.progress_epochs = epochs.length;
  const records: RunRecords<BcRunConfig> = { config, episodes: [], evaluations: [], updates: epochs, checkpoints: [...checkpoints.values()] };
  return { records, result };
}

const exportZip = async (records: RunRecords<BcRunConfig>) => zipRun(await runFolderFiles(records as unknown as RunRecords));

describe('behavior-cloning runs', () => {
  it('export an ensemble in the run folder layout, and import back record for record', async () => {
    const { records, result } = await trainedRun([1, 2]);
    const zip = await exportZip(records);
    const files = unzipSync(zip);
    const names = Object.keys(files).map((n) => n.slice(RUN_ID.length + 1)).sort();
    expect(names.filter((n) => !n.startsWith('tensorboard/'))).toEqual([
      'checkpoints/seed_1/best_model/model.json', 'checkpoints/seed_1/best_model/model.onnx', 'checkpoints/seed_1/best_model/trainer_state.json', 'checkpoints/seed_1/best_model/weights.bin',
      'checkpoints/seed_1/final_model/model.json', 'checkpoints/seed_1/final_model/model.onnx', 'checkpoints/seed_1/final_model/trainer_state.json', 'checkpoints/seed_1/final_model/weights.bin',
      'checkpoints/seed_2/best_model/model.json', 'checkpoints/seed_2/best_model/model.onnx', 'checkpoints/seed_2/best_model/trainer_state.json', 'checkpoints/seed_2/best_model/weights.bin',
      'checkpoints/seed_2/final_model/model.json', 'checkpoints/seed_2/final_model/model.onnx', 'checkpoints/seed_2/final_model/trainer_state.json', 'checkpoints/seed_2/final_model/weights.bin',
      'config.json', 'evaluation.json', 'metrics.json', 'train_metrics.jsonl',
    ]);
    const text = (n: string) => new TextDecoder().decode(files[`${RUN_ID}/${n}`]);
    const config = JSON.parse(text('config.json'));
    expect(Object.keys(config).slice(0, 5)).toEqual(['run_id', 'created_at', 'completed_at', 'status', 'algorithm']);
    expect(config.algorithm).toBe('BC');
    expect(config.seeds).toEqual([1, 2]);
    expect(config).not.toHaveProperty('evaluation'); // it is evaluation.json
    const lines = text('train_metrics.jsonl').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.seed, l.epoch])).toEqual(records.updates.map((e) => [e.member, e.step]));
    expect(Object.keys(lines[0]).slice(0, 3)).toEqual(['seed', 'epoch', 'train_loss']);
    expect(JSON.parse(text('evaluation.json')).members.map((m: { seed: number }) => m.seed)).toEqual([1, 2]);
    const metrics = JSON.parse(text('metrics.json'));
    expect([metrics.episodes, metrics.evaluations, metrics.checkpoints.map((c: { path: string }) => c.path).sort()[0]]).toEqual([[], [], 'checkpoints/seed_1/best_model']);
    const tensorboard = Object.keys(files).find((n) => n.includes('tfevents'))!;
    const tags = new Set(readTensorboardEvents(files[tensorboard]).map((s) => s.tag));
    expect(tags).toContain('seed_1/val/loss');
    expect(tags).toContain('seed_2/train/accuracy');

    const back = importRunZip(zip, `${RUN_ID}.zip`);
    expect(back.config).toEqual(records.config);
    expect(back.updates).toEqual([...records.updates].sort((a, b) => a.update - b.update));
    expect(back.episodes).toEqual([]);
    const byName = (a: StoredCheckpoint, b: StoredCheckpoint) => a.name.localeCompare(b.name);
    expect([...back.checkpoints].sort(byName)).toEqual([...records.checkpoints].sort(byName));
    for (const m of result.members) m.dispose();
  }, 60_000);

  it('model.json loads with tf.loadLayersModel and gives the PolicyNet’s probabilities and strength', async () => {
    const { records, result } = await trainedRun([4]);
    const final = records.checkpoints.find((c) => c.name === 'final')!;
    const files = await bcModelFiles(final.checkpoint.payload as BcCheckpoint);
    const json = JSON.parse(files.modelJson);
    expect(json.userDefinedMetadata.kind).toBe('rl-trading-lab/bc-policynet');
    const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: files.weightsBin.slice().buffer as ArrayBuffer }));
    const { mean, var: variance, clip } = json.userDefinedMetadata.observation_normalizer;
    for (const row of [3, 100, 400]) {
      const raw = DATA.states.slice(row * 6, row * 6 + 6);
      const x = Array.from(raw, (v, i) => Math.max(-clip, Math.min(clip, (v - mean[i]) / Math.sqrt(variance[i] + 1e-8))));
      const [probs, strength] = tf.tidy(() => (model.predict(tf.tensor2d([x])) as tf.Tensor[]).map((t) => Array.from(t.dataSync())));
      const expected = await result.members[0].predict(raw);
      probs.forEach((p, a) => expect(p).toBeCloseTo(expected.probs[a], 5));
      expect(strength[0]).toBeCloseTo(expected.strength, 5);
    }
    model.dispose();
    for (const m of result.members) m.dispose();
  }, 60_000);

  it('refuses a zip whose train_metrics.jsonl names a seed the run does not have, naming file and line', async () => {
    const { records, result } = await trainedRun([1]);
    const files = unzipSync(await exportZip(records));
    const path = `${RUN_ID}/train_metrics.jsonl`;
    const lines = new TextDecoder().decode(files[path]).split('\n');
    lines[1] = lines[1].replace('"seed":1', '"seed":9');
    files[path] = new TextEncoder().encode(lines.join('\n'));
    expect(() => importRunZip(zipSync(files), 'edited.zip')).toThrow(`Cannot import "edited.zip": ${RUN_ID}/train_metrics.jsonl: line 2: seed 9 is not one of config.json's seeds (1)`);
    for (const m of result.members) m.dispose();
  }, 60_000);

  it('refuses epochs outside 1..max_epochs and checkpoint folders that are not the run’s seeds', async () => {
    const { records, result } = await trainedRun([1, 2]);
    const exported = unzipSync(await exportZip(records));
    const edited = (edit: (files: Record<string, Uint8Array>) => void) => {
      const files = { ...exported };
      edit(files);
      return zipSync(files);
    };
    const jsonl = `${RUN_ID}/train_metrics.jsonl`;
    const epochBeyond = edited((f) => { f[jsonl] = new TextEncoder().encode(new TextDecoder().decode(f[jsonl]).replace('"epoch":3', '"epoch":4')); });
    expect(() => importRunZip(epochBeyond, 'e.zip')).toThrow(`${RUN_ID}/train_metrics.jsonl: line 3: epoch 4 is outside 1..max_epochs (3)`);
    const foreignSeed = edited((f) => {
      for (const name of Object.keys(f)) if (name.includes('/seed_2/')) { f[name.replace('/seed_2/', '/seed_7/')] = f[name]; delete f[name]; }
    });
    expect(() => importRunZip(foreignSeed, 'e.zip')).toThrow(/checkpoints\/seed_7\/(best|final)_model\/ is not a checkpoint folder of this behavior-cloning run \(seeds 1, 2\)/);
    for (const m of result.members) m.dispose();
  }, 60_000);

  it('a stop as a member finishes ends the ensemble there; a failure frees every member', async () => {
    let stop = false;
    const stopped = await trainEnsemble([1, 2, 3], {
      hp: HP, data: DATA,
      control: { stopRequested: () => stop },
      sink: (seed) => ({ epoch() {}, checkpoint(c) { if (seed === 1 && c.kind === 'final') stop = true; } }),
    });
    expect(stopped.reports.map((r) => r.seed)).toEqual([1]);
    expect(stopped.members).toHaveLength(1);
    for (const m of stopped.members) m.dispose();

    const before = tf.memory().numTensors;
    await expect(trainEnsemble([1, 2], {
      hp: HP, data: DATA,
      sink: (seed) => ({ epoch() { if (seed === 2) throw new Error('disk full'); }, checkpoint() {} }),
    })).rejects.toThrow('disk full');
    expect(tf.memory().numTensors).toBe(before);
  }, 60_000);

  it('an ensemble stopped part-way continues from its checkpoints to the weights of one never stopped', async () => {
    const whole = await trainedRun([1, 2]);
    // stop during the second member: the first has its final checkpoint, the second a stopped one
    const part = await trainedRun([1, 2], { stopAfter: 4 });
    expect(part.result.reports.map((r) => r.outcome)).toEqual([whole.result.reports[0].outcome, 'stopped']);
    // what the worker continues from: the first member's final checkpoint, the second's stopped one
    const latest = latestBcCheckpoints(part.records.config as BcRunConfig, part.records.checkpoints);
    expect([latest.get(1)?.kind, latest.get(2)?.status]).toEqual(['final', 'stopped']);
    const continued = await trainedRun([1, 2], { resume: (seed) => latest.get(seed) });
    expect(continued.result.reports).toEqual(whole.result.reports);
    // the first member was restored from its final checkpoint, the second trained on from its stop
    for (let k = 0; k < 2; k++) {
      const [a, b] = [await continued.result.members[k].checkpoint('final', 'completed'), await whole.result.members[k].checkpoint('final', 'completed')];
      a.weights.forEach((w, i) => expect(Array.from(w.values)).toEqual(Array.from(b.weights[i].values)));
    }
    for (const r of [whole, part, continued]) for (const m of r.result.members) m.dispose();
  }, 60_000);

  it('are stored, listed, marked interrupted, deleted with undo, and purged with their epochs', async () => {
    const db = await openLabDb(`bc-runs-${Math.random()}`);
    const { records, result } = await trainedRun([1]);
    records.config.status = 'running';
    await appendRunRecords(db, records as unknown as RunRecords);
    expect((await listRuns(db)).map((r) => r.algorithm)).toEqual(['BC']);
    const back = await runRecords(db, RUN_ID);
    expect(back.updates).toHaveLength(records.updates.length);
    expect(back.checkpoints.map((c) => c.name).sort()).toEqual(['best', 'final']);
    expect(await markInterrupted(db, () => false)).toEqual([RUN_ID]);
    expect((await getRun(db, RUN_ID))?.status).toBe('interrupted');
    // a deletion hides the run and can be undone; once its window has passed, it goes for good
    const deletedAt = new Date(2026, 0, 1, 12, 0, 0);
    await trashRun(db, RUN_ID, deletedAt);
    expect(await listRuns(db)).toEqual([]);
    await restoreRun(db, RUN_ID);
    expect((await listRuns(db)).map((r) => r.run_id)).toEqual([RUN_ID]);
    expect(await getRun(db, RUN_ID)).not.toHaveProperty('deleted_at');
    await trashRun(db, RUN_ID, deletedAt);
    expect(await purgeDeletedRuns(db, 10_000, deletedAt.getTime() + 9_999)).toEqual([]);
    expect(await db.count('updates')).toBe(records.updates.length);
    expect(await purgeDeletedRuns(db, 10_000, deletedAt.getTime() + 10_000)).toEqual([RUN_ID]);
    expect(await db.count('runs')).toBe(0);
    expect(await db.count('updates')).toBe(0);
    expect(await db.count('checkpoints')).toBe(0);
    for (const m of result.members) m.dispose();
  }, 60_000);
});

describe('database upgrade', () => {
  it('opens a version 1 database (datasets only) and a version 2 one (runs) without losing what they hold', async () => {
    const v1 = `v1-${Math.random()}`;
    const old1 = await openDB(v1, 1, { upgrade(db) { db.createObjectStore('datasets', { keyPath: 'id' }); db.createObjectStore('chunks', { keyPath: ['datasetId', 'column', 'index'] }).createIndex('byDataset', 'datasetId'); } });
    await old1.put('datasets', { id: 'd1', name: 'kept' });
    old1.close();
    const db1 = await openLabDb(v1);
    expect((await db1.get('datasets', 'd1'))?.name).toBe('kept');
    // schema 4: behavior-cloning epochs are updates, in the one updates store; schema 5: the model registry's stores
    expect([...db1.objectStoreNames].sort()).toEqual(['checkpoints', 'chunks', 'datasets', 'episodes', 'evaluations', 'modelCheckpoints', 'modelVersions', 'models', 'retrainDecisions', 'runs', 'updates']);
    db1.close();

    const v2 = `v2-${Math.random()}`;
    const old2 = await openDB(v2, 2, {
      upgrade(db) {
        db.createObjectStore('datasets', { keyPath: 'id' });
        db.createObjectStore('chunks', { keyPath: ['datasetId', 'column', 'index'] }).createIndex('byDataset', 'datasetId');
        db.createObjectStore('runs', { keyPath: 'run_id' });
        for (const [name, key] of [['episodes', 'episode'], ['evaluations', 'step'], ['updates', 'update']]) db.createObjectStore(name, { keyPath: ['runId', key] });
        db.createObjectStore('checkpoints', { keyPath: ['runId', 'name'] });
      },
    });
    await old2.put('runs', { run_id: 'run_1', algorithm: 'PPO', created_at: '2026-01-01T00:00:00' });
    old2.close();
    const db2 = await openLabDb(v2);
    expect((await listRuns(db2)).map((r) => r.run_id)).toEqual(['run_1']);
    expect(db2.objectStoreNames.contains('updates')).toBe(true);
    db2.close();
  });
});
