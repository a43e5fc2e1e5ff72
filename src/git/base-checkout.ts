// Check out the pull request's base commit into its own worktree, so the baseline can be built
// without touching the user's checkout (STYLE habit 6): HEAD, index, working tree and refs stay as
// they were. The fetch may add objects (and FETCH_HEAD for a ref name); nothing else changes.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Exec } from '../exec.js';
import { Git, GitError, InvalidRefError, isFullSha } from './git.js';

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
  /** The user's checkout (e.g. GITHUB_WORKSPACE). Only read, plus objects fetched into it. */
  readonly repoDir: string;
  /** A full commit SHA (the pull request's `base.sha`), or a ref name (`main`, `refs/tags/v1`). */
  readonly ref: string;
  /** Where the worktree's unique temp dir is made (e.g. RUNNER_TEMP); keep it outside the checkout. */
  readonly tmpRoot: string;
  /** The remote to fetch a missing commit from. Default `origin`. */
  readonly remote?: string;
  readonly exec?: Exec;
}

export interface BaseCheckout {
  /** The base commit. */
  readonly sha: string;
  /** Absolute path of the detached worktree holding the base commit's files. */
  readonly dir: string;
  /**
   * Removes the worktree and its temp dir. Never throws; idempotent. Resolves to warnings
   * (empty when all went well) for the caller to log.
   */
  cleanup(): Promise<readonly string[]>;
}

/**
 * Resolves `ref` to a commit (fetching it from the remote, depth 1 in a shallow clone, when it is
 * missing) and checks it out detached in a new worktree under `tmpRoot`.
 * @throws InvalidRefError before any git call when `ref` starts with `-` or is malformed.
 * @throws BaselineUnavailableError when the commit cannot be found or fetched.
 * @throws GitError when the worktree cannot be made.
 */
export async function checkoutBase(options: CheckoutBaseOptions): Promise<BaseCheckout> {
  const { repoDir, tmpRoot, remote = 'origin' } = options;
  // Git takes upper-case hex too; one spelling keeps the fetch by id and the messages consistent.
  const ref = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/i.test(options.ref) ? options.ref.toLowerCase() : options.ref;
  const git = new Git(repoDir, options.exec ? { exec: options.exec } : {});
  const sha = await resolveBase(git, ref, remote);

  // A worktree or temp dir left by an earlier run never blocks: the name is unique, and worktrees
  // whose directory was wiped are pruned (RELIABILITY row 25).
  await git.worktreePrune();
  await mkdir(tmpRoot, { recursive: true });
  const dir = path.resolve(await mkdtemp(path.join(path.resolve(tmpRoot), 'image-budget-base-')));
  try {
    await git.worktreeAdd(dir, sha);
  } catch (e) {
    await removeWorktree(git, dir);
    throw e;
  }

  let done: Promise<readonly string[]> | undefined;
  return {
    sha,
    dir,
    cleanup: () => (done ??= removeWorktree(git, dir))
  };
}

async function resolveBase(git: Git, ref: string, remote: string): Promise<string> {
  // Both checks run before git sees the value.
  if (!isFullSha(ref)) {
    if (ref.startsWith('-') || ref === '') throw new InvalidRefError(ref, 'a ref must not be empty or start with "-"');
    if (!(await git.checkRefFormat(ref))) throw new InvalidRefError(ref, 'not a valid ref name');
  }
  const local = await git.revParseCommit(ref);
  if (local !== undefined) return local;

  // A full clone must stay full: a --depth fetch there would make it shallow.
  const depth = (await git.isShallow()) ? 1 : null;
  try {
    return await git.fetchCommit(remote, ref, depth);
  } catch (e) {
    if (e instanceof GitError) throw new BaselineUnavailableError(ref, e.reason || e.message);
    throw e;
  }
}

/** Removes the worktree, then whatever is left of its dir, then prunes. Collects errors as warnings. */
async function removeWorktree(git: Git, dir: string): Promise<readonly string[]> {
  const warnings: string[] = [];
  try {
    await git.worktreeRemove(dir);
  } catch (e) {
    // Not registered (add failed) or already gone: the rm and prune below finish the job.
    if (!(e instanceof GitError)) warnings.push(`could not remove worktree ${dir}: ${message(e)}`);
  }
  try {
    await rm(dir, { recursive: true, force: true });
  } catch (e) {
    warnings.push(`could not remove ${dir}: ${message(e)}`);
  }
  try {
    await git.worktreePrune();
  } catch (e) {
    warnings.push(`could not prune worktrees: ${message(e)}`);
  }
  return warnings;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
