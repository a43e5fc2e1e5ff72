// The sticky comment through the real octokit client, against the loopback GitHub stand-in.
import { createOctokitCommentsApi, GitHubApiError, graphqlUrlFor, type CommentsApi } from '../../src/github/client.js';
import { upsertStickyComment, type StickyOptions } from '../../src/github/sticky.js';
import { startGitHubStandin, type GitHubStandin } from '../support/github-standin.js';

const MARKER = '<!-- image-budget:image-budget -->';
const noSleep = async (): Promise<void> => {};

let gh: GitHubStandin;

beforeEach(async () => {
  gh = await startGitHubStandin({
    tokens: {
      'write-token': { login: 'github-actions[bot]', write: true },
      'read-token': { login: 'github-actions[bot]', write: false },
      'app-token': { login: 'my-app[bot]', write: true, viewerLogin: 'my-app' },
      'no-viewer-token': { login: 'github-actions[bot]', write: true, viewerLogin: null }
    },
    autoCreatePulls: false
  });
});

afterEach(async () => {
  await gh.close();
});

/** A client on the stand-in; `ghes` gives it the /api/v3 base URL and lets it derive the GraphQL URL. */
function api(token = 'write-token', ghes = false): CommentsApi {
  return createOctokitCommentsApi({
    token,
    owner: 'o',
    repo: 'r',
    ...(ghes ? { apiUrl: gh.ghesUrl } : { apiUrl: gh.url, graphqlUrl: gh.graphqlUrl }),
    retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 1000, sleep: noSleep }
  });
}

function run(body: string, over: Partial<StickyOptions> = {}, client = api()) {
  return upsertStickyComment(client, {
    issue: 1,
    key: 'image-budget',
    body: `${body}\n\n${MARKER}`,
    mode: 'always',
    changed: true,
    regressed: false,
    ...over
  });
}

const ours = (): ReturnType<GitHubStandin['commentsOn']> =>
  gh.commentsOn(1).filter((c) => c.user.login === 'github-actions[bot]' && c.body.trimEnd().endsWith(MARKER));
const writes = (): number => gh.requests('POST', /^\/repos\//).length + gh.requests('PATCH').length + gh.requests('DELETE').length;

test('first run creates the comment, second run edits it in place', async () => {
  const first = await run('v1');
  expect(first).toMatchObject({ action: 'created' });
  const [created] = gh.commentsOn(1);
  expect(created).toBeDefined();
  expect(first.id).toBe(created?.id);
  expect(first.url).toBe(`https://github.com/o/r/pull/1#issuecomment-${created?.id}`);
  expect(created?.body).toBe(`v1\n\n${MARKER}`);
  expect(gh.requests('POST', /\/graphql$/)).toHaveLength(1);
  expect(gh.requests('POST', /comments$/)).toHaveLength(1);

  const second = await run('v2');
  expect(second).toMatchObject({ action: 'updated', id: first.id, url: first.url });
  expect(gh.commentsOn(1)).toHaveLength(1);
  expect(gh.commentsOn(1)[0]?.body).toBe(`v2\n\n${MARKER}`);
  expect(gh.requests('POST', /comments$/)).toHaveLength(1);
  expect(gh.requests('PATCH')).toHaveLength(1);
});

test('an identical body makes no write at all (row 51)', async () => {
  const first = await run('same');
  const before = writes();
  const again = await run('same');
  expect(again).toEqual({ action: 'unchanged', id: first.id, url: first.url });
  expect(writes()).toBe(before);
});

test('the marker on page 2 of 150 comments is found and edited: no new POST (row 36)', async () => {
  for (let i = 0; i < 120; i++) gh.seedComment(1, { body: `chatter ${i}`, login: i % 3 ? 'alice' : 'bob' });
  const existing = gh.seedComment(1, { body: `old\n\n${MARKER}` });
  for (let i = 0; i < 29; i++) gh.seedComment(1, { body: `more ${i}`, login: 'carol' });
  expect(gh.commentsOn(1)).toHaveLength(150);

  const result = await run('new');
  expect(result).toMatchObject({ action: 'updated', id: existing.id });
  expect(gh.requests('POST', /comments$/)).toHaveLength(0);
  const lists = gh.requests('GET');
  expect(lists).toHaveLength(2);
  expect(lists[0]?.query).toEqual({ per_page: '100' });
  // The second page is fetched from GitHub's Link header, as GitHub gives it.
  expect(lists[1]?.route).toBe(`/repositories/${gh.state.repoId}/issues/1/comments`);
  expect(lists[1]?.query).toEqual({ per_page: '100', page: '2' });
  expect(gh.commentsOn(1)).toHaveLength(150);
});

test("a human's comment carrying the marker is never touched (row 37)", async () => {
  const spoof = gh.seedComment(1, { body: `looks like the bot\n\n${MARKER}`, login: 'alice' });
  const result = await run('table');
  expect(result.action).toBe('created');
  expect(result.id).not.toBe(spoof.id);
  expect(gh.commentsOn(1).find((c) => c.id === spoof.id)?.body).toBe(`looks like the bot\n\n${MARKER}`);
  const touched = [...gh.requests('PATCH'), ...gh.requests('DELETE')].filter((r) => r.route.endsWith(`/${spoof.id}`));
  expect(touched).toEqual([]);
});

test('two of our comments (an earlier race) converge to one: the oldest is updated (row 38)', async () => {
  const oldest = gh.seedComment(1, { body: `a\n\n${MARKER}` });
  gh.seedComment(1, { body: 'hi', login: 'alice' });
  const newer = gh.seedComment(1, { body: `b\n\n${MARKER}` });
  const result = await run('c');
  expect(result).toMatchObject({ action: 'updated', id: oldest.id, message: 'Removed 1 duplicate comment.' });
  expect(ours().map((c) => [c.id, c.body])).toEqual([[oldest.id, `c\n\n${MARKER}`]]);
  expect(gh.requests('DELETE').map((r) => r.route)).toEqual([`/repos/o/r/issues/comments/${newer.id}`]);
  expect(gh.commentsOn(1)).toHaveLength(2);
});

test('two runs racing on a pull request without a comment leave exactly one (row 39)', async () => {
  const [a, b] = await Promise.all([run('run A'), run('run B')]);
  expect(ours()).toHaveLength(1);
  expect([a.action, b.action].sort()).toEqual(expect.arrayContaining(['created']));
  expect(a.id === ours()[0]?.id || b.id === ours()[0]?.id).toBe(true);
});

test('our comment deleted between list and update (404) is created again (row 41)', async () => {
  const existing = gh.seedComment(1, { body: `old\n\n${MARKER}` });
  const real = api();
  const racing: CommentsApi = {
    ...real,
    async updateComment(id, body) {
      // Someone deletes it right after we listed it.
      gh.state.comments.splice(
        gh.state.comments.findIndex((c) => c.id === id),
        1
      );
      return real.updateComment(id, body);
    }
  };
  const result = await run('new', {}, racing);
  expect(result.action).toBe('created');
  expect(result.id).not.toBe(existing.id);
  expect(gh.requests('PATCH')).toEqual([expect.objectContaining({ status: 404 })]);
  expect(ours().map((c) => c.body)).toEqual([`new\n\n${MARKER}`]);
});

test('a read-only token (fork pull request) fails with the permissions snippet, without throwing (rows 34, 35)', async () => {
  const result = await run('table', {}, api('read-token'));
  expect(result.action).toBe('failed');
  expect(result.message).toContain('HTTP 403: Resource not accessible by integration');
  expect(result.message).toContain('permissions:\n  pull-requests: write');
  expect(result.message).toMatch(/fork/i);
  expect(result.message).not.toContain('read-token');
  expect(gh.commentsOn(1)).toHaveLength(0);
  expect(gh.requests('POST', /comments$/)).toEqual([expect.objectContaining({ status: 403 })]);
});

test('a read-only token with an existing comment fails on the update, leaving it alone', async () => {
  const existing = gh.seedComment(1, { body: `old\n\n${MARKER}` });
  const result = await run('new', {}, api('read-token'));
  expect(result.action).toBe('failed');
  expect(result.message).toContain('permissions:\n  pull-requests: write');
  expect(gh.commentsOn(1)).toEqual([expect.objectContaining({ id: existing.id, body: `old\n\n${MARKER}` })]);
});

test('a bad token fails on the list with the permissions message', async () => {
  const result = await run('table', {}, api('not-a-token'));
  expect(result.action).toBe('failed');
  expect(result.message).toContain('HTTP 401: Bad credentials');
  expect(result.message).toContain('permissions:\n  pull-requests: write');
  expect(result.message).not.toContain('not-a-token');
});

test('GHES: an apiUrl with the /api/v3 prefix, GraphQL derived as /api/graphql (row 48)', async () => {
  for (let i = 0; i < 105; i++) gh.seedComment(1, { body: `chatter ${i}`, login: 'alice' });
  const existing = gh.seedComment(1, { body: `old\n\n${MARKER}` });
  const result = await run('new', {}, api('write-token', true));
  expect(result).toMatchObject({ action: 'updated', id: existing.id });
  expect(gh.state.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
    'POST /api/graphql',
    'GET /api/v3/repos/o/r/issues/1/comments',
    `GET /api/v3/repositories/${gh.state.repoId}/issues/1/comments`,
    `PATCH /api/v3/repos/o/r/issues/comments/${existing.id}`
  ]);
});

describe('modes', () => {
  test('never: no API call at all', async () => {
    const result = await run('table', { mode: 'never' });
    expect(result).toEqual({ action: 'skipped', message: 'comment: never' });
    expect(gh.state.requests).toEqual([]);
  });

  test('on-change without a change: skipped, nothing posted', async () => {
    const result = await run('table', { mode: 'on-change', changed: false });
    expect(result.action).toBe('skipped');
    expect(gh.requests('POST', /comments$/)).toHaveLength(0);
  });

  test('on-regression keeps an existing comment up to date even without a regression', async () => {
    const existing = gh.seedComment(1, { body: `was over budget\n\n${MARKER}` });
    const result = await run('back within budget', { mode: 'on-regression', regressed: false });
    expect(result).toMatchObject({ action: 'updated', id: existing.id });
  });
});

describe('identity', () => {
  test('a GitHub App token (viewer "my-app") owns "my-app[bot]" comments, not github-actions[bot] ones', async () => {
    const actions = gh.seedComment(1, { body: `x\n\n${MARKER}` });
    const app = gh.seedComment(1, { body: `y\n\n${MARKER}`, login: 'my-app[bot]' });
    const result = await run('z', {}, api('app-token'));
    expect(result).toMatchObject({ action: 'updated', id: app.id });
    expect(gh.commentsOn(1).find((c) => c.id === actions.id)?.body).toBe(`x\n\n${MARKER}`);
  });

  test('when GraphQL cannot say who we are, only github-actions[bot] comments count', async () => {
    const actions = gh.seedComment(1, { body: `x\n\n${MARKER}` });
    await expect(api('no-viewer-token').viewerLogin()).resolves.toBeUndefined();
    const result = await run('z', {}, api('no-viewer-token'));
    expect(result).toMatchObject({ action: 'updated', id: actions.id });
  });

  test('a known identity skips the GraphQL call', async () => {
    await run('z', { identity: 'github-actions[bot]' });
    expect(gh.requests('POST', /graphql$/)).toHaveLength(0);
  });
});

describe('client errors and retries', () => {
  test('a 502 on the list is retried, then succeeds (row 47)', async () => {
    gh.failNext({ method: 'GET', route: '/repos/o/r/issues/1/comments', status: 502 });
    const result = await run('table');
    expect(result.action).toBe('created');
    expect(gh.requests('GET').map((r) => r.status)).toEqual([502, 200, 200]);
  });

  test('a rate-limited create honours retry-after and is retried (row 46)', async () => {
    const waits: number[] = [];
    const client = createOctokitCommentsApi({
      token: 'write-token',
      owner: 'o',
      repo: 'r',
      apiUrl: gh.url,
      retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5000, sleep: async (ms) => void waits.push(ms) }
    });
    gh.failNext({
      method: 'POST',
      route: '/repos/o/r/issues/1/comments',
      status: 403,
      body: { message: 'You have exceeded a secondary rate limit.', documentation_url: 'https://docs.github.com/rest' },
      headers: { 'retry-after': '2' }
    });
    const comment = await client.createComment(1, 'x');
    expect(comment.body).toBe('x');
    expect(waits).toEqual([2000]);
  });

  test('a 5xx on create is not retried (it may have happened) and fails with the status', async () => {
    gh.failNext({ method: 'POST', route: '/repos/o/r/issues/1/comments', status: 502 });
    const result = await run('table');
    expect(result).toEqual({ action: 'failed', message: 'Create a comment on #1 failed: HTTP 502: Bad Gateway' });
    expect(gh.requests('POST', /comments$/)).toHaveLength(1);
  });

  test('a retry-after beyond the cap is not waited for', async () => {
    gh.failNext({ method: 'GET', route: '/repos/o/r/issues/1/comments', status: 429, headers: { 'retry-after': '3600' } });
    await expect(api().listComments(1)).rejects.toMatchObject({ status: 429 });
  });

  test('errors carry the HTTP status; 404 is not retried', async () => {
    const error = await api()
      .listComments(99)
      .then(
        () => undefined,
        (e: unknown) => e
      );
    expect(error).toBeInstanceOf(GitHubApiError);
    expect(error).toMatchObject({ status: 404, apiMessage: 'Not Found' });
    expect(gh.requests('GET')).toHaveLength(1);
  });

  test('a server that does not answer gives a status-less error, never the token', async () => {
    const url = gh.url;
    await gh.close();
    const client = createOctokitCommentsApi({
      token: 'write-token',
      owner: 'o',
      repo: 'r',
      apiUrl: url,
      retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 10, sleep: noSleep }
    });
    const error = await client.listComments(1).then(
      () => undefined,
      (e: unknown) => e
    );
    expect(error).toBeInstanceOf(GitHubApiError);
    expect(error).toMatchObject({ status: undefined });
    expect(String((error as Error).message)).not.toContain('write-token');
    await expect(client.viewerLogin()).resolves.toBeUndefined();
    gh = await startGitHubStandin(); // for afterEach
  });

  test('an empty token is refused before any call', () => {
    expect(() => api('')).toThrow(/github-token/);
  });
});

describe('graphqlUrlFor', () => {
  test.each([
    ['https://api.github.com', 'https://api.github.com/graphql'],
    ['https://api.github.com/', 'https://api.github.com/graphql'],
    ['https://ghe.example.com/api/v3', 'https://ghe.example.com/api/graphql'],
    ['https://ghe.example.com/api/v3/', 'https://ghe.example.com/api/graphql'],
    ['https://example.ghe.com/api', 'https://example.ghe.com/api/graphql']
  ])('%s → %s', (apiUrl, expected) => {
    expect(graphqlUrlFor(apiUrl)).toBe(expected);
  });
});
