// Evaluation as a walk: the windows cover the segment once, the figures are checked by hand on a
// small series, the intervals and bands by their definitions, the calendar on real markets.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importBytes } from '../../src/core/data/importer';
import { candleData } from '../../src/core/env/candles';
import { barsPerYear } from '../../src/core/env/calendar';
import { POSITION, PositionEnv } from '../../src/core/env/position';
import { TRADE_APPROVAL } from '../../src/core/env/tradeApproval';
import { buyAndHoldOf, constantPolicy, fixedBaselines, randomBand, verdict } from '../../src/core/eval/baselines';
import { meanInterval, quantile, t95 } from '../../src/core/eval/stats';
import { walk, walkWindows, type WalkResult } from '../../src/core/eval/walk';
import { SLOT, STATE_SIZE, type CandleColumns } from '../../src/core/features/layout';
import { candleColumnsOfDataset, computeMarketFeatures } from '../../src/core/features/market';
import { defaultsOf } from '../../src/core/settings';

const SAMPLES = resolve(__dirname, '../../public/samples');
const BAR_MS = 300_000;

async function sample(file: string): Promise<CandleColumns> {
  const imported = await importBytes(new Uint8Array(readFileSync(resolve(SAMPLES, file))), file);
  if (imported.status !== 'ready') throw new Error(`${file} did not import`);
  return candleColumnsOfDataset(imported.dataset);
}

/** A small market: closes given, opens a little off the previous close (so the fill matters). */
function small(closes: number[]) {
  const rows = closes.length;
  const open = Float64Array.from(closes, (c, i) => (i === 0 ? c : closes[i - 1] * (1 + 0.001 * ((i % 3) - 1))));
  const close = Float64Array.from(closes);
  const candles: CandleColumns = {
    time: Float64Array.from({ length: rows }, (_, i) => Date.UTC(2024, 0, 1) + i * BAR_MS),
    open, close,
    high: Float64Array.from(closes, (c, i) => Math.max(c, open[i]) * 1.001),
    low: Float64Array.from(closes, (c, i) => Math.min(c, open[i]) * 0.999),
    volume: null,
  };
  const values = new Float32Array(rows * STATE_SIZE);
  for (let r = 0; r < rows; r++) values[r * STATE_SIZE + SLOT.dataHealth] = 1;
  return { candles, features: { rows, values, firstValidRow: 0 } };
}

describe('statistics', () => {
  it('mean with a 95 % t interval, by hand', () => {
    const v = [1, 2, 3, 4, 5];
    const sd = Math.sqrt(2.5); // sample variance of 1..5
    const half = 2.776 * sd / Math.sqrt(5);
    expect(meanInterval(v)).toEqual({ mean: 3, low: expect.closeTo(3 - half, 12), high: expect.closeTo(3 + half, 12), n: 5 });
    expect(meanInterval([7])).toEqual({ mean: 7, low: null, high: null, n: 1 });
    expect(t95(1)).toBe(12.706);
    expect(t95(100)).toBe(1.96);
    expect(quantile([4, 1, 3, 2], 0.5)).toBe(2.5);
    expect(quantile([0, 10], 0.05)).toBeCloseTo(0.5, 12);
  });
});

describe('the market calendar, read off the timestamps', () => {
  it('a stock trades about 252 days a year, a 5-minute crypto market 105,192 bars, EUR/USD hourly about 6,200', async () => {
    const googl = await sample('STOCKS_GOOGL.csv');
    expect(barsPerYear(googl.time)).toBeGreaterThan(248);
    expect(barsPerYear(googl.time)).toBeLessThan(254);
    const eth = await sample('ETH_BTC-5m.parquet');
    expect(barsPerYear(eth.time) / 105_192).toBeGreaterThan(0.97); // a few missing bars
    expect(barsPerYear(eth.time) / 105_192).toBeLessThanOrEqual(1.0001);
    const fx = await sample('FOREX_EURUSD_1H_ASK.csv');
    expect(barsPerYear(fx.time)).toBeGreaterThan(6000);
    expect(barsPerYear(fx.time)).toBeLessThan(6300);
  });
});

describe('evaluation as a walk over a segment', () => {
  it('back-to-back windows of about the episode length cover every bar of the segment once', () => {
    for (const [start, end, episode] of [[100, 1100, 256], [0, 50, 256], [10, 523, 100], [5, 8, 3]] as const) {
      const w = walkWindows({ start, end }, episode);
      expect(w.starts[0]).toBe(start);
      const steps = w.starts.map((s) => Math.min(w.length, end - 1 - s));
      expect(steps.reduce((a, b) => a + b)).toBe(end - start - 1); // every step from start to the last bar, once
      for (let k = 1; k < w.starts.length; k++) expect(w.starts[k] - w.starts[k - 1]).toBe(w.length);
      // as near the episode length as whole windows allow (one window when the segment is shorter)
      if (w.starts.length > 1) expect(Math.abs(w.length - episode)).toBeLessThanOrEqual(episode / 2 + 1);
      else expect(w.length).toBeLessThanOrEqual(Math.max(end - start - 1, 1));
    }
  });

  it('always buy over the windows is buy-and-hold per window, by hand; hold makes nothing; figures over the whole walk', async () => {
    const closes = Array.from({ length: 61 }, (_, i) => 100 * (1 + 0.05 * Math.sin(i / 5)) * (1 + 0.002 * i));
    const data = small(closes);
    const market = candleData(data.candles, data.features);
    const settings = { ...defaultsOf(POSITION.settings), bars_per_year: 0 };
    const segment = { start: 10, end: 61 };
    const windows = walkWindows(segment, 10); // 50 steps: 5 windows of 10
    expect(windows.starts).toEqual([10, 20, 30, 40, 50]);
    const play = (policy: ReturnType<typeof constantPolicy>) => walk({
      env: new PositionEnv({ ...data, segment, numEnvs: 5, seed: 1, randomStart: false, maxSteps: 10 }),
      windows, time: data.candles.time, perYear: 105_192, episodeTrades: POSITION.episodeTrades,
    }, policy);
    const buy = await play(constantPolicy(1, 0, 3));
    const cost = 0.001 + 0.0002; // the defaults: fee 0.1 %, slippage 2 bps, filled at the next open
    const hand = windows.starts.map((s) => ((1 - cost) * (closes[s + 10] / data.candles.open[s + 1]) * (1 - cost) - 1) * 100);
    buy.windows.forEach((w, k) => expect(w.net_pnl_pct).toBeCloseTo(hand[k], 4));
    expect(buy.net_pnl_pct.mean).toBeCloseTo(hand.reduce((a, b) => a + b) / 5, 4);
    expect(buy.total_net_pnl_pct).toBeCloseTo((hand.reduce((e, p) => e * (1 + p / 100), 1) - 1) * 100, 3);
    expect(buy.trades).toBe(5);
    expect(buy.steps).toBe(50);
    const bh = buyAndHoldOf(POSITION, market, windows, settings)!;
    expect(bh.net_pnl_pct.mean).toBeCloseTo(buy.net_pnl_pct.mean, 4); // the same rules: the same figure
    expect(bh.total_net_pnl_pct).toBeCloseTo(buy.total_net_pnl_pct, 3);

    const hold = await play(constantPolicy(0, 0, 3));
    expect(hold.net_pnl_pct.mean).toBe(0);
    expect(hold.trades).toBe(0);
    expect(hold.win_rate).toBeNull();
    expect(hold.sharpe).toBe(0);
    const fixed = await fixedBaselines(POSITION, play);
    expect(Object.keys(fixed)).toEqual(['hold']);
    expect(fixed.hold.net_pnl_pct.mean).toBe(0);

    // a random policy at the policy's own trading frequency: always buy changes position once per window
    const band = await randomBand(POSITION, buy, play, 20);
    expect(band.frequency).toBeCloseTo(5 / 50, 12);
    expect(band.seeds).toBe(20);
    expect(band.net_pnl_pct.p5).toBeLessThanOrEqual(band.net_pnl_pct.p50);
    expect(band.net_pnl_pct.p50).toBeLessThanOrEqual(band.net_pnl_pct.p95);
  });

  it('the verdict says when a policy cannot be told from random, loses to buy-and-hold, or has an interval around zero', () => {
    const result = (mean: number, low: number | null, high: number | null) => ({ net_pnl_pct: { mean, low, high, n: 5 } }) as unknown as WalkResult;
    const b = (bh: number, p5: number, p95: number) => ({
      buy_and_hold: { net_pnl_pct: { mean: bh, low: null, high: null, n: 5 }, total_net_pnl_pct: bh },
      fixed: {}, random: { frequency: 0.1, seeds: 50, net_pnl_pct: { p5, p50: (p5 + p95) / 2, p95 }, reward: { p5, p50: 0, p95 } },
    });
    expect(verdict(result(0.5, -0.2, 1.2), b(1, -1, 1))).toMatch(/^The policy is not distinguishable from a random policy.*; it loses to buy-and-hold.*; it has a 95 % interval that includes zero\.$/);
    expect(verdict(result(2.961, 1, 5), b(2.96, -1, 1))).toBe('The policy does no better than buy-and-hold (+2.96 % against +2.96 % per window).');
    expect(verdict(result(-3, -4, -2), b(1, -1, 1))).toMatch(/worse than a random policy/);
    expect(verdict(result(2, 1, 3), b(1, -1, 1))).toMatch(/^Beats buy-and-hold and the random band: \+2\.00 %/);
    // where the market has no buy-and-hold (funding arbitrage), the constructed baselines stand in:
    // a policy that loses money beside one that never trades loses to it
    const hold = { hold: { label: 'hold (never trades)', reward: { mean: 0, low: 0, high: 0, n: 5 }, net_pnl_pct: { mean: 0, low: 0, high: 0, n: 5 }, total_net_pnl_pct: 0 } };
    const noMarket = (p5: number, p95: number) => ({ ...b(0, p5, p95), buy_and_hold: null, fixed: hold });
    expect(verdict(result(-0.08, -0.09, -0.06), noMarket(-0.13, -0.12))).toBe('The policy loses to hold (never trades) (-0.08 % against +0.00 % per window).');
    expect(verdict(result(0.5, 0.2, 0.8), noMarket(-0.13, -0.12))).toMatch(/^Beats hold \(never trades\) and the random band: \+0\.50 %/);
  });

  it('trade-approval\'s baselines: always reject never trades and makes nothing, always approve trades wherever the margin allows', async () => {
    const candles = await sample('ETH_BTC-5m.parquet');
    const features = computeMarketFeatures(candles);
    const segment = { start: 3000, end: 4001 };
    const windows = walkWindows(segment, 100);
    const play = (policy: ReturnType<typeof constantPolicy>) => walk({
      env: TRADE_APPROVAL.create(candleData(candles, features), { settings: defaultsOf(TRADE_APPROVAL.settings), segment, copies: windows.starts.length, seed: 1, randomStart: false, maxSteps: windows.length }),
      windows, time: candles.time, perYear: 105_192, episodeTrades: TRADE_APPROVAL.episodeTrades,
    }, policy);
    const fixed = await fixedBaselines(TRADE_APPROVAL, play);
    expect(Object.keys(fixed)).toEqual(['always_reject', 'always_approve']);
    expect(fixed.always_reject.net_pnl_pct.mean).toBe(0);
    expect(fixed.always_reject.total_net_pnl_pct).toBe(0);
    const approve = await play(constantPolicy(2, 0, 3));
    expect(approve.trades).toBeGreaterThan(windows.starts.length);
    expect(approve.actions.flat().filter((a) => a === 0).length).toBeGreaterThan(0); // masked when the margin of open trades leaves too little
    expect(fixed.always_approve.net_pnl_pct.mean).toBeCloseTo(approve.net_pnl_pct.mean, 9);
  });
});
