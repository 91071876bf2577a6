// The markdown report writes every string a person supplied (run name, tags, data file, error,
// config values, section text) literally: no HTML, no links, no images form from them.
import { describe, expect, it } from 'vitest';
import type { StoredRun } from '../../src/core/run/contracts';
import { mdText, reportMarkdown } from '../../src/core/run/report';

const HOSTILE = ['<img src=x onerror=alert(1)>', '[click me](javascript:alert(1))', '![pixel](https://tracker.example/p.png)', '<script>fetch("//evil")</script>', '`code` *bold* | cell', 'line\nbreak'];

/** Markdown constructs that would render as something other than the characters written. */
function constructs(markdown: string): string[] {
  const found: string[] = [];
  if (/<[A-Za-z!/]/.test(markdown)) found.push('HTML tag');
  if (/(?<!\\)\[[^\]\n]*(?<!\\)\]\(/.test(markdown)) found.push('link or image');
  if (/(?<!\\)`/.test(markdown)) found.push('code span');
  return found;
}

describe('markdown report escaping', () => {
  it('mdText leaves plain words and numbers alone', () => {
    expect(mdText('net_pnl_pct 1.23 % over 2,000 bars')).toBe('net_pnl_pct 1.23 % over 2,000 bars');
    expect(mdText('<b>')).toBe('&lt;b&gt;');
    expect(mdText('[x](javascript:y)')).toBe('\\[x\\](javascript:y)');
  });

  it('names, tags, data file, error, settings and section text reach the file literally', () => {
    const config = {
      run_id: 'run_20250101_000000',
      name: HOSTILE[0],
      tags: HOSTILE,
      data_file: HOSTILE[2],
      backend: 'cpu',
      status: 'failed',
      error: HOSTILE[3],
      algorithm: 'PPO',
      notes: HOSTILE[1],
      final_metrics: { [HOSTILE[4]]: 1 },
    } as unknown as StoredRun;
    const markdown = reportMarkdown({
      config,
      description: `PPO on ${HOSTILE[1]}`,
      sections: [
        { kind: 'warnings', items: [HOSTILE[3]] },
        { kind: 'text', title: HOSTILE[0], parts: [HOSTILE[1], { strong: HOSTILE[2] }] },
        { kind: 'table', title: HOSTILE[5], note: HOSTILE[4], head: ['policy', HOSTILE[0]], rows: [[{ text: HOSTILE[1], strong: true }, HOSTILE[2]]] },
      ],
      omit: [],
      charts: [{ title: HOSTILE[1], png: 'data:image/png;base64,AAAA' }, { title: 'remote', png: 'https://tracker.example/chart.png' }],
    });
    // what remains is the lab's own markup: one image, the chart it drew
    const own = markdown.replace(/^!\[[^\n]*\]\(data:image\/png;base64,AAAA\)$/m, '');
    expect(constructs(own)).toEqual([]);
    expect(markdown).not.toContain('tracker.example/chart.png');
    expect(markdown).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(markdown).toContain('\\[click me\\](javascript:alert(1))');
    // a line break in a name does not end the heading or a table row
    expect(markdown).toContain('line break');
  });
});
