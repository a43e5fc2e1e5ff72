// Finds the pull request a `workflow_run` event is about, through the API (comment mode).
//
// The payload's `workflow_run.pull_requests` is empty for a pull request from a fork, and may name
// pull requests that only share a branch name, so the pull request is resolved from the run's head
// commit and head repository (security requirement 3, RELIABILITY row 32):
// - GET /repos/{o}/{r}/commits/{sha}/pulls lists the pull requests GitHub associates with a commit.
//   A fork's commit is associated in the fork, not in the base repository (there the list is
//   empty), so the head repository is asked first, then this one. The association is GitHub's own
//   data: a fork cannot make it point at another pull request.
// - Every candidate is then read again from this repository (GET /repos/{o}/{r}/pulls/{n}), as it is
//   now, and kept only when its head repository is the run's. The caller compares its current head
//   commit with the run's (a pull request pushed to since is stale).
import { firstUse } from '../first-use.js';
import { apiCall, apiPolicy, createOctokit, paginateAll, GitHubApiError, type OctokitCommentsApiOptions } from './client.js';
import { normalizeSha, parseRepoFullName, type RepoRef, type WorkflowRunInfo } from './event.js';
import { errorMessage } from '../errors.js';

/** A pull request, reduced to what the lookup needs. */
export interface PullInfo {
  readonly number: number;
  /** `open` or `closed`. */
  readonly state: string;
  readonly headSha: string | undefined;
  /** `owner/name` of the head repository; undefined when it was deleted. */
  readonly headRepoFullName: string | undefined;
  readonly baseRepoFullName: string | undefined;
}

export interface PullsApi {
  /** Pull requests GitHub associates with commit `sha` of `repo` (every page). */
  pullsOfCommit(repo: RepoRef, sha: string): Promise<PullInfo[]>;
  /** A pull request of this repository, as it is now. */
  getPull(number: number): Promise<PullInfo>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fullNameAt(value: unknown, side: 'head' | 'base'): string | undefined {
  const s = isRecord(value) ? value[side] : undefined;
  const repo = isRecord(s) ? s['repo'] : undefined;
  const parsed = parseRepoFullName(isRecord(repo) ? repo['full_name'] : undefined);
  return parsed ? `${parsed.owner}/${parsed.name}` : undefined;
}

/** Validates a REST pull request (`pull-request` or `pull-request-simple`); undefined without a number. */
export function parsePull(value: unknown): PullInfo | undefined {
  if (!isRecord(value)) return undefined;
  const number = value['number'];
  if (typeof number !== 'number' || !Number.isSafeInteger(number) || number <= 0) return undefined;
  const head = value['head'];
  return {
    number,
    state: typeof value['state'] === 'string' ? value['state'] : '',
    headSha: normalizeSha(isRecord(head) ? head['sha'] : undefined),
    headRepoFullName: fullNameAt(value, 'head'),
    baseRepoFullName: fullNameAt(value, 'base')
  };
}

/** A PullsApi over octokit, for one repository (`options.owner`/`options.repo`). */
export function createOctokitPullsApi(options: OctokitCommentsApiOptions): PullsApi {
  if (options.token === '') throw new Error('The GitHub token is empty: set the github-token input.');
  const policy = apiPolicy(options.policy);
  const octokit = firstUse(() => createOctokit(options.token, options.apiUrl, policy));
  return {
    async pullsOfCommit(repo, sha) {
      const items = await apiCall(`List the pull requests of commit ${sha} in ${repo.owner}/${repo.name}`, policy, async (limits) =>
        paginateAll(await octokit(), limits, '/repos/{owner}/{repo}/commits/{commit_sha}/pulls', {
          owner: repo.owner,
          repo: repo.name,
          commit_sha: sha,
          per_page: 100
        })
      );
      return items.flatMap((item) => {
        const pull = parsePull(item);
        return pull ? [pull] : [];
      });
    },
    async getPull(number) {
      const operation = `Get pull request #${number}`;
      const response = await apiCall(operation, policy, async (limits) =>
        (await octokit()).request('GET /repos/{owner}/{repo}/pulls/{pull_number}', {
          owner: options.owner,
          repo: options.repo,
          pull_number: number,
          request: limits
        })
      );
      const pull = parsePull(response.data);
      if (!pull) throw new GitHubApiError(operation, undefined, 'the response is not a pull request');
      return pull;
    }
  };
}

export type RunPull = { readonly kind: 'found'; readonly pull: PullInfo } | { readonly kind: 'none'; readonly reason: string };

const sameName = (a: string | undefined, b: string | undefined): boolean =>
  a !== undefined && b !== undefined && a.toLowerCase() === b.toLowerCase();

/**
 * The one pull request of `repo` whose head is in the run's head repository, among `candidates`
 * (read as they are now). Several (a closed one beside an open one from the same branch): the open
 * one, when it is alone. Pure; the head commit is left to the caller to compare (stale or not).
 */
export function choosePull(candidates: readonly PullInfo[], repo: RepoRef, run: WorkflowRunInfo): RunPull {
  const full = `${repo.owner}/${repo.name}`;
  const byNumber = new Map<number, PullInfo>();
  for (const c of candidates) {
    if (sameName(c.baseRepoFullName, full) && sameName(c.headRepoFullName, run.headRepoFullName)) byNumber.set(c.number, c);
  }
  let matches = [...byNumber.values()];
  if (matches.length > 1) matches = matches.filter((p) => p.state === 'open');
  const [only] = matches;
  if (matches.length === 1 && only) return { kind: 'found', pull: only };
  const where = `${run.headRepoFullName ?? 'an unknown repository'} at ${run.headSha ?? 'an unknown commit'}`;
  if (matches.length === 0) return { kind: 'none', reason: `no pull request of ${full} has its head in ${where}` };
  return { kind: 'none', reason: `several open pull requests of ${full} have their head in ${where} (${matches.map((p) => `#${p.number}`).join(', ')}); not guessing which` };
}

/** Pull request numbers looked at, at most: a hostile payload or association list stays cheap. */
const MAX_CANDIDATES = 10;

/**
 * Finds the pull request the run measured: candidates from the payload and from the commit's
 * associations (head repository first, then this one), each read again from this repository, then
 * chosen by choosePull. Never throws: an API failure is a `none` whose reason says what failed.
 */
export async function findRunPull(api: PullsApi, repo: RepoRef, run: WorkflowRunInfo): Promise<RunPull> {
  const problems: string[] = [];
  const sha = run.headSha;
  const headRepo = parseRepoFullName(run.headRepoFullName);
  if (!sha || !headRepo) return { kind: 'none', reason: 'the workflow_run payload names no head commit or head repository' };
  const full = `${repo.owner}/${repo.name}`;
  const numbers = new Set(run.pullRequestNumbers);
  const lookIn = sameName(run.headRepoFullName, full) ? [repo] : [headRepo, repo];
  for (const where of lookIn) {
    let associated: PullInfo[];
    try {
      associated = (await api.pullsOfCommit(where, sha)).filter((p) => sameName(p.baseRepoFullName, full));
    } catch (error) {
      // A private fork the token cannot read answers 404: this repository is asked next.
      problems.push(errorMessage(error));
      continue;
    }
    for (const p of associated) numbers.add(p.number);
    if (associated.length > 0) break;
  }
  const candidates: PullInfo[] = [];
  for (const number of [...numbers].slice(0, MAX_CANDIDATES)) {
    try {
      candidates.push(await api.getPull(number));
    } catch (error) {
      if (!(error instanceof GitHubApiError && error.status === 404)) problems.push(errorMessage(error));
    }
  }
  const chosen = choosePull(candidates, repo, run);
  if (chosen.kind === 'none' && problems.length > 0) return { kind: 'none', reason: `${chosen.reason} (${problems.join('; ')})` };
  return chosen;
}
