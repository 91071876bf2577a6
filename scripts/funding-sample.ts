// Builds public/samples/FUNDING_opportunities_2023.parquet, the bundled funding-arbitrage sample:
// seed 001's opportunities from the real 2023 funding histories of seven venues and Binance's
// BTC and ETH hourly perpetual candles in ../shared/data (credits in public/samples/README.md).
// The venues' zone-less times are read in the zones ../shared/data/README.md gives.
// Run: npx tsx scripts/funding-sample.ts [shared data folder]
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { importBytes } from '../src/core/data/importer';
import type { Dataset } from '../src/core/data/types';
import { opportunitiesDataset } from '../src/core/funding/build';

const DATA = resolve(process.argv[2] ?? '../shared/data');
const OUT = resolve(import.meta.dirname, '../public/samples/FUNDING_opportunities_2023.parquet');
// the fetcher wrote these venues in its local time, UTC+03:00; gate and dydx in UTC
const ZONES: Record<string, string> = { binance: '+03:00', bybit: '+03:00', htx: '+03:00', kucoin: '+03:00', mexc: '+03:00', gate: 'UTC', dydx: 'UTC' };

async function load(path: string, zone?: string): Promise<Dataset> {
  const outcome = await importBytes(new Uint8Array(readFileSync(path)), path.split('/').pop()!, { acceptGuess: true, timeZone: zone });
  if (outcome.status !== 'ready') throw new Error(`${path}: ${outcome.preview.reason}`);
  return outcome.dataset;
}

const funding = [];
for (const symbol of ['BTC-USDT', 'ETH-USDT']) for (const [venue, zone] of Object.entries(ZONES)) funding.push({ dataset: await load(`${DATA}/funding/${symbol}_${venue}_2023_funding.csv`, zone) });
const prices = new Map([
  ['BTC-USDT', await load(`${DATA}/BTC_USDT-1h-2023-futures.csv`)],
  ['ETH-USDT', await load(`${DATA}/ETH_USDT-1h-2023-futures.csv`)],
]);
const { table, dataset } = await opportunitiesDataset(funding, prices, 'FUNDING_opportunities_2023');
for (const issue of dataset.meta.issues) console.log(`${issue.level}: ${issue.message}`);
const columnData = table.names.map((name, i) => {
  const c = table.columns[i];
  if (c.type === 'text') return { name, data: Array.from(c.codes, (k) => c.dictionary[k]), type: 'STRING' };
  if (c.type === 'time') return { name, data: Array.from(c.values, (t) => new Date(t)), type: 'TIMESTAMP' };
  return { name, data: Array.from((c as { values: Float64Array }).values, (v) => (Number.isFinite(v) ? v : null)), type: 'DOUBLE' };
});
const bytes = new Uint8Array(parquetWriteBuffer({ codec: 'SNAPPY', columnData } as never));
writeFileSync(OUT, bytes);
console.log(`wrote ${table.rowCount.toLocaleString('en-US')} opportunities, ${(bytes.length / 1024 ** 2).toFixed(2)} MB, to ${OUT}`);
