// A small WebAssembly binary writer: enough of the format (types, an imported memory, functions,
// exports, code) and of the instruction set (integer, float and SIMD128) to write numeric kernels
// from TypeScript. The lab writes its MLP kernels with it at run time (mlpModule.ts) instead of
// compiling a source language at build time: nothing to install, nothing binary in the repository,
// and each kernel is specialised to its network's shapes (constant strides and trip counts).
//
// Code is a tree of byte arrays (`Code`), written in the order the stack machine runs it: an
// operator's operands first, then its opcode. Opcodes as in the core and SIMD specifications.

export type Code = number | readonly Code[];

export const I32 = 0x7f, I64 = 0x7e, F32 = 0x7d, F64 = 0x7c, V128 = 0x7b;
export type ValueType = typeof I32 | typeof I64 | typeof F32 | typeof F64 | typeof V128;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) { out.push(byte); return out; }
    out.push(byte | 0x80);
  }
}

function flatten(code: Code, out: number[] = []): number[] {
  if (typeof code === 'number') out.push(code);
  else for (const c of code) flatten(c, out);
  return out;
}

const f32Bytes = (x: number) => [...new Uint8Array(Float32Array.of(x).buffer)];
const f64Bytes = (x: number) => [...new Uint8Array(Float64Array.of(x).buffer)];
const simd = (op: number): number[] => [0xfd, ...uleb(op)];

// ---- locals, constants, integer arithmetic
export const get = (local: number): Code => [0x20, ...uleb(local)];
export const set = (local: number, value: Code): Code => [value, 0x21, ...uleb(local)];
export const tee = (local: number, value: Code): Code => [value, 0x22, ...uleb(local)];
export const i32 = (n: number): Code => [0x41, ...sleb(n | 0)];
export const f32 = (x: number): Code => [0x43, ...f32Bytes(x)];
export const f64 = (x: number): Code => [0x44, ...f64Bytes(x)];
export const add = (a: Code, b: Code): Code => [a, b, 0x6a];
export const sub = (a: Code, b: Code): Code => [a, b, 0x6b];
export const mul = (a: Code, b: Code): Code => [a, b, 0x6c];
export const shl = (a: Code, b: Code): Code => [a, b, 0x74];
export const shrU = (a: Code, b: Code): Code => [a, b, 0x76];
export const xor = (a: Code, b: Code): Code => [a, b, 0x73];
export const and = (a: Code, b: Code): Code => [a, b, 0x71];
export const rotl = (a: Code, b: Code): Code => [a, b, 0x77];
export const ltS = (a: Code, b: Code): Code => [a, b, 0x48];
export const leS = (a: Code, b: Code): Code => [a, b, 0x4c];
export const ne = (a: Code, b: Code): Code => [a, b, 0x47];
/** local += n */
export const inc = (local: number, n: Code): Code => set(local, add(get(local), n));

// ---- scalar memory and floats
export const loadI32 = (addr: Code, offset = 0): Code => [addr, 0x28, 2, ...uleb(offset)];
export const storeI32 = (addr: Code, value: Code, offset = 0): Code => [addr, value, 0x36, 2, ...uleb(offset)];
export const loadF32 = (addr: Code, offset = 0): Code => [addr, 0x2a, 2, ...uleb(offset)];
export const storeF32 = (addr: Code, value: Code, offset = 0): Code => [addr, value, 0x38, 2, ...uleb(offset)];
export const i64FromU32 = (a: Code): Code => [a, 0xad];
export const i64LtU = (a: Code, b: Code): Code => [a, b, 0x54];
export const f64FromF32 = (a: Code): Code => [a, 0xbb];
export const f64Add = (a: Code, b: Code): Code => [a, b, 0xa0];
export const select = (ifTrue: Code, ifFalse: Code, cond: Code): Code => [ifTrue, ifFalse, cond, 0x1b];

// ---- SIMD128 (f32x4 unless named otherwise)
export const load = (addr: Code, offset = 0): Code => [addr, simd(0x00), 4, ...uleb(offset)];
export const store = (addr: Code, value: Code, offset = 0): Code => [addr, value, simd(0x0b), 4, ...uleb(offset)];
/** One f32 from memory in all four lanes. */
export const loadSplat = (addr: Code, offset = 0): Code => [addr, simd(0x09), 2, ...uleb(offset)];
export const splat = (x: Code): Code => [x, simd(0x13)];
export const vconst = (x: number): Code => [simd(0x0c), ...f32Bytes(x), ...f32Bytes(x), ...f32Bytes(x), ...f32Bytes(x)];
export const vzero = (): Code => [simd(0x0c), ...new Array<number>(16).fill(0)];
export const vadd = (a: Code, b: Code): Code => [a, b, simd(0xe4)];
export const vsub = (a: Code, b: Code): Code => [a, b, simd(0xe5)];
export const vmul = (a: Code, b: Code): Code => [a, b, simd(0xe6)];
export const vdiv = (a: Code, b: Code): Code => [a, b, simd(0xe7)];
export const vmin = (a: Code, b: Code): Code => [a, b, simd(0xe8)];
export const vmax = (a: Code, b: Code): Code => [a, b, simd(0xe9)];
export const vsqrt = (a: Code): Code => [a, simd(0xe3)];
export const vabs = (a: Code): Code => [a, simd(0xe0)];
export const vgt = (a: Code, b: Code): Code => [a, b, simd(0x44)];
export const vand = (a: Code, b: Code): Code => [a, b, simd(0x4e)];
export const vor = (a: Code, b: Code): Code => [a, b, simd(0x50)];
export const vlane = (a: Code, lane: number): Code => [a, simd(0x1f), lane];
/** i8x16.shuffle by 32-bit lanes: lanes 0–3 of a, 4–7 of b. */
export const shuffle32 = (a: Code, b: Code, lanes: [number, number, number, number]): Code => [a, b, simd(0x0d), ...lanes.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3])];
export const i32x4Shl = (a: Code, bits: Code): Code => [a, bits, simd(0xab)];
export const i32x4Const = (n: number): Code => [simd(0x0c), ...[n, n, n, n].flatMap((x) => [x & 0xff, (x >>> 8) & 0xff, (x >>> 16) & 0xff, (x >>> 24) & 0xff])];

// ---- control
/** A loop that runs `body` while `cond` (checked before each pass) holds. */
export function whileLoop(cond: Code, body: Code): Code {
  return [0x02, 0x40, [cond, 0x45, 0x0d, 0], 0x03, 0x40, body, [cond, 0x0d, 0], 0x0b, 0x0b];
}
/** A loop that runs `body` `count` > 0 times, counting `counter` down (count is read once). */
export function repeat(counter: number, count: Code, body: Code): Code {
  return [set(counter, count), 0x03, 0x40, body, tee(counter, sub(get(counter), i32(1))), 0x0d, 0, 0x0b];
}
export const ifThen = (cond: Code, body: Code): Code => [cond, 0x04, 0x40, body, 0x0b];

/** A function: its parameters, its result (if any), its locals and its body. */
export class Fn {
  private readonly localTypes: ValueType[] = [];
  body: Code = [];
  constructor(readonly name: string, readonly params: ValueType[], readonly result: ValueType | null = null) {}

  /** A new local of `type`; its index. */
  local(type: ValueType): number {
    this.localTypes.push(type);
    return this.params.length + this.localTypes.length - 1;
  }

  locals(type: ValueType, n: number): number[] {
    return Array.from({ length: n }, () => this.local(type));
  }

  encode(): number[] {
    const groups: [number, ValueType][] = [];
    for (const t of this.localTypes) {
      const last = groups[groups.length - 1];
      if (last && last[1] === t) last[0]++;
      else groups.push([1, t]);
    }
    const code = [...uleb(groups.length), ...groups.flatMap(([n, t]) => [...uleb(n), t]), ...flatten(this.body), 0x0b];
    return [...uleb(code.length), ...code];
  }
}

function section(id: number, payload: number[]): number[] {
  return [id, ...uleb(payload.length), ...payload];
}

function vector(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function name(s: string): number[] {
  const bytes = [...new TextEncoder().encode(s)];
  return [...uleb(bytes.length), ...bytes];
}

/** A module of `fns`, each exported under its name, importing its memory as env.memory. */
export function moduleBytes(fns: Fn[]): Uint8Array<ArrayBuffer> {
  const typeKeys: string[] = [];
  const typeOf = fns.map((f) => {
    const key = `${f.params.join(',')}>${f.result ?? ''}`;
    let index = typeKeys.indexOf(key);
    if (index < 0) { typeKeys.push(key); index = typeKeys.length - 1; }
    return index;
  });
  const types = typeKeys.map((key) => {
    const [params, result] = key.split('>');
    const ps = params ? params.split(',').map(Number) : [];
    return [0x60, ...uleb(ps.length), ...ps, ...(result ? [1, Number(result)] : [0])];
  });
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vector(types)),
    ...section(2, vector([[...name('env'), ...name('memory'), 0x02, 0x00, 0x01]])),
    ...section(3, vector(typeOf.map((t) => uleb(t)))),
    ...section(7, vector(fns.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]))),
    ...section(10, vector(fns.map((f) => f.encode()))),
  ];
  return new Uint8Array(bytes);
}
