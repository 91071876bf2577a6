// The Data view's opportunities step, in the data worker: stored funding-rate histories and
// candles in, a stored funding-opportunities dataset out (the path `npm run opportunities` takes).
import type { Dataset, DatasetMeta } from '../core/data/types';
import { historiesOf, opportunitiesDataset } from '../core/funding/build';
import { openLabDb, type LabDb } from '../store/db';
import { getDatasetMeta, loadRows, saveDataset } from '../store/datasets';

let dbPromise: Promise<LabDb> | null = null;
const db = () => (dbPromise ??= openLabDb());

async function loadDataset(id: string): Promise<Dataset> {
  const database = await db();
  const meta = await getDatasetMeta(database, id);
  if (!meta) throw new Error('That dataset is no longer in this browser.');
  return { meta, columns: await loadRows(database, meta, 0, meta.rows) };
}

/** What a stored time series is as a funding history: its venue, symbol and schedule, or why it is not one. */
export interface FundingDescription {
  id: string;
  histories: { venue: string; symbol: string; intervalHours: number; settlements: number; from: number; to: number }[];
  problem: string | null;
}

export async function describeFundingDatasets(ids: string[], venues: Record<string, string> = {}): Promise<FundingDescription[]> {
  const out: FundingDescription[] = [];
  for (const id of ids) {
    try {
      const histories = historiesOf([{ dataset: await loadDataset(id), venue: venues[id] || undefined }]);
      out.push({ id, problem: null, histories: histories.map((h) => ({ venue: h.venue, symbol: h.symbol, intervalHours: h.intervalHours, settlements: h.times.length, from: h.times[0], to: h.times[h.times.length - 1] })) });
    } catch (e) {
      out.push({ id, histories: [], problem: (e as Error).message });
    }
  }
  return out;
}

export async function buildOpportunitiesDataset(funding: { id: string; venue?: string }[], prices: { symbol: string; id: string }[], name: string): Promise<DatasetMeta> {
  const inputs = [];
  for (const f of funding) inputs.push({ dataset: await loadDataset(f.id), venue: f.venue || undefined });
  const candles = new Map<string, Dataset>();
  for (const p of prices) candles.set(p.symbol, await loadDataset(p.id));
  const { dataset } = await opportunitiesDataset(inputs, candles, name.trim() || 'opportunities');
  await saveDataset(await db(), dataset);
  return dataset.meta;
}
