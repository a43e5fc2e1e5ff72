// What the measurement is compared with: reading only the layout's JSON documents (all that
// "compressed size and layer count" need), and bare passes over the layer blobs (read only,
// gunzip only, gunzip plus one or both sha256 checks) that split the measurement's time by cost.
import { spawn } from 'node:child_process';
import { createHash, type Hash } from 'node:crypto';
import { constants as fsConstants, createReadStream } from 'node:fs';
import { lstat, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import {
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
  type Descriptor
} from '../src/image/oci.js';

/** The read size measure.ts uses for layer blobs, so the passes read the same way. */
const HIGH_WATER_MARK = 256 * 1024;

export interface SizesOnly {
  readonly layerCount: number;
  readonly compressedBytes: number;
  /** The distinct gzip layer blobs, in manifest order. */
  readonly blobs: readonly string[];
}

/**
 * Compressed size and layer count of the layout's one image from its JSON documents alone: the
 * same reads, digest checks and parsers measureOciLayout runs before it streams any layer, and no
 * more. Work grows with the number of layers (descriptors to parse), not with their bytes.
 */
export async function readSizesOnly(dir: string): Promise<SizesOnly> {
  parseLayoutFile(await readFile(join(dir, 'oci-layout'), 'utf8'));
  const manifests = await collect(dir, parseIndex(await readFile(join(dir, 'index.json'), 'utf8'), 'index.json').manifests);
  if (manifests.length !== 1) throw new Error(`${dir}: expected one image manifest, found ${manifests.length}`);
  const desc = manifests[0]!;
  const manifest = parseManifest(await readBlob(dir, desc), desc.digest);
  if (!isConfigMediaType(manifest.config.mediaType)) throw new Error(`${dir}: ${desc.digest} is not an image`);
  const config = parseConfig(await readBlob(dir, manifest.config), manifest.config.digest);
  if (config.diffIds.length !== manifest.layers.length) throw new Error(`${dir}: diff_ids do not match the layers`);
  const blobs: string[] = [];
  for (const layer of manifest.layers) {
    if (layerCompression(layer.mediaType) !== 'gzip') throw new Error(`${dir}: layer ${layer.digest} is not gzip (${layer.mediaType})`);
    const path = blobPath(dir, layer.digest);
    if (!blobs.includes(path)) blobs.push(path);
  }
  return {
    layerCount: manifest.layers.length,
    compressedBytes: manifest.layers.reduce((a, l) => a + l.size, 0),
    blobs
  };
}

async function collect(dir: string, descs: readonly Descriptor[]): Promise<Descriptor[]> {
  const out: Descriptor[] = [];
  for (const desc of descs) {
    if (isAttestationManifest(desc)) continue;
    if (isManifestMediaType(desc.mediaType)) out.push(desc);
    else if (isIndexMediaType(desc.mediaType)) out.push(...(await collect(dir, parseIndex(await readBlob(dir, desc), desc.digest).manifests)));
  }
  return out;
}

/** A small JSON blob, checked against its descriptor's size and digest as measure.ts does. */
async function readBlob(dir: string, desc: Descriptor): Promise<string> {
  const handle = await open(blobPath(dir, desc.digest), 'r');
  try {
    const buf = await handle.readFile();
    if (buf.length !== desc.size) throw new Error(`${desc.digest}: ${buf.length} bytes, descriptor says ${desc.size}`);
    if (`sha256:${createHash('sha256').update(buf).digest('hex')}` !== desc.digest) throw new Error(`${desc.digest}: digest mismatch`);
    return buf.toString('utf8');
  } finally {
    await handle.close();
  }
}

function blobPath(dir: string, digest: string): string {
  if (!isSha256Digest(digest)) throw new Error(`not a sha256 digest: ${digest}`);
  return join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length));
}

export interface PassOptions {
  /** Decompress (else only read the compressed bytes). */
  readonly gunzip: boolean;
  /** sha256 of the compressed blob (measure.ts checks it against the layer digest). */
  readonly blobHash: boolean;
  /** sha256 of the uncompressed tar stream (measure.ts checks it against the diff_id). */
  readonly tarHash: boolean;
  /** zlib's output chunk size (node's default is 16 KiB: one thread-pool round trip per 16 KiB out). */
  readonly chunkSize?: number;
}

/**
 * The floor: node's zlib gunzip over each blob in turn into a sink that only counts, with the same
 * 256 KiB output chunks as the measurement (the fastest a bare gunzip pass in node goes; zlib's
 * default 16 KiB chunks are 2.5x slower and would flatter the measurement).
 */
export const GUNZIP_FLOOR: PassOptions = { gunzip: true, blobHash: false, tarHash: false, chunkSize: 256 * 1024 };

/** One sequential pass over `blobs`; resolves to the bytes that came out (uncompressed when gunzipping). */
export async function streamPass(blobs: readonly string[], o: PassOptions): Promise<number> {
  let total = 0;
  for (const path of blobs) {
    const tarHash = o.tarHash ? createHash('sha256') : undefined;
    let count = 0;
    const sink = new Writable({
      highWaterMark: HIGH_WATER_MARK,
      write(chunk: Buffer, _encoding, callback) {
        count += chunk.length;
        tarHash?.update(chunk);
        callback();
      }
    });
    const stages: NodeJS.ReadWriteStream[] = [];
    if (o.blobHash) stages.push(tap(createHash('sha256')));
    if (o.gunzip) stages.push(createGunzip(o.chunkSize ? { chunkSize: o.chunkSize } : {}));
    await pipeline([createReadStream(path, { highWaterMark: HIGH_WATER_MARK }), ...stages, sink]);
    tarHash?.digest();
    total += count;
  }
  return total;
}

function tap(hash: Hash): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      callback(null, chunk);
    }
  });
}

/** The per-blob file checks measure.ts makes before reading (lstat, open O_NOFOLLOW, fstat twice, close), without reading. */
export async function openChecksPass(blobs: readonly string[]): Promise<void> {
  for (const path of blobs) {
    await lstat(path);
    const handle = await open(path, fsConstants.O_RDONLY | (fsConstants.O_NOFOLLOW ?? 0));
    try {
      await handle.stat();
      await handle.stat();
    } finally {
      await handle.close();
    }
  }
}

/** `gzip -dc < blob > /dev/null` over each blob in turn: the C decompressor, for reference. */
export async function gzipCliPass(blobs: readonly string[]): Promise<void> {
  for (const path of blobs) {
    const input = await open(path, 'r');
    try {
      await new Promise<void>((resolve, reject) => {
        const child = spawn('gzip', ['-dc'], { stdio: [input.fd, 'ignore', 'inherit'] });
        child.on('error', reject);
        child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`gzip -dc exited with ${code}`))));
      });
    } finally {
      await input.close();
    }
  }
}

/**
 * The script users write for a compressed size: `docker save IMAGE | gzip | wc -c`, run by bash
 * with pipefail; the image is an argument, never part of the script text. Resolves to its number.
 */
export async function userScript(tag: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const child = spawn('bash', ['-c', 'set -o pipefail; docker save "$1" | gzip | wc -c', 'bench', tag], {
      stdio: ['ignore', 'pipe', 'pipe']
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const n = Number(out.trim());
      if (code === 0 && Number.isSafeInteger(n)) resolve(n);
      else reject(new Error(`docker save | gzip | wc -c failed (exit ${code}): ${err.slice(-2000)}`));
    });
  });
}
