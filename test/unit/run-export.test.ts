import { DEFAULT_PPO } from '../../src/algos/ppo/hyperparameters';
import { pythonIsoTime } from '../../src/core/clock';
import { describe, expect, it } from 'vitest';
import { strToU8, unzipSync, zipSync } from 'fflate';
import type { StoredCheckpoint, StoredEpisode, StoredEvaluation, StoredUpdate } from '../../src/core/run/contracts';
import type { PpoCheckpoint } from '../../src/algos/ppo/trainer';
import type { PpoRunConfig } from '../../src/algos/ppo/config';
import { PPO } from '../../src/algos/ppo';
import { ppoEnvelope } from '../../src/algos/ppo/format';
import { RUN_FORMATS } from '../../src/algos/registry';
import { checkpointDir } from '../../src/core/run/record';
import {
  SEED_CONFIG_KEYS,
  detailedEpisodesJsonl,
  isoToSeconds,
  runFiles as runFolderFiles,
  zipRun,
  type ModelFiles,
  type RunRecords,
} from '../../src/core/run/exportRun';
import { importRunZip as importZip, jsonErrorOffset, type ImportOptions } from '../../src/core/run/importRun';
import { policyOnnx } from '../../src/core/onnx/policy';

/** The run folder of a PPO run, and a zip read back with every algorithm's format, as the lab does. */
const runFiles = (records: RunRecords, modelFiles: (c: StoredCheckpoint) => Promise<ModelFiles>) => runFolderFiles(records, PPO.format, modelFiles);
const importRunZip = (bytes: Uint8Array, fileName: string, opts?: ImportOptions) => importZip(bytes, fileName, RUN_FORMATS, opts);
/** A stored checkpoint's PPO state. */
const ppoState = (c: StoredCheckpoint) => c.checkpoint.payload as PpoCheckpoint;
import { readTensorboardEvents } from '../../src/core/run/tensorboard';

// ---------------------------------------------------------------- a realistic synthetic run

/** A small seeded generator, so the run is the same every time. */
function mulberry32(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const isoAt = (seconds: number) => pythonIsoTime(new Date(seconds * 1000));

const START = new Date(2025, 0, 16, 14, 30, 22).getTime() / 1000;
const MAX_STEPS = 100;

function makeConfig(runId: string, overrides: Partial<PpoRunConfig> = {}): PpoRunConfig {
  return {
    run_id: runId,
    created_at: isoAt(START),
    completed_at: isoAt(START + 3600),
    status: 'completed',
    algorithm: 'PPO',
    // the lab's defaults, but for a small run's sizes
    ...DEFAULT_PPO,
    total_timesteps: 5000,
    batch_size: 64,
    n_steps: 512,
    n_envs: 1,
    net_arch: [8, 8],
    eval_freq: 1000,
    save_freq: 2500,
    max_steps: MAX_STEPS,
    seed: 7,
    data_file: 'btcusd_5m.parquet',
    final_metrics: { mean_reward: 2.34, final_100_mean: 3.12, total_episodes: 50, best_eval_mean_reward: 2.1, total_timesteps_done: 5000 },
    name: 'guardian test',
    tags: ['unit', 'synthetic'],
    dataset_id: 'abc123',
    dataset_name: 'btcusd_5m',
    env: 'trade-approval',
    env_settings: { env: 'trade-approval', leverage: 3, fee: 0.001, allow_short: true, starting_balance: 10_000, eval_fraction: 0.2 },
    preset: 'moderate',
    backend: 'cpu',
    backend_requested: 'auto',
    backend_trials: [{ backend: 'webgpu', ok: false, error: 'not available in this build' }, { backend: 'cpu', ok: true, samplesPerSecond: 1234.5 }],
    error: null,
    progress_timesteps: 5000,
    updated_at: isoAt(START + 3600),
    ...overrides,
  };
}

/** One episode's detail, field for field seed 000's detailed_episodes.jsonl schema. */
function tradeApprovalDetail(episode: number, rand: () => number): Record<string, unknown> {
  const reject = 10 + Math.floor(rand() * 40);
  const approveWarning = 5 + Math.floor(rand() * 20);
  const approve = MAX_STEPS - reject - approveWarning;
  const approved = approveWarning + approve;
  const profitable = Math.floor(approved * (0.3 + 0.5 * rand()));
  const liquidations = Math.floor(rand() * 4);
  const goodRejections = Math.floor(reject * rand());
  const ending = 10_000 * (1 + (rand() - 0.45) * 0.1);
  const reward = Math.round((rand() - 0.3) * 1000) / 100;
  return {
    episode,
    reward,
    length: MAX_STEPS,
    timestep: episode * MAX_STEPS,
    timestamp: isoAt(START + episode * 60),
    action_counts: { reject, approve_warning: approveWarning, approve },
    action_percentages: { reject: reject, approve_warning: approveWarning, approve: approve }, // of 100 steps
    trade_outcomes: {
      total_trades: MAX_STEPS,
      approved_trades: approved,
      rejected_trades: reject,
      profitable_approved: profitable,
      losing_approved: approved - profitable,
      liquidations,
      good_rejections: goodRejections,
      missed_opportunities: reject - goodRejections,
    },
    portfolio: {
      starting_balance: 10_000,
      ending_balance: ending,
      return_pct: (ending / 10_000 - 1) * 100,
      max_drawdown: rand() * 0.2,
      min_health_score: 50 + rand() * 40,
      final_health_score: 60 + rand() * 40,
    },
    reward_breakdown: {
      pnl_rewards: rand() * 2,
      rejection_rewards: rand(),
      health_bonuses: rand(),
      liquidation_penalties: liquidations ? -liquidations * 0.5 : 0, // not -0: JSON writes -0 as 0
    },
  };
}

const f32 = (n: number, rand: () => number) => Float32Array.from({ length: n }, () => rand() * 2 - 1);

function makeCheckpoint(step: number, kind: PpoCheckpoint['kind'], rand: () => number): PpoCheckpoint {
  const shapes: [string, number[]][] = [['pi/dense_0/kernel', [4, 3]], ['pi/dense_0/bias', [3]], ['vf/dense_0/kernel', [4, 1]]];
  const tensors = () => shapes.map(([name, shape]) => ({ name, shape, values: f32(shape.reduce((a, b) => a * b, 1), rand) }));
  return {
    step,
    update: step / 512,
    kind,
    obsSize: 4,
    numActions: 3,
    netArch: [8, 8],
    weights: tensors(),
    optimizer: { step: step / 64, m: tensors(), v: tensors().map((t) => ({ ...t, values: t.values.map(Math.abs) })) },
    learningRate: 3e-4,
    normalizer: { mean: [0.1, -0.2, 0.3, 0], var: [1, 2, 0.5, 1], count: step, clip: 10 },
    rng: [123456789, 987654321, 42, 7],
    env: { kind: 'trade-approval', version: 1, numEnvs: 1, cursor: 17, arrays: { balance: [10_000] }, pending: [] },
    nextDone: [0],
    recentRewards: [1.5, -0.25, 2],
    recentLengths: [100, 100, 100],
    bestMeanReward: 2.1,
    lastEvalStep: step,
    lastSaveStep: step,
    elapsedSeconds: step / 100,
    timestamp: isoAt(START + step),
  };
}

function makeRun(runId = 'run_20250116_143022', rewardShift = 0): RunRecords {
  const rand = mulberry32(runId.length * 1000 + rewardShift);
  const config = makeConfig(runId, { final_metrics: { mean_reward: 2.34 + rewardShift, final_100_mean: 3.12, total_episodes: 50 } });
  const episodes: StoredEpisode[] = [];
  for (let episode = 1; episode <= 50; episode++) {
    const detail = tradeApprovalDetail(episode, rand);
    const summary = { episode, reward: detail.reward as number, length: MAX_STEPS, timestep: episode * MAX_STEPS, timestamp: detail.timestamp as string };
    episodes.push({ runId, episode, summary, detailJson: JSON.stringify(detail) });
  }
  const evaluations: StoredEvaluation[] = [1, 2, 3, 4, 5].map((k) => ({
    runId,
    step: k * 1000,
    mean_reward: 1 + k * 0.2,
    std_reward: 0.8,
    min_reward: 0.5,
    max_reward: 4.2,
    num_episodes: 5,
    timestamp: isoAt(START + k * 600),
  }));
  const updates: StoredUpdate[] = Array.from({ length: 10 }, (_, i) => ({
    runId,
    update: i + 1,
    step: (i + 1) * 512,
    timestamp: isoAt(START + (i + 1) * 300),
    metrics: {
    'train/approx_kl': 0.01 + i * 0.001,
    'train/clip_fraction': 0.1,
    'train/entropy_loss': -1.05 + i * 0.01,
    'train/value_loss': 1 / (i + 1),
    'train/policy_gradient_loss': -0.01,
    'train/loss': 0.5 / (i + 1),
    'train/explained_variance': i / 10,
    'train/learning_rate': 3e-4 * (1 - i / 10),
    'train/clip_range': 0.2,
    'train/n_updates': (i + 1) * 4,
    'train/epochs': 4,
    'rollout/ep_rew_mean': i < 2 ? null : 1 + i * 0.1, // no finished episode yet at first
    'rollout/ep_len_mean': i < 2 ? null : 100,
    'time/fps': 2000 + i,
    'time/total_timesteps': (i + 1) * 512,
    'time/iterations': i + 1,
    'time/time_elapsed': (i + 1) * 0.25,
    },
  }));
  const checkpoints: StoredCheckpoint[] = [
    { runId, name: 'step_2500', step: 2500, kind: 'periodic', timestamp: isoAt(START + 2500), checkpoint: ppoEnvelope(makeCheckpoint(2500, 'periodic', rand), config) },
    { runId, name: 'final', step: 5000, kind: 'final', timestamp: isoAt(START + 5000), checkpoint: ppoEnvelope(makeCheckpoint(5000, 'final', rand), config) },
  ];
  return { config: config as unknown as RunRecords['config'], episodes, evaluations, updates, checkpoints };
}

/** Stands in for the TensorFlow.js model writer. */
async function fakeModelFiles(c: StoredCheckpoint): Promise<ModelFiles> {
  const total = ppoState(c).weights.reduce((n, w) => n + w.values.length, 0);
  const weightsBin = new Uint8Array(total * 4);
  let offset = 0;
  for (const w of ppoState(c).weights) {
    weightsBin.set(new Uint8Array(w.values.buffer, w.values.byteOffset, w.values.byteLength), offset);
    offset += w.values.byteLength;
  }
  const modelJson = JSON.stringify({ format: 'layers-model', weightsManifest: [{ paths: ['weights.bin'], weights: ppoState(c).weights.map((w) => ({ name: w.name, shape: w.shape, dtype: 'float32' })) }] });
  return { modelJson, weightsBin };
}

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const ROOT = 'run_20250116_143022';

// ---------------------------------------------------------------- what pandas would do

type Row = Record<string, unknown>;

/** pd.read_json(path, lines=True): each line one JSON object; the columns are the union of keys. */
function readJsonLines(source: string): { rows: Row[]; columns: string[] } {
  const lines = source.split('\n').filter((l) => l.trim() !== '');
  const rows = lines.map((l) => JSON.parse(l) as unknown);
  for (const r of rows) expect(r !== null && typeof r === 'object' && !Array.isArray(r)).toBe(true);
  const columns = [...new Set((rows as Row[]).flatMap((r) => Object.keys(r)))];
  return { rows: rows as Row[], columns };
}

/** pd.json_normalize(records): nested dicts flattened into dotted column names. */
function jsonNormalize(records: Row[]): { columns: string[]; column: (name: string) => unknown[] } {
  const flatten = (obj: Row, prefix = '', out: Row = {}): Row => {
    for (const [key, value] of Object.entries(obj)) {
      const name = prefix ? `${prefix}.${key}` : key;
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) flatten(value as Row, name, out);
      else out[name] = value;
    }
    return out;
  };
  const flat = records.map((r) => flatten(r));
  const columns = [...new Set(flat.flatMap((r) => Object.keys(r)))];
  // a row without the key holds NaN in pandas
  return { columns, column: (name) => flat.map((r) => (name in r ? r[name] : NaN)) };
}

/** pandas' Series.rolling(n).mean(). */
function rollingMean(xs: number[], n: number): number[] {
  return xs.map((_, i) => (i + 1 < n ? NaN : xs.slice(i + 1 - n, i + 1).reduce((a, b) => a + b, 0) / n));
}

// ---------------------------------------------------------------- tests

describe('run export: files in seed 000 layout', () => {
  it('writes every file of the run folder under run_id/', async () => {
    const files = await runFiles(makeRun(), fakeModelFiles);
    const paths = Object.keys(files).sort();
    expect(paths).toEqual(
      [
        `${ROOT}/checkpoints/final_model/model.json`,
        `${ROOT}/checkpoints/final_model/trainer_state.json`,
        `${ROOT}/checkpoints/final_model/weights.bin`,
        `${ROOT}/checkpoints/model_step_2500/model.json`,
        `${ROOT}/checkpoints/model_step_2500/trainer_state.json`,
        `${ROOT}/checkpoints/model_step_2500/weights.bin`,
        `${ROOT}/config.json`,
        `${ROOT}/detailed_episodes.jsonl`,
        `${ROOT}/metrics.json`,
        `${ROOT}/tensorboard/events.out.tfevents.${Math.floor(START)}.rl-trading-lab`,
        `${ROOT}/train_metrics.jsonl`,
      ].sort(),
    );
  });

  it('writes config.json with seed 000 keys first, in seed order, 2-space indented', async () => {
    const run = makeRun();
    const files = await runFiles(run, fakeModelFiles);
    const source = text(files[`${ROOT}/config.json`]);
    expect(source.startsWith('{\n  "run_id": "run_20250116_143022",\n  "created_at": ')).toBe(true);
    const config = JSON.parse(source) as Row;
    expect(Object.keys(config).slice(0, SEED_CONFIG_KEYS.length)).toEqual([...SEED_CONFIG_KEYS]);
    expect(config).toEqual(run.config);
  });

  it('writes metrics.json: summaries by episode, evaluations without runId by step, checkpoint paths', async () => {
    const run = makeRun();
    const shuffled = { ...run, episodes: [...run.episodes].reverse(), evaluations: [...run.evaluations].reverse(), checkpoints: [...run.checkpoints].reverse() };
    const metrics = JSON.parse(text((await runFiles(shuffled, fakeModelFiles))[`${ROOT}/metrics.json`]));
    expect(metrics.episodes).toEqual(run.episodes.map((e) => e.summary));
    expect(metrics.evaluations[0]).toEqual({ step: 1000, mean_reward: 1.2, std_reward: 0.8, min_reward: 0.5, max_reward: 4.2, num_episodes: 5, timestamp: run.evaluations[0].timestamp });
    expect(metrics.evaluations.map((e: Row) => e.step)).toEqual([1000, 2000, 3000, 4000, 5000]);
    expect(metrics.checkpoints).toEqual([
      { step: 2500, path: 'checkpoints/model_step_2500', timestamp: run.checkpoints[0].timestamp, kind: 'periodic' },
      { step: 5000, path: 'checkpoints/final_model', timestamp: run.checkpoints[1].timestamp, kind: 'final' },
    ]);
  });

  it('writes the JSONL files one record a line, each line ending in a newline', async () => {
    const run = makeRun();
    const files = await runFiles(run, fakeModelFiles);
    const detailed = text(files[`${ROOT}/detailed_episodes.jsonl`]);
    expect(detailed.endsWith('}\n')).toBe(true);
    expect(detailed.split('\n')).toHaveLength(51);
    expect(JSON.parse(detailed.split('\n')[0])).toEqual(JSON.parse(run.episodes[0].detailJson));
    expect(detailedEpisodesJsonl(run.episodes)).toBe(detailed);
    const train = text(files[`${ROOT}/train_metrics.jsonl`]).trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(train).toHaveLength(10);
    expect(train[0]).not.toHaveProperty('runId');
    expect(train[0]['rollout/ep_rew_mean']).toBeNull();
    expect(train.map((u) => u.update)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('writes the model files and the full trainer state, tensors as exact base64 float32', async () => {
    const run = makeRun();
    const files = await runFiles(run, fakeModelFiles);
    const dir = `${ROOT}/checkpoints/model_step_2500`;
    expect(JSON.parse(text(files[`${dir}/model.json`])).format).toBe('layers-model');
    expect(files[`${dir}/weights.bin`].length).toBe((12 + 3 + 4) * 4);
    const state = JSON.parse(text(files[`${dir}/trainer_state.json`]));
    const decode = (b64: string) => Array.from(new Float32Array(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)).buffer));
    expect(typeof state.weights[0].values).toBe('string');
    expect(decode(state.weights[0].values)).toEqual(Array.from(ppoState(run.checkpoints[0]).weights[0].values));
    expect(decode(state.optimizer.v[2].values)).toEqual(Array.from(ppoState(run.checkpoints[0]).optimizer.v[2].values));
    expect(state.rng).toEqual([123456789, 987654321, 42, 7]);
  });

  it('writes NaN and Infinity as null, which pandas reads as NaN', async () => {
    const run = makeRun();
    run.updates[5].metrics['train/explained_variance'] = NaN;
    run.evaluations[0].std_reward = Infinity;
    const files = await runFiles(run, fakeModelFiles);
    const line = text(files[`${ROOT}/train_metrics.jsonl`]).split('\n')[5];
    expect(line).toContain('"train/explained_variance":null');
    expect(JSON.parse(text(files[`${ROOT}/metrics.json`])).evaluations[0].std_reward).toBeNull();
  });

  it('writes a TensorBoard file with every update metric, evaluation and episode reward', async () => {
    const run = makeRun();
    const files = await runFiles(run, fakeModelFiles);
    const eventPath = Object.keys(files).find((p) => p.includes('/tensorboard/events.out.tfevents.'))!;
    const scalars = readTensorboardEvents(files[eventPath]);
    // 17 numeric metrics an update (2 nulls in each of the first two updates), 2 per evaluation, 1 per episode
    expect(scalars).toHaveLength(10 * 17 - 2 * 2 + 5 * 2 + 50);
    const valueLoss = scalars.filter((s) => s.tag === 'train/value_loss');
    expect(valueLoss.map((s) => s.step)).toEqual(run.updates.map((u) => u.step));
    expect(valueLoss[3].value).toBe(Math.fround(0.25));
    expect(valueLoss[3].wallTime).toBeCloseTo(START + 4 * 300, 6);
    expect(scalars.filter((s) => s.tag === 'rollout/ep_rew_mean')).toHaveLength(8);
    expect(scalars.some((s) => s.tag === 'update' || s.tag === 'step')).toBe(false);
    const evalMean = scalars.filter((s) => s.tag === 'eval/mean_reward');
    expect(evalMean.map((s) => s.step)).toEqual([1000, 2000, 3000, 4000, 5000]);
    expect(scalars.filter((s) => s.tag === 'eval/std_reward')).toHaveLength(5);
    const episodeRewards = scalars.filter((s) => s.tag === 'rollout/episode_reward');
    expect(episodeRewards).toHaveLength(50);
    expect(episodeRewards[9]).toEqual({ tag: 'rollout/episode_reward', step: 1000, value: Math.fround(run.episodes[9].summary.reward), wallTime: isoToSeconds(run.episodes[9].summary.timestamp) });
    const steps = scalars.map((s) => s.step);
    expect(steps).toEqual([...steps].sort((a, b) => a - b));
  });

  it('reads ISO times: Python local time with microseconds, and zoned times', () => {
    expect(isoToSeconds('2025-01-16T14:30:22.123456')).toBeCloseTo(new Date(2025, 0, 16, 14, 30, 22).getTime() / 1000 + 0.123456, 6);
    expect(isoToSeconds('2025-01-16T14:30:22.500Z')).toBe(Date.UTC(2025, 0, 16, 14, 30, 22) / 1000 + 0.5);
    expect(isoToSeconds('2025-01-16T14:30:22+02:00')).toBe(Date.UTC(2025, 0, 16, 12, 30, 22) / 1000);
    expect(isoToSeconds('not a time')).toBeNaN();
  });

  it('maps checkpoint names to folders', () => {
    expect(checkpointDir('step_50000')).toBe('checkpoints/model_step_50000');
    expect(checkpointDir('best')).toBe('checkpoints/best_model');
    expect(checkpointDir('final')).toBe('checkpoints/final_model');
    expect(() => checkpointDir('latest')).toThrow(/latest/);
  });

  it('zips JSON deflated and weights stored', async () => {
    const files = await runFiles(makeRun(), fakeModelFiles);
    const zip = zipRun(files);
    const methods = new Map<string, number>();
    unzipSync(zip, { filter: (f) => (methods.set(f.name, f.compression), false) });
    expect(methods.get(`${ROOT}/checkpoints/final_model/weights.bin`)).toBe(0);
    expect(methods.get(`${ROOT}/metrics.json`)).toBe(8);
    const back = unzipSync(zip);
    expect(Object.keys(back).sort()).toEqual(Object.keys(files).sort());
    for (const [path, bytes] of Object.entries(files)) expect(back[path]).toEqual(bytes);
  });
});

describe('run import', () => {
  it('round-trips: export then import gives records deep-equal to the input', async () => {
    const run = makeRun();
    const zip = zipRun(await runFiles(run, fakeModelFiles));
    const back = importRunZip(zip, 'run.zip');
    expect(back.config).toStrictEqual(run.config);
    expect(back.episodes).toStrictEqual(run.episodes);
    expect(back.evaluations).toStrictEqual(run.evaluations);
    expect(back.updates).toStrictEqual(run.updates);
    expect(back.checkpoints).toStrictEqual(run.checkpoints);
    const weights = ppoState(back.checkpoints[0]).weights[0].values;
    expect(weights).toBeInstanceOf(Float32Array);
    expect(ppoState(back.checkpoints[1]).optimizer.m[1].values).toBeInstanceOf(Float32Array);
    expect(ppoState(back.checkpoints[1]).optimizer.v[1].values).toBeInstanceOf(Float32Array);
    expect(back).toStrictEqual(run);
  });

  it('refuses a checkpoint whose weights hold NaN, naming the file', async () => {
    const run = makeRun();
    ppoState(run.checkpoints[0]).weights[0].values[2] = NaN;
    const zip = zipRun(await runFiles(run, fakeModelFiles));
    expect(() => importRunZip(zip, 'run.zip')).toThrow(/"run\.zip".*checkpoints\/model_step_2500\/weights\.bin: weight "pi\/dense_0\/kernel" holds NaN or infinite values/);
  });

  it('takes the summary from the detail line when metrics.json lacks it, and accepts folder entries', async () => {
    const run = makeRun();
    const files = await runFiles(run, fakeModelFiles);
    const metrics = JSON.parse(text(files[`${ROOT}/metrics.json`]));
    metrics.episodes = metrics.episodes.filter((e: Row) => e.episode !== 7);
    files[`${ROOT}/metrics.json`] = strToU8(JSON.stringify(metrics));
    files[`${ROOT}/`] = new Uint8Array(0);
    files[`${ROOT}/checkpoints/`] = new Uint8Array(0);
    const back = importRunZip(zipSync(files), 'run.zip');
    expect(back.episodes).toHaveLength(50);
    expect(back.episodes[6]).toStrictEqual(run.episodes[6]);
  });

  describe('refuses a bad zip with a clear message', () => {
    const zipOf = (entries: Record<string, string>) => zipSync(Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, strToU8(v)])));
    const config = JSON.stringify(makeConfig('run_x'));

    it('not a zip', () => {
      expect(() => importRunZip(strToU8('episode,reward\n1,2\n'), 'rewards.csv')).toThrow(/"rewards\.csv".*not a zip/);
    });
    it('path traversal', () => {
      expect(() => importRunZip(zipOf({ 'run_x/config.json': config, 'run_x/../evil': 'x' }), 'bad.zip')).toThrow(/"bad\.zip".*run_x\/\.\.\/evil.*"\.\."/);
    });
    it('absolute path', () => {
      expect(() => importRunZip(zipOf({ '/run_x/config.json': config }), 'bad.zip')).toThrow(/"bad\.zip".*\/run_x\/config\.json.*absolute/);
      expect(() => importRunZip(zipOf({ 'C:/run_x/config.json': config }), 'bad.zip')).toThrow(/absolute/);
    });
    it('backslash or NUL in a path', () => {
      expect(() => importRunZip(zipOf({ 'run_x\\config.json': config }), 'bad.zip')).toThrow(/backslash/);
      expect(() => importRunZip(zipOf({ 'run_x/config.json\0.txt': config }), 'bad.zip')).toThrow(/NUL/);
    });
    it('two top-level folders', () => {
      expect(() => importRunZip(zipOf({ 'run_x/config.json': config, 'run_y/config.json': config }), 'two.zip')).toThrow(/"two\.zip".*more than one top-level folder.*run_x, run_y/);
    });
    it('a file outside any run folder, or a folder not named run_…', () => {
      expect(() => importRunZip(zipOf({ 'config.json': config }), 'flat.zip')).toThrow(/"flat\.zip".*config\.json.*not inside a run folder/);
      expect(() => importRunZip(zipOf({ 'my_run/config.json': config }), 'named.zip')).toThrow(/"my_run".*run_YYYYMMDD_HHMMSS/);
    });
    it('an unknown file', () => {
      expect(() => importRunZip(zipOf({ 'run_x/config.json': config, 'run_x/notes.txt': 'hi' }), 'extra.zip')).toThrow(/"extra\.zip".*run_x\/notes\.txt.*not a file of a run folder/);
      expect(() => importRunZip(zipOf({ 'run_x/config.json': config, 'run_x/checkpoints/model_step_5/evil.js': '' }), 'extra.zip')).toThrow(/evil\.js/);
    });
    it('broken JSON in metrics.json, naming the file and line', () => {
      const broken = '{\n  "episodes": [\n    {"episode": 1,}\n  ]\n}';
      expect(() => importRunZip(zipOf({ 'run_x/config.json': config, 'run_x/metrics.json': broken }), 'm.zip')).toThrow(/"m\.zip".*run_x\/metrics\.json: line 3: not valid JSON/);
    });
    it('a broken JSONL line, naming the file and line', () => {
      const lines = [JSON.stringify({ episode: 1 }), JSON.stringify({ episode: 2 }), '{"episode": 3, "reward": ', JSON.stringify({ episode: 4 })].join('\n') + '\n';
      expect(() => importRunZip(zipOf({ 'run_x/config.json': config, 'run_x/detailed_episodes.jsonl': lines }), 'd.zip')).toThrow(/"d\.zip".*run_x\/detailed_episodes\.jsonl: line 3: not valid JSON/);
      expect(() => importRunZip(zipOf({ 'run_x/config.json': config, 'run_x/train_metrics.jsonl': '[1, 2]\n' }), 't.zip')).toThrow(/train_metrics\.jsonl: line 1: not a JSON object/);
    });
    it('config.json missing, lacking run_id, or naming another run', () => {
      expect(() => importRunZip(zipOf({ 'run_x/metrics.json': '{}' }), 'c.zip')).toThrow(/"c\.zip".*run_x\/config\.json is missing/);
      const { run_id: _omitted, ...noRunId } = makeConfig('run_x');
      expect(() => importRunZip(zipOf({ 'run_x/config.json': JSON.stringify(noRunId) }), 'c.zip')).toThrow(/"c\.zip".*config\.json: "run_id" is missing/);
      expect(() => importRunZip(zipOf({ 'run_x/config.json': JSON.stringify({ run_id: 'run_x', status: 'completed' }) }), 'c.zip')).toThrow(/"algorithm" is missing/);
      expect(() => importRunZip(zipOf({ 'run_x/config.json': JSON.stringify(makeConfig('run_y')) }), 'c.zip')).toThrow(/run_id "run_y" differs from the folder name "run_x"/);
    });
    it('contents larger than the limit, judged from the sizes before inflating', () => {
      const bomb = zipSync({ 'run_x/config.json': strToU8(config), 'run_x/detailed_episodes.jsonl': new Uint8Array(1 << 20) });
      expect(bomb.length).toBeLessThan(10_000);
      expect(() => importRunZip(bomb, 'bomb.zip', { limits: { maxTotalBytes: 100_000 } })).toThrow(/"bomb\.zip".*more than the 0\.1 MB allowed in all/);
      expect(() => importRunZip(bomb, 'bomb.zip', { limits: { maxEntryBytes: 100_000 } })).toThrow(/"bomb\.zip".*run_x\/detailed_episodes\.jsonl" would unpack to 1 MB, more than the 0\.1 MB allowed for one entry/);
    });
    it('damaged entries', async () => {
      const zip = zipRun(await runFiles(makeRun('run_x'), fakeModelFiles));
      const damaged = zip.slice();
      // Corrupt the start of the first entry's compressed data, just after its local header.
      const nameLength = damaged[26] | (damaged[27] << 8);
      const extraLength = damaged[28] | (damaged[29] << 8);
      const dataStart = 30 + nameLength + extraLength;
      damaged.fill(0xff, dataStart, dataStart + 8);
      expect(() => importRunZip(damaged, 'damaged.zip')).toThrow(/"damaged\.zip".*(could not be unpacked|damaged|not valid JSON)/);
    });
  });

  it('finds the line of a JSON syntax error', () => {
    expect(jsonErrorOffset('{"a": 1}')).toBeNull();
    expect(jsonErrorOffset('{"a": 1,}')).toBe(8);
    expect(jsonErrorOffset('[1, 2, NaN]')).toBe(7);
    expect(jsonErrorOffset('{"a": "x\\q"}')).toBe(9);
    expect(jsonErrorOffset('{"a": 1} x')).toBe(9);
  });
});

describe('run export: model.onnx', () => {
  /** The fake model files and a real (tiny) ONNX model, as the lab's export gives all three. */
  const tinyOnnx = policyOnnx(
    { normalizer: { mean: [0.1, -0.2, 0.3, 0], var: [1, 2, 0.5, 1], count: 10, clip: 10 }, hidden: [], activation: 'tanh', actions: { kernel: new Float32Array(12).fill(0.5), bias: new Float32Array(3) }, strength: null, logitsOutput: true, metadata: {} },
    { name: 'tiny', obsSize: 4, actionNames: ['a', 'b', 'c'], observationNames: null, metadata: {} },
  ).bytes;
  const withOnnx = async (c: StoredCheckpoint): Promise<ModelFiles> => ({ ...(await fakeModelFiles(c)), onnx: tinyOnnx });

  it('writes model.onnx beside model.json in every checkpoint folder, stored in the zip, and imports it', async () => {
    const run = makeRun();
    const files = await runFiles(run, withOnnx);
    for (const c of run.checkpoints) expect(files[`${ROOT}/${checkpointDir(c.name)}/model.onnx`]).toEqual(tinyOnnx);
    const zip = zipRun(files);
    const methods = new Map<string, number>();
    unzipSync(zip, { filter: (f) => (methods.set(f.name, f.compression), false) });
    expect(methods.get(`${ROOT}/checkpoints/final_model/model.onnx`)).toBe(0);
    // model.onnx is checked, not kept: the records are those of a zip without it
    expect(importRunZip(zip, 'run.zip')).toStrictEqual(run);
  });

  it('refuses a model.onnx that is no ONNX model, naming it', async () => {
    const files = await runFiles(makeRun(), withOnnx);
    files[`${ROOT}/checkpoints/final_model/model.onnx`] = strToU8('not a model');
    expect(() => importRunZip(zipRun(files), 'run.zip')).toThrow(/"run\.zip".*checkpoints\/final_model\/model\.onnx: not an ONNX model/);
  });
});

describe("seed 000's pandas snippets on the exported files", () => {
  it('pd.read_json(lines=True) and pd.json_normalize on detailed_episodes.jsonl', async () => {
    const files = await runFiles(makeRun(), fakeModelFiles);
    const source = text(files[`${ROOT}/detailed_episodes.jsonl`]);

    // Method 1: json.loads each line, then pd.json_normalize(detailed)
    const { rows, columns } = readJsonLines(source);
    expect(rows).toHaveLength(50);
    expect(columns).toEqual(['episode', 'reward', 'length', 'timestep', 'timestamp', 'action_counts', 'action_percentages', 'trade_outcomes', 'portfolio', 'reward_breakdown']);
    const df = jsonNormalize(rows);
    const nested = [
      'action_counts.reject', 'action_counts.approve_warning', 'action_counts.approve',
      'action_percentages.reject', 'action_percentages.approve_warning', 'action_percentages.approve',
      'trade_outcomes.total_trades', 'trade_outcomes.approved_trades', 'trade_outcomes.rejected_trades',
      'trade_outcomes.profitable_approved', 'trade_outcomes.losing_approved', 'trade_outcomes.liquidations',
      'trade_outcomes.good_rejections', 'trade_outcomes.missed_opportunities',
      'portfolio.starting_balance', 'portfolio.ending_balance', 'portfolio.return_pct', 'portfolio.max_drawdown',
      'portfolio.min_health_score', 'portfolio.final_health_score',
      'reward_breakdown.pnl_rewards', 'reward_breakdown.rejection_rewards', 'reward_breakdown.health_bonuses', 'reward_breakdown.liquidation_penalties',
    ];
    expect(df.columns).toEqual(['episode', 'reward', 'length', 'timestep', 'timestamp', ...nested]);
    for (const name of ['episode', 'reward', ...nested]) {
      for (const v of df.column(name)) expect(Number.isFinite(v)).toBe(true);
    }

    // "Analyzing Trade Outcomes"
    const ratio = (a: string, b: string) => df.column(a).map((x, i) => (x as number) / (df.column(b)[i] as number));
    const winRate = ratio('trade_outcomes.profitable_approved', 'trade_outcomes.approved_trades');
    const goodRejectionRate = ratio('trade_outcomes.good_rejections', 'trade_outcomes.rejected_trades');
    for (const r of [...winRate, ...goodRejectionRate]) expect(r >= 0 && r <= 1).toBe(true);
    const winRateMa50 = rollingMean(winRate, 50);
    expect(winRateMa50.slice(0, 49).every(Number.isNaN)).toBe(true);
    expect(winRateMa50[49]).toBeCloseTo(winRate.reduce((a, b) => a + b, 0) / 50, 12);

    // "Analyzing Action Distribution Over Training": the three percentages sum to 100 each episode
    const pct = ['reject', 'approve_warning', 'approve'].map((a) => df.column(`action_percentages.${a}`) as number[]);
    pct[0].forEach((_, i) => expect(pct[0][i] + pct[1][i] + pct[2][i]).toBeCloseTo(100, 9));
  });

  it('pd.DataFrame(metrics["episodes"]) and pd.DataFrame(metrics["evaluations"])', async () => {
    const files = await runFiles(makeRun(), fakeModelFiles);
    const config = JSON.parse(text(files[`${ROOT}/config.json`]));
    expect(config.run_id).toBe(ROOT);
    const metrics = JSON.parse(text(files[`${ROOT}/metrics.json`]));
    const columnsOf = (records: Row[]) => [...new Set(records.flatMap((r) => Object.keys(r)))];
    expect(columnsOf(metrics.episodes)).toEqual(['episode', 'reward', 'length', 'timestep', 'timestamp']);
    expect(columnsOf(metrics.evaluations)).toEqual(['step', 'mean_reward', 'std_reward', 'min_reward', 'max_reward', 'num_episodes', 'timestamp']);
    expect(metrics.episodes).toHaveLength(50);
    expect(metrics.evaluations).toHaveLength(5);
  });

  it('"Comparing Multiple Runs" over a folder of unzipped runs', async () => {
    // Three runs, each zipped on its own, unzipped side by side into one folder (path → bytes).
    const folder = new Map<string, Uint8Array>();
    const ids = ['run_20250116_143022', 'run_20250117_090000', 'run_20250118_120000'];
    for (const [k, id] of ids.entries()) {
      const zip = zipRun(await runFiles(makeRun(id, k), fakeModelFiles));
      for (const [path, bytes] of Object.entries(unzipSync(zip))) folder.set(path, bytes);
    }
    folder.set('notes.txt', strToU8('not a run')); // runs_dir.iterdir() also sees plain files

    const runDirs = [...new Set([...folder.keys()].filter((p) => p.includes('/')).map((p) => p.split('/')[0]))];
    const allRuns: Row[] = [];
    for (const runDir of runDirs) {
      const configBytes = folder.get(`${runDir}/config.json`);
      if (!configBytes) continue;
      const config = JSON.parse(text(configBytes));
      allRuns.push({
        run_id: config.run_id,
        status: config.status ?? null,
        learning_rate: config.learning_rate ?? null,
        mean_reward: (config.final_metrics ?? {}).mean_reward ?? null,
      });
    }
    const sorted = [...allRuns].sort((a, b) => (b.mean_reward as number) - (a.mean_reward as number));
    expect(sorted).toEqual([
      { run_id: ids[2], status: 'completed', learning_rate: 3e-4, mean_reward: 2.34 + 2 },
      { run_id: ids[1], status: 'completed', learning_rate: 3e-4, mean_reward: 2.34 + 1 },
      { run_id: ids[0], status: 'completed', learning_rate: 3e-4, mean_reward: 2.34 },
    ]);
  });
});
