// A sweep's document, its expansion and slicing, its leaderboard figures and ranking, and the
// command lines the lab offers to copy.
import { describe, expect, it } from 'vitest';
import { findAlgorithm, DEFAULT_ALGORITHM_ID } from '../../src/algos/registry';
import { DEFAULT_ENV_ID, findEnv } from '../../src/core/env/registry';
import { cliFlag, parseSetting } from '../../src/core/settings';
import { expandSweep, parseSweepDefinition, runSettings, sliceOf, sweepIdOf, type SweepDefinition } from '../../src/core/sweep/grid';
import { aggregatePoints, meanCurve, meanSpread, rankBy, validationFigures, type SweepRunRow } from '../../src/core/sweep/leaderboard';
import { shellWords, trainArgs, trainCommand } from '../../src/core/sweep/command';
import type { EvaluationRecord } from '../../src/core/run/contracts';

const def: SweepDefinition = { name: 'lr × clip', data: 'x.csv', algo: 'ppo', grid: { learning_rate: [0.001, 0.003], 'clip-range': [0.1, 0.2, 0.3] }, seeds: [5, 6] };

describe('a sweep grid', () => {
  it('expands points (first key slowest) × seeds in one fixed order', () => {
    const runs = expandSweep(def);
    expect(runs).toHaveLength(12);
    expect(runs.map((r) => r.index)).toEqual([...Array(12).keys()]);
    expect(runs.slice(0, 3).map((r) => [r.point, r.seed, r.seed_index])).toEqual([
      [{ learning_rate: 0.001, clip_range: 0.1 }, 5, 0],
      [{ learning_rate: 0.001, clip_range: 0.1 }, 6, 1],
      [{ learning_rate: 0.001, clip_range: 0.2 }, 5, 0],
    ]);
    expect(expandSweep({ ...def, seeds: undefined, n_seeds: 3 }).map((r) => r.seed).slice(0, 3)).toEqual([1, 2, 3]);
    expect(expandSweep({ ...def, grid: {}, seeds: [7, 8] }).map((r) => [r.point, r.seed])).toEqual([[{}, 7], [{}, 8]]);
  });

  it('slices into K parts that together are the sweep once, the same on every machine', () => {
    const runs = expandSweep(def);
    const parts = [0, 1, 2].map((i) => sliceOf(runs, i, 3));
    expect(parts.map((p) => p.length)).toEqual([4, 4, 4]);
    expect(parts.flat().map((r) => r.index).sort((a, b) => a - b)).toEqual(runs.map((r) => r.index));
    expect(sliceOf(runs, 1, 2).map((r) => r.index)).toEqual([1, 3, 5, 7, 9, 11]);
    expect(sliceOf(runs, 0, 20)).toHaveLength(1);
    expect(() => sliceOf(runs, 2, 2)).toThrow(/--index must be a whole number from 0 to 1, not 2/);
    expect(() => sliceOf(runs, 0, 0)).toThrow(/--count/);
  });

  it('has one id for one document, another for another', () => {
    expect(sweepIdOf(def)).toMatch(/^sweep_[0-9a-f]{8}$/);
    expect(sweepIdOf(JSON.parse(JSON.stringify(def)))).toBe(sweepIdOf(def));
    expect(sweepIdOf({ ...def, seeds: [5, 7] })).not.toBe(sweepIdOf(def));
    expect(sweepIdOf({ ...def, id: 'mine' })).toBe('mine');
  });

  it('refuses a bad document naming the file and the field, or the line and column', () => {
    expect(() => parseSweepDefinition('{\n  "name": "x",\n  "grid": {,}\n}', 'g.json')).toThrow(/^g\.json: not JSON at line 3, column 12/);
    const ok = JSON.stringify(def);
    expect(parseSweepDefinition(ok, 'g.json')).toEqual(def);
    const bad = (patch: object) => () => parseSweepDefinition(JSON.stringify({ ...def, ...patch }), 'g.json');
    expect(bad({ grid: { learning_rate: [] } })).toThrow('g.json: "grid.learning_rate" must be a non-empty list of values');
    expect(bad({ seeds: [1, 0] })).toThrow('g.json: "seeds" must be a non-empty list of non-zero whole numbers');
    expect(bad({ n_seeds: 2 })).toThrow(/"seeds" and "n_seeds" are two ways/);
    expect(bad({ grdi: {} })).toThrow('g.json: "grdi" is not a field of a sweep');
    expect(bad({ grid: { seed: [1, 2] } })).toThrow(/"seed" is set by "seeds"/);
  });

  it("reads each run's settings through the algorithm's and the environment's tables", () => {
    const algorithm = findAlgorithm(DEFAULT_ALGORITHM_ID)!;
    const env = findEnv(DEFAULT_ENV_ID)!;
    const tables = { hyperparameters: algorithm.hyperparameters, env: env.settings };
    const envKey = env.settings.find((s) => s.type === 'number' && !algorithm.hyperparameters.some((h) => h.key === s.key))!;
    const withEnv = { ...def, settings: { total_timesteps: 2048, [envKey.key]: envKey.default } };
    const run = expandSweep(withEnv)[3];
    expect(runSettings(withEnv, run, tables)).toEqual({ hyperparameters: { total_timesteps: 2048, learning_rate: 0.001, clip_range: 0.2, seed: 6 }, envSettings: { [envKey.key]: envKey.default } });
    expect(() => runSettings({ ...def, settings: { learnin_rate: 1 } }, run, tables, 'g.json')).toThrow('g.json: settings "learnin_rate" is not a setting of ppo');
    expect(() => runSettings({ ...def, grid: { learning_rate: [-1] } }, expandSweep({ ...def, grid: { learning_rate: [-1] } })[0], tables, 'g.json')).toThrow(/^g\.json: grid: learning_rate must be above 0/);
  });
});

const evaluation = (step: number, net: number, hold: number, segment: 'validation' | 'test' = 'validation'): EvaluationRecord => ({
  step, mean_reward: 0, std_reward: 0, min_reward: 0, max_reward: 0, num_episodes: 1, timestamp: '', segment,
  net_pnl_pct: { mean: net / 2, low: null, high: null, n: 2 }, total_net_pnl_pct: net, sharpe: net / 10, max_drawdown: 0.03,
  baselines: { buy_and_hold: { net_pnl_pct: { mean: hold / 2, low: null, high: null, n: 2 }, total_net_pnl_pct: hold }, fixed: {}, random: null },
  ...({ money: { turnover: 1.5 } } as object),
});

describe('a sweep leaderboard', () => {
  it("takes a run's last validation walk (never the test segment) beside buy-and-hold", () => {
    expect(validationFigures([evaluation(100, 4, 1), evaluation(200, 2, 1), evaluation(300, 9, 1, 'test')])).toEqual({ net_pnl: 2, vs_hold: 1, sharpe: 0.2, drawdown: 3, turnover: 1.5 });
    expect(validationFigures([])).toEqual({ net_pnl: null, vs_hold: null, sharpe: null, drawdown: null, turnover: null });
  });

  it('aggregates each point over its completed seeds as mean and sample standard deviation, and ranks best first', () => {
    const row = (runId: string, lr: number, seed_index: number, net: number | null, status: SweepRunRow['status'] = 'completed'): SweepRunRow => ({
      runId, name: runId, status, sweep: { id: 's', name: 's', point: { learning_rate: lr }, seed_index, size: 4 },
      figures: { net_pnl: net, vs_hold: net, sharpe: null, drawdown: net === null ? null : -net, turnover: null },
    });
    const rows = [row('a', 1, 0, 1), row('b', 1, 1, 3), row('c', 2, 0, 5), row('d', 2, 1, 9, 'interrupted'), row('e', 3, 0, null)];
    const points = aggregatePoints(rows);
    expect(points.map((p) => [p.point, p.completed, p.figures.net_pnl])).toEqual([
      [{ learning_rate: 1 }, 2, { mean: 2, spread: Math.SQRT2, n: 2 }],
      [{ learning_rate: 2 }, 1, { mean: 5, spread: null, n: 1 }],
      [{ learning_rate: 3 }, 1, { mean: null, spread: null, n: 0 }],
    ]);
    expect(rankBy(points, 'net_pnl', (p) => p.figures.net_pnl.mean).map((p) => p.point.learning_rate)).toEqual([2, 1, 3]);
    // a smaller drawdown is better
    expect(rankBy(rows, 'drawdown', (r) => r.figures.drawdown).map((r) => r.runId)).toEqual(['d', 'c', 'b', 'a', 'e']);
    expect(meanSpread([1, null, 3])).toEqual({ mean: 2, spread: Math.SQRT2, n: 2 });
  });

  it("draws a point's curve as the seeds' mean ± one standard deviation at each evaluation step", () => {
    const c = meanCurve([[{ step: 10, net_pnl: 1 }, { step: 20, net_pnl: 2 }], [{ step: 10, net_pnl: 3 }]]);
    expect(c).toEqual({ steps: [10, 20], mean: [2, 2], low: [2 - Math.SQRT2, 2], high: [2 + Math.SQRT2, 2] });
  });
});

describe('copy as command', () => {
  it("writes every setting, and the words parse back through the tables to the run's settings", () => {
    const algorithm = findAlgorithm(DEFAULT_ALGORITHM_ID)!;
    const env = findEnv(DEFAULT_ENV_ID)!;
    const hyperparameters = { ...Object.fromEntries(algorithm.hyperparameters.map((s) => [s.key, s.default])), learning_rate: 0.00042, seed: 9 };
    const envSettings = Object.fromEntries(env.settings.map((s) => [s.key, s.default]));
    const source = { algo: algorithm.id, env: env.id, preset: null, dataFile: 'my data.csv', name: "it's mine", hyperparameters, envSettings, backend: 'wasm', initFromRun: null };
    const line = trainCommand(source, { hyperparameters: algorithm.hyperparameters, env: env.settings });
    expect(line.startsWith(`npm run train -- --data 'my data.csv' --algo ${algorithm.id.toLowerCase()} --env ${env.id}`)).toBe(true);
    const words = shellWords(line);
    expect(words.slice(4)).toEqual(trainArgs(source, { hyperparameters: algorithm.hyperparameters, env: env.settings }));
    expect(words.at(-1)).toBe("it's mine");
    // each flag read back as train.ts reads it: through its setting's parser
    const read = (specs: typeof algorithm.hyperparameters) => Object.fromEntries(specs.map((s) => {
      const at = words.indexOf(`--${cliFlag(s.key)}`);
      const parsed = parseSetting(s, words[at + 1]);
      return [s.key, 'value' in parsed ? parsed.value : parsed.error];
    }));
    expect(read(algorithm.hyperparameters)).toEqual(hyperparameters);
    expect(read(env.settings)).toEqual(envSettings);
  });
});

describe('one run per planned run', () => {
  it('keeps the completed run of a point and seed, and names the one cut short apart', async () => {
    const { oneRunPerSlot } = await import('../../src/core/sweep/leaderboard');
    const m = (lr: number, seed_index: number) => ({ id: 's', name: 's', point: { learning_rate: lr }, seed_index, size: 2 });
    const rows = [
      { runId: 'run_1', status: 'interrupted' as const, sweep: m(1, 0) },
      { runId: 'run_2', status: 'completed' as const, sweep: m(1, 0) },
      { runId: 'run_3', status: 'interrupted' as const, sweep: m(1, 1) },
      { runId: 'run_4', status: 'failed' as const, sweep: m(1, 1) },
    ];
    const { rows: kept, superseded } = oneRunPerSlot(rows);
    expect(kept.map((r) => r.runId)).toEqual(['run_2', 'run_4']);
    expect(superseded.map((r) => r.runId)).toEqual(['run_1', 'run_3']);
  });
});
