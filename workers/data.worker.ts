// The data worker: parsing and storing datasets off the main thread.
import * as Comlink from 'comlink';
import { importFile } from '../src/services/dataImport';
import { makeTeacherDataset } from '../src/services/offlineData';

const api = { importFile, makeTeacherDataset };

export type DataWorkerApi = typeof api;

Comlink.expose(api);
