// Settings as one declarative table (as TensorFlow Playground's state.ts): each entry names a
// setting, its type, default, range and help. The Train form, the command line's flags and
// --help, and the settings mirrored in the page's address are all made from these tables, so a
// setting is declared once, where its algorithm or environment is.

export type SettingType = 'number' | 'integer' | 'boolean' | 'choice' | 'integers';

export interface SettingSpec {
  key: string;
  type: SettingType;
  /** The value a new run gets; for `nullable` settings null means "off". */
  default: number | boolean | string | number[] | null;
  help: string;
  /** Shown beside the main controls rather than with the advanced settings. */
  main?: boolean;
  /** Inclusive bounds (exclusive where `minExclusive` / `maxExclusive`). */
  min?: number;
  max?: number;
  minExclusive?: boolean;
  maxExclusive?: boolean;
  /** Non-zero (a seed: 0 would mean unseeded). */
  nonZero?: boolean;
  /** The allowed values of a choice, with what they mean. */
  choices?: readonly { value: string; label: string }[];
  /** May be null (the control is a checkbox beside the number). */
  nullable?: boolean;
  /** Other names on the command line (`--timesteps` for total_timesteps). */
  cliAliases?: readonly string[];
  /** The setting matters only while another one has this value (forms hide it otherwise). */
  onlyWhen?: { key: string; equals: SettingValue };
}

export type SettingValue = number | boolean | string | number[] | null;
export type SettingValues = Record<string, SettingValue>;

/** Whether a setting matters under these values (see `onlyWhen`). */
export function settingApplies(spec: SettingSpec, values: SettingValues): boolean {
  return !spec.onlyWhen || values[spec.onlyWhen.key] === spec.onlyWhen.equals;
}

/** The default of every setting in a table. */
export function defaultsOf(specs: readonly SettingSpec[]): SettingValues {
  const out: SettingValues = {};
  for (const s of specs) out[s.key] = Array.isArray(s.default) ? [...s.default] : s.default;
  return out;
}

/** What is wrong with a value for a setting, in words; null when it is fine. */
export function checkSetting(spec: SettingSpec, value: unknown): string | null {
  if (value === null) return spec.nullable ? null : `${spec.key} needs a value`;
  const range = (v: number) => {
    if (spec.nonZero && v === 0) return `${spec.key} must not be 0 (0 would mean unseeded)`;
    if (spec.min !== undefined && (spec.minExclusive ? !(v > spec.min) : !(v >= spec.min))) return `${spec.key} must be ${spec.minExclusive ? 'above' : 'at least'} ${spec.min} (got ${v})`;
    if (spec.max !== undefined && (spec.maxExclusive ? !(v < spec.max) : !(v <= spec.max))) return `${spec.key} must be ${spec.maxExclusive ? 'below' : 'at most'} ${spec.max} (got ${v})`;
    return null;
  };
  switch (spec.type) {
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) return `${spec.key} must be a number (got ${String(value)})`;
      return range(value);
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) return `${spec.key} must be a whole number (got ${String(value)})`;
      return range(value);
    case 'boolean':
      return typeof value === 'boolean' ? null : `${spec.key} must be true or false (got ${String(value)})`;
    case 'choice':
      return spec.choices?.some((c) => c.value === value) ? null : `${spec.key} must be one of ${spec.choices?.map((c) => c.value).join(', ')} (got ${String(value)})`;
    case 'integers': {
      if (!Array.isArray(value) || value.length === 0) return `${spec.key} must list at least one whole number`;
      for (const v of value) {
        if (!Number.isInteger(v)) return `${spec.key} must list whole numbers (got ${String(v)})`;
        const problem = range(v);
        if (problem) return problem;
      }
      return null;
    }
  }
}

/** Every problem of a set of values against its table (unknown keys are not checked). */
export function checkSettings(specs: readonly SettingSpec[], values: object): string[] {
  const out: string[] = [];
  for (const s of specs) {
    const problem = checkSetting(s, (values as Record<string, unknown>)[s.key]);
    if (problem) out.push(problem);
  }
  return out;
}

/** A setting's value as text (for an address or a command line); null as "off". */
export function formatSetting(spec: SettingSpec, value: SettingValue): string {
  if (value === null) return 'off';
  if (spec.type === 'integers' && Array.isArray(value)) return value.join(',');
  return String(value);
}

/** A value from text (an address or a command line), or why it cannot be one. */
export function parseSetting(spec: SettingSpec, text: string): { value: SettingValue } | { error: string } {
  const t = text.trim();
  const fail = (why: string) => ({ error: `${spec.key}: "${text}" ${why}` });
  if (spec.nullable && (t === 'off' || t === 'null' || t === 'none')) return { value: null };
  let value: SettingValue;
  switch (spec.type) {
    case 'number':
    case 'integer': {
      const n = t === '' ? NaN : Number(t);
      if (!Number.isFinite(n)) return fail('is not a number');
      value = n;
      break;
    }
    case 'boolean':
      if (['true', '1', 'yes', 'on'].includes(t.toLowerCase())) value = true;
      else if (['false', '0', 'no', 'off'].includes(t.toLowerCase())) value = false;
      else return fail('is not true or false');
      break;
    case 'choice':
      value = t;
      break;
    case 'integers':
      value = t.split(/[,\s]+/).filter(Boolean).map(Number);
      break;
  }
  const problem = checkSetting(spec, value);
  return problem ? fail(`is not allowed: ${problem}`) : { value };
}

/** The command-line flag of a setting: learning_rate → --learning-rate. */
export function cliFlag(key: string): string {
  return key.replace(/_/g, '-');
}

/** One line of --help for a setting. */
export function settingHelp(spec: SettingSpec): string {
  const names = [cliFlag(spec.key), ...(spec.cliAliases ?? [])].map((n) => `--${n}`).join(', ');
  const range = spec.choices ? spec.choices.map((c) => c.value).join('|') : spec.type === 'boolean' ? 'true|false' : [spec.min !== undefined ? `${spec.minExclusive ? '>' : '≥'} ${spec.min}` : '', spec.max !== undefined ? `${spec.maxExclusive ? '<' : '≤'} ${spec.max}` : ''].filter(Boolean).join(', ');
  return `  ${names.padEnd(30)} ${spec.help} (default ${formatSetting(spec, spec.default)}${range ? `; ${range}` : ''}${spec.nullable ? '; off disables it' : ''})`;
}
