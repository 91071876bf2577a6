// What GRPO's updates say about its health, under TRL's metric names: the group scores and their
// spread, the share of groups that gave no gradient, the clip ratios, the KL and the entropy.
import type { MetricChart } from '../../core/run/charts';
import type { UpdateRecord } from '../../core/run/contracts';
import type { HealthInput, HealthWarning } from '../../core/run/warnings';

export const GRPO_CHARTS: readonly MetricChart[] = [
  { title: 'Score (reward) and mean net P&L % of the trajectories', lines: [{ key: 'reward', label: 'reward', color: '#2b8a4b' }, { key: 'net_pnl_pct', label: 'net P&L %', color: '#2f7de1' }] },
  { title: 'Spread within groups (reward_std) and groups that gave no gradient (frac_reward_zero_std)', lines: [{ key: 'reward_std', label: 'reward_std', color: '#7b4fd6' }, { key: 'frac_reward_zero_std', label: 'frac_reward_zero_std', color: '#c43c3c' }] },
  { title: 'Clip ratios', lines: [{ key: 'clip_ratio/region_mean', label: 'region', color: '#5a6b7d' }, { key: 'clip_ratio/low_mean', label: 'low', color: '#c47a00' }, { key: 'clip_ratio/high_mean', label: 'high', color: '#2f7de1' }] },
  { title: 'Entropy and KL to the reference', lines: [{ key: 'entropy', label: 'entropy', color: '#7b4fd6' }, { key: 'kl', label: 'kl', color: '#c47a00' }] },
  { title: 'Steps per second', lines: [{ key: 'time/fps', label: 'fps', color: '#5a6b7d' }] },
];

/** GRPO's health check of a run so far: each warning under its key. */
export function grpoHealth(input: HealthInput): HealthWarning[] {
  const { updates } = input;
  const last = updates.at(-1)?.metrics;
  if (!last) return [];
  const out: HealthWarning[] = [];
  const bad = ['loss', 'entropy', 'kl'].filter((k) => last[k] !== undefined && last[k] !== null && !Number.isFinite(last[k]!));
  if (bad.length) return [{ key: 'diverged', text: `${bad.join(', ')} is NaN or infinite: training has diverged.` }];
  const zero = last.frac_reward_zero_std ?? 0;
  if (zero >= 0.5) out.push({ key: 'groups_alike', text: `${(zero * 100).toFixed(0)} % of the groups scored all alike and gave no gradient: raise group_size, lengthen the windows (max_steps), choose a scorer that tells trajectories apart, or turn on dynamic_sampling.` });
  const entropy = last.entropy ?? 1;
  const first = updates[0].metrics.entropy ?? entropy;
  // a policy started from behavior cloning is confident from its first update: judged against where it began
  if (entropy < GRPO_ENTROPY_LOW && (!input.startedFromPolicy || entropy < 0.5 * first)) out.push({ key: 'entropy_low', text: `Entropy ${entropy.toFixed(3)}: the policy acts almost deterministically, so a group's rollouts barely differ and the advantages vanish.` });
  if ((last.frac_unscored ?? 0) > 0.1) out.push({ key: 'unscored', text: `${((last.frac_unscored ?? 0) * 100).toFixed(0)} % of the trajectories could not be scored (advantage 0).` });
  return out;
}

/** Below: a group's rollouts barely differ. */
export const GRPO_ENTROPY_LOW = 0.05;

/** grpoHealth's texts of the latest updates. */
export function grpoWarnings(updates: readonly UpdateRecord[]): string[] {
  return grpoHealth({ updates }).map((w) => w.text);
}
