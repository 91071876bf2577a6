// Seed 004's trajectories: each episode's steps (the bar, the action, the reward and the net P&L of
// each), kept beside its record and written as trajectories.jsonl, one trajectory a line, with the
// window, scenario and agent it is filed under; and read back from that file.
import type { EpisodeTrajectory, StoredEpisode } from './contracts';

export const TRAJECTORIES_FILE = 'trajectories.jsonl';

/** Builds a trajectory from plain lists (what a runner collects as an episode goes). */
export function trajectoryOf(startRow: number, actions: ArrayLike<number>, rewards: ArrayLike<number>, pnl: ArrayLike<number>): EpisodeTrajectory {
  // −0 as 0: JSON writes both as 0, and an exported run must import as it was
  const plain = (x: number) => (x === 0 ? 0 : x);
  return { start_row: startRow, actions: Int16Array.from(actions), rewards: Float32Array.from(rewards, plain), pnl: Float32Array.from(pnl, plain) };
}

/** trajectories.jsonl of the episodes that have one, by episode; '' when none has. */
export function trajectoriesJsonl(episodes: readonly StoredEpisode[]): string {
  const lines: string[] = [];
  for (const e of [...episodes].sort((a, b) => a.episode - b.episode)) {
    const t = e.trajectory;
    if (!t) continue;
    const d = JSON.parse(e.detailJson) as Record<string, unknown>;
    const windowId = d.window_id ?? t.window_id ?? null;
    lines.push(JSON.stringify({
      episode: e.episode, window_id: windowId, scenario_id: d.scenario_id ?? windowId, agent: d.agent ?? t.agent ?? null, net_pnl_pct: d.net_pnl_pct ?? t.net_pnl_pct ?? null,
      start_row: t.start_row, steps: t.actions.length, actions: Array.from(t.actions), rewards: Array.from(t.rewards), net_pnl: Array.from(t.pnl),
    }));
  }
  return lines.length ? lines.join('\n') + '\n' : '';
}

/** One trajectories.jsonl line as a trajectory of an episode, or why it is not one. */
export function parseTrajectoryLine(row: Record<string, unknown>): { episode: number; trajectory: EpisodeTrajectory } | string {
  const { episode, start_row: start, actions, rewards, net_pnl: pnl } = row;
  if (typeof episode !== 'number' || !Number.isInteger(episode)) return 'no episode number';
  if (typeof start !== 'number' || !Number.isInteger(start) || start < 0) return 'start_row is not a row number';
  const numbers = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isFinite(x));
  if (!numbers(actions) || !numbers(rewards) || !numbers(pnl)) return 'actions, rewards and net_pnl must be lists of finite numbers';
  const a = actions as number[], r = rewards as number[], p = pnl as number[];
  if (a.length !== r.length || a.length !== p.length) return `actions (${a.length}), rewards (${r.length}) and net_pnl (${p.length}) differ in length`;
  if (!a.every((x) => Number.isInteger(x) && x >= 0 && x < 32768)) return 'an action is not an action number';
  const trajectory = trajectoryOf(start, a, r, p);
  // its filing, kept so that an import exports it again as it was
  if (typeof row.window_id === 'string') trajectory.window_id = row.window_id;
  if (typeof row.agent === 'string') trajectory.agent = row.agent;
  if (typeof row.net_pnl_pct === 'number') trajectory.net_pnl_pct = row.net_pnl_pct;
  return { episode, trajectory };
}
