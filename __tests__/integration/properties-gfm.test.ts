// Property tests of the PR comment under GitHub's renderer (issue 6). Comments are built by the real
// renderer (src/report/render.ts) from generated outcomes whose every repository string (image
// labels, target and stage names, platforms, Dockerfile instructions, file paths, build errors,
// notes, refs) is arbitrary text, then rendered by `cmark-gfm --unsafe` (unsafe, so that any raw
// HTML we let through shows):
//
// (b) every table stays intact: as many tables as the markdown lays out, each source row with the
//     header's cell count, each cell holding its whole string in its own column; no live HTML element
//     and no HTML comment but our marker; no @mention, #123 or GH-123 in a text node GitHub's
//     reference linker scans (text outside code);
// (c) the body never exceeds GitHub's 65,536 characters, counted the most conservative way (UTF-8
//     bytes, which are never fewer than UTF-16 units or code points), for any number of rows, layers
//     and files and any text, astral characters included; trimming stays structural: no unclosed
//     code fence or <details>, the verdict line kept, the marker last.
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { stickyMarker } from '../../src/github/sticky.js';
import type { Budgets, FileStats, ImageStats, LayerStats, Metric, Outcome, SideResult } from '../../src/model.js';
import { compare, type CompareInput } from '../../src/report/compare.js';
import { cap, codeBlock, codeSpan, flatten } from '../../src/report/escape.js';
import { buildOutcome, judge } from '../../src/report/policy.js';
import { shortenRuns } from '../../src/report/format.js';
import { TABLE_RUN_MAX } from '../../src/report/render-sections.js';
import { gfm } from '../support/gfm.js';
import { COMMENT_MAX_CHARS, renderComment, renderSummary } from '../../src/report/render.js';

const WJ = '\u2060';


// ── Arbitrary repository text ───────────────────────────────────────────────────────────────────

/** Pieces that mean something to markdown, HTML, GitHub's linkers or a terminal. */
const FRAGMENTS = [
  '|', '\\', '\\|', '\\\\|', '`', '``', '```', '~~~', '<', '>', '<!--', '-->', '--!>', '<!-- image-budget:image-budget -->',
  '<script>alert(1)</script>', '<img src=x onerror=alert(1)>', '<a href="https://x.io">x</a>', '</td></tr></table>', '<table>',
  '<details>', '</details>', '<summary>', '</summary>', '<code>', '</code>', '<pre>', '<br>', '<![CDATA[', '<?php', '<!DOCTYPE html>',
  '@', '@octocat', '@org/team', '@-x', '#', '#12', 'o/r#34', 'GH-56', 'gh-7', 'www.', 'WWW.x.io', 'https://evil.example',
  'http://x', 'me@example.com', 'xmpp:me@x.io', 'javascript:alert(1)', '*', '**', '_', '__', '~', '~~', '[', ']',
  '[x](http://x.io)', '![i](http://x.io/i.png)', '[x]: http://x.io', '[^1]', '(', ')', '!', '&', '&amp;', '&#64;', '&#x40;',
  '&commat;', '&lt;', ';', '$', '$$', '$x$', '{', '}', '^', '"', "'", '\n', '\r\n', '\r', '\t', ' ', '  ', '-', '+', '=', '1.',
  '1)', '# ', '> ', '- ', '* ', '---', '===', ':', '\u2028', '\u2029', '\u0085', '\u000b', '\u000c', '\u202e', '\u2066', '\u200e',
  '\u0000', '\u001b[31m', '\u007f', '\u009b', WJ, '\u200b', '\ufeff', '\u00a0', '\u3000', '😀', '👨‍👩‍👧', 'é', 'e\u0301', '字',
  '𝟑', '١٢', '＃１２', '＠octocat', 'x', 'a', '9', '0', '/', 'RUN', 'COPY', '/bin/sh -c'
];

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));

const hostile = fc.oneof(
  { weight: 4, arbitrary: fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 10 }).map((a) => a.join('')) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ unit: fc.oneof(fc.constantFrom(...FRAGMENTS.filter((f) => [...f].length === 1)), loneSurrogate), maxLength: 20 }) }
);

/** Long text: a hostile piece repeated, up to a few thousand characters (caps, multibyte budgets). */
const long = fc.tuple(hostile, fc.integer({ min: 1, max: 400 })).map(([s, n]) => s.repeat(n).slice(0, 6000));
const text = (longWeight: number): fc.Arbitrary<string> =>
  fc.oneof({ weight: 10 - longWeight, arbitrary: hostile }, { weight: longWeight, arbitrary: long });

// ── Arbitrary outcomes ──────────────────────────────────────────────────────────────────────────

const digest = (n: number): string => `sha256:${n.toString(16).padStart(64, '0')}`;

interface Sizes {
  readonly rows: number;
  readonly layers: number;
  readonly files: number;
  readonly notes: number;
  /** Weight (0-10) of long strings. */
  readonly long: number;
  /** How far toward the maximum lengths fast-check goes ('max': anywhere up to them). */
  readonly size?: fc.SizeForArbitrary;
}

function outcomeArb(size: Sizes): fc.Arbitrary<{ outcome: Outcome; inputs: CompareInput[] }> {
  const t = text(size.long);
  const n = (maxLength: number) => ({ maxLength, size: size.size ?? 'small' });
  const layer: fc.Arbitrary<LayerStats> = fc
    .record({ id: fc.integer({ min: 0, max: 6 }), c: fc.nat({ max: 5e9 }), u: fc.nat({ max: 5e9 }), instruction: t })
    .map(({ id, c, u, instruction }) => ({ digest: digest(id), mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', compressedBytes: c, uncompressedBytes: u, instruction }));
  const files: fc.Arbitrary<FileStats> = fc
    .record({
      final: fc.array(fc.tuple(t, fc.nat({ max: 1e8 })), n(size.files)),
      wasted: fc.array(fc.record({ path: t, bytes: fc.nat({ max: 1e8 }) }), n(Math.min(size.files, 20)))
    })
    .map(({ final, wasted }) => ({ final: new Map(final), wasted, wastedBytes: wasted.reduce((n, w) => n + w.bytes, 0) }));
  const image = (target: string, platform: string): fc.Arbitrary<ImageStats> =>
    fc
      .record({
        layers: fc.array(layer, n(size.layers)),
        files: fc.option(files, { nil: undefined }),
        method: fc.constantFrom('oci-layout', 'oci-layout', 'oci-layout', 'docker-save'),
        estimated: fc.boolean()
      })
      .map(({ layers, files: f, method, estimated }) => ({
        target,
        platform,
        digest: digest(layers.length),
        configDigest: digest(99),
        compressedBytes: layers.reduce((n, l) => n + l.compressedBytes, 0),
        uncompressedBytes: layers.reduce((n, l) => n + l.uncompressedBytes, 0),
        layerCount: layers.length,
        layers,
        method,
        ...(method === 'docker-save' && estimated ? { compressedEstimated: true } : {}),
        ...(f ? { files: f } : {})
      }));
  const side = (target: string, platform: string): fc.Arbitrary<SideResult> =>
    fc.oneof(
      { weight: 5, arbitrary: image(target, platform).map((i): SideResult => ({ state: 'measured', image: i })) },
      { weight: 1, arbitrary: fc.array(t, { maxLength: 40 }).map((lines): SideResult => ({ state: 'failed', error: lines.join('\n') })) },
      { weight: 1, arbitrary: fc.constant<SideResult>({ state: 'absent' }) },
      { weight: 1, arbitrary: t.map((reason): SideResult => ({ state: 'unavailable', reason })) }
    );
  const row: fc.Arbitrary<CompareInput> = fc
    .record({ image: fc.option(t, { nil: undefined }), target: t, platform: t, same: fc.boolean() })
    .chain(({ image: label, target, platform, same }) =>
      fc.tuple(side(target, platform), side(target, platform)).map(([head, base]) => ({
        ...(label === undefined ? {} : { image: label }),
        target,
        platform,
        head,
        // An unchanged row now and then (so that unchanged rows fold).
        base: same && head.state === 'measured' ? head : base
      }))
    );
  const budgets = fc.constantFrom<Budgets>(
    { maxIncrease: { byTarget: new Map() }, maxSize: { byTarget: new Map() }, maxLayers: { byTarget: new Map() } },
    {
      maxIncrease: { fallback: { kind: 'percent', percent: 10, text: '10%' }, byTarget: new Map() },
      maxSize: { fallback: { kind: 'bytes', bytes: 1_000_000, text: '1 MB' }, byTarget: new Map() },
      maxLayers: { fallback: 3, byTarget: new Map() },
      maxWasted: { fallback: { kind: 'percent', percent: 1, text: '1%' }, byTarget: new Map() }
    }
  );
  const commit = fc.record({ sha: fc.oneof(fc.stringMatching(/^[0-9a-f]{40}$/), t), ref: fc.option(t, { nil: undefined }) });
  return fc
    .record({
      inputs: fc.array(row, n(size.rows)),
      budgets,
      metric: fc.constantFrom<Metric>('compressed', 'uncompressed'),
      head: commit,
      base: fc.option(commit, { nil: undefined }),
      notes: fc.array(t, n(size.notes))
    })
    .map(({ inputs, budgets: b, metric, head, base, notes }) => {
      const clean = (c: { sha: string; ref: string | undefined }) => (c.ref === undefined ? { sha: c.sha } : { sha: c.sha, ref: c.ref });
      const outcome = buildOutcome({
        metric,
        rows: judge(compare(inputs), b, metric),
        head: clean(head),
        ...(base ? { base: clean(base) } : {}),
        notes
      });
      return { outcome, inputs };
    });
}

const commentKey = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/);

// ── Reading the markdown and the HTML ───────────────────────────────────────────────────────────

/** `&lt;` → `<` etc.: what cmark-gfm escapes in text (and our own `&#39;` in raw HTML). */
function decode(html: string): string {
  return html.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
}

/** A cell's visible text, without our invisible word joiners. */
const visible = (cellHtml: string): string => decode(cellHtml.replace(/<[^>]+>/g, '')).split(WJ).join('');

/** What the UTF-8 pipe to cmark-gfm turns a lone surrogate into. */
const wellFormed = (s: string): string =>
  s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');

/** The text a repository string shows as: one line, capped, word joiners aside; `—` when there is none. */
const shownAs = (s: string, max: number): string => {
  const line = cap(flatten(s), max);
  return line === '' ? '—' : wellFormed(line).split(WJ).join('');
};

interface SourceLine {
  readonly text: string;
  /** Inside a fenced code block (or its fence lines). */
  readonly fenced: boolean;
}

/** The markdown's lines, each marked as inside a fenced code block or not; `open` if a fence never closes. */
function sourceLines(md: string): { lines: SourceLine[]; open: boolean } {
  const lines: SourceLine[] = [];
  let fence = 0;
  for (const line of md.split('\n')) {
    if (fence === 0) {
      const m = /^(`{3,})[^`]*$/.exec(line);
      if (m) fence = m[1]!.length;
      lines.push({ text: line, fenced: fence > 0 });
    } else {
      lines.push({ text: line, fenced: true });
      const close = /^ {0,3}(`+)\s*$/.exec(line);
      if (close && close[1]!.length >= fence) fence = 0;
    }
  }
  return { lines, open: fence > 0 };
}

const DELIMITER_ROW = /^\|(?:\s*:?-+:?\s*\|)+$/;

/** Tables as laid out in the markdown: per table, the cell count of the header and of every row (GFM splitting). */
function sourceTables(lines: readonly SourceLine[]): Array<{ header: number; rows: number[] }> {
  // GFM splits a row at every pipe not preceded by a backslash, code spans included.
  const cellCount = (line: string): number => (line.match(/(?<!\\)\|/g) ?? []).length - 1;
  const tables: Array<{ header: number; rows: number[] }> = [];
  lines.forEach((l, i) => {
    if (l.fenced || !DELIMITER_ROW.test(l.text)) return;
    const rows: number[] = [];
    for (let j = i + 1; j < lines.length && !lines[j]!.fenced && lines[j]!.text.startsWith('|'); j++) rows.push(cellCount(lines[j]!.text));
    tables.push({ header: cellCount(lines[i - 1]!.text), rows });
  });
  return tables;
}

interface HtmlTable {
  readonly header: string[];
  readonly rows: string[][];
}

function htmlTables(html: string): HtmlTable[] {
  return [...html.matchAll(/<table>([\s\S]*?)<\/table>/g)].map((t) => {
    const rows = [...t[1]!.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((r) => [...r[1]!.matchAll(/<t[hd](?: align="\w+")?>([\s\S]*?)<\/t[hd]>/g)].map((c) => c[1]!));
    return { header: (rows[0] ?? []).map(visible), rows: rows.slice(1) };
  });
}

const HEADERS = {
  main: ['Status', 'Target', 'Platform', 'Compressed', 'Δ', 'Uncompressed', 'Δ', 'Layers'],
  layers: ['#', 'Instruction', 'Compressed', 'Uncompressed'],
  changes: ['#', 'Change', 'Instruction', 'Compressed', 'Δ', 'Uncompressed', 'Δ'],
  files: ['Change', 'Path', 'Before', 'After', 'Δ'],
  wasted: ['Wasted', 'Path']
} as const;

/** Every tag the renderer itself writes, or cmark-gfm writes for our markdown. */
const OUR_TAG =
  /^<(?:\/?(?:h3|p|strong|em|del|code|pre|ul|li|table|thead|tbody|tr|th|td|details|summary)|t[hd] align="(?:left|right)"|code class="language-(?:text|mermaid)")>$/;

const SIZE = String.raw`-?\d+(?:\.\d+)? [kMGTPE]?B`;
const BYTES = new RegExp(`^(?:≈ )?${SIZE}$`);
const BYTES_OR_STRUCK = new RegExp(`^(?:—|(?:≈ )?${SIZE}|<del>${SIZE}</del>)$`);
const DELTA = new RegExp(`^(?:—|new|removed|not comparable|0 B|[+-]?${SIZE}(?: \\((?:[+-]\\d+\\.\\d%|[+-]∞%|×[\\d,]+(?:\\.\\d)?|new)\\))?)$`);
const CHANGE = new RegExp(`^(?:${SIZE}|<del>${SIZE}</del>)(?: → ${SIZE})?$|^$`);
const STATUS = /^(?:❌ (?:over budget|build failed)|(?:✅ )?(?:changed|unchanged|new|removed|no baseline|not comparable))$/;
const CODE_CELL = /^(?:<code>[^<]*<\/code>|—)$/;

interface Expected {
  /** `image › target` and platform pairs, as shown. */
  readonly rows: ReadonlyArray<readonly [string, string]>;
  readonly instructions: ReadonlySet<string>;
  readonly paths: ReadonlySet<string>;
}

function expectedFrom(inputs: readonly CompareInput[]): Expected {
  const codeText = (s: string): string => shownAs(s, 240);
  const rows = inputs.map((r) => [`${r.image !== undefined ? `${codeText(r.image)} › ` : ''}${codeText(r.target)}`, shownAs(r.platform, 200)] as const);
  const instructions = new Set<string>(['—']);
  const paths = new Set<string>();
  for (const r of inputs) {
    for (const s of [r.head, r.base]) {
      if (s.state !== 'measured') continue;
      // A table cell shortens a long run without a space in the middle (unit-tested in format.test.ts).
      for (const l of s.image.layers) instructions.add(codeText(shortenRuns(l.instruction, TABLE_RUN_MAX.instruction)));
      for (const p of s.image.files?.final.keys() ?? []) paths.add(codeText(shortenRuns(`/${p}`, TABLE_RUN_MAX.path)));
      for (const w of s.image.files?.wasted ?? []) paths.add(codeText(shortenRuns(`/${w.path}`, TABLE_RUN_MAX.path)));
    }
  }
  return { rows, instructions, paths };
}

/** (b): tables intact, no live HTML, no comment but the marker, no mention or reference. */
function checkRendered(md: string, html: string, expected: Expected, marker: string | undefined): void {
  const { lines } = sourceLines(md);

  // Same number of tables as the markdown lays out; every source row has the header's cell count,
  // and the HTML has every row.
  const laidOut = sourceTables(lines);
  const tables = htmlTables(html);
  expect(tables.length).toBe(laidOut.length);
  laidOut.forEach((t, i) => {
    for (const n of t.rows) expect(n).toBe(t.header);
    expect(tables[i]!.rows.length).toBe(t.rows.length);
  });

  // Every cell holds its whole string in its own column.
  const rowKeys = new Set(expected.rows.map(([a, b]) => `${a}\u0000${b}`));
  for (const t of tables) {
    const kind = (Object.keys(HEADERS) as Array<keyof typeof HEADERS>).find((k) => JSON.stringify(HEADERS[k]) === JSON.stringify(t.header));
    expect(kind).toBeDefined();
    for (const cells of t.rows) {
      expect(cells.length).toBe(t.header.length);
      const [c0, c1, c2, c3, c4, c5, c6, c7] = cells as [string, string, string, string, string, string, string, string];
      switch (kind) {
        case 'main':
          expect(c0).toMatch(STATUS);
          expect(c1).toMatch(/^(?:<code>[^<]*<\/code>|—)(?: › (?:<code>[^<]*<\/code>|—))?$/);
          expect(rowKeys.has(`${visible(c1)}\u0000${visible(c2)}`)).toBe(true);
          expect(c2).not.toMatch(/</);
          for (const c of [c3, c5]) expect(c).toMatch(BYTES_OR_STRUCK);
          for (const c of [c4, c6]) expect(c).toMatch(DELTA);
          expect(c7).toMatch(/^(?:\d+(?: \([+-]\d+\))?|—|<del>\d+<\/del>)$/);
          break;
        case 'layers':
          expect(c0).toMatch(/^\d+$/);
          expect(c1).toMatch(CODE_CELL);
          expect(expected.instructions.has(visible(c1))).toBe(true);
          for (const c of [c2, c3]) expect(c).toMatch(BYTES);
          break;
        case 'changes':
          expect(c0).toMatch(/^(?:\d+|—)$/);
          expect(c1).toMatch(/^(?:changed|added|removed|unchanged)$/);
          expect(c2).toMatch(CODE_CELL);
          expect(expected.instructions.has(visible(c2))).toBe(true);
          for (const c of [c3, c5]) expect(c).toMatch(CHANGE);
          for (const c of [c4, c6]) expect(c).toMatch(DELTA);
          break;
        case 'files':
          expect(c0).toMatch(/^(?:added|removed|grown|shrunk)$/);
          expect(c1).toMatch(CODE_CELL);
          expect(expected.paths.has(visible(c1))).toBe(true);
          for (const c of [c2, c3]) expect(c).toMatch(/^(?:—|\d+(?:\.\d+)? [kMGTPE]?B)$/);
          expect(c4).toMatch(DELTA);
          break;
        case 'wasted':
          expect(c0).toMatch(BYTES);
          expect(c1).toMatch(CODE_CELL);
          expect(expected.paths.has(visible(c1))).toBe(true);
          break;
      }
    }
  }

  // No live HTML from the strings: every tag is one we (or cmark-gfm, for our markdown) write.
  const markerHtml = marker ?? '';
  const tags = [...html.replace(markerHtml, '').matchAll(/<[^>]*>?/g)].map((m) => m[0]);
  expect(tags.filter((tag) => !OUR_TAG.test(tag))).toEqual([]);
  // <details> and <summary> only where the renderer opens a section, each closed.
  const sections = lines.filter((l) => !l.fenced && l.text.startsWith('<details><summary>')).length;
  expect((html.match(/<details>/g) ?? []).length).toBe(sections);
  expect((html.match(/<\/details>/g) ?? []).length).toBe(sections);
  expect((html.match(/<details><summary>/g) ?? []).length).toBe(sections);
  expect((html.match(/<\/summary>/g) ?? []).length).toBe(sections);
  expect((html.match(/<pre>/g) ?? []).length).toBe((html.match(/<\/pre>/g) ?? []).length);

  // The one HTML comment is our marker, last, in the markdown and in the HTML alike; no string can
  // open or close a comment, nor fake the marker.
  const commentsIn = (s: string): number => s.split('<!--').length - 1;
  expect(commentsIn(md)).toBe(marker === undefined ? 0 : 1);
  expect(commentsIn(html)).toBe(marker === undefined ? 0 : 1);
  expect(html.split('-->').length - 1).toBe(marker === undefined ? 0 : 1);
  if (marker !== undefined) {
    expect(md.endsWith(marker)).toBe(true);
    expect(html.trimEnd().endsWith(marker)).toBe(true);
  }

  // No mention or reference where GitHub's linker looks: text nodes outside code and pre.
  const scanned = decode(html.replace(/<pre[\s\S]*?<\/pre>/g, ' ').replace(/<code>[\s\S]*?<\/code>/g, ' ').replace(/<[^>]*>/g, ' '));
  expect(scanned).not.toMatch(/@[A-Za-z0-9]/);
  expect(scanned).not.toMatch(/#\d/);
  expect(scanned).not.toMatch(/\bGH-\d/i);
  // No autolink: the autolink extension would write an <a> (rejected above); say it plainly too.
  expect(html).not.toMatch(/<a[\s>]/);
}

/** (c): the body's size and its structure after trimming; the summary has no marker. */
function checkStructure(md: string, outcome: Outcome, marker: string | undefined, max: number): void {
  // Conservative: UTF-8 bytes ≥ UTF-16 units ≥ code points, whichever GitHub counts.
  expect(Buffer.byteLength(md, 'utf8')).toBeLessThanOrEqual(max);
  expect(md.length).toBeLessThanOrEqual(max);
  expect(Array.from(md).length).toBeLessThanOrEqual(max);
  expect(md).not.toMatch(/\r/);
  const { lines, open } = sourceLines(md);
  expect(open).toBe(false);
  const outside = lines.filter((l) => !l.fenced).map((l) => l.text);
  expect(outside.filter((l) => l.startsWith('<details>')).length).toBe(outside.filter((l) => l === '</details>').length);
  // Heading, then the verdict, never trimmed.
  const [heading, verdict] = md.split('\n\n');
  expect(heading).toMatch(/^### 📦 /);
  expect(verdict).toMatch(outcome.rows.length === 0 ? /^No targets were measured\.$/ : outcome.regressed ? /^❌ \*\*/ : /^✅ \*\*/);
  if (marker === undefined) {
    expect(md).not.toContain('<!--');
  } else {
    expect(md.endsWith(`\n\n${marker}`)).toBe(true);
    expect(md.indexOf('<!--')).toBe(md.length - marker.length);
  }
  // Trimmed in order: a cut table means nothing collapsible is left.
  if (/^_… \d+ more targets? not shown\._$/m.test(md)) expect(outside.some((l) => l.startsWith('<details>'))).toBe(false);
}

// ── Properties ──────────────────────────────────────────────────────────────────────────────────

describe('the comment under cmark-gfm, for arbitrary repository strings', () => {
  test('(b) tables intact, no live HTML, no comment but the marker, no mention or reference', () => {
    fc.assert(
      fc.property(
        outcomeArb({ rows: 6, layers: 6, files: 6, notes: 4, long: 1 }),
        commentKey,
        fc.option(fc.integer({ min: 600, max: 20_000 }), { nil: undefined }),
        fc.constantFrom<Array<'layers' | 'files'>>(['layers', 'files'], ['layers'], ['files'], []),
        fc.option(hostile, { nil: undefined }),
        ({ outcome, inputs }, key, maxChars, details, title) => {
          const marker = stickyMarker(key);
          const md = renderComment(outcome, {
            marker,
            details,
            ...(maxChars === undefined ? {} : { maxChars }),
            ...(title === undefined ? {} : { title })
          });
          checkRendered(md, gfm(md), expectedFrom(inputs), marker);
          checkStructure(md, outcome, marker, maxChars ?? COMMENT_MAX_CHARS);
        }
      ),
      { numRuns: 250 }
    );
  });

  test('(b) the job summary renders the same way, without any comment', () => {
    fc.assert(
      fc.property(outcomeArb({ rows: 5, layers: 5, files: 5, notes: 3, long: 1 }), ({ outcome, inputs }) => {
        const md = renderSummary(outcome, { details: ['layers', 'files'] });
        checkRendered(md, gfm(md), expectedFrom(inputs), undefined);
      }),
      { numRuns: 80 }
    );
  });

  test('(c) never over 65,536 characters, for any number of rows, layers and files and any text', () => {
    fc.assert(
      fc.property(
        outcomeArb({ rows: 70, layers: 110, files: 25, notes: 24, long: 6, size: 'max' }),
        commentKey,
        fc.option(fc.integer({ min: 600, max: COMMENT_MAX_CHARS }), { nil: undefined }),
        ({ outcome, inputs }, key, maxChars) => {
          const marker = stickyMarker(key);
          const max = maxChars ?? COMMENT_MAX_CHARS;
          const md = renderComment(outcome, { marker, details: ['layers', 'files'], ...(maxChars === undefined ? {} : { maxChars }) });
          checkStructure(md, outcome, marker, max);
          checkRendered(md, gfm(md), expectedFrom(inputs), marker);
        }
      ),
      { numRuns: 40 }
    );
  });

  test('(c) the job summary stays within its byte limit the same way', () => {
    fc.assert(
      fc.property(
        outcomeArb({ rows: 70, layers: 110, files: 25, notes: 24, long: 6, size: 'max' }),
        fc.integer({ min: 2_000, max: 300_000 }),
        ({ outcome }, maxBytes) => {
          const md = renderSummary(outcome, { details: ['layers', 'files'], maxBytes });
          checkStructure(md.replace(/\n$/, ''), outcome, undefined, maxBytes);
          expect(Buffer.byteLength(md, 'utf8')).toBeLessThanOrEqual(maxBytes);
        }
      ),
      { numRuns: 25 }
    );
  });
});

describe('shrunk examples found by the properties', () => {
  // A failed build whose log is a line of 255 backticks: cmark-gfm keeps a fence's length in a byte,
  // so the 256-backtick fence counted as 255 and that line closed it; the rest of the comment,
  // marker included, became code.
  test('a build error of 255 backticks stays inside its code block', () => {
    const error = '`'.repeat(255);
    const html = gfm(`<details><summary>x</summary>\n\n${codeBlock(error)}\n\n</details>\n\nafter\n`);
    expect((html.match(/<pre>/g) ?? []).length).toBe(1);
    expect(html).toMatch(/<\/details>\n<p>after<\/p>/);
    expect(visible(html.slice(html.indexOf('<code'), html.indexOf('</code>')).replace(/^<code[^>]*>/, '')).trim()).toBe(error);
  });

  // A Dockerfile instruction (or image label) with a run of 80+ backticks: cmark-gfm matches no code
  // span fence longer than 80 backticks, so the span fell apart and what followed was live markup.
  test('a code span around a run of 81 backticks stays one code span', () => {
    const instruction = `RUN echo ${'`'.repeat(81)} <img src=x onerror=alert(1)> @octocat #12`;
    const cell = codeSpan(instruction);
    const html = gfm(`| # | Instruction |\n|--:|:--|\n| 1 | ${cell} |\n`);
    const [table] = htmlTables(html);
    expect(table!.rows).toHaveLength(1);
    expect(table!.rows[0]![1]).toMatch(/^<code>[^<]*<\/code>$/);
    expect(visible(table!.rows[0]![1]!)).toBe(instruction);
    expect(html).not.toMatch(/<img|<a /);
  });

  test('the longest backtick run inside a code span is below cmark-gfm\'s 80', () => {
    for (const n of [63, 64, 65, 79, 80, 81, 160, 240]) {
      const runs = codeSpan('`'.repeat(n)).match(/`+/g) ?? [];
      expect(Math.max(...runs.map((r) => r.length))).toBeLessThanOrEqual(80);
    }
  });
});
