// The report in a terminal: the command line's counterpart of render.ts. Pure: an Outcome (or a
// measurement) in, text out; whether to colour is the caller's decision, passed in.
//
// Shape: a verdict line, the main table (one row per target and platform), the failing checks, the
// build errors of failed head builds, notes, then per-target details (changed layers, file changes
// and wasted space) and the commits compared.
//
// Two things a markdown renderer never has to care about:
// - Alignment: columns are padded by display width (a CJK character or an emoji takes two cells, a
//   combining mark none), and the table's own text uses only characters one cell wide everywhere:
//   `+/-` rather than `Δ`, `...` rather than `…` (East Asian "ambiguous" width
//   characters are two cells in some terminals). The one exception is `≈` before an estimated size,
//   which the pipeline's notes refer to by that sign. Free-width text stays in the last column.
// - Terminal control: every string from the repository or an image (stage names, instructions,
//   build errors, file paths) has its control characters shown as `\x1b`-style escapes, so a stage
//   name or a build log cannot move the cursor, retitle the window or hide text.
import type { DetailKind, FileEntry, ImageStats, JudgedRow, LayerStats, Outcome, RowStatus } from '../model.js';
import { diffLayers, type LayerChange } from './compare.js';
import { changeCells, diffFiles, listingNotes } from './file-diff.js';
import { auditCauses, rowAdvice, type Cause } from './causes.js';
import { STATUS_LABEL, formatBytes, formatCount, formatChange, formatDelta, groupDigits, layerChangeTitle, plural, shortSha } from './format.js';
import { notComparable, verdictSummary } from './policy.js';
import { MIN_LAST_COLUMN, painter, safe, table, roomForLast, type Paint, type Cell, type Column } from './terminal-text.js';

export interface TerminalOptions {
  /** Emit ANSI colours (see colourWanted in terminal-text.ts). */
  readonly colour: boolean;
  /** What to show under the table, as the action's `details`: layer changes, file changes and wasted space. */
  readonly details: readonly DetailKind[];
  /** Columns available; long instructions and paths are cut to fit. Default 100. */
  readonly width?: number;
  /** Show why each target grew (the `advice` input): the causes and their fixes. Default false. */
  readonly advice?: boolean;
}

/** Layers listed per target at most; the JSON report has them all. */
export const TERMINAL_LAYERS_MAX = 40;
/** File changes and wasted files listed per target at most. */
export const TERMINAL_FILES_MAX = 8;
/** Lines of a failed build's error shown (its end, where the error is). */
export const ERROR_LINES_MAX = 20;
/** A line of a build error is cut to this many cells (a runaway line, not a long one). */
const ERROR_LINE_MAX = 1000;
const DEFAULT_WIDTH = 100;

// ── The comparison ─────────────────────────────────────────────────────────────────────────────



/** Both sides measured, but by different methods: shown side by side, never compared. */
function verdictLine(outcome: Outcome, paint: Paint): string {
  const v = verdictSummary(outcome);
  if (!v) return paint('yellow', 'No targets were measured.');
  const tail = `${v.counts}${v.judged ? `; budgets judge the ${outcome.metric} size` : ''}`;
  if (v.regressed) return `${paint('red', paint('bold', `✗ ${v.problems.join(', ')}`))}  ${tail}`;
  return `${paint('green', paint('bold', v.judged ? '✓ Within budget' : '✓ No budget set'))}  ${tail}`;
}

function statusCell(r: JudgedRow): Cell {
  if (r.status === 'head-failed') return { text: '✗ build failed', style: 'red' };
  if (r.regressed) return { text: '✗ over budget', style: 'red' };
  const label = notComparable(r) ? 'not comparable' : STATUS_LABEL[r.status];
  if (r.verdicts.length > 0) return { text: `✓ ${label}`, style: 'green' };
  return { text: label, ...(r.status === 'unchanged' ? { style: 'dim' as const } : {}) };
}

/** A compressed size that had to be estimated (classic image store) reads `≈ 1.27 MB`, as in the comment. */
function compressed(image: Pick<ImageStats, 'compressedBytes' | 'compressedEstimated'>): string {
  return `${image.compressedEstimated ? '≈ ' : ''}${formatBytes(image.compressedBytes)}`;
}

function deltaCell(bytes: number, percent: number | null): Cell {
  return { text: formatChange(bytes, percent), style: bytes === 0 ? 'dim' : bytes > 0 ? 'yellow' : 'green' };
}

const NONE: Cell = { text: '-', style: 'dim' };

const MAIN_COLUMNS: readonly Column[] = [
  { header: 'Target', align: 'left' },
  { header: 'Platform', align: 'left' },
  { header: 'Compressed', align: 'right' },
  { header: '+/-', align: 'left' },
  { header: 'Uncompressed', align: 'right' },
  { header: '+/-', align: 'left' },
  { header: 'Layers', align: 'right' },
  { header: 'Status', align: 'left' }
];

function mainRow(r: JudgedRow): Cell[] {
  const name: Cell[] = [{ text: (r.image !== undefined ? `${safe(r.image)}/` : '') + (safe(r.target) || '-'), style: 'bold' }, { text: safe(r.platform) || '-' }];
  const head = r.head.state === 'measured' ? r.head.image : undefined;
  const base = r.base.state === 'measured' ? r.base.image : undefined;
  const status = statusCell(r);
  switch (r.status) {
    case 'changed':
    case 'unchanged': {
      const d = r.delta;
      return [
        ...name,
        head ? { text: compressed(head) } : NONE,
        d ? deltaCell(d.compressedBytes, d.compressedPercent) : NONE,
        head ? { text: formatBytes(head.uncompressedBytes) } : NONE,
        d ? deltaCell(d.uncompressedBytes, d.uncompressedPercent) : NONE,
        head ? { text: formatCount(head.layerCount, d?.layerCount) } : NONE,
        status
      ];
    }
    case 'new':
    case 'no-baseline': {
      const delta: Cell = r.status === 'new' ? { text: 'new', style: 'cyan' } : notComparable(r) ? { text: 'not comparable', style: 'dim' } : NONE;
      return [
        ...name,
        head ? { text: compressed(head) } : NONE,
        delta,
        head ? { text: formatBytes(head.uncompressedBytes) } : NONE,
        delta,
        head ? { text: String(head.layerCount) } : NONE,
        status
      ];
    }
    case 'removed':
      return [
        ...name,
        NONE,
        base ? { text: formatDelta(-base.compressedBytes), style: 'green' } : NONE,
        NONE,
        base ? { text: formatDelta(-base.uncompressedBytes), style: 'green' } : NONE,
        NONE,
        status
      ];
    case 'head-failed':
      // No sizes at all: the base's numbers would read as the head's.
      return [...name, NONE, NONE, NONE, NONE, NONE, status];
  }
}

function rowName(r: JudgedRow): string {
  const target = (r.image !== undefined ? `${safe(r.image)}/` : '') + safe(r.target);
  return r.platform ? `${target} (${safe(r.platform)})` : target;
}

function failedChecks(rows: readonly JudgedRow[], paint: Paint): string[] {
  const items = rows.flatMap((r) =>
    r.verdicts.filter((v) => !v.ok).map((v) => `  ${paint('red', '✗')} ${rowName(r)}: ${safe(v.reason, 400)}`)
  );
  return items.length === 0 ? [] : [paint('bold', 'Failed checks'), ...items];
}

/** The end of each failed head build's error: the build output is hidden unless --verbose. */
function buildErrors(rows: readonly JudgedRow[], paint: Paint): string[] {
  const blocks: string[] = [];
  for (const r of rows) {
    if (r.head.state !== 'failed') continue;
    const lines = r.head.error
      .replace(/\r\n?/g, '\n')
      .split('\n')
      .map((l) => l.replace(/\t/g, '  ').trimEnd())
      .filter((l, i, all) => l !== '' || (i > 0 && i < all.length - 1));
    // Whole lines, however wide: the end of an error line ("exit code: 1") is what matters.
    const shown = lines.slice(-ERROR_LINES_MAX).map((l) => `    ${paint('dim', safe(l, ERROR_LINE_MAX))}`);
    const omitted = lines.length > ERROR_LINES_MAX ? [`    ${paint('dim', `(${lines.length - ERROR_LINES_MAX} earlier lines not shown)`)}`] : [];
    blocks.push([`${paint('bold', `Build of ${rowName(r)} failed`)}`, ...omitted, ...(shown.length > 0 ? shown : [`    ${paint('dim', '(no error output)')}`])].join('\n'));
  }
  return blocks;
}

function notesBlock(notes: readonly string[], paint: Paint): string[] {
  if (notes.length === 0) return [];
  return [paint('bold', 'Notes'), ...notes.map((n) => `  - ${safe(n, 500)}`)];
}

function footer(outcome: Outcome): string {
  const side = (name: string, c: { readonly sha: string; readonly ref?: string }): string =>
    `${name} ${safe(shortSha(c.sha), 12)}${c.ref ? ` (${safe(c.ref, 100)})` : ''}`;
  return outcome.base ? `Compared ${side('base', outcome.base)} with ${side('head', outcome.head)}.` : `Measured ${side('head', outcome.head)}; no base commit to compare with.`;
}

/** The comparison as terminal text, ending with a newline. */
export function renderOutcome(outcome: Outcome, options: TerminalOptions): string {
  const paint = painter(options.colour);
  const width = options.width ?? DEFAULT_WIDTH;
  const blocks: string[] = [verdictLine(outcome, paint)];
  if (outcome.rows.length > 0) blocks.push(table(MAIN_COLUMNS, outcome.rows.map(mainRow), paint).join('\n'));
  for (const part of [failedChecks(outcome.rows, paint), notesBlock(outcome.notes, paint)]) {
    if (part.length > 0) blocks.push(part.join('\n'));
  }
  blocks.push(...buildErrors(outcome.rows, paint));
  if (options.advice) {
    for (const r of outcome.rows) {
      const section = causesSection(r, paint, width);
      if (section !== undefined) blocks.push(section);
    }
  }
  for (const r of outcome.rows) {
    if (options.details.includes('layers')) {
      const section = layerSection(r, paint, width);
      if (section !== undefined) blocks.push(section);
    }
    if (options.details.includes('files')) {
      const section = fileSection(r, paint, width);
      if (section !== undefined) blocks.push(section);
    }
  }
  blocks.push(paint('dim', footer(outcome)));
  return `${blocks.join('\n\n')}\n`;
}

// ── Why it grew ────────────────────────────────────────────────────────────────────────────────

/** A target's causes, each with its directories (path, growth, files, layer) and its fix, one per line. */
function causesSection(r: JudgedRow, paint: Paint, width: number): string | undefined {
  const advice = rowAdvice(r);
  if (!advice) return undefined;
  const title = advice.compared ? `Why ${rowName(r)} grew` : `What ${rowName(r)} holds (no base to compare with: everything found)`;
  const lines = [paint('bold', title)];
  for (const c of advice.causes) lines.push(...causeLines(c, paint, width));
  if (advice.more > 0) lines.push(`${INDENT}${paint('dim', `${plural(advice.more, 'more cause')} not shown.`)}`);
  if (advice.causes.some((c) => c.layersUnknown)) {
    lines.push(`${INDENT}${paint('dim', 'The layers that added these files are not known: the file list was read back from a report.')}`);
  }
  const cut = advice.causes.find((c) => c.listedFrom !== undefined)?.listedFrom;
  if (cut !== undefined) lines.push(`${INDENT}${paint('dim', `A file list was cut: files under ${formatBytes(cut)} were not compared.`)}`);
  return lines.join('\n');
}

/** The audit of one measured image, titled with its platform; undefined when it has no file list. */
function auditSection(image: ImageStats, paint: Paint, width: number): string | undefined {
  const advice = auditCauses(image);
  if (!advice) return undefined;
  const title = paint('bold', `${safe(image.platform) || '-'}: what it holds that images often should not`);
  if (advice.causes.length === 0) return `${title}\n${INDENT}Nothing found: no toolchain, package or build cache, checkout debris or wasted space.`;
  return [title, ...advice.causes.flatMap((c) => causeLines(c, paint, width))].join('\n');
}

function causeLines(c: Cause, paint: Paint, width: number): string[] {
  const count = c.files > 0 ? `, ${groupDigits(c.files)} file${c.files === 1 ? '' : 's'}` : '';
  const room = Math.max(MIN_LAST_COLUMN, width - 8);
  const lines = [`${INDENT}${paint('yellow', c.cause)}: ${formatDelta(c.bytes)}${count}`];
  if (c.baseLayers) {
    const { count: n, first, last } = c.baseLayers;
    lines.push(`${INDENT}${INDENT}${plural(n, 'inherited layer')}: ${safe(n === 1 ? first : `${first} ... ${last}`, room)}`);
  }
  for (const g of c.groups) {
    const where = `/${g.dir} ${formatDelta(g.bytes)}, ${groupDigits(g.files)} file${g.files === 1 ? '' : 's'}`;
    const layer = g.layer ? `, layer ${g.layer.index + 1}: ${g.layer.instruction}` : '';
    lines.push(`${INDENT}${INDENT}${safe(`${where}${layer}`, room)}`);
  }
  if (c.moreGroups > 0) lines.push(`${INDENT}${INDENT}${paint('dim', `${c.moreGroups} more ${c.moreGroups === 1 ? 'directory' : 'directories'} not shown`)}`);
  lines.push(`${INDENT}${INDENT}Fix: ${c.fix.replace(/`/g, '')}`);
  return lines;
}

// ── Per-target details ─────────────────────────────────────────────────────────────────────────

const INDENT = '  ';

function layerSection(r: JudgedRow, paint: Paint, width: number): string | undefined {
  if (r.head.state !== 'measured') return undefined;
  const head = r.head.image;
  if (r.base.state === 'measured' && (r.status === 'changed' || r.status === 'unchanged')) {
    const changes = diffLayers(r.base.image.layers, head.layers);
    const differing = changes.filter((c) => c.kind !== 'same');
    // Nothing differs: the table already says so.
    if (differing.length === 0) return undefined;
    const title = `${rowName(r)}: ${layerChangeTitle(changes)}`;
    const shown = differing.slice(0, TERMINAL_LAYERS_MAX);
    const body = layerChangeTable(shown, paint, width);
    const same = changes.length - differing.length;
    const more = [
      ...(same > 0 ? [`${plural(same, 'unchanged layer')} not shown`] : []),
      ...(differing.length > shown.length ? [`${plural(differing.length - shown.length, 'more changed layer')} not shown`] : [])
    ];
    return [paint('bold', title), ...body, ...(more.length > 0 ? [`${INDENT}${paint('dim', `${more.join('; ')}.`)}`] : [])].join('\n');
  }
  if (r.status === 'removed') return undefined;
  return [paint('bold', `${rowName(r)}: ${plural(head.layers.length, 'layer')}`), ...layerList(head.layers, head.compressedEstimated === true, paint, width)].join('\n');
}

const LAYER_CHANGE_HEADERS = ['#', 'Change', 'Compressed', '+/-', 'Uncompressed', '+/-', 'Instruction'];

function layerChangeTable(changes: readonly LayerChange[], paint: Paint, width: number): string[] {
  const cells = changes.map((c): Cell[] => {
    switch (c.kind) {
      case 'changed':
        return [
          { text: String(c.headIndex + 1) },
          { text: 'changed', style: 'yellow' },
          { text: formatBytes(c.head.compressedBytes) },
          deltaCell(c.head.compressedBytes - c.base.compressedBytes, null),
          { text: formatBytes(c.head.uncompressedBytes) },
          deltaCell(c.head.uncompressedBytes - c.base.uncompressedBytes, null),
          { text: c.head.instruction }
        ];
      case 'added':
        return [
          { text: String(c.headIndex + 1) },
          { text: 'added', style: 'yellow' },
          { text: formatBytes(c.head.compressedBytes) },
          deltaCell(c.head.compressedBytes, null),
          { text: formatBytes(c.head.uncompressedBytes) },
          deltaCell(c.head.uncompressedBytes, null),
          { text: c.head.instruction }
        ];
      case 'removed':
        return [
          NONE,
          { text: 'removed', style: 'green' },
          NONE,
          deltaCell(-c.base.compressedBytes, null),
          NONE,
          deltaCell(-c.base.uncompressedBytes, null),
          { text: c.base.instruction }
        ];
      case 'same':
        return [{ text: String(c.headIndex + 1) }, { text: 'same', style: 'dim' }, NONE, NONE, NONE, NONE, { text: c.head.instruction }];
    }
  });
  return withInstructions(LAYER_CHANGE_HEADERS, ['right', 'left', 'right', 'left', 'right', 'left', 'left'], cells, paint, width);
}

function layerList(layers: readonly LayerStats[], estimated: boolean, paint: Paint, width: number): string[] {
  if (layers.length === 0) return [`${INDENT}${paint('dim', 'No filesystem layers.')}`];
  const shown = layers.slice(0, TERMINAL_LAYERS_MAX);
  const cells = shown.map((l, i): Cell[] => [
    { text: String(i + 1) },
    { text: compressed({ compressedBytes: l.compressedBytes, compressedEstimated: estimated }) },
    { text: formatBytes(l.uncompressedBytes) },
    { text: l.instruction }
  ]);
  const lines = withInstructions(['#', 'Compressed', 'Uncompressed', 'Instruction'], ['right', 'right', 'right', 'left'], cells, paint, width);
  if (layers.length > shown.length) lines.push(`${INDENT}${paint('dim', `${plural(layers.length - shown.length, 'more layer')} not shown.`)}`);
  return lines;
}

/** A table whose last column is an instruction: escaped, and cut to the room the others leave. */
function withInstructions(headers: readonly string[], aligns: ReadonlyArray<Column['align']>, rows: readonly Cell[][], paint: Paint, width: number): string[] {
  const fixed = rows.map((r) => r.slice(0, -1).map((c) => c.text));
  const room = roomForLast(width, INDENT, fixed, headers.slice(0, -1));
  const cut = rows.map((r) => [...r.slice(0, -1), { ...r[r.length - 1]!, text: safe(r[r.length - 1]!.text, room) || '?' }]);
  return table(headers.map((header, i) => ({ header, align: aligns[i] ?? 'left' })), cut, paint, INDENT);
}

function fileSection(r: JudgedRow, paint: Paint, width: number): string | undefined {
  // An unchanged image has the files of its base: nothing to add to the table's row.
  if (r.head.state !== 'measured' || !r.head.image.files || r.status === 'unchanged') return undefined;
  const head = r.head.image;
  const files = head.files!;
  const base = r.base.state === 'measured' ? r.base.image.files : undefined;
  const lines: string[] = [];
  let title = `${formatBytes(files.wastedBytes)} wasted`;
  if (r.base.state === 'measured' && r.status !== 'no-baseline') {
    const listing = listingNotes(base, files);
    if (listing.compare && base) {
      const diff = diffFiles(base, files, TERMINAL_FILES_MAX);
      const changes = diff.largest;
      title = `${listing.notes.length > 0 ? 'at least ' : ''}${plural(diff.changed, 'file')} changed, ${title}`;
      if (changes.length > 0) {
        const headers = ['Change', 'Before', 'After', '+/-', 'Path'];
        const cells = changes.map((c): Cell[] => {
          const text = changeCells(c, formatBytes, formatDelta);
          const change = deltaCell(c.delta, null);
          return [
            { text: c.kind, style: c.delta > 0 ? 'yellow' : 'green' },
            text.before === undefined ? NONE : { text: text.before },
            text.after === undefined ? NONE : { text: text.after },
            c.under === undefined ? change : { ...change, text: `${change.text} or more` },
            { text: `/${c.path}` }
          ];
        });
        lines.push(...withInstructions(headers, ['left', 'right', 'right', 'left', 'left'], cells, paint, width));
        if (diff.changed > changes.length) lines.push(`${INDENT}${paint('dim', `${plural(diff.changed - changes.length, 'more file change')} not shown.`)}`);
      }
    }
    lines.push(...listing.notes.map((n) => `${INDENT}${paint('dim', n)}`));
  }
  lines.push(...wastedLines(head, files.wastedBytes, files.wasted, base?.wastedBytes, paint, width));
  return [paint('bold', `${rowName(r)}: ${title}`), ...lines].join('\n');
}

function wastedLines(image: ImageStats, wastedBytes: number, wasted: readonly FileEntry[], baseWasted: number | undefined, paint: Paint, width: number): string[] {
  const share = image.uncompressedBytes > 0 ? ` (${((wastedBytes / image.uncompressedBytes) * 100).toFixed(1)}% of the image)` : '';
  const baseText = baseWasted !== undefined ? `; base: ${formatBytes(baseWasted)}` : '';
  const why = wastedBytes > 0 ? ` ${paint('dim', 'Files a later layer overwrites or deletes still ship in the earlier one.')}` : '';
  const lines = [`${INDENT}Wasted space: ${formatBytes(wastedBytes)}${share}${baseText}.${why}`];
  if (wasted.length > 0) {
    const cells = wasted.slice(0, TERMINAL_FILES_MAX).map((w): Cell[] => [{ text: formatBytes(w.bytes) }, { text: `/${w.path}` }]);
    lines.push(...withInstructions(['Wasted', 'Path'], ['right', 'left'], cells, paint, width));
  }
  return lines;
}

// ── One image (measure) ────────────────────────────────────────────────────────────────────────

export interface Measurement {
  /** What was measured, as the user named it (image name or path). */
  readonly source: string;
  /** How it was read, for the title line: `engine image`, `docker save archive`, `OCI layout`... */
  readonly kind: string;
  readonly images: readonly ImageStats[];
}

/** A measurement as terminal text, ending with a newline. */
export function renderMeasurement(m: Measurement, options: TerminalOptions): string {
  const paint = painter(options.colour);
  const width = options.width ?? DEFAULT_WIDTH;
  const files = m.images.some((i) => i.files !== undefined);
  const blocks: string[] = [`${paint('bold', safe(m.source, 200))} ${paint('dim', `(${safe(m.kind, 100)})`)}`];
  const columns: Column[] = [
    { header: 'Platform', align: 'left' },
    { header: 'Compressed', align: 'right' },
    { header: 'Uncompressed', align: 'right' },
    { header: 'Layers', align: 'right' },
    ...(files ? [{ header: 'Wasted', align: 'right' as const }] : []),
    { header: 'Digest', align: 'left' }
  ];
  const rows = m.images.map((i): Cell[] => [
    { text: safe(i.platform) || '-', style: 'bold' },
    { text: compressed(i) },
    { text: formatBytes(i.uncompressedBytes) },
    { text: String(i.layerCount) },
    ...(files ? [i.files ? { text: formatBytes(i.files.wastedBytes), ...(i.files.wastedBytes > 0 ? { style: 'yellow' as const } : {}) } : NONE] : []),
    { text: safe(i.digest, 80), style: 'dim' }
  ]);
  blocks.push(table(columns, rows, paint).join('\n'));
  if (m.images.some((i) => i.compressedEstimated)) {
    blocks.push(paint('dim', 'Compressed sizes marked ≈ are estimates (each layer gzipped here): the layers are stored uncompressed, as the classic image store keeps them.'));
  }
  for (const i of m.images) {
    const title = `${safe(i.platform) || '-'}: ${plural(i.layers.length, 'layer')}`;
    const lines = options.details.includes('layers') ? layerList(i.layers, i.compressedEstimated === true, paint, width) : [];
    if (options.details.includes('files') && i.files) lines.push(...wastedLines(i, i.files.wastedBytes, i.files.wasted, undefined, paint, width));
    if (lines.length > 0) blocks.push([paint('bold', title), ...lines].join('\n'));
    const audit = options.advice ? auditSection(i, paint, width) : undefined;
    if (audit) blocks.push(audit);
  }
  return `${blocks.join('\n\n')}\n`;
}
