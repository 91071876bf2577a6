// Which walks of a run have a money view to choose from: each evaluation on the validation segment
// (latest first), the test segment's final evaluation (best and final models), and a behavior-
// cloning run's backtest (its policy and its teacher). Read off the run's records, whatever trained it.
import type { EvaluationRecord, StoredRun } from '../../core/run/contracts';
import { moneyOf, type MoneyRecord } from '../../core/run/money';

export interface MoneyChoice {
  key: string;
  label: string;
  record: EvaluationRecord;
  money: MoneyRecord | null;
  /** Validation evaluations are drawn fainter behind the chosen one. */
  kind: 'validation' | 'test';
}

const isRecord = (v: unknown): v is EvaluationRecord => !!v && typeof v === 'object' && typeof (v as EvaluationRecord).mean_reward === 'number';

export function moneyChoices(run: StoredRun | null, evaluations: readonly EvaluationRecord[]): MoneyChoice[] {
  const out: MoneyChoice[] = [];
  const tests = (run?.test_evaluations ?? null) as Record<string, unknown> | null;
  for (const [name, r] of Object.entries(tests ?? {})) {
    if (isRecord(r)) out.push({ key: `test:${name}`, label: `test segment · ${name} model (step ${r.step.toLocaleString('en-US')})`, record: r, money: moneyOf(r), kind: 'test' });
  }
  const backtest = (run?.evaluation as { backtest?: { segment?: string; policy?: unknown; teacher?: unknown } } | undefined)?.backtest;
  if (backtest?.segment && isRecord(backtest.policy)) out.push({ key: 'backtest:policy', label: 'test segment · backtest of the policy', record: backtest.policy, money: moneyOf(backtest.policy), kind: 'test' });
  if (backtest?.segment && isRecord(backtest.teacher)) out.push({ key: 'backtest:teacher', label: 'test segment · backtest of the teacher', record: backtest.teacher, money: moneyOf(backtest.teacher), kind: 'test' });
  const seg = (e: EvaluationRecord) => (e.segment === 'test' ? 'held-out segment' : 'validation');
  for (let i = evaluations.length - 1; i >= 0; i--) {
    const e = evaluations[i];
    out.push({ key: `eval:${e.step}:${i}`, label: `${seg(e)} · evaluation at step ${e.step.toLocaleString('en-US')}${i === evaluations.length - 1 ? ' (latest)' : ''}`, record: e, money: moneyOf(e), kind: 'validation' });
  }
  return out;
}

/** One line of an equity chart (uPlot's flat arrays: values at the chart's x points). */
export interface EquityLine { label: string; values: (number | null)[]; color: string; width?: number; dash?: number[] }
