// Every mermaid block the action writes is parsed by mermaid itself (npm mermaid, in a jsdom window,
// __tests__/support/mermaid-parse.mjs), as GitHub renders it: the size chart and the trend charts,
// for plain names and for names a repository could make hostile, and the README's example.
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JudgedRow, Outcome } from '../../src/model.js';
import { renderComment, renderSummary } from '../../src/report/render.js';
import { withHistory, type StoredReport } from '../../src/report/trend.js';
import { smallOutcome } from '../support/outcomes.js';
import { mermaidBlocks, parseMermaid as parseAll } from '../support/mermaid.js';
import { makeReport } from '../support/reports.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const sha = (n: number): string => n.toString(16).padStart(2, '0').repeat(20);

function history(targets: readonly string[], count: number): StoredReport[] {
  return Array.from({ length: count }, (_, n) => ({
    sha: sha(n + 1),
    report: makeReport({ rows: targets.map((target, i) => ({ target, head: 900_000 + n * 10_000 + i })), headSha: sha(n + 1), event: 'push' })
  }));
}

function withTrend(o: Outcome, reports: StoredReport[]): Outcome {
  return { ...o, rows: withHistory(o.rows, reports, undefined) };
}

const HOSTILE = ['a"b', 'x]y', 'tick`', '<script>', 'line\nbreak', '-->', 'ünï', '%%{init}%%', '; bar [1]'];

const cases: ReadonlyArray<readonly [string, Outcome]> = [
  ['two changed targets, 20 earlier commits', withTrend(smallOutcome([['release', 1_000_000, 1_480_000], ['debug', 2_000_000, 1_900_000]], { head: { sha: 'c0ffee'.repeat(6) + 'abcd' } }), history(['release', 'debug'], 20))],
  ['one earlier commit, bytes', withTrend(smallOutcome([['app', 10, 900]]), history(['app'], 1))],
  ['gigabytes', withTrend(smallOutcome([['cuda', 6_000_000_000, 6_400_000_000]]), history(['cuda'], 3))],
  ['names a repository could make hostile', withTrend(smallOutcome(HOSTILE.map((t, i): [string, number, number] => [t, 1_000 + i, 2_000 + i])), history(HOSTILE, 4))],
  ['an image of a config file', labelled(withTrend(smallOutcome([['release', 5_000, 6_000]]), history(['release'], 2)), 'web"api')]
];

function labelled(o: Outcome, image: string): Outcome {
  return { ...o, rows: o.rows.map((r): JudgedRow => ({ ...r, image })) };
}

describe('mermaid parses every chart the action writes', () => {
  it.each(cases)('%s: the comment and the summary', (_name, o) => {
    const blocks = [...mermaidBlocks(renderComment(o, { marker: '<!-- m -->', details: ['trend'] })), ...mermaidBlocks(renderSummary(o, { details: ['trend'] }))];
    // The size chart and a trend chart per target, in both.
    expect(blocks.length).toBeGreaterThanOrEqual(4);
    expect(parseAll(blocks)).toEqual(blocks.map(() => ({ ok: true, type: 'xychart' })));
  });

  it("the README's example comment", () => {
    const blocks = mermaidBlocks(readFileSync(path.join(root, 'README.md'), 'utf8'));
    expect(blocks.length).toBeGreaterThanOrEqual(1);
    expect(parseAll(blocks)).toEqual(blocks.map(() => ({ ok: true, type: 'xychart' })));
  });

  it('the parser is real: a broken chart is refused', () => {
    const [broken] = parseAll(['xychart-beta\n    x-axis ["a", "b"\n    line [1, 2]']);
    expect(broken).toMatchObject({ ok: false });
  });
});
