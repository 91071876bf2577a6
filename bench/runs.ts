// Run-browser benchmark: a run with 10,000 episodes and 2,000 updates (and realistic [128, 128]
// checkpoints) is imported into the built site; then, in headless Chromium, the time to open the
// run browser, to open the run's charts, and to export the run as a zip, and the zip's size.
import { execSync } from 'node:child_process';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { PPO } from '../src/algos/ppo';
import { TRADE_APPROVAL } from '../src/core/env/tradeApproval';
import type { PpoRunConfig } from '../src/algos/ppo/config';
import { ppoEnvelope } from '../src/algos/ppo/format';
import { DEFAULT_PPO } from '../src/algos/ppo/hyperparameters';
import { PPO_RUNTIME } from '../src/algos/ppo/runtime';
import { PpoTrainer, type PpoCheckpoint } from '../src/algos/ppo/trainer';
import { runFiles, zipRun } from '../src/core/run/exportRun';
import { pythonIsoTime } from '../src/core/run/record';
import { Rng } from '../src/core/rng';
import type { StoredCheckpoint, StoredEpisode, StoredEvaluation, StoredUpdate } from '../src/core/run/contracts';
import type { VecEnv } from '../src/core/env/types';
import { launchChromium, serveDist } from '../test/support/site';

const EPISODES = 10_000;
const UPDATES = 2_000;
const RUN_ID = 'run_20250116_143022';

/** An environment shell with the trade-approval environment's sizes, only to build genuine checkpoints. */
function shellEnv(n: number): VecEnv {
  return { name: 'shell', numEnvs: n, obsSize: 42, numActions: 3, actionNames: ['reject', 'approve_warning', 'approve'], obs: new Float32Array(n * 42), rewards: new Float32Array(n), dones: new Uint8Array(n), masks: new Uint8Array(n * 3).fill(1), pnl: new Float32Array(n), reset() {}, startAt() {}, currentRow: () => 0, step() {}, drainEpisodes: () => [], getState: () => ({}), setState() {} };
}

async function syntheticRun(): Promise<Uint8Array> {
  await tf.setBackend('cpu');
  const rng = new Rng(7);
  const stepsPerUpdate = 2048;
  const hp = { ...DEFAULT_PPO, total_timesteps: UPDATES * stepsPerUpdate, max_steps: 100, eval_freq: 20_480, save_freq: 819_200 };
  const start = Date.parse('2025-01-16T14:30:22Z');
  const t = (s: number) => pythonIsoTime(new Date(start + s * 1000));
  const episodes: StoredEpisode[] = [];
  for (let e = 1; e <= EPISODES; e++) {
    const counts = [rng.int(40), rng.int(30)];
    const approve = 100 - counts[0] - counts[1];
    const approved = counts[1] + approve;
    const reward = rng.normal() * 3 + e / 2000;
    const detail = {
      episode: e, reward, length: 100, timestep: e * 100, timestamp: t(e * 0.4),
      action_counts: { reject: counts[0], approve_warning: counts[1], approve },
      action_percentages: { reject: counts[0], approve_warning: counts[1], approve },
      trade_outcomes: { total_trades: 100, approved_trades: approved, rejected_trades: counts[0], profitable_approved: Math.floor(approved * 0.6), losing_approved: approved - Math.floor(approved * 0.6) - 1, liquidations: 1, good_rejections: Math.floor(counts[0] * 0.7), missed_opportunities: counts[0] - Math.floor(counts[0] * 0.7) },
      portfolio: { starting_balance: 10000, ending_balance: 10000 * (1 + reward / 100), return_pct: reward, max_drawdown: rng.next() * 0.2, min_health_score: 60 + rng.next() * 30, final_health_score: 90 + rng.next() * 10 },
      reward_breakdown: { pnl_rewards: reward * 0.8, rejection_rewards: reward * 0.3, health_bonuses: 0.9, liquidation_penalties: -1 },
    };
    episodes.push({ runId: RUN_ID, episode: e, summary: { episode: e, reward, length: 100, timestep: e * 100, timestamp: detail.timestamp }, detailJson: JSON.stringify(detail) });
  }
  const updates: StoredUpdate[] = [];
  for (let u = 1; u <= UPDATES; u++) {
    updates.push({
      runId: RUN_ID, update: u, step: u * stepsPerUpdate, timestamp: t(u * 0.4), metrics: {
      'train/approx_kl': 0.01 * rng.next(), 'train/clip_fraction': 0.1 * rng.next(), 'train/entropy_loss': -1 + 0.3 * rng.next(), 'train/value_loss': 5 * rng.next(),
      'train/policy_gradient_loss': -0.01 * rng.next(), 'train/loss': rng.next(), 'train/explained_variance': rng.next(), 'train/learning_rate': 3e-4 * (1 - u / UPDATES),
      'train/clip_range': 0.2, 'train/n_updates': u * 4, 'train/epochs': 4, 'rollout/ep_rew_mean': u / 400, 'rollout/ep_len_mean': 100,
      'time/fps': 5000 + 100 * rng.next(), 'time/total_timesteps': u * stepsPerUpdate, 'time/iterations': u, 'time/time_elapsed': u * 0.4,
    } });
  }
  const evaluations: StoredEvaluation[] = [];
  for (let k = 1; k * hp.eval_freq <= hp.total_timesteps; k++) {
    evaluations.push({ runId: RUN_ID, step: k * hp.eval_freq, mean_reward: k / 40, std_reward: 1, min_reward: k / 40 - 2, max_reward: k / 40 + 2, num_episodes: 5, timestamp: t(k * 4) });
  }
  // genuine checkpoints of [128, 128] networks: periodic ones, the best and the final
  const trainer = await PpoTrainer.create({ hp, env: shellEnv(hp.n_envs), makeEvalEnv: shellEnv, sink: { episodes() {}, update() {}, evaluation() {}, checkpoint() {} } });
  const checkpoints: StoredCheckpoint[] = [];
  for (const [name, kind, step] of [['step_819200', 'periodic', 819_200], ['step_1638400', 'periodic', 1_638_400], ['step_2457600', 'periodic', 2_457_600], ['step_3276800', 'periodic', 3_276_800], ['best', 'best', 3_891_200], ['final', 'final', 4_096_000]] as const) {
    const c: PpoCheckpoint = { ...(await trainer.checkpoint(kind)), step };
    // Adam's moments as a trained run has them, not zeros
    for (const t of [...c.optimizer.m, ...c.optimizer.v]) t.values = Float32Array.from(t.values, () => Math.abs(rng.normal()) * 1e-3);
    checkpoints.push({ runId: RUN_ID, name, kind, step, timestamp: t(step / 5000), checkpoint: ppoEnvelope(c, { env: TRADE_APPROVAL.id, activation: 'tanh' }) });
  }
  trainer.dispose();
  const rewards = episodes.map((e) => e.summary.reward);
  const config: PpoRunConfig = {
    run_id: RUN_ID, created_at: t(0), completed_at: t(820), status: 'completed', algorithm: PPO.id as PpoRunConfig['algorithm'], ...hp, data_file: 'ETH_BTC-5m.parquet',
    final_metrics: { mean_reward: rewards.reduce((a, b) => a + b, 0) / rewards.length, final_100_mean: rewards.slice(-100).reduce((a, b) => a + b, 0) / 100, total_episodes: EPISODES, best_eval_mean_reward: 2.5, total_timesteps_done: hp.total_timesteps },
    name: 'benchmark run', tags: ['bench'], dataset_id: 'bench', dataset_name: 'ETH_BTC-5m', env: TRADE_APPROVAL.id, env_settings: { env: TRADE_APPROVAL.id, fee: 0.0006, starting_balance: 10000, eval_fraction: 0.2 },
    preset: null, backend: 'wasm', backend_requested: 'auto', backend_trials: [], error: null, progress_timesteps: hp.total_timesteps, updated_at: t(820),
  };
  const files = await runFiles({ config: config as never, episodes, evaluations, updates, checkpoints }, PPO.format, (c) => PPO_RUNTIME.modelFiles(c.checkpoint, config));
  return zipRun(files);
}

export async function run() {
  console.log(`building a run with ${EPISODES.toLocaleString()} episodes and ${UPDATES.toLocaleString()} updates…`);
  const dir = mkdtempSync(join(tmpdir(), 'rl-lab-bench-'));
  const zipPath = join(dir, `${RUN_ID}.zip`);
  writeFileSync(zipPath, await syntheticRun());
  console.log(`  source zip ${(statSync(zipPath).size / 1e6).toFixed(2)} MB`);
  execSync('npx vite build', { stdio: 'ignore' });
  const site = await serveDist();
  const browser = await launchChromium();
  const context = await browser.newContext({ acceptDownloads: true });
  const page = await context.newPage();
  await page.addInitScript(() => localStorage.setItem('rl-trading-lab:sample-offered', 'bench'));
  await page.goto(`${site.url}#/runs`);
  await page.waitForSelector('[data-testid=run-import]', { state: 'attached' });
  const t0 = Date.now();
  await page.setInputFiles('[data-testid=run-import]', zipPath);
  await page.waitForSelector(`tr[data-run="${RUN_ID}"]`, { timeout: 120_000 });
  console.log(`  imported in ${Date.now() - t0} ms`);

  const timeIt = async (action: () => Promise<unknown>, done: () => Promise<unknown>) => {
    const start = await page.evaluate(() => performance.now());
    await action();
    await done();
    return (await page.evaluate(() => performance.now())) - start;
  };
  const results = { openBrowser: [] as number[], openRun: [] as number[], exportMs: [] as number[], zipBytes: 0 };
  for (let r = 0; r < 3; r++) {
    await page.goto(`${site.url}#/data`);
    await page.waitForSelector('[data-testid=file-input]', { state: 'attached' });
    results.openBrowser.push(await timeIt(() => page.click('nav a[href="#/runs"]'), () => page.waitForSelector(`tr[data-run="${RUN_ID}"]`)));
    results.openRun.push(await timeIt(() => page.click(`tr[data-run="${RUN_ID}"] a`), async () => {
      await page.waitForSelector('[data-testid=run-detail][data-loaded="true"]');
      // every chart drawn with the run's data
      await page.waitForFunction(() => document.querySelectorAll('.charts-grid canvas').length === 11);
      await page.evaluate(() => new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(ok))));
    }));
    let download: import('playwright-core').Download | null = null;
    results.exportMs.push(await timeIt(() => page.click('button:text("Export zip")'), async () => {
      download = await page.waitForEvent('download', { timeout: 60_000 }).catch(async (e) => { throw new Error(`no download: ${await page.textContent('[role=alert]').catch(() => '')} ${e}`); });
    }));
    const saved = join(dir, `export-${r}.zip`);
    await download!.saveAs(saved);
    results.zipBytes = statSync(saved).size;
    console.log(`  run ${r + 1}: open browser ${results.openBrowser[r].toFixed(0)} ms, open run ${results.openRun[r].toFixed(0)} ms, export ${results.exportMs[r].toFixed(0)} ms, zip ${(results.zipBytes / 1e6).toFixed(2)} MB`);
  }
  await browser.close();
  await site.close();
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[1];
  return {
    bench: 'runs',
    episodes: EPISODES,
    updates: UPDATES,
    open_browser_ms: Math.round(median(results.openBrowser)),
    open_run_ms: Math.round(median(results.openRun)),
    export_ms: Math.round(median(results.exportMs)),
    zip_mb: +(results.zipBytes / 1e6).toFixed(2),
  };
}
