// The post step (action.yml `post`, `post-if: always()`): when the main step was cancelled or timed
// out before its own cleanup ran, remove what it left: the base worktree (registered in the user's
// repository) and the temp folder with image layouts (RELIABILITY rows 25, 52). Errors are warnings.
import * as core from '@actions/core';
import { rm } from 'node:fs/promises';
import { exec as realExec, type Exec } from './exec.js';

export const STATE = { isPost: 'isPost', tmpDir: 'tmpDir', worktree: 'worktree', cleaned: 'cleaned' } as const;

export async function post(exec: Exec = realExec): Promise<void> {
  if (core.getState(STATE.cleaned) === 'true') return;
  const worktree = core.getState(STATE.worktree);
  if (worktree) {
    try {
      const { repo, dir } = JSON.parse(worktree) as { repo: string; dir: string };
      const removed = await exec('git', ['-C', repo, 'worktree', 'remove', '--force', '--force', '--', dir]);
      if (removed.code !== 0) await rm(dir, { recursive: true, force: true });
      await exec('git', ['-C', repo, 'worktree', 'prune']);
      core.info(`Removed the base worktree ${dir}`);
    } catch (e) {
      core.warning(`post: could not remove the base worktree: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const tmpDir = core.getState(STATE.tmpDir);
  if (tmpDir) {
    try {
      await rm(tmpDir, { recursive: true, force: true });
      core.info(`Removed ${tmpDir}`);
    } catch (e) {
      core.warning(`post: could not remove ${tmpDir}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}
