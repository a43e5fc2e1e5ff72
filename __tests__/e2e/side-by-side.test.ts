// A side's targets on the real engine (containerd image store, `docker` driver): built side by side,
// each measured from buildx's export stream while it is written (nothing under the run's temp folder
// but the build's metadata), or, when the disk has room, from its export to a layout directory in the
// run's temp folder. Checked, both ways: the builds overlap (the second starts before the first
// ends); a failing target does not cost the others their numbers; each target's log stays in its own
// group, in target order; the temp folder is emptied; and the numbers equal the same image exported
// to a directory by hand and measured there (measureOciLayout), files included, to the byte.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { exec, type Exec } from '../../src/exec.js';
import { LayoutFollower } from '../../src/image/layout-follow.js';
import { measureOciLayout } from '../../src/image/measure.js';
import type { Log } from '../../src/log.js';
import type { ImageStats } from '../../src/model.js';
import { ExportRoom, ROOM_LIMITS } from '../../src/pipeline/export-room.js';
import { buildSide, type SideRequest } from '../../src/pipeline/side.js';
import { ensureEngine } from '../support/engine.js';

let work = '';
let env: NodeJS.ProcessEnv = {};
beforeAll(async () => {
  env = { ...process.env, DOCKER_HOST: ensureEngine() };
  work = await mkdtemp(path.join(os.tmpdir(), 'ib-side-by-side-'));
});
afterAll(() => rm(work, { recursive: true, force: true }));

const DOCKERFILE = `FROM image-budget/busybox AS one
ARG SALT
RUN sleep 2 && echo "$SALT one" > /one && head -c 300000 /dev/urandom > /one.bin
COPY small.txt /small.txt

FROM image-budget/busybox AS two
ARG SALT
RUN sleep 2 && echo "$SALT two" > /two && head -c 500000 /dev/urandom > /two.bin
RUN head -c 1000 /dev/urandom > /two.bin

FROM image-budget/busybox AS broken
RUN exit 3
`;

/** Makes the builds cold; the independent builds reuse them from the engine's cache. */
const SALT = `${process.pid}-${Date.now()}`;

interface Event {
  readonly target: string;
  readonly at: 'start' | 'end';
  /** The build's --output. */
  readonly output?: string;
}

/** `exec`, recording when each `docker buildx build` starts and ends, by its --target. */
function recording(events: Event[]): Exec {
  return async (file, args, options) => {
    const at = args.indexOf('--target');
    const target = args[1] === 'build' && at >= 0 ? (args[at + 1] ?? '') : '';
    if (target) events.push({ target, at: 'start', output: args[args.indexOf('--output') + 1] ?? '' });
    try {
      return await exec(file, args, options);
    } finally {
      if (target) events.push({ target, at: 'end' });
    }
  };
}

/** The head's build of `targets` (stages of the same name) in `context`, with SALT, files listed, no cache. */
function headRequest(context: string, targets: readonly string[]): SideRequest {
  return {
    side: 'head',
    context,
    dockerfile: path.join(context, 'Dockerfile'),
    targets: targets.map((name) => ({ name, stage: name })),
    platforms: [],
    buildArgs: [['SALT', SALT]],
    network: 'none',
    builder: undefined,
    cache: { type: 'none' },
    cacheExport: false,
    commentKey: 'side-by-side',
    secrets: [],
    measure: 'oci-layout',
    files: true
  };
}

describe.each([
  ['the export stream', 'stream', 0],
  ['a layout directory, the disk having room', 'directory', Number.MAX_SAFE_INTEGER]
])('targets built side by side, measured from %s', (_how, kind, free) => {
  let results: Awaited<ReturnType<typeof buildSide>> = [];
  const events: Event[] = [];
  const lines: string[] = [];
  let tmpDir = '';
  const tmpSeen: string[][] = [];

  beforeAll(async () => {
    const context = path.join(work, 'context');
    await mkdir(context, { recursive: true });
    await writeFile(path.join(context, 'Dockerfile'), DOCKERFILE);
    await writeFile(path.join(context, 'small.txt'), 'small\n');
    tmpDir = await mkdtemp(path.join(work, 'tmp-'));
    const log: Log = {
      info: (m) => lines.push(`info ${m}`),
      warning: (m) => lines.push(`warning ${m}`),
      output: (c) => lines.push(`output ${c}`),
      group: async (title, fn) => {
        lines.push(`group ${title}`);
        // What the run's temp folder holds while a target is built and measured.
        tmpSeen.push(await readdir(tmpDir, { recursive: true }));
        try {
          return await fn();
        } finally {
          lines.push('endgroup');
        }
      }
    };
    const request = headRequest(context, ['one', 'two', 'broken']);
    const exports = new ExportRoom(async () => free);
    results = await buildSide({ exec: recording(events), log, tmpDir, env, exports }, request);
  }, 300_000);

  const measured = (target: string): ImageStats => {
    const result = results.find((r) => r.target === target)?.results[0]?.result;
    if (result?.state !== 'measured') throw new Error(`${target}: ${JSON.stringify(result)}`);
    return result.image;
  };

  it('the builds overlap: every build starts before the first one ends', () => {
    const firstEnd = events.findIndex((e) => e.at === 'end');
    expect(events.slice(0, firstEnd).filter((e) => e.at === 'start').map((e) => e.target).sort()).toEqual(['broken', 'one', 'two']);
  });

  it('a failing target is a failed result; the others are measured', () => {
    expect(results.map((r) => r.target)).toEqual(['one', 'two', 'broken']);
    const broken = results[2]?.results[0]?.result;
    expect(broken?.state).toBe('failed');
    expect(broken?.state === 'failed' ? broken.error : '').toMatch(/exit code: 3|did not complete successfully/);
    expect(measured('one').layerCount).toBeGreaterThan(1);
    expect(measured('two').files?.wastedBytes).toBe(500_000);
  });

  it('each log stays in its own group, in target order, with its own build output', () => {
    const groups = lines.filter((l) => l.startsWith('group '));
    expect(groups).toEqual(['group Build head target one', 'group Build head target two', 'group Build head target broken']);
    const inGroup = (title: string): string => {
      const start = lines.indexOf(`group ${title}`);
      return lines.slice(start, lines.indexOf('endgroup', start)).join('');
    };
    // A vertex both builds share (their FROM) is shown under the name of the build that asked first.
    expect(inGroup('Build head target one')).toMatch(/\[one 2\/3\] RUN sleep 2/);
    expect(inGroup('Build head target one')).not.toMatch(/\[two [23]\/3\]/);
    expect(inGroup('Build head target two')).toMatch(/\[two 2\/3\] RUN sleep 2/);
    expect(inGroup('Build head target two')).not.toMatch(/\[one [23]\/3\]/);
    expect(inGroup('Build head target broken')).toMatch(/warning head build of broken failed/);
  });

  it('the export went where the room said; the temp folder is emptied afterwards', async () => {
    const outputs = events.flatMap((e) => (e.at === 'start' ? [e.output] : []));
    expect(outputs).toHaveLength(3);
    for (const o of outputs) expect(o).toMatch(kind === 'stream' ? /^type=oci,dest=-$/ : /^type=oci,dest=\/.*\/head-\d\/layout,tar=false$/);
    // A stream writes nothing but build metadata there.
    if (kind === 'stream') for (const seen of tmpSeen) expect(seen.filter((p) => !/^head-\d(\/metadata\.json)?$/.test(p))).toEqual([]);
    expect(await readdir(tmpDir)).toEqual([]);
  });

  it.each(['one', 'two'])('%s: the same numbers, files included, as its export to a directory measured there', async (target) => {
    const dir = path.join(work, `independent-${kind}-${target}`);
    const args = ['buildx', 'build', '--network', 'none', '--target', target, '--build-arg', `SALT=${SALT}`];
    const built = await exec('docker', [...args, '--output', `type=oci,dest=${dir},tar=false`, '--', path.join(work, 'context')], { env });
    expect(built.stderr).toMatch(/CACHED/);
    expect(built.code).toBe(0);
    const [image] = await measureOciLayout(dir, { target, secrets: [], files: true });
    expect(measured(target)).toEqual(image);
  }, 120_000);
});

describe('a layout folder followed while buildx writes it', () => {
  it('the large layer is seen in ingest/ under its ref, measured on the way, and the numbers are the finished folder’s', async () => {
    const context = path.join(work, 'follow');
    await mkdir(context, { recursive: true });
    await writeFile(path.join(context, 'Dockerfile'), `FROM image-budget/busybox\nARG SALT\nRUN echo "$SALT" > /salt && head -c 24000000 /dev/urandom > /big.bin\n`);
    const dir = path.join(work, 'follow-layout');
    const follower = new LayoutFollower(dir, { target: 'follow', files: true });
    follower.start();
    const built = await exec(
      'docker',
      ['buildx', 'build', '--network', 'none', '--build-arg', `SALT=${SALT}`, '--output', `type=oci,dest=${dir},tar=false`, '--', context],
      { env }
    );
    await follower.end();
    expect(built.code).toBe(0);
    const [image] = await measureOciLayout(dir, { target: 'follow', secrets: [], files: true });
    const big = image!.layers.reduce((a, b) => (b.compressedBytes > a.compressedBytes ? b : a));
    expect(big.compressedBytes).toBeGreaterThan(24_000_000);
    const early = follower.early(big.digest);
    expect(early).toMatchObject({ size: big.compressedBytes, compression: 'gzip' });
    expect((await early!.sizes).uncompressedBytes).toBe(big.uncompressedBytes);
    expect(await measureOciLayout(dir, { target: 'follow', secrets: [], files: true }, follower)).toEqual([image]);
  }, 120_000);
});

describe('a directory export stopped because the disk runs short', () => {
  it('buildx is ended (SIGTERM through docker), the folder removed, the target built again as a stream: the same numbers', async () => {
    const context = path.join(work, 'short');
    await mkdir(context, { recursive: true });
    await writeFile(path.join(context, 'Dockerfile'), `FROM image-budget/busybox AS big\nARG SALT\nRUN echo "$SALT" > /salt && head -c 64000000 /dev/urandom > /big.bin\n`);
    const tmpDir = await mkdtemp(path.join(work, 'tmp-short-'));
    // Room to start; short of it once buildx has begun writing the folder's blobs.
    const writing = async (): Promise<boolean> => (await readdir(tmpDir, { recursive: true })).some((p) => /(^|\/)ingest\//.test(p));
    const room = new ExportRoom(async () => ((await writing()) ? ROOM_LIMITS.keepFree - 1 : ROOM_LIMITS.startFree), { ...ROOM_LIMITS, watchMs: 10 });
    const events: Event[] = [];
    const lines: string[] = [];
    const log: Log = { info: (m) => lines.push(m), warning: (m) => lines.push(`warning ${m}`), group: (_t, fn) => fn() };
    const request = headRequest(context, ['big']);
    const [result] = await buildSide({ exec: recording(events), log, tmpDir, env, exports: room }, request);
    const outputs = events.flatMap((e) => (e.at === 'start' ? [e.output] : []));
    expect(outputs).toEqual([expect.stringMatching(/^type=oci,dest=\/.*\/head-0\/layout,tar=false$/), 'type=oci,dest=-']);
    expect(lines.join('\n')).toMatch(/head build of big: the disk ran short of free space while the image was written to .*; building again/);
    expect(await readdir(tmpDir)).toEqual([]);
    // Nothing of the stopped build goes on: no docker or buildx process names this context any more.
    const commandLines = await Promise.all(
      (await readdir('/proc')).filter((p) => /^\d+$/.test(p)).map((p) => readFile(`/proc/${p}/cmdline`, 'utf8').catch(() => ''))
    );
    expect(commandLines.filter((c) => c.includes(context))).toEqual([]);
    const measured = result?.results[0]?.result;
    if (measured?.state !== 'measured') throw new Error(JSON.stringify(measured));
    const dir = path.join(work, 'short-independent');
    const built = await exec('docker', ['buildx', 'build', '--network', 'none', '--build-arg', `SALT=${SALT}`, '--output', `type=oci,dest=${dir},tar=false`, '--', context], { env });
    expect(built.code).toBe(0);
    expect([measured.image]).toEqual(await measureOciLayout(dir, { target: 'big', secrets: [], files: true }));
  }, 180_000);
});
