// The data worker: parsing and storing datasets off the main thread.
import * as Comlink from 'comlink';
import { importFile } from '../src/services/dataImport';

const api = { importFile };

export type DataWorkerApi = typeof api;

Comlink.expose(api);
