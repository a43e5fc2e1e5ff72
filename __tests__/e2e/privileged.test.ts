// End to end: events that run with this repository's privileges, and the events around them, through
// the bundled dist/index.js run as the runner runs it, on the real engine, with the loopback GitHub
// and Actions cache stand-ins. A `docker` wrapper first on PATH records the argv of every docker
// command (support/pr-run.ts's dockerWrapper, as in security.test.ts), so that what reaches buildx is read, not assumed.
// - Security requirement 1: measure mode on a workflow_run of a fork's code is refused unless
//   allow-fork-builds, as pull_request_target of a fork is.
// - Security requirement 12: a fork's code built with allow-fork-builds (pull_request_target,
//   workflow_run) reads the build cache but never writes it (no --cache-to).
// - RELIABILITY row 29: workflow_dispatch measures, writes the summary and report, stores its
//   baseline, and comments nowhere.
// - RELIABILITY row 32: the workflow_run commenter with no, or several, matching pull requests
//   comments nothing, warns, and does not fail.
import { jest } from '@jest/globals';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { baselineKey } from '../../src/baseline/store.js';
import { jobEnv } from '../support/cache-standin.js';
import { type FileTree, type PullRequestFixture } from '../support/git-fixture.js';
import { makeReport } from '../support/reports.js';
import { reportOf, usePrHarness, type DockerCall } from '../support/pr-run.js';
import { pullRequestPayload, runAction, type ActionRun } from '../support/run-action.js';

jest.setTimeout(5 * 60_000);

const FORK = 'mallory/r';
const REPOSITORY = { full_name: 'o/r', name: 'r', owner: { login: 'o' }, default_branch: 'main' };
/** A tree whose commits differ from every other test's (the marker). No RUN step: nothing needs a network. */
const tree = (marker: string): FileTree => ({
  Dockerfile: ['FROM image-budget/busybox AS release', 'COPY marker.txt /marker.txt', ''].join('\n'),
  'marker.txt': `${marker}\n`
});

const h = usePrHarness({ cache: { defaultBranch: 'main' } });

function fixture(marker: string, prNumber: number, checkout: 'pull-request' | 'branch' = 'pull-request'): Promise<PullRequestFixture> {
  return h.pr(tree(`${marker}-base`), tree(`${marker}-head`), prNumber, { checkout });
}

const isBuild = (argv: readonly string[]): boolean => argv.includes('buildx') && argv.indexOf('build') > argv.indexOf('buildx');
/** The values of every `--cache-from` / `--cache-to` of the recorded builds. */
function cacheFlags(calls: readonly DockerCall[]): { builds: number; from: string[]; to: string[] } {
  const builds = calls.map((c) => c.argv).filter(isBuild);
  const values = (flag: string): string[] => builds.flatMap((argv) => argv.flatMap((a, i) => (a === flag ? [argv[i + 1] ?? ''] : [])));
  return { builds: builds.length, from: values('--cache-from'), to: values('--cache-to') };
}

function workflowRunPayload(run: { headSha: string; headRepo?: string; event?: string }): unknown {
  return {
    action: 'completed',
    workflow_run: {
      id: 4343,
      name: 'image-size',
      event: run.event ?? 'pull_request',
      conclusion: 'success',
      head_sha: run.headSha,
      head_branch: 'feature',
      head_repository: { full_name: run.headRepo ?? FORK, fork: (run.headRepo ?? FORK) !== 'o/r' },
      pull_requests: []
    },
    repository: REPOSITORY
  };
}

/** A measuring run (mode: measure) on workflow_run, whose workspace is the triggering run's head, as a workflow checking out `workflow_run.head_sha` has it. */
async function measureOnWorkflowRun(f: PullRequestFixture, inputs: Record<string, string>, more: { headRepo?: string; event?: string; path?: string } = {}): Promise<ActionRun> {
  h.cache.setScope('refs/heads/main');
  return runAction({
    workspace: f.checkout,
    eventName: 'workflow_run',
    payload: workflowRunPayload({ headSha: f.headSha, ...(more.headRepo ? { headRepo: more.headRepo } : {}), ...(more.event ? { event: more.event } : {}) }),
    inputs: { network: 'none', targets: 'release', ...inputs },
    env: {
      ...jobEnv(h.cache),
      GITHUB_API_URL: h.github.url,
      GITHUB_GRAPHQL_URL: h.github.graphqlUrl,
      GITHUB_SHA: f.baseSha,
      GITHUB_REF: 'refs/heads/main',
      ...(more.path ? { PATH: more.path } : {})
    }
  });
}

describe('security requirement 1: measure mode on a workflow_run of a fork', () => {
  test("is refused before any build, with a security explanation pointing at mode: comment; the step fails", async () => {
    const f = await fixture('wr-refused', 81);
    const docker = await h.dockerWrapper();
    const requests = h.github.state.requests.length;
    const run = await measureOnWorkflowRun(f, { cache: 'none' }, { path: docker.path });
    expect(run.code).toBe(1);
    expect(run.errors.join('\n')).toMatch(
      /Refusing to build the code of a pull_request run from mallory\/r \(not this repository\) on workflow_run: .*write token and secrets.*"pwn request".*mode: comment.*allow-fork-builds: true/s
    );
    expect(run.stdout).not.toMatch(/Build head target/);
    expect(cacheFlags(await docker.calls()).builds).toBe(0);
    expect(h.github.state.requests.length).toBe(requests);
  });

  test('a workflow_run of a deleted fork (no head repository) is refused too', async () => {
    const f = await fixture('wr-deleted', 82);
    h.cache.setScope('refs/heads/main');
    const payload = workflowRunPayload({ headSha: f.headSha }) as { workflow_run: Record<string, unknown> };
    payload.workflow_run.head_repository = null;
    const run = await runAction({
      workspace: f.checkout,
      eventName: 'workflow_run',
      payload,
      inputs: { network: 'none', targets: 'release', cache: 'none' },
      env: { GITHUB_API_URL: h.github.url, GITHUB_SHA: f.baseSha, GITHUB_REF: 'refs/heads/main' }
    });
    expect(run.code).toBe(1);
    expect(run.errors.join('\n')).toMatch(/Refusing to build the code of a pull_request run from a repository the workflow_run payload does not name/);
    expect(run.stdout).not.toMatch(/Build head target/);
  });

  test("this repository's own workflow_run is built, and writes its cache (mode=min: not a push of the default branch)", async () => {
    const f = await fixture('wr-own', 83);
    const docker = await h.dockerWrapper();
    const run = await measureOnWorkflowRun(f, { cache: 'local=.buildcache' }, { headRepo: 'o/r', event: 'push', path: docker.path });
    expect(run.code).toBe(0);
    expect(run.warnings.join('\n')).not.toMatch(/allow-fork-builds/);
    const flags = cacheFlags(await docker.calls());
    expect(flags.builds).toBe(1);
    expect(flags.from.length).toBeGreaterThan(0);
    expect(flags.to).toHaveLength(1);
    expect(flags.to[0]).toMatch(/^type=local,dest=.*\.buildcache\/.*,mode=min,ignore-error=true$/);
    expect((await reportOf(run)).targets.find((t) => t.target === 'release')?.head.state).toBe('measured');
  });
});

describe('security requirement 12: a fork built with allow-fork-builds reads the cache, never writes it', () => {
  test('workflow_run: built with a warning; --cache-from, no --cache-to; the log says why', async () => {
    const f = await fixture('wr-allowed', 84);
    const docker = await h.dockerWrapper();
    const run = await measureOnWorkflowRun(f, { cache: 'local=.buildcache', 'allow-fork-builds': 'true' }, { path: docker.path });
    expect(run.code).toBe(0);
    expect(run.warnings.join('\n')).toMatch(/allow-fork-builds is true: building the code of a pull_request run from mallory\/r \(not this repository\) on workflow_run/);
    expect(run.stdout).toMatch(/cache: read, not written: this run builds the code of a pull_request run from mallory\/r .*\(no --cache-to\)/);
    const flags = cacheFlags(await docker.calls());
    expect(flags.builds).toBe(1);
    expect(flags.from.length).toBeGreaterThan(0);
    expect(flags.to).toEqual([]);
    expect((await reportOf(run)).targets.find((t) => t.target === 'release')?.head.state).toBe('measured');
  });

  test("pull_request_target: the fork is built without --cache-to; the same repository's branch still writes it, mode=min (issue 11.4)", async () => {
    const f = await fixture('prt-allowed', 85);
    const prt = async (fork: boolean, inputs: Record<string, string>): Promise<{ run: ActionRun; flags: ReturnType<typeof cacheFlags> }> => {
      const docker = await h.dockerWrapper();
      h.cache.setScope('refs/heads/main');
      const run = await runAction({
        workspace: f.checkout,
        eventName: 'pull_request_target',
        payload: pullRequestPayload({ number: f.prNumber, baseSha: f.baseSha, headSha: f.headSha, fork }),
        inputs: { network: 'none', targets: 'release', baseline: 'none', comment: 'never', cache: 'local=.buildcache', ...inputs },
        // pull_request_target runs on the default branch: GITHUB_REF is main, yet only push, schedule
        // and workflow_dispatch runs export mode=max there.
        env: { ...jobEnv(h.cache), GITHUB_API_URL: h.github.url, GITHUB_SHA: f.baseSha, GITHUB_REF: 'refs/heads/main', PATH: docker.path }
      });
      return { run, flags: cacheFlags(await docker.calls()) };
    };

    const allowed = await prt(true, { 'allow-fork-builds': 'true' });
    expect(allowed.run.code).toBe(0);
    expect(allowed.run.warnings.join('\n')).toMatch(/allow-fork-builds is true: building a fork's pull request on pull_request_target/);
    expect(allowed.run.stdout).toMatch(/cache: read, not written: this run builds a fork's pull request on pull_request_target/);
    expect(allowed.flags.builds).toBe(1);
    expect(allowed.flags.from.length).toBeGreaterThan(0);
    expect(allowed.flags.to).toEqual([]);

    const own = await prt(false, {});
    expect(own.run.code).toBe(0);
    expect(own.run.stdout).not.toMatch(/cache: read, not written/);
    expect(own.flags.builds).toBe(1);
    expect(own.flags.to).toHaveLength(1);
    expect(own.flags.to[0]).toMatch(/,mode=min,ignore-error=true$/);
  });
});

describe("issue 16.2: a fork built with allow-fork-builds reaches no Actions runtime and no frontend of its own", () => {
  const OIDC = { ACTIONS_ID_TOKEN_REQUEST_URL: 'http://127.0.0.1:9/oidc', ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'oidc-request-token-value' };
  async function forkOnTarget(f: PullRequestFixture, inputs: Record<string, string>, dockerPath: string): Promise<ActionRun> {
    h.cache.setScope('refs/heads/main');
    return runAction({
      workspace: f.checkout,
      eventName: 'pull_request_target',
      payload: pullRequestPayload({ number: f.prNumber, baseSha: f.baseSha, headSha: f.headSha, fork: true }),
      inputs: { network: 'none', targets: 'release', comment: 'never', 'allow-fork-builds': 'true', ...inputs },
      env: { ...jobEnv(h.cache), ...OIDC, GITHUB_API_URL: h.github.url, GITHUB_SHA: f.baseSha, GITHUB_REF: 'refs/heads/main', PATH: dockerPath }
    });
  }

  test('cache: gha is left out, saying so in the log and the notes; no docker command gets the runtime, cache or OIDC variables', async () => {
    const f = await fixture('prt-runtime', 91);
    const docker = await h.dockerWrapper();
    const run = await forkOnTarget(f, { cache: 'gha', baseline: 'none' }, docker.path);
    expect(run.code).toBe(0);
    const calls = await docker.calls();
    const flags = cacheFlags(calls);
    expect(flags.builds).toBe(1);
    expect([flags.from, flags.to]).toEqual([[], []]);
    // Every docker command, the probes and the build: the runner's variables are in the job's environment, not docker's.
    expect(jobEnv(h.cache).ACTIONS_RUNTIME_TOKEN).toBeTruthy();
    for (const c of calls) {
      expect([c.argv.slice(0, 2), c.env.filter((kv) => /^(ACTIONS_|GITHUB_TOKEN=|GH_TOKEN=|INPUT_)/.test(kv))]).toEqual([c.argv.slice(0, 2), []]);
      expect(c.env.join('\n')).not.toContain(jobEnv(h.cache).ACTIONS_RUNTIME_TOKEN);
      expect(c.env).toContain(`DOCKER_HOST=${process.env.DOCKER_HOST}`);
    }
    expect(run.stdout).toMatch(/cache: No build cache: this run builds a fork's pull request on pull_request_target, and the gha cache would put the Actions runtime token within its reach\./);
    const report = await reportOf(run);
    expect(report.notes).toContain(
      "No build cache: this run builds a fork's pull request on pull_request_target, and the gha cache would put the Actions runtime token within its reach."
    );
    expect(report.targets.find((t) => t.target === 'release')?.head.state).toBe('measured');
  });

  test('a Dockerfile that names a frontend (# syntax=) is refused before any build, naming the file and the directive', async () => {
    const head: FileTree = { Dockerfile: ['#  SYNTAX = mallory/frontend:latest', 'FROM image-budget/busybox AS release', ''].join('\n') };
    const f = await h.pr(tree('prt-syntax-base'), head, 92);
    const docker = await h.dockerWrapper();
    const run = await forkOnTarget(f, { cache: 'none' }, docker.path);
    expect(run.code).toBe(1);
    expect(run.errors.join('\n')).toMatch(
      /Refusing to build a fork's pull request on pull_request_target: Dockerfile:1 names the frontend "mallory\/frontend:latest" \("#  SYNTAX = mallory\/frontend:latest"\).*pin a frontend by digest with the build argument BUILDKIT_SYNTAX/s
    );
    expect(run.stdout).not.toMatch(/Build head target/);
    expect(cacheFlags(await docker.calls()).builds).toBe(0);
  });
});

describe('RELIABILITY row 29: workflow_dispatch', () => {
  test('measures the checked-out commit, writes the summary and report, stores its baseline, comments nowhere', async () => {
    const f = await fixture('dispatch', 86, 'branch');
    h.cache.setScope('refs/heads/main');
    const requests = h.github.state.requests.length;
    const run = await runAction({
      workspace: f.checkout,
      eventName: 'workflow_dispatch',
      payload: { inputs: {}, ref: 'refs/heads/main', repository: REPOSITORY, sender: { login: 'octocat' } },
      inputs: { network: 'none', targets: 'release', cache: 'none', 'comment-key': 'dispatch', 'max-increase': '1%' },
      env: { ...jobEnv(h.cache), GITHUB_API_URL: h.github.url, GITHUB_GRAPHQL_URL: h.github.graphqlUrl, GITHUB_SHA: f.headSha, GITHUB_REF: 'refs/heads/main' }
    });
    expect(run.code).toBe(0);
    expect(run.errors).toEqual([]);
    const report = await reportOf(run);
    expect(report.event).toBe('workflow_dispatch');
    expect(report.head.sha).toBe(f.headSha);
    expect(report.targets.find((t) => t.target === 'release')).toMatchObject({ status: 'no-baseline', head: { state: 'measured' } });
    expect(run.summary).toContain('release');
    expect(run.outputs.summary).toContain('release');
    expect(run.outputs.regressed).toBe('false');
    // No pull request: no comment is attempted, GitHub is never asked anything.
    expect(h.github.state.requests.length).toBe(requests);
    expect(run.outputs['comment-id']).toBeUndefined();
    // Stored like push and schedule: under the commit, in the default branch's scope.
    expect(run.stdout).toContain(`Stored this report as the baseline of ${f.headSha}`);
    const key = baselineKey('o/r', 'dispatch', f.headSha);
    expect(h.cache.entries().filter((e) => e.key === key).map((e) => [e.scope, e.finalized])).toEqual([['refs/heads/main', true]]);
  });
});

describe('RELIABILITY row 32: the workflow_run commenter cannot tell the pull request', () => {
  const NO_DOCKER = 'unix:///nonexistent/image-budget-test.sock';
  const sha = (c: string): string => c.repeat(40);

  async function commentRun(headSha: string, number: number): Promise<ActionRun> {
    const workspace = await h.temp('ib-comment-job-');
    await mkdir(path.join(workspace, 'artifact'));
    const report = makeReport({ image: 'api', rows: [{ target: 'release', base: 100, head: 150 }], pullRequest: { number, headSha } });
    await writeFile(path.join(workspace, 'artifact', 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
    return runAction({
      workspace,
      eventName: 'workflow_run',
      payload: workflowRunPayload({ headSha }),
      inputs: { mode: 'comment', reports: 'artifact' },
      env: { GITHUB_API_URL: h.github.url, GITHUB_GRAPHQL_URL: h.github.graphqlUrl, GITHUB_SHA: sha('9'), GITHUB_REF: 'refs/heads/main', DOCKER_HOST: NO_DOCKER }
    });
  }

  const writes = (): number => h.github.state.requests.filter((r) => r.method !== 'GET' && r.route !== '/graphql').length;

  test('no pull request has that head: a warning, no comment, the step passes', async () => {
    // The fork exists (it has another pull request), only no pull request has this commit as its head.
    h.github.addPull({ number: 90, headRepoFullName: FORK, headSha: sha('f'), headRef: 'other' });
    const before = writes();
    const run = await commentRun(sha('d'), 87);
    expect(run.code).toBe(0);
    expect(run.errors).toEqual([]);
    expect(run.warnings).toEqual([
      `Not commenting: cannot tell which pull request the run was for: no pull request of o/r has its head in ${FORK} at ${sha('d')}.`
    ]);
    // The lookup was made (through the fork's commit), nothing was written.
    expect(h.github.requests('GET').map((r) => r.route)).toContain(`/repos/${FORK}/commits/${sha('d')}/pulls`);
    expect(writes()).toBe(before);
    expect(h.github.commentsOn(87)).toHaveLength(0);
    expect(run.outputs['comment-id']).toBeUndefined();
    expect(run.outputs.report).toBeUndefined();
  });

  test('two open pull requests share that head: a warning naming both, no comment on either, the step passes', async () => {
    h.github.addPull({ number: 88, headRepoFullName: FORK, headSha: sha('e'), headRef: 'one' });
    h.github.addPull({ number: 89, headRepoFullName: FORK, headSha: sha('e'), headRef: 'two' });
    const before = writes();
    const run = await commentRun(sha('e'), 88);
    expect(run.code).toBe(0);
    expect(run.errors).toEqual([]);
    expect(run.warnings).toEqual([
      `Not commenting: cannot tell which pull request the run was for: several open pull requests of o/r have their head in ${FORK} at ${sha('e')} (#88, #89); not guessing which.`
    ]);
    expect(writes()).toBe(before);
    expect(h.github.commentsOn(88)).toHaveLength(0);
    expect(h.github.commentsOn(89)).toHaveLength(0);
    expect(run.outputs['comment-id']).toBeUndefined();
  });
});
