// The `config` input: a YAML file describing several images of one repository (a monorepo), each
// with its own context, Dockerfile, targets, build arguments, platforms and budgets:
//
//   images:
//     - name: api
//       context: services/api
//       targets: [release, debug]
//       max-size: release=25MB
//     - name: web
//       context: services/web
//       max-increase: 5%
//
// Pure: text in, ImageConfig[] or a ConfigError out. Every value goes through the parser of the
// input of the same name (inputs/), so a key accepts exactly what `with:` accepts, and every error
// says where it is, in the form editors and GitHub link to:
//   .github/image-budget.yml:7:18: images[1].max-size: "10" has no unit (expected e.g. 10MB, 512KiB)
// The YAML with its places is read by yaml-reader.ts; typos are matched by did-you-mean.ts.
import { isMap, isScalar, isSeq, LineCounter, parseDocument, visit } from 'yaml';
import type { Budgets, PerTarget, Threshold } from '../model.js';
import { InputError, quoteValue } from '../inputs/errors.js';
import { didYouMean } from './did-you-mean.js';
import { ConfigError, Reader, isEmpty, join, yamlProblem, type ConfigPosition, type Value } from './yaml-reader.js';
import {
  COUNT_EXPECTED,
  isValidTargetName,
  parseCount,
  parsePerTarget,
  parseThreshold,
  SIZE_EXPECTED,
  TARGET_NAME_EXPECTED,
  THRESHOLD_EXPECTED
} from '../inputs/grammar.js';
import {
  isValidBuildArgName,
  MAX_TARGETS,
  parseBuildArgEntries,
  parseBuildArgs,
  parsePlatforms,
  parseTargets,
  pathLike
} from '../inputs/inputs.js';
import { INPUT } from '../inputs/names.js';

/** Bounds on what a config file may hold: it is read before anything else, from the pull request. */
export const CONFIG_LIMITS = {
  /** The file's size in bytes; a real config is a few hundred. */
  bytes: 64 * 1024,
  /** Images per file: each is built (twice, without a stored baseline) one after the other. */
  images: 20
} as const;

/**
 * An image's name: it labels its rows (`api › release`) and becomes part of its baseline key and
 * cache scopes, so it keeps to the characters every one of those accepts (as `comment-key` does).
 */
export const IMAGE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** The keys of an image, in the order the README lists them. Each but `name` is the input of that name. */
export const IMAGE_KEYS = [
  'name',
  INPUT.context,
  INPUT.file,
  INPUT.targets,
  INPUT.buildArgs,
  INPUT.platforms,
  INPUT.maxIncrease,
  INPUT.maxSize,
  INPUT.maxLayers,
  INPUT.maxWasted
] as const;
export type ImageKey = (typeof IMAGE_KEYS)[number];

const TOP_KEYS = ['images'] as const;

const PER_TARGET = 'or per target as release=5MB,debug=50MB or a mapping release: 5MB';
const EXPECTED: Readonly<Record<ImageKey, string>> = {
  name: 'a name: a letter or digit, then letters, digits, ".", "_" or "-", at most 64 characters',
  context: 'a directory, relative to the workspace',
  file: 'a Dockerfile path, relative to the workspace',
  targets: 'stage names, as a list or comma separated',
  'build-args': 'a mapping NAME: value, a list of NAME=value, or NAME=value lines',
  platforms: 'platforms, as a list or comma separated, e.g. linux/amd64',
  'max-increase': `${THRESHOLD_EXPECTED}, ${PER_TARGET}`,
  'max-size': `${SIZE_EXPECTED}, ${PER_TARGET}`,
  'max-layers': `${COUNT_EXPECTED}, or per target as release=5 or a mapping release: 5`,
  'max-wasted': `${THRESHOLD_EXPECTED}, ${PER_TARGET}`
};

/** Names people bring from other tools (docker bake, compose), mapped to ours for "did you mean". */
const ALIASES: Readonly<Record<string, ImageKey>> = {
  dockerfile: 'file',
  args: 'build-args',
  target: 'targets',
  platform: 'platforms',
  path: 'context'
};

/** One image of the config file, every value parsed and validated like the input of its name. */
export interface ImageConfig {
  readonly name: string;
  /** Relative to the workspace, like the `context` input; `.` when not given. */
  readonly context: string;
  /** Relative to the workspace; undefined for `<context>/Dockerfile`. */
  readonly file: string | undefined;
  /** Empty for the Dockerfile's last stage. */
  readonly targets: readonly string[];
  /** `NAME=value` pairs, in order; values are secret-ish and never printed. */
  readonly buildArgs: ReadonlyArray<readonly [string, string]>;
  /** Empty for the builder's platform. */
  readonly platforms: readonly string[];
  readonly budgets: Budgets;
  /**
   * Where the image was written, so that what is found wrong later (a context that does not exist,
   * a budget for a target that is not built) is reported at its line like a syntax error.
   */
  readonly source: ImageSource;
}

export interface ImageSource {
  /** The config file as the `config` input names it. */
  readonly file: string;
  /** 0-based index in `images`. */
  readonly index: number;
  /** The image's own place (its first key). */
  readonly at: ConfigPosition;
  /** The place of each key's value. */
  readonly keys: ReadonlyMap<ImageKey, ConfigPosition>;
  /**
   * The place of each target named in a YAML list (`targets`) or mapping (a budget), by key and
   * lowercased target, so that "not a stage" or "not a built target" points at its own line.
   */
  readonly targets: ReadonlyMap<ImageKey, ReadonlyMap<string, ConfigPosition>>;
}

/** The path of an image's key in messages: `images[1].max-size`. */
export function keyPath(index: number, key?: string): string {
  return `images[${index}]${key === undefined ? '' : `.${key}`}`;
}

/**
 * An error about `key` of `image` found after parsing (a path that does not exist, a budget for a
 * target that is not built), at the place of that key's value, or of the target the InputError
 * names when it was written as a list item or mapping key; when the key was not written (a
 * Dockerfile derived from the context), at the place of `fallback`'s value, else at the image.
 */
export function imageError(image: ImageConfig, key: ImageKey, problem: InputError | string, fallback?: ImageKey): ConfigError {
  const { source } = image;
  const target = typeof problem === 'string' || problem.value === undefined ? undefined : source.targets.get(key)?.get(problem.value.toLowerCase());
  const at = target ?? source.keys.get(key) ?? (fallback === undefined ? undefined : source.keys.get(fallback)) ?? source.at;
  return new ConfigError(source.file, at, keyPath(source.index, key), typeof problem === 'string' ? problem : problem.description);
}

/** The error for a config file of `size` bytes, over CONFIG_LIMITS.bytes. */
export function tooLarge(file: string, size: number): ConfigError {
  return new ConfigError(file, { line: 1, column: 1 }, undefined, `is ${size} bytes, larger than the ${CONFIG_LIMITS.bytes / 1024} KiB a config file may be`);
}

/**
 * Parses a config file. `file` is how messages name it (the `config` input as given). Throws a
 * ConfigError at the first problem, in the order the file is written.
 */
export function parseConfig(text: string, file: string): ImageConfig[] {
  const size = Buffer.byteLength(text, 'utf8');
  if (size > CONFIG_LIMITS.bytes) throw tooLarge(file, size);
  const lines = new LineCounter();
  // uniqueKeys is off so that a key given twice is reported with its path (below), not as the
  // parser's bare "Map keys must be unique". YAML 1.2: `yes`, `on` and `010` mean what they look like.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false, strict: true, version: '1.2', merge: false });
  // Typed explicitly: TypeScript narrows after a call that returns `never` only then.
  const r: Reader = new Reader(file, lines);
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem) throw new ConfigError(file, r.position(problem.pos[0]), undefined, yamlProblem(problem));

  // Anchors and aliases would make one value's place another's, and let a few lines expand into a
  // huge document; a config is short enough to write out.
  visit(doc, {
    Alias: (_key, node) => r.fail(node, undefined, `uses the alias *${node.source} (anchors and aliases are not supported: write the value out)`),
    Node: (_key, node) => {
      if (node.anchor) r.fail(node, undefined, `defines the anchor &${node.anchor} (anchors and aliases are not supported: write the value out)`);
    }
  });

  const root = doc.contents;
  const topExpected = 'a mapping with an `images:` list, e.g. images: [{name: api, context: services/api}]';
  if (isEmpty(root)) r.fail(root, undefined, `is empty (expected ${topExpected})`);
  if (!isMap(root)) r.fail(root, undefined, `is not a mapping (expected ${topExpected})`);
  let imagesNode: Value | undefined;
  let imagesKey: Value = null;
  for (const entry of r.entries(root, '')) {
    if (entry.key === 'images') {
      imagesNode = entry.value;
      imagesKey = entry.keyNode;
      continue;
    }
    const path = join('', entry.key);
    const imageKey = (IMAGE_KEYS as readonly string[]).includes(entry.key);
    const near = didYouMean(entry.key, TOP_KEYS);
    r.fail(
      entry.keyNode,
      path,
      imageKey
        ? `is a key of an image: put it under one of the images of \`images:\``
        : `is not a key of a config file${near ? `; did you mean ${near}?` : ''} (keys: ${TOP_KEYS.join(', ')})`
    );
  }
  if (imagesNode === undefined) r.fail(root, undefined, `has no \`images:\` list (expected ${topExpected})`);
  if (!isSeq(imagesNode)) {
    const what = isMap(imagesNode) ? 'is a mapping' : isEmpty(imagesNode) ? 'has no value' : 'is not a list';
    r.fail(isEmpty(imagesNode) ? imagesKey : imagesNode, 'images', `${what} (expected a list of images, each a mapping with a name)`);
  }
  if (imagesNode.items.length === 0) r.fail(imagesNode, 'images', 'is an empty list (expected at least one image)', imagesKey);
  if (imagesNode.items.length > CONFIG_LIMITS.images) {
    r.fail(imagesNode.items[CONFIG_LIMITS.images] as Value, 'images', `lists ${imagesNode.items.length} images (at most ${CONFIG_LIMITS.images})`);
  }

  const images: ImageConfig[] = [];
  const names = new Map<string, number>();
  imagesNode.items.forEach((item, index) => {
    const image = readImage(r, file, item as Value, index);
    const first = names.get(image.name.toLowerCase());
    if (first !== undefined) {
      // Names become baseline keys and cache scopes, which must not be shared; `API` and `api` would
      // be told apart by some stores and not by others.
      r.failAt(
        image.source.keys.get('name') ?? image.source.at,
        keyPath(index, 'name'),
        `${quoteValue(image.name)} is already the name of images[${first}] (each image needs its own name; names are case-insensitive)`
      );
    }
    names.set(image.name.toLowerCase(), index);
    images.push(image);
  });
  return images;
}

function readImage(r: Reader, file: string, node: Value, index: number): ImageConfig {
  const path = keyPath(index);
  if (!isMap(node)) {
    const what = isSeq(node) ? 'is a list' : isEmpty(node) ? 'is empty' : `is ${quoteValue(String(isScalar(node) ? (node.source ?? node.value) : ''))}`;
    r.fail(node, path, `${what} (expected a mapping with a name, e.g. {name: api, context: services/api})`);
  }
  const keys = new Map<ImageKey, ConfigPosition>();
  const targets = new Map<ImageKey, ReadonlyMap<string, ConfigPosition>>();
  let name: string | undefined;
  let context = '.';
  let dockerfile: string | undefined;
  let stages: string[] = [];
  let buildArgs: Array<readonly [string, string]> = [];
  let platforms: string[] = [];
  let maxIncrease: PerTarget<Threshold> = { byTarget: new Map() };
  let maxSize: PerTarget<Threshold> = { byTarget: new Map() };
  let maxLayers: PerTarget<number> = { byTarget: new Map() };
  let maxWasted: PerTarget<Threshold> = { byTarget: new Map() };

  for (const { key, keyNode, value } of r.entries(node, path)) {
    const at = join(path, key);
    if (!isImageKey(key)) {
      const near = didYouMean(key, IMAGE_KEYS, ALIASES);
      r.fail(keyNode, at, `is not a key of an image${near ? `; did you mean ${near}?` : ''} (keys: ${IMAGE_KEYS.join(', ')})`);
    }
    keys.set(key, r.at(value, keyNode));
    if (key === 'targets' || key.startsWith('max-')) targets.set(key, r.places(value));
    const expected = EXPECTED[key];
    switch (key) {
      case 'name': {
        const text = r.text(value, keyNode, at, expected);
        if (!IMAGE_NAME.test(text)) r.fail(value, at, `${quoteValue(text)} is not a valid name (expected ${expected})`);
        name = text;
        break;
      }
      case 'context':
        context = r.parse(value, at, () => pathLike(INPUT.context, r.text(value, keyNode, at, expected)));
        break;
      case 'file':
        dockerfile = r.parse(value, at, () => pathLike(INPUT.file, r.text(value, keyNode, at, expected)));
        break;
      case 'targets':
        stages = readList(r, value, keyNode, at, expected, 'target', parseTargets, MAX_TARGETS);
        break;
      case 'platforms':
        platforms = readList(r, value, keyNode, at, expected, 'platform', parsePlatforms);
        break;
      case 'build-args':
        buildArgs = readBuildArgs(r, value, keyNode, at, expected);
        break;
      case 'max-increase':
        maxIncrease = readPerTarget(r, key, value, keyNode, at, (v) => parseThreshold(INPUT.maxIncrease, v, { percent: true }));
        break;
      case 'max-size':
        maxSize = readPerTarget(r, key, value, keyNode, at, (v) => parseThreshold(INPUT.maxSize, v, { percent: false }));
        break;
      case 'max-layers':
        maxLayers = readPerTarget(r, key, value, keyNode, at, (v) => parseCount(INPUT.maxLayers, v));
        break;
      case 'max-wasted':
        maxWasted = readPerTarget(r, key, value, keyNode, at, (v) => parseThreshold(INPUT.maxWasted, v, { percent: true }));
        break;
    }
  }
  if (name === undefined) r.fail(node, path, `has no name (every image needs one: ${EXPECTED.name})`);
  return {
    name,
    context,
    file: dockerfile,
    targets: stages,
    buildArgs,
    platforms,
    budgets: { maxIncrease, maxSize, maxLayers, maxWasted },
    source: { file, index, at: r.at(node), keys, targets }
  };
}

function isImageKey(key: string): key is ImageKey {
  return (IMAGE_KEYS as readonly string[]).includes(key);
}

/** `targets` or `platforms`: comma-separated text, or a YAML list of one value per item. */
function readList(
  r: Reader,
  value: Value,
  keyNode: Value,
  path: string,
  expected: string,
  one: string,
  parse: (text: string) => string[],
  max?: number
): string[] {
  if (!isSeq(value)) return r.parse(value, path, () => parse(r.text(value, keyNode, path, expected)));
  const items = r.items(value, keyNode, path, expected, one);
  if (max !== undefined && items.length > max) r.fail(items[max]?.node ?? value, path, `lists ${items.length} ${one}s (at most ${max})`);
  return r.parseItems(value, items, path, (some) => parse(some.map((i) => i.text).join('\n')));
}

/** `build-args`: a mapping NAME: value, a list of NAME=value, or NAME=value lines (as the input). */
function readBuildArgs(r: Reader, value: Value, keyNode: Value, path: string, expected: string): Array<readonly [string, string]> {
  if (isSeq(value)) {
    const items = r.items(value, keyNode, path, expected, 'NAME=value', true);
    return r.parseItems(value, items, path, (some) => parseBuildArgEntries(some.map((item, i) => ({ text: item.text, subject: `entry ${i + 1}` }))));
  }
  if (!isMap(value)) return r.parse(value, path, () => parseBuildArgs(r.text(value, keyNode, path, expected)));
  if (value.items.length === 0) r.fail(value, path, `is an empty mapping (expected ${expected}; leave the key out for its default)`);
  const args: Array<readonly [string, string]> = [];
  for (const entry of r.entries(value, path)) {
    // Never echoed: a build argument's value may be a secret.
    if (!isValidBuildArgName(entry.key)) {
      r.fail(entry.keyNode, path, `${quoteValue(entry.key)} is not a valid NAME (NAME is made of letters, digits and "_", not starting with a digit)`);
    }
    const arg = join(path, entry.key);
    if (isMap(entry.value) || isSeq(entry.value)) r.fail(entry.value, arg, `is a ${isMap(entry.value) ? 'mapping' : 'list'} (expected a value)`);
    if (!isScalar(entry.value) || isEmpty(entry.value)) r.fail(entry.keyNode, arg, `has no value (write ${entry.key}: "" for an empty one)`);
    const v = entry.value;
    // Taken as written: `VERSION: 1.10` is "1.10", not 1.1; strings keep their spaces.
    const text = typeof v.value === 'string' ? v.value : (v.source ?? String(v.value));
    args.push(...r.parse(v, path, () => parseBuildArgEntries([{ text: `${entry.key}=${text}`, subject: entry.key }])));
  }
  return args;
}

/**
 * A budget: text in the input's grammar (`10%`, `release=5%,debug=50MB`), or a mapping of target to
 * value (each value in the input's grammar, each error at its own line).
 */
function readPerTarget<T>(r: Reader, key: ImageKey, value: Value, keyNode: Value, path: string, parseOne: (text: string) => T): PerTarget<T> {
  const expected = EXPECTED[key];
  if (!isMap(value)) return r.parse(value, path, () => parsePerTarget(key, r.text(value, keyNode, path, expected), parseOne));
  if (value.items.length === 0) r.fail(value, path, `is an empty mapping (expected ${expected}; leave the key out for its default)`);
  const byTarget = new Map<string, T>();
  const seen = new Map<string, string>();
  for (const entry of r.entries(value, path)) {
    if (!isValidTargetName(entry.key)) {
      r.fail(entry.keyNode, path, `${quoteValue(entry.key)} is not a valid target name (expected ${TARGET_NAME_EXPECTED})`);
    }
    const lower = entry.key.toLowerCase();
    const first = seen.get(lower);
    // Stage names are case-insensitive: `Release` and `release` are one target.
    if (first !== undefined) r.fail(entry.keyNode, path, `${quoteValue(entry.key)} is given twice (as ${quoteValue(first)}; target names are case-insensitive)`);
    seen.set(lower, entry.key);
    const at = join(path, entry.key);
    const text = r.text(entry.value, entry.keyNode, at, expected);
    byTarget.set(lower, r.parse(entry.value, at, () => parseOne(text)));
  }
  return { byTarget };
}
