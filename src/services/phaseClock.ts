// Seconds spent in each phase of a long piece of work (reading, parsing, saving…), taken from the
// progress it reports, for its report and the benchmarks.
export interface PhaseClock<P extends string> {
  /** Passes progress on, and starts timing a phase when it changes. */
  report(phase: P, fraction: number): void;
  /** Ends the last phase: the whole work's seconds and each phase's. */
  stop(): { seconds: number; phaseSeconds: Partial<Record<P, number>> };
}

export function phaseClock<P extends string>(onProgress: (phase: P, fraction: number) => void): PhaseClock<P> {
  const started = performance.now();
  const phaseSeconds: Partial<Record<P, number>> = {};
  let phase: P | null = null;
  let since = started;
  const close = (now: number) => { if (phase) phaseSeconds[phase] = (phaseSeconds[phase] ?? 0) + (now - since) / 1000; };
  return {
    report(p, f) {
      if (p !== phase) {
        const now = performance.now();
        close(now);
        phase = p;
        since = now;
      }
      onProgress(p, f);
    },
    stop() {
      const now = performance.now();
      close(now);
      phase = null;
      return { seconds: (now - started) / 1000, phaseSeconds };
    },
  };
}
