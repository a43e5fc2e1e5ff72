// The streaming tar reader on archives built here, byte by byte, in every header form it reads:
// v7, ustar with prefix, GNU (magic, long names and links, base-256 size, old sparse), pax per entry
// and global. Each archive is also fed split at every byte offset and one byte at a time.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { MAX_META_BYTES, TarError, TarParser, createTarTap, normalisePath, paxRecords, type TarEntry } from '../../src/image/tar.js';

// ── A tiny tar writer ────────────────────────────────────────────────────────────────────────────

type Format = 'ustar' | 'gnu' | 'v7';

interface HeaderSpec {
  readonly name: string;
  /** Typeflag character; default '0'. */
  readonly type?: string;
  /** Size field value; defaults to data length. */
  readonly size?: number;
  readonly prefix?: string;
  readonly linkname?: string;
  readonly format?: Format;
  /** Write the size as GNU base-256 instead of octal. */
  readonly base256?: boolean;
  /** Overrides the checksum field after it is computed (to corrupt it). */
  readonly badChecksum?: boolean;
  /** Extra bytes to poke into the header at an offset (for GNU sparse fields). */
  readonly poke?: ReadonlyArray<readonly [number, Buffer]>;
}

function octal(value: number, width: number): Buffer {
  return Buffer.from(value.toString(8).padStart(width - 1, '0') + '\0', 'latin1');
}

function header(spec: HeaderSpec): Buffer {
  const b = Buffer.alloc(512);
  b.write(spec.name, 0, 100, 'utf8');
  octal(0o644, 8).copy(b, 100);
  octal(0, 8).copy(b, 108);
  octal(0, 8).copy(b, 116);
  const size = spec.size ?? 0;
  if (spec.base256) {
    b[124] = 0x80;
    let v = size;
    for (let i = 135; i > 124; i--) {
      b[i] = v % 256;
      v = Math.floor(v / 256);
    }
  } else {
    octal(size, 12).copy(b, 124);
  }
  octal(0, 12).copy(b, 136);
  b.write(spec.type ?? '0', 156, 1, 'latin1');
  if (spec.linkname) b.write(spec.linkname, 157, 100, 'utf8');
  const format = spec.format ?? 'ustar';
  if (format === 'ustar') {
    b.write('ustar\u000000', 257, 8, 'latin1');
    if (spec.prefix) b.write(spec.prefix, 345, 155, 'utf8');
  } else if (format === 'gnu') {
    b.write('ustar  \u0000', 257, 8, 'latin1');
  }
  for (const [at, bytes] of spec.poke ?? []) bytes.copy(b, at);
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const x of b) sum += x;
  Buffer.from(sum.toString(8).padStart(6, '0') + '\0 ', 'latin1').copy(b, 148);
  if (spec.badChecksum) b.write('0000001\0', 148, 8, 'latin1');
  return b;
}

function pad(data: Buffer): Buffer {
  const rest = (512 - (data.length % 512)) % 512;
  return Buffer.concat([data, Buffer.alloc(rest)]);
}

/** A header and its padded data. */
function member(spec: HeaderSpec, data: Buffer | string = ''): Buffer {
  const bytes = Buffer.from(data);
  return Buffer.concat([header({ ...spec, size: spec.size ?? bytes.length }), pad(bytes)]);
}

function paxData(records: Record<string, string>): Buffer {
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(records)) {
    const body = ` ${k}=${v}\n`;
    let len = Buffer.byteLength(body) + 1;
    while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
    parts.push(Buffer.from(`${len}${body}`, 'utf8'));
  }
  return Buffer.concat(parts);
}

const END = Buffer.alloc(1024);
const tar = (...members: Buffer[]): Buffer => Buffer.concat([...members, END]);

/** Parses `bytes` pushed as the given pieces. */
function parse(pieces: readonly Buffer[]): TarEntry[] {
  const out: TarEntry[] = [];
  const parser = new TarParser((e) => out.push(e));
  for (const p of pieces) parser.push(p);
  parser.end();
  return out;
}

const whole = (bytes: Buffer): TarEntry[] => parse([bytes]);

// ── Header forms ─────────────────────────────────────────────────────────────────────────────────

const longName = `${'deep/'.repeat(40)}file-with-a-very-long-name.txt`; // 230 chars
const ustarPrefix = 'usr/share/some/rather/long/directory/name/that/goes/on/and/on/for/more/than/one/hundred/characters/in/total/length';

interface Case {
  readonly name: string;
  readonly archive: Buffer;
  readonly expected: readonly TarEntry[];
}

const cases: readonly Case[] = [
  {
    name: 'ustar file, directory, symlink, hard link, fifo',
    archive: tar(
      member({ name: 'etc/', type: '5' }),
      member({ name: 'etc/passwd' }, 'root:x:0:0\n'),
      member({ name: 'etc/link', type: '2', linkname: 'passwd' }),
      member({ name: 'etc/hard', type: '1', linkname: 'etc/passwd' }),
      member({ name: 'run/fifo', type: '6' })
    ),
    expected: [
      { path: 'etc', type: 'dir', size: 0 },
      { path: 'etc/passwd', type: 'file', size: 11 },
      { path: 'etc/link', type: 'symlink', size: 0 },
      { path: 'etc/hard', type: 'hardlink', size: 0 },
      { path: 'run/fifo', type: 'other', size: 0 }
    ]
  },
  {
    name: 'ustar prefix + name',
    archive: tar(member({ name: 'file.bin', prefix: ustarPrefix }, 'abc')),
    expected: [{ path: `${ustarPrefix}/file.bin`, type: 'file', size: 3 }]
  },
  {
    name: 'paths normalised: ./, leading /, trailing /, doubled and . segments',
    archive: tar(
      member({ name: './', type: '5' }),
      member({ name: './bin/', type: '5' }),
      member({ name: '/abs/file' }, 'x'),
      member({ name: 'a//b/./c' }, 'yy')
    ),
    expected: [
      { path: '', type: 'dir', size: 0 },
      { path: 'bin', type: 'dir', size: 0 },
      { path: 'abs/file', type: 'file', size: 1 },
      { path: 'a/b/c', type: 'file', size: 2 }
    ]
  },
  {
    name: 'GNU long name (L) and long link (K) apply to the next entry only',
    archive: tar(
      member({ name: '././@LongLink', type: 'L', format: 'gnu' }, `${longName}\0`),
      member({ name: longName.slice(0, 99), format: 'gnu' }, 'hello'),
      member({ name: '././@LongLink', type: 'K', format: 'gnu' }, `${'t/'.repeat(80)}target\0`),
      member({ name: '././@LongLink', type: 'L', format: 'gnu' }, `${longName}.lnk\0`),
      member({ name: 'short', type: '2', format: 'gnu' }),
      member({ name: 'after', format: 'gnu' }, '1')
    ),
    expected: [
      { path: longName, type: 'file', size: 5 },
      { path: `${longName}.lnk`, type: 'symlink', size: 0 },
      { path: 'after', type: 'file', size: 1 }
    ]
  },
  {
    name: 'GNU header: the prefix area holds times, not a prefix',
    archive: tar(member({ name: 'gnu.txt', format: 'gnu', poke: [[345, Buffer.from('14000000000\0', 'latin1')]] }, 'gnu')),
    expected: [{ path: 'gnu.txt', type: 'file', size: 3 }]
  },
  {
    name: 'pax x: path, size and linkpath for the next entry only',
    archive: tar(
      member({ name: 'PaxHeaders/x', type: 'x' }, paxData({ path: `${longName}/ünïcödé €.txt`, linkpath: 'whatever', mtime: '1700000000.5' })),
      member({ name: 'truncated-name' }, 'pax!'),
      member({ name: 'plain' }, '12')
    ),
    expected: [
      { path: `${longName}/ünïcödé €.txt`, type: 'file', size: 4 },
      { path: 'plain', type: 'file', size: 2 }
    ]
  },
  {
    name: 'pax size overrides the header size (data counted by it)',
    archive: tar(member({ name: 'p', type: 'x' }, paxData({ size: '700' })), header({ name: 'big', size: 0 }), pad(Buffer.alloc(700, 7)), member({ name: 'next' }, 'n')),
    expected: [
      { path: 'big', type: 'file', size: 700 },
      { path: 'next', type: 'file', size: 1 }
    ]
  },
  {
    name: 'pax g: checked, then ignored, as Go and containerd ignore it (its path names no entry)',
    archive: tar(
      member({ name: 'g', type: 'g' }, paxData({ comment: 'hi', path: 'global/name', size: '9' })),
      member({ name: 'one' }, '1'),
      member({ name: 'x', type: 'x' }, paxData({ path: 'own/name' })),
      member({ name: 'two' }, '22'),
      member({ name: 'x', type: 'x' }, paxData({ path: '' })),
      member({ name: 'three' }, '333')
    ),
    expected: [
      { path: 'one', type: 'file', size: 1 },
      { path: 'own/name', type: 'file', size: 2 },
      { path: 'three', type: 'file', size: 3 }
    ]
  },
  {
    name: 'a second pax x replaces the first; a GNU long name wins over a pax path, in either order',
    archive: tar(
      member({ name: 'x', type: 'x' }, paxData({ path: 'first', size: '3' })),
      member({ name: 'x', type: 'x' }, paxData({ path: 'second' })),
      member({ name: 'h' }, '1'),
      member({ name: 'x', type: 'x' }, paxData({ path: 'pax' })),
      member({ name: 'L', type: 'L', format: 'gnu' }, 'gnu-long\0'),
      member({ name: 'h' }, '22'),
      member({ name: 'L', type: 'L', format: 'gnu' }, 'gnu-long-2\0'),
      member({ name: 'x', type: 'x' }, paxData({ path: 'pax' })),
      member({ name: 'h' }, '333')
    ),
    expected: [
      { path: 'second', type: 'file', size: 1 },
      { path: 'gnu-long', type: 'file', size: 2 },
      { path: 'gnu-long-2', type: 'file', size: 3 }
    ]
  },
  {
    name: 'numeric fields: leading and trailing NULs and spaces are padding, the value ends at a NUL inside (as Go reads them)',
    archive: tar(
      header({ name: 'lead', poke: [[124, Buffer.from('\0\0\0 0001750\0', 'latin1')]] }),
      pad(Buffer.alloc(1000, 1)),
      header({ name: 'inner', poke: [[124, Buffer.from('00000000012\0', 'latin1')]] }),
      pad(Buffer.alloc(10, 2)),
      header({ name: 'cut', poke: [[124, Buffer.from('12\x00999999999', 'latin1')]] }),
      pad(Buffer.alloc(10, 3)),
      header({ name: 'none', poke: [[124, Buffer.alloc(12)]] })
    ),
    expected: [
      { path: 'lead', type: 'file', size: 1000 },
      { path: 'inner', type: 'file', size: 10 },
      { path: 'cut', type: 'file', size: 10 },
      { path: 'none', type: 'file', size: 0 }
    ]
  },
  {
    name: '`..` is cleaned as containerd cleans it: it takes the segment before it away and stops at the root',
    archive: tar(member({ name: '../escape' }, '1'), member({ name: 'a/../b' }, '22'), member({ name: 'x/y/../../../../etc/passwd' }, '333')),
    expected: [
      { path: 'escape', type: 'file', size: 1 },
      { path: 'b', type: 'file', size: 2 },
      { path: 'etc/passwd', type: 'file', size: 3 }
    ]
  },
  {
    name: 'pax GNU sparse 1.0: real name and size',
    archive: tar(
      member({ name: 'x', type: 'x' }, paxData({ 'GNU.sparse.major': '1', 'GNU.sparse.minor': '0', 'GNU.sparse.name': 'var/sparse.img', 'GNU.sparse.realsize': '1048576' })),
      member({ name: 'GNUSparseFile.0/sparse.img' }, Buffer.concat([Buffer.from('1\n0\n512\n'), Buffer.alloc(504), Buffer.alloc(512, 1)])),
      member({ name: 'after' }, 'a')
    ),
    expected: [
      { path: 'var/sparse.img', type: 'file', size: 1048576 },
      { path: 'after', type: 'file', size: 1 }
    ]
  },
  {
    name: 'old GNU sparse (S) with an extension block',
    archive: tar(
      header({ name: 'sparse', type: 'S', format: 'gnu', size: 1024, poke: [[482, Buffer.from([1])], [483, octal(5_000_000, 12)]] }),
      Buffer.concat([Buffer.alloc(504), Buffer.from([0]), Buffer.alloc(7)]), // extension block, not extended further
      Buffer.alloc(1024, 9),
      member({ name: 'after', format: 'gnu' }, 'z')
    ),
    expected: [
      { path: 'sparse', type: 'file', size: 5_000_000 },
      { path: 'after', type: 'file', size: 1 }
    ]
  },
  {
    name: 'GNU base-256 size',
    archive: tar(member({ name: 'b256', base256: true, format: 'gnu' }, Buffer.alloc(1500, 3)), member({ name: 'n' }, 'n')),
    expected: [
      { path: 'b256', type: 'file', size: 1500 },
      { path: 'n', type: 'file', size: 1 }
    ]
  },
  {
    name: 'v7: no magic, NUL typeflag, directory by trailing slash',
    archive: tar(member({ name: 'v7dir/', type: '\0', format: 'v7' }), member({ name: 'v7dir/f', type: '\0', format: 'v7' }, 'seven')),
    expected: [
      { path: 'v7dir', type: 'dir', size: 0 },
      { path: 'v7dir/f', type: 'file', size: 5 }
    ]
  },
  {
    name: 'a header-only type with a non-zero size field carries no data (as Go reads it)',
    archive: tar(header({ name: 'hl', type: '1', linkname: 'x', size: 4096 }), member({ name: 'next' }, 'ok')),
    expected: [
      { path: 'hl', type: 'hardlink', size: 0 },
      { path: 'next', type: 'file', size: 2 }
    ]
  },
  {
    name: 'contiguous (7) is a file; char, block and unknown vendor types are other (data skipped)',
    archive: tar(member({ name: 'c7', type: '7' }, 'seven'), member({ name: 'dev/null', type: '3' }), member({ name: 'dev/sda', type: '4' }), member({ name: 'vendor', type: 'Z' }, 'ignored data'), member({ name: 'last' }, 'l')),
    expected: [
      { path: 'c7', type: 'file', size: 5 },
      { path: 'dev/null', type: 'other', size: 0 },
      { path: 'dev/sda', type: 'other', size: 0 },
      { path: 'vendor', type: 'other', size: 0 },
      { path: 'last', type: 'file', size: 1 }
    ]
  },
  {
    name: 'sizes on and around block boundaries',
    archive: tar(member({ name: 'z' }), member({ name: 'a' }, Buffer.alloc(511)), member({ name: 'b' }, Buffer.alloc(512)), member({ name: 'c' }, Buffer.alloc(513))),
    expected: [
      { path: 'z', type: 'file', size: 0 },
      { path: 'a', type: 'file', size: 511 },
      { path: 'b', type: 'file', size: 512 },
      { path: 'c', type: 'file', size: 513 }
    ]
  },
  {
    name: 'empty archive (end marker only)',
    archive: END,
    expected: []
  },
  {
    name: 'record padding after the end marker is ignored, whatever it holds',
    archive: Buffer.concat([member({ name: 'f' }, 'x'), END, Buffer.alloc(8192), Buffer.from('junk after the end')]),
    expected: [{ path: 'f', type: 'file', size: 1 }]
  },
  {
    name: 'no end marker at all (tolerated, as Go archive/tar does)',
    archive: member({ name: 'f' }, 'x'),
    expected: [{ path: 'f', type: 'file', size: 1 }]
  },
  {
    name: 'a single zero block before the end of the stream',
    archive: Buffer.concat([member({ name: 'f' }, 'x'), Buffer.alloc(512)]),
    expected: [{ path: 'f', type: 'file', size: 1 }]
  }
];

describe('TarParser header forms', () => {
  it.each(cases)('$name', ({ archive, expected }) => {
    expect(whole(archive)).toEqual(expected);
  });

  it('a zero-length stream is an empty archive', () => {
    expect(parse([])).toEqual([]);
  });
});

describe('TarParser chunk boundaries', () => {
  // Every case but the big-sparse one is small enough to split at every byte.
  it.each(cases)('$name: split in two at every offset', ({ archive, expected }) => {
    for (let cut = 0; cut <= archive.length; cut++) {
      const got = parse([archive.subarray(0, cut), archive.subarray(cut)]);
      if (JSON.stringify(got) !== JSON.stringify(expected)) {
        throw new Error(`split at ${cut}: ${JSON.stringify(got)}`);
      }
    }
    expect(parse([archive.subarray(0, 1), archive.subarray(1)])).toEqual(expected);
  });

  it.each(cases)('$name: one byte at a time, and in 3 uneven pieces', ({ archive, expected }) => {
    const bytes: Buffer[] = [];
    for (let i = 0; i < archive.length; i++) bytes.push(archive.subarray(i, i + 1));
    expect(parse(bytes)).toEqual(expected);
    const a = Math.floor(archive.length / 7);
    const b = Math.floor((archive.length * 5) / 9);
    expect(parse([archive.subarray(0, a), archive.subarray(a, b), archive.subarray(b)])).toEqual(expected);
  });
});

// ── Malformed input ──────────────────────────────────────────────────────────────────────────────

describe('TarParser malformed input', () => {
  const good = tar(member({ name: 'a' }, 'aaaa'), member({ name: 'b' }, Buffer.alloc(600)));

  const bad: ReadonlyArray<readonly [string, Buffer, RegExp]> = [
    ['checksum mismatch', tar(member({ name: 'a', badChecksum: true }, 'x')), /tar header at byte 0: checksum mismatch \(header says 1, content sums to \d+\)/],
    ['checksum mismatch on a later header', tar(member({ name: 'a' }, 'x'), member({ name: 'b', badChecksum: true }, 'y')), /tar header at byte 1024: checksum mismatch/],
    ['not a tar at all', Buffer.from('{"this": "is json"}'.padEnd(600, ' ')), /not a tar stream: the header at byte 0 has no valid checksum/],
    ['truncated inside a header', good.subarray(0, 1024 + 188), /truncated tar stream: it ends 188 bytes into a header at byte 1024/],
    ['truncated inside file data', good.subarray(0, 1024 + 512 + 100), /truncated tar stream: it ends 924 bytes before the end of an entry's content/],
    ['truncated inside padding', good.subarray(0, 1024 + 512 + 600), /truncated tar stream: it ends 424 bytes before/],
    ['truncated inside a pax record', member({ name: 'x', type: 'x' }, paxData({ path: 'p' })).subarray(0, 515), /ends inside a pax record/],
    ['truncated inside a long name', member({ name: 'L', type: 'L', format: 'gnu' }, 'long\0').subarray(0, 514), /ends inside a GNU long-name record/],
    ['pax header with no entry after it', member({ name: 'x', type: 'x' }, paxData({ path: 'p' })), /ends after a pax or long-name header, without the entry/],
    ['long name then the end marker', tar(member({ name: 'L', type: 'L', format: 'gnu' }, 'long\0')), /ends after a pax or long-name header/],
    ['an entry after a single zero block', Buffer.concat([Buffer.alloc(512), member({ name: 'a' }, 'x'), END]), /an entry follows a zero block/],
    ['invalid octal size', tar(header({ name: 'a', poke: [[124, Buffer.from('12x45678901\0', 'latin1')]] })), /size field "12x45678901" is not an octal number/],
    ['malformed pax record length', tar(member({ name: 'x', type: 'x' }, '99 path=a\n'), member({ name: 'a' })), /pax header at byte 512: malformed record at offset 0/],
    ['pax record without key=', tar(member({ name: 'x', type: 'x' }, '9 nokey.\n'), member({ name: 'a' })), /record without "key="/],
    ['pax size that is not a number', tar(member({ name: 'x', type: 'x' }, paxData({ size: '-5' })), member({ name: 'a' })), /size="-5" is not a size/],
    ['pax record too large', tar(header({ name: 'x', type: 'x', size: MAX_META_BYTES + 1 })), /a x record of 1048577 bytes is larger than the 1048576 accepted/],
    ['a malformed pax g record (checked though ignored)', tar(member({ name: 'g', type: 'g' }, '99 path=a\n'), member({ name: 'a' })), /pax header at byte 512: malformed record/],
    ['a pax path holding a NUL', tar(member({ name: 'x', type: 'x' }, paxData({ path: 'a\0b' })), member({ name: 'a' })), /pax record at byte 512: path holds a NUL byte/],
    ['a negative base-256 size', tar(header({ name: 'a', format: 'gnu', poke: [[124, Buffer.from([0xc0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])]] })), /tar header at byte 0: negative size/],
    ['a size field with a space inside the digits', tar(header({ name: 'a', poke: [[124, Buffer.from('0001 750000\0', 'latin1')]] })), /size field "0001 750000" is not an octal number/]
  ];

  it.each(bad)('%s', (_name, bytes, message) => {
    expect(() => whole(bytes)).toThrow(TarError);
    expect(() => whole(bytes)).toThrow(message);
  });

  it('the pristine archive parses (the cuts above are of a valid archive)', () => {
    expect(whole(good)).toEqual([
      { path: 'a', type: 'file', size: 4 },
      { path: 'b', type: 'file', size: 600 }
    ]);
  });

  it('every strict prefix that ends inside an entry is an error, never a silent short list', () => {
    const archive = tar(member({ name: 'x', type: 'x' }, paxData({ path: 'pax/path' })), member({ name: 'f' }, Buffer.alloc(700, 1)), member({ name: 'g' }, 'g'));
    // pax header 0-512, pax data -1024, f header -1536, f data -2560, g header -3072, g data -3584.
    // Only the cuts between entries (after f, after g) end cleanly.
    const clean: number[] = [];
    for (let cut = 1; cut <= 3584; cut++) {
      try {
        parse([archive.subarray(0, cut)]);
        clean.push(cut);
      } catch (e) {
        if (!(e instanceof TarError)) throw e;
      }
    }
    expect(clean).toEqual([2560, 3584]);
    expect(parse([archive.subarray(0, 2560)])).toEqual([{ path: 'pax/path', type: 'file', size: 700 }]);
  });
});

// ── End of archive and content ───────────────────────────────────────────────────────────────────

describe('TarParser end of archive', () => {
  const f = member({ name: 'f' }, 'x');
  it.each<[string, Buffer, boolean]>([
    ['two zero blocks: the marker, complete', Buffer.concat([f, END]), true],
    ['two zero blocks and record padding after them', Buffer.concat([f, END, Buffer.alloc(9216)]), true],
    ['one zero block, then the end of the stream: tolerated, not complete', Buffer.concat([f, Buffer.alloc(512)]), false],
    ['the end of the stream right after an entry: tolerated, not complete', f, false]
  ])('%s', (_name, archive, complete) => {
    const parser = new TarParser(() => undefined);
    parser.push(archive);
    parser.end();
    expect(parser.complete).toBe(complete);
  });

  it('a truncated stream is a TarError marked truncated; a corrupt one is not', () => {
    const error = (bytes: Buffer): TarError => {
      try {
        whole(bytes);
      } catch (e) {
        if (e instanceof TarError) return e;
        throw e;
      }
      throw new Error('no TarError');
    };
    expect(error(f.subarray(0, 600)).truncated).toBe(true);
    expect(error(tar(member({ name: 'a', badChecksum: true }, 'x'))).truncated).toBe(false);
  });
});

describe('TarParser content for the entries picked', () => {
  const archive = tar(
    member({ name: 'x', type: 'x' }, paxData({ path: 'blobs/sha256/abc', size: '1300' })),
    header({ name: 'short', size: 0 }),
    pad(Buffer.alloc(1300, 5)),
    member({ name: 'empty' }),
    member({ name: 'link', type: '2', linkname: '../target' }),
    member({ name: 'hard', type: '1', linkname: 'empty' }),
    member({ name: 'skipped' }, 'not read'),
    header({ name: 'sparse', type: 'S', format: 'gnu', size: 512, poke: [[483, octal(4096, 12)]] }),
    Buffer.alloc(512, 9),
    member({ name: 'last' }, 'last!')
  );

  /** What the picker saw, and the content of every entry but `skipped`, pushed in pieces of `size`. */
  function read(size: number): { seen: string[]; content: Map<string, string> } {
    const seen: string[] = [];
    const content = new Map<string, string>();
    const parser = new TarParser(
      () => undefined,
      undefined,
      (entry, linkpath) => {
        seen.push(`${entry.type} ${entry.path} ${linkpath}`);
        if (entry.path === 'skipped') return undefined;
        const parts: Buffer[] = [];
        return { write: (d) => parts.push(Buffer.from(d)), end: () => content.set(entry.path, Buffer.concat(parts).toString('latin1')) };
      }
    );
    for (let at = 0; at < archive.length; at += size) parser.push(archive.subarray(at, at + size));
    parser.end();
    return { seen, content };
  }

  it.each([1, 100, 512, 513, archive.length])('in pieces of %i bytes: exactly the stored content, ended once', (size) => {
    const { seen, content } = read(size);
    expect(seen).toEqual(['file blobs/sha256/abc ', 'file empty ', 'symlink link ../target', 'hardlink hard empty', 'file skipped ', 'file last ']);
    expect([...content]).toEqual([
      ['blobs/sha256/abc', '\x05'.repeat(1300)],
      ['empty', ''],
      ['link', ''],
      ['hard', ''],
      ['last', 'last!']
    ]);
  });
});

// ── Helpers ──────────────────────────────────────────────────────────────────────────────────────

describe('normalisePath', () => {
  it.each([
    ['./', ''],
    ['.', ''],
    ['/', ''],
    ['./usr/bin/', 'usr/bin'],
    ['//etc//passwd', 'etc/passwd'],
    ['a/./b/.', 'a/b'],
    ['../escape', 'escape'],
    ['a/../b', 'b'],
    ['../../etc/passwd', 'etc/passwd'],
    ['a/b/../../..', ''],
    ['a/..b/c..', 'a/..b/c..'],
    ['.wh..wh..opq', '.wh..wh..opq']
  ])('%j → %j', (raw, expected) => {
    expect(normalisePath(raw)).toBe(expected);
  });
});

describe('paxRecords', () => {
  it('reads length-prefixed records, UTF-8 values, "=" inside values', () => {
    const data = paxData({ path: 'ä=b', 'SCHILY.xattr.user.x': 'v a l' });
    expect(paxRecords(data)).toEqual([
      ['path', 'ä=b'],
      ['SCHILY.xattr.user.x', 'v a l']
    ]);
  });

  it('NUL padding inside the record area is malformed, as Go reads it', () => {
    const data = Buffer.concat([paxData({ path: 'p' }), Buffer.alloc(10)]);
    expect(() => paxRecords(data, 512)).toThrow(/pax header at byte 512: malformed record at offset 9/);
  });

  it.each([
    ['no newline at the end of the record', '6 a=bc', /malformed record at offset 0$/],
    ['a hexadecimal length', '0x8 a=b\n', /malformed record at offset 0$/],
    ['a length in exponent form', '1e1 a=bcd\n', /malformed record at offset 0$/],
    ['a zero length after a record', '6 a=b\n0 x', /malformed record at offset 6$/],
    ['an empty key', '6 =ab\n', /record without "key=" at offset 0$/]
  ])('a malformed record is refused: %s', (_name, text, message) => {
    expect(() => paxRecords(Buffer.from(text, 'latin1'), 512)).toThrow(message);
  });
});

describe('pax sizes', () => {
  it('GNU.sparse.size (pax sparse 0.1) is the real size of the file', () => {
    const archive = tar(member({ name: 'x', type: 'x' }, paxData({ 'GNU.sparse.size': '4096' })), member({ name: 'sparse.img' }, 'abc'), member({ name: 'after' }, 'a'));
    expect(parse([archive])).toEqual([
      { path: 'sparse.img', type: 'file', size: 4096 },
      { path: 'after', type: 'file', size: 1 }
    ]);
  });

  it('a size with anything but digits is refused, a trailing space too', () => {
    const archive = tar(member({ name: 'x', type: 'x' }, paxData({ size: '1 ' })), member({ name: 'f' }, 'a'));
    expect(() => parse([archive])).toThrow(/size="1 " is not a size/);
  });
});

// ── Stream wrappers ──────────────────────────────────────────────────────────────────────────────

describe('the stream wrapper', () => {
  const archive = tar(member({ name: 'dir/', type: '5' }), member({ name: 'dir/f' }, Buffer.alloc(5000, 1)));
  const expected = [
    { path: 'dir', type: 'dir', size: 0 },
    { path: 'dir/f', type: 'file', size: 5000 }
  ];
  /** Chunks of 333 bytes: boundaries land everywhere. */
  const chunks = (): Readable => Readable.from(Array.from({ length: Math.ceil(archive.length / 333) }, (_, i) => archive.subarray(i * 333, (i + 1) * 333)));

  const discard = (): Writable => new Writable({ write: (_c, _e, cb) => cb() });

  it('createTarTap passes every byte through unchanged', async () => {
    const got: TarEntry[] = [];
    const out: Buffer[] = [];
    const sink = new Writable({
      write(c: Buffer, _e, cb) {
        out.push(c);
        cb();
      }
    });
    await pipeline(chunks(), createTarTap((e) => got.push(e)), sink);
    expect(got).toEqual(expected);
    expect(Buffer.concat(out).equals(archive)).toBe(true);
  });

  it('a truncated stream rejects the pipeline with a TarError', async () => {
    const cut = (): Promise<void> => pipeline(Readable.from([archive.subarray(0, 2000)]), createTarTap(() => undefined), discard());
    await expect(cut()).rejects.toThrow(/truncated tar stream/);
    await expect(cut()).rejects.toThrow(TarError);
  });

  it('a corrupt header rejects the pipeline', async () => {
    const corrupt = Buffer.from(archive);
    corrupt[10] = 0x41;
    await expect(pipeline(Readable.from([corrupt]), createTarTap(() => undefined), discard())).rejects.toThrow(/checksum mismatch/);
  });
});
