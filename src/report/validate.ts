// Reading a report back: a structural validator for a stored baseline or the artifact a
// `workflow_run` job comments from. Pure. A report read back is untrusted data (RELIABILITY row 27,
// security requirement 2): every field is checked, counts and string lengths are capped, and a
// fresh object holding only the known fields is built, so nothing unexpected travels further.
// docs/report.schema.json says the same in JSON Schema, and the tests hold the two together.
import type { FileEntry, Delta, MeasureMethod, Metric, RowStatus, Rule, Verdict } from '../model.js';
import { REPORT_LIMITS, REPORT_SCHEMA, REPORT_SCHEMA_VERSION, type Report, type ReportCommit, type ReportFiles, type ReportFinal, type ReportLayer, type ReportSide, type ReportTarget, type ReportPullRequest } from './report.js';

export type ValidateResult = { readonly ok: true; readonly report: Report } | { readonly ok: false; readonly error: string };

class Invalid extends Error {}

/**
 * Checks that `value` (e.g. from JSON.parse) is a report of this schema version and returns a
 * fresh, typed copy; or says what is wrong, with the path (`targets[2].head.layers[0].digest`).
 * Never throws.
 */
export function validateReport(value: unknown): ValidateResult {
  try {
    return { ok: true, report: readReport(value) };
  } catch (e) {
    if (e instanceof Invalid) return { ok: false, error: e.message };
    throw e;
  }
}

const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,256}$/;
const SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;

/** A time Date can read whose calendar day exists (Date.parse rolls 2026-02-30 over to March 2). */
function isRealTime(iso: string): boolean {
  if (Number.isNaN(Date.parse(iso))) return false;
  const [year, month, day] = iso.slice(0, 10).split('-').map(Number) as [number, number, number];
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}
const STATUSES: readonly RowStatus[] = ['changed', 'unchanged', 'new', 'removed', 'no-baseline', 'head-failed'];
const RULES: readonly Rule[] = ['max-increase', 'max-size', 'max-layers', 'max-wasted', 'build'];
const METRICS: readonly Metric[] = ['compressed', 'uncompressed'];
const METHODS: readonly MeasureMethod[] = ['oci-layout', 'docker-save'];

function fail(path: string, what: string): never {
  throw new Invalid(`${path || 'report'}: ${what}`);
}

function obj(v: unknown, path: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, 'expected an object');
  return v as Record<string, unknown>;
}

function field(o: Record<string, unknown>, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(o, key) ? o[key] : undefined;
}

function str(v: unknown, path: string, max: number = REPORT_LIMITS.string, pattern?: RegExp): string {
  if (typeof v !== 'string') fail(path, 'expected a string');
  if (v.length > max) fail(path, `longer than ${max} characters`);
  if (pattern && !pattern.test(v)) fail(path, `malformed value`);
  return v;
}

function bool(v: unknown, path: string): boolean {
  if (typeof v !== 'boolean') fail(path, 'expected true or false');
  return v;
}

function count(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) fail(path, 'expected a non-negative integer');
  return v;
}

function int(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) fail(path, 'expected an integer');
  return v;
}

function percentOrNull(v: unknown, path: string): number | null {
  if (v === null) return null;
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(path, 'expected a number or null');
  return v;
}

function oneOf<T extends string>(v: unknown, values: readonly T[], path: string): T {
  if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) fail(path, `expected one of ${values.join(', ')}`);
  return v as T;
}

function list(v: unknown, path: string, max: number): readonly unknown[] {
  if (!Array.isArray(v)) fail(path, 'expected an array');
  if (v.length > max) fail(path, `more than ${max} entries`);
  return v;
}

function readReport(value: unknown): Report {
  const o = obj(value, '');
  if (field(o, 'schema') !== REPORT_SCHEMA) fail('schema', `expected "${REPORT_SCHEMA}"`);
  const version = field(o, 'version');
  if (version !== REPORT_SCHEMA_VERSION) {
    fail('version', `unsupported version ${JSON.stringify(version) ?? 'undefined'} (this tool reads ${REPORT_SCHEMA_VERSION})`);
  }
  const tool = obj(field(o, 'tool'), 'tool');
  const runId = field(o, 'runId');
  const createdAt = str(field(o, 'createdAt'), 'createdAt', 64, ISO_TIME);
  if (!isRealTime(createdAt)) fail('createdAt', 'not a valid time');
  const base = field(o, 'base');
  const pullRequest = field(o, 'pullRequest');
  return {
    schema: REPORT_SCHEMA,
    version: REPORT_SCHEMA_VERSION,
    tool: { name: str(field(tool, 'name'), 'tool.name', 200), version: str(field(tool, 'version'), 'tool.version', 200) },
    event: str(field(o, 'event'), 'event', 100),
    repository: str(field(o, 'repository'), 'repository', 200),
    ...(runId !== undefined ? { runId: count(runId, 'runId') } : {}),
    createdAt,
    metric: oneOf(field(o, 'metric'), METRICS, 'metric'),
    regressed: bool(field(o, 'regressed'), 'regressed'),
    changed: bool(field(o, 'changed'), 'changed'),
    head: readCommit(field(o, 'head'), 'head'),
    base: base === null ? null : readCommit(base, 'base'),
    ...(pullRequest !== undefined ? { pullRequest: readPullRequest(pullRequest, 'pullRequest') } : {}),
    targets: list(field(o, 'targets'), 'targets', REPORT_LIMITS.targets).map((t, i) => readTarget(t, `targets[${i}]`)),
    notes: list(field(o, 'notes'), 'notes', REPORT_LIMITS.notes).map((n, i) => str(n, `notes[${i}]`))
  };
}

function readCommit(v: unknown, path: string): ReportCommit {
  const o = obj(v, path);
  const sha = str(field(o, 'sha'), `${path}.sha`, 64, SHA);
  const ref = field(o, 'ref');
  return ref === undefined ? { sha } : { sha, ref: str(ref, `${path}.ref`, 1024) };
}

function readPullRequest(v: unknown, path: string): ReportPullRequest {
  const o = obj(v, path);
  const number = count(field(o, 'number'), `${path}.number`);
  if (number === 0) fail(`${path}.number`, 'expected a pull request number (1 or more)');
  return { number, headSha: str(field(o, 'headSha'), `${path}.headSha`, 64, SHA) };
}

function readTarget(v: unknown, path: string): ReportTarget {
  const o = obj(v, path);
  const head = readSide(field(o, 'head'), `${path}.head`);
  const base = readSide(field(o, 'base'), `${path}.base`);
  const delta = field(o, 'delta');
  const status = oneOf(field(o, 'status'), STATUSES, `${path}.status`);
  if ((status === 'changed' || status === 'unchanged') && (head.state !== 'measured' || base.state !== 'measured')) {
    fail(`${path}.status`, `"${status}" needs both sides measured`);
  }
  const verdicts = list(field(o, 'verdicts'), `${path}.verdicts`, REPORT_LIMITS.verdicts).map((x, i) => readVerdict(x, `${path}.verdicts[${i}]`));
  const regressed = bool(field(o, 'regressed'), `${path}.regressed`);
  if (regressed !== verdicts.some((x) => !x.ok)) fail(`${path}.regressed`, 'disagrees with the verdicts');
  const image = field(o, 'image');
  return {
    ...(image === undefined ? {} : { image: str(image, `${path}.image`, 256) }),
    target: str(field(o, 'target'), `${path}.target`, 256),
    platform: str(field(o, 'platform'), `${path}.platform`, 256),
    status,
    head,
    base,
    ...(delta !== undefined ? { delta: readDelta(delta, `${path}.delta`) } : {}),
    verdicts,
    regressed
  };
}

function readSide(v: unknown, path: string): ReportSide {
  const o = obj(v, path);
  const state = oneOf(field(o, 'state'), ['measured', 'failed', 'absent', 'unavailable'] as const, `${path}.state`);
  switch (state) {
    case 'measured':
      return {
        state,
        digest: str(field(o, 'digest'), `${path}.digest`, 300, DIGEST),
        configDigest: str(field(o, 'configDigest'), `${path}.configDigest`, 300, DIGEST),
        compressedBytes: count(field(o, 'compressedBytes'), `${path}.compressedBytes`),
        uncompressedBytes: count(field(o, 'uncompressedBytes'), `${path}.uncompressedBytes`),
        layerCount: count(field(o, 'layerCount'), `${path}.layerCount`),
        method: oneOf(field(o, 'method'), METHODS, `${path}.method`),
        ...(estimated(field(o, 'compressedEstimated'), `${path}.compressedEstimated`) ? { compressedEstimated: true as const } : {}),
        ...(field(o, 'files') === undefined ? {} : { files: readFiles(field(o, 'files'), `${path}.files`) }),
        layers: list(field(o, 'layers'), `${path}.layers`, REPORT_LIMITS.layers).map((l, i) => readLayer(l, `${path}.layers[${i}]`))
      };
    case 'failed':
      return { state, error: str(field(o, 'error'), `${path}.error`, REPORT_LIMITS.error) };
    case 'absent':
      return { state };
    case 'unavailable':
      return { state, reason: str(field(o, 'reason'), `${path}.reason`) };
  }
}

/** `compressedEstimated` is written only as `true`; absent or `false` means exact, anything else is refused. */
function estimated(v: unknown, path: string): boolean {
  return v !== undefined && bool(v, path);
}

function readFiles(v: unknown, path: string): ReportFiles {
  const o = obj(v, path);
  const final = field(o, 'final');
  return {
    wastedBytes: count(field(o, 'wastedBytes'), `${path}.wastedBytes`),
    wasted: list(field(o, 'wasted'), `${path}.wasted`, 100).map((w, i) => readFileEntry(w, `${path}.wasted[${i}]`)),
    ...(final === undefined ? {} : { final: readFinal(final, `${path}.final`) })
  };
}

function readFileEntry(v: unknown, path: string): FileEntry {
  const e = obj(v, path);
  return { path: str(field(e, 'path'), `${path}.path`), bytes: count(field(e, 'bytes'), `${path}.bytes`) };
}

/** A listing that says what it holds: no path twice, none under `below`, no more files or bytes than counted. */
function readFinal(v: unknown, path: string): ReportFinal {
  const o = obj(v, path);
  const files = count(field(o, 'files'), `${path}.files`);
  const bytes = count(field(o, 'bytes'), `${path}.bytes`);
  const belowField = field(o, 'below');
  const below = belowField === undefined ? undefined : count(belowField, `${path}.below`);
  if (below === 0) fail(`${path}.below`, 'expected 1 or more (a listing of every file has no "below")');
  const listed = list(field(o, 'listed'), `${path}.listed`, REPORT_LIMITS.listed).map((e, i) => readFileEntry(e, `${path}.listed[${i}]`));
  const seen = new Set<string>();
  let sum = 0;
  listed.forEach((e, i) => {
    if (seen.has(e.path)) fail(`${path}.listed[${i}].path`, 'listed twice');
    if (below !== undefined && e.bytes < below) fail(`${path}.listed[${i}].bytes`, `under "below" (${below})`);
    seen.add(e.path);
    sum += e.bytes;
  });
  if (below === undefined ? listed.length !== files : listed.length > files) fail(`${path}.files`, 'disagrees with the files listed');
  if (sum > bytes) fail(`${path}.bytes`, 'less than the bytes listed');
  return { files, bytes, ...(below !== undefined ? { below } : {}), listed };
}

function readLayer(v: unknown, path: string): ReportLayer {
  const o = obj(v, path);
  return {
    digest: str(field(o, 'digest'), `${path}.digest`, 300, DIGEST),
    mediaType: str(field(o, 'mediaType'), `${path}.mediaType`, 256),
    compressedBytes: count(field(o, 'compressedBytes'), `${path}.compressedBytes`),
    uncompressedBytes: count(field(o, 'uncompressedBytes'), `${path}.uncompressedBytes`),
    instruction: str(field(o, 'instruction'), `${path}.instruction`)
  };
}

function readDelta(v: unknown, path: string): Delta {
  const o = obj(v, path);
  return {
    compressedBytes: int(field(o, 'compressedBytes'), `${path}.compressedBytes`),
    uncompressedBytes: int(field(o, 'uncompressedBytes'), `${path}.uncompressedBytes`),
    layerCount: int(field(o, 'layerCount'), `${path}.layerCount`),
    compressedPercent: percentOrNull(field(o, 'compressedPercent'), `${path}.compressedPercent`),
    uncompressedPercent: percentOrNull(field(o, 'uncompressedPercent'), `${path}.uncompressedPercent`)
  };
}

function readVerdict(v: unknown, path: string): Verdict {
  const o = obj(v, path);
  return {
    rule: oneOf(field(o, 'rule'), RULES, `${path}.rule`),
    ok: bool(field(o, 'ok'), `${path}.ok`),
    reason: str(field(o, 'reason'), `${path}.reason`, 1024)
  };
}
