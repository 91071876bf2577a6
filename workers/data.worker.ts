// The data worker: parsing and storing datasets off the main thread.
import * as Comlink from 'comlink';
import { importFile } from '../src/services/dataImport';
import { makeTeacherDataset } from '../src/services/offlineData';
import { buildOpportunitiesDataset, describeFundingDatasets } from '../src/services/fundingData';
import { appendFile } from '../src/services/dataAppend';
import { generateScenarioDataset } from '../src/services/scenarioData';

const api = { importFile, makeTeacherDataset, describeFundingDatasets, buildOpportunitiesDataset, appendFile, generateScenarioDataset };

export type DataWorkerApi = typeof api;

Comlink.expose(api);
