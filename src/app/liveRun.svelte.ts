// The run training in this tab, as the page sees it: status, progress and the live chart data.
// Module state, so the Train and Runs views share it and it survives switching sections.
import { healthWarnings } from '../core/run/health';
import type { StartRequest, TrainingProgress } from '../services/training';
import { onWorkerCrash, pauseRun, resumeRun, startRun, stopRun } from './trainWorker';

export const live = $state({
  runId: null as string | null,
  status: null as TrainingProgress['status'] | null,
  progress: { step: 0, total: 0, fps: 0, secondsLeft: null as number | null },
  message: '',
  error: null as string | null,
  backend: '',
  warnings: [] as string[],
  /** Bumped whenever the chart arrays below change. */
  version: 0,
});

export const liveCharts = {
  episodes: { x: [] as number[], reward: [] as (number | null)[], mean: [] as (number | null)[] },
  evals: { x: [] as number[], mean: [] as (number | null)[], lo: [] as (number | null)[], hi: [] as (number | null)[] },
  health: { x: [] as number[], entropy: [] as (number | null)[], kl: [] as (number | null)[], clip: [] as (number | null)[], vloss: [] as (number | null)[], ev: [] as (number | null)[], fps: [] as (number | null)[] },
};

export function isActive(): boolean {
  return live.status === 'running' || live.status === 'starting' || live.status === 'paused';
}

function reset() {
  for (const group of Object.values(liveCharts)) for (const arr of Object.values(group)) (arr as unknown[]).length = 0;
  Object.assign(live, { runId: null, status: null, progress: { step: 0, total: 0, fps: 0, secondsLeft: null }, message: '', error: null, backend: '', warnings: [] });
  live.version++;
}

function onProgress(p: TrainingProgress) {
  live.runId = p.runId;
  live.status = p.status;
  // a finished run keeps showing the speed it had
  live.progress = { step: p.step, total: p.total, fps: p.fps || live.progress.fps, secondsLeft: p.secondsLeft };
  // a message describes the moment it came with: start-up steps, pause, the end
  live.message = p.message ?? '';
  if (p.backend) live.backend = p.backend;
  if (p.status === 'failed') live.error = p.message ?? 'Training failed.';
  const { episodes, evals, health } = liveCharts;
  for (const e of p.episodes ?? []) {
    episodes.x.push(e.timestep);
    episodes.reward.push(e.reward);
    const tail = episodes.reward.slice(-100) as number[];
    episodes.mean.push(tail.reduce((a, b) => a + b, 0) / tail.length);
  }
  for (const e of p.evaluations ?? []) {
    evals.x.push(e.step);
    evals.mean.push(e.mean_reward);
    evals.lo.push(e.mean_reward - e.std_reward);
    evals.hi.push(e.mean_reward + e.std_reward);
  }
  for (const u of p.updates ?? []) {
    health.x.push(u.step);
    health.entropy.push(-u['train/entropy_loss']);
    health.kl.push(u['train/approx_kl']);
    health.clip.push(u['train/clip_fraction']);
    health.vloss.push(u['train/value_loss']);
    health.ev.push(u['train/explained_variance']);
    health.fps.push(u['time/fps']);
  }
  if (p.updates?.length) live.warnings = healthWarnings(health.entropy as number[], health.kl as number[], health.vloss as number[]);
  live.version++;
}

onWorkerCrash((m) => {
  if (!isActive()) return; // the crash took a behavior-cloning run, not a PPO one
  live.error = m;
  live.status = 'interrupted';
});

/** Starts a new run (or continues one from its latest checkpoint); progress flows into `live`. */
export async function begin(request: StartRequest | { resumeRunId: string }, afterProgress?: (p: TrainingProgress) => void): Promise<string | null> {
  if (isActive()) return null; // keep the running run's state; its controls are disabled meanwhile
  reset();
  live.status = 'starting';
  try {
    const { runId } = await startRun(request, (p) => { onProgress(p); afterProgress?.(p); });
    live.runId = runId;
    return runId;
  } catch (e) {
    live.status = null;
    live.error = (e as Error).message;
    return null;
  }
}

export const pause = () => pauseRun();
export const resume = () => resumeRun();
export const stop = () => stopRun();
