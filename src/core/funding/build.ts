// From stored (or freshly imported) datasets to an opportunities dataset: the one path the Data
// view's step and `npm run opportunities` share.
import { buildDataset } from '../data/dataset';
import type { Dataset, Table } from '../data/types';
import { FundingError, fundingHistories, type FundingHistory } from './history';
import { buildOpportunities, OPPORTUNITY_MAPPING, type PriceCandles } from './opportunities';

/** A funding-rate dataset, and the venue it is from when its name does not say. */
export interface FundingInput {
  dataset: Dataset;
  venue?: string;
}

/** The name a dataset's venue and symbol are read from: its file's, else its own. */
const nameOf = (d: Dataset) => `${d.meta.source.fileName} ${d.meta.name}`;

export function historiesOf(inputs: readonly FundingInput[]): FundingHistory[] {
  return inputs.flatMap(({ dataset, venue }) => {
    if (dataset.meta.kind !== 'series') throw new FundingError(`${dataset.meta.name}: a ${dataset.meta.kind} dataset, not a funding-rate history (a time series)`);
    return fundingHistories({ name: nameOf(dataset), names: dataset.meta.columns, columns: dataset.columns }, venue);
  });
}

export function pricesOf(dataset: Dataset): PriceCandles {
  if (dataset.meta.kind !== 'candles') throw new FundingError(`${dataset.meta.name}: a ${dataset.meta.kind} dataset, not candles`);
  const col = (role: string) => {
    const i = dataset.meta.columns.indexOf(dataset.meta.roles[role] ?? role);
    return i >= 0 ? (dataset.columns[i] as { values: Float64Array }).values : null;
  };
  return { time: col('time')!, open: col('open')!, close: col('close')!, volume: col('volume'), source: dataset.meta.name };
}

/**
 * The opportunities as a validated dataset, its report saying each venue's schedule and the
 * basis, and as the table in seed 001's column names (for the CSV).
 */
export async function opportunitiesDataset(funding: readonly FundingInput[], prices: ReadonlyMap<string, Dataset>, name: string): Promise<{ dataset: Dataset; table: Table }> {
  const candles = new Map([...prices].map(([symbol, d]) => [symbol, pricesOf(d)]));
  const { table } = buildOpportunities(historiesOf(funding), candles, name);
  const sources = [...funding.map((f) => f.dataset), ...prices.values()].map((d) => d.meta.source.sha256).join(',');
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(sources));
  const sha256 = Array.from(new Uint8Array(digest), (x) => x.toString(16).padStart(2, '0')).join('');
  const dataset = buildDataset(table, OPPORTUNITY_MAPPING, { fileName: `${name}.csv`, format: 'csv', size: 0, sha256 });
  dataset.meta.name = name;
  return { dataset, table };
}
