import { describe, expect, it } from '@jest/globals';
import type { ImageStats, LayerStats, RowStatus, SideResult } from '../../src/model.js';
import { compare, compareRow, delta, diffLayers } from '../../src/report/compare.js';

const digest = (n: number): string => `sha256:${n.toString(16).padStart(64, '0')}`;

function layer(n: number, compressed = n * 1000, uncompressed = n * 3000): LayerStats {
  return {
    digest: digest(n),
    mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
    compressedBytes: compressed,
    uncompressedBytes: uncompressed,
    instruction: `RUN step ${n}`
  };
}

function image(layers: readonly LayerStats[], over: Partial<ImageStats> = {}): ImageStats {
  return {
    target: 'release',
    platform: 'linux/amd64',
    digest: digest(9000 + layers.length),
    configDigest: digest(9500 + layers.length),
    compressedBytes: layers.reduce((n, l) => n + l.compressedBytes, 0),
    uncompressedBytes: layers.reduce((n, l) => n + l.uncompressedBytes, 0),
    layerCount: layers.length,
    layers,
    method: 'oci-layout',
    ...over
  };
}

const measured = (i: ImageStats): SideResult => ({ state: 'measured', image: i });
const failed: SideResult = { state: 'failed', error: 'ERROR: failed to solve' };
const absent: SideResult = { state: 'absent' };
const unavailable: SideResult = { state: 'unavailable', reason: 'no baseline found' };

const small = image([layer(1), layer(2)]);
const large = image([layer(1), layer(2), layer(3)]);
const sameNumbersOtherDigest = image([layer(1), layer(2)], { digest: digest(777) });

describe('compareRow status', () => {
  it.each<[string, SideResult, SideResult, RowStatus, boolean]>([
    ['both measured, grew', measured(large), measured(small), 'changed', true],
    ['both measured, shrank', measured(small), measured(large), 'changed', true],
    ['both measured, identical', measured(small), measured(small), 'unchanged', true],
    ['same numbers, different manifest digest', measured(sameNumbersOtherDigest), measured(small), 'unchanged', true],
    ['row 6: target exists on head only', measured(small), absent, 'new', false],
    ['row 7: target removed on head', absent, measured(small), 'removed', false],
    ['head absent, base failed too', absent, failed, 'removed', false],
    ['row 16: base build failed', measured(small), failed, 'no-baseline', false],
    ['row 26: no stored baseline', measured(small), unavailable, 'no-baseline', false],
    ['row 15: head build failed, base measured', failed, measured(small), 'head-failed', false],
    ['head build failed, no base', failed, unavailable, 'head-failed', false],
    ['head not measured at all', { state: 'unavailable', reason: 'skipped' }, measured(small), 'head-failed', false],
    ['row 20: measured by different methods: no delta', measured(small), measured(image([layer(1), layer(2)], { method: 'docker-save' })), 'no-baseline', false],
    ['only the compressed size differs', measured(image([layer(1)], { compressedBytes: 1 })), measured(image([layer(1)])), 'changed', true],
    ['only the uncompressed size differs', measured(image([layer(1)], { uncompressedBytes: 1 })), measured(image([layer(1)])), 'changed', true],
    ['only the layer count differs', measured(image([layer(1)], { layerCount: 2 })), measured(image([layer(1)])), 'changed', true]
  ])('%s', (_name, head, base, status, hasDelta) => {
    const c = compareRow({ target: 'release', platform: 'linux/amd64', head, base });
    expect(c.status).toBe(status);
    expect(c.delta !== undefined).toBe(hasDelta);
    expect(c.head).toBe(head);
    expect(c.base).toBe(base);
  });

  it('names the image only when the row has one', () => {
    expect(compareRow({ image: 'api', target: 't', platform: 'p', head: measured(small), base: absent }).image).toBe('api');
    expect('image' in compareRow({ target: 't', platform: 'p', head: measured(small), base: absent })).toBe(false);
  });

  it('keeps order and identity of rows', () => {
    const rows = compare([
      { target: 'b', platform: 'linux/arm64', head: measured(small), base: absent },
      { target: 'a', platform: 'linux/amd64', head: failed, base: absent }
    ]);
    expect(rows.map((r) => [r.target, r.platform, r.status])).toEqual([
      ['b', 'linux/arm64', 'new'],
      ['a', 'linux/amd64', 'head-failed']
    ]);
  });
});

describe('delta', () => {
  it.each<[string, ImageStats, ImageStats, ReturnType<typeof delta>]>([
    [
      'growth',
      image([layer(1, 1100, 3300)]),
      image([layer(1, 1000, 3000)]),
      { compressedBytes: 100, uncompressedBytes: 300, layerCount: 0, compressedPercent: 10, uncompressedPercent: 10 }
    ],
    [
      'shrink and fewer layers',
      image([layer(1, 500, 1500)]),
      image([layer(1, 500, 1500), layer(2, 500, 1500)]),
      { compressedBytes: -500, uncompressedBytes: -1500, layerCount: -1, compressedPercent: -50, uncompressedPercent: -50 }
    ],
    [
      'base of 0 bytes: percent is null, not Infinity',
      image([layer(1, 10, 20)]),
      image([]),
      { compressedBytes: 10, uncompressedBytes: 20, layerCount: 1, compressedPercent: null, uncompressedPercent: null }
    ],
    [
      'both empty',
      image([]),
      image([]),
      { compressedBytes: 0, uncompressedBytes: 0, layerCount: 0, compressedPercent: null, uncompressedPercent: null }
    ]
  ])('%s', (_name, head, base, expected) => {
    expect(delta(head, base)).toEqual(expected);
  });

  it('is what compareRow attaches', () => {
    const c = compareRow({ target: 't', platform: 'p', head: measured(large), base: measured(small) });
    expect(c.delta).toEqual(delta(large, small));
  });
});

describe('diffLayers', () => {
  const kinds = (base: LayerStats[], head: LayerStats[]): string[] =>
    diffLayers(base, head).map((c) => {
      switch (c.kind) {
        case 'same':
          return `=${c.headIndex}`;
        case 'changed':
          return `~${c.baseIndex}>${c.headIndex}`;
        case 'added':
          return `+${c.headIndex}`;
        case 'removed':
          return `-${c.baseIndex}`;
      }
    });
  const L = (...ns: number[]): LayerStats[] => ns.map((n) => layer(n));

  it.each<[string, LayerStats[], LayerStats[], string[]]>([
    ['identical', L(1, 2, 3), L(1, 2, 3), ['=0', '=1', '=2']],
    ['last layer changed', L(1, 2, 3), L(1, 2, 4), ['=0', '=1', '~2>2']],
    ['layer appended', L(1, 2), L(1, 2, 3), ['=0', '=1', '+2']],
    ['layer removed at the end', L(1, 2, 3), L(1, 2), ['=0', '=1', '-2']],
    ['layer inserted early: later layers still match by digest', L(1, 2, 3), L(1, 9, 2, 3), ['=0', '+1', '=2', '=3']],
    ['layer removed early', L(1, 2, 3), L(1, 3), ['=0', '-1', '=1']],
    ['middle layer changed, same digest after it', L(1, 2, 3), L(1, 5, 3), ['=0', '~1>1', '=2']],
    ['two changed, one extra', L(1, 2, 3), L(1, 5, 6, 7), ['=0', '~1>1', '~2>2', '+3']],
    ['everything new', L(1, 2), L(3, 4, 5), ['~0>0', '~1>1', '+2']],
    ['from nothing', [], L(1), ['+0']],
    ['to nothing', L(1), [], ['-0']],
    ['both empty', [], [], []],
    ['first layer dropped and one appended: the kept layers still match', L(1, 2, 3), L(2, 3, 4), ['-0', '=0', '=1', '+2']],
    ['only the last layer kept', L(1, 2, 3), L(3), ['-0', '-1', '=0']],
    ['a layer put first and the last one dropped: the kept layer still matches', L(1, 2), L(3, 1), ['+0', '=1', '-1']]
  ])('%s', (_name, base, head, expected) => {
    expect(kinds(base, head)).toEqual(expected);
  });

  it('pairs changed layers with both sides', () => {
    const [, changed] = diffLayers([layer(1), layer(2)], [layer(1), layer(3)]);
    expect(changed).toEqual({ kind: 'changed', base: layer(2), head: layer(3), baseIndex: 1, headIndex: 1 });
  });
});
