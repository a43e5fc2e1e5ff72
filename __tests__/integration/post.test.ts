// The post step (action.yml `post:`, `post-if: always()`; RELIABILITY rows 25 and 52), run as the
// runner runs it: dist/index.js again, with the state the main step saved as STATE_<name>. It removes
// what a main step that never reached its own cleanup left (the temp folder, which holds the base
// commit's checkout), turns every cleanup error into a warning, and never fails. The user's
// checkout holds nothing of the action's.
// No Docker: the main step here is stopped at its first docker call, a fake `docker` that waits.
import { jest } from '@jest/globals';
import { spawn } from 'node:child_process';
import { chmod, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runGit, type PullRequestFixture } from '../support/git-fixture.js';
import { useScratch } from '../support/pr-run.js';
import { actionDefaults, BUNDLE, NODE24, parseOutputFile, pullRequestPayload, runAction, type ActionRun } from '../support/run-action.js';

jest.setTimeout(120_000);

const DOCKERFILE = 'FROM scratch AS release\nCOPY a.txt /a.txt\n';
const { pr, temp } = useScratch();

function fixture(n: number): Promise<PullRequestFixture> {
  return pr({ Dockerfile: DOCKERFILE, 'a.txt': `base ${n}\n` }, { Dockerfile: DOCKERFILE, 'a.txt': `head ${n}\n` }, n);
}

const exists = async (p: string): Promise<boolean> => stat(p).then(
  () => true,
  () => false
);

/** The worktrees git has registered in `repo` (their paths). */
async function worktrees(repo: string): Promise<string[]> {
  const out = await runGit(repo, ['worktree', 'list', '--porcelain']);
  return out.split('\n').filter((l) => l.startsWith('worktree ')).map((l) => l.slice('worktree '.length));
}

/** The base checkout the main step made in its temp folder (image-budget-base-*), or undefined. */
async function baseIn(tmpDir: string): Promise<string | undefined> {
  const name = (await readdir(tmpDir)).find((n) => n.startsWith('image-budget-base-'));
  return name === undefined ? undefined : path.join(tmpDir, name);
}

/** Runs dist's post entry as the runner does: the same bundle, with the main step's saved state. */
function postStep(state: Readonly<Record<string, string>>, workspace: string): Promise<ActionRun> {
  return runAction({ workspace, eventName: 'pull_request', payload: {}, state: { isPost: 'true', ...state } });
}

/**
 * Starts the main step (dist/index.js, as runAction does) on a pull request with a `docker` that
 * records its first call and then waits, and kills the step there, as a cancelled job is: after the
 * base commit was checked out, before the step's own cleanup. Resolves to the state it saved.
 */
async function cancelledMainStep(f: PullRequestFixture): Promise<Record<string, string>> {
  const dir = await temp('ib-post-main-');
  const bin = path.join(dir, 'bin');
  const called = path.join(dir, 'docker-called');
  await mkdir(bin);
  await writeFile(path.join(bin, 'docker'), `#!/bin/sh\necho "$@" >> "${called}"\nexec sleep 300\n`);
  await chmod(path.join(bin, 'docker'), 0o755);
  const files = { event: path.join(dir, 'event.json'), output: path.join(dir, 'output.txt'), summary: path.join(dir, 'summary.md'), state: path.join(dir, 'state.txt') };
  await writeFile(files.event, JSON.stringify(pullRequestPayload({ number: f.prNumber, baseSha: f.baseSha, headSha: f.headSha })));
  for (const file of [files.output, files.summary, files.state]) await writeFile(file, '');
  const inputs = { ...(await actionDefaults('write-token')), targets: 'release', network: 'none', cache: 'none', baseline: 'build', comment: 'never' };
  const env: NodeJS.ProcessEnv = {
    PATH: `${bin}:${process.env.PATH ?? ''}`,
    HOME: process.env.HOME,
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: f.checkout,
    GITHUB_EVENT_NAME: 'pull_request',
    GITHUB_EVENT_PATH: files.event,
    GITHUB_OUTPUT: files.output,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_STATE: files.state,
    GITHUB_REPOSITORY: 'o/r',
    GITHUB_SHA: f.mergeSha,
    GITHUB_REF: `refs/pull/${f.prNumber}/merge`,
    RUNNER_TEMP: path.join(dir, 'runner-temp')
  };
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
  // Its own process group, so that the step and the waiting docker are stopped together, by id.
  const child = spawn(NODE24, [BUNDLE], { cwd: f.checkout, env, detached: true, stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    const deadline = Date.now() + 60_000;
    while (!(await exists(called))) {
      if (child.exitCode !== null) throw new Error(`the main step exited (${child.exitCode}) before calling docker`);
      if (Date.now() > deadline) throw new Error('the main step never called docker');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    if (child.pid !== undefined && child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
    await exited;
  }
  return parseOutputFile(await readFile(files.state, 'utf8'));
}

describe('the post step after a main step that did not clean up', () => {
  let f: PullRequestFixture;
  let state: Record<string, string>;
  let base: string | undefined;

  beforeAll(async () => {
    f = await fixture(61);
    state = await cancelledMainStep(f);
    base = state.tmpDir ? await baseIn(state.tmpDir) : undefined;
  });

  test('the cancelled main step left its temp folder, holding the base checkout, and no `cleaned` mark; no worktree', async () => {
    expect(state.isPost).toBe('true');
    expect(state.cleaned).toBeUndefined();
    expect(state.tmpDir).toBeTruthy();
    expect(await exists(state.tmpDir!)).toBe(true);
    expect(base).toBeDefined();
    expect(await exists(path.join(base!, 'Dockerfile'))).toBe(true);
    expect(await worktrees(f.checkout)).toEqual([f.checkout]);
  });

  test('the post step removes it and passes without a warning', async () => {
    const run = await postStep(state, f.checkout);
    expect(run.code).toBe(0);
    expect(run.warnings).toEqual([]);
    expect(run.stdout).toContain(`Removed ${state.tmpDir}`);
    expect(await exists(base!)).toBe(false);
    expect(await exists(state.tmpDir!)).toBe(false);
    // The user's checkout is untouched.
    expect(await readFile(path.join(f.checkout, 'a.txt'), 'utf8')).toBe('head 61\n');
  });

  test('run again (a re-run of the post step), it finds nothing to remove and still passes', async () => {
    const run = await postStep(state, f.checkout);
    expect(run.code).toBe(0);
    expect(run.warnings).toEqual([]);
  });
});

test('after a main step that failed (docker refused), its own cleanup ran: nothing is left, and the post step passes', async () => {
  const f = await fixture(64);
  const dir = await temp('ib-post-failed-');
  await mkdir(path.join(dir, 'bin'));
  await writeFile(path.join(dir, 'bin', 'docker'), '#!/bin/sh\necho "Cannot connect to the Docker daemon" >&2\nexit 1\n');
  await chmod(path.join(dir, 'bin', 'docker'), 0o755);
  const main = await runAction({
    workspace: f.checkout,
    eventName: 'pull_request',
    payload: pullRequestPayload({ number: f.prNumber, baseSha: f.baseSha, headSha: f.headSha }),
    inputs: { targets: 'release', network: 'none', cache: 'none', baseline: 'build', comment: 'never' },
    env: { PATH: `${path.join(dir, 'bin')}:${process.env.PATH ?? ''}`, GITHUB_SHA: f.mergeSha, GITHUB_REF: `refs/pull/${f.prNumber}/merge` }
  });
  expect(main.code).toBe(1);
  expect(main.state.cleaned).toBe('true');
  expect(await exists(main.state.tmpDir!)).toBe(false);
  expect(await worktrees(f.checkout)).toEqual([f.checkout]);
  const post = await postStep(main.state, f.checkout);
  expect(post.code).toBe(0);
  expect(post.warnings).toEqual([]);
  expect(post.stdout).not.toContain('Removed');
});

describe('cleanup errors in the post step are warnings; the step never fails', () => {
  test('a temp folder that cannot be removed: one warning, exit code 0', async () => {
    const dir = await temp('ib-post-stuck-');
    // A path below a regular file: no one, root included, can remove (or have) it: ENOTDIR.
    const file = path.join(dir, 'a-file');
    await writeFile(file, 'x');
    const repo = (await fixture(62)).checkout;
    const run = await postStep({ tmpDir: path.join(file, 'tmp') }, repo);
    expect(run.code).toBe(0);
    expect(run.errors).toEqual([]);
    expect(run.warnings).toHaveLength(1);
    expect(run.warnings[0]).toMatch(new RegExp(`^post: could not remove ${path.join(file, 'tmp').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ENOTDIR`));
    expect(await readFile(file, 'utf8')).toBe('x');
  });

  test('the `worktree` state of earlier versions is ignored: the temp folder is removed, no warning', async () => {
    const tmpDir = await temp('ib-post-old-state-');
    const run = await postStep({ tmpDir, worktree: '{not json' }, tmpDir);
    expect(run.code).toBe(0);
    expect(run.warnings).toEqual([]);
    expect(await exists(tmpDir)).toBe(false);
  });

  test('after a main step that cleaned up itself (`cleaned`), the post step touches nothing', async () => {
    const tmpDir = await temp('ib-post-cleaned-');
    const run = await postStep({ tmpDir, cleaned: 'true' }, tmpDir);
    expect(run.code).toBe(0);
    expect(run.warnings).toEqual([]);
    expect(await exists(tmpDir)).toBe(true);
  });
});
