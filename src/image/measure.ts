// Measures the images of an OCI image layout directory, as written by
// `docker buildx build --output type=oci,dest=<dir>,tar=false`: one ImageStats per platform image.
// Layers are streamed from disk through the decompressor into a counter; no layer is ever held in
// memory. Blobs are addressed only by validated sha256 digests, never followed through symlinks,
// and checked against the size and digest their descriptor gives.
// With `files`, the same pass also parses the uncompressed bytes as tar (a pass-through between the
// decompressor and the counter) and applies each image's layers to a FileSystemModel.
// Limits (limits.ts) bound what a hostile layer costs: its inflation ratio, the inflated total,
// entries, paths and the time of the whole measurement; the first one reached stops it with an
// error naming the target, the layer and the limit.
import { createHash, type Hash } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { lstat, open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import type { FileStats, ImageStats, LayerStats } from '../model.js';
import { FileSystemModel } from './file-tree.js';
import { LimitError, MeasureBudget, isAbortError, limitMessage, timeoutError, type MeasureLimits } from './limits.js';
import { UNKNOWN_INSTRUCTION, layerInstructions } from './history.js';
import { MAX_JSON_BLOB, capitalize, checkLayerCount, collectManifests, historyWarning, imagePlatform, sum } from './image-rules.js';
import {
  isConfigMediaType,
  isForeignLayer,
  isSha256Digest,
  layerCompression,
  parseConfig,
  parseIndex,
  parseLayoutFile,
  parseManifest,
  type Compression,
  type Descriptor
} from './oci.js';
import { TarError, createTarTap, type TarEntry } from './tar.js';

/** Output chunk size of the gunzip stream. */
export const GUNZIP_CHUNK = 256 * 1024;


export interface MeasureOptions {
  /** The Dockerfile target the layout was built from, copied into each ImageStats. */
  readonly target: string;
  /** Build-arg values: redacted from the layers' instructions. */
  readonly secrets: readonly string[];
  /** Told when a number stands but something about it is doubtful (history not matching the layers). */
  readonly onWarning?: (message: string) => void;
  /**
   * Also read each layer's tar entries, in the same pass, and set ImageStats.files (final files,
   * wasted space). Off by default: then no tar is parsed.
   */
  readonly files?: boolean;
  /** The limits of limits.ts; DEFAULT_LIMITS when not given (tests give smaller ones). */
  readonly limits?: MeasureLimits;
}

/**
 * One ImageStats per platform image manifest of the layout, in index order (nested indexes
 * depth-first). Skipped: attestation manifests, manifests whose config is not an image config
 * (artifacts), and a manifest listed a second time (e.g. under two tags).
 *
 * compressedBytes is the sum of the manifest's layer descriptor sizes, exactly what a registry
 * stores for the image. A layer listed twice in one manifest is counted twice, in both sizes and
 * in layerCount: that is what the manifest says, what `docker history` shows and what unpacking
 * applies (a registry would store the blob once and a pull would fetch it once). Each distinct
 * blob is still only read once.
 */
export async function measureOciLayout(dir: string, opts: MeasureOptions): Promise<ImageStats[]> {
  const layout = new Layout(dir, opts.target, new MeasureBudget(opts.limits));
  await layout.check();
  const index = parseIndex(await layout.readFile('index.json'), `${dir}/index.json`);
  const manifests = await layout.collectManifests(index.manifests);
  const images: ImageStats[] = [];
  const seen = new Set<string>();
  for (const desc of manifests) {
    if (seen.has(desc.digest)) continue;
    seen.add(desc.digest);
    const image = await layout.measureImage(desc, opts);
    if (image) images.push(image);
  }
  if (images.length === 0) throw new Error(`OCI layout ${dir} holds no image manifest (only attestations or artifacts)`);
  return images;
}

/**
 * Pipes `source` through `transforms` into a sink that counts (and, given `hash`, digests) the
 * bytes coming out, one chunk at a time. Resolves to the count; rejects on any stream's error.
 */
export async function countStream(
  source: Readable,
  transforms: readonly NodeJS.ReadWriteStream[] = [],
  hash?: Hash,
  /** Told of every chunk and the count so far; what it throws fails the stream. Aborting `signal` does too. */
  watch?: { readonly onChunk?: (bytes: number, count: number) => void; readonly signal?: AbortSignal }
): Promise<number> {
  let count = 0;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      count += chunk.length;
      hash?.update(chunk);
      try {
        watch?.onChunk?.(chunk.length, count);
      } catch (e) {
        callback(e as Error);
        return;
      }
      callback();
    }
  });
  await pipeline([source, ...transforms, sink], watch?.signal ? { signal: watch.signal } : {});
  return count;
}

/** A pass-through that feeds every chunk to `hash` (for checking a blob's digest on the way). */
function digestTap(hash: Hash): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      callback(null, chunk);
    }
  });
}

function decompressor(compression: Compression, layer: Descriptor): NodeJS.ReadWriteStream[] {
  switch (compression) {
    case 'none':
      return [];
    case 'gzip':
      // 256 KiB output chunks instead of zlib's 16 KiB: 2.5x faster inflation (docs/benchmarks.md).
      return [zlib.createGunzip({ chunkSize: GUNZIP_CHUNK })];
    case 'zstd': {
      // zlib has zstd from Node.js 22.15 / 23.8 on (the action runs on node24); older runtimes get a clear error.
      const create = (zlib as { createZstdDecompress?: () => NodeJS.ReadWriteStream }).createZstdDecompress;
      if (typeof create !== 'function') {
        throw new Error(
          `Layer ${layer.digest} is zstd-compressed (${layer.mediaType}) and this Node.js ${process.version} cannot decompress zstd (needs >= 22.15)`
        );
      }
      return [create()];
    }
  }
}

interface LayerSizes {
  readonly uncompressedBytes: number;
  /** The layer's tar entries in archive order, when files were asked for. */
  readonly entries?: readonly TarEntry[];
}

class Layout {
  /**
   * Per blob digest: its uncompressed size (and, with files, its entry list), read once even when
   * shared between platforms. The entry lists stay cached until the measurement ends: a few dozen
   * bytes per entry, the same order of size as the file models themselves, so a blob is never read twice.
   */
  private readonly layers = new Map<string, Promise<LayerSizes>>();

  constructor(
    private readonly dir: string,
    private readonly target: string,
    private readonly budget: MeasureBudget
  ) {}

  async check(): Promise<void> {
    const version = parseLayoutFile(await this.readFile('oci-layout'), `${this.dir}/oci-layout`);
    if (!/^1\./.test(version)) throw new Error(`OCI layout ${this.dir}: unsupported imageLayoutVersion "${version}"`);
    for (const sub of ['blobs', join('blobs', 'sha256')]) {
      const st = await lstat(join(this.dir, sub)).catch((e: unknown) => {
        throw new Error(`OCI layout ${this.dir}: cannot read ${sub}/ (${errorCode(e)})`);
      });
      if (!st.isDirectory()) throw new Error(`OCI layout ${this.dir}: ${sub} is not a directory (symlinks are refused)`);
    }
  }

  /** A small top-level file of the layout (oci-layout, index.json). */
  async readFile(name: string): Promise<string> {
    const path = join(this.dir, name);
    const handle = await this.openRegular(path, `OCI layout ${this.dir}: ${name}`);
    try {
      const { size } = await handle.stat();
      if (size > MAX_JSON_BLOB) throw new Error(`OCI layout ${this.dir}: ${name} is ${size} bytes, more than the ${MAX_JSON_BLOB} accepted`);
      return (await readAll(handle, size)).toString('utf8');
    } finally {
      await handle.close();
    }
  }

  /** The image manifests the index names, nested indexes followed. */
  collectManifests(descs: readonly Descriptor[]): Promise<Descriptor[]> {
    return collectManifests(descs, (desc) => this.readJsonBlob(desc, 'image index'), `OCI layout ${this.dir}`);
  }

  async measureImage(desc: Descriptor, opts: MeasureOptions): Promise<ImageStats | undefined> {
    const manifest = parseManifest(await this.readJsonBlob(desc, 'image manifest'), desc.digest);
    if (manifest.mediaType !== undefined && manifest.mediaType !== desc.mediaType) {
      throw new Error(`Image manifest ${desc.digest} says it is ${manifest.mediaType}, its descriptor says ${desc.mediaType}`);
    }
    // Artifacts (signatures, SBOMs pushed as OCI artifacts) are manifests too, but not images.
    if (manifest.artifactType !== undefined || !isConfigMediaType(manifest.config.mediaType)) return undefined;
    const config = parseConfig(await this.readJsonBlob(manifest.config, 'image config'), manifest.config.digest);
    checkLayerCount(desc.digest, manifest, config);
    const platform = imagePlatform(config, desc);
    const warning = historyWarning(opts.target, platform, config.history, manifest.layers.length);
    if (warning) opts.onWarning?.(warning);
    const instructions = layerInstructions(config.history, manifest.layers.length, opts.secrets);
    const layers: LayerStats[] = [];
    const model = opts.files ? new FileSystemModel(this.budget.limits) : undefined;
    for (const [i, layer] of manifest.layers.entries()) {
      const sizes = await this.measureLayer(layer, config.diffIds[i] ?? '', opts.files === true);
      try {
        this.budget.checkTime();
        model?.applyLayer(sizes.entries ?? []);
      } catch (e) {
        if (e instanceof LimitError) throw new Error(limitMessage(this.target, layer.digest, e.detail));
        throw e;
      }
      layers.push({
        digest: layer.digest,
        mediaType: layer.mediaType,
        compressedBytes: layer.size,
        uncompressedBytes: sizes.uncompressedBytes,
        instruction: instructions[i] ?? UNKNOWN_INSTRUCTION
      });
    }
    const files: FileStats | undefined = model?.result();
    return {
      target: opts.target,
      platform,
      digest: desc.digest,
      configDigest: manifest.config.digest,
      compressedBytes: sum(layers.map((l) => l.compressedBytes)),
      uncompressedBytes: sum(layers.map((l) => l.uncompressedBytes)),
      layerCount: layers.length,
      layers,
      method: 'oci-layout',
      ...(files ? { files } : {})
    };
  }

  private measureLayer(layer: Descriptor, diffId: string, files: boolean): Promise<LayerSizes> {
    // The same blob can only have one diff_id, so the blob digest alone keys the cache. `files` is
    // the same for every layer of one measurement, so a cached entry always has what is asked.
    let sizes = this.layers.get(layer.digest);
    if (!sizes) {
      sizes = this.streamLayer(layer, diffId, files);
      this.layers.set(layer.digest, sizes);
    }
    return sizes;
  }

  private async streamLayer(layer: Descriptor, diffId: string, files: boolean): Promise<LayerSizes> {
    const compression = layerCompression(layer.mediaType);
    if (compression === undefined) throw new Error(`Layer ${layer.digest} has unsupported media type "${layer.mediaType}"`);
    const handle = await this.openBlob(layer, 'layer').catch((e: unknown) => {
      if (isForeignLayer(layer.mediaType) && errorCode(e) === 'ENOENT') {
        throw new Error(`Layer ${layer.digest} is a foreign (non-distributable) layer and is not in the layout: its uncompressed size cannot be measured`);
      }
      throw e;
    });
    let transforms: NodeJS.ReadWriteStream[];
    try {
      transforms = decompressor(compression, layer);
    } catch (e) {
      await handle.close();
      throw e;
    }
    const blobHash = createHash('sha256');
    const entries: TarEntry[] | undefined = files ? [] : undefined;
    if (entries) transforms.push(createTarTap((entry) => entries.push(entry), this.budget));
    let uncompressedBytes: number;
    const budget = this.budget;
    try {
      budget.checkTime();
      // The stream owns the handle from here and closes it at the end or on error.
      const source = handle.createReadStream({ highWaterMark: 256 * 1024 });
      uncompressedBytes = await countStream(source, [digestTap(blobHash), ...transforms], undefined, {
        onChunk: (bytes, count) => budget.inflated(bytes, count, layer.size),
        signal: AbortSignal.timeout(budget.remainingMs())
      });
    } catch (e) {
      const limit = e instanceof LimitError ? e : isAbortError(e) ? timeoutError(budget.limits.timeoutMs) : undefined;
      if (limit) throw new Error(limitMessage(this.target, layer.digest, limit.detail));
      if (e instanceof TarError) throw new Error(`Layer ${layer.digest}: not a valid tar stream (${e.message})`);
      throw new Error(`Layer ${layer.digest}: cannot read it as ${compression === 'none' ? 'a tar stream' : `${compression} data`} (${describe(e)})`);
    }
    checkDigest(blobHash, layer.digest, `Layer blob ${layer.digest}`);
    // Every number comes from the blob, whose digest was just checked. The config's diff_id of an
    // uncompressed layer is that same digest; a compressed layer's diff_id is not hashed again (a
    // second sha256 of the inflated bytes made the measurement 1.3x slower and checks no number).
    if (compression === 'none' && diffId && diffId !== layer.digest) {
      throw new Error(`Uncompressed layer ${layer.digest} does not match its diff_id ${diffId}`);
    }
    return entries ? { uncompressedBytes, entries } : { uncompressedBytes };
  }

  private async readJsonBlob(desc: Descriptor, what: string): Promise<string> {
    if (desc.size > MAX_JSON_BLOB) {
      throw new Error(`${capitalize(what)} ${desc.digest} is ${desc.size} bytes, more than the ${MAX_JSON_BLOB} accepted`);
    }
    const handle = await this.openBlob(desc, what);
    let buf: Buffer;
    try {
      buf = await readAll(handle, desc.size);
    } finally {
      await handle.close();
    }
    const hash = createHash('sha256').update(buf);
    checkDigest(hash, desc.digest, `${capitalize(what)} ${desc.digest}`);
    return buf.toString('utf8');
  }

  /** Opens a blob by digest; refuses non-sha256 digests, symlinks, non-files and a size other than the descriptor's. */
  private async openBlob(desc: Descriptor, what: string): Promise<FileHandle> {
    if (!isSha256Digest(desc.digest)) {
      throw new Error(`${capitalize(what)} digest "${desc.digest}" is not sha256:<64 hex>; refused`);
    }
    const path = join(this.dir, 'blobs', 'sha256', desc.digest.slice('sha256:'.length));
    const handle = await this.openRegular(path, `${capitalize(what)} ${desc.digest}`);
    const { size } = await handle.stat();
    if (size !== desc.size) {
      await handle.close();
      throw new Error(`${capitalize(what)} ${desc.digest} is ${size} bytes on disk but its descriptor says ${desc.size}`);
    }
    return handle;
  }

  /** lstat first for a clear message, then O_NOFOLLOW so a symlink swapped in meanwhile still fails. */
  private async openRegular(path: string, label: string): Promise<FileHandle> {
    const st = await lstat(path).catch((e: unknown) => {
      const code = errorCode(e);
      const err = new Error(`${label}: ${code === 'ENOENT' ? 'missing' : `cannot read (${code})`}`);
      (err as NodeJS.ErrnoException).code = code;
      throw err;
    });
    if (st.isSymbolicLink()) throw new Error(`${label} is a symlink; refused`);
    if (!st.isFile()) throw new Error(`${label} is not a regular file; refused`);
    const handle = await open(path, fsConstants.O_RDONLY | (fsConstants.O_NOFOLLOW ?? 0));
    const now = await handle.stat();
    if (!now.isFile()) {
      await handle.close();
      throw new Error(`${label} is not a regular file; refused`);
    }
    return handle;
  }
}

/** Reads exactly `size` bytes (files here are small and sized beforehand). */
async function readAll(handle: FileHandle, size: number): Promise<Buffer> {
  const buf = Buffer.alloc(size);
  let off = 0;
  while (off < size) {
    const { bytesRead } = await handle.read(buf, off, size - off, off);
    if (bytesRead === 0) throw new Error(`file shrank while being read (${off} of ${size} bytes)`);
    off += bytesRead;
  }
  return buf;
}

function checkDigest(hash: Hash, expected: string, label: string): void {
  const actual = `sha256:${hash.digest('hex')}`;
  if (expected.startsWith('sha256:') && actual !== expected) {
    throw new Error(`${label} does not match its digest (content is ${actual})`);
  }
}

function errorCode(e: unknown): string {
  return typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : 'error';
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
