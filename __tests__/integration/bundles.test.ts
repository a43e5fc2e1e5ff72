// The bundles npm test builds (dist/index.js for the runner, dist/cli/index.js for the command line):
// the command line carries nothing of the Actions toolkit (@actions/core, @actions/cache and the
// Azure SDK it brings, @actions/github and undici), which it never calls. Each marker below is an
// identifier of that code, checked present in the action's bundle so that the check is not vacuous.
// The action's bundle is dist/index.js and the chunks it imports on first use (`<id>.index.js`):
// @actions/cache and the Azure SDK are one, loaded only when a baseline is looked up or stored, so
// that they cost no memory in the runs that do neither (baseline/actions-cache.ts).
import { describe, expect, test } from '@jest/globals';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (file: string): string => readFileSync(path.join(root, file), 'utf8');
const MARKERS: Record<string, string> = {
  '@actions/core': 'issueFileCommand',
  '@actions/core (OIDC)': 'getIDToken',
  '@actions/github (undici)': 'undici',
  '@actions/cache (Azure SDK)': '@azure'
};

const CHUNK = /^\d+\.index\.js$/;
const chunkFiles = (): string[] => readdirSync(path.join(root, 'dist')).filter((f) => CHUNK.test(f)).sort();
/** The chunks dist/index.js imports: ncc writes each dynamic import() as `__nccwpck_require__.e(/* import() *\/ <id>)`. */
const importedChunks = (main: string): string[] =>
  [...new Set([...main.matchAll(/__nccwpck_require__\.e\(\/\* import\(\) \*\/ (\d+)\)/g)].map((m) => `${m[1]}.index.js`))].sort();

describe('dist/cli/index.js', () => {
  const action = [read('dist/index.js'), ...chunkFiles().map((f) => read(path.join('dist', f)))].join('\n');
  const cli = read('dist/cli/index.js');
  test.each(Object.entries(MARKERS))('carries no code of %s (marker %s)', (_module, marker) => {
    expect(action.includes(marker)).toBe(true);
    expect(cli.includes(marker)).toBe(false);
  });

  // A second, coarser sign: the toolkit alone is megabytes; the command line's own code is about 0.5 MB.
  test('is less than 640 KiB', () => {
    expect(statSync(path.join(root, 'dist/cli/index.js')).size).toBeLessThan(640 * 1024);
  });
});

describe('dist/index.js', () => {
  const main = read('dist/index.js');

  test('imports @actions/cache and the Azure SDK from a chunk of their own, on first use', () => {
    expect(main.includes(MARKERS['@actions/cache (Azure SDK)']!)).toBe(false);
    const chunks = importedChunks(main);
    expect(chunks.filter((f) => read(path.join('dist', f)).includes('@azure/storage-blob'))).toHaveLength(1);
  });

  test('has every chunk it imports beside it, and dist/ holds no other (a stale one of an earlier build)', () => {
    expect(importedChunks(main).length).toBeGreaterThan(0);
    expect(chunkFiles()).toEqual(importedChunks(main));
  });

  test("its licenses.txt covers every chunk's packages", () => {
    const licenses = read('dist/licenses.txt');
    // One from dist/index.js, two from the cache's chunk.
    for (const name of ['@actions/core', '@actions/cache', '@azure/storage-blob']) expect(licenses).toMatch(new RegExp(`^${name}$`, 'm'));
  });
});
