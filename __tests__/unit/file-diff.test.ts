// diffFiles: the final filesystems of base and head compared file by file. Table-driven.
import type { FileStats } from '../../src/model.js';
import { changeCells, diffFiles, listingNotes, type FileDiff } from '../../src/report/file-diff.js';

const stats = (files: Record<string, number>): FileStats => ({ final: new Map(Object.entries(files)), wastedBytes: 0, wasted: [] });

interface Case {
  readonly name: string;
  readonly base: Record<string, number>;
  readonly head: Record<string, number>;
  readonly top?: number;
  /** The per-category lists, totals and counts; `largest` and `changed` are checked against them. */
  readonly expected: Omit<FileDiff, 'largest' | 'changed'>;
}

const none = { added: 0, removed: 0, grown: 0, shrunk: 0 };

const cases: readonly Case[] = [
  {
    name: 'identical filesystems: nothing',
    base: { a: 1, 'b/c': 2 },
    head: { 'b/c': 2, a: 1 },
    expected: { added: [], removed: [], grown: [], shrunk: [], totals: none, counts: none }
  },
  {
    name: 'both empty',
    base: {},
    head: {},
    expected: { added: [], removed: [], grown: [], shrunk: [], totals: none, counts: none }
  },
  {
    name: 'one of each',
    base: { kept: 5, gone: 300, big: 1000, small: 1000 },
    head: { kept: 5, fresh: 70, big: 1500, small: 10 },
    expected: {
      added: [{ path: 'fresh', after: 70, delta: 70 }],
      removed: [{ path: 'gone', before: 300, delta: -300 }],
      grown: [{ path: 'big', before: 1000, after: 1500, delta: 500 }],
      shrunk: [{ path: 'small', before: 1000, after: 10, delta: -990 }],
      totals: { added: 70, removed: -300, grown: 500, shrunk: -990 },
      counts: { added: 1, removed: 1, grown: 1, shrunk: 1 }
    }
  },
  {
    name: 'everything added against an empty base; zero-byte files listed last',
    base: {},
    head: { 'z/empty': 0, 'a/one': 1, 'm/many': 1000 },
    expected: {
      added: [
        { path: 'm/many', after: 1000, delta: 1000 },
        { path: 'a/one', after: 1, delta: 1 },
        { path: 'z/empty', after: 0, delta: 0 }
      ],
      removed: [],
      grown: [],
      shrunk: [],
      totals: { ...none, added: 1001 },
      counts: { ...none, added: 3 }
    }
  },
  {
    name: 'everything removed',
    base: { x: 10, y: 20 },
    head: {},
    expected: {
      added: [],
      removed: [
        { path: 'y', before: 20, delta: -20 },
        { path: 'x', before: 10, delta: -10 }
      ],
      grown: [],
      shrunk: [],
      totals: { ...none, removed: -30 },
      counts: { ...none, removed: 2 }
    }
  },
  {
    name: 'sorted by |delta| then path; capped at top; totals and counts cover all',
    base: { g1: 100, g2: 100, g3: 100, s1: 100, s2: 100, s3: 100 },
    head: { g1: 150, g2: 300, g3: 150, s1: 50, s2: 0, s3: 99, n1: 7, n2: 9, n3: 8 },
    top: 2,
    expected: {
      added: [
        { path: 'n2', after: 9, delta: 9 },
        { path: 'n3', after: 8, delta: 8 }
      ],
      removed: [],
      grown: [
        { path: 'g2', before: 100, after: 300, delta: 200 },
        { path: 'g1', before: 100, after: 150, delta: 50 }
      ],
      shrunk: [
        { path: 's2', before: 100, after: 0, delta: -100 },
        { path: 's1', before: 100, after: 50, delta: -50 }
      ],
      totals: { added: 24, removed: 0, grown: 300, shrunk: -151 },
      counts: { added: 3, removed: 0, grown: 3, shrunk: 3 }
    }
  },
  {
    name: 'top 0 lists nothing but still totals',
    base: { a: 1 },
    head: { b: 2 },
    top: 0,
    expected: {
      added: [],
      removed: [],
      grown: [],
      shrunk: [],
      totals: { ...none, added: 2, removed: -1 },
      counts: { ...none, added: 1, removed: 1 }
    }
  },
  {
    name: 'a file moved is one removal and one addition',
    base: { 'old/place': 4096 },
    head: { 'new/place': 4096 },
    expected: {
      added: [{ path: 'new/place', after: 4096, delta: 4096 }],
      removed: [{ path: 'old/place', before: 4096, delta: -4096 }],
      grown: [],
      shrunk: [],
      totals: { ...none, added: 4096, removed: -4096 },
      counts: { ...none, added: 1, removed: 1 }
    }
  }
];

describe('diffFiles', () => {
  it.each(cases)('$name', ({ base, head, top, expected }) => {
    const { largest, changed, ...lists } = diffFiles(stats(base), stats(head), top);
    expect(lists).toEqual(expected);
    const c = expected.counts;
    expect(changed).toBe(c.added + c.removed + c.grown + c.shrunk);
    // The overall top: the four lists together, by size of change, then path.
    const all = (['added', 'removed', 'grown', 'shrunk'] as const).flatMap((kind) => expected[kind].map((x) => ({ ...x, kind })));
    all.sort((x, y) => Math.abs(y.delta) - Math.abs(x.delta) || (x.path < y.path ? -1 : 1));
    expect(largest).toEqual(all.slice(0, top ?? 10));
  });

  it('largest mixes the kinds by size of change and keeps each one kind', () => {
    const diff = diffFiles(stats({ gone: 50, small: 10, big: 10 }), stats({ small: 5, big: 1000, fresh: 70 }), 3);
    expect(diff.largest.map((c) => [c.kind, c.path, c.delta])).toEqual([
      ['grown', 'big', 990],
      ['added', 'fresh', 70],
      ['removed', 'gone', -50]
    ]);
    expect(diff.changed).toBe(4);
  });

  it('changes of the same size are listed by path, whatever order the files came in', () => {
    const diff = diffFiles(stats({ y: 5, x: 5 }), stats({ c: 5, a: 5, b: 5 }));
    expect(diff.added.map((c) => c.path)).toEqual(['a', 'b', 'c']);
    expect(diff.removed.map((c) => c.path)).toEqual(['x', 'y']);
    expect(diff.largest.map((c) => c.path)).toEqual(['a', 'b', 'c', 'x', 'y']);
  });

  it('defaults to the top 10', () => {
    const head = Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`f${i}`, i + 1]));
    const diff = diffFiles(stats({}), stats(head));
    expect(diff.added.map((c) => c.path)).toEqual(['f24', 'f23', 'f22', 'f21', 'f20', 'f19', 'f18', 'f17', 'f16', 'f15']);
    expect(diff.counts.added).toBe(25);
    expect(diff.totals.added).toBe((25 * 26) / 2);
  });

  it('ignores wasted space (only the final filesystems are compared)', () => {
    const base: FileStats = { final: new Map([['a', 1]]), wastedBytes: 999, wasted: [{ path: 'w', bytes: 999 }] };
    const head: FileStats = { final: new Map([['a', 1]]), wastedBytes: 0, wasted: [] };
    expect(diffFiles(base, head).counts).toEqual(none);
  });
});

describe('diffFiles with a list read back from a report', () => {
  const cut = (files: Record<string, number>, below: number, all: number, bytes: number): FileStats => ({
    ...stats(files),
    listing: { kind: 'cut', below, files: all, bytes }
  });

  it('a cut base list: a file it does not list is never called added; files both list are compared', () => {
    // The base lists files of 1000 B and more: `fresh` (3000 B) was absent or under 1000 B, so it grew
    // by 2001 B at least; `small` (500 B) may have been there at the same size: left out.
    const base = cut({ big: 5000, same: 1000, gone: 2000 }, 1000, 40, 9000);
    const head = stats({ big: 7000, same: 1000, fresh: 3000, small: 500 });
    const diff = diffFiles(base, head);
    expect(diff.added).toEqual([]);
    expect(diff.uncertain).toEqual([{ path: 'fresh', after: 3000, delta: 2001, under: 1000, kind: 'added or grown' }]);
    expect(diff.grown).toEqual([{ path: 'big', before: 5000, after: 7000, delta: 2000 }]);
    // The head lists every file: `gone` is not in it, so it was removed.
    expect(diff.removed).toEqual([{ path: 'gone', before: 2000, delta: -2000 }]);
    expect(diff.counts).toEqual({ added: 0, removed: 1, grown: 1, shrunk: 0 });
    expect(diff.changed).toBe(3);
    expect(diff.largest.map((c) => [c.kind, c.path])).toEqual([
      ['added or grown', 'fresh'],
      ['grown', 'big'],
      ['removed', 'gone']
    ]);
  });

  it('a cut head list: a base file it does not list is never called removed', () => {
    const base = stats({ kept: 4000, maybe: 3000, big: 9000 });
    const head = cut({ kept: 3500, fresh: 8000 }, 3500, 10, 12_000);
    const diff = diffFiles(base, head);
    expect(diff.removed).toEqual([]);
    // `big` is gone or under 3500 B now; `maybe` (3000 B) may be there still, the same: left out.
    expect(diff.uncertain).toEqual([{ path: 'big', before: 9000, delta: -5501, under: 3500, kind: 'removed or shrunk' }]);
    expect(diff.shrunk).toEqual([{ path: 'kept', before: 4000, after: 3500, delta: -500 }]);
    expect(diff.added).toEqual([{ path: 'fresh', after: 8000, delta: 8000 }]);
  });

  it('no list at all (an older report): nothing is added or removed', () => {
    const none: FileStats = { ...stats({}), listing: { kind: 'none' } };
    expect(diffFiles(none, stats({ a: 1 }))).toMatchObject({ changed: 0, largest: [] });
    expect(diffFiles(stats({ a: 1 }), none)).toMatchObject({ changed: 0, largest: [] });
  });

  it('the rows of uncertain changes: "under" the cut on the side that lacks the file, the change "or more"', () => {
    const diff = diffFiles(cut({ gone: 9000 }, 1000, 5, 9500), cut({ fresh: 4000 }, 2000, 3, 4100));
    expect(diff.largest.map((c) => changeCells(c, (n) => `${n} B`, (n) => `${n > 0 ? '+' : ''}${n} B`))).toEqual([
      { before: '9000 B', after: 'under 2000 B', delta: '-7001 B or more' },
      { before: 'under 1000 B', after: '4000 B', delta: '+3001 B or more' }
    ]);
    expect(changeCells({ kind: 'grown', path: 'a', before: 1, after: 2, delta: 1 }, String, String)).toEqual({ before: '1', after: '2', delta: '1' });
    expect(changeCells({ kind: 'added', path: 'a', after: 2, delta: 2 }, String, String)).toEqual({ after: '2', delta: '2' });
  });
});

describe('listingNotes', () => {
  const complete = stats({ a: 1 });
  it('says when a side has no list, and then compares nothing', () => {
    expect(listingNotes(undefined, complete)).toEqual({ compare: false, notes: ['The stored baseline has no file list, so file changes are not shown.'] });
    expect(listingNotes({ ...stats({}), listing: { kind: 'none' } }, complete)).toEqual({
      compare: false,
      notes: ['The stored baseline has no file list, so file changes are not shown.']
    });
    expect(listingNotes(complete, { ...stats({}), listing: { kind: 'none' } })).toEqual({
      compare: false,
      notes: ['This report has no file list, so file changes are not shown.']
    });
  });

  it('says how each cut list was cut and what it leaves out', () => {
    const base: FileStats = { ...stats({ big: 5000, mid: 2000 }), listing: { kind: 'cut', below: 1500, files: 12, bytes: 10_000 } };
    const head: FileStats = { ...stats({ big: 6000 }), listing: { kind: 'cut', below: 4097, files: 1, bytes: 6000 } };
    expect(listingNotes(base, head)).toEqual({
      compare: true,
      notes: [
        'The base\'s file list was cut: files under 1.50 kB are not listed (10 files, 3.00 kB); a head file it lacks is "added or grown" when it is 1.50 kB or more, and not shown when smaller.',
        'The head\'s file list was cut: files under 4.10 kB are not listed (0 files, 0 B); a base file it lacks is "removed or shrunk" when it was 4.10 kB or more, and not shown when smaller.'
      ]
    });
    expect(listingNotes(complete, complete)).toEqual({ compare: true, notes: [] });
  });
});
