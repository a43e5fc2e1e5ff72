// The base commit checked out outside the workspace, laid out like it, against real git and a
// file:// origin shaped like GitHub (RELIABILITY rows 21-25, security 9, issue 11): the workspace,
// its .git included, is never written.
import { createHash } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Exec, ExecOptions } from '../../src/exec.js';
import { ancestorsOf } from '../../src/git/ancestors.js';
import { BaselineUnavailableError, checkoutBase } from '../../src/git/base-checkout.js';
import { Git, GitError, InvalidRefError, lastLine } from '../../src/git/git.js';
import {
  isolatedExec,
  makePullRequestCheckout,
  runGit,
  type FileTree,
  type PullRequestFixture,
  type PullRequestFixtureOptions
} from '../support/git-fixture.js';

const BASE: FileTree = {
  Dockerfile: 'FROM scratch\nCOPY base.txt /\n',
  'base.txt': 'base side\n',
  'shared/keep.txt': 'unchanged\n'
};
const HEAD: FileTree = {
  Dockerfile: 'FROM scratch\nCOPY head.txt /\n',
  'head.txt': 'head side\n',
  'shared/keep.txt': 'unchanged\n',
  // A folder named like a branch (row 23).
  'dev/README': 'a folder named dev\n'
};
const DEV: FileTree = { 'dev.txt': 'the dev branch\n' };
const OPTIONS: PullRequestFixtureOptions = { files: { base: BASE, head: HEAD }, branches: { dev: DEV } };
const MISSING_SHA = '0123456789abcdef0123456789abcdef01234567';

const fixtures: PullRequestFixture[] = [];
const tmpRoots: string[] = [];
async function fixture(extra: Partial<PullRequestFixtureOptions> = {}): Promise<PullRequestFixture> {
  const f = await makePullRequestCheckout({ ...OPTIONS, ...extra });
  fixtures.push(f);
  return f;
}
async function tmpRoot(): Promise<string> {
  const d = await mkdtemp(path.join(os.tmpdir(), 'image-budget-tmproot-'));
  tmpRoots.push(d);
  return d;
}
afterAll(async () => {
  await Promise.all([...fixtures.map((f) => f.cleanup()), ...tmpRoots.map((d) => rm(d, { recursive: true, force: true }))]);
});

/** Every file under dir (its `.git` left out): relative path → content. */
async function readTree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const rel = path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/');
    if (rel === '.git' || rel.startsWith('.git/')) continue;
    out[rel] = await readFile(path.join(dir, rel), 'utf8');
  }
  return out;
}

/** Every file and link under dir, .git included: relative path → content hash, size, mtime and mode. */
async function listing(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const rel = path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/');
    const s = await lstat(path.join(dir, rel));
    const hash = e.isFile() ? createHash('sha256').update(await readFile(path.join(dir, rel))).digest('hex') : e.isDirectory() ? 'dir' : 'other';
    out[rel] = `${hash} ${s.size} ${s.mtimeMs} ${s.mode.toString(8)}`;
  }
  return out;
}

/** An exec that records every call and passes it to the isolated real exec. */
function spyExec(): { exec: Exec; calls: string[][] } {
  const calls: string[][] = [];
  return {
    calls,
    exec: (file, args, options) => {
      calls.push([file, ...args]);
      return isolatedExec(file, args, options);
    }
  };
}

describe('checkoutBase in a shallow pull_request checkout (row 21)', () => {
  it('fetches the missing base commit into a fresh depth-1 repository outside the workspace', async () => {
    const pr = await fixture();
    const git = new Git(pr.checkout, { exec: isolatedExec });
    expect(await git.isShallow()).toBe(true);
    expect(await git.hasCommit(pr.baseSha)).toBe(false);
    expect(await git.revParseCommit('HEAD')).toBe(pr.mergeSha);

    const root = await tmpRoot();
    const base = await checkoutBase({ repoDir: pr.checkout, ref: pr.baseSha, tmpRoot: root, exec: isolatedExec });
    expect(base.sha).toBe(pr.baseSha);
    expect(base.layout).toBe('fresh');
    expect(path.dirname(base.dir)).toBe(root);
    expect(await readTree(base.dir)).toEqual(BASE);
    expect(await runGit(base.dir, ['rev-parse', 'HEAD'])).toBe(pr.baseSha);
    // Its own repository, as actions/checkout lays one out: a .git directory, depth 1, the same config.
    expect((await lstat(path.join(base.dir, '.git'))).isDirectory()).toBe(true);
    expect(await runGit(base.dir, ['rev-parse', '--is-shallow-repository'])).toBe('true');
    expect(await runGit(base.dir, ['rev-list', '--count', 'HEAD'])).toBe('1');
    expect(await readFile(path.join(base.dir, '.git', 'config'), 'utf8')).toBe(await readFile(path.join(pr.checkout, '.git', 'config'), 'utf8'));
    // The workspace did not get the base commit: nothing was fetched into it.
    expect(await git.hasCommit(pr.baseSha)).toBe(false);
    expect(await git.isShallow()).toBe(true);

    expect(await base.cleanup()).toEqual([]);
    await expect(stat(base.dir)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await readdir(root)).toEqual([]);
  });

  it('takes a commit the workspace holds from the workspace itself, not the remote', async () => {
    const pr = await fixture({ checkout: 'branch' });
    await rm(pr.origin, { recursive: true, force: true }); // no remote to fetch from
    const base = await checkoutBase({ repoDir: pr.checkout, ref: pr.headSha, tmpRoot: await tmpRoot(), exec: isolatedExec });
    try {
      expect(base.layout).toBe('fresh');
      expect(await readTree(base.dir)).toEqual(HEAD);
      expect(await runGit(base.dir, ['rev-parse', '--is-shallow-repository'])).toBe('true');
    } finally {
      await base.cleanup();
    }
  });

  it('resolves a branch name by fetching refs/heads/<name>, creating no ref in the workspace', async () => {
    const pr = await fixture();
    const refsBefore = await runGit(pr.checkout, ['for-each-ref']);
    const base = await checkoutBase({ repoDir: pr.checkout, ref: 'main', tmpRoot: await tmpRoot(), exec: isolatedExec });
    try {
      expect(base.sha).toBe(pr.baseSha);
      expect(await readTree(base.dir)).toEqual(BASE);
      expect(await runGit(pr.checkout, ['for-each-ref'])).toBe(refsBefore);
      // Where actions/checkout keeps it.
      expect(await runGit(base.dir, ['rev-parse', 'refs/remotes/origin/main'])).toBe(pr.baseSha);
    } finally {
      await base.cleanup();
    }
  });

  it("fetches with the token of actions/checkout's included credentials file, in the environment, not argv", async () => {
    const pr = await fixture();
    // actions/checkout v6: the extra header lives in a file under RUNNER_TEMP, included for the workspace's .git only.
    const credentials = path.join(await tmpRoot(), 'git-credentials-1.config');
    await writeFile(credentials, '[http "https://github.invalid/"]\n\textraheader = AUTHORIZATION: basic c2VjcmV0\n');
    await runGit(pr.checkout, ['config', '--local', `includeIf.gitdir:${path.join(pr.checkout, '.git')}.path`, credentials]);
    const spy = spyExec();
    const envs: NodeJS.ProcessEnv[] = [];
    const exec: Exec = (file, args, options) => {
      if (args.includes('fetch')) envs.push(options?.env ?? {});
      return spy.exec(file, args, options);
    };
    const base = await checkoutBase({ repoDir: pr.checkout, ref: pr.baseSha, tmpRoot: await tmpRoot(), exec });
    try {
      expect(envs).toHaveLength(1);
      expect(envs[0]).toMatchObject({
        GIT_CONFIG_COUNT: '1',
        GIT_CONFIG_KEY_0: 'http.https://github.invalid/.extraheader',
        GIT_CONFIG_VALUE_0: 'AUTHORIZATION: basic c2VjcmV0'
      });
      expect(spy.calls.flat().join(' ')).not.toContain('c2VjcmV0');
      // The config itself is copied as it is (the include names the workspace's .git: it adds nothing here).
      expect(await readFile(path.join(base.dir, '.git', 'config'), 'utf8')).toBe(await readFile(path.join(pr.checkout, '.git', 'config'), 'utf8'));
    } finally {
      await base.cleanup();
    }
  });

  it("the copy of a full clone fetches a missing commit with that token too", async () => {
    const pr = await fixture({ fetchDepth: 0 });
    const credentials = path.join(await tmpRoot(), 'git-credentials-2.config');
    await writeFile(credentials, '[http "https://github.invalid/"]\n\textraheader = AUTHORIZATION: basic c2VjcmV0\n');
    await runGit(pr.checkout, ['config', '--local', `includeIf.gitdir:${path.join(pr.checkout, '.git')}.path`, credentials]);
    const tree = await runGit(pr.origin, ['rev-parse', `${pr.baseSha}^{tree}`]);
    const next = await runGit(pr.origin, ['commit-tree', tree, '-p', pr.baseSha, '-m', 'next'], { GIT_AUTHOR_DATE: '1704100000 +0000', GIT_COMMITTER_DATE: '1704100000 +0000' });
    await runGit(pr.origin, ['update-ref', 'refs/heads/next', next]);
    const envs: NodeJS.ProcessEnv[] = [];
    const exec: Exec = (file, args, options) => {
      if (args.includes('fetch')) envs.push(options?.env ?? {});
      return isolatedExec(file, args, options);
    };
    const base = await checkoutBase({ repoDir: pr.checkout, ref: next, tmpRoot: await tmpRoot(), exec });
    try {
      expect(base.layout).toBe('copy');
      expect(envs).toHaveLength(1);
      expect(envs[0]).toMatchObject({ GIT_CONFIG_COUNT: '1', GIT_CONFIG_VALUE_0: 'AUTHORIZATION: basic c2VjcmV0' });
    } finally {
      await base.cleanup();
    }
  });

  it('a linked worktree as the workspace: the base .git is a gitdir: file too, and the repository is not touched', async () => {
    const pr = await fixture({ fetchDepth: 0 });
    const linked = path.join(await tmpRoot(), 'linked');
    await runGit(pr.checkout, ['worktree', 'add', '--quiet', '--detach', linked, pr.headSha]);
    const before = await listing(pr.checkout);
    const base = await checkoutBase({ repoDir: linked, ref: pr.baseSha, tmpRoot: await tmpRoot(), exec: isolatedExec });
    try {
      expect(base.layout).toBe('fresh');
      expect((await lstat(path.join(base.dir, '.git'))).isFile()).toBe(true);
      expect(await readTree(base.dir)).toEqual(BASE);
      expect(await listing(pr.checkout)).toEqual(before);
      expect(await base.cleanup()).toEqual([]);
      expect(await readdir(path.dirname(base.dir))).toEqual([]);
    } finally {
      await base.cleanup();
    }
  });
});

describe('checkoutBase in a checkout with the whole history (fetch-depth: 0, a laptop)', () => {
  it("copies the workspace's .git and checks the base out in the copy", async () => {
    const pr = await fixture({ fetchDepth: 0 });
    const spy = spyExec();
    const base = await checkoutBase({ repoDir: pr.checkout, ref: pr.baseSha, tmpRoot: await tmpRoot(), exec: spy.exec });
    try {
      expect(base.layout).toBe('copy');
      expect(await readTree(base.dir)).toEqual(BASE);
      expect(await runGit(base.dir, ['rev-parse', 'HEAD'])).toBe(pr.baseSha);
      expect(await runGit(base.dir, ['rev-parse', '--is-shallow-repository'])).toBe('false');
      // The same objects: the copy's .git weighs what the workspace's does.
      expect(await runGit(base.dir, ['count-objects', '-v'])).toBe(await runGit(pr.checkout, ['count-objects', '-v']));
      // A commit already in the clone is not fetched.
      expect(spy.calls.some((c) => c.includes('fetch'))).toBe(false);
    } finally {
      await base.cleanup();
    }
  });

  it('keeps a complete clone complete: fetches a missing commit into the copy without --depth', async () => {
    const pr = await fixture({ fetchDepth: 0 });
    const git = new Git(pr.checkout, { exec: isolatedExec });
    expect(await git.isShallow()).toBe(false);
    // The base branch moved on after the checkout was made.
    const tree = await runGit(pr.origin, ['rev-parse', `${pr.baseSha}^{tree}`]);
    const next = await runGit(pr.origin, ['commit-tree', tree, '-p', pr.baseSha, '-m', 'next'], {
      GIT_AUTHOR_DATE: '1704100000 +0000',
      GIT_COMMITTER_DATE: '1704100000 +0000'
    });
    await runGit(pr.origin, ['update-ref', 'refs/heads/next', next]);
    expect(await git.hasCommit(next)).toBe(false);

    const base = await checkoutBase({ repoDir: pr.checkout, ref: next, tmpRoot: await tmpRoot(), exec: isolatedExec });
    try {
      expect(base.sha).toBe(next);
      expect(base.layout).toBe('copy');
      expect(await readTree(base.dir)).toEqual(BASE);
      expect(await runGit(base.dir, ['rev-parse', '--is-shallow-repository'])).toBe('false');
      expect(await git.isShallow()).toBe(false);
      // Fetched into the copy, not the workspace.
      expect(await git.hasCommit(next)).toBe(false);
    } finally {
      await base.cleanup();
    }
  });
});

/** What "the user's checkout" is: HEAD, index, working tree, refs, worktrees, file bytes and mtimes. */
async function snapshot(repo: string): Promise<Record<string, unknown>> {
  const files: Record<string, string> = {};
  for (const e of await readdir(repo, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const rel = path.relative(repo, path.join(e.parentPath, e.name)).split(path.sep).join('/');
    // Nothing may change, .git included: not even objects, the shallow list or FETCH_HEAD.
    const s = await stat(path.join(repo, rel));
    const hash = createHash('sha256').update(await readFile(path.join(repo, rel))).digest('hex');
    files[rel] = `${hash} ${s.mtimeMs} ${s.mode.toString(8)}`;
  }
  // --no-optional-locks: status must not refresh (rewrite) the index it is observing.
  const g = (args: string[]): Promise<string> => runGit(repo, ['--no-optional-locks', ...args]);
  return {
    files,
    listing: await listing(repo),
    head: await g(['rev-parse', 'HEAD']),
    symbolicHead: await runGit(repo, ['symbolic-ref', '-q', 'HEAD']).catch(() => '(detached)'),
    status: await g(['status', '--porcelain=v1', '--untracked-files=all', '--ignored']),
    refs: await g(['for-each-ref']),
    branches: await g(['branch', '--list', '--all']),
    worktrees: await g(['worktree', 'list', '--porcelain']),
    stash: await g(['stash', 'list'])
  };
}

describe("the user's checkout is untouched, .git included", () => {
  it.each([
    ['pull-request', 1],
    ['branch', 1],
    ['pull-request', 0],
    ['branch', 0]
  ] as const)('%s checkout, fetch-depth %d, dirty working tree and index', async (mode, fetchDepth) => {
    const pr = await fixture({ checkout: mode, fetchDepth });
    // Local work in progress: a staged change, an unstaged change and an untracked file.
    await writeFile(path.join(pr.checkout, 'head.txt'), 'staged edit\n');
    await runGit(pr.checkout, ['add', 'head.txt']);
    await writeFile(path.join(pr.checkout, 'head.txt'), 'unstaged edit\n');
    await writeFile(path.join(pr.checkout, 'untracked.txt'), 'new\n');
    await runGit(pr.checkout, ['status']); // settle the index stat cache before looking
    const before = await snapshot(pr.checkout);

    const base = await checkoutBase({ repoDir: pr.checkout, ref: pr.baseSha, tmpRoot: await tmpRoot(), exec: isolatedExec });
    expect(await readTree(base.dir)).toEqual(BASE);
    expect(await base.cleanup()).toEqual([]);

    expect(await snapshot(pr.checkout)).toEqual(before);
    expect(await readFile(path.join(pr.checkout, 'head.txt'), 'utf8')).toBe('unstaged edit\n');
  });
});

describe('an unreachable base (row 22)', () => {
  it.each([
    ['a SHA the origin does not have', MISSING_SHA, /^could not fetch base 0123456789abcdef0123456789abcdef01234567: .*not our ref/],
    ['a deleted branch', 'gone', /^could not fetch base gone: .*couldn't find remote ref refs\/heads\/gone/]
  ])('%s: BaselineUnavailableError with git\'s reason, nothing left, no fallback', async (_name, ref, message) => {
    const pr = await fixture();
    const root = await tmpRoot();
    const refsBefore = await runGit(pr.checkout, ['for-each-ref']);
    const before = await listing(pr.checkout);
    const attempt = checkoutBase({ repoDir: pr.checkout, ref, tmpRoot: root, exec: isolatedExec });
    await expect(attempt).rejects.toBeInstanceOf(BaselineUnavailableError);
    await expect(attempt).rejects.toThrow(message);
    expect(await listing(pr.checkout)).toEqual(before);
    expect(await readdir(root)).toEqual([]);
    expect(await runGit(pr.checkout, ['for-each-ref'])).toBe(refsBefore);
    expect(await runGit(pr.checkout, ['rev-parse', 'HEAD'])).toBe(pr.mergeSha);
  });

  it('an origin that cannot be reached: BaselineUnavailableError', async () => {
    const pr = await fixture();
    await rm(pr.origin, { recursive: true, force: true });
    const attempt = checkoutBase({ repoDir: pr.checkout, ref: pr.baseSha, tmpRoot: await tmpRoot(), exec: isolatedExec });
    await expect(attempt).rejects.toBeInstanceOf(BaselineUnavailableError);
    await expect(attempt).rejects.toThrow(/^could not fetch base [0-9a-f]{40}: .+/);
  });

  it('a full clone whose origin cannot be reached, the commit missing: BaselineUnavailableError, nothing left', async () => {
    const pr = await fixture({ fetchDepth: 0 });
    await rm(pr.origin, { recursive: true, force: true });
    const root = await tmpRoot();
    const attempt = checkoutBase({ repoDir: pr.checkout, ref: MISSING_SHA, tmpRoot: root, exec: isolatedExec });
    await expect(attempt).rejects.toBeInstanceOf(BaselineUnavailableError);
    expect(await readdir(root)).toEqual([]);
  });
});

describe('refs that look like options or paths (row 23, security 9)', () => {
  it.each(['-x', '--upload-pack=touch /tmp/pwned', '-', ''])('checkoutBase rejects %j before git runs', async (ref) => {
    const spy = spyExec();
    const attempt = checkoutBase({ repoDir: os.tmpdir(), ref, tmpRoot: os.tmpdir(), exec: spy.exec });
    await expect(attempt).rejects.toBeInstanceOf(InvalidRefError);
    expect(spy.calls).toEqual([]);
  });

  it('every Git method rejects a leading "-" before git runs', async () => {
    const spy = spyExec();
    const git = new Git(os.tmpdir(), { exec: spy.exec });
    const sha = MISSING_SHA;
    const attempts: Array<Promise<unknown>> = [
      git.revParseCommit('-x'),
      git.hasCommit('-x'),
      git.checkRefFormat('-x'),
      git.checkoutDetached('--orphan'),
      git.fetchInto('--upload-pack=evil', sha, undefined, 1),
      git.fetchInto('origin', '-x', 'refs/remotes/origin/x', 1),
      git.fetchInto('origin', sha, '--x', 1),
      git.unsetConfig('--add'),
      git.init('sha1', '--bare'),
      git.init('--sha1')
    ];
    for (const a of attempts) await expect(a).rejects.toBeInstanceOf(InvalidRefError);
    expect(spy.calls).toEqual([]);
  });

  it('rejects a malformed ref name', async () => {
    const pr = await fixture();
    for (const ref of ['a..b', 'main:evil', 'HEAD~1', 'x^{tree}']) {
      await expect(checkoutBase({ repoDir: pr.checkout, ref, tmpRoot: await tmpRoot(), exec: isolatedExec })).rejects.toBeInstanceOf(
        InvalidRefError
      );
    }
  });

  it('a branch named -x is reachable only fully qualified, after --', async () => {
    const pr = await fixture();
    await runGit(pr.origin, ['update-ref', 'refs/heads/-x', pr.branchShas['dev'] ?? '']);
    await expect(checkoutBase({ repoDir: pr.checkout, ref: '-x', tmpRoot: await tmpRoot(), exec: isolatedExec })).rejects.toBeInstanceOf(
      InvalidRefError
    );
    const base = await checkoutBase({ repoDir: pr.checkout, ref: 'refs/heads/-x', tmpRoot: await tmpRoot(), exec: isolatedExec });
    try {
      expect(base.sha).toBe(pr.branchShas['dev']);
      expect(await readTree(base.dir)).toEqual(DEV);
    } finally {
      await base.cleanup();
    }
  });

  it('a folder named dev next to a branch dev: the ref is the branch (fetched)', async () => {
    const pr = await fixture();
    expect((await stat(path.join(pr.checkout, 'dev'))).isDirectory()).toBe(true);
    const base = await checkoutBase({ repoDir: pr.checkout, ref: 'dev', tmpRoot: await tmpRoot(), exec: isolatedExec });
    try {
      expect(base.sha).toBe(pr.branchShas['dev']);
      expect(await readTree(base.dir)).toEqual(DEV);
    } finally {
      await base.cleanup();
    }
  });

  it('a folder named dev next to a branch dev: the ref is the branch (local)', async () => {
    const pr = await fixture({ fetchDepth: 0 });
    const dev = pr.branchShas['dev'] ?? '';
    await runGit(pr.checkout, ['branch', 'dev', dev]);
    const git = new Git(pr.checkout, { exec: isolatedExec });
    expect(await git.revParseCommit('dev')).toBe(dev);
    const spy = spyExec();
    const base = await checkoutBase({ repoDir: pr.checkout, ref: 'dev', tmpRoot: await tmpRoot(), exec: spy.exec });
    try {
      expect(base.sha).toBe(dev);
      expect(spy.calls.some((c) => c.includes('fetch'))).toBe(false);
    } finally {
      await base.cleanup();
    }
  });
});

describe('leftovers from a previous run (row 25)', () => {
  it("an earlier run's base dir in the same tmpRoot does not block, and is left alone", async () => {
    const pr = await fixture();
    const root = await tmpRoot();
    const first = await checkoutBase({ repoDir: pr.checkout, ref: pr.baseSha, tmpRoot: root, exec: isolatedExec });
    const second = await checkoutBase({ repoDir: pr.checkout, ref: pr.baseSha, tmpRoot: root, exec: isolatedExec });
    expect(second.dir).not.toBe(first.dir);
    expect(await readTree(second.dir)).toEqual(BASE);
    expect(await second.cleanup()).toEqual([]);
    expect(await readTree(first.dir)).toEqual(BASE);
    expect(await first.cleanup()).toEqual([]);
    expect(await readdir(root)).toEqual([]);
  });

  it('a tmpRoot wiped in between (the runner wiped RUNNER_TEMP) is made again', async () => {
    const pr = await fixture();
    const root = await tmpRoot();
    const first = await checkoutBase({ repoDir: pr.checkout, ref: pr.baseSha, tmpRoot: root, exec: isolatedExec });
    await rm(root, { recursive: true, force: true });
    const second = await checkoutBase({ repoDir: pr.checkout, ref: pr.baseSha, tmpRoot: root, exec: isolatedExec });
    expect(await readTree(second.dir)).toEqual(BASE);
    expect(await second.cleanup()).toEqual([]);
    expect(await first.cleanup()).toEqual([]);
  });

  it('unrelated files in tmpRoot are left alone', async () => {
    const pr = await fixture();
    const root = await tmpRoot();
    await mkdir(path.join(root, 'image-budget-base-old'));
    await writeFile(path.join(root, 'image-budget-base-old', 'x'), 'x');
    const base = await checkoutBase({ repoDir: pr.checkout, ref: pr.baseSha, tmpRoot: root, exec: isolatedExec });
    await base.cleanup();
    expect(await readdir(root)).toEqual(['image-budget-base-old']);
  });
});

describe('cleanup', () => {
  it('is idempotent, also when called concurrently or after the dir is gone', async () => {
    const pr = await fixture();
    const base = await checkoutBase({ repoDir: pr.checkout, ref: pr.baseSha, tmpRoot: await tmpRoot(), exec: isolatedExec });
    const [a, b] = await Promise.all([base.cleanup(), base.cleanup()]);
    expect(a).toEqual([]);
    expect(b).toEqual([]);
    expect(await base.cleanup()).toEqual([]);

    const other = await checkoutBase({ repoDir: pr.checkout, ref: pr.baseSha, tmpRoot: await tmpRoot(), exec: isolatedExec });
    await rm(other.dir, { recursive: true, force: true });
    expect(await other.cleanup()).toEqual([]);
  });

  it('never throws: a dir that cannot be removed comes back as a warning', async () => {
    const pr = await fixture();
    const root = await tmpRoot();
    const base = await checkoutBase({ repoDir: pr.checkout, ref: pr.baseSha, tmpRoot: root, exec: isolatedExec });
    // The dir's parent became a regular file: no one, root included, can remove (or have) the dir.
    await rm(root, { recursive: true, force: true });
    await writeFile(root, 'x');
    const warnings = await base.cleanup();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(new RegExp(`^could not remove ${base.dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .*ENOTDIR`));
    await rm(root, { force: true });
  });
});

describe('ancestorsOf (the stored baseline of a recent ancestor)', () => {
  it('in a shallow checkout: fetched into a scratch repository that is removed, the workspace untouched', async () => {
    const pr = await fixture();
    const before = await listing(pr.checkout);
    const root = await tmpRoot();
    expect(await ancestorsOf(pr.checkout, pr.mergeSha, 6, { tmpRoot: root, exec: isolatedExec })).toEqual([pr.mergeSha, pr.baseSha]);
    expect(await listing(pr.checkout)).toEqual(before);
    expect(await readdir(root)).toEqual([]);
  });

  it('in a full-history checkout: read there, nothing fetched', async () => {
    const pr = await fixture({ fetchDepth: 0 });
    const spy = spyExec();
    expect(await ancestorsOf(pr.checkout, pr.mergeSha, 6, { tmpRoot: await tmpRoot(), exec: spy.exec })).toEqual([pr.mergeSha, pr.baseSha]);
    expect(spy.calls.some((c) => c.includes('fetch'))).toBe(false);
  });

  it('a commit the remote does not have: GitError, nothing left', async () => {
    const pr = await fixture();
    const root = await tmpRoot();
    await expect(ancestorsOf(pr.checkout, MISSING_SHA, 6, { tmpRoot: root, exec: isolatedExec })).rejects.toBeInstanceOf(GitError);
    expect(await readdir(root)).toEqual([]);
  });
});

describe('detached HEAD and named branch give the same base (row 24)', () => {
  it.each<[string, (pr: PullRequestFixture) => string]>([
    ['the base SHA', (pr) => pr.baseSha],
    ['the base branch name', () => 'main'],
    ['the qualified base branch', () => 'refs/heads/main']
  ])('ref: %s', async (_name, refOf) => {
      const detached = await fixture({ checkout: 'pull-request' });
      const named = await fixture({ checkout: 'branch' });
      expect(await runGit(named.checkout, ['symbolic-ref', 'HEAD'])).toBe('refs/heads/feature');
      await expect(runGit(detached.checkout, ['symbolic-ref', '-q', 'HEAD'])).rejects.toThrow();
      // Same trees, identity and dates: same SHAs.
      expect(named.baseSha).toBe(detached.baseSha);

      const results = [];
      for (const pr of [detached, named]) {
        const base = await checkoutBase({ repoDir: pr.checkout, ref: refOf(pr), tmpRoot: await tmpRoot(), exec: isolatedExec });
        results.push({ sha: base.sha, files: await readTree(base.dir) });
        expect(await base.cleanup()).toEqual([]);
      }
      expect(results[0]).toEqual({ sha: detached.baseSha, files: BASE });
      expect(results[1]).toEqual(results[0]);
  });
});

describe('Git over a fake exec', () => {
  function fake(result: { code: number; stdout?: string; stderr?: string }): {
    exec: Exec;
    calls: Array<{ args: readonly string[]; options: ExecOptions | undefined }>;
  } {
    const calls: Array<{ args: readonly string[]; options: ExecOptions | undefined }> = [];
    return {
      calls,
      exec: async (_file, args, options) => {
        calls.push({ args, options });
        return { code: result.code, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
      }
    };
  }

  it.each<[string, (g: Git) => Promise<unknown>, string[]]>([
    [
      'revParseCommit',
      (g) => g.revParseCommit('main'),
      ['rev-parse', '--verify', '--quiet', '--end-of-options', 'main^{commit}']
    ],
    ['isShallow', (g) => g.isShallow(), ['rev-parse', '--is-shallow-repository']],
    ['checkRefFormat', (g) => g.checkRefFormat('feature/x'), ['check-ref-format', '--allow-onelevel', 'feature/x']],
    [
      'checkoutDetached',
      (g) => g.checkoutDetached(MISSING_SHA),
      ['-c', 'core.hooksPath=/dev/null', '-c', 'core.fsmonitor=false', '-c', 'gc.auto=0', '-c', 'maintenance.auto=false', 'checkout', '--quiet', '--force', '--detach', MISSING_SHA]
    ],
    ['init', (g) => g.init('sha256'), ['init', '--quiet', '--object-format=sha256', '--', '/repo']],
    ['init, separate git dir', (g) => g.init('sha1', '/x.git'), ['init', '--quiet', '--object-format=sha1', '--separate-git-dir=/x.git', '--', '/repo']],
    ['unsetConfig', (g) => g.unsetConfig('core.worktree'), ['config', '--local', '--unset-all', 'core.worktree']],
    ['gitDirs', (g) => g.gitDirs().catch(() => undefined), ['rev-parse', '--absolute-git-dir', '--git-common-dir']],
    [
      'fetchInto, by SHA from a local repository',
      (g) => g.fetchInto('/workspace', MISSING_SHA, undefined, 1),
      ['-c', 'protocol.version=2', '-c', 'gc.auto=0', '-c', 'maintenance.auto=false', 'fetch', '--no-tags', '--prune', '--no-recurse-submodules', '--depth=1', '/workspace', '--', MISSING_SHA]
    ]
  ])('%s argv', async (_name, call, argv) => {
    const f = fake({ code: 0, stdout: `${MISSING_SHA}\n` });
    await call(new Git('/repo', { exec: f.exec }));
    expect(f.calls[0]?.args).toEqual(argv);
    expect(f.calls[0]?.options?.cwd).toBe('/repo');
  });

  it('fetchInto with the whole history (a full clone stays full): no --depth', async () => {
    const f = fake({ code: 0, stdout: `${MISSING_SHA}\n` });
    expect(await new Git('/repo', { exec: f.exec }).fetchInto('origin', MISSING_SHA, undefined, null)).toBe(MISSING_SHA);
    expect(f.calls[0]?.args).toEqual([
      '-c', 'protocol.version=2', '-c', 'gc.auto=0', '-c', 'maintenance.auto=false',
      'fetch', '--no-tags', '--prune', '--no-recurse-submodules', 'origin', '--', MISSING_SHA
    ]);
  });

  it('fetchInto a ref: the refspec as actions/checkout writes it', async () => {
    const f = fake({ code: 0, stdout: `${MISSING_SHA}\n` });
    expect(await new Git('/repo', { exec: f.exec }).fetchInto('origin', 'refs/heads/main', 'refs/remotes/origin/main', 1)).toBe(MISSING_SHA);
    const fetch = f.calls.find((c) => c.args.includes('fetch'));
    expect(fetch?.args.slice(-6)).toEqual(['--prune', '--no-recurse-submodules', '--depth=1', 'origin', '--', '+refs/heads/main:refs/remotes/origin/main']);
  });

  it('config entries go in the environment, after those already there', async () => {
    const f = fake({ code: 0, stdout: 'true\n' });
    const env = { PATH: '/bin', GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'a.b', GIT_CONFIG_VALUE_0: 'c' };
    await new Git('/repo', { exec: f.exec, env, config: [['http.https://h/.extraheader', 'AUTHORIZATION: basic x']] }).isShallow();
    expect(f.calls[0]?.options?.env).toMatchObject({
      GIT_CONFIG_COUNT: '2',
      GIT_CONFIG_KEY_0: 'a.b',
      GIT_CONFIG_KEY_1: 'http.https://h/.extraheader',
      GIT_CONFIG_VALUE_1: 'AUTHORIZATION: basic x'
    });
    expect(f.calls[0]?.args.join(' ')).not.toContain('basic');
  });

  it('passes no repository-redirecting variables and never prompts', async () => {
    const f = fake({ code: 0, stdout: 'true\n' });
    const env = { PATH: '/bin', GIT_DIR: '/elsewhere/.git', GIT_INDEX_FILE: '/elsewhere/index', GIT_WORK_TREE: '/elsewhere' };
    await new Git('/repo', { exec: f.exec, env }).isShallow();
    expect(f.calls[0]?.options?.env).toEqual({ PATH: '/bin', GIT_TERMINAL_PROMPT: '0', GCM_INTERACTIVE: 'never' });
  });

  it("errors carry git's last stderr line with credentials masked", async () => {
    const f = fake({
      code: 128,
      stderr: "remote: denied\nfatal: unable to access 'https://x-access-token:ghs_SECRET@github.com/o/r/': 403\n\n"
    });
    const attempt = new Git('/repo', { exec: f.exec }).fetchInto('origin', MISSING_SHA, undefined, 1);
    await expect(attempt).rejects.toBeInstanceOf(GitError);
    await expect(attempt).rejects.toThrow(
      "git fetch failed (exit 128): fatal: unable to access 'https://***@github.com/o/r/': 403"
    );
  });

  it.each([
    ['', ''],
    ['one\n', 'one'],
    ['a\r\nb\r\n\r\n', 'b'],
    ['progress\rfatal: done\n', 'fatal: done'],
    ['fatal: http://user:pw@host/x and ssh://git@host/y', 'fatal: http://***@host/x and ssh://***@host/y']
  ])('lastLine(%j) = %j', (stderr, expected) => {
    expect(lastLine(stderr)).toBe(expected);
  });
});
