// Every string that comes from the repository (stage names, platforms, instructions, build errors)
// goes through one of these before it reaches markdown. Pure.
//
// What they defend against (RELIABILITY rows 8, 44; security requirement 5):
// - breaking the table (`|`, newlines) or the surrounding markup (backticks, `*`, `[`, HTML);
// - raw HTML, including `<!--`, so nothing can spoof or close the sticky comment's hidden marker:
//   the output never contains `<!--` or `-->` in its source text;
// - GitHub's mentions and references (`@user`, `#12`, `GH-12`) and autolinks (`https://`, `www.`,
//   e-mail addresses): a WORD JOINER (U+2060, invisible, no line break) after `@`, `#` and `GH-`
//   breaks GitHub's patterns; escaping `:` and `www.` stops the GFM autolink extension;
// - controls (collapsed to spaces), and unbounded length;
// - invisible characters: zero-width, format and bidi characters (U+200B, U+00AD, U+202E, U+FEFF...)
//   are shown as `\u200b`-style escapes, so names that would look alike read differently.

/** U+2060 WORD JOINER: invisible, and not a word character for GitHub's mention and issue patterns. */
export const WORD_JOINER = '\u2060';

/** Default caps, in code points, before escaping. */
export const CELL_MAX = 200;
export const CODE_MAX = 240;

// C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u0085]/g;
/**
 * Characters that show nothing (or reorder what is around them): default-ignorable code points
 * (zero-width spaces and joiners, word joiner, soft hyphen, variation selectors, Hangul fillers, tag
 * characters) and format characters (bidi marks, embeddings, overrides and isolates: "Trojan
 * source"; the byte order mark).
 */
const INVISIBLE = /[\p{Default_Ignorable_Code_Point}\p{Cf}]/gu;

/** `\u200b`, or `\u{e0041}` beyond the BMP: a character as a visible escape. */
function escapeOf(ch: string): string {
  const code = ch.codePointAt(0) ?? 0;
  if (code <= 0xff) return `\\x${code.toString(16).padStart(2, '0')}`;
  return code <= 0xffff ? `\\u${code.toString(16).padStart(4, '0')}` : `\\u{${code.toString(16)}}`;
}

/** Every invisible character as a visible escape (`rel\u200bease`), the rest as is. */
export function revealInvisible(text: string): string {
  return text.replace(INVISIBLE, escapeOf);
}

/** One line: invisible characters shown as escapes, controls become spaces, whitespace runs collapse, ends trimmed. */
export function flatten(text: string): string {
  return revealInvisible(text).replace(CONTROL, ' ').replace(/\s+/g, ' ').trim();
}

/** At most `max` code points (never splitting a surrogate pair), with `…` when cut. */
export function cap(text: string, max: number): string {
  if (text.length <= max) return text;
  const points = Array.from(text);
  if (points.length <= max) return text;
  return `${points.slice(0, Math.max(0, max - 1)).join('')}…`;
}

/** Breaks `@user`, `@org/team`, e-mail addresses, `#12`, `GH-12` with an invisible word joiner. */
export function breakReferences(text: string): string {
  return text
    // A dot too: cmark-gfm links `.A@.A` as an e-mail address, whose domain may begin with one.
    .replace(/@(?=[\p{L}\p{N}_.-])/gu, `@${WORD_JOINER}`)
    .replace(/#(?=\p{N})/gu, `#${WORD_JOINER}`)
    .replace(/\b(GH-)(?=\p{N})/giu, `$1${WORD_JOINER}`);
}

/** Breaks `<!--` and `-->` in text that is kept literally (code spans and blocks). */
function breakComments(text: string): string {
  return text.replace(/<!/g, `<${WORD_JOINER}!`).replace(/--(?=>)/g, `--${WORD_JOINER}`);
}

// Markdown metacharacters escaped with a backslash (any ASCII punctuation may be, in CommonMark).
const BACKSLASHED = new Set(['\\', '`', '*', '_', '[', ']', '|', '~', '#', ':', '!', '{', '}', '^']);
const ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', $: '&#36;' };

/**
 * Text safe inside a GFM table cell or any inline markdown: one line, capped at `max` code points,
 * markdown metacharacters and `|` backslash-escaped, `& < > $` as entities (no HTML, no math),
 * mentions, references and autolinks broken. An escaped string never begins a block (list item,
 * heading, quote), so it is also safe at the start of a line or list item.
 */
export function escapeCell(text: string, max = CELL_MAX): string {
  const plain = breakReferences(cap(flatten(text), max));
  let out = '';
  for (let i = 0; i < plain.length; i++) {
    const ch = plain[i]!;
    const entity = ENTITIES[ch];
    if (entity !== undefined) out += entity;
    else if (BACKSLASHED.has(ch)) out += `\\${ch}`;
    else if (ch === '.' && /www$/i.test(plain.slice(Math.max(0, i - 3), i))) out += '\\.';
    else out += ch;
  }
  // Block markers at the very start: `- x`, `+ x`, `= x` (setext), `1. x`, `1) x`.
  return out.replace(/^([-+=])/, '\\$1').replace(/^(\d{1,9})([.)])/, '$1\\$2');
}

export interface CodeSpanOptions {
  /** Escape `|` as `\|` so the span can sit in a GFM table cell (GFM unescapes it there). Default true. */
  readonly table?: boolean;
  /** Cap in code points. Default CODE_MAX. */
  readonly max?: number;
}

/**
 * A code span showing `text` literally: one line, capped, with a backtick fence longer than the
 * longest backtick run inside, padded with spaces when the text starts or ends with a backtick.
 * Empty text gives an empty string (nothing to show).
 */
export function codeSpan(text: string, options: CodeSpanOptions = {}): string {
  const { table = true, max = CODE_MAX } = options;
  // cmark-gfm (GitHub) never matches a code span fence longer than 80 backticks (MAXBACKTICKS):
  // longer runs are split by a word joiner, so the fence stays short and the span stays one.
  let body = breakComments(cap(flatten(text), max)).replace(/`{64}(?=`)/g, `$&${WORD_JOINER}`);
  if (body === '') return '';
  if (table) body = body.replace(/\|/g, '\\|');
  const fence = '`'.repeat(longestRun(body, '`') + 1);
  const pad = body.startsWith('`') || body.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${body}${pad}${fence}`;
}

export interface CodeBlockOptions {
  /** Keep at most this many lines: the last ones (the end of a build log matters most). Default 30. */
  readonly maxLines?: number;
  /** Cap per line in code points. Default 300. */
  readonly lineMax?: number;
}

/** The longest backtick run a code block's body keeps (its fence is one longer). */
const FENCE_RUN_MAX = 100;

/**
 * A fenced code block showing multi-line `text` literally (build errors). The fence is longer than
 * any backtick run inside, so no line can close it early; controls are removed; lines are capped.
 */
export function codeBlock(text: string, options: CodeBlockOptions = {}): string {
  const { maxLines = 30, lineMax = 300 } = options;
  let lines = text
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((l) => breakComments(cap(revealInvisible(l).replace(/\t/g, '  ').replace(CONTROL, ' ').trimEnd(), lineMax)));
  while (lines.length > 0 && lines[0] === '') lines.shift();
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines.length > maxLines) lines = [`… (${lines.length - maxLines} earlier lines omitted)`, ...lines.slice(-maxLines)];
  // cmark-gfm keeps a fence's length in a byte: a fence of 256 backticks counts as 255, and a body
  // line of 255 would close it. Backtick runs past FENCE_RUN_MAX are broken with a word joiner
  // (invisible, and the text reads the same), so the fence stays short.
  const body = lines.join('\n').replace(new RegExp(`\`{${FENCE_RUN_MAX}}(?=\`)`, 'g'), `$&${WORD_JOINER}`);
  const fence = '`'.repeat(Math.max(3, longestRun(body, '`') + 1));
  return `${fence}text\n${body}\n${fence}`;
}

/**
 * Text safe inside HTML (e.g. `<summary>`, where markdown is not processed): one line, capped,
 * `& < > " '` as entities, references broken.
 */
export function escapeHtml(text: string, max = CELL_MAX): string {
  return breakReferences(cap(flatten(text), max)).replace(/[&<>"']/g, (ch) => HTML_ENTITIES[ch] ?? ch);
}

const HTML_ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;'
};

function longestRun(text: string, ch: string): number {
  let best = 0;
  let run = 0;
  for (const c of text) {
    run = c === ch ? run + 1 : 0;
    if (run > best) best = run;
  }
  return best;
}

// C0 and C1 controls (ESC, CSI 0x9b, BEL, CR, TAB...), DEL, the line and paragraph separators, and
// the invisible characters (zero-width, bidi overrides and isolates: "Trojan source"): none may reach a
// terminal or a log as themselves.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\p{Default_Ignorable_Code_Point}\p{Cf}]/gu;

/** `\x1b`, `\x0a`, `\u202e`, `\u200b`: every unsafe character as a visible escape, everything else as is. */
export function escapeControls(text: string): string {
  return text.replace(UNSAFE, escapeOf);
}
