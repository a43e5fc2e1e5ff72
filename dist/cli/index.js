#!/usr/bin/env node
import { createRequire as __WEBPACK_EXTERNAL_createRequire } from "module";
/******/ var __webpack_modules__ = ({

/***/ 67:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:http");

/***/ }),

/***/ 708:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:https");

/***/ }),

/***/ 692:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:tls");

/***/ })

/******/ });
/************************************************************************/
/******/ // The module cache
/******/ var __webpack_module_cache__ = {};
/******/ 
/******/ // The require function
/******/ function __nccwpck_require__(moduleId) {
/******/ 	// Check if module is in cache
/******/ 	var cachedModule = __webpack_module_cache__[moduleId];
/******/ 	if (cachedModule !== undefined) {
/******/ 		return cachedModule.exports;
/******/ 	}
/******/ 	// Create a new module (and put it into the cache)
/******/ 	var module = __webpack_module_cache__[moduleId] = {
/******/ 		// no module.id needed
/******/ 		// no module.loaded needed
/******/ 		exports: {}
/******/ 	};
/******/ 
/******/ 	// Execute the module function
/******/ 	var threw = true;
/******/ 	try {
/******/ 		__webpack_modules__[moduleId](module, module.exports, __nccwpck_require__);
/******/ 		threw = false;
/******/ 	} finally {
/******/ 		if(threw) delete __webpack_module_cache__[moduleId];
/******/ 	}
/******/ 
/******/ 	// Return the exports of the module
/******/ 	return module.exports;
/******/ }
/******/ 
/************************************************************************/
/******/ /* webpack/runtime/asset-relocator-loader */
/******/ if (typeof __nccwpck_require__ !== 'undefined') __nccwpck_require__.ab = decodeURIComponent(new URL('.', import.meta.url).pathname).slice(import.meta.url.match(/^file:\/\/\/\w:/) ? 1 : 0, -1) + "/";
/******/ 
/******/ /* webpack/runtime/compat get default export */
/******/ (() => {
/******/ 	// getDefaultExport function for compatibility with non-harmony modules
/******/ 	__nccwpck_require__.n = (module) => {
/******/ 		var getter = module && module.__esModule ?
/******/ 			() => (module['default']) :
/******/ 			() => (module);
/******/ 		__nccwpck_require__.d(getter, { a: getter });
/******/ 		return getter;
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/create fake namespace object */
/******/ (() => {
/******/ 	var getProto = Object.getPrototypeOf ? (obj) => (Object.getPrototypeOf(obj)) : (obj) => (obj.__proto__);
/******/ 	var leafPrototypes;
/******/ 	// create a fake namespace object
/******/ 	// mode & 1: value is a module id, require it
/******/ 	// mode & 2: merge all properties of value into the ns
/******/ 	// mode & 4: return value when already ns object
/******/ 	// mode & 16: return value when it's Promise-like
/******/ 	// mode & 8|1: behave like require
/******/ 	__nccwpck_require__.t = function(value, mode) {
/******/ 		if(mode & 1) value = this(value);
/******/ 		if(mode & 8) return value;
/******/ 		if(typeof value === 'object' && value) {
/******/ 			if((mode & 4) && value.__esModule) return value;
/******/ 			if((mode & 16) && typeof value.then === 'function') return value;
/******/ 		}
/******/ 		var ns = Object.create(null);
/******/ 		__nccwpck_require__.r(ns);
/******/ 		var def = {};
/******/ 		leafPrototypes = leafPrototypes || [null, getProto({}), getProto([]), getProto(getProto)];
/******/ 		for(var current = mode & 2 && value; typeof current == 'object' && !~leafPrototypes.indexOf(current); current = getProto(current)) {
/******/ 			Object.getOwnPropertyNames(current).forEach((key) => (def[key] = () => (value[key])));
/******/ 		}
/******/ 		def['default'] = () => (value);
/******/ 		__nccwpck_require__.d(ns, def);
/******/ 		return ns;
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/define property getters */
/******/ (() => {
/******/ 	// define getter functions for harmony exports
/******/ 	__nccwpck_require__.d = (exports, definition) => {
/******/ 		for(var key in definition) {
/******/ 			if(__nccwpck_require__.o(definition, key) && !__nccwpck_require__.o(exports, key)) {
/******/ 				Object.defineProperty(exports, key, { enumerable: true, get: definition[key] });
/******/ 			}
/******/ 		}
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/hasOwnProperty shorthand */
/******/ (() => {
/******/ 	__nccwpck_require__.o = (obj, prop) => (Object.prototype.hasOwnProperty.call(obj, prop))
/******/ })();
/******/ 
/******/ /* webpack/runtime/make namespace object */
/******/ (() => {
/******/ 	// define __esModule on exports
/******/ 	__nccwpck_require__.r = (exports) => {
/******/ 		if(typeof Symbol !== 'undefined' && Symbol.toStringTag) {
/******/ 			Object.defineProperty(exports, Symbol.toStringTag, { value: 'Module' });
/******/ 		}
/******/ 		Object.defineProperty(exports, '__esModule', { value: true });
/******/ 	};
/******/ })();
/******/ 
/************************************************************************/
var __webpack_exports__ = {};

;// CONCATENATED MODULE: external "node:child_process"
const external_node_child_process_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:child_process");
;// CONCATENATED MODULE: external "node:fs"
const external_node_fs_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:fs");
;// CONCATENATED MODULE: ./src/exec.ts
// The one seam through which the action and the command line run programs (git, docker, tar):
// `exec` captures a program's output as text, `spawnStream` hands its stdout over as a byte stream
// (`docker save`, which can be gigabytes) and can feed its stdin from one (`tar -x`); `exec` can also
// hand its stdout over as a byte stream while it captures the stderr (buildx exporting an image to
// stdout while it logs). Always an argv
// array, never a shell, so no value from a pull request can be interpreted as shell syntax; the child
// gets the environment it is given, this process's by default.


/** Thrown when a program cannot be started at all (not found, not executable). */
class ExecError extends Error {
    file;
    constructor(file, message) {
        super(message);
        this.file = file;
        this.name = 'ExecError';
    }
}
/** Why a program could not be started. spawn says ENOENT for a missing working directory too: tell the two apart. */
function startError(file, cwd, e) {
    const why = e.code !== 'ENOENT'
        ? e.message
        : cwd !== undefined && !(0,external_node_fs_namespaceObject.existsSync)(cwd)
            ? `the working directory ${cwd} does not exist`
            : 'command not found';
    return new ExecError(file, `${file}: ${why}`);
}
class Tail {
    max;
    parts = [];
    length = 0;
    constructor(max) {
        this.max = max;
    }
    push(s) {
        this.parts.push(s);
        this.length += s.length;
        while (this.length > this.max && this.parts.length > 1) {
            this.length -= this.parts.shift().length;
        }
    }
    toString() {
        const all = this.parts.join('');
        return all.length > this.max ? all.slice(all.length - this.max) : all;
    }
}
const exec = (file, args, options = {}) => new Promise((resolve, reject) => {
    const max = options.maxCapture ?? 4 * 1024 * 1024;
    const out = new Tail(max);
    const err = new Tail(max);
    const child = (0,external_node_child_process_namespaceObject.spawn)(file, [...args], {
        cwd: options.cwd,
        env: options.env ?? process.env,
        stdio: ['ignore', 'pipe', 'pipe'],
        shell: false
    });
    if (options.takeStdout)
        options.takeStdout(child.stdout);
    else {
        child.stdout.setEncoding('utf8');
        child.stdout.on('data', (c) => {
            out.push(c);
            options.onStdout?.(c);
        });
    }
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (c) => {
        err.push(c);
        options.onStderr?.(c);
    });
    const stop = () => {
        if (child.exitCode === null && child.signalCode === null)
            child.kill();
    };
    if (options.signal?.aborted)
        stop();
    else
        options.signal?.addEventListener('abort', stop, { once: true });
    child.on('error', (e) => reject(startError(file, options.cwd, e)));
    child.on('close', (code, signal) => {
        options.signal?.removeEventListener('abort', stop);
        resolve({ code: code ?? (signal ? 128 : 1), stdout: out.toString(), stderr: err.toString() });
    });
});
/** The real StreamExec: argv array, no shell; keeps the last 64 KiB of stderr. */
const spawnStream = (file, args, options = {}) => {
    const child = (0,external_node_child_process_namespaceObject.spawn)(file, [...args], {
        cwd: options.cwd,
        env: options.env ?? process.env,
        stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'],
        shell: false
    });
    // Piped as asked above; spawn's types cannot tell from a computed stdio.
    if (child.stdout === null || child.stderr === null)
        throw new Error(`${file}: spawn gave no output pipes`);
    const stderr = new Tail(64 * 1024);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (c) => stderr.push(c));
    const done = new Promise((resolve, reject) => {
        child.on('error', (e) => reject(startError(file, options.cwd, e)));
        child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stderr: stderr.toString() }));
    });
    return {
        ...(child.stdin ? { stdin: child.stdin } : {}),
        stdout: child.stdout,
        done,
        kill: () => {
            if (child.exitCode === null && child.signalCode === null)
                child.kill();
        }
    };
};

;// CONCATENATED MODULE: ./package.json
const package_namespaceObject = {"rE":"0.1.0"};
;// CONCATENATED MODULE: ./src/tool.ts
// The tool's name and version, as package.json gives them (ncc inlines the JSON into each bundle).

const tool_TOOL = { name: 'image-budget', version: package_namespaceObject.rE };

;// CONCATENATED MODULE: ./src/report/escape.ts
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
const WORD_JOINER = '\u2060';
/** Default caps, in code points, before escaping. */
const CELL_MAX = 200;
const CODE_MAX = 240;
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
function escapeOf(ch) {
    const code = ch.codePointAt(0) ?? 0;
    if (code <= 0xff)
        return `\\x${code.toString(16).padStart(2, '0')}`;
    return code <= 0xffff ? `\\u${code.toString(16).padStart(4, '0')}` : `\\u{${code.toString(16)}}`;
}
/** Every invisible character as a visible escape (`rel\u200bease`), the rest as is. */
function revealInvisible(text) {
    return text.replace(INVISIBLE, escapeOf);
}
/** One line: invisible characters shown as escapes, controls become spaces, whitespace runs collapse, ends trimmed. */
function flatten(text) {
    return revealInvisible(text).replace(CONTROL, ' ').replace(/\s+/g, ' ').trim();
}
/** At most `max` code points (never splitting a surrogate pair), with `…` when cut. */
function cap(text, max) {
    if (text.length <= max)
        return text;
    const points = Array.from(text);
    if (points.length <= max)
        return text;
    return `${points.slice(0, Math.max(0, max - 1)).join('')}…`;
}
/** Breaks `@user`, `@org/team`, e-mail addresses, `#12`, `GH-12` with an invisible word joiner. */
function breakReferences(text) {
    return text
        // A dot too: cmark-gfm links `.A@.A` as an e-mail address, whose domain may begin with one.
        .replace(/@(?=[\p{L}\p{N}_.-])/gu, `@${WORD_JOINER}`)
        .replace(/#(?=\p{N})/gu, `#${WORD_JOINER}`)
        .replace(/\b(GH-)(?=\p{N})/giu, `$1${WORD_JOINER}`);
}
/** Breaks `<!--` and `-->` in text that is kept literally (code spans and blocks). */
function breakComments(text) {
    return text.replace(/<!/g, `<${WORD_JOINER}!`).replace(/--(?=>)/g, `--${WORD_JOINER}`);
}
// Markdown metacharacters escaped with a backslash (any ASCII punctuation may be, in CommonMark).
const BACKSLASHED = new Set(['\\', '`', '*', '_', '[', ']', '|', '~', '#', ':', '!', '{', '}', '^']);
const ENTITIES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', $: '&#36;' };
/**
 * Text safe inside a GFM table cell or any inline markdown: one line, capped at `max` code points,
 * markdown metacharacters and `|` backslash-escaped, `& < > $` as entities (no HTML, no math),
 * mentions, references and autolinks broken. An escaped string never begins a block (list item,
 * heading, quote), so it is also safe at the start of a line or list item.
 */
function escapeCell(text, max = CELL_MAX) {
    const plain = breakReferences(cap(flatten(text), max));
    let out = '';
    for (let i = 0; i < plain.length; i++) {
        const ch = plain[i];
        const entity = ENTITIES[ch];
        if (entity !== undefined)
            out += entity;
        else if (BACKSLASHED.has(ch))
            out += `\\${ch}`;
        else if (ch === '.' && /www$/i.test(plain.slice(Math.max(0, i - 3), i)))
            out += '\\.';
        else
            out += ch;
    }
    // Block markers at the very start: `- x`, `+ x`, `= x` (setext), `1. x`, `1) x`.
    return out.replace(/^([-+=])/, '\\$1').replace(/^(\d{1,9})([.)])/, '$1\\$2');
}
/**
 * A code span showing `text` literally: one line, capped, with a backtick fence longer than the
 * longest backtick run inside, padded with spaces when the text starts or ends with a backtick.
 * Empty text gives an empty string (nothing to show).
 */
function codeSpan(text, options = {}) {
    const { table = true, max = CODE_MAX } = options;
    // cmark-gfm (GitHub) never matches a code span fence longer than 80 backticks (MAXBACKTICKS):
    // longer runs are split by a word joiner, so the fence stays short and the span stays one.
    let body = breakComments(cap(flatten(text), max)).replace(/`{64}(?=`)/g, `$&${WORD_JOINER}`);
    if (body === '')
        return '';
    if (table)
        body = body.replace(/\|/g, '\\|');
    const fence = '`'.repeat(longestRun(body, '`') + 1);
    const pad = body.startsWith('`') || body.endsWith('`') ? ' ' : '';
    return `${fence}${pad}${body}${pad}${fence}`;
}
/** The longest backtick run a code block's body keeps (its fence is one longer). */
const FENCE_RUN_MAX = 100;
/**
 * A fenced code block showing multi-line `text` literally (build errors). The fence is longer than
 * any backtick run inside, so no line can close it early; controls are removed; lines are capped.
 */
function codeBlock(text, options = {}) {
    const { maxLines = 30, lineMax = 300 } = options;
    let lines = text
        .replace(/\r\n?/g, '\n')
        .split('\n')
        .map((l) => breakComments(cap(revealInvisible(l).replace(/\t/g, '  ').replace(CONTROL, ' ').trimEnd(), lineMax)));
    while (lines.length > 0 && lines[0] === '')
        lines.shift();
    while (lines.length > 0 && lines[lines.length - 1] === '')
        lines.pop();
    if (lines.length > maxLines)
        lines = [`… (${lines.length - maxLines} earlier lines omitted)`, ...lines.slice(-maxLines)];
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
function escapeHtml(text, max = CELL_MAX) {
    return breakReferences(cap(flatten(text), max)).replace(/[&<>"']/g, (ch) => HTML_ENTITIES[ch] ?? ch);
}
const HTML_ENTITIES = {
    '&': '&amp;',
    '<': '&lt;',
    '>': '&gt;',
    '"': '&quot;',
    "'": '&#39;'
};
function longestRun(text, ch) {
    let best = 0;
    let run = 0;
    for (const c of text) {
        run = c === ch ? run + 1 : 0;
        if (run > best)
            best = run;
    }
    return best;
}
// C0 and C1 controls (ESC, CSI 0x9b, BEL, CR, TAB...), DEL, the line and paragraph separators, and
// the invisible characters (zero-width, bidi overrides and isolates: "Trojan source"): none may reach a
// terminal or a log as themselves.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\p{Default_Ignorable_Code_Point}\p{Cf}]/gu;
/** `\x1b`, `\x0a`, `\u202e`, `\u200b`: every unsafe character as a visible escape, everything else as is. */
function escapeControls(text) {
    return text.replace(UNSAFE, escapeOf);
}

;// CONCATENATED MODULE: ./src/report/terminal-text.ts
// The terminal's building blocks, for terminal.ts: colour (only when wanted), text made safe and
// measured in display cells (a CJK character or an emoji takes two, a combining mark none), and
// aligned tables. Pure.

/** A repository string in a table cell is cut to this many cells. */
const terminal_text_CELL_MAX = 48;
const MIN_LAST_COLUMN = 24;
// ── Colour ─────────────────────────────────────────────────────────────────────────────────────
/**
 * Whether to colour a stream, by the conventions of Node.js and no-color.org: FORCE_COLOR wins (any
 * value but `0` or `false` turns colour on, even into a pipe), then a non-empty NO_COLOR turns it
 * off, then a TTY that is not TERM=dumb turns it on.
 */
function colourWanted(env, isTTY) {
    const force = env['FORCE_COLOR'];
    if (force !== undefined)
        return !['0', 'false'].includes(force.trim().toLowerCase());
    const no = env['NO_COLOR'];
    if (no !== undefined && no !== '')
        return false;
    return isTTY && env['TERM'] !== 'dumb';
}
// Each style closes with its own reset (22 = normal intensity, 39 = default colour), so styles nest.
const SGR = {
    bold: [1, 22],
    dim: [2, 22],
    red: [31, 39],
    green: [32, 39],
    yellow: [33, 39],
    cyan: [36, 39]
};
function painter(colour) {
    return (style, text) => {
        if (!colour || style === undefined || text === '')
            return text;
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
const WIDE = [
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
function isWide(code) {
    return WIDE.some(([lo, hi]) => code >= lo && code <= hi);
}
function graphemeWidth(g) {
    if (ZERO_WIDTH.test(g))
        return 0;
    if (EMOJI.test(g))
        return 2;
    return isWide(g.codePointAt(0) ?? 0) ? 2 : 1;
}
/** Cells `text` takes in a terminal: graphemes, wide characters and emoji counted as two. No controls expected. */
function displayWidth(text) {
    let width = 0;
    for (const { segment } of graphemes.segment(text))
        width += graphemeWidth(segment);
    return width;
}
/** `text` cut to at most `max` cells, whole graphemes only, ending with `...` when cut. */
function truncate(text, max) {
    if (displayWidth(text) <= max)
        return text;
    if (max < 3)
        return '.'.repeat(Math.max(0, max));
    let out = '';
    let width = 0;
    for (const { segment } of graphemes.segment(text)) {
        const w = graphemeWidth(segment);
        // A wide character that would straddle the limit is left out whole, never split.
        if (width + w > max - 3)
            break;
        out += segment;
        width += w;
    }
    return `${out}...`;
}
/** A repository or image string made safe for one line: escaped, then cut to `max` cells. */
function safe(text, max = terminal_text_CELL_MAX) {
    return truncate(escapeControls(text), max);
}
const GAP = '  ';
/**
 * Lines of an aligned table: a header, a rule of `-`, the rows. Every cell is padded to its
 * column's display width, then painted, so escapes never count as width; the last column is not
 * padded (nothing follows it). `indent` starts every line.
 */
function table(columns, rows, paint, indent = '') {
    const widths = columns.map((c, i) => Math.max(displayWidth(c.header), ...rows.map((r) => displayWidth(r[i]?.text ?? ''))));
    const line = (cells) => {
        const parts = columns.map((c, i) => {
            const cell = cells[i] ?? { text: '' };
            const last = i === columns.length - 1;
            const pad = ' '.repeat(widths[i] - displayWidth(cell.text));
            if (c.align === 'right')
                return `${pad}${paint(cell.style, cell.text)}`;
            return last ? paint(cell.style, cell.text) : `${paint(cell.style, cell.text)}${pad}`;
        });
        return `${indent}${parts.join(GAP)}`.trimEnd();
    };
    const header = line(columns.map((c) => ({ text: c.header, style: 'bold' })));
    const rule = `${indent}${widths.map((w) => '-'.repeat(w)).join(GAP)}`;
    return [header, rule, ...rows.map(line)];
}
/** Cells left for a last column after the others (their widths as in `rows`), at least MIN_LAST_COLUMN. */
function roomForLast(width, indent, fixed, headers) {
    let used = indent.length;
    for (let i = 0; i < headers.length; i++) {
        used += Math.max(displayWidth(headers[i]), ...fixed.map((r) => displayWidth(r[i] ?? ''))) + GAP.length;
    }
    return Math.max(MIN_LAST_COLUMN, width - used);
}

;// CONCATENATED MODULE: ./src/inputs/names.ts
// The one place that spells the action's input names (as in action.yml) and their defaults.
const INPUT = {
    context: 'context',
    file: 'file',
    targets: 'targets',
    config: 'config',
    buildArgs: 'build-args',
    platforms: 'platforms',
    network: 'network',
    builder: 'builder',
    cache: 'cache',
    baseline: 'baseline',
    baseRef: 'base-ref',
    baseImage: 'base-image',
    images: 'images',
    metric: 'metric',
    maxIncrease: 'max-increase',
    maxSize: 'max-size',
    maxLayers: 'max-layers',
    maxWasted: 'max-wasted',
    failOnRegression: 'fail-on-regression',
    comment: 'comment',
    commentKey: 'comment-key',
    details: 'details',
    advice: 'advice',
    githubToken: 'github-token',
    allowForkBuilds: 'allow-fork-builds',
    mode: 'mode',
    reports: 'reports',
    name: 'name',
    // docker/build-push-action's names, so that a build step's `with:` can be copied.
    secrets: 'secrets',
    secretFiles: 'secret-files',
    secretEnvs: 'secret-envs',
    ssh: 'ssh',
    buildContexts: 'build-contexts',
    labels: 'labels',
    noCache: 'no-cache',
    pull: 'pull',
    shmSize: 'shm-size',
    ulimit: 'ulimit',
    addHosts: 'add-hosts',
    allow: 'allow',
    provenance: 'provenance',
    sbom: 'sbom'
};
/** Values used when an input is empty. Inputs not listed here are optional and have no default. */
const DEFAULTS = {
    [INPUT.context]: '.',
    [INPUT.cache]: 'gha',
    [INPUT.baseline]: 'auto',
    [INPUT.metric]: 'compressed',
    [INPUT.failOnRegression]: 'true',
    [INPUT.comment]: 'always',
    [INPUT.commentKey]: 'image-budget',
    [INPUT.details]: 'layers,files,trend',
    [INPUT.advice]: 'true',
    [INPUT.allowForkBuilds]: 'false',
    [INPUT.mode]: 'measure',
    [INPUT.noCache]: 'false',
    [INPUT.pull]: 'false'
};

;// CONCATENATED MODULE: ./src/cli/args.ts
// The command line's argv, parsed into a command. Pure: strings in, a typed command or a UsageError
// out; no I/O, no defaults beyond the shape of the command line itself.
//
//   image-budget compare --base REF [--targets LIST] [--json] ...
//   image-budget measure IMAGE|ARCHIVE [--details LIST] [--advice true|false] [--json]
//
// `compare` flags map one to one onto the action's inputs (src/inputs/names.ts): their values are
// not checked here but by parseInputs, the same parser the action uses, so the command line and the
// workflow accept exactly the same values. Here only the shape is checked: known flags, values
// present, flags given once unless they are lists.

/** Exit codes: the verdict, or why there is none (as ESLint: 2 means "could not check"). */
const EXIT = {
    /** Within budget (or, for measure, measured). */
    ok: 0,
    /** A budget is broken or a head build failed. */
    regressed: 1,
    /** Bad command line or input value, or the check could not run (no git repository, no engine...). */
    error: 2
};
/** The command line is wrong: the message names the flag and the accepted forms. Exit code 2. */
class UsageError extends Error {
    command;
    name = 'UsageError';
    constructor(message, 
    /** The command whose help explains the fix, if one was given. */
    command) {
        super(message);
        this.command = command;
    }
}
const BOTH = ['compare', 'measure'];
const COMPARE = ['compare'];
// In help order. Every `compare` flag that sets an input is named after it, except --base (base-ref).
const FLAGS = [
    { flag: '--base', input: INPUT.baseRef, value: 'REF', commands: COMPARE, help: 'commit, branch or tag to compare with (required), e.g. main' },
    { flag: '--targets', input: INPUT.targets, value: 'LIST', join: ',', commands: COMPARE, help: "stages to build, comma separated (default: the Dockerfile's last stage)" },
    { flag: '--context', input: INPUT.context, value: 'DIR', commands: COMPARE, help: 'build context (default: the current directory)' },
    { flag: '--file', input: INPUT.file, value: 'PATH', commands: COMPARE, help: 'Dockerfile (default: DIR/Dockerfile)' },
    { flag: '--build-args', input: INPUT.buildArgs, value: 'NAME=value', join: '\n', commands: COMPARE, help: 'a build argument; repeat the flag for each one' },
    { flag: '--platforms', input: INPUT.platforms, value: 'LIST', join: ',', commands: COMPARE, help: "platforms to build, e.g. linux/amd64,linux/arm64 (default: the builder's)" },
    { flag: '--network', input: INPUT.network, value: 'MODE', commands: COMPARE, help: 'network of RUN steps: default, none or host' },
    { flag: '--builder', input: INPUT.builder, value: 'NAME', commands: COMPARE, help: 'buildx builder (default: the current one)' },
    { flag: '--cache', input: INPUT.cache, value: 'SPEC', commands: COMPARE, help: 'none (default), local=DIR or registry=REF; the engine keeps its own cache' },
    { flag: '--metric', input: INPUT.metric, value: 'METRIC', commands: COMPARE, help: 'size the budgets judge: compressed (default) or uncompressed' },
    { flag: '--max-increase', input: INPUT.maxIncrease, value: 'SIZE|PCT', join: ',', commands: COMPARE, help: 'largest growth, e.g. 10%, 5MB or release=5%,debug=50MB' },
    { flag: '--max-size', input: INPUT.maxSize, value: 'SIZE', join: ',', commands: COMPARE, help: 'size budget, e.g. 25MB or release=25MB' },
    { flag: '--max-layers', input: INPUT.maxLayers, value: 'N', join: ',', commands: COMPARE, help: 'largest layer count, e.g. 10 or release=5' },
    { flag: '--max-wasted', input: INPUT.maxWasted, value: 'SIZE|PCT', join: ',', commands: COMPARE, help: 'largest wasted space (files overwritten or deleted later), e.g. 5MB or 2%' },
    // docker/build-push-action's settings, as the action's inputs of the same names (the same syntax).
    { flag: '--secrets', input: INPUT.secrets, value: 'ID=value', join: '\n', commands: COMPARE, help: 'a secret for RUN --mount=type=secret,id=ID; repeat for each (--secret-envs keeps it off the command line)' },
    { flag: '--secret-files', input: INPUT.secretFiles, value: 'ID=PATH', join: '\n', commands: COMPARE, help: 'a secret read from a file, relative to the repository root; repeat for each' },
    { flag: '--secret-envs', input: INPUT.secretEnvs, value: 'ID=VAR', join: ',', commands: COMPARE, help: 'a secret read from the environment variable VAR; repeat for each' },
    { flag: '--ssh', input: INPUT.ssh, value: 'ID[=PATH]', join: ',', commands: COMPARE, help: 'default (the agent of SSH_AUTH_SOCK) or ID=PATH, for RUN --mount=type=ssh' },
    { flag: '--build-contexts', input: INPUT.buildContexts, value: 'NAME=VALUE', join: '\n', commands: COMPARE, help: 'a named context: a directory (relative to the repository root), docker-image://REF or target:STAGE' },
    { flag: '--labels', input: INPUT.labels, value: 'KEY=value', join: '\n', commands: COMPARE, help: 'an image label; repeat for each' },
    { flag: '--no-cache', input: INPUT.noCache, commands: COMPARE, help: "build every step again (the engine's cache is not read)" },
    { flag: '--pull', input: INPUT.pull, commands: COMPARE, help: 'pull the images that FROM names, even when the engine has them' },
    { flag: '--shm-size', input: INPUT.shmSize, value: 'SIZE', commands: COMPARE, help: 'size of /dev/shm for RUN steps, e.g. 2g' },
    { flag: '--ulimit', input: INPUT.ulimit, value: 'TYPE=SOFT[:HARD]', join: '\n', commands: COMPARE, help: 'a ulimit of RUN steps, e.g. nofile=1024:2048; repeat for each' },
    { flag: '--add-hosts', input: INPUT.addHosts, value: 'HOST:IP', join: ',', commands: COMPARE, help: 'an /etc/hosts entry of RUN steps; repeat for each' },
    { flag: '--allow', input: INPUT.allow, value: 'LIST', join: ',', commands: COMPARE, help: 'entitlements: network.host, security.insecure' },
    { flag: '--provenance', input: INPUT.provenance, value: 'ATTRS', commands: COMPARE, help: 'provenance attestation: true, false or e.g. mode=max (never counted in the size)' },
    { flag: '--sbom', input: INPUT.sbom, value: 'ATTRS', commands: COMPARE, help: 'SBOM attestation: true, false or attributes (never counted in the size)' },
    { flag: '--details', input: INPUT.details, value: 'LIST', commands: BOTH, help: 'shown under the table: layers, files (both by default) or none (trend is the action\'s)' },
    { flag: '--advice', input: INPUT.advice, value: 'true|false', commands: BOTH, help: 'why it grew (compare) or what the image holds (measure), with the fixes; true by default' },
    { flag: '--json', commands: BOTH, help: 'print the JSON report on stdout instead of the table' },
    { flag: '--verbose', commands: BOTH, help: 'show the build output and every step on stderr' }
];
const BY_FLAG = new Map(FLAGS.map((f) => [f.flag, f]));
/** The command-line flag of an action input (`base-ref` → `--base`), for error messages. */
function flagForInput(input) {
    return FLAGS.find((f) => f.input === input)?.flag;
}
const COMMANDS = ['compare', 'measure'];
function isCommandName(s) {
    return COMMANDS.includes(s);
}
/** `--base REF or --base=REF`: the accepted forms of a flag, as errors and help spell them. */
function args_forms(spec) {
    return spec.value === undefined ? spec.flag : `${spec.flag} ${spec.value} or ${spec.flag}=${spec.value}`;
}
/** Parses `argv` (without the node binary and the script). Throws UsageError. */
function parseArgs(argv) {
    const [first, ...rest] = argv;
    if (first === undefined)
        throw new UsageError('no command given (expected compare or measure)');
    if (first === '--help' || first === '-h' || first === 'help') {
        const topic = rest[0];
        if (topic !== undefined && isCommandName(topic))
            return { command: 'help', topic };
        if (topic !== undefined && first === 'help')
            throw new UsageError(`unknown command ${quote(topic)} (expected compare or measure)`);
        return { command: 'help' };
    }
    if (first === '--version' || first === '-V')
        return { command: 'version' };
    if (!isCommandName(first)) {
        const hint = first.startsWith('-') ? ' before a command' : '';
        throw new UsageError(`unknown command ${quote(first)}${hint} (expected compare or measure)${suggest(first, [...COMMANDS, '--help', '--version'])}`);
    }
    return parseCommand(first, rest);
}
function parseCommand(command, args) {
    // Asking for help wins over anything else on the line, mistakes included (as in git, docker).
    const options = args.includes('--') ? args.slice(0, args.indexOf('--')) : args;
    if (options.some((a) => a === '--help' || a === '-h'))
        return { command: 'help', topic: command };
    if (options.some((a) => a === '--version' || a === '-V'))
        return { command: 'version' };
    const values = new Map();
    const switches = new Set();
    const positional = [];
    let endOfOptions = false;
    for (let i = 0; i < args.length; i++) {
        const arg = args[i];
        if (endOfOptions || !arg.startsWith('-') || arg === '-') {
            positional.push(arg);
            continue;
        }
        if (arg === '--') {
            endOfOptions = true;
            continue;
        }
        const eq = arg.indexOf('=');
        const name = eq > 0 ? arg.slice(0, eq) : arg;
        const spec = BY_FLAG.get(name);
        if (spec === undefined || !spec.commands.includes(command)) {
            const known = FLAGS.filter((f) => f.commands.includes(command)).map((f) => f.flag);
            const other = spec !== undefined ? ` (it is an option of ${spec.commands.join(' and ')})` : suggest(name, known);
            throw new UsageError(`unknown option ${quote(name)} for ${command}${other}`, command);
        }
        if (spec.value === undefined) {
            if (eq > 0)
                throw new UsageError(`${spec.flag} takes no value (given ${quote(arg.slice(eq + 1))}); write ${spec.flag} alone`, command);
            if (switches.has(spec.flag))
                throw new UsageError(`${spec.flag} is given twice`, command);
            switches.add(spec.flag);
            continue;
        }
        let value;
        if (eq > 0) {
            value = arg.slice(eq + 1);
        }
        else {
            const next = args[i + 1];
            // A following flag is a forgotten value, not the value (`--base --json`).
            if (next === undefined || (next.startsWith('--') && next.length > 2)) {
                throw new UsageError(`${spec.flag} needs a value: ${args_forms(spec)}`, command);
            }
            value = next;
            i++;
        }
        if (value.trim() === '')
            throw new UsageError(`${spec.flag} needs a value, not an empty one: ${args_forms(spec)}`, command);
        if (spec.input === INPUT.buildArgs)
            checkBuildArg(value, command);
        else if (spec.join === '\n' && /[\r\n]/.test(value))
            throw new UsageError(`${spec.flag} takes one ${spec.value} per flag; this one contains a line break`, command);
        const list = values.get(spec) ?? [];
        if (list.length > 0 && spec.join === undefined) {
            throw new UsageError(`${spec.flag} is given twice (${quote(list[0])} and ${quote(value)}); give it once`, command);
        }
        list.push(value);
        values.set(spec, list);
    }
    const json = switches.has('--json');
    const verbose = switches.has('--verbose');
    if (command === 'measure') {
        if (positional.length === 0)
            throw new UsageError('measure needs an image: measure IMAGE (an image in the engine) or measure PATH (a docker save tar, an OCI layout dir or tar)', command);
        if (positional.length > 1)
            throw new UsageError(`measure takes one image or archive, got ${positional.length}: ${positional.map(quote).join(', ')}`, command);
        const given = (input) => [...values].find(([spec]) => spec.input === input)?.[1][0];
        return { command, source: positional[0], details: given(INPUT.details), advice: given(INPUT.advice), json, verbose };
    }
    if (positional.length > 0) {
        const p = positional[0];
        throw new UsageError(`compare takes no arguments, got ${quote(p)} (did you mean --base ${p}?)`, command);
    }
    const inputs = new Map();
    for (const [spec, list] of values) {
        if (spec.input !== undefined)
            inputs.set(spec.input, list.join(spec.join ?? ''));
    }
    // A switch that sets an input (--no-cache, --pull) sets it to true.
    for (const spec of FLAGS)
        if (spec.value === undefined && spec.input !== undefined && switches.has(spec.flag))
            inputs.set(spec.input, 'true');
    if (!inputs.has(INPUT.baseRef)) {
        throw new UsageError('compare needs --base REF: the commit, branch or tag to compare with (e.g. --base main)', command);
    }
    return { command, inputs, json, verbose };
}
/**
 * One `NAME=value` per flag. Build-arg values are secret-ish, so the message names the position and
 * never the value; a line break would smuggle a second argument into the action's one-per-line form.
 */
function checkBuildArg(value, command) {
    if (!value.includes('=')) {
        throw new UsageError(`--build-args takes NAME=value (--build-args NAME=value or --build-args=NAME=value); this one has no "="`, command);
    }
    if (/[\r\n]/.test(value)) {
        throw new UsageError(`--build-args takes one NAME=value per flag; the value of ${quote(value.slice(0, value.indexOf('=')))} contains a line break`, command);
    }
}
function quote(s) {
    const cut = s.length > 60 ? `${s.slice(0, 59)}…` : s;
    return JSON.stringify(cut);
}
/** ` (did you mean --base?)` for a near miss (edit distance at most 2), else nothing. */
function suggest(given, known) {
    let best;
    let bestDistance = 3;
    for (const k of known) {
        const d = editDistance(given, k);
        if (d < bestDistance) {
            best = k;
            bestDistance = d;
        }
    }
    return best === undefined ? '' : ` (did you mean ${best}?)`;
}
function editDistance(a, b) {
    let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        const row = [i];
        for (let j = 1; j <= b.length; j++) {
            row.push(Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1)));
        }
        prev = row;
    }
    return prev[b.length];
}
// ── Help ───────────────────────────────────────────────────────────────────────────────────────
const EXIT_HELP = [
    'Exit codes:',
    '  0  within budget',
    '  1  a budget is broken or a head build failed',
    '  2  bad command line or value, or the check could not run'
].join('\n');
function optionLines(command) {
    const specs = FLAGS.filter((f) => f.commands.includes(command));
    const left = specs.map((f) => (f.value === undefined ? f.flag : `${f.flag} ${f.value}`));
    const width = Math.max(...left.map((l) => l.length)) + 2;
    return [...specs.map((f, i) => `  ${left[i].padEnd(width)}${f.help}`), `  ${'-h, --help'.padEnd(width)}this help`].join('\n');
}
/** The help text of a command, or the general one. `version` is shown in the general help's first line. */
function helpText(topic, version) {
    if (topic === 'compare') {
        return [
            'Usage: image-budget compare --base REF [options]',
            '',
            'Builds the Dockerfile targets of the working tree and of REF (checked out in a temporary copy of',
            'the repository; your checkout is not touched) with docker buildx on the local engine, measures both,',
            'prints the comparison and judges the budgets, as the action does on a pull request.',
            '',
            'Options:',
            optionLines('compare'),
            '',
            'Sizes: 10MB, 512KiB, 1.5 GB (kB, MB, GB: powers of 1000; KiB, MiB, GiB: powers of 1024).',
            'Progress goes to stderr, the table (or --json report) to stdout. Colours follow the terminal,',
            'NO_COLOR and FORCE_COLOR.',
            '',
            EXIT_HELP,
            '',
            'Example:',
            '  image-budget compare --base main --targets release --max-increase 10% --max-size 25MB',
            ''
        ].join('\n');
    }
    if (topic === 'measure') {
        return [
            'Usage: image-budget measure IMAGE|ARCHIVE [options]',
            '',
            'Reports one image: compressed and uncompressed size, layers, wasted space. IMAGE is an image of',
            'the local Docker engine, or else a reference read in its registry (never pulled, with the',
            'credentials of `docker login`); ARCHIVE is a path: a `docker save` tar, an OCI layout',
            'directory or an OCI layout tar (`docker buildx build --output type=oci`).',
            '',
            'Options:',
            optionLines('measure'),
            '',
            'Exit codes: 0 measured, 2 bad command line or the image could not be read.',
            '',
            'Examples:',
            '  image-budget measure myapp:latest',
            '  image-budget measure ghcr.io/acme/app:main',
            '  docker save myapp:latest -o myapp.tar && image-budget measure myapp.tar --json',
            ''
        ].join('\n');
    }
    return [
        `image-budget ${version}: keep Docker images lean`,
        '',
        'Usage:',
        '  image-budget compare --base REF [options]    build the working tree and REF, compare, judge budgets',
        '  image-budget measure IMAGE|ARCHIVE [options] report one image or image archive',
        '  image-budget --help | --version',
        '',
        'Run "image-budget COMMAND --help" for the options of a command.',
        ''
    ].join('\n');
}

;// CONCATENATED MODULE: external "node:fs/promises"
const promises_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:fs/promises");
;// CONCATENATED MODULE: external "node:path"
const external_node_path_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:path");
var external_node_path_default = /*#__PURE__*/__nccwpck_require__.n(external_node_path_namespaceObject);
;// CONCATENATED MODULE: ./src/errors.ts
// The one way a caught value becomes text for a message: an error's message, a string as it is,
// anything else (a non-Error throw) as JSON. Never the stack: messages reach comments and logs.
// Structural, not `instanceof Error`: errors from Node's own modules may come from another realm
// (jest's module sandbox), where instanceof answers false.
function errorMessage(error) {
    if (typeof error === 'object' && error !== null && 'message' in error && typeof error.message === 'string')
        return error.message;
    return typeof error === 'string' ? error : `unexpected failure: ${JSON.stringify(error) ?? String(error)}`;
}
/** A system error's code (`ENOENT`, `ELOOP`), or undefined. */
function errorCode(error) {
    return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

;// CONCATENATED MODULE: ./src/git/git.ts
// The only code that runs git. One instance per repository directory; every call goes through the
// exec seam as an argv array. Refs and paths come from pull requests and inputs, so each one is
// checked for a leading `-` before git runs and passed after `--` (or `--end-of-options`) where git
// allows it (RELIABILITY row 23, security 9).


/** A git command exited non-zero. The message carries git's last stderr line, never the environment. */
class GitError extends Error {
    command;
    exitCode;
    reason;
    constructor(
    /** The git subcommand, e.g. `fetch`. */
    command, exitCode, 
    /** Last non-empty stderr line, credentials in URLs masked; empty when git printed nothing. */
    reason) {
        super(`git ${command} failed (exit ${exitCode})${reason ? `: ${reason}` : ''}`);
        this.command = command;
        this.exitCode = exitCode;
        this.reason = reason;
        this.name = 'GitError';
    }
}
/** A ref, SHA, remote or path that could be read as an option, or is not a valid ref name. */
class InvalidRefError extends Error {
    value;
    constructor(value, why) {
        super(`Invalid git ref ${JSON.stringify(value)}: ${why}`);
        this.value = value;
        this.name = 'InvalidRefError';
    }
}
const FULL_SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
/** True for a full SHA-1 or SHA-256 object id in lower-case hex. */
function isFullSha(value) {
    return FULL_SHA.test(value);
}
/** Throws before any git call when a value could be parsed by git as an option. */
function assertNotOption(value, what) {
    if (value === '')
        throw new InvalidRefError(value, `${what} is empty`);
    if (value.startsWith('-'))
        throw new InvalidRefError(value, `${what} must not start with "-"`);
    if (/[\0\n\r]/.test(value))
        throw new InvalidRefError(value, `${what} contains a control character`);
}
// Variables that would redirect git to another repository or index (e.g. when run from a git
// hook): with GIT_INDEX_FILE set, a checkout elsewhere could write the user's index.
const REPO_ENV = [
    'GIT_DIR',
    'GIT_WORK_TREE',
    'GIT_INDEX_FILE',
    'GIT_OBJECT_DIRECTORY',
    'GIT_ALTERNATE_OBJECT_DIRECTORIES',
    'GIT_COMMON_DIR',
    'GIT_NAMESPACE',
    'GIT_PREFIX'
];
/** Last non-empty stderr line, with `scheme://user:secret@` credentials masked. */
function lastLine(stderr) {
    const lines = stderr.split(/\r?\n|\r/).map((l) => l.trim());
    const last = lines.filter((l) => l !== '').pop() ?? '';
    return last.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]+@/gi, '$1***@');
}
// Keep git from repacking or running maintenance in the user's repository as a side effect.
const QUIET_CONFIG = ['-c', 'gc.auto=0', '-c', 'maintenance.auto=false'];
class Git {
    repoDir;
    run;
    env;
    constructor(
    /** The repository (any directory of its working tree). */
    repoDir, options = {}) {
        this.repoDir = repoDir;
        this.run = options.exec ?? exec;
        const env = { ...(options.env ?? process.env) };
        for (const name of REPO_ENV)
            delete env[name];
        // The action's inputs (the github-token among them) are none of git's business.
        for (const name of Object.keys(env))
            if (name.startsWith('INPUT_'))
                delete env[name];
        // Never wait for a credential prompt on a CI runner.
        env.GIT_TERMINAL_PROMPT = '0';
        env.GCM_INTERACTIVE = 'never';
        const count = Number(env.GIT_CONFIG_COUNT) || 0;
        for (const [i, [key, value]] of (options.config ?? []).entries()) {
            env[`GIT_CONFIG_KEY_${count + i}`] = key;
            env[`GIT_CONFIG_VALUE_${count + i}`] = value;
        }
        if (options.config?.length)
            env.GIT_CONFIG_COUNT = String(count + options.config.length);
        this.env = env;
    }
    /** The commit `ref` names, or undefined when it does not resolve to a commit here. */
    async revParseCommit(ref) {
        assertNotOption(ref, 'ref');
        const r = await this.git('rev-parse', ['--verify', '--quiet', '--end-of-options', `${ref}^{commit}`], [0, 1]);
        if (r.code !== 0)
            return undefined;
        const sha = r.stdout.trim();
        return isFullSha(sha) ? sha : undefined;
    }
    /**
     * The top level of the working tree this instance's directory is in (`rev-parse --show-toplevel`).
     * Throws GitError when the directory is in no working tree.
     */
    async topLevel() {
        const r = await this.git('rev-parse', ['--show-toplevel']);
        const top = r.stdout.trim();
        if (top === '')
            throw new GitError('rev-parse', 0, 'not in a working tree');
        return top;
    }
    /** The full name of the branch HEAD is on (`refs/heads/main`), or undefined for a detached HEAD. */
    async headRef() {
        const r = await this.git('symbolic-ref', ['--quiet', 'HEAD'], [0, 1, 128]);
        const ref = r.stdout.trim();
        return r.code === 0 && ref !== '' ? ref : undefined;
    }
    /** The URL of `remote` (e.g. `origin`), or undefined when the repository has no such remote. */
    async remoteUrl(remote) {
        assertNotOption(remote, 'remote');
        const r = await this.git('remote', ['get-url', remote], [0, 2, 128]);
        const url = r.stdout.trim();
        return r.code === 0 && url !== '' ? url : undefined;
    }
    /**
     * True when the working tree differs from HEAD under any of `paths` (tracked changes or untracked
     * files). `--no-optional-locks`: looking must not refresh (rewrite) the user's index.
     */
    async hasChanges(paths) {
        const r = await this.git('status', ['--porcelain', '--', ...paths], [0], ['--no-optional-locks']);
        return r.stdout.trim() !== '';
    }
    /** True when the commit object `sha` (a full SHA) is present. */
    async hasCommit(sha) {
        assertSha(sha);
        return (await this.revParseCommit(sha)) === sha;
    }
    /** True for a shallow clone (actions/checkout's default `fetch-depth: 1`). */
    async isShallow() {
        const r = await this.git('rev-parse', ['--is-shallow-repository']);
        return r.stdout.trim() === 'true';
    }
    /**
     * `sha` and up to `count - 1` of its first-parent ancestors, newest first, as far as the local
     * history goes (a shallow clone stops at its boundary).
     */
    async ancestors(sha, count) {
        assertSha(sha);
        if (!(Number.isInteger(count) && count > 0))
            throw new RangeError(`ancestor count must be a positive integer, got ${count}`);
        const r = await this.git('rev-list', ['--first-parent', `--max-count=${count}`, sha, '--']);
        return r.stdout.split('\n').map((l) => l.trim()).filter(isFullSha);
    }
    /** `git check-ref-format --allow-onelevel`: true when `ref` is a well-formed ref name. */
    async checkRefFormat(ref) {
        // check-ref-format takes no `--`, so the option check is what keeps `ref` an operand.
        assertNotOption(ref, 'ref');
        const r = await this.git('check-ref-format', ['--allow-onelevel', ref], [0, 1]);
        return r.code === 0;
    }
    /** Where git keeps this repository: its own git dir and the common dir (they differ in a linked worktree). */
    async gitDirs() {
        const r = await this.git('rev-parse', ['--absolute-git-dir', '--git-common-dir']);
        const [gitDir = '', commonDir = ''] = r.stdout.split('\n').map((l) => l.trim());
        if (gitDir === '' || commonDir === '')
            throw new GitError('rev-parse', 0, 'no git dir');
        return { gitDir, commonDir: external_node_path_default().resolve(this.repoDir, commonDir) };
    }
    /** `sha1` or `sha256`. */
    async objectFormat() {
        const r = await this.git('rev-parse', ['--show-object-format']);
        return r.stdout.trim() || 'sha1';
    }
    /** True when the repository is a partial clone (it lacks objects its promisor remote has). */
    async isPartialClone() {
        const r = await this.git('config', ['--local', '--get', 'extensions.partialclone'], [0, 1]);
        return r.code === 0 && r.stdout.trim() !== '';
    }
    /**
     * The entries of the local config that come from files it includes (`include.path`,
     * `includeIf.gitdir:…`), whose keys match `keys`. actions/checkout (v6 on) keeps the token's
     * `http.<server>/.extraheader` in such a file, included for the workspace's own git dir only.
     */
    async includedConfig(keys) {
        const list = async (includes) => {
            const r = await this.git('config', ['--local', ...(includes ? ['--includes'] : ['--no-includes']), '--list', '-z'], [0, 1]);
            return r.stdout.split('\0').filter((e) => e !== '');
        };
        const own = await list(false);
        const out = [];
        for (const entry of await list(true)) {
            const at = own.indexOf(entry);
            if (at >= 0) {
                own.splice(at, 1);
                continue;
            }
            const nl = entry.indexOf('\n');
            const [key, value] = nl < 0 ? [entry, ''] : [entry.slice(0, nl), entry.slice(nl + 1)];
            if (keys.test(key))
                out.push([key, value]);
        }
        return out;
    }
    /**
     * `git init` of `repoDir` (an existing, empty directory), with the given object format; with
     * `separateGitDir`, the repository lives there and `repoDir/.git` is a one-line `gitdir:` file.
     */
    async init(objectFormat, separateGitDir) {
        if (!/^sha(?:1|256)$/.test(objectFormat))
            throw new InvalidRefError(objectFormat, 'not an object format');
        if (separateGitDir !== undefined)
            assertNotOption(separateGitDir, 'path');
        assertNotOption(this.repoDir, 'path');
        const separate = separateGitDir === undefined ? [] : [`--separate-git-dir=${separateGitDir}`];
        await this.git('init', ['--quiet', `--object-format=${objectFormat}`, ...separate, '--', this.repoDir]);
    }
    /** Removes every value of `key` from the local config; nothing when it has none. */
    async unsetConfig(key) {
        if (!/^[a-z][a-z0-9-]*(?:\.[a-z][a-z0-9-]*)+$/i.test(key))
            throw new InvalidRefError(key, 'not a config key');
        await this.git('config', ['--local', '--unset-all', key], [0, 5]);
    }
    /**
     * Fetches one commit from `source` (a remote's name, or the absolute path of a local repository)
     * as actions/checkout does (`--no-tags --prune --no-recurse-submodules`, `--depth` unless null):
     * `from` a full SHA (no ref written unless `to` is given) or a `refs/...` name, into the ref `to`.
     * Resolves to the commit fetched. Writes objects, FETCH_HEAD and `to` in this repository only.
     * `commitsOnly` asks for the commits without their trees (`--filter=tree:0`), enough to list a
     * history; a server that does not filter sends everything, as without it.
     */
    async fetchInto(source, from, to, depth, options = {}) {
        assertNotOption(source, 'remote');
        assertNotOption(from, 'ref');
        if (!isFullSha(from) && !(from.startsWith('refs/') && (await this.checkRefFormat(from)))) {
            throw new InvalidRefError(from, 'expected a full commit SHA or a refs/... name');
        }
        if (to !== undefined && !(to.startsWith('refs/') && (await this.checkRefFormat(to)))) {
            throw new InvalidRefError(to ?? '', 'expected a refs/... name');
        }
        if (to === undefined && !isFullSha(from))
            throw new InvalidRefError(from, 'a ref name needs a destination ref');
        if (depth !== null && !(Number.isInteger(depth) && depth > 0)) {
            throw new RangeError(`fetch depth must be a positive integer, got ${depth}`);
        }
        await this.git('fetch', [
            '--no-tags',
            '--prune',
            '--no-recurse-submodules',
            ...(depth === null ? [] : [`--depth=${depth}`]),
            ...(options.commitsOnly ? ['--filter=tree:0'] : []),
            source,
            '--',
            to === undefined ? from : `+${from}:${to}`
        ], [0], ['-c', 'protocol.version=2', ...QUIET_CONFIG]);
        const sha = await this.revParseCommit(to ?? from);
        if (sha === undefined)
            throw new GitError('fetch', 0, `${from} is not a commit`);
        return sha;
    }
    /**
     * `git checkout --force --detach sha` in this repository's working tree. Repository hooks are not
     * run (a post-checkout hook is no business of a baseline build), nor an fsmonitor started.
     */
    async checkoutDetached(sha) {
        assertSha(sha);
        const config = ['-c', 'core.hooksPath=/dev/null', '-c', 'core.fsmonitor=false', ...QUIET_CONFIG];
        await this.git('checkout', ['--quiet', '--force', '--detach', sha], [0], config);
    }
    async git(command, args, okCodes = [0], config = []) {
        const r = await this.run('git', [...config, command, ...args], { cwd: this.repoDir, env: this.env });
        if (!okCodes.includes(r.code))
            throw new GitError(command, r.code, lastLine(r.stderr));
        return r;
    }
}
function assertSha(sha) {
    assertNotOption(sha, 'commit');
    if (!isFullSha(sha))
        throw new InvalidRefError(sha, 'expected a full commit SHA');
}

;// CONCATENATED MODULE: ./src/github/event.ts
// What the workflow event says about the commit under test: which repository, which commit is checked
// out, and what to compare it with. Pure: the payload (the parsed GITHUB_EVENT_PATH file) and the
// environment come in as data. The payload is untrusted JSON: every field is checked, and a missing or
// malformed field leaves that part undefined instead of throwing (RELIABILITY rows 24, 29, 30).
const PULL_REQUEST_EVENTS = (/* unused pure expression or super */ null && (['pull_request', 'pull_request_target']));
function isRecord(value) {
    return typeof value === 'object' && value !== null && !Array.isArray(value);
}
function field(value, ...path) {
    let current = value;
    for (const key of path) {
        if (!isRecord(current))
            return undefined;
        current = current[key];
    }
    return current;
}
// Control characters never belong in a ref or a name; such a value is treated as absent.
const event_CONTROL = /[\u0000-\u001f\u007f]/;
function event_text(value) {
    if (typeof value !== 'string' || value === '' || value.length > 1024 || event_CONTROL.test(value))
        return undefined;
    return value;
}
const SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const ZERO_SHA = /^0+$/;
/** A full commit id (SHA-1 or SHA-256), lowercased; anything else is undefined. */
function normalizeSha(value) {
    if (typeof value !== 'string')
        return undefined;
    const sha = value.trim().toLowerCase();
    return SHA.test(sha) ? sha : undefined;
}
function positiveInt(value) {
    return typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : undefined;
}
function optionalInt(key, value) {
    const n = positiveInt(value);
    return (n === undefined ? {} : { [key]: n });
}
const NAME_PART = /^[A-Za-z0-9_.-]+$/;
/** `owner/name` → RepoRef; undefined unless it is exactly two plain parts. */
function parseRepoFullName(value) {
    const full = event_text(value);
    if (full === undefined)
        return undefined;
    const parts = full.split('/');
    const [owner, name] = parts;
    if (parts.length !== 2 || owner === undefined || name === undefined)
        return undefined;
    if (!NAME_PART.test(owner) || !NAME_PART.test(name))
        return undefined;
    return { owner, name };
}
function payloadRepo(payload) {
    const fromFull = parseRepoFullName(field(payload, 'repository', 'full_name'));
    if (fromFull)
        return fromFull;
    const owner = event_text(field(payload, 'repository', 'owner', 'login'));
    const name = event_text(field(payload, 'repository', 'name'));
    return owner !== undefined && name !== undefined ? parseRepoFullName(`${owner}/${name}`) : undefined;
}
function sameRepo(a, b) {
    return a.toLowerCase() === b.toLowerCase();
}
function parsePullRequest(payload, repo, env) {
    const pr = field(payload, 'pull_request');
    const number = positiveInt(field(pr, 'number')) ?? positiveInt(field(payload, 'number'));
    if (number === undefined)
        return undefined;
    const headRepoFullName = event_text(field(pr, 'head', 'repo', 'full_name'));
    const baseRepoFullName = event_text(field(pr, 'base', 'repo', 'full_name')) ?? (repo ? `${repo.owner}/${repo.name}` : undefined);
    // Unknown head or base repository: assume a fork, the safe side for both tokens and builds.
    const isFork = headRepoFullName === undefined || baseRepoFullName === undefined || !sameRepo(headRepoFullName, baseRepoFullName);
    return {
        number,
        baseSha: normalizeSha(field(pr, 'base', 'sha')),
        headSha: normalizeSha(field(pr, 'head', 'sha')),
        baseRef: event_text(field(pr, 'base', 'ref')) ?? event_text(env['GITHUB_BASE_REF']),
        headRef: event_text(field(pr, 'head', 'ref')) ?? event_text(env['GITHUB_HEAD_REF']),
        headRepoFullName,
        isFork
    };
}
function parseMergeGroup(payload) {
    const group = field(payload, 'merge_group');
    if (!isRecord(group))
        return undefined;
    return {
        baseSha: normalizeSha(group['base_sha']),
        headSha: normalizeSha(group['head_sha']),
        baseRef: event_text(group['base_ref']),
        headRef: event_text(group['head_ref'])
    };
}
function parseWorkflowRun(payload, repo) {
    const run = field(payload, 'workflow_run');
    if (!isRecord(run))
        return undefined;
    const listed = Array.isArray(run['pull_requests']) ? run['pull_requests'].slice(0, 10) : [];
    const numbers = [];
    for (const pr of listed) {
        // pull-request-minimal names the base repository by URL only: keep those based here.
        const baseUrl = event_text(field(pr, 'base', 'repo', 'url'));
        const ours = repo !== undefined && baseUrl !== undefined && baseUrl.toLowerCase().endsWith(`/repos/${repo.owner}/${repo.name}`.toLowerCase());
        const number = positiveInt(field(pr, 'number'));
        if (ours && number !== undefined && !numbers.includes(number))
            numbers.push(number);
    }
    const headRepo = parseRepoFullName(field(run, 'head_repository', 'full_name'));
    return {
        event: event_text(run['event']),
        headSha: normalizeSha(run['head_sha']),
        headRepoFullName: headRepo ? `${headRepo.owner}/${headRepo.name}` : undefined,
        headBranch: event_text(run['head_branch']),
        pullRequestNumbers: numbers,
        ...optionalInt('runId', run['id']),
        ...optionalInt('runAttempt', run['run_attempt'])
    };
}
/**
 * Reads the event. `eventName` is GITHUB_EVENT_NAME, `payload` the parsed event file (any JSON, or
 * undefined when there is none), `env` the process environment (GITHUB_REPOSITORY, GITHUB_SHA,
 * GITHUB_REF, GITHUB_BASE_REF, GITHUB_HEAD_REF). Never throws.
 */
function parseEventContext(eventName, payload, env) {
    const repo = parseRepoFullName(env['GITHUB_REPOSITORY']) ?? payloadRepo(payload);
    const envSha = normalizeSha(env['GITHUB_SHA']);
    const base = {
        event: eventName,
        repo,
        ref: event_text(env['GITHUB_REF']) ?? event_text(field(payload, 'ref')),
        defaultBranch: event_text(field(payload, 'repository', 'default_branch'))
    };
    if (PULL_REQUEST_EVENTS.includes(eventName)) {
        const pullRequest = parsePullRequest(payload, repo, env);
        return {
            ...base,
            headSha: envSha ?? pullRequest?.headSha,
            baseSha: pullRequest?.baseSha,
            ...(pullRequest ? { pullRequest } : {})
        };
    }
    if (eventName === 'push') {
        const before = normalizeSha(field(payload, 'before'));
        const pushBefore = before !== undefined && !ZERO_SHA.test(before) ? before : undefined;
        return {
            ...base,
            headSha: envSha ?? normalizeSha(field(payload, 'after')),
            baseSha: pushBefore,
            ...(pushBefore ? { pushBefore } : {})
        };
    }
    if (eventName === 'merge_group') {
        const mergeGroup = parseMergeGroup(payload);
        return {
            ...base,
            headSha: envSha ?? mergeGroup?.headSha,
            baseSha: mergeGroup?.baseSha,
            ...(mergeGroup ? { mergeGroup } : {})
        };
    }
    if (eventName === 'workflow_run') {
        const workflowRun = parseWorkflowRun(payload, repo);
        return { ...base, headSha: envSha, baseSha: undefined, ...(workflowRun ? { workflowRun } : {}) };
    }
    // workflow_dispatch, schedule and anything else: measure the checked-out commit, no comparison.
    return { ...base, headSha: envSha, baseSha: undefined };
}
/** This run's id and attempt (GITHUB_RUN_ID, GITHUB_RUN_ATTEMPT); undefined outside Actions. */
function runStampFromEnv(env) {
    const idText = env.GITHUB_RUN_ID ?? '';
    const attemptText = env.GITHUB_RUN_ATTEMPT ?? '';
    if (!/^\d{1,15}$/.test(idText))
        return undefined;
    const attempt = /^\d{1,6}$/.test(attemptText) && Number(attemptText) > 0 ? Number(attemptText) : 1;
    return { id: Number(idText), attempt };
}
/** The page of this run, where its job summary is shown; undefined outside Actions. */
function runPageUrl(env) {
    const server = (env.GITHUB_SERVER_URL || 'https://github.com').replace(/\/+$/, '');
    const repo = parseRepoFullName(env.GITHUB_REPOSITORY);
    const id = env.GITHUB_RUN_ID ?? '';
    if (!repo || !/^\d{1,15}$/.test(id) || !/^https?:\/\/[A-Za-z0-9.:-]+(\/[A-Za-z0-9._~/-]*)?$/.test(server))
        return undefined;
    return `${server}/${repo.owner}/${repo.name}/actions/runs/${id}`;
}

;// CONCATENATED MODULE: ./src/registry/reference.ts
// Image references as docker reads them (distribution's reference grammar and its normalisation,
// ParseNormalizedNamed): `alpine` is `docker.io/library/alpine:latest`, a first component with a
// `.` or a `:`, or `localhost`, or an upper-case letter, is a registry host, and the rest is a
// lower-case repository path, then an optional `:tag` and an optional `@sha256:<64 hex>` (which wins
// over the tag when both are given, as in `docker pull`). Docker Hub is named `docker.io` but served
// from `registry-1.docker.io`. Pure: a string in, a reference or an error naming the value and the
// accepted forms out.
const DOCKER_HUB = 'docker.io';
/** Where Docker Hub's registry API answers. */
const DOCKER_HUB_REGISTRY = 'registry-1.docker.io';
const LEGACY_DOCKER_HUB = 'index.docker.io';
const DEFAULT_TAG = 'latest';
const NAME_MAX = 255;
// distribution/reference's regexp.go, piece by piece.
const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?`;
const PATH = `${COMPONENT}(?:/${COMPONENT})*`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = 'sha256:[a-f0-9]{64}';
const DOMAIN_RE = new RegExp(`^${DOMAIN}$`);
const PATH_RE = new RegExp(`^${PATH}$`);
const TAG_RE = new RegExp(`^${TAG}$`);
const DIGEST_RE = new RegExp(`^${DIGEST}$`);
const LOCAL_ID_RE = /^(?:sha256:[a-f0-9]{64}|[a-f0-9]{12,64})$/;
/** The forms every reference error ends with. */
const REFERENCE_FORMS = 'an image reference is [HOST[:PORT]/]PATH[:TAG][@sha256:DIGEST], the path lower case, e.g. alpine, ghcr.io/acme/app:main or 127.0.0.1:5000/app@sha256:<64 hex>';
/** A value that is not an image reference; the message names it and the accepted forms. */
class InvalidReferenceError extends Error {
    value;
    why;
    name = 'InvalidReferenceError';
    constructor(value, 
    /** What is wrong with it, without the value. */
    why) {
        super(`${reference_quote(value)} is not an image reference: ${why}; ${REFERENCE_FORMS}`);
        this.value = value;
        this.why = why;
    }
}
/** The value as a message shows it: JSON-quoted (control characters escaped), cut at 200 characters. */
function reference_quote(value) {
    return JSON.stringify(value.length > 200 ? `${value.slice(0, 200)}…` : value);
}
/**
 * docker's splitDockerDomain: the first component is a registry host when it holds `.` or `:`, is
 * `localhost`, or has an upper-case letter; otherwise the whole name is on Docker Hub, where a
 * single component is under `library/`.
 */
function splitDomain(name) {
    const slash = name.indexOf('/');
    const first = slash === -1 ? '' : name.slice(0, slash);
    let domain = DOCKER_HUB;
    let remainder = name;
    if (slash !== -1 && (/[.:]/.test(first) || first === 'localhost' || first.toLowerCase() !== first)) {
        domain = first;
        remainder = name.slice(slash + 1);
    }
    if (domain === LEGACY_DOCKER_HUB)
        domain = DOCKER_HUB;
    if (domain === DOCKER_HUB && !remainder.includes('/'))
        remainder = `library/${remainder}`;
    return { domain, remainder };
}
/** Splits `path[:tag][@digest]`; the tag's colon is the last one before the `@` and after the last `/`. */
function splitTagDigest(rest) {
    const at = rest.indexOf('@');
    const named = at === -1 ? rest : rest.slice(0, at);
    const digest = at === -1 ? undefined : rest.slice(at + 1);
    const colon = named.lastIndexOf(':');
    const hasTag = colon > named.lastIndexOf('/');
    return {
        path: hasTag ? named.slice(0, colon) : named,
        ...(hasTag ? { tag: named.slice(colon + 1) } : {}),
        ...(digest !== undefined ? { digest } : {})
    };
}
/** Parses and normalises `value` as docker does; throws InvalidReferenceError. */
function parseReference(value) {
    if (value === '')
        throw new InvalidReferenceError(value, 'it is empty');
    if (/^[a-f0-9]{64}$/.test(value))
        throw new InvalidReferenceError(value, 'a 64-digit hexadecimal string is an image id, not a name');
    if (/[\s\u0000-\u001f\u007f]/.test(value))
        throw new InvalidReferenceError(value, 'it holds white space or control characters');
    const { domain, remainder } = splitDomain(value);
    if (!DOMAIN_RE.test(domain))
        throw new InvalidReferenceError(value, `${reference_quote(domain)} is not a registry host[:port]`);
    const { path, tag, digest } = splitTagDigest(remainder);
    if (path.toLowerCase() !== path)
        throw new InvalidReferenceError(value, 'the repository path must be lower case');
    if (!PATH_RE.test(path)) {
        throw new InvalidReferenceError(value, 'the repository path is lower-case letters and digits, separated by one ".", "_", "__" or dashes, in components joined by "/"');
    }
    if (`${domain}/${path}`.length > NAME_MAX)
        throw new InvalidReferenceError(value, `the name is longer than ${NAME_MAX} characters`);
    if (tag !== undefined && !TAG_RE.test(tag)) {
        throw new InvalidReferenceError(value, 'a tag is 1 to 128 letters, digits, "_", "." or "-", not starting with "." or "-"');
    }
    if (digest !== undefined && !DIGEST_RE.test(digest))
        throw new InvalidReferenceError(value, 'a digest is sha256: and 64 lower-case hexadecimal digits');
    return {
        domain,
        registry: domain === DOCKER_HUB ? DOCKER_HUB_REGISTRY : domain,
        repository: path,
        ...(tag !== undefined || digest === undefined ? { tag: tag ?? DEFAULT_TAG } : {}),
        ...(digest !== undefined ? { digest } : {})
    };
}
/** The full normalised name: `docker.io/library/alpine:latest`, `host/app:tag@sha256:…`. */
function referenceString(ref) {
    return `${ref.domain}/${ref.repository}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}
/** What the registry is asked for: the digest when given, else the tag. */
function manifestReference(ref) {
    return ref.digest ?? ref.tag ?? DEFAULT_TAG;
}
/** True for what names an image of the local engine by id: `sha256:<64 hex>`, or 12 to 64 hex digits. */
function isLocalImageId(value) {
    return LOCAL_ID_RE.test(value);
}
/** True when `value` reads as a registry reference and not as a local image id. */
function isRegistryReference(value) {
    if (isLocalImageId(value))
        return false;
    try {
        parseReference(value);
        return true;
    }
    catch {
        return false;
    }
}

;// CONCATENATED MODULE: external "node:net"
const external_node_net_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:net");
;// CONCATENATED MODULE: ./src/inputs/errors.ts
// The error every input check throws: names the input, echoes the bad value (never a secret) and
// says what is accepted, e.g. `Invalid input 'max-increase': "ten" (expected e.g. 10MB, 512KiB, 5%)`.
const MAX_ECHO = 80;
/** JSON-quotes a value for a message, cut to 80 characters so a pasted blob can't flood the log. */
function quoteValue(value) {
    const chars = Array.from(value); // code points, so a surrogate pair is never split
    const cut = chars.length > MAX_ECHO ? `${chars.slice(0, MAX_ECHO - 1).join('')}…` : value;
    return JSON.stringify(cut);
}
class InputError extends Error {
    input;
    value;
    expected;
    name = 'InputError';
    /**
     * The message without the input's name: `"10" has no unit (expected e.g. 10MB, 512KiB)`. A config
     * file's error puts its own place and key in front of it instead (config/config.ts).
     */
    description;
    /**
     * @param input the action.yml input name
     * @param value the offending value, or undefined when it is secret and must not be echoed
     * @param expected the accepted forms, e.g. `e.g. 10MB, 512KiB, 5%`
     */
    constructor(input, value, expected, detail = {}) {
        const shown = value === undefined ? (detail.subject ?? 'the value') : quoteValue(value);
        const problem = detail.problem === undefined ? '' : ` ${detail.problem}`;
        const description = `${shown}${problem} (${detail.hint ?? `expected ${expected}`})`;
        super(`Invalid input '${input}': ${description}`);
        this.input = input;
        this.value = value;
        this.expected = expected;
        this.description = description;
    }
}

;// CONCATENATED MODULE: ./src/inputs/grammar.ts

// Keys are lowercase: the unit is matched case-insensitively, which is unambiguous because
// every accepted unit stays distinct once lowercased (no bits, no milli-).
const UNITS = new Map([
    ['B', 1n],
    ['kB', 1000n],
    ['MB', 1000n ** 2n],
    ['GB', 1000n ** 3n],
    ['TB', 1000n ** 4n],
    ['KiB', 1024n],
    ['MiB', 1024n ** 2n],
    ['GiB', 1024n ** 3n],
    ['TiB', 1024n ** 4n]
].map(([label, factor]) => [label.toLowerCase(), { label, factor }]));
const UNIT_LIST = 'B, kB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024)';
const SIZE_EXPECTED = 'e.g. 10MB, 512KiB';
const THRESHOLD_EXPECTED = 'e.g. 10MB, 512KiB, 5%';
const COUNT_EXPECTED = 'a whole number ≥ 0, e.g. 20';
const BOOLEAN_EXPECTED = 'true or false';
const TARGET_NAME_EXPECTED = 'a stage name: a letter, then letters, digits, "_", "." or "-", at most 128 characters';
const DECIMAL = /^(\d+)(?:\.(\d+))?$/;
const SIZE = /^(\d+(?:\.\d+)?)[ \t]*([A-Za-z]+)$/;
const PERCENT = /^(\d+(?:\.\d+)?)[ \t]*%$/;
/** `007.50` → `7.5`: the number as a user would write it. */
function normalizeDecimal(intPart, fracPart) {
    const int = BigInt(intPart).toString();
    const frac = fracPart.replace(/0+$/, '');
    return frac === '' ? int : `${int}.${frac}`;
}
function explainBadSize(text) {
    if (text === '')
        return 'is empty';
    if (/^-\d/.test(text))
        return 'is negative';
    if (DECIMAL.test(text))
        return 'has no unit';
    return undefined;
}
function sizeBytes(input, text, expected) {
    const m = SIZE.exec(text);
    if (!m)
        throw new InputError(input, text, expected, optionalProblem(explainBadSize(text)));
    const [, numberText = '', unitText = ''] = m;
    const unit = UNITS.get(unitText.toLowerCase());
    if (!unit) {
        throw new InputError(input, text, expected, {
            problem: `has an unknown unit ${JSON.stringify(unitText)}; units are ${UNIT_LIST}`
        });
    }
    const [, intPart = '0', fracPart = ''] = DECIMAL.exec(numberText) ?? [];
    // Exact arithmetic: 1.5MB is 1500000 bytes, not 1499999.9999.
    const scale = 10n ** BigInt(fracPart.length);
    const scaled = BigInt(intPart + fracPart) * unit.factor;
    if (scaled % scale !== 0n) {
        throw new InputError(input, text, expected, { problem: 'is not a whole number of bytes' });
    }
    const bytes = scaled / scale;
    if (bytes > BigInt(Number.MAX_SAFE_INTEGER)) {
        throw new InputError(input, text, expected, { problem: 'is too large' });
    }
    return { bytes: Number(bytes), text: `${normalizeDecimal(intPart, fracPart)} ${unit.label}` };
}
function optionalProblem(problem) {
    return problem === undefined ? {} : { problem };
}
/** A size in bytes: `10MB`, `1.5 GB`, `512KiB`, `10 mb`. A unit is required. */
function parseSize(input, text) {
    return sizeBytes(input, text, SIZE_EXPECTED).bytes;
}
/** A size, or a percentage of the base size when `percent` is allowed (max-increase). */
function parseThreshold(input, text, options) {
    const expected = options.percent ? THRESHOLD_EXPECTED : SIZE_EXPECTED;
    const p = PERCENT.exec(text);
    if (p) {
        if (!options.percent) {
            throw new InputError(input, text, expected, { problem: `is a percentage, which ${input} does not accept` });
        }
        const [, numberText = ''] = p;
        const [, intPart = '0', fracPart = ''] = DECIMAL.exec(numberText) ?? [];
        const percent = Number(numberText);
        if (!Number.isFinite(percent))
            throw new InputError(input, text, expected, { problem: 'is too large' });
        return { kind: 'percent', percent, text: `${normalizeDecimal(intPart, fracPart)}%` };
    }
    const size = sizeBytes(input, text, expected);
    return { kind: 'bytes', bytes: size.bytes, text: size.text };
}
/** A non-negative integer, e.g. a layer count. */
function parseCount(input, text) {
    if (!/^\d+$/.test(text)) {
        throw new InputError(input, text, COUNT_EXPECTED, optionalProblem(/^-\d/.test(text) ? 'is negative' : undefined));
    }
    const n = Number(text);
    if (!Number.isSafeInteger(n))
        throw new InputError(input, text, COUNT_EXPECTED, { problem: 'is too large' });
    return n;
}
/**
 * `VALUE` for every target and/or `target=VALUE` entries, separated by commas or newlines:
 * `10%`, `release=5%,debug=50MB`, `5%, debug=50MB`. Target keys are lowercased (stage names are
 * case-insensitive). Empty text gives no fallback and no entries.
 */
function parsePerTarget(input, text, parseOne) {
    const byTarget = new Map();
    let fallback;
    const expected = `one value for all targets and/or target=value entries, e.g. 10%, release=5MB`;
    for (const entry of parseList(text)) {
        const eq = entry.indexOf('=');
        if (eq < 0) {
            if (fallback !== undefined) {
                throw new InputError(input, entry, expected, { problem: 'is a second value without a target' });
            }
            fallback = { value: parseOne(entry) };
            continue;
        }
        const target = entry.slice(0, eq).trim();
        if (!isValidTargetName(target)) {
            throw new InputError(input, target, TARGET_NAME_EXPECTED, { problem: 'is not a valid target name' });
        }
        const key = target.toLowerCase();
        if (byTarget.has(key)) {
            throw new InputError(input, target, expected, { problem: 'is given more than once' });
        }
        byTarget.set(key, parseOne(entry.slice(eq + 1).trim()));
    }
    return fallback === undefined ? { byTarget } : { fallback: fallback.value, byTarget };
}
const TRUE = new Set(['true', 'True', 'TRUE']);
const FALSE = new Set(['false', 'False', 'FALSE']);
/** YAML 1.2 core schema booleans only, like @actions/core getBooleanInput; `yes`, `1`, `on` fail. */
function parseBoolean(input, text) {
    if (TRUE.has(text))
        return true;
    if (FALSE.has(text))
        return false;
    throw new InputError(input, text, BOOLEAN_EXPECTED);
}
/** Items separated by commas or newlines, trimmed, empties dropped. */
function parseList(text) {
    return text
        .split(/[,\r\n]/)
        .map((s) => s.trim())
        .filter((s) => s !== '');
}
/** Lines, trimmed, empties dropped; for values that may contain commas (build-args). */
function parseLines(text) {
    return text
        .split(/\r?\n|\r/)
        .map((s) => s.trim())
        .filter((s) => s !== '');
}
const TARGET_NAME = /^[a-zA-Z][a-zA-Z0-9_.-]*$/;
/** Dockerfile stage-name rules. */
function isValidTargetName(s) {
    return s.length <= 128 && TARGET_NAME.test(s);
}

;// CONCATENATED MODULE: ./src/inputs/build.ts
// The inputs that shape a build beyond its context, with docker/build-push-action's names and
// syntax so that the `with:` of a build step can be copied: secrets, secret-files, secret-envs, ssh,
// build-contexts, labels, no-cache, pull, shm-size, ulimit, add-hosts, allow, provenance, sbom.
// Pure: text in, BuildSettings or InputError out. Lists are read as docker/actions-toolkit reads them
// (Util.getList): each line is CSV, `"…"` groups a field and `""` is a quote inside it; the inputs
// whose items may hold commas (secrets, secret-files, build-contexts, labels, ulimit) take one item
// per line, the others (secret-envs, ssh, add-hosts, allow) one per comma or line.
// A secret's value is never echoed: its errors name the line.




const build_CONTROL = /[\u0000-\u001f\u007f]/;
/** A secret or ssh id: what `RUN --mount=type=secret,id=…` names. */
const ID = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const ID_EXPECTED = 'an id of letters, digits, "_", "." or "-", at most 128 characters';
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const CONTEXT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.\/:@-]{0,254}$/;
const LABEL_KEY = /^[A-Za-z0-9][^\s=",]*$/;
const IMAGE_REF = /^[A-Za-z0-9][^\s,"]*$/;
// docker's RAMInBytes (go-units): a number, an optional unit letter, an optional `i` and `b`.
const SHM_SIZE = /^\d+(?:\.\d+)? ?[kKmMgGtTpP]?[iI]?[bB]?$/;
const ULIMIT = /^([a-z]+)=(-?\d+)(?::(-?\d+))?$/;
const ULIMIT_TYPES = ['core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack'];
const HOST_NAME = /^[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?$/;
const ENTITLEMENTS = ['network.host', 'security.insecure'];
const ATTEST_FIELD = /^[a-z][a-z0-9-]*=[^\s,"]+$/;
/** The CSV fields of one line; `fail` builds the error (it must not echo a secret line). */
function csvFields(line, fail) {
    const fields = [];
    let i = 0;
    for (;;) {
        if (line[i] === '"') {
            let value = '';
            i++;
            for (;;) {
                const q = line.indexOf('"', i);
                if (q < 0)
                    throw fail('has a quote that is not closed');
                value += line.slice(i, q);
                i = q + 1;
                if (line[i] !== '"')
                    break;
                value += '"';
                i++;
            }
            if (i < line.length && line[i] !== ',')
                throw fail('has text after a closing quote');
            fields.push(value);
        }
        else {
            const comma = line.indexOf(',', i);
            const end = comma < 0 ? line.length : comma;
            fields.push(line.slice(i, end));
            i = end;
        }
        if (i >= line.length)
            return fields;
        i++;
    }
}
/**
 * A list input read as docker/build-push-action reads it: one item per line (`perLine`), its CSV
 * fields joined again by commas, or one per field and comma. Items trimmed, empties dropped; each
 * keeps the number of its line for the messages that must not echo it.
 */
function parseCsvList(input, text, perLine, expected, secret = false) {
    const items = [];
    for (const [i, raw] of text.split(/\r?\n|\r/).entries()) {
        const line = raw.trim();
        if (line === '')
            continue;
        const fail = (problem) => secret ? new InputError(input, undefined, expected, { subject: `line ${i + 1}`, problem }) : new InputError(input, line, expected, { problem });
        const fields = csvFields(line, fail);
        const texts = perLine ? [fields.join(',')] : fields.length === 1 ? fields[0].split(',') : fields;
        for (const t of texts)
            if (t.trim() !== '')
                items.push({ text: t.trim(), line: i + 1 });
    }
    return items;
}
/** `id=rest` split at the first `=`, the id checked; a secret item is named by its line, never echoed. */
function keyValue(input, item, expected, secret) {
    const shown = secret ? undefined : item.text;
    const subject = { subject: `line ${item.line}` };
    const eq = item.text.indexOf('=');
    if (eq < 0)
        throw new InputError(input, shown, expected, { ...subject, problem: 'has no "="' });
    const id = item.text.slice(0, eq).trim();
    const rest = item.text.slice(eq + 1);
    if (!ID.test(id)) {
        const problem = id === '' ? 'has no id before "="' : `has an invalid id ${JSON.stringify(id.slice(0, 80))}`;
        throw new InputError(input, shown, `${expected}; ${ID_EXPECTED}`, { ...subject, problem });
    }
    if (rest.trim() === '')
        throw new InputError(input, shown, expected, { ...subject, problem: `has nothing after "${id}="` });
    return [id, rest];
}
function onePath(input, text, expected) {
    if (build_CONTROL.test(text))
        throw new InputError(input, text, expected, { problem: 'contains a control character' });
    return text;
}
/** `secrets`, `secret-files` and `secret-envs`, each id once across the three. */
function parseSecrets(secrets, files, envs) {
    const out = [];
    const seen = new Map();
    const add = (input, secret) => {
        const before = seen.get(secret.id);
        if (before !== undefined) {
            throw new InputError(input, secret.id, 'each secret id once across secrets, secret-files and secret-envs', {
                problem: `is already given by ${before}`
            });
        }
        seen.set(secret.id, input);
        out.push(secret);
    };
    const valueExpected = 'id=value lines, e.g. NPM_TOKEN=${{ secrets.NPM_TOKEN }}';
    for (const item of parseCsvList(INPUT.secrets, secrets, true, valueExpected, true)) {
        const [id, value] = keyValue(INPUT.secrets, item, valueExpected, true);
        if (value.includes('\0')) {
            throw new InputError(INPUT.secrets, undefined, valueExpected, { subject: `the value of ${id}`, problem: 'contains a NUL character' });
        }
        add(INPUT.secrets, { id, kind: 'value', value });
    }
    const fileExpected = 'id=path lines, e.g. aws=${{ runner.temp }}/aws-credentials';
    for (const item of parseCsvList(INPUT.secretFiles, files, true, fileExpected)) {
        const [id, file] = keyValue(INPUT.secretFiles, item, fileExpected, false);
        add(INPUT.secretFiles, { id, kind: 'file', path: onePath(INPUT.secretFiles, file.trim(), fileExpected) });
    }
    const envExpected = 'id=VARIABLE entries, comma or newline separated, e.g. npm=NPM_TOKEN';
    for (const item of parseCsvList(INPUT.secretEnvs, envs, false, envExpected)) {
        const [id, variable] = keyValue(INPUT.secretEnvs, item, envExpected, false);
        const name = variable.trim();
        if (!ENV_NAME.test(name)) {
            throw new InputError(INPUT.secretEnvs, item.text, envExpected, { problem: `names no environment variable (${JSON.stringify(name.slice(0, 80))})` });
        }
        add(INPUT.secretEnvs, { id, kind: 'env', variable: name });
    }
    return out;
}
/** `ssh`: `default`, an id (the agent of SSH_AUTH_SOCK under that id) or `id=path` (a socket or key). */
function parseSsh(text) {
    const expected = 'default, an id, or id=path (an agent socket or a private key), comma or newline separated';
    const out = [];
    for (const item of parseCsvList(INPUT.ssh, text, false, expected)) {
        const eq = item.text.indexOf('=');
        const id = (eq < 0 ? item.text : item.text.slice(0, eq)).trim();
        if (!ID.test(id))
            throw new InputError(INPUT.ssh, item.text, `${expected}; ${ID_EXPECTED}`);
        if (out.some((s) => s.id === id))
            throw new InputError(INPUT.ssh, id, 'each id once', { problem: 'is given more than once' });
        if (eq < 0) {
            out.push({ id });
            continue;
        }
        const p = item.text.slice(eq + 1).trim();
        if (p === '')
            throw new InputError(INPUT.ssh, item.text, expected, { problem: `has nothing after "${id}="` });
        out.push({ id, path: onePath(INPUT.ssh, p, expected) });
    }
    return out;
}
/** `build-contexts`: `name=path` (a directory), `name=docker-image://REF` or `name=target:STAGE`, one per line. */
function parseBuildContexts(text) {
    const expected = 'name=value lines, value a directory, docker-image://REF or target:STAGE, e.g. extra=./other';
    const out = [];
    for (const item of parseCsvList(INPUT.buildContexts, text, true, expected)) {
        const eq = item.text.indexOf('=');
        if (eq < 0)
            throw new InputError(INPUT.buildContexts, item.text, expected, { problem: 'has no "="' });
        const name = item.text.slice(0, eq).trim();
        const value = item.text.slice(eq + 1).trim();
        if (!CONTEXT_NAME.test(name)) {
            throw new InputError(INPUT.buildContexts, item.text, expected, {
                problem: name === '' ? 'has no name before "="' : 'has a name that is not a stage or image name'
            });
        }
        if (out.some((c) => c.name === name))
            throw new InputError(INPUT.buildContexts, name, 'each name once', { problem: 'is given more than once' });
        if (value === '')
            throw new InputError(INPUT.buildContexts, item.text, expected, { problem: `has nothing after "${name}="` });
        out.push(namedContext(name, value, item.text, expected));
    }
    return out;
}
function namedContext(name, value, text, expected) {
    if (value.startsWith('docker-image://')) {
        const ref = value.slice('docker-image://'.length);
        if (!IMAGE_REF.test(ref)) {
            throw new InputError(INPUT.buildContexts, text, expected, { problem: 'needs an image reference without spaces, commas or quotes after docker-image://' });
        }
        return { name, kind: 'image', ref };
    }
    if (value.startsWith('target:')) {
        const stage = value.slice('target:'.length);
        if (!isValidTargetName(stage))
            throw new InputError(INPUT.buildContexts, text, expected, { problem: 'needs a stage name after target:' });
        return { name, kind: 'target', stage };
    }
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value) || value.startsWith('git@')) {
        throw new InputError(INPUT.buildContexts, text, expected, {
            problem: 'is a remote context, which is not measured alike on both sides; only directories, docker-image:// and target: are'
        });
    }
    return { name, kind: 'directory', path: onePath(INPUT.buildContexts, value, expected) };
}
/** `labels`: `key=value` lines. */
function parseLabels(text) {
    const expected = 'key=value lines, e.g. org.opencontainers.image.source=https://github.com/o/r';
    const out = [];
    for (const item of parseCsvList(INPUT.labels, text, true, expected)) {
        const eq = item.text.indexOf('=');
        const key = eq < 0 ? '' : item.text.slice(0, eq).trim();
        if (!LABEL_KEY.test(key))
            throw new InputError(INPUT.labels, item.text, expected, { problem: eq < 0 ? 'has no "="' : 'has an invalid key' });
        const value = item.text.slice(eq + 1);
        if (build_CONTROL.test(value))
            throw new InputError(INPUT.labels, item.text, expected, { problem: 'contains a control character' });
        out.push([key, value]);
    }
    return out;
}
function parseShmSize(text) {
    if (text === '')
        return undefined;
    if (!SHM_SIZE.test(text))
        throw new InputError(INPUT.shmSize, text, 'a size as docker writes it, e.g. 2g, 512m, 1.5gb');
    return text;
}
/** `ulimit`: `type=soft[:hard]` lines, each type once. */
function parseUlimits(text) {
    const expected = `type=soft[:hard] lines, e.g. nofile=1024:2048; types ${ULIMIT_TYPES.join(', ')}`;
    const out = [];
    const seen = new Set();
    for (const item of parseCsvList(INPUT.ulimit, text, true, expected)) {
        const m = ULIMIT.exec(item.text);
        if (!m || !ULIMIT_TYPES.includes(m[1]))
            throw new InputError(INPUT.ulimit, item.text, expected);
        if (seen.has(m[1]))
            throw new InputError(INPUT.ulimit, item.text, 'each type once', { problem: `sets ${m[1]} again` });
        seen.add(m[1]);
        out.push(item.text);
    }
    return out;
}
/** `add-hosts`: `host:ip` (or `host=ip`), comma or newline separated; given to buildx as `host:ip`. */
function parseAddHosts(text) {
    const expected = 'host:ip entries, comma or newline separated, e.g. db.local:10.0.0.5 or gateway:host-gateway';
    return parseCsvList(INPUT.addHosts, text, false, expected).map((item) => {
        const at = item.text.search(/[:=]/);
        const host = at < 0 ? '' : item.text.slice(0, at);
        const ip = item.text.slice(at + 1);
        if (!HOST_NAME.test(host) || (ip !== 'host-gateway' && (0,external_node_net_namespaceObject.isIP)(ip) === 0))
            throw new InputError(INPUT.addHosts, item.text, expected);
        return `${host}:${ip}`;
    });
}
/** `allow`: entitlements, comma or newline separated, each once. */
function parseAllow(text) {
    const out = [];
    for (const item of parseCsvList(INPUT.allow, text, false, `a list of ${ENTITLEMENTS.join(', ')}`)) {
        const known = ENTITLEMENTS.find((e) => e === item.text);
        if (known === undefined)
            throw new InputError(INPUT.allow, item.text, `a list of ${ENTITLEMENTS.join(', ')}`);
        if (!out.includes(known))
            out.push(known);
    }
    return out;
}
/** `provenance` and `sbom`: `true`, `false`, or buildx attributes `key=value[,key=value]` (provenance `mode=min|max`). */
function parseAttestation(input, text) {
    if (text === '')
        return undefined;
    const expected = input === INPUT.provenance ? 'true, false or attributes such as mode=max' : 'true, false or attributes such as generator=IMAGE';
    if (/^(true|false)$/i.test(text))
        return String(parseBoolean(input, text));
    const fields = text.split(',').map((f) => f.trim());
    for (const f of fields) {
        if (!ATTEST_FIELD.test(f))
            throw new InputError(input, text, expected, { problem: `has an invalid attribute ${JSON.stringify(f.slice(0, 80))}` });
        if (input === INPUT.provenance && f.startsWith('mode=') && f !== 'mode=min' && f !== 'mode=max') {
            throw new InputError(input, text, expected, { problem: 'has a mode other than min or max' });
        }
    }
    return fields.join(',');
}
/** Every build setting input, parsed; `read` returns the value or its default (names.ts DEFAULTS). */
function parseBuildSettings(read) {
    return {
        secrets: parseSecrets(read(INPUT.secrets), read(INPUT.secretFiles), read(INPUT.secretEnvs)),
        ssh: parseSsh(read(INPUT.ssh)),
        contexts: parseBuildContexts(read(INPUT.buildContexts)),
        labels: parseLabels(read(INPUT.labels)),
        noCache: parseBoolean(INPUT.noCache, read(INPUT.noCache)),
        pull: parseBoolean(INPUT.pull, read(INPUT.pull)),
        shmSize: parseShmSize(read(INPUT.shmSize)),
        ulimits: parseUlimits(read(INPUT.ulimit)),
        addHosts: parseAddHosts(read(INPUT.addHosts)),
        allow: parseAllow(read(INPUT.allow)),
        provenance: parseAttestation(INPUT.provenance, read(INPUT.provenance)),
        sbom: parseAttestation(INPUT.sbom, read(INPUT.sbom))
    };
}
/** The inputs that hand the build something secret (a fork's code must never get them), in input order, when set. */
function secretInputsSet(build) {
    const kinds = new Set(build.secrets.map((s) => s.kind));
    return [
        ...(kinds.has('value') ? [INPUT.secrets] : []),
        ...(kinds.has('file') ? [INPUT.secretFiles] : []),
        ...(kinds.has('env') ? [INPUT.secretEnvs] : []),
        ...(build.ssh.length > 0 ? [INPUT.ssh] : [])
    ];
}

;// CONCATENATED MODULE: ./src/inputs/inputs.ts





const MAX_TARGETS = 50;
/** Entries of `reports` at most (each may be a glob or a directory of many reports). */
const MAX_REPORT_ENTRIES = 100;
const BASELINES = ['auto', 'build', 'report', 'none'];
const METRICS = ['compressed', 'uncompressed'];
const COMMENTS = ['always', 'on-change', 'on-regression', 'never'];
const DETAILS = ['layers', 'files', 'trend'];
const NETWORKS = ['default', 'none', 'host'];
const MODES = ['measure', 'merge', 'comment'];
const BUILD_ARG_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PLATFORM = /^[a-z0-9_]+\/[a-z0-9_]+(?:\/[a-z0-9_]+)?$/;
const BUILDER = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
// comment-key and name: they appear in file paths, cache keys and the hidden marker.
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const NAME_EXPECTED = 'letters, digits, ".", "_" or "-", starting with a letter or digit, at most 64 characters';
const inputs_CONTROL = /[\u0000-\u001f\u007f]/;
const NUL_OR_NEWLINE = /[\0\r\n]/;
function oneOf(input, text, values) {
    const found = values.find((v) => v === text);
    if (found === undefined)
        throw new InputError(input, text, `one of ${values.join(', ')}`);
    return found;
}
/** A path-like string: anything but NUL and line breaks (they can't reach buildx intact). */
function pathLike(input, text) {
    if (NUL_OR_NEWLINE.test(text)) {
        throw new InputError(input, text, 'a path on one line', { problem: 'contains a NUL or line break' });
    }
    return text;
}
/** `targets`: stage names, comma or newline separated, each once, at most MAX_TARGETS. */
function parseTargets(text) {
    const targets = parseList(text);
    const seen = new Set();
    for (const t of targets) {
        if (!isValidTargetName(t)) {
            throw new InputError(INPUT.targets, t, TARGET_NAME_EXPECTED, { problem: 'is not a valid target name' });
        }
        const key = t.toLowerCase();
        if (seen.has(key)) {
            throw new InputError(INPUT.targets, t, 'each target once (names are case-insensitive)', {
                problem: 'is listed more than once'
            });
        }
        seen.add(key);
    }
    if (targets.length > MAX_TARGETS) {
        throw new InputError(INPUT.targets, text, `at most ${MAX_TARGETS} targets`, {
            problem: `lists ${targets.length} targets`
        });
    }
    return targets;
}
/** A build argument's NAME: letters, digits and `_`, not starting with a digit. */
function isValidBuildArgName(name) {
    return BUILD_ARG_NAME.test(name);
}
/** `build-args`: one `NAME=value` per line; errors name the line, never the value. */
function parseBuildArgs(text) {
    // Numbered by the raw line so the message points at the right one; empty lines are skipped.
    const entries = text.split(/\r?\n|\r/).map((raw, i) => ({ text: raw.trim(), subject: `line ${i + 1}` }));
    return parseBuildArgEntries(entries.filter((e) => e.text !== ''));
}
/**
 * `NAME=value` entries, each with the words an error names it by (`line 3` of the input, `entry 2`
 * of a config file's list), so that a message can point at it without echoing its value.
 */
function parseBuildArgEntries(entries) {
    const expected = 'NAME=value lines, NAME made of letters, digits and "_", not starting with a digit';
    const args = [];
    const seen = new Set();
    for (const { text: line, subject } of entries) {
        const eq = line.indexOf('=');
        // Values are secret-ish: errors name the line or the NAME, never the value.
        if (eq < 0) {
            throw new InputError(INPUT.buildArgs, undefined, expected, { subject, problem: "has no '='" });
        }
        const name = line.slice(0, eq).trim();
        const value = line.slice(eq + 1);
        if (!BUILD_ARG_NAME.test(name)) {
            throw new InputError(INPUT.buildArgs, undefined, expected, {
                subject,
                problem: name === '' ? 'has no NAME before "="' : `has an invalid NAME ${JSON.stringify(name.slice(0, 80))}`
            });
        }
        if (value.includes('\0')) {
            throw new InputError(INPUT.buildArgs, undefined, expected, {
                subject: `the value of ${name}`,
                problem: 'contains a NUL character'
            });
        }
        if (seen.has(name)) {
            throw new InputError(INPUT.buildArgs, undefined, 'each NAME once', { subject: name, problem: 'is given twice' });
        }
        seen.add(name);
        args.push([name, value]);
    }
    return args;
}
/** `platforms`: `os/arch[/variant]`, comma or newline separated, each once. */
function parsePlatforms(text) {
    const platforms = parseList(text);
    const seen = new Set();
    for (const p of platforms) {
        if (!PLATFORM.test(p)) {
            throw new InputError(INPUT.platforms, p, 'os/arch[/variant] in lowercase, e.g. linux/amd64, linux/arm64/v8');
        }
        if (seen.has(p)) {
            throw new InputError(INPUT.platforms, p, 'each platform once', { problem: 'is listed more than once' });
        }
        seen.add(p);
    }
    return platforms;
}
function parseCache(text) {
    const expected = 'gha, none, local=<dir> or registry=<ref>';
    if (text === 'gha')
        return { type: 'gha' };
    if (text === 'none')
        return { type: 'none' };
    // Both values end up inside a buildx CSV spec (`type=local,src=<dir>`): a comma or quote would
    // smuggle extra options in.
    if (text.startsWith('local=')) {
        const dir = text.slice('local='.length).trim();
        if (dir === '' || /[,"]/.test(dir) || inputs_CONTROL.test(dir)) {
            throw new InputError(INPUT.cache, text, expected, {
                problem: 'needs a directory without commas, quotes or control characters'
            });
        }
        return { type: 'local', dir };
    }
    if (text.startsWith('registry=')) {
        const ref = text.slice('registry='.length).trim();
        if (ref === '' || /[\s,"]/.test(ref) || inputs_CONTROL.test(ref) || ref.startsWith('-')) {
            throw new InputError(INPUT.cache, text, expected, {
                problem: 'needs an image reference without spaces, commas or quotes, not starting with "-"'
            });
        }
        return { type: 'registry', ref };
    }
    throw new InputError(INPUT.cache, text, expected);
}
/** `base-image`: one reference for all targets and/or one per target; none with a config file. */
function parseBaseImage(text, config) {
    return perTargetImages(INPUT.baseImage, text, config, (v) => parseImageReference(INPUT.baseImage, v));
}
/** `images`: an engine image's id or name, or a registry reference, for all targets and/or per target. */
function parseImages(text, config) {
    return perTargetImages(INPUT.images, text, config, (v) => (isLocalImageId(v) ? v : parseImageReference(INPUT.images, v)));
}
function perTargetImages(input, text, config, parseOne) {
    const images = parsePerTarget(input, text, parseOne);
    if (images.fallback === undefined && images.byTarget.size === 0)
        return undefined;
    if (config !== undefined) {
        throw new InputError(input, text, `no ${input} with a config file`, {
            problem: `cannot be used with config (${config}): the images of a config file each have their own targets`,
            hint: `give each image its own step with ${input}`
        });
    }
    return images;
}
/**
 * The image of each target from a per-target input (`base-image`, `images`): the target's own
 * first, else the one for all. An input error, before any build, when a name is no built target or
 * a target is left without an image.
 */
function imagesPerTarget(input, images, targets) {
    const known = new Set(targets.map((t) => t.toLowerCase()));
    for (const named of images.byTarget.keys()) {
        if (!known.has(named))
            throw new InputError(input, named, `one of the built targets: ${targets.join(', ')}`, { problem: 'is not a built target' });
    }
    const out = new Map();
    for (const target of targets) {
        const ref = images.byTarget.get(target.toLowerCase()) ?? images.fallback;
        if (ref === undefined) {
            throw new InputError(input, [...images.byTarget.keys()].join(','), 'an image for every target', {
                problem: `names no image for target ${target}`,
                hint: `give one value for all targets, or target=REF for each of ${targets.join(', ')}`
            });
        }
        out.set(target, ref);
    }
    return out;
}
/** A registry reference as docker reads it (`ghcr.io/acme/app:main`), kept as written. */
function parseImageReference(input, text) {
    try {
        parseReference(text);
    }
    catch (e) {
        if (!(e instanceof InvalidReferenceError))
            throw e;
        throw new InputError(input, text, REFERENCE_FORMS.replace(/^an image reference is /, 'an image reference: '), {
            problem: `is not an image reference (${e.why})`
        });
    }
    return text;
}
function parseBaseRef(text) {
    const expected = 'a commit SHA or ref: no spaces, "..", control characters or leading "-", at most 255 characters';
    if (/\s/.test(text) || inputs_CONTROL.test(text) || text.startsWith('-') || text.includes('..') || text.length > 255) {
        throw new InputError(INPUT.baseRef, text, expected);
    }
    return text;
}
function parseDetails(text) {
    const expected = `a list of ${DETAILS.join(', ')}, or none`;
    const items = parseList(text);
    if (items.length === 1 && items[0] === 'none')
        return [];
    const details = [];
    for (const item of items) {
        const kind = DETAILS.find((d) => d === item);
        if (kind === undefined) {
            const problem = item === 'none' ? { problem: 'cannot be combined with other values' } : {};
            throw new InputError(INPUT.details, item, expected, problem);
        }
        if (!details.includes(kind))
            details.push(kind);
    }
    return details;
}
function optional(text) {
    return text === '' ? undefined : text;
}
/** The `mode` input ('' is the default, `measure`); exported so the action can dispatch on it alone. */
function parseMode(text) {
    return oneOf(INPUT.mode, text === '' ? DEFAULTS[INPUT.mode] : text, MODES);
}
/**
 * `reports`: paths, globs or directories, comma or newline separated, read only by merge and comment
 * modes (which need at least one); setting it in measure mode is a mistake worth saying.
 */
function parseReports(text, mode) {
    const entries = parseList(text).map((e) => pathLike(INPUT.reports, e));
    if (mode === 'measure') {
        if (entries.length > 0) {
            throw new InputError(INPUT.reports, text, `no value in mode ${mode}`, {
                problem: 'is only read by mode merge or comment',
                hint: `set ${INPUT.mode}: merge (or comment) to publish reports of other jobs, or remove ${INPUT.reports}`
            });
        }
        return entries;
    }
    if (entries.length === 0) {
        throw new InputError(INPUT.reports, text, 'report files, globs or directories, comma or newline separated, e.g. reports/', {
            problem: `is required in mode ${mode}`
        });
    }
    if (entries.length > MAX_REPORT_ENTRIES) {
        throw new InputError(INPUT.reports, text, `at most ${MAX_REPORT_ENTRIES} entries (a directory or a glob covers many reports)`, {
            problem: `lists ${entries.length} entries`
        });
    }
    return entries;
}
/** `name`: a label for this job's image; merge and comment modes keep the labels their reports carry. */
function parseName(text, mode, config) {
    if (text === '')
        return undefined;
    // With a config file, every image is labelled by its own name: this one is ignored, and the step
    // says so (pipeline/config-images.ts ignoredInputs), as for the other single-image inputs.
    if (config !== undefined)
        return undefined;
    if (mode !== 'measure') {
        throw new InputError(INPUT.name, text, `no value in mode ${mode}`, {
            problem: 'labels a measured image, so it is only read in mode measure',
            hint: `in mode ${mode} every row keeps the image label of the report it comes from`
        });
    }
    if (!NAME.test(text))
        throw new InputError(INPUT.name, text, NAME_EXPECTED);
    return text;
}
/**
 * Parses and validates every input. `get` returns the trimmed raw value or '' (like
 * core.getInput); empty values take the DEFAULTS.
 */
function parseInputs(get) {
    const read = (name) => {
        const v = get(name);
        return v !== '' ? v : (DEFAULTS[name] ?? '');
    };
    const context = pathLike(INPUT.context, read(INPUT.context));
    const file = optional(pathLike(INPUT.file, read(INPUT.file)));
    const targets = parseTargets(read(INPUT.targets));
    const config = optional(pathLike(INPUT.config, read(INPUT.config)));
    const buildArgs = parseBuildArgs(read(INPUT.buildArgs));
    const platforms = parsePlatforms(read(INPUT.platforms));
    const networkText = read(INPUT.network);
    const network = networkText === '' ? undefined : oneOf(INPUT.network, networkText, NETWORKS);
    const builderText = read(INPUT.builder);
    if (builderText !== '' && !BUILDER.test(builderText)) {
        throw new InputError(INPUT.builder, builderText, 'a builder name: letters, digits, "_", "." or "-"');
    }
    const builder = optional(builderText);
    const cache = parseCache(read(INPUT.cache));
    const baseline = oneOf(INPUT.baseline, read(INPUT.baseline), BASELINES);
    const baseRefText = read(INPUT.baseRef);
    const baseRef = baseRefText === '' ? undefined : parseBaseRef(baseRefText);
    const baseImage = parseBaseImage(read(INPUT.baseImage), config);
    const images = parseImages(read(INPUT.images), config);
    const metric = oneOf(INPUT.metric, read(INPUT.metric), METRICS);
    const budgets = {
        maxIncrease: parsePerTarget(INPUT.maxIncrease, read(INPUT.maxIncrease), (v) => parseThreshold(INPUT.maxIncrease, v, { percent: true })),
        maxSize: parsePerTarget(INPUT.maxSize, read(INPUT.maxSize), (v) => parseThreshold(INPUT.maxSize, v, { percent: false })),
        maxLayers: parsePerTarget(INPUT.maxLayers, read(INPUT.maxLayers), (v) => parseCount(INPUT.maxLayers, v)),
        maxWasted: parsePerTarget(INPUT.maxWasted, read(INPUT.maxWasted), (v) => parseThreshold(INPUT.maxWasted, v, { percent: true }))
    };
    const failOnRegression = parseBoolean(INPUT.failOnRegression, read(INPUT.failOnRegression));
    const allowForkBuilds = parseBoolean(INPUT.allowForkBuilds, read(INPUT.allowForkBuilds));
    const comment = oneOf(INPUT.comment, read(INPUT.comment), COMMENTS);
    const commentKey = read(INPUT.commentKey);
    if (!NAME.test(commentKey))
        throw new InputError(INPUT.commentKey, commentKey, NAME_EXPECTED);
    const details = parseDetails(read(INPUT.details));
    const advice = parseBoolean(INPUT.advice, read(INPUT.advice));
    const build = parseBuildSettings(read);
    const githubToken = get(INPUT.githubToken);
    const mode = parseMode(get(INPUT.mode));
    const reports = parseReports(read(INPUT.reports), mode);
    const name = parseName(read(INPUT.name), mode, config);
    return {
        context,
        file,
        targets,
        config,
        buildArgs,
        platforms,
        network,
        builder,
        cache,
        baseline,
        baseRef,
        ...(baseImage ? { baseImage } : {}),
        ...(images ? { images } : {}),
        metric,
        budgets,
        failOnRegression,
        comment,
        commentKey,
        details,
        advice,
        githubToken,
        allowForkBuilds,
        mode,
        reports,
        name,
        build
    };
}
/**
 * Fails when a per-target budget names a target that is not built (a typo would otherwise
 * silently disable the budget). `targets` are the resolved target names.
 */
function checkBudgetTargets(budgets, targets) {
    const built = new Set(targets.map((t) => t.toLowerCase()));
    const entries = [
        [INPUT.maxIncrease, budgets.maxIncrease],
        [INPUT.maxSize, budgets.maxSize],
        [INPUT.maxLayers, budgets.maxLayers],
        ...(budgets.maxWasted ? [[INPUT.maxWasted, budgets.maxWasted]] : [])
    ];
    for (const [input, perTarget] of entries) {
        for (const target of perTarget.byTarget.keys()) {
            if (!built.has(target.toLowerCase())) {
                throw new InputError(input, target, `one of the built targets: ${targets.join(', ')}`, {
                    problem: 'is not a built target',
                    hint: `built targets: ${targets.join(', ')}`
                });
            }
        }
    }
}

;// CONCATENATED MODULE: ./src/log.ts
/**
 * What may stand before a workflow command's `::` on a line and still let the runner read it:
 * every character .NET's `String.TrimStart()` removes (`Char.IsWhiteSpace`: U+0009–U+000D, U+0020,
 * U+0085 NEL, U+00A0, U+1680, U+2000–U+200A, U+2028, U+2029, U+202F, U+205F, U+3000), but the line
 * breaks themselves; and, for good measure, every other C0 and C1 control and every default-ignorable
 * character (zero-width and format characters, which the runner's culture-aware `StartsWith` may
 * skip).
 */
// eslint-disable-next-line no-control-regex
const BEFORE_COMMAND = /[\t\v\f \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\u0000-\u0008\u000e-\u001f\u007f-\u009f\p{Default_Ignorable_Code_Point}]*/u.source;
/** `:` at a line start, before `:` or the end of the text (the next piece may begin with the second `:`). */
const COMMAND_START = new RegExp(`(^|\\r\\n|\\r|\\n)(${BEFORE_COMMAND}):(?=:|$)`, 'gu');
/** `#` of `##[`, or at the end of the text (the next piece may hold the rest). */
const LEGACY_COMMAND = /#(?=#\[|#?$)/g;
/**
 * Text that may hold build output or repository or artifact strings (stage names, report labels,
 * reasons), made safe to print as log lines: the runner reads its output in lines (split at `\n`,
 * `\r\n` and a lone `\r`), and takes a line as a workflow command (`::add-mask::`,
 * `::stop-commands::`, `::error::`) when it starts with `::` once leading whitespace is trimmed, or
 * when it holds `##[` (the older form). A zero-width space after the first `:`, or between the `#`s,
 * breaks both forms; what a person reads is unchanged. Pure.
 *
 * Safe for text printed in pieces cut anywhere (a live log): each piece's start counts as a line
 * start, and a piece that ends in a line-start `:` or in `#` gets the zero-width space too.
 */
function neutralizeCommands(text) {
    return text.replace(COMMAND_START, '$1$2:\u200b').replace(LEGACY_COMMAND, '#\u200b');
}
/**
 * JSON text (`JSON.stringify` with indentation) made safe to print as log lines with its data
 * unchanged: no line of it starts with `:`, and `##[` can only be inside a string, where `#\u0023[`
 * reads back as the same characters. Pure.
 */
function neutralizeJsonCommands(json) {
    return json.replace(/##\[/g, '#\\u0023[');
}
/** Build output kept per deferred log; past it, the oldest output is dropped and said to be. */
const KEPT_OUTPUT_MAX = 2 * 1024 * 1024;
/**
 * A log whose lines (and groups) are kept, in order, to be written later into another log
 * (`replay`): what a build running beside another one says, shown once its turn comes. Secrets are
 * registered with the job's log at once (`mask`), never deferred. The kept output is bounded
 * (KEPT_OUTPUT_MAX for all of it); the messages are few and always kept.
 */
class DeferredLog {
    job;
    top = [];
    /** Where lines go now: the innermost group open. */
    current = this.top;
    outputBytes = 0;
    dropped = 0;
    constructor(job) {
        this.job = job;
    }
    info(message) {
        this.current.push({ kind: 'info', text: message });
    }
    warning(message) {
        this.current.push({ kind: 'warning', text: message });
    }
    output(chunk) {
        this.current.push({ kind: 'output', text: chunk });
        this.outputBytes += chunk.length;
        while (this.outputBytes > KEPT_OUTPUT_MAX && this.dropOldestOutput(this.top)) {
            // dropped one
        }
    }
    async group(title, fn) {
        const lines = [];
        const outer = this.current;
        outer.push({ kind: 'group', title, lines });
        this.current = lines;
        try {
            return await fn();
        }
        finally {
            this.current = outer;
        }
    }
    mask(value) {
        this.job.mask?.(value);
    }
    /** Writes what was kept into `log`, in order, groups as groups. */
    async replay(log) {
        if (this.dropped > 0)
            log.output?.(`[${this.dropped} characters of build output were not kept; the rest follows]\n`);
        await replayLines(this.top, log);
    }
    dropOldestOutput(lines) {
        for (const [i, line] of lines.entries()) {
            if (line.kind === 'group') {
                if (this.dropOldestOutput(line.lines))
                    return true;
            }
            else if (line.kind === 'output') {
                lines.splice(i, 1);
                this.outputBytes -= line.text.length;
                this.dropped += line.text.length;
                return true;
            }
        }
        return false;
    }
}
async function replayLines(lines, log) {
    for (const line of lines) {
        if (line.kind === 'group')
            await log.group(line.title, () => replayLines(line.lines, log));
        else if (line.kind === 'output')
            log.output?.(line.text);
        else
            log[line.kind](line.text);
    }
}

;// CONCATENATED MODULE: external "node:os"
const external_node_os_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:os");
var external_node_os_default = /*#__PURE__*/__nccwpck_require__.n(external_node_os_namespaceObject);
;// CONCATENATED MODULE: ./src/git/base-checkout.ts
// The pull request's base commit, checked out outside the user's checkout and laid out like it, so
// that a `COPY . .` of the base carries a `.git` that weighs what the head's does (issue 11):
// - the head's `.git` is a shallow clone (actions/checkout's default `fetch-depth: 1`), or a `gitdir:`
//   file (a linked worktree, a submodule): a fresh repository, made as actions/checkout makes one
//   (`git init`, the workspace's config copied, a depth-1 fetch of the one commit, a forced detached
//   checkout), from the workspace itself when it holds the commit, else from its remote;
// - the head's `.git` holds the whole history (a laptop, `fetch-depth: 0`): a copy of that `.git`,
//   checked out at the base commit (fetched into the copy, whole, when it is missing).
// Nothing is written inside the workspace, its `.git` included: git only reads there (and serves
// objects to the fetch). Everything is made under `tmpRoot`, which the caller removes in the end.
// Submodules are not checked out in the base (their folders stay empty), as before; a Git LFS
// filter in the copied config runs at the checkout as it runs in the workspace.




/**
 * The base commit cannot be had (not in the clone and the fetch failed: force-pushed or deleted
 * base, fetch refused). The caller reports "baseline unavailable"; it must not fall back to HEAD
 * (RELIABILITY rows 21, 22).
 */
class BaselineUnavailableError extends Error {
    ref;
    reason;
    constructor(
    /** The ref or SHA that was asked for. */
    ref, 
    /** Git's reason (its last stderr line). */
    reason) {
        super(`could not fetch base ${ref}: ${reason}`);
        this.ref = ref;
        this.reason = reason;
        this.name = 'BaselineUnavailableError';
    }
}
// Where a base named by its SHA alone is fetched to: a pull request's base branch is under origin's.
const SHA_DESTINATION = 'refs/remotes/origin/base';
// The token actions/checkout (v6 on) keeps in a file included for the workspace's git dir only.
const AUTH_KEYS = /^http\./i;
/**
 * Resolves `ref` to a commit and checks it out, detached, in a new dir under `tmpRoot` whose `.git`
 * is laid out like the workspace's (see the file comment).
 * @throws InvalidRefError before any git call when `ref` starts with `-` or is malformed.
 * @throws BaselineUnavailableError when the commit cannot be found or fetched.
 * @throws GitError when the base cannot be laid out or checked out.
 */
async function checkoutBase(options) {
    const { repoDir, tmpRoot, remote = 'origin', exec } = options;
    // Git takes upper-case hex too; one spelling keeps the fetch by id and the messages consistent.
    const ref = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/i.test(options.ref) ? options.ref.toLowerCase() : options.ref;
    const workspace = new Git(external_node_path_default().resolve(repoDir), exec ? { exec } : {});
    await checkRef(workspace, ref);
    const local = await workspace.revParseCommit(ref);
    const dotGit = await (0,promises_namespaceObject.lstat)(external_node_path_default().join(workspace.repoDir, '.git')).catch(() => undefined);
    const layout = dotGit?.isDirectory() && !(await workspace.isShallow()) ? 'copy' : 'fresh';
    await (0,promises_namespaceObject.mkdir)(tmpRoot, { recursive: true });
    const dir = external_node_path_default().resolve(await (0,promises_namespaceObject.mkdtemp)(external_node_path_default().join(external_node_path_default().resolve(tmpRoot), 'image-budget-base-')));
    // A `gitdir:` file in the workspace: the base's `.git` is one too, pointing beside `dir`.
    const separateGitDir = layout === 'fresh' && dotGit?.isFile() ? `${dir}.git` : undefined;
    let done;
    const cleanup = () => (done ??= remove([dir, ...(separateGitDir ? [separateGitDir] : [])]));
    try {
        const made = { workspace, dir, ref, local, remote, ...(exec ? { exec } : {}) };
        const sha = layout === 'copy' ? await copyLayout(made) : await freshLayout({ ...made, separateGitDir });
        return { sha, dir, layout, cleanup };
    }
    catch (e) {
        await cleanup();
        throw e;
    }
}
/** Both checks run before git sees the value (check-ref-format reads no repository). */
async function checkRef(git, ref) {
    if (isFullSha(ref))
        return;
    if (ref.startsWith('-') || ref === '')
        throw new InvalidRefError(ref, 'a ref must not be empty or start with "-"');
    if (!(await git.checkRefFormat(ref)))
        throw new InvalidRefError(ref, 'not a valid ref name');
}
/**
 * `dir` made a repository as actions/checkout makes one, empty: `git init` (with the workspace's
 * object format; `separateGitDir` for a `gitdir:` file), the workspace's config copied (its sparse
 * patterns too), `core.worktree` dropped. `withAuth` gives it the `http.*` entries that the
 * workspace's config includes (actions/checkout's token file, included for the workspace's git dir
 * only), in the environment of its commands. Writes nothing in the workspace.
 */
async function freshRepository(workspace, dir, options) {
    const { gitDir, commonDir } = await workspace.gitDirs();
    const auth = options.withAuth ? await workspace.includedConfig(AUTH_KEYS) : [];
    const repo = new Git(dir, { ...(options.exec ? { exec: options.exec } : {}), config: auth });
    await repo.init(await workspace.objectFormat(), options.separateGitDir);
    const repoGitDir = options.separateGitDir ?? external_node_path_default().join(dir, '.git');
    // The same remote, extra header, gc and sparse settings: the config weighs what the head's does.
    await (0,promises_namespaceObject.copyFile)(external_node_path_default().join(commonDir, 'config'), external_node_path_default().join(repoGitDir, 'config'));
    await copyIfThere(external_node_path_default().join(gitDir, 'config.worktree'), external_node_path_default().join(repoGitDir, 'config.worktree'));
    await copyIfThere(external_node_path_default().join(gitDir, 'info', 'sparse-checkout'), external_node_path_default().join(repoGitDir, 'info', 'sparse-checkout'));
    // A submodule's or worktree's config may name another working tree: this one is `dir`.
    await repo.unsetConfig('core.worktree');
    return repo;
}
/** A repository as actions/checkout makes one, holding the base commit alone. */
async function freshLayout(l) {
    const { workspace, dir, ref, local } = l;
    // A partial clone would fetch what it lacks from its own remote, into the workspace: ask the remote.
    const fromWorkspace = local !== undefined && !(await workspace.isPartialClone());
    const base = await freshRepository(workspace, dir, {
        withAuth: !fromWorkspace,
        ...(l.separateGitDir ? { separateGitDir: l.separateGitDir } : {}),
        ...(l.exec ? { exec: l.exec } : {})
    });
    // Into a remote-tracking ref with its reflog, as actions/checkout fetches the commit it checks out.
    const name = isFullSha(ref) ? undefined : qualified(ref);
    const to = name ? destination(name) : SHA_DESTINATION;
    const sha = await fetched(ref, () => fromWorkspace ? base.fetchInto(workspace.repoDir, local, to, 1) : base.fetchInto(l.remote, name ?? ref, to, 1));
    await base.checkoutDetached(sha);
    return sha;
}
/** A copy of the workspace's whole `.git`, checked out at the base commit. */
async function copyLayout(l) {
    const { workspace, dir, ref } = l;
    await (0,promises_namespaceObject.cp)(external_node_path_default().join(workspace.repoDir, '.git'), external_node_path_default().join(dir, '.git'), {
        recursive: true,
        preserveTimestamps: true,
        verbatimSymlinks: true,
        errorOnExist: true,
        force: false,
        // Locks of a git running there now, sockets and pipes (an fsmonitor's) are no part of the repository.
        filter: async (source) => {
            if (source.endsWith('.lock'))
                return false;
            const s = await (0,promises_namespaceObject.lstat)(source);
            return s.isFile() || s.isDirectory() || s.isSymbolicLink();
        }
    });
    // The copied config's include of a credentials file names the workspace's git dir, not the copy's.
    const auth = l.local === undefined ? await workspace.includedConfig(AUTH_KEYS) : [];
    const base = new Git(dir, { ...(l.exec ? { exec: l.exec } : {}), config: auth });
    await base.unsetConfig('core.worktree');
    // A full clone stays full: no --depth, which would make the copy shallow.
    const name = isFullSha(ref) ? undefined : qualified(ref);
    const sha = l.local ?? (await fetched(ref, () => base.fetchInto(l.remote, name ?? ref, name ? destination(name) : undefined, null)));
    await base.checkoutDetached(sha);
    return sha;
}
/** The commit `fetch` resolves to; a fetch git refuses means the base cannot be had (rows 21, 22). */
async function fetched(ref, fetch) {
    try {
        return await fetch();
    }
    catch (e) {
        if (e instanceof GitError)
            throw new BaselineUnavailableError(ref, e.reason || e.message);
        throw e;
    }
}
/** A ref name as the remote has it: a bare name is a branch. */
function qualified(ref) {
    return ref.startsWith('refs/') ? ref : `refs/heads/${ref}`;
}
/** Where actions/checkout keeps a fetched ref: branches under origin's, pulls under pull/, the rest as named. */
function destination(ref) {
    if (ref.startsWith('refs/heads/'))
        return `refs/remotes/origin/${ref.slice('refs/heads/'.length)}`;
    if (ref.startsWith('refs/pull/'))
        return `refs/remotes/pull/${ref.slice('refs/pull/'.length)}`;
    return ref;
}
async function copyIfThere(from, to) {
    try {
        await (0,promises_namespaceObject.mkdir)(external_node_path_default().dirname(to), { recursive: true });
        await (0,promises_namespaceObject.copyFile)(from, to);
    }
    catch (e) {
        if (e.code !== 'ENOENT')
            throw e;
    }
}
/** Removes each path; never throws: what could not be removed comes back as a warning. */
async function remove(paths) {
    const warnings = [];
    for (const p of paths) {
        try {
            await (0,promises_namespaceObject.rm)(p, { recursive: true, force: true });
        }
        catch (e) {
            warnings.push(`could not remove ${p}: ${errorMessage(e)}`);
        }
    }
    return warnings;
}

;// CONCATENATED MODULE: ./src/image/history.ts
/** Shown for a layer whose instruction is not known. */
const UNKNOWN_INSTRUCTION = '?';
const REDACTED = '***';
/** Longest instruction returned, in code points, `…` included. */
const MAX_INSTRUCTION_LENGTH = 300;
/** Known secret values shorter than this are not replaced: they would blank out ordinary words. */
const MIN_SECRET_LENGTH = 3;
/** How many layers the history describes (its entries without `empty_layer`). */
function historyLayerCount(history) {
    return history.filter((h) => !h.emptyLayer).length;
}
/**
 * One instruction per layer, redacted.
 *
 * Alignment rule: the i-th history entry without `empty_layer` made the i-th layer, counting from
 * the base layer, the way `docker history` and BuildKit's exporter pair them. When the config has
 * fewer such entries than there are layers, the layers left over (the last ones) get `?`; when it
 * has more, the surplus entries are ignored. Nothing is shifted to fill a gap. Callers compare
 * {@link historyLayerCount} with the layer count to warn about the mismatch.
 *
 * An entry without `created_by` (e.g. `docker import`, whose only trace is the comment
 * `Imported from -`) shows its comment, redacted the same way, or `?` when it has none.
 */
function layerInstructions(history, layerCount, secrets) {
    const made = history.filter((h) => !h.emptyLayer);
    const out = [];
    for (let i = 0; i < layerCount; i++) {
        const entry = made[i];
        const text = entry?.createdBy?.trim() ? entry.createdBy : entry?.comment;
        const redacted = text === undefined ? '' : redactInstruction(text, secrets);
        out.push(redacted === '' ? UNKNOWN_INSTRUCTION : redacted);
    }
    return out;
}
// ── Redaction ────────────────────────────────────────────────────────────────────────────────────
const LINE_BREAKS = /[\t\n\v\f\r\u0085\u2028\u2029]/g;
// C0, DEL, C1, zero-width and bidirectional controls (which can make text read other than it is).
const history_INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
/** Line breaks and tabs become spaces; other control and invisible characters go. Char by char. */
function clean(s) {
    return s.replace(LINE_BREAKS, ' ').replace(history_INVISIBLE, '').replace(LONE_SURROGATE, '\ufffd');
}
/** The regular expressions below are linear on this much; later text is cut anyway. */
const WORK_LENGTH = 4096;
// `/bin/sh -c #(nop)  ENV K=v` and friends, written by the classic builder for metadata instructions.
const CLASSIC_NOP = /^(?:\/bin\/sh -c|cmd \/S \/C) #\(nop\) */;
// Where the command starts after the last `K=v` of `RUN |N ...`: the shell BuildKit prefixed.
const SHELL_START = / (?:(?:\S{0,64}\/)?(?:sh|bash|ash|dash|zsh|ksh)\b.{0,64}? -c |cmd \/S \/C |(?:powershell|pwsh)(?:\.exe)? .{0,64}?-Command )/;
const NEXT_KEY = / [^\s=]+=/;
// Names whose value is a credential, in `K=v`, `K: v`, `"K": "v"` and `--k v`.
const SECRET_KEY = String.raw `[\w.-]{0,64}(?:password|passwd|token|secret|api[_-]?key|access[_-]?key|private[_-]?key)[\w.-]{0,64}`;
const VALUE = String.raw `("[^"]*"|'[^']*'|[^\s"'&;|,]+)`;
const TOKEN_PATTERNS = [
    // GitHub tokens: personal, OAuth, user-to-server, server-to-server, refresh, fine-grained. No word
    // boundary in front: `TOKEN_ghp_…` or `xghp_…` is the token all the same.
    [/(?:gh[pousr]_[A-Za-z0-9]{16,}|github_pat_[A-Za-z0-9_]{20,})/g, REDACTED],
    // AWS access key ids (long-term and temporary).
    [/(?:AKIA|ASIA)[0-9A-Z]{16}(?![0-9A-Z])/g, REDACTED],
    // GitLab, Slack, npm and OpenAI-style keys.
    [/(?:glpat-[A-Za-z0-9_-]{20,}|xox[abprs]-[A-Za-z0-9-]{10,}|npm_[A-Za-z0-9]{36,}|(?<![A-Za-z])sk-[A-Za-z0-9_-]{20,})/g, REDACTED],
    // password=..., NPM_TOKEN=..., client_secret="...", api-key=...
    [new RegExp(String.raw `\b(${SECRET_KEY})=${VALUE}`, 'gi'), `$1=${REDACTED}`],
    // "password": "...", password: ... (JSON, YAML, HTTP headers such as PRIVATE-TOKEN: ...). An
    // unquoted name needs a space after its colon, so that an image reference `tokenizer:1.2` stays.
    [new RegExp(String.raw `(["']${SECRET_KEY}["']\s*:\s*)("[^"]*"|'[^']*'|[^\s,}"']+)`, 'gi'), `$1${REDACTED}`],
    [new RegExp(String.raw `\b(${SECRET_KEY}:\s+)${VALUE}`, 'gi'), `$1${REDACTED}`],
    // --password hunter2, --token "$T" (not `--password-stdin -u x`: an option is no value).
    [new RegExp(String.raw `(\s--?${SECRET_KEY})\s+("[^"]*"|'[^']*'|[^\s"'-][^\s"']*)`, 'gi'), `$1 ${REDACTED}`],
    // Credentials in URLs: https://user:pass@host
    [/\b([a-z][a-z0-9+.-]{0,31}:\/\/)[^\s/@:]{1,256}:[^\s/@]{1,256}@/gi, `$1${REDACTED}@`],
    [/\b(Bearer|Basic) +[A-Za-z0-9._~+/-]{8,}=*/g, `$1 ${REDACTED}`]
];
/**
 * Makes one `created_by` safe to show:
 * - control characters stripped (line breaks become spaces), runs of spaces collapsed;
 * - every known secret value (at least {@link MIN_SECRET_LENGTH} characters) replaced by `***`,
 *   wherever it appears;
 * - BuildKit's ` # buildkit` suffix dropped; the classic builder's `/bin/sh -c #(nop) X` becomes `X`,
 *   and its `/bin/sh -c cmd` becomes `RUN /bin/sh -c cmd`;
 * - `RUN |N K=v ... cmd`: the N build-arg values are redacted. History drops quotes, so a value can
 *   hold spaces: a value runs to the next ` KEY=`, and the last one to the shell BuildKit prefixed
 *   (`/bin/sh -c`, a `SHELL`), else to the next space. Known secrets are replaced beforehand, so
 *   their spaces never confuse this;
 * - `ARG`, `ENV`, `LABEL` (also after `ONBUILD`): every value redacted, `K=***`;
 * - token-like strings (GitHub, GitLab, Slack, npm and OpenAI-style tokens, AWS key ids, the values
 *   of `password=`/`token=`/`secret=`, `"password": …`, `PRIVATE-TOKEN: …` and `--password …`, URL
 *   credentials, `Bearer` values) replaced by `***`;
 * - capped at {@link MAX_INSTRUCTION_LENGTH} code points, ending with `…` when cut.
 * When unsure where a value ends, more is redacted rather than less.
 */
function redactInstruction(createdBy, secrets) {
    let s = replaceSecrets(clean(createdBy), secrets);
    s = s.replace(/ {2,}/g, ' ').trim();
    if (s.length > WORK_LENGTH)
        s = s.slice(0, WORK_LENGTH);
    s = s.replace(/ ?# buildkit$/, '');
    s = simplifyClassic(s);
    s = redactValues(s);
    for (const [pattern, replacement] of TOKEN_PATTERNS)
        s = s.replace(pattern, replacement);
    return history_cap(s.trim(), MAX_INSTRUCTION_LENGTH);
}
function replaceSecrets(s, secrets) {
    const values = [...new Set(secrets.map(clean))]
        .filter((v) => v.length >= MIN_SECRET_LENGTH && v !== REDACTED)
        // Longest first, so a secret that contains another one is replaced whole.
        .sort((a, b) => b.length - a.length);
    for (const v of values)
        s = s.split(v).join(REDACTED);
    return s;
}
function simplifyClassic(s) {
    const nop = CLASSIC_NOP.exec(s);
    if (nop)
        return s.slice(nop[0].length).trim();
    if (s.startsWith('/bin/sh -c ') || /^\|\d+ /.test(s))
        return `RUN ${s}`;
    return s;
}
function redactValues(s) {
    const m = /^(\S+) (.*)$/.exec(s);
    if (!m)
        return s;
    const [, word = '', rest = ''] = m;
    switch (word.toUpperCase()) {
        case 'RUN':
            return rest.startsWith('|') ? `${word} ${redactRunArgs(rest)}` : s;
        case 'ARG':
            return `${word} ${redactPairs(rest, false)}`;
        case 'ENV':
        case 'LABEL':
            return `${word} ${redactPairs(rest, true)}`;
        case 'ONBUILD':
            return `${word} ${redactValues(rest)}`;
        default:
            return s;
    }
}
/** `|2 A=x B=y z /bin/sh -c make` → `|2 A=*** B=*** /bin/sh -c make`. */
function redactRunArgs(rest) {
    const head = /^\|(\d+)(?: |$)/.exec(rest);
    if (!head)
        return REDACTED;
    const count = Number(head[1]);
    const parts = [`|${count}`];
    let pos = head[0].length;
    for (let i = 0; i < count; i++) {
        const key = /^([^\s=]+)=/.exec(rest.slice(pos));
        // Fewer pairs than announced: what follows cannot be told apart from a value.
        if (!key)
            return [...parts, REDACTED].join(' ');
        parts.push(`${key[1]}=${REDACTED}`);
        pos += key[0].length;
        const tail = rest.slice(pos);
        const end = i < count - 1 ? NEXT_KEY.exec(tail) : (SHELL_START.exec(tail) ?? / /.exec(tail));
        pos += end ? end.index + 1 : tail.length;
    }
    const command = rest.slice(pos).trim();
    return command ? [...parts, command].join(' ') : parts.join(' ');
}
/**
 * `K=v K2=v w` → `K=*** K2=***`: a value runs to the next ` KEY=`. Text before the first pair
 * (bare `ARG NAME`s) stays. For ENV and LABEL without any `=` (legacy `ENV K v`), all but the
 * first word is a value.
 */
function redactPairs(body, valuesOnly) {
    const keys = [...body.matchAll(/(?:^|\s)([^\s=]+)=/g)];
    const first = keys[0];
    if (!first) {
        if (!valuesOnly)
            return body;
        const sp = body.indexOf(' ');
        return sp < 0 ? body : `${body.slice(0, sp)} ${REDACTED}`;
    }
    const prefix = body.slice(0, first.index).trim();
    const pairs = keys.map((k) => `${k[1] ?? ''}=${REDACTED}`);
    return [...(prefix ? [prefix] : []), ...pairs].join(' ');
}
function history_cap(s, max) {
    const points = Array.from(s);
    return points.length <= max ? s : `${points.slice(0, max - 1).join('')}…`;
}

;// CONCATENATED MODULE: ./src/image/oci.ts
// Parsers for the JSON documents of an OCI image layout (oci-layout, index.json, image indexes,
// image manifests, image configs), in both the OCI and the Docker v2 schema 2 media types.
// Pure: JSON text in, validated typed values out. Every error names the document it came from and
// the offending field, and never echoes the document's content (it can be hostile or secret).
// ── Media types ──────────────────────────────────────────────────────────────────────────────────
const MediaType = {
    ociIndex: 'application/vnd.oci.image.index.v1+json',
    ociManifest: 'application/vnd.oci.image.manifest.v1+json',
    ociConfig: 'application/vnd.oci.image.config.v1+json',
    ociLayer: 'application/vnd.oci.image.layer.v1.tar',
    ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
    ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
    ociForeignLayer: 'application/vnd.oci.image.layer.nondistributable.v1.tar',
    ociForeignLayerGzip: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
    ociForeignLayerZstd: 'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
    dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
    dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
    dockerConfig: 'application/vnd.docker.container.image.v1+json',
    dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar',
    dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
    dockerLayerZstd: 'application/vnd.docker.image.rootfs.diff.tar.zstd',
    dockerForeignLayerGzip: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip'
};
const LAYER_COMPRESSION = new Map([
    [MediaType.ociLayer, 'none'],
    [MediaType.ociLayerGzip, 'gzip'],
    [MediaType.ociLayerZstd, 'zstd'],
    [MediaType.ociForeignLayer, 'none'],
    [MediaType.ociForeignLayerGzip, 'gzip'],
    [MediaType.ociForeignLayerZstd, 'zstd'],
    [MediaType.dockerLayer, 'none'],
    [MediaType.dockerLayerGzip, 'gzip'],
    [MediaType.dockerLayerZstd, 'zstd'],
    [MediaType.dockerForeignLayerGzip, 'gzip']
]);
/** How a layer blob of this media type is compressed; undefined when it is not a known layer type. */
function layerCompression(mediaType) {
    return LAYER_COMPRESSION.get(mediaType);
}
/** Foreign (Docker) or non-distributable (OCI) layers: registries may not hold them, and layouts may omit them. */
function isForeignLayer(mediaType) {
    return (mediaType === MediaType.dockerForeignLayerGzip ||
        mediaType.startsWith('application/vnd.oci.image.layer.nondistributable.'));
}
function isIndexMediaType(mediaType) {
    return mediaType === MediaType.ociIndex || mediaType === MediaType.dockerManifestList;
}
function isManifestMediaType(mediaType) {
    return mediaType === MediaType.ociManifest || mediaType === MediaType.dockerManifest;
}
function isConfigMediaType(mediaType) {
    return mediaType === MediaType.ociConfig || mediaType === MediaType.dockerConfig;
}
// ── Validation helpers ───────────────────────────────────────────────────────────────────────────
const oci_DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
const SHA256 = /^sha256:[a-f0-9]{64}$/;
/** True for `sha256:` followed by 64 lowercase hex digits: the only digests we turn into paths. */
function isSha256Digest(digest) {
    return SHA256.test(digest);
}
class Reader {
    source;
    constructor(source) {
        this.source = source;
    }
    fail(path, expected) {
        throw new Error(`Malformed ${this.source}: ${path ? `"${path}"` : 'the document'} must be ${expected}`);
    }
    parse(text) {
        let value;
        try {
            value = JSON.parse(text);
        }
        catch {
            // JSON.parse's own message quotes the input: say where, not what.
            throw new Error(`Malformed ${this.source}: not valid JSON`);
        }
        return this.object(value, '');
    }
    object(value, path) {
        if (typeof value !== 'object' || value === null || Array.isArray(value))
            this.fail(path, 'an object');
        return value;
    }
    string(value, path) {
        if (typeof value !== 'string')
            this.fail(path, 'a string');
        return value;
    }
    optString(value, path) {
        return value === undefined || value === null ? undefined : this.string(value, path);
    }
    /** Go writes a nil slice as `null`: treat it as empty. */
    array(value, path) {
        if (value === null)
            return [];
        if (!Array.isArray(value))
            this.fail(path, 'an array');
        return value;
    }
    schemaVersion(doc) {
        if (doc.schemaVersion !== 2)
            this.fail('schemaVersion', '2');
    }
    digest(value, path) {
        const d = this.string(value, path);
        if (!oci_DIGEST.test(d) || (d.startsWith('sha256:') && !SHA256.test(d)))
            this.fail(path, 'a digest like sha256:<64 hex>');
        return d;
    }
    platform(value, path) {
        const p = this.object(value, path);
        const variant = this.optString(p.variant, `${path}.variant`);
        return {
            os: this.string(p.os, `${path}.os`),
            architecture: this.string(p.architecture, `${path}.architecture`),
            ...(variant ? { variant } : {})
        };
    }
    annotations(value, path) {
        if (value === undefined || value === null)
            return {};
        const a = this.object(value, path);
        const out = {};
        for (const [k, v] of Object.entries(a))
            out[k] = this.string(v, `${path}.${k}`);
        return out;
    }
    descriptor(value, path) {
        const d = this.object(value, path);
        const size = d.size;
        if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
            this.fail(`${path}.size`, 'a non-negative integer');
        }
        const artifactType = this.optString(d.artifactType, `${path}.artifactType`);
        const urls = d.urls === undefined || d.urls === null
            ? undefined
            : this.array(d.urls, `${path}.urls`).map((u, i) => this.string(u, `${path}.urls[${i}]`));
        return {
            mediaType: this.string(d.mediaType, `${path}.mediaType`),
            digest: this.digest(d.digest, `${path}.digest`),
            size,
            annotations: this.annotations(d.annotations, `${path}.annotations`),
            ...(d.platform === undefined || d.platform === null ? {} : { platform: this.platform(d.platform, `${path}.platform`) }),
            ...(artifactType ? { artifactType } : {}),
            ...(urls ? { urls } : {})
        };
    }
}
// ── Parsers ──────────────────────────────────────────────────────────────────────────────────────
/** `oci-layout`: returns `imageLayoutVersion` (e.g. "1.0.0"). */
function parseLayoutFile(text, source = 'oci-layout') {
    const r = new Reader(source);
    return r.string(r.parse(text).imageLayoutVersion, 'imageLayoutVersion');
}
/**
 * An image index (`index.json`, an OCI index blob or a Docker manifest list).
 * `source` names the document in errors, e.g. `index.json` or the blob's digest.
 */
function parseIndex(text, source) {
    const r = new Reader(`image index ${source}`);
    const doc = r.parse(text);
    r.schemaVersion(doc);
    const mediaType = r.optString(doc.mediaType, 'mediaType');
    if (mediaType !== undefined && !isIndexMediaType(mediaType))
        r.fail('mediaType', 'an image index media type');
    if (doc.manifests === undefined)
        r.fail('manifests', 'an array');
    const manifests = r.array(doc.manifests, 'manifests').map((m, i) => r.descriptor(m, `manifests[${i}]`));
    return { ...(mediaType ? { mediaType } : {}), manifests };
}
/** An image manifest (OCI or Docker v2 schema 2). `source` names the blob in errors. */
function parseManifest(text, source) {
    const r = new Reader(`image manifest ${source}`);
    const doc = r.parse(text);
    r.schemaVersion(doc);
    const mediaType = r.optString(doc.mediaType, 'mediaType');
    if (mediaType !== undefined && !isManifestMediaType(mediaType))
        r.fail('mediaType', 'an image manifest media type');
    const artifactType = r.optString(doc.artifactType, 'artifactType');
    if (doc.layers === undefined)
        r.fail('layers', 'an array');
    return {
        ...(mediaType ? { mediaType } : {}),
        ...(artifactType ? { artifactType } : {}),
        config: r.descriptor(doc.config, 'config'),
        layers: r.array(doc.layers, 'layers').map((l, i) => r.descriptor(l, `layers[${i}]`))
    };
}
/** An image config; keeps the platform, `rootfs.diff_ids` and `history`. `source` names the blob in errors. */
function parseConfig(text, source) {
    const r = new Reader(`image config ${source}`);
    const doc = r.parse(text);
    const rootfs = r.object(doc.rootfs, 'rootfs');
    if (rootfs.type !== 'layers')
        r.fail('rootfs.type', '"layers"');
    const diffIds = r.array(rootfs.diff_ids ?? null, 'rootfs.diff_ids').map((d, i) => r.digest(d, `rootfs.diff_ids[${i}]`));
    const history = r.array(doc.history ?? null, 'history').map((h, i) => {
        const e = r.object(h, `history[${i}]`);
        const createdBy = r.optString(e.created_by, `history[${i}].created_by`);
        const comment = r.optString(e.comment, `history[${i}].comment`);
        const empty = e.empty_layer;
        if (empty !== undefined && empty !== null && typeof empty !== 'boolean')
            r.fail(`history[${i}].empty_layer`, 'a boolean');
        return {
            ...(createdBy !== undefined ? { createdBy } : {}),
            emptyLayer: empty === true,
            ...(comment !== undefined ? { comment } : {})
        };
    });
    const variant = r.optString(doc.variant, 'variant');
    return {
        architecture: r.string(doc.architecture, 'architecture'),
        os: r.string(doc.os, 'os'),
        ...(variant ? { variant } : {}),
        diffIds,
        history
    };
}
// ── Helpers on parsed values ─────────────────────────────────────────────────────────────────────
/**
 * True for the manifests BuildKit adds next to the platform images to carry provenance and SBOM
 * attestations: annotated `vnd.docker.reference.type: attestation-manifest`, platform `unknown/unknown`.
 */
function isAttestationManifest(descriptor) {
    if (descriptor.annotations['vnd.docker.reference.type'] === 'attestation-manifest')
        return true;
    return descriptor.platform?.os === 'unknown' && descriptor.platform.architecture === 'unknown';
}
/** `linux/amd64`, `linux/arm64/v8`: the form `--platform` takes. */
function platformString(p) {
    return p.variant ? `${p.os}/${p.architecture}/${p.variant}` : `${p.os}/${p.architecture}`;
}

;// CONCATENATED MODULE: ./src/image/image-rules.ts
// What both measurements (measure.ts for an OCI layout, save-images.ts for `docker save`) decide
// alike about an image, so the two paths cannot drift: which manifests of an index are images, how
// deep indexes may nest, how large a JSON document may be, the layer count a config must agree
// with, the platform shown, and the warning about a history that does not describe every layer.
// Pure: the documents come in through a reader the caller gives.


/** Largest JSON document read (oci-layout, index, manifest, config): they are small. */
const MAX_JSON_BLOB = 4 * 1024 * 1024;
/** Nested image indexes followed before giving up (BuildKit writes at most two levels). */
const MAX_INDEX_DEPTH = 4;
/**
 * The image manifests an index names, nested indexes followed (read with `readIndex`), attestation
 * manifests left out, in order; `where` names the source in errors.
 */
async function collectManifests(descs, readIndex, where, depth = 0) {
    const out = [];
    for (const desc of descs) {
        if (isAttestationManifest(desc))
            continue;
        if (isManifestMediaType(desc.mediaType)) {
            out.push(desc);
        }
        else if (isIndexMediaType(desc.mediaType)) {
            if (depth >= MAX_INDEX_DEPTH)
                throw new Error(`${where}: image indexes nested deeper than ${MAX_INDEX_DEPTH}`);
            const nested = parseIndex(await readIndex(desc), desc.digest);
            out.push(...(await collectManifests(nested.manifests, readIndex, where, depth + 1)));
        }
        else {
            throw new Error(`${where}: ${desc.digest} has unsupported media type "${desc.mediaType}"`);
        }
    }
    return out;
}
/** Throws unless the config lists one diff_id per layer of the manifest. */
function checkLayerCount(manifestDigest, manifest, config) {
    if (config.diffIds.length !== manifest.layers.length) {
        throw new Error(`Image manifest ${manifestDigest} has ${manifest.layers.length} layers but its config ${manifest.config.digest} lists ${config.diffIds.length} diff_ids`);
    }
}
/** The platform shown: the config's, which is authoritative; the index may add a variant the config leaves out. */
function imagePlatform(config, hint) {
    const p = hint?.platform;
    const variant = config.variant ?? (p?.os === config.os && p.architecture === config.architecture ? p.variant : undefined);
    return platformString({ os: config.os, architecture: config.architecture, variant });
}
/** The warning when the history does not describe every layer (those are shown as "?"), or undefined. */
function historyWarning(target, platform, history, layerCount) {
    const described = historyLayerCount(history);
    if (described === layerCount)
        return undefined;
    return `${target} (${platform}): the image history describes ${described} layers but the image has ${layerCount}; layers without a history entry are shown as "?"`;
}
function sum(values) {
    return values.reduce((a, b) => a + b, 0);
}
function capitalize(s) {
    return s.charAt(0).toUpperCase() + s.slice(1);
}

;// CONCATENATED MODULE: external "node:crypto"
const external_node_crypto_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:crypto");
;// CONCATENATED MODULE: external "node:stream"
const external_node_stream_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:stream");
;// CONCATENATED MODULE: external "node:stream/promises"
const external_node_stream_promises_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:stream/promises");
;// CONCATENATED MODULE: external "node:zlib"
const external_node_zlib_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:zlib");
;// CONCATENATED MODULE: ./src/image/limits.ts
// Fixed limits on what measuring one image may cost, shared by both readers (OCI layouts and
// `docker save` streams) and the file model. A layer or an image is hostile input (a pull request
// names the `FROM`): a gzip bomb, millions of entries or paths thousands of levels deep must fail
// the one target quickly, with a message that says which limit, never hold the job or its memory.
//
// The defaults are far above real images (the layers of a 20 GB CUDA image inflate 2 to 3 times
// their compressed size and hold tens of thousands of files, a few dozen levels deep) and far below
// what a bomb reaches (a layer of zeros inflates about 1000:1).
const GiB = 1024 * 1024 * 1024;
const limits_DEFAULT_LIMITS = {
    maxRatio: 100,
    ratioFloorBytes: 1 * GiB,
    maxInflatedBytes: 128 * GiB,
    maxLayerEntries: 1_000_000,
    maxEntries: 4_000_000,
    maxTreeNodes: 2_000_000,
    maxPathBytes: 4096,
    maxPathDepth: 1024,
    timeoutMs: 30 * 60 * 1000
};
/** What to do about any of these limits, said once at the end of every message. */
const LIMIT_HINT = 'these limits guard against decompression bombs and are fixed (README, "Security"); if the image is genuine, ' +
    'split or shrink that layer (or the base image it comes from), or leave this target out of the measured targets';
/** A limit was reached. `detail` says what and which limit; the reader adds the target and the layer. */
class LimitError extends Error {
    detail;
    layer;
    name = 'LimitError';
    constructor(detail, 
    /** The layer it was reached in, when the reader that throws knows it. */
    layer) {
        super(layer ? `layer ${layer}: ${detail}` : detail);
        this.detail = detail;
        this.layer = layer;
    }
}
/** The message of a limit reached while measuring `target`, at `layer` when one is known. */
function limitMessage(target, layer, detail) {
    return `${target}: measurement stopped${layer ? ` at layer ${layer}` : ''}: ${detail}; ${LIMIT_HINT}`;
}
/** A byte count as people read it: `1 GiB`, `512 MiB`, `4096 bytes`. */
function formatLimitBytes(n) {
    const units = [
        [GiB, 'GiB'],
        [1024 * 1024, 'MiB'],
        [1024, 'KiB']
    ];
    for (const [size, unit] of units)
        if (n >= size)
            return `${n % size === 0 ? n / size : (n / size).toFixed(1)} ${unit}`;
    return `${n} bytes`;
}
/**
 * The running costs of one measurement, checked as bytes and entries come in. One per call of a
 * measuring function; the readers call `inflated` for every chunk a layer inflates to.
 */
class MeasureBudget {
    limits;
    inflatedTotal = 0;
    entryTotal = 0;
    deadline;
    constructor(limits = limits_DEFAULT_LIMITS, now = Date.now()) {
        this.limits = limits;
        this.deadline = now + limits.timeoutMs;
    }
    /**
     * `bytes` more of a layer have come out of the decompressor, `layerBytes` in all so far; the
     * layer's compressed size is `compressedBytes` (an estimate that grows with it for the classic store).
     */
    inflated(bytes, layerBytes, compressedBytes) {
        this.inflatedTotal += bytes;
        const { maxRatio, ratioFloorBytes, maxInflatedBytes } = this.limits;
        if (layerBytes > ratioFloorBytes && layerBytes > maxRatio * Math.max(compressedBytes, 1)) {
            throw new LimitError(`the layer inflates to more than ${maxRatio} times its compressed size of ${compressedBytes} bytes ` +
                `(over ${formatLimitBytes(layerBytes)} inflated so far; a layer above ${formatLimitBytes(ratioFloorBytes)} may inflate at most ${maxRatio}:1)`);
        }
        if (this.inflatedTotal > maxInflatedBytes) {
            throw new LimitError(`the image's layers inflate to more than ${formatLimitBytes(maxInflatedBytes)} in all (the limit per measured target)`);
        }
    }
    /** One more tar entry read, the `layerEntries`th of its layer. */
    entry(layerEntries) {
        const { maxLayerEntries, maxEntries } = this.limits;
        if (layerEntries > maxLayerEntries)
            throw new LimitError(`the layer has more than ${maxLayerEntries} entries (the limit per layer)`);
        if (++this.entryTotal > maxEntries)
            throw new LimitError(`the image's layers have more than ${maxEntries} entries in all (the limit per measured target)`);
    }
    /** Throws once the measurement has run longer than the limit. */
    checkTime(now = Date.now()) {
        if (now > this.deadline)
            throw timeoutError(this.limits.timeoutMs);
    }
    /** Milliseconds left before the deadline (at least 0). */
    remainingMs(now = Date.now()) {
        return Math.max(0, this.deadline - now);
    }
}
/** Whether `e` is what a stream pipeline rejects with when its AbortSignal fires (the deadline). */
function isAbortError(e) {
    return typeof e === 'object' && e !== null && 'name' in e && (e.name === 'AbortError' || e.name === 'TimeoutError');
}
function timeoutError(ms) {
    return new LimitError(`measuring took longer than ${formatDuration(ms)} (the limit per measured target)`);
}
function formatDuration(ms) {
    if (ms >= 60_000 && ms % 60_000 === 0)
        return `${ms / 60_000} minutes`;
    if (ms >= 1000 && ms % 1000 === 0)
        return `${ms / 1000} s`;
    return `${ms} ms`;
}
/** Throws unless a tar entry's normalised path is within the path limits. */
function checkPath(path, limits) {
    const bytes = Buffer.byteLength(path, 'utf8');
    if (bytes > limits.maxPathBytes) {
        throw new LimitError(`an entry's path is ${bytes} bytes long, more than the ${limits.maxPathBytes} accepted (it starts "${preview(path)}")`);
    }
    let depth = path === '' ? 0 : 1;
    for (let i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1))
        depth++;
    if (depth > limits.maxPathDepth) {
        throw new LimitError(`an entry's path is ${depth} directory levels deep, more than the ${limits.maxPathDepth} accepted (it starts "${preview(path)}")`);
    }
}
/** The start of a path for a message: printable ASCII only (a path is the image's, hence untrusted). */
function preview(path) {
    return path.slice(0, 60).replace(/[^\x20-\x7e]|"/g, '?');
}

;// CONCATENATED MODULE: ./src/image/tar.ts
// The one tar reader: it is pushed the bytes of a tar stream chunk by chunk (a layer, or the outer
// archive `docker save` writes) and reports each entry's path, type and size. Contents are counted
// past, or handed piece by piece to a sink the caller gives for the entries it reads (docker-save.ts:
// the layers, configs and JSON documents of a save); the reader itself keeps only the small pax and
// GNU long-name records (capped), which describe the next entry.
//
// Formats: v7, ustar (prefix + name), GNU (`ustar  ` magic, `L`/`K` long names, old sparse files,
// base-256 numbers) and pax (`x` records: path, linkpath, size, GNU.sparse.*).
//
// The rules are those of Go's archive/tar, the reader of the OCI unpackers (containerd, moby), so the
// entries are what unpacking the image makes:
// - end of archive: two zero blocks; the stream may also end after one zero block or right after an
//   entry (tolerated; `complete` tells which, for a caller whose writer always ends with the marker),
//   but an entry after a zero block is an error;
// - pax `g` (global) records are checked and otherwise ignored, as Go and containerd ignore them;
//   a later `x` record replaces an earlier one, a GNU long name wins over a pax path;
// - numeric fields: leading and trailing NULs and spaces are padding, the value ends at a NUL inside;
//   base-256 with the sign bit set is negative, hence an error for a size;
// - pax records fill their data exactly (NUL padding inside the record area is an error), and a
//   path or linkpath holding a NUL is refused;
// - paths are cleaned as containerd cleans them: `.` and empty segments go, `..` takes the segment
//   before it away and stops at the root (`../x` unpacks as `x`).
//
// Limits (limits.ts): entries per layer and per measurement, path bytes and depth; a LimitError
// (not a TarError: the archive may be valid, only too costly) stops the stream.


/** The stream is not a readable tar archive (bad checksum, truncated, invalid field). */
class TarError extends Error {
    truncated;
    constructor(message, 
    /** The stream ended inside an entry: what wrote it may have failed, and has the better message. */
    truncated = false) {
        super(message);
        this.truncated = truncated;
        this.name = 'TarError';
    }
}
const BLOCK = 512;
/** Largest pax record or GNU long name accepted (Go's archive/tar uses the same bound). */
const MAX_META_BYTES = 1024 * 1024;
/** Types whose header is the whole entry: no data follows even when the size field says otherwise (as Go and GNU tar read them). */
const HEADER_ONLY = new Set(['1', '2', '3', '4', '5', '6']);
/**
 * The tar state machine: `push` each chunk as it comes (any split, down to single bytes), then `end`.
 * Entries are handed to `onEntry` synchronously, in archive order; errors are thrown as TarError.
 */
class TarParser {
    onEntry;
    budget;
    pick;
    state = { kind: 'header' };
    block = Buffer.alloc(BLOCK);
    fill = 0;
    /** Offset in the stream of the next byte pushed, for messages. */
    offset = 0;
    /** Zero blocks read in a row (the second one ends the archive). */
    zeroBlocks = 0;
    pending = {};
    /** Entries handed out so far. */
    entries = 0;
    /**
     * `budget` counts entries across the layers of one measurement; a fresh one has the default limits.
     * `pick` is asked for each entry whether its content is read, and where to.
     */
    constructor(onEntry, budget = new MeasureBudget(), pick) {
        this.onEntry = onEntry;
        this.budget = budget;
        this.pick = pick;
    }
    /** Whether the end-of-archive marker (two zero blocks) has been read. */
    get complete() {
        return this.state.kind === 'end';
    }
    push(chunk) {
        let at = 0;
        while (at < chunk.length) {
            const state = this.state;
            switch (state.kind) {
                case 'end':
                    this.offset += chunk.length - at;
                    return;
                case 'data':
                    at = this.data(state, chunk, at);
                    break;
                case 'meta': {
                    const want = state.size + state.pad - state.got;
                    const n = Math.min(want, chunk.length - at);
                    const dataLeft = state.size - state.got;
                    if (dataLeft > 0)
                        state.parts.push(Buffer.from(chunk.subarray(at, at + Math.min(n, dataLeft))));
                    state.got += n;
                    at += n;
                    this.offset += n;
                    if (state.got === state.size + state.pad) {
                        this.state = { kind: 'header' };
                        this.applyMeta(state.type, Buffer.concat(state.parts));
                    }
                    break;
                }
                case 'header':
                case 'sparse': {
                    const n = Math.min(BLOCK - this.fill, chunk.length - at);
                    this.block.set(chunk.subarray(at, at + n), this.fill);
                    this.fill += n;
                    at += n;
                    this.offset += n;
                    if (this.fill === BLOCK) {
                        this.fill = 0;
                        if (state.kind === 'header')
                            this.header();
                        else
                            this.sparseExtension(state.then);
                    }
                    break;
                }
            }
        }
    }
    /** Goes past content and padding from `at`, handing the content to the sink; returns where it stopped. */
    data(state, chunk, at) {
        if (state.left > 0) {
            const n = Math.min(state.left, chunk.length - at);
            state.left -= n;
            this.offset += n;
            if (state.sink) {
                const view = chunk.subarray(at, at + n);
                state.sink.write(Buffer.isBuffer(view) ? view : Buffer.from(view.buffer, view.byteOffset, view.length));
                if (state.left === 0)
                    state.sink.end();
            }
            at += n;
        }
        const n = Math.min(state.pad, chunk.length - at);
        state.pad -= n;
        this.offset += n;
        if (state.left === 0 && state.pad === 0)
            this.state = { kind: 'header' };
        return at + n;
    }
    /** The stream has ended: throws unless it stopped between entries. */
    end() {
        const state = this.state;
        const truncated = (message) => new TarError(`truncated tar stream: ${message}`, true);
        switch (state.kind) {
            case 'end':
                return;
            case 'header':
                // A missing end-of-archive marker is tolerated, as Go's archive/tar (and so containerd) does,
                // but not a header cut short or one that announced a following entry.
                if (this.fill > 0)
                    throw truncated(`it ends ${this.fill} bytes into a header at byte ${this.offset - this.fill}`);
                if (this.announced())
                    throw truncated(`it ends after a pax or long-name header, without the entry it describes`);
                return;
            case 'data':
                throw truncated(`it ends ${state.left + state.pad} bytes before the end of an entry's content`);
            case 'meta':
                throw truncated(`it ends inside a ${state.type === 'L' || state.type === 'K' ? 'GNU long-name' : 'pax'} record`);
            case 'sparse':
                throw truncated('it ends inside a GNU sparse header');
        }
    }
    announced() {
        return this.pending.pax !== undefined || this.pending.longName !== undefined || this.pending.longLink !== undefined;
    }
    header() {
        const b = this.block;
        const at = this.offset - BLOCK;
        if (b.every((x) => x === 0)) {
            if (this.announced())
                throw new TarError(`tar stream ends after a pax or long-name header, without the entry it describes`);
            // Two zero blocks end the archive; one zero block at the very end of the stream is tolerated (see end()).
            if (++this.zeroBlocks >= 2)
                this.state = { kind: 'end' };
            return;
        }
        if (this.zeroBlocks > 0)
            throw new TarError(`tar header at byte ${at}: an entry follows a zero block (corrupt archive)`);
        checkChecksum(b, at);
        const type = String.fromCharCode(b[156] ?? 0);
        const size = numeric(b, 124, 12, 'size', at);
        switch (type) {
            case 'x':
            case 'g':
            case 'L':
            case 'K':
                if (size > MAX_META_BYTES)
                    throw new TarError(`tar header at byte ${at}: a ${type} record of ${size} bytes is larger than the ${MAX_META_BYTES} accepted`);
                this.state = { kind: 'meta', type, size, parts: [], got: 0, pad: padding(size) };
                if (size === 0) {
                    this.state = { kind: 'header' };
                    this.applyMeta(type, Buffer.alloc(0));
                }
                return;
        }
        this.member(type, size, at);
    }
    /** A header that is an entry of the archive (not a pax or long-name record). */
    member(type, headerSize, at) {
        const b = this.block;
        const { pax = {}, longName, longLink } = this.pending;
        this.pending = {};
        const name = cString(b, 0, 100);
        // Only POSIX ustar has a prefix field; old GNU headers keep times there.
        const prefix = b.toString('latin1', 257, 263) === 'ustar\0' ? cString(b, 345, 155) : '';
        const rawPath = longName ?? pax.sparseName ?? pax.path ?? (prefix ? `${prefix}/${name}` : name);
        const linkpath = longLink ?? pax.linkpath ?? cString(b, 157, 100);
        const stored = pax.size ?? headerSize;
        const kind = entryType(type, rawPath);
        if (kind === undefined)
            return this.skipData(stored); // a GNU volume label: not a member of the filesystem
        // Header-only types and v7 directories carry no data, whatever the size says.
        const data = HEADER_ONLY.has(type) || (kind === 'dir' && type !== 'D') ? 0 : stored;
        let size = 0;
        if (kind === 'file')
            size = type === 'S' ? (pax.realSize ?? numeric(b, 483, 12, 'realsize', at)) : (pax.realSize ?? stored);
        const entry = { path: normalisePath(rawPath), type: kind, size };
        checkPath(entry.path, this.budget.limits);
        this.budget.entry(++this.entries);
        this.onEntry(entry);
        // A sparse file's stored data is not its content: it is counted past.
        const sink = type === 'S' || pax.realSize !== undefined ? undefined : this.pick?.(entry, linkpath);
        // An old GNU sparse header is followed by extension blocks while its `isextended` flag is set.
        if (type === 'S' && (b[482] ?? 0) !== 0)
            this.state = { kind: 'sparse', then: data + padding(data) };
        else
            this.skipData(data, sink);
    }
    sparseExtension(then) {
        if ((this.block[504] ?? 0) !== 0)
            this.state = { kind: 'sparse', then };
        else
            this.state = then > 0 ? { kind: 'data', left: 0, pad: then } : { kind: 'header' };
    }
    skipData(bytes, sink) {
        if (bytes === 0)
            sink?.end();
        const pad = padding(bytes);
        this.state = bytes + pad > 0 ? { kind: 'data', left: bytes, pad, ...(sink ? { sink } : {}) } : { kind: 'header' };
    }
    applyMeta(type, data) {
        const at = this.offset - data.length - padding(data.length);
        if (type === 'L')
            this.pending.longName = cString(data, 0, data.length);
        else if (type === 'K')
            this.pending.longLink = cString(data, 0, data.length);
        else if (type === 'g')
            paxRecords(data, at); // checked, then ignored (Go's reader and containerd do not apply them)
        else
            this.pending.pax = paxFields(paxRecords(data, at), at);
    }
}
/** Entry types by typeflag; others are `other` (GNU dumpdir `D` is a directory whose data lists its contents). */
const TYPES = { '0': 'file', '7': 'file', S: 'file', '1': 'hardlink', '2': 'symlink', '5': 'dir', D: 'dir' };
/** The entry type of a header's typeflag; undefined for a GNU volume label, which is no entry. */
function entryType(type, rawPath) {
    if (type === 'V')
        return undefined;
    // A v7 header marks a directory only by the trailing slash of its name.
    if (type === '\0')
        return rawPath.endsWith('/') ? 'dir' : 'file';
    return TYPES[type] ?? 'other';
}
/** The fields of a pax `x` header this reader uses; an empty value leaves the header's own (as Go does). */
function paxFields(records, at) {
    const out = {};
    for (const [key, value] of records) {
        if (value === '')
            continue;
        switch (key) {
            case 'path':
            case 'linkpath':
            case 'GNU.sparse.name':
                if (value.includes('\0'))
                    throw new TarError(`pax record at byte ${at}: ${key} holds a NUL byte`);
                out[key === 'GNU.sparse.name' ? 'sparseName' : key] = value;
                break;
            case 'size':
            case 'GNU.sparse.realsize':
            case 'GNU.sparse.size':
                if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value)))
                    throw new TarError(`pax record at byte ${at}: ${key}="${value}" is not a size`);
                out[key === 'size' ? 'size' : 'realSize'] = Number(value);
                break;
        }
    }
    return out;
}
/** Parses `"%d %s=%s\n"` records; the length counts the whole record, its own digits included. */
function paxRecords(data, at = 0) {
    const out = [];
    let i = 0;
    while (i < data.length) {
        const space = data.indexOf(0x20, i);
        const lengthText = space > i ? data.toString('latin1', i, space) : '';
        const length = /^\d{1,7}$/.test(lengthText) ? Number(lengthText) : NaN;
        if (!Number.isFinite(length) || length <= space - i + 1 || i + length > data.length || data[i + length - 1] !== 0x0a) {
            throw new TarError(`pax header at byte ${at}: malformed record at offset ${i}`);
        }
        const record = data.toString('utf8', space + 1, i + length - 1);
        const eq = record.indexOf('=');
        if (eq <= 0)
            throw new TarError(`pax header at byte ${at}: record without "key=" at offset ${i}`);
        out.push([record.slice(0, eq), record.slice(eq + 1)]);
        i += length;
    }
    return out;
}
/**
 * A path cleaned as containerd cleans an entry's name before unpacking it: `./`, `/` and empty
 * segments go, `..` removes the segment before it and stops at the root; `''` is the root.
 */
function normalisePath(raw) {
    const out = [];
    for (const segment of raw.split('/')) {
        if (segment === '' || segment === '.')
            continue;
        if (segment === '..')
            out.pop();
        else
            out.push(segment);
    }
    return out.join('/');
}
function padding(size) {
    return (BLOCK - (size % BLOCK)) % BLOCK;
}
function cString(b, start, length) {
    const end = start + length;
    let stop = start;
    while (stop < end && b[stop] !== 0)
        stop++;
    return Buffer.from(b.buffer, b.byteOffset + start, stop - start).toString('utf8');
}
/**
 * An octal field as Go reads it: leading and trailing NULs and spaces are padding, the value ends
 * at a NUL inside; or GNU base-256 when the high bit is set (negative, an error, when the next bit is).
 */
function numeric(b, start, length, field, at) {
    const first = b[start] ?? 0;
    if (first & 0x80) {
        if (first & 0x40)
            throw new TarError(`tar header at byte ${at}: negative ${field}`);
        let value = first & 0x3f;
        for (let i = start + 1; i < start + length; i++) {
            value = value * 256 + (b[i] ?? 0);
            if (!Number.isSafeInteger(value))
                throw new TarError(`tar header at byte ${at}: ${field} too large`);
        }
        return value;
    }
    const value = octal(b, start, length);
    if (value === undefined) {
        const text = b.toString('latin1', start, start + length).replace(/^[\0 ]+|[\0 ]+$/g, '');
        throw new TarError(`tar header at byte ${at}: ${field} field "${text.replace(/[^\x20-\x7e]/g, '?')}" is not an octal number`);
    }
    return value;
}
/** The value of an octal field (see numeric), undefined when it holds anything else. */
function octal(b, start, length) {
    let from = start;
    let to = start + length;
    while (from < to && (b[from] === 0 || b[from] === 0x20))
        from++;
    while (to > from && (b[to - 1] === 0 || b[to - 1] === 0x20))
        to--;
    const nul = b.indexOf(0, from);
    if (nul >= 0 && nul < to)
        to = nul;
    const text = b.toString('latin1', from, to);
    if (text === '')
        return 0;
    return /^[0-7]+$/.test(text) ? parseInt(text, 8) : undefined;
}
function checkChecksum(b, at) {
    let unsigned = 0;
    let signed = 0;
    for (let i = 0; i < BLOCK; i++) {
        const x = i >= 148 && i < 156 ? 0x20 : (b[i] ?? 0);
        unsigned += x;
        signed += x > 127 ? x - 256 : x;
    }
    const field = b.subarray(148, 156);
    const expected = field.every((x) => x === 0 || x === 0x20) ? undefined : octal(b, 148, 8);
    if (expected !== unsigned && expected !== signed) {
        throw new TarError(expected === undefined
            ? `not a tar stream: the header at byte ${at} has no valid checksum`
            : `tar header at byte ${at}: checksum mismatch (header says ${expected}, content sums to ${unsigned})`);
    }
}
/**
 * A pass-through that parses the tar bytes flowing through it: for reading the entries in the same
 * pass that counts and digests the stream. Each chunk goes on unchanged once parsed; a malformed or
 * truncated stream fails with a TarError.
 */
function createTarTap(onEntry, budget) {
    const parser = new TarParser(onEntry, budget);
    const run = (step) => {
        try {
            step();
            return null;
        }
        catch (e) {
            return e;
        }
    };
    return new external_node_stream_namespaceObject.Transform({
        transform(chunk, _encoding, callback) {
            const error = run(() => parser.push(chunk));
            if (error)
                callback(error);
            else
                callback(null, chunk);
        },
        flush(callback) {
            callback(run(() => parser.end()));
        }
    });
}

;// CONCATENATED MODULE: external "node:v8"
const external_node_v8_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:v8");
var external_node_v8_default = /*#__PURE__*/__nccwpck_require__.n(external_node_v8_namespaceObject);
;// CONCATENATED MODULE: external "node:vm"
const external_node_vm_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:vm");
var external_node_vm_default = /*#__PURE__*/__nccwpck_require__.n(external_node_vm_namespaceObject);
;// CONCATENATED MODULE: ./src/image/stream-garbage.ts
// Keeps the measurement's memory small and fixed. A stream's chunks are Buffers whose bytes live
// outside V8's heap, and they are freed only when V8 collects the small objects that hold them. V8
// starts a collection for such memory only after about 64 MB of it has piled up, so a measurement
// that reads gigabytes in 256 KiB chunks carried some 70 MB of dead chunks at any time. Here, every
// READ_BETWEEN bytes read, the measurement asks V8 for a young-generation collection (a scavenge:
// about a millisecond, as the chunks die young), through the `gc` function that `--expose-gc`
// gives, turned on at run time as jest's leak detector does. Where that cannot be had, nothing is done.
// Every MINOR_PER_MAJOR-th collection is of the whole heap (about 10 ms on a measurement's heap, once
// per 64 MiB read): a chunk in flight when the young generation is collected twice moves to the old
// one, where, dead a moment later, it would wait for a whole-heap collection that V8 starts only
// after tens of megabytes of such chunks have piled up.
// The young generation is also kept at its first size (two semi-spaces of 1 MB): V8 grows it to
// 2 x 16 MB when objects survive its collections, as chunks in flight do, and that space stays
// resident; a measurement's young objects are small and die young (`--semi-space-growth-factor=1`,
// read by V8 each time it would grow the space).


/** Bytes read between two collections. */
const READ_BETWEEN = 4 * 1024 * 1024;
/** Young collections between two whole-heap ones. */
const MINOR_PER_MAJOR = 16;
let collect;
let sinceLast = 0;
let minors = 0;
function collector() {
    if (collect === undefined) {
        try {
            external_node_v8_default().setFlagsFromString('--expose-gc');
            external_node_v8_default().setFlagsFromString('--semi-space-growth-factor=1');
            const gc = external_node_vm_default().runInNewContext('gc');
            collect = typeof gc === 'function' ? gc : null;
        }
        catch {
            collect = null;
        }
    }
    return collect;
}
/**
 * `bytes` more were read by a measurement (any of them, at once): collects young garbage every
 * READ_BETWEEN bytes, and the whole heap every MINOR_PER_MAJOR-th time. Says whether it collected now.
 */
function readBytes(bytes) {
    sinceLast += bytes;
    if (sinceLast < READ_BETWEEN)
        return false;
    sinceLast = 0;
    const gc = collector();
    minors = (minors + 1) % MINOR_PER_MAJOR;
    gc?.({ type: minors === 0 ? 'major' : 'minor', execution: 'sync' });
    return gc !== null;
}

;// CONCATENATED MODULE: ./src/image/layer-stream.ts
// One layer blob streamed into its numbers: the bytes pass through a sha256 (checked against the
// descriptor), the decompressor its media type names, and, with files, the tar reader, into a
// counter. Where the bytes come from (a file of an OCI layout, the export stream of buildx, a
// registry) is the caller's; no layer is ever held in memory. The limits of limits.ts are checked
// on every chunk the decompressor gives.








/** Output chunk size of the gunzip stream. */
const GUNZIP_CHUNK = 256 * 1024;
/**
 * Streams one layer blob (`source`, the blob's bytes as stored) into its uncompressed size and, with
 * files, its entries. The blob's sha256 must be the descriptor's digest; an uncompressed layer's
 * diff_id must be that digest too. Every failure names the layer.
 */
async function measureLayerStream(source, layer, diffId, ctx) {
    let compression;
    let transforms;
    try {
        compression = compressionOf(layer);
        transforms = decompressor(compression, layer);
    }
    catch (e) {
        source.destroy();
        throw e;
    }
    const blobHash = (0,external_node_crypto_namespaceObject.createHash)('sha256');
    const entries = ctx.files ? [] : undefined;
    if (entries)
        transforms.push(createTarTap((entry) => entries.push(entry), ctx.budget));
    const budget = ctx.budget;
    let uncompressedBytes;
    try {
        budget.checkTime();
        uncompressedBytes = await countStream(source, [digestTap(blobHash), ...transforms], undefined, {
            onChunk: (bytes, count) => budget.inflated(bytes, count, layer.size),
            signal: AbortSignal.timeout(budget.remainingMs())
        });
    }
    catch (e) {
        source.destroy();
        const limit = e instanceof LimitError ? e : isAbortError(e) ? timeoutError(budget.limits.timeoutMs) : undefined;
        if (limit)
            throw new Error(limitMessage(ctx.target, layer.digest, limit.detail));
        if (e instanceof TarError)
            throw new Error(`Layer ${layer.digest}: not a valid tar stream (${e.message})`);
        throw new Error(`Layer ${layer.digest}: cannot read it as ${compression === 'none' ? 'a tar stream' : `${compression} data`} (${describe(e)})`);
    }
    checkDigest(blobHash, layer.digest, `Layer blob ${layer.digest}`);
    // Every number comes from the blob, whose digest was just checked. The config's diff_id of an
    // uncompressed layer is that same digest; a compressed layer's diff_id is not hashed again (a
    // second sha256 of the inflated bytes made the measurement 1.3x slower and checks no number).
    checkDiffId(layer, compression, diffId);
    return entries ? { uncompressedBytes, entries } : { uncompressedBytes };
}
/**
 * The one diff_id check: an uncompressed layer's diff_id (from the config; empty when not known yet)
 * must be its blob's digest. A layer measured before its config was read (streamed, or followed as
 * it was written) is checked here when its numbers are used.
 */
function checkDiffId(layer, compression, diffId) {
    if (compression === 'none' && diffId && diffId !== layer.digest) {
        throw new Error(`Uncompressed layer ${layer.digest} does not match its diff_id ${diffId}`);
    }
}
/** Bytes looked at before deciding what a blob is (a tar header's magic sits at 257). */
const SNIFF = 512;
/**
 * A layer blob's compression from its first bytes (at least SNIFF of them, or the whole blob): gzip
 * or zstd data, or a tar stream (a header with the ustar magic, or an empty archive of zero blocks).
 * Anything else is no layer.
 */
function layerCompressionOf(head) {
    if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b)
        return 'gzip';
    if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528)
        return 'zstd';
    const tar = head.length >= 512 && (head.toString('latin1', 257, 262) === 'ustar' || head.every((b) => b === 0));
    return tar ? 'none' : undefined;
}
/** The OCI media type of a layer compressed so. */
const LAYER_MEDIA_TYPE = {
    gzip: MediaType.ociLayerGzip,
    zstd: MediaType.ociLayerZstd,
    none: MediaType.ociLayer
};
/** The compression a layer's media type names; an unknown media type is refused, naming the layer. */
function compressionOf(layer) {
    const compression = layerCompression(layer.mediaType);
    if (compression === undefined)
        throw new Error(`Layer ${layer.digest} has unsupported media type "${layer.mediaType}"`);
    return compression;
}
/**
 * Pipes `source` through `transforms` into a sink that counts (and, given `hash`, digests) the
 * bytes coming out, one chunk at a time. Resolves to the count; rejects on any stream's error.
 */
async function countStream(source, transforms = [], hash, 
/** Told of every chunk and the count so far; what it throws fails the stream. Aborting `signal` does too. */
watch) {
    let count = 0;
    const sink = new external_node_stream_namespaceObject.Writable({
        write(chunk, _encoding, callback) {
            count += chunk.length;
            readBytes(chunk.length);
            hash?.update(chunk);
            try {
                watch?.onChunk?.(chunk.length, count);
            }
            catch (e) {
                callback(e);
                return;
            }
            callback();
        }
    });
    await (0,external_node_stream_promises_namespaceObject.pipeline)([source, ...transforms, sink], watch?.signal ? { signal: watch.signal } : {});
    return count;
}
/** A pass-through that feeds every chunk to `hash` (for checking a blob's digest on the way). */
function digestTap(hash) {
    return new external_node_stream_namespaceObject.Transform({
        transform(chunk, _encoding, callback) {
            hash.update(chunk);
            callback(null, chunk);
        }
    });
}
function decompressor(compression, layer) {
    switch (compression) {
        case 'none':
            return [];
        case 'gzip':
            // 256 KiB output chunks instead of zlib's 16 KiB: 2.5x faster inflation (docs/benchmarks.md).
            return [external_node_zlib_namespaceObject.createGunzip({ chunkSize: GUNZIP_CHUNK })];
        case 'zstd': {
            // zlib has zstd from Node.js 22.15 / 23.8 on (the action runs on node24); older runtimes get a clear error.
            const create = external_node_zlib_namespaceObject.createZstdDecompress;
            if (typeof create !== 'function') {
                throw new Error(`Layer ${layer.digest} is zstd-compressed (${layer.mediaType}) and this Node.js ${process.version} cannot decompress zstd (needs >= 22.15)`);
            }
            return [create()];
        }
    }
}
/** Throws unless `hash` (of a blob just read) is the `expected` sha256 digest. */
function checkDigest(hash, expected, label) {
    const actual = `sha256:${hash.digest('hex')}`;
    if (expected.startsWith('sha256:') && actual !== expected) {
        throw new Error(`${label} does not match its digest (content is ${actual})`);
    }
}
function describe(e) {
    return e instanceof Error ? e.message : String(e);
}

;// CONCATENATED MODULE: ./src/image/file-tree.ts

const WHITEOUT = '.wh.';
const OPAQUE = '.wh..wh..opq';
/** Incremental: apply each layer's entries in order, then read `result()`. One node per live path. */
class FileSystemModel {
    limits;
    root = { kind: 'dir', size: 0, layer: -1, children: new Map() };
    layer = -1;
    wastedTotal = 0;
    /** Wasted bytes per path, every overwritten or deleted version summed. */
    wastedByPath = new Map();
    /** Nodes in the tree, the root left out. */
    nodes = 0;
    constructor(limits = limits_DEFAULT_LIMITS) {
        this.limits = limits;
    }
    /** Applies one layer's entries, in archive order. */
    applyLayer(entries) {
        this.layer++;
        for (const entry of entries)
            this.apply(entry);
        return this;
    }
    /** The final filesystem's regular files (sorted by path), the wasted total and the `top` largest wasted paths. */
    result(top = 20) {
        const files = [];
        const layerOf = new Map();
        const stack = [[this.root, '']];
        for (let top = stack.pop(); top; top = stack.pop()) {
            const [dir, prefix] = top;
            for (const [name, node] of dir.children ?? []) {
                const path = join(prefix, name);
                if (node.kind === 'file' || node.kind === 'hardlink') {
                    files.push([path, node.size]);
                    layerOf.set(path, node.layer);
                }
                else if (node.children)
                    stack.push([node, path]);
            }
        }
        files.sort((a, b) => compare(a[0], b[0]));
        const wasted = [...this.wastedByPath]
            .filter(([, bytes]) => bytes > 0)
            .sort((a, b) => b[1] - a[1] || compare(a[0], b[0]))
            .slice(0, Math.max(0, top))
            .map(([path, bytes]) => ({ path, bytes }));
        return { final: new Map(files), layerOf, wastedBytes: this.wastedTotal, wasted };
    }
    apply(entry) {
        if (entry.path === '')
            return; // the root directory itself
        const slash = entry.path.lastIndexOf('/');
        const dirPath = slash < 0 ? '' : entry.path.slice(0, slash);
        const name = entry.path.slice(slash + 1);
        if (name.startsWith(WHITEOUT)) {
            // A whiteout under a missing directory has nothing to hide: no directory is made for it.
            const dir = this.lookupDir(dirPath);
            if (!dir?.children)
                return;
            if (name === OPAQUE) {
                for (const [child, node] of [...dir.children])
                    this.hideLower(dir, child, node, join(dirPath, child));
            }
            else if (!name.startsWith(WHITEOUT + WHITEOUT)) {
                const target = name.slice(WHITEOUT.length);
                const node = dir.children.get(target);
                if (node)
                    this.hideLower(dir, target, node, join(dirPath, target));
            }
            return;
        }
        // aufs keeps hard-link targets under /.wh..wh.plnk: never part of the filesystem (as Docker skips them).
        if (`/${dirPath}`.includes(`/${WHITEOUT}${WHITEOUT}`))
            return;
        const dir = this.makeDirs(dirPath);
        const children = dir.children ?? (dir.children = new Map());
        const existing = children.get(name);
        if (existing?.kind === 'dir' && entry.type === 'dir') {
            existing.layer = this.layer;
            return;
        }
        if (existing)
            this.remove(existing, entry.path);
        const node = { kind: entry.type, size: entry.type === 'file' ? entry.size : 0, layer: this.layer };
        if (entry.type === 'dir')
            node.children = new Map();
        this.add();
        children.set(name, node);
    }
    /** Counts a node about to be linked in, within the limit. */
    add() {
        if (++this.nodes > this.limits.maxTreeNodes) {
            throw new LimitError(`the image's file tree has more than ${this.limits.maxTreeNodes} paths (the limit per image)`);
        }
    }
    /** Removes from `parent` what lower layers wrote at `name`, keeping what this layer wrote. */
    hideLower(parent, name, node, path) {
        const stack = [[parent, name, node, path]];
        for (let top = stack.pop(); top; top = stack.pop()) {
            const [above, at, here, herePath] = top;
            if (here.layer < this.layer) {
                this.remove(here, herePath);
                above.children?.delete(at);
                continue;
            }
            for (const [child, sub] of [...(here.children ?? [])])
                stack.push([here, child, sub, join(herePath, child)]);
        }
    }
    /** Counts a node (and everything under it) as wasted and as gone from the tree; the caller unlinks it. */
    remove(node, path) {
        const stack = [[node, path]];
        for (let top = stack.pop(); top; top = stack.pop()) {
            const [here, herePath] = top;
            this.nodes--;
            if (here.kind === 'file') {
                this.wastedTotal += here.size;
                this.wastedByPath.set(herePath, (this.wastedByPath.get(herePath) ?? 0) + here.size);
            }
            for (const [name, child] of here.children ?? [])
                stack.push([child, join(herePath, name)]);
        }
    }
    lookupDir(path) {
        let node = this.root;
        if (path === '')
            return node;
        for (const part of path.split('/')) {
            node = node.children?.get(part);
            if (!node)
                return undefined;
        }
        return node.kind === 'dir' ? node : undefined;
    }
    /** The directory at `path`, making missing ones (and replacing non-directories) on the way. */
    makeDirs(path) {
        let node = this.root;
        if (path === '')
            return node;
        let at = '';
        for (const part of path.split('/')) {
            at = join(at, part);
            const children = node.children ?? (node.children = new Map());
            let next = children.get(part);
            if (next?.kind !== 'dir') {
                if (next)
                    this.remove(next, at);
                next = { kind: 'dir', size: 0, layer: this.layer, children: new Map() };
                this.add();
                children.set(part, next);
            }
            // This layer needs the directory for its entry: a whiteout of the same layer keeps it.
            next.layer = this.layer;
            node = next;
        }
        return node;
    }
}
/** Applies `layers` (each an entry list, lowest first) to an empty filesystem. */
function applyLayers(layers, top = 20, limits = DEFAULT_LIMITS) {
    const model = new FileSystemModel(limits);
    for (const entries of layers)
        model.applyLayer(entries);
    return model.result(top);
}
function join(dir, name) {
    return dir ? `${dir}/${name}` : name;
}
/** Code-unit order: stable across locales. */
function compare(a, b) {
    return a < b ? -1 : a > b ? 1 : 0;
}
/**
 * The same file view with every path passed through `mask`: a path can carry a build-arg value
 * (`RUN touch /$TOKEN`), and paths reach the comment, summary and report. Paths that mask to the same
 * text become one, their bytes summed; the orders of {@link FileSystemModel.result} are kept.
 */
function maskFilePaths(files, mask) {
    // The common case, no path masked: the same view, not a copy of every path of the image.
    // (layerOf has the paths of final.)
    const unchanged = (paths) => {
        for (const path of paths)
            if (mask(path) !== path)
                return false;
        return true;
    };
    if (unchanged(files.final.keys()) && unchanged(files.wasted.map((w) => w.path)))
        return files;
    const merge = (entries) => {
        const out = new Map();
        for (const [path, bytes] of entries) {
            const masked = mask(path);
            out.set(masked, (out.get(masked) ?? 0) + bytes);
        }
        return [...out];
    };
    const final = merge(files.final).sort((a, b) => compare(a[0], b[0]));
    // Paths that mask to one keep the latest layer that wrote any of them.
    const layerOf = files.layerOf ? new Map() : undefined;
    for (const [path, layer] of files.layerOf ?? []) {
        const masked = mask(path);
        layerOf?.set(masked, Math.max(layer, layerOf.get(masked) ?? -1));
    }
    const wasted = merge(files.wasted.map(({ path, bytes }) => [path, bytes]))
        .sort((a, b) => b[1] - a[1] || compare(a[0], b[0]))
        .map(([path, bytes]) => ({ path, bytes }));
    return { final: new Map(final), ...(layerOf ? { layerOf } : {}), wastedBytes: files.wastedBytes, wasted };
}

;// CONCATENATED MODULE: ./src/image/layout-dir.ts
// An OCI image layout directory as a BlobSource (measure.ts): what
// `docker buildx build --output type=oci,dest=<dir>,tar=false` writes. Blobs are addressed only by
// validated sha256 digests, never followed through symlinks (lstat, then O_NOFOLLOW), and checked
// against the size and digest their descriptor gives. Layers stream from disk (layer-stream.ts); one
// measured while the layout was written (layout-follow.ts) is taken by measure.ts from the run's
// shared layers and never asked of this source.







class DirLayout {
    dir;
    method = 'oci-layout';
    label;
    constructor(dir) {
        this.dir = dir;
        this.label = `OCI layout ${dir}`;
    }
    /** The index's descriptors, once `oci-layout` and `blobs/sha256/` are checked. */
    async roots() {
        const version = parseLayoutFile(await this.readFile('oci-layout'), `${this.dir}/oci-layout`);
        if (!/^1\./.test(version))
            throw new Error(`OCI layout ${this.dir}: unsupported imageLayoutVersion "${version}"`);
        for (const sub of ['blobs', (0,external_node_path_namespaceObject.join)('blobs', 'sha256')]) {
            const st = await (0,promises_namespaceObject.lstat)((0,external_node_path_namespaceObject.join)(this.dir, sub)).catch((e) => {
                throw new Error(`OCI layout ${this.dir}: cannot read ${sub}/ (${layout_dir_errorCode(e)})`);
            });
            if (!st.isDirectory())
                throw new Error(`OCI layout ${this.dir}: ${sub} is not a directory (symlinks are refused)`);
        }
        return parseIndex(await this.readFile('index.json'), `${this.dir}/index.json`).manifests;
    }
    async jsonBlob(desc, what) {
        if (desc.size > MAX_JSON_BLOB) {
            throw new Error(`${capitalize(what)} ${desc.digest} is ${desc.size} bytes, more than the ${MAX_JSON_BLOB} accepted`);
        }
        const handle = await this.openBlob(desc, what);
        let buf;
        try {
            buf = await readAll(handle, desc.size);
        }
        finally {
            await handle.close();
        }
        checkDigest((0,external_node_crypto_namespaceObject.createHash)('sha256').update(buf), desc.digest, `${capitalize(what)} ${desc.digest}`);
        return buf.toString('utf8');
    }
    async layer(desc, diffId, ctx) {
        compressionOf(desc);
        const handle = await this.openBlob(desc, 'layer').catch((e) => {
            if (isForeignLayer(desc.mediaType) && layout_dir_errorCode(e) === 'ENOENT') {
                throw new Error(`Layer ${desc.digest} is a foreign (non-distributable) layer and is not in the layout: its uncompressed size cannot be measured`);
            }
            throw e;
        });
        // The stream owns the handle from here and closes it at the end or on error.
        return measureLayerStream(handle.createReadStream({ highWaterMark: 256 * 1024 }), desc, diffId, ctx);
    }
    /** A small top-level file of the layout (oci-layout, index.json). */
    async readFile(name) {
        const path = (0,external_node_path_namespaceObject.join)(this.dir, name);
        const handle = await this.openRegular(path, `OCI layout ${this.dir}: ${name}`);
        try {
            const { size } = await handle.stat();
            if (size > MAX_JSON_BLOB)
                throw new Error(`OCI layout ${this.dir}: ${name} is ${size} bytes, more than the ${MAX_JSON_BLOB} accepted`);
            return (await readAll(handle, size)).toString('utf8');
        }
        finally {
            await handle.close();
        }
    }
    /** Opens a blob by digest; refuses non-sha256 digests, symlinks, non-files and a size other than the descriptor's. */
    async openBlob(desc, what) {
        if (!isSha256Digest(desc.digest)) {
            throw new Error(`${capitalize(what)} digest "${desc.digest}" is not sha256:<64 hex>; refused`);
        }
        const path = (0,external_node_path_namespaceObject.join)(this.dir, 'blobs', 'sha256', desc.digest.slice('sha256:'.length));
        const handle = await this.openRegular(path, `${capitalize(what)} ${desc.digest}`);
        const { size } = await handle.stat();
        if (size !== desc.size) {
            await handle.close();
            throw new Error(`${capitalize(what)} ${desc.digest} is ${size} bytes on disk but its descriptor says ${desc.size}`);
        }
        return handle;
    }
    /** lstat first for a clear message, then O_NOFOLLOW so a symlink swapped in meanwhile still fails. */
    async openRegular(path, label) {
        const st = await (0,promises_namespaceObject.lstat)(path).catch((e) => {
            const code = layout_dir_errorCode(e);
            const err = new Error(`${label}: ${code === 'ENOENT' ? 'missing' : `cannot read (${code})`}`);
            err.code = code;
            throw err;
        });
        if (st.isSymbolicLink())
            throw new Error(`${label} is a symlink; refused`);
        if (!st.isFile())
            throw new Error(`${label} is not a regular file; refused`);
        const handle = await (0,promises_namespaceObject.open)(path, external_node_fs_namespaceObject.constants.O_RDONLY | (external_node_fs_namespaceObject.constants.O_NOFOLLOW ?? 0));
        const now = await handle.stat();
        if (!now.isFile()) {
            await handle.close();
            throw new Error(`${label} is not a regular file; refused`);
        }
        return handle;
    }
}
/** Reads exactly `size` bytes (files here are small and sized beforehand). */
async function readAll(handle, size) {
    const buf = Buffer.alloc(size);
    let off = 0;
    while (off < size) {
        const { bytesRead } = await handle.read(buf, off, size - off, off);
        if (bytesRead === 0)
            throw new Error(`file shrank while being read (${off} of ${size} bytes)`);
        off += bytesRead;
    }
    return buf;
}
function layout_dir_errorCode(e) {
    return typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : 'error';
}

;// CONCATENATED MODULE: ./src/image/measure.ts








/**
 * One ImageStats per platform image manifest of the layout, in index order (nested indexes
 * depth-first). Skipped: attestation manifests, manifests whose config is not an image config
 * (artifacts), and a manifest listed a second time (e.g. under two tags).
 *
 * compressedBytes is the sum of the manifest's layer descriptor sizes, exactly what a registry
 * stores for the image. A layer listed twice in one manifest is counted twice, in both sizes and
 * in layerCount: that is what the manifest says, what `docker history` shows and what unpacking
 * applies (a registry would store the blob once and a pull would fetch it once). Each distinct
 * blob is still only read once.
 */
function measureOciLayout(dir, opts, followed) {
    // A followed layout's measurement began with its first blob: its budget and deadline too. The
    // layers it measured on the way are in the shared layers it was given, or in its own.
    const shared = opts.shared ?? followed?.shared;
    return measureImages(new DirLayout(dir), { ...opts, ...(shared ? { shared } : {}) }, followed?.budget ?? new MeasureBudget(opts.limits));
}
/** measureOciLayout's rules, for the images of any source; `budget` is the measurement's, when the source already spent some of it. */
async function measureImages(source, opts, budget = new MeasureBudget(opts.limits)) {
    const roots = await source.roots();
    const manifests = await collectManifests(roots, (desc) => source.jsonBlob(desc, 'image index'), source.label);
    const measurer = new ImageMeasurer(source, opts, budget);
    const images = [];
    const seen = new Set();
    for (const desc of manifests) {
        if (seen.has(desc.digest))
            continue;
        seen.add(desc.digest);
        const image = await measurer.image(desc);
        if (image)
            images.push(image);
    }
    if (images.length === 0)
        throw new Error(`${source.label} holds no image manifest (only attestations or artifacts)`);
    return images;
}
/**
 * Layers read beyond the one being applied: the thread pool inflates them side by side, and the
 * fixed cost of each small layer (opening, stream set-up) overlaps the others' reading.
 */
const LAYERS_AHEAD = 2;
class ImageMeasurer {
    source;
    opts;
    budget;
    /**
     * Per blob digest: its uncompressed size (and, with files, its entry list), read once even when
     * shared between platforms. The entry lists stay cached until the measurement ends: a few dozen
     * bytes per entry, the same order of size as the file models themselves, so a blob is never read twice.
     */
    layers = new Map();
    ctx;
    constructor(source, opts, budget) {
        this.source = source;
        this.opts = opts;
        this.budget = budget;
        this.ctx = { files: opts.files === true, budget, target: opts.target };
    }
    async image(desc) {
        const { source, opts } = this;
        const manifest = parseManifest(await source.jsonBlob(desc, 'image manifest'), desc.digest);
        if (manifest.mediaType !== undefined && manifest.mediaType !== desc.mediaType) {
            throw new Error(`Image manifest ${desc.digest} says it is ${manifest.mediaType}, its descriptor says ${desc.mediaType}`);
        }
        // Artifacts (signatures, SBOMs pushed as OCI artifacts) are manifests too, but not images.
        if (manifest.artifactType !== undefined || !isConfigMediaType(manifest.config.mediaType))
            return undefined;
        const config = parseConfig(await source.jsonBlob(manifest.config, 'image config'), manifest.config.digest);
        checkLayerCount(desc.digest, manifest, config);
        const platform = imagePlatform(config, desc);
        const warning = historyWarning(opts.target, platform, config.history, manifest.layers.length);
        if (warning)
            opts.onWarning?.(warning);
        const instructions = layerInstructions(config.history, manifest.layers.length, opts.secrets);
        const layers = [];
        const model = opts.files ? new FileSystemModel(this.budget.limits) : undefined;
        // The next layers are read while one is awaited (each blob read once: this.layer keeps them);
        // their numbers are applied in order. A failure is met when its turn comes.
        const ahead = (k) => {
            const next = manifest.layers[k];
            if (next)
                this.layer(next, config.diffIds[k] ?? '').catch(() => undefined);
        };
        for (let k = 1; k <= LAYERS_AHEAD; k++)
            ahead(k);
        for (const [i, layer] of manifest.layers.entries()) {
            ahead(i + LAYERS_AHEAD);
            const sizes = await this.layer(layer, config.diffIds[i] ?? '');
            try {
                this.budget.checkTime();
                model?.applyLayer(sizes.entries ?? []);
            }
            catch (e) {
                if (e instanceof LimitError)
                    throw new Error(limitMessage(opts.target, layer.digest, e.detail));
                throw e;
            }
            layers.push({
                digest: layer.digest,
                mediaType: layer.mediaType,
                compressedBytes: layer.size,
                uncompressedBytes: sizes.uncompressedBytes,
                instruction: instructions[i] ?? UNKNOWN_INSTRUCTION
            });
        }
        const files = model?.result();
        return {
            target: opts.target,
            platform,
            digest: desc.digest,
            configDigest: manifest.config.digest,
            compressedBytes: sum(layers.map((l) => l.compressedBytes)),
            uncompressedBytes: sum(layers.map((l) => l.uncompressedBytes)),
            layerCount: layers.length,
            layers,
            method: source.method,
            ...(files ? { files } : {})
        };
    }
    layer(layer, diffId) {
        // The same blob can only have one diff_id, so the blob digest alone keys the cache. `files` is
        // the same for every layer of one measurement, so a cached entry always has what is asked.
        let sizes = this.layers.get(layer.digest);
        if (!sizes) {
            sizes = this.measured(layer, diffId);
            this.layers.set(layer.digest, sizes);
        }
        return sizes;
    }
    /**
     * The run's numbers of this blob when it has them (a failed measurement there: read here), else
     * the source's, shared. Looked up and shared before the first await, so that two measurements
     * asking at once do not both read the blob.
     */
    async measured(layer, diffId) {
        const shared = this.opts.shared;
        const compression = compressionOf(layer);
        const read = () => {
            const sizes = this.source.layer(layer, diffId, this.ctx);
            shared?.add(layer.digest, layer.size, compression, this.ctx.files, sizes);
            return sizes;
        };
        const found = shared?.find(layer.digest, layer.size, this.ctx.files, compression);
        if (!found)
            return read();
        const sizes = await found.catch(() => undefined);
        if (!sizes)
            return read();
        checkDiffId(layer, compression, diffId);
        return sizes;
    }
}

;// CONCATENATED MODULE: ./src/registry/credentials.ts
// Registry credentials found the way the docker CLI finds them, in the docker config that `docker
// login` and docker/login-action write: `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`.
// For a registry host, `credHelpers[host]` names a helper, else `credsStore` does, else
// `auths[host]` holds them (`auth`, base64 `user:password`; or `username`/`password`; or an
// `identitytoken`). Docker Hub's key is `https://index.docker.io/v1/`; a key may carry a scheme and
// a path (`https://ghcr.io/v1/`), matched by its host. A helper is `docker-credential-NAME get`,
// given the key on stdin, answering `{"Username","Secret"}` (`<token>` as the user: the secret is
// an identity token); "credentials not found" means anonymous. A secret never reaches a message.
// Parsing is pure; reading the file and running a helper go through node:fs and the exec seam.






/** The key docker keeps Docker Hub's credentials under. */
const DOCKER_HUB_AUTH_KEY = 'https://index.docker.io/v1/';
/** The user name a helper answers with when its secret is an identity token. */
const TOKEN_USERNAME = '<token>';
const HELPER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
/** A helper that has not answered in this time is stopped. */
const HELPER_TIMEOUT_MS = 60_000;
/** The config file docker reads: `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`. */
function dockerConfigPath(env, home = external_node_os_default().homedir()) {
    return env.DOCKER_CONFIG ? external_node_path_default().join(env.DOCKER_CONFIG, 'config.json') : external_node_path_default().join(home, '.docker', 'config.json');
}
/** The key a registry's credentials are stored under: Docker Hub's legacy URL, else `host[:port]`. */
function authKey(domain) {
    return domain === DOCKER_HUB ? DOCKER_HUB_AUTH_KEY : domain;
}
/** `https://host:port/v1/` → `host:port`, as docker's ConvertToHostname. */
function keyHost(key) {
    const bare = key.replace(/^https?:\/\//i, '');
    return bare.split('/')[0];
}
function fail(source, what) {
    throw new Error(`Malformed docker config ${source}: ${what}`);
}
function stringField(value, source, at) {
    if (value === undefined || value === null || value === '')
        return undefined;
    if (typeof value !== 'string')
        fail(source, `${at} must be a string`);
    return value;
}
function objectField(value, source, at) {
    if (value === undefined || value === null)
        return {};
    if (typeof value !== 'object' || Array.isArray(value))
        fail(source, `${at} must be an object`);
    return value;
}
/** A docker config's text (`source` names the file in errors, which never quote its content). */
function parseDockerConfig(text, source) {
    let doc;
    try {
        doc = JSON.parse(text);
    }
    catch {
        fail(source, 'not valid JSON');
    }
    const root = objectField(doc, source, 'the document');
    const auths = new Map();
    for (const [key, value] of Object.entries(objectField(root.auths, source, '"auths"'))) {
        const e = objectField(value, source, `"auths" entry ${JSON.stringify(key)}`);
        const at = (f) => `"auths" entry ${JSON.stringify(key)} field "${f}"`;
        const entry = {};
        for (const f of ['auth', 'username', 'password', 'identitytoken']) {
            const v = stringField(e[f], source, at(f));
            if (v !== undefined)
                entry[f] = v;
        }
        auths.set(key, entry);
    }
    const credHelpers = new Map();
    for (const [key, value] of Object.entries(objectField(root.credHelpers, source, '"credHelpers"'))) {
        const helper = stringField(value, source, `"credHelpers" entry ${JSON.stringify(key)}`);
        if (helper !== undefined)
            credHelpers.set(key, helper);
    }
    const credsStore = stringField(root.credsStore, source, '"credsStore"');
    return { auths, credHelpers, ...(credsStore !== undefined ? { credsStore } : {}) };
}
/** The entry of `map` for a registry: under its exact key, else under a key whose host is the registry's. */
function lookup(map, domain) {
    const key = authKey(domain);
    const exact = map.get(key);
    if (exact !== undefined)
        return { key, value: exact };
    const host = keyHost(key);
    for (const [k, value] of map)
        if (keyHost(k) === host || (domain === DOCKER_HUB && keyHost(k) === DOCKER_HUB))
            return { key: k, value };
    return undefined;
}
/** The credential helper docker would run for a registry (`credHelpers`, else `credsStore`), or undefined. */
function helperFor(config, domain) {
    return lookup(config.credHelpers, domain)?.value ?? config.credsStore;
}
/** The credentials an `auths` entry holds for a registry, or undefined (anonymous). */
function credentialsFromConfig(config, domain, source) {
    const found = lookup(config.auths, domain);
    if (!found)
        return undefined;
    const where = `${source} ("auths" entry ${JSON.stringify(found.key)})`;
    const entry = found.value;
    let { username, password } = entry;
    if (entry.auth !== undefined) {
        const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        if (colon <= 0)
            throw new Error(`Malformed docker config ${where}: "auth" must be base64 of user:password`);
        username = decoded.slice(0, colon);
        password = decoded.slice(colon + 1);
    }
    if (entry.identitytoken !== undefined) {
        return { kind: 'identity-token', token: entry.identitytoken, ...(username !== undefined ? { username } : {}), source: where };
    }
    if (username !== undefined && password !== undefined)
        return { kind: 'basic', username, password, source: where };
    return undefined;
}
/**
 * A helper's answer to `get`: `{"Username","Secret"}`; `<token>` as the user means an identity
 * token; an empty secret means none. Throws a message naming the helper, never its output.
 */
function parseHelperOutput(stdout, helper, domain) {
    const source = `credential helper docker-credential-${helper} for ${domain}`;
    let doc;
    try {
        doc = JSON.parse(stdout);
    }
    catch {
        throw new Error(`The ${source} answered something other than JSON`);
    }
    const o = doc !== null && typeof doc === 'object' && !Array.isArray(doc) ? doc : {};
    const { Username: username, Secret: secret } = o;
    if (typeof username !== 'string' || typeof secret !== 'string')
        throw new Error(`The ${source} answered JSON without the strings "Username" and "Secret"`);
    if (secret === '')
        return undefined;
    if (username === TOKEN_USERNAME)
        return { kind: 'identity-token', token: secret, source };
    return { kind: 'basic', username, password: secret, source };
}
/** True for a helper's "credentials not found" answer (credentials.ErrCredentialsNotFound), which means anonymous. */
function isNotFoundAnswer(output) {
    return /credentials not found/i.test(output);
}
/** The credentials docker would use for the registry `domain`, or undefined for anonymous access. */
async function findCredentials(domain, opts = {}) {
    const env = opts.env ?? process.env;
    const file = dockerConfigPath(env, opts.home);
    const text = await (0,promises_namespaceObject.readFile)(file, 'utf8').catch((e) => {
        if (errorCode(e) === 'ENOENT' || errorCode(e) === 'ENOTDIR')
            return undefined;
        throw new Error(`Cannot read the docker config ${file}: ${errorCode(e) ?? errorMessage(e)}`);
    });
    if (text === undefined)
        return undefined;
    const config = parseDockerConfig(text, file);
    const helper = helperFor(config, domain);
    if (helper !== undefined)
        return runHelper(helper, domain, env, opts.run ?? spawnStream);
    return credentialsFromConfig(config, domain, file);
}
/** Runs `docker-credential-HELPER get` with the registry's key on stdin. */
async function runHelper(helper, domain, env, run = spawnStream) {
    const program = `docker-credential-${helper}`;
    if (!HELPER_NAME.test(helper))
        throw new Error(`The docker config names the credential helper ${JSON.stringify(helper)}, which is not a program name`);
    const child = run(program, ['get'], { env, stdin: 'pipe' });
    const chunks = [];
    let size = 0;
    child.stdout.on('data', (c) => {
        size += c.length;
        if (size <= 64 * 1024)
            chunks.push(c);
    });
    const timer = setTimeout(() => child.kill(), HELPER_TIMEOUT_MS);
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(`${authKey(domain)}\n`);
    let result;
    try {
        result = await child.done;
    }
    catch (e) {
        const missing = e instanceof ExecError && /command not found/.test(e.message);
        throw new Error(`The credential helper ${program} for ${domain} ${missing ? 'is not installed (not on PATH)' : `could not be run: ${errorMessage(e)}`}`);
    }
    finally {
        clearTimeout(timer);
    }
    const stdout = Buffer.concat(chunks).toString('utf8');
    if (result.code !== 0) {
        if (isNotFoundAnswer(stdout) || isNotFoundAnswer(result.stderr))
            return undefined;
        // Its output is not shown: a helper's output may hold a secret.
        throw new Error(`The credential helper ${program} for ${domain} failed (exit code ${result.code})`);
    }
    return parseHelperOutput(stdout, helper, domain);
}

;// CONCATENATED MODULE: ./src/registry/errors.ts
class RegistryError extends Error {
    kind;
    reference;
    status;
    retryAfterSeconds;
    name = 'RegistryError';
    constructor(kind, 
    /** The image reference the request was for, normalised. */
    reference, message, 
    /** The HTTP status, when there was an answer. */
    status, retryAfterSeconds) {
        super(`${reference}: ${message}`);
        this.kind = kind;
        this.reference = reference;
        this.status = status;
        this.retryAfterSeconds = retryAfterSeconds;
    }
}
const REASONS = {
    400: 'Bad Request',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'Not Found',
    405: 'Method Not Allowed',
    429: 'Too Many Requests',
    500: 'Internal Server Error',
    502: 'Bad Gateway',
    503: 'Service Unavailable',
    504: 'Gateway Timeout'
};
function statusText(status, codes) {
    const reason = REASONS[status];
    return `${status}${reason ? ` ${reason}` : ''}${codes.length ? `, ${codes.join(', ')}` : ''}`;
}
function whose(s) {
    return s.credentials ? `the credentials of ${s.credentials.source}` : 'anonymous access';
}
/**
 * The error for a status other than 2xx. `codes` are the registry's error codes
 * (`MANIFEST_UNKNOWN`), only when they are plain upper-case words.
 */
function statusError(status, s, codes, retryAfter) {
    const text = statusText(status, codes);
    const login = `docker login ${s.domain} (in a workflow, docker/login-action) before measuring`;
    if (status === 401) {
        const message = s.credentials
            ? `${s.host} refused ${whose(s)} for ${s.what} (${text}); check the user name and password or token, then ${login}`
            : `${s.host} refused ${whose(s)} for ${s.what} (${text}); the image is private or the registry wants a login: ${login}`;
        return new RegistryError('unauthorized', s.reference, message, status);
    }
    if (status === 403) {
        return new RegistryError('forbidden', s.reference, `${s.host} forbids ${s.what} to ${whose(s)} (${text}); the credentials need read (pull) access to the repository`, status);
    }
    if (status === 404) {
        return new RegistryError('not-found', s.reference, `${s.what} does not exist in ${s.host} (${text}); check the name and tag (a private repository may also answer 404 to ${whose(s)})`, status);
    }
    if (status === 429) {
        const when = retryAfter !== undefined ? `retry after ${retryAfter} s` : 'retry later';
        return new RegistryError('rate-limited', s.reference, `${s.host} rate-limits ${s.what} (${text}); ${when}${s.credentials ? '' : ', or log in for a higher limit'}`, status, retryAfter);
    }
    if (status >= 500)
        return new RegistryError('unavailable', s.reference, `${s.host} failed to answer ${s.what} (${text}); try again later`, status, retryAfter);
    return new RegistryError('bad-response', s.reference, `${s.host} answered ${s.what} with ${text}`, status);
}
/** The registry's error codes of an error body (`{"errors":[{"code":"MANIFEST_UNKNOWN"}]}`), only plain upper-case words. */
function errorCodes(body) {
    try {
        const doc = JSON.parse(body);
        if (!Array.isArray(doc.errors))
            return [];
        const codes = doc.errors.map((e) => (typeof e === 'object' && e !== null && 'code' in e ? e.code : undefined));
        return [...new Set(codes.filter((c) => typeof c === 'string' && /^[A-Z][A-Z_]{0,40}$/.test(c)))].slice(0, 3);
    }
    catch {
        return [];
    }
}

;// CONCATENATED MODULE: ./src/first-use.ts
// The one way to make something on first use (a module imported, a client made): made once and
// shared by every caller, and made again by the next call after a failure, so that one failed
// attempt does not stand for every later one.
function firstUse(make) {
    let made;
    return () => (made ??= make().catch((error) => {
        made = undefined;
        throw error;
    }));
}

;// CONCATENATED MODULE: ./src/http.ts


/** node:http, node:https and node:tls, imported on first use. */
const netModules = firstUse(async () => {
    const [http, https, tls] = await Promise.all([Promise.resolve(/* import() */).then(__nccwpck_require__.t.bind(__nccwpck_require__, 67, 23)), Promise.resolve(/* import() */).then(__nccwpck_require__.t.bind(__nccwpck_require__, 708, 23)), Promise.resolve(/* import() */).then(__nccwpck_require__.t.bind(__nccwpck_require__, 692, 23))]);
    return { http: http.default, https: https.default, tls: tls.default };
});
const http_DEFAULT_TIMEOUTS = { connectMs: 30_000, idleMs: 60_000 };
/** A request failed before any response: connection, TLS or timeout (never an HTTP status). */
class http_NetworkError extends Error {
    code;
    name = 'NetworkError';
    constructor(message, code) {
        super(message);
        this.code = code;
    }
}
/** True for loopback hosts (`host` or `host:port`): 127.0.0.0/8, localhost and ::1. */
function isLoopback(host) {
    const hostname = new URL(`http://${host}`).hostname;
    return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}
/**
 * The proxy a request to `url` goes through, as @actions/http-client (the runner's toolkit) reads the
 * variables: `https_proxy` or `HTTPS_PROXY` for https URLs, `http_proxy` or `HTTP_PROXY` for http
 * (lower case first), `http://` added to a value without one (the library adds it only to a value
 * that does not parse as a URL, and takes `proxy.corp:3128` for a scheme); none for loopback hosts, nor for
 * a host that `no_proxy` / `NO_PROXY` names (`*`, the host, the host:port, or a domain it is in,
 * with or without a leading dot). Pure.
 */
function proxyFor(url, env) {
    // A URL's host is normalised: `[0:0:0:0:0:0:0:1]` reads `[::1]`, `LOCALHOST` reads `localhost`.
    if (isLoopback(url.host))
        return undefined;
    const hostname = url.hostname.toUpperCase();
    const port = url.port || (url.protocol === 'https:' ? '443' : '80');
    const hosts = [hostname, `${hostname}:${port}`];
    const noProxy = (env['no_proxy'] || env['NO_PROXY'] || '').split(',').map((x) => x.trim().toUpperCase()).filter((x) => x);
    const exempt = (item) => item === '*' || hosts.some((h) => h === item || h.endsWith(`.${item}`) || (item.startsWith('.') && h.endsWith(item)));
    if (noProxy.some(exempt))
        return undefined;
    const value = url.protocol === 'https:' ? env['https_proxy'] || env['HTTPS_PROXY'] : env['http_proxy'] || env['HTTP_PROXY'];
    if (!value)
        return undefined;
    return /^https?:\/\//.test(value) ? value : `http://${value}`;
}
/** Closes the connections `agents` keep open. */
function http_closeAgents(agents) {
    for (const agent of [agents.http, agents.https, agents.proxiedHttp, agents.proxiedHttps])
        agent?.destroy();
}
function agentFor(url, agents, net) {
    const secure = url.protocol === 'https:';
    const proxy = agents.proxyEnv === undefined ? undefined : proxyFor(url, agents.proxyEnv);
    if (proxy === undefined) {
        return secure ? (agents.https ??= new net.https.Agent({ keepAlive: true })) : (agents.http ??= new net.http.Agent({ keepAlive: true }));
    }
    // Node's agents do the proxying (a CONNECT tunnel for https) from a proxy environment of their own,
    // here the one proxy already chosen, with no exemptions left to apply.
    const proxyEnv = secure ? { HTTPS_PROXY: proxy } : { HTTP_PROXY: proxy };
    return secure
        ? (agents.proxiedHttps ??= new net.https.Agent({ keepAlive: true, proxyEnv }))
        : (agents.proxiedHttp ??= new net.http.Agent({ keepAlive: true, proxyEnv }));
}
/** Sends one request; resolves with the response (any status), rejects with NetworkError. */
async function http_send(req, trust, timeouts, agents) {
    const net = await netModules();
    const secure = req.url.protocol === 'https:';
    const agent = agentFor(req.url, agents, net);
    return new Promise((resolve, reject) => {
        const options = {
            method: req.method,
            headers: { ...req.headers, ...(req.body !== undefined ? { 'content-length': String(Buffer.byteLength(req.body)) } : {}) },
            agent
        };
        if (secure && trust.ca)
            options.ca = [...trust.ca];
        if (secure && trust.cert !== undefined)
            options.cert = trust.cert;
        if (secure && trust.key !== undefined)
            options.key = trust.key;
        const r = (secure ? net.https : net.http).request(req.url, options, resolve);
        const fail = (message, code) => {
            r.destroy(new http_NetworkError(message, code));
        };
        r.on('socket', (socket) => {
            if (!socket.connecting)
                return;
            const timer = setTimeout(() => fail(`no connection within ${timeouts.connectMs} ms`, 'ETIMEDOUT'), timeouts.connectMs);
            socket.once(secure ? 'secureConnect' : 'connect', () => clearTimeout(timer));
            socket.once('close', () => clearTimeout(timer));
        });
        r.setTimeout(timeouts.idleMs, () => fail(`no data for ${timeouts.idleMs} ms`, 'ETIMEDOUT'));
        r.on('error', (e) => reject(e instanceof http_NetworkError ? e : new http_NetworkError(e.message, errorCode(e))));
        r.end(req.body);
    });
}
/** Reads a whole body of at most `max` bytes; more (said or sent) rejects with `tooLarge()`'s error. */
async function http_readBody(res, max, tooLarge) {
    const said = Number(res.headers['content-length']);
    if (Number.isFinite(said) && said > max) {
        res.destroy();
        throw tooLarge();
    }
    const chunks = [];
    let size = 0;
    for await (const chunk of res) {
        size += chunk.length;
        if (size > max) {
            res.destroy();
            throw tooLarge();
        }
        chunks.push(chunk);
    }
    return Buffer.concat(chunks);
}

;// CONCATENATED MODULE: ./src/registry/http.ts
// What the registry client adds to the one HTTP request (../http.ts): the trust docker gives a
// registry host (Node's CAs plus the `*.crt` files of /etc/docker/certs.d/<host[:port]>/, and a client
// certificate from a `*.cert`/`*.key` pair there), and the pure pieces: WWW-Authenticate challenges
// and Retry-After. Nothing here sees a credential, and nothing logs.




/** Where docker looks for a registry's CA and client certificates. */
const DOCKER_CERTS_DIR = '/etc/docker/certs.d';
/** The directory of certs.d for `host` (`host` or `host:port`, as the URL or reference names it). */
function certsDirOf(certsDir, host) {
    // A URL's host or a checked reference domain: no `/`; `..` is no host.
    return external_node_path_default().join(certsDir, host.replace(/[/\\]/g, '_'));
}
/**
 * The trust for `host` as docker gives it: every `*.crt` of its certs.d directory added to Node's
 * CAs, and `X.cert` with `X.key` as the client certificate. No directory: Node's defaults.
 */
async function trustFor(host, certsDir) {
    const dir = certsDirOf(certsDir, host);
    const names = await (0,promises_namespaceObject.readdir)(dir).catch((e) => {
        if (errorCode(e) === 'ENOENT' || errorCode(e) === 'ENOTDIR')
            return [];
        throw new Error(`Cannot read the registry certificates in ${dir}: ${errorCode(e) ?? 'error'}`);
    });
    const cas = names.filter((n) => n.endsWith('.crt')).sort();
    const cert = names.filter((n) => n.endsWith('.cert')).sort()[0];
    const read = (n) => (0,promises_namespaceObject.readFile)(external_node_path_default().join(dir, n), 'utf8');
    const trust = {};
    if (cas.length > 0)
        trust.ca = [...(await netModules()).tls.getCACertificates('default'), ...(await Promise.all(cas.map(read)))];
    if (cert !== undefined) {
        const key = `${cert.slice(0, -'.cert'.length)}.key`;
        if (!names.includes(key))
            throw new Error(`The client certificate ${external_node_path_default().join(dir, cert)} has no key ${key} beside it`);
        trust.cert = await read(cert);
        trust.key = await read(key);
    }
    return trust;
}
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+/;
/** The challenges of a WWW-Authenticate header (RFC 9110 11.6.1), e.g. `Bearer realm="…",service="…"`. */
function parseChallenges(header) {
    const out = [];
    let i = 0;
    const skip = (chars) => {
        while (i < header.length && chars.includes(header[i]))
            i++;
    };
    const token = () => {
        const m = TOKEN.exec(header.slice(i));
        i += m ? m[0].length : 0;
        return m ? m[0] : '';
    };
    // A value should be a token or quoted; registries have been seen to send URLs bare: read to the next comma.
    const bare = () => {
        const m = /^[^\s,"]*/.exec(header.slice(i))[0];
        i += m.length;
        return m;
    };
    const quoted = () => {
        let value = '';
        for (i++; i < header.length && header[i] !== '"'; i++)
            value += header[i] === '\\' ? (header[++i] ?? '') : header[i];
        i++;
        return value;
    };
    while (i < header.length) {
        skip(' \t,');
        const scheme = token();
        if (scheme === '') {
            i++;
            continue;
        }
        const params = new Map();
        out.push({ scheme: scheme.toLowerCase(), params });
        for (;;) {
            const save = i;
            skip(' \t');
            if (params.size > 0 && header[i] === ',')
                i++;
            skip(' \t');
            const name = token();
            skip(' \t');
            if (name === '' || header[i] !== '=') {
                i = save;
                break;
            }
            i++;
            skip(' \t');
            params.set(name.toLowerCase(), header[i] === '"' ? quoted() : bare());
        }
        // A token68 (`Basic abc=`) or anything else up to the next challenge is skipped.
        while (i < header.length && header[i] !== ',')
            i++;
    }
    return out;
}
/** Retry-After as seconds from `now` (delta-seconds or an HTTP date), or undefined. */
function retryAfterSeconds(value, now = Date.now()) {
    if (value === undefined || value.trim() === '')
        return undefined;
    if (/^\d+$/.test(value.trim()))
        return Number(value.trim());
    const at = Date.parse(value);
    return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

;// CONCATENATED MODULE: ./src/registry/client.ts
// A client of the OCI distribution API for one image reference, pull only: manifests by tag or
// digest, blobs read whole (small JSON, capped and digest-checked) or streamed. HTTPS with docker's
// trust (http.ts); a loopback registry (127.0.0.0/8, localhost, ::1, insecure in docker by default)
// is tried over HTTPS first and over plain HTTP when that fails to connect, never another host.
// Authentication as docker does it: anonymous first; a 401's WWW-Authenticate then says `Basic`
// (the credentials, sent again) or `Bearer realm,service` (a token fetched from the realm for
// `repository:<repo>:pull`: with basic credentials by GET, with an identity token by the OAuth2
// refresh-token POST, or anonymously; `token` or `access_token` of the answer). A token that
// expires mid-measurement is fetched again once. Redirects (blobs go to storage) are followed, and
// the Authorization header is only ever sent to the origin that asked for it.








const MANIFEST_ACCEPT = [MediaType.ociIndex, MediaType.ociManifest, MediaType.dockerManifestList, MediaType.dockerManifest].join(', ');
const MAX_REDIRECTS = 5;
/** Largest token-server answer and error body read. */
const MAX_SMALL_BODY = 1024 * 1024;
const USER_AGENT = 'image-budget';
class RegistryClient {
    ref;
    opts;
    /** The normalised reference, as every message names it. */
    name;
    scheme;
    authorization;
    credentials;
    trusts = new Map();
    agents = {};
    timeouts;
    constructor(ref, opts = {}) {
        this.ref = ref;
        this.opts = opts;
        this.name = referenceString(ref);
        this.timeouts = opts.timeouts ?? http_DEFAULT_TIMEOUTS;
    }
    /** Closes the connections kept open. */
    close() {
        http_closeAgents(this.agents);
    }
    /** The manifest or index `reference` (a tag or a digest) names, checked against a digest asked for. */
    async manifest(reference) {
        const what = isSha256Digest(reference) ? `the manifest ${reference}` : `the tag ${reference}`;
        const path = `/v2/${this.ref.repository}/manifests/${reference}`;
        const res = await this.get(path, { accept: MANIFEST_ACCEPT }, what);
        const body = await http_readBody(res, MAX_JSON_BLOB, () => this.bad(`${what} is larger than the ${MAX_JSON_BLOB} bytes accepted`));
        const digest = `sha256:${(0,external_node_crypto_namespaceObject.createHash)('sha256').update(body).digest('hex')}`;
        if (isSha256Digest(reference) && digest !== reference)
            throw this.bad(`${what} does not match its digest (content is ${digest})`);
        const said = res.headers['docker-content-digest'];
        if (typeof said === 'string' && said.startsWith('sha256:') && said !== digest) {
            throw this.bad(`${what} does not match the digest ${said} the registry gives for it (content is ${digest})`);
        }
        return { mediaType: manifestMediaType(res.headers['content-type'], body, () => this.bad(`${what} is not an OCI or Docker v2 manifest or index`)), digest, body };
    }
    /** A small blob (an image config) read whole, at most MAX_JSON_BLOB bytes, its size and digest checked. */
    async blobBytes(desc, what) {
        if (desc.size > MAX_JSON_BLOB)
            throw this.bad(`${what} ${desc.digest} is ${desc.size} bytes, more than the ${MAX_JSON_BLOB} accepted`);
        const res = await this.blobResponse(desc, what);
        const body = await http_readBody(res, desc.size, () => this.bad(`${what} ${desc.digest} is larger than its descriptor's ${desc.size} bytes`));
        const digest = `sha256:${(0,external_node_crypto_namespaceObject.createHash)('sha256').update(body).digest('hex')}`;
        if (body.length !== desc.size || digest !== desc.digest)
            throw this.bad(`${what} ${desc.digest} does not match its descriptor (content is ${body.length} bytes, ${digest})`);
        return body;
    }
    /** A blob as a stream, for the caller to check against its digest. A size other than the descriptor's fails here. */
    blob(desc, what = 'layer') {
        return this.blobResponse(desc, what);
    }
    async blobResponse(desc, what) {
        if (!isSha256Digest(desc.digest))
            throw this.bad(`${what} digest ${JSON.stringify(desc.digest.slice(0, 80))} is not sha256:<64 hex>`);
        const res = await this.get(`/v2/${this.ref.repository}/blobs/${desc.digest}`, {}, `${what} ${desc.digest}`);
        const said = Number(res.headers['content-length']);
        if (res.headers['content-length'] !== undefined && said !== desc.size) {
            res.destroy();
            throw this.bad(`${what} ${desc.digest} is ${said} bytes in the registry but its descriptor says ${desc.size}`);
        }
        return res;
    }
    bad(message) {
        return new RegistryError('bad-response', this.name, message);
    }
    subject(what, host = this.ref.registry, credentials) {
        return { reference: this.name, host, domain: this.ref.domain, what, ...(credentials ? { credentials } : {}) };
    }
    /** GET with authentication: on a 401, authenticate as the challenge says and try once more. */
    async get(path, headers, what) {
        let fresh = false;
        for (;;) {
            const res = await this.follow(path, headers, what);
            if (res.statusCode === 401 && !fresh) {
                const header = res.headers['www-authenticate'];
                // An authorization that this call did not just obtain may have expired: obtain it again.
                if (await this.authenticate(parseChallenges(Array.isArray(header) ? header.join(', ') : (header ?? '')), what)) {
                    res.resume();
                    fresh = true;
                    continue;
                }
                throw await this.statusError(res, this.subject(what, this.ref.registry, await this.creds()));
            }
            if (res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300)
                return res;
            throw await this.statusError(res, this.subject(what, this.ref.registry, this.authorization ? await this.creds() : undefined));
        }
    }
    creds() {
        this.credentials ??= this.opts.credentials ? this.opts.credentials() : findCredentials(this.ref.domain, { env: this.opts.env ?? process.env });
        return this.credentials;
    }
    /** Sets the authorization a challenge asks for; false when there is none to give (the 401 stands). */
    async authenticate(challenges, what) {
        const bearer = challenges.find((c) => c.scheme === 'bearer');
        if (bearer) {
            this.authorization = `Bearer ${await this.token(bearer, what)}`;
            return true;
        }
        const creds = await this.creds();
        if (challenges.some((c) => c.scheme === 'basic') && creds?.kind === 'basic') {
            this.authorization = basic(creds.username, creds.password);
            return true;
        }
        return false;
    }
    /** A bearer token from the challenge's realm, for pulling this repository (the distribution token spec). */
    async token(challenge, what) {
        const realm = this.realmUrl(challenge.params.get('realm'), what);
        const service = challenge.params.get('service');
        const scope = `repository:${this.ref.repository}:pull`;
        const creds = await this.creds();
        const params = new URLSearchParams();
        if (service)
            params.set('service', service);
        params.set('scope', scope);
        let request;
        if (creds?.kind === 'identity-token') {
            params.set('grant_type', 'refresh_token');
            params.set('refresh_token', creds.token);
            params.set('client_id', USER_AGENT);
            request = { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: params.toString() };
        }
        else {
            if (creds)
                params.set('account', creds.username);
            for (const [k, v] of params)
                realm.searchParams.set(k, v);
            request = { method: 'GET', headers: creds ? { authorization: basic(creds.username, creds.password) } : {} };
        }
        const subject = this.subject(`a token for ${what}`, realm.host, creds);
        const res = await this.send({ url: realm, ...request, headers: { ...request.headers, 'user-agent': USER_AGENT, accept: 'application/json' } }, subject);
        if (res.statusCode !== 200)
            throw await this.statusError(res, subject);
        const body = await http_readBody(res, MAX_SMALL_BODY, () => this.bad(`the token server ${realm.host} answered more than ${MAX_SMALL_BODY} bytes`));
        return tokenOf(body, () => this.bad(`the token server ${realm.host} answered without a "token" or "access_token"`));
    }
    /** The realm of a Bearer challenge: an https URL (http only on loopback, as credentials may go there). */
    realmUrl(realm, what) {
        let url;
        try {
            url = realm ? new URL(realm) : undefined;
        }
        catch {
            url = undefined;
        }
        if (!url || !(url.protocol === 'https:' || (url.protocol === 'http:' && isLoopback(url.host)))) {
            throw this.bad(`${this.ref.registry} asked for a token for ${what} without an https realm to get it from`);
        }
        return url;
    }
    /** One request to the registry with redirects followed; Authorization goes only to the registry's own origin. */
    async follow(path, headers, what) {
        let res = await this.toRegistry(path, headers, what);
        const origin = new URL(`${this.scheme}//${this.ref.registry}`).origin;
        let url = new URL(path, origin);
        for (let hops = 0; isRedirect(res.statusCode) && typeof res.headers.location === 'string'; hops++) {
            res.resume();
            const next = new URL(res.headers.location, url);
            if (hops >= MAX_REDIRECTS)
                throw this.bad(`${what}: more than ${MAX_REDIRECTS} redirects`);
            if (next.protocol !== 'https:' && !(next.protocol === 'http:' && isLoopback(next.host))) {
                throw this.bad(`${what}: redirected to a ${next.protocol} URL on ${next.host}, refused (only https, or http on loopback)`);
            }
            url = next;
            res = await this.send({ url, method: 'GET', headers: this.headers(headers, url.origin === origin) }, this.subject(what, url.host));
        }
        return res;
    }
    /** The headers of a request, with the Authorization when it goes to the origin that asked for it. */
    headers(headers, toRegistry) {
        const out = { ...headers, 'user-agent': USER_AGENT };
        if (toRegistry && this.authorization !== undefined)
            out.authorization = this.authorization;
        return out;
    }
    /**
     * The first hop, to the registry: HTTPS; a loopback registry that HTTPS cannot reach is tried over
     * HTTP. A 400 to that HTTP request is an HTTPS server's answer to plain HTTP: the HTTPS failure stands.
     */
    async toRegistry(path, headers, what) {
        const schemes = this.scheme ? [this.scheme] : isLoopback(this.ref.registry) ? ['https:', 'http:'] : ['https:'];
        const failures = [];
        for (const scheme of schemes) {
            const url = new URL(path, `${scheme}//${this.ref.registry}`);
            try {
                const res = await http_send({ url, method: 'GET', headers: this.headers(headers, true) }, await this.trust(url.host), this.timeouts, this.agents);
                if (failures.length > 0 && res.statusCode === 400) {
                    res.resume();
                    failures.push('http: 400 Bad Request (an HTTPS server)');
                    break;
                }
                this.scheme = scheme;
                return res;
            }
            catch (e) {
                if (!(e instanceof http_NetworkError))
                    throw e;
                failures.push(`${scheme.slice(0, -1)}: ${e.message}${isCertificateError(e.code) ? `; if the registry's certificate is signed by a private CA, put that CA in ${this.certsDir()}/${this.ref.registry}/ca.crt` : ''}`);
            }
        }
        throw new RegistryError('unavailable', this.name, `cannot reach ${this.ref.registry} for ${what} (${failures.join('; ')})`);
    }
    certsDir() {
        return this.opts.certsDir ?? DOCKER_CERTS_DIR;
    }
    /** A request to a host other than the registry's first hop (a token server, blob storage). */
    async send(req, s) {
        try {
            return await http_send(req, await this.trust(req.url.host), this.timeouts, this.agents);
        }
        catch (e) {
            if (e instanceof http_NetworkError)
                throw new RegistryError('unavailable', this.name, `cannot reach ${s.host} for ${s.what} (${e.message})`);
            throw e;
        }
    }
    trust(host) {
        let trust = this.trusts.get(host);
        if (!trust) {
            trust = trustFor(host, this.certsDir());
            this.trusts.set(host, trust);
        }
        return trust;
    }
    async statusError(res, s) {
        const status = res.statusCode ?? 0;
        const body = await http_readBody(res, MAX_SMALL_BODY, () => new Error('too large')).catch(() => Buffer.alloc(0));
        const header = res.headers['retry-after'];
        return statusError(status, s, errorCodes(body.toString('utf8')), retryAfterSeconds(Array.isArray(header) ? header[0] : header));
    }
}
function basic(username, password) {
    return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}
/** Node's codes for a certificate that does not verify (self-signed, unknown issuer, wrong name, expired). */
function isCertificateError(code) {
    return code !== undefined && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/.test(code);
}
function isRedirect(status) {
    return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}
/** `token`, else `access_token`, of a token server's JSON answer. */
function tokenOf(body, missing) {
    let doc;
    try {
        doc = JSON.parse(body.toString('utf8'));
    }
    catch {
        throw missing();
    }
    const o = (doc ?? {});
    const token = typeof o.token === 'string' && o.token !== '' ? o.token : o.access_token;
    if (typeof token !== 'string' || token === '' || /[\s\u0000-\u001f]/.test(token))
        throw missing();
    return token;
}
/** The media type of a served manifest: its Content-Type, else the document's own `mediaType`. */
function manifestMediaType(contentType, body, unknown) {
    const header = contentType?.split(';')[0]?.trim().toLowerCase();
    if (header && (isIndexMediaType(header) || isManifestMediaType(header)))
        return header;
    try {
        const doc = JSON.parse(body.toString('utf8'));
        if (typeof doc.mediaType === 'string' && (isIndexMediaType(doc.mediaType) || isManifestMediaType(doc.mediaType)))
            return doc.mediaType;
        // An OCI document may leave mediaType out: an index has `manifests`.
        if (doc.mediaType === undefined)
            return Array.isArray(doc.manifests) ? MediaType.ociIndex : MediaType.ociManifest;
    }
    catch {
        // Not JSON: said below.
    }
    throw unknown();
}

;// CONCATENATED MODULE: ./src/registry/platform.ts
// Which image of a multi-platform index is measured: the one for the platform asked for, else the
// runner's own (`linux/` and Node's architecture in Go's names: x64 is amd64). Matching as
// containerd's default matcher does it for one platform: os and architecture equal, the variant
// equal when one is asked for; without one, an image without a variant or with the architecture's
// default one (arm64/v8, arm/v7) is preferred. Attestation manifests were left out before. Pure.

const GO_ARCH = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64', loong64: 'loong64' };
const DEFAULT_VARIANT = { arm64: 'v8', arm: 'v7' };
const ARCH_ALIASES = { x86_64: 'amd64', 'x86-64': 'amd64', aarch64: 'arm64', armhf: 'arm', armel: 'arm' };
/** The runner's platform: `linux/amd64` on x64, `linux/arm64` on arm64. */
function runnerPlatform(arch = process.arch) {
    return `linux/${GO_ARCH[arch] ?? arch}`;
}
/** `os/arch[/variant]` parsed; throws for anything else, naming the value. */
function parsePlatform(value) {
    const parts = value.trim().toLowerCase().split('/');
    if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[a-z0-9_.-]+$/.test(p))) {
        throw new Error(`${JSON.stringify(value)} is not a platform: expected os/arch[/variant], e.g. linux/amd64 or linux/arm64/v8`);
    }
    const [os, arch, variant] = parts;
    const architecture = ARCH_ALIASES[arch] ?? arch;
    return { os, architecture, ...(variant ? { variant } : {}) };
}
function sameVariant(a, b, arch) {
    const def = DEFAULT_VARIANT[arch];
    return (a ?? def) === (b ?? def);
}
/**
 * The descriptor of `descs` for `wanted` (a platform string); undefined when none fits. Descriptors
 * without a platform never fit.
 */
function pickPlatform(descs, wanted) {
    const want = parsePlatform(wanted);
    const fits = descs.filter((d) => d.platform && d.platform.os === want.os && d.platform.architecture === want.architecture);
    if (want.variant !== undefined)
        return fits.find((d) => sameVariant(d.platform?.variant, want.variant, want.architecture));
    return fits.find((d) => d.platform?.variant === undefined) ?? fits.find((d) => sameVariant(d.platform?.variant, undefined, want.architecture)) ?? fits[0];
}
/** The platforms an index offers, for the message when the one asked for is not among them. */
function offeredPlatforms(descs) {
    return [...new Set(descs.flatMap((d) => (d.platform ? [platformString(d.platform)] : [])))];
}
/** Whether an image's platform string (`linux/arm64/v8`) is the one asked for. */
function platformMatches(actual, wanted) {
    const a = parsePlatform(actual);
    const w = parsePlatform(wanted);
    return a.os === w.os && a.architecture === w.architecture && (w.variant === undefined || sameVariant(a.variant, w.variant, w.architecture));
}

;// CONCATENATED MODULE: ./src/registry/measure.ts
// Measures one platform image of a registry without pulling it into an engine: the tag (or digest)
// is resolved to a manifest, an index to the platform's manifest (attestations left out), then the
// config is fetched (digest checked) and the numbers come out by the rules every other source uses
// (image/measure.ts's measureImages, image/image-rules.ts, image/history.ts): compressed size = the
// sum of the manifest's layer descriptor sizes, digest = the platform manifest's digest. The
// registry holds the very blobs an OCI layout export holds, so the method is `oci-layout`: its
// numbers compare with a head built and exported that way.
//
// Uncompressed sizes need every layer blob: each is streamed once through the decompressor (and,
// with files, the tar reader) into a counter (image/layer-stream.ts), never stored.









/**
 * One platform image of `reference` (a string as docker reads it, or a parsed one). Errors name the
 * reference; the registry's are RegistryError (kind: unauthorized, forbidden, not-found,
 * rate-limited, unavailable, bad-response); a bad reference is an InvalidReferenceError.
 */
async function measureRegistryImage(reference, opts) {
    const ref = typeof reference === 'string' ? parseReference(reference) : reference;
    const client = new RegistryClient(ref, opts.client);
    try {
        const top = await client.manifest(manifestReference(ref));
        const source = new RegistrySource(client, top);
        await source.choose(opts.platform);
        const stats = await measureStreamed(source, opts);
        if (opts.platform !== undefined && !platformMatches(stats.platform, opts.platform)) {
            throw new Error(`${client.name} is an image for ${stats.platform} only, not ${opts.platform}`);
        }
        return stats;
    }
    catch (e) {
        throw e instanceof RegistryError || errorMessage(e).includes(client.name) ? e : new Error(`${client.name}: ${errorMessage(e)}`);
    }
    finally {
        client.close();
    }
}
async function measureStreamed(source, opts) {
    const images = await measureImages(source, {
        target: opts.target,
        secrets: opts.secrets,
        files: opts.files,
        ...(opts.onWarning ? { onWarning: opts.onWarning } : {}),
        ...(opts.limits ? { limits: opts.limits } : {}),
        ...(opts.shared ? { shared: opts.shared } : {})
    });
    // One root, one manifest: measureImages gives one image or throws.
    return images[0];
}
/** A registry repository as a BlobSource of image/measure.ts: its root is the chosen platform's manifest. */
class RegistrySource {
    client;
    top;
    method = 'oci-layout';
    label;
    root;
    /** Manifests already fetched, by digest, so none is fetched twice. */
    fetched = new Map();
    constructor(client, top) {
        this.client = client;
        this.top = top;
        this.label = `Registry image ${client.name}`;
        this.fetched.set(top.digest, top.body);
    }
    /** The manifest measured: the tag's own, or the platform's of its index (nested indexes followed). */
    async choose(platform) {
        const { top } = this;
        const self = { mediaType: top.mediaType, digest: top.digest, size: top.body.length, annotations: {} };
        if (!isIndexMediaType(top.mediaType))
            return (this.root = self);
        const index = parseIndex(top.body.toString('utf8'), `${this.client.name} (${top.digest})`);
        const manifests = await collectManifests(index.manifests, (d) => this.jsonBlob(d, 'image index'), this.label);
        const wanted = platform ?? runnerPlatform();
        const picked = pickPlatform(manifests, wanted);
        if (!picked) {
            const offered = offeredPlatforms(manifests);
            throw new Error(`${this.client.name} has no image for ${wanted}; its index offers ${offered.length ? offered.join(', ') : 'no platform image'}`);
        }
        return (this.root = picked);
    }
    roots() {
        return Promise.resolve(this.root ? [this.root] : []);
    }
    async jsonBlob(desc, what) {
        if (!isIndexMediaType(desc.mediaType) && !isManifestMediaType(desc.mediaType))
            return (await this.client.blobBytes(desc, what)).toString('utf8');
        let body = this.fetched.get(desc.digest);
        if (!body) {
            body = (await this.client.manifest(desc.digest)).body;
            this.fetched.set(desc.digest, body);
        }
        if (body.length !== desc.size)
            throw new RegistryError('bad-response', this.client.name, `${what} ${desc.digest} is ${body.length} bytes but its descriptor says ${desc.size}`);
        return body.toString('utf8');
    }
    async layer(desc, diffId, ctx) {
        compressionOf(desc);
        return measureLayerStream(await this.client.blob(desc, 'layer'), desc, diffId, ctx);
    }
}

;// CONCATENATED MODULE: ./src/baseline/from-image.ts
// The baseline of `base-image`: each head target compared with a pushed image, read in its registry
// (registry/measure.ts): compressed sizes and layers from the manifests, uncompressed sizes and files
// from streaming the layer blobs once; never pulled, never built. One image per target (the value
// for all targets, or the target's own), one reading per platform asked for (the runner's when the
// run names none). Any image that cannot be read makes the whole baseline unavailable, with why:
// the caller then falls back to what `baseline` says.




/** Reads every target's base image; the first that cannot be read makes the baseline unavailable. */
async function imageBaseline(req) {
    const refs = imagesPerTarget(INPUT.baseImage, req.images, req.targets);
    const results = [];
    const notes = [];
    for (const [target, ref] of refs) {
        try {
            const platforms = req.platforms.length ? req.platforms : [undefined];
            const measured = await req.log.group(`Read base image ${ref} (${target})`, () => Promise.all(platforms.map((platform) => readOne(req, target, ref, platform))));
            results.push({ target, results: measured.map((image) => ({ platform: image.platform, result: { state: 'measured', image } })) });
            const digests = measured.map((m) => `${m.platform} ${m.digest}`).join(', ');
            req.log.info(`Base of ${target}: ${ref} (${digests}), read in its registry; the base is not built.`);
            notes.push(`Baseline of ${target}: the pushed image ${ref} (${digests}); the base was not built.`);
        }
        catch (e) {
            return { ok: false, reason: `base-image ${ref} (${target}) could not be read: ${errorMessage(e)}` };
        }
    }
    return { ok: true, results, notes };
}
function readOne(req, target, ref, platform) {
    return measureRegistryImage(ref, {
        target,
        secrets: req.secrets,
        ...(platform !== undefined ? { platform } : {}),
        files: req.files,
        onWarning: (m) => req.log.warning(m),
        client: { env: req.env }
    });
}

;// CONCATENATED MODULE: ./src/report/report.ts
const REPORT_SCHEMA = 'image-budget/report';
const REPORT_SCHEMA_VERSION = 1;
/** Caps applied when reading a report back. */
const REPORT_LIMITS = {
    targets: 1000,
    layers: 1000,
    verdicts: 16,
    notes: 100,
    /** Most strings (names, digests, refs, instructions, reasons). */
    string: 4096,
    /** Build error text. */
    error: 65536,
    /** Files listed per side (`files.final.listed`). */
    listed: 10_000
};
/**
 * The bound on the file listings of one report: the listed entries of all its sides together take
 * at most this many bytes of the report's JSON (as written, indented by 2), shared evenly between
 * the sides that have a listing. See docs/report-schema.md for the worst case.
 */
const LISTING_BUDGET_BYTES = 2 * 1024 * 1024;
/**
 * Bytes one listed entry takes in the indented report besides its path's JSON string: the
 * indentation, braces, keys, separators and a byte count of up to 16 digits (101 in all, rounded up).
 */
const LISTING_ENTRY_OVERHEAD = 104;
/** The report of a run: JSON-serializable as is (`JSON.stringify(buildReport(...), null, 2)`). */
function buildReport(outcome, meta) {
    const listings = outcome.rows
        .flatMap((r) => [r.head, r.base])
        .filter((s) => s.state === 'measured' && s.image.files !== undefined && s.image.files.listing?.kind !== 'none').length;
    const budget = Math.floor(LISTING_BUDGET_BYTES / Math.max(1, listings));
    return {
        schema: REPORT_SCHEMA,
        version: REPORT_SCHEMA_VERSION,
        tool: { name: meta.tool.name, version: meta.tool.version },
        event: meta.event,
        repository: meta.repository,
        ...runIdField(meta.runId),
        createdAt: meta.createdAt,
        metric: outcome.metric,
        regressed: outcome.regressed,
        changed: outcome.changed,
        head: commit(outcome.head),
        base: outcome.base ? commit(outcome.base) : null,
        ...(meta.pullRequest ? { pullRequest: { number: meta.pullRequest.number, headSha: meta.pullRequest.headSha } } : {}),
        targets: outcome.rows.map((r) => reportTarget(r, budget)),
        notes: [...outcome.notes]
    };
}
function runIdField(runId) {
    const n = typeof runId === 'string' && /^\d{1,15}$/.test(runId) ? Number(runId) : runId;
    return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? { runId: n } : {};
}
function commit(c) {
    return c.ref !== undefined ? { sha: c.sha, ref: c.ref } : { sha: c.sha };
}
function reportTarget(r, budget) {
    return {
        ...(r.image !== undefined ? { image: r.image } : {}),
        target: r.target,
        platform: r.platform,
        status: r.status,
        head: reportSide(r.head, budget),
        base: reportSide(r.base, budget),
        ...(r.delta ? { delta: { ...r.delta } } : {}),
        verdicts: r.verdicts.map((v) => ({ rule: v.rule, ok: v.ok, reason: v.reason })),
        regressed: r.regressed
    };
}
function reportSide(s, budget) {
    switch (s.state) {
        case 'measured': {
            const i = s.image;
            return {
                state: 'measured',
                digest: i.digest,
                configDigest: i.configDigest,
                compressedBytes: i.compressedBytes,
                uncompressedBytes: i.uncompressedBytes,
                layerCount: i.layerCount,
                method: i.method,
                ...(i.compressedEstimated ? { compressedEstimated: true } : {}),
                ...(i.files ? { files: reportFiles(i.files, budget) } : {}),
                layers: i.layers.map((l) => ({
                    digest: l.digest,
                    mediaType: l.mediaType,
                    compressedBytes: l.compressedBytes,
                    uncompressedBytes: l.uncompressedBytes,
                    instruction: l.instruction
                }))
            };
        }
        case 'failed':
            return { state: 'failed', error: s.error };
        case 'absent':
            return { state: 'absent' };
        case 'unavailable':
            return { state: 'unavailable', reason: s.reason };
    }
}
function reportFiles(files, budget) {
    const final = files.listing?.kind === 'none' ? undefined : boundedFinal(files, budget);
    return { wastedBytes: files.wastedBytes, wasted: files.wasted.map((w) => ({ path: w.path, bytes: w.bytes })), ...(final ? { final } : {}) };
}
/** Code-unit order, stable across locales. */
function byPath(a, b) {
    return a < b ? -1 : a > b ? 1 : 0;
}
/**
 * The largest files that fit in `budget` bytes of report (and in REPORT_LIMITS.listed entries),
 * cut at a size: when a file does not fit (nor a path longer than the validator reads), every file
 * of its size or smaller is left out, so that `listed` is exactly the files of at least `below`
 * bytes. A listing that was cut already (read from a report) keeps its cut, or a higher one.
 */
function boundedFinal(files, budget) {
    const entries = [...files.final].sort((a, b) => b[1] - a[1] || byPath(a[0], b[0]));
    const cut = files.listing?.kind === 'cut' ? files.listing : undefined;
    let below = cut?.below ?? 0;
    let used = 0;
    let fit = 0;
    for (; fit < entries.length; fit++) {
        const path = entries[fit][0];
        const cost = LISTING_ENTRY_OVERHEAD + Buffer.byteLength(JSON.stringify(path), 'utf8');
        if (fit >= REPORT_LIMITS.listed || path.length > REPORT_LIMITS.string || used + cost > budget)
            break;
        used += cost;
    }
    if (fit < entries.length)
        below = Math.max(below, entries[fit][1] + 1);
    const listed = entries.filter(([, bytes]) => bytes >= below).map(([path, bytes]) => ({ path, bytes }));
    return {
        files: cut?.files ?? entries.length,
        bytes: cut?.bytes ?? entries.reduce((sum, [, bytes]) => sum + bytes, 0),
        ...(below > 0 ? { below } : {}),
        listed
    };
}
/** A report's file details as FileStats: the listing as `final`, and how complete it is. */
function toFileStats(files) {
    const { final } = files;
    const listing = final === undefined
        ? { kind: 'none' }
        : final.below !== undefined
            ? { kind: 'cut', below: final.below, files: final.files, bytes: final.bytes }
            : undefined;
    return {
        final: new Map((final?.listed ?? []).map((f) => [f.path, f.bytes])),
        wastedBytes: files.wastedBytes,
        wasted: files.wasted,
        ...(listing ? { listing } : {})
    };
}
/** A side of a report turned back into the pipeline's SideResult (e.g. a stored baseline). */
function toSideResult(side, target, platform) {
    switch (side.state) {
        case 'measured': {
            const image = {
                target,
                platform,
                digest: side.digest,
                configDigest: side.configDigest,
                compressedBytes: side.compressedBytes,
                uncompressedBytes: side.uncompressedBytes,
                layerCount: side.layerCount,
                layers: side.layers.map((l) => ({ ...l })),
                method: side.method,
                ...(side.compressedEstimated ? { compressedEstimated: true } : {}),
                ...(side.files ? { files: toFileStats(side.files) } : {})
            };
            return { state: 'measured', image };
        }
        case 'failed':
            return { state: 'failed', error: side.error };
        case 'absent':
            return { state: 'absent' };
        case 'unavailable':
            return { state: 'unavailable', reason: side.reason };
    }
}
/** A validated report turned back into an Outcome, e.g. to render the comment from an artifact. */
function outcomeFromReport(report) {
    const rows = report.targets.map((t) => {
        const c = {
            ...(t.image !== undefined ? { image: t.image } : {}),
            target: t.target,
            platform: t.platform,
            status: t.status,
            head: toSideResult(t.head, t.target, t.platform),
            base: toSideResult(t.base, t.target, t.platform),
            ...(t.delta ? { delta: t.delta } : {})
        };
        return { ...c, verdicts: t.verdicts, regressed: t.regressed };
    });
    return {
        metric: report.metric,
        rows,
        regressed: report.regressed,
        changed: report.changed,
        head: report.head,
        ...(report.base ? { base: report.base } : {}),
        notes: report.notes
    };
}
// ── Validation ─────────────────────────────────────────────────────────────────────────────────

;// CONCATENATED MODULE: ./src/report/validate.ts

class Invalid extends Error {
}
/**
 * Checks that `value` (e.g. from JSON.parse) is a report of this schema version and returns a
 * fresh, typed copy; or says what is wrong, with the path (`targets[2].head.layers[0].digest`).
 * Never throws.
 */
function validateReport(value) {
    try {
        return { ok: true, report: readReport(value) };
    }
    catch (e) {
        if (e instanceof Invalid)
            return { ok: false, error: e.message };
        throw e;
    }
}
const validate_DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,256}$/;
const validate_SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;
/** A time Date can read whose calendar day exists (Date.parse rolls 2026-02-30 over to March 2). */
function isRealTime(iso) {
    if (Number.isNaN(Date.parse(iso)))
        return false;
    const [year, month, day] = iso.slice(0, 10).split('-').map(Number);
    const date = new Date(0);
    date.setUTCFullYear(year, month - 1, day);
    return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}
const STATUSES = ['changed', 'unchanged', 'new', 'removed', 'no-baseline', 'head-failed'];
const RULES = ['max-increase', 'max-size', 'max-layers', 'max-wasted', 'build'];
const validate_METRICS = ['compressed', 'uncompressed'];
const METHODS = ['oci-layout', 'docker-save'];
function validate_fail(path, what) {
    throw new Invalid(`${path || 'report'}: ${what}`);
}
function obj(v, path) {
    if (typeof v !== 'object' || v === null || Array.isArray(v))
        validate_fail(path, 'expected an object');
    return v;
}
function validate_field(o, key) {
    return Object.prototype.hasOwnProperty.call(o, key) ? o[key] : undefined;
}
function str(v, path, max = REPORT_LIMITS.string, pattern) {
    if (typeof v !== 'string')
        validate_fail(path, 'expected a string');
    if (v.length > max)
        validate_fail(path, `longer than ${max} characters`);
    if (pattern && !pattern.test(v))
        validate_fail(path, `malformed value`);
    return v;
}
function bool(v, path) {
    if (typeof v !== 'boolean')
        validate_fail(path, 'expected true or false');
    return v;
}
function count(v, path) {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
        validate_fail(path, 'expected a non-negative integer');
    return v;
}
function validate_int(v, path) {
    if (typeof v !== 'number' || !Number.isSafeInteger(v))
        validate_fail(path, 'expected an integer');
    return v;
}
function percentOrNull(v, path) {
    if (v === null)
        return null;
    if (typeof v !== 'number' || !Number.isFinite(v))
        validate_fail(path, 'expected a number or null');
    return v;
}
function validate_oneOf(v, values, path) {
    if (typeof v !== 'string' || !values.includes(v))
        validate_fail(path, `expected one of ${values.join(', ')}`);
    return v;
}
function list(v, path, max) {
    if (!Array.isArray(v))
        validate_fail(path, 'expected an array');
    if (v.length > max)
        validate_fail(path, `more than ${max} entries`);
    return v;
}
function readReport(value) {
    const o = obj(value, '');
    if (validate_field(o, 'schema') !== REPORT_SCHEMA)
        validate_fail('schema', `expected "${REPORT_SCHEMA}"`);
    const version = validate_field(o, 'version');
    if (version !== REPORT_SCHEMA_VERSION) {
        validate_fail('version', `unsupported version ${JSON.stringify(version) ?? 'undefined'} (this tool reads ${REPORT_SCHEMA_VERSION})`);
    }
    const tool = obj(validate_field(o, 'tool'), 'tool');
    const runId = validate_field(o, 'runId');
    const createdAt = str(validate_field(o, 'createdAt'), 'createdAt', 64, ISO_TIME);
    if (!isRealTime(createdAt))
        validate_fail('createdAt', 'not a valid time');
    const base = validate_field(o, 'base');
    const pullRequest = validate_field(o, 'pullRequest');
    return {
        schema: REPORT_SCHEMA,
        version: REPORT_SCHEMA_VERSION,
        tool: { name: str(validate_field(tool, 'name'), 'tool.name', 200), version: str(validate_field(tool, 'version'), 'tool.version', 200) },
        event: str(validate_field(o, 'event'), 'event', 100),
        repository: str(validate_field(o, 'repository'), 'repository', 200),
        ...(runId !== undefined ? { runId: count(runId, 'runId') } : {}),
        createdAt,
        metric: validate_oneOf(validate_field(o, 'metric'), validate_METRICS, 'metric'),
        regressed: bool(validate_field(o, 'regressed'), 'regressed'),
        changed: bool(validate_field(o, 'changed'), 'changed'),
        head: readCommit(validate_field(o, 'head'), 'head'),
        base: base === null ? null : readCommit(base, 'base'),
        ...(pullRequest !== undefined ? { pullRequest: readPullRequest(pullRequest, 'pullRequest') } : {}),
        targets: list(validate_field(o, 'targets'), 'targets', REPORT_LIMITS.targets).map((t, i) => readTarget(t, `targets[${i}]`)),
        notes: list(validate_field(o, 'notes'), 'notes', REPORT_LIMITS.notes).map((n, i) => str(n, `notes[${i}]`))
    };
}
function readCommit(v, path) {
    const o = obj(v, path);
    const sha = str(validate_field(o, 'sha'), `${path}.sha`, 64, validate_SHA);
    const ref = validate_field(o, 'ref');
    return ref === undefined ? { sha } : { sha, ref: str(ref, `${path}.ref`, 1024) };
}
function readPullRequest(v, path) {
    const o = obj(v, path);
    const number = count(validate_field(o, 'number'), `${path}.number`);
    if (number === 0)
        validate_fail(`${path}.number`, 'expected a pull request number (1 or more)');
    return { number, headSha: str(validate_field(o, 'headSha'), `${path}.headSha`, 64, validate_SHA) };
}
function readTarget(v, path) {
    const o = obj(v, path);
    const head = readSide(validate_field(o, 'head'), `${path}.head`);
    const base = readSide(validate_field(o, 'base'), `${path}.base`);
    const delta = validate_field(o, 'delta');
    const status = validate_oneOf(validate_field(o, 'status'), STATUSES, `${path}.status`);
    if ((status === 'changed' || status === 'unchanged') && (head.state !== 'measured' || base.state !== 'measured')) {
        validate_fail(`${path}.status`, `"${status}" needs both sides measured`);
    }
    const verdicts = list(validate_field(o, 'verdicts'), `${path}.verdicts`, REPORT_LIMITS.verdicts).map((x, i) => readVerdict(x, `${path}.verdicts[${i}]`));
    const regressed = bool(validate_field(o, 'regressed'), `${path}.regressed`);
    if (regressed !== verdicts.some((x) => !x.ok))
        validate_fail(`${path}.regressed`, 'disagrees with the verdicts');
    const image = validate_field(o, 'image');
    return {
        ...(image === undefined ? {} : { image: str(image, `${path}.image`, 256) }),
        target: str(validate_field(o, 'target'), `${path}.target`, 256),
        platform: str(validate_field(o, 'platform'), `${path}.platform`, 256),
        status,
        head,
        base,
        ...(delta !== undefined ? { delta: readDelta(delta, `${path}.delta`) } : {}),
        verdicts,
        regressed
    };
}
function readSide(v, path) {
    const o = obj(v, path);
    const state = validate_oneOf(validate_field(o, 'state'), ['measured', 'failed', 'absent', 'unavailable'], `${path}.state`);
    switch (state) {
        case 'measured':
            return {
                state,
                digest: str(validate_field(o, 'digest'), `${path}.digest`, 300, validate_DIGEST),
                configDigest: str(validate_field(o, 'configDigest'), `${path}.configDigest`, 300, validate_DIGEST),
                compressedBytes: count(validate_field(o, 'compressedBytes'), `${path}.compressedBytes`),
                uncompressedBytes: count(validate_field(o, 'uncompressedBytes'), `${path}.uncompressedBytes`),
                layerCount: count(validate_field(o, 'layerCount'), `${path}.layerCount`),
                method: validate_oneOf(validate_field(o, 'method'), METHODS, `${path}.method`),
                ...(estimated(validate_field(o, 'compressedEstimated'), `${path}.compressedEstimated`) ? { compressedEstimated: true } : {}),
                ...(validate_field(o, 'files') === undefined ? {} : { files: readFiles(validate_field(o, 'files'), `${path}.files`) }),
                layers: list(validate_field(o, 'layers'), `${path}.layers`, REPORT_LIMITS.layers).map((l, i) => readLayer(l, `${path}.layers[${i}]`))
            };
        case 'failed':
            return { state, error: str(validate_field(o, 'error'), `${path}.error`, REPORT_LIMITS.error) };
        case 'absent':
            return { state };
        case 'unavailable':
            return { state, reason: str(validate_field(o, 'reason'), `${path}.reason`) };
    }
}
/** `compressedEstimated` is written only as `true`; absent or `false` means exact, anything else is refused. */
function estimated(v, path) {
    return v !== undefined && bool(v, path);
}
function readFiles(v, path) {
    const o = obj(v, path);
    const final = validate_field(o, 'final');
    return {
        wastedBytes: count(validate_field(o, 'wastedBytes'), `${path}.wastedBytes`),
        wasted: list(validate_field(o, 'wasted'), `${path}.wasted`, 100).map((w, i) => readFileEntry(w, `${path}.wasted[${i}]`)),
        ...(final === undefined ? {} : { final: readFinal(final, `${path}.final`) })
    };
}
function readFileEntry(v, path) {
    const e = obj(v, path);
    return { path: str(validate_field(e, 'path'), `${path}.path`), bytes: count(validate_field(e, 'bytes'), `${path}.bytes`) };
}
/** A listing that says what it holds: no path twice, none under `below`, no more files or bytes than counted. */
function readFinal(v, path) {
    const o = obj(v, path);
    const files = count(validate_field(o, 'files'), `${path}.files`);
    const bytes = count(validate_field(o, 'bytes'), `${path}.bytes`);
    const belowField = validate_field(o, 'below');
    const below = belowField === undefined ? undefined : count(belowField, `${path}.below`);
    if (below === 0)
        validate_fail(`${path}.below`, 'expected 1 or more (a listing of every file has no "below")');
    const listed = list(validate_field(o, 'listed'), `${path}.listed`, REPORT_LIMITS.listed).map((e, i) => readFileEntry(e, `${path}.listed[${i}]`));
    const seen = new Set();
    let sum = 0;
    listed.forEach((e, i) => {
        if (seen.has(e.path))
            validate_fail(`${path}.listed[${i}].path`, 'listed twice');
        if (below !== undefined && e.bytes < below)
            validate_fail(`${path}.listed[${i}].bytes`, `under "below" (${below})`);
        seen.add(e.path);
        sum += e.bytes;
    });
    if (below === undefined ? listed.length !== files : listed.length > files)
        validate_fail(`${path}.files`, 'disagrees with the files listed');
    if (sum > bytes)
        validate_fail(`${path}.bytes`, 'less than the bytes listed');
    return { files, bytes, ...(below !== undefined ? { below } : {}), listed };
}
function readLayer(v, path) {
    const o = obj(v, path);
    return {
        digest: str(validate_field(o, 'digest'), `${path}.digest`, 300, validate_DIGEST),
        mediaType: str(validate_field(o, 'mediaType'), `${path}.mediaType`, 256),
        compressedBytes: count(validate_field(o, 'compressedBytes'), `${path}.compressedBytes`),
        uncompressedBytes: count(validate_field(o, 'uncompressedBytes'), `${path}.uncompressedBytes`),
        instruction: str(validate_field(o, 'instruction'), `${path}.instruction`)
    };
}
function readDelta(v, path) {
    const o = obj(v, path);
    return {
        compressedBytes: validate_int(validate_field(o, 'compressedBytes'), `${path}.compressedBytes`),
        uncompressedBytes: validate_int(validate_field(o, 'uncompressedBytes'), `${path}.uncompressedBytes`),
        layerCount: validate_int(validate_field(o, 'layerCount'), `${path}.layerCount`),
        compressedPercent: percentOrNull(validate_field(o, 'compressedPercent'), `${path}.compressedPercent`),
        uncompressedPercent: percentOrNull(validate_field(o, 'uncompressedPercent'), `${path}.uncompressedPercent`)
    };
}
function readVerdict(v, path) {
    const o = obj(v, path);
    return {
        rule: validate_oneOf(validate_field(o, 'rule'), RULES, `${path}.rule`),
        ok: bool(validate_field(o, 'ok'), `${path}.ok`),
        reason: str(validate_field(o, 'reason'), `${path}.reason`, 1024)
    };
}

;// CONCATENATED MODULE: ./src/baseline/store.ts
// Where measured reports are kept as baselines, keyed by commit: the Actions cache in workflows
// (actions-cache.ts). A stored report is a few KB of JSON; what is read back is untrusted, read
// safely (stored-file.ts) and validated by the caller (report/validate.ts validateReport).
class store_BaselineStoreError extends Error {
    constructor(message) {
        super(message);
        this.name = 'BaselineStoreError';
    }
}
/**
 * `store`, remembering what each lookup told of its keys, so that one run asks once per key: the
 * baseline's lookup and the trend's cover the same commits. A hit at one key says the keys before
 * it hold nothing (the store answers the first that holds a report); a miss says none of them does.
 * A lookup that fails throws and tells nothing.
 */
function remembering(store) {
    const known = new Map();
    return {
        description: store.description,
        async find(keys) {
            for (const [i, key] of keys.entries()) {
                const entry = known.get(key);
                if (entry === undefined)
                    return ask(keys.slice(i));
                if (entry !== null)
                    return entry;
            }
            return undefined;
        },
        save(key, text) {
            known.delete(key);
            return store.save(key, text);
        }
    };
    async function ask(keys) {
        const hit = await store.find(keys);
        const end = hit ? keys.indexOf(hit.key) : keys.length;
        for (const key of keys.slice(0, end))
            known.set(key, null);
        if (hit)
            known.set(hit.key, hit);
        return hit;
    }
}
/** Largest stored report accepted when reading back (reports are a few KB; this bounds a hostile one). */
const MAX_STORED_REPORT_BYTES = 8 * 1024 * 1024;
/**
 * The key of the baseline of `sha`: `image-budget-v1-<owner>/<name>-<comment-key>-<sha>`. The version
 * is the report schema's, so a new schema never reads an old report as its own. Pure.
 */
function baselineKey(repository, commentKey, sha, schemaVersion = 1) {
    return `image-budget-v${schemaVersion}-${repository.toLowerCase()}-${commentKey}-${sha.toLowerCase()}`;
}
/** Events whose report becomes the baseline of their commit (pull requests compare with these). */
const STORING_EVENTS = new Set(['push', 'schedule', 'workflow_dispatch']);
/** Whether a run of `event` stores its report as its commit's baseline. Pure. */
function storesBaseline(event) {
    return STORING_EVENTS.has(event);
}

;// CONCATENATED MODULE: ./src/baseline/from-report.ts



/**
 * Parses and validates the text of a report read back (a stored baseline, an artifact, a matrix
 * job's report): size cap, JSON, schema, this version, every field. `reason` says why it is refused
 * ("it has schema version 2; …", "it is not valid JSON", ...), without echoing its content.
 */
function parseReport(text) {
    if (Buffer.byteLength(text, 'utf8') > MAX_STORED_REPORT_BYTES) {
        return { ok: false, reason: `it is larger than ${MAX_STORED_REPORT_BYTES} bytes` };
    }
    let value;
    try {
        value = JSON.parse(text);
    }
    catch {
        return { ok: false, reason: 'it is not valid JSON' };
    }
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
        const o = value;
        if (o.schema !== REPORT_SCHEMA)
            return { ok: false, reason: `it is not an ${REPORT_SCHEMA} report` };
        if (o.version !== REPORT_SCHEMA_VERSION) {
            return { ok: false, reason: `it has schema version ${JSON.stringify(o.version)}; this version of the action reads version ${REPORT_SCHEMA_VERSION}` };
        }
    }
    const checked = validateReport(value);
    if (!checked.ok)
        return { ok: false, reason: `it is malformed (${checked.error})` };
    return { ok: true, report: checked.report };
}
/**
 * Parses and validates a stored report, and checks that it is the report of `sha` in `repository`.
 * `reason` says why one is not used ("schema version 2; this version reads 1", "not valid JSON", ...).
 */
function parseStoredReport(text, expected) {
    const parsed = parseReport(text);
    if (!parsed.ok)
        return parsed;
    const report = parsed.report;
    if (report.repository.toLowerCase() !== expected.repository.toLowerCase()) {
        return { ok: false, reason: `it belongs to another repository (${report.repository || 'none'})` };
    }
    if (report.head.sha.toLowerCase() !== expected.sha.toLowerCase()) {
        return { ok: false, reason: `it is the report of another commit (${report.head.sha})` };
    }
    return { ok: true, report };
}
/**
 * The stored report's head images (what that commit's run measured) as the base side of `targets`,
 * one result per platform, with their file lists (complete, cut or missing: report/report.ts), so
 * the comment's files section compares with them as with a base build. With `image` (the `name`
 * input), only rows of that image count: matrix jobs that share a comment-key share the stored
 * report too, and one image's `release` is no
 * baseline for another image's `release`. Without it, any row of the target counts (a config
 * file's images are stored under keys of their own).
 */
function baseFromReport(report, targets, image) {
    const results = [];
    const missing = [];
    for (const target of targets) {
        const rows = report.targets.filter((t) => t.target === target && (image === undefined || t.image === image));
        if (rows.length === 0 || rows.some((t) => t.head.state !== 'measured')) {
            missing.push(target);
            continue;
        }
        results.push({ target, results: rows.map((t) => ({ platform: t.platform, result: toSideResult(t.head, target, t.platform) })) });
    }
    return { results, missing };
}

;// CONCATENATED MODULE: ./src/git/ancestors.ts
// The first-parent ancestors of a commit, for finding a stored report of a recent ancestor of the
// base. A shallow checkout does not hold them, and the workspace is never written (issue 11: the
// head is built from it as it is): they are fetched into a scratch repository made like the base's,
// outside the workspace, and listed there.





/**
 * `sha` and up to `count - 1` of its first-parent ancestors, newest first: read in `repoDir` when
 * it holds the whole history, else fetched (depth `count`, the commits without their trees) from
 * its remote into a scratch repository that is removed before this returns.
 * @throws GitError when git fails (the commit cannot be fetched, no remote).
 */
async function ancestorsOf(repoDir, sha, count, options = {}) {
    const exec = options.exec ? { exec: options.exec } : {};
    const workspace = new Git(repoDir, exec);
    if (!(await workspace.isShallow()))
        return workspace.ancestors(sha, count);
    const tmpRoot = external_node_path_default().resolve(options.tmpRoot ?? external_node_os_default().tmpdir());
    await (0,promises_namespaceObject.mkdir)(tmpRoot, { recursive: true });
    const dir = await (0,promises_namespaceObject.mkdtemp)(external_node_path_default().join(tmpRoot, 'image-budget-history-'));
    try {
        const scratch = await freshRepository(workspace, dir, { withAuth: true, ...exec });
        await scratch.fetchInto(options.remote ?? 'origin', sha, undefined, count, { commitsOnly: true });
        return await scratch.ancestors(sha, count);
    }
    finally {
        await (0,promises_namespaceObject.rm)(dir, { recursive: true, force: true });
    }
}

;// CONCATENATED MODULE: ./src/baseline/resolve.ts




/** How many ancestors of the base commit are looked at when its own report is missing. */
const ANCESTORS_SEARCHED = 5;
async function findStoredBaseline(req) {
    const own = await lookUp(req, [req.baseSha]);
    if (own.found)
        return own.found;
    // The base commit has a report that is not usable (broken, foreign, newer): build the base, as the
    // warning says, rather than compare with an older commit's numbers.
    if (own.refused || own.unreadable)
        return undefined;
    const ancestors = await recentAncestors(req);
    if (ancestors.length === 0)
        return undefined;
    const { found } = await lookUp(req, ancestors);
    return found ? { ...found, distance: ancestors.indexOf(found.sha) + 1 } : undefined;
}
/** The first of `shas` whose stored report is usable; unusable ones are skipped with a warning. */
async function lookUp(req, shas) {
    let left = [...shas];
    let refused = false;
    while (left.length > 0) {
        const keys = left.map((sha) => baselineKey(req.repository, req.commentKey, sha));
        let stored;
        try {
            stored = await req.store.find(keys);
        }
        catch (e) {
            if (!(e instanceof store_BaselineStoreError))
                throw e;
            req.log.warning(`Stored baselines could not be read from ${req.store.description}: ${e.message}`);
            return { refused, unreadable: true };
        }
        if (!stored)
            return { refused, unreadable: false };
        const at = keys.indexOf(stored.key);
        const sha = left[at];
        if (sha === undefined)
            return { refused, unreadable: false };
        const parsed = parseStoredReport(stored.text, { repository: req.repository, sha });
        if (parsed.ok)
            return { found: { report: parsed.report, sha, distance: 0 }, refused, unreadable: false };
        req.log.warning(`Ignoring the stored baseline of ${sha.slice(0, 12)}: ${parsed.reason}.`);
        refused = true;
        left = left.slice(at + 1);
    }
    return { refused, unreadable: false };
}
/** Up to ANCESTORS_SEARCHED first-parent ancestors of the base commit, nearest first. */
async function recentAncestors(req) {
    try {
        // A shallow clone holds one commit: the history is fetched outside it, never into it.
        return (await ancestorsOf(req.repoDir, req.baseSha, ANCESTORS_SEARCHED + 1, req.exec ? { exec: req.exec } : {})).slice(1);
    }
    catch (e) {
        req.log.info(`The base commit's ancestors could not be listed (${errorMessage(e)}); only its own stored report was looked for.`);
        return [];
    }
}

;// CONCATENATED MODULE: ./src/baseline/choose.ts
// Step 2 of the pipeline: what the head is compared with, decided once per image.
//   `base-image`: pushed images read in their registry (from-image.ts); when one cannot be read, a
//   warning, and `baseline` decides as below
//   `baseline` auto/report: the stored report of the base commit or a recent ancestor (no base build)
//   auto/build: the base commit checked out outside the workspace (git/base-checkout.ts), to be built
//   otherwise, or when neither can be had: no baseline, with the reason (the head is still judged on
//   absolute budgets, PRODUCT 7, RELIABILITY row 22).
// Every choice adds the note the comment shows; only an unusable explicit `base-ref` fails the step.








async function chooseBaseline(req) {
    if (!req.baseImage)
        return chooseCommitBaseline(req);
    const read = await imageBaseline({ ...req.baseImage, targets: req.headTargets, log: req.log });
    if (read.ok)
        return { baseline: { kind: 'image', results: read.results }, notes: read.notes };
    req.log.warning(`${read.reason}; the baseline is what baseline: ${req.mode} gives instead.`);
    const chosen = await chooseCommitBaseline(req);
    return { ...chosen, notes: [`${read.reason}; compared with what baseline: ${req.mode} gives instead.`, ...chosen.notes] };
}
/** The stored report or the checked-out base commit, as `baseline` says. */
async function chooseCommitBaseline(req) {
    const ref = req.baseRef ?? req.eventBase;
    const stored = req.mode === 'auto' || req.mode === 'report' ? await storedBaseline(req, ref) : undefined;
    if (stored)
        return { baseline: stored, notes: [storedNote(stored.found, ref)] };
    if (req.mode === 'none')
        return { baseline: { kind: 'unavailable', reason: 'baseline: none' }, notes: [] };
    if (req.mode === 'report') {
        const reason = `no stored report for ${ref ?? 'this run'}`;
        return { baseline: { kind: 'unavailable', reason }, notes: [`No stored baseline report found for ${ref ?? 'this run'}; sizes are absolute.`] };
    }
    if (!ref)
        return { baseline: { kind: 'unavailable', reason: `no base commit for event ${req.event || 'unknown'}` }, notes: [] };
    return checkout(req, ref);
}
/** The stored report to compare with, when one is found and (with `auto`) has every head target. */
async function storedBaseline(req, ref) {
    const { store, repository, log } = req;
    if (!ref || !store || !repository)
        return undefined;
    const baseSha = await commitOf(req.workspace, ref, req.exec);
    if (!baseSha)
        return undefined;
    const found = await log.group(`Look up the stored baseline of ${ref}`, () => findStoredBaseline({ store, repository, commentKey: req.commentKey, baseSha, repoDir: req.workspace, exec: req.exec, log }));
    if (!found)
        return undefined;
    const base = baseFromReport(found.report, req.headTargets, req.name);
    if (base.missing.length > 0 && req.mode !== 'report') {
        log.info(`The stored baseline of ${found.sha.slice(0, 12)} has no measured image of ${base.missing.join(', ')}; building the base instead.`);
        return undefined;
    }
    const run = found.report.runId !== undefined ? ` run ${found.report.runId}` : '';
    log.info(`Baseline: the report stored by the ${found.report.event}${run} of ${found.sha} (${found.report.createdAt}); the base is not built.`);
    return { kind: 'stored', found, base };
}
function storedNote(found, ref) {
    return found.distance === 0
        ? `Baseline: the report stored for ${found.sha.slice(0, 12)} by its ${found.report.event} run; the base was not rebuilt.`
        : `Baseline: ${ref?.slice(0, 12)} has no stored report; compared with the report of its ancestor ${found.sha.slice(0, 12)}, ` +
            `${found.distance} commit${found.distance === 1 ? '' : 's'} earlier.`;
}
/** The base commit checked out outside the workspace, or why it cannot be. */
async function checkout(req, ref) {
    try {
        // Outside the workspace, under the temp folder (which the post step removes after a cancelled
        // run), with a `.git` laid out like the workspace's: nothing is written in the workspace.
        const base = await req.log.group(`Check out base ${ref}`, () => checkoutBase({ repoDir: req.workspace, ref, tmpRoot: req.tmpDir, exec: req.exec }));
        const layout = base.layout === 'copy' ? "a copy of the workspace's .git" : 'a depth-1 clone, as actions/checkout makes one';
        req.log.info(`Base ${base.sha} checked out in ${base.dir} (${layout}).`);
        req.cleanups.push(() => base.cleanup());
        return { baseline: { kind: 'checkout', checkout: base }, notes: [] };
    }
    catch (e) {
        if (e instanceof InvalidRefError && req.baseRef) {
            throw new InputError(INPUT.baseRef, ref, 'a commit SHA or a ref name', { problem: `is not usable: ${e.message}` });
        }
        // Whatever keeps the base from being checked out (unreachable commit, not a git checkout, a
        // workspace git refuses as another user's, no git at all): the head is still measured.
        const reason = e instanceof BaselineUnavailableError ? e.message : `could not check out base ${ref}: ${errorMessage(e)}`;
        req.log.warning(`Baseline unavailable: ${reason}`);
        return { baseline: { kind: 'unavailable', reason }, notes: [`Baseline unavailable: ${reason}.`] };
    }
}
/** The full SHA `ref` names: itself when it is one, else what the local repository resolves it to. */
async function commitOf(repoDir, ref, exec) {
    if (isFullSha(ref))
        return ref.toLowerCase();
    try {
        return await new Git(repoDir, { exec }).revParseCommit(ref);
    }
    catch {
        return undefined;
    }
}

;// CONCATENATED MODULE: ./src/baseline/trend.ts
// The size history behind the trend chart (`details: trend`): the reports that the last commits of
// the base branch stored (push runs), newest first. The base commit's first-parent ancestors are
// listed outside the workspace (git/ancestors.ts, commits only), then looked up in the store ten
// keys at a time, each lookup finding the next stored one; ten commits in a row without a report end
// the history (a branch that stopped storing them, or a cache service that does not answer, whose
// misses each wait out the client's retries). Every failure is a log line and a shorter history:
// the trend never fails a run.



/** Commits of the base branch charted at most (the pull request's head is one more point). */
const TREND_POINTS_MAX = 20;
/** First-parent commits looked at for them: pushes that stored no report (docs-only, skipped) are passed over. */
const TREND_COMMITS_SEARCHED = 50;
/** Keys per store lookup: one Actions cache request each. */
const KEYS_PER_LOOKUP = 10;
/** The stored reports of the base commit and its recent first-parent ancestors, newest first, at most TREND_POINTS_MAX. */
async function storedHistory(req) {
    let commits;
    try {
        commits = await ancestorsOf(req.repoDir, req.baseSha, TREND_COMMITS_SEARCHED, { tmpRoot: req.tmpDir, ...(req.exec ? { exec: req.exec } : {}) });
    }
    catch (e) {
        req.log.info(`The base branch's history could not be listed (${errorMessage(e)}); no trend is shown.`);
        return [];
    }
    const points = [];
    let left = commits;
    while (left.length > 0 && points.length < TREND_POINTS_MAX) {
        const batch = left.slice(0, KEYS_PER_LOOKUP);
        const { found, unreadable } = await lookUp(req, batch);
        if (unreadable || !found) {
            left = left.slice(batch.length);
            break;
        }
        points.push({ sha: found.sha, report: found.report });
        left = left.slice(batch.indexOf(found.sha) + 1);
    }
    const looked = commits.length - left.length;
    req.log.info(`Trend: ${points.length} of the last ${looked} commits of the base branch stored a report.`);
    return points;
}

;// CONCATENATED MODULE: ./src/buildx/cache.ts
// The build cache of a run, decided once before the first build. Pure: the `cache` input, the
// runtime, whose code is built and what the builder can do in; the cache to use and what to say out.
//   - a relative local folder is the workspace's (where actions/cache saves it), not the context's;
//   - gha needs the Actions runtime, and a stranger's build gets none (its token would be in reach);
//   - a stranger's build reads, never writes; a builder that cannot export reads only;
//   - `max` is exported by push, schedule and dispatch runs of the default branch only (trust.ts).

function decideCache(req) {
    const info = [];
    const warnings = [];
    const notes = [];
    let cache = req.requested.type === 'local' ? { ...req.requested, dir: external_node_path_default().resolve(req.realWorkspace, req.requested.dir) } : req.requested;
    if (cache.type === 'gha' && !req.runtime) {
        info.push('cache: gha needs the Actions runtime (ACTIONS_RUNTIME_TOKEN); building without cache.');
        cache = { type: 'none' };
    }
    if (cache.type === 'gha' && req.untrusted !== undefined) {
        // buildx hands the runtime token to the gha cache, whose attributes reach the build's frontend.
        const note = `No build cache: this run builds ${req.untrusted}, and the gha cache would put the Actions runtime token within its reach.`;
        info.push(`cache: ${note}`);
        notes.push(note);
        cache = { type: 'none' };
    }
    if (cache.type !== 'none' && !req.exportAllowed) {
        info.push(req.exportNote ?? 'cache: read, not written.');
    }
    else if (cache.type !== 'none' && !req.builderCanExport) {
        warnings.push(`cache: the builder "${req.builderName}" (docker driver, classic image store) cannot export build cache; ` +
            'the cache is read but not written, and the build goes on. A docker-container builder or the containerd image store can write it.');
    }
    return { cache, cacheExport: req.builderCanExport && req.exportAllowed, cacheMode: req.mode, info, warnings, notes };
}
/** Whether the step's environment holds the Actions runtime the gha cache needs. */
function hasActionsRuntime(env) {
    return Boolean(env.ACTIONS_RUNTIME_TOKEN && (env.ACTIONS_CACHE_URL || env.ACTIONS_RESULTS_URL));
}

;// CONCATENATED MODULE: ./src/buildx/env.ts
// The environment of the docker commands the action starts. The buildx client needs this process's
// environment (DOCKER_HOST, DOCKER_CONFIG, the Actions cache runtime for `type=gha`), but nothing of
// ours that holds a token: the inputs (INPUT_GITHUB-TOKEN among them) and the usual token
// variables. Builds never see the client's environment; this keeps the tokens out of the client
// too (security requirement 7). A stranger's code (pipeline/trust.ts) gets a client without the
// Actions runtime either: buildx would hand its token to the gha cache, whose attributes reach the
// frontend, so such a build has no gha cache and nothing of the runtime within reach.
/** Names that hold a credential by their looks (`*_TOKEN`, `*SECRET*`, `*PASSWORD*`, ...), left out for a stranger's build. */
const CREDENTIAL_NAME = /TOKEN|SECRET|PASSW|CREDENTIAL|PRIVATE_KEY|API_KEY|ACCESS_KEY/i;
/** `env` less the action's inputs and the GitHub token variables (and, for a stranger's build, the runtime and credentials). */
function dockerClientEnv(env, options = {}) {
    const out = {};
    for (const [k, v] of Object.entries(env)) {
        if (k.startsWith('INPUT_') || k === 'GITHUB_TOKEN' || k === 'GH_TOKEN')
            continue;
        if (options.untrusted && (k.startsWith('ACTIONS_') || CREDENTIAL_NAME.test(k)))
            continue;
        out[k] = v;
    }
    return out;
}

;// CONCATENATED MODULE: ./src/buildx/probe.ts


/** `docker buildx version` → "0.13.1+ds1". */
function parseBuildxVersion(text) {
    const m = /github\.com\/docker\/buildx\s+v?(\S+)/.exec(text) ?? /buildx\s+v?(\d+\.\d+\S*)/.exec(text);
    return m?.[1];
}
/** `docker buildx inspect [name]` → the builder and its first node. */
function parseBuildxInspect(text) {
    const lines = text.split('\n');
    const value = (key, from = 0) => {
        for (let i = from; i < lines.length; i++) {
            const m = new RegExp(`^${key}:\\s*(.*)$`).exec(lines[i] ?? '');
            if (m)
                return m[1]?.trim();
        }
        return undefined;
    };
    const nodesAt = lines.findIndex((l) => l.startsWith('Nodes:'));
    const platforms = (value('Platforms', Math.max(nodesAt, 0)) ?? '')
        .split(',')
        .map((p) => p.replace(/\*$/, '').trim())
        .filter(Boolean);
    const error = value('Error');
    return {
        name: value('Name') ?? 'default',
        driver: value('Driver') ?? '',
        status: nodesAt >= 0 ? value('Status', nodesAt) : undefined,
        platforms,
        ...(error ? { error } : {})
    };
}
/** `docker info --format '{{json .DriverStatus}}'` → which image store the engine uses. */
function parseImageStore(driverStatusJson) {
    let parsed;
    try {
        parsed = JSON.parse(driverStatusJson);
    }
    catch {
        return 'classic';
    }
    if (!Array.isArray(parsed))
        return 'classic';
    const containerd = parsed.some((pair) => Array.isArray(pair) && pair[0] === 'driver-type' && String(pair[1]).includes('io.containerd.snapshotter'));
    return containerd ? 'containerd' : 'classic';
}
function capabilities(buildxVersion, builder, store) {
    const classicDocker = builder.driver === 'docker' && store === 'classic';
    return { buildxVersion, builder, imageStore: store, ociExport: !classicDocker, cacheExport: !classicDocker };
}
class EngineError extends Error {
    constructor(message) {
        super(message);
        this.name = 'EngineError';
    }
}
const lines = (s) => s
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
const firstLine = (s) => lines(s)[0] ?? '';
const probe_lastLine = (s) => lines(s).pop() ?? '';
/**
 * Probe docker, buildx and the builder once. Fails fast with an actionable message (RELIABILITY row 9).
 * `env` is docker's environment: by default this process's, without inputs or tokens. The three
 * questions are asked at once (each is a process start of about 0.1 s); the answers are read in
 * order: buildx, then the builder, then (for the `docker` driver alone) the image store.
 */
async function probeBuilder(exec, builderName, env = dockerClientEnv(process.env)) {
    const setup = 'Install Docker with the buildx plugin, or see docker/setup-buildx-action (add it before this step).';
    const inspecting = exec('docker', ['buildx', 'inspect', ...(builderName ? ['--', builderName] : [])], { env });
    const storing = probeImageStore(exec, env);
    // Read only when needed below: a failure meanwhile is not an unhandled one.
    inspecting.catch(() => undefined);
    storing.catch(() => undefined);
    const version = await exec('docker', ['buildx', 'version'], { env }).catch((e) => {
        throw new EngineError(`Docker buildx is required but docker could not be run: ${errorMessage(e)}. ${setup}`);
    });
    const buildxVersion = version.code === 0 ? parseBuildxVersion(version.stdout) : undefined;
    if (!buildxVersion) {
        // docker's own words come first ("docker: unknown command: docker buildx", or before CLI 24
        // "docker: 'buildx' is not a docker command."); a "Run 'docker --help'" line follows them.
        const said = firstLine(version.stderr) || firstLine(version.stdout) || `exit code ${version.code}`;
        throw new EngineError(`Docker buildx is required but \`docker buildx version\` failed: ${said}. ${setup}`);
    }
    // The builder first: a remote or Kubernetes builder needs no local daemon at all.
    const inspect = await inspecting;
    const builder = parseBuildxInspect(inspect.stdout);
    if (inspect.code !== 0 || builder.error || !builder.driver) {
        const reason = builder.error ?? (probe_lastLine(inspect.stderr) || 'no driver reported');
        if (/Cannot connect to the Docker daemon|docker daemon/i.test(reason)) {
            throw new EngineError(`The Docker daemon is not reachable: ${reason}`);
        }
        throw new EngineError(`Builder ${builderName ? `"${builderName}" ` : ''}could not be inspected: ${reason}. ` +
            'List the available builders with `docker buildx ls`.');
    }
    const store = builder.driver === 'docker' ? await storing : 'not-applicable';
    return capabilities(buildxVersion, builder, store);
}
/**
 * Which image store the engine uses, from `docker info` (its DriverStatus, read by parseImageStore).
 * The one place `docker info` is run: the builder probe and the command line's `measure` use it.
 */
async function probeImageStore(exec, env) {
    const info = await exec('docker', ['info', '--format', '{{json .DriverStatus}}'], { env });
    if (info.code !== 0) {
        throw new EngineError(`The Docker daemon is not reachable: ${probe_lastLine(info.stderr) || `exit code ${info.code}`}`);
    }
    return parseImageStore(info.stdout);
}

;// CONCATENATED MODULE: ./src/image/shared-layers.ts
class SharedLayers {
    byDigest = new Map();
    /**
     * The run's measurement of the blob `digest` of `size` bytes, done or under way, when one has its
     * entries or none are asked for, and its compression is `compression` (any, when not known yet).
     */
    find(digest, size, files, compression) {
        const shared = this.byDigest.get(digest);
        if (!shared || shared.size !== size || (files && !shared.files))
            return undefined;
        if (compression !== undefined && shared.compression !== compression)
            return undefined;
        return shared.sizes;
    }
    /** Shares a measurement of the blob `digest`; the first one of a digest stays, and is forgotten if it fails. */
    add(digest, size, compression, files, sizes) {
        const now = this.byDigest.get(digest);
        if (now && (now.files || !files))
            return;
        const shared = { size, compression, files, sizes };
        this.byDigest.set(digest, shared);
        sizes.catch(() => {
            if (this.byDigest.get(digest) === shared)
                this.byDigest.delete(digest);
        });
    }
}

;// CONCATENATED MODULE: ./src/model.ts
// Domain types shared by every stage of the pipeline:
//   inputs ─► plan ─► build ─► measure ─► compare ─► policy ─► render ─► publish
// Pure data only: no behaviour, no I/O.
/** No build settings beyond the context: what a build gets when none of their inputs is set. */
const NO_BUILD_SETTINGS = {
    secrets: [],
    ssh: [],
    contexts: [],
    labels: [],
    noCache: false,
    pull: false,
    shmSize: undefined,
    ulimits: [],
    addHosts: [],
    allow: [],
    provenance: undefined,
    sbom: undefined
};
/** The platform of a result that applies to every platform of its target (a failed build, an absent target). */
const ANY_PLATFORM = '*';

;// CONCATENATED MODULE: ./src/report/compare.ts
/** Compares every row, keeping the given order. */
function compare_compare(rows) {
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
function compareRow(row) {
    const { target, platform, head, base } = row;
    const image = row.image !== undefined ? { image: row.image } : {};
    const status = rowStatus(head, base);
    if (head.state === 'measured' && base.state === 'measured' && status !== 'no-baseline') {
        return { ...image, target, platform, status, head, base, delta: delta(head.image, base.image) };
    }
    return { ...image, target, platform, status, head, base };
}
function rowStatus(head, base) {
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
                    if (base.image.method !== head.image.method)
                        return 'no-baseline';
                    return sameNumbers(head.image, base.image) ? 'unchanged' : 'changed';
            }
    }
}
function sameNumbers(a, b) {
    return (a.compressedBytes === b.compressedBytes &&
        a.uncompressedBytes === b.uncompressedBytes &&
        a.layerCount === b.layerCount);
}
/** Head minus base, with growth in percent of the base (null when the base is 0 bytes). */
function delta(head, base) {
    return {
        compressedBytes: head.compressedBytes - base.compressedBytes,
        uncompressedBytes: head.uncompressedBytes - base.uncompressedBytes,
        layerCount: head.layerCount - base.layerCount,
        compressedPercent: percent(head.compressedBytes - base.compressedBytes, base.compressedBytes),
        uncompressedPercent: percent(head.uncompressedBytes - base.uncompressedBytes, base.uncompressedBytes)
    };
}
function percent(diff, of) {
    return of === 0 ? null : (diff / of) * 100;
}
/**
 * Layers of base and head matched by digest, in order (a longest common subsequence of digests),
 * so a layer inserted early does not make every later layer look changed. Between two matched
 * layers, the unmatched ones are paired by position as `changed`; any surplus is `added` (head) or
 * `removed` (base). The result follows head order, with removed layers where they stood.
 */
function diffLayers(base, head) {
    const n = base.length;
    const m = head.length;
    // lcs[i][j] = LCS length of base[i..] and head[j..]; images have at most a few hundred layers.
    const lcs = Array.from({ length: n + 1 }, () => new Array(m + 1).fill(0));
    for (let i = n - 1; i >= 0; i--) {
        const row = lcs[i];
        const next = lcs[i + 1];
        for (let j = m - 1; j >= 0; j--) {
            row[j] = base[i].digest === head[j].digest ? next[j + 1] + 1 : Math.max(next[j], row[j + 1]);
        }
    }
    const out = [];
    let i = 0;
    let j = 0;
    let gapBase = [];
    let gapHead = [];
    const flushGap = () => {
        const pairs = Math.min(gapBase.length, gapHead.length);
        for (let k = 0; k < Math.max(gapBase.length, gapHead.length); k++) {
            const bi = gapBase[k];
            const hj = gapHead[k];
            if (k < pairs && bi !== undefined && hj !== undefined) {
                out.push({ kind: 'changed', base: base[bi], head: head[hj], baseIndex: bi, headIndex: hj });
            }
            else if (hj !== undefined) {
                out.push({ kind: 'added', head: head[hj], headIndex: hj });
            }
            else if (bi !== undefined) {
                out.push({ kind: 'removed', base: base[bi], baseIndex: bi });
            }
        }
        gapBase = [];
        gapHead = [];
    };
    while (i < n || j < m) {
        if (i < n && j < m && base[i].digest === head[j].digest && lcs[i][j] === lcs[i + 1][j + 1] + 1) {
            flushGap();
            out.push({ kind: 'same', base: base[i], head: head[j], baseIndex: i, headIndex: j });
            i++;
            j++;
        }
        else if (j < m && (i >= n || lcs[i][j + 1] >= lcs[i + 1][j])) {
            gapHead.push(j++);
        }
        else {
            gapBase.push(i++);
        }
    }
    flushGap();
    return out;
}

;// CONCATENATED MODULE: ./src/report/format.ts
const DECIMAL_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB'];
/** `0 B`, `999 B`, `1.23 kB`, `12.3 MB`, `1.05 GB`; negative values get a leading `-`. */
function formatBytes(n) {
    if (!Number.isFinite(n))
        return Number.isNaN(n) ? '? B' : n > 0 ? '∞ B' : '-∞ B';
    const sign = n < 0 ? '-' : '';
    const abs = Math.abs(Math.round(n));
    if (abs < 1000)
        return `${sign}${abs} B`;
    let unit = 0;
    let value = abs;
    while (value >= 1000 && unit < DECIMAL_UNITS.length - 1) {
        value /= 1000;
        unit++;
    }
    // 999.6 kB rounds to "1.00e+3"; promote it to the next unit instead.
    if (Number(value.toPrecision(3)) >= 1000 && unit < DECIMAL_UNITS.length - 1) {
        value /= 1000;
        unit++;
    }
    return `${sign}${value.toPrecision(3)} ${DECIMAL_UNITS[unit]}`;
}
/** `+1.20 MB`, `-340 kB`, `0 B`. */
function formatDelta(n) {
    if (n === 0 || Object.is(n, -0) || Math.round(n) === 0)
        return '0 B';
    return n > 0 ? `+${formatBytes(n)}` : formatBytes(n);
}
/**
 * `+12.3%`, `-0.4%`, `0%`; `new` when there is no percentage (the base was 0 bytes or missing).
 * A change too small to show at the given precision keeps its sign: `+0.0%`.
 */
function formatPercent(p, digits = 1) {
    if (p === null)
        return 'new';
    if (Number.isNaN(p))
        return '?%';
    if (p === 0)
        return '0%';
    if (!Number.isFinite(p))
        return p > 0 ? '+∞%' : '-∞%';
    const text = Math.abs(p).toFixed(digits);
    return `${p > 0 ? '+' : '-'}${text}%`;
}
/** `4,812`: thousands grouped, the same in every locale. */
function groupDigits(n) {
    return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
/** A change in a table: `0 B`, `+1.20 MB`, `+1.20 MB (+12.0%)`, `+191 MB (×177)`. */
function formatChange(bytes, percent) {
    if (bytes === 0)
        return '0 B';
    return percent === null ? formatDelta(bytes) : `${formatDelta(bytes)} (${formatGrowth(percent)})`;
}
/** Growth past this percentage reads as a factor: `+17606.4%` is `×177`. */
const FACTOR_ABOVE_PERCENT = 1000;
/**
 * A change in a table cell: a percentage as {@link formatPercent} up to +1,000%, then the factor
 * the head is of the base, to three digits (`×11.0`, `×92.9`, `×177`, `×1,250`).
 */
function formatGrowth(p) {
    if (p === null || !Number.isFinite(p) || p <= FACTOR_ABOVE_PERCENT)
        return formatPercent(p);
    const factor = Number((1 + p / 100).toPrecision(3));
    return factor < 100 ? `×${factor.toFixed(1)}` : `×${groupDigits(factor)}`;
}
/**
 * `text` with every run of characters without a space longer than `max` shortened in the middle to
 * `max` characters (`/usr/local/go/src/…/analysisutil/util.go`): a browser breaks a line only at a
 * space inside a code span, so such a run would widen its table past GitHub's column. A path keeps
 * its last segments whole when they fit.
 */
function shortenRuns(text, max) {
    return text.replace(/\S+/gu, (run) => shortenMiddle(run, max));
}
function shortenMiddle(run, max) {
    const chars = [...run];
    if (chars.length <= max)
        return run;
    const room = max - 1;
    // The tail: the longest run of whole segments (`/analysisutil/util.go`) of a quarter to a half of
    // the room, else exactly half; the head: up to the last `/` past a quarter of the room, else the rest.
    let tail = Math.floor(room / 2);
    for (let i = chars.length - tail; i <= chars.length - Math.ceil(room / 4); i++) {
        if (chars[i] === '/') {
            tail = chars.length - i;
            break;
        }
    }
    let head = room - tail;
    const cut = chars.lastIndexOf('/', head - 1);
    if (cut >= Math.ceil(room / 4))
        head = cut + 1;
    return `${chars.slice(0, head).join('')}…${chars.slice(chars.length - tail).join('')}`;
}
/** `10%`, `12.5%`, `25 MB`, `512 KiB`, `1.5 GB`: the normalized form of a parsed threshold. */
function formatThreshold(t) {
    if (t.kind === 'percent') {
        // Three decimals when they are exact; otherwise every digit (0.0001% must not read 0%).
        const short = trimNumber(t.percent);
        return `${Number(short) === t.percent ? short : String(t.percent)}%`;
    }
    return formatExactBytes(t.bytes);
}
/** Layer count with its change: `8`, `8 (+1)`, `6 (-2)`. */
function formatCount(n, delta) {
    if (delta === undefined || delta === 0)
        return String(n);
    return `${n} (${delta > 0 ? '+' : '-'}${Math.abs(delta)})`;
}
/** Short commit id for display. */
function shortSha(sha) {
    return sha.slice(0, 7);
}
const BINARY_UNITS = ['KiB', 'MiB', 'GiB', 'TiB'];
/**
 * A byte count written exactly when a short exact form exists (`25 MB`, `512 KiB`, `1.5 GB`),
 * otherwise in bytes (`12345678 B`). Used for thresholds, where the user's exact number matters.
 */
function formatExactBytes(bytes) {
    if (!Number.isFinite(bytes) || bytes < 1000)
        return formatBytes(bytes);
    const candidates = [];
    for (let i = DECIMAL_UNITS.length - 1; i >= 1; i--) {
        const unitSize = 1000 ** i;
        if (bytes >= unitSize) {
            if (isShortExact(bytes, unitSize))
                candidates.push(`${trimNumber(bytes / unitSize)} ${DECIMAL_UNITS[i]}`);
            break;
        }
    }
    for (let i = BINARY_UNITS.length; i >= 1; i--) {
        const unitSize = 1024 ** i;
        if (bytes >= unitSize) {
            if (isShortExact(bytes, unitSize))
                candidates.push(`${trimNumber(bytes / unitSize)} ${BINARY_UNITS[i - 1]}`);
            break;
        }
    }
    if (candidates.length === 0)
        return `${Math.round(bytes)} B`;
    // The shortest exact spelling wins; decimal first on a tie.
    return candidates.reduce((a, b) => (b.length < a.length ? b : a));
}
/** Whether bytes / unitSize has at most three decimals, exactly (1 TB + 1 B is not "1 TB"). */
function isShortExact(bytes, unitSize) {
    return Number.isInteger(bytes) && (BigInt(bytes) * 1000n) % BigInt(unitSize) === 0n;
}
/** Up to three decimals, without trailing zeros: 10 → "10", 12.50 → "12.5". */
function trimNumber(v) {
    return String(Number(v.toFixed(3)));
}
/** How each row status reads in the comment, the summary and the terminal. */
const STATUS_LABEL = {
    changed: 'changed',
    unchanged: 'unchanged',
    new: 'new',
    removed: 'removed',
    'no-baseline': 'no baseline',
    'head-failed': 'build failed'
};
/** The order statuses are counted in: what needs attention first. */
const STATUS_ORDER = ['head-failed', 'changed', 'new', 'removed', 'no-baseline', 'unchanged'];
/** `1 layer`, `2 layers`. */
function plural(n, noun) {
    return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
/**
 * The title of a layer diff: `2 of 3 layers changed`, counting every layer of either side once (a
 * changed or unchanged pair is one), and `(3 → 1)` after it when the layer count moved.
 */
function layerChangeTitle(changes) {
    const differing = changes.filter((c) => c.kind !== 'same').length;
    const before = changes.filter((c) => c.kind !== 'added').length;
    const after = changes.filter((c) => c.kind !== 'removed').length;
    return `${differing} of ${plural(changes.length, 'layer')} changed${before === after ? '' : ` (${before} → ${after})`}`;
}

;// CONCATENATED MODULE: ./src/report/policy.ts
// Budgets applied to comparisons: one verdict per rule that applies, with a short human reason; and
// what the verdict of a whole outcome is, which every medium words its own way. Pure.


/** The value for a target: its own entry, else the fallback, else none. */
function forTarget(values, target) {
    return values.byTarget.has(target) ? values.byTarget.get(target) : values.fallback;
}
/** Judges every row; see `judgeRow`. */
function judge(comparisons, budgets, metric) {
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
function judgeRow(c, budgets, metric) {
    const verdicts = [];
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
        if (maxSize && maxSize.kind === 'bytes')
            verdicts.push(maxSizeVerdict(head, maxSize, metric));
        const maxLayers = forTarget(budgets.maxLayers, c.target);
        if (maxLayers !== undefined)
            verdicts.push(maxLayersVerdict(head.layerCount, maxLayers));
        const maxWasted = budgets.maxWasted ? forTarget(budgets.maxWasted, c.target) : undefined;
        if (maxWasted)
            verdicts.push(maxWastedVerdict(head, maxWasted));
    }
    return { ...c, verdicts, regressed: verdicts.some((v) => !v.ok) };
}
function bytesOf(image, metric) {
    return metric === 'compressed' ? image.compressedBytes : image.uncompressedBytes;
}
function buildReason(c) {
    if (c.head.state === 'failed') {
        const line = lastMeaningfulLine(c.head.error);
        return line ? `build failed: ${line}` : 'build failed';
    }
    if (c.head.state === 'unavailable')
        return `not measured: ${c.head.reason}`;
    return 'build failed';
}
function lastMeaningfulLine(text) {
    const lines = text
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter((l) => l !== '');
    const last = lines[lines.length - 1] ?? '';
    return last.length > 200 ? `${last.slice(0, 199)}…` : last;
}
function maxIncreaseVerdict(base, head, limit, metric) {
    const before = bytesOf(base, metric);
    const after = bytesOf(head, metric);
    const growth = after - before;
    const pct = before === 0 ? null : (growth / before) * 100;
    let ok;
    if (limit.kind === 'bytes') {
        ok = growth <= limit.bytes;
    }
    else if (before === 0) {
        // Any growth from nothing is an infinite percentage.
        ok = growth <= 0;
    }
    else {
        // growth / before * 100 <= percent, without the division's rounding error deciding a tie.
        ok = growth * 100 <= limit.percent * before * (1 + 1e-12);
    }
    const limitText = formatThreshold(limit);
    const change = `${bytesChange(growth, limit.kind === 'bytes' && !ok ? limit.bytes : undefined)} (${pct === null ? 'from 0 B' : percentText(pct, limit, ok)})`;
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
function percentText(pct, limit, ok) {
    const limitAsHigh = limit.kind === 'percent' && limit.percent >= FACTOR_ABOVE_PERCENT;
    if (pct > FACTOR_ABOVE_PERCENT && !limitAsHigh)
        return formatGrowth(pct);
    return formatPercent(pct, limit.kind === 'percent' && !ok ? digitsToShow(pct, limit.percent) : 1);
}
/** True when a value over its limit would print the same as the limit at three significant digits. */
function closeTo(value, limit) {
    return value - limit < Math.abs(value) * 0.005;
}
function bytesChange(growth, overLimit) {
    if (overLimit !== undefined && closeTo(growth, overLimit))
        return `+${growth} B`;
    return formatDelta(growth);
}
/** Fewest decimals (1 to 6) at which a percentage over its limit prints above it. */
function digitsToShow(pct, limit) {
    for (let d = 1; d <= 6; d++)
        if (Number(pct.toFixed(d)) > limit)
            return d;
    return 6;
}
/**
 * Wasted space (files a later layer overwrites or deletes) against bytes, or a percentage of the
 * image's uncompressed size (the files are uncompressed bytes). Without file data the check cannot
 * be made, which fails it: a budget never passes silently.
 */
function maxWastedVerdict(head, limit) {
    const limitText = formatThreshold(limit);
    if (!head.files)
        return { rule: 'max-wasted', ok: false, reason: `wasted space was not measured; max-wasted ${limitText} cannot be checked` };
    const wasted = head.files.wastedBytes;
    const allowed = limit.kind === 'bytes' ? limit.bytes : (head.uncompressedBytes * limit.percent) / 100;
    const ok = wasted <= allowed;
    const pct = head.uncompressedBytes > 0 ? ` (${formatPercent((wasted / head.uncompressedBytes) * 100).replace(/^\+/, '')} of the image)` : '';
    const text = `${formatBytes(wasted)} wasted${pct}`;
    return { rule: 'max-wasted', ok, reason: ok ? `${text} within max-wasted ${limitText}` : `${text} exceeds max-wasted ${limitText}` };
}
function maxSizeVerdict(head, limit, metric) {
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
function maxLayersVerdict(count, max) {
    const ok = count <= max;
    const noun = count === 1 ? 'layer' : 'layers';
    return {
        rule: 'max-layers',
        ok,
        reason: ok ? `${count} ${noun} within max-layers ${max}` : `${count} ${noun} exceed${count === 1 ? 's' : ''} max-layers ${max}`
    };
}
/** The run's outcome: regressed when any row regressed; changed when any row changed, is new or removed. */
function buildOutcome(input) {
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
function failureMessage(outcome, maxTargets = 10) {
    const bad = outcome.rows.filter((r) => r.regressed);
    if (bad.length === 0)
        return undefined;
    const lines = bad.slice(0, maxTargets).map((r) => {
        const reasons = r.verdicts.filter((v) => !v.ok).map((v) => v.reason);
        const target = r.image !== undefined ? `${oneLine(r.image)}/${oneLine(r.target)}` : oneLine(r.target);
        return `${target} (${oneLine(r.platform)}): ${reasons.map(oneLine).join('; ')}`;
    });
    if (bad.length > maxTargets)
        lines.push(`…and ${bad.length - maxTargets} more`);
    const built = bad.every((r) => r.verdicts.some((v) => v.rule === 'build' && !v.ok));
    const head = built ? 'Image build failed' : 'Image budget exceeded';
    return `${head} for ${bad.length} target${bad.length === 1 ? '' : 's'}:\n${lines.map((l) => `  ${l}`).join('\n')}`;
}
function oneLine(s) {
    // eslint-disable-next-line no-control-regex
    const flat = neutralizeCommands(s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').trim());
    return flat.length > 300 ? `${flat.slice(0, 299)}…` : flat;
}
/** The verdict of an outcome, or undefined when no target was measured. Pure. */
function verdictSummary(outcome) {
    const rows = outcome.rows;
    if (rows.length === 0)
        return undefined;
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
function notComparable(r) {
    return r.status === 'no-baseline' && r.head.state === 'measured' && r.base.state === 'measured';
}

;// CONCATENATED MODULE: ./src/report/trend.ts
/**
 * The sizes of `row`'s image (same target and platform; with `image`, the `name` input, only that
 * image's rows, as a stored baseline is read) in `reports`, given newest first; oldest first.
 * Commits whose report did not measure it are left out.
 */
function rowHistory(reports, row, image) {
    const out = [];
    for (const { sha, report } of reports) {
        const t = report.targets.find((x) => x.target === row.target && x.platform === row.platform && (image === undefined || x.image === image) && x.head.state === 'measured');
        if (t?.head.state === 'measured')
            out.push({ sha, compressedBytes: t.head.compressedBytes, uncompressedBytes: t.head.uncompressedBytes, method: t.head.method });
    }
    return out.reverse();
}
/** `rows`, each with its history when some report measured its image. */
function withHistory(rows, reports, image) {
    if (reports.length === 0)
        return [...rows];
    return rows.map((r) => {
        const history = rowHistory(reports, r, image);
        return history.length > 0 ? { ...r, history } : r;
    });
}

;// CONCATENATED MODULE: ./src/state.ts
// The names of the values the main step keeps for the post step (core.saveState / getState). Plain
// data, so that the pipeline can name them without loading @actions/core into the command line.
const STATE = { isPost: 'isPost', tmpDir: 'tmpDir', cleaned: 'cleaned' };

;// CONCATENATED MODULE: ./src/workspace/paths.ts
// Filesystem confinement: every path a user or a pull request names must stay inside the workspace
// (or the base checkout) after symlinks are resolved (RELIABILITY row 5, security 11).



/** The path does not exist (as opposed to escaping the root or being of the wrong kind). */
class MissingPathError extends InputError {
}
function inside(root, p) {
    const rel = external_node_path_default().relative(root, p);
    return rel === '' || (rel !== '..' && !rel.startsWith(`..${(external_node_path_default()).sep}`) && !external_node_path_default().isAbsolute(rel));
}
/**
 * Resolve `value` (relative to `root`) to a real path inside `root`, or throw an InputError that
 * names the input and the path tried.
 */
async function resolveInside(root, value, input, kind) {
    const realRoot = await (0,promises_namespaceObject.realpath)(root);
    // An absolute path (`${{ github.workspace }}/Dockerfile`) is fine as long as it is inside.
    const joined = external_node_path_default().isAbsolute(value) ? external_node_path_default().resolve(value) : external_node_path_default().resolve(realRoot, value);
    const lexicalRoot = external_node_path_default().resolve(root);
    if (external_node_path_default().isAbsolute(value) && !inside(realRoot, joined) && inside(lexicalRoot, joined)) {
        // Written against the workspace as given, which itself sits behind a symlink.
        return resolveInside(root, external_node_path_default().relative(lexicalRoot, joined) || '.', input, kind);
    }
    if (!inside(realRoot, joined)) {
        throw new InputError(input, value, `a path inside the workspace (${realRoot}); resolved to ${joined}`);
    }
    let real;
    try {
        real = await (0,promises_namespaceObject.realpath)(joined);
    }
    catch {
        throw new MissingPathError(input, value, `an existing ${kind}; not found at ${joined}`);
    }
    if (!inside(realRoot, real)) {
        throw new InputError(input, value, `a path inside the workspace (${realRoot}); it links to ${real}`);
    }
    const st = await (0,promises_namespaceObject.stat)(real);
    if (kind === 'file' ? !st.isFile() : !st.isDirectory()) {
        throw new InputError(input, value, `a ${kind}; ${joined} is not one`);
    }
    return real;
}
/** Like resolveInside, but a missing path is `undefined` instead of an error (for the base commit). */
async function resolveInsideIfExists(root, value, input, kind) {
    try {
        return await resolveInside(root, value, input, kind);
    }
    catch (e) {
        if (e instanceof MissingPathError)
            return undefined;
        throw e;
    }
}

;// CONCATENATED MODULE: ./src/pipeline/join.ts
// Pure: line up the head's and the base's results per target and platform, as rows to compare.

/**
 * One row per target and platform, in the head's order, then the targets only the base has.
 * A side's '*' result (failed, absent, unavailable) pairs with every platform of the other side.
 */
function joinSides(head, base) {
    const rows = [];
    const baseBy = new Map(base.map((t) => [t.target, t.results]));
    const seen = new Set();
    const missing = { state: 'unavailable', reason: 'not built' };
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
        if (seen.has(b.target))
            continue;
        for (const r of b.results) {
            rows.push({ target: b.target, platform: r.platform === ANY_PLATFORM ? '' : r.platform, head: { state: 'absent' }, base: r.result });
        }
    }
    return rows;
}
function pick(results, platform) {
    return (results.find((r) => r.platform === platform) ?? results.find((r) => r.platform === ANY_PLATFORM))?.result;
}
function unique(xs) {
    return [...new Set(xs)];
}

;// CONCATENATED MODULE: ./src/buildx/failure.ts
// Pure: the part of a failed build's log a reader needs (the failing step's output and buildx's ERROR
// line), with secret values masked.
const MAX_LINES = 20;
/** Replace every known secret value (3+ characters) in `text` with `***`. */
function maskSecrets(text, secrets) {
    return failure_secretMask(secrets)(text);
}
/**
 * {@link maskSecrets} for many texts (every path of an image, every string of a report): the values
 * are sorted once, longest first, and a text that holds none of them comes back as it is, not a copy.
 */
function failure_secretMask(secrets) {
    const values = maskedValues(secrets);
    return (text) => {
        let out = text;
        for (const s of values)
            if (out.includes(s))
                out = out.split(s).join('***');
        return out;
    };
}
/** The values that are masked, each once, longest first (so that a longer one is masked whole): those of 3+ characters. */
function maskedValues(secrets) {
    return [...new Set(secrets)].filter((v) => v.length >= 3).sort((a, b) => b.length - a.length);
}
/** Longest unfinished line held back by {@link secretMasker} before it is passed on anyway. */
const MAX_HELD_LINE = 64 * 1024;
/** Where the known secrets occur in `text`: non-overlapping [start, end) pairs, longest secret first. */
function occurrences(text, secrets) {
    const found = [];
    for (const s of secrets) {
        for (let at = text.indexOf(s); at !== -1; at = text.indexOf(s, at + 1)) {
            const end = at + s.length;
            if (!found.some(([a, b]) => at < b && end > a))
                found.push([at, end]);
        }
    }
    return found.sort((x, y) => x[0] - y[0]);
}
/**
 * Masks known secrets (3+ characters) in a log that arrives in chunks, such as a live build log: a
 * value split across two chunks is masked all the same. Whole lines are passed on as soon as they
 * end; an unfinished line is held until its end comes (or until it is longer than
 * {@link MAX_HELD_LINE}, when all but what could start a secret goes, never ending in `#` or `:`, so
 * that no `##[` or `::` of a workflow command is cut in two). `end()` passes on the rest.
 */
function secretMasker(secrets, emit) {
    const values = maskedValues(secrets);
    // A value with a line break in it can straddle a line end: then the tail that could start one is held too.
    const hold = values.length ? Math.max(...values.map((v) => v.length)) - 1 : 0;
    const multiLine = values.some((v) => /[\r\n]/.test(v));
    let pending = '';
    const pass = (upTo) => {
        const found = occurrences(pending, values);
        // A secret that starts before the cut ends inside `pending` (the cut leaves room for it): take it whole.
        for (const [a, b] of found)
            if (a < upTo && b > upTo)
                upTo = b;
        let out = '';
        let from = 0;
        for (const [a, b] of found) {
            if (a >= upTo)
                break;
            out += `${pending.slice(from, a)}***`;
            from = b;
        }
        out += pending.slice(from, upTo);
        pending = pending.slice(upTo);
        if (out !== '')
            emit(out);
    };
    return {
        write(chunk) {
            pending += chunk;
            const lineCut = Math.max(pending.lastIndexOf('\n'), pending.lastIndexOf('\r')) + 1;
            let cut = lineCut;
            const room = pending.length - hold;
            if ((multiLine && room < lineCut) || pending.length - lineCut > MAX_HELD_LINE) {
                // A cut inside a line.
                cut = Math.max(0, room);
                while (cut > 0 && (pending[cut - 1] === '#' || pending[cut - 1] === ':'))
                    cut--;
            }
            if (cut > 0)
                pass(cut);
        },
        end() {
            pass(pending.length);
        }
    };
}
/**
 * `docker buildx build` prints the failing step's last output between `------` rulers, then
 * `ERROR: failed to solve: …`. Keep that block and the ERROR line; else the last lines.
 */
function summarizeBuildFailure(log, secrets) {
    const lines = log.split('\n').map((l) => l.replace(/\s+$/, ''));
    let end = -1;
    for (let i = lines.length - 1; i >= 0; i--) {
        if (/^(ERROR|error):/.test(lines[i] ?? '')) {
            end = i;
            break;
        }
    }
    let picked;
    if (end === -1) {
        picked = lines.filter(Boolean).slice(-MAX_LINES);
    }
    else {
        let start = end;
        const rulers = [];
        for (let i = end - 1; i >= 0 && rulers.length < 2; i--)
            if (lines[i] === '------')
                rulers.push(i);
        if (rulers.length === 2)
            start = rulers[1];
        picked = lines.slice(start, end + 1).filter((l) => l !== '');
        if (picked.length > MAX_LINES)
            picked = [...picked.slice(0, 2), '…', ...picked.slice(-(MAX_LINES - 3))];
    }
    return maskSecrets(picked.join('\n'), secrets);
}
/** The last ERROR line alone, for one-line messages and annotations. */
function lastErrorLine(log, secrets) {
    const lines = log.split('\n').map((l) => l.trim()).filter(Boolean);
    const err = [...lines].reverse().find((l) => /^(ERROR|error):/.test(l)) ?? lines[lines.length - 1] ?? '';
    return maskSecrets(err.replace(/^(ERROR|error):\s*/, ''), secrets);
}
/**
 * The build steps that import or export cache, as BuildKit names them: `importing cache manifest
 * from gha:…`, `exporting cache` (BuildKit < 0.10), `exporting cache to registry`, `exporting to
 * GitHub Actions Cache` (the gha exporter's own name, without the word `cache` after `exporting`).
 */
const CACHE_STEP = /^(importing|exporting) cache\b|^exporting to\b.*\bcache\b/i;
/** BuildKit's words for a cache reference that does not exist yet. */
const NOT_WRITTEN_YET = /^failed to configure registry cache importer: \S+: not found$/;
/**
 * Cache trouble that did not fail the build (RELIABILITY rows 11, 12, 14): buildx's `WARNING:` lines
 * about a cache, and `ERROR` lines of the build steps that import or export cache (with
 * `ignore-error=true` BuildKit reports a failed export there and the build succeeds). Each once, in order.
 */
function cacheProblems(log, secrets) {
    const lines = log.split('\n').map((l) => l.trim());
    const cacheSteps = new Set();
    const out = [];
    for (const line of lines) {
        const step = /^#(\d+) (.*)$/.exec(line);
        if (step && CACHE_STEP.test(step[2] ?? ''))
            cacheSteps.add(step[1]);
    }
    for (const line of lines) {
        let problem;
        if (/^WARNING:.*cache/i.test(line))
            problem = line.replace(/^WARNING:\s*/, '');
        const step = /^#(\d+) ERROR:\s*(.*)$/.exec(line);
        if (step && cacheSteps.has(step[1]))
            problem = step[2];
        // A registry cache that was never written (the first build of a scope) is not found: nothing is wrong.
        if (problem && NOT_WRITTEN_YET.test(problem))
            continue;
        if (problem && !out.includes(problem))
            out.push(problem);
    }
    return out.map((p) => maskSecrets(p, secrets));
}
/**
 * A build that failed only because of its cache backend, so that building again without cache is
 * the way on (RELIABILITY rows 11, 12, 14): the backend could not be set up (a bad token or URL, the
 * retired legacy service), or BuildKit failed the build on a cache export it was told to ignore (one
 * older than 0.11 does not know `ignore-error`). The gha exporter's failures read `error writing
 * layer blob: …` (a reservation refused, `Cache already exists`, a 429), `maximum timeout reached`
 * (go-actions-cache's limit), or carry the service's own words. Whatever the words, a build whose
 * error is that of one of its cache steps (`problems`, from {@link cacheProblems}) failed on its cache.
 */
function isCacheFailure(error, problems = []) {
    return (problems.some((p) => p !== '' && error.endsWith(p)) ||
        /failed to configure \S+ cache (exporter|importer)|cache (exporter|importer).*(token|url|unauthori[sz]ed|forbidden)/i.test(error) ||
        /This legacy service is shutting down|gha-cache-sunset/i.test(error) ||
        /error writing layer blob|Cache already exists|failed to reserve cache|maximum timeout reached/i.test(error) ||
        /cache write denied|no writable scopes/i.test(error));
}
/**
 * A registry that is overloaded or limiting pulls while an image is resolved or fetched (`FROM`):
 * Docker Hub's `toomanyrequests` or a 429, or a 500, 502, 503 or 504 from a registry (RELIABILITY
 * row 17). Worth a bounded retry; anything else (not found, unauthorized, a failing RUN step, a
 * cache backend's own 429) is not.
 */
function isTransientRegistryError(error) {
    if (isCacheFailure(error) || /did not complete successfully/.test(error))
        return false;
    if (/\btoomanyrequests\b/i.test(error))
        return true;
    const registry = /failed to resolve source metadata|httpReadSeeker|unexpected status (code|from (HEAD|GET) request)|failed to fetch (oauth|anonymous) token|received unexpected HTTP status/i;
    const status = /\b(429 Too Many Requests|500 Internal Server Error|502 Bad Gateway|503 Service Unavailable|504 Gateway Time-?out)\b/i;
    return registry.test(error) && status.test(error);
}
/** Which way on a failed build's error line leads: without cache, a retry later, or none. */
function classifyBuildFailure(error) {
    if (isCacheFailure(error))
        return 'cache';
    if (isTransientRegistryError(error))
        return 'transient-registry';
    return 'other';
}
/**
 * What to do about a cache problem, when there is more to say than buildx did: the retired legacy
 * cache service means a BuildKit and buildx too old for the new one (RELIABILITY row 12).
 */
function cacheHint(problem) {
    if (/This legacy service is shutting down|gha-cache-sunset/i.test(problem)) {
        return ("GitHub's new cache service needs BuildKit ≥ 0.20 / Buildx ≥ 0.21: update Docker, or set up a builder " +
            'with docker/setup-buildx-action (driver docker-container) before this step');
    }
    return undefined;
}
/** `problem`, followed by its {@link cacheHint} when there is one. */
function withCacheHint(problem) {
    const hint = cacheHint(problem);
    return hint ? `${problem} (${hint})` : problem;
}

;// CONCATENATED MODULE: ./src/pipeline/masks.ts
// The values that no text the action writes may show, in one place. Pure.
//
// Two kinds, one list: the values of the build arguments, which only the build's own text (its log,
// a failure, image history, file paths) is masked for, since a value such as `true` or `1.2` also
// reads as ordinary text elsewhere; and the job's tokens in every form a build can print them, which
// are long and random, so that they are also masked in whatever is published (comment, summary,
// report, outputs), and registered with the runner for the log.
//
// actions/checkout (`persist-credentials: true`, its default) leaves the token in `.git/config` as
//   http.https://github.com/.extraheader = AUTHORIZATION: basic base64("x-access-token:" + token)
// and `COPY . .` puts that file in the build context, where a `RUN cat .git/config` prints it.


/** The environment variables that may hold a token of the job, besides the github-token input. */
const TOKEN_VARIABLES = ['GITHUB_TOKEN', 'GH_TOKEN', 'ACTIONS_RUNTIME_TOKEN', 'ACTIONS_ID_TOKEN_REQUEST_TOKEN'];
/** Derived forms shorter than this are left out: they could match ordinary text. */
const MIN_FORM_LENGTH = 12;
/** The user name actions/checkout pairs the token with in its basic credential. */
const CHECKOUT_USER = 'x-access-token';
const base64 = (bytes) => bytes.toString('base64');
/**
 * The base64 text that `value` contributes to any longer base64 text it is part of, at each of the
 * three byte alignments: the encoding of its bytes from the first one that starts a 3-byte group to
 * the last whole group (no padding, no character shared with its neighbours).
 */
function base64Inside(value) {
    const bytes = Buffer.from(value, 'utf8');
    const out = [];
    for (const skip of [0, 1, 2]) {
        const whole = Math.floor((bytes.length - skip) / 3) * 3;
        if (whole > 0)
            out.push(base64(bytes.subarray(skip, skip + whole)));
    }
    return out;
}
/**
 * Every form of `token` that a checkout or a build can print: the token; its base64; the basic
 * credential actions/checkout writes (base64 of `x-access-token:<token>`) and its header value
 * (`basic <credential>`); and the base64 of the token and of that credential as part of a longer
 * base64 text (`base64 .git/config`). Derived forms under 12 characters are left out.
 */
function tokenForms(token) {
    if (token === '')
        return [];
    const credential = base64(Buffer.from(`${CHECKOUT_USER}:${token}`, 'utf8'));
    const derived = [base64(Buffer.from(token, 'utf8')), credential, `basic ${credential}`, ...base64Inside(token), ...base64Inside(credential)];
    return [...new Set([token, ...derived.filter((f) => f.length >= MIN_FORM_LENGTH)])];
}
/** The job's tokens: the github-token input and the {@link TOKEN_VARIABLES} that are set, each once. */
function actionTokens(env, githubToken) {
    const all = [githubToken, ...TOKEN_VARIABLES.map((name) => env[name] ?? '')].map((t) => t.trim());
    return [...new Set(all.filter((t) => t !== ''))];
}
/** Every form of every token of the job: masked in all the action publishes, registered with the runner. */
function tokenMasks(env, githubToken) {
    return [...new Set(actionTokens(env, githubToken).flatMap(tokenForms))];
}
/**
 * THE list of values masked in the text a build produces (its live log, a failure, cache problems,
 * image history, file paths, measurement errors): the build arguments' values and the job's tokens
 * in all their forms. Every build of the pipeline gets it as `secrets` (pipeline/run.ts).
 */
function buildMasks(buildArgs, tokens) {
    return [...new Set([...buildArgs.map(([, value]) => value), ...tokens])];
}
/**
 * `value` with every string in it (in arrays and plain objects too) masked for `masks`: a report,
 * before it is written. What holds no masked text is returned as it is (the same array or object),
 * so a report of thousands of paths is not copied whole to mask none of them.
 */
function maskStrings(value, masks) {
    if (masks.length === 0)
        return value;
    const mask = secretMask(masks);
    const walk = (v) => {
        if (typeof v === 'string')
            return mask(v);
        if (Array.isArray(v)) {
            let out;
            v.forEach((x, i) => {
                const y = walk(x);
                if (y !== x)
                    (out ??= [...v])[i] = y;
            });
            return out ?? v;
        }
        if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
            const entries = Object.entries(v);
            const masked = entries.map(([k, x]) => [mask(k), walk(x)]);
            return masked.every(([k, x], i) => k === entries[i][0] && x === entries[i][1]) ? v : Object.fromEntries(masked);
        }
        return v;
    };
    return walk(value);
}
/** A measured image with its file paths masked for `secrets` (a path can carry a build-arg value); the same image when none is. */
function maskImagePaths(image, secrets) {
    if (!image.files)
        return image;
    const files = maskFilePaths(image.files, failure_secretMask(secrets));
    return files === image.files ? image : { ...image, files };
}
const SECRET_NAME = /TOKEN|SECRET|PASS|PWD|KEY|AUTH|CRED|PRIVATE|CERT|SESSION|COOKIE|SIGNATURE/i;
const TOKEN_LIKE = /^(gh[pousr]_|github_pat_|AKIA|xox[abp]-|glpat-|sk-)/;
/**
 * Whether a build argument's value is masked in the whole job's log: a secret-looking name or a
 * token-like value. Every build-arg value is masked in what the action writes regardless; masking
 * `DEBUG=true` job-wide would hide every later "true" (and drop job outputs that contain it).
 */
function maskedJobWide(name, value) {
    return value.length >= 3 && (SECRET_NAME.test(name) || TOKEN_LIKE.test(value));
}

;// CONCATENATED MODULE: ./src/buildx/settings.ts
// The build settings of one side made concrete before its builds: named directories found inside
// the side's root (the workspace for the head, the base checkout for the base, as `context` is),
// secret files and ssh paths found (relative to the workspace), inline and environment secrets
// turned into variables of the docker client's environment, and the values every message masks.





/** Secret files up to this size are read so that their content is masked too. */
const MASKED_FILE_MAX = 64 * 1024;
/** Lines of a secret file at least this long are masked alone (short ones, `{`, would mask everything). */
const MASKED_LINE_MIN = 8;
/** The variable of the docker client's environment that the `index`th secret is read from. */
const secretVariable = (index) => `IMAGE_BUDGET_SECRET_${index}`;
async function resolveSettings(settings, where) {
    const masks = [];
    const secrets = [];
    for (const [i, s] of settings.secrets.entries()) {
        if (s.kind === 'file') {
            const src = await existing(where.workspace, s.path, INPUT.secretFiles, `${s.id}=${s.path}`, 'file');
            masks.push(...(await fileMasks(src)));
            secrets.push({ id: s.id, src });
            continue;
        }
        const value = s.kind === 'value' ? s.value : where.env[s.variable];
        if (value === undefined) {
            throw new InputError(INPUT.secretEnvs, `${s.id}=${s.kind === 'env' ? s.variable : ''}`, 'id=VARIABLE, VARIABLE set in the step\'s env', {
                problem: 'names a variable that is not set'
            });
        }
        if (value !== '')
            masks.push(value);
        secrets.push({ id: s.id, env: secretVariable(i), value });
    }
    const ssh = [];
    for (const x of settings.ssh) {
        // `default` or a bare id is the agent of SSH_AUTH_SOCK, which buildx would otherwise miss mid-build.
        if (x.path === undefined && !where.env.SSH_AUTH_SOCK) {
            throw new InputError(INPUT.ssh, x.id, 'id=path (a key or socket), or an agent: SSH_AUTH_SOCK set, e.g. by webfactory/ssh-agent', {
                problem: 'needs an SSH agent, and SSH_AUTH_SOCK is not set'
            });
        }
        ssh.push(x.path === undefined ? x : { id: x.id, path: await existing(where.workspace, x.path, INPUT.ssh, `${x.id}=${x.path}`, 'any') });
    }
    const contexts = [];
    for (const c of settings.contexts) {
        if (c.kind === 'image')
            contexts.push([c.name, `docker-image://${c.ref}`]);
        else if (c.kind === 'target')
            contexts.push([c.name, `target:${c.stage}`]);
        else
            contexts.push([c.name, await namedDirectory(where, c.path)]);
    }
    return { plan: { ...settings, secrets, ssh, contexts }, masks };
}
/** A named directory, confined to the side's root like `context`. */
async function namedDirectory(where, value) {
    if (where.side === 'head')
        return resolveInside(where.root, value, INPUT.buildContexts, 'directory');
    // Written against the workspace (`${{ github.workspace }}/other`): the same place in the base checkout.
    const rel = external_node_path_default().isAbsolute(value) ? external_node_path_default().relative(where.workspace, value) : value;
    const found = await resolveInsideIfExists(where.root, rel, INPUT.buildContexts, 'directory');
    return found ?? external_node_path_default().resolve(where.root, rel);
}
async function existing(workspace, value, input, shown, kind) {
    const p = external_node_path_default().resolve(workspace, value);
    const st = await (0,promises_namespaceObject.stat)(p).catch(() => undefined);
    if (st === undefined)
        throw new InputError(input, shown, `an existing ${kind === 'file' ? 'file' : 'path'}; not found at ${p}`);
    if (kind === 'file' && !st.isFile())
        throw new InputError(input, shown, `a file; ${p} is not one`);
    return p;
}
/** The content of a small secret file, whole and line by line, to be masked. */
async function fileMasks(file) {
    if ((await (0,promises_namespaceObject.stat)(file)).size > MASKED_FILE_MAX)
        return [];
    const text = await (0,promises_namespaceObject.readFile)(file, 'utf8').catch(() => '');
    const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length >= MASKED_LINE_MIN);
    return [...new Set([text.trim(), ...lines].filter((v) => v.length >= 3))];
}

;// CONCATENATED MODULE: ./src/dockerfile/directives.ts
// Pure: the frontend a Dockerfile names, read as BuildKit's Dockerfile frontend reads it
// (frontend/dockerfile/parser/directives.go, DetectSyntax) before it forwards the build to that image.
//
// - A UTF-8 byte order mark is dropped, and a first line starting with `#!` is skipped.
// - Parser directives are the leading lines `#<spaces>key<spaces>=<spaces>value`: the key is a letter
//   then letters and digits, any case; only `syntax`, `escape` and `check` are directives. The first
//   line that is not one (an empty line, an instruction, any other comment, even `# foo=bar`) ends
//   them; the first `syntax` counts. Spaces are Unicode spaces after the `#` (newer BuildKit), the
//   ASCII ones `\t \n \f \r` around `=` and at the end.
// - Failing that, the same with `//` instead of `#`; failing that, a file that is a JSON object with
//   a string `"syntax"`.
// The frontend is the value's first word (the rest is passed to it); in the JSON form, the whole value.
const DIRECTIVES = new Set(['syntax', 'escape', 'check']);
/** Go's unicode.IsSpace. */
const UNICODE_SPACE = '\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
/** Go's `\s` (RE2, ASCII). */
const GO_SPACE = '[\\t\\n\\f\\r ]';
const DIRECTIVE = new RegExp(`^[${UNICODE_SPACE}]*([a-zA-Z][a-zA-Z0-9]*)${GO_SPACE}*=${GO_SPACE}*(.+?)${GO_SPACE}*$`, 's');
/** The `syntax` directive of the leading directive lines with this comment prefix, if any. */
function fromComments(lines, firstLine, prefix) {
    const seen = new Set();
    for (const [i, raw] of lines.entries()) {
        if (!raw.startsWith(prefix))
            return undefined;
        const m = DIRECTIVE.exec(raw.slice(prefix.length));
        const key = m?.[1]?.toLowerCase();
        if (!m || key === undefined || !DIRECTIVES.has(key))
            return undefined;
        // A repeated directive is an error that ends the parse; what came before it stands.
        if (seen.has(key))
            return undefined;
        seen.add(key);
        if (key === 'syntax') {
            const value = m[2] ?? '';
            return { frontend: value.split(' ')[0] ?? value, text: raw.trim(), line: firstLine + i };
        }
    }
    return undefined;
}
/** The frontend `text` (a Dockerfile's content) names, as BuildKit detects it; undefined when it names none. */
function syntaxDirective(text) {
    let body = text.startsWith('\ufeff') ? text.slice(1) : text;
    let firstLine = 1;
    if (body.startsWith('#!')) {
        const firstBreak = body.indexOf('\n');
        body = firstBreak === -1 ? '' : body.slice(firstBreak + 1);
        firstLine = 2;
    }
    // Go's bufio.ScanLines: lines end at \n, a \r before it is dropped.
    const lines = body.split('\n').map((l) => l.replace(/\r$/, ''));
    if (lines.at(-1) === '')
        lines.pop();
    const found = fromComments(lines, firstLine, '#') ?? fromComments(lines, firstLine, '//');
    if (found)
        return found;
    try {
        const json = JSON.parse(body);
        if (json !== null && typeof json === 'object' && !Array.isArray(json)) {
            const value = json['syntax'];
            if (typeof value === 'string')
                return { frontend: value, text: `"syntax": ${JSON.stringify(value)}`, line: firstLine };
        }
    }
    catch {
        // Not JSON: no frontend named that way.
    }
    return undefined;
}

;// CONCATENATED MODULE: ./src/dockerfile/stages.ts
// The stages of a Dockerfile (its FROM instructions), read the way BuildKit reads them: parser
// directives, comments, line continuations with the escape character, and heredocs whose bodies
// are not instructions. Pure, so an unknown target fails before any build, listing the stages.


// BuildKit's directive syntax; directives are only read before the first other line.
const stages_DIRECTIVE = /^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$/;
const COMMENT = /^\s*#/;
const HEREDOC = /^(\d*)<<(-?)([^<]*)$/;
const HEREDOC_INSTRUCTIONS = new Set(['run', 'copy', 'add']);
function escapeRegExp(s) {
    return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
/** Splits on unquoted whitespace, keeping quotes and escapes in the words (like BuildKit's raw lexer). */
function rawWords(line) {
    const words = [];
    let word = '';
    let quote;
    let inWord = false;
    for (let i = 0; i < line.length; i++) {
        const c = line.charAt(i);
        if (quote === undefined && /\s/.test(c)) {
            if (inWord)
                words.push(word);
            word = '';
            inWord = false;
            continue;
        }
        inWord = true;
        word += c;
        if (c === '\\' && quote !== "'" && i + 1 < line.length) {
            word += line.charAt(++i);
        }
        else if (quote === undefined && (c === '"' || c === "'")) {
            quote = c;
        }
        else if (c === quote) {
            quote = undefined;
        }
    }
    if (inWord)
        words.push(word);
    return words;
}
function heredocsOf(line) {
    const docs = [];
    for (const word of rawWords(line)) {
        const m = HEREDOC.exec(word);
        if (!m)
            continue;
        const [, , chomp = '', rest = ''] = m;
        const name = rest.replace(/\\(.)/g, '$1').replace(/["']/g, '');
        if (name !== '')
            docs.push({ name, chomp: chomp === '-' });
    }
    return docs;
}
/** Every instruction of a Dockerfile, in order, read the way BuildKit reads them. */
function parseInstructions(dockerfileText) {
    const lines = dockerfileText.replace(/^\uFEFF/, '').split(/\r?\n/);
    let escape = '\\';
    let i = 0;
    for (; i < lines.length; i++) {
        const m = stages_DIRECTIVE.exec((lines[i] ?? '').trimStart());
        if (!m)
            break;
        const [, key = '', value = ''] = m;
        if (key.toLowerCase() === 'escape' && (value === '`' || value === '\\'))
            escape = value;
    }
    const continuation = new RegExp(`${escapeRegExp(escape)}[ \\t]*$`);
    const instructions = [];
    let stage = -1;
    while (i < lines.length) {
        const first = lines[i] ?? '';
        const startLine = i + 1;
        i++;
        if (first.trim() === '' || COMMENT.test(first))
            continue;
        // Join continuation lines; comment and blank lines inside a continuation are skipped.
        let logical = first;
        while (continuation.test(logical)) {
            logical = logical.replace(continuation, '');
            let next;
            while (i < lines.length) {
                const candidate = lines[i] ?? '';
                i++;
                if (candidate.trim() === '' || COMMENT.test(candidate))
                    continue;
                next = candidate;
                break;
            }
            if (next === undefined)
                break;
            logical += next;
        }
        const trimmed = logical.trim();
        const keyword = (/^\S+/.exec(trimmed)?.[0] ?? '').toLowerCase();
        if (keyword === 'from')
            stage++;
        instructions.push({ keyword, args: trimmed.slice(keyword.length).trim(), line: startLine, stage });
        if (HEREDOC_INSTRUCTIONS.has(keyword) && logical.includes('<<')) {
            // Heredoc bodies follow the instruction, one after another; they are data, not instructions.
            // An unterminated heredoc runs to the end of the file (BuildKit then reports the error).
            for (const doc of heredocsOf(logical)) {
                while (i < lines.length) {
                    let candidate = lines[i] ?? '';
                    i++;
                    if (doc.chomp)
                        candidate = candidate.replace(/^\t+/, '');
                    if (candidate === doc.name)
                        break;
                }
            }
        }
    }
    return instructions;
}
/** The FROM instructions of a Dockerfile, in order. A Dockerfile without FROM gives []. */
function parseStages(dockerfileText) {
    const stages = [];
    for (const from of parseInstructions(dockerfileText)) {
        if (from.keyword !== 'from')
            continue;
        // FROM [--platform=<p>] <image> [AS <name>]
        const words = from.args.split(/\s+/);
        let k = 0;
        while (words[k]?.startsWith('--'))
            k++;
        const base = words[k];
        if (base === undefined || base === '')
            continue;
        const name = words[k + 1]?.toLowerCase() === 'as' ? words[k + 2] : undefined;
        stages.push({ index: stages.length, ...(name !== undefined ? { name: name.toLowerCase() } : {}), base, line: from.line });
    }
    return stages;
}
/**
 * Maps the requested targets to stages. No targets → the last stage. Unknown targets fail
 * before any build, listing the stages of `dockerfileLabel` (the Dockerfile's path for messages).
 */
function resolveTargets(stages, requested, dockerfileLabel) {
    const last = stages[stages.length - 1];
    if (last === undefined) {
        throw new InputError(INPUT.file, dockerfileLabel, 'a Dockerfile with at least one FROM instruction', {
            problem: 'has no FROM instruction'
        });
    }
    if (requested.length === 0) {
        return [{ name: last.name ?? 'default', stage: last.name }];
    }
    const names = stages.flatMap((s) => (s.name === undefined ? [] : [s.name]));
    const hint = names.length === 0 ? `${dockerfileLabel} has no named stages; name one with FROM <image> AS <name>` : `stages: ${names.join(', ')}`;
    return requested.map((target) => {
        const stage = names.find((n) => n === target.toLowerCase());
        if (stage === undefined) {
            throw new InputError(INPUT.targets, target, `one of the stages of ${dockerfileLabel}: ${names.join(', ')}`, {
                problem: `is not a stage of ${dockerfileLabel}`,
                hint
            });
        }
        return { name: stage, stage };
    });
}

;// CONCATENATED MODULE: ./src/pipeline/targets.ts
// Pre-flight: which targets to build on each side, decided from the Dockerfiles before any build.


async function readStages(dockerfile) {
    return parseStages(await (0,promises_namespaceObject.readFile)(dockerfile, 'utf8'));
}
/**
 * Resolve the requested targets against the head's stages. A name the head lacks is "removed" when
 * the base has it (RELIABILITY row 7); unknown on both, it fails with the head's stage list (row 4).
 */
function planTargets(headStages, baseStages, requested, dockerfileLabel) {
    if (requested.length === 0)
        return { head: resolveTargets(headStages, [], dockerfileLabel), removed: [] };
    const headNames = new Set(headStages.flatMap((s) => (s.name ? [s.name] : [])));
    const baseNames = new Set((baseStages ?? []).flatMap((s) => (s.name ? [s.name] : [])));
    const head = [];
    const removed = [];
    for (const name of requested) {
        const lower = name.toLowerCase();
        if (headNames.has(lower))
            head.push(...resolveTargets(headStages, [name], dockerfileLabel));
        else if (baseNames.has(lower))
            removed.push({ name: lower, stage: lower });
        else
            resolveTargets(headStages, [name], dockerfileLabel); // throws the InputError listing the stages
    }
    return { head, removed };
}
/** The base's own view of the targets: those its Dockerfile lacks are "absent" there (row 6). */
function baseTargets(baseStages, wanted) {
    if (!baseStages || baseStages.length === 0)
        return { build: [], absent: [...wanted] };
    const names = new Set(baseStages.flatMap((s) => (s.name ? [s.name] : [])));
    const build = [];
    const absent = [];
    for (const t of wanted) {
        // An unnamed last stage ("default") exists wherever the Dockerfile does.
        if (t.stage === undefined || names.has(t.stage))
            build.push(t);
        else
            absent.push(t);
    }
    return { build, absent };
}

;// CONCATENATED MODULE: ./src/pipeline/trust.ts

/** Where untrusted code comes from in a privileged run, e.g. `a fork's pull request on pull_request_target`; undefined when trusted. */
function untrustedPrivilegedCode(event) {
    if (event.event === 'pull_request_target') {
        // No pull request in the payload: where its head lives is unknown, the safe side is a fork.
        return !event.pullRequest || event.pullRequest.isFork ? "a fork's pull request on pull_request_target" : undefined;
    }
    if (event.event === 'workflow_run') {
        const run = event.workflowRun;
        const here = event.repo ? `${event.repo.owner}/${event.repo.name}` : undefined;
        const from = run?.headRepoFullName;
        if (from !== undefined && here !== undefined && from.toLowerCase() === here.toLowerCase())
            return undefined;
        const what = run?.event ? `a ${run.event} run` : 'a run';
        return from !== undefined
            ? `the code of ${what} from ${from} (not this repository) on workflow_run`
            : `the code of ${what} from a repository the workflow_run payload does not name on workflow_run`;
    }
    return undefined;
}
/** What a measuring run may do with the code it checked out, given the event and `allow-fork-builds`. */
function buildTrust(event, allowForkBuilds) {
    const untrusted = untrustedPrivilegedCode(event);
    if (untrusted === undefined)
        return { exportCache: true };
    if (!allowForkBuilds) {
        return {
            exportCache: false,
            refusal: event.event === 'pull_request_target' ? pullRequestTargetRefusal() : workflowRunRefusal(untrusted)
        };
    }
    return {
        exportCache: false,
        untrusted,
        warning: event.event === 'pull_request_target'
            ? `${INPUT.allowForkBuilds} is true: building a fork's pull request on pull_request_target, with this workflow's ` +
                'token and secrets within reach of its Dockerfile.'
            : `${INPUT.allowForkBuilds} is true: building ${untrusted}, with this workflow's token and secrets within reach of its Dockerfile.`,
        cacheNote: `cache: read, not written: this run builds ${untrusted}, and what it wrote would land where the default ` +
            "branch's runs read their cache (no --cache-to)."
    };
}
function pullRequestTargetRefusal() {
    return ('Refusing to build a fork\'s pull request on pull_request_target: that event runs with a write token and ' +
        'secrets, and building the fork\'s Dockerfile there would run untrusted code with them (a "pwn request"). ' +
        'Use the pull_request event (the comment then needs the workflow_run pattern, see the README), or set ' +
        `${INPUT.allowForkBuilds}: true if this workflow has nothing a fork's code must not reach.`);
}
function workflowRunRefusal(untrusted) {
    return (`Refusing to build ${untrusted}: a workflow_run workflow runs with a write token and secrets, and building ` +
        'what it checked out of that run would run untrusted code with them (a "pwn request"). Measure on the pull_request ' +
        `event and comment its report from workflow_run with ${INPUT.mode}: comment, which builds nothing (see "Forks and ` +
        `matrix jobs" in the README), or set ${INPUT.allowForkBuilds}: true if this workflow has nothing a fork's code must not reach.`);
}
/**
 * Refuses to hand secrets to untrusted code in a privileged run, whatever `allow-fork-builds` says:
 * `given` are the secret inputs set (secrets, secret-files, secret-envs, ssh). Undefined when allowed.
 */
function secretsRefusal(event, given) {
    const untrusted = untrustedPrivilegedCode(event);
    if (untrusted === undefined || given.length === 0)
        return undefined;
    const names = given.join(', ');
    return (`Refusing to build ${untrusted} with ${names} set: its Dockerfile would read them (RUN --mount=type=secret or ` +
        `type=ssh), even with ${INPUT.allowForkBuilds}: true. Measure pull requests on the pull_request event, where a ` +
        `fork's run gets no secrets, or remove ${names} from this step.`);
}
/** The events of the default branch whose build cache other runs may trust: they build what was pushed there. */
const MAX_CACHE_EVENTS = new Set(['push', 'schedule', 'workflow_dispatch']);
/**
 * What a run exports into its cache scopes (BuildPlan.cacheMode): `max` (every stage, the scope
 * every pull request reads) only for a `push`, `schedule` or `workflow_dispatch` run of the default
 * branch; `min` for everything else, a `pull_request_target` or `workflow_run` included, although
 * their GITHUB_REF is the default branch: what they build is not the default branch's code.
 */
function cacheExportMode(event) {
    return onDefaultBranch(event) && MAX_CACHE_EVENTS.has(event.event) ? 'max' : 'min';
}
/** True when GITHUB_REF is the repository's default branch (whatever the event). */
function onDefaultBranch(event) {
    return event.defaultBranch !== undefined && event.ref === `refs/heads/${event.defaultBranch}`;
}
/** A frontend image pinned by digest: `name[:tag]@sha256:<64 hex>`. */
const PINNED_FRONTEND = /^[^\s@]+@sha256:[0-9a-f]{64}$/;
const MAX_SHOWN = 200;
const shown = (text) => (text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}…` : text);
/**
 * Why a stranger's build is refused for its frontend, or undefined. BuildKit runs the frontend a
 * Dockerfile names (`# syntax=`) or the BUILDKIT_SYNTAX build argument names (which wins) as the
 * build's own program: an image of the fork's choosing would get the build's cache attributes and
 * could ignore `--network none`. Allowed: no frontend named, or BUILDKIT_SYNTAX pinned to a digest
 * (then the Dockerfile's directive is not used).
 */
function frontendRefusal(check) {
    if (check.untrusted === undefined)
        return undefined;
    const pin = `pin a frontend by digest with the build argument BUILDKIT_SYNTAX (e.g. docker/dockerfile:1@sha256:<digest>), which BuildKit uses instead`;
    const arg = check.buildArgs.find(([name]) => name === 'BUILDKIT_SYNTAX');
    if (arg) {
        const frontend = arg[1].trim().split(/\s+/)[0] ?? '';
        if (PINNED_FRONTEND.test(frontend))
            return undefined;
        return (`Refusing to build ${check.untrusted}: the build argument BUILDKIT_SYNTAX=${JSON.stringify(shown(arg[1]))} names a frontend ` +
            "that is not pinned by digest, and BuildKit would run whatever that tag gives with this run's privileges within reach. " +
            `Accepted: no BUILDKIT_SYNTAX, or one pinned as name@sha256:<64 hex digits>.`);
    }
    if (!check.directive)
        return undefined;
    const d = check.directive;
    return (`Refusing to build ${check.untrusted}: ${check.file}:${d.line} names the frontend ${JSON.stringify(shown(d.frontend))} ` +
        `(${JSON.stringify(shown(d.text))}), an image BuildKit would run as the build's own program, with this run's privileges ` +
        `within reach and free to ignore --network none. Remove the directive from the pull request, or ${pin}.`);
}

;// CONCATENATED MODULE: ./src/pipeline/plan.ts
// Step 1 of the pipeline: the plan of one image, made once before anything is built or checked out,
// and used alike by a single image (run.ts) and by each image of a config file (config-images.ts), which
// makes every image's plan before the first build.
//   trust (refusals) ─► paths confined to the workspace ─► build settings ─► Dockerfile stages
//   ─► the stranger's frontend refused ─► the head's targets, and the budgets' targets checked












/**
 * Plans one image. Throws, before any build, on what the run must refuse (a stranger's code in a
 * privileged run, secrets for it, a frontend of its own) and on every bad path, stage or budget target.
 */
async function makePlan(env, inputs, event) {
    const settings = inputs.build ?? NO_BUILD_SETTINGS;
    const secretRefusal = secretsRefusal(event, secretInputsSet(settings));
    if (secretRefusal)
        throw new Error(secretRefusal);
    const trust = buildTrust(event, inputs.allowForkBuilds);
    if (trust.refusal)
        throw new Error(trust.refusal);
    const workspace = external_node_path_default().resolve(env.GITHUB_WORKSPACE || process.cwd());
    const context = await resolveInside(workspace, inputs.context, INPUT.context, 'directory');
    const fileLabel = inputs.file ?? external_node_path_default().join(inputs.context, 'Dockerfile');
    const dockerfile = await resolveInside(workspace, fileLabel, INPUT.file, 'file');
    const realWorkspace = await (0,promises_namespaceObject.realpath)(workspace);
    const settingsAt = (root, side) => resolveSettings(settings, { workspace: realWorkspace, root, env, side });
    const headSettings = await settingsAt(workspace, 'head');
    // Read once: its stages, its frontend directive and (for annotations) its lines come from this text.
    const text = await (0,promises_namespaceObject.readFile)(dockerfile, 'utf8');
    const headStages = parseStages(text);
    // A stranger's Dockerfile may not name its own frontend (BuildKit would run that image as the build).
    const frontend = frontendRefusal({
        untrusted: trust.untrusted,
        file: fileLabel,
        directive: trust.untrusted === undefined ? undefined : syntaxDirective(text),
        buildArgs: inputs.buildArgs
    });
    if (frontend)
        throw new Error(frontend);
    const headTargets = headTargetNames(headStages, inputs.targets, fileLabel);
    // Per-target budgets name targets asked for (some may exist only in the base), else the last stage.
    checkBudgetTargets(inputs.budgets, inputs.targets.length > 0 ? inputs.targets : headTargets);
    return {
        inputs,
        trust,
        workspace,
        realWorkspace,
        context,
        dockerfile,
        fileLabel,
        contextRel: external_node_path_default().relative(realWorkspace, context) || '.',
        fileRel: external_node_path_default().relative(realWorkspace, dockerfile),
        source: { path: external_node_path_default().relative(realWorkspace, dockerfile).split((external_node_path_default()).sep).join('/'), text },
        headStages,
        headTargets,
        headSettings,
        settingsAt
    };
}
/** The targets asked for that the head's Dockerfile has (the others may be the base's only), else its last stage. */
function headTargetNames(stages, requested, fileLabel) {
    if (requested.length === 0)
        return planTargets(stages, undefined, [], fileLabel).head.map((t) => t.name);
    const names = new Set(stages.flatMap((s) => (s.name ? [s.name] : [])));
    return requested.map((t) => t.toLowerCase()).filter((t) => names.has(t));
}

;// CONCATENATED MODULE: external "node:events"
const external_node_events_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:events");
;// CONCATENATED MODULE: ./src/image/archive-reader.ts
// Reads an image archive streamed as tar (a `docker save`, or an OCI layout that buildx exports to a
// stream) in one pass, with tar.ts, the one tar reader. Entries arrive in any order and the index
// comes after the blobs, so every regular file is handed to a summary (made by the caller: what to
// compute while its content streams past) and only the summaries are kept, never the content. Links
// are noted. The archive must end with the end-of-archive marker, or it was cut short.






/** Largest total of JSON documents kept for one archive (legacy saves keep a small JSON per layer). */
const MAX_SAVED_JSON_TOTAL = 64 * 1024 * 1024;
/** Bytes pushed to the tar reader between two waits for the files it finished. */
const PIECE = 64 * 1024;
/** The stream is not a readable tar archive, or not a complete one. */
class ArchiveError extends Error {
    truncated;
    constructor(message, 
    /** The stream ended early: what wrote it may have failed, and has the better message. */
    truncated = false) {
        super(message);
        this.truncated = truncated;
        this.name = 'ArchiveError';
    }
}
/** Reads an archive to its end-of-archive marker, summarising every regular file. */
async function readArchive(stream, options) {
    const { budget } = options;
    const reader = new ArchiveReader(options);
    try {
        await (0,external_node_stream_promises_namespaceObject.pipeline)(stream, reader.sink(), { signal: AbortSignal.timeout(budget.remainingMs()) });
    }
    catch (e) {
        if (!isAbortError(e))
            throw e;
        const timeout = timeoutError(budget.limits.timeoutMs);
        const at = reader.reading();
        throw at ? new LimitError(timeout.detail, blobName(at)) : timeout;
    }
    return reader.contents();
}
/** How a file of an archive is named in a limit's message: `sha256:<hex>` for a blob, else its path. */
function blobName(entryPath) {
    const blob = /^blobs\/sha256\/([0-9a-f]{64})$/.exec(entryPath);
    return blob ? `sha256:${blob[1]}` : entryPath;
}
/**
 * The outer archive, read by tar.ts: every regular file's content streams into its summarizer, links
 * are noted. The archive's own entries are held to the path and entry limits, counted apart from the layers'.
 */
class ArchiveReader {
    options;
    parser;
    files = new Map();
    links = new Map();
    /** Entries read in the last chunk, to apply once their summaries are finished. */
    queue = [];
    /** The file whose content is streaming now. */
    current;
    keptTotal = 0;
    constructor(options) {
        this.options = options;
        this.parser = new TarParser(() => undefined, new MeasureBudget(options.budget.limits), (entry, linkpath) => this.entry(entry, linkpath));
    }
    contents() {
        return { files: this.files, links: this.links };
    }
    /** The path of the file whose content is streaming now, if any. */
    reading() {
        return this.current?.path;
    }
    /** The Writable the archive streams into. */
    sink() {
        const step = (run, callback) => {
            run().then(() => callback(), (e) => callback(e instanceof TarError ? this.tarError(e) : e));
        };
        return new external_node_stream_namespaceObject.Writable({
            highWaterMark: 1024 * 1024,
            write: (chunk, _encoding, callback) => {
                readBytes(chunk.length);
                step(() => this.write(chunk), callback);
            },
            final: (callback) => step(() => this.final(), callback),
            destroy: (error, callback) => {
                this.current?.summary.destroy();
                for (const read of this.queue)
                    if ('summary' in read)
                        read.summary.destroy();
                callback(error);
            }
        });
    }
    async write(chunk) {
        // In pieces: the summaries of many small files end a few at a time.
        for (let at = 0; at < chunk.length; at += PIECE) {
            this.parser.push(chunk.subarray(at, at + PIECE));
            await this.settle();
        }
    }
    async final() {
        this.parser.end();
        await this.settle();
        if (!this.parser.complete)
            throw new ArchiveError(`${this.options.label} ended before the end-of-archive marker: the archive is incomplete`, true);
    }
    entry(entry, linkpath) {
        if (entry.type === 'hardlink' || entry.type === 'symlink') {
            // Hard links name a path of the archive; symlinks a path relative to their folder.
            const target = entry.type === 'symlink' && !linkpath.startsWith('/') ? `${external_node_path_default().posix.dirname(entry.path)}/${linkpath}` : linkpath;
            this.queue.push({ path: entry.path, link: normalisePath(target) });
            return undefined;
        }
        if (entry.type !== 'file')
            return undefined;
        const summary = this.options.summarize(entry.size, blobName(entry.path));
        this.current = { path: entry.path, summary };
        return {
            write: (data) => summary.write(data),
            end: () => {
                this.queue.push({ path: entry.path, summary });
                this.current = undefined;
            }
        };
    }
    /** Applies what the last chunk finished, in archive order (a later entry of a path replaces the earlier one, as when unpacking). */
    async settle() {
        for (let read = this.queue.shift(); read; read = this.queue.shift()) {
            if ('link' in read) {
                this.links.set(read.path, read.link);
                this.files.delete(read.path);
                continue;
            }
            const file = await read.summary.end();
            if (file.text !== undefined && (this.keptTotal += file.size) > MAX_SAVED_JSON_TOTAL) {
                throw new ArchiveError(`${this.options.label} holds more than ${MAX_SAVED_JSON_TOTAL} bytes of JSON documents`);
            }
            this.files.set(read.path, file);
            this.links.delete(read.path);
        }
        await this.current?.summary.drained();
    }
    tarError(e) {
        const { label } = this.options;
        return e.truncated
            ? new ArchiveError(`${label} ended in the middle of an entry (${e.message}): the archive is incomplete`, true)
            : new ArchiveError(`not a tar archive (${label}): ${e.message}`);
    }
}

;// CONCATENATED MODULE: ./src/image/oci-stream.ts
// Measures the images of an OCI layout streamed as a tar archive, as buildx exports it with
// `--output type=oci,dest=<stream>`: the measurement reads the export while it is written, and
// nothing lands on disk. buildx writes the blobs first (by digest) and index.json last, so each blob
// is recognised by its first bytes as it streams past: gzip or zstd data, or a tar stream, is
// measured as a layer on the spot (layer-stream.ts, the same code the layout directory uses);
// a small JSON document is kept. Once the archive has ended, measure.ts assembles the images from
// the kept documents and the layers' numbers: the same numbers, to the byte, as measuring the same
// export written to a directory. A layer a manifest names must have been recognised as what its
// media type says, and every blob read is checked against its descriptor's size and digest. A layer
// blob the run measured already (shared-layers.ts) passes unread: its numbers are those of its
// digest, checked when it was read. One the run is measuring elsewhere holds the export until that
// measurement ends, and is read here if it failed.









const LABEL = 'the OCI export';
/** One ImageStats per platform image of the OCI layout tar `stream`, read once, as measureOciLayout would give. */
async function measureOciStream(stream, opts) {
    const budget = new MeasureBudget(opts.limits);
    const ctx = { files: opts.files === true, budget, target: opts.target, ...(opts.shared ? { shared: opts.shared } : {}) };
    let contents;
    try {
        contents = await readArchive(stream, { label: LABEL, budget, summarize: (size, name) => new BlobSummary(size, name, ctx) });
    }
    catch (e) {
        if (e instanceof LimitError)
            throw new Error(limitMessage(opts.target, e.layer, e.detail));
        throw e;
    }
    return measureImages(new StreamedLayout(contents), opts, budget);
}
/** Recognises a file by its first bytes: compressed data or tar is a layer, `{` or `[` a JSON document. */
function sniff(head, size, blob) {
    const compression = blob ? layerCompressionOf(head) : undefined;
    if (compression !== undefined)
        return { is: 'layer', compression };
    const first = head.findIndex((b) => b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d);
    const json = first >= 0 && (head[first] === 0x7b || head[first] === 0x5b);
    return json && size <= MAX_JSON_BLOB ? { is: 'json' } : { is: 'other' };
}
/** Decides what a file is from its first bytes, then measures it as a layer or keeps it as JSON. */
class BlobSummary {
    declaredSize;
    name;
    ctx;
    size = 0;
    head = [];
    headBytes = 0;
    kind;
    json;
    layer;
    /** A layer the run is measuring elsewhere: its bytes held here (copies) until that measurement ends. */
    waiting;
    /** A layer the run measured elsewhere: its bytes pass unread. */
    reused;
    failure;
    full = false;
    constructor(declaredSize, 
    /** `sha256:<hex>` for a blob, else the file's path. */
    name, ctx) {
        this.declaredSize = declaredSize;
        this.name = name;
        this.ctx = ctx;
    }
    write(data) {
        if (this.failure !== undefined)
            throw this.failure;
        this.size += data.length;
        if (this.head) {
            // Copied: the chunk is a view of a buffer the stream may reuse.
            this.head.push(Buffer.from(data));
            this.headBytes += data.length;
            if (this.headBytes >= SNIFF || this.size >= this.declaredSize)
                this.decide();
            return;
        }
        this.take(data);
    }
    async drained() {
        if (this.failure !== undefined)
            throw this.failure;
        if (this.waiting)
            await this.afterOther();
        const layer = this.layer;
        // A feed destroyed by the measurement's failure: that failure, which names the layer, not the feed's bare error.
        if (this.full && layer)
            await Promise.race([(0,external_node_events_namespaceObject.once)(layer.feed, 'drain').catch(() => layer.sizes), layer.sizes]);
        this.full = false;
    }
    /**
     * The export waits while the run measures this blob elsewhere: its numbers stand when that
     * measurement succeeds, else the blob is measured here from its first byte.
     */
    async afterOther() {
        const { compression, other, held } = this.waiting;
        const sizes = await other.catch(() => undefined);
        this.waiting = undefined;
        if (sizes) {
            this.reused = { compression, sizes };
            return;
        }
        this.measure(compression);
        for (const data of held)
            this.take(data);
    }
    destroy() {
        this.layer?.feed.destroy();
    }
    async end() {
        if (this.head)
            this.decide();
        if (this.waiting)
            await this.afterOther();
        if (this.reused)
            return { size: this.size, layer: this.reused };
        if (this.layer) {
            this.layer.feed.end();
            const sizes = await this.layer.sizes;
            return { size: this.size, layer: { compression: this.layer.compression, sizes } };
        }
        if (this.json)
            return { size: this.size, text: Buffer.concat(this.json.chunks).toString('utf8'), digest: `sha256:${this.json.hash.digest('hex')}` };
        return { size: this.size };
    }
    decide() {
        const head = Buffer.concat(this.head ?? []);
        this.head = undefined;
        this.kind = sniff(head, this.declaredSize, this.name.startsWith('sha256:'));
        if (this.kind.is === 'layer') {
            const { compression } = this.kind;
            const other = this.ctx.shared?.find(this.name, this.declaredSize, this.ctx.files, compression);
            if (other)
                this.waiting = { compression, other, held: [] };
            else
                this.measure(compression);
        }
        else if (this.kind.is === 'json') {
            this.json = { chunks: [], hash: (0,external_node_crypto_namespaceObject.createHash)('sha256') };
        }
        if (head.length > 0)
            this.take(head);
    }
    /** Measures this blob as a layer from the bytes taken from now on, and shares the measurement with the run. */
    measure(compression) {
        const feed = new external_node_stream_namespaceObject.PassThrough({ highWaterMark: 256 * 1024 });
        const desc = { mediaType: LAYER_MEDIA_TYPE[compression], digest: this.name, size: this.declaredSize, annotations: {} };
        const sizes = measureLayerStream(feed, desc, '', this.ctx);
        // Kept until written to or ended: a layer that fails stops the read there.
        sizes.catch((e) => {
            this.failure = e;
        });
        this.layer = { feed, compression, sizes };
        if (isSha256Digest(this.name))
            this.ctx.shared?.add(this.name, this.declaredSize, compression, this.ctx.files, sizes);
    }
    take(data) {
        if (this.reused)
            return;
        if (this.waiting) {
            // Copied: the chunk is a view of a buffer the stream may reuse.
            this.waiting.held.push(Buffer.from(data));
        }
        else if (this.layer) {
            if (!this.layer.feed.write(data))
                this.full = true;
        }
        else if (this.json) {
            this.json.chunks.push(Buffer.from(data));
            this.json.hash.update(data);
        }
    }
}
/** The read export as a BlobSource: documents from what was kept, layers from what they measured to. */
class StreamedLayout {
    contents;
    method = 'oci-layout';
    label = LABEL;
    constructor(contents) {
        this.contents = contents;
    }
    async roots() {
        const version = parseLayoutFile(this.text('oci-layout'), `${LABEL}: oci-layout`);
        if (!/^1\./.test(version))
            throw new Error(`${LABEL}: unsupported imageLayoutVersion "${version}"`);
        return parseIndex(this.text('index.json'), `${LABEL}: index.json`).manifests;
    }
    async jsonBlob(desc, what) {
        if (desc.size > MAX_JSON_BLOB) {
            throw new Error(`${capitalize(what)} ${desc.digest} is ${desc.size} bytes, more than the ${MAX_JSON_BLOB} accepted`);
        }
        const blob = this.blob(desc, what);
        if (blob.text === undefined || blob.digest === undefined)
            throw new Error(`${capitalize(what)} ${desc.digest} is not a JSON document`);
        if (blob.digest !== desc.digest)
            throw new Error(`${capitalize(what)} ${desc.digest} does not match its digest (content is ${blob.digest})`);
        return blob.text;
    }
    async layer(desc, diffId) {
        const compression = compressionOf(desc);
        const blob = this.blob(desc, 'layer');
        if (!blob.layer || blob.layer.compression !== compression) {
            throw new Error(`Layer ${desc.digest}: cannot read it as ${compression === 'none' ? 'a tar stream' : `${compression} data`} (it is not)`);
        }
        checkDiffId(desc, compression, diffId);
        return blob.layer.sizes;
    }
    text(name) {
        const file = this.contents.files.get(name);
        if (!file)
            throw new ArchiveError(`${LABEL}: ${name} is missing`);
        if (file.text === undefined)
            throw new Error(`${LABEL}: ${name} is not a JSON document of at most ${MAX_JSON_BLOB} bytes`);
        return file.text;
    }
    /** A blob by digest, which must be sha256 and its size the descriptor's. Links in the export are not followed. */
    blob(desc, what) {
        if (!isSha256Digest(desc.digest))
            throw new Error(`${capitalize(what)} digest "${desc.digest}" is not sha256:<64 hex>; refused`);
        const blob = this.contents.files.get(`blobs/sha256/${desc.digest.slice('sha256:'.length)}`);
        if (!blob) {
            if (what === 'layer' && isForeignLayer(desc.mediaType)) {
                throw new Error(`Layer ${desc.digest} is a foreign (non-distributable) layer and is not in the layout: its uncompressed size cannot be measured`);
            }
            throw new Error(`${capitalize(what)} ${desc.digest}: missing`);
        }
        if (blob.size !== desc.size)
            throw new Error(`${capitalize(what)} ${desc.digest} is ${blob.size} bytes in ${LABEL} but its descriptor says ${desc.size}`);
        return blob;
    }
}

;// CONCATENATED MODULE: ./src/buildx/argv.ts
// Pure: turn one build plan into the exact `docker buildx build` argv. No I/O.
// Values come from inputs, the config file and the pull request's Dockerfile (stage names), so
// each one is checked before docker sees it: no value may read as an option, the context goes
// after `--`, and nothing but the plan's own build arguments and settings reaches the build (no
// --secret, --ssh or token of ours, only the user's; security requirements 7 and 9). A secret's
// value never goes on the command line: buildx reads it from a file or from the docker client's
// environment (`env=`).


/** One field of buildx's CSV option syntax, quoted when it holds a comma or a quote. */
function argv_field(key, value) {
    const kv = `${key}=${value}`;
    return /[",]/.test(kv) ? `"${kv.replace(/"/g, '""')}"` : kv;
}
/** `--cache-from` for every scope read, `--cache-to` for the scope written (when the builder can). */
function cacheArgs(cache, scopes, exportCache, mode) {
    const spec = (scope, to) => {
        const write = to ? `,mode=${mode},ignore-error=true` : '';
        switch (cache.type) {
            case 'none':
                return undefined;
            case 'gha':
                return `type=gha,scope=${scope}${write}`;
            case 'local': {
                const dir = `${cache.dir.replace(/\/+$/, '')}/${scope}`;
                return `type=local,${argv_field(to ? 'dest' : 'src', dir)}${write}`;
            }
            case 'registry':
                return `type=registry,${argv_field('ref', registryCacheRef(cache.ref, scope))}${write}`;
        }
    };
    const args = [];
    for (const scope of scopes.from) {
        const from = spec(scope, false);
        if (from)
            args.push('--cache-from', from);
    }
    const to = exportCache ? spec(scopes.to, true) : undefined;
    if (to)
        args.push('--cache-to', to);
    return args;
}
/**
 * A registry cache keeps one tag per scope so targets never overwrite each other:
 * `ghcr.io/o/cache` → `ghcr.io/o/cache:<scope>`, `ghcr.io/o/cache:buildcache` → `…:buildcache-<scope>`.
 */
function registryCacheRef(ref, scope) {
    const lastSlash = ref.lastIndexOf('/');
    const colon = ref.indexOf(':', lastSlash + 1);
    const tagSafe = scope.replace(/[^A-Za-z0-9_.-]/g, '-');
    return colon === -1 ? `${ref}:${tagSafe}` : `${ref}-${tagSafe}`;
}
/**
 * Cache scope per image, side, target and platform set, so targets never evict each other
 * (moby/buildkit#2299) and the base's build never overwrites the head's index. Only characters every
 * cache backend accepts.
 */
function cacheScope(commentKey, side, target, platforms) {
    const plat = platforms.length ? platforms.join('+') : 'default';
    return `${commentKey}-${side}-${target}-${plat}`.replace(/[^A-Za-z0-9_.+-]/g, '-');
}
/**
 * The head reads its own cache, then the base's; the base reads its own, then the head's (the head
 * scope is what the default branch's own runs write: the base commit was once their head).
 */
function cacheScopesFor(commentKey, side, target, platforms) {
    const own = cacheScope(commentKey, side, target, platforms);
    const base = cacheScope(commentKey, 'base', target, platforms);
    const head = cacheScope(commentKey, 'head', target, platforms);
    return { from: side === 'head' ? [own, base] : [own, head], to: own };
}
/** Host part of every temporary tag: never a registry anyone can push to or pull from. */
const LOAD_REGISTRY = 'image-budget.local';
/**
 * The temporary tag an image is loaded under: `image-budget.local/<key>-<side>-<target>:<random>`.
 * The repository is folded to what a reference accepts (lowercase, `[a-z0-9]` runs joined by `-`),
 * the random part keeps concurrent jobs on one engine apart.
 */
function loadTag(commentKey, side, target, random) {
    const repo = `${commentKey}-${side}-${target}`
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/^-+|-+$/g, '')
        .slice(0, 100)
        .replace(/-+$/, '') || 'image';
    const tag = random.replace(/[^A-Za-z0-9_.-]/g, '').slice(0, 64) || 'latest';
    return `${LOAD_REGISTRY}/${repo}:${/^[A-Za-z0-9_]/.test(tag) ? tag : `t${tag}`}`;
}
/** A plan value that could be read as an option, or that buildx would misread; found before docker runs. */
class UnsafeBuildPlanError extends Error {
    field;
    value;
    constructor(field, value, why) {
        super(`Refusing to build: ${field} ${JSON.stringify(value.slice(0, 200))} ${why}`);
        this.field = field;
        this.value = value;
        this.name = 'UnsafeBuildPlanError';
    }
}
const argv_BUILD_ARG_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
// A platform is one `os/arch[/variant]`: a comma would add platforms of its own.
const argv_PLATFORM = /^[a-z0-9_]+\/[a-z0-9_]+(?:\/[a-z0-9_]+)?$/;
const argv_NETWORKS = ['default', 'none', 'host'];
/** An option's value: never empty, never starting with `-`, never holding a NUL or line break. */
function checkValue(field, value) {
    if (value === '')
        throw new UnsafeBuildPlanError(field, value, 'is empty');
    if (value.startsWith('-'))
        throw new UnsafeBuildPlanError(field, value, 'starts with "-" and could be read as an option');
    if (/[\0\r\n]/.test(value))
        throw new UnsafeBuildPlanError(field, value, 'contains a NUL or line break');
}
/** Throws UnsafeBuildPlanError for the first value of `plan` that buildx could misread. */
function checkBuildPlan(plan) {
    if (plan.stage !== undefined && !isValidTargetName(plan.stage)) {
        throw new UnsafeBuildPlanError('stage', plan.stage, 'is not a stage name (a letter, then letters, digits, "_", "." or "-")');
    }
    if (plan.builder !== undefined)
        checkValue('builder', plan.builder);
    checkValue('file', plan.file);
    // The context goes after `--`: any name is an operand there; only NUL and line breaks are refused.
    if (plan.context === '' || /[\0\r\n]/.test(plan.context)) {
        throw new UnsafeBuildPlanError('context', plan.context, 'is empty or contains a NUL or line break');
    }
    for (const p of plan.platforms) {
        if (!argv_PLATFORM.test(p))
            throw new UnsafeBuildPlanError('platform', p, 'is not one os/arch[/variant]');
    }
    if (plan.network !== undefined && !argv_NETWORKS.includes(plan.network)) {
        throw new UnsafeBuildPlanError('network', plan.network, `is not one of ${argv_NETWORKS.join(', ')}`);
    }
    for (const [name, value] of plan.buildArgs) {
        if (!argv_BUILD_ARG_NAME.test(name))
            throw new UnsafeBuildPlanError('build argument', name, 'is not a NAME of letters, digits and "_"');
        // The value is never shown: it may be a secret.
        if (value.includes('\0'))
            throw new UnsafeBuildPlanError('build argument', name, 'has a value with a NUL character');
    }
    if (plan.cache.type === 'local')
        checkValue('cache directory', plan.cache.dir);
    if (plan.cache.type === 'registry')
        checkValue('cache reference', plan.cache.ref);
    if (plan.load)
        checkValue('image tag', plan.load.tag);
    else if (plan.stream !== undefined && plan.stream !== '-')
        checkValue('output stream', plan.stream);
    else
        checkValue('output directory', plan.outputDir);
    checkValue('metadata file', plan.metadataFile);
    if (plan.build)
        checkSettings(plan.build);
}
/** The settings' values, each as its option reads it (the secrets' values are never shown). */
function checkSettings(s) {
    for (const [name, value] of s.contexts) {
        if (!CONTEXT_NAME.test(name))
            throw new UnsafeBuildPlanError('build context name', name, 'is not a stage or image name');
        checkValue('build context', value);
    }
    for (const [key, value] of s.labels) {
        if (!LABEL_KEY.test(key))
            throw new UnsafeBuildPlanError('label', key, 'is not a label key');
        if (/[\0\r\n]/.test(value))
            throw new UnsafeBuildPlanError('label', key, 'has a value with a NUL or line break');
    }
    for (const m of s.secrets) {
        if (!ID.test(m.id))
            throw new UnsafeBuildPlanError('secret id', m.id, 'is not an id of letters, digits, "_", "." or "-"');
        if ('src' in m)
            checkValue('secret file', m.src);
        else if (!ENV_NAME.test(m.env))
            throw new UnsafeBuildPlanError('secret variable', m.env, 'is not a variable name');
    }
    for (const x of s.ssh) {
        if (!ID.test(x.id))
            throw new UnsafeBuildPlanError('ssh id', x.id, 'is not an id of letters, digits, "_", "." or "-"');
        if (x.path !== undefined)
            checkValue('ssh path', x.path);
        if (x.path?.includes(','))
            throw new UnsafeBuildPlanError('ssh path', x.path, 'contains a comma, which buildx reads as a second path');
    }
    if (s.shmSize !== undefined && !SHM_SIZE.test(s.shmSize))
        throw new UnsafeBuildPlanError('shm-size', s.shmSize, 'is not a size');
    for (const u of s.ulimits)
        if (!ULIMIT.test(u))
            throw new UnsafeBuildPlanError('ulimit', u, 'is not type=soft[:hard]');
    for (const h of s.addHosts)
        if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*:[0-9A-Za-z.:%-]+$/.test(h))
            throw new UnsafeBuildPlanError('add-host', h, 'is not host:ip');
    const entitlements = ENTITLEMENTS;
    for (const a of s.allow)
        if (!entitlements.includes(a))
            throw new UnsafeBuildPlanError('allow', a, `is not one of ${ENTITLEMENTS.join(', ')}`);
    for (const [what, v] of [['provenance', s.provenance], ['sbom', s.sbom]]) {
        if (v !== undefined && !/^[A-Za-z0-9][^\s"]*$/.test(v))
            throw new UnsafeBuildPlanError(what, v, 'is not true, false or key=value attributes');
    }
}
/** The options of the build settings, in buildx's terms. */
function settingsArgs(s) {
    const args = [];
    for (const [name, value] of s.contexts)
        args.push('--build-context', `${name}=${value}`);
    for (const [key, value] of s.labels)
        args.push('--label', `${key}=${value}`);
    for (const m of s.secrets)
        args.push('--secret', 'src' in m ? `id=${m.id},${argv_field('src', m.src)}` : `id=${m.id},env=${m.env}`);
    for (const x of s.ssh)
        args.push('--ssh', x.path === undefined ? x.id : `${x.id}=${x.path}`);
    if (s.noCache)
        args.push('--no-cache');
    if (s.pull)
        args.push('--pull');
    if (s.shmSize !== undefined)
        args.push('--shm-size', s.shmSize);
    for (const u of s.ulimits)
        args.push('--ulimit', u);
    for (const h of s.addHosts)
        args.push('--add-host', h);
    if (s.allow.length)
        args.push('--allow', s.allow.join(','));
    if (s.provenance !== undefined)
        args.push('--provenance', s.provenance);
    if (s.sbom !== undefined)
        args.push('--sbom', s.sbom);
    return args;
}
/** Where the image goes: loaded under a tag, streamed as an OCI layout tar, or written as a layout directory. */
function outputSpec(plan) {
    if (plan.load)
        return `type=docker,${argv_field('name', plan.load.tag)}`;
    if (plan.stream !== undefined)
        return `type=oci,${argv_field('dest', plan.stream)}`;
    return `type=oci,${argv_field('dest', plan.outputDir)},tar=false`;
}
/**
 * The argv of `docker buildx build` for `plan`: every value right after its option (so it is that
 * option's value), the context alone after `--`. Throws UnsafeBuildPlanError first when a value
 * could be misread (checkBuildPlan).
 */
function buildxArgv(plan) {
    checkBuildPlan(plan);
    const argv = ['buildx', 'build'];
    if (plan.builder)
        argv.push('--builder', plan.builder);
    argv.push('--file', plan.file);
    if (plan.stage)
        argv.push('--target', plan.stage);
    if (plan.platforms.length)
        argv.push('--platform', plan.platforms.join(','));
    if (plan.network)
        argv.push('--network', plan.network);
    for (const [name, value] of plan.buildArgs)
        argv.push('--build-arg', `${name}=${value}`);
    if (plan.build)
        argv.push(...settingsArgs(plan.build));
    argv.push(...cacheArgs(plan.cache, plan.cacheScopes, plan.cacheExport, plan.cacheMode ?? 'max'));
    argv.push('--output', outputSpec(plan));
    argv.push('--metadata-file', plan.metadataFile);
    argv.push('--progress', 'plain');
    argv.push('--', plan.context);
    return argv;
}

;// CONCATENATED MODULE: ./src/buildx/build.ts



/** Where buildx writes a streamed export: its stdout (`dest=-`), which runBuild hands to `onExport`. */
const EXPORT_STDOUT = '-';
/** Captured output kept per stream; the failure summary reads its tail. */
const MAX_CAPTURE = 256 * 1024;
async function runBuild(exec, plan, options) {
    let argv;
    try {
        argv = buildxArgv(plan);
    }
    catch (e) {
        // A value that could be read as an option never reaches docker; like any failed build, a result.
        if (!(e instanceof UnsafeBuildPlanError))
            throw e;
        return { ok: false, cacheProblems: [], error: e.message, detail: e.message };
    }
    // One masker per stream, so that interleaved stdout and stderr never join into a false line.
    // A lone carriage return ends a line for the runner as for a terminal: made a line break first.
    const onLog = options.onLog ? (text) => options.onLog?.(neutralizeCommands(text.replace(/\r(?!\n)/g, '\n'))) : undefined;
    const out = onLog ? secretMasker(options.secrets, onLog) : undefined;
    const err = onLog ? secretMasker(options.secrets, onLog) : undefined;
    let result;
    try {
        result = await exec('docker', argv, {
            cwd: plan.context,
            env: withSecretEnv(options.env, plan),
            ...(out ? { onStdout: (c) => out.write(c) } : {}),
            ...(err ? { onStderr: (c) => err.write(c) } : {}),
            ...(plan.stream === EXPORT_STDOUT && options.onExport ? { takeStdout: options.onExport } : {}),
            ...(options.signal ? { signal: options.signal } : {}),
            maxCapture: MAX_CAPTURE
        });
    }
    finally {
        out?.end();
        err?.end();
    }
    // A capture that was cut may begin inside a secret, whose tail no mask would then match: drop that line.
    const whole = (s) => (s.length >= MAX_CAPTURE ? s.slice(s.indexOf('\n') + 1) : s);
    const log = `${whole(result.stdout)}\n${whole(result.stderr)}`;
    const problems = cacheProblems(log, options.secrets);
    if (result.code === 0)
        return { ok: true, layoutDir: plan.outputDir, cacheProblems: problems };
    return {
        ok: false,
        cacheProblems: problems,
        error: lastErrorLine(log, options.secrets) || `docker buildx build exited with code ${result.code}`,
        detail: summarizeBuildFailure(log, options.secrets)
    };
}
/** The client's environment plus the variables the plan's `env=` secrets are read from. */
function withSecretEnv(env, plan) {
    const mounts = (plan.build?.secrets ?? []).flatMap((m) => ('env' in m ? [m] : []));
    if (mounts.length === 0)
        return env;
    const out = { ...(env ?? process.env) };
    for (const m of mounts)
        out[m.env] = m.value;
    return out;
}

;// CONCATENATED MODULE: ./src/baseline/cache-service.ts



/**
 * The cache this job has, from the runner's variables; undefined outside a job that has one (no
 * runtime token, or no URL for the protocol: the library's isFeatureAvailable). A URL that is not
 * one is a BaselineStoreError. Pure.
 */
function cacheConnection(env) {
    const token = env['ACTIONS_RUNTIME_TOKEN'];
    const protocol = !isGhes(env['GITHUB_SERVER_URL']) && env['ACTIONS_CACHE_SERVICE_V2'] ? 'v2' : 'v1';
    const variable = protocol === 'v2' ? 'ACTIONS_RESULTS_URL' : 'ACTIONS_CACHE_URL';
    const url = env[variable];
    if (!token || !url)
        return undefined;
    if (!URL.canParse(url))
        throw new BaselineStoreError(`${variable} is not a URL; the Actions cache cannot be reached`);
    const base = new URL(url.endsWith('/') ? url : `${url}/`);
    const access = actionsCacheAccess(env);
    return { protocol, base: protocol === 'v2' ? base : new URL('_apis/artifactcache/', base), token, readable: access.read, writable: access.write };
}
/**
 * The runner's `ACTIONS_CACHE_MODE` (as @actions/cache reads it), for the baselines here and for
 * buildx's gha cache (pipeline/side.ts): `read` when the job's token may
 * only read the cache (an untrusted trigger on the default branch's scope), `none`, `write`,
 * `write-only`. Unset or unknown: read and write, as before the variable existed.
 */
function actionsCacheAccess(env) {
    const mode = (env['ACTIONS_CACHE_MODE'] ?? '').trim().toLowerCase();
    switch (mode) {
        case 'none':
            return { read: false, write: false, mode };
        case 'read':
            return { read: true, write: false, mode };
        case 'write-only':
            return { read: false, write: true, mode };
        default:
            return { read: true, write: true };
    }
}
/** The library's test: a server other than github.com, *.ghe.com and *.localhost is GHES. */
function isGhes(serverUrl) {
    const host = (URL.parse(serverUrl || 'https://github.com')?.hostname ?? '').toLowerCase();
    return host !== 'github.com' && !host.endsWith('.ghe.com') && !host.endsWith('.localhost');
}
/** The library's twirp client: 5 attempts, 3 s then 1.5 times longer (with spread), on 500, 502, 503, 504. */
const RETRY_V2 = { attempts: 5, firstDelayMs: 3000, multiplier: 1.5, statuses: new Set([500, 502, 503, 504]), unreachable: false };
/** The library's v1 client: 2 attempts, 5 s apart, on 502, 503, 504 and any network failure. */
const RETRY_V1 = { attempts: 2, firstDelayMs: 5000, multiplier: 1, statuses: new Set([502, 503, 504]), unreachable: true };
/** Blob transfers, as the Azure SDK makes them: any failure of the transfer tried again. */
const RETRY_BLOB = { ...RETRY_V2, unreachable: true };
const MAX_ANSWER_BYTES = (/* unused pure expression or super */ null && (1024 * 1024));
const TWIRP = '/twirp/github.actions.results.api.v1.CacheService/';
const V1_ACCEPT = 'application/json;api-version=6.0-preview.1';
/** The storage service version Azure's storage SDK for JavaScript (12.x) sends with Put Blob. */
const AZURE_VERSION = '2026-02-06';
/** Network failures the library reports at once rather than retry: the service is not reachable. */
const UNREACHABLE = new Set(['ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'ECONNREFUSED', 'EHOSTUNREACH']);
/** An answer worth asking again for: a retried status, an answer that is not JSON, a dropped transfer. */
class Transient extends (/* unused pure expression or super */ null && (Error)) {
}
const cache_service_MAX_REDIRECTS = 5;
/** One job's conversation with the cache service. */
class CacheService {
    connection;
    agents;
    retry;
    /** `proxyEnv`: the variables proxies are chosen from (http.ts proxyFor). */
    constructor(connection, proxyEnv = process.env) {
        this.connection = connection;
        this.agents = { proxyEnv };
        this.retry = connection.protocol === 'v2' ? RETRY_V2 : RETRY_V1;
    }
    /** The entry the service finds for `keys` (the first as primary key, the rest as restore keys; at most 10). */
    async lookup(keys, version) {
        const [key, ...restoreKeys] = keys;
        if (key === undefined)
            return undefined;
        if (this.connection.protocol === 'v2') {
            const body = { key, ...(restoreKeys.length > 0 ? { restore_keys: restoreKeys } : {}), version };
            const answer = expectOk(await this.twirp('GetCacheEntryDownloadURL', body), 'GetCacheEntryDownloadURL');
            if (answer['ok'] !== true)
                return undefined;
            return found(answer['matched_key'] ?? answer['matchedKey'], answer['signed_download_url'] ?? answer['signedDownloadUrl']);
        }
        const query = `cache?keys=${encodeURIComponent(keys.join(','))}&version=${version}`;
        const res = await this.call('the lookup', this.retry, () => this.v1('GET', query));
        if (res.status === 204)
            return undefined;
        const answer = expectOk(res, 'the lookup');
        return found(answer['cacheKey'], answer['archiveLocation']);
    }
    /** The archive of `entry`, at most `max` bytes (redirects followed, with no credential to carry). */
    async download(entry, max) {
        const what = 'the download';
        return this.retrying(what, RETRY_BLOB, async () => {
            let url = new URL(entry.archiveUrl);
            for (let hops = 0;; hops++) {
                const res = await this.send({ url, method: 'GET', headers: { 'user-agent': cache_service_USER_AGENT } });
                const status = res.statusCode ?? 0;
                const location = res.headers.location;
                if (status >= 301 && status <= 308 && status !== 304 && location !== undefined && hops < cache_service_MAX_REDIRECTS) {
                    res.resume();
                    url = new URL(location, url);
                    continue;
                }
                if (RETRY_BLOB.statuses.has(status))
                    throw cache_service_transient(res, what);
                if (status !== 200)
                    throw failed(res, what);
                return readBody(res, max, () => new BaselineStoreError(`the entry ${entry.key} is larger than ${max} bytes; it is refused`));
            }
        });
    }
    /** Creates the entry `key` holding `archive`, unless the service refuses (it exists, or says why not). */
    async create(key, version, archive) {
        return this.connection.protocol === 'v2' ? this.createV2(key, version, archive) : this.createV1(key, version, archive);
    }
    close() {
        closeAgents(this.agents);
    }
    async createV2(key, version, archive) {
        const reserved = await this.twirp('CreateCacheEntry', { key, version });
        if (reserved.status === 409)
            return { created: false, refusal: messageOf(reserved) ?? 'the entry exists' };
        const created = expectOk(reserved, 'CreateCacheEntry');
        const uploadUrl = created['signed_upload_url'] ?? created['signedUploadUrl'];
        if (created['ok'] !== true || typeof uploadUrl !== 'string')
            return { created: false, refusal: cache_service_describe(created['message']) };
        const what = 'the upload';
        await this.retrying(what, RETRY_BLOB, async () => {
            const headers = { 'x-ms-blob-type': 'BlockBlob', 'x-ms-version': AZURE_VERSION, 'content-type': 'application/octet-stream', 'user-agent': cache_service_USER_AGENT };
            const res = await this.send({ url: new URL(uploadUrl), method: 'PUT', headers, body: archive });
            if (RETRY_BLOB.statuses.has(res.statusCode ?? 0))
                throw cache_service_transient(res, what);
            if (res.statusCode !== 201)
                throw failed(res, what);
            res.resume();
        });
        const finalized = expectOk(await this.twirp('FinalizeCacheEntryUpload', { key, version, size_bytes: String(archive.length) }), 'FinalizeCacheEntryUpload');
        if (finalized['ok'] !== true) {
            throw new BaselineStoreError(`the Actions cache did not finalize ${key}: ${cache_service_describe(finalized['message'])}`);
        }
        return { created: true };
    }
    async createV1(key, version, archive) {
        const reserve = await this.call('the reservation', this.retry, () => this.v1('POST', 'caches', { key, version, cacheSize: archive.length }));
        // 400 refuses the entry itself (too large); any other refusal is, in the library's reading, an
        // entry that exists or that another job is writing (or a `cache write denied:` policy).
        if (reserve.status === 400)
            expectOk(reserve, 'the reservation');
        if (!isOk(reserve.status))
            return { created: false, refusal: messageOf(reserve) ?? `status ${reserve.status}` };
        const cacheId = expectOk(reserve, 'the reservation')['cacheId'];
        if (typeof cacheId !== 'number')
            throw new BaselineStoreError('the Actions cache answered a reservation without a cacheId');
        const range = { 'content-type': 'application/octet-stream', 'content-range': `bytes 0-${archive.length - 1}/*` };
        expectOk(await this.call('the upload', this.retry, () => this.v1('PATCH', `caches/${cacheId}`, archive, range), false), 'the upload');
        expectOk(await this.call('the commit', this.retry, () => this.v1('POST', `caches/${cacheId}`, { size: archive.length }), false), 'the commit');
        return { created: true };
    }
    /** One twirp call: its status and JSON answer. */
    twirp(method, body) {
        const headers = { 'content-type': 'application/json', authorization: `Bearer ${this.connection.token}`, 'user-agent': cache_service_USER_AGENT };
        const request = { url: new URL(`${TWIRP}${method}`, this.connection.base), method: 'POST', headers, body: JSON.stringify(body) };
        return this.call(method, this.retry, () => this.send(request));
    }
    v1(method, resource, body, extra = {}) {
        const json = body !== undefined && !Buffer.isBuffer(body);
        const headers = {
            accept: V1_ACCEPT,
            authorization: `Bearer ${this.connection.token}`,
            'user-agent': cache_service_USER_AGENT,
            ...(json ? { 'content-type': 'application/json' } : {}),
            ...extra
        };
        const payload = body === undefined ? {} : { body: json ? JSON.stringify(body) : body };
        return this.send({ url: new URL(resource, this.connection.base), method, headers, ...payload });
    }
    /**
     * A call whose answer is JSON (an empty answer reads as `{}`): tried again on the policy's statuses
     * and, where `needJson`, on a success that is not JSON; a failure's body need not be JSON.
     */
    call(what, policy, request, needJson = true) {
        return this.retrying(what, policy, async () => {
            const res = await request();
            const status = res.statusCode ?? 0;
            const text = (await readBody(res, MAX_ANSWER_BYTES, () => new BaselineStoreError(`the Actions cache answered ${what} with over ${MAX_ANSWER_BYTES} bytes`))).toString('utf8');
            const json = parseObject(text);
            const said = json && messageOf({ status, json });
            if (policy.statuses.has(status))
                throw new Transient(`${status}${said ? `: ${said}` : ''}`);
            if (json === undefined && needJson && isOk(status) && text.trim() !== '')
                throw new Transient(`an answer that is not JSON (status ${status})`);
            return { status, json: json ?? {} };
        });
    }
    send(request) {
        return send(request, {}, DEFAULT_TIMEOUTS, this.agents);
    }
    async retrying(what, policy, attempt) {
        for (let n = 1;; n++) {
            try {
                return await attempt();
            }
            catch (error) {
                const dropped = error instanceof Error && !(error instanceof BaselineStoreError) && error.code === 'ECONNRESET';
                if (!(error instanceof Transient || error instanceof NetworkError || dropped))
                    throw error;
                if (error instanceof NetworkError && UNREACHABLE.has(error.code ?? '') && !policy.unreachable) {
                    const hint = "a self-hosted runner needs to reach GitHub's endpoints";
                    throw new BaselineStoreError(`the Actions cache could not be reached for ${what} (${error.code ?? ''}): ${hint}`);
                }
                if (n >= policy.attempts) {
                    throw new BaselineStoreError(`the Actions cache did not answer ${what} after ${n} attempts: ${error.message}`);
                }
                const least = policy.firstDelayMs * policy.multiplier ** (n - 1);
                await new Promise((resolve) => setTimeout(resolve, least + Math.random() * least * (policy.multiplier - 1)));
            }
        }
    }
}
const cache_service_USER_AGENT = (/* unused pure expression or super */ null && (`${TOOL.name}/${TOOL.version}`));
const isOk = (status) => status >= 200 && status <= 299;
function parseObject(text) {
    if (text.trim() === '')
        return {};
    try {
        const json = JSON.parse(text);
        return typeof json === 'object' && json !== null && !Array.isArray(json) ? json : undefined;
    }
    catch {
        return undefined;
    }
}
/** The service's own words in a failure: twirp's `msg`, v1's `message`. */
function messageOf(answer) {
    const message = answer.json['msg'] ?? answer.json['message'];
    return typeof message === 'string' && message !== '' ? cache_service_oneLine(message) : undefined;
}
function expectOk(answer, what) {
    if (isOk(answer.status))
        return answer.json;
    const message = messageOf(answer);
    throw new BaselineStoreError(`the Actions cache answered ${answer.status} to ${what}${message ? `: ${message}` : ''}`);
}
function found(key, archiveUrl) {
    return typeof key === 'string' && typeof archiveUrl === 'string' && archiveUrl !== '' ? { key, archiveUrl } : undefined;
}
function cache_service_transient(res, what) {
    res.resume();
    return new Transient(`${res.statusCode ?? 0} to ${what}`);
}
/** A final failure of a blob request: its status and Azure's error code, never the URL. */
function failed(res, what) {
    res.resume();
    const code = res.headers['x-ms-error-code'];
    const detail = typeof code === 'string' ? ` (${cache_service_oneLine(code)})` : '';
    return new BaselineStoreError(`the Actions cache storage answered ${res.statusCode ?? 0} to ${what}${detail}`);
}
const cache_service_describe = (message) => (typeof message === 'string' && message !== '' ? cache_service_oneLine(message) : 'no reason given');
const cache_service_oneLine = (text) => text.replace(/\s+/g, ' ').slice(0, 300);

;// CONCATENATED MODULE: ./src/image/save-images.ts






/**
 * The images of a read save tar: from `index.json` when there is one (Docker 25+), else from the
 * legacy `manifest.json`. Every blob is checked against the digest and size that name it, every
 * layer against its diff_id.
 */
async function imagesFromSave(contents, opts) {
    const save = new SavedArchive(contents);
    const images = contents.files.has('index.json') ? await save.fromIndex(opts) : save.fromLegacyManifest(opts);
    if (images.length === 0)
        throw new Error('docker save output holds no image (only attestations or artifacts)');
    return images;
}
class SavedArchive {
    contents;
    constructor(contents) {
        this.contents = contents;
    }
    async fromIndex(opts) {
        if (this.contents.files.has('oci-layout')) {
            const version = parseLayoutFile(this.json('oci-layout', 'oci-layout'), 'docker save oci-layout');
            if (!/^1\./.test(version))
                throw new Error(`docker save output: unsupported imageLayoutVersion "${version}"`);
        }
        const index = parseIndex(this.json('index.json', 'index.json'), 'index.json of docker save');
        const manifests = await collectManifests(index.manifests, (desc) => this.jsonBlob(desc, 'image index'), 'docker save output');
        const images = [];
        const seen = new Set();
        for (const desc of manifests) {
            if (seen.has(desc.digest))
                continue;
            seen.add(desc.digest);
            const image = this.fromManifest(desc, opts);
            if (image)
                images.push(image);
        }
        return images;
    }
    fromManifest(desc, opts) {
        const manifest = parseManifest(this.jsonBlob(desc, 'image manifest'), desc.digest);
        if (manifest.artifactType !== undefined || !isConfigMediaType(manifest.config.mediaType))
            return undefined;
        const config = parseConfig(this.jsonBlob(manifest.config, 'image config'), manifest.config.digest);
        checkLayerCount(desc.digest, manifest, config);
        const layers = manifest.layers.map((layer) => {
            const compression = layerCompression(layer.mediaType);
            if (compression === undefined)
                throw new Error(`Layer ${layer.digest} has unsupported media type "${layer.mediaType}"`);
            if (compression !== 'none') {
                // The classic store saves uncompressed layers; a compressed one would need decompressing in the stream.
                throw new Error(`Layer ${layer.digest} of the docker save output is ${compression}-compressed; only uncompressed layers are measured this way`);
            }
            return { file: this.blob(layer, 'layer'), mediaType: layer.mediaType, digest: layer.digest };
        });
        return assemble({ digest: desc.digest, configDigest: manifest.config.digest, config, layers, platformHint: desc }, opts);
    }
    fromLegacyManifest(opts) {
        if (!this.contents.files.has('manifest.json')) {
            throw new Error('docker save output has neither index.json nor manifest.json: not an image archive');
        }
        const entries = parseLegacyManifest(this.json('manifest.json', 'manifest.json'));
        const images = [];
        const seen = new Set();
        for (const entry of entries) {
            const configFile = this.file(entry.config);
            if (!configFile)
                throw new Error(`docker save output: the image config ${entry.config} named by manifest.json is missing`);
            if (seen.has(configFile.digest))
                continue;
            seen.add(configFile.digest);
            const config = parseConfig(this.json(entry.config, `image config ${entry.config}`), entry.config);
            if (config.diffIds.length !== entry.layers.length) {
                throw new Error(`manifest.json of docker save lists ${entry.layers.length} layers for ${entry.config} but its config lists ${config.diffIds.length} diff_ids`);
            }
            const layers = entry.layers.map((p) => {
                const file = this.file(p);
                if (!file)
                    throw new Error(`docker save output: layer ${p} named by manifest.json is missing`);
                return { file, mediaType: MediaType.dockerLayer, digest: file.digest };
            });
            // A legacy save has no manifest: the config digest (the image ID) identifies the image.
            images.push(assemble({ digest: configFile.digest, configDigest: configFile.digest, config, layers }, opts));
        }
        return images;
    }
    /** A regular file by path, following links (at most 8). */
    file(p) {
        let at = normalisePath(p);
        for (let hops = 0; hops <= 8; hops++) {
            const file = this.contents.files.get(at);
            if (file)
                return file;
            const next = this.contents.links.get(at);
            if (next === undefined)
                return undefined;
            at = next;
        }
        throw new Error(`docker save output: ${p} is a chain of links more than 8 long`);
    }
    json(p, what) {
        const file = this.file(p);
        if (!file)
            throw new Error(`docker save output: ${what} is missing`);
        if (file.text === undefined) {
            throw new Error(file.size > MAX_JSON_BLOB
                ? `docker save output: ${what} is ${file.size} bytes, more than the ${MAX_JSON_BLOB} accepted`
                : `docker save output: ${what} is not a JSON document`);
        }
        return file.text;
    }
    /** A blob by descriptor: refuses non-sha256 digests, and checks its size and digest. */
    blob(desc, what) {
        if (!isSha256Digest(desc.digest))
            throw new Error(`${capitalize(what)} digest "${desc.digest}" is not sha256:<64 hex>; refused`);
        const file = this.file(`blobs/sha256/${desc.digest.slice('sha256:'.length)}`);
        if (!file)
            throw new Error(`docker save output: ${what} ${desc.digest} is missing`);
        if (file.size !== desc.size) {
            throw new Error(`${capitalize(what)} ${desc.digest} is ${file.size} bytes in the docker save output but its descriptor says ${desc.size}`);
        }
        if (file.digest !== desc.digest) {
            throw new Error(`${capitalize(what)} ${desc.digest} does not match its digest (content is ${file.digest})`);
        }
        return file;
    }
    jsonBlob(desc, what) {
        const file = this.blob(desc, what);
        if (file.text === undefined) {
            throw new Error(file.size > MAX_JSON_BLOB
                ? `${capitalize(what)} ${desc.digest} is ${file.size} bytes, more than the ${MAX_JSON_BLOB} accepted`
                : `${capitalize(what)} ${desc.digest} is not a JSON document`);
        }
        return file.text;
    }
}
function assemble(a, opts) {
    const { config, layers } = a;
    const platform = imagePlatform(config, a.platformHint);
    if (opts.platform && !samePlatform(opts.platform, platform)) {
        opts.onWarning?.(`${opts.target}: ${opts.platform} was asked for but the loaded image is ${platform}`);
    }
    const warning = historyWarning(opts.target, platform, config.history, layers.length);
    if (warning)
        opts.onWarning?.(warning);
    const instructions = layerInstructions(config.history, layers.length, opts.secrets);
    const stats = layers.map((l, i) => {
        const diffId = config.diffIds[i] ?? '';
        // The classic store's layers are the uncompressed tar streams themselves: their digest is the diff_id.
        if (diffId.startsWith('sha256:') && l.file.digest !== diffId) {
            throw new Error(`Layer ${l.digest} does not match its diff_id ${diffId} (content is ${l.file.digest})`);
        }
        return {
            digest: l.digest,
            mediaType: l.mediaType,
            compressedBytes: l.file.gzipBytes,
            uncompressedBytes: l.file.size,
            instruction: instructions[i] ?? UNKNOWN_INSTRUCTION
        };
    });
    let files;
    if (opts.files) {
        const model = new FileSystemModel(opts.limits);
        for (const l of layers) {
            if (!l.file.entries)
                throw new Error(`Layer ${l.digest} of the docker save output is not a valid tar stream`);
            try {
                model.applyLayer(l.file.entries);
            }
            catch (e) {
                if (e instanceof LimitError)
                    throw new LimitError(e.detail, l.digest);
                throw e;
            }
        }
        files = model.result();
    }
    return {
        target: opts.target,
        platform,
        digest: a.digest,
        configDigest: a.configDigest,
        ...(files ? { files } : {}),
        compressedBytes: sum(stats.map((l) => l.compressedBytes)),
        uncompressedBytes: sum(stats.map((l) => l.uncompressedBytes)),
        layerCount: stats.length,
        layers: stats,
        method: 'docker-save',
        compressedEstimated: true
    };
}
/** `linux/arm64` and `linux/arm64/v8` are one platform, as are `linux/amd64` and `linux/amd64/v1`. */
function samePlatform(a, b) {
    const norm = (p) => p
        .toLowerCase()
        .replace(/^(linux\/arm64)\/v8$/, '$1')
        .replace(/^(linux\/amd64)\/v1$/, '$1');
    return norm(a) === norm(b);
}
/** `manifest.json` of docker save: `[{"Config": "...", "RepoTags": [...], "Layers": ["..."]}]`. */
function parseLegacyManifest(text) {
    const fail = (where, expected) => {
        throw new Error(`Malformed manifest.json of docker save: ${where} must be ${expected}`);
    };
    let doc;
    try {
        doc = JSON.parse(text);
    }
    catch {
        throw new Error('Malformed manifest.json of docker save: not valid JSON');
    }
    if (!Array.isArray(doc))
        return fail('the document', 'an array');
    return doc.map((item, i) => {
        if (typeof item !== 'object' || item === null || Array.isArray(item))
            return fail(`[${i}]`, 'an object');
        const entry = item;
        if (typeof entry.Config !== 'string' || entry.Config === '')
            return fail(`[${i}].Config`, 'a path');
        const layers = entry.Layers ?? [];
        if (!Array.isArray(layers))
            return fail(`[${i}].Layers`, 'an array');
        return {
            config: entry.Config,
            layers: layers.map((l, j) => (typeof l === 'string' && l !== '' ? l : fail(`[${i}].Layers[${j}]`, 'a path')))
        };
    });
}

;// CONCATENATED MODULE: ./src/image/docker-save.ts
// Measures the image(s) of a `docker save` tar stream, read in one pass: the path the action takes
// when the builder can only load images into the engine (the `docker` driver on the classic image
// store, which cannot export an OCI layout).
//
// What `docker save` writes:
// - Docker 25+ (dockerd 26.1 here): an OCI layout inside the tar (`oci-layout`, `index.json`,
//   `blobs/sha256/<hex>`) plus the legacy `manifest.json` and `repositories`, the blobs first;
// - older engines: `manifest.json` (`Config: "<id>.json"`, `Layers: ["<id>/layer.tar"]`), one folder
//   per layer, and symlinks for a layer listed twice.
// The archive is read by archive-reader.ts (with tar.ts, the one tar reader); the stream must end with
// the end-of-archive marker (docker writes it; without it the stream was cut short). Entries arrive in
// any order and index.json comes after the blobs, so every regular file is summarised while its
// content streams past: its length, its sha256 and the length of its gzip compression (zlib, default
// level, output only counted), and the small JSON documents (at most 4 MiB) are kept. No layer is
// ever held in memory. At the end save-images.ts assembles the summaries into ImageStats.
// The limits of limits.ts apply as for OCI layouts: each file's size against its gzip estimate (a
// layer of zeros inflated by the engine), the total, entries, paths, and the time of the whole read.








/** One ImageStats per image of the `docker save` tar stream `stream`, read once. */
async function measureDockerSave(stream, opts) {
    const budget = new MeasureBudget(opts.limits);
    try {
        return imagesFromSave(await readSaveTar(stream, { entries: opts.files === true, budget }), opts);
    }
    catch (e) {
        if (e instanceof LimitError)
            throw new Error(limitMessage(opts.target, e.layer, e.detail));
        throw e;
    }
}
// ── Reading the tar stream ───────────────────────────────────────────────────────────────────────
/** Reads a save tar to its end-of-archive marker, summarising every regular file. */
function readSaveTar(stream, options = {}) {
    const budget = options.budget ?? new MeasureBudget();
    const entries = options.entries === true;
    return readArchive(stream, { label: 'docker save output', budget, summarize: (size, name) => new FileSummary(size, entries, budget, name) });
}
/** Summarises one file while it streams: length, sha256, gzip length, and the text of a small JSON file. */
class FileSummary {
    budget;
    name;
    size = 0;
    hash = (0,external_node_crypto_namespaceObject.createHash)('sha256');
    gzip = (0,external_node_zlib_namespaceObject.createGzip)();
    gzipBytes = 0;
    gzipError;
    /** The compressor's buffer is full: wait for it to drain before more is read. */
    full = false;
    /** Kept while the file may be JSON: undefined once it cannot be. */
    chunks;
    looked = false;
    /** With entries asked for: the file read as a tar, until it turns out not to be one. */
    tar;
    constructor(declaredSize, entries, budget, 
    /** The file's name in limit messages. */
    name) {
        this.budget = budget;
        this.name = name;
        this.chunks = declaredSize <= MAX_JSON_BLOB ? [] : undefined;
        // A tar stream is at least its two zero blocks long.
        if (entries && declaredSize >= 1024) {
            const list = [];
            this.tar = { parser: new TarParser((e) => list.push(e), budget), entries: list };
        }
        this.gzip.on('data', (c) => {
            this.gzipBytes += c.length;
        });
        this.gzip.on('error', (e) => {
            this.gzipError = e;
        });
    }
    write(data) {
        this.size += data.length;
        try {
            this.budget.inflated(data.length, this.size, this.gzipBytes);
        }
        catch (e) {
            throw e instanceof LimitError && e.layer === undefined ? new LimitError(e.detail, this.name) : e;
        }
        this.hash.update(data);
        if (this.chunks) {
            if (!this.looked) {
                const first = data.findIndex((b) => b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d);
                if (first >= 0) {
                    this.looked = true;
                    if (data[first] !== 0x7b && data[first] !== 0x5b)
                        this.chunks = undefined;
                }
            }
            // Copied: the chunk is a view of a buffer the stream may reuse.
            this.chunks?.push(Buffer.from(data));
        }
        if (this.tar) {
            try {
                this.tar.parser.push(data);
            }
            catch (e) {
                // A file that is no tar stream (a config) just has no entries; a limit reached in one that is stops the read.
                if (e instanceof LimitError)
                    throw new LimitError(e.detail, this.name);
                this.tar = undefined;
            }
        }
        if (this.gzipError)
            throw this.gzipError;
        if (!this.gzip.write(data))
            this.full = true;
    }
    /** Resolves once the compressor can take more. */
    async drained() {
        if (this.full)
            await (0,external_node_events_namespaceObject.once)(this.gzip, 'drain');
        this.full = false;
    }
    /** Frees the compressor of a file that will not be finished (the stream failed). */
    destroy() {
        this.gzip.destroy();
    }
    async end() {
        const ended = (0,external_node_events_namespaceObject.once)(this.gzip, 'end');
        this.gzip.end();
        await ended;
        if (this.gzipError)
            throw this.gzipError;
        const text = this.chunks && this.looked ? Buffer.concat(this.chunks).toString('utf8') : undefined;
        let entries;
        try {
            this.tar?.parser.end();
            entries = this.tar?.entries;
        }
        catch {
            entries = undefined;
        }
        return {
            size: this.size,
            digest: `sha256:${this.hash.digest('hex')}`,
            gzipBytes: this.gzipBytes,
            ...(text !== undefined ? { text } : {}),
            ...(entries !== undefined ? { entries } : {})
        };
    }
}

;// CONCATENATED MODULE: ./src/image/layout-follow.ts
// Follows an OCI layout folder while buildx writes it (`--output type=oci,dest=<dir>,tar=false`), so
// that each layer is measured as it is written instead of after the export. buildx writes the folder
// through a content store: a blob goes to `ingest/<id>/data`, beside a `ref` file (`layer-sha256:<hex>`
// for a layer) and a `total` file (its size), and is renamed into `blobs/sha256/` once complete. Each
// layer seen there is read as it grows, through a handle that outlives the rename, and measured by
// layer-stream.ts, which checks the digest of the bytes it read.
//
// What the follower measured is a head start, never an authority: it goes into the shared layers
// (shared-layers.ts: the run's, or the follower's own), from which measure.ts takes it only for a
// layer whose descriptor has the same digest, size and compression, and measures the file itself
// whenever the head start failed (a blob rewritten, a layout written some other way). A layer the run
// has measured elsewhere, or is measuring, is not followed. The measurement's budget, and so its
// deadline, starts with the first blob seen, as the stream's starts with its first byte.







/** How often the folder and a growing file are looked at again. */
const POLL_MS = 20;
/**
 * Layers read at once. buildx writes every blob of an image side by side; following them all at
 * once held the stream buffers of each at the same time (a measurement's peak). A layer that waits
 * for its turn is read from the start then, through the handle opened when it was seen.
 */
const FOLLOWED_AT_ONCE = 2;
const READ_CHUNK = 256 * 1024;
const LAYER_REF = /^layer-sha256:([0-9a-f]{64})$/;
class LayoutFollower {
    dir;
    opts;
    /** The measurement's costs, from the first blob on; undefined until one was seen. */
    budget;
    /** Where what it follows is shared, and what is measured elsewhere is found: the run's, or its own. */
    shared;
    layers = new Map();
    seen = new Set();
    reading = [];
    ended = false;
    looking;
    /** Layers being read now, and those waiting for their turn. */
    active = 0;
    waiting = [];
    constructor(dir, opts) {
        this.dir = dir;
        this.opts = opts;
        this.shared = opts.shared ?? new SharedLayers();
    }
    /** Starts looking for blobs being written. */
    start() {
        this.looking ??= this.look();
    }
    /** The writer is done (buildx has exited): one last look, then every layer read to its end. */
    async end() {
        this.ended = true;
        await this.looking;
        await Promise.allSettled(this.reading);
    }
    /** The layer of `digest`, when one was seen being written. */
    early(digest) {
        return this.layers.get(digest);
    }
    async look() {
        for (;;) {
            const last = this.ended;
            await this.scan();
            if (last)
                return;
            await sleep(POLL_MS);
        }
    }
    /** New blobs under ingest/: each layer among them is followed. */
    async scan() {
        const ingest = (0,external_node_path_namespaceObject.join)(this.dir, 'ingest');
        const ids = await (0,promises_namespaceObject.readdir)(ingest).catch(() => []);
        for (const id of ids) {
            if (this.seen.has(id))
                continue;
            const [ref, total] = await Promise.all(['ref', 'total'].map((f) => (0,promises_namespaceObject.readFile)((0,external_node_path_namespaceObject.join)(ingest, id, f), 'utf8').catch(() => undefined)));
            // Written as the blob is opened; a later look finds them.
            if (ref === undefined || total === undefined)
                continue;
            this.seen.add(id);
            const digest = LAYER_REF.exec(ref.trim())?.[1];
            const size = Number(total.trim());
            if (!digest || !Number.isSafeInteger(size) || size <= 0)
                continue;
            if (this.shared.find(`sha256:${digest}`, size, this.opts.files === true))
                continue;
            const handle = await (0,promises_namespaceObject.open)((0,external_node_path_namespaceObject.join)(ingest, id, 'data'), external_node_fs_namespaceObject.constants.O_RDONLY | (external_node_fs_namespaceObject.constants.O_NOFOLLOW ?? 0)).catch(() => undefined);
            if (handle)
                this.follow(handle, `sha256:${digest}`, size);
        }
    }
    follow(handle, digest, size) {
        this.budget ??= new MeasureBudget(this.opts.limits);
        const ctx = { files: this.opts.files === true, budget: this.budget, target: this.opts.target };
        const done = (async () => {
            await this.turn();
            try {
                const head = await this.readAt(handle, 0, Math.min(SNIFF, size));
                const compression = layerCompressionOf(head);
                if (compression === undefined)
                    return undefined;
                const desc = { mediaType: LAYER_MEDIA_TYPE[compression], digest, size, annotations: {} };
                const source = external_node_stream_namespaceObject.Readable.from(this.chunks(handle, head, size), { objectMode: false, highWaterMark: READ_CHUNK });
                const sizes = measureLayerStream(source, desc, '', ctx);
                sizes.catch(() => undefined);
                const layer = { size, compression, sizes };
                this.layers.set(digest, layer);
                this.shared.add(digest, size, compression, ctx.files, sizes);
                await sizes.catch(() => undefined);
                return layer;
            }
            finally {
                await handle.close().catch(() => undefined);
                this.release();
            }
        })();
        this.reading.push(done.catch(() => undefined));
    }
    /** Resolves when this layer may be read: at once while fewer than {@link FOLLOWED_AT_ONCE} are, else when one ends. */
    async turn() {
        if (this.active < FOLLOWED_AT_ONCE) {
            this.active++;
            return;
        }
        await new Promise((resolve) => this.waiting.push(resolve));
    }
    /** A layer's reading ended: its turn goes to the first waiting, if any. */
    release() {
        const next = this.waiting.shift();
        if (next)
            next();
        else
            this.active--;
    }
    /** The blob's bytes, `head` first, then as they are written, up to `size`. */
    async *chunks(handle, head, size) {
        yield head;
        let at = head.length;
        while (at < size) {
            const chunk = await this.readAt(handle, at, Math.min(READ_CHUNK, size - at));
            at += chunk.length;
            yield chunk;
        }
    }
    /** Exactly `length` bytes at `at`, waiting for the writer as long as it runs. */
    async readAt(handle, at, length) {
        const buf = Buffer.allocUnsafe(length);
        let got = 0;
        while (got < length) {
            const { bytesRead } = await handle.read(buf, got, length - got, at + got);
            got += bytesRead;
            if (bytesRead > 0)
                continue;
            if (this.ended)
                throw new Error(`the blob ended at ${at + got} bytes, before the size its writer announced`);
            await sleep(POLL_MS);
        }
        return buf;
    }
}
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

;// CONCATENATED MODULE: ./src/pipeline/export-room.ts
// Where a target's image is exported, decided when its build starts. Into an OCI layout directory
// under the run's temp folder when the disk has room: buildx writes a directory about twice as fast
// as a tar (BuildKit's tar export costs twice the CPU, in the engine and in buildx), and the folder is
// removed as soon as the image is measured. Otherwise as a tar on buildx's stdout, measured while it
// is written, which needs no disk at all.
// "Room" is START_FREE of free space on the temp folder's file system for every directory export
// running at once, this one included (most images are far smaller). The size of an image is not known
// before its export, so the room is watched while directory exports run: when the free space falls
// under KEEP_FREE (a large image, or other writers on the same disk), every directory export that is
// writing its folder at that moment is told to stop (its slot's `low` signal), and side.ts builds it
// again as a stream. A build still solving, or whose folder is complete, is left alone: it adds
// nothing to the disk, and stopping it would cost its steps. No folder of ours fills the disk, which
// would fail other writers (BuildKit's own steps share that disk on GitHub-hosted runners).

const ROOM_LIMITS = { startFree: 4 * 1024 ** 3, keepFree: 2 * 1024 ** 3, watchMs: 200 };
/** The decision alone: `free` bytes on the file system, `running` directory exports already under way. */
function exportKind(free, running, startFree = ROOM_LIMITS.startFree) {
    return free >= startFree * (running + 1) ? 'directory' : 'stream';
}
/** Free bytes for an unprivileged writer of the file system holding `dir`. */
async function freeBytes(dir) {
    const s = await (0,promises_namespaceObject.statfs)(dir);
    return s.bavail * s.bsize;
}
/**
 * The run's directory exports, shared by head and base. `free` reads the free space (freeBytes of the
 * temp folder in production); a file system that cannot say streams.
 */
class ExportRoom {
    free;
    limits;
    /** Each directory export running: its `low` signal, and whether it is writing its folder now. */
    running = new Map();
    timer;
    checking = false;
    constructor(free, limits = ROOM_LIMITS) {
        this.free = free;
        this.limits = limits;
    }
    /** `writing` says whether a directory export is writing its folder now (only those are stopped when short of room). */
    async take(writing = async () => true) {
        const free = await this.free().catch(() => 0);
        const kind = exportKind(free, this.running.size, this.limits.startFree);
        if (kind === 'stream')
            return { kind, release: () => undefined };
        const low = new AbortController();
        this.running.set(low, writing);
        this.timer ??= setInterval(() => void this.check(), this.limits.watchMs).unref();
        return {
            kind,
            low: low.signal,
            release: () => {
                this.running.delete(low);
                if (this.running.size === 0 && this.timer) {
                    clearInterval(this.timer);
                    this.timer = undefined;
                }
            }
        };
    }
    /** Short of free space: every directory export writing its folder is told to stop. A reading that fails changes nothing. */
    async check() {
        if (this.checking)
            return;
        this.checking = true;
        try {
            const free = await this.free().catch(() => undefined);
            if (free === undefined || free >= this.limits.keepFree)
                return;
            for (const [low, writing] of this.running) {
                if (!low.signal.aborted && (await writing().catch(() => false)))
                    low.abort();
            }
        }
        finally {
            this.checking = false;
        }
    }
}

;// CONCATENATED MODULE: ./src/pipeline/side.ts
// Build and measure every target of one side (head or base). The targets build side by side (at most
// MAX_PARALLEL_BUILDS at once) on the one BuildKit, each in its own log group. Two paths, chosen from
// what the builder can do (passed in as `measure`):
// - `oci-layout`: buildx exports an OCI layout, every number exact: into a directory when the disk
//   has room (each layer measured as it is written, image/layout-follow.ts), or as a tar into a pipe,
//   measured while it is written and never on disk (export-room.ts decides, per build). A directory
//   export that fills the disk is done again as a stream;
// - `docker-save`: the builder can only load images (the `docker` driver on the classic image store):
//   the image is loaded under a temporary tag, `docker save` is streamed into the measurer (compressed
//   sizes are gzip estimates), and the tag is removed afterwards, whatever happened.
// A failed build is a result, not an exception. A build that failed only because of its cache is
// built again without cache; one that met a registry's pull limit or a 5xx is retried, a bounded
// number of times, with growing waits.





















/** Two retries: Docker Hub's limits and a registry's 5xx often pass within a minute. */
const REGISTRY_RETRY_DELAYS_MS = [10_000, 30_000];
/**
 * Checks, before any build, that the request can be measured: loading into the classic image store
 * takes one platform at a time (RELIABILITY row 18), never buildx's raw "docker exporter does not
 * currently support exporting manifest lists".
 */
function checkSideRequest(req) {
    if (req.measure === 'docker-save' && req.platforms.length > 1) {
        throw new InputError(INPUT.platforms, req.platforms.join(','), 'one platform', {
            problem: 'cannot be measured at once: the builder uses the classic image store, which loads one platform at a time',
            hint: 'measure one platform at a time (one platform per job, e.g. a matrix), or turn on the containerd image store ' +
                '({"features":{"containerd-snapshotter":true}} in daemon.json) or use a docker-container builder'
        });
    }
}
/**
 * The cache as the job's token allows it (RELIABILITY row 14): a runner that hands out a read-only
 * Actions cache token says so in ACTIONS_CACHE_MODE; the export is then left out rather than
 * refused. Only the gha cache depends on that token.
 */
function cacheAllowed(deps, req) {
    const access = req.cache.type === 'gha' ? actionsCacheAccess(deps.env) : { read: true, write: true };
    const mode = `ACTIONS_CACHE_MODE=${access.mode ?? ''}`;
    // Said once: the base side is built with the same token, after the head.
    const say = (message) => {
        if (req.side === 'head')
            deps.log.warning(message);
    };
    if (!access.read && !access.write) {
        say(`cache: this job's token may not use the Actions cache (${mode}): building without cache.`);
        return { cache: { type: 'none' }, cacheExport: false, readCache: false };
    }
    if (!access.write && req.cacheExport) {
        say(`cache: this job's token may only read the Actions cache (${mode}): the cache is read, not written (no --cache-to).`);
    }
    if (!access.read)
        say(`cache: this job's token may only write the Actions cache (${mode}): the cache is written, not read.`);
    return { cache: req.cache, cacheExport: req.cacheExport && access.write, readCache: access.read };
}
/**
 * Targets built at once: their builds run side by side on the one BuildKit, whose solver runs
 * independent stages in parallel and a stage they share once. Past this many, the others wait.
 */
const MAX_PARALLEL_BUILDS = 4;
/**
 * Builds and measures every target of the side, side by side. Each target keeps its log group, in
 * target order: the first target's build log is shown live; the others' is kept (DeferredLog) and
 * shown in their group when its turn comes. A failed target does not stop the others.
 */
async function buildSide(deps, req) {
    checkSideRequest(req);
    const allowed = cacheAllowed(deps, req);
    const gate = deps.gate ?? new Gate(MAX_PARALLEL_BUILDS);
    deps = deps.exports ? deps : { ...deps, exports: new ExportRoom(() => freeBytes(deps.tmpDir)) };
    const title = (t) => `Build ${req.side} target ${t.name}`;
    const [first, ...rest] = req.targets;
    if (!first)
        return [];
    const firstDone = deps.log.group(title(first), () => gate.run(() => oneTarget(deps, req, allowed, 0)));
    const kept = rest.map(() => new DeferredLog(deps.log));
    const others = rest.map((_, j) => gate.run(() => oneTarget({ ...deps, log: kept[j] }, req, allowed, j + 1)));
    // Awaited in order below; a rejection meanwhile is not an unhandled one.
    for (const o of others)
        o.catch(() => undefined);
    const out = [{ target: first.name, results: await firstDone }];
    for (const [j, target] of rest.entries()) {
        const results = await deps.log.group(title(target), async () => {
            try {
                return await others[j];
            }
            finally {
                await kept[j]?.replay(deps.log);
            }
        });
        out.push({ target: target.name, results });
    }
    return out;
}
/** Runs at most `max` tasks at a time, the others in the order they came. */
class Gate {
    max;
    running = 0;
    waiting = [];
    constructor(max) {
        this.max = max;
    }
    async run(task) {
        if (this.running >= this.max)
            await new Promise((resolve) => this.waiting.push(resolve));
        this.running++;
        try {
            return await task();
        }
        finally {
            this.running--;
            this.waiting.shift()?.();
        }
    }
}
/** One target: its plan, its build and measurement, and the cleanup of what the build left. */
async function oneTarget(deps, req, allowed, i) {
    const target = req.targets[i];
    const load = req.measure === 'docker-save';
    const dir = external_node_path_default().join(deps.tmpDir, `${req.side}-${i}`);
    await (0,promises_namespaceObject.mkdir)(dir, { recursive: true });
    const slot = load ? undefined : await deps.exports.take(() => writingFolder(external_node_path_default().join(dir, 'layout')));
    const plan = {
        context: req.context,
        file: req.dockerfile,
        stage: target.stage,
        platforms: req.platforms,
        buildArgs: req.buildArgs,
        network: req.network,
        builder: req.builder,
        cache: allowed.cache,
        cacheScopes: readScopes(cacheScopesFor(req.commentKey, req.side, target.name, req.platforms), allowed.readCache),
        // The classic store refuses cache export: cache-from only there.
        cacheExport: allowed.cacheExport && !load,
        ...(req.cacheMode ? { cacheMode: req.cacheMode } : {}),
        outputDir: external_node_path_default().join(dir, 'layout'),
        metadataFile: external_node_path_default().join(dir, 'metadata.json'),
        ...(req.build ? { build: req.build } : {}),
        ...(load ? { load: { tag: loadTag(req.commentKey, req.side, target.name, (0,external_node_crypto_namespaceObject.randomBytes)(6).toString('hex')) } } : {}),
        ...(slot?.kind === 'stream' ? { stream: EXPORT_STDOUT } : {})
    };
    try {
        return await buildAndMeasure(deps, req, target.name, plan, slot?.low);
    }
    finally {
        // A loaded image goes, even when the build or the measurement failed; so does the build's folder.
        if (plan.load)
            await removeImage(deps, plan.load.tag, req.secrets);
        await (0,promises_namespaceObject.rm)(dir, { recursive: true, force: true });
        slot?.release();
    }
}
/** Whether buildx is writing blobs into a layout folder now: its content store's ingest/ holds one. */
async function writingFolder(layout) {
    return (await (0,promises_namespaceObject.readdir)(external_node_path_default().join(layout, 'ingest')).catch(() => [])).length > 0;
}
const readScopes = (scopes, read) => (read ? scopes : { ...scopes, from: [] });
/** `low`: aborted when the disk runs short during a directory export (export-room.ts), which then streams. */
async function buildAndMeasure(deps, req, target, plan, low) {
    const output = deps.log.output?.bind(deps.log);
    const onWarning = (m) => deps.log.warning(m);
    const measureOptions = { target, secrets: req.secrets, onWarning, files: req.files === true, ...(deps.layers ? { shared: deps.layers } : {}) };
    // The export of the last build attempt that streamed, measured while buildx writes it.
    let exported;
    const options = {
        secrets: req.secrets,
        env: deps.env,
        // buildx/build.ts masks the log (secretMasker, a value split across chunks too) before onLog.
        ...(output ? { onLog: output } : {}),
        ...(low ? { signal: low } : {}),
        onExport: (stream) => {
            exported = measureExport(stream, measureOptions);
            // A failed attempt's export is cut short: its measurement's failure is not this target's.
            exported.catch(() => undefined);
        }
    };
    // A folder export is followed as buildx writes it: each layer is measured as it lands.
    const follower = plan.load === undefined && plan.stream === undefined ? new LayoutFollower(plan.outputDir, measureOptions) : undefined;
    follower?.start();
    let built;
    try {
        built = await buildTarget(deps, req, target, plan, options, follower);
    }
    finally {
        await follower?.end();
    }
    // With ignore-error=true a failed export is only a line of the log: a warning, and the image counts.
    for (const problem of built.cacheProblems)
        deps.log.warning(`cache (${req.side} ${target}): ${withCacheHint(problem)}`);
    if (!built.ok) {
        deps.log.warning(`${req.side} build of ${target} failed: ${built.error}`);
        return [{ platform: ANY_PLATFORM, result: { state: 'failed', error: built.detail } }];
    }
    try {
        const images = plan.load
            ? await measureLoaded(deps, plan.load.tag, { ...measureOptions, ...(req.platforms[0] !== undefined ? { platform: req.platforms[0] } : {}) })
            : built.streamed
                ? await (exported ?? Promise.reject(new Error('buildx wrote no image to the export stream')))
                : await measureOciLayout(built.layoutDir, measureOptions, follower);
        return images.map((image) => ({ platform: image.platform, result: { state: 'measured', image: maskImagePaths(image, req.secrets) } }));
    }
    catch (e) {
        const message = maskSecrets(errorMessage(e), req.secrets);
        return [{ platform: ANY_PLATFORM, result: { state: 'failed', error: `measurement failed: ${message}` } }];
    }
}
/** What a build's file system write says when the disk is full (ENOSPC). */
const NO_SPACE = /no space left on device/i;
/**
 * The build, and the builds again that some failures call for: without cache when only the cache
 * failed it; as a stream when its export to a directory filled the disk, or was stopped because the
 * disk ran short (options.signal). `streamed` says whether the last attempt exported to the stream.
 */
async function buildTarget(deps, req, target, plan, options, follower) {
    const what = `${req.side} build of ${target}`;
    let built = await buildRetryingRegistry(deps, what, plan, options);
    // A build stopped for room (below) may read like a cache failure; it is not one.
    const stopped = () => options.signal?.aborted === true;
    if (!built.ok && !stopped() && plan.cache.type !== 'none' && isCacheFailure(built.error, built.cacheProblems)) {
        // A cache backend that cannot be set up, or a BuildKit that failed the build on a cache export it
        // was told to ignore, must not cost the build (RELIABILITY rows 11, 12, 14).
        deps.log.warning(`cache: ${withCacheHint(built.error)}; building ${target} again without cache.`);
        plan = { ...plan, cache: { type: 'none' } };
        built = await buildRetryingRegistry(deps, what, plan, options);
    }
    const toDirectory = plan.load === undefined && plan.stream === undefined;
    if (!built.ok && toDirectory && (stopped() || NO_SPACE.test(`${built.error}\n${built.detail}`))) {
        const why = stopped() ? 'the disk ran short of free space' : 'the disk filled up';
        deps.log.info(`${what}: ${why} while the image was written to ${plan.outputDir}; building again, measured as it is exported (nothing written to disk).`);
        // The layers followed in the folder will not be finished: their measurements end (and are
        // forgotten by the run's SharedLayers) before the stream, which could otherwise wait for them.
        await follower?.end();
        await (0,promises_namespaceObject.rm)(plan.outputDir, { recursive: true, force: true });
        plan = { ...plan, stream: EXPORT_STDOUT };
        const { signal: _stopped, ...again } = options;
        built = await buildRetryingRegistry(deps, what, plan, again);
    }
    return { ...built, streamed: plan.stream !== undefined };
}
/**
 * Measures an export stream as buildx writes it. The measurement's clock starts with the first
 * bytes (BuildKit exports once the build is solved). A measurement that fails still reads the
 * stream to its end, so that buildx is never blocked on a full pipe.
 */
async function measureExport(raw, opts) {
    await firstBytes(raw);
    const feed = new external_node_stream_namespaceObject.PassThrough();
    raw.pipe(feed);
    try {
        return await measureOciStream(feed, opts);
    }
    catch (e) {
        raw.unpipe(feed);
        raw.resume();
        throw e;
    }
}
/** Resolves when `stream` has bytes to read (kept for the reader) or has ended. */
function firstBytes(stream) {
    return new Promise((resolve) => {
        const done = () => {
            stream.off('data', onData);
            stream.off('end', done);
            stream.off('error', done);
            resolve();
        };
        const onData = (chunk) => {
            stream.pause();
            stream.unshift(chunk);
            done();
        };
        stream.on('data', onData);
        stream.once('end', done);
        stream.once('error', done);
    });
}
/**
 * Runs the build; after a transient registry error (a pull limit, a registry's 5xx) waits and builds
 * again, once per entry of the delays. When the last attempt fails the same way, the failure says so.
 */
async function buildRetryingRegistry(deps, what, plan, options) {
    const delays = deps.registryRetryDelaysMs ?? REGISTRY_RETRY_DELAYS_MS;
    const sleep = deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    let built = await runBuild(deps.exec, plan, options);
    for (const [i, ms] of delays.entries()) {
        if (built.ok || !isTransientRegistryError(built.error))
            return built;
        deps.log.warning(`${what}: transient registry error; building again in ${seconds(ms)} (retry ${i + 1} of ${delays.length}): ${built.error}`);
        await sleep(ms);
        built = await runBuild(deps.exec, plan, options);
    }
    if (built.ok || !isTransientRegistryError(built.error))
        return built;
    const attempts = `${delays.length + 1} attempt${delays.length === 0 ? '' : 's'}`;
    const verdict = `transient registry error: the registry refused or failed every one of ${attempts} (rate limit or 5xx); ` +
        're-run the job later, or log in to the registry (docker/login-action) for a higher pull limit.';
    return { ...built, error: `transient registry error (${attempts}): ${built.error}`, detail: `${built.detail}\n${verdict}` };
}
const seconds = (ms) => `${Math.round(ms / 100) / 10}s`;
const side_lastLine = (s) => s
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .pop() ?? '';
/**
 * Streams `docker save <tag>` into the measurer: one pass, no file written, no layer in memory. The
 * classic store's save by default (measureDockerSave); the containerd store's holds the stored,
 * compressed layers, read as an OCI export (`measureOciStream`).
 */
async function measureLoaded(deps, tag, opts, measure = measureDockerSave) {
    const run = (deps.streamExec ?? spawnStream)('docker', ['save', '--', tag], { env: deps.env });
    const measured = measure(run.stdout, opts);
    // A measurement that gives up closes the pipe; make sure `docker save` does not linger either way.
    measured.catch(() => run.kill());
    const [m, d] = await Promise.allSettled([measured, run.done]);
    if (d.status === 'rejected')
        throw d.reason;
    // A measurement that failed on what it read closed the pipe: docker save's own failure (a broken
    // pipe) follows from it. Only a stream that ended early is better explained by docker save.
    const truncated = m.status === 'rejected' && m.reason instanceof ArchiveError && m.reason.truncated;
    if (m.status === 'rejected' && !truncated)
        throw m.reason;
    if (d.value.code !== 0) {
        throw new Error(`docker save ${tag} failed (exit code ${d.value.code}): ${side_lastLine(d.value.stderr) || 'no message'}`);
    }
    if (m.status === 'rejected')
        throw m.reason;
    return m.value;
}
/** `docker image rm <tag>`; a tag that was never created (failed build) is not a problem. */
async function removeImage(deps, tag, secrets) {
    try {
        const r = await deps.exec('docker', ['image', 'rm', tag], { env: deps.env });
        if (r.code !== 0 && !/no such image/i.test(r.stderr)) {
            deps.log.warning(`Could not remove the temporary image ${tag}: ${maskSecrets(side_lastLine(r.stderr), secrets) || `exit code ${r.code}`}`);
        }
    }
    catch (e) {
        deps.log.warning(`Could not remove the temporary image ${tag}: ${errorMessage(e)}`);
    }
}

;// CONCATENATED MODULE: ./src/pipeline/given-images.ts
// Step 4 with `images`: the head is not built. Each target's image, built by an earlier step, is
// measured where it is: an image of the engine (the `imageid` of docker/build-push-action, or a
// name) through `docker save`, streamed (the containerd store's saves hold the stored, compressed
// layers: measured as an OCI export is; the classic store's hold uncompressed layers: measured as
// measureLoaded does, compressed sizes estimated); otherwise, when the value is a registry
// reference, in its registry, never pulled. What cannot be measured is that target's failure.









async function measureGivenImages(deps, req) {
    const out = [];
    for (const [target, image] of req.images) {
        const results = await deps.log.group(`Measure head target ${target}: ${image} (not built)`, async () => {
            const options = {
                target,
                secrets: req.secrets,
                onWarning: (m) => deps.log.warning(m),
                files: req.files,
                ...(deps.layers ? { shared: deps.layers } : {})
            };
            try {
                const images = await measureOne(deps, image, options, req.platforms);
                deps.log.info(`${target}: ${image} measured (${images.map((i) => `${i.platform} ${i.digest}`).join(', ')}).`);
                return images.map((i) => ({ platform: i.platform, result: measured(i, req.secrets) }));
            }
            catch (e) {
                const message = maskSecrets(errorMessage(e), req.secrets);
                deps.log.warning(`${target}: ${image} could not be measured: ${message}`);
                return [{ platform: ANY_PLATFORM, result: { state: 'failed', error: `measurement of ${image} failed: ${message}` } }];
            }
        });
        out.push({ target, results });
    }
    return out;
}
function measured(image, secrets) {
    return { state: 'measured', image: maskImagePaths(image, secrets) };
}
/** An image of the engine when docker knows it, else one of its registry. */
async function measureOne(deps, image, options, platforms) {
    const inspect = await deps.exec('docker', ['image', 'inspect', '--format', '{{.Id}}', '--', image], { env: deps.env });
    if (inspect.code === 0)
        return measureEngineImage(deps, image, options);
    const why = inspect.stderr.trim().split('\n').pop() ?? `exit code ${inspect.code}`;
    if (isLocalImageId(image) || !isRegistryReference(image))
        throw new Error(`not an image of the engine (docker: ${why})`);
    const wanted = platforms.length ? platforms : [undefined];
    return Promise.all(wanted.map((platform) => measureRegistryImage(image, {
        ...options,
        files: options.files === true,
        ...(platform !== undefined ? { platform } : {}),
        client: { env: deps.env }
    })));
}
/** `docker save` streamed into the measurement that fits the engine's image store. */
async function measureEngineImage(deps, image, options) {
    const classic = (await probeImageStore(deps.exec, deps.env)) === 'classic';
    return measureLoaded(deps, image, options, classic ? undefined : measureOciStream);
}

;// CONCATENATED MODULE: ./src/pipeline/run.ts
// The pipeline of one image up to publishing, shared by the action (main.ts), the images of a config
// file (config-images.ts) and the command line (cli/), in five steps, each with its own home:
//   1. plan (plan.ts) ─► 2. baseline (baseline/choose.ts) ─► 3. engine: builder and cache
//   (buildx/probe.ts, buildx/cache.ts) ─► 4. build and measure head and base, side by side (side.ts)
//   ─► 5. compare and judge (report/compare.ts, report/policy.ts): an Outcome
// Inputs arrive parsed and the event read; publishing (comment, summary, outputs) is the caller's.




























/** The budgets as understood, normalised (RELIABILITY row 1): `max-increase 10%; max-size release=25 MB`. */
function describeBudgets(inputs) {
    const parts = [];
    const each = (name, v, show) => {
        const items = [...(v.fallback !== undefined ? [show(v.fallback)] : []), ...[...v.byTarget].map(([t, x]) => `${t}=${show(x)}`)];
        if (items.length)
            parts.push(`${name} ${items.join(', ')}`);
    };
    each(INPUT.maxIncrease, inputs.budgets.maxIncrease, formatThreshold);
    each(INPUT.maxSize, inputs.budgets.maxSize, formatThreshold);
    each(INPUT.maxLayers, inputs.budgets.maxLayers, String);
    if (inputs.budgets.maxWasted)
        each(INPUT.maxWasted, inputs.budgets.maxWasted, formatThreshold);
    return parts.length ? `Budgets (${inputs.metric} size): ${parts.join('; ')}` : `No budgets set (${inputs.metric} size is reported).`;
}
/**
 * Plans, builds and measures the head and its baseline, compares and judges: everything up to
 * publishing. `cleanups` collects what the caller must undo (base checkout, temp folder) whatever
 * happens. A config file's images come with their plan made (config-images.ts plans them all first).
 */
async function measureAndCompare(deps, inputs, event, cleanups, made) {
    const { env, log } = deps;
    const budgetsLine = describeBudgets(inputs);
    log.info(budgetsLine);
    // One image per call: a config file's images are each given their own Inputs (pipeline/config-images.ts).
    if (inputs.config)
        throw new Error(`measureAndCompare measures one image; the images of ${inputs.config} go through measureImages`);
    // 1. Plan: refusals, paths, settings, stages, targets; nothing built or checked out yet.
    const plan = made ?? (await makePlan(env, inputs, event));
    if (plan.trust.warning)
        log.warning(plan.trust.warning);
    // Build secrets (inline, from the environment, the content of secret files) are hidden in the job's log.
    for (const value of plan.headSettings.masks)
        log.mask?.(value);
    const tmpDir = await runTempDir(env, deps.saveState, cleanups);
    // 2. Baseline: a stored report, the base commit checked out, or none (with the reason).
    const { baseline, notes: baselineNotes } = await chooseBaseline({
        mode: inputs.baseline,
        baseRef: inputs.baseRef,
        eventBase: event.baseSha,
        event: event.event,
        repository: event.repo ? `${event.repo.owner}/${event.repo.name}` : undefined,
        commentKey: inputs.commentKey,
        name: inputs.name,
        headTargets: plan.headTargets,
        workspace: plan.workspace,
        tmpDir,
        store: deps.baselines,
        exec: deps.exec,
        log,
        cleanups,
        ...(inputs.baseImage
            ? {
                baseImage: {
                    images: inputs.baseImage,
                    platforms: inputs.platforms,
                    files: wantsFiles(inputs),
                    secrets: buildMasks(inputs.buildArgs, tokenMasks(env, inputs.githubToken)),
                    env
                }
            }
            : {})
    });
    const notes = [budgetsLine, ...baselineNotes];
    const history = await historyOf(deps, inputs, event, plan.workspace, tmpDir);
    const base = baseline.kind === 'checkout' ? await baseSide(plan, baseline.checkout.dir) : undefined;
    const targets = planTargets(plan.headStages, base?.stages, inputs.targets, plan.fileLabel);
    // 3. Engine: the builder probed once, the measurement method and the cache decided.
    const { request, sideDeps: engineDeps } = await engine(deps, plan, event, tmpDir, notes);
    const sideDeps = sharingLayers(engineDeps, targets.head.length + (base ? targets.head.length + targets.removed.length : 0));
    // 4. Build and measure the head and, when the base must be built, the base beside it: one
    // BuildKit solves both, each side's log kept in its groups (the base's shown after the head's).
    // With `images`, the head was built by an earlier step: measured, not built.
    const given = inputs.images ? imagesPerTarget(INPUT.images, inputs.images, targets.head.map((t) => t.name)) : undefined;
    const baseLog = new DeferredLog(log);
    const [headDone, baseDone] = await Promise.allSettled([
        given
            ? measureGivenImages(sideDeps, { images: given, platforms: inputs.platforms, secrets: request.secrets, files: request.files === true })
            : buildSide(sideDeps, { ...request, side: 'head', context: plan.context, dockerfile: plan.dockerfile, targets: targets.head }),
        baseResultsOf(baseline, base, targets, notes, (build, side) => buildSide({ ...sideDeps, log: baseLog }, { ...request, build: side.build, side: 'base', context: side.context, dockerfile: side.dockerfile, targets: build }))
    ]);
    await baseLog.replay(log);
    if (headDone.status === 'rejected')
        throw headDone.reason;
    if (baseDone.status === 'rejected')
        throw baseDone.reason;
    const [head, baseResults] = [headDone.value, baseDone.value];
    // 5. Compare and judge: pure.
    return { ...judged(inputs, event, env, { head, baseResults, baseline, notes, history }), dockerfile: plan.source };
}
/**
 * `details: trend` on a change under review (pull request, merge queue): the reports stored by the
 * base commit and its recent ancestors, newest first; none elsewhere, without a store, or with
 * `baseline: none` (no stored report is read then).
 */
async function historyOf(deps, inputs, event, workspace, tmpDir) {
    const store = deps.baselines;
    const baseSha = event.baseSha;
    const wanted = inputs.details.includes('trend') && inputs.baseline !== 'none' && (event.pullRequest || event.mergeGroup);
    if (!wanted || !store || !event.repo || !baseSha || !isFullSha(baseSha))
        return [];
    const repository = `${event.repo.owner}/${event.repo.name}`;
    return deps.log.group(`Look up the size history of ${baseSha.slice(0, 12)}`, () => storedHistory({ store, repository, commentKey: inputs.commentKey, log: deps.log, baseSha, repoDir: workspace, tmpDir, exec: deps.exec }));
}
/** The run's own temp folder (image layouts, the base checkout), removed by the caller's cleanups or the post step. */
async function runTempDir(env, saveState, cleanups) {
    const tmpRoot = external_node_path_default().resolve(env.RUNNER_TEMP || external_node_os_default().tmpdir());
    await (0,promises_namespaceObject.mkdir)(tmpRoot, { recursive: true });
    const tmpDir = await (0,promises_namespaceObject.mkdtemp)(external_node_path_default().join(tmpRoot, 'image-budget-'));
    saveState?.(STATE.tmpDir, tmpDir);
    cleanups.push(() => (0,promises_namespaceObject.rm)(tmpDir, { recursive: true, force: true }));
    return tmpDir;
}
async function baseSide(plan, dir) {
    const context = await resolveInsideIfExists(dir, plan.contextRel, INPUT.context, 'directory');
    const dockerfile = await resolveInsideIfExists(dir, plan.fileRel, INPUT.file, 'file');
    const stages = dockerfile ? await readStages(dockerfile) : undefined;
    return { context, dockerfile, stages, build: context && dockerfile ? (await plan.settingsAt(dir, 'base')).plan : undefined };
}
/**
 * A layer blob is read once per run when the run measures more than one image (`images`, about):
 * they share one SharedLayers. With one, there is nothing to share, and its layers' file lists need
 * not outlive its measurement.
 */
function sharingLayers(sideDeps, images) {
    return images > 1 ? { ...sideDeps, layers: new SharedLayers() } : sideDeps;
}
/** Probes the builder, picks the measurement method and the cache; notes what the comment must say. */
async function engine(deps, plan, event, tmpDir, notes) {
    const { env, exec, log } = deps;
    const { inputs, trust } = plan;
    // The docker client's environment: no token of ours; for a stranger's build no Actions runtime either.
    const clientEnv = dockerClientEnv(env, { untrusted: trust.untrusted !== undefined });
    const caps = await (deps.probe ?? ((builder) => probeBuilder(exec, builder, clientEnv)))(inputs.builder);
    // The classic image store cannot export an OCI layout: images are loaded and read with docker save,
    // uncompressed sizes stay exact and compressed sizes are gzip estimates, labelled as such.
    // (buildSide refuses what that method cannot measure, several platforms, before the first build.)
    const measure = caps.ociExport ? 'oci-layout' : 'docker-save';
    if (measure === 'docker-save') {
        log.info(`The builder "${caps.builder.name}" uses the docker driver with the classic image store: images are loaded and read ` +
            'with docker save; compressed sizes are gzip estimates (marked ≈). The containerd image store or a ' +
            'docker-container builder gives exact compressed sizes.');
        notes.push('Compressed sizes marked ≈ are estimates: the builder (classic image store) cannot export the pushed layers.');
    }
    const cache = decideCache({
        requested: inputs.cache,
        realWorkspace: plan.realWorkspace,
        runtime: hasActionsRuntime(env),
        untrusted: trust.untrusted,
        exportAllowed: trust.exportCache,
        exportNote: trust.cacheNote,
        builderName: caps.builder.name,
        builderCanExport: caps.cacheExport,
        mode: cacheExportMode(event)
    });
    for (const line of cache.info)
        log.info(line);
    for (const line of cache.warnings)
        log.warning(line);
    notes.push(...cache.notes);
    const request = {
        platforms: inputs.platforms,
        buildArgs: inputs.buildArgs,
        network: inputs.network,
        builder: inputs.builder,
        cache: cache.cache,
        cacheExport: cache.cacheExport,
        cacheMode: cache.cacheMode,
        commentKey: inputs.commentKey,
        // Every value masked in what the builds write (pipeline/masks.ts): build-arg values, build secrets, the job's tokens.
        secrets: [...buildMasks(inputs.buildArgs, tokenMasks(env, inputs.githubToken)), ...plan.headSettings.masks],
        build: plan.headSettings.plan,
        measure,
        // File lists cost a tar parse of every layer: only when they are shown, judged or explained (advice).
        files: wantsFiles(inputs)
    };
    // One limit on builds at once for the run: head and base build side by side under it.
    return { request, sideDeps: { exec, log, tmpDir, env: clientEnv, gate: new Gate(MAX_PARALLEL_BUILDS), exports: new ExportRoom(() => freeBytes(tmpDir)) } };
}
/** The base side of every row: read from the stored report, built from the checkout, or why there is none. */
async function baseResultsOf(baseline, base, targets, notes, build) {
    const all = [...targets.head, ...targets.removed];
    if (baseline.kind === 'stored') {
        const sha = baseline.found.sha.slice(0, 12);
        const missing = baseline.base.missing.map((t) => only(t, { state: 'unavailable', reason: `not in the stored baseline of ${sha}` }));
        return [...baseline.base.results, ...missing];
    }
    if (baseline.kind === 'image')
        return baseline.results;
    if (baseline.kind === 'unavailable')
        return targets.head.map((t) => only(t.name, { state: 'unavailable', reason: baseline.reason }));
    // The base commit has no such context or Dockerfile: every target is new.
    if (!base?.context || !base.dockerfile)
        return all.map((t) => only(t.name, { state: 'absent' }));
    const { build: buildable, absent } = baseTargets(base.stages, all);
    const built = await build(buildable, { ...base, context: base.context, dockerfile: base.dockerfile });
    for (const t of built) {
        if (t.results.some((r) => r.result.state === 'failed'))
            notes.push(`The base build of ${t.target} failed; it is not compared.`);
    }
    return [...built, ...absent.map((t) => only(t.name, { state: 'absent' }))];
}
/** Step 5: rows joined, compared and judged into the Outcome, with the head builds that failed. */
function judged(inputs, event, env, sides) {
    const { head, baseResults, baseline, notes, history } = sides;
    const rows = joinSides(head, baseResults);
    // Growth is judged where a change is under review (pull request, merge queue) or a base was named
    // explicitly; after the fact (push, schedule) only absolute budgets fail (RELIABILITY row 29).
    const judgeGrowth = Boolean(event.pullRequest || event.mergeGroup || inputs.baseRef);
    const budgets = judgeGrowth ? inputs.budgets : { ...inputs.budgets, maxIncrease: { byTarget: new Map() } };
    if (!judgeGrowth && (inputs.budgets.maxIncrease.fallback || inputs.budgets.maxIncrease.byTarget.size)) {
        notes.push(`max-increase is judged on pull requests; on ${event.event || 'this event'} the growth is shown, not judged.`);
    }
    // `name` labels every row, so that reports merged from matrix jobs keep their images apart.
    const labelled = inputs.name === undefined ? rows : rows.map((r) => ({ ...r, image: inputs.name }));
    const outcome = buildOutcome({
        metric: inputs.metric,
        rows: withHistory(judge(compare_compare(labelled), budgets, inputs.metric), history, inputs.name),
        head: { sha: event.headSha ?? env.GITHUB_SHA ?? 'unknown', ...(event.ref ? { ref: event.ref } : {}) },
        ...baseOf(inputs, baseline),
        notes
    });
    const headFailures = head.flatMap((t) => t.results.flatMap((r) => (r.result.state === 'failed' ? [`${t.target}: ${r.result.error}`] : [])));
    return { outcome, headFailures };
}
/** The base commit the outcome names; a base-ref that names a branch or tag is shown beside it, a SHA once. */
function baseOf(inputs, baseline) {
    if (baseline.kind === 'stored')
        return { base: { sha: baseline.found.sha } };
    if (baseline.kind !== 'checkout')
        return {};
    const { sha } = baseline.checkout;
    return { base: { sha, ...(inputs.baseRef && inputs.baseRef.toLowerCase() !== sha ? { ref: inputs.baseRef } : {}) } };
}
/** Whether the layers' files are read: for the files table, the wasted-space budget, the advice. */
function wantsFiles(inputs) {
    return inputs.details.includes('files') || inputs.budgets.maxWasted !== undefined || inputs.advice;
}
function only(target, result) {
    return { target, results: [{ platform: ANY_PLATFORM, result }] };
}

;// CONCATENATED MODULE: ./src/report/file-diff.ts

/** The size under which `files.final` lists nothing: 0 for a complete list, Infinity for none. */
function cutBelow(files) {
    const listing = files.listing;
    return listing === undefined ? 0 : listing.kind === 'cut' ? listing.below : Number.POSITIVE_INFINITY;
}
/** Compares the final filesystems; files with the same size on both sides are left out. */
function diffFiles(base, head, top = 10) {
    const added = [];
    const removed = [];
    const grown = [];
    const shrunk = [];
    const uncertain = [];
    const baseBelow = cutBelow(base);
    const headBelow = cutBelow(head);
    for (const [path, after] of head.final) {
        const before = base.final.get(path);
        if (before === undefined) {
            if (baseBelow === 0)
                added.push({ path, after, delta: after });
            else if (after >= baseBelow)
                uncertain.push({ path, after, delta: after - baseBelow + 1, under: baseBelow, kind: 'added or grown' });
        }
        else if (after > before)
            grown.push({ path, before, after, delta: after - before });
        else if (after < before)
            shrunk.push({ path, before, after, delta: after - before });
    }
    for (const [path, before] of base.final) {
        if (head.final.has(path))
            continue;
        if (headBelow === 0)
            removed.push({ path, before, delta: -before });
        else if (before >= headBelow)
            uncertain.push({ path, before, delta: -(before - headBelow + 1), under: headBelow, kind: 'removed or shrunk' });
    }
    const total = (list) => list.reduce((s, c) => s + c.delta, 0);
    const cap = (list) => list.sort(byMagnitude).slice(0, Math.max(0, top));
    const kinded = (kind, list) => list.map((c) => ({ ...c, kind }));
    // The capped lists hold every candidate for the overall top: the largest `top` of all five are
    // each among the largest `top` of their own category.
    const [a, r, g, s] = [cap(added), cap(removed), cap(grown), cap(shrunk)];
    const u = cap(uncertain);
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
function byMagnitude(a, b) {
    return Math.abs(b.delta) - Math.abs(a.delta) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
}
/**
 * What the comment says about the file lists behind a diff. `base` is undefined when the base was
 * measured without file details (a stored report of a run that did not read files).
 */
function listingNotes(base, head) {
    if (head.listing?.kind === 'none')
        return { compare: false, notes: ['This report has no file list, so file changes are not shown.'] };
    if (base === undefined || base.listing?.kind === 'none') {
        return { compare: false, notes: ['The stored baseline has no file list, so file changes are not shown.'] };
    }
    const notes = [];
    const cut = (side, name, other, kind, was) => {
        if (side.listing?.kind !== 'cut')
            return;
        const { below, files, bytes } = side.listing;
        const listedBytes = [...side.final.values()].reduce((sum, n) => sum + n, 0);
        const left = `${plural(Math.max(0, files - side.final.size), 'file')}, ${formatBytes(Math.max(0, bytes - listedBytes))}`;
        const size = formatBytes(below);
        notes.push(`The ${name}'s file list was cut: files under ${size} are not listed (${left}); a ${other} file it lacks is "${kind}" when it ${was} ${size} or more, and not shown when smaller.`);
    };
    cut(base, 'base', 'head', 'added or grown', 'is');
    cut(head, 'head', 'base', 'removed or shrunk', 'was');
    return { compare: true, notes };
}
/** The texts of a row, sizes formatted by `bytes` and changes by `delta`: `under 4.10 kB`, `+1.20 MB or more`. */
function changeCells(c, bytes, delta) {
    const under = c.under !== undefined ? `under ${bytes(c.under)}` : undefined;
    const before = c.before !== undefined ? bytes(c.before) : c.kind === 'added or grown' ? under : undefined;
    const after = c.after !== undefined ? bytes(c.after) : c.kind === 'removed or shrunk' ? under : undefined;
    return {
        ...(before !== undefined ? { before } : {}),
        ...(after !== undefined ? { after } : {}),
        delta: c.under !== undefined ? `${delta(c.delta)} or more` : delta(c.delta)
    };
}

;// CONCATENATED MODULE: ./src/report/causes.ts
const HOME = String.raw `(?:root|home/[^/]+)`;
const MULTI_STAGE = 'build in a separate stage and `COPY --from` only the artifact into `scratch`, distroless or a slim runtime image';
const CACHE_MOUNT = 'or use `RUN --mount=type=cache`';
const DOCKERIGNORE = 'list it in `.dockerignore`';
/** The rules, first match wins: more specific patterns come first. */
const CAUSE_RULES = [
    // Toolchains and compilers in a final image.
    { id: 'go-toolchain', kind: 'toolchain', pattern: /^(usr\/local\/go\/|usr\/lib\/go(?:-[^/]+)?\/)/, cause: 'Go toolchain', fix: `${MULTI_STAGE}.` },
    { id: 'gcc', kind: 'toolchain', pattern: /^(usr\/(?:lib|libexec)\/gcc\/)/, cause: 'C compiler (gcc, cc1)', fix: `${MULTI_STAGE}; install \`build-essential\` only in the build stage.` },
    { id: 'rust-toolchain', kind: 'toolchain', pattern: new RegExp(String.raw `^((?:usr/local/|${HOME}/\.)rustup/)`), cause: 'Rust toolchain (rustc, cargo)', fix: `${MULTI_STAGE}.` },
    { id: 'jdk', kind: 'toolchain', pattern: /^((?:usr\/lib\/jvm|opt\/java)\/[^/]+\/)(?:bin\/javac$|jmods\/|lib\/src\.zip$|lib\/ct\.sym$|include\/)/, cause: 'JDK (javac, jmods, sources)', fix: 'run on a JRE image, or build in a separate stage and `COPY --from` only the jar (or a `jlink` runtime).' },
    { id: 'python-dev', kind: 'toolchain', pattern: /^(usr\/(?:local\/)?include\/python[0-9.]+[a-z]*\/|usr\/(?:local\/)?lib\/python[0-9.]+\/config-[^/]+\/)/, cause: 'Python headers and build files', fix: `${MULTI_STAGE} (build wheels there, \`pip install\` them here).` },
    // Package-manager lists and caches.
    { id: 'apt-lists', kind: 'package-cache', pattern: /^(var\/lib\/apt\/lists\/)/, cause: 'apt package lists', fix: `\`rm -rf /var/lib/apt/lists/*\` in the same \`RUN\` as \`apt-get install\`, ${CACHE_MOUNT}.` },
    { id: 'apt-archives', kind: 'package-cache', pattern: /^(var\/cache\/apt\/)/, cause: 'apt package archives (.deb)', fix: `\`apt-get clean\` in the same \`RUN\` as \`apt-get install\`, ${CACHE_MOUNT}.` },
    { id: 'apk-cache', kind: 'package-cache', pattern: /^(var\/cache\/apk\/)/, cause: 'apk package cache', fix: `\`apk add --no-cache\`, ${CACHE_MOUNT}.` },
    { id: 'dnf-cache', kind: 'package-cache', pattern: /^(var\/cache\/(?:dnf|yum)\/)/, cause: 'dnf/yum package cache', fix: `\`dnf clean all\` (\`yum clean all\`) in the same \`RUN\`, ${CACHE_MOUNT}.` },
    { id: 'pip-cache', kind: 'package-cache', pattern: new RegExp(String.raw `^(${HOME}/\.cache/pip/)`), cause: 'pip cache', fix: `\`pip install --no-cache-dir\`, ${CACHE_MOUNT}.` },
    { id: 'npm-cache', kind: 'package-cache', pattern: new RegExp(String.raw `^(${HOME}/\.npm/)`), cause: 'npm cache', fix: `\`npm cache clean --force\` in the same \`RUN\`, ${CACHE_MOUNT}.` },
    { id: 'yarn-cache', kind: 'package-cache', pattern: new RegExp(String.raw `^(${HOME}/\.cache/yarn/|usr/local/share/\.cache/yarn/|${HOME}/\.yarn/berry/cache/)`), cause: 'Yarn cache', fix: `\`yarn cache clean\` in the same \`RUN\`, ${CACHE_MOUNT}.` },
    { id: 'pnpm-store', kind: 'package-cache', pattern: new RegExp(String.raw `^(${HOME}/\.local/share/pnpm/store/|(?:[^/]+/)*\.pnpm-store/)`), cause: 'pnpm store', fix: `\`pnpm store prune\` in the same \`RUN\`, ${CACHE_MOUNT}.` },
    { id: 'maven', kind: 'package-cache', pattern: new RegExp(String.raw `^(${HOME}/\.m2/)`), cause: 'Maven repository (~/.m2)', fix: `${MULTI_STAGE}, ${CACHE_MOUNT}.` },
    { id: 'gradle', kind: 'package-cache', pattern: new RegExp(String.raw `^(${HOME}/\.gradle/)`), cause: 'Gradle caches (~/.gradle)', fix: `${MULTI_STAGE}, ${CACHE_MOUNT}.` },
    { id: 'composer', kind: 'package-cache', pattern: new RegExp(String.raw `^(${HOME}/(?:\.composer/cache|\.cache/composer)/)`), cause: 'Composer cache', fix: `\`composer install --no-cache\` (or \`composer clear-cache\` in the same \`RUN\`), ${CACHE_MOUNT}.` },
    { id: 'gem-cache', kind: 'package-cache', pattern: new RegExp(String.raw `^(usr/local/bundle/cache/|(?:usr/local/lib|usr/lib|var/lib)/ruby/gems/[^/]+/cache/|${HOME}/\.gem/)`), cause: 'RubyGems cache', fix: `\`gem install --no-document\` and \`rm -rf\` the gem cache in the same \`RUN\` (\`bundle install\` then \`bundle clean\`), ${CACHE_MOUNT}.` },
    // Build caches and outputs.
    { id: 'go-build-cache', kind: 'build-cache', pattern: new RegExp(String.raw `^(${HOME}/\.cache/go-build/)`), cause: 'Go build cache', fix: `${MULTI_STAGE}, or \`RUN --mount=type=cache,target=/root/.cache/go-build\`.` },
    { id: 'go-mod-cache', kind: 'build-cache', pattern: new RegExp(String.raw `^((?:${HOME}/)?go/pkg/mod/)`), cause: 'Go module cache', fix: `${MULTI_STAGE}, or \`RUN --mount=type=cache,target=/go/pkg/mod\`.` },
    { id: 'cargo-cache', kind: 'build-cache', pattern: new RegExp(String.raw `^((?:usr/local/|${HOME}/\.)cargo/(?:registry|git)/)`), cause: 'Cargo registry cache', fix: `${MULTI_STAGE}, ${CACHE_MOUNT}.` },
    { id: 'rust-target', kind: 'build-cache', pattern: /^((?:[^/]+\/)*target\/)(?:release|debug)\/(?:deps|build|incremental|\.fingerprint)\//, cause: 'Rust build output (target/)', fix: `${MULTI_STAGE}.` },
    { id: 'ccache', kind: 'build-cache', pattern: new RegExp(String.raw `^(${HOME}/\.(?:cache/)?ccache/)`), cause: 'ccache', fix: `${MULTI_STAGE}, ${CACHE_MOUNT}.` },
    { id: 'node-modules-cache', kind: 'build-cache', pattern: /^((?:[^/]+\/)*node_modules\/\.cache\/)/, cause: 'node_modules/.cache', fix: `remove it in the same \`RUN\` as the build, ${CACHE_MOUNT}.` },
    // Checkout debris.
    { id: 'git', kind: 'checkout', pattern: /^((?:[^/]+\/)*\.git\/)/, cause: '.git folder', fix: `${DOCKERIGNORE} (\`.git\`).` },
    // node_modules that a copy of the whole context brought (`COPY . .`), not the ones an install made.
    {
        id: 'context-node-modules',
        kind: 'checkout',
        pattern: /^((?:[^/]+\/)*?node_modules\/)/,
        layer: /^(?:COPY|ADD) (?:--\S+ )*\.\/? /,
        cause: 'node_modules of the build context',
        fix: `${DOCKERIGNORE} (\`node_modules\`) and install the dependencies in the image (\`npm ci --omit=dev\`), built for its platform.`
    },
    { id: 'tests', kind: 'checkout', pattern: /^(?!(?:[^/]+\/)*(?:node_modules|site-packages|dist-packages|go\/pkg\/mod)\/)(?:[^/]+\/)*[^/]+(?:_test\.go|\.(?:test|spec)\.[cm]?[jt]sx?)$/, cause: 'Test files', fix: `${DOCKERIGNORE} (\`**/*_test.go\`, \`**/*.test.*\`), or copy only what runs.` },
    // Sources beside a binary (after the toolchains and caches, which hold sources of their own).
    { id: 'sources', kind: 'sources', pattern: /^(?:[^/]+\/)*[^/]+\.(?:go|rs|java|c|cc|cpp)$|^(?:[^/]+\/)*(?:go\.mod|go\.sum|Cargo\.toml|Cargo\.lock)$/, cause: 'Source code', fix: `${MULTI_STAGE}; or ${DOCKERIGNORE}.` }
];
/**
 * The causes of `head`'s growth against `base` (both measured with file lists), or of everything in
 * `head` when `base` is undefined (a new target, no baseline). Undefined when they cannot be told:
 * `head` has no file list, or `base` was measured without one.
 */
function findCauses(head, base, options = {}) {
    const groupsMax = options.groupsMax ?? 3;
    const causesMax = options.causesMax ?? 8;
    const headFiles = head.files;
    if (!headFiles || headFiles.listing?.kind === 'none')
        return undefined;
    const baseFiles = base?.files;
    if (base && (!baseFiles || baseFiles.listing?.kind === 'none'))
        return undefined;
    const below = Math.max(causes_cutBelow(headFiles), baseFiles ? causes_cutBelow(baseFiles) : 0);
    const found = new Map();
    for (const [path, after] of headFiles.final) {
        const grew = growth(path, after, baseFiles);
        if (grew === undefined)
            continue;
        const layer = headFiles.layerOf?.get(path);
        const match = firstMatch(path, layer !== undefined ? head.layers[layer]?.instruction : undefined);
        if (!match)
            continue;
        const dirs = found.get(match.rule) ?? new Map();
        found.set(match.rule, dirs);
        const acc = dirs.get(match.dir) ?? { bytes: 0, files: 0, byLayer: new Map() };
        dirs.set(match.dir, acc);
        acc.bytes += grew;
        acc.files++;
        if (layer !== undefined)
            acc.byLayer.set(layer, (acc.byLayer.get(layer) ?? 0) + grew);
    }
    const causes = [];
    for (const rule of CAUSE_RULES) {
        const dirs = found.get(rule);
        if (!dirs)
            continue;
        const all = [...dirs].map(([dir, acc]) => group(dir, acc, head.layers)).sort(bySize);
        causes.push({
            id: rule.id,
            kind: rule.kind,
            cause: rule.cause,
            fix: rule.fix,
            bytes: all.reduce((n, g) => n + g.bytes, 0),
            files: all.reduce((n, g) => n + g.files, 0),
            groups: all.slice(0, groupsMax),
            moreGroups: Math.max(0, all.length - groupsMax),
            ...(headFiles.layerOf ? {} : { layersUnknown: true }),
            ...(below > 0 ? { listedFrom: below } : {})
        });
    }
    const wasted = wastedCause(headFiles, baseFiles, groupsMax);
    if (wasted)
        causes.push(wasted);
    const changedBase = base ? baseImageCause(head.layers, base.layers) : undefined;
    if (changedBase)
        causes.push(changedBase);
    causes.sort((a, b) => b.bytes - a.bytes || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return { causes: causes.slice(0, causesMax), more: Math.max(0, causes.length - causesMax) };
}
/**
 * The causes to show for a row: what is new or grew since the base for a compared row, everything
 * found for a new target or one without a baseline, nothing for an unchanged, removed or failed one.
 */
function rowAdvice(r, options = {}) {
    if (r.head.state !== 'measured' || r.status === 'unchanged' || r.status === 'removed')
        return undefined;
    const base = r.base.state === 'measured' && r.status !== 'new' ? r.base.image : undefined;
    const advice = findCauses(r.head.image, base, options);
    if (!advice || advice.causes.length === 0)
        return undefined;
    return { ...advice, compared: base !== undefined };
}
/** Every cause found in one image (an audit, `measure`): each rule once, up to five directories each. */
function auditCauses(image) {
    return findCauses(image, undefined, { causesMax: CAUSE_RULES.length + 1, groupsMax: 5 });
}
/** The rule a path falls under (given the instruction of the layer that wrote it, when known), and the directory it rolls up to. */
function firstMatch(path, instruction) {
    for (const rule of CAUSE_RULES) {
        if (rule.layer && !(instruction !== undefined && rule.layer.test(instruction)))
            continue;
        const m = rule.pattern.exec(path);
        if (!m)
            continue;
        const dir = m[1] ?? (m[0].endsWith('/') ? m[0] : path.slice(0, path.lastIndexOf('/') + 1));
        return { rule, dir };
    }
    return undefined;
}
/** The size under which a file list lists nothing: 0 for a complete list. */
function causes_cutBelow(files) {
    return files.listing?.kind === 'cut' ? files.listing.below : 0;
}
/**
 * How much a head file adds over the base: all of it without a base; its growth when the base has
 * it; undefined when it did not grow. When the base's list was cut and lacks the file, the file may
 * have been there under `below` bytes: only files of `below` or more count, by their least growth.
 */
function growth(path, after, base) {
    if (!base)
        return after;
    const before = base.final.get(path);
    if (before !== undefined)
        return after > before ? after - before : undefined;
    const below = causes_cutBelow(base);
    if (below === 0)
        return after;
    return after >= below ? after - below + 1 : undefined;
}
function group(dir, acc, layers) {
    let top;
    for (const [index, bytes] of acc.byLayer)
        if (!top || bytes > top[1] || (bytes === top[1] && index < top[0]))
            top = [index, bytes];
    const layer = top ? layers[top[0]] : undefined;
    return {
        dir,
        bytes: acc.bytes,
        files: acc.files,
        ...(top && layer ? { layer: { index: top[0], instruction: layer.instruction } } : {})
    };
}
function bySize(a, b) {
    return b.bytes - a.bytes || (a.dir < b.dir ? -1 : a.dir > b.dir ? 1 : 0);
}
/** Bytes a later layer deletes or overwrites, when their total grew (or without a base, when there are any). */
function wastedCause(head, base, groupsMax) {
    const grew = head.wastedBytes - (base?.wastedBytes ?? 0);
    if (grew <= 0)
        return undefined;
    const before = new Map((base?.wasted ?? []).map((w) => [w.path, w.bytes]));
    const dirs = new Map();
    for (const w of head.wasted) {
        const added = w.bytes - (before.get(w.path) ?? 0);
        if (added <= 0)
            continue;
        const dir = w.path.slice(0, w.path.lastIndexOf('/') + 1);
        const acc = dirs.get(dir) ?? { bytes: 0, files: 0 };
        acc.bytes += added;
        acc.files++;
        dirs.set(dir, acc);
    }
    const all = [...dirs].map(([dir, acc]) => ({ dir, ...acc })).sort(bySize);
    return {
        id: 'wasted',
        kind: 'wasted',
        cause: 'Deleted or overwritten in a later layer (wasted space)',
        fix: 'delete files in the same `RUN` that creates them, or build in a separate stage and `COPY --from` only the result.',
        bytes: grew,
        files: all.reduce((n, g) => n + g.files, 0),
        groups: all.slice(0, groupsMax),
        moreGroups: Math.max(0, all.length - groupsMax)
    };
}
/**
 * The final stage's base image changed: its first layer is another one, made by another instruction
 * (a changed first `COPY` into `scratch` is not a new base). The head's layers before the first one
 * the base also has are the new base's; when none is shared, all but as many as the base has after
 * its own base (the final stage's own instructions, assumed unchanged in number). Reported when the
 * inherited layers grew.
 */
function baseImageCause(head, base) {
    const first = head[0];
    const before = base[0];
    if (!first || (before && (first.digest === before.digest || first.instruction === before.instruction)))
        return undefined;
    const known = new Set(base.map((l) => l.digest));
    let n = 0;
    while (n < head.length && !known.has(head[n].digest))
        n++;
    const own = n < head.length ? head.length - n : Math.min(base.length, head.length - 1);
    const inherited = head.slice(0, head.length - own);
    const shared = n < head.length ? base.findIndex((l) => l.digest === head[n].digest) : base.length - own;
    const sum = (layers) => layers.reduce((s, l) => s + l.uncompressedBytes, 0);
    const bytes = sum(inherited) - sum(base.slice(0, Math.max(0, shared)));
    if (inherited.length === 0 || bytes <= 0)
        return undefined;
    return {
        id: 'base-image',
        kind: 'base-image',
        cause: before === undefined ? 'The final stage no longer starts from scratch' : "The final stage's base image changed",
        fix: `check the final stage's \`FROM\`: ${MULTI_STAGE}.`,
        bytes,
        files: 0,
        groups: [],
        moreGroups: 0,
        baseLayers: { count: inherited.length, first: first.instruction, last: inherited[inherited.length - 1].instruction }
    };
}

;// CONCATENATED MODULE: ./src/report/terminal.ts






/** Layers listed per target at most; the JSON report has them all. */
const TERMINAL_LAYERS_MAX = 40;
/** File changes and wasted files listed per target at most. */
const TERMINAL_FILES_MAX = 8;
/** Lines of a failed build's error shown (its end, where the error is). */
const ERROR_LINES_MAX = 20;
/** A line of a build error is cut to this many cells (a runaway line, not a long one). */
const ERROR_LINE_MAX = 1000;
const DEFAULT_WIDTH = 100;
// ── The comparison ─────────────────────────────────────────────────────────────────────────────
/** Both sides measured, but by different methods: shown side by side, never compared. */
function verdictLine(outcome, paint) {
    const v = verdictSummary(outcome);
    if (!v)
        return paint('yellow', 'No targets were measured.');
    const tail = `${v.counts}${v.judged ? `; budgets judge the ${outcome.metric} size` : ''}`;
    if (v.regressed)
        return `${paint('red', paint('bold', `✗ ${v.problems.join(', ')}`))}  ${tail}`;
    return `${paint('green', paint('bold', v.judged ? '✓ Within budget' : '✓ No budget set'))}  ${tail}`;
}
function statusCell(r) {
    if (r.status === 'head-failed')
        return { text: '✗ build failed', style: 'red' };
    if (r.regressed)
        return { text: '✗ over budget', style: 'red' };
    const label = notComparable(r) ? 'not comparable' : STATUS_LABEL[r.status];
    if (r.verdicts.length > 0)
        return { text: `✓ ${label}`, style: 'green' };
    return { text: label, ...(r.status === 'unchanged' ? { style: 'dim' } : {}) };
}
/** A compressed size that had to be estimated (classic image store) reads `≈ 1.27 MB`, as in the comment. */
function compressed(image) {
    return `${image.compressedEstimated ? '≈ ' : ''}${formatBytes(image.compressedBytes)}`;
}
function deltaCell(bytes, percent) {
    return { text: formatChange(bytes, percent), style: bytes === 0 ? 'dim' : bytes > 0 ? 'yellow' : 'green' };
}
const NONE = { text: '-', style: 'dim' };
const MAIN_COLUMNS = [
    { header: 'Target', align: 'left' },
    { header: 'Platform', align: 'left' },
    { header: 'Compressed', align: 'right' },
    { header: '+/-', align: 'left' },
    { header: 'Uncompressed', align: 'right' },
    { header: '+/-', align: 'left' },
    { header: 'Layers', align: 'right' },
    { header: 'Status', align: 'left' }
];
function mainRow(r) {
    const name = [{ text: (r.image !== undefined ? `${safe(r.image)}/` : '') + (safe(r.target) || '-'), style: 'bold' }, { text: safe(r.platform) || '-' }];
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
            const delta = r.status === 'new' ? { text: 'new', style: 'cyan' } : notComparable(r) ? { text: 'not comparable', style: 'dim' } : NONE;
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
function rowName(r) {
    const target = (r.image !== undefined ? `${safe(r.image)}/` : '') + safe(r.target);
    return r.platform ? `${target} (${safe(r.platform)})` : target;
}
function failedChecks(rows, paint) {
    const items = rows.flatMap((r) => r.verdicts.filter((v) => !v.ok).map((v) => `  ${paint('red', '✗')} ${rowName(r)}: ${safe(v.reason, 400)}`));
    return items.length === 0 ? [] : [paint('bold', 'Failed checks'), ...items];
}
/** The end of each failed head build's error: the build output is hidden unless --verbose. */
function buildErrors(rows, paint) {
    const blocks = [];
    for (const r of rows) {
        if (r.head.state !== 'failed')
            continue;
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
function notesBlock(notes, paint) {
    if (notes.length === 0)
        return [];
    return [paint('bold', 'Notes'), ...notes.map((n) => `  - ${safe(n, 500)}`)];
}
function footer(outcome) {
    const side = (name, c) => `${name} ${safe(shortSha(c.sha), 12)}${c.ref ? ` (${safe(c.ref, 100)})` : ''}`;
    return outcome.base ? `Compared ${side('base', outcome.base)} with ${side('head', outcome.head)}.` : `Measured ${side('head', outcome.head)}; no base commit to compare with.`;
}
/** The comparison as terminal text, ending with a newline. */
function renderOutcome(outcome, options) {
    const paint = painter(options.colour);
    const width = options.width ?? DEFAULT_WIDTH;
    const blocks = [verdictLine(outcome, paint)];
    if (outcome.rows.length > 0)
        blocks.push(table(MAIN_COLUMNS, outcome.rows.map(mainRow), paint).join('\n'));
    for (const part of [failedChecks(outcome.rows, paint), notesBlock(outcome.notes, paint)]) {
        if (part.length > 0)
            blocks.push(part.join('\n'));
    }
    blocks.push(...buildErrors(outcome.rows, paint));
    if (options.advice) {
        for (const r of outcome.rows) {
            const section = causesSection(r, paint, width);
            if (section !== undefined)
                blocks.push(section);
        }
    }
    for (const r of outcome.rows) {
        if (options.details.includes('layers')) {
            const section = layerSection(r, paint, width);
            if (section !== undefined)
                blocks.push(section);
        }
        if (options.details.includes('files')) {
            const section = fileSection(r, paint, width);
            if (section !== undefined)
                blocks.push(section);
        }
    }
    blocks.push(paint('dim', footer(outcome)));
    return `${blocks.join('\n\n')}\n`;
}
// ── Why it grew ────────────────────────────────────────────────────────────────────────────────
/** A target's causes, each with its directories (path, growth, files, layer) and its fix, one per line. */
function causesSection(r, paint, width) {
    const advice = rowAdvice(r);
    if (!advice)
        return undefined;
    const title = advice.compared ? `Why ${rowName(r)} grew` : `What ${rowName(r)} holds (no base to compare with: everything found)`;
    const lines = [paint('bold', title)];
    for (const c of advice.causes)
        lines.push(...causeLines(c, paint, width));
    if (advice.more > 0)
        lines.push(`${INDENT}${paint('dim', `${plural(advice.more, 'more cause')} not shown.`)}`);
    if (advice.causes.some((c) => c.layersUnknown)) {
        lines.push(`${INDENT}${paint('dim', 'The layers that added these files are not known: the file list was read back from a report.')}`);
    }
    const cut = advice.causes.find((c) => c.listedFrom !== undefined)?.listedFrom;
    if (cut !== undefined)
        lines.push(`${INDENT}${paint('dim', `A file list was cut: files under ${formatBytes(cut)} were not compared.`)}`);
    return lines.join('\n');
}
/** The audit of one measured image, titled with its platform; undefined when it has no file list. */
function auditSection(image, paint, width) {
    const advice = auditCauses(image);
    if (!advice)
        return undefined;
    const title = paint('bold', `${safe(image.platform) || '-'}: what it holds that images often should not`);
    if (advice.causes.length === 0)
        return `${title}\n${INDENT}Nothing found: no toolchain, package or build cache, checkout debris or wasted space.`;
    return [title, ...advice.causes.flatMap((c) => causeLines(c, paint, width))].join('\n');
}
function causeLines(c, paint, width) {
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
    if (c.moreGroups > 0)
        lines.push(`${INDENT}${INDENT}${paint('dim', `${c.moreGroups} more ${c.moreGroups === 1 ? 'directory' : 'directories'} not shown`)}`);
    lines.push(`${INDENT}${INDENT}Fix: ${c.fix.replace(/`/g, '')}`);
    return lines;
}
// ── Per-target details ─────────────────────────────────────────────────────────────────────────
const INDENT = '  ';
function layerSection(r, paint, width) {
    if (r.head.state !== 'measured')
        return undefined;
    const head = r.head.image;
    if (r.base.state === 'measured' && (r.status === 'changed' || r.status === 'unchanged')) {
        const changes = diffLayers(r.base.image.layers, head.layers);
        const differing = changes.filter((c) => c.kind !== 'same');
        // Nothing differs: the table already says so.
        if (differing.length === 0)
            return undefined;
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
    if (r.status === 'removed')
        return undefined;
    return [paint('bold', `${rowName(r)}: ${plural(head.layers.length, 'layer')}`), ...layerList(head.layers, head.compressedEstimated === true, paint, width)].join('\n');
}
const LAYER_CHANGE_HEADERS = ['#', 'Change', 'Compressed', '+/-', 'Uncompressed', '+/-', 'Instruction'];
function layerChangeTable(changes, paint, width) {
    const cells = changes.map((c) => {
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
function layerList(layers, estimated, paint, width) {
    if (layers.length === 0)
        return [`${INDENT}${paint('dim', 'No filesystem layers.')}`];
    const shown = layers.slice(0, TERMINAL_LAYERS_MAX);
    const cells = shown.map((l, i) => [
        { text: String(i + 1) },
        { text: compressed({ compressedBytes: l.compressedBytes, compressedEstimated: estimated }) },
        { text: formatBytes(l.uncompressedBytes) },
        { text: l.instruction }
    ]);
    const lines = withInstructions(['#', 'Compressed', 'Uncompressed', 'Instruction'], ['right', 'right', 'right', 'left'], cells, paint, width);
    if (layers.length > shown.length)
        lines.push(`${INDENT}${paint('dim', `${plural(layers.length - shown.length, 'more layer')} not shown.`)}`);
    return lines;
}
/** A table whose last column is an instruction: escaped, and cut to the room the others leave. */
function withInstructions(headers, aligns, rows, paint, width) {
    const fixed = rows.map((r) => r.slice(0, -1).map((c) => c.text));
    const room = roomForLast(width, INDENT, fixed, headers.slice(0, -1));
    const cut = rows.map((r) => [...r.slice(0, -1), { ...r[r.length - 1], text: safe(r[r.length - 1].text, room) || '?' }]);
    return table(headers.map((header, i) => ({ header, align: aligns[i] ?? 'left' })), cut, paint, INDENT);
}
function fileSection(r, paint, width) {
    // An unchanged image has the files of its base: nothing to add to the table's row.
    if (r.head.state !== 'measured' || !r.head.image.files || r.status === 'unchanged')
        return undefined;
    const head = r.head.image;
    const files = head.files;
    const base = r.base.state === 'measured' ? r.base.image.files : undefined;
    const lines = [];
    let title = `${formatBytes(files.wastedBytes)} wasted`;
    if (r.base.state === 'measured' && r.status !== 'no-baseline') {
        const listing = listingNotes(base, files);
        if (listing.compare && base) {
            const diff = diffFiles(base, files, TERMINAL_FILES_MAX);
            const changes = diff.largest;
            title = `${listing.notes.length > 0 ? 'at least ' : ''}${plural(diff.changed, 'file')} changed, ${title}`;
            if (changes.length > 0) {
                const headers = ['Change', 'Before', 'After', '+/-', 'Path'];
                const cells = changes.map((c) => {
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
                if (diff.changed > changes.length)
                    lines.push(`${INDENT}${paint('dim', `${plural(diff.changed - changes.length, 'more file change')} not shown.`)}`);
            }
        }
        lines.push(...listing.notes.map((n) => `${INDENT}${paint('dim', n)}`));
    }
    lines.push(...wastedLines(head, files.wastedBytes, files.wasted, base?.wastedBytes, paint, width));
    return [paint('bold', `${rowName(r)}: ${title}`), ...lines].join('\n');
}
function wastedLines(image, wastedBytes, wasted, baseWasted, paint, width) {
    const share = image.uncompressedBytes > 0 ? ` (${((wastedBytes / image.uncompressedBytes) * 100).toFixed(1)}% of the image)` : '';
    const baseText = baseWasted !== undefined ? `; base: ${formatBytes(baseWasted)}` : '';
    const why = wastedBytes > 0 ? ` ${paint('dim', 'Files a later layer overwrites or deletes still ship in the earlier one.')}` : '';
    const lines = [`${INDENT}Wasted space: ${formatBytes(wastedBytes)}${share}${baseText}.${why}`];
    if (wasted.length > 0) {
        const cells = wasted.slice(0, TERMINAL_FILES_MAX).map((w) => [{ text: formatBytes(w.bytes) }, { text: `/${w.path}` }]);
        lines.push(...withInstructions(['Wasted', 'Path'], ['right', 'left'], cells, paint, width));
    }
    return lines;
}
/** A measurement as terminal text, ending with a newline. */
function renderMeasurement(m, options) {
    const paint = painter(options.colour);
    const width = options.width ?? DEFAULT_WIDTH;
    const files = m.images.some((i) => i.files !== undefined);
    const blocks = [`${paint('bold', safe(m.source, 200))} ${paint('dim', `(${safe(m.kind, 100)})`)}`];
    const columns = [
        { header: 'Platform', align: 'left' },
        { header: 'Compressed', align: 'right' },
        { header: 'Uncompressed', align: 'right' },
        { header: 'Layers', align: 'right' },
        ...(files ? [{ header: 'Wasted', align: 'right' }] : []),
        { header: 'Digest', align: 'left' }
    ];
    const rows = m.images.map((i) => [
        { text: safe(i.platform) || '-', style: 'bold' },
        { text: compressed(i) },
        { text: formatBytes(i.uncompressedBytes) },
        { text: String(i.layerCount) },
        ...(files ? [i.files ? { text: formatBytes(i.files.wastedBytes), ...(i.files.wastedBytes > 0 ? { style: 'yellow' } : {}) } : NONE] : []),
        { text: safe(i.digest, 80), style: 'dim' }
    ]);
    blocks.push(table(columns, rows, paint).join('\n'));
    if (m.images.some((i) => i.compressedEstimated)) {
        blocks.push(paint('dim', 'Compressed sizes marked ≈ are estimates (each layer gzipped here): the layers are stored uncompressed, as the classic image store keeps them.'));
    }
    for (const i of m.images) {
        const title = `${safe(i.platform) || '-'}: ${plural(i.layers.length, 'layer')}`;
        const lines = options.details.includes('layers') ? layerList(i.layers, i.compressedEstimated === true, paint, width) : [];
        if (options.details.includes('files') && i.files)
            lines.push(...wastedLines(i, i.files.wastedBytes, i.files.wasted, undefined, paint, width));
        if (lines.length > 0)
            blocks.push([paint('bold', title), ...lines].join('\n'));
        const audit = options.advice ? auditSection(i, paint, width) : undefined;
        if (audit)
            blocks.push(audit);
    }
    return `${blocks.join('\n\n')}\n`;
}

;// CONCATENATED MODULE: ./src/cli/cleanups.ts
// The command line's cleanups (base checkout, temporary image layouts): run once, last registered
// first, at the end of a command or on Ctrl-C, since the command line has no post step.

/** Runs every cleanup once, last registered first, like main.ts; what goes wrong is a warning. */
async function runCleanups(cleanups, log) {
    while (cleanups.length > 0) {
        const cleanup = cleanups.pop();
        try {
            const warnings = await cleanup();
            if (Array.isArray(warnings))
                for (const w of warnings)
                    log.warning(String(w));
        }
        catch (e) {
            log.warning(`cleanup: ${errorMessage(e)}`);
        }
    }
}
/**
 * Ctrl-C must not leave the base checkout or image layouts in the temp folder (the action has a post
 * step for that; the command line has only this). Returns the function that removes the handlers.
 */
function cleanUpOnInterrupt(cleanups, log) {
    const handler = (signal) => {
        log.warning(`${signal}: cleaning up before exiting`);
        void runCleanups(cleanups, log).finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
    };
    process.once('SIGINT', handler);
    process.once('SIGTERM', handler);
    return () => {
        process.removeListener('SIGINT', handler);
        process.removeListener('SIGTERM', handler);
    };
}

;// CONCATENATED MODULE: ./src/cli/io.ts
// What every command of the command line shares: the streams and process facts it runs with (CliIO),
// the error that means "the check could not run" (exit code 2), and how text reaches a terminal:
// control characters escaped, workflow commands neutralized, input errors named by their flag.





/** The check could not run (no git repository, unknown base, unreadable image): exit code 2. */
class CliError extends Error {
    name = 'CliError';
}
/**
 * The streams as a workflow's runner may read them (the command line can run in a step): no text of
 * a build, a repository or a report becomes a workflow command (log.ts). JSON is written already
 * neutralized with its data unchanged (neutralizeJsonCommands), which this leaves as it is.
 */
function commandSafe(io) {
    const wrap = (t) => ({
        write: (text) => t.write(neutralizeCommands(text)),
        get isTTY() {
            return t.isTTY === true;
        },
        get columns() {
            return t.columns ?? 0;
        }
    });
    return { ...io, stdout: wrap(io.stdout), stderr: wrap(io.stderr) };
}
/** An input error speaks of the flag the user typed, not of the action input behind it. */
function cliMessage(e) {
    if (e instanceof InputError) {
        const flag = flagForInput(e.input);
        const prefix = `Invalid input '${e.input}'`;
        if (flag !== undefined && e.message.startsWith(prefix))
            return `Invalid value for ${flag}${e.message.slice(prefix.length)}`;
    }
    return errorMessage(e);
}
/** Line breaks kept, every other control character shown as an escape. */
function escapeLines(text) {
    return text.split('\n').map(escapeControls).join('\n');
}
function terminalWidth(t) {
    return t.isTTY && t.columns !== undefined && t.columns > 0 ? t.columns : undefined;
}
function io_lastLine(s) {
    return s.split('\n').map((l) => l.trim()).filter(Boolean).pop() ?? '';
}

;// CONCATENATED MODULE: ./src/cli/progress.ts


/**
 * The pipeline's Log, as terminal progress on stderr: one line per step (`> Build head target
 * release... done (2.1 s)`), warnings always, info and the build output only with --verbose. Every message is escaped: build logs and repository names can hold
 * terminal control sequences.
 */
class Progress {
    out;
    paint;
    verbose;
    /** A step's line was written without its newline (TTY only), to be completed in place. */
    pending;
    constructor(out, paint, verbose) {
        this.out = out;
        this.paint = paint;
        this.verbose = verbose;
    }
    info(message) {
        if (this.verbose)
            this.line(this.paint('dim', escapeLines(message)));
    }
    warning(message) {
        this.line(`${this.paint('yellow', 'warning:')} ${escapeLines(message)}`);
    }
    /** Live build output, with --verbose only. */
    output(chunk) {
        if (!this.verbose)
            return;
        this.close();
        this.out.write(escapeLines(chunk));
    }
    async group(title, fn) {
        const text = escapeControls(title);
        const started = Date.now();
        this.close();
        // Left open: when nothing else is written meanwhile, the result completes this very line.
        this.out.write(`${this.paint('cyan', '>')} ${text}...`);
        this.pending = text;
        let ok = false;
        try {
            const result = await fn();
            ok = true;
            return result;
        }
        finally {
            const result = `${ok ? this.paint('green', 'done') : this.paint('red', 'failed')} (${((Date.now() - started) / 1000).toFixed(1)} s)`;
            if (this.pending === text) {
                this.out.write(` ${result}\n`);
                this.pending = undefined;
            }
            else {
                this.line(`  ${text}: ${result}`);
            }
        }
    }
    /** Ends a step line left open, so what follows starts on a line of its own. */
    close() {
        if (this.pending !== undefined) {
            this.out.write('\n');
            this.pending = undefined;
        }
    }
    line(text) {
        this.close();
        this.out.write(`${text}\n`);
    }
}

;// CONCATENATED MODULE: ./src/cli/compare.ts
// `image-budget compare`: parses its flags with the action's input parser, describes the local
// checkout as an event (git through src/git/git.ts), and hands both to measureAndCompare (plan,
// build, measure, compare, judge), exactly the pipeline the action runs; it then prints the outcome
// (terminal table or JSON report) instead of publishing it, and exits by the verdict. Live build
// output goes to stderr with --verbose, never to stdout.



















/**
 * Where the command line's defaults differ from action.yml's (the rest are DEFAULTS, applied by
 * parseInputs): a laptop has no Actions cache, and nothing is posted anywhere.
 */
const CLI_DEFAULTS = {
    [INPUT.cache]: 'none',
    [INPUT.comment]: 'never'
};
const gitAt = (dir, io) => new Git(dir, { exec: io.exec, env: io.env });
/** The working tree's top level: the workspace of the pipeline, which the base checkout mirrors. */
async function repositoryRoot(io) {
    try {
        return await (0,promises_namespaceObject.realpath)(await gitAt(io.cwd, io).topLevel());
    }
    catch (e) {
        if (e instanceof ExecError)
            throw new CliError(`compare needs git: ${errorMessage(e)}`);
        if (!(e instanceof GitError))
            throw e;
        throw new CliError(`compare runs inside a git checkout, and ${io.cwd} is not in one${e.reason ? ` (git: ${e.reason})` : ''}`);
    }
}
/**
 * Paths on the command line are relative to where it runs, as with `docker build`; the pipeline
 * takes them relative to the repository root, so that the same path names the same place in the
 * base commit's checkout. Outside the repository stays outside (`../x`): resolveInside refuses it.
 */
function fromRoot(root, cwd, value) {
    return external_node_path_default().relative(root, external_node_path_default().resolve(cwd, value)) || '.';
}
function compareInputs(command, root, cwd) {
    const given = new Map(command.inputs);
    // The default context is the current directory, not the repository root.
    given.set(INPUT.context, fromRoot(root, cwd, given.get(INPUT.context) ?? '.'));
    const file = given.get(INPUT.file);
    if (file !== undefined)
        given.set(INPUT.file, fromRoot(root, cwd, file));
    return parseInputs((name) => given.get(name) ?? CLI_DEFAULTS[name] ?? '');
}
// A hosted remote, `https://host/owner/name(.git)` or `git@host:owner/name(.git)`; its last two path
// segments are the repository (GitLab subgroups included). A local path or file:// URL names none.
const HOSTED_REMOTE = [
    /^(?:https?|ssh|git):\/\/[^/\s]+\/(?:\S+\/)?([^/\s]+)\/([^/\s]+?)(?:\.git)?\/?$/,
    /^[^@/\s]+@[^:/\s]+:(?:\S+\/)?([^/\s]+)\/([^/\s]+?)(?:\.git)?\/?$/
];
/** `owner/name` from the origin remote's URL, for the report's `repository`. */
function repoFromRemote(url) {
    if (url === undefined)
        return undefined;
    for (const pattern of HOSTED_REMOTE) {
        const m = pattern.exec(url.trim());
        if (m)
            return parseRepoFullName(`${m[1]}/${m[2]}`);
    }
    return undefined;
}
/** The local checkout as the event the pipeline reads: the head is HEAD (and the working tree). */
async function localEvent(git) {
    const headSha = await git.revParseCommit('HEAD');
    if (headSha === undefined)
        throw new CliError(`the repository at ${git.repoDir} has no commit yet: commit something to compare with the base`);
    return {
        event: 'local',
        repo: repoFromRemote(await git.remoteUrl('origin')),
        headSha,
        ref: await git.headRef(),
        baseSha: undefined,
        defaultBranch: undefined
    };
}
async function compareCommand(command, io) {
    const progress = new Progress(io.stderr, painter(colourWanted(io.env, io.stderr.isTTY === true)), command.verbose);
    const root = await repositoryRoot(io);
    const inputs = compareInputs(command, root, await (0,promises_namespaceObject.realpath)(io.cwd));
    const git = gitAt(root, io);
    const event = await localEvent(git);
    // The base must be known here: the pipeline would fall back to fetching it from origin and, failing
    // that, to "baseline unavailable", which on a laptop is almost always a typo.
    const baseRef = inputs.baseRef;
    if (baseRef === undefined)
        throw new CliError('compare needs --base REF');
    if ((await git.revParseCommit(baseRef)) === undefined) {
        throw new CliError(`--base ${JSON.stringify(baseRef)} names no commit of the repository at ${root}; name a branch, tag or commit ` +
            `(e.g. origin/${baseRef}), or fetch it first: git fetch origin ${baseRef}`);
    }
    const cleanups = [];
    const release = cleanUpOnInterrupt(cleanups, progress);
    try {
        // The workspace is the repository root whatever GITHUB_WORKSPACE says (the CLI may run in a job).
        const env = { ...io.env, GITHUB_WORKSPACE: root };
        const result = await measureAndCompare({ env, exec: io.exec, log: progress }, inputs, event, cleanups);
        const outcome = await withWorkingTreeNote(git, inputs, result.outcome);
        progress.close();
        if (command.json) {
            const report = buildReport(outcome, {
                tool: tool_TOOL,
                event: event.event,
                repository: event.repo ? `${event.repo.owner}/${event.repo.name}` : '',
                createdAt: new Date().toISOString()
            });
            io.stdout.write(neutralizeJsonCommands(`${JSON.stringify(report, null, 2)}\n`));
        }
        else {
            const width = terminalWidth(io.stdout);
            io.stdout.write(renderOutcome(outcome, { colour: colourWanted(io.env, io.stdout.isTTY === true), details: inputs.details, advice: inputs.advice, ...(width ? { width } : {}) }));
        }
        if (result.headFailures.length > 0 || outcome.regressed) {
            // The table says it already; the JSON report needs a word on stderr.
            if (command.json)
                progress.warning(failureMessage(outcome) ?? `Head build failed:\n${result.headFailures.join('\n')}`);
            return EXIT.regressed;
        }
        if (!outcome.base) {
            // Asked for a comparison and got none: not a pass.
            progress.warning(`no comparison: the base ${baseRef} could not be checked out (see the notes)`);
            return EXIT.error;
        }
        return EXIT.ok;
    }
    finally {
        await runCleanups(cleanups, progress);
        release();
    }
}
/** The head is what is on disk: say so when that is not the commit the report names. */
async function withWorkingTreeNote(git, inputs, outcome) {
    const paths = [inputs.context, ...(inputs.file ? [inputs.file] : [])];
    // A status git cannot give is no reason to fail a finished comparison: no note then.
    const changed = await git.hasChanges(paths).catch((e) => {
        if (e instanceof GitError)
            return false;
        throw e;
    });
    if (!changed)
        return outcome;
    const note = `The head is the working tree: ${inputs.context === '.' ? 'the repository' : inputs.context} has uncommitted changes on top of ${outcome.head.sha.slice(0, 12)}.`;
    return { ...outcome, notes: [...outcome.notes, note] };
}

;// CONCATENATED MODULE: ./src/cli/archive.ts
// Image archives on disk for `measure`: a tar (a file, or the stream of `docker save`) extracted
// into a temporary directory with the system's tar (run through the exec seam), then read as what
// it holds: an OCI layout, a `docker save`, or both.










async function tempDir(cleanups) {
    const dir = await (0,promises_namespaceObject.mkdtemp)(external_node_path_default().join(external_node_os_default().tmpdir(), 'image-budget-measure-'));
    cleanups.push(() => (0,promises_namespaceObject.rm)(dir, { recursive: true, force: true }));
    return dir;
}
/** Whether the file begins with `magic` (false for a shorter file). */
async function startsWith(file, magic) {
    const handle = await (0,promises_namespaceObject.open)(file, 'r');
    try {
        const { buffer, bytesRead } = await handle.read(Buffer.alloc(magic.length), 0, magic.length, 0);
        return bytesRead === magic.length && magic.every((b, i) => buffer[i] === b);
    }
    finally {
        await handle.close();
    }
}
async function isRegularFile(p) {
    const st = await (0,promises_namespaceObject.lstat)(p).catch(() => undefined);
    return st?.isFile() === true;
}
/**
 * An extracted archive: an OCI layout (index.json), a `docker save` (manifest.json), or both (Docker
 * 25+ saves hold an OCI layout). Which measurement fits depends on how the layers are stored:
 * - compressed (an OCI layout tar, a save from the containerd image store): measureOciLayout, every
 *   number exact, the blobs being the ones a registry stores;
 * - uncompressed (a save from the classic image store): the pull size is unknown, so it is read as
 *   the action reads that store, with measureDockerSave (exact uncompressed sizes, gzip-estimated
 *   compressed ones, marked as such). `asSave` reads the source again as a save stream.
 */
async function measureExtracted(dir, asSave, options, what) {
    const layout = await isRegularFile(external_node_path_default().join(dir, 'index.json'));
    const save = await isRegularFile(external_node_path_default().join(dir, 'manifest.json'));
    const saveKind = what === 'image' ? 'engine image' : 'docker save archive';
    if (save && (!layout || !(await firstLayerCompressed(dir))))
        return { kind: saveKind, images: await asSave() };
    if (layout)
        return { kind: save ? saveKind : what === 'image' ? 'engine image' : 'OCI layout archive', images: await measureOciLayout(dir, options) };
    throw new CliError('not an image archive: it holds neither index.json (an OCI layout) nor manifest.json (docker save)');
}
/** Whether the first layer of a save's manifest.json is gzip- or zstd-compressed, by its first bytes. */
async function firstLayerCompressed(dir) {
    const entries = parseLegacyManifest(await (0,promises_namespaceObject.readFile)(external_node_path_default().join(dir, 'manifest.json'), 'utf8'));
    const layer = entries[0]?.layers[0];
    // An image without layers reads the same either way.
    if (layer === undefined)
        return true;
    const file = external_node_path_default().join(dir, normalisePath(layer));
    if (!(await isRegularFile(file)))
        return false;
    return (await startsWith(file, [0x1f, 0x8b])) || (await startsWith(file, [0x28, 0xb5, 0x2f, 0xfd]));
}
/** Extracts a tar (file, any compression tar detects; or stream) into `dir` with the system's tar. */
async function extract(source, dir, io) {
    // Ownership and modes from the archive are not applied: the files are only read, then removed.
    // tar itself refuses members that climb out of `dir` (`..`, absolute names); the measurers then
    // refuse symlinks where they expect blobs.
    const args = ['-x', '--no-same-owner', '--no-same-permissions', '-C', dir, '-f', 'file' in source ? source.file : '-'];
    if ('file' in source) {
        const r = await io.exec('tar', args, { env: io.env });
        if (r.code !== 0)
            throw new CliError(`cannot read ${source.file} as a tar archive: ${io_lastLine(r.stderr) || `tar exited with code ${r.code}`}`);
        return;
    }
    const tar = spawnStream('tar', args, { env: io.env, stdin: 'pipe' });
    // tar -x writes nothing to stdout; drained all the same, so it can never block on it.
    tar.stdout.resume();
    const exited = tar.done.catch((e) => {
        throw new CliError(`tar could not be run: ${errorMessage(e)}`);
    });
    const input = tar.stdin;
    if (input === undefined)
        throw new Error('spawnStream gave no stdin though asked for one');
    const [piped, code] = await Promise.allSettled([(0,external_node_stream_promises_namespaceObject.pipeline)(source.stream, input), exited]);
    if (code.status === 'rejected')
        throw code.reason;
    if (code.value.code !== 0)
        throw new CliError(`tar could not extract the image: ${io_lastLine(code.value.stderr) || `exit code ${code.value.code}`}`);
    if (piped.status === 'rejected')
        throw piped.reason;
}

;// CONCATENATED MODULE: ./src/cli/measure.ts
// `image-budget measure SOURCE`: reads one image with the action's measurement modules. SOURCE is a
// directory (an OCI layout, measureOciLayout), a file (a `docker save` or OCI layout tar, extracted
// by archive.ts), or else an image of the local engine, never pulled: streamed through `docker save`
// into measureDockerSave on the classic image store, read as an OCI layout on the containerd store.
// A name the engine does not have (or with no engine at all) that reads as a registry reference is
// measured in its registry (registry/measure.ts: the runner's platform, every layer streamed once,
// nothing stored), with the credentials `docker login` left in the docker config.
























/** `--details` and `--advice` through the action's own parser (every other input at its default). */
function shownOf(command) {
    const inputs = parseInputs((name) => (name === INPUT.details ? (command.details ?? '') : name === INPUT.advice ? (command.advice ?? '') : ''));
    return { details: inputs.details, advice: inputs.advice };
}
async function measureCommand(command, io) {
    const progress = new Progress(io.stderr, painter(colourWanted(io.env, io.stderr.isTTY === true)), command.verbose);
    const { details, advice } = shownOf(command);
    const options = {
        target: command.source,
        secrets: [],
        onWarning: (m) => progress.warning(m),
        // File lists cost a tar parse of every layer: only when shown, or read for the advice.
        files: details.includes('files') || advice
    };
    const cleanups = [];
    const release = cleanUpOnInterrupt(cleanups, progress);
    try {
        const measured = await progress.group(`Measure ${command.source}`, () => measureSource(command.source, io, options, cleanups));
        if (command.json) {
            io.stdout.write(neutralizeJsonCommands(`${JSON.stringify(measurementJson(command.source, measured, advice), null, 2)}\n`));
        }
        else {
            const width = terminalWidth(io.stdout);
            io.stdout.write(renderMeasurement({ source: command.source, kind: `${measured.kind}, ${measured.kind === 'registry image' ? REGISTRY_TEXT : METHOD_TEXT[measured.images[0]?.method ?? 'oci-layout']}`, images: measured.images }, { colour: colourWanted(io.env, io.stdout.isTTY === true), details, advice, ...(width ? { width } : {}) }));
        }
        return EXIT.ok;
    }
    finally {
        await runCleanups(cleanups, progress);
        release();
    }
}
const REGISTRY_TEXT = 'read from the registry, never pulled';
const METHOD_TEXT = {
    'oci-layout': 'read as an OCI layout',
    'docker-save': 'read as a docker save'
};
/**
 * The JSON of `measure --json`: the report's per-image fields (docs/report-schema.md), per image,
 * and with `--advice` (the default) the causes found in it, as the terminal lists them.
 */
function measurementJson(source, measured, advice) {
    return {
        schema: 'image-budget/measurement',
        version: 1,
        tool: tool_TOOL,
        createdAt: new Date().toISOString(),
        source: { name: source, kind: measured.kind },
        images: measured.images.map((i) => ({
            platform: i.platform,
            digest: i.digest,
            configDigest: i.configDigest,
            compressedBytes: i.compressedBytes,
            ...(i.compressedEstimated ? { compressedEstimated: true } : {}),
            uncompressedBytes: i.uncompressedBytes,
            layerCount: i.layerCount,
            method: i.method,
            // The final file list stays out, as in the report: it can be millions of entries.
            ...(i.files ? { files: { wastedBytes: i.files.wastedBytes, wasted: i.files.wasted } } : {}),
            ...(advice ? { causes: causesJson(i) } : {}),
            layers: i.layers.map((l) => ({ ...l }))
        }))
    };
}
/** Every cause found in the image (the audit): what, its fix, its bytes and files, and where (`/dir/`, the layer that added most). */
function causesJson(image) {
    return (auditCauses(image)?.causes ?? []).map((c) => ({
        id: c.id,
        cause: c.cause,
        fix: c.fix,
        bytes: c.bytes,
        files: c.files,
        directories: c.groups.map((g) => ({ path: `/${g.dir}`, bytes: g.bytes, files: g.files, ...(g.layer ? { layer: g.layer.index + 1, instruction: g.layer.instruction } : {}) }))
    }));
}
/**
 * A path that exists is an archive (file) or an OCI layout (directory); anything else is an image of
 * the engine. A name that looks like a path but is not there is an error, not an image lookup.
 */
async function measureSource(source, io, options, cleanups) {
    const where = external_node_path_default().resolve(io.cwd, source);
    const st = await (0,promises_namespaceObject.stat)(where).catch(() => undefined);
    if (st?.isDirectory())
        return { kind: 'OCI layout', images: await measureOciLayout(where, options) };
    if (st?.isFile()) {
        const dir = await tempDir(cleanups);
        await extract({ file: where }, dir, io);
        const gzip = await startsWith(where, [0x1f, 0x8b]);
        // A gzipped save (`docker save | gzip`) is inflated on the way, as tar did.
        const reread = () => measureDockerSave(gzip ? (0,external_node_fs_namespaceObject.createReadStream)(where).pipe((0,external_node_zlib_namespaceObject.createGunzip)()) : (0,external_node_fs_namespaceObject.createReadStream)(where), options);
        return measureExtracted(dir, reread, options, 'archive');
    }
    if (st)
        throw new CliError(`${source} is neither a file nor a directory`);
    if (/^(?:[./~]|[A-Za-z]:[\\/])|\.(?:tar|tgz|tar\.gz)$/i.test(source))
        throw new CliError(`${source}: no such file or directory`);
    return measure_measureEngineImage(source, io, options, cleanups);
}
/**
 * An image of the local engine, never pulled. On the classic image store it is streamed through
 * `docker save` into measureDockerSave (measureLoaded: what the action does there); on the
 * containerd store, `docker save` gives the stored, compressed layers, read as an OCI layout.
 */
async function measure_measureEngineImage(name, io, options, cleanups) {
    // Checked before docker sees it: an option-like or multi-line name is a mistake, never a flag.
    if (name.startsWith('-') || /[\s\u0000-\u001f\u007f]/.test(name)) {
        throw new CliError(`${JSON.stringify(name)} is neither an existing path nor an image name`);
    }
    const inspect = await io.exec('docker', ['image', 'inspect', '--format', '{{.Id}}', '--', name], { env: io.env }).catch((e) => {
        if (isRegistryReference(name))
            return { code: -1, stdout: '', stderr: errorMessage(e) };
        throw new CliError(`measuring an image of the engine needs docker: ${errorMessage(e)}`);
    });
    if (inspect.code !== 0) {
        const notHere = `${name} is not a file, a directory or an image of the Docker engine${io.env.DOCKER_HOST ? ` at ${io.env.DOCKER_HOST}` : ''}`;
        const why = `docker: ${io_lastLine(inspect.stderr) || `exit code ${inspect.code}`}`;
        if (isRegistryReference(name))
            return measureInRegistry(name, io, options, `${notHere} (${why})`);
        throw new CliError(`${notHere} (${why}); images are never pulled: docker pull it first`);
    }
    const deps = { env: io.env };
    if ((await probeImageStore(io.exec, io.env)) === 'classic')
        return { kind: 'engine image', images: await measureLoaded(deps, name, options) };
    const dir = await tempDir(cleanups);
    const save = spawnStream('docker', ['save', '--', name], { env: io.env });
    try {
        await extract({ stream: save.stdout }, dir, io);
    }
    catch (e) {
        // tar gave up: docker save must not linger, writing into a closed pipe.
        save.kill();
        throw e;
    }
    const saved = await save.done;
    if (saved.code !== 0)
        throw new CliError(`docker save ${name} failed: ${io_lastLine(saved.stderr) || `exit code ${saved.code}`}`);
    return measureExtracted(dir, () => measureLoaded(deps, name, options), options, 'image');
}
/**
 * An image the engine does not have, read in its registry (never pulled into the engine): the
 * runner's platform, every layer streamed for its uncompressed size (and files when asked).
 */
async function measureInRegistry(name, io, options, notHere) {
    try {
        const image = await measureRegistryImage(name, {
            target: options.target,
            secrets: options.secrets,
            files: options.files === true,
            ...(options.onWarning ? { onWarning: options.onWarning } : {}),
            ...(options.limits ? { limits: options.limits } : {}),
            client: { env: io.env }
        });
        return { kind: 'registry image', images: [image] };
    }
    catch (e) {
        throw new CliError(`${notHere}, and its registry could not be read: ${errorMessage(e)}`);
    }
}

;// CONCATENATED MODULE: ./src/cli/main.ts
// The command line's entry logic: parse argv (args.ts), run the command it names (compare.ts,
// measure.ts, or help and version here) and turn every failure into a message on stderr and an exit
// code. stdout carries only the result (table or JSON); progress and warnings go to stderr.






/** Runs the command line `argv` (without node and the script); resolves to the exit code. */
async function main(argv, given) {
    const io = commandSafe(given);
    const paint = painter(colourWanted(io.env, io.stderr.isTTY === true));
    let command;
    try {
        command = parseArgs(argv);
    }
    catch (e) {
        if (!(e instanceof UsageError))
            throw e;
        const help = e.command ? `image-budget ${e.command} --help` : 'image-budget --help';
        io.stderr.write(`${paint('red', 'image-budget: error:')} ${e.message}\nRun "${help}" for the accepted forms.\n`);
        return EXIT.error;
    }
    try {
        switch (command.command) {
            case 'help':
                io.stdout.write(helpText(command.topic, tool_TOOL.version));
                return EXIT.ok;
            case 'version':
                io.stdout.write(`${tool_TOOL.name} ${tool_TOOL.version}\n`);
                return EXIT.ok;
            case 'compare':
                return await compareCommand(command, io);
            case 'measure':
                return await measureCommand(command, io);
        }
    }
    catch (e) {
        io.stderr.write(`${paint('red', 'image-budget: error:')} ${escapeLines(cliMessage(e))}\n`);
        return EXIT.error;
    }
}

;// CONCATENATED MODULE: ./src/cli/index.ts
// Entry point of the command line (package.json `bin`: `image-budget compare|measure ...`). The work
// is in main.ts and the command modules; this file only binds it to the real process.


// `image-budget compare --json | head`: a reader that stops early is no error, and the run must go on
// to clean up (remove the base checkout) and exit with its verdict.
for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e) => {
        if (e.code !== 'EPIPE')
            throw e;
    });
}
main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd(), exec: exec }).then((code) => {
    // exitCode rather than exit(): stdout may still be draining into a pipe.
    process.exitCode = code;
}, (error) => {
    // main turns every failure into a message and a code; reaching this is a bug, said as plainly.
    process.stderr.write(`image-budget: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 2;
});

