// The versioned JSON report (report/json.ts): what buildReport writes, what validateReport refuses
// (each error names the field and the problem), the limits it accepts up to, and the round trip back
// to an Outcome. Most cases were found unpinned by mutation testing (docs/mutation.md).
import { describe, expect, it } from '@jest/globals';
import type { FileStats, ImageStats, Outcome, SideResult } from '../../src/model.js';
import { MAX_STORED_REPORT_BYTES } from '../../src/baseline/store.js';
import { refuseForPull } from '../../src/report/artifact.js';
import { compareRow } from '../../src/report/compare.js';
import { boundedFinal, buildReport, LISTING_BUDGET_BYTES, LISTING_ENTRY_OVERHEAD, outcomeFromReport, REPORT_LIMITS, type Report, type ReportFiles } from '../../src/report/report.js';
import { validateReport } from '../../src/report/validate.js';
import { buildOutcome, judgeRow } from '../../src/report/policy.js';
import { measured as measuredSide, oneLayerImage } from '../support/outcomes.js';
import { makeReport, SHA_BASE, SHA_HEAD } from '../support/reports.js';

/** A changed row over its max-size budget: measured on both sides, with a delta and a failed verdict. */
const report = (): Report => makeReport({ rows: [{ target: 'release', base: 100, head: 120, regressed: true }] });

const DELETE = Symbol('delete');
type Json = Record<string | number, unknown>;

type Edit = readonly [path: ReadonlyArray<string | number>, value: unknown];

/** The report as parsed JSON would hold it, with the value at each path replaced (or deleted). */
function edits(changes: readonly Edit[], from: unknown = report()): unknown {
  const root = JSON.parse(JSON.stringify(from)) as Json;
  for (const [path, value] of changes) {
    let node: Json = root;
    for (const key of path.slice(0, -1)) node = node[key] as Json;
    const last = path[path.length - 1]!;
    if (value === DELETE) delete node[last];
    else node[last] = value;
  }
  return root;
}
const edit = (path: ReadonlyArray<string | number>, value: unknown, from?: unknown): unknown => edits([[path, value]], from);

const read = (value: unknown): ReturnType<typeof validateReport> => validateReport(value);
const roundTrip = (r: Report): ReturnType<typeof validateReport> => validateReport(JSON.parse(JSON.stringify(r)));

describe('validateReport names the field and the problem', () => {
  const wasted = (w: unknown): unknown => edit(['targets', 0, 'head', 'files'], { wastedBytes: 10, wasted: w });

  it.each<[string, unknown, string]>([
    // top level
    ['a missing tool name', edit(['tool', 'name'], DELETE), 'tool.name: expected a string'],
    ['a tool version that is a number', edit(['tool', 'version'], 1), 'tool.version: expected a string'],
    ['an event that is a number', edit(['event'], 5), 'event: expected a string'],
    ['a null repository', edit(['repository'], null), 'repository: expected a string'],
    ['a negative runId', edit(['runId'], -1), 'runId: expected a non-negative integer'],
    ['a time in the right format that does not exist', edit(['createdAt'], '2026-13-01T00:00:00Z'), 'createdAt: not a valid time'],
    ['an hour 25', edit(['createdAt'], '2026-01-01T25:00:00Z'), 'createdAt: not a valid time'],
    ['a day the month does not have (Date.parse would roll it over)', edit(['createdAt'], '2026-02-30T10:00:00Z'), 'createdAt: not a valid time'],
    ['February 29 of a year that is not a leap year', edit(['createdAt'], '2100-02-29T10:00:00Z'), 'createdAt: not a valid time'],
    ['regressed as a string', edit(['regressed'], 'yes'), 'regressed: expected true or false'],
    ['changed as a number', edit(['changed'], 1), 'changed: expected true or false'],
    ['a base commit that is a string', edit(['base'], 'main'), 'base: expected an object'],
    ['a base commit without a sha', edit(['base'], {}), 'base.sha: expected a string'],
    ['a head ref that is a number', edit(['head', 'ref'], 7), 'head.ref: expected a string'],
    ['notes that are a string', edit(['notes'], 'none'), 'notes: expected an array'],
    ['a note that is a number', edit(['notes'], ['ok', 3]), 'notes[1]: expected a string'],
    // a target
    ['a target that is not an object', edit(['targets', 0], 'release'), 'targets[0]: expected an object'],
    ['a null base side', edit(['targets', 0, 'base'], null), 'targets[0].base: expected an object'],
    ['an "unchanged" row whose head failed', edits([[['targets', 0, 'status'], 'unchanged'], [['targets', 0, 'head'], { state: 'failed', error: 'x' }]]), 'targets[0].status: "unchanged" needs both sides measured'],
    ['a "changed" row whose head is absent', edit(['targets', 0, 'head'], { state: 'absent' }), 'targets[0].status: "changed" needs both sides measured'],
    ['verdicts that are an object', edit(['targets', 0, 'verdicts'], {}), 'targets[0].verdicts: expected an array'],
    ['a target regressed as a string', edit(['targets', 0, 'regressed'], 'true'), 'targets[0].regressed: expected true or false'],
    ['an image that is a number', edit(['targets', 0, 'image'], 5), 'targets[0].image: expected a string'],
    ['a missing target name', edit(['targets', 0, 'target'], DELETE), 'targets[0].target: expected a string'],
    ['a platform that is a list', edit(['targets', 0, 'platform'], ['linux/amd64']), 'targets[0].platform: expected a string'],
    // a side
    ['an unknown side state', edit(['targets', 0, 'head', 'state'], 'gone'), 'targets[0].head.state: expected one of measured, failed, absent, unavailable'],
    ['a malformed config digest', edit(['targets', 0, 'head', 'configDigest'], 'sha256:abc'), 'targets[0].head.configDigest: malformed value'],
    ['a negative uncompressed size', edit(['targets', 0, 'head', 'uncompressedBytes'], -3), 'targets[0].head.uncompressedBytes: expected a non-negative integer'],
    ['a fractional layer count', edit(['targets', 0, 'head', 'layerCount'], 1.5), 'targets[0].head.layerCount: expected a non-negative integer'],
    ['an unknown method', edit(['targets', 0, 'head', 'method'], 'tarball'), 'targets[0].head.method: expected one of oci-layout, docker-save'],
    ['layers that are null', edit(['targets', 0, 'head', 'layers'], null), 'targets[0].head.layers: expected an array'],
    ['a failed side whose error is a number', edit(['targets', 0, 'base'], { state: 'failed', error: 1 }), 'targets[0].base.error: expected a string'],
    ['an unavailable side without a reason', edit(['targets', 0, 'base'], { state: 'unavailable' }), 'targets[0].base.reason: expected a string'],
    // file details
    ['files that are a string', edit(['targets', 0, 'head', 'files'], 'none'), 'targets[0].head.files: expected an object'],
    ['a negative wasted size', edit(['targets', 0, 'head', 'files'], { wastedBytes: -1, wasted: [] }), 'targets[0].head.files.wastedBytes: expected a non-negative integer'],
    ['a wasted list that is an object', wasted({}), 'targets[0].head.files.wasted: expected an array'],
    ['a wasted entry that is a string', wasted(['/tmp/x']), 'targets[0].head.files.wasted[0]: expected an object'],
    ['a wasted entry without a path', wasted([{ path: '/a', bytes: 1 }, { bytes: 1 }]), 'targets[0].head.files.wasted[1].path: expected a string'],
    ['a wasted entry with a negative size', wasted([{ path: '/a', bytes: -1 }]), 'targets[0].head.files.wasted[0].bytes: expected a non-negative integer'],
    // a layer
    ['a layer media type that is a number', edit(['targets', 0, 'head', 'layers', 0, 'mediaType'], 3), 'targets[0].head.layers[0].mediaType: expected a string'],
    ['a negative compressed layer size', edit(['targets', 0, 'base', 'layers', 0, 'compressedBytes'], -1), 'targets[0].base.layers[0].compressedBytes: expected a non-negative integer'],
    ['a layer without an instruction', edit(['targets', 0, 'head', 'layers', 0, 'instruction'], DELETE), 'targets[0].head.layers[0].instruction: expected a string'],
    // the delta (may be negative, must be whole)
    ['a fractional compressed delta', edit(['targets', 0, 'delta', 'compressedBytes'], 1.5), 'targets[0].delta.compressedBytes: expected an integer'],
    ['an uncompressed delta as a string', edit(['targets', 0, 'delta', 'uncompressedBytes'], '60'), 'targets[0].delta.uncompressedBytes: expected an integer'],
    ['a null layer delta', edit(['targets', 0, 'delta', 'layerCount'], null), 'targets[0].delta.layerCount: expected an integer'],
    ['an uncompressed percent as a string', edit(['targets', 0, 'delta', 'uncompressedPercent'], '20%'), 'targets[0].delta.uncompressedPercent: expected a number or null'],
    // a verdict
    ['a verdict ok as a string', edit(['targets', 0, 'verdicts', 0, 'ok'], 'false'), 'targets[0].verdicts[0].ok: expected true or false'],
    ['a verdict without a reason', edit(['targets', 0, 'verdicts', 0, 'reason'], DELETE), 'targets[0].verdicts[0].reason: expected a string']
  ])('refuses %s', (_name, value, error) => {
    expect(read(value)).toEqual({ ok: false, error });
  });

  it('a negative delta is fine (a shrink)', () => {
    const shrink = makeReport({ rows: [{ target: 'release', base: 120, head: 100 }] });
    expect(shrink.targets[0]!.delta).toEqual({ compressedBytes: -20, uncompressedBytes: -60, layerCount: 0, compressedPercent: (-20 / 120) * 100, uncompressedPercent: (-60 / 360) * 100 });
    expect(roundTrip(shrink)).toEqual({ ok: true, report: shrink });
  });
});

describe('validateReport limits: up to the cap is accepted, one more is refused', () => {
  const ok = (value: unknown): boolean => read(value).ok;

  it('strings: tool name 200, event 100, repository 200, target 256, build error 64 KiB', () => {
    expect(ok(edit(['tool', 'name'], 'n'.repeat(200)))).toBe(true);
    expect(read(edit(['tool', 'name'], 'n'.repeat(201)))).toEqual({ ok: false, error: 'tool.name: longer than 200 characters' });
    expect(ok(edit(['tool', 'version'], 'v'.repeat(200)))).toBe(true);
    expect(read(edit(['tool', 'version'], 'v'.repeat(201)))).toEqual({ ok: false, error: 'tool.version: longer than 200 characters' });
    expect(ok(edit(['event'], 'e'.repeat(100)))).toBe(true);
    expect(read(edit(['event'], 'e'.repeat(101)))).toEqual({ ok: false, error: 'event: longer than 100 characters' });
    expect(ok(edit(['repository'], 'r'.repeat(200)))).toBe(true);
    expect(read(edit(['repository'], 'r'.repeat(201)))).toEqual({ ok: false, error: 'repository: longer than 200 characters' });
    expect(ok(edit(['targets', 0, 'target'], 't'.repeat(256)))).toBe(true);
    expect(read(edit(['targets', 0, 'target'], 't'.repeat(257)))).toEqual({ ok: false, error: 'targets[0].target: longer than 256 characters' });
    const failedBase = (error: string): unknown =>
      edits([[['targets', 0, 'status'], 'no-baseline'], [['targets', 0, 'base'], { state: 'failed', error }], [['targets', 0, 'delta'], DELETE]]);
    expect(ok(failedBase('x'.repeat(REPORT_LIMITS.error)))).toBe(true);
    expect(read(failedBase('x'.repeat(REPORT_LIMITS.error + 1)))).toEqual({ ok: false, error: 'targets[0].base.error: longer than 65536 characters' });
  });

  it('lists: 100 notes, 16 verdicts', () => {
    expect(ok(edit(['notes'], new Array<string>(REPORT_LIMITS.notes).fill('n')))).toBe(true);
    expect(read(edit(['notes'], new Array<string>(REPORT_LIMITS.notes + 1).fill('n')))).toEqual({ ok: false, error: 'notes: more than 100 entries' });
    const verdict = report().targets[0]!.verdicts[0]!;
    expect(ok(edit(['targets', 0, 'verdicts'], new Array(16).fill(verdict)))).toBe(true);
    expect(read(edit(['targets', 0, 'verdicts'], new Array(17).fill(verdict)))).toEqual({ ok: false, error: 'targets[0].verdicts: more than 16 entries' });
  });

  it('a runId of 0 is a run id', () => {
    expect(read(edit(['runId'], 0))).toMatchObject({ ok: true, report: { runId: 0 } });
  });
});

describe('buildReport', () => {
  const outcome = buildOutcome({ metric: 'compressed', rows: [], head: { sha: SHA_HEAD } });
  const meta = { tool: { name: 'image-budget', version: '1' }, event: 'push', repository: 'o/r', createdAt: '2026-11-29T10:00:00Z' };

  it.each<[string, number | string, number | undefined]>([
    ['0', 0, 0],
    ['"0"', '0', 0],
    ['15 digits', '999999999999999', 999999999999999],
    ['16 digits (more than GITHUB_RUN_ID has)', '1000000000000000', undefined],
    ['a leading space', ' 12', undefined],
    ['a trailing space', '12 ', undefined],
    ['an exponent', '1e3', undefined],
    ['hex', '0x10', undefined],
    ['a fraction', '1.0', undefined]
  ])('runId %s', (_name, runId, expected) => {
    const built = buildReport(outcome, { ...meta, runId });
    expect(built.runId).toBe(expected);
    expect('runId' in built).toBe(expected !== undefined);
  });

  it('a commit without a ref has no ref key, and reads back identical (no undefined fields)', () => {
    const built = buildReport(buildOutcome({ metric: 'compressed', rows: [], head: { sha: SHA_HEAD }, base: { sha: SHA_BASE, ref: 'main' } }), meta);
    expect(built.head).toStrictEqual({ sha: SHA_HEAD });
    expect(built.base).toStrictEqual({ sha: SHA_BASE, ref: 'main' });
    expect(roundTrip(built)).toStrictEqual({ ok: true, report: built });
  });
});

describe('outcomeFromReport', () => {
  const digest = (n: number): string => `sha256:${n.toString(16).padStart(64, '0')}`;
  const image = (compressed: number): ImageStats => ({
    target: 'release',
    platform: 'linux/arm64',
    digest: digest(compressed),
    configDigest: digest(compressed + 1),
    compressedBytes: compressed,
    uncompressedBytes: compressed * 2,
    layerCount: 1,
    layers: [{ digest: digest(compressed + 2), mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', compressedBytes: compressed, uncompressedBytes: compressed * 2, instruction: 'COPY . /' }],
    method: 'docker-save'
  });
  const measured = (i: ImageStats): SideResult => ({ state: 'measured', image: i });
  const budgets = { maxIncrease: { fallback: { kind: 'percent' as const, percent: 5, text: '5%' }, byTarget: new Map() }, maxSize: { byTarget: new Map() }, maxLayers: { byTarget: new Map() } };

  it('reads a stored report back to exactly the outcome it was built from (a base of 0 bytes: percent null)', () => {
    const rows = [
      judgeRow(compareRow({ target: 'release', platform: 'linux/arm64', head: measured(image(300)), base: measured(image(0)) }), budgets, 'compressed'),
      judgeRow(compareRow({ target: 'release', platform: 'linux/arm64', head: { state: 'unavailable', reason: 'skipped' }, base: { state: 'absent' } }), budgets, 'compressed')
    ];
    expect(rows[0]!.delta).toEqual({ compressedBytes: 300, uncompressedBytes: 600, layerCount: 0, compressedPercent: null, uncompressedPercent: null });
    const outcome = buildOutcome({ metric: 'compressed', rows, head: { sha: SHA_HEAD, ref: 'refs/pull/7/merge' }, base: { sha: SHA_BASE }, notes: ['n'] });
    const built = buildReport(outcome, { tool: { name: 'image-budget', version: '1' }, event: 'pull_request', repository: 'o/r', createdAt: '2026-11-29T10:00:00Z' });
    const back = roundTrip(built);
    if (!back.ok) throw new Error(back.error);
    expect(outcomeFromReport(back.report)).toStrictEqual(outcome);
    expect('image' in outcomeFromReport(back.report).rows[0]!).toBe(false);
  });
});

// docs/mutation.md, artifact.ts: the 'none' / 'unknown' fallbacks. A run without GITHUB_REPOSITORY
// writes an empty repository (main.ts, cli), so validateReport must let one through.
describe('an empty repository or event', () => {
  it('reads back, and the artifact check names the repository "none"', () => {
    const value = edit(['event'], '', makeReport({ rows: [{ target: 'release', head: 10 }], repository: '' }));
    const back = read(value);
    if (!back.ok) throw new Error(back.error);
    expect([back.report.repository, back.report.event]).toEqual(['', '']);
    expect(refuseForPull([{ label: 'report.json', report: back.report }], { repository: 'o/r', number: 7, headSha: SHA_HEAD })).toBe(
      'report.json: it is a report of another repository (none), not o/r'
    );
  });
});

describe('validateReport createdAt: real calendar times are read', () => {
  it.each(['2024-02-29T23:59:59Z', '2000-02-29T00:00:00.123+02:00', '2026-12-31T10:00:00-05:00'])('%s is accepted', (createdAt) => {
    const result = read(edit(['createdAt'], createdAt));
    expect(result.ok && result.report.createdAt).toBe(createdAt);
  });
});

describe('the file listing (files.final): bounded on writing, checked on reading', () => {
  const budgets = { maxIncrease: { byTarget: new Map() }, maxSize: { byTarget: new Map() }, maxLayers: { byTarget: new Map() } };
  const meta = { tool: { name: 'image-budget', version: '1' }, event: 'push', repository: 'o/r', createdAt: '2026-11-29T10:00:00Z' };
  const stats = (files: Array<[string, number]>, listing?: FileStats['listing']): FileStats => ({
    final: new Map(files),
    wastedBytes: 7,
    wasted: [{ path: 'tmp/x', bytes: 7 }],
    ...(listing ? { listing } : {})
  });
  /** One row per entry, each side with the given file details. */
  const outcomeWith = (sides: ReadonlyArray<readonly [head: FileStats, base?: FileStats]>): Outcome =>
    buildOutcome({
      metric: 'compressed',
      rows: sides.map(([head, base], i) =>
        judgeRow(
          compareRow({
            target: `t${i}`,
            platform: 'linux/amd64',
            head: measuredSide({ ...oneLayerImage(`t${i}`, 200), files: head }),
            base: measuredSide({ ...oneLayerImage(`t${i}`, 100), ...(base ? { files: base } : {}) })
          }),
          budgets,
          'compressed'
        )
      ),
      head: { sha: SHA_HEAD },
      base: { sha: SHA_BASE }
    });
  const headFiles = (r: Report, i = 0): unknown => (r.targets[i]!.head as { files?: unknown }).files;
  /** What one entry costs at most in the indented report: its path's JSON string and 104 bytes. */
  const cost = (path: string): number => LISTING_ENTRY_OVERHEAD + Buffer.byteLength(JSON.stringify(path));

  it('every file, largest first, when they fit; read back as a complete list', () => {
    const built = buildReport(outcomeWith([[stats([['b', 10], ['a', 30], ['c', 10], ['z', 0]])]]), meta);
    expect(headFiles(built)).toEqual({
      wastedBytes: 7,
      wasted: [{ path: 'tmp/x', bytes: 7 }],
      final: { files: 4, bytes: 50, listed: [{ path: 'a', bytes: 30 }, { path: 'b', bytes: 10 }, { path: 'c', bytes: 10 }, { path: 'z', bytes: 0 }] }
    });
    const back = roundTrip(built);
    if (!back.ok) throw new Error(back.error);
    const head = outcomeFromReport(back.report).rows[0]!.head;
    expect(head.state === 'measured' && head.image.files).toStrictEqual({
      final: new Map([['a', 30], ['b', 10], ['c', 10], ['z', 0]]),
      wastedBytes: 7,
      wasted: [{ path: 'tmp/x', bytes: 7 }]
    });
  });

  it('cut at a size when the budget is spent: every file of that size or less goes, ties included', () => {
    const files = stats([['a', 500], ['b', 400], ['c', 300], ['d', 300], ['e', 100]]);
    // Room for exactly three entries: the fourth (d, 300 B) does not fit, so c (300 B) goes too.
    expect(boundedFinal(files, cost('a') * 3)).toEqual({ files: 5, bytes: 1600, below: 301, listed: [{ path: 'a', bytes: 500 }, { path: 'b', bytes: 400 }] });
    expect(boundedFinal(files, cost('a') * 5)).toEqual({ files: 5, bytes: 1600, listed: [...files.final].map(([path, bytes]) => ({ path, bytes })) });
    expect(boundedFinal(files, 0)).toEqual({ files: 5, bytes: 1600, below: 501, listed: [] });
  });

  it(`at most ${REPORT_LIMITS.listed} entries; a path longer than the reader takes ends the list`, () => {
    const many = stats(Array.from({ length: REPORT_LIMITS.listed + 1 }, (_, i): [string, number] => [`f${i}`, i + 1]));
    const capped = boundedFinal(many, Number.MAX_SAFE_INTEGER);
    expect([capped.below, capped.listed.length, capped.files]).toEqual([2, REPORT_LIMITS.listed, REPORT_LIMITS.listed + 1]);
    const long = boundedFinal(stats([['big', 900], ['p'.repeat(REPORT_LIMITS.string + 1), 800], ['small', 10]]), Number.MAX_SAFE_INTEGER);
    expect(long).toEqual({ files: 3, bytes: 1710, below: 801, listed: [{ path: 'big', bytes: 900 }] });
  });

  it('a list read cut is written with its cut (or a higher one) and its totals', () => {
    const cut = stats([['a', 500], ['b', 400]], { kind: 'cut', below: 200, files: 9, bytes: 2000 });
    expect(boundedFinal(cut, Number.MAX_SAFE_INTEGER)).toEqual({ files: 9, bytes: 2000, below: 200, listed: [{ path: 'a', bytes: 500 }, { path: 'b', bytes: 400 }] });
    expect(boundedFinal(cut, cost('a'))).toEqual({ files: 9, bytes: 2000, below: 401, listed: [{ path: 'a', bytes: 500 }] });
    // No list at all stays none: no `final` is written.
    const built = buildReport(outcomeWith([[stats([], { kind: 'none' })]]), meta);
    expect(headFiles(built)).toEqual({ wastedBytes: 7, wasted: [{ path: 'tmp/x', bytes: 7 }] });
  });

  it('the listings of a report share 2 MiB: the worst paths (4096 escaped control characters) on every side stay within it', () => {
    const worst = (n: number): FileStats => stats(Array.from({ length: n }, (_, i): [string, number] => [`${String(i).padStart(5, '0')}${'\u0001'.repeat(4091)}`, 1_000_000 - i]));
    for (const rows of [1, 3]) {
      const sides = Array.from({ length: rows }, () => [worst(200), worst(200)] as const);
      const built = buildReport(outcomeWith(sides), meta);
      const text = JSON.stringify(built, null, 2);
      const without = JSON.stringify(buildReport(outcomeWith(sides.map(() => [stats([], { kind: 'none' }), stats([], { kind: 'none' })])), meta), null, 2);
      // The listings add at most the budget and, per side, the fixed fields (files, bytes, below).
      expect(Buffer.byteLength(text) - Buffer.byteLength(without)).toBeLessThanOrEqual(LISTING_BUDGET_BYTES + rows * 2 * 200);
      expect(Buffer.byteLength(text)).toBeLessThan(MAX_STORED_REPORT_BYTES / 3);
      const listed = (built.targets[0]!.head as { files: ReportFiles }).files.final!;
      expect(listed.listed.length).toBe(Math.floor(Math.floor(LISTING_BUDGET_BYTES / (rows * 2)) / cost(worst(1).final.keys().next().value!)));
      expect(roundTrip(built).ok).toBe(true);
    }
  });

  it('an older report without a list reads back, as having none', () => {
    const value = edit(['targets', 0, 'head', 'files'], { wastedBytes: 10, wasted: [] });
    const back = read(value);
    if (!back.ok) throw new Error(back.error);
    const head = outcomeFromReport(back.report).rows[0]!.head;
    expect(head.state === 'measured' && head.image.files).toStrictEqual({ final: new Map(), wastedBytes: 10, wasted: [], listing: { kind: 'none' } });
  });

  it('a cut list reads back as cut, with its totals', () => {
    const value = edit(['targets', 0, 'head', 'files'], { wastedBytes: 0, wasted: [], final: { files: 5, bytes: 900, below: 100, listed: [{ path: 'a', bytes: 100 }] } });
    const back = read(value);
    if (!back.ok) throw new Error(back.error);
    const head = outcomeFromReport(back.report).rows[0]!.head;
    expect(head.state === 'measured' && head.image.files).toStrictEqual({
      final: new Map([['a', 100]]),
      wastedBytes: 0,
      wasted: [],
      listing: { kind: 'cut', below: 100, files: 5, bytes: 900 }
    });
  });

  const final = (f: unknown): unknown => edit(['targets', 0, 'head', 'files'], { wastedBytes: 0, wasted: [], final: f });
  const entry = (path: unknown, bytes: unknown = 1): unknown => ({ path, bytes });
  it.each<[string, unknown, string]>([
    ['a listing that is a list', final([]), 'targets[0].head.files.final: expected an object'],
    ['a missing file count', final({ bytes: 1, listed: [] }), 'targets[0].head.files.final.files: expected a non-negative integer'],
    ['a byte total as a string', final({ files: 0, bytes: '1', listed: [] }), 'targets[0].head.files.final.bytes: expected a non-negative integer'],
    ['a cut at 0 bytes', final({ files: 0, bytes: 0, below: 0, listed: [] }), 'targets[0].head.files.final.below: expected 1 or more (a listing of every file has no "below")'],
    ['a fractional cut', final({ files: 0, bytes: 0, below: 1.5, listed: [] }), 'targets[0].head.files.final.below: expected a non-negative integer'],
    ['listed as an object', final({ files: 0, bytes: 0, listed: {} }), 'targets[0].head.files.final.listed: expected an array'],
    ['an entry without a path', final({ files: 1, bytes: 1, listed: [{ bytes: 1 }] }), 'targets[0].head.files.final.listed[0].path: expected a string'],
    ['a path too long', final({ files: 1, bytes: 1, listed: [entry('p'.repeat(4097))] }), 'targets[0].head.files.final.listed[0].path: longer than 4096 characters'],
    ['a negative size', final({ files: 1, bytes: 1, listed: [entry('a', -1)] }), 'targets[0].head.files.final.listed[0].bytes: expected a non-negative integer'],
    ['a path listed twice', final({ files: 2, bytes: 2, listed: [entry('a'), entry('a')] }), 'targets[0].head.files.final.listed[1].path: listed twice'],
    ['a file under the cut', final({ files: 9, bytes: 9, below: 5, listed: [entry('a', 5), entry('b', 4)] }), 'targets[0].head.files.final.listed[1].bytes: under "below" (5)'],
    ['a complete list with fewer files than counted', final({ files: 2, bytes: 1, listed: [entry('a')] }), 'targets[0].head.files.final.files: disagrees with the files listed'],
    ['a cut list with more files than counted', final({ files: 1, bytes: 9, below: 1, listed: [entry('a'), entry('b')] }), 'targets[0].head.files.final.files: disagrees with the files listed'],
    ['fewer bytes than listed', final({ files: 1, bytes: 1, listed: [entry('a', 2)] }), 'targets[0].head.files.final.bytes: less than the bytes listed']
  ])('refuses %s', (_name, value, error) => {
    expect(read(value)).toEqual({ ok: false, error });
  });

  it(`accepts ${REPORT_LIMITS.listed} entries, refuses one more`, () => {
    const n = REPORT_LIMITS.listed;
    const listed = (k: number): unknown[] => Array.from({ length: k }, (_, i) => entry(`f${i}`));
    expect(read(final({ files: n, bytes: n, listed: listed(n) })).ok).toBe(true);
    expect(read(final({ files: n + 1, bytes: n + 1, listed: listed(n + 1) }))).toEqual({ ok: false, error: `targets[0].head.files.final.listed: more than ${n} entries` });
  });
});
