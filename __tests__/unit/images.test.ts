import { describe, expect, test } from '@jest/globals';
import { parseConfig } from '../../src/config/config.js';
import { parseInputs } from '../../src/inputs/inputs.js';
import type { ImageStats, JudgedRow, Outcome, SideResult } from '../../src/model.js';
import { ignoredInputs, imageInputs, imageKey, joinImages, labelled } from '../../src/pipeline/config-images.js';
import type { ImageResult } from '../../src/pipeline/run.js';
import { compareRow } from '../../src/report/compare.js';
import { judgeRow } from '../../src/report/policy.js';

const HEAD = 'a'.repeat(40);
const BASE = 'b'.repeat(40);
const ANCESTOR = 'c'.repeat(40);

function image(compressed: number): ImageStats {
  return {
    target: 'release',
    platform: 'linux/amd64',
    digest: `sha256:${compressed.toString(16).padStart(64, '0')}`,
    configDigest: `sha256:${(compressed + 1).toString(16).padStart(64, '0')}`,
    compressedBytes: compressed,
    uncompressedBytes: compressed * 3,
    layerCount: 2,
    layers: [],
    method: 'oci-layout'
  };
}
const measured = (n: number): SideResult => ({ state: 'measured', image: image(n) });
const NO_BUDGETS = { maxIncrease: { byTarget: new Map() }, maxSize: { byTarget: new Map() }, maxLayers: { byTarget: new Map() } };

function judged(target: string, head: number, base: number, maxSize?: number): JudgedRow {
  const budgets = maxSize === undefined ? NO_BUDGETS : { ...NO_BUDGETS, maxSize: { fallback: { kind: 'bytes' as const, bytes: maxSize, text: `${maxSize} B` }, byTarget: new Map() } };
  return judgeRow(compareRow({ target, platform: 'linux/amd64', head: measured(head), base: measured(base) }), budgets, 'compressed');
}

function outcome(rows: JudgedRow[], notes: string[], base?: string): Outcome {
  return {
    metric: 'compressed',
    rows,
    regressed: rows.some((r) => r.regressed),
    changed: rows.some((r) => r.status === 'changed'),
    head: { sha: HEAD, ref: 'refs/pull/1/merge' },
    ...(base ? { base: { sha: base } } : {}),
    notes
  };
}

describe('imageInputs', () => {
  const inputs = parseInputs(
    (name) =>
      ({
        config: '.github/image-budget.yml',
        context: 'ignored',
        targets: 'ignored',
        'build-args': 'IGNORED=1',
        'max-size': '1MB',
        'comment-key': 'sizes',
        cache: 'none',
        metric: 'uncompressed',
        details: 'layers'
      })[name] ?? ''
  );
  const [api] = parseConfig(
    'images:\n  - name: api\n    context: services/api\n    targets: [release]\n    build-args: {VERSION: "2"}\n    platforms: linux/arm64\n    max-layers: 5\n',
    '.github/image-budget.yml'
  );

  test("the image's keys replace the single-image inputs; the others stay; the key is the image's own", () => {
    const derived = imageInputs(inputs, api!);
    expect(derived).toEqual({
      ...inputs,
      config: undefined,
      context: 'services/api',
      file: undefined,
      targets: ['release'],
      buildArgs: [['VERSION', '2']],
      platforms: ['linux/arm64'],
      budgets: api!.budgets,
      name: 'api',
      commentKey: 'sizes+api'
    });
    // The action-wide budget is not merged in: the image's budgets are the whole of them.
    expect(derived.budgets.maxSize).toEqual({ byTarget: new Map() });
    expect(imageKey('sizes', 'api')).toBe('sizes+api');
    // No two pairs meet on one key.
    expect(imageKey('ib', 'web-api')).not.toBe(imageKey('ib-web', 'api'));
  });

  test('ignoredInputs lists the single-image inputs given beside config; the default context is not one', () => {
    const given: Record<string, string> = { context: '.', targets: 'release', 'max-wasted': '5MB', cache: 'none', 'comment-key': 'k', name: 'app' };
    expect(ignoredInputs((name) => given[name] ?? '')).toEqual(['name', 'targets', 'max-wasted']);
    expect(ignoredInputs((name) => (name === 'context' ? 'app' : ''))).toEqual(['context']);
    expect(ignoredInputs(() => '')).toEqual([]);
  });
});

describe('joinImages', () => {
  const api: ImageResult = labelled('api', 'k-api', {
    outcome: outcome([judged('release', 120, 100, 110), judged('debug', 500, 500)], ['Budgets (compressed size): max-size 110 B', 'Baseline: the report stored for bbbbbbbbbbbb by its push run; the base was not rebuilt.'], BASE),
    headFailures: []
  });
  const web: ImageResult = labelled('web', 'k-web', {
    outcome: outcome([judged('release', 300, 300)], ['No budgets set (compressed size is reported).', 'Baseline: the report stored for bbbbbbbbbbbb by its push run; the base was not rebuilt.'], BASE),
    headFailures: ['release: exit code 1']
  });

  test('rows in config order, each labelled with its image; verdicts kept', () => {
    const { outcome: joined } = joinImages([api, web]);
    expect(joined.rows.map((r) => [r.image, r.target, r.status, r.regressed])).toEqual([
      ['api', 'release', 'changed', true],
      ['api', 'debug', 'unchanged', false],
      ['web', 'release', 'unchanged', false]
    ]);
    expect(joined.regressed).toBe(true);
    expect(joined.changed).toBe(true);
    expect(joined.head).toEqual({ sha: HEAD, ref: 'refs/pull/1/merge' });
    expect(joined.base).toEqual({ sha: BASE });
  });

  test('a note every image has is shown once; the others after their image name', () => {
    expect(joinImages([api, web]).outcome.notes).toEqual([
      'api: Budgets (compressed size): max-size 110 B',
      'Baseline: the report stored for bbbbbbbbbbbb by its push run; the base was not rebuilt.',
      'web: No budgets set (compressed size is reported).'
    ]);
  });

  test('regressed and changed only when some image is', () => {
    const calm = labelled('web', 'k-web', { outcome: outcome([judged('release', 300, 300)], []), headFailures: [] });
    const { outcome: joined } = joinImages([calm, labelled('api', 'k-api', { outcome: outcome([judged('debug', 500, 500)], []), headFailures: [] })]);
    expect(joined.regressed).toBe(false);
    expect(joined.changed).toBe(false);
    expect(joined.base).toBeUndefined();
  });

  test('head failures name their image; each image keeps its own result for its own baseline', () => {
    const joined = joinImages([api, web]);
    expect(joined.headFailures).toEqual(['web/release: exit code 1']);
    expect(joined.images?.map((i) => [i.name, i.key, i.outcome.rows.length, i.headFailures.length])).toEqual([
      ['api', 'k-api', 2, 0],
      ['web', 'k-web', 1, 1]
    ]);
    expect(joined.images?.[1]?.outcome.rows.every((r) => r.image === 'web')).toBe(true);
  });

  test("the first image's base is the one shown when an image compared with an ancestor's report", () => {
    const older = labelled('web', 'k-web', { outcome: outcome([judged('release', 300, 300)], ['Baseline: … its ancestor cccccccccccc, 1 commit earlier.'], ANCESTOR), headFailures: [] });
    const noBase = labelled('docs', 'k-docs', { outcome: outcome([judged('release', 1, 1)], []), headFailures: [] });
    expect(joinImages([noBase, api, older]).outcome.base).toEqual({ sha: BASE });
  });

  test('no images is a programming error', () => {
    expect(() => joinImages([])).toThrow('joinImages needs at least one image');
  });
});
