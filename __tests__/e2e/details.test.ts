// End to end: `details: files` and `max-wasted` on both image stores, and the classic store's
// docker-save path, through the bundled dist/index.js run as the runner runs it. Every number is
// checked against an independent reading: GNU tar's listing of each layer, buildx's local export of
// the final filesystem, and (classic store) `docker save | tar -x` counted by `wc -c`.
import { jest } from '@jest/globals';
import path from 'node:path';
import { exec } from '../../src/exec.js';
import { formatBytes } from '../../src/report/format.js';
import { ROOT } from '../support/engine.js';
import { type FileTree, type PullRequestFixture } from '../support/git-fixture.js';
import { buildAndReadClassic, buildAndReadFiles } from '../support/independent.js';
import { reportOf, rowOf, usePrHarness, type Row } from '../support/pr-run.js';
import { type ActionRun } from '../support/run-action.js';

jest.setTimeout(5 * 60_000);

// The base writes a 300 KiB cache file and deletes it in the next layer (wasted in both images).
// The head also overwrites notes.txt in a later layer and adds a generated file.
const BASE: FileTree = {
  'notes.txt': 'first notes\n',
  Dockerfile: [
    'FROM image-budget/busybox AS app',
    'RUN mkdir -p /data && dd if=/dev/zero of=/data/cache.bin bs=1024 count=300 2>/dev/null && echo v1 > /data/version',
    'RUN rm /data/cache.bin',
    'COPY notes.txt /data/notes.txt',
    ''
  ].join('\n')
};
const HEAD: FileTree = {
  'notes.txt': `${'longer notes\n'.repeat(40)}`,
  Dockerfile: [
    'FROM image-budget/busybox AS app',
    'RUN mkdir -p /data && dd if=/dev/zero of=/data/cache.bin bs=1024 count=300 2>/dev/null && echo v2 > /data/version',
    'RUN rm /data/cache.bin && seq 1 20000 > /data/extra.txt && echo draft > /data/notes.txt',
    'COPY notes.txt /data/notes.txt',
    ''
  ].join('\n')
};

const h = usePrHarness();
let classicHost = '';

beforeAll(async () => {
  const r = await exec('bash', [path.join(ROOT, 'scripts', 'engine.sh'), 'ensure-classic'], { cwd: ROOT });
  if (r.code !== 0) throw new Error(`scripts/engine.sh ensure-classic exited ${r.code}: ${r.stderr.trim()}`);
  classicHost = r.stdout.trim().split('\n').pop() ?? '';
});

async function prRun(prNumber: number, inputs: Record<string, string>, env: Record<string, string> = {}): Promise<{ f: PullRequestFixture; run: ActionRun; row: Row }> {
  const f = await h.pr(BASE, HEAD, prNumber);
  const run = await h.runOnPr(f, { targets: 'app', ...inputs }, { env });
  return { f, run, row: rowOf(await reportOf(run), 'app') };
}

describe('containerd image store: exact sizes and file details', () => {
  let run: ActionRun;
  let row: Row;
  let f: PullRequestFixture;

  beforeAll(async () => {
    ({ f, run, row } = await prRun(31, { details: 'layers,files', 'max-wasted': '100KB' }));
  });

  test('max-wasted fails the step after the comment, naming the wasted bytes', () => {
    expect(run.code).toBe(1);
    const verdict = row.verdicts.find((v) => v.rule === 'max-wasted');
    expect(verdict).toMatchObject({ ok: false });
    expect(verdict?.reason).toMatch(/^307 kB wasted \(\d+\.\d% of the image\) exceeds max-wasted 100 kB$/);
    expect(h.github.commentsOn(31)).toHaveLength(1);
    expect(run.errors.join('\n')).toMatch(/max-wasted/);
  });

  test('wasted bytes equal an independent reading (GNU tar listing of every layer, less the exported filesystem)', async () => {
    const head = await buildAndReadFiles(f.checkout, 'app');
    expect(row.head.method).toBe('oci-layout');
    expect(row.head.compressedEstimated).toBeUndefined();
    expect(row.head.compressedBytes).toBe(head.reading.compressedBytes);
    expect(row.head.uncompressedBytes).toBe(head.reading.uncompressedBytes);
    expect(row.head.files?.wastedBytes).toBe(head.wastedBytes);
    // At least the deleted cache file and the first notes.txt.
    expect(head.wastedBytes).toBeGreaterThanOrEqual(300 * 1024 + 'draft\n'.length);
    expect(row.head.files?.wasted[0]).toEqual({ path: 'data/cache.bin', bytes: 300 * 1024 });
    expect(row.head.files?.wasted).toContainEqual({ path: 'data/notes.txt', bytes: 'draft\n'.length });
    // The base's figure is read too, and shown beside it.
    expect(row.base.files?.wastedBytes).toBeGreaterThanOrEqual(300 * 1024);
  });

  test('the comment lists the file changes and the wasted space, with the base figure beside it', async () => {
    const body = h.github.commentsOn(31)[0]!.body;
    const final = (await buildAndReadFiles(f.checkout, 'app')).final;
    expect(body).toContain('**Wasted space**');
    // The added file's row carries the size the exported filesystem has.
    const extra = final.get('data/extra.txt') ?? 0;
    expect(extra).toBeGreaterThan(100_000);
    expect(body).toContain(`| added | \`/data/extra.txt\` | — | ${formatBytes(extra)} | +${formatBytes(extra)} |`);
    const before = 'first notes\n'.length;
    const after = 'longer notes\n'.length * 40;
    expect(final.get('data/notes.txt')).toBe(after);
    expect(body).toContain(`| grown | \`/data/notes.txt\` | ${formatBytes(before)} | ${formatBytes(after)} | +${formatBytes(after - before)} |`);
    expect(body).toMatch(/; base: \d/);
    expect(body).toContain('`/data/cache.bin`');
  });
});

describe('classic image store: load and docker save, compressed sizes estimated', () => {
  let run: ActionRun;
  let row: Row;
  let f: PullRequestFixture;

  beforeAll(async () => {
    ({ f, run, row } = await prRun(32, { details: 'layers,files', 'max-increase': '50%' }, { DOCKER_HOST: classicHost }));
  });

  test('the run passes, says how it measured, and leaves no temporary image behind', async () => {
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/classic image store: images are loaded and read with docker save/);
    const images = await exec('docker', ['image', 'ls', '--format', '{{.Repository}}'], { env: { ...process.env, DOCKER_HOST: classicHost } });
    expect(images.stdout).not.toMatch(/^image-budget\.local\/image-budget-/m);
  });

  test('both sides are measured by docker-save; compressed sizes are marked as estimates in the report and the comment', () => {
    for (const side of [row.head, row.base]) {
      expect(side).toMatchObject({ state: 'measured', method: 'docker-save', compressedEstimated: true });
    }
    expect(row.status).toBe('changed');
    const body = h.github.commentsOn(32)[0]!.body;
    expect(body).toContain('≈');
    expect(body).toMatch(/estimate/);
    expect(run.summary).toContain('≈');
  });

  test('uncompressed sizes, layers and wasted space equal docker save read by tar and wc', async () => {
    const head = await buildAndReadClassic(f.checkout, 'app', { ...process.env, DOCKER_HOST: classicHost });
    expect(row.head.uncompressedBytes).toBe(head.uncompressedBytes);
    expect(row.head.layerCount).toBe(head.layerSizes.length);
    expect(row.head.layers?.map((l) => l.uncompressedBytes)).toEqual(head.layerSizes);
    expect(row.head.files?.wastedBytes).toBe(head.wastedBytes);
    expect(row.head.files?.wasted[0]).toEqual({ path: 'data/cache.bin', bytes: 300 * 1024 });
  });

  test('a build cache the classic store cannot export: a warning, and the build goes on', async () => {
    const { run: cached, row: r } = await prRun(34, { cache: 'local=.buildcache', baseline: 'none' }, { DOCKER_HOST: classicHost });
    expect(cached.code).toBe(0);
    expect(cached.warnings.join('\n')).toMatch(/cannot export build cache; the cache is read but not written, and the build goes on/);
    expect(r.head).toMatchObject({ state: 'measured', method: 'docker-save' });
  });

  test('two platforms on the classic store fail before any build, naming the input', async () => {
    const f2 = await h.pr(BASE, HEAD, 33);
    const bad = await h.runOnPr(f2, { targets: 'app', platforms: 'linux/amd64,linux/386' }, { env: { DOCKER_HOST: classicHost } });
    expect(bad.code).toBe(1);
    expect(bad.errors.join('\n')).toMatch(/platforms.*linux\/amd64,linux\/386.*one platform/s);
    expect(bad.stdout).not.toMatch(/Build head target/);
    expect(h.github.commentsOn(33)).toHaveLength(0);
  });
});
