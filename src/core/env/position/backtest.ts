// A greedy backtest of any action chooser (a trained network, the teacher ensemble) over a segment
// of the position environment, as one episode: what behavior cloning reports beside the teacher.
import type { CandleColumns, MarketFeatures } from '../../features/layout';
import type { Segment } from '../types';
import { PositionEnv, type PositionEnvOptions } from './env';

export interface BacktestResult {
  return_pct: number;
  sharpe: number;
  max_drawdown: number;
  win_rate: number;
  buy_and_hold_return_pct: number;
  trades: number;
  steps: number;
  action_counts: { hold: number; buy: number; sell: number };
}

/** Chooses an action (0 HOLD, 1 BUY, 2 SELL) for the state the environment shows at bar `row`. */
export type ActionChooser = (state: Float32Array, row: number) => number | Promise<number>;

/**
 * Plays a policy greedily over a segment (typically the later, held-out one of splitByTime) of
 * the position environment as one episode: one copy, randomStart false, as many steps as the
 * segment allows. The chooser sees the environment's own observation (portfolio slots included)
 * and the bar it is at. Works for a trained network and for the teacher alike.
 */
export async function backtestPolicy(
  features: MarketFeatures,
  candles: CandleColumns,
  segment: Segment,
  choose: ActionChooser,
  opts: Pick<PositionEnvOptions, 'fee' | 'leverage' | 'allowShort' | 'startingBalance'> = {},
): Promise<BacktestResult> {
  const env = new PositionEnv({
    features, candles, segment, numEnvs: 1, seed: 1, randomStart: false,
    maxSteps: Math.max(1, segment.end - segment.start), ...opts,
  });
  env.reset();
  const action = new Int32Array(1);
  let row = env.segment.start;
  for (;;) {
    const a = await choose(env.obs, row);
    if (!(a === 0 || a === 1 || a === 2)) throw new Error(`the policy chose action ${a} at row ${row}; actions are 0 (HOLD), 1 (BUY), 2 (SELL)`);
    action[0] = a;
    env.step(action);
    row++;
    if (env.dones[0]) break;
  }
  const [episode] = env.drainEpisodes();
  return {
    return_pct: episode.return_pct,
    sharpe: episode.sharpe,
    max_drawdown: episode.max_drawdown,
    win_rate: episode.win_rate,
    buy_and_hold_return_pct: episode.buy_and_hold_return_pct,
    trades: episode.trades,
    steps: episode.length,
    action_counts: episode.action_counts,
  };
}
