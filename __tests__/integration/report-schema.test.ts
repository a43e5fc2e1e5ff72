// The published JSON Schema of the report (docs/report.schema.json) against the action's own reader
// (validateReport): every report buildReport writes from the test fixtures, and the example in
// docs/report-schema.md, matches the schema; a table of edited reports is refused, or accepted, by
// both alike; and what only the reader can check (the schema's description lists it) is pinned, so
// that description stays true.
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Budgets, FileStats, ImageStats, SideResult } from '../../src/model.js';
import { compareRow } from '../../src/report/compare.js';
import { buildReport, REPORT_LIMITS, type Report } from '../../src/report/report.js';
import { validateReport } from '../../src/report/validate.js';
import { buildOutcome, judgeRow } from '../../src/report/policy.js';
import { ROOT } from '../support/engine.js';
import { measured, smallOutcome, testImage, testLayer } from '../support/outcomes.js';
import { REPORT_SCHEMA_FILE, reportSchemaValidator, schemaErrors } from '../support/report-schema.js';
import { makeReport, SHA_BASE, SHA_HEAD, SHA_PR_HEAD } from '../support/reports.js';

const SAFE = Number.MAX_SAFE_INTEGER;

const budgets: Budgets = {
  maxIncrease: { fallback: { kind: 'percent', percent: 10, text: '10%' }, byTarget: new Map() },
  maxSize: { fallback: { kind: 'bytes', bytes: 1_000_000, text: '1 MB' }, byTarget: new Map() },
  maxLayers: { fallback: 5, byTarget: new Map() },
  maxWasted: { fallback: { kind: 'bytes', bytes: 100, text: '100 B' }, byTarget: new Map() }
};

const files = (entries: Array<[string, number]>, listing?: FileStats['listing']): FileStats => ({
  final: new Map(entries),
  wastedBytes: 40,
  wasted: [{ path: 'tmp/cache', bytes: 40 }],
  ...(listing ? { listing } : {})
});

/**
 * A report with every status, every side state, both methods, an estimate, file listings (one cut,
 * one complete, one none), a base of 0 bytes (percent null), an image label, a pull request and a
 * failed verdict: every part of the schema is met at least once.
 */
function fullReport(): Report {
  const big = (target: string, extra: Partial<ImageStats> = {}): ImageStats => testImage(target, [testLayer(1, 500, 3), testLayer(2, 700, 2)], extra);
  const small = (target: string, extra: Partial<ImageStats> = {}): ImageStats => testImage(target, [testLayer(1, 500, 3)], extra);
  const failed: SideResult = { state: 'failed', error: 'ERROR: process "/bin/sh -c make" did not complete successfully: exit code: 2' };
  const rows = [
    { image: 'api', target: 'release', head: measured(big('release', { files: files([['app/big', 900], ['app/small', 10]], { kind: 'cut', below: 5, files: 9, bytes: 2000 }) })), base: measured(small('release', { files: files([['app/big', 800]]) })) },
    { target: 'same', head: measured(small('same', { files: files([], { kind: 'none' }) })), base: measured(small('same')) },
    { target: 'debug', head: measured(small('debug', { method: 'docker-save', compressedEstimated: true })), base: { state: 'absent' } as const },
    { target: 'other', head: measured(small('other')), base: measured(small('other', { method: 'docker-save' })) },
    { target: 'broken', head: failed, base: { state: 'unavailable', reason: 'no baseline stored for this commit' } as const },
    { target: 'gone', head: { state: 'absent' } as const, base: measured(small('gone')) },
    { target: 'empty', head: measured(small('empty')), base: measured(testImage('empty', [testLayer(9, 0, 1)])) }
  ].map((r) => judgeRow(compareRow({ platform: 'linux/amd64', ...r }), budgets, 'compressed'));
  const outcome = buildOutcome({
    metric: 'compressed',
    rows,
    head: { sha: SHA_HEAD, ref: 'refs/pull/7/merge' },
    base: { sha: SHA_BASE, ref: 'main' },
    notes: ['Budgets (compressed size): max-increase 10%']
  });
  return buildReport(outcome, {
    tool: { name: 'image-budget', version: '0.1.0' },
    event: 'pull_request',
    repository: 'o/r',
    runId: '123',
    createdAt: '2026-11-29T10:00:00.000Z',
    pullRequest: { number: 7, headSha: SHA_PR_HEAD }
  });
}

type Json = Record<string | number, unknown>;

/** The report as parsed JSON holds it. */
const json = (r: unknown): Json => JSON.parse(JSON.stringify(r)) as Json;

/** The JSON examples of docs/report-schema.md that are whole reports. */
function docExamples(): unknown[] {
  const doc = readFileSync(path.join(ROOT, 'docs', 'report-schema.md'), 'utf8');
  return [...doc.matchAll(/```json\n([\s\S]*?)\n```/g)].map((m) => JSON.parse(m[1]!) as unknown);
}

describe('the schema file', () => {
  it('is draft 2020-12 with an $id, and compiles in strict mode', () => {
    const schema = JSON.parse(readFileSync(REPORT_SCHEMA_FILE, 'utf8')) as Record<string, unknown>;
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.$id).toBe('urn:image-budget:report:1');
    expect(schemaErrors(json(fullReport()))).toBeUndefined();
  });

  it('is linked from the README and from docs/report-schema.md', () => {
    expect(readFileSync(path.join(ROOT, 'README.md'), 'utf8')).toContain('](docs/report.schema.json)');
    expect(readFileSync(path.join(ROOT, 'docs', 'report-schema.md'), 'utf8')).toContain('](report.schema.json)');
    // The page's example report is checked below, with the fixtures.
    expect(docExamples()).toHaveLength(1);
  });
});

describe('every report buildReport writes from the fixtures matches the schema, and reads back', () => {
  it('the full report meets every status and side state', () => {
    const r = fullReport();
    expect(new Set(r.targets.map((t) => t.status))).toEqual(new Set(['changed', 'unchanged', 'new', 'removed', 'no-baseline', 'head-failed']));
    expect(new Set(r.targets.flatMap((t) => [t.head.state, t.base.state]))).toEqual(new Set(['measured', 'failed', 'absent', 'unavailable']));
    const text = JSON.stringify(r);
    for (const part of ['"below":5', '"compressedEstimated":true', '"compressedPercent":null', '"image":"api"', '"rule":"max-wasted"', '"ok":false']) expect(text).toContain(part);
  });

  it.each<[string, () => unknown]>([
    ['the full report', fullReport],
    ['a changed row over budget (reports.ts)', () => makeReport({ rows: [{ target: 'release', base: 100, head: 120, regressed: true }] })],
    ['new, failed and shrunk rows of a labelled image (reports.ts)', () => makeReport({ image: 'web', rows: [{ target: 'a', head: 10 }, { target: 'b', head: 'boom' }, { target: 'c', base: 30, head: 20, platform: 'linux/arm64' }] })],
    ['no base, a pull request, a push event, no notes (reports.ts)', () => makeReport({ rows: [{ target: 'a', head: 5 }], baseSha: null, pullRequest: { number: 9, headSha: SHA_PR_HEAD }, event: 'push', notes: [], metric: 'uncompressed' })],
    ['an empty repository and no rows (reports.ts)', () => makeReport({ rows: [], repository: '' })],
    ['small outcomes under max-increase (outcomes.ts)', () => buildReport(smallOutcome([['release', 100, 130], ['debug', 0, 10], ['same', 50, 50]], { maxIncreasePercent: 10, notes: ['n'] }), { tool: { name: 'image-budget', version: '1' }, event: 'local', repository: '', createdAt: '2026-01-01T00:00:00+02:00' })],
    ...docExamples().map((e, i): [string, () => unknown] => [`the example ${i + 1} in docs/report-schema.md`, () => e])
  ])('%s', (_name, make) => {
    const value = json(make());
    expect(schemaErrors(value)).toBeUndefined();
    expect(validateReport(value).ok).toBe(true);
  });
});

// ── Agreement: the schema refuses what the reader refuses, and accepts what it accepts ──────────

const DELETE = Symbol('delete');
type Edit = readonly [path: ReadonlyArray<string | number>, value: unknown];

/** The full report as parsed JSON, with the value at each path replaced (or deleted). */
function edits(changes: readonly Edit[]): unknown {
  const root = json(fullReport());
  for (const [at, value] of changes) {
    let node: Json = root;
    for (const key of at.slice(0, -1)) node = node[key] as Json;
    const last = at[at.length - 1]!;
    if (value === DELETE) delete node[last];
    else node[last] = value;
  }
  return root;
}
const edit = (at: ReadonlyArray<string | number>, value: unknown): unknown => edits([[at, value]]);
const copies = (n: number, value: unknown): unknown[] => new Array<unknown>(n).fill(value);

// Targets of the full report, by what they hold.
const CHANGED = 0; // release: both measured, head files cut, base files complete, image label, failed max-increase
const NEW = 2; // debug: docker-save, compressedEstimated, base absent
const FAILED = 4; // broken: head failed, base unavailable
const REMOVED = 5; // gone: head absent
const layer0 = ['targets', CHANGED, 'head', 'layers', 0];
const headFiles = ['targets', CHANGED, 'head', 'files'];
const final = [...headFiles, 'final'];
const sha64 = 'a'.repeat(64);
const entry = (p: string, bytes = 1): unknown => ({ path: p, bytes });

const refused: Array<[string, unknown]> = [
  // top level
  ['a list instead of a report', []],
  ['null', null],
  ['another schema name', edit(['schema'], 'image-budget/other')],
  ['version 2', edit(['version'], 2)],
  ['version "1"', edit(['version'], '1')],
  ['no tool', edit(['tool'], DELETE)],
  ['a tool name that is a number', edit(['tool', 'name'], 1)],
  ['a tool name of 201 characters', edit(['tool', 'name'], 'n'.repeat(201))],
  ['a tool version of 201 characters', edit(['tool', 'version'], 'v'.repeat(201))],
  ['an event of 101 characters', edit(['event'], 'e'.repeat(101))],
  ['no event', edit(['event'], DELETE)],
  ['a repository of 201 characters', edit(['repository'], 'r'.repeat(201))],
  ['a negative runId', edit(['runId'], -1)],
  ['a fractional runId', edit(['runId'], 1.5)],
  ['a runId as a string', edit(['runId'], '5')],
  ['a runId past 2^53 - 1', edit(['runId'], SAFE + 1)],
  ['no createdAt', edit(['createdAt'], DELETE)],
  ['a createdAt without a zone', edit(['createdAt'], '2026-01-01T00:00:00')],
  ['a createdAt that is a date', edit(['createdAt'], '2026-01-01')],
  ['a createdAt with a lowercase t', edit(['createdAt'], '2026-01-01t00:00:00Z')],
  ['a createdAt of 65 characters', edit(['createdAt'], `2026-01-01T00:00:00.${'1'.repeat(44)}Z`)],
  ['month 13', edit(['createdAt'], '2026-13-01T00:00:00Z')],
  ['hour 25', edit(['createdAt'], '2026-01-01T25:00:00Z')],
  ['February 30', edit(['createdAt'], '2026-02-30T10:00:00Z')],
  ['February 29 of 2100', edit(['createdAt'], '2100-02-29T10:00:00Z')],
  ['an unknown metric', edit(['metric'], 'bytes')],
  ['regressed as a string', edit(['regressed'], 'yes')],
  ['no changed', edit(['changed'], DELETE)],
  ['no head commit', edit(['head'], DELETE)],
  ['a head sha in capitals', edit(['head', 'sha'], 'A'.repeat(40))],
  ['a head sha of 39 digits', edit(['head', 'sha'], 'a'.repeat(39))],
  ['a head sha of 41 digits', edit(['head', 'sha'], 'a'.repeat(41))],
  ['a head ref that is a number', edit(['head', 'ref'], 7)],
  ['a head ref of 1025 characters', edit(['head', 'ref'], 'r'.repeat(1025))],
  ['no base at all (null is the way to say none)', edit(['base'], DELETE)],
  ['a base that is a string', edit(['base'], 'main')],
  ['a base without a sha', edit(['base'], { ref: 'main' })],
  ['pull request number 0', edit(['pullRequest', 'number'], 0)],
  ['a fractional pull request number', edit(['pullRequest', 'number'], 1.5)],
  ['a pull request without its head', edit(['pullRequest', 'headSha'], DELETE)],
  ['a pull request head that is not a sha', edit(['pullRequest', 'headSha'], 'feature')],
  ['targets that are an object', edit(['targets'], {})],
  ['1001 targets', edit(['targets'], copies(REPORT_LIMITS.targets + 1, (json(fullReport()).targets as unknown[])[NEW]))],
  ['notes that are a string', edit(['notes'], 'none')],
  ['101 notes', edit(['notes'], copies(REPORT_LIMITS.notes + 1, 'n'))],
  ['a note of 4097 characters', edit(['notes'], ['n'.repeat(4097)])],
  ['a note that is a number', edit(['notes'], [3])],
  // a target
  ['a target that is a string', edit(['targets', 0], 'release')],
  ['an unknown status', edit(['targets', CHANGED, 'status'], 'grown')],
  ['compressedEstimated "yes"', edit(['targets', NEW, 'head', 'compressedEstimated'], 'yes')],
  ['compressedEstimated null', edit(['targets', NEW, 'head', 'compressedEstimated'], null)],
  ['no status', edit(['targets', CHANGED, 'status'], DELETE)],
  ['an "unchanged" row whose head failed', edits([[['targets', CHANGED, 'status'], 'unchanged'], [['targets', CHANGED, 'head'], { state: 'failed', error: 'x' }]])],
  ['a "changed" row whose base is absent', edit(['targets', CHANGED, 'base'], { state: 'absent' })],
  ['a "changed" row whose base is unavailable', edit(['targets', CHANGED, 'base'], { state: 'unavailable', reason: 'r' })],
  ['verdicts that are an object', edit(['targets', CHANGED, 'verdicts'], {})],
  ['17 verdicts', edits([[['targets', NEW, 'verdicts'], copies(REPORT_LIMITS.verdicts + 1, { rule: 'max-size', ok: true, reason: 'fine' })], [['targets', NEW, 'regressed'], false]])],
  ['an unknown rule', edit(['targets', CHANGED, 'verdicts', 0, 'rule'], 'max-files')],
  ['a verdict ok as a string', edit(['targets', CHANGED, 'verdicts', 0, 'ok'], 'false')],
  ['a verdict reason of 1025 characters', edit(['targets', CHANGED, 'verdicts', 0, 'reason'], 'r'.repeat(1025))],
  ['regressed with every verdict ok', edit(['targets', CHANGED, 'verdicts'], [{ rule: 'max-size', ok: true, reason: 'fine' }])],
  ['not regressed with a failed verdict', edit(['targets', CHANGED, 'regressed'], false)],
  ['regressed with no verdicts', edit(['targets', REMOVED, 'regressed'], true)],
  ['an image of 257 characters', edit(['targets', CHANGED, 'image'], 'i'.repeat(257))],
  ['a target name of 257 characters', edit(['targets', CHANGED, 'target'], 't'.repeat(257))],
  ['no platform', edit(['targets', CHANGED, 'platform'], DELETE)],
  ['a platform that is a list', edit(['targets', CHANGED, 'platform'], ['linux/amd64'])],
  // the delta
  ['a fractional byte delta', edit(['targets', CHANGED, 'delta', 'compressedBytes'], 1.5)],
  ['a byte delta past 2^53 - 1', edit(['targets', CHANGED, 'delta', 'uncompressedBytes'], SAFE + 1)],
  ['a byte delta below -(2^53 - 1)', edit(['targets', CHANGED, 'delta', 'uncompressedBytes'], -SAFE - 1)],
  ['no layer delta', edit(['targets', CHANGED, 'delta', 'layerCount'], DELETE)],
  ['a percent as a string', edit(['targets', CHANGED, 'delta', 'compressedPercent'], '20%')],
  ['no percent', edit(['targets', CHANGED, 'delta', 'uncompressedPercent'], DELETE)],
  // a side
  ['an unknown side state', edit(['targets', CHANGED, 'head', 'state'], 'gone')],
  ['a side without a state', edit(['targets', CHANGED, 'base', 'state'], DELETE)],
  ['a null side', edit(['targets', CHANGED, 'base'], null)],
  ['a measured side without a digest', edit(['targets', CHANGED, 'head', 'digest'], DELETE)],
  ['a short digest', edit(['targets', CHANGED, 'head', 'configDigest'], 'sha256:abc')],
  ['a digest without an algorithm', edit(['targets', CHANGED, 'head', 'digest'], 'a'.repeat(64))],
  ['a digest algorithm in capitals', edit(['targets', CHANGED, 'head', 'digest'], `SHA256:${'a'.repeat(64)}`)],
  ['a digest of 301 characters', edit(['targets', CHANGED, 'head', 'digest'], `${'a'.repeat(44)}:${'b'.repeat(256)}`)],
  ['no configDigest', edit(['targets', CHANGED, 'head', 'configDigest'], DELETE)],
  ['a fractional layer count', edit(['targets', CHANGED, 'head', 'layerCount'], 1.5)],
  ['a negative compressed size', edit(['targets', CHANGED, 'head', 'compressedBytes'], -1)],
  ['a size as a string', edit(['targets', CHANGED, 'base', 'uncompressedBytes'], '10')],
  ['an unknown method', edit(['targets', CHANGED, 'head', 'method'], 'tarball')],
  ['no layers', edit(['targets', CHANGED, 'head', 'layers'], DELETE)],
  ['layers that are null', edit(['targets', CHANGED, 'head', 'layers'], null)],
  ['1001 layers', edit(['targets', CHANGED, 'head', 'layers'], copies(REPORT_LIMITS.layers + 1, { digest: `sha256:${'a'.repeat(64)}`, mediaType: 'm', compressedBytes: 1, uncompressedBytes: 1, instruction: 'i' }))],
  ['a failed side without an error', edit(['targets', FAILED, 'head', 'error'], DELETE)],
  ['an error of 65537 characters', edit(['targets', FAILED, 'head', 'error'], 'e'.repeat(REPORT_LIMITS.error + 1))],
  ['an unavailable side without a reason', edit(['targets', FAILED, 'base', 'reason'], DELETE)],
  ['a reason of 4097 characters', edit(['targets', FAILED, 'base', 'reason'], 'r'.repeat(4097))],
  // a layer
  ['a layer that is a string', edit(layer0, 'RUN x')],
  ['a malformed layer digest', edit([...layer0, 'digest'], 'sha256:')],
  ['a layer media type of 257 characters', edit([...layer0, 'mediaType'], 'm'.repeat(257))],
  ['a layer without an instruction', edit([...layer0, 'instruction'], DELETE)],
  ['an instruction of 4097 characters', edit([...layer0, 'instruction'], 'i'.repeat(4097))],
  ['a negative layer size', edit([...layer0, 'uncompressedBytes'], -1)],
  // file details
  ['files that are a string', edit(headFiles, 'none')],
  ['a negative wasted size', edit([...headFiles, 'wastedBytes'], -1)],
  ['no wasted list', edit([...headFiles, 'wasted'], DELETE)],
  ['101 wasted entries', edit([...headFiles, 'wasted'], copies(101, entry('a')))],
  ['a wasted entry without a path', edit([...headFiles, 'wasted'], [{ bytes: 1 }])],
  ['a wasted path of 4097 characters', edit([...headFiles, 'wasted'], [entry('p'.repeat(4097))])],
  ['a listing that is a list', edit(final, [])],
  ['a listing without its file count', edit([...final, 'files'], DELETE)],
  ['a byte total as a string', edit([...final, 'bytes'], '1')],
  ['a cut at 0 bytes', edit([...final, 'below'], 0)],
  ['a fractional cut', edit([...final, 'below'], 1.5)],
  ['listed as an object', edit([...final, 'listed'], {})],
  ['no listed', edit([...final, 'listed'], DELETE)],
  [`${REPORT_LIMITS.listed + 1} entries listed`, edit(final, { files: REPORT_LIMITS.listed + 1, bytes: REPORT_LIMITS.listed + 1, listed: Array.from({ length: REPORT_LIMITS.listed + 1 }, (_, i) => entry(`f${i}`)) })],
  ['a listed path of 4097 characters', edit([...final, 'listed'], [entry('p'.repeat(4097), 900)])],
  ['a listed entry with a negative size', edit([...final, 'listed'], [entry('a', -1)])]
];

const accepted: Array<[string, unknown]> = [
  ['the full report as written', edits([])],
  // unknown fields, at every level: readers ignore them
  ['an unknown top-level field', edit(['future'], { any: 'thing' })],
  ['an unknown tool field', edit(['tool', 'url'], 'https://example.com')],
  ['an unknown commit field', edit(['head', 'author'], 'x')],
  ['an unknown pull request field', edit(['pullRequest', 'title'], 't')],
  ['an unknown target field', edit(['targets', CHANGED, 'owner'], 7)],
  ['an unknown side field (measured)', edit(['targets', CHANGED, 'head', 'arch'], 'amd64')],
  ['an unknown side field (absent)', edit(['targets', NEW, 'base', 'why'], 'new stage')],
  ['another state\'s fields on a failed side', edit(['targets', FAILED, 'head', 'layers'], 'not read')],
  ['another state\'s fields on an absent side', edit(['targets', REMOVED, 'head', 'error'], 5)],
  ['an unknown layer field', edit([...layer0, 'annotations'], {})],
  ['an unknown delta field', edit(['targets', CHANGED, 'delta', 'filesChanged'], 3)],
  ['an unknown verdict field', edit(['targets', CHANGED, 'verdicts', 0, 'limit'], '10%')],
  ['an unknown files field', edit([...headFiles, 'largest'], [])],
  ['an unknown listing field', edit([...final, 'order'], 'size')],
  ['an unknown file entry field', edit([...final, 'listed', 0, 'mode'], 420)],
  // optional fields absent
  ['no runId', edit(['runId'], DELETE)],
  ['no pull request', edit(['pullRequest'], DELETE)],
  ['no refs', edits([[['head', 'ref'], DELETE], [['base', 'ref'], DELETE]])],
  ['a null base', edit(['base'], null)],
  ['no image label', edit(['targets', CHANGED, 'image'], DELETE)],
  ['no delta', edit(['targets', CHANGED, 'delta'], DELETE)],
  ['no file details', edit(headFiles, DELETE)],
  ['no file listing (a report from before it was kept)', edit(final, DELETE)],
  ['a complete listing (no below)', edit(final, { files: 2, bytes: 910, listed: [entry('a', 900), entry('b', 10)] })],
  ['no compressedEstimated', edit(['targets', NEW, 'head', 'compressedEstimated'], DELETE)],
  ['compressedEstimated false (read as absent)', edit(['targets', NEW, 'head', 'compressedEstimated'], false)],
  // limits and forms at their edges
  ['runId 0', edit(['runId'], 0)],
  ['runId 2^53 - 1', edit(['runId'], SAFE)],
  ['pull request number 1', edit(['pullRequest', 'number'], 1)],
  ['a 64-digit commit id', edits([[['head', 'sha'], sha64], [['pullRequest', 'headSha'], sha64]])],
  ['a time with an offset and a fraction', edit(['createdAt'], '2000-02-29T00:00:00.123+02:00')],
  ['February 29 of a leap year', edit(['createdAt'], '2024-02-29T23:59:59Z')],
  ['a createdAt of 64 characters', edit(['createdAt'], `2026-01-01T00:00:00.${'1'.repeat(43)}Z`)],
  ['an empty event and repository', edits([[['event'], ''], [['repository'], '']])],
  ['strings at their caps', edits([[['tool', 'name'], 'n'.repeat(200)], [['event'], 'e'.repeat(100)], [['repository'], 'r'.repeat(200)], [['head', 'ref'], 'r'.repeat(1024)], [['targets', CHANGED, 'image'], 'i'.repeat(256)], [['targets', CHANGED, 'target'], 't'.repeat(256)], [[...layer0, 'instruction'], 'i'.repeat(4096)]])],
  ['an error of 65536 characters', edit(['targets', FAILED, 'head', 'error'], 'e'.repeat(REPORT_LIMITS.error))],
  ['100 notes of 4096 characters', edit(['notes'], copies(REPORT_LIMITS.notes, 'n'.repeat(4096)))],
  ['16 verdicts', edits([[['targets', NEW, 'verdicts'], copies(REPORT_LIMITS.verdicts, { rule: 'max-size', ok: true, reason: 'r'.repeat(1024) })], [['targets', NEW, 'regressed'], false]])],
  ['a digest of 300 characters', edit(['targets', CHANGED, 'head', 'digest'], `${'a'.repeat(43)}:${'b'.repeat(256)}`)],
  ['a digest of another algorithm', edit(['targets', CHANGED, 'head', 'digest'], `sha512+b64u:${'A_-='.repeat(10)}`)],
  ['a negative delta of -(2^53 - 1)', edit(['targets', CHANGED, 'delta', 'compressedBytes'], -SAFE)],
  ['a null percent', edit(['targets', CHANGED, 'delta', 'uncompressedPercent'], null)],
  [`${REPORT_LIMITS.listed} entries listed`, edit(final, { files: REPORT_LIMITS.listed, bytes: REPORT_LIMITS.listed, listed: Array.from({ length: REPORT_LIMITS.listed }, (_, i) => entry(`f${i}`)) })],
  ['an empty listing of an empty image', edit(final, { files: 0, bytes: 0, listed: [] })]
];

/** The JSON pointer of the field a validateReport error names (`targets[0].head.digest: …` → `/targets/0/head/digest`). */
function readerPointer(error: string): string {
  const field = error.slice(0, error.indexOf(': '));
  return field === 'report' ? '' : `/${field.replace(/\[(\d+)\]/g, '.$1').split('.').join('/')}`;
}

describe('the schema and validateReport agree', () => {
  // Refused for the same reason: the schema reports an error at the field the reader names, or at
  // its parent (where a missing field, or a rule between fields, is reported).
  it.each(refused)('both refuse %s', (_name, value) => {
    const read = validateReport(value);
    if (read.ok) throw new Error('validateReport accepted it');
    const at = readerPointer(read.error);
    const parent = at.slice(0, at.lastIndexOf('/'));
    const validate = reportSchemaValidator();
    expect(validate(value)).toBe(false);
    const paths = (validate.errors ?? []).map((e) => e.instancePath);
    expect(paths.filter((p) => p === at || p === parent)).not.toEqual([]);
  });

  it.each(accepted)('both accept %s', (_name, value) => {
    const read = validateReport(value);
    expect(read.ok ? 'ok' : read.error).toBe('ok');
    expect(schemaErrors(value)).toBeUndefined();
  });
});

// What the schema's description says only the reader checks. Should JSON Schema (or this schema)
// learn to say one of these, the case fails here and the description must change with it.
describe('only validateReport refuses what the schema description lists', () => {
  it.each<[string, unknown]>([
    ['a path listed twice', edit([...final, 'listed'], [entry('a', 900), entry('a', 900)])],
    ['an entry under the cut', edit([...final, 'listed'], [entry('a', 900), entry('b', 4)])],
    ['a complete listing with fewer entries than files', edit(final, { files: 3, bytes: 910, listed: [entry('a', 900), entry('b', 10)] })],
    ['a cut listing with more entries than files', edit(final, { files: 1, bytes: 910, below: 5, listed: [entry('a', 900), entry('b', 10)] })],
    ['listed bytes over the total', edit(final, { files: 2, bytes: 909, listed: [entry('a', 900), entry('b', 10)] })],
    ['a leap second', edit(['createdAt'], '2026-12-31T23:59:60Z')],
    ['a tool name of 101 characters outside the BMP (202 UTF-16 code units)', edit(['tool', 'name'], '😀'.repeat(101))]
  ])('%s', (_name, value) => {
    expect(validateReport(value).ok).toBe(false);
    expect(schemaErrors(value)).toBeUndefined();
  });
});
