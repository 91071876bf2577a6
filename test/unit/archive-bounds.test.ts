// Archives are read within bounds: sizes judged from the zip's directory before inflating, an
// entry that yields more than it declared stopped there, symlinks and other non-files refused,
// model files checked against their manifests, JSON depth limited. Inputs are made here by hand.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { strToU8, unzipSync, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { RUN_FORMATS } from '../../src/algos/registry';
import { listZip } from '../../src/core/archive/zip';
import { importBytes } from '../../src/core/data/importer';
import { writeNpy } from '../../src/core/data/npz';
import { importRunZip } from '../../src/core/run/importRun';
import { craftZip, deflated, zerosDeflate, zerosSize } from './zipCraft';

const RUN = 'run_20250102_030405';
const fixture = () => unzipSync(new Uint8Array(readFileSync(resolve(__dirname, `../fixtures/runs/${RUN}.zip`))));
const read = (files: Record<string, Uint8Array>, name = 'run.zip') => importRunZip(zipSync(files), name, RUN_FORMATS);
const MB = 1024 ** 2;

/** Growth of this process's memory (resident and array buffers) over `f`, in MB. */
function memoryGrowth(f: () => void): number {
  const before = process.memoryUsage();
  f();
  const after = process.memoryUsage();
  return Math.max(after.rss - before.rss, after.arrayBuffers - before.arrayBuffers) / MB;
}

describe('the zip directory', () => {
  it('tells files, folders and symlinks apart', () => {
    const zip = craftZip([
      { name: 'a/', data: new Uint8Array(0), unixMode: 0o040755 },
      { name: 'a/file.txt', data: strToU8('hi') },
      { name: 'a/link', data: strToU8('/etc/passwd'), unixMode: 0o120777 },
      { name: 'a/fifo', data: new Uint8Array(0), unixMode: 0o010644 },
    ]);
    expect(listZip(zip).map((e) => [e.name, e.kind])).toEqual([['a/', 'folder'], ['a/file.txt', 'file'], ['a/link', 'symlink'], ['a/fifo', 'other']]);
    expect(listZip(zipSync({ 'x.txt': strToU8('x') }))[0]).toMatchObject({ name: 'x.txt', kind: 'file', size: 1, method: 8 });
  });
});

describe('run zips within bounds', () => {
  it('the fixture imports whole', () => {
    const back = read(fixture());
    expect(back.checkpoints).toHaveLength(3);
  });

  it('refuses a symlink entry, naming it', () => {
    const files = fixture();
    const entries = Object.entries(files).filter(([n]) => !n.endsWith('detailed_episodes.jsonl')).map(([name, data]) => deflated(name, data));
    entries.push({ name: `${RUN}/detailed_episodes.jsonl`, data: strToU8('/etc/passwd'), unixMode: 0o120777 });
    const zip = craftZip(entries);
    expect(() => importRunZip(zip, 'link.zip', RUN_FORMATS)).toThrow(/"link\.zip".*detailed_episodes\.jsonl" is a symbolic link/);
  });

  it('refuses a 3 MB zip with a 1.9 GB entry from its directory, inflating nothing', () => {
    const files = fixture();
    const size = zerosSize(1.9e9);
    const bomb = zerosDeflate(size);
    expect(bomb.length).toBeLessThan(12 * MB);
    const entries = Object.entries(files).filter(([n]) => !n.endsWith('detailed_episodes.jsonl')).map(([name, data]) => deflated(name, data));
    entries.push({ name: `${RUN}/detailed_episodes.jsonl`, data: bomb, method: 8, declaredSize: size });
    const zip = craftZip(entries);
    let error: Error | null = null;
    const growth = memoryGrowth(() => { try { importRunZip(zip, 'bomb.zip', RUN_FORMATS); } catch (e) { error = e as Error; } });
    expect(String(error)).toMatch(/"bomb\.zip".*detailed_episodes\.jsonl" would unpack to 1,812 MB, more than the 256 MB allowed for one entry/);
    expect(growth).toBeLessThan(64);
  });

  it('stops an entry that inflates past its declared size (a lying directory)', () => {
    const files = fixture();
    const entries = Object.entries(files).filter(([n]) => !n.endsWith('detailed_episodes.jsonl')).map(([name, data]) => deflated(name, data));
    // 200 MB of zeros that the directory calls 1 MB
    entries.push({ name: `${RUN}/detailed_episodes.jsonl`, data: zerosDeflate(zerosSize(200 * MB)), method: 8, declaredSize: MB });
    let error: Error | null = null;
    const growth = memoryGrowth(() => { try { importRunZip(craftZip(entries), 'liar.zip', RUN_FORMATS); } catch (e) { error = e as Error; } });
    expect(String(error)).toMatch(/"liar\.zip".*detailed_episodes\.jsonl" inflates to more than the 1,048,576 bytes its directory declares/);
    expect(growth).toBeLessThan(64);
  });

  it('refuses a weights.bin shorter than its model.json declares', () => {
    const files = fixture();
    const path = `${RUN}/checkpoints/best_model/weights.bin`;
    files[path] = files[path].slice(0, files[path].length >> 1);
    expect(() => read(files)).toThrow(/"run\.zip".*checkpoints\/best_model\/weights\.bin holds 2,022 bytes, but its model\.json declares 4,044/);
  });

  it('refuses NaN weights in weights.bin and in trainer_state.json, naming the file', () => {
    const files = fixture();
    const path = `${RUN}/checkpoints/final_model/weights.bin`;
    const copy = files[path].slice();
    new DataView(copy.buffer).setFloat32(8, NaN, true);
    expect(() => read({ ...files, [path]: copy })).toThrow(/final_model\/weights\.bin: weight ".*" holds NaN or infinite values/);

    const statePath = `${RUN}/checkpoints/model_step_256/trainer_state.json`;
    const state = JSON.parse(new TextDecoder().decode(files[statePath]));
    const values = Array.from(new Float32Array(Uint8Array.from(atob(state.weights[0].values), (c) => c.charCodeAt(0)).buffer));
    values[3] = null as unknown as number; // JSON's stand-in for NaN
    state.weights[0].values = values;
    expect(() => read({ ...files, [statePath]: strToU8(JSON.stringify(state)) })).toThrow(/model_step_256\/trainer_state\.json: weights\[0\].*holds NaN or infinite values/);
  });

  it('refuses JSON nested deeper than any run file, with the line', () => {
    const files = fixture();
    // a config whose last key nests 100,000 lists: JSON.parse takes it, the browser's structured clone overflows
    const config = new TextDecoder().decode(files[`${RUN}/config.json`]).trimEnd();
    files[`${RUN}/config.json`] = strToU8(`${config.slice(0, -1)},\n  "notes": ${'['.repeat(100_000)}${']'.repeat(100_000)}\n}`);
    expect(() => read(files)).toThrow(/"run\.zip".*config\.json: line \d+: nested more than 64 levels deep/);
  });
});

describe('npz within bounds', () => {
  const npzOf = (entries: Parameters<typeof craftZip>[0]) => craftZip(entries);
  const valid = () => {
    const n = 4;
    return [
      { name: 'states.npy', data: writeNpy(new Float32Array(n * 2).fill(0.5), [n, 2], '<f4') },
      { name: 'actions.npy', data: writeNpy([0, 1, 2, 0], [n], '<i4') },
      { name: 'strengths.npy', data: writeNpy([1, 1, 1, 1], [n], '<f4') },
    ];
  };

  it('reads a hand-made valid npz', async () => {
    const outcome = await importBytes(npzOf(valid()), 'ok.npz');
    expect(outcome.status).toBe('ready');
  });

  it('refuses a 9 MB npz that would inflate to 1.5 GB, before inflating', async () => {
    const size = zerosSize(1.5e9);
    const entries = [...valid().slice(1), { name: 'states.npy', data: zerosDeflate(size), method: 8 as const, declaredSize: size }];
    const before = process.memoryUsage().rss;
    await expect(importBytes(npzOf(entries), 'bomb.npz')).rejects.toThrow(/bomb\.npz: cannot read it as an \.npz \(zip\) file: entry "states\.npy" would unpack to 1,430\.5 MB, more than the 1,024 MB allowed for one entry/);
    expect((process.memoryUsage().rss - before) / MB).toBeLessThan(100);
  });

  it('stops an array that inflates past its declared size', async () => {
    const entries = [...valid().slice(1), { name: 'states.npy', data: zerosDeflate(zerosSize(300 * MB)), method: 8 as const, declaredSize: 4096 }];
    const before = process.memoryUsage().rss;
    await expect(importBytes(npzOf(entries), 'liar.npz')).rejects.toThrow(/liar\.npz: .*"states\.npy" inflates to more than the 4,096 bytes its directory declares/);
    expect((process.memoryUsage().rss - before) / MB).toBeLessThan(100);
  });

  it('refuses a symlink in an npz', async () => {
    const entries = [...valid(), { name: 'evil.npy', data: strToU8('/etc/passwd'), unixMode: 0o120777 }];
    await expect(importBytes(npzOf(entries), 'link.npz')).rejects.toThrow(/link\.npz: .*"evil\.npy" is a symbolic link/);
  });
});
