// The config file read from a real workspace (inside it, symlinks resolved, size checked before it is
// read), and every image checked against the files before any build: the context, the Dockerfile,
// its stages and the per-target budgets, each error at the line of the key it is about.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CONFIG_LIMITS, parseConfig } from '../../src/config/config.js';
import { ConfigError } from '../../src/config/yaml-reader.js';
import { loadConfig } from '../../src/config/load.js';
import { InputError } from '../../src/inputs/errors.js';
import { parseEventContext } from '../../src/github/event.js';
import { parseInputs } from '../../src/inputs/inputs.js';
import { planImages } from '../../src/pipeline/config-images.js';

const FILE = '.github/image-budget.yml';
let tmp: string;
let ws: string;

beforeAll(async () => {
  tmp = await realpath(await mkdtemp(path.join(os.tmpdir(), 'image-budget-config-')));
  ws = path.join(tmp, 'ws');
  await mkdir(path.join(ws, '.github'), { recursive: true });
  await mkdir(path.join(ws, 'services', 'api'), { recursive: true });
  await mkdir(path.join(ws, 'services', 'web'), { recursive: true });
  await mkdir(path.join(ws, 'services', 'empty'), { recursive: true });
  await mkdir(path.join(tmp, 'outside'));
  await writeFile(path.join(ws, 'services', 'api', 'Dockerfile'), 'FROM scratch AS build\nFROM scratch AS release\n');
  await writeFile(path.join(ws, 'services', 'web', 'web.Dockerfile'), 'FROM scratch AS release\n');
  await writeFile(path.join(ws, 'services', 'empty', 'Dockerfile'), '# no stage yet\n');
  await writeFile(path.join(ws, FILE), 'images:\n  - name: api\n    context: services/api\n');
  await writeFile(path.join(tmp, 'outside', 'image-budget.yml'), 'images:\n  - name: elsewhere\n');
  await symlink(path.join(tmp, 'outside', 'image-budget.yml'), path.join(ws, '.github', 'outside.yml'));
  await symlink('image-budget.yml', path.join(ws, '.github', 'inside.yml'));
  await writeFile(path.join(ws, '.github', 'huge.yml'), `images:\n  - name: api\n#${'x'.repeat(CONFIG_LIMITS.bytes)}\n`);
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function rejection<T extends Error>(p: Promise<unknown>, type: new (...args: never[]) => T): Promise<T> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(type);
    return e as T;
  }
  throw new Error('expected a rejection, but the promise resolved');
}

describe('loadConfig', () => {
  test('reads and parses a file of the workspace, relative or absolute, or through a link inside it', async () => {
    for (const value of [FILE, path.join(ws, FILE), '.github/inside.yml']) {
      const images = await loadConfig(ws, value);
      expect(images.map((i) => [i.name, i.context, i.source.file])).toEqual([['api', 'services/api', value]]);
    }
  });

  test('a missing file names the input and the path tried', async () => {
    const e = await rejection(loadConfig(ws, '.github/images.yml'), InputError);
    expect(e.message).toBe(`Invalid input 'config': ".github/images.yml" (expected an existing file; not found at ${path.join(ws, '.github', 'images.yml')})`);
  });

  test('a link to a file outside the workspace is refused', async () => {
    const e = await rejection(loadConfig(ws, '.github/outside.yml'), InputError);
    expect(e.message).toMatch(/^Invalid input 'config': "\.github\/outside\.yml" \(expected a path inside the workspace .*it links to .*outside\/image-budget\.yml\)$/);
  });

  test('a path out of the workspace is refused', async () => {
    const e = await rejection(loadConfig(ws, '../outside/image-budget.yml'), InputError);
    expect(e.message).toMatch(/^Invalid input 'config': "\.\.\/outside\/image-budget\.yml" \(expected a path inside the workspace/);
  });

  test('a directory is not a config file', async () => {
    const e = await rejection(loadConfig(ws, '.github'), InputError);
    expect(e.message).toBe(`Invalid input 'config': ".github" (expected a file; ${path.join(ws, '.github')} is not one)`);
  });

  test(`a file over ${CONFIG_LIMITS.bytes} bytes is refused with its size`, async () => {
    const e = await rejection(loadConfig(ws, '.github/huge.yml'), ConfigError);
    expect(e.message).toBe(`.github/huge.yml:1:1: is ${CONFIG_LIMITS.bytes + 24} bytes, larger than the 64 KiB a config file may be`);
  });
});

describe('planImages: every image against the files, before any build', () => {
  const check = async (text: string): Promise<void> => {
    const inputs = parseInputs((name) => ({ 'github-token': 'token-for-tests' })[name] ?? '');
    await planImages({ GITHUB_WORKSPACE: ws }, inputs, parseConfig(text, FILE), parseEventContext('push', {}, {}));
  };

  test('images whose contexts, Dockerfiles and budget targets exist pass', async () => {
    await expect(
      check(
        'images:\n' +
          '  - name: api\n    context: services/api\n    targets: [build, release]\n    max-size: release=1MB\n' +
          '  - name: web\n    context: services/web\n    file: services/web/web.Dockerfile\n    max-layers: release=3\n'
      )
    ).resolves.toBeUndefined();
  });

  test.each<[string, string, string | RegExp]>([
    [
      'a context that does not exist, at its line, after the images before it',
      'images:\n  - name: api\n    context: services/api\n  - name: web\n    context: services/wbe\n',
      `${FILE}:5:14: images[1].context: "services/wbe" (expected an existing directory; not found at ${'<ws>'}/services/wbe)`
    ],
    [
      'a default Dockerfile that is missing: at the context, naming the path tried',
      'images:\n  - name: web\n    context: services/web\n',
      `${FILE}:3:14: images[0].file: "services/web/Dockerfile" (expected an existing file; not found at <ws>/services/web/Dockerfile)`
    ],
    [
      'a Dockerfile given that is missing, at its own line',
      'images:\n  - name: web\n    context: services/web\n    file: services/web/Dockerfile.prod\n',
      `${FILE}:4:11: images[0].file: "services/web/Dockerfile.prod" (expected an existing file; not found at <ws>/services/web/Dockerfile.prod)`
    ],
    [
      'a Dockerfile outside the workspace',
      'images:\n  - name: web\n    file: ../outside/image-budget.yml\n',
      /^\.github\/image-budget\.yml:3:11: images\[0\]\.file: "\.\.\/outside\/image-budget\.yml" \(expected a path inside the workspace/
    ],
    [
      'a Dockerfile without a stage',
      'images:\n  - name: empty\n    context: services/empty\n',
      `${FILE}:3:14: images[0].file: "services/empty/Dockerfile" has no FROM instruction (expected a Dockerfile with at least one FROM instruction)`
    ],
    [
      'a per-target budget for a target the image does not build',
      'images:\n  - name: api\n    context: services/api\n    targets: release\n    max-size:\n      release: 1MB\n      debug: 2MB\n',
      `${FILE}:7:7: images[0].max-size: "debug" is not a built target (built targets: release)`
    ],
    [
      "a per-target budget checked against the Dockerfile's last stage when no targets are given",
      'images:\n  - name: api\n    context: services/api\n    max-layers: build=2\n',
      `${FILE}:4:17: images[0].max-layers: "build" is not a built target (built targets: release)`
    ]
  ])('%s', async (_name, text, message) => {
    const e = await rejection(check(text), ConfigError);
    if (typeof message === 'string') expect(e.message).toBe(message.replace(/<ws>/g, ws));
    else expect(e.message).toMatch(message);
  });
});
