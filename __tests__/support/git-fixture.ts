// A throwaway "GitHub": a bare origin holding a pull request, and a workspace checked out from it
// exactly as actions/checkout does on `pull_request` (detached at refs/remotes/pull/N/merge, depth
// 1, so the base commit is NOT in the clone). Used by the git integration tests and the e2e tests.
//
//   const pr = await makePullRequestCheckout({ files: { base: { Dockerfile: 'FROM scratch\n' },
//                                                       head: { Dockerfile: 'FROM scratch\nCOPY a /\n', a: 'x' } } });
//   try { ... pr.checkout, pr.baseSha ... } finally { await pr.cleanup(); }
//
// Every git command here runs with a fixed identity and dates and no global or system config, so
// the SHAs are the same on every machine and run (the same options give the same SHAs).
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { exec, type Exec } from '../../src/exec.js';

/** A commit's complete file set: POSIX relative path → content. Files not listed are absent. */
export type FileTree = Readonly<Record<string, string | Uint8Array>>;

export interface PullRequestFixtureOptions {
  /** The base commit's and the head commit's trees. The head commit is a child of the base commit. */
  readonly files: { readonly base: FileTree; readonly head: FileTree };
  /** Default 1. */
  readonly prNumber?: number;
  /** The branch the pull request targets; at the base commit on origin. Default `main`. */
  readonly baseBranch?: string;
  /** The pull request's branch; at the head commit on origin. Default `feature`. */
  readonly headBranch?: string;
  /** More branches on origin, each one commit (child of the base commit) with the given tree. */
  readonly branches?: Readonly<Record<string, FileTree>>;
  /** Earlier commits of the base branch, oldest first, each the parent of the next; the last is the base commit's parent. */
  readonly history?: readonly FileTree[];
  /**
   * How the workspace is checked out:
   * - `pull-request` (default): detached HEAD at the merge commit, as on a `pull_request` event;
   * - `branch`: the head branch checked out by name (`git checkout -B <headBranch>`), as on `push`.
   */
  readonly checkout?: 'pull-request' | 'branch';
  /** actions/checkout's `fetch-depth`: 1 (default) is shallow; 0 fetches all branches and tags. */
  readonly fetchDepth?: number;
}

export interface PullRequestFixture {
  /** Temp dir holding everything below; removed by cleanup(). */
  readonly root: string;
  /** Path of the bare "origin" repository. */
  readonly origin: string;
  /** The URL the workspace's `origin` remote uses (`file://`, so fetches behave like a network remote). */
  readonly originUrl: string;
  /** The workspace (GITHUB_WORKSPACE). */
  readonly checkout: string;
  readonly baseSha: string;
  readonly headSha: string;
  /** The merge of head into base (`refs/pull/N/merge`), parents [base, head]. */
  readonly mergeSha: string;
  /** The SHA of each extra branch from `options.branches`. */
  readonly branchShas: Readonly<Record<string, string>>;
  /** The SHAs of `options.history`, oldest first. */
  readonly historyShas: readonly string[];
  readonly prNumber: number;
  readonly baseBranch: string;
  readonly headBranch: string;
  /** Removes `root`. Idempotent. */
  cleanup(): Promise<void>;
}

/** What every fixture git command sees on top of the process environment: no user or system config. */
export const GIT_ISOLATION: Readonly<Record<string, string>> = {
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_TERMINAL_PROMPT: '0'
};

const IDENTITY = {
  GIT_AUTHOR_NAME: 'image-budget fixture',
  GIT_AUTHOR_EMAIL: 'fixture@image-budget.invalid',
  GIT_COMMITTER_NAME: 'image-budget fixture',
  GIT_COMMITTER_EMAIL: 'fixture@image-budget.invalid'
};

function fixtureEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  // Drop inherited GIT_* (GIT_DIR, GIT_INDEX_FILE, dates...) so nothing leaks into the fixture.
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('GIT_')) env[k] = v;
  return { ...env, ...IDENTITY, ...extra, ...GIT_ISOLATION };
}

/**
 * The real exec with the user's global and system git config shut out. Pass it as `exec` to code
 * under test so the results do not depend on the machine's ~/.gitconfig.
 */
export const isolatedExec: Exec = (file, args, options = {}) =>
  exec(file, args, { ...options, env: { ...(options.env ?? process.env), ...GIT_ISOLATION } });

/** Runs git in `cwd` with the fixture environment; resolves to trimmed stdout, throws with stderr on failure. */
export async function runGit(cwd: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const r = await exec('git', args, { cwd, env: fixtureEnv(env) });
  if (r.code !== 0) throw new Error(`git ${args.join(' ')} (in ${cwd}) exited ${r.code}: ${r.stderr.trim()}`);
  return r.stdout.trim();
}

// Fixed, increasing commit dates: same trees → same SHAs everywhere.
const EPOCH = 1_704_067_200; // 2024-01-01T00:00:00Z
function dated(step: number): NodeJS.ProcessEnv {
  const date = `${EPOCH + step * 3600} +0000`;
  return { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date };
}

function checkTreePath(p: string): void {
  const parts = p.split('/');
  if (p === '' || p.startsWith('/') || parts.some((s) => s === '' || s === '.' || s === '..' || s === '.git')) {
    throw new Error(`fixture file path must be relative and plain: ${JSON.stringify(p)}`);
  }
}

/** Makes a commit whose tree is exactly `files`, with the given parents; returns its SHA. */
async function commitTree(
  author: string,
  files: FileTree,
  parents: readonly string[],
  message: string,
  step: number
): Promise<string> {
  for (const name of await readdir(author)) {
    if (name !== '.git') await rm(path.join(author, name), { recursive: true, force: true });
  }
  for (const [p, content] of Object.entries(files)) {
    checkTreePath(p);
    const file = path.join(author, ...p.split('/'));
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
  }
  await runGit(author, ['read-tree', '--empty']);
  await runGit(author, ['add', '--all', '--force', '--', '.']);
  const tree = await runGit(author, ['write-tree']);
  return runGit(author, ['commit-tree', tree, ...parents.flatMap((p) => ['-p', p]), '-m', message], dated(step));
}

/** Builds origin and a workspace checked out like actions/checkout does. See the file header. */
export async function makePullRequestCheckout(options: PullRequestFixtureOptions): Promise<PullRequestFixture> {
  const prNumber = options.prNumber ?? 1;
  const baseBranch = options.baseBranch ?? 'main';
  const headBranch = options.headBranch ?? 'feature';
  const fetchDepth = options.fetchDepth ?? 1;
  if (!Number.isInteger(prNumber) || prNumber < 1) throw new Error(`prNumber must be a positive integer`);
  if (!Number.isInteger(fetchDepth) || fetchDepth < 0) throw new Error(`fetchDepth must be an integer >= 0`);

  const root = await mkdtemp(path.join(os.tmpdir(), 'image-budget-git-'));
  const cleanup = (): Promise<void> => rm(root, { recursive: true, force: true });
  try {
    const origin = path.join(root, 'origin.git');
    const originUrl = `file://${origin}`;
    const checkout = path.join(root, 'workspace');
    const author = path.join(root, 'author');

    // Commits are made with plumbing in a scratch repo, then pushed to origin.
    await mkdir(author);
    await runGit(author, ['init', '--quiet', `--initial-branch=${baseBranch}`]);
    // The base branch's earlier commits, an hour apart before the base commit's.
    const historyShas: string[] = [];
    const earlier = options.history ?? [];
    for (const [i, files] of earlier.entries()) {
      historyShas.push(await commitTree(author, files, historyShas.slice(-1), `main ${i + 1}`, i - earlier.length));
    }
    const baseSha = await commitTree(author, options.files.base, historyShas.slice(-1), 'base', 0);
    const headSha = await commitTree(author, options.files.head, [baseSha], 'head', 1);
    // GitHub's test merge: head's tree (head descends from base), parents [base, head].
    const mergeSha = await commitTree(author, options.files.head, [baseSha, headSha], `Merge ${headSha} into ${baseSha}`, 2);
    const branchShas: Record<string, string> = {};
    let step = 3;
    for (const [name, files] of Object.entries(options.branches ?? {})) {
      branchShas[name] = await commitTree(author, files, [baseSha], `branch ${name}`, step++);
    }

    await runGit(root, ['init', '--quiet', '--bare', `--initial-branch=${baseBranch}`, origin]);
    // Fetching a commit by id works as on GitHub.
    for (const key of ['allowReachableSHA1InWant', 'allowAnySHA1InWant', 'allowTipSHA1InWant']) {
      await runGit(origin, ['config', `uploadpack.${key}`, 'true']);
    }
    await runGit(author, [
      'push',
      '--quiet',
      originUrl,
      `${baseSha}:refs/heads/${baseBranch}`,
      `${headSha}:refs/heads/${headBranch}`,
      `${headSha}:refs/pull/${prNumber}/head`,
      `${mergeSha}:refs/pull/${prNumber}/merge`,
      ...Object.entries(branchShas).map(([name, sha]) => `${sha}:refs/heads/${name}`)
    ]);
    await rm(author, { recursive: true, force: true });

    // The workspace, command for command as actions/checkout makes it.
    await mkdir(checkout);
    await runGit(checkout, ['init', '--quiet']);
    await runGit(checkout, ['remote', 'add', 'origin', originUrl]);
    await runGit(checkout, ['config', '--local', 'gc.auto', '0']);
    const depth = fetchDepth > 0 ? [`--depth=${fetchDepth}`] : [];
    const fetch = ['-c', 'protocol.version=2', 'fetch', '--quiet', '--prune', '--no-recurse-submodules'];
    if (fetchDepth === 0) {
      await runGit(checkout, [...fetch, 'origin', '+refs/heads/*:refs/remotes/origin/*', '+refs/tags/*:refs/tags/*']);
    }
    if ((options.checkout ?? 'pull-request') === 'pull-request') {
      const ref = `refs/remotes/pull/${prNumber}/merge`;
      await runGit(checkout, [...fetch, '--no-tags', ...depth, 'origin', `+${mergeSha}:${ref}`]);
      await runGit(checkout, ['checkout', '--quiet', '--progress', '--force', ref]);
    } else {
      const ref = `refs/remotes/origin/${headBranch}`;
      await runGit(checkout, [...fetch, '--no-tags', ...depth, 'origin', `+${headSha}:${ref}`]);
      await runGit(checkout, ['checkout', '--quiet', '--progress', '--force', '-B', headBranch, ref]);
    }

    return { root, origin, originUrl, checkout, baseSha, headSha, mergeSha, branchShas, historyShas, prNumber, baseBranch, headBranch, cleanup };
  } catch (e) {
    await cleanup();
    throw e;
  }
}
