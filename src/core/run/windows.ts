// Seed 004's market windows: every episode is filed under the window it started in (the ISO start
// of its hour, or of its window of `window_hours`), with the agent that played it and its net P&L;
// and the answer to seed 004's check_windows.py: how many windows hold trajectories of at least N
// agents, each window's agents, mean P&L and best agent, and a plain "ready" or "not ready".

/** The window an episode started in: its start time floored to `windowHours` (UTC), as `2025-01-15T10:00`. */
export function windowIdOf(startTime: string | null | undefined, windowHours = 1): string | null {
  if (!startTime) return null;
  const ms = Date.parse(startTime);
  if (!Number.isFinite(ms)) return null;
  const size = windowHours * 3_600_000;
  return new Date(Math.floor(ms / size) * size).toISOString().slice(0, 16);
}

/**
 * The window of an episode whose first bar is `row`, `bars` bars to a window counted from the
 * segment's first row: the time of the window's first bar, as `2025-01-15T10:35`.
 */
export function barWindowIdOf(time: ArrayLike<number>, segmentStart: number, row: number, bars: number): string | null {
  const first = segmentStart + Math.floor((row - segmentStart) / bars) * bars;
  const ms = time[first];
  return Number.isFinite(ms) ? new Date(ms).toISOString().slice(0, 16) : null;
}

/** The fields seed 004 keeps on a trajectory, added to an episode record where it is stored. */
export interface WindowFields {
  window_id: string | null;
  /** Seed 004 keeps both; they are the same value. */
  scenario_id: string | null;
  agent: string;
  net_pnl_pct: number | null;
}

/**
 * An episode record with its window (`windowId` when the caller knows it; else its start time
 * floored to `windowHours`), agent and net P&L (from its portfolio's return). A record
 * without a start time (seed 000's trade-approval records, field for field as its schema) is
 * returned as it is: it has no window to be filed under.
 */
export function withWindow<T extends Record<string, unknown>>(record: T, agent: string, windowHours = 1, windowId?: string | null): T | (T & WindowFields) {
  if (typeof record.start_time !== 'string') return record;
  const id = windowId !== undefined ? windowId : windowIdOf(record.start_time, windowHours);
  if (id === null) return record;
  const portfolio = record.portfolio as { return_pct?: unknown } | undefined;
  const pnl = typeof portfolio?.return_pct === 'number' ? portfolio.return_pct : typeof record.return_pct === 'number' ? record.return_pct : null;
  return { ...record, window_id: id, scenario_id: id, agent, net_pnl_pct: pnl };
}

export interface WindowSummary {
  window_id: string;
  agents: string[];
  trajectories: number;
  mean_net_pnl_pct: number | null;
  best_agent: string | null;
  best_net_pnl_pct: number | null;
}

export interface WindowsReport {
  windows: WindowSummary[];
  /** Windows with trajectories of at least minAgents agents. */
  usable: number;
  ready: boolean;
  verdict: string;
}

/** Windows of these episodes (window_id, agent, net P&L each), ready when at least `minWindows` hold `minAgents` agents. */
export function windowsReport(episodes: readonly Partial<WindowFields>[], minAgents: number, minWindows = 1): WindowsReport {
  const byWindow = new Map<string, { agents: Map<string, number[]>; trajectories: number }>();
  let unfiled = 0;
  for (const e of episodes) {
    if (!e.window_id) { unfiled++; continue; }
    const w = byWindow.get(e.window_id) ?? { agents: new Map(), trajectories: 0 };
    byWindow.set(e.window_id, w);
    w.trajectories++;
    const list = w.agents.get(e.agent ?? '?') ?? [];
    w.agents.set(e.agent ?? '?', list);
    if (typeof e.net_pnl_pct === 'number' && Number.isFinite(e.net_pnl_pct)) list.push(e.net_pnl_pct);
  }
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
  const windows: WindowSummary[] = [...byWindow.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([id, w]) => {
    const perAgent = [...w.agents.entries()].map(([agent, pnl]) => ({ agent, pnl: mean(pnl) }));
    const best = perAgent.filter((a) => a.pnl !== null).sort((a, b) => b.pnl! - a.pnl!)[0] ?? null;
    return { window_id: id, agents: perAgent.map((a) => a.agent), trajectories: w.trajectories, mean_net_pnl_pct: mean([...w.agents.values()].flat()), best_agent: best?.agent ?? null, best_net_pnl_pct: best?.pnl ?? null };
  });
  const usable = windows.filter((w) => w.agents.length >= minAgents).length;
  const ready = usable >= minWindows;
  const most = windows.reduce((m, w) => Math.max(m, w.agents.length), 0);
  const verdict = ready
    ? `ready: ${usable} window${usable === 1 ? ' holds' : 's hold'} trajectories of at least ${minAgents} agents`
    : windows.length === 0
      ? `not ready: no episode has a window${unfiled ? ` (${unfiled} episodes have no start time)` : ''}`
      : `not ready: no window holds ${minAgents} agents (the most in one window is ${most}); run more agents (runs, seeds or GRPO group members) over the same hours`;
  return { windows, usable, ready, verdict };
}
