// End to end: how the bundled action treats the sticky comment across runs (RELIABILITY rows 40, 45)
// and the token in the log (security requirement 13), against the real engine and the GitHub stand-in.
import { jest } from '@jest/globals';
import { type PullRequestFixture } from '../support/git-fixture.js';
import { FAULT_BODIES } from '../support/github-standin.js';
import { usePrHarness } from '../support/pr-run.js';
import { type ActionRun } from '../support/run-action.js';

jest.setTimeout(5 * 60_000);

const MARKER = '<!-- image-budget:image-budget -->';
const DOCKERFILE = (bytes: number): string => `FROM scratch AS release\nCOPY data /data\n# ${bytes}\n`;

const h = usePrHarness();

function pullRequest(prNumber: number): Promise<PullRequestFixture> {
  return h.pr({ Dockerfile: DOCKERFILE(1000), data: 'a'.repeat(1000) }, { Dockerfile: DOCKERFILE(3000), data: 'b'.repeat(3000) }, prNumber);
}

function runOn(f: PullRequestFixture, runId: string, attempt = '1'): Promise<ActionRun> {
  return h.runOnPr(f, { targets: 'release' }, { env: { GITHUB_RUN_ID: runId, GITHUB_RUN_ATTEMPT: attempt } });
}

test("the comment is stamped with the run; an older run finishing late leaves a newer run's comment alone (row 40)", async () => {
  const f = await pullRequest(41);
  const first = await runOn(f, '5000');
  expect(first.code).toBe(0);
  const [comment] = h.github.commentsOn(41);
  expect(comment?.body).toMatch(new RegExp(`<!-- image-budget-run: 5000/1 -->\\n${MARKER}$`));

  // A newer run (a later push) wrote other numbers since.
  comment!.body = `### 📦 Image size\n\nnewer numbers\n\n<!-- image-budget-run: 9000/1 -->\n${MARKER}`;
  const writesBefore = h.github.requests('PATCH').length + h.github.requests('POST', /comments$/).length;
  const late = await runOn(f, '5000', '2'); // a re-run of the old run: still older than 9000
  expect(late.code).toBe(0);
  expect(h.github.commentsOn(41)).toHaveLength(1);
  expect(h.github.commentsOn(41)[0]?.body).toBe(`### 📦 Image size\n\nnewer numbers\n\n<!-- image-budget-run: 9000/1 -->\n${MARKER}`);
  expect(h.github.requests('PATCH').length + h.github.requests('POST', /comments$/).length).toBe(writesBefore);
  expect(late.stdout).toContain('a newer run (9000, attempt 1) has already updated the comment');
  expect(late.outputs['comment-id']).toBe(String(comment!.id));
  expect(late.warnings).toEqual([]);

  // A newer run still updates it.
  const newer = await runOn(f, '9001');
  expect(newer.code).toBe(0);
  expect(h.github.commentsOn(41)[0]?.body).toMatch(/<!-- image-budget-run: 9001\/1 -->/);
  expect(h.github.commentsOn(41)[0]?.body).toContain('release');
});

test('a body GitHub refuses as too long is replaced by the short one, linking the run (row 45)', async () => {
  const f = await pullRequest(42);
  h.github.failNext({
    method: 'POST',
    route: '/repos/o/r/issues/42/comments',
    status: 422,
    body: FAULT_BODIES.bodyTooLong()
  });
  const run = await runOn(f, '7777');
  expect(run.code).toBe(0);
  const posts = h.github.requests('POST', /issues\/42\/comments$/);
  expect(posts.map((r) => r.status)).toEqual([422, 201]);
  const [comment] = h.github.commentsOn(42);
  expect(comment?.body).toContain('The full report did not fit in a comment: it is in the job summary of [this run](https://github.com/o/r/actions/runs/7777)');
  expect(comment?.body).toContain('1 target: 1 changed');
  expect(comment?.body).not.toContain('| ');
  expect(comment?.body.endsWith(`<!-- image-budget-run: 7777/1 -->\n${MARKER}`)).toBe(true);
  // The full report is still in the summary.
  expect(run.summary).toContain('| ');
  expect(run.stdout).toContain('GitHub refused the full comment as too long');
});

test('the github-token is masked before anything is logged, and never printed (security 13)', async () => {
  const f = await pullRequest(43);
  const run = await runOn(f, '100');
  const lines = run.stdout.split('\n');
  const mask = lines.findIndex((l) => l === '::add-mask::write-token');
  expect(mask).toBeGreaterThanOrEqual(0);
  // Nothing but the mask command itself carries it, and the mask comes before any other output.
  expect(lines.filter((l) => l.includes('write-token'))).toEqual(['::add-mask::write-token']);
  expect(run.stderr).not.toContain('write-token');
  expect(lines.slice(0, mask).filter((l) => l.trim() !== '' && !l.startsWith('::add-mask::'))).toEqual([]);
});
