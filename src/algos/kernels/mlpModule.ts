// The WebAssembly SIMD kernels of the lab's MLP training, written with wasm.ts and specialised to
// one set of network shapes: matrix products with their epilogues (bias and activation forward;
// the activation's derivative and the dropout mask backward), bias gradients, transposes, Adam
// over the flat parameter buffer, the squared norm for gradient clipping, and dropout masks drawn
// with the run's xoshiro128** stream.
//
// Why a kernel of its own: on the WASM backend TensorFlow.js spends about two thirds of a training
// step outside the matrix products (op dispatch, element-wise ops, transposes, allocation, Adam),
// measured on the behavior-cloning step here. One call per layer and pass does the product and the
// element-wise work while the tile is in registers.
//
// Matrix products: C[rows × cols] = A · B, A read through strides (element (i, p) at
// a + 4·(i·aRow + p·aDepth)), B row-major (row p at b + 4·p·ldb), C row-major (ldc). Tiles of 4 rows
// × 8 columns (8 accumulators), one f32 of A broadcast against two vectors of B per step. Columns
// are padded to a multiple of 4 throughout, so every store is a whole vector; padded columns hold
// zeros and get zero gradients.
import {
  F32, F64, Fn, I32, I64, V128, add, and, f64Add, f64FromF32, get, i32, i32x4Const, i32x4Shl, i64FromU32, i64LtU, ifThen, inc, leS, load, loadF32,
  loadI32, loadSplat, ltS, moduleBytes, mul, ne, repeat, rotl, select, set, shl, shrU, shuffle32, splat, store, storeF32, storeI32, vabs, vadd, vand,
  vconst, vdiv, vgt, vlane, vmax, vmin, vmul, vor, vsqrt, vsub, vzero, whileLoop, xor, type Code,
} from './wasm';

export type Epilogue = 'store' | 'bias' | 'biasRelu' | 'biasTanh' | 'biasReluMask' | 'dRelu' | 'dTanh' | 'dReluMask';

export interface GemmSpec {
  /** Columns of C (a multiple of 4). */
  cols: number;
  aRow: number;
  aDepth: number;
  ldb: number;
  ldc: number;
  /**
   * What is stored: the product; plus the bias (e1: [cols]); then ReLU or tanh; times the dropout
   * mask (e2, laid out as C). Backward: the product times the activation's derivative, read from
   * the layer's output (e1, laid out as C), and times the mask (e2).
   */
  epilogue: Epilogue;
}

export const gemmKey = (s: GemmSpec) => `gemm_${s.cols}_${s.aRow}_${s.aDepth}_${s.ldb}_${s.ldc}_${s.epilogue}`;

// e^r for |r| ≤ ln2 / 2: Taylor to r^6 (truncation under 2e-7 relative, under 1e-7 in tanh)
const TANH_POLY = [1 / 720, 1 / 120, 1 / 24, 1 / 6, 1 / 2, 1, 1];
// Adding 1.5·2^23 + 127 rounds to a whole number n and leaves 127 + n in the low mantissa bits,
// so a shift by 23 makes 2^n (the "magic bias" of XNNPACK's exp); subtracting it gives n.
const MAGIC_BIAS = 12583039;
const TANH_CONSTANTS = [9, 2, Math.LOG2E, 0.693359375, 2.12194440e-4, 1, MAGIC_BIAS, ...TANH_POLY];

/** Locals holding tanh's constants, set once at the start of a function (V8 rebuilds a v128.const at each use). */
function tanhConstants(f: Fn): { locals: number[]; init: Code } {
  const locals = f.locals(V128, TANH_CONSTANTS.length + 1);
  return {
    locals,
    init: [
      TANH_CONSTANTS.map((c, i) => set(locals[i], vconst(c))),
      set(locals[TANH_CONSTANTS.length], i32x4Const(0x80000000 | 0)),
    ],
  };
}

/** tanh of a vector: sign(x)·(1 − 2 / (e^{2|x|} + 1)), e^y by range reduction and a degree-6 polynomial (error ≈ 1e-7). */
function tanhCode(x: Code, t: number[], k: number[]): Code {
  const [sx, y, n, r, pow2] = t;
  const [c9, c2, log2e, ln2Hi, ln2Lo, one, magic] = k;
  const [p6, ...pRest] = k.slice(7, 7 + TANH_POLY.length);
  const signMask = k[7 + TANH_POLY.length];
  let poly: Code = get(p6);
  for (const c of pRest) poly = vadd(vmul(poly, get(r)), get(c));
  return [
    set(sx, x),
    set(y, vmul(vmin(vabs(get(sx)), get(c9)), get(c2))), // tanh(9) is 1 in float32
    set(n, vadd(vmul(get(y), get(log2e)), get(magic))),
    set(pow2, i32x4Shl(get(n), i32(23))),
    set(n, vsub(get(n), get(magic))),
    // Cody-Waite: ln 2 = 0.693359375 − 2.12194440e-4, the first part exact in few bits
    set(r, vadd(vsub(get(y), vmul(get(n), get(ln2Hi))), vmul(get(n), get(ln2Lo)))),
    set(y, vmul(poly, get(pow2))),
    vor(vsub(get(one), vdiv(get(c2), vadd(get(y), get(one)))), vand(get(sx), get(signMask))),
  ];
}

/** C = A·B with its epilogue; parameters (a, b, c, rows, depth, e1, e2), pointers in bytes. */
function gemm(name: string, s: GemmSpec): Fn {
  if (s.cols % 4 !== 0) throw new Error(`kernel columns must be a multiple of 4, got ${s.cols}`);
  const f = new Fn(name, [I32, I32, I32, I32, I32, I32, I32]);
  const [A, B, C, ROWS, DEPTH, E1, E2] = [0, 1, 2, 3, 4, 5, 6];
  const i = f.local(I32), j = f.local(I32), pa = f.local(I32), pb = f.local(I32), k = f.local(I32), pc = f.local(I32), pe1 = f.local(I32), pe2 = f.local(I32);
  const acc = f.locals(V128, 8), bv = f.locals(V128, 2), av = f.local(V128), h = f.local(V128), t = f.locals(V128, 5);
  const tanhK = s.epilogue === 'biasTanh' ? tanhConstants(f) : null;

  const epilogue = (x: Code, offset: number, v: number): Code => {
    switch (s.epilogue) {
      case 'store': return x;
      case 'bias': return vadd(x, load(get(pe1), 16 * v));
      case 'biasRelu': return vmax(vadd(x, load(get(pe1), 16 * v)), vzero());
      case 'biasTanh': return tanhCode(vadd(x, load(get(pe1), 16 * v)), t, tanhK!.locals);
      case 'biasReluMask': return vmul(vmax(vadd(x, load(get(pe1), 16 * v)), vzero()), load(get(pe2), offset));
      case 'dRelu': return vand(x, vgt(load(get(pe1), offset), vzero()));
      case 'dReluMask': return vand(vmul(x, load(get(pe2), offset)), vgt(load(get(pe1), offset), vzero()));
      case 'dTanh': return [set(h, load(get(pe1), offset)), vmul(x, vsub(vconst(1), vmul(get(h), get(h))))];
    }
  };

  const tile = (R: number, V: number): Code => {
    const zero: Code[] = [];
    for (let r = 0; r < R; r++) for (let v = 0; v < V; v++) zero.push(set(acc[r * 2 + v], vzero()));
    // one step of the reduction: B's row p (V vectors) times A's column p broadcast, row by row.
    // (Measured: 4 × 8 tiles beat 5 × 8 and 6 × 8, and unrolling the loop by hand made it slower:
    // V8's register allocator then spills; TurboFan unrolls this loop itself.)
    const step: Code[] = [];
    for (let v = 0; v < V; v++) step.push(set(bv[v], load(get(pb), 16 * v)));
    for (let r = 0; r < R; r++) {
      step.push(set(av, loadSplat(get(pa), 4 * r * s.aRow)));
      for (let v = 0; v < V; v++) step.push(set(acc[r * 2 + v], vadd(get(acc[r * 2 + v]), vmul(get(av), get(bv[v])))));
    }
    step.push(inc(pa, i32(4 * s.aDepth)), inc(pb, i32(4 * s.ldb)));
    const stores: Code[] = [];
    for (let r = 0; r < R; r++) {
      for (let v = 0; v < V; v++) {
        const offset = 4 * r * s.ldc + 16 * v;
        stores.push(store(get(pc), epilogue(get(acc[r * 2 + v]), offset, v), offset));
      }
    }
    const off = shl(add(mul(get(i), i32(s.ldc)), get(j)), i32(2));
    return [
      zero,
      set(pa, add(get(A), mul(get(i), i32(4 * s.aRow)))),
      set(pb, add(get(B), shl(get(j), i32(2)))),
      ifThen(ne(get(DEPTH), i32(0)), repeat(k, get(DEPTH), step)),
      set(pc, add(get(C), off)),
      set(pe1, s.epilogue.startsWith('bias') ? add(get(E1), shl(get(j), i32(2))) : add(get(E1), off)),
      set(pe2, add(get(E2), off)),
      stores,
    ];
  };

  const rowsOf = (V: number): Code => [
    set(i, i32(0)),
    whileLoop(leS(add(get(i), i32(4)), get(ROWS)), [tile(4, V), inc(i, i32(4))]),
    whileLoop(ltS(get(i), get(ROWS)), [tile(1, V), inc(i, i32(1))]),
  ];
  f.body = [
    tanhK ? tanhK.init : [],
    set(j, i32(0)),
    s.cols >= 8 ? whileLoop(leS(add(get(j), i32(8)), i32(s.cols)), [rowsOf(2), inc(j, i32(8))]) : [],
    s.cols % 8 === 4 ? [set(j, i32(s.cols - 4)), rowsOf(1)] : [],
  ];
  return f;
}

/** dst[cols] = Σ over rows of src (row stride lds): bias gradients. (src, dst, rows, cols, lds) */
function columnSums(): Fn {
  const f = new Fn('colsum', [I32, I32, I32, I32, I32]);
  const [SRC, DST, ROWS, COLS, LDS] = [0, 1, 2, 3, 4];
  const j = f.local(I32), p = f.local(I32), k = f.local(I32), a0 = f.local(V128), a1 = f.local(V128);
  f.body = [
    set(j, i32(0)),
    whileLoop(ltS(get(j), get(COLS)), [
      set(a0, vzero()), set(a1, vzero()),
      set(p, add(get(SRC), shl(get(j), i32(2)))),
      // two rows a pass into two accumulators (shorter dependency chains), then the odd row
      set(k, shrU(get(ROWS), i32(1))),
      ifThen(ne(get(k), i32(0)), repeat(k, get(k), [
        set(a0, vadd(get(a0), load(get(p)))),
        set(a1, vadd(get(a1), load(add(get(p), shl(get(LDS), i32(2)))))),
        inc(p, shl(get(LDS), i32(3))),
      ])),
      ifThen(and(get(ROWS), i32(1)), set(a0, vadd(get(a0), load(get(p))))),
      store(add(get(DST), shl(get(j), i32(2))), vadd(get(a0), get(a1))),
      inc(j, i32(4)),
    ]),
  ];
  return f;
}

/**
 * dst[c·ldd + r] = src[r·lds + c] for r < rows, c < cols (a multiple of 4): kernels to their
 * transposes for the backward pass, 4 × 4 blocks through shuffles and the last rows one by one.
 * (src, dst, rows, cols, lds, ldd)
 */
function transpose(): Fn {
  const f = new Fn('transpose', [I32, I32, I32, I32, I32, I32]);
  const [SRC, DST, ROWS, COLS, LDS, LDD] = [0, 1, 2, 3, 4, 5];
  const r = f.local(I32), c = f.local(I32), p = f.local(I32), q = f.local(I32);
  const [r0, r1, r2, r3, t0, t1, t2, t3] = f.locals(V128, 8);
  const srcRow = (k: number): Code => add(get(p), shl(mul(get(LDS), i32(k)), i32(2)));
  const dstRow = (k: number): Code => add(get(q), shl(mul(get(LDD), i32(k)), i32(2)));
  f.body = [
    set(r, i32(0)),
    whileLoop(leS(add(get(r), i32(4)), get(ROWS)), [
      set(c, i32(0)),
      whileLoop(ltS(get(c), get(COLS)), [
        set(p, add(get(SRC), shl(add(mul(get(r), get(LDS)), get(c)), i32(2)))),
        set(q, add(get(DST), shl(add(mul(get(c), get(LDD)), get(r)), i32(2)))),
        set(r0, load(srcRow(0))), set(r1, load(srcRow(1))), set(r2, load(srcRow(2))), set(r3, load(srcRow(3))),
        set(t0, shuffle32(get(r0), get(r1), [0, 4, 1, 5])), set(t1, shuffle32(get(r0), get(r1), [2, 6, 3, 7])),
        set(t2, shuffle32(get(r2), get(r3), [0, 4, 1, 5])), set(t3, shuffle32(get(r2), get(r3), [2, 6, 3, 7])),
        store(dstRow(0), shuffle32(get(t0), get(t2), [0, 1, 4, 5])), store(dstRow(1), shuffle32(get(t0), get(t2), [2, 3, 6, 7])),
        store(dstRow(2), shuffle32(get(t1), get(t3), [0, 1, 4, 5])), store(dstRow(3), shuffle32(get(t1), get(t3), [2, 3, 6, 7])),
        inc(c, i32(4)),
      ]),
      inc(r, i32(4)),
    ]),
    whileLoop(ltS(get(r), get(ROWS)), [
      set(p, add(get(SRC), shl(mul(get(r), get(LDS)), i32(2)))),
      set(q, add(get(DST), shl(get(r), i32(2)))),
      set(c, i32(0)),
      whileLoop(ltS(get(c), get(COLS)), [
        storeF32(get(q), loadF32(get(p))),
        inc(p, i32(4)), inc(q, shl(get(LDD), i32(2))), inc(c, i32(1)),
      ]),
      inc(r, i32(1)),
    ]),
  ];
  return f;
}

/**
 * Adam over n floats (a multiple of 4), in TensorFlow.js's order of float32 operations as adam.ts
 * writes them: m = m·β1 + g·g1, v = v·β2 + g²·g2, w = w·decay + (m / (√v·rc + ε))·negStep.
 * (w, g, m, v, n, β1, β2, g1, g2, negStep, rc, ε, decay)
 */
function adam(): Fn {
  const f = new Fn('adam', [I32, I32, I32, I32, I32, F32, F32, F32, F32, F32, F32, F32, F32]);
  const [W, G, M, V, N] = [0, 1, 2, 3, 4];
  const scalars = [5, 6, 7, 8, 9, 10, 11, 12];
  const [b1, b2, g1, g2, negStep, rc, eps, decay] = f.locals(V128, 8);
  const o = f.local(I32), g = f.local(V128), m = f.local(V128), v = f.local(V128);
  f.body = [
    [b1, b2, g1, g2, negStep, rc, eps, decay].map((l, i) => set(l, splat(get(scalars[i])))),
    set(o, i32(0)),
    whileLoop(ltS(get(o), shl(get(N), i32(2))), [
      set(g, load(add(get(G), get(o)))),
      set(m, vadd(vmul(load(add(get(M), get(o))), get(b1)), vmul(get(g), get(g1)))),
      set(v, vadd(vmul(load(add(get(V), get(o))), get(b2)), vmul(vmul(get(g), get(g)), get(g2)))),
      store(add(get(M), get(o)), get(m)),
      store(add(get(V), get(o)), get(v)),
      store(add(get(W), get(o)), vadd(vmul(load(add(get(W), get(o))), get(decay)), vmul(vdiv(get(m), vadd(vmul(vsqrt(get(v)), get(rc)), get(eps))), get(negStep)))),
      inc(o, i32(16)),
    ]),
  ];
  return f;
}

/** Σ x² over n floats (a multiple of 4), as float64 at the end. (p, n) → f64 */
function sumSquares(): Fn {
  const f = new Fn('sumsq', [I32, I32], F64);
  const [P, N] = [0, 1];
  const o = f.local(I32), a = f.local(V128), x = f.local(V128);
  const lane = (l: number) => f64FromF32(vlane(get(a), l));
  f.body = [
    set(a, vzero()),
    set(o, i32(0)),
    whileLoop(ltS(get(o), shl(get(N), i32(2))), [
      set(x, load(add(get(P), get(o)))),
      set(a, vadd(get(a), vmul(get(x), get(x)))),
      inc(o, i32(16)),
    ]),
    f64Add(f64Add(lane(0), lane(1)), f64Add(lane(2), lane(3))),
  ];
  return f;
}

/** y += x·alpha over n floats (a multiple of 4): Adam's L2 term. (y, x, n, alpha) */
function addScaled(): Fn {
  const f = new Fn('axpy', [I32, I32, I32, F32]);
  const [Y, X, N, ALPHA] = [0, 1, 2, 3];
  const o = f.local(I32), a = f.local(V128);
  f.body = [
    set(a, splat(get(ALPHA))),
    set(o, i32(0)),
    whileLoop(ltS(get(o), shl(get(N), i32(2))), [
      store(add(get(Y), get(o)), vadd(load(add(get(Y), get(o))), vmul(load(add(get(X), get(o))), get(a)))),
      inc(o, i32(16)),
    ]),
  ];
  return f;
}

/**
 * Inverted-dropout masks from xoshiro128** (core/rng.ts's generator, state of 4 words at `state`),
 * one draw per unit in row-major order: 0 where u32 / 2^32 < p (u32 < ⌈p·2^32⌉), else keep. The
 * state is written back, so the run's Rng continues exactly as if it had drawn them.
 * (state, out, rows, cols, ldo, ⌈p·2^32⌉, the bits of keep as float32)
 */
function dropoutMasks(): Fn {
  const f = new Fn('dropout', [I32, I32, I32, I32, I32, I64, I32]);
  const [STATE, OUT, ROWS, COLS, LDO, THRESHOLD, KEEP] = [0, 1, 2, 3, 4, 5, 6];
  const [s0, s1, s2, s3, t, r, c, p, x] = f.locals(I32, 9);
  f.body = [
    set(s0, loadI32(get(STATE), 0)), set(s1, loadI32(get(STATE), 4)), set(s2, loadI32(get(STATE), 8)), set(s3, loadI32(get(STATE), 12)),
    set(r, i32(0)),
    whileLoop(ltS(get(r), get(ROWS)), [
      set(p, add(get(OUT), shl(mul(get(r), get(LDO)), i32(2)))),
      set(c, i32(0)),
      whileLoop(ltS(get(c), get(COLS)), [
        set(x, mul(rotl(mul(get(s1), i32(5)), i32(7)), i32(9))),
        set(t, shl(get(s1), i32(9))),
        set(s2, xor(get(s2), get(s0))),
        set(s3, xor(get(s3), get(s1))),
        set(s1, xor(get(s1), get(s2))),
        set(s0, xor(get(s0), get(s3))),
        set(s2, xor(get(s2), get(t))),
        set(s3, rotl(get(s3), i32(11))),
        // the mask's bits as an integer select (a conditional move), no float registers
        storeI32(get(p), select(i32(0), get(KEEP), i64LtU(i64FromU32(get(x)), get(THRESHOLD)))),
        inc(p, i32(4)), inc(c, i32(1)),
      ]),
      inc(r, i32(1)),
    ]),
    storeI32(get(STATE), get(s0), 0), storeI32(get(STATE), get(s1), 4), storeI32(get(STATE), get(s2), 8), storeI32(get(STATE), get(s3), 12),
  ];
  return f;
}

/** The module for these matrix products (deduplicated by key), with the shared helpers. */
export function mlpModuleBytes(gemms: GemmSpec[]): Uint8Array<ArrayBuffer> {
  const seen = new Map<string, GemmSpec>();
  for (const s of gemms) seen.set(gemmKey(s), s);
  const fns = [...seen.entries()].map(([key, s]) => gemm(key, s));
  return moduleBytes([...fns, columnSums(), transpose(), adam(), sumSquares(), addScaled(), dropoutMasks()]);
}
