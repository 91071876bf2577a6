// GRPO's objective in TensorFlow.js ops (TRL's GRPOTrainer loss): the clipped surrogate with an
// asymmetric upper clip, per-step weights by loss_type, and beta × the k3 KL to the reference.
// The learner's kernel path (learner.ts, trainMinibatchOnKernel) computes the same figures and
// their gradient on the host; test/unit/grpo.test.ts holds this one to TRL's numbers.
import * as tf from '@tensorflow/tfjs';

export interface ObjectiveConstants {
  one: tf.Scalar;
  /** 1 − epsilon and 1 + epsilon_high. */
  low: tf.Scalar;
  high: tf.Scalar;
  beta: tf.Scalar;
  zero: tf.Scalar;
}

export function objectiveConstants(epsilon: number, epsilonHigh: number, beta: number): ObjectiveConstants {
  return { one: tf.scalar(1), low: tf.scalar(1 - epsilon), high: tf.scalar(1 + epsilonHigh), beta: tf.scalar(beta), zero: tf.scalar(0) };
}

/**
 * The loss of one batch of steps and its statistics: `weights` aggregate the per-step loss by
 * loss_type (scorers.ts' stepWeights); `aliveShare` is 1 / (alive steps) on each alive step, for
 * the means the metrics report. refLogp null: no KL term (beta 0) and kl reported as 0.
 */
export function grpoObjective(newLogp: tf.Tensor1D, oldLogp: tf.Tensor1D, refLogp: tf.Tensor1D | null, advantages: tf.Tensor1D, weights: tf.Tensor1D, aliveShare: tf.Tensor1D, k: ObjectiveConstants) {
  const ratio = tf.exp(tf.sub(newLogp, oldLogp));
  const clipped = tf.minimum(tf.maximum(ratio, k.low), k.high);
  let perStep = tf.neg(tf.minimum(tf.mul(ratio, advantages), tf.mul(clipped, advantages)));
  let kl: tf.Scalar = k.zero;
  if (refLogp) {
    // k3: exp(ref − logp) − (ref − logp) − 1, never negative
    const d = tf.sub(refLogp, newLogp);
    const perStepKl = tf.sub(tf.sub(tf.exp(d), d), k.one);
    perStep = tf.add(perStep, tf.mul(k.beta, perStepKl));
    kl = tf.sum(tf.mul(perStepKl, aliveShare));
  }
  const loss = tf.sum(tf.mul(perStep, weights)) as tf.Scalar;
  const isLow = tf.cast(tf.logicalAnd(tf.less(ratio, k.low), tf.less(advantages, k.zero)), 'float32');
  const isHigh = tf.cast(tf.logicalAnd(tf.greater(ratio, k.high), tf.greater(advantages, k.zero)), 'float32');
  return {
    loss,
    kl,
    clipLow: tf.sum(tf.mul(isLow, aliveShare)) as tf.Scalar,
    clipHigh: tf.sum(tf.mul(isHigh, aliveShare)) as tf.Scalar,
    clipRegion: tf.sum(tf.mul(tf.maximum(isLow, isHigh), aliveShare)) as tf.Scalar,
  };
}
