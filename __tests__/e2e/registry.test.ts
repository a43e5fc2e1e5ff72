// End to end: images the real engine pushes (`docker push`, `docker buildx build --push` of a
// multi-platform index with attestations) to the real reference registry (scripts/registry.sh),
// measured there by measureRegistryImage and by `image-budget measure REFERENCE`, every number equal
// to an independent reading: the manifests as `docker buildx imagetools inspect --raw` prints them
// (their sha256 the digests, as `docker push` says), each layer blob fetched by curl, inflated by
// gzip and counted by wc. The TLS registry with basic authentication is logged into by
// `docker login` into a temporary DOCKER_CONFIG, whose config.json the measurement reads.
import { jest } from '@jest/globals';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../src/cli/main.js';
import { exec } from '../../src/exec.js';
import { RegistryError } from '../../src/registry/errors.js';
import { measureRegistryImage, type RegistryMeasureOptions } from '../../src/registry/measure.js';
import { ensureEngine } from '../support/engine.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';

jest.setTimeout(5 * 60_000);

interface Reading {
  readonly digest: string;
  readonly configDigest: string;
  readonly compressedBytes: number;
  readonly uncompressedBytes: number;
  readonly layerCount: number;
  readonly layerDigests: readonly string[];
}

interface Desc {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly platform?: { readonly os: string; readonly architecture: string };
  readonly annotations?: Record<string, string>;
}

let plain: TestRegistry;
let secure: TestRegistry;
let work = '';
let loginConfig = '';
const RUN = randomBytes(3).toString('hex');
const cleanups: Array<() => Promise<unknown>> = [];

function sh(script: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('sh', ['-c', script, 'sh', ...args], { env, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${script} ${args.join(' ')}: ${String(stderr).trim() || err.message}`)) : resolve(String(stdout))
    );
  });
}

const docker = (args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<string> => sh('docker "$@"', args, env);

const ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json'
].join(', ');

type Doc = { manifests?: Desc[]; config?: Desc; layers?: Desc[] };

/** The raw manifest or index of `reference` (a tag or a digest) as curl gets it, and its sha256. */
async function raw(host: string, repo: string, reference: string, curlArgs: readonly string[] = []): Promise<{ digest: string; doc: Doc }> {
  const url = `${curlArgs.length ? 'https' : 'http'}://${host}/v2/${repo}/manifests/${reference}`;
  const text = await sh('accept=$1; shift; curl -sf -H "Accept: $accept" "$@"', [ACCEPT, ...curlArgs, url]);
  return { digest: `sha256:${createHash('sha256').update(text).digest('hex')}`, doc: JSON.parse(text) as Doc };
}

/**
 * An image read independently: an index resolved to its linux/amd64 manifest, sizes from the
 * manifest's descriptors, each layer fetched by curl, inflated by gzip and counted by wc.
 */
async function independent(host: string, repo: string, reference: string, curlArgs: readonly string[] = []): Promise<Reading> {
  let { digest, doc } = await raw(host, repo, reference, curlArgs);
  if (doc.manifests) {
    const amd64 = doc.manifests.find((m) => m.platform?.os === 'linux' && m.platform.architecture === 'amd64')!;
    ({ digest, doc } = await raw(host, repo, amd64.digest, curlArgs));
  }
  const layers = doc.layers ?? [];
  let uncompressed = 0;
  for (const l of layers) {
    const url = `${curlArgs.length ? 'https' : 'http'}://${host}/v2/${repo}/blobs/${l.digest}`;
    uncompressed += Number((await sh('curl -sfL "$@" | gzip -dc | wc -c', [...curlArgs, url])).trim());
  }
  return {
    digest,
    configDigest: doc.config!.digest,
    compressedBytes: layers.reduce((a, l) => a + l.size, 0),
    uncompressedBytes: uncompressed,
    layerCount: layers.length,
    layerDigests: layers.map((l) => l.digest)
  };
}

const options = (over: Partial<RegistryMeasureOptions> = {}): RegistryMeasureOptions => ({
  target: 'app',
  secrets: [],
  files: false,
  client: { env: { ...process.env, DOCKER_CONFIG: path.join(work, 'no-config') } },
  ...over
});

function expectReading(stats: Awaited<ReturnType<typeof measureRegistryImage>>, reading: Reading): void {
  expect({
    digest: stats.digest,
    configDigest: stats.configDigest,
    compressedBytes: stats.compressedBytes,
    uncompressedBytes: stats.uncompressedBytes,
    layerCount: stats.layerCount,
    layerDigests: stats.layers.map((l) => l.digest)
  }).toEqual(reading);
}

beforeAll(async () => {
  ensureEngine();
  work = await mkdtemp(path.join(os.tmpdir(), 'ib-registry-e2e-'));
  cleanups.push(() => rm(work, { recursive: true, force: true }));
  [plain, secure] = await Promise.all([startRegistry('plain'), startRegistry('tls')]);
  cleanups.push(() => plain.stop(), () => secure.stop());
  // An image with two layers of its own on the local busybox base; built without network.
  const context = path.join(work, 'context');
  await sh('mkdir -p "$1"', [context]);
  await writeFile(path.join(context, 'Dockerfile'), 'FROM image-budget/busybox\nCOPY data.bin /data.bin\nRUN mkdir -p /var/cache/x && dd if=/dev/zero of=/var/cache/x/zeros bs=1024 count=300 2>/dev/null\n');
  await writeFile(path.join(context, 'data.bin'), randomBytes(50_000));
  await docker(['buildx', 'build', '--quiet', '--network', 'none', '--output', `type=docker,name=image-budget-e2e-registry:${RUN}`, '--', context]);
  cleanups.push(() => exec('docker', ['image', 'rm', `image-budget-e2e-registry:${RUN}`]));
  loginConfig = path.join(work, 'docker-config');
  await sh('mkdir -p "$1"', [loginConfig]);
}, 5 * 60_000);

afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

/** Pushes the test image as `host/repo:tag` with the engine, then removes the tag from the engine; returns docker push's digest. */
async function push(host: string, repoTag: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const ref = `${host}/${repoTag}`;
  await docker(['tag', `image-budget-e2e-registry:${RUN}`, ref], env);
  const out = await docker(['push', ref], env);
  await docker(['image', 'rm', ref], env);
  const digest = /digest: (sha256:[a-f0-9]{64})/.exec(out)?.[1];
  if (!digest) throw new Error(`docker push printed no digest: ${out}`);
  return digest;
}

test('an image docker pushed: every number equals the independent reading, to the byte', async () => {
  const pushed = await push(plain.host, `e2e/app:${RUN}`);
  // What docker push says it pushed is what the tag names (an index, on the containerd store).
  expect((await raw(plain.host, 'e2e/app', RUN)).digest).toBe(pushed);
  const reading = await independent(plain.host, 'e2e/app', RUN);
  expect(reading.layerCount).toBe(3);
  const stats = await measureRegistryImage(`${plain.host}/e2e/app:${RUN}`, options({ files: true }));
  expectReading(stats, reading);
  expect(stats.platform).toBe('linux/amd64');
  expect(stats.layers.map((l) => l.instruction)).toEqual([expect.stringMatching(/Imported from -|\?/), 'COPY data.bin /data.bin', expect.stringContaining('RUN /bin/sh -c mkdir -p /var/cache/x')]);
  expect(stats.files?.final.get('var/cache/x/zeros')).toBe(300 * 1024);
});

test('a multi-platform index buildx pushed (with attestations): each platform, its manifest digest', async () => {
  const context = path.join(work, 'multi');
  await sh('mkdir -p "$1"', [context]);
  await writeFile(path.join(context, 'Dockerfile'), 'FROM scratch\nCOPY a.txt /a.txt\nCOPY b.bin /b.bin\n');
  await writeFile(path.join(context, 'a.txt'), 'hello\n');
  await writeFile(path.join(context, 'b.bin'), randomBytes(80_000));
  const ref = `${plain.host}/e2e/multi:${RUN}`;
  await docker(['buildx', 'build', '--quiet', '--platform', 'linux/amd64,linux/arm64', '--provenance', 'mode=min', '--output', `type=image,name=${ref},push=true`, '--', context]);
  // The image exporter keeps the image in the engine too: only the registry's copy is wanted.
  cleanups.push(() => exec('docker', ['image', 'rm', ref]));
  const index = await raw(plain.host, 'e2e/multi', RUN);
  // buildx reads the same index.
  expect(createHash('sha256').update(await docker(['buildx', 'imagetools', 'inspect', '--raw', ref])).digest('hex')).toBe(index.digest.slice('sha256:'.length));
  const manifests = index.doc.manifests ?? [];
  expect(manifests.filter((m) => m.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest').length).toBeGreaterThan(0);
  for (const arch of ['amd64', 'arm64']) {
    const desc = manifests.find((m) => m.platform?.architecture === arch && m.platform.os === 'linux')!;
    const reading = await independent(plain.host, 'e2e/multi', desc.digest);
    const stats = await measureRegistryImage(ref, options({ platform: `linux/${arch}` }));
    expectReading(stats, reading);
    expect(stats.platform).toBe(`linux/${arch}`);
  }
});

test('HTTPS with basic authentication: logged in by docker login into a temporary DOCKER_CONFIG; without it, unauthorized', async () => {
  const { username, password } = secure.credentials!;
  const env = { ...process.env, DOCKER_CONFIG: loginConfig };
  await sh('printf %s "$1" | docker login --username "$2" --password-stdin "$3" >/dev/null', [password, username, secure.host], env);
  const pushed = await push(secure.host, `private/app:${RUN}`, env);
  const curl = ['--cacert', secure.caFile!, '-u', `${username}:${password}`];
  expect((await raw(secure.host, 'private/app', RUN, curl)).digest).toBe(pushed);
  const reading = await independent(secure.host, 'private/app', RUN, curl);
  expectReading(await measureRegistryImage(`${secure.host}/private/app:${RUN}`, options({ client: { env } })), reading);
  const e: unknown = await measureRegistryImage(`${secure.host}/private/app:${RUN}`, options()).catch((err: unknown) => err);
  expect(e).toBeInstanceOf(RegistryError);
  expect(e).toMatchObject({ kind: 'unauthorized', status: 401 });
  expect((e as Error).message).toContain(`${secure.host}/private/app:${RUN}: ${secure.host} refused anonymous access`);
});

test('image-budget measure REFERENCE: an image the engine does not have is read in its registry, never pulled', async () => {
  await push(plain.host, `e2e/cli:${RUN}`);
  const ref = `${plain.host}/e2e/cli:${RUN}`;
  const reading = await independent(plain.host, 'e2e/cli', RUN);
  const run = async (args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
    let stdout = '';
    let stderr = '';
    const io = { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) }, env: { ...process.env, NO_COLOR: '1' }, cwd: work, exec };
    const code = await main(args, io);
    return { code, stdout, stderr };
  };
  const json = await run(['measure', ref, '--json', '--details', 'none']);
  expect(json.code).toBe(0);
  const measured = JSON.parse(json.stdout) as { source: { name: string; kind: string }; images: Array<Record<string, unknown>> };
  expect(measured.source).toEqual({ name: ref, kind: 'registry image' });
  expect(measured.images).toHaveLength(1);
  expect(measured.images[0]).toMatchObject({ platform: 'linux/amd64', digest: reading.digest, configDigest: reading.configDigest, compressedBytes: reading.compressedBytes, uncompressedBytes: reading.uncompressedBytes, layerCount: 3, method: 'oci-layout' });
  const table = await run(['measure', ref]);
  expect(table.code).toBe(0);
  expect(table.stdout.split('\n')[0]).toBe(`${ref} (registry image, read from the registry, never pulled)`);
  expect(table.stdout).toContain('Wasted space: ');
  // Never pulled: the engine still does not have it.
  expect((await exec('docker', ['image', 'inspect', ref])).code).not.toBe(0);
  const missing = await run(['measure', `${plain.host}/e2e/cli:absent`]);
  expect(missing.code).toBe(2);
  expect(missing.stderr).toContain(`, and its registry could not be read: ${plain.host}/e2e/cli:absent: the tag absent does not exist in ${plain.host} (404 Not Found, MANIFEST_UNKNOWN)`);
});
