// Whether the code a measuring run would build is a stranger's, in a run that holds this
// repository's privileges (security requirements 1 and 12), what such a build may use (no frontend
// of its choosing), and which runs write the build cache that default-branch builds read. Pure: the
// event in, a decision out.
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
import type { SyntaxDirective } from '../dockerfile/directives.js';
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
  /**
   * Where the untrusted code comes from, when it is built (`allow-fork-builds`): such a build gets
   * a docker client without the Actions runtime (no gha cache) and no frontend of its own choosing.
   */
  readonly untrusted?: string;
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
    untrusted,
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

/** The events of the default branch whose build cache other runs may trust: they build what was pushed there. */
const MAX_CACHE_EVENTS: ReadonlySet<string> = new Set(['push', 'schedule', 'workflow_dispatch']);

/**
 * What a run exports into its cache scopes (BuildPlan.cacheMode): `max` (every stage, the scope
 * every pull request reads) only for a `push`, `schedule` or `workflow_dispatch` run of the default
 * branch; `min` for everything else, a `pull_request_target` or `workflow_run` included, although
 * their GITHUB_REF is the default branch: what they build is not the default branch's code.
 */
export function cacheExportMode(event: Pick<EventContext, 'event' | 'ref' | 'defaultBranch'>): 'max' | 'min' {
  return onDefaultBranch(event) && MAX_CACHE_EVENTS.has(event.event) ? 'max' : 'min';
}

/** True when GITHUB_REF is the repository's default branch (whatever the event). */
export function onDefaultBranch(event: Pick<EventContext, 'ref' | 'defaultBranch'>): boolean {
  return event.defaultBranch !== undefined && event.ref === `refs/heads/${event.defaultBranch}`;
}

/** A frontend image pinned by digest: `name[:tag]@sha256:<64 hex>`. */
const PINNED_FRONTEND = /^[^\s@]+@sha256:[0-9a-f]{64}$/;

const MAX_SHOWN = 200;
const shown = (text: string): string => (text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}…` : text);

export interface FrontendCheck {
  /** Where the untrusted code comes from (BuildTrust.untrusted); undefined: a trusted build, nothing to check. */
  readonly untrusted: string | undefined;
  /** The Dockerfile as the user named it (`file`, or `<context>/Dockerfile`). */
  readonly file: string;
  /** Its `syntax` directive (dockerfile/directives.ts), if any. */
  readonly directive: SyntaxDirective | undefined;
  readonly buildArgs: ReadonlyArray<readonly [string, string]>;
}

/**
 * Why a stranger's build is refused for its frontend, or undefined. BuildKit runs the frontend a
 * Dockerfile names (`# syntax=`) or the BUILDKIT_SYNTAX build argument names (which wins) as the
 * build's own program: an image of the fork's choosing would get the build's cache attributes and
 * could ignore `--network none`. Allowed: no frontend named, or BUILDKIT_SYNTAX pinned to a digest
 * (then the Dockerfile's directive is not used).
 */
export function frontendRefusal(check: FrontendCheck): string | undefined {
  if (check.untrusted === undefined) return undefined;
  const pin = `pin a frontend by digest with the build argument BUILDKIT_SYNTAX (e.g. docker/dockerfile:1@sha256:<digest>), which BuildKit uses instead`;
  const arg = check.buildArgs.find(([name]) => name === 'BUILDKIT_SYNTAX');
  if (arg) {
    const frontend = arg[1].trim().split(/\s+/)[0] ?? '';
    if (PINNED_FRONTEND.test(frontend)) return undefined;
    return (
      `Refusing to build ${check.untrusted}: the build argument BUILDKIT_SYNTAX=${JSON.stringify(shown(arg[1]))} names a frontend ` +
      "that is not pinned by digest, and BuildKit would run whatever that tag gives with this run's privileges within reach. " +
      `Accepted: no BUILDKIT_SYNTAX, or one pinned as name@sha256:<64 hex digits>.`
    );
  }
  if (!check.directive) return undefined;
  const d = check.directive;
  return (
    `Refusing to build ${check.untrusted}: ${check.file}:${d.line} names the frontend ${JSON.stringify(shown(d.frontend))} ` +
    `(${JSON.stringify(shown(d.text))}), an image BuildKit would run as the build's own program, with this run's privileges ` +
    `within reach and free to ignore --network none. Remove the directive from the pull request, or ${pin}.`
  );
}
