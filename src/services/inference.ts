// Playing a trained policy (seed 001's inference test): a run's best or final checkpoint on the
// held-out segment of a chosen dataset, N episodes, with the evaluation training uses (greedy,
// masks honoured); rewards, the trades marked on the price chart, and the latency of one
// decision. Runs in the training worker.
import * as tf from '@tensorflow/tfjs';
import { playEpisodes, meanStd } from '../algos/evaluate';
import { algorithmSpec } from '../algos/registry';
import { buildEnvironments, envSettingsOf } from '../core/env/build';
import { envSpec } from '../core/env/registry';
import type { TradeMarkerKind } from '../core/env/spec';
import type { LabDb } from '../store/db';
import { getDatasetMeta, storedDatasetSource } from '../store/datasets';
import { getRun, runCheckpoints } from '../store/runs';

export interface InferenceRequest {
  runId: string;
  checkpoint: 'best' | 'final';
  datasetId: string;
  episodes: number;
}

export interface InferenceTrade {
  episode: number;
  time: number;
  price: number;
  /** What the agent did at this bar, as its environment marks it (went long / short / flat, approved a long / short). */
  kind: TradeMarkerKind;
}

export interface InferenceResult {
  rewards: number[];
  mean: number;
  std: number;
  latencyMs: { p50: number; p99: number; mean: number };
  trades: InferenceTrade[];
  segment: { startTime: number; endTime: number };
  backend: string;
  checkpointStep: number;
}

/** Plays `req` with the backend already started (the caller starts one when none trains). */
export async function runInference(db: LabDb, req: InferenceRequest): Promise<InferenceResult> {
  const run = await getRun(db, req.runId);
  if (!run) throw new Error(`Run ${req.runId} is not in this browser.`);
  const algorithm = algorithmSpec(run.algorithm);
  const envId = typeof run.env === 'string' ? run.env : null;
  if (!envId || !algorithm.trainsOn.environments) throw new Error(`Run ${req.runId} trained ${algorithm.subject(run)} without an environment: its policy was evaluated on held-out data when it trained; playing episodes needs a run that trained on an environment.`);
  const stored = (await runCheckpoints(db, req.runId)).find((c) => c.name === req.checkpoint);
  if (!stored) throw new Error(`Run ${req.runId} has no ${req.checkpoint} checkpoint.`);
  const c = stored.checkpoint;
  const meta = await getDatasetMeta(db, req.datasetId);
  const spec = envSpec(envId);
  if (!meta || !spec.datasetKinds.includes(meta.kind)) throw new Error(`Choose a ${spec.datasetKinds.join(' or ')} dataset to play the policy on.`);
  const data = await spec.load(storedDatasetSource(db, meta));
  const n = Math.max(1, Math.min(64, Math.floor(req.episodes)));
  const settings = (run.env_settings ?? {}) as Record<string, unknown>;
  const envs = buildEnvironments(spec, data, settings, { copies: n, seed: Number(run.seed ?? 1), maxSteps: Number(run.max_steps ?? 256) });
  // episodes on the held-out segment, with a fixed seed: the same episodes every time
  const env = envs.makeEvalEnv(n, Number(run.seed ?? 1) + 1000);
  if (env.obsSize !== c.obsSize || env.numActions !== c.numActions) throw new Error(`The checkpoint expects ${c.obsSize} observations and ${c.numActions} actions; this environment has ${env.obsSize} and ${env.numActions}.`);
  const policy = (await algorithm.runtime()).actingPolicy(c, run);
  if (!policy) throw new Error(`${algorithm.title} policies cannot be played on an environment.`);
  try {
    const trades: InferenceTrade[] = [];
    const lastKind: (TradeMarkerKind | null)[] = new Array(n).fill(null);
    const D = env.obsSize;
    const envSettings = envSettingsOf(spec, settings);
    const { rewards } = await playEpisodes(policy, env, (actions, playing) => {
      for (let i = 0; i < n; i++) {
        if (!playing[i]) continue;
        const row = env.currentRow(i);
        const kind = spec.tradeMarker(actions[i], env.obs, i * D, envSettings);
        if (kind && (!spec.markChangesOnly || kind !== lastKind[i])) {
          trades.push({ episode: i + 1, time: data.time[row], price: spec.price(data, row), kind });
          lastKind[i] = kind;
        }
      }
    });
    // latency of one decision: normalize one observation, one forward pass, read back
    const single = env.obs.slice(0, D);
    const mask = env.masks.slice(0, env.numActions);
    const one = new Int32Array(1);
    const times: number[] = [];
    for (let k = 0; k < 220; k++) {
      const t0 = performance.now();
      await policy.act(single, mask, 1, one);
      if (k >= 20) times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    const { mean, std } = meanStd(rewards);
    return {
      rewards, mean, std, trades,
      latencyMs: { p50: times[Math.floor(times.length * 0.5)], p99: times[Math.floor(times.length * 0.99)], mean: times.reduce((a, b) => a + b, 0) / times.length },
      segment: { startTime: data.time[envs.segments.eval.start], endTime: data.time[envs.segments.eval.end - 1] },
      backend: tf.getBackend(),
      checkpointStep: stored.step,
    };
  } finally {
    policy.dispose();
  }
}
