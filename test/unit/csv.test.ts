import { describe, expect, it } from 'vitest';
import { parseCsv, sniffDelimiter, splitRecords } from '../../src/core/data/csv';
import { importBytes } from '../../src/core/data/importer';
import { bytesOf, column, importReady, textColumn } from './helpers';

const HEADER = 'date,open,high,low,close,volume';
const ROWS = ['2024-01-01,10,12,9,11,100', '2024-01-02,11,13,10,12,110', '2024-01-03,12,14,11,13,120'];
const csv = (rows = ROWS, header = HEADER, eol = '\n') => [header, ...rows].join(eol) + eol;

describe('CSV structure', () => {
  it('sniffs comma, tab, semicolon and pipe delimiters', () => {
    for (const d of [',', '\t', ';', '|']) {
      const text = csv().replaceAll(',', d);
      expect(sniffDelimiter(text)).toBe(d);
    }
  });

  it('reads the same candles whatever the delimiter', async () => {
    for (const d of [',', '\t', ';', '|']) {
      const ds = await importReady(csv().replaceAll(',', d), 'x.tsv');
      expect(column(ds, 'close')).toEqual([11, 12, 13]);
    }
  });

  it('handles CRLF line ends, a UTF-8 BOM, blank lines and no final newline', async () => {
    const text = '\ufeff' + [HEADER, ROWS[0], '', ROWS[1], ROWS[2]].join('\r\n');
    const ds = await importReady(text);
    expect(ds.meta.rows).toBe(3);
    expect(ds.meta.columns.slice(0, 6)).toEqual(['time', 'open', 'high', 'low', 'close', 'volume']);
    expect(column(ds, 'volume')).toEqual([100, 110, 120]);
  });

  it('reads quoted fields holding delimiters, escaped quotes and newlines', () => {
    const text = 'time,label,note\n2024-01-01,"1,5","say ""hi"""\n2024-01-02,2.5,"two\nlines"\n2024-01-03,3,plain\n';
    const table = parseCsv(bytesOf(text), 'q.csv');
    expect(table.rowCount).toBe(3);
    const note = table.columns[2];
    expect(note.type).toBe('text');
    if (note.type === 'text') expect(Array.from(note.codes, (c) => note.dictionary[c])).toEqual(['say "hi"', 'two\nlines', 'plain']);
    // "1,5" is not a number, and "label" names no numeric role: the column is text
    expect(table.columns[1].type).toBe('text');
    // a row after a multi-line cell is found on its real line
    expect(table.where(2)).toBe('line 5');
  });

  it('splits records honouring quotes', () => {
    expect(splitRecords('a,"b,c"\n"d""e",f', ',')).toEqual([['a', 'b,c'], ['d"e', 'f']]);
  });

  it('reads files without a header row by position when the candles check out', async () => {
    const ds = await importReady(ROWS.join('\n'));
    expect(ds.meta.kind).toBe('candles');
    expect(column(ds, 'high')).toEqual([12, 13, 14]);
  });

  it('asks for a column mapping when headerless columns do not look like candles', async () => {
    const out = await importBytes(bytesOf('2024-01-01,5,1,9,3\n2024-01-02,6,1,9,3\n'), 'odd.csv');
    expect(out.status).toBe('needs-mapping');
    if (out.status === 'needs-mapping') {
      expect(out.preview.names).toEqual(['col1', 'col2', 'col3', 'col4', 'col5']);
      expect(out.preview.rows[0][0]).toBe('2024-01-01 00:00');
      expect(out.preview.reason).toMatch(/no header/);
    }
  });

  it('parses numbers exactly as parseFloat does', () => {
    const values: string[] = [];
    let s = 1;
    for (let i = 0; i < 3000; i++) {
      s = (s * 16807) % 2147483647;
      const v = (s / 2147483647 - 0.5) * 10 ** ((i % 14) - 4);
      values.push(i % 3 === 0 ? v.toExponential(6) : v.toFixed(i % 9));
    }
    values.push('0', '-0.0', '1e-7', '123456789012345678', '0.000000000000000123', '+5', '.5', '5.');
    const text = 'x\n' + values.join('\n') + '\n';
    const t = parseCsv(bytesOf(text), 'n.csv');
    const col = t.columns[0];
    expect(col.type).toBe('number');
    if (col.type === 'number') values.forEach((v, i) => expect(col.values[i]).toBe(parseFloat(v)));
  });

  it('keeps text columns as text with their distinct values', async () => {
    const ds = await importReady('timestamp,side,price,amount\n1700000000000,buy,1.5,2\n1700000001000,sell,1.6,3\n1700000001000,buy,1.7,1\n', 't.csv');
    expect(ds.meta.kind).toBe('trades');
    expect(textColumn(ds, 'side')).toEqual(['buy', 'sell', 'buy']);
    expect(ds.meta.stats.find((s) => s.name === 'side')?.distinct).toBe(2);
  });
});

describe('malformed CSV is refused with file, line, column and text', () => {
  const refuse = (text: string, pattern: RegExp, name = 'bad.csv') => expect(importBytes(bytesOf(text), name)).rejects.toThrow(pattern);

  it('an unparseable number', () => refuse(csv([ROWS[0], '2024-01-02,11,13,abc,12,110']), /^bad\.csv, line 3, column "low": cannot read "abc" as a number$/));
  it('an unparseable date', () => refuse(csv([ROWS[0], '2024-13-45,11,13,10,12,110']), /^bad\.csv, line 3, column "date": cannot read "2024-13-45" as a date or time$/));
  it('a decimal comma in a price column', () => refuse('time,price\n2024-01-01,1.5\n2024-01-02,"1,5"\n', /^bad\.csv, line 3, column "price": cannot read "1,5" as a number$/));
  it('a row with too few fields', () => refuse(csv([ROWS[0], '2024-01-02,11,13']), /^bad\.csv, line 3: this row has 3 fields, the header has 6$/));
  it('a row with too many fields', () => refuse(csv([ROWS[0], '2024-01-02,11,13,10,12,110,7,8']), /^bad\.csv, line 3: this row has 8 fields, the header has 6$/));
  it('a quote that never closes', () => refuse(csv([ROWS[0], '2024-01-02,"11,13,10,12,110']), /bad\.csv, line \d+, column "open": a quoted cell is never closed/));
  it('an empty file', () => refuse('', /^bad\.csv: the file is empty$/));
  it('a header without rows', () => refuse(HEADER + '\n', /^bad\.csv: the file has a header but no data rows$/));
  it('binary data', () => refuse('\u0000\u0001\u0002garbage', /not a text file/));
});
