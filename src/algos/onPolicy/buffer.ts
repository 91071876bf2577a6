// The rollout buffer of an on-policy algorithm (Stable-Baselines3's RolloutBuffer): T steps of N
// copies, stored time-major ([t, copy]) in typed arrays allocated once, and generalized advantage
// estimation over them.

/** Logit offset of a disallowed action: it gets no probability. */
export const MASKED_LOGIT = -1e9;

export class RolloutBuffer {
  readonly obs: Float32Array; // [T·N, D], normalized as the policy saw them
  readonly maskOffsets: Float32Array; // [T·N, A]: 0 allowed, MASKED_LOGIT disallowed
  readonly actions: Int32Array;
  readonly logp: Float32Array;
  readonly rewards: Float32Array;
  /** 1 where the observation at that step began a new episode. */
  readonly starts: Float32Array;
  readonly values: Float32Array;
  readonly advantages: Float32Array;
  readonly returns: Float32Array;

  constructor(readonly T: number, readonly N: number, readonly D: number, readonly A: number) {
    const B = T * N;
    this.obs = new Float32Array(B * D);
    this.maskOffsets = new Float32Array(B * A);
    this.actions = new Int32Array(B);
    this.logp = new Float32Array(B);
    this.rewards = new Float32Array(B);
    this.starts = new Float32Array(B);
    this.values = new Float32Array(B);
    this.advantages = new Float32Array(B);
    this.returns = new Float32Array(B);
  }

  get size(): number {
    return this.T * this.N;
  }

  /**
   * Generalized advantage estimation, backwards over the rollout: `lastValue(i)` is the value of
   * the observation after the last step in copy i, `lastDone[i]` whether that observation began a
   * new episode.
   */
  computeGae(lastValue: (i: number) => number, lastDone: Uint8Array, gamma: number, lambda: number): void {
    const { T, N } = this;
    for (let i = 0; i < N; i++) {
      let lastGae = 0;
      for (let t = T - 1; t >= 0; t--) {
        const k = t * N + i;
        const nextNonTerminal = t === T - 1 ? 1 - lastDone[i] : 1 - this.starts[k + N];
        const nextValue = t === T - 1 ? lastValue(i) : this.values[k + N];
        const delta = this.rewards[k] + gamma * nextValue * nextNonTerminal - this.values[k];
        lastGae = delta + gamma * lambda * nextNonTerminal * lastGae;
        this.advantages[k] = lastGae;
        this.returns[k] = lastGae + this.values[k];
      }
    }
  }
}
