// A version's account of itself, made from its run: where its data came from (dataset, revision,
// rows, segments), which run and checkpoint it is, and its figures on the validation walk that
// chose it and on the test walk played once when the run ended. Older runs lack some of it: those
// fields are null and read "unknown".
import type { EvaluationRecord, StoredCheckpoint, StoredEvaluation, StoredRun } from '../run/contracts';
import type { ComparisonSegment, ModelVersion, SegmentFigures, VersionDraft, VersionMetrics } from './types';

/** One walk's figures, without its windows. */
export function segmentFigures(e: EvaluationRecord): SegmentFigures {
  const b = e.baselines;
  return {
    segment: e.segment ?? null,
    step: e.step,
    windows: e.num_episodes,
    net_pnl_pct: e.net_pnl_pct ?? null,
    total_net_pnl_pct: e.total_net_pnl_pct ?? null,
    buy_and_hold_pct: b?.buy_and_hold?.net_pnl_pct.mean ?? null,
    baselines: Object.entries(b?.fixed ?? {}).map(([key, f]) => ({ key, label: f.label, net_pnl_pct: f.net_pnl_pct.mean })),
    random_band_pct: b?.random ? { p5: b.random.net_pnl_pct.p5, p95: b.random.net_pnl_pct.p95 } : null,
    mean_reward: e.mean_reward,
    std_reward: e.std_reward,
    sharpe: e.sharpe ?? null,
    max_drawdown: e.max_drawdown ?? null,
    win_rate: e.win_rate ?? null,
    trades: e.trades ?? null,
    verdict: e.verdict ?? null,
  };
}

/**
 * The validation walk a checkpoint stands on: the evaluation at its step (a best checkpoint is saved
 * at the evaluation that chose it), else the last one before it. Test walks are not among a run's
 * evaluations (they are kept apart, by model).
 */
export function validationOf(evaluations: readonly StoredEvaluation[] | readonly EvaluationRecord[], step: number): EvaluationRecord | null {
  const held = (evaluations as EvaluationRecord[]).filter((e) => e.segment !== 'test' && e.step <= step).sort((a, b) => a.step - b.step);
  return held.find((e) => e.step === step) ?? held[held.length - 1] ?? null;
}

/** The test walk of a run's checkpoint (its final evaluation by model: best, final), where the run played one. */
export function testOf(run: StoredRun, checkpointName: string): EvaluationRecord | null {
  const tests = run.test_evaluations as Record<string, EvaluationRecord> | undefined;
  return tests && typeof tests === 'object' ? tests[checkpointName] ?? null : null;
}

function plainFigures(metrics: unknown): Record<string, number | string | null> {
  const out: Record<string, number | string | null> = {};
  if (!metrics || typeof metrics !== 'object') return out;
  for (const [k, v] of Object.entries(metrics)) {
    if (v === null || typeof v === 'string') out[k] = v;
    else if (typeof v === 'number') out[k] = Number.isFinite(v) ? v : null;
  }
  return out;
}

export function versionMetrics(run: StoredRun, checkpoint: StoredCheckpoint, evaluations: readonly StoredEvaluation[]): VersionMetrics {
  const validation = validationOf(evaluations, checkpoint.step);
  const test = testOf(run, checkpoint.name);
  return { validation: validation && segmentFigures(validation), test: test && segmentFigures(test), summary: plainFigures(run.final_metrics) };
}

/** A version's draft from a run's checkpoint: its source, data lineage, figures and outline. */
export function versionDraftFromRun(run: StoredRun, checkpoint: StoredCheckpoint, evaluations: readonly StoredEvaluation[], opts: { tags?: readonly string[]; notes?: string } = {}): VersionDraft {
  const c = checkpoint.checkpoint;
  return {
    source: {
      run_id: run.run_id, run_name: run.name || run.run_id, algorithm: run.algorithm, env: typeof run.env === 'string' ? run.env : null,
      checkpoint: checkpoint.name, kind: checkpoint.kind, step: checkpoint.step, checkpoint_time: checkpoint.timestamp,
    },
    dataset: {
      id: run.dataset_id ?? '', name: run.dataset_name ?? '', file: run.data_file ?? '',
      revision: typeof run.dataset_revision === 'number' ? run.dataset_revision : null,
      rows: typeof run.dataset_rows === 'number' ? run.dataset_rows : null,
      segments: run.data_segments ?? null,
      synthetic: run.dataset_synthetic === true,
    },
    metrics: versionMetrics(run, checkpoint, evaluations),
    io: { obs_size: c.obsSize, action_names: [...c.actionNames], activation: c.activation, normalized: c.normalizer !== null },
    tags: [...new Set((opts.tags ?? []).map((t) => t.trim()).filter(Boolean))],
    notes: opts.notes ?? '',
  };
}

const int = (n: number) => n.toLocaleString('en-US');

/** "ETH_BTC-5m, revision 3, 5,760 rows" ("revision unknown" for runs stored before revisions). */
export function datasetText(v: Pick<ModelVersion, 'dataset'>): string {
  const d = v.dataset;
  const name = d.name || d.file || d.id || 'unknown dataset';
  return `${name}, revision ${d.revision ?? 'unknown'}, ${d.rows === null ? 'rows unknown' : `${int(d.rows)} rows`}${d.synthetic ? ' (synthetic)' : ''}`;
}

/** Lineage as one readable line: dataset revision → run → version. */
export function lineageText(v: ModelVersion): string {
  const s = v.source;
  const trainedOn = s.env ? `${s.algorithm} on ${s.env}` : s.algorithm;
  const segs = v.dataset.segments;
  const train = segs ? `, training rows ${int(segs.train[0])}–${int(segs.train[1])}` : '';
  const from = v.imported_from ? ` (imported from ${v.imported_from.model} v${v.imported_from.version})` : '';
  return `${datasetText(v)}${train} → run ${s.run_name === s.run_id ? s.run_id : `${s.run_name} (${s.run_id})`}, ${trainedOn}, ${s.checkpoint} checkpoint at step ${int(s.step)} → ${v.model} v${v.version}${from}`;
}

/**
 * Why a version's figures on `segment` are not out of sample, or null: it trained on (or was chosen
 * on) some of those rows of the same dataset, by row numbers where the segment has them (appends
 * never renumber rows), else by time.
 */
export function segmentOverlap(v: ModelVersion, segment: Pick<ComparisonSegment, 'dataset_id' | 'rows' | 'times'>): string | null {
  if (v.dataset.id !== segment.dataset_id) return null;
  const segs = v.dataset.segments;
  if (!segs) return `v${v.version}'s run did not record its segments: it may have trained on these rows`;
  const span = (r: [number, number]) => `${int(r[0])}–${int(r[1])}`;
  let hits: (which: 'train' | 'validation') => boolean;
  if (segment.rows) {
    const [a, b] = segment.rows;
    hits = (which) => { const r = segs[which]; return !!r && r[0] < b && a < r[1]; };
  } else if (segment.times && segs.times) {
    const a = Date.parse(segment.times[0]), b = Date.parse(segment.times[1]);
    hits = (which) => { const t = segs.times![which]; return !!t && Date.parse(t[0]) <= b && a <= Date.parse(t[1]); };
  } else {
    return `v${v.version} trained on the same dataset and the rows cannot be told apart: it may have trained on these rows`;
  }
  if (hits('train')) return `v${v.version} trained on some of these rows (its training rows ${span(segs.train)})`;
  // only a best checkpoint was chosen on its validation rows; a final or periodic one was not
  if (v.source.kind === 'best' && hits('validation')) return `v${v.version} was chosen on some of these rows (its validation rows ${span(segs.validation!)})`;
  return null;
}
