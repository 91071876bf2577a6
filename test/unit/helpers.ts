import { importBytes, type ImportOutcome } from '../../src/core/data/importer';
import type { ColumnMapping, Dataset } from '../../src/core/data/types';
import type { BcData } from '../../src/algos/bc';
import { Rng } from '../../src/core/rng';

export const bytesOf = (text: string) => new TextEncoder().encode(text);

/** Imports text (or bytes) and expects a ready dataset. */
export async function importReady(content: string | Uint8Array, fileName = 'test.csv', mapping?: ColumnMapping): Promise<Dataset> {
  const out: ImportOutcome = await importBytes(typeof content === 'string' ? bytesOf(content) : content, fileName, { mapping });
  if (out.status !== 'ready') throw new Error(`expected ready, got ${out.status}: ${out.preview.reason}`);
  return out.dataset;
}

export function column(ds: Dataset, name: string): number[] {
  const i = ds.meta.columns.indexOf(name);
  const c = ds.columns[i];
  if (!c || c.type === 'text' || c.type === 'matrix') throw new Error(`no numeric column ${name}`);
  return Array.from(c.values);
}

export function textColumn(ds: Dataset, name: string): string[] {
  const c = ds.columns[ds.meta.columns.indexOf(name)];
  if (!c || c.type !== 'text') throw new Error(`no text column ${name}`);
  return Array.from(c.codes, (k) => c.dictionary[k]);
}

/** Gaussian states of `width` features; the class (by `priors`) shifts feature 0 by `shift[c]`. */
export function gaussianData(n: number, width: number, priors: number[], shift: number[], seed: number): BcData & { actions: Int32Array } {
  const rng = new Rng(seed);
  const states = new Float32Array(n * width), actions = new Int32Array(n), strengths = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = rng.next();
    const c = u < priors[0] ? 0 : u < priors[0] + priors[1] ? 1 : 2;
    actions[i] = c;
    for (let k = 0; k < width; k++) states[i * width + k] = rng.normal();
    states[i * width] += shift[c];
    strengths[i] = c === 0 ? 0.3 : 0.8;
  }
  return { states, actions, strengths, width };
}
