// The sticky comment through the real octokit client, against the loopback GitHub stand-in.
import { createOctokitCommentsApi, GitHubApiError, graphqlUrlFor, type CommentsApi } from '../../src/github/client.js';
import { upsertStickyComment, type StickyOptions } from '../../src/github/sticky.js';
import { FAULT_BODIES, startGitHubStandin, type GitHubStandin } from '../support/github-standin.js';

const MARKER = '<!-- image-budget:image-budget -->';
/** The heading every body of image-budget starts with: a comment without it is not ours (issue 16). */
const H = '### 📦 Image size\n\n';
/**
 * The production policy, with plugin-retry's 1 s/4 s/9 s backoff scaled down to 1/4/9 ms and writes
 * not spaced (one test below checks the production spacing). Rate-limit waits stay real seconds.
 */
const FAST = { retryBaseMs: 1, writeSpacingMs: 0, notifySpacingMs: 0 };

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
    policy: FAST
  });
}

function run(body: string, over: Partial<StickyOptions> = {}, client = api()) {
  return upsertStickyComment(client, {
    issue: 1,
    key: 'image-budget',
    body: `${H}${body}\n\n${MARKER}`,
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
  expect(created?.body).toBe(`${H}v1\n\n${MARKER}`);
  expect(gh.requests('POST', /\/graphql$/)).toHaveLength(1);
  expect(gh.requests('POST', /comments$/)).toHaveLength(1);

  const second = await run('v2');
  expect(second).toMatchObject({ action: 'updated', id: first.id, url: first.url });
  expect(gh.commentsOn(1)).toHaveLength(1);
  expect(gh.commentsOn(1)[0]?.body).toBe(`${H}v2\n\n${MARKER}`);
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
  const existing = gh.seedComment(1, { body: `${H}old\n\n${MARKER}` });
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

test('the marker on page 4 of 350 comments (301+) is found: every page is read, once (row 36)', async () => {
  for (let i = 0; i < 320; i++) gh.seedComment(1, { body: `chatter ${i}`, login: 'alice' });
  const existing = gh.seedComment(1, { body: `${H}old\n\n${MARKER}` });
  for (let i = 0; i < 29; i++) gh.seedComment(1, { body: `more ${i}`, login: 'carol' });
  const result = await run('new');
  expect(result).toMatchObject({ action: 'updated', id: existing.id });
  expect(gh.requests('POST', /comments$/)).toHaveLength(0);
  expect(gh.requests('GET').map((r) => r.query['page'] ?? '1')).toEqual(['1', '2', '3', '4']);
  expect(gh.commentsOn(1).find((c) => c.id === existing.id)?.body).toBe(`${H}new\n\n${MARKER}`);
});

describe('comments of our own bot identity that only echo a planted marker (issue 16)', () => {
  // Another workflow (a welcome bot, a title linter) comments as github-actions[bot], quoting the pull
  // request's description, in which a fork planted our heading, a far-future run stamp and our marker.
  const FAR = '<!-- image-budget-run: 9999999999999999/1 -->';
  const planted = (): ReturnType<GitHubStandin['seedComment']>[] => [
    gh.seedComment(1, { body: `Thanks for your pull request! You wrote:\n\n${H}| forged | 1 B |\n\n${FAR}\n${MARKER}` }),
    gh.seedComment(1, { body: `> ${H}> | forged |\n>\n> ${FAR}\n${MARKER}` }),
    gh.seedComment(1, { body: `${H}| forged |\n\n${FAR}\n\n${MARKER}\n${MARKER}` })
  ];
  const untouched = (seeded: ReturnType<typeof planted>): void => {
    for (const c of seeded) expect(gh.commentsOn(1).find((x) => x.id === c.id)?.body).toBe(c.body);
    const ids = new Set(seeded.map((c) => `/${c.id}`));
    expect([...gh.requests('PATCH'), ...gh.requests('DELETE')].filter((r) => ids.has(r.route.slice(r.route.lastIndexOf('/'))))).toEqual([]);
  };

  test('older than ours, they are neither edited nor deleted, and do not block: ours is created, then updated', async () => {
    const seeded = planted();
    const first = await run('v1', { run: { id: 100, attempt: 1 } });
    expect(first.action).toBe('created');
    expect(seeded.map((c) => c.id)).not.toContain(first.id);
    const second = await run('v2', { run: { id: 101, attempt: 1 } });
    expect(second).toMatchObject({ action: 'updated', id: first.id });
    expect(gh.commentsOn(1).find((c) => c.id === first.id)?.body).toBe(`${H}v2\n\n<!-- image-budget-run: 101/1 -->\n${MARKER}`);
    untouched(seeded);
  });

  test('posted after ours, they are not taken for a duplicate or a newer run', async () => {
    const first = await run('v1', { run: { id: 100, attempt: 1 } });
    const seeded = planted();
    const second = await run('v2', { run: { id: 101, attempt: 1 } });
    expect(second).toMatchObject({ action: 'updated', id: first.id });
    untouched(seeded);
    expect(gh.requests('DELETE')).toEqual([]);
  });
});

test("a human's comment carrying the marker is never touched (row 37)", async () => {
  const spoof = gh.seedComment(1, { body: `${H}looks like the bot\n\n${MARKER}`, login: 'alice' });
  const result = await run('table');
  expect(result.action).toBe('created');
  expect(result.id).not.toBe(spoof.id);
  expect(gh.commentsOn(1).find((c) => c.id === spoof.id)?.body).toBe(`${H}looks like the bot\n\n${MARKER}`);
  const touched = [...gh.requests('PATCH'), ...gh.requests('DELETE')].filter((r) => r.route.endsWith(`/${spoof.id}`));
  expect(touched).toEqual([]);
});

test('two of our comments (an earlier race) converge to one: the oldest is updated (row 38)', async () => {
  const oldest = gh.seedComment(1, { body: `${H}a\n\n${MARKER}` });
  gh.seedComment(1, { body: 'hi', login: 'alice' });
  const newer = gh.seedComment(1, { body: `${H}b\n\n${MARKER}` });
  const result = await run('c');
  expect(result).toMatchObject({ action: 'updated', id: oldest.id, message: 'Removed 1 duplicate comment.' });
  expect(ours().map((c) => [c.id, c.body])).toEqual([[oldest.id, `${H}c\n\n${MARKER}`]]);
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
  const existing = gh.seedComment(1, { body: `${H}old\n\n${MARKER}` });
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
  expect(ours().map((c) => c.body)).toEqual([`${H}new\n\n${MARKER}`]);
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
  const existing = gh.seedComment(1, { body: `${H}old\n\n${MARKER}` });
  const result = await run('new', {}, api('read-token'));
  expect(result.action).toBe('failed');
  expect(result.message).toContain('permissions:\n  pull-requests: write');
  expect(gh.commentsOn(1)).toEqual([expect.objectContaining({ id: existing.id, body: `${H}old\n\n${MARKER}` })]);
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
  const existing = gh.seedComment(1, { body: `${H}old\n\n${MARKER}` });
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
    const existing = gh.seedComment(1, { body: `${H}was over budget\n\n${MARKER}` });
    const result = await run('back within budget', { mode: 'on-regression', regressed: false });
    expect(result).toMatchObject({ action: 'updated', id: existing.id });
  });
});

describe('identity', () => {
  test('a GitHub App token (viewer "my-app") owns "my-app[bot]" comments, not github-actions[bot] ones', async () => {
    const actions = gh.seedComment(1, { body: `${H}x\n\n${MARKER}` });
    const app = gh.seedComment(1, { body: `${H}y\n\n${MARKER}`, login: 'my-app[bot]' });
    const result = await run('z', {}, api('app-token'));
    expect(result).toMatchObject({ action: 'updated', id: app.id });
    expect(gh.commentsOn(1).find((c) => c.id === actions.id)?.body).toBe(`${H}x\n\n${MARKER}`);
  });

  test('when GraphQL cannot say who we are, only github-actions[bot] comments count', async () => {
    const actions = gh.seedComment(1, { body: `${H}x\n\n${MARKER}` });
    await expect(api('no-viewer-token').viewerLogin()).resolves.toBeUndefined();
    const result = await run('z', {}, api('no-viewer-token'));
    expect(result).toMatchObject({ action: 'updated', id: actions.id });
  });

  test('a known identity skips the GraphQL call', async () => {
    await run('z', { identity: 'github-actions[bot]' });
    expect(gh.requests('POST', /graphql$/)).toHaveLength(0);
  });
});

describe('client errors and retries (octokit plugin-retry and plugin-throttling)', () => {
  const SECONDARY = FAULT_BODIES.secondaryRateLimit;

  test('a 502 on the list is retried, then succeeds (row 47)', async () => {
    gh.failNext({ method: 'GET', route: '/repos/o/r/issues/1/comments', status: 502 });
    const result = await run('table');
    expect(result.action).toBe('created');
    expect(gh.requests('GET').map((r) => r.status)).toEqual([502, 200, 200]);
  });

  test('a connection reset on the update is retried: one comment, updated (row 47)', async () => {
    const existing = gh.seedComment(1, { body: `${H}old\n\n${MARKER}` });
    gh.failNext({ method: 'PATCH', route: /\/issues\/comments\/\d+$/, status: 0, reset: true });
    const result = await run('new');
    expect(result).toMatchObject({ action: 'updated', id: existing.id });
    expect(gh.requests('PATCH').map((r) => r.status)).toEqual([0, 200]);
    expect(ours().map((c) => c.body)).toEqual([`${H}new\n\n${MARKER}`]);
  });

  test('5xx answers are retried a bounded number of times with growing waits, then fail (row 47)', async () => {
    for (let i = 0; i < 5; i++) gh.failNext({ method: 'GET', route: '/repos/o/r/issues/1/comments', status: 503 });
    const started = Date.now();
    const client = createOctokitCommentsApi({ token: 'write-token', owner: 'o', repo: 'r', apiUrl: gh.url, policy: { ...FAST, retryBaseMs: 20 } });
    const error = await client.listComments(1).then(
      () => undefined,
      (e: unknown) => e
    );
    // 1 attempt + 3 retries, waiting 20·1², 20·2², 20·3² ms: at least 280 ms in all.
    expect(error).toMatchObject({ status: 503, message: 'List comments of #1 failed: HTTP 503: Service Unavailable' });
    expect(gh.requests('GET')).toHaveLength(4);
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
  });

  test('a secondary rate limit (403) on create honours retry-after, then succeeds (row 46)', async () => {
    const waits: string[] = [];
    const client = createOctokitCommentsApi({
      token: 'write-token',
      owner: 'o',
      repo: 'r',
      apiUrl: gh.url,
      policy: { ...FAST, onWait: (m) => waits.push(m) }
    });
    gh.failNext({ method: 'POST', route: '/repos/o/r/issues/1/comments', status: 403, body: SECONDARY, headers: { 'retry-after': '1' } });
    const started = Date.now();
    const comment = await client.createComment(1, 'x');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(comment.body).toBe('x');
    expect(gh.requests('POST', /comments$/).map((r) => r.status)).toEqual([403, 201]);
    expect(waits).toEqual(["GitHub's secondary rate limit on POST /repos/{owner}/{repo}/issues/{issue_number}/comments: retrying in 1 s."]);
    expect(gh.commentsOn(1)).toHaveLength(1);
  });

  test('a 429 secondary rate limit on the list is waited out too (row 46)', async () => {
    gh.failNext({ method: 'GET', route: '/repos/o/r/issues/1/comments', status: 429, body: SECONDARY, headers: { 'retry-after': '1' } });
    await expect(api().listComments(1)).resolves.toEqual([]);
    expect(gh.requests('GET').map((r) => r.status)).toEqual([429, 200]);
  });

  test('the primary rate limit (x-ratelimit-remaining 0) waits until x-ratelimit-reset (row 46)', async () => {
    const reset = Math.floor(Date.now() / 1000) + 1;
    gh.failNext({
      method: 'GET',
      route: '/repos/o/r/issues/1/comments',
      status: 403,
      body: FAULT_BODIES.primaryRateLimit,
      headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) }
    });
    const started = Date.now();
    await expect(api().listComments(1)).resolves.toEqual([]);
    expect(Date.now()).toBeGreaterThanOrEqual(Math.min(started + 1000, reset * 1000));
    expect(gh.requests('GET').map((r) => r.status)).toEqual([403, 200]);
  });

  test('a retry-after beyond the cap is not waited for: the call fails at once (row 46)', async () => {
    const waits: string[] = [];
    gh.failNext({ method: 'GET', route: '/repos/o/r/issues/1/comments', status: 429, body: SECONDARY, headers: { 'retry-after': '3600' } });
    const client = createOctokitCommentsApi({ token: 'write-token', owner: 'o', repo: 'r', apiUrl: gh.url, policy: { ...FAST, onWait: (m) => waits.push(m) } });
    const started = Date.now();
    await expect(client.listComments(1)).rejects.toMatchObject({ status: 429 });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(waits).toEqual(["GitHub's secondary rate limit on GET /repos/o/r/issues/1/comments: not retrying (asked to wait 3600 s)."]);
  });

  test('rate-limit retries are bounded: the third secondary limit in a row fails the call (row 46)', async () => {
    for (let i = 0; i < 3; i++) {
      gh.failNext({ method: 'GET', route: '/repos/o/r/issues/1/comments', status: 403, body: SECONDARY, headers: { 'retry-after': '1' } });
    }
    // rateLimitRetries 2 (the default): the first answer and two retries, all refused.
    await expect(api().listComments(1)).rejects.toMatchObject({ status: 403 });
    expect(gh.requests('GET').map((r) => r.status)).toEqual([403, 403, 403]);
  });

  test.each([400, 401, 403, 404, 410, 422])('HTTP %i is never retried', async (status) => {
    gh.failNext({ method: 'GET', route: '/repos/o/r/issues/1/comments', status });
    await expect(api().listComments(1)).rejects.toMatchObject({ status });
    expect(gh.requests('GET')).toHaveLength(1);
  });

  test('a 5xx on create is not blindly repeated: listed again, created once when it had not happened (row 47)', async () => {
    gh.failNext({ method: 'POST', route: '/repos/o/r/issues/1/comments', status: 502 });
    const result = await run('table');
    expect(result.action).toBe('created');
    expect(gh.requests('POST', /comments$/).map((r) => r.status)).toEqual([502, 201]);
    expect(ours().map((c) => c.body)).toEqual([`${H}table\n\n${MARKER}`]);
  });

  test('a 502 after GitHub did create the comment: found on the re-list, not created twice (row 47)', async () => {
    gh.failNext({ method: 'POST', route: '/repos/o/r/issues/1/comments', status: 502, afterApplying: true });
    const result = await run('table');
    expect(result).toMatchObject({ action: 'created', id: ours()[0]?.id });
    expect(gh.requests('POST', /comments$/)).toHaveLength(1);
    expect(ours()).toHaveLength(1);
  });

  test('a create that fails twice fails the comment (a warning for the caller), with the status', async () => {
    gh.failNext({ method: 'POST', route: '/repos/o/r/issues/1/comments', status: 502 });
    gh.failNext({ method: 'POST', route: '/repos/o/r/issues/1/comments', status: 502 });
    const result = await run('table');
    expect(result).toEqual({ action: 'failed', message: 'Create a comment on #1 failed: HTTP 502: Bad Gateway' });
    expect(gh.requests('POST', /comments$/)).toHaveLength(2);
    expect(gh.commentsOn(1)).toHaveLength(0);
  });

  test('errors carry the HTTP status and message; 404 is not retried', async () => {
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

  test('a server that does not answer gives a status-less error after bounded retries, never the token', async () => {
    const url = gh.url;
    await gh.close();
    const client = createOctokitCommentsApi({ token: 'write-token', owner: 'o', repo: 'r', apiUrl: url, policy: FAST });
    const error = await client.listComments(1).then(
      () => undefined,
      (e: unknown) => e
    );
    expect(error).toBeInstanceOf(GitHubApiError);
    expect(error).toMatchObject({ status: undefined });
    expect(String((error as Error).message)).toMatch(/^List comments of #1 failed: no response: /);
    expect(String((error as Error).message)).not.toContain('write-token');
    await expect(client.viewerLogin()).resolves.toBeUndefined();
    gh = await startGitHubStandin(); // for afterEach
  });

  test('the wall-clock cap: a rate-limit wait that would pass it is not begun (security 16)', async () => {
    const waits: string[] = [];
    gh.failNext({ method: 'GET', route: '/repos/o/r/issues/1/comments', status: 403, body: SECONDARY, headers: { 'retry-after': '30' } });
    const client = createOctokitCommentsApi({
      token: 'write-token',
      owner: 'o',
      repo: 'r',
      apiUrl: gh.url,
      policy: { ...FAST, timeoutMs: 2000, onWait: (m) => waits.push(m) }
    });
    const started = Date.now();
    await expect(client.listComments(1)).rejects.toMatchObject({ status: 403 });
    expect(Date.now() - started).toBeLessThan(1500);
    expect(waits).toEqual([expect.stringContaining('not retrying (a 30 s wait would pass the 2 s limit)')]);
  });

  test('the wall-clock cap aborts a request the server never answers', async () => {
    const { createServer } = await import('node:http');
    const silent = createServer(() => undefined); // accepts, never answers
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as import('node:net').AddressInfo).port;
    try {
      const client = createOctokitCommentsApi({
        token: 'write-token',
        owner: 'o',
        repo: 'r',
        apiUrl: `http://127.0.0.1:${port}`,
        policy: { ...FAST, retries: 0, timeoutMs: 300 }
      });
      const started = Date.now();
      await expect(client.listComments(1)).rejects.toMatchObject({ status: undefined });
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  test("by default, writes are spaced 1 s apart and comment creations 3 s (plugin-throttling's pacing)", async () => {
    const client = createOctokitCommentsApi({ token: 'write-token', owner: 'o', repo: 'r', apiUrl: gh.url });
    const times: number[] = [];
    const created = await client.createComment(1, 'a');
    times.push(Date.now());
    await client.updateComment(created.id, 'b');
    times.push(Date.now());
    await client.createComment(1, 'c');
    times.push(Date.now());
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(950);
    expect(times[2]! - times[0]!).toBeGreaterThanOrEqual(2950);
  }, 15_000);

  test('an empty token is refused before any call', () => {
    expect(() => api('')).toThrow(/github-token/);
  });
});

describe('body size, runs and hidden comments', () => {
  test('a body GitHub refuses as too long (422) is replaced by the minimal body, once (row 45)', async () => {
    const huge = 'x'.repeat(70_000);
    const result = await run(huge, { minimalBody: `${H}short verdict` });
    expect(result).toMatchObject({ action: 'created', message: expect.stringContaining('too long') });
    const posts = gh.requests('POST', /comments$/);
    expect(posts.map((r) => r.status)).toEqual([422, 201]);
    expect(ours().map((c) => c.body)).toEqual([`${H}short verdict\n\n${MARKER}`]);
  });

  test('an update refused as too long falls back to the minimal body in place (row 45)', async () => {
    const existing = gh.seedComment(1, { body: `${H}old\n\n${MARKER}` });
    gh.failNext({
      method: 'PATCH',
      route: /\/issues\/comments\/\d+$/,
      status: 422,
      body: FAULT_BODIES.bodyTooLong(65536, 'update-an-issue-comment')
    });
    const result = await run('fits here, but the limit changed', { minimalBody: `${H}short` });
    expect(result).toMatchObject({ action: 'updated', id: existing.id });
    expect(gh.requests('PATCH').map((r) => r.status)).toEqual([422, 200]);
    expect(ours().map((c) => c.body)).toEqual([`${H}short\n\n${MARKER}`]);
  });

  test('a 422 for another reason is not answered with the minimal body', async () => {
    gh.failNext({ method: 'POST', route: '/repos/o/r/issues/1/comments', status: 422 });
    const result = await run('table', { minimalBody: `${H}short` });
    expect(result).toMatchObject({ action: 'failed', message: expect.stringContaining('HTTP 422') });
    expect(gh.requests('POST', /comments$/)).toHaveLength(1);
  });

  test('without a minimal body the too-long refusal is a failure, not a crash', async () => {
    const result = await run('x'.repeat(70_000));
    expect(result).toMatchObject({ action: 'failed', message: expect.stringContaining('Body is too long') });
  });

  test('the comment carries the run stamp; a newer run updates it (row 40)', async () => {
    await run('run 100', { run: { id: 100, attempt: 1 } });
    expect(ours()[0]?.body).toBe(`${H}run 100\n\n<!-- image-budget-run: 100/1 -->\n${MARKER}`);
    const newer = await run('run 200', { run: { id: 200, attempt: 1 } });
    expect(newer.action).toBe('updated');
    expect(ours()[0]?.body).toBe(`${H}run 200\n\n<!-- image-budget-run: 200/1 -->\n${MARKER}`);
  });

  test('an older run finishing late never overwrites a newer run\'s comment (row 40)', async () => {
    await run('run 200', { run: { id: 200, attempt: 1 } });
    const before = writes();
    const older = await run('run 100', { run: { id: 100, attempt: 3 } });
    expect(older).toMatchObject({ action: 'skipped', id: ours()[0]?.id, message: expect.stringContaining('newer run (200, attempt 1)') });
    expect(writes()).toBe(before);
    expect(ours()[0]?.body).toContain('run 200');
  });

  test('a re-run (a higher attempt of the same run) outranks its first attempt', async () => {
    await run('attempt 1', { run: { id: 300, attempt: 1 } });
    await expect(run('attempt 2', { run: { id: 300, attempt: 2 } })).resolves.toMatchObject({ action: 'updated' });
    await expect(run('attempt 1 again', { run: { id: 300, attempt: 1 } })).resolves.toMatchObject({ action: 'skipped' });
    expect(ours()[0]?.body).toContain('attempt 2');
  });

  test('same results from a newer run make no write (row 51), the stamp aside', async () => {
    await run('same', { run: { id: 100, attempt: 1 } });
    const before = writes();
    await expect(run('same', { run: { id: 101, attempt: 1 } })).resolves.toMatchObject({ action: 'unchanged' });
    expect(writes()).toBe(before);
  });

  test.each([
    ['the older run starts first', [100, 200]],
    ['the newer run starts first', [200, 100]]
  ])('two runs of different ages racing (%s): one comment, with the newer results (rows 39, 40)', async (_order, ids) => {
    const results = await Promise.all(ids.map((id) => run(`results of ${id}`, { run: { id, attempt: 1 } })));
    expect(ours()).toHaveLength(1);
    expect(ours()[0]?.body).toBe(`${H}results of 200\n\n<!-- image-budget-run: 200/1 -->\n${MARKER}`);
    expect(results.map((r) => r.action)).toContain('created');
  });

  test('a comment a person minimized is updated in place, not posted again (row 42)', async () => {
    const first = await run('v1');
    gh.minimize(first.id ?? 0);
    const second = await run('v2');
    expect(second).toMatchObject({ action: 'updated', id: first.id });
    expect(gh.requests('POST', /comments$/)).toHaveLength(1);
    expect(ours()).toEqual([expect.objectContaining({ id: first.id, minimized: true, body: `${H}v2\n\n${MARKER}` })]);
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
