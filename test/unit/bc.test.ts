// Behavior cloning: PolicyNet learns the teacher's decisions on real candles, early stopping keeps
// the best weights, the class-imbalance options do what they say, the split, tensors, divergence,
// resumption, ensembles and the pure metrics. TensorFlow.js CPU backend, small networks.
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Adam } from '../../src/algos/adam';
import { BcDivergedError, BcTrainer, type BcCheckpoint, type BcData, type BcEpochMetrics, type BcHyperparameters, type BcSink } from '../../src/algos/bc/trainer';
import { bcPolicy, ensemblePredict, majorityVote, trainEnsemble } from '../../src/algos/bc/ensemble';
import { importBytes } from '../../src/core/data/importer';
import { splitByTime } from '../../src/core/env/types';
import { STATE_SIZE, type CandleColumns, type MarketFeatures } from '../../src/core/features/layout';
import { candleColumnsOfDataset, computeMarketFeatures } from '../../src/core/features/market';
import { evaluateClassifier, overfittingSigns } from '../../src/core/offline/metrics';
import { backtestPolicy } from '../../src/core/env/position';
import { generateOfflineDataset, teacherPolicy } from '../../src/core/offline/teacher';
import { gaussianData } from './helpers';

const GOOGL = resolve(__dirname, '../../public/samples/STOCKS_GOOGL.csv');

let candles: CandleColumns;
let features: MarketFeatures;

beforeAll(async () => {
  await tf.setBackend('cpu');
  const imported = await importBytes(new Uint8Array(readFileSync(GOOGL)), 'STOCKS_GOOGL.csv');
  if (imported.status !== 'ready') throw new Error('GOOGL did not import');
  const ds = imported.dataset;
  candles = candleColumnsOfDataset(ds);
  features = computeMarketFeatures(candles);
});

class MemorySink implements BcSink {
  epochs: BcEpochMetrics[] = [];
  checkpoints: BcCheckpoint[] = [];
  tensorsAtEpoch: number[] = [];
  epoch(m: BcEpochMetrics) { this.epochs.push(m); this.tensorsAtEpoch.push(tf.memory().numTensors); }
  checkpoint(c: BcCheckpoint) { this.checkpoints.push(c); }
}

const SMALL: Partial<BcHyperparameters> = { hidden_dim: 32, num_layers: 1, batch_size: 64, max_epochs: 4, seed: 5 };

/** Random labels: nothing to learn, so a network only memorizes and validation loss soon rises. */
function noiseData(n: number, seed: number): BcData {
  return gaussianData(n, 8, [1 / 3, 1 / 3, 1 / 3], [0, 0, 0], seed);
}

const weightsEqual = (a: { values: Float32Array }[], b: { values: Float32Array }[]) => a.length === b.length && a.every((w, i) => w.values.every((x, j) => x === b[i].values[j]));

describe('behavior cloning', () => {
  it('learns the teacher on GOOGL well above the majority-class rate, and backtests beside it', async () => {
    const split = splitByTime(features.rows, features.firstValidRow, 0.2);
    const dataset = generateOfflineDataset(features, candles, { end: split.train.end });
    const sink = new MemorySink();
    const trainer = await BcTrainer.create({
      hp: { hidden_dim: 64, batch_size: 64, max_epochs: 20, patience: 5, seed: 3 },
      data: { ...dataset, width: STATE_SIZE },
      sink,
    });
    const outcome = await trainer.train();
    expect(['completed', 'early_stopped']).toContain(outcome);
    const history = sink.epochs;
    expect(history[history.length - 1].train_loss).toBeLessThan(history[0].train_loss * 0.7);

    // the network holds the best epoch's weights: its validation accuracy is that epoch's
    const best = history[trainer.bestEpoch - 1];
    const report = await trainer.evaluate();
    expect(report.accuracy).toBeCloseTo(best.val_acc!, 5);
    const majority = Math.max(...report.actualDistribution);
    expect(report.accuracy).toBeGreaterThan(majority + 0.15);
    expect(report.perClass.map((c) => c.label)).toEqual(['HOLD', 'BUY', 'SELL']);
    expect(report.perClass.reduce((a, c) => a + c.support, 0)).toBe(trainer.split.val.length);

    // checkpoints: one 'best' per improvement, a final one holding the best weights
    const bests = sink.checkpoints.filter((c) => c.kind === 'best');
    const final = sink.checkpoints[sink.checkpoints.length - 1];
    expect(bests.length).toBeGreaterThan(0);
    expect(final.kind).toBe('final');
    expect(final.status).toBe(outcome);
    expect(weightsEqual(final.weights, bests[bests.length - 1].weights)).toBe(true);

    // greedy backtests on the held-out later segment, the network and the teacher
    const bc = await backtestPolicy(features, candles, split.eval, bcPolicy(trainer));
    const teacher = await backtestPolicy(features, candles, split.eval, teacherPolicy(features));
    for (const r of [bc, teacher]) {
      for (const key of ['return_pct', 'sharpe', 'max_drawdown', 'win_rate', 'buy_and_hold_return_pct'] as const) expect(Number.isFinite(r[key]), key).toBe(true);
      expect(r.steps).toBe(split.eval.end - split.eval.start - 1);
    }
    expect(bc.buy_and_hold_return_pct).toBe(teacher.buy_and_hold_return_pct);
    trainer.dispose();
  }, 30_000);

  it('stops early when validation loss stops improving, and restores the best weights', async () => {
    const sink = new MemorySink();
    const trainer = await BcTrainer.create({
      hp: { hidden_dim: 64, num_layers: 2, dropout: 0, batch_size: 32, max_epochs: 40, patience: 2, learning_rate: 1e-2, val_fraction: 0.3, seed: 9 },
      data: noiseData(600, 4),
      sink,
    });
    expect(await trainer.train()).toBe('early_stopped');
    const history = sink.epochs;
    expect(history.length).toBeLessThan(40);
    expect(history.length).toBe(trainer.bestEpoch + 2);
    const bestLoss = Math.min(...history.map((m) => m.val_loss!));
    expect(history[trainer.bestEpoch - 1].val_loss).toBe(bestLoss);
    expect(history[history.length - 1].val_loss).toBeGreaterThan(bestLoss);
    expect((await trainer.evaluate()).accuracy).toBeCloseTo(history[trainer.bestEpoch - 1].val_acc!, 5);
    const final = sink.checkpoints[sink.checkpoints.length - 1];
    expect(final).toMatchObject({ kind: 'final', status: 'early_stopped', bestEpoch: trainer.bestEpoch });
    expect(weightsEqual(final.weights, sink.checkpoints.filter((c) => c.kind === 'best').pop()!.weights)).toBe(true);
    // memorizing noise is what the overfitting signs are for
    expect(trainer.overfittingSigns().length).toBeGreaterThan(0);
    trainer.dispose();
  }, 20_000);

  it('weighted loss and oversampling raise minority recall on an imbalanced set; focal runs', async () => {
    const data = gaussianData(4000, 8, [0.9, 0.05, 0.05], [0, 1.5, -1.5], 21);
    const minorityRecall = async (imbalance: BcHyperparameters['imbalance']) => {
      const trainer = await BcTrainer.create({
        hp: { hidden_dim: 16, num_layers: 1, batch_size: 128, max_epochs: 8, learning_rate: 1e-2, patience: 8, val_fraction: 0.25, imbalance, seed: 2 },
        data,
        sink: new MemorySink(),
      });
      await trainer.train();
      const report = await trainer.evaluate();
      const last = trainer.history[trainer.history.length - 1];
      expect(Number.isFinite(last.train_loss) && Number.isFinite(last.val_loss!)).toBe(true);
      trainer.dispose();
      return (report.perClass[1].recall + report.perClass[2].recall) / 2;
    };
    const none = await minorityRecall('none');
    const weighted = await minorityRecall('weighted');
    const oversample = await minorityRecall('oversample');
    const focal = await minorityRecall('focal');
    expect(none).toBeLessThan(0.4);
    expect(weighted).toBeGreaterThan(none + 0.25);
    expect(oversample).toBeGreaterThan(none + 0.25);
    expect(focal).toBeGreaterThanOrEqual(0);
  }, 30_000);

  it('splits chronologically by default (the last samples validate) or at random with the seed', async () => {
    const data = noiseData(205, 1);
    const chrono = await BcTrainer.create({ hp: { ...SMALL, val_fraction: 0.1 }, data, sink: new MemorySink() });
    expect(Array.from(chrono.split.val)).toEqual(Array.from({ length: 20 }, (_, i) => 185 + i));
    expect(Array.from(chrono.split.train)).toEqual(Array.from({ length: 185 }, (_, i) => i));
    chrono.dispose();
    const random = await BcTrainer.create({ hp: { ...SMALL, val_fraction: 0.1, val_split: 'random' }, data, sink: new MemorySink() });
    const again = await BcTrainer.create({ hp: { ...SMALL, val_fraction: 0.1, val_split: 'random' }, data, sink: new MemorySink() });
    expect(random.split.val.length).toBe(20);
    expect(random.split.val).toEqual(again.split.val);
    expect(Array.from(random.split.val)).not.toEqual(Array.from(chrono.split.val));
    expect(new Set([...random.split.train, ...random.split.val]).size).toBe(205);
    random.dispose();
    again.dispose();
  });

  it('keeps the number of tensors flat across epochs and predictions', async () => {
    const sink = new MemorySink();
    const trainer = await BcTrainer.create({ hp: { ...SMALL, max_epochs: 5, dropout: 0.2, imbalance: 'focal', max_grad_norm: 1, patience: 10 }, data: noiseData(300, 2), sink });
    await trainer.train();
    expect(sink.tensorsAtEpoch.length).toBe(5);
    expect(new Set(sink.tensorsAtEpoch).size).toBe(1);
    const before = tf.memory().numTensors;
    await trainer.predict(new Float32Array(8));
    await trainer.predictBatch(new Float32Array(8 * 70));
    await trainer.evaluate();
    expect(tf.memory().numTensors).toBe(before);
    trainer.dispose();
  });

  it('predict (one state, plain JavaScript) agrees with predictBatch (TensorFlow.js)', async () => {
    const data = gaussianData(400, 8, [0.4, 0.3, 0.3], [0, 1, -1], 8);
    const trainer = await BcTrainer.create({ hp: { ...SMALL, num_layers: 2, max_epochs: 3 }, data, sink: new MemorySink() });
    await trainer.train();
    const batch = await trainer.predictBatch(data.states.subarray(0, 50 * 8));
    for (let i = 0; i < 50; i++) {
      const one = await trainer.predict(data.states.subarray(i * 8, i * 8 + 8));
      for (let a = 0; a < 3; a++) expect(one.probs[a]).toBeCloseTo(batch.probs[i * 3 + a], 5);
      expect(one.strength).toBeCloseTo(batch.strengths[i], 5);
      expect(one.action).toBe(batch.actions[i]);
    }
    trainer.dispose();
  });

  it('runs every optimizer option: AdamW, Adam with L2, clipping, no validation set', async () => {
    const data = gaussianData(300, 8, [0.4, 0.3, 0.3], [0, 1, -1], 3);
    for (const hp of [
      { optimizer: 'adamw', weight_decay: 1e-2 },
      { optimizer: 'adam', weight_decay: 1e-4, max_grad_norm: 0.5 },
      { val_fraction: 0, val_split: 'random' },
    ] as Partial<BcHyperparameters>[]) {
      const sink = new MemorySink();
      const trainer = await BcTrainer.create({ hp: { ...SMALL, max_epochs: 2, ...hp }, data, sink });
      expect(await trainer.train()).toBe('completed');
      expect(sink.epochs.every((m) => Number.isFinite(m.train_loss) && m.samples_per_s > 0)).toBe(true);
      if (hp.val_fraction === 0) {
        expect(sink.epochs[1]).toMatchObject({ val_loss: null, val_acc: null });
        expect(sink.checkpoints.map((c) => c.kind)).toEqual(['final']);
      }
      trainer.dispose();
    }
  });

  it('AdamW decays weights decoupled from the gradient; weight_decay 0 is plain Adam', async () => {
    const step = (weightDecay: number) => {
      const w = tf.variable(tf.tensor1d([1, -2]));
      const adam = new Adam([w], 0.1, 0.9, 0.999, 1e-8, weightDecay);
      const g = tf.tensor1d([0.5, 0.5]);
      const one = tf.scalar(1);
      adam.apply([g], one);
      const out = Array.from(w.dataSync());
      tf.dispose([w, g, one]);
      adam.dispose();
      return out;
    };
    // first step: m̂ / sqrt(v̂) = sign(g), so Adam moves each weight by lr = 0.1
    const plain = step(0);
    expect(plain[0]).toBeCloseTo(0.9, 5);
    expect(plain[1]).toBeCloseTo(-2.1, 5);
    const decayed = step(0.01); // w·(1 − lr·wd) first
    expect(decayed[0]).toBeCloseTo(1 * 0.999 - 0.1, 5);
    expect(decayed[1]).toBeCloseTo(-2 * 0.999 - 0.1, 5);
  });

  it('throws a clear error when the loss diverges, and refuses non-finite states', async () => {
    const trainer = await BcTrainer.create({ hp: { ...SMALL, learning_rate: 1e30, max_epochs: 3 }, data: noiseData(300, 6), sink: new MemorySink() });
    await expect(trainer.train()).rejects.toThrow(BcDivergedError);
    await expect(trainer.train()).rejects.toThrow(/diverged at epoch \d+: the (training|validation) loss is not a finite number/);
    trainer.dispose();
    const bad = noiseData(50, 7);
    bad.states[3 * 8 + 2] = NaN;
    await expect(BcTrainer.create({ hp: SMALL, data: bad, sink: new MemorySink() })).rejects.toThrow(/state value NaN of sample 3 \(feature 2\) is not finite/);
    await expect(BcTrainer.create({ hp: { ...SMALL, dropout: 1 }, data: noiseData(50, 7), sink: new MemorySink() })).rejects.toThrow(/dropout must be in \[0, 1\)/);
  });

  it('continues exactly from a checkpoint taken when stopped', async () => {
    const data = noiseData(400, 12);
    const hp = { ...SMALL, max_epochs: 4, patience: 10 };
    const strip = (m: BcEpochMetrics) => ({ ...m, timestamp: 0, samples_per_s: 0 });
    const whole = new MemorySink();
    const a = await BcTrainer.create({ hp, data, sink: whole });
    expect(await a.train()).toBe('completed');
    a.dispose();

    const first = new MemorySink();
    const b = await BcTrainer.create({ hp, data, sink: first });
    expect(await b.train({ stopRequested: () => b.epoch >= 2 })).toBe('stopped');
    b.dispose();
    const stopped = first.checkpoints[first.checkpoints.length - 1];
    expect(stopped).toMatchObject({ kind: 'final', status: 'stopped', epoch: 2 });
    const rest = new MemorySink();
    const c = await BcTrainer.create({ hp, data, sink: rest, resume: stopped });
    expect(await c.train()).toBe('completed');
    c.dispose();
    expect(rest.epochs.map(strip)).toEqual(whole.epochs.slice(2).map(strip));
    expect(weightsEqual(rest.checkpoints.pop()!.weights, whole.checkpoints.pop()!.weights)).toBe(true);
  });
});

describe('ensembles', () => {
  const member = (actions: number[], strengths: number[]) => ({ predictBatch: () => ({ actions: Int32Array.from(actions), strengths: Float32Array.from(strengths) }) });

  it('takes the majority action (ties to HOLD, then BUY) and the mean strength', async () => {
    const members = [
      member([1, 2, 0, 1, 2], [0.9, 0.6, 0.3, 0.5, 0.2]),
      member([1, 2, 1, 2, 1], [0.7, 0.6, 0.5, 0.5, 0.4]),
      member([2, 0, 2, 0, 1], [0.8, 0.3, 0.7, 0.5, 0.9]),
    ];
    const out = await ensemblePredict(members, new Float32Array(5 * 4));
    // state 2: one vote each → HOLD; state 3: BUY, SELL, HOLD → HOLD; state 4: SELL, BUY, BUY → BUY
    expect(Array.from(out.actions)).toEqual([1, 2, 0, 0, 1]);
    const means = [0.8, 0.5, 0.5, 0.5, 0.5];
    means.forEach((m, i) => expect(out.strengths[i]).toBeCloseTo(m, 6));
    expect(Array.from(out.agreement, (x) => Number(x.toFixed(4)))).toEqual([0.6667, 0.6667, 0.3333, 0.3333, 0.6667]);
    expect(Array.from(majorityVote([member([1, 2], [1, 0]).predictBatch(), member([2, 1], [0, 1]).predictBatch()]).actions)).toEqual([1, 1]);
    expect(() => majorityVote([])).toThrow(/at least one member/);
  });

  it('trains one member per seed and reports each beside the ensemble', async () => {
    const data = gaussianData(600, 8, [0.4, 0.3, 0.3], [0, 1.5, -1.5], 30);
    const result = await trainEnsemble([11, 12, 13], { hp: { ...SMALL, max_epochs: 5, learning_rate: 1e-2 }, data });
    expect(result.members.length).toBe(3);
    expect(result.reports.map((r) => r.seed)).toEqual([11, 12, 13]);
    expect(Array.from(result.evaluationSamples)).toEqual(Array.from(result.members[0].split.val));
    for (const r of result.reports) {
      expect(r.outcome).toBe('completed');
      expect(r.eval_acc).toBeCloseTo(r.val_acc!, 5); // chronological split: the evaluation samples are every member's validation set
      expect(r.eval_acc).toBeGreaterThan(0.5);
    }
    expect(result.ensemble.eval_acc).toBeGreaterThan(0.5);
    expect(result.ensemble.report.confusion.flat().reduce((a, b) => a + b, 0)).toBe(60);
    // the members differ (their seeds do) yet vote through ensemblePredict
    const votes = await ensemblePredict(result.members, data.states.subarray(0, 8 * 10));
    expect(votes.actions.length).toBe(10);
    result.members.forEach((m) => m.dispose());
    await expect(trainEnsemble([1, 1], { data })).rejects.toThrow(/seeds must differ/);
  }, 20_000);
});

describe('offline metrics', () => {
  it('evaluateClassifier matches a hand-computed confusion matrix', () => {
    const actual = [0, 0, 0, 1, 1, 2, 2, 2, 1, 2];
    const predicted = [0, 1, 0, 1, 2, 2, 2, 0, 1, 1];
    const r = evaluateClassifier(predicted, actual);
    expect(r.confusion).toEqual([
      [2, 1, 0],
      [0, 2, 1],
      [1, 1, 2],
    ]);
    expect(r.accuracy).toBeCloseTo(0.6, 12);
    const [hold, buy, sell] = r.perClass;
    expect(hold).toMatchObject({ label: 'HOLD', support: 3 });
    expect(hold.precision).toBeCloseTo(2 / 3, 12);
    expect(hold.recall).toBeCloseTo(2 / 3, 12);
    expect(buy.precision).toBeCloseTo(2 / 4, 12);
    expect(buy.recall).toBeCloseTo(2 / 3, 12);
    expect(buy.f1).toBeCloseTo((2 * 0.5 * (2 / 3)) / (0.5 + 2 / 3), 12);
    expect(sell).toMatchObject({ label: 'SELL', support: 4 });
    expect(sell.precision).toBeCloseTo(2 / 3, 12);
    expect(sell.recall).toBeCloseTo(0.5, 12);
    expect(r.predictedDistribution.map((x) => Number(x.toFixed(6)))).toEqual([0.3, 0.4, 0.3]);
    expect(r.actualDistribution.map((x) => Number(x.toFixed(6)))).toEqual([0.3, 0.3, 0.4]);
    // a class never predicted has precision 0 (sklearn's zero_division), not NaN
    const none = evaluateClassifier([0, 0, 0], [0, 1, 2]);
    expect(none.perClass[1]).toMatchObject({ precision: 0, recall: 0, f1: 0, support: 1 });
    expect(() => evaluateClassifier([0, 3], [0, 1])).toThrow(/predicted label 3/);
  });

  it('overfittingSigns flags the loss gap, the accuracy gap and a rising validation loss', () => {
    const point = (epoch: number, train_loss: number, val_loss: number | null, train_acc: number, val_acc: number | null) => ({ epoch, train_loss, val_loss, train_acc, val_acc });
    const overfit = [point(1, 1.0, 1.0, 0.5, 0.5), point(2, 0.6, 0.8, 0.7, 0.65), point(3, 0.3, 0.9, 0.9, 0.7)];
    const signs = overfittingSigns(overfit);
    expect(signs.length).toBe(3);
    expect(signs[0]).toMatch(/validation loss 0\.9000 is 0\.6000 above training loss 0\.3000 at epoch 3/);
    expect(signs[1]).toMatch(/training accuracy 90\.0% is 20\.0 points above validation accuracy 70\.0%/);
    expect(signs[2]).toMatch(/validation loss rose from 0\.8000 at epoch 2 to 0\.9000 at epoch 3/);
    expect(overfittingSigns([point(1, 1.0, 1.0, 0.5, 0.5), point(2, 0.6, 0.7, 0.7, 0.68), point(3, 0.5, 0.6, 0.75, 0.7)])).toEqual([]);
    expect(overfittingSigns([point(1, 0.5, 0.75, 0.8, 0.75)])).toEqual(['validation loss 0.7500 is 0.2500 above training loss 0.5000 at epoch 1 (gap > 0.2)']);
    expect(overfittingSigns([point(1, 0.1, null, 0.99, null)])).toEqual([]);
    expect(overfittingSigns([])).toEqual([]);
  });
});
