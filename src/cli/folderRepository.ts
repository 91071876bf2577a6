// The training service's records as a run folder on disk (seed 000's layout, as the lab exports
// it): config.json as training goes, every file at each checkpoint and at the end.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { algorithmSpec } from '../algos/registry';
import type { DatasetSource } from '../core/env/spec';
import type { RunBatch, RunRecords, StoredCheckpoint, StoredEpisode, StoredEvaluation, StoredRun, StoredUpdate } from '../core/run/contracts';
import { configJson } from '../core/run/exportRun';
import { runFolderFiles } from '../services/runArchive';
import type { RunRepository } from '../services/runRecorder';

export function folderRepository(outDir: string, datasets: Map<string, DatasetSource>): RunRepository & { records(): RunRecords | null } {
  let config: StoredRun | null = null;
  const episodes = new Map<number, StoredEpisode>();
  const evaluations = new Map<number, StoredEvaluation>();
  const updates = new Map<number, StoredUpdate>();
  const checkpoints = new Map<string, StoredCheckpoint>();
  const records = (): RunRecords | null => config && { config, episodes: [...episodes.values()], evaluations: [...evaluations.values()], updates: [...updates.values()], checkpoints: [...checkpoints.values()] };
  const write = (path: string, bytes: Uint8Array | string) => {
    const target = join(outDir, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, bytes);
  };
  return {
    runIdTaken: async (id) => existsSync(join(outDir, id)),
    getRun: async (id) => (config?.run_id === id ? config : undefined),
    checkpoints: async () => [...checkpoints.values()],
    episodes: async () => [...episodes.values()],
    evaluations: async () => [...evaluations.values()],
    updates: async () => [...updates.values()],
    deleteUpdates: async (_id, from, to) => { for (const k of [...updates.keys()]) if (k >= from && k <= to) updates.delete(k); },
    dataset: async (id) => datasets.get(id) ?? null,
    records,
    async append(batch: RunBatch) {
      if (batch.config) config = batch.config as StoredRun;
      for (const e of batch.episodes ?? []) episodes.set(e.episode, e);
      for (const e of batch.evaluations ?? []) evaluations.set(e.step, e);
      for (const u of batch.updates ?? []) updates.set(u.update, u);
      for (const c of batch.checkpoints ?? []) checkpoints.set(c.name, c);
      if (!config) return;
      // the whole folder when it has a new checkpoint or the run ended; else the config, which says how far it got
      if (batch.checkpoints?.length || config.status !== 'running') {
        for (const [path, bytes] of Object.entries(await runFolderFiles(records()!))) write(path, bytes);
      } else write(`${config.run_id}/config.json`, configJson(config, algorithmSpec(config.algorithm).format));
    },
  };
}
