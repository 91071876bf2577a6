// NumPy .npy / .npz reading and writing, for offline (state, action, strength) datasets.
// .npz is a zip of .npy files (deflated by np.savez_compressed); fflate does the zip part.

import { zipSync } from 'fflate';
import { unzipWithin, type ZipLimits } from '../archive/zip';
import { DataError } from './errors';
import type { Table } from './types';

export interface NpyArray {
  shape: number[];
  /** Values in C order, as float64 (int64 values beyond 2^53 lose precision). */
  data: Float64Array;
  descr: string;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

export function readNpy(bytes: Uint8Array, label: string): NpyArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw new Error(`${label} is not a .npy array`);
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const headerStart = major === 1 ? 10 : 12;
  const header = new TextDecoder('latin1').decode(bytes.subarray(headerStart, headerStart + headerLen));
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1] === 'True';
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || shapeText === undefined) throw new Error(`${label} has an unreadable header: ${header.trim()}`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const little = descr[0] !== '>';
  const code = descr.slice(1);
  const sizes: Record<string, number> = { f4: 4, f8: 8, i1: 1, u1: 1, b1: 1, i2: 2, u2: 2, i4: 4, u4: 4, i8: 8, u8: 8, f2: 2 };
  const size = sizes[code];
  if (!size || code === 'f2') throw new Error(`${label} has dtype ${descr}; use float32, float64, int32 or int64`);
  const offset = headerStart + headerLen;
  if (bytes.length - offset < count * size) throw new Error(`${label} is cut short: ${count} values of ${size} bytes expected`);
  const data = new Float64Array(count);
  const base = offset;
  for (let i = 0; i < count; i++) {
    const p = base + i * size;
    switch (code) {
      case 'f4': data[i] = view.getFloat32(p, little); break;
      case 'f8': data[i] = view.getFloat64(p, little); break;
      case 'i1': data[i] = view.getInt8(p); break;
      case 'u1': case 'b1': data[i] = view.getUint8(p); break;
      case 'i2': data[i] = view.getInt16(p, little); break;
      case 'u2': data[i] = view.getUint16(p, little); break;
      case 'i4': data[i] = view.getInt32(p, little); break;
      case 'u4': data[i] = view.getUint32(p, little); break;
      case 'i8': data[i] = Number(view.getBigInt64(p, little)); break;
      case 'u8': data[i] = Number(view.getBigUint64(p, little)); break;
    }
  }
  if (fortran && shape.length > 1) {
    // reorder column-major to row-major
    const [rows, cols] = [shape[0], count / shape[0]];
    const c = new Float64Array(count);
    for (let r = 0; r < rows; r++) for (let k = 0; k < cols; k++) c[r * cols + k] = data[k * rows + r];
    return { shape, data: c, descr };
  }
  return { shape, data, descr };
}

export type NpyDtype = '<f4' | '<f8' | '<i4' | '<i8';

/** One array as .npy bytes (format version 1.0, header padded to 64 bytes as NumPy writes it). */
export function writeNpy(values: ArrayLike<number>, shape: number[], descr: NpyDtype): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const size = descr === '<f4' || descr === '<i4' ? 4 : 8;
  const out = new Uint8Array(10 + header.length + values.length * size);
  out.set(MAGIC);
  out[6] = 1;
  out[7] = 0;
  const view = new DataView(out.buffer);
  view.setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const base = 10 + header.length;
  for (let i = 0; i < values.length; i++) {
    const p = base + i * size;
    if (descr === '<f4') view.setFloat32(p, values[i], true);
    else if (descr === '<f8') view.setFloat64(p, values[i], true);
    else if (descr === '<i4') view.setInt32(p, values[i], true);
    else view.setBigInt64(p, BigInt(Math.trunc(values[i])), true);
  }
  return out;
}

export function writeNpz(arrays: Record<string, { values: ArrayLike<number>; shape: number[]; dtype: NpyDtype }>, compress = true): Uint8Array {
  const files: Record<string, Uint8Array> = {};
  for (const [name, a] of Object.entries(arrays)) files[`${name}.npy`] = writeNpy(a.values, a.shape, a.dtype);
  return zipSync(files, { level: compress ? 6 : 0 });
}

/**
 * What an .npz may unpack to: an offline dataset of 2 million states of 34 float64 features is
 * about 540 MB, so a gigabyte per array and two in all, checked before inflating.
 */
export const NPZ_LIMITS: ZipLimits = { maxEntryBytes: 1024 ** 3, maxTotalBytes: 2 * 1024 ** 3, maxEntries: 1000 };

export function readNpz(bytes: Uint8Array, fileName: string, limits: ZipLimits = NPZ_LIMITS): Record<string, NpyArray> {
  let files: Map<string, Uint8Array>;
  try {
    // only the arrays are inflated; anything else in the zip is left packed
    files = unzipWithin(bytes, limits, (e) => e.name.endsWith('.npy'));
  } catch (e) {
    throw new DataError(fileName, `cannot read it as an .npz (zip) file: ${(e as Error).message}`);
  }
  const out: Record<string, NpyArray> = {};
  for (const [path, content] of files) {
    const name = path.slice(0, -4);
    try {
      out[name] = readNpy(content, `array "${name}"`);
    } catch (e) {
      throw new DataError(fileName, (e as Error).message, { column: name });
    }
  }
  return out;
}

/**
 * An offline dataset: states [N, D], actions [N] (0 HOLD, 1 BUY, 2 SELL), strengths [N] in 0..1.
 * Any other arrays in the file are ignored.
 */
export function parseOfflineNpz(bytes: Uint8Array, fileName: string): Table {
  const arrays = readNpz(bytes, fileName);
  for (const name of ['states', 'actions', 'strengths']) {
    if (!arrays[name]) {
      const found = Object.keys(arrays);
      throw new DataError(fileName, `missing array "${name}" (an offline dataset needs states, actions and strengths; found ${found.length ? found.join(', ') : 'no arrays'})`);
    }
  }
  const { states, actions, strengths } = arrays;
  if (states.shape.length !== 2) throw new DataError(fileName, `states must be 2-D [N, D], got shape (${states.shape.join(', ')})`, { column: 'states' });
  const [n, d] = states.shape;
  if (n === 0 || d === 0) throw new DataError(fileName, 'states is empty', { column: 'states' });
  const vector = (a: NpyArray, name: string) => {
    const ok = a.shape.length === 1 || (a.shape.length === 2 && a.shape[1] === 1);
    if (!ok) throw new DataError(fileName, `${name} must be 1-D [N], got shape (${a.shape.join(', ')})`, { column: name });
    if (a.shape[0] !== n) throw new DataError(fileName, `${name} has ${a.shape[0]} rows but states has ${n}`, { column: name });
  };
  vector(actions, 'actions');
  vector(strengths, 'strengths');
  const where = (r: number) => `row ${r + 1}`;
  for (let i = 0; i < n; i++) {
    const a = actions.data[i];
    if (!(a === 0 || a === 1 || a === 2)) throw new DataError(fileName, `action ${a} is not 0 (HOLD), 1 (BUY) or 2 (SELL)`, { where: where(i), column: 'actions', text: String(a) });
    const s = strengths.data[i];
    if (!(s >= 0 && s <= 1)) throw new DataError(fileName, `strength ${s} is outside 0..1`, { where: where(i), column: 'strengths', text: String(s) });
  }
  for (let i = 0; i < states.data.length; i++) {
    if (!Number.isFinite(states.data[i])) {
      throw new DataError(fileName, `state value ${states.data[i]} is not finite`, { where: where(Math.floor(i / d)), column: `states[${i % d}]` });
    }
  }
  return {
    fileName,
    format: 'npz',
    rowCount: n,
    names: ['states', 'actions', 'strengths'],
    columns: [
      { type: 'matrix', values: Float32Array.from(states.data), width: d },
      { type: 'number', values: actions.data },
      { type: 'number', values: strengths.data },
    ],
    hasHeader: true,
    where,
  };
}
