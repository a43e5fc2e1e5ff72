// The images of a config file (a monorepo), each measured by the same pipeline as a single image,
// one after the other, and joined into one outcome: one comment, one summary, one report, whose
// rows say which image they belong to (`api › release`).
//
//   config ─► plan every image (plan.ts: paths, Dockerfile, settings, budget targets)
//          ─► per image: measureAndCompare with its plan ─► join (rows in config order, notes, one verdict)
//
// Each image is given the action's inputs with its own overrides, and its own key
// (`<comment-key>+<name>`) for what measureAndCompare keeps per key: stored baselines, build-cache
// scopes and temporary image tags. The comment's marker is not among them: main.ts renders the one
// comment with the real key.
import { dockerClientEnv } from '../buildx/env.js';
import { probeBuilder, type Capabilities } from '../buildx/probe.js';
import { IMAGE_KEYS, imageError, type ImageConfig, type ImageKey } from '../config/config.js';
import type { EventContext } from '../github/event.js';
import { InputError } from '../inputs/errors.js';
import { INPUT } from '../inputs/names.js';
import type { Inputs, JudgedRow, Outcome } from '../model.js';
import { buildOutcome } from '../report/policy.js';
import { errorMessage } from '../errors.js';
import { measureAndCompare, type ImageResult, type PipelineDeps, type PipelineResult } from './run.js';
import { makePlan, type Plan } from './plan.js';

/**
 * The key an image's baselines and build cache are kept under, so that images never share them:
 * `<comment-key>+<name>`. Neither a comment-key nor a name can hold `+`, so two pairs never give
 * one key (with `-`, key `ib` + name `web-api` and key `ib-web` + name `api` would).
 */
export function imageKey(commentKey: string, name: string): string {
  return `${commentKey}+${name}`;
}

/** The inputs the pipeline keys baselines and cache scopes on: `<comment-key>+<name>` for a named job. */
export function storageInputs(inputs: Inputs): Inputs {
  return inputs.name !== undefined ? { ...inputs, commentKey: imageKey(inputs.commentKey, inputs.name) } : inputs;
}

/**
 * The inputs one image is measured with: the action's, with the image's context, file, targets,
 * build arguments, platforms and budgets instead of the single-image inputs, and its own key.
 */
export function imageInputs(inputs: Inputs, image: ImageConfig): Inputs {
  return {
    ...inputs,
    config: undefined,
    context: image.context,
    file: image.file,
    targets: image.targets,
    buildArgs: image.buildArgs,
    platforms: image.platforms,
    budgets: image.budgets,
    // The image's own label for its rows, which measureAndCompare also uses to pick its rows out of a
    // stored report; a job-wide `name` would give every image the same one.
    name: image.name,
    // measureAndCompare uses the key only for stored baselines, cache scopes and temporary image
    // tags; the comment is rendered by the caller (main.ts) with the real comment-key.
    commentKey: imageKey(inputs.commentKey, image.name)
  };
}

/** The inputs a config file replaces: set beside `config`, they are ignored (main.ts warns). */
/** Every image key but `name` is the input of that name; the job's own `name` is replaced too. */
const IMAGE_INPUTS = IMAGE_KEYS.filter((k): k is Exclude<ImageKey, 'name'> => k !== 'name');
export const OVERRIDDEN_INPUTS: readonly string[] = [INPUT.name, ...IMAGE_INPUTS];

/**
 * The overridden inputs that were given (`get` as core.getInput). `context` counts only when it is
 * not its default `.`, which the runner passes whether or not the workflow sets it.
 */
export function ignoredInputs(get: (name: string) => string): string[] {
  return OVERRIDDEN_INPUTS.filter((name) => {
    const value = get(name);
    return value !== '' && !(name === INPUT.context && value === '.');
  });
}

/** The image keys whose values reach the parsers of the inputs of the same name. */
const KEYS_BY_INPUT: ReadonlyMap<string, ImageKey> = new Map(IMAGE_INPUTS.map((name) => [name, name]));

/**
 * Runs `fn`; an InputError about an input the image overrides becomes a ConfigError at that key of
 * the config file (a Dockerfile derived from the context is placed at the context).
 */
async function located<T>(image: ImageConfig, fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    const key = e instanceof InputError ? KEYS_BY_INPUT.get(e.input) : undefined;
    if (e instanceof InputError && key !== undefined) throw imageError(image, key, e, key === INPUT.file ? INPUT.context : undefined);
    throw e;
  }
}

/**
 * Plans every image before the first build (plan.ts: refusals, paths, Dockerfile stages, build
 * settings, budget targets), so that a mistake in the last image does not cost the builds of the
 * others; a mistake is reported at its key of the config file. (A target that is in neither the
 * Dockerfile nor the base commit's can only be told once the base is checked out; measureAndCompare
 * reports it, at the same place.)
 */
export async function planImages(
  env: NodeJS.ProcessEnv,
  inputs: Inputs,
  images: readonly ImageConfig[],
  event: EventContext
): Promise<Plan[]> {
  const plans: Plan[] = [];
  for (const image of images) plans.push(await located(image, () => makePlan(env, imageInputs(inputs, image), event)));
  return plans;
}

/**
 * Plans every image (planImages), then measures them one after the other (builds share one
 * engine; in parallel they would only compete for it), and joins the results. Each image's temporary
 * folder (base checkout included) is removed as soon as it is done, so at most one of each exists at
 * a time (the post step knows of the latest only); a cleanup that failed is handed to the caller's
 * `cleanups` to report.
 */
export async function measureImages(
  deps: PipelineDeps,
  inputs: Inputs,
  images: readonly ImageConfig[],
  event: EventContext,
  cleanups: Array<() => Promise<unknown>>
): Promise<PipelineResult> {
  const plans = await planImages(deps.env, inputs, images, event);
  // Every image builds on the same builder: it is probed once, not once per image.
  const probes = new Map<string, Promise<Capabilities>>();
  const probe = (builder: string | undefined): Promise<Capabilities> => {
    const key = builder ?? '';
    const caps = probes.get(key) ?? (deps.probe ?? ((b: string | undefined) => probeBuilder(deps.exec, b, dockerClientEnv(deps.env))))(builder);
    probes.set(key, caps);
    return caps;
  };
  const shared: PipelineDeps = { ...deps, probe };
  const results: ImageResult[] = [];
  for (const [i, image] of images.entries()) {
    deps.log.info(`Image ${image.name} (${image.source.file}, images[${image.source.index}]): context ${image.context}`);
    const own: Array<() => Promise<unknown>> = [];
    try {
      const plan = plans[i]!;
      const result = await located(image, () => measureAndCompare(shared, plan.inputs, event, own, plan));
      results.push(labelled(image.name, plan.inputs.commentKey, result));
    } finally {
      const warnings = await runCleanups(own);
      if (warnings.length > 0) cleanups.push(() => Promise.resolve(warnings));
    }
  }
  return joinImages(results);
}

/** Runs cleanups newest first, as the action's own loop does; resolves to their warnings. */
async function runCleanups(cleanups: ReadonlyArray<() => Promise<unknown>>): Promise<string[]> {
  const warnings: string[] = [];
  for (const cleanup of [...cleanups].reverse()) {
    try {
      const result = await cleanup();
      if (Array.isArray(result)) warnings.push(...result.map(String));
    } catch (e) {
      warnings.push(`cleanup: ${errorMessage(e)}`);
    }
  }
  return warnings;
}

/** One image's result with every row labelled with its name. */
export function labelled(name: string, key: string, result: PipelineResult): ImageResult {
  const rows: JudgedRow[] = result.outcome.rows.map((r) => ({ ...r, image: name }));
  return { name, key, outcome: { ...result.outcome, rows }, headFailures: result.headFailures, ...(result.dockerfile ? { dockerfile: result.dockerfile } : {}) };
}

/**
 * The images' results as one (pure): rows in config order; regressed and changed when any image's
 * is; a note shared by every image once, any other note after its image's name; head failures
 * named `image/target`. Every image measures the same head commit; their bases differ only when an
 * image's baseline is an ancestor's stored report, which that image's note says, so the first base
 * is the one shown.
 */
export function joinImages(results: readonly ImageResult[]): PipelineResult {
  const [first] = results;
  if (!first) throw new Error('joinImages needs at least one image');
  const notes: string[] = [];
  for (const r of results) {
    for (const note of r.outcome.notes) {
      const shared = results.every((o) => o.outcome.notes.includes(note));
      const text = shared ? note : `${r.name}: ${note}`;
      if (!notes.includes(text)) notes.push(text);
    }
  }
  const base = results.find((r) => r.outcome.base !== undefined)?.outcome.base;
  const outcome: Outcome = buildOutcome({
    metric: first.outcome.metric,
    rows: results.flatMap((r) => r.outcome.rows),
    head: first.outcome.head,
    ...(base ? { base } : {}),
    notes
  });
  return {
    outcome,
    headFailures: results.flatMap((r) => r.headFailures.map((f) => `${r.name}/${f}`)),
    images: results
  };
}
