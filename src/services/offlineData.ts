// Offline (state, action, strength) datasets made from stored candles by the teacher ensemble,
// in the data worker: the new dataset is stored like an imported .npz. The labelling itself
// (teacherDataset) also serves candles that are not stored yet (generated scenarios).
import { buildDataset } from '../core/data/dataset';
import { sha256Hex } from '../core/data/importer';
import { writeNpz } from '../core/data/npz';
import type { Column, Dataset, DatasetMeta, Table } from '../core/data/types';
import { computeMarketFeatures } from '../core/features/market';
import { STATE_SIZE, type CandleColumns } from '../core/features/layout';
import { generateOfflineDataset } from '../core/offline/teacher';
import { openLabDb, type LabDb } from '../store/db';
import { getDatasetMeta, loadCandleColumns, saveDataset } from '../store/datasets';

let dbPromise: Promise<LabDb> | null = null;
const db = () => (dbPromise ??= openLabDb());

export async function makeTeacherDataset(datasetId: string): Promise<DatasetMeta> {
  const database = await db();
  const meta = await getDatasetMeta(database, datasetId);
  if (!meta || meta.kind !== 'candles') throw new Error('The teacher ensemble labels candle datasets only.');
  const dataset = await teacherDataset(await loadCandleColumns(database, meta), meta.name);
  await saveDataset(database, dataset);
  return dataset.meta;
}

/** The teacher ensemble's labels of candles (stored or just generated) as an offline dataset, not yet stored. */
export async function teacherDataset(candles: CandleColumns, sourceName: string): Promise<Dataset> {
  const features = computeMarketFeatures(candles);
  const offline = generateOfflineDataset(features, candles);
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
  dataset.meta.issues.unshift({ level: 'info', message: `labelled by the teacher ensemble (technical, regime / risk and momentum analysts) from "${sourceName}", rows ${features.firstValidRow + 1}–${features.firstValidRow + n}` });
  return dataset;
}
