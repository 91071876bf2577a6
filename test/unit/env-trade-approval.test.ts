import { describe, expect, it } from 'vitest';
import {
  closedTradesOf,
  TradeApprovalEnv,
  TRADE_APPROVAL_OBS_SIZE,
  type TradeApprovalEnvOptions,
  type TradeApprovalEpisode,
} from '../../src/core/env/tradeApproval';
import { playTrade, proposeTrade } from '../../src/core/env/tradeApproval/signals';
import { splitByTime } from '../../src/core/env/types';
import { SLOT, STATE_SIZE, type CandleColumns, type MarketFeatures } from '../../src/core/features/layout';
import { Rng } from '../../src/core/rng';

const BAR_MS = 300_000;
const T0 = Date.UTC(2024, 0, 1);
const FEE = 0.0006;

// seed 000's detailed_episodes.jsonl example, verbatim
const SEED_EXAMPLE = JSON.parse(`{
    "episode": 1,
    "reward": 2.45,
    "length": 100,
    "timestep": 100,
    "timestamp": "2025-01-16T14:30:25.000000",

    "action_counts": {
        "reject": 35,
        "approve_warning": 20,
        "approve": 45
    },
    "action_percentages": {
        "reject": 35.0,
        "approve_warning": 20.0,
        "approve": 45.0
    },

    "trade_outcomes": {
        "total_trades": 100,
        "approved_trades": 65,
        "rejected_trades": 35,
        "profitable_approved": 40,
        "losing_approved": 20,
        "liquidations": 5,
        "good_rejections": 25,
        "missed_opportunities": 10
    },

    "portfolio": {
        "starting_balance": 10000.0,
        "ending_balance": 10234.56,
        "return_pct": 2.35,
        "max_drawdown": 0.08,
        "min_health_score": 72.5,
        "final_health_score": 95.0
    },

    "reward_breakdown": {
        "pnl_rewards": 1.8,
        "rejection_rewards": 0.75,
        "health_bonuses": 0.9,
        "liquidation_penalties": -1.0
    }
}`);

/** Key paths of a JSON value, in order, recursively. */
function keyTree(v: unknown): unknown {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return typeof v;
  return Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, keyTree(x)]);
}

type Kind = 'calm' | 'wild';

/** A feature row on which every vote agrees (confidence 1, leverage 10): calm = small stop, wild = stop capped at 25%. */
function plantedRow(values: Float32Array, row: number, kind: Kind, side: 1 | -1) {
  const b = row * STATE_SIZE;
  const a = kind === 'calm' ? 0.002 : 0.05, m = kind === 'calm' ? 0.004 : 0.06;
  for (let k = 0; k < 15; k++) values[b + k] = k % 2 ? a : -a;
  for (let k = 15; k < 20; k++) values[b + k] = side * m;
  values[b + SLOT.rsi] = side > 0 ? 0.2 : 0.8;
  values[b + SLOT.macdSignal] = side * 0.001;
  values[b + SLOT.bollingerWidth] = 0.001;
  values[b + SLOT.volumeRatio] = 1;
}

interface Bar { o: number; h: number; l: number; c: number }

/** Bar 0 closes at 100 and carries the planted proposal; `bars` follow it. */
function planted(kind: Kind, side: 1 | -1, bars: Bar[]): { features: MarketFeatures; candles: CandleColumns } {
  const rows = bars.length + 1;
  const all: Bar[] = [{ o: 100, h: 100, l: 100, c: 100 }, ...bars];
  const values = new Float32Array(rows * STATE_SIZE);
  for (let r = 0; r < rows; r++) plantedRow(values, r, kind, side);
  return {
    features: { rows, values, firstValidRow: 0 },
    candles: {
      time: Float64Array.from(all, (_, i) => T0 + i * BAR_MS),
      open: Float64Array.from(all, (x) => x.o),
      high: Float64Array.from(all, (x) => x.h),
      low: Float64Array.from(all, (x) => x.l),
      close: Float64Array.from(all, (x) => x.c),
      volume: null,
    },
  };
}

/**
 * Three copies facing the same single proposal at bar 0 (a 2-row segment leaves no other start),
 * answering reject, approve_warning, approve; filled at bar 0's close without slippage unless told.
 */
function answerAll(kind: Kind, side: 1 | -1, bars: Bar[], extra: Partial<TradeApprovalEnvOptions> = {}) {
  const data = planted(kind, side, bars);
  const env = new TradeApprovalEnv({ ...data, segment: { start: 0, end: 2 }, numEnvs: 3, seed: 1, maxSteps: 1, fill: 'close', slippage: 0, ...extra });
  const sig = proposeTrade(data.features, 0);
  env.step([0, 1, 2]);
  expect(Array.from(env.dones)).toEqual([1, 1, 1]);
  return { sig, rewards: Array.from(env.rewards), pnl: Array.from(env.pnl), eps: env.drainEpisodes() };
}

const health = (dd: number) => Math.max(0, Math.min(100, 100 * (1 - dd / 0.2)));

describe('trade-approval: planted trades, hand-computed reward parts', () => {
  it('planted rows give the expected proposals and first observation', () => {
    const calm = planted('calm', 1, [{ o: 100, h: 100, l: 100, c: 100 }]);
    const sig = proposeTrade(calm.features, 0);
    expect(sig.side).toBe(1);
    expect(sig.confidence).toBe(1);
    expect(sig.leverage).toBe(10);
    expect(sig.horizon).toBe(48);
    expect(sig.stopLoss).toBeGreaterThan(0.02);
    expect(sig.stopLoss).toBeLessThan(0.03); // inside the liquidation distance 1/10 − 0.005
    expect(sig.takeProfit).toBeCloseTo(sig.stopLoss * 2.2, 12);
    const wild = proposeTrade(planted('wild', -1, [{ o: 100, h: 100, l: 100, c: 100 }]).features, 0);
    expect(wild.side).toBe(-1);
    expect(wild.leverage).toBe(10);
    expect(wild.stopLoss).toBe(0.25); // beyond the liquidation distance

    const env = new TradeApprovalEnv({ ...calm, segment: { start: 0, end: 2 }, numEnvs: 2, seed: 1 });
    expect(env.obsSize).toBe(42);
    expect(TRADE_APPROVAL_OBS_SIZE).toBe(42);
    expect(env.actionNames).toEqual(['reject', 'approve_warning', 'approve']);
    expect(env.obs.length).toBe(2 * 42);
    expect(env.masks.length).toBe(2 * 3);
    expect(env.masks.every((m) => m === 1)).toBe(true);
    const o = Array.from(env.obs.subarray(0, 42));
    expect(o.slice(0, 24)).toEqual(Array.from(calm.features.values.subarray(0, 24)));
    expect(o.slice(24, 28)).toEqual([0, 0, 1, 0]); // no exposure, no gross leverage, all the equity free, no time since approval
    const f = (x: number) => Math.fround(x);
    expect(o.slice(34)).toEqual([1, 1, 1, f(sig.takeProfit), f(sig.stopLoss), f(0.48), 0, 1]);
  });

  it('take-profit: approve earns the pnl, half on a warning; rejecting is a missed opportunity, charged, with no health bonus', () => {
    const sig = proposeTrade(planted('calm', 1, [{ o: 100, h: 100, l: 100, c: 100 }]).features, 0);
    const tpPx = 100 * (1 + sig.takeProfit);
    const { rewards, pnl, eps } = answerAll('calm', 1, [{ o: 100, h: tpPx + 0.5, l: 99.9, c: 103 }]);
    const r = sig.takeProfit - FEE * (1 + (1 + sig.takeProfit)); // per unit of notional, fees both ways
    const full = 0.1 * 10 * r * 100; // 10% of the balance as margin, ×10 leverage, in %
    expect(full).toBeGreaterThan(5);
    expect(rewards[2]).toBeCloseTo(full + 0.01, 4); // health bonus: capital at risk, health 100
    // the warning's rejected half is a shadow too: it missed half the gain, charged at half weight
    expect(rewards[1]).toBeCloseTo(full / 2 - 0.5 * (full / 2) + 0.01, 4);
    expect(rewards[0]).toBeCloseTo(-0.5 * full, 4); // nothing at risk: no health bonus
    expect(pnl[2] * 100).toBeCloseTo(full, 4);
    expect(pnl[1] * 100).toBeCloseTo(full / 2, 4);
    expect(pnl[0]).toBe(0);
    const [rej, warn, app] = eps;
    expect(app.reward_breakdown).toEqual({ pnl_rewards: expect.closeTo(full, 9), rejection_rewards: 0, health_bonuses: 0.01, liquidation_penalties: 0 });
    expect(app.portfolio.ending_balance).toBeCloseTo(10000 * (1 + full / 100), 6);
    expect(app.trade_outcomes).toMatchObject({ total_trades: 1, approved_trades: 1, rejected_trades: 0, profitable_approved: 1, losing_approved: 0, liquidations: 0 });
    expect(app.action_counts).toEqual({ reject: 0, approve_warning: 0, approve: 1 });
    expect(app.action_percentages).toEqual({ reject: 0, approve_warning: 0, approve: 100 });
    expect(warn.reward_breakdown.pnl_rewards).toBeCloseTo(full / 2, 9);
    expect(warn.reward_breakdown.rejection_rewards).toBeCloseTo(-full / 4, 9);
    expect(warn.portfolio.ending_balance).toBeCloseTo(10000 * (1 + full / 200), 6);
    expect(warn.trade_outcomes).toMatchObject({ approved_trades: 1, profitable_approved: 1, good_rejections: 0, missed_opportunities: 0 });
    expect(warn.action_counts).toEqual({ reject: 0, approve_warning: 1, approve: 0 });
    expect(rej.reward_breakdown).toEqual({ pnl_rewards: 0, rejection_rewards: expect.closeTo(-0.5 * full, 9), health_bonuses: 0, liquidation_penalties: 0 });
    expect(rej.trade_outcomes).toMatchObject({ rejected_trades: 1, good_rejections: 0, missed_opportunities: 1, approved_trades: 0 });
    expect(rej.portfolio.ending_balance).toBe(10000);
    // a profitable trade: approving it out-earns rejecting it by (1 + 0.5) × its net P&L
    expect(app.reward - rej.reward).toBeCloseTo(1.5 * full + 0.01, 6);
    for (const e of eps) {
      expect(e.portfolio.final_health_score).toBe(100);
      expect(e.portfolio.min_health_score).toBe(100);
    }
  });

  it('short take-profit mirrors the long one', () => {
    const sig = proposeTrade(planted('calm', -1, [{ o: 100, h: 100, l: 100, c: 100 }]).features, 0);
    const { rewards } = answerAll('calm', -1, [{ o: 100, h: 100.2, l: 100 * (1 - sig.takeProfit) - 0.5, c: 97 }]);
    const r = sig.takeProfit - FEE * (1 + (1 - sig.takeProfit));
    expect(rewards[2]).toBeCloseTo(r * 100 + 0.01, 4);
  });

  it('stop: a loss with the drawdown in the health score; rejecting it is a good rejection', () => {
    const sig = proposeTrade(planted('calm', 1, [{ o: 100, h: 100, l: 100, c: 100 }]).features, 0);
    const stopPx = 100 * (1 - sig.stopLoss);
    const { rewards, eps } = answerAll('calm', 1, [{ o: 100, h: 100.5, l: stopPx - 0.5, c: 98 }]);
    const r = -sig.stopLoss - FEE * (1 + (1 - sig.stopLoss));
    const full = r * 100;
    const h = health(-full / 100);
    expect(h).toBeLessThan(90); // no health bonus on the full-size loss
    expect(health(-full / 200)).toBeGreaterThanOrEqual(90); // but still one at half size
    expect(rewards[2]).toBeCloseTo(full, 4);
    expect(rewards[1]).toBeCloseTo(full / 2 - 0.5 * (full / 2) + 0.01, 4);
    expect(rewards[0]).toBeCloseTo(-0.5 * full, 4);
    const [rej, , app] = eps;
    expect(app.trade_outcomes).toMatchObject({ approved_trades: 1, profitable_approved: 0, losing_approved: 1, liquidations: 0 });
    expect(app.reward_breakdown.health_bonuses).toBe(0);
    expect(app.portfolio.max_drawdown).toBeCloseTo(-full / 100, 9);
    expect(app.portfolio.final_health_score).toBeCloseTo(h, 9);
    expect(app.portfolio.min_health_score).toBeCloseTo(h, 9);
    expect(app.portfolio.return_pct).toBeCloseTo(full, 9);
    expect(rej.trade_outcomes).toMatchObject({ good_rejections: 1, missed_opportunities: 0 });
    expect(rej.reward_breakdown.rejection_rewards).toBeCloseTo(-0.5 * full, 9);
  });

  it('stop and take-profit inside one bar counts as the stop (conservative)', () => {
    const sig = proposeTrade(planted('calm', 1, [{ o: 100, h: 100, l: 100, c: 100 }]).features, 0);
    const { rewards } = answerAll('calm', 1, [{ o: 100, h: 100 * (1 + sig.takeProfit) + 1, l: 100 * (1 - sig.stopLoss) - 0.5, c: 101 }]);
    const r = -sig.stopLoss - FEE * (1 + (1 - sig.stopLoss));
    expect(rewards[2]).toBeCloseTo(r * 100, 4);
  });

  it('a bar that opens through the stop fills at its open', () => {
    const { rewards } = answerAll('calm', 1, [{ o: 96, h: 96.5, l: 95.5, c: 96 }]);
    const r = -0.04 - FEE * (1 + 0.96);
    expect(rewards[2]).toBeCloseTo(r * 100, 4);
  });

  it('fills at the next bar\'s open by default, with slippage on both fills; marked at every close', () => {
    // bar 1 gaps up to 101: the approval made on bar 0 (close 100) buys there, 2 bps worse
    const data = planted('calm', 1, [{ o: 101, h: 101.5, l: 100.5, c: 101 }, { o: 101, h: 102.5, l: 100.8, c: 102 }]);
    const env = new TradeApprovalEnv({ ...data, segment: { start: 0, end: 3 }, numEnvs: 1, seed: 1, randomStart: false });
    const s = 0.0002, entry = 101 * (1 + s), notional = 0.1 * 10000 * 10;
    env.step([2]);
    const mark1 = notional * (101 / entry - 1);
    expect(env.pnl[0] * 10000).toBeCloseTo(mark1 - FEE * notional, 2); // marked at bar 1's close, entry fee paid
    expect(env.rewards[0]).toBeCloseTo((mark1 - FEE * notional) / 100 + 0.01, 6);
    expect(env.masks[2]).toBe(1); // 1,000 pledged of ~9,992: another full trade (999) fits
    env.step([0]); // reject the next proposal; the episode ends at the segment's last bar: the trade closes at 102
    const sell = 102 * (1 - s);
    const realised = notional * (sell / entry - 1) - FEE * notional * (sell / entry);
    const [ep] = env.drainEpisodes();
    expect(ep.portfolio.ending_balance).toBeCloseTo(10000 - FEE * notional + realised, 6);
    // the rejected proposal's shadow: bought at open[2] = 101 (+2 bps), sold at 102 (−2 bps), both fees
    const shadowEntry = 101 * (1 + s);
    const shadowNet = notional * (sell / shadowEntry - 1) - FEE * notional * (sell / shadowEntry) - FEE * notional;
    expect(ep.reward_breakdown.rejection_rewards).toBeCloseTo(-0.5 * shadowNet / 100, 6);
    expect(ep.trade_outcomes).toMatchObject({ approved_trades: 1, profitable_approved: 1, rejected_trades: 1, missed_opportunities: 1 });
  });

  it('liquidation: the margin is lost and booked as the liquidation part; rejecting it is a good rejection', () => {
    // leverage 10: liquidation at an adverse move of 1/10 − 0.005 = 9.5%, before the 25% stop
    const { sig, rewards, eps } = answerAll('wild', 1, [{ o: 100, h: 101, l: 89, c: 95 }]);
    expect(sig.stopLoss).toBe(0.25);
    // full size: the 1,000 margin is lost (−10 %), the 6 entry fee was paid (−0.06 %)
    expect(rewards[2]).toBeCloseTo(-10.06, 4);
    expect(rewards[1]).toBeCloseTo(-5.03 + 0.5 * 5.03, 4); // health 74.85: no bonus; the rejected half saved 5.03
    expect(rewards[0]).toBeCloseTo(0.5 * 10.06, 4);
    const [rej, warn, app] = eps;
    expect(app.reward_breakdown.pnl_rewards).toBeCloseTo(-0.06, 9);
    expect(app.reward_breakdown.liquidation_penalties).toBeCloseTo(-10, 9);
    expect(app.reward_breakdown.health_bonuses).toBe(0);
    expect(app.reward_breakdown.rejection_rewards).toBe(0);
    expect(app.trade_outcomes).toMatchObject({ approved_trades: 1, liquidations: 1, losing_approved: 0, profitable_approved: 0 });
    expect(app.portfolio.ending_balance).toBeCloseTo(8994, 6);
    expect(app.portfolio.min_health_score).toBeCloseTo(health(0.1006), 9);
    expect(app.reward).toBeCloseTo(-10.06, 9); // the reward parts add up to the net P&L: nothing counted twice
    expect(warn.trade_outcomes.liquidations).toBe(1);
    expect(warn.portfolio.final_health_score).toBeCloseTo(health(0.0503), 9);
    expect(rej.reward_breakdown.rejection_rewards).toBeCloseTo(5.03, 9);
    expect(rej.trade_outcomes).toMatchObject({ good_rejections: 1, liquidations: 0 });

    // the same bar is only a stop when the stop comes before the liquidation price (short, calm)
    const calm = proposeTrade(planted('calm', -1, [{ o: 100, h: 100, l: 100, c: 100 }]).features, 0);
    const out = playTrade(planted('calm', -1, [{ o: 100, h: 111, l: 99, c: 105 }]).candles, 0, 1, calm, FEE, 0.005);
    expect(out.exit).toBe('stop');
    expect(out.liquidated).toBe(false);
    const wildShort = proposeTrade(planted('wild', -1, [{ o: 100, h: 100, l: 100, c: 100 }]).features, 0);
    const liq = playTrade(planted('wild', -1, [{ o: 100, h: 111, l: 99, c: 105 }]).candles, 0, 1, wildShort, FEE, 0.005);
    expect(liq.exit).toBe('liquidation');
    expect(liq.returnOnNotional).toBeCloseTo(-0.1 - FEE, 12);
  });

  it('without a stop or target the trade is marked at each close and exits at its last bar (the segment end caps the horizon)', () => {
    const data = planted('calm', 1, [
      { o: 100, h: 101.5, l: 99.5, c: 101 },
      { o: 101, h: 102.5, l: 100.5, c: 102 },
      { o: 102, h: 103.5, l: 101.5, c: 103 },
      { o: 103, h: 200, l: 10, c: 150 }, // outside the segment: never read
    ]);
    const env = new TradeApprovalEnv({ ...data, segment: { start: 0, end: 4 }, numEnvs: 1, seed: 1, randomStart: false, fill: 'close', slippage: 0 });
    const pnl: number[] = [];
    env.step([2]);
    pnl.push(env.pnl[0]);
    expect(env.rewards[0]).toBeCloseTo((100 - 6) / 100 + 0.01, 6); // marked at 101: +100, less the 6 entry fee
    env.step([0]);
    pnl.push(env.pnl[0]);
    expect(pnl[1] * 10000).toBeCloseTo(100, 2); // marked at 102 (pnl is float32)
    env.step([0]);
    pnl.push(env.pnl[0]);
    expect(env.dones[0]).toBe(1);
    const [ep] = env.drainEpisodes();
    const r = 0.03 - FEE * (1 + 1.03);
    expect(ep.portfolio.return_pct).toBeCloseTo(r * 100, 9);
    expect(pnl.reduce((a, b) => a + b) * 100).toBeCloseTo(r * 100, 5);
    const out = playTrade(data.candles, 0, 3, proposeTrade(data.features, 0), FEE, 0.005);
    expect(out).toMatchObject({ exit: 'horizon', bars: 3, exitPrice: 103, liquidated: false });
  });

  it('constructed policies on a small series: always approve (the margin of open trades is reserved) and always reject', () => {
    // half the equity as margin per full trade: the second proposal finds too little free equity for a full approval
    const bars = [{ o: 100, h: 100.5, l: 99.5, c: 100 }, { o: 100, h: 101, l: 99.5, c: 101 }];
    const data = planted('calm', 1, bars);
    const make = () => new TradeApprovalEnv({ ...data, segment: { start: 0, end: 3 }, numEnvs: 1, seed: 1, randomStart: false, fill: 'close', slippage: 0, positionFraction: 0.5 });
    const approver = make();
    approver.step([2]); // margin 5,000, notional 50,000 at 100, fee 30; marked at 100
    expect(approver.rewards[0]).toBeCloseTo(-0.3 + 0.01, 6);
    expect(Array.from(approver.masks)).toEqual([1, 1, 0]); // 4,970 free < the 4,985 a full trade needs
    expect(approver.obs[SLOT.cashFraction]).toBeCloseTo(4970 / 9970, 6);
    approver.step([2]); // masked: taken as a rejection
    approver.drainEpisodes();
    const approver2 = make();
    approver2.step([2]);
    approver2.step([1]); // the warning: margin 2,492.5, notional 24,925 at 100, fee 14.955
    const [ep] = approver2.drainEpisodes();
    const first = 50000 * 0.01 - FEE * 50000 * 1.01 - 30; // both closed at 101 when the episode ends
    const second = 24925 * 0.01 - FEE * 24925 * 1.01 - FEE * 24925;
    expect(ep.portfolio.ending_balance).toBeCloseTo(10000 + first + second, 6);
    expect(ep.reward_breakdown.pnl_rewards).toBeCloseTo((first + second) / 100, 6);
    // the warning's rejected half: a shadow of 25,000 from the starting balance, closed at 101 too
    const shadowHalf = 25000 * 0.01 - FEE * 25000 * 1.01 - FEE * 25000;
    expect(ep.reward_breakdown.rejection_rewards).toBeCloseTo(-0.5 * shadowHalf / 100, 6);
    expect(ep.reward_breakdown.health_bonuses).toBeCloseTo(0.02, 9);
    expect(ep.trade_outcomes).toMatchObject({ approved_trades: 2, profitable_approved: 2, losing_approved: 0, rejected_trades: 0 });

    const rejecter = make();
    rejecter.step([0]);
    rejecter.step([0]);
    const [rep] = rejecter.drainEpisodes();
    expect(rep.portfolio.ending_balance).toBe(10000);
    expect(rep.portfolio.return_pct).toBe(0);
    const shadow = 50000 * 0.01 - FEE * 50000 * 1.01 - FEE * 50000; // each rejected proposal, bought at 100, closed at 101
    expect(rep.reward_breakdown).toEqual({ pnl_rewards: 0, rejection_rewards: expect.closeTo(-2 * 0.5 * shadow / 100, 6), health_bonuses: 0, liquidation_penalties: 0 });
    expect(rep.trade_outcomes).toMatchObject({ rejected_trades: 2, missed_opportunities: 2, good_rejections: 0 });
    expect(ep.reward).toBeGreaterThan(rep.reward); // doing nothing does not out-earn the profitable policy
  });

  it('each approved trade closes into its record\'s list: entry and exit, side, decision, size, prices, fees, net P&L, how it left', () => {
    const sig = proposeTrade(planted('calm', 1, [{ o: 100, h: 100, l: 100, c: 100 }]).features, 0);
    const tpPx = 100 * (1 + sig.takeProfit);
    const tp = answerAll('calm', 1, [{ o: 100, h: tpPx + 0.5, l: 99.9, c: 103 }]).eps;
    expect(closedTradesOf(tp[0])).toEqual([]); // a rejection trades nothing
    const [full] = closedTradesOf(tp[2]);
    const fees = FEE * 10000 + FEE * 10000 * (1 + sig.takeProfit);
    expect(full).toEqual({
      entry_time: new Date(T0).toISOString(), exit_time: new Date(T0 + BAR_MS).toISOString(), side: 'long', decision: 'approve',
      size: 10000, leverage: 10, margin: 1000, entry_price: 100, exit_price: expect.closeTo(tpPx, 9), fees: expect.closeTo(fees, 9),
      net_pnl: expect.closeTo(tp[2].portfolio.ending_balance - 10000, 9), net_pnl_pct: expect.closeTo(tp[2].portfolio.return_pct, 9),
      bars_held: 1, exit_reason: 'take_profit',
    });
    expect(full.net_pnl).toBeCloseTo(10000 * sig.takeProfit - fees, 9); // the move on the notional, less the fees
    const [half] = closedTradesOf(tp[1]);
    expect(half).toMatchObject({ decision: 'approve_warning', size: 5000, margin: 500, exit_reason: 'take_profit' });
    expect(half.net_pnl).toBeCloseTo(full.net_pnl / 2, 9);

    const stop = answerAll('calm', -1, [{ o: 100, h: 100 * (1 + sig.stopLoss) + 0.5, l: 99.5, c: 102 }]).eps;
    expect(closedTradesOf(stop[2])[0]).toMatchObject({ side: 'short', exit_reason: 'stop', net_pnl: expect.closeTo(stop[2].portfolio.ending_balance - 10000, 9) });
    // liquidated: the margin and the entry's fee lost, no exit fill
    const liq = answerAll('wild', 1, [{ o: 100, h: 101, l: 89, c: 95 }]).eps;
    expect(closedTradesOf(liq[2])).toEqual([expect.objectContaining({ exit_reason: 'liquidation', net_pnl: expect.closeTo(-1006, 9), net_pnl_pct: expect.closeTo(-10.06, 9), fees: expect.closeTo(6, 9) })]);
  });

  it('with slippage: prices are the market\'s, slippage counted with the fees, and the row adds up; a trade the window\'s end closes says so', () => {
    const data = planted('calm', 1, [{ o: 101, h: 101.5, l: 100.5, c: 101 }, { o: 101, h: 102.5, l: 100.8, c: 102 }, { o: 102, h: 102.5, l: 101.5, c: 102 }]);
    const env = new TradeApprovalEnv({ ...data, segment: { start: 0, end: 4 }, numEnvs: 1, seed: 1, randomStart: false, maxSteps: 2 });
    env.step([2]);
    env.step([1]); // the episode's last step: both trades close at bar 2's close, before their horizons
    const [ep] = env.drainEpisodes();
    const trades = closedTradesOf(ep);
    const s = 0.0002;
    expect(trades.map((t) => [t.decision, t.entry_time, t.exit_time, t.entry_price, t.exit_price, t.exit_reason])).toEqual([
      ['approve', new Date(T0 + BAR_MS).toISOString(), new Date(T0 + 2 * BAR_MS).toISOString(), expect.closeTo(101, 9), 102, 'episode_end'],
      ['approve_warning', new Date(T0 + 2 * BAR_MS).toISOString(), new Date(T0 + 2 * BAR_MS).toISOString(), expect.closeTo(101, 9), 102, 'episode_end'],
    ]);
    for (const t of trades) {
      const units = t.size / (t.entry_price * (1 + s));
      expect(t.fees).toBeCloseTo(FEE * t.size + FEE * units * 102 * (1 - s) + s * units * (t.entry_price + t.exit_price), 9);
      expect(t.net_pnl).toBeCloseTo(units * (t.exit_price - t.entry_price) - t.fees, 9);
    }
    expect(trades[0].net_pnl + trades[1].net_pnl).toBeCloseTo(ep.portfolio.ending_balance - 10000, 9);
  });
});

describe('trade-approval: vectorized behaviour', () => {
  function market(rows: number, seed: number): { features: MarketFeatures; candles: CandleColumns } {
    const rng = new Rng(seed);
    const time = new Float64Array(rows), open = new Float64Array(rows), high = new Float64Array(rows);
    const low = new Float64Array(rows), close = new Float64Array(rows);
    let p = 100;
    for (let i = 0; i < rows; i++) {
      time[i] = T0 + i * BAR_MS;
      open[i] = p;
      const vol = i % 500 < 100 ? 0.03 : 0.004; // calm stretches and wild ones
      p *= Math.exp(vol * rng.normal());
      close[i] = p;
      high[i] = Math.max(open[i], close[i]) * (1 + vol * rng.next());
      low[i] = Math.min(open[i], close[i]) * (1 - vol * rng.next());
    }
    const values = new Float32Array(rows * STATE_SIZE);
    for (let r = 0; r < rows; r++) {
      const b = r * STATE_SIZE;
      const vol = r % 500 < 100 ? 0.03 : 0.004;
      for (let k = 0; k < 20; k++) values[b + k] = vol * rng.normal();
      values[b + SLOT.rsi] = rng.next();
      values[b + SLOT.macdSignal] = 0.001 * rng.normal();
      values[b + SLOT.bollingerWidth] = 0.05 * rng.next();
      values[b + SLOT.volumeRatio] = 2 * rng.next();
      values[b + SLOT.regime + rng.int(3)] = 1;
      values[b + SLOT.dataHealth] = 1;
    }
    return { features: { rows, values, firstValidRow: 0 }, candles: { time, open, high, low, close, volume: null } };
  }

  const data = market(3000, 21);
  const make = (extra: Partial<TradeApprovalEnvOptions> = {}) =>
    new TradeApprovalEnv({ ...data, segment: { start: 0, end: 3000 }, numEnvs: 8, seed: 17, maxSteps: 50, ...extra });
  const randomActions = (n: number, seed: number, steps: number) => {
    const rng = new Rng(seed);
    return Array.from({ length: steps }, () => Uint8Array.from({ length: n }, () => rng.int(3)));
  };
  /** A random action the mask allows, per copy. */
  const allowedRandom = (env: TradeApprovalEnv, rng: Rng, out: Uint8Array) => {
    for (let i = 0; i < env.numEnvs; i++) {
      let a = rng.int(3);
      while (!env.masks[i * 3 + a]) a = rng.int(3);
      out[i] = a;
    }
    return out;
  };
  const withoutTimestamp = (eps: TradeApprovalEpisode[]) => eps.map(({ timestamp: _t, ...rest }) => rest);

  it('episode records have seed 000’s fields in its order, and add up', () => {
    const env = make();
    const eps: TradeApprovalEpisode[] = [];
    const rng = new Rng(3), a = new Uint8Array(8), pnl = new Float64Array(8);
    let masked = 0;
    for (let s = 0; s < 600; s++) {
      env.step(allowedRandom(env, rng, a));
      const finished = env.drainEpisodes();
      let k = 0;
      for (let i = 0; i < 8; i++) {
        pnl[i] += env.pnl[i];
        expect(env.masks[i * 3]).toBe(1); // reject is always allowed
        if (!env.masks[i * 3 + 2]) masked++;
        if (env.dones[i]) {
          // the per-step net P&L adds up to the episode's return
          expect(pnl[i] * 100).toBeCloseTo(finished[k++].portfolio.return_pct, 3);
          pnl[i] = 0;
        }
      }
      expect(k).toBe(finished.length);
      eps.push(...finished);
    }
    expect(masked).toBeGreaterThan(0); // the margin of open trades runs out now and then
    expect(eps.length).toBe(8 * 12);
    for (const e of eps) {
      expect(keyTree(JSON.parse(JSON.stringify(e)))).toEqual(keyTree(SEED_EXAMPLE));
      const t = e.trade_outcomes;
      expect(e.length).toBe(50);
      expect(t.total_trades).toBe(e.length);
      expect(t.approved_trades + t.rejected_trades).toBe(t.total_trades);
      expect(t.approved_trades).toBe(e.action_counts.approve + e.action_counts.approve_warning);
      expect(t.rejected_trades).toBe(e.action_counts.reject);
      expect(t.profitable_approved + t.losing_approved + t.liquidations).toBe(t.approved_trades);
      expect(t.good_rejections + t.missed_opportunities).toBe(t.rejected_trades);
      const p = e.action_percentages;
      expect(p.reject + p.approve_warning + p.approve).toBeCloseTo(100, 9);
      const rb = e.reward_breakdown;
      expect(e.reward).toBeCloseTo(rb.pnl_rewards + rb.rejection_rewards + rb.health_bonuses + rb.liquidation_penalties, 6);
      expect(rb.liquidation_penalties < 0).toBe(t.liquidations > 0);
      // the pnl and liquidation parts are the net P&L (weights 1): nothing paid twice, nothing left out
      expect(rb.pnl_rewards + rb.liquidation_penalties).toBeCloseTo(e.portfolio.return_pct, 6);
      expect(e.portfolio.starting_balance).toBe(10000);
      expect(e.portfolio.return_pct).toBeCloseTo((e.portfolio.ending_balance / 10000 - 1) * 100, 9);
      expect(e.portfolio.min_health_score).toBeLessThanOrEqual(e.portfolio.final_health_score);
      expect(e.portfolio.max_drawdown).toBeGreaterThanOrEqual(0);
      expect(e.portfolio.max_drawdown).toBeLessThan(1);
    }
    expect(eps.map((e) => e.episode)).toEqual(eps.map((_, k) => k + 1));
    expect(eps.slice(0, 8).map((e) => e.timestep)).toEqual([393, 394, 395, 396, 397, 398, 399, 400]);
    const sum = (f: (e: TradeApprovalEpisode) => number) => eps.reduce((s, e) => s + f(e), 0);
    expect(sum((e) => e.trade_outcomes.liquidations)).toBeGreaterThan(0);
    expect(sum((e) => e.trade_outcomes.good_rejections)).toBeGreaterThan(0);
    expect(sum((e) => e.trade_outcomes.missed_opportunities)).toBeGreaterThan(0);
    expect(sum((e) => e.trade_outcomes.profitable_approved)).toBeGreaterThan(0);
    expect(sum((e) => e.trade_outcomes.losing_approved)).toBeGreaterThan(0);
  });

  it('each episode\'s closed trades add up to its net P&L, one per approval; a copy of the record (JSON) carries none', () => {
    const env = make();
    const rng = new Rng(4), a = new Uint8Array(8);
    const eps: TradeApprovalEpisode[] = [];
    for (let s = 0; s < 600; s++) {
      env.step(allowedRandom(env, rng, a));
      eps.push(...env.drainEpisodes());
    }
    const reasons = new Set<string>();
    for (const e of eps) {
      const trades = closedTradesOf(e);
      const o = e.trade_outcomes;
      expect(trades.length).toBe(o.approved_trades);
      expect(trades.filter((t) => t.decision === 'approve').length).toBe(e.action_counts.approve);
      expect(trades.filter((t) => t.exit_reason === 'liquidation').length).toBe(o.liquidations);
      expect(trades.filter((t) => t.exit_reason !== 'liquidation' && t.net_pnl > 0).length).toBe(o.profitable_approved);
      expect(trades.reduce((sum, t) => sum + t.net_pnl, 0)).toBeCloseTo(e.portfolio.ending_balance - e.portfolio.starting_balance, 6);
      expect(trades.reduce((sum, t) => sum + t.net_pnl_pct, 0)).toBeCloseTo(e.portfolio.return_pct, 8);
      for (const t of trades) {
        reasons.add(t.exit_reason);
        expect(Date.parse(t.exit_time!)).toBeGreaterThanOrEqual(Date.parse(t.entry_time!));
        expect(t.bars_held).toBeGreaterThanOrEqual(0);
        expect(t.fees).toBeGreaterThan(0);
        if (t.exit_reason === 'liquidation') expect(t.net_pnl).toBeCloseTo(-t.margin - FEE * t.size, 9);
        else {
          const units = t.size / (t.entry_price * (t.side === 'long' ? 1.0002 : 0.9998));
          expect(t.net_pnl).toBeCloseTo((t.side === 'long' ? 1 : -1) * units * (t.exit_price - t.entry_price) - t.fees, 6);
        }
      }
      expect(closedTradesOf(JSON.parse(JSON.stringify(e)))).toEqual([]);
    }
    expect([...reasons].sort()).toEqual(['episode_end', 'horizon', 'liquidation', 'stop', 'take_profit']);
  });

  it('auto-resets: dones on the last step and the new episode’s first observation', () => {
    const env = make({ maxSteps: 5 });
    for (let s = 0; s < 4; s++) {
      env.step([2, 2, 2, 2, 1, 1, 0, 0]);
      expect(env.dones.every((d) => d === 0)).toBe(true);
    }
    expect(env.drainEpisodes()).toEqual([]);
    env.step([2, 2, 2, 2, 1, 1, 0, 0]);
    expect(env.dones.every((d) => d === 1)).toBe(true);
    expect(env.drainEpisodes().length).toBe(8);
    for (let i = 0; i < 8; i++) {
      const o = env.obs.subarray(i * 42, (i + 1) * 42);
      expect(o[SLOT.timeSinceTrade]).toBe(0);
      expect(o[40]).toBe(0); // balance back to the start
      expect(o[41]).toBe(1); // full health
      const row = env.currentRow(i);
      expect(Array.from(o.subarray(0, 24))).toEqual(Array.from(data.features.values.subarray(row * 34, row * 34 + 24)));
      const c = env.candidate(i);
      expect(o[34]).toBe(c.side);
      expect(o[36]).toBeCloseTo(c.leverage / 10, 6);
    }
  });

  it('is deterministic for a seed and differs across seeds', () => {
    const acts = randomActions(8, 5, 300);
    const a = make(), b = make(), c = make({ seed: 18 });
    let differs = false;
    for (const x of acts) {
      a.step(x); b.step(x); c.step(x);
      expect(b.obs).toEqual(a.obs);
      expect(b.rewards).toEqual(a.rewards);
      expect(b.dones).toEqual(a.dones);
      if (!differs && c.rewards.some((v, k) => v !== a.rewards[k])) differs = true;
    }
    expect(withoutTimestamp(b.drainEpisodes())).toEqual(withoutTimestamp(a.drainEpisodes()));
    expect(differs).toBe(true);
  });

  it('getState / setState through JSON continues exactly like the uninterrupted run', () => {
    const acts = randomActions(8, 6, 400);
    const a = make();
    for (let s = 0; s < 123; s++) a.step(acts[s]); // leaves undrained records in the snapshot
    const snapshot = JSON.parse(JSON.stringify(a.getState()));
    const b = make({ seed: 5 });
    b.setState(snapshot);
    expect(b.obs).toEqual(a.obs);
    for (let s = 123; s < 400; s++) {
      a.step(acts[s]);
      b.step(acts[s]);
      expect(b.obs).toEqual(a.obs);
      expect(b.rewards).toEqual(a.rewards);
      expect(b.dones).toEqual(a.dones);
    }
    const ea = a.drainEpisodes();
    expect(ea.length).toBe(64);
    const eb = b.drainEpisodes();
    expect(withoutTimestamp(eb)).toEqual(withoutTimestamp(ea));
    // the closed-trades lists are not in the state: the episodes running at the restore (steps 101–150) list
    // what closed since, an entry opened before it unknown; the episodes after list everything
    for (let k = 0; k < ea.length; k++) {
      const ta = closedTradesOf(ea[k]), tb = closedTradesOf(eb[k]);
      if (k >= 24) expect(tb).toEqual(ta);
      else if (k >= 16) {
        expect(tb.map((t) => t.net_pnl)).toEqual(ta.slice(ta.length - tb.length).map((t) => t.net_pnl));
        expect(tb.some((t) => t.entry_time === null)).toBe(true);
      }
    }
    expect(() => b.setState({ ...snapshot, kind: 'position' })).toThrow(/position/);
    expect(() => b.setState({ ...snapshot, arrays: { ...snapshot.arrays, cash: [1] } })).toThrow(/cash/);
    // a state saved before trades were marked to market is refused, not misread
    expect(() => b.setState({ ...snapshot, version: 1 })).toThrow(/version 1/);
  });

  it('never reads a bar outside its segment (train never touches eval rows, nor eval the train rows)', () => {
    const rows = 3000;
    const split = splitByTime(rows, 40, 0.25);
    const poison = (from: number, to: number) => {
      const f = { ...data.features, values: data.features.values.slice() };
      const c = { ...data.candles, open: data.candles.open.slice(), high: data.candles.high.slice(), low: data.candles.low.slice(), close: data.candles.close.slice(), time: data.candles.time.slice() };
      for (let r = from; r < to; r++) {
        f.values.fill(NaN, r * STATE_SIZE, (r + 1) * STATE_SIZE);
        c.open[r] = c.high[r] = c.low[r] = c.close[r] = c.time[r] = NaN;
      }
      return { features: f, candles: c };
    };
    for (const { segment, poisoned, randomStart } of [
      { segment: split.train, poisoned: poison(split.eval.start, rows), randomStart: true },
      { segment: split.eval, poisoned: poison(0, split.eval.start), randomStart: true },
      { segment: split.train, poisoned: poison(split.eval.start, rows), randomStart: false },
      { segment: split.eval, poisoned: poison(0, split.eval.start), randomStart: false },
    ]) {
      const env = new TradeApprovalEnv({ ...poisoned, segment, numEnvs: 8, seed: 2, maxSteps: 60, randomStart });
      let rowsSeen = 0;
      for (const a of randomActions(8, 7, 500)) {
        env.step(a);
        expect(env.obs.every(Number.isFinite)).toBe(true);
        expect(env.rewards.every(Number.isFinite)).toBe(true);
        for (let i = 0; i < 8; i++) {
          const r = env.currentRow(i);
          expect(r).toBeGreaterThanOrEqual(segment.start);
          expect(r).toBeLessThan(segment.end - 1);
          rowsSeen = Math.max(rowsSeen, r);
        }
      }
      const eps = env.drainEpisodes();
      expect(eps.length).toBeGreaterThan(40);
      for (const e of eps) expect(Number.isFinite(e.reward) && Number.isFinite(e.portfolio.ending_balance)).toBe(true);
      if (randomStart) expect(rowsSeen).toBeGreaterThan(segment.end - 80);
      else expect(rowsSeen).toBe(segment.end - 2); // the last proposal comes at the bar before the last
    }
  });

  it('walks the segment deterministically with randomStart false', () => {
    const env = new TradeApprovalEnv({ ...data, segment: { start: 100, end: 400 }, numEnvs: 3, seed: 1, maxSteps: 100, randomStart: false });
    expect([0, 1, 2].map((i) => env.currentRow(i))).toEqual([100, 200, 300]);
    for (let s = 0; s < 99; s++) env.step([0, 0, 0]);
    expect(Array.from(env.dones)).toEqual([0, 0, 1]); // the last window ends at the segment's last bar
    expect([0, 1, 2].map((i) => env.currentRow(i))).toEqual([199, 299, 100]);
    env.step([0, 0, 0]);
    expect(Array.from(env.dones)).toEqual([1, 1, 0]);
    expect(env.drainEpisodes().map((e) => e.length)).toEqual([99, 100, 100]);
  });
});
