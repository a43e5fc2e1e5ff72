// measureRegistryImage against the real reference registry (Debian's docker-registry, started on
// loopback by scripts/registry.sh): plain HTTP, HTTPS with basic authentication and the CA docker
// trusts (/etc/docker/certs.d), and the token authentication, whose JWTs the registry itself
// verifies, issued by a token server written after the distribution token specification. Images are
// pushed through the distribution API; their layers are made by the system's tar and gzip, and the
// expected numbers are the sizes of those files. Credentials come from real docker config files and
// a real credential helper program. What the reference registry never answers (403, 429, 503, a
// redirect to storage, an oversized manifest, silence) comes from a front that forwards to it.
import { jest } from '@jest/globals';
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MediaType } from '../../src/image/oci.js';
import { SharedLayers } from '../../src/image/shared-layers.js';
import { RegistryError } from '../../src/registry/errors.js';
import { measureRegistryImage, type RegistryMeasureOptions } from '../../src/registry/measure.js';
import {
  basicAuth,
  dockerConfigDir,
  pushBlob,
  pushManifest,
  sha256,
  startFront,
  startRegistry,
  startTokenServer,
  type PushTarget,
  type TestRegistry,
  type TokenServer
} from '../support/registry.js';

jest.setTimeout(60_000);

interface Layer {
  readonly gz: Buffer;
  readonly tarBytes: number;
  readonly diffId: string;
}

interface Pushed {
  readonly digest: string;
  /** Bytes of the manifest as pushed. */
  readonly size: number;
  readonly configDigest: string;
  readonly layers: readonly Layer[];
}

let work = '';
let plain: TestRegistry;
let secure: TestRegistry;
let tokened: TestRegistry;
let tokens: TokenServer;
let image: Pushed;
let armDigest = '';
let indexDigest = '';
let emptyConfig = '';
const cleanups: Array<() => Promise<unknown>> = [];

function sh(script: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('sh', ['-c', script, 'sh', ...args], (err, stdout, stderr) => (err ? reject(new Error(`${script}: ${stderr}`)) : resolve(stdout)));
  });
}

/** A layer made by the system's tar and gzip from `files`; its sizes as the files on disk have them. */
async function makeLayer(name: string, files: Record<string, string>): Promise<Layer> {
  const root = path.join(work, name);
  for (const [file, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, file)), { recursive: true });
    await writeFile(path.join(root, file), content);
  }
  await sh('tar -C "$1" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -cf "$1.tar" . && gzip -n -c "$1.tar" > "$1.tar.gz"', [root]);
  const tar = await readFile(`${root}.tar`);
  return { gz: await readFile(`${root}.tar.gz`), tarBytes: Number((await sh('wc -c < "$1"', [`${root}.tar`])).trim()), diffId: sha256(tar) };
}

async function pushImage(target: PushTarget, repo: string, tag: string, layers: readonly Layer[], arch = 'amd64'): Promise<Pushed> {
  for (const l of layers) await pushBlob(target, repo, l.gz);
  const config = Buffer.from(
    JSON.stringify({
      architecture: arch,
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
      history: [{ created_by: 'COPY app /' }, { created_by: 'ENV MODE=1', empty_layer: true }, { created_by: 'RUN echo hunter2-secret > /etc/token' }].slice(0, layers.length + 1)
    })
  );
  const configDigest = await pushBlob(target, repo, config);
  const manifest = {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: { mediaType: MediaType.ociConfig, digest: configDigest, size: config.length },
    layers: layers.map((l) => ({ mediaType: MediaType.ociLayerGzip, digest: sha256(l.gz), size: l.gz.length }))
  };
  const digest = await pushManifest(target, repo, tag, manifest, MediaType.ociManifest);
  return { digest, size: Buffer.byteLength(JSON.stringify(manifest)), configDigest, layers };
}

const options = (over: Partial<RegistryMeasureOptions> = {}): RegistryMeasureOptions => ({
  target: 'app',
  secrets: ['hunter2-secret'],
  files: false,
  client: { env: { ...process.env, DOCKER_CONFIG: path.join(work, 'no-docker-config') } },
  ...over
});

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

async function rejection(p: Promise<unknown>): Promise<RegistryError> {
  const e: unknown = await p.then(
    () => undefined,
    (err: unknown) => err
  );
  if (!(e instanceof RegistryError)) throw new Error(`expected a RegistryError, got ${String(e)}`);
  return e;
}

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'ib-registry-'));
  cleanups.push(() => rm(work, { recursive: true, force: true }));
  tokens = await startTokenServer({ users: new Map([['tester', 'right-password']]), refreshTokens: new Map([['identity-token-1', 'tester']]) });
  cleanups.push(() => tokens.close());
  [plain, secure, tokened] = await Promise.all([startRegistry('plain'), startRegistry('tls'), startRegistry('token', tokens.realm)]);
  cleanups.push(() => plain.stop(), () => secure.stop(), () => tokened.stop());
  tokens.setKey(await readFile(tokened.tokenKey!, 'utf8'), await readFile(tokened.tokenCert!, 'utf8'));

  const layers = [await makeLayer('base', { 'app/main.js': 'console.log(1)\n'.repeat(500), 'app/readme': 'x' }), await makeLayer('top', { 'etc/token': 'secret\n', 'app/readme': 'y'.repeat(3000) })];
  const http: PushTarget = { host: plain.host, scheme: 'http' };
  image = await pushImage(http, 'app', 'v1', layers);
  const arm = await pushImage(http, 'app', 'arm-only', layers.slice(0, 1), 'arm64');
  armDigest = arm.digest;
  emptyConfig = await pushBlob(http, 'app', Buffer.from('{}'));
  // The attestation entry points at a manifest of the repository, as BuildKit's do (at its own).
  const attestation = { mediaType: MediaType.ociManifest, digest: image.digest, size: image.size, platform: { os: 'unknown', architecture: 'unknown' }, annotations: { 'vnd.docker.reference.type': 'attestation-manifest' } };
  indexDigest = await pushManifest(
    http,
    'app',
    'multi',
    {
      schemaVersion: 2,
      mediaType: MediaType.ociIndex,
      manifests: [
        attestation,
        { mediaType: MediaType.ociManifest, digest: arm.digest, size: arm.size, platform: { os: 'linux', architecture: 'arm64' } },
        { mediaType: MediaType.ociManifest, digest: image.digest, size: image.size, platform: { os: 'linux', architecture: 'amd64' } }
      ]
    },
    MediaType.ociIndex
  );
  const { username, password } = secure.credentials!;
  await pushImage({ host: secure.host, scheme: 'https', ca: await readFile(secure.caFile!, 'utf8'), authorization: `Basic ${basicAuth(username, password)}` }, 'private/app', 'v1', layers);
  await pushImage({ host: tokened.host, scheme: 'http', authorization: `Bearer ${tokens.sign('team/app', ['pull', 'push'])}` }, 'team/app', 'v1', layers);
}, 120_000);

afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

function expectImage(stats: Awaited<ReturnType<typeof measureRegistryImage>>, pushed: Pushed = image): void {
  expect(stats).toMatchObject({
    target: 'app',
    platform: 'linux/amd64',
    digest: pushed.digest,
    configDigest: pushed.configDigest,
    compressedBytes: pushed.layers.reduce((a, l) => a + l.gz.length, 0),
    uncompressedBytes: pushed.layers.reduce((a, l) => a + l.tarBytes, 0),
    layerCount: pushed.layers.length,
    method: 'oci-layout'
  });
}

describe('a plain HTTP registry on loopback', () => {
  test('every number equals the files pushed, to the byte; instructions from the history, redacted', async () => {
    const stats = await measureRegistryImage(`${plain.host}/app:v1`, { ...options(), files: true });
    expectImage(stats);
    expect(stats.layers.map((l) => [l.digest, l.compressedBytes, l.uncompressedBytes])).toEqual(image.layers.map((l) => [sha256(l.gz), l.gz.length, l.tarBytes]));
    expect(stats.layers.map((l) => l.instruction)).toEqual(['COPY app /', 'RUN echo *** > /etc/token']);
    expect(stats.files?.final.get('app/main.js')).toBe(15 * 500);
    expect(stats.files?.wasted).toEqual([{ path: 'app/readme', bytes: 1 }]);
  });

  test('a layer the run measured already (SharedLayers) takes those numbers instead of its blob; one measured without files does not serve files', async () => {
    const top = image.layers[1]!;
    const shared = new SharedLayers();
    // Numbers no read of the blob would give: where they show, the blob was not read.
    shared.add(sha256(top.gz), top.gz.length, 'gzip', false, Promise.resolve({ uncompressedBytes: 12_345 }));
    const stats = await measureRegistryImage(`${plain.host}/app:v1`, options({ shared }));
    expect(stats.layers.map((l) => l.uncompressedBytes)).toEqual([image.layers[0]!.tarBytes, 12_345]);
    const withFiles = await measureRegistryImage(`${plain.host}/app:v1`, options({ shared, files: true }));
    expect(withFiles.layers.map((l) => l.uncompressedBytes)).toEqual(image.layers.map((l) => l.tarBytes));
  });

  test('an index: the platform asked for, else the runner\'s; attestations never; a platform it lacks is named with those it has', async () => {
    const amd = await measureRegistryImage(`${plain.host}/app:multi`, options({ platform: 'linux/amd64' }));
    expectImage(amd);
    const arm = await measureRegistryImage(`${plain.host}/app:multi`, options({ platform: 'linux/arm64' }));
    expect(arm).toMatchObject({ platform: 'linux/arm64', digest: armDigest, layerCount: 1 });
    if (process.arch === 'x64') expect((await measureRegistryImage(`${plain.host}/app:multi`, options())).digest).toBe(image.digest);
    await expect(measureRegistryImage(`${plain.host}/app:multi`, options({ platform: 'linux/s390x' }))).rejects.toThrow(
      `${plain.host}/app:multi has no image for linux/s390x; its index offers linux/arm64, linux/amd64`
    );
    await expect(measureRegistryImage(`${plain.host}/app:arm-only`, options({ platform: 'linux/amd64' }))).rejects.toThrow(`${plain.host}/app:arm-only is an image for linux/arm64 only, not linux/amd64`);
  });

  test('by digest, with or without a tag; a digest the content does not have is refused', async () => {
    expectImage(await measureRegistryImage(`${plain.host}/app@${image.digest}`, options()));
    expectImage(await measureRegistryImage(`${plain.host}/app:ignored@${indexDigest}`, options({ platform: 'linux/amd64' })));
    const missing = await rejection(measureRegistryImage(`${plain.host}/app@sha256:${'0'.repeat(64)}`, options()));
    expect(missing).toMatchObject({ kind: 'not-found', status: 404 });
  });

  test('a missing tag or repository: not-found, naming the reference', async () => {
    const e = await rejection(measureRegistryImage(`${plain.host}/app:nope`, options()));
    expect(e).toMatchObject({ kind: 'not-found', status: 404, reference: `${plain.host}/app:nope` });
    expect(e.message).toBe(`${plain.host}/app:nope: the tag nope does not exist in ${plain.host} (404 Not Found, MANIFEST_UNKNOWN); check the name and tag (a private repository may also answer 404 to anonymous access)`);
    expect((await rejection(measureRegistryImage(`${plain.host}/nothing/here`, options()))).kind).toBe('not-found');
  });

  test('an artifact is not an image', async () => {
    const artifact = await pushManifest(
      { host: plain.host, scheme: 'http' },
      'app',
      'sbom',
      { schemaVersion: 2, mediaType: MediaType.ociManifest, artifactType: 'application/spdx+json', config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: emptyConfig, size: 2 }, layers: [] },
      MediaType.ociManifest
    );
    expect(artifact).toMatch(/^sha256:/);
    await expect(measureRegistryImage(`${plain.host}/app:sbom`, options())).rejects.toThrow(`Registry image ${plain.host}/app:sbom holds no image manifest (only attestations or artifacts)`);
  });
});

describe('HTTPS with basic authentication (htpasswd), trusted through /etc/docker/certs.d', () => {
  const ref = (): string => `${secure.host}/private/app:v1`;

  test('no credentials: unauthorized, saying to log in', async () => {
    const e = await rejection(measureRegistryImage(ref(), options()));
    expect(e).toMatchObject({ kind: 'unauthorized', status: 401 });
    expect(e.message).toBe(
      `${ref()}: ${secure.host} refused anonymous access for the tag v1 (401 Unauthorized, UNAUTHORIZED); the image is private or the registry wants a login: docker login ${secure.host} (in a workflow, docker/login-action) before measuring`
    );
  });

  test('a wrong password: unauthorized, naming where the credentials came from, never the password', async () => {
    const config = await dockerConfigDir({ auths: { [secure.host]: { auth: basicAuth('tester', 'wrong-password-123') } } });
    cleanups.push(config.remove);
    const e = await rejection(measureRegistryImage(ref(), options({ client: { env: { ...process.env, DOCKER_CONFIG: config.dir } } })));
    expect(e).toMatchObject({ kind: 'unauthorized', status: 401 });
    expect(e.message).toContain(`refused the credentials of ${config.dir}/config.json ("auths" entry "${secure.host}")`);
    expect(e.message).not.toContain('wrong-password-123');
    expect(e.message).not.toContain(basicAuth('tester', 'wrong-password-123'));
  });

  test('the credentials of a docker config (auth, or username and password, under the host or an https:// key): measured', async () => {
    const { username, password } = secure.credentials!;
    for (const auths of [{ [secure.host]: { auth: basicAuth(username, password) } }, { [`https://${secure.host}/v1/`]: { username, password } }]) {
      const config = await dockerConfigDir({ auths });
      cleanups.push(config.remove);
      expectImage(await measureRegistryImage(ref(), options({ client: { env: { ...process.env, DOCKER_CONFIG: config.dir } } })));
    }
  });

  test('a credential helper (credHelpers, credsStore) on PATH: measured; "credentials not found" is anonymous', async () => {
    const { username, password } = secure.credentials!;
    const bin = await mkdtemp(path.join(work, 'bin-'));
    const helper = path.join(bin, 'docker-credential-test');
    // Answers for this registry only, as a real helper keyed by server does.
    await writeFile(helper, `#!/bin/sh\nread server\nif [ "$server" = "${secure.host}" ]; then printf '{"ServerURL":"%s","Username":"${username}","Secret":"${password}"}' "$server"; else echo "credentials not found in native keychain"; exit 1; fi\n`);
    await chmod(helper, 0o755);
    const env = (config: unknown): Promise<NodeJS.ProcessEnv> =>
      dockerConfigDir(config).then((c) => {
        cleanups.push(c.remove);
        return { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}`, DOCKER_CONFIG: c.dir };
      });
    expectImage(await measureRegistryImage(ref(), options({ client: { env: await env({ credHelpers: { [secure.host]: 'test' } }) } })));
    expectImage(await measureRegistryImage(ref(), options({ client: { env: await env({ credsStore: 'test' }) } })));
    // The helper does not know this host: anonymous, so the plain registry still answers.
    expectImage(await measureRegistryImage(`${plain.host}/app:v1`, options({ client: { env: await env({ credsStore: 'test' }) } })));
    const missing = measureRegistryImage(ref(), options({ client: { env: await env({ credsStore: 'absent' }) } }));
    await expect(missing).rejects.toThrow(`${ref()}: The credential helper docker-credential-absent for ${secure.host} is not installed (not on PATH)`);
  });

  test('without the CA, HTTPS fails and loopback falls back to HTTP, which this registry does not speak: unavailable, both said', async () => {
    const e = await rejection(measureRegistryImage(ref(), options({ client: { certsDir: path.join(work, 'no-certs'), env: process.env } })));
    expect(e.kind).toBe('unavailable');
    expect(e.message).toMatch(new RegExp(`^${escape(ref())}: cannot reach ${escape(secure.host)} for the tag v1 \\(https: self-signed certificate`));
    expect(e.message).toContain(`; if the registry's certificate is signed by a private CA, put that CA in ${path.join(work, 'no-certs')}/${secure.host}/ca.crt; http: 400 Bad Request (an HTTPS server))`);
  });
});

describe('token authentication: the registry verifies the JWTs of a token server', () => {
  const ref = (): string => `${tokened.host}/team/app:v1`;

  test('anonymous: a token without access, then unauthorized', async () => {
    const e = await rejection(measureRegistryImage(ref(), options()));
    expect(e).toMatchObject({ kind: 'unauthorized', status: 401 });
    const last = tokens.requests.at(-1)!;
    expect([last.method, last.query.get('service'), last.query.get('scope'), last.basicUser]).toEqual(['GET', 'image-budget-test', 'repository:team/app:pull', undefined]);
  });

  test('basic credentials: GET of the realm with service, scope and account; measured', async () => {
    const config = await dockerConfigDir({ auths: { [tokened.host]: { auth: basicAuth('tester', 'right-password') } } });
    cleanups.push(config.remove);
    const before = tokens.requests.length;
    expectImage(await measureRegistryImage(ref(), options({ files: true, client: { env: { ...process.env, DOCKER_CONFIG: config.dir } } })));
    const asked = tokens.requests.slice(before);
    // One token serves every request of the measurement.
    expect(asked).toHaveLength(1);
    expect([asked[0]!.method, asked[0]!.basicUser, asked[0]!.query.get('account'), asked[0]!.query.get('scope')]).toEqual(['GET', 'tester', 'tester', 'repository:team/app:pull']);
  });

  test('an identity token: the OAuth2 refresh-token POST; measured; a wrong one is unauthorized', async () => {
    const config = await dockerConfigDir({ auths: { [tokened.host]: { identitytoken: 'identity-token-1' } } });
    cleanups.push(config.remove);
    expectImage(await measureRegistryImage(ref(), options({ client: { env: { ...process.env, DOCKER_CONFIG: config.dir } } })));
    const form = tokens.requests.at(-1)!.form!;
    expect([form.get('grant_type'), form.get('refresh_token'), form.get('service'), form.get('scope'), form.get('client_id')]).toEqual(['refresh_token', 'identity-token-1', 'image-budget-test', 'repository:team/app:pull', 'image-budget']);
    const wrong = await dockerConfigDir({ auths: { [tokened.host]: { identitytoken: 'not-a-token' } } });
    cleanups.push(wrong.remove);
    const e = await rejection(measureRegistryImage(ref(), options({ client: { env: { ...process.env, DOCKER_CONFIG: wrong.dir } } })));
    expect(e).toMatchObject({ kind: 'unauthorized', status: 401 });
    expect(e.message).toContain(`a token for the tag v1`);
    expect(e.message).not.toContain('not-a-token');
  });

  test('a token server answering only access_token', async () => {
    const only = await startTokenServer({ users: new Map([['tester', 'right-password']]), accessTokenOnly: true });
    cleanups.push(() => only.close());
    const reg = await startRegistry('token', only.realm);
    cleanups.push(() => reg.stop());
    only.setKey(await readFile(reg.tokenKey!, 'utf8'), await readFile(reg.tokenCert!, 'utf8'));
    const pushed = await pushImage({ host: reg.host, scheme: 'http', authorization: `Bearer ${only.sign('team/app', ['pull', 'push'])}` }, 'team/app', 'v1', image.layers);
    const config = await dockerConfigDir({ auths: { [reg.host]: { auth: basicAuth('tester', 'right-password') } } });
    cleanups.push(config.remove);
    expectImage(await measureRegistryImage(`${reg.host}/team/app:v1`, options({ client: { env: { ...process.env, DOCKER_CONFIG: config.dir } } })), pushed);
  });
});

describe('answers the reference registry never gives, from a front before it', () => {
  const withFront = async (mode: Parameters<typeof startFront>[1], fn: (host: string, front: Awaited<ReturnType<typeof startFront>>) => Promise<void>): Promise<void> => {
    const front = await startFront(plain.host, mode, { username: 'tester', password: 'front-password' });
    try {
      await fn(front.host, front);
    } finally {
      await front.close();
    }
  };

  test('403: forbidden; 429: rate-limited with Retry-After; 503: unavailable', async () => {
    await withFront('forbidden', async (host) => {
      const e = await rejection(measureRegistryImage(`${host}/app:v1`, options()));
      expect(e).toMatchObject({ kind: 'forbidden', status: 403 });
      expect(e.message).toBe(`${host}/app:v1: ${host} forbids the tag v1 to anonymous access (403 Forbidden, DENIED); the credentials need read (pull) access to the repository`);
    });
    await withFront('rate-limited', async (host) => {
      const e = await rejection(measureRegistryImage(`${host}/app:v1`, options()));
      expect(e).toMatchObject({ kind: 'rate-limited', status: 429, retryAfterSeconds: 7 });
      expect(e.message).toBe(`${host}/app:v1: ${host} rate-limits the tag v1 (429 Too Many Requests, TOOMANYREQUESTS); retry after 7 s, or log in for a higher limit`);
    });
    await withFront('unavailable', async (host) => {
      expect(await rejection(measureRegistryImage(`${host}/app:v1`, options()))).toMatchObject({ kind: 'unavailable', status: 503 });
    });
  });

  test('blobs redirected to storage on another origin: followed, and the credentials never sent there', async () => {
    const config = await dockerConfigDir({ auths: {} });
    cleanups.push(config.remove);
    await withFront('basic-redirect', async (host, front) => {
      await writeFile(path.join(config.dir, 'config.json'), JSON.stringify({ auths: { [host]: { auth: basicAuth('tester', 'front-password') } } }));
      expectImage(await measureRegistryImage(`${host}/app:v1`, options({ files: true, client: { env: { ...process.env, DOCKER_CONFIG: config.dir } } })));
      expect(front.storageRequests.map((r) => r.path).sort()).toEqual([image.configDigest, ...image.layers.map((l) => sha256(l.gz))].map((d) => `/storage/app/blobs/${d}`).sort());
      expect(front.storageRequests.filter((r) => r.authorization !== undefined)).toEqual([]);
      expect(front.requests.filter((r) => r.path.startsWith('/v2/app/')).every((r) => r.authorization !== undefined || r.path === '/v2/app/manifests/v1')).toBe(true);
    });
  });

  test('a manifest over 4 MiB is refused; a registry that goes silent times out', async () => {
    await withFront('huge-manifest', async (host) => {
      const e = await rejection(measureRegistryImage(`${host}/app:v1`, options()));
      expect(e).toMatchObject({ kind: 'bad-response' });
      expect(e.message).toBe(`${host}/app:v1: the tag v1 is larger than the 4194304 bytes accepted`);
    });
    await withFront('silent', async (host) => {
      const started = Date.now();
      const e = await rejection(measureRegistryImage(`${host}/app:v1`, options({ client: { timeouts: { connectMs: 2000, idleMs: 500 }, env: process.env } })));
      expect(e.kind).toBe('unavailable');
      expect(e.message).toContain('no data for 500 ms');
      expect(Date.now() - started).toBeLessThan(10_000);
    });
  });
});
