// Finding and reading the reports of the `reports` input (workspace/report-files.ts) on real
// directories: files, artifact folders, globs, and everything a hostile artifact can hold instead of
// a report (links, special files, huge files, junk), which must be refused without being followed,
// read whole or echoed.
import { afterAll, beforeEach, describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MAX_STORED_REPORT_BYTES } from '../../src/baseline/store.js';
import { InputError } from '../../src/inputs/errors.js';
import { MAX_REPORT_FILES, ReportSourceError, findReportFiles, readReports } from '../../src/workspace/report-files.js';
import { makeReport } from '../support/reports.js';

const temps: string[] = [];
afterAll(async () => {
  await Promise.all(temps.map((d) => rm(d, { recursive: true, force: true })));
});

let root: string;
let workspace: string;
let runnerTemp: string;
let outside: string;
let env: NodeJS.ProcessEnv;

beforeEach(async () => {
  root = await realpath(await mkdtemp(path.join(os.tmpdir(), 'report-files-')));
  temps.push(root);
  workspace = path.join(root, 'workspace');
  runnerTemp = path.join(root, 'runner-temp');
  outside = path.join(root, 'outside');
  for (const d of [workspace, runnerTemp, outside]) await mkdir(d);
  env = { GITHUB_WORKSPACE: workspace, RUNNER_TEMP: runnerTemp };
});

const reportText = (image: string): string => `${JSON.stringify(makeReport({ image, rows: [{ target: 'release', base: 1, head: 2 }] }), null, 2)}\n`;

async function put(file: string, text: string): Promise<string> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, text);
  return file;
}

/** Runs `fn` and returns what it threw, which must be an instance of `kind`. */
async function thrown<T extends Error>(kind: new (...args: never[]) => T, fn: () => Promise<unknown>): Promise<T> {
  try {
    await fn();
  } catch (error) {
    expect(error).toBeInstanceOf(kind);
    return error as T;
  }
  throw new Error('expected a failure, but nothing was thrown');
}

describe('finds', () => {
  test("an artifact folder per job, as download-artifact lays them out: their report.json files, in path order", async () => {
    await put(path.join(workspace, 'reports/image-budget-report-web/report.json'), reportText('web'));
    await put(path.join(workspace, 'reports/image-budget-report-api/report.json'), reportText('api'));
    await put(path.join(workspace, 'reports/image-budget-report-api/notes.txt'), 'not a report');
    await put(path.join(workspace, 'reports/nested/deeper/report.json'), reportText('db'));
    const found = await findReportFiles(['reports'], env);
    expect(found.map((f) => f.label)).toEqual([
      'reports/image-budget-report-api/report.json',
      'reports/image-budget-report-web/report.json',
      'reports/nested/deeper/report.json'
    ]);
    const read = (await readReports(['reports'], env)).sources;
    expect(read.map((r) => r.report.targets[0]?.image)).toEqual(['api', 'web', 'db']);
  });

  test('files, globs and absolute paths in RUNNER_TEMP, in the order given, each file once', async () => {
    await put(path.join(workspace, 'a/report.json'), reportText('a'));
    await put(path.join(workspace, 'b/x.json'), reportText('b'));
    await put(path.join(workspace, 'b/y.json'), reportText('c'));
    const temp = await put(path.join(runnerTemp, 'dl/report.json'), reportText('t'));
    const found = await findReportFiles([temp, 'b/*.json', 'a/report.json', './a/report.json', 'b/x.json'], env);
    expect(found.map((f) => f.label)).toEqual([temp, 'b/x.json', 'b/y.json', 'a/report.json']);
  });

  test('a path that exists as written is taken literally, glob characters and all (a runner temp folder called r[1])', async () => {
    const temp = path.join(root, 'r[1]', 'tmp');
    await mkdir(temp, { recursive: true });
    const file = await put(path.join(temp, 'reports/report.json'), reportText('lit'));
    const found = await findReportFiles([path.join(temp, 'reports')], { ...env, RUNNER_TEMP: temp });
    expect(found.map((f) => f.label)).toEqual([file]);
  });

  test('a pattern the regular expression engine refuses is an InputError naming reports', async () => {
    const e = await thrown(InputError, () => findReportFiles(['r/[z-a]/x'], env));
    expect(e.message).toMatch(/Invalid input 'reports': .*is not a valid pattern/);
  });

  test('a pattern whose matches are directories searches each of them; ** reaches any depth', async () => {
    await put(path.join(workspace, 'dl/one/report.json'), reportText('one'));
    await put(path.join(workspace, 'dl/two/sub/report.json'), reportText('two'));
    expect((await findReportFiles(['dl/*'], env)).map((f) => f.label)).toEqual(['dl/one/report.json', 'dl/two/sub/report.json']);
    expect((await findReportFiles(['dl/**/report.json'], env)).map((f) => f.label)).toEqual(['dl/one/report.json', 'dl/two/sub/report.json']);
  });

  test('a file name with a line break (a workflow command in waiting) is shown escaped, on one line', async () => {
    await put(path.join(workspace, 'dl/x\n::error::pwned/report.json'), reportText('a'));
    const [found] = await findReportFiles(['dl'], env);
    expect(found?.label).toBe('dl/x\\x0a::error::pwned/report.json');
    expect(found?.file).toBe(path.join(workspace, 'dl/x\n::error::pwned/report.json'));
    expect((await readReports(['dl'], env)).sources[0]?.label).not.toContain('\n');
  });

  test('a workspace that sits behind a symbolic link is still the workspace', async () => {
    await put(path.join(workspace, 'r/report.json'), reportText('a'));
    const alias = path.join(root, 'alias');
    await symlink(workspace, alias);
    const found = await findReportFiles([path.join(alias, 'r/report.json'), 'r'], { GITHUB_WORKSPACE: alias });
    expect(found).toHaveLength(1);
  });

  test(`more than ${MAX_REPORT_FILES} report files: all found, the first ${MAX_REPORT_FILES} read, the rest left out unread`, async () => {
    for (let i = 0; i <= MAX_REPORT_FILES; i++) await put(path.join(workspace, `many/${String(i).padStart(3, '0')}/report.json`), i < MAX_REPORT_FILES ? reportText(`i${i}`) : '{}');
    expect(await findReportFiles(['many'], env)).toHaveLength(MAX_REPORT_FILES + 1);
    const read = await readReports(['many'], env);
    expect(read.sources).toHaveLength(MAX_REPORT_FILES);
    // The last one is no report: it was never read, or it would have been refused.
    expect(read.skipped).toEqual([`many/${MAX_REPORT_FILES}/report.json`]);
  });
});

describe('the workflow names a wrong path: an InputError naming the input and the path', () => {
  test.each<[string, (ws: string, out: string) => string, RegExp]>([
    ['a missing file', () => 'reports/missing.json', /^Invalid input 'reports': "reports\/missing.json" was not found \(looked at .*\/workspace\/reports\/missing.json\)/],
    ['a missing directory of a pattern', () => 'nowhere/*.json', /^Invalid input 'reports': "nowhere\/\*\.json" was not found \(looked at .*\/workspace\/nowhere\)/],
    ['a path outside the workspace and RUNNER_TEMP', (_ws, out) => path.join(out, 'report.json'), /is outside them \(resolved to .*\/outside\/report.json\)/],
    ['a relative path that climbs out', () => '../outside', /"..\/outside" is outside them/]
  ])('%s', async (_name, entry, message) => {
    const e = await thrown(InputError, () => findReportFiles([entry(workspace, outside)], env));
    expect(e.input).toBe('reports');
    expect(e.message).toMatch(message);
  });

  test('a pattern that starts in a file', async () => {
    await put(path.join(workspace, 'file'), 'x');
    const e = await thrown(InputError, () => findReportFiles(['file/*'], env));
    expect(e.message).toMatch(/"file\/\*" does not start in a directory/);
  });
});

describe('what is found is refused: a ReportSourceError saying why, contents never followed or echoed', () => {
  test('a report.json that is a symbolic link, named or found in a folder (the secret is never read)', async () => {
    const secret = await put(path.join(outside, 'secret.json'), reportText('secret'));
    await mkdir(path.join(workspace, 'art'));
    await symlink(secret, path.join(workspace, 'art/report.json'));
    for (const entry of ['art/report.json', 'art', 'art/*.json']) {
      const e = await thrown(ReportSourceError, () => readReports([entry], env));
      expect(e.message).toBe('art/report.json: it is a symbolic link; refusing to follow it');
    }
  });

  test('a named directory that is a symbolic link, even to a place inside the workspace', async () => {
    await put(path.join(workspace, 'real/report.json'), reportText('a'));
    await symlink(path.join(workspace, 'real'), path.join(workspace, 'link'));
    const e = await thrown(ReportSourceError, () => readReports(['link'], env));
    expect(e.message).toBe('link: it is a symbolic link; refusing to follow it');
  });

  test('a directory linked from inside a searched folder is not followed', async () => {
    await put(path.join(outside, 'evil/report.json'), reportText('evil'));
    await put(path.join(workspace, 'dl/good/report.json'), reportText('good'));
    await symlink(path.join(outside, 'evil'), path.join(workspace, 'dl/evil'));
    const read = (await readReports(['dl'], env)).sources;
    expect(read.map((r) => r.label)).toEqual(['dl/good/report.json']);
  });

  test('a path through a linked directory that leads out of the roots', async () => {
    await put(path.join(outside, 'report.json'), reportText('x'));
    await symlink(outside, path.join(workspace, 'out'));
    const e = await thrown(ReportSourceError, () => readReports(['out/report.json'], env));
    expect(e.message).toMatch(/^out\/report.json: it resolves outside the workspace and RUNNER_TEMP \(to .*\/outside\)$/);
  });

  test('a FIFO named report.json is refused at once, never opened (no hang)', async () => {
    await mkdir(path.join(workspace, 'art'));
    execFileSync('mkfifo', [path.join(workspace, 'art/report.json')]);
    const e = await thrown(ReportSourceError, () => readReports(['art'], env));
    expect(e.message).toBe('art/report.json: it is not a regular file');
  });

  test('a directory called report.json', async () => {
    await mkdir(path.join(workspace, 'art/report.json'), { recursive: true });
    await put(path.join(workspace, 'art/report.json/x'), '{}');
    const e = await thrown(ReportSourceError, () => readReports(['art'], env));
    expect(e.message).toBe('art/report.json: it is not a regular file');
  });

  test('a file larger than the cap (the size is checked before reading)', async () => {
    await put(path.join(workspace, 'big/report.json'), ' '.repeat(MAX_STORED_REPORT_BYTES + 1));
    const e = await thrown(ReportSourceError, () => readReports(['big'], env));
    expect(e.label).toBe('big/report.json');
    expect(e.reason).toMatch(/larger than 8388608 bytes \(8388609\); refusing to read it/);
  });

  test.each<[string, string, RegExp]>([
    ['not JSON (its text is never echoed)', '{"schema": "image-budget/report", "token": "ghp_SECRETSECRET"', /^r\/report.json: it is not valid JSON$/],
    ['a newer schema version', JSON.stringify({ ...makeReport({ rows: [] }), version: 2 }), /it has schema version 2; this version of the action reads version 1/],
    ['another schema', JSON.stringify({ schema: 'size-limit/report', version: 1 }), /it is not an image-budget\/report report/],
    ['a broken field', JSON.stringify({ ...makeReport({ rows: [] }), createdAt: 'yesterday' }), /it is malformed \(createdAt: malformed value\)/]
  ])('%s', async (_name, text, message) => {
    await put(path.join(workspace, 'r/report.json'), text);
    const e = await thrown(ReportSourceError, () => readReports(['r/report.json'], env));
    expect(e.message).toMatch(message);
    expect(e.message).not.toContain('SECRET');
  });

  test('a pattern that matches nothing, and a folder that holds no report.json', async () => {
    await put(path.join(workspace, 'dl/x/other.json'), '{}');
    expect((await thrown(ReportSourceError, () => readReports(['dl/*.txt'], env))).message).toBe('dl/*.txt: it matches no file');
    expect((await thrown(ReportSourceError, () => readReports(['dl'], env))).message).toMatch(/^dl: it holds no report.json/);
  });
});
