// GRPO: the on-policy runner (its books, evaluations, checkpoints, exact resume) with a rollout of
// groups instead of a continuous one. Each iteration draws W windows (start rows in the training
// segment) and puts G copies on each window's start, so a group faces the same bars (and, for
// funding arbitrage, the same config, a function of the start row); every copy plays one
// trajectory of the window's length with the current policy, sampled with the run's Rng, masks
// honoured. Each trajectory is scored (scorers.ts), advantages are taken within its group, and every
// step of it carries its advantage into the learner's update.
import type { EnvData } from '../../core/env/spec';
import type { Segment } from '../../core/env/types';
import { OnPolicyRunner, type OnPolicyCheckpoint, type OnPolicyTrainerOptions, type RunnerSettings } from '../onPolicy/runner';
import { MASKED_LOGIT, RolloutBuffer } from '../onPolicy/buffer';
import type { GrpoHyperparameters } from './hyperparameters';
import { GrpoLearner } from './learner';
import { trajectoryOf } from '../../core/run/trajectories';
import { groupAdvantages, scorerOf, type Scorer, type Trajectory } from './scorers';

export type GrpoCheckpoint = OnPolicyCheckpoint;

export interface GrpoTrainerOptions extends OnPolicyTrainerOptions {
  hp: GrpoHyperparameters;
  /** The rows windows are drawn from (the training segment), and the data scorers see. */
  segment: Segment;
  data: EnvData;
}

/** DAPO's dynamic sampling: at most this many further passes to replace groups that scored all alike. */
const MAX_RESAMPLES = 3;

/** One pass of W × G trajectories: where the rollout buffer is not enough. */
interface Pass {
  buffer: RolloutBuffer;
  /** [T·N] time-major. */
  pnl: Float32Array;
  alive: Float32Array;
  lengths: Int32Array;
  starts: Int32Array;
  records: unknown[];
}

function runnerSettings(hp: GrpoHyperparameters): RunnerSettings {
  return { ...hp, gamma: 1, gae_lambda: 1 };
}

export class GrpoTrainer extends OnPolicyRunner {
  declare readonly learner: GrpoLearner;
  private readonly hp: GrpoHyperparameters;
  private readonly scorer: Scorer;
  private readonly segment: Segment;
  private readonly data: EnvData;
  private readonly main: Pass;
  private spare: Pass | null = null;

  private constructor(o: GrpoTrainerOptions) {
    super(runnerSettings(o.hp), o.env, o.makeEvalEnv, o.sink, (rng) => new GrpoLearner(o.hp, o.env.obsSize, o.env.numActions, rng), o.evaluator);
    this.hp = o.hp;
    this.scorer = scorerOf(o.hp.scorer);
    this.segment = o.segment;
    this.data = o.data;
    if (o.hp.n_envs !== o.hp.num_windows * o.hp.group_size) throw new Error(`n_envs (${o.hp.n_envs}) must be num_windows × group_size (${o.hp.num_windows * o.hp.group_size})`);
    if (o.segment.end - o.segment.start < o.hp.n_steps + 2) throw new Error(`the training segment (${o.segment.end - o.segment.start} rows) is shorter than a window of ${o.hp.n_steps} steps`);
    this.main = this.makePass(this.buffer);
  }

  static async create(o: GrpoTrainerOptions): Promise<GrpoTrainer> {
    const trainer = new GrpoTrainer(o);
    trainer.begin(o.resume, o.initialPolicy);
    return trainer;
  }

  private makePass(buffer: RolloutBuffer): Pass {
    const { T, N } = buffer;
    return { buffer, pnl: new Float32Array(T * N), alive: new Float32Array(T * N), lengths: new Int32Array(N), starts: new Int32Array(this.hp.num_windows), records: [] };
  }

  /** W windows, G copies on each: every copy plays one trajectory from its window's start. */
  private async play(pass: Pass): Promise<void> {
    const { buffer: b, pnl, alive, lengths, starts } = pass;
    const { T, N, D, A } = b;
    const G = this.hp.group_size, W = this.hp.num_windows, env = this.env;
    // a window's start leaves room for its T steps and the bar after them
    const span = this.segment.end - this.segment.start - T - 1;
    for (let g = 0; g < W; g++) starts[g] = this.segment.start + this.rng.int(Math.max(1, span));
    for (let i = 0; i < N; i++) env.startAt(i, starts[Math.floor(i / G)]);
    env.drainEpisodes(); // what the copies were playing before is left behind unfinished
    lengths.fill(0);
    alive.fill(0);
    pass.records = new Array(N).fill(null);
    const playing = new Uint8Array(N).fill(1);
    for (let t = 0; t < T; t++) {
      this.observe(true);
      const base = t * N;
      b.obs.set(this.obsNorm, base * D);
      for (let i = 0; i < N * A; i++) b.maskOffsets[base * A + i] = env.masks[i] ? 0 : MASKED_LOGIT;
      const out = await this.learner.act(this.obsNorm, env.masks, N);
      for (let i = 0; i < N; i++) {
        const a = this.sample(out, i * (A + 1));
        this.actions[i] = a;
        b.actions[base + i] = a;
        b.logp[base + i] = out[i * (A + 1) + a];
        b.values[base + i] = 0;
        b.starts[base + i] = t === 0 ? 1 : 0;
      }
      env.step(this.actions);
      const finished = env.drainEpisodes();
      let f = 0;
      for (let i = 0; i < N; i++) {
        const done = env.dones[i] === 1;
        const record = done ? finished[f++] ?? null : null;
        b.rewards[base + i] = env.rewards[i];
        pnl[base + i] = env.pnl[i];
        alive[base + i] = playing[i];
        if (!playing[i]) continue;
        lengths[i]++;
        // a trajectory ends with its episode (the window's length, or earlier: ruin, the segment's end)
        if (done) {
          playing[i] = 0;
          // which member of its group played it (the agent seed 004 files a trajectory under)
          if (record && typeof record === 'object') (record as Record<string, unknown>).group_member = i % G;
          pass.records[i] = record;
        }
      }
      this.nextDone.set(env.dones.subarray(0, N));
      this.step += N;
    }
    // each trajectory's steps beside its record: the window's bars from its start
    for (let i = 0; i < N; i++) {
      const record = pass.records[i] as Record<string, unknown> | null;
      if (!record || typeof record !== 'object') continue;
      const a: number[] = [], r: number[] = [], p: number[] = [];
      for (let t = 0; t < lengths[i]; t++) { a.push(b.actions[t * N + i]); r.push(b.rewards[t * N + i]); p.push(pnl[t * N + i]); }
      record.trajectory = trajectoryOf(starts[Math.floor(i / G)], a, r, p);
    }
  }

  /** Each copy's trajectory, as scorers read it (copy-major views, one allocation per pass). */
  private trajectories(pass: Pass): Trajectory[] {
    const { T, N } = pass.buffer;
    const rewards = new Float32Array(N * T), pnl = new Float32Array(N * T);
    for (let t = 0; t < T; t++) for (let i = 0; i < N; i++) { rewards[i * T + t] = pass.buffer.rewards[t * N + i]; pnl[i * T + t] = pass.pnl[t * N + i]; }
    return Array.from({ length: N }, (_, i) => ({ length: pass.lengths[i], rewards: rewards.subarray(i * T, (i + 1) * T), pnl: pnl.subarray(i * T, (i + 1) * T), record: pass.records[i] }));
  }

  private scores(pass: Pass): (number | null)[] {
    const G = this.hp.group_size, trajectories = this.trajectories(pass);
    const out: (number | null)[] = [];
    for (let g = 0; g < this.hp.num_windows; g++) {
      const group = trajectories.slice(g * G, (g + 1) * G);
      const s = this.scorer.score(group, { data: this.data, startRow: pass.starts[g], steps: pass.buffer.T }, this.hp);
      for (const v of s) out.push(v === null || !Number.isFinite(v) ? null : v);
    }
    return out;
  }

  /** Copies group `src` of `from` over group `dst` of `to`, every per-step array included. */
  private copyGroup(from: Pass, src: number, to: Pass, dst: number): void {
    const { T, N, D, A } = from.buffer, G = this.hp.group_size;
    for (let t = 0; t < T; t++) {
      for (let m = 0; m < G; m++) {
        const k = t * N + src * G + m, j = t * N + dst * G + m;
        to.buffer.obs.set(from.buffer.obs.subarray(k * D, (k + 1) * D), j * D);
        to.buffer.maskOffsets.set(from.buffer.maskOffsets.subarray(k * A, (k + 1) * A), j * A);
        to.buffer.actions[j] = from.buffer.actions[k];
        to.buffer.logp[j] = from.buffer.logp[k];
        to.buffer.rewards[j] = from.buffer.rewards[k];
        to.pnl[j] = from.pnl[k];
        to.alive[j] = from.alive[k];
      }
    }
    for (let m = 0; m < G; m++) { to.lengths[dst * G + m] = from.lengths[src * G + m]; to.records[dst * G + m] = from.records[src * G + m]; }
    to.starts[dst] = from.starts[src];
  }

  protected async collectRollout(): Promise<void> {
    const hp = this.hp, N = hp.n_envs, T = hp.n_steps, G = hp.group_size;
    const main = this.main;
    await this.play(main);
    const episodes: unknown[] = main.records.filter((r) => r !== null);
    const scores = this.scores(main);
    let passes = 1;
    if (hp.dynamic_sampling) {
      let alike = groupAdvantages(scores, G, hp.scale_rewards).zeroStd;
      for (let r = 0; r < MAX_RESAMPLES && alike.includes(1); r++) {
        this.spare ??= this.makePass(new RolloutBuffer(T, N, this.env.obsSize, this.env.numActions));
        await this.play(this.spare);
        passes++;
        episodes.push(...this.spare.records.filter((x) => x !== null));
        const spareScores = this.scores(this.spare);
        const spareAlike = groupAdvantages(spareScores, G, hp.scale_rewards).zeroStd;
        // each group of the batch that scored all alike takes the next group of this pass that did not
        let next = 0;
        for (let g = 0; g < hp.num_windows; g++) {
          if (!alike[g]) continue;
          while (next < hp.num_windows && spareAlike[next]) next++;
          if (next >= hp.num_windows) break;
          this.copyGroup(this.spare, next, main, g);
          for (let i = 0; i < G; i++) scores[g * G + i] = spareScores[next * G + i];
          next++;
        }
        alike = groupAdvantages(scores, G, hp.scale_rewards).zeroStd;
      }
    }
    const adv = groupAdvantages(scores, G, hp.scale_rewards);
    const b = this.buffer;
    for (let t = 0; t < T; t++) for (let i = 0; i < N; i++) b.advantages[t * N + i] = adv.advantages[i];
    this.learner.batch.alive.set(main.alive);
    // seed 004's dropout: above max_trajectories a random subset is left out, never more than 30 %
    const included = this.learner.batch.included;
    included.fill(1);
    const leaveOut = hp.max_trajectories !== null && N > hp.max_trajectories ? Math.min(N - hp.max_trajectories, Math.floor(0.3 * N)) : 0;
    for (let left = 0; left < leaveOut;) {
      const i = this.rng.int(N);
      if (included[i]) { included[i] = 0; left++; }
    }
    let netPnl = 0;
    for (let i = 0; i < N; i++) for (let t = 0; t < main.lengths[i]; t++) netPnl += main.pnl[t * N + i];
    this.learner.rolloutMetrics = {
      reward: adv.meanScore,
      reward_std: adv.meanGroupStd,
      frac_reward_zero_std: adv.groups ? adv.zeroStdGroups / adv.groups : 0,
      frac_unscored: adv.unscored / N,
      dropout_fraction: leaveOut / N,
      sampling_passes: passes,
      net_pnl_pct: (netPnl / N) * 100,
    };
    this.keepEpisodes(episodes as Record<string, unknown>[]);
    if (episodes.length) await this.sink.episodes(episodes as Record<string, unknown>[]);
  }
}

export type { OnPolicySink as RunSink } from '../onPolicy/runner';
