// Trimming order of the comment: long notes go before any row of the table does.
import { describe, expect, it } from '@jest/globals';
import type { ImageStats, Outcome, SideResult } from '../../src/model.js';
import { compare } from '../../src/report/compare.js';
import { buildOutcome, judge } from '../../src/report/policy.js';
import { renderComment, utf8Length } from '../../src/report/render.js';

const MARKER = '<!-- image-budget:image-budget -->';

function image(target: string, bytes: number): ImageStats {
  const digest = `sha256:${String(bytes).padStart(64, '0')}`;
  return {
    target,
    platform: 'linux/amd64',
    digest,
    configDigest: digest,
    compressedBytes: bytes,
    uncompressedBytes: bytes * 2,
    layerCount: 1,
    layers: [{ digest, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', compressedBytes: bytes, uncompressedBytes: bytes * 2, instruction: 'COPY / /' }],
    method: 'oci-layout'
  };
}
const m = (i: ImageStats): SideResult => ({ state: 'measured', image: i });

function outcome(rows: number, notes: string[]): Outcome {
  const budgets = { maxIncrease: { byTarget: new Map() }, maxSize: { byTarget: new Map() }, maxLayers: { byTarget: new Map() } };
  const input = Array.from({ length: rows }, (_, i) => ({
    target: `t${i}`,
    platform: 'linux/amd64',
    head: m(image(`t${i}`, 2_000_000 + i)),
    base: m(image(`t${i}`, 1_000_000 + i))
  }));
  return buildOutcome({
    metric: 'compressed',
    rows: judge(compare(input), budgets, 'compressed'),
    head: { sha: '1'.repeat(40) },
    base: { sha: '2'.repeat(40) },
    notes
  });
}

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
