// PPO's TensorFlow.js half: trains a run (a new one, or one continued from its latest checkpoint)
// on its environment, writes its checkpoints' model files, and plays its policy.
import { buildEnvironments } from '../../core/env/build';
import { envSpec } from '../../core/env/registry';
import type { CheckpointEnvelope, StoredCheckpoint } from '../../core/run/contracts';
import { mlpActingPolicy } from '../mlpPolicy';
import type { AlgorithmRuntime, TrainContext } from '../spec';
import { finalMetrics, plannedSteps, type PpoRunConfig } from './config';
import { ppoEnvelope } from './format';
import { policyModelFiles } from './modelFiles';
import { PpoTrainer, type PpoCheckpoint } from './trainer';

/** The checkpoint to continue from: the latest by step (final, periodic or best). */
export function latestCheckpoint(stored: readonly StoredCheckpoint[]): StoredCheckpoint | undefined {
  return [...stored].sort((a, b) => b.step - a.step || (a.kind === 'final' ? -1 : 1))[0];
}

async function train(ctx: TrainContext<PpoRunConfig>): Promise<'completed' | 'stopped'> {
  const config = ctx.config;
  const total = plannedSteps(config);
  let resume: PpoCheckpoint | undefined;
  let rewards: number[] = [];
  if (ctx.previous) {
    const latest = latestCheckpoint(ctx.previous.checkpoints);
    if (!latest) throw new Error(`Run ${config.run_id} has no checkpoint to continue from.`);
    resume = latest.checkpoint.payload as PpoCheckpoint;
    rewards = (await ctx.previous.episodes()).filter((e) => e.summary.timestep <= latest.step).map((e) => e.summary.reward);
    ctx.replay((await ctx.previous.updates()).filter((u) => u.update <= resume!.update));
  }
  ctx.status('Loading the dataset and computing features…');
  const spec = envSpec(config.env);
  const data = await spec.load(await ctx.dataset(config.dataset_id));
  const envs = buildEnvironments(spec, data, config.env_settings, { copies: config.n_envs, seed: config.seed, maxSteps: config.max_steps });
  const start = ctx.startingPolicy;
  if (start && start.layers[0].shape[0] !== envs.env.obsSize) throw new Error(`The starting policy takes ${start.layers[0].shape[0]} inputs; the ${config.env} environment gives ${envs.env.obsSize}.`);
  ctx.status('Choosing the fastest backend…');
  await ctx.selectBackend({ obsSize: envs.env.obsSize, numActions: envs.env.numActions, hidden: config.net_arch, batch: config.batch_size });

  let bestEval = resume?.bestMeanReward ?? null;
  const sink = ctx.sink;
  const trainer = await PpoTrainer.create({
    hp: config, env: envs.env, makeEvalEnv: envs.makeEvalEnv, resume, initialPolicy: start ?? undefined,
    sink: {
      episodes(records) {
        for (const r of records) rewards.push(r.reward as number);
        sink.episodes(records);
      },
      async update(u) {
        config.progress_timesteps = u.step;
        config.final_metrics = finalMetrics(rewards, bestEval, config.progress_timesteps);
        await sink.update(u);
      },
      evaluation(e) {
        if (bestEval === null || e.mean_reward > bestEval) bestEval = e.mean_reward;
        sink.evaluation(e);
      },
      async checkpoint(c) {
        config.final_metrics = finalMetrics(rewards, bestEval, config.progress_timesteps);
        await sink.checkpoint(c.kind === 'periodic' ? `step_${c.step}` : c.kind, ppoEnvelope(c, config), c.timestamp);
      },
    },
  });
  try {
    await sink.save();
    const outcome = await trainer.train({
      stopRequested: () => ctx.control.stopRequested(),
      waitIfPaused: () => ctx.control.waitIfPaused(),
      progress: (p) => ctx.progress({ done: p.step, total, rate: p.fps, secondsLeft: p.fps > 0 ? (total - p.step) / p.fps : null }),
    });
    config.final_metrics = finalMetrics(rewards, bestEval, config.progress_timesteps);
    return outcome;
  } finally {
    trainer.dispose();
  }
}

export const PPO_RUNTIME: AlgorithmRuntime<PpoRunConfig> = {
  train,
  modelFiles: (c: CheckpointEnvelope, config) => {
    const p = c.payload as PpoCheckpoint;
    return policyModelFiles(p, { actionNames: c.actionNames, env: config.env, step: c.step, activation: c.activation });
  },
  actingPolicy: (c: CheckpointEnvelope) => {
    const p = c.payload as PpoCheckpoint;
    // the first 2 × (hidden layers + 1) tensors are the policy's; the value network's follow
    return mlpActingPolicy(p.weights.slice(0, 2 * (p.netArch.length + 1)), c.activation, p.normalizer);
  },
};
