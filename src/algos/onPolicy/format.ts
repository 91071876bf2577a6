// An on-policy run's records in the run folder (PPO's, GRPO's): plain update lines, detailed
// episodes, checkpoints (model_step_N, best, final) whose trainer_state.json is the runner's
// checkpoint, and what the report says of its evaluations and its last update.
import { storedBeforeSegments } from '../../core/env/build';
import { findEnv } from '../../core/env/registry';
import type { CheckpointEnvelope, CheckpointKind, IntervalFigure, RunRecords, StoredRun } from '../../core/run/contracts';
import { flatUpdateLine, parseFlatUpdateLine, parseWeightsAndOptimizer, type RunFormat } from '../../core/run/format';
import type { ReportSection } from '../../core/run/report';
import { evaluationSections } from '../../core/eval/report';
import { intervalCell } from '../../core/eval/stats';
import type { OnPolicyCheckpoint } from './runner';
import type { OnPolicyRunConfig } from './trainRun';

const TEST_FILE = 'test_evaluation.json';

/** The run-folder format of an on-policy algorithm's runs (`title` names them in errors: "PPO run"). */
export function onPolicyFormat(algorithm: string, title: string): RunFormat {
  return {
    hasEpisodes: true,
    configOmit: ['test_evaluations'],
    // the final evaluations on the test segment, best and final model, apart from the training's
    extraFiles: (config): Record<string, string> => (asOnPolicy(config).test_evaluations ? { [TEST_FILE]: JSON.stringify(asOnPolicy(config).test_evaluations, null, 2) } : {}),
    extraFileNames: [TEST_FILE],
    readConfig(config, readJson, fail) {
      const tests = readJson(TEST_FILE);
      if (tests === null) return;
      if (typeof tests !== 'object' || Array.isArray(tests) || !Object.values(tests as object).every((e) => typeof (e as { mean_reward?: unknown })?.mean_reward === 'number')) fail(TEST_FILE, 'not a set of evaluations by model (best, final)');
      config.test_evaluations = tests;
    },
    updateLine: flatUpdateLine,
    parseUpdateLine: (row, _config, fail) => parseFlatUpdateLine(row, fail),
    scalarTag: (key) => key,
    checkpointMisfit: (name) => (name.startsWith('seed_') ? title : null),
    parsePayload(state, fail) {
      if (typeof state.step !== 'number') fail('no step');
      return { ...state, ...parseWeightsAndOptimizer(state, fail) };
    },
    envelope: (payload, config, kind) => onPolicyEnvelope(algorithm, payload as OnPolicyCheckpoint, config as unknown as OnPolicyRunConfig, kind),
  };
}

export function onPolicyEnvelope(algorithm: string, c: OnPolicyCheckpoint, config: Pick<OnPolicyRunConfig, 'env' | 'activation'>, kind: CheckpointKind = c.kind): CheckpointEnvelope<OnPolicyCheckpoint> {
  return {
    algorithm,
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

export function onPolicyReport(records: Pick<RunRecords, 'config' | 'evaluations' | 'updates'>): ReportSection[] {
  const config = asOnPolicy(records.config);
  const sections: ReportSection[] = [];
  const settings = config.env_settings as Record<string, unknown> | undefined;
  if (settings && storedBeforeSegments(settings)) {
    sections.push({ kind: 'warnings', items: ['This run was stored before the lab kept a validation segment: its best checkpoint was chosen on its one held-out segment, the same rows its evaluations below walked, and its trades filled at the decision bar\'s close without slippage. Its figures are not an out-of-sample test.'] });
  }
  const tests = config.test_evaluations;
  if (tests && Object.keys(tests).length) {
    const models = (['best', 'final'] as const).filter((k) => tests[k]).map((k) => ({ name: `${k} model (step ${tests[k].step.toLocaleString('en-US')})`, record: tests[k] }));
    sections.push(...evaluationSections('Final evaluation', models, { testid: 'test-evaluation', verdictTestid: 'verdict' }));
    const configKeys = [...new Set(Object.values(tests).flatMap((e) => Object.keys(e.by_config ?? {})))];
    const withConfigs = (['best', 'final'] as const).filter((k) => tests[k]?.by_config);
    if (configKeys.length && withConfigs.length) {
      const labelOf = (k: string) => withConfigs.map((m) => tests[m].by_config![k]?.label).find(Boolean) ?? k;
      sections.push({
        kind: 'table', title: 'Final evaluation by trading config', testid: 'test-by-config',
        note: 'test segment, played once at the end, the same windows under each config; net P&L % per window [95 %]; never trading makes 0.00',
        head: ['model', ...configKeys.map(labelOf)],
        rows: withConfigs.map((m) => [`${m} model (step ${tests[m].step.toLocaleString('en-US')})`, ...configKeys.map((k) => (tests[m].by_config![k] ? intervalCell(tests[m].by_config![k].net_pnl_pct, 2) : '—'))]),
      });
    }
  }
  if (records.evaluations.length) {
    const iv = (v: IntervalFigure | undefined) => (v ? intervalCell(v, 2) : '—');
    sections.push({
      kind: 'table', title: 'Evaluations during training', note: 'validation segment; the best checkpoint is chosen on these', head: ['step', 'mean reward', 'std', 'min', 'max', 'windows', 'net P&L % per window [95 %]', 'buy and hold %', 'random band %'],
      rows: records.evaluations.map((e) => [
        e.step, e.mean_reward, e.std_reward, e.min_reward, e.max_reward, e.num_episodes, iv(e.net_pnl_pct),
        e.baselines?.buy_and_hold ? e.baselines.buy_and_hold.net_pnl_pct.mean.toFixed(2) : '—',
        e.baselines?.random ? `${e.baselines.random.net_pnl_pct.p5.toFixed(2)} to ${e.baselines.random.net_pnl_pct.p95.toFixed(2)}` : '—',
      ]),
    });
  }
  // each named config of the environment (seed 001's presets), on the same validation windows
  const keys = [...new Set(records.evaluations.flatMap((e) => Object.keys(e.by_config ?? {})))];
  if (keys.length) {
    const labels = keys.map((k) => records.evaluations.find((e) => e.by_config?.[k])!.by_config![k].label);
    sections.push({
      kind: 'table', title: 'Evaluations by trading config', testid: 'evaluations-by-config',
      note: 'validation segment, the same windows under each config; net P&L % per window [95 %], which here is also the reward (the change in equity after every cost); never trading makes 0.00',
      head: ['step', ...labels],
      rows: records.evaluations.filter((e) => e.by_config).map((e) => [e.step, ...keys.map((k) => (e.by_config![k] ? intervalCell(e.by_config![k].net_pnl_pct, 2) : '—'))]),
    });
  }
  const last = [...records.updates].sort((a, b) => a.update - b.update).at(-1);
  if (last) sections.push({ kind: 'table', title: `Last update (${last.update}, step ${last.step})`, head: ['metric', 'value'], rows: Object.entries(last.metrics).map(([k, v]) => [k, v]) });
  return sections;
}

/** The run's config as an on-policy run's, for code that knows it is one. */
export const asOnPolicy = (config: StoredRun) => config as unknown as OnPolicyRunConfig;
