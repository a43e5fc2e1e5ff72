// A loopback stand-in for the parts of GitHub's API the action uses, for integration and e2e tests.
//
//   const gh = await startGitHubStandin();
//   // GITHUB_API_URL=gh.url  GITHUB_GRAPHQL_URL=gh.graphqlUrl  (or gh.ghesUrl / gh.ghesGraphqlUrl)
//   gh.seedComment(1, { body: 'hi', login: 'alice' });
//   gh.failNext({ method: 'PATCH', route: /\/issues\/comments\//, status: 404 });
//   ... run the code under test with token 'write-token' or 'read-token' ...
//   expect(gh.requests('POST')).toHaveLength(0);
//   await gh.close();
//
// It follows GitHub's REST contract for these routes (held to the OpenAPI description by
// __tests__/integration/standin-contract.test.ts):
//   GET    /repos/{o}/{r}/issues/{n}/comments   per_page (default 30, max 100), page, Link header
//   GET    /repositories/{id}/issues/{n}/comments  (the form GitHub's Link header points to)
//   POST   /repos/{o}/{r}/issues/{n}/comments   201 + the comment, Location header
//   PATCH  /repos/{o}/{r}/issues/comments/{id}  200 + the comment
//   DELETE /repos/{o}/{r}/issues/comments/{id}  204
//   GET    /repos/{o}/{r}/pulls/{n}
//   GET    /repos/{o}/{r}/commits/{sha}/pulls   pull-request-simple items, paged like comments.
//          As GitHub associates commits: in this repository, the pull requests whose head branch
//          lives here and has had that commit as its head; in a fork named as some pull request's
//          head repository, that fork's pull requests. A fork's commit is not associated in the base
//          repository (GitHub answers [] there), so code that only asks the base misses forks.
//   POST   /graphql                             only `viewer { login }`
// Every REST route also answers under the GHES prefix `/api/v3`, GraphQL also at `/api/graphql`.
// Tokens map to identities: an unknown token gets 401 "Bad credentials", a read-only one 403
// "Resource not accessible by integration" on writes. Every request is recorded, without headers.
// Any pull request number exists on first use unless `autoCreatePulls: false`.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StandinIdentity {
  /** REST login, e.g. `github-actions[bot]`; a login ending in `[bot]` is a Bot, others Users. */
  readonly login: string;
  /** May the token write comments (`pull-requests: write`)? */
  readonly write: boolean;
  /** What GraphQL `viewer { login }` answers; defaults to `login`; null makes the query fail. */
  readonly viewerLogin?: string | null;
}

export interface StandinUser {
  readonly login: string;
  readonly id: number;
  readonly type: 'Bot' | 'User';
}

export interface StandinComment {
  readonly id: number;
  readonly issue: number;
  body: string;
  readonly user: StandinUser;
  readonly createdAt: string;
  updatedAt: string;
  /**
   * Hidden by someone ("minimize" in the web UI, GraphQL minimizeComment). As on GitHub, the REST
   * API neither shows nor changes this: the comment is listed and can be edited as before.
   */
  minimized: boolean;
}

export interface StandinPull {
  readonly number: number;
  readonly title: string;
  readonly state: 'open' | 'closed';
  readonly headSha: string;
  readonly baseSha: string;
  readonly headRef: string;
  readonly baseRef: string;
  /** `owner/name` of the head repository; differs from the base one for a fork. */
  readonly headRepoFullName: string;
  readonly mergeCommitSha: string | null;
  readonly author: string;
}

export interface RecordedRequest {
  readonly method: string;
  /** The path as requested, without the query (prefix included). */
  readonly path: string;
  /** The path without the GHES prefix, e.g. `/repos/o/r/issues/1/comments`. */
  readonly route: string;
  readonly query: Readonly<Record<string, string>>;
  /** Whether an Authorization header came (its value is never recorded). */
  readonly authenticated: boolean;
  /** The identity the token maps to, if any. */
  readonly login: string | undefined;
  /** The parsed JSON body of the request, if any. */
  readonly body: unknown;
  status: number;
}

export interface StandinState {
  readonly owner: string;
  readonly repo: string;
  readonly repoId: number;
  /** Every comment, oldest first. */
  readonly comments: StandinComment[];
  readonly pulls: Map<number, StandinPull>;
  readonly requests: RecordedRequest[];
}

/** A one-shot answer for the next request matching method and route. */
export interface StatusOverride {
  readonly method: string;
  /** Exact route (no GHES prefix, no query), or a pattern tested against it. */
  readonly route: string | RegExp;
  readonly status: number;
  /** JSON body; defaults to GitHub's basic-error shape for the status. */
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * Carry the request out first, then answer with this status anyway (a 502 from a proxy after
   * GitHub made the comment): the caller cannot tell whether it happened.
   */
  readonly afterApplying?: boolean;
  /** Drop the connection without answering (a reset); `status` is then only what gets recorded. */
  readonly reset?: boolean;
}

export interface StandinOptions {
  readonly owner?: string;
  readonly repo?: string;
  readonly tokens?: Readonly<Record<string, StandinIdentity>>;
  /** Pull requests that exist from the start; default: #1, open, same-repo. */
  readonly pulls?: ReadonlyArray<Partial<StandinPull> & { readonly number: number }>;
  /**
   * When true (the default), any pull request number a request names springs into existence (open,
   * same-repo), so tests can use a fresh number each; false answers 404 for unknown numbers, as GitHub.
   */
  readonly autoCreatePulls?: boolean;
}

export interface SeedComment {
  readonly body: string;
  /** Author login; default `github-actions[bot]`. */
  readonly login?: string;
  readonly type?: 'Bot' | 'User';
}

export interface GitHubStandin {
  /** REST base URL (GITHUB_API_URL), `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** GITHUB_GRAPHQL_URL, `http://127.0.0.1:PORT/graphql`. */
  readonly graphqlUrl: string;
  /** The same server as GHES: `http://127.0.0.1:PORT/api/v3`. */
  readonly ghesUrl: string;
  readonly ghesGraphqlUrl: string;
  readonly state: StandinState;
  close(): Promise<void>;
  /** Adds a comment as if someone had posted it (creates the pull request if needed). */
  seedComment(issue: number, seed: SeedComment): StandinComment;
  /** The comments of one issue, oldest first. */
  commentsOn(issue: number): StandinComment[];
  /**
   * Adds a pull request, or changes the given fields of one: another headSha is a push to it, and
   * the commits it had stay associated with it (commits/{sha}/pulls still lists it for them).
   */
  addPull(pull: Partial<StandinPull> & { readonly number: number }): StandinPull;
  failNext(override: StatusOverride): void;
  /** Hides a comment the way a person's "minimize" does (REST does not see it). */
  minimize(id: number): void;
  /** Recorded requests, optionally only one method (and routes matching a pattern). */
  requests(method?: string, route?: RegExp): RecordedRequest[];
}

/**
 * Error bodies GitHub gives for the faults tests inject with failNext, word for word as documented
 * (and held to the OpenAPI schemas by standin-contract.test.ts).
 */
export const FAULT_BODIES = {
  /** 403 or 429, with `retry-after` (docs: "About secondary rate limits"). */
  secondaryRateLimit: {
    message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
    documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits',
    status: '403'
  },
  /** 403 with `x-ratelimit-remaining: 0` and `x-ratelimit-reset`. */
  primaryRateLimit: {
    message: 'API rate limit exceeded for installation ID 1.',
    documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api',
    status: '403'
  },
  /** What create and update answer for a body above 65,536 characters (also given by checkBody). */
  bodyTooLong: (maximum = 65536, documentation = 'create-an-issue-comment') => ({
    message: 'Validation Failed',
    errors: [{ resource: 'IssueComment', code: 'unprocessable', field: 'data', message: `Body is too long (maximum is ${maximum} characters)` }],
    documentation_url: `https://docs.github.com/rest/issues/comments#${documentation}`,
    status: '422'
  })
} as const;

export const DEFAULT_TOKENS: Readonly<Record<string, StandinIdentity>> = {
  'write-token': { login: 'github-actions[bot]', write: true },
  'read-token': { login: 'github-actions[bot]', write: false }
};

const DOCS = 'https://docs.github.com/rest';
const MAX_BODY = 65536;
// A fixed clock: each new comment is one minute after the previous one, so tests are deterministic.
const EPOCH = Date.UTC(2024, 0, 1, 0, 0, 0);
const ACTIONS_BOT_ID = 41898282;

const REASONS: Record<number, string> = {
  400: 'Problems parsing JSON',
  401: 'Bad credentials',
  403: 'Forbidden',
  404: 'Not Found',
  410: 'Gone',
  422: 'Validation Failed',
  429: 'API rate limit exceeded',
  500: 'Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable'
};

function basicError(status: number, message?: string, documentationUrl = DOCS): Record<string, string> {
  return { message: message ?? REASONS[status] ?? 'Error', documentation_url: documentationUrl, status: String(status) };
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function hexOf(seed: string, length: number): string {
  let out = '';
  let h = 2166136261;
  while (out.length < length) {
    for (const ch of seed + out.length) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
    out += h.toString(16).padStart(8, '0');
  }
  return out.slice(0, length);
}

class HttpReply {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {}
  ) {}
}

export async function startGitHubStandin(options: StandinOptions = {}): Promise<GitHubStandin> {
  const owner = options.owner ?? 'o';
  const repo = options.repo ?? 'r';
  const tokens = options.tokens ?? DEFAULT_TOKENS;
  const state: StandinState = { owner, repo, repoId: 1296269, comments: [], pulls: new Map(), requests: [] };
  const overrides: StatusOverride[] = [];
  const users = new Map<string, StandinUser>();
  let nextCommentId = 1000001;
  let nextUserId = 5001;
  let clock = EPOCH;
  let origin = '';

  const userFor = (login: string, type?: 'Bot' | 'User'): StandinUser => {
    const known = users.get(login.toLowerCase());
    if (known) return known;
    const isBot = type ? type === 'Bot' : login.endsWith('[bot]');
    const id = login === 'github-actions[bot]' ? ACTIONS_BOT_ID : nextUserId++;
    const user: StandinUser = { login, id, type: isBot ? 'Bot' : 'User' };
    users.set(login.toLowerCase(), user);
    return user;
  };

  // Every head commit each pull request has had, for commits/{sha}/pulls.
  const headHistory = new Map<number, Set<string>>();
  const addPull = (seed: Partial<StandinPull> & { readonly number: number }): StandinPull => {
    const before = state.pulls.get(seed.number);
    const pull: StandinPull = {
      title: `Pull request ${seed.number}`,
      state: 'open',
      headSha: hexOf(`head${seed.number}`, 40),
      baseSha: hexOf(`base${seed.number}`, 40),
      headRef: `feature-${seed.number}`,
      baseRef: 'main',
      headRepoFullName: `${owner}/${repo}`,
      mergeCommitSha: hexOf(`merge${seed.number}`, 40),
      author: 'octocat',
      ...before,
      ...seed
    };
    state.pulls.set(pull.number, pull);
    const history = headHistory.get(pull.number) ?? new Set<string>();
    history.add(pull.headSha.toLowerCase());
    headHistory.set(pull.number, history);
    return pull;
  };
  for (const seed of options.pulls ?? [{ number: 1 }]) addPull(seed);
  const autoCreate = options.autoCreatePulls ?? true;
  const pullExists = (n: number): boolean => {
    if (!state.pulls.has(n) && autoCreate && n > 0) addPull({ number: n });
    return state.pulls.has(n);
  };

  const addComment = (issue: number, body: string, user: StandinUser): StandinComment => {
    clock += 60_000;
    const comment: StandinComment = { id: nextCommentId++, issue, body, user, createdAt: iso(clock), updatedAt: iso(clock), minimized: false };
    state.comments.push(comment);
    return comment;
  };

  // ---- JSON shapes, as GitHub returns them ----------------------------------------------------

  const userJson = (user: StandinUser, api: string): Record<string, unknown> => {
    const u = `${api}/users/${encodeURIComponent(user.login)}`;
    return {
      login: user.login,
      id: user.id,
      node_id: `${user.type === 'Bot' ? 'BOT' : 'U'}_kgDO${user.id}`,
      avatar_url: `https://avatars.githubusercontent.com/${user.type === 'Bot' ? 'in' : 'u'}/${user.id}?v=4`,
      gravatar_id: '',
      url: u,
      html_url:
        user.type === 'Bot'
          ? `https://github.com/apps/${encodeURIComponent(user.login.replace(/\[bot\]$/, ''))}`
          : `https://github.com/${encodeURIComponent(user.login)}`,
      followers_url: `${u}/followers`,
      following_url: `${u}/following{/other_user}`,
      gists_url: `${u}/gists{/gist_id}`,
      starred_url: `${u}/starred{/owner}{/repo}`,
      subscriptions_url: `${u}/subscriptions`,
      organizations_url: `${u}/orgs`,
      repos_url: `${u}/repos`,
      events_url: `${u}/events{/privacy}`,
      received_events_url: `${u}/received_events`,
      type: user.type,
      user_view_type: 'public',
      site_admin: false
    };
  };

  const commentJson = (c: StandinComment, api: string): Record<string, unknown> => {
    const url = `${api}/repos/${owner}/${repo}/issues/comments/${c.id}`;
    return {
      url,
      html_url: `https://github.com/${owner}/${repo}/pull/${c.issue}#issuecomment-${c.id}`,
      issue_url: `${api}/repos/${owner}/${repo}/issues/${c.issue}`,
      id: c.id,
      node_id: `IC_kwDOAAAB${c.id}`,
      user: userJson(c.user, api),
      created_at: c.createdAt,
      updated_at: c.updatedAt,
      author_association: c.user.type === 'Bot' ? 'NONE' : 'CONTRIBUTOR',
      body: c.body,
      reactions: {
        url: `${url}/reactions`,
        total_count: 0,
        '+1': 0,
        '-1': 0,
        laugh: 0,
        hooray: 0,
        confused: 0,
        heart: 0,
        rocket: 0,
        eyes: 0
      },
      performed_via_github_app: null
    };
  };

  const repoJson = (fullName: string, id: number, api: string): Record<string, unknown> => {
    const [ownerLogin = owner, name = repo] = fullName.split('/');
    const r = `${api}/repos/${fullName}`;
    const ownerUser = userFor(ownerLogin, 'User');
    return {
      id,
      node_id: `R_kgDO${id}`,
      name,
      full_name: fullName,
      owner: userJson(ownerUser, api),
      private: false,
      html_url: `https://github.com/${fullName}`,
      description: null,
      fork: fullName !== `${owner}/${repo}`,
      url: r,
      archive_url: `${r}/{archive_format}{/ref}`,
      assignees_url: `${r}/assignees{/user}`,
      blobs_url: `${r}/git/blobs{/sha}`,
      branches_url: `${r}/branches{/branch}`,
      collaborators_url: `${r}/collaborators{/collaborator}`,
      comments_url: `${r}/comments{/number}`,
      commits_url: `${r}/commits{/sha}`,
      compare_url: `${r}/compare/{base}...{head}`,
      contents_url: `${r}/contents/{+path}`,
      contributors_url: `${r}/contributors`,
      deployments_url: `${r}/deployments`,
      downloads_url: `${r}/downloads`,
      events_url: `${r}/events`,
      forks_url: `${r}/forks`,
      git_commits_url: `${r}/git/commits{/sha}`,
      git_refs_url: `${r}/git/refs{/sha}`,
      git_tags_url: `${r}/git/tags{/sha}`,
      git_url: `git://github.com/${fullName}.git`,
      issue_comment_url: `${r}/issues/comments{/number}`,
      issue_events_url: `${r}/issues/events{/number}`,
      issues_url: `${r}/issues{/number}`,
      keys_url: `${r}/keys{/key_id}`,
      labels_url: `${r}/labels{/name}`,
      languages_url: `${r}/languages`,
      merges_url: `${r}/merges`,
      milestones_url: `${r}/milestones{/number}`,
      notifications_url: `${r}/notifications{?since,all,participating}`,
      pulls_url: `${r}/pulls{/number}`,
      releases_url: `${r}/releases{/id}`,
      ssh_url: `git@github.com:${fullName}.git`,
      stargazers_url: `${r}/stargazers`,
      statuses_url: `${r}/statuses/{sha}`,
      subscribers_url: `${r}/subscribers`,
      subscription_url: `${r}/subscription`,
      tags_url: `${r}/tags`,
      teams_url: `${r}/teams`,
      trees_url: `${r}/git/trees{/sha}`,
      clone_url: `https://github.com/${fullName}.git`,
      mirror_url: null,
      hooks_url: `${r}/hooks`,
      svn_url: `https://github.com/${fullName}`,
      homepage: null,
      language: null,
      forks_count: 0,
      forks: 0,
      stargazers_count: 0,
      watchers_count: 0,
      watchers: 0,
      size: 1,
      default_branch: 'main',
      open_issues_count: state.pulls.size,
      open_issues: state.pulls.size,
      is_template: false,
      topics: [],
      has_issues: true,
      has_projects: true,
      has_wiki: true,
      has_pages: false,
      has_downloads: true,
      has_discussions: false,
      archived: false,
      disabled: false,
      visibility: 'public',
      pushed_at: iso(EPOCH),
      created_at: iso(EPOCH),
      updated_at: iso(EPOCH),
      allow_forking: true,
      web_commit_signoff_required: false,
      license: null
    };
  };

  const pullJson = (p: StandinPull, api: string): Record<string, unknown> => {
    const r = `${api}/repos/${owner}/${repo}`;
    const html = `https://github.com/${owner}/${repo}/pull/${p.number}`;
    const author = userFor(p.author);
    const baseRepo = repoJson(`${owner}/${repo}`, state.repoId, api);
    const headIsBase = p.headRepoFullName === `${owner}/${repo}`;
    const headRepo = headIsBase ? baseRepo : repoJson(p.headRepoFullName, state.repoId + 1, api);
    const headOwner = p.headRepoFullName.split('/')[0] ?? owner;
    const side = (ref: string, sha: string, repoObj: Record<string, unknown>, login: string): Record<string, unknown> => ({
      label: `${login}:${ref}`,
      ref,
      sha,
      user: userJson(userFor(login, 'User'), api),
      repo: repoObj
    });
    const issueComments = state.comments.filter((c) => c.issue === p.number).length;
    return {
      url: `${r}/pulls/${p.number}`,
      id: 100000 + p.number,
      node_id: `PR_kwDO${100000 + p.number}`,
      html_url: html,
      diff_url: `${html}.diff`,
      patch_url: `${html}.patch`,
      issue_url: `${r}/issues/${p.number}`,
      number: p.number,
      state: p.state,
      locked: false,
      title: p.title,
      user: userJson(author, api),
      body: null,
      created_at: iso(EPOCH),
      updated_at: iso(EPOCH),
      closed_at: null,
      merged_at: null,
      merge_commit_sha: p.mergeCommitSha,
      assignee: null,
      assignees: [],
      requested_reviewers: [],
      requested_teams: [],
      labels: [],
      milestone: null,
      draft: false,
      commits_url: `${r}/pulls/${p.number}/commits`,
      review_comments_url: `${r}/pulls/${p.number}/comments`,
      review_comment_url: `${r}/pulls/comments{/number}`,
      comments_url: `${r}/issues/${p.number}/comments`,
      statuses_url: `${r}/statuses/${p.headSha}`,
      head: side(p.headRef, p.headSha, headRepo, headOwner),
      base: side(p.baseRef, p.baseSha, baseRepo, owner),
      _links: {
        self: { href: `${r}/pulls/${p.number}` },
        html: { href: html },
        issue: { href: `${r}/issues/${p.number}` },
        comments: { href: `${r}/issues/${p.number}/comments` },
        review_comments: { href: `${r}/pulls/${p.number}/comments` },
        review_comment: { href: `${r}/pulls/comments{/number}` },
        commits: { href: `${r}/pulls/${p.number}/commits` },
        statuses: { href: `${r}/statuses/${p.headSha}` }
      },
      author_association: 'CONTRIBUTOR',
      auto_merge: null,
      active_lock_reason: null,
      merged: false,
      mergeable: true,
      rebaseable: true,
      mergeable_state: 'clean',
      merged_by: null,
      comments: issueComments,
      review_comments: 0,
      maintainer_can_modify: false,
      commits: 1,
      additions: 1,
      deletions: 0,
      changed_files: 1
    };
  };

  // `pull-request-simple` (list endpoints) is `pull-request` without the fields that need a merge
  // computation or counts.
  const FULL_ONLY = ['merged', 'mergeable', 'rebaseable', 'mergeable_state', 'merged_by', 'comments', 'review_comments', 'maintainer_can_modify', 'commits', 'additions', 'deletions', 'changed_files'];
  const pullSimpleJson = (p: StandinPull, api: string): Record<string, unknown> => {
    const json = pullJson(p, api);
    for (const key of FULL_ONLY) delete json[key];
    return json;
  };

  // ---- Routing -------------------------------------------------------------------------------

  const isOurRepo = (o: string, r: string): boolean =>
    o.toLowerCase() === owner.toLowerCase() && r.toLowerCase() === repo.toLowerCase();

  /** One page of `all` as GitHub pages lists: per_page (default 30, max 100), page, a Link header. */
  const paged = (all: readonly unknown[], query: URLSearchParams, api: string, listPath: string): HttpReply => {
    const perPageRaw = Number.parseInt(query.get('per_page') ?? '', 10);
    const perPage = Number.isFinite(perPageRaw) && perPageRaw > 0 ? Math.min(perPageRaw, 100) : 30;
    const pageRaw = Number.parseInt(query.get('page') ?? '', 10);
    const page = Number.isFinite(pageRaw) && pageRaw > 0 ? pageRaw : 1;
    const lastPage = Math.max(1, Math.ceil(all.length / perPage));
    const items = all.slice((page - 1) * perPage, page * perPage);
    const headers: Record<string, string> = {};
    if (lastPage > 1) {
      // Like GitHub: the links keep the other query parameters and point at /repositories/{id}/...
      const link = (n: number): string => {
        const q = new URLSearchParams(query);
        q.set('page', String(n));
        return `<${api}${listPath}?${q.toString()}>`;
      };
      const rels: string[] = [];
      if (page > 1) rels.push(`${link(Math.min(page - 1, lastPage))}; rel="prev"`);
      if (page < lastPage) rels.push(`${link(page + 1)}; rel="next"`, `${link(lastPage)}; rel="last"`);
      if (page > 1) rels.push(`${link(1)}; rel="first"`);
      headers['link'] = rels.join(', ');
    }
    return new HttpReply(200, items, headers);
  };

  const listComments = (issue: number, query: URLSearchParams, api: string, listPath: string): HttpReply => {
    if (!pullExists(issue)) return new HttpReply(404, basicError(404));
    return paged(state.comments.filter((c) => c.issue === issue).map((c) => commentJson(c, api)), query, api, listPath);
  };

  /** commits/{sha}/pulls of `o/r`: undefined when the stand-in knows no such repository. */
  const pullsOfCommit = (o: string, r: string, sha: string): StandinPull[] | undefined => {
    const name = `${o}/${r}`.toLowerCase();
    const heads = new Set([...state.pulls.values()].map((p) => p.headRepoFullName.toLowerCase()));
    if (!isOurRepo(o, r) && !heads.has(name)) return undefined;
    return [...state.pulls.values()]
      .filter((p) => p.headRepoFullName.toLowerCase() === name && (headHistory.get(p.number)?.has(sha.toLowerCase()) ?? false))
      .sort((a, b) => a.number - b.number);
  };

  const bodyText = (body: unknown): string | undefined =>
    typeof body === 'object' && body !== null && 'body' in body && typeof body.body === 'string' ? body.body : undefined;

  const checkBody = (body: unknown): HttpReply | string => {
    const text = bodyText(body);
    if (text === undefined) {
      return new HttpReply(422, basicError(422, 'Invalid request.\n\n"body" wasn\'t supplied.'));
    }
    if ([...text].length > MAX_BODY) return new HttpReply(422, FAULT_BODIES.bodyTooLong(MAX_BODY));
    return text;
  };

  const route = (
    method: string,
    path: string,
    query: URLSearchParams,
    body: unknown,
    identity: StandinIdentity | undefined,
    api: string
  ): HttpReply => {
    const forbidden = (what: string): HttpReply | undefined => {
      if (!identity) return new HttpReply(401, basicError(401, 'Requires authentication'));
      if (!identity.write) {
        return new HttpReply(
          403,
          basicError(403, 'Resource not accessible by integration', `${DOCS}/issues/comments#${what}`)
        );
      }
      return undefined;
    };
    let m = /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/.exec(path);
    if (m && isOurRepo(m[1] ?? '', m[2] ?? '')) {
      const issue = Number(m[3]);
      const listPath = `/repositories/${state.repoId}/issues/${issue}/comments`;
      if (method === 'GET') return listComments(issue, query, api, listPath);
      if (method === 'POST') {
        const denied = forbidden('create-an-issue-comment');
        if (denied) return denied;
        if (!pullExists(issue)) return new HttpReply(404, basicError(404));
        const text = checkBody(body);
        if (text instanceof HttpReply) return text;
        const comment = addComment(issue, text, userFor(identity?.login ?? 'ghost'));
        const json = commentJson(comment, api);
        return new HttpReply(201, json, { location: String(json['url']) });
      }
    }
    m = /^\/repositories\/(\d+)\/issues\/(\d+)\/comments$/.exec(path);
    if (m && method === 'GET' && Number(m[1]) === state.repoId) {
      return listComments(Number(m[2]), query, api, path);
    }
    m = /^\/repos\/([^/]+)\/([^/]+)\/issues\/comments\/(\d+)$/.exec(path);
    if (m && isOurRepo(m[1] ?? '', m[2] ?? '') && (method === 'PATCH' || method === 'DELETE')) {
      const id = Number(m[3]);
      const denied = forbidden(method === 'PATCH' ? 'update-an-issue-comment' : 'delete-an-issue-comment');
      if (denied) return denied;
      const index = state.comments.findIndex((c) => c.id === id);
      const comment = state.comments[index];
      if (!comment) return new HttpReply(404, basicError(404));
      if (method === 'DELETE') {
        state.comments.splice(index, 1);
        return new HttpReply(204, undefined);
      }
      const text = checkBody(body);
      if (text instanceof HttpReply) return text;
      clock += 1000;
      comment.body = text;
      comment.updatedAt = iso(clock);
      return new HttpReply(200, commentJson(comment, api));
    }
    m = /^\/repos\/([^/]+)\/([^/]+)\/commits\/([^/]+)\/pulls$/.exec(path);
    if (m && method === 'GET') {
      const pulls = pullsOfCommit(m[1] ?? '', m[2] ?? '', m[3] ?? '');
      if (!pulls) return new HttpReply(404, basicError(404));
      return paged(pulls.map((p) => pullSimpleJson(p, api)), query, api, path);
    }
    m = /^\/repos\/([^/]+)\/([^/]+)\/pulls\/(\d+)$/.exec(path);
    if (m && method === 'GET' && isOurRepo(m[1] ?? '', m[2] ?? '')) {
      const pull = pullExists(Number(m[3])) ? state.pulls.get(Number(m[3])) : undefined;
      return pull ? new HttpReply(200, pullJson(pull, api)) : new HttpReply(404, basicError(404));
    }
    return new HttpReply(404, basicError(404));
  };

  const graphql = (body: unknown, identity: StandinIdentity | undefined, authenticated: boolean): HttpReply => {
    const docs = 'https://docs.github.com/graphql';
    if (!authenticated) return new HttpReply(401, basicError(401, 'This endpoint requires you to be authenticated.', docs));
    if (!identity) return new HttpReply(401, basicError(401, 'Bad credentials', docs));
    const query = typeof body === 'object' && body !== null && 'query' in body ? body.query : undefined;
    if (typeof query !== 'string' || !/\bviewer\s*\{\s*login\s*\}/.test(query)) {
      return new HttpReply(200, { errors: [{ message: 'The stand-in only answers `viewer { login }`.' }] });
    }
    if (identity.viewerLogin === null) {
      return new HttpReply(200, {
        data: null,
        errors: [{ type: 'FORBIDDEN', path: ['viewer'], message: 'Resource not accessible by integration' }]
      });
    }
    return new HttpReply(200, { data: { viewer: { login: identity.viewerLogin ?? identity.login } } });
  };

  const readBody = async (req: IncomingMessage): Promise<string> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
    return Buffer.concat(chunks).toString('utf8');
  };

  const send = (res: ServerResponse, reply: HttpReply): void => {
    const headers: Record<string, string> = {
      'x-github-media-type': 'github.v3; format=json',
      'x-github-api-version-selected': '2022-11-28',
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': '4999',
      'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
      'x-ratelimit-used': '1',
      'x-ratelimit-resource': 'core',
      'x-github-request-id': `STANDIN:${state.requests.length}`,
      ...reply.headers
    };
    if (reply.status === 204 || reply.body === undefined) {
      res.writeHead(reply.status, headers);
      res.end();
      return;
    }
    res.writeHead(reply.status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    res.end(JSON.stringify(reply.body));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', origin);
    const path = url.pathname;
    const prefix = path.startsWith('/api/v3/') ? '/api/v3' : '';
    const routePath = prefix ? path.slice(prefix.length) : path;
    const raw = await readBody(req);
    let body: unknown;
    let badJson = false;
    if (raw !== '') {
      try {
        body = JSON.parse(raw) as unknown;
      } catch {
        badJson = true;
      }
    }
    const auth = req.headers.authorization;
    const token = auth ? auth.replace(/^(token|bearer)\s+/i, '') : undefined;
    const identity = token !== undefined ? tokens[token] : undefined;
    const record: RecordedRequest = {
      method,
      path,
      route: routePath,
      query: Object.fromEntries(url.searchParams),
      authenticated: token !== undefined,
      login: identity?.login,
      body,
      status: 0
    };
    state.requests.push(record);

    let reply: HttpReply;
    const overrideIndex = overrides.findIndex(
      (o) =>
        o.method.toUpperCase() === method &&
        (typeof o.route === 'string' ? o.route === routePath : o.route.test(routePath))
    );
    const override = overrides[overrideIndex];
    const isGraphql = method === 'POST' && (routePath === '/graphql' || path === '/api/graphql');
    if (override) {
      overrides.splice(overrideIndex, 1);
      if (override.afterApplying && !badJson) route(method, routePath, url.searchParams, body, identity, `${origin}${prefix}`);
      if (override.reset) {
        record.status = override.status;
        req.socket.destroy();
        return;
      }
      reply = new HttpReply(override.status, override.body ?? basicError(override.status), { ...override.headers });
    } else if (badJson) {
      reply = new HttpReply(400, basicError(400));
    } else if (isGraphql) {
      reply = graphql(body, identity, token !== undefined);
    } else if (token !== undefined && !identity) {
      reply = new HttpReply(401, basicError(401, 'Bad credentials'));
    } else {
      reply = route(method, routePath, url.searchParams, body, identity, `${origin}${prefix}`);
    }
    record.status = reply.status;
    send(res, reply);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify(basicError(500, error instanceof Error ? error.message : String(error))));
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;

  return {
    url: origin,
    graphqlUrl: `${origin}/graphql`,
    ghesUrl: `${origin}/api/v3`,
    ghesGraphqlUrl: `${origin}/api/graphql`,
    state,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
    seedComment(issue, seed) {
      if (!state.pulls.has(issue)) addPull({ number: issue });
      return addComment(issue, seed.body, userFor(seed.login ?? 'github-actions[bot]', seed.type));
    },
    commentsOn: (issue) => state.comments.filter((c) => c.issue === issue),
    addPull,
    failNext(override) {
      overrides.push(override);
    },
    minimize(id) {
      const comment = state.comments.find((c) => c.id === id);
      if (!comment) throw new Error(`no comment ${id} to minimize`);
      comment.minimized = true;
    },
    requests: (method, routePattern) =>
      state.requests.filter(
        (r) => (method === undefined || r.method === method.toUpperCase()) && (!routePattern || routePattern.test(r.route))
      )
  };
}
