import { readFileSync } from 'node:fs';
import { LOAD_REGISTRY, buildxArgv, cacheScope, cacheScopesFor, loadTag, registryCacheRef, type BuildPlan } from '../../src/buildx/argv.js';
import { cacheProblems, isCacheFailure, lastErrorLine, maskSecrets, secretMask, summarizeBuildFailure } from '../../src/buildx/failure.js';
import { capabilities, parseBuildxInspect, parseBuildxVersion, parseImageStore } from '../../src/buildx/probe.js';
import { PLAN } from '../support/build-plan.js';

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/buildx/${name}`, import.meta.url), 'utf8');

const tail = ['--output', 'type=oci,dest=/tmp/out,tar=false', '--metadata-file', '/tmp/meta.json', '--progress', 'plain', '--', '/w'];

describe('buildxArgv', () => {
  test.each<[string, Partial<BuildPlan>, string[]]>([
    ['minimal', {}, ['buildx', 'build', '--file', '/w/Dockerfile', '--target', 'release', ...tail]],
    ['last stage: no --target', { stage: undefined }, ['buildx', 'build', '--file', '/w/Dockerfile', ...tail]],
    [
      'builder, platforms, network, build-args in order',
      { builder: 'remote', platforms: ['linux/amd64', 'linux/386'], network: 'none', buildArgs: [['A', '1'], ['B', 'x,y=z']] },
      ['buildx', 'build', '--builder', 'remote', '--file', '/w/Dockerfile', '--target', 'release', '--platform', 'linux/amd64,linux/386',
        '--network', 'none', '--build-arg', 'A=1', '--build-arg', 'B=x,y=z', ...tail]
    ],
    [
      'gha cache: scope per target, ignore-error',
      { cache: { type: 'gha' } },
      ['buildx', 'build', '--file', '/w/Dockerfile', '--target', 'release',
        '--cache-from', 'type=gha,scope=s-head', '--cache-from', 'type=gha,scope=s-base',
        '--cache-to', 'type=gha,scope=s-head,mode=max,ignore-error=true', ...tail]
    ],
    [
      'off the default branch, the exported cache holds the final image only (mode=min)',
      { cache: { type: 'gha' }, cacheMode: 'min' },
      ['buildx', 'build', '--file', '/w/Dockerfile', '--target', 'release',
        '--cache-from', 'type=gha,scope=s-head', '--cache-from', 'type=gha,scope=s-base',
        '--cache-to', 'type=gha,scope=s-head,mode=min,ignore-error=true', ...tail]
    ],
    [
      'gha cache without export (classic docker driver): cache-from only',
      { cache: { type: 'gha' }, cacheExport: false },
      ['buildx', 'build', '--file', '/w/Dockerfile', '--target', 'release', '--cache-from', 'type=gha,scope=s-head', '--cache-from', 'type=gha,scope=s-base', ...tail]
    ],
    [
      'local cache: one folder per scope',
      { cache: { type: 'local', dir: '/cache/' } },
      ['buildx', 'build', '--file', '/w/Dockerfile', '--target', 'release',
        '--cache-from', 'type=local,src=/cache/s-head', '--cache-from', 'type=local,src=/cache/s-base',
        '--cache-to', 'type=local,dest=/cache/s-head,mode=max,ignore-error=true', ...tail]
    ],
    [
      'local cache dir with a comma is quoted for buildx CSV',
      { cache: { type: 'local', dir: '/c,d' } },
      ['buildx', 'build', '--file', '/w/Dockerfile', '--target', 'release',
        '--cache-from', 'type=local,"src=/c,d/s-head"', '--cache-from', 'type=local,"src=/c,d/s-base"',
        '--cache-to', 'type=local,"dest=/c,d/s-head",mode=max,ignore-error=true', ...tail]
    ],
    [
      'local cache dir with a quote: the quote doubled inside the quoted field',
      { cache: { type: 'local', dir: '/c/a"b//' } },
      ['buildx', 'build', '--file', '/w/Dockerfile', '--target', 'release',
        '--cache-from', 'type=local,"src=/c/a""b/s-head"', '--cache-from', 'type=local,"src=/c/a""b/s-base"',
        '--cache-to', 'type=local,"dest=/c/a""b/s-head",mode=max,ignore-error=true', ...tail]
    ],
    [
      'registry cache: a tag per scope',
      { cache: { type: 'registry', ref: 'ghcr.io/o/cache' } },
      ['buildx', 'build', '--file', '/w/Dockerfile', '--target', 'release',
        '--cache-from', 'type=registry,ref=ghcr.io/o/cache:s-head', '--cache-from', 'type=registry,ref=ghcr.io/o/cache:s-base',
        '--cache-to', 'type=registry,ref=ghcr.io/o/cache:s-head,mode=max,ignore-error=true', ...tail]
    ],
    [
      'a context starting with - stays after --',
      { context: '-rf' },
      ['buildx', 'build', '--file', '/w/Dockerfile', '--target', 'release', '--output', 'type=oci,dest=/tmp/out,tar=false',
        '--metadata-file', '/tmp/meta.json', '--progress', 'plain', '--', '-rf']
    ]
  ])('%s', (_name, plan, expected) => {
    expect(buildxArgv({ ...PLAN, ...plan })).toEqual(expected);
  });
});

describe('buildxArgv: loading into the image store (classic store, measured through docker save)', () => {
  const loadTail = (tag: string): string[] => ['--output', `type=docker,name=${tag}`, '--metadata-file', '/tmp/meta.json', '--progress', 'plain', '--', '/w'];
  test.each<[string, Partial<BuildPlan>, string[]]>([
    [
      'type=docker with the temporary tag instead of the OCI layout',
      { load: { tag: 'image-budget.local/k-head-release:0a1b2c' } },
      ['buildx', 'build', '--file', '/w/Dockerfile', '--target', 'release', ...loadTail('image-budget.local/k-head-release:0a1b2c')]
    ],
    [
      'one platform, build-args and network as for the OCI output',
      { load: { tag: 'image-budget.local/r:t' }, platforms: ['linux/386'], network: 'none', buildArgs: [['A', '1']] },
      ['buildx', 'build', '--file', '/w/Dockerfile', '--target', 'release', '--platform', 'linux/386', '--network', 'none',
        '--build-arg', 'A=1', ...loadTail('image-budget.local/r:t')]
    ],
    [
      'gha cache without export: cache-from only, never --cache-to',
      { load: { tag: 'image-budget.local/r:t' }, cache: { type: 'gha' }, cacheExport: false },
      ['buildx', 'build', '--file', '/w/Dockerfile', '--target', 'release', '--cache-from', 'type=gha,scope=s-head',
        '--cache-from', 'type=gha,scope=s-base', ...loadTail('image-budget.local/r:t')]
    ],
    [
      'registry cache without export: cache-from only',
      { load: { tag: 'image-budget.local/r:t' }, cache: { type: 'registry', ref: 'ghcr.io/o/c' }, cacheExport: false },
      ['buildx', 'build', '--file', '/w/Dockerfile', '--target', 'release', '--cache-from', 'type=registry,ref=ghcr.io/o/c:s-head',
        '--cache-from', 'type=registry,ref=ghcr.io/o/c:s-base', ...loadTail('image-budget.local/r:t')]
    ]
  ])('%s', (_name, plan, expected) => {
    const argv = buildxArgv({ ...PLAN, ...plan });
    expect(argv).toEqual(expected);
    expect(argv).not.toContain('--load');
    expect(argv.join(' ')).not.toContain('type=oci');
  });
});

describe('loadTag', () => {
  const REFERENCE = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
  test.each<[string, 'head' | 'base', string, string, string]>([
    ['image-budget', 'head', 'release', '0a1b2c3d4e5f', 'image-budget.local/image-budget-head-release:0a1b2c3d4e5f'],
    ['My Key', 'base', 'Build_Stage.2', 'ff', 'image-budget.local/my-key-base-build-stage-2:ff'],
    ['--', 'head', '__', 'x', 'image-budget.local/head:x'],
    ['k', 'head', 't', '.x', 'image-budget.local/k-head-t:t.x'],
    ['k', 'head', 't', '', 'image-budget.local/k-head-t:latest'],
    ['k', 'head', 't', 'a/b:c', 'image-budget.local/k-head-t:abc']
  ])('loadTag(%j, %s, %j, %j) = %s', (key, side, target, random, expected) => {
    const tag = loadTag(key, side, target, random);
    expect(tag).toBe(expected);
    expect(tag.startsWith(`${LOAD_REGISTRY}/`)).toBe(true);
    expect(tag).toMatch(REFERENCE);
  });
  test('a very long key and target still give a valid, bounded reference', () => {
    const tag = loadTag('k'.repeat(300), 'head', 'T-'.repeat(100), 'f'.repeat(100));
    expect(tag).toMatch(REFERENCE);
    expect(tag.length).toBeLessThanOrEqual(LOAD_REGISTRY.length + 1 + 100 + 1 + 64);
  });
  test('a repository cut at 100 characters on a separator does not end with it', () => {
    expect(loadTag('k'.repeat(99), 'head', 'release', 'r')).toBe(`image-budget.local/${'k'.repeat(99)}:r`);
  });
  test('head and base, and two targets, never share a repository', () => {
    const repo = (t: string): string => t.split(':')[0] ?? '';
    expect(repo(loadTag('k', 'head', 'a', 'r'))).not.toBe(repo(loadTag('k', 'base', 'a', 'r')));
    expect(repo(loadTag('k', 'head', 'a', 'r'))).not.toBe(repo(loadTag('k', 'head', 'b', 'r')));
  });
});

describe('cache scope and registry ref', () => {
  test.each<[string, 'head' | 'base', string, string[], string]>([
    ['image-budget', 'head', 'release', [], 'image-budget-head-release-default'],
    ['image-budget', 'base', 'release', ['linux/amd64', 'linux/arm64/v8'], 'image-budget-base-release-linux-amd64+linux-arm64-v8'],
    ['k', 'head', 'a.b_c', ['linux/386'], 'k-head-a.b_c-linux-386']
  ])('cacheScope(%s, %s, %s, %j) = %s', (key, side, target, platforms, expected) => {
    expect(cacheScope(key, side, target, platforms)).toBe(expected);
  });
  test('two targets, or head and base, never share a scope', () => {
    expect(cacheScope('k', 'head', 'release', [])).not.toBe(cacheScope('k', 'head', 'debug', []));
    expect(cacheScope('k', 'head', 'release', [])).not.toBe(cacheScope('k', 'base', 'release', []));
  });
  test('the head reads its own scope then the base one, and writes its own; the base only its own', () => {
    expect(cacheScopesFor('k', 'head', 'release', [])).toEqual({ from: ['k-head-release-default', 'k-base-release-default'], to: 'k-head-release-default' });
    expect(cacheScopesFor('k', 'base', 'release', [])).toEqual({ from: ['k-base-release-default', 'k-head-release-default'], to: 'k-base-release-default' });
  });
  test.each([
    ['ghcr.io/o/cache', 's', 'ghcr.io/o/cache:s'],
    ['ghcr.io/o/cache:build', 's', 'ghcr.io/o/cache:build-s'],
    ['localhost:5000/cache', 's', 'localhost:5000/cache:s'],
    // A scope of several platforms: `+` is no tag character, each becomes `-`.
    ['ghcr.io/o/cache', 'k-head-t-linux-amd64+linux-arm64', 'ghcr.io/o/cache:k-head-t-linux-amd64-linux-arm64']
  ])('registryCacheRef(%s)', (ref, scope, expected) => {
    expect(registryCacheRef(ref, scope)).toBe(expected);
  });
});

describe('probe parsers on recorded output', () => {
  test('buildx version', () => {
    expect(parseBuildxVersion(fixture('version.txt'))).toBe('0.13.1+ds1');
    expect(parseBuildxVersion('github.com/docker/buildx v0.29.1 abcdef')).toBe('0.29.1');
    expect(parseBuildxVersion('docker: unknown command: docker buildx')).toBeUndefined();
  });
  test('inspect of the docker driver with the containerd store', () => {
    const b = parseBuildxInspect(fixture('inspect-docker-containerd.txt'));
    expect(b).toEqual({ name: 'default', driver: 'docker', status: 'running', platforms: ['linux/amd64', 'linux/amd64/v2', 'linux/amd64/v3', 'linux/amd64/v4'] });
  });
  test('inspect of the docker driver with the classic store', () => {
    expect(parseBuildxInspect(fixture('inspect-docker-classic.txt')).driver).toBe('docker');
  });
  test('image store from docker info', () => {
    expect(parseImageStore(fixture('info-driverstatus-containerd.json'))).toBe('containerd');
    expect(parseImageStore(fixture('info-driverstatus-classic.json'))).toBe('classic');
    expect(parseImageStore('not json')).toBe('classic');
  });
  test.each<[string, string, 'containerd' | 'classic' | 'not-applicable', boolean]>([
    ['docker driver, classic store: no OCI or cache export', 'docker', 'classic', false],
    ['docker driver, containerd store', 'docker', 'containerd', true],
    ['docker-container driver', 'docker-container', 'not-applicable', true],
    ['remote driver', 'remote', 'not-applicable', true]
  ])('%s', (_n, driver, store, can) => {
    const c = capabilities('0.13.1', { name: 'b', driver, status: 'running', platforms: [] }, store);
    expect([c.ociExport, c.cacheExport]).toEqual([can, can]);
  });
});

describe('build failure summary on a recorded failing build', () => {
  const log = fixture('build-failed-run.log');
  test('keeps the failing step output and the ERROR line, masks build-arg values', () => {
    const s = summarizeBuildFailure(log, ['s3cr3t-value']);
    expect(s).toContain('ls: /nonexistent-dir: No such file or directory');
    expect(s).toMatch(/ERROR: failed to solve: process .* exit code: 1$/);
    expect(s).not.toContain('s3cr3t-value');
    expect(s).toContain('compiling with ***');
    expect(s.split('\n').length).toBeLessThanOrEqual(20);
  });
  test('last error line', () => {
    expect(lastErrorLine(log, [])).toMatch(/^failed to solve: process "\/bin\/sh -c echo/);
    expect(lastErrorLine('ERROR: failed to solve: target stage "x" could not be found\n', [])).toBe(
      'failed to solve: target stage "x" could not be found'
    );
  });
  test('mask replaces longer secrets first and ignores short values', () => {
    expect(maskSecrets('abcdef abc ab', ['abc', 'abcdef', 'ab'])).toBe('*** *** ab');
  });
  test('one mask for many texts masks each as maskSecrets does', () => {
    const secrets = ['abc', 'abcdef', 'ab', 'abc', 'xyz123'];
    const mask = secretMask(secrets);
    for (const text of ['abcdef abc ab', 'nothing here', 'xyz123abcdefxyz', '', 'abcabcab']) {
      expect(mask(text)).toBe(maskSecrets(text, secrets));
    }
    expect(secretMask([])('abc')).toBe('abc');
  });
});

describe('inspect while the daemon is down (buildx exits 0 and prints the error)', () => {
  test('the error is kept and no driver is reported', () => {
    const b = parseBuildxInspect(fixture('inspect-daemon-down.txt'));
    expect(b.driver).toBe('');
    expect(b.error).toMatch(/^Cannot connect to the Docker daemon at unix:\/\/\/nonexistent\.sock/);
  });
  test('a healthy builder has no error', () => {
    expect(parseBuildxInspect(fixture('inspect-docker-containerd.txt')).error).toBeUndefined();
  });
});

describe('cache trouble in recorded build logs', () => {
  test('a missing local cache is a warning, not an error', () => {
    expect(cacheProblems(fixture('build-local-cache-missing.log'), [])).toEqual([
      expect.stringMatching(/^local cache import at \/tmp\/nonexist-cache not found/)
    ]);
  });
  test('a clean build has none', () => {
    expect(cacheProblems(fixture('build-failed-run.log'), [])).toEqual([]);
  });
  test('ERROR lines of cache steps count, other steps do not', () => {
    const log = ['#4 importing cache manifest from gha:123', '#4 ERROR: dial tcp 127.0.0.1:9: connect: connection refused', '#5 [2/2] RUN make', '#5 ERROR: process did not complete'].join('\n');
    expect(cacheProblems(log, [])).toEqual(['dial tcp 127.0.0.1:9: connect: connection refused']);
  });
  test.each([
    ['failed to solve: failed to configure gha cache exporter: invalid token without expiration time', true],
    ['failed to solve: failed to configure gha cache importer: missing url', true],
    ['This legacy service is shutting down, effective April 15, 2025', true],
    ['failed to solve: process "/bin/sh -c make" did not complete successfully: exit code: 2', false]
  ])('isCacheFailure(%s) = %s', (error, expected) => {
    expect(isCacheFailure(String(error))).toBe(expected);
  });
});

test('a recorded gha cache that cannot be configured is recognised as a cache failure', () => {
  const error = lastErrorLine(fixture('build-gha-cache-unreachable.log'), []);
  expect(error).toMatch(/failed to configure gha cache exporter/);
  expect(isCacheFailure(error)).toBe(true);
});
