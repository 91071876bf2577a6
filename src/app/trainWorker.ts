// The page's handle on the training worker (one run at a time per tab). A crashed worker is
// replaced on the next call; whoever listens is told it died.
import * as Comlink from 'comlink';
import trainWorkerUrl from '../../workers/train.worker.ts?worker&url';
import { spawnWorker } from './spawnWorker';
import type { TrainWorkerApi } from '../services/trainWorkerApi';
import type { ProgressCallback, ResumeRequest, StartOptions } from '../services/training';
import type { InferenceRequest } from '../services/inference';
import type { ReadinessRequest } from '../services/readiness';
import type { CompareRequest, RegisterOptions } from '../services/registry';
import type { TrainRequest } from '../algos/spec';
import type { RetrainTrigger } from '../core/registry/types';
import type { ControlName } from '../core/run/contracts';

let worker: Worker | null = null;
let api: Comlink.Remote<TrainWorkerApi> | null = null;
const crashHandlers: ((message: string) => void)[] = [];

function start(): Comlink.Remote<TrainWorkerApi> {
  if (api) return api;
  worker = spawnWorker(trainWorkerUrl, 'train');
  worker.addEventListener('error', (ev) => {
    const message = `The training worker stopped: ${ev.message || 'unknown error'}. Everything up to the last save is kept; the run can be resumed from its last checkpoint.`;
    for (const handler of crashHandlers) handler(message);
    worker?.terminate();
    worker = null;
    api = null;
  });
  api = Comlink.wrap<TrainWorkerApi>(worker);
  return api;
}

/** Called when the worker dies. */
export function onWorkerCrash(handler: (message: string) => void) {
  crashHandlers.push(handler);
}

export const startRun = (request: TrainRequest | ResumeRequest, onProgress: ProgressCallback, opts: StartOptions) => start().start(request, Comlink.proxy(onProgress), opts);
export const pauseRun = () => start().pause();
export const resumeRun = () => start().resume();
export const stepRun = () => start().step();
export const setRunControl = (name: ControlName, value: number) => start().setControl(name, value);
export const stopRun = () => start().stop();

export const exportRunZip = (runId: string) => start().exportRunZip(runId);
export const exportRunJsonl = (runId: string) => start().exportRunJsonl(runId);
export const importRunArchive = (bytes: Uint8Array, fileName: string) => start().importRunArchive(Comlink.transfer(bytes, [bytes.buffer as ArrayBuffer]), fileName);
export const runInference = (request: InferenceRequest) => start().runInference(request);
export const checkReadiness = (request: ReadinessRequest, onProgress: (p: { part: string; fraction: number }) => void) => start().checkReadiness(request, Comlink.proxy(onProgress));
export const stopReadiness = () => start().stopReadiness();
export const registerVersion = (runId: string, opts: RegisterOptions) => start().registerVersion(runId, opts);
export const exportVersionZip = (model: string, version: number) => start().exportVersionZip(model, version);
export const importVersionZip = (bytes: Uint8Array, fileName: string, into?: string) => start().importVersionZip(Comlink.transfer(bytes, [bytes.buffer as ArrayBuffer]), fileName, into);
export const compareVersions = (request: CompareRequest) => start().compareVersions(request);
export const checkRetrainInWorker = (model: string) => start().checkRetrain(model);
export const retrainInWorker = (model: string, trigger: RetrainTrigger, force: boolean, onProgress: ProgressCallback) => start().retrainModel(model, trigger, force, Comlink.proxy(onProgress));
