// Import a file into the store: read, parse, validate, then write in one transaction.
// Runs in the data worker; no DOM.

import { importBytes, type ImportPhase, type MappingPreview } from '../core/data/importer';
import type { ColumnMapping, DatasetMeta } from '../core/data/types';
import { openLabDb, requestPersistentStorage, type LabDb } from '../store/db';
import { saveDataset } from '../store/datasets';
import { phaseClock } from './phaseClock';

export type ImportProgress = (phase: ImportPhase, fraction: number) => void;

export type ImportResult =
  | { status: 'needs-mapping'; preview: MappingPreview }
  | { status: 'imported'; meta: DatasetMeta; seconds: number; persisted: boolean; phaseSeconds: Partial<Record<ImportPhase, number>> };

let dbPromise: Promise<LabDb> | null = null;
function db(): Promise<LabDb> {
  dbPromise ??= openLabDb();
  return dbPromise;
}

export async function importFile(
  file: Blob & { name: string },
  options: { mapping?: ColumnMapping | null; acceptGuess?: boolean; name?: string; timeZone?: string },
  onProgress: ImportProgress = () => {},
): Promise<ImportResult> {
  // seconds spent in each phase, for the import report and the benchmark
  const clock = phaseClock<ImportPhase>(onProgress);
  const report = clock.report;
  report('reading', 0);
  let bytes: Uint8Array | null = new Uint8Array(await file.arrayBuffer());
  report('reading', 1);
  const outcome = await importBytes(bytes, file.name, { mapping: options.mapping, acceptGuess: options.acceptGuess, timeZone: options.timeZone, onProgress: report });
  bytes = null; // the file's bytes can go before the columns are copied into the store
  if (outcome.status === 'needs-mapping') return outcome;
  const { dataset } = outcome;
  if (options.name) dataset.meta.name = options.name;
  report('saving', 0);
  const persisted = await requestPersistentStorage();
  await saveDataset(await db(), dataset, (f) => report('saving', f));
  return { status: 'imported', meta: dataset.meta, persisted, ...clock.stop() };
}
