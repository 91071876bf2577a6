// A chart saved as an image keeps its legend: uPlot's legend is HTML beside its canvas, so a PNG of
// the canvas alone (the markdown report's charts) would show unnamed lines. The chart's canvas
// answers toDataURL with its legend drawn above the plot, on a white ground.

export interface LegendEntry {
  label: string;
  color: string;
  dash?: number[];
}

/** Entries laid out in rows that fit `width` (a swatch, the label, a gap each). */
export function legendRows(entries: readonly LegendEntry[], width: number, labelWidth: (s: string) => number, swatch: number, gap: number): LegendEntry[][] {
  const rows: LegendEntry[][] = [];
  let row: LegendEntry[] = [];
  let used = 0;
  for (const e of entries) {
    const w = swatch + 4 + labelWidth(e.label) + gap;
    if (row.length && used + w > width) { rows.push(row); row = []; used = 0; }
    row.push(e);
    used += w;
  }
  if (row.length) rows.push(row);
  return rows;
}

/** Makes `canvas.toDataURL` return the chart with the legend of `entries()` above it. */
export function withLegend(canvas: HTMLCanvasElement, entries: () => readonly LegendEntry[]): void {
  const plain = canvas.toDataURL.bind(canvas);
  canvas.toDataURL = (type?: string, quality?: number) => {
    const list = entries();
    if (!list.length || !canvas.width) return plain(type, quality);
    const ratio = canvas.width / (canvas.clientWidth || canvas.width) || 1;
    const font = 12 * ratio, line = 18 * ratio, pad = 6 * ratio, swatch = 18 * ratio, gap = 14 * ratio;
    const out = document.createElement('canvas');
    const ctx = out.getContext('2d');
    if (!ctx) return plain(type, quality);
    ctx.font = `${font}px system-ui, sans-serif`;
    const rows = legendRows(list, canvas.width - 2 * pad, (s) => ctx.measureText(s).width, swatch, gap);
    const top = rows.length * line + 2 * pad;
    out.width = canvas.width;
    out.height = canvas.height + top;
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, out.width, out.height);
    ctx.font = `${font}px system-ui, sans-serif`;
    ctx.textBaseline = 'middle';
    rows.forEach((row, i) => {
      let x = pad;
      const y = pad + i * line + line / 2;
      for (const e of row) {
        ctx.strokeStyle = e.color;
        ctx.lineWidth = 2 * ratio;
        ctx.setLineDash((e.dash ?? []).map((d) => d * ratio));
        ctx.beginPath();
        ctx.moveTo(x, y);
        ctx.lineTo(x + swatch, y);
        ctx.stroke();
        ctx.setLineDash([]);
        ctx.fillStyle = '#1c2430';
        ctx.fillText(e.label, x + swatch + 4 * ratio, y);
        x += swatch + 4 * ratio + ctx.measureText(e.label).width + gap;
      }
    });
    ctx.drawImage(canvas, 0, top);
    return out.toDataURL(type, quality);
  };
}
