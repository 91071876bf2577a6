// Every policy the lab trains exports as ONNX (model.onnx): onnxruntime (onnxruntime-web, its
// WebAssembly CPU provider, in Node) runs it on raw observations and gives the lab's own action
// probabilities (and strength for behavior cloning) to 1e-5: PPO's actor (tanh), GRPO's (with a KL
// reference stored behind it), PPO fine-tuned from a behavior-cloning PolicyNet (ReLU), and
// behavior cloning's PolicyNet, an ensemble's members included; every one behind a trained
// normalizer, on observations that hit its clip. Run folders carry model.onnx in every checkpoint.
import 'fake-indexeddb/auto';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-web';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportOnnx } from '../../src/algos/onnxExport';
import { BC_ID } from '../../src/algos/bc/config';
import { bcEnvelope } from '../../src/algos/bc/envelope';
import { majorityVote } from '../../src/algos/bc/ensemble';
import { hostForward } from '../../src/algos/bc/hostNet';
import { ppoPolicyFromBc } from '../../src/algos/bc/policy';
import { BcTrainer } from '../../src/algos/bc/trainer';
import type { BcCheckpoint, BcData } from '../../src/algos/bc/types';
import { GRPO_ID } from '../../src/algos/grpo/config';
import { DEFAULT_GRPO } from '../../src/algos/grpo/hyperparameters';
import { GrpoTrainer } from '../../src/algos/grpo/trainer';
import { onPolicyEnvelope } from '../../src/algos/onPolicy/format';
import type { OnPolicyCheckpoint } from '../../src/algos/onPolicy/runner';
import { PPO_ID } from '../../src/algos/ppo/config';
import { DEFAULT_PPO, type PpoHyperparameters } from '../../src/algos/ppo/hyperparameters';
import { PpoTrainer } from '../../src/algos/ppo/trainer';
import { algorithmSpec } from '../../src/algos/registry';
import { POSITION } from '../../src/core/env/position';
import { ObservationNormalizer, type NormalizerState } from '../../src/core/normalizer';
import { onnxModelProblem } from '../../src/core/onnx/check';
import { decodeModel } from '../../src/core/onnx/proto';
import type { CheckpointEnvelope, RunRecords, StoredCheckpoint, StoredRun } from '../../src/core/run/contracts';
import { zipRun } from '../../src/core/run/exportRun';
import { checkpointDir } from '../../src/core/run/record';
import { readRunZip, runFolderFiles } from '../../src/services/runArchive';
import { MemorySink } from './memorySink';
import { SignalEnv } from './toyEnv';

const TOLERANCE = 1e-5;
/** Max |ONNX − lab| per model, printed at the end. */
const figures: Record<string, number> = {};

beforeAll(async () => {
  await tf.setBackend('cpu');
  ort.env.wasm.numThreads = 1;
});
afterAll(() => {
  console.log(JSON.stringify({ onnx_max_abs_diff: figures }));
});

/** A run's config, as far as the exports read it. */
function runConfig(algorithm: string, over: Record<string, unknown> = {}): StoredRun {
  return {
    run_id: 'run_20250301_120000', created_at: '2025-03-01T12:00:00', completed_at: '2025-03-01T12:05:00', status: 'completed', algorithm,
    data_file: 'toy.csv', final_metrics: {}, name: 'onnx', tags: [], dataset_id: 'toy', dataset_name: 'toy', backend: 'cpu', backend_requested: 'cpu',
    backend_trials: [], error: null, updated_at: '2025-03-01T12:05:00', env: POSITION.id, activation: 'tanh', ...over,
  };
}

/** Raw observations around a normalizer: slot j of row r sits K standard deviations from its mean, |K| up to 60 (past the clip of 10). */
function probeRows(normalizer: NormalizerState | null, D: number, rows = 24): Float32Array {
  const K = [-60, -11, -3, -1, -0.2, 0, 0.4, 1.5, 3, 10.5, 25, 60];
  const out = new Float32Array(rows * D);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < D; j++) {
      const mean = normalizer?.mean[j] ?? 0, std = Math.sqrt((normalizer?.var[j] ?? 1) + 1e-8);
      out[r * D + j] = mean + K[(r * 3 + j * 5) % K.length] * std;
    }
  }
  return out;
}

/** How many probe values the normalizer clips: the test is only worth its name when some are. */
function clippedCount(normalizer: NormalizerState, obs: Float32Array): number {
  const D = normalizer.mean.length;
  let n = 0;
  for (let i = 0; i < obs.length; i++) if (Math.abs((obs[i] - normalizer.mean[i % D]) / Math.sqrt(normalizer.var[i % D] + 1e-8)) > normalizer.clip) n++;
  return n;
}

async function runOnnx(bytes: Uint8Array, obs: Float32Array, D: number): Promise<Record<string, Float32Array>> {
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
  try {
    const result = await session.run({ observations: new ort.Tensor('float32', obs, [obs.length / D, D]) });
    return Object.fromEntries(Object.entries(result).map(([name, t]) => [name, t.data as Float32Array]));
  } finally {
    await session.release();
  }
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** ONNX's probabilities over the allowed actions: the rule the model's metadata gives for masks. */
function masked(probs: ArrayLike<number>, mask: Uint8Array): number[] {
  const kept = Array.from(mask, (m, a) => (m ? probs[a] : 0));
  const sum = kept.reduce((s, p) => s + p, 0);
  return kept.map((p) => p / sum);
}

const ppoHp = (over: Partial<PpoHyperparameters>): PpoHyperparameters => ({ ...DEFAULT_PPO, n_envs: 2, n_steps: 64, batch_size: 64, net_arch: [16, 16], total_timesteps: 256, eval_freq: 1e9, save_freq: 128, seed: 3, ...over });

/** An on-policy trainer's own probabilities (its acting path: normalizer, actor, softmax) against ONNX's, masks too. */
async function compareOnPolicy(label: string, trainer: { predict(raw: Float32Array, mask?: Uint8Array): Promise<{ probs: number[] }> }, envelope: CheckpointEnvelope, config: StoredRun) {
  const D = envelope.obsSize, A = envelope.numActions;
  const { bytes } = exportOnnx(config, envelope);
  const obs = probeRows(envelope.normalizer, D);
  expect(clippedCount(envelope.normalizer!, obs)).toBeGreaterThan(10);
  const out = await runOnnx(bytes, obs, D);
  const n = obs.length / D;
  const lab = new Float32Array(n * A);
  let maskedDiff = 0;
  for (let i = 0; i < n; i++) {
    const row = obs.slice(i * D, (i + 1) * D);
    lab.set((await trainer.predict(row)).probs, i * A);
    const mask = Uint8Array.from({ length: A }, (_, a) => (a === i % A ? 0 : 1));
    maskedDiff = Math.max(maskedDiff, maxAbsDiff(masked(out.action_probs.subarray(i * A, (i + 1) * A), mask), (await trainer.predict(row, mask)).probs));
  }
  const diff = maxAbsDiff(out.action_probs, lab);
  figures[label] = diff;
  figures[`${label}, masked`] = maskedDiff;
  expect(diff).toBeLessThan(TOLERANCE);
  expect(maskedDiff).toBeLessThan(TOLERANCE);
  // the logits output: their softmax is the probabilities
  expect(out.logits).toHaveLength(n * A);
  return out;
}

describe('ONNX export: onnxruntime gives the lab’s own probabilities', () => {
  it('PPO actor (tanh)', async () => {
    const sink = new MemorySink();
    const trainer = await PpoTrainer.create({ hp: ppoHp({ activation: 'tanh' }), env: new SignalEnv(2, 4), makeEvalEnv: (n, s) => new SignalEnv(n, s), sink });
    await trainer.train();
    const config = runConfig(PPO_ID);
    const envelope = onPolicyEnvelope(PPO_ID, sink.checkpoints.at(-1)!, { env: POSITION.id, activation: 'tanh' });
    await compareOnPolicy('PPO (tanh)', trainer, envelope, config);

    // the model says what it is
    const model = decodeModel(exportOnnx(config, envelope).bytes);
    const meta = Object.fromEntries(model.metadataProps.map((p) => [p.key, p.value]));
    expect(model.opsetImport[0].version).toBe(13n);
    expect(model.graph.input.map((i) => i.name)).toEqual(['observations']);
    expect(model.graph.output.map((o) => o.name)).toEqual(['action_probs', 'logits']);
    expect(model.graph.node.map((n) => n.opType)).toEqual(['Cast', 'Sub', 'Mul', 'Clip', 'Cast', 'Gemm', 'Tanh', 'Gemm', 'Tanh', 'Gemm', 'Softmax']);
    expect(JSON.parse(meta.action_names)).toEqual([...POSITION.actionNames]);
    expect(meta).toMatchObject({ algorithm: PPO_ID, env: POSITION.id, step: String(envelope.step), hidden_activation: 'tanh' });
    expect(JSON.parse(meta.normalizer).mean).toEqual(envelope.normalizer!.mean);
    expect(meta.action_mask).toMatch(/set their action_probs to 0 and divide the rest by their sum/);
    // a dynamic batch: one row and 300 rows run on the same model
    for (const rows of [1, 300]) expect((await runOnnx(exportOnnx(config, envelope).bytes, new Float32Array(rows * 4), 4)).action_probs).toHaveLength(rows * 3);
    trainer.dispose();
  }, 60_000);

  it('GRPO actor (its KL reference stored behind it, left out)', async () => {
    const h = { ...DEFAULT_GRPO, num_windows: 2, group_size: 4, max_steps: 16, net_arch: [16, 16], total_timesteps: 512, eval_freq: 1e9, save_freq: 1e9, seed: 7, scorer: 'reward' as const, beta: 0.04 };
    const hp = { ...h, n_envs: h.num_windows * h.group_size, n_steps: h.max_steps };
    const sink = new MemorySink();
    const trainer = await GrpoTrainer.create({ hp, env: new SignalEnv(hp.n_envs, 8, hp.n_steps), makeEvalEnv: (n, s) => new SignalEnv(n, s), sink, segment: { start: 0, end: 1000 }, data: { rows: 1000, firstValidRow: 0, time: new Float64Array(1000) } });
    await trainer.train();
    const c = sink.checkpoints.at(-1)!;
    expect(c.weights.length).toBeGreaterThan(2 * 3); // the reference's tensors follow the policy's
    await compareOnPolicy('GRPO (tanh)', trainer, onPolicyEnvelope(GRPO_ID, c, { env: POSITION.id, activation: 'tanh' }), runConfig(GRPO_ID));
    trainer.dispose();
  }, 60_000);

  /** A small labelled dataset in the toy environment's observations: the one-hot signal, noise, an offset slot. */
  function toyData(n: number, seed: number): BcData {
    const env = new SignalEnv(n, seed);
    env.reset();
    const states = new Float32Array(n * 4), actions = new Int32Array(n), strengths = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      states.set(env.obs.subarray(i * 4, i * 4 + 4), i * 4);
      states[i * 4 + 3] = 5000 + 40 * states[i * 4 + 3]; // a price-like slot: large mean, modest spread
      actions[i] = [0, 1, 2].find((a) => states[i * 4 + a] === 1)!;
      strengths[i] = (i % 10) / 10;
    }
    return { states, actions, strengths, width: 4 };
  }
  const BC_HP = { hidden_dim: 16, num_layers: 2, max_epochs: 3, batch_size: 64, val_fraction: 0.2, learning_rate: 3e-3 };

  it('PPO fine-tuned from a behavior-cloning PolicyNet (ReLU)', async () => {
    const bc = await BcTrainer.create({ hp: { ...BC_HP, seed: 5 }, data: toyData(512, 9), sink: { epoch() {}, checkpoint() {} } });
    await bc.train();
    const best = await bc.checkpoint('best', 'completed');
    bc.dispose();
    const sink = new MemorySink();
    const ppo = await PpoTrainer.create({ hp: ppoHp({ activation: 'relu', learning_rate: 1e-4 }), env: new SignalEnv(2, 4), makeEvalEnv: (n, s) => new SignalEnv(n, s), sink, initialPolicy: ppoPolicyFromBc(best) });
    await ppo.train();
    const envelope = onPolicyEnvelope(PPO_ID, sink.checkpoints.at(-1)!, { env: POSITION.id, activation: 'relu' });
    expect(envelope.normalizer!.mean[3]).toBeGreaterThan(1000); // the PolicyNet's normalizer came along
    await compareOnPolicy('PPO fine-tuned from BC (relu)', ppo, envelope, runConfig(PPO_ID, { activation: 'relu' }));
    const ops = decodeModel(exportOnnx(runConfig(PPO_ID), envelope).bytes).graph.node.map((n) => n.opType);
    expect(ops.filter((o) => o === 'Relu')).toHaveLength(2);
    ppo.dispose();
  }, 60_000);

  it('behavior cloning PolicyNet (both heads), and an ensemble: each member, and their vote', async () => {
    const data = toyData(512, 11);
    const config = runConfig(BC_ID, { env: undefined, seeds: [1, 2] });
    const obs = probeRows(null, 4);
    const votesOnnx = [], votesLab = [];
    for (const seed of [1, 2]) {
      const bc = await BcTrainer.create({ hp: { ...BC_HP, seed }, data, sink: { epoch() {}, checkpoint() {} } });
      await bc.train();
      const c = await bc.checkpoint('final', 'completed');
      const rows = probeRows(c.normalizer, 4);
      expect(clippedCount(c.normalizer!, rows)).toBeGreaterThan(10);
      const all = new Float32Array([...rows, ...obs]);
      const { bytes, interface: io } = exportOnnx(config, bcEnvelope(c));
      expect(io.outputs.map((o) => o.name)).toEqual(['action_probs', 'strength']);
      const out = await runOnnx(bytes, all, 4);
      const lab = await bc.predictBatch(all);
      const n = all.length / 4;
      let probsDiff = maxAbsDiff(out.action_probs, lab.probs);
      let strengthDiff = maxAbsDiff(out.strength, lab.strengths);
      // the one-state path (host copies of the weights, in float64) too
      for (let i = 0; i < n; i += 5) {
        const one = await bc.predict(all.slice(i * 4, i * 4 + 4));
        probsDiff = Math.max(probsDiff, maxAbsDiff(out.action_probs.subarray(i * 3, i * 3 + 3), one.probs));
        strengthDiff = Math.max(strengthDiff, Math.abs(out.strength[i] - one.strength));
      }
      figures[`BC member seed ${seed}, action_probs`] = probsDiff;
      figures[`BC member seed ${seed}, strength`] = strengthDiff;
      expect(probsDiff).toBeLessThan(TOLERANCE);
      expect(strengthDiff).toBeLessThan(TOLERANCE);
      const argmax = (p: Float32Array) => Int32Array.from({ length: n }, (_, i) => [0, 1, 2].reduce((b, a) => (p[i * 3 + a] > p[i * 3 + b] ? a : b), 0));
      votesOnnx.push({ actions: argmax(out.action_probs), strengths: out.strength });
      votesLab.push(lab);
      bc.dispose();
    }
    // the ensemble votes on its members' actions: the member models give the same vote
    expect(Array.from(majorityVote(votesOnnx).actions)).toEqual(Array.from(majorityVote(votesLab).actions));
  }, 60_000);
});

describe('ONNX export: stored runs', () => {
  const DIR = resolve(__dirname, '../fixtures/runs');

  it('checkpoints stored before the export existed (PPO, a BC ensemble) export and match their own networks', async () => {
    // PPO: the LayersModel of model.json behind the lab's normalizer, then softmax (as "Play the policy" acts)
    const ppo = readRunZip(new Uint8Array(readFileSync(`${DIR}/run_20250102_030405.zip`)), 'ppo.zip');
    const runtime = await algorithmSpec(ppo.config.algorithm).runtime();
    for (const c of ppo.checkpoints) {
      const e = c.checkpoint;
      const files = await runtime.modelFiles(e, ppo.config);
      const json = JSON.parse(files.modelJson);
      const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: files.weightsBin.slice().buffer as ArrayBuffer }));
      const obs = probeRows(e.normalizer, e.obsSize);
      const normalizer = new ObservationNormalizer(e.obsSize);
      normalizer.setState(e.normalizer!);
      const x = new Float32Array(obs.length);
      normalizer.normalize(obs, x, obs.length / e.obsSize);
      const before = tf.memory().numTensors;
      const lab = tf.tidy(() => tf.softmax(model.predict(tf.tensor2d(x, [obs.length / e.obsSize, e.obsSize])) as tf.Tensor2D).dataSync() as Float32Array);
      model.dispose();
      expect(tf.memory().numTensors).toBeLessThanOrEqual(before);
      const out = await runOnnx(exportOnnx(ppo.config, e).bytes, obs, e.obsSize);
      const diff = maxAbsDiff(out.action_probs, lab);
      figures[`stored PPO ${c.name}`] = diff;
      expect(diff).toBeLessThan(TOLERANCE);
    }
    // BC: the PolicyNet's host forward pass (one state, as its predict runs) behind the lab's normalizer
    const bc = readRunZip(new Uint8Array(readFileSync(`${DIR}/run_20250102_040506.zip`)), 'bc.zip');
    // an ensemble of two members, each with its best and final checkpoint
    expect(bc.checkpoints).toHaveLength(4);
    for (const c of bc.checkpoints) expect(c.name).toMatch(/^seed_\d+_(best|final)$/);
    for (const c of bc.checkpoints) {
      const p = c.checkpoint.payload as BcCheckpoint;
      const weights = p.bestWeights ?? p.weights;
      const layers = [];
      for (let i = 0; i < weights.length; i += 2) layers.push({ kernel: weights[i].values, bias: weights[i + 1].values });
      const host = { layers, activations: layers.map((l) => new Float64Array(l.bias.length)) };
      const D = p.width;
      const obs = probeRows(p.normalizer, D);
      const normalizer = p.normalizer ? new ObservationNormalizer(D) : null;
      if (normalizer) normalizer.setState(p.normalizer!);
      const out = await runOnnx(exportOnnx(bc.config, c.checkpoint).bytes, obs, D);
      let diff = 0;
      for (let i = 0; i < obs.length / D; i++) {
        const x = obs.slice(i * D, (i + 1) * D);
        if (normalizer) normalizer.normalize(x, x, 1);
        const z = hostForward(host, x);
        const top = Math.max(z[0], z[1], z[2]);
        const e = [0, 1, 2].map((a) => Math.exp(z[a] - top));
        const sum = e[0] + e[1] + e[2];
        diff = Math.max(diff, ...e.map((v, a) => Math.abs(v / sum - out.action_probs[i * 3 + a])), Math.abs(1 / (1 + Math.exp(-z[3])) - out.strength[i]));
      }
      figures[`stored BC ${c.name}`] = diff;
      expect(diff).toBeLessThan(TOLERANCE);
    }
  }, 60_000);

  it('a run folder holds model.onnx in every checkpoint, its zip imports, and exports the same model again', async () => {
    const sink = new MemorySink();
    const trainer = await PpoTrainer.create({ hp: ppoHp({ activation: 'tanh' }), env: new SignalEnv(2, 4), makeEvalEnv: (n, s) => new SignalEnv(n, s), sink });
    await trainer.train();
    trainer.dispose();
    const config = runConfig(PPO_ID, { net_arch: [16, 16] });
    const checkpoints: StoredCheckpoint[] = sink.checkpoints.map((c: OnPolicyCheckpoint) => ({
      runId: config.run_id, name: c.kind === 'final' ? 'final' : `step_${c.step}`, step: c.step, kind: c.kind, timestamp: c.timestamp,
      checkpoint: onPolicyEnvelope(PPO_ID, c, { env: POSITION.id, activation: 'tanh' }),
    }));
    expect(checkpoints.length).toBeGreaterThan(1);
    const records: RunRecords = { config, episodes: [], evaluations: [], updates: [], checkpoints };
    const files = await runFolderFiles(records);
    for (const c of checkpoints) {
      const onnx = files[`${config.run_id}/${checkpointDir(c.name)}/model.onnx`];
      expect(onnx, c.name).toBeDefined();
      expect(onnxModelProblem(onnx)).toBeNull();
      const obs = probeRows(c.checkpoint.normalizer, 4, 4);
      expect((await runOnnx(onnx, obs, 4)).action_probs).toHaveLength(12);
    }
    const back = readRunZip(zipRun(files), 'run.zip');
    expect(back.checkpoints.map((c) => c.name)).toEqual(checkpoints.map((c) => c.name));
    for (const c of back.checkpoints) expect(exportOnnx(back.config, c.checkpoint).bytes).toEqual(files[`${config.run_id}/${checkpointDir(c.name)}/model.onnx`]);
  }, 60_000);

  it('refuses a checkpoint whose weights do not fit its shape or are not finite, naming what', () => {
    const envelope = (weights: { name: string; shape: number[]; values: Float32Array }[]) => ({
      algorithm: PPO_ID, kind: 'final', step: 1, obsSize: 2, numActions: 3, actionNames: ['a', 'b', 'c'], activation: 'tanh', normalizer: null,
      payload: { netArch: [], weights, normalizer: null, update: 1 },
    }) as unknown as CheckpointEnvelope;
    expect(() => exportOnnx(runConfig(PPO_ID), envelope([{ name: 'k', shape: [2, 2], values: new Float32Array(4) }, { name: 'b', shape: [2], values: new Float32Array(2) }]))).toThrow(/action layer has a 4-value kernel and a 2-value bias, expected \[2, 3\] and \[3\]/);
    expect(() => exportOnnx(runConfig(PPO_ID), envelope([{ name: 'k', shape: [2, 3], values: new Float32Array([0, 0, NaN, 0, 0, 0]) }, { name: 'b', shape: [3], values: new Float32Array(3) }]))).toThrow(/NaN or infinite/);
    expect(onnxModelProblem(new Uint8Array([1, 2, 3]))).toMatch(/not an ONNX model/);
  });
});
