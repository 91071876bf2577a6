// A trained policy as an ONNX model: raw observations in, action probabilities out, so onnxruntime
// in any language (Python, C#, the browser) runs it unchanged. Built from stored weights alone
// (no TensorFlow.js), so the core, the command line, the worker and the model registry can all
// write it. Opset 13 (onnxruntime 1.7 and later, every current converter), IR version 7.
//
//   observations [batch, D] float32
//     → normalizer (where the policy has one), in float64 exactly as the lab computes it:
//       Cast(double) → Sub(mean) → Mul(1 / sqrt(var + 1e-8)) → Clip(-clip, clip) → Cast(float)
//     → per hidden layer: Gemm(kernel [in, out], bias) → Tanh or Relu
//     → Gemm → logits [batch, A] → Softmax → action_probs [batch, A]
//     → (behavior cloning) Gemm → Sigmoid → strength [batch, 1]
//
// Why the normalizer stays as nodes rather than folded into the first Gemm: the clip comes after
// the scaling and before the layer, so no weight change can stand for it. Why float64: the lab
// normalizes in float64 (Float64Array statistics) and stores float32; the same ops in double give
// the same float32 bit for bit, where float32 arithmetic loses digits on observations far larger
// than their spread (prices, balances).
//
// Action masks: the model has no mask input (ONNX has no optional graph input of a dynamic shape,
// and most callers' environments allow every action). The lab's masked policy is the softmax of
// the logits with disallowed actions removed, which equals action_probs with the disallowed
// ones set to 0 and the rest divided by their sum; its greedy action is the largest logit among
// the allowed ones. The model's doc string and metadata say so.
// Pure: no DOM, no TensorFlow.js.
import type { NormalizerState } from '../normalizer';
import { AttributeType, DataType, encodeModel, type AttributeInit, type NodeInit, type TensorInit, type ValueInfoInit } from './proto';

export const ONNX_OPSET = 13;
export const ONNX_IR_VERSION = 7;
export const ONNX_PRODUCER = 'rl-trading-lab';
/** The layout of the lab's policy models (names of inputs, outputs, metadata keys); raised when they change. */
export const ONNX_POLICY_FORMAT = '1';

export const INPUT_NAME = 'observations';
export const PROBS_NAME = 'action_probs';
export const LOGITS_NAME = 'logits';
export const STRENGTH_NAME = 'strength';

/** A dense layer's weights: kernel row-major [inputs, units], bias [units]. */
export interface DenseWeights {
  kernel: Float32Array;
  bias: Float32Array;
}

/** A policy network as plain weights, what an algorithm makes of its checkpoint for the ONNX export. */
export interface OnnxPolicy {
  normalizer: NormalizerState | null;
  /** Hidden layers, each followed by the activation. */
  hidden: DenseWeights[];
  activation: 'tanh' | 'relu';
  /** The action logits' layer (softmax gives the probabilities). */
  actions: DenseWeights;
  /** A strength head (behavior cloning's PolicyNet): one logit, sigmoid gives strength 0..1. */
  strength: DenseWeights | null;
  /** Also output the logits (on-policy policies, whose masked greedy action is the largest allowed logit). */
  logitsOutput: boolean;
  /** What the algorithm adds to the model's metadata (epochs, ...). */
  metadata: Record<string, string>;
}

/** What the model is, from its checkpoint and run: names and metadata. */
export interface OnnxModelInfo {
  /** The graph's name ("ppo_policy"). */
  name: string;
  obsSize: number;
  actionNames: readonly string[];
  /** One per observation slot where the environment or feature layout names them, else null. */
  observationNames: readonly string[] | null;
  /** The model's metadata beyond what the export writes itself (algorithm, env, step...). */
  metadata: Record<string, string>;
}

export interface OnnxTensorInfo {
  name: string;
  shape: (number | string)[];
  meaning: string;
}

/** The model's inputs and outputs in plain words, for a model card. */
export interface OnnxModelInterface {
  input: { name: string; shape: (number | string)[]; dtype: 'float32' };
  /** The main output, action probabilities. */
  output: OnnxTensorInfo;
  /** Every output, in the model's order. */
  outputs: OnnxTensorInfo[];
  /** One per observation slot, in order. */
  slots: { name: string; description?: string }[];
  /** How to apply an action mask to the output. */
  actionMask: string;
  opset: number;
}

export const MASK_RULE =
  'no mask input: for an environment that disallows actions, set their action_probs to 0 and divide the rest by their sum ' +
  '(the same as the lab\'s softmax over the allowed logits); the greedy action is the largest logit (or probability) among the allowed actions';

const f32Bytes = (v: Float32Array) => new Uint8Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength) as ArrayBuffer);
const f64Bytes = (v: Float64Array) => new Uint8Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength) as ArrayBuffer);

function floatTensor(name: string, dims: number[], values: Float32Array): TensorInit {
  return { name, dims: dims.map(BigInt), dataType: DataType.FLOAT, rawData: f32Bytes(values) };
}
function doubleTensor(name: string, dims: number[], values: Float64Array): TensorInit {
  return { name, dims: dims.map(BigInt), dataType: DataType.DOUBLE, rawData: f64Bytes(values) };
}
const intAttribute = (name: string, value: number): AttributeInit => ({ name, type: AttributeType.INT, i: BigInt(value) });
function valueInfo(name: string, width: number, docString: string): ValueInfoInit {
  return { name, docString, type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [{ dimParam: 'batch' }, { dimValue: BigInt(width) }] } } } };
}

/** The layer sizes, checked against each other: [obsSize, hidden..., actions]. */
function checkShapes(p: OnnxPolicy, obsSize: number, numActions: number): void {
  let width = obsSize;
  const check = (what: string, layer: DenseWeights, units: number) => {
    if (layer.bias.length !== units || layer.kernel.length !== width * units) {
      throw new Error(`ONNX export: ${what} has a ${layer.kernel.length}-value kernel and a ${layer.bias.length}-value bias, expected [${width}, ${units}] and [${units}]`);
    }
    for (const values of [layer.kernel, layer.bias]) {
      for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) throw new Error(`ONNX export: ${what} holds NaN or infinite weights`);
    }
  };
  p.hidden.forEach((layer, i) => {
    check(`hidden layer ${i}`, layer, layer.bias.length);
    width = layer.bias.length;
  });
  check('the action layer', p.actions, numActions);
  if (p.strength) check('the strength layer', p.strength, 1);
  if (p.normalizer && (p.normalizer.mean.length !== obsSize || p.normalizer.var.length !== obsSize)) {
    throw new Error(`ONNX export: the normalizer has ${p.normalizer.mean.length} features, the policy ${obsSize} inputs`);
  }
}

/** The ONNX model of a policy, and its interface in words. Deterministic: the same policy gives the same bytes. */
export function policyOnnx(p: OnnxPolicy, info: OnnxModelInfo): { bytes: Uint8Array; interface: OnnxModelInterface } {
  const D = info.obsSize, A = info.actionNames.length;
  checkShapes(p, D, A);
  const nodes: NodeInit[] = [];
  const initializers: TensorInit[] = [];
  let x = INPUT_NAME;

  const n = p.normalizer;
  if (n) {
    // as ObservationNormalizer.normalize: z = (obs - mean) * (1 / sqrt(var + 1e-8)) in float64, clipped, stored float32
    const mean = Float64Array.from(n.mean);
    const scale = Float64Array.from(n.var, (v) => 1 / Math.sqrt(v + 1e-8));
    initializers.push(
      doubleTensor('normalizer/mean', [D], mean),
      doubleTensor('normalizer/inv_std', [D], scale),
      doubleTensor('normalizer/clip_low', [], Float64Array.of(-n.clip)),
      doubleTensor('normalizer/clip_high', [], Float64Array.of(n.clip)),
    );
    nodes.push(
      { name: 'normalize/to_double', opType: 'Cast', input: [x], output: ['normalize/observations_f64'], attribute: [intAttribute('to', DataType.DOUBLE)] },
      { name: 'normalize/center', opType: 'Sub', input: ['normalize/observations_f64', 'normalizer/mean'], output: ['normalize/centered'] },
      { name: 'normalize/scale', opType: 'Mul', input: ['normalize/centered', 'normalizer/inv_std'], output: ['normalize/scaled'] },
      { name: 'normalize/clip', opType: 'Clip', input: ['normalize/scaled', 'normalizer/clip_low', 'normalizer/clip_high'], output: ['normalize/clipped'] },
      { name: 'normalize/to_float', opType: 'Cast', input: ['normalize/clipped'], output: ['normalized_observations'], attribute: [intAttribute('to', DataType.FLOAT)] },
    );
    x = 'normalized_observations';
  }

  /** output = input · kernel + bias, kernel [inputs, units] as stored (Gemm, no transposes). */
  const dense = (prefix: string, layer: DenseWeights, input: string, inputs: number, output: string) => {
    const units = layer.bias.length;
    initializers.push(floatTensor(`${prefix}/kernel`, [inputs, units], layer.kernel), floatTensor(`${prefix}/bias`, [units], layer.bias));
    nodes.push({ name: `${prefix}/gemm`, opType: 'Gemm', input: [input, `${prefix}/kernel`, `${prefix}/bias`], output: [output] });
  };
  let width = D;
  const activation = p.activation === 'relu' ? 'Relu' : 'Tanh';
  p.hidden.forEach((layer, i) => {
    dense(`hidden_${i}`, layer, x, width, `hidden_${i}/linear`);
    nodes.push({ name: `hidden_${i}/${activation.toLowerCase()}`, opType: activation, input: [`hidden_${i}/linear`], output: [`hidden_${i}`] });
    width = layer.bias.length;
    x = `hidden_${i}`;
  });
  dense('action_head', p.actions, x, width, LOGITS_NAME);
  nodes.push({ name: 'action_head/softmax', opType: 'Softmax', input: [LOGITS_NAME], output: [PROBS_NAME], attribute: [intAttribute('axis', -1)] });

  const actionsText = info.actionNames.map((name, i) => `${i} ${name}`).join(', ');
  const outputs: OnnxTensorInfo[] = [{ name: PROBS_NAME, shape: ['batch', A], meaning: `action probabilities (softmax of the logits), columns ${actionsText}` }];
  if (p.logitsOutput) outputs.push({ name: LOGITS_NAME, shape: ['batch', A], meaning: 'action logits before the softmax: the greedy action is the largest among the allowed actions' });
  if (p.strength) {
    dense('strength_head', p.strength, x, width, 'strength_logit');
    nodes.push({ name: 'strength_head/sigmoid', opType: 'Sigmoid', input: ['strength_logit'], output: [STRENGTH_NAME] });
    outputs.push({ name: STRENGTH_NAME, shape: ['batch', 1], meaning: 'position strength 0..1 (sigmoid)' });
  }

  const normalization = n
    ? `clip((obs - mean) / sqrt(var + 1e-8), -${n.clip}, ${n.clip}) inside the model (metadata "normalizer")`
    : 'none: the policy takes observations as they are';
  const docString = [
    `${info.name}: raw observations "${INPUT_NAME}" [batch, ${D}] float32 in; normalization: ${normalization}.`,
    ...outputs.map((o) => `Output "${o.name}" [${o.shape.join(', ')}]: ${o.meaning}.`),
    `Action mask: ${MASK_RULE}.`,
  ].join('\n');
  const metadata: Record<string, string> = {
    ...info.metadata,
    ...p.metadata,
    format: ONNX_POLICY_FORMAT,
    action_names: JSON.stringify(info.actionNames),
    ...(info.observationNames ? { observation_names: JSON.stringify(info.observationNames) } : {}),
    normalizer: n ? JSON.stringify({ mean: n.mean, var: n.var, count: n.count, clip: n.clip, epsilon: 1e-8 }) : 'none',
    hidden_activation: p.activation,
    outputs: outputs.map((o) => o.name).join(', '),
    action_mask: MASK_RULE,
  };
  const bytes = encodeModel({
    irVersion: BigInt(ONNX_IR_VERSION),
    opsetImport: [{ domain: '', version: BigInt(ONNX_OPSET) }],
    producerName: ONNX_PRODUCER,
    producerVersion: ONNX_POLICY_FORMAT,
    docString,
    graph: {
      name: info.name,
      node: nodes,
      initializer: initializers,
      input: [valueInfo(INPUT_NAME, D, `raw observations, ${D} slots${info.observationNames ? ` (${info.observationNames.join(', ')})` : ''}`)],
      output: outputs.map((o) => valueInfo(o.name, o.shape[1] as number, o.meaning)),
    },
    metadataProps: Object.entries(metadata).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, value]) => ({ key, value })),
  });
  return {
    bytes,
    interface: {
      input: { name: INPUT_NAME, shape: ['batch', D], dtype: 'float32' },
      output: outputs[0],
      outputs,
      slots: Array.from({ length: D }, (_, i) => ({ name: info.observationNames?.[i] ?? `obs_${i}` })),
      actionMask: MASK_RULE,
      opset: ONNX_OPSET,
    },
  };
}
