// A PPO run's config.json: seed 000's fields first, then everything else a run needs to be
// understood and resumed; and how a new one is made from a request.
import { envSpec } from '../../core/env/registry';
import { envSettingsOf } from '../../core/env/build';
import type { EvaluationRecord, RunHeader, StoredRun } from '../../core/run/contracts';
import { onPolicyConfig, type EnvSettings, type FinalMetrics } from '../onPolicy/trainRun';
import { checkSettings } from '../../core/settings';
import type { NewRunContext, TrainRequest } from '../spec';
import { DEFAULT_PPO, PPO_HYPERPARAMETERS, PPO_PRESETS, validatePpo, type PpoHyperparameters } from './hyperparameters';

export const PPO_ID = 'PPO';

export type { EnvSettings, FinalMetrics } from '../onPolicy/trainRun';
export { finalMetrics, plannedSteps } from '../onPolicy/trainRun';

export interface PpoRunConfig extends PpoHyperparameters, RunHeader {
  algorithm: 'PPO';
  final_metrics: FinalMetrics;
  env: string;
  env_settings: EnvSettings;
  preset: string | null;
  /** Where the policy's initial weights came from (another run's policy), or null for a fresh start. */
  init_from?: string | null;
  /** The run whose policy this run started from. */
  init_from_run?: string | null;
  /** Progress while running, so a list can show it without reading the metrics. */
  progress_timesteps: number;
  /** The final evaluations on the test segment, by model ('best', 'final'); exported as test_evaluation.json. */
  test_evaluations?: Record<string, EvaluationRecord>;
}

export function isPpoRun(run: StoredRun | RunHeader): run is PpoRunConfig & StoredRun {
  return run.algorithm === PPO_ID;
}

/** Defaults, then the preset, then the person's own values; a starting policy fixes the networks' shape. Throws with every problem named. */
export function newPpoConfig(header: RunHeader, req: TrainRequest, { start }: NewRunContext): PpoRunConfig {
  const preset = req.preset ? PPO_PRESETS[req.preset] : null;
  if (req.preset && !preset) throw new Error(`Cannot train with these settings: unknown preset "${req.preset}" (${Object.keys(PPO_PRESETS).join(', ')}).`);
  const hp: PpoHyperparameters = { ...DEFAULT_PPO };
  // only PPO's own keys: a request may carry others (an address written for another algorithm)
  for (const [key, value] of Object.entries({ ...preset?.hyperparameters, ...req.hyperparameters })) {
    if (key in DEFAULT_PPO && value !== undefined) (hp as unknown as Record<string, unknown>)[key] = value;
  }
  if (start) {
    // the policy network takes the starting policy's shape: its hidden layers and their activation
    hp.activation = start.activation;
    hp.net_arch = start.layers.filter((_, i) => i % 2 === 1).slice(0, -1).map((bias) => bias.shape[0]);
  }
  const env = envSpec(req.env ?? '');
  const envValues = envSettingsOf(env, { ...preset?.envSettings, ...req.envSettings });
  const problems = [...checkSettings(PPO_HYPERPARAMETERS, hp), ...validatePpo(hp), ...checkSettings(env.settings, envValues)];
  if (problems.length) throw new Error(`Cannot train with these settings: ${problems.join('; ')}.`);
  return { ...onPolicyConfig(header, { algorithm: 'PPO', hp, env: env.id, envValues, preset: req.preset ?? null, start, initFromRun: req.initFromRun }), algorithm: 'PPO' } as PpoRunConfig;
}
