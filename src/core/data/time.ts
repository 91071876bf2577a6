// Time parsing for every form the lab accepts, to epoch milliseconds (UTC).
// Text forms are parsed from bytes without building strings: the CSV hot path calls this per row.

const MS_PER_DAY = 86_400_000;

/** Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

export type EpochUnit = 's' | 'ms' | 'us' | 'ns';
export const EPOCH_UNIT_TO_MS: Record<EpochUnit, number> = { s: 1000, ms: 1, us: 1e-3, ns: 1e-6 };

/** Guesses the unit of an epoch number by its size: seconds until the year 5138, then ms, µs, ns. */
export function epochUnitOf(value: number): EpochUnit {
  const a = Math.abs(value);
  if (a < 1e11) return 's';
  if (a < 1e14) return 'ms';
  if (a < 1e17) return 'us';
  return 'ns';
}

const C_0 = 48, C_9 = 57, C_DASH = 45, C_SLASH = 47, C_DOT = 46, C_COLON = 58, C_T = 84, C_t = 116;
const C_SPACE = 32, C_Z = 90, C_z = 122, C_PLUS = 43, C_COMMA = 44;

/**
 * Parses a date or date-time written as text:
 * ISO 8601 (`2024-01-02`, `2024-01-02T03:04:05.678Z`, `2024-01-02 03:04:05+02:00`), `YYYY/MM/DD`,
 * `DD.MM.YYYY HH:MM:SS.sss`, and `MM/DD/YYYY` (or `DD/MM/YYYY` when dayFirst).
 * Times without a zone are taken as UTC. Returns NaN when the text is not such a date.
 */
export function parseTimeBytes(b: Uint8Array, start: number, end: number, dayFirst = false): number {
  // trim spaces and quotes
  while (start < end && (b[start] === C_SPACE || b[start] === 34)) start++;
  while (end > start && (b[end - 1] === C_SPACE || b[end - 1] === 34 || b[end - 1] === 13)) end--;
  let i = start;
  let n1 = 0, d1 = 0;
  while (i < end && b[i] >= C_0 && b[i] <= C_9) { n1 = n1 * 10 + b[i] - C_0; i++; d1++; }
  if (i >= end || d1 === 0) return NaN;
  const sep = b[i];
  if (sep !== C_DASH && sep !== C_SLASH && sep !== C_DOT) return NaN;
  i++;
  let n2 = 0, d2 = 0;
  while (i < end && b[i] >= C_0 && b[i] <= C_9) { n2 = n2 * 10 + b[i] - C_0; i++; d2++; }
  if (i >= end || b[i] !== sep || d2 === 0 || d2 > 2) return NaN;
  i++;
  let n3 = 0, d3 = 0;
  while (i < end && b[i] >= C_0 && b[i] <= C_9) { n3 = n3 * 10 + b[i] - C_0; i++; d3++; }
  if (d3 === 0) return NaN;
  let year: number, month: number, day: number;
  if (d1 === 4) { year = n1; month = n2; day = n3; if (d3 > 2) return NaN; }
  else if (d3 === 4 && d1 <= 2) {
    year = n3;
    if (sep === C_DOT || (sep === C_SLASH && dayFirst)) { day = n1; month = n2; }
    else if (sep === C_SLASH) { month = n1; day = n2; }
    else { day = n1; month = n2; } // DD-MM-YYYY
  } else return NaN;
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return NaN;
  let ms = daysFromCivil(year, month, day) * MS_PER_DAY;
  if (i === end) return ms;
  const c = b[i];
  if (c !== C_T && c !== C_t && c !== C_SPACE) return NaN;
  i++;
  while (i < end && b[i] === C_SPACE) i++;
  // HH:MM[:SS[.fff]]
  let hh = 0, dh = 0;
  while (i < end && b[i] >= C_0 && b[i] <= C_9) { hh = hh * 10 + b[i] - C_0; i++; dh++; }
  if (dh === 0 || dh > 2 || i >= end || b[i] !== C_COLON) return NaN;
  i++;
  let mm = 0, dm = 0;
  while (i < end && b[i] >= C_0 && b[i] <= C_9) { mm = mm * 10 + b[i] - C_0; i++; dm++; }
  if (dm !== 2) return NaN;
  let ss = 0, frac = 0;
  if (i < end && b[i] === C_COLON) {
    i++;
    let ds = 0;
    while (i < end && b[i] >= C_0 && b[i] <= C_9) { ss = ss * 10 + b[i] - C_0; i++; ds++; }
    if (ds !== 2) return NaN;
    if (i < end && (b[i] === C_DOT || b[i] === C_COMMA)) {
      i++;
      let scale = 100;
      let df = 0;
      while (i < end && b[i] >= C_0 && b[i] <= C_9) { frac += (b[i] - C_0) * scale; scale /= 10; i++; df++; }
      if (df === 0) return NaN;
    }
  }
  if (hh > 24 || mm > 59 || ss > 60) return NaN;
  ms += hh * 3_600_000 + mm * 60_000 + ss * 1000 + frac;
  while (i < end && b[i] === C_SPACE) i++;
  if (i === end) return ms;
  const z = b[i];
  if (z === C_Z || z === C_z) return i + 1 === end ? ms : NaN;
  if (z === C_PLUS || z === C_DASH) {
    const sign = z === C_PLUS ? 1 : -1;
    i++;
    let oh = 0, om = 0, dd = 0;
    while (i < end && b[i] >= C_0 && b[i] <= C_9 && dd < 2) { oh = oh * 10 + b[i] - C_0; i++; dd++; }
    if (dd !== 2) return NaN;
    if (i < end && b[i] === C_COLON) i++;
    dd = 0;
    while (i < end && b[i] >= C_0 && b[i] <= C_9 && dd < 2) { om = om * 10 + b[i] - C_0; i++; dd++; }
    if (i !== end) return NaN;
    return ms - sign * (oh * 3_600_000 + om * 60_000);
  }
  // "UTC" / "GMT" suffixes
  if (end - i === 3) {
    const s = String.fromCharCode(b[i], b[i + 1], b[i + 2]).toUpperCase();
    if (s === 'UTC' || s === 'GMT') return ms;
  }
  return NaN;
}

const scratch = new Uint8Array(64);

/** parseTimeBytes for a JS string (JSON values, quoted CSV cells). */
export function parseTimeText(text: string, dayFirst = false): number {
  const n = Math.min(text.length, scratch.length);
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    scratch[i] = c < 128 ? c : 0;
  }
  return text.length > scratch.length ? NaN : parseTimeBytes(scratch, 0, n, dayFirst);
}

/** Is there a slash date with a first field over 12 among the samples? Then slashes are day-first. */
export function slashDatesAreDayFirst(samples: string[]): boolean {
  for (const s of samples) {
    const m = /^\s*"?(\d{1,2})\/(\d{1,2})\/\d{4}/.exec(s);
    if (m && Number(m[1]) > 12) return true;
  }
  return false;
}

/** A short label for a bar interval: 1m, 5m, 1h, 8h, 1d, 1w, or seconds / ms when finer. */
export function intervalLabel(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return '';
  const units: [number, string][] = [[604_800_000, 'w'], [86_400_000, 'd'], [3_600_000, 'h'], [60_000, 'm'], [1000, 's']];
  for (const [size, label] of units) {
    if (ms >= size && ms % size === 0) return `${ms / size}${label}`;
  }
  for (const [size, label] of units) {
    if (ms >= size) return `${+(ms / size).toFixed(2)}${label}`;
  }
  return `${ms}ms`;
}

/** ISO text of an epoch-ms time, or '' for NaN. */
export function isoTime(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : '';
}

/** Milliseconds since midnight of a time of day written alone (`13:45`, `13:45:30`, `13:45:30.250`), or NaN. */
export function parseTimeOfDay(text: string): number {
  const m = /^\s*(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6}))?)?\s*$/.exec(text);
  if (!m) return NaN;
  const [h, min, sec] = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
  if (h > 24 || min > 59 || sec > 60) return NaN;
  return h * 3_600_000 + min * 60_000 + sec * 1000 + (m[4] ? Math.round(Number(`0.${m[4]}`) * 1000) : 0);
}

/** Does a date-time text carry its zone (Z, +02:00, UTC)? A date alone, or a time without one, does not. */
export function textHasZone(text: string): boolean {
  return /(?:\d[zZ]|[+-]\d{2}:?\d{2}|\b(?:UTC|GMT))\s*"?\s*$/.test(text.trim()) && /\d:\d\d/.test(text);
}

/** Does the text hold a time of day (so its zone matters), rather than a date alone? */
export function textHasClockTime(text: string): boolean {
  return /\d{1,2}:\d{2}/.test(text);
}

/**
 * The zone a file's zone-less times are in: 'UTC', a fixed offset ('+03:00', '-0500') or an IANA
 * name ('Europe/Istanbul'). Returns the function from such a wall-clock time, read as if UTC,
 * to the true UTC instant, or throws a RangeError naming the zone when it is unknown.
 */
export function wallClockToUtc(zone: string): (wallMs: number) => number {
  const z = zone.trim();
  if (z === '' || /^(utc|gmt|z)$/i.test(z)) return (ms) => ms;
  const fixed = /^(?:utc|gmt)?\s*([+-])(\d{1,2})(?::?(\d{2}))?$/i.exec(z);
  if (fixed) {
    const offset = (fixed[1] === '+' ? 1 : -1) * (Number(fixed[2]) * 3_600_000 + Number(fixed[3] ?? 0) * 60_000);
    if (Math.abs(offset) > 18 * 3_600_000) throw new RangeError(`"${zone}" is not a time zone offset (at most ±18:00)`);
    return (ms) => ms - offset;
  }
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-US', { timeZone: z, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
  } catch {
    throw new RangeError(`"${zone}" is not a time zone this browser knows (use UTC, an offset such as +03:00, or an IANA name such as Europe/Istanbul)`);
  }
  // the zone's offset at an instant, cached per hour: offsets change a few times a year at most
  const cache = new Map<number, number>();
  const offsetAt = (utcMs: number): number => {
    const hour = Math.floor(utcMs / 3_600_000);
    let offset = cache.get(hour);
    if (offset === undefined) {
      const at = hour * 3_600_000;
      const parts: Record<string, number> = {};
      for (const p of format.formatToParts(new Date(at))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
      const wall = daysFromCivil(parts.year, parts.month, parts.day) * MS_PER_DAY + (parts.hour % 24) * 3_600_000 + parts.minute * 60_000 + parts.second * 1000;
      offset = wall - at;
      cache.set(hour, offset);
    }
    return offset;
  };
  return (wallMs) => {
    // a wall time's offset is the one in force at the instant it names; two passes settle it
    let utc = wallMs - offsetAt(wallMs);
    const second = offsetAt(utc);
    utc = wallMs - second;
    return utc;
  };
}
