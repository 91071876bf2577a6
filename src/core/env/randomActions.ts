// A random policy that honours the masks: each copy draws uniformly among its allowed actions.
// What readiness checks, benchmarks and tests step environments with. Allocates nothing.
import type { Rng } from '../rng';

/** For copies 0..n-1, an action drawn uniformly among those `masks` ([n, numActions], 1 = allowed) allow. */
export function randomAllowedActions(masks: Uint8Array, n: number, numActions: number, rng: Rng, out: Int32Array): Int32Array {
  for (let i = 0; i < n; i++) {
    const row = i * numActions;
    let allowed = 0;
    for (let a = 0; a < numActions; a++) allowed += masks[row + a];
    let k = rng.int(allowed);
    for (let a = 0; a < numActions; a++) if (masks[row + a] && k-- === 0) { out[i] = a; break; }
  }
  return out;
}
