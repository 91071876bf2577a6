// A version as a zip: its TensorFlow.js model, ONNX model and model card (inputs slot by slot,
// outputs, validation and test figures beside buy-and-hold and never trading, data lineage),
// imported into another registry whole, and refused, naming the zip and the entry and storing
// nothing, when it is unsafe or damaged.
import 'fake-indexeddb/auto';
import * as tf from '@tensorflow/tfjs';
import { strToU8, unzipSync, zipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { ModelRegistry } from '../../src/core/registry/registry';
import type { ModelCardJson } from '../../src/core/registry/card';
import { openLabDb } from '../../src/store/db';
import { idbRegistry } from '../../src/store/registry';
import { exportVersionZip, importVersionZip, registerRunCheckpoint } from '../../src/services/registry';
import { craftZip } from './zipCraft';
import { onnxModelProblem } from '../../src/core/onnx/check';
import { richRun } from './registryFixture';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const fresh = async () => new ModelRegistry(idbRegistry(await openLabDb(`registry-zip-${Math.random()}`)));

async function exported() {
  const registry = await fresh();
  const run = richRun();
  await registerRunCheckpoint(registry, run, { model: 'sizer', checkpoint: 'best', tags: ['eth'], notes: 'first <b>try</b>\nsecond line' });
  await registerRunCheckpoint(registry, run, { model: 'sizer', checkpoint: 'final' });
  return { registry, run, zip: await exportVersionZip(registry, 'sizer', 1) };
}

describe('a version zip', () => {
  it('holds the TensorFlow.js model, the ONNX model, the model card and what playing it again needs', async () => {
    const { zip, run } = await exported();
    expect(zip.fileName).toBe('sizer_v1.zip');
    const files = unzipSync(zip.bytes);
    expect(Object.keys(files).sort()).toEqual([
      'sizer_v1/model.json', 'sizer_v1/model.onnx', 'sizer_v1/model_card.json', 'sizer_v1/model_card.md',
      'sizer_v1/run/config.json', 'sizer_v1/run/test_evaluation.json', 'sizer_v1/run/trainer_state.json', 'sizer_v1/weights.bin',
    ]);
    const card = JSON.parse(new TextDecoder().decode(files['sizer_v1/model_card.json'])) as ModelCardJson;
    expect(card).toMatchObject({ card_format: 'rl-trading-lab/model-card', model: 'sizer', version: 1, aliases: ['champion'], tags: ['eth'] });
    expect(card.source).toMatchObject({ run_id: run.config.run_id, checkpoint: 'best', step: 256 });
    expect(card.dataset).toMatchObject({ id: 'ds-eth-btc', revision: 3, rows: 5760 });
    expect(card.dataset.segments?.test).toEqual([4896, 5760]);
    expect(card.metrics.validation?.net_pnl_pct).toEqual({ mean: 0.3, low: 0.3 - 0.8, high: 0.3 + 0.8, n: 6 });
    expect(card.metrics.test).toMatchObject({ buy_and_hold_pct: 0.12, sharpe: 1.25, max_drawdown: 0.031, baselines: [{ key: 'hold', net_pnl_pct: 0 }] });
    // inputs slot by slot, with the training normalizer's figures; outputs by action
    const c = run.checkpoints.find((x) => x.name === 'best')!.checkpoint;
    expect(card.inputs.slots).toHaveLength(c.obsSize);
    // trade-approval names its slots: seed 002's 34-feature state, then the proposed trade's
    expect(card.inputs.slots[3]).toMatchObject({ index: 3, name: 'return_t-16' });
    expect(card.inputs.slots[34]).toMatchObject({ index: 34, name: 'candidate_side' });
    expect([card.inputs.tensor, card.inputs.shape]).toEqual(['observations', ['batch', c.obsSize]]);
    expect([card.outputs.tensor, card.outputs.shape]).toEqual(['action_probs', ['batch', 3]]);
    expect(card.outputs.actions.map((a) => a.name)).toEqual(c.actionNames);
    expect(card.outputs.all.map((o) => o.name)).toEqual(['action_probs', 'logits']);
    expect(card.outputs.action_mask).toContain('set their action_probs to 0');
    expect(Object.keys(card.files)).toContain('model.onnx');

    const md = new TextDecoder().decode(files['sizer_v1/model_card.md']);
    expect(md).toContain('# sizer v1');
    expect(md).toContain('| **test** | 0.42 % \\[-0.38, 1.22\\] | 2.52 % | 0.12 % | hold (never trades) 0.00 % | 1.25 | 3.1 % | 6 windows, step 256 | does not beat buy-and-hold |');
    expect(md).toContain('ETH_BTC-5m, revision 3, 5,760 rows, training rows 0–4,032 → run fixture ppo');
    expect(md).toContain('| test rows | bars 4,896–5,760 (2024-01-18T00:00:00.000Z to 2024-01-20T23:55:00.000Z) |');
    expect(md).toContain(`| 3 | return_t-16 |  | ${+c.normalizer!.mean[3].toPrecision(6)} |`);
    expect(md).toContain("## model.onnx's outputs (opset 13)");
    expect(md).toContain('> first &lt;b&gt;try&lt;/b&gt;'); // a person's notes, literally
    // the model files load as the run's do
    const modelJson = JSON.parse(new TextDecoder().decode(files['sizer_v1/model.json']));
    expect(modelJson.format).toBe('layers-model');
    expect(onnxModelProblem(files['sizer_v1/model.onnx'])).toBeNull();
  });

  it('imports into another registry as the next version, with its record, its origin and its checkpoint', async () => {
    const { zip, registry } = await exported();
    const other = await fresh();
    const v = await importVersionZip(other, zip.bytes, zip.fileName);
    expect([v.model, v.version]).toEqual(['sizer', 1]);
    expect(v.imported_from).toEqual({ model: 'sizer', version: 1, file: 'sizer_v1.zip' });
    const original = (await registry.getVersion('sizer', 1))!;
    expect({ ...v, imported_from: undefined, created_at: '' }).toEqual({ ...original, imported_from: undefined, created_at: '' });
    expect((await other.getModel('sizer'))!.aliases).toEqual({ latest: 1, champion: 1 });
    const [a, b] = await Promise.all([registry.versionCheckpoint('sizer', 1), other.versionCheckpoint('sizer', 1)]);
    const weights = (x: typeof a) => (x.checkpoint.checkpoint.payload as { weights: { values: Float32Array }[] }).weights.map((w) => Array.from(w.values));
    expect(weights(b)).toEqual(weights(a));
    expect(b.checkpoint.checkpoint.normalizer).toEqual(a.checkpoint.checkpoint.normalizer);
    expect(b.run.test_evaluations).toEqual(a.run.test_evaluations);
    // and under another name, beside what is there
    const again = await importVersionZip(other, zip.bytes, zip.fileName, 'sizer-copy');
    expect([again.model, again.version]).toEqual(['sizer-copy', 1]);
    expect((await importVersionZip(other, zip.bytes, zip.fileName)).version).toBe(2);
  });

  describe('refused, naming the zip and the entry, storing nothing', () => {
    const cases: { what: string; edit: (files: Record<string, Uint8Array>) => Record<string, Uint8Array> | Uint8Array; message: string | RegExp }[] = [
      { what: 'a path that climbs out', edit: (f) => ({ ...f, 'sizer_v1/../evil.txt': strToU8('x') }), message: 'has "." or ".." in its path' },
      { what: 'an absolute path', edit: (f) => ({ ...f, '/etc/evil': strToU8('x') }), message: 'has an absolute path' },
      { what: 'a file a version does not have', edit: (f) => ({ ...f, 'sizer_v1/run.sh': strToU8('x') }), message: 'entry "sizer_v1/run.sh" is not a file of a version' },
      { what: 'two versions', edit: (f) => ({ ...f, 'other_v2/model.json': strToU8('{}') }), message: 'more than one top-level folder' },
      { what: 'broken JSON in the card', edit: (f) => ({ ...f, 'sizer_v1/model_card.json': strToU8('{\n  "card_format": "rl-trading-lab/model-card",\n  "model": oops\n}') }), message: 'sizer_v1/model_card.json: line 3: not valid JSON' },
      { what: 'a card that is not one', edit: (f) => ({ ...f, 'sizer_v1/model_card.json': strToU8('{"model": "x"}') }), message: 'not a model card' },
      { what: 'a weights.bin cut short', edit: (f) => ({ ...f, 'sizer_v1/weights.bin': f['sizer_v1/weights.bin'].slice(0, 100) }), message: /sizer_v1\/weights\.bin holds 100 bytes, but model\.json declares/ },
      {
        what: 'NaN weights', message: 'holds NaN or infinite values',
        edit: (f) => { const w = f['sizer_v1/weights.bin'].slice(); new DataView(w.buffer).setFloat32(8, NaN, true); return { ...f, 'sizer_v1/weights.bin': w }; },
      },
      { what: 'a model.onnx that is not one', edit: (f) => ({ ...f, 'sizer_v1/model.onnx': strToU8('not onnx') }), message: 'sizer_v1/model.onnx: not an ONNX model' },
      { what: 'no checkpoint state', edit: (f) => { const g = { ...f }; delete g['sizer_v1/run/trainer_state.json']; return g; }, message: 'sizer_v1/run/trainer_state.json is missing' },
      { what: 'a symbolic link', edit: (f) => craftZip([...Object.entries(f).map(([name, data]) => ({ name, data })), { name: 'sizer_v1/link', data: strToU8('/etc/passwd'), unixMode: 0o120777 }]), message: 'entry "sizer_v1/link" is a symbolic link' },
    ];
    for (const c of cases) {
      it(c.what, async () => {
        const { zip } = await exported();
        const edited = c.edit(unzipSync(zip.bytes));
        const bytes = edited instanceof Uint8Array ? edited : zipSync(edited);
        const target = await fresh();
        const attempt = importVersionZip(target, bytes, 'bad.zip');
        await expect(attempt).rejects.toThrow('Cannot import "bad.zip"');
        await expect(importVersionZip(target, bytes, 'bad.zip')).rejects.toThrow(c.message);
        expect(await target.listModels()).toEqual([]);
      });
    }
  });
});
