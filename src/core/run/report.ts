// A run's markdown report: the config as a table, the final metrics, the evaluations, the last
// update's health metrics, and the charts as embedded PNG images.
import type { RunConfig } from './record';
import type { EvaluationRecord, UpdateMetrics } from '../../algos/ppo';

const cell = (v: unknown) => (v === null || v === undefined ? '—' : typeof v === 'number' ? (Number.isInteger(v) ? String(v) : String(+v.toPrecision(6))) : typeof v === 'object' ? JSON.stringify(v) : String(v)).replace(/\|/g, '\\|');

export function runReportMarkdown(config: RunConfig, evaluations: EvaluationRecord[], updates: UpdateMetrics[], charts: { title: string; png: string }[]): string {
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
  if (charts.length) {
    lines.push('', '## Charts', '');
    for (const c of charts) if (c.png) lines.push(`### ${c.title}`, '', `![${c.title}](${c.png})`, '');
  }
  return lines.join('\n') + '\n';
}
