// What the funding-arbitrage environment reads hour by hour, computed once per dataset and shared
// by every copy and every environment on it, laid out for the memory a step touches. 64 copies sit
// at 64 random hours, so most of a step's time went to cache misses: reading one opportunity's
// twelve columns was twelve places in memory. Here an hour is one chunk (the ten best
// opportunities as the observation shows them, their symbols and pair keys, and their columns side
// by side for an open), and the figures a held position is marked and paid with are packed pair
// by pair, hour after hour (one place per lookup, next to the one of the hour before).
// For the bundled 2023 sample (8,760 hours, 367,872 rows): chunks 16.2 MB, marks 23.5 MB, their
// index 3.4 MB.
import { FUNDING_TOP, FUNDING_OBS } from './layout';
import { pairKey, type FundingData } from './data';

const HOUR = 3_600_000;

/** The fields of an entry of `marks`, each a copy of the row's column. */
export const M = { longVenue: 0, longPrice: 1, shortPrice: 2, longRate: 3, shortRate: 4, apr: 5, longNext: 6, shortNext: 7 } as const;
export const MARK_FIELDS = 8;

/** The fields of an opportunity's row in a chunk, each a copy of the row's column. */
export const T = {
  sym: 0, longVenue: 1, shortVenue: 2, longPrice: 3, shortPrice: 4, longRate: 5, shortRate: 6,
  longInterval: 7, shortInterval: 8, longNext: 9, shortNext: 10, apr: 11,
} as const;
export const TOP_FIELDS = 12;
/**
 * An hour's chunk, in 4-byte words: its block (10 × 20 floats, copied into the observation), its
 * count of opportunities (at most ten) and each one's symbol and pair key (ints, and one word of
 * padding), then each one's row as an open reads it (10 × TOP_FIELDS doubles).
 */
export const CHUNK_WORDS = FUNDING_TOP * 20 + 22 + FUNDING_TOP * TOP_FIELDS * 2;
/** Where the count, symbols and keys start in a chunk (int32 words). */
export const CHUNK_TOP = FUNDING_TOP * 20;
/** Where the rows start in a chunk, in doubles. */
export const CHUNK_ROWS = (FUNDING_TOP * 20 + 22) / 2;

export interface HourTables {
  /** Per hour, its ten best opportunities as observed (10 × 20), the copy's own columns left 0. */
  blocks: readonly Float32Array[];
  /** The chunks as ints: [h × CHUNK_WORDS + CHUNK_TOP] the hour's count, then symbol and pair key (pairKey()) of each. */
  hourInts: Int32Array;
  /** The chunks as doubles: [h × CHUNK_WORDS / 2 + CHUNK_ROWS + rank × TOP_FIELDS] the hour's rows (T). */
  hourRows: Float64Array;
  /** [pairKeys × hours], as pairRow: the entry of `marks` of the pair at the hour, or −1. */
  pairAt: Int32Array;
  /** [entries × MARK_FIELDS] in pairRow's order (pair-major), fields as M says. */
  marks: Float64Array;
}

const cache = new WeakMap<FundingData, HourTables>();

/**
 * The tables of a dataset (made once, then shared). A block shows the ten best opportunities of
 * the hour as the observation does: each from its own row and the hour before (the APR change),
 * so nothing after the hour; the copy's own columns (symbol held, size and margin an open takes,
 * pair held) are left 0.
 */
export function hourTablesOf(d: FundingData): HourTables {
  const cached = cache.get(d);
  if (cached) return cached;
  const ow = FUNDING_OBS.opportunityWidth;
  const buffer = new ArrayBuffer(d.rows * CHUNK_WORDS * 4);
  const out = new Float32Array(buffer), ints = new Int32Array(buffer), rows = new Float64Array(buffer);
  const vMax = Math.max(1, d.venues.length - 1), symMax = Math.max(1, d.symbols.length - 1);
  for (let h = 0; h < d.rows; h++) {
    const t = d.time[h], first = d.hourStart[h], count = Math.min(FUNDING_TOP, d.hourStart[h + 1] - first);
    const top = h * CHUNK_WORDS + CHUNK_TOP;
    ints[top] = count;
    for (let r = 0; r < count; r++) {
      const x = first + r, sym = d.sym[x], lv = d.longVenue[x], sv = d.shortVenue[x], key = pairKey(d, sym, lv, sv);
      ints[top + 1 + 2 * r] = sym;
      ints[top + 2 + 2 * r] = key;
      const f = h * (CHUNK_WORDS / 2) + CHUNK_ROWS + r * TOP_FIELDS;
      rows[f + T.sym] = sym; rows[f + T.longVenue] = lv; rows[f + T.shortVenue] = sv;
      rows[f + T.longPrice] = d.longPrice[x]; rows[f + T.shortPrice] = d.shortPrice[x];
      rows[f + T.longRate] = d.longRate[x]; rows[f + T.shortRate] = d.shortRate[x];
      rows[f + T.longInterval] = d.longInterval[x]; rows[f + T.shortInterval] = d.shortInterval[x];
      rows[f + T.longNext] = d.longNext[x]; rows[f + T.shortNext] = d.shortNext[x]; rows[f + T.apr] = d.apr[x];
      const q = h * CHUNK_WORDS + r * ow;
      const prev = h > 0 ? d.pairRow[key * d.rows + h - 1] : -1;
      const prevApr = prev < 0 ? d.apr[x] : d.longVenue[prev] === lv ? d.apr[prev] : -d.apr[prev];
      const vol = d.volume[x];
      out[q] = 1;
      out[q + 1] = d.apr[x] / 100;
      out[q + 2] = d.longRate[x] * 1000;
      out[q + 3] = d.shortRate[x] * 1000;
      out[q + 4] = d.longInterval[x] / 8;
      out[q + 5] = d.shortInterval[x] / 8;
      out[q + 6] = (d.longNext[x] - t) / (8 * HOUR);
      out[q + 7] = (d.shortNext[x] - t) / (8 * HOUR);
      out[q + 8] = vol > 0 ? Math.log1p(vol) / 25 : 0;
      out[q + 9] = ((d.shortPrice[x] - d.longPrice[x]) / d.longPrice[x]) * 1000;
      out[q + 11] = sym / symMax;
      out[q + 12] = lv / vMax;
      out[q + 13] = sv / vMax;
      out[q + 14] = (d.apr[x] - prevApr) / 100;
      out[q + 15] = r / FUNDING_TOP;
      out[q + 16] = (d.shortRate[x] / d.shortInterval[x] - d.longRate[x] / d.longInterval[x]) * 1e4;
    }
  }
  const pairAt = new Int32Array(d.pairRow.length).fill(-1);
  const marks = new Float64Array(d.sym.length * MARK_FIELDS);
  let e = 0;
  for (let at = 0; at < d.pairRow.length; at++) {
    const x = d.pairRow[at];
    if (x < 0) continue;
    pairAt[at] = e;
    const f = e++ * MARK_FIELDS;
    marks[f + M.longVenue] = d.longVenue[x]; marks[f + M.longPrice] = d.longPrice[x]; marks[f + M.shortPrice] = d.shortPrice[x];
    marks[f + M.longRate] = d.longRate[x]; marks[f + M.shortRate] = d.shortRate[x]; marks[f + M.apr] = d.apr[x];
    marks[f + M.longNext] = d.longNext[x]; marks[f + M.shortNext] = d.shortNext[x];
  }
  const width = FUNDING_TOP * ow;
  const tables = { blocks: Array.from({ length: d.rows }, (_, h) => out.subarray(h * CHUNK_WORDS, h * CHUNK_WORDS + width)), hourInts: ints, hourRows: rows, pairAt, marks };
  cache.set(d, tables);
  return tables;
}
