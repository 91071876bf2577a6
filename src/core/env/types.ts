// What every trading environment offers the algorithms: N copies stepped together over typed
// arrays, seeded, with action masks and per-episode records. No TensorFlow.js, no DOM.

export interface VecEnv<Episode = unknown> {
  readonly name: string;
  readonly numEnvs: number;
  readonly obsSize: number;
  readonly numActions: number;
  readonly actionNames: readonly string[];
  /** Current observations, row-major [numEnvs, obsSize]; rewritten in place by reset() and step(). */
  readonly obs: Float32Array;
  /** Reward of the last step per copy. */
  readonly rewards: Float32Array;
  /**
   * Net profit or loss of the last step per copy, after every fee and slippage, as a fraction of
   * the starting balance: over an episode it sums to the episode's net return, whatever the reward.
   */
  readonly pnl: Float32Array;
  /** 1 where the last step ended an episode; that copy was reset and obs holds its new first observation. */
  readonly dones: Uint8Array;
  /** Allowed actions for the current observations, row-major [numEnvs, numActions], 1 = allowed. */
  readonly masks: Uint8Array;
  /** Starts a new episode in every copy. */
  reset(): void;
  /**
   * Starts a new episode in copy i at bar `row` of the segment (GRPO puts a group of copies on one
   * market window). Its observation is written, its reward and done flag cleared. Allocates nothing.
   */
  startAt(i: number, row: number): void;
  /** Applies one action per copy (actions[i] for copy i). Allocates nothing. */
  step(actions: ArrayLike<number>): void;
  /** Records of the episodes finished since the last call, oldest first. */
  drainEpisodes(): Episode[];
  /** Everything needed to continue exactly from here (random state, per-copy state), as plain JSON. */
  getState(): unknown;
  setState(state: unknown): void;
  /** The bar copy i is at (inference views mark trades on it; startAt is checked against it). */
  currentRow(i: number): number;
}

/** Which bars an environment may use: training and evaluation segments split by time, never shuffled. */
export interface Segment {
  start: number; // first row (inclusive)
  end: number; // last row (exclusive)
}

/** Splits rows [first, rows) into a training segment and a later evaluation segment. */
export function splitByTime(rows: number, firstValidRow: number, evalFraction = 0.2): { train: Segment; eval: Segment } {
  const usable = rows - firstValidRow;
  const evalRows = Math.max(1, Math.floor(usable * evalFraction));
  const cut = rows - evalRows;
  return { train: { start: firstValidRow, end: cut }, eval: { start: cut, end: rows } };
}

/**
 * Train, validation and test segments, split by time in that order: the validation segment chooses
 * the model (best checkpoint, early stopping, comparing settings), the test segment is touched only
 * by the final evaluation and "Play the policy". Features near a segment's start look back into the
 * segment before it (past bars only). `validation` is null for a run stored before it existed.
 */
export interface Segments {
  train: Segment;
  validation: Segment | null;
  test: Segment;
}

export function splitSegments(rows: number, firstValidRow: number, validationFraction: number, testFraction: number): Segments {
  const usable = rows - firstValidRow;
  const testRows = Math.max(1, Math.floor(usable * testFraction));
  const validationRows = validationFraction > 0 ? Math.max(1, Math.floor(usable * validationFraction)) : 0;
  const testStart = rows - testRows;
  const validationStart = testStart - validationRows;
  return {
    train: { start: firstValidRow, end: validationStart },
    validation: validationRows ? { start: validationStart, end: testStart } : null,
    test: { start: testStart, end: rows },
  };
}
