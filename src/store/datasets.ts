// Datasets in IndexedDB: metadata in `datasets`, column chunks as typed arrays in `chunks`.
// A dataset is written in one transaction, so an import is all or nothing: a failure, a full
// disk or a closed tab aborts the transaction and leaves no trace.

import type { Column, Dataset, DatasetMeta } from '../core/data/types';
import type { CandleColumns } from '../core/features/layout';
import { candleColumnsFrom } from '../core/features/market';
import { isQuotaError, storageEstimate, StorageFullError, type LabDb, type LabSchema, type StoredChunk } from './db';
import type { IDBPObjectStore } from 'idb';
import { formatBytes } from '../core/data/format';
import type { DatasetSource } from '../core/env/spec';

function chunkValues(col: Column, start: number, end: number): StoredChunk['values'] {
  // slice, not subarray: a view would be cloned with its whole buffer
  switch (col.type) {
    case 'text': return col.codes.slice(start, end);
    case 'matrix': return col.values.slice(start * col.width, end * col.width);
    default: return col.values.slice(start, end);
  }
}

export async function saveDataset(db: LabDb, dataset: Dataset, onProgress?: (fraction: number) => void): Promise<void> {
  const { meta, columns } = dataset;
  const tx = db.transaction(['datasets', 'chunks'], 'readwrite');
  const chunks = tx.objectStore('chunks');
  const perColumn = Math.max(1, Math.ceil(meta.rows / meta.chunkRows));
  const total = perColumn * columns.length;
  let written = 0;
  const puts: Promise<unknown>[] = [];
  // Once one write fails the rest reject too; mark them handled so only the first error is reported.
  const track = (p: Promise<unknown>) => { p.catch(() => {}); puts.push(p); };
  track(tx.done);
  try {
    columns.forEach((col, c) => {
      for (let k = 0; k < perColumn; k++) {
        const start = k * meta.chunkRows;
        const end = Math.min(meta.rows, start + meta.chunkRows);
        track(chunks.put({ datasetId: meta.id, column: meta.columns[c], index: k, values: chunkValues(col, start, end) }).then(() => {
          written++;
          onProgress?.(written / total);
        }));
      }
    });
    // Metadata last: a dataset is listed only once all of it is there.
    track(tx.objectStore('datasets').put(meta));
    await Promise.all(puts);
  } catch (e) {
    try { tx.abort(); } catch { /* already finished */ }
    if (isQuotaError(e) || isQuotaError(tx.error)) {
      const est = await storageEstimate();
      throw new StorageFullError(est ? ` (${formatBytes(est.usage)} of ${formatBytes(est.quota)} used)` : '');
    }
    throw e;
  }
}

/** Datasets that are not deleted, newest first. */
export async function listDatasets(db: LabDb): Promise<DatasetMeta[]> {
  const all = await db.getAll('datasets');
  return all.filter((d) => !d.deletedAt).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

export async function getDatasetMeta(db: LabDb, id: string): Promise<DatasetMeta | undefined> {
  return db.get('datasets', id);
}

/** A stored column, whole or rows [start, end), rebuilt from its chunks. */
export async function loadColumn(db: LabDb, meta: DatasetMeta, name: string, start = 0, end = meta.rows): Promise<Column> {
  const c = meta.columns.indexOf(name);
  if (c < 0) throw new Error(`dataset "${meta.name}" has no column "${name}"`);
  const type = meta.columnTypes[c];
  const width = type === 'matrix' ? (meta.widths?.[name] ?? 1) : 1;
  const first = Math.floor(start / meta.chunkRows);
  const last = Math.max(first, Math.ceil(end / meta.chunkRows) - 1);
  // one request per chunk rather than one for the range: each chunk is then unpacked in a task of
  // its own (a few ms), where the range came back as one task of ~100 ms per million rows on the page
  const stored = (await Promise.all(Array.from({ length: last - first + 1 }, (_, k) => db.get('chunks', [meta.id, name, first + k])))).filter((c): c is StoredChunk => c !== undefined);
  const n = Math.max(0, end - start);
  const out = type === 'text' ? new Int32Array(n) : type === 'matrix' ? new Float32Array(n * width) : new Float64Array(n);
  for (const chunk of stored) {
    const chunkStart = chunk.index * meta.chunkRows;
    const from = Math.max(start, chunkStart);
    const to = Math.min(end, chunkStart + chunk.values.length / width);
    if (to <= from) continue;
    out.set(chunk.values.subarray((from - chunkStart) * width, (to - chunkStart) * width) as never, (from - start) * width);
  }
  if (type === 'text') return { type, codes: out as Int32Array, dictionary: meta.dictionaries?.[name] ?? [] };
  if (type === 'matrix') return { type, values: out as Float32Array, width };
  return { type, values: out as Float64Array };
}

/** Every column of rows [start, end). */
export async function loadRows(db: LabDb, meta: DatasetMeta, start: number, end: number): Promise<Column[]> {
  return Promise.all(meta.columns.map((name) => loadColumn(db, meta, name, start, end)));
}

export async function renameDataset(db: LabDb, id: string, name: string): Promise<DatasetMeta> {
  const trimmed = name.trim();
  if (!trimmed) throw new Error('A dataset needs a name.');
  const tx = db.transaction('datasets', 'readwrite');
  const meta = await tx.store.get(id);
  if (!meta) throw new Error('That dataset no longer exists.');
  meta.name = trimmed;
  await tx.store.put(meta);
  await tx.done;
  return meta;
}

/** Deletes undoably: the dataset disappears from the list but stays restorable until purged. */
export async function deleteDataset(db: LabDb, id: string): Promise<void> {
  const tx = db.transaction('datasets', 'readwrite');
  const meta = await tx.store.get(id);
  if (meta) {
    meta.deletedAt = new Date().toISOString();
    await tx.store.put(meta);
  }
  await tx.done;
}

export async function restoreDataset(db: LabDb, id: string): Promise<void> {
  const tx = db.transaction('datasets', 'readwrite');
  const meta = await tx.store.get(id);
  if (meta) {
    meta.deletedAt = null;
    await tx.store.put(meta);
  }
  await tx.done;
}

/** Removes a dataset and its chunks for good. */
export async function purgeDataset(db: LabDb, id: string): Promise<void> {
  const tx = db.transaction(['datasets', 'chunks'], 'readwrite');
  await Promise.all([
    tx.objectStore('chunks').delete(IDBKeyRange.bound([id, '', 0], [id, '\uffff', Infinity])),
    tx.objectStore('datasets').delete(id),
    tx.done,
  ]);
}

/** Purges datasets deleted more than `olderThanMs` ago, and chunks no dataset owns (never written whole). */
export async function purgeDeleted(db: LabDb, olderThanMs: number): Promise<number> {
  const all = await db.getAll('datasets');
  const now = Date.now();
  let purged = 0;
  for (const d of all) {
    if (d.deletedAt && now - Date.parse(d.deletedAt) >= olderThanMs) {
      await purgeDataset(db, d.id);
      purged++;
    }
  }
  const owned = new Set(all.map((d) => d.id));
  const chunkOwners = new Set(await db.getAllKeysFromIndex('chunks', 'byDataset').then((keys) => keys.map((k) => k[0])));
  for (const owner of chunkOwners) if (!owned.has(owner)) await purgeDataset(db, owner);
  return purged;
}

/** A stored candle dataset's columns, as the features and environments take them. */
export async function loadCandleColumns(db: LabDb, meta: DatasetMeta): Promise<CandleColumns> {
  const columns = new Map<string, Float64Array>();
  for (let c = 0; c < meta.columns.length; c++) {
    if (meta.columnTypes[c] !== 'number' && meta.columnTypes[c] !== 'time') continue;
    const col = await loadColumn(db, meta, meta.columns[c]);
    if (col.type === 'number' || col.type === 'time') columns.set(meta.columns[c], col.values);
  }
  return candleColumnsFrom((name) => columns.get(name) ?? null);
}

/** A stored dataset as environments and learners read datasets: its metadata and its columns on request. */
export function storedDatasetSource(db: LabDb, meta: DatasetMeta): DatasetSource {
  return { meta, column: async (name) => (meta.columns.includes(name) ? loadColumn(db, meta, name) : null) };
}

/** Removes column chunks whose dataset record is gone (what an interrupted older version could leave); run at start-up. */
export async function removeLeftoverChunks(db: LabDb): Promise<string[]> {
  const datasets = new Set(await db.getAllKeys('datasets'));
  const owners = new Set((await db.getAllKeys('chunks')).map((k) => k[0]));
  const orphans = [...owners].filter((id) => !datasets.has(id));
  for (const id of orphans) {
    const tx = db.transaction(['datasets', 'chunks'], 'readwrite');
    // a dataset saved since the keys were read keeps its chunks
    if ((await tx.objectStore('datasets').getKey(id)) === undefined) {
      await tx.objectStore('chunks').delete(IDBKeyRange.bound([id, '', 0], [id, '\uffff', Infinity]));
    }
    await tx.done;
  }
  return orphans;
}

/**
 * Writes an append in one transaction: the rows go after the dataset's last row (its last chunk
 * of each column filled up, then new chunks), then its metadata. Refused, writing nothing, when the
 * dataset changed since the append was planned (another append or a delete came first).
 */
export async function appendToDataset(db: LabDb, before: DatasetMeta, plan: { meta: DatasetMeta; columns: Column[]; added: number }): Promise<void> {
  await changeDataset(db, before, plan.meta, 'appended', async (chunks) => {
    const rowsBefore = before.rows, chunkRows = before.chunkRows;
    const lastIndex = Math.floor(rowsBefore / chunkRows);
    const filled = rowsBefore - lastIndex * chunkRows;
    // the last chunk of each column is partly filled: read (all at once), then written again with the first new rows
    const lastChunks = filled > 0 && plan.added > 0 ? await Promise.all(before.columns.map((name) => chunks.get([before.id, name, lastIndex]))) : [];
    const puts: Promise<unknown>[] = [];
    for (let c = 0; c < before.columns.length && plan.added > 0; c++) {
      const name = before.columns[c];
      const col = plan.columns[c];
      const width = col.type === 'matrix' ? col.width : 1;
      let from = 0; // appended rows written so far
      let index = lastIndex;
      if (filled > 0) {
        const last = lastChunks[c];
        if (!last) throw new Error(`Dataset "${before.name}" is missing a part of column "${name}"; nothing was appended.`);
        const take = Math.min(chunkRows - filled, plan.added);
        const merged = newValues(col, filled + take);
        merged.set(last.values.subarray(0, filled * width) as never, 0);
        merged.set(chunkValues(col, 0, take) as never, filled * width);
        puts.push(chunks.put({ datasetId: before.id, column: name, index, values: merged }));
        from = take;
        index++;
      }
      for (; from < plan.added; index++) {
        const to = Math.min(plan.added, from + chunkRows);
        puts.push(chunks.put({ datasetId: before.id, column: name, index, values: chunkValues(col, from, to) }));
        from = to;
      }
    }
    return puts;
  });
}

/**
 * One transaction that writes chunks of a stored dataset (what `write` returns) and then its new
 * metadata: refused, writing nothing, when the dataset changed since `before` was read (another
 * append or a delete came first); a full disk is said plainly.
 */
async function changeDataset(db: LabDb, before: DatasetMeta, meta: DatasetMeta, what: string, write: (chunks: ChunkStore) => Promise<Promise<unknown>[]>): Promise<void> {
  const tx = db.transaction(['datasets', 'chunks'], 'readwrite');
  const done = tx.done;
  done.catch(() => {});
  try {
    const current = await tx.objectStore('datasets').get(before.id);
    if (!current || current.deletedAt) throw new Error(`Dataset "${before.name}" no longer exists; nothing was ${what}.`);
    if ((current.revision ?? 1) !== (before.revision ?? 1) || current.rows !== before.rows) {
      throw new Error(`Dataset "${before.name}" changed while the file was read (now revision ${current.revision ?? 1}); nothing was ${what}. Try again.`);
    }
    const puts = await write(tx.objectStore('chunks'));
    puts.push(tx.objectStore('datasets').put(meta));
    await Promise.all(puts);
    await done;
  } catch (e) {
    try { tx.abort(); } catch { /* already finished */ }
    if (isQuotaError(e) || isQuotaError(tx.error)) {
      const est = await storageEstimate();
      throw new StorageFullError(est ? ` (${formatBytes(est.usage)} of ${formatBytes(est.quota)} used)` : '');
    }
    throw e;
  }
}

type ChunkStore = IDBPObjectStore<LabSchema, ['datasets', 'chunks'], 'chunks', 'readwrite'>;

function newValues(col: Column, rows: number): StoredChunk['values'] {
  switch (col.type) {
    case 'text': return new Int32Array(rows);
    case 'matrix': return new Float32Array(rows * col.width);
    default: return new Float64Array(rows);
  }
}

/**
 * Sets cells of existing rows (a trade's outcome arriving after the trade) and the metadata, in one
 * transaction; refused as appendToDataset is when the dataset changed meanwhile.
 */
export async function updateDatasetCells(db: LabDb, before: DatasetMeta, meta: DatasetMeta, cells: { column: string; rows: Int32Array; values: Float64Array }[]): Promise<void> {
  await changeDataset(db, before, meta, 'changed', async (chunks) => {
    const puts: Promise<unknown>[] = [];
    for (const { column, rows, values } of cells) {
      const byChunk = new Map<number, number[]>();
      for (let k = 0; k < rows.length; k++) {
        const index = Math.floor(rows[k] / before.chunkRows);
        let list = byChunk.get(index);
        if (!list) byChunk.set(index, (list = []));
        list.push(k);
      }
      for (const [index, ks] of byChunk) {
        const chunk = await chunks.get([before.id, column, index]);
        if (!chunk) throw new Error(`Dataset "${before.name}" is missing a part of column "${column}"; nothing was changed.`);
        const copy = (chunk.values as Float64Array).slice();
        for (const k of ks) copy[rows[k] - index * before.chunkRows] = values[k];
        puts.push(chunks.put({ ...chunk, values: copy }));
      }
    }
    return puts;
  });
}
