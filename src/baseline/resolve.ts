// Finds the stored report to compare with: the base commit's own, else the nearest of its recent
// first-parent ancestors that has one (a base commit whose push run was skipped or failed). Every
// failure here is a warning and "none found": a missing baseline never fails a run.
import type { Exec } from '../exec.js';
import { ancestorsOf } from '../git/ancestors.js';
import type { Log } from '../log.js';
import type { Report } from '../report/report.js';
import { parseStoredReport } from './from-report.js';
import { BaselineStoreError, baselineKey, type BaselineStore } from './store.js';
import { errorMessage } from '../errors.js';

/** How many ancestors of the base commit are looked at when its own report is missing. */
export const ANCESTORS_SEARCHED = 5;

export interface FindBaselineRequest {
  readonly store: BaselineStore;
  /** `owner/name`. */
  readonly repository: string;
  readonly commentKey: string;
  /** Full SHA of the base commit. */
  readonly baseSha: string;
  /** The checkout, to list the base commit's ancestors (fetched outside it when the clone is shallow). */
  readonly repoDir: string;
  readonly exec?: Exec;
  readonly log: Log;
}

/** What a lookup of stored reports needs: where, and whose. */
export type LookUpRequest = Pick<FindBaselineRequest, 'store' | 'repository' | 'commentKey' | 'log'>;

export interface FoundBaseline {
  readonly report: Report;
  /** The commit whose report it is: the base commit or one of its ancestors. */
  readonly sha: string;
  /** 0 for the base commit's own report, n for its n-th first-parent ancestor's. */
  readonly distance: number;
}

export async function findStoredBaseline(req: FindBaselineRequest): Promise<FoundBaseline | undefined> {
  const own = await lookUp(req, [req.baseSha]);
  if (own.found) return own.found;
  // The base commit has a report that is not usable (broken, foreign, newer): build the base, as the
  // warning says, rather than compare with an older commit's numbers.
  if (own.refused || own.unreadable) return undefined;
  const ancestors = await recentAncestors(req);
  if (ancestors.length === 0) return undefined;
  const { found } = await lookUp(req, ancestors);
  return found ? { ...found, distance: ancestors.indexOf(found.sha) + 1 } : undefined;
}

export interface LookUp {
  readonly found?: FoundBaseline;
  /** A stored report was there but refused (each with a warning). */
  readonly refused: boolean;
  /** The store could not be read (with a warning). */
  readonly unreadable: boolean;
}

/** The first of `shas` whose stored report is usable; unusable ones are skipped with a warning. */
export async function lookUp(req: LookUpRequest, shas: readonly string[]): Promise<LookUp> {
  let left = [...shas];
  let refused = false;
  while (left.length > 0) {
    const keys = left.map((sha) => baselineKey(req.repository, req.commentKey, sha));
    let stored;
    try {
      stored = await req.store.find(keys);
    } catch (e) {
      if (!(e instanceof BaselineStoreError)) throw e;
      req.log.warning(`Stored baselines could not be read from ${req.store.description}: ${e.message}`);
      return { refused, unreadable: true };
    }
    if (!stored) return { refused, unreadable: false };
    const at = keys.indexOf(stored.key);
    const sha = left[at];
    if (sha === undefined) return { refused, unreadable: false };
    const parsed = parseStoredReport(stored.text, { repository: req.repository, sha });
    if (parsed.ok) return { found: { report: parsed.report, sha, distance: 0 }, refused, unreadable: false };
    req.log.warning(`Ignoring the stored baseline of ${sha.slice(0, 12)}: ${parsed.reason}.`);
    refused = true;
    left = left.slice(at + 1);
  }
  return { refused, unreadable: false };
}

/** Up to ANCESTORS_SEARCHED first-parent ancestors of the base commit, nearest first. */
async function recentAncestors(req: FindBaselineRequest): Promise<string[]> {
  try {
    // A shallow clone holds one commit: the history is fetched outside it, never into it.
    return (await ancestorsOf(req.repoDir, req.baseSha, ANCESTORS_SEARCHED + 1, req.exec ? { exec: req.exec } : {})).slice(1);
  } catch (e) {
    req.log.info(`The base commit's ancestors could not be listed (${errorMessage(e)}); only its own stored report was looked for.`);
    return [];
  }
}
