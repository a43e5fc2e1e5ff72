// The post step (action.yml `post`, `post-if: always()`): when the main step was cancelled or timed
// out before its own cleanup ran, remove what it left: the temp folder, which holds the image
// layouts and the base commit's checkout (RELIABILITY rows 25, 52). The workspace holds nothing of
// the action's to remove. Errors are warnings.
import * as core from '@actions/core';
import { rm } from 'node:fs/promises';
import { STATE } from './state.js';
import { errorMessage } from './errors.js';

export async function post(): Promise<void> {
  if (core.getState(STATE.cleaned) === 'true') return;
  const tmpDir = core.getState(STATE.tmpDir);
  if (tmpDir) {
    try {
      await rm(tmpDir, { recursive: true, force: true });
      core.info(`Removed ${tmpDir}`);
    } catch (e) {
      core.warning(`post: could not remove ${tmpDir}: ${errorMessage(e)}`);
    }
  }
}
