// Training an on-policy run on its environment, whatever its learner (PPO's, GRPO's): a new run or
// one continued from its latest checkpoint; evaluations on the validation segment (and each of the
// environment's named configs on the same windows), the best checkpoint chosen there, and one walk
// of the test segment at the end for the best and the final model.
import { buildEnvironments, describeSegments } from '../../core/env/build';
import { envSpec } from '../../core/env/registry';
import type { EnvData } from '../../core/env/spec';
import type { Segment, VecEnv } from '../../core/env/types';
import { segmentEvaluator } from '../../core/eval/evaluate';
import type { ActionPolicy } from '../../core/eval/walk';
import type { CheckpointEnvelope, EpisodeTrajectory, EvaluationRecord, RunHeader, StoredCheckpoint } from '../../core/run/contracts';
import { barWindowIdOf, windowIdOf, withWindow } from '../../core/run/windows';
import { isoTime } from '../../core/env/records';
import { datasetLineage } from '../../core/run/record';
import type { GreedyPolicy } from '../evaluate';
import { mlpActingPolicy } from '../mlpPolicy';
import type { MlpPolicy, TrainContext } from '../spec';
import type { Evaluator, OnPolicyCheckpoint, OnPolicyRunner, OnPolicySink } from './runner';

export interface FinalMetrics {
  mean_reward: number | null;
  final_100_mean: number | null;
  total_episodes: number;
  best_eval_mean_reward?: number | null;
  total_timesteps_done?: number;
  // the money figures, once a run has ended (absent in older runs)
  /** Validation net P&L (% per window) of the evaluation the best checkpoint was chosen at. */
  best_eval_net_pnl_pct?: number | null;
  /** Test net P&L (% per window, with its 95 % interval) of the best model; of the final model. */
  test_net_pnl_pct?: number | null;
  test_net_pnl_low?: number | null;
  test_net_pnl_high?: number | null;
  test_final_net_pnl_pct?: number | null;
  /** Buy-and-hold on the same test windows, same costs. */
  test_buy_and_hold_pct?: number | null;
  test_sharpe?: number | null;
  test_max_drawdown?: number | null;
  verdict?: string | null;
}

/** The environment and its settings, as config.json's env_settings holds them. */
export type EnvSettings = { env: string } & Record<string, number | boolean | string | number[] | null>;

/** What an on-policy run's config holds, whatever its learner. */
export interface OnPolicyRunConfig extends RunHeader {
  env: string;
  env_settings: EnvSettings;
  total_timesteps: number;
  n_envs: number;
  n_steps: number;
  max_steps: number;
  seed: number;
  net_arch: number[];
  activation?: 'tanh' | 'relu';
  progress_timesteps: number;
  final_metrics: FinalMetrics;
  /** The final evaluations on the test segment, by model ('best', 'final'); exported as test_evaluation.json. */
  test_evaluations?: Record<string, EvaluationRecord>;
}

/** What the shared training needs of an algorithm: its trainer, its checkpoint envelope, its minibatch size. */
export interface OnPolicyAlgorithm<C extends OnPolicyRunConfig> {
  createTrainer(o: {
    config: C; env: VecEnv; makeEvalEnv: (copies: number, seed: number) => VecEnv; sink: OnPolicySink; resume?: OnPolicyCheckpoint;
    initialPolicy?: Pick<MlpPolicy, 'layers' | 'normalizer'>; evaluator: Evaluator; segment: Segment; data: EnvData;
  }): Promise<OnPolicyRunner>;
  envelope(c: OnPolicyCheckpoint, config: C): CheckpointEnvelope;
  /** Rows per gradient step (the backend probe measures that shape). */
  minibatchSteps(config: C): number;
}

/**
 * A new on-policy run's config.json, in seed 000's order: its header's fields first, then the
 * algorithm's hyperparameters, then the rest a run needs to be understood and resumed.
 */
export function onPolicyConfig<H extends object>(header: RunHeader, o: { algorithm: string; hp: H; env: string; envValues: Record<string, unknown>; preset: string | null; start: MlpPolicy | null; initFromRun?: string }) {
  return {
    run_id: header.run_id,
    created_at: header.created_at,
    completed_at: null,
    status: 'running' as const,
    algorithm: o.algorithm,
    ...o.hp,
    data_file: header.data_file,
    final_metrics: { mean_reward: null, final_100_mean: null, total_episodes: 0 },
    name: header.name,
    tags: header.tags,
    dataset_id: header.dataset_id,
    dataset_name: header.dataset_name,
    ...datasetLineage(header),
    env: o.env,
    env_settings: { env: o.env, ...o.envValues } as EnvSettings,
    preset: o.preset,
    backend: header.backend,
    backend_requested: header.backend_requested,
    backend_trials: header.backend_trials,
    error: null,
    init_from: o.start?.description ?? null,
    init_from_run: o.start ? o.initFromRun ?? null : null,
    progress_timesteps: 0,
    updated_at: header.updated_at,
  };
}

/** final_metrics from the episode rewards and the best evaluation. */
export function finalMetrics(rewards: number[], bestEval: number | null, timesteps: number): FinalMetrics {
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
  return {
    mean_reward: mean(rewards),
    final_100_mean: mean(rewards.slice(-100)),
    total_episodes: rewards.length,
    best_eval_mean_reward: bestEval,
    total_timesteps_done: timesteps,
  };
}

/** Whole rollouts, as SB3 does: the step count ends at the next multiple of n_steps × n_envs. */
export function plannedSteps(h: Pick<OnPolicyRunConfig, 'total_timesteps' | 'n_steps' | 'n_envs'>): number {
  const rollout = h.n_steps * h.n_envs;
  return Math.ceil(h.total_timesteps / rollout) * rollout;
}

/** The checkpoint to continue from: the latest by step (final, periodic or best). */
export function latestCheckpoint(stored: readonly StoredCheckpoint[]): StoredCheckpoint | undefined {
  return [...stored].sort((a, b) => b.step - a.step || (a.kind === 'final' ? -1 : 1))[0];
}

export async function trainOnEnvironment<C extends OnPolicyRunConfig>(ctx: TrainContext<C>, algo: OnPolicyAlgorithm<C>): Promise<'completed' | 'stopped'> {
  const config = ctx.config;
  const total = plannedSteps(config);
  let resume: OnPolicyCheckpoint | undefined;
  let rewards: number[] = [];
  if (ctx.previous) {
    const latest = latestCheckpoint(ctx.previous.checkpoints);
    if (!latest) throw new Error(`Run ${config.run_id} has no checkpoint to continue from.`);
    resume = latest.checkpoint.payload as OnPolicyCheckpoint;
    rewards = (await ctx.previous.episodes()).filter((e) => e.summary.timestep <= latest.step).map((e) => e.summary.reward);
    ctx.replay((await ctx.previous.updates()).filter((u) => u.update <= resume!.update));
  }
  ctx.status('Loading the dataset and computing features…');
  const spec = envSpec(config.env);
  const data = await spec.load(await ctx.dataset(config.dataset_id));
  const envs = buildEnvironments(spec, data, config.env_settings, { copies: config.n_envs, seed: config.seed, maxSteps: config.max_steps });
  config.data_segments = describeSegments(envs.segments, data.time);
  // the model is chosen on the validation segment; the test segment is walked once, at the end
  // seed 004's windows episodes are filed under (runs stored before these settings: one hour)
  const windowHours = typeof envs.settings.window_hours === 'number' ? envs.settings.window_hours : 1;
  const windowBars = typeof envs.settings.window_bars === 'number' ? envs.settings.window_bars : null;
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
  await ctx.selectBackend({ obsSize: envs.env.obsSize, numActions: envs.env.numActions, hidden: config.net_arch, batch: algo.minibatchSteps(config) });

  let best: OnPolicyCheckpoint | null = ctx.previous ? (ctx.previous.checkpoints.find((c) => c.name === 'best')?.checkpoint.payload as OnPolicyCheckpoint | undefined) ?? null : null;
  const sink = ctx.sink;
  const evaluations: EvaluationRecord[] = ctx.previous ? (await ctx.previous.evaluations()).filter((e) => e.step <= (resume?.step ?? 0)) : [];
  // the best evaluation reward so far (the checkpoint's own best is its selection score, net P&L by default)
  let bestEval = evaluations.reduce<number | null>((b, e) => (b === null || e.mean_reward > b ? e.mean_reward : b), null);
  const trainer = await algo.createTrainer({
    config, env: envs.env, makeEvalEnv: envs.makeEvalEnv, resume, initialPolicy: start ?? undefined, segment: envs.segments.train, data,
    evaluator: evaluateOnValidation,
    sink: {
      episodes(records) {
        for (const r of records) rewards.push(r.reward as number);
        // seed 004's fields: the window each episode started in and the agent that played it (a GRPO group's member)
        sink.episodes(records.map((r) => {
          const agent = typeof r.group_member === 'number' ? `${config.run_id}/member_${r.group_member}` : config.run_id;
          const t = r.trajectory as EpisodeTrajectory | undefined;
          // the window of its first bar: window_hours long, or window_bars from the training segment's start
          const windowId = t ? (windowBars ? barWindowIdOf(data.time, envs.segments.train.start, t.start_row, windowBars) : windowIdOf(isoTime(data.time[t.start_row]), windowHours)) : undefined;
          const filed = withWindow(r, agent, windowHours, windowId);
          // a record without a start time keeps its schema; its trajectory carries the filing
          if (t && !('window_id' in filed)) {
            t.window_id = windowId ?? null;
            t.agent = agent;
            t.net_pnl_pct = t.pnl.reduce((a, b) => a + b, 0) * 100;
          }
          return filed;
        }));
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
        await sink.checkpoint(c.kind === 'periodic' ? `step_${c.step}` : c.kind, algo.envelope(c, config), c.timestamp);
      },
    },
  });
  try {
    await sink.save();
    const outcome = await trainer.train({
      stopRequested: () => ctx.control.stopRequested(),
      waitIfPaused: () => ctx.control.waitIfPaused(),
      progress: (p) => ctx.progress({ done: p.step, total, rate: p.fps, secondsLeft: p.fps > 0 ? (total - p.step) / p.fps : null }),
      // live control: changes a person makes, kept in the run so a resume (and a reader) sees them
      takeControls: () => ctx.control.takeControls?.() ?? [],
      recordedControls: config.controls ?? [],
      controlChanged: (c) => { (config.controls ??= []).push(c); },
      controlsReady: (values) => ctx.control.controlsReady?.(values),
    });
    config.final_metrics = finalMetrics(rewards, bestEval, config.progress_timesteps);
    // the final evaluation, the one time the test segment is played: the best model and the last
    ctx.status('Evaluating on the test segment…');
    const finals: Record<string, EvaluationRecord> = {};
    const final = trainer.greedyPolicy();
    finals.final = await evaluateOnTest((obs, masks, n, out) => final.act(obs, masks, n, out), trainer.step, 'final');
    const bestModel = best as OnPolicyCheckpoint | null;
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
export function actingPolicyOf(c: OnPolicyCheckpoint, activation: 'tanh' | 'relu') {
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

