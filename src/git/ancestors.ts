// The first-parent ancestors of a commit, for finding a stored report of a recent ancestor of the
// base. A shallow checkout does not hold them, and the workspace is never written (issue 11: the
// head is built from it as it is): they are fetched into a scratch repository made like the base's,
// outside the workspace, and listed there.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Exec } from '../exec.js';
import { freshRepository } from './base-checkout.js';
import { Git } from './git.js';

export interface AncestorsOptions {
  /** Where the scratch repository is made (the run's temp dir). Default: the system's temp dir. */
  readonly tmpRoot?: string;
  /** The remote to fetch from. Default `origin`. */
  readonly remote?: string;
  readonly exec?: Exec;
}

/**
 * `sha` and up to `count - 1` of its first-parent ancestors, newest first: read in `repoDir` when
 * it holds the whole history, else fetched (depth `count`, the commits without their trees) from
 * its remote into a scratch repository that is removed before this returns.
 * @throws GitError when git fails (the commit cannot be fetched, no remote).
 */
export async function ancestorsOf(repoDir: string, sha: string, count: number, options: AncestorsOptions = {}): Promise<string[]> {
  const exec = options.exec ? { exec: options.exec } : {};
  const workspace = new Git(repoDir, exec);
  if (!(await workspace.isShallow())) return workspace.ancestors(sha, count);
  const tmpRoot = path.resolve(options.tmpRoot ?? os.tmpdir());
  await mkdir(tmpRoot, { recursive: true });
  const dir = await mkdtemp(path.join(tmpRoot, 'image-budget-history-'));
  try {
    const scratch = await freshRepository(workspace, dir, { withAuth: true, ...exec });
    await scratch.fetchInto(options.remote ?? 'origin', sha, undefined, count, { commitsOnly: true });
    return await scratch.ancestors(sha, count);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
