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
import { parseEventContext, type EventContext } from './github/event.js';
import { stickyMarker, upsertStickyComment, type StickyResult } from './github/sticky.js';
import { parseInputs } from './inputs/inputs.js';
import type { Log } from './log.js';
import type { Inputs } from './model.js';
import { errorMessage, measureAndCompare, type PipelineResult } from './pipeline/run.js';
import { STATE } from './post.js';
import { TOOL } from './tool.js';
import { buildReport, type Report } from './report/json.js';
import { failureMessage } from './report/policy.js';
import { renderComment, renderSummary } from './report/render.js';


const coreLog: Log = {
  info: (m) => core.info(m),
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
  try {
    const result = await runPipeline(deps, cleanups);
    await publishAndJudge(result);
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
  const event = await readEvent(deps.env);
  const baselines = deps.baselines ?? new ActionsCacheStore(path.resolve(deps.env.RUNNER_TEMP || os.tmpdir()));
  const result = await measureAndCompare({ ...deps, baselines, saveState: (name, value) => core.saveState(name, value) }, inputs, event, cleanups);
  return { deps, inputs, event, baselines, ...result };
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
  await storeBaseline(p, report);
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
    const title = `image-budget: ${row.target}${row.platform ? ` (${row.platform})` : ''}`;
    if (inputs.failOnRegression || row.verdicts.some((v) => v.rule === 'build' && !v.ok)) core.error(reasons, { title });
    else core.warning(reasons, { title });
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
  if (p.headFailures.length > 0) {
    deps.log.info(`Not storing this report as the baseline of ${sha}: a head build failed.`);
    return;
  }
  const key = baselineKey(report.repository, inputs.commentKey, sha);
  try {
    const wrote = await baselines.save(key, JSON.stringify(report));
    deps.log.info(
      wrote
        ? `Stored this report as the baseline of ${sha} in ${baselines.description} (key ${key}).`
        : `A baseline of ${sha} is already stored in ${baselines.description}; it was kept.`
    );
  } catch (e) {
    deps.log.warning(
      `Could not store this report as the baseline of ${sha}: ${errorMessage(e)}. Pull requests based on this commit will build their base instead.`
    );
  }
}
