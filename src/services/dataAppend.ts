// Appending a file to a stored dataset, in the data worker: the file is read with the dataset's
// own column mapping and time zone, compared with the rows the dataset already has, and what is
// new is written in one transaction (all or nothing). A trades dataset also takes files of trade
// outcomes, which complete the trades they name. No DOM.

import { importBytes, parseTable, type ImportPhase } from '../core/data/importer';
import { lowerBound, planAppend } from '../core/data/append';
import { isOutcomeFile, planOutcomes } from '../core/data/tradeOutcomes';
import { joinDateAndTime, placeZonelessTimes } from '../core/data/reading';
import { DataError } from '../core/data/errors';
import { TRADE_OUTCOME_ROLES } from '../core/data/columns';
import type { Column, DatasetMeta, Issue } from '../core/data/types';
import { openLabDb, type LabDb } from '../store/db';
import { phaseClock } from './phaseClock';
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
  /** Seconds spent reading, parsing, comparing with the stored rows and saving. */
  phaseSeconds: Partial<Record<ImportPhase, number>>;
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
  const clock = phaseClock<ImportPhase>(onProgress);
  const report = clock.report;
  const store = await db();
  const meta = await getDatasetMeta(store, datasetId);
  if (!meta || meta.deletedAt) throw new Error('That dataset no longer exists; nothing was appended.');
  report('reading', 0);
  const bytes = new Uint8Array(await file.arrayBuffer());
  if (bytes.length === 0) throw new DataError(file.name, 'the file is empty; nothing was appended');
  // zone-less times are read in the zone the dataset's were, unless the person says otherwise
  const timeZone = options.timeZone ?? meta.timeZone ?? 'UTC';
  const finish = (result: Omit<AppendResult, 'seconds' | 'phaseSeconds'>): AppendResult => ({ ...result, ...clock.stop() });

  if (meta.kind === 'trades' && meta.columns.includes('trade_id')) {
    report('parsing', 0);
    const { table } = placeZonelessTimes(joinDateAndTime(await parseTable(bytes, file.name)), timeZone);
    if (isOutcomeFile(table)) {
      report('validating', 0);
      const names = ['trade_id', 'time', ...TRADE_OUTCOME_ROLES] as const;
      const existing = Object.fromEntries(await Promise.all(names.map(async (n) => [n, await loadColumn(store, meta, n)] as const))) as Record<(typeof names)[number], Column>;
      const plan = planOutcomes(meta, existing, table, file.name);
      const issues: Issue[] = [];
      if (plan.repeated) issues.push({ level: 'repaired', message: `${plan.repeated.toLocaleString('en-US')} outcome${plan.repeated === 1 ? '' : 's'} already recorded, identical, left as they were` });
      if (plan.completed === 0) return finish({ meta, added: 0, dropped: plan.repeated, completed: 0, unchanged: true, issues: [...issues, { level: 'info', message: 'nothing new: every outcome in the file is already recorded' }] });
      report('saving', 0);
      await updateDatasetCells(store, meta, plan.meta, plan.cells);
      report('saving', 1);
      return finish({ meta: plan.meta, added: 0, dropped: plan.repeated, completed: plan.completed, unchanged: false, issues });
    }
  }

  report('parsing', 0);
  const outcome = await importBytes(bytes, file.name, { mapping: meta.mapping ?? null, acceptGuess: true, timeZone, onProgress: report });
  if (outcome.status !== 'ready') throw new DataError(file.name, 'the columns could not be matched with the dataset\'s');
  const incoming = outcome.dataset;
  report('validating', 0.5);
  const start = await tailStart(store, meta, incoming);
  const tail = { start, columns: start < meta.rows ? await loadRows(store, meta, start, meta.rows) : meta.columns.map(() => ({ type: 'number', values: new Float64Array(0) }) as Column) };
  const plan = planAppend(meta, incoming, tail, file.name);
  const issues = [...incoming.meta.issues.filter((i) => i.level !== 'info'), ...plan.issues];
  if (plan.added === 0) return finish({ meta, added: 0, dropped: plan.dropped, completed: 0, unchanged: true, issues });
  report('saving', 0);
  await appendToDataset(store, meta, plan);
  report('saving', 1);
  return finish({ meta: plan.meta, added: plan.added, dropped: plan.dropped, completed: 0, unchanged: false, issues });
}

/**
 * The first stored row the file could repeat: the first at or after the file's first time. Read
 * from the last chunk of times backwards, so a file that only brings rows after the end (the usual
 * append) reads one chunk at most.
 */
async function tailStart(store: LabDb, meta: DatasetMeta, incoming: { meta: DatasetMeta; columns: Column[] }): Promise<number> {
  if (meta.kind === 'offline' || incoming.meta.rows === 0 || meta.rows === 0) return meta.rows;
  const first = (incoming.columns[0] as { values: Float64Array }).values[0];
  if (meta.timeEnd !== null && first > meta.timeEnd) return meta.rows;
  for (let chunk = Math.ceil(meta.rows / meta.chunkRows) - 1; chunk >= 0; chunk--) {
    const from = chunk * meta.chunkRows;
    const times = ((await loadColumn(store, meta, meta.columns[0], from, Math.min(meta.rows, from + meta.chunkRows))) as { values: Float64Array }).values;
    if (times[0] < first || chunk === 0) return from + lowerBound(times, first);
  }
  return 0;
}
