// The action's main step: reads the inputs and the event, masks what must never be shown, and wires
// the modes to the pipeline and to publishing; every decision lives in the modules it calls.
//   measure: inputs ─► pipeline (pipeline/run.ts, or pipeline/config-images.ts for a config file) ─► publish
//   merge, comment: inputs ─► reports of other jobs (modes/) ─► publish
// Publishing (publish/) writes the report, outputs, summary and comment before the verdict fails the
// step (RELIABILITY row 50). This is the one place that turns a failure into setFailed (non-Error
// throws included) and runs the cleanups.
import * as core from '@actions/core';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ActionsCacheStore } from './baseline/actions-cache.js';
import { remembering } from './baseline/store.js';
import type { BaselineStore } from './baseline/store.js';
import { loadConfig } from './config/load.js';
import { errorMessage } from './errors.js';
import { exec as realExec, type Exec } from './exec.js';
import { parseEventContext, type EventContext } from './github/event.js';
import { parseInputs, parseMode } from './inputs/inputs.js';
import { INPUT } from './inputs/names.js';
import { neutralizeCommands, type Log } from './log.js';
import type { ActionMode, Inputs } from './model.js';
import { commentMode } from './modes/comment.js';
import { mergeMode } from './modes/merge.js';
import type { FromReports } from './modes/reports.js';
import { ignoredInputs, measureImages, storageInputs } from './pipeline/config-images.js';
import { maskedJobWide, tokenMasks } from './pipeline/masks.js';
import { measureAndCompare, type PipelineDeps, type PipelineResult } from './pipeline/run.js';
import { publishMeasured, publishReported, type Measured } from './publish/publish.js';
import type { RunStamp } from './github/sticky.js';
import { STATE } from './state.js';

const coreLog: Log = {
  // Plain lines carry repository and artifact text: never let it turn into a workflow command.
  info: (m) => core.info(neutralizeCommands(m)),
  warning: (m) => core.warning(m),
  group: (title, fn) => core.group(title, fn),
  // The build log, live (build.ts masks and neutralizes it first).
  output: (chunk) => void process.stdout.write(chunk),
  mask: (value) => core.setSecret(value)
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
      await publishMeasured(result);
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

async function runPipeline(deps: RunDeps, cleanups: Array<() => Promise<unknown>>): Promise<Measured> {
  // 1. Inputs, all validated before anything else happens.
  const inputs = parseInputs((name) => core.getInput(name));
  // Values of secret-looking build args are masked in the whole job's log. Every build-arg value is
  // redacted from the comment, summary and report regardless; masking `DEBUG=true` job-wide would
  // hide every later "true" (and drop job outputs that contain it).
  for (const [name, value] of inputs.buildArgs) if (maskedJobWide(name, value)) core.setSecret(value);
  const event = await readEvent(deps.env);
  // Remembered: the baseline's lookup and the trend's ask for the same commits.
  const baselines = deps.baselines ?? remembering(new ActionsCacheStore({ env: deps.env }));
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
 * measured one after the other and joined into one outcome (pipeline/config-images.ts).
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
  for (const image of images) for (const [name, value] of image.buildArgs) if (maskedJobWide(name, value)) core.setSecret(value);
  deps.log.info(`${config}: ${images.length} image${images.length === 1 ? '' : 's'}, ${images.map((i) => i.name).join(', ')}`);
  return measureImages(deps, inputs, images, event, cleanups);
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
  await publishReported({ deps, inputs, event, from, issue, judge: mode === 'merge', selfReported: mode === 'comment', ...(run ? { run } : {}) });
  // A merge that had to leave reports out cannot vouch for them: published, then failed.
  if (mode === 'merge' && from.incomplete) core.setFailed(`Not every report was merged: ${from.incomplete}`);
}
