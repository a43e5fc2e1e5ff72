// A stored report turned into the base side of a comparison. Pure: text in, results or a reason out.
// The text is untrusted (it comes back from a cache any run of the default branch could write):
// it is size-capped, parsed, validated field by field (report/validate.ts) and checked to be the
// report of the commit and repository it is used for; anything else is ignored with the reason.
import type { Report } from '../report/report.js';
import { REPORT_SCHEMA, REPORT_SCHEMA_VERSION, toSideResult } from '../report/report.js';
import { validateReport } from '../report/validate.js';
import type { TargetResults } from '../model.js';
import { MAX_STORED_REPORT_BYTES } from './store.js';

export type ParsedBaseline = { readonly ok: true; readonly report: Report } | { readonly ok: false; readonly reason: string };

/**
 * Parses and validates the text of a report read back (a stored baseline, an artifact, a matrix
 * job's report): size cap, JSON, schema, this version, every field. `reason` says why it is refused
 * ("it has schema version 2; …", "it is not valid JSON", ...), without echoing its content.
 */
export function parseReport(text: string): ParsedBaseline {
  if (Buffer.byteLength(text, 'utf8') > MAX_STORED_REPORT_BYTES) {
    return { ok: false, reason: `it is larger than ${MAX_STORED_REPORT_BYTES} bytes` };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'it is not valid JSON' };
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const o = value as Record<string, unknown>;
    if (o.schema !== REPORT_SCHEMA) return { ok: false, reason: `it is not an ${REPORT_SCHEMA} report` };
    if (o.version !== REPORT_SCHEMA_VERSION) {
      return { ok: false, reason: `it has schema version ${JSON.stringify(o.version)}; this version of the action reads version ${REPORT_SCHEMA_VERSION}` };
    }
  }
  const checked = validateReport(value);
  if (!checked.ok) return { ok: false, reason: `it is malformed (${checked.error})` };
  return { ok: true, report: checked.report };
}

/**
 * Parses and validates a stored report, and checks that it is the report of `sha` in `repository`.
 * `reason` says why one is not used ("schema version 2; this version reads 1", "not valid JSON", ...).
 */
export function parseStoredReport(text: string, expected: { readonly repository: string; readonly sha: string }): ParsedBaseline {
  const parsed = parseReport(text);
  if (!parsed.ok) return parsed;
  const report = parsed.report;
  if (report.repository.toLowerCase() !== expected.repository.toLowerCase()) {
    return { ok: false, reason: `it belongs to another repository (${report.repository || 'none'})` };
  }
  if (report.head.sha.toLowerCase() !== expected.sha.toLowerCase()) {
    return { ok: false, reason: `it is the report of another commit (${report.head.sha})` };
  }
  return { ok: true, report };
}

export interface BaseFromReport {
  /** The base side of every target the report measured. */
  readonly results: readonly TargetResults[];
  /** Targets asked for that the report has no measured image of (not built then, or failed). */
  readonly missing: readonly string[];
}

/**
 * The stored report's head images (what that commit's run measured) as the base side of `targets`,
 * one result per platform, with their file lists (complete, cut or missing: report/report.ts), so
 * the comment's files section compares with them as with a base build. With `image` (the `name`
 * input), only rows of that image count: matrix jobs that share a comment-key share the stored
 * report too, and one image's `release` is no
 * baseline for another image's `release`. Without it, any row of the target counts (a config
 * file's images are stored under keys of their own).
 */
export function baseFromReport(report: Report, targets: readonly string[], image?: string): BaseFromReport {
  const results: TargetResults[] = [];
  const missing: string[] = [];
  for (const target of targets) {
    const rows = report.targets.filter((t) => t.target === target && (image === undefined || t.image === image));
    if (rows.length === 0 || rows.some((t) => t.head.state !== 'measured')) {
      missing.push(target);
      continue;
    }
    results.push({ target, results: rows.map((t) => ({ platform: t.platform, result: toSideResult(t.head, target, t.platform) })) });
  }
  return { results, missing };
}
