// The collapsed sections of the comment and summary, one per target and subject (render.ts fits
// them to the comment's size): the size chart (mermaid), why it grew (causes.ts), the layers that
// changed (compare.ts), and the files added, grown, shrunk and removed with the wasted space
// (file-diff.ts). Pure: rows in, markdown out; every repository string is escaped (escape.ts).
import type { JudgedRow, LayerStats, Outcome, SizeAt } from '../model.js';
import { diffLayers } from './compare.js';
import { changeCells, diffFiles, listingNotes, type FileDiff } from './file-diff.js';
import { rowAdvice, type Cause, type RowAdvice } from './causes.js';
import { codeBlock, codeSpan, escapeCell, escapeHtml } from './escape.js';
import { formatBytes, formatDelta, groupDigits, layerChangeTitle, plural, shortenRuns } from './format.js';

/** Layers listed at most in a target's section. */
const LAYERS_MAX = 100;

/** One markdown table row. */
export function cells(values: readonly string[]): string {
  return `| ${values.join(' | ')} |`;
}

// ── Size chart ─────────────────────────────────────────────────────────────────────────────────

/** Bars at most (two per compared target): beyond that the table reads better than a chart. */
const CHART_MAX_BARS = 16;

/**
 * A mermaid `xychart-beta` bar chart (GitHub renders it) of the judged size, base and head side by
 * side per target, when it says more than the table: some target changed and there are few enough.
 * Labels keep only characters mermaid cannot misread.
 */
export function sizeChart(rows: readonly JudgedRow[], metric: Outcome['metric']): string | undefined {
  const compared = rows.filter((r) => r.status === 'changed' && r.head.state === 'measured' && r.base.state === 'measured');
  if (compared.length === 0 || compared.length * 2 > CHART_MAX_BARS) return undefined;
  const bytes = (image: { compressedBytes: number; uncompressedBytes: number }): number =>
    metric === 'compressed' ? image.compressedBytes : image.uncompressedBytes;
  const values = compared.flatMap((r) => [r.base.state === 'measured' ? bytes(r.base.image) : 0, r.head.state === 'measured' ? bytes(r.head.image) : 0]);
  const scale = chartScale(Math.max(...values));
  const multi = new Set(compared.map((r) => r.target)).size < compared.length;
  const images = compared.some((r) => r.image !== undefined);
  const label = (r: JudgedRow, side: string): string => {
    const name = chartText(`${images && r.image !== undefined ? `${r.image}/` : ''}${r.target}${multi && r.platform ? ` ${r.platform}` : ''}`);
    return `"${name} (${side})"`;
  };
  const labels = compared.flatMap((r) => [label(r, 'base'), label(r, 'head')]);
  const numbers = values.map((v) => Number((v / scale.divisor).toPrecision(4)));
  const lines = [
    '```mermaid',
    'xychart-beta',
    `    title "${metric === 'compressed' ? 'Compressed' : 'Uncompressed'} size, base and head"`,
    `    x-axis [${labels.join(', ')}]`,
    `    y-axis "${scale.unit}" 0 --> ${Number(((Math.max(...values) / scale.divisor) * 1.1).toPrecision(3))}`,
    `    bar [${numbers.join(', ')}]`,
    '```'
  ];
  return `<details><summary>Chart</summary>\n\n${lines.join('\n')}\n\n</details>`;
}

// ── Trend ──────────────────────────────────────────────────────────────────────────────────────

/** Targets charted at most (regressed, then changed, first); the others are counted. */
export const TREND_CHARTS_MAX = 6;

/**
 * `details: trend`: per target, a mermaid line chart of its size at the earlier commits of the base
 * branch that stored a report (JudgedRow.history), then at this head, each point labelled with its
 * commit's short SHA. Only sizes measured the way the head was are charted.
 */
export function trendSection(outcome: Outcome): string | undefined {
  const charted = outcome.rows.filter((r) => chartedHistory(r).length > 0).sort((a, b) => trendRank(a) - trendRank(b));
  if (charted.length === 0) return undefined;
  const charts = charted.slice(0, TREND_CHARTS_MAX).map((r) => trendChart(r, outcome.metric, outcome.head.sha));
  const commits = new Set(charted.flatMap((r) => (r.history ?? []).map((h) => h.sha))).size;
  const more = charted.length > charts.length ? [`_${plural(charted.length - charts.length, 'more target')} not charted._`] : [];
  const summary = `Trend: ${outcome.metric} size at ${plural(commits, 'earlier commit')} of the base branch and this head`;
  return `<details><summary>${summary}</summary>\n\n${[...charts, ...more].join('\n\n')}\n\n</details>`;
}

/** The earlier sizes of a measured row that were measured the way its head was. */
function chartedHistory(r: JudgedRow): readonly SizeAt[] {
  const head = r.head.state === 'measured' ? r.head.image : undefined;
  return head ? (r.history ?? []).filter((h) => h.method === head.method) : [];
}

function trendRank(r: JudgedRow): number {
  return r.regressed ? 0 : r.status === 'changed' || r.status === 'new' ? 1 : 2;
}

/** Characters mermaid cannot misread in a quoted label or title. */
const chartText = (text: string, max = 40): string => text.replace(/[^A-Za-z0-9_./ -]/g, '_').slice(0, max);

function trendChart(r: JudgedRow, metric: Outcome['metric'], headSha: string): string {
  if (r.head.state !== 'measured') throw new Error('a trend chart needs a measured head');
  const head = r.head.image;
  const points = chartedHistory(r);
  const bytes = (x: { readonly compressedBytes: number; readonly uncompressedBytes: number }): number =>
    metric === 'compressed' ? x.compressedBytes : x.uncompressedBytes;
  const values = [...points.map(bytes), bytes(head)];
  const top = Math.max(...values);
  const scale = chartScale(top);
  const labels = [...points.map((p) => `"${chartText(p.sha.slice(0, 7))}"`), `"${chartText(headSha.slice(0, 7))} (head)"`];
  const name = `${r.image !== undefined ? `${r.image}/` : ''}${r.target}${r.platform ? ` ${r.platform}` : ''}`;
  return [
    '```mermaid',
    'xychart-beta',
    `    title "${chartText(name, 60)}"`,
    `    x-axis [${labels.join(', ')}]`,
    `    y-axis "${metric === 'compressed' ? 'Compressed' : 'Uncompressed'} (${scale.unit})" 0 --> ${Number(((top / scale.divisor) * 1.1).toPrecision(3)) || 1}`,
    `    line [${values.map((v) => Number((v / scale.divisor).toPrecision(4))).join(', ')}]`,
    '```'
  ].join('\n');
}

function chartScale(max: number): { readonly unit: string; readonly divisor: number } {
  if (max >= 1e9) return { unit: 'GB', divisor: 1e9 };
  if (max >= 1e6) return { unit: 'MB', divisor: 1e6 };
  if (max >= 1e3) return { unit: 'kB', divisor: 1e3 };
  return { unit: 'B', divisor: 1 };
}

// ── Why it grew ────────────────────────────────────────────────────────────────────────────────

/** Instructions are cut to this many code points in the causes. */
const CAUSE_INSTRUCTION_MAX = 120;

/**
 * What a target's growth is made of, each cause with its directories, the layer that added them and
 * the fix: what is new or grew since the base, or everything found for a target without one.
 */
export function causesSection(r: JudgedRow): string | undefined {
  const advice = rowAdvice(r);
  if (!advice) return undefined;
  const image = r.image !== undefined ? `${codeSpan(r.image, { table: false }) || '—'} › ` : '';
  const where = `${image}${codeSpan(r.target, { table: false }) || '—'} · ${escapeCell(r.platform) || '—'}`;
  const heading = advice.compared ? `**Why it grew** · ${where}` : `**What it holds** · ${where} _(no base to compare with: everything found)_`;
  const items = advice.causes.map(causeItem);
  if (advice.more > 0) items.push(`- _${plural(advice.more, 'more cause')} not shown._`);
  const notes = causeNotes(advice);
  return [heading, items.join('\n'), ...notes].join('\n\n');
}

function causeItem(c: Cause): string {
  const size = c.kind === 'base-image' ? formatDelta(c.bytes) : `${formatDelta(c.bytes)}${c.files > 0 ? `, ${files(c.files)}` : ''}`;
  const lines = [`- **${c.cause}** · ${size}. Fix: ${c.fix}`];
  if (c.baseLayers) {
    const { count, first, last } = c.baseLayers;
    const span = count === 1 ? instruction(first) : `${instruction(first)} … ${instruction(last)}`;
    lines.push(`  - ${plural(count, 'inherited layer')}: ${span}`);
  }
  for (const g of c.groups) {
    const layer = g.layer ? ` · layer ${g.layer.index + 1}: ${instruction(g.layer.instruction)}` : '';
    lines.push(`  - ${codeSpan(`/${g.dir}`, { table: false }) || '—'} ${formatDelta(g.bytes)}, ${files(g.files)}${layer}`);
  }
  if (c.moreGroups > 0) lines.push(`  - _${c.moreGroups} more ${c.moreGroups === 1 ? 'directory' : 'directories'} not shown._`);
  return lines.join('\n');
}

function causeNotes(advice: RowAdvice): string[] {
  const notes: string[] = [];
  if (advice.causes.some((c) => c.layersUnknown)) {
    notes.push('_The layers that added these files are not known: the file list was read back from a report, which does not record them._');
  }
  const cut = advice.causes.find((c) => c.listedFrom !== undefined)?.listedFrom;
  if (cut !== undefined) notes.push(`_A file list was cut: files under ${formatBytes(cut)} were not compared, so sizes are at least those shown._`);
  return notes;
}

function files(n: number): string {
  return `${groupDigits(n)} file${n === 1 ? '' : 's'}`;
}

function instruction(text: string): string {
  return codeSpan(text, { table: false, max: CAUSE_INSTRUCTION_MAX }) || '—';
}

// ── Per-target details ─────────────────────────────────────────────────────────────────────────

function summaryLine(r: JudgedRow, what: string): string {
  const target = escapeHtml(r.target) || '—';
  const image = r.image !== undefined ? `<code>${escapeHtml(r.image) || '—'}</code> › ` : '';
  const platform = escapeHtml(r.platform) || '—';
  return `<details><summary>${image}<code>${target}</code> · ${platform} · ${what}</summary>`;
}

function section(r: JudgedRow, what: string, body: string): string {
  return `${summaryLine(r, what)}\n\n${body}\n\n</details>`;
}

export function detailSection(r: JudgedRow): string | undefined {
  if (r.head.state === 'failed') {
    return section(r, 'build failed', r.head.error.trim() === '' ? '_No error output._' : codeBlock(r.head.error));
  }
  if (r.head.state !== 'measured') return undefined;
  const head = r.head.image;
  if (r.base.state === 'measured' && (r.status === 'changed' || r.status === 'unchanged')) {
    const changes = diffLayers(r.base.image.layers, head.layers);
    const differing = changes.filter((c) => c.kind !== 'same');
    if (differing.length > 0) {
      const same = changes.length - differing.length;
      const lines = differing.slice(0, LAYERS_MAX).map(layerChangeRow);
      const body = [
        '| # | Change | Instruction | Compressed | Δ | Uncompressed | Δ |\n|--:|:--|:--|--:|--:|--:|--:|',
        ...lines
      ].join('\n');
      const more = differing.length > LAYERS_MAX ? ` ${plural(differing.length - LAYERS_MAX, 'more changed layer')} not shown.` : '';
      const omitted = same > 0 ? `_${plural(same, 'unchanged layer')} not shown.${more}_` : more ? `_${more.trim()}_` : '';
      return section(r, layerChangeTitle(changes), omitted ? `${body}\n\n${omitted}` : body);
    }
    // Nothing differs: unchanged layers are counted in the table, not listed.
    return undefined;
  }
  return section(r, plural(head.layers.length, 'layer'), layerList(head.layers));
}

/**
 * The longest run without a space a table cell shows of a path or of an instruction (a digest, a URL):
 * longer runs are shortened in the middle, so that the tables fit GitHub's comment column
 * (`integration/render-width.test.ts` lays them out at 850 px).
 */
export const TABLE_RUN_MAX = { path: 56, instruction: 40 } as const;

const pathCell = (p: string): string => codeSpan(shortenRuns(`/${p}`, TABLE_RUN_MAX.path)) || '—';
const instructionCell = (instruction: string): string => codeSpan(shortenRuns(instruction, TABLE_RUN_MAX.instruction)) || '—';

/** Files listed per section at most. */
const FILES_MAX = 10;
const WASTED_MAX = 5;

/**
 * `details: files`: the largest file changes between base and head, and the space wasted in the
 * head by files a later layer overwrites or deletes, with the base's figure beside it. Lists read
 * back from reports may be cut or missing: the section says so (listingNotes).
 */
export function fileSection(r: JudgedRow): string | undefined {
  if (r.head.state !== 'measured' || !r.head.image.files) return undefined;
  const head = r.head.image;
  const headFiles = head.files!;
  const baseFiles = r.base.state === 'measured' ? r.base.image.files : undefined;
  // An unchanged image that wastes nothing has nothing to say here.
  if (r.status === 'unchanged' && headFiles.wastedBytes === 0) return undefined;
  const blocks: string[] = [];
  let what = `${formatBytes(headFiles.wastedBytes)} wasted`;
  if (r.base.state === 'measured' && r.status !== 'no-baseline') {
    const listing = listingNotes(baseFiles, headFiles);
    if (listing.compare && baseFiles) {
      const diff = diffFiles(baseFiles, headFiles, FILES_MAX);
      const cut = listing.notes.length > 0;
      what = `${cut ? 'at least ' : ''}${plural(diff.changed, 'file')} changed · ${what}`;
      blocks.push(...fileDiffBlocks(diff, cut));
    }
    blocks.push(...listing.notes.map((n) => `_${n}_`));
  }
  const share = head.uncompressedBytes > 0 ? ` (${((headFiles.wastedBytes / head.uncompressedBytes) * 100).toFixed(1)}% of the image)` : '';
  const baseWaste = baseFiles ? `; base: ${formatBytes(baseFiles.wastedBytes)}` : '';
  blocks.push(`**Wasted space**: ${formatBytes(headFiles.wastedBytes)}${share}${baseWaste}. Files that a later layer overwrites or deletes still ship in the earlier layer.`);
  if (headFiles.wasted.length > 0) {
    blocks.push(
      ['| Wasted | Path |\n|--:|:--|', ...headFiles.wasted.slice(0, WASTED_MAX).map((w) => cells([formatBytes(w.bytes), pathCell(w.path)]))].join('\n')
    );
  }
  return section(r, what, blocks.join('\n\n'));
}

/** The table of the largest file changes and the counts line (of the listed files, when a list was cut). */
function fileDiffBlocks(diff: FileDiff, cut: boolean): string[] {
  if (diff.largest.length === 0) return [cut ? '_No listed file changed size._' : '_No file changed size._'];
  const rows = diff.largest.map((c) => {
    const text = changeCells(c, formatBytes, formatDelta);
    return cells([c.kind, pathCell(c.path), text.before ?? '—', text.after ?? '—', text.delta]);
  });
  const t = diff.totals;
  return [
    ['| Change | Path | Before | After | Δ |\n|:--|:--|--:|--:|--:|', ...rows].join('\n'),
    `_${cut ? 'Of the listed files' : 'In all'}: ${plural(diff.counts.added, 'file')} added (${formatDelta(t.added)}), ${diff.counts.removed} removed (${formatDelta(t.removed)}), ` +
      `${diff.counts.grown} grown (${formatDelta(t.grown)}), ${diff.counts.shrunk} shrunk (${formatDelta(t.shrunk)})._`
  ];
}

function layerList(layers: readonly LayerStats[]): string {
  if (layers.length === 0) return '_No filesystem layers._';
  const lines = layers
    .slice(0, LAYERS_MAX)
    .map((l, i) => cells([String(i + 1), instructionCell(l.instruction), formatBytes(l.compressedBytes), formatBytes(l.uncompressedBytes)]));
  const more = layers.length > LAYERS_MAX ? `\n\n_${plural(layers.length - LAYERS_MAX, 'more layer')} not shown._` : '';
  return `${['| # | Instruction | Compressed | Uncompressed |\n|--:|:--|--:|--:|', ...lines].join('\n')}${more}`;
}

function layerChangeRow(c: ReturnType<typeof diffLayers>[number]): string {
  switch (c.kind) {
    case 'changed':
      return cells([
        String(c.headIndex + 1),
        'changed',
        instructionCell(c.head.instruction),
        `${formatBytes(c.base.compressedBytes)} → ${formatBytes(c.head.compressedBytes)}`,
        formatDelta(c.head.compressedBytes - c.base.compressedBytes),
        `${formatBytes(c.base.uncompressedBytes)} → ${formatBytes(c.head.uncompressedBytes)}`,
        formatDelta(c.head.uncompressedBytes - c.base.uncompressedBytes)
      ]);
    case 'added':
      return cells([
        String(c.headIndex + 1),
        'added',
        instructionCell(c.head.instruction),
        formatBytes(c.head.compressedBytes),
        formatDelta(c.head.compressedBytes),
        formatBytes(c.head.uncompressedBytes),
        formatDelta(c.head.uncompressedBytes)
      ]);
    case 'removed':
      return cells([
        '—',
        'removed',
        instructionCell(c.base.instruction),
        `~~${formatBytes(c.base.compressedBytes)}~~`,
        formatDelta(-c.base.compressedBytes),
        `~~${formatBytes(c.base.uncompressedBytes)}~~`,
        formatDelta(-c.base.uncompressedBytes)
      ]);
    case 'same':
      return cells([String(c.headIndex + 1), 'unchanged', instructionCell(c.head.instruction), '', '', '', '']);
  }
}
