// The command line's commands, run on the action's own engine:
// - `compare` parses its flags with the action's input parser, describes the local checkout as an
//   event, and hands both to measureAndCompare (plan, build, measure, compare, judge), exactly the
//   pipeline the action runs; it then prints the outcome (terminal table or JSON report) instead of
//   publishing it, and exits by the verdict.
// - `measure` reads one image with the action's measurement modules: an OCI layout with
//   measureOciLayout, a classic-store `docker save` with measureDockerSave.
// stdout carries only the result (table or JSON); progress, warnings and, with --verbose, the build
// output go to stderr. Build output never reaches stdout: side.ts writes it there for the Actions
// log, so the exec handed to the pipeline reroutes every live output.
import { TOOL } from '../tool.js';
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { lstat, mkdtemp, open, readFile, realpath, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { maskSecrets } from '../buildx/failure.js';
import { parseImageStore } from '../buildx/probe.js';
import type { Exec } from '../exec.js';
import { Git } from '../git/git.js';
import { parseRepoFullName, type EventContext, type RepoRef } from '../github/event.js';
import { measureDockerSave, type DockerSaveOptions } from '../image/docker-save.js';
import { parseLegacyManifest } from '../image/save-images.js';
import { normalisePath } from '../image/tar.js';
import { measureOciLayout } from '../image/measure.js';
import { secretValues } from '../inputs/build.js';
import { InputError } from '../inputs/errors.js';
import { parseInputs } from '../inputs/inputs.js';
import { INPUT } from '../inputs/names.js';
import { neutralizeCommands, neutralizeJsonCommands, type Log } from '../log.js';
import type { DetailKind, ImageStats, Inputs, MeasureMethod, Outcome } from '../model.js';
import { errorMessage } from '../errors.js';
import { measureAndCompare } from '../pipeline/run.js';
import { measureLoaded, spawnStream } from '../pipeline/side.js';
import { buildReport } from '../report/report.js';
import { failureMessage } from '../report/policy.js';
import { escapeControls } from '../report/escape.js';
import { renderMeasurement, renderOutcome } from '../report/terminal.js';
import { colourWanted, painter, type Paint } from '../report/terminal-text.js';
import { EXIT, UsageError, flagForInput, helpText, parseArgs, type CompareCommand, type MeasureCommand } from './args.js';

/** A stream the command line writes to, with what it knows about the terminal behind it. */
export interface Terminal {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export interface CliIO {
  readonly stdout: Terminal;
  readonly stderr: Terminal;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  readonly exec: Exec;
}

/** The check could not run (no git repository, unknown base, unreadable image): exit code 2. */
export class CliError extends Error {
  override readonly name = 'CliError';
}

/** Runs the command line `argv` (without node and the script); resolves to the exit code. */
export async function main(argv: readonly string[], given: CliIO): Promise<number> {
  const io = commandSafe(given);
  const paint = painter(colourWanted(io.env, io.stderr.isTTY === true));
  let command;
  try {
    command = parseArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    const help = e.command ? `image-budget ${e.command} --help` : 'image-budget --help';
    io.stderr.write(`${paint('red', 'image-budget: error:')} ${e.message}\nRun "${help}" for the accepted forms.\n`);
    return EXIT.error;
  }
  try {
    switch (command.command) {
      case 'help':
        io.stdout.write(helpText(command.topic, TOOL.version));
        return EXIT.ok;
      case 'version':
        io.stdout.write(`${TOOL.name} ${TOOL.version}\n`);
        return EXIT.ok;
      case 'compare':
        return await compareCommand(command, io);
      case 'measure':
        return await measureCommand(command, io);
    }
  } catch (e) {
    io.stderr.write(`${paint('red', 'image-budget: error:')} ${escapeLines(cliMessage(e))}\n`);
    return EXIT.error;
  }
}

/**
 * The streams as a workflow's runner may read them (the command line can run in a step): no text of
 * a build, a repository or a report becomes a workflow command (log.ts). JSON is written already
 * neutralized with its data unchanged (neutralizeJsonCommands), which this leaves as it is.
 */
function commandSafe(io: CliIO): CliIO {
  const wrap = (t: Terminal): Terminal => ({
    write: (text: string) => t.write(neutralizeCommands(text)),
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
function cliMessage(e: unknown): string {
  if (e instanceof InputError) {
    const flag = flagForInput(e.input);
    const prefix = `Invalid input '${e.input}'`;
    if (flag !== undefined && e.message.startsWith(prefix)) return `Invalid value for ${flag}${e.message.slice(prefix.length)}`;
  }
  return errorMessage(e);
}

// ── Progress on stderr ─────────────────────────────────────────────────────────────────────────

/**
 * The pipeline's Log, as terminal progress on stderr: one line per step (`> Build head target
 * release... done (2.1 s)`), warnings always, info and the build output only with --verbose. Every message is escaped: build logs and repository names can hold
 * terminal control sequences.
 */
class Progress implements Log {
  /** A step's line was written without its newline (TTY only), to be completed in place. */
  private pending: string | undefined;

  constructor(
    private readonly out: Terminal,
    private readonly paint: Paint,
    private readonly verbose: boolean
  ) {}

  info(message: string): void {
    if (this.verbose) this.line(this.paint('dim', escapeLines(message)));
  }

  warning(message: string): void {
    this.line(`${this.paint('yellow', 'warning:')} ${escapeLines(message)}`);
  }

  /** Live build output (with --verbose). */
  output(chunk: string): void {
    this.close();
    this.out.write(escapeLines(chunk));
  }

  async group<T>(title: string, fn: () => Promise<T>): Promise<T> {
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
    } finally {
      const result = `${ok ? this.paint('green', 'done') : this.paint('red', 'failed')} (${((Date.now() - started) / 1000).toFixed(1)} s)`;
      if (this.pending === text) {
        this.out.write(` ${result}\n`);
        this.pending = undefined;
      } else {
        this.line(`  ${text}: ${result}`);
      }
    }
  }

  /** Ends a step line left open, so what follows starts on a line of its own. */
  close(): void {
    if (this.pending !== undefined) {
      this.out.write('\n');
      this.pending = undefined;
    }
  }

  private line(text: string): void {
    this.close();
    this.out.write(`${text}\n`);
  }
}

/** Line breaks kept, every other control character shown as an escape. */
function escapeLines(text: string): string {
  return text.split('\n').map(escapeControls).join('\n');
}

/**
 * The exec the pipeline gets: every live output (the build log, which side.ts sends to stdout for
 * the Actions log) goes to `sink` instead, or nowhere. What is captured for results and errors is
 * unchanged.
 */
function rerouteLiveOutput(exec: Exec, sink: ((chunk: string) => void) | undefined): Exec {
  return (file, args, options = {}) => {
    const { onStdout: _stdout, onStderr: _stderr, ...rest } = options;
    return exec(file, args, sink ? { ...rest, onStdout: sink, onStderr: sink } : rest);
  };
}

/** Runs every cleanup once, last registered first, like main.ts; what goes wrong is a warning. */
async function runCleanups(cleanups: Array<() => Promise<unknown>>, log: Log): Promise<void> {
  while (cleanups.length > 0) {
    const cleanup = cleanups.pop()!;
    try {
      const warnings = await cleanup();
      if (Array.isArray(warnings)) for (const w of warnings) log.warning(String(w));
    } catch (e) {
      log.warning(`cleanup: ${errorMessage(e)}`);
    }
  }
}

/**
 * Ctrl-C must not leave the base checkout or image layouts in the temp folder (the action has a post
 * step for that; the command line has only this). Returns the function that removes the handlers.
 */
function cleanUpOnInterrupt(cleanups: Array<() => Promise<unknown>>, log: Log): () => void {
  const handler = (signal: NodeJS.Signals): void => {
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

function terminalWidth(t: Terminal): number | undefined {
  return t.isTTY && t.columns !== undefined && t.columns > 0 ? t.columns : undefined;
}

// ── compare ────────────────────────────────────────────────────────────────────────────────────

/**
 * Where the command line's defaults differ from action.yml's (the rest are DEFAULTS, applied by
 * parseInputs): a laptop has no Actions cache, and nothing is posted anywhere.
 */
const CLI_DEFAULTS: Readonly<Record<string, string>> = {
  [INPUT.cache]: 'none',
  [INPUT.comment]: 'never'
};

async function git(io: CliIO, cwd: string, args: readonly string[]): Promise<{ ok: boolean; out: string; err: string }> {
  const r = await io.exec('git', ['-C', cwd, ...args], { env: io.env });
  return { ok: r.code === 0, out: r.stdout.trim(), err: r.stderr.trim().split('\n').pop() ?? '' };
}

/** The working tree's top level: the workspace of the pipeline, which the base checkout mirrors. */
async function repositoryRoot(io: CliIO): Promise<string> {
  const r = await git(io, io.cwd, ['rev-parse', '--show-toplevel']).catch((e: unknown) => {
    throw new CliError(`compare needs git: ${errorMessage(e)}`);
  });
  if (!r.ok || r.out === '') {
    throw new CliError(`compare runs inside a git checkout, and ${io.cwd} is not in one${r.err ? ` (git: ${r.err})` : ''}`);
  }
  return realpath(r.out);
}

/**
 * Paths on the command line are relative to where it runs, as with `docker build`; the pipeline
 * takes them relative to the repository root, so that the same path names the same place in the
 * base commit's checkout. Outside the repository stays outside (`../x`): resolveInside refuses it.
 */
function fromRoot(root: string, cwd: string, value: string): string {
  return path.relative(root, path.resolve(cwd, value)) || '.';
}

function compareInputs(command: CompareCommand, root: string, cwd: string): Inputs {
  const given = new Map<string, string>(command.inputs);
  // The default context is the current directory, not the repository root.
  given.set(INPUT.context, fromRoot(root, cwd, given.get(INPUT.context) ?? '.'));
  const file = given.get(INPUT.file);
  if (file !== undefined) given.set(INPUT.file, fromRoot(root, cwd, file));
  return parseInputs((name) => given.get(name) ?? CLI_DEFAULTS[name] ?? '');
}

// A hosted remote, `https://host/owner/name(.git)` or `git@host:owner/name(.git)`; its last two path
// segments are the repository (GitLab subgroups included). A local path or file:// URL names none.
const HOSTED_REMOTE = [
  /^(?:https?|ssh|git):\/\/[^/\s]+\/(?:\S+\/)?([^/\s]+)\/([^/\s]+?)(?:\.git)?\/?$/,
  /^[^@/\s]+@[^:/\s]+:(?:\S+\/)?([^/\s]+)\/([^/\s]+?)(?:\.git)?\/?$/
];

/** `owner/name` from the origin remote's URL, for the report's `repository`. */
function repoFromRemote(url: string | undefined): RepoRef | undefined {
  if (url === undefined) return undefined;
  for (const pattern of HOSTED_REMOTE) {
    const m = pattern.exec(url.trim());
    if (m) return parseRepoFullName(`${m[1]}/${m[2]}`);
  }
  return undefined;
}

/** The local checkout as the event the pipeline reads: the head is HEAD (and the working tree). */
async function localEvent(io: CliIO, root: string): Promise<EventContext> {
  const headSha = await new Git(root, { exec: io.exec, env: io.env }).revParseCommit('HEAD');
  if (headSha === undefined) throw new CliError(`the repository at ${root} has no commit yet: commit something to compare with the base`);
  const ref = await git(io, root, ['symbolic-ref', '--quiet', 'HEAD']);
  const origin = await git(io, root, ['remote', 'get-url', 'origin']);
  return {
    event: 'local',
    repo: repoFromRemote(origin.ok ? origin.out : undefined),
    headSha,
    ref: ref.ok && ref.out !== '' ? ref.out : undefined,
    baseSha: undefined,
    defaultBranch: undefined
  };
}

async function compareCommand(command: CompareCommand, io: CliIO): Promise<number> {
  const progress = new Progress(io.stderr, painter(colourWanted(io.env, io.stderr.isTTY === true)), command.verbose);
  const root = await repositoryRoot(io);
  const inputs = compareInputs(command, root, await realpath(io.cwd));
  const event = await localEvent(io, root);
  // The base must be known here: the pipeline would fall back to fetching it from origin and, failing
  // that, to "baseline unavailable", which on a laptop is almost always a typo.
  const baseRef = inputs.baseRef;
  if (baseRef === undefined) throw new CliError('compare needs --base REF');
  if ((await new Git(root, { exec: io.exec, env: io.env }).revParseCommit(baseRef)) === undefined) {
    throw new CliError(
      `--base ${JSON.stringify(baseRef)} names no commit of the repository at ${root}; name a branch, tag or commit ` +
        `(e.g. origin/${baseRef}), or fetch it first: git fetch origin ${baseRef}`
    );
  }

  const cleanups: Array<() => Promise<unknown>> = [];
  const release = cleanUpOnInterrupt(cleanups, progress);
  try {
    const secrets = [...inputs.buildArgs.map(([, value]) => value), ...secretValues(inputs.build, io.env)];
    const exec = rerouteLiveOutput(io.exec, command.verbose ? (chunk) => progress.output(maskSecrets(chunk, secrets)) : undefined);
    // The workspace is the repository root whatever GITHUB_WORKSPACE says (the CLI may run in a job).
    const env = { ...io.env, GITHUB_WORKSPACE: root };
    const result = await measureAndCompare({ env, exec, log: progress }, inputs, event, cleanups);
    const outcome = await withWorkingTreeNote(io, root, inputs, result.outcome);
    progress.close();

    if (command.json) {
      const report = buildReport(outcome, {
        tool: TOOL,
        event: event.event,
        repository: event.repo ? `${event.repo.owner}/${event.repo.name}` : '',
        createdAt: new Date().toISOString()
      });
      io.stdout.write(neutralizeJsonCommands(`${JSON.stringify(report, null, 2)}\n`));
    } else {
      const width = terminalWidth(io.stdout);
      io.stdout.write(renderOutcome(outcome, { colour: colourWanted(io.env, io.stdout.isTTY === true), details: inputs.details, advice: inputs.advice, ...(width ? { width } : {}) }));
    }

    if (result.headFailures.length > 0 || outcome.regressed) {
      // The table says it already; the JSON report needs a word on stderr.
      if (command.json) progress.warning(failureMessage(outcome) ?? `Head build failed:\n${result.headFailures.join('\n')}`);
      return EXIT.regressed;
    }
    if (!outcome.base) {
      // Asked for a comparison and got none: not a pass.
      progress.warning(`no comparison: the base ${baseRef} could not be checked out (see the notes)`);
      return EXIT.error;
    }
    return EXIT.ok;
  } finally {
    await runCleanups(cleanups, progress);
    release();
  }
}

/** The head is what is on disk: say so when that is not the commit the report names. */
async function withWorkingTreeNote(io: CliIO, root: string, inputs: Inputs, outcome: Outcome): Promise<Outcome> {
  const paths = [inputs.context, ...(inputs.file ? [inputs.file] : [])];
  // --no-optional-locks: looking must not refresh (rewrite) the user's index.
  const status = await git(io, root, ['--no-optional-locks', 'status', '--porcelain', '--', ...paths]);
  if (!status.ok || status.out === '') return outcome;
  const note = `The head is the working tree: ${inputs.context === '.' ? 'the repository' : inputs.context} has uncommitted changes on top of ${outcome.head.sha.slice(0, 12)}.`;
  return { ...outcome, notes: [...outcome.notes, note] };
}

// ── measure ────────────────────────────────────────────────────────────────────────────────────

interface Measured {
  /** How it was read, for the title line and the JSON. */
  readonly kind: 'engine image' | 'docker save archive' | 'OCI layout' | 'OCI layout archive';
  readonly images: ImageStats[];
}

/** `--details` through the action's own parser (every other input at its default). */
function detailsOf(text: string | undefined): readonly DetailKind[] {
  return parseInputs((name) => (name === INPUT.details ? (text ?? '') : '')).details;
}

async function measureCommand(command: MeasureCommand, io: CliIO): Promise<number> {
  const progress = new Progress(io.stderr, painter(colourWanted(io.env, io.stderr.isTTY === true)), command.verbose);
  const details = detailsOf(command.details);
  const options: DockerSaveOptions = {
    target: command.source,
    secrets: [],
    onWarning: (m) => progress.warning(m),
    // File lists cost a tar parse of every layer: only when shown.
    files: details.includes('files')
  };
  const cleanups: Array<() => Promise<unknown>> = [];
  const release = cleanUpOnInterrupt(cleanups, progress);
  try {
    const measured = await progress.group(`Measure ${command.source}`, () => measureSource(command.source, io, options, cleanups));
    if (command.json) {
      io.stdout.write(neutralizeJsonCommands(`${JSON.stringify(measurementJson(command.source, measured), null, 2)}\n`));
    } else {
      const width = terminalWidth(io.stdout);
      io.stdout.write(
        renderMeasurement(
          { source: command.source, kind: `${measured.kind}, ${METHOD_TEXT[measured.images[0]?.method ?? 'oci-layout']}`, images: measured.images },
          { colour: colourWanted(io.env, io.stdout.isTTY === true), details, ...(width ? { width } : {}) }
        )
      );
    }
    return EXIT.ok;
  } finally {
    await runCleanups(cleanups, progress);
    release();
  }
}

const METHOD_TEXT: Readonly<Record<MeasureMethod, string>> = {
  'oci-layout': 'read as an OCI layout',
  'docker-save': 'read as a docker save'
};

/** The JSON of `measure --json`: the report's per-image fields (docs/report-schema.md), per image. */
function measurementJson(source: string, measured: Measured): unknown {
  return {
    schema: 'image-budget/measurement',
    version: 1,
    tool: TOOL,
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
      layers: i.layers.map((l) => ({ ...l }))
    }))
  };
}

/**
 * A path that exists is an archive (file) or an OCI layout (directory); anything else is an image of
 * the engine. A name that looks like a path but is not there is an error, not an image lookup.
 */
async function measureSource(source: string, io: CliIO, options: DockerSaveOptions, cleanups: Array<() => Promise<unknown>>): Promise<Measured> {
  const where = path.resolve(io.cwd, source);
  const st = await stat(where).catch(() => undefined);
  if (st?.isDirectory()) return { kind: 'OCI layout', images: await measureOciLayout(where, options) };
  if (st?.isFile()) {
    const dir = await tempDir(cleanups);
    await extract({ file: where }, dir, io);
    const gzip = await startsWith(where, [0x1f, 0x8b]);
    // A gzipped save (`docker save | gzip`) is inflated on the way, as tar did.
    const reread = (): Promise<ImageStats[]> => measureDockerSave(gzip ? createReadStream(where).pipe(createGunzip()) : createReadStream(where), options);
    return measureExtracted(dir, reread, options, 'archive');
  }
  if (st) throw new CliError(`${source} is neither a file nor a directory`);
  if (/^(?:[./~]|[A-Za-z]:[\\/])|\.(?:tar|tgz|tar\.gz)$/i.test(source)) throw new CliError(`${source}: no such file or directory`);
  return measureEngineImage(source, io, options, cleanups);
}

async function tempDir(cleanups: Array<() => Promise<unknown>>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'image-budget-measure-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Whether the file begins with `magic` (false for a shorter file). */
async function startsWith(file: string, magic: readonly number[]): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(magic.length), 0, magic.length, 0);
    return bytesRead === magic.length && magic.every((b, i) => buffer[i] === b);
  } finally {
    await handle.close();
  }
}

async function isRegularFile(p: string): Promise<boolean> {
  const st = await lstat(p).catch(() => undefined);
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
async function measureExtracted(dir: string, asSave: () => Promise<ImageStats[]>, options: DockerSaveOptions, what: 'archive' | 'image'): Promise<Measured> {
  const layout = await isRegularFile(path.join(dir, 'index.json'));
  const save = await isRegularFile(path.join(dir, 'manifest.json'));
  const saveKind = what === 'image' ? ('engine image' as const) : ('docker save archive' as const);
  if (save && (!layout || !(await firstLayerCompressed(dir)))) return { kind: saveKind, images: await asSave() };
  if (layout) return { kind: save ? saveKind : what === 'image' ? 'engine image' : 'OCI layout archive', images: await measureOciLayout(dir, options) };
  throw new CliError('not an image archive: it holds neither index.json (an OCI layout) nor manifest.json (docker save)');
}

/** Whether the first layer of a save's manifest.json is gzip- or zstd-compressed, by its first bytes. */
async function firstLayerCompressed(dir: string): Promise<boolean> {
  const entries = parseLegacyManifest(await readFile(path.join(dir, 'manifest.json'), 'utf8'));
  const layer = entries[0]?.layers[0];
  // An image without layers reads the same either way.
  if (layer === undefined) return true;
  const file = path.join(dir, normalisePath(layer));
  if (!(await isRegularFile(file))) return false;
  return (await startsWith(file, [0x1f, 0x8b])) || (await startsWith(file, [0x28, 0xb5, 0x2f, 0xfd]));
}

/** Extracts a tar (file, any compression tar detects; or stream) into `dir` with the system's tar. */
async function extract(source: { readonly file: string } | { readonly stream: Readable }, dir: string, io: CliIO): Promise<void> {
  // Ownership and modes from the archive are not applied: the files are only read, then removed.
  // tar itself refuses members that climb out of `dir` (`..`, absolute names); the measurers then
  // refuse symlinks where they expect blobs.
  const args = ['-x', '--no-same-owner', '--no-same-permissions', '-C', dir, '-f', 'file' in source ? source.file : '-'];
  if ('file' in source) {
    const r = await io.exec('tar', args, { env: io.env });
    if (r.code !== 0) throw new CliError(`cannot read ${source.file} as a tar archive: ${lastLine(r.stderr) || `tar exited with code ${r.code}`}`);
    return;
  }
  const tar = spawn('tar', args, { stdio: ['pipe', 'ignore', 'pipe'], env: io.env, shell: false });
  let stderr = '';
  tar.stderr.setEncoding('utf8');
  tar.stderr.on('data', (c: string) => {
    stderr = (stderr + c).slice(-16 * 1024);
  });
  const exited = new Promise<number>((resolve, reject) => {
    tar.on('error', (e) => reject(new CliError(`tar could not be run: ${e.message}`)));
    tar.on('close', (code) => resolve(code ?? 1));
  });
  const [piped, code] = await Promise.allSettled([pipeline(source.stream, tar.stdin), exited]);
  if (code.status === 'rejected') throw code.reason;
  if (code.value !== 0) throw new CliError(`tar could not extract the image: ${lastLine(stderr) || `exit code ${code.value}`}`);
  if (piped.status === 'rejected') throw piped.reason;
}

function lastLine(s: string): string {
  return s.split('\n').map((l) => l.trim()).filter(Boolean).pop() ?? '';
}

/**
 * An image of the local engine, never pulled. On the classic image store it is streamed through
 * `docker save` into measureDockerSave (measureLoaded: what the action does there); on the
 * containerd store, `docker save` gives the stored, compressed layers, read as an OCI layout.
 */
async function measureEngineImage(name: string, io: CliIO, options: DockerSaveOptions, cleanups: Array<() => Promise<unknown>>): Promise<Measured> {
  // Checked before docker sees it: an option-like or multi-line name is a mistake, never a flag.
  if (name.startsWith('-') || /[\s\u0000-\u001f\u007f]/.test(name)) {
    throw new CliError(`${JSON.stringify(name)} is neither an existing path nor an image name`);
  }
  const inspect = await io.exec('docker', ['image', 'inspect', '--format', '{{.Id}}', '--', name], { env: io.env }).catch((e: unknown) => {
    throw new CliError(`measuring an image of the engine needs docker: ${errorMessage(e)}`);
  });
  if (inspect.code !== 0) {
    throw new CliError(
      `${name} is not a file, a directory or an image of the Docker engine${io.env.DOCKER_HOST ? ` at ${io.env.DOCKER_HOST}` : ''} ` +
        `(docker: ${lastLine(inspect.stderr) || `exit code ${inspect.code}`}); images are never pulled: docker pull it first`
    );
  }
  const info = await io.exec('docker', ['info', '--format', '{{json .DriverStatus}}'], { env: io.env });
  if (info.code !== 0) throw new CliError(`The Docker daemon is not reachable: ${lastLine(info.stderr) || `exit code ${info.code}`}`);
  const deps = { env: io.env };
  if (parseImageStore(info.stdout) === 'classic') return { kind: 'engine image', images: await measureLoaded(deps, name, options) };
  const dir = await tempDir(cleanups);
  const save = spawnStream('docker', ['save', '--', name], { env: io.env });
  try {
    await extract({ stream: save.stdout }, dir, io);
  } catch (e) {
    // tar gave up: docker save must not linger, writing into a closed pipe.
    save.kill();
    throw e;
  }
  const saved = await save.done;
  if (saved.code !== 0) throw new CliError(`docker save ${name} failed: ${lastLine(saved.stderr) || `exit code ${saved.code}`}`);
  return measureExtracted(dir, () => measureLoaded(deps, name, options), options, 'image');
}
