// Runs for the registry tests: the PPO and behavior-cloning runs of test/fixtures/runs/ (stored
// before runs kept their data's revision and segments), and the PPO one with what a run records
// today (revision, rows, segments, walks with net P&L and baselines, its test walks).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { EvaluationRecord, RunRecords } from '../../src/core/run/contracts';
import type { OnnxExporter } from '../../src/services/registry';
import { readRunZip } from '../../src/services/runArchive';

const DIR = resolve(__dirname, '../fixtures/runs');

export const PPO_RUN = 'run_20250102_030405';
export const BC_RUN = 'run_20250102_040506';

export function fixtureRun(runId = PPO_RUN): RunRecords {
  return readRunZip(new Uint8Array(readFileSync(`${DIR}/${runId}.zip`)), `${runId}.zip`);
}

const interval = (mean: number, half: number, n: number) => ({ mean, low: mean - half, high: mean + half, n });

export function walk(step: number, segment: 'validation' | 'test', pnl: number): EvaluationRecord {
  return {
    step, mean_reward: pnl / 10, std_reward: 0.5, min_reward: -1, max_reward: 1, num_episodes: 6, timestamp: '2025-01-02T03:08:00.000000', segment,
    reward_interval: interval(pnl / 10, 0.4, 6), net_pnl_pct: interval(pnl, 0.8, 6), total_net_pnl_pct: pnl * 6, sharpe: 1.25, max_drawdown: 0.031, win_rate: 0.5, trades: 14,
    baselines: {
      buy_and_hold: { net_pnl_pct: interval(0.12, 0.5, 6), total_net_pnl_pct: 0.7 },
      fixed: { hold: { label: 'hold (never trades)', reward: interval(0, 0, 6), net_pnl_pct: interval(0, 0, 6), total_net_pnl_pct: 0 } },
      random: { frequency: 0.2, seeds: 50, net_pnl_pct: { p5: -0.9, p50: -0.2, p95: 0.4 }, reward: { p5: -0.1, p50: 0, p95: 0.1 } },
    },
    verdict: 'does not beat buy-and-hold',
  };
}

/** The PPO fixture as a run of today records itself. */
export function richRun(): RunRecords {
  const r = fixtureRun();
  r.config = {
    ...r.config, dataset_revision: 3, dataset_rows: 5760,
    data_segments: { unit: 'bars', train: [0, 4032], validation: [4032, 4896], test: [4896, 5760], times: { train: ['2024-01-01T00:00:00.000Z', '2024-01-14T23:55:00.000Z'], validation: ['2024-01-15T00:00:00.000Z', '2024-01-17T23:55:00.000Z'], test: ['2024-01-18T00:00:00.000Z', '2024-01-20T23:55:00.000Z'] } },
    test_evaluations: { best: walk(256, 'test', 0.42), final: walk(512, 'test', -0.1) },
    final_metrics: { ...(r.config.final_metrics as object), test_net_pnl_pct: 0.42, verdict: 'does not beat buy-and-hold' },
  };
  r.evaluations = [{ runId: r.config.run_id, ...walk(256, 'validation', 0.3) }, { runId: r.config.run_id, ...walk(512, 'validation', 0.1) }];
  return r;
}

/** An ONNX export that says which checkpoint it is (the tests need the file to follow the champion, not a real graph). */
export const fakeOnnx: OnnxExporter = (config, c) => ({
  bytes: new TextEncoder().encode(`onnx ${config.run_id} ${c.kind} ${c.step}`),
  interface: { input: { name: 'observations', shape: ['batch', c.obsSize] }, output: { name: 'action_probabilities', shape: ['batch', c.numActions], meaning: 'action probabilities' }, slots: Array.from({ length: c.obsSize }, (_, i) => ({ name: `feature_${i}` })) },
});
