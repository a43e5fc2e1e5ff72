// The pure combination of matrix jobs' reports (report/merge.ts) and the checks that a report read
// from an artifact belongs to the pull request about to be commented (report/artifact.ts).
import { describe, expect, test } from '@jest/globals';
import { refuseForPull } from '../../src/report/artifact.js';
import { buildReport, outcomeFromReport } from '../../src/report/report.js';
import { validateReport } from '../../src/report/validate.js';
import { headFailuresOf, mergeReports, type MergeResult, type ReportSource } from '../../src/report/merge.js';
import { renderComment } from '../../src/report/render.js';
import { makeReport, SHA_BASE, SHA_HEAD, SHA_PR_HEAD, type ReportSpec } from '../support/reports.js';

const OTHER_HEAD = '4444444444444444444444444444444444444444';
const OTHER_BASE = '5555555555555555555555555555555555555555';

const src = (label: string, spec: ReportSpec): ReportSource => ({ label, report: makeReport(spec) });

const api = (over: Partial<ReportSpec> = {}): ReportSource =>
  src('reports/api/report.json', { image: 'api', rows: [{ target: 'release', base: 100, head: 120 }], ...over });
const web = (over: Partial<ReportSpec> = {}): ReportSource =>
  src('reports/web/report.json', { image: 'web', rows: [{ target: 'release', base: 200, head: 200 }, { target: 'debug', head: 900 }], ...over });
const worker = (over: Partial<ReportSpec> = {}): ReportSource =>
  src('reports/worker/report.json', { image: 'worker', rows: [{ target: 'release', base: 50, head: 80, regressed: true }], ...over });

function ok(result: MergeResult): Extract<MergeResult, { ok: true }> {
  if (!result.ok) throw new Error(`expected a merge, got: ${result.error}`);
  return result;
}

describe('mergeReports combines', () => {
  interface Case {
    readonly name: string;
    readonly sources: readonly ReportSource[];
    /** `image/target platform status` of every row, in order. */
    readonly rows: readonly string[];
    readonly regressed: boolean;
    readonly changed: boolean;
    readonly warnings?: readonly RegExp[];
    readonly notes?: readonly string[];
  }
  const cases: Case[] = [
    {
      name: 'three matrix jobs, rows in report order, each keeping its image label and verdicts',
      sources: [api(), web(), worker()],
      rows: ['api/release linux/amd64 changed', 'web/release linux/amd64 unchanged', 'web/debug linux/amd64 new', 'worker/release linux/amd64 changed'],
      regressed: true,
      changed: true,
      notes: ['Budgets (compressed size): max-size 1 B']
    },
    {
      name: 'one report: itself',
      sources: [web()],
      rows: ['web/release linux/amd64 unchanged', 'web/debug linux/amd64 new'],
      regressed: false,
      changed: true
    },
    {
      name: 'nothing changed and nothing regressed',
      sources: [web({ rows: [{ target: 'release', base: 1, head: 1 }] }), api({ rows: [{ target: 'release', base: 5, head: 5 }] })],
      rows: ['web/release linux/amd64 unchanged', 'api/release linux/amd64 unchanged'],
      regressed: false,
      changed: false
    },
    {
      name: 'the same target and image on two platforms from two jobs',
      sources: [api(), api({ rows: [{ target: 'release', platform: 'linux/arm64', base: 1, head: 2 }] })],
      rows: ['api/release linux/amd64 changed', 'api/release linux/arm64 changed'],
      regressed: false,
      changed: true
    },
    {
      name: 'unlabelled reports of different targets',
      sources: [src('a.json', { rows: [{ target: 'release', base: 1, head: 1 }] }), src('b.json', { rows: [{ target: 'debug', base: 1, head: 1 }] })],
      rows: ['release linux/amd64 unchanged', 'debug linux/amd64 unchanged'],
      regressed: false,
      changed: false
    },
    {
      name: 'a failed head build stays a failed, regressed row',
      sources: [api(), web({ rows: [{ target: 'release', base: 1, head: 'exit code: 2' }] })],
      rows: ['api/release linux/amd64 changed', 'web/release linux/amd64 head-failed'],
      regressed: true,
      changed: true
    },
    {
      name: 'reports of different head commits: merged, with a warning and a note naming them',
      sources: [api(), web({ headSha: OTHER_HEAD }), worker()],
      rows: ['api/release linux/amd64 changed', 'web/release linux/amd64 unchanged', 'web/debug linux/amd64 new', 'worker/release linux/amd64 changed'],
      regressed: true,
      changed: true,
      warnings: [/different head commits: 1111111 \(api, worker\), 4444444 \(web\)/],
      notes: ['These sizes were measured on different head commits: 1111111 (api, worker), 4444444 (web).', 'Budgets (compressed size): max-size 1 B']
    },
    {
      name: 'different bases: a note, no warning',
      sources: [api(), web({ baseSha: OTHER_BASE }), worker({ baseSha: null })],
      rows: ['api/release linux/amd64 changed', 'web/release linux/amd64 unchanged', 'web/debug linux/amd64 new', 'worker/release linux/amd64 changed'],
      regressed: true,
      changed: true,
      notes: ['The images were compared with different base commits: 2222222 (api), 5555555 (web), none (worker).', 'Budgets (compressed size): max-size 1 B']
    },
    {
      name: 'different bases, two reports on one of them',
      sources: [api(), web({ baseSha: OTHER_BASE }), worker()],
      rows: ['api/release linux/amd64 changed', 'web/release linux/amd64 unchanged', 'web/debug linux/amd64 new', 'worker/release linux/amd64 changed'],
      regressed: true,
      changed: true,
      notes: ['The images were compared with different base commits: 2222222 (api, worker), 5555555 (web).', 'Budgets (compressed size): max-size 1 B']
    },
    {
      name: 'notes every report has are kept once; the others say whose they are',
      sources: [api({ notes: ['shared', 'Baseline unavailable: x.'] }), web({ notes: ['shared'] }), src('c.json', { rows: [{ target: 'x', head: 1 }], notes: ['shared', 'unlabelled'] })],
      rows: ['api/release linux/amd64 changed', 'web/release linux/amd64 unchanged', 'web/debug linux/amd64 new', 'x linux/amd64 new'],
      regressed: false,
      changed: true,
      notes: ['shared', 'api: Baseline unavailable: x.', 'unlabelled']
    }
  ];

  test.each(cases)('$name', ({ sources, rows, regressed, changed, warnings, notes }) => {
    const merged = ok(mergeReports(sources));
    const describe = merged.outcome.rows.map((r) => `${r.image !== undefined ? `${r.image}/` : ''}${r.target} ${r.platform} ${r.status}`);
    expect(describe).toEqual(rows);
    expect(merged.outcome.regressed).toBe(regressed);
    expect(merged.outcome.changed).toBe(changed);
    expect(merged.warnings).toHaveLength(warnings?.length ?? 0);
    for (const [i, w] of (warnings ?? []).entries()) expect(merged.warnings[i]).toMatch(w);
    if (notes) expect(merged.outcome.notes).toEqual(notes);
    // The first report's commits are the ones the comment's footer shows.
    expect(merged.outcome.head.sha).toBe(sources[0]!.report.head.sha);
    expect(merged.outcome.base?.sha).toBe(sources[0]!.report.base?.sha);
  });

  test('verdicts are the reports\' own, never judged again', () => {
    const sources = [api(), worker()];
    const merged = ok(mergeReports(sources));
    const own = sources.flatMap((s) => outcomeFromReport(s.report).rows.map((r) => r.verdicts));
    expect(merged.outcome.rows.map((r) => r.verdicts)).toEqual(own);
    expect(merged.outcome.rows.map((r) => r.regressed)).toEqual([false, true]);
  });

  test('the merged outcome renders one table whose rows say their image, and writes back to a report that validates', () => {
    const merged = ok(mergeReports([api(), web(), worker()]));
    const body = renderComment(merged.outcome, { marker: '<!-- m -->', details: ['layers'] });
    for (const image of ['api', 'web', 'worker']) expect(body).toContain(`\`${image}\` › \`release\``);
    const report = buildReport(merged.outcome, { tool: { name: 'image-budget', version: '0' }, event: 'pull_request', repository: 'o/r', createdAt: '2026-11-29T10:00:00Z' });
    expect(report.targets.map((t) => t.image)).toEqual(['api', 'web', 'web', 'worker']);
    expect(validateReport(JSON.parse(JSON.stringify(report)))).toEqual({ ok: true, report });
  });

  test.each<[string, readonly ReportSource[], boolean]>([
    ['every report names the same pull request', [api({ pullRequest: { number: 7, headSha: SHA_PR_HEAD } }), web({ pullRequest: { number: 7, headSha: SHA_PR_HEAD } })], true],
    ['one report names none', [api({ pullRequest: { number: 7, headSha: SHA_PR_HEAD } }), web()], false],
    ['another number', [api({ pullRequest: { number: 7, headSha: SHA_PR_HEAD } }), web({ pullRequest: { number: 8, headSha: SHA_PR_HEAD } })], false],
    ['another head commit', [api({ pullRequest: { number: 7, headSha: SHA_PR_HEAD } }), web({ pullRequest: { number: 7, headSha: OTHER_HEAD } })], false]
  ])('pullRequest is kept only when %s', (_name, sources, kept) => {
    const merged = ok(mergeReports(sources));
    expect(merged.pullRequest).toEqual(kept ? { number: 7, headSha: SHA_PR_HEAD } : undefined);
  });
});

describe('mergeReports refuses', () => {
  test.each<[string, readonly ReportSource[], string]>([
    ['nothing to merge', [], 'there is no report to merge'],
    [
      'the same image, target and platform in two reports, naming both files',
      [api(), web(), src('reports/api-again/report.json', { image: 'api', rows: [{ target: 'release', base: 1, head: 1 }] })],
      'image api, target release (linux/amd64) is in both reports/api/report.json and reports/api-again/report.json'
    ],
    [
      'a clash in another letter case (stage names are case-insensitive)',
      [api(), src('b.json', { image: 'API', rows: [{ target: 'Release', base: 1, head: 1 }] })],
      'image API, target Release (linux/amd64) is in both reports/api/report.json and b.json'
    ],
    [
      'unlabelled reports of the same target, suggesting `name`',
      [src('a.json', { rows: [{ target: 'release', head: 1 }] }), src('b.json', { rows: [{ target: 'release', head: 2 }] })],
      'target release (linux/amd64) is in both a.json and b.json; give each job its own `name` input so that its rows carry an image label'
    ],
    [
      'the same row twice in one report',
      [src('a.json', { image: 'api', rows: [{ target: 'release', head: 1 }, { target: 'release', head: 2 }] })],
      'image api, target release (linux/amd64) is twice in a.json'
    ],
    [
      'reports judging different metrics',
      [api(), web({ metric: 'uncompressed' })],
      'the reports judge different sizes, so one comment cannot say what the budgets judged: reports/api/report.json (compressed), reports/web/report.json (uncompressed)'
    ]
  ])('%s', (_name, sources, error) => {
    expect(mergeReports(sources)).toEqual({ ok: false, error });
  });
});

describe('headFailuresOf', () => {
  test('lists the failed head builds with their image, and nothing else', () => {
    const merged = ok(mergeReports([api(), web({ rows: [{ target: 'release', base: 1, head: 'exit code: 2' }] })]));
    expect(headFailuresOf(merged.outcome)).toEqual(['web/release: exit code: 2']);
    expect(headFailuresOf(ok(mergeReports([api()])).outcome)).toEqual([]);
  });
});

describe('refuseForPull', () => {
  const target = { repository: 'o/r', number: 7, headSha: SHA_PR_HEAD };
  const mine = { number: 7, headSha: SHA_PR_HEAD };

  test.each<[string, readonly ReportSource[], string | undefined]>([
    ['reports of that pull request and commit', [api({ pullRequest: mine }), web({ pullRequest: mine })], undefined],
    ['the repository in another letter case', [api({ pullRequest: mine, repository: 'O/R' })], undefined],
    ['the head commit in upper case', [api({ pullRequest: { number: 7, headSha: SHA_PR_HEAD.toUpperCase() } })], undefined],
    [
      'a report of another pull request',
      [api({ pullRequest: mine }), web({ pullRequest: { number: 8, headSha: SHA_PR_HEAD } })],
      'reports/web/report.json: it says it is the report of pull request #8, but the workflow run is of #7'
    ],
    [
      'a report of an earlier commit of the pull request',
      [api({ pullRequest: { number: 7, headSha: SHA_HEAD } })],
      `reports/api/report.json: it says it measured commit ${SHA_HEAD}, but the workflow run is of ${SHA_PR_HEAD}`
    ],
    [
      'a report that names no pull request (a push run\'s)',
      [api({ event: 'push' })],
      'reports/api/report.json: it names no pull request (a report of a push run); only reports written by pull request runs are commented'
    ],
    [
      'a report of an event whose name starts with a vowel reads "an"',
      [api({ event: 'issue_comment' })],
      'reports/api/report.json: it names no pull request (a report of an issue_comment run); only reports written by pull request runs are commented'
    ],
    [
      'a report of no event is "an unknown run"',
      [api({ event: '' })],
      'reports/api/report.json: it names no pull request (a report of an unknown run); only reports written by pull request runs are commented'
    ],
    ['a report of another repository', [api({ pullRequest: mine, repository: 'mallory/r' })], 'reports/api/report.json: it is a report of another repository (mallory/r), not o/r']
  ])('%s', (_name, sources, refusal) => {
    expect(refuseForPull(sources, target)).toBe(refusal);
  });

  test('commit ids compare case-insensitively on both sides (ids with hex letters)', () => {
    const sha = 'abcdef0123456789abcdef0123456789abcdef01';
    const lower = { repository: 'o/r', number: 7, headSha: sha };
    const upper = { repository: 'o/r', number: 7, headSha: sha.toUpperCase() };
    expect(refuseForPull([api({ pullRequest: { number: 7, headSha: sha.toUpperCase() } })], lower)).toBeUndefined();
    expect(refuseForPull([api({ pullRequest: { number: 7, headSha: sha } })], upper)).toBeUndefined();
  });

  test('a base commit is no head commit: the check reads pullRequest.headSha, not head.sha', () => {
    expect(refuseForPull([api({ pullRequest: { number: 7, headSha: SHA_BASE } })], target)).toMatch(/measured commit 2222222/);
  });
});
