// How the views write a duration, a time and a number: one way everywhere, so a chart's hover and a
// table's cell read alike.

/** Seconds, minutes or hours, "—" when unknown. */
export const durationText = (s: number | null) => (s === null || !Number.isFinite(s) ? '—' : s > 3600 ? `${(s / 3600).toFixed(1)} h` : s > 60 ? `${Math.round(s / 60)} min` : `${Math.round(s)} s`);

/** A time as the tables write it: "2024-03-01 14:05", 24-hour UTC (epoch milliseconds or an ISO string). */
export function utcMinuteText(t: number | string | null | undefined): string {
  if (t === null || t === undefined || t === '') return '—';
  const ms = typeof t === 'number' ? t : Date.parse(t);
  return Number.isFinite(ms) ? new Date(ms).toISOString().slice(0, 16).replace('T', ' ') : String(t);
}

/**
 * Axis labels for epoch-millisecond ticks in 24-hour UTC: dates when the span covers days, day and
 * hour within a few days, hours and minutes within one.
 */
export function utcTickTexts(ticks: readonly (number | null)[], span: number): string[] {
  return ticks.map((v) => {
    if (v === null || !Number.isFinite(v)) return '';
    const iso = new Date(v).toISOString();
    return span > 3 * 86_400_000 ? iso.slice(0, 10) : span > 86_400_000 ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : iso.slice(11, 16);
  });
}

/** A chart value for a hover or an axis: four significant digits, grouped thousands, "—" when missing. */
export function chartNumberText(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  const a = Math.abs(v);
  if (a >= 1000) return Math.round(v).toLocaleString('en-US');
  return a === 0 ? '0' : String(+v.toPrecision(4));
}

/** Seconds since a run started as a clock reading: "45 s", "12:05", "1:02:03". */
export function elapsedText(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const two = (n: number) => String(n).padStart(2, '0');
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
  return h ? `${h}:${two(m)}:${two(s % 60)}` : `${m}:${two(s % 60)}`;
}
