// Which builds are a stranger's code in a privileged run (security requirements 1 and 12): refused
// unless allow-fork-builds, and never writing the build cache. Events are read from payloads as
// GitHub sends them, through the event parser.
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { parseEventContext, type EventContext } from '../../src/github/event.js';
import { syntaxDirective } from '../../src/dockerfile/directives.js';
import { buildTrust, cacheExportMode, frontendRefusal, untrustedPrivilegedCode } from '../../src/pipeline/trust.js';

const BASE = 'a'.repeat(40);
const HEAD = 'b'.repeat(40);
const MERGE = 'c'.repeat(40);
const repository = { full_name: 'octo/app', name: 'app', owner: { login: 'octo' }, default_branch: 'main' };
const env = { GITHUB_REPOSITORY: 'octo/app', GITHUB_SHA: MERGE, GITHUB_REF: 'refs/heads/main' };

function pullRequestEvent(name: string, headRepo: unknown): EventContext {
  return parseEventContext(
    name,
    {
      number: 7,
      repository,
      pull_request: { number: 7, head: { sha: HEAD, ref: 'feature', repo: headRepo }, base: { sha: BASE, ref: 'main', repo: { full_name: 'octo/app' } } }
    },
    env
  );
}

function workflowRunEvent(run: Record<string, unknown> | undefined): EventContext {
  const payload = run === undefined ? { repository } : { repository, workflow_run: { id: 9, event: 'pull_request', head_sha: HEAD, pull_requests: [], ...run } };
  return parseEventContext('workflow_run', payload, env);
}

const fork = { full_name: 'mallory/app' };
const own = { full_name: 'octo/app' };

describe('pull_request_target', () => {
  test("a fork's pull request is refused by default, naming the danger and the way out", () => {
    const trust = buildTrust(pullRequestEvent('pull_request_target', fork), false);
    expect(trust.refusal).toMatch(/^Refusing to build a fork's pull request on pull_request_target: that event runs with a write token and secrets/);
    expect(trust.refusal).toMatch(/"pwn request"/);
    expect(trust.refusal).toMatch(/Use the pull_request event .* or set allow-fork-builds: true/);
    expect(trust.exportCache).toBe(false);
  });

  test('with allow-fork-builds it is built, with a warning, and the cache is read but not written', () => {
    const trust = buildTrust(pullRequestEvent('pull_request_target', fork), true);
    expect(trust.refusal).toBeUndefined();
    expect(trust.warning).toBe(
      "allow-fork-builds is true: building a fork's pull request on pull_request_target, with this workflow's token and secrets within reach of its Dockerfile."
    );
    expect(trust.exportCache).toBe(false);
    expect(trust.cacheNote).toMatch(/^cache: read, not written: this run builds a fork's pull request on pull_request_target, .*default branch's runs read .*\(no --cache-to\)/);
  });

  test.each([
    ['a deleted fork (head.repo null)', null],
    ['a head repository that is not owner/name', { full_name: 'not a repo' }]
  ])('%s counts as a fork', (_name, headRepo) => {
    expect(untrustedPrivilegedCode(pullRequestEvent('pull_request_target', headRepo))).toBe("a fork's pull request on pull_request_target");
    expect(buildTrust(pullRequestEvent('pull_request_target', headRepo), false).refusal).toBeDefined();
  });

  test('a payload without a pull request counts as a fork', () => {
    const event = parseEventContext('pull_request_target', { repository }, env);
    expect(event.pullRequest).toBeUndefined();
    expect(buildTrust(event, false).refusal).toMatch(/^Refusing to build a fork's pull request on pull_request_target/);
  });

  test("this repository's own branch is built, and writes the cache", () => {
    expect(buildTrust(pullRequestEvent('pull_request_target', own), false)).toEqual({ exportCache: true });
    expect(buildTrust(pullRequestEvent('pull_request_target', { full_name: 'OCTO/App' }), false)).toEqual({ exportCache: true });
  });
});

describe('workflow_run (measure mode)', () => {
  test("a fork's pull_request run is refused by default, pointing at mode: comment", () => {
    const trust = buildTrust(workflowRunEvent({ head_repository: fork }), false);
    expect(trust.refusal).toMatch(
      /^Refusing to build the code of a pull_request run from mallory\/app \(not this repository\) on workflow_run: a workflow_run workflow runs with a write token and secrets/
    );
    expect(trust.refusal).toMatch(/mode: comment, which builds nothing/);
    expect(trust.refusal).toMatch(/or set allow-fork-builds: true/);
    expect(trust.exportCache).toBe(false);
  });

  test("the refusal of a fork's workflow_run, word for word", () => {
    expect(buildTrust(workflowRunEvent({ head_repository: fork }), false).refusal).toBe(
      'Refusing to build the code of a pull_request run from mallory/app (not this repository) on workflow_run: a workflow_run workflow ' +
        'runs with a write token and secrets, and building what it checked out of that run would run untrusted code with them ' +
        '(a "pwn request"). Measure on the pull_request event and comment its report from workflow_run with mode: comment, which ' +
        'builds nothing (see "Forks and matrix jobs" in the README), or set allow-fork-builds: true if this workflow has nothing ' +
        "a fork's code must not reach."
    );
  });

  test.each(['pull_request_target', 'pull_request_review', 'push'])("any %s run from another repository is a stranger's code", (runEvent) => {
    const trust = buildTrust(workflowRunEvent({ event: runEvent, head_repository: fork }), false);
    expect(trust.refusal).toMatch(new RegExp(`^Refusing to build the code of a ${runEvent} run from mallory/app`));
  });

  test.each<[string, Record<string, unknown> | undefined]>([
    ['no head repository (a deleted fork)', { head_repository: null }],
    ['a head repository that is not owner/name', { head_repository: { full_name: 'a/b/c' } }],
    ['no workflow_run in the payload', undefined]
  ])('%s: refused, as the code could be anyone\'s', (_name, run) => {
    const trust = buildTrust(workflowRunEvent(run), false);
    expect(trust.refusal).toMatch(/^Refusing to build the code of a (pull_request )?run from a repository the workflow_run payload does not name/);
  });

  test('an unknown repository of this run: nothing to compare with, refused', () => {
    const event = parseEventContext('workflow_run', { workflow_run: { event: 'push', head_repository: own } }, { GITHUB_SHA: MERGE });
    expect(event.repo).toBeUndefined();
    expect(buildTrust(event, false).refusal).toBeDefined();
  });

  test('with allow-fork-builds: built with a warning naming where the code is from, and no cache written', () => {
    const trust = buildTrust(workflowRunEvent({ head_repository: fork }), true);
    expect(trust.refusal).toBeUndefined();
    expect(trust.warning).toBe(
      "allow-fork-builds is true: building the code of a pull_request run from mallory/app (not this repository) on workflow_run, with this workflow's token and secrets within reach of its Dockerfile."
    );
    expect(trust.exportCache).toBe(false);
    expect(trust.cacheNote).toMatch(/from mallory\/app .*\(no --cache-to\)/);
  });

  test("this repository's own runs (a push, a branch's pull request) are built and write the cache", () => {
    expect(buildTrust(workflowRunEvent({ event: 'push', head_repository: own }), false)).toEqual({ exportCache: true });
    expect(buildTrust(workflowRunEvent({ head_repository: { full_name: 'Octo/APP' } }), false)).toEqual({ exportCache: true });
  });
});

describe('other events', () => {
  test.each(['pull_request', 'push', 'schedule', 'workflow_dispatch', 'merge_group', 'issue_comment', ''])(
    '%s: never refused, the cache written (a fork on pull_request has a read-only token and its own cache scope)',
    (name) => {
      for (const headRepo of [fork, own, null]) {
        expect(untrustedPrivilegedCode(pullRequestEvent(name, headRepo))).toBeUndefined();
        expect(buildTrust(pullRequestEvent(name, headRepo), false)).toEqual({ exportCache: true });
      }
    }
  );
});

test('for any event: refused exactly when untrusted and not allowed; the cache written exactly when trusted', () => {
  const repoName = fc.constantFrom('octo/app', 'OCTO/app', 'mallory/app', 'a/b/c', '');
  fc.assert(
    fc.property(
      fc.constantFrom('pull_request_target', 'workflow_run', 'pull_request', 'push', 'issue_comment'),
      fc.option(repoName, { nil: undefined }),
      fc.option(fc.constantFrom('pull_request', 'push', 'pull_request_target'), { nil: undefined }),
      fc.boolean(),
      (name, headRepo, runEvent, allow) => {
        const head = headRepo === undefined ? null : { full_name: headRepo };
        const event = parseEventContext(
          name,
          {
            number: 7,
            repository,
            pull_request: { number: 7, head: { sha: HEAD, repo: head }, base: { sha: BASE, repo: own } },
            workflow_run: { event: runEvent, head_sha: HEAD, head_repository: head }
          },
          env
        );
        const untrusted = untrustedPrivilegedCode(event);
        const trust = buildTrust(event, allow);
        const stranger = (name === 'pull_request_target' || name === 'workflow_run') && headRepo?.toLowerCase() !== 'octo/app';
        expect(untrusted !== undefined).toBe(stranger);
        expect(trust.refusal !== undefined).toBe(stranger && !allow);
        expect(trust.warning !== undefined).toBe(stranger && allow);
        expect(trust.exportCache).toBe(!stranger);
      }
    )
  );
});

describe('cache export mode (issue 11.4): only what was pushed to the default branch writes mode=max', () => {
  const ctx = (event: string, ref: string | undefined, defaultBranch: string | undefined) => ({ event, ref, defaultBranch });
  test.each<[string, string | undefined, string | undefined, 'max' | 'min']>([
    ['push', 'refs/heads/main', 'main', 'max'],
    ['schedule', 'refs/heads/main', 'main', 'max'],
    ['workflow_dispatch', 'refs/heads/main', 'main', 'max'],
    // These run with GITHUB_REF on the default branch, but build other code.
    ['pull_request_target', 'refs/heads/main', 'main', 'min'],
    ['workflow_run', 'refs/heads/main', 'main', 'min'],
    ['issue_comment', 'refs/heads/main', 'main', 'min'],
    ['merge_group', 'refs/heads/main', 'main', 'min'],
    ['pull_request', 'refs/pull/7/merge', 'main', 'min'],
    ['push', 'refs/heads/feature', 'main', 'min'],
    ['push', 'refs/tags/main', 'main', 'min'],
    ['push', 'refs/heads/main', undefined, 'min'],
    // An unknown default branch is no branch, not even one named `undefined`.
    ['push', 'refs/heads/undefined', undefined, 'min'],
    ['schedule', undefined, 'main', 'min']
  ])('%s on %s (default branch %s): %s', (event, ref, defaultBranch, mode) => {
    expect(cacheExportMode(ctx(event, ref, defaultBranch))).toBe(mode);
  });

  test('a pull_request_target of a same-repository branch, read from its payload, writes min', () => {
    const event = pullRequestEvent('pull_request_target', own);
    expect(event.ref).toBe('refs/heads/main');
    expect(buildTrust(event, false).exportCache).toBe(true);
    expect(cacheExportMode(event)).toBe('min');
  });
});

describe("a stranger's frontend (issue 16.2)", () => {
  const untrusted = "a fork's pull request on pull_request_target";
  const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;
  const check = (dockerfile: string, buildArgs: Array<[string, string]> = [], trusted = false) =>
    frontendRefusal({ untrusted: trusted ? undefined : untrusted, file: 'docker/Dockerfile', directive: syntaxDirective(dockerfile), buildArgs });

  test('a fork built with allow-fork-builds is marked untrusted, a trusted build is not', () => {
    expect(buildTrust(pullRequestEvent('pull_request_target', fork), true).untrusted).toBe(untrusted);
    expect(buildTrust(pullRequestEvent('pull_request_target', own), true).untrusted).toBeUndefined();
  });

  test('a # syntax= directive is refused, naming the file, the line, the frontend and the way out', () => {
    const refusal = check('# escape=`\n#  SYNTAX = mallory/frontend:latest\nFROM scratch\n');
    expect(refusal).toMatch(
      /^Refusing to build a fork's pull request on pull_request_target: docker\/Dockerfile:2 names the frontend "mallory\/frontend:latest" \("#  SYNTAX = mallory\/frontend:latest"\)/
    );
    expect(refusal).toMatch(/--network none/);
    expect(refusal).toMatch(/BUILDKIT_SYNTAX \(e\.g\. docker\/dockerfile:1@sha256:<digest>\)/);
  });

  test('allowed: no directive, a trusted build, or BUILDKIT_SYNTAX pinned by digest (which BuildKit uses instead)', () => {
    expect(check('FROM scratch\n# syntax=late/comment\n')).toBeUndefined();
    expect(check('# syntax=mallory/frontend\nFROM scratch\n', [], true)).toBeUndefined();
    expect(check('# syntax=mallory/frontend\nFROM scratch\n', [['BUILDKIT_SYNTAX', `docker/dockerfile:1@${DIGEST}`]])).toBeUndefined();
    expect(check('FROM scratch\n', [['BUILDKIT_SYNTAX', `docker.io/docker/dockerfile@${DIGEST} extra`]])).toBeUndefined();
  });

  test('a BUILDKIT_SYNTAX build argument not pinned by digest is refused, naming it and the accepted form', () => {
    for (const value of ['docker/dockerfile:1', `docker/dockerfile:1@sha256:${'0'.repeat(63)}`, '']) {
      expect(check('FROM scratch\n', [['BUILDKIT_SYNTAX', value]])).toMatch(
        new RegExp(`^Refusing to build a fork's pull request on pull_request_target: the build argument BUILDKIT_SYNTAX=${JSON.stringify(value).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} .*Accepted: no BUILDKIT_SYNTAX, or one pinned as name@sha256:<64 hex digits>\\.$`)
      );
    }
    // Build-argument names are case-sensitive for BuildKit.
    expect(check('FROM scratch\n', [['buildkit_syntax', 'x']])).toBeUndefined();
  });

  test('the BUILDKIT_SYNTAX refusal, word for word', () => {
    expect(check('FROM scratch\n', [['BUILDKIT_SYNTAX', 'mallory/frontend:latest']])).toBe(
      "Refusing to build a fork's pull request on pull_request_target: the build argument BUILDKIT_SYNTAX=\"mallory/frontend:latest\" names a frontend " +
        "that is not pinned by digest, and BuildKit would run whatever that tag gives with this run's privileges within reach. " +
        'Accepted: no BUILDKIT_SYNTAX, or one pinned as name@sha256:<64 hex digits>.'
    );
  });

  test("a fork's frontend name is quoted up to 200 characters, a longer one cut with …", () => {
    const quoted = (value: string) => /BUILDKIT_SYNTAX=("[^"]*") names/.exec(check('FROM scratch\n', [['BUILDKIT_SYNTAX', value]]) ?? '')?.[1];
    expect(quoted('m'.repeat(200))).toBe(`"${'m'.repeat(200)}"`);
    expect(quoted('m'.repeat(201))).toBe(`"${'m'.repeat(200)}…"`);
    expect(quoted('m'.repeat(100_000))).toBe(`"${'m'.repeat(200)}…"`);
  });
});
