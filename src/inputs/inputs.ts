// Every input of action.yml parsed once into a typed, validated `Inputs`. Pure: the caller passes
// a getter (core.getInput in the action, a map in tests). Fails on the first bad input, before any
// build, with an InputError naming the input, the value and what is accepted.
import type {
  ActionMode,
  BaselineMode,
  Budgets,
  CacheSpec,
  CommentMode,
  DetailKind,
  Inputs,
  Metric,
  PerTarget
} from '../model.js';
import { InvalidReferenceError, REFERENCE_FORMS, isLocalImageId, parseReference } from '../registry/reference.js';
import { parseBuildSettings } from './build.js';
import { InputError } from './errors.js';
import {
  isValidTargetName,
  parseBoolean,
  parseCount,
  parseList,
  parsePerTarget,
  parseThreshold,
  TARGET_NAME_EXPECTED
} from './grammar.js';
import { DEFAULTS, INPUT } from './names.js';

export const MAX_TARGETS = 50;
/** Entries of `reports` at most (each may be a glob or a directory of many reports). */
export const MAX_REPORT_ENTRIES = 100;

const BASELINES = ['auto', 'build', 'report', 'none'] as const satisfies readonly BaselineMode[];
const METRICS = ['compressed', 'uncompressed'] as const satisfies readonly Metric[];
const COMMENTS = ['always', 'on-change', 'on-regression', 'never'] as const satisfies readonly CommentMode[];
const DETAILS = ['layers', 'files', 'trend'] as const satisfies readonly DetailKind[];
const NETWORKS = ['default', 'none', 'host'] as const;
const MODES = ['measure', 'merge', 'comment'] as const satisfies readonly ActionMode[];

const BUILD_ARG_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PLATFORM = /^[a-z0-9_]+\/[a-z0-9_]+(?:\/[a-z0-9_]+)?$/;
const BUILDER = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
// comment-key and name: they appear in file paths, cache keys and the hidden marker.
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const NAME_EXPECTED = 'letters, digits, ".", "_" or "-", starting with a letter or digit, at most 64 characters';
const CONTROL = /[\u0000-\u001f\u007f]/;
const NUL_OR_NEWLINE = /[\0\r\n]/;

function oneOf<T extends string>(input: string, text: string, values: readonly T[]): T {
  const found = values.find((v) => v === text);
  if (found === undefined) throw new InputError(input, text, `one of ${values.join(', ')}`);
  return found;
}

/** A path-like string: anything but NUL and line breaks (they can't reach buildx intact). */
export function pathLike(input: string, text: string): string {
  if (NUL_OR_NEWLINE.test(text)) {
    throw new InputError(input, text, 'a path on one line', { problem: 'contains a NUL or line break' });
  }
  return text;
}

/** `targets`: stage names, comma or newline separated, each once, at most MAX_TARGETS. */
export function parseTargets(text: string): string[] {
  const targets = parseList(text);
  const seen = new Set<string>();
  for (const t of targets) {
    if (!isValidTargetName(t)) {
      throw new InputError(INPUT.targets, t, TARGET_NAME_EXPECTED, { problem: 'is not a valid target name' });
    }
    const key = t.toLowerCase();
    if (seen.has(key)) {
      throw new InputError(INPUT.targets, t, 'each target once (names are case-insensitive)', {
        problem: 'is listed more than once'
      });
    }
    seen.add(key);
  }
  if (targets.length > MAX_TARGETS) {
    throw new InputError(INPUT.targets, text, `at most ${MAX_TARGETS} targets`, {
      problem: `lists ${targets.length} targets`
    });
  }
  return targets;
}

/** A build argument's NAME: letters, digits and `_`, not starting with a digit. */
export function isValidBuildArgName(name: string): boolean {
  return BUILD_ARG_NAME.test(name);
}

/** `build-args`: one `NAME=value` per line; errors name the line, never the value. */
export function parseBuildArgs(text: string): Array<readonly [string, string]> {
  // Numbered by the raw line so the message points at the right one; empty lines are skipped.
  const entries = text.split(/\r?\n|\r/).map((raw, i) => ({ text: raw.trim(), subject: `line ${i + 1}` }));
  return parseBuildArgEntries(entries.filter((e) => e.text !== ''));
}

/**
 * `NAME=value` entries, each with the words an error names it by (`line 3` of the input, `entry 2`
 * of a config file's list), so that a message can point at it without echoing its value.
 */
export function parseBuildArgEntries(entries: ReadonlyArray<{ readonly text: string; readonly subject: string }>): Array<readonly [string, string]> {
  const expected = 'NAME=value lines, NAME made of letters, digits and "_", not starting with a digit';
  const args: Array<readonly [string, string]> = [];
  const seen = new Set<string>();
  for (const { text: line, subject } of entries) {
    const eq = line.indexOf('=');
    // Values are secret-ish: errors name the line or the NAME, never the value.
    if (eq < 0) {
      throw new InputError(INPUT.buildArgs, undefined, expected, { subject, problem: "has no '='" });
    }
    const name = line.slice(0, eq).trim();
    const value = line.slice(eq + 1);
    if (!BUILD_ARG_NAME.test(name)) {
      throw new InputError(INPUT.buildArgs, undefined, expected, {
        subject,
        problem: name === '' ? 'has no NAME before "="' : `has an invalid NAME ${JSON.stringify(name.slice(0, 80))}`
      });
    }
    if (value.includes('\0')) {
      throw new InputError(INPUT.buildArgs, undefined, expected, {
        subject: `the value of ${name}`,
        problem: 'contains a NUL character'
      });
    }
    if (seen.has(name)) {
      throw new InputError(INPUT.buildArgs, undefined, 'each NAME once', { subject: name, problem: 'is given twice' });
    }
    seen.add(name);
    args.push([name, value]);
  }
  return args;
}

/** `platforms`: `os/arch[/variant]`, comma or newline separated, each once. */
export function parsePlatforms(text: string): string[] {
  const platforms = parseList(text);
  const seen = new Set<string>();
  for (const p of platforms) {
    if (!PLATFORM.test(p)) {
      throw new InputError(INPUT.platforms, p, 'os/arch[/variant] in lowercase, e.g. linux/amd64, linux/arm64/v8');
    }
    if (seen.has(p)) {
      throw new InputError(INPUT.platforms, p, 'each platform once', { problem: 'is listed more than once' });
    }
    seen.add(p);
  }
  return platforms;
}

function parseCache(text: string): CacheSpec {
  const expected = 'gha, none, local=<dir> or registry=<ref>';
  if (text === 'gha') return { type: 'gha' };
  if (text === 'none') return { type: 'none' };
  // Both values end up inside a buildx CSV spec (`type=local,src=<dir>`): a comma or quote would
  // smuggle extra options in.
  if (text.startsWith('local=')) {
    const dir = text.slice('local='.length).trim();
    if (dir === '' || /[,"]/.test(dir) || CONTROL.test(dir)) {
      throw new InputError(INPUT.cache, text, expected, {
        problem: 'needs a directory without commas, quotes or control characters'
      });
    }
    return { type: 'local', dir };
  }
  if (text.startsWith('registry=')) {
    const ref = text.slice('registry='.length).trim();
    if (ref === '' || /[\s,"]/.test(ref) || CONTROL.test(ref) || ref.startsWith('-')) {
      throw new InputError(INPUT.cache, text, expected, {
        problem: 'needs an image reference without spaces, commas or quotes, not starting with "-"'
      });
    }
    return { type: 'registry', ref };
  }
  throw new InputError(INPUT.cache, text, expected);
}

/** `base-image`: one reference for all targets and/or one per target; none with a config file. */
function parseBaseImage(text: string, config: string | undefined): PerTarget<string> | undefined {
  return perTargetImages(INPUT.baseImage, text, config, (v) => parseImageReference(INPUT.baseImage, v));
}

/** `images`: an engine image's id or name, or a registry reference, for all targets and/or per target. */
function parseImages(text: string, config: string | undefined): PerTarget<string> | undefined {
  return perTargetImages(INPUT.images, text, config, (v) => (isLocalImageId(v) ? v : parseImageReference(INPUT.images, v)));
}

function perTargetImages(input: string, text: string, config: string | undefined, parseOne: (v: string) => string): PerTarget<string> | undefined {
  const images = parsePerTarget(input, text, parseOne);
  if (images.fallback === undefined && images.byTarget.size === 0) return undefined;
  if (config !== undefined) {
    throw new InputError(input, text, `no ${input} with a config file`, {
      problem: `cannot be used with config (${config}): the images of a config file each have their own targets`,
      hint: `give each image its own step with ${input}`
    });
  }
  return images;
}

/**
 * The image of each target from a per-target input (`base-image`, `images`): the target's own
 * first, else the one for all. An input error, before any build, when a name is no built target or
 * a target is left without an image.
 */
export function imagesPerTarget(input: string, images: PerTarget<string>, targets: readonly string[]): Map<string, string> {
  const known = new Set(targets.map((t) => t.toLowerCase()));
  for (const named of images.byTarget.keys()) {
    if (!known.has(named)) throw new InputError(input, named, `one of the built targets: ${targets.join(', ')}`, { problem: 'is not a built target' });
  }
  const out = new Map<string, string>();
  for (const target of targets) {
    const ref = images.byTarget.get(target.toLowerCase()) ?? images.fallback;
    if (ref === undefined) {
      throw new InputError(input, [...images.byTarget.keys()].join(','), 'an image for every target', {
        problem: `names no image for target ${target}`,
        hint: `give one value for all targets, or target=REF for each of ${targets.join(', ')}`
      });
    }
    out.set(target, ref);
  }
  return out;
}

/** A registry reference as docker reads it (`ghcr.io/acme/app:main`), kept as written. */
function parseImageReference(input: string, text: string): string {
  try {
    parseReference(text);
  } catch (e) {
    if (!(e instanceof InvalidReferenceError)) throw e;
    throw new InputError(input, text, REFERENCE_FORMS.replace(/^an image reference is /, 'an image reference: '), {
      problem: `is not an image reference (${e.why})`
    });
  }
  return text;
}

function parseBaseRef(text: string): string {
  const expected = 'a commit SHA or ref: no spaces, "..", control characters or leading "-", at most 255 characters';
  if (/\s/.test(text) || CONTROL.test(text) || text.startsWith('-') || text.includes('..') || text.length > 255) {
    throw new InputError(INPUT.baseRef, text, expected);
  }
  return text;
}

function parseDetails(text: string): DetailKind[] {
  const expected = `a list of ${DETAILS.join(', ')}, or none`;
  const items = parseList(text);
  if (items.length === 1 && items[0] === 'none') return [];
  const details: DetailKind[] = [];
  for (const item of items) {
    const kind = DETAILS.find((d) => d === item);
    if (kind === undefined) {
      const problem = item === 'none' ? { problem: 'cannot be combined with other values' } : {};
      throw new InputError(INPUT.details, item, expected, problem);
    }
    if (!details.includes(kind)) details.push(kind);
  }
  return details;
}

function optional(text: string): string | undefined {
  return text === '' ? undefined : text;
}

/** The `mode` input ('' is the default, `measure`); exported so the action can dispatch on it alone. */
export function parseMode(text: string): ActionMode {
  return oneOf(INPUT.mode, text === '' ? DEFAULTS[INPUT.mode] : text, MODES);
}

/**
 * `reports`: paths, globs or directories, comma or newline separated, read only by merge and comment
 * modes (which need at least one); setting it in measure mode is a mistake worth saying.
 */
function parseReports(text: string, mode: ActionMode): string[] {
  const entries = parseList(text).map((e) => pathLike(INPUT.reports, e));
  if (mode === 'measure') {
    if (entries.length > 0) {
      throw new InputError(INPUT.reports, text, `no value in mode ${mode}`, {
        problem: 'is only read by mode merge or comment',
        hint: `set ${INPUT.mode}: merge (or comment) to publish reports of other jobs, or remove ${INPUT.reports}`
      });
    }
    return entries;
  }
  if (entries.length === 0) {
    throw new InputError(INPUT.reports, text, 'report files, globs or directories, comma or newline separated, e.g. reports/', {
      problem: `is required in mode ${mode}`
    });
  }
  if (entries.length > MAX_REPORT_ENTRIES) {
    throw new InputError(INPUT.reports, text, `at most ${MAX_REPORT_ENTRIES} entries (a directory or a glob covers many reports)`, {
      problem: `lists ${entries.length} entries`
    });
  }
  return entries;
}

/** `name`: a label for this job's image; merge and comment modes keep the labels their reports carry. */
function parseName(text: string, mode: ActionMode, config: string | undefined): string | undefined {
  if (text === '') return undefined;
  // With a config file, every image is labelled by its own name: this one is ignored, and the step
  // says so (pipeline/config-images.ts ignoredInputs), as for the other single-image inputs.
  if (config !== undefined) return undefined;
  if (mode !== 'measure') {
    throw new InputError(INPUT.name, text, `no value in mode ${mode}`, {
      problem: 'labels a measured image, so it is only read in mode measure',
      hint: `in mode ${mode} every row keeps the image label of the report it comes from`
    });
  }
  if (!NAME.test(text)) throw new InputError(INPUT.name, text, NAME_EXPECTED);
  return text;
}

/**
 * Parses and validates every input. `get` returns the trimmed raw value or '' (like
 * core.getInput); empty values take the DEFAULTS.
 */
export function parseInputs(get: (name: string) => string): Inputs {
  const read = (name: string): string => {
    const v = get(name);
    return v !== '' ? v : ((DEFAULTS as Readonly<Record<string, string>>)[name] ?? '');
  };

  const context = pathLike(INPUT.context, read(INPUT.context));
  const file = optional(pathLike(INPUT.file, read(INPUT.file)));
  const targets = parseTargets(read(INPUT.targets));
  const config = optional(pathLike(INPUT.config, read(INPUT.config)));
  const buildArgs = parseBuildArgs(read(INPUT.buildArgs));
  const platforms = parsePlatforms(read(INPUT.platforms));
  const networkText = read(INPUT.network);
  const network = networkText === '' ? undefined : oneOf(INPUT.network, networkText, NETWORKS);
  const builderText = read(INPUT.builder);
  if (builderText !== '' && !BUILDER.test(builderText)) {
    throw new InputError(INPUT.builder, builderText, 'a builder name: letters, digits, "_", "." or "-"');
  }
  const builder = optional(builderText);
  const cache = parseCache(read(INPUT.cache));
  const baseline = oneOf(INPUT.baseline, read(INPUT.baseline), BASELINES);
  const baseRefText = read(INPUT.baseRef);
  const baseRef = baseRefText === '' ? undefined : parseBaseRef(baseRefText);
  const baseImage = parseBaseImage(read(INPUT.baseImage), config);
  const images = parseImages(read(INPUT.images), config);
  const metric = oneOf(INPUT.metric, read(INPUT.metric), METRICS);
  const budgets: Budgets = {
    maxIncrease: parsePerTarget(INPUT.maxIncrease, read(INPUT.maxIncrease), (v) =>
      parseThreshold(INPUT.maxIncrease, v, { percent: true })
    ),
    maxSize: parsePerTarget(INPUT.maxSize, read(INPUT.maxSize), (v) =>
      parseThreshold(INPUT.maxSize, v, { percent: false })
    ),
    maxLayers: parsePerTarget(INPUT.maxLayers, read(INPUT.maxLayers), (v) => parseCount(INPUT.maxLayers, v)),
    maxWasted: parsePerTarget(INPUT.maxWasted, read(INPUT.maxWasted), (v) =>
      parseThreshold(INPUT.maxWasted, v, { percent: true })
    )
  };
  const failOnRegression = parseBoolean(INPUT.failOnRegression, read(INPUT.failOnRegression));
  const allowForkBuilds = parseBoolean(INPUT.allowForkBuilds, read(INPUT.allowForkBuilds));
  const comment = oneOf(INPUT.comment, read(INPUT.comment), COMMENTS);
  const commentKey = read(INPUT.commentKey);
  if (!NAME.test(commentKey)) throw new InputError(INPUT.commentKey, commentKey, NAME_EXPECTED);
  const details = parseDetails(read(INPUT.details));
  const advice = parseBoolean(INPUT.advice, read(INPUT.advice));
  const build = parseBuildSettings(read);
  const githubToken = get(INPUT.githubToken);
  const mode = parseMode(get(INPUT.mode));
  const reports = parseReports(read(INPUT.reports), mode);
  const name = parseName(read(INPUT.name), mode, config);

  return {
    context,
    file,
    targets,
    config,
    buildArgs,
    platforms,
    network,
    builder,
    cache,
    baseline,
    baseRef,
    ...(baseImage ? { baseImage } : {}),
    ...(images ? { images } : {}),
    metric,
    budgets,
    failOnRegression,
    comment,
    commentKey,
    details,
    advice,
    githubToken,
    allowForkBuilds,
    mode,
    reports,
    name,
    build
  };
}

/**
 * Fails when a per-target budget names a target that is not built (a typo would otherwise
 * silently disable the budget). `targets` are the resolved target names.
 */
export function checkBudgetTargets(budgets: Budgets, targets: readonly string[]): void {
  const built = new Set(targets.map((t) => t.toLowerCase()));
  const entries: Array<[string, PerTarget<unknown>]> = [
    [INPUT.maxIncrease, budgets.maxIncrease],
    [INPUT.maxSize, budgets.maxSize],
    [INPUT.maxLayers, budgets.maxLayers],
    ...(budgets.maxWasted ? [[INPUT.maxWasted, budgets.maxWasted] as [string, PerTarget<unknown>]] : [])
  ];
  for (const [input, perTarget] of entries) {
    for (const target of perTarget.byTarget.keys()) {
      if (!built.has(target.toLowerCase())) {
        throw new InputError(input, target, `one of the built targets: ${targets.join(', ')}`, {
          problem: 'is not a built target',
          hint: `built targets: ${targets.join(', ')}`
        });
      }
    }
  }
}
