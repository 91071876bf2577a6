// Seed 004's windows: episodes filed by the hour they started in, with their agent and net P&L, and
// the check_windows.py answer (ready when enough windows hold enough agents), in core and on the CLI.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { barWindowIdOf, windowIdOf, windowsReport, withWindow } from '../../src/core/run/windows';
import { parseTrajectoryLine, trajectoriesJsonl, trajectoryOf } from '../../src/core/run/trajectories';

const ROOT = resolve(import.meta.dirname, '../..');
const windowsCli = (args: string[]) => spawnSync(process.execPath, [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), join(ROOT, 'src/cli/windows.ts'), ...args], { cwd: ROOT, encoding: 'utf8' });

describe('market windows', () => {
  it('files an episode under the start of its hour (or its window of hours), with its agent and net P&L', () => {
    expect(windowIdOf('2025-01-15T10:59:59.000Z')).toBe('2025-01-15T10:00');
    expect(windowIdOf('2025-01-15T10:00:00.000Z', 4)).toBe('2025-01-15T08:00');
    expect(windowIdOf(null)).toBeNull();
    // or of a number of bars from the segment's first row, for 7-minute bars that no hour divides
    const time = Float64Array.from({ length: 100 }, (_, k) => Date.UTC(2025, 0, 15, 10) + k * 7 * 60_000);
    expect(barWindowIdOf(time, 10, 10, 9)).toBe('2025-01-15T11:10');
    expect(barWindowIdOf(time, 10, 18, 9)).toBe('2025-01-15T11:10');
    expect(barWindowIdOf(time, 10, 19, 9)).toBe('2025-01-15T12:13');
    // a record without a start time (seed 000's trade-approval schema) is left as it is
    expect(withWindow({ episode: 1 }, 'run_1')).toEqual({ episode: 1 });
    const r = withWindow({ start_time: '2025-01-15T10:25:00.000Z', portfolio: { return_pct: -0.5 } }, 'run_1/member_2');
    expect(r).toMatchObject({ window_id: '2025-01-15T10:00', scenario_id: '2025-01-15T10:00', agent: 'run_1/member_2', net_pnl_pct: -0.5 });
  });

  it('says ready only when enough windows hold enough agents, with each window\u2019s mean and best agent', () => {
    const eps = [
      ...['a', 'b', 'c'].map((agent, k) => ({ window_id: '2025-01-15T10:00', agent, net_pnl_pct: k - 1 })),
      { window_id: '2025-01-15T11:00', agent: 'a', net_pnl_pct: 2 },
    ];
    const three = windowsReport(eps, 3);
    expect(three.ready).toBe(true);
    expect(three.windows[0]).toMatchObject({ window_id: '2025-01-15T10:00', trajectories: 3, mean_net_pnl_pct: 0, best_agent: 'c', best_net_pnl_pct: 1 });
    const five = windowsReport(eps, 5);
    expect(five.ready).toBe(false);
    expect(five.verdict).toBe('not ready: no window holds 5 agents (the most in one window is 3); run more agents (runs, seeds or GRPO group members) over the same hours');
  });

  it('npm run windows reads episodes files, files old records by their start time, and exits 1 when not ready', () => {
    const dir = mkdtempSync(join(tmpdir(), 'windows-'));
    const lines = (agent: string) => [0, 1].map((h) => JSON.stringify({ episode: h, start_time: `2025-01-15T1${h}:05:00.000Z`, portfolio: { return_pct: h }, agent, window_id: `2025-01-15T1${h}:00` })).join('\n');
    for (const a of ['x', 'y']) writeFileSync(join(dir, `${a}.jsonl`), lines(a));
    writeFileSync(join(dir, 'old.jsonl'), JSON.stringify({ episode: 1, start_time: '2025-01-15T10:30:00.000Z', portfolio: { return_pct: 3 } }));
    const out = execFileSync(process.execPath, [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), join(ROOT, 'src/cli/windows.ts'), join(dir, 'x.jsonl'), join(dir, 'y.jsonl'), join(dir, 'old.jsonl'), '--min-agents', '3'], { cwd: ROOT, encoding: 'utf8' });
    expect(out).toContain('5 episodes in 2 windows of 1 h; 1 with at least 3 agents');
    expect(out).toMatch(/2025-01-15T10:00\t3\t3\t\+1\.000 %\t.+ \(\+3\.000 %\)/);
    expect(out.trim().split('\n').at(-1)).toBe('ready: 1 window holds trajectories of at least 3 agents');
    const not = windowsCli([join(dir, 'x.jsonl'), '--min-agents', '2']);
    expect(not.status).toBe(1);
    expect(not.stdout).toContain('not ready: no window holds 2 agents');
    expect(windowsCli([join(dir, 'missing.jsonl')]).stderr).toContain('no such file or folder');
  });

  it('a trajectory whose record keeps seed 000’s schema carries its own filing, and it survives an export and an import', () => {
    const t = trajectoryOf(5, [0, 2], [0.1, -0.2], [0.001, -0.002]);
    Object.assign(t, { window_id: '2025-01-15T10:00', agent: 'run_x', net_pnl_pct: -0.1 });
    const line = trajectoriesJsonl([{ runId: 'run_x', episode: 3, summary: { episode: 3, reward: -0.1, length: 2, timestep: 2, timestamp: '' }, detailJson: JSON.stringify({ episode: 3, reward: -0.1 }), trajectory: t }]);
    const row = JSON.parse(line);
    expect(row).toMatchObject({ episode: 3, window_id: '2025-01-15T10:00', scenario_id: '2025-01-15T10:00', agent: 'run_x', net_pnl_pct: -0.1, start_row: 5, steps: 2, actions: [0, 2] });
    const back = parseTrajectoryLine(row);
    if (typeof back === 'string') throw new Error(back);
    expect(back.trajectory).toMatchObject({ start_row: 5, window_id: '2025-01-15T10:00', agent: 'run_x', net_pnl_pct: -0.1 });
    expect(Array.from(back.trajectory.rewards)).toEqual([0.1, -0.2].map(Math.fround));
    expect(parseTrajectoryLine({ ...row, actions: [0, 1.5] })).toBe('an action is not an action number');
    // −0 is kept as 0, as JSON writes it: an exported run imports record for record
    expect(Object.is(trajectoryOf(0, [0], [-0], [-0]).rewards[0], 0)).toBe(true);
  });
});
