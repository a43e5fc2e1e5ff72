// Wires the pipeline; every decision lives in the modules it calls.
//   inputs ─► plan ─► build ─► measure ─► compare ─► policy ─► render ─► publish ─► exit
// This is the one place that turns a failure into setFailed (non-Error throws included), and it
// publishes the comment, summary, outputs and report before it fails the step (RELIABILITY row 50).
import * as core from '@actions/core';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ActionsCacheStore } from './baseline/actions-cache.js';
import { baselineKey, type BaselineStore } from './baseline/store.js';
import { exec as realExec, type Exec } from './exec.js';
import { createOctokitCommentsApi } from './github/client.js';
import { parseEventContext, runPageUrl, runStampFromEnv, type EventContext, type RepoRef } from './github/event.js';
import { stickyMarker, upsertStickyComment, type RunStamp, type StickyResult } from './github/sticky.js';
import { secretValues } from './inputs/build.js';
import { parseInputs, parseMode } from './inputs/inputs.js';
import { INPUT } from './inputs/names.js';
import { neutralizeCommands, type Log } from './log.js';
import type { ActionMode, Inputs } from './model.js';
import { errorMessage, measureAndCompare, type PipelineResult } from './pipeline/run.js';
import { maskStrings, tokenMasks } from './pipeline/masks.js';
import { maskSecrets } from './buildx/failure.js';
import { STATE } from './post.js';
import { TOOL } from './tool.js';
import { buildReport, type Report, type ReportMeta, type ReportPullRequest } from './report/json.js';
import { failureMessage } from './report/policy.js';
import { annotations, type DockerfileSource } from './report/annotations.js';
import { renderComment, renderMinimalComment, renderSummary } from './report/render.js';
import { commentMode } from './modes/comment.js';
import { mergeMode, type FromReports } from './modes/merge.js';
import { loadConfig } from './config/load.js';
import { ignoredInputs, imageKey, measureImages } from './pipeline/images.js';
import type { PipelineDeps } from './pipeline/run.js';
import type { Outcome } from './model.js';


const coreLog: Log = {
  // Plain lines carry repository and artifact text: never let it turn into a workflow command.
  info: (m) => core.info(neutralizeCommands(m)),
  warning: (m) => core.warning(m),
  group: (title, fn) => core.group(title, fn)
};

export interface RunDeps {
  readonly env: NodeJS.ProcessEnv;
  readonly exec: Exec;
  readonly log: Log;
  /** Where baselines are stored and looked up; the Actions cache when not given. */
  readonly baselines?: BaselineStore;
}

export async function run(deps: RunDeps = { env: process.env, exec: realExec, log: coreLog }): Promise<void> {
  const cleanups: Array<() => Promise<unknown>> = [];
  // A token given as plain text (not a runner secret) is masked too, before anything is logged
  // (security requirement 13).
  const token = core.getInput(INPUT.githubToken);
  if (token !== '') core.setSecret(token);
  // So is every form of the job's tokens that a build could print (pipeline/masks.ts): the basic
  // credential actions/checkout leaves in .git/config, base64 as part of a longer text.
  for (const form of tokenMasks(deps.env, token)) if (form !== token) core.setSecret(form);
  try {
    // Merge and comment modes build nothing: they publish reports that other jobs wrote.
    const mode = parseMode(core.getInput(INPUT.mode));
    if (mode === 'measure') {
      const result = await runPipeline(deps, cleanups);
      await publishAndJudge(result);
    } else {
      await publishReports(deps, mode);
    }
  } catch (error) {
    core.setFailed(errorMessage(error));
  } finally {
    let clean = true;
    for (const cleanup of cleanups.reverse()) {
      try {
        const warnings = await cleanup();
        if (Array.isArray(warnings)) for (const w of warnings) deps.log.warning(String(w));
        if (Array.isArray(warnings) && warnings.length) clean = false;
      } catch (e) {
        clean = false;
        deps.log.warning(`cleanup: ${errorMessage(e)}`);
      }
    }
    // The post step has nothing left to do (it cleans up only after a cancelled or failed cleanup).
    if (clean) core.saveState(STATE.cleaned, 'true');
  }
}

const SECRET_NAME = /TOKEN|SECRET|PASS|PWD|KEY|AUTH|CRED|PRIVATE|CERT|SESSION|COOKIE|SIGNATURE/i;
const TOKEN_LIKE = /^(gh[pousr]_|github_pat_|AKIA|xox[abp]-|glpat-|sk-)/;

function shouldMask(name: string, value: string): boolean {
  return value.length >= 3 && (SECRET_NAME.test(name) || TOKEN_LIKE.test(value));
}

/**
 * `value` (a text, or a report) with every form of the job's tokens masked (pipeline/masks.ts): the
 * last net under the comment, summary, report and outputs. The builds' own text is masked where it
 * is read, build-argument values included (pipeline/run.ts).
 */
function published<T>(deps: RunDeps, inputs: Inputs, value: T): T {
  const masks = tokenMasks(deps.env, inputs.githubToken);
  return typeof value === 'string' ? (maskSecrets(value, masks) as T) : maskStrings(value, masks);
}

/** What the pipeline hands to publishing. */
interface Prepared extends PipelineResult {
  readonly deps: RunDeps;
  readonly baselines: BaselineStore;
  readonly inputs: Inputs;
  readonly event: EventContext;
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

async function runPipeline(deps: RunDeps, cleanups: Array<() => Promise<unknown>>): Promise<Prepared> {
  // 1. Inputs, all validated before anything else happens.
  const inputs = parseInputs((name) => core.getInput(name));
  // Values of secret-looking build args are masked in the whole job's log. Every build-arg value is
  // redacted from the comment, summary and report regardless; masking `DEBUG=true` job-wide would
  // hide every later "true" (and drop job outputs that contain it).
  for (const [name, value] of inputs.buildArgs) if (shouldMask(name, value)) core.setSecret(value);
  // Secrets (inline and from secret-envs) are masked whatever their name.
  for (const value of secretValues(inputs.build, deps.env)) core.setSecret(value);
  const event = await readEvent(deps.env);
  const baselines = deps.baselines ?? new ActionsCacheStore(path.resolve(deps.env.RUNNER_TEMP || os.tmpdir()));
  const pipelineDeps: PipelineDeps = { ...deps, baselines, saveState: (name, value) => core.saveState(name, value) };
  // A job labelled with `name` (one image of a matrix) keeps its stored baseline and build-cache
  // scopes under `<comment-key>+<name>`, as each image of a config file does: jobs that share a
  // comment-key never share (or race for) one stored report.
  const result = inputs.config
    ? await measureConfig(pipelineDeps, inputs, inputs.config, event, cleanups)
    : await measureAndCompare(pipelineDeps, storageInputs(inputs), event, cleanups);
  return { deps, inputs, event, baselines, ...result };
}

/**
 * The images of the `config` file, which replace the single-image inputs: the file is read inside
 * the workspace and parsed, and every image checked, before the first build; then they are
 * measured one after the other and joined into one outcome (pipeline/images.ts).
 */
async function measureConfig(
  deps: PipelineDeps,
  inputs: Inputs,
  config: string,
  event: EventContext,
  cleanups: Array<() => Promise<unknown>>
): Promise<PipelineResult> {
  const ignored = ignoredInputs((name) => core.getInput(name));
  if (ignored.length > 0) {
    deps.log.warning(`${ignored.join(', ')}: ignored, since config is set; each image of ${config} has its own (the inputs that stay apply to every image).`);
  }
  const images = await loadConfig(path.resolve(deps.env.GITHUB_WORKSPACE || process.cwd()), config);
  // As for the build-args input: values of secret-looking arguments are masked in the job's log.
  for (const image of images) for (const [name, value] of image.buildArgs) if (shouldMask(name, value)) core.setSecret(value);
  deps.log.info(`${config}: ${images.length} image${images.length === 1 ? '' : 's'}, ${images.map((i) => i.name).join(', ')}`);
  return measureImages(deps, inputs, images, event, cleanups);
}

async function publishAndJudge(p: Prepared): Promise<void> {
  const { deps, inputs, event, outcome } = p;

  // 6. Publish: report, summary, outputs, comment. Each can fail alone without losing the others.
  // A pull request's report names it, so that a workflow_run job can check an artifact's claim.
  const pr = event.pullRequest;
  const report = published(deps, inputs, buildReport(outcome, reportMeta(deps.env, event, pr?.headSha ? { number: pr.number, headSha: pr.headSha } : undefined)));
  const reportPath = await writeReport(deps.env, inputs.commentKey, report);
  await storeBaseline(p, report);
  const dockerfile = inputs.config ? undefined : await readDockerfile(deps.env, inputs);
  await publishOutcome({ deps, inputs, outcome, reportPath, repo: event.repo, issue: pr?.number, headFailures: p.headFailures, judge: true, dockerfile });
}

/** The single image's Dockerfile, for the lines of annotations; undefined when it cannot be read. */
async function readDockerfile(env: NodeJS.ProcessEnv, inputs: Inputs): Promise<DockerfileSource | undefined> {
  const file = path.normalize(inputs.file ?? path.join(inputs.context, 'Dockerfile'));
  if (path.isAbsolute(file) || file.startsWith('..')) return undefined;
  const text = await readFile(path.resolve(env.GITHUB_WORKSPACE || process.cwd(), file), 'utf8').catch(() => undefined);
  return text === undefined ? undefined : { path: file.split(path.sep).join('/'), text };
}

/** The metadata of this run's report. */
function reportMeta(env: NodeJS.ProcessEnv, event: EventContext, pullRequest: ReportPullRequest | undefined): ReportMeta {
  return {
    tool: TOOL,
    event: event.event,
    repository: event.repo ? `${event.repo.owner}/${event.repo.name}` : '',
    ...(env.GITHUB_RUN_ID ? { runId: env.GITHUB_RUN_ID } : {}),
    createdAt: new Date().toISOString(),
    ...(pullRequest ? { pullRequest } : {})
  };
}

/** Writes the report to RUNNER_TEMP/image-budget/<comment-key>/report.json and sets the `report` output. */
async function writeReport(env: NodeJS.ProcessEnv, commentKey: string, report: Report): Promise<string> {
  const reportDir = path.join(path.resolve(env.RUNNER_TEMP || os.tmpdir()), 'image-budget', commentKey);
  await mkdir(reportDir, { recursive: true });
  const reportPath = path.join(reportDir, 'report.json');
  await writeFile(reportPath, `${JSON.stringify(report, null, 2)}\n`);
  core.setOutput('report', reportPath);
  return reportPath;
}

/** What publishOutcome needs: the outcome, its report (written), and where to comment. */
interface Publication {
  readonly deps: RunDeps;
  readonly inputs: Inputs;
  readonly outcome: Outcome;
  readonly reportPath: string;
  readonly repo: RepoRef | undefined;
  /** The pull request to comment on; none outside pull requests. */
  readonly issue: number | undefined;
  /** `target: error` of head builds that failed: the step fails on these whatever the budgets. */
  readonly headFailures: readonly string[];
  /** False in comment mode: the measuring run judged already; here the verdicts are only shown. */
  readonly judge: boolean;
  /** Comment mode: the numbers are the pull request's own report, and the comment and summary say so. */
  readonly selfReported?: boolean;
  /** The run the comment is stamped with; this run (GITHUB_RUN_ID, GITHUB_RUN_ATTEMPT) when not given. */
  readonly run?: RunStamp;
  /** The Dockerfile the rows were built from (one image measured here): annotations point into it. */
  readonly dockerfile?: DockerfileSource | undefined;
}

/**
 * The publishing every mode shares, after the report is written: the `regressed` and `summary`
 * outputs, the job summary, the sticky comment (with the comment outputs), then the verdict, last
 * (RELIABILITY row 50).
 */
async function publishOutcome(p: Publication): Promise<void> {
  const { deps, inputs, outcome, reportPath } = p;
  const { env, log } = deps;
  core.setOutput('regressed', String(outcome.regressed));

  const selfReported = p.selfReported === true;
  const summary = published(deps, inputs, renderSummary(outcome, { details: inputs.details, advice: inputs.advice, selfReported }));
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

  if (p.issue !== undefined && p.repo && inputs.comment !== 'never') {
    const body = published(deps, inputs, renderComment(outcome, { marker: stickyMarker(inputs.commentKey), details: inputs.details, advice: inputs.advice, selfReported }));
    const link = runPageUrl(env);
    const run = p.run ?? runStampFromEnv(env);
    let result: StickyResult;
    if (!inputs.githubToken) {
      result = { action: 'failed', message: 'no github-token was given' };
    } else {
      const api = createOctokitCommentsApi({
        token: inputs.githubToken,
        owner: p.repo.owner,
        repo: p.repo.name,
        apiUrl: env.GITHUB_API_URL || 'https://api.github.com',
        ...(env.GITHUB_GRAPHQL_URL ? { graphqlUrl: env.GITHUB_GRAPHQL_URL } : {})
      });
      result = await upsertStickyComment(api, {
        issue: p.issue,
        key: inputs.commentKey,
        body,
        mode: inputs.comment,
        changed: outcome.changed,
        regressed: outcome.regressed,
        minimalBody: published(deps, inputs, renderMinimalComment(outcome, { selfReported, ...(link !== undefined ? { runUrl: link } : {}) })),
        ...(run ? { run } : {})
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
  const message = failureMessage(outcome);
  if (!p.judge) {
    if (message) log.info(`${message}\n(the measuring run judged these; mode comment only shows them)`);
    return;
  }
  const dockerfile = p.dockerfile;
  for (const a of annotations(outcome, { failOnRegression: inputs.failOnRegression, ...(dockerfile ? { dockerfile: () => dockerfile } : {}) })) {
    const where = a.file !== undefined ? { file: a.file, startLine: a.line } : {};
    if (a.level === 'error') core.error(a.message, { title: a.title, ...where });
    else core.warning(a.message, { title: a.title, ...where });
  }
  if (p.headFailures.length > 0) {
    core.setFailed(`Head build failed:\n${p.headFailures.join('\n')}`);
    return;
  }
  if (message) {
    if (inputs.failOnRegression) core.setFailed(message);
    else log.warning(`${message}\n(fail-on-regression is false: not failing the step)`);
  }
}

/**
 * Merge and comment modes: the reports of other jobs, published as a measuring run publishes its
 * own (a merge fails the step as measure does; comment mode only shows the verdicts). A report that
 * comment mode refuses is a warning, and nothing is published.
 */
async function publishReports(deps: RunDeps, mode: Exclude<ActionMode, 'measure'>): Promise<void> {
  const inputs = parseInputs((name) => core.getInput(name));
  const event = await readEvent(deps.env);
  let from: FromReports;
  let issue: number | undefined;
  let run: RunStamp | undefined;
  if (mode === 'merge') {
    from = await mergeMode(deps, inputs);
    issue = event.pullRequest?.number;
  } else {
    const plan = await commentMode(deps, inputs, event);
    if (plan.kind === 'skip') {
      if (plan.warn) deps.log.warning(plan.message);
      else deps.log.info(plan.message);
      return;
    }
    from = plan;
    issue = plan.issue;
    run = plan.run;
  }
  const report = published(deps, inputs, buildReport(from.outcome, reportMeta(deps.env, event, from.pullRequest)));
  const reportPath = await writeReport(deps.env, inputs.commentKey, report);
  await publishOutcome({
    deps,
    inputs,
    outcome: from.outcome,
    reportPath,
    repo: event.repo,
    issue,
    headFailures: from.headFailures,
    judge: mode === 'merge',
    selfReported: mode === 'comment',
    ...(run ? { run } : {})
  });
  // A merge that had to leave reports out cannot vouch for them: published, then failed.
  if (mode === 'merge' && from.incomplete) core.setFailed(`Not every report was merged: ${from.incomplete}`);
}

/** Events whose report becomes the baseline of their commit (pull requests compare with these). */
const STORING_EVENTS: ReadonlySet<string> = new Set(['push', 'schedule', 'workflow_dispatch']);

/**
 * Stores the report as the baseline of the measured commit, on push, schedule and dispatch runs
 * whose head builds all succeeded. A store that fails costs a warning, never the run.
 */
async function storeBaseline(p: Prepared, report: Report): Promise<void> {
  const { event, inputs, baselines, deps } = p;
  const sha = event.headSha;
  if (!STORING_EVENTS.has(event.event) || !sha || !event.repo || report.repository === '') return;
  // With a config file, each image's own report under its own key: a pull request looks each image
  // up on its own, and an image whose build failed does not keep the others from being stored.
  const parts = p.images
    ? p.images.map((image) => ({ what: `the report of image ${image.name}`, key: image.key, failed: image.headFailures.length > 0, report: imageReport(report, image.outcome) }))
    : [{ what: 'this report', key: storageInputs(inputs).commentKey, failed: p.headFailures.length > 0, report }];
  for (const part of parts) {
    if (part.failed) {
      deps.log.info(`Not storing ${part.what} as the baseline of ${sha}: a head build failed.`);
      continue;
    }
    const key = baselineKey(report.repository, part.key, sha);
    try {
      const wrote = await baselines.save(key, JSON.stringify(published(deps, inputs, part.report)));
      deps.log.info(
        wrote
          ? `Stored ${part.what} as the baseline of ${sha} in ${baselines.description} (key ${key}).`
          : `A baseline of ${sha} is already stored in ${baselines.description} (key ${key}); it was kept.`
      );
    } catch (e) {
      deps.log.warning(
        `Could not store ${part.what} as the baseline of ${sha}: ${errorMessage(e)}. Pull requests based on this commit will build their base instead.`
      );
    }
  }
}

/** The report of one image of the run that made `report` (same tool, event, repository, run and time). */
function imageReport(report: Report, outcome: Outcome): Report {
  return buildReport(outcome, {
    tool: report.tool,
    event: report.event,
    repository: report.repository,
    ...(report.runId !== undefined ? { runId: report.runId } : {}),
    createdAt: report.createdAt
  });
}

/** The inputs the pipeline keys baselines and cache scopes on: `<comment-key>+<name>` for a named job. */
function storageInputs(inputs: Inputs): Inputs {
  return inputs.name !== undefined ? { ...inputs, commentKey: imageKey(inputs.commentKey, inputs.name) } : inputs;
}
