// The run training in a worker, as its controls see it: pause holds the trainer at its next
// between-updates (or between-epochs) point until resume; stop ends it there. One run trains in a
// worker at a time, PPO or behavior cloning: they share TensorFlow.js's one global backend.
import { liveRunIds } from '../store/locks';

let active: TrainingSession | null = null;

/** Takes the worker for a run; throws when one is training here already, or when this run trains in another tab. */
export async function claimWorker(session: TrainingSession, what: string, resuming: boolean): Promise<void> {
  if (active) throw new Error(`${active.label} (${active.runId}) is already training in this tab; stop it first.`);
  active = session;
  session.label = what;
  // a run resumed here while another tab trains it would undo that tab's work
  if (resuming && (await liveRunIds()).has(session.runId)) {
    active = null;
    throw new Error(`Run ${session.runId} is training in another tab.`);
  }
}

/** Gives the worker back (the run ended or failed to start). */
export function releaseWorker(session: TrainingSession): void {
  if (active === session) active = null;
}

export class TrainingSession {
  label = 'A run';
  paused = false;
  stopRequested = false;
  /** Settles when the run has ended and its last records are written. */
  done: Promise<unknown> = Promise.resolve();
  private waiters: (() => void)[] = [];

  constructor(public runId: string) {}

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    for (const wake of this.waiters.splice(0)) wake();
  }

  stop(): void {
    this.stopRequested = true;
    this.resume();
  }

  /** Called by the trainer between steps: returns at once unless paused, else when resumed or stopped; `onPause` runs first. */
  async waitIfPaused(onPause: () => void | Promise<void>): Promise<void> {
    if (!this.paused) return;
    await onPause();
    // a resume or stop may have come while onPause ran (it writes to IndexedDB): then go on
    if (!this.paused) return;
    await new Promise<void>((resolve) => this.waiters.push(resolve));
  }
}
