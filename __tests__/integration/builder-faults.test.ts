// What the builder's faults cost, at the process boundary: a stand-in `docker` program (a shell script
// first on PATH) that records its argv and replays recorded docker and buildx output (see
// __tests__/fixtures/buildx/README.md), and writes a real OCI layout when a build succeeds, which the
// real measurer then reads. No Docker engine.
// - RELIABILITY row 9: buildx missing, docker missing, the daemon down: the probe fails fast, saying why.
// - Rows 11, 12, 14: a cache export that fails is a warning and the image is still measured; a
//   BuildKit that fails the build on it gets a build without cache; a read-only cache token gets no --cache-to.
// - Row 17: a registry's pull limit or 5xx during FROM is retried twice with growing waits, then
//   fails as a "transient registry error"; other failures are not retried.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { EngineError, probeBuilder } from '../../src/buildx/probe.js';
import { exec as realExec } from '../../src/exec.js';
import type { Log } from '../../src/log.js';
import type { CacheSpec, SideResult } from '../../src/model.js';
import { SharedLayers } from '../../src/image/shared-layers.js';
import { ExportRoom, ROOM_LIMITS } from '../../src/pipeline/export-room.js';
import { buildSide, type SideDeps, type SideRequest } from '../../src/pipeline/side.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/buildx/', import.meta.url));
const fixturePath = (name: string): string => path.join(FIXTURES, name);

const temps: string[] = [];
afterAll(async () => {
  await Promise.all(temps.map((d) => rm(d, { recursive: true, force: true })));
});
async function temp(prefix: string): Promise<string> {
  const d = await mkdtemp(path.join(os.tmpdir(), prefix));
  temps.push(d);
  return d;
}

/** Shell-quoted, for a path inside the stand-in script. */
const sh = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

interface FakeDocker {
  readonly env: NodeJS.ProcessEnv;
  /** The argv of every call, in order. */
  argvs(): Promise<string[][]>;
}

/**
 * A `docker` stand-in: records its argv, then runs `body` (POSIX sh) with `$dest` set to where
 * `--output type=oci,dest=…` writes and `$builds` to how many `buildx build` calls came before.
 */
async function fakeDocker(body: string, env: NodeJS.ProcessEnv = {}): Promise<FakeDocker> {
  const dir = await temp('ib-builder-faults-');
  const bin = path.join(dir, 'bin');
  const record = path.join(dir, 'record');
  await mkdir(bin);
  await mkdir(record);
  const script = `#!/bin/sh
printf '%s\\0' "$@" >> ${sh(record)}/argv
printf '\\0--end--\\0' >> ${sh(record)}/argv
dest=''
out=''
prev=''
for a in "$@"; do
  if [ "$prev" = "--output" ]; then out=$a; dest=$(printf '%s' "$a" | sed -n 's/.*dest=\\([^,]*\\).*/\\1/p'); fi
  prev=$a
done
builds=0
if [ "$1 $2" = "buildx build" ]; then
  builds=$(ls ${sh(record)} | grep -c '^build-')
  touch ${sh(record)}/build-$builds
fi
${body}
`;
  await writeFile(path.join(bin, 'docker'), script);
  await chmod(path.join(bin, 'docker'), 0o755);
  return {
    env: { PATH: `${bin}:/usr/bin:/bin`, ...env },
    argvs: async () => {
      const text = await readFile(path.join(record, 'argv'), 'utf8').catch(() => '');
      return text
        .split('\0--end--\0')
        .filter((r) => r !== '')
        .map((r) => r.split('\0').slice(0, -1));
    }
  };
}

describe('the probe fails fast when docker cannot build (row 9)', () => {
  test.each([
    ['docker CLI 28', 'buildx-missing-cli28.stderr.txt', 'docker: unknown command: docker buildx'],
    ['docker CLI 23', 'buildx-missing-cli23.stderr.txt', "docker: 'buildx' is not a docker command."]
  ])('buildx not installed (%s): "Docker buildx is required", docker\'s own words and setup-buildx-action; nothing else run', async (_name, stderr, said) => {
    const fake = await fakeDocker(`cat ${sh(fixturePath(stderr))} >&2; exit 1`);
    const error = await probeBuilder(realExec, undefined, fake.env).then(
      () => undefined,
      (e: unknown) => e
    );
    expect(error).toBeInstanceOf(EngineError);
    expect((error as Error).message).toBe(
      `Docker buildx is required but \`docker buildx version\` failed: ${said}. ` +
        'Install Docker with the buildx plugin, or see docker/setup-buildx-action (add it before this step).'
    );
    // The three probes are asked at once; nothing else is run.
    expect((await fake.argvs()).map((a) => a.join(' ')).sort()).toEqual(['buildx inspect', 'buildx version', 'info --format {{json .DriverStatus}}']);
  });

  test('docker not installed at all: the same advice, and why docker could not be run', async () => {
    const empty = await temp('ib-no-docker-');
    await expect(probeBuilder(realExec, undefined, { PATH: empty })).rejects.toThrow(
      /^Docker buildx is required but docker could not be run: docker: command not found\. .*docker\/setup-buildx-action/
    );
  });

  test("daemon down, seen by buildx inspect (exit 0, the error in its output): the daemon's error in the message", async () => {
    const fake = await fakeDocker(`
case "$2" in
  version) cat ${sh(fixturePath('version.txt'))} ;;
  inspect) cat ${sh(fixturePath('inspect-daemon-down.txt'))} ;;
  *) echo "unexpected call" >&2; exit 9 ;;
esac`);
    await expect(probeBuilder(realExec, undefined, fake.env)).rejects.toThrow(
      new EngineError('The Docker daemon is not reachable: Cannot connect to the Docker daemon at unix:///nonexistent.sock. Is the docker daemon running?')
    );
    expect((await fake.argvs()).map((a) => a.slice(0, 2).join(' ')).sort()).toEqual(['buildx inspect', 'buildx version', 'info --format']);
  });

  test("daemon down, seen by docker info (exit 1): its last stderr line is the message's end", async () => {
    const fake = await fakeDocker(`
case "$1 $2" in
  "buildx version") cat ${sh(fixturePath('version.txt'))} ;;
  "buildx inspect") cat ${sh(fixturePath('inspect-docker-containerd.txt'))} ;;
  info*) echo 'WARNING: a line before the error' >&2; cat ${sh(fixturePath('info-daemon-down.stderr.txt'))} >&2; exit 1 ;;
esac`);
    await expect(probeBuilder(realExec, undefined, fake.env)).rejects.toThrow(
      new EngineError('The Docker daemon is not reachable: Cannot connect to the Docker daemon at unix:///nonexistent/docker.sock. Is the docker daemon running?')
    );
  });
});

// ---- builds ----

interface Layout {
  readonly dir: string;
  readonly manifestDigest: string;
  readonly layerBytes: number;
}

/** A one-layer OCI image layout, as `buildx build --output type=oci,tar=false` writes one. */
/** A layout of one image of one layer: app.txt, 5000 x's unless `content` is given. */
async function makeLayout(content: Buffer | string = 'x'.repeat(5000)): Promise<Layout> {
  const root = await temp('ib-layout-');
  const files = path.join(root, 'files');
  await mkdir(files);
  await writeFile(path.join(files, 'app.txt'), content);
  const { stdout } = await promisify(execFile)('tar', ['-cf', '-', '-C', files, 'app.txt'], { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 });
  const tar = stdout as Buffer;
  const layer = gzipSync(tar);
  const dir = path.join(root, 'layout');
  await mkdir(path.join(dir, 'blobs', 'sha256'), { recursive: true });
  const put = async (data: Buffer | string): Promise<{ digest: string; size: number }> => {
    const bytes = Buffer.from(data);
    const hex = createHash('sha256').update(bytes).digest('hex');
    await writeFile(path.join(dir, 'blobs', 'sha256', hex), bytes);
    return { digest: `sha256:${hex}`, size: bytes.length };
  };
  const layerBlob = await put(layer);
  const diffId = `sha256:${createHash('sha256').update(tar).digest('hex')}`;
  const config = await put(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: {},
      rootfs: { type: 'layers', diff_ids: [diffId] },
      history: [{ created_by: 'COPY app.txt /app.txt # buildkit' }]
    })
  );
  const manifest = await put(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layerBlob }]
    })
  );
  await writeFile(
    path.join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, platform: { architecture: 'amd64', os: 'linux' } }]
    })
  );
  await writeFile(path.join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  return { dir, manifestDigest: manifest.digest, layerBytes: layerBlob.size };
}

/**
 * Sh that ends a build that worked: the log to stderr (as buildx writes it), the layout as a tar to
 * $dest (`-`, the export pipe, as buildx streams it), or copied into the directory $dest (`tar=false`).
 */
const succeed = (layout: Layout, log = 'build-ok.log'): string =>
  `cat ${sh(fixturePath(log))} >&2; case "$out" in *tar=false*) mkdir -p "$dest" && cp -R ${sh(layout.dir)}/. "$dest";; ` +
  `*) tar -cf "$dest" -C ${sh(layout.dir)} oci-layout index.json blobs;; esac; exit 0`;
const fail = (log: string): string => `cat ${sh(fixturePath(log))} >&2; exit 1`;

function recordingLog(): Log & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, info: () => undefined, warning: (m) => warnings.push(m), group: (_t, fn) => fn() };
}

async function side(
  fake: FakeDocker,
  options: {
    cache?: CacheSpec;
    sleep?: (ms: number) => Promise<void>;
    delays?: readonly number[];
    side?: 'head' | 'base';
    /** Free bytes the export room reads: none (a stream) unless given. */
    free?: number;
    /** The export room itself, instead of one reading `free`. */
    room?: ExportRoom;
    /** The run's shared layers, as a run of more than one image has. */
    layers?: SharedLayers;
  } = {}
): Promise<{ results: SideResult[]; warnings: string[]; builds: string[][] }> {
  const context = await temp('ib-context-');
  await writeFile(path.join(context, 'Dockerfile'), 'FROM image-budget/busybox AS release\n');
  const log = recordingLog();
  const deps: SideDeps = {
    exec: realExec,
    log,
    tmpDir: await temp('ib-side-'),
    env: fake.env,
    exports: options.room ?? new ExportRoom(async () => options.free ?? 0),
    ...(options.layers ? { layers: options.layers } : {}),
    ...(options.sleep ? { sleep: options.sleep } : {}),
    ...(options.delays ? { registryRetryDelaysMs: options.delays } : {})
  };
  const req: SideRequest = {
    side: options.side ?? 'head',
    context,
    dockerfile: path.join(context, 'Dockerfile'),
    targets: [{ name: 'release', stage: 'release' }],
    platforms: [],
    buildArgs: [],
    network: 'none',
    builder: undefined,
    cache: options.cache ?? { type: 'gha' },
    cacheExport: true,
    commentKey: 'image-budget',
    secrets: [],
    measure: 'oci-layout'
  };
  const [target] = await buildSide(deps, req);
  const builds = (await fake.argvs()).filter((a) => a[0] === 'buildx' && a[1] === 'build');
  return { results: target!.results.map((r) => r.result), warnings: log.warnings, builds };
}

const measuredDigest = (r: SideResult | undefined): string | undefined => (r?.state === 'measured' ? r.image.digest : undefined);
const flagValues = (argv: readonly string[], flag: string): string[] => argv.flatMap((a, i) => (argv[i - 1] === flag ? [a] : []));

describe('a gha cache export that fails is a warning; the image still counts (rows 11, 12, 14)', () => {
  let layout: Layout;
  beforeAll(async () => {
    layout = await makeLayout();
  });

  test.each([
    ['a refused reservation (recorded; also what a read-only token gets from BuildKit ≥ 0.20)', 'build-gha-export-reserve-failed.log', /^cache \(head release\): error writing layer blob: failed to reserve cache$/],
    ['the cache service answering 500 (recorded)', 'build-gha-service-error.log', /^cache \(head release\): unknown error 500 Internal Server Error/]
  ])('%s: one build, measured, and a warning', async (_name, log, warning) => {
    const fake = await fakeDocker(succeed(layout, log));
    const { results, warnings, builds } = await side(fake);
    expect(results).toHaveLength(1);
    expect(measuredDigest(results[0])).toBe(layout.manifestDigest);
    expect(results[0]?.state === 'measured' && results[0].image.layers.map((l) => l.compressedBytes)).toEqual([layout.layerBytes]);
    expect(warnings).toEqual([expect.stringMatching(warning)]);
    expect(builds).toHaveLength(1);
    expect(flagValues(builds[0]!, '--cache-to')).toEqual([expect.stringMatching(/^type=gha,scope=.*,ignore-error=true$/)]);
  });

  test('the legacy cache service (recorded): the warning says BuildKit ≥ 0.20 / Buildx ≥ 0.21 are needed', async () => {
    const fake = await fakeDocker(succeed(layout, 'build-gha-legacy-service.log'));
    const { results, warnings } = await side(fake);
    expect(measuredDigest(results[0])).toBe(layout.manifestDigest);
    expect(warnings).toEqual([
      expect.stringMatching(/^cache \(head release\): This legacy service is shutting down.*gha-cache-sunset \(GitHub's new cache service needs BuildKit ≥ 0\.20 \/ Buildx ≥ 0\.21: /)
    ]);
  });

  test.each([
    ['Cache already exists (BuildKit 0.9)', 'build-gha-export-already-exists-buildkit09.log', /Cache already exists\. Scope: refs\/heads\/master/],
    ['a 429 from the cache service (BuildKit 0.9)', 'build-gha-export-429-buildkit09.log', /failed to parse error response 429: .*RequestBlockedException/],
    ['the export timing out', 'build-gha-export-timeout.log', /maximum timeout reached/]
  ])('a BuildKit that fails the build on the export, %s: built again without cache, measured, warned', async (_name, log, cause) => {
    const fake = await fakeDocker(`case " $* " in *" --cache-to "*) ${fail(log)} ;; esac\n${succeed(layout)}`);
    const { results, warnings, builds } = await side(fake);
    expect(measuredDigest(results[0])).toBe(layout.manifestDigest);
    expect(builds).toHaveLength(2);
    expect(builds[0]).toContain('--cache-to');
    expect(builds[1]).not.toContain('--cache-to');
    expect(builds[1]).not.toContain('--cache-from');
    expect(warnings).toEqual([expect.stringMatching(/^cache: .*; building release again without cache\.$/)]);
    expect(warnings[0]).toMatch(cause);
  });

  test('the legacy cache service failing the build: built again without cache, and the warning carries the version hint', async () => {
    const failing = `cat ${sh(fixturePath('build-gha-legacy-service.log'))} >&2; echo 'ERROR: failed to solve: This legacy service is shutting down, effective April 15, 2025. Migrate to the new service ASAP. For more information: https://gh.io/gha-cache-sunset' >&2; exit 1`;
    const fake = await fakeDocker(`case " $* " in *" --cache-to "*) ${failing} ;; esac\n${succeed(layout)}`);
    const { results, warnings, builds } = await side(fake);
    expect(measuredDigest(results[0])).toBe(layout.manifestDigest);
    expect(builds).toHaveLength(2);
    expect(warnings).toEqual([
      expect.stringMatching(/^cache: failed to solve: This legacy service is shutting down.* \(GitHub's new cache service needs BuildKit ≥ 0\.20 \/ Buildx ≥ 0\.21: .*\); building release again without cache\.$/)
    ]);
  });

  test('a build failed by an export error of any wording (the error is the cache step\'s): built again without cache', async () => {
    // build-gha-service-error.log as a BuildKit that does not know ignore-error ends it.
    const failing = `cat ${sh(fixturePath('build-gha-service-error.log'))} >&2; echo 'ERROR: failed to solve: unknown error 500 Internal Server Error: {"code":"internal","msg":"injected failure"}' >&2; exit 1`;
    const fake = await fakeDocker(`case " $* " in *" --cache-to "*) ${failing} ;; esac\n${succeed(layout)}`);
    const { results, warnings, builds } = await side(fake);
    expect(measuredDigest(results[0])).toBe(layout.manifestDigest);
    expect(builds).toHaveLength(2);
    expect(builds[1]).not.toContain('--cache-to');
    expect(warnings).toEqual([
      'cache: failed to solve: unknown error 500 Internal Server Error: {"code":"internal","msg":"injected failure"}; building release again without cache.'
    ]);
  });

  test('a read-only cache token (ACTIONS_CACHE_MODE=read): the cache is read, no --cache-to, one warning for the run', async () => {
    const fake = await fakeDocker(succeed(layout), { ACTIONS_CACHE_MODE: 'read' });
    const head = await side(fake);
    expect(measuredDigest(head.results[0])).toBe(layout.manifestDigest);
    expect(head.builds).toHaveLength(1);
    expect(flagValues(head.builds[0]!, '--cache-from')).toHaveLength(2);
    expect(head.builds[0]).not.toContain('--cache-to');
    expect(head.warnings).toEqual([expect.stringMatching(/^cache: this job's token may only read the Actions cache \(ACTIONS_CACHE_MODE=read\): the cache is read, not written/)]);
    // The base side is built with the same token: not said twice.
    const base = await side(await fakeDocker(succeed(layout), { ACTIONS_CACHE_MODE: 'read' }), { side: 'base' });
    expect(base.builds[0]).not.toContain('--cache-to');
    expect(base.warnings).toEqual([]);
  });

  test('no cache access at all (ACTIONS_CACHE_MODE=none): built without cache, warned', async () => {
    const fake = await fakeDocker(succeed(layout), { ACTIONS_CACHE_MODE: 'none' });
    const { results, warnings, builds } = await side(fake);
    expect(measuredDigest(results[0])).toBe(layout.manifestDigest);
    expect(builds[0]!.filter((a) => a.startsWith('--cache'))).toEqual([]);
    expect(warnings).toEqual([expect.stringMatching(/may not use the Actions cache \(ACTIONS_CACHE_MODE=none\): building without cache/)]);
  });

  test('ACTIONS_CACHE_MODE only concerns the Actions cache: a local cache is still written', async () => {
    const fake = await fakeDocker(succeed(layout), { ACTIONS_CACHE_MODE: 'read' });
    const cacheDir = await temp('ib-local-cache-');
    const { builds, warnings } = await side(fake, { cache: { type: 'local', dir: cacheDir } });
    expect(flagValues(builds[0]!, '--cache-to')).toHaveLength(1);
    expect(warnings).toEqual([]);
  });
});

describe('a registry limiting pulls or failing during FROM: two retries with growing waits (row 17)', () => {
  let layout: Layout;
  beforeAll(async () => {
    layout = await makeLayout();
  });
  const recordSleep = (): { sleep: (ms: number) => Promise<void>; waits: number[] } => {
    const waits: number[] = [];
    return { waits, sleep: async (ms) => void waits.push(ms) };
  };

  test.each([
    ['toomanyrequests (manifest GET)', 'build-from-toomanyrequests.log'],
    ['429 (manifest HEAD)', 'build-from-429-head.log'],
    ['500', 'build-from-500.log'],
    ['503', 'build-from-503.log']
  ])('a pull limit or 5xx twice, then the registry answers: three builds, waits of 10 s then 30 s, measured: %s', async (_name, log) => {
    const fake = await fakeDocker(`if [ "$builds" -lt 2 ]; then ${fail(log)}; fi\n${succeed(layout)}`);
    const clock = recordSleep();
    const { results, warnings, builds } = await side(fake, { sleep: clock.sleep });
    expect(measuredDigest(results[0])).toBe(layout.manifestDigest);
    expect(builds).toHaveLength(3);
    expect(builds[2]).toEqual(builds[0]);
    expect(clock.waits).toEqual([10_000, 30_000]);
    expect(warnings).toEqual([
      expect.stringMatching(/^head build of release: transient registry error; building again in 10s \(retry 1 of 2\): failed to solve: 127\.0\.0\.1:\d+\/library\/busybox:1\.36: failed to resolve source metadata/),
      expect.stringMatching(/^head build of release: transient registry error; building again in 30s \(retry 2 of 2\): /)
    ]);
  });

  test('a registry that keeps refusing: three builds, then a failure classified as a transient registry error', async () => {
    const fake = await fakeDocker(fail('build-from-toomanyrequests.log'));
    const clock = recordSleep();
    const { results, warnings, builds } = await side(fake, { sleep: clock.sleep });
    expect(builds).toHaveLength(3);
    expect(clock.waits).toEqual([10_000, 30_000]);
    expect(results).toHaveLength(1);
    const failed = results[0]!;
    expect(failed.state).toBe('failed');
    const error = failed.state === 'failed' ? failed.error : '';
    // The failing step's output for the comment, then the classification as the last line (the verdict's reason).
    expect(error).toContain('429 Too Many Requests - Server message: toomanyrequests');
    expect(error.split('\n').pop()).toBe(
      'transient registry error: the registry refused or failed every one of 3 attempts (rate limit or 5xx); ' +
        're-run the job later, or log in to the registry (docker/login-action) for a higher pull limit.'
    );
    expect(warnings.pop()).toMatch(/^head build of release failed: transient registry error \(3 attempts\): failed to solve: .*toomanyrequests/);
  });

  test('the waits are real waits by default, and as long as configured', async () => {
    const fake = await fakeDocker(`if [ "$builds" -lt 1 ]; then ${fail('build-from-503.log')}; fi\n${succeed(layout)}`);
    const started = Date.now();
    const { results, builds } = await side(fake, { delays: [300] });
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(builds).toHaveLength(2);
    expect(measuredDigest(results[0])).toBe(layout.manifestDigest);
  });

  test.each([
    ['an image that does not exist', 'build-from-not-found.log', /not found$/],
    ['a failing RUN step', 'build-failed-run.log', /did not complete successfully: exit code: 1$/]
  ])('not retried: %s', async (_name, log, last) => {
    const fake = await fakeDocker(fail(log));
    const clock = recordSleep();
    const { results, warnings, builds } = await side(fake, { sleep: clock.sleep, cache: { type: 'none' } });
    expect(builds).toHaveLength(1);
    expect(clock.waits).toEqual([]);
    expect(results[0]?.state).toBe('failed');
    expect(warnings).toEqual([expect.stringMatching(last)]);
    expect(warnings[0]).not.toMatch(/transient/);
  });
});

describe('where the image is exported: a directory when the disk has room, else the stream', () => {
  let layout: Layout;
  beforeAll(async () => {
    layout = await makeLayout();
  });
  const outputOf = (argv: readonly string[]): string => flagValues(argv, '--output')[0] ?? '';

  test('room for a directory: exported with tar=false into the run temp folder, measured there, the same numbers', async () => {
    const fake = await fakeDocker(succeed(layout));
    const { results, warnings, builds } = await side(fake, { free: ROOM_LIMITS.startFree, cache: { type: 'none' } });
    expect(builds).toHaveLength(1);
    expect(outputOf(builds[0]!)).toMatch(/^type=oci,dest=\/.*\/head-0\/layout,tar=false$/);
    expect(measuredDigest(results[0])).toBe(layout.manifestDigest);
    expect(results[0]?.state === 'measured' && results[0].image.layers.map((l) => l.compressedBytes)).toEqual([layout.layerBytes]);
    expect(warnings).toEqual([]);
  });

  test('a folder export is measured as buildx writes it: the layer read from ingest/, not from the finished file', async () => {
    // As buildx's content store writes it: the layer into ingest/<id>/data beside its ref and total,
    // a part at a time, then renamed into blobs/sha256/. The finished file is then spoiled (zeros of
    // the same size): only a measurement made while it was written can still be right.
    const manifest = JSON.parse(await readFile(path.join(layout.dir, 'blobs', 'sha256', layout.manifestDigest.slice(7)), 'utf8')) as {
      layers: Array<{ digest: string; size: number }>;
    };
    const hex = manifest.layers[0]!.digest.slice(7);
    const blob = sh(path.join(layout.dir, 'blobs', 'sha256', hex));
    const fake = await fakeDocker(`
cat ${sh(fixturePath('build-ok.log'))} >&2
mkdir -p "$dest/ingest/1" "$dest/blobs/sha256"
printf 'layer-sha256:${hex}' > "$dest/ingest/1/ref"; printf '${layout.layerBytes}' > "$dest/ingest/1/total"
head -c 20 ${blob} > "$dest/ingest/1/data"; sleep 0.3
tail -c +21 ${blob} >> "$dest/ingest/1/data"; sleep 0.1
mv "$dest/ingest/1/data" "$dest/blobs/sha256/${hex}"; rm -r "$dest/ingest/1"
for f in ${sh(layout.dir)}/blobs/sha256/*; do [ "$(basename "$f")" = ${hex} ] || cp "$f" "$dest/blobs/sha256/"; done
cp ${sh(layout.dir)}/index.json ${sh(layout.dir)}/oci-layout "$dest/"
head -c ${layout.layerBytes} /dev/zero > "$dest/blobs/sha256/${hex}"
exit 0`);
    const { results, builds } = await side(fake, { free: ROOM_LIMITS.startFree, cache: { type: 'none' } });
    expect(outputOf(builds[0]!)).toMatch(/tar=false$/);
    expect(measuredDigest(results[0])).toBe(layout.manifestDigest);
    expect(results[0]?.state === 'measured' && results[0].image.uncompressedBytes).toBeGreaterThan(5000);
  });

  test('short of room: streamed (dest=-), the same numbers', async () => {
    const fake = await fakeDocker(succeed(layout));
    const { results, builds } = await side(fake, { free: ROOM_LIMITS.startFree - 1, cache: { type: 'none' } });
    expect(builds.map(outputOf)).toEqual(['type=oci,dest=-']);
    expect(measuredDigest(results[0])).toBe(layout.manifestDigest);
  });

  test('a directory export that fills the disk (recorded) is built again as a stream, and measured', async () => {
    const fake = await fakeDocker(`if [ "$builds" -lt 1 ]; then ${fail('build-export-dir-no-space.log')}; fi\n${succeed(layout)}`);
    const { results, warnings, builds } = await side(fake, { free: ROOM_LIMITS.startFree, cache: { type: 'none' } });
    expect(builds.map(outputOf)).toEqual([expect.stringMatching(/tar=false$/), 'type=oci,dest=-']);
    expect(measuredDigest(results[0])).toBe(layout.manifestDigest);
    expect(warnings).toEqual([]);
  });

  test('a directory export stopped because the disk runs short while it writes its folder is built again as a stream, and measured', async () => {
    // The first build writes part of the layer (more than the follower's first look takes) into its
    // folder's ingest/ and would go on for 30 s; the room reads less free space than it keeps, and
    // the build is stopped (SIGTERM). The run shares its layers: the half-followed layer must not
    // hold the stream that measures it again.
    // Larger than the pipe and the reader's buffers hold, so that the build cannot end while the
    // stream waits (as with a real image).
    const layout = await makeLayout(randomBytes(4_000_000));
    const manifest = JSON.parse(await readFile(path.join(layout.dir, 'blobs', 'sha256', layout.manifestDigest.slice(7)), 'utf8')) as {
      layers: Array<{ digest: string }>;
    };
    const hex = manifest.layers[0]!.digest.slice(7);
    expect(layout.layerBytes).toBeGreaterThan(3_000_000);
    const fake = await fakeDocker(`if [ "$builds" -lt 1 ]; then
cat ${sh(fixturePath('build-ok.log'))} >&2
mkdir -p "$dest/ingest/1"
printf 'layer-sha256:${hex}' > "$dest/ingest/1/ref"; printf '${layout.layerBytes}' > "$dest/ingest/1/total"
head -c 4000 ${sh(path.join(layout.dir, 'blobs', 'sha256', hex))} > "$dest/ingest/1/data"
exec sleep 30
fi
${succeed(layout)}`);
    // Short of room after about 200 ms: the layer is being followed by then (the follower looks every 20 ms).
    let reads = 0;
    const room = new ExportRoom(async () => (reads++ < 10 ? ROOM_LIMITS.startFree : ROOM_LIMITS.keepFree - 1), { ...ROOM_LIMITS, watchMs: 20 });
    const started = Date.now();
    const { results, warnings, builds } = await side(fake, { room, layers: new SharedLayers(), cache: { type: 'none' } });
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(builds.map(outputOf)).toEqual([expect.stringMatching(/tar=false$/), 'type=oci,dest=-']);
    expect(measuredDigest(results[0])).toBe(layout.manifestDigest);
    expect(warnings).toEqual([]);
  }, 40_000);

  test('short of room, a directory export that is not writing its folder (still solving) is not stopped', async () => {
    const fake = await fakeDocker(`cat ${sh(fixturePath('build-ok.log'))} >&2; sleep 0.3; ${succeed(layout)}`);
    let reads = 0;
    const room = new ExportRoom(async () => (reads++ === 0 ? ROOM_LIMITS.startFree : ROOM_LIMITS.keepFree - 1), { ...ROOM_LIMITS, watchMs: 20 });
    const { results, builds } = await side(fake, { room, cache: { type: 'none' } });
    expect(reads).toBeGreaterThan(3);
    expect(builds.map(outputOf)).toEqual([expect.stringMatching(/tar=false$/)]);
    expect(measuredDigest(results[0])).toBe(layout.manifestDigest);
  });

  test('a stream that fails is not built again', async () => {
    const fake = await fakeDocker(fail('build-export-dir-no-space.log'));
    const { results, builds } = await side(fake, { free: 0, cache: { type: 'none' } });
    expect(builds).toHaveLength(1);
    expect(results[0]?.state).toBe('failed');
  });
});
