// Writing CSV: a cell quoted only where it must be (RFC 4180), and rows of named values.

/** A text cell, quoted when it holds a quote, a comma or a line break. */
export function csvCell(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Rows as CSV with the given columns in order: numbers in full, null / missing / non-finite empty. */
export function rowsCsv(columns: readonly string[], rows: readonly Record<string, unknown>[]): string {
  const cell = (v: unknown): string => (v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v)) ? '' : csvCell(String(v)));
  const lines = [columns.map(csvCell).join(',')];
  for (const row of rows) lines.push(columns.map((c) => cell(row[c])).join(','));
  return lines.join('\n') + '\n';
}
