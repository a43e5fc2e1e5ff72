// FileSystemModel: layers applied in order, whiteouts, opaque directories, replacements, and the
// wasted space they leave behind. Table-driven: each case is its layers and the expected result.
import fc from 'fast-check';
import { FileSystemModel, applyLayers, maskFilePaths } from '../../src/image/file-tree.js';
import { maskSecrets, secretMask } from '../../src/buildx/failure.js';
import type { TarEntry } from '../../src/image/tar.js';

const f = (path: string, size: number): TarEntry => ({ path, type: 'file', size });
const d = (path: string): TarEntry => ({ path, type: 'dir', size: 0 });
const s = (path: string): TarEntry => ({ path, type: 'symlink', size: 0 });
const h = (path: string): TarEntry => ({ path, type: 'hardlink', size: 0 });
const o = (path: string): TarEntry => ({ path, type: 'other', size: 0 });
/** A whiteout of `path` (`dir/.wh.name`). */
const wh = (path: string): TarEntry => {
  const i = path.lastIndexOf('/');
  return { path: `${path.slice(0, i + 1)}.wh.${path.slice(i + 1)}`, type: 'file', size: 0 };
};
const opq = (dir: string): TarEntry => ({ path: `${dir}/.wh..wh..opq`, type: 'file', size: 0 });

interface Case {
  readonly name: string;
  readonly layers: ReadonlyArray<readonly TarEntry[]>;
  readonly final: Record<string, number>;
  readonly wastedBytes: number;
  readonly wasted: Record<string, number>;
}

const cases: readonly Case[] = [
  {
    name: 'one layer: files listed, directories and symlinks not',
    layers: [[d('etc'), f('etc/passwd', 100), s('etc/link'), o('dev/null'), f('bin/sh', 5000)]],
    final: { 'bin/sh': 5000, 'etc/passwd': 100 },
    wastedBytes: 0,
    wasted: {}
  },
  {
    name: 'overwrite in a later layer wastes the earlier version',
    layers: [[f('app/big', 1_000_000)], [f('app/big', 400)]],
    final: { 'app/big': 400 },
    wastedBytes: 1_000_000,
    wasted: { 'app/big': 1_000_000 }
  },
  {
    name: 'every overwritten version counts once, summed per path',
    layers: [[f('a', 10)], [f('a', 20)], [f('a', 30)], [f('b', 5)]],
    final: { a: 30, b: 5 },
    wastedBytes: 30,
    wasted: { a: 30 }
  },
  {
    name: 'delete via whiteout',
    layers: [[f('tmp/cache.tgz', 7000), f('tmp/keep', 1)], [d('tmp'), wh('tmp/cache.tgz')]],
    final: { 'tmp/keep': 1 },
    wastedBytes: 7000,
    wasted: { 'tmp/cache.tgz': 7000 }
  },
  {
    name: 'whiteout of a directory deletes everything under it',
    layers: [[f('src/a.c', 100), f('src/lib/b.c', 200), s('src/lib/link'), f('srcx', 3)], [wh('src')]],
    final: { srcx: 3 },
    wastedBytes: 300,
    wasted: { 'src/lib/b.c': 200, 'src/a.c': 100 }
  },
  {
    name: 'opaque directory clears earlier contents, keeps its own layer’s, wherever the marker is in the tar',
    layers: [
      [f('var/lib/old', 50), f('var/lib/sub/deeper', 60), f('var/other', 1)],
      [f('var/lib/new-before', 2), d('var/lib'), opq('var/lib'), f('var/lib/new-after', 3)]
    ],
    final: { 'var/lib/new-after': 3, 'var/lib/new-before': 2, 'var/other': 1 },
    wastedBytes: 110,
    wasted: { 'var/lib/sub/deeper': 60, 'var/lib/old': 50 }
  },
  {
    name: 'opaque directory with a subdirectory re-created in the same layer: its lower contents go too',
    layers: [[f('a/b/old', 10), f('a/c', 20)], [opq('a'), d('a/b'), f('a/b/new', 1)]],
    final: { 'a/b/new': 1 },
    wastedBytes: 30,
    wasted: { 'a/c': 20, 'a/b/old': 10 }
  },
  {
    name: 'a whiteout does not hide what its own layer adds',
    layers: [[f('x', 10)], [f('x', 20), wh('x')]],
    final: { x: 20 },
    wastedBytes: 10,
    wasted: { x: 10 }
  },
  {
    name: 'a directory this layer writes under (without its own entry) survives the same layer’s whiteouts',
    layers: [[f('c/old', 5), f('d/x', 6)], [f('c/new', 1), opq(''), wh('d'), f('d/y', 2)]],
    final: { 'c/new': 1, 'd/y': 2 },
    wastedBytes: 11,
    wasted: { 'd/x': 6, 'c/old': 5 }
  },
  {
    name: 'whiteouts of missing paths and under missing directories change nothing',
    layers: [[f('a', 1)], [wh('nothing'), wh('no/such/dir/file'), opq('no/dir')]],
    final: { a: 1 },
    wastedBytes: 0,
    wasted: {}
  },
  {
    name: 'aufs metadata (.wh..wh.plnk) is neither a file nor a whiteout',
    layers: [[d('.wh..wh.plnk'), f('.wh..wh.plnk/123', 5), f('.wh..wh.aufs', 0), f('sub/.wh..wh.plnk/x', 1), f('a', 1)]],
    final: { a: 1 },
    wastedBytes: 0,
    wasted: {}
  },
  {
    name: 'directory replacing a file removes the file',
    layers: [[f('opt/tool', 900)], [d('opt/tool'), f('opt/tool/bin', 10)]],
    final: { 'opt/tool/bin': 10 },
    wastedBytes: 900,
    wasted: { 'opt/tool': 900 }
  },
  {
    name: 'symlink and other replacing a file remove it; a file replacing a directory removes its tree',
    layers: [
      [f('lib/x.so', 300), f('dev/tty', 4), d('data'), f('data/1', 11), f('data/2', 22)],
      [s('lib/x.so'), o('dev/tty'), f('data', 5)]
    ],
    final: { data: 5 },
    wastedBytes: 337,
    wasted: { 'lib/x.so': 300, 'data/2': 22, 'data/1': 11, 'dev/tty': 4 }
  },
  {
    name: 'directory over directory merges (nothing wasted)',
    layers: [[d('usr'), f('usr/a', 1)], [d('usr'), f('usr/b', 2)]],
    final: { 'usr/a': 1, 'usr/b': 2 },
    wastedBytes: 0,
    wasted: {}
  },
  {
    name: 'a path under a file turns it into a directory',
    layers: [[f('conf', 70)], [f('conf/app.yml', 7)]],
    final: { 'conf/app.yml': 7 },
    wastedBytes: 70,
    wasted: { conf: 70 }
  },
  {
    name: 're-add after delete: the deleted version is wasted, the new one is final',
    layers: [[f('bin/app', 1000)], [wh('bin/app')], [f('bin/app', 1200)]],
    final: { 'bin/app': 1200 },
    wastedBytes: 1000,
    wasted: { 'bin/app': 1000 }
  },
  {
    name: 'hard links count 0 bytes, overwritten or not',
    layers: [[f('bin/busybox', 2000), h('bin/ls'), h('bin/cat')], [f('bin/ls', 30)]],
    final: { 'bin/busybox': 2000, 'bin/cat': 0, 'bin/ls': 30 },
    wastedBytes: 0,
    wasted: {}
  },
  {
    name: 'a file listed twice in one layer: the first copy is wasted too',
    layers: [[f('dup', 8), f('dup', 9)]],
    final: { dup: 9 },
    wastedBytes: 8,
    wasted: { dup: 8 }
  },
  {
    name: 'the same layer applied twice wastes all of its files once',
    layers: [
      [f('a', 3), f('b/c', 4)],
      [f('a', 3), f('b/c', 4)]
    ],
    final: { a: 3, 'b/c': 4 },
    wastedBytes: 7,
    wasted: { 'b/c': 4, a: 3 }
  },
  {
    name: 'the root entry and empty files',
    layers: [[d(''), f('empty', 0)], [f('empty', 0)]],
    final: { empty: 0 },
    wastedBytes: 0,
    wasted: {}
  },
  {
    name: 'no layers',
    layers: [],
    final: {},
    wastedBytes: 0,
    wasted: {}
  }
];

describe('FileSystemModel', () => {
  it.each(cases)('$name', ({ layers, final, wastedBytes, wasted }) => {
    const model = new FileSystemModel();
    for (const layer of layers) model.applyLayer(layer);
    const result = model.result();
    expect(Object.fromEntries(result.final)).toEqual(final);
    expect(result.wastedBytes).toBe(wastedBytes);
    expect(result.wasted.map((w) => [w.path, w.bytes])).toEqual(Object.entries(wasted));
    // The functional form gives the same.
    expect(applyLayers(layers)).toEqual(result);
  });

  it('final is sorted by path (code-unit order)', () => {
    const { final } = applyLayers([[f('b', 1), f('a/z', 1), f('B', 1), f('a/a', 1), f('a.b', 1)]]);
    expect([...final.keys()]).toEqual(['B', 'a.b', 'a/a', 'a/z', 'b']);
  });

  it('wasted is the top N by bytes, ties by path; wastedBytes counts them all', () => {
    const lower = Array.from({ length: 30 }, (_, i) => f(`f${String(i).padStart(2, '0')}`, i % 5 === 0 ? 100 : i));
    const upper = lower.map((e) => wh(e.path));
    const result = applyLayers([lower, upper], 4);
    expect(result.wasted).toEqual([
      { path: 'f00', bytes: 100 },
      { path: 'f05', bytes: 100 },
      { path: 'f10', bytes: 100 },
      { path: 'f15', bytes: 100 }
    ]);
    expect(result.wastedBytes).toBe(lower.reduce((sum, e) => sum + e.size, 0));
    expect(applyLayers([lower, upper]).wasted).toHaveLength(20);
    expect(applyLayers([lower, upper], 0).wasted).toEqual([]);
    // f00 is 100 bytes but 0-byte wastes would never be listed: f01 is 1.
    expect(applyLayers([lower, upper], 100).wasted.at(-1)).toEqual({ path: 'f01', bytes: 1 });
  });

  it('handles 100k files and a whiteout of their directory in reasonable time', () => {
    const many = Array.from({ length: 100_000 }, (_, i) => f(`data/${i % 100}/file-${i}`, 10));
    const start = Date.now();
    const result = applyLayers([many, [f('keep', 1)], [wh('data')]]);
    expect(result.wastedBytes).toBe(1_000_000);
    expect([...result.final]).toEqual([['keep', 1]]);
    expect(Date.now() - start).toBeLessThan(5000);
  });
});

// ── Against a naive reference ────────────────────────────────────────────────────────────────────

/** The same rules over a flat path map, with no tree: slow but obviously right. */
function reference(layers: ReadonlyArray<readonly TarEntry[]>): { final: Record<string, number>; wastedBytes: number; wasted: Record<string, number> } {
  const nodes = new Map<string, { kind: TarEntry['type']; size: number; layer: number }>();
  const wasted = new Map<string, number>();
  let total = 0;
  const under = (p: string, dir: string): boolean => (dir === '' ? p !== '' : p.startsWith(`${dir}/`));
  const drop = (p: string): void => {
    const n = nodes.get(p);
    if (n?.kind === 'file') {
      total += n.size;
      wasted.set(p, (wasted.get(p) ?? 0) + n.size);
    }
    nodes.delete(p);
  };
  const dropTree = (p: string): void => {
    for (const q of [...nodes.keys()]) if (q === p || under(q, p)) drop(q);
  };
  /** Removes `p` and below where `p` itself, or a node between `top` and `p`, is from a lower layer. */
  const hideLower = (top: string, layer: number): void => {
    const doomed: string[] = [];
    for (const q of [...nodes.keys()].sort()) {
      if (q !== top && !under(q, top)) continue;
      const rel = q.slice(top.length).split('/').filter(Boolean);
      let chain = top;
      let lower = (nodes.get(top)?.layer ?? layer) < layer;
      for (const part of rel.slice(0, -1)) {
        chain = `${chain}/${part}`;
        lower ||= (nodes.get(chain)?.layer ?? layer) < layer;
      }
      if (lower || (nodes.get(q)?.layer ?? layer) < layer) doomed.push(q);
    }
    doomed.forEach(drop);
  };
  layers.forEach((entries, layer) => {
    for (const e of entries) {
      if (e.path === '') continue;
      const parts = e.path.split('/');
      const name = parts.at(-1) ?? '';
      const dir = parts.slice(0, -1).join('/');
      if (name.startsWith('.wh.')) {
        if (dir !== '' && nodes.get(dir)?.kind !== 'dir') continue;
        if (name === '.wh..wh..opq') {
          for (const q of [...nodes.keys()]) if (under(q, dir) && !q.slice(dir ? dir.length + 1 : 0).includes('/')) hideLower(q, layer);
        } else if (!name.startsWith('.wh..wh.')) {
          const target = dir ? `${dir}/${name.slice(4)}` : name.slice(4);
          if (nodes.has(target)) hideLower(target, layer);
        }
        continue;
      }
      if (parts.slice(0, -1).some((p) => p.startsWith('.wh..wh.'))) continue;
      for (let i = 1; i < parts.length; i++) {
        const a = parts.slice(0, i).join('/');
        const n = nodes.get(a);
        if (n?.kind === 'dir') {
          n.layer = layer;
          continue;
        }
        if (n) dropTree(a);
        nodes.set(a, { kind: 'dir', size: 0, layer });
      }
      const existing = nodes.get(e.path);
      if (existing?.kind === 'dir' && e.type === 'dir') {
        existing.layer = layer;
        continue;
      }
      if (existing) dropTree(e.path);
      nodes.set(e.path, { kind: e.type, size: e.type === 'file' ? e.size : 0, layer });
    }
  });
  const final: Record<string, number> = {};
  for (const [p, n] of [...nodes].sort((a, b) => (a[0] < b[0] ? -1 : 1))) if (n.kind === 'file' || n.kind === 'hardlink') final[p] = n.size;
  return { final, wastedBytes: total, wasted: Object.fromEntries([...wasted].filter(([, b]) => b > 0)) };
}

describe('FileSystemModel against the naive reference (random layers)', () => {
  const segment = fc.constantFrom('a', 'b', 'c');
  const path = fc.array(segment, { minLength: 1, maxLength: 3 }).map((s) => s.join('/'));
  const entry: fc.Arbitrary<TarEntry> = fc.oneof(
    fc.record({ path, type: fc.constant('file' as const), size: fc.integer({ min: 0, max: 1000 }) }),
    path.map(d),
    path.map(s),
    path.map(h),
    path.map(wh),
    fc.oneof(path, fc.constant('')).map((p) => ({ path: p ? `${p}/.wh..wh..opq` : '.wh..wh..opq', type: 'file' as const, size: 0 }))
  );
  const layers = fc.array(fc.array(entry, { maxLength: 8 }), { maxLength: 5 });

  it('same final files, wasted total and wasted per path', () => {
    fc.assert(
      fc.property(layers, (ls) => {
        const got = applyLayers(ls, 1000);
        const want = reference(ls);
        expect(Object.fromEntries(got.final)).toEqual(want.final);
        expect(got.wastedBytes).toBe(want.wastedBytes);
        expect(Object.fromEntries(got.wasted.map((w) => [w.path, w.bytes]))).toEqual(want.wasted);
      }),
      { numRuns: 3000 }
    );
  });
});

describe('maskFilePaths (a build-arg value in a path never reaches a report)', () => {
  const secrets = ['s3cr3t-value'];
  const mask = (p: string): string => maskSecrets(p, secrets);
  const files = new FileSystemModel()
    .applyLayer([d('app'), f('app/s3cr3t-value.key', 40), f('app/keep', 7), f('tmp/s3cr3t-value', 500), f('tmp/***', 20)])
    .applyLayer([wh('tmp/s3cr3t-value'), wh('tmp/***'), f('app/keep', 9)])
    .result();

  test('every path is masked; paths that mask alike are one, bytes summed; orders kept', () => {
    const masked = maskFilePaths(files, mask);
    expect([...masked.final]).toEqual([
      ['app/***.key', 40],
      ['app/keep', 9]
    ]);
    expect(masked.wasted).toEqual([
      { path: 'tmp/***', bytes: 520 },
      { path: 'app/keep', bytes: 7 }
    ]);
    expect(masked.wastedBytes).toBe(files.wastedBytes);
    expect(JSON.stringify([...masked.final, ...masked.wasted])).not.toContain('s3cr3t');
  });

  test('without a secret in any path, the view is the same', () => {
    const same = maskFilePaths(files, (p) => maskSecrets(p, ['absent-value']));
    expect([...same.final]).toEqual([...files.final]);
    expect(same.wasted).toEqual(files.wasted);
    // Not a copy of every path: an image's file view can hold tens of thousands.
    expect(same).toBe(files);
    // A value under 3 characters is never masked, though `ap` is in `app/keep`.
    expect(maskFilePaths(files, secretMask(['absent-value', 'ap']))).toBe(files);
  });
});
