// The small glob language of the `reports` input: `*` (any characters but `/`), `?` (one character
// but `/`), `[abc]` / `[!abc]` (one of, or none of), and `**` as a whole path segment (any number of
// directories). No braces: the input is split on commas, so `{a,b}` could never arrive whole. Pure:
// the walk that applies a pattern to a directory tree is in report-files.ts, which never follows a
// symbolic link, whatever the pattern says.

const GLOB_CHARS = /[*?[]/;

/** Whether an entry of `reports` is a pattern (else a plain file or directory path). */
export function isGlob(text: string): boolean {
  return GLOB_CHARS.test(text);
}

export interface GlobPattern {
  /** The leading segments without glob characters: where the walk starts (`.` for none). */
  readonly base: string;
  /** How many directory levels below `base` a match can be; Infinity with `**`. */
  readonly depth: number;
  /** Tests a path relative to `base`, segments joined by `/`. */
  matches(relative: string): boolean;
}

/**
 * Splits `pattern` (segments separated by `/`) into the literal base directory and a matcher of the
 * rest. `reports/*\/report.json` → base `reports`, matching `api/report.json`.
 */
export function compileGlob(pattern: string): GlobPattern {
  const segments = pattern.split('/');
  const first = segments.findIndex((s) => isGlob(s));
  const literal = first < 0 ? segments : segments.slice(0, first);
  const rest = first < 0 ? [] : segments.slice(first).filter((s, i, all) => s !== '' || i === all.length - 1);
  // A trailing `/` (`reports/*/`) asks for directories; they match the same as without it.
  if (rest.length > 0 && rest[rest.length - 1] === '') rest.pop();
  const base = literal.length === 0 ? '.' : literal.join('/') || '/';
  const source = rest
    .map((segment, i) => {
      const last = i === rest.length - 1;
      if (segment === '**') return last ? '.*' : '(?:[^/]+/)*';
      return segmentSource(segment) + (last ? '' : '/');
    })
    .join('');
  const regex = new RegExp(`^${source}$`);
  return {
    base,
    depth: rest.includes('**') ? Infinity : rest.length,
    matches: (relative) => relative !== '' && regex.test(relative)
  };
}

const SPECIAL = /[\\^$.*+?()[\]{}|/]/;

function escapeChar(ch: string): string {
  return SPECIAL.test(ch) ? `\\${ch}` : ch;
}

/** One segment's regex source; `[` without a closing `]` is a literal `[`. */
function segmentSource(segment: string): string {
  let out = '';
  for (let i = 0; i < segment.length; i++) {
    const ch = segment[i]!;
    if (ch === '*') out += '[^/]*';
    else if (ch === '?') out += '[^/]';
    else if (ch === '[') {
      const close = segment.indexOf(']', i + 2);
      if (close < 0) {
        out += '\\[';
        continue;
      }
      let body = segment.slice(i + 1, close);
      const negate = body.startsWith('!') || body.startsWith('^');
      if (negate) body = body.slice(1);
      // Inside a class only `\`, `]` and `^` mean something to RegExp; `-` keeps its range meaning.
      const escaped = body.replace(/[\\\]^]/g, (c) => `\\${c}`);
      out += negate ? `[^/${escaped}]` : `[${escaped}]`;
      i = close;
    } else out += escapeChar(ch);
  }
  return out;
}
