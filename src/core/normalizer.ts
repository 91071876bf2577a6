// Running mean and variance of observations (the parallel algorithm SB3's RunningMeanStd uses),
// saved with the model so inference normalizes exactly as training did.

export interface NormalizerState {
  mean: number[];
  var: number[];
  count: number;
  clip: number;
}

export class ObservationNormalizer {
  readonly size: number;
  readonly mean: Float64Array;
  readonly var: Float64Array;
  count = 1e-4;
  clip: number;

  constructor(size: number, clip = 10) {
    this.size = size;
    this.mean = new Float64Array(size);
    this.var = new Float64Array(size).fill(1);
    this.clip = clip;
  }

  /** Folds a batch of rows (row-major [n, size]) into the statistics. */
  update(batch: Float32Array, n: number): void {
    const d = this.size;
    for (let j = 0; j < d; j++) {
      let m = 0;
      for (let i = 0; i < n; i++) m += batch[i * d + j];
      m /= n;
      let v = 0;
      for (let i = 0; i < n; i++) { const x = batch[i * d + j] - m; v += x * x; }
      v /= n;
      const delta = m - this.mean[j];
      const total = this.count + n;
      const m2 = this.var[j] * this.count + v * n + (delta * delta * this.count * n) / total;
      this.mean[j] += (delta * n) / total;
      this.var[j] = m2 / total;
    }
    this.count += n;
  }

  /** Writes normalized, clipped rows into out (may be the same array as input). */
  normalize(input: Float32Array, out: Float32Array, n: number): void {
    const d = this.size, c = this.clip;
    for (let j = 0; j < d; j++) {
      const m = this.mean[j], s = 1 / Math.sqrt(this.var[j] + 1e-8);
      for (let i = 0; i < n; i++) {
        const z = (input[i * d + j] - m) * s;
        out[i * d + j] = z > c ? c : z < -c ? -c : z;
      }
    }
  }

  getState(): NormalizerState {
    return { mean: Array.from(this.mean), var: Array.from(this.var), count: this.count, clip: this.clip };
  }

  setState(s: NormalizerState): void {
    if (s.mean.length !== this.size) throw new Error(`normalizer has ${s.mean.length} features, expected ${this.size}`);
    this.mean.set(s.mean);
    this.var.set(s.var);
    this.count = s.count;
    this.clip = s.clip;
  }
}
