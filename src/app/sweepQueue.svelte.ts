// Sweeps and seed groups in this browser: their definitions (kept in localStorage), and the queue
// that trains their runs one at a time through the tab's one training run. How far a sweep has
// got is never stored: it is read from the runs that carry its id, so after a reload the queue
// goes on with the first planned run that has no completed run (continuing that run where it can
// be resumed).
import { findAlgorithm } from '../algos/registry';
import type { TrainRequest } from '../algos/spec';
import { DEFAULT_ENV_ID, findEnv } from '../core/env/registry';
import type { StoredRun } from '../core/run/contracts';
import { oneRunPerSlot, validationCurve, validationFigures, type SweepRunRow } from '../core/sweep/leaderboard';
import { expandSweep, pointKey, pointText, runSettings, sweepIdOf, type SweepDefinition, type SweepRunPlan } from '../core/sweep/grid';
import type { SettingValues } from '../core/settings';
import { liveRunIds } from '../store/locks';
import { listRuns, markInterrupted, runEvaluations } from '../store/runs';
import { labDb } from './labDb';
import { training } from './training.svelte';

const SWEEPS_KEY = 'rl-trading-lab:sweeps';
const ACTIVE_KEY = 'rl-trading-lab:sweep-active';

/** A sweep as the lab keeps it: the document (its data a dataset id) and the backend its runs ask for. */
export interface LabSweep {
  def: SweepDefinition & { id: string };
  backend: TrainRequest['backend'];
  created_at: string;
  /** A group of seeds of one set of settings (the Train view's button), not a grid. */
  seedsOnly?: boolean;
}

const planKey = (point: Record<string, unknown>, seedIndex: number) => `${pointKey(point)}#${seedIndex}`;

function load(): LabSweep[] {
  try {
    const parsed = JSON.parse(globalThis.localStorage?.getItem(SWEEPS_KEY) ?? '[]');
    return Array.isArray(parsed) ? parsed : [];
  } catch {
    return [];
  }
}

/** The runs of one sweep among stored runs. */
export const runsOfSweep = (runs: readonly StoredRun[], id: string) => runs.filter((r) => r.sweep?.id === id && !r.deleted_at);

/** The train request of one planned run. */
export function requestOfPlan(sweep: LabSweep, run: SweepRunPlan, size: number): TrainRequest {
  const { def } = sweep;
  const algorithm = findAlgorithm(def.algo);
  if (!algorithm) throw new Error(`${def.name}: "${def.algo}" is not an algorithm the lab trains`);
  const env = algorithm.trainsOn.environments ? findEnv(def.env ?? DEFAULT_ENV_ID) : undefined;
  if (algorithm.trainsOn.environments && !env) throw new Error(`${def.name}: "${def.env}" is not an environment the lab has`);
  const settings = runSettings(def, run, { hyperparameters: algorithm.hyperparameters, env: env?.settings ?? [] }, def.name);
  return {
    algorithm: algorithm.id, datasetId: def.data, env: algorithm.trainsOn.environments ? env?.id : undefined, preset: def.preset ?? null,
    hyperparameters: settings.hyperparameters, envSettings: algorithm.trainsOn.environments ? settings.envSettings : undefined, backend: sweep.backend,
    name: sweep.seedsOnly ? `${def.name} · seed ${run.seed}` : `${def.name} · ${pointText(run.point)} · seed ${run.seed}`,
    sweep: { id: def.id, name: def.name, point: run.point, seed_index: run.seed_index, size },
  };
}

class SweepQueue {
  sweeps = $state<LabSweep[]>(load());
  /** The sweep the queue trains (kept across reloads), or null. */
  activeId = $state<string | null>(globalThis.localStorage?.getItem(ACTIVE_KEY) ?? null);
  /** What trains now ("learning_rate 0.001, seed 2 (3 of 4)"), or why the queue stopped. */
  detail = $state('');
  error = $state<string | null>(null);
  /** Bumped when a run of a sweep ends, so views read the runs again. */
  version = $state(0);
  private pumping = false;

  private save() {
    localStorage.setItem(SWEEPS_KEY, JSON.stringify(this.sweeps));
    if (this.activeId) localStorage.setItem(ACTIVE_KEY, this.activeId);
    else localStorage.removeItem(ACTIVE_KEY);
  }

  find = (id: string) => this.sweeps.find((s) => s.def.id === id) ?? null;

  /** Adds a sweep (its settings checked first: throws naming the bad one) and trains it. */
  add(def: SweepDefinition, backend: TrainRequest['backend'], seedsOnly = false): LabSweep {
    const withId = { ...def, id: def.id ?? `${sweepIdOf(def)}_${Date.now().toString(36)}` };
    const sweep: LabSweep = { def: withId, backend, created_at: new Date().toISOString(), ...(seedsOnly ? { seedsOnly } : {}) };
    const plan = expandSweep(withId);
    for (const run of plan) requestOfPlan(sweep, run, plan.length);
    this.sweeps = [sweep, ...this.sweeps.filter((s) => s.def.id !== withId.id)];
    this.start(withId.id);
    return sweep;
  }

  /** N seeds of the Train form's settings, from its seed on. */
  addSeeds(request: TrainRequest, n: number): LabSweep {
    const first = Number(request.hyperparameters.seed ?? 1) || 1;
    const seeds = Array.from({ length: n }, (_, i) => first + i).map((s) => (s === 0 ? n + first : s));
    const settings: SettingValues = { ...(request.envSettings ?? {}), ...request.hyperparameters };
    delete settings.seed;
    const algorithm = findAlgorithm(request.algorithm)!;
    const def: SweepDefinition = { name: `${algorithm.title} × ${n} seeds`, data: request.datasetId, algo: request.algorithm, ...(request.env ? { env: request.env } : {}), preset: request.preset ?? null, settings, grid: {}, seeds };
    return this.add(def, request.backend, true);
  }

  /** Trains the sweep's runs that are not completed yet, one after another. */
  start(id: string) {
    this.activeId = id;
    this.error = null;
    this.save();
    void this.pump();
  }

  /** The queue stops after the run that trains now (which is not stopped). */
  stop() {
    this.activeId = null;
    this.detail = 'Stopped: the sweep goes on from its next run when continued.';
    this.save();
  }

  remove(id: string) {
    if (this.activeId === id) this.stop();
    this.sweeps = this.sweeps.filter((s) => s.def.id !== id);
    this.save();
  }

  /** After a reload: the queue goes on where its runs say it got to. */
  resumeAfterReload() {
    if (this.activeId) void this.pump();
  }

  private async pump() {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.activeId) {
        // a plain copy: the request crosses to the worker, which cannot take reactive proxies
        const sweep = $state.snapshot(this.find(this.activeId));
        if (!sweep) { this.activeId = null; break; }
        if (training.active) { await until(() => !training.active); continue; }
        const db = await labDb();
        const alive = await liveRunIds();
        await markInterrupted(db, (runId) => alive.has(runId));
        const runs = runsOfSweep(await listRuns(db), sweep.def.id);
        // a run the page before a reload was training holds its lock a moment longer (or another tab trains it): wait for it
        if (runs.some((r) => r.status === 'running')) {
          this.detail = 'waiting for the run that was training to let go…';
          await sleep(1000);
          continue;
        }
        const plan = expandSweep(sweep.def);
        const done = new Set(runs.filter((r) => r.status === 'completed').map((r) => planKey(r.sweep!.point, r.sweep!.seed_index)));
        const next = plan.find((p) => !done.has(planKey(p.point, p.seed_index)));
        if (!next) { this.detail = `Done: ${plan.length} of ${plan.length} runs completed.`; this.activeId = null; break; }
        // a run of this point cut short by a reload continues where it can, else a new run trains it
        const cut = runs.find((r) => r.status !== 'completed' && planKey(r.sweep!.point, r.sweep!.seed_index) === planKey(next.point, next.seed_index) && findAlgorithm(r.algorithm)?.resumable(r));
        this.detail = `${sweep.seedsOnly ? `seed ${next.seed}` : `${pointText(next.point)}, seed ${next.seed}`} (${done.size + 1} of ${plan.length})`;
        // (a run that saved no checkpoint yet cannot continue: a new run trains its settings instead)
        const runId = (cut ? await training.start({ resumeRunId: cut.run_id }) : null) ?? await training.start(requestOfPlan(sweep, next, plan.length));
        if (!runId) { this.error = training.error ?? 'The run did not start.'; this.activeId = null; break; }
        await until(() => !training.active);
        this.version++;
        if (training.status !== 'completed') {
          this.error = `The run ${runId} ended ${training.status}${training.error ? `: ${training.error}` : ''}; the sweep is paused (Continue goes on from it).`;
          this.activeId = null;
        }
      }
    } catch (e) {
      this.error = (e as Error).message;
      this.activeId = null;
    } finally {
      this.pumping = false;
      this.save();
      this.version++;
    }
  }
}

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

/** Resolves once the condition holds (checked twice a second). */
function until(condition: () => boolean): Promise<void> {
  return new Promise((ok) => {
    const check = () => (condition() ? ok() : setTimeout(check, 500));
    check();
  });
}

export const sweepQueue = new SweepQueue();

/** The runs of a sweep with their validation figures and curves, for its leaderboard. */
export async function sweepBoard(id: string): Promise<{ rows: SweepRunRow[]; superseded: SweepRunRow[]; curves: Map<string, { step: number; net_pnl: number }[]> }> {
  const db = await labDb();
  const runs = runsOfSweep(await listRuns(db), id);
  const rows: SweepRunRow[] = [];
  const curves = new Map<string, { step: number; net_pnl: number }[]>();
  for (const run of runs) {
    const evaluations = await runEvaluations(db, run.run_id);
    rows.push({ runId: run.run_id, name: run.name, status: run.status, sweep: run.sweep!, figures: validationFigures(evaluations) });
    curves.set(run.run_id, validationCurve(evaluations));
  }
  return { ...oneRunPerSlot(rows), curves };
}

/** Sweeps that exist only as imported runs (trained on the command line): their memberships, one per sweep id. */
export async function importedSweeps(known: ReadonlySet<string>): Promise<{ id: string; name: string; size: number; runs: number }[]> {
  const out = new Map<string, { id: string; name: string; size: number; runs: number }>();
  for (const run of await listRuns(await labDb())) {
    if (!run.sweep || run.deleted_at || known.has(run.sweep.id)) continue;
    const s = out.get(run.sweep.id) ?? { id: run.sweep.id, name: run.sweep.name, size: run.sweep.size, runs: 0 };
    s.runs++;
    out.set(run.sweep.id, s);
  }
  return [...out.values()];
}
