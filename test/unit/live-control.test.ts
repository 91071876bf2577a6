// Live control through the training service: step one update while paused, change settings
// mid-run (recorded with the update they took effect), and a resume that keeps the changed values.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { openLabDb } from '../../src/store/db';
import { saveDataset } from '../../src/store/datasets';
import { getRun, runUpdates } from '../../src/store/runs';
import { idbRepository } from '../../src/services/idbRepository';
import { currentValues, TrainingService, type TrainingProgress } from '../../src/services/training';
import type { TrainRequest } from '../../src/algos/spec';
import { Rng } from '../../src/core/rng';
import { reportMarkdown } from '../../src/core/run/report';
import { controlMarkers } from '../../src/core/run/controls';
import { importReady } from './helpers';

function walk(rows: number, seed = 7): string {
  const rng = new Rng(seed);
  let price = 100;
  const lines = ['time,open,high,low,close,volume'];
  for (let i = 0; i < rows; i++) {
    const next = price * Math.exp(0.004 * (rng.next() - 0.5));
    lines.push(`${new Date(Date.UTC(2024, 0, 1) + i * 300_000).toISOString()},${price},${Math.max(price, next) * 1.001},${Math.min(price, next) * 0.999},${next},100`);
    price = next;
  }
  return lines.join('\n');
}

const until = async (what: () => boolean, label: string) => {
  for (let i = 0; i < 3000 && !what(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!what()) throw new Error(`timed out waiting for ${label}`);
};

describe('live control', () => {
  it('steps one update at a time, records changes, and a resume keeps them', async () => {
    await tf.setBackend('cpu');
    const db = await openLabDb();
    const ds = await importReady(walk(900), 'walk.csv');
    await saveDataset(db, ds);
    const service = new TrainingService({ repository: idbRepository(() => openLabDb()), backends: ['cpu'], flushMs: 0 });
    // 8 updates of 2 × 64 steps, the learning rate annealed
    const request: TrainRequest = {
      algorithm: 'PPO', datasetId: ds.meta.id, env: 'position', backend: 'cpu',
      hyperparameters: { total_timesteps: 1024, n_envs: 2, n_steps: 64, batch_size: 64, n_epochs: 1, net_arch: [16], eval_freq: 512, save_freq: 100_000, max_steps: 64, seed: 3, learning_rate: 0.0003, anneal_lr: true },
    };
    let last: TrainingProgress | null = null;
    let updates = 0;
    const onProgress = (p: TrainingProgress) => { last = p; updates += p.updates?.length ?? 0; };
    const run = await service.start(request, onProgress);
    service.pause();
    await until(() => last?.status === 'paused', 'the pause');
    const before = updates;
    expect(() => service.setControl('learning_rate', -1)).toThrow(/learning_rate must be above 0/);
    expect(() => service.setControl('ent_coef', Number.NaN)).toThrow(/finite/);

    // one step: exactly one update, then paused again
    service.step();
    await until(() => updates === before + 1 && last?.status === 'paused', 'one step');
    await new Promise((r) => setTimeout(r, 50));
    expect(updates).toBe(before + 1);
    expect(last!.controls!.values).toEqual({ learning_rate: 0.0003, ent_coef: 0.01, clip_range: 0.2 });

    // a change while paused takes effect at the next update, which the run records
    service.setControl('learning_rate', 0.001);
    service.setControl('clip_range', 0.1);
    expect(last!.controls!.pending).toEqual({ learning_rate: 0.001, clip_range: 0.1 });
    service.step();
    const changedAt = before + 2;
    await until(() => updates === changedAt && last?.status === 'paused', 'the second step');
    let config = (await getRun(db, run.runId))!;
    expect(config.controls).toEqual([
      { update: changedAt, name: 'learning_rate', from: 0.0003, to: 0.001 },
      { update: changedAt, name: 'clip_range', from: 0.2, to: 0.1 },
    ]);
    expect(last!.controls!.values).toMatchObject({ learning_rate: 0.001, clip_range: 0.1 });
    await service.stop();
    expect(await run.done).toBe('stopped');

    // resumed after a "reload": the changed values carry on (annealed from the new base)
    const resumed = await service.start({ resumeRunId: run.runId }, onProgress);
    expect(await resumed.done).toBe('completed');
    config = (await getRun(db, run.runId))!;
    const rows = await runUpdates(db, run.runId);
    const lr = (u: number) => rows.find((r) => r.update === u)!.metrics['train/learning_rate']!;
    const clip = (u: number) => rows.find((r) => r.update === u)!.metrics['train/clip_range']!;
    const frac = (u: number) => 1 - (u - 1) / 8;
    expect(lr(changedAt - 1)).toBeCloseTo(0.0003 * frac(changedAt - 1), 10);
    for (let u = changedAt; u <= 8; u++) {
      expect(lr(u)).toBeCloseTo(0.001 * frac(u), 10);
      expect(clip(u)).toBeCloseTo(0.1, 10);
    }
    expect(config.controls).toHaveLength(2);
    // the record is in the report (and config.json, which is the config)
    const md = reportMarkdown({ config, description: 'PPO', sections: [], omit: [], charts: [] });
    expect(md).toMatch(new RegExp(`## Settings changed while it trained[\\s\\S]*\\| ${changedAt} \\| learning\\\\?_rate \\| 0\\.0003 \\| 0\\.001 \\|`));
    expect(Array.isArray(config.warnings)).toBe(true);
  }, 180_000);

  it('the values now are the start overlaid with each change in order', () => {
    expect(currentValues({ learning_rate: 1, ent_coef: 0.01 }, [{ update: 5, name: 'learning_rate', from: 2, to: 3 }, { update: 2, name: 'learning_rate', from: 1, to: 2 }])).toEqual({ learning_rate: 3, ent_coef: 0.01 });
  });

  it('marks each change on the charts where its update started', () => {
    const updates = [1, 2, 3].map((u) => ({ update: u, step: u * 128, timestamp: '', metrics: {} }));
    expect(controlMarkers([{ update: 3, name: 'learning_rate', from: 1, to: 2 }, { update: 3, name: 'clip_range', from: 0.2, to: 0.1 }, { update: 1, name: 'ent_coef', from: 0, to: 0.1 }], updates)).toEqual([
      { x: 256, label: 'learning_rate 1 → 2, clip_range 0.2 → 0.1 (from update 3)' },
      { x: 0, label: 'ent_coef 0 → 0.1 (from update 1)' },
    ]);
    expect(controlMarkers(undefined, updates)).toEqual([]);
  });
});
