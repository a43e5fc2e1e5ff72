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
import { INPUT, type InputName } from '../inputs/names.js';

export type CommandName = 'compare' | 'measure';

/** Exit codes: the verdict, or why there is none (as ESLint: 2 means "could not check"). */
export const EXIT = {
  /** Within budget (or, for measure, measured). */
  ok: 0,
  /** A budget is broken or a head build failed. */
  regressed: 1,
  /** Bad command line or input value, or the check could not run (no git repository, no engine...). */
  error: 2
} as const;

/** The command line is wrong: the message names the flag and the accepted forms. Exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(
    message: string,
    /** The command whose help explains the fix, if one was given. */
    readonly command?: CommandName
  ) {
    super(message);
  }
}

interface FlagSpec {
  readonly flag: string;
  /** The action input it sets; undefined for the command line's own switches (--json, --verbose). */
  readonly input?: InputName;
  /** Placeholder of the value in help and errors (`REF`); undefined for a switch that takes none. */
  readonly value?: string;
  /**
   * Lists may be given several times: the values are joined with this separator, the way the
   * action input would hold them (build-args one per line, the others comma separated).
   */
  readonly join?: '\n' | ',';
  readonly commands: readonly CommandName[];
  readonly help: string;
}

const BOTH: readonly CommandName[] = ['compare', 'measure'];
const COMPARE: readonly CommandName[] = ['compare'];

// In help order. Every `compare` flag that sets an input is named after it, except --base (base-ref).
const FLAGS: readonly FlagSpec[] = [
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

const BY_FLAG: ReadonlyMap<string, FlagSpec> = new Map(FLAGS.map((f) => [f.flag, f]));

/** The command-line flag of an action input (`base-ref` → `--base`), for error messages. */
export function flagForInput(input: string): string | undefined {
  return FLAGS.find((f) => f.input === input)?.flag;
}

export interface CompareCommand {
  readonly command: 'compare';
  /** Values given on the command line, by action input name; lists given several times are joined. */
  readonly inputs: ReadonlyMap<InputName, string>;
  readonly json: boolean;
  readonly verbose: boolean;
}

export interface MeasureCommand {
  readonly command: 'measure';
  /** An image name in the engine or a registry reference, or the path of a docker save tar, an OCI layout dir or tar. */
  readonly source: string;
  /** `--details` as given, checked by the inputs parser; undefined for the default. */
  readonly details: string | undefined;
  /** `--advice` as given, checked by the inputs parser; undefined for the default. */
  readonly advice: string | undefined;
  readonly json: boolean;
  readonly verbose: boolean;
}

export type Command =
  | { readonly command: 'help'; readonly topic?: CommandName }
  | { readonly command: 'version' }
  | CompareCommand
  | MeasureCommand;

const COMMANDS: readonly CommandName[] = ['compare', 'measure'];

function isCommandName(s: string): s is CommandName {
  return (COMMANDS as readonly string[]).includes(s);
}

/** `--base REF or --base=REF`: the accepted forms of a flag, as errors and help spell them. */
function forms(spec: FlagSpec): string {
  return spec.value === undefined ? spec.flag : `${spec.flag} ${spec.value} or ${spec.flag}=${spec.value}`;
}

/** Parses `argv` (without the node binary and the script). Throws UsageError. */
export function parseArgs(argv: readonly string[]): Command {
  const [first, ...rest] = argv;
  if (first === undefined) throw new UsageError('no command given (expected compare or measure)');
  if (first === '--help' || first === '-h' || first === 'help') {
    const topic = rest[0];
    if (topic !== undefined && isCommandName(topic)) return { command: 'help', topic };
    if (topic !== undefined && first === 'help') throw new UsageError(`unknown command ${quote(topic)} (expected compare or measure)`);
    return { command: 'help' };
  }
  if (first === '--version' || first === '-V') return { command: 'version' };
  if (!isCommandName(first)) {
    const hint = first.startsWith('-') ? ' before a command' : '';
    throw new UsageError(`unknown command ${quote(first)}${hint} (expected compare or measure)${suggest(first, [...COMMANDS, '--help', '--version'])}`);
  }
  return parseCommand(first, rest);
}

function parseCommand(command: CommandName, args: readonly string[]): Command {
  // Asking for help wins over anything else on the line, mistakes included (as in git, docker).
  const options = args.includes('--') ? args.slice(0, args.indexOf('--')) : args;
  if (options.some((a) => a === '--help' || a === '-h')) return { command: 'help', topic: command };
  if (options.some((a) => a === '--version' || a === '-V')) return { command: 'version' };
  const values = new Map<FlagSpec, string[]>();
  const switches = new Set<string>();
  const positional: string[] = [];
  let endOfOptions = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
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
      if (eq > 0) throw new UsageError(`${spec.flag} takes no value (given ${quote(arg.slice(eq + 1))}); write ${spec.flag} alone`, command);
      if (switches.has(spec.flag)) throw new UsageError(`${spec.flag} is given twice`, command);
      switches.add(spec.flag);
      continue;
    }
    let value: string;
    if (eq > 0) {
      value = arg.slice(eq + 1);
    } else {
      const next = args[i + 1];
      // A following flag is a forgotten value, not the value (`--base --json`).
      if (next === undefined || (next.startsWith('--') && next.length > 2)) {
        throw new UsageError(`${spec.flag} needs a value: ${forms(spec)}`, command);
      }
      value = next;
      i++;
    }
    if (value.trim() === '') throw new UsageError(`${spec.flag} needs a value, not an empty one: ${forms(spec)}`, command);
    if (spec.input === INPUT.buildArgs) checkBuildArg(value, command);
    else if (spec.join === '\n' && /[\r\n]/.test(value)) throw new UsageError(`${spec.flag} takes one ${spec.value} per flag; this one contains a line break`, command);
    const list = values.get(spec) ?? [];
    if (list.length > 0 && spec.join === undefined) {
      throw new UsageError(`${spec.flag} is given twice (${quote(list[0]!)} and ${quote(value)}); give it once`, command);
    }
    list.push(value);
    values.set(spec, list);
  }

  const json = switches.has('--json');
  const verbose = switches.has('--verbose');
  if (command === 'measure') {
    if (positional.length === 0) throw new UsageError('measure needs an image: measure IMAGE (an image in the engine) or measure PATH (a docker save tar, an OCI layout dir or tar)', command);
    if (positional.length > 1) throw new UsageError(`measure takes one image or archive, got ${positional.length}: ${positional.map(quote).join(', ')}`, command);
    const given = (input: InputName): string | undefined => [...values].find(([spec]) => spec.input === input)?.[1][0];
    return { command, source: positional[0]!, details: given(INPUT.details), advice: given(INPUT.advice), json, verbose };
  }

  if (positional.length > 0) {
    const p = positional[0]!;
    throw new UsageError(`compare takes no arguments, got ${quote(p)} (did you mean --base ${p}?)`, command);
  }
  const inputs = new Map<InputName, string>();
  for (const [spec, list] of values) {
    if (spec.input !== undefined) inputs.set(spec.input, list.join(spec.join ?? ''));
  }
  // A switch that sets an input (--no-cache, --pull) sets it to true.
  for (const spec of FLAGS) if (spec.value === undefined && spec.input !== undefined && switches.has(spec.flag)) inputs.set(spec.input, 'true');
  if (!inputs.has(INPUT.baseRef)) {
    throw new UsageError('compare needs --base REF: the commit, branch or tag to compare with (e.g. --base main)', command);
  }
  return { command, inputs, json, verbose };
}

/**
 * One `NAME=value` per flag. Build-arg values are secret-ish, so the message names the position and
 * never the value; a line break would smuggle a second argument into the action's one-per-line form.
 */
function checkBuildArg(value: string, command: CommandName): void {
  if (!value.includes('=')) {
    throw new UsageError(`--build-args takes NAME=value (--build-args NAME=value or --build-args=NAME=value); this one has no "="`, command);
  }
  if (/[\r\n]/.test(value)) {
    throw new UsageError(`--build-args takes one NAME=value per flag; the value of ${quote(value.slice(0, value.indexOf('=')))} contains a line break`, command);
  }
}

function quote(s: string): string {
  const cut = s.length > 60 ? `${s.slice(0, 59)}…` : s;
  return JSON.stringify(cut);
}

/** ` (did you mean --base?)` for a near miss (edit distance at most 2), else nothing. */
function suggest(given: string, known: readonly string[]): string {
  let best: string | undefined;
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

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row.push(Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    }
    prev = row;
  }
  return prev[b.length]!;
}

// ── Help ───────────────────────────────────────────────────────────────────────────────────────

const EXIT_HELP = [
  'Exit codes:',
  '  0  within budget',
  '  1  a budget is broken or a head build failed',
  '  2  bad command line or value, or the check could not run'
].join('\n');

function optionLines(command: CommandName): string {
  const specs = FLAGS.filter((f) => f.commands.includes(command));
  const left = specs.map((f) => (f.value === undefined ? f.flag : `${f.flag} ${f.value}`));
  const width = Math.max(...left.map((l) => l.length)) + 2;
  return [...specs.map((f, i) => `  ${left[i]!.padEnd(width)}${f.help}`), `  ${'-h, --help'.padEnd(width)}this help`].join('\n');
}

/** The help text of a command, or the general one. `version` is shown in the general help's first line. */
export function helpText(topic: CommandName | undefined, version: string): string {
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
