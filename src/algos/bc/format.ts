// A behavior-cloning run's records in the run folder: train_metrics.jsonl has an epoch a line with
// its member's seed; evaluation.json holds what the run found; checkpoints are best / final (or
// seed_S/best, seed_S/final per member); TensorBoard scalars go by epoch, members under seed_S/.
// And what the report says: the classifier report, the ensemble and the backtest.
import type { CheckpointKind, EvaluationRecord, RunRecords, StoredRun, UpdateRecord } from '../../core/run/contracts';
import { parseTensorList, parseWeightsAndOptimizer, type RunFormat } from '../../core/run/format';
import type { ReportSection } from '../../core/run/report';
import { evaluationSections } from '../../core/eval/report';
import type { BcEvaluation, BcRunConfig } from './config';
import { bcEnvelope } from './envelope';
import { validateBcSeeds } from './hyperparameters';
import { bcCheckpointSeed, bcEpochOf, bcUpdate } from './records';
import type { BcCheckpoint } from './types';

const SCALAR_TAGS: Record<string, string> = {
  train_loss: 'train/loss', val_loss: 'val/loss', train_acc: 'train/accuracy', val_acc: 'val/accuracy',
  train_ce: 'train/ce', train_mse: 'train/mse', val_ce: 'val/ce', val_mse: 'val/mse',
  learning_rate: 'train/learning_rate', samples_per_s: 'time/samples_per_s',
};

const bc = (config: StoredRun) => config as unknown as BcRunConfig;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export const BC_FORMAT: RunFormat = {
  hasEpisodes: false,
  configOmit: ['evaluation'],
  extraFiles: (config): Record<string, string> => (bc(config).evaluation ? { 'evaluation.json': JSON.stringify(bc(config).evaluation, null, 2) } : {}),
  extraFileNames: ['evaluation.json'],
  readConfig(config, readJson, fail) {
    if (!Array.isArray(config.seeds)) fail('config.json', '"seeds" is not a list');
    const seedProblems = validateBcSeeds(config.seeds as unknown[]);
    if (seedProblems.length) fail('config.json', seedProblems.join('; '));
    for (const key of ['max_epochs', 'hidden_dim', 'num_layers', 'state_width']) {
      if (!Number.isInteger(config[key]) || (config[key] as number) < 1) fail('config.json', `"${key}" is not a positive whole number`);
    }
    for (const key of ['samples', 'progress_epochs']) if (!Number.isInteger(config[key]) || (config[key] as number) < 0) fail('config.json', `"${key}" is not a whole number`);
    if (!isObject(config.final_metrics)) fail('config.json', '"final_metrics" is not an object');
    const evaluation = readJson('evaluation.json');
    if (evaluation !== null && (!isObject(evaluation) || !isObject(evaluation.report) || !Array.isArray(evaluation.members))) fail('evaluation.json', 'not a behavior-cloning evaluation (no report or members)');
    config.evaluation = (evaluation as BcEvaluation | null) ?? null;
  },
  updateLine: (u) => ({ seed: u.member, ...bcEpochOf(u) }),
  parseUpdateLine(row, config, fail): UpdateRecord {
    const c = bc(config);
    if (!Number.isInteger(row.epoch) || !Number.isInteger(row.seed)) fail('no epoch or seed number');
    if ((row.epoch as number) < 1 || (row.epoch as number) > c.max_epochs) fail(`epoch ${String(row.epoch)} is outside 1..max_epochs (${c.max_epochs})`);
    if (!c.seeds.includes(row.seed as number)) fail(`seed ${String(row.seed)} is not one of config.json's seeds (${c.seeds.join(', ')})`);
    const { seed, ...epoch } = row;
    return bcUpdate(c, seed as number, epoch as never);
  },
  scalarTag: (key, u, config) => {
    const tag = SCALAR_TAGS[key];
    if (!tag) return null;
    return bc(config).seeds.length > 1 ? `seed_${u.member}/${tag}` : tag;
  },
  checkpointMisfit: (name, config) => (bcCheckpointSeed(name, bc(config).seeds) === null ? `behavior-cloning run (seeds ${bc(config).seeds.join(', ')})` : null),
  parsePayload(state, fail) {
    if (typeof state.epoch !== 'number') fail('no epoch');
    return { ...state, ...parseWeightsAndOptimizer(state, fail), bestWeights: state.bestWeights == null ? null : parseTensorList(state.bestWeights, 'bestWeights', fail) };
  },
  envelope: (payload, _config, kind: CheckpointKind) => bcEnvelope(payload as BcCheckpoint, kind),
};

const ACTIONS = ['HOLD', 'BUY', 'SELL'];
const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
// browsers without cross-origin isolation time in 0.1 ms steps: a 0 means "within one step"
const ms = (x: number) => (x === 0 ? 'under 0.1 ms' : `${x.toFixed(3)} ms`);

/** What a behavior-cloning run found: the classifier report, the ensemble beside its members, the backtest beside the teacher and buy-and-hold. */
export function bcReport(records: Pick<RunRecords, 'config'>): ReportSection[] {
  const config = bc(records.config);
  const e = config.evaluation;
  if (!e) return [];
  const sections: ReportSection[] = [
    {
      kind: 'text', title: 'Validation', parts: [
        `${e.source.kind === 'teacher' ? 'Teacher-labelled' : 'Offline'} data: ${e.source.samples.toLocaleString('en-US')} samples (HOLD / BUY / SELL ${e.source.actionCounts.join(' / ')}), trained on ${config.backend}. Accuracy `,
        { strong: pct(e.report.accuracy), testid: 'bc-accuracy' },
        `, macro F1 ${e.report.macroF1.toFixed(3)}. ${Math.round(e.samples_per_s).toLocaleString('en-US')} samples/s; one prediction takes ${ms(e.predict_ms.p50)} (p50), ${ms(e.predict_ms.p99)} (p99).`,
      ],
    },
  ];
  if (e.overfitting_signs.length) sections.push({ kind: 'warnings', items: e.overfitting_signs });
  sections.push({
    kind: 'table', title: 'Per action', head: ['action', 'precision', 'recall', 'F1', 'support', 'predicted', 'teacher / data'],
    rows: e.report.perClass.map((c, i) => [c.label, c.precision.toFixed(3), c.recall.toFixed(3), c.f1.toFixed(3), c.support, pct(e.report.predictedDistribution[i]), pct(e.report.actualDistribution[i])]),
  });
  sections.push({
    kind: 'table', title: 'Confusion matrix', note: 'Rows: actual, columns: predicted.', testid: 'bc-confusion', head: ['', ...ACTIONS],
    rows: e.report.confusion.map((row, i) => [{ text: ACTIONS[i], header: true }, ...row]),
  });
  if (e.members.length > 1) {
    sections.push({
      kind: 'table', title: 'Ensemble', head: ['member', 'best epoch', 'accuracy'],
      rows: [...e.members.map((m) => [`seed ${m.seed}`, m.best_epoch, pct(m.eval_acc)]), [{ text: 'majority vote', strong: true }, '', { text: pct(e.ensemble_accuracy), strong: true }]],
    });
  }
  if (e.backtest && 'segment' in e.backtest) sections.push(...backtestSections(e.backtest.policy, e.backtest.teacher));
  else if (e.backtest) {
    // a run stored before the test segment: one long episode over its held-out rows, fees on entry only
    const b = e.backtest;
    sections.push({
      kind: 'table', title: 'Backtest on the held-out segment (position environment; a run stored before the test segment: one episode, no exit fee)', testid: 'bc-backtest', head: ['', 'return', 'Sharpe', 'max drawdown', 'win rate', 'trades'],
      rows: [
        ...([['policy', b.policy], ['teacher ensemble', b.teacher]] as const).map(([name, r]) => [name, `${r.return_pct.toFixed(2)} %`, r.sharpe.toFixed(2), pct(r.max_drawdown), pct(r.win_rate), r.trades]),
        ['buy and hold', `${b.policy.buy_and_hold_return_pct.toFixed(2)} %`, '', '', '', ''],
      ],
    });
  }
  return sections;
}

/** The policy's and the teacher's walks over the test segment, beside the baselines, and the verdict. */
function backtestSections(policy: EvaluationRecord, teacher: EvaluationRecord): ReportSection[] {
  return evaluationSections('Backtest on the position environment', [{ name: 'policy', record: policy }, { name: 'teacher ensemble', record: teacher }], { testid: 'bc-backtest', verdictTestid: 'bc-verdict' });
}
