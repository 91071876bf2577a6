// What the candle environments share: their data (the candles and seed 002's market features,
// computed once per dataset) and the settings every one of them has.
import type { Column } from '../data/types';
import type { Dataset } from '../data/types';
import type { CandleColumns, MarketFeatures } from '../features/layout';
import { candleColumnsFrom, marketFeaturesCached } from '../features/market';
import type { SettingSpec } from '../settings';
import { SEGMENT_SETTINGS } from './build';
import { perYearOf } from './calendar';
import { buyAndHoldPct, EXECUTION_SETTINGS, executionOf } from './execution';
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

/** Settings of every candle environment: how trades fill and what they cost, the starting balance, the segments, the calendar. */
export const CANDLE_ENV_SETTINGS: readonly SettingSpec[] = [
  ...EXECUTION_SETTINGS,
  { key: 'starting_balance', type: 'number', default: 10_000, min: 0, minExclusive: true, help: 'balance at the start of each episode' },
  ...SEGMENT_SETTINGS,
  { key: 'bars_per_year', type: 'number', default: 0, min: 0, help: 'bars per year for annualized Sharpe ratios; 0 reads it off the timestamps (24/7 markets, weekdays, sessions)' },
];

/** Buy-and-hold over rows [start, end) of candle data, with the environment's execution rules, in %. */
export function candleBuyAndHold(data: CandleData, start: number, end: number, settings: Record<string, unknown>): number {
  return buyAndHoldPct(data.candles, start, end, executionOf(settings));
}

/** The execution rules and calendar an environment class takes, from its settings. */
export function candleEnvOptions(data: CandleData, settings: Record<string, unknown>) {
  const x = executionOf(settings);
  return { fee: x.fee, slippage: x.slippage, fill: x.fill, barsPerYear: perYearOf(settings, data.time) };
}
