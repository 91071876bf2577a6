// Behavior cloning (seed 002) as the registry knows it: its hyperparameters, what it learns from
// (offline datasets, or the teacher's labels of candles), its run list column, facts, charts per
// member, report and run-folder format, and the PolicyNet it gives for fine-tuning. Its
// TensorFlow.js half (runtime.ts) loads only where it trains.
import type { EvaluationRecord } from '../../core/run/contracts';
import { dataRevisionText } from '../../core/run/report';
import type { AlgorithmSpec } from '../spec';
import { BC_ID, isBcRun, newBcConfig, type BcRunConfig } from './config';
import { BC_ACTION_NAMES } from './envelope';
import { bcReport, BC_FORMAT } from './format';
import { BC_HYPERPARAMETERS } from './hyperparameters';
import { ppoPolicyFromBc } from './policy';
import { bcCheckpointName } from './records';
import type { BcCheckpoint } from './types';
import { bcOnnx } from './onnxPolicy';

export const BC: AlgorithmSpec<BcRunConfig> = {
  id: BC_ID,
  title: 'Behavior cloning',
  menuLabel: 'Behavior cloning (PolicyNet from the teacher ensemble or an offline dataset)',
  subject: (c) => (c.source_kind === 'teacher' ? 'behavior cloning from a teacher' : 'behavior cloning from offline samples'),
  describe: (c) => `behavior cloning (${c.seeds.length > 1 ? `ensemble of seeds ${c.seeds.join(', ')}` : `seed ${c.seeds[0]}`})`,
  hyperparameters: BC_HYPERPARAMETERS,
  advancedTitle: 'PolicyNet and training',
  trainsOn: { environments: false, datasetKinds: ['candles', 'offline'] },
  datasetNotes: { candles: 'candles: the teacher ensemble labels them' },
  startingPolicy(config, checkpoints) {
    // the first seed's PolicyNet: its final checkpoint, else its best
    const seed = config.seeds[0];
    const ensemble = config.seeds.length > 1;
    const stored = checkpoints.find((c) => c.name === bcCheckpointName('final', seed, ensemble)) ?? checkpoints.find((c) => c.name === bcCheckpointName('best', seed, ensemble));
    if (!stored) return null;
    const c = stored.checkpoint.payload as BcCheckpoint;
    return ppoPolicyFromBc(c, `behavior-cloning run ${config.run_id} (seed ${seed}, best epoch ${c.bestEpoch})`);
  },
  // a PolicyNet learnt from the teacher's candles acts on the states of the environment the teacher's labels come from
  policyShape: (c) => (c.source_kind === 'teacher' && c.state_width > 0 ? { obsSize: c.state_width, actionNames: BC_ACTION_NAMES, hidden: Array<number>(c.num_layers).fill(c.hidden_dim), activation: 'relu' } : null),
  unit: 'epochs',
  plannedTotal: (c) => c.max_epochs * c.seeds.length,
  progressDone: (c) => c.progress_epochs,
  resumable: () => true,
  newConfig: newBcConfig,
  columns: [{ key: 'val_acc', label: 'Accuracy', title: 'behavior cloning: accuracy on the validation samples', value: (c) => (isBcRun(c) ? c.final_metrics?.val_acc ?? null : null), format: 'percent' }],
  compare: {
    columns: [
      { key: 'best_epoch', label: 'best epoch', value: (c) => (isBcRun(c) ? c.final_metrics?.best_epoch ?? null : null), format: 'integer' },
      { key: 'best_val_loss', label: 'best validation loss', value: (c) => (isBcRun(c) ? c.final_metrics?.best_val_loss ?? null : null), format: 'fixed3' },
      { key: 'val_acc', label: 'accuracy', value: (c) => (isBcRun(c) ? c.final_metrics?.val_acc ?? null : null), format: 'percent' },
      { key: 'macro_f1', label: 'macro F1', value: (c) => (isBcRun(c) ? c.final_metrics?.macro_f1 ?? null : null), format: 'fixed3' },
      { key: 'backtest_return', label: 'test net P&L % per window', value: (c) => { const b = isBcRun(c) ? c.evaluation?.backtest : null; return !b ? null : 'segment' in b ? b.policy.net_pnl_pct?.mean ?? null : b.policy.return_pct; }, format: 'fixed3' },
    ],
    charts: [
      { title: 'Validation loss by epoch (behavior cloning, first seed)', key: 'val_loss', fallbackKey: 'train_loss', xLabel: 'epoch' },
      { title: 'Validation accuracy by epoch', key: 'val_acc', fallbackKey: 'train_acc', xLabel: 'epoch' },
    ],
  },
  facts: (c) => [
    { label: 'Data', value: `${c.dataset_name || c.data_file}${dataRevisionText(c).replace(/\*\*/g, '')}: ${c.samples.toLocaleString('en-US')} ${c.source_kind === 'teacher' ? 'samples labelled by the teacher ensemble' : 'offline samples'} · behavior cloning on ${c.backend}` },
    { label: 'PolicyNet', value: `${c.state_width} → ${Array(c.num_layers).fill(c.hidden_dim).join(' → ')} → 3 + 1 · dropout ${c.dropout} · ${c.optimizer} lr ${c.learning_rate} · ${c.seeds.length > 1 ? `ensemble of seeds ${c.seeds.join(', ')}` : `seed ${c.seeds[0]}`}` },
    { label: 'Progress', value: `${c.progress_epochs} epochs of at most ${c.max_epochs * c.seeds.length}` },
    { label: 'Final metrics', value: `best epoch ${c.final_metrics.best_epoch ?? '—'} · best validation loss ${c.final_metrics.best_val_loss?.toFixed(4) ?? '—'} · accuracy ${c.final_metrics.val_acc === null ? '—' : `${(100 * c.final_metrics.val_acc).toFixed(1)} %`} · macro F1 ${c.final_metrics.macro_f1?.toFixed(3) ?? '—'}` },
  ],
  charts: [
    { title: 'Loss (train dashed, validation solid)', xLabel: 'epoch', testid: 'bc-chart-loss', perMember: true, lines: [{ key: 'train_loss', label: 'train', color: '#2f7de1', dash: [4, 4] }, { key: 'val_loss', label: 'validation', color: '#c43c3c' }] },
    { title: 'Action accuracy (train dashed, validation solid)', xLabel: 'epoch', perMember: true, lines: [{ key: 'train_acc', label: 'train', color: '#2f7de1', dash: [4, 4] }, { key: 'val_acc', label: 'validation', color: '#c43c3c' }] },
  ],
  warnings: () => [],
  summary: (c) => {
    const e = c.evaluation;
    if (!e) return [`${c.status}: no epoch finished`];
    const outcomes = e.members.map((m) => `${c.seeds.length > 1 ? `seed ${m.seed} ` : ''}${m.outcome}, best epoch ${m.best_epoch}`).join('; ');
    const lines = [`done (${outcomes}): validation accuracy ${e.report.accuracy.toFixed(3)}${c.seeds.length > 1 ? ' (majority vote)' : ''}, macro F1 ${e.report.macroF1.toFixed(3)}${e.overfitting_signs.length ? `; ${e.overfitting_signs.join('; ')}` : ''}`];
    const b = e.backtest;
    if (b && 'segment' in b) {
      const pnl = (r: EvaluationRecord) => (r.net_pnl_pct?.mean ?? 0).toFixed(2);
      lines.push(`held-out backtest: policy ${pnl(b.policy)} %, teacher ${pnl(b.teacher)} %, buy and hold ${(b.policy.baselines?.buy_and_hold?.net_pnl_pct.mean ?? 0).toFixed(2)} % (test segment, mean net P&L per window of ${b.policy.num_episodes}, after fees and slippage)`);
      if (b.policy.verdict) lines.push(`verdict: ${b.policy.verdict}`);
    } else if (b) lines.push(`held-out backtest: policy ${b.policy.return_pct.toFixed(2)} %, teacher ${b.teacher.return_pct.toFixed(2)} %, buy and hold ${b.policy.buy_and_hold_return_pct.toFixed(2)} %`);
    return lines;
  },
  report: bcReport,
  format: BC_FORMAT,
  onnxPolicy: bcOnnx,
  runtime: async () => (await import('./runtime')).BC_RUNTIME,
};
