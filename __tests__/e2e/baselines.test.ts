// End to end: stored baselines and the events around them, through the bundled dist/index.js run as
// the runner runs it, against the real engine, a loopback stand-in of the Actions cache service (the
// protocol @actions/cache speaks, and the store speaks) and the GitHub stand-in. A push run stores its report; a pull
// request then compares with it without building its base; broken, foreign and missing reports fall
// back to building; merge_group, schedule and pull_request_target behave as the README says.
import { jest } from '@jest/globals';
import { mkdtemp, readFile } from 'node:fs/promises';
import path from 'node:path';
import { ActionsCacheStore } from '../../src/baseline/actions-cache.js';
import { baselineKey } from '../../src/baseline/store.js';
import type { Report } from '../../src/report/report.js';
import { applyEnv, jobEnv } from '../support/cache-standin.js';
import { runGit, type FileTree, type PullRequestFixture } from '../support/git-fixture.js';
import { reportOf, rowOf, usePrHarness, type PrRunOptions, type Row } from '../support/pr-run.js';
import { mermaidBlocks, parseMermaid } from '../support/mermaid.js';
import { runAction, type ActionRun } from '../support/run-action.js';

jest.setTimeout(5 * 60_000);

const BUILDER = ['FROM image-budget/busybox AS builder', 'RUN mkdir -p /out && seq 1 60000 > /out/data.txt && echo app > /out/app'];
const SCRATCH = ['FROM scratch AS release', 'COPY --from=builder /out/ /app/'];
const FAT = ['FROM builder AS release', 'COPY --from=builder /out/ /app/'];
/** A tree whose commits differ from every other test's (the marker), so keys and SHAs never collide. */
const tree = (marker: string, ...parts: string[][]): FileTree => ({ Dockerfile: `${parts.flat().join('\n')}\n`, 'marker.txt': `${marker}\n` });

const h = usePrHarness({ cache: { defaultBranch: 'main' } });

const cacheEnv = (): Record<string, string> => jobEnv(h.cache);

function fixture(marker: string, base: FileTree, head: FileTree, prNumber: number, more: { branches?: Record<string, FileTree> } = {}): Promise<PullRequestFixture> {
  return h.pr(base, head, prNumber, more.branches ? { branches: more.branches } : {});
}

/** A depth-1 checkout of `sha` of origin, as actions/checkout makes one for a push of it. */
async function checkoutAt(f: PullRequestFixture, sha: string): Promise<string> {
  const ws = path.join(await mkdtemp(path.join(f.root, 'push-')), 'ws');
  await runGit(f.root, ['init', '--quiet', ws]);
  await runGit(ws, ['remote', 'add', 'origin', f.originUrl]);
  await runGit(ws, ['-c', 'protocol.version=2', 'fetch', '--quiet', '--no-tags', '--depth=1', 'origin', `+${sha}:refs/remotes/origin/main`]);
  await runGit(ws, ['checkout', '--quiet', '--force', 'refs/remotes/origin/main']);
  return ws;
}

/** A depth-1 clone of origin's `main` (the base commit): the workspace of a push run there. */
async function mainCheckout(f: PullRequestFixture): Promise<string> {
  const dir = await mkdtemp(path.join(f.root, 'push-'));
  await runGit(f.root, ['clone', '--quiet', '--depth', '1', '--branch', 'main', '--', f.originUrl, path.join(dir, 'ws')]);
  return path.join(dir, 'ws');
}

const REPOSITORY = { full_name: 'o/r', name: 'r', owner: { login: 'o' }, default_branch: 'main' };

/** A push of `sha` to main, as the runner runs it, with the cache runtime of the default branch. */
async function pushRun(workspace: string, sha: string, inputs: Record<string, string>): Promise<ActionRun> {
  h.cache.setScope('refs/heads/main');
  return runAction({
    workspace,
    eventName: 'push',
    payload: { before: '0'.repeat(40), after: sha, ref: 'refs/heads/main', repository: REPOSITORY },
    inputs: { network: 'none', cache: 'none', targets: 'release', ...inputs },
    env: { ...cacheEnv(), GITHUB_SHA: sha, GITHUB_REF: 'refs/heads/main', GITHUB_API_URL: h.github.url }
  });
}

function prRun(f: PullRequestFixture, inputs: Record<string, string>, more: Pick<PrRunOptions, 'baseSha' | 'fork' | 'eventName'> = {}): Promise<ActionRun> {
  h.cache.setScope(`refs/pull/${f.prNumber}/merge`, 'refs/heads/main');
  return h.runOnPr(f, { cache: 'none', targets: 'release', ...inputs }, { ...more, env: cacheEnv() });
}

const release = (r: Report): Row => rowOf(r, 'release');
const BUILT_BASE = /Build base target release/;

/** Stores `text` under the baseline key of `sha`, as a default-branch run would. */
async function seed(key: string, sha: string, text: string): Promise<void> {
  h.cache.setScope('refs/heads/main');
  const restore = applyEnv(h.cache.env);
  try {
    const store = new ActionsCacheStore();
    expect(await store.save(baselineKey('o/r', key, sha), text)).toBe(true);
  } finally {
    restore();
  }
}

describe('a push stores its report; the pull request compares with it without building the base', () => {
  let f: PullRequestFixture;
  let push: ActionRun;
  let stored: ActionRun;
  let built: ActionRun;

  beforeAll(async () => {
    f = await fixture('stored', tree('stored', BUILDER, SCRATCH), tree('stored', BUILDER, FAT), 51);
    push = await pushRun(await mainCheckout(f), f.baseSha, { 'comment-key': 'stored' });
    stored = await prRun(f, { 'comment-key': 'stored', 'max-increase': '10%' });
    built = await prRun(f, { 'comment-key': 'stored', 'max-increase': '10%', baseline: 'build' });
  });

  test('the push run stores its report under the commit, from the default branch', async () => {
    expect(push.code).toBe(0);
    const key = baselineKey('o/r', 'stored', f.baseSha);
    expect(push.stdout).toContain(`Stored this report as the baseline of ${f.baseSha}`);
    const entry = h.cache.entries().find((e) => e.key === key);
    expect(entry).toMatchObject({ finalized: true, scope: 'refs/heads/main' });
    expect((await reportOf(push)).head.sha).toBe(f.baseSha);
  });

  test('the pull request uses it: no base build, a note that says so, and it does not store anything itself', async () => {
    expect(stored.stdout).not.toMatch(BUILT_BASE);
    expect(stored.stdout).toMatch(new RegExp(`Baseline: the report stored by the push run 1 of ${f.baseSha}`));
    const r = await reportOf(stored);
    expect(r.base?.sha).toBe(f.baseSha);
    expect(r.notes.join('\n')).toMatch(/the base was not rebuilt/);
    expect(release(r)).toMatchObject({ status: 'changed', regressed: true });
    expect(stored.code).toBe(1);
    expect(h.cache.entries().filter((e) => e.key.includes('-stored-'))).toHaveLength(1);
    // The summary is what the comment was before the `baseline: build` run below edited it.
    expect(stored.summary).toContain('the base was not rebuilt');
    expect(h.github.commentsOn(51)).toHaveLength(1);
  });

  test("the stored base's numbers are the ones a base build gives", async () => {
    expect(built.stdout).toMatch(BUILT_BASE);
    const a = release(await reportOf(stored)).base;
    const b = release(await reportOf(built)).base;
    expect(a.state).toBe('measured');
    for (const k of ['digest', 'compressedBytes', 'uncompressedBytes', 'layerCount', 'method'] as const) expect(a[k]).toBe(b[k]);
  });
});

describe('details: files with a stored baseline: the comment has the files table a base build gives', () => {
  // data.txt grows by 60,000 B (seq to 70000), small.txt shrinks from 292 to 141 B, gone.txt goes, new.txt comes.
  const files = (run: string): string[] => ['FROM image-budget/busybox AS builder', `RUN mkdir -p /out && echo app > /out/app && ${run}`];
  const BASE_FILES = files('seq 1 60000 > /out/data.txt && seq 1 100 > /out/small.txt && echo gone > /out/gone.txt');
  const HEAD_FILES = files('seq 1 70000 > /out/data.txt && seq 1 50 > /out/small.txt && seq 1 1000 > /out/new.txt');
  const ROWS = [
    '| grown | `/app/data.txt` | 349 kB | 409 kB | +60.0 kB |',
    '| added | `/app/new.txt` | — | 3.89 kB | +3.89 kB |',
    '| shrunk | `/app/small.txt` | 292 B | 141 B | -151 B |',
    '| removed | `/app/gone.txt` | 5 B | — | -5 B |'
  ];
  const tableOf = (body: string): string[] => body.split('\n').filter((l) => /^\| (added|removed|grown|shrunk) \|/.test(l));
  const lastComment = (): string => h.github.commentsOn(62).at(-1)?.body ?? '';
  let f: PullRequestFixture;
  let push: ActionRun;
  let run: ActionRun;
  let body: string;
  let built: string;

  beforeAll(async () => {
    f = await fixture('stored-files', tree('stored-files', BASE_FILES, SCRATCH), tree('stored-files', HEAD_FILES, SCRATCH), 62);
    push = await pushRun(await mainCheckout(f), f.baseSha, { 'comment-key': 'stored-files', details: 'layers,files' });
    run = await prRun(f, { 'comment-key': 'stored-files', details: 'layers,files' });
    body = lastComment();
    await prRun(f, { 'comment-key': 'stored-files', details: 'layers,files', baseline: 'build' });
    built = lastComment();
  });

  test("the push stores the image's files in its report", async () => {
    expect(push.code).toBe(0);
    const head = release(await reportOf(push)).head;
    expect(head.state === 'measured' && head.files?.final?.listed.map((e) => [e.path, e.bytes])).toEqual([
      ['app/data.txt', 348_894],
      ['app/small.txt', 292],
      ['app/gone.txt', 5],
      ['app/app', 4]
    ]);
  });

  test('the pull request compares with the stored report and its comment lists the files added, grown, shrunk and removed', async () => {
    expect(run.code).toBe(0);
    expect(run.stdout).not.toMatch(BUILT_BASE);
    expect(body).toContain('<code>release</code> · linux/amd64 · 4 files changed · 0 B wasted</summary>');
    expect(tableOf(body)).toEqual(ROWS);
    expect(tableOf(built)).toEqual(ROWS);
    expect(body).toContain('_In all: 1 file added (+3.89 kB), 1 removed (-5 B), 1 grown (+60.0 kB), 1 shrunk (-151 B)._');
    expect(body).toContain('**Wasted space**: 0 B (0.0% of the image); base: 0 B.');
    expect(body).not.toContain('file list');
  });

  test('a stored report of an older version (no file list): no files table, a note that says why', async () => {
    const old = JSON.parse(await readFile(push.outputs.report!, 'utf8')) as { targets: Array<{ head: { files: { final?: unknown } } }> };
    delete old.targets[0]!.head.files.final;
    await seed('stored-files-old', f.baseSha, JSON.stringify(old));
    const again = await prRun(f, { 'comment-key': 'stored-files-old', details: 'layers,files' });
    expect(again.stdout).not.toMatch(BUILT_BASE);
    const comment = h.github.commentsOn(62).find((c) => c.body.includes('image-budget:stored-files-old'))?.body ?? '';
    expect(comment).toContain('<code>release</code> · linux/amd64 · 0 B wasted</summary>\n\n_The stored baseline has no file list, so file changes are not shown._\n\n**Wasted space**');
    expect(tableOf(comment)).toEqual([]);
  });
});

describe('details: trend: the sizes the base branch stored, commit by commit, then this head', () => {
  // main's history: three commits whose release grows (data.txt of 20,000, 40,000, 50,000 lines),
  // the second of which stored no report (its push run was skipped), then the base (60,000).
  const grown = (lines: number): string[] => ['FROM image-budget/busybox AS builder', `RUN mkdir -p /out && seq 1 ${lines} > /out/data.txt && echo app > /out/app`];
  let f: PullRequestFixture;
  const stored = new Map<string, number>();
  let run: ActionRun;
  let body = '';

  beforeAll(async () => {
    f = await h.pr(tree('trend', BUILDER, SCRATCH), tree('trend', BUILDER, FAT), 58, {
      history: [tree('trend', grown(20_000), SCRATCH), tree('trend', grown(40_000), SCRATCH), tree('trend', grown(50_000), SCRATCH)]
    });
    const pushed = [f.historyShas[0]!, f.historyShas[2]!, f.baseSha];
    for (const sha of pushed) {
      const push = await pushRun(await checkoutAt(f, sha), sha, { 'comment-key': 'trend' });
      expect(push.code).toBe(0);
      const head = release(await reportOf(push)).head;
      if (head.state !== 'measured' || head.compressedBytes === undefined) throw new Error(`release at ${sha} was not measured`);
      stored.set(sha, head.compressedBytes);
    }
    run = await prRun(f, { 'comment-key': 'trend' });
    body = h.github.commentsOn(58)[0]?.body ?? '';
  });

  test('the comment charts release at the commits that stored a report, oldest first, this head last, each by its short SHA', async () => {
    expect(run.code).toBe(0);
    const head = release(await reportOf(run)).head;
    if (head.state !== 'measured' || head.compressedBytes === undefined) throw new Error('head not measured');
    const shas = [f.historyShas[0]!, f.historyShas[2]!, f.baseSha];
    const values: number[] = [...shas.map((sha) => stored.get(sha)!), head.compressedBytes];
    expect(body).toContain('<details><summary>Trend: compressed size at 3 earlier commits of the base branch and this head</summary>');
    expect(body).toContain(`    x-axis [${[...shas.map((sha) => `"${sha.slice(0, 7)}"`), `"${f.mergeSha.slice(0, 7)} (head)"`].join(', ')}]`);
    expect(body).toContain(`    line [${values.map((v) => Number((v / 1e6).toPrecision(4))).join(', ')}]`);
    // The history grew, then the pull request's release took the whole builder.
    expect(values[0]!).toBeLessThan(values[1]!);
    expect(values[1]!).toBeLessThan(values[2]!);
    expect(values[3]!).toBeGreaterThan(values[2]! * 5);
    expect(run.summary).toContain('Trend: compressed size at 3 earlier commits');
    expect(run.stdout).toContain('Trend: 3 of the last 4 commits of the base branch stored a report.');
  });

  test('mermaid parses every chart of the comment', () => {
    const blocks = mermaidBlocks(body);
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    expect(parseMermaid(blocks)).toEqual(blocks.map(() => ({ ok: true, type: 'xychart' })));
  });

  test('details without trend, or baseline: none (no stored report is read): no lookup, no chart', async () => {
    for (const inputs of [{ details: 'layers,files' }, { baseline: 'none' }] as Array<Record<string, string>>) {
      const without = await prRun(f, { 'comment-key': 'trend', ...inputs });
      expect(without.stdout).not.toContain('Look up the size history');
      expect(without.summary).not.toContain('Trend:');
    }
  });
});

describe('stored reports that are not used', () => {
  test.each<[string, (sha: string, good: string) => string, RegExp]>([
    ['that is corrupted', () => '{"schema": "image-budget/report", "version": 1, "targets": [', /Ignoring the stored baseline of [0-9a-f]{12}: it is not valid JSON/],
    ['of another schema version', (_sha, good) => JSON.stringify({ ...JSON.parse(good), version: 2 }), /it has schema version 2; this version of the action reads version 1/],
    ['of another commit', (_sha, good) => JSON.stringify({ ...JSON.parse(good), head: { sha: 'f'.repeat(40) } }), /it is the report of another commit/]
  ])('a report %s is ignored with a warning and the base is built', async (name, make, warning) => {
    const key = `bad-${name.replace(/\W+/g, '-')}`;
    const f = await fixture(key, tree(key, BUILDER, SCRATCH), tree(key, BUILDER, FAT), 52);
    // A real report of the base commit, then spoiled.
    const push = await pushRun(await mainCheckout(f), f.baseSha, { 'comment-key': `${key}-real` });
    const good = await readFile(push.outputs.report!, 'utf8');
    await seed(key, f.baseSha, make(f.baseSha, JSON.stringify({ ...JSON.parse(good) })));
    const run = await prRun(f, { 'comment-key': key });
    expect(run.warnings.join('\n')).toMatch(warning);
    expect(run.stdout).toMatch(BUILT_BASE);
    expect(release(await reportOf(run)).base.state).toBe('measured');
    expect(run.code).toBe(0);
  });

  test('no stored report: the base is built, without a warning', async () => {
    const f = await fixture('missing', tree('missing', BUILDER, SCRATCH), tree('missing', BUILDER, FAT), 53);
    const run = await prRun(f, { 'comment-key': 'missing' });
    expect(run.stdout).toMatch(BUILT_BASE);
    expect(run.warnings.join('\n')).not.toMatch(/baseline/i);
  });

  test('a report stored by a pull request is not visible to another pull request', async () => {
    const f = await fixture('pr-scoped', tree('pr-scoped', BUILDER, SCRATCH), tree('pr-scoped', BUILDER, FAT), 54);
    const push = await pushRun(await mainCheckout(f), f.baseSha, { 'comment-key': 'pr-scoped-real' });
    const text = await readFile(push.outputs.report!, 'utf8');
    h.cache.setScope('refs/pull/99/merge', 'refs/heads/main');
    const restore = applyEnv(h.cache.env);
    try {
      await new ActionsCacheStore().save(baselineKey('o/r', 'pr-scoped', f.baseSha), text);
    } finally {
      restore();
    }
    const run = await prRun(f, { 'comment-key': 'pr-scoped' });
    expect(run.stdout).toMatch(BUILT_BASE);
  });

  test('baseline: report without a stored report builds nothing and judges absolute budgets only', async () => {
    const f = await fixture('report-only', tree('report-only', BUILDER, SCRATCH), tree('report-only', BUILDER, FAT), 55);
    const run = await prRun(f, { 'comment-key': 'report-only', baseline: 'report', 'max-increase': '1%', 'max-size': '100MB' });
    expect(run.code).toBe(0);
    expect(run.stdout).not.toMatch(BUILT_BASE);
    const r = await reportOf(run);
    expect(release(r).status).toBe('no-baseline');
    expect(r.notes.join('\n')).toMatch(/No stored baseline report found for [0-9a-f]{40}; sizes are absolute/);
  });

  test('a cache service that fails: a warning, and the base is built', async () => {
    const f = await fixture('cache-down', tree('cache-down', BUILDER, SCRATCH), tree('cache-down', BUILDER, FAT), 56);
    h.cache.setFault({ status: 500 });
    const before = h.cache.requests().length;
    try {
      const run = await prRun(f, { 'comment-key': 'cache-down' });
      // The lookup was made (and retried) against the failing service, and said so; then the base was built.
      const lookups = h.cache.requests().slice(before).filter((r) => r.target === 'GetCacheEntryDownloadURL');
      expect(lookups.length).toBeGreaterThanOrEqual(5);
      expect(run.warnings.join('\n')).toMatch(/Stored baselines could not be read from the Actions cache: the Actions cache did not answer GetCacheEntryDownloadURL after 5 attempts: 500/);
      expect(run.stdout).toMatch(BUILT_BASE);
      expect(release(await reportOf(run)).base.state).toBe('measured');
      expect(run.code).toBe(0);
    } finally {
      h.cache.setFault(undefined);
    }
  });

  test('a push whose report cannot be stored still passes, with a warning', async () => {
    const f = await fixture('store-down', tree('store-down', BUILDER, SCRATCH), tree('store-down', BUILDER, FAT), 57);
    const ws = await mainCheckout(f);
    h.cache.setFault({ status: 500 });
    let run: ActionRun;
    try {
      run = await pushRun(ws, f.baseSha, { 'comment-key': 'store-down' });
    } finally {
      h.cache.setFault(undefined);
    }
    expect(run.code).toBe(0);
    expect(run.warnings.join('\n')).toMatch(/Could not store this report as the baseline of [0-9a-f]{40}/);
    expect(run.summary).toContain('release');
  });
});

test("the base commit has no report: its parent's is used, and the comment says which", async () => {
  // `next` is a child of the base commit B on origin; the pull request's base is `next`, which has
  // no stored report; B has one.
  const f = await fixture('ancestor', tree('ancestor', BUILDER, SCRATCH), tree('ancestor', BUILDER, FAT), 58, {
    branches: { next: tree('ancestor-next', BUILDER, SCRATCH) }
  });
  await pushRun(await mainCheckout(f), f.baseSha, { 'comment-key': 'ancestor' });
  const next = f.branchShas.next!;
  const run = await prRun(f, { 'comment-key': 'ancestor' }, { baseSha: next });
  expect(run.stdout).not.toMatch(BUILT_BASE);
  const r = await reportOf(run);
  expect(r.base?.sha).toBe(f.baseSha);
  expect(r.notes.join('\n')).toContain(`Baseline: ${next.slice(0, 12)} has no stored report; compared with the report of its ancestor ${f.baseSha.slice(0, 12)}, 1 commit earlier.`);
  expect(h.github.commentsOn(58).at(-1)?.body).toContain(`its ancestor ${f.baseSha.slice(0, 12)}`);
});

describe('events', () => {
  test('merge_group compares base_sha with head_sha and judges growth, without commenting', async () => {
    const f = await fixture('merge-group', tree('merge-group', BUILDER, SCRATCH), tree('merge-group', BUILDER, FAT), 59);
    const requests = h.github.state.requests.length;
    h.cache.setScope('refs/heads/gh-readonly-queue/main/pr-59');
    const run = await runAction({
      workspace: f.checkout,
      eventName: 'merge_group',
      payload: {
        action: 'checks_requested',
        merge_group: { base_sha: f.baseSha, head_sha: f.mergeSha, base_ref: 'refs/heads/main', head_ref: 'refs/heads/gh-readonly-queue/main/pr-59' },
        repository: REPOSITORY
      },
      inputs: { network: 'none', cache: 'none', targets: 'release', 'max-increase': '10%', 'comment-key': 'merge-group' },
      env: { ...cacheEnv(), GITHUB_API_URL: h.github.url, GITHUB_SHA: f.mergeSha, GITHUB_REF: 'refs/heads/gh-readonly-queue/main/pr-59' }
    });
    expect(run.code).toBe(1);
    const r = await reportOf(run);
    expect(r.head.sha).toBe(f.mergeSha);
    expect(r.base?.sha).toBe(f.baseSha);
    expect(release(r)).toMatchObject({ status: 'changed', regressed: true });
    expect(h.github.state.requests.length).toBe(requests);
    expect(run.summary).toContain('release');
  });

  test('schedule measures and stores the report of the checked-out commit', async () => {
    const f = await fixture('schedule', tree('schedule', BUILDER, SCRATCH), tree('schedule', BUILDER, FAT), 60);
    const ws = await mainCheckout(f);
    h.cache.setScope('refs/heads/main');
    const run = await runAction({
      workspace: ws,
      eventName: 'schedule',
      payload: { schedule: '0 3 * * *', repository: REPOSITORY },
      inputs: { network: 'none', cache: 'none', targets: 'release', 'comment-key': 'schedule' },
      env: { ...cacheEnv(), GITHUB_SHA: f.baseSha, GITHUB_REF: 'refs/heads/main' }
    });
    expect(run.code).toBe(0);
    expect(h.cache.entries().some((e) => e.key === baselineKey('o/r', 'schedule', f.baseSha) && e.finalized)).toBe(true);
    expect(release(await reportOf(run))).toMatchObject({ status: 'no-baseline', head: { state: 'measured' } });
  });

  test('pull_request_target from a fork is refused unless allow-fork-builds is true, then built with a warning', async () => {
    const f = await fixture('target', tree('target', BUILDER, SCRATCH), tree('target', BUILDER, FAT), 61);
    const refused = await prRun(f, { 'comment-key': 'target' }, { eventName: 'pull_request_target', fork: true });
    expect(refused.code).toBe(1);
    expect(refused.errors.join('\n')).toMatch(/Refusing to build a fork's pull request on pull_request_target.*allow-fork-builds: true/s);
    expect(refused.stdout).not.toMatch(/Build head target/);

    const allowed = await prRun(f, { 'comment-key': 'target', 'allow-fork-builds': 'true' }, { eventName: 'pull_request_target', fork: true });
    expect(allowed.warnings.join('\n')).toMatch(/allow-fork-builds is true: building a fork's pull request on pull_request_target/);
    expect(allowed.stdout).toMatch(/Build head target release/);
    expect(release(await reportOf(allowed)).head.state).toBe('measured');
  });
});
