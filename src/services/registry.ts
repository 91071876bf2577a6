// The model registry's work beyond its records: registering a run's checkpoint, a version's files
// (TensorFlow.js model, ONNX, model card, the run's config and state) for a zip or a registry
// folder, importing such a zip, and two versions walked side by side on one segment. The page, the
// training worker (what needs TensorFlow.js) and the command line (the folder registry) share it.
import { exportOnnx } from '../algos/onnxExport';
import { algorithmSpec, RUN_FORMATS } from '../algos/registry';
import { modelCardJson, modelCardMarkdown, type ModelInterface } from '../core/registry/card';
import { segmentOverlap, versionDraftFromRun } from '../core/registry/lineage';
import { ModelRegistry } from '../core/registry/registry';
import { aliasesOf, RegistryError } from '../core/registry/rules';
import type { ComparisonSegment, ModelVersion, VersionCheckpoint } from '../core/registry/types';
import { readVersionZip, versionFiles, versionFolderName, zipVersion } from '../core/registry/versionZip';
import type { DatasetSource } from '../core/env/spec';
import type { CheckpointEnvelope, EvaluationRecord, StoredCheckpoint, StoredEvaluation, StoredRun } from '../core/run/contracts';
import { configJson, trainerStateJson } from '../core/run/exportRun';
import type { LabDb } from '../store/db';
import { getDatasetMeta, storedDatasetSource } from '../store/datasets';
import { idbRegistry } from '../store/registry';
import { getRun, runCheckpoints, runEvaluations } from '../store/runs';
import { evaluateOnSegment } from './segmentEvaluation';

/** The registry in this browser's IndexedDB. */
export function browserRegistry(db: LabDb): ModelRegistry {
  return new ModelRegistry(idbRegistry(db));
}

export interface RegisterOptions {
  model: string;
  /** The run's checkpoint: best, final (seed_S_best… for an ensemble's member). */
  checkpoint: string;
  tags?: readonly string[];
  notes?: string;
}

/** Registers a run's checkpoint as the next version of `opts.model`, from the run's records (a browser's, or a run folder's). */
export async function registerRunCheckpoint(registry: ModelRegistry, records: { config: StoredRun; checkpoints: readonly StoredCheckpoint[]; evaluations: readonly StoredEvaluation[] }, opts: RegisterOptions): Promise<ModelVersion> {
  const run = records.config;
  if (run.status === 'running') throw new RegistryError(`Run ${run.run_id} is still training; register its model once it has ended.`);
  const checkpoint = records.checkpoints.find((c) => c.name === opts.checkpoint);
  if (!checkpoint) throw new RegistryError(`Run ${run.run_id} has no ${opts.checkpoint} checkpoint (it has ${records.checkpoints.map((c) => c.name).join(', ') || 'none'}).`);
  const draft = versionDraftFromRun(run, checkpoint, records.evaluations, { tags: opts.tags, notes: opts.notes });
  return registry.registerVersion(opts.model.trim(), draft, { run, checkpoint });
}

/** Registers a checkpoint of a run stored in this browser. */
export async function registerStoredRun(db: LabDb, runId: string, opts: RegisterOptions): Promise<ModelVersion> {
  const config = await getRun(db, runId);
  if (!config) throw new RegistryError(`Run ${runId} is not in this browser.`);
  const [checkpoints, evaluations] = await Promise.all([runCheckpoints(db, runId), runEvaluations(db, runId)]);
  return registerRunCheckpoint(browserRegistry(db), { config, checkpoints, evaluations }, opts);
}

/**
 * A policy as ONNX, with its interface for the model card (a run config and a checkpoint in, the
 * .onnx bytes and a description of its inputs and outputs back): the lab's is algos/onnxExport.ts.
 */
export type OnnxExporter = (config: StoredRun, checkpoint: CheckpointEnvelope) => Promise<{ bytes: Uint8Array; interface: ModelInterface }> | { bytes: Uint8Array; interface: ModelInterface };

/**
 * Every file of a version's folder (see core/registry/versionZip.ts). Needs a TensorFlow.js
 * backend (the caller's) for model.json; model.onnx from the lab's ONNX export unless told otherwise.
 */
export async function versionFolderFiles(version: ModelVersion, aliases: readonly string[], vc: VersionCheckpoint, onnx: OnnxExporter | null = exportOnnx): Promise<Record<string, Uint8Array>> {
  const spec = algorithmSpec(vc.run.algorithm);
  const envelope = vc.checkpoint.checkpoint;
  const model = await (await spec.runtime()).modelFiles(envelope, vc.run);
  const exported = onnx ? await onnx(vc.run, envelope) : null;
  const runExtras = spec.format.extraFiles(vc.run);
  const names = ['model.json', 'weights.bin', ...(exported ? ['model.onnx'] : []), 'model_card.json', 'model_card.md', 'run/config.json', 'run/trainer_state.json'];
  const card = modelCardJson(version, aliases, envelope, exported?.interface ?? null, names);
  return versionFiles({
    modelJson: model.modelJson, weightsBin: model.weightsBin, onnx: exported?.bytes ?? null, card, cardMarkdown: modelCardMarkdown(card),
    runConfigJson: configJson(vc.run, spec.format), runExtras, trainerStateJson: trainerStateJson(envelope.payload),
  });
}

/** A version as a zip (<model>_v<N>/…), with its file name. */
export async function exportVersionZip(registry: ModelRegistry, name: string, version: number, onnx: OnnxExporter | null = exportOnnx): Promise<{ bytes: Uint8Array; fileName: string }> {
  const [model, v] = await Promise.all([registry.getModel(name), registry.getVersion(name, version)]);
  if (!model || !v || v.deleted_at) throw new RegistryError(`Model "${name}" has no version ${version}.`);
  const files = await versionFolderFiles(v, aliasesOf(model, version), await registry.versionCheckpoint(name, version), onnx);
  const folder = versionFolderName(name, version);
  return { bytes: zipVersion(files, folder), fileName: `${folder}.zip` };
}

/**
 * Imports a version zip as the next version of `into` (by default the model it was exported from),
 * checked whole before anything is stored, then written in one transaction. Its card's record
 * comes along (tags, notes, figures, lineage), and where it came from; aliases stay behind.
 */
export async function importVersionZip(registry: ModelRegistry, bytes: Uint8Array, fileName: string, into?: string): Promise<ModelVersion> {
  const read = readVersionZip(bytes, fileName, RUN_FORMATS);
  const target = into?.trim() || read.origin.model;
  try {
    return await registry.registerVersion(target, { ...read.draft, imported_from: { model: read.origin.model, version: read.origin.version, file: fileName } }, read.checkpoint);
  } catch (e) {
    throw new RegistryError(`Cannot import "${fileName}" into "${target}": nothing was stored: ${(e as Error).message}`);
  }
}

export interface CompareRequest {
  model: string;
  versions: [number, number];
  /** The segment: a version's own (its run's validation or test rows), or a dataset's test segment as the newer version's run would cut it. */
  on: { version: number; which: 'validation' | 'test' } | { datasetId: string };
}

export interface CompareResult {
  segment: ComparisonSegment;
  /** Each version's walk, in the order asked, the baselines with the first. */
  walks: { version: number; record: EvaluationRecord }[];
  /** Why a figure is not out of sample (a version trained or was chosen on these rows). */
  warnings: string[];
}

/** A dataset by id, or null where it is not at hand: the browser's store, or the files the command line was given. */
export type DatasetLookup = (id: string) => Promise<DatasetSource | null>;

/** Datasets in this browser's store (not those being deleted). */
export function storedDatasets(db: LabDb): DatasetLookup {
  return async (id) => {
    const meta = await getDatasetMeta(db, id);
    return meta && !meta.deletedAt ? storedDatasetSource(db, meta) : null;
  };
}

/**
 * Two versions walked on the same windows, each with net P&L per window ± its interval, beside
 * buy-and-hold, never trading and the random band. The backend must be started (the caller's).
 */
export async function compareVersions(registry: ModelRegistry, datasets: DatasetLookup, req: CompareRequest): Promise<CompareResult> {
  const name = req.model;
  const load = async (n: number) => {
    const v = await registry.getVersion(name, n);
    if (!v || v.deleted_at) throw new RegistryError(`Model "${name}" has no version ${n}.`);
    return { version: v, checkpoint: await registry.versionCheckpoint(name, n) };
  };
  const [a, b] = await Promise.all(req.versions.map(load));
  let segmentRun: StoredRun;
  let which: 'validation' | 'test';
  let rows: [number, number] | null;
  if ('version' in req.on) {
    const owner = req.on.version === a.version.version ? a : req.on.version === b.version.version ? b : await load(req.on.version);
    segmentRun = owner.checkpoint.run;
    which = req.on.which;
    rows = segmentRun.data_segments?.[which] ?? null;
  } else {
    // the newer version's environment and settings, on all of the chosen dataset's rows
    const newer = a.version.version > b.version.version ? a : b;
    const chosen = await datasets(req.on.datasetId);
    if (!chosen) throw new RegistryError(`Dataset ${req.on.datasetId} is not at hand (deleted, or not given).`);
    segmentRun = { ...newer.checkpoint.run, dataset_id: chosen.meta.id, dataset_name: chosen.meta.name };
    delete segmentRun.dataset_rows;
    delete segmentRun.data_segments;
    which = 'test';
    rows = null;
  }
  const source = await datasets(segmentRun.dataset_id);
  if (!source) throw new RegistryError(`The dataset run ${segmentRun.run_id} trained on ("${segmentRun.dataset_name}") is not at hand: choose a dataset to compare the versions on.`);
  const meta = source.meta;
  const records = await evaluateOnSegment(segmentRun, source, which, [a.checkpoint, b.checkpoint]);
  const windows = records[0]?.windows ?? [];
  const first = windows[0]?.start_time ?? null, last = windows[windows.length - 1]?.end_time ?? null;
  const segment: ComparisonSegment = {
    run_id: segmentRun.run_id, dataset_id: meta.id, dataset_name: meta.name,
    dataset_revision: typeof segmentRun.dataset_revision === 'number' ? segmentRun.dataset_revision : meta.revision ?? null,
    which, rows, times: first && last ? [first, last] : null, windows: records[0]?.num_episodes ?? 0,
  };
  const warnings = [a.version, b.version].map((v) => segmentOverlap(v, segment)).filter((w): w is string => w !== null);
  return { segment, walks: [{ version: a.version.version, record: records[0] }, { version: b.version.version, record: records[1] }], warnings };
}
