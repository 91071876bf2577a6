// npm run opportunities -- --funding <files…> --prices <SYMBOL=file…> [--tz <file>=<zone>…] [--venue <file>=<venue>…] --out <opportunities.csv>
// Builds seed 001's opportunities file from venues' funding-rate histories and price candles,
// saying each venue's settlement schedule and the zone its times were read in.
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { importBytes } from '../core/data/importer';
import type { Dataset } from '../core/data/types';
import { opportunitiesDataset } from '../core/funding/build';
import { canonicalSymbol } from '../core/funding/history';
import { tableCsv } from '../core/funding/opportunities';

const USAGE = `usage: npm run opportunities -- --funding <files…> --prices <SYMBOL=file…> [--tz <file>=<zone>…] [--venue <file>=<venue>…] --out <opportunities.csv>
  --funding <files…>      funding-rate histories, one venue per file (Symbol,Date,Funding Rate; ccxt's JSON; Binance's or Bybit's archive CSV)
  --prices <SYMBOL=file…> price candles per symbol, e.g. BTC-USDT=BTC_USDT-1h-2023-futures.csv
  --tz <file>=<zone>      the zone of a file's times written without one (default UTC): +03:00, Europe/Istanbul
  --venue <file>=<venue>  the venue of a file whose name does not say it
  --out <file>            where the opportunities CSV goes (default opportunities.csv)`;

function fail(message: string): never {
  console.error(`error: ${message}\n\n${USAGE}`);
  process.exit(2);
}

// flags that take several values: every word up to the next flag
const lists: Record<string, string[]> = { funding: [], prices: [], tz: [], venue: [], out: [] };
let current: string | null = null;
for (const word of process.argv.slice(2)) {
  if (word === '--help' || word === '-h') { console.log(USAGE); process.exit(0); }
  if (word.startsWith('--')) {
    current = word.slice(2);
    if (!(current in lists)) fail(`unknown option ${word}`);
    continue;
  }
  if (!current) fail(`"${word}" follows no option`);
  lists[current].push(word);
}
if (lists.funding.length === 0) fail('no --funding files');
if (lists.prices.length === 0) fail('no --prices');

/** file=value pairs, keyed by the file's base name (either spelling of the path matches). */
const byFile = (pairs: string[], what: string) => new Map(pairs.map((p) => {
  const at = p.lastIndexOf('=');
  if (at <= 0) fail(`--${what} ${p}: expected <file>=<${what}>`);
  return [basename(p.slice(0, at)), p.slice(at + 1)] as const;
}));
const zones = byFile(lists.tz, 'tz');
const venues = byFile(lists.venue, 'venue');

async function load(path: string): Promise<Dataset> {
  const file = resolve(path);
  let bytes: Uint8Array;
  try { bytes = new Uint8Array(readFileSync(file)); } catch { return fail(`cannot read ${path}`); }
  const zone = zones.get(basename(path));
  const outcome = await importBytes(bytes, basename(path), { acceptGuess: true, timeZone: zone }).catch((e: Error) => fail(e.message));
  if (outcome.status !== 'ready') fail(`${path}: could not tell which column is which (${outcome.preview.reason})`);
  const zoneNote = outcome.dataset.meta.timeZone ? `zone-less times read as ${outcome.dataset.meta.timeZone}` : 'times carry their zone';
  console.log(`${basename(path)}: ${outcome.dataset.meta.rows.toLocaleString('en-US')} rows as ${outcome.dataset.meta.kind}, ${zoneNote}`);
  return outcome.dataset;
}

const funding = [];
for (const path of lists.funding) funding.push({ dataset: await load(path), venue: venues.get(basename(path)) });
const prices = new Map<string, Dataset>();
for (const pair of lists.prices) {
  const at = pair.indexOf('=');
  if (at <= 0) fail(`--prices ${pair}: expected <SYMBOL>=<candles file>`);
  prices.set(canonicalSymbol(pair.slice(0, at)), await load(pair.slice(at + 1)));
}
const out = resolve(lists.out[0] ?? 'opportunities.csv');
const { dataset, table } = await opportunitiesDataset(funding, prices, basename(out).replace(/\.csv$/i, '')).catch((e: Error) => fail(e.message));
for (const issue of dataset.meta.issues) console.log(`${issue.level}: ${issue.message}`);
writeFileSync(out, tableCsv(table));
console.log(`wrote ${dataset.meta.rows.toLocaleString('en-US')} opportunities to ${out}`);
