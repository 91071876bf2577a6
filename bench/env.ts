// Environment benchmark: every registered candle environment with 64 copies over a synthetic
// 100,000-bar random walk (random market features), episodes of 256 steps, stepped with
// pre-generated random actions for about 2 seconds after a warm-up. steps_per_s counts
// single-copy steps: copies × step calls / seconds.
import { STATE_SIZE, type CandleColumns, type MarketFeatures } from '../src/core/features/layout';
import { Rng } from '../src/core/rng';
import { ENVIRONMENTS } from '../src/core/env/registry';
import { candleData } from '../src/core/env/candles';
import { defaultsOf } from '../src/core/settings';
import type { VecEnv } from '../src/core/env/types';

const ROWS = 100_000;
const N_ENVS = 64;
const WARMUP_S = 0.5;
const MEASURE_S = 2;
const ACTION_BATCHES = 1024;
const MAX_STEPS = 256;

function syntheticMarket(rows: number, seed: number): { features: MarketFeatures; candles: CandleColumns } {
  const rng = new Rng(seed);
  const time = new Float64Array(rows), open = new Float64Array(rows), high = new Float64Array(rows);
  const low = new Float64Array(rows), close = new Float64Array(rows), volume = new Float64Array(rows);
  let price = 30_000;
  for (let i = 0; i < rows; i++) {
    time[i] = Date.UTC(2024, 0, 1) + i * 300_000;
    open[i] = price;
    price *= Math.exp(0.003 * rng.normal());
    close[i] = price;
    high[i] = Math.max(open[i], close[i]) * (1 + 0.002 * rng.next());
    low[i] = Math.min(open[i], close[i]) * (1 - 0.002 * rng.next());
    volume[i] = 1 + rng.next();
  }
  const values = new Float32Array(rows * STATE_SIZE);
  for (let r = 0; r < rows; r++) {
    const b = r * STATE_SIZE;
    for (let k = 0; k < 20; k++) values[b + k] = 0.003 * rng.normal();
    values[b + 20] = rng.next();
    values[b + 21] = 0.001 * rng.normal();
    values[b + 22] = 0.05 * rng.next();
    values[b + 23] = 2 * rng.next();
    values[b + 28 + rng.int(3)] = 1;
    values[b + 31] = 1;
  }
  return { features: { rows, values, firstValidRow: 0 }, candles: { time, open, high, low, close, volume } };
}

function measure(env: VecEnv, actions: Uint8Array[]): number {
  let k = 0;
  const until = (seconds: number) => {
    const t0 = performance.now();
    let calls = 0;
    for (;;) {
      for (let b = 0; b < 256; b++) {
        env.step(actions[k]);
        k = (k + 1) & (ACTION_BATCHES - 1);
      }
      calls += 256;
      env.drainEpisodes();
      const elapsed = (performance.now() - t0) / 1000;
      if (elapsed >= seconds) return { calls, elapsed };
    }
  };
  until(WARMUP_S);
  const { calls, elapsed } = until(MEASURE_S);
  return (env.numEnvs * calls) / elapsed;
}

export async function run() {
  const { features, candles } = syntheticMarket(ROWS, 7);
  const rng = new Rng(11);
  const actions = Array.from({ length: ACTION_BATCHES }, () => {
    const a = new Uint8Array(N_ENVS);
    for (let i = 0; i < N_ENVS; i++) a[i] = rng.int(3);
    return a;
  });
  const results: { env: string; n_envs: number; steps_per_s: number }[] = [];
  const data = candleData(candles, features);
  for (const spec of ENVIRONMENTS.filter((e) => e.datasetKinds.includes('candles'))) {
    const env = spec.create(data, { settings: defaultsOf(spec.settings), segment: { start: 0, end: ROWS }, copies: N_ENVS, seed: 1, randomStart: true, maxSteps: MAX_STEPS });
    results.push({ env: spec.id, n_envs: N_ENVS, steps_per_s: Math.round(measure(env, actions)) });
  }
  return { bench: 'env', results };
}
