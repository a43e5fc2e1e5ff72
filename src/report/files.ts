// File-level difference between the base and head images: which regular files were added,
// removed, grew or shrank, largest changes first. Pure: FileStats in, lists out.
//
// A side read back from a report may list only its larger files (FileStats.listing). A file that
// such a side does not list may be there, smaller: it is compared where both sides list it, and
// never called added (the base's list is cut) or removed (the head's list is cut).
import type { FileStats } from '../model.js';
import { formatBytes, plural } from './format.js';

/** One file's change; `before` is absent for an added file, `after` for a removed one. */
export interface FileChange {
  readonly path: string;
  readonly before?: number;
  readonly after?: number;
  /** after − before (negative for removed and shrunk files). */
  readonly delta: number;
}

export interface FileDiff {
  /** Each list sorted by |delta|, largest first (ties by path), at most `top` long. */
  readonly added: readonly FileChange[];
  readonly removed: readonly FileChange[];
  readonly grown: readonly FileChange[];
  readonly shrunk: readonly FileChange[];
  /** Sum of the deltas of every file in each category, not only the listed ones: added and grown ≥ 0, removed and shrunk ≤ 0. */
  readonly totals: { readonly added: number; readonly removed: number; readonly grown: number; readonly shrunk: number };
  /** Number of files in each category (the lists stop at `top`). */
  readonly counts: { readonly added: number; readonly removed: number; readonly grown: number; readonly shrunk: number };
  /** Every category's changes together, each with its kind, largest first, at most `top`: what a report lists. */
  readonly largest: readonly KindedChange[];
  /** Number of files that changed at all (the sum of `counts`). */
  readonly changed: number;
}

export type ChangeKind = 'added' | 'removed' | 'grown' | 'shrunk';
export interface KindedChange extends FileChange {
  readonly kind: ChangeKind;
}

/** True when `files.final` holds every file of the image. */
export function listsEveryFile(files: FileStats): boolean {
  return files.listing === undefined;
}

/** Compares the final filesystems; files with the same size on both sides are left out. */
export function diffFiles(base: FileStats, head: FileStats, top = 10): FileDiff {
  const added: FileChange[] = [];
  const removed: FileChange[] = [];
  const grown: FileChange[] = [];
  const shrunk: FileChange[] = [];
  const baseComplete = listsEveryFile(base);
  const headComplete = listsEveryFile(head);
  for (const [path, after] of head.final) {
    const before = base.final.get(path);
    if (before === undefined) {
      if (baseComplete) added.push({ path, after, delta: after });
    }
    else if (after > before) grown.push({ path, before, after, delta: after - before });
    else if (after < before) shrunk.push({ path, before, after, delta: after - before });
  }
  for (const [path, before] of base.final) {
    if (headComplete && !head.final.has(path)) removed.push({ path, before, delta: -before });
  }
  const total = (list: readonly FileChange[]): number => list.reduce((s, c) => s + c.delta, 0);
  const cap = (list: FileChange[]): FileChange[] => list.sort(byMagnitude).slice(0, Math.max(0, top));
  const kinded = (kind: ChangeKind, list: readonly FileChange[]): KindedChange[] => list.map((c) => ({ ...c, kind }));
  // The capped lists hold every candidate for the overall top: the largest `top` of all four are
  // each among the largest `top` of their own category.
  const [a, r, g, s] = [cap(added), cap(removed), cap(grown), cap(shrunk)];
  const largest = [...kinded('added', a), ...kinded('removed', r), ...kinded('grown', g), ...kinded('shrunk', s)]
    .sort(byMagnitude)
    .slice(0, Math.max(0, top));
  return {
    largest,
    changed: added.length + removed.length + grown.length + shrunk.length,
    totals: { added: total(added), removed: total(removed), grown: total(grown), shrunk: total(shrunk) },
    counts: { added: added.length, removed: removed.length, grown: grown.length, shrunk: shrunk.length },
    added: a,
    removed: r,
    grown: g,
    shrunk: s
  };
}

function byMagnitude(a: FileChange, b: FileChange): number {
  return Math.abs(b.delta) - Math.abs(a.delta) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
}

/** Whether a file diff can be shown for a row, and what to say about the lists it compares. */
export interface ListingNotes {
  /** False when a side has no file list at all: no diff is shown, only the note. */
  readonly compare: boolean;
  /** Plain sentences, without markup: the missing list, or each list that was cut and how. */
  readonly notes: readonly string[];
}

/**
 * What the comment says about the file lists behind a diff. `base` is undefined when the base was
 * measured without file details (a stored report of a run that did not read files).
 */
export function listingNotes(base: FileStats | undefined, head: FileStats): ListingNotes {
  if (head.listing?.kind === 'none') return { compare: false, notes: ['This report has no file list, so file changes are not shown.'] };
  if (base === undefined || base.listing?.kind === 'none') {
    return { compare: false, notes: ['The stored baseline has no file list, so file changes are not shown.'] };
  }
  const notes: string[] = [];
  const cut = (side: FileStats, name: string, unlike: string): void => {
    if (side.listing?.kind !== 'cut') return;
    const { below, files, bytes } = side.listing;
    const listedBytes = [...side.final.values()].reduce((sum, n) => sum + n, 0);
    const left = `${plural(Math.max(0, files - side.final.size), 'file')}, ${formatBytes(Math.max(0, bytes - listedBytes))}`;
    notes.push(`The ${name}'s file list was cut: files under ${formatBytes(below)} are not listed (${left}), so a file it does not list is not shown as ${unlike}.`);
  };
  cut(base, 'base', 'added');
  cut(head, 'head', 'removed');
  return { compare: true, notes };
}
