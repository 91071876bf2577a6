// Appending a file to a stored dataset, in the data worker: the file is read with the dataset's
// own column mapping and time zone, compared with the rows the dataset already has, and what is
// new is written in one transaction (all or nothing). A trades dataset also takes files of trade
// outcomes, which complete the trades they name. No DOM.

import { importBytes, parseTable, type ImportPhase } from '../core/data/importer';
import { planAppend, tailStartFor } from '../core/data/append';
import { isOutcomeFile, planOutcomes } from '../core/data/tradeOutcomes';
import { joinDateAndTime, placeZonelessTimes } from '../core/data/reading';
import { DataError } from '../core/data/errors';
import { TRADE_OUTCOME_ROLES } from '../core/data/columns';
import type { Column, DatasetMeta, Issue } from '../core/data/types';
import { openLabDb, type LabDb } from '../store/db';
import { appendToDataset, getDatasetMeta, loadColumn, loadRows, updateDatasetCells } from '../store/datasets';

export interface AppendResult {
  meta: DatasetMeta;
  /** Rows added, rows of the file the dataset already had, trades an outcomes file completed. */
  added: number;
  dropped: number;
  completed: number;
  /** Nothing was new: the dataset was left as it was (its revision too). */
  unchanged: boolean;
  issues: Issue[];
  seconds: number;
}

export type AppendProgress = (phase: ImportPhase, fraction: number) => void;

let dbPromise: Promise<LabDb> | null = null;
function db(): Promise<LabDb> {
  dbPromise ??= openLabDb();
  return dbPromise;
}

export async function appendFile(
  datasetId: string,
  file: Blob & { name: string },
  options: { timeZone?: string } = {},
  onProgress: AppendProgress = () => {},
): Promise<AppendResult> {
  const started = performance.now();
  const store = await db();
  const meta = await getDatasetMeta(store, datasetId);
  if (!meta || meta.deletedAt) throw new Error('That dataset no longer exists; nothing was appended.');
  onProgress('reading', 0);
  const bytes = new Uint8Array(await file.arrayBuffer());
  if (bytes.length === 0) throw new DataError(file.name, 'the file is empty; nothing was appended');
  // zone-less times are read in the zone the dataset's were, unless the person says otherwise
  const timeZone = options.timeZone ?? meta.timeZone ?? 'UTC';
  const finish = (result: Omit<AppendResult, 'seconds'>): AppendResult => ({ ...result, seconds: (performance.now() - started) / 1000 });

  if (meta.kind === 'trades' && meta.columns.includes('trade_id')) {
    onProgress('parsing', 0);
    const { table } = placeZonelessTimes(joinDateAndTime(await parseTable(bytes, file.name)), timeZone);
    if (isOutcomeFile(table)) {
      onProgress('validating', 0);
      const names = ['trade_id', 'time', ...TRADE_OUTCOME_ROLES] as const;
      const existing = Object.fromEntries(await Promise.all(names.map(async (n) => [n, await loadColumn(store, meta, n)] as const))) as Record<(typeof names)[number], Column>;
      const plan = planOutcomes(meta, existing, table, file.name);
      const issues: Issue[] = [];
      if (plan.repeated) issues.push({ level: 'repaired', message: `${plan.repeated.toLocaleString('en-US')} outcome${plan.repeated === 1 ? '' : 's'} already recorded, identical, left as they were` });
      if (plan.completed === 0) return finish({ meta, added: 0, dropped: plan.repeated, completed: 0, unchanged: true, issues: [...issues, { level: 'info', message: 'nothing new: every outcome in the file is already recorded' }] });
      onProgress('saving', 0);
      await updateDatasetCells(store, meta, plan.meta, plan.cells);
      onProgress('saving', 1);
      return finish({ meta: plan.meta, added: 0, dropped: plan.repeated, completed: plan.completed, unchanged: false, issues });
    }
  }

  onProgress('parsing', 0);
  const outcome = await importBytes(bytes, file.name, { mapping: meta.mapping ?? null, acceptGuess: true, timeZone, onProgress });
  if (outcome.status !== 'ready') throw new DataError(file.name, 'the columns could not be matched with the dataset\'s');
  const incoming = outcome.dataset;
  onProgress('validating', 0.5);
  const existingTime = meta.kind === 'offline' ? null : ((await loadColumn(store, meta, meta.columns[0])) as { values: Float64Array }).values;
  const start = tailStartFor(meta, existingTime, incoming);
  const tail = { start, columns: start < meta.rows ? await loadRows(store, meta, start, meta.rows) : meta.columns.map(() => ({ type: 'number', values: new Float64Array(0) }) as Column) };
  const plan = planAppend(meta, incoming, tail, file.name);
  const issues = [...incoming.meta.issues.filter((i) => i.level !== 'info'), ...plan.issues];
  if (plan.added === 0) return finish({ meta, added: 0, dropped: plan.dropped, completed: 0, unchanged: true, issues });
  onProgress('saving', 0);
  await appendToDataset(store, meta, plan);
  onProgress('saving', 1);
  return finish({ meta: plan.meta, added: plan.added, dropped: plan.dropped, completed: 0, unchanged: false, issues });
}
