// The training service's records in this browser's IndexedDB (the store).
import type { LabDb } from '../store/db';
import { getDatasetMeta, storedDatasetSource } from '../store/datasets';
import { appendRunRecords, deleteUpdatesBetween, getRun, runCheckpoints, runEpisodes, runEvaluations, runIdTaken, runUpdates } from '../store/runs';
import type { RunRepository } from './runRecorder';

export function idbRepository(db: () => Promise<LabDb>): RunRepository {
  return {
    runIdTaken: async (id) => runIdTaken(await db(), id),
    getRun: async (id) => getRun(await db(), id),
    checkpoints: async (id) => runCheckpoints(await db(), id),
    episodes: async (id) => runEpisodes(await db(), id),
    evaluations: async (id) => runEvaluations(await db(), id),
    updates: async (id) => runUpdates(await db(), id),
    deleteUpdates: async (id, from, to) => deleteUpdatesBetween(await db(), id, from, to),
    append: async (batch) => appendRunRecords(await db(), batch),
    dataset: async (id) => {
      const database = await db();
      const meta = await getDatasetMeta(database, id);
      return meta && !meta.deletedAt ? storedDatasetSource(database, meta) : null;
    },
  };
}
