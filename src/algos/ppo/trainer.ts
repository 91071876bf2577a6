// PPO: the on-policy runner with PPO's learner plugged in.
import { OnPolicyRunner, type OnPolicyCheckpoint, type OnPolicyTrainerOptions } from '../onPolicy/runner';
import type { PpoHyperparameters } from './hyperparameters';
import { PpoLearner } from './learner';

export type PpoCheckpoint = OnPolicyCheckpoint;

export interface PpoTrainerOptions extends OnPolicyTrainerOptions {
  hp: PpoHyperparameters;
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
