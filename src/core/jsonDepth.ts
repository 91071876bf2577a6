// A bound on how deeply JSON a person hands the lab may nest. JSON.parse takes any depth, but
// deeper still overflows the stack of what comes after it (JSON.stringify, the browser's
// structured clone when a record is stored), with an error that names nothing; no file the lab
// reads nests anywhere near this.
export const MAX_JSON_DEPTH = 64;

/** Offset of the bracket that nests JSON text deeper than `max`, or null; a scan, no parsing. */
export function jsonTooDeepAt(text: string, max = MAX_JSON_DEPTH): number | null {
  let depth = 0, inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) { if (++depth > max) return i; }
    else if (c === 125 || c === 93) depth--;
  }
  return null;
}

/** 1-based line of a character offset in text. */
export function lineOfOffset(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}
