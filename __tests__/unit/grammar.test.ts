import { describe, expect, test } from '@jest/globals';
import { InputError, quoteValue } from '../../src/inputs/errors.js';
import {
  isValidTargetName,
  parseBoolean,
  parseCount,
  parseList,
  parseLines,
  parsePerTarget,
  parseSize,
  parseThreshold
} from '../../src/inputs/grammar.js';
import type { PerTarget, Threshold } from '../../src/model.js';
import { inputError } from '../support/input-error.js';


describe('InputError', () => {
  test('message form: input name, JSON-quoted value, expected forms', () => {
    const e = new InputError('max-increase', 'ten', 'e.g. 10MB, 512KiB, 5%');
    expect(e.message).toBe(`Invalid input 'max-increase': "ten" (expected e.g. 10MB, 512KiB, 5%)`);
    expect(e.name).toBe('InputError');
    expect(e).toBeInstanceOf(Error);
    expect([e.input, e.value, e.expected]).toEqual(['max-increase', 'ten', 'e.g. 10MB, 512KiB, 5%']);
  });

  test('a secret value is replaced by its subject', () => {
    const e = new InputError('build-args', undefined, 'NAME=value', { subject: 'the value of TOKEN', problem: 'is bad' });
    expect(e.message).toBe(`Invalid input 'build-args': the value of TOKEN is bad (expected NAME=value)`);
  });

  test('a hint replaces the expected parenthesis', () => {
    const e = new InputError('targets', 'x', 'a stage', { problem: 'is not a stage', hint: 'stages: a, b' });
    expect(e.message).toBe(`Invalid input 'targets': "x" is not a stage (stages: a, b)`);
  });

  test('a secret value without a subject is called "the value"', () => {
    const e = new InputError('build-args', undefined, 'NAME=value', { problem: 'is bad' });
    expect(e.message).toBe(`Invalid input 'build-args': the value is bad (expected NAME=value)`);
    expect(e.description).toBe('the value is bad (expected NAME=value)');
  });

  test.each([
    ['short value unchanged', 'abc', '"abc"'],
    ['control characters escaped', 'a\nb"c', '"a\\nb\\"c"'],
    ['80 characters kept whole', 'x'.repeat(80), `"${'x'.repeat(80)}"`],
    ['81 characters cut to 80 with an ellipsis', 'x'.repeat(81), `"${'x'.repeat(79)}…"`],
    ['surrogate pairs not split', '😀'.repeat(100), `"${'😀'.repeat(79)}…"`]
  ])('quoteValue: %s', (_name, value, expected) => {
    expect(quoteValue(value)).toBe(expected);
  });
});

describe('parseSize', () => {
  test.each([
    ['bytes', '0B', 0],
    ['bytes lowercase', '42b', 42],
    ['kB', '10kB', 10_000],
    ['KB', '10KB', 10_000],
    ['kb', '10kb', 10_000],
    ['MB', '10MB', 10_000_000],
    ['MB with a space', '10 MB', 10_000_000],
    ['mb lowercase', '10 mb', 10_000_000],
    ['Mb mixed case', '10Mb', 10_000_000],
    ['GB', '2GB', 2_000_000_000],
    ['TB', '1TB', 1_000_000_000_000],
    ['KiB', '512KiB', 524_288],
    ['kib lowercase', '512kib', 524_288],
    ['KIB uppercase with a space', '10 KIB', 10_240],
    ['MiB', '10MiB', 10_485_760],
    ['mib', '10mib', 10_485_760],
    ['GiB', '1GiB', 1_073_741_824],
    ['TiB', '1TiB', 1_099_511_627_776],
    ['decimal MB', '1.5MB', 1_500_000],
    ['decimal MiB', '1.5 MiB', 1_572_864],
    ['decimal that is whole', '2.000kB', 2000],
    ['several spaces', '10   MB', 10_000_000],
    ['tab', '10\tMB', 10_000_000],
    ['leading zeros', '007MB', 7_000_000],
    ['largest safe integer', `${Number.MAX_SAFE_INTEGER}B`, Number.MAX_SAFE_INTEGER]
  ])('accepts %s: %j', (_name, text, bytes) => {
    expect(parseSize('max-size', text)).toBe(bytes);
  });

  test.each([
    ['bare number (no unit)', '10', 'has no unit'],
    ['bare decimal', '1.5', 'has no unit'],
    ['word', 'ten', undefined],
    ['plural unit', '10 MBs', 'unknown unit "MBs"'],
    ['prefix only', '10 M', 'unknown unit "M"'],
    ['unknown unit', '10PB', 'unknown unit "PB"'],
    ['bits-ish', '10Mbit', 'unknown unit "Mbit"'],
    ['negative', '-5MB', 'is negative'],
    ['explicit plus', '+5MB', undefined],
    ['empty', '', 'is empty'],
    ['exponent', '1e3MB', undefined],
    ['hex', '0x10MB', undefined],
    ['trailing junk', '10MB junk', undefined],
    ['leading junk', 'about 10MB', undefined],
    ['fraction of a byte', '1.5B', 'is not a whole number of bytes'],
    ['fraction of a byte in KiB', '0.1KiB', 'is not a whole number of bytes'],
    ['leading dot', '.5MB', undefined],
    ['trailing dot', '5.MB', undefined],
    ['comma decimal', '1,5MB', undefined],
    ['unsafe integer', '9007199254740992B', 'is too large'],
    ['huge', '100000000TB', 'is too large'],
    ['percent', '5%', undefined]
  ])('rejects %s: %j', (_name, text, problem) => {
    const e = inputError(() => parseSize('max-size', text));
    expect(e.input).toBe('max-size');
    expect(e.value).toBe(text);
    expect(e.message).toContain(`Invalid input 'max-size': ${JSON.stringify(text)}`);
    expect(e.message).toContain('(expected e.g. 10MB, 512KiB)');
    if (problem !== undefined) expect(e.message).toContain(problem);
  });

  test.each([
    // A dash inside the value is not a sign: only a leading one says "is negative".
    ['a dash inside the number', '5-3MB', `Invalid input 'max-size': "5-3MB" (expected e.g. 10MB, 512KiB)`],
    ['a negative size', '-3MB', `Invalid input 'max-size': "-3MB" is negative (expected e.g. 10MB, 512KiB)`]
  ])('exact message for %s: %j', (_name, text, message) => {
    expect(inputError(() => parseSize('max-size', text)).message).toBe(message);
  });

  test('the unknown-unit error lists the accepted units', () => {
    expect(inputError(() => parseSize('max-size', '10 MBs')).message).toContain(
      'B, kB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024)'
    );
  });
});

describe('parseThreshold', () => {
  test.each<[string, string, boolean, Threshold]>([
    ['MB normalized', '10MB', true, { kind: 'bytes', bytes: 10_000_000, text: '10 MB' }],
    ['mb normalized', '10 mb', true, { kind: 'bytes', bytes: 10_000_000, text: '10 MB' }],
    ['MiB', '10MiB', true, { kind: 'bytes', bytes: 10_485_760, text: '10 MiB' }],
    ['KIB normalized', '512 KIB', true, { kind: 'bytes', bytes: 524_288, text: '512 KiB' }],
    ['KB normalized to kB', '5KB', false, { kind: 'bytes', bytes: 5000, text: '5 kB' }],
    ['decimal trailing zeros dropped', '1.50MB', false, { kind: 'bytes', bytes: 1_500_000, text: '1.5 MB' }],
    ['leading zeros dropped', '010MB', false, { kind: 'bytes', bytes: 10_000_000, text: '10 MB' }],
    ['several trailing zeros dropped', '1.500MB', false, { kind: 'bytes', bytes: 1_500_000, text: '1.5 MB' }],
    ['a zero inside the decimals kept', '1.05MB', false, { kind: 'bytes', bytes: 1_050_000, text: '1.05 MB' }],
    ['percent', '10%', true, { kind: 'percent', percent: 10, text: '10%' }],
    ['percent with a space', '5 %', true, { kind: 'percent', percent: 5, text: '5%' }],
    ['decimal percent', '2.5%', true, { kind: 'percent', percent: 2.5, text: '2.5%' }],
    ['zero percent', '0%', true, { kind: 'percent', percent: 0, text: '0%' }],
    ['percent normalized', '05.0%', true, { kind: 'percent', percent: 5, text: '5%' }],
    ['over 100 percent', '250%', true, { kind: 'percent', percent: 250, text: '250%' }],
    ['percent, several trailing zeros dropped', '2.500%', true, { kind: 'percent', percent: 2.5, text: '2.5%' }],
    ['percent, a zero inside the decimals kept', '0.05%', true, { kind: 'percent', percent: 0.05, text: '0.05%' }]
  ])('accepts %s: %j', (_name, text, percent, expected) => {
    expect(parseThreshold('max-increase', text, { percent })).toEqual(expected);
  });

  test.each([
    ['word', 'ten', undefined],
    ['plural unit', '10 MBs', 'unknown unit'],
    ['negative percent', '-5%', 'is negative'],
    ['negative size', '-5MB', 'is negative'],
    ['empty', '', 'is empty'],
    ['no unit', '10', 'has no unit'],
    ['double percent', '5%%', undefined],
    ['percent first', '%5', undefined],
    ['exponent percent', '1e2%', undefined],
    ['percent junk', '5% more', undefined]
  ])('max-increase rejects %s: %j', (_name, text, problem) => {
    const e = inputError(() => parseThreshold('max-increase', text, { percent: true }));
    expect(e.message).toContain(`Invalid input 'max-increase': ${JSON.stringify(text)}`);
    expect(e.message).toContain('(expected e.g. 10MB, 512KiB, 5%)');
    if (problem !== undefined) expect(e.message).toContain(problem);
  });

  test('a percentage too large for a number is rejected, not read as Infinity', () => {
    const text = `1${'0'.repeat(309)}%`; // 1e309 overflows to Infinity
    const e = inputError(() => parseThreshold('max-increase', text, { percent: true }));
    expect(e.message).toBe(
      `Invalid input 'max-increase': "1${'0'.repeat(78)}…" is too large (expected e.g. 10MB, 512KiB, 5%)`
    );
  });

  test.each([
    ['percent', '5%'],
    ['percent with a space', '5 %']
  ])('max-size rejects a %s and says so: %j', (_name, text) => {
    const e = inputError(() => parseThreshold('max-size', text, { percent: false }));
    expect(e.message).toBe(
      `Invalid input 'max-size': ${JSON.stringify(text)} is a percentage, which max-size does not accept (expected e.g. 10MB, 512KiB)`
    );
  });
});

describe('parseCount', () => {
  test.each([
    ['zero', '0', 0],
    ['small', '20', 20],
    ['leading zeros', '007', 7],
    ['largest safe', `${Number.MAX_SAFE_INTEGER}`, Number.MAX_SAFE_INTEGER]
  ])('accepts %s: %j', (_name, text, n) => {
    expect(parseCount('max-layers', text)).toBe(n);
  });

  test.each([
    ['negative', '-1', 'is negative'],
    ['decimal', '1.5', undefined],
    ['with a word', '10 layers', undefined],
    ['word', 'ten', undefined],
    ['empty', '', undefined],
    ['exponent', '1e3', undefined],
    ['hex', '0x10', undefined],
    ['plus sign', '+3', undefined],
    ['too large', '9007199254740993', 'is too large']
  ])('rejects %s: %j', (_name, text, problem) => {
    const e = inputError(() => parseCount('max-layers', text));
    expect(e.message).toContain(`Invalid input 'max-layers': ${JSON.stringify(text)}`);
    expect(e.message).toContain('expected a whole number ≥ 0, e.g. 20');
    if (problem !== undefined) expect(e.message).toContain(problem);
  });

  test.each([
    ['a dash inside the number', '1-2', `Invalid input 'max-layers': "1-2" (expected a whole number ≥ 0, e.g. 20)`],
    ['a negative number', '-2', `Invalid input 'max-layers': "-2" is negative (expected a whole number ≥ 0, e.g. 20)`]
  ])('exact message for %s: %j', (_name, text, message) => {
    expect(inputError(() => parseCount('max-layers', text)).message).toBe(message);
  });
});

describe('parsePerTarget', () => {
  const count = (v: string): number => parseCount('max-layers', v);
  const entries = <T>(p: PerTarget<T>): { fallback: T | undefined; byTarget: Array<[string, T]> } => ({
    fallback: p.fallback,
    byTarget: [...p.byTarget]
  });

  test.each<[string, string, number | undefined, Array<[string, number]>]>([
    ['empty', '', undefined, []],
    ['fallback only', '20', 20, []],
    ['one target', 'release=20', undefined, [['release', 20]]],
    [
      'targets separated by commas',
      'release=20,debug=40',
      undefined,
      [
        ['release', 20],
        ['debug', 40]
      ]
    ],
    [
      'targets separated by newlines, fallback last',
      'release=20\ndebug=40\n30',
      30,
      [
        ['release', 20],
        ['debug', 40]
      ]
    ],
    ['spaces around = and commas', ' release = 20 , 30 ', 30, [['release', 20]]],
    ['empty entries dropped', 'release=20,,\n\n', undefined, [['release', 20]]],
    ['target key lowercased', 'Release=20', undefined, [['release', 20]]],
    ['stage-name characters', 'app_v1.2-x=3', undefined, [['app_v1.2-x', 3]]]
  ])('accepts %s', (_name, text, fallback, byTarget) => {
    expect(entries(parsePerTarget('max-layers', text, count))).toEqual({ fallback, byTarget });
  });

  test('threshold values per target', () => {
    const p = parsePerTarget('max-increase', '5%, debug=50MB', (v) => parseThreshold('max-increase', v, { percent: true }));
    expect(p.fallback).toEqual({ kind: 'percent', percent: 5, text: '5%' });
    expect(p.byTarget.get('debug')).toEqual({ kind: 'bytes', bytes: 50_000_000, text: '50 MB' });
  });

  test.each([
    ['two fallbacks', '20,30', '"30" is a second value without a target'],
    ['target twice', 'release=1,release=2', '"release" is given more than once'],
    ['target twice, other case', 'release=1,RELEASE=2', '"RELEASE" is given more than once'],
    ['empty target name', '=20', '"" is not a valid target name'],
    ['target name with a space', 'my app=20', '"my app" is not a valid target name'],
    ['target name with a pipe', 'a|b=20', '"a|b" is not a valid target name'],
    ['target name starting with a digit', '1st=20', '"1st" is not a valid target name'],
    ['bad value for a target', 'release=ten', `"ten" (expected a whole number`],
    ['empty value for a target', 'release=', `"" (expected a whole number`]
  ])('rejects %s: %j', (_name, text, fragment) => {
    const e = inputError(() => parsePerTarget('max-layers', text, count));
    expect(e.input).toBe('max-layers');
    expect(e.message).toContain(`Invalid input 'max-layers': `);
    expect(e.message).toContain(fragment);
  });

  test.each([
    ['two fallbacks', '20,30', '"30" is a second value without a target'],
    ['target twice', 'release=1,release=2', '"release" is given more than once']
  ])('%s: the message says what is accepted', (_name, text, what) => {
    expect(inputError(() => parsePerTarget('max-layers', text, count)).message).toBe(
      `Invalid input 'max-layers': ${what} (expected one value for all targets and/or target=value entries, e.g. 10%, release=5MB)`
    );
  });
});

describe('parseBoolean', () => {
  test.each([
    ['true', true],
    ['True', true],
    ['TRUE', true],
    ['false', false],
    ['False', false],
    ['FALSE', false]
  ])('accepts %j', (text, value) => {
    expect(parseBoolean('fail-on-regression', text)).toBe(value);
  });

  test.each(['yes', 'no', '1', '0', 'on', 'off', 'tRUE', 'y', '', 'true ', 'truee'])('rejects %j', (text) => {
    const e = inputError(() => parseBoolean('fail-on-regression', text));
    expect(e.message).toBe(`Invalid input 'fail-on-regression': ${JSON.stringify(text)} (expected true or false)`);
  });
});

describe('parseList and parseLines', () => {
  test.each<[string, string, string[]]>([
    ['empty', '', []],
    ['commas', 'a,b,c', ['a', 'b', 'c']],
    ['newlines', 'a\nb\r\nc', ['a', 'b', 'c']],
    ['mixed with spaces and empties', ' a , b\n\n c,, ', ['a', 'b', 'c']]
  ])('parseList: %s', (_name, text, items) => {
    expect(parseList(text)).toEqual(items);
  });

  test.each<[string, string, string[]]>([
    ['empty', '', []],
    ['commas kept', 'A=1,2\nB=x', ['A=1,2', 'B=x']],
    ['CRLF and blank lines', ' A=1 \r\n\r\nB=2\n', ['A=1', 'B=2']]
  ])('parseLines: %s', (_name, text, items) => {
    expect(parseLines(text)).toEqual(items);
  });
});

describe('isValidTargetName', () => {
  test.each([
    ['simple', 'release', true],
    ['mixed case', 'Release', true],
    ['all allowed characters', 'a-b_c.d9', true],
    ['128 characters', 'a'.repeat(128), true],
    ['129 characters', 'a'.repeat(129), false],
    ['empty', '', false],
    ['starts with a digit', '1st', false],
    ['starts with a dash', '-x', false],
    ['starts with an underscore', '_x', false],
    ['space', 'a b', false],
    ['pipe', 'a|b', false],
    ['backtick', 'a`b', false],
    ['angle bracket', 'a<b', false],
    ['newline', 'a\nb', false],
    ['slash', 'a/b', false]
  ])('%s: %j → %s', (_name, s, ok) => {
    expect(isValidTargetName(s)).toBe(ok);
  });
});
