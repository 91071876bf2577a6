// What the runs table and compare show of runs: the metric columns, each read through the run's own
// algorithm (two algorithms share a column key, each with its own reader); the settings that differ
// between runs as dotted name / value rows; and the money figures of each run side by side.
import { findAlgorithm } from '../../algos/registry';
import { columnText, type RunColumn } from '../../algos/spec';
import type { EvaluationRecord, IntervalFigure, StoredRun } from '../../core/run/contracts';

/** A column of the runs table: shown by default, or only when more columns are asked for. */
export interface TableColumn extends RunColumn {
  primary: boolean;
}

/** The money figures a newcomer reads first, in this order; every other column is on request. */
const PRIMARY_KEYS = ['test_net_pnl', 'vs_buy_and_hold', 'test_sharpe', 'test_max_drawdown', 'val_net_pnl', 'best_eval', 'val_acc'];
/** The list label of a column another algorithm names in its compare figures only. */
const SHORT_LABELS: Record<string, string> = { test_sharpe: 'Sharpe', test_max_drawdown: 'Max DD' };
/**
 * A column another algorithm keeps under another key: behavior cloning's test backtest is its test
 * net P&L per window.
 */
const SAME_FIGURE: Record<string, string> = { test_net_pnl: 'backtest_return' };

/** Every column any algorithm lists or compares, once per key, money figures first. */
export function tableColumns(algorithms: readonly { columns: readonly RunColumn[]; compare: { columns: readonly RunColumn[] } }[]): TableColumn[] {
  const byKey = new Map<string, RunColumn>();
  for (const a of algorithms) for (const c of [...a.columns, ...a.compare.columns]) if (!byKey.has(c.key) && !Object.values(SAME_FIGURE).includes(c.key)) byKey.set(c.key, c);
  const rank = (k: string) => (PRIMARY_KEYS.includes(k) ? PRIMARY_KEYS.indexOf(k) : PRIMARY_KEYS.length);
  return [...byKey.values()]
    .map((c) => ({ ...c, label: SHORT_LABELS[c.key] ?? c.label, primary: PRIMARY_KEYS.includes(c.key) }))
    .sort((a, b) => rank(a.key) - rank(b.key));
}

/** The run's own column of that key (its algorithm's list or compare column), or null. */
function ownColumn(run: StoredRun, key: string): RunColumn | null {
  const spec = findAlgorithm(run.algorithm);
  if (!spec) return null;
  const all = [...spec.columns, ...spec.compare.columns];
  return all.find((c) => c.key === key) ?? (SAME_FIGURE[key] ? all.find((c) => c.key === SAME_FIGURE[key]) ?? null : null);
}

/** Whether the run's algorithm has a column of that key (it may have no value yet). */
export const hasColumn = (run: StoredRun, key: string) => ownColumn(run, key) !== null;

/** A column's value for a run, read by the run's algorithm; null where it has none. */
export function columnValue(run: StoredRun, key: string): number | null {
  const v = ownColumn(run, key)?.value(run) ?? null;
  return v === null || !Number.isFinite(v) ? null : v;
}

/** A column's value as the table writes it ("—" where the run has none). */
export function columnCell(run: StoredRun, column: RunColumn): string {
  const own = ownColumn(run, column.key);
  return own ? columnText({ ...own, format: column.format }, run) : '—';
}

// ---- compare: settings ----

/** Keys that are results or bookkeeping, not settings. */
const NOT_SETTINGS = new Set([
  'run_id', 'name', 'tags', 'status', 'error', 'created_at', 'completed_at', 'updated_at', 'deleted_at', 'final_metrics', 'evaluation',
  'backend_trials', 'progress_timesteps', 'progress_epochs', 'warnings', 'data_segments',
]);

/** A config as dotted names: nested objects flattened ("env_settings.fee_pct"), lists kept whole. */
export function flattenSettings(value: Record<string, unknown>, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  for (const [k, v] of Object.entries(value)) {
    const name = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && !ArrayBuffer.isView(v)) flattenSettings(v as Record<string, unknown>, name, out);
    else out[name] = v;
  }
  return out;
}

export const settingText = (v: unknown): string =>
  v === undefined ? '—' : v === null ? 'none' : Array.isArray(v) ? `[${v.map(settingText).join(', ')}]` : typeof v === 'object' ? JSON.stringify(v) : String(v);

/** The settings whose values differ between the runs, by name, with each run's value as text. */
export function differingSettings(runs: readonly StoredRun[]): { name: string; values: string[] }[] {
  if (runs.length < 2) return [];
  const flat = runs.map((r) => {
    const omitted = new Set(findAlgorithm(r.algorithm)?.format.configOmit ?? []);
    const own = Object.fromEntries(Object.entries(r).filter(([k]) => !NOT_SETTINGS.has(k) && !omitted.has(k)));
    return flattenSettings(own);
  });
  const names = [...new Set(flat.flatMap((f) => Object.keys(f)))].sort();
  return names
    .map((name) => ({ name, values: flat.map((f) => settingText(f[name])) }))
    .filter((row) => new Set(row.values).size > 1);
}

// ---- compare: money figures ----

/** The run's one evaluation on its test segment (the best model's; behavior cloning's backtest), if it has one. */
export function testEvaluationOf(run: StoredRun): EvaluationRecord | null {
  const tests = run.test_evaluations as Record<string, EvaluationRecord> | undefined;
  if (tests?.best) return tests.best;
  const backtest = (run.evaluation as { backtest?: { segment?: string; policy?: EvaluationRecord } | null } | undefined)?.backtest;
  return backtest?.segment === 'test' && backtest.policy ? backtest.policy : null;
}

const fixed = (v: number | null | undefined, digits: number, unit = '') => (v === null || v === undefined || !Number.isFinite(v) ? null : `${v.toFixed(digits)}${unit}`);
const interval = (f: IntervalFigure | undefined, unit: string) =>
  !f ? null : f.low === null || f.high === null ? fixed(f.mean, 2, unit) : `${f.mean.toFixed(2)}${unit} (95 % ${f.low.toFixed(2)} to ${f.high.toFixed(2)})`;

export interface MoneyRow {
  name: string;
  title?: string;
  values: string[];
}

/**
 * Each run's money figures side by side: the test walk's net P&L per window with its interval,
 * buy-and-hold on the same windows and the difference, the whole walk, Sharpe, drawdown, trades,
 * fees and turnover where the walk recorded them, and the validation figure that chose the model.
 * A figure no run has is left out.
 */
export function moneyRows(runs: readonly StoredRun[]): MoneyRow[] {
  const tests = runs.map(testEvaluationOf);
  const metrics = runs.map((r) => (r.final_metrics ?? {}) as Record<string, number | null | undefined>);
  const money = tests.map((t) => (t as { money?: { fees_pct?: number | null; turnover?: number | null } } | null)?.money ?? null);
  const bh = tests.map((t) => t?.baselines?.buy_and_hold?.net_pnl_pct.mean ?? null);
  const rows: MoneyRow[] = [
    { name: 'Test net P&L % per window', title: 'the chosen model on the test segment, after fees and slippage, with its 95 % interval', values: tests.map((t) => interval(t?.net_pnl_pct, ' %') ?? '—') },
    { name: 'Buy-and-hold % per window', title: 'the same test windows, the same costs', values: bh.map((v) => fixed(v, 2, ' %') ?? '—') },
    { name: 'vs buy-and-hold (points)', values: tests.map((t, i) => (t?.net_pnl_pct && bh[i] !== null ? fixed(t.net_pnl_pct.mean - bh[i]!, 2) ?? '—' : '—')) },
    { name: 'Whole test walk net P&L %', title: 'the windows back to back, compounded', values: tests.map((t) => fixed(t?.total_net_pnl_pct, 2, ' %') ?? '—') },
    { name: 'Sharpe (test)', values: tests.map((t) => fixed(t?.sharpe, 2) ?? '—') },
    { name: 'Max drawdown (test)', values: tests.map((t) => fixed(t?.max_drawdown === undefined ? null : 100 * t.max_drawdown, 1, ' %') ?? '—') },
    { name: 'Trades (test)', values: tests.map((t) => (t?.trades === undefined ? '—' : String(t.trades))) },
    { name: 'Fees and slippage (test)', title: '% of the starting balance, summed over the windows', values: money.map((m) => fixed(m?.fees_pct, 2, ' %') ?? '—') },
    { name: 'Turnover (test)', title: 'notional traded, in multiples of the starting balance', values: money.map((m) => fixed(m?.turnover, 2, '×') ?? '—') },
    { name: 'Validation net P&L % per window', title: 'the evaluation the best checkpoint was chosen at: what settings are compared on', values: metrics.map((m) => fixed(m.best_eval_net_pnl_pct, 2, ' %') ?? '—') },
    { name: 'Best validation reward', values: metrics.map((m) => fixed(m.best_eval_mean_reward, 3) ?? '—') },
  ];
  return rows.filter((r) => r.values.some((v) => v !== '—'));
}
