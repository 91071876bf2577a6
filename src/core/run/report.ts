// A run's markdown report: the config as a table, the final metrics, the evaluations, the last
// update's health metrics (PPO) or the classifier report and backtest (behavior cloning), and the
// charts as embedded PNG images.
import type { BcRunConfig, PpoRunConfig } from './record';
import type { EvaluationRecord, UpdateMetrics } from '../../algos/ppo';

const cell = (v: unknown) => (v === null || v === undefined ? '—' : typeof v === 'number' ? (Number.isInteger(v) ? String(v) : String(+v.toPrecision(6))) : typeof v === 'object' ? JSON.stringify(v) : String(v)).replace(/\|/g, '\\|');

export function runReportMarkdown(config: PpoRunConfig, evaluations: EvaluationRecord[], updates: UpdateMetrics[], charts: { title: string; png: string }[]): string {
  const lines: string[] = [`# ${config.name}`, '', `Run \`${config.run_id}\` · ${config.algorithm} on \`${config.env}\` · data \`${config.data_file}\` · backend ${config.backend} · status **${config.status}**`, ''];
  if (config.error) lines.push(`> ${config.error}`, '');
  lines.push('## Final metrics', '', '| metric | value |', '|---|---|');
  for (const [k, v] of Object.entries(config.final_metrics ?? {})) lines.push(`| ${k} | ${cell(v)} |`);
  lines.push('', '## Configuration', '', '| key | value |', '|---|---|');
  for (const [k, v] of Object.entries(config)) if (k !== 'final_metrics' && k !== 'backend_trials') lines.push(`| ${k} | ${cell(v)} |`);
  if (evaluations.length) {
    lines.push('', '## Evaluations', '', '| step | mean | std | min | max | episodes |', '|---|---|---|---|---|---|');
    for (const e of evaluations) lines.push(`| ${e.step} | ${cell(e.mean_reward)} | ${cell(e.std_reward)} | ${cell(e.min_reward)} | ${cell(e.max_reward)} | ${e.num_episodes} |`);
  }
  const last = updates[updates.length - 1];
  if (last) {
    lines.push('', `## Last update (${last.update}, step ${last.step})`, '', '| metric | value |', '|---|---|');
    for (const [k, v] of Object.entries(last)) if (k.includes('/')) lines.push(`| ${k} | ${cell(v)} |`);
  }
  chartSection(lines, charts);
  return lines.join('\n') + '\n';
}

function chartSection(lines: string[], charts: { title: string; png: string }[]): void {
  if (!charts.length) return;
  lines.push('', '## Charts', '');
  for (const c of charts) if (c.png) lines.push(`### ${c.title}`, '', `![${c.title}](${c.png})`, '');
}

export function bcReportMarkdown(config: BcRunConfig, charts: { title: string; png: string }[]): string {
  const lines: string[] = [`# ${config.name}`, '', `Run \`${config.run_id}\` · behavior cloning (${config.seeds.length > 1 ? `ensemble of seeds ${config.seeds.join(', ')}` : `seed ${config.seeds[0]}`}) · data \`${config.data_file}\` · backend ${config.backend} · status **${config.status}**`, ''];
  if (config.error) lines.push(`> ${config.error}`, '');
  lines.push('## Final metrics', '', '| metric | value |', '|---|---|');
  for (const [k, v] of Object.entries(config.final_metrics ?? {})) lines.push(`| ${k} | ${cell(v)} |`);
  const e = config.evaluation;
  if (e) {
    lines.push('', '## Validation', '', `${e.source.samples} ${e.source.kind === 'teacher' ? 'teacher-labelled' : 'offline'} samples; accuracy ${cell(e.report.accuracy)}, macro F1 ${cell(e.report.macroF1)}.`, '');
    lines.push('| action | precision | recall | F1 | support | predicted | actual |', '|---|---|---|---|---|---|---|');
    e.report.perClass.forEach((c, i) => lines.push(`| ${c.label} | ${cell(c.precision)} | ${cell(c.recall)} | ${cell(c.f1)} | ${c.support} | ${cell(e.report.predictedDistribution[i])} | ${cell(e.report.actualDistribution[i])} |`));
    lines.push('', 'Confusion matrix (rows: actual, columns: predicted):', '', '| | HOLD | BUY | SELL |', '|---|---|---|---|');
    e.report.confusion.forEach((row, i) => lines.push(`| ${['HOLD', 'BUY', 'SELL'][i]} | ${row.join(' | ')} |`));
    for (const w of e.overfitting_signs) lines.push('', `> ⚠ ${w}`);
    if (e.members.length > 1) {
      lines.push('', '## Ensemble', '', '| member | best epoch | accuracy |', '|---|---|---|');
      for (const m of e.members) lines.push(`| seed ${m.seed} | ${m.best_epoch} | ${cell(m.eval_acc)} |`);
      lines.push(`| majority vote | | ${cell(e.ensemble_accuracy)} |`);
    }
    if (e.backtest) {
      lines.push('', '## Backtest on the held-out segment', '', '| | return % | Sharpe | max drawdown | win rate | trades |', '|---|---|---|---|---|---|');
      for (const [name, b] of [['policy', e.backtest.policy], ['teacher ensemble', e.backtest.teacher]] as const) lines.push(`| ${name} | ${cell(b.return_pct)} | ${cell(b.sharpe)} | ${cell(b.max_drawdown)} | ${cell(b.win_rate)} | ${b.trades} |`);
      lines.push(`| buy and hold | ${cell(e.backtest.policy.buy_and_hold_return_pct)} | | | | |`);
    }
  }
  lines.push('', '## Configuration', '', '| key | value |', '|---|---|');
  for (const [k, v] of Object.entries(config)) if (k !== 'final_metrics' && k !== 'backend_trials' && k !== 'evaluation') lines.push(`| ${k} | ${cell(v)} |`);
  chartSection(lines, charts);
  return lines.join('\n') + '\n';
}
