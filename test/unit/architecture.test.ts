// The dependency direction the folders promise, read off the import lines: the core (data,
// features, environments, run records, shared contracts) imports nothing from the algorithms, the
// services, the store, the page or the UI; the store, nothing from the algorithms, services, page
// or UI. And nothing outside an environment's or an algorithm's own module (and the registries)
// names one.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALGORITHMS } from '../../src/algos/registry';
import { ENVIRONMENTS } from '../../src/core/env/registry';

const SRC = resolve(__dirname, '../../src');

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : /\.(ts|svelte)$/.test(name) ? [path] : [];
  });
}

/** Every module a file imports (static and dynamic), resolved to a path under src/ where it is one. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g)].map((m) => m[1] ?? m[2] ?? m[3]);
  return specifiers.map((s) => (s.startsWith('.') ? relative(SRC, resolve(file, '..', s)) : s));
}

const RULES: { layer: string; forbidden: string[] }[] = [
  { layer: 'core', forbidden: ['algos', 'services', 'store', 'ui', 'app', 'cli'] },
  { layer: 'store', forbidden: ['algos', 'services', 'ui', 'app', 'cli'] },
];

describe('the architecture', () => {
  for (const { layer, forbidden } of RULES) {
    it(`src/${layer} imports nothing from ${forbidden.map((f) => `src/${f}`).join(', ')}`, () => {
      const bad: string[] = [];
      for (const file of filesUnder(join(SRC, layer))) {
        for (const target of importsOf(file)) {
          if (forbidden.some((f) => target === f || target.startsWith(`${f}/`))) bad.push(`${relative(SRC, file)} imports ${target}`);
        }
      }
      expect(bad).toEqual([]);
    });
  }

  it('the import reader sees every kind of import line (so the rules above can fail)', () => {
    const probe = join(SRC, 'core/run/contracts.ts');
    expect(importsOf(probe)).toEqual(['core/normalizer']);
  });

  it('names an environment or an algorithm only in its own module and the registries', () => {
    // the frozen upgrade of schema versions 2 and 3 names the two algorithms those versions had;
    // the 34-feature state's slot 'position' is the portfolio's position, not the environment
    const allowed = [/^core\/env\/registry\.ts$/, /^algos\/registry\.ts$/, /^store\/migrations\.ts$/, /^core\/features\/layout\.ts$/];
    const owners: { literal: RegExp; module: RegExp; what: string }[] = [
      ...ENVIRONMENTS.map((e) => ({ literal: new RegExp(`['"\`]${e.id}['"\`]`), module: new RegExp(`^core/env/${e.id.replace(/-(\w)/g, (_, c: string) => c.toUpperCase())}/`), what: e.id })),
      ...ALGORITHMS.map((a) => ({ literal: new RegExp(`['"\`]${a.id}['"\`]`), module: new RegExp(`^algos/${a.id.toLowerCase()}/`), what: a.id })),
    ];
    const bad: string[] = [];
    for (const file of filesUnder(SRC)) {
      const rel = relative(SRC, file);
      if (allowed.some((a) => a.test(rel))) continue;
      const text = readFileSync(file, 'utf8').split('\n').filter((l) => !/^\s*(\/\/|\*|\/\*)/.test(l)).join('\n');
      for (const o of owners) if (!o.module.test(rel) && o.literal.test(text)) bad.push(`${rel} names ${o.what}`);
    }
    expect(bad).toEqual([]);
  });
});
