// Training runs in IndexedDB: the config (with status and final metrics), episodes, evaluations,
// updates and checkpoints, each keyed by run id, whatever algorithm made them. Writers batch: a
// run's worker calls appendRunRecords about once a second with everything since the last call, in
// one transaction.
import type { RunBatch, RunRecords, StoredCheckpoint, StoredEpisode, StoredEvaluation, StoredRun, StoredUpdate } from '../core/run/contracts';
import type { LabDb } from './db';

const RUN_STORES = ['runs', 'episodes', 'evaluations', 'updates', 'checkpoints'] as const;

export async function putRun(db: LabDb, config: StoredRun): Promise<void> {
  await db.put('runs', config);
}

export async function getRun(db: LabDb, runId: string): Promise<StoredRun | undefined> {
  return db.get('runs', runId);
}

/** Every run but those deleted (while their deletion can be undone), newest first. */
export async function listRuns(db: LabDb): Promise<StoredRun[]> {
  const runs = (await db.getAll('runs')).filter((r) => !r.deleted_at);
  return runs.sort((a, b) => b.created_at.localeCompare(a.created_at));
}

/** Hides a run, keeping all its records, until restoreRun or purgeDeletedRuns. */
export async function trashRun(db: LabDb, runId: string, now = new Date()): Promise<void> {
  const tx = db.transaction('runs', 'readwrite');
  const run = await tx.store.get(runId);
  if (run) await tx.store.put({ ...run, deleted_at: now.toISOString() });
  await tx.done;
}

export async function restoreRun(db: LabDb, runId: string): Promise<void> {
  const tx = db.transaction('runs', 'readwrite');
  const run = await tx.store.get(runId);
  if (run) {
    delete run.deleted_at;
    await tx.store.put(run);
  }
  await tx.done;
}

/** Removes a run for good if it is still deleted (not restored, nor replaced by an import meanwhile). */
export async function purgeRunIfDeleted(db: LabDb, runId: string): Promise<boolean> {
  if (!(await getRun(db, runId))?.deleted_at) return false;
  await deleteRun(db, runId);
  return true;
}

/** Removes for good the runs deleted at least `olderThanMs` ago (an undo window a closed tab left open). */
export async function purgeDeletedRuns(db: LabDb, olderThanMs: number, now = Date.now()): Promise<string[]> {
  const purged: string[] = [];
  for (const run of await db.getAll('runs')) {
    if (run.deleted_at && now - Date.parse(run.deleted_at) >= olderThanMs) {
      await deleteRun(db, run.run_id);
      purged.push(run.run_id);
    }
  }
  return purged;
}

export async function runIdTaken(db: LabDb, runId: string): Promise<boolean> {
  return (await db.getKey('runs', runId)) !== undefined;
}

/** Writes a batch of a run's records, and its updated config, in one transaction. */
export async function appendRunRecords(db: LabDb, batch: RunBatch): Promise<void> {
  const tx = db.transaction([...RUN_STORES], 'readwrite');
  const writes: Promise<unknown>[] = [];
  for (const e of batch.episodes ?? []) writes.push(tx.objectStore('episodes').put(e));
  for (const e of batch.evaluations ?? []) writes.push(tx.objectStore('evaluations').put(e));
  for (const u of batch.updates ?? []) writes.push(tx.objectStore('updates').put(u));
  for (const c of batch.checkpoints ?? []) writes.push(tx.objectStore('checkpoints').put(c));
  if (batch.config) writes.push(tx.objectStore('runs').put(batch.config as StoredRun));
  await Promise.all([...writes, tx.done]);
}

const range = (runId: string) => IDBKeyRange.bound([runId, -Infinity], [runId, Infinity]);

export async function runEpisodes(db: LabDb, runId: string): Promise<StoredEpisode[]> {
  return db.getAll('episodes', range(runId));
}

/** Episodes numbered `from` or later: a live view reads only what is new. */
export async function runEpisodesFrom(db: LabDb, runId: string, from: number): Promise<StoredEpisode[]> {
  return db.getAll('episodes', IDBKeyRange.bound([runId, from], [runId, Infinity]));
}

export async function runUpdatesFrom(db: LabDb, runId: string, from: number): Promise<StoredUpdate[]> {
  return db.getAll('updates', IDBKeyRange.bound([runId, from], [runId, Infinity]));
}

/** Every record of a run, for export. */
export async function runRecords(db: LabDb, runId: string): Promise<RunRecords> {
  const config = await getRun(db, runId);
  if (!config) throw new Error(`Run ${runId} is not in this browser.`);
  const [episodes, evaluations, updates, checkpoints] = await Promise.all([runEpisodes(db, runId), runEvaluations(db, runId), runUpdates(db, runId), runCheckpoints(db, runId)]);
  return { config, episodes, evaluations, updates, checkpoints };
}

/** Removes a run's updates numbered from..to (inclusive): what a run continuing from a checkpoint writes again. */
export async function deleteUpdatesBetween(db: LabDb, runId: string, from: number, to: number): Promise<void> {
  if (to < from) return;
  await db.delete('updates', IDBKeyRange.bound([runId, from], [runId, to]));
}

export async function runEvaluations(db: LabDb, runId: string): Promise<StoredEvaluation[]> {
  return db.getAll('evaluations', range(runId));
}

export async function runUpdates(db: LabDb, runId: string): Promise<StoredUpdate[]> {
  return db.getAll('updates', range(runId));
}

export async function runCheckpoints(db: LabDb, runId: string): Promise<StoredCheckpoint[]> {
  return db.getAll('checkpoints', IDBKeyRange.bound([runId, ''], [runId, '\uffff']));
}

/** Removes a run and all its records for good. */
export async function deleteRun(db: LabDb, runId: string): Promise<void> {
  const tx = db.transaction([...RUN_STORES], 'readwrite');
  await Promise.all([
    tx.objectStore('runs').delete(runId),
    tx.objectStore('episodes').delete(range(runId)),
    tx.objectStore('evaluations').delete(range(runId)),
    tx.objectStore('updates').delete(range(runId)),
    tx.objectStore('checkpoints').delete(IDBKeyRange.bound([runId, ''], [runId, '\uffff'])),
    tx.done,
  ]);
}

/** Runs left "running" by a closed tab or a dead worker become "interrupted" (resumable). */
export async function markInterrupted(db: LabDb, isAlive: (runId: string) => boolean): Promise<string[]> {
  const changed: string[] = [];
  for (const run of await db.getAll('runs')) {
    if (run.status === 'running' && !isAlive(run.run_id)) {
      run.status = 'interrupted';
      await db.put('runs', run);
      changed.push(run.run_id);
    }
  }
  return changed;
}
