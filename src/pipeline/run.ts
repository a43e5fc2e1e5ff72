// The pipeline of one image up to publishing, shared by the action (main.ts), the images of a config
// file (config-images.ts) and the command line (cli/), in five steps, each with its own home:
//   1. plan (plan.ts) ─► 2. baseline (baseline/choose.ts) ─► 3. engine: builder and cache
//   (buildx/probe.ts, buildx/cache.ts) ─► 4. build and measure head and base, side by side (side.ts)
//   ─► 5. compare and judge (report/compare.ts, report/policy.ts): an Outcome
// Inputs arrive parsed and the event read; publishing (comment, summary, outputs) is the caller's.
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chooseBaseline, type Baseline } from '../baseline/choose.js';
import type { BaselineStore } from '../baseline/store.js';
import { storedHistory } from '../baseline/trend.js';
import { decideCache, hasActionsRuntime } from '../buildx/cache.js';
import { dockerClientEnv } from '../buildx/env.js';
import { probeBuilder, type Capabilities } from '../buildx/probe.js';
import type { Exec } from '../exec.js';
import type { EventContext } from '../github/event.js';
import { isFullSha } from '../git/git.js';
import { SharedLayers } from '../image/shared-layers.js';
import { imagesPerTarget } from '../inputs/inputs.js';
import { INPUT } from '../inputs/names.js';
import { DeferredLog, type Log } from '../log.js';
import { ANY_PLATFORM, type Inputs, type Outcome, type SideResult, type TargetResults } from '../model.js';
import { compare } from '../report/compare.js';
import { formatThreshold } from '../report/format.js';
import type { DockerfileSource } from '../report/annotations.js';
import { buildOutcome, judge } from '../report/policy.js';
import { withHistory, type StoredReport } from '../report/trend.js';
import { STATE } from '../state.js';
import { resolveInsideIfExists } from '../workspace/paths.js';
import { joinSides } from './join.js';
import { buildMasks, tokenMasks } from './masks.js';
import { makePlan, type Plan } from './plan.js';
import { measureGivenImages } from './given-images.js';
import { ExportRoom, freeBytes } from './export-room.js';
import { Gate, MAX_PARALLEL_BUILDS, buildSide, type SideRequest } from './side.js';
import { baseTargets, planTargets, readStages, type TargetPlan } from './targets.js';
import { cacheExportMode } from './trust.js';

export interface PipelineDeps {
  readonly env: NodeJS.ProcessEnv;
  readonly exec: Exec;
  readonly log: Log;
  /** Where stored baselines are looked up (the Actions cache in a workflow); none: always build the base. */
  readonly baselines?: BaselineStore;
  /** Keeps a value for the post step (the action's core.saveState); the command line has none. */
  readonly saveState?: (name: string, value: string) => void;
  /** Probes the builder; probeBuilder when not given. The images of a config file share one probe. */
  readonly probe?: (builder: string | undefined) => Promise<Capabilities>;
}

export interface PipelineResult {
  readonly outcome: Outcome;
  /** `target: error` of every head build that failed: the step fails on these whatever the budgets. */
  readonly headFailures: readonly string[];
  /** The head's Dockerfile, for annotations; a config file's images each have their own (`images`). */
  readonly dockerfile?: DockerfileSource;
  /**
   * With a config file (pipeline/config-images.ts), each image's own result, which `outcome` joins; each is
   * stored as that image's baseline. Absent for a single image.
   */
  readonly images?: readonly ImageResult[];
}

/** One image of a config file, measured on its own. */
export interface ImageResult {
  readonly name: string;
  /** The key its baselines and build cache are kept under, its own: `<comment-key>+<name>`. */
  readonly key: string;
  /** Its rows, each labelled with the image's name. */
  readonly outcome: Outcome;
  readonly headFailures: readonly string[];
  /** Its Dockerfile, for annotations. */
  readonly dockerfile?: DockerfileSource;
}

/** The budgets as understood, normalised (RELIABILITY row 1): `max-increase 10%; max-size release=25 MB`. */
export function describeBudgets(inputs: Inputs): string {
  const parts: string[] = [];
  const each = <T>(name: string, v: { fallback?: T; byTarget: ReadonlyMap<string, T> }, show: (x: T) => string): void => {
    const items = [...(v.fallback !== undefined ? [show(v.fallback)] : []), ...[...v.byTarget].map(([t, x]) => `${t}=${show(x)}`)];
    if (items.length) parts.push(`${name} ${items.join(', ')}`);
  };
  each(INPUT.maxIncrease, inputs.budgets.maxIncrease, formatThreshold);
  each(INPUT.maxSize, inputs.budgets.maxSize, formatThreshold);
  each(INPUT.maxLayers, inputs.budgets.maxLayers, String);
  if (inputs.budgets.maxWasted) each(INPUT.maxWasted, inputs.budgets.maxWasted, formatThreshold);
  return parts.length ? `Budgets (${inputs.metric} size): ${parts.join('; ')}` : `No budgets set (${inputs.metric} size is reported).`;
}


/**
 * Plans, builds and measures the head and its baseline, compares and judges: everything up to
 * publishing. `cleanups` collects what the caller must undo (base checkout, temp folder) whatever
 * happens. A config file's images come with their plan made (config-images.ts plans them all first).
 */
export async function measureAndCompare(
  deps: PipelineDeps,
  inputs: Inputs,
  event: EventContext,
  cleanups: Array<() => Promise<unknown>>,
  made?: Plan
): Promise<PipelineResult> {
  const { env, log } = deps;
  const budgetsLine = describeBudgets(inputs);
  log.info(budgetsLine);
  // One image per call: a config file's images are each given their own Inputs (pipeline/config-images.ts).
  if (inputs.config) throw new Error(`measureAndCompare measures one image; the images of ${inputs.config} go through measureImages`);

  // 1. Plan: refusals, paths, settings, stages, targets; nothing built or checked out yet.
  const plan = made ?? (await makePlan(env, inputs, event));
  if (plan.trust.warning) log.warning(plan.trust.warning);
  // Build secrets (inline, from the environment, the content of secret files) are hidden in the job's log.
  for (const value of plan.headSettings.masks) log.mask?.(value);
  const tmpDir = await runTempDir(env, deps.saveState, cleanups);

  // 2. Baseline: a stored report, the base commit checked out, or none (with the reason).
  const { baseline, notes: baselineNotes } = await chooseBaseline({
    mode: inputs.baseline,
    baseRef: inputs.baseRef,
    eventBase: event.baseSha,
    event: event.event,
    repository: event.repo ? `${event.repo.owner}/${event.repo.name}` : undefined,
    commentKey: inputs.commentKey,
    name: inputs.name,
    headTargets: plan.headTargets,
    workspace: plan.workspace,
    tmpDir,
    store: deps.baselines,
    exec: deps.exec,
    log,
    cleanups,
    ...(inputs.baseImage
      ? {
          baseImage: {
            images: inputs.baseImage,
            platforms: inputs.platforms,
            files: wantsFiles(inputs),
            secrets: buildMasks(inputs.buildArgs, tokenMasks(env, inputs.githubToken)),
            env
          }
        }
      : {})
  });
  const notes = [budgetsLine, ...baselineNotes];
  const history = await historyOf(deps, inputs, event, plan.workspace, tmpDir);
  const base = baseline.kind === 'checkout' ? await baseSide(plan, baseline.checkout.dir) : undefined;
  const targets = planTargets(plan.headStages, base?.stages, inputs.targets, plan.fileLabel);

  // 3. Engine: the builder probed once, the measurement method and the cache decided.
  const { request, sideDeps: engineDeps } = await engine(deps, plan, event, tmpDir, notes);
  const sideDeps = sharingLayers(engineDeps, targets.head.length + (base ? targets.head.length + targets.removed.length : 0));

  // 4. Build and measure the head and, when the base must be built, the base beside it: one
  // BuildKit solves both, each side's log kept in its groups (the base's shown after the head's).
  // With `images`, the head was built by an earlier step: measured, not built.
  const given = inputs.images ? imagesPerTarget(INPUT.images, inputs.images, targets.head.map((t) => t.name)) : undefined;
  const baseLog = new DeferredLog(log);
  const [headDone, baseDone] = await Promise.allSettled([
    given
      ? measureGivenImages(sideDeps, { images: given, platforms: inputs.platforms, secrets: request.secrets, files: request.files === true })
      : buildSide(sideDeps, { ...request, side: 'head', context: plan.context, dockerfile: plan.dockerfile, targets: targets.head }),
    baseResultsOf(baseline, base, targets, notes, (build, side) =>
      buildSide({ ...sideDeps, log: baseLog }, { ...request, build: side.build, side: 'base', context: side.context, dockerfile: side.dockerfile, targets: build })
    )
  ]);
  await baseLog.replay(log);
  if (headDone.status === 'rejected') throw headDone.reason;
  if (baseDone.status === 'rejected') throw baseDone.reason;
  const [head, baseResults] = [headDone.value, baseDone.value];

  // 5. Compare and judge: pure.
  return { ...judged(inputs, event, env, { head, baseResults, baseline, notes, history }), dockerfile: plan.source };
}

/**
 * `details: trend` on a change under review (pull request, merge queue): the reports stored by the
 * base commit and its recent ancestors, newest first; none elsewhere, without a store, or with
 * `baseline: none` (no stored report is read then).
 */
async function historyOf(deps: PipelineDeps, inputs: Inputs, event: EventContext, workspace: string, tmpDir: string): Promise<StoredReport[]> {
  const store = deps.baselines;
  const baseSha = event.baseSha;
  const wanted = inputs.details.includes('trend') && inputs.baseline !== 'none' && (event.pullRequest || event.mergeGroup);
  if (!wanted || !store || !event.repo || !baseSha || !isFullSha(baseSha)) return [];
  const repository = `${event.repo.owner}/${event.repo.name}`;
  return deps.log.group(`Look up the size history of ${baseSha.slice(0, 12)}`, () =>
    storedHistory({ store, repository, commentKey: inputs.commentKey, log: deps.log, baseSha, repoDir: workspace, tmpDir, exec: deps.exec })
  );
}

/** The run's own temp folder (image layouts, the base checkout), removed by the caller's cleanups or the post step. */
async function runTempDir(
  env: NodeJS.ProcessEnv,
  saveState: PipelineDeps['saveState'],
  cleanups: Array<() => Promise<unknown>>
): Promise<string> {
  const tmpRoot = path.resolve(env.RUNNER_TEMP || os.tmpdir());
  await mkdir(tmpRoot, { recursive: true });
  const tmpDir = await mkdtemp(path.join(tmpRoot, 'image-budget-'));
  saveState?.(STATE.tmpDir, tmpDir);
  cleanups.push(() => rm(tmpDir, { recursive: true, force: true }));
  return tmpDir;
}

/** The base checkout's context, Dockerfile (where the head has them), stages and build settings. */
interface BaseSide {
  readonly context: string | undefined;
  readonly dockerfile: string | undefined;
  readonly stages: Awaited<ReturnType<typeof readStages>> | undefined;
  readonly build: SideRequest['build'];
}

async function baseSide(plan: Plan, dir: string): Promise<BaseSide> {
  const context = await resolveInsideIfExists(dir, plan.contextRel, INPUT.context, 'directory');
  const dockerfile = await resolveInsideIfExists(dir, plan.fileRel, INPUT.file, 'file');
  const stages = dockerfile ? await readStages(dockerfile) : undefined;
  return { context, dockerfile, stages, build: context && dockerfile ? (await plan.settingsAt(dir, 'base')).plan : undefined };
}

type SideDeps = Parameters<typeof buildSide>[0];
type CommonRequest = Omit<SideRequest, 'side' | 'context' | 'dockerfile' | 'targets'>;

/**
 * A layer blob is read once per run when the run measures more than one image (`images`, about):
 * they share one SharedLayers. With one, there is nothing to share, and its layers' file lists need
 * not outlive its measurement.
 */
function sharingLayers(sideDeps: SideDeps, images: number): SideDeps {
  return images > 1 ? { ...sideDeps, layers: new SharedLayers() } : sideDeps;
}

/** Probes the builder, picks the measurement method and the cache; notes what the comment must say. */
async function engine(
  deps: PipelineDeps,
  plan: Plan,
  event: EventContext,
  tmpDir: string,
  notes: string[]
): Promise<{ readonly request: CommonRequest; readonly sideDeps: SideDeps }> {
  const { env, exec, log } = deps;
  const { inputs, trust } = plan;
  // The docker client's environment: no token of ours; for a stranger's build no Actions runtime either.
  const clientEnv = dockerClientEnv(env, { untrusted: trust.untrusted !== undefined });
  const caps = await (deps.probe ?? ((builder: string | undefined) => probeBuilder(exec, builder, clientEnv)))(inputs.builder);
  // The classic image store cannot export an OCI layout: images are loaded and read with docker save,
  // uncompressed sizes stay exact and compressed sizes are gzip estimates, labelled as such.
  // (buildSide refuses what that method cannot measure, several platforms, before the first build.)
  const measure = caps.ociExport ? 'oci-layout' : 'docker-save';
  if (measure === 'docker-save') {
    log.info(
      `The builder "${caps.builder.name}" uses the docker driver with the classic image store: images are loaded and read ` +
        'with docker save; compressed sizes are gzip estimates (marked ≈). The containerd image store or a ' +
        'docker-container builder gives exact compressed sizes.'
    );
    notes.push('Compressed sizes marked ≈ are estimates: the builder (classic image store) cannot export the pushed layers.');
  }
  const cache = decideCache({
    requested: inputs.cache,
    realWorkspace: plan.realWorkspace,
    runtime: hasActionsRuntime(env),
    untrusted: trust.untrusted,
    exportAllowed: trust.exportCache,
    exportNote: trust.cacheNote,
    builderName: caps.builder.name,
    builderCanExport: caps.cacheExport,
    mode: cacheExportMode(event)
  });
  for (const line of cache.info) log.info(line);
  for (const line of cache.warnings) log.warning(line);
  notes.push(...cache.notes);
  const request: CommonRequest = {
    platforms: inputs.platforms,
    buildArgs: inputs.buildArgs,
    network: inputs.network,
    builder: inputs.builder,
    cache: cache.cache,
    cacheExport: cache.cacheExport,
    cacheMode: cache.cacheMode,
    commentKey: inputs.commentKey,
    // Every value masked in what the builds write (pipeline/masks.ts): build-arg values, build secrets, the job's tokens.
    secrets: [...buildMasks(inputs.buildArgs, tokenMasks(env, inputs.githubToken)), ...plan.headSettings.masks],
    build: plan.headSettings.plan,
    measure,
    // File lists cost a tar parse of every layer: only when they are shown, judged or explained (advice).
    files: wantsFiles(inputs)
  };
  // One limit on builds at once for the run: head and base build side by side under it.
  return { request, sideDeps: { exec, log, tmpDir, env: clientEnv, gate: new Gate(MAX_PARALLEL_BUILDS), exports: new ExportRoom(() => freeBytes(tmpDir)) } };
}

/** The base side of every row: read from the stored report, built from the checkout, or why there is none. */
async function baseResultsOf(
  baseline: Baseline,
  base: BaseSide | undefined,
  targets: TargetPlan,
  notes: string[],
  build: (targets: TargetPlan['head'], side: BaseSide & { context: string; dockerfile: string }) => Promise<TargetResults[]>
): Promise<TargetResults[]> {
  const all = [...targets.head, ...targets.removed];
  if (baseline.kind === 'stored') {
    const sha = baseline.found.sha.slice(0, 12);
    const missing = baseline.base.missing.map((t) => only(t, { state: 'unavailable', reason: `not in the stored baseline of ${sha}` }));
    return [...baseline.base.results, ...missing];
  }
  if (baseline.kind === 'image') return baseline.results;
  if (baseline.kind === 'unavailable') return targets.head.map((t) => only(t.name, { state: 'unavailable', reason: baseline.reason }));
  // The base commit has no such context or Dockerfile: every target is new.
  if (!base?.context || !base.dockerfile) return all.map((t) => only(t.name, { state: 'absent' }));
  const { build: buildable, absent } = baseTargets(base.stages, all);
  const built = await build(buildable, { ...base, context: base.context, dockerfile: base.dockerfile });
  for (const t of built) {
    if (t.results.some((r) => r.result.state === 'failed')) notes.push(`The base build of ${t.target} failed; it is not compared.`);
  }
  return [...built, ...absent.map((t) => only(t.name, { state: 'absent' }))];
}

/** Step 5: rows joined, compared and judged into the Outcome, with the head builds that failed. */
function judged(
  inputs: Inputs,
  event: EventContext,
  env: NodeJS.ProcessEnv,
  sides: {
    readonly head: TargetResults[];
    readonly baseResults: TargetResults[];
    readonly baseline: Baseline;
    readonly notes: string[];
    readonly history: readonly StoredReport[];
  }
): PipelineResult {
  const { head, baseResults, baseline, notes, history } = sides;
  const rows = joinSides(head, baseResults);
  // Growth is judged where a change is under review (pull request, merge queue) or a base was named
  // explicitly; after the fact (push, schedule) only absolute budgets fail (RELIABILITY row 29).
  const judgeGrowth = Boolean(event.pullRequest || event.mergeGroup || inputs.baseRef);
  const budgets = judgeGrowth ? inputs.budgets : { ...inputs.budgets, maxIncrease: { byTarget: new Map() } };
  if (!judgeGrowth && (inputs.budgets.maxIncrease.fallback || inputs.budgets.maxIncrease.byTarget.size)) {
    notes.push(`max-increase is judged on pull requests; on ${event.event || 'this event'} the growth is shown, not judged.`);
  }
  // `name` labels every row, so that reports merged from matrix jobs keep their images apart.
  const labelled = inputs.name === undefined ? rows : rows.map((r) => ({ ...r, image: inputs.name }));
  const outcome = buildOutcome({
    metric: inputs.metric,
    rows: withHistory(judge(compare(labelled), budgets, inputs.metric), history, inputs.name),
    head: { sha: event.headSha ?? env.GITHUB_SHA ?? 'unknown', ...(event.ref ? { ref: event.ref } : {}) },
    ...baseOf(inputs, baseline),
    notes
  });
  const headFailures = head.flatMap((t) => t.results.flatMap((r) => (r.result.state === 'failed' ? [`${t.target}: ${r.result.error}`] : [])));
  return { outcome, headFailures };
}

/** The base commit the outcome names; a base-ref that names a branch or tag is shown beside it, a SHA once. */
function baseOf(inputs: Inputs, baseline: Baseline): { base?: { sha: string; ref?: string } } {
  if (baseline.kind === 'stored') return { base: { sha: baseline.found.sha } };
  if (baseline.kind !== 'checkout') return {};
  const { sha } = baseline.checkout;
  return { base: { sha, ...(inputs.baseRef && inputs.baseRef.toLowerCase() !== sha ? { ref: inputs.baseRef } : {}) } };
}

/** Whether the layers' files are read: for the files table, the wasted-space budget, the advice. */
function wantsFiles(inputs: Inputs): boolean {
  return inputs.details.includes('files') || inputs.budgets.maxWasted !== undefined || inputs.advice;
}

function only(target: string, result: SideResult): TargetResults {
  return { target, results: [{ platform: ANY_PLATFORM, result }] };
}
