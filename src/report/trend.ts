// A row's history for the trend chart: its image's size in the reports the base branch's last
// commits stored (read by baseline/trend.ts), oldest first. Pure: reports in, sizes out.
import type { JudgedRow, SizeAt } from '../model.js';
import type { Report } from './report.js';

/** A report and the commit it was stored for. */
export interface StoredReport {
  readonly sha: string;
  readonly report: Report;
}

/**
 * The sizes of `row`'s image (same target and platform; with `image`, the `name` input, only that
 * image's rows, as a stored baseline is read) in `reports`, given newest first; oldest first.
 * Commits whose report did not measure it are left out.
 */
export function rowHistory(reports: readonly StoredReport[], row: Pick<JudgedRow, 'target' | 'platform'>, image: string | undefined): SizeAt[] {
  const out: SizeAt[] = [];
  for (const { sha, report } of reports) {
    const t = report.targets.find((x) => x.target === row.target && x.platform === row.platform && (image === undefined || x.image === image) && x.head.state === 'measured');
    if (t?.head.state === 'measured') out.push({ sha, compressedBytes: t.head.compressedBytes, uncompressedBytes: t.head.uncompressedBytes, method: t.head.method });
  }
  return out.reverse();
}

/** `rows`, each with its history when some report measured its image. */
export function withHistory(rows: readonly JudgedRow[], reports: readonly StoredReport[], image: string | undefined): JudgedRow[] {
  if (reports.length === 0) return [...rows];
  return rows.map((r) => {
    const history = rowHistory(reports, r, image);
    return history.length > 0 ? { ...r, history } : r;
  });
}
