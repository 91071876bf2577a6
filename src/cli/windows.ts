// npm run windows -- <run folder | trajectories.jsonl | detailed_episodes.jsonl>… [--min-agents 5] [--min-windows 1] [--window-hours 1] [--json]
// Seed 004's check_windows.py: how many market windows hold trajectories of at least N agents, and
// per window its agents, mean net P&L and best agent, ending with "ready" or "not ready" and why.
// Episodes stored before windows were recorded are filed by their start time. Exits 1 when not ready.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { windowsReport, withWindow, type WindowFields } from '../core/run/windows';

const USAGE = 'usage: npm run windows -- <run folder | trajectories.jsonl | detailed_episodes.jsonl>… [--min-agents 5] [--min-windows 1] [--window-hours 1] [--json]';
function fail(message: string): never {
  console.error(`error: ${message}\n${USAGE}`);
  process.exit(2);
}
const { values: args, positionals } = (() => {
  try {
    return parseArgs({ allowPositionals: true, options: { 'min-agents': { type: 'string', default: '5' }, 'min-windows': { type: 'string', default: '1' }, 'window-hours': { type: 'string', default: '1' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', default: false } } });
  } catch (e) {
    return fail((e as Error).message);
  }
})();
if (args.help) { console.log(USAGE); process.exit(0); }
if (!positionals.length) fail('name at least one run folder or episodes file');
const whole = (name: string, v: string) => { const n = Number(v); if (!Number.isInteger(n) || n < 1) fail(`--${name} must be a whole number from 1, not "${v}"`); return n; };
const minAgents = whole('min-agents', args['min-agents']!), minWindows = whole('min-windows', args['min-windows']!);
const windowHours = Number(args['window-hours']);
if (!(windowHours > 0)) fail(`--window-hours must be a positive number, not "${args['window-hours']}"`);

const episodes: Partial<WindowFields>[] = [];
for (const p of positionals) {
  const path = resolve(p);
  if (!existsSync(path)) fail(`no such file or folder: ${path}`);
  // a run folder's trajectories carry every environment's filing (a trade-approval record keeps seed 000's schema)
  const inFolder = (name: string) => join(path, name);
  const file = !statSync(path).isDirectory() ? path : existsSync(inFolder('trajectories.jsonl')) ? inFolder('trajectories.jsonl') : inFolder('detailed_episodes.jsonl');
  if (!existsSync(file)) fail(`${path} has neither trajectories.jsonl nor detailed_episodes.jsonl`);
  // the agent of an episode stored without one: its run (the folder's name)
  const runName = basename(statSync(path).isDirectory() ? path : resolve(path, '..'));
  readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let record: Record<string, unknown>;
    try { record = JSON.parse(line); } catch (e) { fail(`${file}, line ${i + 1}: ${(e as Error).message}`); }
    // a record's own window and agent where it has them (the lab writes both); its net P&L from its portfolio
    const filed = withWindow(record, typeof record.agent === 'string' ? record.agent : runName, windowHours) as Partial<WindowFields>;
    episodes.push({ window_id: typeof record.window_id === 'string' ? record.window_id : filed.window_id ?? null, agent: filed.agent ?? runName, net_pnl_pct: filed.net_pnl_pct ?? null });
  });
}
const report = windowsReport(episodes, minAgents, minWindows);
if (args.json) console.log(JSON.stringify(report));
else {
  const pct = (v: number | null) => (v === null ? '—' : `${v >= 0 ? '+' : ''}${v.toFixed(3)} %`);
  console.log(`${episodes.length} episodes in ${report.windows.length} windows of ${windowHours} h; ${report.usable} with at least ${minAgents} agents`);
  console.log(['window', 'agents', 'trajectories', 'mean net P&L', 'best agent'].join('\t'));
  for (const w of report.windows) console.log([w.window_id, w.agents.length, w.trajectories, pct(w.mean_net_pnl_pct), w.best_agent ? `${w.best_agent} (${pct(w.best_net_pnl_pct)})` : '—'].join('\t'));
  console.log(report.verdict);
}
process.exitCode = report.ready ? 0 : 1;
