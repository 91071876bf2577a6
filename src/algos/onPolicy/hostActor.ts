// Acting in rollouts on host copies of a policy (and its value network), through the lab's kernel:
// a rollout step makes no backend call, so a GPU backend is not held up by a read-back per step.
// A learner that trains on TensorFlow.js refreshes the copies once per update (one read-back);
// one that trains on the kernel acts on its own weights directly.
import type { StoredTensor } from '../../core/run/contracts';
import { KernelMlps } from '../kernels/mlps';
import { MASKED_LOGIT } from './buffer';

/**
 * One forward pass of `n` observations through net `policy` (and `value`, or 0 without one):
 * rows of [log-probabilities of the A actions, disallowed ones near −1e9, value].
 */
export function actRows(mlps: KernelMlps, policy: number, value: number | null, obs: Float32Array, masks: Uint8Array, n: number, out: Float32Array): Float32Array {
  const D = mlps.inputWidth, A = mlps.nets[policy].spec.sizes[mlps.nets[policy].spec.sizes.length - 1], W = A + 1;
  const input = mlps.inputIndex(n);
  const heap = mlps.heap;
  heap.set(obs.subarray(0, n * D), input);
  mlps.forward(policy, n);
  if (value !== null) mlps.forward(value, n);
  const at = mlps.outputIndex(policy), stride = mlps.outputStride(policy);
  const vAt = value === null ? 0 : mlps.outputIndex(value), vStride = value === null ? 0 : mlps.outputStride(value);
  for (let i = 0; i < n; i++) {
    // float32 throughout, as TensorFlow.js's logSoftmax of the masked logits (made once, in `out`)
    const row = i * W;
    let top = -Infinity;
    for (let a = 0; a < A; a++) {
      const logit = Math.fround(heap[at + i * stride + a] + (masks[i * A + a] ? 0 : MASKED_LOGIT));
      out[row + a] = logit;
      if (logit > top) top = logit;
    }
    let sum = 0;
    for (let a = 0; a < A; a++) sum += Math.exp(out[row + a] - top);
    const lse = top + Math.log(sum);
    for (let a = 0; a < A; a++) out[row + a] -= lse;
    out[row + A] = value === null ? 0 : heap[vAt + i * vStride];
  }
  return out;
}

/** Host copies of a policy (and value network) that a TensorFlow.js learner acts with. */
export class HostActor {
  private readonly mlps: KernelMlps;
  private stale = true;

  constructor(sizes: { policy: number[]; value: number[] | null }, activation: 'tanh' | 'relu') {
    const specs = [{ sizes: sizes.policy, activation }, ...(sizes.value ? [{ sizes: sizes.value, activation }] : [])];
    this.mlps = new KernelMlps(specs, 0, 16);
  }

  /** The learner's weights changed (an update, a restore): the copies are read again before the next act. */
  invalidate(): void {
    this.stale = true;
  }

  async act(obs: Float32Array, masks: Uint8Array, n: number, read: () => Promise<{ policy: StoredTensor[]; value: StoredTensor[] | null }>): Promise<Float32Array> {
    if (this.stale) {
      const w = await read();
      this.mlps.writeWeights(0, w.policy);
      if (w.value) this.mlps.writeWeights(1, w.value);
      this.stale = false;
    }
    const W = this.mlps.nets[0].spec.sizes[this.mlps.nets[0].spec.sizes.length - 1] + 1;
    // a fresh array per call, as a read-back gives: callers may keep one while acting again
    return actRows(this.mlps, 0, this.mlps.nets.length > 1 ? 1 : null, obs, masks, n, new Float32Array(n * W));
  }
}
