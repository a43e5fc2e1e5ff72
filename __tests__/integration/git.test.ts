// The base commit in its own worktree, against real git and a file:// origin shaped like GitHub
// (RELIABILITY rows 21-25, security 9).
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Exec, ExecOptions } from '../../src/exec.js';
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

/** Every file under dir (the worktree's `.git` link file left out): relative path → content. */
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

async function worktrees(repo: string): Promise<string[]> {
  const out = await runGit(repo, ['worktree', 'list', '--porcelain']);
  return out
    .split('\n')
    .filter((l) => l.startsWith('worktree '))
    .map((l) => l.slice('worktree '.length));
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
  it('fetches the missing base commit and checks its files out in a worktree', async () => {
    const pr = await fixture();
    const git = new Git(pr.checkout, { exec: isolatedExec });
    expect(await git.isShallow()).toBe(true);
    expect(await git.hasCommit(pr.baseSha)).toBe(false);
    expect(await git.revParseCommit('HEAD')).toBe(pr.mergeSha);

    const root = await tmpRoot();
    const base = await checkoutBase({ repoDir: pr.checkout, ref: pr.baseSha, tmpRoot: root, exec: isolatedExec });
    expect(base.sha).toBe(pr.baseSha);
    expect(path.dirname(base.dir)).toBe(root);
    expect(await readTree(base.dir)).toEqual(BASE);
    expect(await runGit(base.dir, ['rev-parse', 'HEAD'])).toBe(pr.baseSha);
    expect(await git.hasCommit(pr.baseSha)).toBe(true);
    // Still shallow: only the base commit came, not its history.
    expect(await git.isShallow()).toBe(true);
    expect(await worktrees(pr.checkout)).toEqual([pr.checkout, base.dir]);

    expect(await base.cleanup()).toEqual([]);
    expect(await worktrees(pr.checkout)).toEqual([pr.checkout]);
    await expect(stat(base.dir)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await readdir(root)).toEqual([]);
  });

  it('resolves a branch name by fetching refs/heads/<name>, creating no ref', async () => {
    const pr = await fixture();
    const refsBefore = await runGit(pr.checkout, ['for-each-ref']);
    const base = await checkoutBase({ repoDir: pr.checkout, ref: 'main', tmpRoot: await tmpRoot(), exec: isolatedExec });
    try {
      expect(base.sha).toBe(pr.baseSha);
      expect(await readTree(base.dir)).toEqual(BASE);
      expect(await runGit(pr.checkout, ['for-each-ref'])).toBe(refsBefore);
    } finally {
      await base.cleanup();
    }
  });

  it('keeps a complete clone complete: fetches a missing commit without --depth', async () => {
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
      expect(await readTree(base.dir)).toEqual(BASE);
      expect(await git.isShallow()).toBe(false);
    } finally {
      await base.cleanup();
    }
  });

  it('does not fetch a commit already in the clone', async () => {
    const pr = await fixture({ fetchDepth: 0 });
    const spy = spyExec();
    const base = await checkoutBase({ repoDir: pr.checkout, ref: pr.baseSha, tmpRoot: await tmpRoot(), exec: spy.exec });
    try {
      expect(base.sha).toBe(pr.baseSha);
      expect(spy.calls.some((c) => c.includes('fetch'))).toBe(false);
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
    // Objects, the shallow list and FETCH_HEAD may change; the rest of .git may not.
    if (/^\.git\/(objects\/|shallow$|FETCH_HEAD$)/.test(rel)) continue;
    const s = await stat(path.join(repo, rel));
    const hash = createHash('sha256').update(await readFile(path.join(repo, rel))).digest('hex');
    files[rel] = `${hash} ${s.mtimeMs} ${s.mode.toString(8)}`;
  }
  // --no-optional-locks: status must not refresh (rewrite) the index it is observing.
  const g = (args: string[]): Promise<string> => runGit(repo, ['--no-optional-locks', ...args]);
  return {
    files,
    head: await g(['rev-parse', 'HEAD']),
    symbolicHead: await runGit(repo, ['symbolic-ref', '-q', 'HEAD']).catch(() => '(detached)'),
    status: await g(['status', '--porcelain=v1', '--untracked-files=all', '--ignored']),
    refs: await g(['for-each-ref']),
    branches: await g(['branch', '--list', '--all']),
    worktrees: await g(['worktree', 'list', '--porcelain']),
    stash: await g(['stash', 'list'])
  };
}

describe("the user's checkout is untouched", () => {
  it.each(['pull-request', 'branch'] as const)('%s checkout, dirty working tree and index', async (mode) => {
    const pr = await fixture({ checkout: mode });
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
  ])('%s: BaselineUnavailableError with git\'s reason, no worktree, no fallback', async (_name, ref, message) => {
    const pr = await fixture();
    const root = await tmpRoot();
    const refsBefore = await runGit(pr.checkout, ['for-each-ref']);
    const attempt = checkoutBase({ repoDir: pr.checkout, ref, tmpRoot: root, exec: isolatedExec });
    await expect(attempt).rejects.toBeInstanceOf(BaselineUnavailableError);
    await expect(attempt).rejects.toThrow(message);
    expect(await worktrees(pr.checkout)).toEqual([pr.checkout]);
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
    expect(await worktrees(pr.checkout)).toEqual([pr.checkout]);
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
      git.fetchCommit('origin', '-x'),
      git.fetchCommit('--upload-pack=evil', 'main'),
      git.checkRefFormat('-x'),
      git.worktreeAdd('-dir', sha),
      git.worktreeAdd('/tmp/dir', '--orphan'),
      git.worktreeRemove('--dir')
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
  it('a worktree still registered, locked, in the same tmpRoot does not block', async () => {
    const pr = await fixture();
    const root = await tmpRoot();
    const first = await checkoutBase({ repoDir: pr.checkout, ref: pr.baseSha, tmpRoot: root, exec: isolatedExec });
    await runGit(pr.checkout, ['worktree', 'lock', '--reason', 'killed run', first.dir]);

    const second = await checkoutBase({ repoDir: pr.checkout, ref: pr.baseSha, tmpRoot: root, exec: isolatedExec });
    expect(second.dir).not.toBe(first.dir);
    expect(await readTree(second.dir)).toEqual(BASE);
    expect(await second.cleanup()).toEqual([]);
    expect(await worktrees(pr.checkout)).toEqual([pr.checkout, first.dir]);

    // Our own cleanup removes our worktree even when it is locked.
    expect(await first.cleanup()).toEqual([]);
    expect(await worktrees(pr.checkout)).toEqual([pr.checkout]);
    expect(await readdir(root)).toEqual([]);
  });

  it('a worktree whose temp dir was wiped is pruned and does not block', async () => {
    const pr = await fixture();
    const root = await tmpRoot();
    const first = await checkoutBase({ repoDir: pr.checkout, ref: pr.baseSha, tmpRoot: root, exec: isolatedExec });
    await rm(root, { recursive: true, force: true }); // the runner wiped RUNNER_TEMP; tmpRoot is gone too

    const second = await checkoutBase({ repoDir: pr.checkout, ref: pr.baseSha, tmpRoot: root, exec: isolatedExec });
    expect(await readTree(second.dir)).toEqual(BASE);
    expect(await worktrees(pr.checkout)).toEqual([pr.checkout, second.dir]);
    expect(await second.cleanup()).toEqual([]);
    expect(await first.cleanup()).toEqual([]);
    expect(await worktrees(pr.checkout)).toEqual([pr.checkout]);
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
    expect(await worktrees(pr.checkout)).toEqual([pr.checkout]);

    const other = await checkoutBase({ repoDir: pr.checkout, ref: pr.baseSha, tmpRoot: await tmpRoot(), exec: isolatedExec });
    await rm(other.dir, { recursive: true, force: true });
    expect(await other.cleanup()).toEqual([]);
    expect(await worktrees(pr.checkout)).toEqual([pr.checkout]);
  });

  it('never throws: failures come back as warnings', async () => {
    const pr = await fixture();
    let broken = false;
    const exec: Exec = (file, args, options) => {
      if (broken) return Promise.reject(new Error('spawn failed'));
      return isolatedExec(file, args, options);
    };
    const base = await checkoutBase({ repoDir: pr.checkout, ref: pr.baseSha, tmpRoot: await tmpRoot(), exec });
    broken = true;
    const warnings = await base.cleanup();
    expect(warnings).toEqual([
      `could not remove worktree ${base.dir}: spawn failed`,
      'could not prune worktrees: spawn failed'
    ]);
    await expect(stat(base.dir)).rejects.toMatchObject({ code: 'ENOENT' });
    // A later prune (e.g. the next run's) finishes the job.
    await runGit(pr.checkout, ['worktree', 'prune']);
    expect(await worktrees(pr.checkout)).toEqual([pr.checkout]);
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
      'worktreeAdd',
      (g) => g.worktreeAdd('/tmp/wt', MISSING_SHA),
      ['-c', 'core.hooksPath=/dev/null', 'worktree', 'add', '--detach', '--', '/tmp/wt', MISSING_SHA]
    ],
    ['worktreeRemove', (g) => g.worktreeRemove('/tmp/wt'), ['worktree', 'remove', '--force', '--force', '--', '/tmp/wt']],
    ['worktreePrune', (g) => g.worktreePrune(), ['worktree', 'prune']]
  ])('%s argv', async (_name, call, argv) => {
    const f = fake({ code: 0, stdout: `${MISSING_SHA}\n` });
    await call(new Git('/repo', { exec: f.exec }));
    expect(f.calls[0]?.args).toEqual(argv);
    expect(f.calls[0]?.options?.cwd).toBe('/repo');
  });

  it.each<[string, string, number | null, string[]]>([
    ['a SHA, shallow', MISSING_SHA, 1, ['--no-write-fetch-head', '--depth=1', 'origin', '--', MISSING_SHA]],
    ['a SHA, full history', MISSING_SHA, null, ['--no-write-fetch-head', 'origin', '--', MISSING_SHA]],
    ['a branch name', 'main', 1, ['--depth=1', 'origin', '--', 'refs/heads/main']],
    ['a qualified ref', 'refs/tags/v1', 1, ['--depth=1', 'origin', '--', 'refs/tags/v1']]
  ])('fetchCommit argv: %s', async (_name, ref, depth, tail) => {
    const f = fake({ code: 0, stdout: `${MISSING_SHA}\n` });
    expect(await new Git('/repo', { exec: f.exec }).fetchCommit('origin', ref, depth)).toBe(MISSING_SHA);
    const fetch = f.calls.find((c) => c.args.includes('fetch'));
    expect(fetch?.args).toEqual([
      '-c',
      'protocol.version=2',
      '-c',
      'gc.auto=0',
      '-c',
      'maintenance.auto=false',
      'fetch',
      '--no-tags',
      '--no-prune',
      '--no-recurse-submodules',
      '--refmap=',
      ...tail
    ]);
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
    const attempt = new Git('/repo', { exec: f.exec }).fetchCommit('origin', MISSING_SHA);
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
