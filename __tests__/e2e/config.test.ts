// End to end: `config` (several images of a monorepo in one YAML file), through the bundled
// dist/index.js run as the runner runs it, against the real engine, the GitHub stand-in and the
// Actions cache stand-in. One pull request, two images in two folders: one comment with both images'
// rows, each image judged by its own budgets and measured as an independent build reads it; a broken
// file fails before any build at its line; a push stores one baseline per image, which the next
// pull request uses for each image instead of building its base.
import { jest } from '@jest/globals';
import { mkdir, mkdtemp, readdir, realpath, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ActionsCacheStore } from '../../src/baseline/actions-cache.js';
import { baselineKey } from '../../src/baseline/store.js';
import type { Report } from '../../src/report/report.js';
import { applyEnv, jobEnv } from '../support/cache-standin.js';
import { runGit, type FileTree, type PullRequestFixture } from '../support/git-fixture.js';
import { buildAndRead } from '../support/independent.js';
import { parseReport, reportOf, rowOf, rowsOf, usePrHarness, type DockerCall, type Row } from '../support/pr-run.js';
import { runAction, type ActionRun } from '../support/run-action.js';

jest.setTimeout(8 * 60_000);

const CONFIG = '.github/image-budget.yml';
const lines = (...l: string[]): string => `${l.join('\n')}\n`;

// services/api: its release stage goes from FROM scratch to FROM builder on the head (far over 10%).
const API_BUILDER = ['FROM image-budget/busybox AS builder', 'RUN mkdir -p /out && seq 1 60000 > /out/data.txt && echo api > /out/app'];
const apiDockerfile = (fat: boolean): string =>
  lines(...API_BUILDER, fat ? 'FROM builder AS release' : 'FROM scratch AS release', 'COPY --from=builder /out/ /app/');
// services/web: a page made from a build argument; the head adds a little to it (well within 50%).
const webDockerfile = (page: string): string =>
  lines(
    'FROM image-budget/busybox AS build',
    'ARG GREETING',
    `RUN mkdir -p /srv && seq 1 20000 > /srv/data.txt && echo "$GREETING ${page}" > /srv/index.html`,
    'FROM scratch AS release',
    'COPY --from=build /srv/ /srv/',
    'FROM build AS debug'
  );

/** The config both sides carry: each image its own folder, targets, build arguments and budgets. */
const MONOREPO_CONFIG = lines(
  '# two services, each with its own budgets', // 1
  'images:', // 2
  '  - name: api', // 3
  '    context: services/api', // 4
  '    targets: [release]', // 5
  '    max-increase: 10%', // 6
  '  - name: web', // 7
  '    context: services/web', // 8
  '    file: services/web/web.Dockerfile', // 9
  '    targets: release, debug', // 10
  '    build-args:', // 11
  '      GREETING: hello', // 12
  '    max-increase: 50%', // 13
  '    max-size:', // 14
  '      release: 10MB' // 15
);

const monorepo = (side: 'base' | 'head', marker: string): FileTree => ({
  [CONFIG]: MONOREPO_CONFIG,
  'services/api/Dockerfile': apiDockerfile(side === 'head'),
  'services/web/web.Dockerfile': webDockerfile(side === 'head' ? 'web, version 2' : 'web'),
  'marker.txt': `${marker}\n`
});

const h = usePrHarness({ cache: { defaultBranch: 'main' } });

function fixture(marker: string, prNumber: number): Promise<PullRequestFixture> {
  return h.pr(monorepo('base', marker), monorepo('head', marker), prNumber);
}

function prRun(f: PullRequestFixture, inputs: Record<string, string>, env: Record<string, string> = {}): Promise<ActionRun> {
  return h.runOnPr(f, { config: CONFIG, ...inputs }, { env });
}

const row = (r: Report, image: string, target: string): Row => rowOf(r, target, image);

const verdict = (r: Row, rule: string): { ok: boolean; reason: string } | undefined => r.verdicts.find((v) => v.rule === rule);

describe('a pull request on a monorepo: two images, one comment, each image judged by its own budgets', () => {
  let f: PullRequestFixture;
  let run: ActionRun;
  let report: Report;
  let dockerCalls: DockerCall[];

  beforeAll(async () => {
    f = await fixture('pr', 71);
    const docker = await h.dockerWrapper();
    // The single-image inputs given beside `config` are ignored (a 1-byte max-size would fail every
    // image; the target does not exist), with a warning that says so.
    run = await prRun(f, { targets: 'no-such-target', 'max-size': '1B' }, { PATH: docker.path });
    report = await reportOf(run);
    dockerCalls = await docker.calls();
  });

  test('the builder is probed once for the whole run, not once per image', () => {
    const probes = dockerCalls.map((c) => c.argv.slice(0, 2).join(' ')).filter((a) => ['buildx version', 'buildx inspect', 'info --format'].includes(a));
    // The three probes are asked at once: in any order, each once.
    expect(probes.sort()).toEqual(['buildx inspect', 'buildx version', 'info --format']);
    expect(dockerCalls.filter((c) => c.argv[0] === 'buildx' && c.argv[1] === 'build')).toHaveLength(6);
  });

  test('api, over its own max-increase, fails the step, named by image and target; web passes', () => {
    expect(run.code).toBe(1);
    expect(run.outputs.regressed).toBe('true');
    const failure = run.errors.find((e) => e.startsWith('Image budget exceeded'));
    // As the runner receives it: a workflow command escapes line breaks and `%`.
    expect(failure).toMatch(/^Image budget exceeded for 1 target:%0A {2}api\/release \(linux\/amd64\): \+[\d.]+ MB \(\+[\d.]+%25\) exceeds max-increase 10%25$/);
    expect(run.errors.join('\n')).not.toMatch(/web\/|max-size/);
  });

  test("api's annotation points into api's own Dockerfile (the release stage's FROM: its biggest new layer, the base image, is no line of it)", () => {
    // As the runner receives it: properties escape `:` as %3A.
    const annotations = run.stdout.split('\n').filter((l) => l.startsWith('::error title=image-budget%3A api/release'));
    expect(annotations).toHaveLength(1);
    expect(annotations[0]).toMatch(/^::error title=image-budget%3A api\/release \(linux\/amd64\),file=services\/api\/Dockerfile,line=3::\+/);
  });

  test('the single-image inputs were ignored, with a warning', () => {
    expect(run.warnings.join('\n')).toContain('targets, max-size: ignored, since config is set; each image of .github/image-budget.yml has its own');
  });

  test('rows in config order, labelled with their image, each with its own verdicts', () => {
    expect(report.targets.map((t) => [t.image, t.target, t.status, t.regressed])).toEqual([
      ['api', 'release', 'changed', true],
      ['web', 'release', 'changed', false],
      ['web', 'debug', 'changed', false]
    ]);
    const api = row(report, 'api', 'release');
    expect(verdict(api, 'max-increase')).toMatchObject({ ok: false });
    expect(verdict(api, 'max-increase')?.reason).toMatch(/exceeds max-increase 10%$/);
    // api has no max-size of its own; the action's `max-size: 1B` was not applied.
    expect(verdict(api, 'max-size')).toBeUndefined();
    const web = row(report, 'web', 'release');
    expect(verdict(web, 'max-increase')?.reason).toMatch(/within max-increase 50%$/);
    expect(verdict(web, 'max-size')?.reason).toMatch(/within max-size 10 MB$/);
    // web's max-size names release only.
    expect(verdict(row(report, 'web', 'debug'), 'max-size')).toBeUndefined();
    expect(report.notes).toEqual(
      expect.arrayContaining(['api: Budgets (compressed size): max-increase 10%', 'web: Budgets (compressed size): max-increase 50%; max-size release=10 MB'])
    );
    expect(report.head.sha).toBe(f.mergeSha);
    expect(report.base?.sha).toBe(f.baseSha);
  });

  test("one comment, under the action's comment-key, with both images' rows", () => {
    const comments = h.github.commentsOn(71);
    expect(comments).toHaveLength(1);
    const body = comments[0]!.body;
    expect(body).toContain('<!-- image-budget:image-budget -->');
    expect(body).not.toContain('<!-- image-budget:image-budget-api');
    for (const cell of ['| `api` › `release` |', '| `web` › `release` |', '| `web` › `debug` |']) expect(body).toContain(cell);
    expect(body).toContain('- api\\: Budgets (compressed size)\\: max-increase 10%');
    expect(body).toContain('- `api` › `release` (linux/amd64): \\+');
    expect(run.outputs['comment-id']).toBe(String(comments[0]!.id));
    expect(run.summary).toContain('`web` › `debug`');
  });

  test("every image's numbers equal an independent build of its own context (build arguments included)", async () => {
    const readings: Array<[Row, string, string, string[]]> = [
      [row(report, 'api', 'release'), 'services/api', 'release', []],
      [row(report, 'web', 'release'), 'services/web', 'release', ['--file', path.join(f.checkout, 'services/web/web.Dockerfile'), '--build-arg', 'GREETING=hello']],
      [row(report, 'web', 'debug'), 'services/web', 'debug', ['--file', path.join(f.checkout, 'services/web/web.Dockerfile'), '--build-arg', 'GREETING=hello']]
    ];
    for (const [r, context, target, extra] of readings) {
      const independent = await buildAndRead(path.join(f.checkout, context), target, ['--network', 'none', ...extra]);
      expect(independent.size).toBe(1);
      const [reading] = [...independent.values()];
      expect([r.image, r.target, r.head.compressedBytes, r.head.uncompressedBytes, r.head.layerCount, r.head.layers?.map((l) => l.digest)]).toEqual([
        r.image,
        target,
        reading!.compressedBytes,
        reading!.uncompressedBytes,
        reading!.layerCount,
        reading!.layerDigests
      ]);
    }
  });

  test('each image built its head and its base, one after the other, and left nothing behind', async () => {
    const built = [...run.stdout.matchAll(/^::group::Build (head|base) target (\S+)$/gm)].map((m) => `${m[1]} ${m[2]}`);
    expect(built).toEqual(['head release', 'base release', 'head release', 'head debug', 'base release', 'base debug']);
    expect(run.stdout.indexOf('Image api')).toBeLessThan(run.stdout.indexOf('Image web'));
    expect((await runGit(f.checkout, ['worktree', 'list', '--porcelain'])).match(/^worktree /gm)).toHaveLength(1);
    expect(await runGit(f.checkout, ['status', '--porcelain'])).toBe('');
    expect((await readdir(run.runnerTemp)).filter((d) => d.startsWith('image-budget-'))).toEqual([]);
    expect(run.state.cleaned).toBe('true');
  });
});

describe('a broken config fails before any build, at its line', () => {
  let f: PullRequestFixture;
  const unreachable = { DOCKER_HOST: 'unix:///nonexistent/docker.sock' };

  beforeAll(async () => {
    f = await fixture('broken', 72);
  });

  /** Runs the action on a config file written into the checkout (untracked, as a generated one would be). */
  async function runWith(name: string, text: string): Promise<ActionRun> {
    await mkdir(path.join(f.checkout, '.github'), { recursive: true });
    await writeFile(path.join(f.checkout, '.github', name), text);
    return prRun(f, { config: `.github/${name}` }, unreachable);
  }

  test.each<[string, string, string, string | RegExp]>([
    [
      'a size without a unit in the second image',
      'no-unit.yml',
      lines('images:', '  - name: api', '    context: services/api', '  - name: web', '    context: services/web', '    max-size: 10'),
      '.github/no-unit.yml:6:15: images[1].max-size: "10" has no unit (expected e.g. 10MB, 512KiB)'
    ],
    [
      'an unknown key',
      'unknown-key.yml',
      lines('images:', '  - name: api', '    context: services/api', '    dockerfile: services/api/Dockerfile'),
      '.github/unknown-key.yml:4:5: images[0].dockerfile: is not a key of an image; did you mean file? (keys: name, context, file, targets, build-args, platforms, max-increase, max-size, max-layers, max-wasted)'
    ],
    [
      'YAML that does not parse',
      'bad-yaml.yml',
      lines('images:', '  - name: api', '    targets: [release', '  - name: web'),
      '.github/bad-yaml.yml:4:3: is not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]'
    ],
    [
      "the second image's missing context, before the first image is built",
      'missing-context.yml',
      lines('images:', '  - name: api', '    context: services/api', '  - name: web', '    context: services/webb'),
      /^\.github\/missing-context\.yml:5:14: images\[1\]\.context: "services\/webb" \(expected an existing directory; not found at .*\/services\/webb\)$/
    ],
    [
      "a per-target budget for a target the image doesn't build",
      'budget-target.yml',
      lines('images:', '  - name: api', '    context: services/api', '    max-layers:', '      debug: 3'),
      '.github/budget-target.yml:5:7: images[0].max-layers: "debug" is not a built target (built targets: release)'
    ],
    [
      'a target that is a stage of neither side (found once the base is checked out, before building)',
      'unknown-target.yml',
      lines('images:', '  - name: api', '    context: services/api', '    targets: [release, relase]'),
      '.github/unknown-target.yml:4:24: images[0].targets: "relase" is not a stage of services/api/Dockerfile (stages: builder, release)'
    ]
  ])('%s', async (_name, file, text, message) => {
    const posts = h.github.requests('POST').length;
    const run = await runWith(file, text);
    expect(run.code).toBe(1);
    expect(run.errors).toHaveLength(1);
    if (typeof message === 'string') expect(run.errors[0]).toBe(message);
    else expect(run.errors[0]).toMatch(message);
    // Had it got as far as a build, the error would be the unreachable engine's.
    expect(run.stdout).not.toMatch(/Build head target|Docker daemon/);
    expect(h.github.requests('POST').length).toBe(posts);
  });

  test('a missing config file names the path tried', async () => {
    const run = await prRun(f, { config: '.github/images.yml' }, unreachable);
    expect(run.code).toBe(1);
    expect(run.errors).toEqual([`Invalid input 'config': ".github/images.yml" (expected an existing file; not found at ${path.join(await realpath(f.checkout), '.github', 'images.yml')})`]);
  });
});

describe('a push stores one baseline per image; the next pull request uses each', () => {
  let f: PullRequestFixture;
  let push: ActionRun;
  let pr: ActionRun;

  const cacheEnv = (): Record<string, string> => jobEnv(h.cache);

  async function stored(key: string): Promise<Report> {
    h.cache.setScope('refs/heads/main');
    const restore = applyEnv(h.cache.env);
    try {
      const found = await new ActionsCacheStore().find([key]);
      if (!found) throw new Error(`nothing stored under ${key}`);
      return parseReport(found.text);
    } finally {
      restore();
    }
  }

  beforeAll(async () => {
    f = await fixture('push', 73);
    const dir = await mkdtemp(path.join(f.root, 'push-'));
    const ws = path.join(dir, 'ws');
    await runGit(f.root, ['clone', '--quiet', '--depth', '1', '--branch', 'main', '--', f.originUrl, ws]);
    h.cache.setScope('refs/heads/main');
    push = await runAction({
      workspace: ws,
      eventName: 'push',
      payload: { before: '0'.repeat(40), after: f.baseSha, ref: 'refs/heads/main', repository: { full_name: 'o/r', name: 'r', owner: { login: 'o' }, default_branch: 'main' } },
      inputs: { network: 'none', cache: 'none', config: CONFIG, 'comment-key': 'mono' },
      env: { ...cacheEnv(), GITHUB_SHA: f.baseSha, GITHUB_REF: 'refs/heads/main', GITHUB_API_URL: h.github.url }
    });
    h.cache.setScope(`refs/pull/${f.prNumber}/merge`, 'refs/heads/main');
    pr = await prRun(f, { cache: 'none', 'comment-key': 'mono' }, cacheEnv());
  });

  test('the push stores each image its own report, under its own key', async () => {
    expect(push.code).toBe(0);
    for (const image of ['api', 'web']) {
      const key = baselineKey('o/r', `mono+${image}`, f.baseSha);
      expect(push.stdout).toContain(`Stored the report of image ${image} as the baseline of ${f.baseSha} in the Actions cache (key ${key}).`);
      expect(h.cache.entries().find((e) => e.key === key)).toMatchObject({ finalized: true, scope: 'refs/heads/main' });
    }
    // None under the action's own key: a single-image run with that key has nothing to mistake.
    expect(h.cache.entries().some((e) => e.key === baselineKey('o/r', 'mono', f.baseSha))).toBe(false);
    const api = await stored(baselineKey('o/r', 'mono+api', f.baseSha));
    const web = await stored(baselineKey('o/r', 'mono+web', f.baseSha));
    expect([api.head.sha, api.targets.map((t) => [t.image, t.target])]).toEqual([f.baseSha, [['api', 'release']]]);
    expect([web.head.sha, web.targets.map((t) => [t.image, t.target])]).toEqual([
      f.baseSha,
      [
        ['web', 'release'],
        ['web', 'debug']
      ]
    ]);
  });

  test('the pull request compares each image with its stored report and builds no base', async () => {
    expect(pr.stdout).not.toMatch(/Build base target/);
    const r = await reportOf(pr);
    expect(r.base?.sha).toBe(f.baseSha);
    // The same baseline note for both images: said once, not per image.
    expect(r.notes.filter((n) => n.includes('the base was not rebuilt'))).toEqual([
      `Baseline: the report stored for ${f.baseSha.slice(0, 12)} by its push run; the base was not rebuilt.`
    ]);
    expect(r.targets.map((t) => [t.image, t.target, t.status, t.regressed])).toEqual([
      ['api', 'release', 'changed', true],
      ['web', 'release', 'changed', false],
      ['web', 'debug', 'changed', false]
    ]);
    // The stored base numbers are the push's own measurements of each image.
    const pushed = await reportOf(push);
    for (const t of rowsOf(r)) {
      const p = rowsOf(pushed).find((x) => x.image === t.image && x.target === t.target);
      expect([t.image, t.target, t.base.digest, t.base.compressedBytes]).toEqual([t.image, t.target, p?.head.digest, p?.head.compressedBytes]);
    }
    expect(pr.code).toBe(1);
    expect(h.github.commentsOn(73)).toHaveLength(1);
  });
});
