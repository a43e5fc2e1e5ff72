// An OCI image layout directory as a BlobSource (measure.ts): what
// `docker buildx build --output type=oci,dest=<dir>,tar=false` writes. Blobs are addressed only by
// validated sha256 digests, never followed through symlinks (lstat, then O_NOFOLLOW), and checked
// against the size and digest their descriptor gives. Layers stream from disk (layer-stream.ts); one
// measured while the layout was written (layout-follow.ts) is taken by measure.ts from the run's
// shared layers and never asked of this source.
import { createHash } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { lstat, open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { MeasureMethod } from '../model.js';
import { MAX_JSON_BLOB, capitalize } from './image-rules.js';
import { checkDigest, compressionOf, measureLayerStream, type LayerContext, type LayerSizes } from './layer-stream.js';
import { isForeignLayer, isSha256Digest, parseIndex, parseLayoutFile, type Descriptor } from './oci.js';
import type { BlobSource } from './measure.js';

export class DirLayout implements BlobSource {
  readonly method: MeasureMethod = 'oci-layout';
  readonly label: string;

  constructor(private readonly dir: string) {
    this.label = `OCI layout ${dir}`;
  }

  /** The index's descriptors, once `oci-layout` and `blobs/sha256/` are checked. */
  async roots(): Promise<readonly Descriptor[]> {
    const version = parseLayoutFile(await this.readFile('oci-layout'), `${this.dir}/oci-layout`);
    if (!/^1\./.test(version)) throw new Error(`OCI layout ${this.dir}: unsupported imageLayoutVersion "${version}"`);
    for (const sub of ['blobs', join('blobs', 'sha256')]) {
      const st = await lstat(join(this.dir, sub)).catch((e: unknown) => {
        throw new Error(`OCI layout ${this.dir}: cannot read ${sub}/ (${errorCode(e)})`);
      });
      if (!st.isDirectory()) throw new Error(`OCI layout ${this.dir}: ${sub} is not a directory (symlinks are refused)`);
    }
    return parseIndex(await this.readFile('index.json'), `${this.dir}/index.json`).manifests;
  }

  async jsonBlob(desc: Descriptor, what: string): Promise<string> {
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
    checkDigest(createHash('sha256').update(buf), desc.digest, `${capitalize(what)} ${desc.digest}`);
    return buf.toString('utf8');
  }

  async layer(desc: Descriptor, diffId: string, ctx: LayerContext): Promise<LayerSizes> {
    compressionOf(desc);
    const handle = await this.openBlob(desc, 'layer').catch((e: unknown) => {
      if (isForeignLayer(desc.mediaType) && errorCode(e) === 'ENOENT') {
        throw new Error(`Layer ${desc.digest} is a foreign (non-distributable) layer and is not in the layout: its uncompressed size cannot be measured`);
      }
      throw e;
    });
    // The stream owns the handle from here and closes it at the end or on error.
    return measureLayerStream(handle.createReadStream({ highWaterMark: 256 * 1024 }), desc, diffId, ctx);
  }

  /** A small top-level file of the layout (oci-layout, index.json). */
  private async readFile(name: string): Promise<string> {
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

function errorCode(e: unknown): string {
  return typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : 'error';
}
