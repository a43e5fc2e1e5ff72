// The bundles npm test builds (dist/index.js for the runner, dist/cli/index.js for the command line):
// the command line carries nothing of the Actions toolkit (@actions/core, @actions/cache and the
// Azure SDK it brings, @actions/github and undici), which it never calls. Each marker below is an
// identifier of that code, checked present in the action's bundle so that the check is not vacuous.
import { describe, expect, test } from '@jest/globals';
import { readFileSync, statSync } from 'node:fs';
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

describe('dist/cli/index.js', () => {
  const action = read('dist/index.js');
  const cli = read('dist/cli/index.js');
  test.each(Object.entries(MARKERS))('carries no code of %s (marker %s)', (_module, marker) => {
    expect(action.includes(marker)).toBe(true);
    expect(cli.includes(marker)).toBe(false);
  });

  test('is less than half a megabyte', () => {
    expect(statSync(path.join(root, 'dist/cli/index.js')).size).toBeLessThan(512 * 1024);
  });
});
