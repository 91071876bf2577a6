// The training worker: environments and PPO off the main thread, driven through comlink.
import * as Comlink from 'comlink';
import { pauseTraining, resumeTraining, startTraining, stopTraining, trainingStatus } from '../src/services/training';
import { exportRunJsonl, exportRunZip, importRunArchive } from '../src/services/runArchive';
import { runInference } from '../src/services/inference';
import { bcTrainingStatus, pauseBc, resumeBc, stopBc, trainBc } from '../src/services/bcTraining';

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
  trainBc,
  stopBc,
  pauseBc,
  resumeBc,
  bcStatus: bcTrainingStatus,
};

export type TrainWorkerApi = typeof api;

Comlink.expose(api);
