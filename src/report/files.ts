// File-level difference between the base and head images: which regular files were added,
// removed, grew or shrank, largest changes first. Pure: FileStats in, lists out.
import type { FileStats } from '../model.js';

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

/** Compares the final filesystems; files with the same size on both sides are left out. */
export function diffFiles(base: FileStats, head: FileStats, top = 10): FileDiff {
  const added: FileChange[] = [];
  const removed: FileChange[] = [];
  const grown: FileChange[] = [];
  const shrunk: FileChange[] = [];
  for (const [path, after] of head.final) {
    const before = base.final.get(path);
    if (before === undefined) added.push({ path, after, delta: after });
    else if (after > before) grown.push({ path, before, after, delta: after - before });
    else if (after < before) shrunk.push({ path, before, after, delta: after - before });
  }
  for (const [path, before] of base.final) {
    if (!head.final.has(path)) removed.push({ path, before, delta: -before });
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
