// Measures one platform image of a registry without pulling it into an engine: the tag (or digest)
// is resolved to a manifest, an index to the platform's manifest (attestations left out), then the
// config is fetched (digest checked) and the numbers come out by the rules every other source uses
// (image/measure.ts's measureImages, image/image-rules.ts, image/history.ts): compressed size = the
// sum of the manifest's layer descriptor sizes, digest = the platform manifest's digest. The
// registry holds the very blobs an OCI layout export holds, so the method is `oci-layout`: its
// numbers compare with a head built and exported that way.
//
// Uncompressed sizes need every layer blob: each is streamed once through the decompressor (and,
// with files, the tar reader) into a counter (image/layer-stream.ts), never stored.
import { collectManifests } from '../image/image-rules.js';
import { compressionOf, measureLayerStream, type LayerContext, type LayerSizes } from '../image/layer-stream.js';
import type { MeasureLimits } from '../image/limits.js';
import { measureImages, type BlobSource } from '../image/measure.js';
import { isIndexMediaType, isManifestMediaType, parseIndex, type Descriptor } from '../image/oci.js';
import type { SharedLayers } from '../image/shared-layers.js';
import { errorMessage } from '../errors.js';
import type { ImageStats } from '../model.js';
import { RegistryClient, type FetchedManifest, type RegistryClientOptions } from './client.js';
import { RegistryError } from './errors.js';
import { offeredPlatforms, pickPlatform, platformMatches, runnerPlatform } from './platform.js';
import { manifestReference, parseReference, type ImageReference } from './reference.js';

export interface RegistryMeasureOptions {
  /** Copied into the result's `target` (the CLI gives the reference as typed). */
  readonly target: string;
  /** Build-arg and other secret values, redacted from the layers' instructions. */
  readonly secrets: readonly string[];
  /** `os/arch[/variant]` to pick from an index; default the runner's (`linux/amd64` on x64). */
  readonly platform?: string;
  /** Also read every layer's files (final files, wasted space); streams the blobs too. */
  readonly files: boolean;
  /** Told when a number stands but something about it is doubtful (history not matching the layers). */
  readonly onWarning?: (message: string) => void;
  readonly limits?: MeasureLimits;
  /** The layers the run measured so far: a blob measured there is not fetched again. */
  readonly shared?: SharedLayers;
  /** Credentials, trust and timeouts of the registry client. */
  readonly client?: RegistryClientOptions;
}

/**
 * One platform image of `reference` (a string as docker reads it, or a parsed one). Errors name the
 * reference; the registry's are RegistryError (kind: unauthorized, forbidden, not-found,
 * rate-limited, unavailable, bad-response); a bad reference is an InvalidReferenceError.
 */
export async function measureRegistryImage(reference: string | ImageReference, opts: RegistryMeasureOptions): Promise<ImageStats> {
  const ref = typeof reference === 'string' ? parseReference(reference) : reference;
  const client = new RegistryClient(ref, opts.client);
  try {
    const top = await client.manifest(manifestReference(ref));
    const source = new RegistrySource(client, top);
    await source.choose(opts.platform);
    const stats = await measureStreamed(source, opts);
    if (opts.platform !== undefined && !platformMatches(stats.platform, opts.platform)) {
      throw new Error(`${client.name} is an image for ${stats.platform} only, not ${opts.platform}`);
    }
    return stats;
  } catch (e) {
    throw e instanceof RegistryError || errorMessage(e).includes(client.name) ? e : new Error(`${client.name}: ${errorMessage(e)}`);
  } finally {
    client.close();
  }
}

async function measureStreamed(source: RegistrySource, opts: RegistryMeasureOptions): Promise<ImageStats> {
  const images = await measureImages(source, {
    target: opts.target,
    secrets: opts.secrets,
    files: opts.files,
    ...(opts.onWarning ? { onWarning: opts.onWarning } : {}),
    ...(opts.limits ? { limits: opts.limits } : {}),
    ...(opts.shared ? { shared: opts.shared } : {})
  });
  // One root, one manifest: measureImages gives one image or throws.
  return images[0]!;
}

/** A registry repository as a BlobSource of image/measure.ts: its root is the chosen platform's manifest. */
class RegistrySource implements BlobSource {
  readonly method = 'oci-layout' as const;
  readonly label: string;
  private root: Descriptor | undefined;
  /** Manifests already fetched, by digest, so none is fetched twice. */
  private readonly fetched = new Map<string, Buffer>();

  constructor(
    private readonly client: RegistryClient,
    private readonly top: FetchedManifest
  ) {
    this.label = `Registry image ${client.name}`;
    this.fetched.set(top.digest, top.body);
  }

  /** The manifest measured: the tag's own, or the platform's of its index (nested indexes followed). */
  async choose(platform: string | undefined): Promise<Descriptor> {
    const { top } = this;
    const self: Descriptor = { mediaType: top.mediaType, digest: top.digest, size: top.body.length, annotations: {} };
    if (!isIndexMediaType(top.mediaType)) return (this.root = self);
    const index = parseIndex(top.body.toString('utf8'), `${this.client.name} (${top.digest})`);
    const manifests = await collectManifests(index.manifests, (d) => this.jsonBlob(d, 'image index'), this.label);
    const wanted = platform ?? runnerPlatform();
    const picked = pickPlatform(manifests, wanted);
    if (!picked) {
      const offered = offeredPlatforms(manifests);
      throw new Error(`${this.client.name} has no image for ${wanted}; its index offers ${offered.length ? offered.join(', ') : 'no platform image'}`);
    }
    return (this.root = picked);
  }

  roots(): Promise<readonly Descriptor[]> {
    return Promise.resolve(this.root ? [this.root] : []);
  }

  async jsonBlob(desc: Descriptor, what: string): Promise<string> {
    if (!isIndexMediaType(desc.mediaType) && !isManifestMediaType(desc.mediaType)) return (await this.client.blobBytes(desc, what)).toString('utf8');
    let body = this.fetched.get(desc.digest);
    if (!body) {
      body = (await this.client.manifest(desc.digest)).body;
      this.fetched.set(desc.digest, body);
    }
    if (body.length !== desc.size) throw new RegistryError('bad-response', this.client.name, `${what} ${desc.digest} is ${body.length} bytes but its descriptor says ${desc.size}`);
    return body.toString('utf8');
  }

  async layer(desc: Descriptor, diffId: string, ctx: LayerContext): Promise<LayerSizes> {
    compressionOf(desc);
    return measureLayerStream(await this.client.blob(desc, 'layer'), desc, diffId, ctx);
  }
}
