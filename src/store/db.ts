// The one place that touches IndexedDB. Everything the lab keeps lives in this database.

import { openDB, type DBSchema, type IDBPDatabase, type IDBPTransaction, type StoreNames } from 'idb';
import type { DatasetMeta } from '../core/data/types';
import type { StoredCheckpoint, StoredEpisode, StoredEvaluation, StoredRun, StoredUpdate } from '../core/run/contracts';
import type { ModelRecord, ModelVersion, RetrainDecision, VersionCheckpoint } from '../core/registry/types';
import { createRegistryStores, upgradeRunRecordsToV4 } from './migrations';

export type { StoredCheckpoint, StoredEpisode, StoredEvaluation, StoredUpdate };

export interface StoredChunk {
  datasetId: string;
  column: string;
  index: number;
  values: Float64Array | Float32Array | Int32Array;
}

export interface LabSchema extends DBSchema {
  datasets: { key: string; value: DatasetMeta };
  chunks: { key: [string, string, number]; value: StoredChunk; indexes: { byDataset: string } };
  runs: { key: string; value: StoredRun };
  episodes: { key: [string, number]; value: StoredEpisode };
  evaluations: { key: [string, number]; value: StoredEvaluation };
  /** Every algorithm's updates (a behavior-cloning epoch is one), numbered in the run's order. */
  updates: { key: [string, number]; value: StoredUpdate };
  checkpoints: { key: [string, string]; value: StoredCheckpoint };
  /** The model registry: models by name, their versions' records (what a listing reads), the versions' checkpoints apart, retrain decisions. */
  models: { key: string; value: ModelRecord };
  modelVersions: { key: [string, number]; value: ModelVersion };
  modelCheckpoints: { key: [string, number]; value: StoredVersionCheckpoint };
  retrainDecisions: { key: [string, number]; value: RetrainDecision };
}

/** A version's checkpoint as stored, beside (not inside) its listing record. */
export interface StoredVersionCheckpoint extends VersionCheckpoint {
  model: string;
  version: number;
}

export type LabDb = IDBPDatabase<LabSchema>;

export const DB_NAME = 'rl-trading-lab';
/**
 * 4: updates with open metric keys (behavior-cloning epochs among them), checkpoints in self-describing envelopes.
 * 5: the model registry's stores (models, modelVersions, modelCheckpoints, retrainDecisions); nothing else changes.
 */
export const DB_VERSION = 5;

export function openLabDb(name = DB_NAME): Promise<LabDb> {
  return openDB<LabSchema>(name, DB_VERSION, {
    async upgrade(db, oldVersion, _newVersion, transaction) {
      if (oldVersion < 1) {
        db.createObjectStore('datasets', { keyPath: 'id' });
        const chunks = db.createObjectStore('chunks', { keyPath: ['datasetId', 'column', 'index'] });
        chunks.createIndex('byDataset', 'datasetId');
      }
      if (oldVersion < 2) {
        db.createObjectStore('runs', { keyPath: 'run_id' });
        db.createObjectStore('episodes', { keyPath: ['runId', 'episode'] });
        db.createObjectStore('evaluations', { keyPath: ['runId', 'step'] });
        db.createObjectStore('updates', { keyPath: ['runId', 'update'] });
        db.createObjectStore('checkpoints', { keyPath: ['runId', 'name'] });
      }
      // version 5 adds stores and touches no record: made before any await of the older upgrade
      if (oldVersion < 5) createRegistryStores(db as unknown as IDBPDatabase<unknown>);
      if (oldVersion === 2 || oldVersion === 3) {
        // versions 2 and 3 kept runs in older shapes: they move into version 4's, in this same transaction
        await upgradeRunRecordsToV4(transaction as unknown as IDBPTransaction<unknown, StoreNames<unknown>[], 'versionchange'>);
      }
    },
    blocking() {
      // A newer version of the lab opened in another tab: let it upgrade.
      void 0;
    },
  });
}

/** A write that failed because the browser's storage quota is used up, said plainly. */
export class StorageFullError extends Error {
  constructor(detail: string) {
    super(`Not enough storage space in this browser to keep the dataset${detail}. Delete datasets or runs you no longer need, or free disk space, and try again.`);
    this.name = 'StorageFullError';
  }
}

export function isQuotaError(e: unknown): boolean {
  const name = (e as { name?: string })?.name;
  return name === 'QuotaExceededError' || (name === 'UnknownError' && /quota|space/i.test(String((e as Error).message)));
}

/** Asks the browser to keep the lab's data under storage pressure. Returns whether it will. */
export async function requestPersistentStorage(): Promise<boolean> {
  if (typeof navigator === 'undefined' || !navigator.storage?.persist) return false;
  try {
    if (await navigator.storage.persisted()) return true;
    return await navigator.storage.persist();
  } catch {
    return false;
  }
}

export async function storageEstimate(): Promise<{ usage: number; quota: number } | null> {
  if (typeof navigator === 'undefined' || !navigator.storage?.estimate) return null;
  try {
    const e = await navigator.storage.estimate();
    return { usage: e.usage ?? 0, quota: e.quota ?? 0 };
  } catch {
    return null;
  }
}
