import { describe, expect, it } from 'vitest';
import { PositionEnv, type PositionEnvOptions, type PositionEpisode } from '../../src/core/env/position';
import { ENVIRONMENTS, envSpec } from '../../src/core/env';
import { candleData } from '../../src/core/env/candles';
import { defaultsOf } from '../../src/core/settings';
import { TradeApprovalEnv } from '../../src/core/env/tradeApproval';
import { splitByTime } from '../../src/core/env/types';
import { SLOT, STATE_SIZE, type CandleColumns, type MarketFeatures } from '../../src/core/features/layout';
import { Rng } from '../../src/core/rng';

const BAR_MS = 300_000;
const T0 = Date.UTC(2024, 0, 1);

/**
 * Candles from closes (open = previous close unless `opens` are given) and features whose row r
 * holds r + k/100 in slot k.
 */
function market(closes: number[], opts: { random?: number; opens?: number[] } = {}): { features: MarketFeatures; candles: CandleColumns } {
  const rows = closes.length;
  const time = new Float64Array(rows), open = new Float64Array(rows), high = new Float64Array(rows);
  const low = new Float64Array(rows), close = Float64Array.from(closes), volume = new Float64Array(rows).fill(1);
  for (let i = 0; i < rows; i++) {
    time[i] = T0 + i * BAR_MS;
    open[i] = opts.opens ? opts.opens[i] : i === 0 ? closes[0] : closes[i - 1];
    high[i] = Math.max(open[i], close[i]);
    low[i] = Math.min(open[i], close[i]);
  }
  const values = new Float32Array(rows * STATE_SIZE);
  const rng = opts.random ? new Rng(opts.random) : null;
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < STATE_SIZE; k++) {
      if (k >= SLOT.position && k <= SLOT.timeSinceTrade) continue;
      values[r * STATE_SIZE + k] = rng ? rng.normal() * 0.01 : r + k / 100;
    }
  }
  return { features: { rows, values, firstValidRow: 0 }, candles: { time, open, high, low, close, volume } };
}

function randomWalk(rows: number, seed: number): number[] {
  const rng = new Rng(seed);
  const out: number[] = [];
  let p = 100;
  for (let i = 0; i < rows; i++) {
    out.push(p);
    p *= Math.exp(0.01 * rng.normal());
  }
  return out;
}

/** One copy walking the closes; fills at the decision bar's close without slippage unless told otherwise. */
function env1(closes: number[], extra: Partial<PositionEnvOptions> = {}, opens?: number[]): PositionEnv {
  const { features, candles } = market(closes, { opens });
  return new PositionEnv({ features, candles, segment: { start: 0, end: closes.length }, numEnvs: 1, seed: 1, randomStart: false, fill: 'close', slippage: 0, ...extra });
}

const withoutTimestamp = (eps: PositionEpisode[]) => eps.map(({ timestamp: _t, ...rest }) => rest);
const year = Math.sqrt((365.25 * 86_400_000) / BAR_MS);

describe('position environment: hand-checked steps', () => {
  it('buy, then +10% twice: fee on the traded notional, equity follows the next close', () => {
    const env = env1([100, 110, 121], { maxSteps: 2 });
    expect(env.obsSize).toBe(34);
    expect(env.numActions).toBe(3);
    expect(env.actionNames).toEqual(['hold', 'buy', 'sell']);
    // first observation: bar 0, flat, all cash, no time since trade
    expect(env.obs[0]).toBeCloseTo(0, 6);
    expect(env.obs[5]).toBeCloseTo(0.05, 6);
    expect(Array.from(env.obs.subarray(24, 28))).toEqual([0, 0, 1, 0]);

    env.step([1]);
    // equity 10000 − 0.001·1·10000 = 9990, then × 1.10 = 10989 → reward (10989 − 10000) / 10000 × 100
    expect(env.rewards[0]).toBeCloseTo(9.89, 5);
    expect(env.dones[0]).toBe(0);
    expect(env.obs[0]).toBeCloseTo(1, 6); // bar 1's features
    expect(env.obs[SLOT.position]).toBe(1);
    expect(env.obs[SLOT.leverage]).toBe(1);
    expect(env.obs[SLOT.cashFraction]).toBe(0);
    expect(env.obs[SLOT.timeSinceTrade]).toBeCloseTo(Math.tanh(1 / 20), 6);

    env.step([0]);
    // held: 10989 × 1.1 = 12087.9, then the episode ends and the long is closed: fee 12.0879 → 12075.8121
    expect(env.rewards[0]).toBeCloseTo(10.868121, 4);
    expect(env.pnl[0]).toBeCloseTo(0.10868121, 6);
    expect(env.dones[0]).toBe(1);
    const [ep, ...more] = env.drainEpisodes();
    expect(more).toEqual([]);
    expect(ep.episode).toBe(1);
    expect(ep.length).toBe(2);
    expect(ep.timestep).toBe(2);
    expect(ep.reward).toBeCloseTo(20.758121, 9);
    expect(ep.return_pct).toBeCloseTo(20.758121, 9);
    expect(ep.portfolio.ending_balance).toBeCloseTo(12075.8121, 6);
    expect(ep.portfolio.starting_balance).toBe(10000);
    // buy-and-hold pays the same fee both ways: 0.999 × 1.21 × 0.999 − 1, the policy's own figure
    expect(ep.buy_and_hold_return_pct).toBeCloseTo(20.758121, 9);
    expect(ep.max_drawdown).toBe(0);
    expect(ep.trades).toBe(1); // the long, closed at the end
    expect(ep.win_rate).toBe(1);
    expect(ep.turnover).toBe(2);
    expect(ep.action_counts).toEqual({ hold: 1, buy: 1, sell: 0 });
    expect(ep.start_time).toBe(new Date(T0).toISOString());
    expect(ep.end_time).toBe(new Date(T0 + 2 * BAR_MS).toISOString());
    expect(Number.isNaN(Date.parse(ep.timestamp))).toBe(false);
    // both steps return 0.0989 (1.1 × 0.999 − 1): no variance, no Sharpe ratio
    expect(ep.sharpe).toBe(0);
    expect(Object.keys(ep)).toEqual([
      'episode', 'reward', 'length', 'timestep', 'timestamp', 'start_time', 'end_time', 'return_pct',
      'buy_and_hold_return_pct', 'sharpe', 'max_drawdown', 'win_rate', 'trades', 'turnover', 'action_counts', 'portfolio',
    ]);
    expect(Object.keys(ep.portfolio)).toEqual(['starting_balance', 'ending_balance', 'return_pct', 'max_drawdown']);
  });

  it('short with leverage 2, then flip long: fee on |Δposition| = 4, closed trade counted', () => {
    const env = env1([100, 90, 99], { maxSteps: 2, leverage: 2 });
    env.step([2]);
    // fee 0.001·2·10000 = 20 → 9980 × (1 + (−2)(−0.1)) = 11976
    expect(env.rewards[0]).toBeCloseTo(19.76, 4);
    expect(env.obs[SLOT.position]).toBe(-1);
    expect(env.obs[SLOT.leverage]).toBe(2);
    expect(env.obs[SLOT.cashFraction]).toBe(0);
    env.step([1]);
    // fee 0.001·4·11976 = 47.904 → 11928.096 × 1.2 = 14313.7152; closed at the end: fee 0.002 × that
    const end = 14313.7152 * (1 - 0.002);
    expect(env.rewards[0]).toBeCloseTo((end - 11976) / 100, 4);
    const [ep] = env.drainEpisodes();
    expect(ep.portfolio.ending_balance).toBeCloseTo(end, 6);
    expect(ep.turnover).toBe(8);
    expect(ep.trades).toBe(2);
    expect(ep.win_rate).toBe(1);
    expect(ep.action_counts).toEqual({ hold: 0, buy: 1, sell: 1 });
  });

  it('without shorts SELL goes flat; a losing round trip lowers the win rate and shows a drawdown', () => {
    const env = env1([100, 90, 99, 90], { maxSteps: 3, allowShort: false });
    env.step([2]); // flat already: nothing traded
    expect(env.rewards[0]).toBe(0);
    expect(env.obs[SLOT.position]).toBe(0);
    expect(env.obs[SLOT.timeSinceTrade]).toBeCloseTo(Math.tanh(1 / 20), 6);
    env.step([1]); // long at 90: 9990 × 1.1 = 10989
    expect(env.rewards[0]).toBeCloseTo(9.89, 4);
    env.step([2]); // flat at 99: exit fee 10.989 → 10978.011, no move
    expect(env.rewards[0]).toBeCloseTo(-0.10989, 5);
    const [ep] = env.drainEpisodes();
    expect(ep.trades).toBe(1);
    expect(ep.win_rate).toBe(1);
    expect(ep.turnover).toBe(2);
    expect(ep.buy_and_hold_return_pct).toBeCloseTo((0.999 * 0.9 * 0.999 - 1) * 100, 9);

    const loser = env1([100, 90, 99], { maxSteps: 2 });
    loser.step([1]); // long at 100 → 9990 × 0.9 = 8991
    loser.step([2]); // flip short at 90: fee 0.002·8991 = 17.982 → 8973.018 × (1 − 0.1) = 8075.7162, closed at the end
    const lend = 8075.7162 * 0.999;
    const [lep] = loser.drainEpisodes();
    expect(lep.portfolio.ending_balance).toBeCloseTo(lend, 6);
    expect(lep.trades).toBe(2);
    expect(lep.win_rate).toBe(0);
    expect(lep.max_drawdown).toBeCloseTo(1 - lend / 10000, 9);
  });

  it('fills at the next bar\'s open by default, with slippage: the old position is held to the open, the new one from it', () => {
    // closes 100, 110, 121, 120; opens 100, 105, 115, 119: the decision on bar 0 buys at 105, not 100
    const closes = [100, 110, 121, 120], opens = [100, 105, 115, 119];
    const env = env1(closes, { maxSteps: 3, fill: 'next_open', slippage: 0.0002 }, opens);
    const cost = 0.001 + 0.0002;
    env.step([1]); // buy at open[1] = 105, paying cost on the notional, held to close[1]
    let eq = 10000 * (1 - cost) * (110 / 105);
    const equities = [10000, eq];
    expect(env.rewards[0]).toBeCloseTo((eq - 10000) / 100, 6);
    env.step([2]); // sell: held from close 110 to open[2] = 115, then the flip (cost on 2), short from 115 to 121
    const before = eq;
    eq *= 115 / 110;
    eq *= 1 - 2 * cost;
    eq *= 1 - (121 / 115 - 1);
    expect(env.rewards[0]).toBeCloseTo((eq - before) / 100, 6);
    equities.push(eq);
    env.step([0]); // hold the short from close 121 to open 119 to close 120, then closed at the end
    const before2 = eq;
    eq *= 1 - (119 / 121 - 1);
    eq *= 1 - (120 / 119 - 1);
    eq *= 1 - cost;
    expect(env.rewards[0]).toBeCloseTo((eq - before2) / 100, 6);
    const [ep] = env.drainEpisodes();
    expect(ep.portfolio.ending_balance).toBeCloseTo(eq, 6);
    expect(ep.trades).toBe(2);
    expect(ep.turnover).toBe(4);
    // per-step returns, mean / population std × sqrt(bars per year): 5-minute bars round the clock
    equities.push(eq);
    const r = equities.slice(1).map((e, k) => e / equities[k] - 1);
    const mean = r.reduce((a, b) => a + b) / 3, std = Math.sqrt(r.reduce((a, b) => a + (b - mean) ** 2, 0) / 3);
    expect(ep.sharpe).toBeCloseTo((mean / std) * year, 6);
    // buy-and-hold under the same rules: bought at open[1], sold at the last close, fee + slippage both ways
    expect(ep.buy_and_hold_return_pct).toBeCloseTo(((1 - cost) * (120 / 105) * (1 - cost) - 1) * 100, 9);
  });

  it('constructed policies: always buy is buy-and-hold to the cent, hold never trades and makes nothing', () => {
    const closes = randomWalk(40, 9);
    const opens = closes.map((c, i) => (i === 0 ? c : c * (1 + 0.002 * Math.sin(i))));
    for (const fill of ['next_open', 'close'] as const) {
      const buyer = env1(closes, { maxSteps: 1000, fill, slippage: 0.0003 }, opens);
      let pnl = 0;
      for (let s = 0; s < 39; s++) {
        buyer.step([1]);
        pnl += buyer.pnl[0];
        if (buyer.dones[0]) break;
      }
      const [ep] = buyer.drainEpisodes();
      expect(ep.length).toBe(39);
      const x = 0.001 + 0.0003, entry = fill === 'next_open' ? opens[1] : closes[0];
      const hand = ((1 - x) * (closes[39] / entry) * (1 - x) - 1) * 100;
      expect(ep.return_pct).toBeCloseTo(hand, 9);
      expect(ep.buy_and_hold_return_pct).toBeCloseTo(hand, 9);
      expect(pnl * 100).toBeCloseTo(hand, 4); // the per-step net P&L adds up to the episode's
      expect(ep.trades).toBe(1);

      const holder = env1(closes, { maxSteps: 1000, fill, slippage: 0.0003 }, opens);
      for (let s = 0; s < 39; s++) holder.step([0]);
      const [hep] = holder.drainEpisodes();
      expect(hep.return_pct).toBe(0);
      expect(hep.reward).toBe(0);
      expect(hep.trades).toBe(0);
    }
  });

  it('equity at or below zero ends the episode; the copy restarts with a fresh first observation', () => {
    const env = env1([100, 40, 50, 60], { maxSteps: 3, leverage: 2 });
    env.step([1]); // 9980 × (1 + 2·(−0.6)) < 0 → 0
    expect(env.dones[0]).toBe(1);
    expect(env.rewards[0]).toBeCloseTo(-100, 5);
    const [ep] = env.drainEpisodes();
    expect(ep.length).toBe(1);
    expect(ep.portfolio.ending_balance).toBe(0);
    expect(ep.max_drawdown).toBe(1);
    // restarted at bar 0, flat
    expect(env.obs[0]).toBeCloseTo(0, 6);
    expect(Array.from(env.obs.subarray(24, 28))).toEqual([0, 0, 1, 0]);
    env.step([0]);
    expect(env.dones[0]).toBe(0);
    expect(env.rewards[0]).toBe(0);
  });
});

describe('position environment: vectorized behaviour', () => {
  const closes = randomWalk(600, 3);

  function make(extra: Partial<PositionEnvOptions> = {}) {
    const { features, candles } = market(closes, { random: 5 });
    return new PositionEnv({ features, candles, segment: { start: 0, end: closes.length }, numEnvs: 6, seed: 42, maxSteps: 40, ...extra });
  }

  function randomActions(n: number, seed: number, steps: number): Uint8Array[] {
    const rng = new Rng(seed);
    return Array.from({ length: steps }, () => Uint8Array.from({ length: n }, () => rng.int(3)));
  }

  it('has masks of shape [numEnvs, 3], all allowed, kept live through steps', () => {
    const env = make();
    expect(env.masks.length).toBe(6 * 3);
    expect(env.obs.length).toBe(6 * 34);
    expect(env.rewards.length).toBe(6);
    expect(env.dones.length).toBe(6);
    for (const a of randomActions(6, 1, 50)) {
      env.step(a);
      expect(env.masks.every((m) => m === 1)).toBe(true);
    }
  });

  it('auto-resets after maxSteps: dones set, records drained oldest first with global timesteps', () => {
    const env = make();
    const acts = randomActions(6, 2, 40);
    for (let s = 0; s < 39; s++) {
      env.step(acts[s]);
      expect(Array.from(env.dones)).toEqual([0, 0, 0, 0, 0, 0]);
    }
    expect(env.drainEpisodes()).toEqual([]);
    env.step(acts[39]);
    expect(Array.from(env.dones)).toEqual([1, 1, 1, 1, 1, 1]);
    const eps = env.drainEpisodes();
    expect(eps.map((e) => e.episode)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(eps.map((e) => e.timestep)).toEqual([235, 236, 237, 238, 239, 240]);
    for (const e of eps) {
      expect(e.length).toBe(40);
      expect(e.action_counts.hold + e.action_counts.buy + e.action_counts.sell).toBe(40);
      expect(e.reward).toBeCloseTo(e.return_pct, 6);
      expect(e.win_rate).toBeGreaterThanOrEqual(0);
      expect(e.win_rate).toBeLessThanOrEqual(1);
      expect(e.max_drawdown).toBeGreaterThanOrEqual(0);
      expect(e.max_drawdown).toBeLessThan(1);
      expect(Number.isFinite(e.sharpe)).toBe(true);
      expect(Date.parse(e.end_time!) - Date.parse(e.start_time!)).toBe(40 * BAR_MS);
    }
    expect(env.drainEpisodes()).toEqual([]);
    // each copy restarted flat on a fresh row
    for (let i = 0; i < 6; i++) expect(env.obs[i * 34 + SLOT.position]).toBe(0);
  });

  it('is deterministic for a seed and differs across seeds', () => {
    const acts = randomActions(6, 9, 300);
    const a = make(), b = make(), c = make({ seed: 43 });
    let differs = false;
    for (const x of acts) {
      a.step(x); b.step(x); c.step(x);
      expect(b.obs).toEqual(a.obs);
      expect(b.rewards).toEqual(a.rewards);
      expect(b.dones).toEqual(a.dones);
      if (!differs && (c.obs.some((v, k) => v !== a.obs[k]))) differs = true;
    }
    expect(withoutTimestamp(b.drainEpisodes())).toEqual(withoutTimestamp(a.drainEpisodes()));
    expect(differs).toBe(true);
  });

  it('getState / setState through JSON continues exactly like the uninterrupted run', () => {
    const acts = randomActions(6, 4, 260);
    const a = make();
    for (let s = 0; s < 57; s++) a.step(acts[s]);
    const snapshot = JSON.parse(JSON.stringify(a.getState()));
    const b = make({ seed: 999 });
    b.step(acts[0]);
    b.setState(snapshot);
    expect(b.obs).toEqual(a.obs);
    for (let s = 57; s < 260; s++) {
      a.step(acts[s]);
      b.step(acts[s]);
      expect(b.obs).toEqual(a.obs);
      expect(b.rewards).toEqual(a.rewards);
      expect(b.dones).toEqual(a.dones);
    }
    const ea = a.drainEpisodes(), eb = b.drainEpisodes();
    expect(ea.length).toBeGreaterThan(10);
    expect(withoutTimestamp(eb)).toEqual(withoutTimestamp(ea));
    expect(() => b.setState({ ...snapshot, kind: 'trade-approval' })).toThrow(/trade-approval/);
    expect(() => b.setState({ ...snapshot, numEnvs: 3 })).toThrow(/copies/);
  });

  it('with randomStart false walks the segment window by window from its start', () => {
    const { features, candles } = market(closes.slice(0, 23));
    const env = new PositionEnv({ features, candles, segment: { start: 0, end: 23 }, numEnvs: 2, seed: 1, maxSteps: 5, randomStart: false });
    expect(env.obs[0]).toBeCloseTo(0, 6);
    expect(env.obs[34]).toBeCloseTo(5, 6);
    const starts: number[] = [];
    const lengths: number[] = [];
    for (let s = 0; s < 16; s++) {
      env.step([0, 0]);
      for (const e of env.drainEpisodes()) {
        starts.push((Date.parse(e.start_time!) - T0) / BAR_MS);
        lengths.push(e.length);
      }
    }
    // windows 0, 5, 10, 15, 20 (only 2 steps left before the last bar), then from the start again
    expect(starts.slice(0, 6)).toEqual([0, 5, 10, 15, 20, 0]);
    expect(lengths.slice(0, 6)).toEqual([5, 5, 5, 5, 2, 5]);
  });

  it('never reads a bar outside its segment (train never touches eval rows, nor eval the train rows)', () => {
    const rows = 1200;
    const { features, candles } = market(randomWalk(rows, 8), { random: 6 });
    const split = splitByTime(rows, 50);
    const poison = (from: number, to: number) => {
      const f = { ...features, values: features.values.slice() };
      const c = { ...candles, open: candles.open.slice(), high: candles.high.slice(), low: candles.low.slice(), close: candles.close.slice(), time: candles.time.slice() };
      for (let r = from; r < to; r++) {
        f.values.fill(NaN, r * STATE_SIZE, (r + 1) * STATE_SIZE);
        c.open[r] = c.high[r] = c.low[r] = c.close[r] = c.time[r] = NaN;
      }
      return { features: f, candles: c };
    };
    const cases = [
      { segment: split.train, data: poison(split.eval.start, rows), randomStart: true },
      { segment: split.eval, data: poison(0, split.eval.start), randomStart: true },
      // walking windows reach the segment's last bar
      { segment: split.train, data: poison(split.eval.start, rows), randomStart: false },
      { segment: split.eval, data: poison(0, split.eval.start), randomStart: false },
    ];
    for (const { segment, data, randomStart } of cases) {
      const env = new PositionEnv({ ...data, segment, numEnvs: 8, seed: 3, maxSteps: 64, leverage: 3, randomStart });
      const rng = new Rng(12);
      const acts = new Uint8Array(8);
      for (let s = 0; s < 600; s++) {
        for (let i = 0; i < 8; i++) acts[i] = rng.int(3);
        env.step(acts);
        expect(env.obs.every(Number.isFinite)).toBe(true);
        expect(env.rewards.every(Number.isFinite)).toBe(true);
      }
      const eps = env.drainEpisodes();
      expect(eps.length).toBeGreaterThan(50);
      let last = 0;
      for (const e of eps) {
        expect(Number.isFinite(e.reward) && Number.isFinite(e.sharpe) && Number.isFinite(e.buy_and_hold_return_pct)).toBe(true);
        const s = (Date.parse(e.start_time!) - T0) / BAR_MS, t = (Date.parse(e.end_time!) - T0) / BAR_MS;
        expect(s).toBeGreaterThanOrEqual(segment.start);
        expect(t).toBeLessThan(segment.end);
        last = Math.max(last, t);
      }
      if (!randomStart) expect(last).toBe(segment.end - 1);
    }
    // the segment starts no earlier than the features' first valid row
    const late = new PositionEnv({ features: { ...features, firstValidRow: 100 }, candles, segment: { start: 0, end: 200 }, numEnvs: 1, seed: 1, randomStart: false });
    expect(late.segment).toEqual({ start: 100, end: 200 });
    expect(late.obs.every(Number.isFinite)).toBe(true);
  });

  it('rejects bad inputs', () => {
    const { features, candles } = market(closes.slice(0, 10));
    expect(() => new PositionEnv({ features, candles, segment: { start: 9, end: 10 }, numEnvs: 1, seed: 1 })).toThrow(/usable rows/);
    expect(() => new PositionEnv({ features, candles, segment: { start: 0, end: 11 }, numEnvs: 1, seed: 1 })).toThrow(/outside/);
    expect(() => new PositionEnv({ features, candles, segment: { start: 0, end: 10 }, numEnvs: 0, seed: 1 })).toThrow(/numEnvs/);
    expect(() => new PositionEnv({ features, candles, segment: { start: 0, end: 10 }, numEnvs: 1, seed: 0 })).toThrow(/seed/);
    const env = new PositionEnv({ features, candles, segment: { start: 0, end: 10 }, numEnvs: 2, seed: 1 });
    expect(() => env.step([0])).toThrow(/2 actions/);
  });
});

describe('the environment registry', () => {
  it('builds each registered environment', () => {
    expect(ENVIRONMENTS.map((e) => e.id)).toEqual(['trade-approval', 'position', 'funding-arbitrage']);
    const { features, candles } = market(randomWalk(300, 1), { random: 2 });
    const create = (id: string) => {
      const spec = envSpec(id);
      return spec.create(candleData(candles, features), { settings: defaultsOf(spec.settings), segment: { start: 0, end: 300 }, copies: 2, seed: 7, randomStart: true, maxSteps: 64 });
    };
    const p = create('position');
    expect(p).toBeInstanceOf(PositionEnv);
    expect(p.name).toBe('position');
    const t = create('trade-approval');
    expect(t).toBeInstanceOf(TradeApprovalEnv);
    expect(t.name).toBe('trade-approval');
    expect(t.obsSize).toBe(42);
    expect(() => envSpec('nope')).toThrow(/unknown environment/);
  });
});
