// A run's report: what its algorithm says about it as sections (tables, text, warnings), which the
// run page draws and the markdown report writes, with the run's final metrics, its settings and
// its charts as embedded PNG images.
import type { StoredRun } from './contracts';

/** A part of a text: plain, or a figure to stand out (with a test id). */
export type ReportText = string | { strong: string; testid?: string };

export type ReportCell = string | number | null | { text: string; strong?: boolean; header?: boolean };

export type ReportSection =
  | { kind: 'text'; title?: string; parts: ReportText[] }
  | { kind: 'warnings'; items: readonly string[] }
  | { kind: 'table'; title: string; note?: string; head: readonly string[]; rows: readonly (readonly ReportCell[])[]; testid?: string };

const text = (v: unknown): string =>
  v === null || v === undefined ? '—' : typeof v === 'number' ? (Number.isInteger(v) ? String(v) : String(+v.toPrecision(6))) : typeof v === 'object' ? JSON.stringify(v) : String(v);

/** A cell as plain text. */
export function cellText(c: ReportCell): string {
  return c !== null && typeof c === 'object' ? c.text : text(c);
}

/**
 * Text as markdown that shows it literally: HTML cannot form (< and >, and an & that would start
 * an entity, written as entities), nor links,
 * images, emphasis, code or strike-through (their punctuation backslash-escaped; an underscore
 * inside a word, as in net_pnl_pct, cannot emphasise and is left as it is), nor a table cell's
 * end; a line break becomes a space. Names, tags and every other string a person typed go
 * through this, so a run named `<img onerror=…>` or `[x](javascript:…)` reads as those characters.
 */
export function mdText(v: string): string {
  return v
    .replace(/[\r\n]+/g, ' ')
    .replace(/&(?=#?[A-Za-z0-9]+;)/g, '&amp;') // only an & that would start an entity
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\\`*[\]|~]/g, (c) => `\\${c}`)
    .replace(/(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])/g, '\\_');
}

const md = mdText;

export interface ReportInput {
  config: StoredRun;
  /** "PPO on `position`", "behavior cloning (seed 1)". */
  description: string;
  sections: readonly ReportSection[];
  /** Config keys not listed under Configuration (written elsewhere in the report). */
  omit: readonly string[];
  charts: readonly { title: string; png: string }[];
}

/** Report sections as markdown lines: each title a second-level heading, a figure to stand out in bold. */
export function sectionsMarkdown(sections: readonly ReportSection[]): string[] {
  const lines: string[] = [];
  const bold = (t: string) => (t.trim() ? `**${md(t)}**` : md(t));
  for (const s of sections) {
    if (s.kind === 'warnings') {
      for (const w of s.items) lines.push('', `> ⚠ ${md(w)}`);
    } else if (s.kind === 'text') {
      if (s.title) lines.push('', `## ${md(s.title)}`);
      lines.push('', s.parts.map((p) => (typeof p === 'string' ? md(p) : bold(p.strong))).join(''));
    } else {
      lines.push('', `## ${md(s.title)}`, '');
      if (s.note) lines.push(md(s.note), '');
      lines.push(`| ${s.head.map(md).join(' | ')} |`, `|${s.head.map(() => '---|').join('')}`);
      for (const row of s.rows) lines.push(`| ${row.map((c) => (c !== null && typeof c === 'object' && c.strong ? bold(c.text) : md(cellText(c)))).join(' | ')} |`);
    }
  }
  return lines;
}

/**
 * A final metric with its unit, so returns and drawdowns read in one unit (%): net P&L figures are
 * kept in % already, drawdowns as a fraction of the peak.
 */
export function metricText(key: string, v: unknown): string {
  if (typeof v !== 'number' || !Number.isFinite(v)) return text(v);
  if (/drawdown/.test(key)) return `${+(100 * v).toPrecision(6)} %`;
  if (/pnl|_pct$|buy_and_hold/.test(key)) return `${text(v)} %`;
  return text(v);
}

export function reportMarkdown(r: ReportInput): string {
  const { config } = r;
  const lines: string[] = [`# ${md(String(config.name))}`, '', `Run ${md(config.run_id)} · ${md(r.description)} · data ${md(String(config.data_file))}${dataRevisionText(config)} · backend ${md(String(config.backend))} · status **${md(config.status)}**`, ''];
  if (config.error) lines.push(`> ${md(String(config.error))}`, '');
  lines.push('## Final metrics', '', '| metric | value |', '|---|---|');
  for (const [k, v] of Object.entries(config.final_metrics ?? {})) lines.push(`| ${md(k)} | ${md(metricText(k, v))} |`);
  lines.push(...sectionsMarkdown(r.sections));
  lines.push(...runLogMarkdown(config));
  lines.push('', '## Configuration', '', '| key | value |', '|---|---|');
  const skip = new Set(['final_metrics', 'backend_trials', 'warnings', 'controls', ...r.omit]);
  for (const [k, v] of Object.entries(config)) if (!skip.has(k)) lines.push(`| ${md(k)} | ${md(text(v))} |`);
  if (r.charts.length) {
    lines.push('', '## Charts', '');
    // the images are PNG data URLs the lab drew itself; only their titles come from outside
    for (const c of r.charts) if (c.png.startsWith('data:image/png;base64,')) lines.push(`### ${md(c.title)}`, '', `![${md(c.title)}](${c.png})`, '');
  }
  return lines.join('\n') + '\n';
}

/** What the report's first line adds about the data: its revision and rows, and that it was generated where it was. */
export function dataRevisionText(config: { dataset_revision?: number; dataset_rows?: number; dataset_synthetic?: boolean }): string {
  const parts: string[] = [];
  if (config.dataset_revision !== undefined) parts.push(`revision ${config.dataset_revision}`);
  if (config.dataset_rows !== undefined) parts.push(`${config.dataset_rows.toLocaleString('en-US')} rows`);
  const text = parts.length ? ` (${parts.join(', ')})` : '';
  return config.dataset_synthetic ? `${text} · **synthetic data** (generated scenarios, not a market)` : text;
}

// ---- Training control: health warnings kept and settings changed while the run trained ----

/** The run's kept health warnings and its live-control changes, each with its update, as report sections. */
export function runLogMarkdown(config: Pick<StoredRun, 'warnings' | 'controls'>): string[] {
  const lines: string[] = [];
  if (config.warnings?.length) {
    lines.push('', '## Health warnings', '', '| first at update | kind | warning |', '|---|---|---|');
    for (const w of config.warnings) lines.push(`| ${w.update} | ${md(w.key)} | ${md(w.text)} |`);
  }
  if (config.controls?.length) {
    lines.push('', '## Settings changed while it trained', '', 'Each took effect from the update named; the updates before it ran on the value before.', '', '| from update | setting | was | became |', '|---|---|---|---|');
    for (const c of config.controls) lines.push(`| ${c.update} | ${md(c.name)} | ${c.from} | ${c.to} |`);
  }
  return lines;
}
