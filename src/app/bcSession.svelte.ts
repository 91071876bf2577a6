// The behavior-cloning session of this tab, as the page sees it; module state, so the result stays
// while the Train view shows a PPO fine-tuning run and comes back.
import type { BcProgress, BcResult } from '../services/bcTraining';

export const bcSession = $state({
  status: null as BcProgress['status'] | null,
  message: '',
  error: null as string | null,
  member: null as BcProgress['member'] | null,
  result: null as BcResult | null,
  datasetId: null as string | null,
  version: 0,
});

export const bcCurves = { x: [] as number[], trainLoss: [] as (number | null)[], valLoss: [] as (number | null)[], trainAcc: [] as (number | null)[], valAcc: [] as (number | null)[] };
