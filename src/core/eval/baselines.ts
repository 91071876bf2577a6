// What a policy's walk is set beside, on the same windows with the same execution rules:
// buy-and-hold (fees and slippage both ways), the environment's constructed policies (hold;
// always approve, always reject), and a random policy that trades as often as the policy did, over
// many seeds (its 5–95 % band). And the plain verdict a person reads first.
import { Rng } from '../rng';
import type { EnvData, EnvSpec } from '../env/spec';
import type { SettingValues } from '../settings';
import { meanInterval, quantile, type Interval } from './stats';
import type { ActionPolicy, WalkResult, Windows } from './walk';

export interface FixedBaseline {
  label: string;
  reward: Interval;
  net_pnl_pct: Interval;
  total_net_pnl_pct: number;
}

export interface RandomBand {
  /** Trades (or approvals) per step, as the policy had them. */
  frequency: number;
  seeds: number;
  /** The 5 %, 50 % and 95 % points of the random policies' mean window net P&L, and of their mean reward. */
  net_pnl_pct: { p5: number; p50: number; p95: number };
  reward: { p5: number; p50: number; p95: number };
}

export interface Baselines {
  buy_and_hold: { net_pnl_pct: Interval; total_net_pnl_pct: number } | null;
  /** By key: hold; always_reject, always_approve. */
  fixed: Record<string, FixedBaseline>;
  random: RandomBand | null;
}

/** A policy that takes one action everywhere the mask allows it, and the idle action elsewhere. */
export function constantPolicy(action: number, idle: number, numActions: number): ActionPolicy {
  return (_obs, masks, n, out) => {
    for (let i = 0; i < n; i++) out[i] = masks[i * numActions + action] ? action : idle;
  };
}

/** Buy-and-hold on each window, in %, and compounded over the walk. */
export function buyAndHoldOf(spec: EnvSpec, data: EnvData, windows: Windows, settings: SettingValues): Baselines['buy_and_hold'] {
  const per: number[] = [];
  for (let k = 0; k < windows.starts.length; k++) {
    const start = windows.starts[k];
    const end = Math.min(start + windows.length + 1, windows.segment.end);
    const pct = spec.buyAndHold(data, start, end, settings);
    if (pct === null) return null;
    per.push(pct);
  }
  return { net_pnl_pct: meanInterval(per), total_net_pnl_pct: (per.reduce((e, p) => e * (1 + p / 100), 1) - 1) * 100 };
}

/** The environment's constructed policies over the same walk (each walk also into `walks`, by key, where given). */
export async function fixedBaselines(spec: EnvSpec, play: (p: ActionPolicy) => Promise<WalkResult>, walks?: Record<string, WalkResult>): Promise<Record<string, FixedBaseline>> {
  const out: Record<string, FixedBaseline> = {};
  for (const b of spec.baselinePolicies) {
    const r = await play(constantPolicy(b.action, spec.idleAction, spec.actionNames.length));
    if (walks) walks[b.key] = r;
    out[b.key] = { label: b.label, reward: r.reward, net_pnl_pct: r.net_pnl_pct, total_net_pnl_pct: r.total_net_pnl_pct };
  }
  return out;
}

/** A random policy trading as often as `policy` did, over `seeds` seeds: the band of its mean net P&L and reward. */
export async function randomBand(spec: EnvSpec, policy: WalkResult, play: (p: ActionPolicy) => Promise<WalkResult>, seeds = 50): Promise<RandomBand> {
  const like = spec.randomLike(policy.actions);
  const A = spec.actionNames.length;
  const pnl: number[] = [], reward: number[] = [];
  for (let s = 1; s <= seeds; s++) {
    const rng = new Rng(9_000 + s);
    const u = () => rng.next();
    let last: Int32Array | null = null;
    const r = await play((_obs, masks, n, out) => {
      last ??= new Int32Array(n).fill(-1);
      for (let i = 0; i < n; i++) {
        const a = like.next(u, last[i]);
        out[i] = masks[i * A + a] ? a : spec.idleAction;
        if (out[i] !== spec.idleAction) last[i] = out[i];
      }
    });
    pnl.push(r.net_pnl_pct.mean);
    reward.push(r.reward.mean);
  }
  const band = (xs: number[]) => ({ p5: quantile(xs, 0.05), p50: quantile(xs, 0.5), p95: quantile(xs, 0.95) });
  return { frequency: like.frequency, seeds, net_pnl_pct: band(pnl), reward: band(reward) };
}

/** The sentence a person reads first: whether the policy beats what it is set beside. */
export function verdict(policy: WalkResult, b: Baselines): string {
  const m = policy.net_pnl_pct.mean;
  const f = (v: number) => `${v >= 0 ? '+' : ''}${v.toFixed(2)} %`;
  const clauses: string[] = [];
  if (b.random && m >= b.random.net_pnl_pct.p5 && m <= b.random.net_pnl_pct.p95) {
    clauses.push(`is not distinguishable from a random policy trading as often (its mean net P&L ${f(m)} per window lies inside the random band ${f(b.random.net_pnl_pct.p5)} to ${f(b.random.net_pnl_pct.p95)})`);
  } else if (b.random && m < b.random.net_pnl_pct.p5) {
    clauses.push(`is worse than a random policy trading as often (${f(m)} per window, below the random band's 5 % point ${f(b.random.net_pnl_pct.p5)})`);
  }
  if (b.buy_and_hold) {
    const bh = b.buy_and_hold.net_pnl_pct.mean;
    // a tie within a hundredth of a percent (what the figures show) is no better, not a loss
    if (m < bh - 0.005) clauses.push(`loses to buy-and-hold (${f(m)} against ${f(bh)} per window)`);
    else if (m <= bh + 0.005) clauses.push(`does no better than buy-and-hold (${f(m)} against ${f(bh)} per window)`);
  }
  // the constructed baselines (hold, always reject...) too: a policy that loses to doing nothing
  // is not beating anything, whatever the market has or lacks a buy-and-hold for
  const fixed = Object.values(b.fixed);
  for (const x of fixed) {
    if (m < x.net_pnl_pct.mean - 0.005) clauses.push(`loses to ${x.label} (${f(m)} against ${f(x.net_pnl_pct.mean)} per window)`);
  }
  const ci = policy.net_pnl_pct;
  if (ci.low !== null && ci.high !== null && ci.low <= 0 && ci.high >= 0) clauses.push('has a 95 % interval that includes zero');
  if (!clauses.length) {
    const beaten = [...(b.buy_and_hold ? ['buy-and-hold'] : []), ...fixed.map((x) => x.label), ...(b.random ? ['the random band'] : [])];
    const list = beaten.length > 1 ? `${beaten.slice(0, -1).join(', ')} and ${beaten[beaten.length - 1]}` : beaten[0] ?? 'nothing it was set beside';
    return `Beats ${list}: ${f(m)} per window net of costs${ci.low !== null ? ` (95 % ${f(ci.low)} to ${f(ci.high!)})` : ''}.`;
  }
  return `The policy ${clauses.join('; it ')}.`;
}
