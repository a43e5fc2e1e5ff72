// End to end: the bundled dist/index.js, run as the runner runs it, in real git checkouts shaped like
// actions/checkout's pull-request checkout, against the real Docker engine and a loopback GitHub.
import { jest } from '@jest/globals';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runGit, type PullRequestFixture } from '../support/git-fixture.js';
import { buildAndRead } from '../support/independent.js';
import { BUILDER, RELEASE_FAT, RELEASE_SCRATCH, dockerfile, parseReport, reportOf, rowOf, rowsOf, usePrHarness } from '../support/pr-run.js';
import { pullRequestPayload, runAction } from '../support/run-action.js';

jest.setTimeout(5 * 60_000);

const h = usePrHarness();

test('a release stage that changes from FROM scratch to FROM builder fails max-increase, after commenting', async () => {
  const f = await h.pr({ Dockerfile: dockerfile(BUILDER, RELEASE_SCRATCH) }, { Dockerfile: dockerfile(BUILDER, RELEASE_FAT) }, 11);
  const headBefore = await runGit(f.checkout, ['rev-parse', 'HEAD']);
  const run = await h.runOnPr(f, { targets: 'release', 'max-increase': '10%' });

  expect(run.code).toBe(1);
  expect(run.outputs.regressed).toBe('true');
  const r = await reportOf(run);
  expect(r.version).toBe(1);
  const release = rowOf(r, 'release');
  expect(release.status).toBe('changed');
  expect(release.regressed).toBe(true);
  expect(release.verdicts.find((v) => v.rule === 'max-increase')).toMatchObject({ ok: false });
  // Posted first, then failed (RELIABILITY row 50): one comment with our marker, the summary, an annotation.
  const comments = h.github.commentsOn(11);
  expect(comments).toHaveLength(1);
  expect(comments[0]!.body).toContain('<!-- image-budget:image-budget -->');
  expect(comments[0]!.body).toContain('release');
  expect(run.outputs['comment-id']).toBe(String(comments[0]!.id));
  expect(run.outputs['comment-url']).toContain(`#issuecomment-${comments[0]!.id}`);
  expect(run.summary).toContain('release');
  expect(run.errors.join('\n')).toMatch(/release.*max-increase 10%|max-increase 10%/s);
  // The base commit was not in the depth-1 checkout: it was fetched and built outside it, in the
  // temp folder that is gone afterwards, and the checkout itself is untouched.
  expect(release.base.state).toBe('measured');
  expect(await runGit(f.checkout, ['rev-parse', 'HEAD'])).toBe(headBefore);
  expect(await runGit(f.checkout, ['status', '--porcelain', '--ignored'])).toBe('');
  expect((await runGit(f.checkout, ['worktree', 'list', '--porcelain'])).match(/^worktree /gm)).toHaveLength(1);
  expect((await readdir(run.runnerTemp)).filter((d) => d.startsWith('image-budget-'))).toEqual([]);
  expect(run.state.cleaned).toBe('true');
  // Comment first, failure last (RELIABILITY row 50).
  const commented = run.stdout.indexOf('Comment created');
  expect(commented).toBeGreaterThan(-1);
  expect(run.stdout.indexOf('::error::Image budget exceeded')).toBeGreaterThan(commented);

  // Every number equals an independent reading of the same image.
  const independent = await buildAndRead(f.checkout, 'release');
  expect(independent.size).toBe(1);
  const [reading] = [...independent.values()];
  expect(release.head.compressedBytes).toBe(reading!.compressedBytes);
  expect(release.head.uncompressedBytes).toBe(reading!.uncompressedBytes);
  expect(release.head.layerCount).toBe(reading!.layerCount);
  expect(release.head.layers!.map((l) => l.digest)).toEqual(reading!.layerDigests);
});

test('an improvement passes and reports the saving', async () => {
  const f = await h.pr({ Dockerfile: dockerfile(BUILDER, RELEASE_FAT) }, { Dockerfile: dockerfile(BUILDER, RELEASE_SCRATCH) }, 12);
  const run = await h.runOnPr(f, { targets: 'release', 'max-increase': '10%', 'max-size': '1MB' });
  expect(run.code).toBe(0);
  expect(run.outputs.regressed).toBe('false');
  const release = rowOf(await reportOf(run), 'release');
  expect(release.status).toBe('changed');
  expect(release.head.compressedBytes!).toBeLessThan(release.base.compressedBytes!);
  expect(release.verdicts.every((v) => v.ok)).toBe(true);
  expect(h.github.commentsOn(12)).toHaveLength(1);
});

test('two targets where only one grows: one changed row, one unchanged; a second run edits the same comment', async () => {
  const base = { Dockerfile: dockerfile(BUILDER, RELEASE_SCRATCH) };
  const head = {
    Dockerfile: dockerfile(
      ['FROM image-budget/busybox AS builder', 'RUN mkdir -p /out && seq 1 60000 > /out/data.txt && echo app > /out/app', 'FROM builder AS debug', 'RUN seq 1 30000 > /extra.txt'],
      RELEASE_SCRATCH
    )
  };
  const f = await h.pr(base, head, 13);
  const first = await h.runOnPr(f, { targets: 'release\ndebug', 'max-increase': 'release=5%,debug=50%' });
  expect(first.code).toBe(0);
  const r = await reportOf(first);
  expect(rowOf(r, 'release').status).toBe('unchanged');
  expect(rowOf(r, 'debug').status).toBe('changed');
  expect(r.targets.map((t) => t.target)).toEqual(['release', 'debug']);
  const [comment] = h.github.commentsOn(13);
  expect(comment).toBeDefined();
  const firstBody = comment!.body;
  expect(firstBody).toContain('debug');

  // Same pull request again with a tighter budget: the same comment is edited in place.
  const patchesBefore = h.github.requests('PATCH').length;
  const second = await h.runOnPr(f, { targets: 'release, debug', 'max-increase': 'release=5%,debug=1%' });
  expect(second.code).toBe(1);
  const after = h.github.commentsOn(13);
  expect(after).toHaveLength(1);
  expect(after[0]!.id).toBe(comment!.id);
  expect(h.github.requests('PATCH').length).toBe(patchesBefore + 1);
  expect(after[0]!.body).not.toBe(firstBody);
  expect(after[0]!.body).toContain('max-increase 1%');
  expect(second.outputs['comment-id']).toBe(String(comment!.id));
});

test('a fork pull request with a read-only token still passes, with a warning and the summary', async () => {
  const f = await h.pr({ Dockerfile: dockerfile(BUILDER, RELEASE_SCRATCH) }, { Dockerfile: dockerfile(BUILDER, RELEASE_SCRATCH, ['COPY --from=builder /out/app /app2']) }, 14);
  const posts = h.github.requests('POST').length;
  const run = await h.runOnPr(f, { targets: 'release' }, { token: 'read-token', fork: true });
  expect(run.code).toBe(0);
  expect(run.warnings.join('\n')).toMatch(/pull-requests: write/);
  expect(run.warnings.join('\n')).toMatch(/forks always get a read-only token/);
  expect(run.summary).toContain('release');
  expect(run.outputs.report).toBeTruthy();
  expect(h.github.commentsOn(14)).toHaveLength(0);
  // It tried to post, was refused, and did not retry a 403 over and over.
  const tried = h.github.requests('POST').slice(posts).filter((q) => q.route.endsWith('/issues/14/comments'));
  expect(tried.length).toBeGreaterThanOrEqual(1);
  expect(tried.length).toBeLessThanOrEqual(2);
  expect(tried.every((q) => q.status === 403)).toBe(true);
});

describe('bad inputs fail before any build, naming the input', () => {
  let f: PullRequestFixture;
  beforeAll(async () => {
    f = await h.pr({ Dockerfile: dockerfile(BUILDER, RELEASE_SCRATCH) }, { Dockerfile: dockerfile(BUILDER, RELEASE_SCRATCH) }, 15);
  });
  test.each<[string, Record<string, string>, RegExp]>([
    ['threshold with no unit', { 'max-increase': '10' }, /Invalid input 'max-increase': "10".*expected/],
    ['threshold in words', { 'max-increase': 'ten' }, /Invalid input 'max-increase': "ten"/],
    ['boolean yes', { 'fail-on-regression': 'yes' }, /Invalid input 'fail-on-regression': "yes".*true or false/],
    ['unknown target lists the stages', { targets: 'relase' }, /Invalid input 'targets': "relase".*builder, debug, release/],
    ['Dockerfile outside the workspace', { file: '../../etc/passwd' }, /Invalid input 'file': "..\/..\/etc\/passwd"/],
    ['missing Dockerfile names the path tried', { file: 'nope/Dockerfile' }, /Invalid input 'file': "nope\/Dockerfile".*nope\/Dockerfile/],
    ['unknown comment mode', { comment: 'sometimes' }, /Invalid input 'comment': "sometimes".*always/],
    ['per-target budget for a target not built', { targets: 'release', 'max-size': 'debug=10MB' }, /Invalid input 'max-size'/]
  ])('%s', async (_name, inputs, message) => {
    // No engine is reachable: if the action got as far as building, the error would be Docker's.
    const run = await h.runOnPr(f, inputs, { env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' } });
    expect(run.code).toBe(1);
    expect(run.errors.join('\n')).toMatch(message);
    expect(run.stdout).not.toMatch(/Build head target/);
  });

  test('an unreachable Docker daemon fails fast with its error', async () => {
    const run = await h.runOnPr(f, { targets: 'release' }, { env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' } });
    expect(run.code).toBe(1);
    expect(run.errors.join('\n')).toContain(
      'The Docker daemon is not reachable: Cannot connect to the Docker daemon at unix:///nonexistent/docker.sock. Is the docker daemon running?'
    );
    expect(run.stdout).not.toMatch(/Build head target/);
  });
});

describe('targets and builds that come and go', () => {
  test('a target the base lacks is new, one the head lacks is removed; neither fails', async () => {
    const f = await h.pr(
      { Dockerfile: dockerfile(BUILDER, ['FROM scratch AS old', 'COPY --from=builder /out/app /app']) },
      { Dockerfile: dockerfile(BUILDER, RELEASE_SCRATCH) },
      21
    );
    const run = await h.runOnPr(f, { targets: 'release, old', 'max-increase': '1%' });
    expect(run.code).toBe(0);
    const r = await reportOf(run);
    expect(rowOf(r, 'release').status).toBe('new');
    expect(rowOf(r, 'old').status).toBe('removed');
    expect(r.regressed).toBe(false);
  });

  test('a failing head build fails the step with its error, after the summary and the comment; build-arg values never leak', async () => {
    const secret = 'hunter2-very-secret-value';
    const f = await h.pr(
      { Dockerfile: dockerfile(BUILDER, RELEASE_SCRATCH) },
      { Dockerfile: dockerfile(BUILDER, ['FROM builder AS release', 'ARG TOKEN', 'RUN echo "token is $TOKEN" && exit 3']) },
      22
    );
    const run = await h.runOnPr(f, { targets: 'release', 'build-args': `TOKEN=${secret}` });
    expect(run.code).toBe(1);
    expect(run.errors.join('\n')).toMatch(/release/);
    expect(run.errors.join('\n')).toMatch(/exit code: 3/);
    expect(run.summary).toMatch(/build failed/i);
    const [comment] = h.github.commentsOn(22);
    expect(comment?.body).toMatch(/build failed/i);
    const reportText = await readFile(run.outputs.report!, 'utf8');
    // `::add-mask::` is the runner's own command that hides the value in every later log line; the
    // runner consumes it, it is never shown.
    const log = run.stdout.split('\n').filter((l) => !l.startsWith('::add-mask::')).join('\n');
    expect(run.stdout).toContain(`::add-mask::${secret}`);
    for (const place of [log, run.stderr, run.summary, comment!.body, reportText]) expect(place).not.toContain(secret);
    expect(rowOf(parseReport(reportText), 'release').head.state).toBe('failed');
  });

  test('a failing base build is a warning; the head is still judged on absolute budgets', async () => {
    const f = await h.pr(
      { Dockerfile: dockerfile(BUILDER, ['FROM builder AS release', 'RUN exit 5']) },
      { Dockerfile: dockerfile(BUILDER, RELEASE_SCRATCH) },
      23
    );
    const passing = await h.runOnPr(f, { targets: 'release', 'max-increase': '1%', 'max-size': '10MB' });
    expect(passing.code).toBe(0);
    expect(passing.warnings.join('\n')).toMatch(/base build of release failed/);
    expect(rowOf(await reportOf(passing), 'release').status).toBe('no-baseline');

    const tooBig = await h.runOnPr(f, { targets: 'release', 'max-size': '1kB' });
    expect(tooBig.code).toBe(1);
    expect(tooBig.errors.join('\n')).toMatch(/exceeds max-size 1 kB/);
  });
});

describe('events without a pull request', () => {
  test('push: compares with `before`, writes the summary and the report, never comments', async () => {
    const f = await h.pr({ Dockerfile: dockerfile(BUILDER, RELEASE_SCRATCH) }, { Dockerfile: dockerfile(BUILDER, RELEASE_FAT) }, 31, { checkout: 'branch' });
    const before = h.github.state.requests.length;
    const run = await runAction({
      workspace: f.checkout,
      eventName: 'push',
      payload: { before: f.baseSha, after: f.headSha, ref: 'refs/heads/feature', repository: { full_name: 'o/r', default_branch: 'main' } },
      inputs: { network: 'none', targets: 'release', 'max-increase': '1%' },
      env: { GITHUB_API_URL: h.github.url, GITHUB_SHA: f.headSha, GITHUB_REF: 'refs/heads/feature' }
    });
    // The growth is far above 1%, but a push is after the fact: only absolute budgets fail it (row 29).
    expect(run.code).toBe(0);
    expect(run.summary).toMatch(/max-increase is judged on pull requests/);
    expect(h.github.state.requests.length).toBe(before);
    const release = rowOf(await reportOf(run), 'release');
    expect(release.status).toBe('changed');
    expect(run.summary).toContain('release');
  });

  test('baseline: none measures the head alone', async () => {
    const f = await h.pr({ Dockerfile: dockerfile(BUILDER, RELEASE_SCRATCH) }, { Dockerfile: dockerfile(BUILDER, RELEASE_FAT) }, 32);
    const run = await h.runOnPr(f, { targets: 'release', baseline: 'none', 'max-increase': '1%' });
    expect(run.code).toBe(0);
    const release = rowOf(await reportOf(run), 'release');
    expect(release.status).toBe('no-baseline');
    expect(release.base.state).toBe('unavailable');
    expect(run.stdout).not.toMatch(/Build base target/);
  });
});

describe('verdicts, refusals and leftovers', () => {
  test('fail-on-regression: false warns instead of failing, with no error annotation', async () => {
    const f = await h.pr({ Dockerfile: dockerfile(BUILDER, RELEASE_SCRATCH) }, { Dockerfile: dockerfile(BUILDER, RELEASE_FAT) }, 41);
    const run = await h.runOnPr(f, { targets: 'release', 'max-increase': '10%', 'fail-on-regression': 'false' });
    expect(run.code).toBe(0);
    expect(run.outputs.regressed).toBe('true');
    expect(run.errors).toEqual([]);
    expect(run.warnings.join('\n')).toMatch(/exceeds max-increase 10%/);
  });

  test('the normalised budgets are echoed in the log and the summary (row 1)', async () => {
    const f = await h.pr({ Dockerfile: dockerfile(BUILDER, RELEASE_SCRATCH) }, { Dockerfile: dockerfile(BUILDER, RELEASE_SCRATCH) }, 42);
    const run = await h.runOnPr(f, { targets: 'release', 'max-increase': '10 mib', 'max-size': 'release=25MB' });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Budgets \(compressed size\): max-increase 10 MiB; max-size release=25 MB/);
    expect(run.summary).toMatch(/max-increase 10 MiB/);
  });

  test('pull_request_target refuses to build a fork, before any build', async () => {
    const f = await h.pr({ Dockerfile: dockerfile(BUILDER, RELEASE_SCRATCH) }, { Dockerfile: dockerfile(BUILDER, RELEASE_SCRATCH) }, 43);
    const run = await runAction({
      workspace: f.checkout,
      eventName: 'pull_request_target',
      payload: pullRequestPayload({ number: 43, baseSha: f.baseSha, headSha: f.headSha, fork: true }),
      inputs: { network: 'none', targets: 'release' },
      env: { GITHUB_API_URL: h.github.url, DOCKER_HOST: 'unix:///nonexistent/docker.sock' }
    });
    expect(run.code).toBe(1);
    expect(run.errors.join('\n')).toMatch(/Refusing to build a fork's pull request on pull_request_target/);
  });

  test('a workspace that is not a git checkout: baseline unavailable, the head still measured and judged', async () => {
    const dir = await h.temp('ib-nogit-');
    await writeFile(path.join(dir, 'Dockerfile'), dockerfile(BUILDER, RELEASE_SCRATCH));
    const run = await runAction({
      workspace: dir,
      eventName: 'pull_request',
      payload: pullRequestPayload({ number: 44, baseSha: 'a'.repeat(40), headSha: 'b'.repeat(40) }),
      inputs: { network: 'none', targets: 'release', 'max-size': '1kB', comment: 'never' },
      env: { GITHUB_API_URL: h.github.url }
    });
    expect(run.warnings.join('\n')).toMatch(/Baseline unavailable/);
    expect(rowOf(await reportOf(run), 'release').status).toBe('no-baseline');
    expect(run.code).toBe(1);
    expect(run.errors.join('\n')).toMatch(/exceeds max-size 1 kB/);
  });

  test('the post step removes the temp folder, base checkout included, that a cancelled main step left behind', async () => {
    const f = await h.pr({ Dockerfile: dockerfile(BUILDER, RELEASE_SCRATCH) }, { Dockerfile: dockerfile(BUILDER, RELEASE_SCRATCH) }, 45);
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'image-budget-'));
    // What the main step makes there: the base commit's checkout (its own repository) and layouts.
    await runGit(tmp, ['clone', '--quiet', '--depth=1', `file://${f.origin}`, 'image-budget-base-x']);
    await writeFile(path.join(tmp, 'layer.bin'), 'x');
    const before = await runGit(f.checkout, ['rev-parse', 'HEAD']);
    const run = await runAction({ workspace: f.checkout, eventName: 'pull_request', payload: {}, state: { isPost: 'true', tmpDir: tmp } });
    expect(run.code).toBe(0);
    expect(run.warnings).toEqual([]);
    expect(await runGit(f.checkout, ['rev-parse', 'HEAD'])).toBe(before);
    await expect(readdir(tmp)).rejects.toThrow(/ENOENT/);
  });
});

test('platforms linux/amd64,linux/386: one measured row per platform, each equal to an independent reading', async () => {
  const f = await h.pr({ Dockerfile: dockerfile(BUILDER, RELEASE_SCRATCH) }, { Dockerfile: dockerfile(BUILDER, RELEASE_FAT) }, 51);
  const run = await h.runOnPr(f, { targets: 'release', platforms: 'linux/amd64,linux/386', 'max-increase': '10%' });
  expect(run.code).toBe(1);
  const r = await reportOf(run);
  expect(r.targets.map((t) => [t.target, t.platform, t.status])).toEqual([
    ['release', 'linux/amd64', 'changed'],
    ['release', 'linux/386', 'changed']
  ]);
  const independent = await buildAndRead(f.checkout, 'release', ['--network', 'none', '--platform', 'linux/amd64,linux/386']);
  expect([...independent.keys()].sort()).toEqual(['linux/386', 'linux/amd64']);
  for (const t of rowsOf(r)) {
    const reading = independent.get(t.platform)!;
    expect([t.platform, t.head.compressedBytes, t.head.uncompressedBytes, t.head.layerCount]).toEqual([
      t.platform,
      reading.compressedBytes,
      reading.uncompressedBytes,
      reading.layerCount
    ]);
  }
  const [comment] = h.github.commentsOn(51);
  expect(comment!.body).toContain('linux/386');
});
