import { importBytes, type ImportOutcome } from '../../src/core/data/importer';
import type { ColumnMapping, Dataset } from '../../src/core/data/types';

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
