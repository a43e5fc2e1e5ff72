// Pure: the part of a failed build's log a reader needs (the failing step's output and buildx's ERROR
// line), with secret values masked.

const MAX_LINES = 20;

/** Replace every known secret value (3+ characters) in `text` with `***`. */
export function maskSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of [...secrets].filter((v) => v.length >= 3).sort((a, b) => b.length - a.length)) {
    out = out.split(s).join('***');
  }
  return out;
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
 * Cache trouble that did not fail the build (RELIABILITY row 11): buildx's `WARNING:` lines about a
 * cache, and `ERROR` lines of the build steps that import or export cache. Each once, in order.
 */
export function cacheProblems(log: string, secrets: readonly string[]): string[] {
  const lines = log.split('\n').map((l) => l.trim());
  const cacheSteps = new Set<string>();
  const out: string[] = [];
  for (const line of lines) {
    const step = /^#(\d+) (.*)$/.exec(line);
    if (step && /\b(importing|exporting) cache\b|cache manifest|\bcache (import|export)/i.test(step[2] ?? '')) cacheSteps.add(step[1]!);
  }
  for (const line of lines) {
    let problem: string | undefined;
    if (/^WARNING:.*cache/i.test(line)) problem = line.replace(/^WARNING:\s*/, '');
    const step = /^#(\d+) ERROR:\s*(.*)$/.exec(line);
    if (step && cacheSteps.has(step[1]!)) problem = step[2];
    if (problem && !out.includes(problem)) out.push(problem);
  }
  return out.map((p) => maskSecrets(p, secrets));
}

/** A build that failed only because its cache backend could not be set up (retry without cache). */
export function isCacheSetupFailure(error: string): boolean {
  return /failed to configure \S+ cache (exporter|importer)|cache (exporter|importer).*(token|url|unauthori[sz]ed|forbidden)|This legacy service is shutting down/i.test(error);
}
