// Property tests of the size and threshold grammar (issue 6): ANY string given to max-increase,
// max-size, max-wasted or max-layers either parses to the value a person reads in it, or fails with
// an InputError naming the input, echoing the value and saying what is accepted. Never NaN, never a
// silently truncated number, and the budget as the action echoes it back reads as the same value.
//
// The expected values are computed here, independently of src/inputs/grammar.ts: well-formed values
// are generated from the value first (an exact fraction and a unit) and then spelled in one of the
// documented ways; arbitrary strings are read by a small hand-written scanner of the documented
// grammar (PRODUCT.md §2: B, kB, MB, GB, TB, KiB, MiB, GiB, TiB, any letter case, optional blanks,
// percentages where the input takes them).
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { InputError } from '../../src/inputs/errors.js';
import { parseCount, parseSize, parseThreshold } from '../../src/inputs/grammar.js';
import { parseInputs } from '../../src/inputs/inputs.js';
import type { PerTarget, Threshold } from '../../src/model.js';
import { formatThreshold } from '../../src/report/format.js';

// ── The documented grammar, restated ────────────────────────────────────────────────────────────

/** Accepted units, keyed by their lowercase spelling: the canonical label and the bytes in one. */
const UNITS: ReadonlyMap<string, readonly [string, bigint]> = new Map([
  ['b', ['B', 1n]],
  ['kb', ['kB', 10n ** 3n]],
  ['mb', ['MB', 10n ** 6n]],
  ['gb', ['GB', 10n ** 9n]],
  ['tb', ['TB', 10n ** 12n]],
  ['kib', ['KiB', 2n ** 10n]],
  ['mib', ['MiB', 2n ** 20n]],
  ['gib', ['GiB', 2n ** 30n]],
  ['tib', ['TiB', 2n ** 40n]]
]);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

const SIZE_FORMS = 'expected e.g. 10MB, 512KiB';
const THRESHOLD_FORMS = 'expected e.g. 10MB, 512KiB, 5%';
const COUNT_FORMS = 'expected a whole number ≥ 0, e.g. 20';

interface Kind {
  readonly input: 'max-increase' | 'max-size' | 'max-wasted';
  readonly percent: boolean;
  readonly forms: string;
}
const KINDS: readonly Kind[] = [
  { input: 'max-increase', percent: true, forms: THRESHOLD_FORMS },
  { input: 'max-size', percent: false, forms: SIZE_FORMS },
  { input: 'max-wasted', percent: true, forms: THRESHOLD_FORMS }
];

/** What a reader of the documented grammar makes of one value: a threshold, or a refusal (and maybe why). */
type Reading = { readonly ok: true; readonly value: Threshold } | { readonly ok: false; readonly why?: string };

const isAsciiDigit = (c: string | undefined): boolean => c !== undefined && c.length === 1 && c >= '0' && c <= '9';
const isAsciiLetter = (c: string): boolean => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');

/** `007.500` → `7.5`, written by hand (no regular expression shared with the parser). */
function canonical(int: string, frac: string): string {
  let i = 0;
  while (i < int.length - 1 && int[i] === '0') i++;
  let j = frac.length;
  while (j > 0 && frac[j - 1] === '0') j--;
  return j === 0 ? int.slice(i) : `${int.slice(i)}.${frac.slice(0, j)}`;
}

/** Reads one value (already trimmed, as core.getInput and the list splitter do) the way the docs describe it. */
function readThreshold(text: string, percentOk: boolean): Reading {
  let i = 0;
  let int = '';
  while (isAsciiDigit(text[i])) int += text[i++];
  if (int === '') return { ok: false };
  let frac = '';
  if (text[i] === '.') {
    i++;
    while (isAsciiDigit(text[i])) frac += text[i++];
    if (frac === '') return { ok: false };
  }
  while (text[i] === ' ' || text[i] === '\t') i++;
  const rest = text.slice(i);
  const number = canonical(int, frac);
  if (rest === '%') {
    if (!percentOk) return { ok: false, why: 'is a percentage' };
    // A person reads a decimal; the nearest double is that reading in a number.
    const percent = Number(`${int}.${frac === '' ? '0' : frac}`);
    if (!Number.isFinite(percent)) return { ok: false, why: 'is too large' };
    return { ok: true, value: { kind: 'percent', percent, text: `${number}%` } };
  }
  if (rest === '' || ![...rest].every(isAsciiLetter)) return { ok: false };
  const unit = UNITS.get(rest.toLowerCase());
  if (unit === undefined) return { ok: false, why: `has an unknown unit ${JSON.stringify(rest)}` };
  const scaled = BigInt(int + frac) * unit[1];
  const scale = 10n ** BigInt(frac.length);
  if (scaled % scale !== 0n) return { ok: false, why: 'is not a whole number of bytes' };
  const bytes = scaled / scale;
  if (bytes > MAX_SAFE) return { ok: false, why: 'is too large' };
  return { ok: true, value: { kind: 'bytes', bytes: Number(bytes), text: `${number} ${unit[0]}` } };
}

/** max-layers: ASCII digits only, a safe integer. */
function readCount(text: string): { readonly ok: true; readonly value: number } | { readonly ok: false } {
  if (text === '' || ![...text].every((c) => isAsciiDigit(c))) return { ok: false };
  const n = BigInt(text);
  return n > MAX_SAFE ? { ok: false } : { ok: true, value: Number(n) };
}

/** A stage name as Dockerfile allows it: a letter, then letters, digits, `_`, `.`, `-`; at most 128. */
function isStageName(s: string): boolean {
  return s.length >= 1 && s.length <= 128 && isAsciiLetter(s[0]!) && [...s].every((c) => isAsciiLetter(c) || isAsciiDigit(c) || '_.-'.includes(c));
}

/**
 * The per-target form: `VALUE` and/or `target=VALUE`, separated by commas or line breaks, blanks
 * around items ignored, one fallback at most, each target once (case-insensitive, keys lowercased).
 */
function readPerTarget<T>(text: string, one: (v: string) => { ok: true; value: T } | { ok: false }): { ok: true; value: PerTarget<T> } | { ok: false } {
  const items = text
    .split(/[,\r\n]/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
  let fallback: { value: T } | undefined;
  const byTarget = new Map<string, T>();
  for (const item of items) {
    const eq = item.indexOf('=');
    const target = eq < 0 ? undefined : item.slice(0, eq).trim();
    const r = one(eq < 0 ? item : item.slice(eq + 1).trim());
    if (target === undefined) {
      if (fallback !== undefined || !r.ok) return { ok: false };
      fallback = { value: r.value };
      continue;
    }
    if (!isStageName(target) || byTarget.has(target.toLowerCase()) || !r.ok) return { ok: false };
    byTarget.set(target.toLowerCase(), r.value);
  }
  return { ok: true, value: fallback === undefined ? { byTarget } : { fallback: fallback.value, byTarget } };
}

// ── What an error must say ──────────────────────────────────────────────────────────────────────

/** How the value shows in a message: JSON-quoted, cut to 80 code points with `…` (a pasted blob can't flood the log). */
function shown(value: string): string {
  const points = Array.from(value);
  return JSON.stringify(points.length > 80 ? `${points.slice(0, 79).join('')}…` : value);
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

/** The error of a single value: names the input, echoes the value, lists the accepted forms. */
function expectValueError(e: unknown, input: string, value: string, forms: string, why?: string): void {
  expect(e).toBeInstanceOf(InputError);
  const err = e as InputError;
  expect(err.input).toBe(input);
  expect(err.value).toBe(value);
  expect(err.message.startsWith(`Invalid input '${input}': ${shown(value)}`)).toBe(true);
  expect(err.message.endsWith(`(${forms})`)).toBe(true);
  if (why !== undefined) expect(err.message).toContain(why);
}

/**
 * The error of a whole input (the per-target list): names the input, quotes the offending part
 * (an item, a target or a value, each a piece of what was typed) and says what is accepted.
 */
function expectInputError(e: unknown, input: string, text: string): void {
  expect(e).toBeInstanceOf(InputError);
  const err = e as InputError;
  expect(err.input).toBe(input);
  const m = /^Invalid input '([^']+)': ("(?:[^"\\]|\\.)*")(?: .*?)? \((expected .+|built targets: .*)\)$/su.exec(err.message);
  expect(m).not.toBeNull();
  expect(m![1]).toBe(input);
  const quoted = JSON.parse(m![2]!) as string;
  const piece = quoted.endsWith('…') && Array.from(quoted).length === 80 ? quoted.slice(0, -1) : quoted;
  expect(text).toContain(piece);
}

/** A parsed number is never NaN, infinite, negative or fractional where bytes are meant. */
function expectSane(t: Threshold): void {
  if (t.kind === 'bytes') {
    expect(Number.isSafeInteger(t.bytes) && t.bytes >= 0).toBe(true);
  } else {
    expect(Number.isFinite(t.percent) && t.percent >= 0).toBe(true);
  }
}

// ── Generators ──────────────────────────────────────────────────────────────────────────────────

/** A unit spelled in any letter case: `mib`, `MIB`, `mIb`. */
const unitSpelling = fc.constantFrom(...UNITS.keys()).chain((key) =>
  fc.array(fc.boolean(), { minLength: key.length, maxLength: key.length }).map((upper) => ({
    key,
    spelled: [...key].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join('')
  }))
);

const blanks = fc.constantFrom('', '', ' ', '  ', '\t', ' \t ');

/**
 * A number generated as a value first, `k / 10^d`, then spelled with optional leading zeros and
 * trailing zeros: its exact value and its canonical spelling are known without reading the text.
 */
const decimal = fc
  .record({
    k: fc.oneof(fc.bigInt({ min: 0n, max: 10_000n }), fc.bigInt({ min: 0n, max: 10n ** 20n })),
    d: fc.integer({ min: 0, max: 6 }),
    leadingZeros: fc.integer({ min: 0, max: 3 }),
    trailingZeros: fc.integer({ min: 0, max: 3 })
  })
  .map(({ k, d, leadingZeros, trailingZeros }) => {
    const digits = k.toString().padStart(d + 1, '0');
    const int = digits.slice(0, digits.length - d);
    const frac = digits.slice(digits.length - d) + '0'.repeat(trailingZeros);
    const spelled = `${'0'.repeat(leadingZeros)}${int}${frac === '' ? '' : `.${frac}`}`;
    // Canonical spelling from the value: k / 10^d reduced.
    let [kk, dd] = [k, d];
    while (dd > 0 && kk % 10n === 0n) [kk, dd] = [kk / 10n, dd - 1];
    const kd = kk.toString().padStart(dd + 1, '0');
    const reading = dd === 0 ? kd : `${kd.slice(0, kd.length - dd)}.${kd.slice(kd.length - dd)}`;
    return { k, d, spelled, reading };
  });

const wellFormedSize = fc.record({ n: decimal, blank: blanks, unit: unitSpelling }).map(({ n, blank, unit }) => {
  const [label, factor] = UNITS.get(unit.key)!;
  const scaled = n.k * factor;
  const scale = 10n ** BigInt(n.d);
  const whole = scaled % scale === 0n;
  const bytes = scaled / scale;
  const expected: Reading = !whole
    ? { ok: false, why: 'is not a whole number of bytes' }
    : bytes > MAX_SAFE
      ? { ok: false, why: 'is too large' }
      : { ok: true, value: { kind: 'bytes', bytes: Number(bytes), text: `${n.reading} ${label}` } };
  return { text: `${n.spelled}${blank}${unit.spelled}`, expected };
});

const wellFormedPercent = fc.record({ n: decimal, blank: blanks }).map(({ n, blank }) => ({
  text: `${n.spelled}${blank}%`,
  expected: { ok: true, value: { kind: 'percent', percent: Number(n.reading), text: `${n.reading}%` } } as Reading
}));

/** Digits that are not ASCII: Arabic-Indic, Devanagari, fullwidth, mathematical bold (astral). */
const foreignDigit = fc.constantFrom('٣', '३', '３', '𝟑', '¾', '²', 'Ⅻ');

/** A valid value broken in one of the ways people (and pastes) break them. */
const mutated = fc
  .tuple(fc.oneof(wellFormedSize, wellFormedPercent), fc.nat(), foreignDigit, fc.string({ unit: 'binary', maxLength: 3 }))
  .chain(([v, at, digit, junk]) => {
    const t = v.text;
    const i = at % (t.length + 1);
    return fc.constantFrom(
      `${t}s`,
      `-${t}`,
      `+${t}`,
      `${t} ${junk}`,
      `${junk}${t}`,
      `${t.slice(0, i)}${junk}${t.slice(i)}`,
      `${t.slice(0, i)}${t.slice(i + 1)}`,
      `${t.slice(0, i)}${t[i] ?? ''}${t.slice(i)}`,
      `${t.slice(0, i)}${digit}${t.slice(i)}`,
      t.replace(/\d/, digit),
      t.replace(/(\d)/, '$1e3'),
      `0x${t}`,
      t.replace('.', '..'),
      t.replace('.', ','),
      t.replace(/^(\d+)/, '$1.'),
      t.replace(/^/, '.'),
      t.replace(/[ \t]/g, '\u00a0'),
      t.replace(/[ \t]/g, '\n'),
      `${t}%`,
      `${t}${t}`
    );
  });

const named = fc.constantFrom(
  '10 MBs',
  '-5%',
  '-5MB',
  '1e3MB',
  '1E3MB',
  '0x10MB',
  '10..5MB',
  '1,5MB',
  '.5MB',
  '5.MB',
  'NaN',
  'NaNMB',
  'Infinity',
  'InfinityMB',
  'Infinity%',
  '-0MB',
  '+0%',
  '10MB junk',
  'about 10MB',
  '10 M B',
  '10MiB/s',
  '10 mbit',
  '10 constructor',
  '10 __proto__',
  '10 toString',
  '10 hasOwnProperty',
  '10 valueOf',
  '%',
  '5%%',
  '5 %%',
  'MB',
  '',
  ' ',
  '١٠MB',
  '１０ＭＢ',
  '10ＭＢ',
  '10\u00a0MB',
  '10\u200bMB',
  '10\u2060MB',
  '10MB\u0000',
  `${'9'.repeat(400)}MB`,
  `${'9'.repeat(400)}%`,
  `${'1'.repeat(310)}%`,
  `0.${'0'.repeat(400)}1%`,
  `0.${'0'.repeat(40)}1TiB`,
  `${Number.MAX_SAFE_INTEGER}B`,
  `${Number.MAX_SAFE_INTEGER + 1}B`,
  '9007199.254740991MB',
  '8191.99999999999909050529822707176208496TiB',
  '8192TiB',
  `1${'0'.repeat(21)}B`
);

/** Strings over the grammar's own alphabet hit the near-misses far more often than random text. */
const nearMiss = fc.string({
  unit: fc.constantFrom('0', '1', '5', '9', '.', ' ', '\t', '%', 'k', 'K', 'i', 'I', 'B', 'b', 'M', 'm', 'G', 'T', 'e', 'x', '-', '+', ','),
  maxLength: 12
});

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));

const anyString = fc.oneof(
  { weight: 3, arbitrary: mutated },
  { weight: 2, arbitrary: named },
  { weight: 3, arbitrary: nearMiss },
  { weight: 1, arbitrary: fc.string() },
  { weight: 1, arbitrary: fc.string({ unit: 'binary' }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme' }) },
  { weight: 1, arbitrary: fc.string({ unit: fc.oneof(fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), loneSurrogate, foreignDigit) }) },
  { weight: 2, arbitrary: fc.oneof(wellFormedSize, wellFormedPercent).map((v) => v.text) }
);

const kind = fc.constantFrom(...KINDS);

// ── Properties ──────────────────────────────────────────────────────────────────────────────────

describe('size and threshold values: well-formed values parse to what a person reads', () => {
  test('a size in any documented spelling is its exact number of bytes, or a precise refusal', () => {
    fc.assert(
      fc.property(kind, wellFormedSize, (k, { text, expected }) => {
        const run = (): Threshold => parseThreshold(k.input, text, { percent: k.percent });
        if (expected.ok) {
          expect(run()).toEqual(expected.value);
          if (!k.percent) expect(parseSize(k.input, text)).toBe((expected.value as { bytes: number }).bytes);
        } else {
          expectValueError(thrown(run), k.input, text, k.forms, expected.why);
        }
      }),
      { numRuns: 2000 }
    );
  });

  test('a percentage is the decimal as written (max-increase, max-wasted) and refused by max-size', () => {
    fc.assert(
      fc.property(kind, wellFormedPercent, (k, { text, expected }) => {
        const run = (): Threshold => parseThreshold(k.input, text, { percent: k.percent });
        if (k.percent) expect(run()).toEqual((expected as { value: Threshold }).value);
        else expectValueError(thrown(run), k.input, text, k.forms, `is a percentage, which ${k.input} does not accept`);
      }),
      { numRuns: 1000 }
    );
  });

  test('the budget as the action echoes it (log, verdict reasons) reads back as the same value', () => {
    // A reader of what formatThreshold prints: the units above plus PB and EB, which it may print.
    const shownUnits = new Map<string, bigint>([...[...UNITS.values()].map(([l, f]) => [l, f] as const), ['PB', 10n ** 15n], ['EB', 10n ** 18n]]);
    const readBack = (s: string): bigint | undefined => {
      const m = /^(\d+)(?:\.(\d+))? (\S+)$/.exec(s);
      const factor = m ? shownUnits.get(m[3]!) : undefined;
      if (!m || factor === undefined) return undefined;
      const frac = m[2] ?? '';
      const scaled = BigInt(m[1]! + frac) * factor;
      const scale = 10n ** BigInt(frac.length);
      return scaled % scale === 0n ? scaled / scale : undefined;
    };
    fc.assert(
      fc.property(fc.oneof(wellFormedSize, wellFormedPercent, fc.record({ text: anyString })), ({ text }) => {
        let t: Threshold;
        try {
          t = parseThreshold('max-increase', text, { percent: true });
        } catch {
          return;
        }
        const echoed = formatThreshold(t);
        if (t.kind === 'percent') {
          expect(echoed.endsWith('%')).toBe(true);
          expect(Number(echoed.slice(0, -1))).toBe(t.percent);
        } else {
          expect(readBack(echoed)).toBe(BigInt(t.bytes));
        }
      }),
      { numRuns: 2000 }
    );
  });
});

describe('size and threshold values: any string parses as the docs read it, or fails naming the input', () => {
  test('parseThreshold and parseSize agree with the documented reading on every string', () => {
    fc.assert(
      fc.property(kind, anyString, (k, text) => {
        const expected = readThreshold(text, k.percent);
        const run = (): Threshold => parseThreshold(k.input, text, { percent: k.percent });
        if (expected.ok) {
          const t = run();
          expectSane(t);
          expect(t).toEqual(expected.value);
        } else {
          expectValueError(thrown(run), k.input, text, k.forms, expected.why);
        }
        const size = readThreshold(text, false);
        if (size.ok) expect(parseSize('max-size', text)).toBe((size.value as { bytes: number }).bytes);
        // parseSize alone does not single out percentages (only parseThreshold does), so no reason is checked for them.
        else expectValueError(thrown(() => parseSize('max-size', text)), 'max-size', text, SIZE_FORMS, size.why === 'is a percentage' ? undefined : size.why);
      }),
      { numRuns: 3000 }
    );
  });

  test('parseCount (max-layers) takes ASCII digits only, a safe integer, nothing else', () => {
    const counts = fc.oneof(anyString, fc.bigInt({ min: 0n, max: 10n ** 20n }).map(String), fc.nat().map((n) => `${n}`));
    fc.assert(
      fc.property(counts, (text) => {
        const expected = readCount(text);
        const run = (): number => parseCount('max-layers', text);
        if (expected.ok) expect(run()).toBe(expected.value);
        else expectValueError(thrown(run), 'max-layers', text, COUNT_FORMS);
      }),
      { numRuns: 2000 }
    );
  });
});

describe('the budget inputs as the action reads them (parseInputs)', () => {
  const BUDGET_INPUTS = [
    { input: 'max-increase', key: 'maxIncrease', read: (v: string) => readThreshold(v, true) },
    { input: 'max-size', key: 'maxSize', read: (v: string) => readThreshold(v, false) },
    { input: 'max-wasted', key: 'maxWasted', read: (v: string) => readThreshold(v, true) },
    { input: 'max-layers', key: 'maxLayers', read: readCount }
  ] as const;

  /** core.getInput: the raw value trimmed; every other input left empty (its default). */
  const inputs = (name: string, raw: string) => parseInputs((n) => (n === name ? raw.trim() : ''));

  const stage = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_.-]{0,12}$/);
  const value = fc.oneof(
    wellFormedSize.map((v) => v.text),
    wellFormedPercent.map((v) => v.text),
    fc.nat({ max: 500 }).map(String),
    anyString
  );
  const separator = fc.constantFrom(',', ', ', '\n', '\r\n', ' ,\n', ',,');
  /** `5%, release=10MB\ndebug = 1 GiB`: an optional fallback and target=value entries, maybe broken. */
  const perTargetText = fc
    .record({
      fallback: fc.option(value, { nil: undefined }),
      entries: fc.array(fc.tuple(stage, fc.constantFrom('=', ' = ', '= '), value), { maxLength: 4 }),
      seps: fc.array(separator, { minLength: 5, maxLength: 5 }),
      where: fc.nat()
    })
    .map(({ fallback, entries, seps, where }) => {
      const items = entries.map(([t, eq, v]) => `${t}${eq}${v}`);
      if (fallback !== undefined) items.splice(where % (items.length + 1), 0, fallback);
      return items.map((item, i) => (i === 0 ? item : `${seps[i % seps.length]}${item}`)).join('');
    });

  test('every budget input gives the documented per-target values, or an error naming that input', () => {
    fc.assert(
      fc.property(fc.constantFrom(...BUDGET_INPUTS), fc.oneof(perTargetText, anyString), (b, raw) => {
        const expected = readPerTarget<Threshold | number>(raw.trim(), b.read);
        if (expected.ok) {
          const got = inputs(b.input, raw).budgets[b.key]!;
          expect(got.fallback).toEqual(expected.value.fallback);
          expect([...got.byTarget]).toEqual([...expected.value.byTarget]);
          for (const v of [...(got.fallback === undefined ? [] : [got.fallback]), ...got.byTarget.values()]) {
            if (typeof v === 'number') expect(Number.isSafeInteger(v) && v >= 0).toBe(true);
            else expectSane(v);
          }
        } else {
          expectInputError(thrown(() => inputs(b.input, raw)), b.input, raw);
        }
      }),
      { numRuns: 2000 }
    );
  });
});

describe('shrunk examples found by the properties', () => {
  // Each was a counterexample of a property above; kept as plain cases.
  test.each<[string, Threshold, string]>([
    ['a byte over a short decimal form is not rounded away', { kind: 'bytes', bytes: 1_000_000_000_001, text: '1000000000001 B' }, '1000000000001 B'],
    ['a byte over a binary form is not rounded away', { kind: 'bytes', bytes: 2 ** 40 + 1, text: '1099511627777 B' }, '1099511627777 B'],
    ['a percentage finer than three decimals keeps its digits', { kind: 'percent', percent: 0.0001, text: '0.0001%' }, '0.0001%'],
    ['a percentage is not rounded up to a larger budget', { kind: 'percent', percent: 0.0005, text: '0.0005%' }, '0.0005%'],
    ['a percentage just above a whole one keeps its digits', { kind: 'percent', percent: 1.0000001, text: '1.0000001%' }, '1.0000001%']
  ])('formatThreshold: %s', (_name, t, echoed) => {
    expect(formatThreshold(t)).toBe(echoed);
  });
});
