// A PPO run's records in the run folder: plain update lines, detailed episodes, checkpoints
// (model_step_N, best, final) whose trainer_state.json is the runner's checkpoint, and what the
// report says of its evaluations and its last update.
import { findEnv } from '../../core/env/registry';
import type { CheckpointEnvelope, CheckpointKind, RunRecords, StoredRun } from '../../core/run/contracts';
import { flatUpdateLine, parseFlatUpdateLine, parseWeightsAndOptimizer, type RunFormat } from '../../core/run/format';
import type { ReportSection } from '../../core/run/report';
import type { PpoCheckpoint } from './trainer';
import { PPO_ID, type PpoRunConfig } from './config';

export const PPO_FORMAT: RunFormat = {
  hasEpisodes: true,
  configOmit: [],
  extraFiles: () => ({}),
  extraFileNames: [],
  readConfig: () => {},
  updateLine: flatUpdateLine,
  parseUpdateLine: (row, _config, fail) => parseFlatUpdateLine(row, fail),
  scalarTag: (key) => key,
  checkpointMisfit: (name) => (name.startsWith('seed_') ? 'PPO run' : null),
  parsePayload(state, fail) {
    if (typeof state.step !== 'number') fail('no step');
    return { ...state, ...parseWeightsAndOptimizer(state, fail) };
  },
  envelope: (payload, config, kind) => ppoEnvelope(payload as PpoCheckpoint, config as unknown as PpoRunConfig, kind),
};

export function ppoEnvelope(c: PpoCheckpoint, config: Pick<PpoRunConfig, 'env' | 'activation'>, kind: CheckpointKind = c.kind): CheckpointEnvelope<PpoCheckpoint> {
  return {
    algorithm: PPO_ID,
    kind,
    step: c.step,
    obsSize: c.obsSize,
    numActions: c.numActions,
    actionNames: [...(findEnv(config.env)?.actionNames ?? [])],
    activation: config.activation ?? 'tanh',
    normalizer: c.normalizer,
    payload: c,
  };
}

export function ppoReport(records: Pick<RunRecords, 'config' | 'evaluations' | 'updates'>): ReportSection[] {
  const sections: ReportSection[] = [];
  if (records.evaluations.length) {
    sections.push({
      kind: 'table', title: 'Evaluations', head: ['step', 'mean', 'std', 'min', 'max', 'episodes'],
      rows: records.evaluations.map((e) => [e.step, e.mean_reward, e.std_reward, e.min_reward, e.max_reward, e.num_episodes]),
    });
  }
  const last = [...records.updates].sort((a, b) => a.update - b.update).at(-1);
  if (last) sections.push({ kind: 'table', title: `Last update (${last.update}, step ${last.step})`, head: ['metric', 'value'], rows: Object.entries(last.metrics).map(([k, v]) => [k, v]) });
  return sections;
}

/** The run's config as PPO's, for code that knows it is one. */
export const asPpo = (config: StoredRun) => config as unknown as PpoRunConfig;
