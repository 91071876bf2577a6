// Playing a trained policy (seed 001's inference test): a run's best or final checkpoint on the
// held-out segment of a chosen dataset, N episodes, with the evaluation training uses (greedy,
// masks honoured); rewards, the trades marked on the price chart, and the latency of one
// decision. Runs in the training worker.
import * as tf from '@tensorflow/tfjs';
import { algorithmSpec } from '../algos/registry';
import { buildEnvironments, envSettingsOf } from '../core/env/build';
import { segmentEvaluator } from '../core/eval/evaluate';
import type { EvaluationRecord } from '../core/run/contracts';
import { envSpec } from '../core/env/registry';
import type { EnvSpec, TradeMarkerKind } from '../core/env/spec';
import { checkSetting } from '../core/settings';
import type { LabDb } from '../store/db';
import { getDatasetMeta, storedDatasetSource } from '../store/datasets';
import { getRun, runCheckpoints } from '../store/runs';

export interface InferenceRequest {
  runId: string;
  checkpoint: 'best' | 'final';
  datasetId: string;
  /** Settings the environment lets a person change for the play (its playSettings), over the run's own. */
  envSettings?: Record<string, unknown>;
}

/** One window of the test segment as played: its money, its portfolio at every step, its trades. */
export interface PlayedWindow {
  start_time: string | null;
  end_time: string | null;
  net_pnl_pct: number;
  /** The portfolio before each step's action, then as the episode ended: rows of the columns' values. */
  portfolio: number[][];
  trades: readonly Record<string, unknown>[];
}

export interface InferenceTrade {
  episode: number;
  time: number;
  price: number;
  /** What the agent did at this bar, as its environment marks it (went long / short / flat, approved a long / short). */
  kind: TradeMarkerKind;
}

export interface InferenceResult {
  /** The walk over the test segment, with net P&L, intervals, baselines and the verdict. */
  evaluation: EvaluationRecord;
  latencyMs: { p50: number; p99: number; mean: number };
  trades: InferenceTrade[];
  segment: { startTime: number; endTime: number; name: 'test' };
  backend: string;
  checkpointStep: number;
  /** The run was stored before its validation segment existed: its model was chosen on these same rows. */
  legacy: boolean;
  /** The played values of the environment's playSettings (the run's own where not changed). */
  played: Record<string, unknown>;
  /** Where the environment reports them: its portfolio columns, its trades table's columns and each window. */
  portfolioColumns: readonly { key: string; label: string }[];
  tradeColumns: readonly { key: string; label: string; digits?: number }[];
  windows: PlayedWindow[];
}

/** The play's own settings, each checked; only those the environment lets a person change. */
export function playOverrides(spec: EnvSpec, values: Record<string, unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values ?? {})) {
    const setting = spec.settings.find((s) => s.key === key);
    if (!setting || !(spec.playSettings ?? []).includes(key)) throw new Error(`${spec.id} policies are played with the run's own ${key}; it cannot be changed for a play.`);
    const problem = checkSetting(setting, value);
    if (problem) throw new Error(problem);
    out[key] = value;
  }
  return out;
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
  const settings = { ...((run.env_settings ?? {}) as Record<string, unknown>), ...playOverrides(spec, req.envSettings) };
  const maxSteps = Number(run.max_steps ?? 256);
  const envs = buildEnvironments(spec, data, settings, { copies: 1, seed: Number(run.seed ?? 1), maxSteps });
  // the test segment: the final evaluation's, walked window by window
  const test = segmentEvaluator(envs, data, 'test', envs.episodeSteps);
  if (spec.obsSize !== c.obsSize || spec.actionNames.length !== c.numActions) throw new Error(`The checkpoint expects ${c.obsSize} observations and ${c.numActions} actions; this environment has ${spec.obsSize} and ${spec.actionNames.length}.`);
  const policy = (await algorithm.runtime()).actingPolicy(c, run);
  if (!policy) throw new Error(`${algorithm.title} policies cannot be played on an environment.`);
  try {
    const trades: InferenceTrade[] = [];
    const lastKind: (TradeMarkerKind | null)[] = new Array(test.windows.starts.length).fill(null);
    const envSettings = envSettingsOf(spec, settings);
    let first: { obs: Float32Array; mask: Uint8Array } | null = null;
    const book = spec.portfolio, held = new Float64Array(book?.columns.length ?? 0);
    const portfolios: number[][][] = test.windows.starts.map(() => []);
    let records: unknown[] = [];
    const record = await test.evaluate((obs, masks, k, out) => policy.act(obs, masks, k, out), stored.step, {
      checkpoint: req.checkpoint,
      onWalk: (w) => { records = w.records; },
      // a trade marker where the environment says the agent traded (a position changed, a trade approved)
      beforeStep: (actions, playing, env) => {
        first ??= { obs: env.obs.slice(0, env.obsSize), mask: env.masks.slice(0, env.numActions) };
        for (let i = 0; i < env.numEnvs; i++) {
          if (!playing[i]) continue;
          if (book) { book.read(env, i, held); portfolios[i].push(Array.from(held)); }
          const row = env.currentRow(i);
          const kind = spec.tradeMarker(actions[i], env.obs, i * env.obsSize, envSettings);
          if (kind && (!spec.markChangesOnly || kind !== lastKind[i])) {
            trades.push({ episode: i + 1, time: data.time[row], price: spec.price(data, row), kind });
            lastKind[i] = kind;
          }
        }
      },
    });
    // latency of one decision: normalize one observation, one forward pass, read back
    const one = new Int32Array(1);
    const times: number[] = [];
    const probe = first as { obs: Float32Array; mask: Uint8Array } | null;
    for (let k = 0; probe && k < 220; k++) {
      const t0 = performance.now();
      await policy.act(probe.obs, probe.mask, 1, one);
      if (k >= 20) times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    const windows: PlayedWindow[] = (record.windows ?? []).map((w, i) => {
      const r = records[i];
      if (book && r) { book.readEnd(r, held); portfolios[i].push(Array.from(held)); }
      return { start_time: w.start_time, end_time: w.end_time, net_pnl_pct: w.net_pnl_pct, portfolio: portfolios[i], trades: r && spec.tradeTable ? spec.tradeTable.rows(r) : [] };
    });
    const envValues = envSettingsOf(spec, settings);
    return {
      played: Object.fromEntries((spec.playSettings ?? []).map((k) => [k, envValues[k]])),
      portfolioColumns: book?.columns ?? [],
      tradeColumns: spec.tradeTable?.columns ?? [],
      windows,
      evaluation: record,
      trades,
      latencyMs: { p50: times[Math.floor(times.length * 0.5)] ?? 0, p99: times[Math.floor(times.length * 0.99)] ?? 0, mean: times.reduce((a, b) => a + b, 0) / Math.max(1, times.length) },
      segment: { startTime: data.time[test.windows.segment.start], endTime: data.time[test.windows.segment.end - 1], name: 'test' },
      backend: tf.getBackend(),
      checkpointStep: stored.step,
      legacy: envs.legacy,
    };
  } finally {
    policy.dispose();
  }
}
