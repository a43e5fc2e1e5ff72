// Parsers for the JSON documents of an OCI image layout (oci-layout, index.json, image indexes,
// image manifests, image configs), in both the OCI and the Docker v2 schema 2 media types.
// Pure: JSON text in, validated typed values out. Every error names the document it came from and
// the offending field, and never echoes the document's content (it can be hostile or secret).

// ── Media types ──────────────────────────────────────────────────────────────────────────────────

export const MediaType = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  ociForeignLayer: 'application/vnd.oci.image.layer.nondistributable.v1.tar',
  ociForeignLayerGzip: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  ociForeignLayerZstd: 'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerLayerZstd: 'application/vnd.docker.image.rootfs.diff.tar.zstd',
  dockerForeignLayerGzip: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip'
} as const;

export type Compression = 'gzip' | 'zstd' | 'none';

const LAYER_COMPRESSION: ReadonlyMap<string, Compression> = new Map<string, Compression>([
  [MediaType.ociLayer, 'none'],
  [MediaType.ociLayerGzip, 'gzip'],
  [MediaType.ociLayerZstd, 'zstd'],
  [MediaType.ociForeignLayer, 'none'],
  [MediaType.ociForeignLayerGzip, 'gzip'],
  [MediaType.ociForeignLayerZstd, 'zstd'],
  [MediaType.dockerLayer, 'none'],
  [MediaType.dockerLayerGzip, 'gzip'],
  [MediaType.dockerLayerZstd, 'zstd'],
  [MediaType.dockerForeignLayerGzip, 'gzip']
]);

/** How a layer blob of this media type is compressed; undefined when it is not a known layer type. */
export function layerCompression(mediaType: string): Compression | undefined {
  return LAYER_COMPRESSION.get(mediaType);
}

/** Foreign (Docker) or non-distributable (OCI) layers: registries may not hold them, and layouts may omit them. */
export function isForeignLayer(mediaType: string): boolean {
  return (
    mediaType === MediaType.dockerForeignLayerGzip ||
    mediaType.startsWith('application/vnd.oci.image.layer.nondistributable.')
  );
}

export function isIndexMediaType(mediaType: string): boolean {
  return mediaType === MediaType.ociIndex || mediaType === MediaType.dockerManifestList;
}

export function isManifestMediaType(mediaType: string): boolean {
  return mediaType === MediaType.ociManifest || mediaType === MediaType.dockerManifest;
}

export function isConfigMediaType(mediaType: string): boolean {
  return mediaType === MediaType.ociConfig || mediaType === MediaType.dockerConfig;
}

// ── Types ────────────────────────────────────────────────────────────────────────────────────────

export interface Platform {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
}

/** A content descriptor: what a blob is, its digest and its exact size in bytes. */
export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  /** Empty when the descriptor has none. */
  readonly annotations: Readonly<Record<string, string>>;
  readonly platform?: Platform;
  readonly artifactType?: string;
  /** Where a foreign layer can be fetched from, when given. */
  readonly urls?: readonly string[];
}

/** An OCI image index or a Docker manifest list. */
export interface ImageIndex {
  readonly mediaType?: string;
  readonly manifests: readonly Descriptor[];
}

/** An OCI image manifest or a Docker v2 schema 2 manifest. */
export interface ImageManifest {
  readonly mediaType?: string;
  readonly artifactType?: string;
  readonly config: Descriptor;
  /** In order, base layer first; empty for an image without filesystem layers. */
  readonly layers: readonly Descriptor[];
}

/** One entry of the image config's history (`created_by`, `empty_layer`, `comment`). */
export interface HistoryEntry {
  readonly createdBy?: string;
  /** True for entries that made no filesystem layer (ENV, LABEL, ...). */
  readonly emptyLayer: boolean;
  readonly comment?: string;
}

/** The parts of an image config that measuring needs. */
export interface ImageConfig {
  readonly architecture: string;
  readonly os: string;
  readonly variant?: string;
  /** `rootfs.diff_ids`: digests of the uncompressed layers, in order. */
  readonly diffIds: readonly string[];
  readonly history: readonly HistoryEntry[];
}

// ── Validation helpers ───────────────────────────────────────────────────────────────────────────

const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
const SHA256 = /^sha256:[a-f0-9]{64}$/;

/** True for `sha256:` followed by 64 lowercase hex digits: the only digests we turn into paths. */
export function isSha256Digest(digest: string): boolean {
  return SHA256.test(digest);
}

type Json = Record<string, unknown>;

class Reader {
  constructor(private readonly source: string) {}

  fail(path: string, expected: string): never {
    throw new Error(`Malformed ${this.source}: ${path ? `"${path}"` : 'the document'} must be ${expected}`);
  }

  parse(text: string): Json {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      // JSON.parse's own message quotes the input: say where, not what.
      throw new Error(`Malformed ${this.source}: not valid JSON`);
    }
    return this.object(value, '');
  }

  object(value: unknown, path: string): Json {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(path, 'an object');
    return value as Json;
  }

  string(value: unknown, path: string): string {
    if (typeof value !== 'string') this.fail(path, 'a string');
    return value;
  }

  optString(value: unknown, path: string): string | undefined {
    return value === undefined || value === null ? undefined : this.string(value, path);
  }

  /** Go writes a nil slice as `null`: treat it as empty. */
  array(value: unknown, path: string): readonly unknown[] {
    if (value === null) return [];
    if (!Array.isArray(value)) this.fail(path, 'an array');
    return value as unknown[];
  }

  schemaVersion(doc: Json): void {
    if (doc.schemaVersion !== 2) this.fail('schemaVersion', '2');
  }

  digest(value: unknown, path: string): string {
    const d = this.string(value, path);
    if (!DIGEST.test(d) || (d.startsWith('sha256:') && !SHA256.test(d))) this.fail(path, 'a digest like sha256:<64 hex>');
    return d;
  }

  platform(value: unknown, path: string): Platform {
    const p = this.object(value, path);
    const variant = this.optString(p.variant, `${path}.variant`);
    return {
      os: this.string(p.os, `${path}.os`),
      architecture: this.string(p.architecture, `${path}.architecture`),
      ...(variant ? { variant } : {})
    };
  }

  annotations(value: unknown, path: string): Readonly<Record<string, string>> {
    if (value === undefined || value === null) return {};
    const a = this.object(value, path);
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(a)) out[k] = this.string(v, `${path}.${k}`);
    return out;
  }

  descriptor(value: unknown, path: string): Descriptor {
    const d = this.object(value, path);
    const size = d.size;
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
      this.fail(`${path}.size`, 'a non-negative integer');
    }
    const artifactType = this.optString(d.artifactType, `${path}.artifactType`);
    const urls =
      d.urls === undefined || d.urls === null
        ? undefined
        : this.array(d.urls, `${path}.urls`).map((u, i) => this.string(u, `${path}.urls[${i}]`));
    return {
      mediaType: this.string(d.mediaType, `${path}.mediaType`),
      digest: this.digest(d.digest, `${path}.digest`),
      size,
      annotations: this.annotations(d.annotations, `${path}.annotations`),
      ...(d.platform === undefined || d.platform === null ? {} : { platform: this.platform(d.platform, `${path}.platform`) }),
      ...(artifactType ? { artifactType } : {}),
      ...(urls ? { urls } : {})
    };
  }
}

// ── Parsers ──────────────────────────────────────────────────────────────────────────────────────

/** `oci-layout`: returns `imageLayoutVersion` (e.g. "1.0.0"). */
export function parseLayoutFile(text: string, source = 'oci-layout'): string {
  const r = new Reader(source);
  return r.string(r.parse(text).imageLayoutVersion, 'imageLayoutVersion');
}

/**
 * An image index (`index.json`, an OCI index blob or a Docker manifest list).
 * `source` names the document in errors, e.g. `index.json` or the blob's digest.
 */
export function parseIndex(text: string, source: string): ImageIndex {
  const r = new Reader(`image index ${source}`);
  const doc = r.parse(text);
  r.schemaVersion(doc);
  const mediaType = r.optString(doc.mediaType, 'mediaType');
  if (mediaType !== undefined && !isIndexMediaType(mediaType)) r.fail('mediaType', 'an image index media type');
  if (doc.manifests === undefined) r.fail('manifests', 'an array');
  const manifests = r.array(doc.manifests, 'manifests').map((m, i) => r.descriptor(m, `manifests[${i}]`));
  return { ...(mediaType ? { mediaType } : {}), manifests };
}

/** An image manifest (OCI or Docker v2 schema 2). `source` names the blob in errors. */
export function parseManifest(text: string, source: string): ImageManifest {
  const r = new Reader(`image manifest ${source}`);
  const doc = r.parse(text);
  r.schemaVersion(doc);
  const mediaType = r.optString(doc.mediaType, 'mediaType');
  if (mediaType !== undefined && !isManifestMediaType(mediaType)) r.fail('mediaType', 'an image manifest media type');
  const artifactType = r.optString(doc.artifactType, 'artifactType');
  if (doc.layers === undefined) r.fail('layers', 'an array');
  return {
    ...(mediaType ? { mediaType } : {}),
    ...(artifactType ? { artifactType } : {}),
    config: r.descriptor(doc.config, 'config'),
    layers: r.array(doc.layers, 'layers').map((l, i) => r.descriptor(l, `layers[${i}]`))
  };
}

/** An image config; keeps the platform, `rootfs.diff_ids` and `history`. `source` names the blob in errors. */
export function parseConfig(text: string, source: string): ImageConfig {
  const r = new Reader(`image config ${source}`);
  const doc = r.parse(text);
  const rootfs = r.object(doc.rootfs, 'rootfs');
  if (rootfs.type !== 'layers') r.fail('rootfs.type', '"layers"');
  const diffIds = r.array(rootfs.diff_ids ?? null, 'rootfs.diff_ids').map((d, i) => r.digest(d, `rootfs.diff_ids[${i}]`));
  const history = r.array(doc.history ?? null, 'history').map((h, i): HistoryEntry => {
    const e = r.object(h, `history[${i}]`);
    const createdBy = r.optString(e.created_by, `history[${i}].created_by`);
    const comment = r.optString(e.comment, `history[${i}].comment`);
    const empty = e.empty_layer;
    if (empty !== undefined && empty !== null && typeof empty !== 'boolean') r.fail(`history[${i}].empty_layer`, 'a boolean');
    return {
      ...(createdBy !== undefined ? { createdBy } : {}),
      emptyLayer: empty === true,
      ...(comment !== undefined ? { comment } : {})
    };
  });
  const variant = r.optString(doc.variant, 'variant');
  return {
    architecture: r.string(doc.architecture, 'architecture'),
    os: r.string(doc.os, 'os'),
    ...(variant ? { variant } : {}),
    diffIds,
    history
  };
}

// ── Helpers on parsed values ─────────────────────────────────────────────────────────────────────

/**
 * True for the manifests BuildKit adds next to the platform images to carry provenance and SBOM
 * attestations: annotated `vnd.docker.reference.type: attestation-manifest`, platform `unknown/unknown`.
 */
export function isAttestationManifest(descriptor: Descriptor): boolean {
  if (descriptor.annotations['vnd.docker.reference.type'] === 'attestation-manifest') return true;
  return descriptor.platform?.os === 'unknown' && descriptor.platform.architecture === 'unknown';
}

/** `linux/amd64`, `linux/arm64/v8`: the form `--platform` takes. */
export function platformString(p: { readonly os: string; readonly architecture: string; readonly variant?: string | undefined }): string {
  return p.variant ? `${p.os}/${p.architecture}/${p.variant}` : `${p.os}/${p.architecture}`;
}
