// Exporting and importing runs, inside the training worker (it has TensorFlow.js for the model
// files, and zipping a large run would stall the page).
import * as Comlink from 'comlink';
import { checkpointModelFiles } from '../algos/export';
import { detailedEpisodesJsonl, runFiles, zipRun } from '../core/run/exportRun';
import { importRunZip } from '../core/run/importRun';
import { openLabDb, type LabDb } from '../store/db';
import { appendRunRecords, deleteRun, getRun, runEpisodes, runIdTaken, runRecords } from '../store/runs';
import { trySetBackend } from '../algos/backend';
import { trainingStatus } from './training';
import { bcTrainingStatus } from './bcTraining';

let dbPromise: Promise<LabDb> | null = null;
const db = () => (dbPromise ??= openLabDb());

/** The run as a zip in seed 000's layout (transferred, not copied, to the page). */
export async function exportRunZip(runId: string): Promise<Uint8Array> {
  // Writing model.json needs a TensorFlow.js backend: a training run in this worker has one;
  // otherwise the CPU backend starts at once and is plenty for a few small models.
  if (!trainingStatus().runId && !bcTrainingStatus().runId) {
    const error = await trySetBackend('cpu');
    if (error) throw new Error(`Cannot write the model files: ${error}`);
  }
  const records = await runRecords(await db(), runId);
  const files = await runFiles(records, (c) => checkpointModelFiles(records.config, c.checkpoint, c.step));
  const zip = zipRun(files);
  return Comlink.transfer(zip, [zip.buffer as ArrayBuffer]);
}

export async function exportRunJsonl(runId: string): Promise<string> {
  return detailedEpisodesJsonl(await runEpisodes(await db(), runId));
}

/** Imports a run zip: checked whole before anything is stored, then written in one transaction. */
export async function importRunArchive(bytes: Uint8Array, fileName: string): Promise<string> {
  const records = importRunZip(bytes, fileName);
  const database = await db();
  // a run deleted moments ago (its undo window still open) gives way to the imported copy
  if ((await getRun(database, records.config.run_id))?.deleted_at) await deleteRun(database, records.config.run_id);
  if (await runIdTaken(database, records.config.run_id)) {
    throw new Error(`${fileName}: run ${records.config.run_id} is already in this browser; delete it first to import this copy.`);
  }
  // a run exported while training is imported as interrupted: it can be resumed from its checkpoints
  if (records.config.status === 'running') records.config.status = 'interrupted';
  await appendRunRecords(database, records);
  return records.config.run_id;
}
