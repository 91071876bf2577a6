// A random policy that honours the masks: each copy draws uniformly among its allowed actions.
// What readiness checks, benchmarks and tests step environments with. Allocates nothing per call
// (a word view of a masks array is made once per array).
import type { Rng } from '../rng';

const wordViews = new WeakMap<Uint8Array, Uint32Array | null>();
let lastMasks: Uint8Array | null = null;
let lastWords: Uint32Array | null = null;

/** The masks as 32-bit words, or null where their bytes do not start on a word boundary. */
function wordsOf(masks: Uint8Array): Uint32Array | null {
  if (masks === lastMasks) return lastWords;
  let words = wordViews.get(masks);
  if (words === undefined) {
    words = masks.byteOffset % 4 === 0 ? new Uint32Array(masks.buffer, masks.byteOffset, masks.length >>> 2) : null;
    wordViews.set(masks, words);
  }
  lastMasks = masks;
  lastWords = words;
  return words;
}

/** For copies 0..n-1, an action drawn uniformly among those `masks` ([n, numActions], 1 = allowed) allow. */
export function randomAllowedActions(masks: Uint8Array, n: number, numActions: number, rng: Rng, out: Int32Array): Int32Array {
  // rows of whole words are read four masks at a time while every byte is 0 or 1 (the sum of a
  // word's bytes is then its product with 0x01010101, top byte); any other row byte by byte
  const words = numActions % 4 === 0 ? wordsOf(masks) : null, perRow = numActions >>> 2;
  for (let i = 0; i < n; i++) {
    const row = i * numActions;
    let allowed = 0, wordwise = words !== null;
    if (wordwise) {
      const w0 = row >>> 2;
      for (let w = w0; w < w0 + perRow; w++) {
        const x = words![w];
        if ((x & 0xfefefefe) !== 0) { wordwise = false; break; }
        allowed += Math.imul(x, 0x01010101) >>> 24;
      }
    }
    if (!wordwise) {
      allowed = 0;
      for (let a = 0; a < numActions; a++) allowed += masks[row + a];
    }
    let k = rng.int(allowed);
    if (wordwise) {
      // skip whole words to the one holding the k-th allowed action, then find it byte by byte
      const w0 = row >>> 2;
      for (let w = w0; w < w0 + perRow; w++) {
        const c = Math.imul(words![w], 0x01010101) >>> 24;
        if (k >= c) { k -= c; continue; }
        for (let a = (w - w0) * 4; a < numActions; a++) if (masks[row + a] && k-- === 0) { out[i] = a; break; }
        break;
      }
    } else {
      for (let a = 0; a < numActions; a++) if (masks[row + a] && k-- === 0) { out[i] = a; break; }
    }
  }
  return out;
}
