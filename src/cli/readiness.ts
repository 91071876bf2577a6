// npm run readiness -- --data <opportunities file> [--tz <zone>] [--train-steps N] [--net-arch 512,512] [--out report.md]
// Seed 001's "Training Status Report", made honest: data, environment, network, a short training
// and an inference test beside a random masked policy and holding, as markdown. Exits 1 when not ready.
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import '../algos/backends-node';
import { trySetBackend } from '../algos/backend';
import { importBytes } from '../core/data/importer';
import { datasetSource } from '../core/env/candles';
import { fundingReadiness } from '../services/fundingReadiness';

const USAGE = 'usage: npm run readiness -- --data <opportunities file> [--tz <zone>] [--train-steps N] [--net-arch 512,512] [--out report.md]';
function fail(message: string): never {
  console.error(`error: ${message}\n${USAGE}`);
  process.exit(2);
}
const { values: args } = (() => {
  try {
    return parseArgs({ options: { data: { type: 'string' }, 'data-path': { type: 'string' }, tz: { type: 'string' }, 'train-steps': { type: 'string' }, 'net-arch': { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', default: false } } });
  } catch (e) {
    return fail((e as Error).message);
  }
})();
if (args.help) { console.log(USAGE); process.exit(0); }
const path = args.data ?? args['data-path'] ?? fail('--data is required');
const imported = await importBytes(new Uint8Array(readFileSync(resolve(path))), basename(path), { acceptGuess: true, timeZone: args.tz }).catch((e: Error) => fail(e.message));
if (imported.status !== 'ready') fail(`could not tell which column is which in ${path}: ${imported.preview.reason}`);
const error = await trySetBackend('wasm');
if (error) fail(`the WebAssembly backend did not start: ${error}`);
const trainSteps = args['train-steps'] ? Number(args['train-steps']) : undefined;
if (trainSteps !== undefined && !(Number.isInteger(trainSteps) && trainSteps > 0)) fail('--train-steps must be a whole number');
const netArch = args['net-arch']?.split(',').map(Number);
if (netArch && !netArch.every((n) => Number.isInteger(n) && n > 0)) fail('--net-arch must be whole numbers, e.g. 512,512');
let lastPart = '';
const report = await fundingReadiness(datasetSource(imported.dataset), {
  trainSteps, netArch,
  onProgress: ({ part, fraction }) => {
    if (part !== lastPart) { lastPart = part; if (part !== 'done') console.error(`${Math.round(fraction * 100)} % ${part}…`); }
  },
});
if (args.out) { writeFileSync(resolve(args.out), report.markdown); console.log(`wrote ${resolve(args.out)}`); }
else process.stdout.write(report.markdown);
process.exitCode = report.ready ? 0 : 1;
