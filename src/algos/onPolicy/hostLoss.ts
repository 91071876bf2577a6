// The policy-gradient losses of PPO and GRPO on the host, for learners that train on the lab's
// kernel (kernels/mlps.ts): each computes a minibatch's figures and writes the gradient of the
// loss with respect to the networks' outputs, exactly the derivatives TensorFlow.js's autodiff
// takes through the same graph (learner.ts's TensorFlow.js versions are the reference; ties in
// maximum / minimum go the way its gradients send them). A few thousand numbers per minibatch:
// plain JavaScript in float64.

/** A minibatch's rows of action logits (+ mask offsets) and where the gradient goes. */
export interface LogitRows {
  heap: Float32Array;
  /** Index of row 0's logits in heap, and the row stride (the padded output width). */
  at: number;
  stride: number;
  /** Where dL/dlogits goes, laid out as the logits; its padded columns are set to 0. */
  gradAt: number;
}

/**
 * Per row: the log-softmax of the masked logits, the taken action's log-probability, the
 * entropy. `mask` holds offsets (0 or MASKED_LOGIT) [M × A]; `logp` [M × A] receives the log-probabilities.
 */
export function maskedLogSoftmax(r: LogitRows, mask: Float32Array, M: number, A: number, logp: Float64Array): void {
  const { heap, at, stride } = r;
  for (let j = 0; j < M; j++) {
    let top = -Infinity;
    for (let a = 0; a < A; a++) top = Math.max(top, heap[at + j * stride + a] + mask[j * A + a]);
    let sum = 0;
    for (let a = 0; a < A; a++) sum += Math.exp(heap[at + j * stride + a] + mask[j * A + a] - top);
    const lse = top + Math.log(sum);
    for (let a = 0; a < A; a++) logp[j * A + a] = heap[at + j * stride + a] + mask[j * A + a] - lse;
  }
}

/** The entropy of row j of log-probabilities. */
export function rowEntropy(logp: Float64Array, j: number, A: number): number {
  let h = 0;
  for (let a = 0; a < A; a++) h -= Math.exp(logp[j * A + a]) * logp[j * A + a];
  return h;
}

/**
 * Back through log-softmax: dL/dlogit_b = g_b − p_b·Σ g, with g_a = dL/dlogp_a made of the taken
 * action's term and `entropyWeight` × d(entropy)/dlogp_a = −p_a(logp_a + 1).
 */
export function writeLogitGrads(r: LogitRows, logp: Float64Array, actions: Int32Array, dTaken: Float64Array, entropyWeight: number, M: number, A: number, g: Float64Array): void {
  const { heap, gradAt, stride } = r;
  for (let j = 0; j < M; j++) {
    let sum = 0;
    for (let a = 0; a < A; a++) {
      const lp = logp[j * A + a], p = Math.exp(lp);
      g[a] = (a === actions[j] ? dTaken[j] : 0) - entropyWeight * p * (lp + 1);
      sum += g[a];
    }
    for (let a = 0; a < A; a++) heap[gradAt + j * stride + a] = g[a] - Math.exp(logp[j * A + a]) * sum;
    for (let a = A; a < stride; a++) heap[gradAt + j * stride + a] = 0;
  }
}

/** d clip(x, low, high) / dx as TensorFlow.js's minimum(maximum(x, low), high) passes it. */
export function clipPasses(x: number, low: number, high: number): number {
  return x >= low && Math.max(x, low) <= high ? 1 : 0;
}
