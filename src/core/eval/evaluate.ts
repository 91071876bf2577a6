// A run's evaluation on a held-out segment: a walk that covers it, the baselines on the same
// windows (computed once; the random band again for each policy, as it follows its trading
// frequency), and the record evaluations are stored as.
import { pythonIsoTime } from '../clock';
import type { Environments } from '../env/build';
import type { EnvData } from '../env/spec';
import type { VecEnv } from '../env/types';
import type { EvaluationRecord } from '../run/contracts';
import { buyAndHoldOf, fixedBaselines, randomBand, verdict, type Baselines } from './baselines';
import { meanStd } from './stats';
import { walkOf, type ActionPolicy, type WalkResult, type Windows } from './walk';

export interface SegmentEvaluator {
  windows: Windows;
  /** `beforeStep` sees each step's actions before they are taken; `onWalk` the policy's walk, its episode records included. */
  evaluate(policy: ActionPolicy, step: number, opts?: { checkpoint?: string; beforeStep?: (actions: Int32Array, playing: Uint8Array, env: VecEnv) => void; onWalk?: (walk: WalkResult) => void }): Promise<EvaluationRecord>;
}

/**
 * The evaluator of a held-out segment: validation (for a run stored before it existed, its one
 * held-out segment, which is its test segment) or test. `episode` is the windows' length.
 */
export function segmentEvaluator(envs: Environments, data: EnvData, which: 'validation' | 'test', episode: number, randomSeeds = 50): SegmentEvaluator {
  const segment = which === 'validation' ? envs.selection : envs.segments.test;
  const label = which === 'validation' && envs.segments.validation ? 'validation' : 'test';
  const { windows, play } = walkOf(envs, data, segment, episode);
  let fixed: Promise<Omit<Baselines, 'random'>> | null = null;
  const policyFree = () => (fixed ??= (async () => ({ buy_and_hold: buyAndHoldOf(envs.spec, data, windows, envs.settings), fixed: await fixedBaselines(envs.spec, (p) => play(p)) }))());
  return {
    windows,
    async evaluate(policy, step, opts = {}) {
      const w = await play(policy, opts.beforeStep);
      opts.onWalk?.(w);
      const baselines: Baselines = { ...(await policyFree()), random: randomSeeds > 0 ? await randomBand(envs.spec, w, (p) => play(p), randomSeeds) : null };
      const rewards = w.windows.map((x) => x.reward);
      return {
        step,
        mean_reward: w.reward.mean,
        std_reward: meanStd(rewards).std,
        min_reward: Math.min(...rewards),
        max_reward: Math.max(...rewards),
        num_episodes: rewards.length,
        timestamp: pythonIsoTime(),
        segment: label,
        ...(opts.checkpoint ? { checkpoint: opts.checkpoint } : {}),
        reward_interval: w.reward,
        net_pnl_pct: w.net_pnl_pct,
        total_net_pnl_pct: w.total_net_pnl_pct,
        sharpe: w.sharpe,
        max_drawdown: w.max_drawdown,
        win_rate: w.win_rate,
        trades: w.trades,
        windows: w.windows.map(({ start_time, end_time, reward, net_pnl_pct, trades }) => ({ start_time, end_time, reward, net_pnl_pct, trades })),
        baselines,
        verdict: verdict(w, baselines),
      };
    },
  };
}
