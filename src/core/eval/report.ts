// An evaluation as report sections (the run page, "Play the policy", the markdown report): the
// verdict first, then the policy (or policies) beside buy-and-hold, the constructed policies and
// the random band, in net P&L after costs and in reward, each mean with its 95 % interval.
import type { EvaluationRecord, IntervalFigure } from '../run/contracts';
import type { ReportCell, ReportSection } from '../run/report';
import { moneyOf } from '../run/money';
import { intervalCell } from './stats';

const iv = (v: IntervalFigure | undefined, unit = '') => (v ? intervalCell(v, 2, unit) : '—');
const pct = (x: number) => `${(100 * x).toFixed(1)} %`;

/** Sections of one evaluation: its verdict and a table of `policies` (all walked on the same windows) and the baselines of the first. */
export function evaluationSections(title: string, policies: readonly { name: string; record: EvaluationRecord }[], opts: { testid?: string; verdictTestid?: string; unit?: string; rewardUnit?: string } = {}): ReportSection[] {
  const first = policies[0]?.record;
  if (!first) return [];
  // what the reward is counted in: given, or kept with the walk's money view (runs stored before have none)
  const rewardName = opts.rewardUnit ?? moneyOf(first)?.reward_unit ?? '';
  const rewardUnit = opts.unit ?? '';
  const row = (name: string, r: EvaluationRecord): ReportCell[] => [
    { text: name, strong: true }, iv(r.net_pnl_pct, ' %'), r.total_net_pnl_pct === undefined ? '—' : `${r.total_net_pnl_pct.toFixed(2)} %`,
    iv(r.reward_interval ?? { mean: r.mean_reward, low: null, high: null, n: r.num_episodes }, rewardUnit), r.sharpe?.toFixed(2) ?? '—',
    r.max_drawdown === undefined ? '—' : pct(r.max_drawdown), r.win_rate == null ? '—' : pct(r.win_rate), r.trades ?? '—',
  ];
  const rows: ReportCell[][] = policies.map((p) => row(p.name, p.record));
  const b = first.baselines;
  if (b?.buy_and_hold) rows.push(['buy and hold', iv(b.buy_and_hold.net_pnl_pct, ' %'), `${b.buy_and_hold.total_net_pnl_pct.toFixed(2)} %`, '', '', '', '', '']);
  for (const f of Object.values(b?.fixed ?? {})) rows.push([f.label, iv(f.net_pnl_pct, ' %'), `${f.total_net_pnl_pct.toFixed(2)} %`, iv(f.reward, rewardUnit), '', '', '', '']);
  if (b?.random) rows.push([`random, as often (${(100 * b.random.frequency).toFixed(1)} % of steps; ${b.random.seeds} seeds, 5–95 %)`, `${b.random.net_pnl_pct.p5.toFixed(2)} to ${b.random.net_pnl_pct.p95.toFixed(2)} %`, '', `${b.random.reward.p5.toFixed(2)} to ${b.random.reward.p95.toFixed(2)}`, '', '', '', '']);
  const segment = first.segment === 'validation' ? 'validation segment' : 'test segment';
  return [
    ...(first.verdict ? [{ kind: 'text' as const, title: `Verdict (${segment})`, parts: [{ strong: first.verdict, testid: opts.verdictTestid }] }] : []),
    {
      kind: 'table', title: `${title} (${segment}, ${first.num_episodes} windows covering it, net of fees and slippage)`, testid: opts.testid,
      head: ['', 'net P&L per window [95 %]', 'whole walk', `reward per window${rewardName ? ` (${rewardName})` : ''} [95 %]`, 'Sharpe', 'max drawdown', 'win rate', 'trades'], rows,
    },
  ];
}
