// Trimming order of the comment: long notes go before any row of the table does.
import { describe, expect, it } from '@jest/globals';
import type { Outcome } from '../../src/model.js';
import { compare, type CompareInput } from '../../src/report/compare.js';
import { buildOutcome, judge } from '../../src/report/policy.js';
import { renderComment, renderSummary, utf8Length } from '../../src/report/render.js';
import { measured, oneLayerImage, smallOutcome } from '../support/outcomes.js';

const MARKER = '<!-- image-budget:image-budget -->';

const outcome = (rows: number, notes: string[]): Outcome =>
  smallOutcome(Array.from({ length: rows }, (_, i) => [`t${i}`, 1_000_000 + i, 2_000_000 + i] as const), { notes });

describe('trimming order', () => {
  // 20 notes of 500 characters that each grow about fourfold when escaped (`<` → `&lt;`).
  const notes = Array.from({ length: 20 }, (_, i) => `${i} ${'<'.repeat(498)}`);
  const o = outcome(40, notes);
  const full = renderComment(o, { marker: MARKER, details: [] });
  const table = renderComment(outcome(40, []), { marker: MARKER, details: [] });

  it('the notes alone would crowd the table out of a small limit', () => {
    expect(utf8Length(full)).toBeGreaterThan(utf8Length(table) + 30_000);
  });

  it('with room for the table and a few notes: every row stays, only some notes are written out', () => {
    const max = utf8Length(table) + 5_000;
    const text = renderComment(o, { marker: MARKER, details: [], maxChars: max });
    expect(utf8Length(text)).toBeLessThanOrEqual(max);
    for (let i = 0; i < 40; i++) expect(text).toContain(`| \`t${i}\``);
    expect(text).not.toContain('more target');
    const shown = (text.match(/^- \d+ /gm) ?? []).length;
    expect(shown).toBeGreaterThan(0);
    expect(shown).toBeLessThan(20);
    expect(text).toContain(`- _${20 - shown} more notes_`);
    expect(text.endsWith(MARKER)).toBe(true);
  });

  it('with room for the table only: the notes are counted, the rows all stay', () => {
    const max = utf8Length(table) + 200;
    const text = renderComment(o, { marker: MARKER, details: [], maxChars: max });
    expect(utf8Length(text)).toBeLessThanOrEqual(max);
    expect(text).toContain('- _20 notes_');
    for (let i = 0; i < 40; i++) expect(text).toContain(`| \`t${i}\``);
  });

  it('rows are cut only when the table alone does not fit', () => {
    const max = utf8Length(table) - 500;
    const text = renderComment(o, { marker: MARKER, details: [], maxChars: max });
    expect(utf8Length(text)).toBeLessThanOrEqual(max);
    expect(text).toMatch(/_… \d+ more targets? not shown\._/);
  });
});

// Each trimming step at the exact limit where its result fits: the body is that step's result, byte
// for byte (the expected bodies are built here from the untrimmed one).
describe('trimming steps at their exact limits', () => {
  const NOTICE = '_Full report in the job summary._';
  const HEAD = { sha: '1'.repeat(40) };
  const BASE = { sha: '2'.repeat(40) };
  const PLATFORM = 'linux/amd64';
  const outcomeFrom = (rows: CompareInput[], maxIncreasePercent?: number): Outcome => {
    const budgets = {
      maxIncrease: { ...(maxIncreasePercent !== undefined ? { fallback: { kind: 'percent' as const, percent: maxIncreasePercent, text: `${maxIncreasePercent}%` } } : {}), byTarget: new Map() },
      maxSize: { byTarget: new Map() },
      maxLayers: { byTarget: new Map() }
    };
    return buildOutcome({ metric: 'compressed', rows: judge(compare(rows), budgets, 'compressed'), head: HEAD, base: BASE, notes: [] });
  };
  const same = (t: string, bytes = 1_000_000): CompareInput => ({ target: t, platform: PLATFORM, head: measured(oneLayerImage(t, bytes)), base: measured(oneLayerImage(t, bytes)) });
  const grown = (t: string, base: number, head: number): CompareInput => ({ target: t, platform: PLATFORM, head: measured(oneLayerImage(t, head)), base: measured(oneLayerImage(t, base)) });
  const added = (t: string, bytes: number, instruction = 'COPY / /'): CompareInput => {
    const i = oneLayerImage(t, bytes);
    return { target: t, platform: PLATFORM, head: measured({ ...i, layers: [{ ...i.layers[0]!, instruction }] }), base: { state: 'absent' } };
  };
  const failed = (t: string, error = `ERROR: ${t}`): CompareInput => ({ target: t, platform: PLATFORM, head: { state: 'failed', error }, base: { state: 'absent' } });
  const unchanged9 = Array.from({ length: 9 }, (_, i) => same(`u${i}`, 2_000_000 + i));

  const comment = (o: Outcome, max: number, details: Array<'layers'> = ['layers']): string => renderComment(o, { marker: MARKER, details, maxChars: max });
  const untrimmed = (o: Outcome, details: Array<'layers'> = []): string => renderComment(o, { marker: MARKER, details });
  /** The notice goes after the notes, before the detail sections left (the chart, then per target) and the commits. */
  const withNotice = (text: string): string => text.replace(/\n\n(?=<details><summary><code>|<details><summary>Chart<\/summary>|Compared )/, `\n\n${NOTICE}\n\n`);
  const folded = (text: string): string => text.replace(/<details><summary>9 unchanged targets<\/summary>[\s\S]*?<\/details>/, '_9 unchanged targets not shown._');
  const without = (text: string, target: string): string => text.replace(new RegExp(`\\n\\n<details><summary><code>${target}</code>[\\s\\S]*?</details>`), '');
  /** What is left once the table rows are cut: the frame, the count line, what `blocks` adds. */
  const frame = (o: Outcome, blocks: string[]): string => {
    const parts = untrimmed(o).split('\n\n');
    return [parts[0]!, parts[1]!, ...blocks, NOTICE, parts.at(-2)!, MARKER].join('\n\n');
  };

  it('the whole comment and the whole summary when they fit to the byte', () => {
    const o = outcomeFrom([added('app', 3_000_000), ...unchanged9]);
    const full = untrimmed(o, ['layers']);
    expect(comment(o, utf8Length(full))).toBe(full);
    expect(utf8Length(comment(o, utf8Length(full) - 1))).toBeLessThan(utf8Length(full));
    const summary = renderSummary(o, { details: ['layers'] });
    expect(renderSummary(o, { details: ['layers'], maxBytes: utf8Length(summary) })).toBe(summary);
    const shorter = renderSummary(o, { details: ['layers'], maxBytes: utf8Length(summary) - 1 });
    expect(utf8Length(shorter)).toBeLessThanOrEqual(utf8Length(summary) - 1);
    expect(shorter).toContain('the JSON report has everything');
  });

  it('1. with room for the tables and nothing more, the details go and the folded rows stay', () => {
    const o = outcomeFrom([added('app', 3_000_000), ...unchanged9]);
    const expected = withNotice(untrimmed(o));
    expect(expected).toContain('<details><summary>9 unchanged targets</summary>');
    expect(comment(o, utf8Length(expected))).toBe(expected);
  });

  it('1. the largest detail section goes first, even when listed last, and only as many as needed', () => {
    const o = outcomeFrom([failed('small', 'ERROR: short'), failed('big', `ERROR: ${'x'.repeat(2_000)}`)]);
    const full = untrimmed(o, ['layers']);
    const expected = withNotice(without(full, 'big'));
    expect(expected).toContain('<details><summary><code>small</code>');
    // One byte short of the whole comment; exactly the room for the small one; one byte less.
    expect(comment(o, utf8Length(full) - 1)).toBe(expected);
    expect(comment(o, utf8Length(expected))).toBe(expected);
    expect(comment(o, utf8Length(expected) - 1)).toBe(withNotice(without(without(full, 'big'), 'small')));
  });

  it('1. the details of a rebuilt but unchanged target go before those of a new one, even when smaller', () => {
    // Same sizes, another layer digest: "unchanged" in the table, one changed layer in its details.
    const img = oneLayerImage('u', 1_000);
    const rebuiltRow: CompareInput = { target: 'u', platform: PLATFORM, head: measured({ ...img, layers: [{ ...img.layers[0]!, digest: `sha256:${'f'.repeat(64)}` }] }), base: measured(img) };
    const o = outcomeFrom([rebuiltRow, added('n', 5_000, `RUN ${'make '.repeat(60)}`)]);
    expect(o.rows.map((r) => r.status)).toEqual(['unchanged', 'new']);
    const full = untrimmed(o, ['layers']);
    expect(utf8Length(section(full, 'u'))).toBeLessThan(utf8Length(section(full, 'n')));
    expect(comment(o, utf8Length(full) - 1)).toBe(withNotice(without(full, 'u')));
  });

  it('2. with room for the main table only, the folded rows become a count line (no failing checks, no notes)', () => {
    const o = outcomeFrom([added('app', 3_000_000), ...unchanged9]);
    const expected = withNotice(folded(untrimmed(o)));
    expect(comment(o, utf8Length(expected))).toBe(expected);
  });

  it('5. with room for the frame only, every row is counted and the fold line stays (no failing checks, no notes)', () => {
    const o = outcomeFrom([added('app', 3_000_000), ...unchanged9]);
    const expected = frame(o, ['_… 1 more target not shown._', '_9 unchanged targets not shown._']);
    expect(comment(o, utf8Length(expected))).toBe(expected);
  });

  describe('3. failing checks', () => {
    const o = outcomeFrom([...['t0', 't1', 't2', 't3', 't4', 't5'].map((t) => failed(t)), ...unchanged9]);
    const listed = (k: number): string =>
      [...Array.from({ length: k }, (_, i) => `- \`t${i}\` (linux/amd64): build failed\\: ERROR\\: t${i}`), `- _${6 - k} ${k === 0 ? '' : 'more '}failing check${6 - k === 1 ? '' : 's'} not shown._`].join('\n');

    it.each([0, 2, 5])('with room for %i of the 6, those are listed and the rest counted', (k) => {
      const expected = withNotice(folded(untrimmed(o)).replace(/(\*\*Failed checks\*\*\n\n)[\s\S]*?(?=\n\n)/, `$1${listed(k)}`));
      expect(comment(o, utf8Length(expected))).toBe(expected);
    });

    it('5. then the rows, the fold line staying', () => {
      const expected = frame(o, ['_… 6 more targets not shown._', '_9 unchanged targets not shown._']);
      expect(comment(o, utf8Length(expected))).toBe(expected);
    });
  });

  it('5. rows kept: regressed first, then changed before unchanged, then in table order', () => {
    // u0, u2 unchanged; c1, c4 grew 5%; r3 grew 50% over a 10% budget.
    const o = outcomeFrom([same('u0'), grown('c1', 1_000_000, 1_050_000), same('u2'), grown('r3', 1_000_000, 1_500_000), grown('c4', 1_000_000, 1_050_000)], 10);
    const table = untrimmed(o).split('\n\n')[2]!.split('\n');
    const rowsOf = (...names: string[]): string => [table[0]!, table[1]!, ...table.filter((l) => names.some((n) => l.includes(` | \`${n}\` | `)))].join('\n');
    // The kept rows' failing check is counted, not listed: the failed checks went at step 3.
    const keep = (names: string[]): string =>
      frame(o, [rowsOf(...names), `_… ${5 - names.length} more targets not shown._`, '**Failed checks**\n\n- _1 failing check not shown._']);
    for (const names of [['r3'], ['c1', 'r3'], ['c1', 'r3', 'c4']]) {
      const expected = keep(names);
      expect(comment(o, utf8Length(expected))).toBe(expected);
    }
  });
});

function section(text: string, target: string): string {
  const start = text.indexOf(`<details><summary><code>${target}</code>`);
  return text.slice(start, text.indexOf('</details>', start) + '</details>'.length);
}
