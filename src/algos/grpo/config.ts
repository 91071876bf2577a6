// A GRPO run's config.json: the on-policy run's fields (environment, progress, final metrics, the
// test evaluations) with GRPO's hyperparameters, and how a new one is made from a request.
import { envSpec } from '../../core/env/registry';
import { envSettingsOf } from '../../core/env/build';
import type { RunHeader, StoredRun } from '../../core/run/contracts';
import { checkSettings } from '../../core/settings';
import { onPolicyConfig, type OnPolicyRunConfig } from '../onPolicy/trainRun';
import type { NewRunContext, TrainRequest } from '../spec';
import { DEFAULT_GRPO, GRPO_HYPERPARAMETERS, validateGrpo, type GrpoHyperparameters } from './hyperparameters';

export const GRPO_ID = 'GRPO';

export interface GrpoRunConfig extends GrpoHyperparameters, Omit<OnPolicyRunConfig, 'activation'> {
  algorithm: 'GRPO';
  preset: null;
  /** Where the policy's initial weights came from (another run's policy, then also the KL reference), or null. */
  init_from?: string | null;
  init_from_run?: string | null;
}

export function isGrpoRun(run: StoredRun | RunHeader): run is GrpoRunConfig & StoredRun {
  return run.algorithm === GRPO_ID;
}

/** Defaults, then the person's values; the trajectory length from the environment where it sets one. Throws with every problem named. */
export function newGrpoConfig(header: RunHeader, req: TrainRequest, { start }: NewRunContext): GrpoRunConfig {
  const hp: GrpoHyperparameters = { ...DEFAULT_GRPO };
  for (const [key, value] of Object.entries(req.hyperparameters)) {
    if (key in DEFAULT_GRPO && key !== 'n_envs' && key !== 'n_steps' && value !== undefined) (hp as unknown as Record<string, unknown>)[key] = value;
  }
  if (start) {
    hp.activation = start.activation;
    hp.net_arch = start.layers.filter((_, i) => i % 2 === 1).slice(0, -1).map((bias) => bias.shape[0]);
  }
  const env = envSpec(req.env ?? '');
  const envValues = envSettingsOf(env, req.envSettings ?? {});
  const problems = [...checkSettings(GRPO_HYPERPARAMETERS, hp), ...validateGrpo(hp), ...checkSettings(env.settings, envValues)];
  if (problems.length) throw new Error(`Cannot train with these settings: ${problems.join('; ')}.`);
  // copies stepped together, and the steps each plays per iteration: a window of the environment's own length where it has one
  hp.n_envs = hp.num_windows * hp.group_size;
  hp.n_steps = env.episodeSteps?.(envValues) ?? hp.max_steps;
  return { ...onPolicyConfig(header, { algorithm: 'GRPO', hp, env: env.id, envValues, preset: null, start, initFromRun: req.initFromRun }), algorithm: 'GRPO' } as GrpoRunConfig;
}
