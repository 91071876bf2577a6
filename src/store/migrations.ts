// Upgrading a browser's stored runs from schema versions 2 and 3 to 4, in the upgrade's own
// transaction, so nothing is lost and nothing is half-moved:
//
// - updates: version 3 kept each update's metrics beside update / step / timestamp; version 4
//   keeps them under `metrics` (open keys, as every algorithm writes them now);
// - epochs: version 3 kept behavior-cloning epochs in a store of their own; in version 4 an epoch
//   is an update (numbered member × max_epochs + epoch, on the epoch axis, with its member's seed);
// - checkpoints: version 4 wraps each algorithm's state in a self-describing envelope.
//
// The records of those versions come from the two algorithms they had, PPO and behavior cloning,
// so their shapes are written out here once and for all; later algorithms write version 4's shapes
// themselves.
import type { IDBPDatabase, IDBPTransaction, StoreNames } from 'idb';
import { findEnv } from '../core/env/registry';
import type { CheckpointEnvelope } from '../core/run/contracts';

type Upgrade = IDBPTransaction<unknown, StoreNames<unknown>[], 'versionchange'>;
type Row = Record<string, unknown>;

const V3_BC_ACTIONS = ['hold', 'buy', 'sell'];

/** A version 3 checkpoint's state in its envelope, from what its run and the state itself say. */
export function legacyEnvelope(payload: Row, kind: string, run: Row | undefined): CheckpointEnvelope {
  const isBc = run ? run.algorithm === 'BC' : typeof payload.epoch === 'number';
  const normalizer = (payload.normalizer ?? null) as CheckpointEnvelope['normalizer'];
  if (isBc) {
    return { algorithm: 'BC', kind: kind as CheckpointEnvelope['kind'], step: payload.epoch as number, obsSize: payload.width as number, numActions: 3, actionNames: [...V3_BC_ACTIONS], activation: 'relu', normalizer, payload };
  }
  return {
    algorithm: 'PPO', kind: kind as CheckpointEnvelope['kind'], step: payload.step as number, obsSize: payload.obsSize as number, numActions: payload.numActions as number,
    actionNames: [...(findEnv(String(run?.env ?? ''))?.actionNames ?? [])], activation: (run?.activation as 'tanh' | 'relu' | undefined) ?? 'tanh', normalizer, payload,
  };
}

/** A version 3 update row in version 4's shape. */
export function legacyUpdate(row: Row): Row {
  const { runId, update, step, timestamp, ...metrics } = row;
  return { runId, update, step, timestamp, metrics };
}

/** A version 3 behavior-cloning epoch row as a version 4 update. */
export function legacyEpoch(row: Row): Row {
  const { runId, seed, index, epoch, timestamp, ...metrics } = row;
  return { runId, update: index, step: epoch, timestamp, member: seed, metrics };
}

export async function upgradeRunRecordsToV4(tx: Upgrade): Promise<void> {
  const runs = new Map<string, Row>();
  for (const run of (await tx.objectStore('runs').getAll()) as Row[]) runs.set(run.run_id as string, run);

  const updates = tx.objectStore('updates');
  for (let cursor = await updates.openCursor(); cursor; cursor = await cursor.continue()) {
    const row = cursor.value as Row;
    if (!('metrics' in row)) await cursor.update(legacyUpdate(row));
  }
  if (tx.db.objectStoreNames.contains('epochs')) {
    for (const row of (await tx.objectStore('epochs').getAll()) as Row[]) await updates.put(legacyEpoch(row));
    tx.db.deleteObjectStore('epochs');
  }
  const checkpoints = tx.objectStore('checkpoints');
  for (let cursor = await checkpoints.openCursor(); cursor; cursor = await cursor.continue()) {
    const row = cursor.value as Row;
    const state = row.checkpoint as Row;
    if (state && !('payload' in state && 'algorithm' in state)) await cursor.update({ ...row, checkpoint: legacyEnvelope(state, String(row.kind), runs.get(row.runId as string)) });
  }
}

/**
 * Version 5: the model registry's stores. Nothing older is read or moved, so a version 4 database
 * keeps every record as it was. A version's listing record and its checkpoint live in separate
 * stores under the same key, so listing a model's versions reads no weights.
 */
export function createRegistryStores(db: IDBPDatabase<unknown>): void {
  db.createObjectStore('models', { keyPath: 'name' });
  db.createObjectStore('modelVersions', { keyPath: ['model', 'version'] });
  db.createObjectStore('modelCheckpoints', { keyPath: ['model', 'version'] });
  db.createObjectStore('retrainDecisions', { keyPath: ['model', 'id'] });
}
