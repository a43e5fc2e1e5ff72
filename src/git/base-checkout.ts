// The pull request's base commit, checked out outside the user's checkout and laid out like it, so
// that a `COPY . .` of the base carries a `.git` that weighs what the head's does (issue 11):
// - the head's `.git` is a shallow clone (actions/checkout's default `fetch-depth: 1`), or a `gitdir:`
//   file (a linked worktree, a submodule): a fresh repository, made as actions/checkout makes one
//   (`git init`, the workspace's config copied, a depth-1 fetch of the one commit, a forced detached
//   checkout), from the workspace itself when it holds the commit, else from its remote;
// - the head's `.git` holds the whole history (a laptop, `fetch-depth: 0`): a copy of that `.git`,
//   checked out at the base commit (fetched into the copy, whole, when it is missing).
// Nothing is written inside the workspace, its `.git` included: git only reads there (and serves
// objects to the fetch). Everything is made under `tmpRoot`, which the caller removes in the end.
// Submodules are not checked out in the base (their folders stay empty), as before; a Git LFS
// filter in the copied config runs at the checkout as it runs in the workspace.
import { copyFile, cp, lstat, mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Exec } from '../exec.js';
import { Git, GitError, InvalidRefError, isFullSha } from './git.js';
import { errorMessage } from '../errors.js';

/**
 * The base commit cannot be had (not in the clone and the fetch failed: force-pushed or deleted
 * base, fetch refused). The caller reports "baseline unavailable"; it must not fall back to HEAD
 * (RELIABILITY rows 21, 22).
 */
export class BaselineUnavailableError extends Error {
  constructor(
    /** The ref or SHA that was asked for. */
    readonly ref: string,
    /** Git's reason (its last stderr line). */
    readonly reason: string
  ) {
    super(`could not fetch base ${ref}: ${reason}`);
    this.name = 'BaselineUnavailableError';
  }
}

export interface CheckoutBaseOptions {
  /** The user's checkout (e.g. GITHUB_WORKSPACE), its top level. Only read. */
  readonly repoDir: string;
  /** A full commit SHA (the pull request's `base.sha`), or a ref name (`main`, `refs/tags/v1`). */
  readonly ref: string;
  /** Where the base's unique dir is made (the run's temp dir); keep it outside the checkout. */
  readonly tmpRoot: string;
  /** The remote to fetch a missing commit from. Default `origin`. */
  readonly remote?: string;
  readonly exec?: Exec;
}

export interface BaseCheckout {
  /** The base commit. */
  readonly sha: string;
  /** Absolute path of the directory holding the base commit's files and its `.git`. */
  readonly dir: string;
  /** How `dir/.git` was made: a fresh depth-1 repository, or a copy of the workspace's `.git`. */
  readonly layout: 'fresh' | 'copy';
  /**
   * Removes what was made under `tmpRoot`. Never throws; idempotent. Resolves to warnings (empty
   * when all went well) for the caller to log.
   */
  cleanup(): Promise<readonly string[]>;
}

// Where a base named by its SHA alone is fetched to: a pull request's base branch is under origin's.
const SHA_DESTINATION = 'refs/remotes/origin/base';

// The token actions/checkout (v6 on) keeps in a file included for the workspace's git dir only.
const AUTH_KEYS = /^http\./i;

/**
 * Resolves `ref` to a commit and checks it out, detached, in a new dir under `tmpRoot` whose `.git`
 * is laid out like the workspace's (see the file comment).
 * @throws InvalidRefError before any git call when `ref` starts with `-` or is malformed.
 * @throws BaselineUnavailableError when the commit cannot be found or fetched.
 * @throws GitError when the base cannot be laid out or checked out.
 */
export async function checkoutBase(options: CheckoutBaseOptions): Promise<BaseCheckout> {
  const { repoDir, tmpRoot, remote = 'origin', exec } = options;
  // Git takes upper-case hex too; one spelling keeps the fetch by id and the messages consistent.
  const ref = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/i.test(options.ref) ? options.ref.toLowerCase() : options.ref;
  const workspace = new Git(path.resolve(repoDir), exec ? { exec } : {});
  await checkRef(workspace, ref);
  const local = await workspace.revParseCommit(ref);
  const dotGit = await lstat(path.join(workspace.repoDir, '.git')).catch(() => undefined);
  const layout = dotGit?.isDirectory() && !(await workspace.isShallow()) ? 'copy' : 'fresh';

  await mkdir(tmpRoot, { recursive: true });
  const dir = path.resolve(await mkdtemp(path.join(path.resolve(tmpRoot), 'image-budget-base-')));
  // A `gitdir:` file in the workspace: the base's `.git` is one too, pointing beside `dir`.
  const separateGitDir = layout === 'fresh' && dotGit?.isFile() ? `${dir}.git` : undefined;
  let done: Promise<readonly string[]> | undefined;
  const cleanup = (): Promise<readonly string[]> => (done ??= remove([dir, ...(separateGitDir ? [separateGitDir] : [])]));
  try {
    const made = { workspace, dir, ref, local, remote, ...(exec ? { exec } : {}) };
    const sha = layout === 'copy' ? await copyLayout(made) : await freshLayout({ ...made, separateGitDir });
    return { sha, dir, layout, cleanup };
  } catch (e) {
    await cleanup();
    throw e;
  }
}

/** Both checks run before git sees the value (check-ref-format reads no repository). */
async function checkRef(git: Git, ref: string): Promise<void> {
  if (isFullSha(ref)) return;
  if (ref.startsWith('-') || ref === '') throw new InvalidRefError(ref, 'a ref must not be empty or start with "-"');
  if (!(await git.checkRefFormat(ref))) throw new InvalidRefError(ref, 'not a valid ref name');
}

interface Layout {
  readonly workspace: Git;
  readonly dir: string;
  /** As asked: a full SHA or a ref name. */
  readonly ref: string;
  /** The commit `ref` names in the workspace, when it has it. */
  readonly local: string | undefined;
  readonly remote: string;
  readonly exec?: Exec;
}

/**
 * `dir` made a repository as actions/checkout makes one, empty: `git init` (with the workspace's
 * object format; `separateGitDir` for a `gitdir:` file), the workspace's config copied (its sparse
 * patterns too), `core.worktree` dropped. `withAuth` gives it the `http.*` entries that the
 * workspace's config includes (actions/checkout's token file, included for the workspace's git dir
 * only), in the environment of its commands. Writes nothing in the workspace.
 */
export async function freshRepository(
  workspace: Git,
  dir: string,
  options: { readonly separateGitDir?: string; readonly withAuth: boolean; readonly exec?: Exec }
): Promise<Git> {
  const { gitDir, commonDir } = await workspace.gitDirs();
  const auth = options.withAuth ? await workspace.includedConfig(AUTH_KEYS) : [];
  const repo = new Git(dir, { ...(options.exec ? { exec: options.exec } : {}), config: auth });
  await repo.init(await workspace.objectFormat(), options.separateGitDir);
  const repoGitDir = options.separateGitDir ?? path.join(dir, '.git');
  // The same remote, extra header, gc and sparse settings: the config weighs what the head's does.
  await copyFile(path.join(commonDir, 'config'), path.join(repoGitDir, 'config'));
  await copyIfThere(path.join(gitDir, 'config.worktree'), path.join(repoGitDir, 'config.worktree'));
  await copyIfThere(path.join(gitDir, 'info', 'sparse-checkout'), path.join(repoGitDir, 'info', 'sparse-checkout'));
  // A submodule's or worktree's config may name another working tree: this one is `dir`.
  await repo.unsetConfig('core.worktree');
  return repo;
}

/** A repository as actions/checkout makes one, holding the base commit alone. */
async function freshLayout(l: Layout & { readonly separateGitDir: string | undefined }): Promise<string> {
  const { workspace, dir, ref, local } = l;
  // A partial clone would fetch what it lacks from its own remote, into the workspace: ask the remote.
  const fromWorkspace = local !== undefined && !(await workspace.isPartialClone());
  const base = await freshRepository(workspace, dir, {
    withAuth: !fromWorkspace,
    ...(l.separateGitDir ? { separateGitDir: l.separateGitDir } : {}),
    ...(l.exec ? { exec: l.exec } : {})
  });

  // Into a remote-tracking ref with its reflog, as actions/checkout fetches the commit it checks out.
  const name = isFullSha(ref) ? undefined : qualified(ref);
  const to = name ? destination(name) : SHA_DESTINATION;
  const sha = await fetched(ref, () =>
    fromWorkspace ? base.fetchInto(workspace.repoDir, local, to, 1) : base.fetchInto(l.remote, name ?? ref, to, 1)
  );
  await base.checkoutDetached(sha);
  return sha;
}

/** A copy of the workspace's whole `.git`, checked out at the base commit. */
async function copyLayout(l: Layout): Promise<string> {
  const { workspace, dir, ref } = l;
  await cp(path.join(workspace.repoDir, '.git'), path.join(dir, '.git'), {
    recursive: true,
    preserveTimestamps: true,
    verbatimSymlinks: true,
    errorOnExist: true,
    force: false,
    // Locks of a git running there now, sockets and pipes (an fsmonitor's) are no part of the repository.
    filter: async (source) => {
      if (source.endsWith('.lock')) return false;
      const s = await lstat(source);
      return s.isFile() || s.isDirectory() || s.isSymbolicLink();
    }
  });
  // The copied config's include of a credentials file names the workspace's git dir, not the copy's.
  const auth = l.local === undefined ? await workspace.includedConfig(AUTH_KEYS) : [];
  const base = new Git(dir, { ...(l.exec ? { exec: l.exec } : {}), config: auth });
  await base.unsetConfig('core.worktree');
  // A full clone stays full: no --depth, which would make the copy shallow.
  const name = isFullSha(ref) ? undefined : qualified(ref);
  const sha = l.local ?? (await fetched(ref, () => base.fetchInto(l.remote, name ?? ref, name ? destination(name) : undefined, null)));
  await base.checkoutDetached(sha);
  return sha;
}

/** The commit `fetch` resolves to; a fetch git refuses means the base cannot be had (rows 21, 22). */
async function fetched(ref: string, fetch: () => Promise<string>): Promise<string> {
  try {
    return await fetch();
  } catch (e) {
    if (e instanceof GitError) throw new BaselineUnavailableError(ref, e.reason || e.message);
    throw e;
  }
}

/** A ref name as the remote has it: a bare name is a branch. */
function qualified(ref: string): string {
  return ref.startsWith('refs/') ? ref : `refs/heads/${ref}`;
}

/** Where actions/checkout keeps a fetched ref: branches under origin's, pulls under pull/, the rest as named. */
function destination(ref: string): string {
  if (ref.startsWith('refs/heads/')) return `refs/remotes/origin/${ref.slice('refs/heads/'.length)}`;
  if (ref.startsWith('refs/pull/')) return `refs/remotes/pull/${ref.slice('refs/pull/'.length)}`;
  return ref;
}

async function copyIfThere(from: string, to: string): Promise<void> {
  try {
    await mkdir(path.dirname(to), { recursive: true });
    await copyFile(from, to);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

/** Removes each path; never throws: what could not be removed comes back as a warning. */
async function remove(paths: readonly string[]): Promise<readonly string[]> {
  const warnings: string[] = [];
  for (const p of paths) {
    try {
      await rm(p, { recursive: true, force: true });
    } catch (e) {
      warnings.push(`could not remove ${p}: ${errorMessage(e)}`);
    }
  }
  return warnings;
}
