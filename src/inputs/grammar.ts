// The grammar of input values: sizes, thresholds, counts, per-target lists, booleans, lists.
// Pure: text in, typed value or InputError out. Strict on purpose: no parseInt/parseFloat
// leniency, so `10MB junk` or `1e3MB` fail instead of silently meaning something else.
import type { PerTarget, Threshold } from '../model.js';
import { InputError } from './errors.js';

interface Unit {
  readonly label: string;
  readonly factor: bigint;
}

// Keys are lowercase: the unit is matched case-insensitively, which is unambiguous because
// every accepted unit stays distinct once lowercased (no bits, no milli-).
const UNITS: ReadonlyMap<string, Unit> = new Map(
  (
    [
      ['B', 1n],
      ['kB', 1000n],
      ['MB', 1000n ** 2n],
      ['GB', 1000n ** 3n],
      ['TB', 1000n ** 4n],
      ['KiB', 1024n],
      ['MiB', 1024n ** 2n],
      ['GiB', 1024n ** 3n],
      ['TiB', 1024n ** 4n]
    ] as const
  ).map(([label, factor]) => [label.toLowerCase(), { label, factor }])
);

const UNIT_LIST = 'B, kB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024)';
export const SIZE_EXPECTED = 'e.g. 10MB, 512KiB';
export const THRESHOLD_EXPECTED = 'e.g. 10MB, 512KiB, 5%';
export const COUNT_EXPECTED = 'a whole number ≥ 0, e.g. 20';
export const BOOLEAN_EXPECTED = 'true or false';
export const TARGET_NAME_EXPECTED =
  'a stage name: a letter, then letters, digits, "_", "." or "-", at most 128 characters';

const DECIMAL = /^(\d+)(?:\.(\d+))?$/;
const SIZE = /^(\d+(?:\.\d+)?)[ \t]*([A-Za-z]+)$/;
const PERCENT = /^(\d+(?:\.\d+)?)[ \t]*%$/;

/** `007.50` → `7.5`: the number as a user would write it. */
function normalizeDecimal(intPart: string, fracPart: string): string {
  const int = BigInt(intPart).toString();
  const frac = fracPart.replace(/0+$/, '');
  return frac === '' ? int : `${int}.${frac}`;
}

function explainBadSize(text: string): string | undefined {
  if (text === '') return 'is empty';
  if (/^-\d/.test(text)) return 'is negative';
  if (DECIMAL.test(text)) return 'has no unit';
  return undefined;
}

function sizeBytes(input: string, text: string, expected: string): { bytes: number; text: string } {
  const m = SIZE.exec(text);
  if (!m) throw new InputError(input, text, expected, optionalProblem(explainBadSize(text)));
  const [, numberText = '', unitText = ''] = m;
  const unit = UNITS.get(unitText.toLowerCase());
  if (!unit) {
    throw new InputError(input, text, expected, {
      problem: `has an unknown unit ${JSON.stringify(unitText)}; units are ${UNIT_LIST}`
    });
  }
  const [, intPart = '0', fracPart = ''] = DECIMAL.exec(numberText) ?? [];
  // Exact arithmetic: 1.5MB is 1500000 bytes, not 1499999.9999.
  const scale = 10n ** BigInt(fracPart.length);
  const scaled = BigInt(intPart + fracPart) * unit.factor;
  if (scaled % scale !== 0n) {
    throw new InputError(input, text, expected, { problem: 'is not a whole number of bytes' });
  }
  const bytes = scaled / scale;
  if (bytes > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new InputError(input, text, expected, { problem: 'is too large' });
  }
  return { bytes: Number(bytes), text: `${normalizeDecimal(intPart, fracPart)} ${unit.label}` };
}

function optionalProblem(problem: string | undefined): { problem?: string } {
  return problem === undefined ? {} : { problem };
}

/** A size in bytes: `10MB`, `1.5 GB`, `512KiB`, `10 mb`. A unit is required. */
export function parseSize(input: string, text: string): number {
  return sizeBytes(input, text, SIZE_EXPECTED).bytes;
}

/** A size, or a percentage of the base size when `percent` is allowed (max-increase). */
export function parseThreshold(input: string, text: string, options: { readonly percent: boolean }): Threshold {
  const expected = options.percent ? THRESHOLD_EXPECTED : SIZE_EXPECTED;
  const p = PERCENT.exec(text);
  if (p) {
    if (!options.percent) {
      throw new InputError(input, text, expected, { problem: `is a percentage, which ${input} does not accept` });
    }
    const [, numberText = ''] = p;
    const [, intPart = '0', fracPart = ''] = DECIMAL.exec(numberText) ?? [];
    const percent = Number(numberText);
    if (!Number.isFinite(percent)) throw new InputError(input, text, expected, { problem: 'is too large' });
    return { kind: 'percent', percent, text: `${normalizeDecimal(intPart, fracPart)}%` };
  }
  const size = sizeBytes(input, text, expected);
  return { kind: 'bytes', bytes: size.bytes, text: size.text };
}

/** A non-negative integer, e.g. a layer count. */
export function parseCount(input: string, text: string): number {
  if (!/^\d+$/.test(text)) {
    throw new InputError(input, text, COUNT_EXPECTED, optionalProblem(/^-\d/.test(text) ? 'is negative' : undefined));
  }
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new InputError(input, text, COUNT_EXPECTED, { problem: 'is too large' });
  return n;
}

/**
 * `VALUE` for every target and/or `target=VALUE` entries, separated by commas or newlines:
 * `10%`, `release=5%,debug=50MB`, `5%, debug=50MB`. Target keys are lowercased (stage names are
 * case-insensitive). Empty text gives no fallback and no entries.
 */
export function parsePerTarget<T>(input: string, text: string, parseOne: (value: string) => T): PerTarget<T> {
  const byTarget = new Map<string, T>();
  let fallback: { value: T } | undefined;
  const expected = `one value for all targets and/or target=value entries, e.g. 10%, release=5MB`;
  for (const entry of parseList(text)) {
    const eq = entry.indexOf('=');
    if (eq < 0) {
      if (fallback !== undefined) {
        throw new InputError(input, entry, expected, { problem: 'is a second value without a target' });
      }
      fallback = { value: parseOne(entry) };
      continue;
    }
    const target = entry.slice(0, eq).trim();
    if (!isValidTargetName(target)) {
      throw new InputError(input, target, TARGET_NAME_EXPECTED, { problem: 'is not a valid target name' });
    }
    const key = target.toLowerCase();
    if (byTarget.has(key)) {
      throw new InputError(input, target, expected, { problem: 'is given more than once' });
    }
    byTarget.set(key, parseOne(entry.slice(eq + 1).trim()));
  }
  return fallback === undefined ? { byTarget } : { fallback: fallback.value, byTarget };
}

const TRUE = new Set(['true', 'True', 'TRUE']);
const FALSE = new Set(['false', 'False', 'FALSE']);

/** YAML 1.2 core schema booleans only, like @actions/core getBooleanInput; `yes`, `1`, `on` fail. */
export function parseBoolean(input: string, text: string): boolean {
  if (TRUE.has(text)) return true;
  if (FALSE.has(text)) return false;
  throw new InputError(input, text, BOOLEAN_EXPECTED);
}

/** Items separated by commas or newlines, trimmed, empties dropped. */
export function parseList(text: string): string[] {
  return text
    .split(/[,\r\n]/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** Lines, trimmed, empties dropped; for values that may contain commas (build-args). */
export function parseLines(text: string): string[] {
  return text
    .split(/\r?\n|\r/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

const TARGET_NAME = /^[a-zA-Z][a-zA-Z0-9_.-]*$/;

/** Dockerfile stage-name rules. */
export function isValidTargetName(s: string): boolean {
  return s.length <= 128 && TARGET_NAME.test(s);
}
