// Replays the OCI layouts recorded from the real engine (__tests__/fixtures/oci/) through the parsers,
// then feeds them malformed documents. The parsers are pure; only this test reads the fixture files.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  MediaType,
  isAttestationManifest,
  isConfigMediaType,
  isForeignLayer,
  isIndexMediaType,
  isManifestMediaType,
  isSha256Digest,
  layerCompression,
  parseConfig,
  parseIndex,
  parseLayoutFile,
  parseManifest,
  platformString,
  type Descriptor,
  type ImageConfig,
  type ImageManifest
} from '../../src/image/oci.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/oci/', import.meta.url));

function blob(fixture: string, digest: string): string {
  return readFileSync(join(FIXTURES, fixture, 'blobs', 'sha256', digest.replace(/^sha256:/, '')), 'utf8');
}

interface Walked {
  readonly platform: string;
  readonly manifestMediaType: string;
  readonly manifest: ImageManifest;
  readonly config: ImageConfig;
}

/** index.json → (nested indexes) → platform manifests → configs, skipping attestations. */
function walk(fixture: string): { images: Walked[]; attestations: Descriptor[] } {
  const images: Walked[] = [];
  const attestations: Descriptor[] = [];
  const visit = (descs: readonly Descriptor[]): void => {
    for (const d of descs) {
      if (isAttestationManifest(d)) {
        attestations.push(d);
      } else if (isIndexMediaType(d.mediaType)) {
        visit(parseIndex(blob(fixture, d.digest), d.digest).manifests);
      } else {
        const manifest = parseManifest(blob(fixture, d.digest), d.digest);
        const config = parseConfig(blob(fixture, manifest.config.digest), manifest.config.digest);
        images.push({ platform: platformString(config), manifestMediaType: d.mediaType, manifest, config });
      }
    }
  };
  const index = parseIndex(readFileSync(join(FIXTURES, fixture, 'index.json'), 'utf8'), 'index.json');
  visit(index.manifests);
  return { images, attestations };
}

describe('recorded layouts', () => {
  const cases: ReadonlyArray<{
    fixture: string;
    platforms: string[];
    layerMediaType: string | undefined;
    layers: number[];
    history: number[];
    attestations: number;
  }> = [
    { fixture: 'scratch-copy', platforms: ['linux/amd64'], layerMediaType: MediaType.ociLayerGzip, layers: [2], history: [2], attestations: 0 },
    { fixture: 'busybox-args', platforms: ['linux/amd64'], layerMediaType: MediaType.ociLayerGzip, layers: [4], history: [10], attestations: 0 },
    { fixture: 'label-only', platforms: ['linux/amd64'], layerMediaType: undefined, layers: [0], history: [1], attestations: 0 },
    { fixture: 'duplicate-layers', platforms: ['linux/amd64'], layerMediaType: MediaType.ociLayerGzip, layers: [4], history: [4], attestations: 0 },
    {
      fixture: 'multi-platform-provenance',
      platforms: ['linux/amd64', 'linux/386', 'linux/arm64'],
      layerMediaType: MediaType.ociLayerGzip,
      layers: [2, 2, 2],
      history: [2, 2, 2],
      attestations: 3
    },
    {
      fixture: 'docker-mediatypes',
      platforms: ['linux/amd64', 'linux/arm/v7'],
      layerMediaType: MediaType.dockerLayerGzip,
      layers: [1, 1],
      history: [1, 1],
      attestations: 0
    },
    { fixture: 'zstd', platforms: ['linux/amd64'], layerMediaType: MediaType.ociLayerZstd, layers: [2], history: [2], attestations: 0 }
  ];

  it('covers every recorded fixture', () => {
    const dirs = readdirSync(FIXTURES).filter((f) => statSync(join(FIXTURES, f)).isDirectory());
    expect(dirs.sort()).toEqual(cases.map((c) => c.fixture).sort());
  });

  it.each(cases)('$fixture: platforms, layers, history', ({ fixture, platforms, layerMediaType, layers, history, attestations }) => {
    const walked = walk(fixture);
    expect(walked.images.map((i) => i.platform)).toEqual(platforms);
    expect(walked.images.map((i) => i.manifest.layers.length)).toEqual(layers);
    expect(walked.images.map((i) => i.config.diffIds.length)).toEqual(layers);
    expect(walked.images.map((i) => i.config.history.length)).toEqual(history);
    expect(walked.attestations).toHaveLength(attestations);
    for (const image of walked.images) {
      expect(isManifestMediaType(image.manifestMediaType)).toBe(true);
      expect(isConfigMediaType(image.manifest.config.mediaType)).toBe(true);
      for (const layer of image.manifest.layers) expect(layer.mediaType).toBe(layerMediaType);
    }
  });

  it.each(cases.map((c) => c.fixture))('%s: every descriptor matches the recorded blob byte for byte', (fixture) => {
    const check = (d: Descriptor): void => {
      const bytes = readFileSync(join(FIXTURES, fixture, 'blobs', 'sha256', d.digest.slice(7)));
      expect(bytes.length).toBe(d.size);
      expect(`sha256:${createHash('sha256').update(bytes).digest('hex')}`).toBe(d.digest);
    };
    const { images } = walk(fixture);
    for (const image of images) check(image.manifest.config);
    const index = parseIndex(readFileSync(join(FIXTURES, fixture, 'index.json'), 'utf8'), 'index.json');
    for (const d of index.manifests) check(d);
  });

  it('oci-layout gives the layout version', () => {
    expect(parseLayoutFile(readFileSync(join(FIXTURES, 'scratch-copy', 'oci-layout'), 'utf8'))).toBe('1.0.0');
  });

  it('index.json carries the ref name and platform of a single-platform build', () => {
    const index = parseIndex(readFileSync(join(FIXTURES, 'scratch-copy', 'index.json'), 'utf8'), 'index.json');
    const [only] = index.manifests;
    expect(index.manifests).toHaveLength(1);
    expect(only?.mediaType).toBe(MediaType.ociManifest);
    expect(only?.annotations['org.opencontainers.image.ref.name']).toBe('latest');
    expect(only?.platform).toEqual({ os: 'linux', architecture: 'amd64' });
  });

  it('label-only: null layers, diff_ids and created parse as an image without layers', () => {
    const [image] = walk('label-only').images;
    expect(image?.manifest.layers).toEqual([]);
    expect(image?.config.diffIds).toEqual([]);
    expect(image?.config.history).toEqual([
      { createdBy: 'LABEL org.opencontainers.image.title=empty one maintainer=me', emptyLayer: true, comment: 'buildkit.dockerfile.v0' }
    ]);
  });

  it('busybox-args: history keeps created_by, empty_layer and comment', () => {
    const [image] = walk('busybox-args').images;
    const history = image?.config.history ?? [];
    expect(history[0]).toEqual({ emptyLayer: false, comment: 'Imported from -' });
    expect(history.map((h) => h.emptyLayer)).toEqual([false, true, true, true, true, false, false, false, true, true]);
    expect(history[5]?.createdBy).toMatch(/^RUN \|2 TOKEN=s3cr3t value OTHER=plain \/bin\/sh -c mkdir/);
  });

  it('duplicate-layers: the same digest appears twice in one manifest', () => {
    const [image] = walk('duplicate-layers').images;
    const digests = image?.manifest.layers.map((l) => l.digest) ?? [];
    expect(digests[2]).toBe(digests[3]);
    expect(new Set(digests).size).toBe(3);
  });

  it('multi-platform-provenance: attestation manifests point at their image', () => {
    const { images, attestations } = walk('multi-platform-provenance');
    const top = parseIndex(readFileSync(join(FIXTURES, 'multi-platform-provenance', 'index.json'), 'utf8'), 'index.json');
    expect(top.manifests.map((d) => d.mediaType)).toEqual([MediaType.ociIndex]);
    const nested = parseIndex(blob('multi-platform-provenance', top.manifests[0]?.digest ?? ''), 'nested');
    const imageDigests = new Set(
      nested.manifests
        .filter((d) => !isAttestationManifest(d))
        .map((d) => d.digest)
    );
    expect(imageDigests.size).toBe(images.length);
    for (const a of attestations) {
      expect(a.platform).toEqual({ os: 'unknown', architecture: 'unknown' });
      expect(imageDigests.has(a.annotations['vnd.docker.reference.digest'] ?? '')).toBe(true);
    }
  });
});

describe('malformed documents', () => {
  const D = `sha256:${'a'.repeat(64)}`;
  const desc = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
    mediaType: MediaType.ociManifest,
    digest: D,
    size: 10,
    ...over
  });
  const manifest = (over: Record<string, unknown> = {}): string =>
    JSON.stringify({ schemaVersion: 2, config: desc({ mediaType: MediaType.ociConfig }), layers: [], ...over });
  const config = (over: Record<string, unknown> = {}): string =>
    JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, ...over });

  it.each([
    ['not JSON, without quoting the input', () => parseIndex('{"secret-ish', 'index.json'), /^Malformed image index index\.json: not valid JSON$/],
    ['an array', () => parseIndex('[]', 'index.json'), /image index index\.json: the document must be an object/],
    ['schemaVersion 1', () => parseIndex('{"schemaVersion":1,"manifests":[]}', 'index.json'), /"schemaVersion" must be 2/],
    ['no manifests', () => parseIndex('{"schemaVersion":2}', 'index.json'), /"manifests" must be an array/],
    ['a manifest type for an index', () => parseIndex(`{"schemaVersion":2,"mediaType":"${MediaType.ociManifest}","manifests":[]}`, 'x'), /"mediaType" must be an image index media type/],
    ['a negative size', () => parseIndex(JSON.stringify({ schemaVersion: 2, manifests: [desc({ size: -1 })] }), 'index.json'), /"manifests\[0\]\.size" must be a non-negative integer/],
    ['a fractional size', () => parseIndex(JSON.stringify({ schemaVersion: 2, manifests: [desc({ size: 1.5 })] }), 'index.json'), /"manifests\[0\]\.size"/],
    ['a size as a string', () => parseIndex(JSON.stringify({ schemaVersion: 2, manifests: [desc({ size: '10' })] }), 'index.json'), /"manifests\[0\]\.size"/],
    ['a traversal digest', () => parseIndex(JSON.stringify({ schemaVersion: 2, manifests: [desc({ digest: 'sha256:../../etc/passwd' })] }), 'index.json'), /"manifests\[0\]\.digest" must be a digest/],
    ['a short sha256', () => parseIndex(JSON.stringify({ schemaVersion: 2, manifests: [desc({ digest: 'sha256:abc' })] }), 'index.json'), /"manifests\[0\]\.digest"/],
    ['an uppercase sha256', () => parseIndex(JSON.stringify({ schemaVersion: 2, manifests: [desc({ digest: `sha256:${'A'.repeat(64)}` })] }), 'index.json'), /"manifests\[0\]\.digest"/],
    ['a numeric annotation', () => parseIndex(JSON.stringify({ schemaVersion: 2, manifests: [desc({ annotations: { a: 1 } })] }), 'index.json'), /"manifests\[0\]\.annotations\.a" must be a string/],
    ['a platform without os', () => parseIndex(JSON.stringify({ schemaVersion: 2, manifests: [desc({ platform: { architecture: 'amd64' } })] }), 'index.json'), /"manifests\[0\]\.platform\.os" must be a string/],
    ['an index given as a manifest', () => parseManifest(`{"schemaVersion":2,"mediaType":"${MediaType.ociIndex}","manifests":[]}`, D), new RegExp(`image manifest ${D}: "mediaType" must be an image manifest media type`)],
    ['a manifest without config', () => parseManifest(JSON.stringify({ schemaVersion: 2, layers: [] }), D), /"config" must be an object/],
    ['a manifest without layers', () => parseManifest(manifest({ layers: undefined }), D), /"layers" must be an array/],
    ['a layer without mediaType', () => parseManifest(manifest({ layers: [{ digest: D, size: 1 }] }), D), /"layers\[0\]\.mediaType" must be a string/],
    ['a config without rootfs', () => parseConfig(JSON.stringify({ architecture: 'amd64', os: 'linux' }), D), new RegExp(`image config ${D}: "rootfs" must be an object`)],
    ['a config with another rootfs type', () => parseConfig(config({ rootfs: { type: 'other', diff_ids: [] } }), D), /"rootfs\.type" must be "layers"/],
    ['a config without os', () => parseConfig(config({ os: undefined }), D), /"os" must be a string/],
    ['a bad diff_id', () => parseConfig(config({ rootfs: { type: 'layers', diff_ids: ['nope'] } }), D), /"rootfs\.diff_ids\[0\]" must be a digest/],
    ['history that is not an array', () => parseConfig(config({ history: {} }), D), /"history" must be an array/],
    ['a numeric created_by', () => parseConfig(config({ history: [{ created_by: 7 }] }), D), /"history\[0\]\.created_by" must be a string/],
    ['empty_layer as a string', () => parseConfig(config({ history: [{ empty_layer: 'true' }] }), D), /"history\[0\]\.empty_layer" must be a boolean/],
    ['oci-layout without a version', () => parseLayoutFile('{}'), /oci-layout: "imageLayoutVersion" must be a string/],
    // Each field named by its path, never "the document".
    ['a null rootfs', () => parseConfig(config({ rootfs: null }), D), /: "rootfs" must be an object$/],
    ['a numeric platform variant', () => parseIndex(JSON.stringify({ schemaVersion: 2, manifests: [desc({ platform: { os: 'linux', architecture: 'arm64', variant: 8 } })] }), 'x'), /: "manifests\[0\]\.platform\.variant" must be a string$/],
    ['a platform without architecture', () => parseIndex(JSON.stringify({ schemaVersion: 2, manifests: [desc({ platform: { os: 'linux' } })] }), 'x'), /: "manifests\[0\]\.platform\.architecture" must be a string$/],
    ['a numeric artifactType of a descriptor', () => parseIndex(JSON.stringify({ schemaVersion: 2, manifests: [desc({ artifactType: 1 })] }), 'x'), /: "manifests\[0\]\.artifactType" must be a string$/],
    ['urls that are not a list', () => parseIndex(JSON.stringify({ schemaVersion: 2, manifests: [desc({ urls: 'https://x' })] }), 'x'), /: "manifests\[0\]\.urls" must be an array$/],
    ['a numeric url', () => parseIndex(JSON.stringify({ schemaVersion: 2, manifests: [desc({ urls: [1] })] }), 'x'), /: "manifests\[0\]\.urls\[0\]" must be a string$/],
    ['a numeric mediaType of an index', () => parseIndex('{"schemaVersion":2,"mediaType":1,"manifests":[]}', 'x'), /: "mediaType" must be a string$/],
    ['manifests given as an object', () => parseIndex('{"schemaVersion":2,"manifests":{}}', 'x'), /: "manifests" must be an array$/],
    ['a numeric mediaType of a manifest', () => parseManifest(manifest({ mediaType: 1 }), D), /: "mediaType" must be a string$/],
    ['a numeric artifactType of a manifest', () => parseManifest(manifest({ artifactType: 1 }), D), /: "artifactType" must be a string$/],
    ['layers given as an object', () => parseManifest(manifest({ layers: {} }), D), /: "layers" must be an array$/],
    ['diff_ids given as an object', () => parseConfig(config({ rootfs: { type: 'layers', diff_ids: {} } }), D), /: "rootfs\.diff_ids" must be an array$/],
    ['a history entry that is not an object', () => parseConfig(config({ history: [7] }), D), /: "history\[0\]" must be an object$/],
    ['a numeric history comment', () => parseConfig(config({ history: [{ comment: 7 }] }), D), /: "history\[0\]\.comment" must be a string$/],
    ['a numeric variant of a config', () => parseConfig(config({ variant: 8 }), D), /: "variant" must be a string$/],
    ['a numeric architecture', () => parseConfig(config({ architecture: 1 }), D), /: "architecture" must be a string$/]
  ] as const)('%s', (_name, parse, message) => {
    expect(parse).toThrow(message);
  });

  it('accepts the optional parts being absent or null', () => {
    expect(parseConfig(config({ history: null, variant: null }), D)).toEqual({ architecture: 'amd64', os: 'linux', diffIds: [], history: [] });
    expect(parseConfig(config({ history: [{}] }), D).history).toEqual([{ emptyLayer: false }]);
    expect(parseManifest(manifest({ layers: null }), D).layers).toEqual([]);
    const d = parseIndex(JSON.stringify({ schemaVersion: 2, manifests: [desc({ annotations: null, platform: null })] }), 'x').manifests[0];
    expect(d).toEqual({ mediaType: MediaType.ociManifest, digest: D, size: 10, annotations: {} });
  });

  it('keeps urls and artifactType of descriptors', () => {
    const layer = { mediaType: MediaType.dockerForeignLayerGzip, digest: D, size: 5, urls: ['https://example.com/l'] };
    const m = parseManifest(manifest({ layers: [layer], artifactType: 'application/x-thing' }), D);
    expect(m.artifactType).toBe('application/x-thing');
    expect(m.layers[0]?.urls).toEqual(['https://example.com/l']);
  });

  it('keeps exactly what the documents say: media types, a variant, an artifactType, a 0-byte blob; null urls and empty_layer read as absent', () => {
    const index = parseIndex(
      JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [desc({ size: 0, urls: null, artifactType: 'application/x-a', platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } })] }),
      'x'
    );
    expect(index).toStrictEqual({
      mediaType: MediaType.ociIndex,
      manifests: [{ mediaType: MediaType.ociManifest, digest: D, size: 0, annotations: {}, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' }, artifactType: 'application/x-a' }]
    });
    expect(parseManifest(manifest({ mediaType: MediaType.dockerManifest }), D).mediaType).toBe(MediaType.dockerManifest);
    expect(parseConfig(config({ history: [{ empty_layer: null }, { created_by: 'RUN x', empty_layer: true }, { comment: 'c' }] }), D).history).toStrictEqual([
      { emptyLayer: false },
      { createdBy: 'RUN x', emptyLayer: true },
      { emptyLayer: false, comment: 'c' }
    ]);
  });

  it('accepts digests of other registered algorithms in documents', () => {
    const sha512 = `sha512:${'b'.repeat(128)}`;
    expect(parseManifest(manifest({ layers: [{ mediaType: MediaType.ociLayer, digest: sha512, size: 1 }] }), D).layers[0]?.digest).toBe(sha512);
  });
});

describe('helpers', () => {
  const base: Descriptor = { mediaType: MediaType.ociManifest, digest: `sha256:${'c'.repeat(64)}`, size: 1, annotations: {} };

  it.each([
    ['a platform manifest', base, false],
    ['the attestation annotation', { ...base, annotations: { 'vnd.docker.reference.type': 'attestation-manifest' } }, true],
    ['platform unknown/unknown', { ...base, platform: { os: 'unknown', architecture: 'unknown' } }, true],
    ['only the os unknown', { ...base, platform: { os: 'unknown', architecture: 'amd64' } }, false],
    ['another reference type', { ...base, annotations: { 'vnd.docker.reference.type': 'something-else' } }, false]
  ] as const)('isAttestationManifest: %s → %s', (_name, d, expected) => {
    expect(isAttestationManifest(d)).toBe(expected);
  });

  it.each([
    [{ os: 'linux', architecture: 'amd64' }, 'linux/amd64'],
    [{ os: 'linux', architecture: 'arm64', variant: 'v8' }, 'linux/arm64/v8'],
    [{ os: 'linux', architecture: 'arm', variant: '' }, 'linux/arm'],
    [{ os: 'windows', architecture: 'amd64', variant: undefined }, 'windows/amd64']
  ])('platformString(%o) = %s', (p, expected) => {
    expect(platformString(p)).toBe(expected);
  });

  it.each([
    [MediaType.ociLayer, 'none', false],
    [MediaType.ociLayerGzip, 'gzip', false],
    [MediaType.ociLayerZstd, 'zstd', false],
    [MediaType.ociForeignLayer, 'none', true],
    [MediaType.ociForeignLayerGzip, 'gzip', true],
    [MediaType.ociForeignLayerZstd, 'zstd', true],
    [MediaType.dockerLayer, 'none', false],
    [MediaType.dockerLayerGzip, 'gzip', false],
    [MediaType.dockerLayerZstd, 'zstd', false],
    [MediaType.dockerForeignLayerGzip, 'gzip', true],
    ['application/vnd.in-toto+json', undefined, false],
    [MediaType.ociManifest, undefined, false]
  ] as const)('layer media type %s: compression %s, foreign %s', (mediaType, compression, foreign) => {
    expect(layerCompression(mediaType)).toBe(compression);
    expect(isForeignLayer(mediaType)).toBe(foreign);
  });

  it('classifies index, manifest and config media types', () => {
    expect([MediaType.ociIndex, MediaType.dockerManifestList].every(isIndexMediaType)).toBe(true);
    expect([MediaType.ociManifest, MediaType.dockerManifest].every(isManifestMediaType)).toBe(true);
    expect([MediaType.ociConfig, MediaType.dockerConfig].every(isConfigMediaType)).toBe(true);
    expect(isIndexMediaType(MediaType.ociManifest) || isManifestMediaType(MediaType.ociIndex) || isConfigMediaType('application/vnd.oci.empty.v1+json')).toBe(false);
  });

  it.each([
    [`sha256:${'0'.repeat(64)}`, true],
    [`sha256:${'0'.repeat(63)}`, false],
    [`sha256:${'0'.repeat(63)}/`, false],
    [`sha512:${'0'.repeat(128)}`, false],
    ['sha256:../../../etc/passwd', false],
    [`SHA256:${'0'.repeat(64)}`, false]
  ])('isSha256Digest(%s) = %s', (digest, expected) => {
    expect(isSha256Digest(digest)).toBe(expected);
  });
});
