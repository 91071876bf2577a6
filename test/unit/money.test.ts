// The money view of a walk: its equity curve after costs ends at the walk's compounded net P&L,
// buy-and-hold's beside it, the blotter's trades add up to each window's net P&L, fees are what
// the same actions would have made without costs less what they made, and the warning when
// reward rises while net P&L falls.
import { describe, expect, it } from 'vitest';
import { buildEnvironments } from '../../src/core/env/build';
import { candleData } from '../../src/core/env/candles';
import { POSITION } from '../../src/core/env/position';
import { TRADE_APPROVAL } from '../../src/core/env/tradeApproval';
import { constantPolicy } from '../../src/core/eval/baselines';
import { segmentEvaluator } from '../../src/core/eval/evaluate';
import type { ActionPolicy } from '../../src/core/eval/walk';
import { SLOT, STATE_SIZE, type CandleColumns } from '../../src/core/features/layout';
import type { EvaluationRecord } from '../../src/core/run/contracts';
import { MAX_POINTS, moneyOf, moneyOfWalk, rewardPnlDivergence, SIDE_FLAT, SIDE_LONG, SIDE_NONE, SIDE_SHORT, tradeTotals, utcMinute, windowEvents, type MoneyWalkInput } from '../../src/core/run/money';
import { defaultsOf } from '../../src/core/settings';
import { ENVIRONMENTS } from '../../src/core/env/registry';

const BAR_MS = 300_000;

/** A random-walk market of `rows` 5-minute bars, features blank but for the data-health slot. */
function market(rows: number, seed = 7) {
  let s = seed, c = 100;
  const closes: number[] = [];
  for (let i = 0; i < rows; i++) {
    s = (s * 16807) % 2147483647;
    c *= 1 + ((s / 2147483647) - 0.5) * 0.01;
    closes.push(c);
  }
  const open = Float64Array.from(closes, (x, i) => (i === 0 ? x : closes[i - 1]));
  const candles: CandleColumns = {
    time: Float64Array.from({ length: rows }, (_, i) => Date.UTC(2024, 0, 1) + i * BAR_MS),
    open, close: Float64Array.from(closes),
    high: Float64Array.from(closes, (x, i) => Math.max(x, open[i]) * 1.001),
    low: Float64Array.from(closes, (x, i) => Math.min(x, open[i]) * 0.999),
    volume: null,
  };
  const values = new Float32Array(rows * STATE_SIZE);
  for (let r = 0; r < rows; r++) values[r * STATE_SIZE + SLOT.dataHealth] = 1;
  return candleData(candles, { rows, values, firstValidRow: 0 });
}

function input(over: Partial<MoneyWalkInput>): MoneyWalkInput {
  return {
    rows: [[0, 1, 2, 3, 4, 5]], actions: [[0, 1, 0, 2, 0, 0]], sides: [[SIDE_NONE, SIDE_LONG, SIDE_NONE, SIDE_SHORT, SIDE_NONE, SIDE_NONE]],
    pnl: [[0, -0.001, 0.01, -0.002, 0.003, 0.004]], gross: [[0, 0, 0.01, 0, 0.003, 0.005]], windows: [{ reward: 1.4, net_pnl_pct: 1.4 }], tradeRecords: null,
    time: Float64Array.from({ length: 8 }, (_, i) => i * 60_000), price: (r) => 100 + r,
    buyAndHold: (start, end) => (end - start - 1) * 0.5, baselines: [{ key: 'hold', label: 'hold', pnl: [[0, 0, 0, 0, 0, 0]] }],
    idleAction: 0, actionNames: ['hold', 'buy', 'sell'], changesOnly: true, rewardUnit: '% return', startingBalance: 10_000, positionSize: 1, costRate: 0.0012,
    ...over,
  };
}

describe('the money view of a walk', () => {
  it('positions held between changes are the trades: they add up to the window, with their fees, sizes, entries and exits', () => {
    const m = moneyOfWalk(input({}));
    expect(m.trades_from).toBe('changes');
    expect(m.trades).toHaveLength(2);
    const [long, short] = m.trades;
    // the long from step 1 to the change at step 3; the short from step 3 to the window's end
    expect(long).toMatchObject({ side: 'long', entry_time: 60_000, entry_price: 101, exit_time: 180_000, exit_price: 103, size: 10_000 });
    // the flip's step cost 0.002: half of it closed the long, half opened the short
    expect(long.pnl).toBeCloseTo((-0.001 + 0.01 - 0.001) * 10_000, 6);
    expect(long.fees).toBeCloseTo((0.001 + 0.001) * 10_000, 6);
    expect(short).toMatchObject({ side: 'short', exit_time: 360_000 });
    expect(short.pnl).toBeCloseTo((-0.002 + 0.001 + 0.003 + 0.004) * 10_000, 6);
    expect(short.fees).toBeCloseTo((0.001 + 0.001) * 10_000, 6);
    expect(long.pnl! + short.pnl!).toBeCloseTo(0.014 * 10_000, 6); // the window's net P&L
    expect(tradeTotals(m, 0)).toMatchObject({ trades: 2, wins: 2 });
    expect(tradeTotals(m, 0).fees!).toBeCloseTo(0.004 * 10_000, 6); // the window's costs, all of them
    expect(m.fees_pct).toBeCloseTo(0.4, 9);
    expect(m.turnover).toBeCloseTo(0.004 / 0.0012, 3);
    // markers where the position changed
    expect(windowEvents(m, 0).map((e) => [e.action, e.side])).toEqual([['buy', 'long'], ['sell', 'short']]);
    expect(m.windows[0]).toMatchObject({ steps: 6, idle: 4, trades: 2 });
    // the curve: 0 at the start, the window's net P&L at its end; buy-and-hold and the baseline beside it
    expect(m.time[0]).toBe(0);
    expect(m.policy[0]).toBe(0);
    expect(m.policy[m.policy.length - 1]).toBeCloseTo(1.4, 4);
    expect(m.buy_and_hold![m.buy_and_hold!.length - 1]).toBeCloseTo(3, 9);
    expect(m.baselines[0].values.every((v) => v === 0)).toBe(true);
    expect(m.reward_unit).toBe('% return');
  });

  it('a move to flat closes the position on its own step; an approval is one decision, its money not separable', () => {
    const flat = moneyOfWalk(input({ sides: [[SIDE_NONE, SIDE_LONG, SIDE_NONE, SIDE_FLAT, SIDE_NONE, SIDE_NONE]] }));
    expect(flat.trades).toHaveLength(1);
    expect(flat.trades[0].pnl).toBeCloseTo((-0.001 + 0.01 - 0.002) * 10_000, 6);
    const approvals = moneyOfWalk(input({ changesOnly: false, actionNames: ['reject', 'approve_warning', 'approve'], actions: [[0, 2, 1, 0, 2, 0]], sides: [[SIDE_NONE, SIDE_LONG, SIDE_SHORT, SIDE_NONE, SIDE_LONG, SIDE_NONE]] }));
    expect(approvals.trades_from).toBe('decisions');
    expect(approvals.trades.map((t) => [t.side, t.size_label, t.pnl])).toEqual([['long', 'approve', null], ['short', 'approve_warning', null], ['long', 'approve', null]]);
    expect(approvals.windows[0].idle).toBe(3);
    expect(approvals.windows[0].fees_pct).toBeCloseTo(0.4, 9);
  });

  it('windows compound one after another; a long walk keeps at most MAX_POINTS points and every window end', () => {
    const W = 10, L = 300;
    const rows = Array.from({ length: W }, (_, w) => Array.from({ length: L }, (_, j) => w * L + j));
    const m = moneyOfWalk(input({
      rows, actions: rows.map((r) => r.map(() => 0)), sides: rows.map((r) => r.map(() => SIDE_NONE)), pnl: rows.map((r) => r.map(() => 0.01 / L)), gross: null,
      windows: rows.map(() => ({ reward: 1, net_pnl_pct: 1 })), baselines: [], time: Float64Array.from({ length: W * L + 1 }, (_, i) => i), buyAndHold: null,
    }));
    expect(m.time.length).toBeLessThanOrEqual(MAX_POINTS + W + 1);
    expect(m.policy[m.policy.length - 1]).toBeCloseTo((1.01 ** W - 1) * 100, 3);
    expect(m.buy_and_hold).toBeNull();
    expect(m.fees_pct).toBeNull();
    for (let w = 1; w <= W; w++) expect(m.time).toContain(w * L);
  });

  it('records stored before the money view read as not recorded', () => {
    expect(moneyOf({ step: 1, mean_reward: 0, std_reward: 0, min_reward: 0, max_reward: 0, num_episodes: 1, timestamp: '' })).toBeNull();
    expect(utcMinute(Date.UTC(2024, 2, 1, 14, 5))).toBe('2024-03-01 14:05');
  });
});

describe('an evaluation keeps its money view', () => {
  const data = market(900);
  const settings = { ...defaultsOf(POSITION.settings) };

  it('always buying on the position environment is buy-and-hold to the cent, window by window; fees are what the costs took', async () => {
    const envs = buildEnvironments(POSITION, data, settings, { copies: 1, seed: 1, maxSteps: 40 });
    const evaluator = segmentEvaluator(envs, data, 'validation', 40, 0);
    const record = await evaluator.evaluate(constantPolicy(1, 0, 3), 100);
    const m = moneyOf(record)!;
    expect(m).not.toBeNull();
    expect(m.policy[m.policy.length - 1]).toBeCloseTo(record.total_net_pnl_pct!, 3);
    expect(m.buy_and_hold![m.buy_and_hold!.length - 1]).toBeCloseTo(record.baselines!.buy_and_hold!.total_net_pnl_pct, 3);
    // at each window's end (in between, buy-and-hold is valued as if sold there, the policy at the mark)
    for (const w of m.windows) {
      const k = m.time.lastIndexOf(w.end_time);
      expect(k).toBeGreaterThan(0);
      expect(m.policy[k]).toBeCloseTo(m.buy_and_hold![k], 3);
    }
    // one long position per window, from its first bar to its end, costing two fills
    expect(m.trades).toHaveLength(m.windows.length);
    const cost = (settings.fee as number) + (settings.slippage_bps as number) / 10_000;
    for (const [w, t] of m.trades.entries()) {
      expect(t.side).toBe('long');
      expect(t.pnl_pct!).toBeCloseTo(m.windows[w].net_pnl_pct, 2);
      expect(t.fees! / 10_000).toBeGreaterThan(1.9 * cost * 0.9);
      expect(t.fees! / 10_000).toBeLessThan(2.1 * cost * 1.1);
    }
    expect(m.turnover!).toBeGreaterThan(1.8 * m.windows.length);
    expect(m.baselines.map((b) => b.key)).toEqual(['hold']);
    expect(m.baselines[0].values.every((v) => v === 0)).toBe(true);
    // the record survives JSON (metrics.json) as it is
    expect(moneyOf(JSON.parse(JSON.stringify(record)))).toEqual(m);
  });

  it('trade-approval marks approvals, the rest are rejections, and the unit is a shaped score', async () => {
    const envs = buildEnvironments(TRADE_APPROVAL, data, defaultsOf(TRADE_APPROVAL.settings), { copies: 1, seed: 1, maxSteps: 40 });
    const evaluator = segmentEvaluator(envs, data, 'test', 40, 0);
    let t = 0;
    const alternate: ActionPolicy = (_obs, masks, n, out) => { for (let i = 0; i < n; i++) out[i] = masks[i * 3 + (t % 3)] ? t % 3 : 0; t++; };
    const m = moneyOf(await evaluator.evaluate(alternate, 0))!;
    expect(m.reward_unit).toBe('shaped score');
    expect(m.changes_only).toBe(false);
    const actions = new Set(m.events.a.map((a) => m.action_names[a]));
    expect([...actions].sort()).toEqual(['approve', 'approve_warning']);
    expect(m.windows.reduce((n, w) => n + w.idle, 0) + m.events_total).toBe(m.windows.reduce((n, w) => n + w.steps, 0));
    expect(m.fees_pct!).toBeGreaterThan(0);
  });

  it('trade-approval\'s blotter is its closed trades: each with its exit, size, fees and net P&L, adding up to its window\'s net P&L', async () => {
    const envs = buildEnvironments(TRADE_APPROVAL, data, defaultsOf(TRADE_APPROVAL.settings), { copies: 1, seed: 1, maxSteps: 40 });
    const evaluator = segmentEvaluator(envs, data, 'test', 40, 0);
    let t = 0;
    const alternate: ActionPolicy = (_obs, masks, n, out) => { for (let i = 0; i < n; i++) out[i] = masks[i * 3 + (t % 3)] ? t % 3 : 0; t++; };
    const record = await evaluator.evaluate(alternate, 0);
    const m = moneyOf(record)!;
    expect(m.trades_from).toBe('records');
    expect(m.trades_total).toBe(m.trades.length); // all kept: every window complete
    expect(m.trades.length).toBe(record.trades);
    expect(m.trades.length).toBe(m.events_total); // one trade per approval
    const sb = m.starting_balance!;
    for (const [w, win] of m.windows.entries()) {
      const ts = m.trades.filter((x) => x.w === w);
      expect(ts.length).toBe(win.trades);
      // to a hundredth of a cent per trade (the kept rounding)
      expect(Math.abs(ts.reduce((a, x) => a + x.pnl!, 0) - (win.net_pnl_pct / 100) * sb)).toBeLessThan(1e-4 * (ts.length + 1) + 1e-4 * sb / 100);
      expect(Math.abs(ts.reduce((a, x) => a + x.fees!, 0) - (win.fees_pct! / 100) * sb)).toBeLessThan(1e-4 * (ts.length + 1) + 1e-4 * sb / 100);
      expect(tradeTotals(m, w).pnl).toBeCloseTo(ts.reduce((a, x) => a + x.pnl!, 0), 9);
    }
    const whole = m.trades.reduce((a, x) => a + x.pnl!, 0), windows = m.windows.reduce((a, x) => a + x.net_pnl_pct, 0) / 100 * sb;
    expect(whole).toBeCloseTo(windows, 1);
    for (const x of m.trades) {
      expect(['long', 'short']).toContain(x.side);
      expect(['approve', 'approve_warning']).toContain(x.size_label);
      expect(x.exit_time!).toBeGreaterThanOrEqual(x.entry_time);
      expect(x.exit_price!).toBeGreaterThan(0);
      expect(x.size!).toBeGreaterThan(0);
      expect(x.fees!).toBeGreaterThan(0);
      expect(x.pnl_pct!).toBeCloseTo((x.pnl! / sb) * 100, 3);
      expect(['take_profit', 'stop', 'liquidation', 'horizon', 'episode_end']).toContain(x.exit_reason);
    }
    // the events (markers) are still the decisions, each approval's entry at its bar
    expect(new Set(m.events.a.map((a) => m.action_names[a]))).toEqual(new Set(['approve', 'approve_warning']));
    expect(moneyOf(JSON.parse(JSON.stringify(record)))).toEqual(m);
  });

  it('every environment says what its reward is counted in', () => {
    for (const e of ENVIRONMENTS) expect(e.rewardUnit.length).toBeGreaterThan(0);
  });
});

describe('reward rising while net P&L falls', () => {
  const ev = (reward: number, pnl: number): EvaluationRecord => ({ step: 0, mean_reward: reward, std_reward: 0, min_reward: 0, max_reward: 0, num_episodes: 4, timestamp: '', net_pnl_pct: { mean: pnl, low: null, high: null, n: 4 } });

  it('warns on the trends, not on one evaluation, and says the unit', () => {
    const text = rewardPnlDivergence([ev(1, 0.5), ev(2, 0.3), ev(1.8, 0.4), ev(3, -0.2)], 'shaped score');
    expect(text).toMatch(/Reward rose while net P&L fell over 4 evaluations/);
    expect(text).toMatch(/shaped score/);
    expect(rewardPnlDivergence([ev(1, 0.5), ev(2, 0.6), ev(3, 0.7)])).toBeNull();
    expect(rewardPnlDivergence([ev(3, 0.5), ev(2, 0.3), ev(1, 0.1)])).toBeNull();
    expect(rewardPnlDivergence([ev(1, 0.5), ev(2, 0.1)])).toBeNull();
    // a hundredth of a percent is no fall
    expect(rewardPnlDivergence([ev(1, 0.5), ev(2, 0.498), ev(3, 0.496)])).toBeNull();
  });
});
