// Whether the code a measuring run would build is a stranger's, in a run that holds this
// repository's privileges (security requirements 1 and 12). Pure: the event in, a decision out.
//
// Two events run with a write token, the repository's secrets and write access to the default
// branch's cache while the code under test may come from a fork:
// - `pull_request_target`: the pull request's head lives in another repository (or in one GitHub no
//   longer names, a deleted fork);
// - `workflow_run`: the run that triggered it was of a commit from another repository (a fork's
//   pull request, `pull_request` or `pull_request_target`), or the payload does not say where from.
// Building there runs that code's Dockerfile (`RUN` steps) with those privileges: a "pwn request".
// A branch of this repository is not a stranger's: whoever pushed it may already change the
// workflows. Other events (`issue_comment`, ...) name no head repository; what they check out is the
// workflow's choice, and README says not to check out a fork's code there.
import type { EventContext } from '../github/event.js';
import { INPUT } from '../inputs/names.js';

export interface BuildTrust {
  /** Set when the build is refused (untrusted code, `allow-fork-builds` not set): the step fails with it. */
  readonly refusal?: string;
  /** Set when untrusted code is built anyway (`allow-fork-builds: true`): a warning. */
  readonly warning?: string;
  /**
   * False when the build is untrusted code in a privileged run: its cache is read, never written,
   * since later runs on the default branch would build from layers it chose (cache poisoning).
   */
  readonly exportCache: boolean;
  /** Why the cache is not written, for the log; set when untrusted code is built. */
  readonly cacheNote?: string;
}

/** Where untrusted code comes from in a privileged run, e.g. `a fork's pull request on pull_request_target`; undefined when trusted. */
export function untrustedPrivilegedCode(event: EventContext): string | undefined {
  if (event.event === 'pull_request_target') {
    // No pull request in the payload: where its head lives is unknown, the safe side is a fork.
    return !event.pullRequest || event.pullRequest.isFork ? "a fork's pull request on pull_request_target" : undefined;
  }
  if (event.event === 'workflow_run') {
    const run = event.workflowRun;
    const here = event.repo ? `${event.repo.owner}/${event.repo.name}` : undefined;
    const from = run?.headRepoFullName;
    if (from !== undefined && here !== undefined && from.toLowerCase() === here.toLowerCase()) return undefined;
    const what = run?.event ? `a ${run.event} run` : 'a run';
    return from !== undefined
      ? `the code of ${what} from ${from} (not this repository) on workflow_run`
      : `the code of ${what} from a repository the workflow_run payload does not name on workflow_run`;
  }
  return undefined;
}

/** What a measuring run may do with the code it checked out, given the event and `allow-fork-builds`. */
export function buildTrust(event: EventContext, allowForkBuilds: boolean): BuildTrust {
  const untrusted = untrustedPrivilegedCode(event);
  if (untrusted === undefined) return { exportCache: true };
  if (!allowForkBuilds) {
    return {
      exportCache: false,
      refusal: event.event === 'pull_request_target' ? pullRequestTargetRefusal() : workflowRunRefusal(untrusted)
    };
  }
  return {
    exportCache: false,
    warning:
      event.event === 'pull_request_target'
        ? `${INPUT.allowForkBuilds} is true: building a fork's pull request on pull_request_target, with this workflow's ` +
          'token and secrets within reach of its Dockerfile.'
        : `${INPUT.allowForkBuilds} is true: building ${untrusted}, with this workflow's token and secrets within reach of its Dockerfile.`,
    cacheNote:
      `cache: read, not written: this run builds ${untrusted}, and what it wrote would land where the default ` +
      "branch's runs read their cache (no --cache-to)."
  };
}

function pullRequestTargetRefusal(): string {
  return (
    'Refusing to build a fork\'s pull request on pull_request_target: that event runs with a write token and ' +
    'secrets, and building the fork\'s Dockerfile there would run untrusted code with them (a "pwn request"). ' +
    'Use the pull_request event (the comment then needs the workflow_run pattern, see the README), or set ' +
    `${INPUT.allowForkBuilds}: true if this workflow has nothing a fork's code must not reach.`
  );
}

function workflowRunRefusal(untrusted: string): string {
  return (
    `Refusing to build ${untrusted}: a workflow_run workflow runs with a write token and secrets, and building ` +
    'what it checked out of that run would run untrusted code with them (a "pwn request"). Measure on the pull_request ' +
    `event and comment its report from workflow_run with ${INPUT.mode}: comment, which builds nothing (see "Forks and ` +
    `matrix jobs" in the README), or set ${INPUT.allowForkBuilds}: true if this workflow has nothing a fork's code must not reach.`
  );
}

/**
 * Refuses to hand secrets to untrusted code in a privileged run, whatever `allow-fork-builds` says:
 * `given` are the secret inputs set (secrets, secret-files, secret-envs, ssh). Undefined when allowed.
 */
export function secretsRefusal(event: EventContext, given: readonly string[]): string | undefined {
  const untrusted = untrustedPrivilegedCode(event);
  if (untrusted === undefined || given.length === 0) return undefined;
  const names = given.join(', ');
  return (
    `Refusing to build ${untrusted} with ${names} set: its Dockerfile would read them (RUN --mount=type=secret or ` +
    `type=ssh), even with ${INPUT.allowForkBuilds}: true. Measure pull requests on the pull_request event, where a ` +
    `fork's run gets no secrets, or remove ${names} from this step.`
  );
}
