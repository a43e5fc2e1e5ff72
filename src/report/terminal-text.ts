// The terminal's building blocks, for terminal.ts: colour (only when wanted), text made safe and
// measured in display cells (a CJK character or an emoji takes two, a combining mark none), and
// aligned tables. Pure.
import { escapeControls } from './escape.js';

/** A repository string in a table cell is cut to this many cells. */
export const CELL_MAX = 48;
export const MIN_LAST_COLUMN = 24;

// ── Colour ─────────────────────────────────────────────────────────────────────────────────────

/**
 * Whether to colour a stream, by the conventions of Node.js and no-color.org: FORCE_COLOR wins (any
 * value but `0` or `false` turns colour on, even into a pipe), then a non-empty NO_COLOR turns it
 * off, then a TTY that is not TERM=dumb turns it on.
 */
export function colourWanted(env: Readonly<Record<string, string | undefined>>, isTTY: boolean): boolean {
  const force = env['FORCE_COLOR'];
  if (force !== undefined) return !['0', 'false'].includes(force.trim().toLowerCase());
  const no = env['NO_COLOR'];
  if (no !== undefined && no !== '') return false;
  return isTTY && env['TERM'] !== 'dumb';
}

export type Style = 'bold' | 'dim' | 'red' | 'green' | 'yellow' | 'cyan';

// Each style closes with its own reset (22 = normal intensity, 39 = default colour), so styles nest.
const SGR: Readonly<Record<Style, readonly [number, number]>> = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39]
};

export type Paint = (style: Style | undefined, text: string) => string;

export function painter(colour: boolean): Paint {
  return (style, text) => {
    if (!colour || style === undefined || text === '') return text;
    const [open, close] = SGR[style];
    return `\u001b[${open}m${text}\u001b[${close}m`;
  };
}

// ── Safe, measurable text (escapeControls lives in escape.ts, beside the markdown escapes) ──────────────────────────────────────────────────────────────────────

const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });
// A grapheme made only of marks and format characters (a lone combining accent, a zero-width space).
const ZERO_WIDTH = /^[\p{Mn}\p{Me}\p{Cf}\u200b]+$/u;
// Emoji shown as pictures: presentation by default, or asked for with VARIATION SELECTOR-16.
const EMOJI = /\p{Emoji_Presentation}|\ufe0f/u;

/** East Asian Wide and Fullwidth ranges (Unicode 15), the ones terminals draw two cells wide. */
const WIDE: ReadonlyArray<readonly [number, number]> = [
  [0x1100, 0x115f],
  [0x231a, 0x231b],
  [0x2329, 0x232a],
  [0x23e9, 0x23ec],
  [0x2e80, 0x303e],
  [0x3041, 0x33ff],
  [0x3400, 0x4dbf],
  [0x4e00, 0x9fff],
  [0xa000, 0xa4cf],
  [0xa960, 0xa97f],
  [0xac00, 0xd7a3],
  [0xf900, 0xfaff],
  [0xfe10, 0xfe19],
  [0xfe30, 0xfe6f],
  [0xff00, 0xff60],
  [0xffe0, 0xffe6],
  [0x1f300, 0x1f64f],
  [0x1f900, 0x1f9ff],
  [0x20000, 0x3fffd]
];

function isWide(code: number): boolean {
  return WIDE.some(([lo, hi]) => code >= lo && code <= hi);
}

function graphemeWidth(g: string): number {
  if (ZERO_WIDTH.test(g)) return 0;
  if (EMOJI.test(g)) return 2;
  return isWide(g.codePointAt(0) ?? 0) ? 2 : 1;
}

/** Cells `text` takes in a terminal: graphemes, wide characters and emoji counted as two. No controls expected. */
export function displayWidth(text: string): number {
  let width = 0;
  for (const { segment } of graphemes.segment(text)) width += graphemeWidth(segment);
  return width;
}

/** `text` cut to at most `max` cells, whole graphemes only, ending with `...` when cut. */
export function truncate(text: string, max: number): string {
  if (displayWidth(text) <= max) return text;
  if (max < 3) return '.'.repeat(Math.max(0, max));
  let out = '';
  let width = 0;
  for (const { segment } of graphemes.segment(text)) {
    const w = graphemeWidth(segment);
    // A wide character that would straddle the limit is left out whole, never split.
    if (width + w > max - 3) break;
    out += segment;
    width += w;
  }
  return `${out}...`;
}

/** A repository or image string made safe for one line: escaped, then cut to `max` cells. */
export function safe(text: string, max: number = CELL_MAX): string {
  return truncate(escapeControls(text), max);
}

// ── Tables ─────────────────────────────────────────────────────────────────────────────────────

export interface Column {
  readonly header: string;
  readonly align: 'left' | 'right';
}

export interface Cell {
  readonly text: string;
  readonly style?: Style;
}

const GAP = '  ';

/**
 * Lines of an aligned table: a header, a rule of `-`, the rows. Every cell is padded to its
 * column's display width, then painted, so escapes never count as width; the last column is not
 * padded (nothing follows it). `indent` starts every line.
 */
export function table(columns: readonly Column[], rows: ReadonlyArray<readonly Cell[]>, paint: Paint, indent = ''): string[] {
  const widths = columns.map((c, i) => Math.max(displayWidth(c.header), ...rows.map((r) => displayWidth(r[i]?.text ?? ''))));
  const line = (cells: readonly Cell[]): string => {
    const parts = columns.map((c, i) => {
      const cell = cells[i] ?? { text: '' };
      const last = i === columns.length - 1;
      const pad = ' '.repeat(widths[i]! - displayWidth(cell.text));
      if (c.align === 'right') return `${pad}${paint(cell.style, cell.text)}`;
      return last ? paint(cell.style, cell.text) : `${paint(cell.style, cell.text)}${pad}`;
    });
    return `${indent}${parts.join(GAP)}`.trimEnd();
  };
  const header = line(columns.map((c) => ({ text: c.header, style: 'bold' as const })));
  const rule = `${indent}${widths.map((w) => '-'.repeat(w)).join(GAP)}`;
  return [header, rule, ...rows.map(line)];
}

/** Cells left for a last column after the others (their widths as in `rows`), at least MIN_LAST_COLUMN. */
export function roomForLast(width: number, indent: string, fixed: ReadonlyArray<readonly string[]>, headers: readonly string[]): number {
  let used = indent.length;
  for (let i = 0; i < headers.length; i++) {
    used += Math.max(displayWidth(headers[i]!), ...fixed.map((r) => displayWidth(r[i] ?? ''))) + GAP.length;
  }
  return Math.max(MIN_LAST_COLUMN, width - used);
}

