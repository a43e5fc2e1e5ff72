import fc from 'fast-check';
import { normalizeSha, parseEventContext, parseRepoFullName, runPageUrl, runStampFromEnv, type EventContext } from '../../src/github/event.js';

const BASE = 'a'.repeat(40);
const HEAD = 'b'.repeat(40);
const MERGE = 'c'.repeat(40);
const BEFORE = 'd'.repeat(40);
const ZERO = '0'.repeat(40);

const env = (over: Record<string, string | undefined> = {}): Record<string, string | undefined> => ({
  GITHUB_REPOSITORY: 'octo/app',
  GITHUB_SHA: MERGE,
  GITHUB_REF: 'refs/pull/7/merge',
  ...over
});

const repository = { full_name: 'octo/app', name: 'app', owner: { login: 'octo' }, default_branch: 'main' };

const prPayload = (head: unknown = { sha: HEAD, ref: 'feature', repo: { full_name: 'octo/app', fork: false } }) => ({
  action: 'synchronize',
  number: 7,
  repository,
  pull_request: {
    number: 7,
    head,
    base: { sha: BASE, ref: 'main', repo: { full_name: 'octo/app' } },
    merge_commit_sha: MERGE
  }
});

interface Case {
  readonly name: string;
  readonly event: string;
  readonly payload: unknown;
  readonly env: Record<string, string | undefined>;
  readonly expected: EventContext;
}

const cases: Case[] = [
  {
    name: 'pull_request from the same repository',
    event: 'pull_request',
    payload: prPayload(),
    env: env(),
    expected: {
      event: 'pull_request',
      repo: { owner: 'octo', name: 'app' },
      headSha: MERGE,
      ref: 'refs/pull/7/merge',
      baseSha: BASE,
      defaultBranch: 'main',
      pullRequest: {
        number: 7,
        baseSha: BASE,
        headSha: HEAD,
        baseRef: 'main',
        headRef: 'feature',
        headRepoFullName: 'octo/app',
        isFork: false
      }
    }
  },
  {
    name: 'pull_request from a fork',
    event: 'pull_request',
    payload: prPayload({ sha: HEAD, ref: 'main', repo: { full_name: 'mallory/app', fork: true } }),
    env: env(),
    expected: {
      event: 'pull_request',
      repo: { owner: 'octo', name: 'app' },
      headSha: MERGE,
      ref: 'refs/pull/7/merge',
      baseSha: BASE,
      defaultBranch: 'main',
      pullRequest: {
        number: 7,
        baseSha: BASE,
        headSha: HEAD,
        baseRef: 'main',
        headRef: 'main',
        headRepoFullName: 'mallory/app',
        isFork: true
      }
    }
  },
  {
    name: 'pull_request_target whose fork was deleted (head.repo null) counts as a fork',
    event: 'pull_request_target',
    payload: prPayload({ sha: HEAD, ref: 'x', repo: null }),
    env: env({ GITHUB_SHA: BASE, GITHUB_REF: 'refs/heads/main' }),
    expected: {
      event: 'pull_request_target',
      repo: { owner: 'octo', name: 'app' },
      headSha: BASE,
      ref: 'refs/heads/main',
      baseSha: BASE,
      defaultBranch: 'main',
      pullRequest: {
        number: 7,
        baseSha: BASE,
        headSha: HEAD,
        baseRef: 'main',
        headRef: 'x',
        headRepoFullName: undefined,
        isFork: true
      }
    }
  },
  {
    name: 'head repository differing only in case is the same repository',
    event: 'pull_request',
    payload: prPayload({ sha: HEAD, ref: 'f', repo: { full_name: 'Octo/App' } }),
    env: env(),
    expected: {
      event: 'pull_request',
      repo: { owner: 'octo', name: 'app' },
      headSha: MERGE,
      ref: 'refs/pull/7/merge',
      baseSha: BASE,
      defaultBranch: 'main',
      pullRequest: {
        number: 7,
        baseSha: BASE,
        headSha: HEAD,
        baseRef: 'main',
        headRef: 'f',
        headRepoFullName: 'Octo/App',
        isFork: false
      }
    }
  },
  {
    name: 'pull_request without pull_request object falls back to payload.number and GITHUB_*_REF',
    event: 'pull_request',
    payload: { number: 3 },
    env: env({ GITHUB_REPOSITORY: undefined, GITHUB_SHA: undefined, GITHUB_BASE_REF: 'main', GITHUB_HEAD_REF: 'topic' }),
    expected: {
      event: 'pull_request',
      repo: undefined,
      headSha: undefined,
      ref: 'refs/pull/7/merge',
      baseSha: undefined,
      defaultBranch: undefined,
      pullRequest: {
        number: 3,
        baseSha: undefined,
        headSha: undefined,
        baseRef: 'main',
        headRef: 'topic',
        headRepoFullName: undefined,
        isFork: true
      }
    }
  },
  {
    name: 'push compares with before',
    event: 'push',
    payload: { ref: 'refs/heads/main', before: BEFORE, after: HEAD, repository },
    env: env({ GITHUB_SHA: HEAD, GITHUB_REF: 'refs/heads/main' }),
    expected: {
      event: 'push',
      repo: { owner: 'octo', name: 'app' },
      headSha: HEAD,
      ref: 'refs/heads/main',
      baseSha: BEFORE,
      defaultBranch: 'main',
      pushBefore: BEFORE
    }
  },
  {
    name: 'push creating a branch (before is all zeros) has no base',
    event: 'push',
    payload: { ref: 'refs/heads/new', before: ZERO, after: HEAD, created: true, repository },
    env: env({ GITHUB_SHA: undefined, GITHUB_REF: undefined }),
    expected: {
      event: 'push',
      repo: { owner: 'octo', name: 'app' },
      headSha: HEAD,
      ref: 'refs/heads/new',
      baseSha: undefined,
      defaultBranch: 'main'
    }
  },
  {
    name: 'merge_group compares base_sha with head_sha',
    event: 'merge_group',
    payload: {
      action: 'checks_requested',
      merge_group: {
        head_sha: HEAD,
        head_ref: 'refs/heads/gh-readonly-queue/main/pr-7-aaaa',
        base_sha: BASE,
        base_ref: 'refs/heads/main'
      },
      repository
    },
    env: env({ GITHUB_SHA: HEAD, GITHUB_REF: 'refs/heads/gh-readonly-queue/main/pr-7-aaaa' }),
    expected: {
      event: 'merge_group',
      repo: { owner: 'octo', name: 'app' },
      headSha: HEAD,
      ref: 'refs/heads/gh-readonly-queue/main/pr-7-aaaa',
      baseSha: BASE,
      defaultBranch: 'main',
      mergeGroup: {
        baseSha: BASE,
        headSha: HEAD,
        baseRef: 'refs/heads/main',
        headRef: 'refs/heads/gh-readonly-queue/main/pr-7-aaaa'
      }
    }
  },
  {
    name: 'merge_group without its object does not crash (row 30)',
    event: 'merge_group',
    payload: { repository },
    env: env({ GITHUB_SHA: HEAD, GITHUB_REF: undefined }),
    expected: {
      event: 'merge_group',
      repo: { owner: 'octo', name: 'app' },
      headSha: HEAD,
      ref: undefined,
      baseSha: undefined,
      defaultBranch: 'main'
    }
  },
  {
    name: 'workflow_dispatch measures GITHUB_SHA, no comparison',
    event: 'workflow_dispatch',
    payload: { inputs: {}, ref: 'refs/heads/main', repository },
    env: env({ GITHUB_SHA: HEAD, GITHUB_REF: 'refs/heads/main' }),
    expected: {
      event: 'workflow_dispatch',
      repo: { owner: 'octo', name: 'app' },
      headSha: HEAD,
      ref: 'refs/heads/main',
      baseSha: undefined,
      defaultBranch: 'main'
    }
  },
  {
    name: 'schedule has a nearly empty payload',
    event: 'schedule',
    payload: { schedule: '0 0 * * *' },
    env: env({ GITHUB_SHA: HEAD, GITHUB_REF: 'refs/heads/main' }),
    expected: {
      event: 'schedule',
      repo: { owner: 'octo', name: 'app' },
      headSha: HEAD,
      ref: 'refs/heads/main',
      baseSha: undefined,
      defaultBranch: undefined
    }
  },
  {
    name: 'repository from the payload when GITHUB_REPOSITORY is malformed',
    event: 'schedule',
    payload: { repository: { name: 'app', owner: { login: 'octo' } } },
    env: env({ GITHUB_REPOSITORY: 'a/b/c', GITHUB_SHA: 'not-a-sha', GITHUB_REF: undefined }),
    expected: {
      event: 'schedule',
      repo: { owner: 'octo', name: 'app' },
      headSha: undefined,
      ref: undefined,
      baseSha: undefined,
      defaultBranch: undefined
    }
  },
  {
    name: 'wrongly typed fields become undefined',
    event: 'pull_request',
    payload: {
      pull_request: {
        number: '7',
        head: { sha: 42, ref: ['x'], repo: 'octo/app' },
        base: { sha: 'zz', ref: 'main\nrm -rf /' }
      },
      number: 7.5
    },
    env: env({ GITHUB_SHA: MERGE.toUpperCase() }),
    expected: {
      event: 'pull_request',
      repo: { owner: 'octo', name: 'app' },
      headSha: MERGE,
      ref: 'refs/pull/7/merge',
      baseSha: undefined,
      defaultBranch: undefined
    }
  }
];

describe('parseEventContext', () => {
  test.each(cases)('$name', ({ event, payload, env: e, expected }) => {
    expect(parseEventContext(event, payload, e)).toEqual(expected);
  });

  test.each([null, undefined, 'text', 42, [], [1, 2]])('payload %p never crashes', (payload) => {
    for (const event of ['pull_request', 'pull_request_target', 'push', 'merge_group', 'workflow_dispatch', 'schedule']) {
      const ctx = parseEventContext(event, payload, env());
      expect(ctx.event).toBe(event);
      expect(ctx.repo).toEqual({ owner: 'octo', name: 'app' });
      expect(ctx.pullRequest).toBeUndefined();
    }
  });

  test('never throws on arbitrary JSON, and every SHA it returns is a full lowercase commit id', () => {
    const events = fc.constantFrom('pull_request', 'pull_request_target', 'push', 'merge_group', 'workflow_dispatch', 'schedule', 'x');
    fc.assert(
      fc.property(events, fc.jsonValue(), fc.dictionary(fc.string(), fc.option(fc.string(), { nil: undefined })), (event, payload, e) => {
        const ctx = parseEventContext(event, payload, e);
        const shas = [ctx.headSha, ctx.baseSha, ctx.pushBefore, ctx.pullRequest?.headSha, ctx.pullRequest?.baseSha];
        for (const sha of shas) if (sha !== undefined) expect(sha).toMatch(/^[0-9a-f]{40}$|^[0-9a-f]{64}$/);
      })
    );
  });
});

describe('workflow_run', () => {
  const run = (over: Record<string, unknown> = {}): unknown => ({
    action: 'completed',
    repository,
    workflow_run: {
      id: 99,
      run_attempt: 2,
      event: 'pull_request',
      head_sha: HEAD.toUpperCase(),
      head_branch: 'main',
      head_repository: { full_name: 'mallory/app' },
      pull_requests: [],
      ...over
    }
  });
  const wrEnv = env({ GITHUB_SHA: BASE, GITHUB_REF: 'refs/heads/main' });

  test("a fork's pull request run: its head commit and repository, no pull request numbers", () => {
    expect(parseEventContext('workflow_run', run(), wrEnv)).toEqual({
      event: 'workflow_run',
      repo: { owner: 'octo', name: 'app' },
      headSha: BASE,
      ref: 'refs/heads/main',
      baseSha: undefined,
      defaultBranch: 'main',
      workflowRun: {
        event: 'pull_request',
        headSha: HEAD,
        headRepoFullName: 'mallory/app',
        headBranch: 'main',
        pullRequestNumbers: [],
        runId: 99,
        runAttempt: 2
      }
    });
  });

  test.each([
    ['no id', { id: undefined, run_attempt: undefined }, {}],
    ['an id that is no number', { id: '99', run_attempt: 'x' }, {}],
    ['a negative attempt', { run_attempt: -1 }, { runId: 99 }]
  ])('run id and attempt: %s', (_name, over, expected) => {
    const info = parseEventContext('workflow_run', run(over), wrEnv).workflowRun;
    expect({ runId: info?.runId, runAttempt: info?.runAttempt }).toEqual({ runId: undefined, runAttempt: undefined, ...expected });
  });

  test('pull_requests: only those based in this repository, each once, at most 10 looked at', () => {
    const pr = (number: unknown, base = 'https://api.github.com/repos/octo/app'): unknown => ({ number, url: 'x', head: {}, base: { repo: { url: base } } });
    const listed = [pr(7), pr(7), pr(8, 'https://api.github.com/repos/mallory/app'), pr(-1), pr('9'), pr(10, 'https://ghe.example.com/api/v3/repos/Octo/App')];
    const ctx = parseEventContext('workflow_run', run({ pull_requests: [...listed, ...Array.from({ length: 10 }, (_, i) => pr(100 + i))] }), wrEnv);
    expect(ctx.workflowRun?.pullRequestNumbers).toEqual([7, 10, 100, 101, 102, 103]);
  });

  test.each<[string, Record<string, unknown>, Partial<NonNullable<EventContext['workflowRun']>>]>([
    ['a short head commit', { head_sha: 'abc' }, { headSha: undefined }],
    ['a head repository that is no owner/name', { head_repository: { full_name: 'a/b/c' } }, { headRepoFullName: undefined }],
    ['no head repository (deleted fork)', { head_repository: null }, { headRepoFullName: undefined }],
    ['pull_requests that is no list', { pull_requests: 'x' }, { pullRequestNumbers: [] }],
    ['a push run', { event: 'push' }, { event: 'push' }]
  ])('%s', (_name, over, expected) => {
    expect(parseEventContext('workflow_run', run(over), wrEnv).workflowRun).toMatchObject(expected);
  });

  test.each([null, undefined, 'text', 42, [], { workflow_run: 'x' }])('payload %p: no workflowRun, never a crash', (payload) => {
    const ctx = parseEventContext('workflow_run', payload, wrEnv);
    expect(ctx.workflowRun).toBeUndefined();
    expect(ctx.headSha).toBe(BASE);
  });

  test('never throws on arbitrary JSON under workflow_run', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const ctx = parseEventContext('workflow_run', { workflow_run: value }, wrEnv);
        const sha = ctx.workflowRun?.headSha;
        if (sha !== undefined) expect(sha).toMatch(/^[0-9a-f]{40}$|^[0-9a-f]{64}$/);
        for (const n of ctx.workflowRun?.pullRequestNumbers ?? []) expect(Number.isSafeInteger(n) && n > 0).toBe(true);
      })
    );
  });
});

describe('normalizeSha', () => {
  test.each([
    ['a'.repeat(40), 'a'.repeat(40)],
    ['A'.repeat(40), 'a'.repeat(40)],
    [` ${'1'.repeat(40)}\n`, '1'.repeat(40)],
    ['e'.repeat(64), 'e'.repeat(64)],
    ['a'.repeat(39), undefined],
    ['g'.repeat(40), undefined],
    ['-'.repeat(40), undefined],
    ['HEAD', undefined],
    [40, undefined],
    [undefined, undefined]
  ])('%p → %p', (input, expected) => {
    expect(normalizeSha(input)).toBe(expected);
  });
});

describe('parseRepoFullName', () => {
  test.each([
    ['octo/app', { owner: 'octo', name: 'app' }],
    ['my-org/my.repo_1', { owner: 'my-org', name: 'my.repo_1' }],
    ['octo', undefined],
    ['a/b/c', undefined],
    ['/app', undefined],
    ['octo/', undefined],
    ['octo/a pp', undefined],
    ['', undefined],
    [undefined, undefined]
  ])('%p → %p', (input, expected) => {
    expect(parseRepoFullName(input)).toEqual(expected);
  });
});

describe('this run', () => {
  test.each([
    [{ GITHUB_RUN_ID: '1234567890', GITHUB_RUN_ATTEMPT: '3' }, { id: 1234567890, attempt: 3 }],
    [{ GITHUB_RUN_ID: '42' }, { id: 42, attempt: 1 }],
    [{ GITHUB_RUN_ID: '42', GITHUB_RUN_ATTEMPT: '0' }, { id: 42, attempt: 1 }],
    [{ GITHUB_RUN_ID: '42x', GITHUB_RUN_ATTEMPT: '1' }, undefined],
    [{}, undefined]
  ])('runStampFromEnv(%j) → %j', (e, expected) => {
    expect(runStampFromEnv(e)).toEqual(expected);
  });

  test.each([
    [{ GITHUB_REPOSITORY: 'octo/app', GITHUB_RUN_ID: '42' }, 'https://github.com/octo/app/actions/runs/42'],
    [{ GITHUB_SERVER_URL: 'https://ghe.example.com/', GITHUB_REPOSITORY: 'octo/app', GITHUB_RUN_ID: '42' }, 'https://ghe.example.com/octo/app/actions/runs/42'],
    [{ GITHUB_SERVER_URL: 'javascript:alert(1)', GITHUB_REPOSITORY: 'octo/app', GITHUB_RUN_ID: '42' }, undefined],
    [{ GITHUB_REPOSITORY: 'octo/app)[x](y', GITHUB_RUN_ID: '42' }, undefined],
    [{ GITHUB_REPOSITORY: 'octo/app' }, undefined]
  ])('runPageUrl(%j) → %s', (e, expected) => {
    expect(runPageUrl(e)).toBe(expected);
  });
});
