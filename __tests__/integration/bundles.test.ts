// The bundles npm test builds (dist/index.js for the runner, dist/cli/index.js for the command line):
// the command line carries nothing of the Actions toolkit (@actions/core, @actions/github and undici),
// which it never calls. Each marker below is an identifier of that code, checked present in the
// action's bundle so that the check is not vacuous. The action's bundle is dist/index.js and the
// chunks it imports on first use (`<id>.index.js`): @actions/github with undici, loaded only for an
// API call (github/client.ts; @actions/core's own use of undici, for OIDC tokens, is imported on
// first use by patches/@actions+core+*.patch). A run that needs none of them pays for none.
// Neither bundle carries @actions/cache or the Azure storage SDK: the action speaks to the cache
// service itself (baseline/cache-service.ts); the library is a devDependency, for the tests.
import { describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NODE24 } from '../support/run-action.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (file: string): string => readFileSync(path.join(root, file), 'utf8');
const MARKERS: Record<string, string> = {
  '@actions/core': 'issueFileCommand',
  '@actions/core (OIDC)': 'getIDToken',
  '@actions/github (undici)': 'undici',
  'undici (its HTTP parser)': 'llhttp'
};

const CHUNK = /^\d+\.index\.js$/;
const chunkFiles = (): string[] => readdirSync(path.join(root, 'dist')).filter((f) => CHUNK.test(f)).sort();
/**
 * The chunks dist/index.js imports: ncc writes a dynamic import() as `__nccwpck_require__.e(/* import() *\/ <id>)`,
 * or, when it takes several chunks, as `Promise.all([__nccwpck_require__.e(<id>), …])`.
 */
const importedChunks = (main: string): string[] =>
  [...new Set([...main.matchAll(/__nccwpck_require__\.e\((?:\/\* import\(\) \*\/ )?(\d+)\)/g)].map((m) => `${m[1]}.index.js`))].sort();
const chunksHolding = (main: string, text: string): string[] => importedChunks(main).filter((f) => read(path.join('dist', f)).includes(text));

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

  test('carries neither @actions/cache nor the Azure storage SDK, in itself or in a chunk', () => {
    const action = [main, ...chunkFiles().map((f) => read(path.join('dist', f)))].join('\n');
    // Each marker is in the library's own code (so a bundle of it would hold it), and not in ours.
    const library: Record<string, string> = {
      '@azure': 'node_modules/@actions/cache/lib/internal/uploadUtils.js',
      BlockBlobClient: 'node_modules/@actions/cache/lib/internal/downloadUtils.js',
      CacheServiceClientJSON: 'node_modules/@actions/cache/lib/generated/results/api/v1/cache.twirp-client.js',
      uploadCacheArchiveSDK: 'node_modules/@actions/cache/lib/internal/uploadUtils.js',
      getCompressionMethod: 'node_modules/@actions/cache/lib/internal/cacheUtils.js'
    };
    for (const [marker, file] of Object.entries(library)) {
      expect({ marker, inLibrary: read(file).includes(marker), inAction: action.includes(marker) }).toEqual({ marker, inLibrary: true, inAction: false });
    }
  });

  test('imports @actions/github, @actions/http-client and undici from chunks, on first use', () => {
    for (const marker of ['llhttp', 'ProxyAgent', 'function getOctokit']) {
      expect({ marker, inMain: main.includes(marker) }).toEqual({ marker, inMain: false });
    }
    expect(chunksHolding(main, 'llhttp').length).toBeGreaterThan(0);
    expect(chunksHolding(main, 'function getOctokit').length).toBeGreaterThan(0);
  });

  test('has every chunk it imports beside it, and dist/ holds no other (a stale one of an earlier build)', () => {
    expect(importedChunks(main).length).toBeGreaterThan(0);
    expect(chunkFiles()).toEqual(importedChunks(main));
  });

  test("its licenses.txt covers every chunk's packages", () => {
    const licenses = read('dist/licenses.txt');
    // One from dist/index.js, one from a chunk (@actions/github's); none of a package no longer bundled.
    for (const name of ['@actions/core', '@actions/github']) expect(licenses).toMatch(new RegExp(`^${name}$`, 'm'));
    for (const name of ['@actions/cache', '@azure/storage-blob']) expect(licenses).not.toMatch(new RegExp(`^${name}$`, 'm'));
  });
});

describe('dist/index.js, run', () => {
  // What node loads before the first input is read: no HTTP client (undici needs node:http2 and
  // node:dns; the registry client node:http, node:https and node:tls), whatever the run will do.
  // Checked on the bundle as the runner starts it.
  test('loads no HTTP client before it needs one', () => {
    const atExit = "process.on('exit', () => process.stderr.write('\\nLOADED ' + process.moduleLoadList.join('|')))";
    const run = spawnSync(NODE24, ['--import', `data:text/javascript,${encodeURIComponent(atExit)}`, path.join(root, 'dist/index.js')], {
      env: { PATH: process.env['PATH'], INPUT_MODE: 'not-a-mode' },
      encoding: 'utf8'
    });
    expect(run.stdout).toMatch(/Invalid input 'mode'/);
    const loaded = /LOADED (.*)$/.exec(run.stderr)?.[1]?.split('|') ?? [];
    expect(loaded).toContain('NativeModule zlib');
    expect(loaded.filter((m) => /^NativeModule (?:http|https|http2|tls|dns|internal\/deps\/undici\/.*)$/.test(m))).toEqual([]);
  });
});
