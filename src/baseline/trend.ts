// The size history behind the trend chart (`details: trend`): the reports that the last commits of
// the base branch stored (push runs), newest first. The base commit's first-parent ancestors are
// listed outside the workspace (git/ancestors.ts, commits only), then looked up in the store ten
// keys at a time, each lookup finding the next stored one; ten commits in a row without a report end
// the history (a branch that stopped storing them, or a cache service that does not answer, whose
// misses each wait out the client's retries). Every failure is a log line and a shorter history:
// the trend never fails a run.
import { errorMessage } from '../errors.js';
import type { Exec } from '../exec.js';
import { ancestorsOf } from '../git/ancestors.js';
import type { StoredReport } from '../report/trend.js';
import { lookUp, type LookUpRequest } from './resolve.js';

/** Commits of the base branch charted at most (the pull request's head is one more point). */
export const TREND_POINTS_MAX = 20;
/** First-parent commits looked at for them: pushes that stored no report (docs-only, skipped) are passed over. */
export const TREND_COMMITS_SEARCHED = 50;
/** Keys per store lookup: one Actions cache request each. */
const KEYS_PER_LOOKUP = 10;

export interface TrendRequest extends LookUpRequest {
  /** Full SHA of the base commit: it and its first-parent ancestors are looked up. */
  readonly baseSha: string;
  /** The checkout, to list the ancestors (fetched outside it when the clone is shallow). */
  readonly repoDir: string;
  /** The run's temp folder, where the ancestors are fetched. */
  readonly tmpDir: string;
  readonly exec?: Exec;
}

/** The stored reports of the base commit and its recent first-parent ancestors, newest first, at most TREND_POINTS_MAX. */
export async function storedHistory(req: TrendRequest): Promise<StoredReport[]> {
  let commits: string[];
  try {
    commits = await ancestorsOf(req.repoDir, req.baseSha, TREND_COMMITS_SEARCHED, { tmpRoot: req.tmpDir, ...(req.exec ? { exec: req.exec } : {}) });
  } catch (e) {
    req.log.info(`The base branch's history could not be listed (${errorMessage(e)}); no trend is shown.`);
    return [];
  }
  const points: StoredReport[] = [];
  let left = commits;
  while (left.length > 0 && points.length < TREND_POINTS_MAX) {
    const batch = left.slice(0, KEYS_PER_LOOKUP);
    const { found, unreadable } = await lookUp(req, batch);
    if (unreadable || !found) {
      left = left.slice(batch.length);
      break;
    }
    points.push({ sha: found.sha, report: found.report });
    left = left.slice(batch.indexOf(found.sha) + 1);
  }
  const looked = commits.length - left.length;
  req.log.info(`Trend: ${points.length} of the last ${looked} commits of the base branch stored a report.`);
  return points;
}
