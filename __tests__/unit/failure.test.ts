// Classifying buildx's failures and cache trouble on recorded (and, where the README of the fixtures
// says so, written) buildx output: which failed builds are worth building again without cache
// (RELIABILITY rows 11, 12, 14), which are a registry's passing trouble worth a retry (row 17), and
// which cache problems of a successful build become warnings.
import { readFileSync } from 'node:fs';
import {
  cacheHint,
  cacheProblems,
  classifyBuildFailure,
  isCacheFailure,
  isTransientRegistryError,
  lastErrorLine,
  withCacheHint
} from '../../src/buildx/failure.js';

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/buildx/${name}`, import.meta.url), 'utf8');
const errorOf = (name: string): string => lastErrorLine(fixture(name), []);

describe('a failed build, classified by its last error line', () => {
  test.each<[string, 'cache' | 'transient-registry' | 'other']>([
    // The gha exporter failing the build: BuildKit before ignore-error, or one that ignores it.
    ['build-gha-export-already-exists-buildkit09.log', 'cache'],
    ['build-gha-export-429-buildkit09.log', 'cache'],
    ['build-gha-export-timeout.log', 'cache'],
    ['build-gha-cache-unreachable.log', 'cache'],
    // A registry limiting pulls or failing while FROM is resolved.
    ['build-from-429-head.log', 'transient-registry'],
    ['build-from-toomanyrequests.log', 'transient-registry'],
    ['build-from-500.log', 'transient-registry'],
    ['build-from-503.log', 'transient-registry'],
    // Not passing trouble: a missing image, a failing RUN step.
    ['build-from-not-found.log', 'other'],
    ['build-failed-run.log', 'other']
  ])('%s: %s', (name, kind) => {
    const error = errorOf(name);
    expect(error).not.toBe('');
    expect(classifyBuildFailure(error)).toBe(kind);
    expect(isCacheFailure(error)).toBe(kind === 'cache');
    expect(isTransientRegistryError(error)).toBe(kind === 'transient-registry');
  });

  test.each<[string, string, 'cache' | 'transient-registry' | 'other']>([
    // rustbgpd#466: the v2 service lost an entry mid-export.
    ['not_found from the cache service', 'failed to solve: error writing layer blob: not_found', 'cache'],
    // go-actions-cache turns a refused v2 reservation (a read-only token) into this line.
    ['a refused reservation', 'failed to solve: error writing layer blob: failed to reserve cache', 'cache'],
    ['a write denied to a read-only token', 'failed to solve: cache write denied: token has no writable scopes', 'cache'],
    ['the legacy service', 'failed to solve: This legacy service is shutting down, effective April 15, 2025. Migrate to the new service ASAP. For more information: https://gh.io/gha-cache-sunset', 'cache'],
    // Docker Hub's limit while the builder pulls (setup-buildx-action#395).
    ['toomanyrequests from the daemon', 'Error response from daemon: toomanyrequests: You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit', 'transient-registry'],
    ['a 502 from a registry', 'failed to solve: ghcr.io/o/base:1: failed to resolve source metadata for ghcr.io/o/base:1: unexpected status from HEAD request to https://ghcr.io/v2/o/base/manifests/1: 502 Bad Gateway', 'transient-registry'],
    ['a 504 from a registry', 'failed to solve: failed to copy: httpReadSeeker: failed open: unexpected status code https://quay.io/v2/o/b/blobs/sha256:ab: 504 Gateway Timeout', 'transient-registry'],
    ['a registry that wants a login', 'failed to solve: ghcr.io/o/private:1: failed to resolve source metadata for ghcr.io/o/private:1: unexpected status from HEAD request to https://ghcr.io/v2/o/private/manifests/1: 401 Unauthorized', 'other'],
    ['a RUN step that printed a 503', 'failed to solve: process "/bin/sh -c curl -f https://x/ # unexpected status code 503 Service Unavailable" did not complete successfully: exit code: 22', 'other'],
    ['a RUN step that printed toomanyrequests', 'failed to solve: process "/bin/sh -c echo toomanyrequests && false" did not complete successfully: exit code: 1', 'other'],
    ['a 503 that is not a registry\'s', 'failed to solve: 503 Service Unavailable', 'other']
  ])('%s: %s', (_name, error, kind) => {
    expect(classifyBuildFailure(error)).toBe(kind);
  });
});

describe('a failed build whose error is one of its cache steps\' is a cache failure, whatever the words', () => {
  const log = `${fixture('build-gha-service-error.log')}ERROR: failed to solve: unknown error 500 Internal Server Error: {"code":"internal","msg":"injected failure"}\n`;
  test('the error of the export step, as the build\'s last error', () => {
    const error = lastErrorLine(log, []);
    expect(isCacheFailure(error)).toBe(false);
    expect(isCacheFailure(error, cacheProblems(log, []))).toBe(true);
  });
  test('a failing RUN step beside cache trouble is not', () => {
    const run = `${fixture('build-local-cache-missing.log')}${fixture('build-failed-run.log')}`;
    expect(cacheProblems(run, [])).toHaveLength(1);
    expect(isCacheFailure(lastErrorLine(run, []), cacheProblems(run, []))).toBe(false);
  });
});

describe('cache trouble in a build that succeeded (ignore-error=true)', () => {
  test('a registry cache reference never written yet (the first build of a scope) is no trouble', () => {
    const log = fixture('build-registry-cache-not-written.log');
    expect(log).toMatch(/ERROR: failed to configure registry cache importer: 127\.0\.0\.1:\d+\/cache:never-written: not found/);
    expect(cacheProblems(log, [])).toEqual([]);
  });
  test('a registry cache importer failing otherwise still is', () => {
    const log = fixture('build-registry-cache-not-written.log').replace(': not found', ': unexpected status: 401 Unauthorized');
    expect(cacheProblems(log, [])).toHaveLength(1);
  });
  test('a refused reservation in the gha export step ("exporting to GitHub Actions Cache") is found', () => {
    expect(cacheProblems(fixture('build-gha-export-reserve-failed.log'), [])).toEqual(['error writing layer blob: failed to reserve cache']);
  });
  test('a cache service answering 500: the import and the export problem, said once', () => {
    expect(cacheProblems(fixture('build-gha-service-error.log'), [])).toEqual([
      'unknown error 500 Internal Server Error: {"code":"internal","msg":"injected failure"}'
    ]);
  });
  test('the legacy service: found, and its hint names the BuildKit and Buildx versions that speak the new one', () => {
    const problems = cacheProblems(fixture('build-gha-legacy-service.log'), []);
    expect(problems).toEqual([expect.stringMatching(/^This legacy service is shutting down, effective April 15, 2025\./)]);
    expect(withCacheHint(problems[0]!)).toMatch(/gha-cache-sunset \(GitHub's new cache service needs BuildKit ≥ 0\.20 \/ Buildx ≥ 0\.21: .*docker\/setup-buildx-action/);
  });
  test('older BuildKit names the export step "exporting cache"', () => {
    expect(cacheProblems(fixture('build-gha-export-already-exists-buildkit09.log'), [])).toEqual([
      expect.stringMatching(/^error writing layer blob: Cache already exists\. Scope: refs\/heads\/master, Key: buildkit-blob-1-sha256:1e987daa/)
    ]);
  });
  test('a RUN step whose title mentions the cache is not a cache step', () => {
    const log = ['#5 [2/2] RUN echo importing cache; exporting to the cache; false', '#5 ERROR: process did not complete successfully: exit code: 1'].join('\n');
    expect(cacheProblems(log, [])).toEqual([]);
  });
  test('registry trouble during FROM is not cache trouble', () => {
    expect(cacheProblems(fixture('build-from-toomanyrequests.log'), [])).toEqual([]);
  });
  test('no hint where buildx said enough', () => {
    expect(cacheHint('error writing layer blob: failed to reserve cache')).toBeUndefined();
    expect(withCacheHint('maximum timeout reached')).toBe('maximum timeout reached');
  });
});
