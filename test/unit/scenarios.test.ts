// The scenario generator (seed 003): seeded bars that are valid candles with their scenario label,
// each scenario doing what its name promises, the pieces (GARCH clustering, jumps, the volume
// profile, the Markov chain), calibration recovering known parameters, the synthetic dataset and
// its teacher dataset in the store, and `npm run scenarios` writing files the importer reads back.
import 'fake-indexeddb/auto';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { columnStats } from '../../src/core/data/dataset';
import { importBytes } from '../../src/core/data/importer';
import { calibrate } from '../../src/core/scenarios/calibrate';
import { parseScenarioList, SCENARIO_NAMES, SCENARIOS, type ScenarioName } from '../../src/core/scenarios/catalogue';
import { scenarioDataset } from '../../src/core/scenarios/dataset';
import { generateScenarios, simulateBaseMarket, type GeneratedScenarios } from '../../src/core/scenarios/generate';
import { defaultMarket, rescaleMarket, type MarketParams } from '../../src/core/scenarios/market';
import { scenarioCsvChunks } from '../../src/core/scenarios/write';
import { generateScenarioDataset } from '../../src/services/scenarioData';
import { openLabDb } from '../../src/store/db';
import { listDatasets, loadColumn } from '../../src/store/datasets';

const ROOT = resolve(__dirname, '../..');
const FIVE_MINUTES = 300_000;
const market = (): MarketParams => defaultMarket(FIVE_MINUTES);
const sigma = market().volatility;
const one = (scenario: ScenarioName, seed: number, m = market()) => generateScenarios({ scenarios: [scenario], mix: false, bars: SCENARIOS[scenario].meanBars, seed, market: m });
const seeds = (n: number) => Array.from({ length: n }, (_, k) => k + 1);
const logReturns = (close: Float64Array, from = 1, to = close.length) => Array.from({ length: to - from }, (_, k) => Math.log(close[from + k] / close[from + k - 1]));
const std = (xs: number[]) => { const m = xs.reduce((a, b) => a + b, 0) / xs.length; return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length); };
const csvOf = (g: GeneratedScenarios) => [...scenarioCsvChunks(g)].join('');
const eventBar = (g: GeneratedScenarios, name: string) => g.segments[0].events.find((e) => e.name === name)!.bar;

describe('scenario bars', () => {
  const all = generateScenarios({ scenarios: [...SCENARIO_NAMES], mix: true, bars: 60_000, seed: 11, market: market() });

  it('are the same for the same seed, byte for byte, and differ for another', () => {
    const again = generateScenarios({ scenarios: [...SCENARIO_NAMES], mix: true, bars: 60_000, seed: 11, market: market() });
    expect(csvOf(again)).toBe(csvOf(all));
    const other = generateScenarios({ scenarios: [...SCENARIO_NAMES], mix: true, bars: 60_000, seed: 12, market: market() });
    expect(csvOf(other)).not.toBe(csvOf(all));
  });

  it('are valid candles: positive, low ≤ open, close ≤ high, volume ≥ 0, one interval apart', () => {
    for (let i = 0; i < all.time.length; i++) {
      const [o, h, l, c, v] = [all.open[i], all.high[i], all.low[i], all.close[i], all.volume[i]];
      if (!(l > 0 && l <= Math.min(o, c) && h >= Math.max(o, c) && v >= 0 && Number.isFinite(h + v))) throw new Error(`bar ${i}: ${o} ${h} ${l} ${c} ${v}`);
      if (i > 0 && all.time[i] - all.time[i - 1] !== FIVE_MINUTES) throw new Error(`bar ${i} is not 5 minutes after the last`);
    }
  });

  it('carry their scenario: every chosen one is there, counted, and labels follow the segments', () => {
    expect(all.labels).toEqual([...SCENARIO_NAMES]);
    expect(Object.values(all.counts).reduce((a, b) => a + b, 0)).toBe(60_000);
    for (const s of SCENARIO_NAMES) expect(all.counts[s]).toBeGreaterThan(1000);
    for (const seg of all.segments) {
      expect(all.labels[all.label[seg.start]]).toBe(seg.scenario);
      expect(all.labels[all.label[seg.start + seg.length - 1]]).toBe(seg.scenario);
    }
  });

  it('take turns in order, each its recipe length, unless mixed', () => {
    const turns = generateScenarios({ scenarios: ['range', 'gap_up'], mix: false, bars: 1000, seed: 3, market: market() });
    expect(turns.segments.map((s) => [s.scenario, s.length])).toEqual([['range', 288], ['gap_up', 144], ['range', 288], ['gap_up', 144], ['range', 136]]);
  });

  it('switch as a Markov chain when mixed: never to itself by default, visits at least the minimum long, a given matrix obeyed', () => {
    for (let k = 1; k < all.segments.length; k++) expect(all.segments[k].scenario).not.toBe(all.segments[k - 1].scenario);
    for (const seg of all.segments.slice(0, -1)) expect(seg.length).toBeGreaterThanOrEqual(SCENARIOS[seg.scenario as ScenarioName].minBars);
    // a cycle uptrend → range → downtrend → uptrend
    const cycle = generateScenarios({ scenarios: ['uptrend', 'downtrend', 'range'], mix: true, bars: 20_000, seed: 5, market: market(), transitions: [[0, 0, 1], [1, 0, 0], [0, 1, 0]] });
    const next: Record<string, string> = { uptrend: 'range', range: 'downtrend', downtrend: 'uptrend' };
    for (let k = 1; k < cycle.segments.length; k++) expect(cycle.segments[k].scenario).toBe(next[cycle.segments[k - 1].scenario]);
  });

  it('refuse what cannot be made, saying why', () => {
    expect(() => generateScenarios({ scenarios: ['range'], mix: false, bars: 0, seed: 1, market: market() })).toThrow(/bars must be a whole number/);
    expect(() => generateScenarios({ scenarios: ['range'], mix: false, bars: 10, seed: 0, market: market() })).toThrow(/seed/);
    expect(() => generateScenarios({ scenarios: ['range'], mix: false, bars: 10, seed: 1, market: { ...market(), garch: { alpha: 0.5, beta: 0.6 } } })).toThrow(/alpha \+ beta < 1/);
    expect(() => parseScenarioList('trend,moon')).toThrow(/unknown scenario "moon"/);
  });

  it('accept short names: trend, gap, shock, mix', () => {
    expect(parseScenarioList('trend,range,breakout,reversal,gap,shock')).toEqual({ scenarios: ['uptrend', 'downtrend', 'range', 'breakout', 'reversal', 'gap_up', 'gap_down', 'news_shock'], mix: false });
    expect(parseScenarioList('regime_switching,flash-crash')).toEqual({ scenarios: ['flash_crash'], mix: true });
    expect(parseScenarioList('mix').scenarios).toEqual([...SCENARIO_NAMES]);
  });
});

describe('each scenario does what its name says', () => {
  it('uptrend drifts up and downtrend down, over many seeds', () => {
    for (const [name, sign] of [['uptrend', 1], ['downtrend', -1]] as const) {
      const moves = seeds(40).map((s) => { const g = one(name, s); return Math.log(g.close[g.close.length - 1] / g.open[0]); });
      expect(sign * moves.reduce((a, b) => a + b, 0) / moves.length).toBeGreaterThan(0.1 * 288 * sigma * 0.8);
      expect(moves.filter((m) => sign * m > 0).length).toBeGreaterThanOrEqual(32);
    }
  });

  it('range stays in a band around where it opened, far narrower than the market wanders alone', () => {
    for (const s of seeds(20)) {
      const g = one('range', s);
      const deviations = Array.from(g.close, (c) => Math.abs(Math.log(c / g.open[0])) / sigma).sort((a, b) => a - b);
      expect(deviations[Math.floor(0.95 * deviations.length)]).toBeLessThan(10);
    }
    const bandWidth = (g: GeneratedScenarios) => Math.max(...Array.from(g.close, (c) => Math.abs(Math.log(c / g.open[0]))));
    const range = seeds(20).map((s) => bandWidth(one('range', s)));
    const free = seeds(20).map((s) => bandWidth(simulateBaseMarket(market(), 288, s)));
    expect(range.reduce((a, b) => a + b, 0)).toBeLessThan(0.5 * free.reduce((a, b) => a + b, 0));
  });

  it('a gap opens far from the last close, every other bar opens at it', () => {
    for (const [name, sign] of [['gap_up', 1], ['gap_down', -1]] as const) {
      for (const s of seeds(10)) {
        const g = one(name, s);
        const at = eventBar(g, 'gap');
        const gap = Math.log(g.open[at] / g.close[at - 1]) / sigma;
        expect(sign * gap).toBeGreaterThanOrEqual(7.4);
        expect(sign * gap).toBeLessThanOrEqual(12.6);
        for (let i = 1; i < g.open.length; i++) if (i !== at) expect(Math.abs(g.open[i] / g.close[i - 1] - 1)).toBeLessThan(1e-6);
      }
    }
  });

  it('a news shock is far more volatile in its burst than before it', () => {
    for (const s of seeds(10)) {
      const g = one('news_shock', s);
      const at = eventBar(g, 'news');
      const before = std(logReturns(g.close, 1, at));
      const burst = std(logReturns(g.close, at + 1, at + 11));
      expect(burst).toBeGreaterThan(2.5 * before);
    }
  });

  it('a flash crash drops then recovers most of the drop', () => {
    const recovered: number[] = [];
    for (const s of seeds(30)) {
      const g = one('flash_crash', s);
      const crash = eventBar(g, 'crash'), recovery = eventBar(g, 'recovery');
      const before = g.close[crash - 1];
      const bottom = Math.min(...g.low.subarray(crash, recovery + 3));
      const drop = Math.log(before / bottom);
      expect(drop).toBeGreaterThan(12 * sigma);
      recovered.push(Math.log(g.close[recovery + 29] / bottom) / drop);
    }
    const mean = recovered.reduce((a, b) => a + b, 0) / recovered.length;
    expect(mean).toBeGreaterThan(0.55);
    expect(mean).toBeLessThan(1.1);
    expect(recovered.filter((r) => r > 0.4).length).toBeGreaterThanOrEqual(24);
  });

  it('a breakout leaves its range the way it chose, beyond the range\'s width', () => {
    let beyond = 0;
    for (const s of seeds(30)) {
      const g = one('breakout', s);
      const at = eventBar(g, 'breakout');
      const level = g.open[0];
      const width = Math.max(...Array.from(g.close.subarray(0, at), (c) => Math.abs(Math.log(c / level))));
      const move = Math.log(g.close[g.close.length - 1] / g.close[at - 1]);
      if (Math.sign(move) === g.segments[0].direction && Math.abs(move) > width) beyond++;
    }
    expect(beyond).toBeGreaterThanOrEqual(26);
  });

  it('a reversal trends one way, then the other', () => {
    let reversed = 0;
    for (const s of seeds(30)) {
      const g = one('reversal', s);
      const at = eventBar(g, 'turn');
      const first = Math.log(g.close[at - 1] / g.open[0]), second = Math.log(g.close[g.close.length - 1] / g.close[at - 1]);
      if (Math.sign(first) === g.segments[0].direction && Math.sign(second) === -g.segments[0].direction) reversed++;
    }
    expect(reversed).toBeGreaterThanOrEqual(24);
  });
});

describe('the pieces', () => {
  const autocorrelationOfSquares = (r: number[]) => {
    const sq = r.map((x) => x * x);
    const m = sq.reduce((a, b) => a + b, 0) / sq.length;
    let num = 0, den = 0;
    for (let t = 0; t < sq.length; t++) { den += (sq[t] - m) ** 2; if (t > 0) num += (sq[t] - m) * (sq[t - 1] - m); }
    return num / den;
  };
  const quiet = (): MarketParams => ({ ...market(), jumps: { rate: 0, mean: 0, std: 0 } });

  it('GARCH(1,1) clusters volatility: squared returns are autocorrelated, and not without it', () => {
    const clustered = simulateBaseMarket({ ...quiet(), garch: { alpha: 0.1, beta: 0.85 } }, 50_000, 3);
    const plain = simulateBaseMarket({ ...quiet(), garch: { alpha: 0, beta: 0 } }, 50_000, 3);
    expect(autocorrelationOfSquares(logReturns(clustered.close))).toBeGreaterThan(0.1);
    expect(Math.abs(autocorrelationOfSquares(logReturns(plain.close)))).toBeLessThan(0.03);
    // the long-run volatility stays the market's
    expect(std(logReturns(clustered.close)) / sigma).toBeCloseTo(1, 1);
  });

  it('Merton jumps fatten the tails without changing the drift', () => {
    const base = { ...quiet(), garch: { alpha: 0, beta: 0 } };
    const jumpy = simulateBaseMarket({ ...base, jumps: { rate: 0.01, mean: 0, std: 10 * sigma } }, 50_000, 4);
    const tails = (g: GeneratedScenarios) => logReturns(g.close).filter((r) => Math.abs(r) > 5 * sigma).length;
    expect(tails(jumpy)).toBeGreaterThan(300);
    expect(tails(simulateBaseMarket(base, 50_000, 4))).toBeLessThan(5);
  });

  it('volume follows the intraday profile', () => {
    const g = simulateBaseMarket(market(), 100_000, 5);
    const byHour = new Float64Array(24), counts = new Float64Array(24);
    for (let i = 0; i < g.time.length; i++) { const h = new Date(g.time[i]).getUTCHours(); byHour[h] += g.volume[i]; counts[h]++; }
    const means = Array.from(byHour, (s, h) => s / counts[h]);
    const profile = market().volume.profile;
    expect(means.indexOf(Math.max(...means))).toBeGreaterThanOrEqual(13);
    expect(means.indexOf(Math.max(...means))).toBeLessThanOrEqual(17);
    expect(means[15] / means[3]).toBeCloseTo(profile[15] / profile[3], 0);
  });
});

describe('calibration', () => {
  it('recovers the volatility, drift, jumps and GARCH of a series generated with known parameters', () => {
    const truth: MarketParams = { ...market(), volatility: 0.002, drift: 2e-5, garch: { alpha: 0.08, beta: 0.9 }, jumps: { rate: 0.004, mean: -0.03, std: 0.01 } };
    const g = simulateBaseMarket(truth, 150_000, 21);
    const { market: m, estimates } = calibrate({ time: g.time, close: g.close, volume: g.volume });
    expect(m.intervalMs).toBe(FIVE_MINUTES);
    expect(m.volatility / truth.volatility).toBeCloseTo(1, 1);
    expect(Math.abs(m.drift - truth.drift)).toBeLessThan(3 * estimates.driftStdError);
    expect(m.jumps.rate / truth.jumps.rate).toBeGreaterThan(0.85);
    expect(m.jumps.rate / truth.jumps.rate).toBeLessThan(1.25);
    expect(m.jumps.mean).toBeCloseTo(truth.jumps.mean, 2);
    expect(m.jumps.std / truth.jumps.std).toBeGreaterThan(0.8);
    expect(m.jumps.std / truth.jumps.std).toBeLessThan(1.35);
    expect(Math.abs(m.garch.alpha - 0.08)).toBeLessThan(0.02);
    expect(Math.abs(m.garch.alpha + m.garch.beta - 0.98)).toBeLessThan(0.01);
    expect(m.volume.base / truth.volume.base).toBeCloseTo(1, 1);
    expect(m.startPrice).toBe(g.close[g.close.length - 1]);
  }, 30_000);

  it('turns clustering off where there is none, and rescales to another bar length', () => {
    const g = simulateBaseMarket({ ...market(), garch: { alpha: 0, beta: 0 }, jumps: { rate: 0, mean: 0, std: 0 } }, 20_000, 8);
    const cal = calibrate({ time: g.time, close: g.close, volume: null });
    expect(cal.market.garch).toEqual({ alpha: 0, beta: 0 });
    expect(cal.notes.join(' ')).toMatch(/no volatility clustering/);
    const hourly = rescaleMarket(cal.market, 12 * FIVE_MINUTES);
    expect(hourly.volatility / cal.market.volatility).toBeCloseTo(Math.sqrt(12), 6);
    expect(() => calibrate({ time: g.time.subarray(0, 50), close: g.close.subarray(0, 50), volume: null })).toThrow(/too few to calibrate/);
  });
});

describe('a generated dataset', () => {
  it('is a candle dataset with a scenario column, marked synthetic, its first revision "generate", statistics as an import has them', async () => {
    const g = generateScenarios({ scenarios: ['uptrend', 'range'], mix: false, bars: 1000, seed: 9, market: market() });
    const { meta, columns } = await scenarioDataset(g, { name: 'two', seed: 9, scenarios: ['uptrend', 'range'], mix: false });
    expect([meta.kind, meta.rows, meta.interval, meta.name]).toEqual(['candles', 1000, '5m', 'two']);
    expect(meta.columns).toEqual(['time', 'open', 'high', 'low', 'close', 'volume', 'scenario']);
    expect(meta.dictionaries?.scenario).toEqual(['uptrend', 'range']);
    expect(meta.synthetic).toMatchObject({ scenarios: ['uptrend', 'range'], seed: 9, bars: 1000, interval: '5m', calibratedFrom: null });
    expect(meta.synthetic?.parameters).toMatchObject({ volatility_per_bar: expect.any(Number), garch_alpha: 0.06, mix: false });
    expect(meta.revision).toBe(1);
    expect(meta.history).toEqual([expect.objectContaining({ revision: 1, how: 'generate', rows: 1000, added: 1000, dropped: 0 })]);
    expect(meta.stats[4]).toEqual(columnStats('close', columns[4]));
    expect(meta.issues.filter((i) => i.level === 'warning')).toEqual([]);
    // the same recipe, the same identity
    expect((await scenarioDataset(g, { name: 'again', seed: 9, scenarios: ['uptrend', 'range'], mix: false })).meta.source.sha256).toBe(meta.source.sha256);
  });

  it('is stored with its teacher dataset, both synthetic, calibrated on a stored dataset when asked', async () => {
    const first = await generateScenarioDataset({ scenarios: ['uptrend', 'downtrend', 'range'], mix: true, bars: 3000, interval: '5m', seed: 2, name: 'base' });
    expect(first.teacher).toBeNull();
    const phases: string[] = [];
    const res = await generateScenarioDataset({ scenarios: ['breakout', 'news_shock'], mix: true, bars: 2000, interval: '1h', seed: 4, name: 'calibrated', calibrateFrom: first.meta.id, teacher: true }, (p) => phases.push(p));
    expect([...new Set(phases)]).toEqual(['calibrating', 'generating', 'validating', 'labelling', 'saving']);
    expect(res.meta.synthetic?.calibratedFrom).toBe('base');
    expect(res.meta.interval).toBe('1h');
    expect(res.teacher).toMatchObject({ kind: 'offline', name: 'calibrated (teacher)', synthetic: { seed: 4, scenarios: ['breakout', 'news_shock'] } });
    const db = await openLabDb();
    const stored = await listDatasets(db);
    expect(stored.map((d) => d.name).sort()).toEqual(['base', 'calibrated', 'calibrated (teacher)']);
    expect(stored.every((d) => d.synthetic)).toBe(true);
    const labels = await loadColumn(db, res.meta, 'scenario');
    expect(labels.type === 'text' && new Set(Array.from(labels.codes, (c) => labels.dictionary[c]))).toEqual(new Set(['breakout', 'news_shock']));
    await expect(generateScenarioDataset({ scenarios: ['range'], mix: false, bars: 10, interval: 'soon', seed: 1, name: 'x' })).rejects.toThrow(/not a bar length/);
  }, 30_000);
});

describe('npm run scenarios', () => {
  const cli = (args: string[]) => spawnSync(process.execPath, [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), join(ROOT, 'src/cli/scenarios.ts'), ...args], { cwd: ROOT, encoding: 'utf8' });
  const dir = mkdtempSync(join(tmpdir(), 'rl-scenarios-'));

  it('writes csv, jsonl and parquet that the importer reads back as candles with the scenario column, the same for the same seed', async () => {
    const common = ['--scenarios', 'trend,range,breakout,reversal,gap,shock,mix', '--bars', '3000', '--interval', '15m', '--seed', '6'];
    const texts: string[] = [];
    for (const ext of ['csv', 'jsonl', 'parquet']) {
      const out = join(dir, `s.${ext}`);
      const run = cli([...common, '--out', out]);
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/wrote 3,000 bars of 15m/);
      expect(run.stdout).toMatch(/news_shock +[\d,]+/);
      expect(run.stdout).toMatch(/garch_alpha +0\.06/);
      const bytes = new Uint8Array(readFileSync(out));
      const outcome = await importBytes(bytes, `s.${ext}`);
      if (outcome.status !== 'ready') throw new Error(`${ext} needs a mapping`);
      const { meta, columns } = outcome.dataset;
      expect([meta.kind, meta.rows, meta.interval]).toEqual(['candles', 3000, '15m']);
      expect(meta.columns).toEqual(['time', 'open', 'high', 'low', 'close', 'volume', 'scenario']);
      expect(meta.issues.filter((i) => i.level === 'warning')).toEqual([]);
      const scenario = columns[6];
      const printed = [...run.stdout.matchAll(/^ {2}([a-z_]+) +([\d,]+) /gm)].filter((m) => m[2] !== '0').map((m) => m[1]).sort();
      expect(printed.length).toBeGreaterThanOrEqual(6);
      expect(scenario.type === 'text' && [...scenario.dictionary].sort()).toEqual(printed);
      if (ext === 'csv') texts.push(readFileSync(out, 'utf8'));
    }
    cli([...common, '--out', join(dir, 'again.csv')]);
    expect(readFileSync(join(dir, 'again.csv'), 'utf8')).toBe(texts[0]);
  }, 60_000);

  it('calibrates on a candles file and says bad flags with exit code 2', () => {
    const run = cli(['--scenarios', 'flash_crash', '--bars', '500', '--calibrate', 'public/samples/ETH_BTC-5m.parquet', '--out', join(dir, 'c.csv')]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/calibrated on ETH_BTC-5m\.parquet: [\d,]+ bars/);
    expect(run.stdout).toMatch(/wrote 500 bars of 5m/);
    for (const [args, message] of [
      [['--scenarios', 'moon', '--out', 'x.csv'], /unknown scenario "moon"/],
      [['--scenarios', 'trend', '--bars', 'many', '--out', 'x.csv'], /--bars must be a whole number/],
      [['--scenarios', 'trend', '--out', 'x.txt'], /--out must end in \.csv, \.jsonl or \.parquet/],
      [['--scenarios', 'trend', '--interval', 'weekly', '--out', 'x.csv'], /--interval must be a bar length/],
      [['--scenarios', 'trend', '--calibrate', 'missing.csv', '--out', 'x.csv'], /cannot read missing\.csv/],
      [['--scenarios', 'trend', '--frobnicate', '--out', 'x.csv'], /Unknown option '--frobnicate'/],
    ] as const) {
      const bad = cli([...args]);
      expect(bad.status).toBe(2);
      expect(bad.stderr).toMatch(message);
    }
    expect(execFileSync(process.execPath, [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), join(ROOT, 'src/cli/scenarios.ts'), '--help'], { cwd: ROOT, encoding: 'utf8' })).toMatch(/flash_crash +a fall of 20 σ/);
  }, 60_000);
});
