// Time axes in 24-hour UTC, as the tables write times: uPlot's own labels are local and 12-hour.
import uPlot from 'uplot';
import { utcMinute } from '../../core/run/money';

/** Options of a uPlot chart whose x scale is epoch milliseconds, labelled in UTC. */
export const utcTimeScale: Pick<uPlot.Options, 'ms' | 'tzDate'> = { ms: 1, tzDate: (ts) => uPlot.tzDate(new Date(ts), 'Etc/UTC') };

/** Axis labels for epoch-ms splits: dates across days, hours and minutes within one. */
export function utcAxisValues(u: uPlot, splits: number[]): string[] {
  const min = u.scales.x.min ?? 0, max = u.scales.x.max ?? 0;
  const span = max - min;
  return splits.map((v) => {
    if (v == null) return '';
    const iso = new Date(v).toISOString();
    return span > 3 * 86_400_000 ? iso.slice(0, 10) : span > 86_400_000 ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : iso.slice(11, 16);
  });
}

/** The hover's time: "2024-03-01 14:05" UTC. */
export const utcHover = (_u: uPlot, v: number | null) => (v == null ? '—' : `${utcMinute(v)} UTC`);
