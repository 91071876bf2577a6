// npm run train -- --algo bc --data <file.npz | candles> --out <dir> [--epochs N --seed S ...]
// Behavior cloning from the command line: an offline dataset (an .npz, or one the teacher ensemble
// makes from candles), PolicyNet training with validation and early stopping, the classifier
// report and, from candles, a backtest on the held-out segment beside the teacher and buy-and-hold.
// Writes run_YYYYMMDD_HHMMSS/ with config.json, train_metrics.jsonl (one epoch a line),
// evaluation.json and checkpoints/{best,final}_model/trainer_state.json.
import { mkdirSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import '../algos/backends-node';
import { NODE_BACKENDS } from '../algos/backends-node';
import { selectBackend } from '../algos/backend';
import { BcTrainer, bcPolicy, validateBc, DEFAULT_BC, type BcCheckpoint, type BcEpochMetrics, type BcHyperparameters } from '../algos/bc';
import { importBytes } from '../core/data/importer';
import { candleColumnsOfDataset, computeMarketFeatures } from '../core/features/market';
import { generateOfflineDataset, teacherPolicy } from '../core/offline/teacher';
import { backtestPolicy } from '../core/offline/metrics';
import { splitByTime } from '../core/env/types';
import { STATE_SIZE } from '../core/features/layout';
import { makeRunId, pythonIsoTime } from '../core/run/record';
import { trainerStateJson } from '../core/run/exportRun';
import type { BackendChoice } from '../core/run/config';

export interface BcCliArgs {
  data: string;
  out: string;
  seed: number;
  backend: BackendChoice;
  hp: Partial<BcHyperparameters>;
  quiet: boolean;
}

export async function runBehaviorCloningCli(args: BcCliArgs): Promise<number> {
  const dataPath = resolve(args.data);
  const hp: BcHyperparameters = { ...DEFAULT_BC, ...args.hp, seed: args.seed };
  const problems = validateBc(hp);
  if (problems.length) { console.error(`error: ${problems.join('; ')}`); return 2; }
  const imported = await importBytes(new Uint8Array(readFileSync(dataPath)), basename(dataPath), { acceptGuess: true });
  if (imported.status !== 'ready') { console.error(`error: could not tell which column is which in ${basename(dataPath)}`); return 2; }
  const ds = imported.dataset;
  let states: Float32Array, actions: Int32Array, strengths: Float32Array, width: number;
  let backtest: (() => Promise<unknown>) | null = null;
  let source: string;
  if (ds.meta.kind === 'offline') {
    const [s, a, st] = ds.columns;
    if (s.type !== 'matrix' || a.type !== 'number' || st.type !== 'number') { console.error('error: unexpected offline dataset layout'); return 2; }
    states = s.values; width = s.width; actions = Int32Array.from(a.values); strengths = Float32Array.from(st.values);
    source = `${ds.meta.rows} samples from ${basename(dataPath)}`;
  } else if (ds.meta.kind === 'candles') {
    const candles = candleColumnsOfDataset(ds);
    const features = computeMarketFeatures(candles);
    const segments = splitByTime(features.rows, features.firstValidRow, 0.2);
    // the teacher labels the training segment only: the later segment stays unseen for the backtest
    const offline = generateOfflineDataset(features, candles, { start: segments.train.start, end: segments.train.end });
    ({ states, actions, strengths } = offline);
    width = STATE_SIZE;
    source = `${actions.length} samples labelled by the teacher ensemble on ${basename(dataPath)} (hold/buy/sell ${offline.actionCounts.join('/')})`;
    backtest = async () => ({
      segment: segments.eval,
      policy: await backtestPolicy(features, candles, segments.eval, bcPolicy(trainer)),
      teacher: await backtestPolicy(features, candles, segments.eval, teacherPolicy(features)),
    });
  } else {
    console.error(`error: ${basename(dataPath)} holds ${ds.meta.kind} data; behavior cloning needs an offline .npz or candles`);
    return 2;
  }
  const selection = await selectBackend(args.backend, { obsSize: width, numActions: 3, hidden: Array(hp.num_layers).fill(hp.hidden_dim), batch: hp.batch_size }, NODE_BACKENDS);

  const now = new Date();
  const outDir = resolve(args.out);
  const runId = makeRunId(now, (id) => existsSync(join(outDir, id)));
  const runDir = join(outDir, runId);
  mkdirSync(join(runDir, 'checkpoints'), { recursive: true });
  const epochs: BcEpochMetrics[] = [];
  const config: Record<string, unknown> = {
    run_id: runId, created_at: pythonIsoTime(now), completed_at: null, status: 'running', algorithm: 'BC', ...hp,
    data_file: basename(dataPath), final_metrics: {}, backend: selection.backend, backend_trials: selection.trials, samples: actions.length, state_width: width,
  };
  const writeConfig = () => writeFileSync(join(runDir, 'config.json'), JSON.stringify(config, null, 2));
  writeConfig();
  const trainer = await BcTrainer.create({
    hp,
    data: { states, actions, strengths, width },
    sink: {
      epoch(m) {
        epochs.push(m);
        writeFileSync(join(runDir, 'train_metrics.jsonl'), epochs.map((e) => JSON.stringify(e)).join('\n') + '\n');
        if (!args.quiet) console.log(`  epoch ${m.epoch}: train loss ${m.train_loss.toFixed(4)} acc ${m.train_acc.toFixed(3)} · val loss ${m.val_loss?.toFixed(4) ?? '—'} acc ${m.val_acc?.toFixed(3) ?? '—'} · ${Math.round(m.samples_per_s)} samples/s`);
      },
      checkpoint(c: BcCheckpoint) {
        const dir = join(runDir, 'checkpoints', `${c.kind}_model`);
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, 'trainer_state.json'), trainerStateJson(c));
      },
    },
  });
  console.log(`${runId}: behavior cloning on ${source}, backend ${selection.backend} → ${runDir}`);
  try {
    const outcome = await trainer.train();
    const report = await trainer.evaluate();
    const evaluation = { outcome, best_epoch: trainer.bestEpoch, validation: report, overfitting_signs: trainer.overfittingSigns(), backtest: backtest ? await backtest() : null };
    writeFileSync(join(runDir, 'evaluation.json'), JSON.stringify(evaluation, null, 2));
    config.status = 'completed';
    config.completed_at = pythonIsoTime();
    config.final_metrics = { best_epoch: trainer.bestEpoch, best_val_loss: trainer.bestValLoss, val_acc: report.accuracy, macro_f1: report.macroF1, stopped: outcome };
    writeConfig();
    console.log(`done (${outcome}): best epoch ${trainer.bestEpoch}, validation accuracy ${report.accuracy.toFixed(3)}, macro F1 ${report.macroF1.toFixed(3)}${evaluation.overfitting_signs.length ? `; ${evaluation.overfitting_signs.join('; ')}` : ''}`);
    if (evaluation.backtest) {
      const b = evaluation.backtest as { policy: { return_pct: number; buy_and_hold_return_pct: number }; teacher: { return_pct: number } };
      console.log(`held-out backtest: policy ${b.policy.return_pct.toFixed(2)} %, teacher ${b.teacher.return_pct.toFixed(2)} %, buy and hold ${b.policy.buy_and_hold_return_pct.toFixed(2)} %`);
    }
    return 0;
  } catch (e) {
    config.status = 'failed';
    config.error = (e as Error).message;
    config.completed_at = pythonIsoTime();
    writeConfig();
    console.error(`failed: ${(e as Error).message}`);
    return 1;
  } finally {
    trainer.dispose();
  }
}
