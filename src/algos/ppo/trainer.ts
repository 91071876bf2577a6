// PPO: the on-policy runner with PPO's learner plugged in.
import type { VecEnv } from '../../core/env/types';
import { OnPolicyRunner, type Evaluator, type OnPolicyCheckpoint, type OnPolicySink } from '../onPolicy/runner';
import type { MlpPolicy } from '../spec';
import type { PpoHyperparameters } from './hyperparameters';
import { PpoLearner } from './learner';

export type PpoCheckpoint = OnPolicyCheckpoint;

export interface PpoTrainerOptions {
  hp: PpoHyperparameters;
  env: VecEnv;
  makeEvalEnv: (copies: number, seed: number) => VecEnv;
  sink: OnPolicySink;
  resume?: PpoCheckpoint;
  /** A trained policy to start from (its hidden and logit layers, and its input normalizer). */
  initialPolicy?: Pick<MlpPolicy, 'layers' | 'normalizer'>;
  /** How evaluations are made (a walk over the validation segment); without one, episodes on makeEvalEnv. */
  evaluator?: Evaluator;
}

export class PpoTrainer extends OnPolicyRunner {
  declare readonly learner: PpoLearner;

  private constructor(o: PpoTrainerOptions) {
    super(o.hp, o.env, o.makeEvalEnv, o.sink, (rng) => new PpoLearner(o.hp, o.env.obsSize, o.env.numActions, rng), o.evaluator);
  }

  /** A trainer with fresh networks (or a starting policy), or continuing from a checkpoint exactly where it was taken. */
  static async create(o: PpoTrainerOptions): Promise<PpoTrainer> {
    const trainer = new PpoTrainer(o);
    trainer.begin(o.resume, o.initialPolicy);
    return trainer;
  }
}

export { NonFiniteLossError } from '../onPolicy/runner';
export type { OnPolicySink as RunSink } from '../onPolicy/runner';
