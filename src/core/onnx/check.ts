// Whether bytes are an ONNX model at all (an imported run's model.onnx): they parse as a ModelProto
// with an IR version, an operator set and a graph that has inputs, outputs and nodes. What the
// graph computes is not judged here. Pure: no DOM, no TensorFlow.js.
import { decodeModel, type ModelInit } from './proto';

/** What is wrong with bytes that should hold an ONNX model, or null when they look like one. */
export function onnxModelProblem(bytes: Uint8Array): string | null {
  let model: ModelInit;
  try {
    model = decodeModel(bytes);
  } catch (e) {
    return `not an ONNX model (${(e as Error).message})`;
  }
  const g = model.graph;
  if (!model.irVersion) return 'not an ONNX model: it has no IR version';
  if (!model.opsetImport?.length) return 'not an ONNX model: it imports no operator set';
  if (!g || !g.input?.length || !g.output?.length || !g.node?.length) return 'not an ONNX model: it has no graph with inputs, outputs and nodes';
  return null;
}
