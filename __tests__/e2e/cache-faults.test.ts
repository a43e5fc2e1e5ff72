// End to end: a GitHub Actions cache that fails while the real engine builds with `cache: gha`
// (RELIABILITY row 11): the bundled dist/index.js, run as the runner runs it, against the real
// engine, whose BuildKit talks to the loopback cache stand-in (__tests__/support/cache-standin.ts),
// told by its fault injection to answer every request 503.
//
// The engine's BuildKit (0.13, in dockerd 26.1) speaks the v1 cache protocol (`_apis/artifactcache`)
// to ACTIONS_CACHE_URL, with ACTIONS_RUNTIME_TOKEN read as a JWT whose `ac` claim lists the scopes;
// the stand-in serves the v2 protocol only, but its faults apply to any request. Faults it cannot
// stage against BuildKit 0.13 are tested on recorded output instead
// (__tests__/integration/builder-faults.test.ts): a 429 makes BuildKit retry for 5 minutes, and an
// entry that already exists is skipped by BuildKit without a word.
import { jest } from '@jest/globals';
import { jobEnv } from '../support/cache-standin.js';
import { type PullRequestFixture } from '../support/git-fixture.js';
import { reportOf, rowOf, usePrHarness, type AnySide } from '../support/pr-run.js';
import { type ActionRun } from '../support/run-action.js';

jest.setTimeout(5 * 60_000);

const PR = 61;
const DOCKERFILE = ['FROM image-budget/busybox AS release', 'RUN seq 1 20000 > /data.txt && echo cache-faults > /marker', ''].join('\n');

/** An unsigned JWT as the runner's ACTIONS_RUNTIME_TOKEN: BuildKit reads its scopes and lifetime, never its signature. */
function runtimeToken(): string {
  const part = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const scopes = [
    { Scope: `refs/pull/${PR}/merge`, Permission: 3 },
    { Scope: 'refs/heads/main', Permission: 1 }
  ];
  return `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ ac: JSON.stringify(scopes), nbf: now - 60, exp: now + 3600 })}.c2ln`;
}

const h = usePrHarness({ cache: { defaultBranch: 'main', scope: `refs/pull/${PR}/merge`, baseRef: 'refs/heads/main', token: runtimeToken() } });
let f: PullRequestFixture;

beforeAll(async () => {
  f = await h.pr({ Dockerfile: DOCKERFILE }, { Dockerfile: DOCKERFILE }, PR);
});

function run(cacheInput: string): Promise<ActionRun> {
  // Only the head is built: the faults are the cache's, not the baseline's.
  return h.runOnPr(f, { targets: 'release', baseline: 'none', cache: cacheInput }, {
    // ACTIONS_CACHE_URL: where BuildKit 0.13's gha cache goes (the v1 protocol's variable).
    env: { ...jobEnv(h.cache), ACTIONS_CACHE_URL: h.cache.url }
  });
}

async function head(r: ActionRun): Promise<AnySide> {
  return rowOf(await reportOf(r), 'release').head;
}

test('a cache service answering 503 to every request: the build and its measurement count, the cache trouble is a warning (row 11)', async () => {
  h.cache.setFault({ status: 503 });
  const before = h.cache.requests().length;
  const faulty = await run('gha');
  h.cache.setFault(undefined);

  expect(faulty.code).toBe(0);
  expect(faulty.errors).toEqual([]);
  // The engine really asked the cache: BuildKit's v1 lookups, answered 503.
  const asked = h.cache.requests().slice(before);
  expect(asked.length).toBeGreaterThan(0);
  expect(asked.every((r) => r.path.startsWith('/_apis/artifactcache/') && r.status === 503)).toBe(true);
  // The build asked for an export that may fail (ignore-error=true), and it failed: one warning, said once.
  expect(faulty.stdout).toMatch(/--cache-to type=gha,scope=[^ ]*,ignore-error=true|exporting to GitHub Actions Cache/);
  const cacheWarnings = faulty.warnings.filter((w) => w.startsWith('cache'));
  expect(cacheWarnings).toEqual([expect.stringMatching(/^cache \(head release\): unknown error 503 Service Unavailable: .*"code":"unavailable"/)]);
  const measured = await head(faulty);
  expect(measured.state).toBe('measured');
  expect(measured.compressedBytes).toBeGreaterThan(0);

  // The same image as a build without any cache: the fault cost nothing but the warning.
  const clean = await run('none');
  expect(clean.code).toBe(0);
  expect(clean.warnings.filter((w) => w.startsWith('cache'))).toEqual([]);
  const reference = await head(clean);
  expect(reference.state).toBe('measured');
  expect(measured.digest).toBe(reference.digest);
  expect(measured.compressedBytes).toBe(reference.compressedBytes);
});
