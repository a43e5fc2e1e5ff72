// Measures the images of an OCI layout streamed as a tar archive, as buildx exports it with
// `--output type=oci,dest=<stream>`: the measurement reads the export while it is written, and
// nothing lands on disk. buildx writes the blobs first (by digest) and index.json last, so each blob
// is recognised by its first bytes as it streams past: gzip or zstd data, or a tar stream, is
// measured as a layer on the spot (layer-stream.ts, the same code the layout directory uses);
// a small JSON document is kept. Once the archive has ended, measure.ts assembles the images from
// the kept documents and the layers' numbers: the same numbers, to the byte, as measuring the same
// export written to a directory. A layer a manifest names must have been recognised as what its
// media type says, and every blob read is checked against its descriptor's size and digest. A layer
// blob the run measured already (shared-layers.ts) passes unread: its numbers are those of its
// digest, checked when it was read. One the run is measuring elsewhere holds the export until that
// measurement ends, and is read here if it failed.
import { createHash, type Hash } from 'node:crypto';
import { once } from 'node:events';
import { PassThrough, type Readable } from 'node:stream';
import type { ImageStats } from '../model.js';
import { ArchiveError, readArchive, type ArchiveContents, type FileSummarizer, type Summarized } from './archive-reader.js';
import { MAX_JSON_BLOB, capitalize } from './image-rules.js';
import { LAYER_MEDIA_TYPE, SNIFF, checkDiffId, compressionOf, layerCompressionOf, measureLayerStream, type LayerContext, type LayerSizes } from './layer-stream.js';
import { LimitError, MeasureBudget, limitMessage } from './limits.js';
import { measureImages, type BlobSource, type MeasureOptions } from './measure.js';
import { isForeignLayer, isSha256Digest, parseIndex, parseLayoutFile, type Compression, type Descriptor } from './oci.js';

const LABEL = 'the OCI export';

/** One ImageStats per platform image of the OCI layout tar `stream`, read once, as measureOciLayout would give. */
export async function measureOciStream(stream: Readable, opts: MeasureOptions): Promise<ImageStats[]> {
  const budget = new MeasureBudget(opts.limits);
  const ctx: LayerContext = { files: opts.files === true, budget, target: opts.target, ...(opts.shared ? { shared: opts.shared } : {}) };
  let contents: ArchiveContents<StreamedBlob>;
  try {
    contents = await readArchive(stream, { label: LABEL, budget, summarize: (size, name) => new BlobSummary(size, name, ctx) });
  } catch (e) {
    if (e instanceof LimitError) throw new Error(limitMessage(opts.target, e.layer, e.detail));
    throw e;
  }
  return measureImages(new StreamedLayout(contents), opts, budget);
}

/** What is kept of one file of the export. */
interface StreamedBlob extends Summarized {
  /** sha256 of a kept JSON document (layers check their own digest as they stream). */
  readonly digest?: string;
  /** A blob recognised as a layer: how it was compressed, and what it measured to. */
  readonly layer?: { readonly compression: Compression; readonly sizes: LayerSizes };
}

type Kind = { readonly is: 'layer'; readonly compression: Compression } | { readonly is: 'json' } | { readonly is: 'other' };

/** Recognises a file by its first bytes: compressed data or tar is a layer, `{` or `[` a JSON document. */
function sniff(head: Buffer, size: number, blob: boolean): Kind {
  const compression = blob ? layerCompressionOf(head) : undefined;
  if (compression !== undefined) return { is: 'layer', compression };
  const first = head.findIndex((b) => b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d);
  const json = first >= 0 && (head[first] === 0x7b || head[first] === 0x5b);
  return json && size <= MAX_JSON_BLOB ? { is: 'json' } : { is: 'other' };
}

/** Decides what a file is from its first bytes, then measures it as a layer or keeps it as JSON. */
class BlobSummary implements FileSummarizer<StreamedBlob> {
  private size = 0;
  private head: Buffer[] | undefined = [];
  private headBytes = 0;
  private kind: Kind | undefined;
  private json: { readonly chunks: Buffer[]; readonly hash: Hash } | undefined;
  private layer: { readonly feed: PassThrough; readonly compression: Compression; readonly sizes: Promise<LayerSizes> } | undefined;
  /** A layer the run is measuring elsewhere: its bytes held here (copies) until that measurement ends. */
  private waiting: { readonly compression: Compression; readonly other: Promise<LayerSizes>; readonly held: Buffer[] } | undefined;
  /** A layer the run measured elsewhere: its bytes pass unread. */
  private reused: { readonly compression: Compression; readonly sizes: LayerSizes } | undefined;
  private failure: unknown;
  private full = false;

  constructor(
    private readonly declaredSize: number,
    /** `sha256:<hex>` for a blob, else the file's path. */
    private readonly name: string,
    private readonly ctx: LayerContext
  ) {}

  write(data: Buffer): void {
    if (this.failure !== undefined) throw this.failure;
    this.size += data.length;
    if (this.head) {
      // Copied: the chunk is a view of a buffer the stream may reuse.
      this.head.push(Buffer.from(data));
      this.headBytes += data.length;
      if (this.headBytes >= SNIFF || this.size >= this.declaredSize) this.decide();
      return;
    }
    this.take(data);
  }

  async drained(): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    if (this.waiting) await this.afterOther();
    const layer = this.layer;
    // A feed destroyed by the measurement's failure: that failure, which names the layer, not the feed's bare error.
    if (this.full && layer) await Promise.race([once(layer.feed, 'drain').catch(() => layer.sizes), layer.sizes]);
    this.full = false;
  }

  /**
   * The export waits while the run measures this blob elsewhere: its numbers stand when that
   * measurement succeeds, else the blob is measured here from its first byte.
   */
  private async afterOther(): Promise<void> {
    const { compression, other, held } = this.waiting!;
    const sizes = await other.catch(() => undefined);
    this.waiting = undefined;
    if (sizes) {
      this.reused = { compression, sizes };
      return;
    }
    this.measure(compression);
    for (const data of held) this.take(data);
  }

  destroy(): void {
    this.layer?.feed.destroy();
  }

  async end(): Promise<StreamedBlob> {
    if (this.head) this.decide();
    if (this.waiting) await this.afterOther();
    if (this.reused) return { size: this.size, layer: this.reused };
    if (this.layer) {
      this.layer.feed.end();
      const sizes = await this.layer.sizes;
      return { size: this.size, layer: { compression: this.layer.compression, sizes } };
    }
    if (this.json) return { size: this.size, text: Buffer.concat(this.json.chunks).toString('utf8'), digest: `sha256:${this.json.hash.digest('hex')}` };
    return { size: this.size };
  }

  private decide(): void {
    const head = Buffer.concat(this.head ?? []);
    this.head = undefined;
    this.kind = sniff(head, this.declaredSize, this.name.startsWith('sha256:'));
    if (this.kind.is === 'layer') {
      const { compression } = this.kind;
      const other = this.ctx.shared?.find(this.name, this.declaredSize, this.ctx.files, compression);
      if (other) this.waiting = { compression, other, held: [] };
      else this.measure(compression);
    } else if (this.kind.is === 'json') {
      this.json = { chunks: [], hash: createHash('sha256') };
    }
    if (head.length > 0) this.take(head);
  }

  /** Measures this blob as a layer from the bytes taken from now on, and shares the measurement with the run. */
  private measure(compression: Compression): void {
    const feed = new PassThrough({ highWaterMark: 256 * 1024 });
    const desc: Descriptor = { mediaType: LAYER_MEDIA_TYPE[compression], digest: this.name, size: this.declaredSize, annotations: {} };
    const sizes = measureLayerStream(feed, desc, '', this.ctx);
    // Kept until written to or ended: a layer that fails stops the read there.
    sizes.catch((e: unknown) => {
      this.failure = e;
    });
    this.layer = { feed, compression, sizes };
    if (isSha256Digest(this.name)) this.ctx.shared?.add(this.name, this.declaredSize, compression, this.ctx.files, sizes);
  }

  private take(data: Buffer): void {
    if (this.reused) return;
    if (this.waiting) {
      // Copied: the chunk is a view of a buffer the stream may reuse.
      this.waiting.held.push(Buffer.from(data));
    } else if (this.layer) {
      if (!this.layer.feed.write(data)) this.full = true;
    } else if (this.json) {
      this.json.chunks.push(Buffer.from(data));
      this.json.hash.update(data);
    }
  }
}

/** The read export as a BlobSource: documents from what was kept, layers from what they measured to. */
class StreamedLayout implements BlobSource {
  readonly method = 'oci-layout' as const;
  readonly label = LABEL;

  constructor(private readonly contents: ArchiveContents<StreamedBlob>) {}

  async roots(): Promise<readonly Descriptor[]> {
    const version = parseLayoutFile(this.text('oci-layout'), `${LABEL}: oci-layout`);
    if (!/^1\./.test(version)) throw new Error(`${LABEL}: unsupported imageLayoutVersion "${version}"`);
    return parseIndex(this.text('index.json'), `${LABEL}: index.json`).manifests;
  }

  async jsonBlob(desc: Descriptor, what: string): Promise<string> {
    if (desc.size > MAX_JSON_BLOB) {
      throw new Error(`${capitalize(what)} ${desc.digest} is ${desc.size} bytes, more than the ${MAX_JSON_BLOB} accepted`);
    }
    const blob = this.blob(desc, what);
    if (blob.text === undefined || blob.digest === undefined) throw new Error(`${capitalize(what)} ${desc.digest} is not a JSON document`);
    if (blob.digest !== desc.digest) throw new Error(`${capitalize(what)} ${desc.digest} does not match its digest (content is ${blob.digest})`);
    return blob.text;
  }

  async layer(desc: Descriptor, diffId: string): Promise<LayerSizes> {
    const compression = compressionOf(desc);
    const blob = this.blob(desc, 'layer');
    if (!blob.layer || blob.layer.compression !== compression) {
      throw new Error(`Layer ${desc.digest}: cannot read it as ${compression === 'none' ? 'a tar stream' : `${compression} data`} (it is not)`);
    }
    checkDiffId(desc, compression, diffId);
    return blob.layer.sizes;
  }

  private text(name: string): string {
    const file = this.contents.files.get(name);
    if (!file) throw new ArchiveError(`${LABEL}: ${name} is missing`);
    if (file.text === undefined) throw new Error(`${LABEL}: ${name} is not a JSON document of at most ${MAX_JSON_BLOB} bytes`);
    return file.text;
  }

  /** A blob by digest, which must be sha256 and its size the descriptor's. Links in the export are not followed. */
  private blob(desc: Descriptor, what: string): StreamedBlob {
    if (!isSha256Digest(desc.digest)) throw new Error(`${capitalize(what)} digest "${desc.digest}" is not sha256:<64 hex>; refused`);
    const blob = this.contents.files.get(`blobs/sha256/${desc.digest.slice('sha256:'.length)}`);
    if (!blob) {
      if (what === 'layer' && isForeignLayer(desc.mediaType)) {
        throw new Error(`Layer ${desc.digest} is a foreign (non-distributable) layer and is not in the layout: its uncompressed size cannot be measured`);
      }
      throw new Error(`${capitalize(what)} ${desc.digest}: missing`);
    }
    if (blob.size !== desc.size) throw new Error(`${capitalize(what)} ${desc.digest} is ${blob.size} bytes in ${LABEL} but its descriptor says ${desc.size}`);
    return blob;
  }
}

