// npm run train -- --algo bc --data <file.npz | candles> --out <dir> [--seeds 1,2,3 --epochs N ...]
// Behavior cloning from the command line: an offline dataset (an .npz, or one the teacher ensemble
// makes from candles), one PolicyNet per seed with validation and early stopping, the classifier
// report and, from candles, a backtest on the held-out segment beside the teacher and buy-and-hold.
// Writes run_YYYYMMDD_HHMMSS/ exactly as the lab exports a behavior-cloning run (exportRun.ts):
// config.json and train_metrics.jsonl as training goes, then evaluation.json, metrics.json, the
// checkpoints (model.json + weights.bin + trainer_state.json) and the TensorBoard file. Zipped,
// the folder imports into the lab's run browser.
import { mkdirSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { NODE_BACKENDS } from '../algos/backends-node';
import { selectBackend } from '../algos/backend';
import { trainEnsemble, validateBc, DEFAULT_BC, type BcCheckpoint, type BcHyperparameters } from '../algos/bc';
import { validateBcSeeds } from '../core/offline/bcConfig';
import { bcFinalMetrics, summarizeEnsemble } from '../algos/bcSummary';
import { checkpointModelFiles } from '../algos/export';
import { importBytes } from '../core/data/importer';
import { candleColumnsOfDataset, computeMarketFeatures } from '../core/features/market';
import { makeRunId, pythonIsoTime, type BcRunConfig } from '../core/run/record';
import { epochLine, runFiles } from '../core/run/exportRun';
import { bcCheckpointRecord, bcEpochRecord } from '../core/run/bcRecords';
import { offlineSamples, teacherSamples, type BcSamples } from '../core/offline/bcSamples';
import type { BackendChoice } from '../core/run/config';
import type { StoredCheckpoint, StoredEpoch } from '../store/db';

export interface BcCliArgs {
  data: string;
  out: string;
  /** One PolicyNet per seed; several make an ensemble. */
  seeds: number[];
  backend: BackendChoice;
  hp: Partial<BcHyperparameters>;
  quiet: boolean;
}

export async function runBehaviorCloningCli(args: BcCliArgs): Promise<number> {
  const dataPath = resolve(args.data);
  const seeds = args.seeds.length ? args.seeds : [1];
  const hp: BcHyperparameters = { ...DEFAULT_BC, ...args.hp, seed: seeds[0] };
  const problems = [...validateBc(hp), ...validateBcSeeds(seeds)];
  if (problems.length) { console.error(`error: ${problems.join('; ')}`); return 2; }
  const imported = await importBytes(new Uint8Array(readFileSync(dataPath)), basename(dataPath), { acceptGuess: true });
  if (imported.status !== 'ready') { console.error(`error: could not tell which column is which in ${basename(dataPath)}`); return 2; }
  const ds = imported.dataset;
  let samples: BcSamples;
  if (ds.meta.kind === 'offline') {
    const [s, a, st] = ds.columns;
    if (s.type !== 'matrix' || a.type !== 'number' || st.type !== 'number') { console.error('error: unexpected offline dataset layout'); return 2; }
    samples = offlineSamples(s.values, s.width, a.values, st.values);
  } else if (ds.meta.kind === 'candles') {
    const candles = candleColumnsOfDataset(ds);
    samples = teacherSamples(candles, computeMarketFeatures(candles));
  } else {
    console.error(`error: ${basename(dataPath)} holds ${ds.meta.kind} data; behavior cloning needs an offline .npz or candles`);
    return 2;
  }
  const { data, source, backtest } = samples;
  const selection = await selectBackend(args.backend, { obsSize: data.width, numActions: 3, hidden: Array(hp.num_layers).fill(hp.hidden_dim), batch: hp.batch_size }, NODE_BACKENDS);

  const now = new Date();
  const outDir = resolve(args.out);
  const runId = makeRunId(now, (id) => existsSync(join(outDir, id)));
  const runDir = join(outDir, runId);
  mkdirSync(runDir, { recursive: true });
  const config: BcRunConfig = {
    run_id: runId, created_at: pythonIsoTime(now), completed_at: null, status: 'running', algorithm: 'BC', ...hp,
    data_file: basename(dataPath),
    final_metrics: { best_epoch: null, best_val_loss: null, val_acc: null, macro_f1: null, epochs_done: 0 },
    name: runId, tags: [], dataset_id: '', dataset_name: ds.meta.name, seeds, source_kind: source.kind, samples: data.actions.length, state_width: data.width,
    backend: selection.backend, backend_requested: args.backend, backend_trials: selection.trials, error: null, progress_epochs: 0, updated_at: pythonIsoTime(now), evaluation: null,
  };
  const epochs: StoredEpoch[] = [];
  const checkpoints = new Map<string, StoredCheckpoint>();
  const writeProgress = () => {
    config.updated_at = pythonIsoTime();
    writeFileSync(join(runDir, 'config.json'), JSON.stringify(config, (k, v) => (k === 'evaluation' ? undefined : v), 2));
    writeFileSync(join(runDir, 'train_metrics.jsonl'), epochs.map((e) => JSON.stringify(epochLine(e)) + '\n').join(''));
  };
  /** Every file of the run folder, as the lab's export writes it. */
  const writeRunFolder = async () => {
    const records = { config, episodes: [], evaluations: [], updates: [], epochs, checkpoints: [...checkpoints.values()] };
    for (const [path, bytes] of Object.entries(await runFiles(records, (c) => checkpointModelFiles(config, c.checkpoint, c.step)))) {
      const target = join(outDir, path);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, bytes);
    }
  };
  writeProgress();
  console.log(`${runId}: behavior cloning on ${source.samples} ${source.kind === 'teacher' ? `samples the teacher ensemble labelled on ${basename(dataPath)} (hold/buy/sell ${source.actionCounts.join('/')})` : `samples from ${basename(dataPath)}`}, seeds ${seeds.join(', ')}, backend ${selection.backend} → ${runDir}`);
  let result: Awaited<ReturnType<typeof trainEnsemble>> | null = null;
  try {
    result = await trainEnsemble(seeds, {
      hp,
      data,
      sink: (seed) => ({
        epoch(m) {
          epochs.push(bcEpochRecord(config, seed, m));
          config.progress_epochs = epochs.length;
          writeProgress();
          if (!args.quiet) console.log(`  ${seeds.length > 1 ? `seed ${seed} ` : ''}epoch ${m.epoch}: train loss ${m.train_loss.toFixed(4)} acc ${m.train_acc.toFixed(3)} · val loss ${m.val_loss?.toFixed(4) ?? '—'} acc ${m.val_acc?.toFixed(3) ?? '—'} · ${Math.round(m.samples_per_s)} samples/s`);
        },
        checkpoint(c: BcCheckpoint) {
          const record = bcCheckpointRecord(config, seed, c);
          checkpoints.set(record.name, record);
        },
      }),
    });
    const evaluation = await summarizeEnsemble(result, data, source, backtest);
    config.evaluation = evaluation;
    config.final_metrics = bcFinalMetrics(result, evaluation);
    config.status = 'completed';
    config.completed_at = pythonIsoTime();
    await writeRunFolder();
    const outcomes = result.reports.map((r) => `${seeds.length > 1 ? `seed ${r.seed} ` : ''}${r.outcome}, best epoch ${r.best_epoch}`).join('; ');
    console.log(`done (${outcomes}): validation accuracy ${evaluation.report.accuracy.toFixed(3)}${seeds.length > 1 ? ' (majority vote)' : ''}, macro F1 ${evaluation.report.macroF1.toFixed(3)}${evaluation.overfitting_signs.length ? `; ${evaluation.overfitting_signs.join('; ')}` : ''}`);
    if (evaluation.backtest) {
      const b = evaluation.backtest;
      console.log(`held-out backtest: policy ${b.policy.return_pct.toFixed(2)} %, teacher ${b.teacher.return_pct.toFixed(2)} %, buy and hold ${b.policy.buy_and_hold_return_pct.toFixed(2)} %`);
    }
    return 0;
  } catch (e) {
    config.status = 'failed';
    config.error = (e as Error).message;
    config.completed_at = pythonIsoTime();
    await writeRunFolder().catch(() => writeProgress());
    console.error(`failed: ${(e as Error).message}`);
    return 1;
  } finally {
    for (const m of result?.members ?? []) m.dispose();
  }
}

