// Every input of action.yml parsed once into a typed, validated `Inputs`. Pure: the caller passes
// a getter (core.getInput in the action, a map in tests). Fails on the first bad input, before any
// build, with an InputError naming the input, the value and what is accepted.
import type {
  BaselineMode,
  Budgets,
  CacheSpec,
  CommentMode,
  DetailKind,
  Inputs,
  Metric,
  PerTarget
} from '../model.js';
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

const BASELINES = ['auto', 'build', 'report', 'none'] as const satisfies readonly BaselineMode[];
const METRICS = ['compressed', 'uncompressed'] as const satisfies readonly Metric[];
const COMMENTS = ['always', 'on-change', 'on-regression', 'never'] as const satisfies readonly CommentMode[];
const DETAILS = ['layers', 'files'] as const satisfies readonly DetailKind[];
const NETWORKS = ['default', 'none', 'host'] as const;

const BUILD_ARG_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PLATFORM = /^[a-z0-9_]+\/[a-z0-9_]+(?:\/[a-z0-9_]+)?$/;
const BUILDER = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const COMMENT_KEY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const CONTROL = /[\u0000-\u001f\u007f]/;
const NUL_OR_NEWLINE = /[\0\r\n]/;

function oneOf<T extends string>(input: string, text: string, values: readonly T[]): T {
  const found = values.find((v) => v === text);
  if (found === undefined) throw new InputError(input, text, `one of ${values.join(', ')}`);
  return found;
}

/** A path-like string: anything but NUL and line breaks (they can't reach buildx intact). */
function pathLike(input: string, text: string): string {
  if (NUL_OR_NEWLINE.test(text)) {
    throw new InputError(input, text, 'a path on one line', { problem: 'contains a NUL or line break' });
  }
  return text;
}

function parseTargets(text: string): string[] {
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

function parseBuildArgs(text: string): Array<readonly [string, string]> {
  const expected = 'NAME=value lines, NAME made of letters, digits and "_", not starting with a digit';
  const args: Array<readonly [string, string]> = [];
  const seen = new Set<string>();
  // Numbered by the raw line so the message points at the right one; empty lines are skipped.
  text.split(/\r?\n|\r/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    const eq = line.indexOf('=');
    // Values are secret-ish: errors name the line or the NAME, never the value.
    if (eq < 0) {
      throw new InputError(INPUT.buildArgs, undefined, expected, { subject: `line ${i + 1}`, problem: "has no '='" });
    }
    const name = line.slice(0, eq).trim();
    const value = line.slice(eq + 1);
    if (!BUILD_ARG_NAME.test(name)) {
      throw new InputError(INPUT.buildArgs, undefined, expected, {
        subject: `line ${i + 1}`,
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
  });
  return args;
}

function parsePlatforms(text: string): string[] {
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
  if (!COMMENT_KEY.test(commentKey)) {
    throw new InputError(
      INPUT.commentKey,
      commentKey,
      'letters, digits, ".", "_" or "-", starting with a letter or digit, at most 64 characters'
    );
  }
  const details = parseDetails(read(INPUT.details));
  const githubToken = get(INPUT.githubToken);

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
    metric,
    budgets,
    failOnRegression,
    comment,
    commentKey,
    details,
    githubToken,
    allowForkBuilds
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
