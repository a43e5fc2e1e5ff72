// The action's own benchmarks (issue 13), part of `npm run bench` (alone: `npm run bench -- --only action`).
// The bundled action (dist/index.js) runs under node 24 the way the runner runs it: every input as
// INPUT_<NAME> (action.yml's defaults filled in), the event in a file, GITHUB_OUTPUT and the step
// summary in files, RUNNER_TEMP a folder of its own. Always a `push` run with `baseline: none` (no
// base build, no baseline lookup), `comment: never`, `cache: none` and `network: none`:
//
// - cold: two targets whose final stages are independent and CPU-bound, the BuildKit cache pruned
//   before every run and a new build argument each time, against `docker buildx bake` of the same two
//   targets exporting OCI tars. Target: ≤ 1.05× bake.
// - warm: the same two targets on a warm engine (every step cached), against a script that builds
//   and exports them one after the other (`docker buildx build --output type=oci,dest=DIR,tar=false`
//   per target). Target: ≤ 1.0×. Then the same as a pull request whose base is built (no stored
//   baseline: `baseline: auto`, the base commit checked out by the action), against a script that
//   checks the base out (`git worktree add`) and builds the four images one after the other.
// - memory and disk: a Dockerfile that is only `FROM` one of the bench's images (loaded in the engine:
//   nothing to build, the action exports and measures it) with every detail on. The peak RSS of the
//   action's process (target ≤ 100 MB), and the most bytes under its RUNNER_TEMP at any moment, read
//   every 50 ms. With room on the disk the image is exported to a folder there (its size, by design,
//   removed once measured); with RUNNER_TEMP on a 1 GiB tmpfs (a runner short of disk, needs root)
//   it is streamed (target: near zero).
//
// Each comparison runs its contenders interleaved, one of each in turn, after one warm-up run of each;
// ratios are of medians. Benchmarks are not tests: nothing here runs under jest.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jobEnv, startCacheStandin, type CacheStandin } from '../__tests__/support/cache-standin.js';
import { actionDefaults, BUNDLE, NODE24, parseOutputFile } from '../__tests__/support/run-action.js';
import { exec } from '../src/exec.js';
import { IMAGES, ensureImage } from './images.js';
import type { ActionMemoryRow, ActionResults, SourceState } from './action-report.js';
import { summarize, type Summary } from './stats.js';

export type ActionSection = 'cold' | 'warm' | 'memory';

export interface ActionBenchOptions {
  readonly runs: number;
  readonly sections: ReadonlySet<ActionSection>;
  /** Where the bench's images are cached (bench/images.ts). */
  readonly cacheRoot: string;
  readonly log: (line: string) => void;
}

/** The images the memory and disk runs build FROM. */
export const MEMORY_IMAGES = ['2gb', 'go-650mb'] as const;

/** RUNNER_TEMP's size in the short-of-disk run: below the 4 GiB a folder export asks for. */
const SHORT_DISK_BYTES = 1024 * 2 ** 20;

/** CPU burnt by each final stage: 64 MB of /dev/urandom through `gzip -9` (about 3 s on one core here). */
const BURN_MB = 64;

/**
 * Two final stages, independent (nothing shared but the base image) and CPU-bound. `BUST` changes
 * every cold run, so nothing is reused even where a prune missed something. `RUN --network=none`:
 * bake (buildx 0.13) has no network setting, and the engine has no network for builds.
 */
const DOCKERFILE = `FROM image-budget/busybox AS a
ARG BUST
RUN --network=none echo "a $BUST" > /bust && dd if=/dev/urandom bs=1M count=${BURN_MB} 2>/dev/null | gzip -9 > /a.gz

FROM image-budget/busybox AS b
ARG BUST
RUN --network=none echo "b $BUST" > /bust && dd if=/dev/urandom bs=1M count=${BURN_MB} 2>/dev/null | gzip -9 > /b.gz
`;
const TARGETS = ['a', 'b'] as const;

/** The inputs of every run: what makes it a `push` run that builds the head alone and talks to no one. */
const BASE_INPUTS: Readonly<Record<string, string>> = { network: 'none', cache: 'none', baseline: 'none', comment: 'never' };

const POLL_MS = 50;
const GNU_TIME = '/usr/bin/time';

export interface ActionBenchResults {
  readonly cold?: ActionResults['cold'];
  readonly warm?: ActionResults['warm'];
  readonly warmPullRequest?: ActionResults['warmPullRequest'];
  readonly startup?: Summary;
  readonly memory?: readonly ActionMemoryRow[];
}

export async function benchAction(o: ActionBenchOptions): Promise<ActionBenchResults & { readonly bundle: BundleState }> {
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: npm run build first`);
  const work = await mkdtemp(join(tmpdir(), 'image-budget-bench-action-'));
  const before = await bundleDigest();
  try {
    const results = await sections(o, work);
    const after = await bundleDigest();
    // Someone rebuilt the bundle meanwhile: the runs did not all run the same action.
    if (after !== before) o.log(`bench: warning: ${BUNDLE} changed during the run (${before} before, ${after} after)`);
    return { ...results, bundle: { digest: before, changedDuringRun: after !== before } };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

export interface BundleState {
  /** sha256 of dist/index.js when the run started (12 hex digits). */
  readonly digest: string;
  readonly changedDuringRun: boolean;
}

async function bundleDigest(): Promise<string> {
  return createHash('sha256').update(await readFile(BUNDLE)).digest('hex').slice(0, 12);
}

async function sections(o: ActionBenchOptions, work: string): Promise<ActionBenchResults> {
  const out: { -readonly [K in keyof ActionBenchResults]: ActionBenchResults[K] } = {};
  if (o.sections.has('cold') || o.sections.has('warm')) {
    const ws = join(work, 'two-targets');
    await mkdir(ws);
    await writeFile(join(ws, 'Dockerfile'), DOCKERFILE);
    if (o.sections.has('cold')) out.cold = await cold(o, ws, work);
    if (o.sections.has('warm')) {
      out.warm = await warm(o, ws, work);
      out.warmPullRequest = await warmPullRequest(o, work);
    }
  }
  if (o.sections.has('memory')) {
    out.startup = await startupRss(o, work);
    out.memory = await memory(o, work);
  }
  return out;
}

// ── cold and warm ────────────────────────────────────────────────────────────────────────────────

async function cold(o: ActionBenchOptions, ws: string, work: string): Promise<NonNullable<ActionResults['cold']>> {
  o.log(`bench: action, cold: ${o.runs} rounds of the action and bake, BuildKit cache pruned before each run`);
  const contenders = [
    { name: 'action', run: (bust: string) => actionBuild(ws, bust) },
    { name: 'bake', run: (bust: string) => bake(ws, work, bust) }
  ];
  const times = await interleaved(o, 'cold', contenders, async () => {
    await docker(['buildx', 'prune', '-af']);
    return `cold-${randomBytes(8).toString('hex')}`;
  });
  return { action: times[0]!, bake: times[1]!, burnMb: BURN_MB };
}

async function warm(o: ActionBenchOptions, ws: string, work: string): Promise<NonNullable<ActionResults['warm']>> {
  o.log(`bench: action, warm: ${o.runs} rounds of the action and one build after the other, every step cached`);
  const contenders = [
    { name: 'action', run: (bust: string) => actionBuild(ws, bust) },
    { name: 'one by one', run: (bust: string) => oneByOne(ws, work, bust) }
  ];
  // One build argument for every run: after the warm-up runs, every step is a cache hit.
  const times = await interleaved(o, 'warm', contenders, async () => 'warm');
  return { action: times[0]!, script: times[1]!, burnMb: BURN_MB };
}

async function warmPullRequest(o: ActionBenchOptions, work: string): Promise<NonNullable<ActionResults['warmPullRequest']>> {
  o.log(`bench: action, warm pull request: ${o.runs} rounds of the action (head and base built) and four builds after the other, every step cached`);
  const ws = join(work, 'pull-request');
  const commits = await pullRequestRepository(ws);
  const contenders = [
    { name: 'action', run: (bust: string) => actionPullRequest(ws, commits, bust) },
    { name: 'four by one', run: (bust: string) => fourByOne(ws, work, commits.base, bust) }
  ];
  const times = await interleaved(o, 'warm pull request', contenders, async () => 'warm');
  return { action: times[0]!, script: times[1]!, burnMb: BURN_MB };
}

/**
 * The two targets' repository with two commits, checked out at the second as actions/checkout leaves
 * a pull request's merge commit: the base has the Dockerfile, the head a README more (no build reads it).
 */
async function pullRequestRepository(ws: string): Promise<{ readonly base: string; readonly head: string }> {
  await mkdir(ws);
  const git = async (...args: string[]): Promise<string> => {
    const r = await exec('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@localhost', ...args], { cwd: ws });
    if (r.code !== 0) throw new Error(`git ${args[0]} failed: ${r.stderr.trim()}`);
    return r.stdout.trim();
  };
  await git('init', '--quiet', '--initial-branch=main');
  await writeFile(join(ws, 'Dockerfile'), DOCKERFILE);
  await git('add', 'Dockerfile');
  await git('commit', '--quiet', '-m', 'base');
  const base = await git('rev-parse', 'HEAD');
  await writeFile(join(ws, 'README.md'), '# two targets\n');
  await git('add', 'README.md');
  await git('commit', '--quiet', '-m', 'head');
  return { base, head: await git('rev-parse', 'HEAD') };
}

/** The action on a pull request with no stored baseline: it checks the base out and builds it beside the head. */
async function actionPullRequest(ws: string, commits: { readonly base: string; readonly head: string }, bust: string): Promise<number> {
  const r = await runBundled({
    workspace: ws,
    sha: commits.head,
    pullRequestBase: commits.base,
    inputs: { ...BASE_INPUTS, baseline: 'auto', targets: TARGETS.join(', '), 'build-args': `BUST=${bust}` }
  });
  for (const side of ['head', 'base'] as const) {
    const sizes = measured(r, side);
    for (const t of TARGETS) {
      if (!sizes.some((s) => s.target === t && s.compressedBytes > BURN_MB * 1_000_000)) {
        throw new Error(`the action did not measure the ${side}'s target ${t} (${BURN_MB} MB or more); it measured ${JSON.stringify(sizes)}\n${r.stdout.slice(-3000)}`);
      }
    }
  }
  return r.seconds;
}

/** What a script does for the same numbers: the base checked out beside the workspace, then head and base built one target after the other. */
async function fourByOne(ws: string, work: string, base: string, bust: string): Promise<number> {
  const dir = await mkdtemp(join(work, 'script-pr-'));
  try {
    const t0 = process.hrtime.bigint();
    const worktree = join(dir, 'base');
    const added = await exec('git', ['worktree', 'add', '--quiet', '--detach', worktree, base], { cwd: ws });
    if (added.code !== 0) throw new Error(`git worktree add failed: ${added.stderr.trim()}`);
    for (const [side, context] of [['head', ws], ['base', worktree]] as const) {
      for (const t of TARGETS) {
        const out = join(dir, `${side}-${t}`);
        await docker([
          'buildx', 'build', '--network', 'none', '--progress', 'plain', '--target', t, '--build-arg', `BUST=${bust}`,
          '--output', `type=oci,dest=${out},tar=false`, '-f', join(context, 'Dockerfile'), '--', context
        ]);
        if (!existsSync(join(out, 'index.json'))) throw new Error(`docker buildx build wrote no layout of the ${side}'s ${t}`);
      }
    }
    const removed = await exec('git', ['worktree', 'remove', '--force', worktree], { cwd: ws });
    if (removed.code !== 0) throw new Error(`git worktree remove failed: ${removed.stderr.trim()}`);
    return Number(process.hrtime.bigint() - t0) / 1e9;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * One warm-up run of each, then `runs` rounds of each in turn (the order alternates between rounds),
 * `before` run untimed before every run. Each run answers its own wall time, in seconds: from the
 * start of its first process to the end of its last, without the bench's own setup and checks.
 */
async function interleaved(
  o: ActionBenchOptions,
  what: string,
  contenders: ReadonlyArray<{ name: string; run: (bust: string) => Promise<number> }>,
  before: () => Promise<string>
): Promise<Summary[]> {
  for (const c of contenders) await c.run(await before());
  const samples: number[][] = contenders.map(() => []);
  for (let round = 0; round < o.runs; round++) {
    const order = contenders.map((_, i) => i);
    if (round % 2 === 1) order.reverse();
    for (const i of order) {
      const c = contenders[i]!;
      samples[i]!.push(await c.run(await before()));
    }
    o.log(`bench: action, ${what}: round ${round + 1} of ${o.runs}: ${contenders.map((c, i) => `${c.name} ${samples[i]!.at(-1)!.toFixed(2)} s`).join(', ')}`);
  }
  return samples.map((s) => summarize(s));
}

async function actionBuild(ws: string, bust: string): Promise<number> {
  const r = await runBundled({ workspace: ws, inputs: { ...BASE_INPUTS, targets: TARGETS.join(', '), 'build-args': `BUST=${bust}` } });
  const sizes = measured(r);
  for (const t of TARGETS) {
    if (!sizes.some((s) => s.target === t && s.compressedBytes > BURN_MB * 1_000_000)) {
      throw new Error(`the action did not measure target ${t} (${BURN_MB} MB or more); it measured ${JSON.stringify(sizes)}\n${r.stdout.slice(-3000)}`);
    }
  }
  return r.seconds;
}

async function bake(ws: string, work: string, bust: string): Promise<number> {
  const dir = await mkdtemp(join(work, 'bake-'));
  try {
    const target = Object.fromEntries(
      TARGETS.map((t) => [t, { context: ws, dockerfile: 'Dockerfile', target: t, args: { BUST: bust }, output: [`type=oci,dest=${join(dir, `${t}.tar`)}`] }])
    );
    await writeFile(join(dir, 'docker-bake.json'), JSON.stringify({ target }));
    const t0 = process.hrtime.bigint();
    await docker(['buildx', 'bake', '--progress', 'plain', '-f', join(dir, 'docker-bake.json'), ...TARGETS]);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    for (const t of TARGETS) {
      if (((await lstat(join(dir, `${t}.tar`)).catch(() => undefined))?.size ?? 0) < BURN_MB * 1_000_000) throw new Error(`bake wrote no image of ${t}`);
    }
    return seconds;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function oneByOne(ws: string, work: string, bust: string): Promise<number> {
  const dir = await mkdtemp(join(work, 'script-'));
  try {
    const t0 = process.hrtime.bigint();
    for (const t of TARGETS) {
      await docker([
        'buildx', 'build', '--network', 'none', '--progress', 'plain', '--target', t, '--build-arg', `BUST=${bust}`,
        '--output', `type=oci,dest=${join(dir, t)},tar=false`, '-f', join(ws, 'Dockerfile'), '--', ws
      ]);
      if (!existsSync(join(dir, t, 'index.json'))) throw new Error(`docker buildx build wrote no layout of ${t}`);
    }
    return Number(process.hrtime.bigint() - t0) / 1e9;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// ── memory and disk ──────────────────────────────────────────────────────────────────────────────

/** RSS of the action's process when it stops at its first input (an unknown `mode`): node and the bundle's module graph. */
async function startupRss(o: ActionBenchOptions, work: string): Promise<Summary> {
  o.log('bench: action, memory: RSS of the bundle loaded and nothing done');
  const peaks: number[] = [];
  for (let i = 0; i < o.runs; i++) {
    const r = await runBundled({ workspace: work, inputs: { mode: 'not-a-mode' }, gnuTime: true });
    if (!/Invalid input 'mode'/.test(r.stdout)) throw new Error(`the action did not stop at its mode input:\n${r.stdout.slice(-2000)}`);
    // GNU time's reading: node has no child here, and it exits too soon for the 50 ms readings.
    peaks.push(r.gnuMaxRss ?? r.nodeHwm ?? NaN);
  }
  return summarize(peaks);
}

async function memory(o: ActionBenchOptions, work: string): Promise<ActionMemoryRow[]> {
  const rows: ActionMemoryRow[] = [];
  const cache = await startCacheStandin({ defaultBranch: 'main' });
  try {
    cache.setScope('refs/heads/main');
    for (const name of MEMORY_IMAGES) {
      const spec = IMAGES.find((i) => i.name === name);
      if (!spec) throw new Error(`bench/images.ts has no image ${name}`);
      const image = await ensureImage(spec, o.cacheRoot, o.log);
      if (image.built) o.log(`bench: ${name}: built in ${image.buildSeconds!.toFixed(0)} s`);
      const ws = join(work, `from-${name}`);
      await mkdir(ws, { recursive: true });
      await writeFile(join(ws, 'Dockerfile'), `FROM ${image.tag}\n`);
      const modes: ReadonlyArray<{ mode: string; cache?: CacheStandin; shortDisk?: boolean; pullRequest?: boolean }> = [
        { mode: 'stores its baseline (the cache service stand-in)', cache },
        { mode: 'a pull request, compared with the baseline the run before stored (looked up before it builds)', cache, pullRequest: true },
        { mode: 'no cache service (no baseline stored: a warning)' },
        { mode: `no cache service, RUNNER_TEMP a ${SHORT_DISK_BYTES / 2 ** 20} MiB tmpfs (short of disk: the export is streamed)`, shortDisk: true }
      ];
      const samples = modes.map(() => ({ gnu: [] as number[], hwm: [] as number[], disk: [] as number[], wall: [] as number[] }));
      let sizes: { compressed: number; uncompressed: number } | undefined;
      let stored: string | undefined; // the commit whose baseline the last storing run stored
      o.log(`bench: action, memory and disk: ${name}, ${o.runs} rounds of ${modes.length} runs after a warm-up run`);
      for (let round = -1; round < o.runs; round++) {
        for (const [i, m] of modes.entries()) {
          if (round < 0 && i > 0) continue; // one warm-up run: the image's blobs into the page cache
          // A new commit each run, so each push stores a baseline of its own; a pull request's base is the last one.
          const sha = randomBytes(20).toString('hex');
          const r = await memoryRun(ws, m.cache, m.shortDisk === true, sha, m.pullRequest ? stored : undefined);
          const measuredSizes = measured(r)[0];
          if (!measuredSizes) throw new Error(`the action measured nothing on ${name}:\n${r.stdout.slice(-3000)}`);
          sizes = { compressed: measuredSizes.compressedBytes, uncompressed: measuredSizes.uncompressedBytes };
          if (m.pullRequest && !/Baseline: the report stored by/.test(r.stdout)) throw new Error(`the pull request on ${name} used no stored baseline:\n${r.stdout.slice(-3000)}`);
          if (m.cache && !m.pullRequest && !/Stored this report as the baseline/.test(r.stdout)) throw new Error(`the run on ${name} stored no baseline:\n${r.stdout.slice(-3000)}`);
          if (m.cache && !m.pullRequest) stored = sha;
          if (round < 0) continue;
          const s = samples[i]!;
          s.wall.push(r.seconds);
          s.disk.push(r.diskPeak);
          if (r.gnuMaxRss !== undefined) s.gnu.push(r.gnuMaxRss);
          if (r.nodeHwm !== undefined) s.hwm.push(r.nodeHwm);
        }
      }
      for (const [i, m] of modes.entries()) {
        const s = samples[i]!;
        rows.push({
          image: name,
          title: spec.title,
          compressedBytes: sizes!.compressed,
          uncompressedBytes: sizes!.uncompressed,
          mode: m.mode,
          shortDisk: m.shortDisk === true,
          ...(s.gnu.length ? { gnuMaxRss: summarize(s.gnu) } : {}),
          ...(s.hwm.length ? { nodeHwm: summarize(s.hwm) } : {}),
          diskPeak: summarize(s.disk),
          wall: summarize(s.wall)
        });
      }
    }
  } finally {
    await cache.close();
  }
  return rows;
}

/** One run: a push (which stores its baseline when there is a cache), or, with `base`, a pull request on that base. */
async function memoryRun(ws: string, cache: CacheStandin | undefined, shortDisk: boolean, sha: string, base?: string): Promise<BundledRun> {
  return runBundled({
    workspace: ws,
    inputs: { ...BASE_INPUTS, details: 'layers,files,trend', advice: 'true', ...(base ? { baseline: 'auto' } : {}) },
    env: { ...(cache ? jobEnv(cache) : {}), GITHUB_SHA: sha },
    sha,
    ...(base ? { pullRequestBase: base } : {}),
    gnuTime: true,
    watch: true,
    ...(shortDisk ? { tmpfsBytes: SHORT_DISK_BYTES } : {})
  });
}

// ── one run of the bundled action ────────────────────────────────────────────────────────────────

interface BundledRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly seconds: number;
  readonly outputs: Readonly<Record<string, string>>;
  /** The report the run wrote (its `report` output), parsed. */
  readonly report: unknown;
  /** GNU time's "Maximum resident set size": the largest of node's and of the processes it waited for (docker). */
  readonly gnuMaxRss?: number;
  /** VmHWM of the node process itself, its last reading (every 50 ms, and at its exit). */
  readonly nodeHwm?: number;
  /** The most bytes of files under RUNNER_TEMP at one reading (0 unless watched). */
  readonly diskPeak: number;
}

interface RunOptions {
  readonly workspace: string;
  readonly inputs: Readonly<Record<string, string>>;
  readonly env?: Readonly<Record<string, string>>;
  readonly sha?: string;
  /** A `pull_request` event (number 7, head `sha`) on this base commit, instead of a push. */
  readonly pullRequestBase?: string;
  /** Run under GNU time -v (and read node's VmHWM meanwhile). */
  readonly gnuTime?: boolean;
  /** Read the bytes under RUNNER_TEMP every 50 ms. */
  readonly watch?: boolean;
  /** RUNNER_TEMP on a tmpfs of this many bytes (a runner short of disk); mounting it needs root. */
  readonly tmpfsBytes?: number;
}

/** Runs dist/index.js once as the runner would, on a `push` event (or a pull request's); throws when the run fails. */
async function runBundled(o: RunOptions): Promise<BundledRun> {
  const dir = await mkdtemp(join(tmpdir(), 'ib-bench-runner-'));
  try {
    const runnerTemp = join(dir, 'runner-temp');
    await mkdir(runnerTemp);
    if (o.tmpfsBytes !== undefined) await mountTmpfs(runnerTemp, o.tmpfsBytes);
    const files = { event: join(dir, 'event.json'), output: join(dir, 'output.txt'), summary: join(dir, 'summary.md'), state: join(dir, 'state.txt') };
    const sha = o.sha ?? '1'.repeat(40);
    const repository = { full_name: 'o/r', default_branch: 'main' };
    const base = o.pullRequestBase;
    const pr = base && { number: 7, base: { sha: base, ref: 'main', repo: repository }, head: { sha, ref: 'feature', repo: { ...repository, fork: false } } };
    await writeFile(files.event, JSON.stringify(pr ? { number: 7, pull_request: pr, repository } : { before: '0'.repeat(40), after: sha, ref: 'refs/heads/main', repository }));
    for (const f of [files.output, files.summary, files.state]) await writeFile(f, '');
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DOCKER_HOST: process.env.DOCKER_HOST,
      CI: 'true',
      GITHUB_ACTIONS: 'true',
      GITHUB_WORKSPACE: o.workspace,
      GITHUB_EVENT_NAME: base ? 'pull_request' : 'push',
      GITHUB_EVENT_PATH: files.event,
      GITHUB_OUTPUT: files.output,
      GITHUB_STEP_SUMMARY: files.summary,
      GITHUB_STATE: files.state,
      GITHUB_REPOSITORY: 'o/r',
      GITHUB_RUN_ID: '1',
      GITHUB_SHA: sha,
      GITHUB_REF: base ? 'refs/pull/7/merge' : 'refs/heads/main',
      ...(base ? { GITHUB_BASE_REF: 'main', GITHUB_HEAD_REF: 'feature' } : {}),
      RUNNER_TEMP: runnerTemp,
      ...o.env
    };
    for (const [name, value] of Object.entries({ ...(await actionDefaults('write-token')), ...o.inputs })) {
      env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
    }
    const timeFile = join(dir, 'time.txt');
    const useTime = o.gnuTime === true && existsSync(GNU_TIME);
    const [file, args] = useTime ? [GNU_TIME, ['-v', '-o', timeFile, NODE24, BUNDLE]] : [NODE24, [BUNDLE]];
    const t0 = process.hrtime.bigint();
    const child = spawn(file, args, { cwd: o.workspace, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const closed = new Promise<number>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code) => resolve(code ?? 1));
    });
    const watch = watchRun(child.pid, useTime, o.watch === true ? runnerTemp : undefined, closed);
    const code = await closed;
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const { diskPeak, nodeHwm } = await watch;
    const outputs = parseOutputFile(await readFile(files.output, 'utf8'));
    if (o.inputs.mode === undefined && code !== 0) throw new Error(`the action failed (exit ${code}):\n${stdout.slice(-3000)}\n${stderr.slice(-2000)}`);
    const report = outputs.report && existsSync(outputs.report) ? (JSON.parse(await readFile(outputs.report, 'utf8')) as unknown) : undefined;
    const kb = useTime ? /Maximum resident set size \(kbytes\): (\d+)/.exec(await readFile(timeFile, 'utf8').catch(() => ''))?.[1] : undefined;
    return {
      code,
      stdout,
      stderr,
      seconds,
      outputs,
      report,
      ...(kb ? { gnuMaxRss: Number(kb) * 1024 } : {}),
      ...(nodeHwm !== undefined ? { nodeHwm } : {}),
      diskPeak
    };
  } finally {
    if (o.tmpfsBytes !== undefined) await exec('umount', [join(dir, 'runner-temp')]);
    await rm(dir, { recursive: true, force: true });
  }
}

/** A tmpfs of `bytes` at `at`: a file system with that little free space. */
async function mountTmpfs(at: string, bytes: number): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the short-of-disk run mounts a tmpfs as RUNNER_TEMP, which needs root');
  const r = await exec('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', at]);
  if (r.code !== 0) throw new Error(`mount -t tmpfs ${at}: ${r.stderr.trim()}`);
}

/**
 * Until `closed` settles, every 50 ms: node's VmHWM (node is GNU time's child when `underTime`), and,
 * with `root`, the bytes of the files under it.
 */
async function watchRun(pid: number | undefined, underTime: boolean, root: string | undefined, closed: Promise<number>): Promise<{ diskPeak: number; nodeHwm?: number }> {
  let done = false;
  void closed.finally(() => (done = true)).catch(() => undefined);
  let diskPeak = 0;
  let hwm: number | undefined;
  let nodePid = underTime ? undefined : pid;
  while (!done) {
    if (nodePid === undefined && pid !== undefined) nodePid = await childPid(pid);
    const v = nodePid === undefined ? undefined : await vmHwm(nodePid);
    if (v !== undefined) hwm = Math.max(hwm ?? 0, v);
    if (root) diskPeak = Math.max(diskPeak, await treeBytes(root));
    await Promise.race([closed.catch(() => 0), new Promise((r) => setTimeout(r, POLL_MS))]);
  }
  return { diskPeak, ...(hwm ? { nodeHwm: hwm } : {}) };
}

async function childPid(pid: number): Promise<number | undefined> {
  const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  const first = text.trim().split(/\s+/)[0];
  return first ? Number(first) : undefined;
}

async function vmHwm(pid: number): Promise<number | undefined> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kb = /^VmHWM:\s+(\d+)\s+kB$/m.exec(status)?.[1];
  return kb ? Number(kb) * 1024 : undefined;
}

/** Bytes of the regular files under `dir` (apparent sizes, as `du -sb` counts them, without the folders). */
async function treeBytes(dir: string): Promise<number> {
  let total = 0;
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += await treeBytes(p);
    else total += (await lstat(p).catch(() => undefined))?.size ?? 0;
  }
  return total;
}

/** The sizes the action's report gives for each target it measured. */
type Measured = { state?: string; compressedBytes?: number; uncompressedBytes?: number };

/** The targets the run's report measured on one side, the head by default. */
function measured(r: BundledRun, side: 'head' | 'base' = 'head'): Array<{ target: string; compressedBytes: number; uncompressedBytes: number }> {
  const report = r.report as { targets?: Array<{ target?: string; head?: Measured; base?: Measured }> } | undefined;
  return (report?.targets ?? []).flatMap((t) => {
    const m = t[side];
    return m?.state === 'measured' && typeof t.target === 'string' && typeof m.compressedBytes === 'number' && typeof m.uncompressedBytes === 'number'
      ? [{ target: t.target, compressedBytes: m.compressedBytes, uncompressedBytes: m.uncompressedBytes }]
      : [];
  });
}

async function docker(args: readonly string[]): Promise<void> {
  const r = await exec('docker', args, { maxCapture: 64 * 1024 });
  if (r.code !== 0) throw new Error(`docker ${args.slice(0, 2).join(' ')} failed (exit ${r.code}):\n${r.stderr.slice(-4000)}`);
}

// ── the source measured ──────────────────────────────────────────────────────────────────────────

/** The commit, and what the work tree changes on top of it (the bundle is built from the work tree). */
export async function sourceState(): Promise<SourceState> {
  const head = await exec('git', ['rev-parse', '--short', 'HEAD']);
  const status = await exec('git', ['status', '--short', '--untracked-files=all']);
  const lines = status.stdout.split('\n').filter((l) => l.trim() !== '');
  const paths = lines.map((l) => l.slice(3).replace(/^.* -> /, ''));
  const folders = [...new Set(paths.map((p) => (p.includes('/') ? p.split('/').slice(0, p.startsWith('src/') ? 2 : 1).join('/') : p)))].sort();
  return {
    head: head.code === 0 ? head.stdout.trim() : 'unknown',
    modified: lines.filter((l) => !l.startsWith('??')).length,
    untracked: lines.filter((l) => l.startsWith('??')).length,
    where: folders
  };
}
