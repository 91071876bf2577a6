// npm run sweep: two slices of a grid (as two machines of an array job would run them) write the
// two halves of it, whose run folders import into the lab as one sweep; and a run's "Copy as
// command" line, run with npm run train, trains the same settings again.
import 'fake-indexeddb/auto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findAlgorithm } from '../../src/algos/registry';
import { readRunSource } from '../../src/cli/runSource';
import type { StoredRun } from '../../src/core/run/contracts';
import { shellWords } from '../../src/core/sweep/command';
import { pointKey } from '../../src/core/sweep/grid';
import { aggregatePoints, validationFigures } from '../../src/core/sweep/leaderboard';
import { openLabDb } from '../../src/store/db';
import { listRuns, runEvaluations, storeImportedRun } from '../../src/store/runs';
import { runCommand } from '../../src/ui/sweeps/commands';

const ROOT = resolve(__dirname, '../..');
const DATA = join(ROOT, 'public/samples/ETH_BTC-5m.parquet');
const tsx = (script: string, args: string[]) => execFileSync(process.execPath, [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), join(ROOT, script), ...args], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const configs = (dir: string) => readdirSync(dir).map((name) => JSON.parse(readFileSync(join(dir, name, 'config.json'), 'utf8')) as StoredRun);

describe('npm run sweep', () => {
  const work = mkdtempSync(join(tmpdir(), 'rl-sweep-'));
  const grid = join(work, 'grid.json');
  writeFileSync(grid, JSON.stringify({
    name: 'lr × seeds', data: DATA, algo: 'ppo',
    settings: { total_timesteps: 512, n_envs: 2, n_steps: 128, batch_size: 128, n_epochs: 1, max_steps: 64, eval_freq: 256 },
    grid: { learning_rate: [0.0003, 0.001] }, seeds: [1, 2],
  }));
  const halves = [join(work, 'slice-0'), join(work, 'slice-1')];

  it('--index 0 --count 2 and --index 1 --count 2 write the two halves of the grid', () => {
    for (const [i, out] of halves.entries()) tsx('src/cli/sweep.ts', ['--grid', grid, '--out', out, '--index', String(i), '--count', '2', '--backend', 'cpu', '--quiet']);
    const [a, b] = halves.map(configs);
    expect([a.length, b.length]).toEqual([2, 2]);
    const all = [...a, ...b];
    expect(new Set(all.map((c) => c.run_id)).size).toBe(4);
    expect(new Set(all.map((c) => c.sweep!.id)).size).toBe(1);
    expect(all.every((c) => c.status === 'completed' && c.sweep!.size === 4 && c.sweep!.name === 'lr × seeds')).toBe(true);
    // every point × seed once, the slices taking every other run
    expect(all.map((c) => `${pointKey(c.sweep!.point)}#${c.sweep!.seed_index}`).sort()).toEqual(
      [0.0003, 0.001].flatMap((lr) => [0, 1].map((s) => `${pointKey({ learning_rate: lr })}#${s}`)).sort());
    expect(a.map((c) => c.sweep!.seed_index)).toEqual([0, 0]);
    expect(b.map((c) => c.sweep!.seed_index)).toEqual([1, 1]);
    expect(all.map((c) => [c.learning_rate, c.seed])).toEqual(expect.arrayContaining([[0.0003, 1], [0.0003, 2], [0.001, 1], [0.001, 2]]));
    // run again, a slice trains nothing already completed
    expect(tsx('src/cli/sweep.ts', ['--grid', grid, '--out', halves[0], '--index', '0', '--count', '2', '--backend', 'cpu'])).toMatch(/already completed/);
    expect(readdirSync(halves[0])).toHaveLength(2);
  }, 240_000);

  it('the run folders of both slices import into the lab as one sweep of four runs', async () => {
    const db = await openLabDb('sweep-import');
    for (const out of halves) for (const name of readdirSync(out)) await storeImportedRun(db, readRunSource(join(out, name)));
    const runs = (await listRuns(db)).filter((r) => r.sweep);
    expect(runs).toHaveLength(4);
    const rows = await Promise.all(runs.map(async (r) => ({ runId: r.run_id, name: r.name, status: r.status, sweep: r.sweep!, figures: validationFigures(await runEvaluations(db, r.run_id)) })));
    const points = aggregatePoints(rows);
    expect(points.map((p) => [p.completed, p.figures.net_pnl.n])).toEqual([[2, 2], [2, 2]]);
    expect(rows.every((r) => r.figures.net_pnl !== null && r.figures.vs_hold !== null)).toBe(true);
  });

  it("a run's copied command trains the same settings again with npm run train", () => {
    const [original] = configs(halves[1]);
    const line = runCommand(original)!;
    const words = shellWords(line);
    expect(words.slice(0, 4)).toEqual(['npm', 'run', 'train', '--']);
    const args = words.slice(4);
    args[args.indexOf('--data') + 1] = DATA;
    const out = join(work, 'again');
    tsx('src/cli/train.ts', [...args, '--backend', 'cpu', '--out', out, '--quiet']);
    const [again] = configs(out);
    const algorithm = findAlgorithm(original.algorithm)!;
    const settings = (c: StoredRun) => Object.fromEntries(algorithm.hyperparameters.map((s) => [s.key, c[s.key]]));
    expect(settings(again)).toEqual(settings(original));
    expect(again.env_settings).toEqual(original.env_settings);
    expect([again.env, again.preset, again.name]).toEqual([original.env, original.preset, original.name]);
  }, 120_000);
});
