// End to end: why a target grew. Images the tests build (busybox or scratch, no network) with the
// directory layouts of a Go toolchain, its build cache, apt lists and archives, a pip cache, a
// `.git` folder copied in and a file deleted one layer too late; the bundled action names each
// cause with its fix in the comment, says nothing of debris the base already had, and points the
// error annotation at the Dockerfile line of the layer that grew most.
import { jest } from '@jest/globals';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { FileTree } from '../support/git-fixture.js';
import { usePrHarness } from '../support/pr-run.js';

jest.setTimeout(5 * 60_000);

const h = usePrHarness();
const zeros = (file: string, kb: number): string => `dd if=/dev/zero of=${file} bs=1024 count=${kb} 2>/dev/null`;

// The seeds' Go example: the release stage switched from `FROM scratch` to `FROM builder`.
const GO_BUILDER = [
  'FROM image-budget/busybox:latest AS builder',
  `RUN mkdir -p /usr/local/go/pkg/tool/linux_amd64 /usr/local/go/bin /root/.cache/go-build/3f /src/cmd/app /out && ${zeros('/usr/local/go/pkg/tool/linux_amd64/compile', 6144)} && ${zeros('/usr/local/go/bin/go', 1024)} && ${zeros('/root/.cache/go-build/3f/3f5e-d', 512)}`,
  'COPY main.go /src/cmd/app/main.go',
  'RUN echo app > /out/app',
  ''
];
const GO_FILES = { 'main.go': 'package main\n\nfunc main() {}\n' };
const goDockerfile = (from: string): string => [...GO_BUILDER, `FROM ${from} AS release`, 'COPY --from=builder /out/app /app', ''].join('\n');

const DEBRIS_RUN = `RUN mkdir -p /var/lib/apt/lists /var/cache/apt/archives /root/.cache/pip/http && ${zeros('/var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages', 800)} && ${zeros('/var/cache/apt/archives/curl_7.88.1-10_amd64.deb', 300)} && ${zeros('/root/.cache/pip/http/wheel-0', 200)}`;
const DEBRIS: FileTree = {
  'src/run.sh': 'echo run\n',
  Dockerfile: [
    'FROM image-budget/busybox:latest AS app',
    DEBRIS_RUN,
    'COPY src /src',
    `RUN ${zeros('/tmp/build.tar', 400)}`,
    'RUN rm /tmp/build.tar',
    ''
  ].join('\n')
};
const PLAIN: FileTree = { 'src/run.sh': 'echo run\n', Dockerfile: 'FROM image-budget/busybox:latest AS app\nRUN echo hi > /hello\n' };

/** The comment's causes section, from its heading to the next block that is not a cause. */
function causes(body: string): string {
  const start = body.indexOf('**Why it grew**');
  if (start < 0) return '';
  const end = body.indexOf('\n\n<details>', start);
  return body.slice(start, end < 0 ? undefined : end);
}

describe('the Go example: a release stage on top of its builder', () => {
  test('names the toolchain, the build cache, the sources and the new base, with the multi-stage fix, and annotates the line that grew', async () => {
    const f = await h.pr({ ...GO_FILES, Dockerfile: goDockerfile('scratch') }, { ...GO_FILES, Dockerfile: goDockerfile('builder') }, 121);
    const run = await h.runOnPr(f, { targets: 'release', 'max-increase': '10%' });
    expect(run.code).toBe(1);
    const [comment] = h.github.commentsOn(121);
    const section = causes(comment!.body);
    expect(section).toContain('**Why it grew** · `release`');
    expect(section).toMatch(/- \*\*Go toolchain\*\* · \+7\.34 MB, 2 files. Fix: build in a separate stage and `COPY --from` only the artifact into `scratch`, distroless or a slim runtime image\.\n {2}- `\/usr\/local\/go\/` \+7\.34 MB, 2 files · layer 2: `RUN \/bin\/sh -c mkdir -p \/usr\/local\/go/);
    expect(section).toMatch(/- \*\*Go build cache\*\* · \+524 kB, 1 file\. Fix: .*`RUN --mount=type=cache,target=\/root\/\.cache\/go-build`/);
    expect(section).toContain('- `/root/.cache/go-build/` +524 kB, 1 file · layer 2:');
    expect(section).toMatch(/- \*\*Source code\*\* · \+\d+ B, 1 file\. Fix: .*\n {2}- `\/src\/cmd\/app\/` \+\d+ B, 1 file · layer 3: `COPY main\.go \/src\/cmd\/app\/main\.go`/);
    expect(section).toMatch(/- \*\*The final stage's base image changed\*\* · \+\d\.\d+ MB\. Fix: check the final stage's `FROM`.*\n {2}- 4 inherited layers: /);
    // The builder's RUN grew the image most: Dockerfile line 2, though the target is another stage.
    expect(run.stdout).toMatch(/^::error title=image-budget%3A release \(linux\/amd64\),file=Dockerfile,line=2::/m);
  });
});

describe('package caches, a .git folder and wasted space', () => {
  test('each is named with its fix; advice: false leaves them out', async () => {
    const f = await h.pr(PLAIN, DEBRIS, 122);
    // A checkout debris that git never commits: written into the workspace, copied by `COPY src /src`.
    await mkdir(path.join(f.checkout, 'src', '.git', 'objects', 'pack'), { recursive: true });
    await writeFile(path.join(f.checkout, 'src', '.git', 'objects', 'pack', 'pack-1.pack'), Buffer.alloc(150_000, 7));
    const run = await h.runOnPr(f, { targets: 'app' });
    expect(run.code).toBe(0);
    const section = causes(h.github.commentsOn(122)[0]!.body);
    expect(section.split('\n').filter((l) => l.startsWith('- **'))).toEqual([
      "- **apt package lists** · +819 kB, 1 file. Fix: `rm -rf /var/lib/apt/lists/*` in the same `RUN` as `apt-get install`, or use `RUN --mount=type=cache`.",
      '- **Deleted or overwritten in a later layer (wasted space)** · +410 kB, 1 file. Fix: delete files in the same `RUN` that creates them, or build in a separate stage and `COPY --from` only the result.',
      '- **apt package archives (.deb)** · +307 kB, 1 file. Fix: `apt-get clean` in the same `RUN` as `apt-get install`, or use `RUN --mount=type=cache`.',
      '- **pip cache** · +205 kB, 1 file. Fix: `pip install --no-cache-dir`, or use `RUN --mount=type=cache`.',
      '- **.git folder** · +150 kB, 1 file. Fix: list it in `.dockerignore` (`.git`).'
    ]);
    expect(section).toContain('  - `/tmp/` +410 kB, 1 file');
    expect(section).toContain('  - `/src/.git/` +150 kB, 1 file · layer 3: `COPY src /src`');
    expect(section).toMatch(/ {2}- `\/var\/lib\/apt\/lists\/` \+819 kB, 1 file · layer 2: `RUN \/bin\/sh -c mkdir -p \/var\/lib\/apt\/lists/);
    // The summary says it too.
    expect(run.summary).toContain('**apt package lists**');

    const off = await h.runOnPr(f, { targets: 'app', advice: 'false' });
    expect(off.code).toBe(0);
    expect(h.github.commentsOn(122)[0]!.body).not.toContain('Why it grew');
    expect(off.summary).not.toContain('Why it grew');
  });

  test('node_modules that a COPY . . brought from the context is named, with .dockerignore; one installed in the image is not', async () => {
    // The "install" stands in for npm ci: a RUN that writes node_modules in the image.
    const base: FileTree = { 'package.json': '{}\n', Dockerfile: 'FROM image-budget/busybox:latest AS app\nWORKDIR /app\nCOPY package.json .\n' };
    const head: FileTree = {
      ...base,
      'node_modules/left-pad/index.js': 'x'.repeat(90_000),
      'node_modules/left-pad/node_modules/dep/index.js': 'y'.repeat(30_000),
      Dockerfile: `FROM image-budget/busybox:latest AS app\nWORKDIR /app\nCOPY . .\nRUN mkdir -p /srv/node_modules/lib && ${zeros('/srv/node_modules/lib/index.js', 200)}\n`
    };
    const f = await h.pr(base, head, 125);
    const run = await h.runOnPr(f, { targets: 'app' });
    expect(run.code).toBe(0);
    const section = causes(h.github.commentsOn(125)[0]!.body);
    expect(section).toContain(
      '- **node_modules of the build context** · +120 kB, 2 files. Fix: list it in `.dockerignore` (`node_modules`) and install the dependencies in the image (`npm ci --omit=dev`), built for its platform.\n' +
        '  - `/app/node_modules/` +120 kB, 2 files · layer 3: `COPY . .`'
    );
    expect(section).not.toContain('/srv/node_modules/');
  });

  test('a target whose base had the same debris gets no advice, though it grew', async () => {
    const grown: FileTree = { ...DEBRIS, Dockerfile: `${DEBRIS.Dockerfile as string}RUN seq 1 20000 > /data.txt\n` };
    const f = await h.pr(DEBRIS, grown, 123);
    const run = await h.runOnPr(f, { targets: 'app' });
    expect(run.code).toBe(0);
    const body = h.github.commentsOn(123)[0]!.body;
    expect(body).toMatch(/\| changed \| `app` \| linux\/amd64 \| /);
    expect(body).not.toContain('Why it grew');
    expect(body).not.toContain('apt package lists');
  });

  test('an unchanged target with old debris gets none', async () => {
    const f = await h.pr(DEBRIS, { ...DEBRIS, 'README.md': 'docs only\n' }, 124);
    const run = await h.runOnPr(f, { targets: 'app' });
    expect(run.code).toBe(0);
    const body = h.github.commentsOn(124)[0]!.body;
    expect(body).toMatch(/\| unchanged \| `app` \| linux\/amd64 \| /);
    expect(body).not.toContain('Why it grew');
    expect(body).not.toContain('What it holds');
  });
});
