// The classic image store path, end to end: a second dockerd without the containerd snapshotter
// (`scripts/engine.sh ensure-classic`), where buildx's `docker` driver can only load images. The same
// Dockerfile is built on both engines: the containerd one measured from its OCI layout
// (measureOciLayout), the classic one through buildSide (load under a temporary tag, `docker save`
// streamed into the measurer, tag removed). Checked against an independent reading: `docker save`
// piped to the system's `tar -x`, the legacy manifest.json read with JSON.parse, each layer counted
// by `wc -c`. No engine, no test: beforeAll throws and every test fails, none is skipped.
import { jest } from '@jest/globals';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { exec, type Exec } from '../../src/exec.js';
import { measureOciLayout } from '../../src/image/measure.js';
import { InputError } from '../../src/inputs/errors.js';
import type { Log } from '../../src/log.js';
import type { ImageStats, SideResult } from '../../src/model.js';
import { measureGivenImages } from '../../src/pipeline/given-images.js';
import { buildAndReadClassic } from '../support/independent.js';
import { buildSide, type SideDeps, type SideRequest, type StreamExec } from '../../src/pipeline/side.js';

jest.setTimeout(5 * 60_000);

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SECRET = 's3cr3t-e2e-value';
/** One key per run: the temporary tags of this run, and only they, start with its repository. */
const KEY = `e2e-classic-${randomBytes(4).toString('hex')}`;

let containerdEnv: NodeJS.ProcessEnv = {};
let classicEnv: NodeJS.ProcessEnv = {};
let work = '';
let context = '';

async function ensure(command: 'ensure' | 'ensure-classic'): Promise<NodeJS.ProcessEnv> {
  const r = await exec('bash', [path.join(ROOT, 'scripts', 'engine.sh'), command], { cwd: ROOT });
  if (r.code !== 0) throw new Error(`scripts/engine.sh ${command} exited ${r.code}: ${r.stderr.trim()}`);
  const host = r.stdout.trim().split('\n').pop() ?? '';
  return { ...process.env, DOCKER_HOST: host };
}

async function driverStatus(env: NodeJS.ProcessEnv): Promise<string> {
  const r = await exec('docker', ['info', '--format', '{{json .DriverStatus}}'], { env });
  if (r.code !== 0) throw new Error(`docker info failed: ${r.stderr.trim()}`);
  return r.stdout;
}

/** Text that compresses the way real files do: neither random nor one repeated byte. */
function textContent(lines: number): string {
  const out: string[] = [];
  for (let i = 0; i < lines; i++) {
    out.push(`${i}\t${createHash('md5').update(String(i)).digest('hex').slice(0, 8 + (i % 9))}\tlorem ipsum dolor sit amet ${i % 97}\n`);
  }
  return out.join('');
}

const DOCKERFILE = `FROM image-budget/busybox:latest AS same
ARG TOKEN
COPY random.bin /data/random.bin
ENV MODE=prod
COPY text.txt /data/text.txt
LABEL org.example.test=classic
COPY small.txt /small.txt

FROM same AS run
ARG TOKEN
RUN echo "$TOKEN" > /token && dd if=/dev/zero of=/zero bs=1024 count=100 2>/dev/null

FROM image-budget/busybox:latest AS broken
RUN ls /does-not-exist
`;

beforeAll(async () => {
  containerdEnv = await ensure('ensure');
  classicEnv = await ensure('ensure-classic');
  if (!(await driverStatus(containerdEnv)).includes('io.containerd.snapshotter')) throw new Error('the first engine does not use the containerd image store');
  if ((await driverStatus(classicEnv)).includes('io.containerd.snapshotter')) throw new Error('the classic engine uses the containerd image store');
  work = await mkdtemp(path.join(os.tmpdir(), 'image-budget-classic-'));
  context = path.join(work, 'context');
  await mkdir(context);
  await writeFile(path.join(context, 'Dockerfile'), DOCKERFILE);
  await writeFile(path.join(context, 'random.bin'), randomBytes(1024 * 1024));
  await writeFile(path.join(context, 'text.txt'), textContent(50_000));
  await writeFile(path.join(context, 'small.txt'), 'small\n');
}, 5 * 60_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

// ── Helpers ──────────────────────────────────────────────────────────────────────────────────────

interface Recorded {
  readonly log: Log;
  readonly warnings: string[];
}

function recordingLog(): Recorded {
  const warnings: string[] = [];
  return { warnings, log: { info: () => undefined, warning: (m) => warnings.push(m), group: (_t, fn) => fn() } };
}

/** The real exec, recording every argv it runs. */
function recordingExec(calls: Array<readonly string[]>): Exec {
  return (file, args, options) => {
    calls.push([file, ...args]);
    return exec(file, args, options);
  };
}

function request(target: string, over: Partial<SideRequest> = {}): SideRequest {
  return {
    side: 'head',
    context,
    dockerfile: path.join(context, 'Dockerfile'),
    targets: [{ name: target, stage: target }],
    platforms: [],
    buildArgs: [['TOKEN', SECRET]],
    network: 'none',
    builder: undefined,
    cache: { type: 'none' },
    cacheExport: false,
    commentKey: KEY,
    secrets: [SECRET],
    measure: 'docker-save',
    ...over
  };
}

async function classicSide(target: string, over: { req?: Partial<SideRequest>; streamExec?: StreamExec } = {}) {
  const calls: Array<readonly string[]> = [];
  const { log, warnings } = recordingLog();
  const tmpDir = await mkdtemp(path.join(work, 'side-'));
  const deps: SideDeps = { exec: recordingExec(calls), log, tmpDir, env: classicEnv, ...(over.streamExec ? { streamExec: over.streamExec } : {}) };
  const results = await buildSide(deps, request(target, over.req));
  return { results, calls, warnings };
}

function measured(result: SideResult | undefined): ImageStats {
  if (result?.state !== 'measured') throw new Error(`expected a measured image, got ${JSON.stringify(result)}`);
  return result.image;
}

/** Tags of this run still in the classic engine. */
async function leftoverTags(): Promise<string[]> {
  const r = await exec('docker', ['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}'], { env: classicEnv });
  if (r.code !== 0) throw new Error(`docker image ls failed: ${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l.startsWith(`image-budget.local/${KEY}`));
}

function sh(script: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('sh', ['-c', script, 'sh', ...args], { env, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${script}: ${stderr || err.message}`)) : resolve(stdout)
    );
  });
}

interface Independent {
  readonly layerSizes: number[];
  readonly layerDigests: string[];
}

/**
 * Builds `target` again on the classic engine with plain buildx (the build cache gives the same
 * layers), then `docker save | tar -x` into a temp dir, manifest.json read with JSON.parse, every
 * layer counted by `wc -c` and digested by `sha256sum`. None of the action's code is used.
 */
async function independentClassic(target: string): Promise<Independent> {
  const tag = `image-budget.local/${KEY}-independent:${target}`;
  const out = await mkdtemp(path.join(work, 'independent-'));
  try {
    await sh(
      'docker buildx build --quiet --network none --build-arg "TOKEN=$3" --target "$1" --output "type=docker,name=$2" "$4" >/dev/null',
      [target, tag, SECRET, context],
      classicEnv
    );
    await sh('docker save "$1" | tar -x -C "$2"', [tag, out], classicEnv);
    const manifest = JSON.parse(await readFile(path.join(out, 'manifest.json'), 'utf8')) as Array<{ Layers: string[] }>;
    const layers = manifest[0]?.Layers ?? [];
    const layerSizes: number[] = [];
    const layerDigests: string[] = [];
    for (const layer of layers) {
      const file = path.join(out, layer);
      layerSizes.push(Number((await sh('wc -c < "$1"', [file], classicEnv)).trim()));
      layerDigests.push(`sha256:${(await sh('sha256sum "$1"', [file], classicEnv)).split(' ')[0] ?? ''}`);
    }
    return { layerSizes, layerDigests };
  } finally {
    await exec('docker', ['image', 'rm', tag], { env: classicEnv });
    await rm(out, { recursive: true, force: true });
  }
}

/** The containerd engine's exact figures, from an OCI layout measured by measureOciLayout. */
async function containerdStats(target: string): Promise<ImageStats> {
  const dest = path.join(work, `oci-${target}`);
  const r = await exec(
    'docker',
    ['buildx', 'build', '--network', 'none', '--build-arg', `TOKEN=${SECRET}`, '--target', target, '--output', `type=oci,dest=${dest},tar=false`, context],
    { env: containerdEnv }
  );
  if (r.code !== 0) throw new Error(`containerd build failed: ${r.stderr.slice(-2000)}`);
  const [image, ...more] = await measureOciLayout(dest, { target, secrets: [SECRET] });
  if (!image || more.length) throw new Error(`expected one image, got ${more.length + (image ? 1 : 0)}`);
  return image;
}

// ── Tests ────────────────────────────────────────────────────────────────────────────────────────

describe('the same Dockerfile on both image stores', () => {
  let classic: ImageStats;
  let exact: ImageStats;
  let calls: Array<readonly string[]>;
  let warnings: string[];

  beforeAll(async () => {
    const side = await classicSide('same');
    calls = side.calls;
    warnings = side.warnings;
    expect(side.results).toHaveLength(1);
    classic = measured(side.results[0]?.results[0]?.result);
    exact = await containerdStats('same');
  });

  test('buildx loads the image under a temporary tag, without cache export, then the tag is removed', async () => {
    const build = calls.find((c) => c[1] === 'buildx');
    const output = build?.[build.indexOf('--output') + 1] ?? '';
    expect(output).toMatch(new RegExp(`^type=docker,name=image-budget\\.local/${KEY}-head-same:[0-9a-f]{12}$`));
    expect(build).not.toContain('--cache-to');
    const tag = output.slice('type=docker,name='.length);
    expect(calls.filter((c) => c[1] !== 'buildx')).toEqual([['docker', 'image', 'rm', tag]]);
    expect(await leftoverTags()).toEqual([]);
    expect(warnings).toEqual([]);
  });

  test('the classic path is marked: docker-save, compressed sizes estimated; the OCI path is exact', () => {
    expect(classic).toMatchObject({ target: 'same', platform: exact.platform, method: 'docker-save', compressedEstimated: true });
    expect(exact.method).toBe('oci-layout');
    expect(exact.compressedEstimated).toBeUndefined();
  });

  test('uncompressed bytes and layer count: equal across methods and to the independent reading', async () => {
    const independent = await independentClassic('same');
    expect(classic.layerCount).toBe(independent.layerSizes.length);
    expect(classic.layers.map((l) => l.uncompressedBytes)).toEqual(independent.layerSizes);
    expect(classic.layers.map((l) => l.digest)).toEqual(independent.layerDigests);
    expect(classic.uncompressedBytes).toBe(independent.layerSizes.reduce((a, b) => a + b, 0));
    expect(exact.layerCount).toBe(classic.layerCount);
    expect(exact.layers.map((l) => l.uncompressedBytes)).toEqual(classic.layers.map((l) => l.uncompressedBytes));
    expect(exact.uncompressedBytes).toBe(classic.uncompressedBytes);
    expect(classic.layers.map((l) => l.instruction)).toEqual(exact.layers.map((l) => l.instruction));
  });

  test('the compressed estimate is within 10% of the containerd store exact figure', () => {
    const ratio = classic.compressedBytes / exact.compressedBytes;
    expect(ratio).toBeGreaterThanOrEqual(0.9);
    expect(ratio).toBeLessThanOrEqual(1.1);
    // Layer by layer too, for the layers big enough that gzip's framing does not dominate.
    for (const [i, layer] of classic.layers.entries()) {
      const other = exact.layers[i]?.compressedBytes ?? 0;
      if (other < 10_000) continue;
      expect(Math.abs(layer.compressedBytes - other) / other).toBeLessThanOrEqual(0.1);
    }
    // The text layer compresses, the random one does not: the estimate follows the content.
    const text = classic.layers.find((l) => l.instruction.includes('text.txt'));
    const random = classic.layers.find((l) => l.instruction.includes('random.bin'));
    expect(text && text.compressedBytes / text.uncompressedBytes).toBeLessThan(0.6);
    expect(random && random.compressedBytes / random.uncompressedBytes).toBeGreaterThan(0.99);
  });
});

describe('a RUN with a secret build-arg on the classic store', () => {
  test('numbers equal the independent reading; the secret never appears', async () => {
    const { results, warnings } = await classicSide('run');
    const image = measured(results[0]?.results[0]?.result);
    const independent = await independentClassic('run');
    expect(image.layers.map((l) => l.uncompressedBytes)).toEqual(independent.layerSizes);
    expect(image.layerCount).toBe(independent.layerSizes.length);
    expect(image.layers.at(-1)?.instruction).toMatch(/^RUN \|1 TOKEN=\*\*\* \/bin\/sh -c echo/);
    expect(JSON.stringify(image)).not.toContain(SECRET);
    expect(warnings.join('\n')).not.toContain(SECRET);
    expect(await leftoverTags()).toEqual([]);
  });
});

describe('the temporary tag goes whatever happens', () => {
  test('a failed build: a failed result, nothing left, no warning about the tag that never was', async () => {
    const { results, calls, warnings } = await classicSide('broken');
    const result = results[0]?.results[0]?.result;
    expect(result?.state).toBe('failed');
    expect(result?.state === 'failed' && result.error).toContain('/does-not-exist');
    expect(calls.at(-1)?.slice(0, 3)).toEqual(['docker', 'image', 'rm']);
    expect(warnings.filter((w) => w.includes('temporary image'))).toEqual([]);
    expect(await leftoverTags()).toEqual([]);
  });

  test('a failed measurement: a failed result, and the loaded image removed all the same', async () => {
    // docker save stands in for one that writes no tar: the image itself was really loaded.
    const stream: StreamExec = () => ({
      stdout: Readable.from([Buffer.from('this is not a tar stream '.repeat(100))]),
      done: Promise.resolve({ code: 0, stderr: '' }),
      kill: () => undefined
    });
    const { results, calls } = await classicSide('same', { streamExec: stream });
    const result = results[0]?.results[0]?.result;
    expect(result?.state === 'failed' && result.error).toMatch(/^measurement failed: not a tar archive/);
    const build = calls.find((c) => c[1] === 'buildx');
    const tag = (build?.[build.indexOf('--output') + 1] ?? '').slice('type=docker,name='.length);
    expect(calls.at(-1)).toEqual(['docker', 'image', 'rm', tag]);
    expect(await leftoverTags()).toEqual([]);
  });

  test('several platforms on the classic store: refused before any build (RELIABILITY row 18)', async () => {
    const calls: Array<readonly string[]> = [];
    const tmpDir = await mkdtemp(path.join(work, 'side-'));
    await expect(
      buildSide({ exec: recordingExec(calls), log: recordingLog().log, tmpDir, env: classicEnv }, request('same', { platforms: ['linux/amd64', 'linux/386'] }))
    ).rejects.toThrow(InputError);
    expect(calls).toEqual([]);
  });
});

describe('images: an image loaded into the classic store by an earlier step, measured without a build', () => {
  test('docker save streamed as the classic path measures; numbers equal the independent reading', async () => {
    const tag = `image-budget.local/${KEY}-given:same`;
    const built = await exec('docker', ['buildx', 'build', '--quiet', '--network', 'none', '--target', 'same', '--output', `type=docker,name=${tag}`, '--', context], { env: classicEnv });
    expect(built.code).toBe(0);
    try {
      const warnings: string[] = [];
      const log = { info: () => undefined, warning: (m: string) => warnings.push(m), group: <T>(_t: string, fn: () => Promise<T>) => fn() };
      const [given] = await measureGivenImages(
        { exec, log, tmpDir: work, env: classicEnv },
        { images: new Map([['same', tag]]), platforms: [], secrets: [], files: false }
      );
      const result = given?.results[0]?.result;
      expect(result?.state).toBe('measured');
      const image = result?.state === 'measured' ? result.image : undefined;
      expect(image?.method).toBe('docker-save');
      expect(image?.compressedEstimated).toBe(true);
      const independent = await buildAndReadClassic(context, 'same', classicEnv);
      expect(image?.uncompressedBytes).toBe(independent.uncompressedBytes);
      expect(image?.layers.map((l) => l.uncompressedBytes)).toEqual(independent.layerSizes);
      expect(warnings).toEqual([]);
    } finally {
      await exec('docker', ['image', 'rm', tag], { env: classicEnv });
    }
  });
});
