// Market features against reference values computed independently in numpy
// (test/fixtures/features_reference.py → features_reference.json), plus synthetic series whose
// answers are known by hand.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { importBytes } from '../../src/core/data/importer';
import { FEATURE_NAMES, SLOT, STATE_SIZE, type CandleColumns, type MarketFeatures } from '../../src/core/features/layout';
import {
  MARKET_WARMUP_ROWS,
  candleColumnsFrom,
  clearMarketFeatureCache,
  computeMarketFeatures,
  marketFeaturesCached,
  medianTimeStep,
} from '../../src/core/features/market';

const DATA = resolve(__dirname, '../../../shared/data');
const REFERENCE = resolve(__dirname, '../fixtures/features_reference.json');

interface ReferenceFile {
  rows: number;
  firstValidRow: number;
  medianStepMs: number;
  regimeCounts: { low: number; normal: number; high: number };
  samples: { row: number; values: number[] }[];
}

const slot = (f: MarketFeatures, row: number, s: number) => f.values[row * STATE_SIZE + s];
const rowOf = (f: MarketFeatures, row: number) => Array.from(f.values.subarray(row * STATE_SIZE, (row + 1) * STATE_SIZE));

/** Float32 output against a float64 reference: relative 1e-6 (float32 rounds at ~6e-8), floor 1e-9. */
function expectClose(got: number, want: number, what: string) {
  expect(Math.abs(got - want), `${what}: got ${got}, want ${want}`).toBeLessThanOrEqual(1e-6 * Math.abs(want) + 1e-9);
}

function expectAllFinite(f: MarketFeatures) {
  let bad = -1;
  for (let i = 0; i < f.values.length && bad < 0; i++) if (!Number.isFinite(f.values[i])) bad = i;
  expect(bad, bad < 0 ? '' : `row ${Math.floor(bad / STATE_SIZE)} slot ${FEATURE_NAMES[bad % STATE_SIZE]} is ${f.values[bad]}`).toBe(-1);
}

/** Candles from closes: open = previous close, high / low bracket both, unit volume, hourly bars. */
function candlesFromCloses(close: number[], opts: { volume?: number[] | null; start?: number; stepMs?: number } = {}): CandleColumns {
  const n = close.length;
  const step = opts.stepMs ?? 3_600_000;
  const c = Float64Array.from(close);
  const open = Float64Array.from(close, (x, i) => (i > 0 ? close[i - 1] : x));
  return {
    time: Float64Array.from({ length: n }, (_, i) => (opts.start ?? 1_700_000_000_000) + i * step),
    open,
    high: Float64Array.from(close, (x, i) => Math.max(x, open[i]) * 1.001),
    low: Float64Array.from(close, (x, i) => Math.min(x, open[i]) * 0.999),
    close: c,
    volume: opts.volume === null ? null : Float64Array.from(opts.volume ?? close.map(() => 100)),
  };
}

async function loadCandles(file: string): Promise<CandleColumns> {
  const out = await importBytes(new Uint8Array(readFileSync(resolve(DATA, file))), file);
  if (out.status !== 'ready') throw new Error(`${file}: expected a ready dataset, got ${out.status}`);
  const { meta, columns } = out.dataset;
  return candleColumnsFrom((name) => {
    const i = meta.columns.indexOf(name);
    const col = i >= 0 ? columns[i] : undefined;
    return col && (col.type === 'number' || col.type === 'time') ? col.values : null;
  });
}

describe.skipIf(!existsSync(DATA))('market features of the shared sample data against the numpy reference', () => {
  const reference = JSON.parse(readFileSync(REFERENCE, 'utf8')) as { files: Record<string, ReferenceFile> };

  for (const [file, ref] of Object.entries(reference.files)) {
    describe(file, () => {
      let features: MarketFeatures;
      let candles: CandleColumns;

      it('imports and computes features for every row, with no NaN or infinity', async () => {
        candles = await loadCandles(file);
        features = computeMarketFeatures(candles);
        expect(features.rows).toBe(ref.rows);
        expect(features.values.length).toBe(ref.rows * STATE_SIZE);
        expectAllFinite(features);
      });

      it(`firstValidRow is ${ref.firstValidRow}`, () => {
        expect(features.firstValidRow).toBe(ref.firstValidRow);
        expect(MARKET_WARMUP_ROWS).toBe(ref.firstValidRow);
      });

      it('the median time step matches', () => {
        expect(medianTimeStep(candles.time)).toBe(ref.medianStepMs);
      });

      it(`all 34 slots match at ${ref.samples.length} reference rows`, () => {
        expect(ref.samples.map((s) => s.row)).toContain(ref.firstValidRow);
        expect(ref.samples.map((s) => s.row)).toContain(ref.rows - 1);
        for (const { row, values } of ref.samples) {
          expect(values.length).toBe(STATE_SIZE);
          for (let s = 0; s < STATE_SIZE; s++) expectClose(slot(features, row, s), values[s], `row ${row} ${FEATURE_NAMES[s]}`);
        }
      });

      it('the regime one-hot has the reference counts and is one-hot from firstValidRow on', () => {
        const counts = [0, 0, 0];
        for (let t = 0; t < features.rows; t++) {
          const hot = [0, 1, 2].filter((k) => slot(features, t, SLOT.regime + k) === 1);
          const total = slot(features, t, SLOT.regime) + slot(features, t, SLOT.regime + 1) + slot(features, t, SLOT.regime + 2);
          if (t < features.firstValidRow) expect(total, `row ${t}`).toBe(0);
          else {
            expect(hot.length, `row ${t}`).toBe(1);
            expect(total, `row ${t}`).toBe(1);
            counts[hot[0]]++;
          }
        }
        expect(counts).toEqual([ref.regimeCounts.low, ref.regimeCounts.normal, ref.regimeCounts.high]);
      });

      it('portfolio slots are 0 and ranges hold on every row', () => {
        for (let t = 0; t < features.rows; t++) {
          for (const s of [SLOT.position, SLOT.leverage, SLOT.cashFraction, SLOT.timeSinceTrade]) expect(slot(features, t, s)).toBe(0);
          const rsi = slot(features, t, SLOT.rsi);
          const health = slot(features, t, SLOT.dataHealth);
          const volumeRatio = slot(features, t, SLOT.volumeRatio);
          if (!(rsi >= 0 && rsi <= 1 && health >= 0 && health <= 1 && volumeRatio >= 0 && volumeRatio <= 10)) {
            throw new Error(`row ${t}: rsi ${rsi}, health ${health}, volume ratio ${volumeRatio}`);
          }
        }
      });
    });
  }
});

describe('market features of synthetic series', () => {
  it('see no bar after their own: prices, volumes and timestamps changed after bar T change no row up to T', () => {
    const rows = 600, T = 250; // most steps come after T: the median of the whole series would move
    const close = Array.from({ length: rows }, (_, i) => 100 * Math.exp(0.01 * Math.sin(i / 7) + 0.002 * i));
    const volume = Array.from({ length: rows }, (_, i) => 1000 + 100 * Math.cos(i));
    const a = candlesFromCloses(close, { volume, stepMs: 300_000 });
    const b = candlesFromCloses(close, { volume, stepMs: 300_000 });
    // ten 10-minute steps before T: gaps against the 5-minute step before T, not against a 12-minute one
    for (const c of [a, b]) for (let r = 200; r < rows; r++) c.time[r] += Math.min(r - 199, 10) * 5 * 60_000;
    for (let r = T + 1; r < rows; r++) {
      const k = 1 + 0.3 * Math.sin(r); // a different future
      b.open[r] *= k; b.high[r] *= k * 1.01; b.low[r] *= k * 0.99; b.close[r] *= k;
      b.volume![r] *= 3;
      b.time[r] += (r - T) * 7 * 60_000; // and irregular times: a whole-series median step would see them
    }
    const fa = computeMarketFeatures(a), fb = computeMarketFeatures(b);
    for (let r = 0; r <= T; r++) expect(rowOf(fb, r), `row ${r}`).toEqual(rowOf(fa, r));
    expect(rowOf(fb, T + 1)).not.toEqual(rowOf(fa, T + 1));
  });

  it('constant prices: returns 0, RSI 0.5, MACD 0, Bollinger width 0, volume ratio 1, normal regime, full health', () => {
    const f = computeMarketFeatures(candlesFromCloses(new Array(300).fill(100)));
    expectAllFinite(f);
    expect(f.firstValidRow).toBe(119);
    for (const t of [119, 200, 299]) {
      const r = rowOf(f, t);
      expect(r.slice(0, 20)).toEqual(new Array(20).fill(0));
      expect(r[SLOT.rsi]).toBe(0.5);
      expect(r[SLOT.macdSignal]).toBe(0);
      expect(r[SLOT.bollingerWidth]).toBe(0);
      expect(r[SLOT.volumeRatio]).toBe(1);
      expect(r.slice(SLOT.regime, SLOT.regime + 3)).toEqual([0, 1, 0]);
      expect(r[SLOT.dataHealth]).toBe(1);
      expect(r[SLOT.newsSentiment]).toBe(0);
      expect(r[SLOT.macroSentiment]).toBe(0);
    }
  });

  it('strictly rising prices: RSI 1 and a positive MACD signal; falling: RSI 0 and a negative one', () => {
    const up = computeMarketFeatures(candlesFromCloses(Array.from({ length: 200 }, (_, i) => 100 * 1.01 ** i)));
    const down = computeMarketFeatures(candlesFromCloses(Array.from({ length: 200 }, (_, i) => 100 * 0.99 ** i)));
    for (let t = 14; t < 200; t++) {
      expect(slot(up, t, SLOT.rsi)).toBe(1);
      expect(slot(down, t, SLOT.rsi)).toBe(0);
    }
    expect(slot(up, 150, SLOT.macdSignal)).toBeGreaterThan(0);
    expect(slot(down, 150, SLOT.macdSignal)).toBeLessThan(0);
    // a constant growth rate: every return is ln 1.01
    expect(slot(up, 150, 19)).toBeCloseTo(Math.log(1.01), 7);
    expect(slot(up, 150, 0)).toBeCloseTo(Math.log(1.01), 7);
  });

  it('returns are ordered oldest first, clipped to [-1, 1], and 0 before they exist', () => {
    const close = Array.from({ length: 60 }, () => 10);
    close[30] = 100; // ln 10 = 2.30 → clipped to 1, then ln 0.1 → -1
    const f = computeMarketFeatures(candlesFromCloses(close));
    expect(slot(f, 30, 19)).toBe(1);
    expect(slot(f, 31, 19)).toBe(-1);
    expect(slot(f, 31, 18)).toBe(1);
    expect(slot(f, 49, 0)).toBe(1); // bar 30 is 19 bars before row 49
    expect(slot(f, 50, 0)).toBe(-1);
    // row 5: slots for bars 1..5 exist (slots 15..19), older ones are 0
    const early = computeMarketFeatures(candlesFromCloses(Array.from({ length: 30 }, (_, i) => 10 + i)));
    expect(slot(early, 5, 19)).toBeCloseTo(Math.log(15 / 14), 6);
    expect(slot(early, 5, 15)).toBeCloseTo(Math.log(11 / 10), 6);
    expect(slot(early, 5, 14)).toBe(0);
    expect(slot(early, 0, 19)).toBe(0);
  });

  it('RSI follows Wilder by hand on a short series', () => {
    // changes +1, -1 alternating: first averages 7/14 and 7/14 → 0.5; then a +2 bar
    const close = [10];
    for (let i = 0; i < 14; i++) close.push(close[close.length - 1] + (i % 2 === 0 ? 1 : -1));
    close.push(close[close.length - 1] + 2);
    const f = computeMarketFeatures(candlesFromCloses(close));
    expect(slot(f, 13, SLOT.rsi)).toBe(0); // not yet defined
    expect(slot(f, 14, SLOT.rsi)).toBeCloseTo(0.5, 7);
    const gain = (0.5 * 13 + 2) / 14;
    const loss = (0.5 * 13) / 14;
    expect(slot(f, 15, SLOT.rsi)).toBeCloseTo(gain / (gain + loss), 6);
  });

  it('MACD signal and Bollinger width by hand', () => {
    const close = Array.from({ length: 40 }, (_, i) => 50 + Math.sin(i / 3) * 5 + i * 0.1);
    const f = computeMarketFeatures(candlesFromCloses(close));
    const ema = (xs: number[], span: number) => {
      const a = 2 / (span + 1);
      const out = [xs[0]];
      for (let i = 1; i < xs.length; i++) out.push(a * xs[i] + (1 - a) * out[i - 1]);
      return out;
    };
    const e12 = ema(close, 12);
    const e26 = ema(close, 26);
    const signal = ema(close.map((_, i) => e12[i] - e26[i]), 9);
    for (const t of [0, 5, 39]) expect(slot(f, t, SLOT.macdSignal)).toBeCloseTo(signal[t] / close[t], 7);
    const w = close.slice(20, 40);
    const mean = w.reduce((a, b) => a + b) / 20;
    const std = Math.sqrt(w.reduce((a, b) => a + (b - mean) ** 2, 0) / 20);
    expect(slot(f, 39, SLOT.bollingerWidth)).toBeCloseTo((4 * std) / mean, 6);
    expect(slot(f, 18, SLOT.bollingerWidth)).toBe(0);
  });

  it('volume ratio: by hand, clipped at 10, 1 for an all-zero window, 1 everywhere without a volume column', () => {
    const volume = new Array(60).fill(100);
    volume[25] = 300; // mean over 6..25 = (19·100 + 300)/20 = 110
    volume[40] = 1e6; // far above 10× the mean
    for (let i = 45; i < 60; i++) volume[i] = 0;
    const close = new Array(60).fill(5);
    const f = computeMarketFeatures(candlesFromCloses(close, { volume }));
    expect(slot(f, 18, SLOT.volumeRatio)).toBe(0);
    expect(slot(f, 19, SLOT.volumeRatio)).toBe(1);
    expect(slot(f, 25, SLOT.volumeRatio)).toBeCloseTo(300 / 110, 6);
    expect(slot(f, 40, SLOT.volumeRatio)).toBe(10);
    expect(slot(f, 59, SLOT.volumeRatio)).toBe(0); // window still holds bar 40's volume
    const zeros = computeMarketFeatures(candlesFromCloses(new Array(60).fill(5), { volume: new Array(60).fill(0) }));
    expect(slot(zeros, 30, SLOT.volumeRatio)).toBe(1);

    const none = computeMarketFeatures(candlesFromCloses(Array.from({ length: 150 }, (_, i) => 20 + (i % 7)), { volume: null }));
    expectAllFinite(none);
    for (let t = 0; t < 150; t++) expect(slot(none, t, SLOT.volumeRatio)).toBe(1);
    expect(slot(none, 149, SLOT.dataHealth)).toBe(1);
  });

  it('the regime follows vol20 against its 100-bar mean', () => {
    // calm alternating ±0.1% moves for 200 bars, then ±2%: the first wild bars are high-vol;
    // much later the wild regime is normal again; a calm stretch after it is low-vol
    const close = [100];
    const move = (i: number) => (i < 200 ? 0.001 : i < 400 ? 0.02 : 0.001);
    for (let i = 1; i < 600; i++) close.push(close[i - 1] * (1 + (i % 2 === 0 ? move(i) : -move(i))));
    const f = computeMarketFeatures(candlesFromCloses(close));
    const regime = (t: number) => rowOf(f, t).slice(SLOT.regime, SLOT.regime + 3);
    expect(regime(150)).toEqual([0, 1, 0]);
    expect(regime(210)).toEqual([0, 0, 1]);
    expect(regime(399)).toEqual([0, 1, 0]);
    expect(regime(430)).toEqual([1, 0, 0]);
  });

  it('data health counts bad prices, bad volume and gaps over the last 20 bars', () => {
    const c = candlesFromCloses(Array.from({ length: 100 }, (_, i) => 50 + (i % 5)));
    c.high[40] = c.low[40] - 1; // high below the body
    c.high[45] = c.close[45] * 0.5;
    c.volume![50] = -5;
    c.close[60] = Number.NaN;
    for (let i = 70; i < 100; i++) c.time[i] += 2 * 3_600_000; // a 3-hour step into bar 70
    const f = computeMarketFeatures(c);
    expectAllFinite(f);
    expect(slot(f, 0, SLOT.dataHealth)).toBe(1);
    expect(slot(f, 39, SLOT.dataHealth)).toBe(1);
    expect(slot(f, 40, SLOT.dataHealth)).toBeCloseTo(19 / 20, 6);
    expect(slot(f, 59, SLOT.dataHealth)).toBeCloseTo(17 / 20, 6); // bars 40, 45 and 50
    expect(slot(f, 60, SLOT.dataHealth)).toBeCloseTo(17 / 20, 6); // 45, 50 and 60 (40 has left)
    expect(slot(f, 65, SLOT.dataHealth)).toBeCloseTo(18 / 20, 6); // 50 and 60
    expect(slot(f, 70, SLOT.dataHealth)).toBeCloseTo(18 / 20, 6); // 60 and the gap before 70
    expect(slot(f, 99, SLOT.dataHealth)).toBe(1);
    // the NaN close is carried over: a 0 return at bar 60, then the move from bar 59 to 61
    expect(slot(f, 60, 19)).toBe(0);
    expect(slot(f, 61, 19)).toBeCloseTo(Math.log(c.close[61] / c.close[59]), 6);
  });

  it('data health treats duplicate and backward times as unhealthy, and a short start window as the bars so far', () => {
    const c = candlesFromCloses(new Array(30).fill(10));
    c.time[3] = c.time[2];
    const f = computeMarketFeatures(c);
    expect(slot(f, 2, SLOT.dataHealth)).toBe(1);
    expect(slot(f, 3, SLOT.dataHealth)).toBeCloseTo(3 / 4, 6);
    expect(slot(f, 10, SLOT.dataHealth)).toBeCloseTo(9 / 11, 6); // bar 3's step is 0 and bar 4's two hours
  });

  it('sentiment columns pass through, clipped to [-1, 1] with NaN as 0', () => {
    const c = candlesFromCloses(new Array(10).fill(3));
    c.newsSentiment = Float64Array.from([0.5, -0.25, 2, -3, Number.NaN, Infinity, -Infinity, 0, 1, -1]);
    c.macroSentiment = Float64Array.from([-0.75, 0.1, 0, 0, 0, 0, 0, 0, Number.NaN, 1.5]);
    const f = computeMarketFeatures(c);
    expectAllFinite(f);
    expect(Array.from({ length: 10 }, (_, t) => slot(f, t, SLOT.newsSentiment))).toEqual([0.5, -0.25, 1, -1, 0, 1, -1, 0, 1, -1]);
    expect(Array.from({ length: 10 }, (_, t) => slot(f, t, SLOT.macroSentiment))).toEqual([-0.75, Math.fround(0.1), 0, 0, 0, 0, 0, 0, 0, 1]);
  });

  it('no NaN anywhere with bad prices, and firstValidRow = rows for short series', () => {
    const c = candlesFromCloses(Array.from({ length: 50 }, (_, i) => 1 + i));
    c.close[0] = Number.NaN;
    c.close[10] = 0;
    c.close[11] = -4;
    c.close[12] = Infinity;
    c.open[20] = Number.NaN;
    c.volume![30] = Number.NaN;
    const f = computeMarketFeatures(c);
    expectAllFinite(f);
    expect(f.firstValidRow).toBe(50);
    const empty = computeMarketFeatures(candlesFromCloses([]));
    expect(empty).toEqual({ rows: 0, values: new Float32Array(0), firstValidRow: 0 });
    const allBad = computeMarketFeatures(candlesFromCloses(new Array(30).fill(Number.NaN)));
    expectAllFinite(allBad);
  });

  it('rejects columns of different lengths', () => {
    const c = candlesFromCloses([1, 2, 3]);
    c.high = new Float64Array(2);
    expect(() => computeMarketFeatures(c)).toThrow(/"high" has 2 rows, close has 3/);
  });

  it('medianTimeStep: odd and even counts, ignoring non-positive steps', () => {
    expect(medianTimeStep(Float64Array.from([0, 1, 3, 6]))).toBe(2);
    expect(medianTimeStep(Float64Array.from([0, 1, 3, 6, 10]))).toBe(2.5);
    expect(medianTimeStep(Float64Array.from([0, 5, 5, 4, 6]))).toBe(3.5);
    expect(medianTimeStep(Float64Array.from([7]))).toBeNaN();
  });
});

describe('candleColumnsFrom', () => {
  const base = candlesFromCloses([1, 2, 3]);
  const table: Record<string, Float64Array> = { time: base.time, open: base.open, high: base.high, low: base.low, close: base.close };
  const getter = (cols: Record<string, Float64Array>) => (name: string) => cols[name] ?? null;

  it('picks the price, volume and sentiment columns by name', () => {
    const news = Float64Array.from([0, 0.5, 1]);
    const macro = Float64Array.from([1, 0, -1]);
    const c = candleColumnsFrom(getter({ ...table, volume: base.volume!, news_sentiment: news, macro_sentiment: macro }));
    expect(c.close).toBe(base.close);
    expect(c.volume).toBe(base.volume);
    expect(c.newsSentiment).toBe(news);
    expect(c.macroSentiment).toBe(macro);
    const plain = candleColumnsFrom(getter({ ...table, sentiment: news }));
    expect(plain.volume).toBeNull();
    expect(plain.newsSentiment).toBe(news);
    expect(plain.macroSentiment).toBeNull();
  });

  it('names the missing price column', () => {
    const noLow = Object.fromEntries(Object.entries(table).filter(([name]) => name !== 'low'));
    expect(() => candleColumnsFrom(getter(noLow))).toThrow(/no "low" column/);
  });
});

describe('marketFeaturesCached', () => {
  beforeEach(() => clearMarketFeatureCache());

  it('returns the same result for the same key and series, and recomputes for new data', () => {
    const a = candlesFromCloses(Array.from({ length: 30 }, (_, i) => 1 + i));
    const first = marketFeaturesCached('a', a);
    expect(marketFeaturesCached('a', a)).toBe(first);
    const changed = candlesFromCloses(Array.from({ length: 31 }, (_, i) => 1 + i));
    expect(marketFeaturesCached('a', changed)).not.toBe(first);
  });

  it('keeps the last four keys', () => {
    const series = candlesFromCloses(Array.from({ length: 30 }, (_, i) => 1 + i));
    const results = ['k0', 'k1', 'k2', 'k3'].map((k) => marketFeaturesCached(k, series));
    expect(marketFeaturesCached('k0', series)).toBe(results[0]); // k0 is now the most recent
    marketFeaturesCached('k4', series); // evicts k1, the least recent
    expect(marketFeaturesCached('k0', series)).toBe(results[0]);
    expect(marketFeaturesCached('k2', series)).toBe(results[2]);
    expect(marketFeaturesCached('k1', series)).not.toBe(results[1]);
  });
});
