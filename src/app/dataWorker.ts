// The page's handle on the data worker. A crashed worker is replaced on the next call.
import * as Comlink from 'comlink';
import dataWorkerUrl from '../../workers/data.worker.ts?worker&url';
import { spawnWorker } from './spawnWorker';
import type { DataWorkerApi } from '../../workers/data.worker';
import type { ImportProgress, ImportResult } from '../services/dataImport';
import type { AppendProgress, AppendResult } from '../services/dataAppend';
import type { ScenarioGenerationRequest, ScenarioProgress } from '../services/scenarioData';
import type { ColumnMapping } from '../core/data/types';

let worker: Worker | null = null;
let api: Comlink.Remote<DataWorkerApi> | null = null;
let crashed: ((e: Error) => void)[] = [];

function start(): Comlink.Remote<DataWorkerApi> {
  if (api) return api;
  worker = spawnWorker(dataWorkerUrl, 'data');
  worker.addEventListener('error', (ev) => {
    const err = new Error(`The data worker stopped: ${ev.message || 'unknown error'}. Nothing was stored; try again.`);
    for (const reject of crashed) reject(err);
    crashed = [];
    worker?.terminate();
    worker = null;
    api = null;
  });
  api = Comlink.wrap<DataWorkerApi>(worker);
  return api;
}

/** Starts the worker ahead of the first import, so that import does not wait for it to load. */
export function warmDataWorker(): void {
  start();
}

export async function importInWorker(
  file: File,
  options: { mapping?: ColumnMapping | null; acceptGuess?: boolean; name?: string; timeZone?: string },
  onProgress: ImportProgress,
): Promise<ImportResult> {
  const remote = start();
  return new Promise<ImportResult>((resolve, reject) => {
    crashed.push(reject);
    remote
      .importFile(file, options, Comlink.proxy(onProgress))
      .then(resolve, (e: unknown) => reject(e instanceof Error ? e : new Error(String(e))))
      .finally(() => { crashed = crashed.filter((r) => r !== reject); });
  });
}

/** Appends a file to a stored dataset (or completes its trades with an outcomes file), in the worker. */
export async function appendInWorker(datasetId: string, file: File, onProgress: AppendProgress, timeZone?: string): Promise<AppendResult> {
  const remote = start();
  return new Promise<AppendResult>((resolve, reject) => {
    crashed.push(reject);
    remote
      .appendFile(datasetId, file, timeZone ? { timeZone } : {}, Comlink.proxy(onProgress))
      .then(resolve, (e: unknown) => reject(e instanceof Error ? e : new Error(String(e))))
      .finally(() => { crashed = crashed.filter((r) => r !== reject); });
  });
}

export async function makeTeacherDatasetInWorker(datasetId: string) {
  return start().makeTeacherDataset(datasetId);
}

export const describeFundingInWorker = (ids: string[], venues: Record<string, string>) => start().describeFundingDatasets(ids, venues);
export const buildOpportunitiesInWorker = (funding: { id: string; venue?: string }[], prices: { symbol: string; id: string }[], name: string) =>
  start().buildOpportunitiesDataset(funding, prices, name);
export const generateScenariosInWorker = (request: ScenarioGenerationRequest, onProgress: ScenarioProgress) => start().generateScenarioDataset(request, Comlink.proxy(onProgress));
