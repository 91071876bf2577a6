// The model registry's rules, the same in the browser's IndexedDB and in a folder on the command
// line: versions numbered once, latest and champion, aliases moved never copied, promotion and
// rollback, deletion with undo (the champion's refused), purges, retrain rules and decisions; and
// what each store adds: one transaction, registry.json and an atomically replaced champion.onnx.
import 'fake-indexeddb/auto';
import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ModelRegistry } from '../../src/core/registry/registry';
import { aliasesOf, RegistryError } from '../../src/core/registry/rules';
import { DEFAULT_RETRAIN_RULE, type DecisionDraft } from '../../src/core/registry/types';
import { lineageText } from '../../src/core/registry/lineage';
import { onnxModelProblem } from '../../src/core/onnx/check';
import { openLabDb } from '../../src/store/db';
import { idbRegistry } from '../../src/store/registry';
import { folderRegistry } from '../../src/cli/registryFolder';
import { registerRunCheckpoint } from '../../src/services/registry';
import { BC_RUN, fakeOnnx, fixtureRun, richRun } from './registryFixture';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

let clock = Date.parse('2025-03-01T10:00:00Z');
const tick = () => new Date((clock += 1000));

const backends: { name: string; make: () => Promise<ModelRegistry> }[] = [
  { name: 'IndexedDB', make: async () => new ModelRegistry(idbRegistry(await openLabDb(`registry-${Math.random()}`)), tick) },
  { name: 'a folder', make: async () => folderRegistry(mkdtempSync(join(tmpdir(), 'registry-'))) },
];

const decision = (over: Partial<DecisionDraft> = {}): DecisionDraft => ({
  at: '2025-03-01T12:00:00.000Z', trigger: 'cli', newRows: 240, drift: { test: 'psi', value: 0.31, threshold: 0.25, feature: 'rsi', drifted: true },
  champion: 1, challenger: 2, segment: null, figures: { champion: null, challenger: null }, decision: 'kept-challenger', reason: 'the challenger does not beat the champion', ...over,
});

for (const backend of backends) {
  describe(`the model registry in ${backend.name}`, () => {
    it('numbers versions, puts latest on the newest and champion on the first, and lists versions without their checkpoints', async () => {
      const registry = await backend.make();
      const run = richRun();
      const v1 = await registerRunCheckpoint(registry, run, { model: 'sizer', checkpoint: 'best', tags: ['first', ' first ', ''], notes: 'from the fixture' });
      const v2 = await registerRunCheckpoint(registry, run, { model: 'sizer', checkpoint: 'final' });
      expect([v1.version, v2.version]).toEqual([1, 2]);
      expect(v1.tags).toEqual(['first']);
      const model = (await registry.getModel('sizer'))!;
      expect(model.aliases).toEqual({ latest: 2, champion: 1 });
      expect(aliasesOf(model, 1)).toEqual(['champion']);
      expect(aliasesOf(model, 2)).toEqual(['latest']);
      const versions = await registry.listVersions('sizer');
      expect(versions.map((v) => v.version)).toEqual([1, 2]);
      expect(JSON.stringify(versions)).not.toContain('payload');
      // what it was trained and evaluated on, and how it did
      expect(versions[0].source).toMatchObject({ run_id: run.config.run_id, checkpoint: 'best', step: 256, algorithm: 'PPO', env: 'trade-approval' });
      expect(versions[0].dataset).toMatchObject({ id: 'ds-eth-btc', revision: 3, rows: 5760 });
      expect(versions[0].metrics.validation?.net_pnl_pct?.mean).toBe(0.3);
      expect(versions[0].metrics.test?.net_pnl_pct?.mean).toBe(0.42);
      expect(versions[1].metrics.validation?.step).toBe(512);
      expect(versions[1].metrics.test?.net_pnl_pct?.mean).toBe(-0.1);
      expect(versions[0].metrics.test?.buy_and_hold_pct).toBe(0.12);
      expect(versions[0].metrics.test?.baselines).toEqual([{ key: 'hold', label: 'hold (never trades)', net_pnl_pct: 0 }]);
      expect(lineageText(versions[0])).toBe(`ETH_BTC-5m, revision 3, 5,760 rows, training rows 0–4,032 → run fixture ppo (${run.config.run_id}), PPO on trade-approval, best checkpoint at step 256 → sizer v1`);
      // the checkpoint, apart
      const c = await registry.versionCheckpoint('sizer', 1);
      expect(c.checkpoint.name).toBe('best');
      expect(c.run.run_id).toBe(run.config.run_id);
      expect(Array.from((c.checkpoint.checkpoint.payload as { weights: { values: Float32Array }[] }).weights[0].values)).toEqual(Array.from((run.checkpoints.find((x) => x.name === 'best')!.checkpoint.payload as { weights: { values: Float32Array }[] }).weights[0].values));
    });

    it('says "unknown" for what an older run did not record', async () => {
      const registry = await backend.make();
      const v = await registerRunCheckpoint(registry, fixtureRun(), { model: 'old', checkpoint: 'best' });
      expect(v.dataset).toMatchObject({ revision: null, rows: null, segments: null });
      expect(v.metrics.test).toBeNull();
      expect(v.metrics.validation?.net_pnl_pct).toBeNull();
      expect(lineageText(v)).toContain('ETH_BTC-5m, revision unknown, rows unknown → run');
    });

    it('moves an alias, never copies it; latest moves by itself; champion is set by promotion and rolled back', async () => {
      const registry = await backend.make();
      const run = richRun();
      for (const checkpoint of ['best', 'final', 'best']) await registerRunCheckpoint(registry, run, { model: 'm', checkpoint });
      await registry.setAlias('m', 'staging', 1);
      let model = await registry.setAlias('m', 'staging', 2);
      expect(model.aliases.staging).toBe(2);
      expect(aliasesOf(model, 1)).toEqual(['champion']);
      await expect(registry.setAlias('m', 'latest', 1)).rejects.toThrow('moves by itself');
      await expect(registry.setAlias('m', 'Bad Alias', 1)).rejects.toThrow('is not an alias');
      await expect(registry.setAlias('m', 'staging', 9)).rejects.toThrow('has no version 9');

      model = await registry.promote('m', 2, 'beats v1 on the test segment');
      expect(model.aliases.champion).toBe(2);
      model = await registry.promote('m', 3, 'newer');
      expect(model.previous_champions).toEqual([1, 2]);
      model = await registry.rollback('m');
      expect(model.aliases.champion).toBe(2);
      model = await registry.rollback('m');
      expect(model.aliases.champion).toBe(1);
      await expect(registry.rollback('m')).rejects.toThrow('no earlier champion to roll back to');
      // champion by setAlias is a promotion; promoting the champion changes nothing
      model = await registry.setAlias('m', 'champion', 3);
      expect(model.aliases.champion).toBe(3);
      expect((await registry.promote('m', 3, 'again')).previous_champions).toEqual([1]);
      const log = model.alias_log.map((m) => `${m.alias} ${m.from}→${m.to}`);
      expect(log).toEqual(['latest null→1', 'champion null→1', 'latest 1→2', 'latest 2→3', 'staging null→1', 'staging 1→2', 'champion 1→2', 'champion 2→3', 'champion 3→2', 'champion 2→1', 'champion 1→3']);
      expect(model.alias_log.find((m) => m.to === 2 && m.alias === 'champion')?.reason).toBe('beats v1 on the test segment');
    });

    it("refuses to delete the champion's version while others exist; a deletion is undone with its aliases, and purged for good", async () => {
      const registry = await backend.make();
      const run = richRun();
      await registerRunCheckpoint(registry, run, { model: 'm', checkpoint: 'best' });
      await registerRunCheckpoint(registry, run, { model: 'm', checkpoint: 'final' });
      await registry.setAlias('m', 'canary', 2);
      await expect(registry.deleteVersion('m', 1)).rejects.toThrow('v1 is the champion of "m" and cannot be deleted while other versions exist: promote another version (or roll back) first.');
      await registry.deleteVersion('m', 2);
      expect((await registry.listVersions('m')).map((v) => v.version)).toEqual([1]);
      expect((await registry.listVersions('m', { deleted: true })).map((v) => v.version)).toEqual([1, 2]);
      expect((await registry.getModel('m'))!.aliases).toEqual({ latest: 1, champion: 1 });
      await expect(registry.promote('m', 2, 'x')).rejects.toThrow('is deleted');
      await registry.restoreVersion('m', 2);
      expect((await registry.getModel('m'))!.aliases).toEqual({ latest: 2, champion: 1, canary: 2 });

      await registry.deleteVersion('m', 2);
      expect(await registry.purgeVersion('m', 2)).toBe(true);
      expect(await registry.purgeVersion('m', 1)).toBe(false); // not deleted: left alone
      expect((await registry.listVersions('m', { deleted: true })).map((v) => v.version)).toEqual([1]);
      await expect(registry.restoreVersion('m', 2)).rejects.toThrow('removed for good');
      await expect(registry.versionCheckpoint('m', 2)).rejects.toThrow('no checkpoint');
      // a number is never given twice
      expect((await registerRunCheckpoint(registry, run, { model: 'm', checkpoint: 'final' })).version).toBe(3);

      // the only version, champion: deleted (champion with it), and back on undo
      const solo = await backend.make();
      await registerRunCheckpoint(solo, run, { model: 's', checkpoint: 'best' });
      await solo.deleteVersion('s', 1);
      expect((await solo.getModel('s'))!.aliases).toEqual({});
      await solo.restoreVersion('s', 1);
      expect((await solo.getModel('s'))!.aliases).toEqual({ latest: 1, champion: 1 });
    });

    it('purges versions whose undo window closed with the tab', async () => {
      const registry = await backend.make();
      await registerRunCheckpoint(registry, richRun(), { model: 'p', checkpoint: 'best' });
      await registerRunCheckpoint(registry, richRun(), { model: 'p', checkpoint: 'final' });
      await registry.deleteVersion('p', 2);
      expect(await registry.purgeDeleted(60 * 60_000)).toEqual([]);
      expect(await registry.purgeDeleted(0)).toEqual([{ model: 'p', version: 2 }]);
    });

    it("keeps a model's versions to one interface, tags and notes editable, the retrain rule and its decisions", async () => {
      const registry = await backend.make();
      await registerRunCheckpoint(registry, richRun(), { model: 'm', checkpoint: 'best' });
      const bc = fixtureRun(BC_RUN);
      await expect(registerRunCheckpoint(registry, bc, { model: 'm', checkpoint: bc.checkpoints[0].name })).rejects.toThrow(/takes \d+ observations .* register it under another name/);
      await expect(registerRunCheckpoint(registry, richRun(), { model: 'm', checkpoint: 'step_9' })).rejects.toThrow('has no step_9 checkpoint');
      await expect(registerRunCheckpoint(registry, richRun(), { model: '../escape', checkpoint: 'best' })).rejects.toThrow('is not a model name');
      const running = richRun();
      running.config.status = 'running';
      await expect(registerRunCheckpoint(registry, running, { model: 'm', checkpoint: 'best' })).rejects.toThrow('still training');

      const edited = await registry.editVersion('m', 1, { tags: ['prod', 'prod', 'eth'], notes: 'keep' });
      expect([edited.tags, edited.notes]).toEqual([['prod', 'eth'], 'keep']);
      expect((await registry.getModel('m'))!.retrain_rule).toEqual(DEFAULT_RETRAIN_RULE);
      await registry.setRetrainRule('m', { ...DEFAULT_RETRAIN_RULE, enabled: true, drift: 'ks' });
      expect((await registry.getModel('m'))!.retrain_rule.drift).toBe('ks');
      await expect(registry.setRetrainRule('m', { ...DEFAULT_RETRAIN_RULE, minNewRows: 0 })).rejects.toThrow('minNewRows');

      const first = await registry.recordDecision('m', decision());
      const second = await registry.recordDecision('m', decision({ decision: 'skipped', challenger: null, reason: 'too few rows' }));
      expect([first.id, second.id]).toEqual([1, 2]);
      expect((await registry.listDecisions('m')).map((d) => [d.id, d.decision, d.model])).toEqual([[1, 'kept-challenger', 'm'], [2, 'skipped', 'm']]);
      await expect(registry.recordDecision('nobody', decision())).rejects.toThrow('There is no model "nobody"');
    });
  });
}

describe('the IndexedDB registry', () => {
  it('writes all or nothing: a version the browser cannot store leaves no model, version or checkpoint', async () => {
    const db = await openLabDb(`registry-atomic-${Math.random()}`);
    const registry = new ModelRegistry(idbRegistry(db));
    const run = richRun();
    const c = run.checkpoints.find((x) => x.name === 'best')!;
    const broken = { ...c, checkpoint: { ...c.checkpoint, payload: { cannot: () => 1 } } };
    await expect(registerRunCheckpoint(registry, { ...run, checkpoints: [broken] }, { model: 'atomic', checkpoint: 'best' })).rejects.toThrow('Nothing was changed in the registry');
    expect(await registry.listModels()).toEqual([]);
    expect(await db.count('modelVersions')).toBe(0);
    expect(await db.count('modelCheckpoints')).toBe(0);
  });
});

describe('the folder registry', () => {
  it('lays out registry.json and v<N>/, and champion.onnx follows the champion, replaced whole', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'registry-folder-'));
    const registry = folderRegistry(dir);
    const run = richRun();
    await registerRunCheckpoint(registry, run, { model: 'sizer', checkpoint: 'best' });
    await registerRunCheckpoint(registry, run, { model: 'sizer', checkpoint: 'final' });
    const model = join(dir, 'sizer');
    expect(readdirSync(model).sort()).toEqual(['champion.onnx', 'registry.json', 'v1', 'v2']);
    expect(readdirSync(join(model, 'v1')).sort()).toEqual(['model.json', 'model.onnx', 'model_card.json', 'model_card.md', 'run', 'weights.bin']);
    expect(readdirSync(join(model, 'v1', 'run')).sort()).toEqual(['config.json', 'test_evaluation.json', 'trainer_state.json']);
    const onnxOf = (v: number) => readFileSync(join(model, `v${v}`, 'model.onnx'));
    const champion = () => readFileSync(join(model, 'champion.onnx'));
    expect(onnxModelProblem(champion())).toBeNull();
    expect(onnxOf(1).equals(onnxOf(2))).toBe(false); // best and final differ
    expect(champion().equals(onnxOf(1))).toBe(true);
    await registry.promote('sizer', 2, 'better');
    expect(champion().equals(onnxOf(2))).toBe(true);
    await registry.rollback('sizer');
    expect(champion().equals(onnxOf(1))).toBe(true);
    // nothing temporary is left behind
    expect(readdirSync(model).filter((f) => f.includes('tmp') || f.startsWith('.'))).toEqual([]);

    const file = JSON.parse(readFileSync(join(model, 'registry.json'), 'utf8'));
    expect(file.format).toBe('rl-trading-lab/model-registry');
    expect(file.model.aliases).toEqual({ latest: 2, champion: 1 });
    expect(file.versions.map((v: { version: number }) => v.version)).toEqual([1, 2]);
    // the decisions beside it, one a line
    await registry.recordDecision('sizer', decision());
    expect(readFileSync(join(model, 'decisions.jsonl'), 'utf8').trim().split('\n')).toHaveLength(1);
    // a purge removes the folder; champion.onnx stays the champion's
    await registry.promote('sizer', 2, 'x');
    await registry.deleteVersion('sizer', 1);
    await registry.purgeVersion('sizer', 1);
    expect(existsSync(join(model, 'v1'))).toBe(false);
    expect(champion().equals(onnxOf(2))).toBe(true);
  });

  it('writes no champion.onnx without an ONNX export, and one from whatever export it is given', async () => {
    const none = mkdtempSync(join(tmpdir(), 'registry-no-onnx-'));
    await registerRunCheckpoint(folderRegistry(none, { onnx: null }), richRun(), { model: 'n', checkpoint: 'best' });
    expect(readdirSync(join(none, 'n')).sort()).toEqual(['registry.json', 'v1']);
    const fake = mkdtempSync(join(tmpdir(), 'registry-fake-onnx-'));
    const run = richRun();
    await registerRunCheckpoint(folderRegistry(fake, { onnx: fakeOnnx }), run, { model: 'f', checkpoint: 'final' });
    expect(readFileSync(join(fake, 'f', 'champion.onnx'), 'utf8')).toBe(`onnx ${run.config.run_id} final 512`);
  });

  it('refuses a registry.json a person broke, naming the file, the line or the field; a second writer is told', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'registry-broken-'));
    const registry = folderRegistry(dir);
    await registerRunCheckpoint(registry, richRun(), { model: 'b', checkpoint: 'best' });
    const path = join(dir, 'b', 'registry.json');
    const good = readFileSync(path, 'utf8');
    writeFileSync(path, good.replace('"latest": 1', '"latest": 1,,'));
    await expect(registry.getModel('b')).rejects.toThrow(/registry\.json: line \d+: not valid JSON/);
    writeFileSync(path, good.replace('"latest": 1', '"latest": 7'));
    await expect(registry.getModel('b')).rejects.toThrow('alias "latest" names version 7, which is not in "versions"');
    writeFileSync(path, good);
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, 'b', '.lock'));
    await expect(registry.promote('b', 1, 'x')).rejects.toThrow('another process is writing model "b"');
  });

  it('writes nothing of a version whose files cannot be made', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'registry-fail-'));
    const registry = folderRegistry(dir, { files: async () => { throw new Error('disk full'); } });
    await expect(registerRunCheckpoint(registry, richRun(), { model: 'f', checkpoint: 'best' })).rejects.toThrow('disk full');
    expect(await registry.listModels()).toEqual([]);
    expect(readdirSync(join(dir, 'f')).filter((f) => f !== '.lock')).toEqual([]);
  });
});

// RegistryError is what a refusal is: the page shows its message as it is
it('refusals are RegistryErrors', async () => {
  const registry = await backends[0].make();
  await expect(registry.rollback('none')).rejects.toBeInstanceOf(RegistryError);
});
