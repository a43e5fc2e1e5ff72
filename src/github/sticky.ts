// One sticky comment per pull request and comment-key: created once, then edited in place.
//
// A comment is ours when it ends with our marker AND its author is the token's own identity; a
// human's comment carrying the marker (pasted or spoofed) is never edited or deleted (row 37,
// security 8). The decision is the pure `planSticky`; `upsertStickyComment` carries it out through a
// CommentsApi and turns every API failure into a `failed` result: commenting never throws.
//
// Modes `on-change` and `on-regression` only decide whether a *new* comment is created. A comment
// that already exists is always brought up to date, so it never shows stale numbers.
import type { CommentMode } from '../model.js';
import { GitHubApiError, type CommentsApi, type IssueComment } from './client.js';

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
}

export type StickyPlan =
  | { readonly kind: 'skip'; readonly reason: string }
  | { readonly kind: 'create'; readonly body: string }
  | {
      readonly kind: 'update' | 'unchanged';
      readonly body: string;
      /** The oldest of our marker comments: the one kept. */
      readonly target: IssueComment;
      /** Our other marker comments (an earlier race), to delete (row 38). */
      readonly duplicates: readonly number[];
    };

/** `<!-- image-budget:KEY -->`, the hidden marker that closes every comment of ours. */
export function stickyMarker(key: string): string {
  return `<!-- image-budget:${key} -->`;
}

/** True when the body ends with the key's marker, trailing whitespace aside. */
export function hasMarker(body: string, key: string): boolean {
  return body.trimEnd().endsWith(stickyMarker(key));
}

/** The body with the marker as its last line (unchanged when it already ends with it). */
export function withMarker(body: string, key: string): string {
  if (hasMarker(body, key)) return body.trimEnd();
  const text = body.trimEnd();
  return text === '' ? stickyMarker(key) : `${text}\n\n${stickyMarker(key)}`;
}

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

// GitHub may hand a body back with CRLF line ends; trailing whitespace is not a difference either.
function sameBody(a: string, b: string): boolean {
  const norm = (s: string): string => s.replace(/\r\n/g, '\n').trimEnd();
  return norm(a) === norm(b);
}

function oldestFirst(a: IssueComment, b: IssueComment): number {
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? -1 : 1;
  return a.id - b.id;
}

/** Our marker comments for this key, oldest first. */
export function ownMarkerComments(
  comments: readonly IssueComment[],
  identity: string | undefined,
  key: string
): IssueComment[] {
  return comments.filter((c) => hasMarker(c.body, key) && isOwnAuthor(c.userLogin, identity)).sort(oldestFirst);
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
  regressed: boolean
): StickyPlan {
  if (mode === 'never') return { kind: 'skip', reason: 'comment: never' };
  const full = withMarker(body, key);
  const [target, ...rest] = ownMarkerComments(comments, identity, key);
  if (target) {
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
  return { action: 'failed', message: `Commenting failed: ${error instanceof Error ? error.message : String(error)}` };
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
      if (statusOf(error) !== 404) problems.push(error instanceof Error ? error.message : String(error));
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
 * After creating a comment, looks again: when two runs raced and both created one (row 39), every
 * run keeps the oldest of ours, gives it this run's body and deletes the rest, so one remains.
 */
async function settleAfterCreate(
  api: CommentsApi,
  options: StickyOptions,
  identity: string | undefined,
  created: IssueComment,
  body: string
): Promise<StickyResult> {
  let comments: IssueComment[];
  try {
    comments = await api.listComments(options.issue);
  } catch {
    return { action: 'created', id: created.id, url: created.htmlUrl };
  }
  const [oldest, ...rest] = ownMarkerComments(comments, identity, options.key);
  if (!oldest) return { action: 'created', id: created.id, url: created.htmlUrl };
  const problems = await deleteAll(api, rest.map((c) => c.id));
  // The other run may already have deleted ours in favour of its older one: then that one is kept.
  if (oldest.id === created.id) {
    return { action: 'created', id: created.id, url: created.htmlUrl, ...note(removedNote(rest.length, problems)) };
  }
  try {
    const kept = sameBody(oldest.body, body) ? oldest : await api.updateComment(oldest.id, body);
    return { action: 'updated', id: kept.id, url: kept.htmlUrl, ...note(removedNote(rest.length, problems)) };
  } catch (error) {
    return failure(error);
  }
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
    options.regressed
  );

  try {
    switch (plan.kind) {
      case 'skip':
        return { action: 'skipped', message: plan.reason };
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
        let updated: IssueComment | undefined;
        try {
          updated = await api.updateComment(plan.target.id, plan.body);
        } catch (error) {
          // Deleted between list and update (row 41): create a new one instead.
          if (statusOf(error) !== 404) throw error;
        }
        const problems = await deleteAll(api, plan.duplicates);
        if (updated) {
          return {
            action: 'updated',
            id: updated.id,
            url: updated.htmlUrl,
            ...note(removedNote(plan.duplicates.length, problems))
          };
        }
        const created = await api.createComment(options.issue, plan.body);
        return await settleAfterCreate(api, options, identity, created, plan.body);
      }
      case 'create': {
        const created = await api.createComment(options.issue, plan.body);
        return await settleAfterCreate(api, options, identity, created, plan.body);
      }
    }
  } catch (error) {
    return failure(error);
  }
}
