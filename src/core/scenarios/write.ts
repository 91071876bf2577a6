// A generated set as text files: CSV and JSONL with the columns time (ISO 8601, UTC), open, high,
// low, close, volume, scenario, in chunks of rows so a file of millions of bars never has to be one
// string.
import type { GeneratedScenarios } from './generate';
import { SCENARIO_COLUMNS } from './dataset';

const isoSeconds = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

export function* scenarioCsvChunks(g: GeneratedScenarios, rowsPerChunk = 50_000): Generator<string> {
  yield SCENARIO_COLUMNS.join(',') + '\n';
  const n = g.time.length;
  for (let from = 0; from < n; from += rowsPerChunk) {
    const lines: string[] = [];
    for (let i = from; i < Math.min(n, from + rowsPerChunk); i++) {
      lines.push(`${isoSeconds(g.time[i])},${g.open[i]},${g.high[i]},${g.low[i]},${g.close[i]},${g.volume[i]},${g.labels[g.label[i]]}`);
    }
    yield lines.join('\n') + '\n';
  }
}

export function* scenarioJsonlChunks(g: GeneratedScenarios, rowsPerChunk = 50_000): Generator<string> {
  const n = g.time.length;
  for (let from = 0; from < n; from += rowsPerChunk) {
    const lines: string[] = [];
    for (let i = from; i < Math.min(n, from + rowsPerChunk); i++) {
      lines.push(`{"time":"${isoSeconds(g.time[i])}","open":${g.open[i]},"high":${g.high[i]},"low":${g.low[i]},"close":${g.close[i]},"volume":${g.volume[i]},"scenario":"${g.labels[g.label[i]]}"}`);
    }
    yield lines.join('\n') + '\n';
  }
}
