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
// Longer than 450 lines: it is the config file's whole contract (every key, what it accepts and
// where its errors point), kept in one place so that a key's rules are read together; each function
// is short.
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  visit,
  type Node,
  type Scalar,
  type YAMLError,
  type YAMLMap,
  type YAMLSeq
} from 'yaml';
import type { Budgets, PerTarget, Threshold } from '../model.js';
import { InputError, quoteValue } from '../inputs/errors.js';
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

/** A place in the config file, 1-based, as editors count. */
export interface ConfigPosition {
  readonly line: number;
  readonly column: number;
}

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

/**
 * An error in the config file, at a place: `file:line:column: images[1].max-size: "10" has no unit
 * (expected e.g. 10MB, 512KiB)`. `path` is the key (absent for the file as a whole).
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(
    readonly file: string,
    readonly position: ConfigPosition,
    readonly path: string | undefined,
    readonly detail: string
  ) {
    super(`${file}:${position.line}:${position.column}: ${path === undefined ? '' : `${path}: `}${detail}`);
  }
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

/**
 * The closest of `candidates` to `word` when it is probably a typo of it (`max_size`, `target`,
 * `dockerfile`), else undefined. Case-insensitive; the distance allowed grows with the length.
 */
export function didYouMean(word: string, candidates: readonly string[], aliases: Readonly<Record<string, string>> = {}): string | undefined {
  const lower = word.toLowerCase();
  const alias = Object.prototype.hasOwnProperty.call(aliases, lower) ? aliases[lower] : undefined;
  if (alias !== undefined && candidates.includes(alias)) return alias;
  const allowed = lower.length <= 3 ? 1 : lower.length <= 6 ? 2 : 3;
  let best: { readonly name: string; readonly distance: number } | undefined;
  for (const name of candidates) {
    const distance = editDistance(lower, name.toLowerCase());
    if (distance <= allowed && (best === undefined || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours. */
function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  const at = (i: number, j: number): number => rows[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, at(i - 2, j - 2) + 1);
      const row = rows[i];
      if (row) row[j] = d;
    }
  }
  return at(a.length, b.length);
}

/** A node as the parser gives it: absent for an empty value (`key:`). */
type Value = Node | null | undefined;

/** A key of a mapping as written, with its value. */
interface Entry {
  readonly key: string;
  readonly keyNode: Scalar;
  readonly value: Value;
}

/** One item of a list, as text, with its place. */
interface Item {
  readonly text: string;
  readonly node: Value;
}

/** Reads one config file; `fail` turns an offset into `file:line:column`. */
class Reader {
  constructor(
    private readonly file: string,
    private readonly lines: LineCounter
  ) {}

  position(offset: number): ConfigPosition {
    const { line, col } = this.lines.linePos(Math.max(0, offset));
    // LineCounter counts from the first newline it saw; an empty file has none.
    return { line: Math.max(1, line), column: Math.max(1, col) };
  }

  /** Where a node starts (after its tag or anchor); a missing value is placed at its key. */
  at(node: Value, fallback?: Value): ConfigPosition {
    const range = node?.range ?? fallback?.range;
    return this.position(range ? range[0] : 0);
  }

  fail(node: Value, path: string | undefined, detail: string, fallback?: Value): never {
    this.failAt(this.at(node, fallback), path, detail);
  }

  failAt(position: ConfigPosition, path: string | undefined, detail: string): never {
    throw new ConfigError(this.file, position, path || undefined, detail);
  }

  /** The entries of a mapping: every key a plain name, none twice. */
  entries(map: YAMLMap<unknown, unknown>, path: string): Entry[] {
    const out: Entry[] = [];
    const seen = new Map<string, Scalar>();
    for (const pair of map.items) {
      const keyNode = pair.key as Value;
      const valueNode = pair.value as Value;
      if (!isScalar(keyNode) || typeof keyNode.value !== 'string') {
        this.fail(keyNode ?? valueNode, path, 'has a key that is not a name (keys are plain words such as name or targets)');
      }
      const key = keyNode.value;
      const first = seen.get(key);
      if (first) {
        this.fail(keyNode, join(path, key), `is given twice (first on line ${this.at(first).line})`);
      }
      seen.set(key, keyNode);
      out.push({ key, keyNode, value: valueNode });
    }
    return out;
  }

  /**
   * The text of a scalar value, trimmed as the runner trims an input. A number or boolean is taken
   * as written (`0x10` stays `0x10` and fails where the input would), never as YAML read it.
   */
  text(node: Value, keyNode: Value, path: string, expected: string): string {
    if (isMap(node)) this.fail(node, path, `is a mapping (expected ${expected})`);
    if (isSeq(node)) this.fail(node, path, `is a list (expected ${expected})`);
    // An empty value's place is just after its colon: the key is where to look.
    if (!isScalar(node) || isEmpty(node)) this.fail(keyNode, path, `has no value (expected ${expected}; leave the key out for its default)`, node);
    const raw = typeof node.value === 'string' ? node.value : (node.source ?? String(node.value));
    const text = raw.trim();
    if (text === '') this.fail(node, path, `is empty (expected ${expected}; leave the key out for its default)`);
    return text;
  }

  /**
   * The items of a list value, each a non-empty scalar holding one value: `- release,debug` would
   * silently become two targets. Build arguments (`secret`) may hold commas, and are never echoed.
   */
  items(node: YAMLSeq<unknown>, keyNode: Value, path: string, expected: string, one: string, secret = false): Item[] {
    if (node.items.length === 0) this.fail(node, path, `is an empty list (expected ${expected}; leave the key out for its default)`, keyNode);
    return node.items.map((item, i) => {
      const value = item as Value;
      const text = this.text(value, keyNode, path, expected);
      if (secret ? /[\r\n]/.test(text) : /[,\r\n]/.test(text)) {
        this.fail(value, path, `${secret ? `entry ${i + 1}` : quoteValue(text)} holds ${secret ? 'a line break' : 'a comma or line break'} (give one ${one} per item)`);
      }
      return { text, node: value };
    });
  }

  /** The place of each item of a list, or each key of a mapping, by its lowercased text. */
  places(node: Value): ReadonlyMap<string, ConfigPosition> {
    const out = new Map<string, ConfigPosition>();
    const nodes = isSeq(node) ? node.items : isMap(node) ? node.items.map((p) => p.key) : [];
    for (const n of nodes) {
      if (isScalar(n) && typeof n.value === 'string' && !out.has(n.value.trim().toLowerCase())) out.set(n.value.trim().toLowerCase(), this.at(n));
    }
    return out;
  }

  /** Runs an inputs/ parser on a value's text; its InputError becomes a ConfigError at the value. */
  parse<T>(node: Value, path: string, run: () => T): T {
    try {
      return run();
    } catch (e) {
      if (e instanceof InputError) this.fail(node, path, e.description);
      throw e;
    }
  }

  /**
   * Runs a parser over the items of a list; an error is placed at the item whose addition first
   * makes the list fail (a duplicate at its second occurrence), found by parsing ever longer prefixes.
   */
  parseItems<T>(list: Value, items: readonly Item[], path: string, run: (items: readonly Item[]) => T): T {
    try {
      return run(items);
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      for (let n = 1; n <= items.length; n++) {
        try {
          run(items.slice(0, n));
        } catch (inner) {
          if (inner instanceof InputError) this.fail(items[n - 1]?.node ?? list, path, inner.description);
          throw inner;
        }
      }
      this.fail(list, path, e.description);
    }
  }
}

/** A value left out (`key:`) or written as null (`~`, `null`). */
function isEmpty(node: Value): boolean {
  return node === null || node === undefined || (isScalar(node) && (node.value === null || node.value === undefined));
}

/** `images[0]` + `max-size` → `images[0].max-size`; a key that is not a plain word is quoted. */
function join(path: string, key: string): string {
  const shown = /^[A-Za-z0-9_-]{1,40}$/.test(key) ? key : quoteValue(key);
  return path === '' ? shown : `${path}.${shown}`;
}

/** What a YAML parse error says, without the parser's own API advice. */
function yamlProblem(error: YAMLError): string {
  switch (error.code) {
    case 'MULTIPLE_DOCS':
      return 'holds more than one YAML document (a config is one document: remove the second `---`)';
    case 'TAG_RESOLVE_FAILED':
      return `${error.message} (values are plain YAML: strings, numbers, lists and mappings)`;
    default:
      return `is not valid YAML: ${error.message}`;
  }
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
