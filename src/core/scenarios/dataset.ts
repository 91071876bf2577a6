// A generated set as the lab's Dataset: candles plus a text column `scenario` with each bar's
// scenario, through the same validation and statistics as an import, marked synthetic with what
// made it (enough to make it again) and its first revision.
import { buildDataset } from '../data/dataset';
import type { Column, Dataset, SyntheticInfo, Table } from '../data/types';
import { intervalLabel } from '../data/time';
import { SCENARIOS, type ScenarioName } from './catalogue';
import type { GeneratedScenarios } from './generate';
import { marketParameters } from './market';

export const GENERATOR = 'rl-trading-lab scenarios 1';
export const SCENARIO_COLUMNS = ['time', 'open', 'high', 'low', 'close', 'volume', 'scenario'] as const;
const CANDLE_ROLES = { time: 'time', open: 'open', high: 'high', low: 'low', close: 'close', volume: 'volume' };

export interface ScenarioSetInfo {
  name: string;
  seed: number;
  scenarios: ScenarioName[];
  mix: boolean;
  /** The candles the market was calibrated on (a dataset's or a file's name), if any. */
  calibratedFrom?: string | null;
}

/** What made the set: generator, scenarios, seed, bars, interval, calibration and every parameter. */
export function syntheticInfo(g: GeneratedScenarios, info: ScenarioSetInfo): SyntheticInfo {
  return {
    generator: GENERATOR,
    scenarios: [...info.scenarios],
    seed: info.seed,
    bars: g.time.length,
    interval: intervalLabel(g.market.intervalMs),
    calibratedFrom: info.calibratedFrom ?? null,
    parameters: {
      ...marketParameters(g.market),
      mix: info.mix,
      scenario_recipes: Object.fromEntries(info.scenarios.map((s) => [s, { mean_bars: SCENARIOS[s].meanBars, min_bars: SCENARIOS[s].minBars, direction: SCENARIOS[s].direction, phases: SCENARIOS[s].phases }])),
    },
  };
}

/** The generated bars as named columns (the file's and the dataset's), the scenario as dictionary-encoded text. */
export function scenarioTable(g: GeneratedScenarios, fileName: string): Table {
  const columns: Column[] = [
    { type: 'time', values: g.time },
    { type: 'number', values: g.open },
    { type: 'number', values: g.high },
    { type: 'number', values: g.low },
    { type: 'number', values: g.close },
    { type: 'number', values: g.volume },
    { type: 'text', codes: g.label, dictionary: g.labels },
  ];
  return { fileName, format: 'csv', rowCount: g.time.length, names: [...SCENARIO_COLUMNS], columns, hasHeader: true, where: (r) => `bar ${r + 1}` };
}

async function sha256OfText(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (x) => x.toString(16).padStart(2, '0')).join('');
}

/**
 * The set as a validated candle dataset marked synthetic. Its hash is that of its recipe (the same
 * recipe makes the same bars), its size that of its columns.
 */
export async function scenarioDataset(g: GeneratedScenarios, info: ScenarioSetInfo): Promise<Dataset> {
  const synthetic = syntheticInfo(g, info);
  const fileName = `${info.name}.csv`;
  const rows = g.time.length;
  const sha256 = await sha256OfText(JSON.stringify(synthetic));
  const size = rows * (6 * Float64Array.BYTES_PER_ELEMENT + Int32Array.BYTES_PER_ELEMENT);
  const dataset = buildDataset(scenarioTable(g, fileName), { kind: 'candles', roles: CANDLE_ROLES }, { fileName, format: 'csv', size, sha256 });
  const meta = dataset.meta;
  meta.name = info.name;
  meta.synthetic = synthetic;
  meta.timeZone = null;
  meta.history = [{ revision: 1, at: meta.createdAt, how: 'generate', rows, added: rows, dropped: 0, fileName, sha256 }];
  const mix = info.mix ? 'switching as a Markov chain' : 'taking turns';
  meta.issues.unshift({
    level: 'info',
    message: `generated, not market data: ${info.scenarios.join(', ')}${info.scenarios.length > 1 ? ` ${mix}` : ''} (seed ${info.seed}${info.calibratedFrom ? `, calibrated on ${info.calibratedFrom}` : ''}); each bar's scenario is in the column "scenario"`,
  });
  return dataset;
}
