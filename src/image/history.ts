// From an image config's history to one redacted Dockerfile instruction per filesystem layer.
// Pure. History is user-visible metadata that can carry secrets (build-arg values are recorded in
// every RUN line), so every instruction is redacted before it leaves this module.
import type { HistoryEntry } from './oci.js';

/** Shown for a layer whose instruction is not known. */
export const UNKNOWN_INSTRUCTION = '?';
export const REDACTED = '***';
/** Longest instruction returned, in code points, `…` included. */
export const MAX_INSTRUCTION_LENGTH = 300;
/** Known secret values shorter than this are not replaced: they would blank out ordinary words. */
export const MIN_SECRET_LENGTH = 3;

/** How many layers the history describes (its entries without `empty_layer`). */
export function historyLayerCount(history: readonly HistoryEntry[]): number {
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
export function layerInstructions(
  history: readonly HistoryEntry[],
  layerCount: number,
  secrets: readonly string[]
): string[] {
  const made = history.filter((h) => !h.emptyLayer);
  const out: string[] = [];
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
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Line breaks and tabs become spaces; other control and invisible characters go. Char by char. */
function clean(s: string): string {
  return s.replace(LINE_BREAKS, ' ').replace(INVISIBLE, '').replace(LONE_SURROGATE, '\ufffd');
}

/** The regular expressions below are linear on this much; later text is cut anyway. */
const WORK_LENGTH = 4096;

// `/bin/sh -c #(nop)  ENV K=v` and friends, written by the classic builder for metadata instructions.
const CLASSIC_NOP = /^(?:\/bin\/sh -c|cmd \/S \/C) #\(nop\) */;
// Where the command starts after the last `K=v` of `RUN |N ...`: the shell BuildKit prefixed.
const SHELL_START =
  / (?:(?:\S{0,64}\/)?(?:sh|bash|ash|dash|zsh|ksh)\b.{0,64}? -c |cmd \/S \/C |(?:powershell|pwsh)(?:\.exe)? .{0,64}?-Command )/;
const NEXT_KEY = / [^\s=]+=/;

// Names whose value is a credential, in `K=v`, `K: v`, `"K": "v"` and `--k v`.
const SECRET_KEY = String.raw`[\w.-]{0,64}(?:password|passwd|token|secret|api[_-]?key|access[_-]?key|private[_-]?key)[\w.-]{0,64}`;
const VALUE = String.raw`("[^"]*"|'[^']*'|[^\s"'&;|,]+)`;

const TOKEN_PATTERNS: ReadonlyArray<readonly [RegExp, string]> = [
  // GitHub tokens: personal, OAuth, user-to-server, server-to-server, refresh, fine-grained. No word
  // boundary in front: `TOKEN_ghp_…` or `xghp_…` is the token all the same.
  [/(?:gh[pousr]_[A-Za-z0-9]{16,}|github_pat_[A-Za-z0-9_]{20,})/g, REDACTED],
  // AWS access key ids (long-term and temporary).
  [/(?:AKIA|ASIA)[0-9A-Z]{16}(?![0-9A-Z])/g, REDACTED],
  // GitLab, Slack, npm and OpenAI-style keys.
  [/(?:glpat-[A-Za-z0-9_-]{20,}|xox[abprs]-[A-Za-z0-9-]{10,}|npm_[A-Za-z0-9]{36,}|(?<![A-Za-z])sk-[A-Za-z0-9_-]{20,})/g, REDACTED],
  // password=..., NPM_TOKEN=..., client_secret="...", api-key=...
  [new RegExp(String.raw`\b(${SECRET_KEY})=${VALUE}`, 'gi'), `$1=${REDACTED}`],
  // "password": "...", password: ... (JSON, YAML, HTTP headers such as PRIVATE-TOKEN: ...). An
  // unquoted name needs a space after its colon, so that an image reference `tokenizer:1.2` stays.
  [new RegExp(String.raw`(["']${SECRET_KEY}["']\s*:\s*)("[^"]*"|'[^']*'|[^\s,}"']+)`, 'gi'), `$1${REDACTED}`],
  [new RegExp(String.raw`\b(${SECRET_KEY}:\s+)${VALUE}`, 'gi'), `$1${REDACTED}`],
  // --password hunter2, --token "$T" (not `--password-stdin -u x`: an option is no value).
  [new RegExp(String.raw`(\s--?${SECRET_KEY})\s+("[^"]*"|'[^']*'|[^\s"'-][^\s"']*)`, 'gi'), `$1 ${REDACTED}`],
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
export function redactInstruction(createdBy: string, secrets: readonly string[]): string {
  let s = replaceSecrets(clean(createdBy), secrets);
  s = s.replace(/ {2,}/g, ' ').trim();
  if (s.length > WORK_LENGTH) s = s.slice(0, WORK_LENGTH);
  s = s.replace(/ ?# buildkit$/, '');
  s = simplifyClassic(s);
  s = redactValues(s);
  for (const [pattern, replacement] of TOKEN_PATTERNS) s = s.replace(pattern, replacement);
  return cap(s.trim(), MAX_INSTRUCTION_LENGTH);
}

function replaceSecrets(s: string, secrets: readonly string[]): string {
  const values = [...new Set(secrets.map(clean))]
    .filter((v) => v.length >= MIN_SECRET_LENGTH && v !== REDACTED)
    // Longest first, so a secret that contains another one is replaced whole.
    .sort((a, b) => b.length - a.length);
  for (const v of values) s = s.split(v).join(REDACTED);
  return s;
}

function simplifyClassic(s: string): string {
  const nop = CLASSIC_NOP.exec(s);
  if (nop) return s.slice(nop[0].length).trim();
  if (s.startsWith('/bin/sh -c ') || /^\|\d+ /.test(s)) return `RUN ${s}`;
  return s;
}

function redactValues(s: string): string {
  const m = /^(\S+) (.*)$/.exec(s);
  if (!m) return s;
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
function redactRunArgs(rest: string): string {
  const head = /^\|(\d+)(?: |$)/.exec(rest);
  if (!head) return REDACTED;
  const count = Number(head[1]);
  const parts = [`|${count}`];
  let pos = head[0].length;
  for (let i = 0; i < count; i++) {
    const key = /^([^\s=]+)=/.exec(rest.slice(pos));
    // Fewer pairs than announced: what follows cannot be told apart from a value.
    if (!key) return [...parts, REDACTED].join(' ');
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
function redactPairs(body: string, valuesOnly: boolean): string {
  const keys = [...body.matchAll(/(?:^|\s)([^\s=]+)=/g)];
  const first = keys[0];
  if (!first) {
    if (!valuesOnly) return body;
    const sp = body.indexOf(' ');
    return sp < 0 ? body : `${body.slice(0, sp)} ${REDACTED}`;
  }
  const prefix = body.slice(0, first.index).trim();
  const pairs = keys.map((k) => `${k[1] ?? ''}=${REDACTED}`);
  return [...(prefix ? [prefix] : []), ...pairs].join(' ');
}

function cap(s: string, max: number): string {
  const points = Array.from(s);
  return points.length <= max ? s : `${points.slice(0, max - 1).join('')}…`;
}
