// Playing a trained policy (seed 001's inference test): a run's best or final checkpoint, greedy
// actions, N episodes on the held-out segment of a chosen dataset; rewards, trades and the
// latency of single predictions. Runs in the training worker.
import * as tf from '@tensorflow/tfjs';
import { assignVariables, createMlp, disposeMlp, forward } from '../algos/mlp';
import { trySetBackend } from '../algos/backend';
import type { PpoCheckpoint } from '../algos/ppo';
import { ObservationNormalizer } from '../core/normalizer';
import { Rng } from '../core/rng';
import { marketFeaturesCached } from '../core/features/market';
import { openLabDb, type LabDb } from '../store/db';
import { getDatasetMeta, loadCandleColumns } from '../store/datasets';
import { getRun, runCheckpoints } from '../store/runs';
import { buildEnvironments } from './engine';
import { trainingStatus } from './training';
import { bcTrainingStatus } from './bcTraining';

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
  /** What the agent did at this bar: went long / short / flat (position) or approved a long / short (trade-approval). */
  kind: 'long' | 'short' | 'flat';
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

let dbPromise: Promise<LabDb> | null = null;
const db = () => (dbPromise ??= openLabDb());

export async function runInference(req: InferenceRequest): Promise<InferenceResult> {
  if (!trainingStatus().runId && !bcTrainingStatus().runId) {
    const error = (await trySetBackend('wasm')) && (await trySetBackend('cpu'));
    if (error) throw new Error(`No TensorFlow.js backend could start: ${error}`);
  }
  const database = await db();
  const run = await getRun(database, req.runId);
  if (!run) throw new Error(`Run ${req.runId} is not in this browser.`);
  if (run.algorithm !== 'PPO') throw new Error(`Run ${req.runId} is a behavior-cloning run: its policy was backtested on the held-out segment when it trained; playing episodes needs a PPO run.`);
  const stored = (await runCheckpoints(database, req.runId)).find((c) => c.name === req.checkpoint);
  if (!stored) throw new Error(`Run ${req.runId} has no ${req.checkpoint} checkpoint.`);
  const c = stored.checkpoint as PpoCheckpoint;
  const meta = await getDatasetMeta(database, req.datasetId);
  if (!meta || meta.kind !== 'candles') throw new Error('Choose a candle dataset to play the policy on.');
  const candles = await loadCandleColumns(database, meta);
  const features = marketFeaturesCached(`${meta.id}:${meta.source.sha256}`, candles);
  const n = Math.max(1, Math.min(64, Math.floor(req.episodes)));
  const envs = buildEnvironments(candles, features, run.env_settings, { ...run, n_envs: n });
  // episodes on the held-out segment, with a fixed seed: the same episodes every time
  const env = envs.makeEvalEnv(n, run.seed + 1000);
  if (env.obsSize !== c.obsSize || env.numActions !== c.numActions) throw new Error(`The checkpoint expects ${c.obsSize} observations and ${c.numActions} actions; this environment has ${env.obsSize} and ${env.numActions}.`);

  // the run's own activation: a PPO run fine-tuned from behavior cloning has ReLU layers
  const policy = createMlp('inference', [c.obsSize, ...c.netArch, c.numActions], 0.01, new Rng(1), run.activation ?? 'tanh');
  assignVariables(policy.layers.flatMap((l) => [l.kernel, l.bias]), c.weights.slice(0, 2 * policy.layers.length));
  const normalizer = c.normalizer ? new ObservationNormalizer(c.obsSize) : null;
  if (normalizer && c.normalizer) normalizer.setState(c.normalizer);
  const D = c.obsSize, A = c.numActions;
  const obs = new Float32Array(n * D);
  const greedy = async (input: Float32Array, rows: number, out: Int32Array) => {
    const logits = tf.tidy(() => forward(policy, tf.tensor2d(input, [rows, D])));
    const values = (await logits.data()) as Float32Array;
    logits.dispose();
    for (let i = 0; i < rows; i++) {
      let best = 0;
      for (let a = 1; a < A; a++) if (values[i * A + a] > values[i * A + best]) best = a;
      out[i] = best;
    }
  };
  try {
    env.reset();
    const actions = new Int32Array(n);
    const totals = new Float64Array(n);
    const finished = new Uint8Array(n);
    const trades: InferenceTrade[] = [];
    const lastKind: (InferenceTrade['kind'] | null)[] = new Array(n).fill(null);
    for (let guard = 0; finished.some((f) => !f) && guard < 100_000; guard++) {
      if (normalizer) normalizer.normalize(env.obs, obs, n); else obs.set(env.obs);
      await greedy(obs, n, actions);
      for (let i = 0; i < n; i++) {
        if (finished[i] || !env.currentRow) continue;
        const row = env.currentRow(i);
        // a trade marker where the agent changes its position (position) or approves (trade-approval)
        let kind: InferenceTrade['kind'] | null = null;
        if (run.env === 'position') kind = actions[i] === 1 ? 'long' : actions[i] === 2 ? (run.env_settings.allow_short ? 'short' : 'flat') : null;
        else if (actions[i] > 0) kind = env.obs[i * D + 34] > 0 ? 'long' : 'short';
        if (kind && (run.env !== 'position' || kind !== lastKind[i])) {
          trades.push({ episode: i + 1, time: candles.time[row], price: candles.close[row], kind });
          lastKind[i] = kind;
        }
      }
      env.step(actions);
      for (let i = 0; i < n; i++) {
        if (finished[i]) continue;
        totals[i] += env.rewards[i];
        if (env.dones[i]) finished[i] = 1;
      }
    }
    // latency of one decision: normalize one observation, one forward pass, read back
    const single = new Float32Array(D);
    const one = new Int32Array(1);
    const times: number[] = [];
    for (let k = 0; k < 220; k++) {
      const t0 = performance.now();
      if (normalizer) normalizer.normalize(env.obs, single, 1); else single.set(env.obs.subarray(0, D));
      await greedy(single, 1, one);
      if (k >= 20) times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    const rewards = Array.from(totals);
    const mean = rewards.reduce((a, b) => a + b, 0) / n;
    const std = Math.sqrt(rewards.reduce((a, b) => a + (b - mean) ** 2, 0) / n);
    return {
      rewards, mean, std, trades,
      latencyMs: { p50: times[Math.floor(times.length * 0.5)], p99: times[Math.floor(times.length * 0.99)], mean: times.reduce((a, b) => a + b, 0) / times.length },
      segment: { startTime: candles.time[envs.segments.eval.start], endTime: candles.time[envs.segments.eval.end - 1] },
      backend: tf.getBackend(),
      checkpointStep: stored.step,
    };
  } finally {
    disposeMlp(policy);
  }
}
