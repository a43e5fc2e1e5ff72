import { describe, expect, it } from '@jest/globals';
import { baseFromReport, parseStoredReport } from '../../src/baseline/from-report.js';
import { MAX_STORED_REPORT_BYTES, baselineKey, remembering, type BaselineStore } from '../../src/baseline/store.js';
import { MemoryStore } from '../support/memory-store.js';
import type { ImageStats, SideResult } from '../../src/model.js';
import { compare } from '../../src/report/compare.js';
import { buildReport, type Report } from '../../src/report/report.js';
import { buildOutcome, judge } from '../../src/report/policy.js';
import { onDefaultBranch } from '../../src/pipeline/trust.js';
import type { EventContext } from '../../src/github/event.js';

const SHA = '0123456789abcdef0123456789abcdef01234567';
const OTHER = 'fedcba9876543210fedcba9876543210fedcba98';
const digest = (n: number): string => `sha256:${n.toString(16).padStart(64, '0')}`;

function image(target: string, platform: string, compressed: number): ImageStats {
  return {
    target,
    platform,
    digest: digest(compressed),
    configDigest: digest(compressed + 1),
    compressedBytes: compressed,
    uncompressedBytes: compressed * 2,
    layerCount: 1,
    layers: [{ digest: digest(compressed + 2), mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', compressedBytes: compressed, uncompressedBytes: compressed * 2, instruction: 'COPY . /' }],
    method: 'oci-layout',
    files: { final: new Map([['app', 5]]), wastedBytes: 70, wasted: [{ path: 'tmp/x', bytes: 70 }] }
  };
}

/** The report a push run of SHA writes: every target measured as its head, no base. */
function pushReport(heads: ReadonlyArray<readonly [string, string, SideResult]>, sha = SHA, repository = 'octo/app'): Report {
  const rows = judge(
    compare(heads.map(([target, platform, head]) => ({ target, platform, head, base: { state: 'unavailable', reason: 'baseline: none' } }))),
    { maxIncrease: { byTarget: new Map() }, maxSize: { byTarget: new Map() }, maxLayers: { byTarget: new Map() } },
    'compressed'
  );
  const outcome = buildOutcome({ metric: 'compressed', rows, head: { sha, ref: 'refs/heads/main' }, notes: [] });
  return buildReport(outcome, { tool: { name: 'image-budget', version: '0.1.0' }, event: 'push', repository, runId: 42, createdAt: '2026-11-29T10:00:00Z' });
}

const measured = (i: ImageStats): SideResult => ({ state: 'measured', image: i });
const text = (r: unknown): string => JSON.stringify(r);

describe('parseStoredReport', () => {
  const good = pushReport([['release', 'linux/amd64', measured(image('release', 'linux/amd64', 1000))]]);

  it('accepts the report of the expected commit and repository (repository in any letter case)', () => {
    const parsed = parseStoredReport(text(good), { repository: 'Octo/App', sha: SHA });
    expect(parsed).toMatchObject({ ok: true, report: { head: { sha: SHA }, event: 'push', runId: 42 } });
  });

  it.each<[string, string, { repository: string; sha: string }, RegExp]>([
    ['not JSON', '{"schema": "image-budget/report", ', { repository: 'octo/app', sha: SHA }, /not valid JSON/],
    ['another schema', text({ schema: 'size-limit', version: 1 }), { repository: 'octo/app', sha: SHA }, /not an image-budget\/report report/],
    ['a newer version', text({ ...good, version: 2 }), { repository: 'octo/app', sha: SHA }, /schema version 2; this version of the action reads version 1/],
    ['a broken field', text({ ...good, targets: [{ ...good.targets[0], head: { state: 'measured', digest: 'nope' } }] }), { repository: 'octo/app', sha: SHA }, /malformed \(targets\[0\]\.head/],
    ['another repository', text(good), { repository: 'evil/fork', sha: SHA }, /another repository \(octo\/app\)/],
    ['another commit', text(good), { repository: 'octo/app', sha: OTHER }, new RegExp(`another commit \\(${SHA}\\)`)],
    ['an array', '[]', { repository: 'octo/app', sha: SHA }, /malformed/],
    ['oversized', `${' '.repeat(MAX_STORED_REPORT_BYTES)}{}`, { repository: 'octo/app', sha: SHA }, /larger than/]
  ])('ignores %s, saying why', (_name, input, expected, reason) => {
    const parsed = parseStoredReport(input, expected);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toMatch(reason);
  });
});

describe('baseFromReport', () => {
  it("with a name, uses only that image's rows (matrix jobs sharing a comment-key); without one, any row of the target", () => {
    const plain = pushReport([
      ['release', 'linux/amd64', measured(image('release', 'linux/amd64', 1000))],
      ['release', 'linux/amd64', measured(image('release', 'linux/amd64', 5000))]
    ]);
    const report: Report = { ...plain, targets: plain.targets.map((t, i) => ({ ...t, image: i === 0 ? 'api' : 'web' })) };
    const sizeOf = (r: ReturnType<typeof baseFromReport>): number[] =>
      r.results.flatMap((t) => t.results.map((x) => (x.result.state === 'measured' ? x.result.image.compressedBytes : -1)));
    expect(sizeOf(baseFromReport(report, ['release'], 'web'))).toEqual([5000]);
    expect(sizeOf(baseFromReport(report, ['release'], 'api'))).toEqual([1000]);
    expect(baseFromReport(report, ['release'], 'db')).toEqual({ results: [], missing: ['release'] });
    // An unlabelled report is no baseline of a named image either: that job builds its base.
    expect(baseFromReport(plain, ['release'], 'api')).toEqual({ results: [], missing: ['release'] });
    // No name (a single image, or a config file's image under its own key): every row of the target.
    expect(sizeOf(baseFromReport(report, ['release']))).toEqual([1000, 5000]);
  });

  it('turns the stored heads into base results, one per platform, with the wasted space and the file list', () => {
    const report = pushReport([
      ['release', 'linux/amd64', measured(image('release', 'linux/amd64', 1000))],
      ['release', 'linux/386', measured(image('release', 'linux/386', 900))],
      ['debug', 'linux/amd64', measured(image('debug', 'linux/amd64', 5000))]
    ]);
    const { results, missing } = baseFromReport(report, ['release']);
    expect(missing).toEqual([]);
    expect(results).toHaveLength(1);
    expect(results[0]!.target).toBe('release');
    expect(results[0]!.results.map((r) => r.platform)).toEqual(['linux/amd64', 'linux/386']);
    const first = results[0]!.results[0]!.result;
    expect(first.state).toBe('measured');
    if (first.state === 'measured') {
      expect(first.image).toMatchObject({ target: 'release', platform: 'linux/amd64', compressedBytes: 1000, uncompressedBytes: 2000, layerCount: 1, method: 'oci-layout' });
      expect(first.image.files?.wastedBytes).toBe(70);
      expect(first.image.files?.final).toEqual(new Map([['app', 5]]));
      // Every file fitted: the list is complete, as one read from the image.
      expect(first.image.files?.listing).toBeUndefined();
    }
  });

  it('a target the report lacks, or whose build failed there, is missing', () => {
    const report = pushReport([
      ['release', 'linux/amd64', measured(image('release', 'linux/amd64', 1000))],
      ['debug', 'linux/amd64', { state: 'failed', error: 'boom' }]
    ]);
    expect(baseFromReport(report, ['release', 'debug', 'tools']).missing).toEqual(['debug', 'tools']);
  });
});

describe('baselineKey', () => {
  it('names the schema version, the repository, the comment key and the commit, lower-cased', () => {
    expect(baselineKey('Octo/App', 'image-budget', SHA.toUpperCase())).toBe(`image-budget-v1-octo/app-image-budget-${SHA}`);
    expect(baselineKey('octo/app', 'api', SHA)).not.toBe(baselineKey('octo/app', 'web', SHA));
  });
});

describe('onDefaultBranch', () => {
  const ev = (ref: string | undefined, defaultBranch: string | undefined): EventContext => ({
    event: 'push',
    repo: { owner: 'octo', name: 'app' },
    headSha: SHA,
    ref,
    baseSha: undefined,
    defaultBranch
  });
  it.each<[string | undefined, string | undefined, boolean]>([
    ['refs/heads/main', 'main', true],
    ['refs/heads/feature', 'main', false],
    ['refs/pull/3/merge', 'main', false],
    ['refs/heads/main', undefined, false],
    [undefined, 'main', false],
    ['refs/tags/main', 'main', false]
  ])('%s with default branch %s: %s', (ref, def, expected) => {
    expect(onDefaultBranch(ev(ref, def))).toBe(expected);
  });
});

describe('remembering: one run asks the store once per key', () => {
  function counted(entries: Record<string, string>): { store: BaselineStore; asked: string[][] } {
    const inner = new MemoryStore();
    for (const [k, v] of Object.entries(entries)) void inner.save(k, v);
    const asked: string[][] = [];
    return { asked, store: { description: 'memory', find: (keys) => (asked.push([...keys]), inner.find(keys)), save: (k, t) => inner.save(k, t) } };
  }

  it('a hit tells the keys before it are empty; a miss tells all are; the rest is asked', async () => {
    const { store, asked } = counted({ c: 'C', e: 'E' });
    const r = remembering(store);
    expect(await r.find(['a'])).toBeUndefined();
    expect(await r.find(['b', 'c', 'd'])).toEqual({ key: 'c', text: 'C' });
    // a, b empty and c found are known: answered without asking.
    expect(await r.find(['a', 'b', 'c', 'd', 'e'])).toEqual({ key: 'c', text: 'C' });
    // d was not told by the hit at c: asked, from d on.
    expect(await r.find(['a', 'b', 'd', 'e'])).toEqual({ key: 'e', text: 'E' });
    expect(await r.find(['a', 'd'])).toBeUndefined();
    expect(asked).toEqual([['a'], ['b', 'c', 'd'], ['d', 'e']]);
  });

  it('a lookup that fails tells nothing, and a saved key is asked again', async () => {
    let fail = true;
    const inner = new MemoryStore();
    const asked: string[][] = [];
    const flaky: BaselineStore = {
      description: 'flaky',
      find: (keys) => (asked.push([...keys]), fail ? Promise.reject(new Error('down')) : inner.find(keys)),
      save: (k, t) => inner.save(k, t)
    };
    const r = remembering(flaky);
    await expect(r.find(['a'])).rejects.toThrow('down');
    fail = false;
    expect(await r.find(['a'])).toBeUndefined();
    expect(await r.save('a', 'A')).toBe(true);
    expect(await r.find(['a'])).toEqual({ key: 'a', text: 'A' });
    expect(asked).toEqual([['a'], ['a'], ['a']]);
  });
});
