// `cache: registry=REF` for real: the build cache of a target is written to Debian's docker-registry
// on loopback (one cache reference per side, target and platform set), then, on a builder whose own
// cache was emptied, a later build imports it from there and builds nothing again.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { registryCacheRef, cacheScope } from '../../src/buildx/argv.js';
import { exec } from '../../src/exec.js';
import type { Log } from '../../src/log.js';
import { buildSide, type SideRequest } from '../../src/pipeline/side.js';
import { ensureEngine } from '../support/engine.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';

let work = '';
let env: NodeJS.ProcessEnv = {};
let registry: TestRegistry;
beforeAll(async () => {
  env = { ...process.env, DOCKER_HOST: ensureEngine() };
  work = await mkdtemp(path.join(os.tmpdir(), 'ib-registry-cache-'));
  registry = await startRegistry('plain');
}, 120_000);
afterAll(async () => {
  await registry?.stop();
  await rm(work, { recursive: true, force: true });
});

const SALT = `${process.pid}-${Date.now()}`;

async function side(context: string, output: string[]): Promise<Awaited<ReturnType<typeof buildSide>>> {
  const log: Log = { info: () => undefined, warning: (m) => output.push(`warning ${m}`), output: (c) => output.push(c), group: (_t, fn) => fn() };
  const request: SideRequest = {
    side: 'head',
    context,
    dockerfile: path.join(context, 'Dockerfile'),
    targets: [{ name: 'app', stage: 'app' }],
    platforms: [],
    buildArgs: [['SALT', SALT]],
    network: 'none',
    builder: undefined,
    cache: { type: 'registry', ref: `${registry.host}/cache` },
    cacheExport: true,
    cacheMode: 'max',
    commentKey: 'registry-cache',
    secrets: [],
    measure: 'oci-layout'
  };
  return buildSide({ exec, log, tmpDir: await mkdtemp(path.join(work, 'tmp-')), env }, request);
}

it('writes the cache to the registry, and a builder with an empty cache imports it and builds nothing again', async () => {
  const context = path.join(work, 'context');
  await mkdir(context);
  await writeFile(path.join(context, 'Dockerfile'), 'FROM image-budget/busybox AS app\nARG SALT\nRUN echo "$SALT" > /salt && head -c 200000 /dev/urandom > /data\n');
  const first: string[] = [];
  const [written] = await side(context, first);
  expect(written?.results[0]?.result.state).toBe('measured');
  const ref = registryCacheRef(`${registry.host}/cache`, cacheScope('registry-cache', 'head', 'app', []));
  expect(first.join('')).toContain(`exporting cache to registry`);
  expect(first.join('')).toMatch(/\[2\/2\] RUN echo[^\n]*\n#\d+ DONE/);
  expect(first.filter((l) => l.startsWith('warning'))).toEqual([]);
  // The cache is a manifest in the registry under the target's own reference.
  const [repo, tag] = ref.slice(registry.host.length + 1).split(':');
  const got = await fetch(`http://${registry.host}/v2/${repo}/manifests/${tag}`, { headers: { accept: 'application/vnd.oci.image.index.v1+json' } });
  expect(got.status).toBe(200);

  const pruned = await exec('docker', ['buildx', 'prune', '--all', '--force'], { env });
  expect(pruned.code).toBe(0);
  const second: string[] = [];
  const [imported] = await side(context, second);
  const log = second.join('');
  expect(log).toContain(`importing cache manifest from ${ref}`);
  expect(log).toContain('inferred cache manifest type: application/vnd.oci.image.index.v1+json done');
  // The RUN step writes random bytes: the same image digest below means it was not run again, its
  // layer came from the registry.
  const a = written?.results[0]?.result;
  const b = imported?.results[0]?.result;
  expect(a?.state === 'measured' && b?.state === 'measured' ? b.image.digest : 'x').toBe(a?.state === 'measured' ? a.image.digest : 'y');
}, 300_000);
