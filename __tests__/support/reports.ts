// Reports as a measuring run writes them (through the real compare and buildReport), for the tests
// of merge and comment modes: one image per report, rows that grew or not, verdicts given.
import type { ImageStats, JudgedRow, Metric, SideResult } from '../../src/model.js';
import { compareRow } from '../../src/report/compare.js';
import { buildReport, type Report, type ReportPullRequest } from '../../src/report/report.js';
import { buildOutcome } from '../../src/report/policy.js';

export const SHA_HEAD = '1111111111111111111111111111111111111111';
export const SHA_BASE = '2222222222222222222222222222222222222222';
export const SHA_PR_HEAD = '3333333333333333333333333333333333333333';

const digest = (n: number): string => `sha256:${n.toString(16).padStart(64, '0')}`;

function image(target: string, platform: string, compressed: number): ImageStats {
  return {
    target,
    platform,
    digest: digest(compressed * 7 + target.length),
    configDigest: digest(compressed * 7 + 1),
    compressedBytes: compressed,
    uncompressedBytes: compressed * 3,
    layerCount: 1,
    layers: [
      {
        digest: digest(compressed * 7 + 2),
        mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
        compressedBytes: compressed,
        uncompressedBytes: compressed * 3,
        instruction: `COPY ${target} /app`
      }
    ],
    method: 'oci-layout'
  };
}

export interface RowSpec {
  readonly target: string;
  readonly platform?: string;
  /** Compressed bytes of the base and the head; no base: `new`. A string head: the build failed. */
  readonly base?: number;
  readonly head: number | string;
  /** The max-size verdict's outcome (default: passes). */
  readonly regressed?: boolean;
}

export interface ReportSpec {
  readonly image?: string;
  readonly rows: readonly RowSpec[];
  readonly headSha?: string;
  readonly baseSha?: string | null;
  readonly pullRequest?: ReportPullRequest;
  readonly repository?: string;
  readonly event?: string;
  readonly metric?: Metric;
  readonly notes?: readonly string[];
}

function judgedRow(spec: RowSpec, label: string | undefined): JudgedRow {
  const platform = spec.platform ?? 'linux/amd64';
  const head: SideResult =
    typeof spec.head === 'string' ? { state: 'failed', error: spec.head } : { state: 'measured', image: image(spec.target, platform, spec.head) };
  const base: SideResult = spec.base === undefined ? { state: 'absent' } : { state: 'measured', image: image(spec.target, platform, spec.base) };
  const c = compareRow({ ...(label !== undefined ? { image: label } : {}), target: spec.target, platform, head, base });
  const verdicts =
    typeof spec.head === 'string'
      ? [{ rule: 'build' as const, ok: false, reason: `build failed: ${spec.head}` }]
      : [{ rule: 'max-size' as const, ok: !spec.regressed, reason: spec.regressed ? `${spec.head} B exceeds max-size 1 B` : `${spec.head} B within max-size` }];
  return { ...c, verdicts, regressed: verdicts.some((v) => !v.ok) };
}

/** A report of one job: its rows labelled with `image` when given. */
export function makeReport(spec: ReportSpec): Report {
  const rows = spec.rows.map((r) => judgedRow(r, spec.image));
  const baseSha = spec.baseSha === undefined ? SHA_BASE : spec.baseSha;
  const outcome = buildOutcome({
    metric: spec.metric ?? 'compressed',
    rows,
    head: { sha: spec.headSha ?? SHA_HEAD, ref: 'refs/pull/7/merge' },
    ...(baseSha !== null ? { base: { sha: baseSha } } : {}),
    notes: [...(spec.notes ?? ['Budgets (compressed size): max-size 1 B'])]
  });
  return buildReport(outcome, {
    tool: { name: 'image-budget', version: '0.1.0' },
    event: spec.event ?? 'pull_request',
    repository: spec.repository ?? 'o/r',
    runId: 5,
    createdAt: '2026-11-29T10:00:00Z',
    ...(spec.pullRequest ? { pullRequest: spec.pullRequest } : {})
  });
}
