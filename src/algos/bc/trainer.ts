// Behavior cloning (seed 002) in TensorFlow.js, every detail visible: PolicyNet (ReLU hidden
// layers with dropout, an action head of 3 logits and a sigmoid strength head; orthogonal initial
// weights), inputs standardized with the training split's statistics, the loss
// α·CE + β·MSE(strength), class-imbalance options (weighted CE, oversampling, focal loss), Adam or
// AdamW, a chronological or random validation split, early stopping on the validation loss that
// keeps (and finally restores) the best weights, and checkpoints.
//
// Speed, as in PPO's learner: minibatches of one fixed shape (the last partial batch of an epoch
// is padded with rows of weight 0, so every sample counts and no shape changes), matmul gradients
// with explicit transposes on WASM (mlp.ts), the hand-written Adam, constant scalars made once,
// and one read-back per epoch. Every random draw (split, shuffles, oversampling, dropout masks,
// initial weights) comes from the run's own seeded Rng, whose state a checkpoint stores.
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../core/rng';
import { pythonIsoTime } from '../../core/clock';
import { ObservationNormalizer } from '../../core/normalizer';
import { evaluateClassifier, overfittingSigns, type ClassifierReport } from '../../core/offline/metrics';
import { assignVariables, readVariables } from '../mlp';
import { PolicyNet } from './policyNet';
import { Adam } from '../adam';
import { DEFAULT_BC, validateBc, type BcHyperparameters } from './hyperparameters';
import { checkData, classWeights, combine, splitSamples } from './samples';
import {
  BcDivergedError, NUM_ACTIONS, type BatchPrediction, type BcCheckpoint, type BcData, type BcEpochMetrics, type BcPrediction, type BcSink, type BcStatus, type BcTrainControl,
} from './types';

export * from './types';
export { classWeights };

/** A minibatch on the device; ceWeight and mseWeight are 0 on padded rows and sum to 1 over the batch. */
interface Batch {
  x: tf.Tensor2D;
  oneHot: tf.Tensor2D;
  strength: tf.Tensor1D;
  /** Each row's share of the batch's CE term (class weight / Σ class weights; 1 / rows without weighting). */
  ceWeight: tf.Tensor1D;
  /** 1 / rows on real rows: the batch mean of the MSE and of the accuracy. */
  mseWeight: tf.Tensor1D;
  /** Real rows, and Σ class weight of the batch: how the epoch's figures weigh this batch. */
  rows: number;
  ceDenominator: number;
}

export class BcTrainer {
  readonly hp: BcHyperparameters;
  readonly width: number;
  /** Sample indices of the training and validation sets. */
  readonly split: { train: Int32Array; val: Int32Array };
  /** Samples per action in the training set, and the class weights derived from them. */
  readonly trainCounts: [number, number, number];
  readonly classWeights: number[];
  readonly normalizer: ObservationNormalizer | null;
  private readonly sink: BcSink;
  readonly net: PolicyNet;
  private readonly vars: tf.Variable[];
  private readonly bestVars: tf.Variable[];
  private readonly optimizer: Adam;
  private readonly rng: Rng;
  /** Scalars used every step, made once: creating a scalar per op costs more than the op on WASM. */
  private readonly k: Record<'one' | 'alpha' | 'beta' | 'gamma' | 'focalFloor' | 'weightDecay' | 'maxGradNorm' | 'normEps', tf.Scalar>;

  // data, normalized once; actions and strengths as given
  private readonly x: Float32Array;
  private readonly actions: Int32Array;
  private readonly strengths: Float32Array;
  private readonly valBatches: Batch[];

  // minibatch buffers, allocated once
  private readonly order: Int32Array;
  private readonly mbX: Float32Array;
  private readonly mbOneHot: Float32Array;
  private readonly mbStrength: Float32Array;
  private readonly mbCeWeight: Float32Array;
  private readonly mbMseWeight: Float32Array;
  private readonly mbMasks: Float32Array[];

  // progress, all part of a checkpoint
  epoch = 0;
  history: BcEpochMetrics[] = [];
  bestEpoch = 0;
  bestValLoss: number | null = null;
  private sinceBest = 0;
  private elapsedBefore = 0;

  /** A trainer with a fresh PolicyNet, or continuing from a checkpoint exactly where it was taken. */
  static async create(opts: { hp?: Partial<BcHyperparameters>; data: BcData; sink: BcSink; resume?: BcCheckpoint }): Promise<BcTrainer> {
    const trainer = new BcTrainer({ ...DEFAULT_BC, ...opts.hp }, opts.data, opts.sink);
    if (opts.resume) trainer.restore(opts.resume);
    return trainer;
  }

  private constructor(hp: BcHyperparameters, data: BcData, sink: BcSink) {
    const problems = validateBc(hp);
    if (problems.length) throw new Error(`invalid behavior-cloning hyperparameters: ${problems.join('; ')}`);
    this.hp = hp;
    this.sink = sink;
    const D = (this.width = data.width);
    const n = checkData(data);
    const M = hp.batch_size, H = hp.hidden_dim;
    this.actions = Int32Array.from(data.actions);
    this.strengths = Float32Array.from(data.strengths);

    // the order of random draws is fixed: split, initial weights, then training
    this.rng = new Rng(hp.seed);
    this.split = splitSamples(n, hp.val_fraction, hp.val_split, this.rng);
    if (this.split.train.length === 0) throw new Error(`no training samples: ${n} samples with val_fraction ${hp.val_fraction}`);
    const counts: [number, number, number] = [0, 0, 0];
    for (const i of this.split.train) counts[this.actions[i]]++;
    this.trainCounts = counts;
    this.classWeights = classWeights(counts);

    // PolicyNet: orthogonal init from the run's Rng (gain √2 for ReLU layers, 0.01 for the heads so
    // training starts from uniform action probabilities and strength 0.5); zero biases
    this.net = new PolicyNet(D, H, hp.num_layers, this.rng);
    this.vars = this.net.vars;
    this.bestVars = this.vars.map((v) => tf.variable(v, false));
    // PyTorch's Adam / AdamW eps (1e-8); AdamW decays inside the optimizer, Adam's L2 goes into the gradient
    this.optimizer = new Adam(this.vars, hp.learning_rate, 0.9, 0.999, 1e-8, hp.optimizer === 'adamw' ? hp.weight_decay : 0);
    this.k = {
      one: tf.scalar(1), alpha: tf.scalar(hp.alpha), beta: tf.scalar(hp.beta), gamma: tf.scalar(hp.focal_gamma), focalFloor: tf.scalar(1e-12),
      weightDecay: tf.scalar(hp.weight_decay), maxGradNorm: tf.scalar(hp.max_grad_norm ?? 1), normEps: tf.scalar(1e-6),
    };

    // inputs standardized with the training set's statistics (PPO's normalizer, so the state travels the same way)
    this.x = new Float32Array(n * D);
    if (hp.normalize_inputs) {
      this.normalizer = new ObservationNormalizer(D);
      const trainStates = new Float32Array(this.split.train.length * D);
      this.split.train.forEach((s, j) => trainStates.set(data.states.subarray(s * D, s * D + D), j * D));
      this.normalizer.update(trainStates, this.split.train.length);
      this.normalizer.normalize(data.states, this.x, n);
    } else {
      this.normalizer = null;
      this.x.set(data.states);
    }

    this.order = new Int32Array(this.split.train.length);
    this.mbX = new Float32Array(M * D);
    this.mbOneHot = new Float32Array(M * NUM_ACTIONS);
    this.mbStrength = new Float32Array(M);
    this.mbCeWeight = new Float32Array(M);
    this.mbMseWeight = new Float32Array(M);
    this.mbMasks = Array.from({ length: hp.dropout > 0 ? hp.num_layers : 0 }, () => new Float32Array(M * H));
    this.net.normalizer = this.normalizer;

    // the validation set never changes: upload it once, in fixed-shape batches
    this.valBatches = [];
    const val = this.split.val;
    for (let start = 0; start < val.length; start += M) {
      const rows = Math.min(M, val.length - start);
      this.valBatches.push(this.uploadBatch(rows, this.gatherBatch(val, start, rows), true));
    }
  }

  /**
   * Copies samples order[start .. start+rows) into the minibatch buffers; the rest of the batch
   * (rows .. batch_size-1) is padding of weight 0. Returns the batch's Σ class weight.
   */
  private gatherBatch(order: Int32Array, start: number, rows: number): number {
    const M = this.hp.batch_size, D = this.width;
    const weighted = this.hp.imbalance === 'weighted';
    this.mbOneHot.fill(0);
    this.mbCeWeight.fill(0);
    this.mbMseWeight.fill(0);
    let ceDenominator = 0;
    for (let j = 0; j < rows; j++) {
      const s = order[start + j];
      const a = this.actions[s];
      this.mbX.set(this.x.subarray(s * D, s * D + D), j * D);
      this.mbOneHot[j * NUM_ACTIONS + a] = 1;
      this.mbStrength[j] = this.strengths[s];
      this.mbCeWeight[j] = weighted ? this.classWeights[a] : 1;
      ceDenominator += this.mbCeWeight[j];
    }
    this.mbX.fill(0, rows * D, M * D);
    this.mbStrength.fill(0, rows, M);
    // PyTorch's weighted CrossEntropyLoss: Σ w_y·ce / Σ w_y over the batch
    for (let j = 0; j < rows; j++) {
      this.mbCeWeight[j] /= ceDenominator;
      this.mbMseWeight[j] = 1 / rows;
    }
    return ceDenominator;
  }

  /**
   * The minibatch buffers as tensors (the caller disposes them). The CPU backend keeps the array it
   * is given, so a batch that outlives the next gatherBatch (validation) must upload copies.
   */
  private uploadBatch(rows: number, ceDenominator: number, copy = false): Batch {
    const M = this.hp.batch_size;
    const own = (a: Float32Array) => (copy ? a.slice() : a);
    return {
      x: tf.tensor2d(own(this.mbX), [M, this.width]),
      oneHot: tf.tensor2d(own(this.mbOneHot), [M, NUM_ACTIONS]),
      strength: tf.tensor1d(own(this.mbStrength)),
      ceWeight: tf.tensor1d(own(this.mbCeWeight)),
      mseWeight: tf.tensor1d(own(this.mbMseWeight)),
      rows,
      ceDenominator,
    };
  }

  /**
   * The loss α·CE + β·MSE of a batch, and its figures stacked as [CE term, MSE, accuracy].
   * The CE term is the class-weighted mean for 'weighted', the focal loss (1 − p_t)^γ·CE for
   * 'focal', plain CE otherwise (oversampling changes the batches, not the loss).
   */
  private loss(out: tf.Tensor2D, b: Batch): { total: tf.Scalar; stats: tf.Tensor1D } {
    const M = this.hp.batch_size;
    const k = this.k;
    const logits = tf.slice(out, [0, 0], [M, NUM_ACTIONS]);
    const strengthLogit = tf.reshape(tf.slice(out, [0, NUM_ACTIONS], [M, 1]), [M]);
    const logp = tf.logSoftmax(logits);
    // log-probability of the teacher's action: a one-hot mask, not gather (WASM has no UnsortedSegmentSum)
    const targetLogp = tf.sum(tf.mul(logp, b.oneHot), 1);
    let perSample = tf.neg(targetLogp);
    if (this.hp.imbalance === 'focal') {
      // (1 − p_t)^γ, its base kept off 0 so that γ < 1 cannot make an infinite gradient at p_t = 1
      const pt = tf.exp(targetLogp);
      perSample = tf.mul(tf.pow(tf.maximum(tf.sub(k.one, pt), k.focalFloor), k.gamma), perSample);
    }
    const ce = tf.sum(tf.mul(perSample, b.ceWeight));
    const strength = tf.sigmoid(strengthLogit);
    const mse = tf.sum(tf.mul(tf.square(tf.sub(strength, b.strength)), b.mseWeight));
    const total = tf.add(tf.mul(ce, k.alpha), tf.mul(mse, k.beta)) as tf.Scalar;
    // a hit: the teacher's action has the largest log-probability
    const hit = tf.cast(tf.greaterEqual(targetLogp, tf.max(logp, 1)), 'float32');
    const accuracy = tf.sum(tf.mul(hit, b.mseWeight));
    return { total, stats: tf.stack([ce, mse, accuracy]) as tf.Tensor1D };
  }

  /** Fresh dropout masks: each unit kept with probability 1 − p and scaled by 1 / (1 − p) (inverted dropout). */
  private fillDropoutMasks(): void {
    const p = this.hp.dropout, keepScale = 1 / (1 - p);
    for (const mask of this.mbMasks) {
      for (let i = 0; i < mask.length; i++) mask[i] = this.rng.next() < p ? 0 : keepScale;
    }
  }

  /** One gradient step on the gathered minibatch; returns its [CE term, MSE, accuracy] (kept). */
  private trainStep(rows: number, ceDenominator: number): { stats: tf.Tensor1D; rows: number; ceDenominator: number } {
    const M = this.hp.batch_size, H = this.hp.hidden_dim;
    const k = this.k;
    this.fillDropoutMasks();
    const batch = this.uploadBatch(rows, ceDenominator);
    const masks = this.mbMasks.map((m) => tf.tensor2d(m, [M, H]));
    let stats: tf.Tensor1D | null = null;
    const { value, grads } = tf.variableGrads(() => {
      const { total, stats: s } = this.loss(this.net.forward(batch.x, masks.length ? masks : null), batch);
      stats = tf.keep(s);
      return total;
    }, this.vars);
    tf.tidy(() => {
      let list = this.vars.map((v) => grads[v.name]);
      // Adam's weight decay is L2: the gradient of (wd / 2)·‖w‖² added to every gradient
      if (this.hp.optimizer === 'adam' && this.hp.weight_decay > 0) list = list.map((g, i) => tf.add(g, tf.mul(this.vars[i], k.weightDecay)));
      let scale = k.one;
      if (this.hp.max_grad_norm !== null) {
        // global-norm clipping folded into Adam: every gradient scaled by min(1, max_norm / ‖g‖)
        const norm = tf.sqrt(tf.addN(list.map((g) => tf.sum(tf.square(g)))));
        scale = tf.minimum(k.one, tf.div(k.maxGradNorm, tf.add(norm, k.normEps)));
      }
      this.optimizer.apply(list, scale);
    });
    this.net.changed();
    tf.dispose([value, batch.x, batch.oneHot, batch.strength, batch.ceWeight, batch.mseWeight, ...masks]);
    tf.dispose(Object.values(grads));
    return { stats: stats!, rows, ceDenominator };
  }

  /** This epoch's training order: a seeded shuffle, or (oversample) class-balanced draws with replacement. */
  private epochOrder(): Int32Array {
    const train = this.split.train, order = this.order, n = train.length;
    if (this.hp.imbalance === 'oversample') {
      // WeightedRandomSampler with weights total / (3 · count): every class equally likely, then a
      // uniform sample of that class; as many draws as training samples
      const byClass: number[][] = [[], [], []];
      for (const s of train) byClass[this.actions[s]].push(s);
      const present = byClass.filter((c) => c.length > 0);
      for (let i = 0; i < n; i++) {
        const members = present[this.rng.int(present.length)];
        order[i] = members[this.rng.int(members.length)];
      }
      return order;
    }
    order.set(train);
    for (let i = n - 1; i > 0; i--) {
      const j = this.rng.int(i + 1);
      const t = order[i]; order[i] = order[j]; order[j] = t;
    }
    return order;
  }

  /** Trains until max_epochs, early stopping, or a stop request; reports every epoch. */
  async train(control: BcTrainControl = {}): Promise<'completed' | 'stopped' | 'early_stopped'> {
    const hp = this.hp, M = hp.batch_size;
    const startedAt = performance.now();
    const elapsedAtStart = this.elapsedBefore;
    const elapsed = () => elapsedAtStart + (performance.now() - startedAt) / 1000;
    const hasVal = this.split.val.length > 0;
    while (this.epoch < hp.max_epochs) {
      await control.waitIfPaused?.();
      if (control.stopRequested?.()) {
        this.elapsedBefore = elapsed();
        await this.sink.checkpoint(await this.checkpoint('final', 'stopped'));
        return 'stopped';
      }
      const epochStart = performance.now();
      const order = this.epochOrder();
      const steps: { stats: tf.Tensor1D; rows: number; ceDenominator: number }[] = [];
      for (let start = 0; start < order.length; start += M) {
        const rows = Math.min(M, order.length - start);
        steps.push(this.trainStep(rows, this.gatherBatch(order, start, rows)));
      }
      const valStats = this.valBatches.map((b) => tf.tidy(() => this.loss(this.net.forward(b.x, null), b).stats));
      // one read-back per epoch
      const stacked = tf.stack([...steps.map((s) => s.stats), ...valStats]);
      const values = (await stacked.data()) as Float32Array;
      tf.dispose([stacked, ...steps.map((s) => s.stats), ...valStats]);
      this.epoch += 1;

      const train = combine(values, 0, steps);
      const val = hasVal ? combine(values, steps.length, this.valBatches) : null;
      const trainLoss = hp.alpha * train.ce + hp.beta * train.mse;
      const valLoss = val ? hp.alpha * val.ce + hp.beta * val.mse : null;
      if (!Number.isFinite(trainLoss)) throw new BcDivergedError(this.epoch, 'the training loss');
      if (valLoss !== null && !Number.isFinite(valLoss)) throw new BcDivergedError(this.epoch, 'the validation loss');

      // early stopping: the best weights are copied on the device, no read-back
      const improved = valLoss === null || this.bestValLoss === null || valLoss < this.bestValLoss;
      if (improved) {
        this.bestValLoss = valLoss;
        this.bestEpoch = this.epoch;
        this.sinceBest = 0;
        tf.tidy(() => this.vars.forEach((v, i) => this.bestVars[i].assign(v)));
      } else this.sinceBest += 1;

      const seconds = (performance.now() - epochStart) / 1000;
      const samplesPerSecond = order.length / seconds;
      const metrics: BcEpochMetrics = {
        epoch: this.epoch,
        train_loss: trainLoss,
        val_loss: valLoss,
        train_acc: train.accuracy,
        val_acc: val ? val.accuracy : null,
        train_ce: train.ce,
        train_mse: train.mse,
        val_ce: val ? val.ce : null,
        val_mse: val ? val.mse : null,
        learning_rate: this.optimizer.learningRate,
        samples_per_s: samplesPerSecond,
        best_epoch: this.bestEpoch,
        best_val_loss: this.bestValLoss,
        timestamp: pythonIsoTime(),
      };
      this.history.push(metrics);
      await this.sink.epoch(metrics);
      if (improved && hasVal) {
        this.elapsedBefore = elapsed();
        await this.sink.checkpoint(await this.checkpoint('best', 'training'));
      }
      control.progress?.({
        epoch: this.epoch,
        total: hp.max_epochs,
        samplesPerSecond,
        secondsLeft: (hp.max_epochs - this.epoch) * seconds,
        valLoss,
      });
      if (hasVal && this.sinceBest >= hp.patience) return this.finish('early_stopped', elapsed);
      // let other tasks (pause / stop messages, the page) run between epochs
      await new Promise((r) => setTimeout(r, 0));
    }
    return this.finish('completed', elapsed);
  }

  /** Restores the best weights and writes the final checkpoint. */
  private async finish<S extends 'completed' | 'early_stopped'>(status: S, elapsed: () => number): Promise<S> {
    this.useBestWeights();
    this.elapsedBefore = elapsed();
    await this.sink.checkpoint(await this.checkpoint('final', status));
    return status;
  }

  /** Puts the best weights so far (lowest validation loss) into the network. */
  useBestWeights(): void {
    if (this.bestEpoch > 0) tf.tidy(() => this.bestVars.forEach((b, i) => this.vars[i].assign(b)));
    this.net.changed();
  }

  async checkpoint(kind: 'best' | 'final', status: BcStatus): Promise<BcCheckpoint> {
    const weights = await readVariables(this.vars);
    // after a stop request the network holds the last epoch's weights; the best travel beside them
    const bestWeights = status === 'stopped' && this.bestEpoch !== this.epoch ? await readVariables(this.bestVars) : null;
    return {
      kind,
      epoch: this.epoch,
      status,
      width: this.width,
      hidden_dim: this.hp.hidden_dim,
      num_layers: this.hp.num_layers,
      weights,
      optimizer: await this.optimizer.getState(),
      learningRate: this.optimizer.learningRate,
      normalizer: this.normalizer?.getState() ?? null,
      rng: this.rng.getState(),
      bestEpoch: this.bestEpoch,
      bestValLoss: this.bestValLoss,
      epochsWithoutImprovement: this.sinceBest,
      bestWeights,
      history: this.history.map((h) => ({ ...h })),
      elapsedSeconds: this.elapsedBefore,
      timestamp: pythonIsoTime(),
    };
  }

  private restore(c: BcCheckpoint): void {
    if (c.width !== this.width || c.hidden_dim !== this.hp.hidden_dim || c.num_layers !== this.hp.num_layers) {
      throw new Error(`the checkpoint is for ${c.width} inputs, hidden_dim ${c.hidden_dim}, num_layers ${c.num_layers}; this run has ${this.width}, ${this.hp.hidden_dim}, ${this.hp.num_layers}`);
    }
    if (c.bestWeights === null && c.status === 'stopped' && c.bestEpoch !== c.epoch) {
      throw new Error(`the checkpoint holds epoch ${c.epoch}'s weights but not the best ones (epoch ${c.bestEpoch}) it needs to continue`);
    }
    assignVariables(this.vars, c.weights);
    assignVariables(this.bestVars, c.bestWeights ?? c.weights);
    this.net.changed();
    this.optimizer.setState(c.optimizer);
    this.optimizer.learningRate = c.learningRate;
    if (this.normalizer && c.normalizer) this.normalizer.setState(c.normalizer);
    this.rng.setState(c.rng);
    this.epoch = c.epoch;
    this.bestEpoch = c.bestEpoch;
    this.bestValLoss = c.bestValLoss;
    this.sinceBest = c.epochsWithoutImprovement;
    this.history = c.history.map((h) => ({ ...h }));
    this.elapsedBefore = c.elapsedSeconds;
  }

  /** Accuracy, per-class report and confusion matrix on the validation set (or on given samples). */
  async evaluate(samples: Int32Array = this.split.val): Promise<ClassifierReport> {
    const D = this.width;
    const states = new Float32Array(samples.length * D);
    const actual = new Int32Array(samples.length);
    // the states are taken already normalized, from the training copy
    samples.forEach((s, j) => { states.set(this.x.subarray(s * D, s * D + D), j * D); actual[j] = this.actions[s]; });
    const predicted = await this.net.predictNormalized(states);
    return evaluateClassifier(predicted, actual);
  }

  /** The signs of overfitting in this run's curves (seed 002's rules). */
  overfittingSigns(): string[] {
    return overfittingSigns(this.history);
  }

  /** Greedy action, strength and probabilities of one raw state (host copies of the weights: a fraction of a millisecond). */
  predict(state: Float32Array): Promise<BcPrediction> {
    return this.net.predict(state);
  }

  /** Greedy actions, strengths and probabilities (row-major [n, 3]) of raw states (row-major [n, width]). */
  predictBatch(states: Float32Array): Promise<BatchPrediction & { probs: Float32Array }> {
    return this.net.predictBatch(states);
  }

  dispose(): void {
    this.net.dispose();
    tf.dispose(this.bestVars);
    this.optimizer.dispose();
    tf.dispose(Object.values(this.k));
    for (const b of this.valBatches) tf.dispose([b.x, b.oneHot, b.strength, b.ceWeight, b.mseWeight]);
  }
}
