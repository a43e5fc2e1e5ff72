// Finds and reads the reports the `reports` input names (merge and comment modes): files, globs, or
// directories holding `report.json` files (as actions/download-artifact lays out several artifacts).
//
// What is read may be an artifact a pull request uploaded, hence hostile (security requirements 2
// and 11, RELIABILITY rows 27, 28): every path must stay inside the workspace or RUNNER_TEMP after
// symbolic links are resolved; a symbolic link is never followed (lstat, O_NOFOLLOW), whether named
// or met on a walk; walks are bounded in depth and entries; files are size-capped before they are
// read, then parsed and validated (report/validate.ts). Contents are never echoed in a message.
// What is read together is bounded too (RELIABILITY security requirement 11): at most
// MAX_REPORT_FILES reports and MAX_REPORTS_TOTAL_BYTES in all. Reports past either are left out, not
// refused: the caller publishes what fits and says how many were read and left out.
//
// Two kinds of failure, because comment mode treats them differently:
// - InputError: the workflow's own text is wrong (a path outside the roots, a path that does not
//   exist). Every mode fails the step, naming the input and the path.
// - ReportSourceError: what was found there is refused (a link, a special file, too large, not a
//   report, a newer schema, a directory holding no report, a pattern matching nothing). Merge mode
//   fails; comment mode warns and does not comment (it may be a tampered artifact).
import type { Dirent } from 'node:fs';
import { lstat, readdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import { parseReport } from '../baseline/from-report.js';
import { readStoredReport } from '../baseline/stored-file.js';
import { InputError } from '../inputs/errors.js';
import { INPUT } from '../inputs/names.js';
import type { ReportSource } from '../report/merge.js';
import { escapeControls } from '../report/escape.js';
import { compileGlob, isGlob } from './glob.js';
import { errorCode, errorMessage } from '../errors.js';

/** The file name looked for in a directory named by `reports`. */
export const REPORT_FILE_NAME = 'report.json';
/** Report files read at most (GitHub runs at most 256 jobs of one matrix); more are left out. */
export const MAX_REPORT_FILES = 256;
/** Bytes of all the reports read, together (each is at most 8 MiB); reports past it are left out. */
export const MAX_REPORTS_TOTAL_BYTES = 64 * 1024 * 1024;
/** Directory levels searched below a directory for report.json files. */
export const MAX_DIRECTORY_DEPTH = 8;
/** Entries looked at in all, so a `**` over a large tree fails fast instead of walking it all. */
export const MAX_ENTRIES_VISITED = 20_000;

const EXPECTED = 'report files, globs or directories inside the workspace or RUNNER_TEMP';

/** A report file refused for what it is or holds; `label` is the path as shown to people. */
export class ReportSourceError extends Error {
  override readonly name = 'ReportSourceError';
  constructor(
    readonly label: string,
    /** A clause that follows the label: `it is a symbolic link; …`, `it is not valid JSON`. */
    readonly reason: string
  ) {
    super(`${label}: ${reason}`);
  }
}

interface Roots {
  readonly workspace: string;
  /** The workspace and RUNNER_TEMP as given, and as their real paths (either may sit behind a link). */
  readonly lexical: readonly string[];
  readonly real: readonly string[];
}

function inside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

async function rootsOf(env: NodeJS.ProcessEnv): Promise<Roots> {
  const workspace = path.resolve(env.GITHUB_WORKSPACE || process.cwd());
  const lexical = [workspace, ...(env.RUNNER_TEMP ? [path.resolve(env.RUNNER_TEMP)] : [])];
  const real: string[] = [];
  for (const root of lexical) real.push(await realpath(root).catch(() => root));
  return { workspace, lexical: [...lexical, ...real], real };
}

/**
 * The path as people read it: relative to the workspace when inside it, else absolute. An
 * artifact's file names are the pull request's choice, and log lines are read by the runner: a line
 * break in a name could start a workflow command (`::error::…`), so control characters are shown
 * escaped (`\x0a`).
 */
function labelOf(roots: Roots, p: string): string {
  const rel = path.relative(roots.workspace, p);
  return escapeControls(inside(roots.workspace, p) && rel !== '' ? rel.split(path.sep).join('/') : p);
}

/** Throws unless the real location of `dir` is inside a root (a link on the way may lead out). */
async function checkRealInside(roots: Roots, dir: string, label: string): Promise<void> {
  let real: string;
  try {
    real = await realpath(dir);
  } catch (error) {
    throw new ReportSourceError(label, `it cannot be resolved (${errorMessage(error)})`);
  }
  if (!roots.real.some((r) => inside(r, real))) {
    throw new ReportSourceError(label, `it resolves outside the workspace and RUNNER_TEMP (to ${real})`);
  }
}

interface Entry {
  readonly abs: string;
  /** Relative to the walk's start, `/`-separated. */
  readonly rel: string;
  readonly kind: 'file' | 'directory' | 'link' | 'other';
}

/** What a directory entry (Dirent) or an lstat (Stats) says is there, a link being a link. */
function kindOf(d: Pick<Dirent, 'isSymbolicLink' | 'isFile' | 'isDirectory'>): Entry['kind'] {
  if (d.isSymbolicLink()) return 'link';
  if (d.isFile()) return 'file';
  if (d.isDirectory()) return 'directory';
  return 'other';
}

/**
 * Every entry below `dir` down to `depth` levels, sorted by path, never descending into a symbolic
 * link (Dirent answers for the link itself). `budget` counts entries across one whole resolution.
 */
async function walk(dir: string, depth: number, budget: { left: number }, label: string): Promise<Entry[]> {
  const out: Entry[] = [];
  const visit = async (abs: string, rel: string, level: number): Promise<void> => {
    if (level >= depth) return;
    let items: Dirent[];
    try {
      items = await readdir(abs, { withFileTypes: true });
    } catch (error) {
      throw new ReportSourceError(label, `it cannot be listed (${errorMessage(error)})`);
    }
    items.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const item of items) {
      if (--budget.left < 0) {
        throw new ReportSourceError(label, `it covers more than ${MAX_ENTRIES_VISITED} files and directories; name the reports more narrowly`);
      }
      const entry: Entry = { abs: path.join(abs, item.name), rel: rel === '' ? item.name : `${rel}/${item.name}`, kind: kindOf(item) };
      out.push(entry);
      if (entry.kind === 'directory') await visit(entry.abs, entry.rel, level + 1);
    }
  };
  await visit(dir, '', 0);
  return out;
}

/** A file that is a report candidate, or the refusal of what stands there instead. */
function fileOf(roots: Roots, entry: { readonly abs: string; readonly kind: Entry['kind'] }): string {
  const label = labelOf(roots, entry.abs);
  if (entry.kind === 'link') throw new ReportSourceError(label, 'it is a symbolic link; refusing to follow it');
  if (entry.kind !== 'file') throw new ReportSourceError(label, 'it is not a regular file');
  return entry.abs;
}

/** The report.json files under a directory, shallowest and then alphabetically first. */
async function reportsUnder(roots: Roots, dir: string, budget: { left: number }): Promise<string[]> {
  const label = labelOf(roots, dir);
  const found = (await walk(dir, MAX_DIRECTORY_DEPTH, budget, label)).filter((e) => path.basename(e.abs) === REPORT_FILE_NAME);
  if (found.length === 0) {
    throw new ReportSourceError(label, `it holds no ${REPORT_FILE_NAME} (looked ${MAX_DIRECTORY_DEPTH} levels deep, not following links)`);
  }
  // A directory called report.json is no report: refused like any other non-file.
  return found.map((e) => fileOf(roots, e));
}

/**
 * Where `text` points, checked to be inside a root as written; missing → an InputError that names
 * `entry`, the entry of `reports` as the workflow wrote it.
 */
async function locate(roots: Roots, text: string, entry = text): Promise<{ abs: string; kind: Entry['kind'] }> {
  const abs = path.resolve(roots.workspace, text);
  if (!roots.lexical.some((r) => inside(r, abs))) {
    throw new InputError(INPUT.reports, entry, EXPECTED, { problem: `is outside them (resolved to ${abs})` });
  }
  try {
    return { abs, kind: kindOf(await lstat(abs)) };
  } catch (error) {
    if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR') {
      throw new InputError(INPUT.reports, entry, EXPECTED, { problem: `was not found (looked at ${abs})` });
    }
    throw new ReportSourceError(labelOf(roots, abs), `it cannot be read (${errorMessage(error)})`);
  }
}

/**
 * The report files one entry of `reports` names, in a stable order. A pattern's matching files are
 * reports, its matching directories are searched for report.json files (`reports/*` covers one
 * directory per downloaded artifact).
 */
async function filesOfEntry(roots: Roots, text: string, budget: { left: number }): Promise<string[]> {
  // A path that exists as written is that path, even when it holds glob characters (a self-hosted
  // runner's temp folder may be called `r[1]`).
  if (!isGlob(text) || (await existsAsWritten(roots, text))) {
    const found = await locate(roots, text);
    const label = labelOf(roots, found.abs);
    // The named path itself is lstat'ed and never followed; the directories above it are resolved.
    if (found.kind === 'link') throw new ReportSourceError(label, 'it is a symbolic link; refusing to follow it');
    await checkRealInside(roots, found.kind === 'directory' ? found.abs : path.dirname(found.abs), label);
    return found.kind === 'directory' ? reportsUnder(roots, found.abs, budget) : [fileOf(roots, found)];
  }
  let pattern;
  try {
    pattern = compileGlob(text);
  } catch (error) {
    // A bracket expression the regular expression engine refuses (`[z-a]`).
    throw new InputError(INPUT.reports, text, EXPECTED, { problem: `is not a valid pattern (${errorMessage(error)})` });
  }
  const base = await locate(roots, pattern.base, text);
  if (base.kind !== 'directory') {
    throw new InputError(INPUT.reports, text, EXPECTED, { problem: `does not start in a directory (${base.abs} is not one)` });
  }
  await checkRealInside(roots, base.abs, labelOf(roots, base.abs));
  const depth = Number.isFinite(pattern.depth) ? pattern.depth : MAX_DIRECTORY_DEPTH;
  const matched = (await walk(base.abs, depth, budget, text)).filter((e) => pattern.matches(e.rel));
  if (matched.length === 0) throw new ReportSourceError(text, 'it matches no file');
  const files: string[] = [];
  for (const entry of matched) {
    if (entry.kind === 'directory') files.push(...(await reportsUnder(roots, entry.abs, budget)));
    else files.push(fileOf(roots, entry));
  }
  return files;
}

/**
 * The report files `entries` name, each once, in the order given (a directory's or a pattern's in
 * path order). Throws InputError or ReportSourceError (see the file comment).
 */
export async function findReportFiles(entries: readonly string[], env: NodeJS.ProcessEnv): Promise<Array<{ readonly file: string; readonly label: string }>> {
  const roots = await rootsOf(env);
  const budget = { left: MAX_ENTRIES_VISITED };
  const seen = new Set<string>();
  const out: Array<{ file: string; label: string }> = [];
  for (const entry of entries) {
    for (const file of await filesOfEntry(roots, entry, budget)) {
      if (seen.has(file)) continue;
      seen.add(file);
      out.push({ file, label: labelOf(roots, file) });
    }
  }
  return out;
}

/** The reports read, and what was left out to stay within the limits. */
export interface ReadReports {
  readonly sources: ReportSource[];
  /** The labels of the reports left out, in the order found (empty when everything fit). */
  readonly skipped: readonly string[];
  /** When some were left out: one sentence saying how many were read and left out, and why, for the notes. */
  readonly note?: string;
}

/**
 * Finds, reads (size-capped, links refused) and validates every report `entries` name, as many as
 * fit in MAX_REPORT_FILES and MAX_REPORTS_TOTAL_BYTES (see the file comment). Each is a report of
 * this schema version; nothing else about it is checked here.
 */
export async function readReports(entries: readonly string[], env: NodeJS.ProcessEnv): Promise<ReadReports> {
  const sources: ReportSource[] = [];
  const skipped: string[] = [];
  let bytes = 0;
  for (const { file, label } of await findReportFiles(entries, env)) {
    // The size on disk first, so a report that cannot fit is not read at all (the read below re-checks).
    const onDisk = await lstat(file).then((st) => st.size, () => 0);
    if (sources.length >= MAX_REPORT_FILES || bytes + onDisk > MAX_REPORTS_TOTAL_BYTES) {
      skipped.push(label);
      continue;
    }
    let text: string | undefined;
    try {
      text = await readStoredReport(file, 'report');
    } catch (error) {
      // Swapped for a link or grown past the cap since the walk, or unreadable.
      throw new ReportSourceError(label, errorMessage(error));
    }
    if (text === undefined) throw new ReportSourceError(label, 'it disappeared while being read');
    const size = Buffer.byteLength(text, 'utf8');
    if (bytes + size > MAX_REPORTS_TOTAL_BYTES) {
      // Grown since the lstat.
      skipped.push(label);
      continue;
    }
    bytes += size;
    const parsed = parseReport(text);
    if (!parsed.ok) throw new ReportSourceError(label, parsed.reason);
    sources.push({ label, report: parsed.report });
  }
  return { sources, skipped, ...(skipped.length > 0 ? { note: leftOutNote(sources.length, skipped.length) } : {}) };
}

function leftOutNote(read: number, left: number): string {
  const reports = (n: number): string => `${n} report${n === 1 ? '' : 's'}`;
  return (
    `Only ${reports(read)} of ${read + left} were read; ${reports(left)} left out, past the limits of ${MAX_REPORT_FILES} reports ` +
    `and ${MAX_REPORTS_TOTAL_BYTES / 1024 / 1024} MiB of reports in all: the rows shown are not all of them. Name fewer reports in \`reports\` ` +
    `(merge the matrix in groups), or keep the reports smaller (\`details\`).`
  );
}

/** The warning of a read that left reports out: the note, then the first labels left out. */
export function leftOutWarning(read: ReadReports): string | undefined {
  if (!read.note) return undefined;
  const shown = read.skipped.slice(0, 10).join(', ');
  const more = read.skipped.length > 10 ? ` and ${read.skipped.length - 10} more` : '';
  return `${read.note} Left out: ${shown}${more}.`;
}

/** Whether `text`, read literally, names something inside the roots (without following it). */
async function existsAsWritten(roots: Roots, text: string): Promise<boolean> {
  const abs = path.resolve(roots.workspace, text);
  if (!roots.lexical.some((r) => inside(r, abs))) return false;
  try {
    await lstat(abs);
    return true;
  } catch {
    return false;
  }
}
