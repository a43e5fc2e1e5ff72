// Publishing an outcome, the same for every mode: the JSON report (written, and stored as the
// baseline of a push), the outputs, the job summary, the sticky comment, and the verdict last, each
// able to fail alone without losing the others (RELIABILITY row 50). Everything published passes
// through `published`, the last net that masks every form of the job's tokens.
import * as core from '@actions/core';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { BaselineStore } from '../baseline/store.js';
import { maskSecrets } from '../buildx/failure.js';
import { errorMessage } from '../errors.js';
import { createOctokitCommentsApi } from '../github/client.js';
import { runPageUrl, runStampFromEnv, type EventContext, type RepoRef } from '../github/event.js';
import { stickyMarker, upsertStickyComment, type RunStamp, type StickyResult } from '../github/sticky.js';
import type { Log } from '../log.js';
import type { Inputs, JudgedRow, Outcome } from '../model.js';
import { maskStrings, tokenMasks } from '../pipeline/masks.js';
import type { PipelineResult } from '../pipeline/run.js';
import { buildReport, type Report, type ReportMeta, type ReportPullRequest } from '../report/report.js';
import { annotations, type DockerfileSource } from '../report/annotations.js';
import { failureMessage } from '../report/policy.js';
import { renderComment, renderMinimalComment, renderSummary } from '../report/render.js';
import { TOOL } from '../tool.js';
import { storeBaseline } from './baseline.js';
import { OUTPUT } from './outputs.js';

export interface PublishDeps {
  readonly env: NodeJS.ProcessEnv;
  readonly log: Log;
}

/**
 * `value` (a text, or a report) with every form of the job's tokens masked (pipeline/masks.ts): the
 * last net under the comment, summary, report and outputs. The builds' own text is masked where it
 * is read, build-argument values included (pipeline/run.ts).
 */
export function published<T>(deps: PublishDeps, inputs: Inputs, value: T): T {
  const masks = tokenMasks(deps.env, inputs.githubToken);
  return typeof value === 'string' ? (maskSecrets(value, masks) as T) : maskStrings(value, masks);
}
/** A measuring run's result, with what publishing it needs. */
export interface Measured extends PipelineResult {
  readonly deps: PublishDeps;
  readonly baselines: BaselineStore;
  readonly inputs: Inputs;
  readonly event: EventContext;
}

/** Publishes a measuring run: its report (stored as a baseline on push, schedule, dispatch), then publishOutcome. */
export async function publishMeasured(p: Measured): Promise<void> {
  const { deps, inputs, event, outcome } = p;

  // Report, summary, outputs, comment: summary, outputs, comment. Each can fail alone without losing the others.
  // A pull request's report names it, so that a workflow_run job can check an artifact's claim.
  const pr = event.pullRequest;
  const report = published(deps, inputs, buildReport(outcome, reportMeta(deps.env, event, pr?.headSha ? { number: pr.number, headSha: pr.headSha } : undefined)));
  const reportPath = await writeReport(deps.env, inputs.commentKey, report);
  await storeBaseline(p, report);
  await publishOutcome({ deps, inputs, outcome, reportPath, repo: event.repo, issue: pr?.number, headFailures: p.headFailures, judge: true, dockerfile: dockerfileOf(p) });
}


/** The Dockerfile each row was built from (the plan read it): a config file's image's own, else the run's. */
function dockerfileOf(p: Measured): (row: JudgedRow) => DockerfileSource | undefined {
  return (row) => (p.images ? p.images.find((image) => image.name === row.image)?.dockerfile : p.dockerfile);
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
  core.setOutput(OUTPUT.report, reportPath);
  return reportPath;
}

/** What publishOutcome needs: the outcome, its report (written), and where to comment. */
interface Publication {
  readonly deps: PublishDeps;
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
  /** The Dockerfile a row was built from, for the annotations' lines; none in the report modes. */
  readonly dockerfile?: (row: JudgedRow) => DockerfileSource | undefined;
}

/**
 * The publishing every mode shares, after the report is written: the `regressed` and `summary`
 * outputs, the job summary, the sticky comment (with the comment outputs), then the verdict, last
 * (RELIABILITY row 50).
 */
async function publishOutcome(p: Publication): Promise<void> {
  const { deps, inputs, outcome } = p;
  const { env, log } = deps;
  core.setOutput(OUTPUT.regressed, String(outcome.regressed));

  const selfReported = p.selfReported === true;
  const summary = published(deps, inputs, renderSummary(outcome, { details: inputs.details, advice: inputs.advice, selfReported }));
  core.setOutput(OUTPUT.summary, summary);
  if (env.GITHUB_STEP_SUMMARY) {
    try {
      await core.summary.addRaw(summary).write({ overwrite: false });
    } catch (e) {
      log.warning(`Could not write the job summary: ${errorMessage(e)}`);
    }
  } else {
    log.info(summary);
  }

  if (p.issue !== undefined && p.repo && inputs.comment !== 'never') await postComment(p, p.issue, p.repo);

  // The verdict, last.
  const message = failureMessage(outcome);
  if (!p.judge) {
    if (message) log.info(`${message}\n(the measuring run judged these; mode comment only shows them)`);
    return;
  }
  for (const a of annotations(outcome, { failOnRegression: inputs.failOnRegression, ...(p.dockerfile ? { dockerfile: p.dockerfile } : {}) })) {
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

/** The sticky comment (its id and URL as outputs); a comment that cannot be posted is a warning. */
async function postComment(p: Publication, issue: number, repo: RepoRef): Promise<void> {
  const { deps, inputs, outcome, reportPath } = p;
  const { env, log } = deps;
  const selfReported = p.selfReported === true;
  const body = published(deps, inputs, renderComment(outcome, { marker: stickyMarker(inputs.commentKey), details: inputs.details, advice: inputs.advice, selfReported }));
  const link = runPageUrl(env);
  const run = p.run ?? runStampFromEnv(env);
  let result: StickyResult;
  if (!inputs.githubToken) {
    result = { action: 'failed', message: 'no github-token was given' };
  } else {
    const api = createOctokitCommentsApi({
      token: inputs.githubToken,
      owner: repo.owner,
      repo: repo.name,
      apiUrl: env.GITHUB_API_URL || 'https://api.github.com',
      ...(env.GITHUB_GRAPHQL_URL ? { graphqlUrl: env.GITHUB_GRAPHQL_URL } : {})
    });
    result = await upsertStickyComment(api, {
      issue: issue,
      key: inputs.commentKey,
      body,
      mode: inputs.comment,
      changed: outcome.changed,
      regressed: outcome.regressed,
      minimalBody: published(deps, inputs, renderMinimalComment(outcome, { selfReported, ...(link !== undefined ? { runUrl: link } : {}) })),
      ...(run ? { run } : {})
    });
  }
  if (result.id !== undefined) core.setOutput(OUTPUT.commentId, String(result.id));
  if (result.url) core.setOutput(OUTPUT.commentUrl, result.url);
  if (result.action === 'failed') {
    log.warning(`Could not post the pull-request comment: ${result.message ?? 'unknown error'}. The report is in the job summary and at ${reportPath}.`);
  } else {
    log.info(`Comment ${result.action}${result.url ? `: ${result.url}` : ''}${result.message ? ` (${result.message})` : ''}`);
  }
}

/** What merge and comment modes publish: the reports of other jobs, as one outcome. */
export interface Reported {
  readonly deps: PublishDeps;
  readonly inputs: Inputs;
  readonly event: EventContext;
  readonly from: { readonly outcome: Outcome; readonly pullRequest?: ReportPullRequest; readonly headFailures: readonly string[] };
  readonly issue: number | undefined;
  readonly judge: boolean;
  readonly selfReported: boolean;
  readonly run?: RunStamp;
}

/** Publishes the reports of other jobs as a measuring run publishes its own (never stored as a baseline). */
export async function publishReported(p: Reported): Promise<void> {
  const { deps, inputs, event, from } = p;
  const report = published(deps, inputs, buildReport(from.outcome, reportMeta(deps.env, event, from.pullRequest)));
  const reportPath = await writeReport(deps.env, inputs.commentKey, report);
  await publishOutcome({
    deps,
    inputs,
    outcome: from.outcome,
    reportPath,
    repo: event.repo,
    issue: p.issue,
    headFailures: from.headFailures,
    judge: p.judge,
    selfReported: p.selfReported,
    ...(p.run ? { run: p.run } : {})
  });
}
