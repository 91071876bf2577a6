// A behavior-cloning run's stored records, made and read the same way by the worker, the command
// line and the importer: epoch rows (members one after another), checkpoint names per member, and
// which checkpoint each member continues from.
import type { BcCheckpoint, BcEpochMetrics } from '../../algos/bc';
import type { StoredCheckpoint, StoredEpoch } from '../../store/db';
import type { BcRunConfig } from './record';

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

/** Where an epoch goes in the run's order of epochs (members one after another). */
export function epochIndex(config: Pick<BcRunConfig, 'seeds' | 'max_epochs'>, seed: number, epoch: number): number {
  return Math.max(0, config.seeds.indexOf(seed)) * config.max_epochs + epoch;
}

export function bcEpochRecord(config: RunShape, seed: number, m: BcEpochMetrics): StoredEpoch {
  return { ...m, runId: config.run_id, seed, index: epochIndex(config, seed, m.epoch) };
}

export function bcCheckpointRecord(config: RunShape, seed: number, c: BcCheckpoint): StoredCheckpoint {
  const name = bcCheckpointName(c.kind, seed, config.seeds.length > 1);
  return { runId: config.run_id, name, step: c.epoch, kind: c.kind, timestamp: c.timestamp, checkpoint: c };
}

/** Each member's checkpoint to continue from: a finished member's final one, else the one furthest along. */
export function latestBcCheckpoints(config: RunShape, stored: readonly StoredCheckpoint[]): Map<number, BcCheckpoint> {
  const latest = new Map<number, BcCheckpoint>();
  for (const c of stored) {
    const seed = bcCheckpointSeed(c.name, config.seeds);
    if (seed === null) continue;
    const checkpoint = c.checkpoint as BcCheckpoint;
    const had = latest.get(seed);
    if (!had || checkpoint.epoch > had.epoch || (checkpoint.epoch === had.epoch && checkpoint.kind === 'final')) latest.set(seed, checkpoint);
  }
  return latest;
}
