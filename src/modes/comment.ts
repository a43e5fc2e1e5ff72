// `mode: comment`: the trusted half of the fork-safe pattern (PRODUCT 6, security requirement 2).
// The measuring workflow runs on `pull_request` with a read-only token and uploads its report as
// an artifact; this mode runs in a `workflow_run` workflow, which has a token that may comment, and
// posts that report. It never checks out, builds or runs anything of the pull request's: the
// report is data, rendered and never re-run.
//
// The artifact is untrusted (a fork's run made it): it is read like any report (confined, no links,
// size-capped, validated), the pull request is found through the API from the triggering run, never
// from the artifact, and the report must say it is of that pull request at that commit. Its numbers
// are still the pull request's own word: the comment and summary say so in one note
// (SELF_REPORTED_NOTE in report/render.ts; main.ts renders with `selfReported`). Whatever
// fails there is a warning saying why and no comment, never a failed step: a fork must not be able
// to turn the base repository's workflows red. A wrong workflow (wrong event, a `reports` path
// that does not exist) is the workflow author's to fix and fails the step.
import type { EventContext } from '../github/event.js';
import type { RunStamp } from '../github/sticky.js';
import { createOctokitPullsApi, findRunPull, type PullsApi } from '../github/pulls.js';
import { INPUT } from '../inputs/names.js';
import type { Inputs } from '../model.js';
import { refuseForPull } from '../report/artifact.js';
import { shortSha } from '../report/format.js';
import { mergeReports, type ReportSource } from '../report/merge.js';
import { ReportSourceError, leftOutWarning, readReports, type ReadReports } from '../workspace/report-files.js';
import { withLeftOut, type FromReports, type ModeDeps } from './reports.js';

export interface CommentModeDeps extends ModeDeps {
  /** The pull-request lookups; octokit against GITHUB_API_URL when not given. */
  readonly pulls?: PullsApi;
}

export type CommentPlan =
  | (FromReports & {
      readonly kind: 'comment';
      /** The pull request to comment on. */
      readonly issue: number;
      /** The measuring run, stamped into the comment. */
      readonly run?: RunStamp;
    })
  /** Nothing to comment; `warn` when something was refused (else it is only logged). */
  | { readonly kind: 'skip'; readonly message: string; readonly warn: boolean };

const PULL_REQUEST_EVENTS = ['pull_request', 'pull_request_target'];

const refuse = (why: string): CommentPlan => ({ kind: 'skip', message: `Not commenting: ${why}.`, warn: true });

/**
 * Reads the reports and decides where they may be commented, if anywhere. Throws only for a wrong
 * workflow (another event, a missing path); every refusal comes back as a `skip`.
 */
export async function commentMode(deps: CommentModeDeps, inputs: Inputs, event: EventContext): Promise<CommentPlan> {
  if (event.event !== 'workflow_run') {
    throw new Error(
      `${INPUT.mode}: comment runs in a workflow triggered by workflow_run (it comments the report that a pull request's ` +
        `run uploaded; see "Forks and matrix jobs" in the README); this run was triggered by ${event.event || 'an unknown event'}.`
    );
  }
  const run = event.workflowRun;
  const repo = event.repo;
  if (!run || !repo) return refuse('the event payload has no workflow_run, or the repository is unknown');
  if (!run.event || !PULL_REQUEST_EVENTS.includes(run.event)) {
    return { kind: 'skip', message: `The triggering run was a ${run.event ?? 'unknown'} run, not a pull request's: nothing to comment.`, warn: false };
  }
  if (!run.headSha || !run.headRepoFullName) return refuse('the workflow_run payload names no head commit or head repository');

  let read: ReadReports;
  try {
    read = await readReports(inputs.reports, deps.env);
  } catch (error) {
    if (error instanceof ReportSourceError) return refuse(`the report ${error.label} is refused: ${error.reason}`);
    throw error;
  }
  const sources: ReportSource[] = read.sources;
  const merged = mergeReports(sources);
  if (!merged.ok) return refuse(`the reports cannot be merged: ${merged.error}`);

  if (!inputs.githubToken) return refuse('no github-token was given');
  const pulls =
    deps.pulls ??
    createOctokitPullsApi({
      token: inputs.githubToken,
      owner: repo.owner,
      repo: repo.name,
      apiUrl: deps.env.GITHUB_API_URL || 'https://api.github.com'
    });
  const found = await findRunPull(pulls, repo, run);
  if (found.kind === 'none') return refuse(`cannot tell which pull request the run was for: ${found.reason}`);
  const pull = found.pull;
  if (pull.headSha !== run.headSha) {
    return refuse(
      `pull request #${pull.number} has moved on to ${pull.headSha ? shortSha(pull.headSha) : 'another commit'} since the run measured ` +
        `${shortSha(run.headSha)}; this report is stale (the newer run's report is commented when it finishes)`
    );
  }
  const refusal = refuseForPull(sources, { repository: `${repo.owner}/${repo.name}`, number: pull.number, headSha: run.headSha });
  if (refusal) return refuse(`a report does not belong to pull request #${pull.number}: ${refusal}`);

  for (const warning of merged.warnings) deps.log.warning(warning);
  const leftOut = leftOutWarning(read);
  if (leftOut) deps.log.warning(leftOut);
  deps.log.info(`Commenting the report${sources.length === 1 ? '' : 's'} ${sources.map((s) => s.label).join(', ')} on pull request #${pull.number} (head ${shortSha(run.headSha)}).`);
  return {
    kind: 'comment',
    issue: pull.number,
    outcome: withLeftOut(merged.outcome, read),
    pullRequest: { number: pull.number, headSha: run.headSha },
    // The comment is stamped with the measuring run, not this commenting one: a slow commenter of an
    // older run never writes over the comment of a newer one (RELIABILITY row 40).
    ...(run.runId !== undefined ? { run: { id: run.runId, attempt: run.runAttempt ?? 1 } } : {}),
    // The measuring run already failed (or passed) the pull request's check on these; here they are shown only.
    headFailures: []
  };
}
