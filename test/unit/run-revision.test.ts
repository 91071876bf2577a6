// A run reads the rows its dataset had when it started: an append since never moves its segments,
// also when it is resumed after the append.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { openLabDb } from '../../src/store/db';
import { getDatasetMeta, saveDataset } from '../../src/store/datasets';
import { getRun } from '../../src/store/runs';
import { appendFile } from '../../src/services/dataAppend';
import { idbRepository } from '../../src/services/idbRepository';
import { TrainingService } from '../../src/services/training';
import type { TrainRequest } from '../../src/algos/spec';
import { Rng } from '../../src/core/rng';
import { importReady } from './helpers';

const T0 = Date.UTC(2024, 0, 1);
const MIN5 = 300_000;

function walk(rows: number, seed = 7): string[] {
  const rng = new Rng(seed);
  let price = 100;
  const lines: string[] = [];
  for (let i = 0; i < rows; i++) {
    const next = price * Math.exp(0.004 * (rng.next() - 0.5));
    const hi = Math.max(price, next) * 1.001, lo = Math.min(price, next) * 0.999;
    lines.push(`${new Date(T0 + i * MIN5).toISOString()},${price},${hi},${lo},${next},${100 + i % 7}`);
    price = next;
  }
  return lines;
}

describe('a run and a dataset that grows', () => {
  it('keeps its revision, rows and segments through an append and a resume', async () => {
    await tf.setBackend('cpu');
    const db = await openLabDb();
    const lines = walk(1200);
    const head = 'time,open,high,low,close,volume';
    const ds = await importReady([head, ...lines.slice(0, 900)].join('\n'), 'walk.csv');
    await saveDataset(db, ds);
    const service = new TrainingService({ repository: idbRepository(() => openLabDb()), backends: ['cpu'], flushMs: 0 });
    const request: TrainRequest = {
      algorithm: 'PPO', datasetId: ds.meta.id, env: 'position', backend: 'cpu',
      hyperparameters: { total_timesteps: 512, n_envs: 2, n_steps: 64, batch_size: 64, n_epochs: 1, net_arch: [16], eval_freq: 256, save_freq: 128, max_steps: 64, seed: 3 },
    };
    const run = await service.start(request, () => {});
    // stop after the first checkpoint, so there is something left to resume
    for (let i = 0; i < 400 && !(await getRun(db, run.runId))?.data_segments; i++) await new Promise((r) => setTimeout(r, 10));
    await service.stop();
    expect(await run.done).toBe('stopped');
    const before = (await getRun(db, run.runId))!;
    expect(before).toMatchObject({ dataset_revision: 1, dataset_rows: 900 });
    expect(before.data_segments).toMatchObject({ unit: '5m steps' });
    const test = before.data_segments!.test!;
    expect(test[1]).toBe(900);

    // 300 more rows arrive, then the run goes on
    const more = Object.assign(new Blob([[head, ...lines.slice(880)].join('\n')]), { name: 'walk-more.csv' });
    expect(await appendFile(ds.meta.id, more)).toMatchObject({ added: 300, dropped: 20 });
    expect((await getDatasetMeta(db, ds.meta.id))!).toMatchObject({ rows: 1200, revision: 2 });
    const resumed = await service.start({ resumeRunId: run.runId }, () => {});
    expect(await resumed.done).toBe('completed');
    const after = (await getRun(db, run.runId))!;
    expect(after).toMatchObject({ dataset_revision: 1, dataset_rows: 900, status: 'completed' });
    expect(after.data_segments).toEqual(before.data_segments);

    // a new run on the grown dataset reads all of it
    const fresh = await service.start({ ...request, hyperparameters: { ...request.hyperparameters, total_timesteps: 128 } }, () => {});
    expect(await fresh.done).toBe('completed');
    const grown = (await getRun(db, fresh.runId))!;
    expect(grown).toMatchObject({ dataset_revision: 2, dataset_rows: 1200 });
    expect(grown.data_segments!.test![1]).toBe(1200);
  }, 120_000);
});
