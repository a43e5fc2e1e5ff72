import { describe, expect, it } from '@jest/globals';
import type { JudgedRow, LayerStats, Outcome, SideResult } from '../../src/model.js';
import { annotations, growthLine } from '../../src/report/annotations.js';

const digest = (n: number): string => `sha256:${n.toString(16).padStart(64, '0')}`;
const layer = (n: number, bytes: number, instruction: string): LayerStats => ({
  digest: digest(n),
  mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
  compressedBytes: bytes,
  uncompressedBytes: bytes,
  instruction
});
const side = (layers: LayerStats[]): SideResult => ({
  state: 'measured',
  image: { target: 'release', platform: 'linux/amd64', digest: digest(1), configDigest: digest(2), compressedBytes: 1, uncompressedBytes: 1, layerCount: layers.length, layers, method: 'oci-layout' }
});

const DOCKERFILE = [
  '# syntax=docker/dockerfile:1',
  'FROM image-budget/busybox:latest AS builder',
  'ARG TOKEN',
  'RUN mkdir -p /usr/local/go/bin \\',
  '    && dd if=/dev/zero of=/usr/local/go/bin/go bs=1k count=64',
  'COPY --chown=1:1 src /src',
  '',
  'FROM scratch AS release',
  'COPY --from=builder /src /app',
  'RUN --mount=type=cache,target=/root/.cache echo "$TOKEN" > /token',
  'RUN ["/bin/true"]'
].join('\n');

function row(head: LayerStats[], base: LayerStats[] | undefined, over = true, target = 'release'): JudgedRow {
  return {
    target,
    platform: 'linux/amd64',
    status: base ? 'changed' : 'new',
    head: side(head),
    base: base ? side(base) : { state: 'absent' },
    verdicts: over ? [{ rule: 'max-increase', ok: false, reason: '+1 MB exceeds max-increase 10%' }] : [],
    regressed: over
  };
}

const busybox = layer(1, 5000, 'ADD file:9a8b in /');
const copySrc = layer(2, 100, 'COPY src /src');
const copyApp = layer(3, 100, 'COPY /src /app');

describe('growthLine', () => {
  it.each<[string, LayerStats[], LayerStats[] | undefined, number]>([
    ['a RUN with continuation lines and a build argument', [busybox, layer(4, 70_000, 'RUN |1 TOKEN=*** /bin/sh -c mkdir -p /usr/local/go/bin     && dd if=/dev/zero of=/usr/local/go/bin/go bs=1k count=64'), copySrc], [busybox, copySrc], 4],
    ['a COPY whose flags history leaves out', [layer(5, 900, 'COPY src /src')], [], 6],
    ['the target stage first: COPY --from', [copyApp, layer(6, 10, 'RUN /bin/sh -c echo "$TOKEN" > /token')], [copyApp], 10],
    ['a RUN whose history was cut at 300 characters', [copyApp, layer(7, 10, 'RUN /bin/sh -c echo "$TO…')], [copyApp], 10],
    ['an exec-form RUN', [copyApp, layer(7, 10, 'RUN /bin/true')], [copyApp], 11],
    ['no base: the largest layer', [copyApp, layer(8, 1, 'RUN /bin/true')], undefined, 9],
    ['an instruction not in the Dockerfile: the FROM line', [copyApp, layer(9, 500, 'RUN /bin/sh -c make')], [copyApp], 8],
    ['nothing grew: the FROM line', [copyApp], [copyApp], 8]
  ])('%s', (_, head, base, line) => {
    expect(growthLine(row(head, base), DOCKERFILE)).toBe(line);
  });

  it('gives no line for a target the Dockerfile does not have, and the last stage for `default`', () => {
    expect(growthLine(row([copyApp], [], true, 'nope'), DOCKERFILE)).toBeUndefined();
    expect(growthLine(row([copyApp], [], true, 'default'), 'FROM a\nFROM b\nRUN x')).toBe(2);
  });

  it('does not guess between two identical instructions of other stages', () => {
    const text = 'FROM a AS one\nRUN make\nFROM a AS two\nRUN make\nFROM scratch AS release\nCOPY x /x';
    expect(growthLine(row([layer(1, 10, 'COPY x /x'), layer(2, 99, 'RUN /bin/sh -c make')], [layer(1, 10, 'COPY x /x')]), text)).toBe(5);
  });
});

describe('annotations', () => {
  const outcome = (rows: JudgedRow[]): Outcome => ({ metric: 'compressed', rows, regressed: true, changed: true, head: { sha: 'a'.repeat(40) }, notes: [] });
  const grown = row([busybox, layer(4, 70_000, 'RUN |1 TOKEN=*** /bin/sh -c mkdir -p /usr/local/go/bin && dd if=/dev/zero of=/usr/local/go/bin/go bs=1k count=64')], [busybox]);

  it('an error at the Dockerfile line of a row over budget, a warning without fail-on-regression', () => {
    const dockerfile = (): { path: string; text: string } => ({ path: 'app/Dockerfile', text: DOCKERFILE });
    expect(annotations(outcome([grown, row([copyApp], [copyApp], false)]), { failOnRegression: true, dockerfile })).toEqual([
      { level: 'error', title: 'image-budget: release (linux/amd64)', message: '+1 MB exceeds max-increase 10%', file: 'app/Dockerfile', line: 4 }
    ]);
    expect(annotations(outcome([grown]), { failOnRegression: false, dockerfile })[0]).toMatchObject({ level: 'warning', line: 4 });
  });

  it('no location without a Dockerfile, nor for a failed build (an error even without fail-on-regression)', () => {
    expect(annotations(outcome([grown]), { failOnRegression: true })).toEqual([
      { level: 'error', title: 'image-budget: release (linux/amd64)', message: '+1 MB exceeds max-increase 10%' }
    ]);
    const failed: JudgedRow = { ...grown, status: 'head-failed', head: { state: 'failed', error: 'boom' }, verdicts: [{ rule: 'build', ok: false, reason: 'the build failed' }] };
    expect(annotations(outcome([failed]), { failOnRegression: false, dockerfile: () => ({ path: 'Dockerfile', text: DOCKERFILE }) })).toEqual([
      { level: 'error', title: 'image-budget: release (linux/amd64)', message: 'the build failed' }
    ]);
  });
});
