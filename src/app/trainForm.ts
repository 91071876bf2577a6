// The Train form's whole state as one serializable object, mirrored in the page's address (as
// TensorFlow Playground's state.ts): the algorithm, dataset, environment, preset, backend, and
// every hyperparameter and environment setting, each read and written through its table. A value a
// link gets wrong is reported and replaced by its default, never thrown.
import { ALGORITHMS, DEFAULT_ALGORITHM_ID, findAlgorithm } from '../algos/registry';
import type { AlgorithmSpec, PolicyShape, Preset, TrainRequest } from '../algos/spec';
import { DEFAULT_ENV_ID, ENVIRONMENTS, findEnv } from '../core/env/registry';
import type { EnvSpec } from '../core/env/spec';
import type { BackendChoice } from '../core/run/contracts';
import { defaultsOf, formatSetting, parseSetting, type SettingSpec, type SettingValues } from '../core/settings';

/** Where the Data view keeps the dataset chosen there, for the Train view to offer first. */
export const SELECTED_DATASET_KEY = 'rl-trading-lab:selected-dataset';

export const BACKEND_CHOICES: readonly { value: BackendChoice; label: string }[] = [
  { value: 'auto', label: 'auto (measure, keep the fastest)' },
  { value: 'webgpu', label: 'WebGPU' },
  { value: 'webgl', label: 'WebGL' },
  { value: 'wasm', label: 'WebAssembly' },
  { value: 'cpu', label: 'CPU' },
];

/** A preset chosen, or 'custom' once a value differs from it (or '' for an algorithm without presets). */
export interface TrainFormState {
  algorithm: string;
  dataset: string;
  env: string;
  preset: string;
  backend: BackendChoice;
  hyperparameters: SettingValues;
  envSettings: SettingValues;
  /** The run whose policy the new run starts from (fine-tuning), or '' for none. */
  initFrom: string;
}

export const algorithmOf = (s: TrainFormState): AlgorithmSpec => findAlgorithm(s.algorithm) ?? ALGORITHMS[0];
export const envOf = (s: TrainFormState): EnvSpec => findEnv(s.env) ?? findEnv(DEFAULT_ENV_ID)!;

/** A new form for an algorithm: its defaults, its default preset applied, its quicker first-run values. */
export function initialFormState(algorithmId = DEFAULT_ALGORITHM_ID, keep: Partial<Pick<TrainFormState, 'dataset' | 'env' | 'backend'>> = {}): TrainFormState {
  const spec = findAlgorithm(algorithmId) ?? ALGORITHMS[0];
  const env = findEnv(keep.env ?? DEFAULT_ENV_ID) ?? findEnv(DEFAULT_ENV_ID)!;
  const state: TrainFormState = {
    algorithm: spec.id,
    dataset: keep.dataset ?? '',
    env: env.id,
    preset: spec.presets ? 'custom' : '',
    backend: keep.backend ?? 'auto',
    hyperparameters: { ...defaultsOf(spec.hyperparameters), ...spec.formStart },
    envSettings: defaultsOf(env.settings),
    initFrom: '',
  };
  return spec.defaultPreset ? withPreset(state, spec.defaultPreset) : state;
}

/** A preset as the form offers it on an environment: what it does, and the environment settings it sets there. */
export function presetLabel(name: string, preset: Preset, env: EnvSpec): string {
  const applied = Object.entries(preset.envSettings).filter(([k]) => env.settings.some((s) => s.key === k)).map(([k, v]) => `${k} ${v}`);
  return `${name}: ${preset.description}${applied.length ? `; ${applied.join(', ')}` : ''}`;
}

/** The form with a preset's values applied (or just marked custom). */
export function withPreset(state: TrainFormState, name: string): TrainFormState {
  const preset = algorithmOf(state).presets?.[name];
  if (!preset) return { ...state, preset: 'custom' };
  const envSettings = { ...state.envSettings };
  for (const [k, v] of Object.entries(preset.envSettings)) if (k in envSettings) envSettings[k] = v;
  return { ...state, preset: name, hyperparameters: { ...state.hyperparameters, ...preset.hyperparameters }, envSettings };
}

/** The form on another environment: its settings' defaults, with the values the two share kept. */
export function withEnv(state: TrainFormState, envId: string): TrainFormState {
  const env = findEnv(envId);
  if (!env) return state;
  const envSettings = defaultsOf(env.settings);
  for (const k of Object.keys(envSettings)) if (k in state.envSettings) envSettings[k] = state.envSettings[k];
  const preset = algorithmOf(state).presets?.[state.preset];
  if (preset) for (const [k, v] of Object.entries(preset.envSettings)) if (k in envSettings) envSettings[k] = v;
  return { ...state, env: env.id, envSettings };
}

const ENV_PREFIX = 'env.';

/** The form as the part of the address after "?": every value, so a link reproduces the set-up whatever the defaults become. */
export function formQuery(s: TrainFormState): string {
  const q = new URLSearchParams();
  const spec = algorithmOf(s);
  q.set('algo', spec.id);
  if (s.dataset) q.set('data', s.dataset);
  if (spec.trainsOn.environments) q.set('env', s.env);
  if (s.preset) q.set('preset', s.preset);
  q.set('backend', s.backend);
  if (s.initFrom) q.set('from', s.initFrom);
  for (const setting of spec.hyperparameters) q.set(setting.key, formatSetting(setting, s.hyperparameters[setting.key] ?? setting.default));
  if (spec.trainsOn.environments) for (const setting of envOf(s).settings) q.set(ENV_PREFIX + setting.key, formatSetting(setting, s.envSettings[setting.key] ?? setting.default));
  return q.toString();
}

/**
 * The form a query describes. Unknown names and bad values are reported (in words, for the page)
 * and replaced by defaults; the dataset is checked later, against the datasets in this browser.
 */
export function parseFormQuery(query: string): { state: TrainFormState; problems: string[] } {
  const q = new URLSearchParams(query);
  const problems: string[] = [];
  const algoText = q.get('algo');
  const spec = algoText === null ? findAlgorithm(DEFAULT_ALGORITHM_ID)! : findAlgorithm(algoText);
  if (!spec) problems.push(`the link's algorithm "${algoText}" is not one the lab trains (${ALGORITHMS.map((a) => a.id).join(', ')}); using ${DEFAULT_ALGORITHM_ID}`);
  const envText = q.get('env');
  if (envText !== null && !findEnv(envText)) problems.push(`the link's environment "${envText}" is not one the lab has (${ENVIRONMENTS.map((e) => e.id).join(', ')}); using ${DEFAULT_ENV_ID}`);
  let state = initialFormState(spec?.id ?? DEFAULT_ALGORITHM_ID, { env: envText !== null && findEnv(envText) ? envText : undefined, dataset: q.get('data') ?? '' });
  const algorithm = algorithmOf(state);
  const backend = q.get('backend');
  if (backend !== null) {
    if (BACKEND_CHOICES.some((b) => b.value === backend)) state.backend = backend as BackendChoice;
    else problems.push(`backend "${backend}" is none of ${BACKEND_CHOICES.map((b) => b.value).join(', ')}; using auto`);
  }
  const from = q.get('from');
  if (from !== null) {
    if (algorithm.fineTunes && /^[\w.-]+$/.test(from)) state.initFrom = from;
    else problems.push(algorithm.fineTunes ? `"${from}" is not a run id; starting from scratch` : `${algorithm.title} cannot start from another run's policy; starting from scratch`);
  }
  const preset = q.get('preset');
  if (preset !== null && algorithm.presets) {
    if (preset === 'custom') state.preset = 'custom';
    else if (algorithm.presets[preset]) state = withPreset(state, preset);
    else problems.push(`preset "${preset}" is none of ${[...Object.keys(algorithm.presets), 'custom'].join(', ')}; using ${state.preset}`);
  }
  const read = (table: readonly SettingSpec[], values: SettingValues, name: (key: string) => string) => {
    for (const setting of table) {
      const text = q.get(name(setting.key));
      if (text === null) continue;
      const parsed = parseSetting(setting, text);
      if ('value' in parsed) values[setting.key] = parsed.value;
      else problems.push(`${parsed.error}; using ${formatSetting(setting, values[setting.key])}`);
    }
  };
  read(algorithm.hyperparameters, state.hyperparameters, (k) => k);
  if (algorithm.trainsOn.environments) read(envOf(state).settings, state.envSettings, (k) => ENV_PREFIX + k);
  const known = new Set(['algo', 'data', 'env', 'preset', 'backend', 'from', ...algorithm.hyperparameters.map((s) => s.key), ...envOf(state).settings.map((s) => ENV_PREFIX + s.key)]);
  for (const key of q.keys()) if (!known.has(key)) problems.push(`"${key}" is not a setting of ${algorithm.title}${algorithm.trainsOn.environments ? ` on ${envOf(state).id}` : ''}; ignored`);
  return { state, problems };
}

/** What the form asks to train. */
export function requestOf(s: TrainFormState): TrainRequest {
  const spec = algorithmOf(s);
  return {
    algorithm: spec.id,
    datasetId: s.dataset,
    env: spec.trainsOn.environments ? s.env : undefined,
    preset: spec.presets && s.preset !== 'custom' ? s.preset : null,
    hyperparameters: { ...s.hyperparameters },
    envSettings: spec.trainsOn.environments ? { ...s.envSettings } : undefined,
    backend: s.backend,
    ...(s.initFrom ? { initFromRun: s.initFrom } : {}),
  };
}

/**
 * The form a fine-tune starts with, so what is on screen is what runs: the algorithm on the
 * environment the policy fits, the run's dataset (or the candles its teacher dataset was labelled
 * from), the environment's settings (a behavior-cloning
 * run's backtest used their defaults), fine-tuning's own values (its learning rate), the policy's
 * networks (its hidden layers and activation), and the steps asked for.
 */
export function fineTuneForm(run: { run_id: string; dataset_id: string; candles_dataset_id?: unknown }, algorithm: AlgorithmSpec, env: EnvSpec, shape: PolicyShape, steps: number | null, fromPolicy = true): TrainFormState {
  // a run on a stored teacher dataset plays on the candles it was labelled from
  const dataset = typeof run.candles_dataset_id === 'string' ? run.candles_dataset_id : run.dataset_id;
  const state = initialFormState(algorithm.id, { dataset, env: env.id });
  const stepsKey = stepsSetting(algorithm)?.key;
  Object.assign(state.hyperparameters, algorithm.fineTunes?.hyperparameters ?? {}, algorithm.fineTunes?.sameNetworks(shape) ?? {}, stepsKey && steps ? { [stepsKey]: steps } : {});
  state.preset = algorithm.presets ? 'custom' : '';
  state.initFrom = fromPolicy ? run.run_id : '';
  return state;
}

/** The setting that says how long a run trains (PPO's total_timesteps), where the algorithm has one. */
export function stepsSetting(algorithm: AlgorithmSpec): SettingSpec | undefined {
  return algorithm.hyperparameters.find((s) => s.main && s.type === 'integer');
}

/** Settings a starting policy fixes (its networks' shape): shown locked in the form while it starts from one. */
export function lockedByStart(s: TrainFormState): Set<string> {
  const spec = algorithmOf(s);
  if (!s.initFrom || !spec.fineTunes) return new Set();
  return new Set(Object.keys(spec.fineTunes.sameNetworks({ obsSize: 0, actionNames: [], hidden: [], activation: 'tanh' })));
}

/**
 * The steps a run will train where the algorithm rounds them up to whole rollouts (PPO: n_envs ×
 * n_steps per rollout), or null when nothing is rounded.
 */
export function roundedSteps(s: TrainFormState): { asked: number; trained: number } | null {
  const spec = algorithmOf(s);
  const key = stepsSetting(spec)?.key;
  if (!key || !spec.progressTotal) return null;
  const asked = Number(s.hyperparameters[key]);
  const trained = spec.progressTotal({ ...s.hyperparameters } as never);
  return Number.isFinite(asked) && Number.isFinite(trained) && trained !== asked ? { asked, trained } : null;
}

/** The dataset kinds the form's algorithm (on its environment) trains on. */
export function datasetKindsOf(s: TrainFormState): readonly string[] {
  const spec = algorithmOf(s);
  return spec.trainsOn.environments ? envOf(s).datasetKinds : spec.trainsOn.datasetKinds;
}
