// Hostile base images on the real engines: a layer that is a gzip bomb (a file of zeros, 1000:1) and
// a layer whose path is 1,500 directories deep (pax long names), each made with `docker import` of a
// tar generated here and used as a `FROM`. The bomb is measured with a small ratio floor (8 MiB
// instead of 1 GiB, so the test stays quick; the default floor is tested on a generated stream in
// integration/measure-limits.test.ts) on both image stores: from buildx's OCI layout and through
// `docker save` on the classic store. The deep path goes through the whole side of the pipeline
// (buildSide) with the default limits: its target becomes a failed measurement naming the layer and
// the limit, the other target of the same run is measured, files included.
// The layer digests in the messages are checked against the engine's own record (the layout's
// manifest read with JSON.parse, `docker image inspect`).
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { exec } from '../../src/exec.js';
import { DEFAULT_LIMITS } from '../../src/image/limits.js';
import { measureOciLayout } from '../../src/image/measure.js';
import type { Log } from '../../src/log.js';
import { buildSide, measureLoaded, type SideRequest } from '../../src/pipeline/side.js';
import { tarOf, tarMember, ustarHeader } from '../support/tar-writer.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const KEY = `h-bombs-${randomBytes(4).toString('hex')}`;
const BOMB = `image-budget-test/${KEY}-bomb:latest`;
const DEEP = `image-budget-test/${KEY}-deep:latest`;
const DEEP_OK = `image-budget-test/${KEY}-deep-ok:latest`;
const MiB = 1024 * 1024;
/** The defaults, but a ratio floor of 8 MiB: the bomb below inflates to 64 MiB. */
const SMALL_FLOOR = { ...DEFAULT_LIMITS, ratioFloorBytes: 8 * MiB };

let containerdEnv: NodeJS.ProcessEnv = {};
let classicEnv: NodeJS.ProcessEnv = {};
let work = '';

async function ensure(command: 'ensure' | 'ensure-classic'): Promise<NodeJS.ProcessEnv> {
  const r = await exec('bash', [path.join(ROOT, 'scripts', 'engine.sh'), command], { cwd: ROOT });
  if (r.code !== 0) throw new Error(`scripts/engine.sh ${command} exited ${r.code}: ${r.stderr.trim()}`);
  return { ...process.env, DOCKER_HOST: r.stdout.trim().split('\n').pop() ?? '' };
}

async function docker(args: readonly string[], env: NodeJS.ProcessEnv): Promise<string> {
  const r = await exec('docker', args, { env });
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')} failed: ${r.stderr.slice(-2000)}`);
  return r.stdout;
}

/** A tar.gz holding one file of 64 MiB of zeros, compressed about 1000:1 (64 KiB). */
function bombTarGz(): Buffer {
  const size = 64 * MiB;
  return Buffer.concat([gzipSync(ustarHeader('zeros', size)), gzipSync(Buffer.alloc(size), { level: 9 }), gzipSync(Buffer.alloc(1024))]);
}

/** A tar whose one file sits `depth` directories deep, its path in a pax record. */
const deepTar = (depth: number): Buffer => tarOf(tarMember(`${'a/'.repeat(depth)}f`, 'deep\n'));

async function importImage(file: string, tag: string, env: NodeJS.ProcessEnv): Promise<void> {
  await docker(['import', file, tag], env);
}

/** The layer blob digests of `tag`'s manifest, from `docker save` unpacked by the system's tar and read with JSON.parse. */
async function savedLayerDigests(tag: string, env: NodeJS.ProcessEnv): Promise<string[]> {
  const dir = await mkdtemp(path.join(work, 'saved-'));
  const r = await exec('sh', ['-c', 'docker save "$1" | tar -x -C "$2"', 'sh', tag, dir], { env });
  if (r.code !== 0) throw new Error(`docker save ${tag} | tar -x failed: ${r.stderr}`);
  const blob = async (digest: string): Promise<unknown> => JSON.parse(await readFile(path.join(dir, 'blobs', 'sha256', digest.slice(7)), 'utf8'));
  const index = JSON.parse(await readFile(path.join(dir, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
  const manifest = (await blob(index.manifests[0]?.digest ?? '')) as { layers: Array<{ digest: string }> };
  return manifest.layers.map((l) => l.digest);
}

/** The layer digests (diff_ids) the engine records for `tag`. */
async function rootfsLayers(tag: string, env: NodeJS.ProcessEnv): Promise<string[]> {
  return JSON.parse(await docker(['image', 'inspect', tag, '--format', '{{json .RootFS.Layers}}'], env)) as string[];
}

beforeAll(async () => {
  containerdEnv = await ensure('ensure');
  classicEnv = await ensure('ensure-classic');
  work = await mkdtemp(path.join(os.tmpdir(), 'image-budget-bombs-'));
  await writeFile(path.join(work, 'bomb.tar.gz'), bombTarGz());
  await writeFile(path.join(work, 'deep.tar'), deepTar(1500));
  await writeFile(path.join(work, 'deep-ok.tar'), deepTar(1000));
  await importImage(path.join(work, 'bomb.tar.gz'), BOMB, containerdEnv);
  await importImage(path.join(work, 'bomb.tar.gz'), BOMB, classicEnv);
  await importImage(path.join(work, 'deep.tar'), DEEP, containerdEnv);
  await importImage(path.join(work, 'deep-ok.tar'), DEEP_OK, containerdEnv);
}, 5 * 60_000);

afterAll(async () => {
  await exec('docker', ['image', 'rm', BOMB, DEEP, DEEP_OK], { env: containerdEnv });
  await exec('docker', ['image', 'rm', BOMB], { env: classicEnv });
  if (work) await rm(work, { recursive: true, force: true });
});

describe('a FROM image whose layer is a gzip bomb', () => {
  test('containerd store, OCI layout: refused at the bomb layer, named with the limit, in seconds', async () => {
    const context = path.join(work, 'bomb-context');
    await mkdir(context);
    await writeFile(path.join(context, 'Dockerfile'), `FROM ${BOMB}\nLABEL stage=bomb\n`);
    const dest = path.join(work, 'bomb-oci');
    await docker(['buildx', 'build', '--network', 'none', '--output', `type=oci,dest=${dest},tar=false`, context], containerdEnv);
    const index = JSON.parse(await readFile(path.join(dest, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
    const manifestBlob = path.join(dest, 'blobs', 'sha256', (index.manifests[0]?.digest ?? '').slice(7));
    const manifest = JSON.parse(await readFile(manifestBlob, 'utf8')) as { layers: Array<{ digest: string; size: number }> };
    const [layer] = manifest.layers;
    if (!layer || manifest.layers.length !== 1) throw new Error(`expected the one imported layer, got ${JSON.stringify(manifest.layers)}`);
    expect(layer.size).toBeLessThan(MiB);

    const started = Date.now();
    await expect(measureOciLayout(dest, { target: 'bomb', secrets: [], limits: SMALL_FLOOR })).rejects.toThrow(
      `bomb: measurement stopped at layer ${layer.digest}: the layer inflates to more than 100 times its compressed size of ${layer.size} bytes`
    );
    expect(Date.now() - started).toBeLessThan(20_000);
  }, 120_000);

  test('classic store, docker save: refused at the bomb layer, named by its diff_id', async () => {
    const [diffId] = await rootfsLayers(BOMB, classicEnv);
    const measuring = measureLoaded({ env: classicEnv }, BOMB, { target: 'bomb', secrets: [], limits: SMALL_FLOOR });
    await expect(measuring).rejects.toThrow(
      new RegExp(`^bomb: measurement stopped at layer ${diffId}: the layer inflates to more than 100 times its compressed size of \\d+ bytes .*; these limits guard`)
    );
  }, 120_000);
});

describe('a FROM image with a path 1,500 directories deep, through buildSide with the default limits', () => {
  test('its target is a failed measurement naming the layer and the limit; the other target (1,000 deep) is measured with its files', async () => {
    const context = path.join(work, 'deep-context');
    await mkdir(context);
    await writeFile(path.join(context, 'Dockerfile'), `FROM ${DEEP} AS deep\nLABEL stage=deep\n\nFROM ${DEEP_OK} AS fine\nLABEL stage=fine\n`);
    const warnings: string[] = [];
    const log: Log = { info: () => undefined, warning: (m) => warnings.push(m), group: (_t, fn) => fn() };
    const request: SideRequest = {
      side: 'head',
      context,
      dockerfile: path.join(context, 'Dockerfile'),
      targets: [
        { name: 'deep', stage: 'deep' },
        { name: 'fine', stage: 'fine' }
      ],
      platforms: [],
      buildArgs: [],
      network: 'none',
      builder: undefined,
      cache: { type: 'none' },
      cacheExport: false,
      commentKey: KEY,
      secrets: [],
      files: true
    };
    const tmpDir = await mkdtemp(path.join(work, 'side-'));
    const [deep, fine] = await buildSide({ exec, log, tmpDir, env: containerdEnv }, request);
    const layers = await savedLayerDigests(DEEP, containerdEnv);

    const deepResult = deep?.results[0]?.result;
    expect(deepResult?.state).toBe('failed');
    expect(deepResult?.state === 'failed' ? deepResult.error : '').toMatch(
      new RegExp(
        `^measurement failed: deep: measurement stopped at layer ${layers[0]}: an entry's path is 1501 directory levels deep, ` +
          `more than the 1024 accepted \\(it starts "a/a/a/`
      )
    );
    expect(layers).toHaveLength(1);

    const fineResult = fine?.results[0]?.result;
    if (fineResult?.state !== 'measured') throw new Error(`expected the fine target measured, got ${JSON.stringify(fineResult)}`);
    expect([...(fineResult.image.files?.final.keys() ?? [])]).toEqual([`${'a/'.repeat(1000)}f`]);
    expect(warnings).toEqual([]);
  }, 180_000);
});
