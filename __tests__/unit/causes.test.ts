import { describe, expect, it } from '@jest/globals';
import type { FileStats, ImageStats, JudgedRow, LayerStats, Outcome } from '../../src/model.js';
import { CAUSE_RULES, findCauses, firstMatch, rowAdvice } from '../../src/report/causes.js';
import { groupDigits } from '../../src/report/format.js';
import { renderComment } from '../../src/report/render.js';
import { renderOutcome } from '../../src/report/terminal.js';

const digest = (n: number): string => `sha256:${n.toString(16).padStart(64, '0')}`;
const layer = (n: number, bytes: number, instruction: string): LayerStats => ({
  digest: digest(n),
  mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
  compressedBytes: Math.round(bytes / 3),
  uncompressedBytes: bytes,
  instruction
});

/** An image whose files are `[path, bytes, layer]`. */
function image(layers: readonly LayerStats[], files: ReadonlyArray<readonly [string, number, number]>, extra: Partial<FileStats> = {}): ImageStats {
  const stats: FileStats = {
    final: new Map(files.map(([p, b]) => [p, b])),
    layerOf: new Map(files.map(([p, , l]) => [p, l])),
    wastedBytes: 0,
    wasted: [],
    ...extra
  };
  return {
    target: 'release',
    platform: 'linux/amd64',
    digest: digest(99),
    configDigest: digest(98),
    compressedBytes: layers.reduce((n, l) => n + l.compressedBytes, 0),
    uncompressedBytes: layers.reduce((n, l) => n + l.uncompressedBytes, 0),
    layerCount: layers.length,
    layers,
    method: 'oci-layout',
    files: stats
  };
}

describe('the rules table', () => {
  // Paths as real images lay them out: golang:1.21, debian's golang-1.19, gcc, rust, temurin, python.
  it.each<[string, string | undefined, string | undefined]>([
    ['usr/local/go/pkg/tool/linux_amd64/compile', 'go-toolchain', 'usr/local/go/'],
    ['usr/local/go/bin/go', 'go-toolchain', 'usr/local/go/'],
    ['usr/lib/go-1.19/pkg/tool/linux_amd64/compile', 'go-toolchain', 'usr/lib/go-1.19/'],
    ['usr/lib/gcc/x86_64-linux-gnu/12/cc1', 'gcc', 'usr/lib/gcc/'],
    ['usr/libexec/gcc/x86_64-alpine-linux-musl/13.2.1/cc1', 'gcc', 'usr/libexec/gcc/'],
    ['usr/local/rustup/toolchains/1.74.0-x86_64-unknown-linux-gnu/bin/rustc', 'rust-toolchain', 'usr/local/rustup/'],
    ['root/.rustup/toolchains/stable/lib/librustc_driver.so', 'rust-toolchain', 'root/.rustup/'],
    ['usr/lib/jvm/java-17-openjdk-amd64/bin/javac', 'jdk', 'usr/lib/jvm/java-17-openjdk-amd64/'],
    ['opt/java/openjdk/jmods/java.base.jmod', 'jdk', 'opt/java/openjdk/'],
    ['opt/java/openjdk/bin/java', undefined, undefined],
    ['usr/include/python3.11/Python.h', 'python-dev', 'usr/include/python3.11/'],
    ['usr/local/lib/python3.12/config-3.12-x86_64-linux-gnu/libpython3.12.a', 'python-dev', 'usr/local/lib/python3.12/config-3.12-x86_64-linux-gnu/'],
    ['var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4', 'apt-lists', 'var/lib/apt/lists/'],
    ['var/cache/apt/archives/curl_7.88.1-10_amd64.deb', 'apt-archives', 'var/cache/apt/'],
    ['var/cache/apt/pkgcache.bin', 'apt-archives', 'var/cache/apt/'],
    ['var/cache/apk/APKINDEX.3f8a.tar.gz', 'apk-cache', 'var/cache/apk/'],
    ['var/cache/dnf/fedora-filenames.solvx', 'dnf-cache', 'var/cache/dnf/'],
    ['var/cache/yum/x86_64/7/base/packages/a.rpm', 'dnf-cache', 'var/cache/yum/'],
    ['root/.cache/pip/http-v2/a/b/c', 'pip-cache', 'root/.cache/pip/'],
    ['home/app/.cache/pip/wheels/x.whl', 'pip-cache', 'home/app/.cache/pip/'],
    ['root/.npm/_cacache/content-v2/sha512/aa/bb', 'npm-cache', 'root/.npm/'],
    ['usr/local/share/.cache/yarn/v6/npm-react-18.2.0/package.json', 'yarn-cache', 'usr/local/share/.cache/yarn/'],
    ['root/.local/share/pnpm/store/v3/files/00/abc', 'pnpm-store', 'root/.local/share/pnpm/store/'],
    ['root/.m2/repository/org/slf4j/slf4j-api/2.0.9/slf4j-api-2.0.9.jar', 'maven', 'root/.m2/'],
    ['home/gradle/.gradle/caches/modules-2/files-2.1/x.jar', 'gradle', 'home/gradle/.gradle/'],
    ['root/.composer/cache/files/x.zip', 'composer', 'root/.composer/cache/'],
    ['usr/local/bundle/cache/rails-7.1.2.gem', 'gem-cache', 'usr/local/bundle/cache/'],
    ['root/.cache/go-build/3f/3f5e-d', 'go-build-cache', 'root/.cache/go-build/'],
    ['go/pkg/mod/github.com/spf13/cobra@v1.8.0/command.go', 'go-mod-cache', 'go/pkg/mod/'],
    ['usr/local/cargo/registry/cache/index.crates.io-6f17d22bba15001f/serde-1.0.193.crate', 'cargo-cache', 'usr/local/cargo/registry/'],
    ['app/target/release/deps/libserde-1a2b.rlib', 'rust-target', 'app/target/'],
    ['root/.cache/ccache/0/1/abc.o', 'ccache', 'root/.cache/ccache/'],
    ['app/node_modules/.cache/babel-loader/x.json', 'node-modules-cache', 'app/node_modules/.cache/'],
    ['src/.git/objects/pack/pack-1.pack', 'git', 'src/.git/'],
    ['app/internal/server/server_test.go', 'tests', 'app/internal/server/'],
    ['app/src/button.test.tsx', 'tests', 'app/src/'],
    ['app/node_modules/zod/lib/index.test.js', undefined, undefined],
    ['src/cmd/app/main.go', 'sources', 'src/cmd/app/'],
    ['src/go.sum', 'sources', 'src/'],
    ['usr/local/bin/app', undefined, undefined],
    ['app/node_modules/react/index.js', undefined, undefined],
    ['usr/lib/x86_64-linux-gnu/libc.so.6', undefined, undefined]
  ])('%s → %s', (path, id, dir) => {
    const m = firstMatch(path);
    expect(m?.rule.id).toBe(id);
    expect(m?.dir).toBe(dir);
  });

  it.each<[string, string | undefined, string | undefined]>([
    // node_modules copied with the whole context (the history as BuildKit writes it), rolled up at the outermost one.
    ['app/node_modules/react/node_modules/x/index.js', 'COPY . . # buildkit', 'context-node-modules'],
    ['node_modules/react/index.js', 'COPY ./ /app/ # buildkit', 'context-node-modules'],
    ['node_modules/react/index.js', 'ADD --chown=1000 . /srv # buildkit', 'context-node-modules'],
    // installed in the image, or copied on purpose, or the layer not known: not debris.
    ['app/node_modules/react/index.js', 'RUN /bin/sh -c npm ci --omit=dev # buildkit', undefined],
    ['x/node_modules/react/index.js', 'COPY ./node_modules /x/ # buildkit', undefined],
    ['app/node_modules/react/index.js', undefined, undefined],
    // its build cache is its own cause, whatever the layer
    ['app/node_modules/.cache/babel/x.json', 'COPY . . # buildkit', 'node-modules-cache']
  ])('%s written by %s → %s', (path, instruction, id) => {
    const m = firstMatch(path, instruction);
    expect(m?.rule.id).toBe(id);
    if (id === 'context-node-modules') expect(m?.dir).toBe(path.slice(0, path.indexOf('node_modules/') + 'node_modules/'.length));
  });

  it('has one entry per id, each with a cause and a fix', () => {
    expect(new Set(CAUSE_RULES.map((r) => r.id)).size).toBe(CAUSE_RULES.length);
    for (const r of CAUSE_RULES) expect(r.cause.length > 0 && r.fix.endsWith('.')).toBe(true);
  });
});

// The seeds' Go example: the release stage switched from `FROM scratch` to `FROM builder`.
const COPY_APP = layer(10, 8_000_000, 'COPY /out/app /app');
const baseRelease = image([COPY_APP], [['app', 8_000_000, 0]]);
const builderLayers = [
  layer(1, 80_000_000, 'ADD file:4b03 in /'),
  layer(2, 420_000_000, 'RUN /bin/sh -c apt-get update && apt-get install -y golang-1.19'),
  layer(3, 2_000_000, 'COPY . /src'),
  layer(4, 60_000_000, 'RUN /bin/sh -c cd /src && go build -o /out/app ./cmd/app')
];
const goFiles: Array<readonly [string, number, number]> = [
  ['usr/lib/x86_64-linux-gnu/libc.so.6', 80_000_000, 0],
  ...Array.from({ length: 4812 }, (_, i) => [`usr/lib/go-1.19/pkg/file${i}`, 80_000, 1] as const),
  ['var/lib/apt/lists/deb.debian.org_Packages', 25_000_000, 1],
  ['src/.git/objects/pack/pack-1.pack', 1_500_000, 2],
  ['src/cmd/app/main.go', 4_000, 2],
  ['src/cmd/app/main_test.go', 3_000, 2],
  ['root/.cache/go-build/3f/3f5e-d', 52_000_000, 3],
  ['out/app', 8_000_000, 3],
  ['app', 8_000_000, 4]
];
const headRelease = image([...builderLayers, COPY_APP], goFiles);

describe('findCauses', () => {
  it('names the Go toolchain by directory, with the layer that added it, and the inherited base', () => {
    const advice = findCauses(headRelease, baseRelease)!;
    expect(advice.causes.map((c) => [c.id, c.bytes, c.files])).toEqual([
      ['base-image', 562_000_000, 0],
      ['go-toolchain', 384_960_000, 4812],
      ['go-build-cache', 52_000_000, 1],
      ['apt-lists', 25_000_000, 1],
      ['git', 1_500_000, 1],
      ['sources', 4_000, 1],
      ['tests', 3_000, 1]
    ]);
    expect(advice.causes[1]!.groups).toEqual([
      { dir: 'usr/lib/go-1.19/', bytes: 384_960_000, files: 4812, layer: { index: 1, instruction: 'RUN /bin/sh -c apt-get update && apt-get install -y golang-1.19' } }
    ]);
    expect(advice.causes[0]!.baseLayers).toEqual({ count: 4, first: 'ADD file:4b03 in /', last: 'RUN /bin/sh -c cd /src && go build -o /out/app ./cmd/app' });
  });

  it('reports nothing that the base already had: an unchanged row, and a grown one only by its growth', () => {
    expect(findCauses(headRelease, headRelease)!.causes).toEqual([]);
    const grown = image(headRelease.layers, goFiles.map(([p, b, l]) => [p, p.startsWith('var/lib/apt') ? b + 1_000 : b, l] as const));
    expect(findCauses(grown, headRelease)!.causes.map((c) => [c.id, c.bytes])).toEqual([['apt-lists', 1_000]]);
    const row = { target: 'release', platform: 'linux/amd64', status: 'unchanged', head: { state: 'measured', image: headRelease }, base: { state: 'measured', image: headRelease }, verdicts: [], regressed: false } as JudgedRow;
    expect(rowAdvice(row)).toBeUndefined();
  });

  it('says when the layers are not known, and compares a cut base list only above its cut', () => {
    const { layerOf: _, ...noLayers } = headRelease.files!;
    const stored = { ...headRelease, files: noLayers };
    const base: ImageStats = { ...baseRelease, files: { ...baseRelease.files!, listing: { kind: 'cut', below: 10_000, files: 900, bytes: 9_000_000 } } };
    const advice = findCauses(stored, base)!;
    expect(advice.causes.every((c) => c.kind === 'base-image' || (c.layersUnknown === true && c.listedFrom === 10_000))).toBe(true);
    expect(advice.causes.find((c) => c.id === 'apt-lists')!.bytes).toBe(25_000_000 - 10_000 + 1);
    // Under the cut, a file may have been in the base already: not a cause.
    expect(advice.causes.find((c) => c.id === 'sources')).toBeUndefined();
    expect(findCauses(stored, { ...baseRelease, files: { final: new Map(), wastedBytes: 0, wasted: [], listing: { kind: 'none' } } })).toBeUndefined();
  });

  it('reports wasted space that grew, by directory, and not a changed first COPY into scratch as a new base', () => {
    const base = image([layer(1, 1000, 'COPY app /app')], [['app', 1000, 0]]);
    const head = image([layer(2, 9000, 'COPY app /app'), layer(3, 10, 'RUN /bin/sh -c rm /tmp/big')], [['app', 2000, 0]], {
      wastedBytes: 7000,
      wasted: [{ path: 'tmp/big', bytes: 7000 }]
    });
    expect(findCauses(head, base)!.causes).toEqual([
      expect.objectContaining({ id: 'wasted', bytes: 7000, files: 1, groups: [{ dir: 'tmp/', bytes: 7000, files: 1 }] })
    ]);
  });

  it('groups thousands', () => {
    expect([groupDigits(4812), groupDigits(999), groupDigits(1_234_567)]).toEqual(['4,812', '999', '1,234,567']);
  });
});

function outcome(head: ImageStats, base: ImageStats): Outcome {
  const row: JudgedRow = {
    target: 'release',
    platform: 'linux/amd64',
    status: 'changed',
    head: { state: 'measured', image: head },
    base: { state: 'measured', image: base },
    delta: { compressedBytes: head.compressedBytes - base.compressedBytes, uncompressedBytes: 1, layerCount: 0, compressedPercent: 1, uncompressedPercent: 1 },
    verdicts: [],
    regressed: false
  };
  return { metric: 'compressed', rows: [row], regressed: false, changed: true, head: { sha: '1'.repeat(40) }, base: { sha: 'a'.repeat(40) }, notes: [] };
}

describe('rendering', () => {
  const small = image(
    [layer(1, 1000, 'COPY app /app'), layer(2, 3_000_000, 'RUN /bin/sh -c apt-get update # `x` | <b>')],
    [
      ['app', 1000, 0],
      ['var/lib/apt/lists/a_Packages', 2_000_000, 1],
      ['var/lib/apt/lists/b_Packages', 500_000, 1],
      ['src/.git/HEAD', 41, 1]
    ]
  );
  const base = image([layer(1, 1000, 'COPY app /app')], [['app', 1000, 0]]);

  it('writes the causes section of the comment, escaped', () => {
    const body = renderComment(outcome(small, base), { marker: '<!-- m -->', details: [], advice: true });
    const start = body.indexOf('**Why it grew**');
    expect(body.slice(start, body.indexOf('\n\n<details>', start))).toBe(
      [
        '**Why it grew** · `release` · linux/amd64',
        '',
        '- **apt package lists** · +2.50 MB, 2 files. Fix: `rm -rf /var/lib/apt/lists/*` in the same `RUN` as `apt-get install`, or use `RUN --mount=type=cache`.',
        '  - `/var/lib/apt/lists/` +2.50 MB, 2 files · layer 2: ``RUN /bin/sh -c apt-get update # `x` | <b>``',
        '- **.git folder** · +41 B, 1 file. Fix: list it in `.dockerignore` (`.git`).',
        '  - `/src/.git/` +41 B, 1 file · layer 2: ``RUN /bin/sh -c apt-get update # `x` | <b>``'
      ].join('\n')
    );
    expect(renderComment(outcome(small, base), { marker: '<!-- m -->', details: [], advice: false })).not.toContain('Why it grew');
  });

  it('writes the causes in the terminal', () => {
    const text = renderOutcome(outcome(small, base), { colour: false, details: [], advice: true, width: 100 });
    const start = text.indexOf('Why release');
    expect(text.slice(start, text.indexOf('\n\nCompared', start))).toBe(
      [
        'Why release (linux/amd64) grew',
        '  apt package lists: +2.50 MB, 2 files',
        '    /var/lib/apt/lists/ +2.50 MB, 2 files, layer 2: RUN /bin/sh -c apt-get update # `x` | <b>',
        '    Fix: rm -rf /var/lib/apt/lists/* in the same RUN as apt-get install, or use RUN --mount=type=cache.',
        '  .git folder: +41 B, 1 file',
        '    /src/.git/ +41 B, 1 file, layer 2: RUN /bin/sh -c apt-get update # `x` | <b>',
        '    Fix: list it in .dockerignore (.git).'
      ].join('\n')
    );
  });

  it('keeps a comment with many causes within its limit, the causes last to go', () => {
    const many = image(
      [layer(1, 1000, 'COPY app /app'), layer(2, 3_000_000, `RUN ${'x'.repeat(400)}`)],
      CAUSE_RULES.flatMap((_, i) => Array.from({ length: 50 }, (_, j) => [`r${i}/.git/f${j}`, 1000 + j, 1] as const))
    );
    const full = renderComment(outcome(many, base), { marker: '<!-- m -->', details: ['files', 'layers'], advice: true });
    expect(full).toContain('**Why it grew**');
    const cut = renderComment(outcome(many, base), { marker: '<!-- m -->', details: ['files', 'layers'], advice: true, maxChars: full.length - 10 });
    expect(cut.length).toBeLessThanOrEqual(full.length - 10);
    expect(cut).toContain('**Why it grew**');
    expect(cut).toContain('more directories not shown');
  });
});
