// Wires the pipeline; every decision lives in the modules it calls.
//   inputs ─► plan ─► build ─► measure ─► compare ─► policy ─► render ─► publish ─► exit
// This is the one place that turns a failure into setFailed (non-Error throws included), and it
// publishes the comment, summary, outputs and report before it fails the step (RELIABILITY row 50).
import * as core from '@actions/core';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { EngineError, probeBuilder } from './buildx/probe.js';
import { exec as realExec, type Exec } from './exec.js';
import { BaselineUnavailableError, checkoutBase, type BaseCheckout } from './git/base-checkout.js';
import { InvalidRefError } from './git/git.js';
import { createOctokitCommentsApi } from './github/client.js';
import { parseEventContext, type EventContext } from './github/event.js';
import { stickyMarker, upsertStickyComment, type StickyResult } from './github/sticky.js';
import { InputError } from './inputs/errors.js';
import { checkBudgetTargets, parseInputs } from './inputs/inputs.js';
import { INPUT } from './inputs/names.js';
import type { Log } from './log.js';
import type { Inputs, Outcome, SideResult } from './model.js';
import { ANY_PLATFORM, joinSides, type TargetResults } from './pipeline/join.js';
import { buildSide, type SideRequest } from './pipeline/side.js';
import { baseTargets, planTargets, readStages } from './pipeline/targets.js';
import { compare } from './report/compare.js';
import { buildReport } from './report/json.js';
import { buildOutcome, failureMessage, judge } from './report/policy.js';
import { renderComment, renderSummary } from './report/render.js';
import { resolveInside, resolveInsideIfExists } from './workspace/paths.js';

export const TOOL = { name: 'image-budget', version: '0.1.0' } as const;

const coreLog: Log = {
  info: (m) => core.info(m),
  warning: (m) => core.warning(m),
  group: (title, fn) => core.group(title, fn)
};

export interface RunDeps {
  readonly env: NodeJS.ProcessEnv;
  readonly exec: Exec;
  readonly log: Log;
}

export async function run(deps: RunDeps = { env: process.env, exec: realExec, log: coreLog }): Promise<void> {
  const cleanups: Array<() => Promise<unknown>> = [];
  try {
    const result = await runPipeline(deps, cleanups);
    await publishAndJudge(result);
  } catch (error) {
    core.setFailed(errorMessage(error));
  } finally {
    for (const cleanup of cleanups.reverse()) {
      try {
        const warnings = await cleanup();
        if (Array.isArray(warnings)) for (const w of warnings) deps.log.warning(String(w));
      } catch (e) {
        deps.log.warning(`cleanup: ${errorMessage(e)}`);
      }
    }
  }
}

function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === 'string' ? error : `unexpected failure: ${JSON.stringify(error) ?? String(error)}`;
}

/** What the pipeline hands to publishing. */
interface Prepared {
  readonly deps: RunDeps;
  readonly inputs: Inputs;
  readonly event: EventContext;
  readonly outcome: Outcome;
  readonly headFailures: readonly string[];
}

async function readEvent(env: NodeJS.ProcessEnv): Promise<EventContext> {
  let payload: unknown = {};
  if (env.GITHUB_EVENT_PATH) {
    try {
      payload = JSON.parse(await readFile(env.GITHUB_EVENT_PATH, 'utf8'));
    } catch {
      payload = {};
    }
  }
  return parseEventContext(env.GITHUB_EVENT_NAME ?? '', payload, env);
}

/** The environment of the docker client: the Actions cache runtime stays, inputs and tokens go. */
function clientEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) {
    if (k.startsWith('INPUT_') || k === 'GITHUB_TOKEN' || k === 'GH_TOKEN') continue;
    out[k] = v;
  }
  return out;
}

async function runPipeline(deps: RunDeps, cleanups: Array<() => Promise<unknown>>): Promise<Prepared> {
  const { env, exec, log } = deps;
  // 1. Inputs, all validated before anything else happens.
  const inputs = parseInputs((name) => core.getInput(name));
  for (const [, value] of inputs.buildArgs) if (value.length >= 3) core.setSecret(value);
  if (inputs.config) {
    throw new InputError(INPUT.config, inputs.config, 'no value for now', {
      problem: 'is not supported yet',
      hint: 'several images in one config file arrive in a later version; use one step per image with context, file and targets'
    });
  }
  if (inputs.details.includes('files')) log.info('details: files arrives in a later version; the comment lists layers.');

  const event = await readEvent(env);
  if (event.event === 'pull_request_target' && event.pullRequest?.isFork) {
    throw new Error(
      'Refusing to build a fork\'s pull request on pull_request_target: that event runs with a write token and ' +
        'secrets, and building the fork\'s Dockerfile there would run untrusted code with them (a "pwn request"). ' +
        'Use the pull_request event (the comment then needs the workflow_run pattern), see the README.'
    );
  }

  // 2. Plan: paths confined to the workspace, Dockerfile stages, base checkout, targets per side.
  const workspace = path.resolve(env.GITHUB_WORKSPACE || process.cwd());
  const context = await resolveInside(workspace, inputs.context, INPUT.context, 'directory');
  const fileRel = inputs.file ?? path.join(inputs.context, 'Dockerfile');
  const dockerfile = await resolveInside(workspace, fileRel, INPUT.file, 'file');
  const headStages = await readStages(dockerfile);
  const tmpRoot = path.resolve(env.RUNNER_TEMP || os.tmpdir());
  await mkdir(tmpRoot, { recursive: true });
  const tmpDir = await mkdtemp(path.join(tmpRoot, 'image-budget-'));
  cleanups.push(() => rm(tmpDir, { recursive: true, force: true }));

  const notes: string[] = [];
  const baseRef = inputs.baseRef ?? event.baseSha;
  let base: BaseCheckout | undefined;
  let baseUnavailable: string | undefined;
  if (inputs.baseline === 'none') {
    baseUnavailable = 'baseline: none';
  } else if (inputs.baseline === 'report') {
    baseUnavailable = 'no stored report (stored baselines arrive in a later version)';
    notes.push(`No stored baseline report found for ${baseRef ?? 'this run'}; sizes are absolute.`);
  } else if (!baseRef) {
    baseUnavailable = `no base commit for event ${event.event || 'unknown'}`;
  } else {
    try {
      base = await log.group(`Check out base ${baseRef}`, () => checkoutBase({ repoDir: workspace, ref: baseRef, tmpRoot: tmpDir, exec }));
      cleanups.push(() => base!.cleanup());
    } catch (e) {
      if (e instanceof InvalidRefError) throw new InputError(INPUT.baseRef, baseRef, 'a commit SHA or a ref name', { problem: `is not usable: ${e.message}` });
      if (!(e instanceof BaselineUnavailableError)) throw e;
      baseUnavailable = e.message;
      log.warning(`Baseline unavailable: ${e.message}`);
      notes.push(`Baseline unavailable: ${e.message}.`);
    }
  }
  let baseContext: string | undefined;
  let baseDockerfile: string | undefined;
  if (base) {
    baseContext = await resolveInsideIfExists(base.dir, inputs.context, INPUT.context, 'directory');
    baseDockerfile = await resolveInsideIfExists(base.dir, fileRel, INPUT.file, 'file');
  }
  const baseStages = baseDockerfile ? await readStages(baseDockerfile) : undefined;
  const targets = planTargets(headStages, baseStages, inputs.targets, fileRel);
  checkBudgetTargets(inputs.budgets, [...targets.head, ...targets.removed].map((t) => t.name));

  // 3. Engine: probed once, before the first build.
  const caps = await probeBuilder(exec, inputs.builder);
  if (!caps.ociExport) {
    throw new EngineError(
      `The builder "${caps.builder.name}" uses the docker driver with the classic image store, which cannot export ` +
        'OCI images or build cache. Turn on the containerd image store ({"features":{"containerd-snapshotter":true}} ' +
        'in daemon.json), or create a docker-container builder with docker/setup-buildx-action.'
    );
  }
  let cache = inputs.cache;
  if (cache.type === 'gha' && !(env.ACTIONS_RUNTIME_TOKEN && (env.ACTIONS_CACHE_URL || env.ACTIONS_RESULTS_URL))) {
    log.info('cache: gha needs the Actions runtime (ACTIONS_RUNTIME_TOKEN); building without cache.');
    cache = { type: 'none' };
  }
  const secrets = inputs.buildArgs.map(([, v]) => v);
  const common = {
    platforms: inputs.platforms,
    buildArgs: inputs.buildArgs,
    network: inputs.network,
    builder: inputs.builder,
    cache,
    cacheExport: caps.cacheExport,
    commentKey: inputs.commentKey,
    secrets
  } satisfies Partial<SideRequest>;
  const sideDeps = { exec, log, tmpDir, env: clientEnv(env) };

  // 4. Build and measure the head, then the base.
  const head = await buildSide(sideDeps, { ...common, side: 'head', context, dockerfile, targets: targets.head });
  let baseResults: TargetResults[];
  if (base && baseContext && baseDockerfile) {
    const { build, absent } = baseTargets(baseStages, [...targets.head, ...targets.removed]);
    const built = await buildSide(sideDeps, { ...common, side: 'base', context: baseContext, dockerfile: baseDockerfile, targets: build });
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
  const judged = judge(compare(rows), inputs.budgets, inputs.metric);
  const outcome = buildOutcome({
    metric: inputs.metric,
    rows: judged,
    head: { sha: event.headSha ?? env.GITHUB_SHA ?? 'unknown', ...(event.ref ? { ref: event.ref } : {}) },
    // A base-ref that names a branch or tag is shown beside the commit; a SHA is shown once.
    ...(base ? { base: { sha: base.sha, ...(inputs.baseRef && inputs.baseRef.toLowerCase() !== base.sha ? { ref: inputs.baseRef } : {}) } } : {}),
    notes
  });
  const headFailures = head.flatMap((t) =>
    t.results.flatMap((r) => (r.result.state === 'failed' ? [`${t.target}: ${r.result.error}`] : []))
  );
  return { deps, inputs, event, outcome, headFailures };
}

function only(target: string, result: SideResult): TargetResults {
  return { target, results: [{ platform: ANY_PLATFORM, result }] };
}

async function publishAndJudge(p: Prepared): Promise<void> {
  const { deps, inputs, event, outcome } = p;
  const { env, log } = deps;

  // 6. Publish: report, summary, outputs, comment. Each can fail alone without losing the others.
  const tmpRoot = path.resolve(env.RUNNER_TEMP || os.tmpdir());
  const reportDir = path.join(tmpRoot, 'image-budget', inputs.commentKey);
  await mkdir(reportDir, { recursive: true });
  const reportPath = path.join(reportDir, 'report.json');
  const report = buildReport(outcome, {
    tool: TOOL,
    event: event.event,
    repository: event.repo ? `${event.repo.owner}/${event.repo.name}` : '',
    ...(env.GITHUB_RUN_ID ? { runId: env.GITHUB_RUN_ID } : {}),
    createdAt: new Date().toISOString()
  });
  await writeFile(reportPath, `${JSON.stringify(report, null, 2)}\n`);
  core.setOutput('report', reportPath);
  core.setOutput('regressed', String(outcome.regressed));

  const summary = renderSummary(outcome, { details: inputs.details });
  core.setOutput('summary', summary);
  if (env.GITHUB_STEP_SUMMARY) {
    try {
      await core.summary.addRaw(summary).write({ overwrite: false });
    } catch (e) {
      log.warning(`Could not write the job summary: ${errorMessage(e)}`);
    }
  } else {
    log.info(summary);
  }

  const pr = event.pullRequest;
  if (pr && event.repo && inputs.comment !== 'never') {
    const body = renderComment(outcome, { marker: stickyMarker(inputs.commentKey), details: inputs.details });
    let result: StickyResult;
    if (!inputs.githubToken) {
      result = { action: 'failed', message: 'no github-token was given' };
    } else {
      const api = createOctokitCommentsApi({
        token: inputs.githubToken,
        owner: event.repo.owner,
        repo: event.repo.name,
        apiUrl: env.GITHUB_API_URL || 'https://api.github.com',
        ...(env.GITHUB_GRAPHQL_URL ? { graphqlUrl: env.GITHUB_GRAPHQL_URL } : {})
      });
      result = await upsertStickyComment(api, {
        issue: pr.number,
        key: inputs.commentKey,
        body,
        mode: inputs.comment,
        changed: outcome.changed,
        regressed: outcome.regressed
      });
    }
    if (result.id !== undefined) core.setOutput('comment-id', String(result.id));
    if (result.url) core.setOutput('comment-url', result.url);
    if (result.action === 'failed') {
      log.warning(`Could not post the pull-request comment: ${result.message ?? 'unknown error'}. The report is in the job summary and at ${reportPath}.`);
    } else {
      log.info(`Comment ${result.action}${result.url ? `: ${result.url}` : ''}${result.message ? ` (${result.message})` : ''}`);
    }
  }

  // 7. Verdict, last.
  for (const row of outcome.rows.filter((r) => r.regressed)) {
    const reasons = row.verdicts.filter((v) => !v.ok).map((v) => v.reason).join('; ');
    core.error(reasons, { title: `image-budget: ${row.target}${row.platform ? ` (${row.platform})` : ''}` });
  }
  if (p.headFailures.length > 0) {
    core.setFailed(`Head build failed:\n${p.headFailures.join('\n')}`);
    return;
  }
  const message = failureMessage(outcome);
  if (message) {
    if (inputs.failOnRegression) core.setFailed(message);
    else log.warning(`${message}\n(fail-on-regression is false: not failing the step)`);
  }
}
