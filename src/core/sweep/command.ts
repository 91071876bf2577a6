// "Copy as command": the `npm run train …` line that trains a run again with every one of its
// settings written out (so a later change of defaults does not change what it runs), and the
// `npm run sweep …` line of a sweep.
import { cliFlag, formatSetting, type SettingSpec, type SettingValue } from '../settings';

/** A word as a POSIX shell reads it back unchanged. */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A command line split into words as a POSIX shell would (single and double quotes, backslashes). */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unclosed ' at column ${i + 1}`);
      word = (word ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      let text = '';
      for (; j < line.length && line[j] !== '"'; j++) text += line[j] === '\\' && j + 1 < line.length ? line[++j] : line[j];
      if (j >= line.length) throw new Error(`unclosed " at column ${i + 1}`);
      word = (word ?? '') + text;
      i = j;
    } else if (c === '\\' && i + 1 < line.length) word = (word ?? '') + line[++i];
    else if (/\s/.test(c)) {
      if (word !== null) words.push(word);
      word = null;
    } else word = (word ?? '') + c;
  }
  if (word !== null) words.push(word);
  return words;
}

export interface RunCommandSource {
  /** The algorithm's id as --algo takes it, the environment's (null for none), the preset. */
  algo: string;
  env: string | null;
  preset: string | null;
  /** The candles' file (the run keeps its name; the command says where it is). */
  dataFile: string;
  name: string;
  hyperparameters: Record<string, unknown>;
  envSettings: Record<string, unknown>;
  /** The backend, where the command line has it (wasm, cpu); else left to auto. */
  backend: string | null;
  initFromRun: string | null;
}

/** The `npm run train` words that reproduce a run: every setting of its tables with its value. */
export function trainArgs(run: RunCommandSource, tables: { hyperparameters: readonly SettingSpec[]; env: readonly SettingSpec[] }): string[] {
  const args = ['--data', run.dataFile, '--algo', run.algo.toLowerCase()];
  if (run.env) args.push('--env', run.env);
  if (run.preset) args.push('--preset', run.preset);
  const put = (specs: readonly SettingSpec[], values: Record<string, unknown>) => {
    for (const spec of specs) {
      if (!(spec.key in values)) continue;
      args.push(`--${cliFlag(spec.key)}`, formatSetting(spec, values[spec.key] as SettingValue));
    }
  };
  put(tables.hyperparameters, run.hyperparameters);
  if (run.env) put(tables.env, run.envSettings);
  if (run.backend) args.push('--backend', run.backend);
  if (run.initFromRun) args.push('--init-from', run.initFromRun);
  args.push('--name', run.name);
  return args;
}

export function trainCommand(run: RunCommandSource, tables: { hyperparameters: readonly SettingSpec[]; env: readonly SettingSpec[] }): string {
  return ['npm', 'run', 'train', '--', ...trainArgs(run, tables)].map(shellWord).join(' ');
}

/** The sweep's command: the whole grid, or the I-th of K slices. */
export function sweepCommand(gridFile: string, out: string, slice?: { index: number | string; count: number }): string {
  return ['npm', 'run', 'sweep', '--', '--grid', gridFile, '--out', out, ...(slice ? ['--index', String(slice.index), '--count', String(slice.count)] : [])].map((w) => (w.startsWith('$') ? w : shellWord(w))).join(' ');
}
