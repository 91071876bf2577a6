import { importBytes, type ImportOutcome } from '../../src/core/data/importer';
import type { ColumnMapping, Dataset } from '../../src/core/data/types';
import type { BcData } from '../../src/algos/bc/trainer';
import { newPpoConfig, type EnvSettings } from '../../src/algos/ppo/config';
import type { PpoHyperparameters } from '../../src/algos/ppo/hyperparameters';
import { buildEnvironments as buildEnvs } from '../../src/core/env/build';
import { candleData } from '../../src/core/env/candles';
import { envSpec } from '../../src/core/env/registry';
import type { CandleColumns, MarketFeatures } from '../../src/core/features/layout';
import type { RunHeader } from '../../src/core/run/contracts';
import { Rng } from '../../src/core/rng';

export const bytesOf = (text: string) => new TextEncoder().encode(text);

/** Imports text (or bytes) and expects a ready dataset. */
export async function importReady(content: string | Uint8Array, fileName = 'test.csv', mapping?: ColumnMapping): Promise<Dataset> {
  const out: ImportOutcome = await importBytes(typeof content === 'string' ? bytesOf(content) : content, fileName, { mapping });
  if (out.status !== 'ready') throw new Error(`expected ready, got ${out.status}: ${out.preview.reason}`);
  return out.dataset;
}

export function column(ds: Dataset, name: string): number[] {
  const i = ds.meta.columns.indexOf(name);
  const c = ds.columns[i];
  if (!c || c.type === 'text' || c.type === 'matrix') throw new Error(`no numeric column ${name}`);
  return Array.from(c.values);
}

export function textColumn(ds: Dataset, name: string): string[] {
  const c = ds.columns[ds.meta.columns.indexOf(name)];
  if (!c || c.type !== 'text') throw new Error(`no text column ${name}`);
  return Array.from(c.codes, (k) => c.dictionary[k]);
}

/** Gaussian states of `width` features; the class (by `priors`) shifts feature 0 by `shift[c]`. */
export function gaussianData(n: number, width: number, priors: number[], shift: number[], seed: number): BcData & { actions: Int32Array } {
  const rng = new Rng(seed);
  const states = new Float32Array(n * width), actions = new Int32Array(n), strengths = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = rng.next();
    const c = u < priors[0] ? 0 : u < priors[0] + priors[1] ? 1 : 2;
    actions[i] = c;
    for (let k = 0; k < width; k++) states[i * width + k] = rng.normal();
    states[i * width] += shift[c];
    strengths[i] = c === 0 ? 0.3 : 0.8;
  }
  return { states, actions, strengths, width };
}

const HEADER: RunHeader = {
  run_id: 'run_test', created_at: '', completed_at: null, status: 'running', algorithm: 'PPO', data_file: '', final_metrics: {}, name: 'test', tags: [],
  dataset_id: '', dataset_name: '', backend: 'cpu', backend_requested: 'cpu', backend_trials: [], error: null, updated_at: '',
};

/** PPO's settings as a new run gets them: defaults, then the preset, then these values (the training service's way). */
export function resolveSettings(preset: string | null, ppo: Partial<PpoHyperparameters>, env: Record<string, unknown> & { env?: string }): { hp: PpoHyperparameters; env: EnvSettings } {
  const { env: id, ...envSettings } = env;
  const config = newPpoConfig(HEADER, { algorithm: 'PPO', datasetId: '', env: id ?? 'position', preset, hyperparameters: ppo as never, envSettings: envSettings as never, backend: 'cpu' }, { start: null, datasetKind: 'candles' });
  return { hp: config, env: config.env_settings };
}

/** A run's training and evaluation environments on candles, as its runtime builds them. */
export function buildEnvironments(candles: CandleColumns, features: MarketFeatures, settings: EnvSettings, hp: PpoHyperparameters) {
  return buildEnvs(envSpec(settings.env), candleData(candles, features), settings, { copies: hp.n_envs, seed: hp.seed, maxSteps: hp.max_steps });
}
