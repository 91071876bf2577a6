// What the candle environments share: their data (the candles and seed 002's market features,
// computed once per dataset) and the settings every one of them has.
import type { Column } from '../data/types';
import type { Dataset } from '../data/types';
import type { CandleColumns, MarketFeatures } from '../features/layout';
import { candleColumnsFrom, marketFeaturesCached } from '../features/market';
import type { SettingSpec } from '../settings';
import type { DatasetSource, EnvData } from './spec';

export interface CandleData extends EnvData {
  candles: CandleColumns;
  features: MarketFeatures;
}

const CANDLE_COLUMNS = ['time', 'open', 'high', 'low', 'close', 'volume', 'sentiment', 'news_sentiment', 'macro_sentiment'];

/** The candles of a dataset and their market features (cached per dataset and content). */
export async function loadCandleData(source: DatasetSource): Promise<CandleData> {
  const { meta } = source;
  if (meta.kind !== 'candles') throw new Error(`"${meta.name}" is ${meta.kind} data; this environment needs candles (time, open, high, low, close).`);
  const columns = new Map<string, Float64Array>();
  for (const name of CANDLE_COLUMNS) {
    if (!meta.columns.includes(name)) continue;
    const col = await source.column(name);
    if (col && (col.type === 'number' || col.type === 'time')) columns.set(name, col.values);
  }
  const candles = candleColumnsFrom((name) => columns.get(name) ?? null);
  return candleData(candles, marketFeaturesCached(`${meta.id}:${meta.source.sha256}`, candles));
}

export function candleData(candles: CandleColumns, features: MarketFeatures): CandleData {
  return { candles, features, rows: features.rows, firstValidRow: features.firstValidRow, time: candles.time };
}

/** A parsed dataset (a file read by the command line or a test) as environments read datasets. */
export function datasetSource(dataset: Dataset): DatasetSource {
  return {
    meta: dataset.meta,
    column: async (name): Promise<Column | null> => dataset.columns[dataset.meta.columns.indexOf(name)] ?? null,
  };
}

/** Settings of every candle environment: costs, the starting balance and the held-out share. */
export const CANDLE_ENV_SETTINGS: readonly SettingSpec[] = [
  { key: 'fee', type: 'number', default: 0.001, min: 0, max: 0.1, main: true, help: 'fee per unit of notional traded' },
  { key: 'starting_balance', type: 'number', default: 10_000, min: 0, minExclusive: true, help: 'balance at the start of each episode' },
  { key: 'eval_fraction', type: 'number', default: 0.2, min: 0, max: 0.9, minExclusive: true, maxExclusive: true, help: 'share of the rows, at the end, held out for evaluation' },
];
