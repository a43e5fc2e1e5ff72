// The terminal renderer: colour decisions, control characters from the repository shown as escapes,
// display widths (CJK, emoji, combining marks) and columns that stay aligned with them, and the
// content of the comparison and measurement reports. Table-driven; outcomes are made by the real
// compare / judge / buildOutcome, no mocks.
import { testImage, testLayer } from '../support/outcomes.js';
import { describe, expect, it } from '@jest/globals';
import type { Budgets, FileStats, ImageStats, JudgedRow, LayerStats, Outcome, SideResult, Threshold } from '../../src/model.js';
import { compare, type CompareInput } from '../../src/report/compare.js';
import { escapeControls } from '../../src/report/escape.js';
import { buildOutcome, judge } from '../../src/report/policy.js';
import { ERROR_LINES_MAX, TERMINAL_FILES_MAX, TERMINAL_LAYERS_MAX, renderMeasurement, renderOutcome, type TerminalOptions } from '../../src/report/terminal.js';
import { colourWanted, displayWidth, truncate } from '../../src/report/terminal-text.js';

// ── Fixtures ────────────────────────────────────────────────────────────────────────────────────

const HEAD = { sha: '1111111111222222222233333333334444444444', ref: 'refs/heads/feature' };
const BASE = { sha: 'aaaaaaaaaabbbbbbbbbbccccccccccdddddddddd', ref: 'main' };
const digest = (n: number): string => `sha256:${n.toString(16).padStart(64, '0')}`;
const ESC = '\u001b';
// eslint-disable-next-line no-control-regex
const SGR = /\u001b\[\d+m/g;
const plain = (s: string): string => s.replace(SGR, '');

const layer = (n: number, compressed: number, instruction?: string): LayerStats => testLayer(n, compressed, 3, instruction);
const image = testImage;

const m = (i: ImageStats): SideResult => ({ state: 'measured', image: i });
const pct = (percent: number): Threshold => ({ kind: 'percent', percent, text: `${percent}%` });
const BUDGETS: Budgets = { maxIncrease: { fallback: pct(10), byTarget: new Map() }, maxSize: { byTarget: new Map() }, maxLayers: { byTarget: new Map() } };
const NO_BUDGETS: Budgets = { maxIncrease: { byTarget: new Map() }, maxSize: { byTarget: new Map() }, maxLayers: { byTarget: new Map() } };

function outcomeOf(rows: CompareInput[], options: { notes?: string[]; budgets?: Budgets; base?: boolean } = {}): Outcome {
  return buildOutcome({
    metric: 'compressed',
    rows: judge(compare(rows), options.budgets ?? BUDGETS, 'compressed'),
    head: HEAD,
    ...(options.base === false ? {} : { base: BASE }),
    notes: options.notes ?? ['Budgets (compressed size): max-increase 10%']
  });
}

const baseLayers = [layer(1, 2_800_000, 'ADD alpine.tar.gz / # buildkit'), layer(2, 9_000_000, 'RUN /bin/sh -c apk add python3 # buildkit')];
const headLayers = [baseLayers[0]!, baseLayers[1]!, layer(3, 6_600_000, 'COPY /app /app # buildkit')];

/** release grows by 6.6 MB (+56%): over the 10% budget; debug is unchanged. */
const regression = outcomeOf([
  { target: 'release', platform: 'linux/amd64', head: m(image('release', headLayers)), base: m(image('release', baseLayers)) },
  { target: 'debug', platform: 'linux/amd64', head: m(image('debug', baseLayers)), base: m(image('debug', baseLayers)) }
]);

const OPTIONS: TerminalOptions = { colour: false, details: ['layers', 'files'] };

/** The main table's lines: from the header (starts with "Target") to the first blank line. */
function mainTable(text: string): string[] {
  const lines = plain(text).split('\n');
  const start = lines.findIndex((l) => l.startsWith('Target'));
  const end = lines.indexOf('', start);
  return lines.slice(start, end);
}

/** Display offset of each column, from the rule line's runs of dashes. */
function columnStarts(rule: string): number[] {
  const starts: number[] = [];
  for (const match of rule.matchAll(/-+/g)) starts.push(displayWidth(rule.slice(0, match.index)));
  return starts;
}

// ── Colour ─────────────────────────────────────────────────────────────────────────────────────

describe('colourWanted', () => {
  const cases: ReadonlyArray<readonly [name: string, env: Record<string, string>, tty: boolean, expected: boolean]> = [
    ['a TTY', {}, true, true],
    ['a pipe', {}, false, false],
    ['a TTY with NO_COLOR=1', { NO_COLOR: '1' }, true, false],
    ['a TTY with an empty NO_COLOR (ignored, as no-color.org says)', { NO_COLOR: '' }, true, true],
    ['a dumb terminal', { TERM: 'dumb' }, true, false],
    ['a pipe with FORCE_COLOR=1', { FORCE_COLOR: '1' }, false, true],
    ['a pipe with an empty FORCE_COLOR', { FORCE_COLOR: '' }, false, true],
    ['a pipe with FORCE_COLOR=3', { FORCE_COLOR: '3' }, false, true],
    ['a TTY with FORCE_COLOR=0', { FORCE_COLOR: '0' }, true, false],
    ['a TTY with FORCE_COLOR=false', { FORCE_COLOR: 'false' }, true, false],
    ['FORCE_COLOR wins over NO_COLOR (as in Node.js)', { FORCE_COLOR: '1', NO_COLOR: '1' }, false, true],
    ['a TTY with FORCE_COLOR=" 0 " (spaces ignored)', { FORCE_COLOR: ' 0 ' }, true, false],
    ['a TTY with FORCE_COLOR=FALSE (any case)', { FORCE_COLOR: 'FALSE' }, true, false]
  ];
  it.each(cases)('%s', (_name, env, tty, expected) => {
    expect(colourWanted(env, tty)).toBe(expected);
  });
});

// ── Text ───────────────────────────────────────────────────────────────────────────────────────

describe('escapeControls', () => {
  const cases: ReadonlyArray<readonly [name: string, input: string, expected: string]> = [
    ['plain text', 'release-1.2_x', 'release-1.2_x'],
    ['non-ASCII letters', 'café 中文 👍', 'café 中文 👍'],
    ['an SGR sequence', `${ESC}[31mred`, '\\x1b[31mred'],
    ['clear screen', `${ESC}[2J${ESC}[H`, '\\x1b[2J\\x1b[H'],
    ['a window title (OSC ... BEL)', `${ESC}]0;pwned\u0007`, '\\x1b]0;pwned\\x07'],
    ['the one-byte CSI', '\u009b2J', '\\x9b2J'],
    ['carriage return and line feed', 'a\r\nb', 'a\\x0d\\x0ab'],
    ['tab, NUL and DEL', '\t\u0000\u007f', '\\x09\\x00\\x7f'],
    ['a right-to-left override', 'abc\u202egnp.exe', 'abc\\u202egnp.exe'],
    ['an isolate and the line separator', '\u2066x\u2028', '\\u2066x\\u2028'],
    ['zero-width characters (look-alike names, issue 16)', 'rel\u200bease\u2060\ufeff', 'rel\\u200bease\\u2060\\ufeff']
  ];
  it.each(cases)('%s', (_name, input, expected) => {
    expect(escapeControls(input)).toBe(expected);
  });
});

describe('displayWidth', () => {
  const cases: ReadonlyArray<readonly [name: string, text: string, cells: number]> = [
    ['empty', '', 0],
    ['ASCII', 'release', 7],
    ['CJK ideographs', '中文', 4],
    ['Hangul', '한국어', 6],
    ['the first and last Hangul syllables (both ends of a wide range)', '가힣', 4],
    ['fullwidth forms', 'ＡＢ', 4],
    ['hiragana with ASCII', 'aあb', 4],
    ['a combining accent', 'e\u0301', 1],
    ['a zero-width space', 'a\u200bb', 2],
    ['an emoji', '👍', 2],
    ['an emoji with a skin tone', '👍🏽', 2],
    ['a ZWJ family', '👨\u200d👩\u200d👧', 2],
    ['a flag', '🇫🇷', 2],
    ['a text symbol with VS16 (emoji presentation)', '❤️', 2],
    ['check and cross marks', '✓✗', 2],
    ['accented Latin', 'Ünïcödé', 7]
  ];
  it.each(cases)('%s', (_name, text, cells) => {
    expect(displayWidth(text)).toBe(cells);
  });
});

describe('truncate', () => {
  const cases: ReadonlyArray<readonly [name: string, text: string, max: number, expected: string]> = [
    ['fits', 'release', 7, 'release'],
    ['cut', 'release-candidate', 10, 'release...'],
    ['wide characters, cut between them', '中文字符', 7, '中文...'],
    ['a wide character never split', '中文字符', 6, '中...'],
    ['an emoji sequence kept whole', '👨\u200d👩\u200d👧👨\u200d👩\u200d👧xyz', 6, '👨\u200d👩\u200d👧...'],
    ['narrower than the ellipsis', 'abcdef', 2, '..']
  ];
  it.each(cases)('%s', (_name, text, max, expected) => {
    const out = truncate(text, max);
    expect(out).toBe(expected);
    expect(displayWidth(out)).toBeLessThanOrEqual(max);
  });
});

// ── The comparison ─────────────────────────────────────────────────────────────────────────────

describe('renderOutcome', () => {
  it('a regression: verdict, aligned table, failed check, notes, layer details, commits', () => {
    const text = renderOutcome(regression, OPTIONS);
    expect(text).not.toContain(ESC);
    const lines = text.split('\n');
    expect(lines[0]).toBe('✗ 1 target over budget  2 targets: 1 changed, 1 unchanged; budgets judge the compressed size');
    expect(mainTable(text)).toEqual([
      'Target   Platform     Compressed  +/-                Uncompressed  +/-                Layers  Status',
      '-------  -----------  ----------  -----------------  ------------  -----------------  ------  -------------',
      'release  linux/amd64     18.4 MB  +6.60 MB (+55.9%)       55.2 MB  +19.8 MB (+55.9%)  3 (+1)  ✗ over budget',
      'debug    linux/amd64     11.8 MB  0 B                     35.4 MB  0 B                     2  ✓ unchanged'
    ]);
    expect(text).toContain('Failed checks\n  ✗ release (linux/amd64): +6.60 MB (+55.9%) exceeds max-increase 10%');
    expect(text).toContain('Notes\n  - Budgets (compressed size): max-increase 10%');
    expect(text).toContain('release (linux/amd64): 1 of 3 layers changed');
    expect(text).toContain(
      [
        '  #  Change  Compressed  +/-       Uncompressed  +/-       Instruction',
        '  -  ------  ----------  --------  ------------  --------  -------------------------',
        '  3  added      6.60 MB  +6.60 MB       19.8 MB  +19.8 MB  COPY /app /app # buildkit'
      ].join('\n')
    );
    expect(text).toContain('2 unchanged layers not shown.');
    // debug is unchanged: no detail section of its own.
    expect(text).not.toContain('debug (linux/amd64):');
    expect(text.endsWith('Compared base aaaaaaa (main) with head 1111111 (refs/heads/feature).\n')).toBe(true);
  });

  it('colour adds only SGR sequences, around the same text', () => {
    const coloured = renderOutcome(regression, { ...OPTIONS, colour: true });
    expect(coloured).toContain(`${ESC}[31m`);
    expect(coloured).toContain(`${ESC}[1mrelease${ESC}[22m`);
    expect(coloured.replace(SGR, '')).not.toContain(ESC);
    expect(plain(coloured)).toBe(renderOutcome(regression, OPTIONS));
  });

  it('details none leaves out the per-target sections', () => {
    const text = renderOutcome(regression, { ...OPTIONS, details: [] });
    expect(text).not.toContain('layers changed');
    expect(text).toContain('Failed checks');
  });

  it('within budget, and without any budget', () => {
    const shrink = [
      { target: 'release', platform: 'linux/amd64', head: m(image('release', baseLayers)), base: m(image('release', headLayers)) }
    ];
    expect(renderOutcome(outcomeOf(shrink), OPTIONS).split('\n')[0]).toBe('✓ Within budget  1 target: 1 changed; budgets judge the compressed size');
    expect(renderOutcome(outcomeOf(shrink, { budgets: NO_BUDGETS }), OPTIONS).split('\n')[0]).toBe('✓ No budget set  1 target: 1 changed');
    expect(mainTable(renderOutcome(outcomeOf(shrink), OPTIONS))[2]).toContain('-6.60 MB (-35.9%)');
  });

  it('no base commit: the footer says what was measured', () => {
    const rows = [{ target: 'release', platform: 'linux/amd64', head: m(image('release', headLayers)), base: { state: 'unavailable', reason: 'baseline: none' } as const }];
    const text = renderOutcome(outcomeOf(rows, { base: false }), OPTIONS);
    expect(text).toContain('Measured head 1111111 (refs/heads/feature); no base commit to compare with.');
    expect(text).toContain('release (linux/amd64): 3 layers');
  });

  const statusCases: ReadonlyArray<readonly [name: string, row: CompareInput, cells: RegExp]> = [
    ['new', { target: 'web', platform: 'linux/amd64', head: m(image('web', baseLayers)), base: { state: 'absent' } }, /^web +linux\/amd64 +11\.8 MB {2}new +35\.4 MB {2}new +2 {2}new$/],
    [
      'removed',
      { target: 'old', platform: 'linux/amd64', head: { state: 'absent' }, base: m(image('old', baseLayers)) },
      /^old +linux\/amd64 +- {2}-11\.8 MB +- {2}-35\.4 MB +- {2}removed$/
    ],
    [
      'no baseline',
      { target: 'api', platform: 'linux/amd64', head: m(image('api', baseLayers)), base: { state: 'unavailable', reason: 'fetch failed' } },
      /^api +linux\/amd64 +11\.8 MB {2}- +35\.4 MB {2}- +2 {2}no baseline$/
    ],
    [
      'not comparable (measured by different methods)',
      {
        target: 'api',
        platform: 'linux/amd64',
        head: m(image('api', baseLayers)),
        base: m(image('api', baseLayers, { method: 'docker-save', compressedEstimated: true }))
      },
      /^api +linux\/amd64 +11\.8 MB {2}not comparable +35\.4 MB {2}not comparable +2 {2}not comparable$/
    ],
    [
      'an estimated size (classic image store)',
      {
        target: 'api',
        platform: 'linux/amd64',
        head: m(image('api', headLayers, { method: 'docker-save', compressedEstimated: true })),
        base: m(image('api', baseLayers, { method: 'docker-save', compressedEstimated: true }))
      },
      /^api +linux\/amd64 +≈ 18\.4 MB {2}\+6\.60 MB \(\+55\.9%\) +55\.2 MB/
    ],
    ['a failed head build', { target: 'api', platform: '', head: { state: 'failed', error: 'boom' }, base: m(image('api', baseLayers)) }, /^api +- +- {2}- +- {2}- +- {2}✗ build failed$/]
  ];
  it.each(statusCases)('a row that is %s', (_name, row, cells) => {
    const table = mainTable(renderOutcome(outcomeOf([row], { budgets: NO_BUDGETS }), OPTIONS));
    expect(table[2]).toMatch(cells);
  });

  it('a failed head build shows the end of its error, escaped', () => {
    const error = [...Array.from({ length: 30 }, (_, i) => `#${i} step output`), `ERROR: ${ESC}[2Jprocess "/bin/sh -c false" did not complete successfully`].join('\n');
    const rows: CompareInput[] = [{ target: 'api', platform: '', head: { state: 'failed', error }, base: m(image('api', baseLayers)) }];
    const text = renderOutcome(outcomeOf(rows), OPTIONS);
    expect(text).not.toContain(ESC);
    expect(text).toContain('Build of api failed\n    (11 earlier lines not shown)\n    #11 step output\n');
    expect(text).toContain('    ERROR: \\x1b[2Jprocess "/bin/sh -c false" did not complete successfully');
    expect(text.split('\n').filter((l) => l.startsWith('    #'))).toHaveLength(ERROR_LINES_MAX - 1);
    expect(text).toContain('✗ api: build failed: ERROR: \\x1b[2Jprocess');
  });

  it('wide, emoji and control-character names: escaped, and every column still lines up', () => {
    const names = ['中文目标', 'ok👍', `evil${ESC}[2J${ESC}]0;title\u0007`, 'e\u0301cole', '\u202eesrever'];
    const rows: CompareInput[] = names.map((target, i) => ({
      target,
      platform: 'linux/amd64',
      head: m(image(target, [layer(10 + i, 1000 * (i + 1))])),
      base: m(image(target, [layer(20 + i, 900 * (i + 1))]))
    }));
    const text = renderOutcome(outcomeOf(rows), OPTIONS);
    expect(text).not.toContain(ESC);
    expect(text).not.toContain('\u0007');
    expect(text).not.toContain('\u202e');
    expect(text).toContain('evil\\x1b[2J\\x1b]0;title\\x07');
    expect(text).toContain('\\u202eesrever');
    const table = mainTable(text);
    const starts = columnStarts(table[1]!);
    expect(starts).toHaveLength(8);
    // Each column's text begins at the rule's offset (left-aligned) or ends at its end (right-aligned).
    const ruleEnds = [...table[1]!.matchAll(/-+/g)].map((x) => displayWidth(table[1]!.slice(0, x.index)) + x[0].length);
    for (const line of table.slice(2)) {
      const status = line.slice(line.search(/[✓✗] \S+( \S+)?$/));
      expect(displayWidth(line.slice(0, line.length - status.length))).toBe(starts[7]);
      const platformAt = line.indexOf('linux/amd64');
      expect(displayWidth(line.slice(0, platformAt))).toBe(starts[1]);
      const compressedEnd = line.indexOf(' kB') + ' kB'.length;
      expect(displayWidth(line.slice(0, compressedEnd))).toBe(ruleEnds[2]);
    }
  });

  it('long instructions are cut to the width, by display cells', () => {
    const long = `RUN ${'中'.repeat(80)} && echo ${'x'.repeat(200)}`;
    const rows: CompareInput[] = [
      { target: 'release', platform: 'linux/amd64', head: m(image('release', [layer(1, 5000, long)])), base: m(image('release', [layer(2, 4000)])) }
    ];
    // The columns before the instruction take 60 cells here; an instruction keeps at least 24.
    for (const width of [90, 120]) {
      const text = renderOutcome(outcomeOf(rows), { ...OPTIONS, width });
      const detail = text.split('\n').filter((l) => l.includes('RUN 中'));
      expect(detail).toHaveLength(1);
      expect(detail[0]!.endsWith('...')).toBe(true);
      expect(displayWidth(detail[0]!)).toBeLessThanOrEqual(width);
      expect(displayWidth(detail[0]!)).toBeGreaterThan(width - 2);
    }
  });

  it('file details: the largest file changes and the wasted space beside the base', () => {
    const files = (final: Record<string, number>, wastedBytes: number, wasted: FileStats['wasted'] = []): FileStats => ({
      final: new Map(Object.entries(final)),
      wastedBytes,
      wasted
    });
    const head = image('release', headLayers, { files: files({ 'app/bin': 5000, 'app/data.txt': 700_000, 'etc/conf': 10 }, 300_000, [{ path: 'tmp/build.log', bytes: 300_000 }]) });
    const base = image('release', baseLayers, { files: files({ 'app/bin': 4000, 'etc/conf': 10, 'old.txt': 50 }, 0) });
    const text = renderOutcome(outcomeOf([{ target: 'release', platform: 'linux/amd64', head: m(head), base: m(base) }]), OPTIONS);
    expect(text).toContain('release (linux/amd64): 3 files changed, 300 kB wasted');
    expect(text).toContain(
      [
        '  Change    Before    After  +/-       Path',
        '  -------  -------  -------  --------  -------------',
        '  added          -   700 kB  +700 kB   /app/data.txt',
        '  grown    4.00 kB  5.00 kB  +1.00 kB  /app/bin',
        '  removed     50 B        -  -50 B     /old.txt',
        '  Wasted space: 300 kB (0.5% of the image); base: 0 B. Files a later layer overwrites or deletes still ship in the earlier one.'
      ].join('\n')
    );
    expect(text).toMatch(/\n {2}300 kB {2}\/tmp\/build\.log\n/);
  });
});

// ── One image ──────────────────────────────────────────────────────────────────────────────────

describe('renderMeasurement', () => {
  const amd = image('x', headLayers, { files: { final: new Map(), wastedBytes: 1234, wasted: [{ path: 'a/b', bytes: 1234 }] } });
  const arm = { ...image('x', baseLayers), platform: 'linux/arm64' };

  it('one row per platform image, then each image’s layers and wasted space', () => {
    const text = renderMeasurement({ source: 'app.tar', kind: 'OCI layout archive, read as an OCI layout', images: [amd, arm] }, OPTIONS);
    expect(text).not.toContain(ESC);
    const lines = text.split('\n');
    expect(lines[0]).toBe('app.tar (OCI layout archive, read as an OCI layout)');
    expect(lines[2]).toBe('Platform     Compressed  Uncompressed  Layers   Wasted  Digest');
    expect(lines[4]).toBe(`linux/amd64     18.4 MB       55.2 MB       3  1.23 kB  ${amd.digest}`);
    expect(lines[5]).toBe(`linux/arm64     11.8 MB       35.4 MB       2        -  ${arm.digest}`);
    expect(text).toContain('linux/amd64: 3 layers\n');
    expect(text).toMatch(/\n {2}3 +6\.60 MB +19\.8 MB {2}COPY \/app \/app # buildkit\n/);
    expect(text).toContain('Wasted space: 1.23 kB (0.0% of the image).');
    expect(text).toMatch(/\n {2}1\.23 kB {2}\/a\/b\n/);
  });

  it('estimated sizes are marked and explained', () => {
    const saved = image('x', baseLayers, { method: 'docker-save', compressedEstimated: true });
    const text = renderMeasurement({ source: 'app:1', kind: 'engine image', images: [saved] }, { ...OPTIONS, details: [] });
    expect(text).toContain('≈ 11.8 MB');
    expect(text).toContain('Compressed sizes marked ≈ are estimates');
    expect(text).not.toContain('layers\n');
  });

  it('with advice, an audit of everything found in each image, whatever its age: directory, layer and fix', () => {
    const layers = [testLayer(1, 1_000_000, 2, 'FROM golang'), testLayer(2, 4_000_000, 2, 'RUN apt-get update && apt-get install -y gcc')];
    const files = {
      final: new Map([
        ['usr/local/go/bin/go', 15_000_000],
        ['usr/local/go/pkg/tool/linux_amd64/compile', 20_000_000],
        ['var/lib/apt/lists/deb.debian.org_Packages', 9_000_000],
        ['app/server', 5_000_000]
      ]),
      layerOf: new Map([
        ['usr/local/go/bin/go', 0],
        ['usr/local/go/pkg/tool/linux_amd64/compile', 0],
        ['var/lib/apt/lists/deb.debian.org_Packages', 1],
        ['app/server', 1]
      ]),
      wastedBytes: 0,
      wasted: []
    };
    const audited = image('x', layers, { files });
    const text = renderMeasurement({ source: 'app:1', kind: 'engine image', images: [audited] }, { ...OPTIONS, details: [], advice: true });
    expect(text).toContain(
      [
        'linux/amd64: what it holds that images often should not',
        '  Go toolchain: +35.0 MB, 2 files',
        '    /usr/local/go/ +35.0 MB, 2 files, layer 1: FROM golang',
        '    Fix: build in a separate stage and COPY --from only the artifact into scratch, distroless or a slim runtime image.',
        '  apt package lists: +9.00 MB, 1 file',
        '    /var/lib/apt/lists/ +9.00 MB, 1 file, layer 2: RUN apt-get update && apt-get install -y gcc',
        '    Fix: rm -rf /var/lib/apt/lists/* in the same RUN as apt-get install, or use RUN --mount=type=cache.'
      ].join('\n')
    );
    expect(renderMeasurement({ source: 'app:1', kind: 'engine image', images: [audited] }, { ...OPTIONS, details: [] })).not.toContain('what it holds');
    const clean = image('x', layers, { files: { final: new Map([['app/server', 5_000_000]]), wastedBytes: 0, wasted: [] } });
    expect(renderMeasurement({ source: 'app:1', kind: 'engine image', images: [clean] }, { ...OPTIONS, details: [], advice: true })).toContain(
      'linux/amd64: what it holds that images often should not\n  Nothing found: no toolchain, package or build cache, checkout debris or wasted space.'
    );
  });

  it('a hostile source name is escaped', () => {
    const text = renderMeasurement({ source: `${ESC}[31mimg`, kind: 'engine image', images: [arm] }, OPTIONS);
    expect(text).not.toContain(ESC);
    expect(text.split('\n')[0]).toBe('\\x1b[31mimg (engine image)');
  });
});

describe('every row type renders through the same columns', () => {
  it('no line of the main table is wider than its rule', () => {
    const rows: CompareInput[] = [
      { target: 'a', platform: 'linux/amd64', head: m(image('a', headLayers)), base: m(image('a', baseLayers)) },
      { target: 'b', platform: 'linux/amd64', head: { state: 'absent' }, base: m(image('b', baseLayers)) },
      { target: 'c', platform: '', head: { state: 'failed', error: 'x' }, base: { state: 'absent' } }
    ];
    const outcome = outcomeOf(rows);
    const judged: readonly JudgedRow[] = outcome.rows;
    expect(judged.map((r) => r.status)).toEqual(['changed', 'removed', 'head-failed']);
    const table = mainTable(renderOutcome(outcome, OPTIONS));
    const ruleWidth = displayWidth(table[1]!);
    for (const line of table) expect(displayWidth(line)).toBeLessThanOrEqual(ruleWidth);
  });
});

// ── What each part of the report shows, line by line ────────────────────────────────────────────

/** The block of `text` (blocks are separated by a blank line) whose first line starts with `start`. */
function block(text: string, start: string): string[] {
  const found = plain(text)
    .split('\n\n')
    .find((b) => b.startsWith(start));
  if (found === undefined) throw new Error(`no block starting with ${JSON.stringify(start)} in:\n${text}`);
  return found.replace(/\n$/, '').split('\n');
}

const fileStats = (final: Record<string, number>, wastedBytes = 0, wasted: FileStats['wasted'] = []): FileStats => ({ final: new Map(Object.entries(final)), wastedBytes, wasted });
const failed = (error: string): SideResult => ({ state: 'failed', error });
const FOOTER = 'Compared base aaaaaaa (main) with head 1111111 (refs/heads/feature).';

describe('renderOutcome: the verdict line and which blocks appear', () => {
  it('no targets: one yellow line, then the commits, and nothing else', () => {
    const outcome = outcomeOf([], { notes: [] });
    expect(renderOutcome(outcome, OPTIONS)).toBe(`No targets were measured.\n\n${FOOTER}\n`);
    expect(renderOutcome(outcome, { ...OPTIONS, colour: true }).split('\n')[0]).toBe(`${ESC}[33mNo targets were measured.${ESC}[39m`);
  });

  it('a passing run without notes: verdict, table and commits, no empty block', () => {
    const shrink: CompareInput[] = [{ target: 'release', platform: 'linux/amd64', head: m(image('release', baseLayers)), base: m(image('release', headLayers)) }];
    expect(renderOutcome(outcomeOf(shrink, { notes: [] }), { ...OPTIONS, details: [] }).split('\n\n')).toEqual([
      '✓ Within budget  1 target: 1 changed; budgets judge the compressed size',
      [
        'Target   Platform     Compressed  +/-                Uncompressed  +/-                Layers  Status',
        '-------  -----------  ----------  -----------------  ------------  -----------------  ------  ---------',
        'release  linux/amd64     11.8 MB  -6.60 MB (-35.9%)       35.4 MB  -19.8 MB (-35.9%)  2 (-1)  ✓ changed'
      ].join('\n'),
      `${FOOTER}\n`
    ]);
  });

  const api = (head: SideResult): CompareInput => ({ target: 'api', platform: 'linux/amd64', head, base: m(image('api', baseLayers)) });
  const grown: CompareInput = { target: 'release', platform: 'linux/amd64', head: m(image('release', headLayers)), base: m(image('release', baseLayers)) };
  const verdicts: ReadonlyArray<readonly [name: string, rows: CompareInput[], budgets: Budgets, line: string]> = [
    ['one failed build, no budget', [api(failed('boom'))], NO_BUDGETS, '✗ 1 build failed  1 target: 1 build failed'],
    [
      'two failed builds, no budget (a build verdict is not a budget)',
      [api(failed('boom')), { ...api(failed('bang')), target: 'web' }],
      NO_BUDGETS,
      '✗ 2 builds failed  2 targets: 2 build failed'
    ],
    [
      'a target over budget and a failed build',
      [grown, api(failed('boom'))],
      BUDGETS,
      '✗ 1 target over budget, 1 build failed  2 targets: 1 build failed, 1 changed; budgets judge the compressed size'
    ],
    [
      'within budget beside a removed target (which gets no verdict)',
      [
        { target: 'release', platform: 'linux/amd64', head: m(image('release', baseLayers)), base: m(image('release', headLayers)) },
        { target: 'old', platform: 'linux/amd64', head: { state: 'absent' }, base: m(image('old', baseLayers)) }
      ],
      BUDGETS,
      '✓ Within budget  2 targets: 1 changed, 1 removed; budgets judge the compressed size'
    ]
  ];
  it.each(verdicts)('%s', (_name, rows, budgets, line) => {
    expect(renderOutcome(outcomeOf(rows, { budgets }), OPTIONS).split('\n')[0]).toBe(line);
  });

  it('an image name prefixes the target, and a target without a name shows -', () => {
    const rows: CompareInput[] = [
      { image: 'web', target: 'release', platform: 'linux/amd64', head: failed('boom'), base: m(image('release', baseLayers)) },
      { target: '', platform: '', head: m(image('', baseLayers)), base: { state: 'absent' } }
    ];
    const text = renderOutcome(outcomeOf(rows, { budgets: NO_BUDGETS }), { ...OPTIONS, details: [] });
    const table = mainTable(text);
    expect(table[2]).toMatch(/^web\/release {2}linux\/amd64 +- {2}- +- {2}- +- {2}✗ build failed$/);
    expect(table[3]).toMatch(/^- +- +11\.8 MB {2}new/);
    expect(block(text, 'Failed checks')).toEqual(['Failed checks', '  ✗ web/release (linux/amd64): build failed: boom']);
    expect(block(text, 'Build of')).toEqual(['Build of web/release (linux/amd64) failed', '    boom']);
  });

  it('commits without a ref are named by their short SHA alone', () => {
    const rows = judge(compare([{ target: 'release', platform: 'linux/amd64', head: m(image('release', baseLayers)), base: m(image('release', baseLayers)) }]), NO_BUDGETS, 'compressed');
    const compared = buildOutcome({ metric: 'compressed', rows, head: { sha: HEAD.sha }, base: { sha: BASE.sha }, notes: [] });
    expect(renderOutcome(compared, OPTIONS).endsWith('\n\nCompared base aaaaaaa with head 1111111.\n')).toBe(true);
    const measured = buildOutcome({ metric: 'compressed', rows, head: { sha: HEAD.sha }, notes: [] });
    expect(renderOutcome(measured, OPTIONS).endsWith('\n\nMeasured head 1111111; no base commit to compare with.\n')).toBe(true);
  });
});

describe('renderOutcome: colours of the main table', () => {
  const rows: CompareInput[] = [
    { target: 'grown', platform: 'linux/amd64', head: m(image('grown', headLayers)), base: m(image('grown', baseLayers)) },
    { target: 'shrunk', platform: 'linux/amd64', head: m(image('shrunk', baseLayers)), base: m(image('shrunk', headLayers)) },
    { target: 'same', platform: 'linux/amd64', head: m(image('same', baseLayers)), base: m(image('same', baseLayers)) },
    { target: 'fresh', platform: 'linux/amd64', head: m(image('fresh', baseLayers)), base: { state: 'unavailable', reason: 'fetch failed' } }
  ];
  const text = renderOutcome(outcomeOf(rows, { budgets: NO_BUDGETS }), { ...OPTIONS, colour: true, details: [] });
  const row = (target: string): string => text.split('\n').find((l) => l.startsWith(`${ESC}[1m${target}${ESC}[22m`)) ?? '';

  it('growth is yellow, a shrink green, no change dim', () => {
    expect(row('grown')).toContain(`${ESC}[33m+6.60 MB (+55.9%)${ESC}[39m`);
    expect(row('shrunk')).toContain(`${ESC}[32m-6.60 MB (-35.9%)${ESC}[39m`);
    expect(row('same')).toContain(`${ESC}[2m0 B${ESC}[22m`);
  });

  it('only an unchanged status is dimmed when no budget judged it', () => {
    expect(row('same').endsWith(`  ${ESC}[2munchanged${ESC}[22m`)).toBe(true);
    expect(row('grown').endsWith('  changed')).toBe(true);
    expect(row('fresh').endsWith('  no baseline')).toBe(true);
  });
});

describe('renderOutcome: the end of a failed build', () => {
  const errorBlock = (error: string, colour = false): string[] => {
    const rows: CompareInput[] = [{ target: 'api', platform: '', head: failed(error), base: m(image('api', baseLayers)) }];
    const text = renderOutcome(outcomeOf(rows), { ...OPTIONS, colour });
    const found = text.split('\n\n').find((b) => plain(b).startsWith('Build of api failed'));
    return (found ?? '').split('\n');
  };

  it('CRLF and lone CR end lines; tabs become two spaces; trailing blanks go, indentation and inner blank lines stay', () => {
    const error = '\r\n#7 [build 3/4] RUN make\r\n#7 0.41 \tcc -c main.c   \r\n    main.c:3: error: expected ;\r\n\r\nDownloading 10%\rDownloading 100%\r\n#7 ERROR: exit code: 2\r\n';
    expect(errorBlock(error)).toEqual([
      'Build of api failed',
      '    #7 [build 3/4] RUN make',
      '    #7 0.41   cc -c main.c',
      '        main.c:3: error: expected ;',
      '    ',
      '    Downloading 10%',
      '    Downloading 100%',
      '    #7 ERROR: exit code: 2'
    ]);
  });

  it('a blank line inside the error is not painted', () => {
    expect(errorBlock('step one\n\nstep two', true)).toEqual([
      `${ESC}[1mBuild of api failed${ESC}[22m`,
      `    ${ESC}[2mstep one${ESC}[22m`,
      '    ',
      `    ${ESC}[2mstep two${ESC}[22m`
    ]);
  });

  it('exactly the last ERROR_LINES_MAX lines: all shown, nothing said about earlier ones', () => {
    const lines = Array.from({ length: ERROR_LINES_MAX }, (_, i) => `#${i + 1} output`);
    expect(errorBlock(lines.join('\n'))).toEqual(['Build of api failed', ...lines.map((l) => `    ${l}`)]);
  });

  it.each([
    ['empty', ''],
    ['only a newline', '\n']
  ])('an error that is %s reads "(no error output)"', (_name, error) => {
    expect(errorBlock(error)).toEqual(['Build of api failed', '    (no error output)']);
  });
});

describe('renderOutcome: layer details', () => {
  const outcomeWith = (row: CompareInput): Outcome => outcomeOf([row], { budgets: NO_BUDGETS, notes: [] });
  const layersOnly: TerminalOptions = { ...OPTIONS, details: ['layers'] };

  it('a changed layer and a removed one: index, sizes and deltas of each', () => {
    const base = [layer(1, 2_800_000, 'ADD alpine'), layer(2, 9_000_000, 'RUN apk add python3'), layer(3, 400_000, 'COPY /etc /etc')];
    const head = [base[0]!, layer(4, 9_500_000, 'RUN apk add python3 py3-pip')];
    const text = renderOutcome(outcomeWith({ target: 'release', platform: 'linux/amd64', head: m(image('release', head)), base: m(image('release', base)) }), layersOnly);
    expect(block(text, 'release (linux/amd64): ').slice(1)).toEqual([
      '  #  Change   Compressed  +/-      Uncompressed  +/-       Instruction',
      '  -  -------  ----------  -------  ------------  --------  ---------------------------',
      '  2  changed     9.50 MB  +500 kB       28.5 MB  +1.50 MB  RUN apk add python3 py3-pip',
      '  -  removed           -  -400 kB             -  -1.20 MB  COPY /etc /etc',
      '  1 unchanged layer not shown.'
    ]);
  });

  it('every layer differs: no line about layers not shown', () => {
    const text = renderOutcome(outcomeWith({ target: 'release', platform: 'linux/amd64', head: m(image('release', [layer(2, 2000)])), base: m(image('release', [layer(1, 1000)])) }), layersOnly);
    expect(block(text, 'release (linux/amd64): ')).toEqual([
      'release (linux/amd64): 1 of 1 layer changed',
      '  #  Change   Compressed  +/-       Uncompressed  +/-       Instruction',
      '  -  -------  ----------  --------  ------------  --------  -----------',
      '  1  changed     2.00 kB  +1.00 kB       6.00 kB  +3.00 kB  RUN step 2'
    ]);
  });

  it('removed layers count among the layers, and the title says how the count moved', () => {
    const base = [layer(1, 1000), layer(2, 1000), layer(3, 1000)];
    const title = (head: LayerStats[]): string =>
      block(renderOutcome(outcomeWith({ target: 'release', platform: 'linux/amd64', head: m(image('release', head)), base: m(image('release', base)) }), layersOnly), 'release (linux/amd64): ')[0]!;
    expect(title([layer(4, 500)])).toBe('release (linux/amd64): 3 of 3 layers changed (3 → 1)');
    expect(title([layer(1, 1000), layer(4, 500)])).toBe('release (linux/amd64): 2 of 3 layers changed (3 → 2)');
    expect(title([layer(1, 1000), layer(4, 500), layer(3, 1000)])).toBe('release (linux/amd64): 1 of 3 layers changed');
  });

  it(`more than ${TERMINAL_LAYERS_MAX} changed layers: the first ${TERMINAL_LAYERS_MAX}, then what is left out`, () => {
    const head = [layer(1, 1000), ...Array.from({ length: TERMINAL_LAYERS_MAX + 2 }, (_, i) => layer(100 + i, 2000))];
    const text = renderOutcome(outcomeWith({ target: 'release', platform: 'linux/amd64', head: m(image('release', head)), base: m(image('release', [layer(1, 1000)])) }), layersOnly);
    const lines = block(text, 'release (linux/amd64): ');
    expect(lines[0]).toBe('release (linux/amd64): 42 of 43 layers changed (1 → 43)');
    expect(lines).toHaveLength(1 + 2 + TERMINAL_LAYERS_MAX + 1);
    expect(lines[3]).toBe('   2  added      2.00 kB  +2.00 kB       6.00 kB  +6.00 kB  RUN step 100');
    expect(lines[2 + TERMINAL_LAYERS_MAX]).toBe('  41  added      2.00 kB  +2.00 kB       6.00 kB  +6.00 kB  RUN step 139');
    expect(lines[3 + TERMINAL_LAYERS_MAX]).toBe('  1 unchanged layer not shown; 2 more changed layers not shown.');
  });

  it('not comparable (another measuring method): the head’s layers are listed, not diffed', () => {
    const row: CompareInput = {
      target: 'api',
      platform: 'linux/amd64',
      head: m(image('api', headLayers)),
      base: m(image('api', baseLayers, { method: 'docker-save', compressedEstimated: true }))
    };
    expect(block(renderOutcome(outcomeWith(row), layersOnly), 'api (linux/amd64): ')).toEqual([
      'api (linux/amd64): 3 layers',
      '  #  Compressed  Uncompressed  Instruction',
      '  -  ----------  ------------  -----------------------------------------',
      '  1     2.80 MB       8.40 MB  ADD alpine.tar.gz / # buildkit',
      '  2     9.00 MB       27.0 MB  RUN /bin/sh -c apk add python3 # buildkit',
      '  3     6.60 MB       19.8 MB  COPY /app /app # buildkit'
    ]);
  });

  it('a new image with estimated sizes: every layer’s compressed size marked ≈, an empty instruction shown as ?', () => {
    const layers = [layer(1, 2_800_000, 'ADD alpine.tar.gz / # buildkit'), layer(2, 1000, '')];
    const row: CompareInput = { target: 'web', platform: 'linux/amd64', head: m(image('web', layers, { method: 'docker-save', compressedEstimated: true })), base: { state: 'absent' } };
    expect(block(renderOutcome(outcomeWith(row), layersOnly), 'web (linux/amd64): ')).toEqual([
      'web (linux/amd64): 2 layers',
      '  #  Compressed  Uncompressed  Instruction',
      '  -  ----------  ------------  ------------------------------',
      '  1   ≈ 2.80 MB       8.40 MB  ADD alpine.tar.gz / # buildkit',
      '  2   ≈ 1.00 kB       3.00 kB  ?'
    ]);
  });

  it('a new image without filesystem layers says so', () => {
    const row: CompareInput = { target: 'web', platform: 'linux/amd64', head: m(image('web', [])), base: { state: 'absent' } };
    expect(block(renderOutcome(outcomeWith(row), layersOnly), 'web (linux/amd64): ')).toEqual(['web (linux/amd64): 0 layers', '  No filesystem layers.']);
  });

  it(`a new image with more than ${TERMINAL_LAYERS_MAX} layers: the first ${TERMINAL_LAYERS_MAX}, then how many more`, () => {
    const layers = Array.from({ length: TERMINAL_LAYERS_MAX + 2 }, (_, i) => layer(i + 1, 1000));
    const row: CompareInput = { target: 'web', platform: 'linux/amd64', head: m(image('web', layers)), base: { state: 'absent' } };
    const lines = block(renderOutcome(outcomeWith(row), layersOnly), 'web (linux/amd64): ');
    expect(lines).toHaveLength(1 + 2 + TERMINAL_LAYERS_MAX + 1);
    expect(lines[2 + TERMINAL_LAYERS_MAX]).toBe('  40     1.00 kB       3.00 kB  RUN step 40');
    expect(lines[3 + TERMINAL_LAYERS_MAX]).toBe('  2 more layers not shown.');
  });
});

describe('renderOutcome: file details', () => {
  const app = { 'app/bin': 4000, 'etc/os-release': 100 };
  const row = (head: ImageStats, base: SideResult): CompareInput => ({ target: 'release', platform: 'linux/amd64', head: m(head), base });
  const render = (r: CompareInput, details: TerminalOptions['details'] = ['files']): string => renderOutcome(outcomeOf([r], { budgets: NO_BUDGETS, notes: [] }), { ...OPTIONS, details });

  it('shown only when asked for, and never for an unchanged image', () => {
    const head = image('release', headLayers, { files: fileStats(app, 300_000, [{ path: 'tmp/build.log', bytes: 300_000 }]) });
    const changed = row(head, m(image('release', baseLayers, { files: fileStats(app) })));
    expect(render(changed, ['layers'])).not.toContain('wasted');
    expect(render(changed, ['files'])).toContain('release (linux/amd64): 0 files changed, 300 kB wasted\n');
    expect(render(row(head, m(head)))).not.toContain('Wasted space');
  });

  it('a changed image with the same files and no waste: the count and the wasted line only', () => {
    const text = render(row(image('release', headLayers, { files: fileStats(app) }), m(image('release', baseLayers, { files: fileStats(app) }))));
    expect(block(text, 'release (linux/amd64): ')).toEqual(['release (linux/amd64): 0 files changed, 0 B wasted', '  Wasted space: 0 B (0.0% of the image); base: 0 B.']);
  });

  it('no file list on the base side (a stored baseline), or a base measured another way: no file comparison', () => {
    const head = image('release', headLayers, { files: fileStats(app, 300_000) });
    const stored = render(row(head, m(image('release', baseLayers, { files: { ...fileStats({}, 1000), listing: { kind: 'none' } } }))));
    expect(block(stored, 'release (linux/amd64): ')).toEqual([
      'release (linux/amd64): 300 kB wasted',
      '  The stored baseline has no file list, so file changes are not shown.',
      '  Wasted space: 300 kB (0.5% of the image); base: 1.00 kB. Files a later layer overwrites or deletes still ship in the earlier one.'
    ]);
    const other = render(row(head, m(image('release', baseLayers, { method: 'docker-save', compressedEstimated: true, files: fileStats({ 'app/bin': 10 }) }))));
    expect(block(other, 'release (linux/amd64): ')[0]).toBe('release (linux/amd64): 300 kB wasted');
  });

  it('a cut list read from a report: the files both sides list, a larger one it lacks "added or grown", and how the list was cut', () => {
    const head = image('release', headLayers, { files: fileStats({ 'app/bin': 5000, 'app/new': 3000 }) });
    const cut: FileStats = { ...fileStats({ 'app/bin': 4000 }), listing: { kind: 'cut', below: 2000, files: 2, bytes: 4100 } };
    expect(block(render(row(head, m(image('release', baseLayers, { files: cut })))), 'release (linux/amd64): ')).toEqual([
      'release (linux/amd64): at least 2 files changed, 0 B wasted',
      '  Change                 Before    After  +/-               Path',
      '  --------------  -------------  -------  ----------------  --------',
      '  added or grown  under 2.00 kB  3.00 kB  +1.00 kB or more  /app/new',
      '  grown                 4.00 kB  5.00 kB  +1.00 kB          /app/bin',
      '  The base\'s file list was cut: files under 2.00 kB are not listed (1 file, 100 B); a head file it lacks is "added or grown" when it is 2.00 kB or more, and not shown when smaller.',
      '  Wasted space: 0 B (0.0% of the image); base: 0 B.'
    ]);
  });

  it(`more than ${TERMINAL_FILES_MAX} file changes and wasted files: the largest ${TERMINAL_FILES_MAX} of each`, () => {
    const added = Object.fromEntries(Array.from({ length: TERMINAL_FILES_MAX + 2 }, (_, i) => [`app/f${i + 1}`, (i + 1) * 1000]));
    const wasted = Array.from({ length: TERMINAL_FILES_MAX + 2 }, (_, i) => ({ path: `tmp/w${i + 1}`, bytes: (10 - i) * 100 }));
    const head = image('release', headLayers, { files: fileStats({ ...app, ...added }, 5500, wasted) });
    const text = render(row(head, m(image('release', baseLayers, { files: fileStats(app) }))));
    expect(block(text, 'release (linux/amd64): ')).toEqual([
      'release (linux/amd64): 10 files changed, 5.50 kB wasted',
      '  Change  Before    After  +/-       Path',
      '  ------  ------  -------  --------  --------',
      '  added        -  10.0 kB  +10.0 kB  /app/f10',
      '  added        -  9.00 kB  +9.00 kB  /app/f9',
      '  added        -  8.00 kB  +8.00 kB  /app/f8',
      '  added        -  7.00 kB  +7.00 kB  /app/f7',
      '  added        -  6.00 kB  +6.00 kB  /app/f6',
      '  added        -  5.00 kB  +5.00 kB  /app/f5',
      '  added        -  4.00 kB  +4.00 kB  /app/f4',
      '  added        -  3.00 kB  +3.00 kB  /app/f3',
      '  2 more file changes not shown.',
      '  Wasted space: 5.50 kB (0.0% of the image); base: 0 B. Files a later layer overwrites or deletes still ship in the earlier one.',
      '   Wasted  Path',
      '  -------  -------',
      '  1.00 kB  /tmp/w1',
      '    900 B  /tmp/w2',
      '    800 B  /tmp/w3',
      '    700 B  /tmp/w4',
      '    600 B  /tmp/w5',
      '    500 B  /tmp/w6',
      '    400 B  /tmp/w7',
      '    300 B  /tmp/w8'
    ]);
  });

  it('an image of no bytes has no share of wasted space', () => {
    const head = image('web', [], { files: fileStats({}) });
    const text = render({ target: 'web', platform: 'linux/amd64', head: m(head), base: { state: 'absent' } });
    expect(block(text, 'web (linux/amd64): ')).toEqual(['web (linux/amd64): 0 B wasted', '  Wasted space: 0 B.']);
  });

  it('in colour, a change that adds bytes is yellow and one that frees bytes green', () => {
    const head = image('release', headLayers, { files: fileStats({ 'app/bin': 5000, 'app/data.txt': 700_000, 'etc/os-release': 60 }) });
    const base = image('release', baseLayers, { files: fileStats({ ...app, 'old.txt': 50 }) });
    const text = renderOutcome(outcomeOf([row(head, m(base))], { budgets: NO_BUDGETS }), { ...OPTIONS, colour: true, details: ['files'] });
    const kinds = text
      .split('\n')
      // eslint-disable-next-line no-control-regex
      .filter((l) => /^ {2}\u001b\[3[23]m[a-z]+\u001b\[39m/.test(l))
      .map((l) => l.slice(2, l.indexOf(`${ESC}[39m`) + 5));
    expect(kinds).toEqual([`${ESC}[33madded${ESC}[39m`, `${ESC}[33mgrown${ESC}[39m`, `${ESC}[32mremoved${ESC}[39m`, `${ESC}[32mshrunk${ESC}[39m`]);
  });
});

describe('renderMeasurement: columns and notes that depend on the images', () => {
  const noPlatform = image('x', baseLayers, { platform: '' });

  it('without file statistics: no Wasted column, no estimate note; an image without a platform reads -', () => {
    const text = renderMeasurement({ source: 'app:1', kind: 'engine image', images: [noPlatform] }, { ...OPTIONS, details: ['layers'] });
    const lines = text.split('\n');
    expect(lines[2]).toBe('Platform  Compressed  Uncompressed  Layers  Digest');
    expect(lines[4]).toBe(`-            11.8 MB       35.4 MB       2  ${noPlatform.digest}`);
    expect(text).not.toContain('Compressed sizes marked');
    expect(text).toContain('\n\n-: 2 layers\n  #  Compressed  Uncompressed  Instruction\n');
  });

  it('one estimated image among others: the note, and ≈ on that image’s layers only', () => {
    const saved = image('x', baseLayers, { platform: 'linux/arm64', method: 'docker-save', compressedEstimated: true });
    const amd = image('x', baseLayers);
    const text = renderMeasurement({ source: 'app:1', kind: 'engine image', images: [amd, saved] }, { ...OPTIONS, details: ['layers'] });
    expect(text).toContain('\n\nCompressed sizes marked ≈ are estimates');
    expect(block(text, 'linux/amd64: ')[3]).toBe('  1     2.80 MB       8.40 MB  ADD alpine.tar.gz / # buildkit');
    expect(block(text, 'linux/arm64: ')[3]).toBe('  1   ≈ 2.80 MB       8.40 MB  ADD alpine.tar.gz / # buildkit');
  });

  it('in colour, wasted space is yellow only when there is some', () => {
    const wasteful = image('x', headLayers, { files: fileStats({}, 1234, [{ path: 'a/b', bytes: 1234 }]) });
    const clean = image('x', baseLayers, { platform: 'linux/arm64', files: fileStats({}) });
    const lines = renderMeasurement({ source: 'app:1', kind: 'engine image', images: [wasteful, clean] }, { ...OPTIONS, colour: true, details: [] }).split('\n');
    expect(lines[4]).toContain(`  ${ESC}[33m1.23 kB${ESC}[39m  `);
    expect(lines[5]).toContain('  0 B  ');
    expect(lines[5]).not.toContain(`${ESC}[33m`);
  });
});
