// Wall-clock timestamps for run records, in the form seed 000's files use.

/** Python's datetime.now().isoformat(): local time with microseconds and no zone, as seed 000 writes. */
export function pythonIsoTime(date = new Date()): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${date.getFullYear()}-${p(date.getMonth() + 1)}-${p(date.getDate())}T${p(date.getHours())}:${p(date.getMinutes())}:${p(date.getSeconds())}.${p(date.getMilliseconds(), 3)}000`;
}
