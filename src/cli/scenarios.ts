// npm run scenarios -- --scenarios <names> --bars <N> --interval <5m> --seed <S> [--calibrate <candles file>] --out <file.csv|.jsonl|.parquet>
// Writes generated market scenarios as candles with each bar's scenario in a column `scenario`,
// optionally over a market calibrated on real candles, and says what it wrote and with what.
import { closeSync, openSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { basename, extname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { importBytes } from '../core/data/importer';
import { formatBytes } from '../core/data/format';
import { intervalLabel } from '../core/data/time';
import { candleColumnsOfDataset } from '../core/features/market';
import { calibrate, type Calibration } from '../core/scenarios/calibrate';
import { parseScenarioList, scenarioChoices, SCENARIOS } from '../core/scenarios/catalogue';
import { generateScenarios, MAX_BARS, type GeneratedScenarios } from '../core/scenarios/generate';
import { defaultMarket, marketParameters, parseInterval, rescaleMarket } from '../core/scenarios/market';
import { scenarioCsvChunks, scenarioJsonlChunks } from '../core/scenarios/write';

const USAGE = `usage: npm run scenarios -- --scenarios <names> --bars <N> --interval <5m> --seed <S> [--calibrate <candles file>] --out <file.csv|.jsonl|.parquet>
  --scenarios <names>     comma-separated: ${scenarioChoices()}
                          (trend = uptrend + downtrend, gap = gap_up + gap_down, shock = news_shock;
                          mix or regime_switching: switch between them as a Markov chain instead of taking turns)
  --bars <N>              how many bars (1 to ${MAX_BARS.toLocaleString('en-US')}; default 10000)
  --interval <5m>         bar length: 30s, 1m, 5m, 15m, 1h, 4h, 1d... (default 5m, or the calibration file's)
  --seed <S>              a non-zero whole number (default 1): the same seed writes the same file
  --calibrate <file>      candles (CSV, Parquet, JSON) whose volatility, drift, jumps, clustering and volume the market takes
  --tz <zone>             the zone of the calibration file's times written without one: UTC (default), +03:00, Europe/Istanbul
  --start <time>          the first bar's time, ISO 8601 (default 2024-01-01T00:00:00Z)
  --out <file>            where the candles go; .csv, .jsonl or .parquet says the format

scenarios:
${Object.values(SCENARIOS).map((s) => `  ${s.name.padEnd(12)} ${s.description}`).join('\n')}`;

function fail(message: string): never {
  console.error(`error: ${message}\n(npm run scenarios -- --help lists every option)`);
  process.exit(2);
}

const { values: args, positionals } = (() => {
  try {
    return parseArgs({
      options: {
        scenarios: { type: 'string' }, bars: { type: 'string', default: '10000' }, interval: { type: 'string' }, seed: { type: 'string', default: '1' },
        calibrate: { type: 'string' }, tz: { type: 'string' }, start: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', default: false },
      },
      allowPositionals: true,
    });
  } catch (e) {
    return fail((e as Error).message);
  }
})();
if (args.help) { console.log(USAGE); process.exit(0); }
if (positionals.length) fail(`"${positionals[0]}" follows no option`);
if (!args.scenarios) fail('--scenarios is required');
if (!args.out) fail('--out is required');
const chosen = (() => { try { return parseScenarioList(args.scenarios!); } catch (e) { return fail(`--scenarios: ${(e as Error).message}`); } })();
const bars = Number(args.bars);
if (!Number.isInteger(bars) || bars < 1 || bars > MAX_BARS) fail(`--bars must be a whole number from 1 to ${MAX_BARS.toLocaleString('en-US')}, not "${args.bars}"`);
const seed = Number(args.seed);
if (!Number.isInteger(seed) || seed === 0 || Math.abs(seed) > 2 ** 31) fail(`--seed must be a non-zero whole number, not "${args.seed}"`);
const out = resolve(args.out!);
const format = extname(out).toLowerCase().slice(1);
if (!['csv', 'jsonl', 'parquet'].includes(format)) fail(`--out must end in .csv, .jsonl or .parquet, not "${basename(out)}"`);
if (args.tz !== undefined && !args.calibrate) fail('--tz applies to --calibrate; give the calibration file too');
let startTime: number | null = null;
if (args.start !== undefined) {
  startTime = Date.parse(args.start);
  if (!Number.isFinite(startTime)) fail(`--start must be a time such as 2024-01-01T00:00:00Z, not "${args.start}"`);
}

let calibration: Calibration | null = null;
if (args.calibrate) {
  const path = args.calibrate;
  let bytes: Uint8Array;
  try { bytes = new Uint8Array(readFileSync(path)); } catch { fail(`--calibrate: cannot read ${path}`); }
  const outcome = await importBytes(bytes, basename(path), { acceptGuess: true, timeZone: args.tz }).catch((e: Error) => fail(`--calibrate: ${e.message}`));
  if (outcome.status !== 'ready') fail(`--calibrate ${path}: could not tell which column is which (${outcome.preview.reason})`);
  if (outcome.dataset.meta.kind !== 'candles') fail(`--calibrate ${path}: holds ${outcome.dataset.meta.kind}, not candles`);
  try {
    calibration = calibrate(candleColumnsOfDataset(outcome.dataset), basename(path));
  } catch (e) {
    fail(`--calibrate: ${(e as Error).message}`);
  }
  console.log(`calibrated on ${basename(path)}: ${calibration.estimates.bars.toLocaleString('en-US')} bars, ${calibration.estimates.jumps.toLocaleString('en-US')} jumps found`);
  for (const note of calibration.notes) console.log(`  ${note}`);
}
const intervalText = args.interval ?? (calibration ? null : '5m');
const intervalMs = intervalText === null ? calibration!.market.intervalMs : parseInterval(intervalText);
if (!(intervalMs > 0)) fail(`--interval must be a bar length such as 30s, 5m, 1h or 1d, not "${intervalText}"`);
const market = calibration ? rescaleMarket(calibration.market, intervalMs) : defaultMarket(intervalMs);
if (startTime !== null) market.startTime = startTime;

let generated: GeneratedScenarios;
const started = performance.now();
try {
  generated = generateScenarios({ scenarios: chosen.scenarios, mix: chosen.mix, bars, seed, market });
} catch (e) {
  fail((e as Error).message);
}
const generatedMs = performance.now() - started;

async function parquetBytes(g: GeneratedScenarios): Promise<Uint8Array> {
  const { parquetWriteBuffer } = await import('hyparquet-writer');
  return new Uint8Array(parquetWriteBuffer({
    columnData: [
      { name: 'time', data: Array.from(g.time, (t) => new Date(t)), type: 'TIMESTAMP' },
      { name: 'open', data: g.open, type: 'DOUBLE' },
      { name: 'high', data: g.high, type: 'DOUBLE' },
      { name: 'low', data: g.low, type: 'DOUBLE' },
      { name: 'close', data: g.close, type: 'DOUBLE' },
      { name: 'volume', data: g.volume, type: 'DOUBLE' },
      { name: 'scenario', data: Array.from(g.label, (k) => g.labels[k]), type: 'STRING' },
    ],
  }));
}

try {
  if (format === 'parquet') writeFileSync(out, await parquetBytes(generated));
  else {
    const fd = openSync(out, 'w');
    try {
      for (const chunk of format === 'csv' ? scenarioCsvChunks(generated) : scenarioJsonlChunks(generated)) writeSync(fd, chunk);
    } finally {
      closeSync(fd);
    }
  }
} catch (e) {
  fail(`cannot write ${out}: ${(e as Error).message}`);
}

console.log(`wrote ${bars.toLocaleString('en-US')} bars of ${intervalLabel(intervalMs)} to ${out} (${format}, ${formatBytes(statSync(out).size)}; generated in ${generatedMs.toFixed(0)} ms), seed ${seed}, ${chosen.mix ? 'switching as a Markov chain' : 'taking turns'}`);
console.log('bars per scenario:');
for (const [name, count] of Object.entries(generated.counts)) console.log(`  ${name.padEnd(12)} ${count.toLocaleString('en-US').padStart(12)}  (${generated.segments.filter((s) => s.scenario === name).length.toLocaleString('en-US')} segments)`);
console.log(`parameters${calibration ? ` (calibrated on ${basename(args.calibrate!)})` : ''}:`);
for (const [key, value] of Object.entries(marketParameters(market))) console.log(`  ${key.padEnd(26)} ${Array.isArray(value) ? value.join(' ') : String(value)}`);
