// The trend: a row's sizes in the reports the base branch's last commits stored (report/trend.ts),
// and the chart the comment draws of them (render-sections.ts trendSection), head last.
import { describe, expect, it } from '@jest/globals';
import type { JudgedRow, Outcome } from '../../src/model.js';
import { renderComment } from '../../src/report/render.js';
import { TREND_CHARTS_MAX, trendSection } from '../../src/report/render-sections.js';
import { rowHistory, withHistory, type StoredReport } from '../../src/report/trend.js';
import { smallOutcome } from '../support/outcomes.js';
import { makeReport } from '../support/reports.js';

const sha = (n: number): string => n.toString(16).padStart(2, '0').repeat(20);
const HEAD = 'f00dfeed'.repeat(5);

/** Reports newest first, as baseline/trend.ts gives them: commit n measured `release` at sizes[n]. */
function stored(sizes: ReadonlyArray<number | undefined>, extra: { image?: string; platform?: string } = {}): StoredReport[] {
  return sizes
    .map((size, n) => ({ n, size }))
    .filter((x): x is { n: number; size: number } => x.size !== undefined)
    .map(({ n, size }) => ({
      sha: sha(n),
      report: makeReport({ rows: [{ target: 'release', head: size, ...(extra.platform ? { platform: extra.platform } : {}) }, { target: 'debug', head: 5_000 }], headSha: sha(n), event: 'push', ...(extra.image ? { image: extra.image } : {}) })
    }));
}

describe('rowHistory', () => {
  it('the sizes of the same target and platform, oldest first, skipping commits that did not measure it', () => {
    const history = rowHistory(stored([3_000, undefined, 2_000, 1_000]), { target: 'release', platform: 'linux/amd64' }, undefined);
    expect(history).toEqual([
      { sha: sha(3), compressedBytes: 1_000, uncompressedBytes: 3_000, method: 'oci-layout' },
      { sha: sha(2), compressedBytes: 2_000, uncompressedBytes: 6_000, method: 'oci-layout' },
      { sha: sha(0), compressedBytes: 3_000, uncompressedBytes: 9_000, method: 'oci-layout' }
    ]);
  });

  it('another platform, another target or another image is not the same row', () => {
    expect(rowHistory(stored([1_000], { platform: 'linux/arm64' }), { target: 'release', platform: 'linux/amd64' }, undefined)).toEqual([]);
    expect(rowHistory(stored([1_000]), { target: 'tools', platform: 'linux/amd64' }, undefined)).toEqual([]);
    expect(rowHistory(stored([1_000], { image: 'web' }), { target: 'release', platform: 'linux/amd64' }, 'api')).toEqual([]);
    expect(rowHistory(stored([1_000], { image: 'api' }), { target: 'release', platform: 'linux/amd64' }, 'api')).toHaveLength(1);
  });

  it('a failed head in a stored report gives no point', () => {
    const failed: StoredReport[] = [{ sha: sha(1), report: makeReport({ rows: [{ target: 'release', head: 'ERROR: boom' }], headSha: sha(1), event: 'push' }) }];
    expect(rowHistory(failed, { target: 'release', platform: 'linux/amd64' }, undefined)).toEqual([]);
  });

  it('withHistory adds it to the rows that have one, and leaves the others as they are', () => {
    const outcome = smallOutcome([['release', 1_000, 1_500], ['tools', 10, 10]]);
    const rows = withHistory(outcome.rows, stored([1_000, 900]), undefined);
    expect(rows[0]!.history?.map((h) => h.compressedBytes)).toEqual([900, 1_000]);
    expect(rows[1]).toBe(outcome.rows[1]);
    expect(withHistory(outcome.rows, [], undefined)).toEqual(outcome.rows);
  });
});

function outcomeWith(history: StoredReport[], sizes: ReadonlyArray<readonly [string, number, number]> = [['release', 1_000_000, 1_500_000]], max?: number): Outcome {
  const o = smallOutcome(sizes, { head: { sha: HEAD }, ...(max !== undefined ? { maxIncreasePercent: max } : {}) });
  return { ...o, rows: withHistory(o.rows, history, undefined) };
}

describe('the trend chart', () => {
  it('a line per target: the earlier commits by short SHA, oldest first, then this head', () => {
    const section = trendSection(outcomeWith(stored([1_000_000, 800_000, 500_000])))!;
    expect(section).toBe(
      [
        '<details><summary>Trend: compressed size at 3 earlier commits of the base branch and this head</summary>',
        '',
        '```mermaid',
        'xychart-beta',
        '    title "release linux/amd64"',
        `    x-axis ["${sha(2).slice(0, 7)}", "${sha(1).slice(0, 7)}", "${sha(0).slice(0, 7)}", "f00dfee (head)"]`,
        '    y-axis "Compressed (MB)" 0 --> 1.65',
        '    line [0.5, 0.8, 1, 1.5]',
        '```',
        '',
        '</details>'
      ].join('\n')
    );
  });

  it('no earlier report, no chart', () => {
    expect(trendSection(outcomeWith([]))).toBeUndefined();
    expect(renderComment(outcomeWith([]), { marker: '<!-- m -->', details: ['trend'] })).not.toContain('Trend');
  });

  it('only sizes measured the way the head was are charted (a gzip estimate is not a registry size)', () => {
    const history = stored([1_000_000, 800_000]);
    const o = outcomeWith(history);
    const row = o.rows[0]!;
    const mixed: JudgedRow = { ...row, history: [{ ...row.history![0]!, method: 'docker-save' }, row.history![1]!] };
    const section = trendSection({ ...o, rows: [mixed] })!;
    expect(section).toContain('at 2 earlier commits');
    expect(section).toContain(`x-axis ["${sha(0).slice(0, 7)}", "f00dfee (head)"]`);
    const none: JudgedRow = { ...row, history: row.history!.map((h) => ({ ...h, method: 'docker-save' as const })) };
    expect(trendSection({ ...o, rows: [none] })).toBeUndefined();
  });

  it(`at most ${TREND_CHARTS_MAX} charts, the targets over budget first, the others counted`, () => {
    const names = Array.from({ length: 8 }, (_, i) => `t${i}`);
    const sizes = names.map((n, i): [string, number, number] => [n, 1_000, i === 7 ? 2_000 : 1_000]);
    const history: StoredReport[] = [{ sha: sha(1), report: makeReport({ rows: names.map((target) => ({ target, head: 1_000 })), headSha: sha(1), event: 'push' }) }];
    const section = trendSection(outcomeWith(history, sizes, 10))!;
    const titles = [...section.matchAll(/title "(\S+)/g)].map((m) => m[1]);
    expect(titles).toEqual(['t7', 't0', 't1', 't2', 't3', 't4']);
    expect(section).toContain('_2 more targets not charted._');
  });

  it('is one of the collapsed sections, after the size chart, and only with details: trend', () => {
    const o = outcomeWith(stored([1_000_000]));
    const both = renderComment(o, { marker: '<!-- m -->', details: ['trend'] });
    expect(both.indexOf('<details><summary>Chart</summary>')).toBeLessThan(both.indexOf('<details><summary>Trend'));
    expect(renderComment(o, { marker: '<!-- m -->', details: ['layers', 'files'] })).not.toContain('Trend');
  });

  it('names and SHAs keep only characters mermaid cannot misread', () => {
    const o = outcomeWith(stored([1_000]));
    const row = o.rows[0]!;
    const hostile: JudgedRow = { ...row, image: 'a"b]', target: 'x\n"y', history: row.history!.map((h) => ({ ...h, sha: '"] --> x' })) };
    const section = trendSection({ ...o, head: { sha: 'e"v]il' }, rows: [hostile] })!;
    expect(section).toContain('title "a_b_/x__y linux/amd64"');
    expect(section).toContain('x-axis ["__ --_ ", "e_v_il (head)"]');
  });
});
