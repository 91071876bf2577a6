// npm run retrain -- --data <file> --registry <dir> --model <name> [--min-new-rows 100] [--from <run>]
// Seed 003's auto-trainer for a cron job or a CI schedule, on files: the model registry in a folder
// (<dir>/<model>/registry.json, v<N>/, champion.onnx), the data a file that grows. Registers a run
// (--from) as a version, or checks whether the champion is due a retrain on the file as it is now
// and, when it is, retrains, compares on the same windows, promotes or keeps a challenger, and
// records the decision. Exit status: 0 when it ran (whatever it decided), 2 on bad input.
import { existsSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import '../algos/backends-node';
import { NODE_BACKENDS } from '../algos/backends-node';
import { trySetBackend } from '../algos/backend';
import { importBytes } from '../core/data/importer';
import { datasetSource } from '../core/env/candles';
import { describeSegments, segmentsOf } from '../core/env/build';
import { findEnv } from '../core/env/registry';
import { datasetAtRows, type DatasetSource } from '../core/env/spec';
import { RETRAIN_METRIC_LABELS, type RetrainMetric } from '../core/retrain/decide';
import { RegistryError } from '../core/registry/rules';
import type { ModelVersion, RetrainDecision, RetrainRule } from '../core/registry/types';
import type { BackendChoice, StoredRun } from '../core/run/contracts';
import { registerRunCheckpoint } from '../services/registry';
import { retrainModel } from '../services/retrain';
import { TrainingService } from '../services/training';
import { folderRepository } from './folderRepository';
import { folderRegistry } from './registryFolder';
import { readRunSource } from './runSource';

const USAGE = `usage: npm run retrain -- --data <file> --registry <dir> --model <name> [options]
  --data <file>            the data, as it is now (a file that grows: rows are only added at its end)
  --tz <zone>              the zone of the file's times written without one (UTC by default)
  --registry <dir>         the model registry's folder: <dir>/<model>/registry.json, v<N>/, champion.onnx
  --model <name>           the model
  --from <run folder|zip>  register that run's best checkpoint as the model's next version (the first
                           becomes champion) and stop; a run of npm run train -- … --out <dir>
  --min-new-rows <N>       retrain once N rows arrived since the champion trained (default 100; kept in the rule)
  --drift off|psi|ks       also require the newest rows to have drifted from the training rows (kept in the rule)
  --psi-threshold <x>      drift when a feature's population stability index is above x (default 0.25)
  --ks-alpha <x>           drift when a feature's Kolmogorov-Smirnov p-value is below x / features (default 0.05)
  --metric ${Object.keys(RETRAIN_METRIC_LABELS).join('|')}   what the challenger must beat the champion on (default net_pnl)
  --force                  retrain even when not due
  --backend auto|wasm|cpu  TensorFlow.js backend for training
  --quiet                  print only the decision`;

function fail(message: string): never {
  console.error(`error: ${message}\n(npm run retrain -- --help lists every option)`);
  process.exit(2);
}

const { values: args } = (() => {
  try {
    return parseArgs({
      options: {
        data: { type: 'string' }, tz: { type: 'string' }, registry: { type: 'string' }, model: { type: 'string' }, from: { type: 'string' },
        'min-new-rows': { type: 'string' }, drift: { type: 'string' }, 'psi-threshold': { type: 'string' }, 'ks-alpha': { type: 'string' }, metric: { type: 'string' },
        force: { type: 'boolean', default: false }, backend: { type: 'string', default: 'auto' }, quiet: { type: 'boolean', default: false }, help: { type: 'boolean', default: false },
      },
    });
  } catch (e) {
    return fail((e as Error).message);
  }
})();
if (args.help) { console.log(USAGE); process.exit(0); }
for (const required of ['registry', 'model'] as const) if (!args[required]) fail(`--${required} is required`);
if (!args.from && !args.data) fail('--data is required (or --from, to register a run)');
if (!['auto', ...NODE_BACKENDS].includes(String(args.backend))) fail(`--backend must be auto, ${NODE_BACKENDS.join(' or ')}, not "${args.backend}"`);
const say = (line: string) => { if (!args.quiet) console.log(line); };
const model = String(args.model);
const registryDir = resolve(String(args.registry));

// the rule's settings given on the command line, checked, kept in the model's rule
function ruleChanges(): Partial<RetrainRule> {
  const out: Partial<RetrainRule> = {};
  const number = (flag: string, ok: (x: number) => boolean, what: string) => {
    const text = args[flag as keyof typeof args];
    if (typeof text !== 'string') return undefined;
    const x = Number(text);
    if (!ok(x)) fail(`--${flag} must be ${what}, not "${text}"`);
    return x;
  };
  const rows = number('min-new-rows', (x) => Number.isInteger(x) && x >= 1, 'a whole number of rows, at least 1');
  if (rows !== undefined) out.minNewRows = rows;
  const psi = number('psi-threshold', (x) => x > 0, 'a positive number');
  if (psi !== undefined) out.psiThreshold = psi;
  const alpha = number('ks-alpha', (x) => x > 0 && x < 1, 'between 0 and 1');
  if (alpha !== undefined) out.ksAlpha = alpha;
  if (args.drift !== undefined) {
    if (!['off', 'psi', 'ks'].includes(String(args.drift))) fail(`--drift must be off, psi or ks, not "${args.drift}"`);
    out.drift = args.drift as RetrainRule['drift'];
  }
  if (args.metric !== undefined) {
    if (!(String(args.metric) in RETRAIN_METRIC_LABELS)) fail(`--metric must be ${Object.keys(RETRAIN_METRIC_LABELS).join(', ')}, not "${args.metric}"`);
    out.metric = args.metric as RetrainMetric;
  }
  return out;
}

/** The data as it is now; its id is its content's hash, as npm run train names it. */
async function readData(): Promise<DatasetSource> {
  const path = resolve(String(args.data));
  if (!existsSync(path)) fail(`no such file: ${path}`);
  const imported = await importBytes(new Uint8Array(readFileSync(path)), basename(path), { acceptGuess: true, timeZone: args.tz as string | undefined }).catch((e: Error) => fail(e.message));
  if (imported.status !== 'ready') fail(`could not tell which column is which in ${basename(path)}: ${imported.preview.reason}`);
  imported.dataset.meta.id = imported.dataset.meta.source.sha256;
  return datasetSource(imported.dataset);
}

/**
 * The file must be the champion's data grown at its end: its first rows, cut where the champion's
 * were, give the champion's segments at the same times. Anything else is refused rather than
 * compared on rows that mean something else.
 */
async function checkGrownFrom(champion: StoredRun, source: DatasetSource): Promise<void> {
  const spec = findEnv(String(champion.env ?? ''));
  const recorded = champion.data_segments?.times;
  if (!spec || !recorded || typeof champion.dataset_rows !== 'number') return;
  if (source.meta.rows < champion.dataset_rows) fail(`${basename(String(args.data))} has ${source.meta.rows} rows, fewer than the ${champion.dataset_rows} the champion trained on: it is not the champion's data grown`);
  const data = await spec.load(datasetAtRows(source, champion.dataset_rows));
  const now = describeSegments(segmentsOf(data, (champion.env_settings ?? {}) as Record<string, unknown>).segments, data.time).times!;
  if (now.train[0] !== recorded.train[0] || now.test?.[1] !== recorded.test?.[1]) {
    fail(`${basename(String(args.data))} is not the data the champion (run ${champion.run_id}) trained on, grown at its end: its first ${champion.dataset_rows} rows run from ${now.train[0]} to ${now.test?.[1]}, the champion's from ${recorded.train[0]} to ${recorded.test?.[1]}`);
  }
}

/**
 * The file is the champion's dataset grown (checked above), so it keeps that dataset's id, and its
 * revision counts up from the versions trained on it: the same rows, the same revision; more rows
 * than any version saw, the next one. A file's own hash would name every grown copy anew.
 */
async function nameAsRevision(source: DatasetSource, champion: StoredRun, versions: readonly ModelVersion[]): Promise<void> {
  const seen = versions.filter((v) => v.dataset.id === champion.dataset_id && v.dataset.revision !== null && v.dataset.rows !== null);
  const same = seen.find((v) => v.dataset.rows === source.meta.rows);
  const newest = Math.max(typeof champion.dataset_revision === 'number' ? champion.dataset_revision : 1, ...seen.map((v) => v.dataset.revision!));
  source.meta.id = champion.dataset_id;
  source.meta.name = champion.dataset_name || source.meta.name;
  source.meta.revision = same ? same.dataset.revision! : source.meta.rows > (typeof champion.dataset_rows === 'number' ? champion.dataset_rows : 0) ? newest + 1 : newest;
}

function decisionLines(d: RetrainDecision): string[] {
  const lines = [`decision ${d.id} (${d.trigger}): ${d.decision}${d.challenger !== null ? `, challenger version ${d.challenger}` : ''}; champion version ${d.champion ?? '—'}`, `  ${d.reason}`];
  const fig = (name: string, f: RetrainDecision['figures']['champion']) => {
    if (!f?.net_pnl_pct) return;
    const i = f.net_pnl_pct;
    lines.push(`  ${name}: net P&L ${i.mean.toFixed(3)} % per window (95 % ${i.low?.toFixed(3) ?? '—'} to ${i.high?.toFixed(3) ?? '—'}) over ${f.windows} windows${f.buy_and_hold_pct !== null ? `, buy and hold ${f.buy_and_hold_pct.toFixed(3)} %` : ''}, Sharpe ${f.sharpe?.toFixed(2) ?? '—'}`);
  };
  if (d.segment) lines.push(`  walked on run ${d.segment.run_id}'s ${d.segment.which} segment${d.segment.times ? ` (${d.segment.times[0]} to ${d.segment.times[1]})` : ''}, ${d.segment.windows} windows`);
  fig('champion  ', d.figures.champion);
  fig('challenger', d.figures.challenger);
  if (d.drift) lines.push(`  drift: ${d.drift.test} ${d.drift.value.toPrecision(3)} on ${d.drift.feature} (threshold ${d.drift.threshold.toPrecision(3)}): ${d.drift.drifted ? 'drifted' : 'no drift'}`);
  return lines;
}

try {
  const backendError = await trySetBackend('wasm');
  if (backendError) await trySetBackend('cpu');
  const registry = folderRegistry(registryDir);
  if (args.from) {
    const records = (() => { try { return readRunSource(resolve(String(args.from))); } catch (e) { return fail(`--from ${args.from}: ${(e as Error).message}`); } })();
    const version = await registerRunCheckpoint(registry, records, { model, checkpoint: 'best', notes: `registered from ${basename(String(args.from))} by npm run retrain` });
    const m = (await registry.getModel(model))!;
    say(`registered run ${records.config.run_id} (best model, step ${version.source.step}) as version ${version.version} of "${model}"; aliases: ${Object.entries(m.aliases).map(([a, v]) => `${a} → v${v}`).join(', ')}`);
    say(`wrote ${join(registryDir, model)}`);
  }
  const changes = ruleChanges();
  if (Object.keys(changes).length) {
    const m = await registry.getModel(model);
    if (!m) fail(`there is no model "${model}" in ${registryDir} (register a run with --from first)`);
    await registry.setRetrainRule(model, { ...m.retrain_rule, ...changes, enabled: true });
  }
  if (args.data) {
    const m = await registry.getModel(model);
    if (!m) fail(`there is no model "${model}" in ${registryDir}: register a run first (--from <run folder>)`);
    const source = await readData();
    const champion = m.aliases.champion !== undefined ? await registry.versionCheckpoint(model, m.aliases.champion) : null;
    if (champion) {
      await checkGrownFrom(champion.run, source);
      await nameAsRevision(source, champion.run, await registry.listVersions(model, { deleted: true }));
    }
    const runs = folderRepository(join(registryDir, model, 'runs'), new Map([[source.meta.id, source]]));
    say(`${basename(String(args.data))}: ${source.meta.rows.toLocaleString('en-US')} rows, dataset ${source.meta.name} revision ${source.meta.revision ?? 1}`);
    const training = new TrainingService({ repository: runs, backends: NODE_BACKENDS, flushMs: 2000 });
    let lastLog = 0;
    const decision = await retrainModel({
      registry, training, backend: args.backend as BackendChoice,
      datasets: async () => source,
      currentData: async () => source,
      runRecords: async (id) => { const r = runs.records(); return r && r.config.run_id === id ? { config: r.config, checkpoints: r.checkpoints, evaluations: r.evaluations } : null; },
    }, model, 'cli', {
      force: args.force,
      onProgress: (p) => {
        if (p.status === 'running' && performance.now() - lastLog > 5000) {
          lastLog = performance.now();
          say(`  retraining ${p.runId}: ${p.done}/${p.total} ${p.unit}, ~${Math.round(p.secondsLeft ?? 0)} s left`);
        }
      },
    });
    for (const line of decisionLines(decision)) console.log(line);
    const after = (await registry.getModel(model))!;
    say(`aliases: ${Object.entries(after.aliases).map(([a, v]) => `${a} → v${v}`).join(', ')}; ${join(registryDir, model, 'champion.onnx')} is version ${after.aliases.champion}'s model`);
  }
} catch (e) {
  if (e instanceof RegistryError) fail(e.message);
  throw e;
}
process.exit(0);
