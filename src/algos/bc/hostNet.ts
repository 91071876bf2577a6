// The PolicyNet's forward pass in plain JavaScript on host copies of its weights: for one state
// (latency), ~21k multiply-adds for 34 → 128 → 128 → 4, far less than the bookkeeping and garbage
// of a dozen TensorFlow.js ops.

export interface HostNetwork {
  layers: { kernel: Float32Array; bias: Float32Array }[];
  activations: Float64Array[];
}

/** out = x · kernel + bias, kernel row-major [x.length, out.length]; zero inputs (ReLU's) are skipped. */
export function denseInto(x: ArrayLike<number>, kernel: Float32Array, bias: Float32Array, out: Float64Array): void {
  const width = out.length;
  for (let j = 0; j < width; j++) out[j] = bias[j];
  for (let i = 0; i < x.length; i++) {
    const xi = x[i];
    if (xi === 0) continue;
    const row = i * width;
    for (let j = 0; j < width; j++) out[j] += xi * kernel[row + j];
  }
}

export function argmax3(v: ArrayLike<number>, offset: number): number {
  let best = 0;
  if (v[offset + 1] > v[offset + best]) best = 1;
  if (v[offset + 2] > v[offset + best]) best = 2;
  return best;
}
/** The network's output (3 action logits, 1 strength logit) for one normalized state, ReLU between layers. */
export function hostForward(host: HostNetwork, input: Float32Array | Float64Array): Float64Array {
  let x: Float32Array | Float64Array = input;
  host.layers.forEach((layer, l) => {
    const out = host.activations[l];
    denseInto(x, layer.kernel, layer.bias, out);
    if (l < host.layers.length - 1) for (let j = 0; j < out.length; j++) if (out[j] < 0) out[j] = 0; // ReLU
    x = out;
  });
  return host.activations[host.activations.length - 1];
}
