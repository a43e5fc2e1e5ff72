// Measures the image(s) of a `docker save` tar stream, read in one pass: the path the action takes
// when the builder can only load images into the engine (the `docker` driver on the classic image
// store, which cannot export an OCI layout).
//
// What `docker save` writes:
// - Docker 25+ (dockerd 26.1 here): an OCI layout inside the tar (`oci-layout`, `index.json`,
//   `blobs/sha256/<hex>`) plus the legacy `manifest.json` and `repositories`, the blobs first;
// - older engines: `manifest.json` (`Config: "<id>.json"`, `Layers: ["<id>/layer.tar"]`), one folder
//   per layer, and symlinks for a layer listed twice.
// The archive is read by tar.ts, the one tar reader, under its rules; the stream must end with the
// end-of-archive marker (docker writes it; without it the stream was cut short). Entries arrive in
// any order and index.json comes after the blobs, so every regular file is summarised while its
// content streams past: its length, its sha256 and the length of its gzip compression (zlib, default
// level, output only counted), and the small JSON documents (at most 4 MiB) are kept. No layer is
// ever held in memory. At the end save-images.ts assembles the summaries into ImageStats.
// The limits of limits.ts apply as for OCI layouts: each file's size against its gzip estimate (a
// layer of zeros inflated by the engine), the total, entries, paths, and the time of the whole read.
import { createHash, type Hash } from 'node:crypto';
import { once } from 'node:events';
import path from 'node:path';
import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip, type Gzip } from 'node:zlib';
import type { ImageStats } from '../model.js';
import { LimitError, MeasureBudget, isAbortError, limitMessage, timeoutError } from './limits.js';
import { MAX_JSON_BLOB } from './image-rules.js';
import { imagesFromSave, type DockerSaveOptions, type SaveContents, type SavedFile } from './save-images.js';
import { TarError, TarParser, normalisePath, type TarContentSink, type TarEntry } from './tar.js';

export type { DockerSaveOptions } from './save-images.js';

/** Largest total of JSON documents kept for one save (legacy saves keep a small JSON per layer). */
export const MAX_SAVED_JSON_TOTAL = 64 * 1024 * 1024;
/** Bytes pushed to the tar reader between two waits for the files it finished. */
const PIECE = 64 * 1024;

/** The stream is not a readable tar archive, or not a complete one. */
export class SaveTarError extends Error {
  constructor(
    message: string,
    /** The stream ended early: what wrote it may have failed, and has the better message. */
    readonly truncated = false
  ) {
    super(message);
    this.name = 'SaveTarError';
  }
}

/** One ImageStats per image of the `docker save` tar stream `stream`, read once. */
export async function measureDockerSave(stream: Readable, opts: DockerSaveOptions): Promise<ImageStats[]> {
  const budget = new MeasureBudget(opts.limits);
  try {
    return imagesFromSave(await readSaveTar(stream, { entries: opts.files === true, budget }), opts);
  } catch (e) {
    if (e instanceof LimitError) throw new Error(limitMessage(opts.target, e.layer, e.detail));
    throw e;
  }
}

// ── Reading the tar stream ───────────────────────────────────────────────────────────────────────

/** Reads a save tar to its end-of-archive marker, summarising every regular file. */
export async function readSaveTar(
  stream: Readable,
  options: { readonly entries?: boolean; readonly budget?: MeasureBudget } = {}
): Promise<SaveContents> {
  const budget = options.budget ?? new MeasureBudget();
  const reader = new SaveReader(options.entries === true, budget);
  try {
    await pipeline(stream, reader.sink(), { signal: AbortSignal.timeout(budget.remainingMs()) });
  } catch (e) {
    if (!isAbortError(e)) throw e;
    const timeout = timeoutError(budget.limits.timeoutMs);
    const at = reader.reading();
    throw at ? new LimitError(timeout.detail, layerName(at)) : timeout;
  }
  return reader.contents();
}

/** How a file of the save is named in a limit's message: `sha256:<hex>` for a blob, else its path. */
function layerName(entryPath: string): string {
  const blob = /^blobs\/sha256\/([0-9a-f]{64})$/.exec(entryPath);
  return blob ? `sha256:${blob[1]}` : entryPath;
}

/** Summarises one file while it streams: length, sha256, gzip length, and the text of a small JSON file. */
class FileSummary {
  private size = 0;
  private readonly hash: Hash = createHash('sha256');
  private readonly gzip: Gzip = createGzip();
  private gzipBytes = 0;
  private gzipError: Error | undefined;
  /** The compressor's buffer is full: wait for it to drain before more is read. */
  private full = false;
  /** Kept while the file may be JSON: undefined once it cannot be. */
  private chunks: Buffer[] | undefined;
  private looked = false;
  /** With entries asked for: the file read as a tar, until it turns out not to be one. */
  private tar: { readonly parser: TarParser; readonly entries: TarEntry[] } | undefined;

  constructor(
    declaredSize: number,
    entries: boolean,
    private readonly budget: MeasureBudget,
    /** The file's name in limit messages. */
    private readonly name: string
  ) {
    this.chunks = declaredSize <= MAX_JSON_BLOB ? [] : undefined;
    // A tar stream is at least its two zero blocks long.
    if (entries && declaredSize >= 1024) {
      const list: TarEntry[] = [];
      this.tar = { parser: new TarParser((e) => list.push(e), budget), entries: list };
    }
    this.gzip.on('data', (c: Buffer) => {
      this.gzipBytes += c.length;
    });
    this.gzip.on('error', (e: Error) => {
      this.gzipError = e;
    });
  }

  write(data: Buffer): void {
    this.size += data.length;
    try {
      this.budget.inflated(data.length, this.size, this.gzipBytes);
    } catch (e) {
      throw e instanceof LimitError && e.layer === undefined ? new LimitError(e.detail, this.name) : e;
    }
    this.hash.update(data);
    if (this.chunks) {
      if (!this.looked) {
        const first = data.findIndex((b) => b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d);
        if (first >= 0) {
          this.looked = true;
          if (data[first] !== 0x7b && data[first] !== 0x5b) this.chunks = undefined;
        }
      }
      // Copied: the chunk is a view of a buffer the stream may reuse.
      this.chunks?.push(Buffer.from(data));
    }
    if (this.tar) {
      try {
        this.tar.parser.push(data);
      } catch (e) {
        // A file that is no tar stream (a config) just has no entries; a limit reached in one that is stops the read.
        if (e instanceof LimitError) throw new LimitError(e.detail, this.name);
        this.tar = undefined;
      }
    }
    if (this.gzipError) throw this.gzipError;
    if (!this.gzip.write(data)) this.full = true;
  }

  /** Resolves once the compressor can take more. */
  async drained(): Promise<void> {
    if (this.full) await once(this.gzip, 'drain');
    this.full = false;
  }

  /** Frees the compressor of a file that will not be finished (the stream failed). */
  destroy(): void {
    this.gzip.destroy();
  }

  async end(): Promise<SavedFile> {
    const ended = once(this.gzip, 'end');
    this.gzip.end();
    await ended;
    if (this.gzipError) throw this.gzipError;
    const text = this.chunks && this.looked ? Buffer.concat(this.chunks).toString('utf8') : undefined;
    let entries: readonly TarEntry[] | undefined;
    try {
      this.tar?.parser.end();
      entries = this.tar?.entries;
    } catch {
      entries = undefined;
    }
    return {
      size: this.size,
      digest: `sha256:${this.hash.digest('hex')}`,
      gzipBytes: this.gzipBytes,
      ...(text !== undefined ? { text } : {}),
      ...(entries !== undefined ? { entries } : {})
    };
  }
}

/** A regular file read to its end, or a link: applied to the contents in archive order. */
type Read = { readonly path: string; readonly summary: FileSummary } | { readonly path: string; readonly link: string };

/**
 * The outer archive, read by tar.ts: every regular file's content streams into its FileSummary, links
 * are noted. The save's own entries are held to the path and entry limits, counted apart from the layers'.
 */
class SaveReader {
  private readonly parser: TarParser;
  private readonly files = new Map<string, SavedFile>();
  private readonly links = new Map<string, string>();
  /** Entries read in the last chunk, to apply once their summaries are finished. */
  private readonly queue: Read[] = [];
  /** The file whose content is streaming now. */
  private current: { readonly path: string; readonly summary: FileSummary } | undefined;
  private keptTotal = 0;

  constructor(
    private readonly entries: boolean,
    private readonly budget: MeasureBudget
  ) {
    this.parser = new TarParser(() => undefined, new MeasureBudget(budget.limits), (entry, linkpath) => this.entry(entry, linkpath));
  }

  contents(): SaveContents {
    return { files: this.files, links: this.links };
  }

  /** The path of the file whose content is streaming now, if any. */
  reading(): string | undefined {
    return this.current?.path;
  }

  /** The Writable the save streams into. */
  sink(): Writable {
    const step = (run: () => Promise<void>, callback: (error?: Error | null) => void): void => {
      run().then(() => callback(), (e: unknown) => callback(e instanceof TarError ? saveTarError(e) : (e as Error)));
    };
    return new Writable({
      highWaterMark: 1024 * 1024,
      write: (chunk: Buffer, _encoding, callback) => step(() => this.write(chunk), callback),
      final: (callback) => step(() => this.final(), callback),
      destroy: (error, callback) => {
        this.current?.summary.destroy();
        for (const read of this.queue) if ('summary' in read) read.summary.destroy();
        callback(error);
      }
    });
  }

  private async write(chunk: Buffer): Promise<void> {
    // In pieces: the summaries (each with its compressor) of many small files end a few at a time.
    for (let at = 0; at < chunk.length; at += PIECE) {
      this.parser.push(chunk.subarray(at, at + PIECE));
      await this.settle();
    }
  }

  private async final(): Promise<void> {
    this.parser.end();
    await this.settle();
    if (!this.parser.complete) throw new SaveTarError('docker save output ended before the end-of-archive marker: the archive is incomplete', true);
  }

  private entry(entry: TarEntry, linkpath: string): TarContentSink | undefined {
    if (entry.type === 'hardlink' || entry.type === 'symlink') {
      // Hard links name a path of the archive; symlinks a path relative to their folder.
      const target = entry.type === 'symlink' && !linkpath.startsWith('/') ? `${path.posix.dirname(entry.path)}/${linkpath}` : linkpath;
      this.queue.push({ path: entry.path, link: normalisePath(target) });
      return undefined;
    }
    if (entry.type !== 'file') return undefined;
    const summary = new FileSummary(entry.size, this.entries, this.budget, layerName(entry.path));
    this.current = { path: entry.path, summary };
    return {
      write: (data) => summary.write(data),
      end: () => {
        this.queue.push({ path: entry.path, summary });
        this.current = undefined;
      }
    };
  }

  /** Applies what the last chunk finished, in archive order (a later entry of a path replaces the earlier one, as when unpacking). */
  private async settle(): Promise<void> {
    for (let read = this.queue.shift(); read; read = this.queue.shift()) {
      if ('link' in read) {
        this.links.set(read.path, read.link);
        this.files.delete(read.path);
        continue;
      }
      const file = await read.summary.end();
      if (file.text !== undefined && (this.keptTotal += file.size) > MAX_SAVED_JSON_TOTAL) {
        throw new SaveTarError(`docker save output holds more than ${MAX_SAVED_JSON_TOTAL} bytes of JSON documents`);
      }
      this.files.set(read.path, file);
      this.links.delete(read.path);
    }
    await this.current?.summary.drained();
  }
}

function saveTarError(e: TarError): SaveTarError {
  return e.truncated
    ? new SaveTarError(`docker save output ended in the middle of an entry (${e.message}): the archive is incomplete`, true)
    : new SaveTarError(`not a tar archive (docker save output): ${e.message}`);
}

