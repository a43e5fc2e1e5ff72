// Reports of several jobs (a matrix, one image each) combined into one Outcome, published as one
// comment. Pure: validated reports in, an Outcome or the reason they cannot be combined out.
//
// Nothing is re-judged: every row keeps the verdicts its own job gave it (under that job's budgets),
// and its image label, so `api › release` and `web › release` stay two rows. Two rows that would
// read the same (same image, target and platform) are an error, since the comment could show only
// one of them truthfully.
import type { JudgedRow, Outcome } from '../model.js';
import { shortSha } from './format.js';
import { outcomeFromReport, type Report, type ReportPullRequest } from './report.js';
import { buildOutcome } from './policy.js';

/** A validated report and where it came from (a path, as shown in messages). */
export interface ReportSource {
  readonly label: string;
  readonly report: Report;
}

export type MergeResult =
  | {
      readonly ok: true;
      readonly outcome: Outcome;
      /** The pull request every report names, when they all name the same one. */
      readonly pullRequest?: ReportPullRequest;
      /** Things to tell the person reading the log (reports of different commits...). */
      readonly warnings: readonly string[];
    }
  | { readonly ok: false; readonly error: string };

/** The image label every row of a report shares, if it has one. */
function imageOf(report: Report): string | undefined {
  const images = new Set(report.targets.map((t) => t.image));
  return images.size === 1 ? [...images][0] : undefined;
}

/** What makes two rows the same row of the comment. */
function rowKey(r: Pick<JudgedRow, 'image' | 'target' | 'platform'>): string {
  // Stage names are case-insensitive in a Dockerfile; so are the labels (they come from `name`).
  return JSON.stringify([r.image?.toLowerCase() ?? null, r.target.toLowerCase(), r.platform]);
}

function describeRow(r: Pick<JudgedRow, 'image' | 'target' | 'platform'>): string {
  return `${r.image !== undefined ? `image ${r.image}, ` : ''}target ${r.target} (${r.platform || 'no platform'})`;
}

/** Commits and who measured them: `1234567 (api, web), 89abcde (db)`. */
function commitList(groups: ReadonlyMap<string, string[]>): string {
  return [...groups].map(([sha, who]) => `${shortSha(sha)} (${who.join(', ')})`).join(', ');
}

/**
 * Combines the reports, in the order given, into one Outcome. The head (and base) commit shown is
 * the first report's; reports of other head commits make a warning and a note, since the comment
 * then shows sizes measured at different points. Notes every report has are kept once; the others
 * are prefixed with their report's image label.
 */
export function mergeReports(sources: readonly ReportSource[]): MergeResult {
  const [first] = sources;
  if (!first) return { ok: false, error: 'there is no report to merge' };

  const metrics = new Set(sources.map((s) => s.report.metric));
  if (metrics.size > 1) {
    const list = sources.map((s) => `${s.label} (${s.report.metric})`).join(', ');
    return { ok: false, error: `the reports judge different sizes, so one comment cannot say what the budgets judged: ${list}` };
  }

  const rows: JudgedRow[] = [];
  const owner = new Map<string, string>();
  for (const source of sources) {
    for (const row of outcomeFromReport(source.report).rows) {
      const key = rowKey(row);
      const earlier = owner.get(key);
      if (earlier !== undefined) {
        const hint = row.image === undefined ? '; give each job its own `name` input so that its rows carry an image label' : '';
        const where = earlier === source.label ? `twice in ${source.label}` : `in both ${earlier} and ${source.label}`;
        return { ok: false, error: `${describeRow(row)} is ${where}${hint}` };
      }
      owner.set(key, source.label);
      rows.push(row);
    }
  }

  const warnings: string[] = [];
  const notes: string[] = [];
  const who = (s: ReportSource): string => imageOf(s.report) ?? s.label;
  const heads = new Map<string, string[]>();
  for (const s of sources) heads.set(s.report.head.sha, [...(heads.get(s.report.head.sha) ?? []), who(s)]);
  if (heads.size > 1) {
    warnings.push(`The reports measured different head commits: ${commitList(heads)}. They are shown together all the same.`);
    notes.push(`These sizes were measured on different head commits: ${commitList(heads)}.`);
  }
  const bases = new Map<string, string[]>();
  for (const s of sources) {
    const sha = s.report.base?.sha ?? 'none';
    bases.set(sha, [...(bases.get(sha) ?? []), who(s)]);
  }
  if (bases.size > 1) {
    const list = [...bases].map(([sha, names]) => `${sha === 'none' ? 'none' : shortSha(sha)} (${names.join(', ')})`).join(', ');
    notes.push(`The images were compared with different base commits: ${list}.`);
  }

  for (const s of sources) {
    const label = imageOf(s.report);
    for (const note of s.report.notes) {
      const shared = sources.every((o) => o.report.notes.includes(note));
      const text = shared || label === undefined ? note : `${label}: ${note}`;
      if (!notes.includes(text)) notes.push(text);
    }
  }

  const pr = first.report.pullRequest;
  const samePull =
    pr !== undefined &&
    sources.every((s) => s.report.pullRequest?.number === pr.number && s.report.pullRequest.headSha === pr.headSha);
  const outcome = buildOutcome({
    metric: first.report.metric,
    rows,
    head: first.report.head,
    ...(first.report.base ? { base: first.report.base } : {}),
    notes
  });
  return { ok: true, outcome, ...(samePull ? { pullRequest: pr } : {}), warnings };
}

/** `target: error` of every row whose head build failed, as the measuring run reported it. */
export function headFailuresOf(outcome: Outcome): string[] {
  return outcome.rows.flatMap((r) =>
    r.head.state === 'failed' ? [`${r.image !== undefined ? `${r.image}/` : ''}${r.target}: ${r.head.error}`] : []
  );
}
