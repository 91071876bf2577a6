// Retraining a registered model when enough new data arrived (seed 003's auto-trainer, made
// honest). A check compares the rows the champion trained on with what its dataset holds now (and,
// where the model's rule asks, the drift of the newest rows' observations from the training rows');
// a retrain trains a challenger from the champion's weights with the champion's settings on the
// grown data, registers its final model, walks both on the same held-out windows (the challenger's
// validation segment: the newest rows before its test segment, which no model selection touches,
// and on which its final model was not chosen) and promotes
// the challenger only when it beats the champion by the rule's metric. Every decision is recorded
// with its figures. The same code runs in the training worker and on the command line.
import { algorithmSpec } from '../algos/registry';
import { observationNames } from '../algos/onnxExport';
import type { TrainRequest } from '../algos/spec';
import { envSettingsOf } from '../core/env/build';
import { observationsAt, spacedRows } from '../core/env/observations';
import { findEnv } from '../core/env/registry';
import type { DatasetSource } from '../core/env/spec';
import { promotionDecision, retrainDue, type DriftFigure, type RetrainDue } from '../core/retrain/decide';
import { driftFigure, observationDrift } from '../core/registry/drift';
import { segmentFigures } from '../core/registry/lineage';
import type { ModelRegistry } from '../core/registry/registry';
import { CHAMPION, type RetrainDecision, type RetrainRule, type RetrainTrigger, type VersionCheckpoint } from '../core/registry/types';
import type { BackendChoice, StoredCheckpoint, StoredEvaluation, StoredRun } from '../core/run/contracts';
import { compareVersions, registerRunCheckpoint, type DatasetLookup } from './registry';
import type { ProgressCallback, TrainingService } from './training';

/** Observations sampled from each side for a drift test: enough for deciles and KS, quick to play. */
const DRIFT_SAMPLE = 2000;
/** Fewer new rows than this and a drift test says nothing. */
const DRIFT_MIN_ROWS = 20;

export interface RetrainDeps {
  registry: ModelRegistry;
  /** Datasets by id, for the walks (the champion's own dataset, grown). */
  datasets: DatasetLookup;
  /** The dataset a model retrains on now: its champion's dataset as it is today (the command line: the file given). */
  currentData(champion: StoredRun): Promise<DatasetSource | null>;
  training: TrainingService;
  /** A finished run's records, to register its best checkpoint. */
  runRecords(runId: string): Promise<{ config: StoredRun; checkpoints: StoredCheckpoint[]; evaluations: StoredEvaluation[] } | null>;
  backend: BackendChoice;
}

export interface RetrainCheck {
  model: string;
  champion: number | null;
  datasetId: string | null;
  due: RetrainDue | null;
  drift: DriftFigure | null;
  /** Why nothing can be retrained (no champion, its data gone, a run on no environment). */
  problem: string | null;
}

interface Champion {
  version: number;
  vc: VersionCheckpoint;
  rule: RetrainRule;
}

async function championOf(registry: ModelRegistry, model: string): Promise<Champion | string> {
  const record = await registry.getModel(model);
  if (!record) return `there is no model "${model}"`;
  const version = record.aliases[CHAMPION];
  if (version === undefined) return `model "${model}" has no champion to retrain from`;
  return { version, vc: await registry.versionCheckpoint(model, version), rule: record.retrain_rule };
}

/**
 * The drift of the rows that arrived since the champion trained from its training rows, by the
 * rule's test over the observation features; null when the rule watches none or there is too
 * little to test. KS is tested per feature at alpha / features (Bonferroni), so a model with 34
 * features is not called drifted by chance one time in six.
 */
export async function championDrift(rule: RetrainRule, run: StoredRun, source: DatasetSource): Promise<DriftFigure | null> {
  if (rule.drift === 'off') return null;
  const spec = findEnv(String(run.env ?? ''));
  const segments = run.data_segments;
  if (!spec || !segments) return null;
  const data = await spec.load(source);
  const seen = segments.test?.[1] ?? segments.train[1];
  if (data.rows - seen < DRIFT_MIN_ROWS) return null;
  const settings = envSettingsOf(spec, (run.env_settings ?? {}) as Record<string, unknown>);
  const reference = observationsAt(spec, data, settings, spacedRows({ start: segments.train[0], end: segments.train[1] }, DRIFT_SAMPLE));
  const current = observationsAt(spec, data, settings, spacedRows({ start: seen, end: data.rows }, DRIFT_SAMPLE));
  const report = observationDrift(reference, current, spec.obsSize, observationNames(spec, spec.obsSize) ?? []);
  if (rule.drift === 'psi') return driftFigure(report, 'psi', rule.psiThreshold);
  const tested = report.features.filter((f) => Number.isFinite(f.ksPValue)).length;
  return driftFigure(report, 'ks', rule.ksAlpha / Math.max(1, tested));
}

/** Whether a model is due a retrain now, and why; reads no weights but the champion's. */
export async function checkRetrain(deps: RetrainDeps, model: string): Promise<RetrainCheck> {
  const champion = await championOf(deps.registry, model);
  if (typeof champion === 'string') return { model, champion: null, datasetId: null, due: null, drift: null, problem: champion };
  const run = champion.vc.run;
  const base = { model, champion: champion.version, datasetId: run.dataset_id };
  if (!findEnv(String(run.env ?? ''))) return { ...base, due: null, drift: null, problem: `its champion (version ${champion.version}) did not train on an environment: retraining needs one to compare the models on` };
  const source = await deps.currentData(run);
  if (!source) return { ...base, due: null, drift: null, problem: `the dataset its champion trained on ("${run.dataset_name}") is not at hand` };
  const championRows = typeof run.dataset_rows === 'number' ? run.dataset_rows : source.meta.rows;
  const drift = await championDrift(champion.rule, run, source);
  return { ...base, due: retrainDue(champion.rule.minNewRows, championRows, source.meta.rows, champion.rule.drift === 'off' ? null : drift), drift, problem: null };
}

/** The champion's settings as a request to train again, from its weights, on the grown data. */
function retrainRequest(model: string, champion: Champion, source: DatasetSource, backend: BackendChoice): TrainRequest {
  const run = champion.vc.run;
  const spec = algorithmSpec(run.algorithm);
  const hyperparameters = Object.fromEntries(spec.hyperparameters.filter((h) => run[h.key] !== undefined).map((h) => [h.key, run[h.key]])) as TrainRequest['hyperparameters'];
  const { env: _env, ...envSettings } = (run.env_settings ?? {}) as Record<string, unknown>;
  const policy = spec.startingPolicy?.(run, [champion.vc.checkpoint]) ?? null;
  if (!policy) throw new Error(`Version ${champion.version} of "${model}" has no policy to start from.`);
  return {
    algorithm: run.algorithm, datasetId: source.meta.id, env: String(run.env), preset: (run.preset as string | null | undefined) ?? null,
    // auto: the backend the champion trained on, measured fastest then, rather than measuring again
    hyperparameters, envSettings: envSettings as TrainRequest['envSettings'], backend: backend === 'auto' && run.backend ? run.backend : backend, name: `${model} · retrained from v${champion.version}`,
    initFromRun: run.run_id, startingPolicy: policy,
  };
}

/**
 * Checks the model and, when due (or when forced), retrains it and decides; records the decision
 * (a check that finds nothing due is recorded too, once per distinct reason). Resolves with it.
 */
export async function retrainModel(deps: RetrainDeps, model: string, trigger: RetrainTrigger, opts: { force?: boolean; onProgress?: ProgressCallback } = {}): Promise<RetrainDecision> {
  const { registry } = deps;
  const check = await checkRetrain(deps, model);
  const at = () => new Date().toISOString();
  const skipped = async (reason: string): Promise<RetrainDecision> => {
    const last = (await registry.listDecisions(model)).at(-1);
    // a watcher that looks every few minutes and finds the same thing does not fill the record
    if (last && last.decision === 'skipped' && last.reason === reason && last.champion === check.champion) return last;
    return registry.recordDecision(model, { at: at(), trigger, newRows: check.due?.newRows ?? 0, drift: check.drift, champion: check.champion, challenger: null, segment: null, figures: { champion: null, challenger: null }, decision: 'skipped', reason });
  };
  if (check.problem) return skipped(`not retrained: ${check.problem}`);
  if (!check.due!.due && !opts.force) return skipped(`not due: ${check.due!.reason}`);

  const champion = (await championOf(registry, model)) as Champion;
  const source = (await deps.currentData(champion.vc.run))!;
  const started = await deps.training.start(retrainRequest(model, champion, source, deps.backend), opts.onProgress ?? (() => {}));
  const status = await started.done;
  const records = await deps.runRecords(started.runId);
  if (status !== 'completed' || !records) {
    return registry.recordDecision(model, { at: at(), trigger, newRows: check.due!.newRows, drift: check.drift, champion: champion.version, challenger: null, segment: null, figures: { champion: null, challenger: null }, decision: 'skipped', reason: `the retrain (run ${started.runId}) ended ${status}${records?.config.error ? `: ${records.config.error}` : ''}; the champion stays` });
  }
  const why = opts.force && !check.due!.due ? `retrained on request (${check.due!.reason})` : `retrained: ${check.due!.reason}`;
  // its final model: the best one was chosen on the validation segment the two are compared on
  const challenger = await registerRunCheckpoint(registry, records, {
    model, checkpoint: 'final', tags: ['retrain'],
    notes: `${why}; from version ${champion.version}, on revision ${records.config.dataset_revision ?? '?'} (${records.config.dataset_rows ?? '?'} rows)`,
  });
  // both on the challenger's validation segment: the newest held-out rows that are not its test segment
  const compared = await compareVersions(registry, deps.datasets, { model, versions: [champion.version, challenger.version], on: { version: challenger.version, which: 'validation' } });
  const decision = promotionDecision(champion.rule.metric, compared.walks[0].record, compared.walks[1].record);
  const reason = `${why}. ${decision.reason[0].toUpperCase()}${decision.reason.slice(1)}${compared.warnings.length ? ` (${compared.warnings.join('; ')})` : ''}`;
  if (decision.promote) await registry.promote(model, challenger.version, reason);
  return registry.recordDecision(model, {
    at: at(), trigger, newRows: check.due!.newRows, drift: check.drift, champion: champion.version, challenger: challenger.version,
    segment: compared.segment, figures: { champion: segmentFigures(compared.walks[0].record), challenger: segmentFigures(compared.walks[1].record) },
    decision: decision.promote ? 'promoted' : 'kept-challenger', reason,
  });
}
