// The Data view's scenario generator, in the data worker: the market (default, or calibrated on a
// stored candle dataset), the bars, their validation as a candle dataset marked synthetic, and,
// when asked, the teacher ensemble's (state, action, strength) labels of them; then each dataset
// stored in one transaction. Nothing is stored when any step fails (a teacher dataset that cannot
// be stored takes its candles with it).
import type { DatasetMeta } from '../core/data/types';
import { candleColumnsOfDataset } from '../core/features/market';
import { calibrate } from '../core/scenarios/calibrate';
import type { ScenarioName } from '../core/scenarios/catalogue';
import { scenarioDataset } from '../core/scenarios/dataset';
import { generateScenarios } from '../core/scenarios/generate';
import { defaultMarket, parseInterval, rescaleMarket } from '../core/scenarios/market';
import { openLabDb, type LabDb } from '../store/db';
import { getDatasetMeta, loadCandleColumns, purgeDataset, saveDataset } from '../store/datasets';
import { teacherDataset } from './offlineData';

let dbPromise: Promise<LabDb> | null = null;
const db = () => (dbPromise ??= openLabDb());

export interface ScenarioGenerationRequest {
  scenarios: ScenarioName[];
  /** Switch between the scenarios as a Markov chain instead of taking turns. */
  mix: boolean;
  bars: number;
  /** Bar length: "5m", "1h"... */
  interval: string;
  seed: number;
  name: string;
  /** A stored candle dataset to calibrate the market on. */
  calibrateFrom?: string | null;
  /** Also store the teacher ensemble's labels of the bars as an offline dataset. */
  teacher?: boolean;
}

export type ScenarioPhase = 'calibrating' | 'generating' | 'validating' | 'labelling' | 'saving';
export type ScenarioProgress = (phase: ScenarioPhase, fraction: number) => void;

export interface ScenarioGenerationResult {
  meta: DatasetMeta;
  teacher: DatasetMeta | null;
  counts: Record<string, number>;
  /** Seconds each phase took in the worker. */
  phaseSeconds: Partial<Record<ScenarioPhase, number>>;
  calibrationNotes: string[];
}

export async function generateScenarioDataset(request: ScenarioGenerationRequest, onProgress: ScenarioProgress = () => {}): Promise<ScenarioGenerationResult> {
  const phaseSeconds: Partial<Record<ScenarioPhase, number>> = {};
  let phase: ScenarioPhase | null = null;
  let phaseStart = performance.now();
  const enter = (next: ScenarioPhase | null) => {
    const now = performance.now();
    if (phase) phaseSeconds[phase] = (now - phaseStart) / 1000;
    phase = next;
    phaseStart = now;
    if (next) onProgress(next, 0);
  };
  const intervalMs = parseInterval(request.interval);
  if (!(intervalMs > 0)) throw new Error(`"${request.interval}" is not a bar length (30s, 5m, 1h, 1d...).`);
  const name = request.name.trim() || 'scenarios';
  const database = await db();

  let market = defaultMarket(intervalMs);
  let calibratedFrom: string | null = null;
  let calibrationNotes: string[] = [];
  if (request.calibrateFrom) {
    enter('calibrating');
    const source = await getDatasetMeta(database, request.calibrateFrom);
    if (!source || source.deletedAt) throw new Error('The dataset to calibrate on is no longer in this browser.');
    if (source.kind !== 'candles') throw new Error(`"${source.name}" holds ${source.kind}, not candles: only candles calibrate the market.`);
    const calibration = calibrate(await loadCandleColumns(database, source), `"${source.name}"`);
    market = rescaleMarket(calibration.market, intervalMs);
    calibratedFrom = source.name;
    calibrationNotes = calibration.notes;
  }

  enter('generating');
  const generated = generateScenarios({ scenarios: request.scenarios, mix: request.mix, bars: request.bars, seed: request.seed, market });
  enter('validating');
  const dataset = await scenarioDataset(generated, { name, seed: request.seed, scenarios: request.scenarios, mix: request.mix, calibratedFrom });
  for (const note of calibrationNotes) dataset.meta.issues.push({ level: 'info', message: `calibration: ${note}` });

  let teacher = null;
  if (request.teacher) {
    enter('labelling');
    teacher = await teacherDataset(candleColumnsOfDataset(dataset), name);
    // the labels are as synthetic as the bars they label
    teacher.meta.synthetic = dataset.meta.synthetic;
    teacher.meta.history = [{ ...teacher.meta.history![0], how: 'generate' }];
  }

  enter('saving');
  const total = teacher ? 2 : 1;
  await saveDataset(database, dataset, (f) => onProgress('saving', f / total));
  if (teacher) {
    try {
      await saveDataset(database, teacher, (f) => onProgress('saving', (1 + f) / total));
    } catch (e) {
      await purgeDataset(database, dataset.meta.id); // both or neither
      throw e;
    }
  }
  enter(null);
  return { meta: dataset.meta, teacher: teacher?.meta ?? null, counts: generated.counts, phaseSeconds, calibrationNotes };
}
