// A behavior-cloning run's stored records, made and read the same way by the runtime, the command
// line and the importer: each epoch is an update (members one after another), checkpoint names
// per member, and which checkpoint each member continues from.
import type { StoredCheckpoint, StoredUpdate, UpdateRecord } from '../../core/run/contracts';
import type { BcRunConfig } from './config';
import { bcEnvelope } from './envelope';
import type { BcCheckpoint, BcEpochMetrics } from './types';

type RunShape = Pick<BcRunConfig, 'run_id' | 'seeds' | 'max_epochs'>;

/** A checkpoint's name: 'best' / 'final', or 'seed_S_best' / 'seed_S_final' for an ensemble's member. */
export function bcCheckpointName(kind: 'best' | 'final', seed: number, ensemble: boolean): string {
  return ensemble ? `seed_${seed}_${kind}` : kind;
}

/** The member a checkpoint name belongs to (the inverse of bcCheckpointName), or null when it is none of the run's. */
export function bcCheckpointSeed(name: string, seeds: readonly number[]): number | null {
  if (seeds.length === 1) return name === 'best' || name === 'final' ? seeds[0] : null;
  const member = /^seed_(-?\d+)_(?:best|final)$/.exec(name);
  return seeds.find((s) => member?.[1] === String(s)) ?? null;
}

/** Where an epoch goes in the run's order of updates (members one after another). */
export function epochIndex(config: Pick<BcRunConfig, 'seeds' | 'max_epochs'>, seed: number, epoch: number): number {
  return Math.max(0, config.seeds.indexOf(seed)) * config.max_epochs + epoch;
}

/** An epoch as an update record: numbered in the run's order, on the epoch axis, with its member. */
export function bcUpdate(config: Pick<BcRunConfig, 'seeds' | 'max_epochs'>, seed: number, m: BcEpochMetrics): UpdateRecord {
  const { epoch, timestamp, ...metrics } = m;
  return { update: epochIndex(config, seed, epoch), step: epoch, timestamp, member: seed, metrics };
}

/** The epoch's figures back from an update record (train_metrics.jsonl's line, the overfitting signs). */
export function bcEpochOf(u: UpdateRecord): BcEpochMetrics {
  return { epoch: u.step, ...(u.metrics as Omit<BcEpochMetrics, 'epoch' | 'timestamp'>), timestamp: u.timestamp };
}

export function bcUpdateRecord(config: RunShape, seed: number, m: BcEpochMetrics): StoredUpdate {
  return { runId: config.run_id, ...bcUpdate(config, seed, m) };
}

export function bcCheckpointRecord(config: RunShape & Pick<BcRunConfig, 'state_width'>, seed: number, c: BcCheckpoint): StoredCheckpoint {
  const name = bcCheckpointName(c.kind, seed, config.seeds.length > 1);
  return { runId: config.run_id, name, step: c.epoch, kind: c.kind, timestamp: c.timestamp, checkpoint: bcEnvelope(c) };
}

/** Each member's checkpoint to continue from: a finished member's final one, else the one furthest along. */
export function latestBcCheckpoints(config: RunShape, stored: readonly StoredCheckpoint[]): Map<number, BcCheckpoint> {
  const latest = new Map<number, BcCheckpoint>();
  for (const c of stored) {
    const seed = bcCheckpointSeed(c.name, config.seeds);
    if (seed === null) continue;
    const checkpoint = c.checkpoint.payload as BcCheckpoint;
    const had = latest.get(seed);
    if (!had || checkpoint.epoch > had.epoch || (checkpoint.epoch === had.epoch && checkpoint.kind === 'final')) latest.set(seed, checkpoint);
  }
  return latest;
}
