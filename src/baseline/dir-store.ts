// Baselines kept as files in one directory, for the command-line tool on a laptop. One file per key;
// the file name is derived from the key so that no key can name a path outside the directory. The
// semantics follow the Actions cache (actions-cache.ts): an entry, once written, is never replaced.
import { createHash, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import type { Stats } from 'node:fs';
import { link, lstat, mkdir, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import {
  BaselineStoreError,
  MAX_STORED_REPORT_BYTES,
  type BaselineStore,
  type StoredBaseline
} from './store.js';

/** Longest readable part of a file name; the whole name stays well under the usual 255-byte limit. */
const READABLE_NAME_CHARS = 120;
const READ_CHUNK_BYTES = 64 * 1024;

/**
 * The file name of `key`: the key with every character outside `[A-Za-z0-9._-]` replaced by `_`
 * (so a person can tell the files apart), then the sha256 of the exact key (so two keys that read
 * the same, `a/b` and `a_b`, never share a file). No `/`, `\` or NUL can survive, and the name never
 * is `.` or `..`, so it always names a file directly inside the directory. Pure.
 */
export function fileNameForKey(key: string): string {
  const readable = key.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, READABLE_NAME_CHARS);
  const digest = createHash('sha256').update(key, 'utf8').digest('hex');
  return `${readable}-${digest}.json`;
}

// Structural, not `instanceof Error`: errors from Node's own modules may come from another realm
// (jest's module sandbox), where instanceof answers false.
const errorCode = (error: unknown): string | undefined =>
  typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;

export const messageOf = (error: unknown): string =>
  typeof error === 'object' && error !== null && 'message' in error && typeof error.message === 'string'
    ? error.message
    : String(error);

/**
 * Reads a stored report: at most MAX_STORED_REPORT_BYTES, from a regular file that is not a symbolic
 * link. Resolves undefined when nothing is at `file`. What is stored is untrusted (a cache entry, a
 * shared directory, an artifact), so a link is never followed (it could point at any file the
 * process may read) and the size is bounded before anything is held in memory. `noun` names the
 * file in messages (`stored report`, `report`).
 */
export async function readStoredReport(file: string, noun = 'stored report'): Promise<string | undefined> {
  let kind: Stats;
  try {
    kind = await lstat(file);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw new BaselineStoreError(`cannot read ${noun} ${file}: ${messageOf(error)}`);
  }
  // lstat gives a clear message; O_NOFOLLOW below closes the gap of a link swapped in after it.
  if (kind.isSymbolicLink()) throw new BaselineStoreError(`${noun} ${file} is a symbolic link; refusing to follow it`);
  if (!kind.isFile()) throw new BaselineStoreError(`${noun} ${file} is not a regular file`);
  return readRegularFile(file, noun);
}

async function readRegularFile(file: string, noun: string): Promise<string> {
  let handle: FileHandle;
  try {
    // O_NONBLOCK: a FIFO swapped in after the lstat must not hang the open.
    handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    throw new BaselineStoreError(`cannot open ${noun} ${file}: ${messageOf(error)}`);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new BaselineStoreError(`${noun} ${file} is not a regular file`);
    if (stat.size > MAX_STORED_REPORT_BYTES) throw tooLarge(file, stat.size, noun);
    return await readCapped(handle, file, noun);
  } catch (error) {
    if (error instanceof BaselineStoreError) throw error;
    throw new BaselineStoreError(`cannot read ${noun} ${file}: ${messageOf(error)}`);
  } finally {
    await handle.close();
  }
}

/** The whole file, in chunks, failing as soon as it passes the cap (it may have grown since the fstat). */
async function readCapped(handle: FileHandle, file: string, noun: string): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const chunk = Buffer.alloc(READ_CHUNK_BYTES);
    const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
    if (bytesRead === 0) break;
    total += bytesRead;
    if (total > MAX_STORED_REPORT_BYTES) throw tooLarge(file, total, noun);
    chunks.push(chunk.subarray(0, bytesRead));
  }
  return Buffer.concat(chunks, total).toString('utf8');
}

function tooLarge(file: string, size: number, noun: string): BaselineStoreError {
  return new BaselineStoreError(`${noun} ${file} is larger than ${MAX_STORED_REPORT_BYTES} bytes (${size}); refusing to read it`);
}

/** Refuses a report too large to be read back (a save that can never be found is a silent failure). */
export function checkReportSize(text: string): void {
  const size = Buffer.byteLength(text, 'utf8');
  if (size > MAX_STORED_REPORT_BYTES) {
    throw new BaselineStoreError(`report is larger than ${MAX_STORED_REPORT_BYTES} bytes (${size}); not storing it`);
  }
}

export class DirectoryStore implements BaselineStore {
  readonly description: string;

  constructor(private readonly directory: string) {
    this.description = `directory ${directory}`;
  }

  /** Where the report of `key` is (or would be) kept. */
  pathOf(key: string): string {
    return path.join(this.directory, fileNameForKey(key));
  }

  async find(keys: readonly string[]): Promise<StoredBaseline | undefined> {
    for (const key of keys) {
      const text = await readStoredReport(this.pathOf(key));
      if (text !== undefined) return { key, text };
    }
    return undefined;
  }

  async save(key: string, text: string): Promise<boolean> {
    checkReportSize(text);
    const target = this.pathOf(key);
    try {
      await mkdir(this.directory, { recursive: true });
    } catch (error) {
      throw new BaselineStoreError(`cannot create ${this.directory}: ${messageOf(error)}`);
    }
    const temp = await this.writeTemp(target, text);
    try {
      return await publish(temp, target);
    } finally {
      await unlink(temp).catch(() => undefined);
    }
  }

  /** Writes `text` to a new temporary file beside `target` and flushes it to disk. */
  private async writeTemp(target: string, text: string): Promise<string> {
    // A leading dot and a random suffix: never a name fileNameForKey gives, never an existing file.
    const temp = path.join(this.directory, `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
      const handle = await open(temp, flags, 0o644);
      try {
        await handle.writeFile(text, 'utf8');
        // Flushed before it becomes visible: a crash never leaves a short report under the key.
        await handle.sync();
      } finally {
        await handle.close();
      }
      return temp;
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      throw new BaselineStoreError(`cannot write ${temp}: ${messageOf(error)}`);
    }
  }
}

/**
 * Makes the complete temporary file visible under `target` unless something is there already;
 * resolves false then. rename() would replace an existing entry (two writers racing would both
 * "win"); link() fails with EEXIST instead, atomically, which is the Actions cache's "entries are
 * immutable". On a file system without hard links (FAT, some network mounts) it falls back to a
 * check then rename, which keeps the old entry except against a writer racing within that instant.
 */
async function publish(temp: string, target: string): Promise<boolean> {
  try {
    await link(temp, target);
    return true;
  } catch (error) {
    const code = errorCode(error);
    if (code === 'EEXIST') return keepExisting(target);
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') {
      throw new BaselineStoreError(`cannot store ${target}: ${messageOf(error)}`);
    }
  }
  if (await exists(target)) return keepExisting(target);
  try {
    await rename(temp, target);
    return true;
  } catch (error) {
    throw new BaselineStoreError(`cannot store ${target}: ${messageOf(error)}`);
  }
}

/** An entry already at `target`: kept when it is a report file, refused when it is anything else. */
async function keepExisting(target: string): Promise<false> {
  let kind: Stats;
  try {
    kind = await lstat(target);
  } catch (error) {
    throw new BaselineStoreError(`cannot inspect ${target}: ${messageOf(error)}`);
  }
  if (!kind.isFile()) {
    throw new BaselineStoreError(`${target} exists and is not a regular file (a symbolic link or a directory)`);
  }
  return false;
}

async function exists(file: string): Promise<boolean> {
  try {
    await lstat(file);
    return true;
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return false;
    throw new BaselineStoreError(`cannot inspect ${file}: ${messageOf(error)}`);
  }
}
