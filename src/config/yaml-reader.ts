// Reading a YAML config file with its places: a located error (`file:line:column: path: detail`)
// for every problem, and a Reader that takes keys, scalars and lists the strict way inputs are
// taken (a number as written, one value per list item, no key twice), running the inputs/ parsers
// on their text. Pure: text in (parsed by the caller with `yaml`), values or a ConfigError out.
// config.ts says which keys a config file has; this file knows only YAML and places.
import { isMap, isScalar, isSeq, type LineCounter, type Node, type Scalar, type YAMLError, type YAMLMap, type YAMLSeq } from 'yaml';
import { InputError, quoteValue } from '../inputs/errors.js';

/** A place in the config file, 1-based, as editors count. */
export interface ConfigPosition {
  readonly line: number;
  readonly column: number;
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

/** A node as the parser gives it: absent for an empty value (`key:`). */
export type Value = Node | null | undefined;

/** A key of a mapping as written, with its value. */
export interface Entry {
  readonly key: string;
  readonly keyNode: Scalar;
  readonly value: Value;
}

/** One item of a list, as text, with its place. */
export interface Item {
  readonly text: string;
  readonly node: Value;
}

/** Reads one config file; `fail` turns an offset into `file:line:column`. */
export class Reader {
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
export function isEmpty(node: Value): boolean {
  return node === null || node === undefined || (isScalar(node) && (node.value === null || node.value === undefined));
}

/** `images[0]` + `max-size` → `images[0].max-size`; a key that is not a plain word is quoted. */
export function join(path: string, key: string): string {
  const shown = /^[A-Za-z0-9_-]{1,40}$/.test(key) ? key : quoteValue(key);
  return path === '' ? shown : `${path}.${shown}`;
}

/** What a YAML parse error says, without the parser's own API advice. */
export function yamlProblem(error: YAMLError): string {
  switch (error.code) {
    case 'MULTIPLE_DOCS':
      return 'holds more than one YAML document (a config is one document: remove the second `---`)';
    case 'TAG_RESOLVE_FAILED':
      return `${error.message} (values are plain YAML: strings, numbers, lists and mappings)`;
    default:
      return `is not valid YAML: ${error.message}`;
  }
}
