// Seed 001's "Training Status Report", made honest: a readiness check to run before a long
// funding-arbitrage training. It checks the data, the environment (masks valid over many random
// steps) and the network, runs a short training and an inference test, and sets the trained
// policy beside a random masked policy and a hold-only policy on the same validation windows,
// saying plainly when they cannot be told apart (seed 001 called "1.31 ± 6.79" ready).
import { PpoTrainer, type RunSink } from '../algos/ppo/trainer';
import { DEFAULT_PPO } from '../algos/ppo/hyperparameters';
import { REQUIRED_ROLES, OPTIONAL_ROLES } from '../core/data/columns';
import { buildEnvironments } from '../core/env/build';
import type { DatasetSource } from '../core/env/spec';
import { FUNDING_ARBITRAGE, FUNDING_OBS_SIZE, FUNDING_NUM_ACTIONS } from '../core/env/fundingArbitrage';
import { FUNDING_OBS } from '../core/env/fundingArbitrage/env';
import { meanStd } from '../core/eval/stats';
import { walkOf, type ActionPolicy, type WalkResult } from '../core/eval/walk';
import { Rng } from '../core/rng';
import { randomAllowedActions } from '../core/env/randomActions';
import { sectionsMarkdown, type ReportSection } from '../core/run/report';
import { defaultsOf, type SettingValues } from '../core/settings';

export interface ReadinessOptions {
  /** Env-steps of the short training (default 8,192). */
  trainSteps?: number;
  /** Random steps the masks are checked over (default 10,000 copy-steps). */
  maskSteps?: number;
  netArch?: number[];
  seed?: number;
  /** The environment's settings (its defaults where not given). */
  envSettings?: Partial<SettingValues>;
  /** Told as the check goes: its part, and how far through the whole check it is (0–1). */
  onProgress?: (p: { part: string; fraction: number }) => void;
  /** Asked between steps; true ends the check early with a report that says so. */
  stopRequested?: () => boolean;
}

export interface ReadinessReport {
  title: string;
  sections: ReportSection[];
  markdown: string;
  ready: boolean;
  policyApart: boolean;
  /** The check was stopped before its end: the parts not reached are missing. */
  stopped: boolean;
}

interface PolicyFigure { name: string; reward: { mean: number; std: number; low: number | null; high: number | null; n: number }; netPnl: WalkResult['net_pnl_pct'] }

/** Weights and biases of an MLP from `inputs` through `hidden` to `outputs`. */
const mlpParameters = (inputs: number, hidden: number[], outputs: number) =>
  [inputs, ...hidden, outputs].reduce((sum, n, i, sizes) => (i === 0 ? 0 : sum + sizes[i - 1] * n + n), 0);

const apart = (a: PolicyFigure, b: PolicyFigure) => a.reward.low !== null && b.reward.high !== null && b.reward.low !== null && a.reward.high !== null && (a.reward.low > b.reward.high || a.reward.high < b.reward.low);

export async function fundingReadiness(source: DatasetSource, o: ReadinessOptions = {}): Promise<ReadinessReport> {
  const title = 'Training status report: funding-arbitrage';
  const sections: ReportSection[] = [];
  const problems: string[] = [];
  const meta = source.meta;
  const progress = (part: string, fraction: number) => o.onProgress?.({ part, fraction });
  const finish = (verdict: ReportSection[], ready: boolean, policyApart: boolean, stopped: boolean): ReadinessReport => {
    sections.push(...verdict);
    return { title, sections, markdown: [`# ${title}`, ...sectionsMarkdown(sections)].join('\n') + '\n', ready, policyApart, stopped };
  };
  const stoppedHere = (part: string) => finish([{ kind: 'warnings', items: [`The check was stopped during the ${part}; the parts after it did not run and nothing is judged.`] }], false, false, true);

  // Data
  progress('data', 0);
  const required = REQUIRED_ROLES.funding.map((r) => (r === 'time' ? 'entry_time' : r));
  const present = new Set([...Object.keys(meta.roles).map((r) => (r === 'time' ? 'entry_time' : r)), ...meta.columns]);
  const missing = required.filter((r) => !present.has(r));
  if (meta.kind !== 'funding') problems.push(`the dataset is ${meta.kind}, not funding opportunities`);
  if (missing.length) problems.push(`required columns missing: ${missing.join(', ')}`);
  const dict = async (name: string) => { const c = await source.column(name); return c?.type === 'text' ? c.dictionary : []; };
  const venues = [...new Set([...(await dict('long_exchange')), ...(await dict('short_exchange'))])].sort();
  const day = (ms: number | null) => (ms === null ? '—' : new Date(ms).toISOString().slice(0, 16).replace('T', ' '));
  sections.push({ kind: 'table', title: 'Data', head: ['check', 'result'], testid: 'readiness-data', rows: [
    ['dataset', `${meta.name} (${meta.rows.toLocaleString('en-US')} opportunities)`],
    ['symbols', (await dict('symbol')).join(', ')],
    ['venues', venues.join(', ')],
    ['range (UTC)', `${day(meta.timeStart)} to ${day(meta.timeEnd)}`],
    ['required columns', missing.length ? { text: `missing ${missing.join(', ')}`, strong: true } : `all present (${required.join(', ')}${OPTIONAL_ROLES.funding.filter((r) => present.has(r)).map((r) => `, ${r}`).join('')})`],
  ] });
  if (meta.kind !== 'funding') return finish([{ kind: 'text', title: 'Verdict', parts: [{ strong: `Not ready: ${problems.join('; ')}.`, testid: 'readiness-verdict' }] }], false, false, false);

  // Environment: shapes, and the masks over many random steps
  const data = await FUNDING_ARBITRAGE.load(source);
  const settings = { ...defaultsOf(FUNDING_ARBITRAGE.settings), ...o.envSettings } as SettingValues;
  const hp = { ...DEFAULT_PPO, n_envs: 8, n_steps: 256, n_epochs: 4, batch_size: 256, net_arch: o.netArch ?? [512, 512], total_timesteps: o.trainSteps ?? 8192, eval_freq: 1e12, save_freq: 1e12, seed: o.seed ?? 1, target_kl: null };
  const envs = buildEnvironments(FUNDING_ARBITRAGE, data, settings, { copies: hp.n_envs, seed: hp.seed, maxSteps: hp.max_steps });
  const probe = envs.makeEvalEnv(16, 7);
  const rng = new Rng(11);
  const actions = new Int32Array(probe.numEnvs);
  const A = probe.numActions;
  let bad = 0, checked = 0;
  const maskSteps = o.maskSteps ?? 10_000, rounds = Math.ceil(maskSteps / probe.numEnvs);
  for (let s = 0; s < rounds; s++) {
    for (let i = 0; i < probe.numEnvs; i++) {
      const m = probe.masks.subarray(i * A, (i + 1) * A), ob = probe.obs.subarray(i * probe.obsSize, (i + 1) * probe.obsSize);
      const positions = Math.round(ob[FUNDING_OBS.portfolio + 3] * 5), maxPositions = Math.round(ob[2] * 5);
      let allowed = 0, opens = 0;
      for (let a = 0; a < A; a++) { allowed += m[a]; if (a >= 1 && a <= 30) opens += m[a]; }
      let closesWrong = 0;
      for (let j = 0; j < 5; j++) if (m[31 + j] !== (ob[FUNDING_OBS.slots + j * FUNDING_OBS.slotWidth] > 0 ? 1 : 0)) closesWrong++;
      if (!m[0] || allowed === 0 || closesWrong || (positions >= maxPositions && opens > 0)) bad++;
      checked++;
    }
    probe.step(randomAllowedActions(probe.masks, probe.numEnvs, A, rng, actions));
    probe.drainEpisodes();
    if (s % 64 === 0) progress('masks', 0.02 + (0.03 * s) / rounds);
  }
  if (bad) problems.push(`${bad} of ${checked} masks broke a rule`);
  sections.push({ kind: 'table', title: 'Environment', head: ['check', 'result'], testid: 'readiness-environment', rows: [
    ['observation', `${probe.obsSize} values (${probe.obsSize === FUNDING_OBS_SIZE ? 'as declared' : 'not as declared'})`],
    ['actions', `${probe.numActions} (${probe.numActions === FUNDING_NUM_ACTIONS ? 'hold, 30 opens, 5 closes' : 'not as declared'})`],
    ['masks', bad === 0 ? `valid at all ${checked.toLocaleString('en-US')} random masked steps (hold always allowed, a close exactly for each filled slot, no open at the position limit)` : { text: `${bad} invalid of ${checked}`, strong: true }],
    ['segments (hours)', `train ${envs.segments.train.end - envs.segments.train.start}, validation ${envs.segments.validation ? envs.segments.validation.end - envs.segments.validation.start : 0}, test ${envs.segments.test.end - envs.segments.test.start}; episodes of ${envs.episodeSteps} h`],
  ] });

  // Network
  const policyParams = mlpParameters(FUNDING_OBS_SIZE, hp.net_arch, FUNDING_NUM_ACTIONS), valueParams = mlpParameters(FUNDING_OBS_SIZE, hp.net_arch, 1);
  sections.push({ kind: 'text', title: 'Network', parts: [`Policy and value MLPs [${hp.net_arch.join(', ')}]: ${(policyParams + valueParams).toLocaleString('en-US')} parameters (policy ${policyParams.toLocaleString('en-US')}, value ${valueParams.toLocaleString('en-US')}).`] });

  // Short training
  const updates: Record<string, number | null>[] = [];
  const sink: RunSink = { episodes() {}, evaluation() {}, checkpoint() {}, update(u) { updates.push({ step: u.step, ...u.metrics }); progress('short training', 0.05 + (0.85 * u.step) / hp.total_timesteps); } };
  progress('short training', 0.05);
  const trainer = await PpoTrainer.create({ hp, env: envs.env, makeEvalEnv: envs.makeEvalEnv, sink });
  try {
    if ((await trainer.train({ stopRequested: o.stopRequested })) === 'stopped') return stoppedHere('short training');
    const finite = updates.every((u) => Object.values(u).every((v) => v === null || Number.isFinite(v)));
    if (!finite) problems.push('the short training produced a non-finite metric');
    const fmt = (v: number | null | undefined, d = 4) => (v === null || v === undefined ? '—' : v.toFixed(d));
    sections.push({ kind: 'text', title: 'Short training test', parts: [`${hp.total_timesteps.toLocaleString('en-US')} env-steps of PPO, ${updates.length} updates, `, finite ? 'every metric finite.' : { strong: 'a metric was not finite.' }] });
    sections.push({ kind: 'table', title: 'Short training: each update', head: ['step', 'loss', 'entropy', 'approx KL', 'clip fraction', 'mean episode reward'], testid: 'readiness-training',
      rows: updates.map((u) => [String(u.step), fmt(u['train/loss']), fmt(u['train/entropy_loss'] === null || u['train/entropy_loss'] === undefined ? null : -(u['train/entropy_loss'] as number)), fmt(u['train/approx_kl']), fmt(u['train/clip_fraction'], 3), fmt(u['rollout/ep_rew_mean'], 3)]) });

    // Inference test: the trained policy beside a random masked policy and hold-only, on the same windows
    const walk = walkOf(envs, data, envs.selection, envs.episodeSteps);
    const greedy = trainer.greedyPolicy();
    const randomRng = new Rng(5);
    const randomMasked: ActionPolicy = (_obs, masks, n, out) => { randomAllowedActions(masks, n, A, randomRng, out); };
    const figures: PolicyFigure[] = [];
    const policies = [['trained policy (greedy)', (obs: Float32Array, masks: Uint8Array, n: number, out: Int32Array) => greedy.act(obs, masks, n, out)], ['random masked policy', randomMasked], ['hold only', ((_o: Float32Array, _m: Uint8Array, n: number, out: Int32Array) => { out.fill(0, 0, n); }) as ActionPolicy]] as const;
    for (const [name, policy] of policies) {
      if (o.stopRequested?.()) return stoppedHere('inference test');
      progress('inference test', 0.9 + (0.1 * figures.length) / policies.length);
      const r = await walk.play(policy as ActionPolicy);
      const { mean, std } = meanStd(r.windows.map((w) => w.reward));
      figures.push({ name, reward: { mean, std, low: r.reward.low, high: r.reward.high, n: r.windows.length }, netPnl: r.net_pnl_pct });
    }
    const [trained, random, hold] = figures;
    const iv = (low: number | null, high: number | null) => (low === null ? '—' : `[${low.toFixed(3)}, ${high!.toFixed(3)}]`);
    sections.push({ kind: 'table', title: 'Inference test (validation segment)', note: `each policy over the same ${trained.reward.n} windows of ${envs.episodeSteps} hours, deterministic where it can be`, head: ['policy', 'reward mean ± std', '95 % interval of the mean', 'net P&L % per window [95 %]'], testid: 'readiness-inference',
      rows: figures.map((f) => [f.name, `${f.reward.mean.toFixed(3)} ± ${f.reward.std.toFixed(3)}`, iv(f.reward.low, f.reward.high), `${f.netPnl.mean.toFixed(3)} ${iv(f.netPnl.low, f.netPnl.high)}`]) });
    const policyApart = apart(trained, random) && apart(trained, hold) && trained.reward.mean > Math.max(random.reward.mean, hold.reward.mean);
    const ready = problems.length === 0;
    const against = `${trained.reward.mean.toFixed(3)} ± ${trained.reward.std.toFixed(3)} against ${random.reward.mean.toFixed(3)} ± ${random.reward.std.toFixed(3)} (random) and ${hold.reward.mean.toFixed(3)} ± ${hold.reward.std.toFixed(3)} (hold)`;
    const alike = [...(apart(trained, random) ? [] : ['a random masked policy']), ...(apart(trained, hold) ? [] : ['holding'])];
    const caveat = ' That is expected of a short test and says nothing yet about what a long training learns; a mean ± std alone (a status report once called "1.31 ± 6.79" ready) would not have said it.';
    const policyParts = policyApart
      ? [`The short training's policy beats both a random masked policy and holding, their 95 % intervals apart over ${trained.reward.n} windows: ${against}.`]
      : alike.length
        ? ["The short training's policy ", { strong: 'cannot be told apart' }, ` from ${alike.join(' or ')} over ${trained.reward.n} windows: ${against}.${caveat}`]
        : ["The short training's policy is ", { strong: 'worse' }, ` than ${trained.reward.mean < random.reward.mean ? 'a random masked policy' : 'holding'} over ${trained.reward.n} windows: ${against}.${caveat}`];
    progress('done', 1);
    return finish([
      { kind: 'text', title: 'Verdict', parts: [{ strong: ready ? 'The data, the environment and the network are ready to train on.' : `Not ready: ${problems.join('; ')}.`, testid: 'readiness-verdict' }] },
      { kind: 'text', parts: policyParts },
    ], ready, policyApart, false);
  } finally {
    trainer.dispose();
  }
}
