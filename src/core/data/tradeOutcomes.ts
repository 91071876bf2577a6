// Trade outcomes arriving after their trades (seed 003's collector records a trade when it opens
// and its outcome when it closes): a file of rows (trade id, exit time, exit price, P&L, win,
// holding time) fills the outcome columns of the trades it names. A cell already recorded is left
// when the file agrees and refused when it differs; a trade the dataset lacks is refused; all or
// nothing. Pure: the store writes the cells and the metadata in one transaction.

import { columnStats } from './dataset';
import { DataError, quoteCell } from './errors';
import { normalizeName, ROLE_ALIASES, TRADE_OUTCOME_ROLES } from './columns';
import { EPOCH_UNIT_TO_MS, epochUnitOf, isoTime } from './time';
import type { Column, DatasetMeta, Table } from './types';

type OutcomeRole = (typeof TRADE_OUTCOME_ROLES)[number];

/** The file's column for each role it has (trade id and outcome roles), by the same aliases imports use. */
function outcomeColumns(table: Table): Partial<Record<'trade_id' | OutcomeRole, number>> {
  const normalized = table.names.map(normalizeName);
  const out: Partial<Record<'trade_id' | OutcomeRole, number>> = {};
  for (const role of ['trade_id', ...TRADE_OUTCOME_ROLES] as const) {
    for (const alias of ROLE_ALIASES[role]) {
      const i = normalized.indexOf(alias);
      if (i >= 0 && !Object.values(out).includes(i)) { out[role] = i; break; }
    }
  }
  return out;
}

/**
 * Whether a file holds outcomes only: a trade id and outcome columns, but not a trade's own price
 * and side (a file with those is a file of trades, appended as rows).
 */
export function isOutcomeFile(table: Table): boolean {
  const roles = outcomeColumns(table);
  const normalized = new Set(table.names.map(normalizeName));
  const hasTrade = ['price', 'side'].every((role) => ROLE_ALIASES[role].some((a) => normalized.has(a)));
  return roles.trade_id !== undefined && TRADE_OUTCOME_ROLES.some((r) => roles[r] !== undefined) && !hasTrade;
}

export interface OutcomePlan {
  cells: { column: string; rows: Int32Array; values: Float64Array }[];
  /** Trades that got an outcome, and rows of the file that only repeated what was recorded. */
  completed: number;
  repeated: number;
  meta: DatasetMeta;
}

function idText(col: Column, i: number): string {
  if (col.type === 'text') return col.dictionary[col.codes[i]];
  if (col.type === 'matrix') return '';
  return String(col.values[i]);
}

function numberAt(col: Column, i: number): number {
  return col.type === 'number' || col.type === 'time' ? col.values[i] : NaN;
}

/**
 * The cells an outcomes file sets in a trades dataset. `existing` holds the dataset's trade id,
 * time and outcome columns, all rows. Throws a DataError naming the file, line and column.
 */
export function planOutcomes(meta: DatasetMeta, existing: Record<'trade_id' | 'time' | OutcomeRole, Column>, table: Table, fileName: string, now = new Date()): OutcomePlan {
  if (meta.kind !== 'trades' || !meta.columns.includes('trade_id')) {
    throw new DataError(fileName, `holds trade outcomes, but dataset "${meta.name}" is not a trades dataset with trade ids to match them to`);
  }
  const roles = outcomeColumns(table);
  const idCol = table.columns[roles.trade_id!];
  const rowOf = new Map<string, number>();
  for (let r = 0; r < meta.rows; r++) rowOf.set(idText(existing.trade_id, r), r);
  // exit times written as epoch numbers are read in their unit, as entry times are
  let exitScale = 1;
  if (roles.exit_time !== undefined) {
    const col = table.columns[roles.exit_time];
    if (col.type === 'text') throw new DataError(fileName, 'cannot read the exit times as dates', { column: table.names[roles.exit_time] });
    if (col.type === 'number') {
      const first = Array.from(col.values).find(Number.isFinite);
      if (first !== undefined) exitScale = EPOCH_UNIT_TO_MS[epochUnitOf(first)];
    }
  }
  const set = new Map<OutcomeRole, Map<number, number>>(TRADE_OUTCOME_ROLES.map((r) => [r, new Map()]));
  let completed = 0, repeated = 0;
  for (let i = 0; i < table.rowCount; i++) {
    const id = idText(idCol, i);
    const row = rowOf.get(id);
    if (row === undefined) {
      throw new DataError(fileName, `an outcome for trade ${quoteCell(id)}, which dataset "${meta.name}" does not have (append the trade first). Nothing was changed.`, { where: table.where(i), column: table.names[roles.trade_id!], text: id });
    }
    const given: Partial<Record<OutcomeRole, number>> = {};
    for (const role of TRADE_OUTCOME_ROLES) {
      if (roles[role] === undefined) continue;
      const col = table.columns[roles[role]!];
      if (col.type === 'text') throw new DataError(fileName, `cannot read ${quoteCell(col.dictionary[col.codes[i]])} as a number`, { where: table.where(i), column: table.names[roles[role]!] });
      let v = numberAt(col, i);
      if (role === 'exit_time') v *= exitScale;
      if (Number.isFinite(v)) given[role] = v;
    }
    // what the file leaves out and can be told from the rest: the holding time, whether it won
    const entry = numberAt(existing.time, row);
    if (given.holding_minutes === undefined && given.exit_time !== undefined) given.holding_minutes = (given.exit_time - entry) / 60_000;
    if (given.win === undefined && given.pnl !== undefined) given.win = given.pnl > 0 ? 1 : 0;
    if (given.exit_time !== undefined && given.exit_time < entry) {
      throw new DataError(fileName, `trade ${quoteCell(id)} exits at ${isoTime(given.exit_time)}, before it was entered at ${isoTime(entry)}`, { where: table.where(i), column: table.names[roles.exit_time!] });
    }
    let changed = false;
    for (const role of TRADE_OUTCOME_ROLES) {
      const v = given[role];
      if (v === undefined) continue;
      const pending = set.get(role)!;
      const before = pending.has(row) ? pending.get(row)! : numberAt(existing[role], row);
      if (Number.isNaN(before)) { pending.set(row, v); changed = true; continue; }
      // a holding time told from the exit time may differ by rounding from one the bot wrote
      const same = role === 'holding_minutes' ? Math.abs(before - v) < 1e-6 * Math.max(1, Math.abs(v)) : before === v;
      if (!same) {
        const show = (x: number) => (role === 'exit_time' ? isoTime(x) : String(x));
        throw new DataError(fileName, `trade ${quoteCell(id)} already has ${role} ${show(before)}; the file says ${show(v)}. Nothing was changed.`, { where: table.where(i), column: roles[role] !== undefined ? table.names[roles[role]!] : role, text: show(v) });
      }
    }
    if (changed) completed++;
    else repeated++;
  }
  const cells = TRADE_OUTCOME_ROLES.filter((role) => set.get(role)!.size > 0).map((role) => {
    const entries = [...set.get(role)!.entries()].sort((a, b) => a[0] - b[0]);
    return { column: role as string, rows: Int32Array.from(entries, (e) => e[0]), values: Float64Array.from(entries, (e) => e[1]) };
  });
  // statistics of the changed columns, from their values after the change
  const stats = meta.stats.map((s) => {
    const cell = cells.find((c) => c.column === s.name);
    if (!cell) return s;
    const values = (existing[s.name as OutcomeRole] as { values: Float64Array }).values.slice();
    cell.rows.forEach((r, k) => { values[r] = cell.values[k]; });
    return columnStats(s.name, { type: s.type === 'time' ? 'time' : 'number', values });
  });
  const revision = (meta.revision ?? 1) + 1;
  const history = [...(meta.history ?? []), { revision, at: now.toISOString(), how: 'outcomes' as const, rows: meta.rows, added: 0, dropped: repeated, completed, fileName }];
  return { cells, completed, repeated, meta: { ...meta, stats, revision, history } };
}
