// Finding the pull request of a workflow_run (github/pulls.ts) through octokit, against the loopback
// GitHub stand-in, which answers commits/{sha}/pulls as GitHub does (a fork's commit is associated
// in the fork, not in the base repository).
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import type { WorkflowRunInfo } from '../../src/github/event.js';
import { createOctokitPullsApi, findRunPull, type PullsApi } from '../../src/github/pulls.js';
import { startGitHubStandin, type GitHubStandin } from '../support/github-standin.js';

const FORK_HEAD = 'a'.repeat(40);
const SAME_HEAD = 'b'.repeat(40);
const repo = { owner: 'o', name: 'r' };
const noRetry = { retries: 0, rateLimitRetries: 0 };

let gh: GitHubStandin;
let api: PullsApi;

beforeEach(async () => {
  gh = await startGitHubStandin({
    autoCreatePulls: false,
    pulls: [
      { number: 5, headSha: SAME_HEAD, headRef: 'feature' },
      { number: 6, headSha: FORK_HEAD, headRepoFullName: 'mallory/r', headRef: 'main' }
    ]
  });
  api = createOctokitPullsApi({ token: 'read-token', owner: 'o', repo: 'r', apiUrl: gh.url, policy: noRetry });
});
afterEach(async () => {
  await gh.close();
});

const run = (over: Partial<WorkflowRunInfo> = {}): WorkflowRunInfo => ({
  event: 'pull_request',
  headSha: FORK_HEAD,
  headRepoFullName: 'mallory/r',
  headBranch: 'main',
  pullRequestNumbers: [],
  ...over
});

describe('findRunPull', () => {
  test("a fork's pull request: found in the fork's associations, then read from this repository", async () => {
    const found = await findRunPull(api, repo, run());
    expect(found).toEqual({
      kind: 'found',
      pull: { number: 6, state: 'open', headSha: FORK_HEAD, headRepoFullName: 'mallory/r', baseRepoFullName: 'o/r' }
    });
    expect(gh.state.requests.map((r) => `${r.method} ${r.route}`)).toEqual([`GET /repos/mallory/r/commits/${FORK_HEAD}/pulls`, 'GET /repos/o/r/pulls/6']);
  });

  test('a same-repository pull request: this repository is asked once', async () => {
    const found = await findRunPull(api, repo, run({ headSha: SAME_HEAD, headRepoFullName: 'o/r', headBranch: 'feature' }));
    expect(found).toMatchObject({ kind: 'found', pull: { number: 5, headSha: SAME_HEAD } });
    expect(gh.requests('GET', /\/commits\//).map((r) => r.route)).toEqual([`/repos/o/r/commits/${SAME_HEAD}/pulls`]);
  });

  test('the payload\'s pull_requests are checked like any candidate: one from elsewhere is dropped', async () => {
    // #5's head is in o/r, not in the run's head repository: listed by the payload or not, it is no match.
    const found = await findRunPull(api, repo, run({ pullRequestNumbers: [5] }));
    expect(found).toMatchObject({ kind: 'found', pull: { number: 6 } });
    expect(gh.requests('GET', /\/pulls\/5$/)).toHaveLength(1);
  });

  test('a pull request pushed to since: still found, with its new head (the caller calls it stale)', async () => {
    gh.addPull({ number: 6, headSha: 'c'.repeat(40) });
    const found = await findRunPull(api, repo, run());
    expect(found).toMatchObject({ kind: 'found', pull: { number: 6, headSha: 'c'.repeat(40) } });
  });

  test('a commit no pull request has: none, saying so', async () => {
    const found = await findRunPull(api, repo, run({ headSha: 'd'.repeat(40) }));
    expect(found).toEqual({ kind: 'none', reason: `no pull request of o/r has its head in mallory/r at ${'d'.repeat(40)}` });
  });

  test('a fork the token cannot read (404): this repository is asked next, and the reason says what failed', async () => {
    gh.failNext({ method: 'GET', route: /^\/repos\/mallory\//, status: 404 });
    const found = await findRunPull(api, repo, run());
    expect(found.kind).toBe('none');
    if (found.kind === 'none') expect(found.reason).toMatch(/no pull request .* \(List the pull requests of commit a{40} in mallory\/r failed: HTTP 404: Not Found\)/);
    expect(gh.requests('GET', /\/commits\//).map((r) => r.route)).toEqual([`/repos/mallory/r/commits/${FORK_HEAD}/pulls`, `/repos/o/r/commits/${FORK_HEAD}/pulls`]);
  });

  test('a server error reading the pull request: none, with the error, never a throw', async () => {
    gh.failNext({ method: 'GET', route: '/repos/o/r/pulls/6', status: 502 });
    const found = await findRunPull(api, repo, run());
    expect(found.kind).toBe('none');
    if (found.kind === 'none') expect(found.reason).toContain('Get pull request #6 failed: HTTP 502');
  });

  test('GHES: every call goes to GITHUB_API_URL with its /api/v3 prefix', async () => {
    const ghes = createOctokitPullsApi({ token: 'read-token', owner: 'o', repo: 'r', apiUrl: gh.ghesUrl, policy: noRetry });
    expect(await findRunPull(ghes, repo, run())).toMatchObject({ kind: 'found', pull: { number: 6 } });
    expect(gh.state.requests.every((r) => r.path.startsWith('/api/v3/'))).toBe(true);
  });

  test('no head commit or repository in the payload: none, without a request', async () => {
    expect(await findRunPull(api, repo, run({ headSha: undefined }))).toMatchObject({ kind: 'none' });
    expect(await findRunPull(api, repo, run({ headRepoFullName: undefined }))).toMatchObject({ kind: 'none' });
    expect(gh.state.requests).toHaveLength(0);
  });
});
