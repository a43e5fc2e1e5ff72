// The markdown of the sticky PR comment and of the job summary. Pure: Outcome in, string out.
//
// Shape (like compressed-size-action): heading, one verdict line, the main table (one row per
// target and platform), unchanged rows folded when there are many, the failing reasons, notes,
// the collapsed sections per target (render-sections.ts), the commits compared, and (comment only) the
// caller's hidden marker, last.
//
// Size cap (RELIABILITY rows 44, 49): trimmed structurally, whole blocks at a time, so <details>
// and code fences stay balanced: per-target detail sections go first (unchanged rows' first, then
// the others, then regressed rows', largest first within each group), then the folded unchanged
// rows, then the list of failing checks (the table marks those rows too); the main table is kept,
// and only if it alone is too large are rows cut (regressed rows kept first) with a count line.
// The verdict line is never lost.
import type { DetailKind, JudgedRow, Outcome } from '../model.js';
import { codeSpan, escapeCell } from './escape.js';
import { STATUS_LABEL, formatBytes, formatCount, formatChange, formatDelta, plural, shortSha } from './format.js';
import { notComparable, verdictSummary } from './policy.js';
import { causesSection, cells, detailSection, fileSection, sizeChart, trendSection } from './render-sections.js';

/** What every comment and summary starts with, before its title; the sticky comment knows ours by it. */
export const COMMENT_HEADING = '### 📦 ';

/** GitHub rejects comment bodies above 65,536 characters. */
export const COMMENT_MAX_CHARS = 65_536;
/** The runner aborts job summaries above 1 MiB; keep a little room for the file's own framing. */
export const SUMMARY_MAX_BYTES = 1024 * 1024 - 1024;
/** Fold unchanged rows into a collapsed table when there are more rows than this. */
export const FOLD_UNCHANGED_ABOVE = 8;
/** Layers listed per detail section at most. */
const NOTES_MAX = 20;

export interface RenderOptions {
  /** What the collapsed details show: `layers` (each target's layer changes) and `files` (file changes and wasted space). */
  readonly details: readonly DetailKind[];
  /** Heading text after the 📦; default "Image size". Escaped. */
  readonly title?: string;
  /** Fold unchanged rows when there are more rows than this (and some row is not unchanged). */
  readonly foldUnchangedAbove?: number;
  /** Show why each target grew (the `advice` input): causes of the new and grown files, each with its fix. Default false. */
  readonly advice?: boolean;
  /**
   * The numbers were not measured by this run but read from the pull request's own report (mode
   * comment): {@link SELF_REPORTED_NOTE} follows the verdict line, and is never trimmed.
   */
  readonly selfReported?: boolean;
}

/**
 * The note of a comment whose numbers come from the artifact of the pull request's own run (mode
 * comment): a fork's run could have written anything into it.
 */
export const SELF_REPORTED_NOTE =
  "_ℹ️ Self-reported: these numbers come from the report that the pull request's own workflow run uploaded. " +
  'This workflow did not measure them, and a pull request from a fork can change them._';

export interface CommentOptions extends RenderOptions {
  /** The hidden marker, e.g. `<!-- image-budget:image-budget -->`; appended last, verbatim. */
  readonly marker: string;
  /**
   * Largest body. Measured in UTF-8 bytes, which is never less than the character count GitHub
   * limits, so a body that fits here fits there whatever its multibyte characters.
   */
  readonly maxChars?: number;
}

export interface SummaryOptions extends RenderOptions {
  /** Largest summary in UTF-8 bytes; default SUMMARY_MAX_BYTES. */
  readonly maxBytes?: number;
}

/** The sticky comment's body, ending with the marker. */
export function renderComment(outcome: Outcome, options: CommentOptions): string {
  return render(outcome, options, {
    max: options.maxChars ?? COMMENT_MAX_CHARS,
    marker: options.marker,
    notice: 'Full report in the job summary.'
  });
}

/**
 * The shortest useful comment: heading, verdict and where the full report is. Sent when GitHub refuses
 * the full body as too long anyway (RELIABILITY row 45). `runUrl` must be a plain https URL (the run's
 * page, built from the runner's environment); the caller adds the marker.
 */
export function renderMinimalComment(
  outcome: Outcome,
  options: { readonly title?: string; readonly runUrl?: string; readonly selfReported?: boolean } = {}
): string {
  const heading = `${COMMENT_HEADING}${options.title === undefined ? 'Image size' : escapeCell(options.title, 100)}`;
  const where =
    options.runUrl !== undefined && /^https?:\/\/[A-Za-z0-9.:/_~-]+$/.test(options.runUrl)
      ? `the job summary of [this run](${options.runUrl})`
      : "this run's job summary";
  const note = options.selfReported ? [SELF_REPORTED_NOTE] : [];
  return [heading, verdictLine(outcome), ...note, `_The full report did not fit in a comment: it is in ${where}, and in the JSON report._`, footerLine(outcome)].join('\n\n');
}

/** The job summary: the same content without the marker, capped at 1 MiB. */
export function renderSummary(outcome: Outcome, options: SummaryOptions): string {
  return `${render(outcome, options, {
    max: (options.maxBytes ?? SUMMARY_MAX_BYTES) - 1,
    notice: 'Some sections were left out to fit the job summary limit; the JSON report has everything.'
  })}\n`;
}

/** The length GitHub and the runner are measured against, conservatively: UTF-8 bytes. */
export function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}

interface Frame {
  readonly max: number;
  readonly marker?: string;
  readonly notice: string;
}

interface DetailSection {
  readonly text: string;
  readonly size: number;
  /** Dropped in ascending order: 0 unchanged rows, 1 others, 2 regressed rows. */
  readonly keep: number;
}

/** What a comment is made of, before it is fitted to its frame. */
interface Parts {
  readonly heading: string;
  /** The verdict, and the self-reported note when there is one: never trimmed. */
  readonly verdict: string;
  readonly mainRows: readonly JudgedRow[];
  /** The unchanged rows folded away (many rows, some changed), as a collapsed block or one line. */
  readonly foldBlock: string | undefined;
  readonly foldLine: string;
  readonly footer: string;
  readonly details: readonly DetailSection[];
}

/** One way of composing the comment: which rows, sections, failing checks and notes it keeps. */
interface ComposePlan {
  readonly rows: readonly JudgedRow[];
  /** Main-table rows left out. */
  readonly cut: number;
  readonly fold: boolean;
  readonly details: readonly DetailSection[];
  readonly trimmed: boolean;
  /** Failing checks listed at most. */
  readonly failures?: number;
  /** Notes written out at most (the rest are counted). */
  readonly notes?: number;
}

function render(outcome: Outcome, options: RenderOptions, frame: Frame): string {
  const parts = renderParts(outcome, options);
  const compose = (p: ComposePlan): string => {
    const blocks: string[] = [parts.heading, parts.verdict];
    if (p.rows.length > 0) blocks.push(table(p.rows));
    if (p.cut > 0) blocks.push(`_… ${plural(p.cut, 'more target')} not shown._`);
    if (parts.foldBlock !== undefined) blocks.push(p.fold ? parts.foldBlock : parts.foldLine);
    const failures = failuresBlock(p.rows, p.failures);
    if (failures !== undefined) blocks.push(failures);
    const notes = notesBlock(outcome.notes, p.notes);
    if (notes !== undefined) blocks.push(notes);
    if (p.trimmed) blocks.push(`_${frame.notice}_`);
    for (const d of p.details) blocks.push(d.text);
    blocks.push(parts.footer);
    if (frame.marker !== undefined) blocks.push(frame.marker);
    return blocks.join('\n\n');
  };
  const full = compose({ rows: parts.mainRows, cut: 0, fold: true, details: parts.details, trimmed: false });
  return utf8Length(full) <= frame.max ? full : fitted(outcome, frame, parts, compose);
}

function renderParts(outcome: Outcome, options: RenderOptions): Parts {
  const rows = outcome.rows;
  const foldAbove = options.foldUnchangedAbove ?? FOLD_UNCHANGED_ABOVE;
  const fold = rows.length > foldAbove && rows.some((r) => r.status === 'unchanged') && rows.some((r) => r.status !== 'unchanged');
  const foldedRows = fold ? rows.filter((r) => r.status === 'unchanged') : [];
  return {
    heading: `${COMMENT_HEADING}${options.title === undefined ? 'Image size' : escapeCell(options.title, 100)}`,
    verdict: options.selfReported ? `${verdictLine(outcome)}\n\n${SELF_REPORTED_NOTE}` : verdictLine(outcome),
    mainRows: fold ? rows.filter((r) => r.status !== 'unchanged') : rows,
    foldBlock:
      foldedRows.length > 0
        ? `<details><summary>${plural(foldedRows.length, 'unchanged target')}</summary>\n\n${table(foldedRows)}\n\n</details>`
        : undefined,
    foldLine: `_${plural(foldedRows.length, 'unchanged target')} not shown._`,
    footer: footerLine(outcome),
    details: detailSections(outcome, options)
  };
}

/** The collapsed sections, each with what it costs and how long it is kept when trimming. */
function detailSections(outcome: Outcome, options: RenderOptions): DetailSection[] {
  const rows = outcome.rows;
  const section = (text: string | undefined, keep: number): DetailSection[] => (text === undefined ? [] : [{ text, size: utf8Length(text), keep }]);
  const layerDetails = options.details.includes('layers')
    ? rows.flatMap((r) => section(detailSection(r), r.regressed ? 2 : r.status === 'unchanged' ? 0 : 1))
    : [];
  const fileDetails = options.details.includes('files') ? rows.flatMap((r) => section(fileSection(r), r.regressed ? 2 : 1)) : [];
  // Causes come first and go last: kept over every collapsed section of the same rows.
  const causeSections = options.advice ? rows.flatMap((r) => section(causesSection(r), r.regressed ? 4 : 3)) : [];
  // The charts lead the collapsed sections and are trimmed like them.
  const chart = sizeChart(rows, outcome.metric);
  const trend = options.details.includes('trend') ? trendSection(outcome) : undefined;
  return [...causeSections, ...section(chart, 1), ...section(trend, 1), ...layerDetails, ...fileDetails];
}

/** The comment trimmed to its frame, giving up the least useful parts first. */
function fitted(outcome: Outcome, frame: Frame, parts: Parts, compose: (p: ComposePlan) => string): string {
  const { mainRows, details } = parts;
  const fits = (text: string): boolean => utf8Length(text) <= frame.max;
  // 1. Detail sections, least useful and largest first.
  const withoutDetails = compose({ rows: mainRows, cut: 0, fold: true, details: [], trimmed: true });
  const room = frame.max - utf8Length(withoutDetails);
  if (room >= 0) {
    const order = [...details].sort((a, b) => a.keep - b.keep || b.size - a.size);
    let used = details.reduce((n, d) => n + d.size + 2, 0);
    const dropped = new Set<DetailSection>();
    for (const d of order) {
      if (used <= room) break;
      dropped.add(d);
      used -= d.size + 2;
    }
    return compose({ rows: mainRows, cut: 0, fold: true, details: details.filter((d) => !dropped.has(d)), trimmed: true });
  }
  // 2. The folded unchanged rows.
  const noFold = compose({ rows: mainRows, cut: 0, fold: false, details: [], trimmed: true });
  if (fits(noFold)) return noFold;
  // 3. The list of failing checks (the table already marks those rows), as many as fit.
  const failureCount = mainRows.reduce((n, r) => n + r.verdicts.filter((v) => !v.ok).length, 0);
  const withFailures = (f: number): string => compose({ rows: mainRows, cut: 0, fold: false, details: [], trimmed: true, failures: f });
  if (failureCount > 0 && fits(withFailures(0))) return withFailures(largestFitting(failureCount - 1, (f) => fits(withFailures(f))));
  // 4. The notes (they are in the summary too), as many as fit: the table goes last.
  const noteCount = Math.min(outcome.notes.length, NOTES_MAX);
  const withNotes = (n: number): string => compose({ rows: mainRows, cut: 0, fold: false, details: [], trimmed: true, failures: 0, notes: n });
  if (noteCount > 0 && fits(withNotes(0))) return withNotes(largestFitting(noteCount - 1, (n) => fits(withNotes(n))));
  // 5. Rows of the main table, keeping regressed, then changed, rows first; the largest count that fits.
  const ranked = [...mainRows.keys()].sort((a, b) => rank(mainRows[a]!) - rank(mainRows[b]!) || a - b);
  const keep = (k: number): JudgedRow[] => {
    const chosen = new Set(ranked.slice(0, k));
    return mainRows.filter((_, i) => chosen.has(i));
  };
  const withRows = (k: number): string =>
    compose({ rows: keep(k), cut: mainRows.length - k, fold: false, details: [], trimmed: true, failures: 0, notes: 0 });
  if (!fits(withRows(0))) {
    // Not even the frame fits: the verdict and the marker, nothing else.
    const blocks = [parts.heading, parts.verdict, `_${frame.notice}_`];
    if (frame.marker !== undefined) blocks.push(frame.marker);
    return blocks.join('\n\n');
  }
  return withRows(largestFitting(mainRows.length - 1, (k) => fits(withRows(k))));
}

/** The largest n in [0, max] for which fits(n) holds, given that fits(0) holds and fits is monotone. */
function largestFitting(max: number, fits: (n: number) => boolean): number {
  let lo = 0;
  let hi = max;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

function rank(r: JudgedRow): number {
  if (r.regressed) return 0;
  if (r.status === 'unchanged') return 2;
  return 1;
}


function verdictLine(outcome: Outcome): string {
  const v = verdictSummary(outcome);
  if (!v) return 'No targets were measured.';
  const metric = v.judged ? ` · budgets judge the ${outcome.metric} size` : '';
  if (v.regressed) return `❌ **${v.problems.join(', ')}** · ${v.counts}${metric}`;
  return `${v.judged ? '✅ **Within budget**' : '✅ **No budget set**'} · ${v.counts}${metric}`;
}

const TABLE_HEAD =
  '| Status | Target | Platform | Compressed | Δ | Uncompressed | Δ | Layers |\n|:--|:--|:--|--:|--:|--:|--:|--:|';

function table(rows: readonly JudgedRow[]): string {
  return [TABLE_HEAD, ...rows.map(tableRow)].join('\n');
}

/** The target, after its image when the comment covers several: `api` › `release`. */
function targetCell(r: { readonly image?: string; readonly target: string }): string {
  const target = codeSpan(r.target) || '—';
  return r.image !== undefined ? `${codeSpan(r.image) || '—'} › ${target}` : target;
}

function platformCell(platform: string): string {
  return escapeCell(platform) || '—';
}

/** A compressed size that had to be estimated (classic image store) reads `≈ 1.27 MB`. */
function compressedCell(image: { readonly compressedBytes: number; readonly compressedEstimated?: boolean }): string {
  return `${image.compressedEstimated ? '≈ ' : ''}${formatBytes(image.compressedBytes)}`;
}

/** Both sides measured, but by different methods: shown side by side, never compared (row 20). */

/** A row of the main table: the verdict first (the column a narrow screen scrolls out of view last), then the names, then the numbers. */
function tableRow(r: JudgedRow): string {
  return cells([statusCell(r), targetCell(r), platformCell(r.platform), ...sizeCells(r)]);
}

/** Compressed, its change, uncompressed, its change, layers: what each status has of them. */
function sizeCells(r: JudgedRow): string[] {
  const head = r.head.state === 'measured' ? r.head.image : undefined;
  const base = r.base.state === 'measured' ? r.base.image : undefined;
  switch (r.status) {
    case 'changed':
    case 'unchanged': {
      const d = r.delta;
      return [
        head ? compressedCell(head) : '—',
        d ? formatChange(d.compressedBytes, d.compressedPercent) : '—',
        head ? formatBytes(head.uncompressedBytes) : '—',
        d ? formatChange(d.uncompressedBytes, d.uncompressedPercent) : '—',
        head ? formatCount(head.layerCount, d?.layerCount) : '—'
      ];
    }
    case 'new':
    case 'no-baseline': {
      const delta = r.status === 'new' ? 'new' : notComparable(r) ? 'not comparable' : '—';
      return [head ? compressedCell(head) : '—', delta, head ? formatBytes(head.uncompressedBytes) : '—', delta, head ? String(head.layerCount) : '—'];
    }
    case 'removed':
      return [
        base ? `~~${formatBytes(base.compressedBytes)}~~` : '—',
        base ? formatDelta(-base.compressedBytes) : 'removed',
        base ? `~~${formatBytes(base.uncompressedBytes)}~~` : '—',
        base ? formatDelta(-base.uncompressedBytes) : 'removed',
        base ? `~~${base.layerCount}~~` : '—'
      ];
    case 'head-failed':
      // No sizes at all: stale numbers from the base would read as the head's (RELIABILITY row 15).
      return ['—', '—', '—', '—', '—'];
  }
}

function statusCell(r: JudgedRow): string {
  if (r.status === 'head-failed') return '❌ build failed';
  if (notComparable(r)) return r.regressed ? '❌ over budget' : r.verdicts.length > 0 ? '✅ not comparable' : 'not comparable';
  if (r.regressed) return '❌ over budget';
  return r.verdicts.length > 0 ? `✅ ${STATUS_LABEL[r.status]}` : STATUS_LABEL[r.status];
}

function failuresBlock(rows: readonly JudgedRow[], limit = Number.POSITIVE_INFINITY): string | undefined {
  const items = rows.flatMap((r) =>
    r.verdicts
      .filter((v) => !v.ok)
      .map((v) => `- ${targetCell(r)} (${platformCell(r.platform)}): ${escapeCell(v.reason, 400)}`)
  );
  if (items.length === 0) return undefined;
  const shown = items.slice(0, limit);
  const noun = shown.length === 0 ? 'failing check' : 'more failing check';
  if (shown.length < items.length) shown.push(`- _${plural(items.length - shown.length, noun)} not shown._`);
  return `**Failed checks**\n\n${shown.join('\n')}`;
}

/** The notes, the first `limit` of them (at most NOTES_MAX) written out, the rest counted. */
function notesBlock(notes: readonly string[], limit = NOTES_MAX): string | undefined {
  if (notes.length === 0) return undefined;
  const shown = Math.max(0, Math.min(limit, NOTES_MAX));
  const items = notes.slice(0, shown).map((n) => `- ${escapeCell(n, 500)}`);
  if (notes.length > shown) items.push(`- _${plural(notes.length - shown, shown === 0 ? 'note' : 'more note')}_`);
  return `**Notes**\n\n${items.join('\n')}`;
}

function footerLine(outcome: Outcome): string {
  const side = (name: string, c: { readonly sha: string; readonly ref?: string }): string =>
    `${name} ${codeSpan(shortSha(c.sha), { table: false })}${c.ref ? ` (${codeSpan(c.ref, { table: false, max: 100 })})` : ''}`;
  const head = side('head', outcome.head);
  return outcome.base ? `Compared ${side('base', outcome.base)} with ${head}.` : `Measured ${head}; no base commit to compare with.`;
}
