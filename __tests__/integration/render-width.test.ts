// The comment at GitHub's width: rendered by cmark-gfm, styled by GitHub's stylesheet and laid out
// by headless Chromium in a column 850 px wide (wider than the comment column GitHub gives on most
// screens), no table scrolls sideways for ordinary content: target names up to 20 characters, one
// platform, and paths as real images have them (Go's toolchain and build cache, hashed names). The
// verdict is the first column, so it is the last thing a narrow screen hides.
import { describe, expect, it } from '@jest/globals';
import type { Budgets, FileStats, ImageStats, LayerStats, Outcome, SideResult } from '../../src/model.js';
import { compare, type CompareInput } from '../../src/report/compare.js';
import { buildOutcome, judge } from '../../src/report/policy.js';
import { renderComment, renderSummary } from '../../src/report/render.js';
import { tableWidths } from '../support/browser-width.js';

const MARKER = '<!-- image-budget:image-budget -->';
const digest = (n: number): string => `sha256:${n.toString(16).padStart(64, '0')}`;
const MB = 1_000_000;

function layer(n: number, compressed: number, uncompressed: number, instruction: string): LayerStats {
  return { digest: digest(n), mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', compressedBytes: compressed, uncompressedBytes: uncompressed, instruction };
}

function image(target: string, layers: LayerStats[], files?: FileStats): ImageStats {
  const sum = (key: 'compressedBytes' | 'uncompressedBytes'): number => layers.reduce((s, l) => s + l[key], 0);
  return {
    target,
    platform: 'linux/amd64',
    digest: digest(layers.length * 7919 + sum('compressedBytes')),
    configDigest: digest(layers.length * 104729 + sum('uncompressedBytes')),
    compressedBytes: sum('compressedBytes'),
    uncompressedBytes: sum('uncompressedBytes'),
    layerCount: layers.length,
    layers,
    method: 'oci-layout',
    ...(files ? { files } : {})
  };
}

function files(final: Array<[string, number, number]>, wasted: Array<[string, number]> = []): FileStats {
  return {
    final: new Map(final.map(([p, b]) => [p, b])),
    layerOf: new Map(final.map(([p, , l]) => [p, l])),
    wastedBytes: wasted.reduce((s, [, b]) => s + b, 0),
    wasted: wasted.map(([p, b]) => ({ path: p, bytes: b }))
  };
}

// The seeds' Go example as a real image has it: the release stage switched from `FROM scratch` to
// `FROM builder`, so the Go toolchain, its build cache and the sources ship.
const GO_RUN = 'RUN /bin/sh -c apt-get update && apt-get install -y --no-install-recommends ca-certificates git gcc libc6-dev && curl -fsSL https://go.dev/dl/go1.22.5.linux-amd64.tar.gz | tar -C /usr/local -xz';
const APP = layer(9, 2_096_000, 5_120_000, 'COPY /out/app /app # buildkit');
const baseRelease = image('release-with-debug-1', [APP], files([['app', 5_120_000, 0]]));
const headRelease = image(
  'release-with-debug-1',
  [
    layer(1, 29_150_000, 74_800_000, 'ADD file:8b1e79f91081eb527451bcd4a8b1f1ad9a5c1e5f0e0fb6bd2bd1f8aa0a5d8a0f in /'),
    layer(2, 158_400_000, 548_300_000, GO_RUN),
    layer(3, 4_120, 16_384, 'WORKDIR /src'),
    layer(4, 1_250_000, 4_900_000, 'COPY . . # buildkit'),
    layer(5, 3_900_000, 11_200_000, 'RUN /bin/sh -c CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/app ./cmd/server'),
    APP
  ],
  files(
    [
      ['usr/local/go/pkg/tool/linux_amd64/compile', 27_482_112, 1],
      ['usr/local/go/pkg/tool/linux_amd64/link', 8_388_608, 1],
      ['usr/local/go/bin/go', 15_728_640, 1],
      ['usr/lib/gcc/x86_64-linux-gnu/12/cc1', 33_554_432, 1],
      ['usr/local/go/src/cmd/vendor/golang.org/x/tools/go/analysis/passes/internal/analysisutil/util.go', 4_096, 1],
      ['root/.cache/go-build/3f/3f5e2a7c1b9d8e6f4a2c0b1d3e5f7a9c8b6d4e2f0a1c3b5d7e9f8a6c4b2d0e1f-d', 2_097_152, 4],
      ['var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4', 9_437_184, 1],
      ['var/cache/apt/archives/libc6-dev_2.36-9+deb12u7_amd64.deb', 2_031_616, 1],
      ['src/internal/handlers/testdata/fixtures/large-response-with-nested-objects.json', 1_048_576, 3],
      ['app', 5_120_000, 5]
    ],
    [
      ['tmp/go1.22.5.linux-amd64.tar.gz', 68_988_925],
      ['usr/local/go/pkg/linux_amd64_race/runtime/internal/atomic.a', 1_048_576]
    ]
  )
);
const debug = image('debug', [layer(20, 1_270_000, 2_590_000, 'COPY /out/app /app # buildkit')]);

const m = (i: ImageStats): SideResult => ({ state: 'measured', image: i });
const budgets: Budgets = {
  maxIncrease: { fallback: { kind: 'percent', percent: 10, text: '10%' }, byTarget: new Map() },
  maxSize: { byTarget: new Map() },
  maxLayers: { byTarget: new Map() }
};

function goExample(): Outcome {
  const rows: CompareInput[] = [
    { target: 'release-with-debug-1', platform: 'linux/amd64', head: m(headRelease), base: m(baseRelease) },
    { target: 'debug', platform: 'linux/amd64', head: m(debug), base: m(debug) },
    { target: 'migrations-runner', platform: 'linux/amd64', head: m(image('migrations-runner', [layer(30, 980_000, 2_100_000, 'COPY migrations /migrations')])), base: { state: 'absent' } }
  ];
  return buildOutcome({
    metric: 'compressed',
    rows: judge(compare(rows), budgets, 'compressed'),
    head: { sha: '1111111111222222222233333333334444444444', ref: 'feature/switch-release-to-builder' },
    base: { sha: 'aaaaaaaaaabbbbbbbbbbccccccccccdddddddddd', ref: 'main' },
    notes: []
  });
}

const options = { details: ['layers', 'files'] as const, advice: true };

describe('every table of the comment fits an 850 px column', () => {
  const comment = renderComment(goExample(), { ...options, marker: MARKER });
  const summary = renderSummary(goExample(), options);

  it.each([
    ['comment', comment],
    ['summary', summary]
  ])('the %s: each table as wide as its content, none scrolled', (_name, markdown) => {
    const widths = tableWidths(markdown, 850);
    // The main table, the layers and the files sections, the wasted files: all rendered and measured.
    expect(widths.length).toBeGreaterThanOrEqual(4);
    expect(widths.filter((w) => w.contentPx > w.boxPx)).toEqual([]);
  });

  it('the verdict is the first column of the main table', () => {
    expect(comment).toMatch(/\n\| Status \| Target \|/);
    expect(comment).toContain('| ❌ over budget | `release-with-debug-1` |');
  });

  it('growth past 1,000% reads as a factor', () => {
    expect(comment).toContain('(×');
    expect(comment).not.toMatch(/\d{4,}\.\d%/);
  });
});

describe('the measure is real: a table that cannot fit is found', () => {
  it('a table of unbreakable cells wider than the column is reported', () => {
    const wide = `| a | b |\n|:--|:--|\n| \`${'x'.repeat(120)}\` | \`${'y'.repeat(40)}\` |\n`;
    const [w] = tableWidths(wide, 850);
    expect(w!.contentPx).toBeGreaterThan(w!.boxPx);
    expect(w!.boxPx).toBe(850);
  });
});
