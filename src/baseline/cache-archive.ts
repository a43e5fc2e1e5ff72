// A baseline's Actions cache entry, made and read in memory, laid out as @actions/cache 6 lays out an
// entry of the one path `image-budget-baseline.json` on a runner with zstd (GitHub's runners have
// it), so that entries written by either read back in both:
// - the archive is a tar holding that one file, compressed with zstd (the library's
//   `zstd-without-long`: a plain zstd frame);
// - the entry's version is the sha256 of `image-budget-baseline.json|zstd-without-long|1.0` (the path,
//   the compression method, the library's salt).
// What is read back is untrusted (RELIABILITY row 28): whoever could write an entry under the key
// chose its bytes. Nothing is extracted to disk; the archive is inflated with a cap, read with the one
// tar reader (image/tar.ts), and refused unless it holds exactly one regular file, the report, within
// MAX_STORED_REPORT_BYTES. Pure: no I/O.
import { createHash } from 'node:crypto';
import { zstdCompressSync, zstdDecompressSync } from 'node:zlib';
import { layerCompressionOf } from '../image/layer-stream.js';
import { TarError, TarParser, type TarContentSink, type TarEntry } from '../image/tar.js';
import { errorMessage } from '../errors.js';
import { BaselineStoreError, MAX_STORED_REPORT_BYTES } from './store.js';

/** The one member of the archive, and the path the entry's version is made of. */
export const BASELINE_FILE = 'image-budget-baseline.json';

/** The compression method as @actions/cache names it in a version. */
const COMPRESSION = 'zstd-without-long';

/** @actions/cache's version of an entry of `paths` (its `getCacheVersion`, on Linux and macOS). */
export function cacheVersion(paths: readonly string[], compression = COMPRESSION): string {
  return createHash('sha256').update([...paths, compression, '1.0'].join('|')).digest('hex');
}

/** The version of every baseline entry. */
export const BASELINE_VERSION = cacheVersion([BASELINE_FILE]);

/** Largest archive taken from the cache, compressed or inflated: the report, its header, the end marker. */
export const MAX_ARCHIVE_BYTES = MAX_STORED_REPORT_BYTES + 64 * 1024;

const BLOCK = 512;

/** The entry's bytes for `text`: a ustar archive of BASELINE_FILE (mode 0644, owner 0), zstd-compressed. */
export function packBaseline(text: string, mtime: Date = new Date(0)): Buffer {
  const content = Buffer.from(text, 'utf8');
  const header = Buffer.alloc(BLOCK);
  const field = (at: number, length: number, value: string): void => void header.write(value, at, length, 'ascii');
  const octal = (at: number, length: number, value: number): void => field(at, length, `${value.toString(8).padStart(length - 1, '0')}\0`);
  field(0, 100, BASELINE_FILE);
  octal(100, 8, 0o644);
  octal(108, 8, 0);
  octal(116, 8, 0);
  octal(124, 12, content.length);
  octal(136, 12, Math.floor(mtime.getTime() / 1000));
  field(148, 8, ' '.repeat(8));
  field(156, 1, '0');
  field(257, 8, 'ustar\u000000');
  let sum = 0;
  for (const byte of header) sum += byte;
  field(148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  const padding = Buffer.alloc((BLOCK - (content.length % BLOCK)) % BLOCK);
  return zstdCompressSync(Buffer.concat([header, content, padding, Buffer.alloc(2 * BLOCK)]));
}

/**
 * The report text an entry holds. Throws BaselineStoreError, naming the entry by `key` (and never
 * quoting what it holds), for anything but a zstd tar of exactly one regular file BASELINE_FILE
 * within the size cap.
 */
export function unpackBaseline(data: Buffer, key: string): string {
  const entry = `the Actions cache entry ${key}`;
  if (data.length > MAX_ARCHIVE_BYTES) throw new BaselineStoreError(`${entry} is larger than ${MAX_ARCHIVE_BYTES} bytes; it is refused`);
  if (layerCompressionOf(data) !== 'zstd') throw new BaselineStoreError(`${entry} is not a zstd archive; it is refused`);
  let tar: Buffer;
  let read: number;
  try {
    const inflated = zstdDecompressSync(data, { maxOutputLength: MAX_ARCHIVE_BYTES, info: true }) as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
    [tar, read] = [inflated.buffer, inflated.engine.bytesWritten];
  } catch (error) {
    throw new BaselineStoreError(`${entry} cannot be decompressed (${errorMessage(error)}); it is refused`);
  }
  // Node inflates the first zstd frame only; the library's writers make one. More is refused, not cut short.
  if (read !== data.length) throw new BaselineStoreError(`${entry} holds more than one zstd frame; it is refused`);
  const { members, content } = readMembers(tar, entry);
  const [first] = members;
  if (members.length > 1 || (first && first.path !== BASELINE_FILE)) {
    const others = members.length - (first?.path === BASELINE_FILE ? 1 : 0);
    throw new BaselineStoreError(
      `${entry} holds more than ${BASELINE_FILE} (${others} other member${others === 1 ? '' : 's'}, ` +
        'or paths outside its folder); it is refused'
    );
  }
  if (!first) throw new BaselineStoreError(`${entry} did not hold ${BASELINE_FILE}`);
  if (first.type === 'symlink' || first.type === 'hardlink') {
    const link = first.type === 'symlink' ? 'a symbolic link' : 'a hard link';
    throw new BaselineStoreError(`${BASELINE_FILE} in ${entry} is ${link}; refusing to follow it`);
  }
  if (first.type !== 'file') throw new BaselineStoreError(`${BASELINE_FILE} in ${entry} is not a regular file`);
  if (first.size > MAX_STORED_REPORT_BYTES) {
    throw new BaselineStoreError(`${BASELINE_FILE} in ${entry} is larger than ${MAX_STORED_REPORT_BYTES} bytes (${first.size}); refusing to read it`);
  }
  return Buffer.concat(content).toString('utf8');
}

/** Every member of `tar`, and the content of the first regular file among them (at most the cap). */
function readMembers(tar: Buffer, entry: string): { members: TarEntry[]; content: Buffer[] } {
  const members: TarEntry[] = [];
  const content: Buffer[] = [];
  const sink: TarContentSink = { write: (piece) => void content.push(Buffer.from(piece)), end: () => undefined };
  const pick = (member: TarEntry): TarContentSink | undefined =>
    members.length === 1 && member.type === 'file' && member.size <= MAX_STORED_REPORT_BYTES ? sink : undefined;
  const parser = new TarParser((member) => void members.push(member), undefined, pick);
  try {
    parser.push(tar);
    parser.end();
  } catch (error) {
    // A TarError or a LimitError; their text may quote member names, which the archive chose.
    const what = error instanceof TarError ? 'a readable tar archive' : 'within the limits of a tar archive';
    throw new BaselineStoreError(`${entry} is not ${what}; it is refused`);
  }
  return { members, content };
}
