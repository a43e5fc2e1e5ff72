// End to end (issue 11): base and head built alike. The most common Dockerfile there is, `COPY . .`
// from the repository root with no .dockerignore, in a repository holding one 4 MB incompressible
// file; the pull request changes one line of the README. The bundled action (on a depth-1 and on a
// full-history checkout) and the bundled command line's `compare` (in a laptop's repository) must
// show a change of about that line, pass a 5% max-increase, build the head to the byte as an
// independent build of the untouched checkout, build the base within a few kB of an independent
// build of a checkout of the base commit made as actions/checkout makes one, and leave the
// workspace, .git included, as it was.
import { jest } from '@jest/globals';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type Report } from '../../src/report/report.js';
import { validateReport } from '../../src/report/validate.js';
import { ROOT } from '../support/engine.js';
import { GIT_ISOLATION, runGit, type FileTree } from '../support/git-fixture.js';
import { buildAndRead, type IndependentReading } from '../support/independent.js';
import { reportOf, rowOf, usePrHarness, type Row } from '../support/pr-run.js';
import { NODE24 } from '../support/run-action.js';

jest.setTimeout(10 * 60_000);

const h = usePrHarness();

/** `n` bytes from a seeded generator (SHA-256 in counter mode): incompressible, the same on every run. */
function seededBytes(seed: string, n: number): Buffer {
  const out = Buffer.alloc(n);
  for (let i = 0, at = 0; at < n; i++, at += 32) createHash('sha256').update(`${seed}:${i}`).digest().copy(out, at);
  return out;
}

const DATA = seededBytes('image-budget like-for-like', 4 * 1024 * 1024);
const README = (line: string): string => `# demo\n\nA service.\n${line}\n\nMore text that does not change.\n`;
const DOCKERFILE = 'FROM scratch AS release\nCOPY . /app/\n';
const BASE: FileTree = { Dockerfile: DOCKERFILE, 'README.md': README('Build it with make.'), 'data.bin': DATA };
const HEAD: FileTree = { ...BASE, 'README.md': README('Build it with make all.') };
/** "Within a few kB": the README line, and what differs between two .git dirs of one commit each. */
const FEW_KB = 4096;

/** Every entry under dir, .git included: relative path → content hash, size, mtime and mode. */
async function listing(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const rel = path.relative(dir, path.join(e.parentPath, e.name));
    const s = await lstat(path.join(dir, rel));
    const hash = e.isFile() ? createHash('sha256').update(await readFile(path.join(dir, rel))).digest('hex') : e.isDirectory() ? 'dir' : 'other';
    out[rel] = `${hash} ${s.size} ${s.mtimeMs} ${s.mode.toString(8)}`;
  }
  return out;
}

function only(readings: Map<string, IndependentReading>): IndependentReading {
  const all = [...readings.values()];
  if (all.length !== 1) throw new Error(`expected one platform image, found ${all.length}`);
  return all[0]!;
}

/**
 * A checkout of `sha` made command for command as actions/checkout makes one (git-fixture.ts does
 * the same for the workspace): `fetchDepth` 1 fetches the commit alone, 0 all branches first.
 */
async function checkoutLike(originUrl: string, sha: string, branch: string, fetchDepth: number): Promise<string> {
  const dir = await h.temp('ib-like-independent-');
  const repo = path.join(dir, 'repo');
  await mkdir(repo);
  await runGit(repo, ['init', '--quiet']);
  await runGit(repo, ['remote', 'add', 'origin', originUrl]);
  await runGit(repo, ['config', '--local', 'gc.auto', '0']);
  const fetch = ['-c', 'protocol.version=2', 'fetch', '--quiet', '--prune', '--no-recurse-submodules'];
  if (fetchDepth === 0) await runGit(repo, [...fetch, 'origin', '+refs/heads/*:refs/remotes/origin/*', '+refs/tags/*:refs/tags/*']);
  await runGit(repo, [...fetch, '--no-tags', ...(fetchDepth > 0 ? [`--depth=${fetchDepth}`] : []), 'origin', `+${sha}:refs/remotes/origin/${branch}`]);
  await runGit(repo, ['checkout', '--quiet', '--progress', '--force', '-B', branch, `refs/remotes/origin/${branch}`]);
  return repo;
}

function expectAbout(row: Row): void {
  expect(row.head.state).toBe('measured');
  expect(row.base.state).toBe('measured');
  // The repository's pack is in both: the images are over 8 MB (4 MB of data, 4 MB of its pack).
  expect(row.head.uncompressedBytes!).toBeGreaterThan(8_000_000);
  expect(Math.abs(row.head.compressedBytes! - row.base.compressedBytes!)).toBeLessThanOrEqual(FEW_KB);
  expect(Math.abs(row.head.uncompressedBytes! - row.base.uncompressedBytes!)).toBeLessThanOrEqual(FEW_KB);
  expect(row.regressed).toBe(false);
}

function expectEqual(row: Row, reading: IndependentReading): void {
  expect(row.head.compressedBytes).toBe(reading.compressedBytes);
  expect(row.head.uncompressedBytes).toBe(reading.uncompressedBytes);
  expect(row.head.layers!.map((l) => l.digest)).toEqual(reading.layerDigests);
}

function expectNear(row: Row, reading: IndependentReading): void {
  expect(Math.abs(row.base.compressedBytes! - reading.compressedBytes)).toBeLessThanOrEqual(FEW_KB);
  expect(Math.abs(row.base.uncompressedBytes! - reading.uncompressedBytes)).toBeLessThanOrEqual(FEW_KB);
}

describe.each([
  ['a depth-1 checkout (actions/checkout default)', 1, 71],
  ['a full-history checkout (fetch-depth: 0)', 0, 72]
])('the action on a README-line pull request, COPY . . without .dockerignore, in %s', (_name, fetchDepth, prNumber) => {
  test('shows about that line, passes max-increase 5%, builds the head as the untouched checkout and the base as a checkout of it', async () => {
    const f = await h.pr(BASE, HEAD, prNumber, { fetchDepth });
    const before = await listing(f.checkout);
    const run = await h.runOnPr(f, { targets: 'release', 'max-increase': '5%', cache: 'none', baseline: 'build', comment: 'never' });

    expect(run.code).toBe(0);
    const row = rowOf(await reportOf(run), 'release');
    expectAbout(row);
    // Nothing was written in the workspace, .git included.
    expect(await listing(f.checkout)).toEqual(before);
    expectEqual(row, only(await buildAndRead(f.checkout, 'release')));
    expectNear(row, only(await buildAndRead(await checkoutLike(f.originUrl, f.baseSha, f.baseBranch, fetchDepth), 'release')));
  });
});

// ── The command line ─────────────────────────────────────────────────────────────────────────

const CLI = path.join(ROOT, 'dist', 'cli', 'index.js');

function execFileAsync(file: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => execFile(file, args, (error) => (error ? reject(error) : resolve())));
}

function runCli(args: readonly string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('GITHUB_') && !k.startsWith('GIT_') && k !== 'FORCE_COLOR') env[k] = v;
  return new Promise((resolve) => {
    execFile(NODE24, [CLI, ...args], { cwd, env: { ...env, ...GIT_ISOLATION }, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr })
    );
  });
}

async function writeTree(dir: string, files: FileTree): Promise<void> {
  for (const [p, content] of Object.entries(files)) await writeFile(path.join(dir, p), content);
}

test("compare on a laptop's repository: about that line, exit 0, the head as the untouched checkout, the base as a copy of it at the base", async () => {
  const work = await h.temp('ib-like-cli-');
  const dir = path.join(work, 'repo');
  await mkdir(dir);
  await runGit(dir, ['init', '--quiet', '--initial-branch=main']);
  await writeTree(dir, BASE);
  await runGit(dir, ['add', '--all']);
  await runGit(dir, ['commit', '--quiet', '-m', 'base']);
  const baseSha = await runGit(dir, ['rev-parse', 'HEAD']);
  await runGit(dir, ['checkout', '--quiet', '-b', 'feature']);
  await writeTree(dir, HEAD);
  await runGit(dir, ['commit', '--quiet', '--all', '-m', 'head']);
  const before = await listing(dir);

  const run = await runCli(['compare', '--base', 'main', '--targets', 'release', '--max-increase', '5%', '--network', 'none', '--json'], dir);
  expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({ code: 0, stderr: '' });
  const read = validateReport(JSON.parse(run.stdout));
  if (!read.ok) throw new Error(read.error);
  const report: Report = read.report;
  const row = rowOf(report, 'release');
  expectAbout(row);
  expect(await listing(dir)).toEqual(before);
  expectEqual(row, only(await buildAndRead(dir, 'release')));
  // The laptop's base: the repository copied by the system's cp and checked out at the base commit.
  const clone = path.join(work, 'copy');
  await execFileAsync('cp', ['-a', dir, clone]);
  await runGit(clone, ['checkout', '--quiet', '--detach', baseSha]);
  expectNear(row, only(await buildAndRead(clone, 'release')));
  await rm(clone, { recursive: true, force: true });
});
