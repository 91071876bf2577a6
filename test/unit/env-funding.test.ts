// The funding-arbitrage environment's money, leg by leg, against figures worked out by hand: fees
// and slippage on both legs, funding at each venue's own settlements (none at or before entry,
// longs pay a positive rate), liquidation per leg with a signed distance, masks, configs.
import { describe, expect, it } from 'vitest';
import { fundingData, type FundingData } from '../../src/core/env/fundingArbitrage/data';
import { FUNDING_OBS, FUNDING_PORTFOLIO, FUNDING_PRESETS, FundingArbitrageEnv, type FundingEpisode } from '../../src/core/env/fundingArbitrage/env';
import { FUNDING_ARBITRAGE } from '../../src/core/env/fundingArbitrage';
import { playOverrides } from '../../src/services/inference';

const H = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);

/**
 * One symbol on venues a and b over `prices.length` hours, one opportunity an hour: long a
 * (settling every `aEvery` hours at `aRate`), short b (every hour at `bRate`).
 */
function market(prices: number[], aRate = 0.0001, bRate = 0.0005, aEvery = 8): FundingData {
  const n = prices.length;
  const time = Float64Array.from({ length: n }, (_, h) => T0 + h * H);
  const next = (every: number) => Float64Array.from(time, (t) => (Math.floor(t / (every * H)) + 1) * every * H);
  return fundingData(time, {
    symbols: ['BTC-USDT'], venues: ['a', 'b'],
    sym: new Int32Array(n), longVenue: new Int32Array(n).fill(0), shortVenue: new Int32Array(n).fill(1),
    longPrice: Float64Array.from(prices), shortPrice: Float64Array.from(prices),
    longRate: new Float64Array(n).fill(aRate), shortRate: new Float64Array(n).fill(bRate),
    longInterval: new Float64Array(n).fill(aEvery), shortInterval: new Float64Array(n).fill(1),
    longNext: next(aEvery), shortNext: next(1),
    apr: new Float64Array(n).fill((bRate - aRate / aEvery) * 8760 * 100), volume: new Float64Array(n).fill(1e6),
  });
}

const make = (data: FundingData, config = { max_leverage: 2, target_utilization: 0.5, max_positions: 1, liquidation_buffer: 0.15, stop_loss: 0.9 }) =>
  new FundingArbitrageEnv({ data, segment: { start: 0, end: data.rows }, numEnvs: 1, seed: 1, maxSteps: 1000, randomStart: false, configMode: 'fixed', config, fee: 0.0005, slippage: 0.0002 });

const OPEN_BEST_30 = 3; // opportunity 1 at 30 % of the maximum size
const CLOSE_1 = 31;

describe('funding-arbitrage money, leg by leg', () => {
  it('opening pays fee and slippage on both legs; the short leg receives its venue\u2019s hourly funding, the long leg pays none before its own settlement', () => {
    const env = make(market([100, 100, 100, 100]));
    // maximum size = free margin × leverage × utilization / positions = 10,000 × 2 × 0.5 / 1; 30 % of it
    const notional = 0.3 * 10_000;
    env.step([OPEN_BEST_30]);
    const entryCosts = 2 * notional * (0.0005 + 0.0002);
    // b settled at 01:00: the short receives 0.0005 × 3,000; a settles at 08:00, after this step
    expect(env.rewards[0]).toBeCloseTo(((-entryCosts + 0.0005 * notional) / 10_000) * 100, 6);
    expect(env.pnl[0]).toBeCloseTo((-entryCosts + 0.0005 * notional) / 10_000, 8);
    env.step([0]);
    expect(env.rewards[0]).toBeCloseTo(((0.0005 * notional) / 10_000) * 100, 6);
    // the observation's slot: notional over equity, leverage, funding earned per leg in % of notional
    const slot = FUNDING_OBS.slots;
    expect(env.obs[slot]).toBe(1);
    expect(env.obs[slot + 4]).toBeCloseTo(0.2, 6);
    expect(env.obs[slot + 6]).toBeCloseTo(0, 6);
    expect(env.obs[slot + 7]).toBeCloseTo(0.1, 5); // two settlements of 0.05 %
  });

  it('a negative rate is paid to the long leg; a positive one by it, at its venue\u2019s settlement', () => {
    const env = make(market([100, 100, 100], -0.0002, 0, 1));
    env.step([OPEN_BEST_30]);
    const costs = 2 * 3000 * 0.0007;
    expect(env.rewards[0]).toBeCloseTo(((-costs + 0.0002 * 3000) / 10_000) * 100, 6);
    const paying = make(market([100, 100, 100], 0.0003, 0, 1));
    paying.step([OPEN_BEST_30]);
    expect(paying.rewards[0]).toBeCloseTo(((-costs - 0.0003 * 3000) / 10_000) * 100, 6);
  });

  it('closing pays the exit costs and records the trade with its funding and realised P&L', () => {
    const env = make(market([100, 100, 100, 100]));
    env.step([OPEN_BEST_30]);
    env.step([CLOSE_1]);
    env.step([0]);
    const [episode] = (() => { env.step([0]); return env.drainEpisodes() as FundingEpisode[]; })();
    expect(episode.positions_opened).toBe(1);
    expect(episode.positions_closed).toBe(1);
    const [trade] = episode.trades;
    expect(trade).toMatchObject({ symbol: 'BTC-USDT', long_exchange: 'a', short_exchange: 'b', size: 3000, leverage: 2, margin: 3000, exit_reason: 'agent', hours_held: 1 });
    expect(trade.funding_short).toBeCloseTo(1.5, 9);
    expect(trade.funding_long).toBe(0);
    expect(trade.fees).toBeCloseTo(4 * 3000 * 0.0007, 9);
    expect(trade.realized_pnl).toBeCloseTo(1.5 - 4 * 3000 * 0.0007, 9);
    expect(episode.net_pnl).toBeCloseTo(trade.realized_pnl, 9);
    expect(episode.reward).toBeCloseTo((episode.net_pnl / 10_000) * 100, 9);
  });

  it('a leg past its own liquidation price is liquidated, never read as safe: its margin is lost, the other leg closed', () => {
    // 2× long: liquidation at 100 × (1 − 0.995 / 2) = 50.25. At 55 it is near (flagged), at 40 past it
    const env = make(market([100, 55, 40, 40, 40]));
    env.step([OPEN_BEST_30]);
    const slot = FUNDING_OBS.slots;
    expect(env.obs[slot + 8]).toBeCloseTo((55 - 50.25) / 55, 6); // signed distance of the long leg
    expect(env.obs[slot + 9]).toBeCloseTo((149.75 - 55) / 55, 6); // the short leg's, far
    expect(env.obs[slot + 11]).toBe(1); // within the 15 % buffer
    env.step([0]);
    expect(env.obs[slot]).toBe(0); // the position is gone
    env.step([0]); env.step([0]);
    const [episode] = env.drainEpisodes() as FundingEpisode[];
    expect(episode.liquidations).toBe(1);
    expect(episode.liquidation_loss).toBeCloseTo(1500, 9); // the long leg's margin, 3,000 / 2
    expect(episode.trades[0].exit_reason).toBe('liquidation');
    // the short leg's gain, 30 units × (100 − 40), less its exit costs on 30 × 40
    expect(episode.price_pnl).toBeCloseTo(30 * 60, 9);
    expect(episode.reward_breakdown.liquidation).toBeCloseTo(-15, 9);
  });

  it('a short leg past its liquidation price is liquidated too (prices rising)', () => {
    const env = make(market([100, 160, 160]));
    env.step([OPEN_BEST_30]);
    env.step([0]);
    const [episode] = env.drainEpisodes() as FundingEpisode[];
    expect(episode.liquidations).toBe(1);
  });
});

describe('funding-arbitrage masks and configs', () => {
  it('hold always; an open only where an opportunity is, a slot is free and the symbol is not held; a close only for a filled slot', () => {
    const env = make(market([100, 100, 100, 100]), { max_leverage: 2, target_utilization: 0.5, max_positions: 2, liquidation_buffer: 0.15, stop_loss: 0.9 });
    const allowed = () => Array.from(env.masks).flatMap((m, a) => (m ? [a] : []));
    expect(allowed()).toEqual([0, 1, 2, 3]); // one opportunity this hour, three sizes
    env.step([OPEN_BEST_30]);
    expect(allowed()).toEqual([0, CLOSE_1]); // the symbol is held: no open of it, a close of slot 1
  });

  it('presets, a fixed config, and sampled configs within seed 001\u2019s ranges, the same at the same start', () => {
    const data = market(Array.from({ length: 200 }, () => 100));
    const preset = new FundingArbitrageEnv({ data, segment: { start: 0, end: 200 }, numEnvs: 1, seed: 1, maxSteps: 24, configMode: 'conservative' });
    expect(preset.configOf(0)).toMatchObject(FUNDING_PRESETS.conservative);
    expect(Array.from(preset.obs.subarray(0, 3))).toEqual([0.1, 0.4, 0.4].map(Math.fround));
    const sampled = new FundingArbitrageEnv({ data, segment: { start: 0, end: 200 }, numEnvs: 64, seed: 3, maxSteps: 24 });
    const configs = Array.from({ length: 64 }, (_, i) => sampled.configOf(i));
    for (const c of configs) {
      expect(c.max_leverage).toBeGreaterThanOrEqual(1); expect(c.max_leverage).toBeLessThanOrEqual(10);
      expect(c.target_utilization).toBeGreaterThanOrEqual(0.3); expect(c.target_utilization).toBeLessThanOrEqual(0.8);
      expect([1, 2, 3, 4, 5]).toContain(c.max_positions);
    }
    expect(new Set(configs.map((c) => c.max_positions)).size).toBeGreaterThan(2);
    // two copies started at one hour face one config (a GRPO group's window)
    sampled.startAt(0, 50); sampled.startAt(1, 50);
    expect(sampled.configOf(1)).toEqual(sampled.configOf(0));
  });

  it('reads the portfolio a played window shows: equity, funding against costs, each slot’s notional, and the trade row the table lists', () => {
    const env = make(market([100, 100, 100, 100, 100]));
    const out = new Float64Array(FUNDING_PORTFOLIO.length);
    env.portfolioOf(0, out);
    expect(Array.from(out.subarray(0, 5))).toEqual([10_000, 0, 0, 0, 0]);
    env.step([OPEN_BEST_30]);
    env.step([0]);
    env.portfolioOf(0, out);
    const col = (key: string) => out[FUNDING_PORTFOLIO.findIndex((c) => c.key === key)];
    // 3,000 per leg, margin 2 × 3,000 / 2; two hourly settlements of 0.05 % received by the short
    expect(col('slot1_notional')).toBeCloseTo(3000, 6);
    expect(col('slot2_notional')).toBe(0);
    expect(col('open')).toBe(1);
    expect(col('margin')).toBeCloseTo(3000, 6);
    expect(col('funding')).toBeCloseTo(2 * 0.0005 * 3000, 6);
    expect(col('slot1_funding')).toBeCloseTo(2 * 0.0005 * 3000, 6);
    expect(col('costs')).toBeCloseTo(2 * 3000 * 0.0007, 6);
    expect(col('equity')).toBeCloseTo(10_000 - 2 * 3000 * 0.0007 + 2 * 0.0005 * 3000, 6);
    env.step([CLOSE_1]);
    const record = env.drainEpisodes()[0] ?? null;
    expect(record).toBeNull(); // the episode goes on; its trade is kept for the record
    const spec = FUNDING_ARBITRAGE;
    const fake = { trades: [{ symbol: 'BTC-USDT', realized_pnl: 1 }], portfolio: { ending_balance: 10_001 }, funding_earned: { total: 3 }, fees: 1, slippage: 0.5 };
    expect(spec.tradeTable!.rows(fake)).toEqual(fake.trades);
    spec.portfolio!.readEnd(fake, out);
    expect(Array.from(out.subarray(0, 4))).toEqual([10_001, 3, 1.5, 0]);
  });

  it('a play may change the trading config only, each value checked', () => {
    expect(playOverrides(FUNDING_ARBITRAGE, { config_mode: 'fixed', max_leverage: 2 })).toEqual({ config_mode: 'fixed', max_leverage: 2 });
    expect(() => playOverrides(FUNDING_ARBITRAGE, { max_leverage: 20 })).toThrow(/max_leverage must be at most 10 \(got 20\)/);
    expect(() => playOverrides(FUNDING_ARBITRAGE, { fee_pct: 0 })).toThrow(/played with the run's own fee_pct/);
  });
});
