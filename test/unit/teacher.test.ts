// The teacher ensemble of behavior cloning and its offline datasets: analyst votes on hand-made
// feature rows, the confidence-weighted majority, determinism, action counts, portfolio slots that
// match what PositionEnv shows, the .npz round trip, and the teacher's own backtest.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { importBytes } from '../../src/core/data/importer';
import { parseOfflineNpz } from '../../src/core/data/npz';
import { PositionEnv } from '../../src/core/env/position';
import { splitByTime } from '../../src/core/env/types';
import { SLOT, STATE_SIZE, type CandleColumns, type MarketFeatures } from '../../src/core/features/layout';
import { candleColumnsOfDataset, computeMarketFeatures } from '../../src/core/features/market';
import { backtestPolicy } from '../../src/core/env/position';
import {
  BUY, HOLD, SELL, TEACHER_RULES, generateOfflineDataset, momentumAnalyst, offlineDatasetNpz, riskAnalyst,
  teacherDecision, teacherPolicy, technicalAnalyst,
} from '../../src/core/offline/teacher';

const GOOGL = resolve(__dirname, '../../public/samples/STOCKS_GOOGL.csv');

let candles: CandleColumns;
let features: MarketFeatures;

beforeAll(async () => {
  const imported = await importBytes(new Uint8Array(readFileSync(GOOGL)), 'STOCKS_GOOGL.csv');
  if (imported.status !== 'ready') throw new Error('GOOGL did not import');
  const ds = imported.dataset;
  candles = candleColumnsOfDataset(ds);
  features = computeMarketFeatures(candles);
});

/** One feature row (a 1-row values array) with the given market slots; returns alternate ±noise unless given. */
function row(opts: { returns?: number[]; rsi?: number; macd?: number; width?: number; regime?: 0 | 1 | 2; health?: number }): Float32Array {
  const v = new Float32Array(STATE_SIZE);
  const returns = opts.returns ?? Array.from({ length: 20 }, (_, k) => (k % 2 ? 0.01 : -0.01));
  returns.forEach((r, k) => { v[SLOT.returns + k] = r; });
  v[SLOT.rsi] = opts.rsi ?? 0.5;
  v[SLOT.macdSignal] = opts.macd ?? 0;
  v[SLOT.bollingerWidth] = opts.width ?? 0.08; // 8 × the 0.01 volatility of the default returns: neither tight nor stretched
  v[SLOT.regime + (opts.regime ?? 1)] = 1;
  v[SLOT.dataHealth] = opts.health ?? 1;
  return v;
}

describe('teacher analysts', () => {
  it('technical analyst: RSI extremes and the MACD sign vote, Bollinger width scales the confidence', () => {
    expect(technicalAnalyst(row({ rsi: 0.2, macd: 0.001, width: 0.01 }), 0)).toEqual({ action: BUY, confidence: 1 }); // tight bands
    expect(technicalAnalyst(row({ rsi: 0.8, macd: -0.001 }), 0)).toEqual({ action: SELL, confidence: 0.75 });
    expect(technicalAnalyst(row({ rsi: 0.5, macd: -0.001, width: 0.5 }), 0)).toEqual({ action: SELL, confidence: 0.25 }); // one vote, stretched bands
    // RSI says buy, MACD says sell: no opinion
    expect(technicalAnalyst(row({ rsi: 0.2, macd: -0.001 }), 0)).toEqual({ action: HOLD, confidence: TEACHER_RULES.neutralConfidence });
  });

  it('risk analyst: HOLD with full confidence in high volatility or on poor data, else the 20-bar trend', () => {
    const up = Array.from({ length: 20 }, () => 0.01);
    const down = Array.from({ length: 20 }, () => -0.01);
    expect(riskAnalyst(row({ returns: up, regime: 2 }), 0)).toEqual({ action: HOLD, confidence: 1 });
    expect(riskAnalyst(row({ returns: up, health: 0.5 }), 0)).toEqual({ action: HOLD, confidence: 1 });
    expect(riskAnalyst(row({ returns: up, regime: 0 }), 0)).toEqual({ action: BUY, confidence: TEACHER_RULES.trendConfidenceLowVol });
    expect(riskAnalyst(row({ returns: down, regime: 1 }), 0)).toEqual({ action: SELL, confidence: TEACHER_RULES.trendConfidenceNormal });
  });

  it('momentum analyst: the last five returns against the noise', () => {
    const noise = Array.from({ length: 20 }, (_, k) => (k % 2 ? 0.01 : -0.01));
    const rally = [...noise.slice(0, 15), 0.02, 0.02, 0.02, 0.02, 0.02];
    const slump = rally.map((r, k) => (k >= 15 ? -r : r));
    const up = momentumAnalyst(row({ returns: rally }), 0);
    expect(up.action).toBe(BUY);
    expect(up.confidence).toBeGreaterThan(0.5);
    expect(momentumAnalyst(row({ returns: slump }), 0)).toEqual({ action: SELL, confidence: up.confidence });
    expect(momentumAnalyst(row({ returns: noise }), 0)).toEqual({ action: HOLD, confidence: TEACHER_RULES.neutralConfidence });
  });

  it('the ensemble takes the confidence-weighted majority; strength is the winner\'s share', () => {
    const noise = Array.from({ length: 20 }, (_, k) => (k % 2 ? 0.01 : -0.01));
    const rally = [...noise.slice(0, 15), 0.02, 0.02, 0.02, 0.02, 0.02];
    // technical BUY (1), risk HOLD (1, high volatility), momentum BUY: BUY wins
    const values = row({ returns: rally, rsi: 0.2, macd: 0.001, width: 0.01, regime: 2 });
    const d = teacherDecision(values, 0);
    const m = d.votes.momentum.confidence;
    expect(d.votes.technical).toEqual({ action: BUY, confidence: 1 });
    expect(d.votes.risk).toEqual({ action: HOLD, confidence: 1 });
    expect(d.action).toBe(BUY);
    expect(d.strength).toBeCloseTo((1 + m) / (2 + m), 6);
    // weights change the outcome: a heavier risk analyst holds
    expect(teacherDecision(values, 0, { technical: 1, risk: 3, momentum: 1 }).action).toBe(HOLD);
    // an exact tie goes to HOLD: technical BUY 1 against the risk veto 1 (momentum not counted)
    const tie = teacherDecision(row({ rsi: 0.2, macd: 0.001, width: 0.01, regime: 2 }), 0, { technical: 1, risk: 1, momentum: 0 });
    expect(tie.votes.technical).toEqual({ action: BUY, confidence: 1 });
    expect(tie.action).toBe(HOLD);
    expect(tie.strength).toBe(0.5);
    // all three see nothing: HOLD with the whole vote
    expect(teacherDecision(row({}), 0)).toMatchObject({ action: HOLD, strength: 1 });
  });
});

describe('generateOfflineDataset', () => {
  it('is deterministic, counts its actions, and covers rows start .. end-2', () => {
    const a = generateOfflineDataset(features, candles);
    const b = generateOfflineDataset(features, candles);
    expect(a.states).toEqual(b.states);
    expect(a.actions).toEqual(b.actions);
    expect(a.strengths).toEqual(b.strengths);
    const n = features.rows - 1 - features.firstValidRow;
    expect(a.actions.length).toBe(n);
    expect(a.states.length).toBe(n * STATE_SIZE);
    expect(a.rows[0]).toBe(features.firstValidRow);
    expect(a.rows[n - 1]).toBe(features.rows - 2);
    const counts = [0, 0, 0];
    for (const x of a.actions) counts[x]++;
    expect(a.actionCounts).toEqual(counts);
    expect(a.actionCounts.reduce((x, y) => x + y, 0)).toBe(n);
    // every action occurs, and no class is trivially dominant on real data
    for (const c of a.actionCounts) expect(c / n).toBeGreaterThan(0.1);
    for (const s of a.strengths) expect(s > 0 && s <= 1).toBe(true);
    // the market slots are the features' own; each decision is the teacher's at that row
    for (const i of [0, 100, n - 1]) {
      const r = a.rows[i];
      expect(a.states[i * STATE_SIZE + SLOT.rsi]).toBe(features.values[r * STATE_SIZE + SLOT.rsi]);
      const d = teacherDecision(features.values, r);
      expect(a.actions[i]).toBe(d.action);
      expect(a.strengths[i]).toBe(Math.fround(d.strength));
    }
    // a sub-range gives the same samples as the whole walk's rows there, market-wise
    const part = generateOfflineDataset(features, candles, { start: 500, end: 800 });
    expect(part.rows[0]).toBe(500);
    expect(part.actions.length).toBe(299);
    expect(part.actions).toEqual(a.actions.subarray(500 - features.firstValidRow, 799 - features.firstValidRow));
  });

  for (const opts of [{}, { maxLeverage: 2, allowShort: false }] as const) {
    it(`fills the portfolio slots exactly as PositionEnv shows them after the same actions ${JSON.stringify(opts)}`, () => {
      const ds = generateOfflineDataset(features, candles, opts);
      const n = ds.actions.length;
      const env = new PositionEnv({
        features, candles, segment: { start: features.firstValidRow, end: features.rows }, numEnvs: 1, seed: 3,
        randomStart: false, maxSteps: features.rows, leverage: opts.maxLeverage ?? 1, allowShort: opts.allowShort ?? true,
      });
      env.reset();
      const action = new Int32Array(1);
      for (let i = 0; i < n; i++) {
        expect(Array.from(ds.states.subarray(i * STATE_SIZE, (i + 1) * STATE_SIZE)), `sample ${i}`).toEqual(Array.from(env.obs));
        action[0] = ds.actions[i];
        env.step(action);
      }
      expect(env.dones[0]).toBe(1); // the walk ended exactly where the environment's episode does
      // and directly: the position slot follows the previous actions
      let position = 0;
      for (let i = 0; i < n; i++) {
        expect(ds.states[i * STATE_SIZE + SLOT.position]).toBe(position);
        const a = ds.actions[i];
        if (a === BUY) position = 1;
        else if (a === SELL) position = opts.allowShort === false ? 0 : -1;
      }
    });
  }

  it('round-trips through writeNpz / parseOfflineNpz', () => {
    const ds = generateOfflineDataset(features, candles, { start: 300, end: 700 });
    const table = parseOfflineNpz(offlineDatasetNpz(ds), 'teacher.npz');
    expect(table.rowCount).toBe(ds.actions.length);
    expect(table.names).toEqual(['states', 'actions', 'strengths']);
    const [states, actions, strengths] = table.columns;
    if (states.type !== 'matrix' || actions.type !== 'number' || strengths.type !== 'number') throw new Error('unexpected column types');
    expect(states.width).toBe(STATE_SIZE);
    expect(states.values).toEqual(ds.states);
    expect(Array.from(actions.values)).toEqual(Array.from(ds.actions));
    expect(Float32Array.from(strengths.values)).toEqual(ds.strengths);
  });

  it('backtests the teacher on the held-out segment with its own actions', async () => {
    const split = splitByTime(features.rows, features.firstValidRow, 0.2);
    const result = await backtestPolicy(features, candles, split.eval, teacherPolicy(features));
    const own = generateOfflineDataset(features, candles, { start: split.eval.start, end: split.eval.end });
    expect(result.steps).toBe(own.actions.length);
    expect(result.action_counts).toEqual({ hold: own.actionCounts[0], buy: own.actionCounts[1], sell: own.actionCounts[2] });
    for (const key of ['return_pct', 'sharpe', 'max_drawdown', 'win_rate', 'buy_and_hold_return_pct'] as const) expect(Number.isFinite(result[key]), key).toBe(true);
    // bought at the next bar's open, sold at the last close, fee (0.1 %) and slippage (2 bps) both ways
    const { open, close } = candles, c = 0.001 + 0.0002;
    expect(result.buy_and_hold_return_pct).toBeCloseTo(((1 - c) * (close[split.eval.end - 1] / open[split.eval.start + 1]) * (1 - c) - 1) * 100, 6);
  });
});
