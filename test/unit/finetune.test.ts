// Seed 002's fine-tuning: a PPO run starts from a behavior-cloning PolicyNet and acts as it does.
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BcTrainer, type BcCheckpoint } from '../../src/algos/bc/trainer';
import { ppoPolicyFromBc } from '../../src/algos/bc/policy';
import { PpoTrainer, type RunSink } from '../../src/algos/ppo/trainer';
import { importBytes } from '../../src/core/data/importer';
import { candleColumnsOfDataset, computeMarketFeatures } from '../../src/core/features/market';
import { generateOfflineDataset } from '../../src/core/offline/teacher';
import { STATE_SIZE } from '../../src/core/features/layout';
import { buildEnvironments, resolveSettings } from './helpers';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('fine-tuning PPO from behavior cloning', () => {
  it('starts with the PolicyNet’s action probabilities and trains on from there', async () => {
    const imported = await importBytes(new Uint8Array(readFileSync(resolve(__dirname, '../../public/samples/STOCKS_GOOGL.csv'))), 'STOCKS_GOOGL.csv');
    if (imported.status !== 'ready') throw new Error('sample did not import');
    const ds = imported.dataset;
    const candles = candleColumnsOfDataset(ds);
    const features = computeMarketFeatures(candles);
    const offline = generateOfflineDataset(features, candles);
    const checkpoints: BcCheckpoint[] = [];
    const bc = await BcTrainer.create({ hp: { max_epochs: 3, hidden_dim: 32, num_layers: 2, seed: 5 }, data: { states: offline.states, actions: offline.actions, strengths: offline.strengths, width: STATE_SIZE }, sink: { epoch() {}, checkpoint: (c) => { checkpoints.push(c); } } });
    await bc.train();
    const best = await bc.checkpoint('best', 'completed');

    const { hp, env } = resolveSettings(null, { n_envs: 4, n_steps: 64, batch_size: 64, total_timesteps: 512, eval_freq: 512, activation: 'relu', net_arch: [32, 32], seed: 3 }, { env: 'position' });
    const envs = buildEnvironments(candles, features, env, hp);
    const sink: RunSink = { episodes() {}, update() {}, evaluation() {}, checkpoint() {} };
    const ppo = await PpoTrainer.create({ hp, env: envs.env, makeEvalEnv: envs.makeEvalEnv, sink, initialPolicy: ppoPolicyFromBc(best) });
    for (const row of [200, 800, 1500]) {
      const state = offline.states.slice(row * STATE_SIZE, (row + 1) * STATE_SIZE);
      const fromBc = await bc.predict(state);
      const fromPpo = await ppo.predict(state);
      fromPpo.probs.forEach((p, a) => expect(p).toBeCloseTo(fromBc.probs[a], 4));
    }
    expect(await ppo.train()).toBe('completed');
    ppo.dispose();
    bc.dispose();
  }, 60_000);
});
