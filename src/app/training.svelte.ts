// The run training in this tab, as the page sees it, whatever its algorithm: status, progress,
// and the records the live charts draw. One reactive object for the Train and Runs views (module
// state, so it survives switching sections), wrapping the training worker.
import { findAlgorithm } from '../algos/registry';
import type { TrainRequest } from '../algos/spec';
import type { BackendTrial, ControlName, EvaluationRecord, RunWarning, UpdateRecord } from '../core/run/contracts';
import type { LiveControls, ResumeRequest, TrainingProgress } from '../services/training';
import { onWorkerCrash, pauseRun, resumeRun, setRunControl, startRun, stepRun, stopRun } from './trainWorker';

// versioned: figures measured before the learners' WebAssembly kernel ranked WASM at its old speed
const TRIALS_PREFIX = 'rl-trading-lab:backend-trials-2:';
const STALE_TRIALS_PREFIX = 'rl-trading-lab:backend-trials:';

/** This machine's backend measurements, by network shape (kept so only the first run of a shape measures). */
function rememberedTrials(): Record<string, BackendTrial[]> {
  const out: Record<string, BackendTrial[]> = {};
  const stale: string[] = [];
  for (let i = 0; i < localStorage.length; i++) {
    const key = localStorage.key(i);
    if (key?.startsWith(STALE_TRIALS_PREFIX)) stale.push(key);
    if (!key?.startsWith(TRIALS_PREFIX)) continue;
    try { out[key.slice(TRIALS_PREFIX.length)] = JSON.parse(localStorage.getItem(key) ?? '[]'); } catch { /* a damaged entry is measured again */ }
  }
  for (const key of stale) localStorage.removeItem(key);
  return out;
}

class LiveTraining {
  runId = $state<string | null>(null);
  algorithm = $state<string | null>(null);
  status = $state<TrainingProgress['status'] | 'failed' | null>(null);
  progress = $state({ done: 0, total: 0, rate: 0, secondsLeft: null as number | null, unit: 'steps' as 'steps' | 'epochs' });
  detail = $state('');
  message = $state('');
  error = $state<string | null>(null);
  backend = $state('');
  /** Every health warning the run has kept, each with the update where it first fired. */
  warnings = $state<RunWarning[]>([]);
  /** Live control: the settings this run may change now, their values, the changes made (null when it has none). */
  controls = $state<LiveControls | null>(null);
  /** Updates trained in this session (a continued run's earlier ones not counted). */
  trained = $state(0);
  /** Bumped whenever the record arrays below change. */
  version = $state(0);
  /** The last run of each algorithm that ended in this tab: Train keeps showing its result. */
  lastRun = $state<Record<string, string>>({});

  readonly updates: UpdateRecord[] = [];
  readonly evaluations: EvaluationRecord[] = [];
  readonly episodes: { episode: number; reward: number; timestep: number }[] = [];

  constructor() {
    onWorkerCrash((m) => {
      if (!this.active) return;
      this.error = m;
      this.status = 'interrupted';
    });
  }

  get active(): boolean {
    return this.status === 'running' || this.status === 'starting' || this.status === 'paused';
  }

  private reset(algorithm: string | null, runId: string | null) {
    this.updates.length = 0;
    this.evaluations.length = 0;
    this.episodes.length = 0;
    Object.assign(this, { runId, algorithm, status: 'starting', progress: { done: 0, total: 0, rate: 0, secondsLeft: null, unit: 'steps' }, detail: '', message: '', error: null, backend: '', warnings: [], controls: null, trained: 0 });
    this.version++;
  }

  private onProgress(p: TrainingProgress) {
    this.runId = p.runId;
    this.algorithm = p.algorithm;
    this.status = p.status;
    // a finished run keeps showing the speed it had
    this.progress = { done: p.done, total: p.total, rate: p.rate || this.progress.rate, secondsLeft: p.secondsLeft, unit: p.unit };
    if (p.detail !== undefined) this.detail = p.detail;
    // a message describes the moment it came with: start-up steps, pause, the end
    this.message = p.message ?? '';
    if (p.backend) this.backend = p.backend;
    if (p.status === 'failed') this.error = p.message ?? 'Training failed.';
    if (p.replay) this.updates.splice(0, this.updates.length, ...p.replay);
    this.updates.push(...(p.updates ?? []));
    this.trained += p.updates?.length ?? 0;
    this.evaluations.push(...(p.evaluations ?? []));
    this.episodes.push(...(p.episodes ?? []));
    if (p.warnings) this.warnings = p.warnings;
    // an algorithm without a kept health check: its warnings of the latest updates
    else if (p.updates?.length || p.replay) this.warnings = (findAlgorithm(p.algorithm)?.warnings(this.updates) ?? []).map((text, i) => ({ update: this.updates.at(-1)?.update ?? 0, key: `now_${i}`, text }));
    if (p.controls) this.controls = p.controls;
    if (p.backendKey && p.backendTrials?.length && p.backendTrials.every((t) => !t.cached) && p.backendTrials.filter((t) => t.samplesPerSecond).length > 1) {
      localStorage.setItem(TRIALS_PREFIX + p.backendKey, JSON.stringify(p.backendTrials));
    }
    if (p.status === 'completed' || p.status === 'stopped' || p.status === 'failed') this.lastRun = { ...this.lastRun, [p.algorithm]: p.runId };
    this.version++;
  }

  /** Starts a new run, or continues a stored one; resolves with its id once it trains (null when it could not start: see `error`). */
  async start(request: TrainRequest | ResumeRequest): Promise<string | null> {
    if (this.active) return null; // keep the running run's state; its controls are disabled meanwhile
    this.reset('algorithm' in request ? request.algorithm : null, 'resumeRunId' in request ? request.resumeRunId : null);
    try {
      const { runId } = await startRun(request, (p) => this.onProgress(p), { backendTrials: rememberedTrials() });
      this.runId = runId;
      return runId;
    } catch (e) {
      this.status = null;
      this.error = (e as Error).message;
      return null;
    }
  }

  pause = () => pauseRun();
  resume = () => resumeRun();
  /** While paused: exactly one update, then paused again. */
  step = () => stepRun();
  /** Changes a setting from the next update on; rejects with the reason for a value the run cannot take. */
  setControl = (name: ControlName, value: number) => setRunControl(name, value);
  stop = () => stopRun();
}

export const training = new LiveTraining();
