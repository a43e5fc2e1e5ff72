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

export interface SyntaxDirective {
  /** The frontend image the Dockerfile names, e.g. `docker/dockerfile:1`. */
  readonly frontend: string;
  /** The directive as written, e.g. `# syntax=docker/dockerfile:1`. */
  readonly text: string;
  /** Its line, 1-based (the JSON form: the first line after a shebang). */
  readonly line: number;
}

const DIRECTIVES: ReadonlySet<string> = new Set(['syntax', 'escape', 'check']);
/** Go's unicode.IsSpace. */
const UNICODE_SPACE = '\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
/** Go's `\s` (RE2, ASCII). */
const GO_SPACE = '[\\t\\n\\f\\r ]';
const DIRECTIVE = new RegExp(`^[${UNICODE_SPACE}]*([a-zA-Z][a-zA-Z0-9]*)${GO_SPACE}*=${GO_SPACE}*(.+?)${GO_SPACE}*$`, 's');

/** The `syntax` directive of the leading directive lines with this comment prefix, if any. */
function fromComments(lines: readonly string[], firstLine: number, prefix: string): SyntaxDirective | undefined {
  const seen = new Set<string>();
  for (const [i, raw] of lines.entries()) {
    if (!raw.startsWith(prefix)) return undefined;
    const m = DIRECTIVE.exec(raw.slice(prefix.length));
    const key = m?.[1]?.toLowerCase();
    if (!m || key === undefined || !DIRECTIVES.has(key)) return undefined;
    // A repeated directive is an error that ends the parse; what came before it stands.
    if (seen.has(key)) return undefined;
    seen.add(key);
    if (key === 'syntax') {
      const value = m[2] ?? '';
      return { frontend: value.split(' ')[0] ?? value, text: raw.trim(), line: firstLine + i };
    }
  }
  return undefined;
}

/** The frontend `text` (a Dockerfile's content) names, as BuildKit detects it; undefined when it names none. */
export function syntaxDirective(text: string): SyntaxDirective | undefined {
  let body = text.startsWith('\ufeff') ? text.slice(1) : text;
  let firstLine = 1;
  if (body.startsWith('#!')) {
    const firstBreak = body.indexOf('\n');
    body = firstBreak === -1 ? '' : body.slice(firstBreak + 1);
    firstLine = 2;
  }
  // Go's bufio.ScanLines: lines end at \n, a \r before it is dropped.
  const lines = body.split('\n').map((l) => l.replace(/\r$/, ''));
  if (lines.at(-1) === '') lines.pop();
  const found = fromComments(lines, firstLine, '#') ?? fromComments(lines, firstLine, '//');
  if (found) return found;
  try {
    const json: unknown = JSON.parse(body);
    if (json !== null && typeof json === 'object' && !Array.isArray(json)) {
      const value = (json as Record<string, unknown>)['syntax'];
      if (typeof value === 'string') return { frontend: value, text: `"syntax": ${JSON.stringify(value)}`, line: firstLine };
    }
  } catch {
    // Not JSON: no frontend named that way.
  }
  return undefined;
}
