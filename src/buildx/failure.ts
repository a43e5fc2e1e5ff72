// Pure: the part of a failed build's log a reader needs (the failing step's output and buildx's ERROR
// line), with secret values masked.

const MAX_LINES = 20;

/** Replace every known secret value (3+ characters) in `text` with `***`. */
export function maskSecrets(text: string, secrets: readonly string[]): string {
  return secretMask(secrets)(text);
}

/**
 * {@link maskSecrets} for many texts (every path of an image, every string of a report): the values
 * are sorted once, longest first, and a text that holds none of them comes back as it is, not a copy.
 */
export function secretMask(secrets: readonly string[]): (text: string) => string {
  const values = maskedValues(secrets);
  return (text) => {
    let out = text;
    for (const s of values) if (out.includes(s)) out = out.split(s).join('***');
    return out;
  };
}

/** The values that are masked, each once, longest first (so that a longer one is masked whole): those of 3+ characters. */
function maskedValues(secrets: readonly string[]): string[] {
  return [...new Set(secrets)].filter((v) => v.length >= 3).sort((a, b) => b.length - a.length);
}

/** Longest unfinished line held back by {@link secretMasker} before it is passed on anyway. */
export const MAX_HELD_LINE = 64 * 1024;

/** Where the known secrets occur in `text`: non-overlapping [start, end) pairs, longest secret first. */
function occurrences(text: string, secrets: readonly string[]): Array<readonly [number, number]> {
  const found: Array<readonly [number, number]> = [];
  for (const s of secrets) {
    for (let at = text.indexOf(s); at !== -1; at = text.indexOf(s, at + 1)) {
      const end = at + s.length;
      if (!found.some(([a, b]) => at < b && end > a)) found.push([at, end]);
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
export function secretMasker(secrets: readonly string[], emit: (text: string) => void): { write(chunk: string): void; end(): void } {
  const values = maskedValues(secrets);
  // A value with a line break in it can straddle a line end: then the tail that could start one is held too.
  const hold = values.length ? Math.max(...values.map((v) => v.length)) - 1 : 0;
  const multiLine = values.some((v) => /[\r\n]/.test(v));
  let pending = '';
  const pass = (upTo: number): void => {
    const found = occurrences(pending, values);
    // A secret that starts before the cut ends inside `pending` (the cut leaves room for it): take it whole.
    for (const [a, b] of found) if (a < upTo && b > upTo) upTo = b;
    let out = '';
    let from = 0;
    for (const [a, b] of found) {
      if (a >= upTo) break;
      out += `${pending.slice(from, a)}***`;
      from = b;
    }
    out += pending.slice(from, upTo);
    pending = pending.slice(upTo);
    if (out !== '') emit(out);
  };
  return {
    write(chunk: string): void {
      pending += chunk;
      const lineCut = Math.max(pending.lastIndexOf('\n'), pending.lastIndexOf('\r')) + 1;
      let cut = lineCut;
      const room = pending.length - hold;
      if ((multiLine && room < lineCut) || pending.length - lineCut > MAX_HELD_LINE) {
        // A cut inside a line.
        cut = Math.max(0, room);
        while (cut > 0 && (pending[cut - 1] === '#' || pending[cut - 1] === ':')) cut--;
      }
      if (cut > 0) pass(cut);
    },
    end(): void {
      pass(pending.length);
    }
  };
}

/**
 * `docker buildx build` prints the failing step's last output between `------` rulers, then
 * `ERROR: failed to solve: …`. Keep that block and the ERROR line; else the last lines.
 */
export function summarizeBuildFailure(log: string, secrets: readonly string[]): string {
  const lines = log.split('\n').map((l) => l.replace(/\s+$/, ''));
  let end = -1;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (/^(ERROR|error):/.test(lines[i] ?? '')) {
      end = i;
      break;
    }
  }
  let picked: string[];
  if (end === -1) {
    picked = lines.filter(Boolean).slice(-MAX_LINES);
  } else {
    let start = end;
    const rulers: number[] = [];
    for (let i = end - 1; i >= 0 && rulers.length < 2; i--) if (lines[i] === '------') rulers.push(i);
    if (rulers.length === 2) start = rulers[1]!;
    picked = lines.slice(start, end + 1).filter((l) => l !== '');
    if (picked.length > MAX_LINES) picked = [...picked.slice(0, 2), '…', ...picked.slice(-(MAX_LINES - 3))];
  }
  return maskSecrets(picked.join('\n'), secrets);
}

/** The last ERROR line alone, for one-line messages and annotations. */
export function lastErrorLine(log: string, secrets: readonly string[]): string {
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
export function cacheProblems(log: string, secrets: readonly string[]): string[] {
  const lines = log.split('\n').map((l) => l.trim());
  const cacheSteps = new Set<string>();
  const out: string[] = [];
  for (const line of lines) {
    const step = /^#(\d+) (.*)$/.exec(line);
    if (step && CACHE_STEP.test(step[2] ?? '')) cacheSteps.add(step[1]!);
  }
  for (const line of lines) {
    let problem: string | undefined;
    if (/^WARNING:.*cache/i.test(line)) problem = line.replace(/^WARNING:\s*/, '');
    const step = /^#(\d+) ERROR:\s*(.*)$/.exec(line);
    if (step && cacheSteps.has(step[1]!)) problem = step[2];
    // A registry cache that was never written (the first build of a scope) is not found: nothing is wrong.
    if (problem && NOT_WRITTEN_YET.test(problem)) continue;
    if (problem && !out.includes(problem)) out.push(problem);
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
export function isCacheFailure(error: string, problems: readonly string[] = []): boolean {
  return (
    problems.some((p) => p !== '' && error.endsWith(p)) ||
    /failed to configure \S+ cache (exporter|importer)|cache (exporter|importer).*(token|url|unauthori[sz]ed|forbidden)/i.test(error) ||
    /This legacy service is shutting down|gha-cache-sunset/i.test(error) ||
    /error writing layer blob|Cache already exists|failed to reserve cache|maximum timeout reached/i.test(error) ||
    /cache write denied|no writable scopes/i.test(error)
  );
}

/**
 * A registry that is overloaded or limiting pulls while an image is resolved or fetched (`FROM`):
 * Docker Hub's `toomanyrequests` or a 429, or a 500, 502, 503 or 504 from a registry (RELIABILITY
 * row 17). Worth a bounded retry; anything else (not found, unauthorized, a failing RUN step, a
 * cache backend's own 429) is not.
 */
export function isTransientRegistryError(error: string): boolean {
  if (isCacheFailure(error) || /did not complete successfully/.test(error)) return false;
  if (/\btoomanyrequests\b/i.test(error)) return true;
  const registry = /failed to resolve source metadata|httpReadSeeker|unexpected status (code|from (HEAD|GET) request)|failed to fetch (oauth|anonymous) token|received unexpected HTTP status/i;
  const status = /\b(429 Too Many Requests|500 Internal Server Error|502 Bad Gateway|503 Service Unavailable|504 Gateway Time-?out)\b/i;
  return registry.test(error) && status.test(error);
}

export type BuildFailureKind = 'cache' | 'transient-registry' | 'other';

/** Which way on a failed build's error line leads: without cache, a retry later, or none. */
export function classifyBuildFailure(error: string): BuildFailureKind {
  if (isCacheFailure(error)) return 'cache';
  if (isTransientRegistryError(error)) return 'transient-registry';
  return 'other';
}

/**
 * What to do about a cache problem, when there is more to say than buildx did: the retired legacy
 * cache service means a BuildKit and buildx too old for the new one (RELIABILITY row 12).
 */
export function cacheHint(problem: string): string | undefined {
  if (/This legacy service is shutting down|gha-cache-sunset/i.test(problem)) {
    return (
      "GitHub's new cache service needs BuildKit ≥ 0.20 / Buildx ≥ 0.21: update Docker, or set up a builder " +
      'with docker/setup-buildx-action (driver docker-container) before this step'
    );
  }
  return undefined;
}

/** `problem`, followed by its {@link cacheHint} when there is one. */
export function withCacheHint(problem: string): string {
  const hint = cacheHint(problem);
  return hint ? `${problem} (${hint})` : problem;
}
