// A training run inside the training worker: loads the dataset from IndexedDB, builds features
// and environments, picks the backend, trains PPO, and writes everything to IndexedDB in
// batches (about once a second) while reporting progress to the page.
import * as tf from '@tensorflow/tfjs';
import { BROWSER_BACKENDS } from '../algos/backends-browser';
import { selectBackend, type BackendTrial } from '../algos/backend';
import { NonFiniteLossError, PpoTrainer, type EvaluationRecord, type PpoCheckpoint, type RunSink, type UpdateMetrics } from '../algos/ppo';
import { marketFeaturesCached } from '../core/features/market';
import type { BackendChoice, EnvSettings, PpoHyperparameters, PresetName } from '../core/run/config';
import { finalMetrics, makeRunId, pythonIsoTime, type PpoRunConfig, type RunStatus } from '../core/run/record';
import { openLabDb, type LabDb, type StoredCheckpoint, type StoredEpisode, type StoredEvaluation, type StoredUpdate } from '../store/db';
import { getDatasetMeta, loadCandleColumns } from '../store/datasets';
import { appendRunRecords, getRun, latestCheckpoint, putRun, runCheckpoints, runEpisodes, runIdTaken } from '../store/runs';
import { buildEnvironments, resolveSettings } from './engine';
import { runLockName } from '../store/locks';
import { claimWorker, releaseWorker, TrainingSession } from './session';
import { ppoPolicyFromBc, type BcCheckpoint } from '../algos/bc';
import type { InitialPolicy } from '../algos/ppo';
import { bcCheckpointName } from '../core/run/bcRecords';

export interface StartRequest {
  datasetId: string;
  preset: PresetName | null;
  ppo: Partial<PpoHyperparameters>;
  env: Partial<EnvSettings>;
  backend: BackendChoice;
  name?: string;
  /** This machine's earlier backend measurements for the same network, to skip measuring again. */
  backendTrials?: BackendTrial[];
  /** Start the policy from this behavior-cloning run's PolicyNet (its first seed's), to fine-tune it. */
  initFromBc?: string;
}

export interface TrainingProgress {
  runId: string;
  status: RunStatus | 'starting' | 'paused';
  /** The TensorFlow.js backend training runs on, once chosen, and what was measured to choose it. */
  backend?: string;
  backendTrials?: BackendTrial[];
  step: number;
  total: number;
  fps: number;
  secondsLeft: number | null;
  message?: string;
  updates?: UpdateMetrics[];
  evaluations?: EvaluationRecord[];
  episodes?: { episode: number; reward: number; timestep: number }[];
}

export type ProgressCallback = (p: TrainingProgress) => void;

const FLUSH_MS = 1000;
let dbPromise: Promise<LabDb> | null = null;
const db = () => (dbPromise ??= openLabDb());

/** Buffers a run's records and writes them in one transaction at most once a second. */
class IdbRunSink implements RunSink {
  private episodesBuf: StoredEpisode[] = [];
  private evaluationsBuf: StoredEvaluation[] = [];
  private updatesBuf: StoredUpdate[] = [];
  private checkpointsBuf: StoredCheckpoint[] = [];
  private lastFlush = 0;
  rewards: number[] = [];
  bestEval: number | null = null;
  // what the page has not seen yet
  live: { updates: UpdateMetrics[]; evaluations: EvaluationRecord[]; episodes: { episode: number; reward: number; timestep: number }[] } = { updates: [], evaluations: [], episodes: [] };

  constructor(private readonly config: PpoRunConfig, private readonly onFlush: () => void) {}

  episodes(records: unknown[]) {
    for (const r of records as Record<string, unknown>[]) {
      const summary = { episode: r.episode as number, reward: r.reward as number, length: r.length as number, timestep: r.timestep as number, timestamp: r.timestamp as string };
      this.episodesBuf.push({ runId: this.config.run_id, episode: summary.episode, summary, detailJson: JSON.stringify(r) });
      this.rewards.push(summary.reward);
      this.live.episodes.push({ episode: summary.episode, reward: summary.reward, timestep: summary.timestep });
    }
  }
  async update(m: UpdateMetrics) {
    this.updatesBuf.push({ runId: this.config.run_id, ...m });
    this.live.updates.push(m);
    this.config.progress_timesteps = m.step;
    if (performance.now() - this.lastFlush > FLUSH_MS) await this.flush();
  }
  evaluation(e: EvaluationRecord) {
    this.evaluationsBuf.push({ runId: this.config.run_id, ...e });
    this.live.evaluations.push(e);
    if (this.bestEval === null || e.mean_reward > this.bestEval) this.bestEval = e.mean_reward;
  }
  async checkpoint(c: PpoCheckpoint) {
    const name = c.kind === 'periodic' ? `step_${c.step}` : c.kind;
    this.checkpointsBuf.push({ runId: this.config.run_id, name, step: c.step, kind: c.kind, timestamp: c.timestamp, checkpoint: c });
    await this.flush(); // a checkpoint is worth a write at once
  }
  async flush(status?: RunStatus, error?: string | null) {
    const config = this.config;
    config.updated_at = pythonIsoTime();
    config.final_metrics = finalMetrics(this.rewards, this.bestEval, config.progress_timesteps);
    if (status) {
      config.status = status;
      if (status !== 'running') config.completed_at = pythonIsoTime();
    }
    if (error !== undefined) config.error = error;
    const batch = { config: { ...config }, episodes: this.episodesBuf, evaluations: this.evaluationsBuf, updates: this.updatesBuf, checkpoints: this.checkpointsBuf };
    this.episodesBuf = [];
    this.evaluationsBuf = [];
    this.updatesBuf = [];
    this.checkpointsBuf = [];
    this.lastFlush = performance.now();
    await appendRunRecords(await db(), batch);
    this.onFlush();
  }
  takeLive() {
    const live = this.live;
    this.live = { updates: [], evaluations: [], episodes: [] };
    return live;
  }
}

let current: TrainingSession | null = null;

async function candlesOf(datasetId: string) {
  const database = await db();
  const meta = await getDatasetMeta(database, datasetId);
  if (!meta || meta.deletedAt) throw new Error('That dataset no longer exists.');
  if (meta.kind !== 'candles') throw new Error(`"${meta.name}" is ${meta.kind} data; training needs candles (time, open, high, low, close).`);
  const candles = await loadCandleColumns(database, meta);
  return { meta, candles, features: marketFeaturesCached(`${meta.id}:${meta.source.sha256}`, candles) };
}

/** A behavior-cloning run's PolicyNet (its first seed's final checkpoint, else its best) as PPO's starting policy. */
async function bcPolicyOf(database: LabDb, runId: string): Promise<{ policy: InitialPolicy; checkpoint: BcCheckpoint; description: string }> {
  const run = await getRun(database, runId);
  if (!run || run.algorithm !== 'BC') throw new Error(`Behavior-cloning run ${runId} is not in this browser; fine-tuning starts from one.`);
  const seed = run.seeds[0];
  const checkpoints = await runCheckpoints(database, runId);
  const ensemble = run.seeds.length > 1;
  const stored = checkpoints.find((c) => c.name === bcCheckpointName('final', seed, ensemble)) ?? checkpoints.find((c) => c.name === bcCheckpointName('best', seed, ensemble));
  if (!stored) throw new Error(`Behavior-cloning run ${run.name} has no checkpoint yet.`);
  const checkpoint = stored.checkpoint as BcCheckpoint;
  return { policy: ppoPolicyFromBc(checkpoint), checkpoint, description: `behavior-cloning run ${run.run_id} (seed ${seed}, best epoch ${checkpoint.bestEpoch})` };
}

/** Starts a new run, or continues `resumeRunId` from its latest checkpoint. Resolves once training has begun. */
export async function startTraining(req: StartRequest | { resumeRunId: string }, onProgress: ProgressCallback): Promise<{ runId: string }> {
  const session = new TrainingSession('resumeRunId' in req ? req.resumeRunId : '');
  await claimWorker(session, 'A PPO run', 'resumeRunId' in req);
  current = session;
  try {
    return await beginTraining(session, req, onProgress);
  } catch (e) {
    // nothing trains: the worker is free again
    current = null;
    releaseWorker(session);
    throw e;
  }
}

async function beginTraining(session: TrainingSession, req: StartRequest | { resumeRunId: string }, onProgress: ProgressCallback): Promise<{ runId: string }> {
  const database = await db();
  let config: PpoRunConfig;
  let resume: PpoCheckpoint | undefined;
  let previous: StoredEpisode[] = [];
  let initialPolicy: InitialPolicy | undefined;
  if ('resumeRunId' in req) {
    const found = await getRun(database, req.resumeRunId);
    if (!found) throw new Error(`Run ${req.resumeRunId} no longer exists.`);
    if (found.algorithm !== 'PPO') throw new Error(`Run ${req.resumeRunId} is a behavior-cloning run; continue it under Train → Behavior cloning.`);
    const latest = await latestCheckpoint(database, found.run_id);
    if (!latest) throw new Error(`Run ${found.run_id} has no checkpoint to continue from.`);
    config = { ...found, status: 'running', completed_at: null, error: null };
    resume = latest.checkpoint as PpoCheckpoint;
    previous = (await runEpisodes(database, found.run_id)).filter((e) => e.summary.timestep <= latest.step);
  } else {
    let initFrom: string | null = null;
    if (req.initFromBc) {
      const source = await bcPolicyOf(database, req.initFromBc);
      initialPolicy = source.policy;
      initFrom = source.description;
      // PPO's policy network takes the PolicyNet's shape: ReLU layers of hidden_dim, num_layers deep
      req = { ...req, ppo: { ...req.ppo, activation: 'relu', net_arch: Array<number>(source.checkpoint.num_layers).fill(source.checkpoint.hidden_dim) } };
    }
    const { hp, env } = resolveSettings(req.preset, req.ppo, req.env);
    const now = new Date();
    const base = makeRunId(now);
    let runId = base;
    for (let k = 2; await runIdTaken(database, runId); k++) runId = `${base}_${k}`;
    const meta = await getDatasetMeta(database, req.datasetId);
    config = {
      run_id: runId,
      created_at: pythonIsoTime(now),
      completed_at: null,
      status: 'running',
      algorithm: 'PPO',
      ...hp,
      data_file: meta?.source.fileName ?? req.datasetId,
      final_metrics: { mean_reward: null, final_100_mean: null, total_episodes: 0 },
      name: req.name?.trim() || runId,
      tags: [],
      dataset_id: req.datasetId,
      dataset_name: meta?.name ?? '',
      env: env.env,
      env_settings: env,
      preset: req.preset,
      backend: 'cpu',
      backend_requested: req.backend,
      backend_trials: [],
      error: null,
      init_from: initFrom,
      init_from_run: req.initFromBc ?? null,
      progress_timesteps: 0,
      updated_at: pythonIsoTime(now),
    };
  }
  const runId = (session.runId = config.run_id);
  // PPO runs whole rollouts, as SB3 does: the step count ends at the next multiple of n_steps × n_envs
  const rollout = config.n_steps * config.n_envs;
  const plannedSteps = Math.ceil(config.total_timesteps / rollout) * rollout;
  onProgress({ runId, status: 'starting', step: 0, total: plannedSteps, fps: 0, secondsLeft: null, message: 'Loading the dataset and computing features…' });
  const { candles, features } = await candlesOf(config.dataset_id);
  const hp: PpoHyperparameters = { ...config };
  const envs = buildEnvironments(candles, features, config.env_settings, hp);
  if (initialPolicy && initialPolicy.weights[0].shape[0] !== envs.env.obsSize) {
    throw new Error(`The PolicyNet takes ${initialPolicy.weights[0].shape[0]} inputs; the ${config.env} environment gives ${envs.env.obsSize}.`);
  }
  onProgress({ runId, status: 'starting', step: 0, total: plannedSteps, fps: 0, secondsLeft: null, message: 'Choosing the fastest backend…' });
  const choice = 'resumeRunId' in req ? config.backend : req.backend;
  const selection = await selectBackend(choice, { obsSize: envs.env.obsSize, numActions: envs.env.numActions, hidden: hp.net_arch, batch: hp.batch_size }, BROWSER_BACKENDS, 'resumeRunId' in req ? [] : req.backendTrials);
  config.backend = selection.backend;
  if (!('resumeRunId' in req)) config.backend_trials = selection.trials;

  const sink = new IdbRunSink(config, () => {});
  sink.rewards = previous.map((e) => e.summary.reward);
  sink.bestEval = resume?.bestMeanReward ?? null;
  const trainer = await PpoTrainer.create({ hp, env: envs.env, makeEvalEnv: envs.makeEvalEnv, sink, resume, initialPolicy });
  await sink.flush('running');
  const report = (status: TrainingProgress['status'], p: { step: number; fps: number; secondsLeft: number | null }, message?: string) =>
    onProgress({ runId, status, backend: config.backend, backendTrials: config.backend_trials, ...p, total: plannedSteps, secondsLeft: p.fps > 0 ? (plannedSteps - p.step) / p.fps : p.secondsLeft, message, ...sink.takeLive() });

  const train = async () => {
    let status: RunStatus = 'completed';
    let error: string | undefined;
    try {
      const outcome = await trainer.train({
        stopRequested: () => session.stopRequested,
        waitIfPaused: () => session.waitIfPaused(async () => {
          await sink.flush();
          report('paused', { step: trainer.step, fps: 0, secondsLeft: null }, 'Paused');
        }),
        progress: (p) => report('running', p),
      });
      status = outcome === 'stopped' ? 'stopped' : 'completed';
    } catch (e) {
      status = 'failed';
      error = e instanceof NonFiniteLossError ? e.message : `Training failed: ${(e as Error).message}`;
    } finally {
      await sink.flush(status, error ?? null);
      trainer.dispose();
      envs.env.reset();
      current = null;
      releaseWorker(session);
      report(status, { step: trainer.step, fps: 0, secondsLeft: 0 }, error ?? (status === 'completed' ? 'Training complete' : 'Stopped; the run can be resumed from its last checkpoint'));
    }
  };
  // Hold a lock while training: a run marked "running" whose lock is free was interrupted.
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  session.done = locks ? locks.request(runLockName(runId), () => train()).then(() => {}) : train();
  return { runId };
}

export function pauseTraining(): void {
  current?.pause();
}

export function resumeTraining(): void {
  current?.resume();
}

export async function stopTraining(): Promise<void> {
  if (!current) return;
  const session = current;
  session.stop();
  await session.done;
}

export function trainingStatus(): { runId: string | null; paused: boolean; backend: string | null } {
  // tf.getBackend() would start the highest-priority backend; only name it while training
  return { runId: current?.runId ?? null, paused: current?.paused ?? false, backend: current ? tf.getBackend() : null };
}

