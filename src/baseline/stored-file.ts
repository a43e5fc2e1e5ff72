// Reading a stored report file safely. What is stored is untrusted (an Actions cache entry, an artifact
// a pull request uploaded), so the file is read only when it is a regular file and not a symbolic
// link (lstat, then O_NOFOLLOW and O_NONBLOCK on the open), and never past MAX_STORED_REPORT_BYTES.
// readStoredReport reads the files the reports input names (workspace/report-files.ts); checkReportSize
// bounds what the Actions cache store writes (actions-cache.ts), which reads its entries in memory.
import { constants } from 'node:fs';
import type { Stats } from 'node:fs';
import { lstat, open, type FileHandle } from 'node:fs/promises';
import { BaselineStoreError, MAX_STORED_REPORT_BYTES } from './store.js';
import { errorCode, errorMessage } from '../errors.js';

const READ_CHUNK_BYTES = 64 * 1024;

/**
 * Reads a stored report: at most MAX_STORED_REPORT_BYTES, from a regular file that is not a symbolic
 * link. Resolves undefined when nothing is at `file`. What is stored is untrusted (a cache entry, an
 * artifact), so a link is never followed (it could point at any file the process may read) and the
 * size is bounded before anything is held in memory. `noun` names the file in messages (`stored
 * report`, `report`).
 */
export async function readStoredReport(file: string, noun = 'stored report'): Promise<string | undefined> {
  let kind: Stats;
  try {
    kind = await lstat(file);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw new BaselineStoreError(`cannot read ${noun} ${file}: ${errorMessage(error)}`);
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
    throw new BaselineStoreError(`cannot open ${noun} ${file}: ${errorMessage(error)}`);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new BaselineStoreError(`${noun} ${file} is not a regular file`);
    if (stat.size > MAX_STORED_REPORT_BYTES) throw tooLarge(file, stat.size, noun);
    return await readCapped(handle, file, noun);
  } catch (error) {
    if (error instanceof BaselineStoreError) throw error;
    throw new BaselineStoreError(`cannot read ${noun} ${file}: ${errorMessage(error)}`);
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
