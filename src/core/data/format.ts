// Cell text for previews and the column-mapping step.

import { isoTime } from './time';
import type { Column } from './types';

export function cellText(col: Column, row: number): string {
  switch (col.type) {
    case 'time': return isoTime(col.values[row]).replace('T', ' ').replace(/(:00)?\.000Z$/, '').replace(/Z$/, '');
    case 'number': {
      const v = col.values[row];
      return Number.isNaN(v) ? 'NaN' : String(+v.toPrecision(10));
    }
    case 'text': return col.dictionary[col.codes[row]] ?? '';
    case 'matrix': {
      const w = col.width;
      const head = Array.from(col.values.subarray(row * w, row * w + Math.min(w, 3)), (v) => v.toFixed(3));
      return `[${head.join(', ')}${w > 3 ? `, … ${w} values` : ''}]`;
    }
  }
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}
