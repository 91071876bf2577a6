// The one training service, for every algorithm, in the training worker and on the command line:
// it owns the run id, the config of a new run (made by its algorithm), a continued run's records,
// the Web Lock a training run holds, the batched writes and the progress reports; the algorithm's
// runtime does the training. Where the records go (IndexedDB, a run folder) is a RunRepository.
import { selectBackend } from '../algos/backend';
import { algorithmSpec } from '../algos/registry';
import type { AlgorithmSpec, MlpPolicy, Progress, RunSink, TrainContext, TrainRequest } from '../algos/spec';
import { checkControl } from '../algos/onPolicy/controls';
import { datasetAtRows, type DatasetSource } from '../core/env/spec';
import type { BackendName, BackendTrial, ControlChange, ControlName, RunHeader, RunStatus, RunWarning, StoredRun, UpdateRecord, EvaluationRecord } from '../core/run/contracts';
import { replayWarnings, WarningLog } from '../core/run/warnings';
import { pythonIsoTime, runIdBase } from '../core/run/record';
import { runLockName } from '../store/locks';
import { claimWorker, releaseWorker, TrainingSession } from './session';
import { RunRecorder, type RunRepository } from './runRecorder';

export type { RunRepository };

export interface TrainingProgress {
  runId: string;
  algorithm: string;
  status: RunStatus | 'starting' | 'paused';
  /** The TensorFlow.js backend training runs on, once chosen, and what was measured to choose it. */
  backend?: string;
  backendTrials?: BackendTrial[];
  /** Under which name this machine keeps those measurements (the same network shape reuses them). */
  backendKey?: string;
  unit: 'steps' | 'epochs';
  done: number;
  total: number;
  rate: number;
  secondsLeft: number | null;
  /** What trains now ("seed 2 (2 of 3)"). */
  detail?: string;
  message?: string;
  updates?: UpdateRecord[];
  evaluations?: EvaluationRecord[];
  episodes?: { episode: number; reward: number; timestep: number }[];
  /** A continued run's earlier updates, so live charts start where it was. */
  replay?: UpdateRecord[];
  /** Every health warning the run has kept so far, each with the update where it first fired. */
  warnings?: RunWarning[];
  /** Live control: the settings that may change now, their values, the changes made and those waiting for the next update. */
  controls?: LiveControls;
}

export interface LiveControls {
  values: Partial<Record<ControlName, number>>;
  changes: ControlChange[];
  pending: Partial<Record<ControlName, number>>;
}

export type ProgressCallback = (p: TrainingProgress) => void;

export interface StartOptions {
  /** This machine's earlier backend measurements, by network shape, to skip measuring again. */
  backendTrials?: Record<string, BackendTrial[]>;
}

export type ResumeRequest = { resumeRunId: string };

const PLAIN_ERRORS = new Set(['NonFiniteLossError', 'BcDivergedError']);

/** The run training now, as live control sees it. */
interface LiveRun {
  session: TrainingSession;
  title: string;
  /** Values once training has started (null before, and for an algorithm without live control). */
  values: Partial<Record<ControlName, number>> | null;
  pending: Map<ControlName, number>;
  /** "Step one update": pause again at the next between-updates point. */
  pauseAtNext: boolean;
  report(): void;
}

export class TrainingService {
  private current: TrainingSession | null = null;
  private live: LiveRun | null = null;

  constructor(private readonly deps: { repository: RunRepository; backends: BackendName[]; flushMs?: number }) {}

  /**
   * Starts a new run, or continues a stored one from its checkpoints. Resolves once training has
   * begun (the run is stored), with `done` settling when it ends; rejects when it cannot begin
   * (bad settings, a dataset too short), storing nothing.
   */
  async start(req: TrainRequest | ResumeRequest, onProgress: ProgressCallback, opts: StartOptions = {}): Promise<{ runId: string; done: Promise<RunStatus> }> {
    const resuming = 'resumeRunId' in req;
    const session = new TrainingSession(resuming ? req.resumeRunId : '');
    await claimWorker(session, 'A run', resuming);
    this.current = session;
    try {
      return await this.begin(session, req, onProgress, opts);
    } catch (e) {
      // nothing trains: the worker is free again
      this.current = null;
      releaseWorker(session);
      throw e;
    }
  }

  private async begin(session: TrainingSession, req: TrainRequest | ResumeRequest, onProgress: ProgressCallback, opts: StartOptions) {
    const repo = this.deps.repository;
    const resuming = 'resumeRunId' in req;
    let config: StoredRun;
    let spec: AlgorithmSpec;
    let start: MlpPolicy | null = null;
    if (resuming) {
      const found = await repo.getRun(req.resumeRunId);
      if (!found) throw new Error(`Run ${req.resumeRunId} no longer exists.`);
      spec = algorithmSpec(found.algorithm);
      config = { ...found, status: 'running', completed_at: null, error: null };
    } else {
      spec = algorithmSpec(req.algorithm);
      if (req.initFromRun) start = req.startingPolicy ?? await this.startingPolicy(spec, req.initFromRun);
      const now = new Date();
      const base = runIdBase(now);
      let runId = base;
      for (let k = 2; await repo.runIdTaken(runId); k++) runId = `${base}_${k}`;
      const source = await repo.dataset(req.datasetId);
      const header: RunHeader = {
        run_id: runId, created_at: pythonIsoTime(now), completed_at: null, status: 'running', algorithm: spec.id,
        data_file: source?.meta.source.fileName ?? req.datasetId, final_metrics: {}, name: req.name?.trim() || runId, tags: [],
        dataset_id: req.datasetId, dataset_name: source?.meta.name ?? '', backend: 'cpu', backend_requested: req.backend, backend_trials: [],
        error: null, updated_at: pythonIsoTime(now),
        // the rows the run reads, however the dataset grows later
        ...(source ? { dataset_revision: source.meta.revision ?? 1, dataset_rows: source.meta.rows } : {}),
        ...(source?.meta.synthetic ? { dataset_synthetic: true } : {}),
      };
      config = spec.newConfig(header, req, { start, datasetKind: source?.meta.kind ?? null }) as StoredRun;
      if (req.sweep) config.sweep = { ...req.sweep };
    }
    const runId = (session.runId = config.run_id);
    const recorder = new RunRecorder(config, repo, this.deps.flushMs);
    const live: LiveRun = { session, title: spec.title, values: null, pending: new Map(), pauseAtNext: false, report: () => report(session.paused ? 'paused' : 'running') };
    this.live = live;
    // health warnings that stay: each kind kept once in the run, at the update where it first fired
    const seen: { updates: UpdateRecord[]; evaluations: EvaluationRecord[] } = { updates: [], evaluations: [] };
    const startedFromPolicy = start !== null || typeof config.init_from === 'string';
    let warningLog: WarningLog | null = null;
    if (spec.health) {
      // a run stored before warnings were kept gets those its stored updates would have raised
      const earlier = config.warnings ?? (resuming ? replayWarnings(spec.health, await repo.updates(config.run_id), await repo.evaluations(config.run_id), startedFromPolicy) : []);
      config.warnings = earlier.map((w) => ({ ...w }));
      warningLog = new WarningLog(config.warnings);
      if (resuming) seen.evaluations.push(...(await repo.evaluations(config.run_id)));
    }
    const checkHealth = () => {
      const u = seen.updates.at(-1);
      if (warningLog && u) warningLog.note(u.update, spec.health!({ updates: seen.updates, evaluations: seen.evaluations, startedFromPolicy }));
    };
    const sink: RunSink = {
      episodes: (details) => recorder.episodes(details),
      update: async (u) => {
        seen.updates.push(u);
        checkHealth();
        await recorder.update(u);
      },
      evaluation: (e) => {
        seen.evaluations.push(e);
        checkHealth();
        recorder.evaluation(e);
      },
      checkpoint: (name, c, timestamp) => recorder.checkpoint(name, c, timestamp),
      save: () => recorder.save(),
    };
    let last: Progress = { done: spec.progressDone(config), total: spec.progressTotal?.(config) ?? spec.plannedTotal(config), rate: 0, secondsLeft: null };
    let backendKey: string | undefined;
    let replay: UpdateRecord[] | undefined;
    const report = (status: TrainingProgress['status'], message?: string) => {
      onProgress({
        runId, algorithm: spec.id, status, backend: recorder.backendChosen ? config.backend : undefined, backendTrials: config.backend_trials, backendKey,
        unit: spec.unit, ...last, message, replay, ...recorder.takeLive(),
        ...(config.warnings ? { warnings: config.warnings.map((w) => ({ ...w })) } : {}),
        ...(live.values ? { controls: { values: currentValues(live.values, config.controls ?? []), changes: [...(config.controls ?? [])], pending: Object.fromEntries(live.pending) } } : {}),
      });
      replay = undefined;
    };
    report('starting', resuming ? 'Reading the run…' : 'Starting…');

    const ctx: TrainContext = {
      config,
      previous: resuming ? {
        checkpoints: await repo.checkpoints(runId),
        episodes: () => repo.episodes(runId),
        evaluations: () => repo.evaluations(runId),
        updates: () => repo.updates(runId),
        dropUpdates: (from, to) => repo.deleteUpdates(runId, from, to),
      } : null,
      startingPolicy: start,
      dataset: async (id): Promise<DatasetSource> => {
        const source = await repo.dataset(id);
        if (!source) throw new Error('That dataset no longer exists.');
        const rows = id === config.dataset_id ? config.dataset_rows : undefined;
        return typeof rows === 'number' ? datasetAtRows(source, rows) : source;
      },
      selectBackend: async (probe) => {
        backendKey = `${spec.id}:${probe.obsSize}x${probe.numActions}:${probe.hidden.join('x')}:${probe.batch}`;
        const choice = resuming ? config.backend : (req as TrainRequest).backend;
        const selection = await selectBackend(choice, probe, this.deps.backends, resuming ? [] : opts.backendTrials?.[backendKey] ?? []);
        config.backend = selection.backend;
        if (!resuming) config.backend_trials = selection.trials;
        recorder.backendChosen = true;
        report('starting', `Training on ${selection.backend}…`);
        return selection.backend;
      },
      sink,
      control: {
        stopRequested: () => session.stopRequested,
        takeControls: () => {
          const out = [...live.pending.entries()];
          live.pending.clear();
          return out;
        },
        controlsReady: (values) => {
          live.values = values;
          report(session.paused ? 'paused' : 'running');
        },
        waitIfPaused: async (onPause) => {
          // "step one update" let exactly one through: hold the next
          if (live.pauseAtNext) {
            live.pauseAtNext = false;
            session.pause();
          }
          if (!session.paused) return;
          await session.waitIfPaused(async () => {
            await onPause?.();
            await recorder.flush();
            report('paused', 'Paused');
          });
          if (!session.stopRequested) report('running');
        },
      },
      progress: (p) => {
        last = p;
        report('running');
      },
      status: (message) => report('starting', message),
      replay: (updates) => {
        seen.updates.push(...updates);
        replay = [...updates];
        report('starting');
      },
    };

    const runtime = await spec.runtime();
    let begun: () => void = () => {};
    let failedToBegin: (e: unknown) => void = () => {};
    const started = new Promise<void>((ok, fail) => { begun = ok; failedToBegin = fail; });
    recorder.onFirstWrite = () => begun();

    const train = async (): Promise<RunStatus> => {
      let status: RunStatus = 'completed';
      let error: string | null = null;
      try {
        status = (await runtime.train(ctx)) === 'stopped' ? 'stopped' : 'completed';
      } catch (e) {
        if (!recorder.written) {
          // it never began: nothing is stored, and start() says why
          failedToBegin(e);
          return 'failed';
        }
        status = 'failed';
        const err = e as Error;
        error = PLAIN_ERRORS.has(err.name) || /^Training failed/.test(err.message) ? err.message : `Training failed: ${err.message}`;
      } finally {
        if (this.current === session) this.current = null;
        if (this.live === live) this.live = null;
        releaseWorker(session);
      }
      await recorder.flush(status, error);
      last = { ...last, secondsLeft: 0 };
      report(status, error ?? (status === 'completed' ? 'Training complete' : 'Stopped; the run can be resumed from its last checkpoint'));
      return status;
    };
    // Hold a lock while training: a run marked "running" whose lock is free was interrupted.
    const locks = (globalThis.navigator as Navigator | undefined)?.locks;
    // (request resolves with what the callback resolves with; the DOM typings wrap it once more)
    const done = locks ? (locks.request(runLockName(runId), () => train()) as unknown as Promise<RunStatus>) : train();
    session.done = done;
    await Promise.race([started, done]);
    return { runId, done };
  }

  /** Another run's policy to start from, as the algorithm that trained it gives it. */
  private async startingPolicy(target: AlgorithmSpec, runId: string): Promise<MlpPolicy> {
    if (!target.fineTunes) throw new Error(`${target.title} cannot start from another run's policy.`);
    const repo = this.deps.repository;
    const source = await repo.getRun(runId);
    if (!source) throw new Error(`Run ${runId} is not in this browser; fine-tuning starts from one.`);
    const policy = algorithmSpec(source.algorithm).startingPolicy?.(source, await repo.checkpoints(runId)) ?? null;
    if (!policy) throw new Error(`Run ${source.name} has no policy to start from yet.`);
    return policy;
  }

  pause(): void {
    this.current?.pause();
  }

  /** While paused: runs exactly one update (one epoch), then pauses again. */
  step(): void {
    const live = this.live;
    if (!live || !live.session.paused) throw new Error('Step one update works while a run is paused.');
    live.pauseAtNext = true;
    live.session.resume();
  }

  /**
   * Changes a setting of the run training now, from its next update on (live control); the run
   * records the change with the update it took effect. Throws for a setting this run cannot change.
   */
  setControl(name: ControlName, value: number): void {
    const live = this.live;
    if (!live) throw new Error('No run is training in this tab.');
    if (!live.values) throw new Error(`This ${live.title} run takes no changes now: it has not begun training, or its algorithm has no settings to change while it trains.`);
    checkControl(live.title, Object.keys(live.values) as ControlName[], name, value);
    live.pending.set(name, value);
    live.report();
  }

  resume(): void {
    this.current?.resume();
  }

  async stop(): Promise<void> {
    const session = this.current;
    if (!session) return;
    session.stop();
    await session.done;
  }

  status(): { runId: string | null; paused: boolean } {
    return { runId: this.current?.runId ?? null, paused: this.current?.paused ?? false };
  }

  /** Whether a run trains here now (export and inference then share its backend). */
  get busy(): boolean {
    return this.current !== null;
  }
}

/** The live-controlled values now: those training started with, then each recorded change in order. */
export function currentValues(start: Partial<Record<ControlName, number>>, changes: readonly ControlChange[]): Partial<Record<ControlName, number>> {
  const out = { ...start };
  for (const c of [...changes].sort((a, b) => a.update - b.update)) if (c.name in out) out[c.name] = c.to;
  return out;
}
