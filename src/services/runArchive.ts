// Exporting and importing runs (zips in seed 000's layout), inside the training worker: it has
// TensorFlow.js for the model files, and zipping a large run would stall the page.
import { exportOnnx } from '../algos/onnxExport';
import { algorithmSpec, RUN_FORMATS } from '../algos/registry';
import { detailedEpisodesJsonl, runFiles, zipRun } from '../core/run/exportRun';
import { importRunZip } from '../core/run/importRun';
import type { RunRecords } from '../core/run/contracts';
import type { LabDb } from '../store/db';
import { runEpisodes, runRecords, storeImportedRun } from '../store/runs';

/**
 * Every file of a run's folder, with its algorithm's format and model files (a backend must be
 * started for model.json; model.onnx is written from the stored weights alone).
 */
export async function runFolderFiles(records: RunRecords): Promise<Record<string, Uint8Array>> {
  const spec = algorithmSpec(records.config.algorithm);
  const runtime = await spec.runtime();
  return runFiles(records, spec.format, async (c) => ({
    ...(await runtime.modelFiles(c.checkpoint, records.config)),
    onnx: exportOnnx(records.config, c.checkpoint).bytes,
  }));
}

/** The run as a zip in seed 000's layout. */
export async function exportRunZip(db: LabDb, runId: string): Promise<Uint8Array> {
  return zipRun(await runFolderFiles(await runRecords(db, runId)));
}

export async function exportRunJsonl(db: LabDb, runId: string): Promise<string> {
  return detailedEpisodesJsonl(await runEpisodes(db, runId));
}

/** A run zip's records, checked whole (every registered algorithm's format known). */
export function readRunZip(bytes: Uint8Array, fileName: string): RunRecords {
  return importRunZip(bytes, fileName, RUN_FORMATS);
}

/** Imports a run zip: checked whole before anything is stored, then written in one transaction. */
export async function importRunArchive(db: LabDb, bytes: Uint8Array, fileName: string): Promise<string> {
  const records = readRunZip(bytes, fileName);
  // a run exported while training is imported as interrupted: it can be resumed from its checkpoints
  if (records.config.status === 'running') records.config.status = 'interrupted';
  try {
    // one transaction: a run deleted moments ago (its undo window still open) gives way to the
    // imported copy, and a failure part way stores nothing
    await storeImportedRun(db, records);
  } catch (e) {
    throw new Error(`Cannot import "${fileName}": nothing was stored: ${(e as Error).message}.`);
  }
  return records.config.run_id;
}
