// One sticky comment per pull request and comment-key: created once, then edited in place.
//
// A comment is ours when its author is the token's own identity AND its body has the very shape
// image-budget writes: our heading first, our marker last and nowhere else, the run stamp (if any) on
// the line just before it. A human's comment carrying the marker (pasted or spoofed) is never edited
// or deleted (row 37, security 8); nor is a comment of the same bot identity written by another
// workflow that echoes a pull request's text with a planted marker or stamp (issue 16): it is not
// taken for ours, and never keeps ours from being written. (One that reposts such a text verbatim,
// heading first, as the same bot cannot be told apart.) The decision is the pure `planSticky`;
// `upsertStickyComment` carries it out through a CommentsApi and turns every API failure into a
// `failed` result: commenting never throws.
//
// Modes `on-change` and `on-regression` only decide whether a *new* comment is created. A comment
// that already exists is always brought up to date, so it never shows stale numbers.
import type { CommentMode } from '../model.js';
import { COMMENT_HEADING } from '../report/render.js';
import { GitHubApiError, isBodyTooLong, isTransient, type CommentsApi, type IssueComment } from './client.js';
import { errorMessage } from '../errors.js';

export interface StickyResult {
  readonly action: 'created' | 'updated' | 'unchanged' | 'skipped' | 'failed';
  readonly id?: number;
  readonly url?: string;
  /** Why it was skipped or failed, or what else happened (duplicates removed...). Free of secrets. */
  readonly message?: string;
}

export interface StickyOptions {
  readonly issue: number;
  /** The comment-key input. */
  readonly key: string;
  /** The rendered comment; the marker is appended when it does not already end with it. */
  readonly body: string;
  readonly mode: CommentMode;
  readonly changed: boolean;
  readonly regressed: boolean;
  /** The token's login when already known; otherwise asked from the API (viewerLogin). */
  readonly identity?: string;
  /**
   * The run whose results the body shows, stamped into the comment (hidden). A comment stamped by a
   * newer run is never overwritten by an older one (RELIABILITY row 40).
   */
  readonly run?: RunStamp;
  /**
   * A short body (verdict and a link to the job summary) sent once when GitHub refuses the body as
   * too long anyway (row 45: a changed limit, or a miscount).
   */
  readonly minimalBody?: string;
}

/** Which run wrote a comment: GITHUB_RUN_ID and GITHUB_RUN_ATTEMPT (or the measured workflow_run's). */
export interface RunStamp {
  readonly id: number;
  readonly attempt: number;
}

export type StickyPlan =
  /** `target`: our comment, left as it is (a newer run wrote it). */
  | { readonly kind: 'skip'; readonly reason: string; readonly target?: IssueComment }
  | { readonly kind: 'create'; readonly body: string }
  | {
      readonly kind: 'update' | 'unchanged';
      readonly body: string;
      /** The oldest of our marker comments: the one kept. */
      readonly target: IssueComment;
      /** Our other marker comments (an earlier race), to delete (row 38). */
      readonly duplicates: readonly number[];
    };

/**
 * The hidden run stamp, the line before the marker: `<!-- image-budget-run: 1234567890/1 -->`.
 * Run ids grow with time across a repository, so a push's run outranks the run of the commit before
 * it, and a re-run (a higher attempt of the same id) outranks its first attempt.
 */
export function runStampLine(run: RunStamp): string {
  return `<!-- image-budget-run: ${run.id}/${run.attempt} -->`;
}

const STAMP = /^<!-- image-budget-run: (\d{1,16})\/(\d{1,6}) -->$/m;
/** Every stamp line, with the line ends around it (replaced by one). */
const STAMP_LINES = /\n?^<!-- image-budget-run: \d{1,16}\/\d{1,6} -->$\n?/gm;

/** The body without any run stamp, CRLF read as LF and trailing whitespace dropped. */
function stripStamp(body: string): string {
  return body.replace(/\r\n/g, '\n').replace(STAMP_LINES, '\n').trimEnd();
}

/** The stamp of a comment body, if it has one. */
export function readRunStamp(body: string): RunStamp | undefined {
  const m = STAMP.exec(body.replace(/\r\n/g, '\n'));
  if (!m) return undefined;
  const id = Number(m[1]);
  const attempt = Number(m[2]);
  return Number.isSafeInteger(id) ? { id, attempt } : undefined;
}

/** True when run `a` is newer than run `b`. */
export function isNewerRun(a: RunStamp, b: RunStamp): boolean {
  return a.id > b.id || (a.id === b.id && a.attempt > b.attempt);
}

/** `<!-- image-budget:KEY -->`, the hidden marker that closes every comment of ours. */
export function stickyMarker(key: string): string {
  return `<!-- image-budget:${key} -->`;
}

/** True when the body ends with the key's marker, trailing whitespace aside. */
export function hasMarker(body: string, key: string): boolean {
  return body.trimEnd().endsWith(stickyMarker(key));
}

/**
 * The body with the marker as its last line, and the run stamp (when given) just before it. A marker
 * or stamp the body already has is not repeated.
 */
export function withMarker(body: string, key: string, run?: RunStamp): string {
  let text = body.trimEnd();
  if (hasMarker(text, key)) text = text.slice(0, text.length - stickyMarker(key).length).trimEnd();
  text = stripStamp(text);
  const tail = run ? `${runStampLine(run)}\n${stickyMarker(key)}` : stickyMarker(key);
  return text === '' ? tail : `${text}\n\n${tail}`;
}

/**
 * Whether a body has the shape {@link withMarker} gives the rendered comment: the heading first, then
 * after a blank line either the marker alone or the run stamp and the marker on the two last lines;
 * no other HTML comment anywhere (escaping keeps `<!--` out of everything else we write). CRLF and
 * trailing whitespace aside. Pure.
 */
export function isOwnBody(body: string, key: string): boolean {
  const text = body.replace(/\r\n/g, '\n').trimEnd();
  const marker = stickyMarker(key);
  if (!text.startsWith(COMMENT_HEADING) || !text.endsWith(`\n${marker}`)) return false;
  const lines = text.split('\n');
  const stamped = STAMP_LINE.test(lines.at(-2) ?? '');
  const head = lines.slice(0, stamped ? -2 : -1);
  // A blank line before the hidden tail, and no HTML comment in what is shown.
  return head.length >= 2 && head.at(-1) === '' && !head.some((line) => line.includes('<!--'));
}

const STAMP_LINE = /^<!-- image-budget-run: \d{1,16}\/\d{1,6} -->$/;

const BOT_SUFFIX = '[bot]';
const ACTIONS_BOT = 'github-actions[bot]';

/**
 * Whether a comment author is the token's identity. GraphQL names a bot without `[bot]`, REST with it,
 * so a viewer login `X` matches `X` and `X[bot]`; `github-actions` and `github-actions[bot]` are the
 * same. Unknown identity: only `github-actions[bot]` (the default GITHUB_TOKEN) counts.
 * Logins compare case-insensitively, as GitHub treats them.
 */
export function isOwnAuthor(login: string, identity: string | undefined): boolean {
  const author = login.toLowerCase();
  if (author === '') return false;
  if (identity === undefined || identity === '') return author === ACTIONS_BOT;
  const me = identity.toLowerCase();
  if (author === me || author === me + BOT_SUFFIX) return true;
  return me === ACTIONS_BOT && author === 'github-actions';
}

// GitHub may hand a body back with CRLF line ends; trailing whitespace is not a difference either,
// nor is the run stamp: a new run with the same results makes no write (row 51).
function sameBody(a: string, b: string): boolean {
  return stripStamp(a) === stripStamp(b);
}

function oldestFirst(a: IssueComment, b: IssueComment): number {
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? -1 : 1;
  return a.id - b.id;
}

/** Our comments for this key (our author, our shape: {@link isOwnBody}), oldest first. */
export function ownMarkerComments(
  comments: readonly IssueComment[],
  identity: string | undefined,
  key: string
): IssueComment[] {
  return comments.filter((c) => isOwnAuthor(c.userLogin, identity) && isOwnBody(c.body, key)).sort(oldestFirst);
}

/**
 * Decides what to do, from the comments now on the pull request. Pure.
 * - mode `never` → skip.
 * - one of ours exists → keep the oldest (`unchanged` when its body is already this one, else
 *   `update`) and delete the other ones of ours.
 * - none → `create` when mode is `always`, `on-change` and changed, or `on-regression` and
 *   regressed; else skip.
 */
export function planSticky(
  comments: readonly IssueComment[],
  identity: string | undefined,
  key: string,
  body: string,
  mode: CommentMode,
  changed: boolean,
  regressed: boolean,
  run?: RunStamp
): StickyPlan {
  if (mode === 'never') return { kind: 'skip', reason: 'comment: never' };
  const full = withMarker(body, key, run);
  const [target, ...rest] = ownMarkerComments(comments, identity, key);
  if (target) {
    const newer = newerStamp(target, run);
    if (newer) return { kind: 'skip', reason: olderRunReason(newer), target };
    const duplicates = rest.map((c) => c.id);
    return { kind: sameBody(target.body, full) ? 'unchanged' : 'update', body: full, target, duplicates };
  }
  if (mode === 'always') return { kind: 'create', body: full };
  if (mode === 'on-change') {
    return changed ? { kind: 'create', body: full } : { kind: 'skip', reason: 'comment: on-change, and no size changed' };
  }
  return regressed
    ? { kind: 'create', body: full }
    : { kind: 'skip', reason: 'comment: on-regression, and nothing regressed' };
}

/** The comment's stamp when it was written by a run newer than `run` (both known). */
function newerStamp(comment: IssueComment, run: RunStamp | undefined): RunStamp | undefined {
  const stamp = run ? readRunStamp(comment.body) : undefined;
  return stamp && run && isNewerRun(stamp, run) ? stamp : undefined;
}

function olderRunReason(newer: RunStamp): string {
  return `a newer run (${newer.id}, attempt ${newer.attempt}) has already updated the comment; this run's older results are not written over it`;
}

/** The snippet a workflow needs so that its token can comment. */
export const PERMISSIONS_SNIPPET = 'permissions:\n  pull-requests: write';

/** The warning for a token that may not write comments (rows 34, 35). */
export function permissionMessage(error: GitHubApiError): string {
  return [
    `The token cannot write pull request comments (${error.message}).`,
    'Give the job this permission in the workflow:',
    '',
    PERMISSIONS_SNIPPET,
    '',
    'Pull requests from forks always get a read-only token: for them, upload the report as an artifact and comment it with mode: comment from a workflow_run workflow (README, "Forks and matrix jobs").'
  ].join('\n');
}

function failure(error: unknown): StickyResult {
  if (error instanceof GitHubApiError) {
    if (error.status === 401 || error.status === 403) return { action: 'failed', message: permissionMessage(error) };
    return { action: 'failed', message: error.message };
  }
  return { action: 'failed', message: `Commenting failed: ${errorMessage(error)}` };
}

function statusOf(error: unknown): number | undefined {
  return error instanceof GitHubApiError ? error.status : undefined;
}

/** Deletes our duplicates; a failure here is reported, never fatal (a 404 means already gone). */
async function deleteAll(api: CommentsApi, ids: readonly number[]): Promise<string[]> {
  const problems: string[] = [];
  for (const id of ids) {
    try {
      await api.deleteComment(id);
    } catch (error) {
      if (statusOf(error) !== 404) problems.push(errorMessage(error));
    }
  }
  return problems;
}

function note(parts: readonly string[]): { message?: string } {
  const text = parts.filter((p) => p !== '').join(' ');
  return text === '' ? {} : { message: text };
}

function removedNote(count: number, problems: readonly string[]): string[] {
  const removed = count - problems.length;
  return [
    removed > 0 ? `Removed ${removed} duplicate comment${removed === 1 ? '' : 's'}.` : '',
    ...problems.map((p) => `Could not remove a duplicate: ${p}.`)
  ];
}

/**
 * Sends a body through `write`; when GitHub refuses it as too long (row 45), sends the minimal body
 * once instead. Other errors are thrown on.
 */
async function writeBody<T>(
  options: StickyOptions,
  body: string,
  write: (body: string) => Promise<T>
): Promise<{ readonly value: T; readonly body: string; readonly minimal: boolean }> {
  try {
    return { value: await write(body), body, minimal: false };
  } catch (error) {
    if (!isBodyTooLong(error) || options.minimalBody === undefined) throw error;
    const short = withMarker(options.minimalBody, options.key, options.run);
    return { value: await write(short), body: short, minimal: true };
  }
}

const MINIMAL_NOTE = 'GitHub refused the full comment as too long: a short one was posted; the full report is in the job summary.';

/**
 * Creates our comment. A create that got a 5xx or no answer may have happened anyway, so before
 * trying again the comments are listed, and one of ours with this body counts as created (row 47).
 */
async function createOnce(
  api: CommentsApi,
  options: StickyOptions,
  identity: string | undefined,
  body: string
): Promise<IssueComment> {
  try {
    return await api.createComment(options.issue, body);
  } catch (error) {
    if (!isTransient(error)) throw error;
    const mine = ownMarkerComments(await api.listComments(options.issue), identity, options.key);
    const landed = mine.find((c) => sameBody(c.body, body));
    if (landed) return landed;
    return await api.createComment(options.issue, body);
  }
}

/**
 * After creating a comment, looks again: when two runs raced and both created one (row 39), every
 * run keeps the oldest of ours and deletes the rest, so one remains; the kept one gets this run's
 * body unless a newer run's results are already in it (row 40).
 */
async function settleAfterCreate(
  api: CommentsApi,
  options: StickyOptions,
  identity: string | undefined,
  created: IssueComment,
  body: string,
  extra: readonly string[]
): Promise<StickyResult> {
  let comments: IssueComment[];
  try {
    comments = await api.listComments(options.issue);
  } catch {
    return { action: 'created', id: created.id, url: created.htmlUrl, ...note(extra) };
  }
  const [oldest, ...rest] = ownMarkerComments(comments, identity, options.key);
  if (!oldest) return { action: 'created', id: created.id, url: created.htmlUrl, ...note(extra) };
  const problems = await deleteAll(api, rest.map((c) => c.id));
  const removed = removedNote(rest.length, problems);
  // The other run may already have deleted ours in favour of its older one: then that one is kept.
  if (oldest.id === created.id) {
    return { action: 'created', id: created.id, url: created.htmlUrl, ...note([...extra, ...removed]) };
  }
  const newer = newerStamp(oldest, options.run);
  if (newer) return { action: 'skipped', id: oldest.id, url: oldest.htmlUrl, message: olderRunReason(newer) };
  try {
    const kept = sameBody(oldest.body, body) ? oldest : await api.updateComment(oldest.id, body);
    return { action: 'updated', id: kept.id, url: kept.htmlUrl, ...note([...extra, ...removed]) };
  } catch (error) {
    return failure(error);
  }
}

/** Creates our comment (the minimal body if the full one is too long), then settles any race. */
async function createAndSettle(
  api: CommentsApi,
  options: StickyOptions,
  identity: string | undefined,
  body: string,
  extra: readonly string[] = []
): Promise<StickyResult> {
  const created = await writeBody(options, body, (b) => createOnce(api, options, identity, b));
  const notes = created.minimal ? [...extra, MINIMAL_NOTE] : extra;
  return await settleAfterCreate(api, options, identity, created.value, created.body, notes);
}

/** Creates, updates or leaves the sticky comment. Never throws: failures come back as `failed`. */
export async function upsertStickyComment(api: CommentsApi, options: StickyOptions): Promise<StickyResult> {
  if (options.mode === 'never') return { action: 'skipped', message: 'comment: never' };
  const identity = options.identity ?? (await api.viewerLogin().catch(() => undefined));

  let comments: IssueComment[];
  try {
    comments = await api.listComments(options.issue);
  } catch (error) {
    return failure(error);
  }

  const plan = planSticky(
    comments,
    identity,
    options.key,
    options.body,
    options.mode,
    options.changed,
    options.regressed,
    options.run
  );

  try {
    switch (plan.kind) {
      case 'skip':
        return { action: 'skipped', ...(plan.target ? { id: plan.target.id, url: plan.target.htmlUrl } : {}), message: plan.reason };
      case 'unchanged': {
        const problems = await deleteAll(api, plan.duplicates);
        return {
          action: 'unchanged',
          id: plan.target.id,
          url: plan.target.htmlUrl,
          ...note(removedNote(plan.duplicates.length, problems))
        };
      }
      case 'update': {
        let updated: { readonly value: IssueComment; readonly minimal: boolean } | undefined;
        try {
          updated = await writeBody(options, plan.body, (b) => api.updateComment(plan.target.id, b));
        } catch (error) {
          // Deleted between list and update (row 41): create a new one instead.
          if (statusOf(error) !== 404) throw error;
        }
        const problems = await deleteAll(api, plan.duplicates);
        const removed = removedNote(plan.duplicates.length, problems);
        if (updated) {
          return {
            action: 'updated',
            id: updated.value.id,
            url: updated.value.htmlUrl,
            ...note(updated.minimal ? [...removed, MINIMAL_NOTE] : removed)
          };
        }
        return await createAndSettle(api, options, identity, plan.body, removed);
      }
      case 'create':
        return await createAndSettle(api, options, identity, plan.body);
    }
  } catch (error) {
    return failure(error);
  }
}
