// Training runs in IndexedDB: the config (with status and final metrics), episodes, evaluations,
// per-update metrics and checkpoints, each keyed by run id. Writers batch: a run's worker calls
// appendRunRecords about once a second with everything since the last call, in one transaction.
import type { RunConfig } from '../core/run/record';
import type { LabDb, StoredCheckpoint, StoredEpisode, StoredEpoch, StoredEvaluation, StoredUpdate } from './db';

const RUN_STORES = ['runs', 'episodes', 'evaluations', 'updates', 'checkpoints', 'epochs'] as const;

export async function putRun(db: LabDb, config: RunConfig): Promise<void> {
  await db.put('runs', config);
}

export async function getRun(db: LabDb, runId: string): Promise<RunConfig | undefined> {
  return db.get('runs', runId);
}

/** Every run but those deleted (while their deletion can be undone), newest first. */
export async function listRuns(db: LabDb): Promise<RunConfig[]> {
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
export async function appendRunRecords(
  db: LabDb,
  batch: { config?: RunConfig; episodes?: StoredEpisode[]; evaluations?: StoredEvaluation[]; updates?: StoredUpdate[]; checkpoints?: StoredCheckpoint[]; epochs?: StoredEpoch[] },
): Promise<void> {
  const tx = db.transaction([...RUN_STORES], 'readwrite');
  const writes: Promise<unknown>[] = [];
  for (const e of batch.episodes ?? []) writes.push(tx.objectStore('episodes').put(e));
  for (const e of batch.evaluations ?? []) writes.push(tx.objectStore('evaluations').put(e));
  for (const u of batch.updates ?? []) writes.push(tx.objectStore('updates').put(u));
  for (const c of batch.checkpoints ?? []) writes.push(tx.objectStore('checkpoints').put(c));
  for (const e of batch.epochs ?? []) writes.push(tx.objectStore('epochs').put(e));
  if (batch.config) writes.push(tx.objectStore('runs').put(batch.config));
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
export async function runRecords(db: LabDb, runId: string) {
  const config = await getRun(db, runId);
  if (!config) throw new Error(`Run ${runId} is not in this browser.`);
  const [episodes, evaluations, updates, checkpoints, epochs] = await Promise.all([runEpisodes(db, runId), runEvaluations(db, runId), runUpdates(db, runId), runCheckpoints(db, runId), runEpochs(db, runId)]);
  return { config, episodes, evaluations, updates, checkpoints, epochs };
}

/** Removes a run's epochs with index from..to (inclusive): rows a member continuing from a checkpoint writes again. */
export async function deleteEpochsBetween(db: LabDb, runId: string, from: number, to: number): Promise<void> {
  if (to < from) return;
  await db.delete('epochs', IDBKeyRange.bound([runId, from], [runId, to]));
}

/** A behavior-cloning run's epochs, members one after another. */
export async function runEpochs(db: LabDb, runId: string): Promise<StoredEpoch[]> {
  return db.getAll('epochs', range(runId));
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

/** The checkpoint to continue from: the latest by step (final, periodic or best). */
export async function latestCheckpoint(db: LabDb, runId: string): Promise<StoredCheckpoint | undefined> {
  const all = await runCheckpoints(db, runId);
  return all.sort((a, b) => b.step - a.step || (a.kind === 'final' ? -1 : 1))[0];
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
    tx.objectStore('epochs').delete(range(runId)),
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
