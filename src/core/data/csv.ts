// CSV / TSV parsing straight from bytes into typed columns.
// Sniffs the delimiter and header from the first records, infers each column's type from a
// sample, then makes one pass over the bytes with inline number and date parsing (no strings
// are built for numeric cells), which is what makes a million-row file take well under a second.

import { DataError, quoteCell } from './errors';
import { parseTimeBytes, parseTimeOfDay, parseTimeText, textHasClockTime, textHasZone } from './time';
import type { Column, Table } from './types';
import { encodeText, inferCellType, parseNumberText, isMissingToken, uniqueNames, sniffNumberFormat, NUMBER_FORMAT_NOTES, type CellType } from './columns';

const QUOTE = 34, LF = 10, CR = 13;
const CANDIDATE_DELIMITERS = [',', '\t', ';', '|'];
const SNIFF_BYTES = 256 * 1024;
const SAMPLE_ROWS = 500;

export interface ParseProgress {
  (fraction: number): void;
}

/** Splits text into records of fields, honouring quotes ("" is an escaped quote). For sniffing and tests. */
export function splitRecords(text: string, delimiter: string, maxRecords = Infinity): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let inQuotes = false;
  let i = 0;
  const n = text.length;
  while (i < n && records.length < maxRecords) {
    const c = text[i];
    if (inQuotes) {
      if (c === '"') {
        if (text[i + 1] === '"') { field += '"'; i += 2; continue; }
        inQuotes = false; i++; continue;
      }
      field += c; i++; continue;
    }
    if (c === '"' && field.trim() === '') { field = ''; inQuotes = true; i++; continue; }
    if (c === delimiter) { record.push(field); field = ''; i++; continue; }
    if (c === '\n' || c === '\r') {
      record.push(field); field = '';
      if (!(record.length === 1 && record[0] === '')) records.push(record);
      record = [];
      if (c === '\r' && text[i + 1] === '\n') i++;
      i++; continue;
    }
    field += c; i++;
  }
  if (records.length < maxRecords && (field !== '' || record.length > 0)) {
    record.push(field);
    records.push(record);
  }
  return records;
}

/** Picks the delimiter that splits the sample into the most, most consistent fields. */
export function sniffDelimiter(sample: string): string {
  let best = ',';
  let bestScore = -1;
  for (const d of CANDIDATE_DELIMITERS) {
    if (!sample.includes(d)) continue;
    // drop the last record: the sample may end mid-line
    const records = splitRecords(sample, d, 60).slice(0, -1);
    if (records.length === 0) continue;
    const counts = new Map<number, number>();
    for (const r of records) counts.set(r.length, (counts.get(r.length) ?? 0) + 1);
    let modeCount = 0, mode = 1;
    for (const [len, cnt] of counts) if (cnt > modeCount || (cnt === modeCount && len > mode)) { modeCount = cnt; mode = len; }
    if (mode < 2) continue;
    const score = (modeCount / records.length) * 1000 + mode;
    if (score > bestScore) { bestScore = score; best = d; }
  }
  return best;
}

/** A data cell rather than a column name: a number (plain or with decimal commas), a date, or a time of day. */
function isNumberOrTime(v: string): boolean {
  return !Number.isNaN(parseNumberText(v)) || !Number.isNaN(parseNumberText(v, 'decimal-comma')) || !Number.isNaN(parseTimeText(v, true)) || !Number.isNaN(parseTimeOfDay(v));
}

/** UTF-16 text (Excel's "Unicode text") as UTF-8 bytes, with its byte order; null for other text. */
function utf16AsUtf8(bytes: Uint8Array): { utf8: Uint8Array; order: 'LE' | 'BE' } | null {
  const le = bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe;
  const be = bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff;
  if (!le && !be) return null;
  const text = new TextDecoder(le ? 'utf-16le' : 'utf-16be').decode(bytes.subarray(2));
  return { utf8: new TextEncoder().encode(text), order: le ? 'LE' : 'BE' };
}

/** Where each data row is in the file: rows map to lines, shifted by blank lines and multi-line cells. */
class LineMap {
  private rows: number[] = [];
  private lines: number[] = [];
  constructor(private firstLine: number) {}
  mark(row: number, line: number) {
    const expected = this.lineOf(row);
    if (expected !== line) { this.rows.push(row); this.lines.push(line); }
  }
  lineOf(row: number): number {
    // last breakpoint at or before row
    let lo = 0, hi = this.rows.length - 1, at = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.rows[mid] <= row) { at = mid; lo = mid + 1; } else hi = mid - 1;
    }
    return at < 0 ? this.firstLine + row : this.lines[at] + (row - this.rows[at]);
  }
}

const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

export function parseCsv(bytes: Uint8Array, fileName: string, onProgress?: ParseProgress): Table {
  const utf16 = utf16AsUtf8(bytes);
  if (utf16) {
    const table = parseCsv(utf16.utf8, fileName, onProgress);
    return { ...table, notes: [`the file is UTF-16 ${utf16.order} text (Excel's "Unicode text"): read as such`, ...(table.notes ?? [])] };
  }
  let start = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  const decoder = new TextDecoder('utf-8');
  const sampleText = decoder.decode(bytes.subarray(start, Math.min(bytes.length, start + SNIFF_BYTES)));
  if (sampleText.trim() === '') throw new DataError(fileName, 'the file is empty');
  if (sampleText.includes('\u0000')) throw new DataError(fileName, 'this is not a text file (it holds NUL bytes); is it Parquet, Feather or NumPy data with the wrong extension?');
  const delimiterText = sniffDelimiter(sampleText);
  const delimiter = delimiterText.charCodeAt(0);
  const sampleAll = splitRecords(sampleText, delimiterText, SAMPLE_ROWS + 2);
  // The sample may end mid-record when the file is larger than it.
  const sample = bytes.length - start > SNIFF_BYTES ? sampleAll.slice(0, -1) : sampleAll;
  if (sample.length === 0) throw new DataError(fileName, 'no rows found');
  const first = sample[0];
  const hasHeader = !first.every((f) => isNumberOrTime(f.trim()));
  const width = first.length;
  const names = uniqueNames(hasHeader ? first.map((f) => f.trim()) : first.map((_, i) => `col${i + 1}`));
  const dataSample = hasHeader ? sample.slice(1) : sample;
  if (hasHeader && dataSample.length === 0) throw new DataError(fileName, 'the file has a header but no data rows');
  const numberFormat = sniffNumberFormat(dataSample.flat(), delimiterText);
  const types: CellType[] = [];
  const dayFirst: boolean[] = [];
  const zoneless: boolean[] = [];
  for (let c = 0; c < width; c++) {
    const cells = dataSample.map((r) => (r[c] ?? '').trim());
    const t = inferCellType(cells, hasHeader ? names[c] : '', numberFormat);
    types.push(t.type);
    dayFirst.push(t.dayFirst);
    // times of day without a zone were read as if UTC: the report says so, and the zone can be set
    zoneless.push(t.type === 'time' && cells.some((v) => textHasClockTime(v) && !textHasZone(v)));
  }
  // the fast number path's decimal point and the separator it skips
  const pointByte = numberFormat === 'decimal-comma' ? 44 : 46;
  const groupByte = numberFormat === 'decimal-comma' ? 46 : numberFormat === 'thousands-comma' ? 44 : -1;

  // Count lines for an upper bound on rows so columns are allocated once.
  let lineCount = 1;
  for (let i = start; i < bytes.length; i++) if (bytes[i] === LF) lineCount++;
  const capacity = lineCount;
  const numeric: (Float64Array | null)[] = types.map((t) => (t === 'text' ? null : new Float64Array(capacity)));
  const texts: (string[] | null)[] = types.map((t) => (t === 'text' ? [] : null));

  // Skip the header record.
  let pos = start;
  let line = 1;
  if (hasHeader) {
    let inQ = false;
    while (pos < bytes.length) {
      const c = bytes[pos++];
      if (c === QUOTE) inQ = !inQ;
      else if (c === LF) { line++; if (!inQ) break; }
    }
  }
  const lineMap = new LineMap(line);
  const n = bytes.length;
  let row = 0;
  let nextProgress = pos + (1 << 22);
  const latin = new TextDecoder('latin1');
  const fail = (problem: string, col: number, text?: string): never => {
    throw new DataError(fileName, problem, { where: `line ${line}`, column: col >= 0 ? names[col] : undefined, text });
  };

  while (pos < n) {
    // blank lines are skipped
    if (bytes[pos] === LF) { pos++; line++; continue; }
    if (bytes[pos] === CR) { pos++; continue; }
    lineMap.mark(row, line);
    for (let col = 0; col < width; col++) {
      let fs = pos;
      let fe: number;
      let quoted: string | null = null;
      if (bytes[pos] === QUOTE) {
        // quoted cell: the slow path, builds a string
        pos++;
        const parts: string[] = [];
        let segStart = pos;
        for (;;) {
          if (pos >= n) fail('a quoted cell is never closed', col);
          const c = bytes[pos];
          if (c === QUOTE) {
            parts.push(decoder.decode(bytes.subarray(segStart, pos)));
            if (bytes[pos + 1] === QUOTE) { parts.push('"'); pos += 2; segStart = pos; continue; }
            pos++;
            break;
          }
          if (c === LF) line++;
          pos++;
        }
        quoted = parts.join('');
        fs = pos;
        while (pos < n && bytes[pos] !== delimiter && bytes[pos] !== LF && bytes[pos] !== CR) pos++;
        fe = pos;
        if (fe > fs && decoder.decode(bytes.subarray(fs, fe)).trim() !== '') fail('text follows a closing quote', col, decoder.decode(bytes.subarray(fs, fe)));
      } else {
        while (pos < n) {
          const c = bytes[pos];
          if (c === delimiter || c === LF || c === CR) break;
          pos++;
        }
        fe = pos;
      }
      // the cell's value
      const type = types[col];
      if (type === 'text') {
        texts[col]!.push(quoted ?? decoder.decode(bytes.subarray(fs, fe)).trim());
      } else if (type === 'number') {
        let v: number;
        if (quoted === null) {
          // fast path: [-+]digits[.digits] with at most 15 significant digits is exact as m / 10^k
          let i = fs, neg = false;
          if (bytes[i] === 45) { neg = true; i++; } else if (bytes[i] === 43) i++;
          let m = 0, digits = 0, frac = 0, dot = false, grouped = false;
          for (; i < fe; i++) {
            const c = bytes[i];
            if (c >= 48 && c <= 57) { m = m * 10 + (c - 48); digits++; if (dot) frac++; }
            else if (c === pointByte && !dot) dot = true;
            else if (c === groupByte && !dot) grouped = true;
            else break;
          }
          // grouped digits take the checked path, which tells 1.234,5 from a stray separator
          if (i === fe && digits > 0 && digits <= 15 && !grouped) v = neg ? -(m / POW10[frac]) : m / POW10[frac];
          else {
            const text = latin.decode(bytes.subarray(fs, fe)).trim();
            v = parseNumberText(text, numberFormat);
            if (Number.isNaN(v) && !isMissingToken(text)) fail(`cannot read ${quoteCell(text)} as a number`, col, text);
          }
        } else {
          v = parseNumberText(quoted.trim(), numberFormat);
          if (Number.isNaN(v) && !isMissingToken(quoted.trim())) fail(`cannot read ${quoteCell(quoted)} as a number`, col, quoted);
        }
        numeric[col]![row] = v;
      } else {
        let v = quoted === null ? parseTimeBytes(bytes, fs, fe, dayFirst[col]) : parseTimeText(quoted.trim(), dayFirst[col]);
        if (Number.isNaN(v)) {
          const text = quoted ?? decoder.decode(bytes.subarray(fs, fe)).trim();
          if (!isMissingToken(text)) {
            // an epoch number in a date column is taken as such later; anything else is refused
            v = parseNumberText(text);
            if (Number.isNaN(v)) fail(`cannot read ${quoteCell(text)} as a date or time`, col, text);
          }
        }
        numeric[col]![row] = v;
      }
      // after the cell: a delimiter, the end of the line, or the end of the file
      if (col < width - 1) {
        if (pos >= n || bytes[pos] !== delimiter) fail(`this row has ${col + 1} field${col ? 's' : ''}, the header has ${width}`, -1);
        pos++;
      }
    }
    if (pos < n && bytes[pos] === delimiter) {
      let extra = 1;
      for (let i = pos + 1; i < n && bytes[i] !== LF; i++) if (bytes[i] === delimiter) extra++;
      fail(`this row has ${width + extra} fields, the header has ${width}`, -1);
    }
    if (pos < n && bytes[pos] === CR) pos++;
    if (pos < n && bytes[pos] === LF) { pos++; line++; }
    row++;
    if (pos >= nextProgress && onProgress) { onProgress(pos / n); nextProgress = pos + (1 << 22); }
  }
  if (row === 0) throw new DataError(fileName, hasHeader ? 'the file has a header but no data rows' : 'no rows found');

  const columns: Column[] = types.map((t, c) => {
    if (t === 'text') return encodeText(texts[c]!);
    const values = numeric[c]!.length === row ? numeric[c]! : numeric[c]!.slice(0, row);
    return t === 'time' ? { type: 'time', values, ...(zoneless[c] ? { zoneless: true } : {}) } : { type: 'number', values };
  });
  return {
    fileName,
    format: 'csv',
    rowCount: row,
    names,
    columns,
    hasHeader,
    where: (r) => `line ${lineMap.lineOf(r)}`,
    ...(numberFormat !== 'plain' ? { notes: [NUMBER_FORMAT_NOTES[numberFormat]] } : {}),
  };
}
