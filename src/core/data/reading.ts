// Steps between parsing a table and validating it that keep an import from being silently wrong:
// a date column and a time column joined (MetaTrader exports), price columns that hold text
// refused rather than re-typed, zone-less times placed in the zone the person says.
import { DataError, quoteCell } from './errors';
import { isMissingToken, parseNumberText, roleOfName } from './columns';
import { parseTimeOfDay, wallClockToUtc } from './time';
import type { Column, Table, TextColumn } from './types';

const MS_PER_DAY = 86_400_000;

const isDateOnly = (col: Column): col is Column & { type: 'time' } =>
  col.type === 'time' && col.values.length > 0 && col.values.every((v) => !Number.isFinite(v) || v % MS_PER_DAY === 0);

/** A text column's times of day in ms (NaN where missing), or null when some cell is not one. */
function timesOfDay(col: Column): Float64Array | null {
  if (col.type !== 'text') return null;
  const byCode = col.dictionary.map((t) => (isMissingToken(t) ? NaN : parseTimeOfDay(t)));
  if (col.dictionary.some((t, i) => !isMissingToken(t) && Number.isNaN(byCode[i]))) return null;
  if (byCode.every(Number.isNaN)) return null;
  return Float64Array.from(col.codes, (c) => byCode[c]);
}

/**
 * A date column followed by a column of times of day (MetaTrader 4 and 5 write `2024.01.02,13:45`)
 * becomes one time column, under the date's name.
 */
export function joinDateAndTime(table: Table): Table {
  for (let i = 0; i + 1 < table.columns.length; i++) {
    const date = table.columns[i];
    if (!isDateOnly(date)) continue;
    const clock = timesOfDay(table.columns[i + 1]);
    if (!clock) continue;
    const values = new Float64Array(table.rowCount);
    for (let r = 0; r < values.length; r++) values[r] = date.values[r] + clock[r];
    const joined: Column = { type: 'time', values, zoneless: true };
    return {
      ...table,
      names: [...table.names.slice(0, i + 1), ...table.names.slice(i + 2)],
      columns: [...table.columns.slice(0, i), joined, ...table.columns.slice(i + 2)],
      notes: [...(table.notes ?? []), `date column "${table.names[i]}" and time column "${table.names[i + 1]}" joined into one time`],
    };
  }
  return table;
}

const PRICE_ROLES = ['open', 'high', 'low', 'close'];

/**
 * A file whose columns are named like candles' but whose prices did not read as numbers is refused
 * at the first cell that did not, never imported as some other kind with its prices as text.
 */
export function refuseTextPrices(table: Table): void {
  const priceColumns = table.names.map((name, i) => ({ name, i, role: roleOfName(name) })).filter((c) => c.role && PRICE_ROLES.includes(c.role));
  if (new Set(priceColumns.map((c) => c.role)).size < 3) return;
  for (const { name, i } of priceColumns) {
    const col = table.columns[i];
    if (col.type !== 'text') continue;
    const text = col as TextColumn;
    for (let r = 0; r < table.rowCount; r++) {
      const cell = text.dictionary[text.codes[r]];
      if (isMissingToken(cell) || !Number.isNaN(parseNumberText(cell))) continue;
      throw new DataError(table.fileName, `cannot read ${quoteCell(cell)} as a number; the file looks like candles, whose prices must be numbers`, { where: table.where(r), column: name, text: cell });
    }
  }
}

/**
 * Zone-less times read as if UTC, moved to the zone the person says their file is in ('UTC', an
 * offset such as '+03:00', an IANA name). Returns the table and whether it had such times.
 */
export function placeZonelessTimes(table: Table, zone = 'UTC'): { table: Table; zoneless: boolean } {
  const indices = table.columns.flatMap((c, i) => (c.type === 'time' && c.zoneless ? [i] : []));
  if (indices.length === 0) return { table, zoneless: false };
  let toUtc: (ms: number) => number;
  try {
    toUtc = wallClockToUtc(zone);
  } catch (e) {
    throw new DataError(table.fileName, (e as Error).message);
  }
  const utc = /^(utc|gmt|z|)$/i.test(zone.trim());
  const columns = table.columns.map((c, i) => {
    if (!indices.includes(i) || utc) return c;
    const values = Float64Array.from((c as { values: Float64Array }).values, (v) => (Number.isFinite(v) ? toUtc(v) : v));
    return { ...c, values } as Column;
  });
  const names = indices.map((i) => `"${table.names[i]}"`).join(', ');
  const note = utc
    ? `times in ${names} carry no zone: read as UTC (if they are local times, import the file again with its zone)`
    : `times in ${names} carry no zone: read as ${zone.trim()}, as chosen`;
  return { table: { ...table, columns, notes: [...(table.notes ?? []), note] }, zoneless: true };
}
