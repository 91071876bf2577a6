// The on-policy runner (Stable-Baselines3's OnPolicyAlgorithm.learn, in CleanRL's order): collect
// a rollout of n_steps × n_envs with the current policy into the buffer, bootstrap its last value,
// compute advantages, hand it to the learner for an update, then keep the books: episode rewards
// and lengths, the learning-rate schedule, evaluations every eval_freq steps (the best checkpoint
// when one improves), periodic checkpoints, progress, pause and stop. A learner (PPO's clipped
// surrogate; GRPO's group-relative one) plugs in through OnPolicyLearner.
//
// Actions are sampled here from the learner's log-probabilities with the run's own seeded Rng, so
// a checkpoint holds every random state and a resumed run continues exactly as an uninterrupted
// one would.
import type { VecEnv } from '../../core/env/types';
import { Rng } from '../../core/rng';
import { pythonIsoTime } from '../../core/clock';
import { ObservationNormalizer, type NormalizerState } from '../../core/normalizer';
import type { CheckpointKind, ControlChange, ControlName, EpisodeTrajectory, EvaluationRecord, StoredTensor, UpdateRecord } from '../../core/run/contracts';
import { trajectoryOf } from '../../core/run/trajectories';
import type { AdamState } from '../adam';
import type { MlpPolicy } from '../spec';
import { maskedArgmax, meanStd, playEpisodes, type GreedyPolicy } from '../evaluate';
import { MASKED_LOGIT, RolloutBuffer } from './buffer';

/** The runner's settings (a subset of PPO's hyperparameters, under the same names). */
export interface RunnerSettings {
  total_timesteps: number;
  learning_rate: number;
  anneal_lr: boolean;
  n_steps: number;
  n_envs: number;
  gamma: number;
  gae_lambda: number;
  eval_freq: number;
  n_eval_episodes: number;
  save_freq: number;
  normalize_observations: boolean;
  seed: number;
  /** What chooses the best checkpoint: the evaluation's mean net P&L (default), or its mean reward; absent in older runs, which chose by reward. */
  select_best_by?: 'net_pnl' | 'reward';
}

/** Evaluates the current policy (on the segment that chooses the model), as the run's record of it. */
export type Evaluator = (policy: GreedyPolicy, step: number) => Promise<EvaluationRecord>;

/** The figure an evaluation is ranked by when choosing the best checkpoint. */
export function selectionScore(e: EvaluationRecord, by: RunnerSettings['select_best_by']): number {
  return by === 'net_pnl' && e.net_pnl_pct ? e.net_pnl_pct.mean : e.mean_reward;
}

/** What plugs into the runner: the networks, their loss and their optimizer. */
export interface OnPolicyLearner {
  readonly obsSize: number;
  readonly numActions: number;
  /** Hidden layer sizes, as checkpoints record them. */
  readonly netArch: number[];
  learningRate: number;
  /** The learning rate anneal_lr multiplies: the hyperparameter's, or the last one setControl made effective. */
  readonly baseLearningRate?: number;
  /** The settings setControl takes (live control). */
  readonly controlNames?: readonly ControlName[];
  /** Changes a setting from the next update on (throws for one it does not take, or a bad value). */
  setControl?(name: ControlName, value: number): void;
  /**
   * One forward pass for n normalized observations: rows of [log-probabilities of the A actions
   * (disallowed ones near −1e9), value], read back once. A learner without a critic gives 0 values.
   */
  act(obs: Float32Array, masks: Uint8Array, n: number): Promise<Float32Array>;
  /**
   * Advantages and returns of a full buffer, where the learner has its own (GRPO's are relative to
   * a group's returns, with no critic); without it the runner computes GAE from the values.
   */
  advantages?(buffer: RolloutBuffer, lastValue: (i: number) => number, lastDone: Uint8Array): void;
  /** Starts the policy from a trained one's weights (its hidden layers, then its logits). */
  startFrom(weights: StoredTensor[]): void;
  /** One update on a full buffer; its train/* metrics under SB3's names. */
  learn(buffer: RolloutBuffer, rng: Rng, update: number): Promise<Record<string, number>>;
  weights(): Promise<StoredTensor[]>;
  optimizerState(): Promise<AdamState>;
  restore(weights: StoredTensor[], optimizer: AdamState): void;
  dispose(): void;
}

/** Everything needed to continue a run exactly, or to run its policy (trainer_state.json). */
export interface OnPolicyCheckpoint {
  step: number;
  update: number;
  kind: CheckpointKind;
  obsSize: number;
  numActions: number;
  netArch: number[];
  weights: StoredTensor[];
  optimizer: AdamState;
  learningRate: number;
  normalizer: NormalizerState | null;
  rng: number[];
  env: unknown;
  nextDone: number[];
  recentRewards: number[];
  recentLengths: number[];
  /** The best checkpoint's selection score (selectionScore: net P&L or reward); named as checkpoints store it. */
  bestMeanReward: number | null;
  lastEvalStep: number;
  lastSaveStep: number;
  elapsedSeconds: number;
  timestamp: string;
}

/** Where the runner's results go: the training service batches them, tests keep them in memory. */
export interface OnPolicySink {
  episodes(records: Record<string, unknown>[]): void | Promise<void>;
  update(u: UpdateRecord): void | Promise<void>;
  evaluation(record: EvaluationRecord): void | Promise<void>;
  checkpoint(checkpoint: OnPolicyCheckpoint): void | Promise<void>;
}

export interface RunnerControl {
  /** Resolves when training may go on (pause waits here between updates). */
  waitIfPaused?(): Promise<void>;
  stopRequested?(): boolean;
  progress?(p: { step: number; total: number; update: number; fps: number; secondsLeft: number | null }): void;
  /** Settings a person changed while it trains, waiting for the next update (the last value per name). */
  takeControls?(): [ControlName, number][];
  /** The run's recorded changes: a resumed run takes them again (those up to its checkpoint at once, later ones at their updates). */
  recordedControls?: readonly ControlChange[];
  /** A change taken now, for the run's record. */
  controlChanged?(change: ControlChange): void;
  /** The settings a person may change while it trains and their values, once training starts. */
  controlsReady?(values: Partial<Record<ControlName, number>>): void;
}

/** What every on-policy trainer is made from, beside its hyperparameters. */
export interface OnPolicyTrainerOptions {
  env: VecEnv;
  makeEvalEnv: (copies: number, seed: number) => VecEnv;
  sink: OnPolicySink;
  /** A checkpoint to continue from exactly. */
  resume?: OnPolicyCheckpoint;
  /** A trained policy to start from (its hidden and logit layers, and its input normalizer). */
  initialPolicy?: Pick<MlpPolicy, 'layers' | 'normalizer'>;
  /** How evaluations are made (a walk over the validation segment); without one, episodes on makeEvalEnv. */
  evaluator?: Evaluator;
}

export class NonFiniteLossError extends Error {
  constructor(update: number, what: string) {
    super(`training diverged at update ${update}: ${what} is not a finite number (NaN or Infinity); the run stopped and its last good checkpoint is kept`);
    this.name = 'NonFiniteLossError';
  }
}

export class OnPolicyRunner {
  readonly env: VecEnv;
  readonly normalizer: ObservationNormalizer | null;
  protected readonly rng: Rng;
  protected readonly buffer: RolloutBuffer;
  protected readonly obsNorm: Float32Array;
  protected readonly actions: Int32Array;
  /** Each copy's episode so far (its first bar and each step), and finished ones not yet paired with their records. */
  private readonly playing: { start: number; actions: number[]; rewards: number[]; pnl: number[] }[];
  private readonly finishedTrajectories: EpisodeTrajectory[] = [];

  // progress, all part of a checkpoint
  step = 0;
  update = 0;
  protected nextDone: Uint8Array;
  protected recentRewards: number[] = [];
  protected recentLengths: number[] = [];
  /** The best selection score so far (see the checkpoint field of the same name). */
  bestMeanReward: number | null = null;
  private lastEvalStep = 0;
  private lastSaveStep = 0;
  /** Training seconds before the current train() call (from a checkpoint when resumed). */
  private elapsedBefore = 0;
  private trainStartedAt: number | null = null;

  /** `makeLearner` builds the networks from the run's Rng (their initial weights are its first draws). */
  constructor(
    readonly settings: RunnerSettings,
    env: VecEnv,
    private readonly makeEvalEnv: (copies: number, seed: number) => VecEnv,
    protected readonly sink: OnPolicySink,
    makeLearner: (rng: Rng) => OnPolicyLearner,
    private readonly evaluator?: Evaluator,
  ) {
    this.env = env;
    if (env.numEnvs !== settings.n_envs) throw new Error(`the environment has ${env.numEnvs} copies, n_envs is ${settings.n_envs}`);
    this.rng = new Rng(settings.seed);
    this.learner = makeLearner(this.rng);
    const D = env.obsSize, A = env.numActions, N = settings.n_envs;
    this.normalizer = settings.normalize_observations ? new ObservationNormalizer(D) : null;
    this.buffer = new RolloutBuffer(settings.n_steps, N, D, A);
    this.obsNorm = new Float32Array(N * D);
    this.actions = new Int32Array(N);
    this.nextDone = new Uint8Array(N);
    this.playing = Array.from({ length: N }, () => ({ start: -1, actions: [], rewards: [], pnl: [] }));
  }

  readonly learner: OnPolicyLearner;

  get numUpdates(): number {
    return Math.ceil(this.settings.total_timesteps / this.buffer.size);
  }

  /** Normalized observations of an environment's current state (and the statistics, when training). */
  protected observe(updateStats: boolean, env: VecEnv = this.env, out = this.obsNorm): void {
    const n = env.numEnvs;
    if (this.normalizer) {
      if (updateStats) this.normalizer.update(env.obs, n);
      this.normalizer.normalize(env.obs, out, n);
    } else out.set(env.obs.subarray(0, n * env.obsSize));
  }

  /** Samples one action from a row of log-probabilities (width A + 1: logp..., value). */
  protected sample(row: Float32Array, offset: number): number {
    const A = this.env.numActions;
    let u = this.rng.next();
    let last = 0;
    for (let a = 0; a < A; a++) {
      const p = Math.exp(row[offset + a]);
      if (p > 0) last = a;
      u -= p;
      if (u < 0) return a;
    }
    return last; // rounding: the last allowed action
  }

  /** Fills the buffer with the next rollout and its advantages (GRPO's trainer collects groups instead). */
  protected async collectRollout(): Promise<void> {
    const b = this.buffer;
    const { T, N, D, A } = b;
    const W = A + 1;
    const env = this.env;
    for (let t = 0; t < T; t++) {
      this.observe(true);
      const base = t * N;
      b.obs.set(this.obsNorm, base * D);
      for (let i = 0; i < N * A; i++) b.maskOffsets[base * A + i] = env.masks[i] ? 0 : MASKED_LOGIT;
      for (let i = 0; i < N; i++) b.starts[base + i] = this.nextDone[i];
      const out = await this.learner.act(this.obsNorm, env.masks, N);
      for (let i = 0; i < N; i++) {
        const a = this.sample(out, i * W);
        this.actions[i] = a;
        b.actions[base + i] = a;
        b.logp[base + i] = out[i * W + a];
        b.values[base + i] = out[i * W + A];
      }
      for (let i = 0; i < N; i++) if (this.playing[i].start < 0) this.playing[i].start = env.currentRow(i);
      env.step(this.actions);
      for (let i = 0; i < N; i++) {
        b.rewards[base + i] = env.rewards[i];
        this.nextDone[i] = env.dones[i];
        const p = this.playing[i];
        p.actions.push(this.actions[i]); p.rewards.push(env.rewards[i]); p.pnl.push(env.pnl[i]);
        if (env.dones[i]) {
          this.finishedTrajectories.push(trajectoryOf(p.start, p.actions, p.rewards, p.pnl));
          p.start = -1; p.actions.length = 0; p.rewards.length = 0; p.pnl.length = 0;
        }
      }
      this.step += N;
    }
    // bootstrap from the value of the observation after the rollout (statistics not updated here:
    // this observation is folded in when the next rollout starts from it)
    this.observe(false);
    const last = await this.learner.act(this.obsNorm, env.masks, N);
    const lastValue = (i: number) => last[i * W + A];
    if (this.learner.advantages) this.learner.advantages(b, lastValue, this.nextDone);
    else b.computeGae(lastValue, this.nextDone, this.settings.gamma, this.settings.gae_lambda);
    const records = env.drainEpisodes() as Record<string, unknown>[];
    // records come in the order episodes finished, as the trajectories did; one begun before a
    // resume is shorter than its episode and is left out
    for (const r of records) {
      const t = this.finishedTrajectories.shift();
      if (t && t.actions.length === r.length) r.trajectory = t;
    }
    this.keepEpisodes(records);
    if (records.length) await this.sink.episodes(records);
  }

  /** The last 100 episodes' rewards and lengths, for rollout/ep_rew_mean and ep_len_mean. */
  protected keepEpisodes(records: readonly Record<string, unknown>[]): void {
    for (const r of records) {
      this.recentRewards.push(r.reward as number);
      this.recentLengths.push(r.length as number);
    }
    if (this.recentRewards.length > 100) this.recentRewards.splice(0, this.recentRewards.length - 100);
    if (this.recentLengths.length > 100) this.recentLengths.splice(0, this.recentLengths.length - 100);
  }

  /** The current policy, greedy: normalized as in training (statistics left alone), argmax among allowed actions. */
  greedyPolicy(): GreedyPolicy {
    return {
      act: async (obs, masks, n, out) => {
        const A = this.env.numActions, W = A + 1, D = this.env.obsSize;
        const x = new Float32Array(n * D);
        if (this.normalizer) this.normalizer.normalize(obs, x, n);
        else x.set(obs.subarray(0, n * D));
        const scores = await this.learner.act(x, masks, n);
        for (let i = 0; i < n; i++) out[i] = maskedArgmax(scores, masks, i, A, W);
      },
    };
  }

  /**
   * The current policy, greedy, evaluated: by the run's evaluator (a walk over the validation
   * segment, with net P&L and baselines), or without one by n episodes on the evaluation
   * environment (a fixed seed: the same episodes each time).
   */
  async evaluate(): Promise<EvaluationRecord> {
    if (this.evaluator) return this.evaluator(this.greedyPolicy(), this.step);
    const n = this.settings.n_eval_episodes;
    const { rewards } = await playEpisodes(this.greedyPolicy(), this.makeEvalEnv(n, this.settings.seed + 1000));
    const { mean, std } = meanStd(rewards);
    return { step: this.step, mean_reward: mean, std_reward: std, min_reward: Math.min(...rewards), max_reward: Math.max(...rewards), num_episodes: n, timestamp: pythonIsoTime() };
  }

  async checkpoint(kind: CheckpointKind): Promise<OnPolicyCheckpoint> {
    const optimizer = await this.learner.optimizerState();
    return {
      step: this.step,
      update: this.update,
      kind,
      obsSize: this.env.obsSize,
      numActions: this.env.numActions,
      netArch: this.learner.netArch.slice(),
      weights: await this.learner.weights(),
      optimizer,
      learningRate: this.learner.learningRate,
      normalizer: this.normalizer?.getState() ?? null,
      rng: this.rng.getState(),
      env: this.env.getState(),
      nextDone: Array.from(this.nextDone),
      recentRewards: this.recentRewards.slice(),
      recentLengths: this.recentLengths.slice(),
      bestMeanReward: this.bestMeanReward,
      lastEvalStep: this.lastEvalStep,
      lastSaveStep: this.lastSaveStep,
      elapsedSeconds: this.elapsedSeconds(),
      timestamp: pythonIsoTime(),
    };
  }

  /**
   * Continues from a checkpoint exactly where it was taken, or starts afresh: from a trained
   * policy's weights and input normalizer when given, the environment reset.
   */
  begin(resume?: OnPolicyCheckpoint, initialPolicy?: Pick<MlpPolicy, 'layers' | 'normalizer'>): void {
    if (resume) { this.restore(resume); return; }
    if (initialPolicy) {
      this.learner.startFrom(initialPolicy.layers);
      if (this.normalizer && initialPolicy.normalizer) this.normalizer.setState(initialPolicy.normalizer);
    }
    this.env.reset();
  }

  restore(c: OnPolicyCheckpoint): void {
    if (c.obsSize !== this.env.obsSize || c.numActions !== this.env.numActions) throw new Error(`the checkpoint is for ${c.obsSize} observations and ${c.numActions} actions, this environment has ${this.env.obsSize} and ${this.env.numActions}`);
    this.learner.restore(c.weights, c.optimizer);
    this.learner.learningRate = c.learningRate;
    if (this.normalizer && c.normalizer) this.normalizer.setState(c.normalizer);
    this.rng.setState(c.rng);
    this.env.setState(c.env);
    this.nextDone.set(c.nextDone);
    this.step = c.step;
    this.update = c.update;
    this.recentRewards = c.recentRewards.slice();
    this.recentLengths = c.recentLengths.slice();
    this.bestMeanReward = c.bestMeanReward;
    this.lastEvalStep = c.lastEvalStep;
    this.lastSaveStep = c.lastSaveStep;
    this.elapsedBefore = c.elapsedSeconds;
  }

  private elapsedSeconds(): number {
    return this.elapsedBefore + (this.trainStartedAt === null ? 0 : (performance.now() - this.trainStartedAt) / 1000);
  }

  /** The live-controlled settings' values now (from the hyperparameters, then each change). */
  readonly controlValues: Partial<Record<ControlName, number>> = {};

  /** The settings the learner lets a person change while it trains. */
  get controlNames(): readonly ControlName[] {
    return this.learner.setControl ? this.learner.controlNames ?? [] : [];
  }

  private initialControlValues(): void {
    const hp = this.settings as unknown as Record<string, unknown>;
    const num = (v: unknown) => (typeof v === 'number' ? v : undefined);
    // GRPO calls its clip range epsilon (TRL's name)
    const initial: Record<ControlName, number | undefined> = { learning_rate: this.settings.learning_rate, ent_coef: num(hp.ent_coef), clip_range: num(hp.clip_range) ?? num(hp.epsilon) };
    for (const name of this.controlNames) if (initial[name] !== undefined) this.controlValues[name] = initial[name];
  }

  /**
   * A resumed run's changes up to its checkpoint: the learner is new, so it takes their last values
   * again, keeping the checkpoint's (possibly annealed) learning rate as it was.
   */
  private reapplyControls(changes: readonly ControlChange[]): void {
    const last = new Map<ControlName, number>();
    for (const c of [...changes].sort((a, b) => a.update - b.update)) last.set(c.name, c.to);
    for (const [name, value] of last) {
      if (!this.controlNames.includes(name)) continue;
      this.learner.setControl!(name, value);
      // the learner scales its rate by new / old base when it takes the change: undo that ahead
      if (name === 'learning_rate') this.learner.learningRate = (this.learner.learningRate * this.settings.learning_rate) / value;
      this.controlValues[name] = value;
    }
  }

  /** Trains until total_timesteps (or a stop); evaluates, checkpoints and reports along the way. */
  async train(control: RunnerControl = {}): Promise<'completed' | 'stopped'> {
    const s = this.settings;
    this.initialControlValues();
    const recorded = [...(control.recordedControls ?? [])];
    if (this.update > 0) this.reapplyControls(recorded.filter((c) => c.update <= this.update));
    control.controlsReady?.({ ...this.controlValues });
    const startedAt = performance.now();
    const startStep = this.step;
    this.trainStartedAt = startedAt;
    const finish = () => { this.elapsedBefore = this.elapsedSeconds(); this.trainStartedAt = null; };
    while (this.step < s.total_timesteps) {
      await control.waitIfPaused?.();
      if (control.stopRequested?.()) {
        await this.sink.checkpoint(await this.checkpoint('final'));
        finish();
        return 'stopped';
      }
      this.update += 1;
      // a resumed run's later changes at their updates (the updates after its checkpoint run again)
      for (const c of recorded) if (c.update === this.update && this.controlNames.includes(c.name)) { this.learner.setControl!(c.name, c.to); this.controlValues[c.name] = c.to; }
      for (const [name, value] of control.takeControls?.() ?? []) {
        const from = this.controlValues[name];
        if (!this.controlNames.includes(name) || from === undefined || from === value) continue;
        this.learner.setControl!(name, value);
        this.controlValues[name] = value;
        control.controlChanged?.({ update: this.update, name, from, to: value });
      }
      // anneal_lr multiplies the current base rate; a change waiting in the learner rescales it when taken
      if (s.anneal_lr) this.learner.learningRate = (this.learner.baseLearningRate ?? s.learning_rate) * (1 - (this.update - 1) / this.numUpdates);
      await this.collectRollout();
      const learned = await this.learner.learn(this.buffer, this.rng, this.update);
      const seconds = this.elapsedSeconds();
      const fps = (this.step - startStep) / Math.max(1e-9, (performance.now() - startedAt) / 1000);
      const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
      await this.sink.update({
        update: this.update,
        step: this.step,
        timestamp: pythonIsoTime(),
        metrics: {
          ...learned,
          'rollout/ep_rew_mean': mean(this.recentRewards),
          'rollout/ep_len_mean': mean(this.recentLengths),
          'time/fps': fps,
          'time/total_timesteps': this.step,
          'time/iterations': this.update,
          'time/time_elapsed': seconds,
        },
      });
      if (this.step - this.lastEvalStep >= s.eval_freq || this.step >= s.total_timesteps) {
        this.lastEvalStep = this.step;
        const record = await this.evaluate();
        await this.sink.evaluation(record);
        // the best checkpoint: chosen on this segment (validation), by net P&L unless asked otherwise
        const score = selectionScore(record, s.select_best_by ?? 'reward');
        if (this.bestMeanReward === null || score > this.bestMeanReward) {
          this.bestMeanReward = score;
          await this.sink.checkpoint(await this.checkpoint('best'));
        }
      }
      if (this.step - this.lastSaveStep >= s.save_freq && this.step < s.total_timesteps) {
        this.lastSaveStep = this.step;
        await this.sink.checkpoint(await this.checkpoint('periodic'));
      }
      control.progress?.({ step: this.step, total: s.total_timesteps, update: this.update, fps, secondsLeft: fps > 0 ? (s.total_timesteps - this.step) / fps : null });
      // let other tasks (pause / stop messages, the page) run between updates
      await new Promise((r) => setTimeout(r, 0));
    }
    await this.sink.checkpoint(await this.checkpoint('final'));
    finish();
    return 'completed';
  }

  /** Greedy (argmax) action of one raw observation, for inference. */
  async predict(rawObs: Float32Array, mask?: Uint8Array): Promise<{ action: number; probs: number[] }> {
    const A = this.env.numActions, D = this.env.obsSize;
    const obs = new Float32Array(D);
    if (this.normalizer) this.normalizer.normalize(rawObs, obs, 1); else obs.set(rawObs.subarray(0, D));
    const out = await this.learner.act(obs, mask ?? new Uint8Array(A).fill(1), 1);
    const probs = Array.from(out.subarray(0, A), Math.exp);
    return { action: probs.indexOf(Math.max(...probs)), probs };
  }

  dispose(): void {
    this.learner.dispose();
  }
}
