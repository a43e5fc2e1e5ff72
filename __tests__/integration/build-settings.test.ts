// The build settings of one side made concrete (buildx/settings.ts) on a real filesystem: named
// directories confined like `context` (the workspace for the head, the base checkout for the base),
// secret files and ssh keys found, secret-envs read from the step's environment, and what is masked.
import { describe, expect, test, afterAll } from '@jest/globals';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { resolveSettings } from '../../src/buildx/settings.js';
import { InputError } from '../../src/inputs/errors.js';
import { NO_BUILD_SETTINGS, type BuildSettings } from '../../src/model.js';

const temps: string[] = [];
afterAll(async () => Promise.all(temps.map((d) => rm(d, { recursive: true, force: true }))));

async function layout(): Promise<{ workspace: string; base: string; outside: string }> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'ib-settings-'));
  temps.push(root);
  const workspace = path.join(root, 'ws');
  const base = path.join(root, 'base');
  const outside = path.join(root, 'outside');
  for (const d of [path.join(workspace, 'other'), path.join(base, 'other'), outside]) await mkdir(d, { recursive: true });
  await writeFile(path.join(outside, 'creds'), 'aws_secret_access_key = abcdefgh12345678\n{\n');
  await symlink(outside, path.join(workspace, 'escape'));
  return { workspace, base, outside };
}

const with_ = (s: Partial<BuildSettings>): BuildSettings => ({ ...NO_BUILD_SETTINGS, ...s });

async function errorOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return (e as Error).message;
  }
  throw new Error('expected an InputError');
}

describe('resolveSettings', () => {
  test('head and base each get their own directory; secrets become variables or files; every value is masked', async () => {
    const { workspace, base, outside } = await layout();
    const settings = with_({
      contexts: [
        { name: 'extra', kind: 'directory', path: './other' },
        { name: 'img', kind: 'image', ref: 'alpine:3.19' },
        { name: 'b', kind: 'target', stage: 'build' }
      ],
      secrets: [
        { id: 'a', kind: 'value', value: 'inline-secret' },
        { id: 'b', kind: 'env', variable: 'MY_TOKEN' },
        { id: 'c', kind: 'file', path: path.join(outside, 'creds') }
      ],
      ssh: [{ id: 'default' }, { id: 'key', path: '../outside/creds' }]
    });
    const env = { MY_TOKEN: 'from-the-env', SSH_AUTH_SOCK: '/tmp/agent.sock' };
    const head = await resolveSettings(settings, { workspace, root: workspace, env, side: 'head' });
    expect(head.plan.contexts).toEqual([
      ['extra', path.join(workspace, 'other')],
      ['img', 'docker-image://alpine:3.19'],
      ['b', 'target:build']
    ]);
    expect(head.plan.secrets).toEqual([
      { id: 'a', env: 'IMAGE_BUDGET_SECRET_0', value: 'inline-secret' },
      { id: 'b', env: 'IMAGE_BUDGET_SECRET_1', value: 'from-the-env' },
      { id: 'c', src: path.join(outside, 'creds') }
    ]);
    expect(head.plan.ssh).toEqual([{ id: 'default' }, { id: 'key', path: path.join(outside, 'creds') }]);
    expect(head.masks).toEqual(['inline-secret', 'from-the-env', 'aws_secret_access_key = abcdefgh12345678\n{', 'aws_secret_access_key = abcdefgh12345678']);
    const baseSide = await resolveSettings(settings, { workspace, root: base, env, side: 'base' });
    expect(baseSide.plan.contexts[0]).toEqual(['extra', path.join(base, 'other')]);
    // Written against the workspace: the same place in the base checkout.
    const absolute = await resolveSettings(with_({ contexts: [{ name: 'x', kind: 'directory', path: path.join(workspace, 'other') }] }), { workspace, root: base, env, side: 'base' });
    expect(absolute.plan.contexts).toEqual([['x', path.join(base, 'other')]]);
  });

  test('a directory the base commit lacks is left for its build to fail on; the head must have it', async () => {
    const { workspace, base } = await layout();
    const settings = with_({ contexts: [{ name: 'extra', kind: 'directory', path: 'new-dir' }] });
    const b = await resolveSettings(settings, { workspace, root: base, env: {}, side: 'base' });
    expect(b.plan.contexts).toEqual([['extra', path.join(base, 'new-dir')]]);
    expect(await errorOf(resolveSettings(settings, { workspace, root: workspace, env: {}, side: 'head' }))).toBe(
      `Invalid input 'build-contexts': "new-dir" (expected an existing directory; not found at ${path.join(workspace, 'new-dir')})`
    );
  });

  test('a named directory outside the workspace, even through a symlink, is refused', async () => {
    const { workspace } = await layout();
    const where = { workspace, root: workspace, env: {}, side: 'head' as const };
    expect(await errorOf(resolveSettings(with_({ contexts: [{ name: 'x', kind: 'directory', path: '../outside' }] }), where))).toMatch(
      /^Invalid input 'build-contexts': "\.\.\/outside" \(expected a path inside the workspace/
    );
    expect(await errorOf(resolveSettings(with_({ contexts: [{ name: 'x', kind: 'directory', path: 'escape' }] }), where))).toMatch(
      /^Invalid input 'build-contexts': "escape" \(expected a path inside the workspace .*; it links to /
    );
  });

  test('an unset variable, a missing secret file, ssh key or agent: errors before any build', async () => {
    const { workspace } = await layout();
    const where = { workspace, root: workspace, env: {}, side: 'head' as const };
    expect(await errorOf(resolveSettings(with_({ secrets: [{ id: 'npm', kind: 'env', variable: 'NPM_TOKEN' }] }), where))).toBe(
      `Invalid input 'secret-envs': "npm=NPM_TOKEN" names a variable that is not set (expected id=VARIABLE, VARIABLE set in the step's env)`
    );
    expect(await errorOf(resolveSettings(with_({ secrets: [{ id: 'f', kind: 'file', path: 'nope' }] }), where))).toBe(
      `Invalid input 'secret-files': "f=nope" (expected an existing file; not found at ${path.join(workspace, 'nope')})`
    );
    expect(await errorOf(resolveSettings(with_({ secrets: [{ id: 'f', kind: 'file', path: 'other' }] }), where))).toBe(
      `Invalid input 'secret-files': "f=other" (expected a file; ${path.join(workspace, 'other')} is not one)`
    );
    expect(await errorOf(resolveSettings(with_({ ssh: [{ id: 'default' }] }), where))).toBe(
      `Invalid input 'ssh': "default" needs an SSH agent, and SSH_AUTH_SOCK is not set (expected id=path (a key or socket), or an agent: SSH_AUTH_SOCK set, e.g. by webfactory/ssh-agent)`
    );
    expect(await errorOf(resolveSettings(with_({ ssh: [{ id: 'k', path: 'id_rsa' }] }), where))).toBe(
      `Invalid input 'ssh': "k=id_rsa" (expected an existing path; not found at ${path.join(workspace, 'id_rsa')})`
    );
  });
});
