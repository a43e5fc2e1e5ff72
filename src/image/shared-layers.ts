// The layers a run has measured, by blob digest, so that a blob is read once per run however many of
// the run's images hold it: a pull request's head and base share most layers (the base image, the
// dependencies), and a project's targets often share their first stages. Every measurement shared
// here read its blob with the digest checked (layer-stream.ts), so its numbers are that digest's.
// A measurement still under way is shared too; one that fails is forgotten, so the next image with
// that blob reads it itself and, failing, says so in its own words.
import type { LayerSizes } from './layer-stream.js';
import type { Compression } from './oci.js';

interface Shared {
  readonly size: number;
  readonly compression: Compression;
  /** Whether its entries were read (files asked for). */
  readonly files: boolean;
  readonly sizes: Promise<LayerSizes>;
}

export class SharedLayers {
  private readonly byDigest = new Map<string, Shared>();

  /**
   * The run's measurement of the blob `digest` of `size` bytes, done or under way, when one has its
   * entries or none are asked for, and its compression is `compression` (any, when not known yet).
   */
  find(digest: string, size: number, files: boolean, compression?: Compression): Promise<LayerSizes> | undefined {
    const shared = this.byDigest.get(digest);
    if (!shared || shared.size !== size || (files && !shared.files)) return undefined;
    if (compression !== undefined && shared.compression !== compression) return undefined;
    return shared.sizes;
  }

  /** Shares a measurement of the blob `digest`; the first one of a digest stays, and is forgotten if it fails. */
  add(digest: string, size: number, compression: Compression, files: boolean, sizes: Promise<LayerSizes>): void {
    const now = this.byDigest.get(digest);
    if (now && (now.files || !files)) return;
    const shared: Shared = { size, compression, files, sizes };
    this.byDigest.set(digest, shared);
    sizes.catch(() => {
      if (this.byDigest.get(digest) === shared) this.byDigest.delete(digest);
    });
  }
}
