// Budgets applied to comparisons: one verdict per rule that applies, with a short human reason; and
// what the verdict of a whole outcome is, which every medium words its own way. Pure.
import { neutralizeCommands } from '../log.js';
import type {
  Budgets,
  Comparison,
  ImageStats,
  JudgedRow,
  Metric,
  Outcome,
  PerTarget,
  Threshold,
  Verdict
} from '../model.js';
import { FACTOR_ABOVE_PERCENT, STATUS_LABEL, STATUS_ORDER, formatBytes, formatDelta, formatGrowth, formatPercent, formatThreshold, plural } from './format.js';

/** The value for a target: its own entry, else the fallback, else none. */
export function forTarget<T>(values: PerTarget<T>, target: string): T | undefined {
  return values.byTarget.has(target) ? values.byTarget.get(target) : values.fallback;
}

/** Judges every row; see `judgeRow`. */
export function judge(comparisons: readonly Comparison[], budgets: Budgets, metric: Metric): JudgedRow[] {
  return comparisons.map((c) => judgeRow(c, budgets, metric));
}

/**
 * Verdicts for one row:
 * - `build`: the head build failed (not ok);
 * - `max-increase`: both sides measured (changed / unchanged); growth equal to the limit passes;
 *   `new`, `removed` and `no-baseline` rows get none (RELIABILITY rows 6, 7, 16, 26);
 * - `max-size`, `max-layers`: whenever the head was measured.
 * A `removed` row gets no verdict at all.
 */
export function judgeRow(c: Comparison, budgets: Budgets, metric: Metric): JudgedRow {
  const verdicts: Verdict[] = [];
  if (c.head.state === 'failed' || c.head.state === 'unavailable' || c.status === 'head-failed') {
    verdicts.push({ rule: 'build', ok: false, reason: buildReason(c) });
  }
  if (c.head.state === 'measured') {
    const head = c.head.image;
    const increase = forTarget(budgets.maxIncrease, c.target);
    if (increase && c.base.state === 'measured' && c.delta && (c.status === 'changed' || c.status === 'unchanged')) {
      verdicts.push(maxIncreaseVerdict(c.base.image, head, increase, metric));
    }
    const maxSize = forTarget(budgets.maxSize, c.target);
    // A percentage is meaningless as an absolute budget; the inputs parser rejects it.
    if (maxSize && maxSize.kind === 'bytes') verdicts.push(maxSizeVerdict(head, maxSize, metric));
    const maxLayers = forTarget(budgets.maxLayers, c.target);
    if (maxLayers !== undefined) verdicts.push(maxLayersVerdict(head.layerCount, maxLayers));
    const maxWasted = budgets.maxWasted ? forTarget(budgets.maxWasted, c.target) : undefined;
    if (maxWasted) verdicts.push(maxWastedVerdict(head, maxWasted));
  }
  return { ...c, verdicts, regressed: verdicts.some((v) => !v.ok) };
}

function bytesOf(image: ImageStats, metric: Metric): number {
  return metric === 'compressed' ? image.compressedBytes : image.uncompressedBytes;
}

function buildReason(c: Comparison): string {
  if (c.head.state === 'failed') {
    const line = lastMeaningfulLine(c.head.error);
    return line ? `build failed: ${line}` : 'build failed';
  }
  if (c.head.state === 'unavailable') return `not measured: ${c.head.reason}`;
  return 'build failed';
}

function lastMeaningfulLine(text: string): string {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const last = lines[lines.length - 1] ?? '';
  return last.length > 200 ? `${last.slice(0, 199)}…` : last;
}

function maxIncreaseVerdict(base: ImageStats, head: ImageStats, limit: Threshold, metric: Metric): Verdict {
  const before = bytesOf(base, metric);
  const after = bytesOf(head, metric);
  const growth = after - before;
  const pct = before === 0 ? null : (growth / before) * 100;
  let ok: boolean;
  if (limit.kind === 'bytes') {
    ok = growth <= limit.bytes;
  } else if (before === 0) {
    // Any growth from nothing is an infinite percentage.
    ok = growth <= 0;
  } else {
    // growth / before * 100 <= percent, without the division's rounding error deciding a tie.
    ok = growth * 100 <= limit.percent * before * (1 + 1e-12);
  }
  const limitText = formatThreshold(limit);
  const change = `${bytesChange(growth, limit.kind === 'bytes' && !ok ? limit.bytes : undefined)} (${
    pct === null ? 'from 0 B' : percentText(pct, limit, ok)
  })`;
  return {
    rule: 'max-increase',
    ok,
    reason: ok ? `${change} within max-increase ${limitText}` : `${change} exceeds max-increase ${limitText}`
  };
}

/**
 * The growth beside a max-increase verdict: a factor past +1,000% (as the tables show it) unless
 * the limit is itself a percentage that high, where the digits that tell them apart are needed.
 */
function percentText(pct: number, limit: Threshold, ok: boolean): string {
  const limitAsHigh = limit.kind === 'percent' && limit.percent >= FACTOR_ABOVE_PERCENT;
  if (pct > FACTOR_ABOVE_PERCENT && !limitAsHigh) return formatGrowth(pct);
  return formatPercent(pct, limit.kind === 'percent' && !ok ? digitsToShow(pct, limit.percent) : 1);
}

/** True when a value over its limit would print the same as the limit at three significant digits. */
function closeTo(value: number, limit: number): boolean {
  return value - limit < Math.abs(value) * 0.005;
}

function bytesChange(growth: number, overLimit: number | undefined): string {
  if (overLimit !== undefined && closeTo(growth, overLimit)) return `+${growth} B`;
  return formatDelta(growth);
}

/** Fewest decimals (1 to 6) at which a percentage over its limit prints above it. */
function digitsToShow(pct: number, limit: number): number {
  for (let d = 1; d <= 6; d++) if (Number(pct.toFixed(d)) > limit) return d;
  return 6;
}

/**
 * Wasted space (files a later layer overwrites or deletes) against bytes, or a percentage of the
 * image's uncompressed size (the files are uncompressed bytes). Without file data the check cannot
 * be made, which fails it: a budget never passes silently.
 */
function maxWastedVerdict(head: ImageStats, limit: Threshold): Verdict {
  const limitText = formatThreshold(limit);
  if (!head.files) return { rule: 'max-wasted', ok: false, reason: `wasted space was not measured; max-wasted ${limitText} cannot be checked` };
  const wasted = head.files.wastedBytes;
  const allowed = limit.kind === 'bytes' ? limit.bytes : (head.uncompressedBytes * limit.percent) / 100;
  const ok = wasted <= allowed;
  const pct = head.uncompressedBytes > 0 ? ` (${formatPercent((wasted / head.uncompressedBytes) * 100).replace(/^\+/, '')} of the image)` : '';
  const text = `${formatBytes(wasted)} wasted${pct}`;
  return { rule: 'max-wasted', ok, reason: ok ? `${text} within max-wasted ${limitText}` : `${text} exceeds max-wasted ${limitText}` };
}

function maxSizeVerdict(head: ImageStats, limit: Extract<Threshold, { kind: 'bytes' }>, metric: Metric): Verdict {
  const size = bytesOf(head, metric);
  const ok = size <= limit.bytes;
  const limitText = formatThreshold(limit);
  const sizeText = !ok && closeTo(size, limit.bytes) ? `${size} B` : formatBytes(size);
  return {
    rule: 'max-size',
    ok,
    reason: ok ? `${sizeText} within max-size ${limitText}` : `${sizeText} exceeds max-size ${limitText}`
  };
}

function maxLayersVerdict(count: number, max: number): Verdict {
  const ok = count <= max;
  const noun = count === 1 ? 'layer' : 'layers';
  return {
    rule: 'max-layers',
    ok,
    reason: ok ? `${count} ${noun} within max-layers ${max}` : `${count} ${noun} exceed${count === 1 ? 's' : ''} max-layers ${max}`
  };
}

export interface OutcomeInput {
  readonly metric: Metric;
  readonly rows: readonly JudgedRow[];
  readonly head: { readonly sha: string; readonly ref?: string };
  readonly base?: { readonly sha: string; readonly ref?: string };
  readonly notes?: readonly string[];
}

/** The run's outcome: regressed when any row regressed; changed when any row changed, is new or removed. */
export function buildOutcome(input: OutcomeInput): Outcome {
  const rows = input.rows;
  return {
    metric: input.metric,
    rows,
    regressed: rows.some((r) => r.regressed),
    changed: rows.some((r) => r.status === 'changed' || r.status === 'new' || r.status === 'removed'),
    head: input.head,
    ...(input.base ? { base: input.base } : {}),
    notes: input.notes ?? []
  };
}

/**
 * One plain-text message for the step failure (RELIABILITY row 50), listing the offending targets:
 * `Image budget exceeded: release (linux/amd64): 26.1 MB exceeds max-size 25 MB`. Undefined when
 * nothing regressed. Not markdown: it goes to the log and the run annotations.
 */
export function failureMessage(outcome: Outcome, maxTargets = 10): string | undefined {
  const bad = outcome.rows.filter((r) => r.regressed);
  if (bad.length === 0) return undefined;
  const lines = bad.slice(0, maxTargets).map((r) => {
    const reasons = r.verdicts.filter((v) => !v.ok).map((v) => v.reason);
    const target = r.image !== undefined ? `${oneLine(r.image)}/${oneLine(r.target)}` : oneLine(r.target);
    return `${target} (${oneLine(r.platform)}): ${reasons.map(oneLine).join('; ')}`;
  });
  if (bad.length > maxTargets) lines.push(`…and ${bad.length - maxTargets} more`);
  const built = bad.every((r) => r.verdicts.some((v) => v.rule === 'build' && !v.ok));
  const head = built ? 'Image build failed' : 'Image budget exceeded';
  return `${head} for ${bad.length} target${bad.length === 1 ? '' : 's'}:\n${lines.map((l) => `  ${l}`).join('\n')}`;
}

function oneLine(s: string): string {
  // eslint-disable-next-line no-control-regex
  const flat = neutralizeCommands(s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').trim());
  return flat.length > 300 ? `${flat.slice(0, 299)}…` : flat;
}

/** What the verdict line of every medium (comment, summary, terminal) says, before it is worded. */
export interface VerdictSummary {
  readonly regressed: boolean;
  /** `2 targets over budget`, `1 build failed`; `regressed` when neither applies. Empty when not regressed. */
  readonly problems: readonly string[];
  /** Some budget rule (not only the build check) judged a row. */
  readonly judged: boolean;
  /** `2 targets: 1 changed, 1 unchanged`. */
  readonly counts: string;
}

/** The verdict of an outcome, or undefined when no target was measured. Pure. */
export function verdictSummary(outcome: Outcome): VerdictSummary | undefined {
  const rows = outcome.rows;
  if (rows.length === 0) return undefined;
  const failedBuilds = rows.filter((r) => r.status === 'head-failed').length;
  const overBudget = rows.filter((r) => r.regressed && r.status !== 'head-failed').length;
  const problems = outcome.regressed
    ? [
        ...(overBudget > 0 ? [plural(overBudget, 'target') + ' over budget'] : []),
        ...(failedBuilds > 0 ? [`${failedBuilds} build${failedBuilds === 1 ? '' : 's'} failed`] : [])
      ]
    : [];
  const counts = STATUS_ORDER.flatMap((s) => {
    const n = rows.filter((r) => r.status === s).length;
    return n > 0 ? [`${n} ${STATUS_LABEL[s]}`] : [];
  });
  return {
    regressed: outcome.regressed,
    problems: outcome.regressed && problems.length === 0 ? ['regressed'] : problems,
    judged: rows.some((r) => r.verdicts.some((v) => v.rule !== 'build')),
    counts: `${plural(rows.length, 'target')}: ${counts.join(', ')}`
  };
}

/** A row whose two sides were measured by different methods: shown side by side, never compared. */
export function notComparable(r: JudgedRow): boolean {
  return r.status === 'no-baseline' && r.head.state === 'measured' && r.base.state === 'measured';
}
