// The behavior-cloning run training in this tab, as the page sees it; module state, so the result
// stays while the Train view shows a PPO fine-tuning run and comes back, and the Runs view can
// continue an interrupted run here.
import type { BcProgress, BcRequest, BcResult } from '../services/bcTraining';
import type { BcEpochMetrics } from '../algos/bc';
import { onWorkerCrash, pauseBc, resumeBc, stopBc, trainBc } from './trainWorker';
import { isActive } from './liveRun.svelte';

export const bcSession = $state({
  runId: null as string | null,
  status: null as BcProgress['status'] | null,
  message: '',
  error: null as string | null,
  member: null as BcProgress['member'] | null,
  result: null as BcResult | null,
  datasetId: null as string | null,
  /** Epochs trained since this session began (members one after another). */
  epochs: 0,
  /** Points on the live curves: a continued run's earlier epochs, then this session's. */
  points: 0,
  version: 0,
});

/** Live curves: one point per epoch, members one after another. */
export const bcCurves = { x: [] as number[], trainLoss: [] as (number | null)[], valLoss: [] as (number | null)[], trainAcc: [] as (number | null)[], valAcc: [] as (number | null)[] };

export function isBcActive(): boolean {
  return bcSession.status === 'starting' || bcSession.status === 'training' || bcSession.status === 'paused';
}

/** Whether this tab's worker is busy with a run, PPO or behavior cloning (it trains one at a time). */
export function anyTrainingInTab(): boolean {
  return isActive() || isBcActive();
}

onWorkerCrash((m) => {
  if (!isBcActive()) return;
  bcSession.error = m;
  bcSession.status = 'failed';
});

function addPoint(e: BcEpochMetrics) {
  bcCurves.x.push(bcCurves.x.length + 1);
  bcCurves.trainLoss.push(e.train_loss);
  bcCurves.valLoss.push(e.val_loss);
  bcCurves.trainAcc.push(e.train_acc);
  bcCurves.valAcc.push(e.val_acc);
  bcSession.points = bcCurves.x.length;
}

/** Trains a new behavior-cloning run, or continues a stored one; resolves when it ends. */
export async function beginBc(request: BcRequest | { resumeRunId: string }, datasetId: string, afterProgress?: (p: BcProgress) => void): Promise<void> {
  if (anyTrainingInTab()) return; // the controls that call this are disabled meanwhile; the worker would refuse
  Object.assign(bcSession, { runId: 'resumeRunId' in request ? request.resumeRunId : null, error: null, result: null, message: '', member: null, datasetId, status: 'starting', epochs: 0, points: 0 });
  for (const arr of Object.values(bcCurves)) arr.length = 0;
  bcSession.version++;
  try {
    await trainBc(request, (p) => {
      if (p.runId) bcSession.runId = p.runId;
      bcSession.status = p.status;
      if (p.message !== undefined) bcSession.message = p.message;
      if (p.status === 'failed') bcSession.error = p.message ?? 'Behavior cloning failed.';
      if (p.member) bcSession.member = p.member;
      for (const e of p.earlierEpochs ?? []) addPoint(e);
      if (p.earlierEpochs?.length) bcSession.version++;
      if (p.epoch && p.member) {
        addPoint(p.epoch);
        bcSession.epochs++;
        bcSession.version++;
      }
      if (p.result) bcSession.result = p.result;
      afterProgress?.(p);
    });
  } catch (e) {
    bcSession.error = (e as Error).message;
    bcSession.status = 'failed';
  }
}

export const pauseBcRun = () => pauseBc();
export const resumeBcRun = () => resumeBc();
export const stopBcRun = () => stopBc();
