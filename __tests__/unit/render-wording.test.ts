// What the comment shows in the cases the broader render tests do not reach: placeholder cells of
// rows that lack a number, the not-comparable statuses, the chart's scale and labels, the long
// layer lists, the files section word for word, and reports read back with missing numbers.
// Written from a mutation-testing review (docs/mutation.md): each test pins text a user reads.
import { testImage, testLayer } from '../support/outcomes.js';
import { describe, expect, it } from '@jest/globals';
import type { Budgets, FileStats, ImageStats, LayerStats, Metric, Outcome, SideResult } from '../../src/model.js';
import { compare, type CompareInput } from '../../src/report/compare.js';
import { buildReport, outcomeFromReport } from '../../src/report/report.js';
import { validateReport } from '../../src/report/validate.js';
import { buildOutcome, judge } from '../../src/report/policy.js';
import { renderComment } from '../../src/report/render.js';

// ── Fixtures ────────────────────────────────────────────────────────────────────────────────────

const MARKER = '<!-- image-budget:image-budget -->';
const HEAD = { sha: '1111111111222222222233333333334444444444', ref: 'feature/x' };
const BASE = { sha: 'aaaaaaaaaabbbbbbbbbbccccccccccdddddddddd', ref: 'main' };
const digest = (n: number): string => `sha256:${n.toString(16).padStart(64, '0')}`;

const layer = (n: number, compressed: number, instruction?: string): LayerStats => testLayer(n, compressed, 2, instruction);
const image = testImage;

const m = (i: ImageStats): SideResult => ({ state: 'measured', image: i });
const NO_BUDGETS: Budgets = { maxIncrease: { byTarget: new Map() }, maxSize: { byTarget: new Map() }, maxLayers: { byTarget: new Map() } };
const maxSize = (bytes: number): Budgets => ({ ...NO_BUDGETS, maxSize: { fallback: { kind: 'bytes', bytes, text: `${bytes}` }, byTarget: new Map() } });

function outcomeOf(rows: CompareInput[], options: { budgets?: Budgets; metric?: Metric; notes?: string[]; base?: { sha: string; ref?: string } } = {}): Outcome {
  const metric = options.metric ?? 'compressed';
  return buildOutcome({ metric, rows: judge(compare(rows), options.budgets ?? NO_BUDGETS, metric), head: HEAD, base: options.base ?? BASE, notes: options.notes ?? [] });
}

const comment = (outcome: Outcome, details: Array<'layers' | 'files'> = []): string => renderComment(outcome, { marker: MARKER, details });
const row = (target: string, head: SideResult, base: SideResult, platform = 'linux/amd64'): CompareInput => ({ target, platform, head, base });

/** The lines between one `<details>` summary line (found by its start) and its `</details>`. */
function section(text: string, summaryStart: string): string {
  const start = text.indexOf(summaryStart);
  expect(start).toBeGreaterThanOrEqual(0);
  return text.slice(start, text.indexOf('</details>', start) + '</details>'.length);
}

// ── Table cells ─────────────────────────────────────────────────────────────────────────────────

describe('table rows without some numbers', () => {
  it('a removed target whose base did not build either shows no sizes, only "removed"', () => {
    const text = comment(outcomeOf([row('legacy', { state: 'absent' }, { state: 'failed', error: 'ERROR: gone' })]));
    expect(text).toContain('\n| removed | `legacy` | linux/amd64 | — | removed | — | removed | — |\n');
  });

  it('a build without a platform input reads — in the platform column, the failed checks and the details', () => {
    const text = comment(outcomeOf([row('app', m(image('app', [layer(1, 3_000_000)])), { state: 'absent' }, '')], { budgets: maxSize(1_000_000) }), ['layers']);
    expect(text).toContain('\n| ❌ over budget | `app` | — | 3.00 MB | new | 6.00 MB | new | 1 |\n');
    expect(text).toContain('\n- `app` (—): 3\\.00 MB exceeds max-size 1 MB\n');
    expect(text).toContain('<details><summary><code>app</code> · — · 1 layer</summary>');
  });

  it('a base of 0 bytes (FROM scratch) gives the growth without a percentage', () => {
    const text = comment(outcomeOf([row('app', m(image('app', [layer(1, 1_000_000)])), m(image('app', [])))]));
    expect(text).toContain('\n| changed | `app` | linux/amd64 | 1.00 MB | +1.00 MB | 2.00 MB | +2.00 MB | 1 (+1) |\n');
  });

  it('sides measured by different methods read "not comparable", with or without budgets, and over budget when one fails', () => {
    const oci = image('app', [layer(1, 1_000_000), layer(2, 2_000_000)]);
    const estimated = image('app', [layer(1, 1_000_000), layer(3, 2_500_000)], { method: 'docker-save', compressedEstimated: true });
    const rows = [row('app', m(estimated), m(oci))];
    const line = (status: string): string => `\n| ${status} | \`app\` | linux/amd64 | ≈ 3.50 MB | not comparable | 7.00 MB | not comparable | 2 |\n`;
    expect(comment(outcomeOf(rows))).toContain(line('not comparable'));
    expect(comment(outcomeOf(rows, { budgets: maxSize(10_000_000) }))).toContain(line('✅ not comparable'));
    expect(comment(outcomeOf(rows, { budgets: maxSize(3_000_000) }))).toContain(line('❌ over budget'));
  });

  it('a not-comparable target lists its head layers, not a diff against the other method', () => {
    const oci = image('app', [layer(1, 1_000_000), layer(2, 2_000_000)]);
    const estimated = image('app', [layer(1, 1_000_000), layer(3, 2_500_000)], { method: 'docker-save', compressedEstimated: true });
    const text = comment(outcomeOf([row('app', m(estimated), m(oci))]), ['layers']);
    expect(section(text, '<details><summary><code>app</code>')).toBe(
      [
        '<details><summary><code>app</code> · linux/amd64 · 2 layers</summary>',
        '',
        '| # | Instruction | Compressed | Uncompressed |\n|--:|:--|--:|--:|',
        '| 1 | `RUN step 1` | 1.00 MB | 2.00 MB |',
        '| 2 | `RUN step 3` | 2.50 MB | 5.00 MB |',
        '',
        '</details>'
      ].join('\n')
    );
  });
});

describe('folding unchanged rows', () => {
  it('folds them above 8 rows, not at 8', () => {
    const unchanged = (n: number): CompareInput[] => Array.from({ length: n }, (_, i) => row(`u${i}`, m(image(`u${i}`, [layer(100 + i, 1_000)])), m(image(`u${i}`, [layer(100 + i, 1_000)]))));
    const grown = row('app', m(image('app', [layer(2, 2_000)])), m(image('app', [layer(1, 1_000)])));
    expect(comment(outcomeOf([grown, ...unchanged(7)]))).not.toContain('unchanged target');
    expect(comment(outcomeOf([grown, ...unchanged(8)]))).toContain('\n\n<details><summary>8 unchanged targets</summary>\n\n');
  });
});

describe('verdict line and footer', () => {
  const failed = (t: string): CompareInput => row(t, { state: 'failed', error: `ERROR: ${t}` }, { state: 'absent' });

  it('counts failed builds in the plural, and joins over-budget targets and failed builds with a comma', () => {
    expect(comment(outcomeOf([failed('a'), failed('b')])).split('\n\n')[1]).toBe('❌ **2 builds failed** · 2 targets: 2 build failed');
    const mixed = outcomeOf([failed('a'), row('b', m(image('b', [layer(1, 3_000_000)])), { state: 'absent' })], { budgets: maxSize(1_000_000) });
    expect(comment(mixed).split('\n\n')[1]).toBe('❌ **1 target over budget, 1 build failed** · 2 targets: 1 build failed, 1 new · budgets judge the compressed size');
  });

  it('names refs in plain code spans (a | stays as typed, long refs are cut at 100 characters) and omits a missing ref', () => {
    const rows = [row('app', m(image('app', [layer(1, 10)])), { state: 'absent' })];
    const noRefs = buildOutcome({ ...outcomeOf(rows), head: { sha: HEAD.sha }, base: { sha: BASE.sha } });
    expect(comment(noRefs).split('\n\n').at(-2)).toBe('Compared base `aaaaaaa` with head `1111111`.');
    const long = `release/${'x'.repeat(150)}`;
    const refs = buildOutcome({ ...outcomeOf(rows), head: { sha: HEAD.sha, ref: 'fix|pipe' }, base: { sha: BASE.sha, ref: long } });
    expect(comment(refs).split('\n\n').at(-2)).toBe(`Compared base \`aaaaaaa\` (\`${long.slice(0, 99)}…\`) with head \`1111111\` (\`fix|pipe\`).`);
  });
});

describe('notes', () => {
  const notes = (n: number): string[] => Array.from({ length: n }, (_, i) => `note ${i}`);
  const notesBlock = (text: string): string => text.slice(text.indexOf('**Notes**'), text.indexOf('\n\nCompared'));

  it('lists up to 20 notes one per line, and counts the rest', () => {
    const rows = [row('app', m(image('app', [layer(1, 10)])), { state: 'absent' })];
    const listed = (n: number): string => notes(n).map((t) => `- ${t}`).join('\n');
    expect(notesBlock(comment(outcomeOf(rows, { notes: notes(20) })))).toBe(`**Notes**\n\n${listed(20)}`);
    expect(notesBlock(comment(outcomeOf(rows, { notes: notes(21) })))).toBe(`**Notes**\n\n${listed(20)}\n- _1 more note_`);
    expect(notesBlock(comment(outcomeOf(rows, { notes: notes(25) })))).toBe(`**Notes**\n\n${listed(20)}\n- _5 more notes_`);
  });
});

// ── Chart ───────────────────────────────────────────────────────────────────────────────────────

describe('size chart', () => {
  const chartOf = (text: string): string[] => {
    const start = text.indexOf('```mermaid');
    expect(start).toBeGreaterThanOrEqual(0);
    return text.slice(start, text.indexOf('\n```', start)).split('\n').slice(2);
  };
  const grown = (target: string, base: number, head: number, extra: Partial<CompareInput> = {}): CompareInput => ({
    ...row(target, m(image(target, [layer(head, head)])), m(image(target, [layer(base, base)]))),
    ...extra
  });

  it.each<[string, number, number, string, string]>([
    ['bytes below 1 kB', 500, 999, 'B', '0 --> 1100'],
    ['exactly 1 kB', 500, 1_000, 'kB', '0 --> 1.1'],
    ['exactly 1 MB', 500_000, 1_000_000, 'MB', '0 --> 1.1'],
    ['exactly 1 GB', 500_000_000, 1_000_000_000, 'GB', '0 --> 1.1']
  ])('scales to the largest bar: %s', (_name, base, head, unit, axis) => {
    const [, , yAxis, bars] = chartOf(comment(outcomeOf([grown('app', base, head)])));
    expect(yAxis).toBe(`    y-axis "${unit}" ${axis}`);
    expect(bars).toBe(unit === 'B' ? '    bar [500, 999]' : '    bar [0.5, 1]');
  });

  it('charts the uncompressed size when the budgets judge it', () => {
    const lines = chartOf(comment(outcomeOf([grown('app', 1_000_000, 2_000_000)], { metric: 'uncompressed' })));
    expect(lines).toEqual(['    title "Uncompressed size, base and head"', '    x-axis ["app (base)", "app (head)"]', '    y-axis "MB" 0 --> 4.4', '    bar [2, 4]']);
  });

  it('is drawn for 8 changed targets (16 bars), not for 9', () => {
    const targets = (n: number): CompareInput[] => Array.from({ length: n }, (_, i) => grown(`t${i}`, 1_000 + i, 2_000 + i));
    expect(chartOf(comment(outcomeOf(targets(8))))[3]).toMatch(/^ {4}bar \[(\d+(\.\d+)?, ){15}\d+(\.\d+)?\]$/);
    expect(comment(outcomeOf(targets(9)))).not.toContain('mermaid');
  });

  it('names the platform when a target is built for several', () => {
    const text = comment(outcomeOf([grown('app', 1_000, 2_000), { ...grown('app', 1_001, 2_001), platform: 'linux/arm64' }]));
    expect(chartOf(text)[1]).toBe('    x-axis ["app linux/amd64 (base)", "app linux/amd64 (head)", "app linux/arm64 (base)", "app linux/arm64 (head)"]');
  });

  it('puts the image label before the target, only on rows that have one (reports merged from jobs with and without `name`)', () => {
    const text = comment(outcomeOf([grown('release', 1_000, 2_000, { image: 'ghcr.io/octo/api:v1' }), grown('worker', 1_000, 3_000)]));
    expect(chartOf(text)[1]).toBe('    x-axis ["ghcr.io/octo/api_v1/release (base)", "ghcr.io/octo/api_v1/release (head)", "worker (base)", "worker (head)"]');
  });

  it('cuts a label at 40 characters', () => {
    const text = comment(outcomeOf([grown('release', 1_000, 2_000, { image: 'registry.example.com/platform-team/payments-api' })]));
    expect(chartOf(text)[1]).toBe('    x-axis ["registry.example.com/platform-team/payme (base)", "registry.example.com/platform-team/payme (head)"]');
  });
});

// ── Layer details ───────────────────────────────────────────────────────────────────────────────

describe('layer details', () => {
  it.each(['', ' \n\t'])('a build that failed without output says so (%j)', (error) => {
    const text = comment(outcomeOf([row('app', { state: 'failed', error }, { state: 'absent' })]), ['layers']);
    expect(text).toContain('<details><summary><code>app</code> · linux/amd64 · build failed</summary>\n\n_No error output._\n\n</details>');
  });

  it('a layer gone from the head reads "removed", struck through, with a negative delta', () => {
    const base = [layer(1, 1_000_000, 'FROM base'), layer(2, 400_000, 'RUN apt-get install -y curl')];
    const text = comment(outcomeOf([row('app', m(image('app', [base[0]!])), m(image('app', base)))]), ['layers']);
    expect(section(text, '<details><summary><code>app</code>')).toBe(
      [
        '<details><summary><code>app</code> · linux/amd64 · 1 of 2 layers changed (2 → 1)</summary>',
        '',
        '| # | Change | Instruction | Compressed | Δ | Uncompressed | Δ |\n|--:|:--|:--|--:|--:|--:|--:|',
        '| — | removed | `RUN apt-get install -y curl` | ~~400 kB~~ | -400 kB | ~~800 kB~~ | -800 kB |',
        '',
        '_1 unchanged layer not shown._',
        '',
        '</details>'
      ].join('\n')
    );
  });

  const many = (n: number, from: number): LayerStats[] => Array.from({ length: n }, (_, i) => layer(from + i, 1_000 + i));
  const changedRows = (text: string): number => text.split('\n').filter((l) => /^\| (\d+|—) \| (added|removed|changed) \|/.test(l)).length;

  it.each<[string, LayerStats[], LayerStats[], string]>([
    ['100 changes, nothing else', [], many(100, 10), ''],
    ['102 changes', [layer(1, 5)], many(102, 10), '\n\n_2 more changed layers not shown._'],
    ['102 changes and an unchanged layer', [layer(1, 5), layer(2, 6)], [layer(1, 5), ...many(102, 10)], '\n\n_1 unchanged layer not shown. 2 more changed layers not shown._']
  ])('lists at most 100 changed layers and counts the rest: %s', (_name, base, head, omitted) => {
    const text = comment(outcomeOf([row('app', m(image('app', head)), m(image('app', base)))]), ['layers']);
    const s = section(text, '<details><summary><code>app</code>');
    expect(changedRows(s)).toBe(100);
    expect(s.endsWith(`|${omitted}\n\n</details>`)).toBe(true);
  });

  it.each<[string, number, string]>([
    ['no layers', 0, '_No filesystem layers._'],
    ['100 layers', 100, '| 100 | `RUN step 199` | 1.10 kB | 2.20 kB |'],
    ['101 layers', 101, '| 100 | `RUN step 199` | 1.10 kB | 2.20 kB |\n\n_1 more layer not shown._']
  ])('a new target lists its layers, at most 100: %s', (_name, count, end) => {
    const text = comment(outcomeOf([row('app', m(image('app', many(count, 100))), { state: 'absent' })]), ['layers']);
    const s = section(text, '<details><summary><code>app</code>');
    expect(s.endsWith(`${end}\n\n</details>`)).toBe(true);
    expect(s.split('\n').filter((l) => /^\| \d+ \| `/.test(l))).toHaveLength(Math.min(count, 100));
  });
});

// ── File details ────────────────────────────────────────────────────────────────────────────────

describe('files section, word for word', () => {
  const files = (entries: Array<[string, number]>, wasted: Array<[string, number]> = []): FileStats => ({
    final: new Map(entries),
    wastedBytes: wasted.reduce((n, [, b]) => n + b, 0),
    wasted: wasted.map(([path, bytes]) => ({ path, bytes }))
  });
  const withFiles = (layers: LayerStats[], f: FileStats, extra: Partial<ImageStats> = {}): ImageStats => ({ ...image('app', layers, extra), files: f });
  const filesSection = (rows: CompareInput[]): string => section(comment(outcomeOf(rows), ['files']), '<details><summary><code>app</code>');

  it('a changed image: the changes, the totals, the wasted space beside the base, the wasted files', () => {
    const base = withFiles([layer(1, 1_000_000)], files([['app/bin', 1_000_000], ['etc/old.conf', 2_000]], [['tmp/a', 100]]));
    const head = withFiles([layer(1, 1_000_000), layer(2, 1_500_000)], files([['app/bin', 1_200_000], ['usr/lib/x.so', 300_000]], [['tmp/cache', 1_000_000], ['tmp/b', 500]]));
    expect(filesSection([row('app', m(head), m(base))])).toBe(
      [
        '<details><summary><code>app</code> · linux/amd64 · 3 files changed · 1.00 MB wasted</summary>',
        '',
        '| Change | Path | Before | After | Δ |\n|:--|:--|--:|--:|--:|',
        '| added | `/usr/lib/x.so` | — | 300 kB | +300 kB |',
        '| grown | `/app/bin` | 1.00 MB | 1.20 MB | +200 kB |',
        '| removed | `/etc/old.conf` | 2.00 kB | — | -2.00 kB |',
        '',
        '_In all: 1 file added (+300 kB), 1 removed (-2.00 kB), 1 grown (+200 kB), 0 shrunk (0 B)._',
        '',
        '**Wasted space**: 1.00 MB (20.0% of the image); base: 100 B. Files that a later layer overwrites or deletes still ship in the earlier layer.',
        '',
        '| Wasted | Path |\n|--:|:--|\n| 1.00 MB | `/tmp/cache` |\n| 500 B | `/tmp/b` |',
        '',
        '</details>'
      ].join('\n')
    );
  });

  it('a changed image that wastes nothing and whose files kept their sizes still gets its section', () => {
    const f = files([['app/bin', 1_000]]);
    const text = filesSection([row('app', m(withFiles([layer(2, 2_000)], f)), m(withFiles([layer(1, 1_000)], f)))]);
    expect(text).toBe(
      [
        '<details><summary><code>app</code> · linux/amd64 · 0 files changed · 0 B wasted</summary>',
        '',
        '_No file changed size._',
        '',
        '**Wasted space**: 0 B (0.0% of the image); base: 0 B. Files that a later layer overwrites or deletes still ship in the earlier layer.',
        '',
        '</details>'
      ].join('\n')
    );
  });

  it('a new target: only its own wasted space, at most 5 wasted files', () => {
    const wasted = Array.from({ length: 6 }, (_, i): [string, number] => [`tmp/f${i}`, 600 - i * 100]);
    const text = filesSection([row('app', m(withFiles([layer(1, 10_000)], files([['bin/x', 10_000]], wasted))), { state: 'absent' })]);
    expect(text).toBe(
      [
        '<details><summary><code>app</code> · linux/amd64 · 2.10 kB wasted</summary>',
        '',
        '**Wasted space**: 2.10 kB (10.5% of the image). Files that a later layer overwrites or deletes still ship in the earlier layer.',
        '',
        '| Wasted | Path |\n|--:|:--|\n| 600 B | `/tmp/f0` |\n| 500 B | `/tmp/f1` |\n| 400 B | `/tmp/f2` |\n| 300 B | `/tmp/f3` |\n| 200 B | `/tmp/f4` |',
        '',
        '</details>'
      ].join('\n')
    );
  });

  it('an empty image (no layers) gives no share of its size', () => {
    const text = filesSection([row('app', m(withFiles([], files([]))), { state: 'absent' })]);
    expect(text).toContain('\n\n**Wasted space**: 0 B. Files that');
  });

  it('compares no files with a stored baseline (no file list) or with a base measured another way', () => {
    const head = withFiles([layer(2, 2_000)], files([['app/bin', 2_000]], [['tmp/x', 50]]));
    const stored = withFiles([layer(1, 1_000)], { ...files([], [['tmp/x', 40]]), listing: { kind: 'none' } });
    const other = withFiles([layer(1, 1_000)], files([['app/bin', 1_000]], [['tmp/x', 40]]), { method: 'docker-save', compressedEstimated: true });
    for (const base of [stored, other]) {
      const text = filesSection([row('app', m(head), m(base))]);
      expect(text.split('\n')[0]).toBe('<details><summary><code>app</code> · linux/amd64 · 50 B wasted</summary>');
      expect(text).toContain('\n\n**Wasted space**: 50 B (1.3% of the image); base: 40 B. Files');
      expect(text).not.toContain('| Change |');
    }
    const said = (base: typeof stored): boolean => filesSection([row('app', m(head), m(base))]).includes(
      '\n\n_The stored baseline has no file list, so file changes are not shown._\n\n**Wasted space**: 50 B'
    );
    expect([said(stored), said(other)]).toEqual([true, false]);
  });
});

// ── Reports read back (comment mode renders what an untrusted run uploaded) ─────────────────────

describe('a validated report with missing numbers or empty names', () => {
  const meta = { tool: { name: 'image-budget', version: '1' }, event: 'pull_request', repository: 'o/r', createdAt: '2026-01-01T00:00:00.000Z' };
  const read = (edit: (report: { regressed: boolean; targets: Array<Record<string, unknown>> }) => void): Outcome => {
    const outcome = outcomeOf([row('app', m(image('app', [layer(2, 2_000_000)])), m(image('app', [layer(1, 1_000_000)])))]);
    const json = JSON.parse(JSON.stringify(buildReport(outcome, meta))) as { regressed: boolean; targets: Array<Record<string, unknown>> };
    edit(json);
    const back = validateReport(json);
    if (!back.ok) throw new Error(back.error);
    return outcomeFromReport(back.report);
  };

  it('a changed target without its delta shows — for the changes, not made-up numbers', () => {
    const text = comment(read((r) => delete r.targets[0]!.delta));
    expect(text).toContain('\n| changed | `app` | linux/amd64 | 2.00 MB | — | 4.00 MB | — | 1 |\n');
  });

  it('a new target whose head was not measured shows — for every size', () => {
    const text = comment(read((r) => Object.assign(r.targets[0]!, { status: 'new', head: { state: 'absent' }, base: { state: 'absent' } })));
    expect(text).toContain('\n| new | `app` | linux/amd64 | — | new | — | new | — |\n');
  });

  it('a no-baseline target whose head was not measured is not "not comparable"', () => {
    const text = comment(read((r) => Object.assign(r.targets[0]!, { status: 'no-baseline', head: { state: 'absent' } })));
    expect(text).toContain('\n| no baseline | `app` | linux/amd64 | — | — | — | — | — |\n');
  });

  it('a report that says "regressed" with no failing target reads "regressed" rather than an empty verdict', () => {
    const text = comment(read((r) => (r.regressed = true)));
    expect(text.split('\n\n')[1]).toBe('❌ **regressed** · 1 target: 1 changed');
  });

  it('empty names and instructions read —, in the table, the summaries and the layer rows', () => {
    const blank = (n: number, bytes: number): LayerStats => layer(n, bytes, '');
    const outcome = outcomeOf([
      { image: '', ...row('', m(image('', [blank(1, 100), blank(3, 300), blank(4, 400)])), m(image('', [blank(1, 100), blank(2, 200)]))) },
      { image: '', ...row('n', m(image('n', [blank(5, 500)])), { state: 'absent' }) },
      { image: '', ...row('r', m(image('r', [blank(6, 600)])), m(image('r', [blank(6, 600), blank(7, 700)]))) }
    ]);
    const back = validateReport(JSON.parse(JSON.stringify(buildReport(outcome, meta))));
    if (!back.ok) throw new Error(back.error);
    const text = comment(outcomeFromReport(back.report), ['layers']);
    expect(text).toContain(' | — › — | linux/amd64 | 800 B |');
    expect(text).toContain('<details><summary><code>—</code> › <code>—</code> · linux/amd64 · 2 of 3 layers changed (2 → 3)</summary>');
    expect(text).toContain('\n| 2 | changed | — | 200 B → 300 B | +100 B |');
    expect(text).toContain('\n| 3 | added | — | 400 B | +400 B |');
    expect(text).toContain('\n| — | removed | — | ~~700 B~~ | -700 B |');
    expect(text).toContain('<details><summary><code>—</code> › <code>n</code> · linux/amd64 · 1 layer</summary>\n\n| # | Instruction | Compressed | Uncompressed |\n|--:|:--|--:|--:|\n| 1 | — | 500 B | 1.00 kB |');
  });
});
