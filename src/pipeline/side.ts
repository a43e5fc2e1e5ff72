// Build and measure every target of one side (head or base). The targets build side by side (at most
// MAX_PARALLEL_BUILDS at once) on the one BuildKit, each in its own log group. Two paths, chosen from
// what the builder can do (passed in as `measure`):
// - `oci-layout`: buildx exports an OCI layout, every number exact: into a directory when the disk
//   has room (each layer measured as it is written, image/layout-follow.ts), or as a tar into a pipe,
//   measured while it is written and never on disk (export-room.ts decides, per build). A directory
//   export that fills the disk is done again as a stream;
// - `docker-save`: the builder can only load images (the `docker` driver on the classic image store):
//   the image is loaded under a temporary tag, `docker save` is streamed into the measurer (compressed
//   sizes are gzip estimates), and the tag is removed afterwards, whatever happened.
// A failed build is a result, not an exception. A build that failed only because of its cache is
// built again without cache; one that met a registry's pull limit or a 5xx is retried, a bounded
// number of times, with growing waits.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { cacheScopesFor, loadTag, type BuildPlan, type PlanSettings } from '../buildx/argv.js';
import { EXPORT_STDOUT, runBuild, type BuildOptions, type BuildOutcome } from '../buildx/build.js';
import { actionsCacheAccess } from '../baseline/cache-service.js';
import { isCacheFailure, isTransientRegistryError, maskSecrets, withCacheHint } from '../buildx/failure.js';
import type { ResolvedTarget } from '../dockerfile/stages.js';
import { spawnStream, type Exec, type StreamExec } from '../exec.js';
import { ArchiveError } from '../image/archive-reader.js';
import { measureDockerSave, type DockerSaveOptions } from '../image/docker-save.js';
import type { MeasureOptions } from '../image/measure.js';
import type { SharedLayers } from '../image/shared-layers.js';
import { measureOciStream } from '../image/oci-stream.js';
import { measureOciLayout } from '../image/measure.js';
import { LayoutFollower } from '../image/layout-follow.js';
import { InputError } from '../inputs/errors.js';
import { INPUT } from '../inputs/names.js';
import { DeferredLog, type Log } from '../log.js';
import type { CacheSpec, ImageStats, MeasureMethod, SideResult } from '../model.js';
import { ANY_PLATFORM, type TargetResults } from '../model.js';
import { errorMessage } from '../errors.js';
import { ExportRoom, freeBytes, type ExportSlot } from './export-room.js';
import { maskImagePaths } from './masks.js';

export interface SideRequest {
  readonly side: 'head' | 'base';
  readonly context: string;
  readonly dockerfile: string;
  readonly targets: readonly ResolvedTarget[];
  readonly platforms: readonly string[];
  readonly buildArgs: ReadonlyArray<readonly [string, string]>;
  readonly network: string | undefined;
  readonly builder: string | undefined;
  readonly cache: CacheSpec;
  readonly cacheExport: boolean;
  /** `max` for push, schedule and dispatch runs of the default branch, `min` elsewhere (pipeline/trust.ts cacheExportMode). */
  readonly cacheMode?: 'max' | 'min';
  readonly commentKey: string;
  /** Values that must never appear in messages (build-arg values). */
  readonly secrets: readonly string[];
  /**
   * How images are measured, from the builder's capabilities: `oci-layout` (the default) when it can
   * export an OCI image (`Capabilities.ociExport`), else `docker-save` (load, then `docker save`).
   */
  readonly measure?: MeasureMethod;
  /** Also read the layers' files (final files, wasted space) in the same pass: `details: files` or `max-wasted`. */
  readonly files?: boolean;
  /** Secrets, named contexts and the other build settings, resolved for this side. */
  readonly build?: PlanSettings;
}

// Streams are run through the exec seam; the types are re-exported for the callers that inject one.
export type { StreamExec, StreamedRun } from '../exec.js';

export interface SideDeps {
  readonly exec: Exec;
  readonly log: Log;
  /** A private temp dir for layouts; removed by the caller. */
  readonly tmpDir: string;
  /** Environment of the buildx client (carries the Actions cache runtime, never passed into builds). */
  readonly env: NodeJS.ProcessEnv;
  /** Runs `docker save` with a streamed stdout; defaults to {@link spawnStream}. */
  readonly streamExec?: StreamExec;
  /**
   * The waits before each new attempt after a transient registry error (RELIABILITY row 17), one per
   * retry; default {@link REGISTRY_RETRY_DELAYS_MS}.
   */
  readonly registryRetryDelaysMs?: readonly number[];
  /** How a wait is done; defaults to a timer (tests pass their own). */
  readonly sleep?: (ms: number) => Promise<void>;
  /** The run's limit on builds at once, shared by head and base; one of MAX_PARALLEL_BUILDS per side by default. */
  readonly gate?: Gate;
  /** Where images are exported (directory or stream), shared by head and base; one per side, reading tmpDir's free space, by default. */
  readonly exports?: ExportRoom;
  /** The layers the run measured, shared by head and base: a blob is read once per run. None: each image reads its own. */
  readonly layers?: SharedLayers;
}

/** Two retries: Docker Hub's limits and a registry's 5xx often pass within a minute. */
export const REGISTRY_RETRY_DELAYS_MS: readonly number[] = [10_000, 30_000];

/**
 * Checks, before any build, that the request can be measured: loading into the classic image store
 * takes one platform at a time (RELIABILITY row 18), never buildx's raw "docker exporter does not
 * currently support exporting manifest lists".
 */
export function checkSideRequest(req: Pick<SideRequest, 'measure' | 'platforms'>): void {
  if (req.measure === 'docker-save' && req.platforms.length > 1) {
    throw new InputError(INPUT.platforms, req.platforms.join(','), 'one platform', {
      problem: 'cannot be measured at once: the builder uses the classic image store, which loads one platform at a time',
      hint:
        'measure one platform at a time (one platform per job, e.g. a matrix), or turn on the containerd image store ' +
        '({"features":{"containerd-snapshotter":true}} in daemon.json) or use a docker-container builder'
    });
  }
}

/**
 * The cache as the job's token allows it (RELIABILITY row 14): a runner that hands out a read-only
 * Actions cache token says so in ACTIONS_CACHE_MODE; the export is then left out rather than
 * refused. Only the gha cache depends on that token.
 */
function cacheAllowed(deps: SideDeps, req: SideRequest): { cache: CacheSpec; cacheExport: boolean; readCache: boolean } {
  const access = req.cache.type === 'gha' ? actionsCacheAccess(deps.env) : { read: true, write: true };
  const mode = `ACTIONS_CACHE_MODE=${access.mode ?? ''}`;
  // Said once: the base side is built with the same token, after the head.
  const say = (message: string): void => {
    if (req.side === 'head') deps.log.warning(message);
  };
  if (!access.read && !access.write) {
    say(`cache: this job's token may not use the Actions cache (${mode}): building without cache.`);
    return { cache: { type: 'none' }, cacheExport: false, readCache: false };
  }
  if (!access.write && req.cacheExport) {
    say(`cache: this job's token may only read the Actions cache (${mode}): the cache is read, not written (no --cache-to).`);
  }
  if (!access.read) say(`cache: this job's token may only write the Actions cache (${mode}): the cache is written, not read.`);
  return { cache: req.cache, cacheExport: req.cacheExport && access.write, readCache: access.read };
}

/**
 * Targets built at once: their builds run side by side on the one BuildKit, whose solver runs
 * independent stages in parallel and a stage they share once. Past this many, the others wait.
 */
export const MAX_PARALLEL_BUILDS = 4;

/**
 * Builds and measures every target of the side, side by side. Each target keeps its log group, in
 * target order: the first target's build log is shown live; the others' is kept (DeferredLog) and
 * shown in their group when its turn comes. A failed target does not stop the others.
 */
export async function buildSide(deps: SideDeps, req: SideRequest): Promise<TargetResults[]> {
  checkSideRequest(req);
  const allowed = cacheAllowed(deps, req);
  const gate = deps.gate ?? new Gate(MAX_PARALLEL_BUILDS);
  deps = deps.exports ? deps : { ...deps, exports: new ExportRoom(() => freeBytes(deps.tmpDir)) };
  const title = (t: ResolvedTarget): string => `Build ${req.side} target ${t.name}`;
  const [first, ...rest] = req.targets;
  if (!first) return [];
  const firstDone = deps.log.group(title(first), () => gate.run(() => oneTarget(deps, req, allowed, 0)));
  const kept = rest.map(() => new DeferredLog(deps.log));
  const others = rest.map((_, j) => gate.run(() => oneTarget({ ...deps, log: kept[j] as DeferredLog }, req, allowed, j + 1)));
  // Awaited in order below; a rejection meanwhile is not an unhandled one.
  for (const o of others) o.catch(() => undefined);
  const out: TargetResults[] = [{ target: first.name, results: await firstDone }];
  for (const [j, target] of rest.entries()) {
    const results = await deps.log.group(title(target), async () => {
      try {
        return await (others[j] as Promise<Results>);
      } finally {
        await kept[j]?.replay(deps.log);
      }
    });
    out.push({ target: target.name, results });
  }
  return out;
}

/** Runs at most `max` tasks at a time, the others in the order they came. */
export class Gate {
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  constructor(private readonly max: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.max) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running++;
    try {
      return await task();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }
}

type Allowed = ReturnType<typeof cacheAllowed>;

/** One target: its plan, its build and measurement, and the cleanup of what the build left. */
async function oneTarget(deps: SideDeps, req: SideRequest, allowed: Allowed, i: number): Promise<Results> {
  const target = req.targets[i] as ResolvedTarget;
  const load = req.measure === 'docker-save';
  const dir = path.join(deps.tmpDir, `${req.side}-${i}`);
  await mkdir(dir, { recursive: true });
  const slot: ExportSlot | undefined = load ? undefined : await (deps.exports as ExportRoom).take(() => writingFolder(path.join(dir, 'layout')));
  const plan: BuildPlan = {
    context: req.context,
    file: req.dockerfile,
    stage: target.stage,
    platforms: req.platforms,
    buildArgs: req.buildArgs,
    network: req.network,
    builder: req.builder,
    cache: allowed.cache,
    cacheScopes: readScopes(cacheScopesFor(req.commentKey, req.side, target.name, req.platforms), allowed.readCache),
    // The classic store refuses cache export: cache-from only there.
    cacheExport: allowed.cacheExport && !load,
    ...(req.cacheMode ? { cacheMode: req.cacheMode } : {}),
    outputDir: path.join(dir, 'layout'),
    metadataFile: path.join(dir, 'metadata.json'),
    ...(req.build ? { build: req.build } : {}),
    ...(load ? { load: { tag: loadTag(req.commentKey, req.side, target.name, randomBytes(6).toString('hex')) } } : {}),
    ...(slot?.kind === 'stream' ? { stream: EXPORT_STDOUT } : {})
  };
  try {
    return await buildAndMeasure(deps, req, target.name, plan, slot?.low);
  } finally {
    // A loaded image goes, even when the build or the measurement failed; so does the build's folder.
    if (plan.load) await removeImage(deps, plan.load.tag, req.secrets);
    await rm(dir, { recursive: true, force: true });
    slot?.release();
  }
}

/** Whether buildx is writing blobs into a layout folder now: its content store's ingest/ holds one. */
async function writingFolder(layout: string): Promise<boolean> {
  return (await readdir(path.join(layout, 'ingest')).catch(() => [])).length > 0;
}

const readScopes = (scopes: BuildPlan['cacheScopes'], read: boolean): BuildPlan['cacheScopes'] => (read ? scopes : { ...scopes, from: [] });

type Results = TargetResults['results'];

/** `low`: aborted when the disk runs short during a directory export (export-room.ts), which then streams. */
async function buildAndMeasure(deps: SideDeps, req: SideRequest, target: string, plan: BuildPlan, low?: AbortSignal): Promise<Results> {
  const output = deps.log.output?.bind(deps.log);
  const onWarning = (m: string): void => deps.log.warning(m);
  const measureOptions: MeasureOptions = { target, secrets: req.secrets, onWarning, files: req.files === true, ...(deps.layers ? { shared: deps.layers } : {}) };
  // The export of the last build attempt that streamed, measured while buildx writes it.
  let exported: Promise<ImageStats[]> | undefined;
  const options: BuildOptions = {
    secrets: req.secrets,
    env: deps.env,
    // buildx/build.ts masks the log (secretMasker, a value split across chunks too) before onLog.
    ...(output ? { onLog: output } : {}),
    ...(low ? { signal: low } : {}),
    onExport: (stream) => {
      exported = measureExport(stream, measureOptions);
      // A failed attempt's export is cut short: its measurement's failure is not this target's.
      exported.catch(() => undefined);
    }
  };
  // A folder export is followed as buildx writes it: each layer is measured as it lands.
  const follower = plan.load === undefined && plan.stream === undefined ? new LayoutFollower(plan.outputDir, measureOptions) : undefined;
  follower?.start();
  let built: Awaited<ReturnType<typeof buildTarget>>;
  try {
    built = await buildTarget(deps, req, target, plan, options, follower);
  } finally {
    await follower?.end();
  }
  // With ignore-error=true a failed export is only a line of the log: a warning, and the image counts.
  for (const problem of built.cacheProblems) deps.log.warning(`cache (${req.side} ${target}): ${withCacheHint(problem)}`);
  if (!built.ok) {
    deps.log.warning(`${req.side} build of ${target} failed: ${built.error}`);
    return [{ platform: ANY_PLATFORM, result: { state: 'failed', error: built.detail } }];
  }
  try {
    const images = plan.load
      ? await measureLoaded(deps, plan.load.tag, { ...measureOptions, ...(req.platforms[0] !== undefined ? { platform: req.platforms[0] } : {}) })
      : built.streamed
        ? await (exported ?? Promise.reject(new Error('buildx wrote no image to the export stream')))
        : await measureOciLayout(built.layoutDir, measureOptions, follower);
    return images.map((image) => ({ platform: image.platform, result: { state: 'measured', image: maskImagePaths(image, req.secrets) } as SideResult }));
  } catch (e) {
    const message = maskSecrets(errorMessage(e), req.secrets);
    return [{ platform: ANY_PLATFORM, result: { state: 'failed', error: `measurement failed: ${message}` } }];
  }
}

/** What a build's file system write says when the disk is full (ENOSPC). */
const NO_SPACE = /no space left on device/i;

/**
 * The build, and the builds again that some failures call for: without cache when only the cache
 * failed it; as a stream when its export to a directory filled the disk, or was stopped because the
 * disk ran short (options.signal). `streamed` says whether the last attempt exported to the stream.
 */
async function buildTarget(
  deps: SideDeps,
  req: SideRequest,
  target: string,
  plan: BuildPlan,
  options: BuildOptions,
  follower: LayoutFollower | undefined
): Promise<BuildOutcome & { readonly streamed: boolean }> {
  const what = `${req.side} build of ${target}`;
  let built = await buildRetryingRegistry(deps, what, plan, options);
  // A build stopped for room (below) may read like a cache failure; it is not one.
  const stopped = (): boolean => options.signal?.aborted === true;
  if (!built.ok && !stopped() && plan.cache.type !== 'none' && isCacheFailure(built.error, built.cacheProblems)) {
    // A cache backend that cannot be set up, or a BuildKit that failed the build on a cache export it
    // was told to ignore, must not cost the build (RELIABILITY rows 11, 12, 14).
    deps.log.warning(`cache: ${withCacheHint(built.error)}; building ${target} again without cache.`);
    plan = { ...plan, cache: { type: 'none' } };
    built = await buildRetryingRegistry(deps, what, plan, options);
  }
  const toDirectory = plan.load === undefined && plan.stream === undefined;
  if (!built.ok && toDirectory && (stopped() || NO_SPACE.test(`${built.error}\n${built.detail}`))) {
    const why = stopped() ? 'the disk ran short of free space' : 'the disk filled up';
    deps.log.info(`${what}: ${why} while the image was written to ${plan.outputDir}; building again, measured as it is exported (nothing written to disk).`);
    // The layers followed in the folder will not be finished: their measurements end (and are
    // forgotten by the run's SharedLayers) before the stream, which could otherwise wait for them.
    await follower?.end();
    await rm(plan.outputDir, { recursive: true, force: true });
    plan = { ...plan, stream: EXPORT_STDOUT };
    const { signal: _stopped, ...again } = options;
    built = await buildRetryingRegistry(deps, what, plan, again);
  }
  return { ...built, streamed: plan.stream !== undefined };
}

/**
 * Measures an export stream as buildx writes it. The measurement's clock starts with the first
 * bytes (BuildKit exports once the build is solved). A measurement that fails still reads the
 * stream to its end, so that buildx is never blocked on a full pipe.
 */
async function measureExport(raw: Readable, opts: MeasureOptions): Promise<ImageStats[]> {
  await firstBytes(raw);
  const feed = new PassThrough();
  raw.pipe(feed);
  try {
    return await measureOciStream(feed, opts);
  } catch (e) {
    raw.unpipe(feed);
    raw.resume();
    throw e;
  }
}

/** Resolves when `stream` has bytes to read (kept for the reader) or has ended. */
function firstBytes(stream: Readable): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off('data', onData);
      stream.off('end', done);
      stream.off('error', done);
      resolve();
    };
    const onData = (chunk: Buffer): void => {
      stream.pause();
      stream.unshift(chunk);
      done();
    };
    stream.on('data', onData);
    stream.once('end', done);
    stream.once('error', done);
  });
}

/**
 * Runs the build; after a transient registry error (a pull limit, a registry's 5xx) waits and builds
 * again, once per entry of the delays. When the last attempt fails the same way, the failure says so.
 */
async function buildRetryingRegistry(deps: SideDeps, what: string, plan: BuildPlan, options: BuildOptions): Promise<BuildOutcome> {
  const delays = deps.registryRetryDelaysMs ?? REGISTRY_RETRY_DELAYS_MS;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let built = await runBuild(deps.exec, plan, options);
  for (const [i, ms] of delays.entries()) {
    if (built.ok || !isTransientRegistryError(built.error)) return built;
    deps.log.warning(`${what}: transient registry error; building again in ${seconds(ms)} (retry ${i + 1} of ${delays.length}): ${built.error}`);
    await sleep(ms);
    built = await runBuild(deps.exec, plan, options);
  }
  if (built.ok || !isTransientRegistryError(built.error)) return built;
  const attempts = `${delays.length + 1} attempt${delays.length === 0 ? '' : 's'}`;
  const verdict =
    `transient registry error: the registry refused or failed every one of ${attempts} (rate limit or 5xx); ` +
    're-run the job later, or log in to the registry (docker/login-action) for a higher pull limit.';
  return { ...built, error: `transient registry error (${attempts}): ${built.error}`, detail: `${built.detail}\n${verdict}` };
}

const seconds = (ms: number): string => `${Math.round(ms / 100) / 10}s`;

const lastLine = (s: string): string =>
  s
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .pop() ?? '';

/**
 * Streams `docker save <tag>` into the measurer: one pass, no file written, no layer in memory. The
 * classic store's save by default (measureDockerSave); the containerd store's holds the stored,
 * compressed layers, read as an OCI export (`measureOciStream`).
 */
export async function measureLoaded(
  deps: Pick<SideDeps, 'streamExec' | 'env'>,
  tag: string,
  opts: DockerSaveOptions,
  measure: (stream: Readable, opts: DockerSaveOptions) => Promise<ImageStats[]> = measureDockerSave
): Promise<ImageStats[]> {
  const run = (deps.streamExec ?? spawnStream)('docker', ['save', '--', tag], { env: deps.env });
  const measured = measure(run.stdout, opts);
  // A measurement that gives up closes the pipe; make sure `docker save` does not linger either way.
  measured.catch(() => run.kill());
  const [m, d] = await Promise.allSettled([measured, run.done]);
  if (d.status === 'rejected') throw d.reason;
  // A measurement that failed on what it read closed the pipe: docker save's own failure (a broken
  // pipe) follows from it. Only a stream that ended early is better explained by docker save.
  const truncated = m.status === 'rejected' && m.reason instanceof ArchiveError && m.reason.truncated;
  if (m.status === 'rejected' && !truncated) throw m.reason;
  if (d.value.code !== 0) {
    throw new Error(`docker save ${tag} failed (exit code ${d.value.code}): ${lastLine(d.value.stderr) || 'no message'}`);
  }
  if (m.status === 'rejected') throw m.reason;
  return m.value;
}

/** `docker image rm <tag>`; a tag that was never created (failed build) is not a problem. */
async function removeImage(deps: SideDeps, tag: string, secrets: readonly string[]): Promise<void> {
  try {
    const r = await deps.exec('docker', ['image', 'rm', tag], { env: deps.env });
    if (r.code !== 0 && !/no such image/i.test(r.stderr)) {
      deps.log.warning(`Could not remove the temporary image ${tag}: ${maskSecrets(lastLine(r.stderr), secrets) || `exit code ${r.code}`}`);
    }
  } catch (e) {
    deps.log.warning(`Could not remove the temporary image ${tag}: ${errorMessage(e)}`);
  }
}
