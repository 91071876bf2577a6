// A run's records from its folder (zipped in memory as the lab exports it) or its zip, for the
// command lines that start from a run (npm run train --init-from, npm run retrain --from).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { zipSync } from 'fflate';
import type { RunRecords } from '../core/run/contracts';
import { readRunZip } from '../services/runArchive';

/** The records, or throws naming what is wrong (no such path, not a run). */
export function readRunSource(path: string): RunRecords {
  if (!existsSync(path)) throw new Error(`no such run folder or zip: ${path}`);
  if (!statSync(path).isDirectory()) return readRunZip(new Uint8Array(readFileSync(path)), basename(path));
  const files: Record<string, Uint8Array> = {};
  const walk = (dir: string, prefix: string) => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full, `${prefix}${name}/`);
      else files[`${prefix}${name}`] = new Uint8Array(readFileSync(full));
    }
  };
  walk(path, `${basename(path)}/`);
  return readRunZip(zipSync(files, { level: 0 }), `${basename(path)}.zip`);
}
