// Holds the GitHub stand-in to GitHub's own REST contract: every response it gives (status and JSON
// body) is validated against the response schema GitHub publishes for that route
// (@octokit/openapi's api.github.com.json), so tests that pass against the stand-in mean something.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { FAULT_BODIES, startGitHubStandin, type GitHubStandin } from '../support/github-standin.js';

const SPEC_ID = 'https://api.github.com/openapi.json';
const COMMENTS = '/repos/{owner}/{repo}/issues/{issue_number}/comments';
const COMMENT = '/repos/{owner}/{repo}/issues/comments/{comment_id}';
const PULL = '/repos/{owner}/{repo}/pulls/{pull_number}';
const COMMIT_PULLS = '/repos/{owner}/{repo}/commits/{commit_sha}/pulls';

type Json = Record<string, unknown>;
const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function child(value: unknown, key: string): unknown {
  return isRecord(value) ? value[key] : undefined;
}

// ajv-formats is CommonJS: its default export arrives as the module object or the function.
const addFormats = (
  typeof addFormatsModule === 'function' ? addFormatsModule : (addFormatsModule as { default: unknown }).default
) as (ajv: Ajv) => Ajv;

const escapePointer = (s: string): string => encodeURIComponent(s.replace(/~/g, '~0').replace(/\//g, '~1'));

let spec: Json;
let ajv: Ajv;
const compiled = new Map<string, ValidateFunction>();

/**
 * The validator of the JSON body GitHub documents for `status` of `method path`. A response given
 * by `$ref` (e.g. `#/components/responses/not_found`) is followed by hand: JSON pointers cannot
 * pass through a `$ref`. Statuses the operation does not document (401, 403 on PATCH...) are checked
 * against `basic-error`, the shape GitHub uses for all of them.
 */
function validatorFor(path: string, method: string, status: number): ValidateFunction {
  const cacheKey = `${method} ${path} ${status}`;
  const cached = compiled.get(cacheKey);
  if (cached) return cached;
  const responses = child(child(child(spec['paths'], path), method), 'responses');
  if (!isRecord(responses)) throw new Error(`${method} ${path} is not in the OpenAPI description`);
  let pointer: string;
  const response = responses[String(status)];
  if (response === undefined) {
    pointer = '/components/schemas/basic-error';
  } else {
    const ref = child(response, '$ref');
    const base =
      typeof ref === 'string'
        ? ref.slice(1)
        : `/paths/${escapePointer(path)}/${method}/responses/${status}`;
    pointer = `${base}/content/${escapePointer('application/json')}/schema`;
  }
  const validate = ajv.compile({ $ref: `${SPEC_ID}#${pointer}` });
  compiled.set(cacheKey, validate);
  return validate;
}

function expectValid(path: string, method: string, status: number, body: unknown): void {
  const validate = validatorFor(path, method, status);
  const ok = validate(body);
  if (!ok) throw new Error(`${method.toUpperCase()} ${path} ${status}: ${JSON.stringify(validate.errors, null, 2)}`);
  expect(ok).toBe(true);
}

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
  readonly text: string;
}

let gh: GitHubStandin;

async function call(method: string, path: string, token?: string, body?: unknown): Promise<Answer> {
  const headers: Record<string, string> = { accept: 'application/vnd.github+json' };
  if (token) headers['authorization'] = `token ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${gh.url}${path}`, {
    method,
    headers,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {})
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

beforeAll(() => {
  const require = createRequire(import.meta.url);
  const file = require.resolve('@octokit/openapi/generated/api.github.com.json');
  spec = JSON.parse(readFileSync(file, 'utf8')) as Json;
  // OpenAPI 3.0 schemas are JSON Schema with extras (nullable, example, x-*): strict off; the whole
  // document becomes one schema so that `#/components/...` references resolve.
  ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, logger: false });
  addFormats(ajv);
  ajv.addSchema({ ...spec, $id: SPEC_ID });
});

beforeEach(async () => {
  gh = await startGitHubStandin({
    pulls: [{ number: 1 }, { number: 2, headRepoFullName: 'mallory/r', headRef: 'main' }],
    autoCreatePulls: false
  });
});

afterEach(async () => {
  await gh.close();
});

describe('the validator itself', () => {
  test('rejects a comment that breaks the schema (so passing means something)', () => {
    gh.seedComment(1, { body: 'x' });
    const validate = validatorFor(COMMENTS, 'post', 201);
    expect(validate({ id: 'one', body: 'x' })).toBe(false);
    expect(validate({})).toBe(false);
  });

  test('follows $refs into components: a bad nested user or a pull without _links is rejected', async () => {
    const c = gh.seedComment(1, { body: 'x' });
    const res = await call('GET', `/repos/o/r/issues/1/comments`, 'write-token');
    const [good] = res.body as Json[];
    expect(validatorFor(COMMENTS, 'get', 200)([good])).toBe(true);
    const badUser = { ...good, user: { ...(good?.['user'] as Json), login: 7 } };
    expect(validatorFor(COMMENTS, 'get', 200)([badUser])).toBe(false);
    expect(validatorFor(COMMENT, 'patch', 200)({ ...good, id: c.id, created_at: 'yesterday' })).toBe(false);
    const pull = await call('GET', '/repos/o/r/pulls/1', 'write-token');
    expect(validatorFor(PULL, 'get', 200)(pull.body)).toBe(true);
    const { _links: _dropped, ...withoutLinks } = pull.body as Json;
    expect(validatorFor(PULL, 'get', 200)(withoutLinks)).toBe(false);
  });
});

describe('GET issue comments', () => {
  test('200: a page of comments by bots and users', async () => {
    gh.seedComment(1, { body: 'by the bot' });
    gh.seedComment(1, { body: 'by a human', login: 'alice' });
    const res = await call('GET', '/repos/o/r/issues/1/comments', 'write-token');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('link')).toBeNull();
    expectValid(COMMENTS, 'get', 200, res.body);
    expect(Array.isArray(res.body) && res.body.length).toBe(2);
  });

  test('200 without a token (public repository)', async () => {
    gh.seedComment(1, { body: 'x' });
    const res = await call('GET', '/repos/o/r/issues/1/comments');
    expect(res.status).toBe(200);
    expectValid(COMMENTS, 'get', 200, res.body);
  });

  test('pagination: per_page default 30, max 100, Link header like GitHub', async () => {
    for (let i = 0; i < 250; i++) gh.seedComment(1, { body: `c${i}`, login: i % 2 ? 'alice' : 'bob' });
    const first = await call('GET', '/repos/o/r/issues/1/comments', 'write-token');
    expect(Array.isArray(first.body) && first.body.length).toBe(30);
    const base = `${gh.url}/repositories/${gh.state.repoId}/issues/1/comments`;
    expect(first.headers.get('link')).toBe(`<${base}?page=2>; rel="next", <${base}?page=9>; rel="last"`);

    const capped = await call('GET', '/repos/o/r/issues/1/comments?per_page=500&page=2', 'write-token');
    expect(Array.isArray(capped.body) && capped.body.length).toBe(100);
    expect(capped.headers.get('link')).toBe(
      `<${base}?per_page=500&page=1>; rel="prev", <${base}?per_page=500&page=3>; rel="next", ` +
        `<${base}?per_page=500&page=3>; rel="last", <${base}?per_page=500&page=1>; rel="first"`
    );
    expectValid(COMMENTS, 'get', 200, capped.body);

    // The Link target answers too, with the last (partial) page and no next.
    const last = await call('GET', `/repositories/${gh.state.repoId}/issues/1/comments?per_page=100&page=3`, 'write-token');
    expect(last.status).toBe(200);
    expect(Array.isArray(last.body) && last.body.length).toBe(50);
    expect(last.headers.get('link')).not.toContain('rel="next"');
    expectValid(COMMENTS, 'get', 200, last.body);

    const beyond = await call('GET', '/repos/o/r/issues/1/comments?per_page=100&page=7', 'write-token');
    expect(beyond.body).toEqual([]);
  });

  test('404 for an issue that does not exist and for another repository', async () => {
    for (const path of ['/repos/o/r/issues/99/comments', '/repos/other/r/issues/1/comments']) {
      const res = await call('GET', path, 'write-token');
      expect(res.status).toBe(404);
      expectValid(COMMENTS, 'get', 404, res.body);
      expect(res.body).toMatchObject({ message: 'Not Found', status: '404' });
    }
  });

  test('401 for an unknown token, even on reads', async () => {
    const res = await call('GET', '/repos/o/r/issues/1/comments', 'nope');
    expect(res.status).toBe(401);
    expectValid(COMMENTS, 'get', 401, res.body);
    expect(res.body).toMatchObject({ message: 'Bad credentials', status: '401' });
  });
});

describe('POST issue comment', () => {
  test('201 with the comment and a Location header; ids increase', async () => {
    const a = await call('POST', '/repos/o/r/issues/1/comments', 'write-token', { body: 'hello' });
    const b = await call('POST', '/repos/o/r/issues/1/comments', 'write-token', { body: 'again' });
    expect(a.status).toBe(201);
    expectValid(COMMENTS, 'post', 201, a.body);
    const idA = Number(child(a.body, 'id'));
    const idB = Number(child(b.body, 'id'));
    expect(idB).toBeGreaterThan(idA);
    expect(a.headers.get('location')).toBe(`${gh.url}/repos/o/r/issues/comments/${idA}`);
    expect(a.body).toMatchObject({
      body: 'hello',
      html_url: `https://github.com/o/r/pull/1#issuecomment-${idA}`,
      user: { login: 'github-actions[bot]', id: 41898282, type: 'Bot' }
    });
  });

  test('403 for a read-only token, with GitHub message', async () => {
    const res = await call('POST', '/repos/o/r/issues/1/comments', 'read-token', { body: 'x' });
    expect(res.status).toBe(403);
    expectValid(COMMENTS, 'post', 403, res.body);
    expect(res.body).toMatchObject({ message: 'Resource not accessible by integration', status: '403' });
    expect(gh.commentsOn(1)).toHaveLength(0);
  });

  test('401 without a token', async () => {
    const res = await call('POST', '/repos/o/r/issues/1/comments', undefined, { body: 'x' });
    expect(res.status).toBe(401);
    expectValid(COMMENTS, 'post', 401, res.body);
    expect(res.body).toMatchObject({ message: 'Requires authentication' });
  });

  test('404 on a missing issue', async () => {
    const res = await call('POST', '/repos/o/r/issues/42/comments', 'write-token', { body: 'x' });
    expect(res.status).toBe(404);
    expectValid(COMMENTS, 'post', 404, res.body);
  });

  test('422 when the body is too long or missing', async () => {
    const long = await call('POST', '/repos/o/r/issues/1/comments', 'write-token', { body: 'x'.repeat(65537) });
    expect(long.status).toBe(422);
    expectValid(COMMENTS, 'post', 422, long.body);
    expect(JSON.stringify(long.body)).toContain('Body is too long (maximum is 65536 characters)');
    const missing = await call('POST', '/repos/o/r/issues/1/comments', 'write-token', { title: 'x' });
    expect(missing.status).toBe(422);
    expectValid(COMMENTS, 'post', 422, missing.body);
    const exact = await call('POST', '/repos/o/r/issues/1/comments', 'write-token', { body: 'x'.repeat(65536) });
    expect(exact.status).toBe(201);
  });
});

describe('PATCH and DELETE issue comment', () => {
  test('200 with the edited comment', async () => {
    const c = gh.seedComment(1, { body: 'old' });
    const res = await call('PATCH', `/repos/o/r/issues/comments/${c.id}`, 'write-token', { body: 'new' });
    expect(res.status).toBe(200);
    expectValid(COMMENT, 'patch', 200, res.body);
    expect(res.body).toMatchObject({ id: c.id, body: 'new' });
    expect(child(res.body, 'updated_at')).not.toBe(child(res.body, 'created_at'));
  });

  test('422 without a body, 404 for a missing comment, 403 read-only', async () => {
    const c = gh.seedComment(1, { body: 'old' });
    const invalid = await call('PATCH', `/repos/o/r/issues/comments/${c.id}`, 'write-token', {});
    expect(invalid.status).toBe(422);
    expectValid(COMMENT, 'patch', 422, invalid.body);
    const missing = await call('PATCH', '/repos/o/r/issues/comments/1', 'write-token', { body: 'x' });
    expect(missing.status).toBe(404);
    expectValid(COMMENT, 'patch', 404, missing.body);
    const readOnly = await call('PATCH', `/repos/o/r/issues/comments/${c.id}`, 'read-token', { body: 'x' });
    expect(readOnly.status).toBe(403);
    expectValid(COMMENT, 'patch', 403, readOnly.body);
    expect(gh.commentsOn(1)[0]?.body).toBe('old');
  });

  test('DELETE: 204 with no body, then 404', async () => {
    const c = gh.seedComment(1, { body: 'x' });
    const res = await call('DELETE', `/repos/o/r/issues/comments/${c.id}`, 'write-token');
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expect(gh.commentsOn(1)).toHaveLength(0);
    const again = await call('DELETE', `/repos/o/r/issues/comments/${c.id}`, 'write-token');
    expect(again.status).toBe(404);
    expectValid(COMMENT, 'delete', 404, again.body);
  });
});

describe('GET pull request', () => {
  test('200: a same-repository pull request', async () => {
    const res = await call('GET', '/repos/o/r/pulls/1', 'write-token');
    expect(res.status).toBe(200);
    expectValid(PULL, 'get', 200, res.body);
    expect(res.body).toMatchObject({ number: 1, head: { repo: { full_name: 'o/r', fork: false } } });
  });

  test('200: a pull request from a fork', async () => {
    const res = await call('GET', '/repos/o/r/pulls/2', 'read-token');
    expectValid(PULL, 'get', 200, res.body);
    expect(res.body).toMatchObject({
      number: 2,
      head: { ref: 'main', label: 'mallory:main', repo: { full_name: 'mallory/r', fork: true } },
      base: { ref: 'main', repo: { full_name: 'o/r' } }
    });
  });

  test('404', async () => {
    const res = await call('GET', '/repos/o/r/pulls/3', 'write-token');
    expect(res.status).toBe(404);
    expectValid(PULL, 'get', 404, res.body);
  });
});

describe('GET pull requests of a commit', () => {
  const headOf = (n: number): string => gh.state.pulls.get(n)!.headSha;

  test('200: the same-repository pull request of its head commit, as pull-request-simple items', async () => {
    const res = await call('GET', `/repos/o/r/commits/${headOf(1)}/pulls`, 'read-token');
    expect(res.status).toBe(200);
    expectValid(COMMIT_PULLS, 'get', 200, res.body);
    expect(res.body).toEqual([expect.objectContaining({ number: 1, head: expect.objectContaining({ sha: headOf(1) }) })]);
    // The list shape leaves out what only the single pull request carries.
    expect(res.body).toEqual([expect.not.objectContaining({ mergeable: expect.anything() })]);
  });

  test("a fork's commit: [] in the base repository, its pull request in the fork", async () => {
    const inBase = await call('GET', `/repos/o/r/commits/${headOf(2)}/pulls`, 'read-token');
    expect(inBase.status).toBe(200);
    expect(inBase.body).toEqual([]);
    const inFork = await call('GET', `/repos/mallory/r/commits/${headOf(2)}/pulls`, 'read-token');
    expect(inFork.status).toBe(200);
    expectValid(COMMIT_PULLS, 'get', 200, inFork.body);
    expect(inFork.body).toEqual([
      expect.objectContaining({
        number: 2,
        head: expect.objectContaining({ sha: headOf(2), repo: expect.objectContaining({ full_name: 'mallory/r', fork: true }) }),
        base: expect.objectContaining({ repo: expect.objectContaining({ full_name: 'o/r' }) })
      })
    ]);
  });

  test('after a push the earlier commit still lists the pull request, which now shows its new head', async () => {
    const old = headOf(2);
    gh.addPull({ number: 2, headSha: 'f'.repeat(40) });
    expect(gh.state.pulls.get(2)).toMatchObject({ headRepoFullName: 'mallory/r', headRef: 'main' });
    const res = await call('GET', `/repos/mallory/r/commits/${old}/pulls`, 'read-token');
    expectValid(COMMIT_PULLS, 'get', 200, res.body);
    expect(res.body).toEqual([expect.objectContaining({ number: 2, head: expect.objectContaining({ sha: 'f'.repeat(40) }) })]);
    const unknown = await call('GET', `/repos/o/r/commits/${'e'.repeat(40)}/pulls`, 'read-token');
    expect(unknown.body).toEqual([]);
  });

  test('404 for a repository the stand-in does not know', async () => {
    const res = await call('GET', `/repos/someone/else/commits/${headOf(1)}/pulls`, 'read-token');
    expect(res.status).toBe(404);
    expectValid(COMMIT_PULLS, 'get', 404, res.body);
  });
});

describe('GHES prefix, GraphQL and fault hooks', () => {
  test('every REST route answers under /api/v3 with prefixed URLs', async () => {
    for (let i = 0; i < 31; i++) gh.seedComment(1, { body: `c${i}` });
    const res = await call('GET', '/api/v3/repos/o/r/issues/1/comments', 'write-token');
    expect(res.status).toBe(200);
    expectValid(COMMENTS, 'get', 200, res.body);
    expect(res.headers.get('link')).toContain(`<${gh.url}/api/v3/repositories/`);
    expect(JSON.stringify(res.body)).toContain(`"url":"${gh.url}/api/v3/repos/o/r/issues/comments/`);
    expect(gh.state.requests[0]).toMatchObject({ path: '/api/v3/repos/o/r/issues/1/comments', route: '/repos/o/r/issues/1/comments' });
  });

  test('GraphQL viewer login at /graphql and /api/graphql; 401 for a bad token', async () => {
    const ok = await call('POST', '/graphql', 'write-token', { query: 'query { viewer { login } }' });
    expect(ok).toMatchObject({ status: 200, body: { data: { viewer: { login: 'github-actions[bot]' } } } });
    const ghes = await call('POST', '/api/graphql', 'read-token', { query: 'query { viewer { login } }' });
    expect(ghes.body).toEqual({ data: { viewer: { login: 'github-actions[bot]' } } });
    const bad = await call('POST', '/graphql', 'nope', { query: 'query { viewer { login } }' });
    expect(bad).toMatchObject({ status: 401, body: { message: 'Bad credentials' } });
    const other = await call('POST', '/graphql', 'write-token', { query: 'query { repository { id } }' });
    expect(child(other.body, 'errors')).toBeDefined();
  });

  test('by default any pull request number exists (fresh numbers per test)', async () => {
    const lenient = await startGitHubStandin();
    try {
      const res = await fetch(`${lenient.url}/repos/o/r/issues/77/comments`, {
        method: 'POST',
        headers: { authorization: 'token write-token', 'content-type': 'application/json' },
        body: JSON.stringify({ body: 'x' })
      });
      expect(res.status).toBe(201);
      expect(lenient.state.pulls.has(77)).toBe(true);
      expect(lenient.commentsOn(77)).toHaveLength(1);
    } finally {
      await lenient.close();
    }
  });

  test('a one-shot status override answers once, then the route behaves normally', async () => {
    gh.failNext({ method: 'GET', route: '/repos/o/r/issues/1/comments', status: 502 });
    const failed = await call('GET', '/repos/o/r/issues/1/comments', 'write-token');
    expect(failed.status).toBe(502);
    expect(failed.body).toMatchObject({ message: 'Bad Gateway', status: '502' });
    const next = await call('GET', '/repos/o/r/issues/1/comments', 'write-token');
    expect(next.status).toBe(200);
  });

  test('requests are recorded without the Authorization value', async () => {
    await call('POST', '/repos/o/r/issues/1/comments', 'write-token', { body: 'x' });
    await call('GET', '/repos/o/r/pulls/1');
    expect(gh.requests('POST')).toEqual([
      expect.objectContaining({ route: '/repos/o/r/issues/1/comments', authenticated: true, login: 'github-actions[bot]', status: 201 })
    ]);
    expect(gh.requests('GET')[0]).toMatchObject({ authenticated: false, login: undefined, status: 200 });
    expect(JSON.stringify(gh.state.requests)).not.toContain('write-token');
  });

  test('the fault bodies tests inject are GitHub\'s documented error shapes', async () => {
    for (const [status, body] of [
      [403, FAULT_BODIES.secondaryRateLimit],
      [403, FAULT_BODIES.primaryRateLimit],
      [429, { ...FAULT_BODIES.secondaryRateLimit, status: '429' }],
      [422, FAULT_BODIES.bodyTooLong()]
    ] as const) {
      gh.failNext({ method: 'POST', route: '/repos/o/r/issues/1/comments', status, body, headers: { 'retry-after': '1' } });
      const answer = await call('POST', '/repos/o/r/issues/1/comments', 'write-token', { body: 'x' });
      expect(answer.status).toBe(status);
      expectValid(COMMENTS, 'post', status, answer.body);
    }
    // PATCH documents 422 as validation-failed too.
    expectValid(COMMENT, 'patch', 422, FAULT_BODIES.bodyTooLong(65536, 'update-an-issue-comment'));
  });

  test('afterApplying carries the request out, then answers the failure', async () => {
    gh.failNext({ method: 'POST', route: '/repos/o/r/issues/1/comments', status: 502, afterApplying: true });
    const answer = await call('POST', '/repos/o/r/issues/1/comments', 'write-token', { body: 'made anyway' });
    expect(answer.status).toBe(502);
    expectValid(COMMENTS, 'post', 502, answer.body);
    expect(gh.commentsOn(1).map((c) => c.body)).toEqual(['made anyway']);
  });

  test('reset drops the connection without an answer', async () => {
    gh.failNext({ method: 'GET', route: '/repos/o/r/issues/1/comments', status: 0, reset: true });
    await expect(call('GET', '/repos/o/r/issues/1/comments', 'write-token')).rejects.toThrow();
    expect((await call('GET', '/repos/o/r/issues/1/comments', 'write-token')).status).toBe(200);
  });

  test('a minimized comment is listed and editable as before: REST does not show it', async () => {
    const seeded = gh.seedComment(1, { body: 'hidden' });
    gh.minimize(seeded.id);
    const list = await call('GET', '/repos/o/r/issues/1/comments', 'write-token');
    expectValid(COMMENTS, 'get', 200, list.body);
    expect(JSON.stringify(list.body)).not.toMatch(/minimi/i);
    expect((await call('PATCH', `/repos/o/r/issues/comments/${seeded.id}`, 'write-token', { body: 'edited' })).status).toBe(200);
  });
});
