// Measures the image(s) of a `docker save` tar stream, read in one pass: the path the action takes
// when the builder can only load images into the engine (the `docker` driver on the classic image
// store, which cannot export an OCI layout).
//
// What `docker save` writes:
// - Docker 25+ (dockerd 26.1 here): an OCI layout inside the tar (`oci-layout`, `index.json`,
//   `blobs/sha256/<hex>`) plus the legacy `manifest.json` and `repositories`, the blobs first;
// - older engines: `manifest.json` (`Config: "<id>.json"`, `Layers: ["<id>/layer.tar"]`), one folder
//   per layer, and symlinks for a layer listed twice.
// The archive is read by archive-reader.ts (with tar.ts, the one tar reader); the stream must end with
// the end-of-archive marker (docker writes it; without it the stream was cut short). Entries arrive in
// any order and index.json comes after the blobs, so every regular file is summarised while its
// content streams past: its length, its sha256 and the length of its gzip compression (zlib, default
// level, output only counted), and the small JSON documents (at most 4 MiB) are kept. No layer is
// ever held in memory. At the end save-images.ts assembles the summaries into ImageStats.
// The limits of limits.ts apply as for OCI layouts: each file's size against its gzip estimate (a
// layer of zeros inflated by the engine), the total, entries, paths, and the time of the whole read.
import { createHash, type Hash } from 'node:crypto';
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import { createGzip, type Gzip } from 'node:zlib';
import type { ImageStats } from '../model.js';
import { readArchive, type FileSummarizer } from './archive-reader.js';
import { LimitError, MeasureBudget, limitMessage } from './limits.js';
import { MAX_JSON_BLOB } from './image-rules.js';
import { imagesFromSave, type DockerSaveOptions, type SaveContents, type SavedFile } from './save-images.js';
import { TarParser, type TarEntry } from './tar.js';

export type { DockerSaveOptions } from './save-images.js';

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
export function readSaveTar(
  stream: Readable,
  options: { readonly entries?: boolean; readonly budget?: MeasureBudget } = {}
): Promise<SaveContents> {
  const budget = options.budget ?? new MeasureBudget();
  const entries = options.entries === true;
  return readArchive(stream, { label: 'docker save output', budget, summarize: (size, name) => new FileSummary(size, entries, budget, name) });
}

/** Summarises one file while it streams: length, sha256, gzip length, and the text of a small JSON file. */
class FileSummary implements FileSummarizer<SavedFile> {
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
