// A behavior-cloning PolicyNet as plain weights for the ONNX export (core/onnx/policy.ts): its
// ReLU hidden layers, and its [hidden_dim, 4] head split into the two outputs it stands for, the
// three action logits (softmax) and the strength logit (sigmoid), as model.json has them. The best
// weights where a stopped run kept them apart, as bcModelFiles and the trainer use. An ensemble's
// checkpoints are its members, one model each: the ensemble votes on actions and has no
// probabilities of its own to export. Pure: no TensorFlow.js.
import type { OnnxPolicy } from '../../core/onnx/policy';
import type { CheckpointEnvelope } from '../../core/run/contracts';
import { NUM_ACTIONS, type BcCheckpoint } from './types';

export function bcOnnx(c: CheckpointEnvelope): OnnxPolicy {
  const p = c.payload as BcCheckpoint;
  const weights = p.bestWeights ?? p.weights;
  const hidden = [];
  for (let i = 0; i < p.num_layers; i++) hidden.push({ kernel: weights[2 * i].values, bias: weights[2 * i + 1].values });
  const [kernel, bias] = weights.slice(2 * p.num_layers);
  const H = p.hidden_dim, heads = NUM_ACTIONS + 1;
  const actionKernel = new Float32Array(H * NUM_ACTIONS), strengthKernel = new Float32Array(H);
  for (let r = 0; r < H; r++) {
    for (let a = 0; a < NUM_ACTIONS; a++) actionKernel[r * NUM_ACTIONS + a] = kernel.values[r * heads + a];
    strengthKernel[r] = kernel.values[r * heads + NUM_ACTIONS];
  }
  return {
    normalizer: p.normalizer,
    hidden,
    activation: 'relu',
    actions: { kernel: actionKernel, bias: bias.values.slice(0, NUM_ACTIONS) },
    strength: { kernel: strengthKernel, bias: bias.values.slice(NUM_ACTIONS, NUM_ACTIONS + 1) },
    logitsOutput: false,
    metadata: { epoch: String(p.epoch), best_epoch: String(p.bestEpoch) },
  };
}
