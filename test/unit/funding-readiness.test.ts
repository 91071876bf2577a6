// The funding-arbitrage readiness report: data, environment, network, a short training and the
// trained policy beside a random masked policy and holding, with a verdict that does not call a
// policy ready because it has a mean ± std.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildDataset } from '../../src/core/data/dataset';
import type { FundingHistory } from '../../src/core/funding/history';
import { buildOpportunities, OPPORTUNITY_MAPPING, type PriceCandles } from '../../src/core/funding/opportunities';
import { datasetSource } from '../../src/core/env/candles';
import { Rng } from '../../src/core/rng';
import { fundingReadiness } from '../../src/services/fundingReadiness';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function opportunities(hours: number) {
  const H = 3_600_000, T0 = Date.UTC(2024, 0, 1), rng = new Rng(4);
  const time = Float64Array.from({ length: hours }, (_, h) => T0 + h * H);
  const open = Float64Array.from({ length: hours }, (_, h) => 100 * Math.exp(0.001 * h));
  const prices = new Map<string, PriceCandles>([['BTC-USDT', { time, open, close: open, volume: new Float64Array(hours).fill(3), source: 'btc' }]]);
  const histories: FundingHistory[] = ['a', 'b', 'c'].map((venue, k) => ({
    venue, symbol: 'BTC-USDT', intervalHours: 8, intervalFrom: 'spacing',
    times: Float64Array.from({ length: hours / 8 }, (_, i) => T0 + i * 8 * H), rates: Float64Array.from({ length: hours / 8 }, () => 0.0001 * k + 0.00005 * rng.normal()), source: venue,
  }));
  return buildDataset(buildOpportunities(histories, prices).table, OPPORTUNITY_MAPPING, { fileName: 'opps.csv', format: 'csv', size: 0, sha256: '' });
}

describe('funding readiness report', () => {
  it('checks data, masks and network, trains briefly and sets the policy beside random and holding', async () => {
    const parts: string[] = [];
    const report = await fundingReadiness(datasetSource(opportunities(1600)), { trainSteps: 2048, netArch: [16, 16], maskSteps: 2000, onProgress: (p) => { if (parts.at(-1) !== p.part) parts.push(p.part); } });
    expect(parts).toEqual(['data', 'masks', 'short training', 'inference test', 'done']);
    expect(report.stopped).toBe(false);
    expect(report.ready).toBe(true);
    const md = report.markdown;
    expect(md).toContain('| venues | a, b, c |');
    expect(md).toMatch(/\| masks \| valid at all 2,000 random masked steps/);
    // 275 → 16 → 16 → 36 and → 1
    expect(md).toContain(`${(275 * 16 + 16 + 16 * 16 + 16 + 16 * 36 + 36 + 275 * 16 + 16 + 16 * 16 + 16 + 16 + 1).toLocaleString('en-US')} parameters`);
    expect(md).toMatch(/\| trained policy \(greedy\) \| -?\d+\.\d{3} ± \d+\.\d{3} \|/);
    expect(md).toMatch(/\| random masked policy \|/);
    expect(md).toMatch(/\| hold only \| 0\.000 ± 0\.000 \|/);
    expect(md).toMatch(/## Verdict\n\n\*\*The data, the environment and the network are ready to train on\.\*\*\n\nThe short training's policy (beats|\*\*cannot be told apart\*\*|is \*\*worse\*\*)/);
  });

  it('stops when asked, says where, and judges nothing', async () => {
    let updates = 0;
    const report = await fundingReadiness(datasetSource(opportunities(1600)), { trainSteps: 8192, netArch: [8], maskSteps: 200, onProgress: (p) => { if (p.part === 'short training') updates++; }, stopRequested: () => updates >= 2 });
    expect(report.stopped).toBe(true);
    expect(report.ready).toBe(false);
    expect(report.markdown).toContain('The check was stopped during the short training');
    expect(report.markdown).not.toContain('## Verdict');
  });
});
