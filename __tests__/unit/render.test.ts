import { describe, expect, it } from '@jest/globals';
import { baseFromReport, parseStoredReport } from '../../src/baseline/from-report.js';
import type { Budgets, FileStats, ImageStats, LayerStats, Outcome, SideResult, Threshold } from '../../src/model.js';
import { compare, type CompareInput } from '../../src/report/compare.js';
import { WORD_JOINER } from '../../src/report/escape.js';
import { buildReport, outcomeFromReport, REPORT_LIMITS, REPORT_SCHEMA_VERSION, toSideResult } from '../../src/report/report.js';
import { validateReport } from '../../src/report/validate.js';
import { mergeReports, type ReportSource } from '../../src/report/merge.js';
import { buildOutcome, judge } from '../../src/report/policy.js';
import { COMMENT_MAX_CHARS, renderComment, renderSummary, SUMMARY_MAX_BYTES, utf8Length } from '../../src/report/render.js';

// ── Fixtures ────────────────────────────────────────────────────────────────────────────────────

const MARKER = '<!-- image-budget:image-budget -->';
const HEAD = { sha: '1111111111222222222233333333334444444444', ref: 'feature/smaller' };
const BASE = { sha: 'aaaaaaaaaabbbbbbbbbbccccccccccdddddddddd', ref: 'main' };
const digest = (n: number): string => `sha256:${n.toString(16).padStart(64, '0')}`;

function layer(n: number, compressed: number, instruction = `RUN step ${n}`): LayerStats {
  return {
    digest: digest(n),
    mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
    compressedBytes: compressed,
    uncompressedBytes: compressed * 3,
    instruction
  };
}

function image(target: string, layers: readonly LayerStats[], platform = 'linux/amd64'): ImageStats {
  return {
    target,
    platform,
    digest: digest(layers.reduce((n, l) => n * 31 + l.compressedBytes, 7) % 2 ** 40),
    configDigest: digest(layers.length + 5000),
    compressedBytes: layers.reduce((n, l) => n + l.compressedBytes, 0),
    uncompressedBytes: layers.reduce((n, l) => n + l.uncompressedBytes, 0),
    layerCount: layers.length,
    layers,
    method: 'oci-layout'
  };
}

const m = (i: ImageStats): SideResult => ({ state: 'measured', image: i });
const pct = (percent: number): Threshold => ({ kind: 'percent', percent, text: `${percent}%` });
const bytes = (n: number): Threshold => ({ kind: 'bytes', bytes: n, text: `${n}` });
const BUDGETS: Budgets = {
  maxIncrease: { fallback: pct(10), byTarget: new Map() },
  maxSize: { byTarget: new Map([['release', bytes(25_000_000)]]) },
  maxLayers: { fallback: 10, byTarget: new Map() }
};

function outcomeOf(rows: CompareInput[], notes: string[] = [], budgets = BUDGETS, base: typeof BASE | null = BASE): Outcome {
  return buildOutcome({
    metric: 'compressed',
    rows: judge(compare(rows), budgets, 'compressed'),
    head: HEAD,
    ...(base ? { base } : {}),
    notes
  });
}

const baseLayers = [
  layer(1, 2_800_000, 'ADD alpine-minirootfs.tar.gz / # buildkit'),
  layer(2, 9_000_000, 'RUN /bin/sh -c apk add --no-cache python3 # buildkit'),
  layer(3, 5_700_000, 'COPY /app /app # buildkit')
];
const headLayers = [
  baseLayers[0]!,
  baseLayers[1]!,
  layer(4, 6_600_000, 'COPY /app /app # buildkit'),
  layer(5, 1_200_000, 'RUN /bin/sh -c pip install -r requirements.txt # buildkit')
];

const regression = outcomeOf(
  [
    { target: 'release', platform: 'linux/amd64', head: m(image('release', headLayers)), base: m(image('release', baseLayers)) },
    {
      target: 'debug',
      platform: 'linux/amd64',
      head: m(image('debug', [...baseLayers, layer(6, 100_000)])),
      base: m(image('debug', [...baseLayers, layer(7, 99_000)]))
    },
    { target: 'tools', platform: 'linux/amd64', head: m(image('tools', [layer(8, 3_000_000)])), base: { state: 'absent' } },
    { target: 'legacy', platform: 'linux/amd64', head: { state: 'absent' }, base: m(image('legacy', [layer(9, 4_000_000)])) },
    {
      target: 'docs',
      platform: 'linux/arm64',
      head: m(image('docs', [layer(10, 1_000_000)], 'linux/arm64')),
      base: { state: 'failed', error: 'ERROR: base is broken' }
    }
  ],
  ['Baseline for docs (linux/arm64) unavailable: the base build failed.']
);

const unchangedRows = (n: number): CompareInput[] =>
  Array.from({ length: n }, (_, i) => {
    const img = image(`svc-${i}`, [layer(100 + i, 1_000_000 + i)]);
    return { target: `svc-${i}`, platform: 'linux/amd64', head: m(img), base: m(img) };
  });

const withinBudget = outcomeOf([
  {
    target: 'release',
    platform: 'linux/amd64',
    head: m(image('release', [baseLayers[0]!, layer(11, 8_000_000)])),
    base: m(image('release', [baseLayers[0]!, layer(12, 8_500_000)]))
  },
  ...unchangedRows(9)
]);

const headFailed = outcomeOf([
  {
    target: 'release',
    platform: 'linux/amd64',
    head: {
      state: 'failed',
      error: '#9 [3/3] RUN make\n#9 0.2 make: *** No rule to make target `all`.  Stop.\nERROR: process "/bin/sh -c make" did not complete successfully: exit code: 2'
    },
    base: m(image('release', baseLayers))
  }
]);

const HOSTILE_NAMES = [
  'a|b',
  '`tick`',
  '<script>alert(1)</script>',
  '<!-- image-budget:image-budget -->',
  '@octocat',
  '#12',
  'line\nbreak',
  '*em* _u_ [l](http://x.io) www.x.io'
];
const hostile = outcomeOf(
  HOSTILE_NAMES.map((name, i) => ({
    target: name,
    platform: `linux/${name}`,
    head: m(image(name, [layer(200 + i, 30_000_000, `RUN echo "${name}" | tee /x # \`\`\` <!-- --> @octocat #1`)])),
    base: m(image(name, [layer(300 + i, 1_000_000, 'RUN echo ok')]))
  })),
  ['note with <b>html</b> and @octocat and <!-- marker -->']
);

const push = outcomeOf(
  [{ target: 'release', platform: 'linux/amd64', head: m(image('release', baseLayers)), base: { state: 'unavailable', reason: 'push' } }],
  ['No baseline found for aaaaaaa.'],
  BUDGETS,
  null
);

const empty = outcomeOf([]);

// ── Helpers to check structure ──────────────────────────────────────────────────────────────────

/** Cells of a GFM table row, splitting on pipes not escaped by a backslash. */
function cellCount(line: string): number {
  return line.replace(/\\./g, '').split('|').length - 2;
}

function tableRows(md: string): string[] {
  return md.split('\n').filter((l) => l.startsWith('|'));
}

function balanced(md: string): void {
  expect(md.match(/<details>/g)?.length ?? 0).toBe(md.match(/<\/details>/g)?.length ?? 0);
  let fence: string | undefined;
  for (const line of md.split('\n')) {
    const f = /^(`{3,})/.exec(line)?.[1];
    if (f === undefined) continue;
    if (fence === undefined) fence = f;
    else if (f.length >= fence.length && line.trim() === f) fence = undefined;
  }
  expect(fence).toBeUndefined();
}

// ── Whole-comment snapshots ─────────────────────────────────────────────────────────────────────

describe('renderComment snapshots', () => {
  it.each<[string, Outcome]>([
    ['regression with new, removed and no-baseline rows', regression],
    ['within budget, unchanged rows folded', withinBudget],
    ['head build failed', headFailed],
    ['hostile repository strings', hostile],
    ['push without a base commit', push],
    ['no targets', empty]
  ])('%s', (_name, outcome) => {
    const body = renderComment(outcome, { marker: MARKER, details: ['layers', 'files'] });
    expect(body).toMatchSnapshot();
    expect(body.endsWith(MARKER)).toBe(true);
    expect(body.indexOf('<!--')).toBe(body.length - MARKER.length);
    balanced(body);
  });

  it('without layer details and with a title', () => {
    expect(renderComment(regression, { marker: MARKER, details: [], title: 'web <app>' })).toMatchSnapshot();
  });
});

describe('renderComment content', () => {
  const body = renderComment(regression, { marker: MARKER, details: ['layers'] });

  it.each([
    ['heading', '### 📦 Image size'],
    ['verdict line', '❌ **1 target over budget** · 5 targets: 2 changed, 1 new, 1 removed, 1 no baseline · budgets judge the compressed size'],
    ['changed row with deltas', '| ❌ over budget | `release` | linux/amd64 | 19.6 MB | +2.10 MB (+12.0%) | 58.8 MB | +6.30 MB (+12.0%) | 4 (+1) |'],
    ['new row', '| ✅ new | `tools` | linux/amd64 | 3.00 MB | new | 9.00 MB | new | 1 |'],
    ['removed row', '| removed | `legacy` | linux/amd64 | ~~4.00 MB~~ | -4.00 MB | ~~12.0 MB~~ | -12.0 MB | ~~1~~ |'],
    ['no-baseline row', '| ✅ no baseline | `docs` | linux/arm64 | 1.00 MB | — | 3.00 MB | — | 1 |'],
    ['failing reason', '- `release` (linux/amd64): \\+2.10 MB (+12.0%) exceeds max-increase 10%'],
    ['note', '- Baseline for docs (linux/arm64) unavailable\\: the base build failed.'],
    ['changed layers only, with the count of omitted ones', '_2 unchanged layers not shown._'],
    ['changed layer before and after', '| 3 | changed | `COPY /app /app # buildkit` | 5.70 MB → 6.60 MB | +900 kB |'],
    ['added layer', '| 4 | added | `RUN /bin/sh -c pip install -r requirements.txt # buildkit` | 1.20 MB | +1.20 MB |'],
    ['commits', 'Compared base `aaaaaaa` (`main`) with head `1111111` (`feature/smaller`).']
  ])('%s', (_name, expected) => {
    expect(body).toContain(expected);
  });

  it('head-failed rows show no stale sizes and the end of the build log (row 15)', () => {
    const b = renderComment(headFailed, { marker: MARKER, details: ['layers'] });
    expect(b).toContain('| ❌ build failed | `release` | linux/amd64 | — | — | — | — | — |');
    expect(b).toContain('❌ **1 build failed**');
    expect(b).toContain('ERROR: process "/bin/sh -c make" did not complete successfully: exit code: 2\n```');
    expect(b).not.toContain('17.5 MB');
  });

  it('every table row of hostile input has exactly the header’s cell count (row 8)', () => {
    const b = renderComment(hostile, { marker: MARKER, details: ['layers'] });
    for (const line of tableRows(b)) {
      const header = line.includes('Instruction') || line.startsWith('|--:') ? undefined : 8;
      if (header !== undefined && !line.startsWith('| #') && !/^\| \d/.test(line)) expect(cellCount(line)).toBe(8);
    }
    // Outside code spans (which GitHub renders as text, without mentions) no tag and no mention
    // survives; render-gfm.test.ts checks the rendered HTML.
    const outside = b.replace(/(`+)[^`].*?\1/g, '');
    expect(outside).not.toMatch(/<script|@octocat|#12/);
    expect(outside.indexOf('<!--')).toBe(outside.length - MARKER.length);
    expect(b).toContain(`@${WORD_JOINER}octocat`);
  });

  it('folds unchanged rows only when there are many and some row changed', () => {
    expect(renderComment(withinBudget, { marker: MARKER, details: [] })).toContain('<details><summary>9 unchanged targets</summary>');
    expect(renderComment(withinBudget, { marker: MARKER, details: [], foldUnchangedAbove: 20 })).not.toContain('unchanged targets</summary>');
    const allSame = outcomeOf(unchangedRows(12));
    expect(renderComment(allSame, { marker: MARKER, details: [] })).not.toContain('unchanged targets</summary>');
  });

  it('row 51: an improved or unchanged run passes and renders byte-identically every time', () => {
    expect(withinBudget.regressed).toBe(false);
    const a = renderComment(withinBudget, { marker: MARKER, details: ['layers'] });
    const b = renderComment(outcomeOf([...withinBudget.rows]), { marker: MARKER, details: ['layers'] });
    expect(b).toBe(a);
  });

  it.each<[string, Outcome, string]>([
    ['within budget', withinBudget, '✅ **Within budget** · 10 targets: 1 changed, 9 unchanged · budgets judge the compressed size'],
    ['no budgets at all', outcomeOf(unchangedRows(1), [], { maxIncrease: { byTarget: new Map() }, maxSize: { byTarget: new Map() }, maxLayers: { byTarget: new Map() } }), '✅ **No budget set** · 1 target: 1 unchanged'],
    ['nothing measured', empty, 'No targets were measured.']
  ])('verdict line: %s', (_name, outcome, expected) => {
    expect(renderComment(outcome, { marker: MARKER, details: [] }).split('\n\n')[1]).toBe(expected);
  });
});

// ── Size caps (rows 44, 49) ─────────────────────────────────────────────────────────────────────

function bigOutcome(targets: number, layersEach: number, regressedEvery = 0): Outcome {
  const rows = Array.from({ length: targets }, (_, t): CompareInput => {
    const base = Array.from({ length: layersEach }, (_, i) => layer(t * 1000 + i, 1_000_000, `RUN step ${i} ${'x'.repeat(150)}`));
    const head = base.map((l, i) => (i % 2 === 0 ? layer(t * 1000 + i + 500, regressedEvery && t % regressedEvery === 0 ? 9_000_000 : 1_000_100, l.instruction) : l));
    return { target: `target-${t}`, platform: 'linux/amd64', head: m(image(`target-${t}`, head)), base: m(image(`target-${t}`, base)) };
  });
  const budgets: Budgets = { ...BUDGETS, maxLayers: { byTarget: new Map() } };
  return outcomeOf(rows, [], budgets);
}

describe('size cap', () => {
  it('drops detail sections, largest first, keeps the whole table and says where the rest is', () => {
    const outcome = bigOutcome(40, 60, 7);
    const full = renderComment(outcome, { marker: MARKER, details: ['layers'], maxChars: 10_000_000 });
    expect(utf8Length(full)).toBeGreaterThan(COMMENT_MAX_CHARS);
    const body = renderComment(outcome, { marker: MARKER, details: ['layers'] });
    expect(utf8Length(body)).toBeLessThanOrEqual(COMMENT_MAX_CHARS);
    expect(body).toContain('_Full report in the job summary._');
    expect(body.endsWith(MARKER)).toBe(true);
    for (let t = 0; t < 40; t++) expect(body).toContain(`| \`target-${t}\` |`);
    // Some details survive, regressed rows' first.
    expect(body).toContain('<details><summary><code>target-0</code>');
    expect(body).not.toContain('<details><summary><code>target-1</code>');
    balanced(body);
  });

  it('drops the folded unchanged rows before cutting the main table', () => {
    const rows = [...bigOutcome(1, 2, 1).rows, ...outcomeOf(unchangedRows(400)).rows];
    const outcome = buildOutcome({ metric: 'compressed', rows, head: HEAD, base: BASE });
    const body = renderComment(outcome, { marker: MARKER, details: ['layers'], maxChars: 8000 });
    expect(utf8Length(body)).toBeLessThanOrEqual(8000);
    expect(body).toContain('_400 unchanged targets not shown._');
    expect(body).toContain('| `target-0` |');
    balanced(body);
  });

  it('shortens the list of failing checks before cutting any table row', () => {
    const rows = Array.from({ length: 60 }, (_, i): CompareInput => ({
      target: `t${i}`,
      platform: 'linux/amd64',
      head: { state: 'failed', error: `ERROR: ${'x'.repeat(190)} ${i}` },
      base: { state: 'absent' }
    }));
    const body = renderComment(outcomeOf(rows), { marker: MARKER, details: ['layers'], maxChars: 12_000 });
    expect(utf8Length(body)).toBeLessThanOrEqual(12_000);
    expect(tableRows(body)).toHaveLength(62);
    expect(body).toMatch(/- _\d+ more failing checks not shown\._/);
    expect(body).toContain('- `t0` (linux/amd64): build failed');
    expect(body).not.toContain('<details>');
  });

  it('cuts table rows with a count line only when the table alone is too large, keeping regressed rows', () => {
    const outcome = bigOutcome(3000, 1, 500);
    const body = renderComment(outcome, { marker: MARKER, details: ['layers'] });
    expect(utf8Length(body)).toBeLessThanOrEqual(COMMENT_MAX_CHARS);
    const kept = tableRows(body).length - 2;
    expect(kept).toBeGreaterThan(100);
    expect(body).toContain(`_… ${3000 - kept} more targets not shown._`);
    expect(body).toContain('❌ **6 targets over budget**');
    for (const t of [0, 500, 1000, 1500, 2000, 2500]) expect(body).toContain(`| \`target-${t}\` |`);
    expect(body.endsWith(MARKER)).toBe(true);
    balanced(body);
  });

  it('keeps the verdict and the marker even when almost nothing fits', () => {
    const body = renderComment(regression, { marker: MARKER, details: ['layers'], maxChars: 200 });
    expect(body).toBe(`### 📦 Image size\n\n${renderComment(regression, { marker: MARKER, details: [] }).split('\n\n')[1]}\n\n_Full report in the job summary._\n\n${MARKER}`);
  });

  it('counts multibyte characters as UTF-8 bytes', () => {
    expect(utf8Length('a')).toBe(1);
    expect(utf8Length('é')).toBe(2);
    expect(utf8Length('Δ')).toBe(2);
    expect(utf8Length('—')).toBe(3);
    expect(utf8Length('📦')).toBe(4);
    expect(utf8Length('\ud800')).toBe(3);
  });

  it.each<[string, string, number]>([
    ['the last 1-byte character', '\u007f', 1],
    ['the first 2-byte character', '\u0080', 2],
    ['the last 2-byte character', '\u07ff', 2],
    ['the first 3-byte character', '\u0800', 3],
    ['the first astral character (a surrogate pair)', '\ud800\udc00', 4],
    ['the last astral character', '\udbff\udfff', 4],
    ['a lone high surrogate before a letter', '\ud800é', 5],
    ['a lone high surrogate before another', '\ud800\ud800', 6],
    ['a lone high surrogate before a character above the surrogates', '\ud800！', 6],
    ['a lone low surrogate after a 3-byte character', '—\udc00', 6],
    ['a lone low surrogate after another', '\udc00\udc00', 6],
    ['a 3-byte character after the surrogates', '\ue000\udc00', 6]
  ])('counts %s as Node writes it in UTF-8 (a lone surrogate as the 3-byte U+FFFD)', (_name, text, bytes) => {
    expect(utf8Length(text)).toBe(bytes);
    expect(Buffer.byteLength(text, 'utf8')).toBe(bytes);
  });
});

describe('renderSummary', () => {
  it('is the comment without the marker, ending with a newline', () => {
    const summary = renderSummary(regression, { details: ['layers'] });
    const comment = renderComment(regression, { marker: MARKER, details: ['layers'] });
    expect(summary).not.toContain('<!--');
    expect(summary).toBe(`${comment.slice(0, comment.length - MARKER.length - 2)}\n`);
  });

  it('stays under 1 MiB and keeps the verdict line (row 49)', () => {
    const outcome = bigOutcome(300, 100, 3);
    const summary = renderSummary(outcome, { details: ['layers'] });
    expect(utf8Length(summary)).toBeLessThanOrEqual(SUMMARY_MAX_BYTES);
    expect(utf8Length(summary)).toBeGreaterThan(SUMMARY_MAX_BYTES - 60_000);
    expect(summary).toContain('❌ **100 targets over budget**');
    expect(summary).toContain('the JSON report has everything');
    balanced(summary);
  });

  it('honours a smaller cap', () => {
    const summary = renderSummary(bigOutcome(20, 20), { details: ['layers'], maxBytes: 20_000 });
    expect(utf8Length(summary)).toBeLessThanOrEqual(20_000);
  });
});

// ── JSON report (src/report/json.ts) ────────────────────────────────────────────────────────────

describe('JSON report', () => {
  const meta = {
    tool: { name: 'image-budget', version: '1.2.3' },
    event: 'pull_request',
    repository: 'octo/app',
    runId: 42,
    createdAt: '2026-01-02T03:04:05.000Z'
  };

  it('is plain JSON that reads back to the same outcome', () => {
    const report = buildReport(regression, meta);
    const parsed: unknown = JSON.parse(JSON.stringify(report));
    expect(parsed).toEqual(report);
    const read = validateReport(parsed);
    expect(read).toEqual({ ok: true, report });
    if (!read.ok) throw new Error(read.error);
    const back = outcomeFromReport(read.report);
    expect(back).toEqual(regression);
    expect(renderComment(back, { marker: MARKER, details: ['layers'] })).toBe(renderComment(regression, { marker: MARKER, details: ['layers'] }));
  });

  it('has the documented top-level shape', () => {
    const report = buildReport(push, { ...meta, runId: undefined, event: 'push' });
    expect(Object.keys(report)).toEqual([
      'schema', 'version', 'tool', 'event', 'repository', 'createdAt', 'metric', 'regressed', 'changed', 'head', 'base', 'targets', 'notes'
    ]);
    expect(report.schema).toBe('image-budget/report');
    expect(report.version).toBe(REPORT_SCHEMA_VERSION);
    expect(report.base).toBeNull();
    expect(report.targets[0]).toMatchObject({ target: 'release', status: 'no-baseline', base: { state: 'unavailable', reason: 'push' } });
    expect(report.targets[0]!.delta).toBeUndefined();
  });

  it.each<[string, number | string | undefined, number | undefined]>([
    ['a number', 42, 42],
    ['GITHUB_RUN_ID as a string', '9876543210', 9876543210],
    ['not a number', 'abc', undefined],
    ['negative', -1, undefined],
    ['absent', undefined, undefined]
  ])('runId: %s', (_name, runId, expected) => {
    const report = buildReport(empty, { ...meta, runId });
    expect(report.runId).toBe(expected);
    expect('runId' in report).toBe(expected !== undefined);
  });

  it('turns sides back into SideResults', () => {
    const img = image('t', baseLayers, 'linux/arm64');
    const report = buildReport(outcomeOf([{ target: 't', platform: 'linux/arm64', head: m(img), base: { state: 'absent' } }]), meta);
    expect(toSideResult(report.targets[0]!.head, 't', 'linux/arm64')).toEqual(m(img));
  });

  const good = (): Record<string, unknown> => JSON.parse(JSON.stringify(buildReport(regression, meta))) as Record<string, unknown>;
  const DELETE = Symbol('delete');
  /** A good report with the value at `path` replaced (or deleted), as parsed JSON would hold it. */
  const edit = (path: ReadonlyArray<string | number>, value: unknown): unknown => {
    const r = good();
    let node: unknown = r;
    for (const key of path.slice(0, -1)) node = (node as Record<string | number, unknown>)[key];
    const last = path[path.length - 1]!;
    if (value === DELETE) delete (node as Record<string | number, unknown>)[last];
    else (node as Record<string | number, unknown>)[last] = value;
    return r;
  };
  const first = (): unknown => (good().targets as unknown[])[0];

  it.each<[string, unknown, string]>([
    ['not an object', 'hello', 'report: expected an object'],
    ['null', null, 'report: expected an object'],
    ['an array', [], 'report: expected an object'],
    ['another schema', edit(['schema'], 'other'), 'schema: expected "image-budget/report"'],
    ['a future version', edit(['version'], 2), 'version: unsupported version 2 (this tool reads 1)'],
    ['a missing version', edit(['version'], DELETE), 'version: unsupported version undefined (this tool reads 1)'],
    ['a bad time', edit(['createdAt'], 'yesterday'), 'createdAt: malformed value'],
    ['a short sha', edit(['head', 'sha'], 'abc'), 'head.sha: malformed value'],
    ['an unknown metric', edit(['metric'], 'weight'), 'metric: expected one of compressed, uncompressed'],
    ['an unknown status', edit(['targets', 0, 'status'], 'grew'), 'targets[0].status: expected one of changed, unchanged, new, removed, no-baseline, head-failed'],
    ['a negative size', edit(['targets', 0, 'head', 'compressedBytes'], -1), 'targets[0].head.compressedBytes: expected a non-negative integer'],
    ['a fractional size', edit(['targets', 0, 'head', 'layers', 0, 'uncompressedBytes'], 1.5), 'targets[0].head.layers[0].uncompressedBytes: expected a non-negative integer'],
    ['a size as a string', edit(['targets', 0, 'head', 'compressedBytes'], '12'), 'targets[0].head.compressedBytes: expected a non-negative integer'],
    ['a malformed digest', edit(['targets', 0, 'head', 'layers', 0, 'digest'], '../../etc/passwd'), 'targets[0].head.layers[0].digest: malformed value'],
    ['a changed row with one side missing', edit(['targets', 0, 'base'], { state: 'absent' }), 'targets[0].status: "changed" needs both sides measured'],
    ['regressed disagrees with verdicts', edit(['targets', 0, 'regressed'], false), 'targets[0].regressed: disagrees with the verdicts'],
    ['an unknown rule', edit(['targets', 0, 'verdicts', 0, 'rule'], 'max-weight'), 'targets[0].verdicts[0].rule: expected one of max-increase, max-size, max-layers, max-wasted, build'],
    ['a percent that is not a number', edit(['targets', 0, 'delta', 'compressedPercent'], 'big'), 'targets[0].delta.compressedPercent: expected a number or null'],
    ['too many targets', edit(['targets'], new Array(REPORT_LIMITS.targets + 1).fill(first())), `targets: more than ${REPORT_LIMITS.targets} entries`],
    ['an oversized string', edit(['notes'], ['x'.repeat(REPORT_LIMITS.string + 1)]), `notes[0]: longer than ${REPORT_LIMITS.string} characters`],
    ['an inherited field does not count', Object.setPrototypeOf(edit(['tool'], DELETE) as object, { tool: { name: 'x', version: 'y' } }), 'tool: expected an object']
  ])('rejects %s', (_name, value, error) => {
    expect(validateReport(value)).toEqual({ ok: false, error });
  });

  it('names its pull request when the run was for one, right after base, and reads it back', () => {
    const report = buildReport(regression, { ...meta, pullRequest: { number: 7, headSha: 'a'.repeat(40) } });
    expect(Object.keys(report)).toEqual([
      'schema', 'version', 'tool', 'event', 'repository', 'runId', 'createdAt', 'metric', 'regressed', 'changed', 'head', 'base', 'pullRequest', 'targets', 'notes'
    ]);
    expect(report.pullRequest).toEqual({ number: 7, headSha: 'a'.repeat(40) });
    expect(validateReport(JSON.parse(JSON.stringify(report)))).toEqual({ ok: true, report });
  });

  it.each<[string, unknown, string]>([
    ['number 0', { number: 0, headSha: 'a'.repeat(40) }, 'pullRequest.number: expected a pull request number (1 or more)'],
    ['a number as a string', { number: '7', headSha: 'a'.repeat(40) }, 'pullRequest.number: expected a non-negative integer'],
    ['a short head commit', { number: 7, headSha: 'abc' }, 'pullRequest.headSha: malformed value'],
    ['no head commit', { number: 7 }, 'pullRequest.headSha: expected a string'],
    ['a number instead of an object', 7, 'pullRequest: expected an object'],
    ['null', null, 'pullRequest: expected an object']
  ])('rejects a pullRequest with %s', (_name, value, error) => {
    expect(validateReport(edit(['pullRequest'], value))).toEqual({ ok: false, error });
  });

  it('ignores unknown fields and does not carry them along', () => {
    const value = edit(['extra'], 1) as { targets: Array<{ head: Record<string, unknown> }> };
    const head = value.targets[0]!.head;
    head.secret = 'x';
    Object.defineProperty(head, '__proto__', { value: { polluted: true }, enumerable: true });
    const read = validateReport(value);
    expect(read.ok).toBe(true);
    if (!read.ok) return;
    expect(read.report).toEqual(buildReport(regression, meta));
    expect('secret' in read.report.targets[0]!.head).toBe(false);
    expect('polluted' in read.report.targets[0]!.head).toBe(false);
  });
});

describe('issue 3 additions: chart, estimates, incomparable methods, unchanged layers', () => {
  const small = image('release', [layer(1, 1_000_000)]);
  const big = image('release', [layer(1, 1_000_000), layer(2, 4_000_000)]);
  const body = (rows: CompareInput[]): string => renderComment(outcomeOf(rows), { marker: MARKER, details: ['layers'] });

  it('draws a mermaid bar chart, base and head, for a changed target', () => {
    const text = body([{ target: 'release', platform: 'linux/amd64', head: m(big), base: m(small) }]);
    expect(text).toContain('```mermaid\nxychart-beta');
    expect(text).toContain('x-axis ["release (base)", "release (head)"]');
    expect(text).toContain('bar [1, 5]');
    expect(text).toContain('y-axis "MB"');
  });

  it('draws no chart when nothing changed, and does not list the layers of an unchanged target', () => {
    const text = body([{ target: 'release', platform: 'linux/amd64', head: m(small), base: m(small) }]);
    expect(text).not.toContain('mermaid');
    expect(text).not.toContain('<details>');
    expect(text).toContain('unchanged');
  });

  it('marks an estimated compressed size with ≈', () => {
    const estimated: ImageStats = { ...big, compressedEstimated: true, method: 'docker-save' };
    const base: ImageStats = { ...small, compressedEstimated: true, method: 'docker-save' };
    expect(body([{ target: 'release', platform: 'linux/amd64', head: m(estimated), base: m(base) }])).toMatch(/\| ≈ 5\.00 MB \|/);
  });

  it('flags base and head measured by different methods as not comparable, with no delta', () => {
    const classic: ImageStats = { ...big, compressedEstimated: true, method: 'docker-save' };
    const text = body([{ target: 'release', platform: 'linux/amd64', head: m(classic), base: m(small) }]);
    expect(text).toMatch(/\| ≈ 5\.00 MB \| not comparable \|/);
    expect(text).not.toContain('mermaid');
  });
});

describe('JSON report: estimated sizes and wasted space round-trip', () => {
  it('keeps compressedEstimated, the method, the wasted files and the final file list', () => {
    const head: ImageStats = {
      ...image('release', [layer(1, 1_000)]),
      method: 'docker-save',
      compressedEstimated: true,
      files: { final: new Map([['app/data', 10]]), wastedBytes: 42, wasted: [{ path: 'tmp/big', bytes: 42 }] }
    };
    const outcome = outcomeOf([{ target: 'release', platform: 'linux/amd64', head: m(head), base: { state: 'absent' } }]);
    const report = buildReport(outcome, { tool: { name: 'image-budget', version: '0' }, event: 'pull_request', repository: 'o/r', createdAt: '2026-01-01T00:00:00.000Z' });
    const json = JSON.parse(JSON.stringify(report)) as unknown;
    const side = (json as { targets: Array<{ head: Record<string, unknown> }> }).targets[0]!.head;
    expect(side).toMatchObject({
      method: 'docker-save',
      compressedEstimated: true,
      files: { wastedBytes: 42, wasted: [{ path: 'tmp/big', bytes: 42 }], final: { files: 1, bytes: 10, listed: [{ path: 'app/data', bytes: 10 }] } }
    });
    const back = validateReport(json);
    expect(back.ok).toBe(true);
    if (back.ok) {
      const restored = toSideResult(back.report.targets[0]!.head, 'release', 'linux/amd64');
      expect(restored).toMatchObject({ state: 'measured', image: { method: 'docker-save', compressedEstimated: true, files: { wastedBytes: 42, final: new Map([['app/data', 10]]) } } });
    }
  });
});

describe('JSON report: every rule round-trips', () => {
  it('a max-wasted verdict is read back (a report with one was refused before)', () => {
    const head: ImageStats = { ...image('release', [layer(1, 1_000)]), files: { final: new Map(), wastedBytes: 5_000, wasted: [{ path: 'tmp/x', bytes: 5_000 }] } };
    const budgets = { ...BUDGETS, maxWasted: { fallback: bytes(1_000), byTarget: new Map() } };
    const outcome = outcomeOf([{ target: 'release', platform: 'linux/amd64', head: m(head), base: { state: 'absent' } }], [], budgets);
    expect(outcome.rows[0]!.verdicts.map((v) => v.rule)).toContain('max-wasted');
    const report = buildReport(outcome, { tool: { name: 'image-budget', version: '0' }, event: 'push', repository: 'o/r', createdAt: '2026-01-01T00:00:00.000Z' });
    const back = validateReport(JSON.parse(JSON.stringify(report)));
    expect(back).toMatchObject({ ok: true });
    if (back.ok) expect(back.report.targets[0]!.verdicts.find((v) => v.rule === 'max-wasted')).toMatchObject({ ok: false });
  });
});

describe('details: files', () => {
  const files = (entries: Array<[string, number]>, wastedBytes = 0, wasted: Array<{ path: string; bytes: number }> = []) => ({
    final: new Map(entries),
    wastedBytes,
    wasted
  });
  const base: ImageStats = { ...image('release', [layer(1, 1_000_000)]), files: files([['app/bin', 1_000_000], ['etc/old.conf', 2_000]], 100) };
  const head: ImageStats = {
    ...image('release', [layer(1, 1_000_000), layer(2, 3_000_000)]),
    files: files([['app/bin', 1_500_000], ['usr/lib/libbig.so', 3_000_000]], 4_000_000, [{ path: 'tmp/cache.tar', bytes: 4_000_000 }])
  };
  const rows: CompareInput[] = [{ target: 'release', platform: 'linux/amd64', head: m(head), base: m(base) }];

  it('an unchanged target that wastes nothing gets no files section; one that wastes space does', () => {
    const clean: ImageStats = { ...image('debug', [layer(7, 5_000)]), files: files([['bin/sh', 5_000]]) };
    const wasteful: ImageStats = { ...image('tools', [layer(8, 6_000)]), files: files([['bin/x', 5_000]], 900, [{ path: 'tmp/y', bytes: 900 }]) };
    const text = renderComment(
      outcomeOf([
        { target: 'debug', platform: 'linux/amd64', head: m(clean), base: m(clean) },
        { target: 'tools', platform: 'linux/amd64', head: m(wasteful), base: m(wasteful) }
      ]),
      { marker: MARKER, details: ['files'] }
    );
    expect(text).not.toContain('<code>debug</code>');
    expect(text).toContain('<code>tools</code> · linux/amd64 · 0 files changed · 900 B wasted</summary>');
  });

  it('lists the largest file changes and the wasted space beside the base figure', () => {
    const text = renderComment(outcomeOf(rows), { marker: MARKER, details: ['files'] });
    expect(text).toContain('<code>release</code> · linux/amd64 · 3 files changed · 4.00 MB wasted</summary>');
    expect(text).toContain('| added | `/usr/lib/libbig.so` | — | 3.00 MB | +3.00 MB |');
    expect(text).toContain('| grown | `/app/bin` | 1.00 MB | 1.50 MB | +500 kB |');
    expect(text).toContain('| removed | `/etc/old.conf` | 2.00 kB | — | -2.00 kB |');
    expect(text).toContain('**Wasted space**: 4.00 MB (33.3% of the image); base: 100 B.');
    expect(text).toContain('| 4.00 MB | `/tmp/cache.tar` |');
    // The changes table comes in the order of the change's size.
    expect(text.indexOf('libbig.so')).toBeLessThan(text.indexOf('/app/bin'));
  });

  it('is absent when not asked for, or when the files were not read', () => {
    expect(renderComment(outcomeOf(rows), { marker: MARKER, details: ['layers'] })).not.toContain('Wasted space');
    const bare: CompareInput[] = [{ target: 'release', platform: 'linux/amd64', head: m(image('release', [layer(3, 10)])), base: m(image('release', [layer(4, 10)])) }];
    expect(renderComment(outcomeOf(bare), { marker: MARKER, details: ['files'] })).not.toContain('Wasted space');
  });

  it('escapes hostile paths in code spans', () => {
    const evil: ImageStats = { ...head, files: files([['a|b/`x`/<!--', 5]], 0) };
    const text = renderComment(outcomeOf([{ target: 'release', platform: 'linux/amd64', head: m(evil), base: m(base) }]), { marker: MARKER, details: ['files'] });
    expect(text).not.toContain('<!--x');
    expect(text.split('\n').filter((l) => l.includes('a\\|b')).every((l) => l.startsWith('| added |'))).toBe(true);
  });
});

describe('several images in one comment', () => {
  const rows: CompareInput[] = [
    { image: 'api', target: 'release', platform: 'linux/amd64', head: m(image('release', [layer(1, 1_000_000), layer(2, 1_000_000)])), base: m(image('release', [layer(1, 1_000_000)])) },
    { image: 'web', target: 'release', platform: 'linux/amd64', head: m(image('release', [layer(3, 500)])), base: m(image('release', [layer(3, 500)])) }
  ];
  const outcome = outcomeOf(rows);

  it('names the image before the target in the table, the failed checks and the details', () => {
    const text = renderComment(outcome, { marker: MARKER, details: ['layers'] });
    expect(text).toContain('| `api` › `release` | linux/amd64 |');
    expect(text).toContain('| `web` › `release` | linux/amd64 |');
    expect(text).toMatch(/- `api` › `release` \(linux\/amd64\): .*exceeds max-increase 10%/);
    expect(text).toContain('<details><summary><code>api</code> › <code>release</code> · linux/amd64 ·');
  });

  it('the image label round-trips through the JSON report, and a single image has none', () => {
    const report = buildReport(outcome, { tool: { name: 'image-budget', version: '0' }, event: 'pull_request', repository: 'o/r', createdAt: '2026-01-01T00:00:00.000Z' });
    expect(report.targets.map((t) => t.image)).toEqual(['api', 'web']);
    const back = validateReport(JSON.parse(JSON.stringify(report)));
    expect(back.ok).toBe(true);
    if (back.ok) expect(outcomeFromReport(back.report).rows.map((r) => r.image)).toEqual(['api', 'web']);
    const single = buildReport(outcomeOf([{ target: 'release', platform: 'linux/amd64', head: m(image('release', [layer(1, 1)])), base: { state: 'absent' } }]), {
      tool: { name: 'image-budget', version: '0' },
      event: 'push',
      repository: 'o/r',
      createdAt: '2026-01-01T00:00:00.000Z'
    });
    expect('image' in single.targets[0]!).toBe(false);
  });
});

describe('details: files read back from reports (a stored baseline, merged or fork reports)', () => {
  const meta = (event: string) => ({ tool: { name: 'image-budget', version: '0' }, event, repository: 'o/r', createdAt: '2026-01-01T00:00:00.000Z' });
  const files = (entries: Array<[string, number]>, wastedBytes = 0, wasted: Array<{ path: string; bytes: number }> = []): FileStats => ({
    final: new Map(entries),
    wastedBytes,
    wasted
  });
  const base: ImageStats = { ...image('release', [layer(1, 1_000_000)]), files: files([['app/bin', 1_000_000], ['etc/old.conf', 2_000]], 100) };
  const head: ImageStats = {
    ...image('release', [layer(1, 1_000_000), layer(2, 3_000_000)]),
    files: files([['app/bin', 1_500_000], ['usr/lib/libbig.so', 3_000_000]], 4_000_000, [{ path: 'tmp/cache.tar', bytes: 4_000_000 }])
  };
  /** What a push of the base commit stored, read back as a pull request's run reads it. */
  const stored = (side: ImageStats): SideResult => {
    const pushed = buildReport(outcomeOf([{ target: 'release', platform: 'linux/amd64', head: m(side), base: { state: 'absent' } }]), meta('push'));
    const parsed = parseStoredReport(JSON.stringify(pushed), { repository: 'o/r', sha: HEAD.sha });
    if (!parsed.ok) throw new Error(parsed.reason);
    return baseFromReport(parsed.report, ['release']).results[0]!.results[0]!.result;
  };
  const section = (text: string): string => text.slice(text.indexOf('<details><summary><code>release</code>'), text.indexOf('</details>', text.indexOf('<code>release</code> · linux/amd64 ·')) + 10);
  const filesOf = (rows: CompareInput[]): string => section(renderComment(outcomeOf(rows), { marker: MARKER, details: ['files'] }));

  it('a stored baseline gives the same files section as a base build', () => {
    const built = filesOf([{ target: 'release', platform: 'linux/amd64', head: m(head), base: m(base) }]);
    expect(built).toContain('| removed | `/etc/old.conf` | 2.00 kB | — | -2.00 kB |');
    expect(filesOf([{ target: 'release', platform: 'linux/amd64', head: m(head), base: stored(base) }])).toBe(built);
  });

  it('a cut base list: compared where it lists files, a larger file it lacks "added or grown", and how it was cut', () => {
    const cut: ImageStats = { ...base, files: { ...files([['app/bin', 1_000_000]], 100), listing: { kind: 'cut', below: 10_000, files: 2, bytes: 1_002_000 } } };
    expect(filesOf([{ target: 'release', platform: 'linux/amd64', head: m(head), base: stored(cut) }])).toBe(
      [
        '<details><summary><code>release</code> · linux/amd64 · at least 2 files changed · 4.00 MB wasted</summary>',
        '',
        '| Change | Path | Before | After | Δ |\n|:--|:--|--:|--:|--:|\n| added or grown | `/usr/lib/libbig.so` | under 10.0 kB | 3.00 MB | +2.99 MB or more |\n| grown | `/app/bin` | 1.00 MB | 1.50 MB | +500 kB |',
        '',
        '_Of the listed files: 0 files added (0 B), 0 removed (0 B), 1 grown (+500 kB), 0 shrunk (0 B)._',
        '',
        '_The base\'s file list was cut: files under 10.0 kB are not listed (1 file, 2.00 kB); a head file it lacks is "added or grown" when it is 10.0 kB or more, and not shown when smaller._',
        '',
        '**Wasted space**: 4.00 MB (33.3% of the image); base: 100 B. Files that a later layer overwrites or deletes still ship in the earlier layer.',
        '',
        '| Wasted | Path |\n|--:|:--|\n| 4.00 MB | `/tmp/cache.tar` |',
        '',
        '</details>'
      ].join('\n')
    );
  });

  it('a stored baseline of an older version (no list): no file table, a note, the wasted space', () => {
    const old: ImageStats = { ...base, files: { ...files([], 100), listing: { kind: 'none' } } };
    expect(filesOf([{ target: 'release', platform: 'linux/amd64', head: m(head), base: stored(old) }])).toBe(
      [
        '<details><summary><code>release</code> · linux/amd64 · 4.00 MB wasted</summary>',
        '',
        '_The stored baseline has no file list, so file changes are not shown._',
        '',
        '**Wasted space**: 4.00 MB (33.3% of the image); base: 100 B. Files that a later layer overwrites or deletes still ship in the earlier layer.',
        '',
        '| Wasted | Path |\n|--:|:--|\n| 4.00 MB | `/tmp/cache.tar` |',
        '',
        '</details>'
      ].join('\n')
    );
  });

  it('paths read back from an untrusted report are shown escaped, one table row each', () => {
    const evil = ['a|b/`x`/<!--', 'line\nbreak</details>', '<img src=x onerror=alert(1)>'];
    const hostile: ImageStats = { ...head, files: files([...evil.map((p): [string, number] => [p, 9_000]), ['app/bin', 1_500_000]]) };
    // The listing travels in the stored report: the base side is the one read back.
    const text = renderComment(outcomeOf([{ target: 'release', platform: 'linux/amd64', head: m(head), base: stored(hostile) }]), { marker: MARKER, details: ['files'] });
    const rows = text.split('\n').filter((l) => /^\| (added|removed|grown|shrunk) \|/.test(l));
    expect(rows).toEqual([
      '| added | `/usr/lib/libbig.so` | — | 3.00 MB | +3.00 MB |',
      '| removed | `/<img src=x onerror=alert(1)>` | 9.00 kB | — | -9.00 kB |',
      `| removed | \`\`/a\\|b/\`x\`/<${WORD_JOINER}!--\`\` | 9.00 kB | — | -9.00 kB |`,
      '| removed | `/line break</details>` | 9.00 kB | — | -9.00 kB |'
    ]);
    expect(text).not.toContain('<!--x');
  });

  it('merged reports (mode: merge, mode: comment) render the files sections their runs rendered', () => {
    const job = (name: string): ReportSource => {
      const outcome = outcomeOf([{ image: name, target: 'release', platform: 'linux/amd64', head: m(head), base: m(base) }]);
      const back = validateReport(JSON.parse(JSON.stringify(buildReport(outcome, meta('pull_request')))));
      if (!back.ok) throw new Error(back.error);
      return { label: `${name}.json`, report: back.report };
    };
    const merged = mergeReports([job('api'), job('web')]);
    if (!merged.ok) throw new Error(merged.error);
    const text = renderComment(merged.outcome, { marker: MARKER, details: ['files'] });
    for (const name of ['api', 'web']) {
      expect(text).toContain(`<details><summary><code>${name}</code> › <code>release</code> · linux/amd64 · 3 files changed · 4.00 MB wasted</summary>`);
    }
    const rows = text.split('\n').filter((l) => /^\| (added|removed|grown|shrunk) \|/.test(l));
    expect(rows).toEqual(
      [0, 1].flatMap(() => [
        '| added | `/usr/lib/libbig.so` | — | 3.00 MB | +3.00 MB |',
        '| grown | `/app/bin` | 1.00 MB | 1.50 MB | +500 kB |',
        '| removed | `/etc/old.conf` | 2.00 kB | — | -2.00 kB |'
      ])
    );
  });
});
