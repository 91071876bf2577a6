// Offline (state, action, strength) datasets made from stored candles by the teacher ensemble,
// in the data worker: the new dataset is stored like an imported .npz. The labelling itself
// (teacherDataset) also serves candles that are not stored yet (generated scenarios).
import { buildDataset } from '../core/data/dataset';
import { sha256Hex } from '../core/data/importer';
import { writeNpz } from '../core/data/npz';
import type { Column, Dataset, DatasetMeta, Table, TeacherLink } from '../core/data/types';
import { computeMarketFeatures } from '../core/features/market';
import { STATE_SIZE, type CandleColumns } from '../core/features/layout';
import { generateOfflineDataset } from '../core/offline/teacher';
import { teacherTrainingRows } from '../core/offline/bcSamples';
import { openLabDb, type LabDb } from '../store/db';
import { getDatasetMeta, loadCandleColumns, saveDataset } from '../store/datasets';

let dbPromise: Promise<LabDb> | null = null;
const db = () => (dbPromise ??= openLabDb());

export async function makeTeacherDataset(datasetId: string): Promise<DatasetMeta> {
  const database = await db();
  const meta = await getDatasetMeta(database, datasetId);
  if (!meta || meta.kind !== 'candles') throw new Error('The teacher ensemble labels candle datasets only.');
  // the training part only, as behavior cloning on candles labels it: the held-out rows stay
  // unlabelled, and the link lets a run on this dataset backtest on them
  const dataset = await teacherDataset(await loadCandleColumns(database, meta), meta.name, {
    link: { datasetId: meta.id, name: meta.name, revision: meta.revision ?? 1, rows: meta.rows },
  });
  await saveDataset(database, dataset);
  return dataset.meta;
}

/**
 * The teacher ensemble's labels of candles (stored or just generated) as an offline dataset, not
 * yet stored. With `link` (a stored candle dataset) it labels that dataset's training part only and
 * keeps the link; without, every bar (generated scenarios: there is no held-out market to keep).
 */
export async function teacherDataset(candles: CandleColumns, sourceName: string, opts: { link?: Omit<TeacherLink, 'labelledRows'> } = {}): Promise<Dataset> {
  const features = computeMarketFeatures(candles);
  const rows = opts.link ? teacherTrainingRows(candles, features) : null;
  const offline = generateOfflineDataset(features, candles, rows ? { start: rows[0], end: rows[1] } : {});
  const n = offline.actions.length;
  if (n === 0) throw new Error(`"${sourceName}" is too short for the indicators to warm up (${features.firstValidRow} rows needed).`);
  const fileName = `${sourceName}-teacher.npz`;
  // the same bytes a download gives, so the stored hash and size describe a real file
  const npz = writeNpz({
    states: { values: offline.states, shape: [n, STATE_SIZE], dtype: '<f4' },
    actions: { values: offline.actions, shape: [n], dtype: '<i8' },
    strengths: { values: offline.strengths, shape: [n], dtype: '<f4' },
  }, false);
  const cols: Column[] = [
    { type: 'matrix', values: offline.states, width: STATE_SIZE },
    { type: 'number', values: Float64Array.from(offline.actions) },
    { type: 'number', values: Float64Array.from(offline.strengths) },
  ];
  const table: Table = { fileName, format: 'npz', rowCount: n, names: ['states', 'actions', 'strengths'], columns: cols, hasHeader: true, where: (r) => `row ${r + 1}` };
  const dataset = buildDataset(table, { kind: 'offline', roles: {} }, { fileName, format: 'npz', size: npz.length, sha256: await sha256Hex(npz) });
  dataset.meta.name = `${sourceName} (teacher)`;
  const first = offline.rows.length ? offline.rows[0] : features.firstValidRow;
  const last = offline.rows.length ? offline.rows[offline.rows.length - 1] : first;
  if (opts.link && rows) {
    dataset.meta.labelledFrom = { ...opts.link, labelledRows: rows };
    dataset.meta.issues.unshift({ level: 'info', message: `labelled by the teacher ensemble (technical, regime / risk and momentum analysts) from "${sourceName}": its training part, rows ${first + 1}–${last + 1} of ${opts.link.rows}; the held-out rows after it stay unlabelled for the backtest` });
  } else {
    dataset.meta.issues.unshift({ level: 'info', message: `labelled by the teacher ensemble (technical, regime / risk and momentum analysts) from "${sourceName}", rows ${first + 1}–${last + 1}` });
  }
  return dataset;
}
