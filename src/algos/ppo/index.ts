// PPO (Stable-Baselines3's and CleanRL's) as the registry knows it: its hyperparameters and seed
// 001's presets, what it trains on, its run list columns, facts, health charts and warnings, its
// report and run-folder format. Its TensorFlow.js half (runtime.ts) loads only where it trains.
import { findEnv } from '../../core/env/registry';
import type { StoredCheckpoint } from '../../core/run/contracts';
import { intervalText } from '../../core/eval/stats';
import type { AlgorithmSpec, MlpPolicy } from '../spec';
import { isPpoRun, newPpoConfig, plannedSteps, PPO_ID, type PpoRunConfig } from './config';
import { PPO_FORMAT, ppoReport } from './format';
import { PPO_CHARTS, ppoWarnings } from './health';
import { PPO_HYPERPARAMETERS, PPO_PRESETS } from './hyperparameters';
import type { PpoCheckpoint } from './trainer';

const fixed = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(3));

export const PPO: AlgorithmSpec<PpoRunConfig> = {
  id: PPO_ID,
  title: 'PPO',
  menuLabel: 'PPO (reinforcement learning on an environment)',
  subject: (c) => c.env,
  describe: (c) => `PPO on \`${c.env}\``,
  hyperparameters: PPO_HYPERPARAMETERS,
  advancedTitle: 'PPO hyperparameters',
  presets: PPO_PRESETS,
  defaultPreset: 'moderate',
  formStart: { total_timesteps: 50_000 },
  trainsOn: { environments: true },
  fineTunes: { hyperparameters: { learning_rate: 1e-4 }, sameNetworks: (shape) => ({ activation: shape.activation, net_arch: shape.hidden }) },
  startingPolicy(config, checkpoints: readonly StoredCheckpoint[]): MlpPolicy | null {
    const c = checkpoints.find((x) => x.name === 'final') ?? checkpoints.find((x) => x.name === 'best');
    if (!c) return null;
    const p = c.checkpoint.payload as PpoCheckpoint;
    return { layers: p.weights.slice(0, 2 * (p.netArch.length + 1)), activation: c.checkpoint.activation, normalizer: p.normalizer, description: `PPO run ${config.run_id} (${c.name} model, step ${c.step})` };
  },
  policyShape: (c) => {
    const env = findEnv(c.env);
    return env ? { obsSize: env.obsSize, actionNames: env.actionNames, hidden: c.net_arch, activation: c.activation ?? 'tanh' } : null;
  },
  unit: 'steps',
  plannedTotal: (c) => c.total_timesteps,
  progressTotal: plannedSteps,
  progressDone: (c) => c.progress_timesteps,
  resumable: (c) => c.progress_timesteps < c.total_timesteps,
  newConfig: newPpoConfig,
  columns: [
    { key: 'test_net_pnl', label: 'Test net P&L %', title: 'the best model on the test segment: mean net P&L per window after fees and slippage', value: (c) => (isPpoRun(c) ? c.final_metrics?.test_net_pnl_pct ?? null : null), format: 'fixed3' },
    { key: 'vs_buy_and_hold', label: 'vs B&H', title: 'test net P&L minus buy-and-hold on the same windows, same costs', value: (c) => (isPpoRun(c) && c.final_metrics?.test_net_pnl_pct != null && c.final_metrics.test_buy_and_hold_pct != null ? c.final_metrics.test_net_pnl_pct - c.final_metrics.test_buy_and_hold_pct : null), format: 'fixed3' },
    { key: 'val_net_pnl', label: 'Val net P&L %', title: 'the best checkpoint on the validation segment (what chose it, and what settings are compared on): mean net P&L per window after costs', value: (c) => (isPpoRun(c) ? c.final_metrics?.best_eval_net_pnl_pct ?? null : null), format: 'fixed3' },
    { key: 'best_eval', label: 'Best eval', title: 'reward of the best validation evaluation', value: (c) => (isPpoRun(c) ? c.final_metrics?.best_eval_mean_reward ?? null : null), format: 'fixed3' },
    { key: 'mean_reward', label: 'Mean reward', value: (c) => (isPpoRun(c) ? c.final_metrics?.mean_reward ?? null : null), format: 'fixed3' },
    { key: 'final_100_mean', label: 'Last 100', value: (c) => (isPpoRun(c) ? c.final_metrics?.final_100_mean ?? null : null), format: 'fixed3' },
    { key: 'episodes', label: 'Episodes', value: (c) => (isPpoRun(c) ? c.final_metrics?.total_episodes ?? 0 : null), format: 'integer' },
  ],
  compare: {
    columns: [
      { key: 'test_sharpe', label: 'test Sharpe', value: (c) => (isPpoRun(c) ? c.final_metrics?.test_sharpe ?? null : null), format: 'fixed3' },
      { key: 'test_max_drawdown', label: 'test max drawdown', value: (c) => (isPpoRun(c) ? c.final_metrics?.test_max_drawdown ?? null : null), format: 'percent' },
    ],
    charts: [{ title: 'rollout/ep_rew_mean', key: 'rollout/ep_rew_mean' }, { title: 'train/approx_kl', key: 'train/approx_kl' }],
  },
  facts: (c, counts) => [
    { label: 'Environment', value: `${c.env} on ${c.dataset_name || c.data_file} · PPO on ${c.backend}` },
    { label: 'Progress', value: `${c.progress_timesteps.toLocaleString('en-US')} / ${c.total_timesteps.toLocaleString('en-US')} steps · ${counts.episodes.toLocaleString('en-US')} episodes · ${counts.updates} updates` },
    { label: 'Final metrics', value: `mean reward ${fixed(c.final_metrics.mean_reward)} · last 100 ${fixed(c.final_metrics.final_100_mean)} · best validation reward ${fixed(c.final_metrics.best_eval_mean_reward)}${c.final_metrics.best_eval_net_pnl_pct != null ? ` · best checkpoint's validation net P&L ${fixed(c.final_metrics.best_eval_net_pnl_pct)} % per window` : ''}` },
    ...(c.final_metrics.test_net_pnl_pct != null ? [{ label: 'Test segment', value: `best model net P&L ${fixed(c.final_metrics.test_net_pnl_pct)} % per window (95 % ${fixed(c.final_metrics.test_net_pnl_low)} to ${fixed(c.final_metrics.test_net_pnl_high)}) · ${c.final_metrics.test_buy_and_hold_pct == null ? 'no buy-and-hold in this market' : `buy and hold ${fixed(c.final_metrics.test_buy_and_hold_pct)} %`} · ${c.final_metrics.verdict ?? ''}` }] : []),
  ],
  charts: PPO_CHARTS,
  warnings: ppoWarnings,
  summary: (c) => {
    const m = c.final_metrics;
    const by = c.select_best_by === 'reward' ? 'reward' : 'net P&L';
    const chosen = m.best_eval_net_pnl_pct != null ? `; best checkpoint by validation ${by}: net P&L ${m.best_eval_net_pnl_pct.toFixed(2)} % per window` : '';
    const lines = [`done: ${m.total_episodes} episodes, final_100_mean ${m.final_100_mean?.toFixed(4)}, best validation reward ${m.best_eval_mean_reward?.toFixed(4)}${chosen}`];
    const tests = c.test_evaluations ?? {};
    for (const name of ['best', 'final']) {
      const e = tests[name];
      if (!e?.net_pnl_pct) continue;
      const b = e.baselines;
      lines.push(`test, ${name} model: net P&L ${intervalText(e.net_pnl_pct, 2, ' %')} per window of ${e.num_episodes}, reward ${e.mean_reward.toFixed(3)}; ${b?.buy_and_hold ? `buy and hold ${b.buy_and_hold.net_pnl_pct.mean.toFixed(2)} %` : 'no buy-and-hold in this market'}${Object.values(b?.fixed ?? {}).map((f) => `, ${f.label} ${f.net_pnl_pct.mean.toFixed(2)} %`).join('')}${b?.random ? `, random as often ${b.random.net_pnl_pct.p5.toFixed(2)} to ${b.random.net_pnl_pct.p95.toFixed(2)} %` : ''}`);
      for (const [key, v] of Object.entries(e.by_config ?? {})) lines.push(`  ${key}: net P&L ${intervalText(v.net_pnl_pct, 2, ' %')} per window`);
    }
    if (m.verdict) lines.push(`verdict: ${m.verdict}`);
    return lines;
  },
  report: ppoReport,
  format: PPO_FORMAT,
  runtime: async () => (await import('./runtime')).PPO_RUNTIME,
};

export { plannedSteps };
