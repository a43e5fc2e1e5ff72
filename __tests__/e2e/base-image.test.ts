// `base-image` end to end: the bundled action on a pull request compared with the base's image as a
// team's push workflow left it in a registry (Debian's docker-registry on loopback, HTTPS with basic
// authentication, the engine logged in by `docker login` into a temporary DOCKER_CONFIG, which the
// action reads as it reads docker/login-action's). The base is never built or checked out, and its
// numbers equal the registry's own manifest (read with curl) and the layers inflated independently.
// A reference that does not exist, or a registry that refuses, is a warning naming the reference,
// and the base is then built as `baseline: auto` says. With `images` too (the head built by an
// earlier `docker buildx build --load`, or already pushed), the run builds nothing at all.
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { buildAndRead } from '../support/independent.js';
import { BUILDER, RELEASE_FAT, RELEASE_SCRATCH, dockerfile, reportOf, rowOf, usePrHarness } from '../support/pr-run.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import type { PullRequestFixture } from '../support/git-fixture.js';

const run = promisify(execFile);
const h = usePrHarness();

let registry: TestRegistry;
let dockerConfig = '';
let fixture: PullRequestFixture;
let manifest: { digest: string; layers: Array<{ digest: string; size: number }> };
const RUN_ID = `${process.pid}-${Date.now()}`;

function docker(args: readonly string[], env: NodeJS.ProcessEnv, input?: string): string {
  return execFileSync('docker', [...args], { env, input: input ?? '', maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' });
}

/** GET on the registry with curl: its CA and the basic credentials, as an independent reader. */
async function curl(url: string, accept?: string): Promise<Buffer> {
  const { username, password } = registry.credentials!;
  const args = ['-sfS', '--cacert', registry.caFile!, '-u', `${username}:${password}`, ...(accept ? ['-H', `Accept: ${accept}`] : []), url];
  return (await run('curl', args, { encoding: 'buffer', maxBuffer: 256 * 1024 * 1024 })).stdout;
}

beforeAll(async () => {
  registry = await startRegistry('tls');
  const base = { Dockerfile: dockerfile(BUILDER, RELEASE_SCRATCH) };
  fixture = await h.pr(base, { Dockerfile: dockerfile(BUILDER, RELEASE_FAT) }, 71);
  // The push workflow of the base: build the release image, log in, push.
  dockerConfig = await h.temp('ib-base-image-config-');
  const env = { ...process.env, DOCKER_CONFIG: dockerConfig };
  const context = await h.temp('ib-base-image-context-');
  await writeFile(path.join(context, 'Dockerfile'), base.Dockerfile);
  const ref = `${registry.host}/acme/app:main-${RUN_ID}`;
  docker(['buildx', 'build', '--network', 'none', '--provenance=false', '--target', 'release', '--tag', ref, '--load', '--', context], env);
  const { username, password } = registry.credentials!;
  docker(['login', '--username', username, '--password-stdin', registry.host], env, password);
  docker(['push', ref], env);
  docker(['image', 'rm', ref], env);
  const body = await curl(`https://${registry.host}/v2/acme/app/manifests/main-${RUN_ID}`, 'application/vnd.oci.image.manifest.v1+json,application/vnd.docker.distribution.manifest.v2+json');
  manifest = { digest: `sha256:${createHash('sha256').update(body).digest('hex')}`, layers: JSON.parse(body.toString('utf8')).layers };
}, 300_000);

afterAll(async () => {
  await registry?.stop();
});

const inputs = (baseImage: string): Record<string, string> => ({ targets: 'release', 'base-image': baseImage, cache: 'none', comment: 'never' });

test('compared with the pushed image: no base build, no checkout, and the registry\'s own numbers', async () => {
  const ref = `${registry.host}/acme/app:main-${RUN_ID}`;
  const action = await h.runOnPr(fixture, inputs(ref), { env: { DOCKER_CONFIG: dockerConfig } });
  expect(action.code).toBe(0);
  expect(action.stdout).toContain(`Read base image ${ref} (release)`);
  expect(action.stdout).not.toMatch(/Build base target|Check out base/);
  const row = rowOf(await reportOf(action), 'release');
  expect(row.base.state).toBe('measured');
  expect(row.base.digest).toBe(manifest.digest);
  expect(row.base.layerCount).toBe(manifest.layers.length);
  expect(row.base.compressedBytes).toBe(manifest.layers.reduce((n, l) => n + l.size, 0));
  // Uncompressed: every layer blob fetched with curl and inflated by gzip.
  let inflated = 0;
  for (const layer of manifest.layers) {
    const blob = await curl(`https://${registry.host}/v2/acme/app/blobs/${layer.digest}`);
    inflated += Number(execFileSync('sh', ['-c', 'gzip -dc | wc -c'], { input: blob, encoding: 'utf8' }).trim());
  }
  expect(row.base.uncompressedBytes).toBe(inflated);
  expect(row.head.state).toBe('measured');
  expect(row.status).toBe('changed');
  expect((await reportOf(action)).notes.join('\n')).toContain(`the pushed image ${ref}`);
}, 300_000);

test('a reference that does not exist: a warning naming it, and the base is built instead', async () => {
  const ref = `${registry.host}/acme/app:missing-${RUN_ID}`;
  const action = await h.runOnPr(fixture, inputs(ref), { env: { DOCKER_CONFIG: dockerConfig } });
  expect(action.code).toBe(0);
  expect(action.warnings.join('\n')).toContain(`base-image ${ref} (release) could not be read`);
  expect(action.stdout).toContain('Build base target release');
  expect(rowOf(await reportOf(action), 'release').base.state).toBe('measured');
}, 300_000);

test('a registry that refuses (no credentials): the warning says so, and the base is built instead', async () => {
  const ref = `${registry.host}/acme/app:main-${RUN_ID}`;
  const empty = await h.temp('ib-base-image-anonymous-');
  const action = await h.runOnPr(fixture, inputs(ref), { env: { DOCKER_CONFIG: empty } });
  expect(action.code).toBe(0);
  const warnings = action.warnings.join('\n');
  expect(warnings).toContain(`base-image ${ref} (release) could not be read`);
  expect(warnings).toMatch(/401|unauthori[sz]ed|log in/i);
  expect(warnings).not.toContain(registry.credentials!.password);
  expect(action.stdout).toContain('Build base target release');
}, 300_000);

test('a base-image that names no built target is an input error before any build', async () => {
  const action = await h.runOnPr(fixture, { ...inputs('x'), 'base-image': `debug=${registry.host}/acme/app:main` }, { env: { DOCKER_CONFIG: dockerConfig } });
  expect(action.code).not.toBe(0);
  expect(action.errors.join('\n')).toContain("Invalid input 'base-image': \"debug\" is not a built target");
  expect(action.stdout).not.toMatch(/Build head target/);
}, 120_000);

describe('images: the head built by an earlier step is measured, not built', () => {
  let headContext = '';
  let imageId = '';
  const tag = `image-budget-e2e/given:${RUN_ID}`;

  beforeAll(async () => {
    headContext = await h.temp('ib-images-context-');
    await writeFile(path.join(headContext, 'Dockerfile'), dockerfile(BUILDER, RELEASE_FAT));
    // The earlier step: docker/build-push-action with load: true; its imageid output is the image's id.
    docker(['buildx', 'build', '--network', 'none', '--target', 'release', '--tag', tag, '--load', '--', headContext], process.env);
    imageId = docker(['image', 'inspect', '--format', '{{.Id}}', tag], process.env).trim();
  }, 300_000);

  afterAll(() => {
    docker(['image', 'rm', tag], process.env);
  });

  test('an image of the engine by its id, with base-image: not one build, and its numbers equal an independent reading', async () => {
    const wrapper = await h.dockerWrapper();
    const ref = `${registry.host}/acme/app:main-${RUN_ID}`;
    const action = await h.runOnPr(fixture, { ...inputs(ref), images: imageId }, { env: { DOCKER_CONFIG: dockerConfig, PATH: wrapper.path } });
    expect(action.code).toBe(0);
    const builds = (await wrapper.calls()).filter((c) => c.argv[0] === 'buildx' && c.argv[1] === 'build');
    expect(builds).toEqual([]);
    expect(action.stdout).toContain(`Measure head target release: ${imageId} (not built)`);
    const row = rowOf(await reportOf(action), 'release');
    const [independent] = [...(await buildAndRead(headContext, 'release')).values()];
    expect(row.head.state).toBe('measured');
    expect(row.head.compressedBytes).toBe(independent?.compressedBytes);
    expect(row.head.uncompressedBytes).toBe(independent?.uncompressedBytes);
    expect(row.head.layerCount).toBe(independent?.layerCount);
    expect(row.base.digest).toBe(manifest.digest);
  }, 300_000);

  test('a registry reference: read in its registry, as base-image is', async () => {
    const ref = `${registry.host}/acme/app:main-${RUN_ID}`;
    const action = await h.runOnPr(fixture, { ...inputs(ref), images: ref }, { env: { DOCKER_CONFIG: dockerConfig } });
    expect(action.code).toBe(0);
    const row = rowOf(await reportOf(action), 'release');
    expect(row.head.digest).toBe(manifest.digest);
    expect(row.head.compressedBytes).toBe(manifest.layers.reduce((n, l) => n + l.size, 0));
    expect(row.status).toBe('unchanged');
  }, 300_000);

  test('an id the engine does not have: that target fails, naming the image', async () => {
    const absent = `sha256:${'0'.repeat(64)}`;
    const action = await h.runOnPr(fixture, { ...inputs(`${registry.host}/acme/app:main-${RUN_ID}`), images: absent }, { env: { DOCKER_CONFIG: dockerConfig } });
    expect(action.code).not.toBe(0);
    expect(action.warnings.join('\n')).toContain(`release: ${absent} could not be measured: not an image of the engine`);
  }, 300_000);
});

test('a Dockerfile FROM an image of the registry: buildx pulls it with the same docker config, for head and base, built side by side', async () => {
  const ref = `${registry.host}/acme/app:main-${RUN_ID}`;
  const from = await h.pr({ Dockerfile: `FROM ${ref} AS app\n` }, { Dockerfile: `FROM ${ref} AS app\nCOPY notes.txt /notes.txt\n`, 'notes.txt': 'hello\n' }, 72);
  const wrapper = await h.dockerWrapper();
  const action = await h.runOnPr(from, { targets: 'app', cache: 'none', comment: 'never', baseline: 'build' }, { env: { DOCKER_CONFIG: dockerConfig, PATH: wrapper.path } });
  expect(action.code).toBe(0);
  // Head and base build side by side: each starts before the other ends.
  const builds = (await wrapper.calls()).filter((c) => c.argv[0] === 'buildx' && c.argv[1] === 'build');
  expect(builds).toHaveLength(2);
  const [a, b] = builds;
  expect(b!.startedNs < (a!.endedNs ?? 0n)).toBe(true);
  expect(action.stdout.indexOf('Build head target app')).toBeLessThan(action.stdout.indexOf('Build base target app'));
  const row = rowOf(await reportOf(action), 'app');
  // The base is the pulled image itself (rebuilt, so its own config and digest): the same layer blobs.
  expect(row.base.state).toBe('measured');
  expect(row.base.layerCount).toBe(manifest.layers.length);
  expect(row.base.compressedBytes).toBe(manifest.layers.reduce((n, l) => n + l.size, 0));
  expect(row.head.layerCount).toBe(manifest.layers.length + 1);
  // Without the login, the registry refuses the pull: the head's build fails, saying so.
  const anonymous = await h.temp('ib-from-anonymous-');
  const refused = await h.runOnPr(from, { targets: 'app', cache: 'none', comment: 'never', baseline: 'none' }, { env: { DOCKER_CONFIG: anonymous } });
  expect(refused.code).not.toBe(0);
  expect(refused.errors.join('\n')).toMatch(/401|unauthorized|authorization/i);
}, 300_000);
