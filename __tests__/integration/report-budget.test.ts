// The total budget of `mode: merge` and `mode: comment` on real report files: at most 256 reports and
// 64 MiB of reports are read together (each report is at most 8 MiB). What is past either limit is
// left out, never read: the publication goes on with the reports that fit, a warning names the ones
// left out, and a note under the table says how many were read and left out.
import { afterAll, beforeEach, describe, expect, test } from '@jest/globals';
import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { EventContext } from '../../src/github/event.js';
import type { PullInfo, PullsApi } from '../../src/github/pulls.js';
import { parseInputs } from '../../src/inputs/inputs.js';
import type { Log } from '../../src/log.js';
import { commentMode } from '../../src/modes/comment.js';
import { mergeMode } from '../../src/modes/merge.js';
import { MAX_REPORTS_TOTAL_BYTES, MAX_REPORT_FILES, readReports } from '../../src/workspace/report-files.js';
import { SHA_PR_HEAD, makeReport } from '../support/reports.js';

const MiB = 1024 * 1024;
const temps: string[] = [];
afterAll(async () => {
  await Promise.all(temps.map((d) => rm(d, { recursive: true, force: true })));
});

let workspace: string;
let env: NodeJS.ProcessEnv;
beforeEach(async () => {
  workspace = await realpath(await mkdtemp(path.join(os.tmpdir(), 'report-budget-')));
  temps.push(workspace);
  env = { GITHUB_WORKSPACE: workspace };
});

/** The report of one job of a pull request's matrix, `image` labelling its one row; padded with spaces to `size` bytes. */
function reportText(image: string, size = 0): string {
  const text = `${JSON.stringify(makeReport({ image, rows: [{ target: 'release', base: 1, head: 2 }], pullRequest: { number: 7, headSha: SHA_PR_HEAD } }))}\n`;
  return text.padEnd(size, ' ');
}

/** Writes `count` artifact folders `dir/NNN/report.json`; returns their labels in path order. */
async function artifacts(dir: string, count: number, size = 0): Promise<string[]> {
  const labels: string[] = [];
  for (let i = 0; i < count; i++) {
    const rel = `${dir}/${String(i).padStart(3, '0')}/report.json`;
    await mkdir(path.dirname(path.join(workspace, rel)), { recursive: true });
    await writeFile(path.join(workspace, rel), reportText(`img${String(i).padStart(3, '0')}`, size));
    labels.push(rel);
  }
  return labels;
}

function recordingLog(): { log: Log; warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, log: { info: () => undefined, warning: (m) => warnings.push(m), group: (_t, fn) => fn() } };
}

const inputs = (mode: string, reports: string) =>
  parseInputs((name) => ({ mode, reports, 'github-token': 'token-for-tests', 'comment-key': 'sizes' })[name] ?? '');

const countNote = (read: number, all: number): string =>
  `Only ${read} reports of ${all} were read; ${all - read} report${all - read === 1 ? '' : 's'} left out, past the limits of 256 reports and 64 MiB of reports in all: ` +
  'the rows shown are not all of them. Name fewer reports in `reports` (merge the matrix in groups), or keep the reports smaller (`details`).';

describe('the limits', () => {
  test('256 reports and 64 MiB', () => {
    expect(MAX_REPORT_FILES).toBe(256);
    expect(MAX_REPORTS_TOTAL_BYTES).toBe(64 * MiB);
  });

  test('reports within both limits: all read, nothing left out, no note', async () => {
    await artifacts('dl', 3);
    const read = await readReports(['dl'], env);
    expect(read.sources).toHaveLength(3);
    expect(read.skipped).toEqual([]);
    expect(read.note).toBeUndefined();
  });
});

describe('mode: merge', () => {
  test('260 reports: the first 256 merged, the 4 left out named in a warning and counted in a note, and the merge incomplete', async () => {
    const labels = await artifacts('many', 260);
    const { log, warnings } = recordingLog();
    const merged = await mergeMode({ env, log }, inputs('merge', 'many'));
    expect(merged.outcome.rows).toHaveLength(256);
    expect(merged.outcome.rows.map((r) => r.image)).toEqual(labels.slice(0, 256).map((l) => l.slice('many/'.length, 'many/'.length + 3)).map((n) => `img${n}`));
    expect(merged.outcome.notes).toContain(countNote(256, 260));
    expect(warnings).toEqual([`${countNote(256, 260)} Left out: ${labels.slice(256).join(', ')}.`]);
    // The step fails on it after publishing: a report left out may be a red image.
    expect(merged.incomplete).toBe(warnings[0]);
  });

  test('reports within both limits: the merge is complete', async () => {
    await artifacts('few', 3);
    const merged = await mergeMode({ env, log: recordingLog().log }, inputs('merge', 'few'));
    expect(merged.outcome.rows).toHaveLength(3);
    expect(merged.incomplete).toBeUndefined();
  });

  test('ten reports of 7.5 MiB: 8 fit in 64 MiB and are merged, 2 are left out unread', async () => {
    const labels = await artifacts('big', 10, 7.5 * MiB);
    const { log, warnings } = recordingLog();
    const merged = await mergeMode({ env, log }, inputs('merge', 'big'));
    expect(merged.outcome.rows).toHaveLength(8);
    expect(merged.outcome.notes).toContain(countNote(8, 10));
    expect(warnings).toEqual([`${countNote(8, 10)} Left out: ${labels.slice(8).join(', ')}.`]);
  }, 60_000);

  test('a report that does not fit is left out, a smaller one after it still read', async () => {
    const labels = await artifacts('mixed', 9, 7.5 * MiB);
    await mkdir(path.join(workspace, 'mixed/999'));
    await writeFile(path.join(workspace, 'mixed/999/report.json'), reportText('img999'));
    const read = await readReports(['mixed'], env);
    expect(read.sources.map((s) => s.label)).toEqual([...labels.slice(0, 8), 'mixed/999/report.json']);
    expect(read.skipped).toEqual([labels[8]]);
  }, 60_000);
});

describe('mode: comment', () => {
  const pull: PullInfo = { number: 7, state: 'open', headSha: SHA_PR_HEAD, headRepoFullName: 'fork/r', baseRepoFullName: 'o/r' };
  const pulls: PullsApi = { pullsOfCommit: async () => [pull], getPull: async () => pull };
  const event: EventContext = {
    event: 'workflow_run',
    repo: { owner: 'o', name: 'r' },
    headSha: undefined,
    ref: undefined,
    baseSha: undefined,
    defaultBranch: 'main',
    workflowRun: { event: 'pull_request', headSha: SHA_PR_HEAD, headRepoFullName: 'fork/r', headBranch: 'feature', pullRequestNumbers: [], runId: 11, runAttempt: 1 }
  };

  test("a fork's 300 artifacts: the comment shows the first 256 and says 44 were left out", async () => {
    const labels = await artifacts('artifacts', 300);
    const { log, warnings } = recordingLog();
    const plan = await commentMode({ env, log, pulls }, inputs('comment', 'artifacts'), event);
    if (plan.kind !== 'comment') throw new Error(`expected a comment, got: ${plan.message}`);
    expect(plan.issue).toBe(7);
    expect(plan.outcome.rows).toHaveLength(256);
    expect(plan.outcome.notes).toContain(countNote(256, 300));
    expect(warnings).toEqual([`${countNote(256, 300)} Left out: ${labels.slice(256, 266).join(', ')} and 34 more.`]);
  }, 60_000);
});
