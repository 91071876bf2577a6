// Retraining a registered model when enough new rows arrive (seed 003's auto-trainer): when it is
// due, how the challenger is judged, what is recorded, and the command line on a registry folder.
import 'fake-indexeddb/auto';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { promotionDecision, retrainDue } from '../../src/core/retrain/decide';
import type { EvaluationRecord } from '../../src/core/run/contracts';
import { openLabDb } from '../../src/store/db';
import { saveDataset } from '../../src/store/datasets';
import { getRun, runCheckpoints, runEvaluations } from '../../src/store/runs';
import { idbRegistry } from '../../src/store/registry';
import { ModelRegistry } from '../../src/core/registry/registry';
import { appendFile } from '../../src/services/dataAppend';
import { idbRepository } from '../../src/services/idbRepository';
import { registerStoredRun, storedDatasets } from '../../src/services/registry';
import { checkRetrain, retrainModel, type RetrainDeps } from '../../src/services/retrain';
import { TrainingService } from '../../src/services/training';
import { importReady } from './helpers';

const ROOT = resolve(__dirname, '../..');
const FOREX = readFileSync(join(ROOT, 'public/samples/FOREX_EURUSD_1H_ASK.csv'), 'utf8').trimEnd().split('\n');
const head = (rows: number) => FOREX.slice(0, rows + 1).join('\n') + '\n';

const walk = (mean: number, low: number, sharpe: number, windows = 5) => ({ net_pnl_pct: { mean, low, high: mean + 1, n: windows }, sharpe, num_episodes: windows }) as unknown as EvaluationRecord;

describe('when a retrain is due and who wins', () => {
  it('is due at the rule\'s new rows, and with drift watched only when the rows drifted', () => {
    expect(retrainDue(100, 900, 999, null)).toMatchObject({ due: false, newRows: 99 });
    expect(retrainDue(100, 900, 1000, null)).toMatchObject({ due: true, newRows: 100 });
    const drift = { test: 'psi' as const, value: 0.1, threshold: 0.25, feature: 'rsi', drifted: false };
    expect(retrainDue(100, 900, 2000, drift).due).toBe(false);
    expect(retrainDue(100, 900, 2000, { ...drift, value: 0.4, drifted: true })).toMatchObject({ due: true, reason: expect.stringContaining('population stability index 0.400 on rsi') });
  });

  it('promotes a challenger only when it is strictly better by the rule\'s metric', () => {
    expect(promotionDecision('net_pnl', walk(0.1, -1, 0.5), walk(0.2, -2, 0.1))).toMatchObject({ promote: true, champion: 0.1, challenger: 0.2 });
    expect(promotionDecision('net_pnl', walk(0.1, -1, 0.5), walk(0.1, -1, 0.9)).promote).toBe(false);
    // the lower end of the interval: a wider one loses
    expect(promotionDecision('net_pnl_low', walk(0.1, -1, 0.5), walk(0.2, -2, 0.1)).promote).toBe(false);
    expect(promotionDecision('sharpe', walk(0.1, -1, 0.5), walk(0.05, -1, 0.6))).toMatchObject({ promote: true, reason: expect.stringContaining('Sharpe ratio') });
  });
});

describe('retraining in the page\'s store', () => {
  it('records a skip until new rows arrive, then trains a challenger from the champion and decides on the same windows', async () => {
    await tf.setBackend('cpu');
    const db = await openLabDb();
    const ds = await importReady(head(3000), 'eur.csv');
    await saveDataset(db, ds);
    const training = new TrainingService({ repository: idbRepository(() => openLabDb()), backends: ['cpu'], flushMs: 0 });
    const hp = { total_timesteps: 1024, n_envs: 2, n_steps: 128, batch_size: 128, n_epochs: 1, net_arch: [16], max_steps: 48, eval_freq: 512, seed: 5 };
    const first = await training.start({ algorithm: 'PPO', datasetId: ds.meta.id, env: 'position', backend: 'cpu', hyperparameters: hp }, () => {});
    expect(await first.done).toBe('completed');
    const registry = new ModelRegistry(idbRegistry(db));
    await registerStoredRun(db, first.runId, { model: 'eur', checkpoint: 'best' });
    await registry.setRetrainRule('eur', { ...(await registry.getModel('eur'))!.retrain_rule, enabled: true, minNewRows: 200, drift: 'psi' });
    const deps: RetrainDeps = {
      registry, training, backend: 'cpu', datasets: storedDatasets(db),
      currentData: async (run) => storedDatasets(db)(run.dataset_id),
      runRecords: async (id) => { const config = await getRun(db, id); return config ? { config, checkpoints: await runCheckpoints(db, id), evaluations: await runEvaluations(db, id) } : null; },
    };

    // nothing new: a skip, recorded once however often it is checked
    const skip = await retrainModel(deps, 'eur', 'interval');
    expect(skip).toMatchObject({ decision: 'skipped', champion: 1, challenger: null, newRows: 0, reason: expect.stringMatching(/^not due: 0 new rows/) });
    await retrainModel(deps, 'eur', 'interval');
    expect(await registry.listDecisions('eur')).toHaveLength(1);

    // 300 rows arrive: due by rows, the drift measured and said
    const more = Object.assign(new Blob([head(3300)]), { name: 'eur-more.csv' });
    expect(await appendFile(ds.meta.id, more)).toMatchObject({ added: 300 });
    const check = await checkRetrain(deps, 'eur');
    expect(check).toMatchObject({ champion: 1, problem: null, due: { newRows: 300 } });
    expect(check.drift).toMatchObject({ test: 'psi', threshold: 0.25 });
    expect(Number.isFinite(check.drift!.value)).toBe(true);

    const decision = await retrainModel(deps, 'eur', 'append', { force: true });
    expect(['promoted', 'kept-challenger']).toContain(decision.decision);
    expect(decision).toMatchObject({ trigger: 'append', champion: 1, challenger: 2, newRows: 300, segment: { which: 'validation', dataset_id: ds.meta.id, dataset_revision: 2 } });
    expect(decision.figures.champion?.net_pnl_pct).toBeTruthy();
    expect(decision.figures.challenger?.windows).toBe(decision.figures.champion?.windows);
    const model = (await registry.getModel('eur'))!;
    expect(model.aliases).toMatchObject({ latest: 2, champion: decision.decision === 'promoted' ? 2 : 1 });
    const v2 = (await registry.getVersion('eur', 2))!;
    expect(v2).toMatchObject({ source: { checkpoint: 'final' }, dataset: { revision: 2, rows: 3300 }, tags: ['retrain'] });
    // the challenger started from the champion's weights and kept its settings
    const challengerRun = (await getRun(db, v2.source.run_id))!;
    expect(challengerRun).toMatchObject({ init_from_run: first.runId, net_arch: [16], total_timesteps: 1024, dataset_rows: 3300 });
    expect((await registry.listDecisions('eur')).map((d) => d.decision).slice(0, 1)).toEqual(['skipped']);
  }, 180_000);
});

describe('npm run retrain', () => {
  const tsx = join(ROOT, 'node_modules/tsx/dist/cli.mjs');
  const run = (script: string, args: string[]) => execFileSync(process.execPath, [tsx, join(ROOT, 'src/cli', script), ...args], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

  it('registers a run, skips until rows arrive, retrains on the grown file, and refuses a file that is not it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rl-retrain-'));
    const data = join(dir, 'eur.csv');
    writeFileSync(data, head(3000));
    run('train.ts', ['--data', data, '--algo', 'ppo', '--env', 'position', '--timesteps', '1024', '--n-envs', '2', '--n-steps', '128', '--batch-size', '128', '--n-epochs', '1', '--net-arch', '16', '--max-steps', '48', '--backend', 'cpu', '--out', join(dir, 'runs'), '--quiet']);
    const [runId] = readdirSync(join(dir, 'runs'));
    const registry = join(dir, 'registry');
    expect(run('retrain.ts', ['--registry', registry, '--model', 'eur', '--from', join(dir, 'runs', runId)])).toMatch(/as version 1 of "eur"; aliases: latest → v1, champion → v1/);
    expect(existsSync(join(registry, 'eur/champion.onnx'))).toBe(true);

    expect(run('retrain.ts', ['--data', data, '--registry', registry, '--model', 'eur', '--min-new-rows', '150', '--backend', 'cpu'])).toMatch(/decision 1 \(cli\): skipped; champion version 1\n {2}not due: 0 new rows since the champion trained \(the rule asks for 150\)/);
    writeFileSync(data, head(3200));
    const out = run('retrain.ts', ['--data', data, '--registry', registry, '--model', 'eur', '--backend', 'cpu']);
    expect(out).toMatch(/eur\.csv: 3,200 rows, dataset eur revision 2/);
    expect(out).toMatch(/decision 2 \(cli\): (promoted|kept-challenger), challenger version 2; champion version 1\n {2}retrained: 200 new rows since the champion trained \(the rule asks for 150\)/);
    expect(out).toMatch(/champion {2}: net P&L -?\d+\.\d{3} % per window \(95 % /);
    const json = JSON.parse(readFileSync(join(registry, 'eur/registry.json'), 'utf8'));
    expect(json.model.retrain_rule).toMatchObject({ minNewRows: 150, enabled: true });
    expect(readFileSync(join(registry, 'eur/decisions.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);
    expect(existsSync(join(registry, 'eur/v2/model.onnx'))).toBe(true);

    // a shorter or another file is not the champion's data grown
    writeFileSync(data, FOREX.slice(0, 1).concat(FOREX.slice(1000, 4500)).join('\n'));
    const refused = spawnSync(process.execPath, [tsx, join(ROOT, 'src/cli/retrain.ts'), '--data', data, '--registry', registry, '--model', 'eur'], { cwd: ROOT, encoding: 'utf8' });
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/error: eur\.csv is not the data the champion \(run run_\d+_\d+(_\d+)?\) trained on, grown at its end/);
    expect(spawnSync(process.execPath, [tsx, join(ROOT, 'src/cli/retrain.ts'), '--registry', registry, '--model', 'eur', '--data', data, '--drift', 'sometimes'], { cwd: ROOT, encoding: 'utf8' }).stderr).toMatch(/--drift must be off, psi or ks, not "sometimes"/);
  }, 180_000);
});
