// How the GitHub Actions runner finds workflow commands in what a step prints, written from its
// source (actions/runner, src/Runner.Sdk/ProcessInvoker.cs, src/Runner.Worker/ActionCommandManager.cs,
// src/Runner.Common/ActionCommand.cs), to check that the action's output holds none:
//
// - ProcessInvoker reads stdout and stderr with StreamReader.ReadLine: a line ends at `\n`, `\r\n`
//   or a lone `\r` (and at nothing else: not at NEL, U+2028 or U+2029).
// - TryProcessCommand tries TryParseV2, then TryParse, on every line.
// - TryParseV2: `message.TrimStart()` (Char.IsWhiteSpace), then `StartsWith("::")`; the command's
//   end is `IndexOf("::", 2)`; its name is what lies between index 2 and there, up to a space.
// - TryParse (the older form): `IndexOf("##[")`, then the first `]` after it; the name starts 3
//   characters after the `##[` and ends at a space or that `]`.
// - The name must be a registered command, compared case-insensitively (OrdinalIgnoreCase).
//
// StartsWith and IndexOf(string) compare with the current culture (ICU on Linux), where zero-width
// and other ignorable characters count for nothing. `culture: true` models that conservatively:
// ignorable characters are skipped inside and before a match, and dropped from the name.

/** The runner's command names (IActionCommandExtension.Command, plus stop-commands). */
export const RUNNER_COMMANDS: readonly string[] = [
  'add-mask',
  'add-matcher',
  'add-path',
  'debug',
  'echo',
  'endgroup',
  'error',
  'group',
  'internal-set-repo-path',
  'notice',
  'remove-matcher',
  'save-state',
  'set-env',
  'set-output',
  'stop-commands',
  'warning'
];

/** .NET Char.IsWhiteSpace: what String.TrimStart() removes. */
export const DOTNET_WHITESPACE = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*/;

// eslint-disable-next-line no-control-regex
const IGNORABLE = /[\u0000-\u0008\u000e-\u001f\u007f-\u0084\u0086-\u009f\p{Default_Ignorable_Code_Point}]/u;

export interface RunnerOptions {
  /** Model culture-aware matching (ignorable characters skipped); default false (ordinal). */
  readonly culture?: boolean;
  /** Names taken as commands; default RUNNER_COMMANDS. */
  readonly commands?: readonly string[];
}

/** The lines StreamReader.ReadLine yields. */
export function runnerLines(output: string): string[] {
  const lines = output.split(/\r\n|\r|\n/);
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/** The end of `pattern` matched at `at` (ignorables skipped between its characters when culture is on), or -1. */
function matchAt(s: string, at: number, pattern: string, culture: boolean): number {
  let i = at;
  for (const ch of pattern) {
    while (culture && i < s.length && IGNORABLE.test(s[i]!)) i++;
    if (s[i] !== ch) return -1;
    i++;
  }
  return i;
}

function indexOf(s: string, pattern: string, from: number, culture: boolean): number {
  for (let i = from; i < s.length; i++) if (matchAt(s, i, pattern, culture) !== -1) return i;
  return -1;
}

function startsWith(s: string, pattern: string, culture: boolean): boolean {
  let i = 0;
  while (culture && i < s.length && IGNORABLE.test(s[i]!)) i++;
  return matchAt(s, i, pattern, culture) !== -1;
}

function registered(cmdInfo: string, options: RunnerOptions): string | undefined {
  const space = cmdInfo.indexOf(' ');
  let name = space < 0 ? cmdInfo : cmdInfo.slice(0, space);
  if (options.culture) name = [...name].filter((c) => !IGNORABLE.test(c)).join('');
  const names = options.commands ?? RUNNER_COMMANDS;
  return names.find((n) => n.toLowerCase() === name.toLowerCase());
}

export interface RunnerCommand {
  readonly line: string;
  /** The registered name, as RUNNER_COMMANDS spells it. */
  readonly command: string;
  /** What follows the command (still escaped). */
  readonly data: string;
}

/** The command the runner would run for this one line, if any. */
export function runnerCommand(line: string, options: RunnerOptions = {}): string | undefined {
  return parseCommand(line, options)?.command;
}

function parseCommand(line: string, options: RunnerOptions): RunnerCommand | undefined {
  const culture = options.culture ?? false;
  // TryParseV2
  const message = line.replace(DOTNET_WHITESPACE, '');
  if (startsWith(message, '::', culture)) {
    const end = indexOf(message, '::', 2, culture);
    if (end >= 0) {
      const command = registered(message.slice(2, Math.max(2, end)), options);
      if (command) return { line, command, data: message.slice(end + 2) };
    }
  }
  // TryParse
  const prefix = indexOf(line, '##[', 0, culture);
  if (prefix < 0) return undefined;
  const close = line.indexOf(']', prefix);
  if (close < 0) return undefined;
  const command = registered(line.slice(prefix + 3, Math.max(prefix + 3, close)), options);
  return command ? { line, command, data: line.slice(close + 1) } : undefined;
}

/** Every line of `output` the runner would take as a command, with the command. */
export function runnerCommands(output: string, options: RunnerOptions = {}): RunnerCommand[] {
  return runnerLines(output).flatMap((line) => {
    const command = parseCommand(line, options);
    return command ? [command] : [];
  });
}
