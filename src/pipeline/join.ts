// Pure: line up the head's and the base's results per target and platform, as rows to compare.
import { ANY_PLATFORM, type SideResult, type TargetResults } from '../model.js';


export interface Row {
  readonly target: string;
  readonly platform: string;
  readonly head: SideResult;
  readonly base: SideResult;
}

/**
 * One row per target and platform, in the head's order, then the targets only the base has.
 * A side's '*' result (failed, absent, unavailable) pairs with every platform of the other side.
 */
export function joinSides(head: readonly TargetResults[], base: readonly TargetResults[]): Row[] {
  const rows: Row[] = [];
  const baseBy = new Map(base.map((t) => [t.target, t.results]));
  const seen = new Set<string>();
  const missing: SideResult = { state: 'unavailable', reason: 'not built' };
  for (const h of head) {
    seen.add(h.target);
    const b = baseBy.get(h.target) ?? [{ platform: ANY_PLATFORM, result: missing }];
    const platforms = unique([...h.results.map((r) => r.platform), ...b.map((r) => r.platform)]);
    const concrete = platforms.filter((p) => p !== ANY_PLATFORM);
    for (const platform of concrete.length ? concrete : [ANY_PLATFORM]) {
      rows.push({
        target: h.target,
        platform: platform === ANY_PLATFORM ? '' : platform,
        head: pick(h.results, platform) ?? { state: 'absent' },
        base: pick(b, platform) ?? { state: 'absent' }
      });
    }
  }
  for (const b of base) {
    if (seen.has(b.target)) continue;
    for (const r of b.results) {
      rows.push({ target: b.target, platform: r.platform === ANY_PLATFORM ? '' : r.platform, head: { state: 'absent' }, base: r.result });
    }
  }
  return rows;
}

function pick(
  results: ReadonlyArray<{ readonly platform: string; readonly result: SideResult }>,
  platform: string
): SideResult | undefined {
  return (results.find((r) => r.platform === platform) ?? results.find((r) => r.platform === ANY_PLATFORM))?.result;
}

function unique(xs: readonly string[]): string[] {
  return [...new Set(xs)];
}
