// Behavior cloning's TensorFlow.js half: the samples (a stored offline dataset, or the teacher
// ensemble's labels of stored candles), one PolicyNet per seed, the ensemble's majority vote, the
// classifier report and, from candles, a backtest on the held-out segment beside the teacher.
// A continued run restores the members that finished, continues the one that was training from
// its latest checkpoint, and trains the rest from scratch.
import { candleColumnsFrom, marketFeaturesCached } from '../../core/features/market';
import { datasetAtRows, type DatasetSource } from '../../core/env/spec';
import { linkedTeacherSamples, offlineSamples, teacherSamples, type BcSamples } from '../../core/offline/bcSamples';
import type { CheckpointEnvelope } from '../../core/run/contracts';
import type { AlgorithmRuntime, TrainContext } from '../spec';
import type { BcRunConfig } from './config';
import { trainEnsemble } from './ensemble';
import { bcModelFiles } from './modelFiles';
import { bcCheckpointName, bcEpochOf, bcUpdate, epochIndex, latestBcCheckpoints } from './records';
import { bcFinalMetrics, summarizeEnsemble } from './summary';
import { BcDivergedError, type BcCheckpoint } from './types';
import { bcEnvelope } from './envelope';

/** A candle dataset's columns, read for the teacher's features. */
async function candlesOf(source: DatasetSource) {
  const columns = new Map<string, Float64Array>();
  for (const name of source.meta.columns) {
    const col = await source.column(name);
    if (col && (col.type === 'number' || col.type === 'time')) columns.set(name, col.values);
  }
  const candles = candleColumnsFrom((name) => columns.get(name) ?? null);
  return { candles, features: marketFeaturesCached(`${source.meta.id}:${source.meta.source.sha256}`, candles) };
}

/**
 * The samples to learn from (and, from candles, a backtest on the held-out segment). A teacher
 * dataset stored from candles keeps its link to them: its samples as stored, its backtest on
 * those candles at the rows they had when labelled (none when they have been deleted since).
 */
async function samplesOf(source: DatasetSource, dataset: (id: string) => Promise<DatasetSource>): Promise<BcSamples> {
  const { meta } = source;
  if (meta.kind === 'offline') {
    const [states, actions, strengths] = await Promise.all(['states', 'actions', 'strengths'].map((name) => source.column(name)));
    if (states?.type !== 'matrix' || actions?.type !== 'number' || strengths?.type !== 'number') throw new Error(`"${meta.name}" is not a states / actions / strengths dataset.`);
    const stored = offlineSamples(states.values, states.width, actions.values, strengths.values);
    const link = meta.labelledFrom;
    if (!link) return stored;
    const candleSource = await dataset(link.datasetId).catch(() => null);
    if (!candleSource || candleSource.meta.kind !== 'candles') return stored;
    const { candles, features } = await candlesOf(datasetAtRows(candleSource, link.rows));
    return linkedTeacherSamples(stored, candles, features);
  }
  if (meta.kind === 'candles') {
    const { candles, features } = await candlesOf(source);
    return teacherSamples(candles, features);
  }
  throw new Error(`"${meta.name}" holds ${meta.kind} data; behavior cloning needs candles or an offline dataset.`);
}

async function train(ctx: TrainContext<BcRunConfig>): Promise<'completed' | 'stopped'> {
  const run = ctx.config;
  const resumes = ctx.previous ? latestBcCheckpoints(run, ctx.previous.checkpoints) : new Map<number, BcCheckpoint>();
  if (ctx.previous) run.evaluation = null; // a continued run is evaluated again when it ends
  ctx.status('Loading the data…');
  const dataSource = await ctx.dataset(run.dataset_id);
  const { data, source, backtest } = await samplesOf(dataSource, (id) => ctx.dataset(id));
  run.samples = data.actions.length;
  run.source_kind = source.kind;
  // where the policy's states come from: fine-tuning plays it on these candles
  if (dataSource.meta.labelledFrom && backtest) run.candles_dataset_id = dataSource.meta.labelledFrom.datasetId;
  run.state_width = data.width;
  ctx.status('Choosing the backend…');
  const backend = await ctx.selectBackend({ obsSize: data.width, numActions: 3, hidden: Array<number>(run.num_layers).fill(run.hidden_dim), batch: run.batch_size });
  ctx.status(`Training on ${backend}…`);
  await ctx.sink.save();

  // a member not finished trains on from its checkpoint (or from scratch without one): its old
  // rows after that point would be written again, or linger if it stops sooner this time
  if (ctx.previous) {
    for (const seed of run.seeds) {
      const c = resumes.get(seed);
      if (c?.kind === 'final' && c.status !== 'stopped') continue;
      await ctx.previous.dropUpdates(epochIndex(run, seed, c?.epoch ?? 0) + 1, epochIndex(run, seed, run.max_epochs));
    }
    if (resumes.size) ctx.replay(await ctx.previous.updates());
  }
  const total = run.max_epochs * run.seeds.length;
  let finished = 0; // epochs of the members done before the one training
  let result: Awaited<ReturnType<typeof trainEnsemble>>;
  try {
    result = await trainEnsemble(run.seeds, {
      hp: run,
      data,
      resume: (seed) => resumes.get(seed),
      sink: (seed) => {
        const restored = resumes.get(seed);
        if (restored?.kind === 'final' && restored.status !== 'stopped') finished += restored.epoch; // done before: not trained again
        const detail = `seed ${seed} (${run.seeds.indexOf(seed) + 1} of ${run.seeds.length})`;
        return {
          async epoch(m) {
            run.progress_epochs = finished + m.epoch;
            await ctx.sink.update(bcUpdate(run, seed, m));
            const left = (run.max_epochs - m.epoch) + run.max_epochs * (run.seeds.length - 1 - run.seeds.indexOf(seed));
            ctx.progress({ done: run.progress_epochs, total, rate: m.samples_per_s, secondsLeft: m.samples_per_s > 0 ? (left * run.samples) / m.samples_per_s : null, detail });
          },
          async checkpoint(c) {
            if (c.kind === 'final') finished += c.epoch;
            await ctx.sink.checkpoint(bcCheckpointName(c.kind, seed, run.seeds.length > 1), bcEnvelope(c), c.timestamp);
          },
        };
      },
      control: {
        stopRequested: () => ctx.control.stopRequested(),
        waitIfPaused: () => ctx.control.waitIfPaused(),
      },
    });
  } catch (e) {
    throw e instanceof BcDivergedError ? e : new Error(`Training failed: ${(e as Error).message}`);
  }
  try {
    if (result.members.every((m) => m.epoch === 0)) return 'stopped'; // before a first epoch: nothing to evaluate
    ctx.status('Evaluating…');
    const evaluation = await summarizeEnsemble(result, data, source, backtest);
    const stopped = result.reports.length < run.seeds.length || result.reports.some((r) => r.outcome === 'stopped');
    run.evaluation = evaluation;
    run.final_metrics = bcFinalMetrics(result, evaluation);
    run.progress_epochs = run.final_metrics.epochs_done;
    return stopped ? 'stopped' : 'completed';
  } finally {
    for (const m of result.members) m.dispose();
  }
}

export const BC_RUNTIME: AlgorithmRuntime<BcRunConfig> = {
  train,
  modelFiles: (c: CheckpointEnvelope) => bcModelFiles(c.payload as BcCheckpoint),
  actingPolicy: () => null,
};

export { bcEpochOf };
