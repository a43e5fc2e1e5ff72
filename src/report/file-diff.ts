// File-level difference between the base and head images: which regular files were added,
// removed, grew or shrank, largest changes first. Pure: FileStats in, lists out.
//
// A side read back from a report may list only its larger files (FileStats.listing): the files of
// at least `below` bytes. A file such a side does not list may be there, smaller, so it is never
// called added (the base's list is cut) or removed (the head's list is cut). When the other side's
// copy is `below` bytes or more it did change, by at least the difference: it is `added or grown`
// (`removed or shrunk`), with that least change as its delta. Smaller ones are left out.
import type { FileStats } from '../model.js';
import { formatBytes, plural } from './format.js';

/** One file's change; `before` is absent for an added file, `after` for a removed one. */
export interface FileChange {
  readonly path: string;
  readonly before?: number;
  readonly after?: number;
  /** after − before (negative for removed and shrunk files); the least change when `under` is set. */
  readonly delta: number;
  /** Set when the other side's list was cut and lacks the file: it was absent, or under this many bytes. */
  readonly under?: number;
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
  /** Number of files that changed at all (the sum of `counts`, and `uncertain`'s length). */
  readonly changed: number;
  /** Present when a cut list lacks files the other side has of its `below` or more: `added or grown`, `removed or shrunk`. */
  readonly uncertain?: readonly KindedChange[];
}

export type ChangeKind = 'added' | 'removed' | 'grown' | 'shrunk' | 'added or grown' | 'removed or shrunk';
export interface KindedChange extends FileChange {
  readonly kind: ChangeKind;
}

/** The size under which `files.final` lists nothing: 0 for a complete list, Infinity for none. */
function cutBelow(files: FileStats): number {
  const listing = files.listing;
  return listing === undefined ? 0 : listing.kind === 'cut' ? listing.below : Number.POSITIVE_INFINITY;
}

/** Compares the final filesystems; files with the same size on both sides are left out. */
export function diffFiles(base: FileStats, head: FileStats, top = 10): FileDiff {
  const added: FileChange[] = [];
  const removed: FileChange[] = [];
  const grown: FileChange[] = [];
  const shrunk: FileChange[] = [];
  const uncertain: KindedChange[] = [];
  const baseBelow = cutBelow(base);
  const headBelow = cutBelow(head);
  for (const [path, after] of head.final) {
    const before = base.final.get(path);
    if (before === undefined) {
      if (baseBelow === 0) added.push({ path, after, delta: after });
      else if (after >= baseBelow) uncertain.push({ path, after, delta: after - baseBelow + 1, under: baseBelow, kind: 'added or grown' });
    } else if (after > before) grown.push({ path, before, after, delta: after - before });
    else if (after < before) shrunk.push({ path, before, after, delta: after - before });
  }
  for (const [path, before] of base.final) {
    if (head.final.has(path)) continue;
    if (headBelow === 0) removed.push({ path, before, delta: -before });
    else if (before >= headBelow) uncertain.push({ path, before, delta: -(before - headBelow + 1), under: headBelow, kind: 'removed or shrunk' });
  }
  const total = (list: readonly FileChange[]): number => list.reduce((s, c) => s + c.delta, 0);
  const cap = (list: FileChange[]): FileChange[] => list.sort(byMagnitude).slice(0, Math.max(0, top));
  const kinded = (kind: ChangeKind, list: readonly FileChange[]): KindedChange[] => list.map((c) => ({ ...c, kind }));
  // The capped lists hold every candidate for the overall top: the largest `top` of all five are
  // each among the largest `top` of their own category.
  const [a, r, g, s] = [cap(added), cap(removed), cap(grown), cap(shrunk)];
  const u = cap(uncertain) as KindedChange[];
  const largest = [...kinded('added', a), ...kinded('removed', r), ...kinded('grown', g), ...kinded('shrunk', s), ...u]
    .sort(byMagnitude)
    .slice(0, Math.max(0, top));
  return {
    largest,
    changed: added.length + removed.length + grown.length + shrunk.length + uncertain.length,
    ...(uncertain.length > 0 ? { uncertain: u } : {}),
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
  const cut = (side: FileStats, name: string, other: string, kind: string, was: string): void => {
    if (side.listing?.kind !== 'cut') return;
    const { below, files, bytes } = side.listing;
    const listedBytes = [...side.final.values()].reduce((sum, n) => sum + n, 0);
    const left = `${plural(Math.max(0, files - side.final.size), 'file')}, ${formatBytes(Math.max(0, bytes - listedBytes))}`;
    const size = formatBytes(below);
    notes.push(
      `The ${name}'s file list was cut: files under ${size} are not listed (${left}); a ${other} file it lacks is "${kind}" when it ${was} ${size} or more, and not shown when smaller.`
    );
  };
  cut(base, 'base', 'head', 'added or grown', 'is');
  cut(head, 'head', 'base', 'removed or shrunk', 'was');
  return { compare: true, notes };
}

/** The Before, After and change texts of a row; absent Before/After are the side without the file. */
export interface ChangeTexts {
  readonly before?: string;
  readonly after?: string;
  readonly delta: string;
}

/** The texts of a row, sizes formatted by `bytes` and changes by `delta`: `under 4.10 kB`, `+1.20 MB or more`. */
export function changeCells(c: KindedChange, bytes: (n: number) => string, delta: (n: number) => string): ChangeTexts {
  const under = c.under !== undefined ? `under ${bytes(c.under)}` : undefined;
  const before = c.before !== undefined ? bytes(c.before) : c.kind === 'added or grown' ? under : undefined;
  const after = c.after !== undefined ? bytes(c.after) : c.kind === 'removed or shrunk' ? under : undefined;
  return {
    ...(before !== undefined ? { before } : {}),
    ...(after !== undefined ? { after } : {}),
    delta: c.under !== undefined ? `${delta(c.delta)} or more` : delta(c.delta)
  };
}
