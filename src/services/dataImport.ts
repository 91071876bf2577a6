// Import a file into the store: read, parse, validate, then write in one transaction.
// Runs in the data worker; no DOM.

import { importBytes, type ImportPhase, type MappingPreview } from '../core/data/importer';
import type { ColumnMapping, DatasetMeta } from '../core/data/types';
import { openLabDb, requestPersistentStorage, type LabDb } from '../store/db';
import { saveDataset } from '../store/datasets';

export type ImportProgress = (phase: ImportPhase, fraction: number) => void;

export type ImportResult =
  | { status: 'needs-mapping'; preview: MappingPreview }
  | { status: 'imported'; meta: DatasetMeta; seconds: number; persisted: boolean };

let dbPromise: Promise<LabDb> | null = null;
function db(): Promise<LabDb> {
  dbPromise ??= openLabDb();
  return dbPromise;
}

export async function importFile(
  file: Blob & { name: string },
  options: { mapping?: ColumnMapping | null; acceptGuess?: boolean; name?: string },
  onProgress: ImportProgress = () => {},
): Promise<ImportResult> {
  const started = performance.now();
  onProgress('reading', 0);
  const bytes = new Uint8Array(await file.arrayBuffer());
  onProgress('reading', 1);
  const outcome = await importBytes(bytes, file.name, { mapping: options.mapping, acceptGuess: options.acceptGuess, onProgress });
  if (outcome.status === 'needs-mapping') return outcome;
  const { dataset } = outcome;
  if (options.name) dataset.meta.name = options.name;
  onProgress('saving', 0);
  const persisted = await requestPersistentStorage();
  await saveDataset(await db(), dataset, (f) => onProgress('saving', f));
  onProgress('saving', 1);
  return { status: 'imported', meta: dataset.meta, seconds: (performance.now() - started) / 1000, persisted };
}
