// What every command of the command line shares: the streams and process facts it runs with (CliIO),
// the error that means "the check could not run" (exit code 2), and how text reaches a terminal:
// control characters escaped, workflow commands neutralized, input errors named by their flag.
import { errorMessage } from '../errors.js';
import { InputError } from '../inputs/errors.js';
import type { Exec } from '../exec.js';
import { neutralizeCommands } from '../log.js';
import { escapeControls } from '../report/escape.js';
import { flagForInput } from './args.js';

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

/**
 * The streams as a workflow's runner may read them (the command line can run in a step): no text of
 * a build, a repository or a report becomes a workflow command (log.ts). JSON is written already
 * neutralized with its data unchanged (neutralizeJsonCommands), which this leaves as it is.
 */
export function commandSafe(io: CliIO): CliIO {
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
export function cliMessage(e: unknown): string {
  if (e instanceof InputError) {
    const flag = flagForInput(e.input);
    const prefix = `Invalid input '${e.input}'`;
    if (flag !== undefined && e.message.startsWith(prefix)) return `Invalid value for ${flag}${e.message.slice(prefix.length)}`;
  }
  return errorMessage(e);
}

/** Line breaks kept, every other control character shown as an escape. */
export function escapeLines(text: string): string {
  return text.split('\n').map(escapeControls).join('\n');
}

export function terminalWidth(t: Terminal): number | undefined {
  return t.isTTY && t.columns !== undefined && t.columns > 0 ? t.columns : undefined;
}

export function lastLine(s: string): string {
  return s.split('\n').map((l) => l.trim()).filter(Boolean).pop() ?? '';
}
