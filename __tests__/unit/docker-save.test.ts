// The docker save reader: recorded JSON of real `docker save` tars (classic store, dockerd 26.1)
// replayed through the assembly, and synthetic save tars, built here, streamed through the reader in
// chunks of every size.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { ArchiveError } from '../../src/image/archive-reader.js';
import { measureDockerSave, readSaveTar } from '../../src/image/docker-save.js';
import { MAX_JSON_BLOB } from '../../src/image/image-rules.js';
import { imagesFromSave, parseLegacyManifest, type SaveContents, type SavedFile } from '../../src/image/save-images.js';
import { ExecError } from '../../src/exec.js';
import { InputError } from '../../src/inputs/errors.js';
import { checkSideRequest, measureLoaded, type StreamExec, type StreamedRun } from '../../src/pipeline/side.js';

const FIXTURES = new URL('../fixtures/docker-save/', import.meta.url);
const sha256 = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const hex = (digest: string): string => digest.slice('sha256:'.length);

// ── Recorded fixtures ────────────────────────────────────────────────────────────────────────────

/** The recorded JSON files as they were read, and the layers (left out of the fixture) by their recorded size. */
function fixtureContents(name: string, drop: readonly string[] = []): SaveContents {
  const files = new Map<string, SavedFile>();
  for (const line of readFileSync(new URL(`${name}/entries.txt`, FIXTURES), 'utf8').trim().split('\n')) {
    const [size = '', path = ''] = line.split(' ');
    if (drop.includes(path)) continue;
    const url = new URL(`${name}/${path}`, FIXTURES);
    if (existsSync(url)) {
      const content = readFileSync(url);
      files.set(path, { size: content.length, digest: sha256(content), gzipBytes: gzipSync(content).length, text: content.toString('utf8') });
    } else {
      // A layer: its name is its digest; the gzip estimate is made up (a tenth), the reader only sums it.
      files.set(path, { size: Number(size), digest: `sha256:${path.split('/').pop() ?? ''}`, gzipBytes: Math.ceil(Number(size) / 10) });
    }
  }
  return { files, links: new Map() };
}

interface RawManifest {
  config: { digest: string };
  layers: Array<{ digest: string; size: number }>;
}

/** The recorded OCI manifest, read with plain JSON.parse: the independent side of the comparison. */
function recordedManifest(name: string): { digest: string; manifest: RawManifest } {
  const index = JSON.parse(readFileSync(new URL(`${name}/index.json`, FIXTURES), 'utf8')) as { manifests: Array<{ digest: string }> };
  const digest = index.manifests[0]?.digest ?? '';
  const manifest = JSON.parse(readFileSync(new URL(`${name}/blobs/sha256/${hex(digest)}`, FIXTURES), 'utf8')) as RawManifest;
  return { digest, manifest };
}

describe('recorded docker save output (classic store, dockerd 26.1)', () => {
  test.each(['busybox-args', 'scratch-copy'])('%s through index.json: sizes, layers, digests from the OCI manifest', async (name) => {
    const { digest, manifest } = recordedManifest(name);
    const [image, ...more] = await imagesFromSave(fixtureContents(name), { target: 't', secrets: [] });
    expect(more).toEqual([]);
    expect(image).toMatchObject({
      target: 't',
      platform: 'linux/amd64',
      digest,
      configDigest: manifest.config.digest,
      method: 'docker-save',
      compressedEstimated: true,
      layerCount: manifest.layers.length,
      uncompressedBytes: manifest.layers.reduce((a, l) => a + l.size, 0),
      compressedBytes: manifest.layers.reduce((a, l) => a + Math.ceil(l.size / 10), 0)
    });
    expect(image?.layers.map((l) => [l.digest, l.uncompressedBytes, l.mediaType])).toEqual(
      manifest.layers.map((l) => [l.digest, l.size, 'application/vnd.oci.image.layer.v1.tar'])
    );
  });

  test('busybox-args: instructions per layer, build-arg values redacted', async () => {
    const [image] = await imagesFromSave(fixtureContents('busybox-args'), { target: 't', secrets: ['s3cr3t value', 'plain'] });
    const instructions = image?.layers.map((l) => l.instruction) ?? [];
    expect(instructions).toEqual([
      'Imported from -',
      expect.stringMatching(/^RUN \|2 TOKEN=\*\*\* OTHER=\*\*\* \/bin\/sh -c mkdir -p \/app/),
      'WORKDIR /app',
      'COPY hello.txt /app/hello.txt',
      'RUN |2 TOKEN=*** OTHER=*** /bin/sh -c echo $OTHER > other.txt'
    ]);
    expect(JSON.stringify(image)).not.toMatch(/s3cr3t|plain/);
  });

  test.each(['busybox-args', 'scratch-copy'])('%s through the legacy manifest.json gives the same numbers', async (name) => {
    const opts = { target: 't', secrets: ['s3cr3t value'] };
    const [viaIndex] = await imagesFromSave(fixtureContents(name), opts);
    const [legacy] = await imagesFromSave(fixtureContents(name, ['index.json', 'oci-layout']), opts);
    expect(legacy).toMatchObject({
      platform: viaIndex?.platform,
      // No manifest in a legacy save: the image is named by its config (the image ID).
      digest: viaIndex?.configDigest,
      configDigest: viaIndex?.configDigest,
      uncompressedBytes: viaIndex?.uncompressedBytes,
      compressedBytes: viaIndex?.compressedBytes,
      layerCount: viaIndex?.layerCount
    });
    expect(legacy?.layers.map((l) => [l.digest, l.instruction])).toEqual(viaIndex?.layers.map((l) => [l.digest, l.instruction]));
  });

  test('a recorded layer missing from the archive is an error naming it', async () => {
    const { manifest } = recordedManifest('scratch-copy');
    const layer = manifest.layers[1]?.digest ?? '';
    await expect(imagesFromSave(fixtureContents('scratch-copy', [`blobs/sha256/${hex(layer)}`]), { target: 't', secrets: [] })).rejects.toThrow(
      `layer ${layer} is missing`
    );
  });
});

// ── Synthetic tars ───────────────────────────────────────────────────────────────────────────────

interface EntryOptions {
  readonly type?: string;
  readonly linkname?: string;
  /** Write the name through a pax `path` record (and this size through pax `size`, if given). */
  readonly pax?: boolean;
  /** Write the name through a GNU `L` entry. */
  readonly gnuLong?: boolean;
  /** Put the first part of a long name in the ustar prefix field. */
  readonly prefix?: string;
  /** Spoil the header checksum. */
  readonly badChecksum?: boolean;
}

function header(name: string, size: number, type: string, o: { linkname?: string; prefix?: string; gnu?: boolean; badChecksum?: boolean } = {}): Buffer {
  const h = Buffer.alloc(512);
  h.write(name.slice(0, 100), 0, 'utf8');
  h.write('0000644\0', 100, 'latin1');
  h.write('0000000\0', 108, 'latin1');
  h.write('0000000\0', 116, 'latin1');
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'latin1');
  h.write('00000000000\0', 136, 'latin1');
  h.write(type, 156, 'latin1');
  if (o.linkname) h.write(o.linkname, 157, 'utf8');
  if (o.gnu) h.write('ustar  \0', 257, 'latin1');
  else h.write('ustar\u000000', 257, 'latin1');
  if (o.prefix) h.write(o.prefix, 345, 'utf8');
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  if (o.badChecksum) sum += 1;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return h;
}

const pad = (b: Buffer): Buffer => Buffer.concat([b, Buffer.alloc((512 - (b.length % 512)) % 512)]);

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = body.length + 1;
  while (`${len}${body}`.length !== len) len = `${len}${body}`.length;
  return `${len}${body}`;
}

function entry(name: string, data: Buffer = Buffer.alloc(0), o: EntryOptions = {}): Buffer {
  const type = o.type ?? '0';
  const parts: Buffer[] = [];
  let shortName = name;
  if (o.pax) {
    const record = Buffer.from(paxRecord('path', name));
    parts.push(header('PaxHeaders/x', record.length, 'x'), pad(record));
    shortName = 'ignored-by-pax';
  }
  if (o.gnuLong) {
    const long = Buffer.from(`${name}\0`);
    parts.push(header('././@LongLink', long.length, 'L', { gnu: true }), pad(long));
    shortName = name.slice(0, 100);
  }
  parts.push(header(shortName, type === '0' ? data.length : 0, type, { linkname: o.linkname, prefix: o.prefix, gnu: o.gnuLong, badChecksum: o.badChecksum }));
  if (type === '0') parts.push(pad(data));
  return Buffer.concat(parts);
}

const END = Buffer.alloc(1024);
const dir = (name: string): Buffer => entry(name, undefined, { type: '5' });

/** A layer: a small tar of `files`. */
function layerTar(files: Record<string, Buffer>): Buffer {
  return Buffer.concat([...Object.entries(files).map(([n, d]) => entry(n, d)), END]);
}

interface History {
  created_by?: string;
  comment?: string;
  empty_layer?: boolean;
}

/** The config of an image with these layers (uncompressed, so diff_id = digest). */
function configFor(layers: readonly Buffer[], history: readonly History[], platform = { os: 'linux', architecture: 'amd64' }): Buffer {
  return Buffer.from(JSON.stringify({ ...platform, rootfs: { type: 'layers', diff_ids: layers.map((l) => sha256(l)) }, history }));
}

interface OciImage {
  readonly manifest: Buffer;
  readonly config: Buffer;
  readonly layers: readonly Buffer[];
}

function ociImage(layers: readonly Buffer[], history: readonly History[], mediaType = 'application/vnd.oci.image.layer.v1.tar'): OciImage {
  const config = configFor(layers, history);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: layers.map((l) => ({ mediaType, digest: sha256(l), size: l.length }))
    })
  );
  return { manifest, config, layers };
}

const blobEntry = (b: Buffer, o: EntryOptions = {}): Buffer => entry(`blobs/sha256/${hex(sha256(b))}`, b, o);

function indexJson(manifests: ReadonlyArray<{ manifest: Buffer; annotations?: Record<string, string>; platform?: object }>): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: manifests.map((m) => ({
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: sha256(m.manifest),
        size: m.manifest.length,
        ...(m.annotations ? { annotations: m.annotations } : {}),
        ...(m.platform ? { platform: m.platform } : {})
      }))
    })
  );
}

/** A save tar as Docker 26 writes it: folders, blobs (layers, configs, manifests), then index.json, manifest.json, oci-layout. */
function ociSave(images: readonly OciImage[], o: { blobOptions?: EntryOptions; extra?: readonly Buffer[]; index?: Buffer } = {}): Buffer {
  const blobs = new Map<string, Buffer>();
  for (const img of images) for (const b of [...img.layers, img.config, img.manifest]) blobs.set(sha256(b), b);
  const legacy = images.map((img) => ({
    Config: `blobs/sha256/${hex(sha256(img.config))}`,
    RepoTags: ['image-budget.local/x:y'],
    Layers: img.layers.map((l) => `blobs/sha256/${hex(sha256(l))}`)
  }));
  return Buffer.concat([
    dir('blobs/'),
    dir('blobs/sha256/'),
    ...[...blobs.values()].map((b) => blobEntry(b, o.blobOptions)),
    ...(o.extra ?? []),
    entry('index.json', o.index ?? indexJson(images)),
    entry('manifest.json', Buffer.from(JSON.stringify(legacy))),
    entry('oci-layout', Buffer.from('{"imageLayoutVersion": "1.0.0"}')),
    END
  ]);
}

/** The bytes in chunks of `size` (the last one shorter). */
function chunked(data: Buffer, size: number): Readable {
  const chunks: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) chunks.push(data.subarray(i, i + size));
  return Readable.from(chunks);
}

const layerA = layerTar({ 'etc/hello.txt': Buffer.from('hello\n'), 'usr/share/doc.txt': Buffer.from('lorem ipsum '.repeat(5000)) });
const layerB = layerTar({ 'bin/random': randomBytes(200_000) });
const EMPTY_LAYER = END;
const history: History[] = [
  { created_by: 'COPY . / # buildkit', comment: 'buildkit.dockerfile.v0' },
  { created_by: 'ENV A=1', empty_layer: true },
  { created_by: 'RUN |1 TOKEN=hunter2-secret /bin/sh -c make # buildkit' },
  { created_by: 'WORKDIR /app' }
];
const image = ociImage([layerA, layerB, EMPTY_LAYER], history);

describe('streaming a save tar', () => {
  test.each([1, 7])('a small image in chunks of %i bytes', async (size) => {
    const small = layerTar({ a: Buffer.from('a'.repeat(600)) });
    const img = ociImage([small, EMPTY_LAYER], [{ created_by: 'COPY a /' }, { created_by: 'WORKDIR /' }]);
    const [stats] = await measureDockerSave(chunked(ociSave([img]), size), { target: 't', secrets: [] });
    expect(stats).toMatchObject({
      digest: sha256(img.manifest),
      uncompressedBytes: small.length + EMPTY_LAYER.length,
      compressedBytes: gzipSync(small).length + gzipSync(EMPTY_LAYER).length,
      layerCount: 2
    });
  });

  test.each([511, 512, 513, 4096, 65536, 10_000_000])('in chunks of %i bytes: exact sizes, gzip estimates, instructions', async (size) => {
    const [stats, ...more] = await measureDockerSave(chunked(ociSave([image]), size), { target: 'app', secrets: ['hunter2-secret'] });
    expect(more).toEqual([]);
    const layers = [layerA, layerB, EMPTY_LAYER];
    expect(stats).toEqual({
      target: 'app',
      platform: 'linux/amd64',
      digest: sha256(image.manifest),
      configDigest: sha256(image.config),
      // zlib gzip at the default level: the same bytes however the input was split.
      compressedBytes: layers.reduce((a, l) => a + gzipSync(l).length, 0),
      uncompressedBytes: layers.reduce((a, l) => a + l.length, 0),
      layerCount: 3,
      layers: layers.map((l, i) => ({
        digest: sha256(l),
        mediaType: 'application/vnd.oci.image.layer.v1.tar',
        compressedBytes: gzipSync(l).length,
        uncompressedBytes: l.length,
        instruction: ['COPY . /', 'RUN |1 TOKEN=*** /bin/sh -c make', 'WORKDIR /app'][i]
      })),
      method: 'docker-save',
      compressedEstimated: true
    });
    // Random bytes do not compress, text does: the estimate follows the content.
    expect(stats?.layers[1]?.compressedBytes).toBeGreaterThan(200_000);
    expect(stats?.layers[0]?.compressedBytes).toBeLessThan(layerA.length / 10);
  });

  test('only small JSON-looking files are kept in memory, every file is summarised', async () => {
    const big = layerTar({ 'big.bin': randomBytes(MAX_JSON_BLOB + 4096) });
    const contents = await readSaveTar(chunked(ociSave([ociImage([big, layerA], history)]), 65536));
    const layerFile = contents.files.get(`blobs/sha256/${hex(sha256(big))}`);
    expect(layerFile).toEqual({ size: big.length, digest: sha256(big), gzipBytes: gzipSync(big).length });
    expect(contents.files.get(`blobs/sha256/${hex(sha256(layerA))}`)?.text).toBeUndefined();
    expect(contents.files.get('index.json')?.text).toMatch(/^\{"schemaVersion":2/);
    expect(contents.files.get('manifest.json')?.text).toMatch(/^\[/);
  });

  test('a JSON document larger than 4 MiB is not kept, and is refused as a config', async () => {
    const padding = ' '.repeat(MAX_JSON_BLOB);
    const config = Buffer.from(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}${padding}}`);
    const manifest = Buffer.from(
      JSON.stringify({ schemaVersion: 2, config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length }, layers: [] })
    );
    const tar = ociSave([{ manifest, config, layers: [] }]);
    await expect(measureDockerSave(chunked(tar, 65536), { target: 't', secrets: [] })).rejects.toThrow(
      `Image config ${sha256(config)} is ${config.length} bytes, more than the ${MAX_JSON_BLOB} accepted`
    );
  });

  test('a small layer whose content starts with { is still measured as a layer', async () => {
    const odd = layerTar({ '{weird}': Buffer.from('x') });
    const [stats] = await measureDockerSave(chunked(ociSave([ociImage([odd], [{ created_by: 'COPY x /' }])]), 100), { target: 't', secrets: [] });
    expect(stats?.layers[0]).toMatchObject({ uncompressedBytes: odd.length, compressedBytes: gzipSync(odd).length });
  });

  test.each<[string, EntryOptions]>([
    ['pax path records', { pax: true }],
    ['GNU long names', { gnuLong: true }]
  ])('blob names written as %s', async (_name, blobOptions) => {
    const [stats] = await measureDockerSave(chunked(ociSave([image], { blobOptions }), 999), { target: 't', secrets: [] });
    expect(stats?.uncompressedBytes).toBe(layerA.length + layerB.length + EMPTY_LAYER.length);
  });

  test('a ustar prefix field is joined to the name', async () => {
    const tar = Buffer.concat([entry('sha256/' + 'a'.repeat(64), Buffer.from('x'), { prefix: 'blobs' }), END]);
    const contents = await readSaveTar(chunked(tar, 512));
    expect([...contents.files.keys()]).toEqual([`blobs/sha256/${'a'.repeat(64)}`]);
  });

  test('pax g records are ignored and `..` is cleaned, by the rules of tar.ts', async () => {
    const g = Buffer.from(paxRecord('path', 'global'));
    const tar = Buffer.concat([header('pax_global_header', g.length, 'g'), pad(g), entry('../x/../index.json', Buffer.from('{}')), END]);
    const contents = await readSaveTar(chunked(tar, 300));
    expect([...contents.files.keys()]).toEqual(['index.json']);
  });

  test('a pax size overrides the header size', async () => {
    const data = Buffer.from('0123456789');
    const record = Buffer.from(paxRecord('size', String(data.length)));
    const tar = Buffer.concat([header('PaxHeaders/f', record.length, 'x'), pad(record), header('f', 0, '0'), pad(data), END]);
    const contents = await readSaveTar(chunked(tar, 300));
    expect(contents.files.get('f')).toMatchObject({ size: 10, digest: sha256(data) });
  });

  test('two images (two tags saved at once), one listed twice, attestations skipped', async () => {
    const other = ociImage([layerA], [{ created_by: 'COPY a /' }]);
    const attestation = ociImage([], []);
    const index = indexJson([
      { manifest: image.manifest },
      { manifest: other.manifest },
      { manifest: image.manifest },
      { manifest: attestation.manifest, annotations: { 'vnd.docker.reference.type': 'attestation-manifest' } }
    ]);
    const images = await measureDockerSave(chunked(ociSave([image, other, attestation], { index }), 4096), { target: 't', secrets: [] });
    expect(images.map((i) => [i.digest, i.layerCount])).toEqual([
      [sha256(image.manifest), 3],
      [sha256(other.manifest), 1]
    ]);
  });

  test('the same layer twice in one image is counted twice, as the manifest says', async () => {
    const twice = ociImage([layerA, layerA], [{ created_by: 'COPY a /' }, { created_by: 'COPY a /' }]);
    const [stats] = await measureDockerSave(chunked(ociSave([twice]), 4096), { target: 't', secrets: [] });
    expect(stats).toMatchObject({ layerCount: 2, uncompressedBytes: 2 * layerA.length, compressedBytes: 2 * gzipSync(layerA).length });
  });

  test('warnings: history not matching the layers, another platform than asked', async () => {
    const warnings: string[] = [];
    const short = ociImage([layerA, layerB], [{ created_by: 'COPY a /' }]);
    const [stats] = await measureDockerSave(chunked(ociSave([short]), 4096), {
      target: 't',
      platform: 'linux/arm64',
      secrets: [],
      onWarning: (m) => warnings.push(m)
    });
    expect(stats?.layers.map((l) => l.instruction)).toEqual(['COPY a /', '?']);
    expect(warnings).toEqual([
      't: linux/arm64 was asked for but the loaded image is linux/amd64',
      't (linux/amd64): the image history describes 1 layers but the image has 2; layers without a history entry are shown as "?"'
    ]);
  });

  test('arm64 and arm64/v8 are one platform: no warning', async () => {
    const warnings: string[] = [];
    const arm = ociImage([layerA], [{ created_by: 'COPY a /' }]);
    const config = configFor([layerA], [{ created_by: 'COPY a /' }], { os: 'linux', architecture: 'arm64' });
    const manifest = Buffer.from(arm.manifest.toString().replace(sha256(arm.config), sha256(config)).replace(`"size":${arm.config.length}`, `"size":${config.length}`));
    const [stats] = await measureDockerSave(chunked(ociSave([{ manifest, config, layers: [layerA] }]), 4096), {
      target: 't',
      platform: 'linux/arm64/v8',
      secrets: [],
      onWarning: (m) => warnings.push(m)
    });
    expect(stats?.platform).toBe('linux/arm64');
    expect(warnings).toEqual([]);
  });
});

describe('files: the layers\' entries in the same pass', () => {
  // Layer 2 overwrites etc/hello.txt and deletes usr/share/doc.txt with a whiteout.
  const over = layerTar({ 'etc/hello.txt': Buffer.from('hello again, longer\n'), 'usr/share/.wh.doc.txt': Buffer.alloc(0) });
  const img = ociImage([layerA, over], [{ created_by: 'COPY . /' }, { created_by: 'RUN change' }]);

  test.each([1000, 65536])('final files and wasted space, in chunks of %i bytes', async (size) => {
    const [stats] = await measureDockerSave(chunked(ociSave([img]), size), { target: 't', secrets: [], files: true });
    expect(stats?.files).toEqual({
      final: new Map([['etc/hello.txt', 20]]),
      layerOf: new Map([['etc/hello.txt', 1]]),
      wastedBytes: 6 + 60_000,
      wasted: [
        { path: 'usr/share/doc.txt', bytes: 60_000 },
        { path: 'etc/hello.txt', bytes: 6 }
      ]
    });
    // The sizes are those of the run without files.
    const [plain] = await measureDockerSave(chunked(ociSave([img]), size), { target: 't', secrets: [] });
    expect(plain?.files).toBeUndefined();
    expect({ ...stats, files: undefined }).toEqual({ ...plain, files: undefined });
  });

  test('a layer that is not a tar stream is refused when files are asked for', async () => {
    const notTar = Buffer.from('x'.repeat(4096));
    const bad = ociImage([notTar], [{ created_by: 'COPY x /' }]);
    await expect(measureDockerSave(chunked(ociSave([bad]), 4096), { target: 't', secrets: [], files: true })).rejects.toThrow(
      /Layer sha256:[0-9a-f]{64} of the docker save output is not a valid tar stream/
    );
  });
});

describe('legacy save tars (Docker before 25: <id>/layer.tar, <id>.json)', () => {
  function legacySave(layers: readonly Buffer[], opts: { symlinkSecond?: boolean } = {}): { tar: Buffer; config: Buffer } {
    const config = configFor(layers, layers.map((_, i) => ({ created_by: `COPY l${i} /` })));
    const ids = layers.map((_, i) => `${String(i).repeat(64)}`);
    const parts: Buffer[] = [];
    layers.forEach((l, i) => {
      parts.push(dir(`${ids[i]}/`), entry(`${ids[i]}/VERSION`, Buffer.from('1.0')), entry(`${ids[i]}/json`, Buffer.from('{"id":"x"}')));
      if (opts.symlinkSecond && i === 1) parts.push(entry(`${ids[i]}/layer.tar`, undefined, { type: '2', linkname: `../${ids[0]}/layer.tar` }));
      else parts.push(entry(`${ids[i]}/layer.tar`, l));
    });
    const configName = `${hex(sha256(config))}.json`;
    const manifest = [{ Config: configName, RepoTags: ['x:y'], Layers: ids.map((id) => `${id}/layer.tar`) }];
    parts.push(entry(configName, config), entry('manifest.json', Buffer.from(JSON.stringify(manifest))), entry('repositories', Buffer.from('{}')), END);
    return { tar: Buffer.concat(parts), config };
  }

  test('layers and config found through manifest.json', async () => {
    const { tar, config } = legacySave([layerA, layerB]);
    const [stats] = await measureDockerSave(chunked(tar, 8192), { target: 't', secrets: [] });
    expect(stats).toMatchObject({
      digest: sha256(config),
      configDigest: sha256(config),
      uncompressedBytes: layerA.length + layerB.length,
      compressedBytes: gzipSync(layerA).length + gzipSync(layerB).length,
      layerCount: 2,
      method: 'docker-save',
      compressedEstimated: true
    });
    expect(stats?.layers.map((l) => [l.digest, l.mediaType, l.instruction])).toEqual([
      [sha256(layerA), 'application/vnd.docker.image.rootfs.diff.tar', 'COPY l0 /'],
      [sha256(layerB), 'application/vnd.docker.image.rootfs.diff.tar', 'COPY l1 /']
    ]);
  });

  test('a layer listed twice is a symlink to the first copy', async () => {
    const { tar } = legacySave([layerA, layerA], { symlinkSecond: true });
    const [stats] = await measureDockerSave(chunked(tar, 8192), { target: 't', secrets: [] });
    expect(stats).toMatchObject({ layerCount: 2, uncompressedBytes: 2 * layerA.length });
  });

  test.each<[string, string, string]>([
    ['not an array', '{}', 'the document must be an array'],
    ['entry not an object', '[1]', '[0] must be an object'],
    ['no Config', '[{"Layers":[]}]', '[0].Config must be a path'],
    ['Layers not an array', '[{"Config":"c.json","Layers":"x"}]', '[0].Layers must be an array'],
    ['a layer not a string', '[{"Config":"c.json","Layers":[3]}]', '[0].Layers[0] must be a path'],
    ['not JSON', '[', 'not valid JSON']
  ])('malformed manifest.json: %s', (_name, text, message) => {
    expect(() => parseLegacyManifest(text)).toThrow(message);
  });

  test('Layers null is an image without layers', () => {
    expect(parseLegacyManifest('[{"Config":"c.json","Layers":null}]')).toEqual([{ config: 'c.json', layers: [] }]);
  });
});

describe('refused archives', () => {
  const measure = (tar: Buffer): Promise<unknown> => measureDockerSave(chunked(tar, 4096), { target: 't', secrets: [] });

  test('a bad header checksum: not a tar', async () => {
    const tar = Buffer.concat([entry('index.json', Buffer.from('{}'), { badChecksum: true }), END]);
    await expect(measure(tar)).rejects.toThrow(ArchiveError);
    await expect(measure(tar)).rejects.toThrow(/^not a tar archive \(docker save output\): tar header at byte 0: checksum mismatch \(header says \d+, content sums to \d+\)$/);
  });

  test('text that is no tar at all', async () => {
    await expect(measure(Buffer.from('Error response from daemon: no such image\n'.repeat(20)))).rejects.toThrow(
      'not a tar archive (docker save output): not a tar stream: the header at byte 0 has no valid checksum'
    );
  });

  test.each<[string, (t: Buffer) => Buffer, RegExp]>([
    ['cut in a layer', (t) => t.subarray(0, 3000), /ended in the middle of an entry .*incomplete/],
    ['cut in a header', (t) => t.subarray(0, 1024 + 100), /ended in the middle of an entry/],
    ['without the end-of-archive marker', (t) => t.subarray(0, t.length - 1024), /ended before the end-of-archive marker/],
    // Docker (Go's tar writer) always writes both zero blocks: one alone is a stream cut short.
    ['with one zero block of the marker only', (t) => t.subarray(0, t.length - 512), /ended before the end-of-archive marker/],
    ['empty', () => Buffer.alloc(0), /ended before the end-of-archive marker/]
  ])('truncated: %s', async (_name, cut, message) => {
    await expect(measure(cut(ociSave([image])))).rejects.toThrow(message);
  });

  test('anything after the end-of-archive marker is ignored (record padding)', async () => {
    const images = (await measure(Buffer.concat([ociSave([image]), Buffer.alloc(8192)]))) as unknown[];
    expect(images).toHaveLength(1);
  });

  test('a blob whose content does not match its name', async () => {
    const tampered = Buffer.from(layerB);
    tampered[5000] = (tampered[5000] ?? 0) ^ 0xff;
    const blobs = ociSave([image]);
    const at = blobs.indexOf(layerB);
    const tar = Buffer.concat([blobs.subarray(0, at), tampered, blobs.subarray(at + layerB.length)]);
    await expect(measure(tar)).rejects.toThrow(`Layer ${sha256(layerB)} does not match its digest (content is ${sha256(tampered)})`);
  });

  test('a layer that does not match its diff_id', async () => {
    const config = configFor([layerB], [{ created_by: 'COPY a /' }]);
    const wrong = ociImage([layerA], [{ created_by: 'COPY a /' }]);
    const manifest = Buffer.from(wrong.manifest.toString().replace(sha256(wrong.config), sha256(config)).replace(`"size":${wrong.config.length}`, `"size":${config.length}`));
    await expect(measure(ociSave([{ manifest, config, layers: [layerA] }]))).rejects.toThrow(
      `Layer ${sha256(layerA)} does not match its diff_id ${sha256(layerB)}`
    );
  });

  test('a compressed layer: this path measures uncompressed layers only', async () => {
    const gz = gzipSync(layerA);
    const img = ociImage([gz], [{ created_by: 'COPY a /' }], 'application/vnd.oci.image.layer.v1.tar+gzip');
    await expect(measure(ociSave([img]))).rejects.toThrow(`Layer ${sha256(gz)} of the docker save output is gzip-compressed`);
  });

  test('a descriptor size other than the blob', async () => {
    const img = ociImage([layerA], [{ created_by: 'COPY a /' }]);
    const manifest = Buffer.from(img.manifest.toString().replace(`"size":${layerA.length}`, `"size":${layerA.length + 1}`));
    await expect(measure(ociSave([{ ...img, manifest }]))).rejects.toThrow(
      `Layer ${sha256(layerA)} is ${layerA.length} bytes in the docker save output but its descriptor says ${layerA.length + 1}`
    );
  });

  test('neither index.json nor manifest.json', async () => {
    await expect(measure(Buffer.concat([entry('repositories', Buffer.from('{}')), END]))).rejects.toThrow(
      'docker save output has neither index.json nor manifest.json: not an image archive'
    );
  });

  test('an index listing no image', async () => {
    await expect(measure(ociSave([], { index: indexJson([]) }))).rejects.toThrow('docker save output holds no image');
  });
});

// ── docker save streamed into the measurer (side.ts), with a fake program ────────────────────────

describe('measureLoaded', () => {
  interface Fake {
    readonly stdout: Buffer;
    readonly code?: number;
    readonly stderr?: string;
    readonly startError?: Error;
  }
  const kills: string[] = [];
  beforeEach(() => {
    kills.length = 0;
  });
  function fakeStream(f: Fake, calls: Array<readonly string[]>): StreamExec {
    return (file, args) => {
      calls.push([file, ...args]);
      const run: StreamedRun = {
        stdout: chunked(f.stdout, 4096),
        done: f.startError
          ? Promise.reject(f.startError)
          : new Promise((resolve) => setImmediate(() => resolve({ code: f.code ?? 0, stderr: f.stderr ?? '' }))),
        kill: () => kills.push(file)
      };
      return run;
    };
  }
  const opts = { target: 'app', secrets: [] };

  test('runs `docker save <tag>` (argv, no shell) and measures its output', async () => {
    const calls: Array<readonly string[]> = [];
    const images = await measureLoaded({ streamExec: fakeStream({ stdout: ociSave([image]) }, calls), env: {} }, 'image-budget.local/k:1', opts);
    expect(calls).toEqual([['docker', 'save', '--', 'image-budget.local/k:1']]);
    expect(images.map((i) => [i.digest, i.method])).toEqual([[sha256(image.manifest), 'docker-save']]);
    expect(kills).toEqual([]);
  });

  test.each<[string, Fake, string | RegExp]>([
    [
      'docker save fails (no output): its own message, not a truncated archive',
      { stdout: Buffer.alloc(0), code: 1, stderr: 'Error response from daemon: empty export - not implemented\n' },
      'docker save image-budget.local/k:1 failed (exit code 1): Error response from daemon: empty export - not implemented'
    ],
    [
      'docker save dies half way: its message',
      { stdout: ociSave([image]).subarray(0, 5000), code: 1, stderr: 'write failed\nunexpected EOF\n' },
      'docker save image-budget.local/k:1 failed (exit code 1): unexpected EOF'
    ],
    [
      'the measurement gives up and closes the pipe (docker save then fails on the broken pipe): the measurement error',
      { stdout: Buffer.from('not a tar at all'.repeat(64)), code: 1, stderr: 'write /dev/stdout: broken pipe\n' },
      /^not a tar archive/
    ],
    [
      'docker save exits 0 but the archive is bad: the measurement error',
      { stdout: ociSave([image]).subarray(0, 5000) },
      /ended in the middle of an entry/
    ],
    ['docker cannot be started', { stdout: Buffer.alloc(0), startError: new ExecError('docker', 'docker: command not found') }, 'docker: command not found']
  ])('%s', async (_name, fake, message) => {
    await expect(measureLoaded({ streamExec: fakeStream(fake, []), env: {} }, 'image-budget.local/k:1', opts)).rejects.toThrow(message);
    // Whenever the measurement fails, docker save is told to stop (a no-op when it has ended).
    expect(kills).toEqual(['docker']);
  });
});

describe('checkSideRequest (RELIABILITY row 18)', () => {
  test('several platforms on the classic store: refused before any build, naming platforms and the ways out', () => {
    const check = (): void => checkSideRequest({ measure: 'docker-save', platforms: ['linux/amd64', 'linux/arm64'] });
    expect(check).toThrow(InputError);
    expect(check).toThrow(/^Invalid input 'platforms': "linux\/amd64,linux\/arm64" cannot be measured at once/);
    expect(check).toThrow(/measure one platform at a time/);
    expect(check).toThrow(/containerd image store/);
    expect(check).not.toThrow(/manifest lists/);
  });
  test.each<[string, 'oci-layout' | 'docker-save' | undefined, string[]]>([
    ['classic store, one platform', 'docker-save', ['linux/amd64']],
    ['classic store, the default platform', 'docker-save', []],
    ['OCI layout, several platforms', 'oci-layout', ['linux/amd64', 'linux/arm64']],
    ['measure not given (OCI layout), several platforms', undefined, ['linux/amd64', 'linux/arm64']]
  ])('%s: accepted', (_name, measure, platforms) => {
    expect(() => checkSideRequest({ ...(measure ? { measure } : {}), platforms })).not.toThrow();
  });
});
