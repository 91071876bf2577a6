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
 * Changes waiting for the next update. The learning rate scales the optimizer's current rate by
 * new / old base, so an annealed rate keeps its fraction (the runner's anneal_lr multiplies
 * `baseLearningRate`, which moves to the new value at the same moment).
 */
export class PendingControls {
  private readonly pending = new Map<ControlName, number>();

  set(name: ControlName, value: number): void {
    this.pending.set(name, value);
  }

  /** The waiting changes, in the order they came (the last value per name), and none left after. */
  take(): [ControlName, number][] {
    const out = [...this.pending.entries()];
    this.pending.clear();
    return out;
  }
}
