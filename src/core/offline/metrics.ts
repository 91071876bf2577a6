// How well an offline policy does: classification metrics against the teacher's actions (the
// per-class report of seed 002, sklearn's definitions) and seed 002's signs of overfitting read
// from the training curves. Plain TypeScript: no TensorFlow.js.

export const CLASS_LABELS = ['HOLD', 'BUY', 'SELL'] as const;

export interface ClassReport {
  label: (typeof CLASS_LABELS)[number];
  /** Of the samples predicted as this class, the fraction that are (0 when none was predicted). */
  precision: number;
  /** Of the samples of this class, the fraction predicted as it (0 when there are none). */
  recall: number;
  f1: number;
  /** Samples of this class. */
  support: number;
}

export interface ClassifierReport {
  accuracy: number;
  /** Unweighted mean of the three classes' F1. */
  macroF1: number;
  perClass: ClassReport[];
  /** confusion[actual][predicted] counts. */
  confusion: number[][];
  /** Fraction of the samples predicted as HOLD, BUY, SELL. */
  predictedDistribution: number[];
  /** Fraction of the samples that are HOLD, BUY, SELL. */
  actualDistribution: number[];
}

/** Accuracy, per-class precision / recall / F1 / support and the confusion matrix of 3-class predictions. */
export function evaluateClassifier(predicted: ArrayLike<number>, actual: ArrayLike<number>): ClassifierReport {
  if (predicted.length !== actual.length) throw new Error(`${predicted.length} predictions for ${actual.length} actual labels`);
  const n = actual.length;
  const confusion = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
  for (let i = 0; i < n; i++) {
    const a = actual[i], p = predicted[i];
    if (!(a === 0 || a === 1 || a === 2)) throw new Error(`actual label ${a} at ${i} is not 0, 1 or 2`);
    if (!(p === 0 || p === 1 || p === 2)) throw new Error(`predicted label ${p} at ${i} is not 0, 1 or 2`);
    confusion[a][p]++;
  }
  const ratio = (x: number, y: number) => (y > 0 ? x / y : 0);
  const perClass = CLASS_LABELS.map((label, c) => {
    const tp = confusion[c][c];
    const support = confusion[c][0] + confusion[c][1] + confusion[c][2];
    const predictedCount = confusion[0][c] + confusion[1][c] + confusion[2][c];
    const precision = ratio(tp, predictedCount);
    const recall = ratio(tp, support);
    return { label, precision, recall, f1: ratio(2 * precision * recall, precision + recall), support };
  });
  return {
    accuracy: ratio(confusion[0][0] + confusion[1][1] + confusion[2][2], n),
    macroF1: (perClass[0].f1 + perClass[1].f1 + perClass[2].f1) / 3,
    perClass,
    confusion,
    predictedDistribution: [0, 1, 2].map((c) => ratio(confusion[0][c] + confusion[1][c] + confusion[2][c], n)),
    actualDistribution: [0, 1, 2].map((c) => ratio(confusion[c][0] + confusion[c][1] + confusion[c][2], n)),
  };
}

/** The fields of an epoch's metrics that the overfitting signs read (validation ones null without a validation set). */
export interface CurvePoint {
  epoch: number;
  train_loss: number;
  val_loss: number | null;
  train_acc: number;
  val_acc: number | null;
}

export const OVERFITTING_THRESHOLDS = {
  /** Validation loss above training loss by more than this. */
  lossGap: 0.2,
  /** Training accuracy above validation accuracy by more than this (10 percentage points). */
  accuracyGap: 0.1,
  /** The last validation loss above its minimum by more than this fraction counts as rising. */
  valLossRise: 0.02,
} as const;

/**
 * Seed 002's signs of overfitting, read at the last epoch: train loss well below validation loss
 * (gap > 0.2), train accuracy well above validation accuracy (gap > 10 points), and validation
 * loss rising after an initial decrease. One sentence per sign found; empty when none (or without
 * a validation set).
 */
export function overfittingSigns(history: readonly CurvePoint[]): string[] {
  const last = history[history.length - 1];
  if (!last || last.val_loss === null || last.val_acc === null) return [];
  const t = OVERFITTING_THRESHOLDS;
  const signs: string[] = [];
  const lossGap = last.val_loss - last.train_loss;
  if (lossGap > t.lossGap) {
    signs.push(`validation loss ${last.val_loss.toFixed(4)} is ${lossGap.toFixed(4)} above training loss ${last.train_loss.toFixed(4)} at epoch ${last.epoch} (gap > ${t.lossGap})`);
  }
  const accGap = last.train_acc - last.val_acc;
  if (accGap > t.accuracyGap) {
    signs.push(`training accuracy ${(last.train_acc * 100).toFixed(1)}% is ${(accGap * 100).toFixed(1)} points above validation accuracy ${(last.val_acc * 100).toFixed(1)}% at epoch ${last.epoch} (gap > ${t.accuracyGap * 100} points)`);
  }
  let best = 0;
  for (let i = 1; i < history.length; i++) if ((history[i].val_loss ?? Infinity) < (history[best].val_loss ?? Infinity)) best = i;
  const min = history[best].val_loss;
  if (best > 0 && best < history.length - 1 && min !== null && last.val_loss > min * (1 + t.valLossRise)) {
    signs.push(`validation loss rose from ${min.toFixed(4)} at epoch ${history[best].epoch} to ${last.val_loss.toFixed(4)} at epoch ${last.epoch} after decreasing`);
  }
  return signs;
}
