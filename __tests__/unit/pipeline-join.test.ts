// Lining up head and base results per target and platform (RELIABILITY rows 6, 7, 15, 16).
import { describe, expect, test } from '@jest/globals';
import type { ImageStats, SideResult } from '../../src/model.js';
import { ANY_PLATFORM, type TargetResults } from '../../src/model.js';
import { joinSides, type Row } from '../../src/pipeline/join.js';

const AMD = 'linux/amd64';
const ARM = 'linux/arm64';
const S390 = 'linux/s390x';

function measured(target: string, platform: string, compressedBytes: number): SideResult {
  const image: ImageStats = {
    target,
    platform,
    digest: `sha256:${'a'.repeat(63)}${compressedBytes % 10}`,
    configDigest: `sha256:${'c'.repeat(64)}`,
    compressedBytes,
    uncompressedBytes: compressedBytes * 2,
    layerCount: 1,
    layers: [],
    method: 'oci-layout'
  };
  return { state: 'measured', image };
}

const failed = (error: string): SideResult => ({ state: 'failed', error });
const unavailable = (reason: string): SideResult => ({ state: 'unavailable', reason });
const ABSENT: SideResult = { state: 'absent' };
const NOT_BUILT: SideResult = { state: 'unavailable', reason: 'not built' };

function side(target: string, ...results: Array<[string, SideResult]>): TargetResults {
  return { target, results: results.map(([platform, result]) => ({ platform, result })) };
}

const row = (target: string, platform: string, head: SideResult, base: SideResult): Row => ({ target, platform, head, base });

const hA = measured('app', AMD, 100);
const hR = measured('app', ARM, 110);
const bA = measured('app', AMD, 90);
const bR = measured('app', ARM, 95);
const bS = measured('app', S390, 80);
const boom = failed('ERROR: failed to solve: process "/bin/sh -c false" did not complete successfully');

describe('joinSides', () => {
  test('ANY_PLATFORM is the wildcard', () => {
    expect(ANY_PLATFORM).toBe('*');
  });

  test.each<[string, TargetResults[], TargetResults[], Row[]]>([
    ['nothing on either side', [], [], []],
    ['one platform each side', [side('app', [AMD, hA])], [side('app', [AMD, bA])], [row('app', AMD, hA, bA)]],
    [
      'multi-platform both sides, in the head platform order',
      [side('app', [ARM, hR], [AMD, hA])],
      [side('app', [AMD, bA], [ARM, bR])],
      [row('app', ARM, hR, bR), row('app', AMD, hA, bA)]
    ],
    [
      'a platform only on one side is absent on the other; head platforms first',
      [side('app', [AMD, hA], [ARM, hR])],
      [side('app', [AMD, bA], [S390, bS])],
      [row('app', AMD, hA, bA), row('app', ARM, hR, ABSENT), row('app', S390, ABSENT, bS)]
    ],
    [
      "a failed head ('*') pairs with every platform of a measured base",
      [side('app', [ANY_PLATFORM, boom])],
      [side('app', [AMD, bA], [ARM, bR])],
      [row('app', AMD, boom, bA), row('app', ARM, boom, bR)]
    ],
    [
      "an unavailable base ('*') pairs with every head platform",
      [side('app', [AMD, hA], [ARM, hR])],
      [side('app', [ANY_PLATFORM, unavailable('base commit unreachable')])],
      [row('app', AMD, hA, unavailable('base commit unreachable')), row('app', ARM, hR, unavailable('base commit unreachable'))]
    ],
    [
      "'*' on both sides: one row, platform shown as ''",
      [side('app', [ANY_PLATFORM, boom])],
      [side('app', [ANY_PLATFORM, ABSENT])],
      [row('app', '', boom, ABSENT)]
    ],
    [
      'a head target missing from the base results: base unavailable (not built)',
      [side('app', [AMD, hA])],
      [],
      [row('app', AMD, hA, NOT_BUILT)]
    ],
    [
      "a failed head target missing from the base results: one '' row",
      [side('app', [ANY_PLATFORM, boom])],
      [],
      [row('app', '', boom, NOT_BUILT)]
    ],
    [
      'a base-only (removed) target comes after the head rows, head absent',
      [side('app', [AMD, hA])],
      [side('legacy', [AMD, measured('legacy', AMD, 50)]), side('app', [AMD, bA])],
      [row('app', AMD, hA, bA), row('legacy', AMD, ABSENT, measured('legacy', AMD, 50))]
    ],
    [
      "a base-only target with a '*' result shows platform ''",
      [side('app', [AMD, hA])],
      [side('app', [AMD, bA]), side('legacy', [ANY_PLATFORM, failed('base broke')])],
      [row('app', AMD, hA, bA), row('legacy', '', ABSENT, failed('base broke'))]
    ],
    [
      'order kept: head targets in head order, then base-only targets in base order',
      [side('web', [AMD, measured('web', AMD, 1)]), side('api', [AMD, measured('api', AMD, 2)])],
      [
        side('old2', [AMD, measured('old2', AMD, 3)]),
        side('api', [AMD, measured('api', AMD, 4)]),
        side('old1', [AMD, measured('old1', AMD, 5)]),
        side('web', [AMD, measured('web', AMD, 6)])
      ],
      [
        row('web', AMD, measured('web', AMD, 1), measured('web', AMD, 6)),
        row('api', AMD, measured('api', AMD, 2), measured('api', AMD, 4)),
        row('old2', AMD, ABSENT, measured('old2', AMD, 3)),
        row('old1', AMD, ABSENT, measured('old1', AMD, 5))
      ]
    ],
    [
      'a new target (base says absent for every platform)',
      [side('fresh', [AMD, measured('fresh', AMD, 7)], [ARM, measured('fresh', ARM, 8)])],
      [side('fresh', [ANY_PLATFORM, ABSENT])],
      [row('fresh', AMD, measured('fresh', AMD, 7), ABSENT), row('fresh', ARM, measured('fresh', ARM, 8), ABSENT)]
    ]
  ])('%s', (_name, head, base, rows) => {
    expect(joinSides(head, base)).toEqual(rows);
  });

  test("no row ever shows the '*' platform", () => {
    const rows = joinSides(
      [side('a', [ANY_PLATFORM, boom]), side('b', [AMD, hA])],
      [side('b', [ANY_PLATFORM, ABSENT]), side('c', [ANY_PLATFORM, unavailable('x')])]
    );
    expect(rows.map((r) => r.platform)).toEqual(['', AMD, '']);
  });
});
