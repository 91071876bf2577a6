// Orthogonal weight initialization (Saxe et al.), drawn from the run's own seeded Rng so that
// a run is reproducible and TensorFlow.js's unseeded initializers are never used.
import type { Rng } from '../core/rng';

/** A rows × cols matrix (row-major) with orthonormal rows or columns, times gain. */
export function orthogonal(rows: number, cols: number, gain: number, rng: Rng): Float32Array {
  // Orthonormalize the columns of a tall n × k gaussian matrix (k <= n) by modified Gram-Schmidt.
  const tall = rows >= cols;
  const n = tall ? rows : cols, k = tall ? cols : rows;
  const q = new Float64Array(n * k);
  for (let i = 0; i < n * k; i++) q[i] = rng.normal();
  for (let j = 0; j < k; j++) {
    for (let p = 0; p < j; p++) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += q[i * k + j] * q[i * k + p];
      for (let i = 0; i < n; i++) q[i * k + j] -= dot * q[i * k + p];
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += q[i * k + j] ** 2;
    norm = Math.sqrt(norm) || 1;
    for (let i = 0; i < n; i++) q[i * k + j] /= norm;
  }
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[r * cols + c] = gain * (tall ? q[r * k + c] : q[c * k + r]);
  }
  return out;
}
