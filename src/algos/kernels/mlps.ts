// MLPs trained on the lab's WebAssembly kernels (mlpModule.ts): weights, gradients, Adam's moments
// and activations in one WebAssembly memory, a forward and a backward pass of a layer each one
// call, Adam one call over every trained parameter. The learners use it on the WASM backend and,
// on any backend, to act in rollouts on host copies of the weights (no backend call per step).
//
// Layout: the trained networks' parameters in one flat block, in the order the learners store
// them (each layer's kernel, then its bias), the gradients and Adam's two moments as blocks of the
// same layout; then the networks that are not trained (a reference policy, an acting copy); then
// the transposed kernels the backward pass multiplies by; then the activations, sized for the
// largest batch seen. Every width but the input's is padded to a multiple of 4 with zeros, which
// stay zero (their gradients are zero).
import type { Rng } from '../../core/rng';
import type { StoredTensor } from '../../core/run/contracts';
import { gemmKey, mlpModuleBytes, type Epilogue, type GemmSpec } from './mlpModule';

export interface KernelNetSpec {
  /** Layer widths: input, hidden..., output. */
  sizes: number[];
  activation: 'tanh' | 'relu';
  /** The hidden layers take dropout masks in training (ReLU only). */
  dropout?: boolean;
}

const roundUp4 = (n: number) => (n + 3) & ~3;
const PAGE = 65536;

/**
 * Whether the kernel runs here: WebAssembly SIMD (every browser with WebGPU has it; Node 16+), off
 * a page's main thread (which may not compile modules over 4 KB synchronously; the lab trains and
 * acts in workers).
 */
export const kernelSupported: boolean = (() => {
  try {
    const onPageThread = typeof (globalThis as { document?: unknown }).document !== 'undefined';
    return !onPageThread && typeof WebAssembly === 'object' && WebAssembly.validate(mlpModuleBytes([]));
  } catch {
    return false;
  }
})();

const modules = new Map<string, WebAssembly.Module>();

interface Net {
  spec: KernelNetSpec;
  /** Padded widths: the input's as given, the others rounded up to a multiple of 4. */
  p: number[];
  trained: boolean;
  kernel: number[];
  bias: number[];
  gKernel: number[];
  gBias: number[];
  /** Transposed kernels [out × padded in] for layers ≥ 1 (trained networks only). */
  wt: number[];
  /** Per layer: its output, its output's gradient, its dropout mask (activation region). */
  h: number[];
  dz: number[];
  mask: number[];
}

export class KernelMlps {
  readonly nets: Net[];
  /** Trained parameters, padded (floats): the length of the parameter, gradient and moment blocks. */
  readonly trainedFloats: number;
  private readonly memory: WebAssembly.Memory;
  private readonly k: Record<string, (...args: (number | bigint)[]) => number>;
  private f32!: Float32Array;
  private u32!: Uint32Array;
  readonly params: number;
  readonly grads: number;
  readonly adamM: number;
  readonly adamV: number;
  private readonly rngState: number;
  private readonly activationBase: number;
  private capacity = 0;
  private inputPtr = 0;
  readonly inputWidth: number;

  /** `nets` share one input; the first `trained` are trained together (one Adam over all of them). */
  constructor(specs: KernelNetSpec[], trained: number, rows = 1) {
    if (!kernelSupported) throw new Error('this browser runs no WebAssembly SIMD');
    const D = specs[0].sizes[0];
    if (specs.some((s) => s.sizes[0] !== D)) throw new Error('networks of one kernel share their input width');
    this.inputWidth = D;
    let top = 64; // 0 stays a null pointer
    const alloc = (floats: number) => { const at = top; top += roundUp4(floats) * 4; return at; };
    this.nets = specs.map((spec, n) => {
      if (spec.dropout && spec.activation !== 'relu') throw new Error('dropout masks follow ReLU layers only');
      const p = spec.sizes.map((s, l) => (l === 0 ? s : roundUp4(s)));
      return { spec, p, trained: n < trained, kernel: [], bias: [], gKernel: [], gBias: [], wt: [], h: [], dz: [], mask: [] };
    });
    // the trained parameters, then their gradients and moments in the same layout
    const trainedNets = this.nets.filter((n) => n.trained);
    this.params = top;
    for (const net of trainedNets) net.spec.sizes.slice(1).forEach((_, l) => { net.kernel.push(alloc(net.spec.sizes[l] * net.p[l + 1])); net.bias.push(alloc(net.p[l + 1])); });
    this.trainedFloats = (top - this.params) / 4;
    const block = top - this.params;
    this.grads = top; top += block;
    this.adamM = top; top += block;
    this.adamV = top; top += block;
    for (const net of trainedNets) {
      net.gKernel = net.kernel.map((x) => x - this.params + this.grads);
      net.gBias = net.bias.map((x) => x - this.params + this.grads);
    }
    for (const net of this.nets.filter((x) => !x.trained)) net.spec.sizes.slice(1).forEach((_, l) => { net.kernel.push(alloc(net.spec.sizes[l] * net.p[l + 1])); net.bias.push(alloc(net.p[l + 1])); });
    // [padded out × padded in]: transposes write whole 4 × 4 blocks
    for (const net of trainedNets) for (let l = 1; l < net.spec.sizes.length - 1; l++) net.wt[l] = alloc(net.p[l + 1] * net.p[l]);
    this.rngState = alloc(4);
    this.activationBase = top;

    const key = specs.map((s) => `${s.sizes.join('x')}:${s.activation}:${s.dropout ? 1 : 0}`).join('|') + `/${trained}`;
    let module = modules.get(key);
    if (!module) {
      module = new WebAssembly.Module(mlpModuleBytes(this.nets.flatMap((net) => this.gemmsOf(net))));
      modules.set(key, module);
    }
    this.memory = new WebAssembly.Memory({ initial: Math.ceil(top / PAGE) + 1 });
    this.k = new WebAssembly.Instance(module, { env: { memory: this.memory } }).exports as unknown as Record<string, (...args: (number | bigint)[]) => number>;
    this.views();
    this.ensureRows(rows);
  }

  private views(): void {
    this.f32 = new Float32Array(this.memory.buffer);
    this.u32 = new Uint32Array(this.memory.buffer);
  }

  /** The memory as floats (a new view after the memory grows: take it after ensureRows). */
  get heap(): Float32Array {
    if (this.f32.buffer !== this.memory.buffer) this.views();
    return this.f32;
  }

  private forwardSpec(net: Net, l: number, train: boolean): GemmSpec {
    const L = net.spec.sizes.length - 1;
    const hidden = l < L - 1;
    const epilogue: Epilogue = !hidden ? 'bias' : net.spec.activation === 'tanh' ? 'biasTanh' : net.spec.dropout && train ? 'biasReluMask' : 'biasRelu';
    return { cols: net.p[l + 1], aRow: net.p[l], aDepth: 1, ldb: net.p[l + 1], ldc: net.p[l + 1], epilogue };
  }

  private weightGradSpec(net: Net, l: number): GemmSpec {
    return { cols: net.p[l + 1], aRow: 1, aDepth: net.p[l], ldb: net.p[l + 1], ldc: net.p[l + 1], epilogue: 'store' };
  }

  private inputGradSpec(net: Net, l: number): GemmSpec {
    const epilogue: Epilogue = net.spec.activation === 'tanh' ? 'dTanh' : net.spec.dropout ? 'dReluMask' : 'dRelu';
    return { cols: net.p[l], aRow: net.p[l + 1], aDepth: 1, ldb: net.p[l], ldc: net.p[l], epilogue };
  }

  private gemmsOf(net: Net): GemmSpec[] {
    const L = net.spec.sizes.length - 1;
    const specs: GemmSpec[] = [];
    for (let l = 0; l < L; l++) {
      specs.push(this.forwardSpec(net, l, false));
      if (net.trained) {
        specs.push(this.forwardSpec(net, l, true), this.weightGradSpec(net, l));
        if (l > 0) specs.push(this.inputGradSpec(net, l));
      }
    }
    return specs;
  }

  /** Room for batches of `rows`: the activation region is laid out again when it must grow (its contents are not kept). */
  ensureRows(rows: number): void {
    if (rows <= this.capacity) return;
    const cap = Math.max(rows, 4);
    let top = this.activationBase;
    const alloc = (floats: number) => { const at = top; top += roundUp4(floats) * 4; return at; };
    this.inputPtr = alloc(cap * this.inputWidth);
    for (const net of this.nets) {
      const L = net.spec.sizes.length - 1;
      net.h = []; net.dz = []; net.mask = [];
      for (let l = 0; l < L; l++) {
        net.h.push(alloc(cap * net.p[l + 1]));
        if (net.trained) net.dz.push(alloc(cap * net.p[l + 1]));
        if (net.trained && net.spec.dropout && l < L - 1) net.mask.push(alloc(cap * net.p[l + 1]));
      }
    }
    const need = Math.ceil(top / PAGE) - this.memory.buffer.byteLength / PAGE;
    if (need > 0) this.memory.grow(need);
    this.views();
    this.capacity = cap;
  }

  /** Where the rows of the shared input go: [rows × inputWidth] floats from this index of `heap`. */
  inputIndex(rows: number): number {
    this.ensureRows(rows);
    return this.inputPtr / 4;
  }

  /** Index in `heap` of net's output rows [rows × padded output width] after forward(). */
  outputIndex(net: number): number {
    const n = this.nets[net];
    return n.h[n.h.length - 1] / 4;
  }

  /** Index in `heap` of the gradient of net's output (the loss writes it, padded columns 0, before backward()). */
  outputGradIndex(net: number): number {
    const n = this.nets[net];
    return n.dz[n.dz.length - 1] / 4;
  }

  /** Padded width of net's output rows. */
  outputStride(net: number): number {
    const n = this.nets[net];
    return n.p[n.p.length - 1];
  }

  /** Forward pass of net on the input's first `rows` rows; `train` applies the dropout masks drawn by dropout(). */
  forward(net: number, rows: number, train = false): void {
    const n = this.nets[net];
    const L = n.spec.sizes.length - 1;
    for (let l = 0; l < L; l++) {
      const spec = this.forwardSpec(n, l, train && n.trained);
      this.k[gemmKey(spec)](l === 0 ? this.inputPtr : n.h[l - 1], n.kernel[l], n.h[l], rows, n.spec.sizes[l], n.bias[l], spec.epilogue === 'biasReluMask' ? n.mask[l] : 0);
    }
  }

  /** Backward pass of a trained net from its output gradient: its parameters' gradients (overwritten). */
  backward(net: number, rows: number): void {
    const n = this.nets[net];
    const L = n.spec.sizes.length - 1;
    for (let l = L - 1; l >= 0; l--) {
      const input = l === 0 ? this.inputPtr : n.h[l - 1];
      this.k[gemmKey(this.weightGradSpec(n, l))](input, n.dz[l], n.gKernel[l], n.spec.sizes[l], rows, 0, 0);
      this.k.colsum(n.dz[l], n.gBias[l], rows, n.p[l + 1], n.p[l + 1]);
      if (l > 0) this.k[gemmKey(this.inputGradSpec(n, l))](n.dz[l], n.wt[l], n.dz[l - 1], rows, n.spec.sizes[l + 1], n.h[l - 1], n.spec.dropout ? n.mask[l - 1] : 0);
    }
  }

  /** Draws net's dropout masks for `rows` rows from `rng` (as many draws, in the same order, as rng.next() per unit). */
  dropout(net: number, rows: number, p: number, rng: Rng): void {
    const n = this.nets[net];
    if (this.f32.buffer !== this.memory.buffer) this.views();
    const u32 = this.u32;
    u32.set(rng.getState(), this.rngState / 4);
    // u32 / 2^32 < p ⇔ u32 < ⌈p·2^32⌉ for whole u32
    const threshold = BigInt(Math.ceil(p * 4294967296));
    const keepBits = new Int32Array(Float32Array.of(1 / (1 - p)).buffer)[0];
    for (let l = 0; l < n.mask.length; l++) this.k.dropout(this.rngState, n.mask[l], rows, n.spec.sizes[l + 1], n.p[l + 1], threshold, keepBits);
    rng.setState(Array.from(u32.subarray(this.rngState / 4, this.rngState / 4 + 4)));
  }

  /** Σ g² over every trained parameter's gradient. */
  gradSquares(): number {
    return this.k.sumsq(this.grads, this.trainedFloats);
  }

  /** g += w·l2 for every trained parameter (Adam's L2 weight decay, as PyTorch's Adam adds it). */
  addL2(l2: number): void {
    this.k.axpy(this.grads, this.params, this.trainedFloats, l2);
  }

  /** Adam's update of every trained parameter (constants as adam.ts makes them), then the transposed kernels. */
  adam(b1: number, b2: number, g1: number, g2: number, negStep: number, rootCorrection: number, eps: number, decay: number): void {
    this.k.adam(this.params, this.grads, this.adamM, this.adamV, this.trainedFloats, b1, b2, g1, g2, negStep, rootCorrection, eps, decay);
    this.transposeKernels();
  }

  private transposeKernels(): void {
    for (const n of this.nets) {
      if (!n.trained) continue;
      for (let l = 1; l < n.spec.sizes.length - 1; l++) this.k.transpose(n.kernel[l], n.wt[l], n.spec.sizes[l], n.p[l + 1], n.p[l + 1], n.p[l]);
    }
  }

  /** Copies of net's weights (kernel, bias per layer), unpadded, under the given names. */
  readWeights(net: number, names: string[]): StoredTensor[] {
    return this.readLayout(net, names, 0);
  }

  private readLayout(net: number, names: string[], shift: number): StoredTensor[] {
    const n = this.nets[net], f = this.heap, s = n.spec.sizes;
    const out: StoredTensor[] = [];
    for (let l = 0; l < s.length - 1; l++) {
      const values = new Float32Array(s[l] * s[l + 1]);
      const base = (n.kernel[l] + shift) / 4;
      for (let r = 0; r < s[l]; r++) values.set(f.subarray(base + r * n.p[l + 1], base + r * n.p[l + 1] + s[l + 1]), r * s[l + 1]);
      out.push({ name: names[2 * l], shape: [s[l], s[l + 1]], values });
      out.push({ name: names[2 * l + 1], shape: [s[l + 1]], values: f.slice((n.bias[l] + shift) / 4, (n.bias[l] + shift) / 4 + s[l + 1]) });
    }
    return out;
  }

  /** Sets net's weights from stored tensors (kernel, bias per layer), checking their shapes. */
  writeWeights(net: number, stored: StoredTensor[]): void {
    this.writeLayout(net, stored, 0, 'weights');
    if (this.nets[net].trained) this.transposeKernels();
  }

  private writeLayout(net: number, stored: StoredTensor[], shift: number, what: string): void {
    const n = this.nets[net], f = this.heap, s = n.spec.sizes;
    if (stored.length !== 2 * (s.length - 1)) throw new Error(`checkpoint holds ${stored.length} ${what} tensors, the network has ${2 * (s.length - 1)}`);
    for (let l = 0; l < s.length - 1; l++) {
      const [kernel, bias] = [stored[2 * l], stored[2 * l + 1]];
      if (kernel.shape.join('x') !== `${s[l]}x${s[l + 1]}` || bias.shape.join('x') !== `${s[l + 1]}`) {
        throw new Error(`checkpoint tensor ${kernel.shape.join('x') !== `${s[l]}x${s[l + 1]}` ? kernel.name : bias.name} has shape ${kernel.shape.join('x') !== `${s[l]}x${s[l + 1]}` ? kernel.shape : bias.shape}, layer ${l} of the network is ${s[l]} → ${s[l + 1]}`);
      }
      const base = (n.kernel[l] + shift) / 4;
      for (let r = 0; r < s[l]; r++) f.set(kernel.values.subarray(r * s[l + 1], (r + 1) * s[l + 1]), base + r * n.p[l + 1]);
      f.set(bias.values.subarray(0, s[l + 1]), (n.bias[l] + shift) / 4);
    }
  }

  /** Copies one net's parameters into another of the same shape (a reference, an acting copy). */
  copyWeights(from: number, to: number): void {
    const a = this.nets[from], b = this.nets[to], f = this.heap;
    a.kernel.forEach((k, l) => {
      f.copyWithin(b.kernel[l] / 4, k / 4, k / 4 + a.spec.sizes[l] * a.p[l + 1]);
      f.copyWithin(b.bias[l] / 4, a.bias[l] / 4, a.bias[l] / 4 + a.p[l + 1]);
    });
    if (b.trained) this.transposeKernels();
  }

  /** Adam's moments of net (as readWeights lays weights out). */
  readMoments(net: number, names: string[]): { m: StoredTensor[]; v: StoredTensor[] } {
    return {
      m: this.readLayout(net, names.map((x) => `${x}/m`), this.adamM - this.params),
      v: this.readLayout(net, names.map((x) => `${x}/v`), this.adamV - this.params),
    };
  }

  writeMoments(net: number, m: StoredTensor[], v: StoredTensor[]): void {
    this.writeLayout(net, m, this.adamM - this.params, 'optimizer moment');
    this.writeLayout(net, v, this.adamV - this.params, 'optimizer moment');
  }
}
