// GRPO in the built site: chosen on the Train view, trained on the position environment over the
// ETH/BTC sample, its run page (TRL's metrics charted, the test verdict beside buy-and-hold),
// exported and imported into a fresh profile, and compared with a PPO run of the same steps.
import { readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { useSiteInChromium } from './chromium';

const env = useSiteInChromium();
const dir = mkdtempSync(join(tmpdir(), 'grpo-e2e-'));

async function train(page: Page, query: string): Promise<string> {
  await page.goto(`${env.site.url}#/train?${query}`);
  await page.waitForSelector('[data-testid=train-start]:not([disabled])');
  await page.click('[data-testid=train-start]');
  await page.waitForSelector('[data-testid=train-progress][data-status="completed"]', { timeout: 180_000 });
  return (await page.textContent('[data-testid=train-run-link]'))!.replace('run ', '').trim();
}

describe('GRPO in the page', () => {
  it('trains on the position environment, shows its metrics and verdict, round-trips a zip and compares with PPO', async () => {
    const context = await env.browser.newContext({ acceptDownloads: true });
    const page = await context.newPage();
    page.on('pageerror', (e) => { throw e; });
    await page.goto(env.site.url);
    await page.waitForSelector('tr[data-name="ETH_BTC-5m"][data-rows="5760"]');

    // the form offers GRPO's own settings, and no value network's
    await page.goto(`${env.site.url}#/train?algo=GRPO&env=position`);
    await page.waitForSelector('[data-testid=train-start]:not([disabled])');
    expect(await page.$('select[data-field="scorer"]')).not.toBeNull();
    await page.click('summary:text("GRPO hyperparameters")');
    for (const key of ['num_windows', 'group_size', 'epsilon_high', 'beta']) expect(await page.$(`[data-field="${key}"]`), key).not.toBeNull();
    expect(await page.$('[data-field="vf_coef"]')).toBeNull();

    const grpo = await train(page, 'algo=GRPO&env=position&backend=wasm&total_timesteps=6144&eval_freq=3072');
    const ppo = await train(page, 'algo=PPO&env=position&backend=wasm&total_timesteps=6144&eval_freq=3072');

    await page.goto(`${env.site.url}#/runs/${grpo}`);
    await page.waitForSelector('[data-testid=run-detail][data-loaded="true"]');
    const text = (await page.textContent('[data-testid=run-detail]'))!.replace(/\s+/g, ' ');
    expect(text).toContain('GRPO on');
    expect(text).toMatch(/best model net P&L -?\d+\.\d{3} % per window \(95 % -?\d+\.\d{3} to -?\d+\.\d{3}\) · buy and hold -?\d+\.\d{3} %/);
    for (const title of ['Clip ratios', 'Entropy and KL to the reference', 'frac_reward_zero_std']) await page.waitForSelector(`figcaption:has-text("${title}")`);
    expect(await page.textContent('[data-testid=verdict]')).toMatch(/^(The policy|Beats)/);
    // seed 004's windows: each group's 8 members faced one window
    expect(await page.getAttribute('[data-testid=windows-verdict]', 'data-ready')).toBe('true');
    expect(await page.textContent('[data-testid=windows-verdict]')).toMatch(/^ready: \d+ windows? holds? trajectories of at least 5 agents$/);
    const firstWindow = await page.$$eval('[data-testid=windows-table] tbody tr:first-child td', (t) => t.map((x) => x.textContent!.trim()));
    expect(firstWindow[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:00$/);
    expect(Number(firstWindow[1])).toBeGreaterThanOrEqual(8);
    expect(firstWindow[4]).toMatch(new RegExp(`^${grpo}/member_\\d \\([+-]\\d+\\.\\d{3} %\\)$`));
    await page.fill('[data-testid=windows-min-agents]', '100');
    await page.waitForSelector('[data-testid=windows-verdict][data-ready="false"]');

    // exported, then imported into a fresh profile
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('button:text("Export zip")')]);
    const zip = join(dir, download.suggestedFilename());
    await download.saveAs(zip);
    const files = Object.keys(unzipSync(new Uint8Array(readFileSync(zip))));
    for (const f of ['config.json', 'train_metrics.jsonl', 'detailed_episodes.jsonl', 'trajectories.jsonl', 'test_evaluation.json', 'checkpoints/final_model/model.json']) expect(files).toContain(`${grpo}/${f}`);
    const config = JSON.parse(new TextDecoder().decode(unzipSync(new Uint8Array(readFileSync(zip)))[`${grpo}/config.json`]));
    expect(config).toMatchObject({ algorithm: 'GRPO', num_windows: 8, group_size: 8, n_envs: 64, n_steps: 24, scorer: 'net_pnl' });

    const fresh = await env.browser.newContext();
    const other = await fresh.newPage();
    await other.goto(`${env.site.url}#/runs`);
    await other.waitForSelector('[data-testid=run-import]', { state: 'attached' });
    await other.setInputFiles('[data-testid=run-import]', zip);
    await other.waitForSelector(`[data-testid=run-list] tbody tr[data-run="${grpo}"]`);
    expect(await other.textContent(`tr[data-run="${grpo}"]`)).toContain('GRPO');
    await fresh.close();

    // beside the PPO run of the same steps
    await page.goto(`${env.site.url}#/runs`);
    for (const id of [grpo, ppo]) await page.check(`tr[data-run="${id}"] input[type=checkbox]`);
    await page.click('[data-testid=compare]');
    await page.waitForSelector('[data-testid=config-diff]');
    expect(await page.textContent('[data-testid=config-diff]')).toContain('algorithm');
    // the episode reward both algorithms report, drawn for both runs on one chart
    const reward = page.locator('figure:has(figcaption:text-is("rollout/ep_rew_mean"))');
    await reward.locator('canvas').waitFor();
    expect(await reward.locator('.u-legend').textContent()).toMatch(new RegExp(`${grpo}.*${ppo}`));
    await context.close();
  });
});
