// What the training worker offers the page: the one training service's verbs (start, pause,
// resume, stop, status) for every algorithm, run export and import, and playing a policy. Made
// here so workers/train.worker.ts only exposes it.
import * as Comlink from 'comlink';
import * as tf from '@tensorflow/tfjs';
import { BROWSER_BACKENDS } from '../algos/backends-browser';
import { trySetBackend } from '../algos/backend';
import type { TrainRequest } from '../algos/spec';
import { openLabDb, type LabDb } from '../store/db';
import { idbRepository } from './idbRepository';
import { runInference, type InferenceRequest } from './inference';
import { readinessCheckOf, type ReadinessRequest } from './readiness';
import type { ReadinessReport } from './fundingReadiness';
import { getDatasetMeta, storedDatasetSource } from '../store/datasets';
import { exportRunJsonl, exportRunZip, importRunArchive } from './runArchive';
import { browserRegistry, compareVersions, exportVersionZip, importVersionZip, registerStoredRun, storedDatasets, type CompareRequest, type RegisterOptions } from './registry';
import { TrainingService, type ProgressCallback, type ResumeRequest, type StartOptions } from './training';
import { checkRetrain, retrainModel, type RetrainDeps } from './retrain';
import { getRun, runCheckpoints, runEvaluations } from '../store/runs';
import type { RetrainTrigger } from '../core/registry/types';
import type { ControlName } from '../core/run/contracts';

export function createTrainWorkerApi() {
  let dbPromise: Promise<LabDb> | null = null;
  const db = () => (dbPromise ??= openLabDb());
  const service = new TrainingService({ repository: idbRepository(db), backends: BROWSER_BACKENDS });

  /** A backend for work beside training: the training run's when one trains here, else the first of these that starts. */
  const ensureBackend = async (order: ('wasm' | 'cpu')[]) => {
    if (service.busy) return;
    let error: string | null = null;
    for (const name of order) if ((error = await trySetBackend(name)) === null) return;
    throw new Error(`No TensorFlow.js backend could start: ${error}`);
  };

  const retrainDeps = async (): Promise<RetrainDeps> => {
    const database = await db();
    const datasets = storedDatasets(database);
    return {
      registry: browserRegistry(database), training: service, backend: 'auto', datasets,
      currentData: (run) => datasets(run.dataset_id),
      runRecords: async (id) => {
        const config = await getRun(database, id);
        return config ? { config, checkpoints: await runCheckpoints(database, id), evaluations: await runEvaluations(database, id) } : null;
      },
    };
  };

  // a readiness check trains on this worker's backend: one thing at a time
  let checking = false;
  let stopCheck = false;

  return {
    /** Resolves once training has begun; progress (and the end) come through onProgress. */
    start: async (req: TrainRequest | ResumeRequest, onProgress: ProgressCallback, opts?: StartOptions) => {
      if (checking) throw new Error('A readiness check is running in this tab; start training when it has finished, or stop it.');
      return { runId: (await service.start(req, onProgress, opts)).runId };
    },
    /** Seed 001's readiness check of an environment on a stored dataset; progress through onProgress. */
    async checkReadiness(req: ReadinessRequest, onProgress: (p: { part: string; fraction: number }) => void): Promise<ReadinessReport> {
      if (service.busy) throw new Error('A run is training in this tab; check readiness when it has finished.');
      if (checking) throw new Error('A readiness check is already running in this tab.');
      const check = readinessCheckOf(req.envId);
      const meta = await getDatasetMeta(await db(), req.datasetId);
      if (!meta) throw new Error('That dataset is no longer in this browser.');
      checking = true;
      stopCheck = false;
      try {
        await ensureBackend(['wasm', 'cpu']);
        return await check(storedDatasetSource(await db(), meta), { envSettings: req.envSettings, netArch: req.netArch, onProgress, stopRequested: () => stopCheck });
      } finally {
        checking = false;
      }
    },
    stopReadiness: () => { stopCheck = true; },
    pause: () => service.pause(),
    resume: () => service.resume(),
    /** While paused: one update, then paused again. */
    step: () => service.step(),
    /** Live control: a setting changed from the next update on. */
    setControl: (name: ControlName, value: number) => service.setControl(name, value),
    stop: () => service.stop(),
    // tf.getBackend() would start the highest-priority backend; only name it while training
    status: () => ({ ...service.status(), backend: service.busy ? tf.getBackend() : null }),
    async exportRunZip(runId: string) {
      // writing model.json needs a backend; the CPU one starts at once and is plenty for a few small models
      await ensureBackend(['cpu']);
      const zip = await exportRunZip(await db(), runId);
      return Comlink.transfer(zip, [zip.buffer as ArrayBuffer]);
    },
    exportRunJsonl: async (runId: string) => exportRunJsonl(await db(), runId),
    importRunArchive: async (bytes: Uint8Array, fileName: string) => importRunArchive(await db(), bytes, fileName),
    async runInference(req: InferenceRequest) {
      await ensureBackend(['wasm', 'cpu']);
      return runInference(await db(), req);
    },
    /** Registers a stored run's checkpoint as the next version of a model. */
    registerVersion: async (runId: string, opts: RegisterOptions) => registerStoredRun(await db(), runId, opts),
    /** A registered version as a zip: its models (TensorFlow.js, ONNX), its card, its run's config and state. */
    async exportVersionZip(model: string, version: number) {
      await ensureBackend(['cpu']);
      const out = await exportVersionZip(browserRegistry(await db()), model, version);
      return Comlink.transfer(out, [out.bytes.buffer as ArrayBuffer]);
    },
    /** Imports a version zip as the next version of `into` (by default the model it came from). */
    importVersionZip: async (bytes: Uint8Array, fileName: string, into?: string) => importVersionZip(browserRegistry(await db()), bytes, fileName, into),
    /** Whether a model is due a retrain, and why (its drift measured where its rule asks). */
    checkRetrain: async (model: string) => checkRetrain(await retrainDeps(), model),
    /** Checks the model and retrains it when due (or `force`), in this worker; resolves with the decision recorded. */
    async retrainModel(model: string, trigger: RetrainTrigger, force: boolean, onProgress: ProgressCallback) {
      if (checking) throw new Error('A readiness check is running in this tab; retrain when it has finished.');
      if (service.busy) throw new Error('A run is training in this tab; the retrain waits until it has finished.');
      return retrainModel(await retrainDeps(), model, trigger, { force, onProgress });
    },
    /** Two registered versions walked on the same segment, beside the baselines. */
    async compareVersions(req: CompareRequest) {
      await ensureBackend(['wasm', 'cpu']);
      const database = await db();
      return compareVersions(browserRegistry(database), storedDatasets(database), req);
    },
  };
}

export type TrainWorkerApi = ReturnType<typeof createTrainWorkerApi>;
