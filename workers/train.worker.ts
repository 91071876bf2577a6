// The training worker: every algorithm's training, run export / import and playing a policy, off
// the main thread, driven through comlink.
import * as Comlink from 'comlink';
import { createTrainWorkerApi } from '../src/services/trainWorkerApi';

Comlink.expose(createTrainWorkerApi());
