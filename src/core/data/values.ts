// Turns a column of JavaScript values (from JSON or Parquet) into a typed column.

import { DataError, quoteCell } from './errors';
import { encodeText, inferCellType, isMissingToken, parseNumberText } from './columns';
import { parseTimeText, textHasClockTime, textHasZone } from './time';
import type { Column } from './types';

/**
 * Numbers (and bigints) make a numeric column, Dates a time column, strings a numeric, time or
 * text column depending on what they all parse as. null / undefined are missing values (NaN).
 */
export function columnFromValues(values: ArrayLike<unknown>, fileName: string, name: string, where: (row: number) => string): Column {
  const n = values.length;
  let numbers = 0, strings = 0, dates = 0, others = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === null || v === undefined) continue;
    const t = typeof v;
    if (t === 'number' || t === 'bigint' || t === 'boolean') numbers++;
    else if (t === 'string') strings++;
    else if (v instanceof Date) dates++;
    else others++;
  }
  if (others > 0) {
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (v !== null && typeof v === 'object' && !(v instanceof Date)) {
        throw new DataError(fileName, `a nested value (${Array.isArray(v) ? 'a list' : 'an object'}) where a number, date or text was expected`, { where: where(i), column: name });
      }
    }
  }
  if (strings === 0 && dates === 0) {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const v = values[i];
      out[i] = v === null || v === undefined ? NaN : Number(v);
    }
    return { type: 'number', values: out };
  }
  if (strings === 0) {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const v = values[i];
      out[i] = v instanceof Date ? v.getTime() : v === null || v === undefined ? NaN : Number(v);
    }
    return { type: 'time', values: out };
  }
  // Strings: numbers if they all read as numbers, else times, else text.
  const texts: string[] = [];
  for (let i = 0; i < n; i++) {
    const v = values[i];
    texts.push(v === null || v === undefined ? '' : String(v));
  }
  const sample = texts.filter((t) => !isMissingToken(t)).slice(0, 500);
  const { type, dayFirst } = inferCellType(sample, name);
  const allNumbers = type === 'number';
  const allTimes = type === 'time';
  if (sample.length > 0 && (allNumbers || allTimes)) {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (typeof v === 'number') { out[i] = v; continue; }
      const t = texts[i];
      if (isMissingToken(t)) { out[i] = NaN; continue; }
      let x = allNumbers ? parseNumberText(t) : parseTimeText(t, dayFirst);
      if (Number.isNaN(x) && !allNumbers) x = parseNumberText(t);
      if (Number.isNaN(x)) {
        throw new DataError(fileName, `cannot read ${quoteCell(t)} as ${allNumbers ? 'a number' : 'a date or time'}`, { where: where(i), column: name, text: t });
      }
      out[i] = x;
    }
    if (allNumbers) return { type: 'number', values: out };
    // times of day without a zone were read as if UTC: the report says so, and the zone can be set
    const zoneless = sample.some((t) => textHasClockTime(t) && !textHasZone(t));
    return { type: 'time', values: out, ...(zoneless ? { zoneless: true } : {}) };
  }
  return encodeText(texts);
}
