// A sweep's leaderboard: each run's money figures on the validation segment (its last walk there,
// not its best, so picking the best checkpoint does not flatter it), the runs ranked, and each
// grid point's figures over its seeds as mean and spread (sample standard deviation).
import type { EvaluationRecord, RunStatus, SweepMembership } from '../run/contracts';
import { pointKey } from './grid';

export const FIGURES = ['net_pnl', 'vs_hold', 'sharpe', 'drawdown', 'turnover'] as const;
export type FigureName = (typeof FIGURES)[number];
export type RunFigures = Record<FigureName, number | null>;

/** Which way is better, and what each figure is. */
export const FIGURE_INFO: Record<FigureName, { label: string; title: string; better: 'higher' | 'lower'; unit: string }> = {
  net_pnl: { label: 'Net P&L', title: 'net P&L after fees on the validation segment (its last walk), % of the starting balance', better: 'higher', unit: ' %' },
  vs_hold: { label: 'vs buy & hold', title: 'net P&L minus buy-and-hold on the same windows, percentage points', better: 'higher', unit: ' pp' },
  sharpe: { label: 'Sharpe', title: "the validation walk's Sharpe ratio", better: 'higher', unit: '' },
  drawdown: { label: 'Drawdown', title: "the validation walk's largest drawdown, % of the peak balance", better: 'lower', unit: ' %' },
  turnover: { label: 'Turnover', title: 'notional traded on the validation walk, in multiples of the starting balance', better: 'lower', unit: '×' },
};

/** The figures of a run's last evaluation on the validation segment; all null before it has one. */
export function validationFigures(evaluations: readonly EvaluationRecord[]): RunFigures {
  const walks = evaluations.filter((e) => e.segment === 'validation' || (e.segment === undefined && e.net_pnl_pct));
  const last = walks.reduce<EvaluationRecord | null>((a, e) => (!a || e.step >= a.step ? e : a), null);
  const net = last?.total_net_pnl_pct ?? last?.net_pnl_pct?.mean ?? null;
  const hold = last?.baselines?.buy_and_hold;
  const holdNet = hold ? (last?.total_net_pnl_pct !== undefined ? hold.total_net_pnl_pct : hold.net_pnl_pct.mean) : null;
  const money = (last as { money?: { turnover?: number | null } } | null)?.money;
  return {
    net_pnl: net,
    vs_hold: net !== null && holdNet !== null ? net - holdNet : null,
    sharpe: last?.sharpe ?? null,
    // the walk keeps it as a fraction; shown in % like the net P&L beside it
    drawdown: last?.max_drawdown === undefined ? null : 100 * last.max_drawdown,
    turnover: money?.turnover ?? null,
  };
}

/** The validation net P&L at each evaluation step: the curve a point's seeds are averaged over. */
export function validationCurve(evaluations: readonly EvaluationRecord[]): { step: number; net_pnl: number }[] {
  return evaluations
    .filter((e) => (e.segment === 'validation' || e.segment === undefined) && (e.total_net_pnl_pct !== undefined || e.net_pnl_pct))
    .map((e) => ({ step: e.step, net_pnl: e.total_net_pnl_pct ?? e.net_pnl_pct!.mean }))
    .sort((a, b) => a.step - b.step);
}

export interface SweepRunRow {
  runId: string;
  name: string;
  status: RunStatus;
  sweep: SweepMembership;
  figures: RunFigures;
}

/** Mean and sample standard deviation (null spread with fewer than two values); null mean with none. */
export function meanSpread(values: readonly (number | null)[]): { mean: number | null; spread: number | null; n: number } {
  const xs = values.filter((v): v is number => v !== null && Number.isFinite(v));
  if (!xs.length) return { mean: null, spread: null, n: 0 };
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const spread = xs.length > 1 ? Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1)) : null;
  return { mean, spread, n: xs.length };
}

export interface PointRow {
  key: string;
  point: Record<string, unknown>;
  runs: SweepRunRow[];
  /** Runs of this point that completed. */
  completed: number;
  figures: Record<FigureName, { mean: number | null; spread: number | null; n: number }>;
}

/** Each grid point with its runs' figures aggregated over seeds (completed runs only). */
export function aggregatePoints(rows: readonly SweepRunRow[]): PointRow[] {
  const byPoint = new Map<string, SweepRunRow[]>();
  for (const r of rows) {
    const k = pointKey(r.sweep.point);
    byPoint.set(k, [...(byPoint.get(k) ?? []), r]);
  }
  return [...byPoint].map(([key, runs]) => {
    const done = runs.filter((r) => r.status === 'completed');
    return {
      key, point: runs[0].sweep.point, runs, completed: done.length,
      figures: Object.fromEntries(FIGURES.map((f) => [f, meanSpread(done.map((r) => r.figures[f]))])) as PointRow['figures'],
    };
  });
}

/** Best first by a figure (its better direction), those without it last; ties keep their order. */
export function rankBy<T>(items: readonly T[], figure: FigureName, value: (item: T) => number | null): T[] {
  const sign = FIGURE_INFO[figure].better === 'higher' ? -1 : 1;
  return items
    .map((item, i) => ({ item, i, v: value(item) }))
    .sort((a, b) => (a.v === null ? (b.v === null ? a.i - b.i : 1) : b.v === null ? -1 : sign * (a.v - b.v) || a.i - b.i))
    .map((x) => x.item);
}

/**
 * A point's validation net P&L over training: at each evaluation step the seeds' mean and
 * mean ± one standard deviation (the band is the mean alone where one seed has the step).
 */
export function meanCurve(curves: readonly { step: number; net_pnl: number }[][]): { steps: number[]; mean: number[]; low: number[]; high: number[] } {
  const steps = [...new Set(curves.flatMap((c) => c.map((p) => p.step)))].sort((a, b) => a - b);
  const out = { steps, mean: [] as number[], low: [] as number[], high: [] as number[] };
  for (const step of steps) {
    const { mean, spread } = meanSpread(curves.map((c) => c.find((p) => p.step === step)?.net_pnl ?? null));
    out.mean.push(mean!);
    out.low.push(mean! - (spread ?? 0));
    out.high.push(mean! + (spread ?? 0));
  }
  return out;
}

/**
 * One run per planned run (grid point × seed): its completed run where it has one (else its
 * latest), so a run cut short by a reload and trained again is not counted twice; the others are
 * returned apart, to be said, not hidden.
 */
export function oneRunPerSlot<T extends { runId: string; status: RunStatus; sweep: SweepMembership }>(rows: readonly T[]): { rows: T[]; superseded: T[] } {
  const best = new Map<string, T>();
  for (const r of rows) {
    const slot = `${pointKey(r.sweep.point)}#${r.sweep.seed_index}`;
    const held = best.get(slot);
    if (!held || (held.status !== 'completed' && (r.status === 'completed' || r.runId > held.runId))) best.set(slot, r);
  }
  const kept = new Set(best.values());
  return { rows: rows.filter((r) => kept.has(r)), superseded: rows.filter((r) => !kept.has(r)) };
}
