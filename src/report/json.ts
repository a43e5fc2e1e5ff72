// The JSON report: a versioned, documented (docs/report-schema.md) plain object built from an
// Outcome, and a structural validator for reading one back (a stored baseline, or the artifact a
// `workflow_run` job comments from). Pure: `createdAt` is passed in.
//
// A report read back is untrusted data (RELIABILITY row 27, security requirement 2): the validator
// checks every field, caps counts and string lengths, and builds a fresh object holding only the
// known fields, so nothing unexpected travels further.
import type {
  FileEntry,
  FileStats,
  Comparison,
  Delta,
  ImageStats,
  JudgedRow,
  LayerStats,
  MeasureMethod,
  Metric,
  Outcome,
  RowStatus,
  Rule,
  SideResult,
  Verdict
} from '../model.js';

export const REPORT_SCHEMA = 'image-budget/report';
export const REPORT_SCHEMA_VERSION = 1;

/** Caps applied when reading a report back. */
export const REPORT_LIMITS = {
  targets: 1000,
  layers: 1000,
  verdicts: 16,
  notes: 100,
  /** Most strings (names, digests, refs, instructions, reasons). */
  string: 4096,
  /** Build error text. */
  error: 65536,
  /** Files listed per side (`files.final.listed`). */
  listed: 10_000
} as const;

/**
 * The bound on the file listings of one report: the listed entries of all its sides together take
 * at most this many bytes of the report's JSON (as written, indented by 2), shared evenly between
 * the sides that have a listing. See docs/report-schema.md for the worst case.
 */
export const LISTING_BUDGET_BYTES = 2 * 1024 * 1024;
/**
 * Bytes one listed entry takes in the indented report besides its path's JSON string: the
 * indentation, braces, keys, separators and a byte count of up to 16 digits (101 in all, rounded up).
 */
export const LISTING_ENTRY_OVERHEAD = 104;

export interface ReportLayer {
  readonly digest: string;
  readonly mediaType: string;
  readonly compressedBytes: number;
  readonly uncompressedBytes: number;
  readonly instruction: string;
}

export type ReportSide =
  | {
      readonly state: 'measured';
      readonly digest: string;
      readonly configDigest: string;
      readonly compressedBytes: number;
      readonly uncompressedBytes: number;
      readonly layerCount: number;
      readonly method: MeasureMethod;
      /** Present (true) when compressedBytes is an estimate (classic image store). */
      readonly compressedEstimated?: true;
      readonly layers: readonly ReportLayer[];
      /** Present when file details were measured: the wasted space and the final files, bounded. */
      readonly files?: ReportFiles;
    }
  | { readonly state: 'failed'; readonly error: string }
  | { readonly state: 'absent' }
  | { readonly state: 'unavailable'; readonly reason: string };

/** The file details of a measured side. */
export interface ReportFiles {
  readonly wastedBytes: number;
  readonly wasted: readonly FileEntry[];
  /** The final filesystem's files, largest first; absent in reports written before it was kept. */
  readonly final?: ReportFinal;
}

/**
 * The final filesystem, bounded: `files` and `bytes` count every regular file; `listed` holds
 * exactly the files of at least `below` bytes (every file when `below` is absent), largest first
 * (ties by path).
 */
export interface ReportFinal {
  readonly files: number;
  readonly bytes: number;
  readonly below?: number;
  readonly listed: readonly FileEntry[];
}

export interface ReportTarget {
  /** The image the target belongs to, when the report covers several. */
  readonly image?: string;
  readonly target: string;
  readonly platform: string;
  readonly status: RowStatus;
  readonly head: ReportSide;
  readonly base: ReportSide;
  readonly delta?: Delta;
  readonly verdicts: readonly Verdict[];
  readonly regressed: boolean;
}

export interface ReportCommit {
  readonly sha: string;
  readonly ref?: string;
}

/**
 * The pull request a report was measured for (a `pull_request` run), so that the `workflow_run` job
 * commenting from its artifact can check it is the pull request, at the commit, it is about to
 * comment on. `headSha` is the pull request's own head commit, not the merge commit in `head`.
 */
export interface ReportPullRequest {
  readonly number: number;
  readonly headSha: string;
}

export interface Report {
  readonly schema: typeof REPORT_SCHEMA;
  readonly version: typeof REPORT_SCHEMA_VERSION;
  readonly tool: { readonly name: string; readonly version: string };
  /** The GitHub event that produced it (`pull_request`, `push`, ...), or `local`. */
  readonly event: string;
  /** `owner/name`. */
  readonly repository: string;
  readonly runId?: number;
  /** ISO 8601 time the report was made. */
  readonly createdAt: string;
  readonly metric: Metric;
  readonly regressed: boolean;
  readonly changed: boolean;
  readonly head: ReportCommit;
  readonly base: ReportCommit | null;
  /** Present on reports of pull request runs. */
  readonly pullRequest?: ReportPullRequest;
  readonly targets: readonly ReportTarget[];
  readonly notes: readonly string[];
}

export interface ReportMeta {
  readonly tool: { readonly name: string; readonly version: string };
  readonly event: string;
  readonly repository: string;
  /** The Actions run id; `GITHUB_RUN_ID` as given (a string of digits) is accepted too. */
  readonly runId?: number | string;
  readonly createdAt: string;
  /** The pull request measured, on pull request events. */
  readonly pullRequest?: ReportPullRequest;
}

/** The report of a run: JSON-serializable as is (`JSON.stringify(buildReport(...), null, 2)`). */
export function buildReport(outcome: Outcome, meta: ReportMeta): Report {
  const listings = outcome.rows
    .flatMap((r) => [r.head, r.base])
    .filter((s) => s.state === 'measured' && s.image.files !== undefined && s.image.files.listing?.kind !== 'none').length;
  const budget = Math.floor(LISTING_BUDGET_BYTES / Math.max(1, listings));
  return {
    schema: REPORT_SCHEMA,
    version: REPORT_SCHEMA_VERSION,
    tool: { name: meta.tool.name, version: meta.tool.version },
    event: meta.event,
    repository: meta.repository,
    ...runIdField(meta.runId),
    createdAt: meta.createdAt,
    metric: outcome.metric,
    regressed: outcome.regressed,
    changed: outcome.changed,
    head: commit(outcome.head),
    base: outcome.base ? commit(outcome.base) : null,
    ...(meta.pullRequest ? { pullRequest: { number: meta.pullRequest.number, headSha: meta.pullRequest.headSha } } : {}),
    targets: outcome.rows.map((r) => reportTarget(r, budget)),
    notes: [...outcome.notes]
  };
}

function runIdField(runId: number | string | undefined): { runId?: number } {
  const n = typeof runId === 'string' && /^\d{1,15}$/.test(runId) ? Number(runId) : runId;
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? { runId: n } : {};
}

function commit(c: { readonly sha: string; readonly ref?: string }): ReportCommit {
  return c.ref !== undefined ? { sha: c.sha, ref: c.ref } : { sha: c.sha };
}

function reportTarget(r: JudgedRow, budget: number): ReportTarget {
  return {
    ...(r.image !== undefined ? { image: r.image } : {}),
    target: r.target,
    platform: r.platform,
    status: r.status,
    head: reportSide(r.head, budget),
    base: reportSide(r.base, budget),
    ...(r.delta ? { delta: { ...r.delta } } : {}),
    verdicts: r.verdicts.map((v) => ({ rule: v.rule, ok: v.ok, reason: v.reason })),
    regressed: r.regressed
  };
}

function reportSide(s: SideResult, budget: number): ReportSide {
  switch (s.state) {
    case 'measured': {
      const i = s.image;
      return {
        state: 'measured',
        digest: i.digest,
        configDigest: i.configDigest,
        compressedBytes: i.compressedBytes,
        uncompressedBytes: i.uncompressedBytes,
        layerCount: i.layerCount,
        method: i.method,
        ...(i.compressedEstimated ? { compressedEstimated: true as const } : {}),
        ...(i.files ? { files: reportFiles(i.files, budget) } : {}),
        layers: i.layers.map((l) => ({
          digest: l.digest,
          mediaType: l.mediaType,
          compressedBytes: l.compressedBytes,
          uncompressedBytes: l.uncompressedBytes,
          instruction: l.instruction
        }))
      };
    }
    case 'failed':
      return { state: 'failed', error: s.error };
    case 'absent':
      return { state: 'absent' };
    case 'unavailable':
      return { state: 'unavailable', reason: s.reason };
  }
}

function reportFiles(files: FileStats, budget: number): ReportFiles {
  const final = files.listing?.kind === 'none' ? undefined : boundedFinal(files, budget);
  return { wastedBytes: files.wastedBytes, wasted: files.wasted.map((w) => ({ path: w.path, bytes: w.bytes })), ...(final ? { final } : {}) };
}

/** Code-unit order, stable across locales. */
function byPath(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The largest files that fit in `budget` bytes of report (and in REPORT_LIMITS.listed entries),
 * cut at a size: when a file does not fit (nor a path longer than the validator reads), every file
 * of its size or smaller is left out, so that `listed` is exactly the files of at least `below`
 * bytes. A listing that was cut already (read from a report) keeps its cut, or a higher one.
 */
export function boundedFinal(files: FileStats, budget: number): ReportFinal {
  const entries = [...files.final].sort((a, b) => b[1] - a[1] || byPath(a[0], b[0]));
  const cut = files.listing?.kind === 'cut' ? files.listing : undefined;
  let below = cut?.below ?? 0;
  let used = 0;
  let fit = 0;
  for (; fit < entries.length; fit++) {
    const path = entries[fit]![0];
    const cost = LISTING_ENTRY_OVERHEAD + Buffer.byteLength(JSON.stringify(path), 'utf8');
    if (fit >= REPORT_LIMITS.listed || path.length > REPORT_LIMITS.string || used + cost > budget) break;
    used += cost;
  }
  if (fit < entries.length) below = Math.max(below, entries[fit]![1] + 1);
  const listed = entries.filter(([, bytes]) => bytes >= below).map(([path, bytes]) => ({ path, bytes }));
  return {
    files: cut?.files ?? entries.length,
    bytes: cut?.bytes ?? entries.reduce((sum, [, bytes]) => sum + bytes, 0),
    ...(below > 0 ? { below } : {}),
    listed
  };
}

/** A report's file details as FileStats: the listing as `final`, and how complete it is. */
function toFileStats(files: ReportFiles): FileStats {
  const { final } = files;
  const listing: FileStats['listing'] =
    final === undefined
      ? { kind: 'none' }
      : final.below !== undefined
        ? { kind: 'cut', below: final.below, files: final.files, bytes: final.bytes }
        : undefined;
  return {
    final: new Map((final?.listed ?? []).map((f) => [f.path, f.bytes] as const)),
    wastedBytes: files.wastedBytes,
    wasted: files.wasted,
    ...(listing ? { listing } : {})
  };
}

/** A side of a report turned back into the pipeline's SideResult (e.g. a stored baseline). */
export function toSideResult(side: ReportSide, target: string, platform: string): SideResult {
  switch (side.state) {
    case 'measured': {
      const image: ImageStats = {
        target,
        platform,
        digest: side.digest,
        configDigest: side.configDigest,
        compressedBytes: side.compressedBytes,
        uncompressedBytes: side.uncompressedBytes,
        layerCount: side.layerCount,
        layers: side.layers.map((l): LayerStats => ({ ...l })),
        method: side.method,
        ...(side.compressedEstimated ? { compressedEstimated: true } : {}),
        ...(side.files ? { files: toFileStats(side.files) } : {})
      };
      return { state: 'measured', image };
    }
    case 'failed':
      return { state: 'failed', error: side.error };
    case 'absent':
      return { state: 'absent' };
    case 'unavailable':
      return { state: 'unavailable', reason: side.reason };
  }
}

/** A validated report turned back into an Outcome, e.g. to render the comment from an artifact. */
export function outcomeFromReport(report: Report): Outcome {
  const rows = report.targets.map((t): JudgedRow => {
    const c: Comparison = {
      ...(t.image !== undefined ? { image: t.image } : {}),
      target: t.target,
      platform: t.platform,
      status: t.status,
      head: toSideResult(t.head, t.target, t.platform),
      base: toSideResult(t.base, t.target, t.platform),
      ...(t.delta ? { delta: t.delta } : {})
    };
    return { ...c, verdicts: t.verdicts, regressed: t.regressed };
  });
  return {
    metric: report.metric,
    rows,
    regressed: report.regressed,
    changed: report.changed,
    head: report.head,
    ...(report.base ? { base: report.base } : {}),
    notes: report.notes
  };
}

// ── Validation ─────────────────────────────────────────────────────────────────────────────────

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
        ...(field(o, 'compressedEstimated') === true ? { compressedEstimated: true as const } : {}),
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
