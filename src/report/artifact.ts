// Checks that the reports a `workflow_run` job read from an artifact are about the pull request it
// is about to comment on. Pure.
//
// The artifact was uploaded by a pull request's own run, which a fork fully controls: its numbers
// are only shown, never trusted to pick where they are shown (security requirement 3). The pull
// request is resolved through the API from the triggering run; these checks then refuse a report
// that says it is of another repository, another pull request or another commit (a stale artifact
// of an earlier push, or one made up to land on someone else's pull request).
import type { ReportSource } from './merge.js';

export interface CommentTarget {
  /** `owner/name` of the repository commented on. */
  readonly repository: string;
  /** The pull request found through the API. */
  readonly number: number;
  /** The commit the triggering run measured (`workflow_run.head_sha`), which is the pull request's head. */
  readonly headSha: string;
}

/** Why the reports may not be commented on `target`, or undefined when they may. */
export function refuseForPull(sources: readonly ReportSource[], target: CommentTarget): string | undefined {
  for (const { label, report } of sources) {
    if (report.repository.toLowerCase() !== target.repository.toLowerCase()) {
      return `${label}: it is a report of another repository (${report.repository || 'none'}), not ${target.repository}`;
    }
    const pr = report.pullRequest;
    if (pr === undefined) {
      const event = report.event || 'unknown';
      return `${label}: it names no pull request (a report of ${/^[aeiou]/i.test(event) ? 'an' : 'a'} ${event} run); only reports written by pull request runs are commented`;
    }
    if (pr.number !== target.number) {
      return `${label}: it says it is the report of pull request #${pr.number}, but the workflow run is of #${target.number}`;
    }
    if (pr.headSha.toLowerCase() !== target.headSha.toLowerCase()) {
      return `${label}: it says it measured commit ${pr.headSha}, but the workflow run is of ${target.headSha}`;
    }
  }
  return undefined;
}
