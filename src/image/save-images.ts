// The images of a `docker save` archive once docker-save.ts has read it: pure, no I/O. From
// `index.json` when there is one (Docker 25+: an OCI layout inside the tar), else from the legacy
// `manifest.json` (`Config: "<id>.json"`, `Layers: ["<id>/layer.tar"]`). Every blob is checked
// against the digest and size that name it, every layer against its diff_id. Uncompressed sizes are
// exact (the classic store's layers are uncompressed tar streams); compressed sizes are the gzip
// estimates the reader made (`compressedEstimated: true`, method `docker-save`).
import type { FileStats, ImageStats, LayerStats } from '../model.js';
import { FileSystemModel } from './file-tree.js';
import { LimitError, type MeasureLimits } from './limits.js';
import { UNKNOWN_INSTRUCTION, layerInstructions } from './history.js';
import { MAX_JSON_BLOB, capitalize, checkLayerCount, collectManifests, historyWarning, imagePlatform, sum } from './image-rules.js';
import {
  MediaType,
  isConfigMediaType,
  isSha256Digest,
  layerCompression,
  parseConfig,
  parseIndex,
  parseLayoutFile,
  parseManifest,
  type Descriptor,
  type ImageConfig
} from './oci.js';
import { normalisePath, type TarEntry } from './tar.js';


/** How measureDockerSave (docker-save.ts) measures, and so how the images are assembled. */
export interface DockerSaveOptions {
  /** The Dockerfile target the image was built from, copied into each ImageStats. */
  readonly target: string;
  /** The platform asked for (`--platform`), if any: a warning is given when the image is another one. */
  readonly platform?: string;
  /** Build-arg values: redacted from the layers' instructions. */
  readonly secrets: readonly string[];
  /** Told when a number stands but something about it is doubtful. */
  readonly onWarning?: (message: string) => void;
  /**
   * Also list each layer's tar entries in the same pass and set ImageStats.files (final files,
   * wasted space). Every regular file large enough to be a tar is then parsed as one too; what
   * does not parse (configs, JSON) simply has no entry list.
   */
  readonly files?: boolean;
  /** The limits of limits.ts; DEFAULT_LIMITS when not given (tests give smaller ones). */
  readonly limits?: MeasureLimits;
}

/** What one regular file of the save tar was, summarised while it streamed past. */
export interface SavedFile {
  /** Length in bytes. */
  readonly size: number;
  /** `sha256:<hex>` of the content. */
  readonly digest: string;
  /** Length of its gzip compression (zlib, default level): the compressed-size estimate. */
  readonly gzipBytes: number;
  /** The content, for small files that look like JSON (first non-blank byte `{` or `[`). */
  readonly text?: string;
  /** With `files`: the entries of the file read as a tar stream, when it is one. */
  readonly entries?: readonly TarEntry[];
}

/** The regular files of a save tar by normalised path, and its links (path → the path they name). */
export interface SaveContents {
  readonly files: ReadonlyMap<string, SavedFile>;
  readonly links: ReadonlyMap<string, string>;
}

/**
 * The images of a read save tar: from `index.json` when there is one (Docker 25+), else from the
 * legacy `manifest.json`. Every blob is checked against the digest and size that name it, every
 * layer against its diff_id.
 */
export async function imagesFromSave(contents: SaveContents, opts: DockerSaveOptions): Promise<ImageStats[]> {
  const save = new SavedArchive(contents);
  const images = contents.files.has('index.json') ? await save.fromIndex(opts) : save.fromLegacyManifest(opts);
  if (images.length === 0) throw new Error('docker save output holds no image (only attestations or artifacts)');
  return images;
}

interface LayerFile {
  readonly file: SavedFile;
  readonly mediaType: string;
  /** The digest shown for the layer: the descriptor's, or the tar's own for a legacy save. */
  readonly digest: string;
}

class SavedArchive {
  constructor(private readonly contents: SaveContents) {}

  async fromIndex(opts: DockerSaveOptions): Promise<ImageStats[]> {
    if (this.contents.files.has('oci-layout')) {
      const version = parseLayoutFile(this.json('oci-layout', 'oci-layout'), 'docker save oci-layout');
      if (!/^1\./.test(version)) throw new Error(`docker save output: unsupported imageLayoutVersion "${version}"`);
    }
    const index = parseIndex(this.json('index.json', 'index.json'), 'index.json of docker save');
    const manifests = await collectManifests(index.manifests, (desc) => this.jsonBlob(desc, 'image index'), 'docker save output');
    const images: ImageStats[] = [];
    const seen = new Set<string>();
    for (const desc of manifests) {
      if (seen.has(desc.digest)) continue;
      seen.add(desc.digest);
      const image = this.fromManifest(desc, opts);
      if (image) images.push(image);
    }
    return images;
  }

  private fromManifest(desc: Descriptor, opts: DockerSaveOptions): ImageStats | undefined {
    const manifest = parseManifest(this.jsonBlob(desc, 'image manifest'), desc.digest);
    if (manifest.artifactType !== undefined || !isConfigMediaType(manifest.config.mediaType)) return undefined;
    const config = parseConfig(this.jsonBlob(manifest.config, 'image config'), manifest.config.digest);
    checkLayerCount(desc.digest, manifest, config);
    const layers = manifest.layers.map((layer): LayerFile => {
      const compression = layerCompression(layer.mediaType);
      if (compression === undefined) throw new Error(`Layer ${layer.digest} has unsupported media type "${layer.mediaType}"`);
      if (compression !== 'none') {
        // The classic store saves uncompressed layers; a compressed one would need decompressing in the stream.
        throw new Error(`Layer ${layer.digest} of the docker save output is ${compression}-compressed; only uncompressed layers are measured this way`);
      }
      return { file: this.blob(layer, 'layer'), mediaType: layer.mediaType, digest: layer.digest };
    });
    return assemble({ digest: desc.digest, configDigest: manifest.config.digest, config, layers, platformHint: desc }, opts);
  }

  fromLegacyManifest(opts: DockerSaveOptions): ImageStats[] {
    if (!this.contents.files.has('manifest.json')) {
      throw new Error('docker save output has neither index.json nor manifest.json: not an image archive');
    }
    const entries = parseLegacyManifest(this.json('manifest.json', 'manifest.json'));
    const images: ImageStats[] = [];
    const seen = new Set<string>();
    for (const entry of entries) {
      const configFile = this.file(entry.config);
      if (!configFile) throw new Error(`docker save output: the image config ${entry.config} named by manifest.json is missing`);
      if (seen.has(configFile.digest)) continue;
      seen.add(configFile.digest);
      const config = parseConfig(this.json(entry.config, `image config ${entry.config}`), entry.config);
      if (config.diffIds.length !== entry.layers.length) {
        throw new Error(`manifest.json of docker save lists ${entry.layers.length} layers for ${entry.config} but its config lists ${config.diffIds.length} diff_ids`);
      }
      const layers = entry.layers.map((p): LayerFile => {
        const file = this.file(p);
        if (!file) throw new Error(`docker save output: layer ${p} named by manifest.json is missing`);
        return { file, mediaType: MediaType.dockerLayer, digest: file.digest };
      });
      // A legacy save has no manifest: the config digest (the image ID) identifies the image.
      images.push(assemble({ digest: configFile.digest, configDigest: configFile.digest, config, layers }, opts));
    }
    return images;
  }

  /** A regular file by path, following links (at most 8). */
  private file(p: string): SavedFile | undefined {
    let at = normalisePath(p);
    for (let hops = 0; hops <= 8; hops++) {
      const file = this.contents.files.get(at);
      if (file) return file;
      const next = this.contents.links.get(at);
      if (next === undefined) return undefined;
      at = next;
    }
    throw new Error(`docker save output: ${p} is a chain of links more than 8 long`);
  }

  private json(p: string, what: string): string {
    const file = this.file(p);
    if (!file) throw new Error(`docker save output: ${what} is missing`);
    if (file.text === undefined) {
      throw new Error(
        file.size > MAX_JSON_BLOB
          ? `docker save output: ${what} is ${file.size} bytes, more than the ${MAX_JSON_BLOB} accepted`
          : `docker save output: ${what} is not a JSON document`
      );
    }
    return file.text;
  }

  /** A blob by descriptor: refuses non-sha256 digests, and checks its size and digest. */
  private blob(desc: Descriptor, what: string): SavedFile {
    if (!isSha256Digest(desc.digest)) throw new Error(`${capitalize(what)} digest "${desc.digest}" is not sha256:<64 hex>; refused`);
    const file = this.file(`blobs/sha256/${desc.digest.slice('sha256:'.length)}`);
    if (!file) throw new Error(`docker save output: ${what} ${desc.digest} is missing`);
    if (file.size !== desc.size) {
      throw new Error(`${capitalize(what)} ${desc.digest} is ${file.size} bytes in the docker save output but its descriptor says ${desc.size}`);
    }
    if (file.digest !== desc.digest) {
      throw new Error(`${capitalize(what)} ${desc.digest} does not match its digest (content is ${file.digest})`);
    }
    return file;
  }

  private jsonBlob(desc: Descriptor, what: string): string {
    const file = this.blob(desc, what);
    if (file.text === undefined) {
      throw new Error(
        file.size > MAX_JSON_BLOB
          ? `${capitalize(what)} ${desc.digest} is ${file.size} bytes, more than the ${MAX_JSON_BLOB} accepted`
          : `${capitalize(what)} ${desc.digest} is not a JSON document`
      );
    }
    return file.text;
  }
}

interface Assembly {
  readonly digest: string;
  readonly configDigest: string;
  readonly config: ImageConfig;
  readonly layers: readonly LayerFile[];
  /** The index descriptor, whose platform may add a variant the config leaves out. */
  readonly platformHint?: Descriptor;
}

function assemble(a: Assembly, opts: DockerSaveOptions): ImageStats {
  const { config, layers } = a;
  const platform = imagePlatform(config, a.platformHint);
  if (opts.platform && !samePlatform(opts.platform, platform)) {
    opts.onWarning?.(`${opts.target}: ${opts.platform} was asked for but the loaded image is ${platform}`);
  }
  const warning = historyWarning(opts.target, platform, config.history, layers.length);
  if (warning) opts.onWarning?.(warning);
  const instructions = layerInstructions(config.history, layers.length, opts.secrets);
  const stats = layers.map((l, i): LayerStats => {
    const diffId = config.diffIds[i] ?? '';
    // The classic store's layers are the uncompressed tar streams themselves: their digest is the diff_id.
    if (diffId.startsWith('sha256:') && l.file.digest !== diffId) {
      throw new Error(`Layer ${l.digest} does not match its diff_id ${diffId} (content is ${l.file.digest})`);
    }
    return {
      digest: l.digest,
      mediaType: l.mediaType,
      compressedBytes: l.file.gzipBytes,
      uncompressedBytes: l.file.size,
      instruction: instructions[i] ?? UNKNOWN_INSTRUCTION
    };
  });
  let files: FileStats | undefined;
  if (opts.files) {
    const model = new FileSystemModel(opts.limits);
    for (const l of layers) {
      if (!l.file.entries) throw new Error(`Layer ${l.digest} of the docker save output is not a valid tar stream`);
      try {
        model.applyLayer(l.file.entries);
      } catch (e) {
        if (e instanceof LimitError) throw new LimitError(e.detail, l.digest);
        throw e;
      }
    }
    files = model.result();
  }
  return {
    target: opts.target,
    platform,
    digest: a.digest,
    configDigest: a.configDigest,
    ...(files ? { files } : {}),
    compressedBytes: sum(stats.map((l) => l.compressedBytes)),
    uncompressedBytes: sum(stats.map((l) => l.uncompressedBytes)),
    layerCount: stats.length,
    layers: stats,
    method: 'docker-save',
    compressedEstimated: true
  };
}

/** `linux/arm64` and `linux/arm64/v8` are one platform, as are `linux/amd64` and `linux/amd64/v1`. */
function samePlatform(a: string, b: string): boolean {
  const norm = (p: string): string =>
    p
      .toLowerCase()
      .replace(/^(linux\/arm64)\/v8$/, '$1')
      .replace(/^(linux\/amd64)\/v1$/, '$1');
  return norm(a) === norm(b);
}

interface LegacyEntry {
  readonly config: string;
  readonly layers: readonly string[];
}

/** `manifest.json` of docker save: `[{"Config": "...", "RepoTags": [...], "Layers": ["..."]}]`. */
export function parseLegacyManifest(text: string): LegacyEntry[] {
  const fail = (where: string, expected: string): never => {
    throw new Error(`Malformed manifest.json of docker save: ${where} must be ${expected}`);
  };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new Error('Malformed manifest.json of docker save: not valid JSON');
  }
  if (!Array.isArray(doc)) return fail('the document', 'an array');
  return (doc as unknown[]).map((item, i): LegacyEntry => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return fail(`[${i}]`, 'an object');
    const entry = item as Record<string, unknown>;
    if (typeof entry.Config !== 'string' || entry.Config === '') return fail(`[${i}].Config`, 'a path');
    const layers = entry.Layers ?? [];
    if (!Array.isArray(layers)) return fail(`[${i}].Layers`, 'an array');
    return {
      config: entry.Config,
      layers: (layers as unknown[]).map((l, j) => (typeof l === 'string' && l !== '' ? l : fail(`[${i}].Layers[${j}]`, 'a path')))
    };
  });
}
