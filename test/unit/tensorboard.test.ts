import { describe, expect, it } from 'vitest';
import {
  crc32c,
  eventFileName,
  maskedCrc32c,
  readTensorboardEvents,
  readTfRecords,
  tensorboardEventFile,
  type TensorboardScalar,
} from '../../src/core/run/tensorboard';

const ascii = (s: string) => new TextEncoder().encode(s);

describe('CRC32C', () => {
  it('matches the published check values', () => {
    expect(crc32c(ascii('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43); // RFC 3720 B.4
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e); // RFC 3720 B.4
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });

  it('masks as TFRecord does: rotate right by 15, add 0xa282ead8', () => {
    const crc = 0xe3069283;
    const expected = (((crc >>> 15) | (crc << 17)) + 0xa282ead8) >>> 0;
    expect(maskedCrc32c(ascii('123456789'))).toBe(expected);
  });
});

describe('TensorBoard event file', () => {
  const scalars: TensorboardScalar[] = [
    { tag: 'train/value_loss', step: 2048, value: 0.125, wallTime: 1737037825.25 },
    { tag: 'train/approx_kl', step: 2048, value: 0.0123, wallTime: 1737037825.25 },
    { tag: 'eval/mean_reward', step: 10_000, value: -2.5, wallTime: 1737037900.5 },
    { tag: 'rollout/episode_reward', step: 5_000_000_000, value: 1.5, wallTime: 1737037999 }, // step beyond 32 bits
  ];

  it('starts with a file_version record, then one record per scalar, and reads back', () => {
    const bytes = tensorboardEventFile(scalars);
    const records = readTfRecords(bytes);
    expect(records).toHaveLength(1 + scalars.length);
    // The first record: wall_time (field 1, fixed64) then file_version (field 3) "brain.Event:2".
    expect(records[0][0]).toBe(0x09);
    expect(records[0][9]).toBe(0x1a);
    expect(new TextDecoder().decode(records[0].subarray(11))).toBe('brain.Event:2');
    const back = readTensorboardEvents(bytes);
    expect(back).toHaveLength(scalars.length);
    back.forEach((s, i) => {
      expect(s.tag).toBe(scalars[i].tag);
      expect(s.step).toBe(scalars[i].step);
      expect(s.wallTime).toBe(scalars[i].wallTime); // a double: exact
      expect(s.value).toBe(Math.fround(scalars[i].value)); // a float32
    });
  });

  it('encodes one scalar event byte for byte as protobuf would', () => {
    const bytes = tensorboardEventFile([{ tag: 'a', step: 300, value: 1, wallTime: 2 }], { startWallTime: 2 });
    const event = readTfRecords(bytes)[1];
    // wall_time 2.0 | step 300 (varint ac 02) | summary { value { tag "a", simple_value 1.0f } }
    expect(Array.from(event)).toEqual([
      0x09, 0, 0, 0, 0, 0, 0, 0, 0x40,
      0x10, 0xac, 0x02,
      0x2a, 0x0a, 0x0a, 0x08, 0x0a, 0x01, 0x61, 0x15, 0x00, 0x00, 0x80, 0x3f,
    ]);
    // Framing: uint64 length 24, masked CRC of the length, data, masked CRC of the data.
    const firstLength = 8 + 4 + readTfRecords(bytes)[0].length + 4;
    const framed = bytes.subarray(firstLength);
    const view = new DataView(framed.buffer, framed.byteOffset, framed.byteLength);
    expect(view.getBigUint64(0, true)).toBe(24n);
    expect(view.getUint32(8, true)).toBe(maskedCrc32c(framed.subarray(0, 8)));
    expect(view.getUint32(12 + 24, true)).toBe(maskedCrc32c(event));
    expect(framed.length).toBe(8 + 4 + 24 + 4);
  });

  it('keeps NaN and infinite values as float32', () => {
    const back = readTensorboardEvents(tensorboardEventFile([
      { tag: 'x', step: 1, value: NaN, wallTime: 1 },
      { tag: 'y', step: 2, value: -Infinity, wallTime: 1 },
    ]));
    expect(back[0].value).toBeNaN();
    expect(back[1].value).toBe(-Infinity);
  });

  it('refuses a file with a bad CRC, saying which', () => {
    const bytes = tensorboardEventFile(scalars);
    const badData = bytes.slice();
    badData[20] ^= 0xff; // inside the first record's data
    expect(() => readTensorboardEvents(badData)).toThrow(/bad CRC of the data/);
    const badLength = bytes.slice();
    badLength[8] ^= 0x01; // the first record's length CRC
    expect(() => readTensorboardEvents(badLength)).toThrow(/bad CRC of the length/);
    expect(() => readTensorboardEvents(bytes.subarray(0, bytes.length - 2))).toThrow(/ends inside/);
  });

  it('names the file as TensorBoard expects', () => {
    expect(eventFileName(1737037825.9)).toBe('events.out.tfevents.1737037825.rl-trading-lab');
    expect(eventFileName(10, 'box')).toBe('events.out.tfevents.10.box');
  });

  it('writes an empty file as just the file_version record', () => {
    const bytes = tensorboardEventFile([], { startWallTime: 5 });
    expect(readTfRecords(bytes)).toHaveLength(1);
    expect(readTensorboardEvents(bytes)).toEqual([]);
  });
});
