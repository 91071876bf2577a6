// A checkpoint walked on another run's segment: two models compared on the same windows (a
// retrain's challenger against its champion, two versions of a registered model), each with
// net P&L per window and its interval beside buy-and-hold, never trading and the random band, as
// training evaluates. The backend must already be started (the caller's).
import { algorithmSpec } from '../algos/registry';
import { buildEnvironments } from '../core/env/build';
import { envSpec } from '../core/env/registry';
import { datasetAtRows, type DatasetSource } from '../core/env/spec';
import { segmentEvaluator } from '../core/eval/evaluate';
import type { EvaluationRecord, StoredCheckpoint, StoredRun } from '../core/run/contracts';

export interface SegmentPlay {
  /** The run whose policy plays, and which of its checkpoints. */
  run: StoredRun;
  checkpoint: StoredCheckpoint;
}

/**
 * Walks each policy over `which` segment of `segmentRun` (its environment, settings and the rows
 * its dataset had when it started). Refuses a policy whose observations or actions do not fit.
 */
export async function evaluateOnSegment(segmentRun: StoredRun, source: DatasetSource, which: 'validation' | 'test', plays: readonly SegmentPlay[]): Promise<EvaluationRecord[]> {
  const envId = typeof segmentRun.env === 'string' ? segmentRun.env : null;
  if (!envId) throw new Error(`Run ${segmentRun.run_id} did not train on an environment: its models are compared by the figures it recorded.`);
  const spec = envSpec(envId);
  const rows = typeof segmentRun.dataset_rows === 'number' ? segmentRun.dataset_rows : source.meta.rows;
  const data = await spec.load(datasetAtRows(source, rows));
  const settings = (segmentRun.env_settings ?? {}) as Record<string, unknown>;
  const envs = buildEnvironments(spec, data, settings, { copies: 1, seed: Number(segmentRun.seed ?? 1), maxSteps: Number(segmentRun.max_steps ?? 256) });
  const evaluator = segmentEvaluator(envs, data, which, envs.episodeSteps);
  const out: EvaluationRecord[] = [];
  for (const { run, checkpoint } of plays) {
    const c = checkpoint.checkpoint;
    if (c.obsSize !== spec.obsSize || c.numActions !== spec.actionNames.length) {
      throw new Error(`Run ${run.run_id}'s ${checkpoint.name} model takes ${c.obsSize} observations and ${c.numActions} actions; ${spec.id} has ${spec.obsSize} and ${spec.actionNames.length}.`);
    }
    const algorithm = algorithmSpec(run.algorithm);
    const policy = (await algorithm.runtime()).actingPolicy(c, run);
    if (!policy) throw new Error(`${algorithm.title} policies cannot be played on an environment.`);
    try {
      out.push(await evaluator.evaluate((obs, masks, n, actions) => policy.act(obs, masks, n, actions), checkpoint.step, { checkpoint: checkpoint.name }));
    } finally {
      policy.dispose();
    }
  }
  return out;
}
