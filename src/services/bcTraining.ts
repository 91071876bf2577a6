// Behavior cloning in the training worker: the offline data (a stored offline dataset, or one the
// teacher ensemble labels from stored candles), one PolicyNet per seed, the ensemble's majority
// vote, the classifier report, and a backtest on the held-out segment beside the teacher.
import { BROWSER_BACKENDS } from '../algos/backends-browser';
import { selectBackend, type BackendTrial } from '../algos/backend';
import { bcPolicy, ensemblePredict, ppoPolicyFromBc, trainEnsemble, type BcEpochMetrics, type BcHyperparameters, type EnsembleMemberReport } from '../algos/bc';
import type { InitialPolicy } from '../algos/ppo';
import { marketFeaturesCached } from '../core/features/market';
import { STATE_SIZE } from '../core/features/layout';
import { splitByTime } from '../core/env/types';
import { generateOfflineDataset, teacherPolicy } from '../core/offline/teacher';
import { backtestPolicy, overfittingSigns, type BacktestResult, type ClassifierReport } from '../core/offline/metrics';
import type { BackendChoice } from '../core/run/config';
import { openLabDb, type LabDb } from '../store/db';
import { getDatasetMeta, loadCandleColumns, loadColumn } from '../store/datasets';

export interface BcRequest {
  datasetId: string;
  hp: Partial<BcHyperparameters>;
  seeds: number[];
  backend: BackendChoice;
  backendTrials?: BackendTrial[];
}

export interface BcResult {
  source: { kind: 'offline' | 'teacher'; samples: number; actionCounts: number[] };
  backend: string;
  members: EnsembleMemberReport[];
  ensembleAccuracy: number;
  report: ClassifierReport;
  overfitting: string[];
  backtest: { policy: BacktestResult; teacher: BacktestResult } | null;
  /** Training speed (mean over the epochs after the first, which warms up) and one-state predict latency. */
  samplesPerSecond: number;
  predictMs: { p50: number; p99: number };
}

export interface BcProgress {
  status: 'starting' | 'training' | 'completed' | 'stopped' | 'failed';
  message?: string;
  member?: { seed: number; index: number; of: number };
  epoch?: BcEpochMetrics;
  result?: BcResult;
}

let dbPromise: Promise<LabDb> | null = null;
const db = () => (dbPromise ??= openLabDb());
let stopRequested = false;
let running = false;

/** The last PolicyNet trained in this worker, kept for a PPO run to start from (fine-tuning). */
export interface BcPolicyForPpo {
  datasetId: string;
  seed: number;
  bestEpoch: number;
  hiddenDim: number;
  numLayers: number;
  policy: InitialPolicy;
}
let lastPolicy: BcPolicyForPpo | null = null;

export function latestBcPolicy(): BcPolicyForPpo | null {
  return lastPolicy;
}

export function stopBc(): void {
  stopRequested = true;
}

export async function trainBc(req: BcRequest, onProgress: (p: BcProgress) => void): Promise<BcResult> {
  if (running) throw new Error('Behavior cloning is already running in this tab.');
  running = true;
  stopRequested = false;
  try {
    const database = await db();
    const meta = await getDatasetMeta(database, req.datasetId);
    if (!meta || meta.deletedAt) throw new Error('That dataset no longer exists.');
    onProgress({ status: 'starting', message: 'Loading the data…' });
    let data: { states: Float32Array; actions: Int32Array; strengths: Float32Array; width: number };
    let source: BcResult['source'];
    let backtest: ((policy: (s: Float32Array, row: number) => Promise<number>) => Promise<BcResult['backtest']>) | null = null;
    if (meta.kind === 'offline') {
      const [states, actions, strengths] = await Promise.all(['states', 'actions', 'strengths'].map((name) => loadColumn(database, meta, name)));
      if (states?.type !== 'matrix' || actions?.type !== 'number' || strengths?.type !== 'number') throw new Error(`"${meta.name}" is not a states / actions / strengths dataset.`);
      data = { states: states.values, width: states.width, actions: Int32Array.from(actions.values), strengths: Float32Array.from(strengths.values) };
      const counts = [0, 0, 0];
      for (const a of data.actions) counts[a]++;
      source = { kind: 'offline', samples: data.actions.length, actionCounts: counts };
    } else if (meta.kind === 'candles') {
      const candles = await loadCandleColumns(database, meta);
      const features = marketFeaturesCached(`${meta.id}:${meta.source.sha256}`, candles);
      const segments = splitByTime(features.rows, features.firstValidRow, 0.2);
      onProgress({ status: 'starting', message: 'The teacher ensemble labels the training segment…' });
      // the later segment stays unseen: it is where the policy and the teacher are backtested
      const offline = generateOfflineDataset(features, candles, { start: segments.train.start, end: segments.train.end });
      data = { states: offline.states, actions: offline.actions, strengths: offline.strengths, width: STATE_SIZE };
      source = { kind: 'teacher', samples: offline.actions.length, actionCounts: offline.actionCounts };
      backtest = async (policy) => ({
        policy: await backtestPolicy(features, candles, segments.eval, policy),
        teacher: await backtestPolicy(features, candles, segments.eval, teacherPolicy(features)),
      });
    } else {
      throw new Error(`"${meta.name}" holds ${meta.kind} data; behavior cloning needs candles or an offline dataset.`);
    }
    onProgress({ status: 'starting', message: 'Choosing the backend…' });
    const hidden = Array<number>(req.hp.num_layers ?? 2).fill(req.hp.hidden_dim ?? 128);
    const selection = await selectBackend(req.backend, { obsSize: data.width, numActions: 3, hidden, batch: req.hp.batch_size ?? 256 }, BROWSER_BACKENDS, req.backendTrials);
    const seeds = req.seeds.length ? req.seeds : [1];
    const ensemble = await trainEnsemble(seeds, {
      hp: req.hp,
      data,
      sink: (seed) => ({
        epoch: (m) => onProgress({ status: 'training', member: { seed, index: seeds.indexOf(seed) + 1, of: seeds.length }, epoch: m }),
        checkpoint() {},
      }),
      control: { stopRequested: () => stopRequested },
    });
    try {
      const members = ensemble.members.map((m) => ({ predictBatch: (s: Float32Array) => m.predictBatch(s) }));
      const policy = async (state: Float32Array) => (await ensemblePredict(members, state)).actions[0];
      // speed: the epochs after each member's first; latency: one state through the first member
      const speeds = ensemble.members.flatMap((m) => m.history.slice(1).map((h) => h.samples_per_s));
      const first = ensemble.members[0];
      const checkpoint = await first.checkpoint('best', 'completed');
      lastPolicy = { datasetId: req.datasetId, seed: seeds[0], bestEpoch: first.bestEpoch, hiddenDim: checkpoint.hidden_dim, numLayers: checkpoint.num_layers, policy: ppoPolicyFromBc(checkpoint) };
      const state = data.states.subarray(0, data.width);
      const times: number[] = [];
      for (let k = 0; k < 520; k++) {
        const t0 = performance.now();
        await first.predict(state);
        if (k >= 20) times.push(performance.now() - t0);
      }
      times.sort((a, b) => a - b);
      const result: BcResult = {
        samplesPerSecond: speeds.length ? speeds.reduce((a, b) => a + b, 0) / speeds.length : first.history[0]?.samples_per_s ?? 0,
        predictMs: { p50: times[Math.floor(times.length / 2)], p99: times[Math.floor(times.length * 0.99)] },
        source,
        backend: selection.backend,
        members: ensemble.reports,
        ensembleAccuracy: ensemble.ensemble.eval_acc,
        report: ensemble.ensemble.report,
        overfitting: overfittingSigns(ensemble.members[0].history),
        backtest: backtest ? await backtest(ensemble.members.length === 1 ? bcPolicy(ensemble.members[0]) : policy) : null,
      };
      onProgress({ status: stopRequested ? 'stopped' : 'completed', result });
      return result;
    } finally {
      for (const m of ensemble.members) m.dispose();
    }
  } catch (e) {
    onProgress({ status: 'failed', message: (e as Error).message });
    throw e;
  } finally {
    running = false;
  }
}
