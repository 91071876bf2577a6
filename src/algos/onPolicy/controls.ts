// Settings a person may change while an on-policy run trains (learning rate, entropy coefficient,
// clip range). A learner takes a change at the start of its next update, never inside one, so
// every update runs on one set of values and the run's record of changes (StoredRun.controls)
// says exactly which updates used which.
import type { ControlName } from '../../core/run/contracts';

export type { ControlName };

/** Throws a plain-words error for a value the learner cannot take. */
export function checkControl(algorithm: string, supported: readonly ControlName[], name: ControlName, value: number): void {
  if (!supported.includes(name)) throw new Error(`${algorithm} has no ${name} to change (it takes ${supported.join(', ')})`);
  if (!Number.isFinite(value)) throw new Error(`${name} must be a finite number, got ${value}`);
  if (name === 'ent_coef' ? value < 0 : value <= 0) throw new Error(`${name} must be ${name === 'ent_coef' ? 'at least 0' : 'above 0'}, got ${value}`);
}

/**
 * A learner's live settings: the changes waiting for its next update, and the base learning rate
 * anneal_lr multiplies. A learning-rate change scales the optimizer's current rate by new / old
 * base, so an annealed rate keeps its fraction; the other changes are the learner's to apply.
 */
export class LiveControls {
  private readonly pending = new Map<ControlName, number>();

  constructor(
    private readonly algorithm: string,
    readonly names: readonly ControlName[],
    private base: number,
    /** The optimizer's current learning rate. */
    private readonly rate: { get(): number; set(value: number): void },
  ) {}

  /** The learning rate anneal_lr multiplies: the hyperparameter's, or the last change taken. */
  get baseLearningRate(): number {
    return this.base;
  }

  /** Checks a change now (a plain-words error) and keeps it for the next update. */
  set(name: ControlName, value: number): void {
    checkControl(this.algorithm, this.names, name, value);
    this.pending.set(name, value);
  }

  /** Applies a waiting learning rate; returns the other waiting changes (the last value per name), none left after. */
  take(): [ControlName, number][] {
    const others: [ControlName, number][] = [];
    for (const [name, value] of this.pending) {
      if (name !== 'learning_rate') others.push([name, value]);
      else {
        this.rate.set((this.rate.get() * value) / this.base);
        this.base = value;
      }
    }
    this.pending.clear();
    return others;
  }

  /**
   * On resume: the values in effect when the checkpoint was taken, at once, keeping the
   * optimizer's current rate (the checkpoint sets it); returns the changes the learner applies.
   */
  restore(values: Partial<Record<ControlName, number>>): [ControlName, number][] {
    for (const [name, value] of Object.entries(values) as [ControlName, number][]) this.set(name, value);
    const rate = this.rate.get();
    const others = this.take();
    this.rate.set(rate);
    return others;
  }
}
