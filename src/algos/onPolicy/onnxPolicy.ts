// An on-policy checkpoint's policy (PPO's, GRPO's actor) as plain weights for the ONNX export
// (core/onnx/policy.ts): the first 2 × (hidden layers + 1) stored tensors are its kernels and
// biases in order (the value network's, or GRPO's KL reference, follow and are left out). Pure:
// no TensorFlow.js.
import type { OnnxPolicy } from '../../core/onnx/policy';
import type { CheckpointEnvelope } from '../../core/run/contracts';
import type { OnPolicyCheckpoint } from './runner';

export function onPolicyOnnx(c: CheckpointEnvelope): OnnxPolicy {
  const p = c.payload as OnPolicyCheckpoint;
  const tensors = p.weights.slice(0, 2 * (p.netArch.length + 1));
  const layers = [];
  for (let i = 0; i < tensors.length; i += 2) layers.push({ kernel: tensors[i].values, bias: tensors[i + 1].values });
  return {
    normalizer: p.normalizer,
    hidden: layers.slice(0, -1),
    activation: c.activation,
    actions: layers[layers.length - 1],
    strength: null,
    logitsOutput: true,
    metadata: { update: String(p.update) },
  };
}
