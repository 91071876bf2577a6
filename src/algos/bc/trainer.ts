// Behavior cloning (seed 002) in TensorFlow.js, every detail visible: PolicyNet (ReLU hidden
// layers with dropout, an action head of 3 logits and a sigmoid strength head; orthogonal initial
// weights), inputs standardized with the training split's statistics, the loss
// α·CE + β·MSE(strength), class-imbalance options (weighted CE, oversampling, focal loss), Adam or
// AdamW, a chronological or random validation split, early stopping on the validation loss that
// keeps (and finally restores) the best weights, and checkpoints.
//
// Speed: minibatches of one fixed shape (the last partial batch of an epoch is padded with rows of
// weight 0, so every sample counts and no shape changes) and one read-back per epoch; the step
// itself runs on the lab's WebAssembly kernel on the WASM backend (kernelEngine.ts) and in
// TensorFlow.js's ops elsewhere (engine.ts). Every random draw (split, shuffles, oversampling,
// dropout masks, initial weights) comes from the run's own seeded Rng, whose state a checkpoint
// stores.
import { Rng } from '../../core/rng';
import { pythonIsoTime } from '../../core/clock';
import { ObservationNormalizer } from '../../core/normalizer';
import { evaluateClassifier, overfittingSigns, type ClassifierReport } from '../../core/offline/metrics';
import { trainsOnKernel } from '../kernels/engine';
import { TfBcEngine, type BcBatch, type BcEngine, type BcPredictor } from './engine';
import { KernelBcEngine } from './kernelEngine';
import { DEFAULT_BC, validateBc, type BcHyperparameters } from './hyperparameters';
import { checkData, classWeights, combine, splitSamples } from './samples';
import {
  BcDivergedError, NUM_ACTIONS, type BatchPrediction, type BcCheckpoint, type BcData, type BcEpochMetrics, type BcPrediction, type BcSink, type BcStatus, type BcTrainControl,
} from './types';

export * from './types';
export { classWeights };

/** Real rows, and Σ class weight of a batch: how the epoch's figures weigh it. */
interface BatchShare {
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
  /** Where the arithmetic runs: the lab's kernel on the WASM backend, TensorFlow.js's ops elsewhere. */
  private readonly engine: BcEngine;
  private readonly rng: Rng;

  // data, normalized once; actions and strengths as given
  private readonly x: Float32Array;
  private readonly actions: Int32Array;
  private readonly strengths: Float32Array;
  private readonly valShares: BatchShare[] = [];

  // minibatch buffers, allocated once
  private readonly order: Int32Array;
  private readonly mb: BcBatch;

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
    const M = hp.batch_size;
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
    this.engine = trainsOnKernel() ? new KernelBcEngine(hp, D, this.rng) : new TfBcEngine(hp, D, this.rng);

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
    this.mb = {
      x: new Float32Array(M * D), oneHot: new Float32Array(M * NUM_ACTIONS), actions: new Int32Array(M), strength: new Float32Array(M),
      ceWeight: new Float32Array(M), mseWeight: new Float32Array(M),
    };
    this.engine.net.normalizer = this.normalizer;

    // the validation set never changes: gathered once, in fixed-shape batches
    const val = this.split.val;
    for (let start = 0; start < val.length; start += M) {
      const rows = Math.min(M, val.length - start);
      this.valShares.push({ rows, ceDenominator: this.gatherBatch(val, start, rows) });
      this.engine.addValidationBatch(this.mb);
    }
  }

  /** The network's predictions (on whichever path it trains). */
  get net(): BcPredictor {
    return this.engine.net;
  }

  /**
   * Copies samples order[start .. start+rows) into the minibatch buffers; the rest of the batch
   * (rows .. batch_size-1) is padding of weight 0. Returns the batch's Σ class weight.
   */
  private gatherBatch(order: Int32Array, start: number, rows: number): number {
    const M = this.hp.batch_size, D = this.width;
    const weighted = this.hp.imbalance === 'weighted';
    const mb = this.mb;
    mb.oneHot.fill(0);
    mb.ceWeight.fill(0);
    mb.mseWeight.fill(0);
    let ceDenominator = 0;
    for (let j = 0; j < rows; j++) {
      const s = order[start + j];
      const a = this.actions[s];
      // an element loop: a subarray per row costs more (allocation) than the copy
      for (let c = 0, from = s * D, to = j * D; c < D; c++) mb.x[to + c] = this.x[from + c];
      mb.oneHot[j * NUM_ACTIONS + a] = 1;
      mb.actions[j] = a;
      mb.strength[j] = this.strengths[s];
      mb.ceWeight[j] = weighted ? this.classWeights[a] : 1;
      ceDenominator += mb.ceWeight[j];
    }
    mb.x.fill(0, rows * D, M * D);
    mb.strength.fill(0, rows, M);
    mb.actions.fill(-1, rows, M);
    // PyTorch's weighted CrossEntropyLoss: Σ w_y·ce / Σ w_y over the batch
    for (let j = 0; j < rows; j++) {
      mb.ceWeight[j] /= ceDenominator;
      mb.mseWeight[j] = 1 / rows;
    }
    return ceDenominator;
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
      const steps: BatchShare[] = [];
      for (let start = 0; start < order.length; start += M) {
        const rows = Math.min(M, order.length - start);
        steps.push({ rows, ceDenominator: this.gatherBatch(order, start, rows) });
        this.engine.step(this.mb, this.rng);
      }
      // one read-back per epoch
      const values = await this.engine.epochFigures();
      this.epoch += 1;

      const train = combine(values, 0, steps);
      const val = hasVal ? combine(values, steps.length, this.valShares) : null;
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
        this.engine.keepBest();
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
        learning_rate: this.engine.learningRate,
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
    if (this.bestEpoch > 0) this.engine.useBest();
  }

  async checkpoint(kind: 'best' | 'final', status: BcStatus): Promise<BcCheckpoint> {
    const weights = await this.engine.weights();
    // after a stop request the network holds the last epoch's weights; the best travel beside them
    const bestWeights = status === 'stopped' && this.bestEpoch !== this.epoch ? await this.engine.bestWeights() : null;
    return {
      kind,
      epoch: this.epoch,
      status,
      width: this.width,
      hidden_dim: this.hp.hidden_dim,
      num_layers: this.hp.num_layers,
      weights,
      optimizer: await this.engine.optimizerState(),
      learningRate: this.engine.learningRate,
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
    this.engine.assign(c.weights, c.bestWeights ?? c.weights);
    this.engine.setOptimizerState(c.optimizer);
    this.engine.learningRate = c.learningRate;
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
    this.engine.dispose();
  }
}
