// The glob language of the `reports` input (workspace/glob.ts).
import { describe, expect, test } from '@jest/globals';
import { compileGlob, isGlob } from '../../src/workspace/glob.js';

describe('isGlob', () => {
  test.each([
    ['reports', false],
    ['reports/api/report.json', false],
    ['/tmp/runner/reports', false],
    ['reports/*', true],
    ['reports/?.json', true],
    ['reports/[ab].json', true],
    ['reports/**/report.json', true]
  ])('%p → %p', (text, glob) => {
    expect(isGlob(text)).toBe(glob);
  });
});

describe('compileGlob', () => {
  test.each<[string, string, number]>([
    ['reports/*/report.json', 'reports', 2],
    ['reports/*', 'reports', 1],
    ['*.json', '.', 1],
    ['/tmp/r/**/report.json', '/tmp/r', Infinity],
    ['a/b/c*/d', 'a/b', 2],
    ['reports/*/', 'reports', 1]
  ])('%p starts in %p and matches %p levels down', (pattern, base, depth) => {
    const g = compileGlob(pattern);
    expect(g.base).toBe(base);
    expect(g.depth).toBe(depth);
  });

  test.each<[string, string, boolean]>([
    ['reports/*/report.json', 'api/report.json', true],
    ['reports/*/report.json', 'api/other.json', false],
    ['reports/*/report.json', 'api/x/report.json', false],
    ['reports/*/report.json', 'report.json', false],
    ['reports/*', 'api', true],
    ['reports/*', 'api/report.json', false],
    ['reports/*.json', 'a.json', true],
    ['reports/*.json', 'a.jsonx', false],
    ['reports/*.json', '.json', true],
    ['reports/?.json', 'a.json', true],
    ['reports/?.json', 'ab.json', false],
    ['reports/[ab].json', 'b.json', true],
    ['reports/[ab].json', 'c.json', false],
    ['reports/[!ab].json', 'c.json', true],
    ['reports/[!ab].json', 'a.json', false],
    ['reports/[a-c]*.json', 'b1.json', true],
    ['reports/[a-c]*.json', 'd1.json', false],
    ['reports/[.json', '[.json', true],
    ['reports/**/report.json', 'report.json', true],
    ['reports/**/report.json', 'a/b/c/report.json', true],
    ['reports/**/report.json', 'a/b/c/report.jsonl', false],
    ['reports/**', 'a', true],
    ['reports/**', 'a/b/report.json', true],
    ['reports/image-budget-*', 'image-budget-api', true],
    ['reports/image-budget-*', 'image-budget-api/report.json', false],
    // Regex metacharacters are literal.
    ['reports/a+b(1)*.json', 'a+b(1)-x.json', true],
    ['reports/a+b(1)*.json', 'aab(1).json', false],
    ['reports/a.json*', 'aXjson', false],
    ['reports/*', '', false]
  ])('%p against %p → %p', (pattern, relative, expected) => {
    expect(compileGlob(pattern).matches(relative)).toBe(expected);
  });

  test('* and ? never cross a directory', () => {
    const g = compileGlob('r/*?');
    expect(g.matches('ab')).toBe(true);
    expect(g.matches('a/b')).toBe(false);
  });
});
