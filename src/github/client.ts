// The one GitHub client: pull-request (issue) comments and the token's identity, behind a small
// interface so the sticky-comment logic can run against a fake or a loopback stand-in.
// Every URL comes from GITHUB_API_URL / GITHUB_GRAPHQL_URL as passed in, never a hard-coded
// api.github.com (GHES, RELIABILITY row 48). The token goes only into the Authorization header:
// it is never part of an error message or a log line.
import type { getOctokit } from '@actions/github';
import { errorMessage } from '../errors.js';
import { firstUse } from '../first-use.js';

/** An issue or pull-request comment, reduced to what the sticky logic needs. */
export interface IssueComment {
  readonly id: number;
  readonly body: string;
  /** The author's login as REST gives it (`github-actions[bot]` for the Actions token); '' for a deleted user. */
  readonly userLogin: string;
  /** `Bot`, `User` or `Organization`, when given. */
  readonly userType?: string;
  readonly htmlUrl: string;
  /** ISO 8601, e.g. `2024-01-01T00:00:00Z`. */
  readonly createdAt: string;
}

export interface CommentsApi {
  /** The token's login (GraphQL `viewer.login`); undefined when it cannot be had. Never throws. */
  viewerLogin(): Promise<string | undefined>;
  /** Every comment of the issue or pull request, all pages, oldest first. */
  listComments(issue: number): Promise<IssueComment[]>;
  createComment(issue: number, body: string): Promise<IssueComment>;
  updateComment(id: number, body: string): Promise<IssueComment>;
  deleteComment(id: number): Promise<void>;
}

/** A failed API call. `status` is the HTTP status, undefined when no response came (network error). */
export class GitHubApiError extends Error {
  constructor(
    readonly operation: string,
    readonly status: number | undefined,
    /** GitHub's `message` field, or the network error's text. */
    readonly apiMessage: string
  ) {
    super(`${operation} failed: ${status === undefined ? 'no response' : `HTTP ${status}`}: ${apiMessage}`);
    this.name = 'GitHubApiError';
  }
}

/**
 * How hard the client tries (RELIABILITY rows 46, 47; security 16). Retries are the ecosystem's:
 * @octokit/plugin-retry for 5xx answers and connection failures (no answer comes out of octokit as a
 * status-500 RequestError), @octokit/plugin-throttling for the primary and secondary rate limits.
 * 400, 401, 403 (other than a rate limit), 404, 410, 422 and 451 are never retried.
 */
export interface ApiPolicy {
  /** Retries after the first attempt, for 5xx and connection failures (plugin-retry `retries`). */
  readonly retries: number;
  /** plugin-retry waits `base × n²` before retry n: 1 s, 4 s, 9 s by default. */
  readonly retryBaseMs: number;
  /** Rate-limit retries per request; each honours GitHub's `retry-after` / `x-ratelimit-reset`. */
  readonly rateLimitRetries: number;
  /** A rate-limit wait longer than this is not waited for: the call fails (then a warning). */
  readonly maxRateLimitWaitSeconds: number;
  /**
   * Wall-clock cap of one operation, retries and waits included: a request is aborted when it runs
   * past it, and a rate-limit wait that would end past it is not begun.
   */
  readonly timeoutMs: number;
  /**
   * Least time between two writes (and GraphQL queries) of this client: GitHub asks integrations to
   * space content-creating requests to stay clear of the secondary rate limit. plugin-throttling's
   * own default is 1 s.
   */
  readonly writeSpacingMs: number;
  /** Least time between two writes that notify people (creating a comment): plugin-throttling's 3 s. */
  readonly notifySpacingMs: number;
  /** Told about each rate-limit wait (a log line); never given headers or the token. */
  readonly onWait?: (message: string) => void;
}

const DEFAULT_API_POLICY: ApiPolicy = {
  retries: 3,
  retryBaseMs: 1000,
  rateLimitRetries: 2,
  maxRateLimitWaitSeconds: 60,
  timeoutMs: 3 * 60_000,
  writeSpacingMs: 1000,
  notifySpacingMs: 3000
};

export interface OctokitCommentsApiOptions {
  readonly token: string;
  readonly owner: string;
  readonly repo: string;
  /** GITHUB_API_URL, e.g. `https://api.github.com` or `https://ghe.example.com/api/v3`. */
  readonly apiUrl: string;
  /** GITHUB_GRAPHQL_URL; derived from apiUrl when not given (see graphqlUrlFor). */
  readonly graphqlUrl?: string;
  /** Retry and rate-limit behaviour; DEFAULT_API_POLICY when not given. */
  readonly policy?: Partial<ApiPolicy>;
}

/**
 * The GraphQL endpoint that goes with a REST base URL: `https://api.github.com` →
 * `https://api.github.com/graphql`; GHES `https://ghe/api/v3` → `https://ghe/api/graphql`.
 */
export function graphqlUrlFor(apiUrl: string): string {
  const base = apiUrl.replace(/\/+$/, '');
  return /\/api\/v3$/.test(base) ? base.replace(/\/api\/v3$/, '/api/graphql') : `${base}/graphql`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Validates one REST issue-comment object; undefined when it lacks an id (nothing can be done with it). */
export function parseIssueComment(value: unknown): IssueComment | undefined {
  if (!isRecord(value)) return undefined;
  const { id, body, user, html_url: htmlUrl, created_at: createdAt } = value;
  if (typeof id !== 'number' || !Number.isSafeInteger(id)) return undefined;
  const login = isRecord(user) && typeof user['login'] === 'string' ? user['login'] : '';
  const type = isRecord(user) && typeof user['type'] === 'string' ? user['type'] : undefined;
  return {
    id,
    body: typeof body === 'string' ? body : '',
    userLogin: login,
    ...(type !== undefined ? { userType: type } : {}),
    htmlUrl: typeof htmlUrl === 'string' ? htmlUrl : '',
    createdAt: typeof createdAt === 'string' ? createdAt : ''
  };
}

function parseViewerLogin(value: unknown): string | undefined {
  if (!isRecord(value) || !isRecord(value['data'])) return undefined;
  const viewer = value['data']['viewer'];
  if (!isRecord(viewer)) return undefined;
  const login = viewer['login'];
  return typeof login === 'string' && login !== '' ? login : undefined;
}

interface ErrorFacts {
  readonly status: number | undefined;
  readonly message: string;
}

// Octokit throws a RequestError carrying `status` and, when a response came, `response`. Read it
// structurally: only the status and GitHub's messages; never `request` (it holds the Authorization
// header).
function errorFacts(error: unknown): ErrorFacts {
  const response = isRecord(error) ? error['response'] : undefined;
  if (!isRecord(response)) {
    const cause = isRecord(error) && error['cause'] instanceof Error ? error['cause'].message : undefined;
    const message = cause ?? (errorMessage(error));
    return { status: undefined, message };
  }
  const status = typeof response['status'] === 'number' ? response['status'] : undefined;
  const data = response['data'];
  const base =
    isRecord(data) && typeof data['message'] === 'string'
      ? data['message']
      : typeof data === 'string' && data !== ''
        ? data.slice(0, 200)
        : 'no message';
  // A 422 says what failed in `errors[].message` ("Body is too long (maximum is 65536 characters)").
  const details =
    isRecord(data) && Array.isArray(data['errors'])
      ? data['errors'].flatMap((e: unknown) => (isRecord(e) && typeof e['message'] === 'string' ? [e['message'].slice(0, 200)] : []))
      : [];
  const message = details.length > 0 ? `${base}: ${details.slice(0, 3).join('; ')}` : base;
  return { status, message };
}

/** The API failure as a GitHubApiError: status, GitHub's message and its validation errors, nothing else. */
function toApiError(operation: string, error: unknown): GitHubApiError {
  if (error instanceof GitHubApiError) return error;
  const facts = errorFacts(error);
  // Octokit reports "no answer" (connection refused or reset, timeout) as a status-500 RequestError
  // without a response; say so instead of inventing an HTTP status.
  const answered = isRecord(error) && isRecord(error['response']);
  return new GitHubApiError(operation, answered ? facts.status : undefined, facts.message);
}

/** 5xx or no answer: the request may or may not have been carried out. */
export function isTransient(error: unknown): boolean {
  return error instanceof GitHubApiError && (error.status === undefined || error.status >= 500);
}

/** The 422 GitHub gives a comment body above its limit (`Body is too long (maximum is 65536 characters)`). */
export function isBodyTooLong(error: unknown): boolean {
  return error instanceof GitHubApiError && error.status === 422 && /too long/i.test(error.apiMessage);
}

export type Octokit = ReturnType<typeof getOctokit>;

/**
 * @actions/github and the octokit plugins, imported once, on first use: a run that makes no API
 * call (a push, `comment: never`) never loads them, nor the HTTP stack under them (undici).
 */
const octokitParts = firstUse(async () => {
  try {
    const [github, retry, throttling, bottleneck] = await Promise.all([
      import('@actions/github'),
      import('@octokit/plugin-retry'),
      import('@octokit/plugin-throttling'),
      import('bottleneck/light.js')
    ]);
    return { getOctokit: github.getOctokit, retry: retry.retry, throttling: throttling.throttling, Bottleneck: bottleneck.default };
  } catch (error) {
    throw new Error(`cannot load @actions/github: ${errorMessage(error)}`);
  }
});

/**
 * An octokit (`getOctokit` from @actions/github, so GITHUB_API_URL and the runner's proxy settings
 * apply) with plugin-retry and plugin-throttling configured from the policy.
 */
export async function createOctokit(token: string, apiUrl: string, policy: ApiPolicy): Promise<Octokit> {
  const { getOctokit, retry, throttling, Bottleneck } = await octokitParts();
  interface LimitedRequest {
    readonly method?: string;
    readonly url?: string;
    /** The request options apiCall gave: `deadline` is read from here. */
    readonly request?: object;
  }
  const describe = (options: LimitedRequest): string => {
    let path = options.url ?? '';
    try {
      path = decodeURI(new URL(path, 'http://x').pathname);
    } catch {
      // keep it as given
    }
    return `${options.method ?? 'GET'} ${path}`;
  };
  const onLimit =
    (kind: string) =>
    (retryAfter: number, options: LimitedRequest, _octokit: unknown, retryCount: number): boolean => {
      const given = options.request !== undefined && 'deadline' in options.request ? options.request.deadline : undefined;
      const deadline = typeof given === 'number' ? given : Number.POSITIVE_INFINITY;
      const why =
        retryCount >= policy.rateLimitRetries
          ? `${retryCount} retries already`
          : retryAfter > policy.maxRateLimitWaitSeconds
            ? `asked to wait ${retryAfter} s`
            : Date.now() + retryAfter * 1000 > deadline
              ? `a ${retryAfter} s wait would pass the ${Math.round(policy.timeoutMs / 1000)} s limit`
              : undefined;
      policy.onWait?.(
        why === undefined
          ? `GitHub's ${kind} rate limit on ${describe(options)}: retrying in ${retryAfter} s.`
          : `GitHub's ${kind} rate limit on ${describe(options)}: not retrying (${why}).`
      );
      return why === undefined;
    };
  // Write queues per client (not plugin-throttling's process-wide ones), spaced as the policy says.
  const write = new Bottleneck.Group({ id: 'image-budget-write', maxConcurrent: 1, minTime: policy.writeSpacingMs });
  const notifications = new Bottleneck.Group({ id: 'image-budget-notify', maxConcurrent: 1, minTime: policy.notifySpacingMs });
  return getOctokit(
    token,
    {
      baseUrl: apiUrl.replace(/\/+$/, ''),
      retry: { retries: policy.retries, retryAfterBaseValue: policy.retryBaseMs, doNotRetry: [400, 401, 403, 404, 410, 422, 429, 451] },
      throttle: { onRateLimit: onLimit('primary'), onSecondaryRateLimit: onLimit('secondary'), write, notifications }
    },
    retry,
    throttling
  );
}

/**
 * Runs one API call under the policy's wall-clock cap (the request options it gets carry the abort
 * signal and the deadline the rate-limit handler checks); a failure comes out as GitHubApiError,
 * never the request.
 */
export interface RequestLimits {
  readonly signal: AbortSignal;
  /** Epoch milliseconds; the rate-limit handler reads it from the request options. */
  readonly deadline: number;
}

export async function apiCall<T>(operation: string, policy: ApiPolicy, call: (limits: RequestLimits) => Promise<T>): Promise<T> {
  try {
    return await call({ signal: AbortSignal.timeout(policy.timeoutMs), deadline: Date.now() + policy.timeoutMs });
  } catch (error) {
    throw toApiError(operation, error);
  }
}

function requireComment(operation: string, data: unknown): IssueComment {
  const comment = parseIssueComment(data);
  if (!comment) throw new GitHubApiError(operation, undefined, 'the response is not an issue comment');
  return comment;
}

const VIEWER_QUERY = 'query { viewer { login } }';

/**
 * Every item of a paginated GET. octokit's paginate() passes only method, url and headers on to the
 * requests of the following pages, so the limits (abort signal, deadline) go in through a request
 * function that has them as defaults. (Its types only know the route-string form of that call.)
 */
export async function paginateAll(
  octokit: Octokit,
  limits: RequestLimits,
  url: string,
  parameters: Readonly<Record<string, string | number>>
): Promise<unknown[]> {
  const request = octokit.request.defaults({ request: limits });
  const items: unknown = await octokit.paginate(request as never, { method: 'GET', url, ...parameters } as never);
  return Array.isArray(items) ? items : [];
}

/** The policy with defaults filled in. */
export function apiPolicy(over: Partial<ApiPolicy> | undefined): ApiPolicy {
  return { ...DEFAULT_API_POLICY, ...over };
}

/** A CommentsApi over octokit (`getOctokit` from @actions/github), for one repository. */
export function createOctokitCommentsApi(options: OctokitCommentsApiOptions): CommentsApi {
  if (options.token === '') throw new Error('The GitHub token is empty: set the github-token input.');
  const policy = apiPolicy(options.policy);
  const baseUrl = options.apiUrl.replace(/\/+$/, '');
  const graphqlUrl = options.graphqlUrl ?? graphqlUrlFor(baseUrl);
  const octokit = firstUse(() => createOctokit(options.token, baseUrl, policy));
  const { owner, repo } = options;

  return {
    async viewerLogin() {
      try {
        const response = await apiCall('GraphQL viewer', policy, async (limits) =>
          (await octokit()).request({ method: 'POST', url: graphqlUrl, query: VIEWER_QUERY, request: limits })
        );
        return parseViewerLogin(response.data);
      } catch {
        return undefined;
      }
    },

    async listComments(issue) {
      const items = await apiCall(`List comments of #${issue}`, policy, async (limits) =>
        paginateAll(await octokit(), limits, '/repos/{owner}/{repo}/issues/{issue_number}/comments', {
          owner,
          repo,
          issue_number: issue,
          per_page: 100
        })
      );
      const comments: IssueComment[] = [];
      for (const item of items) {
        const comment = parseIssueComment(item);
        if (comment) comments.push(comment);
      }
      return comments;
    },

    async createComment(issue, body) {
      const operation = `Create a comment on #${issue}`;
      // Not retried on a 5xx or a lost answer: the comment may have been made. The sticky logic
      // lists again before creating again (RELIABILITY row 47). Rate limits are still waited out.
      const response = await apiCall(operation, policy, async (limits) =>
        (await octokit()).request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', {
          owner,
          repo,
          issue_number: issue,
          body,
          request: { ...limits, retries: 0 }
        })
      );
      return requireComment(operation, response.data);
    },

    async updateComment(id, body) {
      const operation = `Update comment ${id}`;
      const response = await apiCall(operation, policy, async (limits) =>
        (await octokit()).request('PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}', {
          owner,
          repo,
          comment_id: id,
          body,
          request: limits
        })
      );
      return requireComment(operation, response.data);
    },

    async deleteComment(id) {
      await apiCall(`Delete comment ${id}`, policy, async (limits) =>
        (await octokit()).request('DELETE /repos/{owner}/{repo}/issues/comments/{comment_id}', {
          owner,
          repo,
          comment_id: id,
          request: limits
        })
      );
    }
  };
}
