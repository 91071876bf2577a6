// The one place that touches IndexedDB. Everything the lab keeps lives in this database.

import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { DatasetMeta } from '../core/data/types';
import type { EpisodeSummary, RunConfig } from '../core/run/record';
import type { EvaluationRecord, PpoCheckpoint, UpdateMetrics } from '../algos/ppo';
import type { BcCheckpoint, BcEpochMetrics } from '../algos/bc';

export interface StoredChunk {
  datasetId: string;
  column: string;
  index: number;
  values: Float64Array | Float32Array | Int32Array;
}

/** One finished episode: the light row of metrics.json and the detailed record of detailed_episodes.jsonl. */
export interface StoredEpisode {
  runId: string;
  episode: number;
  summary: EpisodeSummary;
  /**
   * The detailed record (seed 000's detailed_episodes.jsonl line), kept as JSON text: a run's
   * thousands of episodes then read back and export as strings, with no object graph to rebuild.
   */
  detailJson: string;
}

export interface StoredEvaluation extends EvaluationRecord {
  runId: string;
}

export interface StoredUpdate extends UpdateMetrics {
  runId: string;
}

/** One epoch of one PolicyNet of a behavior-cloning run (train_metrics.jsonl's line). */
export interface StoredEpoch extends BcEpochMetrics {
  runId: string;
  /** The member's seed (an ensemble trains one PolicyNet per seed). */
  seed: number;
  /** Position in the run: member index × max_epochs + epoch, so a resumed member rewrites its own rows. */
  index: number;
}

export interface StoredCheckpoint {
  runId: string;
  /** PPO: 'step_N', 'best' or 'final'. Behavior cloning: 'best' and 'final', or 'seed_S_best' and 'seed_S_final' per ensemble member. */
  name: string;
  /** PPO: the timestep; behavior cloning: the epoch. */
  step: number;
  kind: PpoCheckpoint['kind'];
  timestamp: string;
  checkpoint: PpoCheckpoint | BcCheckpoint;
}

export interface LabSchema extends DBSchema {
  datasets: { key: string; value: DatasetMeta };
  chunks: { key: [string, string, number]; value: StoredChunk; indexes: { byDataset: string } };
  runs: { key: string; value: RunConfig };
  episodes: { key: [string, number]; value: StoredEpisode };
  evaluations: { key: [string, number]; value: StoredEvaluation };
  updates: { key: [string, number]; value: StoredUpdate };
  checkpoints: { key: [string, string]; value: StoredCheckpoint };
  epochs: { key: [string, number]; value: StoredEpoch };
}

export type LabDb = IDBPDatabase<LabSchema>;

export const DB_NAME = 'rl-trading-lab';
export const DB_VERSION = 3;

export function openLabDb(name = DB_NAME): Promise<LabDb> {
  return openDB<LabSchema>(name, DB_VERSION, {
    upgrade(db, oldVersion) {
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
      if (oldVersion < 3) {
        db.createObjectStore('epochs', { keyPath: ['runId', 'index'] });
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
