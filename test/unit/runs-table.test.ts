// What the runs table and compare read of runs: each column through the run's own algorithm (a PPO
// run's test net P&L is not read by GRPO's reader), the differing settings as dotted rows, the money
// figures side by side; and the shared number and time texts of tables and charts.
import { describe, expect, it } from 'vitest';
import { ALGORITHMS } from '../../src/algos/registry';
import { PPO } from '../../src/algos/ppo';
import { GRPO } from '../../src/algos/grpo';
import { BC } from '../../src/algos/bc';
import type { EvaluationRecord, StoredRun } from '../../src/core/run/contracts';
import { columnCell, columnValue, differingSettings, flattenSettings, moneyRows, tableColumns } from '../../src/ui/runs/runTable';
import { legendRows } from '../../src/ui/charts/legendImage';
import { metricText } from '../../src/core/run/report';
import { chartNumberText, elapsedText, utcMinuteText, utcTickTexts } from '../../src/ui/format';

const header = { created_at: '2026-01-02T03:04:05.000Z', completed_at: null, status: 'completed', data_file: 'x.csv', name: 'r', tags: [], dataset_id: 'd', dataset_name: 'd', backend: 'wasm', backend_requested: 'auto', backend_trials: [], error: null, updated_at: '' };
const interval = (mean: number, low: number, high: number) => ({ mean, low, high, n: 20 });
const testEval = (mean: number): EvaluationRecord => ({
  step: 4096, mean_reward: 0.1, std_reward: 0.2, min_reward: -1, max_reward: 1, num_episodes: 20, timestamp: '', segment: 'test',
  net_pnl_pct: interval(mean, mean - 0.5, mean + 0.5), total_net_pnl_pct: 3 * mean, sharpe: 0.8, max_drawdown: 0.042, trades: 17,
  baselines: { buy_and_hold: { net_pnl_pct: interval(0.25, 0, 0.5), total_net_pnl_pct: 1 }, fixed: {}, random: null },
});
const onPolicy = (algorithm: string, id: string, extra: Record<string, unknown> = {}): StoredRun => ({
  ...header, run_id: id, algorithm, learning_rate: 0.0003, net_arch: [128, 128], env: 'e', env_settings: { env: 'e', fee_pct: 0.1, leverage: 1 },
  final_metrics: { mean_reward: 0.1, final_100_mean: 0.1, total_episodes: 9, best_eval_net_pnl_pct: 0.3, test_net_pnl_pct: 1.5, test_buy_and_hold_pct: 0.25, test_sharpe: 0.8, test_max_drawdown: 0.042 },
  test_evaluations: { best: { ...testEval(1.5), money: { fees_pct: 0.61, turnover: 12.2 } }, final: testEval(1) },
  ...extra,
} as unknown as StoredRun);

describe('runs table columns', () => {
  it('reads each column through the run\'s own algorithm: a PPO run shows its test net P&L, a GRPO run its own', () => {
    const ppo = onPolicy(PPO.id, 'a');
    const grpo = onPolicy(GRPO.id, 'b', { final_metrics: { test_net_pnl_pct: -0.7, test_buy_and_hold_pct: 0.25 } });
    expect(columnValue(ppo, 'test_net_pnl')).toBe(1.5);
    expect(columnValue(grpo, 'test_net_pnl')).toBe(-0.7);
    expect(columnValue(ppo, 'vs_buy_and_hold')).toBeCloseTo(1.25);
    const cols = tableColumns(ALGORITHMS);
    const col = (k: string) => cols.find((c) => c.key === k)!;
    expect(columnCell(ppo, col('test_net_pnl'))).toBe('1.500');
    expect(columnCell(ppo, col('test_max_drawdown'))).toBe('4.2 %');
    expect(columnCell(ppo, col('test_sharpe'))).toBe('0.800');
    // a column the run's algorithm does not have
    expect(columnCell(ppo, col('val_acc'))).toBe('—');
  });

  it('puts the money figures first, once per key, with the rest on request', () => {
    const cols = tableColumns(ALGORITHMS);
    expect(new Set(cols.map((c) => c.key)).size).toBe(cols.length);
    expect(cols.filter((c) => c.primary).map((c) => c.key)).toEqual(['test_net_pnl', 'vs_buy_and_hold', 'test_sharpe', 'test_max_drawdown', 'val_net_pnl', 'best_eval', 'val_acc']);
    expect(cols.find((c) => c.key === 'test_sharpe')!.label).toBe('Sharpe');
    expect(cols.some((c) => c.key === 'backtest_return')).toBe(false); // behavior cloning's test net P&L is the test net P&L column
  });

  it('shows behavior cloning\'s test backtest as its test net P&L', () => {
    const bc = { ...header, run_id: 'c', algorithm: BC.id, final_metrics: { val_acc: 0.61 }, evaluation: { backtest: { segment: 'test', policy: testEval(0.9), teacher: testEval(0.4) } } } as unknown as StoredRun;
    expect(columnValue(bc, 'test_net_pnl')).toBe(0.9);
    expect(columnValue(bc, 'val_acc')).toBe(0.61);
    expect(columnValue(bc, 'test_sharpe')).toBeNull();
  });
});

describe('compare', () => {
  it('lists the settings that differ as dotted names, one value per run, results left out', () => {
    const a = onPolicy(PPO.id, 'a');
    const b = onPolicy(PPO.id, 'b', { learning_rate: 0.0001, env_settings: { env: 'e', fee_pct: 0.2, leverage: 1 }, warnings: [{ update: 1, key: 'k', text: 't' }] });
    const c = onPolicy(PPO.id, 'c', { net_arch: [256, 256], init_from: null });
    const rows = differingSettings([a, b, c]);
    expect(rows).toEqual([
      { name: 'env_settings.fee_pct', values: ['0.1', '0.2', '0.1'] },
      { name: 'init_from', values: ['—', '—', 'none'] },
      { name: 'learning_rate', values: ['0.0003', '0.0001', '0.0003'] },
      { name: 'net_arch', values: ['[128, 128]', '[128, 128]', '[256, 256]'] },
    ]);
    expect(differingSettings([a])).toEqual([]);
  });

  it('flattens nested settings to dotted names and keeps lists whole', () => {
    expect(flattenSettings({ a: 1, b: { c: { d: 'x' }, e: [1, 2] } })).toEqual({ a: 1, 'b.c.d': 'x', 'b.e': [1, 2] });
  });

  it('sets the money figures side by side with their intervals, fees and turnover where recorded', () => {
    const a = onPolicy(PPO.id, 'a');
    const b = onPolicy(PPO.id, 'b', { test_evaluations: { best: testEval(-0.4) }, final_metrics: { best_eval_net_pnl_pct: null } });
    const rows = Object.fromEntries(moneyRows([a, b]).map((r) => [r.name, r.values]));
    expect(rows['Test net P&L % per window']).toEqual(['1.50 % (95 % 1.00 to 2.00)', '-0.40 % (95 % -0.90 to 0.10)']);
    expect(rows['Buy-and-hold % per window']).toEqual(['0.25 %', '0.25 %']);
    expect(rows['vs buy-and-hold (points)']).toEqual(['1.25', '-0.65']);
    expect(rows['Max drawdown (test)']).toEqual(['4.2 %', '4.2 %']);
    expect(rows['Fees and slippage (test)']).toEqual(['0.61 %', '—']);
    expect(rows['Turnover (test)']).toEqual(['12.20×', '—']);
    expect(rows['Validation net P&L % per window']).toEqual(['0.30 %', '—']);
    // a figure no run has is left out
    expect(moneyRows([{ ...header, run_id: 'x', algorithm: PPO.id, final_metrics: {} } as unknown as StoredRun])).toEqual([]);
  });
});

describe('texts shared by tables and charts', () => {
  it('writes times in 24-hour UTC, the same in tables and on axes', () => {
    const t = Date.UTC(2024, 2, 1, 14, 5);
    expect(utcMinuteText(t)).toBe('2024-03-01 14:05');
    expect(utcMinuteText('2024-03-01T14:05:59.000Z')).toBe('2024-03-01 14:05');
    expect(utcMinuteText(null)).toBe('—');
    expect(utcTickTexts([t, null], 3_600_000)).toEqual(['14:05', '']);
    expect(utcTickTexts([t], 2 * 86_400_000)).toEqual(['03-01 14:05']);
    expect(utcTickTexts([t], 30 * 86_400_000)).toEqual(['2024-03-01']);
  });

  it('writes chart numbers and elapsed time readably', () => {
    expect(chartNumberText(0.000123456)).toBe('0.0001235');
    expect(chartNumberText(12345.6)).toBe('12,346');
    expect(chartNumberText(null)).toBe('—');
    expect(elapsedText(45)).toBe('45 s');
    expect(elapsedText(725)).toBe('12:05');
    expect(elapsedText(3723)).toBe('1:02:03');
  });

  it('lays a legend out in rows that fit the image', () => {
    const e = (label: string) => ({ label, color: '#000' });
    const rows = legendRows([e('aaaa'), e('bbbb'), e('cccc')], 80, (s) => s.length * 5, 10, 4);
    expect(rows.map((r) => r.map((x) => x.label))).toEqual([['aaaa', 'bbbb'], ['cccc']]);
  });
});

describe('report final metrics', () => {
  it('writes returns and drawdowns in one unit, %', () => {
    expect(metricText('test_net_pnl_pct', 1.5)).toBe('1.5 %');
    expect(metricText('test_net_pnl_low', -0.25)).toBe('-0.25 %');
    expect(metricText('test_buy_and_hold_pct', 0.3)).toBe('0.3 %');
    expect(metricText('test_max_drawdown', 0.042)).toBe('4.2 %');
    expect(metricText('test_sharpe', 0.8)).toBe('0.8');
    expect(metricText('total_episodes', 32)).toBe('32');
    expect(metricText('verdict', null)).toBe('—');
  });
});
