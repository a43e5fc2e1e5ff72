// The streaming tar reader against archives written by GNU tar in each of its formats (gnu, pax,
// ustar, v7, old GNU and pax sparse files), from a tree made here: what the reader reports must be
// the tree. Needs the system `tar` (GNU tar), no Docker.
import { execFileSync } from 'node:child_process';
import { closeSync, linkSync, mkdirSync, mkdtempSync, openSync, rmSync, symlinkSync, writeFileSync, writeSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createTarTap, type TarEntry } from '../../src/image/tar.js';
import { applyLayers } from '../../src/image/file-tree.js';

let work = '';

beforeAll(() => {
  const version = execFileSync('tar', ['--version'], { encoding: 'utf8' });
  if (!version.includes('GNU tar')) throw new Error(`these tests need GNU tar, found: ${version.split('\n')[0]}`);
  work = mkdtempSync(join(tmpdir(), 'image-budget-tar-'));
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

const longDir = `${'a-rather-long-directory-name/'.repeat(5)}`.slice(0, -1); // 144 chars
const longFile = `${'x'.repeat(120)}.bin`;

/** Makes a tree; `long` adds names beyond 100 (and 255) characters. Returns what the reader should see. */
function makeTree(root: string, long: boolean): TarEntry[] {
  const entries: TarEntry[] = [];
  const dir = (p: string): void => {
    mkdirSync(join(root, p), { recursive: true });
    const parts = p.split('/');
    for (let i = 1; i <= parts.length; i++) entries.push({ path: parts.slice(0, i).join('/'), type: 'dir', size: 0 });
  };
  const file = (p: string, content: Buffer | string): void => {
    writeFileSync(join(root, p), content);
    entries.push({ path: p, type: 'file', size: Buffer.byteLength(content) });
  };
  dir('etc');
  file('etc/hosts', '127.0.0.1 localhost\n');
  file('etc/empty', '');
  file('etc/block', Buffer.alloc(512, 1));
  file('etc/odd', Buffer.alloc(1025, 2));
  symlinkSync('hosts', join(root, 'etc/hosts.link'));
  entries.push({ path: 'etc/hosts.link', type: 'symlink', size: 0 });
  linkSync(join(root, 'etc/hosts'), join(root, 'etc/hosts.hard'));
  entries.push({ path: 'etc/hosts.hard', type: 'hardlink', size: 0 });
  if (long) {
    dir(longDir);
    file(`${longDir}/${longFile}`, Buffer.alloc(3000, 3));
    symlinkSync(`../${'t'.repeat(150)}`, join(root, longDir, 'long.link'));
    entries.push({ path: `${longDir}/long.link`, type: 'symlink', size: 0 });
    file('ünïcödé €.txt', 'utf8\n');
  }
  return entries;
}

/** A 5 MiB file with 2 data regions and holes around them. */
function makeSparse(path: string): number {
  const size = 5 * 1024 * 1024;
  const fd = openSync(path, 'w');
  writeSync(fd, Buffer.alloc(4096, 7), 0, 4096, 1024 * 1024);
  writeSync(fd, Buffer.alloc(4096, 8), 0, 4096, 3 * 1024 * 1024);
  ftruncateSync(fd, size);
  closeSync(fd);
  return size;
}

async function read(archive: Buffer, chunk: number): Promise<TarEntry[]> {
  const got: TarEntry[] = [];
  const pieces = Array.from({ length: Math.ceil(archive.length / chunk) }, (_, i) => archive.subarray(i * chunk, (i + 1) * chunk));
  await pipeline(Readable.from(pieces), createTarTap((e) => got.push(e)), new Writable({ write: (_c, _e, cb) => cb() }));
  return got;
}

const byPath = (a: TarEntry, b: TarEntry): number => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

describe('TarParser on GNU tar output', () => {
  it.each([
    ['gnu', true],
    ['oldgnu', true],
    ['pax', true],
    ['posix', true],
    ['ustar', false],
    ['v7', false]
  ] as const)('--format=%s', async (format, long) => {
    const root = join(work, `tree-${format}`);
    mkdirSync(root);
    const expected = makeTree(root, long);
    const archive = execFileSync('tar', [`--format=${format}`, '--sort=name', '-C', root, '-cf', '-', '.'], { maxBuffer: 64 * 1024 * 1024 });
    // GNU tar lists the root as "./"; v7 has no directory type, only the trailing slash.
    const top: TarEntry = { path: '', type: 'dir', size: 0 };
    const want = [top, ...expected].sort(byPath);
    for (const chunk of [1, 7, 512, 10240, archive.length]) {
      expect((await read(archive, chunk)).sort(byPath)).toEqual(want);
    }
    // GNU tar pads the archive to a 10 KiB record.
    expect(archive.length % 10240).toBe(0);
  });

  it.each([
    ['oldgnu', []],
    ['gnu', []],
    ['pax', ['--sparse-version=0.0']],
    ['pax', ['--sparse-version=0.1']],
    ['pax', ['--sparse-version=1.0']]
  ] as const)('sparse file, --format=%s %s: the real size is reported and the data skipped', async (format, extra) => {
    const root = join(work, `sparse-${format}-${extra.join('')}`);
    mkdirSync(root);
    const size = makeSparse(join(root, 'disk.img'));
    writeFileSync(join(root, 'after.txt'), 'after\n');
    const archive = execFileSync('tar', [`--format=${format}`, ...extra, '--sparse', '--sort=name', '-C', root, '-cf', '-', 'disk.img', 'after.txt']);
    // The holes are not stored: the archive is far smaller than the file.
    expect(archive.length).toBeLessThan(100 * 1024);
    for (const chunk of [1, 100, archive.length]) {
      expect(await read(archive, chunk)).toEqual([
        { path: 'disk.img', type: 'file', size },
        { path: 'after.txt', type: 'file', size: 6 }
      ]);
    }
  });

  it('incremental layers made with tar: whiteouts applied by the file model', async () => {
    const lower = join(work, 'layer-lower');
    const upper = join(work, 'layer-upper');
    mkdirSync(join(lower, 'app'), { recursive: true });
    writeFileSync(join(lower, 'app', 'big'), Buffer.alloc(10_000));
    writeFileSync(join(lower, 'app', 'gone'), Buffer.alloc(2_000));
    mkdirSync(join(upper, 'app'), { recursive: true });
    writeFileSync(join(upper, 'app', 'big'), Buffer.alloc(100));
    writeFileSync(join(upper, 'app', '.wh.gone'), '');
    const layers = await Promise.all(
      [lower, upper].map((dir) => read(execFileSync('tar', ['--format=pax', '--sort=name', '-C', dir, '-cf', '-', '.']), 4096))
    );
    const stats = applyLayers(layers);
    expect(Object.fromEntries(stats.final)).toEqual({ 'app/big': 100 });
    expect(stats.wastedBytes).toBe(12_000);
    expect(stats.wasted).toEqual([
      { path: 'app/big', bytes: 10_000 },
      { path: 'app/gone', bytes: 2_000 }
    ]);
  });
});
