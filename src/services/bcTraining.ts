// Behavior cloning in the training worker, stored as a run like PPO's: the offline data (a stored
// offline dataset, or one the teacher ensemble labels from stored candles), one PolicyNet per seed,
// the ensemble's majority vote, the classifier report, and a backtest on the held-out segment
// beside the teacher. Every epoch and checkpoint is written to IndexedDB as it happens, under a
// Web Lock, so a closed tab leaves an interrupted run that continues from its checkpoints.
import { BROWSER_BACKENDS } from '../algos/backends-browser';
import { selectBackend, type BackendTrial } from '../algos/backend';
import { BcDivergedError, trainEnsemble, type BcCheckpoint, type BcEpochMetrics, type BcHyperparameters } from '../algos/bc';
import { bcFinalMetrics, summarizeEnsemble } from '../algos/bcSummary';
import { marketFeaturesCached } from '../core/features/market';
import { DEFAULT_BC, validateBc, validateBcSeeds } from '../core/offline/bcConfig';
import type { BackendChoice } from '../core/run/config';
import { makeRunId, pythonIsoTime, type BcEvaluation, type BcRunConfig, type RunStatus } from '../core/run/record';
import { bcCheckpointRecord, bcEpochRecord, epochIndex, latestBcCheckpoints } from '../core/run/bcRecords';
import { offlineSamples, teacherSamples, type BcSamples } from '../core/offline/bcSamples';
import { openLabDb, type LabDb } from '../store/db';
import { getDatasetMeta, loadCandleColumns, loadColumn } from '../store/datasets';
import { appendRunRecords, deleteEpochsBetween, getRun, runCheckpoints, runEpochs, runIdTaken } from '../store/runs';
import { runLockName } from '../store/locks';
import { claimWorker, releaseWorker, TrainingSession } from './session';

export interface BcRequest {
  datasetId: string;
  hp: Partial<BcHyperparameters>;
  seeds: number[];
  backend: BackendChoice;
  backendTrials?: BackendTrial[];
  name?: string;
}

export interface BcResult {
  /** The run, with what a PPO run needs to start from this run's PolicyNet. */
  run: Pick<BcRunConfig, 'run_id' | 'name' | 'seeds' | 'hidden_dim' | 'num_layers'>;
  backend: string;
  evaluation: BcEvaluation;
}

export interface BcProgress {
  runId?: string;
  status: 'starting' | 'training' | 'paused' | 'completed' | 'stopped' | 'failed';
  message?: string;
  member?: { seed: number; index: number; of: number };
  epoch?: BcEpochMetrics;
  result?: BcResult;
  /** What was measured (or reused) to choose the backend, once chosen. */
  backendTrials?: BackendTrial[];
  /** A continued run's epochs from before, members one after another, so live curves start where it was. */
  earlierEpochs?: BcEpochMetrics[];
}

let dbPromise: Promise<LabDb> | null = null;
const db = () => (dbPromise ??= openLabDb());

let current: TrainingSession | null = null;

export function stopBc(): void {
  current?.stop();
}

export function pauseBc(): void {
  current?.pause();
}

export function resumeBc(): void {
  current?.resume();
}

export function bcTrainingStatus(): { runId: string | null; paused: boolean } {
  return { runId: current?.runId ?? null, paused: current?.paused ?? false };
}

/** The samples to learn from (and, from candles, a backtest on the held-out segment). */
async function samplesOf(database: LabDb, datasetId: string): Promise<BcSamples> {
  const meta = await getDatasetMeta(database, datasetId);
  if (!meta || meta.deletedAt) throw new Error('That dataset no longer exists.');
  if (meta.kind === 'offline') {
    const [states, actions, strengths] = await Promise.all(['states', 'actions', 'strengths'].map((name) => loadColumn(database, meta, name)));
    if (states?.type !== 'matrix' || actions?.type !== 'number' || strengths?.type !== 'number') throw new Error(`"${meta.name}" is not a states / actions / strengths dataset.`);
    return offlineSamples(states.values, states.width, actions.values, strengths.values);
  }
  if (meta.kind === 'candles') {
    const candles = await loadCandleColumns(database, meta);
    return teacherSamples(candles, marketFeaturesCached(`${meta.id}:${meta.source.sha256}`, candles));
  }
  throw new Error(`"${meta.name}" holds ${meta.kind} data; behavior cloning needs candles or an offline dataset.`);
}

/**
 * Trains a new behavior-cloning run, or continues `resumeRunId` (interrupted or stopped) from its
 * checkpoints: members that finished are restored as they were, the member that was training
 * continues from its latest checkpoint, the rest train from scratch. Resolves when training ends
 * (with null when it was stopped before a first epoch).
 */
export async function trainBc(req: BcRequest | { resumeRunId: string }, onProgress: (p: BcProgress) => void): Promise<BcResult | null> {
  const session = new TrainingSession('resumeRunId' in req ? req.resumeRunId : '');
  await claimWorker(session, 'Behavior cloning', 'resumeRunId' in req);
  current = session;
  let config: BcRunConfig | null = null;
  try {
    const database = await db();
    let resumes = new Map<number, BcCheckpoint>();
    if ('resumeRunId' in req) {
      const found = await getRun(database, req.resumeRunId);
      if (!found) throw new Error(`Run ${req.resumeRunId} no longer exists.`);
      if (found.algorithm !== 'BC') throw new Error(`Run ${req.resumeRunId} is a PPO run; resume it from the run list.`);
      config = { ...found, status: 'running', completed_at: null, error: null, evaluation: null };
      resumes = latestBcCheckpoints(found, await runCheckpoints(database, found.run_id));
    } else {
      const seeds = req.seeds.length ? req.seeds : [1];
      const hp: BcHyperparameters = { ...DEFAULT_BC, ...req.hp, seed: seeds[0] };
      const problems = [...validateBc(hp), ...validateBcSeeds(seeds)];
      if (problems.length) throw new Error(`Check the settings: ${problems.join('; ')}.`);
      const meta = await getDatasetMeta(database, req.datasetId);
      const now = new Date();
      const base = makeRunId(now);
      let runId = base;
      for (let k = 2; await runIdTaken(database, runId); k++) runId = `${base}_${k}`;
      config = {
        run_id: runId,
        created_at: pythonIsoTime(now),
        completed_at: null,
        status: 'running',
        algorithm: 'BC',
        ...hp,
        data_file: meta?.source.fileName ?? req.datasetId,
        final_metrics: { best_epoch: null, best_val_loss: null, val_acc: null, macro_f1: null, epochs_done: 0 },
        name: req.name?.trim() || runId, // as PPO runs: unique, and the list says it is behavior cloning
        tags: [],
        dataset_id: req.datasetId,
        dataset_name: meta?.name ?? '',
        seeds,
        source_kind: meta?.kind === 'offline' ? 'offline' : 'teacher',
        samples: 0,
        state_width: 0,
        backend: 'cpu',
        backend_requested: req.backend,
        backend_trials: [],
        error: null,
        progress_epochs: 0,
        updated_at: pythonIsoTime(now),
        evaluation: null,
      };
    }
    const run = config;
    session.runId = run.run_id;
    const report = (p: Omit<BcProgress, 'runId'>) => onProgress({ runId: run.run_id, ...p });
    report({ status: 'starting', message: 'Loading the data…' });
    const { data, source, backtest } = await samplesOf(database, run.dataset_id);
    run.samples = data.actions.length;
    run.state_width = data.width;
    report({ status: 'starting', message: 'Choosing the backend…' });
    const selection = await selectBackend(
      'resumeRunId' in req ? run.backend : req.backend,
      { obsSize: data.width, numActions: 3, hidden: Array<number>(run.num_layers).fill(run.hidden_dim), batch: run.batch_size },
      BROWSER_BACKENDS,
      'resumeRunId' in req ? [] : req.backendTrials,
    );
    run.backend = selection.backend;
    if (!('resumeRunId' in req)) run.backend_trials = selection.trials;
    report({ status: 'starting', message: `Training on ${selection.backend}…`, backendTrials: selection.trials });
    const save = async (batch: Parameters<typeof appendRunRecords>[1] = {}) => {
      run.updated_at = pythonIsoTime();
      await appendRunRecords(database, { ...batch, config: { ...run } });
    };
    await save();

    // Hold the run's lock while training: a run marked "running" whose lock is free was interrupted.
    const train = async (): Promise<BcResult | null> => {
      const ensemble = run.seeds.length > 1;
      let finished = 0; // epochs of the members done before the one training
      // a member not finished trains on from its checkpoint (or from scratch without one): its old
      // rows after that point would be written again, or linger if it stops sooner this time
      for (const seed of run.seeds) {
        const c = resumes.get(seed);
        if (c?.kind === 'final' && c.status !== 'stopped') continue;
        await deleteEpochsBetween(database, run.run_id, epochIndex(run, seed, c?.epoch ?? 0) + 1, epochIndex(run, seed, run.max_epochs));
      }
      if (resumes.size) report({ status: 'starting', earlierEpochs: await runEpochs(database, run.run_id) });
      let result: Awaited<ReturnType<typeof trainEnsemble>>;
      try {
        result = await trainEnsemble(run.seeds, {
          hp: run,
          data,
          resume: (seed) => resumes.get(seed),
          sink: (seed) => {
            const restored = resumes.get(seed);
            if (restored?.kind === 'final' && restored.status !== 'stopped') finished += restored.epoch; // done before: not trained again
            return {
              async epoch(m) {
                run.progress_epochs = finished + m.epoch;
                report({ status: 'training', member: { seed, index: run.seeds.indexOf(seed) + 1, of: run.seeds.length }, epoch: m });
                await save({ epochs: [bcEpochRecord(run, seed, m)] });
              },
              async checkpoint(c) {
                if (c.kind === 'final') finished += c.epoch;
                await save({ checkpoints: [bcCheckpointRecord(run, seed, c)] });
              },
            };
          },
          control: {
            stopRequested: () => session.stopRequested,
            waitIfPaused: async () => {
              if (!session.paused) return;
              await session.waitIfPaused(() => report({ status: 'paused', message: 'Paused' }));
              if (!session.stopRequested) report({ status: 'training', message: '' });
            },
          },
        });
      } catch (e) {
        throw e instanceof BcDivergedError ? e : new Error(`Training failed: ${(e as Error).message}`);
      }
      try {
        if (result.members.every((m) => m.epoch === 0)) {
          // stopped before a first epoch: nothing to evaluate, and the run can start over later
          await finish('stopped', null);
          report({ status: 'stopped', message: 'Stopped before the first epoch' });
          return null;
        }
        report({ status: 'training', message: 'Evaluating…' });
        const evaluation = await summarizeEnsemble(result, data, source, backtest);
        const stopped = result.reports.length < run.seeds.length || result.reports.some((r) => r.outcome === 'stopped');
        run.evaluation = evaluation;
        run.final_metrics = bcFinalMetrics(result, evaluation);
        run.progress_epochs = run.final_metrics.epochs_done;
        await finish(stopped ? 'stopped' : 'completed', null);
        const out: BcResult = { run: { run_id: run.run_id, name: run.name, seeds: run.seeds, hidden_dim: run.hidden_dim, num_layers: run.num_layers }, backend: selection.backend, evaluation };
        report({ status: stopped ? 'stopped' : 'completed', result: out });
        return out;
      } finally {
        for (const m of result.members) m.dispose();
      }
    };
    const finish = async (status: RunStatus, error: string | null) => {
      run.status = status;
      run.error = error;
      run.completed_at = pythonIsoTime();
      await save();
    };
    const guarded = async () => {
      try {
        return await train();
      } catch (e) {
        await finish('failed', (e as Error).message).catch(() => {});
        throw e;
      }
    };
    const locks = (globalThis.navigator as Navigator | undefined)?.locks;
    return await (locks ? locks.request(runLockName(run.run_id), guarded) : guarded());
  } catch (e) {
    onProgress({ runId: config?.run_id, status: 'failed', message: (e as Error).message });
    throw e;
  } finally {
    current = null;
    releaseWorker(session);
  }
}
