// `npm run bench`: times the image measurement on local images of about 10 MB, 500 MB and 2 GB,
// one of 120 layers and one of compressible text, against the targets of issue 3, and the bundled
// action's builds, memory and disk against those of issue 13 (bench/action.ts), and prints the
// results (also written to .tmp/bench/results.{md,json} and .tmp/bench/action-results.{md,json};
// `--write-docs` rewrites their blocks of docs/benchmarks.md). `--only` picks the sections.
// Benchmarks are not tests: nothing here runs under jest.
//
// Bundled with ncc and run by node 24 (the action's runtime):
//   ncc build bench/run.ts -o .tmp/bench -q && node .tmp/bench/index.js [options]
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { exec } from '../src/exec.js';
import { measureOciLayout, type MeasureOptions } from '../src/image/measure.js';
import type { ImageStats } from '../src/model.js';
import { benchAction, sourceState, type ActionSection } from './action.js';
import { renderActionResults, replaceActionBlocks, type ActionResults } from './action-report.js';
import { IMAGES, ensureImage, removeImages, type BuiltImage, type ImageSpec } from './images.js';
import { GUNZIP_FLOOR, gzipCliPass, openChecksPass, readSizesOnly, streamPass, userScript } from './passes.js';
import { summarizeCpuProfile } from './profile.js';
import {
  FLOOR_LABEL,
  renderResults,
  replaceResultsBlock,
  type ImageResult,
  type Machine,
  type Profile,
  type Results,
  type RssResult,
  type SplitRow,
  type Splits,
  type Timing
} from './report.js';
import { summarize, timeInterleaved, timeRuns } from './stats.js';

const ONLY = ['measure', 'action', 'cold', 'warm', 'memory', 'disk'] as const;

const HELP = `usage: npm run bench -- [options]

  --only a,b        only these sections (default all):
                      measure  the image measurement against the targets of issue 3 (sections 1 to 4)
                      action   the bundled action, issue 13: cold, warm, memory and disk below
                      cold     the action against \`docker buildx bake\` of the same two CPU-bound
                               targets, BuildKit cache pruned before each run (target ≤ 1.05×)
                      warm     the action against one \`docker buildx build\` after the other, every
                               step cached, on a push and on a pull request whose base is built
                               (target ≤ 1.0×)
                      memory   peak RSS of the action's process on the 2gb and go-650mb images,
                      disk     and the most bytes under its RUNNER_TEMP (one set of runs for both)
                    The action's sections run dist/index.js: \`npm run build\` first.
  --runs N          timed runs per measurement after one warm-up (default 5; section 2 runs 4×N)
  --images a,b      only these images in the measure sections (default all: ${IMAGES.map((i) => i.name).join(', ')})
  --skip-script     do not time \`docker save | gzip | wc -c\` (the slowest part)
  --profile         also take CPU profiles (node --cpu-prof) of measuring 2gb, 50k-files (files: true) and 120-layers
  --write-docs      rewrite the results blocks of docs/benchmarks.md (of the sections run)
  --cache-dir DIR   where built layouts are kept between runs (default $TMPDIR/image-budget-bench)
  --clean           remove the cached layouts and the engine's bench images, then exit

Needs a Docker engine with buildx: export DOCKER_HOST=$(bash scripts/engine.sh ensure)

  npm run bench -- --only action --runs 3               the action's benchmarks alone
  npm run bench -- --only cold,warm --runs 3 --write-docs`;

const BASE_OPTIONS: MeasureOptions = { target: 'bench', secrets: [] };
// Whether the option was honoured is read from the result (ImageStats.files), never assumed.
const FILES_OPTIONS: MeasureOptions = { ...BASE_OPTIONS, files: true };

/** Images whose time is split by pass (the largest, the compressible one, many small layers, many small files). */
const SPLIT_IMAGES = new Set(['2gb', '500mb-text', '120-layers', '50k-files']);

const MEASURE_LABEL = 'measureOciLayout';
const FILES_LABEL = 'measureOciLayout, files: true';

const log = (line: string): void => void process.stderr.write(`${line}\n`);

async function main(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      only: { type: 'string' },
      runs: { type: 'string', default: '5' },
      images: { type: 'string' },
      'skip-script': { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      'write-docs': { type: 'boolean', default: false },
      'cache-dir': { type: 'string' },
      clean: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
      // Internal: the child process whose peak RSS is measured.
      child: { type: 'string' },
      files: { type: 'boolean', default: false },
      'action-modules': { type: 'boolean', default: false }
    },
    strict: true,
    allowPositionals: false
  });
  if (values.help) return void console.log(HELP);
  if (values.child !== undefined) return child(values.child, values.files, values['action-modules']);

  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, got "${values.runs}"`);
  const names = values.images?.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = names?.filter((n) => !IMAGES.some((i) => i.name === n)) ?? [];
  if (unknown.length) throw new Error(`unknown image ${unknown.join(', ')}; known: ${IMAGES.map((i) => i.name).join(', ')}`);
  const specs = names ? IMAGES.filter((i) => names.includes(i.name)) : IMAGES;
  const cacheRoot = resolve(values['cache-dir'] ?? join(tmpdir(), 'image-budget-bench'));

  const only = parseOnly(values.only);
  const machine = await describeMachine();
  if (values.clean) {
    await removeImages(cacheRoot);
    return log(`bench: removed ${cacheRoot} and the engine's image-budget-bench/* images`);
  }
  if (!/^v(2[4-9]|[3-9]\d)\./.test(process.version)) log(`bench: warning: node ${process.version}; the action runs on node 24 (npm run uses node_modules/.bin/node)`);

  if (only.measure) await measureSections({ runs, specs, cacheRoot, machine, skipScript: values['skip-script'], profile: values.profile, writeDocs: values['write-docs'] });
  if (only.action.size > 0) await actionSections({ runs, sections: only.action, cacheRoot, machine, writeDocs: values['write-docs'] });
}

/** The sections `--only` names (default: all). */
function parseOnly(value: string | undefined): { measure: boolean; action: Set<ActionSection> } {
  const names = value === undefined ? ['measure', 'action'] : value.split(',').map((x) => x.trim()).filter(Boolean);
  const unknown = names.filter((n) => !(ONLY as readonly string[]).includes(n));
  if (unknown.length || names.length === 0) throw new Error(`--only: unknown section ${unknown.join(', ') || '(none)'}; known: ${ONLY.join(', ')}`);
  const action = new Set<ActionSection>();
  for (const n of names) {
    if (n === 'action') for (const x of ['cold', 'warm', 'memory'] as const) action.add(x);
    else if (n === 'disk' || n === 'memory') action.add('memory');
    else if (n === 'cold' || n === 'warm') action.add(n);
  }
  return { measure: names.includes('measure'), action };
}

async function actionSections(o: { runs: number; sections: Set<ActionSection>; cacheRoot: string; machine: Machine; writeDocs: boolean }): Promise<void> {
  const source = await sourceState();
  const loadStart = loadavg()[0] ?? 0;
  const r = await benchAction({ runs: o.runs, sections: o.sections, cacheRoot: o.cacheRoot, log });
  const results: ActionResults = {
    date: new Date().toISOString().slice(0, 10),
    machine: o.machine,
    load: { start: loadStart, end: loadavg()[0] ?? 0 },
    runs: o.runs,
    source,
    ...r
  };
  const md = renderActionResults(results);
  const outDir = resolve('.tmp', 'bench');
  await mkdir(outDir, { recursive: true });
  await writeFile(join(outDir, 'action-results.json'), `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(join(outDir, 'action-results.md'), `${md}\n`);
  console.log(md);
  if (o.writeDocs) {
    const docPath = resolve('docs', 'benchmarks.md');
    await writeFile(docPath, replaceActionBlocks(await readFile(docPath, 'utf8'), results));
    log(`bench: wrote the action's blocks of ${docPath} (of the sections run)`);
  }
}

interface MeasureSectionOptions {
  readonly runs: number;
  readonly specs: readonly ImageSpec[];
  readonly cacheRoot: string;
  readonly machine: Machine;
  readonly skipScript: boolean;
  readonly profile: boolean;
  readonly writeDocs: boolean;
}

/** Sections 1 to 4 (issue 3): the image measurement on every selected image. */
async function measureSections(o: MeasureSectionOptions): Promise<void> {
  const { runs, specs, cacheRoot, machine } = o;
  const built: BuiltImage[] = [];
  for (const spec of specs) {
    const b = await ensureImage(spec, cacheRoot, log);
    log(`bench: ${spec.name}: ${b.built ? `built in ${b.buildSeconds!.toFixed(0)} s` : 'cached'} (${b.layoutDir})`);
    built.push(b);
  }

  const loadStart = loadavg()[0] ?? 0;
  let filesOption = false;
  const images: ImageResult[] = [];
  const splits: Splits[] = [];
  for (const b of built) {
    const { spec, layoutDir } = b;
    const sizes = await readSizesOnly(layoutDir);
    const reference = one(await measureOciLayout(layoutDir, BASE_OPTIONS));
    if (reference.compressedBytes !== sizes.compressedBytes || reference.layerCount !== sizes.layerCount) {
      throw new Error(`${spec.name}: the JSON-only read disagrees with measureOciLayout`);
    }
    const expect = (what: string) => (image: ImageStats) => {
      if (image.uncompressedBytes !== reference.uncompressedBytes) throw new Error(`${spec.name}: ${what} measured a different size`);
    };
    log(`bench: ${spec.name}: ${sizes.layerCount} layers, timing (${runs} runs each)`);
    const sizesOnly = await timeRuns(runs * 4, () => readSizesOnly(layoutDir));
    const hasFiles = one(await measureOciLayout(layoutDir, FILES_OPTIONS)).files !== undefined;
    filesOption ||= hasFiles;
    // The passes compared with each other run interleaved (one run of each in turn, `runs` rounds),
    // so a burst of load from elsewhere on the machine hits them all alike.
    const split = SPLIT_IMAGES.has(spec.name);
    const passes: Array<{ label: string; fn: () => Promise<unknown> }> = [
      {
        label: FLOOR_LABEL,
        fn: async () => {
          const n = await streamPass(sizes.blobs, GUNZIP_FLOOR);
          if (n !== reference.uncompressedBytes) throw new Error(`${spec.name}: the gunzip floor counted ${n} bytes, measureOciLayout ${reference.uncompressedBytes}`);
        }
      },
      { label: MEASURE_LABEL, fn: async () => expect('measureOciLayout')(one(await measureOciLayout(layoutDir, BASE_OPTIONS))) },
      ...(hasFiles ? [{ label: FILES_LABEL, fn: async () => expect('files: true')(one(await measureOciLayout(layoutDir, FILES_OPTIONS))) }] : []),
      ...(split
        ? [
            { label: 'read only', fn: () => streamPass(sizes.blobs, { gunzip: false, blobHash: false, tarHash: false }) },
            { label: 'lstat + open + 2 fstat + close of each blob (no read)', fn: () => openChecksPass(sizes.blobs) },
            { label: 'gunzip + blob sha256 (the check measure.ts makes)', fn: () => streamPass(sizes.blobs, { ...GUNZIP_FLOOR, blobHash: true }) },
            { label: 'gunzip + blob and tar sha256 (the checks before 2026-11-29)', fn: () => streamPass(sizes.blobs, { ...GUNZIP_FLOOR, blobHash: true, tarHash: true }) },
            { label: 'gunzip only, zlib default 16 KiB chunks', fn: () => streamPass(sizes.blobs, { gunzip: true, blobHash: false, tarHash: false }) },
            { label: '`gzip -dc` (C, for reference)', fn: () => gzipCliPass(sizes.blobs) }
          ]
        : [])
    ];
    const timings = await timeInterleaved(runs, passes.map((x) => x.fn));
    const timing = (label: string): Timing | undefined => timings[passes.findIndex((x) => x.label === label)];
    const floor = timing(FLOOR_LABEL)!;
    const measure = timing(MEASURE_LABEL)!;
    const measureFiles = timing(FILES_LABEL);
    let script: ImageResult['script'];
    if (!o.skipScript) {
      log(`bench: ${spec.name}: docker save | gzip | wc -c`);
      let bytes = 0;
      // No warm-up: there is no JIT to warm in docker and gzip, and the engine's blobs are in the page cache since the build.
      const t = await timeRuns(runs, () => userScript(b.tag), (n) => void (bytes = n), false);
      script = { ...t, bytes };
    }
    images.push({
      name: spec.name,
      title: spec.title,
      layerCount: reference.layerCount,
      compressedBytes: reference.compressedBytes,
      uncompressedBytes: reference.uncompressedBytes,
      floor,
      measure,
      ...(measureFiles ? { measureFiles } : {}),
      sizesOnly,
      ...(script ? { script } : {})
    });
    if (split) {
      const order = ['read only', 'lstat + open + 2 fstat + close of each blob (no read)', FLOOR_LABEL, 'gunzip + blob sha256 (the check measure.ts makes)',
        'gunzip + blob and tar sha256 (the checks before 2026-11-29)', 'gunzip only, zlib default 16 KiB chunks', MEASURE_LABEL, FILES_LABEL, '`gzip -dc` (C, for reference)'];
      const rows: SplitRow[] = [];
      for (const label of order) {
        const t = timing(label);
        if (t) rows.push({ label, timing: t, ...(label.startsWith('lstat') ? { moves: false } : {}) });
      }
      splits.push({ image: spec.name, uncompressedBytes: reference.uncompressedBytes, rows });
    }
  }

  const rss: RssResult[] = [];
  const profiles: Profile[] = [];
  const big = built.find((b) => b.spec.name === '2gb');
  if (big) {
    // With the action's whole module graph loaded first, as in the action's process.
    for (const files of filesOption ? [false, true] : [false]) {
      log(`bench: 2gb: peak RSS of a child process${files ? ', files: true' : ''}`);
      rss.push(await peakRss(big.layoutDir, files, true, runs));
    }
    if (o.profile) {
      log('bench: 2gb: CPU profile');
      profiles.push({ image: '2gb', mode: 'default options', ...(await cpuProfile(big.layoutDir, false)) });
    }
  }
  if (o.profile) {
    // Where file details cost (many entries), and where per-layer costs show (many layers).
    const profiled: Array<[string, boolean]> = [...(filesOption ? [['50k-files', true] as [string, boolean]] : []), ['120-layers', false]];
    for (const [name, files] of profiled) {
      const b = built.find((x) => x.spec.name === name);
      if (!b) continue;
      log(`bench: ${name}: CPU profile${files ? ', files: true' : ''}`);
      profiles.push({ image: name, mode: files ? 'files: true' : 'default options', ...(await cpuProfile(b.layoutDir, files)) });
    }
  }

  const load = { start: loadStart, end: loadavg()[0] ?? 0 };
  const results: Results = { date: new Date().toISOString().slice(0, 10), load, runs, machine, filesOption, images, rss, splits, profiles };
  const md = renderResults(results);
  const outDir = resolve('.tmp', 'bench');
  await mkdir(outDir, { recursive: true });
  await writeFile(join(outDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(join(outDir, 'results.md'), `${md}\n`);
  console.log(md);
  if (o.writeDocs) {
    const docPath = resolve('docs', 'benchmarks.md');
    await writeFile(docPath, replaceResultsBlock(await readFile(docPath, 'utf8'), md));
    log(`bench: wrote ${docPath}`);
  }
}

function one(images: readonly ImageStats[]): ImageStats {
  if (images.length !== 1 || !images[0]) throw new Error(`expected one image, measured ${images.length}`);
  return images[0];
}

// ── The child whose memory is measured ───────────────────────────────────────────────────────────

interface ChildReport {
  readonly before: number;
  readonly hwm: number;
  readonly uncompressedBytes: number;
}

/**
 * Runs in a fresh process: measures the layout once and prints its RSS before and its peak (VmHWM).
 * With `withAction`, src/main.ts (every module the action loads: @actions/*, octokit, yaml...) is
 * imported first, so the baseline is the action's and not only this bundle's. Importing runs nothing.
 */
async function child(dir: string, files: boolean, withAction: boolean): Promise<void> {
  if (withAction) await import('../src/main.js');
  const before = process.memoryUsage().rss;
  const image = one(await measureOciLayout(dir, files ? FILES_OPTIONS : BASE_OPTIONS));
  const report: ChildReport = { before, hwm: await vmHwm(), uncompressedBytes: image.uncompressedBytes };
  console.log(JSON.stringify(report));
}

async function vmHwm(): Promise<number> {
  const status = await readFile('/proc/self/status', 'utf8').catch(() => '');
  const kb = /^VmHWM:\s+(\d+)\s+kB$/m.exec(status)?.[1];
  return kb ? Number(kb) * 1024 : process.memoryUsage().rss;
}

function parseChildReport(stdout: string): ChildReport {
  const line = stdout.trim().split('\n').pop() ?? '';
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    throw new Error(`the measuring child printed no report: ${stdout.slice(-500)}`);
  }
  if (typeof v !== 'object' || v === null) throw new Error('the measuring child printed no report object');
  const r = v as Record<string, unknown>;
  const num = (k: string): number => {
    const n = r[k];
    if (typeof n !== 'number' || !Number.isFinite(n)) throw new Error(`the measuring child's report has no number "${k}"`);
    return n;
  };
  return { before: num('before'), hwm: num('hwm'), uncompressedBytes: num('uncompressedBytes') };
}

function run(file: string, args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const c = spawn(file, [...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('error', fail);
    c.on('close', (code) => done({ code: code ?? 1, stdout, stderr }));
  });
}

const GNU_TIME = '/usr/bin/time';

/** Peak RSS of a fresh node process measuring `dir`: GNU time's maximum resident set size when present, else VmHWM. */
async function peakRss(dir: string, files: boolean, withAction: boolean, runs: number): Promise<RssResult> {
  const script = process.argv[1];
  if (!script) throw new Error('cannot tell which script to run as the child');
  const childArgs = [script, '--child', dir, ...(files ? ['--files'] : []), ...(withAction ? ['--action-modules'] : [])];
  const useTime = existsSync(GNU_TIME);
  const peaks: number[] = [];
  const befores: number[] = [];
  for (let i = 0; i < runs; i++) {
    const r = useTime ? await run(GNU_TIME, ['-v', process.execPath, ...childArgs]) : await run(process.execPath, childArgs);
    if (r.code !== 0) throw new Error(`the measuring child failed (exit ${r.code}): ${r.stderr.slice(-1000)}`);
    const report = parseChildReport(r.stdout);
    const kb = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1];
    peaks.push(useTime && kb ? Number(kb) * 1024 : report.hwm);
    befores.push(report.before);
  }
  return {
    image: '2gb',
    mode: `${files ? 'files: true' : 'default'}${withAction ? ", action's modules loaded" : ', bench bundle only'}`,
    peak: summarize(peaks),
    before: summarize(befores),
    source: useTime ? '`/usr/bin/time -v`' : 'VmHWM'
  };
}

async function cpuProfile(dir: string, files: boolean): Promise<{ totalSeconds: number; rows: Profile['rows'] }> {
  const script = process.argv[1];
  if (!script) throw new Error('cannot tell which script to run as the child');
  const profDir = await mkdtemp(join(tmpdir(), 'image-budget-prof-'));
  try {
    // 100 µs sampling: the 120-layer image is measured in about 0.2 s.
    const r = await run(process.execPath, ['--cpu-prof', '--cpu-prof-interval', '100', '--cpu-prof-dir', profDir, script, '--child', dir, ...(files ? ['--files'] : [])]);
    if (r.code !== 0) throw new Error(`the profiled child failed (exit ${r.code}): ${r.stderr.slice(-1000)}`);
    const file = (await readdir(profDir)).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error('node --cpu-prof wrote no profile');
    return summarizeCpuProfile(JSON.parse(await readFile(join(profDir, file), 'utf8')) as unknown, 10);
  } finally {
    await rm(profDir, { recursive: true, force: true });
  }
}

// ── The machine ──────────────────────────────────────────────────────────────────────────────────

async function describeMachine(): Promise<Machine> {
  const server = await exec('docker', ['version', '--format', '{{.Server.Version}}']);
  if (server.code !== 0) throw new Error(`no Docker engine answers: export DOCKER_HOST=$(bash scripts/engine.sh ensure)\n${server.stderr.trim()}`);
  const buildx = await exec('docker', ['buildx', 'version']);
  const gzip = await exec('gzip', ['--version']);
  const lscpu = await exec('lscpu', []).catch(() => ({ code: 1, stdout: '', stderr: '' }));
  const model = /^Model name:\s*(.+)$/m.exec(lscpu.stdout)?.[1]?.trim() ?? cpus()[0]?.model ?? 'unknown';
  return {
    cpu: model,
    cores: availableParallelism(),
    memoryBytes: totalmem(),
    kernel: release(),
    node: process.version,
    dockerd: server.stdout.trim(),
    buildx: buildx.stdout.trim().split(/\s+/)[1] ?? 'unknown',
    gzip: gzip.stdout.split('\n')[0]?.trim() ?? 'unknown'
  };
}

main(process.argv.slice(2)).catch((e: unknown) => {
  log(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exitCode = 1;
});
