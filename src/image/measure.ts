// Measures the images an OCI index names: one ImageStats per platform image, whatever holds the blobs
// (a BlobSource: an OCI layout directory, layout-dir.ts; the export stream of buildx, oci-stream.ts;
// a registry). Every source gives the same numbers for the same image, because they all go through
// measureImages: compressed sizes from the manifest's descriptors, uncompressed sizes and files from
// streaming each layer blob once (layer-stream.ts), never holding one in memory.
// With `files`, the same pass also parses the uncompressed bytes as tar and applies each image's
// layers to a FileSystemModel. A blob the run measured already, for another image (shared-layers.ts),
// is not read again.
// Limits (limits.ts) bound what a hostile layer costs: its inflation ratio, the inflated total,
// entries, paths and the time of the whole measurement; the first one reached stops it with an
// error naming the target, the layer and the limit.
import type { FileStats, ImageStats, LayerStats, MeasureMethod } from '../model.js';
import { FileSystemModel } from './file-tree.js';
import { LimitError, MeasureBudget, limitMessage, type MeasureLimits } from './limits.js';
import { UNKNOWN_INSTRUCTION, layerInstructions } from './history.js';
import { checkLayerCount, collectManifests, historyWarning, imagePlatform, sum } from './image-rules.js';
import { checkDiffId, compressionOf, type LayerContext, type LayerSizes } from './layer-stream.js';
import { DirLayout } from './layout-dir.js';
import type { LayoutFollower } from './layout-follow.js';
import { isConfigMediaType, parseConfig, parseManifest, type Descriptor } from './oci.js';
import type { SharedLayers } from './shared-layers.js';

export { GUNZIP_CHUNK, countStream } from './layer-stream.js';

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
  /** The layers the run measured so far (shared-layers.ts): a blob measured there is not read again. */
  readonly shared?: SharedLayers;
}

/** Where the blobs of an image are. Every blob it gives is checked against its descriptor's size and digest. */
export interface BlobSource {
  /** How the source is named in messages (`OCI layout <dir>`). */
  readonly label: string;
  readonly method: MeasureMethod;
  /** The top-level descriptors: the layout's index.json, a tag's manifest. */
  roots(): Promise<readonly Descriptor[]>;
  /** A small JSON blob (index, manifest, config), at most MAX_JSON_BLOB bytes, digest checked. */
  jsonBlob(desc: Descriptor, what: string): Promise<string>;
  /** A layer's numbers, its blob streamed once. */
  layer(desc: Descriptor, diffId: string, ctx: LayerContext): Promise<LayerSizes>;
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
export function measureOciLayout(dir: string, opts: MeasureOptions, followed?: LayoutFollower): Promise<ImageStats[]> {
  // A followed layout's measurement began with its first blob: its budget and deadline too. The
  // layers it measured on the way are in the shared layers it was given, or in its own.
  const shared = opts.shared ?? followed?.shared;
  return measureImages(new DirLayout(dir), { ...opts, ...(shared ? { shared } : {}) }, followed?.budget ?? new MeasureBudget(opts.limits));
}

/** measureOciLayout's rules, for the images of any source; `budget` is the measurement's, when the source already spent some of it. */
export async function measureImages(source: BlobSource, opts: MeasureOptions, budget = new MeasureBudget(opts.limits)): Promise<ImageStats[]> {
  const roots = await source.roots();
  const manifests = await collectManifests(roots, (desc) => source.jsonBlob(desc, 'image index'), source.label);
  const measurer = new ImageMeasurer(source, opts, budget);
  const images: ImageStats[] = [];
  const seen = new Set<string>();
  for (const desc of manifests) {
    if (seen.has(desc.digest)) continue;
    seen.add(desc.digest);
    const image = await measurer.image(desc);
    if (image) images.push(image);
  }
  if (images.length === 0) throw new Error(`${source.label} holds no image manifest (only attestations or artifacts)`);
  return images;
}

/**
 * Layers read beyond the one being applied: the thread pool inflates them side by side, and the
 * fixed cost of each small layer (opening, stream set-up) overlaps the others' reading.
 */
const LAYERS_AHEAD = 2;

class ImageMeasurer {
  /**
   * Per blob digest: its uncompressed size (and, with files, its entry list), read once even when
   * shared between platforms. The entry lists stay cached until the measurement ends: a few dozen
   * bytes per entry, the same order of size as the file models themselves, so a blob is never read twice.
   */
  private readonly layers = new Map<string, Promise<LayerSizes>>();
  private readonly ctx: LayerContext;

  constructor(
    private readonly source: BlobSource,
    private readonly opts: MeasureOptions,
    private readonly budget: MeasureBudget
  ) {
    this.ctx = { files: opts.files === true, budget, target: opts.target };
  }

  async image(desc: Descriptor): Promise<ImageStats | undefined> {
    const { source, opts } = this;
    const manifest = parseManifest(await source.jsonBlob(desc, 'image manifest'), desc.digest);
    if (manifest.mediaType !== undefined && manifest.mediaType !== desc.mediaType) {
      throw new Error(`Image manifest ${desc.digest} says it is ${manifest.mediaType}, its descriptor says ${desc.mediaType}`);
    }
    // Artifacts (signatures, SBOMs pushed as OCI artifacts) are manifests too, but not images.
    if (manifest.artifactType !== undefined || !isConfigMediaType(manifest.config.mediaType)) return undefined;
    const config = parseConfig(await source.jsonBlob(manifest.config, 'image config'), manifest.config.digest);
    checkLayerCount(desc.digest, manifest, config);
    const platform = imagePlatform(config, desc);
    const warning = historyWarning(opts.target, platform, config.history, manifest.layers.length);
    if (warning) opts.onWarning?.(warning);
    const instructions = layerInstructions(config.history, manifest.layers.length, opts.secrets);
    const layers: LayerStats[] = [];
    const model = opts.files ? new FileSystemModel(this.budget.limits) : undefined;
    // The next layers are read while one is awaited (each blob read once: this.layer keeps them);
    // their numbers are applied in order. A failure is met when its turn comes.
    const ahead = (k: number): void => {
      const next = manifest.layers[k];
      if (next) this.layer(next, config.diffIds[k] ?? '').catch(() => undefined);
    };
    for (let k = 1; k <= LAYERS_AHEAD; k++) ahead(k);
    for (const [i, layer] of manifest.layers.entries()) {
      ahead(i + LAYERS_AHEAD);
      const sizes = await this.layer(layer, config.diffIds[i] ?? '');
      try {
        this.budget.checkTime();
        model?.applyLayer(sizes.entries ?? []);
      } catch (e) {
        if (e instanceof LimitError) throw new Error(limitMessage(opts.target, layer.digest, e.detail));
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
      method: source.method,
      ...(files ? { files } : {})
    };
  }

  private layer(layer: Descriptor, diffId: string): Promise<LayerSizes> {
    // The same blob can only have one diff_id, so the blob digest alone keys the cache. `files` is
    // the same for every layer of one measurement, so a cached entry always has what is asked.
    let sizes = this.layers.get(layer.digest);
    if (!sizes) {
      sizes = this.measured(layer, diffId);
      this.layers.set(layer.digest, sizes);
    }
    return sizes;
  }

  /**
   * The run's numbers of this blob when it has them (a failed measurement there: read here), else
   * the source's, shared. Looked up and shared before the first await, so that two measurements
   * asking at once do not both read the blob.
   */
  private async measured(layer: Descriptor, diffId: string): Promise<LayerSizes> {
    const shared = this.opts.shared;
    const compression = compressionOf(layer);
    const read = (): Promise<LayerSizes> => {
      const sizes = this.source.layer(layer, diffId, this.ctx);
      shared?.add(layer.digest, layer.size, compression, this.ctx.files, sizes);
      return sizes;
    };
    const found = shared?.find(layer.digest, layer.size, this.ctx.files, compression);
    if (!found) return read();
    const sizes = await found.catch(() => undefined);
    if (!sizes) return read();
    checkDiffId(layer, compression, diffId);
    return sizes;
  }
}
