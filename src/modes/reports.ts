// What the report-reading modes (merge.ts, comment.ts) share: their dependencies, what they hand to
// publishing, and the note of reports left out at the read limits (workspace/report-files.ts).
import type { Log } from '../log.js';
import type { Outcome } from '../model.js';
import type { ReportPullRequest } from '../report/report.js';
import type { ReadReports } from '../workspace/report-files.js';

export interface ModeDeps {
  readonly env: NodeJS.ProcessEnv;
  readonly log: Log;
}

/** What a report-reading mode hands to publishing. */
export interface FromReports {
  readonly outcome: Outcome;
  /** The pull request every report names, written into the merged report. */
  readonly pullRequest?: ReportPullRequest;
  /** `target: error` of every head build the reports say failed: the step fails on these, as measure's does. */
  readonly headFailures: readonly string[];
  /**
   * Why the merge is incomplete (reports left out at the read limits), or undefined. A merge fails
   * the step on it after publishing what it read: a left-out report may be a red image.
   */
  readonly incomplete?: string;
}

/** The outcome with the note of reports left out, if any, added under the table. */
export function withLeftOut(outcome: Outcome, read: ReadReports): Outcome {
  return read.note ? { ...outcome, notes: [...outcome.notes, read.note] } : outcome;
}
