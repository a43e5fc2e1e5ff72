// Filesystem confinement against real temp dirs and symlinks (RELIABILITY row 5), and reading a
// Dockerfile's stages from disk.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { InputError } from '../../src/inputs/errors.js';
import { readStages } from '../../src/pipeline/targets.js';
import { resolveInside, resolveInsideIfExists } from '../../src/workspace/paths.js';

let tmp: string; // realpath of the temp dir holding everything
let root: string; // the workspace
let outside: string; // a sibling of the workspace

beforeAll(async () => {
  tmp = await realpath(await mkdtemp(path.join(os.tmpdir(), 'image-budget-paths-')));
  root = path.join(tmp, 'ws');
  outside = path.join(tmp, 'outside');
  await mkdir(path.join(root, 'docker', 'nested'), { recursive: true });
  await mkdir(outside);
  await writeFile(path.join(root, 'Dockerfile'), 'FROM scratch AS Builder\nFROM builder\n');
  await writeFile(path.join(root, 'docker', 'Dockerfile.ci'), 'FROM scratch\n');
  await writeFile(path.join(outside, 'secret'), 'nope\n');
  await mkdir(path.join(root, '..hidden'));
  await writeFile(path.join(root, '..hidden', 'Dockerfile'), 'FROM scratch\n');
  // Links inside the workspace.
  await symlink(path.join(outside, 'secret'), path.join(root, 'leak'));
  await symlink(outside, path.join(root, 'leakdir'));
  await symlink('../../outside/secret', path.join(root, 'docker', 'relative-leak'));
  await symlink('docker/Dockerfile.ci', path.join(root, 'inner-link'));
  await symlink(path.join(outside, 'missing'), path.join(root, 'dangling-out'));
  // The workspace itself reached through a link.
  await symlink(root, path.join(tmp, 'ws-link'));
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function rejection(p: Promise<unknown>): Promise<InputError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return e as InputError;
  }
  throw new Error('expected an InputError, but the promise resolved');
}

type Kind = 'file' | 'directory';

describe('resolveInside', () => {
  test.each<[string, string, Kind, string]>([
    ['a file at the root', 'Dockerfile', 'file', 'Dockerfile'],
    ['a nested file', 'docker/Dockerfile.ci', 'file', 'docker/Dockerfile.ci'],
    ['a directory', 'docker', 'directory', 'docker'],
    ['a nested directory with ./ and a trailing slash', './docker/nested/', 'directory', 'docker/nested'],
    ['the root itself', '.', 'directory', ''],
    ['.. that comes back inside', 'docker/../Dockerfile', 'file', 'Dockerfile'],
    ['a symlink to a file inside, resolved', 'inner-link', 'file', 'docker/Dockerfile.ci'],
    // A name that merely starts with two dots is inside the workspace.
    ['a directory named ..hidden', '..hidden/Dockerfile', 'file', '..hidden/Dockerfile']
  ])('accepts %s', async (_name, value, kind, expected) => {
    await expect(resolveInside(root, value, 'file', kind)).resolves.toBe(path.join(root, expected));
  });

  test('a symlinked root is fine: the result is under the real root', async () => {
    await expect(resolveInside(path.join(tmp, 'ws-link'), 'docker/Dockerfile.ci', 'file', 'file')).resolves.toBe(
      path.join(root, 'docker', 'Dockerfile.ci')
    );
    await expect(resolveInside(path.join(tmp, 'ws-link'), 'docker', 'context', 'directory')).resolves.toBe(path.join(root, 'docker'));
  });

  test('accepts an absolute path inside (`${{ github.workspace }}/Dockerfile`)', async () => {
    await expect(resolveInside(root, path.join(root, 'Dockerfile'), 'file', 'file')).resolves.toBe(path.join(root, 'Dockerfile'));
  });

  test.each<[string, () => string, Kind, string, RegExp]>([
    ['an absolute path outside', () => path.join(outside, 'secret'), 'file', 'file', /inside the workspace .*resolved to/],
    ['../x', () => '../x', 'file', 'file', /inside the workspace/],
    ['../outside/secret (exists)', () => '../outside/secret', 'file', 'file', /inside the workspace/],
    ['../.. as a context', () => '../..', 'directory', 'context', /inside the workspace/],
    ['a symlink to a file outside', () => 'leak', 'file', 'file', /links to/],
    ['a relative symlink to a file outside', () => 'docker/relative-leak', 'file', 'file', /links to/],
    ['a path through a symlinked directory outside', () => 'leakdir/secret', 'file', 'file', /links to/],
    ['a symlinked directory outside as a context', () => 'leakdir', 'directory', 'context', /links to/],
    ['a directory where a file is expected', () => 'docker', 'file', 'file', /a file; .* is not one/],
    ['a file where a directory is expected', () => 'Dockerfile', 'directory', 'context', /a directory; .* is not one/],
    ['a missing file', () => 'docker/Dockerfile.nope', 'file', 'file', /an existing file; not found at/],
    ['a missing directory', () => 'nope', 'directory', 'context', /an existing directory; not found at/],
    ['a dangling symlink pointing outside', () => 'dangling-out', 'file', 'file', /not found at/]
  ])('refuses %s', async (_name, value, kind, input, why) => {
    const v = value();
    const e = await rejection(resolveInside(root, v, input, kind));
    expect(e.input).toBe(input);
    expect(e.value).toBe(v);
    expect(e.message).toContain(`'${input}'`);
    expect(e.message).toContain(JSON.stringify(v));
    expect(e.message).toMatch(why);
  });

  test('a missing path: the message names the path tried and the input', async () => {
    const e = await rejection(resolveInside(root, 'docker/Dockerfile.nope', 'file', 'file'));
    expect(e.message).toContain(`Invalid input 'file'`);
    expect(e.message).toContain(path.join(root, 'docker', 'Dockerfile.nope'));
  });

  test('an escaping symlink: the message names where it links to', async () => {
    const e = await rejection(resolveInside(root, 'leak', 'file', 'file'));
    expect(e.message).toContain(path.join(outside, 'secret'));
  });
});

describe('resolveInsideIfExists', () => {
  test.each<[string, string, Kind, string]>([
    ['an existing file', 'docker/Dockerfile.ci', 'file', 'docker/Dockerfile.ci'],
    ['an existing directory', 'docker', 'directory', 'docker']
  ])('resolves %s', async (_name, value, kind, expected) => {
    await expect(resolveInsideIfExists(root, value, 'file', kind)).resolves.toBe(path.join(root, expected));
  });

  test.each<[string, string, Kind]>([
    ['a missing file', 'Dockerfile.gone', 'file'],
    ['a missing directory', 'gone/', 'directory'],
    ['a file under a missing directory', 'gone/Dockerfile', 'file']
  ])('gives undefined for %s', async (_name, value, kind) => {
    await expect(resolveInsideIfExists(root, value, 'file', kind)).resolves.toBeUndefined();
  });

  test.each<[string, () => string, Kind, string]>([
    ['an absolute path outside', () => path.join(outside, 'secret'), 'file', 'file'],
    ['../x (missing outside)', () => '../x', 'file', 'file'],
    ['../outside/secret', () => '../outside/secret', 'file', 'file'],
    ['a symlink to a file outside', () => 'leak', 'file', 'file'],
    ['a path through a symlinked directory outside', () => 'leakdir/secret', 'file', 'file'],
    ['a directory where a file is expected', () => 'docker', 'file', 'file'],
    ['a file where a directory is expected', () => 'Dockerfile', 'directory', 'context'],
    // The value is echoed in the message; it must not be mistaken for the "missing" case.
    ['an escaping path whose text reads "not found at"', () => '../not found at', 'file', 'file']
  ])('still throws for %s', async (_name, value, kind, input) => {
    const v = value();
    const e = await rejection(resolveInsideIfExists(root, v, input, kind));
    expect(e.input).toBe(input);
    expect(e.message).toContain(`'${input}'`);
    expect(e.message).toContain(JSON.stringify(v));
  });
});

describe('readStages', () => {
  test('reads the stages of a Dockerfile on disk', async () => {
    await expect(readStages(path.join(root, 'Dockerfile'))).resolves.toEqual([
      { index: 0, name: 'builder', base: 'scratch', line: 1 },
      { index: 1, base: 'builder', line: 2 }
    ]);
  });

  test('a Dockerfile without FROM gives []', async () => {
    const file = path.join(tmp, 'empty.Dockerfile');
    await writeFile(file, '# nothing\n');
    await expect(readStages(file)).resolves.toEqual([]);
  });

  test('a missing Dockerfile rejects with ENOENT', async () => {
    await expect(readStages(path.join(tmp, 'no-such-Dockerfile'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
