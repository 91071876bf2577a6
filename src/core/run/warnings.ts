// Health warnings that stay: an algorithm's health check looks at the updates (and evaluations)
// so far and names what is wrong under a key; the run keeps each key once, with the update where
// it first fired (StoredRun.warnings). Runs stored before warnings were kept get theirs by
// replaying the check over their stored updates. Pure: the check is passed in.
import type { EvaluationRecord, RunWarning, UpdateRecord } from './contracts';

/** One thing a health check finds wrong now. */
export interface HealthWarning {
  /** The kind of failure ("entropy_low", "learns_nothing"), so a repeat is kept once. */
  key: string;
  text: string;
}

/** What a health check reads: the run so far. */
export interface HealthInput {
  updates: readonly UpdateRecord[];
  evaluations?: readonly EvaluationRecord[];
  /** The run started from a trained policy (behavior cloning, fine-tuning): confident from its first update. */
  startedFromPolicy?: boolean;
}

export type HealthCheck = (input: HealthInput) => HealthWarning[];

/** The warnings a run has raised, each kept once with the update where it first fired. */
export class WarningLog {
  private readonly seen = new Set<string>();

  constructor(readonly warnings: RunWarning[] = []) {
    for (const w of warnings) this.seen.add(w.key);
  }

  /** Keeps those not seen before, at `update`; returns the new ones. */
  note(update: number, found: readonly HealthWarning[]): RunWarning[] {
    const added: RunWarning[] = [];
    for (const f of found) {
      if (this.seen.has(f.key)) continue;
      this.seen.add(f.key);
      const w = { update, key: f.key, text: f.text };
      this.warnings.push(w);
      added.push(w);
    }
    return added;
  }
}

/**
 * The warnings a stored run would have kept: the check run after each update (with the
 * evaluations made by then), each key kept at its first firing.
 */
export function replayWarnings(check: HealthCheck, updates: readonly UpdateRecord[], evaluations: readonly EvaluationRecord[] = [], startedFromPolicy = false): RunWarning[] {
  const log = new WarningLog();
  const evals = [...evaluations].sort((a, b) => a.step - b.step);
  // an ensemble's members each have their own updates: judge each member's series alone
  const members = [...new Set(updates.map((u) => u.member))];
  for (const member of members) {
    const own = updates.filter((u) => u.member === member);
    let e = 0;
    for (let i = 0; i < own.length; i++) {
      while (e < evals.length && evals[e].step <= own[i].step) e++;
      log.note(own[i].update, check({ updates: own.slice(0, i + 1), evaluations: evals.slice(0, e), startedFromPolicy }));
    }
  }
  return log.warnings.sort((a, b) => a.update - b.update);
}

/** A run's kept warnings, or for a run stored before they were kept, the replayed ones. */
export function runWarnings(stored: readonly RunWarning[] | undefined, check: HealthCheck | undefined, updates: readonly UpdateRecord[], evaluations: readonly EvaluationRecord[] = [], startedFromPolicy = false): { warnings: RunWarning[]; replayed: boolean } {
  if (stored) return { warnings: [...stored].sort((a, b) => a.update - b.update), replayed: false };
  return { warnings: check ? replayWarnings(check, updates, evaluations, startedFromPolicy) : [], replayed: true };
}
