// Measures the image(s) of a `docker save` tar stream, read in one pass: the path the action takes
// when the builder can only load images into the engine (the `docker` driver on the classic image
// store, which cannot export an OCI layout).
//
// What `docker save` writes:
// - Docker 25+ (dockerd 26.1 here): an OCI layout inside the tar (`oci-layout`, `index.json`,
//   `blobs/sha256/<hex>`) plus the legacy `manifest.json` and `repositories`, the blobs first;
// - older engines: `manifest.json` (`Config: "<id>.json"`, `Layers: ["<id>/layer.tar"]`), one folder
//   per layer, and symlinks for a layer listed twice.
// Entries arrive in any order and index.json comes after the blobs, so every regular file is
// summarised while it streams past: its length, its sha256 and the length of its gzip compression
// (zlib, default level, output only counted), and the small JSON documents (at most 4 MiB) are kept.
// No layer is ever held in memory. At the end the summaries are assembled into ImageStats:
// uncompressed sizes are exact (the classic store's layers are uncompressed tar streams), compressed
// sizes are the gzip estimates (`compressedEstimated: true`, method `docker-save`).
// The limits of limits.ts apply as for OCI layouts: each file's size against its gzip estimate (a
// layer of zeros inflated by the engine), the total, entries, paths, and the time of the whole read.
import { createHash, type Hash } from 'node:crypto';
import { once } from 'node:events';
import path from 'node:path';
import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip, type Gzip } from 'node:zlib';
import type { FileStats, ImageStats, LayerStats } from '../model.js';
import { FileSystemModel } from './files.js';
import { LimitError, MeasureBudget, isAbortError, limitMessage, timeoutError, type MeasureLimits } from './limits.js';
import { UNKNOWN_INSTRUCTION, historyLayerCount, layerInstructions } from './history.js';
import {
  MediaType,
  isAttestationManifest,
  isConfigMediaType,
  isIndexMediaType,
  isManifestMediaType,
  isSha256Digest,
  layerCompression,
  parseConfig,
  parseIndex,
  parseLayoutFile,
  parseManifest,
  platformString,
  type Descriptor,
  type HistoryEntry,
  type ImageConfig
} from './oci.js';
import { TarParser, type TarEntry } from './tar.js';

/** Largest JSON document kept in memory (index, manifest, config), as for OCI layouts. */
export const MAX_SAVED_JSON = 4 * 1024 * 1024;
/** Largest total of JSON documents kept for one save (legacy saves keep a small JSON per layer). */
export const MAX_SAVED_JSON_TOTAL = 64 * 1024 * 1024;
/** Largest pax record or GNU long name accepted. */
const MAX_META = 1024 * 1024;
/** Nested image indexes followed before giving up. */
const MAX_INDEX_DEPTH = 4;
const BLOCK = 512;

export interface DockerSaveOptions {
  /** The Dockerfile target the image was built from, copied into each ImageStats. */
  readonly target: string;
  /** The platform asked for (`--platform`), if any: a warning is given when the image is another one. */
  readonly platform?: string;
  /** Build-arg values: redacted from the layers' instructions. */
  readonly secrets: readonly string[];
  /** Told when a number stands but something about it is doubtful. */
  readonly onWarning?: (message: string) => void;
  /**
   * Also list each layer's tar entries in the same pass and set ImageStats.files (final files,
   * wasted space). Every regular file large enough to be a tar is then parsed as one too; what
   * does not parse (configs, JSON) simply has no entry list.
   */
  readonly files?: boolean;
  /** The limits of limits.ts; DEFAULT_LIMITS when not given (tests give smaller ones). */
  readonly limits?: MeasureLimits;
}

/** What one regular file of the save tar was, summarised while it streamed past. */
export interface SavedFile {
  /** Length in bytes. */
  readonly size: number;
  /** `sha256:<hex>` of the content. */
  readonly digest: string;
  /** Length of its gzip compression (zlib, default level): the compressed-size estimate. */
  readonly gzipBytes: number;
  /** The content, for small files that look like JSON (first non-blank byte `{` or `[`). */
  readonly text?: string;
  /** With `files`: the entries of the file read as a tar stream, when it is one. */
  readonly entries?: readonly TarEntry[];
}

/** The regular files of a save tar by normalised path, and its links (path → the path they name). */
export interface SaveContents {
  readonly files: ReadonlyMap<string, SavedFile>;
  readonly links: ReadonlyMap<string, string>;
}

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
  const reader = new SaveTarReader(options.entries === true, budget);
  try {
    await pipeline(stream, reader, { signal: AbortSignal.timeout(budget.remainingMs()) });
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
    this.chunks = declaredSize <= MAX_SAVED_JSON ? [] : undefined;
    // A tar stream is at least its two zero blocks long.
    if (entries && declaredSize >= 2 * BLOCK) {
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

  async write(data: Buffer): Promise<void> {
    this.size += data.length;
    this.limited(() => this.budget.inflated(data.length, this.size, this.gzipBytes));
    this.hash.update(data);
    if (this.chunks) {
      if (!this.looked) {
        const first = data.findIndex((b) => b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d);
        if (first >= 0) {
          this.looked = true;
          const b = data[first];
          if (b !== 0x7b && b !== 0x5b) this.chunks = undefined;
        }
      }
      // Copied: the caller's chunk is a view of a buffer the stream may reuse.
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
    if (!this.gzip.write(data)) await once(this.gzip, 'drain');
  }

  /** Runs a limit check, naming this file in what it throws. */
  private limited(check: () => void): void {
    try {
      check();
    } catch (e) {
      if (e instanceof LimitError && e.layer === undefined) throw new LimitError(e.detail, this.name);
      throw e;
    }
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
    if (this.tar) {
      try {
        this.tar.parser.end();
        entries = this.tar.entries;
      } catch {
        entries = undefined;
      }
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

type State =
  | { readonly kind: 'header' }
  /** Streaming a regular file's content into its summary. */
  | { readonly kind: 'file'; readonly path: string; readonly summary: FileSummary; left: number; readonly pad: number }
  /** Collecting a pax record or GNU long name of `left` bytes. */
  | { readonly kind: 'meta'; readonly type: string; readonly parts: Buffer[]; left: number; readonly pad: number }
  /** Counting past content that is not needed, padding included. */
  | { readonly kind: 'skip'; left: number }
  /** After the end-of-archive marker: the rest is ignored. */
  | { readonly kind: 'end' };

/** Overrides of the next entry's header fields, from a pax `x` record or GNU `L`/`K` entries. */
interface Pending {
  path?: string;
  linkpath?: string;
  size?: number;
}

class SaveTarReader extends Writable {
  private state: State = { kind: 'header' };
  private header = Buffer.alloc(BLOCK);
  private headerFill = 0;
  private pending: Pending = {};
  private readonly files = new Map<string, SavedFile>();
  private readonly links = new Map<string, string>();
  private keptTotal = 0;
  private offset = 0;

  constructor(
    private readonly entries: boolean,
    private readonly budget: MeasureBudget
  ) {
    super({ highWaterMark: 1024 * 1024 });
  }

  contents(): SaveContents {
    return { files: this.files, links: this.links };
  }

  /** The path of the file whose content is streaming now, if any. */
  reading(): string | undefined {
    return this.state.kind === 'file' ? this.state.path : undefined;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.consume(chunk).then(() => callback(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.state.kind === 'file') this.state.summary.destroy();
    callback(error);
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this.state.kind === 'end') return callback();
    const where =
      this.state.kind === 'header' && this.headerFill === 0
        ? 'before the end-of-archive marker'
        : `in the middle of an entry (at byte ${this.offset})`;
    callback(new SaveTarError(`docker save output ended ${where}: the archive is incomplete`, true));
  }

  private async consume(chunk: Buffer): Promise<void> {
    let at = 0;
    while (at < chunk.length) {
      const state = this.state;
      const avail = chunk.length - at;
      switch (state.kind) {
        case 'end':
          this.offset += avail;
          return;
        case 'header': {
          const n = Math.min(BLOCK - this.headerFill, avail);
          chunk.copy(this.header, this.headerFill, at, at + n);
          this.headerFill += n;
          at += n;
          this.offset += n;
          if (this.headerFill === BLOCK) {
            this.headerFill = 0;
            await this.onHeader(this.header);
          }
          break;
        }
        case 'file': {
          const n = Math.min(state.left, avail);
          if (n > 0) await state.summary.write(chunk.subarray(at, at + n));
          state.left -= n;
          at += n;
          this.offset += n;
          if (state.left === 0) {
            this.state = skip(state.pad);
            await this.finishFile(state.path, state.summary);
          }
          break;
        }
        case 'meta': {
          const n = Math.min(state.left, avail);
          state.parts.push(Buffer.from(chunk.subarray(at, at + n)));
          state.left -= n;
          at += n;
          this.offset += n;
          if (state.left === 0) {
            this.onMeta(state.type, Buffer.concat(state.parts));
            this.state = skip(state.pad);
          }
          break;
        }
        case 'skip': {
          const n = Math.min(state.left, avail);
          state.left -= n;
          at += n;
          this.offset += n;
          if (state.left === 0) this.state = { kind: 'header' };
          break;
        }
      }
    }
  }

  private async finishFile(entryPath: string, summary: FileSummary): Promise<void> {
    const file = await summary.end();
    if (file.text !== undefined) {
      this.keptTotal += file.size;
      if (this.keptTotal > MAX_SAVED_JSON_TOTAL) {
        throw new SaveTarError(`docker save output holds more than ${MAX_SAVED_JSON_TOTAL} bytes of JSON documents`);
      }
    }
    // A later entry of the same path replaces the earlier one, as when unpacking.
    this.files.set(entryPath, file);
    this.links.delete(entryPath);
  }

  private async onHeader(h: Buffer): Promise<void> {
    const at = this.offset - BLOCK;
    if (h.every((b) => b === 0)) {
      // The first zero block ends the archive (a second one, and any record padding, follow).
      this.state = { kind: 'end' };
      return;
    }
    checkChecksum(h, at);
    const type = String.fromCharCode(h[156] ?? 0);
    const fieldSize = headerSize(h, at);
    if (type === 'x' || type === 'L' || type === 'K' || type === 'g') {
      if (fieldSize > MAX_META) {
        throw new SaveTarError(`tar entry at byte ${at}: a ${type} record of ${fieldSize} bytes is larger than ${MAX_META}`);
      }
      const metaPad = padding(fieldSize);
      this.state = fieldSize === 0 ? skip(metaPad) : { kind: 'meta', type, parts: [], left: fieldSize, pad: metaPad };
      return;
    }
    // A pax `size` overrides the header's (sizes of 8 GiB and more do not fit in ustar's field).
    const size = this.pending.size ?? fieldSize;
    const pad = padding(size);
    const name = this.pending.path ?? headerName(h);
    const linkname = this.pending.linkpath ?? cString(h, 157, 100);
    this.pending = {};
    const entryPath = normalise(name);
    if (type === '0' || type === '\0' || type === '7') {
      const summary = new FileSummary(size, this.entries, this.budget, layerName(entryPath));
      if (size === 0) {
        await this.finishFile(entryPath, summary);
        this.state = { kind: 'header' };
      } else {
        this.state = { kind: 'file', path: entryPath, summary, left: size, pad };
      }
    } else if (type === '1' || type === '2') {
      // Hard links name a path of the archive; symlinks a path relative to their folder.
      const target = type === '1' ? normalise(linkname) : normalise(path.posix.join(path.posix.dirname(entryPath), linkname));
      this.links.set(entryPath, target);
      this.files.delete(entryPath);
      this.state = { kind: 'header' };
    } else if (HEADER_ONLY.has(type)) {
      // Devices, folders, fifos: the header is the whole entry, whatever the size field says.
      this.state = { kind: 'header' };
    } else {
      this.state = skip(size + pad);
    }
  }

  private onMeta(type: string, data: Buffer): void {
    if (type === 'L') this.pending.path = cString(data, 0, data.length);
    else if (type === 'K') this.pending.linkpath = cString(data, 0, data.length);
    else if (type === 'x') {
      for (const [key, value] of paxRecords(data, this.offset)) {
        if (key === 'path') this.pending.path = value;
        else if (key === 'linkpath') this.pending.linkpath = value;
        else if (key === 'size') {
          if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
            throw new SaveTarError(`tar pax record before byte ${this.offset}: invalid size`);
          }
          this.pending.size = Number(value);
        }
      }
    }
    // `g` (global) records carry nothing docker save uses.
  }
}

const HEADER_ONLY = new Set(['3', '4', '5', '6']);

const padding = (size: number): number => (BLOCK - (size % BLOCK)) % BLOCK;
const skip = (left: number): State => (left === 0 ? { kind: 'header' } : { kind: 'skip', left });

function cString(buf: Buffer, start: number, length: number): string {
  const field = buf.subarray(start, start + length);
  const nul = field.indexOf(0);
  return field.subarray(0, nul < 0 ? field.length : nul).toString('utf8');
}

function headerName(h: Buffer): string {
  const name = cString(h, 0, 100);
  // POSIX ustar (`ustar\0` + `00`) splits long names into prefix/name; GNU (`ustar  \0`) uses that space otherwise.
  const ustar = h.subarray(257, 263).toString('latin1') === 'ustar\0';
  const prefix = ustar ? cString(h, 345, 155) : '';
  return prefix ? `${prefix}/${name}` : name;
}

function octal(h: Buffer, start: number, length: number): number | undefined {
  const text = h
    .subarray(start, start + length)
    .toString('latin1')
    .replace(/[\0 ]+$/, '')
    .replace(/^[ ]+/, '');
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) return undefined;
  return parseInt(text, 8);
}

function headerSize(h: Buffer, at: number): number {
  const first = h[124] ?? 0;
  if (first & 0x80) {
    // GNU base-256: big-endian, the top bit of the first byte is the marker.
    let value = first & 0x7f;
    for (let i = 125; i < 136; i++) value = value * 256 + (h[i] ?? 0);
    if (!Number.isSafeInteger(value)) throw new SaveTarError(`tar entry at byte ${at}: size too large`);
    return value;
  }
  const size = octal(h, 124, 12);
  if (size === undefined) throw new SaveTarError(`tar entry at byte ${at}: invalid size field`);
  return size;
}

function checkChecksum(h: Buffer, at: number): void {
  const stored = octal(h, 148, 8);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : (h[i] ?? 0);
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  if (stored === undefined || (stored !== unsigned && stored !== signed)) {
    throw new SaveTarError(`not a tar archive: bad header checksum at byte ${at}`);
  }
}

/** `<len> <key>=<value>\n` records. */
function paxRecords(data: Buffer, offset: number): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    const length = space < 0 ? NaN : Number(data.subarray(at, space).toString('latin1'));
    if (!Number.isSafeInteger(length) || length <= 0 || at + length > data.length || data[at + length - 1] !== 0x0a) {
      throw new SaveTarError(`tar pax record before byte ${offset}: malformed`);
    }
    const record = data.subarray(space + 1, at + length - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq < 0) throw new SaveTarError(`tar pax record before byte ${offset}: malformed`);
    out.push([record.slice(0, eq), record.slice(eq + 1)]);
    at += length;
  }
  return out;
}

/** `./blobs//sha256/x` → `blobs/sha256/x`; leading `/` and `..` above the root dropped. */
export function normalise(p: string): string {
  const n = path.posix.normalize(`/${p}`).replace(/^\/+/, '').replace(/\/+$/, '');
  return n === '.' ? '' : n;
}

// ── Assembling the images ────────────────────────────────────────────────────────────────────────

/**
 * The images of a read save tar: from `index.json` when there is one (Docker 25+), else from the
 * legacy `manifest.json`. Every blob is checked against the digest and size that name it, every
 * layer against its diff_id.
 */
export function imagesFromSave(contents: SaveContents, opts: DockerSaveOptions): ImageStats[] {
  const save = new SavedArchive(contents);
  const images = contents.files.has('index.json') ? save.fromIndex(opts) : save.fromLegacyManifest(opts);
  if (images.length === 0) throw new Error('docker save output holds no image (only attestations or artifacts)');
  return images;
}

interface LayerFile {
  readonly file: SavedFile;
  readonly mediaType: string;
  /** The digest shown for the layer: the descriptor's, or the tar's own for a legacy save. */
  readonly digest: string;
}

class SavedArchive {
  constructor(private readonly contents: SaveContents) {}

  fromIndex(opts: DockerSaveOptions): ImageStats[] {
    if (this.contents.files.has('oci-layout')) {
      const version = parseLayoutFile(this.json('oci-layout', 'oci-layout'), 'docker save oci-layout');
      if (!/^1\./.test(version)) throw new Error(`docker save output: unsupported imageLayoutVersion "${version}"`);
    }
    const index = parseIndex(this.json('index.json', 'index.json'), 'index.json of docker save');
    const manifests: Descriptor[] = [];
    this.collectManifests(index.manifests, 0, manifests);
    const images: ImageStats[] = [];
    const seen = new Set<string>();
    for (const desc of manifests) {
      if (seen.has(desc.digest)) continue;
      seen.add(desc.digest);
      const image = this.fromManifest(desc, opts);
      if (image) images.push(image);
    }
    return images;
  }

  private collectManifests(descs: readonly Descriptor[], depth: number, out: Descriptor[]): void {
    for (const desc of descs) {
      if (isAttestationManifest(desc)) continue;
      if (isManifestMediaType(desc.mediaType)) {
        out.push(desc);
      } else if (isIndexMediaType(desc.mediaType)) {
        if (depth >= MAX_INDEX_DEPTH) throw new Error(`docker save output: image indexes nested deeper than ${MAX_INDEX_DEPTH}`);
        this.collectManifests(parseIndex(this.jsonBlob(desc, 'image index'), desc.digest).manifests, depth + 1, out);
      } else {
        throw new Error(`docker save output: ${desc.digest} has unsupported media type "${desc.mediaType}"`);
      }
    }
  }

  private fromManifest(desc: Descriptor, opts: DockerSaveOptions): ImageStats | undefined {
    const manifest = parseManifest(this.jsonBlob(desc, 'image manifest'), desc.digest);
    if (manifest.artifactType !== undefined || !isConfigMediaType(manifest.config.mediaType)) return undefined;
    const config = parseConfig(this.jsonBlob(manifest.config, 'image config'), manifest.config.digest);
    if (config.diffIds.length !== manifest.layers.length) {
      throw new Error(
        `Image manifest ${desc.digest} has ${manifest.layers.length} layers but its config ${manifest.config.digest} lists ${config.diffIds.length} diff_ids`
      );
    }
    const layers = manifest.layers.map((layer): LayerFile => {
      const compression = layerCompression(layer.mediaType);
      if (compression === undefined) throw new Error(`Layer ${layer.digest} has unsupported media type "${layer.mediaType}"`);
      if (compression !== 'none') {
        // The classic store saves uncompressed layers; a compressed one would need decompressing in the stream.
        throw new Error(`Layer ${layer.digest} of the docker save output is ${compression}-compressed; only uncompressed layers are measured this way`);
      }
      return { file: this.blob(layer, 'layer'), mediaType: layer.mediaType, digest: layer.digest };
    });
    return assemble({ digest: desc.digest, configDigest: manifest.config.digest, config, layers, platformHint: desc }, opts);
  }

  fromLegacyManifest(opts: DockerSaveOptions): ImageStats[] {
    if (!this.contents.files.has('manifest.json')) {
      throw new Error('docker save output has neither index.json nor manifest.json: not an image archive');
    }
    const entries = parseLegacyManifest(this.json('manifest.json', 'manifest.json'));
    const images: ImageStats[] = [];
    const seen = new Set<string>();
    for (const entry of entries) {
      const configFile = this.file(entry.config);
      if (!configFile) throw new Error(`docker save output: the image config ${entry.config} named by manifest.json is missing`);
      if (seen.has(configFile.digest)) continue;
      seen.add(configFile.digest);
      const config = parseConfig(this.json(entry.config, `image config ${entry.config}`), entry.config);
      if (config.diffIds.length !== entry.layers.length) {
        throw new Error(`manifest.json of docker save lists ${entry.layers.length} layers for ${entry.config} but its config lists ${config.diffIds.length} diff_ids`);
      }
      const layers = entry.layers.map((p): LayerFile => {
        const file = this.file(p);
        if (!file) throw new Error(`docker save output: layer ${p} named by manifest.json is missing`);
        return { file, mediaType: MediaType.dockerLayer, digest: file.digest };
      });
      // A legacy save has no manifest: the config digest (the image ID) identifies the image.
      images.push(assemble({ digest: configFile.digest, configDigest: configFile.digest, config, layers }, opts));
    }
    return images;
  }

  /** A regular file by path, following links (at most 8). */
  private file(p: string): SavedFile | undefined {
    let at = normalise(p);
    for (let hops = 0; hops <= 8; hops++) {
      const file = this.contents.files.get(at);
      if (file) return file;
      const next = this.contents.links.get(at);
      if (next === undefined) return undefined;
      at = next;
    }
    throw new Error(`docker save output: ${p} is a chain of links more than 8 long`);
  }

  private json(p: string, what: string): string {
    const file = this.file(p);
    if (!file) throw new Error(`docker save output: ${what} is missing`);
    if (file.text === undefined) {
      throw new Error(
        file.size > MAX_SAVED_JSON
          ? `docker save output: ${what} is ${file.size} bytes, more than the ${MAX_SAVED_JSON} accepted`
          : `docker save output: ${what} is not a JSON document`
      );
    }
    return file.text;
  }

  /** A blob by descriptor: refuses non-sha256 digests, and checks its size and digest. */
  private blob(desc: Descriptor, what: string): SavedFile {
    if (!isSha256Digest(desc.digest)) throw new Error(`${capitalize(what)} digest "${desc.digest}" is not sha256:<64 hex>; refused`);
    const file = this.file(`blobs/sha256/${desc.digest.slice('sha256:'.length)}`);
    if (!file) throw new Error(`docker save output: ${what} ${desc.digest} is missing`);
    if (file.size !== desc.size) {
      throw new Error(`${capitalize(what)} ${desc.digest} is ${file.size} bytes in the docker save output but its descriptor says ${desc.size}`);
    }
    if (file.digest !== desc.digest) {
      throw new Error(`${capitalize(what)} ${desc.digest} does not match its digest (content is ${file.digest})`);
    }
    return file;
  }

  private jsonBlob(desc: Descriptor, what: string): string {
    const file = this.blob(desc, what);
    if (file.text === undefined) {
      throw new Error(
        file.size > MAX_SAVED_JSON
          ? `${capitalize(what)} ${desc.digest} is ${file.size} bytes, more than the ${MAX_SAVED_JSON} accepted`
          : `${capitalize(what)} ${desc.digest} is not a JSON document`
      );
    }
    return file.text;
  }
}

interface Assembly {
  readonly digest: string;
  readonly configDigest: string;
  readonly config: ImageConfig;
  readonly layers: readonly LayerFile[];
  /** The index descriptor, whose platform may add a variant the config leaves out. */
  readonly platformHint?: Descriptor;
}

function assemble(a: Assembly, opts: DockerSaveOptions): ImageStats {
  const { config, layers } = a;
  const hint = a.platformHint?.platform;
  const variant = config.variant ?? (hint?.os === config.os && hint.architecture === config.architecture ? hint.variant : undefined);
  const platform = platformString({ os: config.os, architecture: config.architecture, variant });
  if (opts.platform && !samePlatform(opts.platform, platform)) {
    opts.onWarning?.(`${opts.target}: ${opts.platform} was asked for but the loaded image is ${platform}`);
  }
  warnOnHistory(config.history, layers.length, opts, platform);
  const instructions = layerInstructions(config.history, layers.length, opts.secrets);
  const stats = layers.map((l, i): LayerStats => {
    const diffId = config.diffIds[i] ?? '';
    // The classic store's layers are the uncompressed tar streams themselves: their digest is the diff_id.
    if (diffId.startsWith('sha256:') && l.file.digest !== diffId) {
      throw new Error(`Layer ${l.digest} does not match its diff_id ${diffId} (content is ${l.file.digest})`);
    }
    return {
      digest: l.digest,
      mediaType: l.mediaType,
      compressedBytes: l.file.gzipBytes,
      uncompressedBytes: l.file.size,
      instruction: instructions[i] ?? UNKNOWN_INSTRUCTION
    };
  });
  let files: FileStats | undefined;
  if (opts.files) {
    const model = new FileSystemModel(opts.limits);
    for (const l of layers) {
      if (!l.file.entries) throw new Error(`Layer ${l.digest} of the docker save output is not a valid tar stream`);
      try {
        model.applyLayer(l.file.entries);
      } catch (e) {
        if (e instanceof LimitError) throw new LimitError(e.detail, l.digest);
        throw e;
      }
    }
    files = model.result();
  }
  return {
    target: opts.target,
    platform,
    digest: a.digest,
    configDigest: a.configDigest,
    ...(files ? { files } : {}),
    compressedBytes: sum(stats.map((l) => l.compressedBytes)),
    uncompressedBytes: sum(stats.map((l) => l.uncompressedBytes)),
    layerCount: stats.length,
    layers: stats,
    method: 'docker-save',
    compressedEstimated: true
  };
}

function warnOnHistory(history: readonly HistoryEntry[], layerCount: number, opts: DockerSaveOptions, platform: string): void {
  const described = historyLayerCount(history);
  if (described !== layerCount) {
    opts.onWarning?.(
      `${opts.target} (${platform}): the image history describes ${described} layers but the image has ${layerCount}; layers without a history entry are shown as "?"`
    );
  }
}

/** `linux/arm64` and `linux/arm64/v8` are one platform, as are `linux/amd64` and `linux/amd64/v1`. */
function samePlatform(a: string, b: string): boolean {
  const norm = (p: string): string =>
    p
      .toLowerCase()
      .replace(/^(linux\/arm64)\/v8$/, '$1')
      .replace(/^(linux\/amd64)\/v1$/, '$1');
  return norm(a) === norm(b);
}

interface LegacyEntry {
  readonly config: string;
  readonly layers: readonly string[];
}

/** `manifest.json` of docker save: `[{"Config": "...", "RepoTags": [...], "Layers": ["..."]}]`. */
export function parseLegacyManifest(text: string): LegacyEntry[] {
  const fail = (where: string, expected: string): never => {
    throw new Error(`Malformed manifest.json of docker save: ${where} must be ${expected}`);
  };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new Error('Malformed manifest.json of docker save: not valid JSON');
  }
  if (!Array.isArray(doc)) return fail('the document', 'an array');
  return (doc as unknown[]).map((item, i): LegacyEntry => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return fail(`[${i}]`, 'an object');
    const entry = item as Record<string, unknown>;
    if (typeof entry.Config !== 'string' || entry.Config === '') return fail(`[${i}].Config`, 'a path');
    const layers = entry.Layers ?? [];
    if (!Array.isArray(layers)) return fail(`[${i}].Layers`, 'an array');
    return {
      config: entry.Config,
      layers: (layers as unknown[]).map((l, j) => (typeof l === 'string' && l !== '' ? l : fail(`[${i}].Layers[${j}]`, 'a path')))
    };
  });
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
