// The training worker: environments and PPO off the main thread, driven through comlink.
import * as Comlink from 'comlink';
import { pauseTraining, resumeTraining, startTraining, stopTraining, trainingStatus } from '../src/services/training';
import { exportRunJsonl, exportRunZip, importRunArchive } from '../src/services/runArchive';
import { runInference } from '../src/services/inference';

const api = {
  start: startTraining,
  pause: pauseTraining,
  resume: resumeTraining,
  stop: stopTraining,
  status: trainingStatus,
  exportRunZip,
  exportRunJsonl,
  importRunArchive,
  runInference,
};

export type TrainWorkerApi = typeof api;

Comlink.expose(api);
