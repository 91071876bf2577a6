// Ensembles (seed 002, "Ensemble of RL Policies"): one PolicyNet per seed, trained one after
// another on the same data, and their majority vote.
import { Rng } from '../../core/rng';
import { evaluateClassifier, type ClassifierReport } from '../../core/offline/metrics';
import { DEFAULT_BC, type BcHyperparameters } from './hyperparameters';
import { argmax3 } from './hostNet';
import { splitSamples } from './samples';
import { BcTrainer } from './trainer';
import type { BatchPrediction, BcCheckpoint, BcData, BcPrediction, BcSink, BcTrainControl } from './types';

/** A policy for the position environment's backtest: the trained network's greedy action. */
export function bcPolicy(model: { predict(state: Float32Array): Promise<BcPrediction> }): (state: Float32Array) => Promise<number> {
  return async (state) => (await model.predict(state)).action;
}

export interface EnsembleMember {
  predictBatch(states: Float32Array): Promise<BatchPrediction> | BatchPrediction;
}

/**
 * Majority vote of the members' actions per state, and their mean strength. Ties go to the lowest
 * action (HOLD, then BUY), as the seed's max(set(votes), key=votes.count) does on 0, 1, 2.
 * agreement = the winning action's share of the votes.
 */
export function majorityVote(predictions: readonly BatchPrediction[]): BatchPrediction & { agreement: Float32Array } {
  if (predictions.length === 0) throw new Error('an ensemble needs at least one member');
  const n = predictions[0].actions.length;
  for (const p of predictions) {
    if (p.actions.length !== n || p.strengths.length !== n) throw new Error(`members predicted different numbers of states (${p.actions.length} and ${n})`);
  }
  const actions = new Int32Array(n), strengths = new Float32Array(n), agreement = new Float32Array(n);
  const votes = [0, 0, 0];
  for (let i = 0; i < n; i++) {
    votes[0] = votes[1] = votes[2] = 0;
    let strength = 0;
    for (const p of predictions) {
      votes[p.actions[i]]++;
      strength += p.strengths[i];
    }
    const winner = argmax3(votes, 0);
    actions[i] = winner;
    strengths[i] = strength / predictions.length;
    agreement[i] = votes[winner] / predictions.length;
  }
  return { actions, strengths, agreement };
}

/** Every member's predictions on raw states (row-major), combined by majorityVote. */
export async function ensemblePredict(members: readonly EnsembleMember[], states: Float32Array): Promise<BatchPrediction & { agreement: Float32Array }> {
  const predictions: BatchPrediction[] = [];
  for (const m of members) predictions.push(await m.predictBatch(states));
  return majorityVote(predictions);
}

export interface EnsembleMemberReport {
  seed: number;
  outcome: 'completed' | 'stopped' | 'early_stopped';
  best_epoch: number;
  /** Accuracy on the member's own validation split at its best epoch (null without validation). */
  val_acc: number | null;
  /** Accuracy on the ensemble's evaluation samples (the same for every member and the ensemble). */
  eval_acc: number;
}

export interface EnsembleResult {
  members: BcTrainer[];
  reports: EnsembleMemberReport[];
  /** The majority vote on the evaluation samples. */
  ensemble: { eval_acc: number; report: ClassifierReport };
  /** Sample indices the members and the ensemble were compared on. */
  evaluationSamples: Int32Array;
}

/**
 * Trains one BcTrainer per seed, one after another, on the same data and hyperparameters (the
 * seed changes initial weights, shuffles and dropout; with val_split 'random' also the split),
 * then compares each member with the majority vote on common evaluation samples: by default the
 * last val_fraction of the samples, which is every member's own validation set under the default
 * chronological split. A stop request ends the ensemble after the member it interrupted.
 * The members stay alive (dispose them when done).
 */
export async function trainEnsemble(
  seeds: readonly number[],
  opts: {
    hp?: Partial<BcHyperparameters>;
    data: BcData;
    sink?: (seed: number) => BcSink;
    control?: BcTrainControl;
    evaluation?: Int32Array;
    /** A member's checkpoint to continue from; a final one of a member that finished is used as it is. */
    resume?: (seed: number) => BcCheckpoint | undefined;
  },
): Promise<EnsembleResult> {
  if (seeds.length === 0) throw new Error('trainEnsemble needs at least one seed');
  if (new Set(seeds).size !== seeds.length) throw new Error(`ensemble seeds must differ (got ${seeds.join(', ')})`);
  const hp = { ...DEFAULT_BC, ...opts.hp };
  const n = opts.data.actions.length, D = opts.data.width;
  const evaluationSamples = opts.evaluation ?? splitSamples(n, hp.val_fraction > 0 ? hp.val_fraction : 0.1, 'chronological', new Rng(1)).val;
  const evalStates = new Float32Array(evaluationSamples.length * D);
  const evalActions = new Int32Array(evaluationSamples.length);
  evaluationSamples.forEach((s, j) => {
    evalStates.set(opts.data.states.subarray(s * D, s * D + D), j * D);
    evalActions[j] = opts.data.actions[s];
  });

  const members: BcTrainer[] = [];
  const reports: EnsembleMemberReport[] = [];
  const predictions: BatchPrediction[] = [];
  try {
    for (const seed of seeds) {
      // a stop that came as a member finished ends the ensemble before the next one starts
      if (members.length && opts.control?.stopRequested?.()) break;
      const sink = opts.sink?.(seed) ?? { epoch() {}, checkpoint() {} };
      const resume = opts.resume?.(seed);
      const trainer = await BcTrainer.create({ hp: { ...hp, seed }, data: opts.data, sink, resume });
      members.push(trainer);
      const done = resume?.kind === 'final' && (resume.status === 'completed' || resume.status === 'early_stopped') ? resume.status : null;
      const outcome = done ?? (await trainer.train(opts.control));
      if (outcome === 'stopped' && trainer.epoch === 0 && members.length > 1) {
        // stopped before its first epoch: untrained, it would only add a random vote
        members.pop()!.dispose();
        break;
      }
      if (outcome === 'stopped') trainer.useBestWeights();
      const predicted = await trainer.predictBatch(evalStates);
      predictions.push(predicted);
      const best = trainer.history[trainer.bestEpoch - 1];
      reports.push({
        seed,
        outcome,
        best_epoch: trainer.bestEpoch,
        val_acc: best?.val_acc ?? null,
        eval_acc: evaluateClassifier(predicted.actions, evalActions).accuracy,
      });
      if (outcome === 'stopped') break;
    }
  } catch (e) {
    // a member that failed (diverged, bad data) takes the others down with it: free them all
    for (const m of members) m.dispose();
    throw e;
  }
  const report = evaluateClassifier(majorityVote(predictions).actions, evalActions);
  return { members, reports, ensemble: { eval_acc: report.accuracy, report }, evaluationSamples };
}
