// How the views write a duration: seconds, minutes or hours, "—" when unknown.
export const durationText = (s: number | null) => (s === null || !Number.isFinite(s) ? '—' : s > 3600 ? `${(s / 3600).toFixed(1)} h` : s > 60 ? `${Math.round(s / 60)} min` : `${Math.round(s)} s`);
