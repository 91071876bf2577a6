/**
 * A file that cannot be used. The message names the file and, where there is one, the row
 * and column and the text that was found there, so the person can go and fix it.
 */
export class DataError extends Error {
  readonly fileName: string;
  readonly where?: string;
  readonly column?: string;
  readonly text?: string;

  constructor(fileName: string, problem: string, at: { where?: string; column?: string; text?: string } = {}) {
    const parts = [fileName];
    if (at.where) parts.push(at.where);
    if (at.column !== undefined) parts.push(`column "${at.column}"`);
    super(`${parts.join(', ')}: ${problem}`);
    this.name = 'DataError';
    this.fileName = fileName;
    this.where = at.where;
    this.column = at.column;
    this.text = at.text;
  }
}

/** Shortens offending cell text for a message. */
export function quoteCell(text: string): string {
  const t = text.length > 40 ? `${text.slice(0, 40)}…` : text;
  return JSON.stringify(t);
}
