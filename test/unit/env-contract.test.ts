// The contract every registered environment keeps, checked over the registry: a new environment
// module is held to it without a test of its own. Same seed, same episodes; a state saved and
// restored continues exactly; observations and masks have their declared shapes and a mask never
// forbids everything; a copy started at a row is there; a step allocates nothing.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { PerformanceObserver } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { importBytes } from '../../src/core/data/importer';
import { candleData, datasetSource } from '../../src/core/env/candles';
import { buildDataset } from '../../src/core/data/dataset';
import { loadFundingData } from '../../src/core/env/fundingArbitrage/data';
import type { FundingHistory } from '../../src/core/funding/history';
import { buildOpportunities, OPPORTUNITY_MAPPING, type PriceCandles } from '../../src/core/funding/opportunities';
import { ENVIRONMENTS } from '../../src/core/env/registry';
import type { EnvData, EnvSpec } from '../../src/core/env/spec';
import { splitByTime, type VecEnv } from '../../src/core/env/types';
import type { CandleColumns } from '../../src/core/features/layout';
import { candleColumnsOfDataset, computeMarketFeatures } from '../../src/core/features/market';
import { Rng } from '../../src/core/rng';
import { randomAllowedActions } from '../../src/core/env/randomActions';
import { defaultsOf } from '../../src/core/settings';

async function sampleCandles(): Promise<CandleColumns> {
  const imported = await importBytes(new Uint8Array(readFileSync(resolve(__dirname, '../../public/samples/ETH_BTC-5m.parquet'))), 'ETH_BTC-5m.parquet');
  if (imported.status !== 'ready') throw new Error('sample did not import');
  return candleColumnsOfDataset(imported.dataset);
}

/**
 * Data of each kind an environment can step over: a new kind needs its maker here. With `after`,
 * the same data with every bar after that one changed (another future), its features computed again.
 */
const DATA: Record<string, (after?: number) => Promise<EnvData>> = {
  candles: async (after) => {
    const candles = await sampleCandles();
    if (after !== undefined) {
      const rng = new Rng(77);
      let k = 1;
      for (let r = after + 1; r < candles.close.length; r++) {
        k *= Math.exp(0.01 * rng.normal()); // the same shape of bars, another path of prices
        candles.open[r] *= k; candles.high[r] *= k; candles.low[r] *= k; candles.close[r] *= k;
        if (candles.volume) candles.volume[r] *= 1 + rng.next();
      }
    }
    return candleData(candles, computeMarketFeatures(candles));
  },
};

/**
 * Opportunities of 2 symbols on 4 venues (settling every 8, 8, 1 and 4 hours) over 2,500 hours,
 * built as `npm run opportunities` builds them; with `after`, every rate settled and every price
 * after that hour is another.
 */
async function syntheticOpportunities(after?: number): Promise<EnvData> {
  const H = 3_600_000, T0 = Date.UTC(2024, 0, 1), HOURS = 2500;
  const venues = [['a', 8], ['b', 8], ['c', 1], ['d', 4]] as const;
  const histories: FundingHistory[] = [];
  const prices = new Map<string, PriceCandles>();
  for (const [k, symbol] of ['BTC-USDT', 'ETH-USDT'].entries()) {
    const rng = new Rng(100 + k), future = new Rng(900 + k);
    const time = Float64Array.from({ length: HOURS }, (_, h) => T0 + h * H);
    const open = new Float64Array(HOURS), close = new Float64Array(HOURS);
    let p = 100 * (k + 1);
    for (let h = 0; h < HOURS; h++) {
      open[h] = p;
      // the same draws either way, so only what comes after `after` differs
      const z = rng.normal(), w = future.normal();
      p *= Math.exp(0.01 * (after !== undefined && h > after ? w : z));
      close[h] = p;
    }
    prices.set(symbol, { time, open, close, volume: new Float64Array(HOURS).fill(5), source: symbol });
    for (const [v, interval] of venues) {
      const times: number[] = [], rates: number[] = [];
      let r = 0.0001;
      for (let h = 0; h < HOURS; h += interval) {
        const z = rng.normal(), w = future.normal();
        r += 0.00005 * (after !== undefined && h > after ? w : z);
        times.push(T0 + h * H); rates.push(r);
      }
      histories.push({ venue: v, symbol, times: Float64Array.from(times), rates: Float64Array.from(rates), intervalHours: interval, intervalFrom: 'spacing', source: v });
    }
  }
  const { table } = buildOpportunities(histories, prices);
  const dataset = buildDataset(table, OPPORTUNITY_MAPPING, { fileName: 'synthetic.csv', format: 'csv', size: 0, sha256: '' });
  return loadFundingData(datasetSource(dataset));
}
DATA.funding = syntheticOpportunities;

const COPIES = 4;
const MAX_STEPS = 40;

async function setUp(spec: EnvSpec) {
  const kind = spec.datasetKinds.find((k) => DATA[k]);
  if (!kind) throw new Error(`no test data of kind ${spec.datasetKinds.join(' / ')} for ${spec.id}: add a maker to DATA`);
  const data = await DATA[kind]();
  const { train } = splitByTime(data.rows, data.firstValidRow, 0.2);
  const make = (seed: number, maxSteps = MAX_STEPS, copies = COPIES) => spec.create(data, { settings: defaultsOf(spec.settings), segment: train, copies, seed, randomStart: true, maxSteps });
  return { data, train, make };
}

/** Random allowed actions, the same for the same seed. */
function actionsFor(env: VecEnv, rng: Rng, out: Int32Array): Int32Array {
  return randomAllowedActions(env.masks, env.numEnvs, env.numActions, rng, out);
}

/** What steps give, episode records without their wall-clock timestamp. */
function play(env: VecEnv, steps: number, seed: number) {
  const rng = new Rng(seed);
  const actions = new Int32Array(env.numEnvs);
  const obs: number[] = [], rewards: number[] = [], dones: number[] = [], episodes: unknown[] = [];
  for (let t = 0; t < steps; t++) {
    env.step(actionsFor(env, rng, actions));
    obs.push(...env.obs);
    rewards.push(...env.rewards);
    dones.push(...env.dones);
    episodes.push(...env.drainEpisodes().map((e) => ({ ...(e as Record<string, unknown>), timestamp: undefined })));
  }
  return { obs, rewards, dones, episodes };
}

describe.each(ENVIRONMENTS.map((e) => [e.id, e] as const))('environment %s keeps the contract', (_id, spec) => {
  it('gives the same episodes for the same seed, and other ones for another seed', async () => {
    const { make } = await setUp(spec);
    const a = play(make(3), 200, 9), b = play(make(3), 200, 9), c = play(make(4), 200, 9);
    expect(b).toEqual(a);
    expect(a.episodes.length).toBeGreaterThan(0);
    expect(c.obs).not.toEqual(a.obs);
  });

  it('continues exactly from a saved state (getState, JSON, setState)', async () => {
    const { make } = await setUp(spec);
    const env = make(5);
    play(env, 57, 1);
    const saved = JSON.parse(JSON.stringify(env.getState()));
    const after = play(env, 120, 2);
    const other = make(6);
    other.setState(saved);
    expect(play(other, 120, 2)).toEqual(after);
  });

  it('has observations and masks of its declared shapes, and never forbids every action', async () => {
    const { make } = await setUp(spec);
    const env = make(7);
    expect([env.obsSize, env.numActions, env.actionNames]).toEqual([spec.obsSize, spec.actionNames.length, spec.actionNames]);
    expect(env.obs.length).toBe(COPIES * spec.obsSize);
    expect(env.masks.length).toBe(COPIES * spec.actionNames.length);
    // every slot named once (model cards and ONNX metadata list the inputs by these names)
    expect(spec.observationNames?.length).toBe(spec.obsSize);
    expect(new Set(spec.observationNames).size).toBe(spec.obsSize);
    const rng = new Rng(3);
    const actions = new Int32Array(COPIES);
    for (let t = 0; t < 300; t++) {
      for (let i = 0; i < COPIES; i++) {
        let allowed = 0;
        for (let a = 0; a < env.numActions; a++) allowed += env.masks[i * env.numActions + a];
        expect(allowed, `copy ${i} at step ${t}`).toBeGreaterThan(0);
      }
      expect(env.obs.every(Number.isFinite)).toBe(true);
      env.step(actionsFor(env, rng, actions));
      env.drainEpisodes();
    }
  });

  it('starts a copy at the row it is given, leaving the others where they are', async () => {
    const { make, train } = await setUp(spec);
    const env = make(8);
    play(env, 5, 1);
    const before = [0, 2, 3].map((i) => env.currentRow(i));
    const row = train.start + Math.floor((train.end - train.start) / 2);
    env.startAt(1, row);
    expect(env.currentRow(1)).toBe(row);
    expect([0, 2, 3].map((i) => env.currentRow(i))).toEqual(before);
    // the copy's observation is that of a new episode at the row: the same as another copy started there
    const twin = make(9);
    twin.startAt(0, row);
    expect(Array.from(env.obs.subarray(spec.obsSize, 2 * spec.obsSize))).toEqual(Array.from(twin.obs.subarray(0, spec.obsSize)));
    expect(() => env.startAt(1, train.end)).toThrow(/outside/);
    expect(() => env.startAt(COPIES, row)).toThrow(/copy/);
  });

  it('sees nothing after the bar it is at: another future after bar T changes no observation, mask, reward or P&L up to T', async () => {
    const { data, train } = await setUp(spec);
    const kind = spec.datasetKinds.find((k) => DATA[k])!;
    const T = train.start + Math.floor((train.end - train.start) * 0.6);
    const other = await DATA[kind](T);
    const make = (d: EnvData) => spec.create(d, { settings: defaultsOf(spec.settings), segment: train, copies: 4, seed: 11, randomStart: true, maxSteps: 100_000 });
    const a = make(data), b = make(other);
    const starts = [T - 300, T - 150, T - 60, T - 5];
    starts.forEach((row, i) => { a.startAt(i, row); b.startAt(i, row); });
    const copy = (env: VecEnv, i: number) => ({
      obs: Array.from(env.obs.subarray(i * env.obsSize, (i + 1) * env.obsSize)),
      masks: Array.from(env.masks.subarray(i * env.numActions, (i + 1) * env.numActions)),
      reward: env.rewards[i], pnl: env.pnl[i], row: env.currentRow(i),
    });
    const rng = new Rng(5);
    const actions = new Int32Array(4);
    let compared = 0, differsAfter = false;
    for (let step = 0; step < 360; step++) {
      for (let i = 0; i < 4; i++) {
        const x = copy(a, i), y = copy(b, i);
        if (x.row <= T) { expect(y, `copy ${i} at bar ${x.row} (step ${step})`).toEqual(x); compared++; }
        else if (JSON.stringify(x.obs) !== JSON.stringify(y.obs)) differsAfter = true;
      }
      actionsFor(a, rng, actions); // the same actions for both: the masks agree up to T
      a.step(actions);
      b.step(actions);
      a.drainEpisodes(); b.drainEpisodes();
    }
    expect(compared).toBeGreaterThan(500);
    expect(differsAfter).toBe(true); // the other future is seen once it comes
  });

  it('allocates nothing per step', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const { make, train } = await setUp(spec);
    // episodes longer than the segment run from where they start to its end; a window of fewer
    // steps than that ends none (an ending episode's record is the one allocation allowed)
    const env = make(10, 100_000, 8);
    const actions = Array.from({ length: 64 }, (_, k) => Int32Array.from({ length: 8 }, (__, i) => (k + i) % env.numActions));
    const window = async () => {
      for (let i = 0; i < 8; i++) env.startAt(i, train.start);
      let collections = 0;
      const observer = new PerformanceObserver((list) => { collections += list.getEntries().length; });
      observer.observe({ entryTypes: ['gc'] });
      gc();
      await new Promise((r) => setTimeout(r, 0));
      collections = 0;
      const heapBefore = process.memoryUsage().heapUsed;
      for (let t = 0; t < 1_500; t++) env.step(actions[t & 63]);
      const grown = process.memoryUsage().heapUsed - heapBefore;
      await new Promise((r) => setTimeout(r, 0));
      observer.disconnect();
      expect(env.drainEpisodes()).toEqual([]);
      return { collections, grown };
    };
    await window(); // warm up: the step loop is compiled
    // 1,500 steps of 8 copies: the smallest object per copy-step would show as 190 kB (or as
    // collections) in every window; the compiler installing optimized code can show in one
    // on a loaded machine the optimizing compiler (on its own thread) can take several windows
    // to install the step's code, so up to eight are tried; one clean window is the steady state
    const windows: { collections: number; grown: number }[] = [];
    const clean = (w: { collections: number; grown: number }) => w.collections === 0 && w.grown < 32 * 1024;
    while (windows.length < 8 && !windows.some(clean)) windows.push(await window());
    expect(windows.some(clean), JSON.stringify(windows)).toBe(true);
  });
});
