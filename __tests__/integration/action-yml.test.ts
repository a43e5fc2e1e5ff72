// action.yml, the input names the code reads, and the README's tables stay one and the same.
import { describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { DEFAULTS, INPUT } from '../../src/inputs/names.js';
import { OUTPUT } from '../../src/publish/outputs.js';

const root = new URL('../../', import.meta.url);
const action = parse(readFileSync(new URL('action.yml', root), 'utf8')) as {
  runs: Record<string, string>;
  inputs: Record<string, { description?: string; default?: string }>;
  outputs: Record<string, { description?: string }>;
};

describe('action.yml', () => {
  test('runs the committed bundle on node24', () => {
    expect(action.runs).toEqual({ using: 'node24', main: 'dist/index.js', post: 'dist/index.js', 'post-if': 'always()' });
  });
  test('declares exactly the inputs the code reads, each with a description', () => {
    expect(Object.keys(action.inputs).sort()).toEqual(Object.values(INPUT).sort());
    for (const [name, spec] of Object.entries(action.inputs)) expect([name, spec.description?.length ?? 0]).not.toEqual([name, 0]);
  });
  test('defaults agree with the code', () => {
    for (const [name, value] of Object.entries(DEFAULTS)) expect([name, action.inputs[name]?.default]).toEqual([name, value]);
    expect(action.inputs['github-token']?.default).toBe('${{ github.token }}');
  });
  test('declares the outputs of PRODUCT.md', () => {
    expect(Object.keys(action.outputs).sort()).toEqual(['comment-id', 'comment-url', 'regressed', 'report', 'summary']);
    // The code spells them in one place (src/publish/outputs.ts).
    expect(Object.values(OUTPUT).sort()).toEqual(Object.keys(action.outputs).sort());
  });
  test("README's inputs and outputs tables are generated from it", () => {
    expect(() => execFileSync('node', ['scripts/readme-inputs.mjs', '--check'], { cwd: root, stdio: 'pipe' })).not.toThrow();
  });
});
