// What the workflow event says about the commit under test: which repository, which commit is checked
// out, and what to compare it with. Pure: the payload (the parsed GITHUB_EVENT_PATH file) and the
// environment come in as data. The payload is untrusted JSON: every field is checked, and a missing or
// malformed field leaves that part undefined instead of throwing (RELIABILITY rows 24, 29, 30).

export interface RepoRef {
  readonly owner: string;
  readonly name: string;
}

export interface PullRequestInfo {
  readonly number: number;
  /** The base branch's commit the pull request was opened against (`pull_request.base.sha`). */
  readonly baseSha: string | undefined;
  /** The pull request's own head commit (`pull_request.head.sha`), not the merge commit. */
  readonly headSha: string | undefined;
  /** Branch names, as given by the pull request; untrusted text (a branch may be called `-x`). */
  readonly baseRef: string | undefined;
  readonly headRef: string | undefined;
  /** `owner/name` of the repository the head branch lives in; undefined when that fork was deleted. */
  readonly headRepoFullName: string | undefined;
  /**
   * True when the head branch lives in another repository than the base (a fork), or when the head
   * repository is unknown (deleted fork). Such a pull request gets a read-only token on
   * `pull_request`, and must not be built on `pull_request_target` (security requirement 1).
   */
  readonly isFork: boolean;
}

export interface MergeGroupInfo {
  readonly baseSha: string | undefined;
  readonly headSha: string | undefined;
  readonly baseRef: string | undefined;
  readonly headRef: string | undefined;
}

/**
 * The run a `workflow_run` event is about (the measuring workflow's run), as the payload says. Only
 * GitHub writes this payload, but `pull_requests` is a hint at best: it is empty for a fork's pull
 * request, and may list pull requests that merely share the branch name (OpenAPI: "do not
 * necessarily indicate pull requests that triggered the run"). Every number is checked through the API.
 */
export interface WorkflowRunInfo {
  /** The event that started the measuring run (`pull_request`, `push`, ...). */
  readonly event: string | undefined;
  /** The commit it ran on; for a pull request, the pull request's head commit. */
  readonly headSha: string | undefined;
  /** `owner/name` of the repository that commit came from: a fork for a fork's pull request. */
  readonly headRepoFullName: string | undefined;
  readonly headBranch: string | undefined;
  /** Numbers of `workflow_run.pull_requests` whose base is this repository (at most 10). */
  readonly pullRequestNumbers: readonly number[];
  /** `workflow_run.id` and `run_attempt`: which run measured (orders comments, RELIABILITY row 40). */
  readonly runId?: number;
  readonly runAttempt?: number;
}

export interface EventContext {
  /** GITHUB_EVENT_NAME as given, e.g. `pull_request`. */
  readonly event: string;
  /** From GITHUB_REPOSITORY, else the payload's `repository`; undefined when neither is usable. */
  readonly repo: RepoRef | undefined;
  /**
   * The commit that is checked out and measured: GITHUB_SHA (for `pull_request` the merge commit, for
   * `pull_request_target` the base branch's tip), else the payload's `after` / `merge_group.head_sha` /
   * `pull_request.head.sha`.
   */
  readonly headSha: string | undefined;
  /** GITHUB_REF, e.g. `refs/pull/1/merge` or `refs/heads/main`. */
  readonly ref: string | undefined;
  /**
   * The commit to compare against for this event: the pull request's base, the merge group's base,
   * or a push's `before` (undefined for a new branch). Undefined for dispatch and schedule runs.
   */
  readonly baseSha: string | undefined;
  /** The repository's default branch, when the payload names it. */
  readonly defaultBranch: string | undefined;
  /** Present on `pull_request` and `pull_request_target` when the payload names a number. */
  readonly pullRequest?: PullRequestInfo;
  /** `before` of a `push`; absent when it is the all-zero SHA (a branch was created). */
  readonly pushBefore?: string;
  /** Present on `merge_group`. */
  readonly mergeGroup?: MergeGroupInfo;
  /** Present on `workflow_run`. */
  readonly workflowRun?: WorkflowRunInfo;
}

export const PULL_REQUEST_EVENTS: readonly string[] = ['pull_request', 'pull_request_target'];

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function field(value: unknown, ...path: string[]): unknown {
  let current: unknown = value;
  for (const key of path) {
    if (!isRecord(current)) return undefined;
    current = current[key];
  }
  return current;
}

// Control characters never belong in a ref or a name; such a value is treated as absent.
const CONTROL = /[\u0000-\u001f\u007f]/;

function text(value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '' || value.length > 1024 || CONTROL.test(value)) return undefined;
  return value;
}

const SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const ZERO_SHA = /^0+$/;

/** A full commit id (SHA-1 or SHA-256), lowercased; anything else is undefined. */
export function normalizeSha(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const sha = value.trim().toLowerCase();
  return SHA.test(sha) ? sha : undefined;
}

function positiveInt(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : undefined;
}

function optionalInt<K extends string>(key: K, value: unknown): { [P in K]?: number } {
  const n = positiveInt(value);
  return (n === undefined ? {} : { [key]: n }) as { [P in K]?: number };
}

const NAME_PART = /^[A-Za-z0-9_.-]+$/;

/** `owner/name` → RepoRef; undefined unless it is exactly two plain parts. */
export function parseRepoFullName(value: unknown): RepoRef | undefined {
  const full = text(value);
  if (full === undefined) return undefined;
  const parts = full.split('/');
  const [owner, name] = parts;
  if (parts.length !== 2 || owner === undefined || name === undefined) return undefined;
  if (!NAME_PART.test(owner) || !NAME_PART.test(name)) return undefined;
  return { owner, name };
}

function payloadRepo(payload: unknown): RepoRef | undefined {
  const fromFull = parseRepoFullName(field(payload, 'repository', 'full_name'));
  if (fromFull) return fromFull;
  const owner = text(field(payload, 'repository', 'owner', 'login'));
  const name = text(field(payload, 'repository', 'name'));
  return owner !== undefined && name !== undefined ? parseRepoFullName(`${owner}/${name}`) : undefined;
}

function sameRepo(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function parsePullRequest(
  payload: unknown,
  repo: RepoRef | undefined,
  env: Record<string, string | undefined>
): PullRequestInfo | undefined {
  const pr = field(payload, 'pull_request');
  const number = positiveInt(field(pr, 'number')) ?? positiveInt(field(payload, 'number'));
  if (number === undefined) return undefined;
  const headRepoFullName = text(field(pr, 'head', 'repo', 'full_name'));
  const baseRepoFullName =
    text(field(pr, 'base', 'repo', 'full_name')) ?? (repo ? `${repo.owner}/${repo.name}` : undefined);
  // Unknown head or base repository: assume a fork, the safe side for both tokens and builds.
  const isFork =
    headRepoFullName === undefined || baseRepoFullName === undefined || !sameRepo(headRepoFullName, baseRepoFullName);
  return {
    number,
    baseSha: normalizeSha(field(pr, 'base', 'sha')),
    headSha: normalizeSha(field(pr, 'head', 'sha')),
    baseRef: text(field(pr, 'base', 'ref')) ?? text(env['GITHUB_BASE_REF']),
    headRef: text(field(pr, 'head', 'ref')) ?? text(env['GITHUB_HEAD_REF']),
    headRepoFullName,
    isFork
  };
}

function parseMergeGroup(payload: unknown): MergeGroupInfo | undefined {
  const group = field(payload, 'merge_group');
  if (!isRecord(group)) return undefined;
  return {
    baseSha: normalizeSha(group['base_sha']),
    headSha: normalizeSha(group['head_sha']),
    baseRef: text(group['base_ref']),
    headRef: text(group['head_ref'])
  };
}

function parseWorkflowRun(payload: unknown, repo: RepoRef | undefined): WorkflowRunInfo | undefined {
  const run = field(payload, 'workflow_run');
  if (!isRecord(run)) return undefined;
  const listed = Array.isArray(run['pull_requests']) ? run['pull_requests'].slice(0, 10) : [];
  const numbers: number[] = [];
  for (const pr of listed) {
    // pull-request-minimal names the base repository by URL only: keep those based here.
    const baseUrl = text(field(pr, 'base', 'repo', 'url'));
    const ours = repo !== undefined && baseUrl !== undefined && baseUrl.toLowerCase().endsWith(`/repos/${repo.owner}/${repo.name}`.toLowerCase());
    const number = positiveInt(field(pr, 'number'));
    if (ours && number !== undefined && !numbers.includes(number)) numbers.push(number);
  }
  const headRepo = parseRepoFullName(field(run, 'head_repository', 'full_name'));
  return {
    event: text(run['event']),
    headSha: normalizeSha(run['head_sha']),
    headRepoFullName: headRepo ? `${headRepo.owner}/${headRepo.name}` : undefined,
    headBranch: text(run['head_branch']),
    pullRequestNumbers: numbers,
    ...optionalInt('runId', run['id']),
    ...optionalInt('runAttempt', run['run_attempt'])
  };
}

/**
 * Reads the event. `eventName` is GITHUB_EVENT_NAME, `payload` the parsed event file (any JSON, or
 * undefined when there is none), `env` the process environment (GITHUB_REPOSITORY, GITHUB_SHA,
 * GITHUB_REF, GITHUB_BASE_REF, GITHUB_HEAD_REF). Never throws.
 */
export function parseEventContext(
  eventName: string,
  payload: unknown,
  env: Record<string, string | undefined>
): EventContext {
  const repo = parseRepoFullName(env['GITHUB_REPOSITORY']) ?? payloadRepo(payload);
  const envSha = normalizeSha(env['GITHUB_SHA']);
  const base = {
    event: eventName,
    repo,
    ref: text(env['GITHUB_REF']) ?? text(field(payload, 'ref')),
    defaultBranch: text(field(payload, 'repository', 'default_branch'))
  };

  if (PULL_REQUEST_EVENTS.includes(eventName)) {
    const pullRequest = parsePullRequest(payload, repo, env);
    return {
      ...base,
      headSha: envSha ?? pullRequest?.headSha,
      baseSha: pullRequest?.baseSha,
      ...(pullRequest ? { pullRequest } : {})
    };
  }

  if (eventName === 'push') {
    const before = normalizeSha(field(payload, 'before'));
    const pushBefore = before !== undefined && !ZERO_SHA.test(before) ? before : undefined;
    return {
      ...base,
      headSha: envSha ?? normalizeSha(field(payload, 'after')),
      baseSha: pushBefore,
      ...(pushBefore ? { pushBefore } : {})
    };
  }

  if (eventName === 'merge_group') {
    const mergeGroup = parseMergeGroup(payload);
    return {
      ...base,
      headSha: envSha ?? mergeGroup?.headSha,
      baseSha: mergeGroup?.baseSha,
      ...(mergeGroup ? { mergeGroup } : {})
    };
  }

  if (eventName === 'workflow_run') {
    const workflowRun = parseWorkflowRun(payload, repo);
    return { ...base, headSha: envSha, baseSha: undefined, ...(workflowRun ? { workflowRun } : {}) };
  }

  // workflow_dispatch, schedule and anything else: measure the checked-out commit, no comparison.
  return { ...base, headSha: envSha, baseSha: undefined };
}

/** This run's id and attempt (GITHUB_RUN_ID, GITHUB_RUN_ATTEMPT); undefined outside Actions. */
export function runStampFromEnv(env: Record<string, string | undefined>): { readonly id: number; readonly attempt: number } | undefined {
  const idText = env.GITHUB_RUN_ID ?? '';
  const attemptText = env.GITHUB_RUN_ATTEMPT ?? '';
  if (!/^\d{1,15}$/.test(idText)) return undefined;
  const attempt = /^\d{1,6}$/.test(attemptText) && Number(attemptText) > 0 ? Number(attemptText) : 1;
  return { id: Number(idText), attempt };
}

/** The page of this run, where its job summary is shown; undefined outside Actions. */
export function runPageUrl(env: Record<string, string | undefined>): string | undefined {
  const server = (env.GITHUB_SERVER_URL || 'https://github.com').replace(/\/+$/, '');
  const repo = parseRepoFullName(env.GITHUB_REPOSITORY);
  const id = env.GITHUB_RUN_ID ?? '';
  if (!repo || !/^\d{1,15}$/.test(id) || !/^https?:\/\/[A-Za-z0-9.:-]+(\/[A-Za-z0-9._~/-]*)?$/.test(server)) return undefined;
  return `${server}/${repo.owner}/${repo.name}/actions/runs/${id}`;
}
