// What the run browser and the command line show of an on-policy run (PPO's, GRPO's): its list
// columns, the figures compare sets side by side, its facts, and the lines the command line ends on.
import { intervalText } from '../../core/eval/stats';
import { dataRevisionText } from '../../core/run/report';
import { findEnv } from '../../core/env/registry';
import type { RunHeader, StoredCheckpoint, StoredRun } from '../../core/run/contracts';
import type { AlgorithmSpec, MlpPolicy } from '../spec';
import type { OnPolicyCheckpoint } from './runner';
import { plannedSteps, type OnPolicyRunConfig } from './trainRun';

const fixed = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(3));

/** The run-browser and command-line parts of an on-policy algorithm whose runs carry this id. */
/** `compareCharts`: the algorithm's own metrics compare draws beside the episode reward. */
export function onPolicyPresentation<C extends OnPolicyRunConfig & { select_best_by?: string }>(algorithm: string, title: string, compareCharts: AlgorithmSpec['compare']['charts']): Pick<AlgorithmSpec<C>, 'columns' | 'compare' | 'facts' | 'summary'> {
  const isRun = (run: StoredRun | RunHeader): run is C & StoredRun => run.algorithm === algorithm;
  return {
    columns: [
      { key: 'test_net_pnl', label: 'Test net P&L %', title: 'the best model on the test segment: mean net P&L per window after fees and slippage', value: (c) => (isRun(c) ? c.final_metrics?.test_net_pnl_pct ?? null : null), format: 'fixed3' },
      { key: 'vs_buy_and_hold', label: 'vs B&H', title: 'test net P&L minus buy-and-hold on the same windows, same costs', value: (c) => (isRun(c) && c.final_metrics?.test_net_pnl_pct != null && c.final_metrics.test_buy_and_hold_pct != null ? c.final_metrics.test_net_pnl_pct - c.final_metrics.test_buy_and_hold_pct : null), format: 'fixed3' },
      { key: 'val_net_pnl', label: 'Val net P&L %', title: 'the best checkpoint on the validation segment (what chose it, and what settings are compared on): mean net P&L per window after costs', value: (c) => (isRun(c) ? c.final_metrics?.best_eval_net_pnl_pct ?? null : null), format: 'fixed3' },
      { key: 'best_eval', label: 'Best eval', title: 'reward of the best validation evaluation', value: (c) => (isRun(c) ? c.final_metrics?.best_eval_mean_reward ?? null : null), format: 'fixed3' },
      { key: 'mean_reward', label: 'Mean reward', value: (c) => (isRun(c) ? c.final_metrics?.mean_reward ?? null : null), format: 'fixed3' },
      { key: 'final_100_mean', label: 'Last 100', value: (c) => (isRun(c) ? c.final_metrics?.final_100_mean ?? null : null), format: 'fixed3' },
      { key: 'episodes', label: 'Episodes', value: (c) => (isRun(c) ? c.final_metrics?.total_episodes ?? 0 : null), format: 'integer' },
    ],
    compare: {
      columns: [
        { key: 'test_sharpe', label: 'test Sharpe', value: (c) => (isRun(c) ? c.final_metrics?.test_sharpe ?? null : null), format: 'fixed3' },
        { key: 'test_max_drawdown', label: 'test max drawdown', value: (c) => (isRun(c) ? c.final_metrics?.test_max_drawdown ?? null : null), format: 'percent' },
      ],
      charts: [{ title: 'rollout/ep_rew_mean', key: 'rollout/ep_rew_mean' }, ...compareCharts],
    },
    facts: (c, counts) => [
      { label: 'Environment', value: `${c.env} on ${c.dataset_name || c.data_file}${dataRevisionText(c).replace(/\*\*/g, '')} · ${title} on ${c.backend}` },
      { label: 'Progress', value: `${c.progress_timesteps.toLocaleString('en-US')} / ${c.total_timesteps.toLocaleString('en-US')} steps · ${counts.episodes.toLocaleString('en-US')} episodes · ${counts.updates} updates` },
      { label: 'Final metrics', value: `mean reward ${fixed(c.final_metrics.mean_reward)} · last 100 ${fixed(c.final_metrics.final_100_mean)} · best validation reward ${fixed(c.final_metrics.best_eval_mean_reward)}${c.final_metrics.best_eval_net_pnl_pct != null ? ` · best checkpoint's validation net P&L ${fixed(c.final_metrics.best_eval_net_pnl_pct)} % per window` : ''}` },
      ...(c.final_metrics.test_net_pnl_pct != null ? [{ label: 'Test segment', value: `best model net P&L ${fixed(c.final_metrics.test_net_pnl_pct)} % per window (95 % ${fixed(c.final_metrics.test_net_pnl_low)} to ${fixed(c.final_metrics.test_net_pnl_high)}) · ${c.final_metrics.test_buy_and_hold_pct == null ? 'no buy-and-hold in this market' : `buy and hold ${fixed(c.final_metrics.test_buy_and_hold_pct)} %`} · ${c.final_metrics.verdict ?? ''}` }] : []),
    ],
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
  };
}

/**
 * What an on-policy run is to the rest of the lab, whatever its learner: the policy another run
 * starts from (its final or best checkpoint's policy tensors, which come first), its shape, and
 * its progress in environment steps.
 */
export function onPolicyLifecycle<C extends OnPolicyRunConfig>(title: string): Pick<AlgorithmSpec<C>, 'startingPolicy' | 'policyShape' | 'unit' | 'plannedTotal' | 'progressTotal' | 'progressDone' | 'resumable'> {
  return {
    startingPolicy(config: C, checkpoints: readonly StoredCheckpoint[]): MlpPolicy | null {
      const c = checkpoints.find((x) => x.name === 'final') ?? checkpoints.find((x) => x.name === 'best');
      if (!c) return null;
      const p = c.checkpoint.payload as OnPolicyCheckpoint;
      return { layers: p.weights.slice(0, 2 * (p.netArch.length + 1)), activation: c.checkpoint.activation, normalizer: p.normalizer, description: `${title} run ${config.run_id} (${c.name} model, step ${c.step})` };
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
  };
}
