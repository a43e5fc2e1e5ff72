// Entry point of the action (runs.main and runs.post): the work is in main.ts, the post step's
// cleanup in post.ts.
import * as core from '@actions/core';
import { run } from './main.js';
import { post } from './post.js';
import { STATE } from './state.js';

if (core.getState(STATE.isPost) === 'true') {
  void post();
} else {
  core.saveState(STATE.isPost, 'true');
  void run();
}
