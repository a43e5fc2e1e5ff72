// End to end: the bundled command line (dist/cli/index.js, as `npm install` links it), run under
// Node 24 in real git repositories against the real engines. `compare` is checked for its table, its
// exit codes and its JSON report (validated, and every number equal to an independent reading);
// `measure` on an engine image, a `docker save` tar, an OCI layout directory and an OCI layout tar,
// on both image stores, against independent readings; bad flags against their messages; colour
// against NO_COLOR / FORCE_COLOR. No engine, no test: beforeAll throws and every test fails.
import { jest } from '@jest/globals';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { exec } from '../../src/exec.js';
import type { Report, ReportTarget } from '../../src/report/report.js';
import { formatBytes } from '../../src/report/format.js';
import { ROOT, ensureEngine } from '../support/engine.js';
import { GIT_ISOLATION, makePullRequestCheckout, runGit, type FileTree } from '../support/git-fixture.js';
import { buildAndRead, buildAndReadClassic, readLayout, type IndependentReading } from '../support/independent.js';
import { BUILDER, RELEASE_FAT, RELEASE_SCRATCH, dockerfile, parseReport } from '../support/pr-run.js';
import { NODE24 } from '../support/run-action.js';

jest.setTimeout(5 * 60_000);

const CLI = path.join(ROOT, 'dist', 'cli', 'index.js');
const ESC = '\u001b';
/** This run's image tags, and only they, start with this repository. */
const TAG_REPO = `image-budget-e2e-cli/${randomBytes(4).toString('hex')}`;

let containerdHost = '';
let classicEnv: NodeJS.ProcessEnv = {};
let work = '';
const tags: Array<{ tag: string; env: NodeJS.ProcessEnv }> = [];

beforeAll(async () => {
  containerdHost = ensureEngine();
  const classic = await exec('bash', [path.join(ROOT, 'scripts', 'engine.sh'), 'ensure-classic'], { cwd: ROOT });
  if (classic.code !== 0) throw new Error(`scripts/engine.sh ensure-classic exited ${classic.code}: ${classic.stderr.trim()}`);
  classicEnv = { ...process.env, DOCKER_HOST: classic.stdout.trim().split('\n').pop() ?? '' };
  work = await mkdtemp(path.join(os.tmpdir(), 'image-budget-cli-'));
}, 5 * 60_000);

afterAll(async () => {
  for (const { tag, env } of tags) await exec('docker', ['image', 'rm', tag], { env });
  if (work) await rm(work, { recursive: true, force: true });
});

// ── Running the bundle ───────────────────────────────────────────────────────────────────────

interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * The environment of a run: the engine, git without the machine's config, and no colour variables
 * (a test runner may set FORCE_COLOR) unless the test sets them.
 */
function cliEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k === 'FORCE_COLOR' || k === 'NO_COLOR' || k.startsWith('GITHUB_') || k.startsWith('GIT_')) continue;
    env[k] = v;
  }
  return { ...env, DOCKER_HOST: containerdHost, ...GIT_ISOLATION, ...extra };
}

function runCli(args: readonly string[], cwd: string, extra: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(NODE24, [CLI, ...args], { cwd, env: cliEnv(extra), maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

// ── Repositories ─────────────────────────────────────────────────────────────────────────────

async function writeTree(dir: string, files: FileTree): Promise<void> {
  for (const name of await readdir(dir)) if (name !== '.git') await rm(path.join(dir, name), { recursive: true, force: true });
  for (const [p, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, p)), { recursive: true });
    await writeFile(path.join(dir, p), content);
  }
}

interface LocalRepo {
  readonly dir: string;
  readonly baseSha: string;
  readonly headSha: string;
}

/** A laptop's repository: `main` at the base commit, `feature` (checked out) one commit on. */
async function localRepo(base: FileTree, head: FileTree): Promise<LocalRepo> {
  const dir = await mkdtemp(path.join(work, 'repo-'));
  await runGit(dir, ['init', '--quiet', '--initial-branch=main']);
  await writeTree(dir, base);
  await runGit(dir, ['add', '--all']);
  await runGit(dir, ['commit', '--quiet', '--allow-empty', '-m', 'base']);
  const baseSha = await runGit(dir, ['rev-parse', 'HEAD']);
  await runGit(dir, ['checkout', '--quiet', '-b', 'feature']);
  await writeTree(dir, head);
  await runGit(dir, ['add', '--all']);
  await runGit(dir, ['commit', '--quiet', '--allow-empty', '-m', 'head']);
  return { dir, baseSha, headSha: await runGit(dir, ['rev-parse', 'HEAD']) };
}

/** The files of `ref`, outside the repository: what an independent build of the base reads. */
async function exportCommit(repo: string, ref: string): Promise<string> {
  const dir = await mkdtemp(path.join(work, 'export-'));
  const r = await exec('sh', ['-c', 'git -C "$1" archive "$2" | tar -x -C "$3"', 'sh', repo, ref, dir], { env: cliEnv() });
  if (r.code !== 0) throw new Error(`git archive ${ref}: ${r.stderr}`);
  return dir;
}

async function repoIsClean(dir: string, headSha: string): Promise<void> {
  expect(await runGit(dir, ['rev-parse', 'HEAD'])).toBe(headSha);
  expect(await runGit(dir, ['status', '--porcelain', '--ignored'])).toBe('');
  expect((await runGit(dir, ['worktree', 'list', '--porcelain'])).match(/^worktree /gm)).toHaveLength(1);
}

function only<T>(map: ReadonlyMap<string, T>): T {
  expect(map.size).toBe(1);
  return [...map.values()][0]!;
}

function measuredSide(t: ReportTarget | undefined, side: 'head' | 'base'): Extract<ReportTarget['head'], { state: 'measured' }> {
  const s = t?.[side];
  if (s?.state !== 'measured') throw new Error(`${side} of ${t?.target} is ${s?.state}`);
  return s;
}

function expectReading(side: { compressedBytes: number; uncompressedBytes: number; layerCount: number; layers: ReadonlyArray<{ digest: string }> }, reading: IndependentReading): void {
  expect(side.compressedBytes).toBe(reading.compressedBytes);
  expect(side.uncompressedBytes).toBe(reading.uncompressedBytes);
  expect(side.layerCount).toBe(reading.layerCount);
  expect(side.layers.map((l) => l.digest)).toEqual(reading.layerDigests);
}

// ── compare ──────────────────────────────────────────────────────────────────────────────────

describe('compare', () => {
  test('a release that grows past max-increase: the table on stdout, progress on stderr, exit 1', async () => {
    const repo = await localRepo({ Dockerfile: dockerfile(BUILDER, RELEASE_SCRATCH) }, { Dockerfile: dockerfile(BUILDER, RELEASE_FAT) });
    const run = await runCli(['compare', '--base', 'main', '--targets', 'release', '--max-increase', '10%', '--network', 'none'], repo.dir);

    expect(run.code).toBe(1);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toMatch(/^✗ 1 target over budget {2}1 target: 1 changed; budgets judge the compressed size$/);
    const reading = only(await buildAndRead(repo.dir, 'release'));
    const row = lines.find((l) => l.startsWith('release '));
    expect(row).toMatch(new RegExp(`^release  linux/amd64 +${formatBytes(reading.compressedBytes).replace('.', '\\.')}  \\+.* ✗ over budget$`));
    expect(run.stdout).toMatch(/Failed checks\n {2}✗ release \(linux\/amd64\): \+.* exceeds max-increase 10%\n/);
    expect(run.stdout).toContain('Notes\n  - Budgets (compressed size): max-increase 10%\n');
    expect(run.stdout).toContain(`Compared base ${repo.baseSha.slice(0, 7)} (main) with head ${repo.headSha.slice(0, 7)} (refs/heads/feature).\n`);
    // Progress on stderr, one line per step; the build output nowhere without --verbose.
    expect(run.stderr).toMatch(/^> Check out base main\.\.\. done \(\d+\.\d s\)$/m);
    expect(run.stderr).toMatch(/^> Build head target release\.\.\. done \(\d+\.\d s\)$/m);
    expect(run.stderr).toMatch(/^> Build base target release\.\.\. done \(\d+\.\d s\)$/m);
    expect(`${run.stdout}${run.stderr}`).not.toMatch(/#\d+ \[internal\]|DONE \d/);
    // Not a TTY, no FORCE_COLOR: no escape sequence anywhere.
    expect(`${run.stdout}${run.stderr}`).not.toContain(ESC);
    // The base was built outside the checkout, in a temp folder that is gone; the checkout is untouched.
    await repoIsClean(repo.dir, repo.headSha);
  });

  test('within budget: exit 0; --verbose shows the build output on stderr, never on stdout', async () => {
    const repo = await localRepo({ Dockerfile: dockerfile(BUILDER, RELEASE_FAT) }, { Dockerfile: dockerfile(BUILDER, RELEASE_SCRATCH) });
    const run = await runCli(['compare', '--base', 'main', '--targets', 'release', '--max-increase', '10%', '--max-size', '1MB', '--network', 'none', '--verbose'], repo.dir);
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n')[0]).toBe('✓ Within budget  1 target: 1 changed; budgets judge the compressed size');
    expect(run.stdout).toMatch(/^release +linux\/amd64 .* -[\d.]+ [kM]B \(-\d+\.\d%\) .* ✓ changed$/m);
    expect(run.stdout).not.toContain('Failed checks');
    expect(run.stderr).toMatch(/#\d+ \[internal\] load build definition from Dockerfile/);
    expect(run.stderr).toContain('Budgets (compressed size): max-increase 10%; max-size 1 MB');
    expect(run.stdout).not.toMatch(/#\d+ \[internal\]/);
    await repoIsClean(repo.dir, repo.headSha);
  });

  test('--json: the report validates, and every number equals an independent reading of both commits', async () => {
    const repo = await localRepo({ Dockerfile: dockerfile(BUILDER, RELEASE_SCRATCH) }, { Dockerfile: dockerfile(BUILDER, RELEASE_FAT) });
    // The report names the repository after the origin remote (never contacted: the base is local).
    await runGit(repo.dir, ['remote', 'add', 'origin', 'git@github.com:acme/shop.git']);
    const run = await runCli(['compare', '--base', 'main', '--targets', 'release,debug', '--max-increase', '10%', '--network', 'none', '--json'], repo.dir);

    expect(run.code).toBe(1);
    const report: Report = parseReport(run.stdout);
    expect(report).toMatchObject({
      event: 'local',
      repository: 'acme/shop',
      tool: { name: 'image-budget' },
      regressed: true,
      changed: true,
      head: { sha: repo.headSha, ref: 'refs/heads/feature' },
      base: { sha: repo.baseSha, ref: 'main' }
    });
    expect(report.targets.map((t) => [t.target, t.status, t.regressed])).toEqual([
      ['release', 'changed', true],
      ['debug', 'unchanged', false]
    ]);
    const release = report.targets.find((t) => t.target === 'release');
    const debug = report.targets.find((t) => t.target === 'debug');
    const baseDir = await exportCommit(repo.dir, 'main');
    expectReading(measuredSide(release, 'head'), only(await buildAndRead(repo.dir, 'release')));
    expectReading(measuredSide(release, 'base'), only(await buildAndRead(baseDir, 'release')));
    expectReading(measuredSide(debug, 'head'), only(await buildAndRead(repo.dir, 'debug')));
    expectReading(measuredSide(debug, 'base'), only(await buildAndRead(baseDir, 'debug')));
    expect(release?.verdicts.find((v) => v.rule === 'max-increase')).toMatchObject({ ok: false });
    // stdout is the report alone; the verdict in words goes to stderr.
    expect(run.stderr).toMatch(/warning: Image budget exceeded for 1 target:\n {2}release \(linux\/amd64\): .* exceeds max-increase 10%/);
    await repoIsClean(repo.dir, repo.headSha);
  });

  test('uncommitted changes are built, and the report says the head is the working tree', async () => {
    const repo = await localRepo({ Dockerfile: dockerfile(BUILDER, RELEASE_SCRATCH) }, { Dockerfile: dockerfile(BUILDER, RELEASE_SCRATCH) });
    await writeFile(path.join(repo.dir, 'Dockerfile'), dockerfile(BUILDER, RELEASE_FAT));
    const run = await runCli(['compare', '--base', 'HEAD', '--targets', 'release', '--network', 'none', '--json'], repo.dir);
    expect(run.code).toBe(0);
    const report = parseReport(run.stdout);
    const release = report.targets[0];
    expect(release?.status).toBe('changed');
    expectReading(measuredSide(release, 'head'), only(await buildAndRead(repo.dir, 'release')));
    expect(report.notes).toContain(`The head is the working tree: the repository has uncommitted changes on top of ${repo.headSha.slice(0, 12)}.`);
  });

  test('a head build that fails: exit 1, with the end of its error in the report', async () => {
    const broken = ['FROM image-budget/busybox AS release', 'RUN echo cli-e2e-broken-step && false'];
    const repo = await localRepo({ Dockerfile: dockerfile(['FROM scratch AS release', 'COPY Dockerfile /Dockerfile']) }, { Dockerfile: dockerfile(broken) });
    const run = await runCli(['compare', '--base', 'main', '--network', 'none'], repo.dir);
    expect(run.code).toBe(1);
    expect(run.stdout.split('\n')[0]).toMatch(/^✗ 1 build failed {2}1 target: 1 build failed$/);
    // No sizes for a failed build: the base's would read as the head's.
    expect(run.stdout).toMatch(/^release +linux\/amd64 +- +- +- +- +- +✗ build failed$/m);
    expect(run.stdout).toMatch(/Build of release \(linux\/amd64\) failed\n(?: {4}.*\n)*? {4}.*cli-e2e-broken-step\n/);
    expect(run.stdout).toMatch(/^ {4}ERROR: .*"\/bin\/sh -c echo cli-e2e-broken-step && false" did not complete successfully: exit code: 1$/m);
    expect(run.stderr).toMatch(/warning: head build of release failed/);
    await repoIsClean(repo.dir, repo.headSha);
  });

  test('a base that is not in the clone (a shallow pull-request checkout) is an error, before any build', async () => {
    const pr = await makePullRequestCheckout({ files: { base: { Dockerfile: dockerfile(BUILDER, RELEASE_SCRATCH) }, head: { Dockerfile: dockerfile(BUILDER, RELEASE_FAT) } } });
    try {
      const run = await runCli(['compare', '--base', pr.baseSha, '--network', 'none'], pr.checkout);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain(`image-budget: error: --base "${pr.baseSha}" names no commit of the repository at `);
      expect(run.stderr).toContain(`fetch it first: git fetch origin ${pr.baseSha}`);
      expect(run.stderr).not.toContain('> Build');
    } finally {
      await pr.cleanup();
    }
  });
});

// ── Bad command lines ────────────────────────────────────────────────────────────────────────

describe('bad flags and values: exit 2, naming the flag and the accepted forms', () => {
  let repo: LocalRepo;
  beforeAll(async () => {
    repo = await localRepo({ Dockerfile: dockerfile(BUILDER, RELEASE_SCRATCH) }, { Dockerfile: dockerfile(BUILDER, RELEASE_FAT) });
  });

  const cases: ReadonlyArray<readonly [name: string, args: readonly string[], message: RegExp]> = [
    ['an unknown flag', ['compare', '--base', 'main', '--bogus'], /^image-budget: error: unknown option "--bogus" for compare\nRun "image-budget compare --help" for the accepted forms\.\n$/],
    ['a near miss', ['compare', '--bse', 'main'], /unknown option "--bse" for compare \(did you mean --base\?\)/],
    ['a missing value', ['compare', '--base'], /error: --base needs a value: --base REF or --base=REF\n/],
    ['no --base', ['compare', '--targets', 'release'], /error: compare needs --base REF/],
    ['a size without a unit', ['compare', '--base', 'main', '--max-increase', '10'], /^image-budget: error: Invalid value for --max-increase: "10" has no unit \(expected e\.g\. 10MB, 512KiB, 5%\)\n$/],
    ['an unknown metric', ['compare', '--base', 'main', '--metric', 'size'], /error: Invalid value for --metric: "size" \(expected one of compressed, uncompressed\)/],
    ['a bad build arg', ['compare', '--base', 'main', '--build-args', '1X=y'], /error: Invalid value for --build-args: line 1 has an invalid NAME "1X"/],
    ['a base that does not exist', ['compare', '--base', 'mian'], /error: --base "mian" names no commit of the repository at .*git fetch origin mian/],
    ['a switch with a value', ['measure', 'x', '--json=1'], /error: --json takes no value \(given "1"\); write --json alone/],
    ['measure without an image', ['measure'], /error: measure needs an image/],
    ['a bad --details', ['measure', 'image-budget/busybox:latest', '--details', 'everything'], /error: Invalid value for --details: "everything" \(expected a list of layers, files, trend, or none\)/],
    ['a missing archive', ['measure', './missing.tar'], /^image-budget: error: \.\/missing\.tar: no such file or directory\n$/m]
  ];
  test.each(cases)('%s', async (_name, args, message) => {
    const run = await runCli(args, repo.dir);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(message);
    expect(run.stderr).not.toContain('> Build');
  });

  test('an unknown target fails after the base checkout, which is cleaned up', async () => {
    const run = await runCli(['compare', '--base', 'main', '--targets', 'nope', '--network', 'none'], repo.dir);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/error: Invalid value for --targets: "nope" .*builder, debug, release/);
    await repoIsClean(repo.dir, repo.headSha);
  });

  test('outside a git repository', async () => {
    const run = await runCli(['compare', '--base', 'main'], work);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/error: compare runs inside a git checkout, and .* is not in one/);
  });

  test('--help and --version exit 0 on stdout', async () => {
    const help = await runCli(['compare', '--help'], work);
    expect(help).toMatchObject({ code: 0, stderr: '' });
    expect(help.stdout).toMatch(/^Usage: image-budget compare --base REF \[options\]\n/);
    const version = await runCli(['--version'], work);
    expect(version).toMatchObject({ code: 0, stderr: '' });
    expect(version.stdout).toMatch(/^image-budget \d+\.\d+\.\d+\n$/);
  });
});

// ── measure ──────────────────────────────────────────────────────────────────────────────────

interface MeasuredImage {
  platform: string;
  digest: string;
  compressedBytes: number;
  compressedEstimated?: boolean;
  uncompressedBytes: number;
  layerCount: number;
  method: string;
  layers: Array<{ digest: string; uncompressedBytes: number }>;
}
interface MeasurementJson {
  schema: string;
  source: { name: string; kind: string };
  images: MeasuredImage[];
}

async function measureJson(source: string, env: NodeJS.ProcessEnv = {}): Promise<MeasurementJson> {
  const run = await runCli(['measure', source, '--json', '--details', 'none'], work, env);
  if (run.code !== 0) throw new Error(`measure ${source} exited ${run.code}: ${run.stderr}`);
  return JSON.parse(run.stdout) as MeasurementJson;
}

async function docker(args: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  const r = await exec('docker', args, { env });
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')}: ${r.stderr.slice(-2000)}`);
}

describe('measure', () => {
  let context = '';
  beforeAll(async () => {
    context = await mkdtemp(path.join(work, 'context-'));
    await writeFile(path.join(context, 'Dockerfile'), dockerfile(BUILDER, RELEASE_FAT));
  });

  /** Builds `release` into the engine of `env` under a tag of this run. */
  async function loaded(env: NodeJS.ProcessEnv, name: string): Promise<string> {
    const tag = `${TAG_REPO}:${name}`;
    tags.push({ tag, env });
    await docker(['buildx', 'build', '--quiet', '--network', 'none', '--target', 'release', '--output', `type=docker,name=${tag}`, '--', context], env);
    return tag;
  }

  test('an engine image, its docker save tar, an OCI layout and an OCI layout tar: the numbers of an independent reading', async () => {
    const env = { ...process.env, DOCKER_HOST: containerdHost };
    const before = (await readdir(os.tmpdir())).filter((d) => d.startsWith('image-budget-measure-'));
    const reading = only(await buildAndRead(context, 'release'));
    const tag = await loaded(env, 'containerd');
    const tar = path.join(work, 'saved.tar');
    await docker(['save', '--output', tar, tag], env);
    const layoutDir = path.join(work, 'layout');
    await docker(['buildx', 'build', '--quiet', '--network', 'none', '--target', 'release', '--output', `type=oci,dest=${layoutDir},tar=false`, '--', context], env);
    const layoutTar = path.join(work, 'layout.tar');
    await docker(['buildx', 'build', '--quiet', '--network', 'none', '--target', 'release', '--output', `type=oci,dest=${layoutTar}`, '--', context], env);
    const layoutReading = only(await readLayout(layoutDir));

    const cases: ReadonlyArray<readonly [source: string, kind: string, expected: IndependentReading]> = [
      [tag, 'engine image', reading],
      [tar, 'docker save archive', reading],
      [layoutDir, 'OCI layout', layoutReading],
      [layoutTar, 'OCI layout archive', layoutReading]
    ];
    for (const [source, kind, expected] of cases) {
      const m = await measureJson(source);
      expect(m.schema).toBe('image-budget/measurement');
      expect(m.source).toEqual({ name: source, kind });
      expect(m.images).toHaveLength(1);
      const [image] = m.images;
      expect(image).toMatchObject({ platform: 'linux/amd64', method: 'oci-layout', digest: expected.manifestDigest });
      expect(image!.compressedEstimated).toBeUndefined();
      expectReading(image!, expected);
    }
    // The layers built from the same cache are the same blobs, whichever way they were exported.
    expect(layoutReading.layerDigests).toEqual(reading.layerDigests);

    // The table: one row, the sizes as the comparison shows them, the layers below.
    const table = await runCli(['measure', tag], work);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toBe(`${tag} (engine image, read as an OCI layout)`);
    expect(table.stdout).toMatch(new RegExp(`^linux/amd64 +${formatBytes(reading.compressedBytes).replace('.', '\\.')} +${formatBytes(reading.uncompressedBytes).replace('.', '\\.')} +${reading.layerCount} +`, 'm'));
    expect(table.stdout).toContain(`linux/amd64: ${reading.layerCount} layers\n`);
    expect(table.stdout).toContain('Wasted space: ');
    expect(table.stderr).toMatch(new RegExp(`^> Measure ${tag.replace(/[/.]/g, '\\$&')}\\.\\.\\. done`));
    // Every temporary extraction is gone.
    expect((await readdir(os.tmpdir())).filter((d) => d.startsWith('image-budget-measure-') && !before.includes(d))).toEqual([]);
  });

  test('the classic image store: the image and its save tar read as the action reads that store', async () => {
    const independent = await buildAndReadClassic(context, 'release', classicEnv);
    const tag = await loaded(classicEnv, 'classic');
    const tar = path.join(work, 'classic.tar');
    await docker(['save', '--output', tar, tag], classicEnv);
    const gz = path.join(work, 'classic.tar.gz');
    const zipped = await exec('sh', ['-c', 'gzip -c < "$1" > "$2"', 'sh', tar, gz]);
    expect(zipped.code).toBe(0);
    const fromImage = await measureJson(tag, { DOCKER_HOST: classicEnv.DOCKER_HOST });
    for (const m of [fromImage, await measureJson(tar), await measureJson(gz)]) {
      const [image] = m.images;
      expect(m.images).toHaveLength(1);
      expect(image).toMatchObject({ method: 'docker-save', compressedEstimated: true, uncompressedBytes: independent.uncompressedBytes });
      expect(image!.layers.map((l) => l.uncompressedBytes)).toEqual(independent.layerSizes);
      // A gzip estimate: smaller than the uncompressed layers, and the same however the save was read.
      expect(image!.compressedBytes).toBeLessThan(independent.uncompressedBytes);
      expect(image!.compressedBytes).toBe(fromImage.images[0]!.compressedBytes);
    }
    expect(fromImage.source.kind).toBe('engine image');
    const table = await runCli(['measure', tar, '--details', 'none'], work);
    expect(table.stdout).toMatch(/^linux\/amd64 +≈ [\d.]+ [kM]B /m);
    expect(table.stdout).toContain('Compressed sizes marked ≈ are estimates');
  });

  test('an audit of everything the image holds that images often should not, each with its directory, layer and fix', async () => {
    const debris = await mkdtemp(path.join(work, 'debris-'));
    const zeros = (file: string, kb: number): string => `dd if=/dev/zero of=${file} bs=1024 count=${kb} 2>/dev/null`;
    await writeFile(
      path.join(debris, 'Dockerfile'),
      [
        'FROM image-budget/busybox AS app',
        `RUN mkdir -p /var/lib/apt/lists /root/.cache/pip/http && ${zeros('/var/lib/apt/lists/deb.debian.org_Packages', 300)} && ${zeros('/root/.cache/pip/http/wheel-0', 200)}`,
        `RUN ${zeros('/tmp/build.tar', 100)}`,
        'RUN rm /tmp/build.tar',
        ''
      ].join('\n')
    );
    const env = { ...process.env, DOCKER_HOST: containerdHost };
    const tag = `${TAG_REPO}:debris`;
    tags.push({ tag, env });
    await docker(['buildx', 'build', '--quiet', '--network', 'none', '--output', `type=docker,name=${tag}`, '--', debris], env);

    const run = await runCli(['measure', tag, '--details', 'none'], work);
    expect(run.code).toBe(0);
    const audit = run.stdout.slice(run.stdout.indexOf('linux/amd64: what it holds'));
    expect(audit).toMatch(/^linux\/amd64: what it holds that images often should not\n/);
    expect(audit).toMatch(/ {2}apt package lists: \+307 kB, 1 file\n {4}\/var\/lib\/apt\/lists\/ \+307 kB, 1 file, layer 2: RUN \/bin\/sh -c mkdir -p/);
    expect(audit).toMatch(/ {2}pip cache: \+205 kB, 1 file\n {4}\/root\/\.cache\/pip\/ \+205 kB, 1 file, layer 2:/);
    expect(audit).toMatch(/Deleted or overwritten in a later layer \(wasted space\): \+102 kB, 1 file/);
    expect(audit).toContain('Fix: rm -rf /var/lib/apt/lists/*');
    // The busybox base itself holds none of it.
    expect(audit).not.toMatch(/toolchain|compiler/i);

    const json = JSON.parse((await runCli(['measure', tag, '--json', '--details', 'none'], work)).stdout) as { images: Array<{ causes: Array<{ id: string; bytes: number; directories: Array<{ path: string; layer?: number }> }> }> };
    const causes = json.images[0]!.causes;
    expect(causes.map((c) => [c.id, c.bytes])).toEqual(expect.arrayContaining([['apt-lists', 307_200], ['pip-cache', 204_800]]));
    expect(causes.find((c) => c.id === 'apt-lists')!.directories).toEqual([{ path: '/var/lib/apt/lists/', bytes: 307_200, files: 1, layer: 2, instruction: expect.stringContaining('RUN /bin/sh -c mkdir -p') }]);

    const off = await runCli(['measure', tag, '--details', 'none', '--advice', 'false'], work);
    expect(off.stdout).not.toContain('what it holds');
    expect(JSON.parse((await runCli(['measure', tag, '--json', '--details', 'none', '--advice=false'], work)).stdout).images[0].causes).toBeUndefined();
  });

  test('an image the engine does not have is looked for in its registry, never pulled; an absent image id is an error', async () => {
    const run = await runCli(['measure', `${TAG_REPO}:absent`], work);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${TAG_REPO}:absent is not a file, a directory or an image of the Docker engine at ${containerdHost}`);
    // Docker Hub, unreachable here or refusing a repository that does not exist.
    expect(run.stderr).toContain(`, and its registry could not be read: docker.io/${TAG_REPO}:absent: `);
    const id = await runCli(['measure', '0123456789ab'], work);
    expect(id.code).toBe(2);
    expect(id.stderr).toContain('0123456789ab is not a file, a directory or an image of the Docker engine');
    expect(id.stderr).toContain('images are never pulled');
  });

  test('a file that is not an image archive', async () => {
    const file = path.join(work, 'not-an-image.tar');
    const made = await exec('tar', ['-c', '-f', file, '-C', context, 'Dockerfile']);
    expect(made.code).toBe(0);
    const run = await runCli(['measure', file], work);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('error: not an image archive: it holds neither index.json (an OCI layout) nor manifest.json (docker save)');
  });
});

// ── Colour ───────────────────────────────────────────────────────────────────────────────────

describe('colour codes appear only when FORCE_COLOR asks for them (stdout is a pipe here)', () => {
  const cases: ReadonlyArray<readonly [name: string, env: NodeJS.ProcessEnv, colour: boolean]> = [
    ['no variable', {}, false],
    ['NO_COLOR=1', { NO_COLOR: '1' }, false],
    ['FORCE_COLOR=0', { FORCE_COLOR: '0' }, false],
    ['FORCE_COLOR=1', { FORCE_COLOR: '1' }, true],
    ['FORCE_COLOR=1 and NO_COLOR=1', { FORCE_COLOR: '1', NO_COLOR: '1' }, true]
  ];
  test.each(cases)('measure with %s', async (_name, env, colour) => {
    const run = await runCli(['measure', 'image-budget/busybox:latest', '--details', 'none'], work, env);
    expect(run.code).toBe(0);
    expect(run.stdout.includes(`${ESC}[1mPlatform${ESC}[22m`)).toBe(colour);
    expect(run.stderr.includes(`${ESC}[36m>${ESC}[39m`)).toBe(colour);
    if (!colour) expect(`${run.stdout}${run.stderr}`).not.toContain(ESC);
  });

  test('compare with FORCE_COLOR=1: the verdict in red, only SGR sequences', async () => {
    const repo = await localRepo({ Dockerfile: dockerfile(BUILDER, RELEASE_SCRATCH) }, { Dockerfile: dockerfile(BUILDER, RELEASE_FAT) });
    const run = await runCli(['compare', '--base', 'main', '--targets', 'release', '--max-increase', '10%', '--network', 'none'], repo.dir, { FORCE_COLOR: '1' });
    expect(run.code).toBe(1);
    expect(run.stdout.startsWith(`${ESC}[31m${ESC}[1m✗ 1 target over budget`)).toBe(true);
    // eslint-disable-next-line no-control-regex
    expect(run.stdout.replace(/\u001b\[\d+m/g, '')).not.toContain(ESC);
  });
});
