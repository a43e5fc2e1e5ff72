// The pipeline up to publishing, shared by the action (main.ts) and the command line (cli/):
//   plan ─► build head ─► baseline (build the base) ─► compare ─► policy ─► Outcome
// Inputs arrive parsed and the event read; publishing (comment, summary, outputs) is the caller's.
import { mkdtemp, mkdir, readFile, realpath, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { baseFromReport, type BaseFromReport } from '../baseline/from-report.js';
import { findStoredBaseline, type FoundBaseline } from '../baseline/resolve.js';
import type { BaselineStore } from '../baseline/store.js';
import { dockerClientEnv } from '../buildx/env.js';
import { probeBuilder, type Capabilities } from '../buildx/probe.js';
import { resolveSettings } from '../buildx/settings.js';
import { syntaxDirective } from '../dockerfile/directives.js';
import type { Exec } from '../exec.js';
import { BaselineUnavailableError, checkoutBase, type BaseCheckout } from '../git/base-checkout.js';
import { Git, InvalidRefError, isFullSha } from '../git/git.js';
import type { EventContext } from '../github/event.js';
import { InputError } from '../inputs/errors.js';
import { secretInputsSet } from '../inputs/build.js';
import { checkBudgetTargets } from '../inputs/inputs.js';
import { INPUT } from '../inputs/names.js';
import type { Log } from '../log.js';
import { NO_BUILD_SETTINGS, type Inputs, type Outcome, type SideResult } from '../model.js';
import { STATE } from '../post.js';
import { compare } from '../report/compare.js';
import { formatThreshold } from '../report/format.js';
import { buildOutcome, judge } from '../report/policy.js';
import { resolveInside, resolveInsideIfExists } from '../workspace/paths.js';
import { ANY_PLATFORM, joinSides, type TargetResults } from './join.js';
import { buildMasks, tokenMasks } from './masks.js';
import { buildSide, type SideRequest } from './side.js';
import { baseTargets, planTargets, readStages } from './targets.js';
import { buildTrust, cacheExportMode, frontendRefusal, secretsRefusal } from './trust.js';

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
  /**
   * With a config file (pipeline/images.ts), each image's own result, which `outcome` joins; each is
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

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === 'string' ? error : `unexpected failure: ${JSON.stringify(error) ?? String(error)}`;
}

/**
 * Plans, builds and measures the head and its baseline, compares and judges: everything up to
 * publishing. `cleanups` collects what the caller must undo (worktree, temp folder) whatever happens.
 */
export async function measureAndCompare(
  deps: PipelineDeps,
  inputs: Inputs,
  event: EventContext,
  cleanups: Array<() => Promise<unknown>>
): Promise<PipelineResult> {
  const { env, exec, log } = deps;
  const saveState = deps.saveState ?? ((): void => undefined);
  const budgetsLine = describeBudgets(inputs);
  log.info(budgetsLine);
  // One image per call: a config file's images are each given their own Inputs (pipeline/images.ts).
  if (inputs.config) throw new Error(`measureAndCompare measures one image; the images of ${inputs.config} go through measureImages`);

  // Untrusted code in a privileged run (a fork's, on pull_request_target or workflow_run): refused
  // unless allow-fork-builds, and then built without writing the cache (security requirements 1, 12).
  const settings = inputs.build ?? NO_BUILD_SETTINGS;
  const secretRefusal = secretsRefusal(event, secretInputsSet(settings));
  if (secretRefusal) throw new Error(secretRefusal);
  const trust = buildTrust(event, inputs.allowForkBuilds);
  if (trust.refusal) throw new Error(trust.refusal);
  if (trust.warning) log.warning(trust.warning);

  // 2. Plan: paths confined to the workspace, Dockerfile stages, base checkout, targets per side.
  const workspace = path.resolve(env.GITHUB_WORKSPACE || process.cwd());
  const context = await resolveInside(workspace, inputs.context, INPUT.context, 'directory');
  const fileLabel = inputs.file ?? path.join(inputs.context, 'Dockerfile');
  const dockerfile = await resolveInside(workspace, fileLabel, INPUT.file, 'file');
  // The same places in the base commit's worktree, relative to the workspace.
  const realWorkspace = await realpath(workspace);
  const contextRel = path.relative(realWorkspace, context) || '.';
  const fileRel = path.relative(realWorkspace, dockerfile);
  const settingsAt = (root: string, side: 'head' | 'base') => resolveSettings(settings, { workspace: realWorkspace, root, env, side });
  const headSettings = await settingsAt(workspace, 'head');
  const headStages = await readStages(dockerfile);
  // A stranger's Dockerfile may not name its own frontend (BuildKit would run that image as the build).
  const frontend = frontendRefusal({
    untrusted: trust.untrusted,
    file: fileLabel,
    directive: trust.untrusted === undefined ? undefined : syntaxDirective(await readFile(dockerfile, 'utf8')),
    buildArgs: inputs.buildArgs
  });
  if (frontend) throw new Error(frontend);
  const tmpRoot = path.resolve(env.RUNNER_TEMP || os.tmpdir());
  await mkdir(tmpRoot, { recursive: true });
  const tmpDir = await mkdtemp(path.join(tmpRoot, 'image-budget-'));
  saveState(STATE.tmpDir, tmpDir);
  cleanups.push(() => rm(tmpDir, { recursive: true, force: true }));

  const notes: string[] = [budgetsLine];
  const baseRef = inputs.baseRef ?? event.baseSha;

  // The stored report of the base commit (or a recent ancestor) spares building the base.
  let stored: { readonly found: FoundBaseline; readonly base: BaseFromReport } | undefined;
  const repository = event.repo ? `${event.repo.owner}/${event.repo.name}` : undefined;
  if ((inputs.baseline === 'auto' || inputs.baseline === 'report') && baseRef && deps.baselines && repository) {
    const store = deps.baselines;
    const baseSha = await commitOf(workspace, baseRef, exec);
    const found = baseSha
      ? await log.group(`Look up the stored baseline of ${baseRef}`, () =>
          findStoredBaseline({ store, repository, commentKey: inputs.commentKey, baseSha, repoDir: workspace, exec, log })
        )
      : undefined;
    if (found) {
      const names = planTargets(headStages, undefined, inputs.targets, fileLabel).head.map((t) => t.name);
      const base = baseFromReport(found.report, names, inputs.name);
      if (base.missing.length === 0 || inputs.baseline === 'report') {
        stored = { found, base };
      } else {
        log.info(`The stored baseline of ${found.sha.slice(0, 12)} has no measured image of ${base.missing.join(', ')}; building the base instead.`);
      }
    }
  }

  let base: BaseCheckout | undefined;
  let baseUnavailable: string | undefined;
  if (stored) {
    const { found } = stored;
    const run = found.report.runId !== undefined ? ` run ${found.report.runId}` : '';
    log.info(`Baseline: the report stored by the ${found.report.event}${run} of ${found.sha} (${found.report.createdAt}); the base is not built.`);
    notes.push(
      found.distance === 0
        ? `Baseline: the report stored for ${found.sha.slice(0, 12)} by its ${found.report.event} run; the base was not rebuilt.`
        : `Baseline: ${baseRef?.slice(0, 12)} has no stored report; compared with the report of its ancestor ${found.sha.slice(0, 12)}, ` +
            `${found.distance} commit${found.distance === 1 ? '' : 's'} earlier.`
    );
  } else if (inputs.baseline === 'none') {
    baseUnavailable = 'baseline: none';
  } else if (inputs.baseline === 'report') {
    baseUnavailable = `no stored report for ${baseRef ?? 'this run'}`;
    notes.push(`No stored baseline report found for ${baseRef ?? 'this run'}; sizes are absolute.`);
  } else if (!baseRef) {
    baseUnavailable = `no base commit for event ${event.event || 'unknown'}`;
  } else {
    try {
      base = await log.group(`Check out base ${baseRef}`, () => checkoutBase({ repoDir: workspace, ref: baseRef, tmpRoot: tmpDir, exec }));
      saveState(STATE.worktree, JSON.stringify({ repo: workspace, dir: base.dir }));
      cleanups.push(() => base!.cleanup());
    } catch (e) {
      if (e instanceof InvalidRefError && inputs.baseRef) {
        throw new InputError(INPUT.baseRef, baseRef, 'a commit SHA or a ref name', { problem: `is not usable: ${e.message}` });
      }
      // Whatever keeps the base from being checked out (unreachable commit, not a git checkout, a
      // workspace git refuses as another user's, no git at all): the head is still measured and
      // judged on absolute budgets (PRODUCT 7, RELIABILITY row 22).
      baseUnavailable = e instanceof BaselineUnavailableError ? e.message : `could not check out base ${baseRef}: ${errorMessage(e)}`;
      log.warning(`Baseline unavailable: ${baseUnavailable}`);
      notes.push(`Baseline unavailable: ${baseUnavailable}.`);
    }
  }
  let baseContext: string | undefined;
  let baseDockerfile: string | undefined;
  if (base) {
    baseContext = await resolveInsideIfExists(base.dir, contextRel, INPUT.context, 'directory');
    baseDockerfile = await resolveInsideIfExists(base.dir, fileRel, INPUT.file, 'file');
  }
  const baseStages = baseDockerfile ? await readStages(baseDockerfile) : undefined;
  const targets = planTargets(headStages, baseStages, inputs.targets, fileLabel);
  checkBudgetTargets(inputs.budgets, [...targets.head, ...targets.removed].map((t) => t.name));

  // 3. Engine: probed once, before the first build.
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
  // A relative local cache folder is the workspace's (where actions/cache saves it), not the context's.
  let cache = inputs.cache.type === 'local' ? { ...inputs.cache, dir: path.resolve(realWorkspace, inputs.cache.dir) } : inputs.cache;
  if (cache.type === 'gha' && !(env.ACTIONS_RUNTIME_TOKEN && (env.ACTIONS_CACHE_URL || env.ACTIONS_RESULTS_URL))) {
    log.info('cache: gha needs the Actions runtime (ACTIONS_RUNTIME_TOKEN); building without cache.');
    cache = { type: 'none' };
  }
  if (cache.type === 'gha' && trust.untrusted !== undefined) {
    // buildx hands the runtime token to the gha cache, whose attributes reach the build's frontend.
    const note = `No build cache: this run builds ${trust.untrusted}, and the gha cache would put the Actions runtime token within its reach.`;
    log.info(`cache: ${note}`);
    notes.push(note);
    cache = { type: 'none' };
  }
  if (cache.type !== 'none' && !trust.exportCache) {
    log.info(trust.cacheNote ?? 'cache: read, not written.');
  } else if (cache.type !== 'none' && !caps.cacheExport) {
    log.warning(
      `cache: the builder "${caps.builder.name}" (docker driver, classic image store) cannot export build cache; ` +
        'the cache is read but not written, and the build goes on. A docker-container builder or the containerd image store can write it.'
    );
  }
  // Every value masked in what the builds write (pipeline/masks.ts): build-arg values, build secrets, the job's tokens.
  const secrets = [...buildMasks(inputs.buildArgs, tokenMasks(env, inputs.githubToken)), ...headSettings.masks];
  const common = {
    platforms: inputs.platforms,
    buildArgs: inputs.buildArgs,
    network: inputs.network,
    builder: inputs.builder,
    cache,
    cacheExport: caps.cacheExport && trust.exportCache,
    cacheMode: cacheExportMode(event),
    commentKey: inputs.commentKey,
    secrets,
    build: headSettings.plan,
    measure,
    // File lists cost a tar parse of every layer: only when they are shown, judged or explained (advice).
    files: inputs.details.includes('files') || inputs.budgets.maxWasted !== undefined || inputs.advice
  } satisfies Partial<SideRequest>;
  const sideDeps = { exec, log, tmpDir, env: clientEnv };

  // 4. Build and measure the head, then the base.
  const head = await buildSide(sideDeps, { ...common, side: 'head', context, dockerfile, targets: targets.head });
  let baseResults: TargetResults[];
  if (stored) {
    const sha = stored.found.sha.slice(0, 12);
    baseResults = [
      ...stored.base.results,
      ...stored.base.missing.map((t) => only(t, { state: 'unavailable', reason: `not in the stored baseline of ${sha}` }))
    ];
  } else if (base && baseContext && baseDockerfile) {
    const { build, absent } = baseTargets(baseStages, [...targets.head, ...targets.removed]);
    const baseBuild = (await settingsAt(base.dir, 'base')).plan;
    const built = await buildSide(sideDeps, { ...common, build: baseBuild, side: 'base', context: baseContext, dockerfile: baseDockerfile, targets: build });
    baseResults = [...built, ...absent.map((t) => only(t.name, { state: 'absent' }))];
    for (const t of built) {
      if (t.results.some((r) => r.result.state === 'failed')) {
        notes.push(`The base build of ${t.target} failed; it is not compared.`);
      }
    }
  } else if (base) {
    // The base commit has no such Dockerfile: every target is new.
    baseResults = [...targets.head, ...targets.removed].map((t) => only(t.name, { state: 'absent' }));
  } else {
    const reason = baseUnavailable ?? 'baseline unavailable';
    baseResults = targets.head.map((t) => only(t.name, { state: 'unavailable', reason }));
  }

  // 5. Compare and judge: pure.
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
  const judged = judge(compare(labelled), budgets, inputs.metric);
  const outcome = buildOutcome({
    metric: inputs.metric,
    rows: judged,
    head: { sha: event.headSha ?? env.GITHUB_SHA ?? 'unknown', ...(event.ref ? { ref: event.ref } : {}) },
    // A base-ref that names a branch or tag is shown beside the commit; a SHA is shown once.
    ...(stored ? { base: { sha: stored.found.sha } } : {}),
    ...(base ? { base: { sha: base.sha, ...(inputs.baseRef && inputs.baseRef.toLowerCase() !== base.sha ? { ref: inputs.baseRef } : {}) } } : {}),
    notes
  });
  const headFailures = head.flatMap((t) =>
    t.results.flatMap((r) => (r.result.state === 'failed' ? [`${t.target}: ${r.result.error}`] : []))
  );
  return { outcome, headFailures };
}

function only(target: string, result: SideResult): TargetResults {
  return { target, results: [{ platform: ANY_PLATFORM, result }] };
}


/** The full SHA `ref` names: itself when it is one, else what the local repository resolves it to. */
async function commitOf(repoDir: string, ref: string, exec: Exec): Promise<string | undefined> {
  if (isFullSha(ref)) return ref.toLowerCase();
  try {
    return await new Git(repoDir, { exec }).revParseCommit(ref);
  } catch {
    return undefined;
  }
}

