// Head against base, per target and platform, and layer by layer. Pure.
import type { Comparison, Delta, ImageStats, LayerStats, RowStatus, SideResult } from '../model.js';

/** One target and platform with what each side produced. */
export interface CompareInput {
  readonly image?: string;
  readonly target: string;
  readonly platform: string;
  readonly head: SideResult;
  readonly base: SideResult;
}

/** Compares every row, keeping the given order. */
export function compare(rows: readonly CompareInput[]): Comparison[] {
  return rows.map(compareRow);
}

/**
 * The status of one row:
 * - head failed (or was not measured at all) → `head-failed`, whatever the base;
 * - head absent → `removed` (the target no longer exists on head);
 * - head measured: base measured → `changed`/`unchanged`; base absent → `new`;
 *   base failed or unavailable, or measured by another method → `no-baseline`.
 * A delta is present only when both sides were measured by the same method.
 */
export function compareRow(row: CompareInput): Comparison {
  const { target, platform, head, base } = row;
  const image = row.image !== undefined ? { image: row.image } : {};
  const status = rowStatus(head, base);
  if (head.state === 'measured' && base.state === 'measured' && status !== 'no-baseline') {
    return { ...image, target, platform, status, head, base, delta: delta(head.image, base.image) };
  }
  return { ...image, target, platform, status, head, base };
}

function rowStatus(head: SideResult, base: SideResult): RowStatus {
  switch (head.state) {
    case 'failed':
    case 'unavailable':
      return 'head-failed';
    case 'absent':
      return 'removed';
    case 'measured':
      switch (base.state) {
        case 'absent':
          return 'new';
        case 'failed':
        case 'unavailable':
          return 'no-baseline';
        case 'measured':
          // Numbers measured by different methods are not comparable (RELIABILITY row 20).
          if (base.image.method !== head.image.method) return 'no-baseline';
          return sameNumbers(head.image, base.image) ? 'unchanged' : 'changed';
      }
  }
}

function sameNumbers(a: ImageStats, b: ImageStats): boolean {
  return (
    a.compressedBytes === b.compressedBytes &&
    a.uncompressedBytes === b.uncompressedBytes &&
    a.layerCount === b.layerCount
  );
}

/** Head minus base, with growth in percent of the base (null when the base is 0 bytes). */
export function delta(head: ImageStats, base: ImageStats): Delta {
  return {
    compressedBytes: head.compressedBytes - base.compressedBytes,
    uncompressedBytes: head.uncompressedBytes - base.uncompressedBytes,
    layerCount: head.layerCount - base.layerCount,
    compressedPercent: percent(head.compressedBytes - base.compressedBytes, base.compressedBytes),
    uncompressedPercent: percent(head.uncompressedBytes - base.uncompressedBytes, base.uncompressedBytes)
  };
}

function percent(diff: number, of: number): number | null {
  return of === 0 ? null : (diff / of) * 100;
}

/** One entry of a layer diff. Indexes are 0-based positions in the image's layer list. */
export type LayerChange =
  | { readonly kind: 'same'; readonly base: LayerStats; readonly head: LayerStats; readonly baseIndex: number; readonly headIndex: number }
  | { readonly kind: 'changed'; readonly base: LayerStats; readonly head: LayerStats; readonly baseIndex: number; readonly headIndex: number }
  | { readonly kind: 'added'; readonly head: LayerStats; readonly headIndex: number }
  | { readonly kind: 'removed'; readonly base: LayerStats; readonly baseIndex: number };

/**
 * Layers of base and head matched by digest, in order (a longest common subsequence of digests),
 * so a layer inserted early does not make every later layer look changed. Between two matched
 * layers, the unmatched ones are paired by position as `changed`; any surplus is `added` (head) or
 * `removed` (base). The result follows head order, with removed layers where they stood.
 */
export function diffLayers(base: readonly LayerStats[], head: readonly LayerStats[]): LayerChange[] {
  const n = base.length;
  const m = head.length;
  // lcs[i][j] = LCS length of base[i..] and head[j..]; images have at most a few hundred layers.
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    const row = lcs[i]!;
    const next = lcs[i + 1]!;
    for (let j = m - 1; j >= 0; j--) {
      row[j] = base[i]!.digest === head[j]!.digest ? next[j + 1]! + 1 : Math.max(next[j]!, row[j + 1]!);
    }
  }
  const out: LayerChange[] = [];
  let i = 0;
  let j = 0;
  let gapBase: number[] = [];
  let gapHead: number[] = [];
  const flushGap = (): void => {
    const pairs = Math.min(gapBase.length, gapHead.length);
    for (let k = 0; k < Math.max(gapBase.length, gapHead.length); k++) {
      const bi = gapBase[k];
      const hj = gapHead[k];
      if (k < pairs && bi !== undefined && hj !== undefined) {
        out.push({ kind: 'changed', base: base[bi]!, head: head[hj]!, baseIndex: bi, headIndex: hj });
      } else if (hj !== undefined) {
        out.push({ kind: 'added', head: head[hj]!, headIndex: hj });
      } else if (bi !== undefined) {
        out.push({ kind: 'removed', base: base[bi]!, baseIndex: bi });
      }
    }
    gapBase = [];
    gapHead = [];
  };
  while (i < n || j < m) {
    if (i < n && j < m && base[i]!.digest === head[j]!.digest && lcs[i]![j] === lcs[i + 1]![j + 1]! + 1) {
      flushGap();
      out.push({ kind: 'same', base: base[i]!, head: head[j]!, baseIndex: i, headIndex: j });
      i++;
      j++;
    } else if (j < m && (i >= n || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) {
      gapHead.push(j++);
    } else {
      gapBase.push(i++);
    }
  }
  flushGap();
  return out;
}
