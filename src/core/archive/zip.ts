// Reading zip archives (run folders, NumPy .npz) within bounds. Everything is decided from the
// central directory before a byte is inflated: entry kinds (symlinks and other non-files are
// refused), encryption, methods and declared sizes against caps per entry and in total. Inflating
// then streams through fflate's Inflate in small pieces and stops as soon as an entry yields more
// than its directory declared, so a lying archive costs at most its declared (capped) size.
//
// fflate reads zips too, but its directory listing gives neither the entries' file kinds nor a
// way to stop an entry's inflation part way, which are what the bounds need.
import { Inflate } from 'fflate';

export interface ZipLimits {
  /** Largest unpacked size of one entry, in bytes. */
  maxEntryBytes: number;
  /** Largest unpacked size of all the entries read, in bytes. */
  maxTotalBytes: number;
  /** Most entries in the directory. */
  maxEntries: number;
}

export type ZipEntryKind = 'file' | 'folder' | 'symlink' | 'other';

export interface ZipEntry {
  name: string;
  kind: ZipEntryKind;
  /** 0 stored, 8 deflated. */
  method: number;
  encrypted: boolean;
  compressedSize: number;
  /** Unpacked size as the directory declares it. */
  size: number;
  localHeaderOffset: number;
}

/** A zip that cannot be read or breaks a bound; the message says why in words, naming the entry. */
export class ZipError extends Error {
  constructor(message: string, readonly entry?: string) {
    super(message);
    this.name = 'ZipError';
  }
}

const EOCD = 0x06054b50, ZIP64_EOCD = 0x06064b50, ZIP64_LOCATOR = 0x07064b50, CENTRAL = 0x02014b50, LOCAL = 0x04034b50;
const INFLATE_PIECE = 16 * 1024; // at deflate's 1032:1 at most, 17 MB out per piece

const mb = (bytes: number) => `${(bytes / 1024 ** 2).toLocaleString('en-US', { maximumFractionDigits: 1 })} MB`;

/** The entries of a zip's central directory. */
export function listZip(bytes: Uint8Array): ZipEntry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.length;
  // the end record is the last 22 bytes plus a comment of up to 65,535
  let eocd = -1;
  for (let i = n - 22; i >= Math.max(0, n - 22 - 65_535); i--) {
    if (view.getUint32(i, true) === EOCD) { eocd = i; break; }
  }
  if (eocd < 0) throw new ZipError('it is not a zip file (no end-of-directory record)');
  let count = view.getUint16(eocd + 10, true);
  let dirSize = view.getUint32(eocd + 12, true);
  let dirOffset = view.getUint32(eocd + 16, true);
  if (count === 0xffff || dirOffset === 0xffffffff || dirSize === 0xffffffff) {
    const locator = eocd - 20;
    if (locator < 0 || view.getUint32(locator, true) !== ZIP64_LOCATOR) throw new ZipError('its ZIP64 directory record is missing');
    const record = Number(view.getBigUint64(locator + 8, true));
    if (record + 56 > n || view.getUint32(record, true) !== ZIP64_EOCD) throw new ZipError('its ZIP64 directory record is damaged');
    count = Number(view.getBigUint64(record + 32, true));
    dirSize = Number(view.getBigUint64(record + 40, true));
    dirOffset = Number(view.getBigUint64(record + 48, true));
  }
  if (dirOffset + dirSize > n) throw new ZipError('its directory lies beyond the end of the file (is it cut short?)');
  const entries: ZipEntry[] = [];
  const decoder = new TextDecoder('utf-8');
  let p = dirOffset;
  for (let k = 0; k < count; k++) {
    if (p + 46 > n || view.getUint32(p, true) !== CENTRAL) throw new ZipError(`its directory is damaged at entry ${k + 1}`);
    const madeBy = view.getUint16(p + 4, true) >> 8;
    const flags = view.getUint16(p + 8, true);
    const method = view.getUint16(p + 10, true);
    let compressedSize = view.getUint32(p + 20, true);
    let size = view.getUint32(p + 24, true);
    const nameLength = view.getUint16(p + 28, true);
    const extraLength = view.getUint16(p + 30, true);
    const commentLength = view.getUint16(p + 32, true);
    const external = view.getUint32(p + 38, true);
    let localHeaderOffset = view.getUint32(p + 42, true);
    const name = decoder.decode(bytes.subarray(p + 46, p + 46 + nameLength));
    // ZIP64: the sizes and offset that overflowed 32 bits are in extra field 0x0001, in this order
    let e = p + 46 + nameLength;
    const extraEnd = e + extraLength;
    while (e + 4 <= extraEnd) {
      const id = view.getUint16(e, true), len = view.getUint16(e + 2, true);
      if (id === 1) {
        let q = e + 4;
        const next = () => { const v = Number(view.getBigUint64(q, true)); q += 8; return v; };
        if (size === 0xffffffff) size = next();
        if (compressedSize === 0xffffffff) compressedSize = next();
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = next();
      }
      e += 4 + len;
    }
    const unixMode = madeBy === 3 ? external >>> 16 : 0;
    const type = unixMode & 0o170000;
    const kind: ZipEntryKind =
      type === 0o120000 ? 'symlink'
        : type === 0o040000 || name.endsWith('/') || (external & 0x10) !== 0 ? 'folder'
          : type === 0 || type === 0o100000 ? 'file'
            : 'other';
    entries.push({ name, kind, method, encrypted: (flags & 1) !== 0, compressedSize, size, localHeaderOffset });
    p = extraEnd + commentLength;
  }
  return entries;
}

/**
 * Checks every entry `wanted` accepts against the limits, from the directory alone: a file (not a
 * symlink, device or the like), not encrypted, stored or deflated, within the caps.
 */
export function checkZipEntries(entries: readonly ZipEntry[], limits: ZipLimits, wanted: (e: ZipEntry) => boolean = () => true): ZipEntry[] {
  if (entries.length > limits.maxEntries) throw new ZipError(`it holds ${entries.length.toLocaleString('en-US')} entries, more than the ${limits.maxEntries.toLocaleString('en-US')} allowed`);
  const chosen: ZipEntry[] = [];
  let total = 0;
  for (const entry of entries) {
    if (entry.kind === 'symlink') throw new ZipError(`entry "${entry.name}" is a symbolic link; archives may hold only files and folders`, entry.name);
    if (entry.kind === 'other') throw new ZipError(`entry "${entry.name}" is not a regular file (a device, pipe or socket); archives may hold only files and folders`, entry.name);
    if (entry.kind === 'folder' || !wanted(entry)) continue;
    if (entry.encrypted) throw new ZipError(`entry "${entry.name}" is encrypted`, entry.name);
    if (entry.method !== 0 && entry.method !== 8) throw new ZipError(`entry "${entry.name}" uses compression method ${entry.method}; only stored and deflated entries are read`, entry.name);
    if (entry.size > limits.maxEntryBytes) {
      throw new ZipError(`entry "${entry.name}" would unpack to ${mb(entry.size)}, more than the ${mb(limits.maxEntryBytes)} allowed for one entry (a zip bomb, or not what this import reads)`, entry.name);
    }
    total += entry.size;
    if (total > limits.maxTotalBytes) throw new ZipError(`its entries would unpack to more than the ${mb(limits.maxTotalBytes)} allowed in all (a zip bomb, or not what this import reads)`, entry.name);
    chosen.push(entry);
  }
  return chosen;
}

/** One entry's bytes; refuses an entry whose data yields more, or less, than the directory declared. */
export function inflateEntry(bytes: Uint8Array, entry: ZipEntry): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = entry.localHeaderOffset;
  if (at + 30 > bytes.length || view.getUint32(at, true) !== LOCAL) throw new ZipError(`entry "${entry.name}" is damaged (its local header is missing)`, entry.name);
  const start = at + 30 + view.getUint16(at + 26, true) + view.getUint16(at + 28, true);
  const end = start + entry.compressedSize;
  if (end > bytes.length) throw new ZipError(`entry "${entry.name}" is cut short`, entry.name);
  const data = bytes.subarray(start, end);
  if (entry.method === 0) {
    if (entry.compressedSize !== entry.size) throw new ZipError(`entry "${entry.name}" is damaged (stored with ${entry.compressedSize} bytes, the directory says ${entry.size})`, entry.name);
    return data.slice();
  }
  const out = new Uint8Array(entry.size);
  let written = 0;
  const tooLong = () => new ZipError(`entry "${entry.name}" inflates to more than the ${entry.size.toLocaleString('en-US')} bytes its directory declares; refused (a zip bomb or a damaged file)`, entry.name);
  const inflater = new Inflate((chunk) => {
    if (written + chunk.length > out.length) throw tooLong();
    out.set(chunk, written);
    written += chunk.length;
  });
  try {
    for (let p = 0; p < data.length; p += INFLATE_PIECE) inflater.push(data.subarray(p, Math.min(data.length, p + INFLATE_PIECE)), p + INFLATE_PIECE >= data.length);
    if (data.length === 0) inflater.push(new Uint8Array(0), true);
  } catch (e) {
    if (e instanceof ZipError) throw e;
    throw new ZipError(`entry "${entry.name}" could not be unpacked (${(e as Error).message})`, entry.name);
  }
  if (written !== entry.size) throw new ZipError(`entry "${entry.name}" is damaged (unpacked ${written.toLocaleString('en-US')} bytes, the directory says ${entry.size.toLocaleString('en-US')})`, entry.name);
  return out;
}

/** The files `wanted` accepts, by name, checked and inflated within the limits. */
export function unzipWithin(bytes: Uint8Array, limits: ZipLimits, wanted?: (e: ZipEntry) => boolean): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  for (const entry of checkZipEntries(listZip(bytes), limits, wanted)) {
    if (files.has(entry.name)) throw new ZipError(`entry "${entry.name}" appears twice`, entry.name);
    files.set(entry.name, inflateEntry(bytes, entry));
  }
  return files;
}
