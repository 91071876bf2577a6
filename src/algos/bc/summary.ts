// What a trained behavior-cloning ensemble is reported as (evaluation.json and final_metrics), the
// same from the worker and the command line: the classifier report of the majority vote, each
// member beside it, the overfitting signs, a backtest when there are candles, training speed and
// the latency of one prediction.
import type { ActionChooser } from '../../core/env/position/backtest';
import type { BcBacktest } from '../../core/offline/bcSamples';
import { overfittingSigns } from '../../core/offline/metrics';
import type { BcEvaluation, BcFinalMetrics } from './config';
import { bcPolicy, ensemblePredict, type EnsembleResult } from './ensemble';
import type { BcData } from './types';

export async function summarizeEnsemble(result: EnsembleResult, data: BcData, source: BcEvaluation['source'], backtest: BcBacktest | null): Promise<BcEvaluation> {
  const first = result.members[0];
  const members = result.members.map((m) => ({ predictBatch: (s: Float32Array) => m.predictBatch(s) }));
  const vote: ActionChooser = async (state) => (await ensemblePredict(members, state)).actions[0];
  // speed: the epochs after each member's first (the first warms up)
  const speeds = result.members.flatMap((m) => m.history.slice(1).map((h) => h.samples_per_s));
  // latency: one state through the first member, after a warm-up
  const state = data.states.subarray(0, data.width);
  const times: number[] = [];
  for (let k = 0; k < 520; k++) {
    const t0 = performance.now();
    await first.predict(state);
    if (k >= 20) times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return {
    source,
    members: result.reports,
    ensemble_accuracy: result.ensemble.eval_acc,
    report: result.ensemble.report,
    overfitting_signs: overfittingSigns(first.history),
    backtest: backtest ? await backtest(result.members.length === 1 ? bcPolicy(first) : vote) : null,
    samples_per_s: speeds.length ? speeds.reduce((a, b) => a + b, 0) / speeds.length : first.history[0]?.samples_per_s ?? 0,
    predict_ms: { p50: times[Math.floor(times.length / 2)], p99: times[Math.floor(times.length * 0.99)] },
  };
}

export function bcFinalMetrics(result: EnsembleResult, evaluation: BcEvaluation): BcFinalMetrics {
  const first = result.members[0];
  return {
    best_epoch: first.bestEpoch || null,
    best_val_loss: first.bestValLoss,
    val_acc: evaluation.ensemble_accuracy,
    macro_f1: evaluation.report.macroF1,
    epochs_done: result.members.reduce((n, m) => n + m.epoch, 0),
  };
}
