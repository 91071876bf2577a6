// The command line writes seed 000's run folder (PPO) and a behavior-cloning run folder.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { zipSync } from 'fflate';
import { readRunZip } from '../../src/services/runArchive';
import { importBytes } from '../../src/core/data/importer';
import { candleColumnsOfDataset, computeMarketFeatures } from '../../src/core/features/market';
import { Rng } from '../../src/core/rng';

const ROOT = resolve(__dirname, '../..');
const train = (args: string[]) => execFileSync(process.execPath, [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), join(ROOT, 'src/cli/train.ts'), ...args, '--quiet'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

describe('npm run train', () => {
  it('PPO writes config.json, metrics.json, detailed_episodes.jsonl, train_metrics.jsonl and checkpoints', () => {
    const out = mkdtempSync(join(tmpdir(), 'rl-cli-'));
    train(['--data', 'public/samples/ETH_BTC-5m.parquet', '--env', 'trade-approval', '--algo', 'ppo', '--timesteps', '2048', '--seed', '4', '--out', out, '--eval-freq', '2048', '--backend', 'cpu', '--n-envs', '4', '--n-steps', '128', '--batch-size', '128', '--max-steps', '64']);
    const [runId] = readdirSync(out);
    expect(runId).toMatch(/^run_\d{8}_\d{6}$/);
    const dir = join(out, runId);
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    expect(Object.keys(config).slice(0, 5)).toEqual(['run_id', 'created_at', 'completed_at', 'status', 'algorithm']);
    expect([config.status, config.algorithm, config.backend, config.total_timesteps, config.data_file]).toEqual(['completed', 'PPO', 'cpu', 2048, 'ETH_BTC-5m.parquet']);
    const metrics = JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8'));
    expect(metrics.episodes.length).toBe(config.final_metrics.total_episodes);
    expect(metrics.evaluations).toHaveLength(1);
    const lines = readFileSync(join(dir, 'detailed_episodes.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(Object.keys(lines[0])).toEqual(['episode', 'reward', 'length', 'timestep', 'timestamp', 'action_counts', 'action_percentages', 'trade_outcomes', 'portfolio', 'reward_breakdown']);
    expect(readFileSync(join(dir, 'train_metrics.jsonl'), 'utf8').trim().split('\n')).toHaveLength(4);
    for (const f of ['model.json', 'weights.bin', 'trainer_state.json']) expect(existsSync(join(dir, 'checkpoints/final_model', f))).toBe(true);
  }, 60_000);

  it('behavior cloning learns from the teacher on candles and reports a held-out backtest', () => {
    const out = mkdtempSync(join(tmpdir(), 'rl-cli-'));
    const stdout = train(['--algo', 'bc', '--data', 'public/samples/STOCKS_GOOGL.csv', '--seeds', '2,3', '--out', out, '--epochs', '4', '--backend', 'cpu']);
    expect(stdout).toMatch(/held-out backtest: policy -?\d+\.\d+ %, teacher -?\d+\.\d+ %, buy and hold -?\d+\.\d+ %/);
    const [runId] = readdirSync(out);
    const evaluation = JSON.parse(readFileSync(join(out, runId, 'evaluation.json'), 'utf8'));
    expect(evaluation.report.confusion).toHaveLength(3);
    expect(evaluation.report.perClass.map((c: { label: string }) => c.label)).toEqual(['HOLD', 'BUY', 'SELL']);
    expect(evaluation.members.map((m: { seed: number }) => m.seed)).toEqual([2, 3]);
    const config = JSON.parse(readFileSync(join(out, runId, 'config.json'), 'utf8'));
    expect([config.algorithm, config.status, config.seeds]).toEqual(['BC', 'completed', [2, 3]]);
    expect(readFileSync(join(out, runId, 'train_metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).seed)).toEqual([2, 2, 2, 2, 3, 3, 3, 3]);
    // the folder is the lab's export: zipped, it imports as a run
    const files: Record<string, Uint8Array> = {};
    const walk = (dir: string) => {
      for (const entry of readdirSync(join(out, dir), { withFileTypes: true })) {
        const path = `${dir}/${entry.name}`;
        if (entry.isDirectory()) walk(path);
        else files[path] = new Uint8Array(readFileSync(join(out, path)));
      }
    };
    walk(runId);
    expect(Object.keys(files)).toContain(`${runId}/checkpoints/seed_3/final_model/model.json`);
    const imported = readRunZip(zipSync(files), `${runId}.zip`);
    expect(imported.updates).toHaveLength(8); // one update per epoch
    expect(imported.checkpoints.map((c) => c.name).sort()).toEqual(['seed_2_best', 'seed_2_final', 'seed_3_best', 'seed_3_final']);
  }, 60_000);

  it('chooses the best model without the test segment: another future in the test rows changes only the test evaluation', async () => {
    // the sample as CSV twice: as it is, and with every price in its last 15 % of rows (the test segment) changed
    const imported = await importBytes(new Uint8Array(readFileSync(join(ROOT, 'public/samples/ETH_BTC-5m.parquet'))), 'ETH_BTC-5m.parquet');
    if (imported.status !== 'ready') throw new Error('sample did not import');
    const c = candleColumnsOfDataset(imported.dataset);
    const rows = c.close.length, testStart = rows - Math.floor((rows - computeMarketFeatures(c).firstValidRow) * 0.15);
    const csv = (alter: boolean) => {
      const rng = new Rng(3);
      let k = 1;
      const lines = ['time,open,high,low,close,volume'];
      for (let r = 0; r < rows; r++) {
        if (alter && r >= testStart) k *= Math.exp(0.02 * rng.normal());
        lines.push([new Date(c.time[r]).toISOString(), c.open[r] * k, c.high[r] * k, c.low[r] * k, c.close[r] * k, c.volume![r]].join(','));
      }
      return lines.join('\n');
    };
    const run = (alter: boolean) => {
      const dir = mkdtempSync(join(tmpdir(), 'rl-cli-'));
      writeFileSync(join(dir, 'eth.csv'), csv(alter));
      train(['--data', join(dir, 'eth.csv'), '--env', 'position', '--algo', 'ppo', '--timesteps', '3072', '--seed', '4', '--out', join(dir, 'out'), '--eval-freq', '1024', '--backend', 'cpu', '--n-envs', '4', '--n-steps', '128', '--batch-size', '128', '--max-steps', '64']);
      const runDir = join(dir, 'out', readdirSync(join(dir, 'out'))[0]);
      const read = (f: string) => readFileSync(join(runDir, f));
      const evaluations = JSON.parse(read('metrics.json').toString()).evaluations.map((e: Record<string, unknown>) => ({ ...e, timestamp: undefined }));
      return { evaluations, best: read('checkpoints/best_model/weights.bin'), final: read('checkpoints/final_model/weights.bin'), test: JSON.parse(read('test_evaluation.json').toString()) };
    };
    const a = run(false), b = run(true);
    expect(a.evaluations.length).toBe(3);
    expect(a.evaluations.every((e: { segment: string }) => e.segment === 'validation')).toBe(true);
    expect(b.evaluations).toEqual(a.evaluations); // the validation walks, the best checkpoint's choice
    expect(Buffer.compare(b.best, a.best)).toBe(0);
    expect(Buffer.compare(b.final, a.final)).toBe(0);
    expect(a.test.best.segment).toBe('test');
    expect(b.test.best.net_pnl_pct.mean).not.toBe(a.test.best.net_pnl_pct.mean); // the test segment was played, once, at the end
  }, 120_000);

  it('GRPO starts from a behavior-cloning run’s folder (--init-from), its networks in that policy’s shape; every episode filed under its window', () => {
    const out = mkdtempSync(join(tmpdir(), 'rl-cli-'));
    train(['--algo', 'bc', '--data', 'public/samples/STOCKS_GOOGL.csv', '--out', out, '--epochs', '2', '--backend', 'cpu']);
    const [bcId] = readdirSync(out);
    train(['--algo', 'grpo', '--env', 'position', '--data', 'public/samples/STOCKS_GOOGL.csv', '--init-from', join(out, bcId), '--timesteps', '256', '--num-windows', '2', '--group-size', '4', '--max-steps', '16', '--num-minibatches', '2', '--eval-freq', '256', '--backend', 'cpu', '--out', out]);
    const grpoId = readdirSync(out).find((d) => d !== bcId)!;
    const config = JSON.parse(readFileSync(join(out, grpoId, 'config.json'), 'utf8'));
    expect(config).toMatchObject({ algorithm: 'GRPO', status: 'completed', init_from_run: bcId, activation: 'relu', n_envs: 8, n_steps: 16 });
    expect(config.init_from).toMatch(new RegExp(`^behavior-cloning run ${bcId}`));
    const episode = JSON.parse(readFileSync(join(out, grpoId, 'detailed_episodes.jsonl'), 'utf8').split('\n')[0]);
    expect(episode.window_id).toMatch(/^\d{4}-\d\d-\d\dT\d\d:00$/);
    expect(episode.scenario_id).toBe(episode.window_id);
    expect(episode.agent).toMatch(new RegExp(`^${grpoId}/member_[0-3]$`));
    // each episode's steps in trajectories.jsonl, one a line, and read back by the importer
    const episodes = readFileSync(join(out, grpoId, 'detailed_episodes.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const trajectories = readFileSync(join(out, grpoId, 'trajectories.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(trajectories).toHaveLength(episodes.length);
    expect(episodes[0]).not.toHaveProperty('trajectory');
    expect(trajectories[0]).toMatchObject({ episode: episodes[0].episode, window_id: episode.window_id, agent: episode.agent, steps: 16 });
    expect(trajectories[0].actions).toHaveLength(16);
    expect(trajectories[0].net_pnl.reduce((a: number, b: number) => a + b, 0) * 100).toBeCloseTo(episodes[0].net_pnl_pct, 3);
    const zipOf = (extra: Record<string, string> = {}) => {
      const files: Record<string, Uint8Array> = {};
      const walk = (dir: string, prefix: string) => { for (const name of readdirSync(dir, { withFileTypes: true })) name.isDirectory() ? walk(join(dir, name.name), `${prefix}${name.name}/`) : (files[`${prefix}${name.name}`] = new Uint8Array(readFileSync(join(dir, name.name)))); };
      walk(join(out, grpoId), `${grpoId}/`);
      for (const [k, v] of Object.entries(extra)) files[`${grpoId}/${k}`] = new TextEncoder().encode(v);
      return zipSync(files);
    };
    const imported = readRunZip(zipOf(), `${grpoId}.zip`);
    const first = imported.episodes.find((e) => e.episode === episodes[0].episode)!;
    expect(Array.from(first.trajectory!.actions)).toEqual(trajectories[0].actions);
    expect(() => readRunZip(zipOf({ 'trajectories.jsonl': '{"episode":1,"start_row":3,"actions":[0,1],"rewards":[0],"net_pnl":[0,0]}\n' }), 'bad.zip')).toThrow(`${grpoId}/trajectories.jsonl: line 1: actions (2), rewards (1) and net_pnl (2) differ in length`);
    expect(() => train(['--algo', 'grpo', '--data', 'public/samples/STOCKS_GOOGL.csv', '--init-from', join(out, 'nope'), '--out', out])).toThrow(/--init-from: no such run folder or zip/);
  }, 120_000);

  it('refuses bad arguments with a clear message', () => {
    expect(() => train(['--data', 'public/samples/ETH_BTC-5m.parquet', '--env', 'nope'])).toThrow(/--env must be trade-approval or position or funding-arbitrage, not "nope"/);
  });
});
