// The model registry in the built site: a PPO run trained on the sample, its best model registered
// as v1 of a new model and its final model as v2 (latest on v2, champion on v1), v2 promoted and
// champion rolled back, the champion's deletion refused, v2 deleted and brought back, both versions
// walked on one segment, v1 exported as a zip and imported into a fresh profile under a new name.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { onnxModelProblem } from '../../src/core/onnx/check';
import { useSiteInChromium } from './chromium';

const env = useSiteInChromium();
const dir = mkdtempSync(join(tmpdir(), 'registry-e2e-'));

async function register(page: Page, model: string, checkpoint: string, tags = '') {
  await page.click('[data-testid=register-model]');
  await page.waitForSelector('[data-testid=register-dialog][open]');
  await page.fill('[data-testid=register-name]', model);
  await page.selectOption('[data-testid=register-checkpoint]', checkpoint);
  if (tags) await page.fill('[data-testid=register-tags]', tags);
  await page.click('[data-testid=register-submit]');
  await page.waitForSelector('[data-testid=register-dialog]:not([open]), [data-testid=register-error]', { state: 'attached' });
  expect(await page.$('[data-testid=register-error]')).toBeNull();
  return (await page.textContent('[data-testid=registered]'))!.trim();
}

const aliases = (page: Page, version: number) => page.getAttribute(`[data-testid=model-versions] tr[data-version="${version}"]`, 'data-aliases');
const waitAliases = (page: Page, version: number, value: string) => page.waitForSelector(`[data-testid=model-versions] tr[data-version="${version}"][data-aliases="${value}"]`);

describe('Models section', () => {
  it('registers, promotes, rolls back, deletes with undo, compares, exports and imports model versions', async () => {
    const context = await env.browser.newContext({ acceptDownloads: true });
    const page = await context.newPage();
    page.on('pageerror', (e) => { throw e; });
    await page.goto(env.site.url);
    await page.waitForSelector('tr[data-name="ETH_BTC-5m"][data-rows="5760"]');

    // a tiny PPO run on the sample
    await page.goto(`${env.site.url}#/train?algo=PPO&env=position&backend=wasm&total_timesteps=2048&eval_freq=1024`);
    await page.waitForSelector('[data-testid=train-start]:not([disabled])');
    await page.click('[data-testid=train-start]');
    await page.waitForSelector('[data-testid=train-progress][data-status="completed"]', { timeout: 120_000 });
    const runId = (await page.textContent('[data-testid=train-run-link]'))!.replace('run ', '').trim();

    // its best model as v1 of a new model, its final model as v2
    await page.goto(`${env.site.url}#/runs/${runId}`);
    await page.waitForSelector('[data-testid=run-detail][data-loaded="true"]');
    expect(await register(page, 'eth-sizer', 'best', 'e2e, first')).toBe('Registered as eth-sizer v1.');
    expect(await register(page, 'eth-sizer', 'final')).toBe('Registered as eth-sizer v2.');

    await page.click('[data-testid=registered] a');
    await page.waitForSelector('[data-testid=model-detail][data-loaded="true"][data-count="2"]');
    // the first registration is champion; latest is the newest
    expect(await aliases(page, 1)).toBe('champion');
    expect(await aliases(page, 2)).toBe('latest');
    const row1 = (await page.textContent('[data-testid=model-versions] tr[data-version="1"]'))!.replace(/\s+/g, ' ');
    expect(row1).toContain(`best @`);
    expect(row1).toMatch(/ETH_BTC-5m, revision 1, 5,760 rows/);
    expect(row1).toContain('e2e');
    expect(await page.textContent('[data-testid=model-versions] tr[data-version="1"] [data-testid=version-test]')).toMatch(/^-?\d+\.\d\d \[-?\d+\.\d\d, -?\d+\.\d\d\]$/);
    expect(await page.textContent('[data-testid=model-lineage] li[data-version="1"]')).toMatch(new RegExp(`^ETH_BTC-5m, revision 1, 5,760 rows, training rows [\\d,]+–[\\d,]+ → run ${runId}, PPO on position, best checkpoint at step [\\d,]+ → eth-sizer v1$`));

    // promote v2, then roll champion back to v1
    await page.click('tr[data-version="2"] [data-testid=promote]');
    await waitAliases(page, 2, 'latest champion');
    expect(await aliases(page, 1)).toBe('');
    await page.click('[data-testid=rollback]');
    await waitAliases(page, 1, 'champion');
    await waitAliases(page, 2, 'latest');

    // the champion's version cannot go while another exists
    await page.click('tr[data-version="1"] [data-testid=delete-version]');
    expect(await page.textContent('[data-testid=model-error]')).toContain('v1 is the champion of "eth-sizer" and cannot be deleted while other versions exist');
    // v2 goes, and comes back with its alias
    await page.click('tr[data-version="2"] [data-testid=delete-version]');
    await page.click('dialog.confirm button.danger');
    await page.waitForSelector('[data-testid=model-detail][data-count="1"]');
    await waitAliases(page, 1, 'latest champion');
    await page.click('[data-testid=version-undo] button');
    await page.waitForSelector('[data-testid=model-detail][data-count="2"]');
    await waitAliases(page, 2, 'latest');
    await waitAliases(page, 1, 'champion');

    // both walked on v2's test segment, beside buy-and-hold and never trading
    await page.check('tr[data-version="1"] input[type=checkbox]');
    await page.check('tr[data-version="2"] input[type=checkbox]');
    await page.click('[data-testid=compare-versions]');
    await page.click('[data-testid=compare-run]');
    await page.waitForSelector('[data-testid=compare-table]', { timeout: 60_000 });
    const table = await page.$$eval('[data-testid=compare-table] tbody tr td:first-child', (tds) => tds.map((t) => t.textContent!.trim()));
    expect(table.slice(0, 2)).toEqual(['v1', 'v2']);
    expect(table).toContain('buy and hold');
    expect(table).toContain('hold (never trades)');
    expect(await page.textContent('[data-testid=compare-segment]')).toContain(`test segment of ETH_BTC-5m (revision 1; rows`);

    // v1 as a zip: the TensorFlow.js model, the ONNX model, the model card
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('tr[data-version="1"] [data-testid=export-version]')]);
    expect(download.suggestedFilename()).toBe('eth-sizer_v1.zip');
    const zipPath = join(dir, download.suggestedFilename());
    await download.saveAs(zipPath);
    const files = unzipSync(new Uint8Array(readFileSync(zipPath)));
    const names = Object.keys(files);
    for (const f of ['model.json', 'weights.bin', 'model.onnx', 'model_card.json', 'model_card.md', 'run/config.json', 'run/trainer_state.json']) expect(names).toContain(`eth-sizer_v1/${f}`);
    expect(onnxModelProblem(files['eth-sizer_v1/model.onnx'])).toBeNull();
    const card = JSON.parse(new TextDecoder().decode(files['eth-sizer_v1/model_card.json']));
    expect(card.inputs.tensor).toBe('observations');
    expect(card.outputs.tensor).toBe('action_probs');
    expect(card).toMatchObject({ model: 'eth-sizer', version: 1, aliases: ['champion'], source: { run_id: runId, checkpoint: 'best' }, dataset: { name: 'ETH_BTC-5m', revision: 1, rows: 5760 } });
    expect(card.inputs.slots).toHaveLength(card.io.obs_size);
    expect(card.metrics.test.net_pnl_pct.n).toBeGreaterThan(0);
    await context.close();

    // imported into a fresh profile under another name
    const fresh = await env.browser.newContext();
    const other = await fresh.newPage();
    other.on('pageerror', (e) => { throw e; });
    await other.goto(`${env.site.url}#/models`);
    await other.waitForSelector('[data-testid=models][data-loaded="true"]');
    await other.fill('[data-testid=model-import-into]', 'imported-sizer');
    await other.setInputFiles('[data-testid=model-import]', zipPath);
    expect(await (await other.waitForSelector('[data-testid=models-notice]')).textContent()).toContain('Imported eth-sizer_v1.zip as imported-sizer v1.');
    await other.click('tr[data-model="imported-sizer"] a');
    await other.waitForSelector('[data-testid=model-detail][data-loaded="true"][data-count="1"]');
    expect(await aliases(other, 1)).toBe('latest champion');
    expect(await other.textContent('tr[data-version="1"]')).toContain('imported from eth-sizer v1');
    await fresh.close();
  }, 180_000);
});
