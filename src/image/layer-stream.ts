// One layer blob streamed into its numbers: the bytes pass through a sha256 (checked against the
// descriptor), the decompressor its media type names, and, with files, the tar reader, into a
// counter. Where the bytes come from (a file of an OCI layout, the export stream of buildx, a
// registry) is the caller's; no layer is ever held in memory. The limits of limits.ts are checked
// on every chunk the decompressor gives.
import { createHash, type Hash } from 'node:crypto';
import { Transform, Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import { LimitError, isAbortError, limitMessage, timeoutError, type MeasureBudget } from './limits.js';
import { MediaType, layerCompression, type Compression, type Descriptor } from './oci.js';
import { TarError, createTarTap, type TarEntry } from './tar.js';
import type { SharedLayers } from './shared-layers.js';
import { readBytes } from './stream-garbage.js';

/** Output chunk size of the gunzip stream. */
export const GUNZIP_CHUNK = 256 * 1024;

/** What one layer blob measured to. */
export interface LayerSizes {
  readonly uncompressedBytes: number;
  /** The layer's tar entries in archive order, when files were asked for. */
  readonly entries?: readonly TarEntry[];
}

/** How a layer is read: whether its files are listed, the measurement's running costs, and its target (for messages). */
export interface LayerContext {
  readonly files: boolean;
  readonly budget: MeasureBudget;
  readonly target: string;
  /** The run's layers measured so far, where a blob streamed past is looked up and its measurement shared. */
  readonly shared?: SharedLayers;
}

/**
 * Streams one layer blob (`source`, the blob's bytes as stored) into its uncompressed size and, with
 * files, its entries. The blob's sha256 must be the descriptor's digest; an uncompressed layer's
 * diff_id must be that digest too. Every failure names the layer.
 */
export async function measureLayerStream(source: Readable, layer: Descriptor, diffId: string, ctx: LayerContext): Promise<LayerSizes> {
  let compression: Compression;
  let transforms: NodeJS.ReadWriteStream[];
  try {
    compression = compressionOf(layer);
    transforms = decompressor(compression, layer);
  } catch (e) {
    source.destroy();
    throw e;
  }
  const blobHash = createHash('sha256');
  const entries: TarEntry[] | undefined = ctx.files ? [] : undefined;
  if (entries) transforms.push(createTarTap((entry) => entries.push(entry), ctx.budget));
  const budget = ctx.budget;
  let uncompressedBytes: number;
  try {
    budget.checkTime();
    uncompressedBytes = await countStream(source, [digestTap(blobHash), ...transforms], undefined, {
      onChunk: (bytes, count) => budget.inflated(bytes, count, layer.size),
      signal: AbortSignal.timeout(budget.remainingMs())
    });
  } catch (e) {
    source.destroy();
    const limit = e instanceof LimitError ? e : isAbortError(e) ? timeoutError(budget.limits.timeoutMs) : undefined;
    if (limit) throw new Error(limitMessage(ctx.target, layer.digest, limit.detail));
    if (e instanceof TarError) throw new Error(`Layer ${layer.digest}: not a valid tar stream (${e.message})`);
    throw new Error(`Layer ${layer.digest}: cannot read it as ${compression === 'none' ? 'a tar stream' : `${compression} data`} (${describe(e)})`);
  }
  checkDigest(blobHash, layer.digest, `Layer blob ${layer.digest}`);
  // Every number comes from the blob, whose digest was just checked. The config's diff_id of an
  // uncompressed layer is that same digest; a compressed layer's diff_id is not hashed again (a
  // second sha256 of the inflated bytes made the measurement 1.3x slower and checks no number).
  checkDiffId(layer, compression, diffId);
  return entries ? { uncompressedBytes, entries } : { uncompressedBytes };
}

/**
 * The one diff_id check: an uncompressed layer's diff_id (from the config; empty when not known yet)
 * must be its blob's digest. A layer measured before its config was read (streamed, or followed as
 * it was written) is checked here when its numbers are used.
 */
export function checkDiffId(layer: Descriptor, compression: Compression, diffId: string): void {
  if (compression === 'none' && diffId && diffId !== layer.digest) {
    throw new Error(`Uncompressed layer ${layer.digest} does not match its diff_id ${diffId}`);
  }
}

/** Bytes looked at before deciding what a blob is (a tar header's magic sits at 257). */
export const SNIFF = 512;

/**
 * A layer blob's compression from its first bytes (at least SNIFF of them, or the whole blob): gzip
 * or zstd data, or a tar stream (a header with the ustar magic, or an empty archive of zero blocks).
 * Anything else is no layer.
 */
export function layerCompressionOf(head: Buffer): Compression | undefined {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  const tar = head.length >= 512 && (head.toString('latin1', 257, 262) === 'ustar' || head.every((b) => b === 0));
  return tar ? 'none' : undefined;
}

/** The OCI media type of a layer compressed so. */
export const LAYER_MEDIA_TYPE: Readonly<Record<Compression, string>> = {
  gzip: MediaType.ociLayerGzip,
  zstd: MediaType.ociLayerZstd,
  none: MediaType.ociLayer
};

/** The compression a layer's media type names; an unknown media type is refused, naming the layer. */
export function compressionOf(layer: Descriptor): Compression {
  const compression = layerCompression(layer.mediaType);
  if (compression === undefined) throw new Error(`Layer ${layer.digest} has unsupported media type "${layer.mediaType}"`);
  return compression;
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
      readBytes(chunk.length);
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

/** Throws unless `hash` (of a blob just read) is the `expected` sha256 digest. */
export function checkDigest(hash: Hash, expected: string, label: string): void {
  const actual = `sha256:${hash.digest('hex')}`;
  if (expected.startsWith('sha256:') && actual !== expected) {
    throw new Error(`${label} does not match its digest (content is ${actual})`);
  }
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
