// A run's evaluation on a held-out segment: a walk that covers it, the baselines on the same
// windows (computed once; the random band again for each policy, as it follows its trading
// frequency), and the record evaluations are stored as, with its money view (equity curves,
// trading decisions, the blotter: core/run/money.ts).
import { pythonIsoTime } from '../clock';
import type { Environments } from '../env/build';
import type { EnvData } from '../env/spec';
import type { VecEnv } from '../env/types';
import { moneyOfWalk, sideCode, type MoneyEvaluation, type MoneyRecord } from '../run/money';
import { buyAndHoldOf, fixedBaselines, randomBand, verdict, type Baselines } from './baselines';
import { meanStd } from './stats';
import { walk, walkOf, type ActionPolicy, type WalkResult, type Windows } from './walk';

export interface SegmentEvaluator {
  windows: Windows;
  /** `beforeStep` sees each step's actions before they are taken; `onWalk` the policy's walk, its episode records included. */
  evaluate(policy: ActionPolicy, step: number, opts?: { checkpoint?: string; beforeStep?: (actions: Int32Array, playing: Uint8Array, env: VecEnv) => void; onWalk?: (walk: WalkResult) => void }): Promise<MoneyEvaluation>;
}

/** Settings that charge for trading (fees, slippage), by name: zeroed for the replay that measures what they took. */
const COST_SETTING = /^(fee|slippage)/;

/**
 * The evaluator of a held-out segment: validation (for a run stored before it existed, its one
 * held-out segment, which is its test segment) or test. `episode` is the windows' length.
 */
export function segmentEvaluator(envs: Environments, data: EnvData, which: 'validation' | 'test', episode: number, randomSeeds = 50): SegmentEvaluator {
  const segment = which === 'validation' ? envs.selection : envs.segments.test;
  const label = which === 'validation' && envs.segments.validation ? 'validation' : 'test';
  const { windows, play } = walkOf(envs, data, segment, episode);
  const spec = envs.spec;
  const baselineWalks: Record<string, WalkResult> = {};
  let fixed: Promise<Omit<Baselines, 'random'>> | null = null;
  const policyFree = () => (fixed ??= (async () => ({ buy_and_hold: buyAndHoldOf(spec, data, windows, envs.settings), fixed: await fixedBaselines(spec, (p) => play(p), baselineWalks) }))());
  // the same actions again without fees and slippage: the difference is what they cost, step by step
  const costKeys = spec.settings.filter((s) => s.type === 'number' && COST_SETTING.test(s.key)).map((s) => s.key);
  let grossEnv: VecEnv | null = null;
  const replayWithoutCosts = async (taken: readonly (readonly number[])[]): Promise<number[][] | null> => {
    if (spec.tradeTable || !costKeys.length) return null;
    grossEnv ??= spec.create(data, {
      settings: { ...envs.settings, ...Object.fromEntries(costKeys.map((k) => [k, 0])) }, segment, copies: windows.starts.length, seed: 1, randomStart: false,
      maxSteps: Math.min(windows.length, segment.end - segment.start - 1),
    });
    let t = 0;
    const A = spec.actionNames.length;
    const replay = await walk({ env: grossEnv, windows, time: data.time, perYear: 1, episodeTrades: spec.episodeTrades }, (_obs, masks, n, out) => {
      for (let i = 0; i < n; i++) {
        const a = taken[i]?.[t] ?? spec.idleAction;
        out[i] = masks[i * A + a] ? a : spec.idleAction;
      }
      t++;
    });
    return replay.pnl;
  };
  const moneyOf = async (w: WalkResult, sides: number[][]): Promise<MoneyRecord> => {
    const s = envs.settings;
    const num = (k: string) => (typeof s[k] === 'number' ? (s[k] as number) : null);
    return moneyOfWalk({
      rows: w.rows, actions: w.actions, sides, pnl: w.pnl, gross: await replayWithoutCosts(w.actions), windows: w.windows,
      tradeRecords: spec.tradeTable ? w.records.map((r) => (r ? spec.tradeTable!.rows(r) : [])) : null,
      time: data.time, price: (row) => spec.price(data, row),
      buyAndHold: (start, end) => spec.buyAndHold(data, start, Math.min(end, segment.end), s),
      baselines: spec.baselinePolicies.filter((b) => baselineWalks[b.key]).map((b) => ({ key: b.key, label: b.label, pnl: baselineWalks[b.key].pnl })),
      idleAction: spec.idleAction, actionNames: spec.actionNames, changesOnly: spec.markChangesOnly, rewardUnit: spec.rewardUnit,
      startingBalance: num('starting_balance'), positionSize: spec.markChangesOnly ? num('leverage') ?? 1 : null,
      costRate: num('fee') !== null ? num('fee')! + (num('slippage_bps') ?? 0) / 10_000 : null,
    });
  };
  return {
    windows,
    async evaluate(policy, step, opts = {}) {
      // each step's marker side, as the price chart marks it
      const sides: number[][] = windows.starts.map(() => []);
      const w = await play(policy, (actions, playing, env) => {
        for (let i = 0; i < env.numEnvs; i++) if (playing[i]) sides[i].push(sideCode(spec.tradeMarker(actions[i], env.obs, i * env.obsSize, envs.settings)));
        opts.beforeStep?.(actions, playing, env);
      });
      opts.onWalk?.(w);
      const baselines: Baselines = { ...(await policyFree()), random: randomSeeds > 0 ? await randomBand(spec, w, (p) => play(p), randomSeeds) : null };
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
        money: await moneyOf(w, sides),
      };
    },
  };
}
