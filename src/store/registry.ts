// The model registry in IndexedDB: `models` by name, `modelVersions` by [model, version] (the
// listing: a few kB each), `modelCheckpoints` under the same keys (weights and the run's config,
// read only to play, export or compare a version) and `retrainDecisions` by [model, id]. Every
// registry operation is one transaction over these stores: all or nothing.
import type { IDBPTransaction } from 'idb';
import type { ModelChange, ModelRecord, ModelState, ModelVersion, RegistryRepository, VersionCheckpoint } from '../core/registry/types';
import { RegistryError } from '../core/registry/rules';
import { isQuotaError, type LabDb, type LabSchema } from './db';

const REGISTRY_STORES = ['models', 'modelVersions', 'modelCheckpoints', 'retrainDecisions'] as const;
type RegistryTransaction = IDBPTransaction<LabSchema, (typeof REGISTRY_STORES)[number][], 'readwrite'>;

const versionRange = (name: string) => IDBKeyRange.bound([name, -Infinity], [name, Infinity]);

/** A request's promise, marked handled: when a later request throws, the abort rejects it unwatched. */
function request<T>(p: Promise<T>): Promise<T> {
  p.catch(() => {});
  return p;
}

function writeFailure(e: unknown): string {
  if (isQuotaError(e)) return 'there is not enough storage space in this browser (delete runs, datasets or model versions you no longer need, or free disk space)';
  if ((e as { name?: string })?.name === 'DataCloneError') return 'a record is not plain data the browser can store';
  return (e as Error)?.message || String(e);
}

export function idbRegistry(db: LabDb): RegistryRepository {
  return {
    listModels: async () => (await db.getAll('models')).sort((a, b) => a.name.localeCompare(b.name)),
    getModel: async (name) => (await db.get('models', name)) ?? null,
    listVersions: async (name) => db.getAll('modelVersions', versionRange(name)),
    async versionCheckpoint(name, version): Promise<VersionCheckpoint | null> {
      const stored = await db.get('modelCheckpoints', [name, version]);
      return stored ? { run: stored.run, checkpoint: stored.checkpoint } : null;
    },
    listDecisions: async (name) => db.getAll('retrainDecisions', versionRange(name)),
    async transact<T>(name: string, decide: (state: ModelState) => { change: ModelChange | null; result: T }): Promise<T> {
      const tx: RegistryTransaction = db.transaction([...REGISTRY_STORES], 'readwrite');
      try {
        const [model, versions] = await Promise.all([tx.objectStore('models').get(name), tx.objectStore('modelVersions').getAll(versionRange(name))]);
        // decide runs between requests of this transaction, synchronously: nothing else writes meanwhile
        const { change, result } = decide({ model: model ?? null, versions });
        if (change) {
          const writes: Promise<unknown>[] = [request(tx.objectStore('models').put(change.model))];
          for (const v of change.versions ?? []) writes.push(request(tx.objectStore('modelVersions').put(v)));
          if (change.checkpoint) writes.push(request(tx.objectStore('modelCheckpoints').put({ model: name, version: change.checkpoint.version, ...change.checkpoint.value })));
          for (const n of change.purge ?? []) {
            writes.push(request(tx.objectStore('modelVersions').delete([name, n])), request(tx.objectStore('modelCheckpoints').delete([name, n])));
          }
          if (change.decision) writes.push(request(tx.objectStore('retrainDecisions').put(change.decision)));
          await Promise.all(writes);
        }
        await tx.done;
        return result;
      } catch (e) {
        try { tx.abort(); } catch { /* already finished or aborted */ }
        await tx.done.catch(() => {});
        if (e instanceof RegistryError) throw e;
        throw new RegistryError(`Nothing was changed in the registry: ${writeFailure(e)}.`);
      }
    },
  };
}

/** Every model's record and versions (not checkpoints): what the Models list reads. */
export async function modelsWithVersions(db: LabDb): Promise<{ model: ModelRecord; versions: ModelVersion[] }[]> {
  const tx = db.transaction(['models', 'modelVersions']);
  const [models, versions] = await Promise.all([tx.objectStore('models').getAll(), tx.objectStore('modelVersions').getAll()]);
  await tx.done;
  return models.sort((a, b) => a.name.localeCompare(b.name)).map((model) => ({ model, versions: versions.filter((v) => v.model === model.name) }));
}

/** The names of a run's checkpoints (best, final, step_N…), without reading the checkpoints: what "Register model…" offers. */
export async function runCheckpointNames(db: LabDb, runId: string): Promise<string[]> {
  return (await db.getAllKeys('checkpoints', IDBKeyRange.bound([runId, ''], [runId, '\uffff']))).map((k) => k[1]);
}
