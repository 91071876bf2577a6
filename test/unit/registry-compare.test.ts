// Two versions of a model walked on the same windows, headless (what a retrain compares its
// challenger and champion with): the same segment for both, each with its net P&L interval, the
// baselines beside them, and a warning where a version's figure there is not out of sample.
import 'fake-indexeddb/auto';
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { datasetSource } from '../../src/core/env/candles';
import { ModelRegistry } from '../../src/core/registry/registry';
import { openLabDb } from '../../src/store/db';
import { idbRegistry } from '../../src/store/registry';
import { compareVersions, registerRunCheckpoint, type DatasetLookup } from '../../src/services/registry';
import { importReady } from './helpers';
import { fixtureRun, richRun } from './registryFixture';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

async function sample(): Promise<DatasetLookup> {
  const dataset = await importReady(new Uint8Array(readFileSync(resolve(__dirname, '../../public/samples/ETH_BTC-5m.parquet'))), 'ETH_BTC-5m.parquet');
  dataset.meta.id = 'ds-eth-btc'; // the fixture run's dataset
  const source = datasetSource(dataset);
  return async (id) => (id === dataset.meta.id ? source : null);
}

describe('comparing two versions', () => {
  it("walks both on the newer version's segment, with the baselines, and says where a figure is not out of sample", async () => {
    const registry = new ModelRegistry(idbRegistry(await openLabDb(`compare-${Math.random()}`)));
    const run = fixtureRun();
    await registerRunCheckpoint(registry, run, { model: 'm', checkpoint: 'best' });
    await registerRunCheckpoint(registry, run, { model: 'm', checkpoint: 'final' });
    const datasets = await sample();
    const result = await compareVersions(registry, datasets, { model: 'm', versions: [1, 2], on: { version: 2, which: 'test' } });
    expect(result.walks.map((w) => w.version)).toEqual([1, 2]);
    const [a, b] = result.walks.map((w) => w.record);
    // the same windows for both
    expect(a.num_episodes).toBe(b.num_episodes);
    expect(a.windows!.map((w) => w.start_time)).toEqual(b.windows!.map((w) => w.start_time));
    expect(a.segment).toBe('test');
    expect(a.net_pnl_pct!.n).toBe(a.num_episodes);
    expect(a.baselines?.buy_and_hold?.net_pnl_pct.n).toBe(a.num_episodes);
    expect(Object.keys(a.baselines?.fixed ?? {}).length).toBeGreaterThan(0);
    expect(result.segment).toMatchObject({ run_id: run.config.run_id, dataset_id: 'ds-eth-btc', which: 'test', windows: a.num_episodes });
    expect(result.segment.times?.[0]).toBe(a.windows![0].start_time);
    // a run stored before segments were recorded cannot vouch for these rows
    expect(result.warnings).toEqual(["v1's run did not record its segments: it may have trained on these rows", "v2's run did not record its segments: it may have trained on these rows"]);
  }, 60_000);

  it('flags a version that trained on the rows it is compared on, and refuses a dataset that is not at hand', async () => {
    const registry = new ModelRegistry(idbRegistry(await openLabDb(`compare-${Math.random()}`)));
    // v1 trained on rows the newer run keeps for its test
    const older = richRun();
    older.config.data_segments = { unit: 'bars', train: [0, 5000], validation: [5000, 5400], test: [5400, 5760] };
    await registerRunCheckpoint(registry, older, { model: 'm', checkpoint: 'best' });
    await registerRunCheckpoint(registry, richRun(), { model: 'm', checkpoint: 'best' });
    await registerRunCheckpoint(registry, richRun(), { model: 'm', checkpoint: 'final' });
    const { segmentOverlap } = await import('../../src/core/registry/lineage');
    const [v1, v2, v3] = await registry.listVersions('m');
    const segment = { dataset_id: 'ds-eth-btc', rows: [4896, 5760] as [number, number], times: null };
    expect(segmentOverlap(v1, segment)).toBe('v1 trained on some of these rows (its training rows 0–5,000)');
    expect(segmentOverlap(v2, segment)).toBeNull();
    expect(segmentOverlap(v2, { ...segment, rows: [4500, 4600] })).toBe('v2 was chosen on some of these rows (its validation rows 4,032–4,896)');
    // a final model was not chosen on its validation rows
    expect(segmentOverlap(v3, { ...segment, rows: [4500, 4600] })).toBeNull();
    expect(segmentOverlap(v1, { ...segment, dataset_id: 'another' })).toBeNull();
    // by time where rows are not known
    expect(segmentOverlap(v2, { dataset_id: 'ds-eth-btc', rows: null, times: ['2024-01-18T00:00:00.000Z', '2024-01-19T00:00:00.000Z'] })).toBeNull();
    expect(segmentOverlap(v2, { dataset_id: 'ds-eth-btc', rows: null, times: ['2024-01-10T00:00:00.000Z', '2024-01-19T00:00:00.000Z'] })).toContain('v2 trained on some of these rows');

    await expect(compareVersions(registry, async () => null, { model: 'm', versions: [1, 2], on: { version: 2, which: 'test' } })).rejects.toThrow('is not at hand: choose a dataset');
    await expect(compareVersions(registry, async () => null, { model: 'm', versions: [1, 4], on: { version: 2, which: 'test' } })).rejects.toThrow('has no version 4');
  });
});
