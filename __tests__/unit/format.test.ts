import { describe, expect, it } from '@jest/globals';
import type { Threshold } from '../../src/model.js';
import {
  formatBytes,
  formatCount,
  formatDelta,
  formatExactBytes,
  formatGrowth,
  formatPercent,
  formatThreshold,
  groupDigits,
  shortenRuns,
  shortSha
} from '../../src/report/format.js';

describe('formatBytes', () => {
  it.each([
    ['zero', 0, '0 B'],
    ['one byte', 1, '1 B'],
    ['largest byte count', 999, '999 B'],
    ['one kilobyte', 1000, '1.00 kB'],
    ['three significant digits', 1234, '1.23 kB'],
    ['rounds half up', 1235, '1.24 kB'],
    ['kilobytes', 340_000, '340 kB'],
    ['just under a megabyte stays kB', 999_499, '999 kB'],
    ['rounding up promotes the unit', 999_500, '1.00 MB'],
    ['megabytes', 12_345_678, '12.3 MB'],
    ['keeps trailing zeros', 2_100_000, '2.10 MB'],
    ['gigabytes', 1_050_000_000, '1.05 GB'],
    ['terabytes', 2_500_000_000_000, '2.50 TB'],
    ['negative', -340_000, '-340 kB'],
    ['fractions are rounded', 12.6, '13 B'],
    ['NaN is visible, not a number', Number.NaN, '? B'],
    ['infinity', Number.POSITIVE_INFINITY, '∞ B'],
    ['negative infinity', Number.NEGATIVE_INFINITY, '-∞ B']
  ])('%s: %p → %s', (_name, n, expected) => {
    expect(formatBytes(n)).toBe(expected);
  });

  it('never runs past the largest unit (EB), even when rounding would promote', () => {
    expect(formatBytes(5e21)).toMatch(/ EB$/);
    expect(formatBytes(999.9e18)).toMatch(/ EB$/);
  });
});

describe('formatDelta', () => {
  it.each([
    ['growth', 1_200_000, '+1.20 MB'],
    ['shrink', -340_000, '-340 kB'],
    ['zero has no sign', 0, '0 B'],
    ['negative zero has no sign', -0, '0 B'],
    ['one byte', 1, '+1 B'],
    ['minus one byte', -1, '-1 B'],
    ['a fraction that rounds to zero has no sign', 0.4, '0 B'],
    ['a negative fraction that rounds to zero has no sign', -0.4, '0 B']
  ])('%s: %p → %s', (_name, n, expected) => {
    expect(formatDelta(n)).toBe(expected);
  });
});

describe('formatPercent', () => {
  it.each<[string, number | null, string]>([
    ['growth', 12.3456, '+12.3%'],
    ['shrink', -0.4, '-0.4%'],
    ['zero', 0, '0%'],
    ['no base', null, 'new'],
    ['tiny growth keeps its sign', 0.001, '+0.0%'],
    ['tiny shrink keeps its sign', -0.001, '-0.0%'],
    ['large', 250, '+250.0%'],
    ['infinite', Number.POSITIVE_INFINITY, '+∞%'],
    ['negative infinite', Number.NEGATIVE_INFINITY, '-∞%'],
    ['NaN is visible, not a number', Number.NaN, '?%']
  ])('%s: %p → %s', (_name, p, expected) => {
    expect(formatPercent(p)).toBe(expected);
  });

  it('shows more digits on request', () => {
    expect(formatPercent(10.0123, 3)).toBe('+10.012%');
  });
});

describe('formatGrowth: a percentage up to +1,000%, then a factor', () => {
  it.each<[number | null, string]>([
    [null, 'new'],
    [0, '0%'],
    [-99.5, '-99.5%'],
    [12, '+12.0%'],
    [1000, '+1000.0%'],
    [1000.1, '×11.0'],
    [1049, '×11.5'],
    [9193.9, '×92.9'],
    [9896, '×100'],
    [17606.4, '×177'],
    [124_900, '×1,250'],
    [Number.POSITIVE_INFINITY, '+∞%']
  ])('%p → %s', (p, text) => {
    expect(formatGrowth(p)).toBe(text);
  });

  it('groups thousands the same in every locale', () => {
    expect([groupDigits(0), groupDigits(999), groupDigits(1000), groupDigits(1_234_567.4)]).toEqual(['0', '999', '1,000', '1,234,567']);
  });
});

describe('shortenRuns: runs without a space longer than the cap are shortened in the middle', () => {
  it('leaves text whose runs fit, and spaces, as they are', () => {
    expect(shortenRuns('RUN apt-get update && apt-get install -y curl', 12)).toBe('RUN apt-get update && apt-get install -y curl');
    expect(shortenRuns('/usr/bin/go', 11)).toBe('/usr/bin/go');
  });

  it('keeps whole segments of a path at both ends when they fit', () => {
    const path = '/usr/local/go/src/cmd/vendor/golang.org/x/tools/go/analysis/passes/internal/analysisutil/util.go';
    const short = shortenRuns(path, 56);
    expect(short).toBe('/usr/local/go/src/cmd/vendor/…/analysisutil/util.go');
    expect([...short].length).toBeLessThanOrEqual(56);
  });

  it('cuts inside a name when no segment boundary is near the middle', () => {
    const digest = `file:${'0123456789abcdef'.repeat(4)}`;
    const short = shortenRuns(`ADD ${digest} in /`, 40);
    expect(short).toMatch(/^ADD file:0123456789abcde…[0-9a-f]{19} in \/$/);
    expect([...short.split(' ')[1]!].length).toBe(40);
  });

  it('each run on its own, and counting code points (an emoji is one)', () => {
    const run = '😀'.repeat(30);
    const short = shortenRuns(`${run} ${run}`, 11);
    expect(short).toBe(`${'😀'.repeat(5)}…${'😀'.repeat(5)} ${'😀'.repeat(5)}…${'😀'.repeat(5)}`);
  });

  it('every shortened run is a prefix, an ellipsis and a suffix of the original, at most the cap long', () => {
    for (let n = 1; n < 200; n += 7) {
      const run = Array.from({ length: n }, (_, i) => (i % 9 === 4 ? '/' : String.fromCharCode(97 + (i % 26)))).join('');
      for (const max of [8, 21, 40, 56]) {
        const short = shortenRuns(run, max);
        if (n <= max) {
          expect(short).toBe(run);
          continue;
        }
        const [head, tail, ...rest] = short.split('…');
        expect(rest).toEqual([]);
        expect(run.startsWith(head!) && run.endsWith(tail!)).toBe(true);
        expect(short.length).toBeLessThanOrEqual(max);
        expect(head!.length).toBeGreaterThan(0);
        expect(tail!.length).toBeGreaterThan(0);
      }
    }
  });
});

describe('formatThreshold', () => {
  const bytes = (n: number): Threshold => ({ kind: 'bytes', bytes: n, text: 'ignored' });
  const percent = (n: number): Threshold => ({ kind: 'percent', percent: n, text: 'ignored' });
  it.each<[string, Threshold, string]>([
    ['whole percent', percent(10), '10%'],
    ['fractional percent', percent(12.5), '12.5%'],
    ['small percent', percent(0.25), '0.25%'],
    ['a percent with more than three decimals keeps every digit', percent(0.0001), '0.0001%'],
    ['decimal megabytes', bytes(25_000_000), '25 MB'],
    ['fractional gigabytes', bytes(1_500_000_000), '1.5 GB'],
    ['binary kibibytes', bytes(512 * 1024), '512 KiB'],
    ['binary mebibytes', bytes(10 * 1024 * 1024), '10 MiB'],
    ['decimal wins a tie in length', bytes(1_000_000), '1 MB'],
    ['bytes', bytes(999), '999 B'],
    ['three decimals are exact', bytes(12_345_000), '12.345 MB'],
    ['no short exact form: exact bytes', bytes(12_345_678), '12345678 B']
  ])('%s → %s', (_name, t, expected) => {
    expect(formatThreshold(t)).toBe(expected);
  });

  it('never echoes the raw text (it may come from a pull request)', () => {
    expect(formatThreshold({ kind: 'bytes', bytes: 1000, text: '<script>' })).toBe('1 kB');
  });
});

describe('formatExactBytes', () => {
  it.each([
    [1000, '1 kB'],
    [1024, '1 KiB'],
    [1536, '1.5 KiB'],
    [2_000_000_000, '2 GB'],
    // 1.024 MB and 1000 KiB are both exact and equally long: decimal wins the tie.
    [1_024_000, '1.024 MB'],
    [Number.POSITIVE_INFINITY, '∞ B'],
    [Number.NaN, '? B']
  ])('%p → %s', (n, expected) => {
    expect(formatExactBytes(n)).toBe(expected);
  });

  it('never names a unit past EB', () => {
    expect(formatExactBytes(1e21)).toMatch(/ EB$/);
  });
});

describe('formatCount and shortSha', () => {
  it.each<[string, number, number | undefined, string]>([
    ['no delta', 8, undefined, '8'],
    ['zero delta', 8, 0, '8'],
    ['one more', 8, 1, '8 (+1)'],
    ['two fewer', 6, -2, '6 (-2)']
  ])('%s', (_name, n, d, expected) => {
    expect(formatCount(n, d)).toBe(expected);
  });

  it('shortens a commit id to 7 characters', () => {
    expect(shortSha('0123456789abcdef0123456789abcdef01234567')).toBe('0123456');
  });
});
