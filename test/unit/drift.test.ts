// The drift statistics a retrain rule reads, against values worked out by hand and against numpy /
// scipy (the script is written out below; its printed values are pasted in).
import { describe, expect, it } from 'vitest';
import { binShares, decileEdges, driftFigure, kolmogorovSurvival, ksStatistic, ksTest, observationDrift, populationStabilityIndex, PSI_EPSILON } from '../../src/core/registry/drift';

// The samples the scipy figures were computed on:
//   import numpy as np; from scipy import stats
//   i = np.arange(400); ref = np.sin(i*1.7)*3 + (i%7)*0.1
//   j = np.arange(300); cur = np.cos(j*0.9)*3.5 + 0.8; cur2 = np.sin(j*1.3)*3 + 0.3
//   def psi(r, c, eps=1e-4):
//       edges = np.unique(np.percentile(r, [10,20,30,40,50,60,70,80,90]))
//       rb = np.bincount(np.searchsorted(edges, r, side='left'), minlength=len(edges)+1)/len(r)
//       cb = np.bincount(np.searchsorted(edges, c, side='left'), minlength=len(edges)+1)/len(c)
//       rb, cb = np.maximum(rb, eps), np.maximum(cb, eps)
//       return np.sum((cb-rb)*np.log(cb/rb))
//   d = stats.ks_2samp(ref, cur).statistic; en = 400*300/700; stats.kstwobign.sf(np.sqrt(en)*d)
const ref = Array.from({ length: 400 }, (_, i) => Math.sin(i * 1.7) * 3 + (i % 7) * 0.1);
const cur = Array.from({ length: 300 }, (_, j) => Math.cos(j * 0.9) * 3.5 + 0.8);
const cur2 = Array.from({ length: 300 }, (_, j) => Math.sin(j * 1.3) * 3 + 0.3);

describe('population stability index', () => {
  it('cuts bins at the reference deciles, numpy-style linear quantiles, repeated edges merged', () => {
    const oneToTen = Array.from({ length: 10 }, (_, i) => i + 1);
    // position q·(n−1): the 10 % decile of 1..10 lies 0.9 of the way from 1 to 2
    decileEdges(oneToTen).forEach((e, k) => expect(e).toBeCloseTo(1.9 + 0.9 * k, 12));
    expect(decileEdges([0, 0, 0, 0, 0, 1])).toEqual([0, 0.5]);
    // each bin is (edgeᵢ₋₁, edgeᵢ]: a value on an edge belongs to the bin below it
    expect(binShares([0, 0.5, 0.6, 2], [0.5, 1])).toEqual([0.5, 0.25, 0.25]);
  });

  it('is 0 for the same sample, and by hand for a sample piled into one decile (empty bins count as epsilon)', () => {
    const oneToTen = Array.from({ length: 10 }, (_, i) => i + 1);
    expect(populationStabilityIndex(oneToTen, oneToTen)).toBe(0);
    // every current value above the 90 % decile: nine bins 0.1 → ε and one 0.1 → 1
    const byHand = 9 * (PSI_EPSILON - 0.1) * Math.log(PSI_EPSILON / 0.1) + (1 - 0.1) * Math.log(1 / 0.1);
    expect(populationStabilityIndex(oneToTen, new Array(10).fill(10))).toBeCloseTo(byHand, 12);
  });

  it('matches numpy on a shifted sample, a slightly shifted one, and a constant feature that starts moving', () => {
    expect(populationStabilityIndex(ref, cur)).toBeCloseTo(0.36444218991525557, 12);
    expect(populationStabilityIndex(ref, cur2)).toBeCloseTo(0.016302637804236235, 12);
    // np.zeros(50) against 40 zeros and 10 ones: one edge (0), two bins
    expect(populationStabilityIndex(new Array(50).fill(0), [...new Array(40).fill(0), ...new Array(10).fill(1)])).toBeCloseTo(1.5640491119253044, 12);
  });

  it('leaves out non-finite values and is NaN for an empty sample', () => {
    expect(populationStabilityIndex([...ref, NaN, Infinity], cur)).toBeCloseTo(0.36444218991525557, 12);
    expect(populationStabilityIndex([], cur)).toBeNaN();
  });
});

describe('Kolmogorov–Smirnov', () => {
  it('finds D by hand, ties included', () => {
    expect(ksStatistic([1, 2, 3, 4], [3, 4, 5, 6])).toBe(0.5);
    // at 1: 2/3 of the first sample against 1/3 of the second
    expect(ksStatistic([1, 1, 2], [1, 2, 2])).toBeCloseTo(1 / 3, 15);
    expect(ksStatistic([1, 2, 3], [1, 2, 3])).toBe(0);
    expect(ksStatistic([1, 2], [5, 6])).toBe(1);
  });

  it("Kolmogorov's survival function matches scipy.stats.kstwobign.sf on both sides of the series switch", () => {
    const scipy: [number, number][] = [[0.3, 0.9999906941986655], [0.8, 0.5441424115741981], [1.0, 0.26999967167735456], [1.18, 0.1234538094297657], [1.5, 0.022217962616525127], [2.5, 7.453306344157342e-06]];
    for (const [lambda, p] of scipy) expect(kolmogorovSurvival(lambda)).toBeCloseTo(p, 12);
    expect(kolmogorovSurvival(0)).toBe(1);
  });

  it('matches scipy on the samples: D and the asymptotic p-value', () => {
    const far = ksTest(ref, cur);
    expect(far.statistic).toBeCloseTo(0.2275, 12);
    expect(far.pValue / 3.930740869444638e-08).toBeCloseTo(1, 9);
    const near = ksTest(ref, cur2);
    expect(near.statistic).toBeCloseTo(0.0525, 12);
    expect(near.pValue).toBeCloseTo(0.7321181235737064, 10);
    expect([near.n, near.m]).toEqual([400, 300]);
  });
});

describe('drift over observation features', () => {
  it('reports each feature, the largest and mean PSI, and the smallest KS p-value, as the retrain rule reads them', () => {
    // rows of three features: one drifts, one does not, one is constant and stays so
    const width = 3;
    const rows = (a: number[], b: number[]) => {
      const out = new Float64Array(a.length * width);
      a.forEach((x, i) => { out[i * width] = x; out[i * width + 1] = b[i]; out[i * width + 2] = 7; });
      return out;
    };
    const reference = rows(ref.slice(0, 300), ref.slice(100, 400));
    const current = rows(cur, ref.slice(100, 400));
    const report = observationDrift(reference, current, width, ['close_return', 'rsi']);
    expect(report.features.map((f) => f.name)).toEqual(['close_return', 'rsi', 'obs_2']);
    expect(report.features[1].psi).toBe(0);
    expect(report.features[1].ksPValue).toBe(1);
    expect(report.features[2].psi).toBe(0);
    expect(report.features[0].psi).toBeCloseTo(populationStabilityIndex(ref.slice(0, 300), cur), 12);
    expect(report.maxPsi).toBe(report.features[0].psi);
    expect(report.meanPsi).toBeCloseTo(report.features[0].psi / 3, 12);
    expect(report.maxPsiFeature).toBe('close_return');
    expect(report.minKsFeature).toBe('close_return');
    expect([report.referenceRows, report.currentRows]).toEqual([300, 300]);

    expect(driftFigure(report, 'psi', 0.25)).toEqual({ test: 'psi', value: report.maxPsi, threshold: 0.25, feature: 'close_return', drifted: true });
    const ks = driftFigure(report, 'ks', 0.05);
    expect(ks.drifted).toBe(true);
    expect(ks.value).toBeLessThan(1e-6);
    // no drift: the same rows again
    expect(driftFigure(observationDrift(reference, reference, width), 'psi', 0.25).drifted).toBe(false);
    expect(driftFigure(observationDrift(reference, reference, width), 'ks', 0.05).drifted).toBe(false);
  });
});
