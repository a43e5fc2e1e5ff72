// measureOciLayout against layouts freshly built by the real engine. Every number is checked against
// an independent reading: the layout's JSON read with JSON.parse, each layer decompressed by the
// `gzip`/`zstd` programs and counted by `wc -c`, the layer count by the config's diff_ids.
// File details (`files: true`) are checked against the final filesystem exported by buildx itself
// (`--output type=local`, walked with lstat) and against the sizes the Dockerfiles write.
// The engine must answer: when it does not, beforeAll throws and every test fails.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, cpSync, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, writeSync, readFileSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { exec } from '../../src/exec.js';
import { measureOciLayout, type MeasureOptions } from '../../src/image/measure.js';
import type { FileStats, ImageStats } from '../../src/model.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BUSYBOX = 'image-budget/busybox:latest';
let env: NodeJS.ProcessEnv = {};
let work = '';

beforeAll(async () => {
  const ensure = await exec('bash', [join(ROOT, 'scripts', 'engine.sh'), 'ensure'], { cwd: ROOT });
  if (ensure.code !== 0) throw new Error(`Docker engine unreachable (scripts/engine.sh ensure exited ${ensure.code}): ${ensure.stderr.trim()}`);
  const host = ensure.stdout.trim().split('\n').pop() ?? '';
  env = { ...process.env, DOCKER_HOST: host };
  const version = await exec('docker', ['version', '--format', '{{.Server.Version}}'], { env });
  if (version.code !== 0) throw new Error(`Docker engine at ${host} does not answer: ${version.stderr.trim()}`);
  work = mkdtempSync(join(tmpdir(), 'image-budget-measure-'));
}, 300_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

// ── Building ─────────────────────────────────────────────────────────────────────────────────────

interface BuildOptions {
  readonly files?: Readonly<Record<string, string | Buffer>>;
  /** Files of random bytes by size, written 1 MiB at a time (no big buffer left for the GC). */
  readonly randomFiles?: Readonly<Record<string, number>>;
  readonly args?: readonly string[];
  /** Extra `--output` attributes, e.g. `,compression=zstd`. */
  readonly output?: string;
}

async function build(name: string, dockerfile: string, opts: BuildOptions = {}): Promise<string> {
  const context = join(work, `${name}-context`);
  const out = join(work, `${name}-oci`);
  mkdirSync(context, { recursive: true });
  writeFileSync(join(context, 'Dockerfile'), dockerfile);
  for (const [file, content] of Object.entries(opts.files ?? {})) writeFileSync(join(context, file), content);
  for (const [file, size] of Object.entries(opts.randomFiles ?? {})) {
    const fd = openSync(join(context, file), 'w');
    for (let left = size; left > 0; left -= 1024 * 1024) writeSync(fd, randomBytes(Math.min(left, 1024 * 1024)));
    closeSync(fd);
  }
  const r = await exec(
    'docker',
    ['buildx', 'build', '--network', 'none', ...(opts.args ?? []), '--output', `type=oci,dest=${out},tar=false${opts.output ?? ''}`, context],
    { env }
  );
  if (r.code !== 0) throw new Error(`docker buildx build (${name}) failed:\n${r.stderr.slice(-3000)}`);
  return out;
}

// ── The independent reading ──────────────────────────────────────────────────────────────────────

interface RawDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}
interface RawIndex {
  manifests: RawDescriptor[];
}
interface RawManifest {
  config: RawDescriptor;
  layers: RawDescriptor[] | null;
}
interface RawConfig {
  architecture: string;
  os: string;
  variant?: string;
  rootfs: { diff_ids: string[] | null };
}

interface Reading {
  readonly platform: string;
  readonly digest: string;
  readonly configDigest: string;
  readonly diffIds: readonly string[];
  readonly layers: ReadonlyArray<{ digest: string; mediaType: string; size: number; unpacked: number }>;
}

const blobPath = (dir: string, digest: string): string => join(dir, 'blobs', ...digest.split(':'));
const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;

/** Decompressed length by the system's own tools. */
function unpackedSize(path: string, mediaType: string): number {
  const tool = mediaType.endsWith('gzip') ? 'gzip -dc' : mediaType.endsWith('zstd') ? 'zstd -dcq' : 'cat';
  return Number(execFileSync('sh', ['-c', `${tool} -- "$1" | wc -c`, 'sh', path], { encoding: 'utf8' }).trim());
}

function readIndependently(dir: string): Reading[] {
  const out: Reading[] = [];
  const visit = (descs: readonly RawDescriptor[]): void => {
    for (const d of descs) {
      if (d.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest') continue;
      if (/index|manifest\.list/.test(d.mediaType)) {
        visit(readJson<RawIndex>(blobPath(dir, d.digest)).manifests);
        continue;
      }
      const m = readJson<RawManifest>(blobPath(dir, d.digest));
      const c = readJson<RawConfig>(blobPath(dir, m.config.digest));
      out.push({
        platform: [c.os, c.architecture, c.variant].filter(Boolean).join('/'),
        digest: d.digest,
        configDigest: m.config.digest,
        diffIds: c.rootfs.diff_ids ?? [],
        layers: (m.layers ?? []).map((l) => ({ digest: l.digest, mediaType: l.mediaType, size: l.size, unpacked: unpackedSize(blobPath(dir, l.digest), l.mediaType) }))
      });
    }
  };
  visit(readJson<RawIndex>(join(dir, 'index.json')).manifests);
  return out;
}

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

/** Measures `dir` and checks every number against the independent reading; returns the measurement. */
async function measureAndCompare(dir: string, opts: Partial<MeasureOptions> = {}): Promise<ImageStats[]> {
  const images = await measureOciLayout(dir, { target: 'release', secrets: [], ...opts });
  const expected = readIndependently(dir);
  expect(images.map((i) => [i.platform, i.digest])).toEqual(expected.map((e) => [e.platform, e.digest]));
  for (const [i, image] of images.entries()) {
    const e = expected[i];
    if (!e) throw new Error('unreachable: lengths compared above');
    expect(image.target).toBe(opts.target ?? 'release');
    expect(image.method).toBe('oci-layout');
    expect(image.configDigest).toBe(e.configDigest);
    expect(image.layerCount).toBe(e.diffIds.length);
    expect(image.layerCount).toBe(e.layers.length);
    expect(image.compressedBytes).toBe(sum(e.layers.map((l) => l.size)));
    expect(image.uncompressedBytes).toBe(sum(e.layers.map((l) => l.unpacked)));
    expect(image.layers.map((l) => [l.digest, l.mediaType, l.compressedBytes, l.uncompressedBytes])).toEqual(
      e.layers.map((l) => [l.digest, l.mediaType, l.size, l.unpacked])
    );
  }
  return images;
}

// ── Real images ──────────────────────────────────────────────────────────────────────────────────

describe('measureOciLayout on real buildx output', () => {
  it('FROM scratch with COPY: one image, two gzip layers', async () => {
    const dir = await build('scratch', 'FROM scratch\nCOPY hello.txt /hello.txt\nCOPY data.bin /data/data.bin\n', {
      files: { 'hello.txt': 'hello\n', 'data.bin': randomBytes(200_000) }
    });
    const [image, ...rest] = await measureAndCompare(dir);
    expect(rest).toEqual([]);
    expect(image?.platform).toBe('linux/amd64');
    expect(image?.layerCount).toBe(2);
    expect(image?.layers.map((l) => l.instruction)).toEqual(['COPY hello.txt /hello.txt', 'COPY data.bin /data/data.bin']);
    // A tar stream holds the 200 kB file plus headers and padding.
    expect(image?.uncompressedBytes).toBeGreaterThan(200_000);
  }, 120_000);

  it('streams a ~64 MB random layer without holding it in memory', async () => {
    const dir = await build('big', 'FROM scratch\nCOPY big.bin /big.bin\n', { randomFiles: { 'big.bin': 64 * 1024 * 1024 } });
    // A buffered 64 MiB layer would show up whole, the streamed one only as a few 256 KiB chunks
    // per stage (read, gunzip, tap, sink). The bound leaves room for what else the test holds.
    const { result: images, growth } = await peakArrayBuffers(() => measureOciLayout(dir, { target: 'big', secrets: [] }));
    expect(images).toHaveLength(1);
    expect(images[0]?.uncompressedBytes).toBeGreaterThan(64 * 1024 * 1024);
    expect(growth).toBeLessThan(16 * 1024 * 1024);
    await measureAndCompare(dir, { target: 'big' });
  }, 180_000);

  it('busybox with ARG, ENV, LABEL and RUN: instructions per layer, build-arg values redacted', async () => {
    const dockerfile = [
      `FROM ${BUSYBOX}`,
      'ARG TOKEN',
      'ARG OTHER=default',
      'ENV APP_HOME=/app MODE="prod mode"',
      'LABEL org.example.owner="team a"',
      'RUN mkdir -p /app && echo "$TOKEN" > /app/t && dd if=/dev/zero of=/app/zero bs=1024 count=300 2>/dev/null',
      'WORKDIR /app',
      'RUN gzip -c /bin/busybox > /app/bb.gz',
      'CMD ["sh"]',
      ''
    ].join('\n');
    const secrets = ['hunter2 with spaces', 'plain-value'];
    const dir = await build('busybox', dockerfile, { args: ['--build-arg', `TOKEN=${secrets[0]}`, '--build-arg', `OTHER=${secrets[1]}`] });
    const warnings: string[] = [];
    const [image] = await measureAndCompare(dir, { target: 'app', secrets, onWarning: (w) => warnings.push(w) });
    expect(warnings).toEqual([]);
    expect(image?.layers.map((l) => l.instruction)).toEqual([
      'Imported from -',
      'RUN |2 TOKEN=*** OTHER=*** /bin/sh -c mkdir -p /app && echo "$TOKEN" > /app/t && dd if=/dev/zero of=/app/zero bs=1024 count=300 2>/dev/null',
      'WORKDIR /app',
      'RUN |2 TOKEN=*** OTHER=*** /bin/sh -c gzip -c /bin/busybox > /app/bb.gz'
    ]);
    const all = JSON.stringify(image);
    for (const s of secrets) expect(all).not.toContain(s);
    // The 300 KiB of zeros compress to almost nothing but count in full uncompressed.
    const zeros = image?.layers[1];
    expect(zeros?.uncompressedBytes).toBeGreaterThan(300 * 1024);
    expect(zeros?.compressedBytes).toBeLessThan(10 * 1024);
  }, 120_000);

  it('an image with only a LABEL: no layers, zero bytes', async () => {
    const dir = await build('label', 'FROM scratch\nLABEL org.opencontainers.image.title="empty"\n');
    const [image] = await measureAndCompare(dir);
    expect(image).toMatchObject({ layerCount: 0, compressedBytes: 0, uncompressedBytes: 0, layers: [] });
  }, 120_000);

  it('multi-platform with provenance: one image per platform in index order, attestations skipped', async () => {
    const dir = await build('multi', 'FROM scratch\nCOPY hello.txt /hello.txt\nCOPY data.bin /data.bin\n', {
      files: { 'hello.txt': 'hello\n', 'data.bin': randomBytes(50_000) },
      args: ['--platform', 'linux/amd64,linux/386,linux/arm/v7', '--provenance=true']
    });
    // The layout really holds attestation manifests.
    const top = readJson<RawIndex>(join(dir, 'index.json'));
    const nested = readJson<RawIndex>(blobPath(dir, top.manifests[0]?.digest ?? ''));
    expect(nested.manifests.filter((m) => m.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest')).toHaveLength(3);
    const images = await measureAndCompare(dir);
    expect(images.map((i) => i.platform)).toEqual(['linux/amd64', 'linux/386', 'linux/arm/v7']);
    // Same files on every platform: same layers, measured once, reported for each.
    expect(new Set(images.map((i) => i.compressedBytes)).size).toBe(1);
  }, 180_000);

  it('Docker media types: a manifest list of v2 schema 2 manifests', async () => {
    const dir = await build('docker-types', 'FROM scratch\nCOPY hello.txt /hello.txt\n', {
      files: { 'hello.txt': 'hello\n' },
      args: ['--platform', 'linux/amd64,linux/arm64', '--provenance=false'],
      output: ',oci-mediatypes=false'
    });
    const images = await measureAndCompare(dir);
    expect(images.map((i) => i.layers[0]?.mediaType)).toEqual([
      'application/vnd.docker.image.rootfs.diff.tar.gzip',
      'application/vnd.docker.image.rootfs.diff.tar.gzip'
    ]);
  }, 120_000);

  it('zstd layers', async () => {
    const dir = await build('zstd', 'FROM scratch\nCOPY data.bin /data.bin\n', {
      files: { 'data.bin': Buffer.concat([randomBytes(100_000), Buffer.alloc(300_000)]) },
      output: ',compression=zstd,force-compression=true'
    });
    const [image] = await measureAndCompare(dir);
    expect(image?.layers[0]?.mediaType).toBe('application/vnd.oci.image.layer.v1.tar+zstd');
  }, 120_000);

  it('uncompressed layers count as they are', async () => {
    const dir = await build('plain', 'FROM scratch\nCOPY data.bin /data.bin\n', {
      files: { 'data.bin': Buffer.alloc(100_000) },
      output: ',compression=uncompressed,force-compression=true'
    });
    const [image] = await measureAndCompare(dir);
    expect(image?.layers[0]?.mediaType).toBe('application/vnd.oci.image.layer.v1.tar');
    expect(image?.compressedBytes).toBe(image?.uncompressedBytes);
  }, 120_000);

  it('a layer listed twice is counted twice', async () => {
    // The first RUN adds mount points; the next two change nothing and yield the same empty-tar layer.
    const dir = await build('dup', `FROM ${BUSYBOX}\nRUN true\nRUN true\nRUN true\n`);
    const [image] = await measureAndCompare(dir);
    const digests = image?.layers.map((l) => l.digest) ?? [];
    expect(digests).toHaveLength(4);
    expect(digests[2]).toBe(digests[3]);
    expect(image?.layers.map((l) => l.instruction)).toEqual(['Imported from -', 'RUN /bin/sh -c true', 'RUN /bin/sh -c true', 'RUN /bin/sh -c true']);
  }, 120_000);
});

// ── Damaged and hostile layouts ──────────────────────────────────────────────────────────────────

describe('measureOciLayout refuses damaged layouts', () => {
  let pristine = '';
  let n = 0;

  beforeAll(async () => {
    pristine = await build('pristine', 'FROM scratch\nCOPY data.bin /data.bin\n', { files: { 'data.bin': randomBytes(10_000) } });
  }, 120_000);

  /** A writable copy of the pristine layout and the path of its (only) layer blob. */
  function copy(): { dir: string; layer: string; manifest: string } {
    const dir = join(work, `damaged-${n++}`);
    cpSync(pristine, dir, { recursive: true });
    execFileSync('chmod', ['-R', 'u+w', dir]);
    const [reading] = readIndependently(dir);
    if (!reading?.layers[0]) throw new Error('pristine layout has no layer');
    return { dir, layer: blobPath(dir, reading.layers[0].digest), manifest: blobPath(dir, reading.digest) };
  }

  /** Writes a blob by content and returns its descriptor. */
  function addBlob(dir: string, mediaType: string, content: string | Buffer): RawDescriptor {
    const bytes = Buffer.from(content);
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    writeFileSync(blobPath(dir, digest), bytes);
    return { mediaType, digest, size: bytes.length };
  }

  /** Points index.json at a hand-made image with the given layer and diff_id. */
  function handMade(dir: string, layer: RawDescriptor, diffId: string): void {
    const config = addBlob(
      dir,
      'application/vnd.oci.image.config.v1+json',
      JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [diffId] }, history: [{ created_by: 'COPY x /x' }] })
    );
    const manifest = addBlob(dir, 'application/vnd.oci.image.manifest.v1+json', JSON.stringify({ schemaVersion: 2, config, layers: [layer] }));
    writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [manifest] }));
  }

  const measure = (dir: string): Promise<ImageStats[]> => measureOciLayout(dir, { target: 't', secrets: [] });

  it('the pristine copy measures fine', async () => {
    await expect(measure(copy().dir)).resolves.toHaveLength(1);
  });

  it('a symlinked layer blob', async () => {
    const { dir, layer } = copy();
    const elsewhere = join(work, `elsewhere-${n}`);
    cpSync(layer, elsewhere);
    unlinkSync(layer);
    symlinkSync(elsewhere, layer);
    await expect(measure(dir)).rejects.toThrow(/is a symlink; refused/);
  });

  it('a symlinked blobs directory', async () => {
    const { dir } = copy();
    const elsewhere = join(work, `blobs-${n}`);
    cpSync(join(dir, 'blobs'), elsewhere, { recursive: true });
    rmSync(join(dir, 'blobs'), { recursive: true });
    symlinkSync(elsewhere, join(dir, 'blobs'));
    await expect(measure(dir)).rejects.toThrow(/blobs is not a directory \(symlinks are refused\)/);
  });

  it('a layer whose size differs from its descriptor', async () => {
    const { dir, layer } = copy();
    appendFileSync(layer, 'x');
    await expect(measure(dir)).rejects.toThrow(/is \d+ bytes on disk but its descriptor says \d+/);
  });

  it('a layer whose content does not match its digest', async () => {
    const { dir, layer } = copy();
    const bytes = readFileSync(layer);
    bytes[bytes.length - 20] = (bytes[bytes.length - 20] ?? 0) ^ 0xff;
    writeFileSync(layer, bytes);
    await expect(measure(dir)).rejects.toThrow(/Layer .*sha256:[0-9a-f]{64}/);
  });

  it('a manifest whose content does not match its digest', async () => {
    const { dir, manifest } = copy();
    const text = readFileSync(manifest, 'utf8');
    writeFileSync(manifest, text.replace('"schemaVersion": 2', '"schemaVersion":  2'));
    expect(statSync(manifest).size).toBe(text.length + 1);
    await expect(measure(dir)).rejects.toThrow(/bytes on disk but its descriptor says/);
    writeFileSync(manifest, text.replace('"schemaVersion": 2', '"schemaVersion":2 '));
    await expect(measure(dir)).rejects.toThrow(/Image manifest sha256:[0-9a-f]{64} does not match its digest/);
  });

  it('a missing layer blob', async () => {
    const { dir, layer } = copy();
    unlinkSync(layer);
    await expect(measure(dir)).rejects.toThrow(/Layer sha256:[0-9a-f]{64}: missing/);
  });

  it('a digest that would walk out of blobs/', async () => {
    const { dir } = copy();
    writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: 'sha256:../../../../etc/passwd', size: 10 }] }));
    await expect(measure(dir)).rejects.toThrow(/"manifests\[0\]\.digest" must be a digest/);
  });

  it('a digest of another algorithm', async () => {
    const { dir } = copy();
    writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha512:${'a'.repeat(128)}`, size: 10 }] }));
    await expect(measure(dir)).rejects.toThrow(/is not sha256:<64 hex>; refused/);
  });

  it('a manifest larger than 4 MiB is refused before reading', async () => {
    const { dir } = copy();
    writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'a'.repeat(64)}`, size: 5 * 1024 * 1024 }] }));
    await expect(measure(dir)).rejects.toThrow(/Image manifest sha256:a{64} is 5242880 bytes, more than the 4194304 accepted/);
  });

  it('no oci-layout file', async () => {
    const { dir } = copy();
    unlinkSync(join(dir, 'oci-layout'));
    await expect(measure(dir)).rejects.toThrow(/oci-layout: missing/);
  });

  it('a layer that is not gzip data', async () => {
    const { dir } = copy();
    const garbage = randomBytes(1000);
    const layer = addBlob(dir, 'application/vnd.oci.image.layer.v1.tar+gzip', garbage);
    handMade(dir, layer, `sha256:${createHash('sha256').update(garbage).digest('hex')}`);
    await expect(measure(dir)).rejects.toThrow(/cannot read it as gzip data/);
  });

  it('with files, a gzip layer that is not a tar is refused; without, it is only counted', async () => {
    const { dir } = copy();
    const plain = Buffer.from('this is gzip data, but not a tar archive\n'.repeat(40));
    const gz = execFileSync('gzip', ['-c'], { input: plain });
    const layer = addBlob(dir, 'application/vnd.oci.image.layer.v1.tar+gzip', gz);
    handMade(dir, layer, `sha256:${createHash('sha256').update(plain).digest('hex')}`);
    await expect(measureOciLayout(dir, { target: 't', secrets: [], files: true })).rejects.toThrow(
      /Layer sha256:[0-9a-f]{64}: not a valid tar stream \(not a tar stream: the header at byte 0 has no valid checksum\)/
    );
    const [image] = await measure(dir);
    expect(image?.uncompressedBytes).toBe(plain.length);
    expect(image?.files).toBeUndefined();
  });

  it('with files, a truncated tar inside valid gzip is refused', async () => {
    const { dir, layer } = copy();
    const tarBytes = execFileSync('gzip', ['-dc'], { input: readFileSync(layer) });
    const cut = tarBytes.subarray(0, 700);
    const layerDesc = addBlob(dir, 'application/vnd.oci.image.layer.v1.tar+gzip', execFileSync('gzip', ['-c'], { input: cut }));
    handMade(dir, layerDesc, `sha256:${createHash('sha256').update(cut).digest('hex')}`);
    await expect(measureOciLayout(dir, { target: 't', secrets: [], files: true })).rejects.toThrow(/not a valid tar stream \(truncated tar stream/);
  });

  it('a compressed layer is measured from its verified blob: its diff_id is not hashed again', async () => {
    const { dir, layer } = copy();
    const layerDesc = { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${layer.split('/').pop() ?? ''}`, size: statSync(layer).size };
    handMade(dir, layerDesc, `sha256:${'0'.repeat(64)}`);
    const [image] = await measure(dir);
    expect(image?.uncompressedBytes).toBe(gunzipSync(readFileSync(layer)).length);
  });

  it('an uncompressed layer whose diff_id is not its digest', async () => {
    const { dir, layer } = copy();
    const tar = addBlob(dir, 'application/vnd.oci.image.layer.v1.tar', gunzipSync(readFileSync(layer)));
    handMade(dir, tar, `sha256:${'0'.repeat(64)}`);
    await expect(measure(dir)).rejects.toThrow(/Uncompressed layer sha256:[0-9a-f]{64} does not match its diff_id sha256:0{64}/);
    // With the right diff_id, the same layer measures.
    const again = copy();
    const ok = addBlob(again.dir, 'application/vnd.oci.image.layer.v1.tar', gunzipSync(readFileSync(again.layer)));
    handMade(again.dir, ok, ok.digest);
    await expect(measure(again.dir)).resolves.toMatchObject([{ uncompressedBytes: ok.size, compressedBytes: ok.size }]);
  });

  it('an unknown layer media type', async () => {
    const { dir } = copy();
    const layer = addBlob(dir, 'application/x-strange', 'abc');
    handMade(dir, layer, layer.digest);
    await expect(measure(dir)).rejects.toThrow(/unsupported media type "application\/x-strange"/);
  });

  it('only attestations', async () => {
    const { dir } = copy();
    const index = readJson<RawIndex>(join(dir, 'index.json'));
    for (const m of index.manifests) m.annotations = { 'vnd.docker.reference.type': 'attestation-manifest' };
    writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, ...index }));
    await expect(measure(dir)).rejects.toThrow(/holds no image manifest/);
  });

  it('a history that does not match the layers is measured, with a warning and ? instructions', async () => {
    const { dir, layer } = copy();
    const layerDesc = { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${layer.split('/').pop() ?? ''}`, size: statSync(layer).size };
    const [reading] = readIndependently(dir);
    const config = addBlob(
      dir,
      'application/vnd.oci.image.config.v1+json',
      JSON.stringify({ architecture: 'arm64', os: 'linux', rootfs: { type: 'layers', diff_ids: [reading?.diffIds[0], reading?.diffIds[0]] }, history: [] })
    );
    const manifest = addBlob(dir, 'application/vnd.oci.image.manifest.v1+json', JSON.stringify({ schemaVersion: 2, config, layers: [layerDesc, layerDesc] }));
    writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ ...manifest, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } }] }));
    const warnings: string[] = [];
    const [image] = await measureOciLayout(dir, { target: 'rel', secrets: [], onWarning: (w) => warnings.push(w) });
    expect(image?.platform).toBe('linux/arm64/v8');
    expect(image?.layers.map((l) => l.instruction)).toEqual(['?', '?']);
    expect(image?.compressedBytes).toBe(2 * layerDesc.size);
    expect(warnings).toEqual(['rel (linux/arm64/v8): the image history describes 0 layers but the image has 2; layers without a history entry are shown as "?"']);
  });

  afterAll(() => {
    // Blobs from buildx are read-only; make the copies removable for the outer afterAll.
    if (work) execFileSync('chmod', ['-R', 'u+w', work]);
  });
});

// ── File details ─────────────────────────────────────────────────────────────────────────────────

describe('measureOciLayout with files: true', () => {
  interface LocalFile {
    readonly size: number;
    readonly ino: number;
    readonly nlink: number;
  }

  /** The final filesystem as buildx exports it (`type=local`): regular files by path, symlinks not followed. */
  async function exportLocal(name: string, args: readonly string[] = []): Promise<Map<string, LocalFile>> {
    const out = join(work, `${name}-local-${args.join('_').replace(/[^a-z0-9]+/gi, '_')}`);
    const r = await exec('docker', ['buildx', 'build', '--network', 'none', ...args, '--output', `type=local,dest=${out}`, join(work, `${name}-context`)], { env });
    if (r.code !== 0) throw new Error(`docker buildx build (${name}, local) failed:\n${r.stderr.slice(-3000)}`);
    const files = new Map<string, LocalFile>();
    const walk = (dir: string, prefix: string): void => {
      for (const name of readdirSync(dir)) {
        const path = prefix ? `${prefix}/${name}` : name;
        const st = lstatSync(join(dir, name));
        if (st.isDirectory()) walk(join(dir, name), path);
        else if (st.isFile()) files.set(path, { size: st.size, ino: st.ino, nlink: st.nlink });
      }
    };
    walk(out, '');
    return files;
  }

  /**
   * The same paths; the same size for every file with one link; for each group of hard links (all
   * made in one layer here), the data counted once: the group's sizes sum to the file's size.
   */
  function expectSameFiles(files: FileStats, local: ReadonlyMap<string, LocalFile>): void {
    expect([...files.final.keys()].sort()).toEqual([...local.keys()].sort());
    const groups = new Map<number, { size: number; sum: number; paths: string[] }>();
    for (const [path, l] of local) {
      const ours = files.final.get(path);
      if (l.nlink === 1) {
        if (ours !== l.size) throw new Error(`${path}: measured ${ours}, exported ${l.size}`);
        continue;
      }
      const g = groups.get(l.ino) ?? { size: l.size, sum: 0, paths: [] };
      g.sum += ours ?? NaN;
      g.paths.push(path);
      groups.set(l.ino, g);
    }
    for (const g of groups.values()) expect({ paths: g.paths, bytes: g.sum }).toEqual({ paths: g.paths, bytes: g.size });
  }

  const overwrite = [
    `FROM ${BUSYBOX} AS builder`,
    'RUN mkdir -p /data && dd if=/dev/urandom of=/data/big bs=1024 count=1024 2>/dev/null && dd if=/dev/urandom of=/data/second bs=1000 count=300 2>/dev/null && echo keep > /data/keep',
    'RUN dd if=/dev/urandom of=/data/big bs=1000 count=200 2>/dev/null',
    'RUN rm /data/second',
    '',
    'FROM builder AS final',
    'RUN rm -rf /data && mkdir /data && echo fresh > /data/fresh && echo hi > /h1 && ln /h1 /h2',
    ''
  ].join('\n');

  it('overwrite and delete in one stage: final files as exported, wasted = the sizes written', async () => {
    const dir = await build('files-builder', overwrite, { args: ['--target', 'builder'] });
    const [image] = await measureAndCompare(dir, { files: true });
    const files = image?.files;
    if (!files) throw new Error('no files measured');
    expectSameFiles(files, await exportLocal('files-builder', ['--target', 'builder']));
    expect(files.final.get('data/big')).toBe(200_000);
    expect(files.final.get('data/keep')).toBe(5);
    expect(files.final.has('data/second')).toBe(false);
    // The 1 MiB first version of big (overwritten) and the 300 kB second (deleted).
    expect(files.wasted).toEqual([
      { path: 'data/big', bytes: 1024 * 1024 },
      { path: 'data/second', bytes: 300_000 }
    ]);
    expect(files.wastedBytes).toBe(1024 * 1024 + 300_000);
  }, 180_000);

  it('FROM builder: the later stage deletes the rest; hard links counted once', async () => {
    const dir = await build('files-builder', overwrite);
    const [image] = await measureAndCompare(dir, { files: true });
    const files = image?.files;
    if (!files) throw new Error('no files measured');
    expectSameFiles(files, await exportLocal('files-builder'));
    expect([...files.final].filter(([p]) => !p.startsWith('bin/'))).toEqual([
      ['data/fresh', 6],
      ['h1', 3],
      ['h2', 0]
    ]);
    expect(files.wasted).toEqual([
      { path: 'data/big', bytes: 1024 * 1024 + 200_000 },
      { path: 'data/second', bytes: 300_000 },
      { path: 'data/keep', bytes: 5 }
    ]);
    expect(files.wastedBytes).toBe(1024 * 1024 + 200_000 + 300_000 + 5);
    // The same numbers without file details, and nothing else changes.
    const [plain] = await measureOciLayout(dir, { target: 'release', secrets: [] });
    expect(plain?.files).toBeUndefined();
    const { files: _ignored, ...rest } = image ?? ({} as ImageStats);
    expect(rest).toEqual(plain);
  }, 180_000);

  it('many files, long, deep and non-ASCII names (pax and ustar prefix headers from Go archive/tar)', async () => {
    const long = 'n'.repeat(150);
    const deep = `${'directory-level/'.repeat(12)}leaf.txt`;
    const dockerfile = [
      `FROM ${BUSYBOX}`,
      'RUN mkdir -p /many && i=0; while [ $i -lt 3000 ]; do echo "file number $i" > /many/f$i; i=$((i+1)); done',
      'COPY . /ctx/',
      'RUN rm /many/f7 /many/f2999 && rm -r /ctx/sub',
      ''
    ].join('\n');
    // A deep path and a directory to delete, in the build context (build() adds the flat files).
    const context = join(work, 'files-names-context');
    mkdirSync(join(context, ...deep.split('/').slice(0, -1)), { recursive: true });
    writeFileSync(join(context, ...deep.split('/')), 'deep\n');
    mkdirSync(join(context, 'sub'));
    writeFileSync(join(context, 'sub', 'gone'), Buffer.alloc(4321));
    const dir = await build('files-names', dockerfile, {
      files: { [long]: 'long name\n', 'ünïcödé €.txt': 'utf8\n', 'with space': Buffer.alloc(1000, 1) }
    });
    const [image] = await measureAndCompare(dir, { files: true });
    const files = image?.files;
    if (!files) throw new Error('no files measured');
    expectSameFiles(files, await exportLocal('files-names'));
    expect(files.final.get(`ctx/${long}`)).toBe(10);
    expect(files.final.get('ctx/ünïcödé €.txt')).toBe(5);
    expect(files.final.get(`ctx/${deep}`)).toBe(5);
    expect(files.final.get('ctx/with space')).toBe(1000);
    expect(files.final.get('many/f2998')).toBe('file number 2998\n'.length);
    expect([...files.final.keys()].filter((p) => p.startsWith('many/'))).toHaveLength(2998);
    expect(files.wasted).toEqual([
      { path: 'ctx/sub/gone', bytes: 4321 },
      { path: 'many/f2999', bytes: 'file number 2999\n'.length },
      { path: 'many/f7', bytes: 'file number 7\n'.length }
    ]);
  }, 180_000);

  it('multi-platform zstd layers: the same files for each platform', async () => {
    const dir = await build('files-multi', 'FROM scratch\nCOPY a.bin /a.bin\nCOPY b.bin /opt/b.bin\n', {
      files: { 'a.bin': randomBytes(20_000), 'b.bin': Buffer.alloc(50_000) },
      args: ['--platform', 'linux/amd64,linux/arm64'],
      output: ',compression=zstd,force-compression=true'
    });
    const images = await measureAndCompare(dir, { files: true });
    expect(images).toHaveLength(2);
    for (const image of images) {
      expect(image.layers[0]?.mediaType).toBe('application/vnd.oci.image.layer.v1.tar+zstd');
      expect(image.files).toEqual({
        final: new Map([['a.bin', 20_000], ['opt/b.bin', 50_000]]),
        // The layer (index) each file of the final filesystem comes from.
        layerOf: new Map([['a.bin', 0], ['opt/b.bin', 1]]),
        wastedBytes: 0,
        wasted: []
      });
    }
  }, 180_000);

  it('a layer listed twice (an empty tar): applied twice, nothing wasted', async () => {
    const dir = await build('files-dup', `FROM ${BUSYBOX}\nRUN true\nRUN true\nRUN true\n`);
    const [image] = await measureAndCompare(dir, { files: true });
    // The repeated layers are empty tars (no entries): nothing wasted, final is the busybox files.
    expect(image?.files?.wastedBytes).toBe(0);
    expectSameFiles(image?.files ?? { final: new Map(), wastedBytes: 0, wasted: [] }, await exportLocal('files-dup'));
  }, 180_000);

  it('still streams: a ~64 MB layer with files on stays out of memory', async () => {
    const dir = await build('files-big', 'FROM scratch\nCOPY big.bin /big.bin\n', { randomFiles: { 'big.bin': 64 * 1024 * 1024 } });
    const { result: images, growth } = await peakArrayBuffers(() => measureOciLayout(dir, { target: 'big', secrets: [], files: true }));
    expect(images[0]?.files?.final).toEqual(new Map([['big.bin', 64 * 1024 * 1024]]));
    expect(growth).toBeLessThan(16 * 1024 * 1024);
  }, 180_000);
});

/**
 * Runs `fn` and samples live ArrayBuffer memory every 20 ms, right after a forced collection: the
 * largest growth over the level before, which a buffered layer would show whole.
 */
async function peakArrayBuffers<T>(fn: () => Promise<T>): Promise<{ result: T; growth: number }> {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
  const baseline = process.memoryUsage().arrayBuffers;
  let peak = baseline;
  const sampler = setInterval(() => {
    gc();
    peak = Math.max(peak, process.memoryUsage().arrayBuffers);
  }, 20);
  try {
    return { result: await fn(), growth: peak - baseline };
  } finally {
    clearInterval(sampler);
  }
}
