// The run training in a worker, as its controls see it: pause holds the trainer at its next
// between-updates (or between-epochs) point until resume; stop ends it there. PPO and behavior
// cloning each keep one.
export class TrainingSession {
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
    await new Promise<void>((resolve) => this.waiters.push(resolve));
  }
}
