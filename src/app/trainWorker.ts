// The page's handle on the training worker (one run at a time per tab).
import * as Comlink from 'comlink';
import type { TrainWorkerApi } from '../../workers/train.worker';
import type { ProgressCallback, StartRequest } from '../services/training';
import type { InferenceRequest } from '../services/inference';
import type { BcProgress, BcRequest } from '../services/bcTraining';

let worker: Worker | null = null;
let api: Comlink.Remote<TrainWorkerApi> | null = null;
const crashHandlers: ((message: string) => void)[] = [];

function start(): Comlink.Remote<TrainWorkerApi> {
  if (api) return api;
  worker = new Worker(new URL('../../workers/train.worker.ts', import.meta.url), { type: 'module', name: 'train' });
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

/** Called when the worker dies (the PPO and the behavior-cloning session each listen). */
export function onWorkerCrash(handler: (message: string) => void) {
  crashHandlers.push(handler);
}

export async function startRun(request: StartRequest | { resumeRunId: string }, onProgress: ProgressCallback): Promise<{ runId: string }> {
  return start().start(request, Comlink.proxy(onProgress));
}

export const exportRunZip = (runId: string) => start().exportRunZip(runId);
export const exportRunJsonl = (runId: string) => start().exportRunJsonl(runId);
export const importRunArchive = (bytes: Uint8Array, fileName: string) => start().importRunArchive(Comlink.transfer(bytes, [bytes.buffer as ArrayBuffer]), fileName);

export const runInference = (request: InferenceRequest) => start().runInference(request);

export const trainBc = (request: BcRequest | { resumeRunId: string }, onProgress: (p: BcProgress) => void) => start().trainBc(request, Comlink.proxy(onProgress));
export const stopBc = () => start().stopBc();
export const pauseBc = () => start().pauseBc();
export const resumeBc = () => start().resumeBc();

export const pauseRun = () => start().pause();
export const resumeRun = () => start().resume();
export const stopRun = () => start().stop();
