// Trimming order of the comment: long notes go before any row of the table does.
import { describe, expect, it } from '@jest/globals';
import type { Outcome } from '../../src/model.js';
import { renderComment, utf8Length } from '../../src/report/render.js';
import { smallOutcome } from '../support/outcomes.js';

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
