// Charts over a run's update records, as an algorithm declares them (the metric keys, their
// colours, seed 001's good and warning bands), and the series they draw. Pure: the Train view,
// the run page and compare draw these with uPlot.
import type { UpdateRecord } from './contracts';

export interface MetricLine {
  key: string;
  label: string;
  color: string;
  dash?: number[];
  /** Stable-Baselines3 logs the entropy loss (−entropy): negate it to draw the entropy. */
  negate?: boolean;
}

export interface Band {
  from: number;
  to: number;
  color: string;
}

export interface MetricChart {
  title: string;
  lines: readonly MetricLine[];
  bands?: readonly Band[];
  /** x-axis label ('step', 'epoch'). */
  xLabel?: string;
  testid?: string;
  /** An ensemble draws each line once per member, in the member's colour. */
  perMember?: boolean;
}

export const MEMBER_COLORS = ['#2f7de1', '#c43c3c', '#2b8a4b', '#c47a00', '#7b4fd6', '#5a6b7d', '#d6477b', '#1b9aaa'];

export interface ChartSeries {
  x: number[];
  lines: { label: string; values: (number | null)[]; color: string; dash?: number[]; width?: number }[];
}

/** The members of a run's updates, in the order they first appear (one undefined member for most runs). */
export function membersOf(updates: readonly UpdateRecord[]): (number | undefined)[] {
  const seen: (number | undefined)[] = [];
  for (const u of updates) if (!seen.includes(u.member)) seen.push(u.member);
  return seen.length ? seen : [undefined];
}

/** A chart's series: x is each update's step; an ensemble's members share the x values they have. */
export function metricSeries(chart: MetricChart, updates: readonly UpdateRecord[], members: readonly (number | undefined)[] = membersOf(updates)): ChartSeries {
  const value = (u: UpdateRecord, line: MetricLine) => {
    const v = u.metrics[line.key];
    return v === null || v === undefined || !Number.isFinite(v) ? null : line.negate ? -v : v;
  };
  if (!chart.perMember || members.length <= 1 && members[0] === undefined) {
    return { x: updates.map((u) => u.step), lines: chart.lines.map((l) => ({ label: l.label, color: l.color, dash: l.dash, values: updates.map((u) => value(u, l)) })) };
  }
  const xs = [...new Set(updates.map((u) => u.step))].sort((a, b) => a - b);
  const at = new Map(xs.map((x, i) => [x, i]));
  const labelOf = (l: MetricLine, m: number | undefined) => (members.length > 1 ? `${l.label} (seed ${m})` : l.label);
  return {
    x: xs,
    lines: members.flatMap((m, k) => chart.lines.map((l) => {
      const values: (number | null)[] = xs.map(() => null);
      for (const u of updates) if (u.member === m) values[at.get(u.step)!] = value(u, l);
      return { label: labelOf(l, m), color: MEMBER_COLORS[k % MEMBER_COLORS.length], dash: l.dash, values };
    })),
  };
}
