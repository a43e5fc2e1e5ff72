// The one GitHub client: pull-request (issue) comments and the token's identity, behind a small
// interface so the sticky-comment logic can run against a fake or a loopback stand-in.
// Every URL comes from GITHUB_API_URL / GITHUB_GRAPHQL_URL as passed in, never a hard-coded
// api.github.com (GHES, RELIABILITY row 48). The token goes only into the Authorization header:
// it is never part of an error message or a log line.
import { getOctokit } from '@actions/github';

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

/** Bounded retries for transient failures (rows 46, 47). */
export interface RetryPolicy {
  /** Total attempts, first one included; 1 disables retries. */
  readonly attempts: number;
  /** First backoff delay; doubled per attempt, with jitter. */
  readonly baseDelayMs: number;
  /** Longest single wait; a `retry-after` asking for more gives up instead. */
  readonly maxDelayMs: number;
  /** Injectable for tests. */
  readonly sleep?: (ms: number) => Promise<void>;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 3, baseDelayMs: 1000, maxDelayMs: 20_000 };

export interface OctokitCommentsApiOptions {
  readonly token: string;
  readonly owner: string;
  readonly repo: string;
  /** GITHUB_API_URL, e.g. `https://api.github.com` or `https://ghe.example.com/api/v3`. */
  readonly apiUrl: string;
  /** GITHUB_GRAPHQL_URL; derived from apiUrl when not given (see graphqlUrlFor). */
  readonly graphqlUrl?: string;
  readonly retry?: RetryPolicy;
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
  readonly headers: Record<string, string>;
}

// Octokit throws a RequestError carrying `status` and, when a response came, `response`. Read it
// structurally: only the status, GitHub's `message` and a few headers; never `request` (it holds the
// Authorization header).
function errorFacts(error: unknown): ErrorFacts {
  const response = isRecord(error) ? error['response'] : undefined;
  if (!isRecord(response)) {
    const cause = isRecord(error) && error['cause'] instanceof Error ? error['cause'].message : undefined;
    const message = cause ?? (error instanceof Error ? error.message : String(error));
    return { status: undefined, message, headers: {} };
  }
  const status = typeof response['status'] === 'number' ? response['status'] : undefined;
  const data = response['data'];
  const message =
    isRecord(data) && typeof data['message'] === 'string'
      ? data['message']
      : typeof data === 'string' && data !== ''
        ? data.slice(0, 200)
        : 'no message';
  const headers: Record<string, string> = {};
  const raw = response['headers'];
  if (isRecord(raw)) {
    for (const [k, v] of Object.entries(raw)) if (typeof v === 'string') headers[k.toLowerCase()] = v;
  }
  return { status, message, headers };
}

function isRateLimited(facts: ErrorFacts): boolean {
  if (facts.status === 429) return true;
  return (
    facts.status === 403 && (facts.headers['retry-after'] !== undefined || facts.headers['x-ratelimit-remaining'] === '0')
  );
}

/** How long to wait before the next attempt, or undefined when this error must not be retried. */
function retryDelay(facts: ErrorFacts, idempotent: boolean, attempt: number, policy: RetryPolicy): number | undefined {
  const limited = isRateLimited(facts);
  const transient = facts.status === undefined || facts.status >= 500;
  // A create that got a 5xx or no answer may have happened: never repeat it (no duplicate comment).
  if (!limited && !(transient && idempotent)) return undefined;
  const retryAfter = Number(facts.headers['retry-after']);
  const reset = Number(facts.headers['x-ratelimit-reset']);
  let delay: number;
  if (Number.isFinite(retryAfter) && retryAfter >= 0) delay = retryAfter * 1000;
  else if (limited && Number.isFinite(reset) && reset > 0) delay = Math.max(0, reset * 1000 - Date.now());
  else delay = policy.baseDelayMs * 2 ** (attempt - 1) * (0.5 + Math.random() / 2);
  return delay <= policy.maxDelayMs ? delay : undefined;
}

const sleepFor = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs one API call with bounded retries; a failure comes out as GitHubApiError (never the request). */
export async function withRetry<T>(
  operation: string,
  idempotent: boolean,
  policy: RetryPolicy,
  call: () => Promise<T>
): Promise<T> {
  const sleep = policy.sleep ?? sleepFor;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      const facts = errorFacts(error);
      const delay = attempt < policy.attempts ? retryDelay(facts, idempotent, attempt, policy) : undefined;
      if (delay === undefined) throw new GitHubApiError(operation, facts.status, facts.message);
      await sleep(delay);
    }
  }
}

function requireComment(operation: string, data: unknown): IssueComment {
  const comment = parseIssueComment(data);
  if (!comment) throw new GitHubApiError(operation, undefined, 'the response is not an issue comment');
  return comment;
}

const VIEWER_QUERY = 'query { viewer { login } }';

/** A CommentsApi over octokit (`getOctokit` from @actions/github), for one repository. */
export function createOctokitCommentsApi(options: OctokitCommentsApiOptions): CommentsApi {
  if (options.token === '') throw new Error('The GitHub token is empty: set the github-token input.');
  const baseUrl = options.apiUrl.replace(/\/+$/, '');
  const graphqlUrl = options.graphqlUrl ?? graphqlUrlFor(baseUrl);
  const policy = options.retry ?? DEFAULT_RETRY;
  const octokit = getOctokit(options.token, { baseUrl });
  const { owner, repo } = options;

  return {
    async viewerLogin() {
      try {
        const response = await withRetry('GraphQL viewer', true, policy, () =>
          octokit.request({ method: 'POST', url: graphqlUrl, query: VIEWER_QUERY })
        );
        return parseViewerLogin(response.data);
      } catch {
        return undefined;
      }
    },

    async listComments(issue) {
      const operation = `List comments of #${issue}`;
      const items: unknown[] = await withRetry(operation, true, policy, () =>
        octokit.paginate('GET /repos/{owner}/{repo}/issues/{issue_number}/comments', {
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
      const response = await withRetry(operation, false, policy, () =>
        octokit.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', {
          owner,
          repo,
          issue_number: issue,
          body
        })
      );
      return requireComment(operation, response.data);
    },

    async updateComment(id, body) {
      const operation = `Update comment ${id}`;
      const response = await withRetry(operation, true, policy, () =>
        octokit.request('PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}', {
          owner,
          repo,
          comment_id: id,
          body
        })
      );
      return requireComment(operation, response.data);
    },

    async deleteComment(id) {
      await withRetry(`Delete comment ${id}`, true, policy, () =>
        octokit.request('DELETE /repos/{owner}/{repo}/issues/comments/{comment_id}', { owner, repo, comment_id: id })
      );
    }
  };
}
