// The JSON report: a versioned, documented (docs/report-schema.md, docs/report.schema.json) plain
// object built from an Outcome, its limits, and the way back from a report to an Outcome. Reading
// one back is validate.ts's. Pure: `createdAt` is passed in.
import type { FileEntry, FileStats, Comparison, Delta, ImageStats, JudgedRow, LayerStats, MeasureMethod, Metric, Outcome, RowStatus, SideResult, Verdict } from '../model.js';

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
