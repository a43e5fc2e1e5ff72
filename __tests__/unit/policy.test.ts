import { describe, expect, it } from '@jest/globals';
import type { Budgets, Comparison, ImageStats, JudgedRow, Metric, PerTarget, SideResult, Threshold, Verdict } from '../../src/model.js';
import { compareRow } from '../../src/report/compare.js';
import { buildOutcome, failureMessage, forTarget, judge, judgeRow } from '../../src/report/policy.js';

const digest = (n: number): string => `sha256:${n.toString(16).padStart(64, '0')}`;

function img(compressed: number, uncompressed = compressed * 3, layers = 3): ImageStats {
  return {
    target: 'release',
    platform: 'linux/amd64',
    digest: digest(compressed),
    configDigest: digest(compressed + 1),
    compressedBytes: compressed,
    uncompressedBytes: uncompressed,
    layerCount: layers,
    layers: [],
    method: 'oci-layout'
  };
}

const measured = (i: ImageStats): SideResult => ({ state: 'measured', image: i });
const absent: SideResult = { state: 'absent' };

function row(head: SideResult, base: SideResult, target = 'release'): Comparison {
  return compareRow({ target, platform: 'linux/amd64', head, base });
}

const pct = (percent: number): Threshold => ({ kind: 'percent', percent, text: `${percent}%` });
const bytes = (n: number): Threshold => ({ kind: 'bytes', bytes: n, text: `${n}B` });
const all = <T>(fallback: T | undefined, entries: ReadonlyArray<readonly [string, T]> = []): PerTarget<T> => ({
  ...(fallback !== undefined ? { fallback } : {}),
  byTarget: new Map(entries)
});
const none: Budgets = { maxIncrease: all<Threshold>(undefined), maxSize: all<Threshold>(undefined), maxLayers: all<number>(undefined) };
const budgets = (over: Partial<Budgets>): Budgets => ({ ...none, ...over });

describe('judgeRow verdicts', () => {
  it.each<[string, Comparison, Budgets, Metric, Verdict[]]>([
    [
      'max-increase percent exceeded (the reason format of the docs)',
      row(measured(img(19_600_000)), measured(img(17_500_000))),
      budgets({ maxIncrease: all(pct(10)) }),
      'compressed',
      [{ rule: 'max-increase', ok: false, reason: '+2.10 MB (+12.0%) exceeds max-increase 10%' }]
    ],
    [
      'growth equal to the percent limit passes',
      row(measured(img(1_100_000)), measured(img(1_000_000))),
      budgets({ maxIncrease: all(pct(10)) }),
      'compressed',
      [{ rule: 'max-increase', ok: true, reason: '+100 kB (+10.0%) within max-increase 10%' }]
    ],
    [
      'a tie decided without float error (0.57 * 10000 is 5699.999… in floating point)',
      row(measured(img(10_057)), measured(img(10_000))),
      budgets({ maxIncrease: all(pct(0.57)) }),
      'compressed',
      [{ rule: 'max-increase', ok: true, reason: '+57 B (+0.6%) within max-increase 0.57%' }]
    ],
    [
      'one byte over the percent limit shows enough digits to see why',
      row(measured(img(3_300_001)), measured(img(3_000_000))),
      budgets({ maxIncrease: all(pct(10)) }),
      'compressed',
      [{ rule: 'max-increase', ok: false, reason: '+300 kB (+10.00003%) exceeds max-increase 10%' }]
    ],
    [
      'growth past +1,000% reads as the factor the tables show',
      row(measured(img(195_000_000)), measured(img(2_096_000))),
      budgets({ maxIncrease: all(pct(10)) }),
      'compressed',
      [{ rule: 'max-increase', ok: false, reason: '+193 MB (×93.0) exceeds max-increase 10%' }]
    ],
    [
      'past +1,000% against a limit of that order, the percentage with the digits that tell them apart',
      row(measured(img(2_000_001)), measured(img(100_000))),
      budgets({ maxIncrease: all(pct(1900)) }),
      'compressed',
      [{ rule: 'max-increase', ok: false, reason: '+1.90 MB (+1900.001%) exceeds max-increase 1900%' }]
    ],
    [
      'max-increase in bytes exceeded',
      row(measured(img(12_000_000)), measured(img(10_000_000))),
      budgets({ maxIncrease: all(bytes(1_000_000)) }),
      'compressed',
      [{ rule: 'max-increase', ok: false, reason: '+2.00 MB (+20.0%) exceeds max-increase 1 MB' }]
    ],
    [
      'growth equal to the bytes limit passes',
      row(measured(img(11_000_000)), measured(img(10_000_000))),
      budgets({ maxIncrease: all(bytes(1_000_000)) }),
      'compressed',
      [{ rule: 'max-increase', ok: true, reason: '+1.00 MB (+10.0%) within max-increase 1 MB' }]
    ],
    [
      'one byte over the bytes limit shows the exact growth',
      row(measured(img(11_000_001)), measured(img(10_000_000))),
      budgets({ maxIncrease: all(bytes(1_000_000)) }),
      'compressed',
      [{ rule: 'max-increase', ok: false, reason: '+1000001 B (+10.0%) exceeds max-increase 1 MB' }]
    ],
    [
      'a shrink passes',
      row(measured(img(9_000_000)), measured(img(10_000_000))),
      budgets({ maxIncrease: all(pct(0)) }),
      'compressed',
      [{ rule: 'max-increase', ok: true, reason: '-1.00 MB (-10.0%) within max-increase 0%' }]
    ],
    [
      'unchanged passes a 0% limit',
      row(measured(img(10_000_000)), measured(img(10_000_000))),
      budgets({ maxIncrease: all(pct(0)) }),
      'compressed',
      [{ rule: 'max-increase', ok: true, reason: '0 B (0%) within max-increase 0%' }]
    ],
    [
      'judged on the uncompressed metric',
      row(measured(img(1_000_000, 5_000_000)), measured(img(1_000_000, 4_000_000))),
      budgets({ maxIncrease: all(pct(10)) }),
      'uncompressed',
      [{ rule: 'max-increase', ok: false, reason: '+1.00 MB (+25.0%) exceeds max-increase 10%' }]
    ],
    [
      'the compressed metric ignores uncompressed growth',
      row(measured(img(1_000_000, 5_000_000)), measured(img(1_000_000, 4_000_000))),
      budgets({ maxIncrease: all(pct(10)) }),
      'compressed',
      [{ rule: 'max-increase', ok: true, reason: '0 B (0%) within max-increase 10%' }]
    ],
    [
      'growth from an empty base fails any percent limit',
      row(measured(img(1000)), measured(img(0, 0, 0))),
      budgets({ maxIncrease: all(pct(10)) }),
      'compressed',
      [{ rule: 'max-increase', ok: false, reason: '+1.00 kB (from 0 B) exceeds max-increase 10%' }]
    ],
    [
      'growth from an empty base is judged in bytes',
      row(measured(img(1000)), measured(img(0, 0, 0))),
      budgets({ maxIncrease: all(bytes(1000)) }),
      'compressed',
      [{ rule: 'max-increase', ok: true, reason: '+1.00 kB (from 0 B) within max-increase 1 kB' }]
    ],
    [
      'row 6: a new target gets no max-increase verdict but is judged on max-size and max-layers',
      row(measured(img(26_100_000, 60_000_000, 12)), absent),
      budgets({ maxIncrease: all(pct(1)), maxSize: all(bytes(25_000_000)), maxLayers: all(10) }),
      'compressed',
      [
        { rule: 'max-size', ok: false, reason: '26.1 MB exceeds max-size 25 MB' },
        { rule: 'max-layers', ok: false, reason: '12 layers exceed max-layers 10' }
      ]
    ],
    [
      'row 7: a removed target gets no verdict at all',
      row(absent, measured(img(26_100_000))),
      budgets({ maxIncrease: all(pct(1)), maxSize: all(bytes(1)), maxLayers: all(0) }),
      'compressed',
      []
    ],
    [
      'row 16: base build failed: no max-increase, absolute budgets still apply',
      row(measured(img(24_000_000)), { state: 'failed', error: 'base broke' }),
      budgets({ maxIncrease: all(pct(1)), maxSize: all(bytes(25_000_000)) }),
      'compressed',
      [{ rule: 'max-size', ok: true, reason: '24.0 MB within max-size 25 MB' }]
    ],
    [
      'row 26: no stored baseline: no max-increase',
      row(measured(img(24_000_000)), { state: 'unavailable', reason: 'No baseline found' }),
      budgets({ maxIncrease: all(pct(1)) }),
      'compressed',
      []
    ],
    [
      'row 15: the head build failed: a failing build verdict with the last error line',
      row({ state: 'failed', error: '#8 [2/3] RUN false\nERROR: process "/bin/sh -c false" did not complete successfully: exit code: 1\n\n' }, measured(img(1))),
      budgets({ maxIncrease: all(pct(1)), maxSize: all(bytes(1)), maxLayers: all(0) }),
      'compressed',
      [
        {
          rule: 'build',
          ok: false,
          reason: 'build failed: ERROR: process "/bin/sh -c false" did not complete successfully: exit code: 1'
        }
      ]
    ],
    [
      'a failed build with no output',
      row({ state: 'failed', error: '  \n' }, absent),
      none,
      'compressed',
      [{ rule: 'build', ok: false, reason: 'build failed' }]
    ],
    [
      'a head that was not measured is a failure too',
      row({ state: 'unavailable', reason: 'skipped: builder lost' }, absent),
      none,
      'compressed',
      [{ rule: 'build', ok: false, reason: 'not measured: skipped: builder lost' }]
    ],
    [
      'max-size equal to the budget passes',
      row(measured(img(25_000_000)), absent),
      budgets({ maxSize: all(bytes(25_000_000)) }),
      'compressed',
      [{ rule: 'max-size', ok: true, reason: '25.0 MB within max-size 25 MB' }]
    ],
    [
      'max-size one byte over shows the exact size',
      row(measured(img(25_000_001)), absent),
      budgets({ maxSize: all(bytes(25_000_000)) }),
      'compressed',
      [{ rule: 'max-size', ok: false, reason: '25000001 B exceeds max-size 25 MB' }]
    ],
    [
      'max-size on the uncompressed metric, binary budget',
      row(measured(img(100, 600_000)), absent),
      budgets({ maxSize: all(bytes(512 * 1024)) }),
      'uncompressed',
      [{ rule: 'max-size', ok: false, reason: '600 kB exceeds max-size 512 KiB' }]
    ],
    [
      'a percent max-size is ignored (the inputs parser rejects it)',
      row(measured(img(100)), absent),
      budgets({ maxSize: all(pct(10)) }),
      'compressed',
      []
    ],
    [
      'max-layers equal passes',
      row(measured(img(100, 300, 10)), absent),
      budgets({ maxLayers: all(10) }),
      'compressed',
      [{ rule: 'max-layers', ok: true, reason: '10 layers within max-layers 10' }]
    ],
    [
      'max-layers, one layer over zero',
      row(measured(img(100, 300, 1)), absent),
      budgets({ maxLayers: all(0) }),
      'compressed',
      [{ rule: 'max-layers', ok: false, reason: '1 layer exceeds max-layers 0' }]
    ],
    ['no budgets, no verdicts', row(measured(img(100)), measured(img(50))), none, 'compressed', []]
  ])('%s', (_name, comparison, b, metric, expected) => {
    const judged = judgeRow(comparison, b, metric);
    expect(judged.verdicts).toEqual(expected);
    expect(judged.regressed).toBe(expected.some((v) => !v.ok));
    expect(judged.status).toBe(comparison.status);
    expect(judged.delta).toEqual(comparison.delta);
  });
});

describe('per-target budgets', () => {
  const b = budgets({ maxIncrease: all(pct(50), [['release', pct(5)]]), maxLayers: all<number>(undefined, [['debug', 2]]) });
  const rows = [
    row(measured(img(1_100_000)), measured(img(1_000_000)), 'release'),
    row(measured(img(1_100_000)), measured(img(1_000_000)), 'debug'),
    row(measured(img(1_100_000)), measured(img(1_000_000)), 'other')
  ];

  it.each([
    ['release uses its own 5%', 0, ['max-increase 5% → false']],
    ['debug falls back to 50% and has its own max-layers', 1, ['max-increase 50% → true', 'max-layers 2 → false']],
    ['other falls back to 50%, no max-layers', 2, ['max-increase 50% → true']]
  ])('%s', (_name, index, expected) => {
    const judged = judge(rows, b, 'compressed')[index]!;
    expect(judged.verdicts.map((v) => `${v.rule} ${v.reason.split(' ').pop()!} → ${v.ok}`)).toEqual(expected);
  });

  it.each<[string, PerTarget<number>, string, number | undefined]>([
    ['own entry', all(5, [['a', 1]]), 'a', 1],
    ['fallback', all(5, [['a', 1]]), 'b', 5],
    ['none', all<number>(undefined, [['a', 1]]), 'b', undefined],
    ['own entry of 0 beats the fallback', all(5, [['a', 0]]), 'a', 0]
  ])('forTarget: %s', (_name, values, target, expected) => {
    expect(forTarget(values, target)).toBe(expected);
  });
});

describe('buildOutcome', () => {
  const b = budgets({ maxSize: all(bytes(1_000_000)) });
  const j = (c: Comparison): JudgedRow => judgeRow(c, b, 'compressed');
  const unchanged = j(row(measured(img(100)), measured(img(100))));
  const changed = j(row(measured(img(200)), measured(img(100))));
  const added = j(row(measured(img(200)), absent));
  const removed = j(row(absent, measured(img(100))));
  const noBaseline = j(row(measured(img(200)), { state: 'unavailable', reason: 'none' }));
  const over = j(row(measured(img(2_000_000)), measured(img(2_000_000))));
  const failed = j(row({ state: 'failed', error: 'boom' }, measured(img(100))));

  it.each<[string, JudgedRow[], boolean, boolean]>([
    ['no rows', [], false, false],
    ['unchanged only', [unchanged], false, false],
    ['no baseline is not a change', [noBaseline], false, false],
    ['changed', [unchanged, changed], false, true],
    ['new', [added], false, true],
    ['removed', [removed], false, true],
    ['over budget while unchanged', [over], true, false],
    ['head build failed', [failed, unchanged], true, false]
  ])('%s', (_name, rows, regressed, isChanged) => {
    const head = { sha: 'a'.repeat(40), ref: 'feature' };
    const outcome = buildOutcome({ metric: 'compressed', rows, head, notes: ['n'] });
    expect(outcome).toEqual({ metric: 'compressed', rows, regressed, changed: isChanged, head, notes: ['n'] });
    expect('base' in outcome).toBe(false);
  });

  it('keeps the base commit and defaults notes to none', () => {
    const outcome = buildOutcome({ metric: 'uncompressed', rows: [], head: { sha: 'a' }, base: { sha: 'b', ref: 'main' } });
    expect(outcome.base).toEqual({ sha: 'b', ref: 'main' });
    expect(outcome.notes).toEqual([]);
  });
});

describe('failureMessage (row 50)', () => {
  const b = budgets({ maxSize: all(bytes(25_000_000)), maxLayers: all(10) });
  const j = (c: Comparison): JudgedRow => judgeRow(c, b, 'compressed');

  it('is undefined when nothing regressed', () => {
    expect(failureMessage(buildOutcome({ metric: 'compressed', rows: [j(row(measured(img(1)), absent))], head: { sha: 'a' } }))).toBeUndefined();
  });

  it('lists the offending targets and reasons on one line each, with no control characters', () => {
    const rows = [
      j(row(measured(img(26_100_000, 1, 12)), absent, 'release')),
      j(row(measured(img(1)), absent, 'ok')),
      j(row({ state: 'failed', error: 'ERROR: x\u001b[31m\nlast' }, absent, 'bad\nname'))
    ];
    expect(failureMessage(buildOutcome({ metric: 'compressed', rows, head: { sha: 'a' } }))).toBe(
      [
        'Image budget exceeded for 2 targets:',
        '  release (linux/amd64): 26.1 MB exceeds max-size 25 MB; 12 layers exceed max-layers 10',
        '  bad name (linux/amd64): build failed: last'
      ].join('\n')
    );
  });

  it('says "build failed" when only builds failed, and caps the list', () => {
    const rows = ['a', 'b', 'c'].map((t) => j(row({ state: 'failed', error: 'e' }, absent, t)));
    expect(failureMessage(buildOutcome({ metric: 'compressed', rows, head: { sha: 'a' } }), 2)).toBe(
      'Image build failed for 3 targets:\n  a (linux/amd64): build failed: e\n  b (linux/amd64): build failed: e\n  …and 1 more'
    );
  });
});

// Found unpinned by mutation testing (docs/mutation.md).
describe('failureMessage edges', () => {
  const b = budgets({ maxSize: all(bytes(25_000_000)), maxLayers: all(10) });
  const j = (c: Comparison): JudgedRow => judgeRow(c, b, 'compressed');
  const message = (rows: JudgedRow[], max?: number): string | undefined =>
    failureMessage(buildOutcome({ metric: 'compressed', rows, head: { sha: 'a' } }), max);

  it('one target is singular, and only the failed verdicts are listed', () => {
    expect(message([j(row(measured(img(26_100_000, 1, 3)), absent, 'release'))])).toBe(
      'Image budget exceeded for 1 target:\n  release (linux/amd64): 26.1 MB exceeds max-size 25 MB'
    );
  });

  it('exactly maxTargets offending targets: no "more" line', () => {
    const rows = ['a', 'b'].map((t) => j(row({ state: 'failed', error: 'e' }, absent, t)));
    expect(message(rows, 2)).toBe('Image build failed for 2 targets:\n  a (linux/amd64): build failed: e\n  b (linux/amd64): build failed: e');
  });

  it('a run of control characters is one space, the ends are trimmed, and a long name is cut at 300', () => {
    const name = `x\r\n\t${'n'.repeat(400)}`;
    const text = message([j(row({ state: 'failed', error: 'e' }, absent, ` ${name} `))]);
    expect(text).toBe(`Image build failed for 1 target:\n  x ${'n'.repeat(297)}… (linux/amd64): build failed: e`);
  });

  it('a name of exactly 300 characters is kept whole', () => {
    const name = 'n'.repeat(300);
    expect(message([j(row({ state: 'failed', error: 'e' }, absent, name))])).toBe(`Image build failed for 1 target:\n  ${name} (linux/amd64): build failed: e`);
  });

  it("the build error's last line is cut at 200 characters", () => {
    const text = message([j(row({ state: 'failed', error: `first\n${'z'.repeat(250)}\n` }, absent, 'a'))]);
    expect(text).toBe(`Image build failed for 1 target:\n  a (linux/amd64): build failed: ${'z'.repeat(199)}…`);
  });
});

describe('max-wasted', () => {
  const withFiles = (wastedBytes: number, uncompressed = 10_000_000): ImageStats => ({
    ...img(4_000_000, uncompressed),
    files: { final: new Map(), wastedBytes, wasted: [] }
  });
  it.each<[string, ImageStats, Threshold, Verdict]>([
    ['bytes within', withFiles(1_000_000), bytes(2_000_000), { rule: 'max-wasted', ok: true, reason: '1.00 MB wasted (10.0% of the image) within max-wasted 2 MB' }],
    ['bytes exceeded', withFiles(3_000_000), bytes(2_000_000), { rule: 'max-wasted', ok: false, reason: '3.00 MB wasted (30.0% of the image) exceeds max-wasted 2 MB' }],
    ['percent of the uncompressed image, at the limit', withFiles(500_000), pct(5), { rule: 'max-wasted', ok: true, reason: '500 kB wasted (5.0% of the image) within max-wasted 5%' }],
    ['percent exceeded', withFiles(600_000), pct(5), { rule: 'max-wasted', ok: false, reason: '600 kB wasted (6.0% of the image) exceeds max-wasted 5%' }],
    ['not measured: the budget fails rather than pass silently', img(4_000_000), bytes(1), { rule: 'max-wasted', ok: false, reason: 'wasted space was not measured; max-wasted 1 B cannot be checked' }]
  ])('%s', (_name, head, limit, verdict) => {
    const judged = judgeRow(row(measured(head), absent), budgets({ maxWasted: all(limit) }), 'compressed');
    expect(judged.verdicts).toEqual([verdict]);
    expect(judged.regressed).toBe(!verdict.ok);
  });
});

// Found unpinned by mutation testing (docs/mutation.md).
describe('judgeRow edges', () => {
  it.each<[string, Comparison, Budgets, Verdict[]]>([
    [
      'an empty image that stays empty passes a percent limit (no growth from 0 B)',
      row(measured(img(0, 0, 0)), measured(img(0, 0, 0))),
      budgets({ maxIncrease: all(pct(10)) }),
      [{ rule: 'max-increase', ok: true, reason: '0 B (from 0 B) within max-increase 10%' }]
    ],
    [
      'a build error whose last line is exactly 200 characters is kept whole',
      row({ state: 'failed', error: `first\n${'z'.repeat(200)}` }, absent),
      none,
      [{ rule: 'build', ok: false, reason: `build failed: ${'z'.repeat(200)}` }]
    ],
    [
      'a size over its limit by exactly 0.5% prints rounded (it no longer looks like the limit)',
      row(measured(img(1000)), absent),
      budgets({ maxSize: all(bytes(995)) }),
      [{ rule: 'max-size', ok: false, reason: '1.00 kB exceeds max-size 995 B' }]
    ],
    [
      'growth over its limit by exactly 0.5% prints rounded too',
      row(measured(img(3000)), measured(img(2000))),
      budgets({ maxIncrease: all(bytes(995)) }),
      [{ rule: 'max-increase', ok: false, reason: '+1.00 kB (+50.0%) exceeds max-increase 995 B' }]
    ],
    [
      'wasted space of an image of 0 bytes has no percentage',
      row(measured({ ...img(0, 0, 0), files: { final: new Map(), wastedBytes: 0, wasted: [] } }), absent),
      budgets({ maxWasted: all(bytes(0)) }),
      [{ rule: 'max-wasted', ok: true, reason: '0 B wasted within max-wasted 0 B' }]
    ]
  ])('%s', (_name, comparison, b, expected) => {
    expect(judgeRow(comparison, b, 'compressed').verdicts).toEqual(expected);
  });
});
