// A TensorBoard event file of scalars, written by hand: a few protobuf messages in TFRecord framing.
// Pure bytes in, bytes out: no TensorFlow.js, no DOM.
//
// TFRecord: each record is
//   uint64 length (little-endian) | uint32 masked CRC32C of those 8 bytes | data | uint32 masked CRC32C of data
// Event (tensorflow/core/util/event.proto):
//   wall_time double = 1; step int64 = 2; file_version string = 3; summary Summary = 5
// Summary: repeated Value value = 1;  Summary.Value: tag string = 1; simple_value float = 2

export interface TensorboardScalar {
  tag: string;
  step: number;
  value: number;
  /** Seconds since the Unix epoch. */
  wallTime: number;
}

export interface TensorboardFileOptions {
  /** wall_time of the leading file_version event; defaults to the earliest scalar's, or now. */
  startWallTime?: number;
}

// ---- CRC32C (Castagnoli), the checksum TFRecord uses ----

const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = CRC32C_TABLE[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** TFRecord stores a rotated and offset CRC, so that CRCs of data holding CRCs stay well spread. */
export function maskedCrc32c(bytes: Uint8Array): number {
  const crc = crc32c(bytes);
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

// ---- protobuf encoding: just the wire types an Event needs ----

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

// A run has a few dozen distinct tags and thousands of events: encode each tag once.
const textEncoder = new TextEncoder();
const encodedStrings = new Map<string, Uint8Array>();

class ProtoWriter {
  private readonly parts: number[] = [];

  /** A varint of an int64 (negative numbers take ten bytes, as protobuf writes them). */
  varint(n: number | bigint): this {
    if (typeof n === 'number' && n >= 0 && n <= Number.MAX_SAFE_INTEGER) {
      // the common case without BigInt: 7 bits at a time by division
      let v = n;
      while (v >= 128) {
        this.parts.push((v % 128) | 0x80);
        v = Math.floor(v / 128);
      }
      this.parts.push(v);
      return this;
    }
    let v = BigInt.asUintN(64, BigInt(n));
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v > 0n) byte |= 0x80;
      this.parts.push(byte);
    } while (v > 0n);
    return this;
  }

  private key(field: number, wireType: number): this {
    return this.varint((field << 3) | wireType);
  }

  int64(field: number, value: number): this {
    return this.key(field, WIRE_VARINT).varint(Math.trunc(value));
  }

  double(field: number, value: number): this {
    const buf = new DataView(new ArrayBuffer(8));
    buf.setFloat64(0, value, true);
    this.key(field, WIRE_FIXED64);
    for (let i = 0; i < 8; i++) this.parts.push(buf.getUint8(i));
    return this;
  }

  float(field: number, value: number): this {
    const buf = new DataView(new ArrayBuffer(4));
    buf.setFloat32(0, value, true);
    this.key(field, WIRE_FIXED32);
    for (let i = 0; i < 4; i++) this.parts.push(buf.getUint8(i));
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.key(field, WIRE_LENGTH_DELIMITED).varint(value.length);
    for (let i = 0; i < value.length; i++) this.parts.push(value[i]);
    return this;
  }

  string(field: number, value: string): this {
    let encoded = encodedStrings.get(value);
    if (!encoded) encodedStrings.set(value, (encoded = textEncoder.encode(value)));
    return this.bytes(field, encoded);
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

function fileVersionEvent(wallTime: number): Uint8Array {
  return new ProtoWriter().double(1, wallTime).string(3, 'brain.Event:2').finish();
}

function scalarEvent(s: TensorboardScalar): Uint8Array {
  const value = new ProtoWriter().string(1, s.tag).float(2, s.value).finish();
  const summary = new ProtoWriter().bytes(1, value).finish();
  return new ProtoWriter().double(1, s.wallTime).int64(2, s.step).bytes(5, summary).finish();
}

function tfRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + 4 + data.length + 4);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(data.length), true);
  view.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(data, 12);
  view.setUint32(12 + data.length, maskedCrc32c(data), true);
  return out;
}

/** Bytes of a varint. */
function varintLength(n: number): number {
  let len = 1;
  while (n >= 128) { n = Math.floor(n / 128); len++; }
  return len;
}

function writeVarint(out: Uint8Array, at: number, n: number): number {
  while (n >= 128) { out[at++] = (n % 128) | 0x80; n = Math.floor(n / 128); }
  out[at++] = n;
  return at;
}

/**
 * The bytes of an event file holding `scalars`, in the order given, after the file_version event.
 * Scalar events are written straight into one buffer (a run has tens of thousands of them);
 * negative or huge steps, which need BigInt varints, go through ProtoWriter.
 */
export function tensorboardEventFile(scalars: TensorboardScalar[], opts: TensorboardFileOptions = {}): Uint8Array {
  const startWallTime = opts.startWallTime ?? (scalars.length ? scalars.reduce((min, s) => Math.min(min, s.wallTime), Infinity) : Date.now() / 1000);
  const first = tfRecord(fileVersionEvent(startWallTime));
  let size = first.length;
  for (const s of scalars) {
    let tag = encodedStrings.get(s.tag);
    if (!tag) encodedStrings.set(s.tag, (tag = textEncoder.encode(s.tag)));
    size += 16 + 64 + tag.length; // framing + a generous bound on the event
  }
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out.set(first, 0);
  let at = first.length;
  for (const s of scalars) {
    const step = Math.trunc(s.step);
    if (!(step >= 0 && step <= Number.MAX_SAFE_INTEGER)) {
      const record = tfRecord(scalarEvent(s));
      out.set(record, at);
      at += record.length;
      continue;
    }
    const tag = encodedStrings.get(s.tag)!;
    const valueLen = 1 + varintLength(tag.length) + tag.length + 5; // Summary.Value {tag, simple_value}
    const summaryLen = 1 + varintLength(valueLen) + valueLen; // Summary {value}
    const eventLen = 9 + 1 + varintLength(step) + 1 + varintLength(summaryLen) + summaryLen; // Event {wall_time, step, summary}
    const start = at;
    view.setBigUint64(at, BigInt(eventLen), true);
    view.setUint32(at + 8, maskedCrc32c(out.subarray(at, at + 8)), true);
    let p = at + 12;
    out[p++] = (1 << 3) | WIRE_FIXED64;
    view.setFloat64(p, s.wallTime, true);
    p += 8;
    out[p++] = (2 << 3) | WIRE_VARINT;
    p = writeVarint(out, p, step);
    out[p++] = (5 << 3) | WIRE_LENGTH_DELIMITED;
    p = writeVarint(out, p, summaryLen);
    out[p++] = (1 << 3) | WIRE_LENGTH_DELIMITED;
    p = writeVarint(out, p, valueLen);
    out[p++] = (1 << 3) | WIRE_LENGTH_DELIMITED;
    p = writeVarint(out, p, tag.length);
    out.set(tag, p);
    p += tag.length;
    out[p++] = (2 << 3) | WIRE_FIXED32;
    view.setFloat32(p, s.value, true);
    p += 4;
    view.setUint32(p, maskedCrc32c(out.subarray(start + 12, p)), true);
    at = p + 4;
  }
  return out.slice(0, at);
}

export function eventFileName(wallTimeSeconds: number, host = 'rl-trading-lab'): string {
  return `events.out.tfevents.${Math.floor(wallTimeSeconds)}.${host}`;
}

// ---- reading back (for tests and for checking an imported file) ----

class ProtoReader {
  pos = 0;
  constructor(private readonly bytes: Uint8Array) {}

  get done(): boolean {
    return this.pos >= this.bytes.length;
  }

  varint(): bigint {
    let result = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (this.pos >= this.bytes.length) throw new Error('protobuf: varint runs past the end of the message');
      const byte = this.bytes[this.pos++];
      result |= BigInt(byte & 0x7f) << shift;
      if (!(byte & 0x80)) return result;
      if (shift > 63n) throw new Error('protobuf: varint longer than ten bytes');
    }
  }

  take(n: number): Uint8Array {
    if (this.pos + n > this.bytes.length) throw new Error('protobuf: field runs past the end of the message');
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** Each field as [number, wire type, payload]; varints as bigint, the rest as bytes. */
  *fields(): Generator<[number, number, bigint | Uint8Array]> {
    while (!this.done) {
      const key = Number(this.varint());
      const field = key >>> 3;
      const wireType = key & 7;
      if (wireType === WIRE_VARINT) yield [field, wireType, this.varint()];
      else if (wireType === WIRE_FIXED64) yield [field, wireType, this.take(8)];
      else if (wireType === WIRE_FIXED32) yield [field, wireType, this.take(4)];
      else if (wireType === WIRE_LENGTH_DELIMITED) yield [field, wireType, this.take(Number(this.varint()))];
      else throw new Error(`protobuf: unsupported wire type ${wireType} (field ${field})`);
    }
  }
}

const asView = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

/** The raw records of a TFRecord file, both CRCs of each checked. */
export function readTfRecords(bytes: Uint8Array): Uint8Array[] {
  const records: Uint8Array[] = [];
  const view = asView(bytes);
  let pos = 0;
  while (pos < bytes.length) {
    if (pos + 12 > bytes.length) throw new Error(`TFRecord at byte ${pos}: the file ends inside the record header`);
    const lengthBytes = bytes.subarray(pos, pos + 8);
    if (view.getUint32(pos + 8, true) !== maskedCrc32c(lengthBytes)) throw new Error(`TFRecord at byte ${pos}: bad CRC of the length field`);
    const length = Number(view.getBigUint64(pos, true));
    const dataStart = pos + 12;
    if (dataStart + length + 4 > bytes.length) throw new Error(`TFRecord at byte ${pos}: the file ends inside the record (length ${length})`);
    const data = bytes.subarray(dataStart, dataStart + length);
    if (view.getUint32(dataStart + length, true) !== maskedCrc32c(data)) throw new Error(`TFRecord at byte ${pos}: bad CRC of the data`);
    records.push(data);
    pos = dataStart + length + 4;
  }
  return records;
}

/** The scalar events (simple_value) of an event file; other events, like file_version, are skipped. */
export function readTensorboardEvents(bytes: Uint8Array): TensorboardScalar[] {
  const scalars: TensorboardScalar[] = [];
  for (const record of readTfRecords(bytes)) {
    let wallTime = 0;
    let step = 0;
    const values: { tag: string; value: number }[] = [];
    for (const [field, , payload] of new ProtoReader(record).fields()) {
      if (field === 1 && payload instanceof Uint8Array) wallTime = asView(payload).getFloat64(0, true);
      else if (field === 2 && typeof payload === 'bigint') step = Number(BigInt.asIntN(64, payload));
      else if (field === 5 && payload instanceof Uint8Array) {
        for (const [valueField, , valueBytes] of new ProtoReader(payload).fields()) {
          if (valueField !== 1 || !(valueBytes instanceof Uint8Array)) continue;
          let tag = '';
          let value: number | null = null;
          for (const [f, , p] of new ProtoReader(valueBytes).fields()) {
            if (f === 1 && p instanceof Uint8Array) tag = new TextDecoder().decode(p);
            else if (f === 2 && p instanceof Uint8Array) value = asView(p).getFloat32(0, true);
          }
          if (value !== null) values.push({ tag, value });
        }
      }
    }
    for (const v of values) scalars.push({ tag: v.tag, step, value: v.value, wallTime });
  }
  return scalars;
}
