// Follows an OCI layout folder while buildx writes it (`--output type=oci,dest=<dir>,tar=false`), so
// that each layer is measured as it is written instead of after the export. buildx writes the folder
// through a content store: a blob goes to `ingest/<id>/data`, beside a `ref` file (`layer-sha256:<hex>`
// for a layer) and a `total` file (its size), and is renamed into `blobs/sha256/` once complete. Each
// layer seen there is read as it grows, through a handle that outlives the rename, and measured by
// layer-stream.ts, which checks the digest of the bytes it read.
//
// What the follower measured is a head start, never an authority: it goes into the shared layers
// (shared-layers.ts: the run's, or the follower's own), from which measure.ts takes it only for a
// layer whose descriptor has the same digest, size and compression, and measures the file itself
// whenever the head start failed (a blob rewritten, a layout written some other way). A layer the run
// has measured elsewhere, or is measuring, is not followed. The measurement's budget, and so its
// deadline, starts with the first blob seen, as the stream's starts with its first byte.
import { constants as fsConstants } from 'node:fs';
import { open, readdir, readFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { LAYER_MEDIA_TYPE, SNIFF, layerCompressionOf, measureLayerStream, type LayerContext, type LayerSizes } from './layer-stream.js';
import { MeasureBudget, type MeasureLimits } from './limits.js';
import type { Compression } from './oci.js';
import { SharedLayers } from './shared-layers.js';

/** A layer measured while it was written. */
export interface EarlyLayer {
  /** Its size as the writer announced it (`total`). */
  readonly size: number;
  readonly compression: Compression;
  /** Rejects when the bytes read were not the whole blob of that digest. */
  readonly sizes: Promise<LayerSizes>;
}

/** How often the folder and a growing file are looked at again. */
const POLL_MS = 20;
/**
 * Layers read at once. buildx writes every blob of an image side by side; following them all at
 * once held the stream buffers of each at the same time (a measurement's peak). A layer that waits
 * for its turn is read from the start then, through the handle opened when it was seen.
 */
export const FOLLOWED_AT_ONCE = 2;
const READ_CHUNK = 256 * 1024;
const LAYER_REF = /^layer-sha256:([0-9a-f]{64})$/;

export interface FollowOptions {
  readonly target: string;
  readonly files?: boolean;
  readonly limits?: MeasureLimits;
  /** The run's layers: one measured or being measured there is not followed, and one followed here is shared. Default: the follower's own. */
  readonly shared?: SharedLayers;
}

export class LayoutFollower {
  /** The measurement's costs, from the first blob on; undefined until one was seen. */
  budget: MeasureBudget | undefined;
  /** Where what it follows is shared, and what is measured elsewhere is found: the run's, or its own. */
  readonly shared: SharedLayers;
  private readonly layers = new Map<string, EarlyLayer>();
  private readonly seen = new Set<string>();
  private readonly reading: Array<Promise<unknown>> = [];
  private ended = false;
  private looking: Promise<void> | undefined;
  /** Layers being read now, and those waiting for their turn. */
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly dir: string,
    private readonly opts: FollowOptions
  ) {
    this.shared = opts.shared ?? new SharedLayers();
  }

  /** Starts looking for blobs being written. */
  start(): void {
    this.looking ??= this.look();
  }

  /** The writer is done (buildx has exited): one last look, then every layer read to its end. */
  async end(): Promise<void> {
    this.ended = true;
    await this.looking;
    await Promise.allSettled(this.reading);
  }

  /** The layer of `digest`, when one was seen being written. */
  early(digest: string): EarlyLayer | undefined {
    return this.layers.get(digest);
  }

  private async look(): Promise<void> {
    for (;;) {
      const last = this.ended;
      await this.scan();
      if (last) return;
      await sleep(POLL_MS);
    }
  }

  /** New blobs under ingest/: each layer among them is followed. */
  private async scan(): Promise<void> {
    const ingest = join(this.dir, 'ingest');
    const ids = await readdir(ingest).catch(() => [] as string[]);
    for (const id of ids) {
      if (this.seen.has(id)) continue;
      const [ref, total] = await Promise.all(['ref', 'total'].map((f) => readFile(join(ingest, id, f), 'utf8').catch(() => undefined)));
      // Written as the blob is opened; a later look finds them.
      if (ref === undefined || total === undefined) continue;
      this.seen.add(id);
      const digest = LAYER_REF.exec(ref.trim())?.[1];
      const size = Number(total.trim());
      if (!digest || !Number.isSafeInteger(size) || size <= 0) continue;
      if (this.shared.find(`sha256:${digest}`, size, this.opts.files === true)) continue;
      const handle = await open(join(ingest, id, 'data'), fsConstants.O_RDONLY | (fsConstants.O_NOFOLLOW ?? 0)).catch(() => undefined);
      if (handle) this.follow(handle, `sha256:${digest}`, size);
    }
  }

  private follow(handle: FileHandle, digest: string, size: number): void {
    this.budget ??= new MeasureBudget(this.opts.limits);
    const ctx: LayerContext = { files: this.opts.files === true, budget: this.budget, target: this.opts.target };
    const done = (async (): Promise<EarlyLayer | undefined> => {
      await this.turn();
      try {
        const head = await this.readAt(handle, 0, Math.min(SNIFF, size));
        const compression = layerCompressionOf(head);
        if (compression === undefined) return undefined;
        const desc = { mediaType: LAYER_MEDIA_TYPE[compression], digest, size, annotations: {} };
        const source = Readable.from(this.chunks(handle, head, size), { objectMode: false, highWaterMark: READ_CHUNK });
        const sizes = measureLayerStream(source, desc, '', ctx);
        sizes.catch(() => undefined);
        const layer: EarlyLayer = { size, compression, sizes };
        this.layers.set(digest, layer);
        this.shared.add(digest, size, compression, ctx.files, sizes);
        await sizes.catch(() => undefined);
        return layer;
      } finally {
        await handle.close().catch(() => undefined);
        this.release();
      }
    })();
    this.reading.push(done.catch(() => undefined));
  }

  /** Resolves when this layer may be read: at once while fewer than {@link FOLLOWED_AT_ONCE} are, else when one ends. */
  private async turn(): Promise<void> {
    if (this.active < FOLLOWED_AT_ONCE) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  /** A layer's reading ended: its turn goes to the first waiting, if any. */
  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }

  /** The blob's bytes, `head` first, then as they are written, up to `size`. */
  private async *chunks(handle: FileHandle, head: Buffer, size: number): AsyncGenerator<Buffer> {
    yield head;
    let at = head.length;
    while (at < size) {
      const chunk = await this.readAt(handle, at, Math.min(READ_CHUNK, size - at));
      at += chunk.length;
      yield chunk;
    }
  }

  /** Exactly `length` bytes at `at`, waiting for the writer as long as it runs. */
  private async readAt(handle: FileHandle, at: number, length: number): Promise<Buffer> {
    const buf = Buffer.allocUnsafe(length);
    let got = 0;
    while (got < length) {
      const { bytesRead } = await handle.read(buf, got, length - got, at + got);
      got += bytesRead;
      if (bytesRead > 0) continue;
      if (this.ended) throw new Error(`the blob ended at ${at + got} bytes, before the size its writer announced`);
      await sleep(POLL_MS);
    }
    return buf;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
