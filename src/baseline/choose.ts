// Step 2 of the pipeline: what the head is compared with, decided once per image.
//   `base-image`: pushed images read in their registry (from-image.ts); when one cannot be read, a
//   warning, and `baseline` decides as below
//   `baseline` auto/report: the stored report of the base commit or a recent ancestor (no base build)
//   auto/build: the base commit checked out outside the workspace (git/base-checkout.ts), to be built
//   otherwise, or when neither can be had: no baseline, with the reason (the head is still judged on
//   absolute budgets, PRODUCT 7, RELIABILITY row 22).
// Every choice adds the note the comment shows; only an unusable explicit `base-ref` fails the step.
import { errorMessage } from '../errors.js';
import type { Exec } from '../exec.js';
import { BaselineUnavailableError, checkoutBase, type BaseCheckout } from '../git/base-checkout.js';
import { Git, InvalidRefError, isFullSha } from '../git/git.js';
import { InputError } from '../inputs/errors.js';
import { INPUT } from '../inputs/names.js';
import type { Log } from '../log.js';
import type { BaselineMode, TargetResults } from '../model.js';
import { imageBaseline, type ImageBaselineRequest } from './from-image.js';
import { baseFromReport, type BaseFromReport } from './from-report.js';
import { findStoredBaseline, type FoundBaseline } from './resolve.js';
import type { BaselineStore } from './store.js';

export type Baseline =
  | { readonly kind: 'stored'; readonly found: FoundBaseline; readonly base: BaseFromReport }
  | { readonly kind: 'checkout'; readonly checkout: BaseCheckout }
  | { readonly kind: 'image'; readonly results: TargetResults[] }
  | { readonly kind: 'unavailable'; readonly reason: string };

export interface BaselineRequest {
  readonly mode: BaselineMode;
  /** The `base-ref` input, when given: then a ref that cannot be used is an input error. */
  readonly baseRef: string | undefined;
  /** The event's base commit (a pull request's `base.sha`, a push's `before`), if any. */
  readonly eventBase: string | undefined;
  /** The event's name, for the note when there is no base commit. */
  readonly event: string;
  /** `owner/name`, for stored reports; none: no stored report is looked up. */
  readonly repository: string | undefined;
  readonly commentKey: string;
  /** The label of this image's rows in a stored report (`name`), if any. */
  readonly name: string | undefined;
  /** The head's targets: a stored report must have all of them (`baseline: auto`) to be used. */
  readonly headTargets: readonly string[];
  readonly workspace: string;
  /** The run's temp folder: the base is checked out there. */
  readonly tmpDir: string;
  readonly store: BaselineStore | undefined;
  readonly exec: Exec;
  readonly log: Log;
  /** What the caller must undo whatever happens (the base checkout). */
  readonly cleanups: Array<() => Promise<unknown>>;
  /** `base-image`, when given: pushed images to compare with first. */
  readonly baseImage?: Omit<ImageBaselineRequest, 'targets' | 'log'>;
}

export async function chooseBaseline(req: BaselineRequest): Promise<{ readonly baseline: Baseline; readonly notes: string[] }> {
  if (!req.baseImage) return chooseCommitBaseline(req);
  const read = await imageBaseline({ ...req.baseImage, targets: req.headTargets, log: req.log });
  if (read.ok) return { baseline: { kind: 'image', results: read.results }, notes: read.notes };
  req.log.warning(`${read.reason}; the baseline is what baseline: ${req.mode} gives instead.`);
  const chosen = await chooseCommitBaseline(req);
  return { ...chosen, notes: [`${read.reason}; compared with what baseline: ${req.mode} gives instead.`, ...chosen.notes] };
}

/** The stored report or the checked-out base commit, as `baseline` says. */
async function chooseCommitBaseline(req: BaselineRequest): Promise<{ readonly baseline: Baseline; readonly notes: string[] }> {
  const ref = req.baseRef ?? req.eventBase;
  const stored = req.mode === 'auto' || req.mode === 'report' ? await storedBaseline(req, ref) : undefined;
  if (stored) return { baseline: stored, notes: [storedNote(stored.found, ref)] };
  if (req.mode === 'none') return { baseline: { kind: 'unavailable', reason: 'baseline: none' }, notes: [] };
  if (req.mode === 'report') {
    const reason = `no stored report for ${ref ?? 'this run'}`;
    return { baseline: { kind: 'unavailable', reason }, notes: [`No stored baseline report found for ${ref ?? 'this run'}; sizes are absolute.`] };
  }
  if (!ref) return { baseline: { kind: 'unavailable', reason: `no base commit for event ${req.event || 'unknown'}` }, notes: [] };
  return checkout(req, ref);
}

/** The stored report to compare with, when one is found and (with `auto`) has every head target. */
async function storedBaseline(req: BaselineRequest, ref: string | undefined): Promise<Extract<Baseline, { kind: 'stored' }> | undefined> {
  const { store, repository, log } = req;
  if (!ref || !store || !repository) return undefined;
  const baseSha = await commitOf(req.workspace, ref, req.exec);
  if (!baseSha) return undefined;
  const found = await log.group(`Look up the stored baseline of ${ref}`, () =>
    findStoredBaseline({ store, repository, commentKey: req.commentKey, baseSha, repoDir: req.workspace, exec: req.exec, log })
  );
  if (!found) return undefined;
  const base = baseFromReport(found.report, req.headTargets, req.name);
  if (base.missing.length > 0 && req.mode !== 'report') {
    log.info(`The stored baseline of ${found.sha.slice(0, 12)} has no measured image of ${base.missing.join(', ')}; building the base instead.`);
    return undefined;
  }
  const run = found.report.runId !== undefined ? ` run ${found.report.runId}` : '';
  log.info(`Baseline: the report stored by the ${found.report.event}${run} of ${found.sha} (${found.report.createdAt}); the base is not built.`);
  return { kind: 'stored', found, base };
}

function storedNote(found: FoundBaseline, ref: string | undefined): string {
  return found.distance === 0
    ? `Baseline: the report stored for ${found.sha.slice(0, 12)} by its ${found.report.event} run; the base was not rebuilt.`
    : `Baseline: ${ref?.slice(0, 12)} has no stored report; compared with the report of its ancestor ${found.sha.slice(0, 12)}, ` +
        `${found.distance} commit${found.distance === 1 ? '' : 's'} earlier.`;
}

/** The base commit checked out outside the workspace, or why it cannot be. */
async function checkout(req: BaselineRequest, ref: string): Promise<{ readonly baseline: Baseline; readonly notes: string[] }> {
  try {
    // Outside the workspace, under the temp folder (which the post step removes after a cancelled
    // run), with a `.git` laid out like the workspace's: nothing is written in the workspace.
    const base = await req.log.group(`Check out base ${ref}`, () => checkoutBase({ repoDir: req.workspace, ref, tmpRoot: req.tmpDir, exec: req.exec }));
    const layout = base.layout === 'copy' ? "a copy of the workspace's .git" : 'a depth-1 clone, as actions/checkout makes one';
    req.log.info(`Base ${base.sha} checked out in ${base.dir} (${layout}).`);
    req.cleanups.push(() => base.cleanup());
    return { baseline: { kind: 'checkout', checkout: base }, notes: [] };
  } catch (e) {
    if (e instanceof InvalidRefError && req.baseRef) {
      throw new InputError(INPUT.baseRef, ref, 'a commit SHA or a ref name', { problem: `is not usable: ${e.message}` });
    }
    // Whatever keeps the base from being checked out (unreachable commit, not a git checkout, a
    // workspace git refuses as another user's, no git at all): the head is still measured.
    const reason = e instanceof BaselineUnavailableError ? e.message : `could not check out base ${ref}: ${errorMessage(e)}`;
    req.log.warning(`Baseline unavailable: ${reason}`);
    return { baseline: { kind: 'unavailable', reason }, notes: [`Baseline unavailable: ${reason}.`] };
  }
}

/** The full SHA `ref` names: itself when it is one, else what the local repository resolves it to. */
async function commitOf(repoDir: string, ref: string, exec: Exec): Promise<string | undefined> {
  if (isFullSha(ref)) return ref.toLowerCase();
  try {
    return await new Git(repoDir, { exec }).revParseCommit(ref);
  } catch {
    return undefined;
  }
}
