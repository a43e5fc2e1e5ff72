// End to end: merge and comment modes (issue 5), the bundled dist/index.js run as the runner runs it,
// against the loopback GitHub stand-in.
// - Matrix jobs: three real measuring runs (one image each, `name` set, `comment: never`) on the
//   real engine, their reports laid out as download-artifact lays them out, merged into ONE comment.
// - The fork-safe comment: a `workflow_run` job comments a fork's uploaded report, after finding
//   the pull request through the API; stale and tampered artifacts are refused with a warning.
// Merge and comment modes build nothing: their runs get a DOCKER_HOST that answers nothing.
import { jest } from '@jest/globals';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MAX_STORED_REPORT_BYTES } from '../../src/baseline/store.js';
import type { Report } from '../../src/report/report.js';
import { SELF_REPORTED_NOTE } from '../../src/report/render.js';
import { ensureEngine } from '../support/engine.js';
import { type PullRequestFixture } from '../support/git-fixture.js';
import { reportOf as readReportOutput, usePrHarness } from '../support/pr-run.js';
import { makeReport, type ReportSpec } from '../support/reports.js';
import { pullRequestPayload, runAction, type ActionRun } from '../support/run-action.js';

jest.setTimeout(5 * 60_000);

const NO_DOCKER = 'unix:///nonexistent/image-budget-test.sock';

// Merge and comment modes need no engine: only the matrix jobs make sure one answers.
const h = usePrHarness({ engine: false });

/** The workspace of a job that checks nothing out: only what the test puts there (the downloads). */
const jobWorkspace = (): Promise<string> => h.temp('ib-job-');

async function put(file: string, content: string | Buffer): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
}

const json = (r: Report): string => `${JSON.stringify(r, null, 2)}\n`;

/** Requests that change something (the GraphQL viewer query is a POST that only reads). */
const writes = (): number => h.github.state.requests.filter((r) => r.method !== 'GET' && r.route !== '/graphql').length;

describe('matrix jobs: three measuring runs merged into one comment', () => {
  const PR = 51;
  const dockerfile = (data: string, release: 'scratch' | 'fat'): string =>
    [
      'FROM image-budget/busybox AS builder',
      `RUN mkdir -p /out && ${data} > /out/data.txt`,
      release === 'scratch' ? 'FROM scratch AS release' : 'FROM builder AS release',
      'COPY --from=builder /out/ /app/',
      ''
    ].join('\n');
  const images = {
    api: { data: 'seq 1 1000', base: 'scratch', head: 'scratch' },
    web: { data: 'seq 1 3000', base: 'scratch', head: 'scratch' },
    // worker's release grows from scratch to the whole builder: it breaks max-increase.
    worker: { data: 'seq 1 2000', base: 'scratch', head: 'fat' }
  } as const;
  let f: PullRequestFixture;
  const runs: Record<string, ActionRun> = {};
  let workspace: string;

  beforeAll(async () => {
    ensureEngine();
    const tree = (side: 'base' | 'head'): Record<string, string> =>
      Object.fromEntries(Object.entries(images).map(([name, i]) => [`${name}/Dockerfile`, dockerfile(i.data, i[side])]));
    f = await h.pr(tree('base'), tree('head'), PR);
    // The matrix: one job per image, each with its own name and comment-key, none commenting.
    for (const name of Object.keys(images)) {
      runs[name] = await h.runOnPr(f, { context: name, targets: 'release', name, 'comment-key': `image-budget-${name}`, comment: 'never', 'max-increase': '10%' });
    }
    // The merge job downloads every artifact into reports/<artifact name>/report.json.
    workspace = await jobWorkspace();
    for (const [name, run] of Object.entries(runs)) {
      await put(path.join(workspace, `reports/image-budget-report-${name}/report.json`), await readFile(run.outputs.report!, 'utf8'));
    }
  });

  const merge = (inputs: Record<string, string> = {}): Promise<ActionRun> =>
    runAction({
      workspace,
      eventName: 'pull_request',
      payload: pullRequestPayload({ number: PR, baseSha: f.baseSha, headSha: f.headSha }),
      inputs: { mode: 'merge', reports: 'reports', ...inputs },
      env: { GITHUB_API_URL: h.github.url, GITHUB_GRAPHQL_URL: h.github.graphqlUrl, GITHUB_SHA: f.mergeSha, GITHUB_REF: `refs/pull/${PR}/merge`, DOCKER_HOST: NO_DOCKER }
    });

  test('each job measured its image, labelled its rows with its name and named the pull request; none commented', async () => {
    expect(runs.api!.code).toBe(0);
    expect(runs.web!.code).toBe(0);
    expect(runs.worker!.code).toBe(1);
    for (const [name, run] of Object.entries(runs)) {
      const report = await readReportOutput(run);
      expect(report.targets.map((t) => [t.image, t.target])).toEqual([[name, 'release']]);
      expect(report.pullRequest).toEqual({ number: PR, headSha: f.headSha });
      expect(report.targets[0]!.head.state).toBe('measured');
    }
    expect(h.github.commentsOn(PR)).toHaveLength(0);
  });

  test('merge: ONE comment with every image, the merged report and outputs, then the step fails on worker', async () => {
    const run = await merge();
    expect(run.code).toBe(1);
    const comments = h.github.commentsOn(PR);
    expect(comments).toHaveLength(1);
    const body = comments[0]!.body;
    expect(body.trimEnd().endsWith('<!-- image-budget:image-budget -->')).toBe(true);
    for (const name of Object.keys(images)) expect(body).toContain(`\`${name}\` › \`release\``);
    expect(body).toMatch(/worker.*exceeds max-increase 10%/);
    expect(run.outputs['comment-id']).toBe(String(comments[0]!.id));
    expect(run.outputs['comment-url']).toContain(`#issuecomment-${comments[0]!.id}`);
    expect(run.outputs.regressed).toBe('true');
    expect(run.outputs.summary).toContain('`worker` › `release`');
    expect(run.summary).toContain('`api` › `release`');

    // The merged report: every job's row, in artifact order, with its own verdicts and numbers.
    const merged = await readReportOutput(run);
    expect(merged.targets.map((t) => t.image)).toEqual(['api', 'web', 'worker']);
    expect(merged.pullRequest).toEqual({ number: PR, headSha: f.headSha });
    for (const [name, job] of Object.entries(runs)) {
      const own = (await readReportOutput(job)).targets[0]!;
      expect(merged.targets.find((t) => t.image === name)).toEqual(own);
    }
    // Verdict last, after the comment: one annotation naming the image, then the failure.
    expect(run.errors.join('\n')).toMatch(/exceeds max-increase 10%/);
    // @actions/core escapes the title's `:` as %3A.
    expect(run.stdout).toMatch(/::error title=image-budget%3A worker\/release \(linux\/amd64\)::/);
    expect(run.stdout.indexOf('Comment created')).toBeGreaterThan(-1);
    expect(run.stdout.indexOf('::error::Image budget exceeded')).toBeGreaterThan(run.stdout.indexOf('Comment created'));
    // (workflow command data: a line break is escaped as %0A)
    expect(run.errors.join('\n')).toMatch(/Image budget exceeded for 1 target:%0A {2}worker\/release \(linux\/amd64\)/);
  });

  test("the merged comment has the files section the job's own comment would have had (the file lists travel in the reports)", async () => {
    const body = h.github.commentsOn(PR)[0]!.body;
    expect(body).toContain(
      [
        '<details><summary><code>worker</code> › <code>release</code> · linux/amd64 · 2 files changed · 0 B wasted</summary>',
        '',
        '| Change | Path | Before | After | Δ |',
        '|:--|:--|--:|--:|--:|',
        '| added | `/bin/busybox` | — | 1.98 MB | +1.98 MB |',
        '| added | `/out/data.txt` | — | 8.89 kB | +8.89 kB |',
        '',
        '_In all: 2 files added (+1.99 MB), 0 removed (0 B), 0 grown (0 B), 0 shrunk (0 B)._',
        '',
        '**Wasted space**: 0 B (0.0% of the image); base: 0 B.'
      ].join('\n')
    );
    // The unchanged images waste nothing: no files section, as in a measuring run's comment.
    expect(body).not.toContain('<code>api</code> › <code>release</code> · linux/amd64 ·');
  });

  test('merging again edits nothing; fail-on-regression: false only warns', async () => {
    const [comment] = h.github.commentsOn(PR);
    const before = writes();
    const run = await merge({ 'fail-on-regression': 'false' });
    expect(run.code).toBe(0);
    expect(run.warnings.join('\n')).toMatch(/fail-on-regression is false/);
    expect(h.github.commentsOn(PR)).toEqual([comment]);
    expect(writes()).toBe(before);
  });

  test('another merge with another comment-key keeps its own comment; the first is left as it was', async () => {
    const [first] = h.github.commentsOn(PR);
    const firstBody = first!.body;
    const run = await merge({ reports: 'reports/image-budget-report-api, reports/image-budget-report-web/report.json', 'comment-key': 'services' });
    expect(run.code).toBe(0);
    const comments = h.github.commentsOn(PR);
    expect(comments).toHaveLength(2);
    expect(comments[0]!.body).toBe(firstBody);
    const second = comments[1]!.body;
    expect(second.trimEnd().endsWith('<!-- image-budget:services -->')).toBe(true);
    expect(second).toContain('`api` › `release`');
    expect(second).toContain('`web` › `release`');
    expect(second).not.toContain('worker');
    expect(run.outputs.regressed).toBe('false');
  });
});

describe('merge: a report that cannot be used fails the step before anything, naming the input and the file', () => {
  const PR = 52;
  const run = async (workspace: string, reports: string): Promise<ActionRun> =>
    runAction({
      workspace,
      eventName: 'pull_request',
      payload: pullRequestPayload({ number: PR, baseSha: 'a'.repeat(40), headSha: 'b'.repeat(40) }),
      inputs: { mode: 'merge', reports },
      env: { GITHUB_API_URL: h.github.url, GITHUB_GRAPHQL_URL: h.github.graphqlUrl, DOCKER_HOST: NO_DOCKER }
    });
  const api: ReportSpec = { image: 'api', rows: [{ target: 'release', base: 1, head: 2 }] };

  test.each<[string, Record<string, string | Buffer>, string, RegExp]>([
    ['a missing path', { 'reports/api/report.json': json(makeReport(api)) }, 'reports/api, reports/nope', /Invalid input 'reports': "reports\/nope" was not found \(looked at .*\/reports\/nope\)/],
    ['a file that is not JSON', { 'reports/bad/report.json': '{"oops"' }, 'reports', /Invalid input 'reports': "reports\/bad\/report.json" is refused: it is not valid JSON/],
    ['a report of a newer schema', { 'reports/new/report.json': JSON.stringify({ ...makeReport(api), version: 2 }) }, 'reports/new/report.json', /"reports\/new\/report.json" is refused: it has schema version 2/],
    [
      'two jobs without a name measuring the same target',
      { 'reports/a/report.json': json(makeReport({ rows: [{ target: 'release', head: 1 }] })), 'reports/b/report.json': json(makeReport({ rows: [{ target: 'release', head: 2 }] })) },
      'reports/*',
      /Invalid input 'reports': the 2 reports cannot be merged: target release \(linux\/amd64\) is in both reports\/a\/report.json and reports\/b\/report.json; give each job its own `name`/
    ]
  ])('%s', async (_name, files, reports, message) => {
    const workspace = await jobWorkspace();
    for (const [rel, content] of Object.entries(files)) await put(path.join(workspace, rel), content);
    const before = h.github.state.requests.length;
    const result = await run(workspace, reports);
    expect(result.code).toBe(1);
    expect(result.errors.join('\n')).toMatch(message);
    // Nothing was published: no API call, no report, no summary, no comment.
    expect(h.github.state.requests.length).toBe(before);
    expect(result.outputs.report).toBeUndefined();
    expect(result.summary).toBe('');
    expect(h.github.commentsOn(PR)).toHaveLength(0);
  });
});

describe('comment mode: the workflow_run job comments a fork\'s artifact', () => {
  const FORK = 'mallory/r';
  const sha = (c: string): string => c.repeat(40);

  function workflowRunPayload(run: { headSha: string; headRepo?: string; event?: string; pullRequests?: unknown[] }): unknown {
    return {
      action: 'completed',
      workflow_run: {
        id: 4242,
        name: 'image-size',
        event: run.event ?? 'pull_request',
        conclusion: 'failure',
        head_sha: run.headSha,
        head_branch: 'main',
        head_repository: { full_name: run.headRepo ?? FORK, fork: true },
        pull_requests: run.pullRequests ?? []
      },
      repository: { full_name: 'o/r', name: 'r', owner: { login: 'o' }, default_branch: 'main' }
    };
  }

  /** Runs the comment job on a workspace holding `files` (the downloaded artifact). */
  async function commentRun(
    payload: unknown,
    files: Record<string, string | Buffer>,
    more: { eventName?: string; inputs?: Record<string, string>; prepare?: (workspace: string) => Promise<void> } = {}
  ): Promise<ActionRun> {
    const workspace = await jobWorkspace();
    for (const [rel, content] of Object.entries(files)) await put(path.join(workspace, rel), content);
    if (more.prepare) await more.prepare(workspace);
    return runAction({
      workspace,
      eventName: more.eventName ?? 'workflow_run',
      payload,
      inputs: { mode: 'comment', reports: 'artifact', ...(more.inputs ?? {}) },
      env: { GITHUB_API_URL: h.github.url, GITHUB_GRAPHQL_URL: h.github.graphqlUrl, GITHUB_SHA: sha('9'), GITHUB_REF: 'refs/heads/main', DOCKER_HOST: NO_DOCKER }
    });
  }

  const reportOf = (number: number, headSha: string, image = 'api', regressed = false): string =>
    json(makeReport({ image, rows: [{ target: 'release', base: 100, head: 150, regressed }], pullRequest: { number, headSha } }));

  test("a fork's pull request: found through the API, its two matrix reports posted as one comment", async () => {
    h.github.addPull({ number: 61, headRepoFullName: FORK, headSha: sha('6'), headRef: 'main' });
    const files = {
      'artifact/image-budget-report-image-budget--api/report.json': reportOf(61, sha('6'), 'api'),
      'artifact/image-budget-report-image-budget--web/report.json': reportOf(61, sha('6'), 'web', true)
    };
    const run = await commentRun(workflowRunPayload({ headSha: sha('6') }), files);
    // A broken budget is shown, not judged again: the measuring run failed the pull request already.
    expect(run.code).toBe(0);
    expect(run.errors).toEqual([]);
    expect(run.warnings).toEqual([]);
    const comments = h.github.commentsOn(61);
    expect(comments).toHaveLength(1);
    expect(comments[0]!.body).toContain('`api` › `release`');
    expect(comments[0]!.body).toContain('`web` › `release`');
    // The numbers are the fork's own word, and the comment says so (issue 16).
    expect(comments[0]!.body).toContain(`\n\n${SELF_REPORTED_NOTE}\n\n`);
    expect(comments[0]!.body.trimEnd().endsWith('<!-- image-budget:image-budget -->')).toBe(true);
    expect(run.outputs['comment-id']).toBe(String(comments[0]!.id));
    expect(run.outputs.regressed).toBe('true');
    expect(run.summary).toContain('`web` › `release`');
    const report = await readReportOutput(run);
    expect(report.event).toBe('workflow_run');
    expect(report.pullRequest).toEqual({ number: 61, headSha: sha('6') });
    expect(report.targets.map((t) => t.image)).toEqual(['api', 'web']);
    // The pull request came from the fork's commit associations and a fresh read, never from the artifact.
    const gets = h.github.requests('GET').map((r) => r.route);
    expect(gets).toContain(`/repos/${FORK}/commits/${sha('6')}/pulls`);
    expect(gets).toContain('/repos/o/r/pulls/61');

    // The same artifact again: the comment is already right, nothing is written.
    const before = writes();
    const again = await commentRun(workflowRunPayload({ headSha: sha('6') }), files);
    expect(again.code).toBe(0);
    expect(h.github.commentsOn(61)).toHaveLength(1);
    expect(writes()).toBe(before);
  });

  test("a fork's report with file lists: the comment has its files section, a cut list said as such", async () => {
    h.github.addPull({ number: 64, headRepoFullName: FORK, headSha: sha('5'), headRef: 'files' });
    const report = JSON.parse(reportOf(64, sha('5'))) as { targets: Array<{ head: Record<string, unknown>; base: Record<string, unknown> }> };
    const entry = (path: string, bytes: number): unknown => ({ path, bytes });
    report.targets[0]!.base.files = { wastedBytes: 0, wasted: [], final: { files: 3, bytes: 2_700, below: 1_000, listed: [entry('app/bin', 2_000)] } };
    report.targets[0]!.head.files = {
      wastedBytes: 64,
      wasted: [entry('tmp/x', 64)],
      final: { files: 3, bytes: 5_100, listed: [entry('app/lib.so', 2_500), entry('app/bin', 2_400), entry('etc/conf', 200)] }
    };
    const run = await commentRun(workflowRunPayload({ headSha: sha('5') }), { 'artifact/report.json': json(report as unknown as Report) });
    expect(run.code).toBe(0);
    expect(run.warnings).toEqual([]);
    expect(h.github.commentsOn(64)[0]!.body).toContain(
      [
        '<details><summary><code>api</code> › <code>release</code> · linux/amd64 · at least 2 files changed · 64 B wasted</summary>',
        '',
        '| Change | Path | Before | After | Δ |',
        '|:--|:--|--:|--:|--:|',
        '| added or grown | `/app/lib.so` | under 1.00 kB | 2.50 kB | +1.50 kB or more |',
        '| grown | `/app/bin` | 2.00 kB | 2.40 kB | +400 B |',
        '',
        '_Of the listed files: 0 files added (0 B), 0 removed (0 B), 1 grown (+400 B), 0 shrunk (0 B)._',
        '',
        '_The base\'s file list was cut: files under 1.00 kB are not listed (2 files, 700 B); a head file it lacks is "added or grown" when it is 1.00 kB or more, and not shown when smaller._',
        '',
        '**Wasted space**: 64 B'
      ].join('\n')
    );
  });

  test('a stale artifact: the pull request was pushed to since, so nothing is commented', async () => {
    h.github.addPull({ number: 62, headRepoFullName: FORK, headSha: sha('7'), headRef: 'topic' });
    h.github.addPull({ number: 62, headSha: sha('8') });
    const run = await commentRun(workflowRunPayload({ headSha: sha('7') }), { 'artifact/report.json': reportOf(62, sha('7')) });
    expect(run.code).toBe(0);
    expect(run.warnings.join('\n')).toMatch(/Not commenting: pull request #62 has moved on to 8888888 since the run measured 7777777; this report is stale/);
    expect(h.github.commentsOn(62)).toHaveLength(0);
    expect(run.outputs['comment-id']).toBeUndefined();
    expect(run.outputs.report).toBeUndefined();
  });

  describe('tampered artifacts are refused with a warning that says why; no comment, never a crash', () => {
    let n = 70;
    interface Tampered {
      readonly name: string;
      readonly files: (number: number, head: string) => Record<string, string | Buffer>;
      readonly reason: RegExp;
      /** Anything files cannot express (a symbolic link). */
      readonly prepare?: (ws: string, number: number, head: string) => Promise<void>;
    }
    const cases: Tampered[] = [
      { name: 'a report naming another pull request', files: (number, head) => ({ 'artifact/report.json': reportOf(number + 100, head) }), reason: /it says it is the report of pull request #\d+, but the workflow run is of #\d+/ },
      { name: 'a report naming another commit', files: (number) => ({ 'artifact/report.json': reportOf(number, sha('e')) }), reason: /it says it measured commit e{40}, but the workflow run is of/ },
      {
        name: 'a report of a push run (no pull request)',
        files: () => ({ 'artifact/report.json': json(makeReport({ image: 'api', rows: [{ target: 'release', head: 1 }], event: 'push' })) }),
        reason: /it names no pull request/
      },
      { name: 'an oversized report', files: () => ({ 'artifact/report.json': Buffer.alloc(MAX_STORED_REPORT_BYTES + 1024, 0x20) }), reason: /the report artifact\/report.json is refused: .*larger than 8388608 bytes/ },
      {
        name: 'a report.json that is a symbolic link',
        files: () => ({}),
        reason: /the report artifact\/report.json is refused: it is a symbolic link; refusing to follow it/,
        prepare: async (ws, number, head) => {
          await put(path.join(ws, 'elsewhere/report.json'), reportOf(number, head));
          await mkdir(path.join(ws, 'artifact'));
          await symlink(path.join(ws, 'elsewhere/report.json'), path.join(ws, 'artifact/report.json'));
        }
      },
      { name: 'a report that is not JSON', files: () => ({ 'artifact/report.json': '<html>not json' }), reason: /is refused: it is not valid JSON/ },
      {
        name: 'a report of a newer schema',
        files: (number, head) => ({ 'artifact/report.json': JSON.stringify({ ...(JSON.parse(reportOf(number, head)) as object), version: 2 }) }),
        reason: /it has schema version 2; this version of the action reads version 1/
      },
      { name: 'an artifact without report.json', files: () => ({ 'artifact/evil.json': '{}' }), reason: /the report artifact is refused: it holds no report.json/ }
    ];

    test.each(cases)('$name', async ({ files, reason, prepare }) => {
      const number = n++;
      // A head commit of its own: a commit shared with another pull request would make two candidates.
      const head = number.toString(16).padStart(40, 'c');
      h.github.addPull({ number, headRepoFullName: FORK, headSha: head, headRef: `b${number}` });
      const posts = h.github.requests('POST').length;
      const run = await commentRun(workflowRunPayload({ headSha: head }), files(number, head), prepare ? { prepare: (ws) => prepare(ws, number, head) } : {});
      expect(run.code).toBe(0);
      expect(run.errors).toEqual([]);
      expect(run.warnings).toHaveLength(1);
      expect(run.warnings[0]).toMatch(/^Not commenting: /);
      expect(run.warnings[0]).toMatch(reason);
      expect(h.github.commentsOn(number)).toHaveLength(0);
      expect(h.github.requests('POST').length).toBe(posts);
      expect(run.outputs.report).toBeUndefined();
    });
  });

  test('a workflow_run of a push: nothing to comment, and no warning', async () => {
    const before = h.github.state.requests.length;
    const run = await commentRun(workflowRunPayload({ headSha: sha('5'), headRepo: 'o/r', event: 'push' }), { 'artifact/report.json': reportOf(1, sha('5')) });
    expect(run.code).toBe(0);
    expect(run.warnings).toEqual([]);
    expect(run.stdout).toContain('The triggering run was a push run, not a pull request');
    expect(h.github.state.requests.length).toBe(before);
  });

  test('mode: comment outside a workflow_run workflow fails the step, saying where it belongs', async () => {
    const run = await commentRun(pullRequestPayload({ number: 63, baseSha: sha('1'), headSha: sha('2') }), { 'artifact/report.json': reportOf(63, sha('2')) }, { eventName: 'pull_request' });
    expect(run.code).toBe(1);
    expect(run.errors.join('\n')).toMatch(/mode: comment runs in a workflow triggered by workflow_run .* this run was triggered by pull_request/);
    expect(h.github.commentsOn(63)).toHaveLength(0);
  });

  test('a reports path that does not exist is the workflow\'s mistake: the step fails, naming it', async () => {
    const run = await commentRun(workflowRunPayload({ headSha: sha('6') }), {}, { inputs: { reports: 'downloads' } });
    expect(run.code).toBe(1);
    expect(run.errors.join('\n')).toMatch(/Invalid input 'reports': "downloads" was not found/);
  });
});
