// What both measurements (measure.ts for an OCI layout, save-images.ts for `docker save`) decide
// alike about an image, so the two paths cannot drift: which manifests of an index are images, how
// deep indexes may nest, how large a JSON document may be, the layer count a config must agree
// with, the platform shown, and the warning about a history that does not describe every layer.
// Pure: the documents come in through a reader the caller gives.
import { historyLayerCount } from './history.js';
import {
  isAttestationManifest,
  isIndexMediaType,
  isManifestMediaType,
  parseIndex,
  platformString,
  type Descriptor,
  type HistoryEntry,
  type ImageConfig,
  type ImageManifest
} from './oci.js';

/** Largest JSON document read (oci-layout, index, manifest, config): they are small. */
export const MAX_JSON_BLOB = 4 * 1024 * 1024;
/** Nested image indexes followed before giving up (BuildKit writes at most two levels). */
export const MAX_INDEX_DEPTH = 4;

/**
 * The image manifests an index names, nested indexes followed (read with `readIndex`), attestation
 * manifests left out, in order; `where` names the source in errors.
 */
export async function collectManifests(
  descs: readonly Descriptor[],
  readIndex: (desc: Descriptor) => Promise<string> | string,
  where: string,
  depth = 0
): Promise<Descriptor[]> {
  const out: Descriptor[] = [];
  for (const desc of descs) {
    if (isAttestationManifest(desc)) continue;
    if (isManifestMediaType(desc.mediaType)) {
      out.push(desc);
    } else if (isIndexMediaType(desc.mediaType)) {
      if (depth >= MAX_INDEX_DEPTH) throw new Error(`${where}: image indexes nested deeper than ${MAX_INDEX_DEPTH}`);
      const nested = parseIndex(await readIndex(desc), desc.digest);
      out.push(...(await collectManifests(nested.manifests, readIndex, where, depth + 1)));
    } else {
      throw new Error(`${where}: ${desc.digest} has unsupported media type "${desc.mediaType}"`);
    }
  }
  return out;
}

/** Throws unless the config lists one diff_id per layer of the manifest. */
export function checkLayerCount(manifestDigest: string, manifest: Pick<ImageManifest, 'layers' | 'config'>, config: ImageConfig): void {
  if (config.diffIds.length !== manifest.layers.length) {
    throw new Error(
      `Image manifest ${manifestDigest} has ${manifest.layers.length} layers but its config ${manifest.config.digest} lists ${config.diffIds.length} diff_ids`
    );
  }
}

/** The platform shown: the config's, which is authoritative; the index may add a variant the config leaves out. */
export function imagePlatform(config: ImageConfig, hint: Descriptor | undefined): string {
  const p = hint?.platform;
  const variant = config.variant ?? (p?.os === config.os && p.architecture === config.architecture ? p.variant : undefined);
  return platformString({ os: config.os, architecture: config.architecture, variant });
}

/** The warning when the history does not describe every layer (those are shown as "?"), or undefined. */
export function historyWarning(target: string, platform: string, history: readonly HistoryEntry[], layerCount: number): string | undefined {
  const described = historyLayerCount(history);
  if (described === layerCount) return undefined;
  return `${target} (${platform}): the image history describes ${described} layers but the image has ${layerCount}; layers without a history entry are shown as "?"`;
}

export function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

export function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
