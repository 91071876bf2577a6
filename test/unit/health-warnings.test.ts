import { describe, expect, it } from 'vitest';
import {
  ENTROPY_GOOD_BAND, ENTROPY_LOW_BAND, EV_ZERO_BAND, HEALTH_THRESHOLDS as H, inBand, KL_GOOD_BAND, KL_HIGH_BAND, KL_TINY_BAND, PPO_CHARTS, ppoHealth,
} from '../../src/algos/ppo/health';
import { grpoHealth } from '../../src/algos/grpo/health';
import { replayWarnings, runWarnings, WarningLog } from '../../src/core/run/warnings';
import type { EvaluationRecord, UpdateRecord } from '../../src/core/run/contracts';

const upd = (update: number, m: { entropy?: number; kl?: number; ev?: number; vl?: number }): UpdateRecord => ({
  update, step: update * 2048, timestamp: '',
  metrics: { 'train/entropy_loss': -(m.entropy ?? 1), 'train/approx_kl': m.kl ?? 0.01, 'train/explained_variance': m.ev ?? 0.5, 'train/value_loss': m.vl ?? 1 },
});
const keys = (ws: { key: string }[]) => ws.map((w) => w.key).sort();

/** The default sample run's figures (PPO, ETH/BTC 5 m, 50 000 steps): KL ≤ 0.0025, explained variance −0.12…+0.05, entropy 1.10 → 0.62. */
const defaultRun = Array.from({ length: 25 }, (_, i) => upd(i + 1, { entropy: 1.0986 - 0.019 * i, kl: [0.0004, 0.0013, 0.0025, 0.0009, 0.0003, 0][i % 6], ev: [-0.017, 0.011, -0.052, -0.12, -0.056, 0.053][i % 6] }));
const hold = (step: number): EvaluationRecord => ({
  step, mean_reward: 0.954, std_reward: 1.3, min_reward: 0, max_reward: 2, num_episodes: 3, timestamp: '',
  net_pnl_pct: { mean: 0.9541, low: -3.08, high: 4.99 },
  baselines: { buy_and_hold: { net_pnl_pct: { mean: 0.9541, low: -3.08, high: 4.99 }, total_net_pnl_pct: 2.9 }, fixed: {}, random: { frequency: 0.0036, seeds: 50, net_pnl_pct: { p5: -1.348, p50: -0.423, p95: 0.632 }, reward: { p5: -1.348, p50: -0.423, p95: 0.632 } } },
} as EvaluationRecord);

describe('PPO health bands and warnings agree at their boundaries', () => {
  it('no value is both good and warning', () => {
    for (const chart of PPO_CHARTS) {
      const bands = chart.bands ?? [];
      for (let i = 0; i < bands.length; i++) for (let j = i + 1; j < bands.length; j++) {
        expect(bands[i].to <= bands[j].from || bands[j].to <= bands[i].from, `${chart.title}: bands ${i} and ${j} overlap`).toBe(true);
      }
    }
    expect(ENTROPY_LOW_BAND.to).toBeLessThanOrEqual(ENTROPY_GOOD_BAND.from);
    expect(KL_TINY_BAND.to).toBe(KL_GOOD_BAND.from);
    expect(KL_GOOD_BAND.to).toBeLessThanOrEqual(KL_HIGH_BAND.from);
  });

  it('entropy warns exactly inside its warning band: at 0.5 not, just below it does', () => {
    const at = (entropy: number) => keys(ppoHealth({ updates: [upd(1, { entropy })] }));
    expect(at(H.entropyLow)).not.toContain('entropy_low');
    expect(inBand(H.entropyLow, ENTROPY_LOW_BAND)).toBe(false);
    expect(at(H.entropyLow - 1e-9)).toContain('entropy_low');
    expect(at(ENTROPY_GOOD_BAND.from)).not.toContain('entropy_low');
  });

  it('KL warns from 0.1 (the warning band includes its edge), not at the good band\'s top', () => {
    const at = (kl: number) => keys(ppoHealth({ updates: [upd(1, { kl })] }));
    expect(at(H.klHigh)).toContain('kl_high');
    expect(inBand(H.klHigh, KL_HIGH_BAND)).toBe(true);
    expect(at(H.klHigh - 1e-9)).not.toContain('kl_high');
    expect(at(H.klGood)).not.toContain('kl_high');
  });

  it('several warnings show at once, and NaN is divergence alone', () => {
    const ups = [upd(1, { vl: 1 }), upd(2, { vl: 1 }), upd(3, { vl: 1 }), upd(4, { vl: 1 }), upd(5, { entropy: 0.2, kl: 0.3, vl: 50 })];
    expect(keys(ppoHealth({ updates: ups }))).toEqual(['entropy_low', 'kl_high', 'value_loss_exploding']);
    expect(keys(ppoHealth({ updates: [upd(1, { kl: NaN })] }))).toEqual(['diverged']);
  });
});

describe('a run that learns nothing', () => {
  it('fires on the default sample run\'s figures (evaluation = buy-and-hold), from update 10', () => {
    const evals = [hold(10240), hold(20480)];
    const found = ppoHealth({ updates: defaultRun, evaluations: evals });
    expect(keys(found)).toContain('learns_nothing');
    expect(found.find((w) => w.key === 'learns_nothing')!.text).toMatch(/buy-and-hold/);
    expect(keys(ppoHealth({ updates: defaultRun.slice(0, H.judgeFrom - 1), evaluations: evals }))).not.toContain('learns_nothing');
  });

  it('fires when the action mix stays uniform even without evaluations', () => {
    const flat = Array.from({ length: 12 }, (_, i) => upd(i + 1, { entropy: 1.0986 - 0.001 * i, kl: 0.0002, ev: 0.01 }));
    expect(keys(ppoHealth({ updates: flat }))).toContain('learns_nothing');
  });

  it('stays quiet when the policy moves (KL in the good band) or the critic learns', () => {
    const moving = defaultRun.map((u) => upd(u.update, { entropy: -u.metrics['train/entropy_loss']!, kl: 0.01, ev: u.metrics['train/explained_variance']! }));
    expect(keys(ppoHealth({ updates: moving, evaluations: [hold(10240)] }))).not.toContain('learns_nothing');
    const critic = defaultRun.map((u) => upd(u.update, { entropy: -u.metrics['train/entropy_loss']!, kl: 0.0001, ev: 0.6 }));
    expect(keys(ppoHealth({ updates: critic, evaluations: [hold(10240)] }))).not.toContain('learns_nothing');
    // an evaluation better than every baseline and outside the random band is learning something
    const better = { ...hold(10240), net_pnl_pct: { mean: 3, low: 1, high: 5 } } as EvaluationRecord;
    expect(keys(ppoHealth({ updates: defaultRun.map((u) => upd(u.update, { entropy: 0.6, kl: 0.0001, ev: 0 })), evaluations: [better] }))).not.toContain('learns_nothing');
  });

  it('its KL and explained-variance thresholds are bands on the charts', () => {
    expect(inBand(0.0025, KL_TINY_BAND)).toBe(true);
    expect(inBand(H.klTiny, KL_TINY_BAND)).toBe(false);
    expect(inBand(-0.12, EV_ZERO_BAND)).toBe(true);
  });
});

describe('a run started from a behavior-cloning policy', () => {
  const confident = Array.from({ length: 12 }, (_, i) => upd(i + 1, { entropy: 0.25 - 0.002 * i, kl: 0.01 }));
  it('is not warned for being confident at the start', () => {
    expect(keys(ppoHealth({ updates: confident, startedFromPolicy: true }))).not.toContain('entropy_low');
    expect(keys(ppoHealth({ updates: confident }))).toContain('entropy_low');
  });
  it('is warned once its entropy falls below half of where it started', () => {
    const collapsing = [...confident, upd(13, { entropy: 0.1, kl: 0.01 })];
    expect(keys(ppoHealth({ updates: collapsing, startedFromPolicy: true }))).toContain('entropy_low');
  });
  it('GRPO judges the same way', () => {
    const g = (entropy: number, update: number): UpdateRecord => ({ update, step: update, timestamp: '', metrics: { entropy, loss: 0, kl: 0 } });
    expect(grpoHealth({ updates: [g(0.04, 1), g(0.035, 2)], startedFromPolicy: true })).toEqual([]);
    expect(keys(grpoHealth({ updates: [g(0.04, 1), g(0.035, 2)] }))).toEqual(['entropy_low']);
    expect(keys(grpoHealth({ updates: [g(0.04, 1), g(0.01, 2)], startedFromPolicy: true }))).toEqual(['entropy_low']);
  });
});

describe('warnings that stay', () => {
  it('keeps each kind once, at the update where it first fired', () => {
    const log = new WarningLog();
    expect(log.note(3, [{ key: 'a', text: 'A' }])).toHaveLength(1);
    expect(log.note(4, [{ key: 'a', text: 'A again' }, { key: 'b', text: 'B' }])).toEqual([{ update: 4, key: 'b', text: 'B' }]);
    expect(log.warnings).toEqual([{ update: 3, key: 'a', text: 'A' }, { update: 4, key: 'b', text: 'B' }]);
  });

  it('replays a stored run: a warning that came and went is kept at its first update', () => {
    const ups = [upd(1, {}), upd(2, { kl: 0.2 }), upd(3, {}), upd(4, { entropy: 0.3 }), upd(5, { kl: 0.3, entropy: 0.3 })];
    expect(replayWarnings(ppoHealth, ups).map((w) => [w.update, w.key])).toEqual([[2, 'kl_high'], [4, 'entropy_low']]);
  });

  it('replays the default run with its evaluations: learns_nothing at update 10', () => {
    const evals = [hold(10240), hold(20480), hold(30720)];
    const w = replayWarnings(ppoHealth, defaultRun, evals);
    expect(w.find((x) => x.key === 'learns_nothing')?.update).toBe(H.judgeFrom);
    expect(w.find((x) => x.key === 'entropy_low')).toBeUndefined();
  });

  it('a run that kept its warnings is read as kept, an older one replayed', () => {
    const kept = [{ update: 7, key: 'kl_high', text: 'x' }];
    expect(runWarnings(kept, ppoHealth, [upd(1, { kl: 0.5 })])).toEqual({ warnings: kept, replayed: false });
    expect(runWarnings(undefined, ppoHealth, [upd(1, { kl: 0.5 })]).warnings.map((w) => w.key)).toEqual(['kl_high']);
    expect(runWarnings(undefined, undefined, [upd(1, { kl: 0.5 })])).toEqual({ warnings: [], replayed: true });
  });
});
