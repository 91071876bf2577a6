// The funding-arbitrage environment's behaviour pinned bit for bit: on the bundled 2023 sample and
// on a synthetic market built to reach every branch (hours with fewer than ten opportunities, pairs
// missing in an hour, venues swapping sides, liquidations, stop-losses, the 64-trade cap, opens
// that do not fit), seeded random actions — masked, with some unmasked ones mixed in — step the
// environment, and a SHA-256 of every observation, reward, P&L, done, mask, portfolio and drained
// episode record (without its wall-clock timestamp) must equal the one in the fixture. A rewrite
// for speed keeps these hashes; a change of behaviour shows here first. The fixture was written by
// the code before the rewrite (FUNDING_GOLDEN_WRITE=1 writes it again: only for a meant change).
import { createHash, type Hash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { importBytes } from '../../src/core/data/importer';
import { datasetSource } from '../../src/core/env/candles';
import { fundingData, loadFundingData, type FundingData } from '../../src/core/env/fundingArbitrage/data';
import { FUNDING_PORTFOLIO, FundingArbitrageEnv, type FundingEnvOptions } from '../../src/core/env/fundingArbitrage/env';
import { randomAllowedActions } from '../../src/core/env/randomActions';
import { Rng } from '../../src/core/rng';

const FIXTURE = resolve(__dirname, '../fixtures/funding_golden.json');
const SAMPLE = resolve(__dirname, '../../public/samples/FUNDING_opportunities_2023.parquet');
const H = 3_600_000;

async function sample(): Promise<FundingData> {
  const imported = await importBytes(new Uint8Array(readFileSync(SAMPLE)), 'FUNDING_opportunities_2023.parquet');
  if (imported.status !== 'ready') throw new Error('sample did not import');
  return loadFundingData(datasetSource(imported.dataset));
}

/**
 * 3 symbols on 5 venues (settling every 8, 8, 1, 4 and 2 hours) over 3,000 hours, prices moving
 * 3 % an hour and each venue's apart from the others by `spread` (a fraction, drawn each hour):
 * each pair of venues is there in an hour with probability 0.85, and one hour in ten has only a
 * few rows; volumes are sometimes 0 or missing.
 */
function synthetic(spread: number, seed: number): FundingData {
  const rng = new Rng(seed);
  const HOURS = 3000, T0 = Date.UTC(2024, 2, 1, 5), intervals = [8, 8, 1, 4, 2];
  const symbols = ['AAA-USDT', 'BBB-USDT', 'CCC-USDT'], venues = ['v0', 'v1', 'v2', 'v3', 'v4'];
  const V = venues.length;
  const price = symbols.map((_, s) => 50 * (s + 1));
  const rate = symbols.map(() => intervals.map(() => 0.0001 * (rng.next() - 0.3)));
  const cols = { time: [] as number[], sym: [] as number[], lv: [] as number[], sv: [] as number[], lp: [] as number[], sp: [] as number[], lr: [] as number[], sr: [] as number[], li: [] as number[], si: [] as number[], ln: [] as number[], sn: [] as number[], apr: [] as number[], vol: [] as number[] };
  for (let h = 0; h < HOURS; h++) {
    const t = T0 + h * H;
    const sparse = rng.next() < 0.1;
    for (let s = 0; s < symbols.length; s++) {
      price[s] *= Math.exp(0.03 * rng.normal());
      for (let v = 0; v < V; v++) if (h % intervals[v] === 0) rate[s][v] += 0.0002 * rng.normal();
      const noise = venues.map(() => rng.normal());
      for (let a = 0; a < V; a++) {
        for (let b = a + 1; b < V; b++) {
          if (rng.next() > (sparse ? 0.08 : 0.85)) continue;
          const perHourA = rate[s][a] / intervals[a], perHourB = rate[s][b] / intervals[b];
          const [l, r] = perHourA <= perHourB ? [a, b] : [b, a];
          const basis = (v: number) => price[s] * (1 + 0.0005 * (v - 2)) * Math.exp(spread * noise[v]);
          cols.time.push(t); cols.sym.push(s); cols.lv.push(l); cols.sv.push(r);
          cols.lp.push(basis(l)); cols.sp.push(basis(r));
          cols.lr.push(rate[s][l]); cols.sr.push(rate[s][r]);
          cols.li.push(intervals[l]); cols.si.push(intervals[r]);
          cols.ln.push((Math.floor(t / (intervals[l] * H)) + 1) * intervals[l] * H);
          cols.sn.push((Math.floor(t / (intervals[r] * H)) + 1) * intervals[r] * H);
          cols.apr.push((rate[s][r] / intervals[r] - rate[s][l] / intervals[l]) * 8760 * 100);
          const u = rng.next();
          cols.vol.push(u < 0.05 ? 0 : u < 0.1 ? NaN : 1e6 * (1 + 100 * rng.next()));
        }
      }
    }
  }
  const f = (x: number[]) => Float64Array.from(x), i = (x: number[]) => Int32Array.from(x);
  return fundingData(f(cols.time), {
    symbols, venues, sym: i(cols.sym), longVenue: i(cols.lv), shortVenue: i(cols.sv), longPrice: f(cols.lp), shortPrice: f(cols.sp),
    longRate: f(cols.lr), shortRate: f(cols.sr), longInterval: f(cols.li), shortInterval: f(cols.si), longNext: f(cols.ln), shortNext: f(cols.sn),
    apr: f(cols.apr), volume: f(cols.vol),
  });
}

function bytes(h: Hash, a: Float32Array | Float64Array | Uint8Array | Int32Array): void {
  h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
}

/** JSON that tells −0 and NaN apart from 0 and null. */
const exact = (_k: string, v: unknown) => (typeof v === 'number' && (Object.is(v, -0) || Number.isNaN(v)) ? String(v === v ? '-0' : 'NaN') : v);

interface Scenario {
  data: 'sample' | 'synthetic' | 'wild';
  options: Omit<FundingEnvOptions, 'data' | 'segment'>;
  steps: number;
  /** Share of steps where each copy takes any action at all, allowed or not. */
  unmasked: number;
  /** Save, play on, restore into a new environment and continue from there, at this step. */
  restoreAt?: number;
  /** startAt(copy, row) at these steps. */
  starts?: { step: number; copy: number; row: number }[];
}

const SCENARIOS: Record<string, Scenario> = {
  'sample, sampled configs, 24 h, 8 copies': { data: 'sample', options: { numEnvs: 8, seed: 1, maxSteps: 24 }, steps: 3000, unmasked: 0 },
  'sample, fixed 5× config, 200 h, 1 copy, walking': { data: 'sample', options: { numEnvs: 1, seed: 2, maxSteps: 200, randomStart: false, configMode: 'fixed', config: { max_leverage: 5, target_utilization: 0.8, max_positions: 5, liquidation_buffer: 0.1, stop_loss: 0.03 } }, steps: 3000, unmasked: 0.05 },
  'sample, moderate, 72 h, 8 copies, restored and restarted': { data: 'sample', options: { numEnvs: 8, seed: 3, maxSteps: 72, configMode: 'moderate' }, steps: 2000, unmasked: 0.1, restoreAt: 777, starts: [{ step: 300, copy: 3, row: 4000 }, { step: 1200, copy: 0, row: 8700 }] },
  'synthetic, sampled configs, 24 h, 8 copies': { data: 'synthetic', options: { numEnvs: 8, seed: 4, maxSteps: 24 }, steps: 3000, unmasked: 0.1 },
  'synthetic, aggressive, 600 h, 8 copies (the trade cap)': { data: 'synthetic', options: { numEnvs: 8, seed: 5, maxSteps: 600, configMode: 'aggressive', config: { liquidation_buffer: 0.2, stop_loss: 0.2 } }, steps: 2500, unmasked: 0 },
  'synthetic, fixed 10× config, 7 h, 1 copy, walking': { data: 'synthetic', options: { numEnvs: 1, seed: 6, maxSteps: 7, randomStart: false, configMode: 'fixed', config: { max_leverage: 10, target_utilization: 1, max_positions: 4, liquidation_buffer: 0.3, stop_loss: 0.5 } }, steps: 3000, unmasked: 0.2 },
  'wild spreads, fixed 10× config, 300 h, 8 copies': { data: 'wild', options: { numEnvs: 8, seed: 8, maxSteps: 300, configMode: 'fixed', config: { max_leverage: 10, target_utilization: 1, max_positions: 5, liquidation_buffer: 0.5, stop_loss: 1 } }, steps: 2000, unmasked: 0.05 },
  'synthetic, small balance, other costs, 48 h, 8 copies': { data: 'synthetic', options: { numEnvs: 8, seed: 7, maxSteps: 48, startingBalance: 120, fee: 0.001, slippage: 0.0007, maintenanceMargin: 0.02, minNotional: 5, configMode: 'conservative' }, steps: 2500, unmasked: 0.05, restoreAt: 1300 },
};

function play(data: FundingData, sc: Scenario): string {
  const segment = { start: 1, end: data.rows };
  let env = new FundingArbitrageEnv({ data, segment, ...sc.options });
  const n = env.numEnvs, A = env.numActions;
  const h = createHash('sha256');
  const rng = new Rng(1000 + sc.options.seed), other = new Rng(2000 + sc.options.seed);
  const actions = new Int32Array(n);
  const portfolio = new Float64Array(FUNDING_PORTFOLIO.length);
  const record = () => {
    bytes(h, env.obs); bytes(h, env.masks);
    for (let i = 0; i < n; i++) {
      env.portfolioOf(i, portfolio);
      bytes(h, portfolio);
      h.update(`${env.currentRow(i)} ${JSON.stringify(env.configOf(i), exact)}`);
    }
  };
  record();
  let episodes = 0;
  for (let t = 0; t < sc.steps; t++) {
    if (t === sc.restoreAt) {
      const saved = JSON.parse(JSON.stringify(env.getState()));
      for (let k = 0; k < 5; k++) env.step(randomAllowedActions(env.masks, n, A, other, actions));
      env = new FundingArbitrageEnv({ data, segment, ...sc.options, seed: 99 });
      env.setState(saved);
    }
    for (const s of sc.starts ?? []) if (s.step === t) env.startAt(s.copy, s.row);
    randomAllowedActions(env.masks, n, A, rng, actions);
    for (let i = 0; i < n; i++) if (other.next() < sc.unmasked) actions[i] = other.int(A);
    bytes(h, actions);
    env.step(actions);
    bytes(h, env.rewards); bytes(h, env.pnl); bytes(h, env.dones);
    record();
    for (const e of env.drainEpisodes()) {
      const { timestamp, ...rest } = e;
      expect(timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
      h.update(JSON.stringify(rest, exact));
      episodes++;
    }
  }
  return `${episodes} episodes, sha256 ${h.digest('hex')}`;
}

describe('funding-arbitrage environment, bit for bit as pinned', () => {
  const data: Partial<Record<Scenario['data'], FundingData>> = {};
  const expected: Record<string, string> = existsSync(FIXTURE) ? JSON.parse(readFileSync(FIXTURE, 'utf8')) : {};
  const got: Record<string, string> = {};
  beforeAll(async () => {
    data.sample = await sample();
    data.synthetic = synthetic(0.006, 4242);
    data.wild = synthetic(0.1, 77);
  }, 60_000);

  it.each(Object.keys(SCENARIOS))('%s', (name) => {
    got[name] = play(data[SCENARIOS[name].data]!, SCENARIOS[name]);
    if (process.env.FUNDING_GOLDEN_WRITE) {
      writeFileSync(FIXTURE, JSON.stringify({ ...expected, ...got }, null, 2) + '\n');
      return;
    }
    expect(got[name]).toBe(expected[name]);
  }, 120_000);
});

/** The plain loop randomAllowedActions reads four masks at a time where it can. */
function referenceActions(masks: Uint8Array, n: number, numActions: number, rng: Rng, out: Int32Array): Int32Array {
  for (let i = 0; i < n; i++) {
    const row = i * numActions;
    let allowed = 0;
    for (let a = 0; a < numActions; a++) allowed += masks[row + a];
    let k = rng.int(allowed);
    for (let a = 0; a < numActions; a++) if (masks[row + a] && k-- === 0) { out[i] = a; break; }
  }
  return out;
}

describe('random masked actions', () => {
  it('draws what the plain loop draws: any action count, masks not on a word boundary, bytes other than 0 and 1, rows with nothing allowed', () => {
    const shapes = [[64, 36], [7, 36], [5, 3], [9, 8], [3, 4], [1, 36]] as const;
    const gen = new Rng(31);
    for (const [n, A] of shapes) {
      for (const offset of [0, 1, 4]) {
        for (const kind of ['binary', 'sparse', 'odd bytes', 'none'] as const) {
          const masks = new Uint8Array(offset + n * A).subarray(offset);
          for (let x = 0; x < masks.length; x++) {
            const u = gen.next();
            masks[x] = kind === 'none' ? 0 : kind === 'sparse' ? (u < 0.1 ? 1 : 0) : kind === 'odd bytes' && u < 0.05 ? 2 + gen.int(3) : u < 0.5 ? 1 : 0;
          }
          const a = new Rng(5), b = new Rng(5);
          const got = new Int32Array(n).fill(-1), want = new Int32Array(n).fill(-1);
          for (let round = 0; round < 20; round++) {
            randomAllowedActions(masks, n, A, a, got);
            referenceActions(masks, n, A, b, want);
            expect(Array.from(got), `${n} × ${A}, offset ${offset}, ${kind}, round ${round}`).toEqual(Array.from(want));
          }
          expect(a.getState()).toEqual(b.getState());
        }
      }
    }
  });
});
