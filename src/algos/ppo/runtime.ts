// PPO's TensorFlow.js half: trains a run (a new one, or one continued from its latest checkpoint)
// on its environment, writes its checkpoints' model files, and plays its policy.
import { buildEnvironments } from '../../core/env/build';
import { envSpec } from '../../core/env/registry';
import { segmentEvaluator } from '../../core/eval/evaluate';
import type { ActionPolicy } from '../../core/eval/walk';
import type { GreedyPolicy } from '../evaluate';
import type { CheckpointEnvelope, EvaluationRecord, StoredCheckpoint } from '../../core/run/contracts';
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
  // the model is chosen on the validation segment; the test segment is walked once, at the end
  const validation = segmentEvaluator(envs, data, 'validation', envs.episodeSteps);
  const test = segmentEvaluator(envs, data, 'test', envs.episodeSteps);
  // the environment's named configs (seed 001's presets), each walked on the same windows as the
  // run's own settings: at every evaluation on validation, once at the end on test
  const variants = (spec.evaluationConfigs ?? []).map((v) => {
    const e = buildEnvironments(spec, data, { ...config.env_settings, ...v.settings }, { copies: 1, seed: config.seed, maxSteps: config.max_steps });
    return { ...v, validation: segmentEvaluator(e, data, 'validation', e.episodeSteps, 0), test: segmentEvaluator(e, data, 'test', e.episodeSteps, 0) };
  });
  const withConfigs = async (record: EvaluationRecord, which: 'validation' | 'test', act: ActionPolicy, step: number): Promise<EvaluationRecord> => {
    if (!variants.length) return record;
    record.by_config = {};
    for (const v of variants) {
      const r = await v[which].evaluate(act, step);
      record.by_config[v.key] = { label: v.label, mean_reward: r.mean_reward, net_pnl_pct: r.net_pnl_pct!, hold_net_pnl_pct: r.baselines?.fixed.hold?.net_pnl_pct.mean ?? null };
    }
    return record;
  };
  const evaluateOnValidation = async (policy: GreedyPolicy, step: number): Promise<EvaluationRecord> => {
    const act: ActionPolicy = (obs, masks, n, out) => policy.act(obs, masks, n, out);
    return withConfigs(await validation.evaluate(act, step), 'validation', act, step);
  };
  const evaluateOnTest = async (act: ActionPolicy, step: number, checkpoint: 'best' | 'final'): Promise<EvaluationRecord> =>
    withConfigs(await test.evaluate(act, step, { checkpoint }), 'test', act, step);
  const start = ctx.startingPolicy;
  if (start && start.layers[0].shape[0] !== envs.env.obsSize) throw new Error(`The starting policy takes ${start.layers[0].shape[0]} inputs; the ${config.env} environment gives ${envs.env.obsSize}.`);
  ctx.status('Choosing the fastest backend…');
  await ctx.selectBackend({ obsSize: envs.env.obsSize, numActions: envs.env.numActions, hidden: config.net_arch, batch: config.batch_size });

  let best: PpoCheckpoint | null = ctx.previous ? (ctx.previous.checkpoints.find((c) => c.name === 'best')?.checkpoint.payload as PpoCheckpoint | undefined) ?? null : null;
  const sink = ctx.sink;
  const evaluations: EvaluationRecord[] = ctx.previous ? (await ctx.previous.evaluations()).filter((e) => e.step <= (resume?.step ?? 0)) : [];
  // the best evaluation reward so far (the checkpoint's own best is its selection score, net P&L by default)
  let bestEval = evaluations.reduce<number | null>((b, e) => (b === null || e.mean_reward > b ? e.mean_reward : b), null);
  const trainer = await PpoTrainer.create({
    hp: config, env: envs.env, makeEvalEnv: envs.makeEvalEnv, resume, initialPolicy: start ?? undefined,
    evaluator: evaluateOnValidation,
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
        evaluations.push(e);
        if (bestEval === null || e.mean_reward > bestEval) bestEval = e.mean_reward;
        sink.evaluation(e);
      },
      async checkpoint(c) {
        if (c.kind === 'best') best = c;
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
    // the final evaluation, the one time the test segment is played: the best model and the last
    ctx.status('Evaluating on the test segment…');
    const finals: Record<string, EvaluationRecord> = {};
    const final = trainer.greedyPolicy();
    finals.final = await evaluateOnTest((obs, masks, n, out) => final.act(obs, masks, n, out), trainer.step, 'final');
    const bestModel = best as PpoCheckpoint | null;
    if (bestModel) {
      const acting = actingPolicyOf(bestModel, config.activation ?? 'tanh');
      try {
        finals.best = await evaluateOnTest((obs, masks, n, out) => acting.act(obs, masks, n, out), bestModel.step, 'best');
      } finally {
        acting.dispose();
      }
    }
    // kept apart from the training's evaluations (test_evaluation.json): nothing chose anything on them
    config.test_evaluations = finals;
    // the validation evaluation the best checkpoint was saved at
    const chosen = bestModel ? evaluations.find((e) => e.step === bestModel.step) ?? null : null;
    Object.assign(config.final_metrics, testMetrics(finals, chosen));
    return outcome;
  } finally {
    trainer.dispose();
  }
}

/** A checkpoint's policy network, acting greedily: the first 2 × (hidden layers + 1) tensors are the policy's, the value network's follow. */
function actingPolicyOf(c: PpoCheckpoint, activation: 'tanh' | 'relu') {
  return mlpActingPolicy(c.weights.slice(0, 2 * (c.netArch.length + 1)), activation, c.normalizer);
}

/** final_metrics' money figures: validation at the best checkpoint, test for the best and final models, buy-and-hold, the verdict. */
function testMetrics(finals: Record<string, EvaluationRecord>, chosen: EvaluationRecord | null) {
  const best = finals.best ?? finals.final;
  return {
    best_eval_net_pnl_pct: chosen?.net_pnl_pct?.mean ?? null,
    test_net_pnl_pct: best?.net_pnl_pct?.mean ?? null,
    test_net_pnl_low: best?.net_pnl_pct?.low ?? null,
    test_net_pnl_high: best?.net_pnl_pct?.high ?? null,
    test_final_net_pnl_pct: finals.final?.net_pnl_pct?.mean ?? null,
    test_buy_and_hold_pct: best?.baselines?.buy_and_hold?.net_pnl_pct.mean ?? null,
    test_sharpe: best?.sharpe ?? null,
    test_max_drawdown: best?.max_drawdown ?? null,
    verdict: best?.verdict ?? null,
  };
}

export const PPO_RUNTIME: AlgorithmRuntime<PpoRunConfig> = {
  train,
  modelFiles: (c: CheckpointEnvelope, config) => {
    const p = c.payload as PpoCheckpoint;
    return policyModelFiles(p, { actionNames: c.actionNames, env: config.env, step: c.step, activation: c.activation });
  },
  actingPolicy: (c: CheckpointEnvelope) => actingPolicyOf(c.payload as PpoCheckpoint, c.activation),
};
