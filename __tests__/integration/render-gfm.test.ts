// Renders comments with the real GFM renderer (cmark-gfm, the engine behind GitHub's markdown) and
// checks the HTML: tables keep their shape, repository strings never become tags, links or
// mentions, and <details> stay balanced after trimming.
import { describe, expect, it } from '@jest/globals';
import type { Budgets, ImageStats, LayerStats, Outcome, SideResult } from '../../src/model.js';
import { compare, type CompareInput } from '../../src/report/compare.js';
import { codeSpan, escapeCell, flatten, WORD_JOINER } from '../../src/report/escape.js';
import { buildOutcome, judge } from '../../src/report/policy.js';
import { renderComment, renderSummary, SELF_REPORTED_NOTE } from '../../src/report/render.js';
import { gfm } from '../support/gfm.js';

const MARKER = '<!-- image-budget:image-budget -->';


function decode(html: string): string {
  return html
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

const text = (cellHtml: string): string => decode(cellHtml.replace(/<[^>]+>/g, '')).split(WORD_JOINER).join('');

interface Table {
  readonly header: string[];
  readonly rows: string[][];
}

function tables(html: string): Table[] {
  return [...html.matchAll(/<table>([\s\S]*?)<\/table>/g)].map((t) => {
    const rows = [...t[1]!.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((r) =>
      [...r[1]!.matchAll(/<t[hd](?: align="\w+")?>([\s\S]*?)<\/t[hd]>/g)].map((c) => c[1]!)
    );
    return { header: rows[0] ?? [], rows: rows.slice(1) };
  });
}

const ALLOWED_TAGS = new Set([
  'h3', 'p', 'strong', 'em', 'del', 'code', 'pre', 'ul', 'li', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'details', 'summary'
]);

function checkSafeHtml(html: string): void {
  const tags = new Set([...html.matchAll(/<\/?([a-zA-Z][a-zA-Z0-9]*)/g)].map((m) => m[1]!.toLowerCase()));
  expect([...tags].filter((t) => !ALLOWED_TAGS.has(t))).toEqual([]);
  // The only comment is our marker, last.
  expect(html.match(/<!--/g)).toEqual(['<!--']);
  expect(html.trimEnd().endsWith(MARKER)).toBe(true);
  // No autolinks or mentions in text GitHub would scan (code and pre are not scanned).
  const scanned = decode(html.replace(/<pre[\s\S]*?<\/pre>/g, '').replace(/<code>[\s\S]*?<\/code>/g, '').replace(/<[^>]+>/g, ' '));
  expect(scanned).not.toMatch(/(^|[^\w`])@[a-z0-9]/i);
  expect(scanned).not.toMatch(/(^|\W)#\d/);
  expect(scanned).not.toMatch(/\bGH-\d/i);
  // Balanced blocks.
  expect((html.match(/<details>/g) ?? []).length).toBe((html.match(/<\/details>/g) ?? []).length);
  expect((html.match(/<pre>/g) ?? []).length).toBe((html.match(/<\/pre>/g) ?? []).length);
}

// ── Hostile fixtures ────────────────────────────────────────────────────────────────────────────

const HOSTILE = [
  'a|b',
  'a\\|b',
  '`tick` ``two``',
  '<script>alert(1)</script>',
  '<!-- image-budget:x -->',
  '--> <!--',
  '@octocat and @org/team',
  '#12 and o/r#34 and GH-56',
  'line\nbreak\r\nthird',
  '*em* _u_ ~~s~~ [l](http://x.io)',
  'https://evil.example www.evil.example me@example.com',
  '</td></tr></table></details>',
  '<details><summary>x',
  '$x$ &amp; &#64;octocat',
  '- list | - item',
  '1. ordered',
  '# heading',
  '> quote',
  '\\',
  '|'
];

const digest = (n: number): string => `sha256:${n.toString(16).padStart(64, '0')}`;

function layer(n: number, size: number, instruction: string): LayerStats {
  return { digest: digest(n), mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', compressedBytes: size, uncompressedBytes: size * 2, instruction };
}

function image(target: string, platform: string, layers: LayerStats[]): ImageStats {
  return {
    target,
    platform,
    digest: digest(1),
    configDigest: digest(2),
    compressedBytes: layers.reduce((n, l) => n + l.compressedBytes, 0),
    uncompressedBytes: layers.reduce((n, l) => n + l.uncompressedBytes, 0),
    layerCount: layers.length,
    layers,
    method: 'oci-layout'
  };
}

const m = (i: ImageStats): SideResult => ({ state: 'measured', image: i });
const BUDGETS: Budgets = {
  maxIncrease: { fallback: { kind: 'percent', percent: 10, text: '10%' }, byTarget: new Map() },
  maxSize: { byTarget: new Map() },
  maxLayers: { fallback: 5, byTarget: new Map() }
};

function outcome(rows: CompareInput[], notes: string[] = []): Outcome {
  return buildOutcome({
    metric: 'compressed',
    rows: judge(compare(rows), BUDGETS, 'compressed'),
    head: { sha: 'a'.repeat(40), ref: 'feat/@octocat-<b>' },
    base: { sha: 'b'.repeat(40), ref: 'main' },
    notes
  });
}

const statuses: Array<(name: string, i: number) => CompareInput> = [
  (name, i) => ({
    target: name,
    platform: `linux/${name}`,
    head: m(image(name, name, [layer(i * 10, 1000, 'RUN a'), layer(i * 10 + 1, 5000 + i, `RUN ${name}`)])),
    base: m(image(name, name, [layer(i * 10, 1000, 'RUN a'), layer(i * 10 + 2, 1000, `COPY ${name} /x`)]))
  }),
  (name) => ({ target: name, platform: name, head: m(image(name, name, [layer(7, 10, name)])), base: { state: 'absent' } }),
  (name) => ({ target: name, platform: name, head: { state: 'absent' }, base: m(image(name, name, [layer(8, 10, name)])) }),
  (name) => ({ target: name, platform: name, head: { state: 'failed', error: `${name}\n\`\`\`\n${name}\n<!-- x -->` }, base: { state: 'absent' } }),
  (name) => ({ target: name, platform: name, head: m(image(name, name, [layer(9, 10, name)])), base: { state: 'unavailable', reason: name } })
];

const hostileRows = HOSTILE.map((name, i) => statuses[i % statuses.length]!(name, i));
const hostile = outcome(hostileRows, HOSTILE);

const STATUS_TEXT = /^(❌ (over budget|build failed)|(✅ )?(changed|unchanged|new|removed|no baseline))$/;

describe('the comment rendered by cmark-gfm', () => {
  const md = renderComment(hostile, { marker: MARKER, details: ['layers'] });
  const html = gfm(md);
  const [main, ...layerTables] = tables(html);

  it('has one main table row per target, 8 cells each, holding exactly the repository strings', () => {
    expect(main!.header.map(text)).toEqual(['Status', 'Target', 'Platform', 'Compressed', 'Δ', 'Uncompressed', 'Δ', 'Layers']);
    expect(main!.rows).toHaveLength(HOSTILE.length);
    main!.rows.forEach((cells, i) => {
      const row = hostileRows[i]!;
      expect(cells).toHaveLength(8);
      expect(text(cells[0]!)).toMatch(STATUS_TEXT);
      expect(text(cells[1]!)).toBe(flatten(row.target));
      expect(cells[1]).toMatch(/^<code>[\s\S]*<\/code>$/);
      expect(text(cells[2]!)).toBe(flatten(row.platform));
    });
  });

  it('keeps every layer table at its column count, with instructions as code', () => {
    expect(layerTables.length).toBeGreaterThan(5);
    for (const t of layerTables) {
      const width = t.header.length;
      expect([4, 7]).toContain(width);
      for (const cells of t.rows) {
        expect(cells).toHaveLength(width);
        expect(text(cells[0]!)).toMatch(/^(\d+|—)$/);
        const instruction = cells[width === 7 ? 2 : 1]!;
        expect(instruction).toMatch(/^<code>[\s\S]*<\/code>$/);
        if (width === 7) expect(text(cells[1]!)).toMatch(/^(changed|added|removed)$/);
      }
    }
  });

  it('lets no tag, comment, link or mention through from repository strings', () => {
    checkSafeHtml(html);
  });

  it('shows every note and failing reason as one list item of plain text', () => {
    const items = [...html.matchAll(/<li>([\s\S]*?)<\/li>/g)].map((x) => x[1]!);
    const failing = hostile.rows.flatMap((r) => r.verdicts.filter((v) => !v.ok));
    expect(items).toHaveLength(failing.length + HOSTILE.length);
    const notes = items.slice(failing.length).map(text);
    expect(notes).toEqual(HOSTILE.map((n) => flatten(n)));
  });

  it('shows the build log in a code block that nothing inside can close', () => {
    const pres = [...html.matchAll(/<pre><code class="language-text">([\s\S]*?)<\/code><\/pre>/g)].map((x) => decode(x[1]!));
    expect(pres.length).toBe(hostile.rows.filter((r) => r.head.state === 'failed').length);
    for (const p of pres) expect(p).toContain('```');
  });
});

describe('the causes of growth rendered by cmark-gfm', () => {
  // Every repository string where a cause shows one: target, platform, directory, instruction.
  // Paths as a tar lists them: no empty segments.
  const dir = (name: string): string => `${name.replace(/\/+/g, '/')}/.git/`;
  const rows = HOSTILE.map((name, i): CompareInput => {
    const head = image(name, name, [layer(i * 10, 1000, 'RUN a'), layer(i * 10 + 1, 5000, name)]);
    const files = { final: new Map([[`${dir(name)}HEAD`, 41], ['var/lib/apt/lists/x', 9000]]), layerOf: new Map([[`${dir(name)}HEAD`, 1], ['var/lib/apt/lists/x', 1]]), wastedBytes: 0, wasted: [] };
    const base = image(name, name, [layer(i * 10, 1000, 'RUN a')]);
    return { target: name, platform: name, head: m({ ...head, files }), base: m({ ...base, files: { final: new Map(), wastedBytes: 0, wasted: [] } }) };
  });
  const html = gfm(renderComment(outcome(rows), { marker: MARKER, details: [], advice: true }));

  it('lets no tag, comment, link or mention through', () => {
    checkSafeHtml(html);
  });

  it('shows one list per target, each cause one item with its directory and instruction as code', () => {
    const sections = html.split('<p><strong>Why it grew</strong>').slice(1);
    expect(sections).toHaveLength(HOSTILE.length);
    sections.forEach((section, i) => {
      const name = HOSTILE[i]!;
      const list = /^[\s\S]*?<\/p>\n<ul>\n([\s\S]*?)\n<\/ul>\n(?:<p>|<details>|$)/.exec(section)?.[1] ?? '';
      const causes = [...list.matchAll(/^<li><strong>([^<]*)<\/strong>/gm)].map((x) => x[1]);
      expect(causes).toEqual(['apt package lists', '.git folder']);
      const codes = [...list.matchAll(/<li><code>([\s\S]*?)<\/code> \+/g)].map((x) => text(x[1]!));
      expect(codes).toEqual(['/var/lib/apt/lists/', flatten(`/${dir(name)}`)]);
      const instructions = [...list.matchAll(/layer 2: <code>([\s\S]*?)<\/code><\/li>/g)].map((x) => text(x[1]!));
      expect(instructions).toEqual([flatten(name), flatten(name)]);
    });
  });
});

describe('escape primitives through cmark-gfm', () => {
  it.each(HOSTILE)('escapeCell(%j) renders as its own text in one cell', (s) => {
    const html = gfm(`| a | b |\n|---|---|\n| ${escapeCell(s)} | ${codeSpan(s)} |\n`);
    const [t] = tables(html);
    expect(t!.rows).toHaveLength(1);
    expect(t!.rows[0]).toHaveLength(2);
    expect(text(t!.rows[0]![0]!)).toBe(flatten(s));
    expect(text(t!.rows[0]![1]!)).toBe(flatten(s));
    expect(html).not.toMatch(/<a |<script|<!--|<details|<b>/);
  });

  it.each(HOSTILE)('escapeCell(%j) is one paragraph when it starts a list item', (s) => {
    const html = gfm(`- ${escapeCell(s)}\n`);
    expect(html).toBe(`<ul>\n<li>${html.slice(9, -12)}</li>\n</ul>\n`);
    expect(html.match(/<li>/g)).toHaveLength(1);
    expect(html).not.toMatch(/<(ol|h\d|blockquote|a |script|hr)/);
  });
});

describe('look-alike names rendered by cmark-gfm (issue 16)', () => {
  // Names that a browser would show as "release" were their invisible characters kept.
  const NAMES = ['release', 'rel\u200bease', 'release\u2060', 'rel\u00adease', 'rele\u200dase', '\u202arelease\u202c', '\ufeffrelease', 'rel\u{e0041}ease'];
  const md = renderComment(outcome(NAMES.map((n, i) => statuses[0]!(n, i + 200)), NAMES), { marker: MARKER, details: ['layers'] });
  const html = gfm(md);
  /** What a reader sees: the text of the cell, without what shows nothing. */
  const seen = (cell: string): string => text(cell).replace(/[\p{Default_Ignorable_Code_Point}\p{Cf}]/gu, '');

  it('shows every name differently, its invisible characters as escapes', () => {
    const cells = tables(html)[0]!.rows.map((r) => seen(r[1]!));
    expect(cells).toHaveLength(NAMES.length);
    expect(new Set(cells).size).toBe(NAMES.length);
    expect(cells).toContain('rel\\u200bease');
    expect(cells).toContain('\\u202arelease\\u202c');
    expect(cells).toContain('rel\\u{e0041}ease');
    // The same in the notes, the failing reasons and the layer tables' headings.
    const items = [...html.matchAll(/<li>([\s\S]*?)<\/li>/g)].map((x) => seen(x[1]!));
    expect(new Set(items.slice(-NAMES.length)).size).toBe(NAMES.length);
    expect(new Set(items.slice(0, NAMES.length)).size).toBe(NAMES.length);
    // No invisible character of the input reaches the page (our own word joiners aside).
    expect(decode(html).split(WORD_JOINER).join('')).not.toMatch(/[\u200b-\u200f\u202a-\u202e\u2061-\u2069\ufeff\u00ad]|\u{e0041}/u);
  });
});

describe('the self-reported note of mode comment, rendered by cmark-gfm (issue 16)', () => {
  it('is one paragraph of emphasised text after the verdict', () => {
    const html = gfm(renderComment(hostile, { marker: MARKER, details: [], selfReported: true }));
    const paragraphs = [...html.matchAll(/<p>([\s\S]*?)<\/p>/g)].map((x) => x[1]!);
    expect(paragraphs[1]).toBe(`<em>${SELF_REPORTED_NOTE.slice(1, -1)}</em>`);
    checkSafeHtml(html);
  });
});

describe('trimmed comments rendered by cmark-gfm', () => {
  const many = outcome(
    Array.from({ length: 60 }, (_, i) => statuses[i % 5]!(`${HOSTILE[i % HOSTILE.length]!} ${i}`, i + 100)).map((r) => ({
      ...r,
      head:
        r.head.state === 'measured'
          ? m(image(r.target, r.platform, Array.from({ length: 40 }, (_, j) => layer(j * 1000 + r.target.length, 1000 + j, `RUN ${'`|<!--'.repeat(20)} ${j}`))))
          : r.head
    }))
  );

  it.each([
    ['details dropped', 30_000],
    ['unchanged and details gone, rows cut', 4_000],
    ['almost nothing fits', 300]
  ])('%s (max %p): balanced, safe, marker last', (_name, maxChars) => {
    const md = renderComment(many, { marker: MARKER, details: ['layers'], maxChars });
    expect(md.length).toBeLessThanOrEqual(maxChars);
    const html = gfm(md);
    checkSafeHtml(html);
    const [main] = tables(html);
    for (const cells of main?.rows ?? []) {
      expect(cells).toHaveLength(8);
      expect(text(cells[0]!)).toMatch(STATUS_TEXT);
    }
    expect(html).toContain('Full report in the job summary.');
  });

  it('the job summary renders the same way, without the marker', () => {
    const html = gfm(renderSummary(hostile, { details: ['layers'] }));
    expect(html).not.toContain('<!--');
    expect((html.match(/<details>/g) ?? []).length).toBe((html.match(/<\/details>/g) ?? []).length);
    expect(tables(html)[0]!.rows).toHaveLength(HOSTILE.length);
  });
});

describe('docs/report-schema.md', () => {
  it('has an example that validates and renders', async () => {
    const { readFile } = await import('node:fs/promises');
    const { outcomeFromReport } = await import('../../src/report/report.js');
    const { validateReport } = await import('../../src/report/validate.js');
    const doc = await readFile(new URL('../../docs/report-schema.md', import.meta.url), 'utf8');
    const example = /```json\n([\s\S]*?)\n```/.exec(doc)?.[1];
    expect(example).toBeDefined();
    const read = validateReport(JSON.parse(example!));
    if (!read.ok) throw new Error(read.error);
    expect(read.report.targets.map((t) => t.status)).toEqual(['changed', 'head-failed']);
    const html = gfm(renderComment(outcomeFromReport(read.report), { marker: MARKER, details: ['layers'] }));
    checkSafeHtml(html);
    expect(html).toContain('+2.10 MB (+12.0%) exceeds max-increase 10%');
  });
});
