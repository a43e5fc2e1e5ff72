// Which pull request a workflow_run is about, from candidates read through the API (github/pulls.ts):
// the pure choice, and the parser of REST pull requests.
import { describe, expect, test } from '@jest/globals';
import type { WorkflowRunInfo } from '../../src/github/event.js';
import { choosePull, parsePull, type PullInfo } from '../../src/github/pulls.js';

const HEAD = 'a'.repeat(40);
const repo = { owner: 'o', name: 'r' };
const run: WorkflowRunInfo = { event: 'pull_request', headSha: HEAD, headRepoFullName: 'mallory/r', headBranch: 'main', pullRequestNumbers: [] };
const pull = (number: number, over: Partial<PullInfo> = {}): PullInfo => ({
  number,
  state: 'open',
  headSha: HEAD,
  headRepoFullName: 'mallory/r',
  baseRepoFullName: 'o/r',
  ...over
});

describe('choosePull', () => {
  test.each<[string, PullInfo[], number | RegExp]>([
    ['the one pull request from the head repository', [pull(7)], 7],
    ['names in another letter case', [pull(7, { headRepoFullName: 'Mallory/R', baseRepoFullName: 'O/r' })], 7],
    ['the same candidate twice', [pull(7), pull(7)], 7],
    ["the head's current commit is not its business (stale is the caller's)", [pull(7, { headSha: 'b'.repeat(40) })], 7],
    ['a closed one beside the open one: the open one', [pull(3, { state: 'closed' }), pull(7)], 7],
    ['no candidate', [], /no pull request of o\/r has its head in mallory\/r at a{40}/],
    ['one from another head repository (a same-named branch elsewhere)', [pull(7, { headRepoFullName: 'eve/r' })], /no pull request of o\/r/],
    ['one whose head repository was deleted', [pull(7, { headRepoFullName: undefined })], /no pull request/],
    ['one based in another repository', [pull(7, { baseRepoFullName: 'mallory/r' })], /no pull request/],
    ['two open ones: no guessing', [pull(7), pull(9)], /several open pull requests .* \(#7, #9\); not guessing which/],
    ['two closed ones: no guessing', [pull(7, { state: 'closed' }), pull(9, { state: 'closed' })], /no pull request/]
  ])('%s', (_name, candidates, expected) => {
    const chosen = choosePull(candidates, repo, run);
    if (typeof expected === 'number') expect(chosen).toEqual({ kind: 'found', pull: candidates.find((c) => c.number === expected) });
    else {
      expect(chosen.kind).toBe('none');
      if (chosen.kind === 'none') expect(chosen.reason).toMatch(expected);
    }
  });
});

describe('parsePull', () => {
  test('reads number, state, head commit and both repositories', () => {
    expect(
      parsePull({
        number: 7,
        state: 'open',
        head: { sha: HEAD.toUpperCase(), repo: { full_name: 'mallory/r' } },
        base: { sha: 'b'.repeat(40), repo: { full_name: 'o/r' } }
      })
    ).toEqual({ number: 7, state: 'open', headSha: HEAD, headRepoFullName: 'mallory/r', baseRepoFullName: 'o/r' });
  });

  test.each([null, 'x', [], { number: 0 }, { number: '7' }, { number: 1.5 }])('%p is no pull request', (value) => {
    expect(parsePull(value)).toBeUndefined();
  });

  test('a deleted head repository and a malformed head commit are unknown, not guessed', () => {
    expect(parsePull({ number: 7, head: { sha: 'xyz', repo: null }, base: { repo: { full_name: 'o/r/x' } } })).toEqual({
      number: 7,
      state: '',
      headSha: undefined,
      headRepoFullName: undefined,
      baseRepoFullName: undefined
    });
  });
});
