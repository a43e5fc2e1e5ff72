// Reads an image archive streamed as tar (a `docker save`, or an OCI layout that buildx exports to a
// stream) in one pass, with tar.ts, the one tar reader. Entries arrive in any order and the index
// comes after the blobs, so every regular file is handed to a summary (made by the caller: what to
// compute while its content streams past) and only the summaries are kept, never the content. Links
// are noted. The archive must end with the end-of-archive marker, or it was cut short.
import path from 'node:path';
import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { LimitError, MeasureBudget, isAbortError, timeoutError } from './limits.js';
import { readBytes } from './stream-garbage.js';
import { TarError, TarParser, normalisePath, type TarContentSink, type TarEntry } from './tar.js';

/** Largest total of JSON documents kept for one archive (legacy saves keep a small JSON per layer). */
export const MAX_SAVED_JSON_TOTAL = 64 * 1024 * 1024;
/** Bytes pushed to the tar reader between two waits for the files it finished. */
const PIECE = 64 * 1024;

/** The stream is not a readable tar archive, or not a complete one. */
export class ArchiveError extends Error {
  constructor(
    message: string,
    /** The stream ended early: what wrote it may have failed, and has the better message. */
    readonly truncated = false
  ) {
    super(message);
    this.name = 'ArchiveError';
  }
}

/** What is kept of one regular file. */
export interface Summarized {
  readonly size: number;
  /** The content of a small JSON document. */
  readonly text?: string;
}

/** Computes a file's summary while its content streams past. */
export interface FileSummarizer<F extends Summarized> {
  write(data: Buffer): void;
  /** Resolves once the summarizer can take more. */
  drained(): Promise<void>;
  /** Frees what a file that will not be finished holds (the stream failed). */
  destroy(): void;
  end(): Promise<F>;
}

/** The regular files of an archive by normalised path, and its links (path → the path they name). */
export interface ArchiveContents<F extends Summarized> {
  readonly files: ReadonlyMap<string, F>;
  readonly links: ReadonlyMap<string, string>;
}

export interface ArchiveOptions<F extends Summarized> {
  /** How the archive is named in messages (`docker save output`). */
  readonly label: string;
  readonly budget: MeasureBudget;
  /** A summarizer for a regular file of `size` bytes, named `name` in limit messages. */
  readonly summarize: (size: number, name: string) => FileSummarizer<F>;
}

/** Reads an archive to its end-of-archive marker, summarising every regular file. */
export async function readArchive<F extends Summarized>(stream: Readable, options: ArchiveOptions<F>): Promise<ArchiveContents<F>> {
  const { budget } = options;
  const reader = new ArchiveReader(options);
  try {
    await pipeline(stream, reader.sink(), { signal: AbortSignal.timeout(budget.remainingMs()) });
  } catch (e) {
    if (!isAbortError(e)) throw e;
    const timeout = timeoutError(budget.limits.timeoutMs);
    const at = reader.reading();
    throw at ? new LimitError(timeout.detail, blobName(at)) : timeout;
  }
  return reader.contents();
}

/** How a file of an archive is named in a limit's message: `sha256:<hex>` for a blob, else its path. */
export function blobName(entryPath: string): string {
  const blob = /^blobs\/sha256\/([0-9a-f]{64})$/.exec(entryPath);
  return blob ? `sha256:${blob[1]}` : entryPath;
}

/** A regular file read to its end, or a link: applied to the contents in archive order. */
type Read<F extends Summarized> =
  | { readonly path: string; readonly summary: FileSummarizer<F> }
  | { readonly path: string; readonly link: string };

/**
 * The outer archive, read by tar.ts: every regular file's content streams into its summarizer, links
 * are noted. The archive's own entries are held to the path and entry limits, counted apart from the layers'.
 */
class ArchiveReader<F extends Summarized> {
  private readonly parser: TarParser;
  private readonly files = new Map<string, F>();
  private readonly links = new Map<string, string>();
  /** Entries read in the last chunk, to apply once their summaries are finished. */
  private readonly queue: Array<Read<F>> = [];
  /** The file whose content is streaming now. */
  private current: { readonly path: string; readonly summary: FileSummarizer<F> } | undefined;
  private keptTotal = 0;

  constructor(private readonly options: ArchiveOptions<F>) {
    this.parser = new TarParser(() => undefined, new MeasureBudget(options.budget.limits), (entry, linkpath) => this.entry(entry, linkpath));
  }

  contents(): ArchiveContents<F> {
    return { files: this.files, links: this.links };
  }

  /** The path of the file whose content is streaming now, if any. */
  reading(): string | undefined {
    return this.current?.path;
  }

  /** The Writable the archive streams into. */
  sink(): Writable {
    const step = (run: () => Promise<void>, callback: (error?: Error | null) => void): void => {
      run().then(() => callback(), (e: unknown) => callback(e instanceof TarError ? this.tarError(e) : (e as Error)));
    };
    return new Writable({
      highWaterMark: 1024 * 1024,
      write: (chunk: Buffer, _encoding, callback) => {
        readBytes(chunk.length);
        step(() => this.write(chunk), callback);
      },
      final: (callback) => step(() => this.final(), callback),
      destroy: (error, callback) => {
        this.current?.summary.destroy();
        for (const read of this.queue) if ('summary' in read) read.summary.destroy();
        callback(error);
      }
    });
  }

  private async write(chunk: Buffer): Promise<void> {
    // In pieces: the summaries of many small files end a few at a time.
    for (let at = 0; at < chunk.length; at += PIECE) {
      this.parser.push(chunk.subarray(at, at + PIECE));
      await this.settle();
    }
  }

  private async final(): Promise<void> {
    this.parser.end();
    await this.settle();
    if (!this.parser.complete) throw new ArchiveError(`${this.options.label} ended before the end-of-archive marker: the archive is incomplete`, true);
  }

  private entry(entry: TarEntry, linkpath: string): TarContentSink | undefined {
    if (entry.type === 'hardlink' || entry.type === 'symlink') {
      // Hard links name a path of the archive; symlinks a path relative to their folder.
      const target = entry.type === 'symlink' && !linkpath.startsWith('/') ? `${path.posix.dirname(entry.path)}/${linkpath}` : linkpath;
      this.queue.push({ path: entry.path, link: normalisePath(target) });
      return undefined;
    }
    if (entry.type !== 'file') return undefined;
    const summary = this.options.summarize(entry.size, blobName(entry.path));
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
        throw new ArchiveError(`${this.options.label} holds more than ${MAX_SAVED_JSON_TOTAL} bytes of JSON documents`);
      }
      this.files.set(read.path, file);
      this.links.delete(read.path);
    }
    await this.current?.summary.drained();
  }

  private tarError(e: TarError): ArchiveError {
    const { label } = this.options;
    return e.truncated
      ? new ArchiveError(`${label} ended in the middle of an entry (${e.message}): the archive is incomplete`, true)
      : new ArchiveError(`not a tar archive (${label}): ${e.message}`);
  }
}
