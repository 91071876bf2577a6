// The part of ONNX's protobuf schema (onnx/onnx.proto, package onnx, proto2) a policy needs, as
// a descriptor @bufbuild/protobuf encodes and decodes with: field names and numbers as onnx.proto
// has them, so the library writes the wire format and nothing here does. Oneofs (TypeProto's
// value, Dimension's value) are plain optional fields: on the wire they are the same bytes.
// Pure: no DOM, no TensorFlow.js.
import { create, createFileRegistry, fromBinary, toBinary, type DescMessage } from '@bufbuild/protobuf';
import { FieldDescriptorProto_Label as Label, FieldDescriptorProto_Type as Type, FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';

type FieldKind = 'string' | 'bytes' | 'int64' | 'int32' | 'float' | `.onnx.${string}`;

const SCALAR_TYPES: Record<Exclude<FieldKind, `.onnx.${string}`>, Type> = {
  string: Type.STRING, bytes: Type.BYTES, int64: Type.INT64, int32: Type.INT32, float: Type.FLOAT,
};

/** One field of a message: its name, number and type (a scalar, or another message by its full name). */
function field(name: string, number: number, kind: FieldKind, repeated = false) {
  const message = kind.startsWith('.');
  return {
    name, number,
    label: repeated ? Label.REPEATED : Label.OPTIONAL,
    type: message ? Type.MESSAGE : SCALAR_TYPES[kind as keyof typeof SCALAR_TYPES],
    ...(message ? { typeName: kind } : {}),
  };
}
const repeated = (name: string, number: number, kind: FieldKind) => field(name, number, kind, true);

const ONNX_FILE = create(FileDescriptorProtoSchema, {
  name: 'onnx/onnx.proto',
  package: 'onnx',
  syntax: 'proto2',
  messageType: [
    {
      name: 'ModelProto',
      field: [
        field('ir_version', 1, 'int64'), repeated('opset_import', 8, '.onnx.OperatorSetIdProto'),
        field('producer_name', 2, 'string'), field('producer_version', 3, 'string'), field('domain', 4, 'string'),
        field('model_version', 5, 'int64'), field('doc_string', 6, 'string'), field('graph', 7, '.onnx.GraphProto'),
        repeated('metadata_props', 14, '.onnx.StringStringEntryProto'),
      ],
    },
    { name: 'StringStringEntryProto', field: [field('key', 1, 'string'), field('value', 2, 'string')] },
    { name: 'OperatorSetIdProto', field: [field('domain', 1, 'string'), field('version', 2, 'int64')] },
    {
      name: 'GraphProto',
      field: [
        repeated('node', 1, '.onnx.NodeProto'), field('name', 2, 'string'), repeated('initializer', 5, '.onnx.TensorProto'),
        field('doc_string', 10, 'string'), repeated('input', 11, '.onnx.ValueInfoProto'), repeated('output', 12, '.onnx.ValueInfoProto'),
        repeated('value_info', 13, '.onnx.ValueInfoProto'),
      ],
    },
    {
      name: 'NodeProto',
      field: [
        repeated('input', 1, 'string'), repeated('output', 2, 'string'), field('name', 3, 'string'), field('op_type', 4, 'string'),
        field('domain', 7, 'string'), repeated('attribute', 5, '.onnx.AttributeProto'), field('doc_string', 6, 'string'),
      ],
    },
    {
      // type is AttributeProto.AttributeType, an enum: an int32 on the wire
      name: 'AttributeProto',
      field: [
        field('name', 1, 'string'), field('doc_string', 13, 'string'), field('type', 20, 'int32'),
        field('f', 2, 'float'), field('i', 3, 'int64'), field('s', 4, 'bytes'), field('t', 5, '.onnx.TensorProto'),
        repeated('floats', 7, 'float'), repeated('ints', 8, 'int64'),
      ],
    },
    { name: 'ValueInfoProto', field: [field('name', 1, 'string'), field('type', 2, '.onnx.TypeProto'), field('doc_string', 3, 'string')] },
    {
      name: 'TensorProto',
      field: [repeated('dims', 1, 'int64'), field('data_type', 2, 'int32'), field('name', 8, 'string'), field('doc_string', 12, 'string'), field('raw_data', 9, 'bytes')],
    },
    {
      name: 'TypeProto',
      field: [field('tensor_type', 1, '.onnx.TypeProto.Tensor'), field('denotation', 6, 'string')],
      nestedType: [{ name: 'Tensor', field: [field('elem_type', 1, 'int32'), field('shape', 2, '.onnx.TensorShapeProto')] }],
    },
    {
      name: 'TensorShapeProto',
      field: [repeated('dim', 1, '.onnx.TensorShapeProto.Dimension')],
      nestedType: [{ name: 'Dimension', field: [field('dim_value', 1, 'int64'), field('dim_param', 2, 'string'), field('denotation', 3, 'string')] }],
    },
  ],
});

const REGISTRY = createFileRegistry(ONNX_FILE, () => undefined);
const MODEL_PROTO: DescMessage = REGISTRY.getMessage('onnx.ModelProto')!;

/** TensorProto.DataType values the lab writes. */
export const DataType = { FLOAT: 1, INT64: 7, DOUBLE: 11 } as const;
/** AttributeProto.AttributeType values the lab writes. */
export const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7 } as const;

// The messages as plain objects, field names as @bufbuild/protobuf spells them (camelCase).
export interface TensorInit {
  name: string;
  dims: bigint[];
  dataType: number;
  rawData: Uint8Array;
  docString?: string;
}
export interface AttributeInit {
  name: string;
  type: number;
  f?: number;
  i?: bigint;
  s?: Uint8Array;
  ints?: bigint[];
}
export interface NodeInit {
  name: string;
  opType: string;
  input: string[];
  output: string[];
  attribute?: AttributeInit[];
  docString?: string;
}
export interface ValueInfoInit {
  name: string;
  docString?: string;
  type: { tensorType: { elemType: number; shape: { dim: ({ dimValue: bigint } | { dimParam: string })[] } } };
}
export interface ModelInit {
  irVersion: bigint;
  opsetImport: { domain: string; version: bigint }[];
  producerName: string;
  producerVersion: string;
  docString: string;
  graph: { name: string; docString?: string; node: NodeInit[]; initializer: TensorInit[]; input: ValueInfoInit[]; output: ValueInfoInit[] };
  metadataProps: { key: string; value: string }[];
}

/** A ModelProto's bytes. */
export function encodeModel(model: ModelInit): Uint8Array {
  return toBinary(MODEL_PROTO, create(MODEL_PROTO, model as unknown as Record<string, unknown>));
}

/** A ModelProto read back (the fields above; anything else is kept as unknown fields). Throws on bytes that are not protobuf. */
export function decodeModel(bytes: Uint8Array): ModelInit {
  return fromBinary(MODEL_PROTO, bytes) as unknown as ModelInit;
}
