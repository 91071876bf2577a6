// Training runs in IndexedDB: the config (with status and final metrics), episodes, evaluations,
// updates and checkpoints, each keyed by run id, whatever algorithm made them. Writers batch: a
// run's worker calls appendRunRecords about once a second with everything since the last call, in
// one transaction.
import type { RunBatch, RunRecords, StoredCheckpoint, StoredEpisode, StoredEvaluation, StoredRun, StoredUpdate } from '../core/run/contracts';
import type { IDBPTransaction } from 'idb';
import { checkpointDir } from '../core/run/record';
import { isQuotaError, type LabDb, type LabSchema } from './db';

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

type RunTransaction = IDBPTransaction<LabSchema, (typeof RUN_STORES)[number][], 'readwrite'>;

/** A run's records that could not be stored; nothing of the attempt was kept. */
export class RunWriteError extends Error {
  constructor(reason: string, readonly cause?: unknown) {
    super(reason);
    this.name = 'RunWriteError';
  }
}

/** A browser's storage exception in words. */
function writeFailure(e: unknown): string {
  const name = (e as { name?: string })?.name;
  if (isQuotaError(e)) return 'there is not enough storage space in this browser (delete datasets or runs you no longer need, or free disk space)';
  if (name === 'DataCloneError') return 'a record is not plain data the browser can store (nested too deeply, or holding a value that cannot be copied)';
  return (e as Error)?.message || String(e);
}

/**
 * Runs `write` in one transaction over the run stores, all or nothing: any failure, thrown at
 * once (a record the browser cannot clone) or later (a full disk), aborts the transaction, so
 * what was already queued is rolled back rather than committed.
 */
async function inOneTransaction(db: LabDb, write: (tx: RunTransaction) => Promise<unknown>[] | Promise<Promise<unknown>[]>): Promise<void> {
  const tx = db.transaction([...RUN_STORES], 'readwrite');
  try {
    await Promise.all(await write(tx));
    await tx.done;
  } catch (e) {
    try { tx.abort(); } catch { /* already finished or aborted */ }
    await tx.done.catch(() => {});
    if (e instanceof RunWriteError) throw e;
    throw new RunWriteError(writeFailure(e), e);
  }
}

/** A request's promise, marked handled: when a later request throws, the abort rejects it unwatched. */
function request<T>(p: Promise<T>): Promise<T> {
  p.catch(() => {});
  return p;
}

/**
 * Queues every record of the batch. A record the browser refuses at once (it cannot be cloned) is
 * named as the run folder names it, so the message says which file's record it was.
 */
function putBatch(tx: RunTransaction, batch: RunBatch): Promise<unknown>[] {
  const writes: Promise<unknown>[] = [];
  const put = (label: string, write: () => Promise<unknown>) => {
    try {
      writes.push(request(write()));
    } catch (e) {
      throw new RunWriteError(`${label}: ${writeFailure(e)}`, e);
    }
  };
  for (const e of batch.episodes ?? []) put(`detailed_episodes.jsonl, episode ${e.episode}`, () => tx.objectStore('episodes').put(e));
  for (const e of batch.evaluations ?? []) put(`metrics.json, the evaluation at step ${e.step}`, () => tx.objectStore('evaluations').put(e));
  for (const u of batch.updates ?? []) put(`train_metrics.jsonl, update ${u.update}`, () => tx.objectStore('updates').put(u));
  for (const c of batch.checkpoints ?? []) put(`${checkpointDir(c.name)}/`, () => tx.objectStore('checkpoints').put(c));
  if (batch.config) put('config.json', () => tx.objectStore('runs').put(batch.config as StoredRun));
  return writes;
}

function deleteRunIn(tx: RunTransaction, runId: string): Promise<unknown>[] {
  return [
    tx.objectStore('runs').delete(runId),
    tx.objectStore('episodes').delete(range(runId)),
    tx.objectStore('evaluations').delete(range(runId)),
    tx.objectStore('updates').delete(range(runId)),
    tx.objectStore('checkpoints').delete(IDBKeyRange.bound([runId, ''], [runId, '\uffff'])),
  ].map(request);
}

/** Writes a batch of a run's records, and its updated config, in one transaction. */
export async function appendRunRecords(db: LabDb, batch: RunBatch): Promise<void> {
  await inOneTransaction(db, (tx) => putBatch(tx, batch));
}

/**
 * Stores an imported run whole, in one transaction: its id must be free (a run in its undo window
 * gives way), records left under that id by anything older are cleared first, and a failure
 * anywhere leaves the store as it was.
 */
export async function storeImportedRun(db: LabDb, records: RunRecords): Promise<void> {
  const runId = records.config.run_id;
  await inOneTransaction(db, async (tx) => {
    const existing = await tx.objectStore('runs').get(runId);
    if (existing && !existing.deleted_at) throw new RunWriteError(`run ${runId} is already in this browser; delete it first to import this copy`);
    return [...deleteRunIn(tx, runId), ...putBatch(tx, records)];
  });
}

/**
 * Removes records that belong to no run: what an import interrupted by an older version of the
 * lab could leave. Run at start-up; returns the run ids cleared.
 */
export async function removeLeftoverRunRecords(db: LabDb): Promise<string[]> {
  const runs = new Set(await db.getAllKeys('runs'));
  const orphans = new Set<string>();
  for (const store of ['episodes', 'evaluations', 'updates', 'checkpoints'] as const) {
    for (const key of await db.getAllKeys(store)) if (!runs.has(key[0])) orphans.add(key[0]);
  }
  if (orphans.size === 0) return [];
  await inOneTransaction(db, async (tx) => {
    // a run written since the keys were read is left alone
    const writes: Promise<unknown>[] = [];
    for (const runId of orphans) if ((await tx.objectStore('runs').getKey(runId)) === undefined) writes.push(...deleteRunIn(tx, runId).slice(1));
    return writes;
  });
  return [...orphans];
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
  await inOneTransaction(db, (tx) => deleteRunIn(tx, runId));
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
